
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 *
 * The engine's writer: target pchannel queues, one ReplicateMessage call
 * in flight per target pchannel, acks to the source packs, retries and
 * the live reason while the target fails.
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_milvus_cdc.h"
#include "ngx_http_milvus_cdc_msg.h"
#include "ngx_http_milvus_cdc_rpc.h"
#include "ngx_http_milvus_cdc_writer.h"


static void ngx_http_milvus_cdc_writer_sent(
    ngx_http_milvus_cdc_grpc_result_t *res, void *data);
static void ngx_http_milvus_cdc_writer_refusal(
    ngx_http_milvus_cdc_tchan_t *t, ngx_str_t *reason);
static void ngx_http_milvus_cdc_writer_acked(ngx_http_milvus_cdc_tchan_t *t);


ngx_int_t
ngx_http_milvus_cdc_writer_init(ngx_http_milvus_cdc_writer_t *w)
{
    if (w->saved.elts == NULL
        && ngx_array_init(&w->saved, w->pool, 1,
                          sizeof(ngx_http_milvus_cdc_target_ts_t))
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_array_init(&w->tchans, w->pool, 16, sizeof(void *));
}


ngx_http_milvus_cdc_tchan_t *
ngx_http_milvus_cdc_writer_channel(ngx_http_milvus_cdc_writer_t *w,
    ngx_str_t *name)
{
    uint64_t                          last, tick;
    ngx_uint_t                        i;
    ngx_http_milvus_cdc_tchan_t      *t, **tp;
    ngx_http_milvus_cdc_target_ts_t  *saved;

    tp = w->tchans.elts;

    for (i = 0; i < w->tchans.nelts; i++) {
        if (tp[i]->name.len == name->len
            && ngx_strncmp(tp[i]->name.data, name->data, name->len) == 0)
        {
            return tp[i];
        }
    }

    t = ngx_pcalloc(w->pool, sizeof(ngx_http_milvus_cdc_tchan_t));
    if (t == NULL) {
        return NULL;
    }

    t->writer = w;
    t->name.data = ngx_pstrdup(w->pool, name);
    t->name.len = name->len;

    /* never below what an earlier run sent there */

    last = 0;
    tick = 0;
    saved = w->saved.elts;

    for (i = 0; i < w->saved.nelts; i++) {
        if (saved[i].pchannel.len == name->len
            && ngx_strncmp(saved[i].pchannel.data, name->data, name->len)
               == 0)
        {
            last = saved[i].last_ts;
            tick = saved[i].tick_ts;
        }
    }

    if (t->name.data == NULL
        || ngx_array_init(&t->queue, w->pool, 64,
                          sizeof(ngx_http_milvus_cdc_item_t))
           != NGX_OK
        || ngx_http_milvus_cdc_clock_init(&t->clock, w->pool, w->log,
                                          w->task_id, &t->name, last)
           != NGX_OK)
    {
        return NULL;
    }

    /* nor at or below a TimeTick sent there while the task was Paused */

    ngx_http_milvus_cdc_clock_ticked(&t->clock, tick);

    tp = ngx_array_push(&w->tchans);
    if (tp == NULL) {
        return NULL;
    }

    *tp = t;

    return t;
}


ngx_int_t
ngx_http_milvus_cdc_writer_enqueue(ngx_http_milvus_cdc_tchan_t *t,
    ngx_str_t *bytes, uint64_t ts, ngx_uint_t *remaining, ngx_uint_t *wait)
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
    item->remaining = remaining;
    item->wait = wait;

    if (remaining) {
        (*remaining)++;
    }

    return NGX_OK;
}


/* one ReplicateMessage per idle target pchannel with queued messages */

void
ngx_http_milvus_cdc_writer_send(ngx_http_milvus_cdc_writer_t *w)
{
    size_t                                 size;
    ngx_str_t                             *msgs, body;
    ngx_uint_t                             i, j, n;
    ngx_http_milvus_cdc_item_t            *item;
    ngx_http_milvus_cdc_tchan_t          **tp, *t;
    ngx_http_milvus_cdc_target_ts_t        ts;
    ngx_http_milvus_cdc_msg_replicate_t    rp;
    ngx_http_milvus_cdc_grpc_call_conf_t   cf;

    tp = w->tchans.elts;

    for (i = 0; i < w->tchans.nelts; i++) {
        t = tp[i];

        if (t->inflight || t->head == t->queue.nelts
            || (t->retry_at
                && (ngx_msec_int_t) (ngx_current_msec - t->retry_at) < 0))
        {
            continue;
        }

        item = t->queue.elts;
        size = 0;

        for (n = 0;
             t->head + n < t->queue.nelts
             && n < NGX_HTTP_MILVUS_CDC_WRITER_BATCH_MSGS;
             n++)
        {
            size += item[t->head + n].bytes.len;

            if (size > NGX_HTTP_MILVUS_CDC_WRITER_BATCH_BYTES && n) {
                break;
            }
        }

        msgs = ngx_alloc(n * sizeof(ngx_str_t), w->log);
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

        if (ngx_http_milvus_cdc_msg_replicate(&rp, &body, w->log) != NGX_OK) {
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
        ts.tick_ts = 0;

        if (ngx_http_milvus_cdc_store_checkpoint_save(w->store, w->task_id,
                                                      NULL, &ts, 1)
            != NGX_OK)
        {
            ngx_free(body.data);
            return;
        }

        ngx_memzero(&cf, sizeof(cf));
        cf.method = *ngx_http_milvus_cdc_msg_method(
                                        NGX_HTTP_MILVUS_CDC_MSG_RPC_REPLICATE);
        cf.request = body;
        cf.timeout = NGX_HTTP_MILVUS_CDC_WRITER_TIMEOUT;
        cf.handler = ngx_http_milvus_cdc_writer_sent;
        cf.data = t;

        t->call = ngx_http_milvus_cdc_grpc_call_start(w->target, &cf, w->log);

        ngx_free(body.data);

        if (t->call == NULL) {
            t->retry_at = ngx_current_msec + NGX_HTTP_MILVUS_CDC_WRITER_RETRY;
            continue;
        }

        t->inflight = n;
        w->calls++;
    }
}


static void
ngx_http_milvus_cdc_writer_sent(ngx_http_milvus_cdc_grpc_result_t *res,
    void *data)
{
    ngx_http_milvus_cdc_tchan_t *t = data;

    ngx_int_t                         rc;
    ngx_http_milvus_cdc_writer_t     *w;
    ngx_http_milvus_cdc_msg_reply_t   r;

    w = t->writer;
    t->call = NULL;
    w->calls--;

    if (res->status != 0) {
        ngx_http_milvus_cdc_writer_trouble(w,
                   ngx_http_milvus_cdc_msg_method(
                                       NGX_HTTP_MILVUS_CDC_MSG_RPC_REPLICATE),
                   &t->name, res);
        t->inflight = 0;
        t->retry_at = ngx_current_msec + NGX_HTTP_MILVUS_CDC_WRITER_RETRY;
        return;
    }

    ngx_http_milvus_cdc_writer_recovered(w);

    ngx_memzero(&r, sizeof(r));

    rc = ngx_http_milvus_cdc_msg_reply(NGX_HTTP_MILVUS_CDC_MSG_RPC_REPLICATE,
                                       &res->reply, &r, w->log);

    if (rc != NGX_OK) {
        ngx_http_milvus_cdc_writer_refusal(t, &r.reason);
        ngx_http_milvus_cdc_msg_reply_free(&r);
        t->inflight = 0;
        return;
    }

    ngx_http_milvus_cdc_msg_reply_free(&r);
    t->refused = 0;

    ngx_http_milvus_cdc_writer_acked(t);
}


/*
 * A busy target refuses too ("getSegmentID failed"): the same messages
 * again, later; a refusal that lasts is the refused handler's
 */

static void
ngx_http_milvus_cdc_writer_refusal(ngx_http_milvus_cdc_tchan_t *t,
    ngx_str_t *reason)
{
    ngx_str_t                      none = ngx_string("(no reason given)");
    ngx_http_milvus_cdc_writer_t  *w;

    w = t->writer;

    if (reason->len == 0) {
        reason = &none;
    }

    t->refused++;
    t->retry_at = ngx_current_msec
                  + NGX_HTTP_MILVUS_CDC_WRITER_RETRY * t->refused;

    if (t->refused >= NGX_HTTP_MILVUS_CDC_WRITER_REFUSALS) {
        w->refused(w->data, &t->name, reason);
        return;
    }

    ngx_log_error(NGX_LOG_WARN, w->log, 0,
                  "milvus_cdc: task %V: the target refused the replicated "
                  "messages of %V: %V, retrying", w->task_id, &t->name,
                  reason);
}


/* the items of the call in flight were acknowledged */

static void
ngx_http_milvus_cdc_writer_acked(ngx_http_milvus_cdc_tchan_t *t)
{
    ngx_uint_t                   i;
    ngx_http_milvus_cdc_item_t  *item;

    item = t->queue.elts;

    for (i = 0; i < t->inflight; i++) {
        ngx_free(item[t->head + i].bytes.data);

        if (item[t->head + i].remaining) {
            (*item[t->head + i].remaining)--;
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


void
ngx_http_milvus_cdc_writer_stop(ngx_http_milvus_cdc_writer_t *w)
{
    ngx_uint_t                     i, j;
    ngx_http_milvus_cdc_item_t    *item;
    ngx_http_milvus_cdc_tchan_t  **tp;

    tp = w->tchans.elts;

    for (i = 0; i < w->tchans.nelts; i++) {
        if (tp[i]->call) {
            ngx_http_milvus_cdc_grpc_call_cancel(tp[i]->call);
            tp[i]->call = NULL;
            w->calls--;
        }

        item = tp[i]->queue.elts;

        for (j = tp[i]->head; j < tp[i]->queue.nelts; j++) {
            ngx_free(item[j].bytes.data);
        }

        tp[i]->head = 0;
        tp[i]->inflight = 0;
        tp[i]->queue.nelts = 0;
    }
}


/*
 * A target call failed in transport (the target is down or restarting):
 * it is retried.  The first failures are logged one by one, then one line
 * per ..._TROUBLE_LOG ms; while it lasts, the task stays Running with a
 * reason naming it (rewritten every ..._TROUBLE_SHOW ms with the count).
 */

void
ngx_http_milvus_cdc_writer_trouble(ngx_http_milvus_cdc_writer_t *w,
    ngx_str_t *call, ngx_str_t *on, ngx_http_milvus_cdc_grpc_result_t *res)
{
    u_char      *p;
    ngx_int_t    prev;
    ngx_str_t    reason, none;
    ngx_tm_t     tm;
    u_char       buf[512];

    if (w->failed) {
        return;
    }

    ngx_str_null(&none);

    if (on == NULL) {
        on = &none;
    }

    if (w->trouble == 0) {
        w->trouble = ngx_current_msec;
        w->trouble_at = ngx_time();
        w->trouble_n = 0;
        w->trouble_logged = 0;
        w->trouble_shown = 0;
    }

    w->trouble_n++;

    if (w->trouble_n <= NGX_HTTP_MILVUS_CDC_WRITER_TROUBLE_LOGGED
        || ngx_current_msec - w->trouble_logged >= NGX_HTTP_MILVUS_CDC_WRITER_TROUBLE_LOG)
    {
        ngx_log_error(NGX_LOG_WARN, w->log, 0,
                      "milvus_cdc: task %V: %V%s%V on the target failed: "
                      "%s: %V, retrying (%ui failures in %M ms)",
                      w->task_id, call, on->len ? " of " : "", on,
                      ngx_http_milvus_cdc_grpc_status_name(res->status),
                      &res->details, w->trouble_n,
                      ngx_current_msec - w->trouble);
        w->trouble_logged = ngx_current_msec;
    }

    if (w->trouble_shown
        && ngx_current_msec - w->trouble_shown < NGX_HTTP_MILVUS_CDC_WRITER_TROUBLE_SHOW)
    {
        return;
    }

    w->trouble_shown = ngx_current_msec;

    ngx_gmtime(w->trouble_at, &tm);

    p = ngx_slprintf(buf, buf + sizeof(buf),
                     "target %s since %4d-%02d-%02dT%02d:%02d:%02dZ, "
                     "%ui retries: %V%s%V: %s",
                     (res->status == NGX_HTTP_MILVUS_CDC_GRPC_UNAVAILABLE
                      || res->status
                         == NGX_HTTP_MILVUS_CDC_GRPC_DEADLINE_EXCEEDED)
                     ? "unreachable" : "calls failing",
                     tm.ngx_tm_year, tm.ngx_tm_mon, tm.ngx_tm_mday,
                     tm.ngx_tm_hour, tm.ngx_tm_min, tm.ngx_tm_sec,
                     w->trouble_n, call, on->len ? " of " : "", on,
                     ngx_http_milvus_cdc_grpc_status_name(res->status));

    reason.data = buf;
    reason.len = p - buf;

    (void) ngx_http_milvus_cdc_store_set_state(w->store, w->task_id,
                                        1 << NGX_HTTP_MILVUS_CDC_RUNNING,
                                        NGX_HTTP_MILVUS_CDC_RUNNING, &reason,
                                        &prev);
}


/* a target call went through: the reason of a past failure is cleared */

void
ngx_http_milvus_cdc_writer_recovered(ngx_http_milvus_cdc_writer_t *w)
{
    ngx_int_t  prev;

    if (w->trouble == 0) {
        return;
    }

    ngx_log_error(NGX_LOG_NOTICE, w->log, 0,
                  "milvus_cdc: task %V: target reachable again after "
                  "%M.%03M s, %ui retries", w->task_id,
                  (ngx_current_msec - w->trouble) / 1000,
                  (ngx_current_msec - w->trouble) % 1000, w->trouble_n);

    w->trouble = 0;

    if (w->failed || w->trouble_shown == 0) {
        return;
    }

    (void) ngx_http_milvus_cdc_store_set_state(w->store, w->task_id,
                                        1 << NGX_HTTP_MILVUS_CDC_RUNNING,
                                        NGX_HTTP_MILVUS_CDC_RUNNING, NULL,
                                        &prev);
}
