
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 *
 * The engine's writer (src/ngx_http_milvus_cdc_writer.c), its narrow
 * interface: the target pchannels of one task, a queue of replicated
 * messages each, one ReplicateMessage call in flight per target pchannel
 * (milvus.proto MilvusService.ReplicateMessage: ReplicateMessageRequest
 * channel_name 2, BeginTs 3, EndTs 4, Msgs 5), acks counted down in
 * counters the caller owns, and the "trouble" of the task's target calls
 * (transport failures, retried, shown as the live reason of a Running
 * task).  It knows nothing of source pchannels, collections or Kafka:
 * the engine gives it a pool, a log, the task's id, the task store and
 * the target's gRPC channel, and a handler to call when the target
 * refuses a pchannel's messages for good.
 *
 * Process: the helper (grpc and sqlite restrictions apply).
 */


#ifndef _NGX_HTTP_MILVUS_CDC_WRITER_H_INCLUDED_
#define _NGX_HTTP_MILVUS_CDC_WRITER_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_milvus_cdc_clock.h"
#include "ngx_http_milvus_cdc_grpc.h"
#include "ngx_http_milvus_cdc_store.h"


#define NGX_HTTP_MILVUS_CDC_WRITER_TIMEOUT   30000   /* ms, one call */
#define NGX_HTTP_MILVUS_CDC_WRITER_RETRY     1000    /* ms, after a failure;
                                                        times the refusals
                                                        in a row */
#define NGX_HTTP_MILVUS_CDC_WRITER_REFUSALS  10      /* refusals in a row:
                                                        refused for good */
#define NGX_HTTP_MILVUS_CDC_WRITER_BATCH_BYTES  (16 * 1024 * 1024)
#define NGX_HTTP_MILVUS_CDC_WRITER_BATCH_MSGS   4096
#define NGX_HTTP_MILVUS_CDC_WRITER_TROUBLE_LOGGED  3   /* failures logged
                                                          one by one */
#define NGX_HTTP_MILVUS_CDC_WRITER_TROUBLE_LOG   30000 /* ms, then one line
                                                          per period */
#define NGX_HTTP_MILVUS_CDC_WRITER_TROUBLE_SHOW  5000  /* ms, the reason
                                                          rewritten */


typedef struct ngx_http_milvus_cdc_writer_s  ngx_http_milvus_cdc_writer_t;


/*
 * Called once when the target refused pchannel's messages
 * NGX_HTTP_MILVUS_CDC_WRITER_REFUSALS times in a row; reason is the
 * target's (common.Status reason), never empty.  The handler fails the
 * task; the writer sends nothing more on that pchannel until retried.
 */
typedef void (*ngx_http_milvus_cdc_writer_refused_pt)(void *data,
    ngx_str_t *pchannel, ngx_str_t *reason);


/*
 * One message queued for a target pchannel.
 *   bytes      the serialized msgstream message, ngx_alloc()ed, freed by
 *              the writer once acknowledged (or at writer_stop);
 *   ts         its timestamp (TSO) on the target pchannel;
 *   remaining  a counter of the caller's, incremented at enqueue and
 *              decremented when the target acknowledged it, or NULL;
 *   wait       a second such counter, decremented only, or NULL.
 */
typedef struct {
    ngx_str_t                        bytes;
    uint64_t                         ts;
    ngx_uint_t                      *remaining;
    ngx_uint_t                      *wait;
} ngx_http_milvus_cdc_item_t;


/*
 * A target pchannel (e.g. "by-dev-rootcoord-dml_3"): its clock (the
 * timestamps given there, include/ngx_http_milvus_cdc_clock.h), its queue,
 * the call in flight.
 */
typedef struct {
    ngx_str_t                        name;
    ngx_http_milvus_cdc_clock_t      clock;
    ngx_array_t                      queue;      /* of item_t */
    ngx_uint_t                       head;       /* first not sent */
    ngx_uint_t                       inflight;   /* items of the call */
    ngx_msec_t                       retry_at;
    ngx_uint_t                       refused;    /* refusals in a row */
    ngx_http_milvus_cdc_grpc_call_t *call;
    ngx_http_milvus_cdc_writer_t    *writer;
} ngx_http_milvus_cdc_tchan_t;


/*
 * The writer of one task.  The engine fills pool, log, task_id, store,
 * target (before the first send), saved (the target timestamps of earlier
 * runs, store.h target_ts_t, or empty), refused and data; the rest is the
 * writer's.  failed is set by the engine when the task failed: trouble
 * then changes nothing.
 */
struct ngx_http_milvus_cdc_writer_s {
    ngx_pool_t                              *pool;
    ngx_log_t                               *log;
    ngx_str_t                               *task_id;
    ngx_http_milvus_cdc_store_t             *store;
    ngx_http_milvus_cdc_grpc_channel_t      *target;
    ngx_array_t                              saved;     /* target_ts_t */
    ngx_http_milvus_cdc_writer_refused_pt    refused;
    void                                    *data;

    ngx_array_t                              tchans;    /* tchan_t * */
    ngx_uint_t                               calls;     /* in flight */

    ngx_msec_t                               trouble;   /* calls fail since,
                                                           0: none */
    time_t                                   trouble_at; /* the same, epoch */
    ngx_uint_t                               trouble_n;  /* failures since */
    ngx_msec_t                               trouble_logged;
    ngx_msec_t                               trouble_shown;
    unsigned                                 failed:1;
};


/* w's arrays in w->pool (the fields the engine fills set).  NGX_ERROR: no
   memory. */
ngx_int_t ngx_http_milvus_cdc_writer_init(ngx_http_milvus_cdc_writer_t *w);

/*
 * The target pchannel called name, made on first use with a clock that
 * never stamps below what an earlier run sent there (w->saved).  NULL: no
 * memory.
 */
ngx_http_milvus_cdc_tchan_t *ngx_http_milvus_cdc_writer_channel(
    ngx_http_milvus_cdc_writer_t *w, ngx_str_t *name);

/*
 * Queues bytes (ngx_alloc()ed, owned by the writer from now on, freed even
 * on error) at timestamp ts; remaining and wait as in item_t.  NGX_ERROR:
 * no memory.
 */
ngx_int_t ngx_http_milvus_cdc_writer_enqueue(ngx_http_milvus_cdc_tchan_t *t,
    ngx_str_t *bytes, uint64_t ts, ngx_uint_t *remaining, ngx_uint_t *wait);

/*
 * Starts one ReplicateMessage call on each idle target pchannel with
 * queued messages (at most ..._BATCH_MSGS messages or ..._BATCH_BYTES
 * bytes), after saving the pchannel's last timestamp in the store.
 */
void ngx_http_milvus_cdc_writer_send(ngx_http_milvus_cdc_writer_t *w);

/* Cancels the calls in flight and frees what is queued. */
void ngx_http_milvus_cdc_writer_stop(ngx_http_milvus_cdc_writer_t *w);

/*
 * A target call ("call", e.g. "/milvus.proto.milvus.MilvusService/
 * CreateCollection", of "on", a collection or pchannel name, or NULL)
 * failed in transport (res->status, grpc status code, not 0): logged (the
 * first ..._TROUBLE_LOGGED failures, then one line per ..._TROUBLE_LOG ms)
 * and shown as the reason of the Running task ("target unreachable since
 * <UTC time>, <n> retries: …"), rewritten at most every ..._TROUBLE_SHOW
 * ms.  The caller retries.
 */
void ngx_http_milvus_cdc_writer_trouble(ngx_http_milvus_cdc_writer_t *w,
    ngx_str_t *call, ngx_str_t *on, ngx_http_milvus_cdc_grpc_result_t *res);

/* A target call went through: a past trouble is logged as over and its
   reason cleared. */
void ngx_http_milvus_cdc_writer_recovered(ngx_http_milvus_cdc_writer_t *w);


#endif /* _NGX_HTTP_MILVUS_CDC_WRITER_H_INCLUDED_ */
