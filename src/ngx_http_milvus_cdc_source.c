
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 *
 * The engine's source side: the source pchannels' start positions (from
 * checkpoints, etcd's start positions or the log's ends), reading them,
 * holding a message until what it needs is ready, and checkpointing what
 * the target acknowledged.  The only user of the Kafka reader.
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_milvus_cdc_engine_int.h"


static ngx_http_milvus_cdc_schan_t *ngx_http_milvus_cdc_source_channel(
    ngx_http_milvus_cdc_engine_t *e, ngx_uint_t i, ngx_uint_t replicate);
static ngx_int_t ngx_http_milvus_cdc_source_checkpoint(
    ngx_http_milvus_cdc_engine_t *e, ngx_http_milvus_cdc_schan_t *sc,
    ngx_array_t *cps);
static ngx_int_t ngx_http_milvus_cdc_source_start(
    ngx_http_milvus_cdc_engine_t *e, ngx_http_milvus_cdc_schan_t *sc,
    ngx_uint_t i);
static int64_t ngx_http_milvus_cdc_source_coll_start(
    ngx_http_milvus_cdc_engine_t *e, ngx_http_milvus_cdc_coll_t *c,
    ngx_http_milvus_cdc_schan_t *sc);
static void ngx_http_milvus_cdc_source_feeds(ngx_http_milvus_cdc_engine_t *e);
static ngx_int_t ngx_http_milvus_cdc_source_assign(
    ngx_http_milvus_cdc_engine_t *e);
static ngx_int_t ngx_http_milvus_cdc_source_waits(
    ngx_http_milvus_cdc_engine_t *e, ngx_http_milvus_cdc_schan_t *sc);
static const char *ngx_http_milvus_cdc_source_wait_for(
    ngx_http_milvus_cdc_engine_t *e, ngx_http_milvus_cdc_schan_t *sc);
static void ngx_http_milvus_cdc_source_block(ngx_http_milvus_cdc_engine_t *e,
    ngx_http_milvus_cdc_schan_t *sc, int64_t offset, u_char *data,
    size_t len);


/*
 * The end and the oldest kept offset of each DML pchannel, taken before
 * the first metadata snapshot: a collection missing from the snapshot was
 * created after it, so all its messages lie past these ends, and reading
 * a pchannel without checkpoint from there loses nothing of it (its own
 * end, resolved later by librdkafka, could lie past its first inserts).
 * A pchannel that does not exist yet is read from its beginning.
 * Returns NGX_OK, NGX_AGAIN (brokers unreachable: logged, tried again),
 * NGX_ERROR (task failed).
 */

ngx_int_t
ngx_http_milvus_cdc_source_ends(ngx_http_milvus_cdc_engine_t *e)
{
    u_char      name[128];
    int64_t    *ends, *lows;
    ngx_int_t   rc;
    ngx_str_t   topic;
    ngx_uint_t  i, n;
    ngx_msec_t  start;

    n = e->mcf->dml_channels;

    if (e->lows == NULL) {
        /* kept from a failed try to the next */
        e->lows = ngx_pnalloc(e->pool, 2 * n * sizeof(int64_t));
        if (e->lows == NULL) {
            ngx_http_milvus_cdc_engine_fail(e, "out of memory");
            return NGX_ERROR;
        }
    }

    lows = e->lows;
    ends = lows + n;
    start = ngx_current_msec;

    for (i = 0; i < n; i++) {
        topic.data = name;
        topic.len = ngx_snprintf(name, sizeof(name), "%V-rootcoord-dml_%ui",
                                 &e->mcf->channel_prefix, i)
                    - name;

        rc = ngx_http_milvus_cdc_kafka_query_watermarks(e->kafka, &topic,
                                                        ENGINE_END_TIMEOUT,
                                                        &lows[i], &ends[i]);
        if (rc == NGX_DECLINED) {
            lows[i] = 0;
            ends[i] = 0;
            continue;
        }

        if (rc != NGX_OK) {
            if (!e->ends_warned) {
                ngx_log_error(NGX_LOG_WARN, e->log, 0,
                              "milvus_cdc: task %V: the end of %V is "
                              "unknown (Kafka brokers unreachable?), tried "
                              "again every %M ms", &e->task.task_id, &topic,
                              (ngx_msec_t) ENGINE_END_RETRY);
                e->ends_warned = 1;
            }

            return NGX_AGAIN;
        }
    }

    e->ends = ends;

    ngx_time_update();

    ngx_log_error(NGX_LOG_INFO, e->log, 0,
                  "milvus_cdc: task %V: the ends of %ui pchannels read in "
                  "%M ms", &e->task.task_id, n, ngx_current_msec - start);

    return NGX_OK;
}


/*
 * The source pchannels and where to read them from: after the checkpoint;
 * without one, from the oldest start of a collection in scope on that
 * pchannel (its etcd start position, or after the position the task was
 * created with); without any, from the end.
 */

ngx_int_t
ngx_http_milvus_cdc_source_open(ngx_http_milvus_cdc_engine_t *e)
{
    ngx_uint_t                    i, n;
    ngx_array_t                  *cps;
    ngx_http_milvus_cdc_schan_t  *sc;

    if (ngx_http_milvus_cdc_store_checkpoints(e->store, e->pool,
                                              &e->task.task_id, &cps)
        != NGX_OK)
    {
        ngx_http_milvus_cdc_engine_fail(e, "fail to read the task store");
        return NGX_ERROR;
    }

    n = e->mcf->dml_channels;
    e->rep_done = -1;
    e->rep_offset = -1;

    /* the DML pchannels, then the replicate channel (index, load, …) */

    for (i = 0; i <= n; i++) {
        sc = ngx_http_milvus_cdc_source_channel(e, i, i == n);
        if (sc == NULL) {
            return NGX_ERROR;
        }

        if (ngx_http_milvus_cdc_source_checkpoint(e, sc, cps) != NGX_OK) {
            return NGX_ERROR;
        }

        if (sc->acked >= 0) {
            if (!sc->replicate && sc->start < e->lows[i]) {
                ngx_http_milvus_cdc_engine_fail(e, "the source log no "
                    "longer holds %V from the checkpoint (offset %L, the "
                    "oldest kept is %L)", &sc->name, sc->start, e->lows[i]);
                return NGX_ERROR;
            }

            continue;
        }

        if (sc->replicate) {
            /* the indexes and loads of the collections already there */
            sc->start = NGX_HTTP_MILVUS_CDC_KAFKA_BEGINNING;
            continue;
        }

        if (ngx_http_milvus_cdc_source_start(e, sc, i) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    ngx_http_milvus_cdc_source_feeds(e);

    return ngx_http_milvus_cdc_source_assign(e);
}


/* source pchannel i: a DML one, or the replicate channel */

static ngx_http_milvus_cdc_schan_t *
ngx_http_milvus_cdc_source_channel(ngx_http_milvus_cdc_engine_t *e,
    ngx_uint_t i, ngx_uint_t replicate)
{
    u_char                              name[128];
    ngx_http_milvus_cdc_schan_t        *sc;
    ngx_http_milvus_cdc_resume_group_t *groups;

    sc = ngx_array_push(&e->schans);
    if (sc == NULL) {
        return NULL;
    }

    ngx_memzero(sc, sizeof(ngx_http_milvus_cdc_schan_t));

    sc->name.data = name;

    if (!replicate) {
        sc->name.len = ngx_snprintf(name, sizeof(name),
                                    "%V-rootcoord-dml_%ui",
                                    &e->mcf->channel_prefix, i)
                       - name;

    } else {
        sc->name.len = ngx_snprintf(name, sizeof(name), "%V-replicate-msg",
                                    &e->mcf->channel_prefix)
                       - name;
        sc->replicate = 1;
    }

    sc->name.data = ngx_pstrdup(e->pool, &sc->name);
    groups = ngx_palloc(e->pool, ENGINE_GROUPS_MAX
                        * sizeof(ngx_http_milvus_cdc_resume_group_t));

    if (sc->name.data == NULL || groups == NULL
        || ngx_array_init(&sc->tchans, e->pool, 4, sizeof(void *))
           != NGX_OK)
    {
        return NULL;
    }

    ngx_http_milvus_cdc_resume_init(&sc->resume, groups, ENGINE_GROUPS_MAX);
    sc->acked = -1;
    sc->start = NGX_HTTP_MILVUS_CDC_KAFKA_END;
    sc->committed = ngx_current_msec;

    return sc;
}


/* the checkpoint of sc, if the store has one: read after it */

static ngx_int_t
ngx_http_milvus_cdc_source_checkpoint(ngx_http_milvus_cdc_engine_t *e,
    ngx_http_milvus_cdc_schan_t *sc, ngx_array_t *cps)
{
    int64_t                            off;
    ngx_uint_t                         j;
    ngx_http_milvus_cdc_checkpoint_t  *cp;

    cp = cps->elts;

    for (j = 0; j < cps->nelts; j++) {
        if (cp[j].pchannel.len == sc->name.len
            && ngx_strncmp(cp[j].pchannel.data, sc->name.data,
                           sc->name.len) == 0
            && ngx_http_milvus_cdc_kafka_msgid_to_offset(cp[j].msg_id.data,
                                                         cp[j].msg_id.len,
                                                         &off)
               == NGX_OK)
        {
            sc->acked = off;
            sc->acked_ts = cp[j].ts;
            sc->start = off + 1;
        }
    }

    return NGX_OK;
}


/*
 * DML pchannel i without checkpoint: the oldest start in scope, else the
 * end taken before the first snapshot
 */

static ngx_int_t
ngx_http_milvus_cdc_source_start(ngx_http_milvus_cdc_engine_t *e,
    ngx_http_milvus_cdc_schan_t *sc, ngx_uint_t i)
{
    int64_t                                 off;
    ngx_uint_t                              j;
    ngx_http_milvus_cdc_coll_t            **colls;

    sc->start = e->ends[i];

    colls = e->colls.elts;

    for (j = 0; j < e->colls.nelts; j++) {
        if (colls[j]->state != COLL_READY) {
            continue;
        }

        off = ngx_http_milvus_cdc_source_coll_start(e, colls[j], sc);

        if (off < 0 || off >= sc->start) {
            continue;
        }

        if (off < e->lows[i]) {
            ngx_http_milvus_cdc_engine_fail(e, "the source log no longer "
                "holds collection %V.%V from its start on %V (offset %L, "
                "the oldest kept is %L)", &colls[j]->db, &colls[j]->name,
                &sc->name, off, e->lows[i]);
            return NGX_ERROR;
        }

        sc->start = off;
    }

    return NGX_OK;
}


/*
 * Where collection c starts on pchannel sc: after the position the task
 * was created with (collection_infos[].positions), else at its etcd start
 * position; -1 when it has none there.
 */

static int64_t
ngx_http_milvus_cdc_source_coll_start(ngx_http_milvus_cdc_engine_t *e,
    ngx_http_milvus_cdc_coll_t *c, ngx_http_milvus_cdc_schan_t *sc)
{
    int64_t                                 off;
    ngx_uint_t                              k;
    ngx_keyval_t                           *kv;
    ngx_http_milvus_cdc_meta_collection_t  *mc;

    off = ngx_http_milvus_cdc_source_from(e, c, &sc->name);
    if (off >= 0) {
        return off;
    }

    mc = ngx_http_milvus_cdc_meta_collection(e->snap, c->source_id);
    if (mc == NULL) {
        return -1;
    }

    kv = mc->start_positions.elts;

    for (k = 0; k < mc->start_positions.nelts; k++) {
        if (kv[k].key.len == sc->name.len
            && ngx_strncmp(kv[k].key.data, sc->name.data, sc->name.len) == 0
            && ngx_http_milvus_cdc_kafka_msgid_to_offset(kv[k].value.data,
                                                         kv[k].value.len,
                                                         &off)
               == NGX_OK)
        {
            return off;
        }
    }

    return -1;
}

/*
 * The positions of the task's create request (collection_infos[].positions,
 * parsed and checked by task.c) into e->froms: each collection starts on
 * its pchannels after its position.  NGX_OK (also without positions),
 * NGX_ERROR: no memory, or a stored position that does not decode (the
 * task fails, never starts from elsewhere).
 */

ngx_int_t
ngx_http_milvus_cdc_source_positions(ngx_http_milvus_cdc_engine_t *e,
    ngx_http_milvus_cdc_task_t *task)
{
    ngx_int_t                             rc;
    ngx_uint_t                            i;
    ngx_http_milvus_cdc_task_position_t  *pos;

    rc = ngx_http_milvus_cdc_task_positions(e->pool, task, &e->froms);

    if (rc == NGX_DECLINED) {
        e->froms = NULL;
        return NGX_OK;
    }

    if (rc != NGX_OK) {
        ngx_log_error(NGX_LOG_ALERT, e->log, 0,
                      "milvus_cdc: task %V: the stored positions do not "
                      "decode", &e->task.task_id);
        return NGX_ERROR;
    }

    pos = e->froms->elts;

    for (i = 0; i < e->froms->nelts; i++) {
        ngx_log_error(NGX_LOG_INFO, e->log, 0,
                      "milvus_cdc: task %V: collection %L starts on %V "
                      "after offset %L (the position given at create)",
                      &e->task.task_id, pos[i].collection_id,
                      &pos[i].pchannel, pos[i].offset);
    }

    return NGX_OK;
}


int64_t
ngx_http_milvus_cdc_source_from(ngx_http_milvus_cdc_engine_t *e,
    ngx_http_milvus_cdc_coll_t *c, ngx_str_t *name)
{
    ngx_uint_t                            i;
    ngx_http_milvus_cdc_task_position_t  *from;

    if (e->froms == NULL) {
        return -1;
    }

    from = e->froms->elts;

    for (i = 0; i < e->froms->nelts; i++) {
        if (from[i].collection_id == c->source_id
            && from[i].pchannel.len == name->len
            && ngx_strncmp(from[i].pchannel.data, name->data, name->len)
               == 0)
        {
            return from[i].offset + 1;
        }
    }

    return -1;
}


/* the pchannels of the collections already mapped feed their targets */

static void
ngx_http_milvus_cdc_source_feeds(ngx_http_milvus_cdc_engine_t *e)
{
    ngx_int_t                               s;
    ngx_str_t                              *sp, *vc;
    ngx_uint_t                              j, k;
    ngx_http_milvus_cdc_coll_t            **colls;
    ngx_http_milvus_cdc_meta_collection_t  *mc;

    colls = e->colls.elts;

    for (j = 0; j < e->colls.nelts; j++) {
        mc = ngx_http_milvus_cdc_meta_collection(e->snap, colls[j]->source_id);

        if (colls[j]->state != COLL_READY || mc == NULL) {
            continue;
        }

        sp = mc->pchannels.elts;
        vc = mc->vchannels.elts;

        for (k = 0; k < mc->pchannels.nelts && k < colls[j]->nshards; k++) {
            s = ngx_http_milvus_cdc_registry_shard(&vc[k]);

            if (s >= 0 && (ngx_uint_t) s < colls[j]->nshards) {
                ngx_http_milvus_cdc_registry_feed(e, &sp[k],
                                                  colls[j]->tchans[s]);
            }
        }
    }
}


static ngx_int_t
ngx_http_milvus_cdc_source_assign(ngx_http_milvus_cdc_engine_t *e)
{
    ngx_uint_t                    i;
    ngx_http_milvus_cdc_schan_t  *sc;

    sc = e->schans.elts;

    for (i = 0; i < e->schans.nelts; i++) {
        if (ngx_http_milvus_cdc_kafka_assign(e->kafka, &sc[i].name,
                                             sc[i].start, &sc[i])
            != NGX_OK)
        {
            ngx_http_milvus_cdc_engine_fail(e, "fail to read the source log "
                                            "%V", &sc[i].name);
            return NGX_ERROR;
        }

        ngx_log_error(NGX_LOG_INFO, e->log, 0,
                      "milvus_cdc: task %V: reading %V from %s%L",
                      &e->task.task_id, &sc[i].name,
                      sc[i].start == NGX_HTTP_MILVUS_CDC_KAFKA_END
                      ? "the end " : sc[i].start < 0 ? "the beginning "
                                                     : "offset ",
                      sc[i].start < 0 ? (int64_t) 0 : sc[i].start);
    }

    e->state = ENGINE_RUNNING;

    ngx_log_error(NGX_LOG_NOTICE, e->log, 0,
                  "milvus_cdc: task %V: replicating to %V",
                  &e->task.task_id, &e->task.target_uri);

    return NGX_OK;
}


ngx_int_t
ngx_http_milvus_cdc_source_poll(ngx_http_milvus_cdc_engine_t *e,
    ngx_msec_t deadline)
{
    ngx_int_t                         rc;
    ngx_uint_t                        n;
    ngx_http_milvus_cdc_schan_t      *sc;
    ngx_http_milvus_cdc_kafka_msg_t   km;

    for (n = 0; n < ENGINE_POLL_MAX; n++) {

        if ((n & 63) == 63) {
            ngx_time_update();

            if ((ngx_msec_int_t) (ngx_current_msec - deadline) >= 0) {
                return NGX_AGAIN;
            }
        }

        rc = ngx_http_milvus_cdc_kafka_poll(e->kafka, &km);

        if (rc == NGX_AGAIN || rc == NGX_DONE) {
            if (rc == NGX_DONE) {
                continue;
            }

            return NGX_OK;
        }

        if (rc == NGX_ERROR) {
            ngx_http_milvus_cdc_engine_fail(e, "fail to read the source log: "
                                            "%V", &km.error);
            return NGX_ERROR;
        }

        sc = km.data;

        if (rc == NGX_DECLINED) {
            ngx_http_milvus_cdc_engine_fail(e, "the source log no longer "
                                            "holds the position to read %V "
                                            "from: %V", &km.topic, &km.error);
            return NGX_ERROR;
        }

        if (sc == NULL || sc->blocked) {
            /* read again after the wait */
            ngx_http_milvus_cdc_kafka_release(e->kafka, &km);
            continue;
        }

        rc = ngx_http_milvus_cdc_ops_process(e, sc, km.offset, km.payload,
                                                km.len);

        if (rc == NGX_AGAIN) {
            ngx_http_milvus_cdc_source_block(e, sc, km.offset, km.payload,
                                             km.len);
        }

        if (rc == NGX_ERROR) {
            ngx_http_milvus_cdc_engine_lost(e, sc, km.offset, km.payload,
                                            km.len);
        }

        ngx_http_milvus_cdc_kafka_release(e->kafka, &km);

        if (rc == NGX_ERROR) {
            return NGX_ERROR;
        }
    }

    return NGX_AGAIN;
}


ngx_http_milvus_cdc_pack_t *
ngx_http_milvus_cdc_source_pack(ngx_http_milvus_cdc_schan_t *sc)
{
    if (sc->open == NULL) {
        sc->open = ngx_calloc(sizeof(ngx_http_milvus_cdc_pack_t),
                              ngx_cycle->log);
    }

    return sc->open;
}


/* checkpoints: every sealed pack whose messages the target acknowledged */

void
ngx_http_milvus_cdc_source_advance(ngx_http_milvus_cdc_engine_t *e)
{
    u_char                             id[NGX_HTTP_MILVUS_CDC_KAFKA_MSGID_LEN];
    ngx_uint_t                         i, data;
    ngx_http_milvus_cdc_pack_t        *p;
    ngx_http_milvus_cdc_schan_t       *sc;
    ngx_http_milvus_cdc_checkpoint_t   cp;

    sc = e->schans.elts;

    for (i = 0; i < e->schans.nelts; i++) {
        data = 0;

        while (sc[i].head && sc[i].head->remaining == 0) {
            p = sc[i].head;
            sc[i].head = p->next;

            if (sc[i].head == NULL) {
                sc[i].tail = NULL;
            }

            /*
             * every message up to the tick was acknowledged; reading
             * resumes where no group of one timestamp is split
             */

            sc[i].acked = p->resume - 1;
            sc[i].acked_ts = p->ts;
            sc[i].dirty = 1;
            e->moved_at = ngx_current_msec;
            data |= p->data;

            ngx_free(p);
        }

        if (!sc[i].dirty
            || (!data && e->state != ENGINE_STOPPING
                && ngx_current_msec - sc[i].committed < ENGINE_COMMIT_PERIOD))
        {
            continue;
        }

        ngx_http_milvus_cdc_kafka_offset_to_msgid(sc[i].acked, id);

        cp.pchannel = sc[i].name;
        cp.msg_id.data = id;
        cp.msg_id.len = sizeof(id);
        cp.ts = sc[i].acked_ts;

        if (ngx_http_milvus_cdc_store_checkpoint_save(e->store,
                                                      &e->task.task_id, &cp,
                                                      NULL, 0)
            == NGX_OK)
        {
            sc[i].dirty = 0;
            sc[i].committed = ngx_current_msec;
        }
    }
}


/*
 * The pchannel waits: the message is kept and the topic paused; later
 * messages of the topic already fetched are dropped and read again.
 */

static void
ngx_http_milvus_cdc_source_block(ngx_http_milvus_cdc_engine_t *e,
    ngx_http_milvus_cdc_schan_t *sc, int64_t offset, u_char *data, size_t len)
{
    sc->held.data = ngx_alloc(len ? len : 1, e->log);
    if (sc->held.data == NULL) {
        ngx_http_milvus_cdc_engine_fail(e, "out of memory");
        return;
    }

    ngx_memcpy(sc->held.data, data, len);
    sc->held.len = len;
    sc->held_offset = offset;
    sc->held_gen = e->meta_gen + (e->meta_busy ? 2 : 1);
    sc->held_at = ngx_current_msec;
    sc->held_logged = 0;
    sc->blocked = 1;

    {
        ngx_http_milvus_cdc_msg_header_t  h;

        ngx_memzero(&h, sizeof(h));
        (void) ngx_http_milvus_cdc_msg_header(data, len, &h);

        ngx_log_error(NGX_LOG_INFO, e->log, 0,
                      "milvus_cdc: task %V: %V waits at offset %L (%s)",
                      &e->task.task_id, &sc->name, offset,
                      ngx_http_milvus_cdc_msg_type_name(h.type));
    }

    (void) ngx_http_milvus_cdc_kafka_pause(e->kafka, &sc->name);
}


/*
 * No wait without an end: a pchannel that waits at one message while the
 * target answers (a failing target has its own reason) and, for the
 * replicate channel, while no DML checkpoint moves, is logged at a sixth
 * of milvus_cdc_wait_timeout and pauses the task at its end, with a
 * reason naming the message and what it waits for.
 */

static ngx_int_t
ngx_http_milvus_cdc_source_waits(ngx_http_milvus_cdc_engine_t *e,
    ngx_http_milvus_cdc_schan_t *sc)
{
    ngx_msec_t                         waited, limit;
    ngx_http_milvus_cdc_msg_header_t   h;

    if (e->writer.trouble
        || (sc->replicate
            && (ngx_msec_int_t) (e->moved_at - sc->held_at) > 0))
    {
        sc->held_at = ngx_current_msec;
        sc->held_logged = 0;
        return NGX_OK;
    }

    waited = ngx_current_msec - sc->held_at;
    limit = e->mcf->wait_timeout;

    if (waited < limit / 6) {
        return NGX_OK;
    }

    ngx_memzero(&h, sizeof(h));
    (void) ngx_http_milvus_cdc_msg_header(sc->held.data, sc->held.len, &h);

    if (waited < limit) {
        if (!sc->held_logged) {
            ngx_log_error(NGX_LOG_WARN, e->log, 0,
                          "milvus_cdc: task %V: %V waits at offset %L (%s) "
                          "for %M s: %s; the task pauses after %M s",
                          &e->task.task_id, &sc->name, sc->held_offset,
                          ngx_http_milvus_cdc_msg_type_name(h.type),
                          waited / 1000,
                          ngx_http_milvus_cdc_source_wait_for(e, sc),
                          limit / 1000);
            sc->held_logged = 1;
        }

        return NGX_OK;
    }

    ngx_http_milvus_cdc_engine_fail(e, "%V waits at offset %L (%s) for %M s "
                                    "(milvus_cdc_wait_timeout): %s",
                                    &sc->name, sc->held_offset,
                                    ngx_http_milvus_cdc_msg_type_name(h.type),
                                    waited / 1000,
                                    ngx_http_milvus_cdc_source_wait_for(e, sc));
    return NGX_ERROR;
}


/* what a waiting pchannel waits for, as far as the engine can tell */

static const char *
ngx_http_milvus_cdc_source_wait_for(ngx_http_milvus_cdc_engine_t *e,
    ngx_http_milvus_cdc_schan_t *sc)
{
    if (e->meta_busy) {
        return "the source metadata (etcd) does not answer";
    }

    if (e->ddl) {
        return "a collection being created on the target";
    }

    if (ngx_http_milvus_cdc_registry_pending(e)) {
        return "a collection still to be created on the target (after "
               "an older one of the same name is dropped there)";
    }

    if (sc->replicate) {
        return "the source data before it (a DML pchannel does not "
               "advance) or the collection it names";
    }

    return "a collection or partition the source metadata does not show "
           "as created";
}


/* the waiting messages, again; NGX_OK when no pchannel waits any more */

ngx_int_t
ngx_http_milvus_cdc_source_unblock(ngx_http_milvus_cdc_engine_t *e)
{
    ngx_int_t                     rc, waiting;
    ngx_uint_t                    i;
    ngx_http_milvus_cdc_schan_t  *sc;

    sc = e->schans.elts;
    waiting = 0;

    for (i = 0; i < e->schans.nelts; i++) {
        if (!sc[i].blocked) {
            continue;
        }

        rc = ngx_http_milvus_cdc_ops_process(e, &sc[i], sc[i].held_offset,
                                                sc[i].held.data,
                                                sc[i].held.len);
        if (rc == NGX_AGAIN) {
            waiting = 1;

            if (ngx_http_milvus_cdc_source_waits(e, &sc[i]) != NGX_OK) {
                return NGX_ERROR;
            }

            continue;
        }

        if (rc == NGX_ERROR) {
            ngx_http_milvus_cdc_engine_lost(e, &sc[i], sc[i].held_offset,
                                            sc[i].held.data, sc[i].held.len);
            return NGX_ERROR;
        }

        ngx_free(sc[i].held.data);
        ngx_str_null(&sc[i].held);
        sc[i].blocked = 0;

        if (ngx_http_milvus_cdc_kafka_assign(e->kafka, &sc[i].name,
                                             sc[i].held_offset + 1, &sc[i])
            != NGX_OK
            || ngx_http_milvus_cdc_kafka_resume(e->kafka, &sc[i].name)
               != NGX_OK)
        {
            ngx_http_milvus_cdc_engine_fail(e, "fail to read the source log "
                                            "%V", &sc[i].name);
            return NGX_ERROR;
        }
    }

    (void) waiting;

    return NGX_OK;
}
