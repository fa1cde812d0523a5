
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

#include <grpc/status.h>

#include "ngx_http_milvus_cdc_grpc.h"
#include "ngx_http_milvus_cdc_meta.h"
#include "milvus_cdc_etcd.pb-c.h"
#include "milvus_cdc_etcd_meta.pb-c.h"
#include "milvus_cdc_schema.pb-c.h"


/* sections of root-coord/, read in this order */
#define NGX_HTTP_MILVUS_CDC_META_DBS          0
#define NGX_HTTP_MILVUS_CDC_META_COLLS        1
#define NGX_HTTP_MILVUS_CDC_META_LEGACY       2
#define NGX_HTTP_MILVUS_CDC_META_PARTS        3
#define NGX_HTTP_MILVUS_CDC_META_FIELDS       4
#define NGX_HTTP_MILVUS_CDC_META_NSECTIONS    5

/* restarts of a refresh whose revision was compacted meanwhile */
#define NGX_HTTP_MILVUS_CDC_META_RESTARTS     2


/* a collection key as read, decoded in the work pool */
typedef struct {
    int64_t                                id;
    int64_t                                db_id;
    Milvus__Proto__Etcd__CollectionInfo   *info;
    unsigned                               legacy:1;
} ngx_http_milvus_cdc_meta_wcoll_t;


/* a partitions/ or fields/ key as read, decoded in the work pool */
typedef struct {
    int64_t                                coll_id;
    int64_t                                id;
    void                                  *msg;
} ngx_http_milvus_cdc_meta_wchild_t;


struct ngx_http_milvus_cdc_meta_s {
    ngx_pool_t                            *pool;
    ngx_log_t                             *log;

    ngx_str_t                             *endpoints;
    ngx_uint_t                             nendpoints;
    ngx_uint_t                             endpoint;

    /* "<root>/<sub>/root-coord/" */
    ngx_str_t                              prefix;

    ngx_http_milvus_cdc_grpc_channel_conf_t  chconf;
    ngx_http_milvus_cdc_grpc_channel_t    *channel;
    ngx_msec_t                             timeout;
    ngx_uint_t                             page;

    /* the refresh in progress; handler == NULL: idle */
    ngx_http_milvus_cdc_meta_handler_pt    handler;
    void                                  *data;
    ngx_http_milvus_cdc_grpc_call_t       *call;
    ngx_pool_t                            *work;
    ngx_http_milvus_cdc_meta_snapshot_t   *snap;
    ngx_uint_t                             section;
    ngx_str_t                              next;
    int64_t                                revision;
    ngx_uint_t                             tries;
    ngx_uint_t                             restarts;
    ngx_msec_t                             start;

    ngx_array_t                            dbs;      /* DatabaseInfo * */
    ngx_array_t                            colls;    /* wcoll_t */
    ngx_array_t                            parts;    /* wchild_t */
    ngx_array_t                            fields;   /* wchild_t */

    ProtobufCAllocator                     allocator;
};


static ngx_int_t ngx_http_milvus_cdc_meta_begin(
    ngx_http_milvus_cdc_meta_t *meta);
static void ngx_http_milvus_cdc_meta_reset(ngx_http_milvus_cdc_meta_t *meta);
static ngx_int_t ngx_http_milvus_cdc_meta_call(
    ngx_http_milvus_cdc_meta_t *meta);
static void ngx_http_milvus_cdc_meta_range_handler(
    ngx_http_milvus_cdc_grpc_result_t *res, void *data);
static ngx_int_t ngx_http_milvus_cdc_meta_page(
    ngx_http_milvus_cdc_meta_t *meta, ngx_str_t *reply);
static ngx_int_t ngx_http_milvus_cdc_meta_kv(ngx_http_milvus_cdc_meta_t *meta,
    Mvccpb__KeyValue *kv);
static ngx_int_t ngx_http_milvus_cdc_meta_parse_ids(u_char *p, size_t len,
    int64_t *ids, ngx_uint_t n);
static ngx_int_t ngx_http_milvus_cdc_meta_finish(
    ngx_http_milvus_cdc_meta_t *meta);
static ngx_int_t ngx_http_milvus_cdc_meta_collection_build(
    ngx_http_milvus_cdc_meta_t *meta, ngx_http_milvus_cdc_meta_wcoll_t *wc,
    ngx_http_milvus_cdc_meta_collection_t *c,
    ngx_http_milvus_cdc_meta_wchild_t **part,
    ngx_http_milvus_cdc_meta_wchild_t *part_end,
    ngx_http_milvus_cdc_meta_wchild_t **field,
    ngx_http_milvus_cdc_meta_wchild_t *field_end);
static ngx_int_t ngx_http_milvus_cdc_meta_partition_add(ngx_pool_t *pool,
    ngx_http_milvus_cdc_meta_collection_t *c, int64_t id, const char *name,
    ngx_uint_t state, uint64_t ts);
static ngx_int_t ngx_http_milvus_cdc_meta_strdup(ngx_pool_t *pool,
    ngx_str_t *dst, const char *src);
static ngx_int_t ngx_http_milvus_cdc_meta_strs(ngx_pool_t *pool,
    ngx_array_t *a, char **src, size_t n);
static ngx_int_t ngx_http_milvus_cdc_meta_kvs(ngx_pool_t *pool,
    ngx_array_t *a, Milvus__Proto__Common__KeyValuePair **src, size_t n);
static void ngx_http_milvus_cdc_meta_fail(ngx_http_milvus_cdc_meta_t *meta,
    const char *fmt, ...);
static int ngx_libc_cdecl ngx_http_milvus_cdc_meta_cmp_db(const void *one,
    const void *two);
static int ngx_libc_cdecl ngx_http_milvus_cdc_meta_cmp_coll(const void *one,
    const void *two);
static int ngx_libc_cdecl ngx_http_milvus_cdc_meta_cmp_child(const void *one,
    const void *two);
static int ngx_libc_cdecl ngx_http_milvus_cdc_meta_cmp_part(const void *one,
    const void *two);
static void *ngx_http_milvus_cdc_meta_pb_alloc(void *pool, size_t size);
static void ngx_http_milvus_cdc_meta_pb_free(void *pool, void *p);


static ngx_str_t  ngx_http_milvus_cdc_meta_sections[] = {
    ngx_string("database/db-info/"),
    ngx_string("database/collection-info/"),
    ngx_string("collection/"),
    ngx_string("partitions/"),
    ngx_string("fields/")
};


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

static ngx_int_t
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


static void
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


/*
 * Starts the Range call of the current page: [key, range_end) with
 * key = prefix + section (or the key after the last one received) and
 * range_end = prefix + section with its last byte + 1.
 */

static ngx_int_t
ngx_http_milvus_cdc_meta_call(ngx_http_milvus_cdc_meta_t *meta)
{
    u_char                                *p;
    size_t                                 len;
    ngx_str_t                             *section;
    Etcdserverpb__RangeRequest             req =
                                             ETCDSERVERPB__RANGE_REQUEST__INIT;
    ngx_http_milvus_cdc_grpc_call_conf_t   cc;
    u_char                                 err[128];

    section = &ngx_http_milvus_cdc_meta_sections[meta->section];

    len = meta->prefix.len + section->len;

    p = ngx_pnalloc(meta->work, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(ngx_cpymem(p, meta->prefix.data, meta->prefix.len),
               section->data, section->len);

    req.range_end.data = ngx_pnalloc(meta->work, len);
    if (req.range_end.data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(req.range_end.data, p, len);
    req.range_end.data[len - 1]++;
    req.range_end.len = len;

    if (meta->next.len) {
        req.key.data = meta->next.data;
        req.key.len = meta->next.len;

    } else {
        req.key.data = p;
        req.key.len = len;
    }

    req.limit = (int64_t) meta->page;
    req.revision = meta->revision;

    ngx_memzero(&cc, sizeof(ngx_http_milvus_cdc_grpc_call_conf_t));

    cc.request.len = etcdserverpb__range_request__get_packed_size(&req);
    cc.request.data = ngx_pnalloc(meta->work, cc.request.len + 1);
    if (cc.request.data == NULL) {
        return NGX_ERROR;
    }

    etcdserverpb__range_request__pack(&req, cc.request.data);

    if (meta->channel == NULL) {
        meta->chconf.target = meta->endpoints[meta->endpoint];

        meta->channel = ngx_http_milvus_cdc_grpc_channel_create(&meta->chconf,
                                                                meta->log, err,
                                                                sizeof(err));
        if (meta->channel == NULL) {
            ngx_log_error(NGX_LOG_ERR, meta->log, 0,
                          "milvus_cdc: source metadata: etcd \"%V\": %s",
                          &meta->chconf.target, err);
            return NGX_ERROR;
        }
    }

    ngx_str_set(&cc.method, NGX_HTTP_MILVUS_CDC_META_RANGE_METHOD);
    cc.timeout = meta->timeout;
    cc.handler = ngx_http_milvus_cdc_meta_range_handler;
    cc.data = meta;

    meta->call = ngx_http_milvus_cdc_grpc_call_start(meta->channel, &cc,
                                                     meta->log);
    if (meta->call == NULL) {
        return NGX_ERROR;
    }

    meta->snap->calls++;

    ngx_log_debug5(NGX_LOG_DEBUG_CORE, meta->log, 0,
                   "milvus_cdc meta range \"%*s\" rev %L limit %ui to \"%V\"",
                   req.key.len, req.key.data, meta->revision, meta->page,
                   &meta->endpoints[meta->endpoint]);

    return NGX_OK;
}


static void
ngx_http_milvus_cdc_meta_range_handler(ngx_http_milvus_cdc_grpc_result_t *res,
    void *data)
{
    ngx_http_milvus_cdc_meta_t *meta = data;

    ngx_int_t   rc;
    ngx_str_t  *ep;

    meta->call = NULL;
    ep = &meta->endpoints[meta->endpoint];

    if (res->status == GRPC_STATUS_UNAVAILABLE
        && ++meta->tries < meta->nendpoints)
    {
        ngx_log_error(NGX_LOG_WARN, meta->log, 0,
                      "milvus_cdc: source metadata: etcd \"%V\": %s \"%V\", "
                      "trying the next endpoint", ep,
                      ngx_http_milvus_cdc_grpc_status_name(res->status),
                      &res->details);

        ngx_http_milvus_cdc_grpc_channel_release(meta->channel);
        meta->channel = NULL;
        meta->endpoint = (meta->endpoint + 1) % meta->nendpoints;

        if (ngx_http_milvus_cdc_meta_call(meta) != NGX_OK) {
            ngx_http_milvus_cdc_meta_fail(meta, "cannot start a Range call");
        }

        return;
    }

    if (res->status == GRPC_STATUS_OUT_OF_RANGE && meta->revision
        && meta->restarts < NGX_HTTP_MILVUS_CDC_META_RESTARTS)
    {
        /* "mvcc: required revision has been compacted": read again */

        ngx_log_error(NGX_LOG_WARN, meta->log, 0,
                      "milvus_cdc: source metadata: etcd \"%V\": \"%V\" "
                      "at revision %L, reading again", ep, &res->details,
                      meta->revision);

        meta->restarts++;

        if (ngx_http_milvus_cdc_meta_begin(meta) != NGX_OK
            || ngx_http_milvus_cdc_meta_call(meta) != NGX_OK)
        {
            ngx_http_milvus_cdc_meta_fail(meta, "cannot start a Range call");
        }

        return;
    }

    if (res->status != GRPC_STATUS_OK) {
        ngx_http_milvus_cdc_meta_fail(meta, "etcd \"%V\": %s \"%V\"", ep,
                            ngx_http_milvus_cdc_grpc_status_name(res->status),
                            &res->details);
        return;
    }

    meta->tries = 0;

    rc = ngx_http_milvus_cdc_meta_page(meta, &res->reply);

    if (rc == NGX_ERROR) {
        ngx_http_milvus_cdc_meta_fail(meta, "etcd \"%V\": invalid "
                                      "RangeResponse", ep);
        return;
    }

    if (rc == NGX_AGAIN) {
        /* the next page of the same section */

    } else if (++meta->section < NGX_HTTP_MILVUS_CDC_META_NSECTIONS) {
        ngx_str_null(&meta->next);

    } else {
        meta->snap->endpoint = *ep;

        if (ngx_http_milvus_cdc_meta_finish(meta) != NGX_OK) {
            ngx_http_milvus_cdc_meta_fail(meta, "cannot build the snapshot");
        }

        return;
    }

    if (ngx_http_milvus_cdc_meta_call(meta) != NGX_OK) {
        ngx_http_milvus_cdc_meta_fail(meta, "cannot start a Range call");
    }
}


/*
 * Decodes one RangeResponse page.  Returns NGX_AGAIN if the section has
 * more keys (meta->next set to the key after the last one), NGX_OK if it
 * is complete, NGX_ERROR if the reply is not a RangeResponse.
 */

static ngx_int_t
ngx_http_milvus_cdc_meta_page(ngx_http_milvus_cdc_meta_t *meta,
    ngx_str_t *reply)
{
    size_t                        i;
    Mvccpb__KeyValue             *last;
    Etcdserverpb__RangeResponse  *resp;

    resp = etcdserverpb__range_response__unpack(&meta->allocator, reply->len,
                                                reply->data);
    if (resp == NULL) {
        return NGX_ERROR;
    }

    if (meta->revision == 0 && resp->header) {
        meta->revision = resp->header->revision;
        meta->snap->revision = meta->revision;
    }

    for (i = 0; i < resp->n_kvs; i++) {
        if (ngx_http_milvus_cdc_meta_kv(meta, resp->kvs[i]) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    ngx_log_debug4(NGX_LOG_DEBUG_CORE, meta->log, 0,
                   "milvus_cdc meta section %ui: %uz keys, more %d, rev %L",
                   meta->section, resp->n_kvs, (int) resp->more,
                   meta->revision);

    if (!resp->more || resp->n_kvs == 0) {
        return NGX_OK;
    }

    /* the smallest key after the last one: the same key + '\0' */

    last = resp->kvs[resp->n_kvs - 1];

    meta->next.len = last->key.len + 1;
    meta->next.data = ngx_pnalloc(meta->work, meta->next.len);
    if (meta->next.data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(meta->next.data, last->key.data, last->key.len);
    meta->next.data[last->key.len] = '\0';

    return NGX_AGAIN;
}


/*
 * One key: tombstones are counted and skipped, the value is decoded in
 * the work pool; keys or values that cannot be understood are logged and
 * skipped.  NGX_ERROR only on allocation failure.
 */

static ngx_int_t
ngx_http_milvus_cdc_meta_kv(ngx_http_milvus_cdc_meta_t *meta,
    Mvccpb__KeyValue *kv)
{
    u_char                             *rel;
    size_t                              len, skip;
    int64_t                             ids[2];
    ngx_str_t                          *section;
    ngx_uint_t                          nids;
    Milvus__Proto__Etcd__DatabaseInfo  *db, **dbp;
    ngx_http_milvus_cdc_meta_wcoll_t   *wc;
    ngx_http_milvus_cdc_meta_wchild_t  *wch;

    section = &ngx_http_milvus_cdc_meta_sections[meta->section];
    skip = meta->prefix.len + section->len;

    if (kv->key.len <= skip) {
        goto invalid;
    }

    rel = kv->key.data + skip;
    len = kv->key.len - skip;

    if (kv->value.len == sizeof(NGX_HTTP_MILVUS_CDC_META_TOMBSTONE) - 1
        && ngx_memcmp(kv->value.data, NGX_HTTP_MILVUS_CDC_META_TOMBSTONE,
                      kv->value.len) == 0)
    {
        meta->snap->tombstones++;
        return NGX_OK;
    }

    nids = (meta->section == NGX_HTTP_MILVUS_CDC_META_DBS
            || meta->section == NGX_HTTP_MILVUS_CDC_META_LEGACY) ? 1 : 2;

    if (ngx_http_milvus_cdc_meta_parse_ids(rel, len, ids, nids) != NGX_OK) {
        goto invalid;
    }

    switch (meta->section) {

    case NGX_HTTP_MILVUS_CDC_META_DBS:

        db = milvus__proto__etcd__database_info__unpack(&meta->allocator,
                                                        kv->value.len,
                                                        kv->value.data);
        if (db == NULL) {
            goto invalid;
        }

        if (db->id == 0) {
            db->id = ids[0];
        }

        dbp = ngx_array_push(&meta->dbs);
        if (dbp == NULL) {
            return NGX_ERROR;
        }

        *dbp = db;
        break;

    case NGX_HTTP_MILVUS_CDC_META_COLLS:
    case NGX_HTTP_MILVUS_CDC_META_LEGACY:

        wc = ngx_array_push(&meta->colls);
        if (wc == NULL) {
            return NGX_ERROR;
        }

        wc->info = milvus__proto__etcd__collection_info__unpack(
                            &meta->allocator, kv->value.len, kv->value.data);
        if (wc->info == NULL) {
            meta->colls.nelts--;
            goto invalid;
        }

        if (meta->section == NGX_HTTP_MILVUS_CDC_META_LEGACY) {
            wc->id = ids[0];
            wc->db_id = wc->info->db_id;

            if (wc->db_id == 0) {
                wc->db_id = NGX_HTTP_MILVUS_CDC_META_DEFAULT_DB_ID;
            }
            wc->legacy = 1;

        } else {
            wc->id = ids[1];
            wc->db_id = ids[0];
            wc->legacy = 0;
        }

        break;

    default: /* partitions/ and fields/ */

        wch = ngx_array_push(meta->section == NGX_HTTP_MILVUS_CDC_META_PARTS
                             ? &meta->parts : &meta->fields);
        if (wch == NULL) {
            return NGX_ERROR;
        }

        wch->coll_id = ids[0];
        wch->id = ids[1];

        if (meta->section == NGX_HTTP_MILVUS_CDC_META_PARTS) {
            wch->msg = milvus__proto__etcd__partition_info__unpack(
                            &meta->allocator, kv->value.len, kv->value.data);
            if (wch->msg == NULL) {
                meta->parts.nelts--;
                goto invalid;
            }

        } else {
            wch->msg = milvus__proto__schema__field_schema__unpack(
                            &meta->allocator, kv->value.len, kv->value.data);
            if (wch->msg == NULL) {
                meta->fields.nelts--;
                goto invalid;
            }
        }

        break;
    }

    return NGX_OK;

invalid:

    ngx_log_error(NGX_LOG_WARN, meta->log, 0,
                  "milvus_cdc: source metadata: key \"%*s\" skipped, "
                  "unexpected key or value (%uz bytes)",
                  kv->key.len, kv->key.data, kv->value.len);

    meta->snap->skipped++;

    return NGX_OK;
}


/* "<id>" or "<id>/<id>", decimal, non-negative */

static ngx_int_t
ngx_http_milvus_cdc_meta_parse_ids(u_char *p, size_t len, int64_t *ids,
    ngx_uint_t n)
{
    u_char      *last, *slash;
    off_t        v;
    ngx_uint_t   i;

    last = p + len;

    for (i = 0; i < n; i++) {

        slash = (i + 1 < n) ? ngx_strlchr(p, last, '/') : last;

        if (slash == NULL || slash == p) {
            return NGX_ERROR;
        }

        v = ngx_atoof(p, slash - p);
        if (v == NGX_ERROR) {
            return NGX_ERROR;
        }

        ids[i] = (int64_t) v;
        p = slash + 1;
    }

    return NGX_OK;
}


/* all sections read: the snapshot in its own pool, then the handler */

static ngx_int_t
ngx_http_milvus_cdc_meta_finish(ngx_http_milvus_cdc_meta_t *meta)
{
    void                                   *data;
    ngx_uint_t                              i;
    ngx_pool_t                             *pool;
    Milvus__Proto__Etcd__DatabaseInfo     **dbs;
    ngx_http_milvus_cdc_meta_wcoll_t       *wc;
    ngx_http_milvus_cdc_meta_wchild_t      *part, *part_end, *field, *field_end;
    ngx_http_milvus_cdc_meta_database_t    *db;
    ngx_http_milvus_cdc_meta_snapshot_t    *snap;
    ngx_http_milvus_cdc_meta_collection_t  *c;
    ngx_http_milvus_cdc_meta_handler_pt     handler;

    snap = meta->snap;
    pool = snap->pool;

    /* databases */

    dbs = meta->dbs.elts;

    ngx_qsort(dbs, meta->dbs.nelts, sizeof(void *),
              ngx_http_milvus_cdc_meta_cmp_db);

    if (ngx_array_init(&snap->databases, pool, meta->dbs.nelts + 1,
                       sizeof(ngx_http_milvus_cdc_meta_database_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    for (i = 0; i < meta->dbs.nelts; i++) {
        db = ngx_array_push(&snap->databases);
        if (db == NULL) {
            return NGX_ERROR;
        }

        db->id = dbs[i]->id;
        db->state = dbs[i]->state;
        db->created_time = dbs[i]->created_time;

        if (ngx_http_milvus_cdc_meta_strdup(pool, &db->name, dbs[i]->name)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    /* collections, with their partitions and fields, by id */

    ngx_qsort(meta->colls.elts, meta->colls.nelts,
              sizeof(ngx_http_milvus_cdc_meta_wcoll_t),
              ngx_http_milvus_cdc_meta_cmp_coll);
    ngx_qsort(meta->parts.elts, meta->parts.nelts,
              sizeof(ngx_http_milvus_cdc_meta_wchild_t),
              ngx_http_milvus_cdc_meta_cmp_child);
    ngx_qsort(meta->fields.elts, meta->fields.nelts,
              sizeof(ngx_http_milvus_cdc_meta_wchild_t),
              ngx_http_milvus_cdc_meta_cmp_child);

    if (ngx_array_init(&snap->collections, pool, meta->colls.nelts + 1,
                       sizeof(ngx_http_milvus_cdc_meta_collection_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    wc = meta->colls.elts;
    part = meta->parts.elts;
    part_end = part + meta->parts.nelts;
    field = meta->fields.elts;
    field_end = field + meta->fields.nelts;

    for (i = 0; i < meta->colls.nelts; i++) {

        if (i > 0 && wc[i].id == wc[i - 1].id) {
            /* the same id under both layouts: the newer key was taken */
            snap->skipped++;
            continue;
        }

        c = ngx_array_push(&snap->collections);
        if (c == NULL) {
            return NGX_ERROR;
        }

        if (ngx_http_milvus_cdc_meta_collection_build(meta, &wc[i], c, &part,
                                                      part_end, &field,
                                                      field_end)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    /* partitions and fields of collections not (or no longer) present */

    for ( /* void */ ; part < part_end; part++) {
        snap->skipped++;
    }

    for ( /* void */ ; field < field_end; field++) {
        snap->skipped++;
    }

    snap->elapsed = ngx_current_msec - meta->start;

    ngx_log_debug6(NGX_LOG_DEBUG_CORE, meta->log, 0,
                   "milvus_cdc meta snapshot rev %L: %ui databases, "
                   "%ui collections, %ui tombstones, %ui skipped, %M ms",
                   snap->revision, snap->databases.nelts,
                   snap->collections.nelts, snap->tombstones, snap->skipped,
                   snap->elapsed);

    /* hand over: the snapshot now belongs to the handler */

    meta->snap = NULL;
    ngx_http_milvus_cdc_meta_reset(meta);

    handler = meta->handler;
    data = meta->data;
    meta->handler = NULL;
    meta->data = NULL;

    handler(snap, NULL, data);

    return NGX_OK;
}


static ngx_int_t
ngx_http_milvus_cdc_meta_collection_build(ngx_http_milvus_cdc_meta_t *meta,
    ngx_http_milvus_cdc_meta_wcoll_t *wc,
    ngx_http_milvus_cdc_meta_collection_t *c,
    ngx_http_milvus_cdc_meta_wchild_t **part,
    ngx_http_milvus_cdc_meta_wchild_t *part_end,
    ngx_http_milvus_cdc_meta_wchild_t **field,
    ngx_http_milvus_cdc_meta_wchild_t *field_end)
{
    size_t                                   i, n, nkeep;
    ngx_pool_t                              *pool;
    ngx_keyval_t                            *kv;
    Milvus__Proto__Etcd__PartitionInfo      *pi;
    Milvus__Proto__Schema__FieldSchema      *fs, **keep;
    Milvus__Proto__Etcd__CollectionInfo     *info;
    Milvus__Proto__Schema__CollectionSchema *schema;
    Milvus__Proto__Schema__CollectionSchema  empty =
                                MILVUS__PROTO__SCHEMA__COLLECTION_SCHEMA__INIT;
    ngx_http_milvus_cdc_meta_field_t        *f;
    ngx_http_milvus_cdc_meta_wchild_t       *wf;
    ngx_http_milvus_cdc_meta_database_t     *db;

    pool = meta->snap->pool;
    info = wc->info;
    schema = info->schema ? info->schema : &empty;

    ngx_memzero(c, sizeof(ngx_http_milvus_cdc_meta_collection_t));

    c->id = wc->id;
    c->db_id = wc->db_id;
    c->state = info->state;
    c->shards_num = info->shards_num;
    c->create_time = info->create_time;
    c->consistency_level = info->consistency_level;
    c->dynamic = schema->enable_dynamic_field ? 1 : 0;
    c->legacy = wc->legacy;

    db = ngx_http_milvus_cdc_meta_database(meta->snap, c->db_id);

    if (db) {
        c->db_name = db->name;

    } else if (c->db_id == NGX_HTTP_MILVUS_CDC_META_DEFAULT_DB_ID) {
        ngx_str_set(&c->db_name, NGX_HTTP_MILVUS_CDC_META_DEFAULT_DB);
    }

    if (ngx_http_milvus_cdc_meta_strdup(pool, &c->name, schema->name)
           != NGX_OK
        || ngx_http_milvus_cdc_meta_strdup(pool, &c->description,
                                           schema->description)
           != NGX_OK
        || ngx_http_milvus_cdc_meta_kvs(pool, &c->properties,
                                        info->properties, info->n_properties)
           != NGX_OK
        || ngx_http_milvus_cdc_meta_strs(pool, &c->vchannels,
                                         info->virtual_channel_names,
                                         info->n_virtual_channel_names)
           != NGX_OK
        || ngx_http_milvus_cdc_meta_strs(pool, &c->pchannels,
                                         info->physical_channel_names,
                                         info->n_physical_channel_names)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* start_positions: pchannel -> msgID bytes */

    if (ngx_array_init(&c->start_positions, pool,
                       info->n_start_positions + 1, sizeof(ngx_keyval_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    for (i = 0; i < info->n_start_positions; i++) {
        kv = ngx_array_push(&c->start_positions);
        if (kv == NULL) {
            return NGX_ERROR;
        }

        if (ngx_http_milvus_cdc_meta_strdup(pool, &kv->key,
                                            info->start_positions[i]->key)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        kv->value.len = info->start_positions[i]->data.len;
        kv->value.data = ngx_pnalloc(pool, kv->value.len + 1);
        if (kv->value.data == NULL) {
            return NGX_ERROR;
        }

        ngx_memcpy(kv->value.data, info->start_positions[i]->data.data,
                   kv->value.len);
    }

    /* partitions: partitions/<id>/..., or the pre-2.2 embedded lists */

    if (ngx_array_init(&c->partitions, pool, 4,
                       sizeof(ngx_http_milvus_cdc_meta_partition_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    while (*part < part_end && (*part)->coll_id < c->id) {
        meta->snap->skipped++;
        (*part)++;
    }

    for ( /* void */ ; *part < part_end && (*part)->coll_id == c->id;
         (*part)++)
    {
        pi = (*part)->msg;

        if (ngx_http_milvus_cdc_meta_partition_add(pool, c, (*part)->id,
                                    pi->partitionname, pi->state,
                                    pi->partition_created_timestamp)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    if (c->partitions.nelts == 0) {
        for (i = 0; i < info->n_partitionids; i++) {
            if (ngx_http_milvus_cdc_meta_partition_add(pool, c,
                    info->partitionids[i],
                    i < info->n_partitionnames ? info->partitionnames[i] : "",
                    NGX_HTTP_MILVUS_CDC_META_CREATED,
                    i < info->n_partition_created_timestamps
                    ? info->partition_created_timestamps[i] : 0)
                != NGX_OK)
            {
                return NGX_ERROR;
            }
        }
    }

    ngx_qsort(c->partitions.elts, c->partitions.nelts,
              sizeof(ngx_http_milvus_cdc_meta_partition_t),
              ngx_http_milvus_cdc_meta_cmp_part);

    /* fields: fields/<id>/..., or the pre-2.2 embedded ones */

    while (*field < field_end && (*field)->coll_id < c->id) {
        meta->snap->skipped++;
        (*field)++;
    }

    wf = NULL;
    n = 0;

    if (*field < field_end && (*field)->coll_id == c->id) {
        wf = *field;

        while (*field < field_end && (*field)->coll_id == c->id) {
            (*field)++;
            n++;
        }

    } else {
        n = schema->n_fields;
    }

    keep = ngx_palloc(meta->work, (n + 1) * sizeof(void *));
    if (keep == NULL) {
        return NGX_ERROR;
    }

    if (ngx_array_init(&c->fields, pool, n + 1,
                       sizeof(ngx_http_milvus_cdc_meta_field_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    nkeep = 0;

    for (i = 0; i < n; i++) {

        fs = wf ? wf[i].msg : schema->fields[i];

        if (fs->fieldid < NGX_HTTP_MILVUS_CDC_META_FIRST_FIELD) {
            continue;
        }

        f = ngx_array_push(&c->fields);
        if (f == NULL) {
            return NGX_ERROR;
        }

        f->id = fs->fieldid;
        f->data_type = fs->data_type;
        f->primary = fs->is_primary_key ? 1 : 0;
        f->auto_id = fs->autoid ? 1 : 0;
        f->dynamic = fs->is_dynamic ? 1 : 0;
        f->partition_key = fs->is_partition_key ? 1 : 0;

        if (ngx_http_milvus_cdc_meta_strdup(pool, &f->name, fs->name)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        if (f->primary && f->auto_id) {
            c->auto_id = 1;
        }

        if (f->partition_key) {
            c->partition_key = 1;
        }

        if (f->dynamic) {
            /* the target adds "$meta" itself (enable_dynamic_field) */
            continue;
        }

        keep[nkeep++] = fs;
    }

    /* fields/ keys sorted by id here; embedded ones in rootcoord's order */

    schema->n_fields = nkeep;
    schema->fields = keep;

    c->schema.len = milvus__proto__schema__collection_schema__get_packed_size(
                                                                      schema);
    c->schema.data = ngx_pnalloc(pool, c->schema.len + 1);
    if (c->schema.data == NULL) {
        return NGX_ERROR;
    }

    milvus__proto__schema__collection_schema__pack(schema, c->schema.data);

    return NGX_OK;
}


static ngx_int_t
ngx_http_milvus_cdc_meta_partition_add(ngx_pool_t *pool,
    ngx_http_milvus_cdc_meta_collection_t *c, int64_t id, const char *name,
    ngx_uint_t state, uint64_t ts)
{
    ngx_http_milvus_cdc_meta_partition_t  *p;

    p = ngx_array_push(&c->partitions);
    if (p == NULL) {
        return NGX_ERROR;
    }

    p->id = id;
    p->state = state;
    p->created_ts = ts;

    return ngx_http_milvus_cdc_meta_strdup(pool, &p->name, name);
}


/* copies a protobuf-c string; the copy is also NUL-terminated */

static ngx_int_t
ngx_http_milvus_cdc_meta_strdup(ngx_pool_t *pool, ngx_str_t *dst,
    const char *src)
{
    size_t  len;

    len = src ? ngx_strlen(src) : 0;

    dst->data = ngx_pnalloc(pool, len + 1);
    if (dst->data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(dst->data, src, len);
    dst->data[len] = '\0';
    dst->len = len;

    return NGX_OK;
}


static ngx_int_t
ngx_http_milvus_cdc_meta_strs(ngx_pool_t *pool, ngx_array_t *a, char **src,
    size_t n)
{
    size_t      i;
    ngx_str_t  *s;

    if (ngx_array_init(a, pool, n + 1, sizeof(ngx_str_t)) != NGX_OK) {
        return NGX_ERROR;
    }

    for (i = 0; i < n; i++) {
        s = ngx_array_push(a);
        if (s == NULL
            || ngx_http_milvus_cdc_meta_strdup(pool, s, src[i]) != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_milvus_cdc_meta_kvs(ngx_pool_t *pool, ngx_array_t *a,
    Milvus__Proto__Common__KeyValuePair **src, size_t n)
{
    size_t         i;
    ngx_keyval_t  *kv;

    if (ngx_array_init(a, pool, n + 1, sizeof(ngx_keyval_t)) != NGX_OK) {
        return NGX_ERROR;
    }

    for (i = 0; i < n; i++) {
        kv = ngx_array_push(a);
        if (kv == NULL
            || ngx_http_milvus_cdc_meta_strdup(pool, &kv->key, src[i]->key)
               != NGX_OK
            || ngx_http_milvus_cdc_meta_strdup(pool, &kv->value,
                                               src[i]->value)
               != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/* logs, drops the refresh in progress, then tells the handler */

static void
ngx_http_milvus_cdc_meta_fail(ngx_http_milvus_cdc_meta_t *meta,
    const char *fmt, ...)
{
    void                                 *data;
    va_list                               args;
    ngx_str_t                             err;
    ngx_http_milvus_cdc_meta_handler_pt   handler;
    u_char                                buf[NGX_MAX_ERROR_STR];

    va_start(args, fmt);
    err.data = buf;
    err.len = ngx_vslprintf(buf, buf + sizeof(buf), fmt, args) - buf;
    va_end(args);

    ngx_log_error(NGX_LOG_ERR, meta->log, 0,
                  "milvus_cdc: source metadata: %V", &err);

    if (meta->call) {
        ngx_http_milvus_cdc_grpc_call_cancel(meta->call);
        meta->call = NULL;
    }

    ngx_http_milvus_cdc_meta_reset(meta);

    handler = meta->handler;
    data = meta->data;
    meta->handler = NULL;
    meta->data = NULL;

    if (handler) {
        handler(NULL, &err, data);
    }
}


static int ngx_libc_cdecl
ngx_http_milvus_cdc_meta_cmp_db(const void *one, const void *two)
{
    const Milvus__Proto__Etcd__DatabaseInfo  *a, *b;

    a = *(Milvus__Proto__Etcd__DatabaseInfo **) one;
    b = *(Milvus__Proto__Etcd__DatabaseInfo **) two;

    return (a->id > b->id) - (a->id < b->id);
}


/* by id; for the same id the database/ key before the legacy one */

static int ngx_libc_cdecl
ngx_http_milvus_cdc_meta_cmp_coll(const void *one, const void *two)
{
    const ngx_http_milvus_cdc_meta_wcoll_t  *a = one, *b = two;

    if (a->id != b->id) {
        return (a->id > b->id) - (a->id < b->id);
    }

    return (int) a->legacy - (int) b->legacy;
}


static int ngx_libc_cdecl
ngx_http_milvus_cdc_meta_cmp_child(const void *one, const void *two)
{
    const ngx_http_milvus_cdc_meta_wchild_t  *a = one, *b = two;

    if (a->coll_id != b->coll_id) {
        return (a->coll_id > b->coll_id) - (a->coll_id < b->coll_id);
    }

    return (a->id > b->id) - (a->id < b->id);
}


static int ngx_libc_cdecl
ngx_http_milvus_cdc_meta_cmp_part(const void *one, const void *two)
{
    const ngx_http_milvus_cdc_meta_partition_t  *a = one, *b = two;

    return (a->id > b->id) - (a->id < b->id);
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
