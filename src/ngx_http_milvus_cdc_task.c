
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 *
 * The task model: validation of a create request (its options here, the
 * target in ngx_http_milvus_cdc_task_connect.c, the scope in
 * ngx_http_milvus_cdc_task_scope.c) and the public Task object.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <sys/random.h>

#include "ngx_http_milvus_cdc.h"
#include "ngx_http_milvus_cdc_json.h"
#include "ngx_http_milvus_cdc_task_int.h"


static ngx_int_t ngx_http_milvus_cdc_task_unsupported(
    ngx_http_milvus_cdc_parse_t *ps, yajl_val data);
static ngx_int_t ngx_http_milvus_cdc_task_options(
    ngx_http_milvus_cdc_parse_t *ps, yajl_val data);
static ngx_int_t ngx_http_milvus_cdc_task_given_id(
    ngx_http_milvus_cdc_parse_t *ps, yajl_val v);
static ngx_int_t ngx_http_milvus_cdc_task_scope(
    ngx_http_milvus_cdc_parse_t *ps, yajl_val data);
static ngx_int_t ngx_http_milvus_cdc_task_dbs(ngx_http_milvus_cdc_parse_t *ps,
    yajl_val dbs);


static const char  *ngx_http_milvus_cdc_create_fields[] = {
    "milvus_connect_param", "kafka_connect_param", "collection_infos",
    "db_collections", "task_id", "disable_auto_start", "extra_info",
    "name_mapping", "rpc_channel_info", "buffer_config", "positions", NULL
};

static const char  *ngx_http_milvus_cdc_extra_fields[] = {
    "enable_user_role", NULL
};

static const char  *ngx_http_milvus_cdc_buffer_fields[] = {
    "period", "size", NULL
};


ngx_int_t
ngx_http_milvus_cdc_task_parse(ngx_pool_t *pool, yajl_val data,
    ngx_http_milvus_cdc_task_t *task, ngx_str_t *err)
{
    yajl_val                      cp;
    ngx_int_t                     rc;
    ngx_http_milvus_cdc_parse_t   ps;

    ngx_memzero(task, sizeof(ngx_http_milvus_cdc_task_t));
    ngx_memzero(&ps, sizeof(ngx_http_milvus_cdc_parse_t));

    ps.pool = pool;
    ps.err = err;
    ps.task = task;

    task->state = NGX_HTTP_MILVUS_CDC_RUNNING;
    ngx_str_set(&task->reason, "");

    if (data == NULL || YAJL_IS_NULL(data)) {
        return ngx_http_milvus_cdc_task_fail(&ps,
                   "request_data: required for create");
    }

    if (ngx_http_milvus_cdc_task_check(&ps, data, yajl_t_object,
                                       "request_data", "an object")
        != NGX_OK)
    {
        return NGX_DECLINED;
    }

    rc = ngx_http_milvus_cdc_json_known(pool, data, "request_data",
                                        ngx_http_milvus_cdc_create_fields,
                                        err);
    if (rc != NGX_OK) {
        return rc;
    }

    rc = ngx_http_milvus_cdc_task_unsupported(&ps, data);
    if (rc != NGX_OK) {
        return rc;
    }

    rc = ngx_http_milvus_cdc_task_options(&ps, data);
    if (rc != NGX_OK) {
        return rc;
    }

    rc = ngx_http_milvus_cdc_task_given_id(&ps,
                             ngx_http_milvus_cdc_json_get(data, "task_id"));
    if (rc != NGX_OK) {
        return rc;
    }

    /* the target */

    cp = ngx_http_milvus_cdc_json_get(data, "milvus_connect_param");
    if (cp == NULL || YAJL_IS_NULL(cp)) {
        return ngx_http_milvus_cdc_task_fail(&ps,
                   "request_data.milvus_connect_param: required, the target "
                   "Milvus address is empty");
    }

    rc = ngx_http_milvus_cdc_task_connect(&ps, cp);
    if (rc != NGX_OK) {
        return rc;
    }

    return ngx_http_milvus_cdc_task_scope(&ps, data);
}


/* what this server cannot do yet is refused, not silently ignored */

static ngx_int_t
ngx_http_milvus_cdc_task_unsupported(ngx_http_milvus_cdc_parse_t *ps,
    yajl_val data)
{
    yajl_val   v;
    ngx_int_t  rc;

    if (ngx_http_milvus_cdc_json_get(data, "kafka_connect_param")) {
        return ngx_http_milvus_cdc_task_fail(ps,
                   "request_data.kafka_connect_param: a Kafka sink is not "
                   "supported, use milvus_connect_param");
    }

    v = ngx_http_milvus_cdc_json_get(data, "name_mapping");
    if (v && !YAJL_IS_NULL(v)
        && !(YAJL_IS_ARRAY(v) && v->u.array.len == 0))
    {
        return ngx_http_milvus_cdc_task_fail(ps,
                   "request_data.name_mapping: renaming databases and "
                   "collections is not supported");
    }

    v = ngx_http_milvus_cdc_json_get(data, "rpc_channel_info");
    if (v && !YAJL_IS_NULL(v)) {
        return ngx_http_milvus_cdc_task_fail(ps,
                   "request_data.rpc_channel_info: a start position for the "
                   "replicate channel is not supported");
    }

    v = ngx_http_milvus_cdc_json_get(data, "extra_info");
    if (v && !YAJL_IS_NULL(v)) {
        if (ngx_http_milvus_cdc_task_check(ps, v, yajl_t_object,
                                           "request_data.extra_info",
                                           "an object")
            != NGX_OK)
        {
            return NGX_DECLINED;
        }

        rc = ngx_http_milvus_cdc_json_known(ps->pool, v,
                                            "request_data.extra_info",
                                            ngx_http_milvus_cdc_extra_fields,
                                            ps->err);
        if (rc != NGX_OK) {
            return rc;
        }

        v = ngx_http_milvus_cdc_json_get(v, "enable_user_role");
        if (v && !YAJL_IS_TRUE(v) && !YAJL_IS_FALSE(v)) {
            return ngx_http_milvus_cdc_task_fail(ps,
                       "request_data.extra_info.enable_user_role: must be a "
                       "boolean");
        }

        if (v && YAJL_IS_TRUE(v)) {
            return ngx_http_milvus_cdc_task_fail(ps,
                       "request_data.extra_info.enable_user_role: "
                       "replicating users and roles is not supported");
        }
    }

    return NGX_OK;
}


/* buffer_config, the request's own positions and disable_auto_start */

static ngx_int_t
ngx_http_milvus_cdc_task_options(ngx_http_milvus_cdc_parse_t *ps,
    yajl_val data)
{
    size_t     i;
    yajl_val   v;
    ngx_int_t  rc;

    v = ngx_http_milvus_cdc_json_get(data, "buffer_config");
    if (v && !YAJL_IS_NULL(v)) {
        if (ngx_http_milvus_cdc_task_check(ps, v, yajl_t_object,
                                           "request_data.buffer_config",
                                           "an object")
            != NGX_OK)
        {
            return NGX_DECLINED;
        }

        rc = ngx_http_milvus_cdc_json_known(ps->pool, v,
                                           "request_data.buffer_config",
                                           ngx_http_milvus_cdc_buffer_fields,
                                           ps->err);
        if (rc != NGX_OK) {
            return rc;
        }

        for (i = 0; i < v->u.object.len; i++) {
            if (!YAJL_IS_INTEGER(v->u.object.values[i])
                || YAJL_GET_INTEGER(v->u.object.values[i]) < 0)
            {
                return ngx_http_milvus_cdc_task_fail(ps,
                           "request_data.buffer_config.%s: must be an "
                           "integer >= 0", v->u.object.keys[i]);
            }
        }
    }

    v = ngx_http_milvus_cdc_json_get(data, "positions");
    if (v && !YAJL_IS_NULL(v) && !YAJL_IS_OBJECT(v)) {
        return ngx_http_milvus_cdc_task_fail(ps,
                   "request_data.positions: must be an object");
    }

    v = ngx_http_milvus_cdc_json_get(data, "disable_auto_start");
    if (v && !YAJL_IS_NULL(v)) {
        if (!YAJL_IS_TRUE(v) && !YAJL_IS_FALSE(v)) {
            return ngx_http_milvus_cdc_task_fail(ps,
                       "request_data.disable_auto_start: must be a boolean");
        }

        if (YAJL_IS_TRUE(v)) {
            ps->task->state = NGX_HTTP_MILVUS_CDC_PAUSED;
        }
    }

    return NGX_OK;
}


/* task_id: 1..64 bytes of [A-Za-z0-9_.-] */

static ngx_int_t
ngx_http_milvus_cdc_task_given_id(ngx_http_milvus_cdc_parse_t *ps,
    yajl_val v)
{
    size_t                       i;
    u_char                      *p;
    ngx_http_milvus_cdc_task_t  *task;

    task = ps->task;

    if (v == NULL || YAJL_IS_NULL(v)) {
        return NGX_OK;
    }

    if (ngx_http_milvus_cdc_task_check(ps, v, yajl_t_string,
                                       "request_data.task_id", "a string")
        != NGX_OK)
    {
        return NGX_DECLINED;
    }

    p = (u_char *) v->u.string;
    task->task_id.data = p;
    task->task_id.len = ngx_strlen(p);

    if (task->task_id.len == 0
        || task->task_id.len > NGX_HTTP_MILVUS_CDC_TASK_ID_MAX)
    {
        return ngx_http_milvus_cdc_task_fail(ps,
                   "request_data.task_id: must be 1 to 64 characters");
    }

    for (i = 0; i < task->task_id.len; i++) {
        if (!isalnum(p[i]) && p[i] != '_' && p[i] != '-' && p[i] != '.') {
            return ngx_http_milvus_cdc_task_fail(ps,
                       "request_data.task_id: only letters, digits, "
                       "\"_\", \"-\" and \".\" are allowed");
        }
    }

    return NGX_OK;
}


/* the scope: exactly one of collection_infos and db_collections */

static ngx_int_t
ngx_http_milvus_cdc_task_scope(ngx_http_milvus_cdc_parse_t *ps,
    yajl_val data)
{
    yajl_val   infos, dbs;
    ngx_int_t  rc;

    infos = ngx_http_milvus_cdc_json_get(data, "collection_infos");
    dbs = ngx_http_milvus_cdc_json_get(data, "db_collections");

    if (infos && YAJL_IS_NULL(infos)) {
        infos = NULL;
    }

    if (dbs && YAJL_IS_NULL(dbs)) {
        dbs = NULL;
    }

    if (infos && dbs) {
        return ngx_http_milvus_cdc_task_fail(ps,
                   "request_data: set either collection_infos or "
                   "db_collections, not both");
    }

    if (infos == NULL && dbs == NULL) {
        return ngx_http_milvus_cdc_task_fail(ps,
                   "request_data.collection_infos: required, the collection "
                   "info is empty");
    }

    ps->scope = ngx_http_milvus_cdc_json_gen();
    if (ps->scope == NULL) {
        return NGX_ERROR;
    }

    if (yajl_gen_map_open(ps->scope) != yajl_gen_status_ok) {
        goto failed;
    }

    if (infos) {
        if (ngx_http_milvus_cdc_json_str(ps->scope, "collection_infos")
            != NGX_OK)
        {
            goto failed;
        }

        rc = ngx_http_milvus_cdc_task_infos(ps, infos, NULL,
                                            "request_data.collection_infos");

    } else {
        rc = ngx_http_milvus_cdc_task_dbs(ps, dbs);
    }

    if (rc != NGX_OK) {
        goto done;
    }

    if (yajl_gen_map_close(ps->scope) != yajl_gen_status_ok) {
        goto failed;
    }

    ps->task->scope = ps->lines;

    return ngx_http_milvus_cdc_json_take(ps->scope, ps->pool, 0,
                                         &ps->task->scope_json);

failed:

    rc = NGX_ERROR;

done:

    yajl_gen_free(ps->scope);

    return rc;
}


/*
 * db_collections: {"<db>|*": [collection infos]} into ps->scope (an open
 * map); NGX_ERROR also when yajl fails
 */

static ngx_int_t
ngx_http_milvus_cdc_task_dbs(ngx_http_milvus_cdc_parse_t *ps, yajl_val dbs)
{
    size_t     i;
    u_char    *p;
    ngx_int_t  rc;

    if (ngx_http_milvus_cdc_task_check(ps, dbs, yajl_t_object,
                                       "request_data.db_collections",
                                       "an object")
        != NGX_OK)
    {
        return NGX_DECLINED;
    }

    if (dbs->u.object.len == 0) {
        return ngx_http_milvus_cdc_task_fail(ps,
                   "request_data.db_collections: the collection info is "
                   "empty");
    }

    if (ngx_http_milvus_cdc_json_str(ps->scope, "db_collections") != NGX_OK
        || yajl_gen_map_open(ps->scope) != yajl_gen_status_ok)
    {
        return NGX_ERROR;
    }

    rc = NGX_OK;

    for (i = 0; i < dbs->u.object.len && rc == NGX_OK; i++) {
        p = (u_char *) dbs->u.object.keys[i];

        rc = ngx_http_milvus_cdc_task_name(ps, (char *) p,
                                           "request_data.db_collections");
        if (rc != NGX_OK) {
            break;
        }

        if (ngx_http_milvus_cdc_json_str(ps->scope, (char *) p) != NGX_OK) {
            return NGX_ERROR;
        }

        rc = ngx_http_milvus_cdc_task_infos(ps, dbs->u.object.values[i],
                                            (char *) p,
                                            "request_data.db_collections");
    }

    if (rc == NGX_OK
        && yajl_gen_map_close(ps->scope) != yajl_gen_status_ok)
    {
        return NGX_ERROR;
    }

    return rc;
}


ngx_int_t
ngx_http_milvus_cdc_task_new_id(ngx_pool_t *pool,
    ngx_http_milvus_cdc_task_t *task)
{
    u_char  raw[16];

    if (getrandom(raw, sizeof(raw), 0) != (ssize_t) sizeof(raw)) {
        return NGX_ERROR;
    }

    /* the bits of a uuid4, like Milvus-CDC's ids */

    raw[6] = (raw[6] & 0x0f) | 0x40;
    raw[8] = (raw[8] & 0x3f) | 0x80;

    task->task_id.data = ngx_pnalloc(pool, 2 * sizeof(raw) + 1);
    if (task->task_id.data == NULL) {
        return NGX_ERROR;
    }

    task->task_id.len = ngx_hex_dump(task->task_id.data, raw, sizeof(raw))
                        - task->task_id.data;
    task->task_id.data[task->task_id.len] = '\0';

    return NGX_OK;
}


ngx_int_t
ngx_http_milvus_cdc_task_gen(yajl_gen g, ngx_http_milvus_cdc_task_t *task)
{
    size_t    i;
    yajl_val  scope;

    if (yajl_gen_map_open(g) != yajl_gen_status_ok
        || ngx_http_milvus_cdc_json_str(g, "task_id") != NGX_OK
        || ngx_http_milvus_cdc_json_nstr(g, &task->task_id) != NGX_OK
        || ngx_http_milvus_cdc_json_str(g, "milvus_connect_param") != NGX_OK
        || ngx_http_milvus_cdc_json_raw(g, &task->connect_json) != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* the scope object's members go into the task object */

    scope = yajl_tree_parse((char *) task->scope_json.data, NULL, 0);
    if (!YAJL_IS_OBJECT(scope)) {
        yajl_tree_free(scope);
        return NGX_ERROR;
    }

    for (i = 0; i < scope->u.object.len; i++) {
        if (ngx_http_milvus_cdc_json_str(g, scope->u.object.keys[i]) != NGX_OK
            || ngx_http_milvus_cdc_json_value(g, scope->u.object.values[i])
               != NGX_OK)
        {
            yajl_tree_free(scope);
            return NGX_ERROR;
        }
    }

    yajl_tree_free(scope);

    if (ngx_http_milvus_cdc_json_str(g, "state") != NGX_OK
        || ngx_http_milvus_cdc_json_str(g,
               ngx_http_milvus_cdc_task_state_name(task->state))
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (task->reason.len
        && (ngx_http_milvus_cdc_json_str(g, "reason") != NGX_OK
            || ngx_http_milvus_cdc_json_nstr(g, &task->reason) != NGX_OK))
    {
        return NGX_ERROR;
    }

    return yajl_gen_map_close(g) == yajl_gen_status_ok ? NGX_OK : NGX_ERROR;
}


const char *
ngx_http_milvus_cdc_task_state_name(ngx_int_t state)
{
    switch (state) {

    case NGX_HTTP_MILVUS_CDC_RUNNING:
        return "Running";

    case NGX_HTTP_MILVUS_CDC_PAUSED:
        return "Paused";

    default:
        return "Initial";
    }
}


/* a present, non-null value of the wrong type is refused */

ngx_int_t
ngx_http_milvus_cdc_task_check(ngx_http_milvus_cdc_parse_t *ps, yajl_val v,
    yajl_type type, const char *path, const char *what)
{
    if (v == NULL || YAJL_IS_NULL(v) || v->type == type) {
        return NGX_OK;
    }

    return ngx_http_milvus_cdc_task_fail(ps, "%s: must be %s", path, what);
}


ngx_int_t
ngx_http_milvus_cdc_task_fail(ngx_http_milvus_cdc_parse_t *ps,
    const char *fmt, ...)
{
    u_char   *p;
    va_list   args;
    u_char    buf[1024];

    va_start(args, fmt);
    p = ngx_vslprintf(buf, buf + sizeof(buf), fmt, args);
    va_end(args);

    /* a message names what the client sent: only as UTF-8 */

    (void) ngx_http_milvus_cdc_json_utf8_fix(buf, p - buf);

    ps->err->len = p - buf;
    ps->err->data = ngx_pnalloc(ps->pool, ps->err->len);
    if (ps->err->data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(ps->err->data, buf, ps->err->len);

    return NGX_DECLINED;
}
