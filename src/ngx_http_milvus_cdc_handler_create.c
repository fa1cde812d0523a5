
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 *
 * The create request of the task API: the request validated, checked
 * against the store, the target Milvus probed without blocking, then the
 * task stored.  Called by src/ngx_http_milvus_cdc_handler.c.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_milvus_cdc.h"
#include "ngx_http_milvus_cdc_handler_int.h"
#include "ngx_http_milvus_cdc_json.h"
#include "ngx_http_milvus_cdc_probe.h"
#include "ngx_http_milvus_cdc_store.h"
#include "ngx_http_milvus_cdc_task.h"


/*
 * a pending create is answered at the latest this long after its probe's
 * own guard timer, in milliseconds
 */
#define NGX_HTTP_MILVUS_CDC_DEADLINE      1000


static ngx_int_t ngx_http_milvus_cdc_create_store(
    ngx_http_milvus_cdc_ctx_t *ctx, ngx_uint_t insert);
static ngx_int_t ngx_http_milvus_cdc_probe(ngx_http_milvus_cdc_ctx_t *ctx);
static void ngx_http_milvus_cdc_create_probed(ngx_http_milvus_cdc_probe_t *p);
static void ngx_http_milvus_cdc_probe_cleanup(void *data);
static void ngx_http_milvus_cdc_deadline_handler(ngx_event_t *ev);


ngx_int_t
ngx_http_milvus_cdc_op_create(ngx_http_milvus_cdc_ctx_t *ctx, yajl_val data)
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

    if (ngx_http_milvus_cdc_handler_store(ctx) == NULL) {
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

    } else if (ngx_http_milvus_cdc_handler_store(ctx) == NULL) {
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
