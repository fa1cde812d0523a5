
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 *
 * The task API: POST {"request_type": …, "request_data": …} in, {"code":
 * …, "message": …, "data": …} out.  This file reads the request, sends it
 * to its request type (src/ngx_http_milvus_cdc_handler_create.c: create;
 * src/ngx_http_milvus_cdc_handler_task.c: the others) and writes the
 * replies.  The handler meets the replication engine only in the task
 * store.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_milvus_cdc.h"
#include "ngx_http_milvus_cdc_handler.h"
#include "ngx_http_milvus_cdc_handler_int.h"
#include "ngx_http_milvus_cdc_json.h"
#include "ngx_http_milvus_cdc_store.h"


/* how long a worker waits for a locked task store, in milliseconds */
#define NGX_HTTP_MILVUS_CDC_BUSY_TIMEOUT  100


typedef ngx_int_t (*ngx_http_milvus_cdc_op_pt)(ngx_http_milvus_cdc_ctx_t *ctx,
    yajl_val data);

typedef struct {
    const char                       *name;
    ngx_http_milvus_cdc_op_pt         handler;
} ngx_http_milvus_cdc_op_t;


static void ngx_http_milvus_cdc_body_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_milvus_cdc_read_body(ngx_http_request_t *r,
    ngx_str_t *body);
static ngx_int_t ngx_http_milvus_cdc_dispatch(ngx_http_milvus_cdc_ctx_t *ctx,
    ngx_str_t *body);
static ngx_int_t ngx_http_milvus_cdc_send(ngx_http_request_t *r,
    ngx_int_t code, ngx_str_t *body);


static ngx_http_milvus_cdc_op_t  ngx_http_milvus_cdc_ops[] = {
    { "create", ngx_http_milvus_cdc_op_create },
    { "delete", ngx_http_milvus_cdc_op_delete },
    { "pause", ngx_http_milvus_cdc_op_pause },
    { "resume", ngx_http_milvus_cdc_op_resume },
    { "get", ngx_http_milvus_cdc_op_get },
    { "list", ngx_http_milvus_cdc_op_list },
    { "position", ngx_http_milvus_cdc_op_position },
    { NULL, NULL }
};


static const char  *ngx_http_milvus_cdc_request_fields[] = {
    "request_type", "request_data", NULL
};


ngx_http_milvus_cdc_store_t  ngx_http_milvus_cdc_worker_store;
static ngx_uint_t            ngx_http_milvus_cdc_worker_store_open;


ngx_int_t
ngx_http_milvus_cdc_handler(ngx_http_request_t *r)
{
    ngx_int_t                        rc;
    ngx_http_milvus_cdc_loc_conf_t  *mlcf;

    if (r->method != NGX_HTTP_POST) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_http_milvus_cdc_error(r, NGX_HTTP_MILVUS_CDC_NOT_ALLOWED,
                                         "only support the POST method");
    }

    mlcf = ngx_http_get_module_loc_conf(r, ngx_http_milvus_cdc_module);

    if (r->headers_in.content_length_n > (off_t) mlcf->max_body_size) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_http_milvus_cdc_error(r, NGX_HTTP_MILVUS_CDC_BAD_REQUEST,
                                         "request body: larger than %uz "
                                         "bytes", mlcf->max_body_size);
    }

    rc = ngx_http_read_client_request_body(r,
                                           ngx_http_milvus_cdc_body_handler);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


void
ngx_http_milvus_cdc_handler_exit(void)
{
    if (ngx_http_milvus_cdc_worker_store_open) {
        ngx_http_milvus_cdc_store_close(&ngx_http_milvus_cdc_worker_store);
        ngx_http_milvus_cdc_worker_store_open = 0;
    }
}


static void
ngx_http_milvus_cdc_body_handler(ngx_http_request_t *r)
{
    ngx_int_t                   rc;
    ngx_str_t                   body;
    ngx_http_milvus_cdc_ctx_t  *ctx;

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_milvus_cdc_ctx_t));
    if (ctx == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    ctx->request = r;
    ctx->mcf = ngx_http_get_module_main_conf(r, ngx_http_milvus_cdc_module);

    rc = ngx_http_milvus_cdc_read_body(r, &body);

    if (rc == NGX_OK) {
        rc = ngx_http_milvus_cdc_dispatch(ctx, &body);

        if (rc == NGX_DONE) {
            if (ctx->probe && ctx->deadline.timer_set) {
                /* the probe of create answers later, or the deadline */
                return;
            }

            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "milvus_cdc: a request was left without answer");

            rc = ngx_http_milvus_cdc_error(r,
                                           NGX_HTTP_MILVUS_CDC_SERVER_ERROR,
                                           "internal error: no answer");
        }

    } else if (rc == NGX_DECLINED) {
        rc = ngx_http_milvus_cdc_error(r, NGX_HTTP_MILVUS_CDC_BAD_REQUEST,
                 "request body: larger than %uz bytes",
                 ((ngx_http_milvus_cdc_loc_conf_t *)
                  ngx_http_get_module_loc_conf(r, ngx_http_milvus_cdc_module))
                 ->max_body_size);

    } else {
        rc = ngx_http_milvus_cdc_error(r, NGX_HTTP_MILVUS_CDC_SERVER_ERROR,
                                       "fail to read the request body");
    }

    ngx_http_finalize_request(r, rc);
}


/* the body in one buffer of the request pool; NGX_DECLINED: too large */

static ngx_int_t
ngx_http_milvus_cdc_read_body(ngx_http_request_t *r, ngx_str_t *body)
{
    off_t                            len;
    u_char                          *p;
    ssize_t                          n;
    ngx_buf_t                       *b;
    ngx_chain_t                     *cl;
    ngx_http_milvus_cdc_loc_conf_t  *mlcf;

    ngx_str_null(body);

    if (r->request_body == NULL || r->request_body->bufs == NULL) {
        return NGX_OK;
    }

    mlcf = ngx_http_get_module_loc_conf(r, ngx_http_milvus_cdc_module);

    len = 0;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;
        len += b->in_file ? b->file_last - b->file_pos : b->last - b->pos;
    }

    if (len > (off_t) mlcf->max_body_size) {
        return NGX_DECLINED;
    }

    if (len == 0) {
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, (size_t) len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    body->data = p;
    body->len = (size_t) len;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;

        if (b->in_file) {
            n = ngx_read_file(b->file, p, (size_t) (b->file_last - b->file_pos),
                              b->file_pos);

            if (n != (ssize_t) (b->file_last - b->file_pos)) {
                return NGX_ERROR;
            }

            p += n;
            continue;
        }

        if (b->last != b->pos) {
            /* an empty buffer may have no memory at all (pos NULL) */
            p = ngx_cpymem(p, b->pos, b->last - b->pos);
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_milvus_cdc_dispatch(ngx_http_milvus_cdc_ctx_t *ctx, ngx_str_t *body)
{
    ngx_int_t                  rc;
    ngx_str_t                  err;
    yajl_val                   root, type, data;
    ngx_http_request_t        *r;
    ngx_http_milvus_cdc_op_t  *op;

    r = ctx->request;

    rc = ngx_http_milvus_cdc_json_parse(r->pool, body->data, body->len, &root,
                                        &err);

    if (rc == NGX_OK && !YAJL_IS_OBJECT(root)) {
        ngx_str_set(&err, "request body: must be a JSON object");
        rc = NGX_DECLINED;
    }

    if (rc == NGX_OK) {
        rc = ngx_http_milvus_cdc_json_known(r->pool, root, "request body",
                                            ngx_http_milvus_cdc_request_fields,
                                            &err);
    }

    if (rc == NGX_DECLINED) {
        return ngx_http_milvus_cdc_error(r, NGX_HTTP_MILVUS_CDC_BAD_REQUEST,
                                         "%V", &err);
    }

    if (rc != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    type = ngx_http_milvus_cdc_json_get(root, "request_type");

    if (type == NULL || YAJL_IS_NULL(type)) {
        return ngx_http_milvus_cdc_error(r, NGX_HTTP_MILVUS_CDC_BAD_REQUEST,
                                         "request_type: required");
    }

    if (!YAJL_IS_STRING(type)) {
        return ngx_http_milvus_cdc_error(r, NGX_HTTP_MILVUS_CDC_BAD_REQUEST,
                                         "request_type: must be a string");
    }

    data = ngx_http_milvus_cdc_json_get(root, "request_data");

    if (data && !YAJL_IS_NULL(data) && !YAJL_IS_OBJECT(data)) {
        return ngx_http_milvus_cdc_error(r, NGX_HTTP_MILVUS_CDC_BAD_REQUEST,
                                         "request_data: must be an object");
    }

    for (op = ngx_http_milvus_cdc_ops; op->name; op++) {
        if (ngx_strcmp(op->name, type->u.string) == 0) {
            return op->handler(ctx, data);
        }
    }

    return ngx_http_milvus_cdc_error(r, NGX_HTTP_MILVUS_CDC_BAD_REQUEST,
                                     "invalid 'request_type' param, can be "
                                     "set [create, delete, pause, resume, "
                                     "get, list, position]");
}


/* this worker's store connection, opened on first use */

ngx_http_milvus_cdc_store_t *
ngx_http_milvus_cdc_handler_store(ngx_http_milvus_cdc_ctx_t *ctx)
{
    if (!ngx_http_milvus_cdc_worker_store_open) {
        if (ngx_http_milvus_cdc_store_open(&ngx_http_milvus_cdc_worker_store,
                                           &ctx->mcf->store,
                                           NGX_HTTP_MILVUS_CDC_BUSY_TIMEOUT,
                                           ngx_cycle->log)
            != NGX_OK)
        {
            return NULL;
        }

        ngx_http_milvus_cdc_worker_store_open = 1;
    }

    return &ngx_http_milvus_cdc_worker_store;
}


/* {"code": 200, "data": { — the caller writes the members of data */

yajl_gen
ngx_http_milvus_cdc_reply_start(void)
{
    yajl_gen  g;

    g = ngx_http_milvus_cdc_json_gen();
    if (g == NULL) {
        return NULL;
    }

    if (yajl_gen_map_open(g) != yajl_gen_status_ok
        || ngx_http_milvus_cdc_json_str(g, "code") != NGX_OK
        || yajl_gen_integer(g, NGX_HTTP_MILVUS_CDC_OK) != yajl_gen_status_ok
        || ngx_http_milvus_cdc_json_str(g, "data") != NGX_OK
        || yajl_gen_map_open(g) != yajl_gen_status_ok)
    {
        yajl_gen_free(g);
        return NULL;
    }

    return g;
}


/* closes and sends a reply begun by reply_start; g NULL: "data": {} */

ngx_int_t
ngx_http_milvus_cdc_reply(ngx_http_request_t *r, ngx_int_t code, yajl_gen g)
{
    ngx_str_t  body;

    if (g == NULL) {
        g = ngx_http_milvus_cdc_reply_start();
        if (g == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    if (yajl_gen_map_close(g) != yajl_gen_status_ok
        || yajl_gen_map_close(g) != yajl_gen_status_ok)
    {
        yajl_gen_free(g);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_milvus_cdc_json_take(g, r->pool, 1, &body) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_milvus_cdc_send(r, code, &body);
}


/* {"code": <code>, "message": "<text>"} */

ngx_int_t
ngx_http_milvus_cdc_error(ngx_http_request_t *r, ngx_int_t code,
    const char *fmt, ...)
{
    u_char    *p;
    va_list    args;
    yajl_gen   g;
    ngx_str_t  body;
    u_char     msg[2048];

    va_start(args, fmt);
    p = ngx_vslprintf(msg, msg + sizeof(msg), fmt, args);
    va_end(args);

    /* a message names what the client sent: only as UTF-8 */

    (void) ngx_http_milvus_cdc_json_utf8_fix(msg, p - msg);

    g = ngx_http_milvus_cdc_json_gen();
    if (g == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (yajl_gen_map_open(g) != yajl_gen_status_ok
        || ngx_http_milvus_cdc_json_str(g, "code") != NGX_OK
        || yajl_gen_integer(g, code) != yajl_gen_status_ok
        || ngx_http_milvus_cdc_json_str(g, "message") != NGX_OK
        || yajl_gen_string(g, msg, p - msg) != yajl_gen_status_ok
        || yajl_gen_map_close(g) != yajl_gen_status_ok)
    {
        yajl_gen_free(g);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_milvus_cdc_json_take(g, r->pool, 1, &body) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "milvus_cdc: answer %i: %V", code, &body);

    return ngx_http_milvus_cdc_send(r, code, &body);
}


static ngx_int_t
ngx_http_milvus_cdc_send(ngx_http_request_t *r, ngx_int_t code,
    ngx_str_t *body)
{
    ngx_int_t                        rc;
    ngx_buf_t                       *b;
    ngx_chain_t                      out;
    ngx_http_milvus_cdc_loc_conf_t  *mlcf;

    mlcf = ngx_http_get_module_loc_conf(r, ngx_http_milvus_cdc_module);

    /* never an answer that is not UTF-8, whatever the store holds */

    if (ngx_http_milvus_cdc_json_utf8_fix(body->data, body->len)) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "milvus_cdc: an answer held bytes that are not UTF-8, "
                      "replaced by \"?\"");
    }

    r->headers_out.status = mlcf->http_status ? (ngx_uint_t) code : NGX_HTTP_OK;
    r->headers_out.content_length_n = body->len;

    ngx_str_set(&r->headers_out.content_type, "application/json");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->pos = body->data;
    b->last = body->data + body->len;
    b->memory = 1;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    return ngx_http_output_filter(r, &out);
}
