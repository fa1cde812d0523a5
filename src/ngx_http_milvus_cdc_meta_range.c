
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 *
 * The etcd Range calls of a refresh: each section of root-coord/ as one
 * prefix range, page by page, every page at the revision of the first
 * reply; the next endpoint on UNAVAILABLE, the whole read again on
 * OUT_OF_RANGE (compacted revision).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

#include <grpc/status.h>

#include "ngx_http_milvus_cdc_meta_int.h"


static void ngx_http_milvus_cdc_meta_range_handler(
    ngx_http_milvus_cdc_grpc_result_t *res, void *data);
static ngx_int_t ngx_http_milvus_cdc_meta_page(
    ngx_http_milvus_cdc_meta_t *meta, ngx_str_t *reply);
static void ngx_http_milvus_cdc_meta_fail(ngx_http_milvus_cdc_meta_t *meta,
    const char *fmt, ...);


ngx_str_t  ngx_http_milvus_cdc_meta_sections[] = {
    ngx_string("database/db-info/"),
    ngx_string("database/collection-info/"),
    ngx_string("collection/"),
    ngx_string("partitions/"),
    ngx_string("fields/"),
    ngx_string("database/aliases/"),
    ngx_string("aliases/")
};


/*
 * Starts the Range call of the current page: [key, range_end) with
 * key = prefix + section (or the key after the last one received) and
 * range_end = prefix + section with its last byte + 1.
 */

ngx_int_t
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
