
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 *
 * The request types of the task API that name a task or list them:
 * list, get, pause, resume, delete, position.  Called by
 * src/ngx_http_milvus_cdc_handler.c.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_milvus_cdc.h"
#include "ngx_http_milvus_cdc_handler_int.h"
#include "ngx_http_milvus_cdc_json.h"
#include "ngx_http_milvus_cdc_store.h"
#include "ngx_http_milvus_cdc_task.h"


static ngx_int_t ngx_http_milvus_cdc_set_state(ngx_http_milvus_cdc_ctx_t *ctx,
    yajl_val data, ngx_int_t to);
static ngx_int_t ngx_http_milvus_cdc_task_id(ngx_http_milvus_cdc_ctx_t *ctx,
    yajl_val data, const char **known, ngx_str_t *id, ngx_int_t *reply);
static ngx_int_t ngx_http_milvus_cdc_not_found(ngx_http_milvus_cdc_ctx_t *ctx,
    ngx_str_t *id);


static ngx_int_t ngx_http_milvus_cdc_deleted(ngx_http_request_t *r);


/* what a deleted task leaves behind: docs/engine.md, "Moving a task" */
#define NGX_HTTP_MILVUS_CDC_DELETE_NOTE                                       \
    "the target stays in replicate mode (common.ttMsgEnabled false) with "    \
    "what was replicated; set ttMsgEnabled back to true to write to it, or "  \
    "create a task again: it continues without duplicates"


static const char  *ngx_http_milvus_cdc_no_fields[] = {
    NULL
};

static const char  *ngx_http_milvus_cdc_id_fields[] = {
    "task_id", NULL
};

static const char  *ngx_http_milvus_cdc_delete_fields[] = {
    "task_id", "ignore_not_found", NULL
};


ngx_int_t
ngx_http_milvus_cdc_op_list(ngx_http_milvus_cdc_ctx_t *ctx, yajl_val data)
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

    if (ngx_http_milvus_cdc_handler_store(ctx) == NULL
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


ngx_int_t
ngx_http_milvus_cdc_op_get(ngx_http_milvus_cdc_ctx_t *ctx, yajl_val data)
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


ngx_int_t
ngx_http_milvus_cdc_op_pause(ngx_http_milvus_cdc_ctx_t *ctx, yajl_val data)
{
    return ngx_http_milvus_cdc_set_state(ctx, data,
                                         NGX_HTTP_MILVUS_CDC_PAUSED);
}


ngx_int_t
ngx_http_milvus_cdc_op_resume(ngx_http_milvus_cdc_ctx_t *ctx, yajl_val data)
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


ngx_int_t
ngx_http_milvus_cdc_op_delete(ngx_http_milvus_cdc_ctx_t *ctx, yajl_val data)
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
                      "milvus_cdc: task %V: deleted; %s", &id,
                      NGX_HTTP_MILVUS_CDC_DELETE_NOTE);
        return ngx_http_milvus_cdc_deleted(r);
    }

    if (rc == NGX_DECLINED && ignore && YAJL_IS_TRUE(ignore)) {
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

ngx_int_t
ngx_http_milvus_cdc_op_position(ngx_http_milvus_cdc_ctx_t *ctx, yajl_val data)
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

    if (ngx_http_milvus_cdc_handler_store(ctx) == NULL) {
        *reply = ngx_http_milvus_cdc_error(r, NGX_HTTP_MILVUS_CDC_SERVER_ERROR,
                                         "fail to open the task store");
        return NGX_DECLINED;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_milvus_cdc_not_found(ngx_http_milvus_cdc_ctx_t *ctx, ngx_str_t *id)
{
    return ngx_http_milvus_cdc_error(ctx->request,
                                     NGX_HTTP_MILVUS_CDC_BAD_REQUEST,
                                     "not found the task, task_id: %V", id);
}


/*
 * A task deleted: {"target": "..."} says what stays behind (the target in
 * replicate mode, its data); clients of Milvus-CDC read only "code"
 */

static ngx_int_t
ngx_http_milvus_cdc_deleted(ngx_http_request_t *r)
{
    yajl_gen  g;

    g = ngx_http_milvus_cdc_reply_start();
    if (g == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_milvus_cdc_json_str(g, "target") != NGX_OK
        || ngx_http_milvus_cdc_json_str(g, NGX_HTTP_MILVUS_CDC_DELETE_NOTE)
           != NGX_OK)
    {
        yajl_gen_free(g);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_milvus_cdc_reply(r, NGX_HTTP_MILVUS_CDC_OK, g);
}
