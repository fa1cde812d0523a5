
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 *
 * The source metadata reader: create, refresh, cancel, destroy, and the
 * lookups in a snapshot (include/ngx_http_milvus_cdc_meta.h says what is
 * read; the Range calls are in ngx_http_milvus_cdc_meta_range.c, the
 * decoding in ngx_http_milvus_cdc_meta_build.c).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

#include "ngx_http_milvus_cdc_meta_int.h"


static void *ngx_http_milvus_cdc_meta_pb_alloc(void *pool, size_t size);
static void ngx_http_milvus_cdc_meta_pb_free(void *pool, void *p);


static const char  *ngx_http_milvus_cdc_meta_states[] = {
    "Created",
    "Creating",
    "Dropping",
    "Dropped"
};


ngx_http_milvus_cdc_meta_t *
ngx_http_milvus_cdc_meta_create(ngx_http_milvus_cdc_meta_conf_t *conf,
    ngx_log_t *log)
{
    u_char                      *p;
    ngx_str_t                   *ep, sub;
    ngx_uint_t                   i;
    ngx_pool_t                  *pool;
    ngx_http_milvus_cdc_meta_t  *meta;

    if (conf->endpoints == NULL || conf->endpoints->nelts == 0
        || conf->root_path.len == 0)
    {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "milvus_cdc: source metadata: no etcd endpoint "
                      "or no root path");
        return NULL;
    }

    pool = ngx_create_pool(1024, log);
    if (pool == NULL) {
        return NULL;
    }

    meta = ngx_pcalloc(pool, sizeof(ngx_http_milvus_cdc_meta_t));
    if (meta == NULL) {
        goto failed;
    }

    meta->pool = pool;
    meta->log = log;

    meta->nendpoints = conf->endpoints->nelts;
    meta->endpoints = ngx_palloc(pool, meta->nendpoints * sizeof(ngx_str_t));
    if (meta->endpoints == NULL) {
        goto failed;
    }

    ep = conf->endpoints->elts;

    for (i = 0; i < meta->nendpoints; i++) {
        meta->endpoints[i].len = ep[i].len;
        meta->endpoints[i].data = ngx_pstrdup(pool, &ep[i]);
        if (meta->endpoints[i].data == NULL) {
            goto failed;
        }
    }

    sub = conf->meta_sub_path;

    if (sub.len == 0) {
        ngx_str_set(&sub, NGX_HTTP_MILVUS_CDC_META_SUB_PATH);
    }

    meta->prefix.len = conf->root_path.len + 1 + sub.len
                       + sizeof("/root-coord/") - 1;
    meta->prefix.data = ngx_pnalloc(pool, meta->prefix.len);
    if (meta->prefix.data == NULL) {
        goto failed;
    }

    p = ngx_cpymem(meta->prefix.data, conf->root_path.data,
                   conf->root_path.len);
    *p++ = '/';
    p = ngx_cpymem(p, sub.data, sub.len);
    ngx_memcpy(p, "/root-coord/", sizeof("/root-coord/") - 1);

    meta->chconf.tls = conf->tls;

    if (conf->tls) {
        meta->chconf.ca_file.len = conf->ca_file.len;
        meta->chconf.ca_file.data = ngx_pstrdup(pool, &conf->ca_file);
        meta->chconf.cert_file.len = conf->cert_file.len;
        meta->chconf.cert_file.data = ngx_pstrdup(pool, &conf->cert_file);
        meta->chconf.key_file.len = conf->key_file.len;
        meta->chconf.key_file.data = ngx_pstrdup(pool, &conf->key_file);
        meta->chconf.server_name.len = conf->server_name.len;
        meta->chconf.server_name.data = ngx_pstrdup(pool,
                                                    &conf->server_name);
    }

    meta->timeout = conf->timeout ? conf->timeout
                                  : NGX_HTTP_MILVUS_CDC_META_TIMEOUT;
    meta->page = conf->page ? conf->page : NGX_HTTP_MILVUS_CDC_META_PAGE;

    meta->allocator.alloc = ngx_http_milvus_cdc_meta_pb_alloc;
    meta->allocator.free = ngx_http_milvus_cdc_meta_pb_free;

    return meta;

failed:

    ngx_destroy_pool(pool);

    return NULL;
}


ngx_int_t
ngx_http_milvus_cdc_meta_refresh(ngx_http_milvus_cdc_meta_t *meta,
    ngx_http_milvus_cdc_meta_handler_pt handler, void *data)
{
    if (meta->handler) {
        return NGX_BUSY;
    }

    if (handler == NULL) {
        return NGX_ERROR;
    }

    if (ngx_http_milvus_cdc_meta_begin(meta) != NGX_OK) {
        ngx_http_milvus_cdc_meta_reset(meta);
        return NGX_ERROR;
    }

    meta->restarts = 0;
    meta->start = ngx_current_msec;

    if (ngx_http_milvus_cdc_meta_call(meta) != NGX_OK) {
        ngx_http_milvus_cdc_meta_reset(meta);
        return NGX_ERROR;
    }

    meta->handler = handler;
    meta->data = data;

    return NGX_AGAIN;
}


void
ngx_http_milvus_cdc_meta_cancel(ngx_http_milvus_cdc_meta_t *meta)
{
    if (meta->call) {
        ngx_http_milvus_cdc_grpc_call_cancel(meta->call);
        meta->call = NULL;
    }

    ngx_http_milvus_cdc_meta_reset(meta);

    meta->handler = NULL;
    meta->data = NULL;
}


void
ngx_http_milvus_cdc_meta_destroy(ngx_http_milvus_cdc_meta_t *meta)
{
    if (meta == NULL) {
        return;
    }

    ngx_http_milvus_cdc_meta_cancel(meta);
    ngx_http_milvus_cdc_grpc_channel_release(meta->channel);
    ngx_destroy_pool(meta->pool);
}


void
ngx_http_milvus_cdc_meta_snapshot_free(
    ngx_http_milvus_cdc_meta_snapshot_t *snap)
{
    if (snap) {
        ngx_destroy_pool(snap->pool);
    }
}


ngx_http_milvus_cdc_meta_database_t *
ngx_http_milvus_cdc_meta_database(ngx_http_milvus_cdc_meta_snapshot_t *snap,
    int64_t id)
{
    ngx_uint_t                            lo, hi, mid;
    ngx_http_milvus_cdc_meta_database_t  *db;

    db = snap->databases.elts;
    lo = 0;
    hi = snap->databases.nelts;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;

        if (db[mid].id == id) {
            return &db[mid];
        }

        if (db[mid].id < id) {
            lo = mid + 1;

        } else {
            hi = mid;
        }
    }

    return NULL;
}


ngx_http_milvus_cdc_meta_collection_t *
ngx_http_milvus_cdc_meta_collection(ngx_http_milvus_cdc_meta_snapshot_t *snap,
    int64_t id)
{
    ngx_uint_t                              lo, hi, mid;
    ngx_http_milvus_cdc_meta_collection_t  *c;

    c = snap->collections.elts;
    lo = 0;
    hi = snap->collections.nelts;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;

        if (c[mid].id == id) {
            return &c[mid];
        }

        if (c[mid].id < id) {
            lo = mid + 1;

        } else {
            hi = mid;
        }
    }

    return NULL;
}


ngx_http_milvus_cdc_meta_collection_t *
ngx_http_milvus_cdc_meta_collection_by_name(
    ngx_http_milvus_cdc_meta_snapshot_t *snap, ngx_str_t *db, ngx_str_t *name)
{
    ngx_str_t                               dbname;
    ngx_uint_t                              i;
    ngx_http_milvus_cdc_meta_collection_t  *c, *found;

    dbname = *db;

    if (dbname.len == 0) {
        ngx_str_set(&dbname, NGX_HTTP_MILVUS_CDC_META_DEFAULT_DB);
    }

    c = snap->collections.elts;
    found = NULL;

    for (i = 0; i < snap->collections.nelts; i++) {

        if (c[i].state != NGX_HTTP_MILVUS_CDC_META_CREATED
            && c[i].state != NGX_HTTP_MILVUS_CDC_META_CREATING)
        {
            continue;
        }

        if (c[i].name.len != name->len
            || ngx_memcmp(c[i].name.data, name->data, name->len) != 0
            || c[i].db_name.len != dbname.len
            || ngx_memcmp(c[i].db_name.data, dbname.data, dbname.len) != 0)
        {
            continue;
        }

        if (found == NULL || c[i].create_time > found->create_time) {
            found = &c[i];
        }
    }

    return found;
}


ngx_http_milvus_cdc_meta_partition_t *
ngx_http_milvus_cdc_meta_partition(ngx_http_milvus_cdc_meta_collection_t *coll,
    int64_t id)
{
    ngx_uint_t                             lo, hi, mid;
    ngx_http_milvus_cdc_meta_partition_t  *p;

    p = coll->partitions.elts;
    lo = 0;
    hi = coll->partitions.nelts;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;

        if (p[mid].id == id) {
            return &p[mid];
        }

        if (p[mid].id < id) {
            lo = mid + 1;

        } else {
            hi = mid;
        }
    }

    return NULL;
}


ngx_http_milvus_cdc_meta_partition_t *
ngx_http_milvus_cdc_meta_partition_by_name(
    ngx_http_milvus_cdc_meta_collection_t *coll, ngx_str_t *name)
{
    ngx_uint_t                             i;
    ngx_http_milvus_cdc_meta_partition_t  *p, *found;

    p = coll->partitions.elts;
    found = NULL;

    for (i = 0; i < coll->partitions.nelts; i++) {

        if (p[i].state != NGX_HTTP_MILVUS_CDC_META_CREATED
            && p[i].state != NGX_HTTP_MILVUS_CDC_META_CREATING)
        {
            continue;
        }

        if (p[i].name.len != name->len
            || ngx_memcmp(p[i].name.data, name->data, name->len) != 0)
        {
            continue;
        }

        if (found == NULL || p[i].created_ts > found->created_ts) {
            found = &p[i];
        }
    }

    return found;
}


const char *
ngx_http_milvus_cdc_meta_state_name(ngx_uint_t state)
{
    if (state > NGX_HTTP_MILVUS_CDC_META_DROPPED) {
        return "Unknown";
    }

    return ngx_http_milvus_cdc_meta_states[state];
}


/* a fresh work pool and snapshot for a (re)started refresh */

ngx_int_t
ngx_http_milvus_cdc_meta_begin(ngx_http_milvus_cdc_meta_t *meta)
{
    ngx_pool_t                           *pool;
    ngx_http_milvus_cdc_meta_snapshot_t  *snap;

    ngx_http_milvus_cdc_meta_reset(meta);

    meta->work = ngx_create_pool(16384, meta->log);
    if (meta->work == NULL) {
        return NGX_ERROR;
    }

    pool = ngx_create_pool(16384, meta->log);
    if (pool == NULL) {
        return NGX_ERROR;
    }

    snap = ngx_pcalloc(pool, sizeof(ngx_http_milvus_cdc_meta_snapshot_t));
    if (snap == NULL) {
        ngx_destroy_pool(pool);
        return NGX_ERROR;
    }

    snap->pool = pool;
    meta->snap = snap;

    if (ngx_array_init(&meta->dbs, meta->work, 8, sizeof(void *)) != NGX_OK
        || ngx_array_init(&meta->colls, meta->work, 64,
                          sizeof(ngx_http_milvus_cdc_meta_wcoll_t))
           != NGX_OK
        || ngx_array_init(&meta->parts, meta->work, 64,
                          sizeof(ngx_http_milvus_cdc_meta_wchild_t))
           != NGX_OK
        || ngx_array_init(&meta->fields, meta->work, 256,
                          sizeof(ngx_http_milvus_cdc_meta_wchild_t))
           != NGX_OK
        || ngx_array_init(&meta->aliases, meta->work, 8,
                          sizeof(ngx_http_milvus_cdc_meta_walias_t))
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    meta->allocator.allocator_data = meta->work;
    meta->section = NGX_HTTP_MILVUS_CDC_META_DBS;
    meta->revision = 0;
    meta->tries = 0;
    ngx_str_null(&meta->next);

    return NGX_OK;
}


void
ngx_http_milvus_cdc_meta_reset(ngx_http_milvus_cdc_meta_t *meta)
{
    if (meta->work) {
        ngx_destroy_pool(meta->work);
        meta->work = NULL;
    }

    if (meta->snap) {
        ngx_destroy_pool(meta->snap->pool);
        meta->snap = NULL;
    }
}


/* protobuf-c allocations of a refresh live in its work pool */

static void *
ngx_http_milvus_cdc_meta_pb_alloc(void *pool, size_t size)
{
    return ngx_palloc(pool, size);
}


static void
ngx_http_milvus_cdc_meta_pb_free(void *pool, void *p)
{
    /* freed with the pool */
}

