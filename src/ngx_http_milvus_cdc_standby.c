
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 *
 * A Paused task's standby: TimeTicks that advance with time on the target
 * pchannels the task has written to, so that Strong reads on the target
 * answer (include/ngx_http_milvus_cdc_standby.h, docs/engine.md "While a
 * task is Paused").
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_milvus_cdc_clock.h"
#include "ngx_http_milvus_cdc_msg.h"
#include "ngx_http_milvus_cdc_rpc.h"
#include "ngx_http_milvus_cdc_standby.h"


/* ms between two warnings of a target that keeps failing */
#define NGX_HTTP_MILVUS_CDC_STANDBY_WARN     60000
/* ms, one TimeTick call */
#define NGX_HTTP_MILVUS_CDC_STANDBY_TIMEOUT  10000


typedef struct {
    ngx_str_t                            name;     /* target pchannel */
    uint64_t                             last;     /* last ts given out */
    ngx_http_milvus_cdc_grpc_call_t     *call;
    ngx_http_milvus_cdc_standby_t       *standby;
} ngx_http_milvus_cdc_standby_chan_t;


struct ngx_http_milvus_cdc_standby_s {
    ngx_pool_t                          *pool;
    ngx_log_t                           *log;
    ngx_str_t                            task_id;
    ngx_http_milvus_cdc_store_t         *store;
    ngx_http_milvus_cdc_grpc_channel_t  *target;
    ngx_array_t                          chans;    /* standby_chan_t */
    ngx_msec_t                           next;     /* next round */
    ngx_msec_t                           failing;  /* since, 0: fine */
    ngx_msec_t                           warned;
    ngx_uint_t                           failures;
};


static void ngx_http_milvus_cdc_standby_send(
    ngx_http_milvus_cdc_standby_chan_t *sc, uint64_t ts);
static void ngx_http_milvus_cdc_standby_sent(
    ngx_http_milvus_cdc_grpc_result_t *res, void *data);
static void ngx_http_milvus_cdc_standby_failed(
    ngx_http_milvus_cdc_standby_chan_t *sc, ngx_str_t *why);


ngx_http_milvus_cdc_standby_t *
ngx_http_milvus_cdc_standby_create(ngx_http_milvus_cdc_task_t *task,
    ngx_http_milvus_cdc_store_t *store, ngx_log_t *log)
{
    u_char                               err[256];
    ngx_uint_t                           i;
    ngx_pool_t                          *pool;
    ngx_array_t                         *saved;
    ngx_http_milvus_cdc_standby_t       *sb;
    ngx_http_milvus_cdc_target_ts_t     *ts;
    ngx_http_milvus_cdc_standby_chan_t  *sc;

    pool = ngx_create_pool(4096, log);
    if (pool == NULL) {
        return NULL;
    }

    sb = ngx_pcalloc(pool, sizeof(ngx_http_milvus_cdc_standby_t));
    if (sb == NULL) {
        goto failed;
    }

    sb->pool = pool;
    sb->log = log;
    sb->store = store;
    sb->task_id.len = task->task_id.len;
    sb->task_id.data = ngx_pstrdup(pool, &task->task_id);

    if (sb->task_id.data == NULL
        || ngx_http_milvus_cdc_store_target_channels(store, pool,
                                                     &task->task_id, &saved)
           != NGX_OK
        || ngx_array_init(&sb->chans, pool, saved->nelts + 1,
                          sizeof(ngx_http_milvus_cdc_standby_chan_t))
           != NGX_OK)
    {
        goto failed;
    }

    ts = saved->elts;

    for (i = 0; i < saved->nelts; i++) {
        sc = ngx_array_push(&sb->chans);
        if (sc == NULL) {
            goto failed;
        }

        ngx_memzero(sc, sizeof(ngx_http_milvus_cdc_standby_chan_t));
        sc->name = ts[i].pchannel;
        sc->last = ngx_max(ts[i].last_ts, ts[i].tick_ts);
        sc->standby = sb;
    }

    if (sb->chans.nelts == 0) {
        /* nothing sent to the target yet: nothing to keep ticking */
        return sb;
    }

    sb->target = ngx_http_milvus_cdc_standby_channel(pool, task, log, err,
                                                     sizeof(err));
    if (sb->target == NULL) {
        ngx_log_error(NGX_LOG_WARN, log, 0,
                      "milvus_cdc: task %V: no TimeTicks while Paused: "
                      "fail to connect the target %V: %s", &task->task_id,
                      &task->target_uri, err);
        goto failed;
    }

    ngx_log_error(NGX_LOG_INFO, log, 0,
                  "milvus_cdc: task %V: Paused, %ui target pchannels get "
                  "TimeTicks every %ui ms", &task->task_id, sb->chans.nelts,
                  (ngx_uint_t) NGX_HTTP_MILVUS_CDC_STANDBY_EVERY);

    return sb;

failed:

    ngx_destroy_pool(pool);
    return NULL;
}


ngx_http_milvus_cdc_grpc_channel_t *
ngx_http_milvus_cdc_standby_channel(ngx_pool_t *pool,
    ngx_http_milvus_cdc_task_t *task, ngx_log_t *log, u_char *err,
    size_t len)
{
    ngx_http_milvus_cdc_grpc_channel_conf_t  cc;

    ngx_memzero(&cc, sizeof(cc));
    cc.target = task->target;
    cc.tls = task->tls;
    cc.token = task->token;

    if (ngx_http_milvus_cdc_task_tls(pool, task, &cc.ca_file, &cc.cert_file,
                                     &cc.key_file, &cc.server_name)
        != NGX_OK)
    {
        (void) ngx_cpystrn(err, (u_char *) "out of memory", len);
        return NULL;
    }

    return ngx_http_milvus_cdc_grpc_channel_create(&cc, log, err, len);
}


void
ngx_http_milvus_cdc_standby_run(ngx_http_milvus_cdc_standby_t *sb)
{
    uint64_t                             ts;
    ngx_uint_t                           i;
    ngx_time_t                          *tp;
    ngx_http_milvus_cdc_standby_chan_t  *sc;

    if (sb->target == NULL
        || (ngx_msec_int_t) (ngx_current_msec - sb->next) < 0)
    {
        return;
    }

    sb->next = ngx_current_msec + NGX_HTTP_MILVUS_CDC_STANDBY_EVERY;

    tp = ngx_timeofday();
    ts = ((uint64_t) tp->sec * 1000 + tp->msec)
         << NGX_HTTP_MILVUS_CDC_CLOCK_LOGICAL_BITS;

    sc = sb->chans.elts;

    for (i = 0; i < sb->chans.nelts; i++) {
        if (sc[i].call == NULL && ts > sc[i].last) {
            ngx_http_milvus_cdc_standby_send(&sc[i], ts);
        }
    }
}


/* one TimeTick at ts, saved first */

static void
ngx_http_milvus_cdc_standby_send(ngx_http_milvus_cdc_standby_chan_t *sc,
    uint64_t ts)
{
    ngx_str_t                              tick, body;
    ngx_http_milvus_cdc_standby_t         *sb;
    ngx_http_milvus_cdc_msg_replicate_t    rp;
    ngx_http_milvus_cdc_grpc_call_conf_t   cf;

    sb = sc->standby;

    if (ngx_http_milvus_cdc_store_tick_save(sb->store, &sb->task_id,
                                            &sc->name, ts)
        != NGX_OK)
    {
        return;
    }

    sc->last = ts;

    if (ngx_http_milvus_cdc_msg_timetick(ts, &tick, sb->log) != NGX_OK) {
        return;
    }

    ngx_memzero(&rp, sizeof(rp));
    rp.channel_name = sc->name;
    rp.begin_ts = ts;
    rp.end_ts = ts;
    rp.msgs = &tick;
    rp.nmsgs = 1;

    if (ngx_http_milvus_cdc_msg_replicate(&rp, &body, sb->log) != NGX_OK) {
        ngx_free(tick.data);
        return;
    }

    ngx_free(tick.data);

    ngx_memzero(&cf, sizeof(cf));
    cf.method = *ngx_http_milvus_cdc_msg_method(
                                        NGX_HTTP_MILVUS_CDC_MSG_RPC_REPLICATE);
    cf.request = body;
    cf.timeout = NGX_HTTP_MILVUS_CDC_STANDBY_TIMEOUT;
    cf.handler = ngx_http_milvus_cdc_standby_sent;
    cf.data = sc;

    sc->call = ngx_http_milvus_cdc_grpc_call_start(sb->target, &cf, sb->log);

    ngx_free(body.data);
}


static void
ngx_http_milvus_cdc_standby_sent(ngx_http_milvus_cdc_grpc_result_t *res,
    void *data)
{
    ngx_http_milvus_cdc_standby_chan_t *sc = data;

    ngx_int_t                         rc;
    ngx_http_milvus_cdc_standby_t    *sb;
    ngx_http_milvus_cdc_msg_reply_t   r;

    sb = sc->standby;
    sc->call = NULL;

    if (res->status != 0) {
        ngx_http_milvus_cdc_standby_failed(sc, &res->details);
        return;
    }

    ngx_memzero(&r, sizeof(r));

    rc = ngx_http_milvus_cdc_msg_reply(NGX_HTTP_MILVUS_CDC_MSG_RPC_REPLICATE,
                                       &res->reply, &r, sb->log);
    if (rc != NGX_OK) {
        ngx_http_milvus_cdc_standby_failed(sc, &r.reason);
        ngx_http_milvus_cdc_msg_reply_free(&r);
        return;
    }

    ngx_http_milvus_cdc_msg_reply_free(&r);

    if (sb->failing) {
        ngx_log_error(NGX_LOG_NOTICE, sb->log, 0,
                      "milvus_cdc: task %V: %V: the target takes the "
                      "Paused task's TimeTicks again after %M ms, %ui "
                      "failed", &sb->task_id, &sc->name,
                      ngx_current_msec - sb->failing, sb->failures);
        sb->failing = 0;
        sb->failures = 0;
    }
}


/* logged at the first failure, then every 60 s; retried next round */

static void
ngx_http_milvus_cdc_standby_failed(ngx_http_milvus_cdc_standby_chan_t *sc,
    ngx_str_t *why)
{
    ngx_http_milvus_cdc_standby_t  *sb;

    sb = sc->standby;
    sb->failures++;

    if (sb->failing == 0) {
        sb->failing = ngx_current_msec;
        sb->warned = 0;
    }

    if (sb->warned == 0
        || ngx_current_msec - sb->warned >= NGX_HTTP_MILVUS_CDC_STANDBY_WARN)
    {
        sb->warned = ngx_current_msec;

        ngx_log_error(NGX_LOG_WARN, sb->log, 0,
                      "milvus_cdc: task %V: %V: a TimeTick of the Paused "
                      "task not taken by the target (%ui so far): %V",
                      &sb->task_id, &sc->name, sb->failures, why);
    }
}


void
ngx_http_milvus_cdc_standby_destroy(ngx_http_milvus_cdc_standby_t *sb)
{
    ngx_uint_t                           i;
    ngx_http_milvus_cdc_standby_chan_t  *sc;

    sc = sb->chans.elts;

    for (i = 0; i < sb->chans.nelts; i++) {
        if (sc[i].call) {
            ngx_http_milvus_cdc_grpc_call_cancel(sc[i].call);
        }
    }

    if (sb->target) {
        ngx_http_milvus_cdc_grpc_channel_release(sb->target);
    }

    ngx_destroy_pool(sb->pool);
}
