
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 */


#ifndef _NGX_HTTP_MILVUS_CDC_STANDBY_H_INCLUDED_
#define _NGX_HTTP_MILVUS_CDC_STANDBY_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_milvus_cdc.h"
#include "ngx_http_milvus_cdc_grpc.h"
#include "ngx_http_milvus_cdc_store.h"
#include "ngx_http_milvus_cdc_task.h"


/* ms between two TimeTicks of a Paused task on each target pchannel */
#define NGX_HTTP_MILVUS_CDC_STANDBY_EVERY    1000


/*
 * A Paused task's standby, run by the helper process while it holds the
 * task's lease: every NGX_HTTP_MILVUS_CDC_STANDBY_EVERY ms it sends a
 * TimeTick (msgpb.TimeTickMsg, msg.proto; through MilvusService/
 * ReplicateMessage, milvus.proto) stamped with the time now (a TSO:
 * unix ms << 18) to every target pchannel the task has written to (the
 * store's target_channels), so that the target, whose own TimeTicks are
 * off (common.ttMsgEnabled false), still answers Strong reads with what
 * was replicated.  Each TimeTick is saved in the store (target_ticks)
 * before it is sent, so the engine that resumes the task never stamps a
 * message or a TimeTick at or below it (include/ngx_http_milvus_cdc_
 * clock.h, ngx_http_milvus_cdc_clock_ticked()).  One call in flight per
 * pchannel; a target that fails is logged once, then every 60 s, and
 * once when it answers again; the task's state and reason are left alone.
 */
typedef struct ngx_http_milvus_cdc_standby_s  ngx_http_milvus_cdc_standby_t;


/*
 * The standby of "task" (copied): reads the task's target pchannels from
 * "store" and opens a channel to the target.  NULL when out of memory, the
 * store cannot be read or the channel cannot be made (logged with the
 * task id).
 */
ngx_http_milvus_cdc_standby_t *ngx_http_milvus_cdc_standby_create(
    ngx_http_milvus_cdc_task_t *task, ngx_http_milvus_cdc_store_t *store,
    ngx_log_t *log);

/* sends the TimeTicks that are due; never blocks */
void ngx_http_milvus_cdc_standby_run(ngx_http_milvus_cdc_standby_t *sb);

/* cancels the calls in flight and frees everything */
void ngx_http_milvus_cdc_standby_destroy(ngx_http_milvus_cdc_standby_t *sb);

/*
 * A channel to the target of "task" (uri, TLS files, token), the same for
 * the engine and the standby.  NULL with a short reason in err (NUL-
 * terminated, at most len bytes) when it cannot be made.
 */
ngx_http_milvus_cdc_grpc_channel_t *ngx_http_milvus_cdc_standby_channel(
    ngx_pool_t *pool, ngx_http_milvus_cdc_task_t *task, ngx_log_t *log,
    u_char *err, size_t len);


#endif /* _NGX_HTTP_MILVUS_CDC_STANDBY_H_INCLUDED_ */
