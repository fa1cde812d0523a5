
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 *
 * The replication engine of one task, in the helper process: its lifecycle
 * (create, run, stop, destroy), the start of its connections, and failing
 * the task.  Single-threaded and non-blocking: Kafka is polled, gRPC calls
 * complete from the grpc layer's timer.  Its layers: registry.c, source.c,
 * ops.c, writer.c, clock.c (docs/engine.md, "Files").
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_milvus_cdc_engine_int.h"
#include "ngx_http_milvus_cdc_standby.h"


static ngx_int_t ngx_http_milvus_cdc_engine_copy(ngx_pool_t *pool,
    ngx_str_t *s);
static ngx_int_t ngx_http_milvus_cdc_engine_start(
    ngx_http_milvus_cdc_engine_t *e);
static void ngx_http_milvus_cdc_engine_idle(ngx_http_milvus_cdc_engine_t *e);
static void ngx_http_milvus_cdc_engine_refused(void *data,
    ngx_str_t *pchannel, ngx_str_t *reason);


ngx_http_milvus_cdc_engine_t *
ngx_http_milvus_cdc_engine_create(ngx_http_milvus_cdc_task_t *task,
    ngx_http_milvus_cdc_main_conf_t *mcf, ngx_http_milvus_cdc_store_t *store,
    ngx_log_t *log)
{
    ngx_pool_t                    *pool;
    ngx_http_milvus_cdc_engine_t  *e;

    pool = ngx_create_pool(16384, log);
    if (pool == NULL) {
        return NULL;
    }

    e = ngx_pcalloc(pool, sizeof(ngx_http_milvus_cdc_engine_t));
    if (e == NULL) {
        ngx_destroy_pool(pool);
        return NULL;
    }

    e->pool = pool;
    e->log = log;
    e->mcf = mcf;
    e->store = store;
    e->task = *task;

    /* what the engine does not use must not point into the caller's pool */

    ngx_str_null(&e->task.connect_json);
    ngx_str_null(&e->task.scope_json);
    e->stale_reason = (task->reason.len != 0);
    ngx_str_null(&e->task.reason);

    if (ngx_http_milvus_cdc_engine_copy(pool, &e->task.task_id) != NGX_OK
        || ngx_http_milvus_cdc_engine_copy(pool, &e->task.target_uri)
           != NGX_OK
        || ngx_http_milvus_cdc_engine_copy(pool, &e->task.target) != NGX_OK
        || ngx_http_milvus_cdc_engine_copy(pool, &e->task.token) != NGX_OK
        || ngx_http_milvus_cdc_engine_copy(pool, &e->task.dial_json)
           != NGX_OK
        || ngx_http_milvus_cdc_engine_copy(pool, &e->task.scope) != NGX_OK)
    {
        ngx_destroy_pool(pool);
        return NULL;
    }

    /* the positions the task was created with, if any */

    if (ngx_http_milvus_cdc_source_positions(e, task)
        != NGX_OK)
    {
        ngx_destroy_pool(pool);
        return NULL;
    }

    e->writer.pool = pool;
    e->writer.log = log;
    e->writer.task_id = &e->task.task_id;
    e->writer.store = store;
    e->writer.refused = ngx_http_milvus_cdc_engine_refused;
    e->writer.data = e;

    if (ngx_http_milvus_cdc_writer_init(&e->writer) != NGX_OK) {
        ngx_destroy_pool(pool);
        return NULL;
    }

    ngx_http_milvus_cdc_ids_init(&e->ids,
                                 ngx_crc32_short(task->task_id.data,
                                                 task->task_id.len));

    if (ngx_array_init(&e->schans, pool, 16,
                       sizeof(ngx_http_milvus_cdc_schan_t)) != NGX_OK
        || ngx_array_init(&e->colls, pool, 16, sizeof(void *)) != NGX_OK)
    {
        ngx_destroy_pool(pool);
        return NULL;
    }

    return e;
}


/* s, copied into pool, NUL-terminated */

static ngx_int_t
ngx_http_milvus_cdc_engine_copy(ngx_pool_t *pool, ngx_str_t *s)
{
    u_char  *p;

    p = ngx_pnalloc(pool, s->len + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(p, s->data, s->len);
    p[s->len] = '\0';
    s->data = p;

    return NGX_OK;
}


ngx_int_t
ngx_http_milvus_cdc_engine_run(ngx_http_milvus_cdc_engine_t *e,
    ngx_msec_t budget)
{
    ngx_int_t   rc;
    ngx_msec_t  deadline;

    deadline = ngx_current_msec + budget;

    switch (e->state) {

    case ENGINE_INIT:
        if (ngx_http_milvus_cdc_engine_start(e) != NGX_OK) {
            return NGX_ABORT;
        }

        return NGX_OK;

    case ENGINE_META:
    case ENGINE_ENSURE:
        /* after a failure, the metadata again, then the DDL */

        if (!e->meta_busy && !e->ddl_call && e->ddl == NULL
            && (ngx_msec_int_t) (ngx_current_msec - e->meta_at) >= 0)
        {
            if (ngx_http_milvus_cdc_registry_snapshot(e) != NGX_OK) {
                return NGX_ABORT;
            }
        }

        return NGX_OK;

    case ENGINE_FAILED:
        return NGX_ABORT;

    case ENGINE_STOPPING:
        return NGX_OK;
    }

    /* ENGINE_RUNNING */

    if ((ngx_msec_int_t) (ngx_current_msec - e->meta_at) >= 0
        && !e->meta_busy)
    {
        (void) ngx_http_milvus_cdc_registry_refresh(e);
    }

    rc = ngx_http_milvus_cdc_source_unblock(e);

    if (rc == NGX_OK) {
        rc = ngx_http_milvus_cdc_source_poll(e, deadline);
    }

    if (e->state == ENGINE_FAILED) {
        return NGX_ABORT;
    }

    ngx_http_milvus_cdc_engine_idle(e);
    ngx_http_milvus_cdc_writer_send(&e->writer);
    ngx_http_milvus_cdc_source_advance(e);

    return rc == NGX_AGAIN ? NGX_AGAIN : NGX_OK;
}


ngx_int_t
ngx_http_milvus_cdc_engine_stop(ngx_http_milvus_cdc_engine_t *e,
    ngx_msec_t grace)
{
    if (e->state != ENGINE_STOPPING) {
        e->state = ENGINE_STOPPING;
        e->stop_at = ngx_current_msec + grace;
    }

    /* what was acknowledged is checkpointed before the engine goes */

    ngx_http_milvus_cdc_source_advance(e);

    if (e->writer.calls == 0 && e->ddl_call == NULL && e->rep_call == NULL)
    {
        return NGX_OK;
    }

    if ((ngx_msec_int_t) (ngx_current_msec - e->stop_at) >= 0) {
        ngx_log_error(NGX_LOG_WARN, e->log, 0,
                      "milvus_cdc: task %V: %ui target calls still in flight "
                      "at stop, abandoned", &e->task.task_id,
                      e->writer.calls);
        return NGX_OK;
    }

    return NGX_AGAIN;
}


void
ngx_http_milvus_cdc_engine_destroy(ngx_http_milvus_cdc_engine_t *e)
{
    ngx_uint_t                     i;
    ngx_http_milvus_cdc_pack_t    *p, *next;
    ngx_http_milvus_cdc_schan_t   *sc;

    ngx_http_milvus_cdc_writer_stop(&e->writer);

    if (e->ddl_call) {
        ngx_http_milvus_cdc_grpc_call_cancel(e->ddl_call);
    }

    if (e->rep_call) {
        ngx_http_milvus_cdc_grpc_call_cancel(e->rep_call);
    }

    sc = e->schans.elts;

    for (i = 0; i < e->schans.nelts; i++) {
        for (p = sc[i].head; p; p = next) {
            next = p->next;
            ngx_free(p);
        }

        if (sc[i].open) {
            ngx_free(sc[i].open);
        }

        if (sc[i].held.data) {
            ngx_free(sc[i].held.data);
        }
    }

    if (e->kafka) {
        ngx_http_milvus_cdc_kafka_destroy(e->kafka);
    }

    if (e->meta) {
        ngx_http_milvus_cdc_meta_destroy(e->meta);
    }

    if (e->snap) {
        ngx_http_milvus_cdc_meta_snapshot_free(e->snap);
    }

    if (e->target) {
        ngx_http_milvus_cdc_grpc_channel_release(e->target);
    }

    ngx_destroy_pool(e->pool);
}


/* the connections: target channel, source metadata, Kafka */

static ngx_int_t
ngx_http_milvus_cdc_engine_start(ngx_http_milvus_cdc_engine_t *e)
{
    u_char                                   err[256];
    ngx_int_t                                prev;
    ngx_array_t                             *saved;
    ngx_http_milvus_cdc_meta_conf_t          mc;
    ngx_http_milvus_cdc_kafka_conf_t         kc;

    e->target = ngx_http_milvus_cdc_standby_channel(e->pool, &e->task,
                                                    e->log, err, sizeof(err));

    if (e->target == NULL) {
        ngx_http_milvus_cdc_engine_fail(e, "fail to connect the target %V: "
                                        "%s", &e->task.target_uri, err);
        return NGX_ERROR;
    }

    e->writer.target = e->target;

    ngx_memzero(&mc, sizeof(mc));

    mc.endpoints = e->mcf->etcd_endpoints;
    mc.root_path = e->mcf->etcd_root_path;

    e->meta = ngx_http_milvus_cdc_meta_create(&mc, e->log);
    if (e->meta == NULL) {
        ngx_http_milvus_cdc_engine_fail(e, "fail to read the source "
                                        "metadata from etcd");
        return NGX_ERROR;
    }

    ngx_memzero(&kc, sizeof(kc));

    kc.brokers = e->mcf->kafka_brokers;
    kc.log = e->log;
    kc.group_id.len = e->task.task_id.len + sizeof("milvus-cdc-") - 1;
    kc.group_id.data = ngx_pnalloc(e->pool, kc.group_id.len + 1);
    if (kc.group_id.data == NULL) {
        return NGX_ERROR;
    }

    (void) ngx_sprintf(kc.group_id.data, "milvus-cdc-%V%Z", &e->task.task_id);

    e->kafka = ngx_http_milvus_cdc_kafka_create(&kc, err, sizeof(err));
    if (e->kafka == NULL) {
        ngx_http_milvus_cdc_engine_fail(e, "fail to read the source log: %s",
                                        err);
        return NGX_ERROR;
    }

    /* what the previous runs sent to the target pchannels */

    if (ngx_http_milvus_cdc_store_target_channels(e->store, e->pool,
                                                  &e->task.task_id, &saved)
        != NGX_OK)
    {
        ngx_http_milvus_cdc_engine_fail(e, "fail to read the task store");
        return NGX_ERROR;
    }

    e->writer.saved = *saved;

    /* the collections earlier runs created or found on the target */

    if (ngx_http_milvus_cdc_store_id_maps(e->store, e->pool,
                                          &e->task.task_id, &saved)
        != NGX_OK)
    {
        ngx_http_milvus_cdc_engine_fail(e, "fail to read the task store");
        return NGX_ERROR;
    }

    e->id_maps = *saved;

    /* a Running task's reason told of a failure of an earlier run */

    if (e->stale_reason) {
        (void) ngx_http_milvus_cdc_store_set_state(e->store,
                                        &e->task.task_id,
                                        1 << NGX_HTTP_MILVUS_CDC_RUNNING,
                                        NGX_HTTP_MILVUS_CDC_RUNNING, NULL,
                                        &prev);
    }

    e->state = ENGINE_META;
    e->heard_at = ngx_current_msec;

    ngx_log_error(NGX_LOG_INFO, e->log, 0,
                  "milvus_cdc: task %V: reading the source metadata",
                  &e->task.task_id);

    return ngx_http_milvus_cdc_registry_snapshot(e);
}


/*
 * No TimeTick read from the source for ENGINE_SOURCE_SILENT ms (Milvus
 * writes one on every pchannel every 200 ms, so the source or its log is
 * down, or every pchannel waits): the target's pchannels get TimeTicks of
 * the time now every ENGINE_IDLE_PERIOD ms, kept below the stamps still
 * open (clock_idle), so that Strong reads on the target answer with what
 * was replicated; what the source sends later is stamped above them.
 */

static void
ngx_http_milvus_cdc_engine_idle(ngx_http_milvus_cdc_engine_t *e)
{
    uint64_t                       now, ts;
    ngx_str_t                      bytes;
    ngx_uint_t                     i;
    ngx_time_t                    *tp;
    ngx_http_milvus_cdc_tchan_t  **t;

    if (ngx_current_msec - e->heard_at < ENGINE_SOURCE_SILENT) {
        if (e->idle_at) {
            ngx_log_error(NGX_LOG_NOTICE, e->log, 0,
                          "milvus_cdc: task %V: the source's TimeTicks are "
                          "read again", &e->task.task_id);
            e->idle_at = 0;
        }

        return;
    }

    if (e->idle_at == 0) {
        ngx_log_error(NGX_LOG_NOTICE, e->log, 0,
                      "milvus_cdc: task %V: no TimeTick read from the "
                      "source for %M ms: the target's pchannels get "
                      "TimeTicks of the time now", &e->task.task_id,
                      ngx_current_msec - e->heard_at);

    } else if ((ngx_msec_int_t) (ngx_current_msec - e->idle_at) < 0) {
        return;
    }

    e->idle_at = ngx_current_msec + ENGINE_IDLE_PERIOD;

    tp = ngx_timeofday();
    now = ((uint64_t) tp->sec * 1000 + tp->msec)
          << NGX_HTTP_MILVUS_CDC_CLOCK_LOGICAL_BITS;

    t = e->writer.tchans.elts;

    for (i = 0; i < e->writer.tchans.nelts; i++) {
        ts = ngx_http_milvus_cdc_clock_idle(&t[i]->clock, now);

        if (ts == 0) {
            continue;
        }

        if (ngx_http_milvus_cdc_msg_timetick(ts, &bytes, e->log) != NGX_OK
            || ngx_http_milvus_cdc_writer_enqueue(t[i], &bytes, ts, NULL,
                                                  NULL)
               != NGX_OK)
        {
            return;
        }
    }
}


/*
 * A message could not be replicated (the path that failed may not have
 * said why): the task pauses rather than skip it, since a later
 * checkpoint would move past it.
 */

void
ngx_http_milvus_cdc_engine_lost(ngx_http_milvus_cdc_engine_t *e,
    ngx_http_milvus_cdc_schan_t *sc, int64_t offset, u_char *data, size_t len)
{
    ngx_http_milvus_cdc_msg_header_t  h;

    if (e->state == ENGINE_FAILED) {
        return;
    }

    ngx_memzero(&h, sizeof(h));
    (void) ngx_http_milvus_cdc_msg_header(data, len, &h);

    ngx_http_milvus_cdc_engine_fail(e, "fail to replicate the %s at offset "
                                    "%L of %V",
                                    ngx_http_milvus_cdc_msg_type_name(h.type),
                                    offset, &sc->name);
}


/* the writer's refused handler: the target refused a pchannel for good */

static void
ngx_http_milvus_cdc_engine_refused(void *data, ngx_str_t *pchannel,
    ngx_str_t *reason)
{
    ngx_http_milvus_cdc_engine_t *e = data;

    ngx_http_milvus_cdc_engine_fail(e, "the target refused the replicated "
                                    "messages of %V: %V", pchannel, reason);
}


/* the task pauses with a reason the API shows */

void
ngx_http_milvus_cdc_engine_fail(ngx_http_milvus_cdc_engine_t *e,
    const char *fmt, ...)
{
    u_char     *p;
    va_list     args;
    ngx_int_t   prev;
    ngx_str_t   reason;
    u_char      buf[512];

    if (e->state == ENGINE_FAILED) {
        return;
    }

    e->state = ENGINE_FAILED;
    e->writer.failed = 1;

    va_start(args, fmt);
    p = ngx_vslprintf(buf, buf + sizeof(buf), fmt, args);
    va_end(args);

    reason.data = buf;
    reason.len = p - buf;

    ngx_log_error(NGX_LOG_ERR, e->log, 0,
                  "milvus_cdc: task %V: paused: %V", &e->task.task_id,
                  &reason);

    (void) ngx_http_milvus_cdc_store_set_state(e->store, &e->task.task_id,
                                        1 << NGX_HTTP_MILVUS_CDC_RUNNING,
                                        NGX_HTTP_MILVUS_CDC_PAUSED, &reason,
                                        &prev);
}
