
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 */


#ifndef _NGX_HTTP_MILVUS_CDC_TASK_H_INCLUDED_
#define _NGX_HTTP_MILVUS_CDC_TASK_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <yajl/yajl_tree.h>
#include <yajl/yajl_gen.h>


/*
 * One CDC task: what the create request asked for, in the forms the store,
 * the HTTP API and the helper process need.  All strings point into a pool
 * (the request's, or the helper's) and are not NUL-terminated unless noted.
 *
 *   task_id          1..64 bytes of [A-Za-z0-9_.-]; generated ones are 32
 *                    lowercase hex digits (a uuid4 without dashes)
 *   target_uri       normalized target address, "http://host:port" or
 *                    "https://host:port"; two tasks with the same value
 *                    write to the same target Milvus
 *   target           "host:port" for the gRPC channel, NUL-terminated
 *   tls              1 for https:// (or the legacy enable_tls)
 *   token            "user:password" or an API key; a secret: stored in
 *                    sqlite only, never returned, never logged
 *   dial_json        the whole dial_config object as JSON ("{}" if none);
 *                    holds key paths, so it is not returned either
 *   connect_json     the public milvus_connect_param object, as JSON
 *   scope_json       the public scope: {"collection_infos": […]} or
 *                    {"db_collections": {…}}, as JSON
 *   scope            the scope as "db.collection" lines, each ended by
 *                    '\n'; "*" stands for any database or collection
 *   connect_timeout  the target probe's limit, in milliseconds
 *   state            NGX_HTTP_MILVUS_CDC_INITIAL, _RUNNING or _PAUSED
 *   reason           why a failure paused the task; empty otherwise
 */
typedef struct {
    ngx_str_t                 task_id;
    ngx_str_t                 target_uri;
    ngx_str_t                 target;
    ngx_flag_t                tls;
    ngx_str_t                 token;
    ngx_str_t                 dial_json;
    ngx_str_t                 connect_json;
    ngx_str_t                 scope_json;
    ngx_str_t                 scope;
    ngx_msec_t                connect_timeout;
    ngx_int_t                 state;
    ngx_str_t                 reason;
} ngx_http_milvus_cdc_task_t;


/*
 * Validates the request_data object of a create request (see README.md,
 * "The task API in short", and t/020-api.t) and fills "task".  "data" may
 * be NULL (then the request is refused).  On a client error returns
 * NGX_DECLINED with "err" set to a message that names the offending
 * field, allocated from "pool"; NGX_ERROR on allocation failure.  The
 * task_id is left empty when the client gave none.
 */
ngx_int_t ngx_http_milvus_cdc_task_parse(ngx_pool_t *pool, yajl_val data,
    ngx_http_milvus_cdc_task_t *task, ngx_str_t *err);

/*
 * Fills task->task_id with 32 random lowercase hex digits (getrandom(2)).
 * NGX_OK or NGX_ERROR.
 */
ngx_int_t ngx_http_milvus_cdc_task_new_id(ngx_pool_t *pool,
    ngx_http_milvus_cdc_task_t *task);

/*
 * Whether two scopes (task->scope form) share a collection.  Returns 1 and
 * sets "entry" to the first shared "db.collection" line of "a" (pointing
 * into a), or 0.
 */
ngx_int_t ngx_http_milvus_cdc_task_scopes_overlap(ngx_str_t *a, ngx_str_t *b,
    ngx_str_t *entry);

/*
 * Writes the public Task object into "g":
 * {"task_id", "milvus_connect_param", "collection_infos" | "db_collections",
 *  "state", "reason" (only when set)}.  Secrets are not part of it.
 * NGX_OK, or NGX_ERROR if the stored JSON is corrupt or yajl fails.
 */
ngx_int_t ngx_http_milvus_cdc_task_gen(yajl_gen g,
    ngx_http_milvus_cdc_task_t *task);

/*
 * The TLS settings of a task's dial_config (task->dial_json): ca =
 * ca_pem_path, or server_pem_path for one-way TLS; cert = client_pem_path;
 * key = client_key_path; server_name.  Copied into "pool",
 * NUL-terminated; empty when absent.  These paths are secrets of the task:
 * never returned nor logged.  NGX_OK or NGX_ERROR (no memory).
 */
ngx_int_t ngx_http_milvus_cdc_task_tls(ngx_pool_t *pool,
    ngx_http_milvus_cdc_task_t *task, ngx_str_t *ca, ngx_str_t *cert,
    ngx_str_t *key, ngx_str_t *server_name);

/* "Initial", "Running" or "Paused" */
const char *ngx_http_milvus_cdc_task_state_name(ngx_int_t state);


#endif /* _NGX_HTTP_MILVUS_CDC_TASK_H_INCLUDED_ */
