
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 *
 * The task API: POST {"request_type": …, "request_data": …} in, {"code":
 * …, "message": …, "data": …} out.  The handler meets the replication
 * engine only in the task store.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_milvus_cdc.h"
#include "ngx_http_milvus_cdc_handler.h"
#include "ngx_http_milvus_cdc_json.h"
#include "ngx_http_milvus_cdc_probe.h"
#include "ngx_http_milvus_cdc_store.h"
#include "ngx_http_milvus_cdc_task.h"


/* how long a worker waits for a locked task store, in milliseconds */
#define NGX_HTTP_MILVUS_CDC_BUSY_TIMEOUT  100

/*
 * a pending create is answered at the latest this long after its probe's
 * own guard timer, in milliseconds
 */
#define NGX_HTTP_MILVUS_CDC_DEADLINE      1000


/*
 * An operation answers its request and returns what to finalize it with,
 * or returns NGX_DONE with "probe" set: the probe's handler answers later,
 * and the "deadline" timer answers if it does not.
 */
typedef struct {
    ngx_http_request_t               *request;
    ngx_http_milvus_cdc_main_conf_t  *mcf;
    ngx_http_milvus_cdc_task_t        task;
    ngx_http_milvus_cdc_probe_t      *probe;
    ngx_event_t                       deadline;
} ngx_http_milvus_cdc_ctx_t;


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
static ngx_int_t ngx_http_milvus_cdc_create(ngx_http_milvus_cdc_ctx_t *ctx,
    yajl_val data);
static void ngx_http_milvus_cdc_create_probed(ngx_http_milvus_cdc_probe_t *p);
static ngx_int_t ngx_http_milvus_cdc_create_store(
    ngx_http_milvus_cdc_ctx_t *ctx, ngx_uint_t insert);
static ngx_int_t ngx_http_milvus_cdc_probe(ngx_http_milvus_cdc_ctx_t *ctx);
static void ngx_http_milvus_cdc_probe_cleanup(void *data);
static void ngx_http_milvus_cdc_deadline_handler(ngx_event_t *ev);
static ngx_int_t ngx_http_milvus_cdc_list(ngx_http_milvus_cdc_ctx_t *ctx,
    yajl_val data);
static ngx_int_t ngx_http_milvus_cdc_get(ngx_http_milvus_cdc_ctx_t *ctx,
    yajl_val data);
static ngx_int_t ngx_http_milvus_cdc_pause(ngx_http_milvus_cdc_ctx_t *ctx,
    yajl_val data);
static ngx_int_t ngx_http_milvus_cdc_resume(ngx_http_milvus_cdc_ctx_t *ctx,
    yajl_val data);
static ngx_int_t ngx_http_milvus_cdc_set_state(ngx_http_milvus_cdc_ctx_t *ctx,
    yajl_val data, ngx_int_t to);
static ngx_int_t ngx_http_milvus_cdc_delete(ngx_http_milvus_cdc_ctx_t *ctx,
    yajl_val data);
static ngx_int_t ngx_http_milvus_cdc_position(ngx_http_milvus_cdc_ctx_t *ctx,
    yajl_val data);
static ngx_int_t ngx_http_milvus_cdc_task_id(ngx_http_milvus_cdc_ctx_t *ctx,
    yajl_val data, const char **known, ngx_str_t *id, ngx_int_t *reply);
static ngx_http_milvus_cdc_store_t *ngx_http_milvus_cdc_store(
    ngx_http_milvus_cdc_ctx_t *ctx);
static ngx_int_t ngx_http_milvus_cdc_not_found(ngx_http_milvus_cdc_ctx_t *ctx,
    ngx_str_t *id);
static yajl_gen ngx_http_milvus_cdc_reply_start(void);
static ngx_int_t ngx_http_milvus_cdc_reply(ngx_http_request_t *r,
    ngx_int_t code, yajl_gen g);
static ngx_int_t ngx_http_milvus_cdc_error(ngx_http_request_t *r,
    ngx_int_t code, const char *fmt, ...);
static ngx_int_t ngx_http_milvus_cdc_send(ngx_http_request_t *r,
    ngx_int_t code, ngx_str_t *body);


static ngx_http_milvus_cdc_op_t  ngx_http_milvus_cdc_ops[] = {
    { "create", ngx_http_milvus_cdc_create },
    { "delete", ngx_http_milvus_cdc_delete },
    { "pause", ngx_http_milvus_cdc_pause },
    { "resume", ngx_http_milvus_cdc_resume },
    { "get", ngx_http_milvus_cdc_get },
    { "list", ngx_http_milvus_cdc_list },
    { "position", ngx_http_milvus_cdc_position },
    { NULL, NULL }
};


static const char  *ngx_http_milvus_cdc_request_fields[] = {
    "request_type", "request_data", NULL
};

static const char  *ngx_http_milvus_cdc_no_fields[] = {
    NULL
};

static const char  *ngx_http_milvus_cdc_id_fields[] = {
    "task_id", NULL
};

static const char  *ngx_http_milvus_cdc_delete_fields[] = {
    "task_id", "ignore_not_found", NULL
};


static ngx_http_milvus_cdc_store_t  ngx_http_milvus_cdc_worker_store;
static ngx_uint_t                   ngx_http_milvus_cdc_worker_store_open;


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


static ngx_int_t
ngx_http_milvus_cdc_create(ngx_http_milvus_cdc_ctx_t *ctx, yajl_val data)
{
    ngx_int_t            rc;
    ngx_str_t            err;
    ngx_http_request_t  *r;

    r = ctx->request;

    rc = ngx_http_milvus_cdc_task_parse(r->pool, data, &ctx->task, &err);

    if (rc == NGX_DECLINED) {
        return ngx_http_milvus_cdc_error(r, NGX_HTTP_MILVUS_CDC_BAD_REQUEST,
                                         "%V", &err);
    }

    if (rc != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_milvus_cdc_store(ctx) == NULL) {
        return ngx_http_milvus_cdc_error(r, NGX_HTTP_MILVUS_CDC_SERVER_ERROR,
                                         "fail to open the task store");
    }

    if (ctx->task.task_id.len == 0
        && ngx_http_milvus_cdc_task_new_id(r->pool, &ctx->task) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /*
     * refuse what the store would refuse before contacting the target; an
     * existing task_id is a repeat, answered with the id, in the same
     * transaction as the other checks (a task deleted meanwhile by another
     * worker is created again)
     */

    rc = ngx_http_milvus_cdc_create_store(ctx, 0);

    if (rc != NGX_DONE) {
        return rc;
    }

    return ngx_http_milvus_cdc_probe(ctx);
}


/*
 * Checks (insert 0) or inserts (insert 1) the task.  Returns NGX_DONE when
 * a check passed, otherwise the result of the reply sent.
 */

static ngx_int_t
ngx_http_milvus_cdc_create_store(ngx_http_milvus_cdc_ctx_t *ctx,
    ngx_uint_t insert)
{
    yajl_gen             g;
    ngx_int_t            rc;
    ngx_str_t            other, entry;
    ngx_http_request_t  *r;

    r = ctx->request;

    rc = ngx_http_milvus_cdc_store_create(&ngx_http_milvus_cdc_worker_store,
                                          r->pool, &ctx->task,
                                          ctx->mcf->max_tasks, insert, &other,
                                          &entry);
    switch (rc) {

    case NGX_OK:
        if (!insert) {
            return NGX_DONE;
        }

        ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                      "milvus_cdc: task %V: created, target %V, state %s",
                      &ctx->task.task_id, &ctx->task.target_uri,
                      ngx_http_milvus_cdc_task_state_name(ctx->task.state));

        /* fall through */

    case NGX_HTTP_MILVUS_CDC_STORE_EXISTS:
        g = ngx_http_milvus_cdc_reply_start();

        if (g == NULL
            || ngx_http_milvus_cdc_json_str(g, "task_id") != NGX_OK
            || ngx_http_milvus_cdc_json_nstr(g, &ctx->task.task_id) != NGX_OK)
        {
            if (g) {
                yajl_gen_free(g);
            }

            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_milvus_cdc_reply(r, NGX_HTTP_MILVUS_CDC_OK, g);

    case NGX_HTTP_MILVUS_CDC_STORE_OVERLAP:
        return ngx_http_milvus_cdc_error(r, NGX_HTTP_MILVUS_CDC_BAD_REQUEST,
                                         "request_data: the collection name "
                                         "is duplicate with existing task %V "
                                         "on the same target, [%V]", &other,
                                         &entry);

    case NGX_HTTP_MILVUS_CDC_STORE_LIMIT:
        return ngx_http_milvus_cdc_error(r, NGX_HTTP_MILVUS_CDC_SERVER_ERROR,
                                         "the task num has reach the limit, "
                                         "%ui", ctx->mcf->max_tasks);

    default:
        return ngx_http_milvus_cdc_error(r, NGX_HTTP_MILVUS_CDC_SERVER_ERROR,
                                         "fail to write the task store");
    }
}


/* contacts the target Milvus (MilvusService/Connect) without blocking */

static ngx_int_t
ngx_http_milvus_cdc_probe(ngx_http_milvus_cdc_ctx_t *ctx)
{
    ngx_http_request_t           *r;
    ngx_pool_cleanup_t           *cln;
    ngx_http_milvus_cdc_probe_t  *p;

    r = ctx->request;

    p = ngx_pcalloc(r->pool, sizeof(ngx_http_milvus_cdc_probe_t));
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p->target = ctx->task.target;
    p->tls = ctx->task.tls;
    p->token = ctx->task.token;
    p->timeout = ctx->task.connect_timeout * 1000;
    p->log = r->connection->log;
    p->handler = ngx_http_milvus_cdc_create_probed;
    p->data = ctx;

    if (ngx_http_milvus_cdc_task_tls(r->pool, &ctx->task, &p->tls_ca_file,
                                     &p->tls_cert_file, &p->tls_key_file,
                                     &p->tls_server_name)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* the strings are copied into grpc by start */

    if (ngx_http_milvus_cdc_probe_start(p) != NGX_AGAIN) {

        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "milvus_cdc: create: fail to connect the milvus %V: %V",
                      &ctx->task.target_uri, &p->message);

        return ngx_http_milvus_cdc_error(r, NGX_HTTP_MILVUS_CDC_SERVER_ERROR,
                                         "fail to connect the milvus: %V",
                                         &p->message);
    }

    ctx->probe = p;

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        ngx_http_milvus_cdc_probe_cancel(p);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cln->handler = ngx_http_milvus_cdc_probe_cleanup;
    cln->data = ctx;

    /* the probe's handler runs before, this is the request's own bound */

    ctx->deadline.handler = ngx_http_milvus_cdc_deadline_handler;
    ctx->deadline.data = r->connection;
    ctx->deadline.log = r->connection->log;

    ngx_add_timer(&ctx->deadline, p->timeout + NGX_HTTP_MILVUS_CDC_PROBE_GUARD
                                  + NGX_HTTP_MILVUS_CDC_DEADLINE);

    return NGX_DONE;
}


static void
ngx_http_milvus_cdc_create_probed(ngx_http_milvus_cdc_probe_t *p)
{
    ngx_int_t                   rc;
    ngx_connection_t           *c;
    ngx_http_request_t         *r;
    ngx_http_milvus_cdc_ctx_t  *ctx;

    ctx = p->data;
    ctx->probe = NULL;

    if (ctx->deadline.timer_set) {
        ngx_del_timer(&ctx->deadline);
    }

    r = ctx->request;
    c = r->connection;

    if (p->rc != NGX_OK) {
        ngx_log_error(NGX_LOG_WARN, c->log, 0,
                      "milvus_cdc: create: fail to connect the milvus %V: %V",
                      &ctx->task.target_uri, &p->message);

        rc = ngx_http_milvus_cdc_error(r, NGX_HTTP_MILVUS_CDC_SERVER_ERROR,
                                       "fail to connect the milvus: %V",
                                       &p->message);

    } else if (ngx_http_milvus_cdc_store(ctx) == NULL) {
        rc = ngx_http_milvus_cdc_error(r, NGX_HTTP_MILVUS_CDC_SERVER_ERROR,
                                       "fail to open the task store");

    } else {
        rc = ngx_http_milvus_cdc_create_store(ctx, 1);
    }

    ngx_http_finalize_request(r, rc);
    ngx_http_run_posted_requests(c);
}


static void
ngx_http_milvus_cdc_probe_cleanup(void *data)
{
    ngx_http_milvus_cdc_ctx_t  *ctx = data;

    if (ctx->probe) {
        ngx_http_milvus_cdc_probe_cancel(ctx->probe);
        ctx->probe = NULL;
    }

    if (ctx->deadline.timer_set) {
        ngx_del_timer(&ctx->deadline);
    }
}


/* the probe's handler did not run in time: the create is answered anyway */

static void
ngx_http_milvus_cdc_deadline_handler(ngx_event_t *ev)
{
    ngx_int_t                   rc;
    ngx_connection_t           *c;
    ngx_http_request_t         *r;
    ngx_http_milvus_cdc_ctx_t  *ctx;

    ctx = (ngx_http_milvus_cdc_ctx_t *)
              ((u_char *) ev - offsetof(ngx_http_milvus_cdc_ctx_t, deadline));

    r = ctx->request;
    c = r->connection;

    if (ctx->probe) {
        ngx_http_milvus_cdc_probe_cancel(ctx->probe);
        ctx->probe = NULL;
    }

    ngx_log_error(NGX_LOG_ERR, c->log, 0,
                  "milvus_cdc: create: the probe of %V did not complete in "
                  "time", &ctx->task.target_uri);

    rc = ngx_http_milvus_cdc_error(r, NGX_HTTP_MILVUS_CDC_SERVER_ERROR,
                                   "fail to connect the milvus: no answer "
                                   "in %M ms",
                                   ctx->task.connect_timeout * 1000);

    ngx_http_finalize_request(r, rc);
    ngx_http_run_posted_requests(c);
}


static ngx_int_t
ngx_http_milvus_cdc_list(ngx_http_milvus_cdc_ctx_t *ctx, yajl_val data)
{
    yajl_gen                     g;
    ngx_int_t                    rc;
    ngx_str_t                    err;
    ngx_uint_t                   i;
    ngx_array_t                 *tasks;
    ngx_http_request_t          *r;
    ngx_http_milvus_cdc_task_t  *task;

    r = ctx->request;

    if (data && YAJL_IS_OBJECT(data)) {
        rc = ngx_http_milvus_cdc_json_known(r->pool, data, "request_data",
                                            ngx_http_milvus_cdc_no_fields,
                                            &err);
        if (rc == NGX_DECLINED) {
            return ngx_http_milvus_cdc_error(r,
                                             NGX_HTTP_MILVUS_CDC_BAD_REQUEST,
                                             "%V", &err);
        }

        if (rc != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    if (ngx_http_milvus_cdc_store(ctx) == NULL
        || ngx_http_milvus_cdc_store_list(&ngx_http_milvus_cdc_worker_store,
                                          r->pool, &tasks)
           != NGX_OK)
    {
        return ngx_http_milvus_cdc_error(r, NGX_HTTP_MILVUS_CDC_SERVER_ERROR,
                                         "fail to read the task store");
    }

    g = ngx_http_milvus_cdc_reply_start();
    if (g == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_milvus_cdc_json_str(g, "tasks") != NGX_OK
        || yajl_gen_array_open(g) != yajl_gen_status_ok)
    {
        goto failed;
    }

    task = tasks->elts;

    for (i = 0; i < tasks->nelts; i++) {
        if (ngx_http_milvus_cdc_task_gen(g, &task[i]) != NGX_OK) {
            goto failed;
        }
    }

    if (yajl_gen_array_close(g) != yajl_gen_status_ok) {
        goto failed;
    }

    return ngx_http_milvus_cdc_reply(r, NGX_HTTP_MILVUS_CDC_OK, g);

failed:

    yajl_gen_free(g);

    return NGX_HTTP_INTERNAL_SERVER_ERROR;
}


static ngx_int_t
ngx_http_milvus_cdc_get(ngx_http_milvus_cdc_ctx_t *ctx, yajl_val data)
{
    yajl_gen                     g;
    ngx_int_t                    rc;
    ngx_str_t                    id;
    ngx_http_request_t          *r;
    ngx_http_milvus_cdc_task_t   task;

    r = ctx->request;

    if (ngx_http_milvus_cdc_task_id(ctx, data, ngx_http_milvus_cdc_id_fields,
                                    &id, &rc)
        != NGX_OK)
    {
        return rc;
    }

    rc = ngx_http_milvus_cdc_store_get(&ngx_http_milvus_cdc_worker_store,
                                       r->pool, &id, &task);

    if (rc == NGX_DECLINED) {
        return ngx_http_milvus_cdc_not_found(ctx, &id);
    }

    if (rc != NGX_OK) {
        return ngx_http_milvus_cdc_error(r, NGX_HTTP_MILVUS_CDC_SERVER_ERROR,
                                         "fail to read the task store");
    }

    g = ngx_http_milvus_cdc_reply_start();
    if (g == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* "Task" as documented for Milvus-CDC, "task" as its newer releases */

    if (ngx_http_milvus_cdc_json_str(g, "Task") != NGX_OK
        || ngx_http_milvus_cdc_task_gen(g, &task) != NGX_OK
        || ngx_http_milvus_cdc_json_str(g, "task") != NGX_OK
        || ngx_http_milvus_cdc_task_gen(g, &task) != NGX_OK)
    {
        yajl_gen_free(g);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_milvus_cdc_reply(r, NGX_HTTP_MILVUS_CDC_OK, g);
}


static ngx_int_t
ngx_http_milvus_cdc_pause(ngx_http_milvus_cdc_ctx_t *ctx, yajl_val data)
{
    return ngx_http_milvus_cdc_set_state(ctx, data,
                                         NGX_HTTP_MILVUS_CDC_PAUSED);
}


static ngx_int_t
ngx_http_milvus_cdc_resume(ngx_http_milvus_cdc_ctx_t *ctx, yajl_val data)
{
    return ngx_http_milvus_cdc_set_state(ctx, data,
                                         NGX_HTTP_MILVUS_CDC_RUNNING);
}


/*
 * pause: Running (or Initial) → Paused; resume: Paused (or Initial) →
 * Running.  Either clears the reason.  The helper process sees the new
 * state on its next tick.
 */

static ngx_int_t
ngx_http_milvus_cdc_set_state(ngx_http_milvus_cdc_ctx_t *ctx, yajl_val data,
    ngx_int_t to)
{
    ngx_int_t            rc, prev;
    ngx_str_t            id;
    ngx_uint_t           from;
    ngx_http_request_t  *r;

    r = ctx->request;

    if (ngx_http_milvus_cdc_task_id(ctx, data, ngx_http_milvus_cdc_id_fields,
                                    &id, &rc)
        != NGX_OK)
    {
        return rc;
    }

    from = (1 << NGX_HTTP_MILVUS_CDC_INITIAL)
           | (1 << (to == NGX_HTTP_MILVUS_CDC_PAUSED
                    ? NGX_HTTP_MILVUS_CDC_RUNNING
                    : NGX_HTTP_MILVUS_CDC_PAUSED));

    rc = ngx_http_milvus_cdc_store_set_state(&ngx_http_milvus_cdc_worker_store,
                                             &id, from, to, NULL, &prev);
    switch (rc) {

    case NGX_OK:
        ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                      "milvus_cdc: task %V: %s", &id,
                      to == NGX_HTTP_MILVUS_CDC_PAUSED ? "paused" : "resumed");

        return ngx_http_milvus_cdc_reply(r, NGX_HTTP_MILVUS_CDC_OK, NULL);

    case NGX_DECLINED:
        return ngx_http_milvus_cdc_not_found(ctx, &id);

    case NGX_ABORT:
        return ngx_http_milvus_cdc_error(r, NGX_HTTP_MILVUS_CDC_BAD_REQUEST,
                                         "the task has %s, task_id: %V",
                                         to == NGX_HTTP_MILVUS_CDC_PAUSED
                                         ? "paused" : "running", &id);

    default:
        return ngx_http_milvus_cdc_error(r, NGX_HTTP_MILVUS_CDC_SERVER_ERROR,
                                         "fail to update the task state, "
                                         "task_id: %V", &id);
    }
}


static ngx_int_t
ngx_http_milvus_cdc_delete(ngx_http_milvus_cdc_ctx_t *ctx, yajl_val data)
{
    yajl_val             ignore;
    ngx_int_t            rc;
    ngx_str_t            id;
    ngx_http_request_t  *r;

    r = ctx->request;

    if (ngx_http_milvus_cdc_task_id(ctx, data,
                                    ngx_http_milvus_cdc_delete_fields, &id,
                                    &rc)
        != NGX_OK)
    {
        return rc;
    }

    ignore = ngx_http_milvus_cdc_json_get(data, "ignore_not_found");

    if (ignore && !YAJL_IS_NULL(ignore) && !YAJL_IS_TRUE(ignore)
        && !YAJL_IS_FALSE(ignore))
    {
        return ngx_http_milvus_cdc_error(r, NGX_HTTP_MILVUS_CDC_BAD_REQUEST,
                                         "request_data.ignore_not_found: "
                                         "must be a boolean");
    }

    rc = ngx_http_milvus_cdc_store_delete(&ngx_http_milvus_cdc_worker_store,
                                          &id);

    if (rc == NGX_OK) {
        ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                      "milvus_cdc: task %V: deleted", &id);
    }

    if (rc == NGX_OK || (rc == NGX_DECLINED && ignore && YAJL_IS_TRUE(ignore)))
    {
        return ngx_http_milvus_cdc_reply(r, NGX_HTTP_MILVUS_CDC_OK, NULL);
    }

    if (rc == NGX_DECLINED) {
        return ngx_http_milvus_cdc_not_found(ctx, &id);
    }

    return ngx_http_milvus_cdc_error(r, NGX_HTTP_MILVUS_CDC_SERVER_ERROR,
                                     "fail to delete the task, task_id: %V",
                                     &id);
}


/*
 * The checkpoint of each source pchannel: {"positions": [{"channel_name",
 * "msg_id" (base64 of the Kafka message id), "time" (physical ms of the
 * TSO timestamp), "tt" (the hybrid timestamp)}]}
 */

static ngx_int_t
ngx_http_milvus_cdc_position(ngx_http_milvus_cdc_ctx_t *ctx, yajl_val data)
{
    yajl_gen                           g;
    ngx_int_t                          rc;
    ngx_str_t                          id, b64;
    ngx_uint_t                         i;
    ngx_array_t                       *cps;
    ngx_http_request_t                *r;
    ngx_http_milvus_cdc_task_t         task;
    ngx_http_milvus_cdc_checkpoint_t  *cp;

    r = ctx->request;

    if (ngx_http_milvus_cdc_task_id(ctx, data, ngx_http_milvus_cdc_id_fields,
                                    &id, &rc)
        != NGX_OK)
    {
        return rc;
    }

    rc = ngx_http_milvus_cdc_store_get(&ngx_http_milvus_cdc_worker_store,
                                       r->pool, &id, &task);

    if (rc == NGX_DECLINED) {
        return ngx_http_milvus_cdc_not_found(ctx, &id);
    }

    if (rc != NGX_OK
        || ngx_http_milvus_cdc_store_checkpoints(
               &ngx_http_milvus_cdc_worker_store, r->pool, &id, &cps)
           != NGX_OK)
    {
        return ngx_http_milvus_cdc_error(r, NGX_HTTP_MILVUS_CDC_SERVER_ERROR,
                                         "fail to read the task store");
    }

    g = ngx_http_milvus_cdc_reply_start();
    if (g == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_milvus_cdc_json_str(g, "positions") != NGX_OK
        || yajl_gen_array_open(g) != yajl_gen_status_ok)
    {
        goto failed;
    }

    cp = cps->elts;

    for (i = 0; i < cps->nelts; i++) {
        b64.data = ngx_pnalloc(r->pool, ngx_base64_encoded_length(
                                                           cp[i].msg_id.len));
        if (b64.data == NULL) {
            goto failed;
        }

        ngx_encode_base64(&b64, &cp[i].msg_id);

        if (yajl_gen_map_open(g) != yajl_gen_status_ok
            || ngx_http_milvus_cdc_json_str(g, "channel_name") != NGX_OK
            || ngx_http_milvus_cdc_json_nstr(g, &cp[i].pchannel) != NGX_OK
            || ngx_http_milvus_cdc_json_str(g, "msg_id") != NGX_OK
            || ngx_http_milvus_cdc_json_nstr(g, &b64) != NGX_OK
            || ngx_http_milvus_cdc_json_str(g, "time") != NGX_OK
            || yajl_gen_integer(g, (long long) (cp[i].ts >> 18))
               != yajl_gen_status_ok
            || ngx_http_milvus_cdc_json_str(g, "tt") != NGX_OK
            || yajl_gen_integer(g, (long long) cp[i].ts) != yajl_gen_status_ok
            || yajl_gen_map_close(g) != yajl_gen_status_ok)
        {
            goto failed;
        }
    }

    if (yajl_gen_array_close(g) != yajl_gen_status_ok) {
        goto failed;
    }

    return ngx_http_milvus_cdc_reply(r, NGX_HTTP_MILVUS_CDC_OK, g);

failed:

    yajl_gen_free(g);

    return NGX_HTTP_INTERNAL_SERVER_ERROR;
}


/*
 * request_data {"task_id": "…"} of get, pause, resume, delete, position;
 * also opens the store.  NGX_OK, or NGX_DECLINED when an error reply was
 * sent ("*reply" is what to finalize the request with).
 */

static ngx_int_t
ngx_http_milvus_cdc_task_id(ngx_http_milvus_cdc_ctx_t *ctx, yajl_val data,
    const char **known, ngx_str_t *id, ngx_int_t *reply)
{
    yajl_val             v;
    ngx_int_t            rc;
    ngx_str_t            err;
    ngx_http_request_t  *r;

    r = ctx->request;

    if (data && YAJL_IS_OBJECT(data)) {
        rc = ngx_http_milvus_cdc_json_known(r->pool, data, "request_data",
                                            known, &err);
        if (rc == NGX_DECLINED) {
            *reply = ngx_http_milvus_cdc_error(r,
                                             NGX_HTTP_MILVUS_CDC_BAD_REQUEST,
                                             "%V", &err);
            return NGX_DECLINED;
        }

        if (rc != NGX_OK) {
            *reply = NGX_HTTP_INTERNAL_SERVER_ERROR;
            return NGX_DECLINED;
        }
    }

    v = ngx_http_milvus_cdc_json_get(data, "task_id");

    if (v == NULL || YAJL_IS_NULL(v)) {
        *reply = ngx_http_milvus_cdc_error(r, NGX_HTTP_MILVUS_CDC_BAD_REQUEST,
                                         "request_data.task_id: required, "
                                         "task_id is empty");
        return NGX_DECLINED;
    }

    if (!YAJL_IS_STRING(v)) {
        *reply = ngx_http_milvus_cdc_error(r, NGX_HTTP_MILVUS_CDC_BAD_REQUEST,
                                         "request_data.task_id: must be a "
                                         "string");
        return NGX_DECLINED;
    }

    id->data = (u_char *) v->u.string;
    id->len = ngx_strlen(v->u.string);

    if (id->len == 0) {
        *reply = ngx_http_milvus_cdc_error(r, NGX_HTTP_MILVUS_CDC_BAD_REQUEST,
                                         "request_data.task_id: required, "
                                         "task_id is empty");
        return NGX_DECLINED;
    }

    if (ngx_http_milvus_cdc_store(ctx) == NULL) {
        *reply = ngx_http_milvus_cdc_error(r, NGX_HTTP_MILVUS_CDC_SERVER_ERROR,
                                         "fail to open the task store");
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/* this worker's store connection, opened on first use */

static ngx_http_milvus_cdc_store_t *
ngx_http_milvus_cdc_store(ngx_http_milvus_cdc_ctx_t *ctx)
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


static ngx_int_t
ngx_http_milvus_cdc_not_found(ngx_http_milvus_cdc_ctx_t *ctx, ngx_str_t *id)
{
    return ngx_http_milvus_cdc_error(ctx->request,
                                     NGX_HTTP_MILVUS_CDC_BAD_REQUEST,
                                     "not found the task, task_id: %V", id);
}


/* {"code": 200, "data": { — the caller writes the members of data */

static yajl_gen
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

static ngx_int_t
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

static ngx_int_t
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
