
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 *
 * The registry's steps that ensure a collection on the target, one DDL
 * call at a time (CreateDatabase, HasCollection, CreateCollection,
 * DescribeCollection, ShowPartitions, CreatePartition), their replies, the
 * target ids and channels learnt from them, and the id maps of the store
 * (a collection the task created on the target or found there).
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_milvus_cdc_engine_int.h"


static void ngx_http_milvus_cdc_registry_create(
    ngx_http_milvus_cdc_engine_t *e, ngx_http_milvus_cdc_coll_t *c,
    ngx_http_milvus_cdc_meta_collection_t *mc,
    ngx_http_milvus_cdc_msg_request_t *rq);
static void ngx_http_milvus_cdc_registry_partitions(
    ngx_http_milvus_cdc_engine_t *e, ngx_http_milvus_cdc_coll_t *c,
    ngx_http_milvus_cdc_meta_collection_t *mc,
    ngx_http_milvus_cdc_msg_request_t *rq);
static ngx_int_t ngx_http_milvus_cdc_registry_ddl_call(
    ngx_http_milvus_cdc_engine_t *e, ngx_uint_t rpc,
    ngx_http_milvus_cdc_msg_request_t *rq);
static void ngx_http_milvus_cdc_registry_ddl_done(
    ngx_http_milvus_cdc_grpc_result_t *res, void *data);
static ngx_int_t ngx_http_milvus_cdc_registry_ddl_reply(
    ngx_http_milvus_cdc_engine_t *e, ngx_http_milvus_cdc_coll_t *c,
    ngx_uint_t rpc, ngx_http_milvus_cdc_msg_reply_t *r);
static ngx_int_t ngx_http_milvus_cdc_registry_done_gone(
    ngx_http_milvus_cdc_engine_t *e, ngx_http_milvus_cdc_coll_t *c);
static ngx_int_t ngx_http_milvus_cdc_registry_reused(
    ngx_http_milvus_cdc_engine_t *e, ngx_http_milvus_cdc_coll_t *c);
static ngx_int_t ngx_http_milvus_cdc_registry_own(
    ngx_http_milvus_cdc_engine_t *e, ngx_http_milvus_cdc_coll_t *c);
static void ngx_http_milvus_cdc_registry_floor(
    ngx_http_milvus_cdc_engine_t *e, ngx_http_milvus_cdc_coll_t *c,
    ngx_http_milvus_cdc_tchan_t *t);
static ngx_int_t ngx_http_milvus_cdc_registry_map(
    ngx_http_milvus_cdc_engine_t *e, ngx_http_milvus_cdc_coll_t *c,
    ngx_http_milvus_cdc_msg_reply_t *r);


/*
 * The DDL on the target, one call at a time: for the next collection in
 * state COLL_NEW, the steps (ngx_http_milvus_cdc_step_e) CreateDatabase
 * (not "default"), HasCollection and CreateCollection,
 * DescribeCollection, ShowPartitions, CreatePartition (one per missing
 * partition, then ShowPartitions again), then ready.  When none is left
 * during start, the source log is opened.
 */

void
ngx_http_milvus_cdc_registry_ensure(ngx_http_milvus_cdc_engine_t *e)
{
    ngx_uint_t                              i;
    ngx_http_milvus_cdc_coll_t             *c, **colls;
    ngx_http_milvus_cdc_meta_collection_t  *mc;
    ngx_http_milvus_cdc_msg_request_t       rq;

    if (e->ddl_call || e->state == ENGINE_FAILED
        || e->state == ENGINE_STOPPING)
    {
        return;
    }

    c = e->ddl;

    if (c == NULL) {
        colls = e->colls.elts;

        for (i = 0; i < e->colls.nelts; i++) {
            if (colls[i]->state == COLL_NEW
                && !ngx_http_milvus_cdc_registry_reused(e, colls[i]))
            {
                c = colls[i];
                break;
            }
        }

        if (c == NULL) {
            if (e->state == ENGINE_ENSURE
                && ngx_http_milvus_cdc_source_open(e) != NGX_OK)
            {
                return;
            }

            /* every collection ready: their aliases */

            ngx_http_milvus_cdc_alias_sync(e);

            return;
        }

        e->ddl = c;

        if (c->state == COLL_NEW && c->target_id == 0) {
            c->step = c->gone
                      ? NGX_HTTP_MILVUS_CDC_STEP_COLLECTION
                      : (c->db.len == sizeof("default") - 1
                         && ngx_strncmp(c->db.data, "default", c->db.len)
                            == 0)
                      ? (c->old_name.len ? NGX_HTTP_MILVUS_CDC_STEP_RENAME
                                         : NGX_HTTP_MILVUS_CDC_STEP_COLLECTION)
                      : NGX_HTTP_MILVUS_CDC_STEP_DATABASE;
        }

        c->state = COLL_ENSURING;
    }

    mc = ngx_http_milvus_cdc_meta_collection(e->snap, c->source_id);

    if (mc == NULL) {
        /* gone from the source meanwhile */
        c->state = COLL_IGNORED;
        e->ddl = NULL;
        ngx_http_milvus_cdc_registry_ensure(e);
        return;
    }

    ngx_memzero(&rq, sizeof(rq));
    rq.db_name = c->db;
    rq.collection_name = c->name;

    switch (c->step) {

    case NGX_HTTP_MILVUS_CDC_STEP_DATABASE:
        (void) ngx_http_milvus_cdc_registry_ddl_call(e,
                   NGX_HTTP_MILVUS_CDC_MSG_RPC_CREATE_DATABASE, &rq);
        return;

    case NGX_HTTP_MILVUS_CDC_STEP_COLLECTION:
        if (!c->checked) {
            (void) ngx_http_milvus_cdc_registry_ddl_call(e,
                       NGX_HTTP_MILVUS_CDC_MSG_RPC_HAS_COLLECTION, &rq);
            return;
        }

        ngx_http_milvus_cdc_registry_create(e, c, mc, &rq);
        return;

    case NGX_HTTP_MILVUS_CDC_STEP_DESCRIBE:
        (void) ngx_http_milvus_cdc_registry_ddl_call(e,
                   NGX_HTTP_MILVUS_CDC_MSG_RPC_DESCRIBE_COLLECTION, &rq);
        return;

    case NGX_HTTP_MILVUS_CDC_STEP_PARTITIONS:
        (void) ngx_http_milvus_cdc_registry_ddl_call(e,
                   NGX_HTTP_MILVUS_CDC_MSG_RPC_SHOW_PARTITIONS, &rq);
        return;

    case NGX_HTTP_MILVUS_CDC_STEP_PARTITION:
        ngx_http_milvus_cdc_registry_partitions(e, c, mc, &rq);
        return;

    case NGX_HTTP_MILVUS_CDC_STEP_RENAME:
        rq.db_name = c->old_db;
        rq.collection_name = c->old_name;
        rq.new_name = c->name;
        rq.new_db_name = c->db;

        (void) ngx_http_milvus_cdc_registry_ddl_call(e,
                   NGX_HTTP_MILVUS_CDC_MSG_RPC_RENAME_COLLECTION, &rq);
        return;
    }
}


/* CreateCollection with the source's schema, shards, properties */

static void
ngx_http_milvus_cdc_registry_create(ngx_http_milvus_cdc_engine_t *e,
    ngx_http_milvus_cdc_coll_t *c, ngx_http_milvus_cdc_meta_collection_t *mc,
    ngx_http_milvus_cdc_msg_request_t *rq)
{
    ngx_uint_t                     i, n;
    ngx_keyval_t                  *props;
    ngx_http_milvus_cdc_msg_kv_t  *kv;

    rq->schema = mc->schema;
    rq->shards_num = mc->shards_num;
    rq->consistency_level = mc->consistency_level;
    rq->replicate_ts = mc->create_time;

    if (mc->partition_key) {
        rq->num_partitions = mc->partitions.nelts;
    }

    n = mc->properties.nelts;

    if (n) {
        kv = ngx_pcalloc(e->pool, n * sizeof(ngx_http_milvus_cdc_msg_kv_t));
        if (kv == NULL) {
            return;
        }

        props = mc->properties.elts;

        for (i = 0; i < n; i++) {
            kv[i].key = props[i].key;
            kv[i].value = props[i].value;
        }

        rq->properties = kv;
        rq->nproperties = n;
    }

    (void) ngx_http_milvus_cdc_registry_ddl_call(e,
               NGX_HTTP_MILVUS_CDC_MSG_RPC_CREATE_COLLECTION, rq);
}


/*
 * CreatePartition of the first source partition the target lacks, or,
 * with every one there, the collection is ready
 */

static void
ngx_http_milvus_cdc_registry_partitions(ngx_http_milvus_cdc_engine_t *e,
    ngx_http_milvus_cdc_coll_t *c, ngx_http_milvus_cdc_meta_collection_t *mc,
    ngx_http_milvus_cdc_msg_request_t *rq)
{
    ngx_uint_t                             j, k, found;
    ngx_http_milvus_cdc_part_t            *parts;
    ngx_http_milvus_cdc_meta_partition_t  *mp;

    /* the first source partition the target lacks */

    mp = mc->partitions.elts;
    parts = c->parts.elts;

    for (j = 0; j < mc->partitions.nelts; j++) {
        if (mp[j].state != NGX_HTTP_MILVUS_CDC_META_CREATED
            || mc->partition_key)
        {
            continue;
        }

        found = 0;

        for (k = 0; k < c->parts.nelts; k++) {
            if (parts[k].name.len == mp[j].name.len
                && ngx_strncmp(parts[k].name.data, mp[j].name.data,
                               mp[j].name.len) == 0)
            {
                parts[k].source_id = mp[j].id;
                found = 1;
                break;
            }
        }

        if (!found) {
            rq->partition_name = mp[j].name;
            (void) ngx_http_milvus_cdc_registry_ddl_call(e,
                       NGX_HTTP_MILVUS_CDC_MSG_RPC_CREATE_PARTITION, rq);
            return;
        }
    }

    /* every partition is there */

    for (j = 0; j < mc->partitions.nelts; j++) {
        for (k = 0; k < c->parts.nelts; k++) {
            if (parts[k].name.len == mp[j].name.len
                && ngx_strncmp(parts[k].name.data, mp[j].name.data,
                               mp[j].name.len) == 0)
            {
                parts[k].source_id = mp[j].id;
            }
        }
    }

    c->state = COLL_READY;
    e->ddl = NULL;

    ngx_log_error(NGX_LOG_NOTICE, e->log, 0,
                  "milvus_cdc: task %V: collection %V.%V (%L) on the "
                  "target as %L, %ui shards, %ui partitions",
                  &e->task.task_id, &c->db, &c->name, c->source_id,
                  c->target_id, c->nshards, c->parts.nelts);

    ngx_http_milvus_cdc_registry_ensure(e);
}


static ngx_int_t
ngx_http_milvus_cdc_registry_ddl_call(ngx_http_milvus_cdc_engine_t *e,
    ngx_uint_t rpc, ngx_http_milvus_cdc_msg_request_t *rq)
{
    if (ngx_http_milvus_cdc_registry_call(e, rpc, rq,
                                          ngx_http_milvus_cdc_registry_ddl_done)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* the rpc being made, for its reply */

    e->ddl->ddl_rpc = rpc;

    return NGX_OK;
}


/* a DDL call of rpc on e->ddl_call, done with handler(e) */

ngx_int_t
ngx_http_milvus_cdc_registry_call(ngx_http_milvus_cdc_engine_t *e,
    ngx_uint_t rpc, ngx_http_milvus_cdc_msg_request_t *rq,
    ngx_http_milvus_cdc_grpc_handler_pt handler)
{
    ngx_str_t                             body;
    ngx_http_milvus_cdc_grpc_call_conf_t  cf;

    if (ngx_http_milvus_cdc_msg_request(rpc, rq, &body, e->log) != NGX_OK) {
        ngx_http_milvus_cdc_engine_fail(e, "fail to build the %s request",
                                        "DDL");
        return NGX_ERROR;
    }

    ngx_memzero(&cf, sizeof(cf));

    cf.method = *ngx_http_milvus_cdc_msg_method(rpc);
    cf.request = body;
    cf.dbname = rq->db_name;
    cf.timeout = ENGINE_RPC_TIMEOUT;
    cf.handler = handler;
    cf.data = e;

    e->ddl_call = ngx_http_milvus_cdc_grpc_call_start(e->target, &cf, e->log);

    ngx_free(body.data);

    if (e->ddl_call == NULL) {
        ngx_http_milvus_cdc_engine_fail(e, "fail to call the target %V",
                                        &e->task.target_uri);
        return NGX_ERROR;
    }

    return NGX_OK;
}


static void
ngx_http_milvus_cdc_registry_ddl_done(ngx_http_milvus_cdc_grpc_result_t *res,
    void *data)
{
    ngx_http_milvus_cdc_engine_t *e = data;

    ngx_int_t                         rc;
    ngx_uint_t                        rpc;
    ngx_http_milvus_cdc_coll_t       *c;
    ngx_http_milvus_cdc_msg_reply_t   r;

    e->ddl_call = NULL;
    c = e->ddl;

    if (c == NULL || e->state == ENGINE_FAILED) {
        return;
    }

    rpc = c->ddl_rpc;
    c->ddl_rpc = 0;

    if (res->status != 0) {
        /* transient: the target is restarting, try again later */

        ngx_http_milvus_cdc_writer_trouble(&e->writer,
                                           ngx_http_milvus_cdc_msg_method(rpc),
                                           &c->name, res);
        e->ddl = NULL;
        c->state = COLL_NEW;
        e->meta_at = ngx_current_msec + ENGINE_RETRY_DELAY;
        return;
    }

    ngx_http_milvus_cdc_writer_recovered(&e->writer);

    ngx_memzero(&r, sizeof(r));

    rc = ngx_http_milvus_cdc_msg_reply(rpc, &res->reply, &r, e->log);

    if (rc == NGX_OK || rc == NGX_DECLINED) {
        rc = ngx_http_milvus_cdc_registry_ddl_reply(e, c, rpc,
                                                  rc == NGX_OK ? &r : NULL);

        if (rc == NGX_ERROR && r.reason.len == 0) {
            ngx_str_set(&r.reason, "the target's collection does not fit "
                        "the source's (shards or channels differ)");
        }

        if (rc == NGX_ERROR
            && rpc == NGX_HTTP_MILVUS_CDC_MSG_RPC_RENAME_COLLECTION)
        {
            ngx_http_milvus_cdc_engine_fail(e, "RenameCollection of %V.%V to "
                                            "%V.%V (collection %L, renamed on "
                                            "the source) refused by the "
                                            "target: %V (code %i)",
                                            &c->old_db, &c->old_name, &c->db,
                                            &c->name, c->source_id, &r.reason,
                                            r.code);

        } else if (rc == NGX_ERROR) {
            ngx_http_milvus_cdc_engine_fail(e, "%V of %V.%V on the target "
                                            "failed: %V",
                                            ngx_http_milvus_cdc_msg_method(rpc),
                                            &c->db, &c->name, &r.reason);
        }

    } else {
        ngx_http_milvus_cdc_engine_fail(e, "undecodable reply of %V",
                                        ngx_http_milvus_cdc_msg_method(rpc));
    }

    ngx_http_milvus_cdc_msg_reply_free(&r);

    if (e->state != ENGINE_FAILED) {
        ngx_http_milvus_cdc_registry_ensure(e);
    }
}


/* r == NULL: Milvus refused the call (the reason is in the reply) */

static ngx_int_t
ngx_http_milvus_cdc_registry_ddl_reply(ngx_http_milvus_cdc_engine_t *e,
    ngx_http_milvus_cdc_coll_t *c, ngx_uint_t rpc,
    ngx_http_milvus_cdc_msg_reply_t *r)
{
    ngx_uint_t                     i;
    ngx_http_milvus_cdc_part_t    *part;
    ngx_http_milvus_cdc_id_map_t  *map;

    switch (rpc) {

    case NGX_HTTP_MILVUS_CDC_MSG_RPC_CREATE_DATABASE:
        /* "database already exist" is as good */
        c->step = c->old_name.len ? NGX_HTTP_MILVUS_CDC_STEP_RENAME
                                  : NGX_HTTP_MILVUS_CDC_STEP_COLLECTION;
        return NGX_OK;

    case NGX_HTTP_MILVUS_CDC_MSG_RPC_RENAME_COLLECTION:
        if (r == NULL) {
            return NGX_ERROR;
        }

        return ngx_http_milvus_cdc_registry_rename_done(e, c);

    case NGX_HTTP_MILVUS_CDC_MSG_RPC_CREATE_COLLECTION:
        /* an existing collection is checked by the describe */
        c->step = NGX_HTTP_MILVUS_CDC_STEP_DESCRIBE;
        return NGX_OK;

    case NGX_HTTP_MILVUS_CDC_MSG_RPC_HAS_COLLECTION:
        if (r == NULL) {
            return NGX_ERROR;
        }

        c->existed = r->value;
        c->checked = 1;

        if (!c->existed && c->gone) {
            /* dropped on the target already */
            return ngx_http_milvus_cdc_registry_done_gone(e, c);
        }

        if (!c->existed) {
            return NGX_OK;
        }

        map = ngx_http_milvus_cdc_registry_id_map(e, c->source_id);

        if (map && map->kind.len == sizeof(ENGINE_MAP_CREATED) - 1
            && ngx_strncmp(map->kind.data, ENGINE_MAP_CREATED,
                           map->kind.len) == 0)
        {
            /* the task's own: its checkpoints say what it holds */
            c->existed = 0;
            return NGX_OK;
        }

        ngx_log_error(NGX_LOG_NOTICE, e->log, 0,
                      "milvus_cdc: task %V: %V.%V is on the target "
                      "already, rows read again replace its rows",
                      &e->task.task_id, &c->db, &c->name);

        return NGX_OK;

    case NGX_HTTP_MILVUS_CDC_MSG_RPC_DESCRIBE_COLLECTION:
        if (r == NULL) {
            return NGX_ERROR;
        }

        map = ngx_http_milvus_cdc_registry_id_map(e, c->source_id);

        if (c->gone && map && map->target_id != r->collection_id) {
            /* the name is another collection's on the target now */
            return ngx_http_milvus_cdc_registry_done_gone(e, c);
        }

        if (ngx_http_milvus_cdc_registry_map(e, c, r) != NGX_OK
            || ngx_http_milvus_cdc_registry_own(e, c) != NGX_OK
            || ngx_http_milvus_cdc_alias_learn(e, c, r->names, r->nnames)
               != NGX_OK)
        {
            return NGX_ERROR;
        }

        c->step = NGX_HTTP_MILVUS_CDC_STEP_PARTITIONS;
        return NGX_OK;

    case NGX_HTTP_MILVUS_CDC_MSG_RPC_SHOW_PARTITIONS:
        if (r == NULL) {
            return NGX_ERROR;
        }

        c->parts.nelts = 0;

        for (i = 0; i < r->nnames; i++) {
            part = ngx_array_push(&c->parts);
            if (part == NULL) {
                return NGX_ERROR;
            }

            ngx_memzero(part, sizeof(ngx_http_milvus_cdc_part_t));

            part->target_id = r->ids[i];
            part->name.data = ngx_pstrdup(e->pool, &r->names[i]);
            part->name.len = r->names[i].len;

            if (part->name.data == NULL) {
                return NGX_ERROR;
            }
        }

        c->step = NGX_HTTP_MILVUS_CDC_STEP_PARTITION;
        return NGX_OK;

    case NGX_HTTP_MILVUS_CDC_MSG_RPC_CREATE_PARTITION:
        /* an existing partition shows in the next ShowPartitions */
        c->step = NGX_HTTP_MILVUS_CDC_STEP_PARTITIONS;
        return NGX_OK;
    }

    return NGX_ERROR;
}


/* a collection dropped on the source is not on the target either */

static ngx_int_t
ngx_http_milvus_cdc_registry_done_gone(ngx_http_milvus_cdc_engine_t *e,
    ngx_http_milvus_cdc_coll_t *c)
{
    ngx_log_error(NGX_LOG_INFO, e->log, 0,
                  "milvus_cdc: task %V: %V.%V (%L), dropped on the source, "
                  "is not on the target", &e->task.task_id, &c->db, &c->name,
                  c->source_id);

    c->state = COLL_DROPPED;
    c->step = NGX_HTTP_MILVUS_CDC_STEP_DATABASE;
    e->ddl = NULL;

    return NGX_DONE;
}


/*
 * Whether collection c (COLL_NEW) takes the name of an older collection
 * of the task's (a lower id: rootcoord allocates them in order) that is
 * not dropped on the target yet (a collection dropped and created again
 * under the same name): c waits until that one's DropCollection went
 * through, or the new one would be taken for it.
 */

static ngx_int_t
ngx_http_milvus_cdc_registry_reused(ngx_http_milvus_cdc_engine_t *e,
    ngx_http_milvus_cdc_coll_t *c)
{
    ngx_uint_t                    i;
    ngx_http_milvus_cdc_coll_t  **colls, *o;

    colls = e->colls.elts;

    for (i = 0; i < e->colls.nelts; i++) {
        o = colls[i];

        if (o == c || o->state == COLL_IGNORED || o->state == COLL_DROPPED
            || (o->state == COLL_NEW && !o->gone)
            || o->source_id > c->source_id
            || o->db.len != c->db.len || o->name.len != c->name.len
            || ngx_strncmp(o->db.data, c->db.data, c->db.len) != 0
            || ngx_strncmp(o->name.data, c->name.data, c->name.len) != 0)
        {
            continue;
        }

        return 1;
    }

    return 0;
}


/*
 * Remembers, across restarts, whether the task created collection c on
 * the target or found it there: a collection of its own is never "on the
 * target already" when the task starts again (its checkpoints say what the
 * target holds; replays are handled by the timestamps saved per target
 * pchannel).  A collection of the task's that was replaced on the target
 * (another id) is one found there from now on.
 */

static ngx_int_t
ngx_http_milvus_cdc_registry_own(ngx_http_milvus_cdc_engine_t *e,
    ngx_http_milvus_cdc_coll_t *c)
{
    u_char                        *p;
    ngx_str_t                      kind;
    ngx_http_milvus_cdc_id_map_t  *map, m;

    map = ngx_http_milvus_cdc_registry_id_map(e, c->source_id);

    if (map && map->target_id != c->target_id && !c->existed) {
        ngx_log_error(NGX_LOG_NOTICE, e->log, 0,
                      "milvus_cdc: task %V: %V.%V on the target is %L, not "
                      "the %L the task created: rows read again replace "
                      "its rows", &e->task.task_id, &c->db, &c->name,
                      c->target_id, map->target_id);
        c->existed = 1;
    }

    if (c->existed) {
        ngx_str_set(&kind, ENGINE_MAP_FOUND);

    } else {
        ngx_str_set(&kind, ENGINE_MAP_CREATED);
    }

    if (map && map->target_id == c->target_id
        && map->kind.len == kind.len
        && ngx_strncmp(map->kind.data, kind.data, kind.len) == 0)
    {
        return NGX_OK;
    }

    if (map == NULL) {
        map = ngx_array_push(&e->id_maps);
        if (map == NULL) {
            return NGX_ERROR;
        }
    }

    p = ngx_pnalloc(e->pool, c->db.len + 1 + c->name.len + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    m.kind = kind;
    m.source_id = c->source_id;
    m.target_id = c->target_id;
    m.name.data = p;
    m.name.len = ngx_sprintf(p, "%V.%V%Z", &c->db, &c->name) - p - 1;

    *map = m;

    if (ngx_http_milvus_cdc_store_id_map_put(e->store, &e->task.task_id, &m)
        != NGX_OK)
    {
        ngx_http_milvus_cdc_engine_fail(e, "fail to write the task store");
        return NGX_ERROR;
    }

    return NGX_OK;
}


ngx_http_milvus_cdc_id_map_t *
ngx_http_milvus_cdc_registry_id_map(ngx_http_milvus_cdc_engine_t *e,
    int64_t source_id)
{
    ngx_uint_t                     i;
    ngx_http_milvus_cdc_id_map_t  *map;

    map = e->id_maps.elts;

    for (i = 0; i < e->id_maps.nelts; i++) {
        if (map[i].source_id == source_id) {
            return &map[i];
        }
    }

    return NULL;
}


/*
 * The target's ids and channels of a collection: shard i of the source
 * (vchannel suffix "v<i>") goes to the target vchannel with the same
 * suffix, which lives on the target pchannel of the same index.
 */

static ngx_int_t
ngx_http_milvus_cdc_registry_map(ngx_http_milvus_cdc_engine_t *e,
    ngx_http_milvus_cdc_coll_t *c, ngx_http_milvus_cdc_msg_reply_t *r)
{
    ngx_int_t                               k;
    ngx_uint_t                              i, j;
    ngx_str_t                              *sp;
    ngx_http_milvus_cdc_tchan_t            *t;
    ngx_http_milvus_cdc_meta_collection_t  *mc;

    mc = ngx_http_milvus_cdc_meta_collection(e->snap, c->source_id);

    if (mc == NULL || r->nvchannels == 0
        || r->nvchannels != (ngx_uint_t) mc->shards_num
        || r->npchannels != r->nvchannels)
    {
        return NGX_ERROR;
    }

    c->target_id = r->collection_id;
    c->nshards = r->nvchannels;

    c->tvchannels = ngx_pcalloc(e->pool, c->nshards * sizeof(ngx_str_t));
    c->tchans = ngx_pcalloc(e->pool, c->nshards * sizeof(void *));

    if (c->tvchannels == NULL || c->tchans == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < r->nvchannels; i++) {
        k = ngx_http_milvus_cdc_registry_shard(&r->vchannels[i]);

        if (k < 0 || (ngx_uint_t) k >= c->nshards) {
            return NGX_ERROR;
        }

        c->tvchannels[k].data = ngx_pstrdup(e->pool, &r->vchannels[i]);
        c->tvchannels[k].len = r->vchannels[i].len;

        t = ngx_http_milvus_cdc_writer_channel(&e->writer, &r->pchannels[i]);

        if (c->tvchannels[k].data == NULL || t == NULL) {
            return NGX_ERROR;
        }

        c->tchans[k] = t;

        if (c->existed) {
            ngx_http_milvus_cdc_registry_floor(e, c, t);
        }
    }

    /* the source pchannel of shard k feeds the target pchannel of shard k */

    sp = mc->pchannels.elts;

    for (j = 0; j < mc->vchannels.nelts && j < mc->pchannels.nelts; j++) {
        k = ngx_http_milvus_cdc_registry_shard(
                              &((ngx_str_t *) mc->vchannels.elts)[j]);

        if (k >= 0 && (ngx_uint_t) k < c->nshards) {
            ngx_http_milvus_cdc_registry_feed(e, &sp[j], c->tchans[k]);
        }
    }

    return NGX_OK;
}


/*
 * Collection c was on the target before the task (an earlier task's rows,
 * a restore) and lands on target pchannel t: what t holds may be stamped
 * up to the time now (the source's clock, or this run's before), above
 * the task's own saved timestamps, so its stamps go above that: every
 * Insert read again up to then is preceded by a Delete of its keys at its
 * own new timestamp, which hides the copy already there (docs/engine.md,
 * "A task over a target that holds rows").
 */

static void
ngx_http_milvus_cdc_registry_floor(ngx_http_milvus_cdc_engine_t *e,
    ngx_http_milvus_cdc_coll_t *c, ngx_http_milvus_cdc_tchan_t *t)
{
    uint64_t     floor;
    ngx_time_t  *tp;

    tp = ngx_timeofday();
    floor = ((uint64_t) tp->sec * 1000 + tp->msec
             + NGX_HTTP_MILVUS_CDC_CLOCK_SKEW)
            << NGX_HTTP_MILVUS_CDC_CLOCK_LOGICAL_BITS;

    ngx_http_milvus_cdc_clock_floor(&t->clock, floor);

    ngx_log_error(NGX_LOG_NOTICE, e->log, 0,
                  "milvus_cdc: task %V: %V: %V.%V was on the target before, "
                  "what is sent there is stamped after %uL",
                  &e->task.task_id, &t->name, &c->db, &c->name, floor);
}
