
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 *
 * The engine's writer: target pchannel queues, one ReplicateMessage call
 * in flight per target pchannel, acks to the source packs, retries and
 * the live reason while the target fails.
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_milvus_cdc_engine_int.h"


static void ngx_http_milvus_cdc_writer_sent(
    ngx_http_milvus_cdc_grpc_result_t *res, void *data);


ngx_http_milvus_cdc_tchan_t *
ngx_http_milvus_cdc_writer_channel(ngx_http_milvus_cdc_engine_t *e,
    ngx_str_t *name)
{
    uint64_t                          last;
    ngx_uint_t                        i;
    ngx_http_milvus_cdc_tchan_t      *t, **tp;
    ngx_http_milvus_cdc_target_ts_t  *saved;

    tp = e->tchans.elts;

    for (i = 0; i < e->tchans.nelts; i++) {
        if (tp[i]->name.len == name->len
            && ngx_strncmp(tp[i]->name.data, name->data, name->len) == 0)
        {
            return tp[i];
        }
    }

    t = ngx_pcalloc(e->pool, sizeof(ngx_http_milvus_cdc_tchan_t));
    if (t == NULL) {
        return NULL;
    }

    t->engine = e;
    t->name.data = ngx_pstrdup(e->pool, name);
    t->name.len = name->len;

    /* never below what an earlier run sent there */

    last = 0;
    saved = e->saved_ts.elts;

    for (i = 0; i < e->saved_ts.nelts; i++) {
        if (saved[i].pchannel.len == name->len
            && ngx_strncmp(saved[i].pchannel.data, name->data, name->len)
               == 0)
        {
            last = saved[i].last_ts;
        }
    }

    if (t->name.data == NULL
        || ngx_array_init(&t->queue, e->pool, 64,
                          sizeof(ngx_http_milvus_cdc_item_t))
           != NGX_OK
        || ngx_http_milvus_cdc_clock_init(&t->clock, e->pool, e->log,
                                          &e->task.task_id, &t->name, last)
           != NGX_OK)
    {
        return NULL;
    }

    tp = ngx_array_push(&e->tchans);
    if (tp == NULL) {
        return NULL;
    }

    *tp = t;

    return t;
}


ngx_int_t
ngx_http_milvus_cdc_writer_enqueue(ngx_http_milvus_cdc_tchan_t *t,
    ngx_str_t *bytes, uint64_t ts, ngx_http_milvus_cdc_pack_t *pack,
    ngx_uint_t *wait)
{
    ngx_http_milvus_cdc_item_t  *item;

    /* reuse the queue's space once everything in it was sent */

    if (t->head == t->queue.nelts && t->inflight == 0) {
        t->head = 0;
        t->queue.nelts = 0;
    }

    item = ngx_array_push(&t->queue);
    if (item == NULL) {
        ngx_free(bytes->data);
        return NGX_ERROR;
    }

    item->bytes = *bytes;
    item->ts = ts;
    item->pack = pack;
    item->wait = wait;

    if (pack) {
        pack->remaining++;
    }

    return NGX_OK;
}


/* one ReplicateMessage per idle target pchannel with queued messages */

void
ngx_http_milvus_cdc_writer_send(ngx_http_milvus_cdc_engine_t *e)
{
    size_t                                 size;
    ngx_str_t                             *msgs, body;
    ngx_uint_t                             i, j, n;
    ngx_http_milvus_cdc_item_t            *item;
    ngx_http_milvus_cdc_tchan_t          **tp, *t;
    ngx_http_milvus_cdc_target_ts_t        ts;
    ngx_http_milvus_cdc_msg_replicate_t    rp;
    ngx_http_milvus_cdc_grpc_call_conf_t   cf;

    tp = e->tchans.elts;

    for (i = 0; i < e->tchans.nelts; i++) {
        t = tp[i];

        if (t->inflight || t->head == t->queue.nelts
            || (t->retry_at
                && (ngx_msec_int_t) (ngx_current_msec - t->retry_at) < 0))
        {
            continue;
        }

        item = t->queue.elts;
        size = 0;

        for (n = 0; t->head + n < t->queue.nelts && n < ENGINE_BATCH_MSGS;
             n++)
        {
            size += item[t->head + n].bytes.len;

            if (size > ENGINE_BATCH_BYTES && n) {
                break;
            }
        }

        msgs = ngx_alloc(n * sizeof(ngx_str_t), e->log);
        if (msgs == NULL) {
            return;
        }

        for (j = 0; j < n; j++) {
            msgs[j] = item[t->head + j].bytes;
        }

        ngx_memzero(&rp, sizeof(rp));
        rp.channel_name = t->name;
        rp.begin_ts = item[t->head].ts;
        rp.end_ts = item[t->head + n - 1].ts;
        rp.msgs = msgs;
        rp.nmsgs = n;

        if (ngx_http_milvus_cdc_msg_replicate(&rp, &body, e->log) != NGX_OK) {
            ngx_free(msgs);
            return;
        }

        ngx_free(msgs);

        /*
         * what goes out is remembered first: the next run never sends
         * older timestamps to this pchannel
         */

        ts.pchannel = t->name;
        ts.last_ts = t->clock.last_ts;

        if (ngx_http_milvus_cdc_store_checkpoint_save(e->store,
                                                      &e->task.task_id, NULL,
                                                      &ts, 1)
            != NGX_OK)
        {
            ngx_free(body.data);
            return;
        }

        ngx_memzero(&cf, sizeof(cf));
        cf.method = *ngx_http_milvus_cdc_msg_method(
                                        NGX_HTTP_MILVUS_CDC_MSG_RPC_REPLICATE);
        cf.request = body;
        cf.timeout = ENGINE_RPC_TIMEOUT;
        cf.handler = ngx_http_milvus_cdc_writer_sent;
        cf.data = t;

        t->call = ngx_http_milvus_cdc_grpc_call_start(e->target, &cf, e->log);

        ngx_free(body.data);

        if (t->call == NULL) {
            t->retry_at = ngx_current_msec + ENGINE_RETRY_DELAY;
            continue;
        }

        t->inflight = n;
        e->rpcs++;
    }
}


static void
ngx_http_milvus_cdc_writer_sent(ngx_http_milvus_cdc_grpc_result_t *res,
    void *data)
{
    ngx_http_milvus_cdc_tchan_t *t = data;

    ngx_int_t                         rc;
    ngx_uint_t                        i;
    ngx_http_milvus_cdc_item_t       *item;
    ngx_http_milvus_cdc_engine_t     *e;
    ngx_http_milvus_cdc_msg_reply_t   r;

    e = t->engine;
    t->call = NULL;
    e->rpcs--;

    if (res->status != 0) {
        ngx_http_milvus_cdc_writer_trouble(e,
                   ngx_http_milvus_cdc_msg_method(
                                       NGX_HTTP_MILVUS_CDC_MSG_RPC_REPLICATE),
                   &t->name, res);
        t->inflight = 0;
        t->retry_at = ngx_current_msec + ENGINE_RETRY_DELAY;
        return;
    }

    ngx_http_milvus_cdc_writer_recovered(e);

    ngx_memzero(&r, sizeof(r));

    rc = ngx_http_milvus_cdc_msg_reply(NGX_HTTP_MILVUS_CDC_MSG_RPC_REPLICATE,
                                       &res->reply, &r, e->log);

    if (rc != NGX_OK) {

        /*
         * a busy target refuses too ("getSegmentID failed"): the same
         * messages again, later; a refusal that lasts pauses the task
         */

        if (++t->refused < ENGINE_REFUSALS) {
            ngx_log_error(NGX_LOG_WARN, e->log, 0,
                          "milvus_cdc: task %V: the target refused the "
                          "replicated messages of %V: %V, retrying",
                          &e->task.task_id, &t->name, &r.reason);

            t->retry_at = ngx_current_msec
                          + ENGINE_RETRY_DELAY * t->refused;

        } else {
            ngx_http_milvus_cdc_engine_fail(e, "the target refused the "
                                            "replicated messages of %V: %V",
                                            &t->name, &r.reason);
        }

        ngx_http_milvus_cdc_msg_reply_free(&r);
        t->inflight = 0;
        return;
    }

    ngx_http_milvus_cdc_msg_reply_free(&r);
    t->refused = 0;

    item = t->queue.elts;

    for (i = 0; i < t->inflight; i++) {
        ngx_free(item[t->head + i].bytes.data);

        if (item[t->head + i].pack) {
            item[t->head + i].pack->remaining--;
        }

        if (item[t->head + i].wait) {
            (*item[t->head + i].wait)--;
        }
    }

    t->head += t->inflight;
    t->inflight = 0;
    t->retry_at = 0;

    if (t->head == t->queue.nelts) {
        t->head = 0;
        t->queue.nelts = 0;
    }
}


/*
 * A target call failed in transport (the target is down or restarting):
 * it is retried.  The first failures are logged one by one, then one line
 * per ENGINE_TROUBLE_LOG ms; while it lasts, the task stays Running with a
 * reason naming it (rewritten every ENGINE_TROUBLE_SHOW ms with the count).
 */

void
ngx_http_milvus_cdc_writer_trouble(ngx_http_milvus_cdc_engine_t *e,
    ngx_str_t *call, ngx_str_t *on, ngx_http_milvus_cdc_grpc_result_t *res)
{
    u_char      *p;
    ngx_int_t    prev;
    ngx_str_t    reason, none;
    ngx_tm_t     tm;
    u_char       buf[512];

    if (e->state == ENGINE_FAILED) {
        return;
    }

    ngx_str_null(&none);

    if (on == NULL) {
        on = &none;
    }

    if (e->trouble == 0) {
        e->trouble = ngx_current_msec;
        e->trouble_at = ngx_time();
        e->trouble_n = 0;
        e->trouble_logged = 0;
        e->trouble_shown = 0;
    }

    e->trouble_n++;

    if (e->trouble_n <= ENGINE_TROUBLE_LOGGED
        || ngx_current_msec - e->trouble_logged >= ENGINE_TROUBLE_LOG)
    {
        ngx_log_error(NGX_LOG_WARN, e->log, 0,
                      "milvus_cdc: task %V: %V%s%V on the target failed: "
                      "%s: %V, retrying (%ui failures in %M ms)",
                      &e->task.task_id, call, on->len ? " of " : "", on,
                      ngx_http_milvus_cdc_grpc_status_name(res->status),
                      &res->details, e->trouble_n,
                      ngx_current_msec - e->trouble);
        e->trouble_logged = ngx_current_msec;
    }

    if (e->trouble_shown
        && ngx_current_msec - e->trouble_shown < ENGINE_TROUBLE_SHOW)
    {
        return;
    }

    e->trouble_shown = ngx_current_msec;

    ngx_gmtime(e->trouble_at, &tm);

    p = ngx_slprintf(buf, buf + sizeof(buf),
                     "target %s since %4d-%02d-%02dT%02d:%02d:%02dZ, "
                     "%ui retries: %V%s%V: %s",
                     (res->status == NGX_HTTP_MILVUS_CDC_GRPC_UNAVAILABLE
                      || res->status
                         == NGX_HTTP_MILVUS_CDC_GRPC_DEADLINE_EXCEEDED)
                     ? "unreachable" : "calls failing",
                     tm.ngx_tm_year, tm.ngx_tm_mon, tm.ngx_tm_mday,
                     tm.ngx_tm_hour, tm.ngx_tm_min, tm.ngx_tm_sec,
                     e->trouble_n, call, on->len ? " of " : "", on,
                     ngx_http_milvus_cdc_grpc_status_name(res->status));

    reason.data = buf;
    reason.len = p - buf;

    (void) ngx_http_milvus_cdc_store_set_state(e->store, &e->task.task_id,
                                        1 << NGX_HTTP_MILVUS_CDC_RUNNING,
                                        NGX_HTTP_MILVUS_CDC_RUNNING, &reason,
                                        &prev);
}


/* a target call went through: the reason of a past failure is cleared */

void
ngx_http_milvus_cdc_writer_recovered(ngx_http_milvus_cdc_engine_t *e)
{
    ngx_int_t  prev;

    if (e->trouble == 0) {
        return;
    }

    ngx_log_error(NGX_LOG_NOTICE, e->log, 0,
                  "milvus_cdc: task %V: target reachable again after "
                  "%M.%03M s, %ui retries", &e->task.task_id,
                  (ngx_current_msec - e->trouble) / 1000,
                  (ngx_current_msec - e->trouble) % 1000, e->trouble_n);

    e->trouble = 0;

    if (e->state == ENGINE_FAILED || e->trouble_shown == 0) {
        return;
    }

    (void) ngx_http_milvus_cdc_store_set_state(e->store, &e->task.task_id,
                                        1 << NGX_HTTP_MILVUS_CDC_RUNNING,
                                        NGX_HTTP_MILVUS_CDC_RUNNING, NULL,
                                        &prev);
}
