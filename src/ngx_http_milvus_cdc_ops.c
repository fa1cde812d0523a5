
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 *
 * The engine's per-message policy: what each source WAL message (Insert,
 * Delete, TimeTick, drops, the replicate channel's calls) does to the
 * target.
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_milvus_cdc_engine_int.h"


static ngx_int_t ngx_http_milvus_cdc_ops_rpc(
    ngx_http_milvus_cdc_engine_t *e, ngx_http_milvus_cdc_schan_t *sc,
    int64_t offset, u_char *data, size_t len,
    ngx_http_milvus_cdc_msg_header_t *h);
static void ngx_http_milvus_cdc_ops_rpc_done(
    ngx_http_milvus_cdc_grpc_result_t *res, void *data);
static ngx_int_t ngx_http_milvus_cdc_ops_rpc_same(
    ngx_http_milvus_cdc_engine_t *e, ngx_http_milvus_cdc_msg_reply_t *r);
static void ngx_http_milvus_cdc_ops_rpc_refused(
    ngx_http_milvus_cdc_engine_t *e, int64_t offset, ngx_str_t *reason);
static ngx_int_t ngx_http_milvus_cdc_ops_rpc_collection(
    ngx_http_milvus_cdc_engine_t *e, ngx_http_milvus_cdc_schan_t *sc,
    ngx_str_t *db, ngx_str_t *name, ngx_http_milvus_cdc_msg_header_t *h);
static ngx_int_t ngx_http_milvus_cdc_ops_rpc_database(
    ngx_http_milvus_cdc_engine_t *e, ngx_http_milvus_cdc_schan_t *sc,
    ngx_str_t *db, ngx_http_milvus_cdc_msg_header_t *h);
static ngx_int_t ngx_http_milvus_cdc_ops_db_behind(
    ngx_http_milvus_cdc_engine_t *e, ngx_str_t *db);
static ngx_int_t ngx_http_milvus_cdc_ops_partition_gone(
    ngx_http_milvus_cdc_engine_t *e, ngx_http_milvus_cdc_coll_t *c,
    int64_t id);
static ngx_int_t ngx_http_milvus_cdc_ops_behind(
    ngx_http_milvus_cdc_engine_t *e, ngx_http_milvus_cdc_coll_t *c,
    uint64_t ts);
static ngx_int_t ngx_http_milvus_cdc_ops_dml(
    ngx_http_milvus_cdc_engine_t *e, ngx_http_milvus_cdc_schan_t *sc,
    int64_t offset, ngx_http_milvus_cdc_msg_t *m);
static ngx_int_t ngx_http_milvus_cdc_ops_drop(
    ngx_http_milvus_cdc_engine_t *e, ngx_http_milvus_cdc_schan_t *sc,
    ngx_http_milvus_cdc_msg_t *m);
static ngx_int_t ngx_http_milvus_cdc_ops_drop_forward(
    ngx_http_milvus_cdc_engine_t *e, ngx_http_milvus_cdc_schan_t *sc,
    ngx_http_milvus_cdc_msg_t *m, ngx_http_milvus_cdc_coll_t *c,
    ngx_http_milvus_cdc_part_t *part);
static ngx_int_t ngx_http_milvus_cdc_ops_drop_call(
    ngx_http_milvus_cdc_engine_t *e, ngx_http_milvus_cdc_msg_t *m,
    ngx_http_milvus_cdc_coll_t *c, ngx_http_milvus_cdc_part_t *part);
static void ngx_http_milvus_cdc_ops_drop_done(
    ngx_http_milvus_cdc_grpc_result_t *res, void *data);
static ngx_int_t ngx_http_milvus_cdc_ops_tick(
    ngx_http_milvus_cdc_engine_t *e, ngx_http_milvus_cdc_schan_t *sc,
    int64_t offset, uint64_t ts);


/*
 * One source message.  NGX_OK: done with it; NGX_AGAIN: it waits for the
 * target or the metadata (the pchannel stops until it is processed);
 * NGX_ERROR: the task failed.
 */

ngx_int_t
ngx_http_milvus_cdc_ops_process(ngx_http_milvus_cdc_engine_t *e,
    ngx_http_milvus_cdc_schan_t *sc, int64_t offset, u_char *data, size_t len)
{
    ngx_int_t                          rc;
    ngx_http_milvus_cdc_coll_t        *c;
    ngx_http_milvus_cdc_msg_t          m;
    ngx_http_milvus_cdc_msg_header_t   h;

    if (ngx_http_milvus_cdc_msg_header(data, len, &h) != NGX_OK) {
        ngx_log_error(NGX_LOG_WARN, e->log, 0,
                      "milvus_cdc: task %V: %V offset %L: not a Milvus "
                      "message, skipped", &e->task.task_id, &sc->name,
                      offset);
        return NGX_OK;
    }

    if (sc->replicate) {
        return ngx_http_milvus_cdc_ops_rpc(e, sc, offset, data, len, &h);
    }

    switch (h.type) {

    case NGX_HTTP_MILVUS_CDC_MSG_TIME_TICK:
        return ngx_http_milvus_cdc_ops_tick(e, sc, offset, h.ts);

    case NGX_HTTP_MILVUS_CDC_MSG_INSERT:
    case NGX_HTTP_MILVUS_CDC_MSG_DELETE:
    case NGX_HTTP_MILVUS_CDC_MSG_CREATE_COLLECTION:
    case NGX_HTTP_MILVUS_CDC_MSG_DROP_COLLECTION:
    case NGX_HTTP_MILVUS_CDC_MSG_DROP_PARTITION:
        break;

    default:
        return NGX_OK;
    }

    ngx_memzero(&m, sizeof(m));

    if (ngx_http_milvus_cdc_msg_decode(&m, data, len, e->log) != NGX_OK) {
        ngx_log_error(NGX_LOG_WARN, e->log, 0,
                      "milvus_cdc: task %V: %V offset %L: undecodable %s, "
                      "skipped", &e->task.task_id, &sc->name, offset,
                      ngx_http_milvus_cdc_msg_type_name(h.type));
        ngx_http_milvus_cdc_msg_free(&m);
        return NGX_OK;
    }

    c = ngx_http_milvus_cdc_registry_coll(e, m.collection_id);

    if (c == NULL) {
        /* a collection this engine has not seen: ask etcd */

        if (sc->blocked && e->meta_gen >= sc->held_gen && e->snap
            && ngx_http_milvus_cdc_meta_collection(e->snap, m.collection_id)
               == NULL)
        {
            /* etcd does not know it (any more): not ours */

            ngx_log_debug3(NGX_LOG_DEBUG_HTTP, e->log, 0,
                           "milvus_cdc: task %V: %V: collection %L unknown, "
                           "skipped", &e->task.task_id, &sc->name,
                           m.collection_id);

            ngx_http_milvus_cdc_msg_free(&m);
            return NGX_OK;
        }

        if (e->meta_busy || e->ddl) {
            rc = NGX_AGAIN;

        } else if (e->snap && ngx_http_milvus_cdc_meta_collection(e->snap,
                                                      m.collection_id))
        {
            /* known to etcd but not Created yet */
            e->meta_at = ngx_current_msec;
            rc = NGX_AGAIN;

        } else {
            (void) ngx_http_milvus_cdc_registry_refresh(e);
            rc = NGX_AGAIN;
        }

        ngx_http_milvus_cdc_msg_free(&m);
        return rc;
    }

    switch (c->state) {

    case COLL_IGNORED:
    case COLL_DROPPED:
        rc = NGX_OK;
        break;

    case COLL_NEW:
    case COLL_ENSURING:
        ngx_http_milvus_cdc_registry_ensure(e);
        rc = NGX_AGAIN;
        break;

    case COLL_DROPPING:
        rc = (h.type == NGX_HTTP_MILVUS_CDC_MSG_DROP_COLLECTION)
             ? ngx_http_milvus_cdc_ops_drop(e, sc, &m) : NGX_OK;
        break;

    default: /* COLL_READY */

        if (h.type == NGX_HTTP_MILVUS_CDC_MSG_CREATE_COLLECTION) {
            rc = NGX_OK;

        } else if (offset < ngx_http_milvus_cdc_source_from(e, c, &sc->name))
        {
            /* before the position the task was created with: on the target */
            rc = NGX_OK;

        } else if (h.type == NGX_HTTP_MILVUS_CDC_MSG_DROP_COLLECTION
                   || h.type == NGX_HTTP_MILVUS_CDC_MSG_DROP_PARTITION)
        {
            rc = ngx_http_milvus_cdc_ops_drop(e, sc, &m);

        } else {
            rc = ngx_http_milvus_cdc_ops_dml(e, sc, offset, &m);
        }
    }

    ngx_http_milvus_cdc_msg_free(&m);

    return rc;
}


/*
 * A message of the replicate channel: the request of a DDL/DCL call made
 * on the source; the same call is made on the target, marked as
 * replicated, once the collection it names is there.
 */

static ngx_int_t
ngx_http_milvus_cdc_ops_rpc(ngx_http_milvus_cdc_engine_t *e,
    ngx_http_milvus_cdc_schan_t *sc, int64_t offset, u_char *data, size_t len,
    ngx_http_milvus_cdc_msg_header_t *h)
{
    ngx_str_t                             *method, db, body;
    ngx_str_t                names[NGX_HTTP_MILVUS_CDC_ENGINE_RPC_NAMES];
    ngx_str_t                              def = ngx_string("default");
    ngx_str_t                              any = ngx_string("*");
    ngx_str_t                              none = ngx_null_string;
    ngx_int_t                              rc;
    ngx_uint_t                             n;
    ngx_http_milvus_cdc_grpc_call_conf_t   cf;

    if (e->rep_done == offset) {
        /* done: the checkpoint moves past it */
        e->rep_done = -1;
        sc->acked = offset;
        sc->acked_ts = h->ts;
        sc->dirty = 1;
        return NGX_OK;
    }

    method = ngx_http_milvus_cdc_msg_rpc_method(h->type);

    if (method == NULL || h->replicate) {
        /* not a call to repeat, or one a CDC already replicated */
        sc->acked = offset;
        sc->dirty = 1;
        return NGX_OK;
    }

    if (e->rep_call
        || (e->rep_retry
            && (ngx_msec_int_t) (ngx_current_msec - e->rep_retry) < 0))
    {
        return NGX_AGAIN;
    }

    if (ngx_http_milvus_cdc_msg_rpc_names(data, len, &db, names,
                                      NGX_HTTP_MILVUS_CDC_ENGINE_RPC_NAMES, &n)
        != NGX_OK)
    {
        sc->acked = offset;
        sc->dirty = 1;
        return NGX_OK;
    }

    if (db.len == 0) {
        db = def;
    }

    if (n == 0) {
        /* a database: in scope if any of its collections may be */

        if (!ngx_http_milvus_cdc_registry_in_scope(e, &db, &any)) {
            sc->acked = offset;
            sc->dirty = 1;
            return NGX_OK;
        }

        rc = ngx_http_milvus_cdc_ops_rpc_database(e, sc, &db, h);

        if (rc != NGX_DONE) {
            if (rc == NGX_OK) {
                sc->acked = offset;
                sc->dirty = 1;
            }

            return rc;
        }

        /* the drops of its collections first, in the source's order */

        if (h->type == NGX_HTTP_MILVUS_CDC_MSG_DROP_DATABASE
            && ngx_http_milvus_cdc_ops_db_behind(e, &db))
        {
            return NGX_AGAIN;
        }

    } else {
        rc = ngx_http_milvus_cdc_ops_rpc_collection(e, sc, &db, &names[0],
                                                    h);

        if (rc != NGX_DONE) {
            if (rc == NGX_OK) {
                sc->acked = offset;
                sc->dirty = 1;
            }

            return rc;
        }
    }

    if (ngx_http_milvus_cdc_msg_mark_replicated(data, len, h->ts, &body,
                                                e->log)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_memzero(&cf, sizeof(cf));
    cf.method = *method;
    cf.request = body;
    cf.dbname = db;
    cf.timeout = ENGINE_RPC_TIMEOUT;
    cf.handler = ngx_http_milvus_cdc_ops_rpc_done;
    cf.data = e;

    e->rep_call = ngx_http_milvus_cdc_grpc_call_start(e->target, &cf, e->log);

    ngx_free(body.data);

    if (e->rep_call == NULL) {
        e->rep_retry = ngx_current_msec + ENGINE_RETRY_DELAY;
        return NGX_AGAIN;
    }

    e->rep_offset = offset;
    e->rep_type = h->type;
    e->rep_what.data = e->rep_text;
    e->rep_what.len = ngx_snprintf(e->rep_text, sizeof(e->rep_text), "%s of "
                                   "%V%s%V",
                                   ngx_http_milvus_cdc_msg_type_name(h->type),
                                   &db, n ? "." : "", n ? &names[0] : &none)
                      - e->rep_text;
    e->rep_reply = (h->type == NGX_HTTP_MILVUS_CDC_MSG_FLUSH)
                   ? NGX_HTTP_MILVUS_CDC_MSG_RPC_FLUSH
                   : NGX_HTTP_MILVUS_CDC_ENGINE_STATUS_REPLY;

    ngx_log_error(NGX_LOG_INFO, e->log, 0,
                  "milvus_cdc: task %V: %V of %V.%V replicated",
                  &e->task.task_id, method, &db,
                  n ? &names[0] : &any);

    return NGX_AGAIN;
}


static void
ngx_http_milvus_cdc_ops_rpc_done(ngx_http_milvus_cdc_grpc_result_t *res,
    void *data)
{
    ngx_http_milvus_cdc_engine_t *e = data;

    int64_t                          offset;
    ngx_int_t                        rc;
    ngx_http_milvus_cdc_msg_reply_t  r;

    e->rep_call = NULL;
    offset = e->rep_offset;
    e->rep_offset = -1;

    if (res->status != 0) {
        ngx_http_milvus_cdc_writer_trouble(&e->writer,
                                  ngx_http_milvus_cdc_msg_method(e->rep_reply),
                                  NULL, res);
        e->rep_done = -1;
        e->rep_retry = ngx_current_msec + ENGINE_RETRY_DELAY;
        return;
    }

    ngx_http_milvus_cdc_writer_recovered(&e->writer);

    ngx_memzero(&r, sizeof(r));

    rc = ngx_http_milvus_cdc_msg_reply(e->rep_reply, &res->reply, &r, e->log);

    if (rc != NGX_OK && !ngx_http_milvus_cdc_ops_rpc_same(e, &r)) {
        ngx_http_milvus_cdc_ops_rpc_refused(e, offset, &r.reason);
        ngx_http_milvus_cdc_msg_reply_free(&r);
        return;
    }

    ngx_http_milvus_cdc_msg_reply_free(&r);

    e->rep_refused = 0;
    e->rep_done = offset;
    e->rep_retry = 0;
}


/*
 * A refusal that leaves the target as the source asked: CreateDatabase of
 * a database the target has ("database already exist: <name>", Milvus
 * 2.3.5 rootcoord, code 65535), as a replay after a restart meets it.
 * (DropIndex of no index, DropDatabase of no database, CreateIndex of the
 * same index and Release of what is not loaded succeed on 2.3.5.)
 */

static ngx_int_t
ngx_http_milvus_cdc_ops_rpc_same(ngx_http_milvus_cdc_engine_t *e,
    ngx_http_milvus_cdc_msg_reply_t *r)
{
    return e->rep_type == NGX_HTTP_MILVUS_CDC_MSG_CREATE_DATABASE
           && ngx_strlcasestrn(r->reason.data, r->reason.data + r->reason.len,
                               (u_char *) "already exist",
                               sizeof("already exist") - 2)
              != NULL;
}


/*
 * The target refused a replicated call: a busy target refuses too, so the
 * same call is made again, later; ENGINE_REFUSALS refusals in a row pause
 * the task with the target's words (the source and the target would
 * differ otherwise).
 */

static void
ngx_http_milvus_cdc_ops_rpc_refused(ngx_http_milvus_cdc_engine_t *e,
    int64_t offset, ngx_str_t *reason)
{
    e->rep_done = -1;

    if (++e->rep_refused < ENGINE_REFUSALS) {
        ngx_log_error(NGX_LOG_WARN, e->log, 0,
                      "milvus_cdc: task %V: the target refused %V: %V, "
                      "retrying (%ui)", &e->task.task_id, &e->rep_what,
                      reason, e->rep_refused);

        e->rep_retry = ngx_current_msec + ENGINE_RETRY_DELAY * e->rep_refused;
        return;
    }

    ngx_http_milvus_cdc_engine_fail(e, "the target refused %V (offset %L of "
                                    "the replicate channel): %V",
                                    &e->rep_what, offset, reason);
}


/*
 * A collection call of the replicate channel (the collection named
 * first): NGX_DONE to make it; NGX_OK to skip it (a collection the task
 * does not replicate, dropped, or an older one of the same name);
 * NGX_AGAIN while the collection is being created on the target, the
 * metadata is awaited or the target lacks earlier rows of it.
 */

static ngx_int_t
ngx_http_milvus_cdc_ops_rpc_collection(ngx_http_milvus_cdc_engine_t *e,
    ngx_http_milvus_cdc_schan_t *sc, ngx_str_t *db, ngx_str_t *name,
    ngx_http_milvus_cdc_msg_header_t *h)
{
    ngx_http_milvus_cdc_coll_t             *c;
    ngx_http_milvus_cdc_meta_collection_t  *mc;

    c = ngx_http_milvus_cdc_registry_by_name(e, db, name);

    if (c == NULL) {
        /* not seen yet: wait for the metadata, once */

        if (sc->blocked && e->meta_gen >= sc->held_gen) {
            return NGX_OK;
        }

        if (!e->meta_busy) {
            (void) ngx_http_milvus_cdc_registry_refresh(e);
        }

        return NGX_AGAIN;
    }

    if (c->state != COLL_READY) {
        if (c->state == COLL_NEW || c->state == COLL_ENSURING) {
            ngx_http_milvus_cdc_registry_ensure(e);
            return NGX_AGAIN;
        }

        return NGX_OK;
    }

    /* about an older collection of the same name */

    mc = ngx_http_milvus_cdc_meta_collection(e->snap, c->source_id);

    if (mc && h->ts < mc->create_time) {
        return NGX_OK;
    }

    /*
     * never ahead of the data: a Flush or Load made before the target
     * has every earlier row would seal or load without them
     */

    if (ngx_http_milvus_cdc_ops_behind(e, c, h->ts)) {
        return NGX_AGAIN;
    }

    return NGX_DONE;
}


/*
 * A database call of the replicate channel against the source's databases
 * now: NGX_DONE to make it; NGX_OK to skip it, when it drops an older
 * database of the same name (a replay of the channel's history: the
 * database now was created after it) or it creates a database dropped on
 * the source since; NGX_AGAIN while a newer snapshot is awaited.
 */

static ngx_int_t
ngx_http_milvus_cdc_ops_rpc_database(ngx_http_milvus_cdc_engine_t *e,
    ngx_http_milvus_cdc_schan_t *sc, ngx_str_t *db,
    ngx_http_milvus_cdc_msg_header_t *h)
{
    ngx_uint_t                            i;
    ngx_http_milvus_cdc_meta_database_t  *d, *found;

    found = NULL;
    d = e->snap->databases.elts;

    for (i = 0; i < e->snap->databases.nelts; i++) {
        if (d[i].name.len == db->len
            && ngx_strncmp(d[i].name.data, db->data, db->len) == 0
            && d[i].state != NGX_HTTP_MILVUS_CDC_META_DB_DROPPED
            && d[i].state != NGX_HTTP_MILVUS_CDC_META_DB_DROPPING)
        {
            found = &d[i];
        }
    }

    if (found) {
        /*
         * a DropDatabase older than the database now is about an earlier
         * one (a CreateDatabase's own timestamp, the proxy's, may lie
         * below the created_time rootcoord gave the database: made);
         * created_time is wall-clock ns, compared in ms with the TSO's
         * physical part
         */

        return (h->type == NGX_HTTP_MILVUS_CDC_MSG_DROP_DATABASE
                && (h->ts >> NGX_HTTP_MILVUS_CDC_CLOCK_LOGICAL_BITS)
                   < found->created_time / 1000000)
               ? NGX_OK : NGX_DONE;
    }

    if (h->type != NGX_HTTP_MILVUS_CDC_MSG_CREATE_DATABASE) {
        return NGX_DONE;
    }

    /* not in the snapshot: created since, or dropped since */

    if (sc->blocked && e->meta_gen >= sc->held_gen) {
        return NGX_OK;
    }

    if (!e->meta_busy) {
        (void) ngx_http_milvus_cdc_registry_refresh(e);
    }

    return NGX_AGAIN;
}


/*
 * Whether a collection of database db is still to be dropped on the target
 * before a DropDatabase: one the task replicates that is not dropped
 * there yet (its drop under way, or its DropCollection not read yet).
 */

static ngx_int_t
ngx_http_milvus_cdc_ops_db_behind(ngx_http_milvus_cdc_engine_t *e,
    ngx_str_t *db)
{
    ngx_uint_t                    i;
    ngx_http_milvus_cdc_coll_t  **colls, *c;

    colls = e->colls.elts;

    for (i = 0; i < e->colls.nelts; i++) {
        c = colls[i];

        if (c->db.len != db->len
            || ngx_strncmp(c->db.data, db->data, db->len) != 0
            || c->state == COLL_IGNORED || c->state == COLL_DROPPED)
        {
            continue;
        }

        /*
         * its DropCollection is still to come: the source drops every
         * collection of a database before the database, but broadcasts a
         * DropCollection to the DML pchannels asynchronously, with a
         * timestamp that may be later than the DropDatabase's
         */

        return 1;
    }

    return 0;
}


/*
 * Whether partition id of collection c is dropped on the source, in a
 * snapshot taken after its message was read: Dropping, or gone from the
 * metadata while its collection is there.
 */

static ngx_int_t
ngx_http_milvus_cdc_ops_partition_gone(ngx_http_milvus_cdc_engine_t *e,
    ngx_http_milvus_cdc_coll_t *c, int64_t id)
{
    ngx_uint_t                              i;
    ngx_http_milvus_cdc_meta_partition_t   *mp;
    ngx_http_milvus_cdc_meta_collection_t  *mc;

    mc = ngx_http_milvus_cdc_meta_collection(e->snap, c->source_id);
    if (mc == NULL) {
        return 0;
    }

    mp = mc->partitions.elts;

    for (i = 0; i < mc->partitions.nelts; i++) {
        if (mp[i].id == id) {
            return mp[i].state == NGX_HTTP_MILVUS_CDC_META_DROPPING
                   || mp[i].state == NGX_HTTP_MILVUS_CDC_META_DROPPED;
        }
    }

    return 1;
}


/*
 * Whether the target has not yet acknowledged every source message of the
 * collection's pchannels up to ts (their checkpoints are behind ts).
 */

static ngx_int_t
ngx_http_milvus_cdc_ops_behind(ngx_http_milvus_cdc_engine_t *e,
    ngx_http_milvus_cdc_coll_t *c, uint64_t ts)
{
    ngx_str_t                              *pc;
    ngx_uint_t                              i, j;
    ngx_http_milvus_cdc_schan_t            *sc;
    ngx_http_milvus_cdc_meta_collection_t  *mc;

    mc = ngx_http_milvus_cdc_meta_collection(e->snap, c->source_id);
    if (mc == NULL) {
        return 0;
    }

    pc = mc->pchannels.elts;
    sc = e->schans.elts;

    for (i = 0; i < mc->pchannels.nelts; i++) {
        for (j = 0; j < e->schans.nelts; j++) {
            if (sc[j].name.len == pc[i].len
                && ngx_strncmp(sc[j].name.data, pc[i].data, pc[i].len) == 0
                && sc[j].acked_ts < ts)
            {
                return 1;
            }
        }
    }

    return 0;
}


static ngx_int_t
ngx_http_milvus_cdc_ops_dml(ngx_http_milvus_cdc_engine_t *e,
    ngx_http_milvus_cdc_schan_t *sc, int64_t offset,
    ngx_http_milvus_cdc_msg_t *m)
{
    uint64_t                            src, out;
    ngx_int_t                           k;
    ngx_str_t                           bytes, del;
    ngx_uint_t                          i;
    ngx_http_milvus_cdc_coll_t         *c;
    ngx_http_milvus_cdc_part_t         *parts;
    ngx_http_milvus_cdc_pack_t         *pack;
    ngx_http_milvus_cdc_tchan_t        *t;
    ngx_http_milvus_cdc_msg_rewrite_t   rw;

    c = ngx_http_milvus_cdc_registry_coll(e, m->collection_id);

    k = ngx_http_milvus_cdc_registry_shard(&m->shard_name);

    if (k < 0 || (ngx_uint_t) k >= c->nshards) {
        ngx_http_milvus_cdc_engine_fail(e, "collection %V.%V: unknown shard "
                                        "%V", &c->db, &c->name,
                                        &m->shard_name);
        return NGX_ERROR;
    }

    ngx_memzero(&rw, sizeof(rw));

    rw.collection_id = c->target_id;
    rw.shard_name = c->tvchannels[k];
    rw.partition_id = -1;

    if (m->partition_id != -1) {
        parts = c->parts.elts;

        for (i = 0; i < c->parts.nelts; i++) {
            if (parts[i].source_id == m->partition_id) {
                rw.partition_id = parts[i].target_id;
                break;
            }
        }

        if (i == c->parts.nelts
            && sc->blocked && e->meta_gen >= sc->held_gen
            && ngx_http_milvus_cdc_ops_partition_gone(e, c, m->partition_id))
        {
            /* its rows went with the partition on the source */

            ngx_log_error(NGX_LOG_INFO, e->log, 0,
                          "milvus_cdc: task %V: %V offset %L: %s into "
                          "partition %L of %V.%V, dropped on the source, "
                          "skipped", &e->task.task_id, &sc->name, offset,
                          ngx_http_milvus_cdc_msg_type_name(m->hdr.type),
                          m->partition_id, &c->db, &c->name);
            return NGX_OK;
        }

        if (i == c->parts.nelts) {
            /* a partition created since: CreatePartition is not in the WAL */

            if (!e->meta_busy && !e->ddl) {
                (void) ngx_http_milvus_cdc_registry_refresh(e);
            }

            return NGX_AGAIN;
        }
    }

    t = c->tchans[k];

    src = m->end_ts ? m->end_ts : m->hdr.ts;
    out = ngx_http_milvus_cdc_clock_stamp(&t->clock, sc, src);
    rw.ts = (out != src || m->hdr.ts == 0) ? out : 0;
    rw.msg_id = ngx_http_milvus_cdc_ids_of(&e->ids, m->hdr.msg_id);

    ngx_log_debug6(NGX_LOG_DEBUG_HTTP, e->log, 0,
                   "milvus_cdc: task %V: %V: %s of %V at %uL sent at %uL",
                   &e->task.task_id, &t->name,
                   m->hdr.type == NGX_HTTP_MILVUS_CDC_MSG_INSERT
                   ? "insert" : "delete",
                   &m->shard_name, src, out);

    if (ngx_http_milvus_cdc_msg_rewrite(m, &rw, &bytes, e->log) != NGX_OK) {
        ngx_http_milvus_cdc_engine_fail(e, "fail to rewrite a message of "
                                        "%V.%V", &c->db, &c->name);
        return NGX_ERROR;
    }

    pack = ngx_http_milvus_cdc_source_pack(sc);
    if (pack == NULL) {
        ngx_free(bytes.data);
        return NGX_ERROR;
    }

    pack->data = 1;

    /*
     * a replayed Insert the target may have had before a crash, or before
     * the task (replay_ts is then at least the clock's floor): its keys
     * are deleted at the new timestamp first, so exactly one row stays
     */

    if (m->hdr.type == NGX_HTTP_MILVUS_CDC_MSG_INSERT
        && src <= t->clock.replay_ts
        && c->pk_field >= 0
        && ngx_http_milvus_cdc_msg_insert_delete(&bytes, c->pk_field, m,
                                    &rw.shard_name, out,
                                    ngx_http_milvus_cdc_ids_new(&e->ids),
                                    &del, e->log)
           == NGX_OK)
    {
        if (ngx_http_milvus_cdc_writer_enqueue(t, &del, out,
                                               &pack->remaining, NULL)
            != NGX_OK)
        {
            ngx_free(bytes.data);
            return NGX_ERROR;
        }

        ngx_log_debug3(NGX_LOG_DEBUG_HTTP, e->log, 0,
                       "milvus_cdc: task %V: %V: replayed insert at %uL "
                       "preceded by a delete of its keys",
                       &e->task.task_id, &t->name, out);
    }

    if (ngx_http_milvus_cdc_writer_enqueue(t, &bytes, out, &pack->remaining,
                                           NULL)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_http_milvus_cdc_resume_add(&sc->resume, src, offset);

    return NGX_OK;
}


/*
 * DropCollection / DropPartition: the source broadcasts it to every
 * pchannel of the collection.  The first copy is forwarded to every target
 * pchannel of the collection; once the target has them, the drop itself
 * is made with MilvusService DropCollection/DropPartition marked as
 * replicated (so that the target does not broadcast its own).
 */

static ngx_int_t
ngx_http_milvus_cdc_ops_drop(ngx_http_milvus_cdc_engine_t *e,
    ngx_http_milvus_cdc_schan_t *sc, ngx_http_milvus_cdc_msg_t *m)
{
    ngx_uint_t                   i, partition;
    ngx_http_milvus_cdc_coll_t  *c;
    ngx_http_milvus_cdc_part_t  *parts, *part;

    c = ngx_http_milvus_cdc_registry_coll(e, m->collection_id);
    part = NULL;
    partition = (m->hdr.type == NGX_HTTP_MILVUS_CDC_MSG_DROP_PARTITION);

    if (partition) {
        parts = c->parts.elts;

        for (i = 0; i < c->parts.nelts; i++) {
            if (parts[i].source_id == m->partition_id) {
                part = &parts[i];
                break;
            }
        }

        if (part == NULL && !(sc->blocked && e->meta_gen >= sc->held_gen)) {
            /* created since the last snapshot: learn it first */

            if (!e->meta_busy && !e->ddl) {
                (void) ngx_http_milvus_cdc_registry_refresh(e);
            }

            return NGX_AGAIN;
        }

        if (part == NULL || part->dropped) {
            return NGX_OK;
        }

        if (c->dropping && c->dropping != part) {
            return NGX_AGAIN;
        }
    }

    if (c->drop_rpc == NGX_HTTP_MILVUS_CDC_DROP_NONE && c->dropping == NULL
        && c->state == COLL_READY)
    {
        return ngx_http_milvus_cdc_ops_drop_forward(e, sc, m, c, part);
    }

    /* the forwarded copies on the target, then the drop call itself */

    if (c->wait || e->ddl_call || e->ddl
        || (c->drop_retry
            && (ngx_msec_int_t) (ngx_current_msec - c->drop_retry) < 0))
    {
        return NGX_AGAIN;
    }

    if (c->drop_rpc != NGX_HTTP_MILVUS_CDC_DROP_DROPPING) {
        return ngx_http_milvus_cdc_ops_drop_call(e, m, c, part);
    }

    /* the drop call has completed, and went through */

    c->drop_rpc = NGX_HTTP_MILVUS_CDC_DROP_NONE;

    if (partition) {
        part->dropped = 1;
        c->dropping = NULL;

    } else {
        c->state = COLL_DROPPED;
    }

    if (partition) {
        ngx_log_error(NGX_LOG_NOTICE, e->log, 0,
                      "milvus_cdc: task %V: drop of partition %V of %V.%V "
                      "replicated", &e->task.task_id, &part->name, &c->db,
                      &c->name);

    } else {
        ngx_log_error(NGX_LOG_NOTICE, e->log, 0,
                      "milvus_cdc: task %V: drop of %V.%V replicated",
                      &e->task.task_id, &c->db, &c->name);
    }

    return NGX_OK;
}


/* the first copy of a drop: forwarded to every target pchannel */

static ngx_int_t
ngx_http_milvus_cdc_ops_drop_forward(ngx_http_milvus_cdc_engine_t *e,
    ngx_http_milvus_cdc_schan_t *sc, ngx_http_milvus_cdc_msg_t *m,
    ngx_http_milvus_cdc_coll_t *c, ngx_http_milvus_cdc_part_t *part)
{
    uint64_t                           out;
    ngx_str_t                          bytes;
    ngx_uint_t                         k, partition;
    ngx_http_milvus_cdc_msg_rewrite_t  rw;

    partition = (m->hdr.type == NGX_HTTP_MILVUS_CDC_MSG_DROP_PARTITION);

    ngx_memzero(&rw, sizeof(rw));
    rw.collection_id = c->target_id;
    rw.partition_id = part ? part->target_id : 0;

    for (k = 0; k < c->nshards; k++) {
        out = ngx_http_milvus_cdc_clock_stamp(&c->tchans[k]->clock, sc,
                                               m->hdr.ts);
        rw.ts = out != m->hdr.ts ? out : 0;
        rw.shard_name = c->tvchannels[k];

        if (ngx_http_milvus_cdc_msg_rewrite(m, &rw, &bytes, e->log)
            != NGX_OK)
        {
            ngx_http_milvus_cdc_engine_fail(e, "fail to rewrite a drop of "
                                            "%V.%V", &c->db, &c->name);
            return NGX_ERROR;
        }

        c->wait++;

        if (ngx_http_milvus_cdc_writer_enqueue(c->tchans[k], &bytes, out,
                                               NULL, &c->wait)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    if (partition) {
        c->dropping = part;

    } else {
        c->state = COLL_DROPPING;
    }

    return NGX_AGAIN;
}


/*
 * The target call of a drop, its copies acknowledged: a partition is
 * released first, then DropPartition or DropCollection
 */

static ngx_int_t
ngx_http_milvus_cdc_ops_drop_call(ngx_http_milvus_cdc_engine_t *e,
    ngx_http_milvus_cdc_msg_t *m, ngx_http_milvus_cdc_coll_t *c,
    ngx_http_milvus_cdc_part_t *part)
{
    ngx_str_t                              bytes;
    ngx_uint_t                             rpc, partition;
    ngx_http_milvus_cdc_msg_request_t      rq;
    ngx_http_milvus_cdc_grpc_call_conf_t   cf;

    ngx_memzero(&cf, sizeof(cf));
    partition = (m->hdr.type == NGX_HTTP_MILVUS_CDC_MSG_DROP_PARTITION);

    /*
     * a partition is released first: the source released it before
     * the drop, on the replicate channel, which may not have got
     * there yet; a loaded partition cannot be dropped
     */

    if (partition && c->drop_rpc == NGX_HTTP_MILVUS_CDC_DROP_NONE) {
        if (ngx_http_milvus_cdc_msg_release_partition(&c->db, &c->name,
                                                      &part->name, &bytes,
                                                      e->log)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        rpc = NGX_HTTP_MILVUS_CDC_MSG_RELEASE_PARTITIONS;
        cf.method = *ngx_http_milvus_cdc_msg_rpc_method(rpc);

    } else {
        ngx_memzero(&rq, sizeof(rq));
        rq.db_name = c->db;
        rq.collection_name = c->name;
        rq.replicate_ts = m->hdr.ts;

        if (partition) {
            rq.partition_name = part->name;
            rpc = NGX_HTTP_MILVUS_CDC_MSG_RPC_DROP_PARTITION;

        } else {
            rpc = NGX_HTTP_MILVUS_CDC_MSG_RPC_DROP_COLLECTION;
        }

        if (ngx_http_milvus_cdc_msg_request(rpc, &rq, &bytes, e->log)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        cf.method = *ngx_http_milvus_cdc_msg_method(rpc);
    }

    /* e->ddl stays NULL: the DDL machine is not involved */

    cf.request = bytes;
    cf.dbname = c->db;
    cf.timeout = ENGINE_RPC_TIMEOUT;
    cf.handler = ngx_http_milvus_cdc_ops_drop_done;
    cf.data = e;
    e->drop_coll = c;

    e->ddl_call = ngx_http_milvus_cdc_grpc_call_start(e->target, &cf,
                                                      e->log);
    ngx_free(bytes.data);

    if (e->ddl_call) {
        c->drop_rpc = (partition
                       && c->drop_rpc == NGX_HTTP_MILVUS_CDC_DROP_NONE)
                      ? NGX_HTTP_MILVUS_CDC_DROP_RELEASING
                      : NGX_HTTP_MILVUS_CDC_DROP_DROPPING;
    }

    return NGX_AGAIN;
}


/*
 * The target's answer to a drop's ReleasePartitions, DropPartition or
 * DropCollection: a transport failure is retried (the same step again); a
 * refusal pauses the task with the target's message, except "not found"
 * (a drop read again after a restart: done already).
 */

static void
ngx_http_milvus_cdc_ops_drop_done(ngx_http_milvus_cdc_grpc_result_t *res,
    void *data)
{
    ngx_http_milvus_cdc_engine_t *e = data;

    ngx_int_t                         rc;
    ngx_str_t                         call, part;
    ngx_http_milvus_cdc_coll_t       *c;
    ngx_http_milvus_cdc_msg_reply_t   r;

    e->ddl_call = NULL;
    c = e->drop_coll;
    e->drop_coll = NULL;

    if (c == NULL || e->state == ENGINE_FAILED) {
        return;
    }

    if (c->drop_rpc == NGX_HTTP_MILVUS_CDC_DROP_RELEASING) {
        ngx_str_set(&call, "ReleasePartitions");

    } else if (c->dropping) {
        ngx_str_set(&call, "DropPartition");

    } else {
        ngx_str_set(&call, "DropCollection");
    }

    if (res->status != 0) {
        ngx_http_milvus_cdc_writer_trouble(&e->writer, &call, &c->name, res);

        /* the same step again, later: release again, or drop again */
        c->drop_rpc = (c->drop_rpc == NGX_HTTP_MILVUS_CDC_DROP_DROPPING
                       && c->dropping)
                      ? NGX_HTTP_MILVUS_CDC_DROP_RELEASING
                      : NGX_HTTP_MILVUS_CDC_DROP_NONE;
        c->drop_retry = ngx_current_msec + ENGINE_RETRY_DELAY;
        return;
    }

    ngx_http_milvus_cdc_writer_recovered(&e->writer);

    /* each of the three answers a common.Status */

    rc = ngx_http_milvus_cdc_msg_reply(NGX_HTTP_MILVUS_CDC_ENGINE_STATUS_REPLY,
                                       &res->reply, &r, e->log);

    ngx_str_null(&part);

    if (c->dropping) {
        part = c->dropping->name;
    }

    if (rc == NGX_DECLINED
        && (r.reason.len == 0
            || (ngx_strlcasestrn(r.reason.data, r.reason.data + r.reason.len,
                                 (u_char *) "not found",
                                 sizeof("not found") - 2)
                == NULL
                && ngx_strlcasestrn(r.reason.data,
                                    r.reason.data + r.reason.len,
                                    (u_char *) "not exist",
                                    sizeof("not exist") - 2)
                   == NULL)))
    {
        ngx_http_milvus_cdc_engine_fail(e, "%V of %V.%V%s%V refused by the "
                                        "target: %V (error code %i)", &call,
                                        &c->db, &c->name,
                                        part.len ? " partition " : "", &part,
                                        r.reason.len ? &r.reason : &call,
                                        r.error_code ? r.error_code
                                                     : r.code);

    } else if (rc == NGX_ERROR) {
        ngx_http_milvus_cdc_engine_fail(e, "undecodable reply of %V of "
                                        "%V.%V", &call, &c->db, &c->name);
    }

    ngx_http_milvus_cdc_msg_reply_free(&r);
}


/* a source TimeTick closes the pack of its pchannel */

static ngx_int_t
ngx_http_milvus_cdc_ops_tick(ngx_http_milvus_cdc_engine_t *e,
    ngx_http_milvus_cdc_schan_t *sc, int64_t offset, uint64_t ts)
{
    uint64_t                       out;
    ngx_str_t                      bytes;
    ngx_uint_t                     i;
    ngx_http_milvus_cdc_pack_t    *pack;
    ngx_http_milvus_cdc_tchan_t  **tp;

    pack = ngx_http_milvus_cdc_source_pack(sc);
    if (pack == NULL) {
        return NGX_ERROR;
    }

    e->heard_at = ngx_current_msec;
    pack->offset = offset;
    pack->ts = ts;
    pack->resume = ngx_http_milvus_cdc_resume_tick(&sc->resume, ts, offset);

    if (pack->resume <= offset) {
        ngx_log_debug5(NGX_LOG_DEBUG_HTTP, e->log, 0,
                       "milvus_cdc: task %V: %V: TimeTick %uL at %L: "
                       "read again from %L after a restart",
                       &e->task.task_id, &sc->name, ts, offset,
                       pack->resume);
    }

    tp = sc->tchans.elts;

    for (i = 0; i < sc->tchans.nelts; i++) {
        out = ngx_http_milvus_cdc_clock_tick(&tp[i]->clock, sc, ts);

        if (out == 0) {
            /* another source pchannel of this target pchannel is behind */
            continue;
        }

        ngx_log_debug3(NGX_LOG_DEBUG_HTTP, e->log, 0,
                       "milvus_cdc: task %V: %V: TimeTick %uL",
                       &e->task.task_id, &tp[i]->name, out);

        if (ngx_http_milvus_cdc_msg_timetick(out, &bytes, e->log) != NGX_OK
            || ngx_http_milvus_cdc_writer_enqueue(tp[i], &bytes, out,
                                                  &pack->remaining, NULL)
               != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    /* sealed */

    sc->open = NULL;

    if (sc->tail) {
        sc->tail->next = pack;

    } else {
        sc->head = pack;
    }

    sc->tail = pack;

    return NGX_OK;
}
