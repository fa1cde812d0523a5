
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 */


#ifndef _NGX_HTTP_MILVUS_CDC_ENGINE_H_INCLUDED_
#define _NGX_HTTP_MILVUS_CDC_ENGINE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_milvus_cdc.h"
#include "ngx_http_milvus_cdc_store.h"
#include "ngx_http_milvus_cdc_task.h"


/*
 * The replication engine of one task, run by the helper process: it reads
 * the source's DML pchannels (Kafka topics "<prefix>-rootcoord-dml_<i>",
 * messages as in milvus-proto msg.proto) from the task's checkpoints,
 * creates the collections and partitions of the task's scope on the
 * target (MilvusService CreateCollection/CreatePartition with
 * MsgBase.replicateInfo), forwards Insert/Delete/DropCollection/
 * DropPartition with the target's ids through MilvusService/
 * ReplicateMessage, one call in flight per target pchannel, followed by
 * TimeTicks, and commits a checkpoint per source pchannel once the target
 * acknowledged everything up to one of the source's TimeTicks.  See
 * docs/engine.md.
 */
typedef struct ngx_http_milvus_cdc_engine_s  ngx_http_milvus_cdc_engine_t;


/*
 * Creates the engine of "task" (copied).  Nothing is contacted yet: the
 * first ngx_http_milvus_cdc_engine_run() starts.  NULL on allocation
 * failure (logged).
 */
ngx_http_milvus_cdc_engine_t *ngx_http_milvus_cdc_engine_create(
    ngx_http_milvus_cdc_task_t *task, ngx_http_milvus_cdc_main_conf_t *mcf,
    ngx_http_milvus_cdc_store_t *store, ngx_log_t *log);

/*
 * One bounded slice of work: at most about "budget" ms.  Returns NGX_AGAIN
 * when there is more to do at once, NGX_OK when idle (waiting for the
 * network), NGX_ABORT when the engine failed and paused its task (with a
 * reason in the store): stop and destroy it.
 */
ngx_int_t ngx_http_milvus_cdc_engine_run(ngx_http_milvus_cdc_engine_t *e,
    ngx_msec_t budget);

/*
 * Asks the engine to stop reading and to finish the calls in flight.
 * Returns NGX_OK when nothing is in flight any more (destroy it now) or
 * NGX_AGAIN (call again on the next tick; after "grace" ms it gives up
 * waiting, cancels what is left and returns NGX_OK).
 */
ngx_int_t ngx_http_milvus_cdc_engine_stop(ngx_http_milvus_cdc_engine_t *e,
    ngx_msec_t grace);

/* frees everything; calls in flight are cancelled */
void ngx_http_milvus_cdc_engine_destroy(ngx_http_milvus_cdc_engine_t *e);


#endif /* _NGX_HTTP_MILVUS_CDC_ENGINE_H_INCLUDED_ */
