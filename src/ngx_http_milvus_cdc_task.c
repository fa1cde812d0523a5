
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 *
 * The task model: validation of a create request, the scope of a task and
 * the public Task object.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <sys/random.h>

#include "ngx_http_milvus_cdc.h"
#include "ngx_http_milvus_cdc_json.h"
#include "ngx_http_milvus_cdc_task.h"


#define NGX_HTTP_MILVUS_CDC_DEFAULT_PORT     19530
#define NGX_HTTP_MILVUS_CDC_DEFAULT_TIMEOUT  5
#define NGX_HTTP_MILVUS_CDC_MAX_TIMEOUT      600


typedef struct {
    ngx_pool_t                  *pool;
    ngx_str_t                   *err;
    ngx_http_milvus_cdc_task_t  *task;
    yajl_gen                     scope;
    ngx_str_t                    lines;
    size_t                       lines_size;
} ngx_http_milvus_cdc_parse_t;


static ngx_int_t ngx_http_milvus_cdc_task_connect(
    ngx_http_milvus_cdc_parse_t *ps, yajl_val cp);
static ngx_int_t ngx_http_milvus_cdc_task_uri(ngx_http_milvus_cdc_parse_t *ps,
    u_char *uri);
static ngx_int_t ngx_http_milvus_cdc_task_dial(
    ngx_http_milvus_cdc_parse_t *ps, yajl_val dial, yajl_gen g);
static ngx_int_t ngx_http_milvus_cdc_task_infos(
    ngx_http_milvus_cdc_parse_t *ps, yajl_val infos, const char *db,
    const char *path);
static ngx_int_t ngx_http_milvus_cdc_task_positions(
    ngx_http_milvus_cdc_parse_t *ps, yajl_val pos, const char *path);
static ngx_int_t ngx_http_milvus_cdc_task_add_line(
    ngx_http_milvus_cdc_parse_t *ps, const char *db, const char *coll);
static ngx_int_t ngx_http_milvus_cdc_task_name(
    ngx_http_milvus_cdc_parse_t *ps, const char *name, const char *path);
static ngx_int_t ngx_http_milvus_cdc_task_check(
    ngx_http_milvus_cdc_parse_t *ps, yajl_val v, yajl_type type,
    const char *path, const char *what);
static ngx_int_t ngx_http_milvus_cdc_task_fail(
    ngx_http_milvus_cdc_parse_t *ps, const char *fmt, ...);
static ngx_int_t ngx_http_milvus_cdc_task_entry_match(u_char *a, size_t alen,
    u_char *b, size_t blen);


static const char  *ngx_http_milvus_cdc_create_fields[] = {
    "milvus_connect_param", "kafka_connect_param", "collection_infos",
    "db_collections", "task_id", "disable_auto_start", "extra_info",
    "name_mapping", "rpc_channel_info", "buffer_config", "positions", NULL
};

static const char  *ngx_http_milvus_cdc_connect_fields[] = {
    "uri", "token", "host", "port", "username", "password", "enable_tls",
    "connect_timeout", "dial_config", "channel_num", "ignore_partition", NULL
};

static const char  *ngx_http_milvus_cdc_dial_fields[] = {
    "server_name", "server_pem_path", "ca_pem_path", "client_pem_path",
    "client_key_path", NULL
};

static const char  *ngx_http_milvus_cdc_info_fields[] = {
    "name", "positions", "use_start_position", NULL
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
    size_t                        i;
    u_char                       *p;
    yajl_val                      v, cp, infos, dbs;
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

    /* what this server cannot do yet is refused, not silently ignored */

    if (ngx_http_milvus_cdc_json_get(data, "kafka_connect_param")) {
        return ngx_http_milvus_cdc_task_fail(&ps,
                   "request_data.kafka_connect_param: a Kafka sink is not "
                   "supported, use milvus_connect_param");
    }

    v = ngx_http_milvus_cdc_json_get(data, "name_mapping");
    if (v && !YAJL_IS_NULL(v)
        && !(YAJL_IS_ARRAY(v) && v->u.array.len == 0))
    {
        return ngx_http_milvus_cdc_task_fail(&ps,
                   "request_data.name_mapping: renaming databases and "
                   "collections is not supported");
    }

    v = ngx_http_milvus_cdc_json_get(data, "rpc_channel_info");
    if (v && !YAJL_IS_NULL(v)) {
        return ngx_http_milvus_cdc_task_fail(&ps,
                   "request_data.rpc_channel_info: a start position for the "
                   "replicate channel is not supported");
    }

    v = ngx_http_milvus_cdc_json_get(data, "extra_info");
    if (v && !YAJL_IS_NULL(v)) {
        if (ngx_http_milvus_cdc_task_check(&ps, v, yajl_t_object,
                                           "request_data.extra_info",
                                           "an object")
            != NGX_OK)
        {
            return NGX_DECLINED;
        }

        rc = ngx_http_milvus_cdc_json_known(pool, v, "request_data.extra_info",
                                            ngx_http_milvus_cdc_extra_fields,
                                            err);
        if (rc != NGX_OK) {
            return rc;
        }

        v = ngx_http_milvus_cdc_json_get(v, "enable_user_role");
        if (v && !YAJL_IS_TRUE(v) && !YAJL_IS_FALSE(v)) {
            return ngx_http_milvus_cdc_task_fail(&ps,
                       "request_data.extra_info.enable_user_role: must be a "
                       "boolean");
        }

        if (v && YAJL_IS_TRUE(v)) {
            return ngx_http_milvus_cdc_task_fail(&ps,
                       "request_data.extra_info.enable_user_role: "
                       "replicating users and roles is not supported");
        }
    }

    v = ngx_http_milvus_cdc_json_get(data, "buffer_config");
    if (v && !YAJL_IS_NULL(v)) {
        if (ngx_http_milvus_cdc_task_check(&ps, v, yajl_t_object,
                                           "request_data.buffer_config",
                                           "an object")
            != NGX_OK)
        {
            return NGX_DECLINED;
        }

        rc = ngx_http_milvus_cdc_json_known(pool, v,
                                           "request_data.buffer_config",
                                           ngx_http_milvus_cdc_buffer_fields,
                                           err);
        if (rc != NGX_OK) {
            return rc;
        }

        for (i = 0; i < v->u.object.len; i++) {
            if (!YAJL_IS_INTEGER(v->u.object.values[i])
                || YAJL_GET_INTEGER(v->u.object.values[i]) < 0)
            {
                return ngx_http_milvus_cdc_task_fail(&ps,
                           "request_data.buffer_config.%s: must be an "
                           "integer >= 0", v->u.object.keys[i]);
            }
        }
    }

    v = ngx_http_milvus_cdc_json_get(data, "positions");
    if (v && !YAJL_IS_NULL(v) && !YAJL_IS_OBJECT(v)) {
        return ngx_http_milvus_cdc_task_fail(&ps,
                   "request_data.positions: must be an object");
    }

    v = ngx_http_milvus_cdc_json_get(data, "disable_auto_start");
    if (v && !YAJL_IS_NULL(v)) {
        if (!YAJL_IS_TRUE(v) && !YAJL_IS_FALSE(v)) {
            return ngx_http_milvus_cdc_task_fail(&ps,
                       "request_data.disable_auto_start: must be a boolean");
        }

        if (YAJL_IS_TRUE(v)) {
            task->state = NGX_HTTP_MILVUS_CDC_PAUSED;
        }
    }

    v = ngx_http_milvus_cdc_json_get(data, "task_id");
    if (v && !YAJL_IS_NULL(v)) {
        if (ngx_http_milvus_cdc_task_check(&ps, v, yajl_t_string,
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
            return ngx_http_milvus_cdc_task_fail(&ps,
                       "request_data.task_id: must be 1 to 64 characters");
        }

        for (i = 0; i < task->task_id.len; i++) {
            if (!isalnum(p[i]) && p[i] != '_' && p[i] != '-' && p[i] != '.') {
                return ngx_http_milvus_cdc_task_fail(&ps,
                           "request_data.task_id: only letters, digits, "
                           "\"_\", \"-\" and \".\" are allowed");
            }
        }
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

    /* the scope: exactly one of collection_infos and db_collections */

    infos = ngx_http_milvus_cdc_json_get(data, "collection_infos");
    dbs = ngx_http_milvus_cdc_json_get(data, "db_collections");

    if (infos && YAJL_IS_NULL(infos)) {
        infos = NULL;
    }

    if (dbs && YAJL_IS_NULL(dbs)) {
        dbs = NULL;
    }

    if (infos && dbs) {
        return ngx_http_milvus_cdc_task_fail(&ps,
                   "request_data: set either collection_infos or "
                   "db_collections, not both");
    }

    if (infos == NULL && dbs == NULL) {
        return ngx_http_milvus_cdc_task_fail(&ps,
                   "request_data.collection_infos: required, the collection "
                   "info is empty");
    }

    ps.scope = ngx_http_milvus_cdc_json_gen();
    if (ps.scope == NULL) {
        return NGX_ERROR;
    }

    if (yajl_gen_map_open(ps.scope) != yajl_gen_status_ok) {
        goto failed;
    }

    if (infos) {
        if (ngx_http_milvus_cdc_json_str(ps.scope, "collection_infos")
            != NGX_OK)
        {
            goto failed;
        }

        rc = ngx_http_milvus_cdc_task_infos(&ps, infos, NULL,
                                            "request_data.collection_infos");

    } else {
        if (ngx_http_milvus_cdc_task_check(&ps, dbs, yajl_t_object,
                                           "request_data.db_collections",
                                           "an object")
            != NGX_OK)
        {
            rc = NGX_DECLINED;
            goto done;
        }

        if (dbs->u.object.len == 0) {
            rc = ngx_http_milvus_cdc_task_fail(&ps,
                     "request_data.db_collections: the collection info is "
                     "empty");
            goto done;
        }

        if (ngx_http_milvus_cdc_json_str(ps.scope, "db_collections") != NGX_OK
            || yajl_gen_map_open(ps.scope) != yajl_gen_status_ok)
        {
            goto failed;
        }

        rc = NGX_OK;

        for (i = 0; i < dbs->u.object.len && rc == NGX_OK; i++) {
            p = (u_char *) dbs->u.object.keys[i];

            rc = ngx_http_milvus_cdc_task_name(&ps, (char *) p,
                                               "request_data.db_collections");
            if (rc != NGX_OK) {
                break;
            }

            if (ngx_http_milvus_cdc_json_str(ps.scope, (char *) p) != NGX_OK) {
                goto failed;
            }

            rc = ngx_http_milvus_cdc_task_infos(&ps, dbs->u.object.values[i],
                                                (char *) p,
                                                "request_data.db_collections");
        }

        if (rc == NGX_OK
            && yajl_gen_map_close(ps.scope) != yajl_gen_status_ok)
        {
            goto failed;
        }
    }

    if (rc != NGX_OK) {
        goto done;
    }

    if (yajl_gen_map_close(ps.scope) != yajl_gen_status_ok) {
        goto failed;
    }

    task->scope = ps.lines;

    return ngx_http_milvus_cdc_json_take(ps.scope, pool, 0, &task->scope_json);

failed:

    rc = NGX_ERROR;

done:

    yajl_gen_free(ps.scope);

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
ngx_http_milvus_cdc_task_scopes_overlap(ngx_str_t *a, ngx_str_t *b,
    ngx_str_t *entry)
{
    u_char  *pa, *ea, *pb, *eb, *last_a, *last_b;

    last_a = a->data + a->len;
    last_b = b->data + b->len;

    for (pa = a->data; pa < last_a; pa = ea + 1) {
        ea = ngx_strlchr(pa, last_a, '\n');
        if (ea == NULL) {
            ea = last_a;
        }

        for (pb = b->data; pb < last_b; pb = eb + 1) {
            eb = ngx_strlchr(pb, last_b, '\n');
            if (eb == NULL) {
                eb = last_b;
            }

            if (ngx_http_milvus_cdc_task_entry_match(pa, ea - pa, pb, eb - pb))
            {
                entry->data = pa;
                entry->len = ea - pa;
                return 1;
            }
        }
    }

    return 0;
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


/*
 * milvus_connect_param: the target address and credentials; writes the
 * public object into task->connect_json and the secrets into task->token
 * and task->dial_json
 */

static ngx_int_t
ngx_http_milvus_cdc_task_connect(ngx_http_milvus_cdc_parse_t *ps, yajl_val cp)
{
    u_char                      *p;
    yajl_gen                     g, dial;
    yajl_val                     uri, token, host, port, user, pass, tls, v;
    ngx_int_t                    rc;
    ngx_http_milvus_cdc_task_t  *task;

    task = ps->task;

    if (ngx_http_milvus_cdc_task_check(ps, cp, yajl_t_object,
                                       "request_data.milvus_connect_param",
                                       "an object")
        != NGX_OK)
    {
        return NGX_DECLINED;
    }

    rc = ngx_http_milvus_cdc_json_known(ps->pool, cp,
                                        "request_data.milvus_connect_param",
                                        ngx_http_milvus_cdc_connect_fields,
                                        ps->err);
    if (rc != NGX_OK) {
        return rc;
    }

#define NGX_HTTP_MILVUS_CDC_CP  "request_data.milvus_connect_param."

    uri = ngx_http_milvus_cdc_json_get(cp, "uri");
    token = ngx_http_milvus_cdc_json_get(cp, "token");
    host = ngx_http_milvus_cdc_json_get(cp, "host");
    port = ngx_http_milvus_cdc_json_get(cp, "port");
    user = ngx_http_milvus_cdc_json_get(cp, "username");
    pass = ngx_http_milvus_cdc_json_get(cp, "password");
    tls = ngx_http_milvus_cdc_json_get(cp, "enable_tls");

    if (ngx_http_milvus_cdc_task_check(ps, uri, yajl_t_string,
                                       NGX_HTTP_MILVUS_CDC_CP "uri",
                                       "a string") != NGX_OK
        || ngx_http_milvus_cdc_task_check(ps, token, yajl_t_string,
                                          NGX_HTTP_MILVUS_CDC_CP "token",
                                          "a string") != NGX_OK
        || ngx_http_milvus_cdc_task_check(ps, host, yajl_t_string,
                                          NGX_HTTP_MILVUS_CDC_CP "host",
                                          "a string") != NGX_OK
        || ngx_http_milvus_cdc_task_check(ps, user, yajl_t_string,
                                          NGX_HTTP_MILVUS_CDC_CP "username",
                                          "a string") != NGX_OK
        || ngx_http_milvus_cdc_task_check(ps, pass, yajl_t_string,
                                          NGX_HTTP_MILVUS_CDC_CP "password",
                                          "a string") != NGX_OK)
    {
        return NGX_DECLINED;
    }

    if (port && !YAJL_IS_NULL(port) && !YAJL_IS_INTEGER(port)) {
        return ngx_http_milvus_cdc_task_fail(ps,
                   NGX_HTTP_MILVUS_CDC_CP "port: must be an integer");
    }

    if (tls && !YAJL_IS_NULL(tls) && !YAJL_IS_TRUE(tls) && !YAJL_IS_FALSE(tls))
    {
        return ngx_http_milvus_cdc_task_fail(ps,
                   NGX_HTTP_MILVUS_CDC_CP "enable_tls: must be a boolean");
    }

    if (uri && YAJL_IS_STRING(uri) && uri->u.string[0] != '\0') {
        rc = ngx_http_milvus_cdc_task_uri(ps, (u_char *) uri->u.string);
        if (rc != NGX_OK) {
            return rc;
        }

    } else {
        if (host == NULL || !YAJL_IS_STRING(host) || host->u.string[0] == '\0')
        {
            return ngx_http_milvus_cdc_task_fail(ps,
                       NGX_HTTP_MILVUS_CDC_CP "uri: required, the target "
                       "Milvus address is empty");
        }

        /* credentials are never echoed: refused before any message */

        if (ngx_strchr(host->u.string, '@') != NULL) {
            return ngx_http_milvus_cdc_task_fail(ps,
                       NGX_HTTP_MILVUS_CDC_CP "host: user info is not "
                       "supported, use username and password");
        }

        if (port == NULL || !YAJL_IS_INTEGER(port)
            || YAJL_GET_INTEGER(port) <= 0 || YAJL_GET_INTEGER(port) > 65535)
        {
            return ngx_http_milvus_cdc_task_fail(ps,
                       NGX_HTTP_MILVUS_CDC_CP "port: must be 1 to 65535 "
                       "when host is used");
        }

        p = ngx_pnalloc(ps->pool, sizeof("https://:65535")
                                  + ngx_strlen(host->u.string));
        if (p == NULL) {
            return NGX_ERROR;
        }

        (void) ngx_sprintf(p, "%s://%s:%L%Z",
                           (tls && YAJL_IS_TRUE(tls)) ? "https" : "http",
                           host->u.string, YAJL_GET_INTEGER(port));

        rc = ngx_http_milvus_cdc_task_uri(ps, p);
        if (rc != NGX_OK) {
            return rc;
        }
    }

    if (token && YAJL_IS_STRING(token) && token->u.string[0] != '\0') {
        task->token.data = (u_char *) token->u.string;
        task->token.len = ngx_strlen(token->u.string);

    } else if ((user && YAJL_IS_STRING(user) && user->u.string[0])
               || (pass && YAJL_IS_STRING(pass) && pass->u.string[0]))
    {
        if (user == NULL || pass == NULL || !YAJL_IS_STRING(user)
            || !YAJL_IS_STRING(pass) || user->u.string[0] == '\0'
            || pass->u.string[0] == '\0')
        {
            return ngx_http_milvus_cdc_task_fail(ps,
                       NGX_HTTP_MILVUS_CDC_CP "username: cannot set only one "
                       "of the milvus username and password");
        }

        task->token.len = ngx_strlen(user->u.string) + 1
                          + ngx_strlen(pass->u.string);
        task->token.data = ngx_pnalloc(ps->pool, task->token.len + 1);
        if (task->token.data == NULL) {
            return NGX_ERROR;
        }

        (void) ngx_sprintf(task->token.data, "%s:%s%Z", user->u.string,
                           pass->u.string);

    } else {
        ngx_str_set(&task->token, "");
    }

    task->connect_timeout = NGX_HTTP_MILVUS_CDC_DEFAULT_TIMEOUT;

    v = ngx_http_milvus_cdc_json_get(cp, "connect_timeout");
    if (v && !YAJL_IS_NULL(v)) {
        if (!YAJL_IS_INTEGER(v)) {
            return ngx_http_milvus_cdc_task_fail(ps,
                       NGX_HTTP_MILVUS_CDC_CP "connect_timeout: must be an "
                       "integer number of seconds");
        }

        if (YAJL_GET_INTEGER(v) < 0
            || YAJL_GET_INTEGER(v) > NGX_HTTP_MILVUS_CDC_MAX_TIMEOUT)
        {
            return ngx_http_milvus_cdc_task_fail(ps,
                       NGX_HTTP_MILVUS_CDC_CP "connect_timeout: must be 0 to "
                       "600 seconds");
        }

        if (YAJL_GET_INTEGER(v) > 0) {
            task->connect_timeout = (ngx_msec_t) YAJL_GET_INTEGER(v);
        }
    }

    /* the public object */

    g = ngx_http_milvus_cdc_json_gen();
    if (g == NULL) {
        return NGX_ERROR;
    }

    dial = ngx_http_milvus_cdc_json_gen();
    if (dial == NULL) {
        yajl_gen_free(g);
        return NGX_ERROR;
    }

    if (yajl_gen_map_open(g) != yajl_gen_status_ok
        || ngx_http_milvus_cdc_json_str(g, "uri") != NGX_OK
        || ngx_http_milvus_cdc_json_nstr(g, &task->target_uri) != NGX_OK
        || ngx_http_milvus_cdc_json_str(g, "connect_timeout") != NGX_OK
        || yajl_gen_integer(g, task->connect_timeout) != yajl_gen_status_ok)
    {
        goto failed;
    }

    v = ngx_http_milvus_cdc_json_get(cp, "channel_num");
    if (v && !YAJL_IS_NULL(v)) {
        if (!YAJL_IS_INTEGER(v) || YAJL_GET_INTEGER(v) < 0
            || YAJL_GET_INTEGER(v) > 1024)
        {
            rc = ngx_http_milvus_cdc_task_fail(ps,
                     NGX_HTTP_MILVUS_CDC_CP "channel_num: must be an integer "
                     "from 0 to 1024");
            goto done;
        }

        if (ngx_http_milvus_cdc_json_str(g, "channel_num") != NGX_OK
            || yajl_gen_integer(g, YAJL_GET_INTEGER(v)) != yajl_gen_status_ok)
        {
            goto failed;
        }
    }

    v = ngx_http_milvus_cdc_json_get(cp, "ignore_partition");
    if (v && !YAJL_IS_NULL(v)) {
        if (!YAJL_IS_TRUE(v) && !YAJL_IS_FALSE(v)) {
            rc = ngx_http_milvus_cdc_task_fail(ps,
                     NGX_HTTP_MILVUS_CDC_CP "ignore_partition: must be a "
                     "boolean");
            goto done;
        }

        if (ngx_http_milvus_cdc_json_str(g, "ignore_partition") != NGX_OK
            || yajl_gen_bool(g, YAJL_IS_TRUE(v)) != yajl_gen_status_ok)
        {
            goto failed;
        }
    }

    rc = ngx_http_milvus_cdc_task_dial(ps,
                                       ngx_http_milvus_cdc_json_get(cp,
                                                               "dial_config"),
                                       g);
    if (rc != NGX_OK) {
        goto done;
    }

    if (yajl_gen_map_close(g) != yajl_gen_status_ok) {
        goto failed;
    }

    yajl_gen_free(dial);

    return ngx_http_milvus_cdc_json_take(g, ps->pool, 0, &task->connect_json);

failed:

    rc = NGX_ERROR;

done:

    yajl_gen_free(g);
    yajl_gen_free(dial);

    return rc;
}


/* "[http|https|tcp://]host[:port][/]" → target_uri, target and tls */

static ngx_int_t
ngx_http_milvus_cdc_task_uri(ngx_http_milvus_cdc_parse_t *ps, u_char *uri)
{
    u_char                      *p, *host, *host_end, *last;
    ngx_int_t                    port;
    ngx_uint_t                   tls, ipv6, i;
    ngx_http_milvus_cdc_task_t  *task;

    task = ps->task;
    last = uri + ngx_strlen(uri);
    tls = 0;

    p = (u_char *) ngx_strstr(uri, "://");

    if (p) {
        if (p - uri == 5 && ngx_strncasecmp(uri, (u_char *) "https", 5) == 0)
        {
            tls = 1;

        } else if (!(p - uri == 4
                     && ngx_strncasecmp(uri, (u_char *) "http", 4) == 0)
                   && !(p - uri == 3
                        && ngx_strncasecmp(uri, (u_char *) "tcp", 3) == 0))
        {
            return ngx_http_milvus_cdc_task_fail(ps,
                       NGX_HTTP_MILVUS_CDC_CP "uri: the scheme must be "
                       "http:// or https://");
        }

        p += 3;

    } else {
        p = uri;
    }

    /*
     * user info ("user:password@") would be echoed by the messages below
     * and is no way to pass credentials here: refused first
     */

    for (host = p; host < last; host++) {
        if (*host == '/' || *host == '?' || *host == '#') {
            break;
        }

        if (*host == '@') {
            return ngx_http_milvus_cdc_task_fail(ps,
                       NGX_HTTP_MILVUS_CDC_CP "uri: user info in the URI is "
                       "not supported, use token");
        }
    }

    ipv6 = (*p == '[');

    if (ipv6) {
        host = ++p;

        while (p < last && *p != ']') {
            if (!isxdigit(*p) && *p != ':' && *p != '.') {
                goto invalid;
            }

            p++;
        }

        if (p == last || p == host) {
            goto invalid;
        }

        host_end = p++;

    } else {
        host = p;

        while (p < last && *p != ':' && *p != '/') {
            if (!isalnum(*p) && *p != '.' && *p != '-' && *p != '_') {
                goto invalid;
            }

            p++;
        }

        host_end = p;

        if (host_end == host) {
            goto invalid;
        }
    }

    port = NGX_HTTP_MILVUS_CDC_DEFAULT_PORT;

    if (p < last && *p == ':') {
        p++;

        for (i = 0; p + i < last && isdigit(p[i]); i++) { /* void */ }

        port = ngx_atoi(p, i);

        if (i == 0 || port < 1 || port > 65535) {
            return ngx_http_milvus_cdc_task_fail(ps,
                       NGX_HTTP_MILVUS_CDC_CP "uri: the port must be 1 to "
                       "65535");
        }

        p += i;
    }

    if (p < last && !(*p == '/' && p + 1 == last)) {
        return ngx_http_milvus_cdc_task_fail(ps,
                   NGX_HTTP_MILVUS_CDC_CP "uri: must be scheme://host:port "
                   "without a path");
    }

    task->tls = tls;

    task->target_uri.data = ngx_pnalloc(ps->pool,
                                        sizeof("https://[]:65535")
                                        + (host_end - host));
    task->target.data = ngx_pnalloc(ps->pool,
                                    sizeof("[]:65535") + (host_end - host));

    if (task->target_uri.data == NULL || task->target.data == NULL) {
        return NGX_ERROR;
    }

    ngx_strlow(host, host, host_end - host);

    if (ipv6) {
        task->target.len = ngx_sprintf(task->target.data, "[%*s]:%i",
                                       host_end - host, host, port)
                           - task->target.data;
    } else {
        task->target.len = ngx_sprintf(task->target.data, "%*s:%i",
                                       host_end - host, host, port)
                           - task->target.data;
    }

    task->target.data[task->target.len] = '\0';

    task->target_uri.len = ngx_sprintf(task->target_uri.data, "%s://%V",
                                       tls ? "https" : "http", &task->target)
                           - task->target_uri.data;

    return NGX_OK;

invalid:

    /* the address only: a path or a query may hold what is not public */

    p = (u_char *) ngx_strstr(uri, "://");
    p = p ? p + 3 : uri;

    while (p < last && *p != '/' && *p != '?' && *p != '#') {
        p++;
    }

    return ngx_http_milvus_cdc_task_fail(ps,
               NGX_HTTP_MILVUS_CDC_CP "uri: invalid host in \"%*s\"",
               p - uri, uri);
}


/* dial_config: every member is a string; only server_name is public */

static ngx_int_t
ngx_http_milvus_cdc_task_dial(ngx_http_milvus_cdc_parse_t *ps, yajl_val dial,
    yajl_gen g)
{
    size_t      i;
    yajl_gen    secret;
    yajl_val    v;
    ngx_int_t   rc;

    if (dial == NULL || YAJL_IS_NULL(dial)) {
        ngx_str_set(&ps->task->dial_json, "{}");
        return NGX_OK;
    }

    if (ngx_http_milvus_cdc_task_check(ps, dial, yajl_t_object,
                                       NGX_HTTP_MILVUS_CDC_CP "dial_config",
                                       "an object")
        != NGX_OK)
    {
        return NGX_DECLINED;
    }

    rc = ngx_http_milvus_cdc_json_known(ps->pool, dial,
                                        NGX_HTTP_MILVUS_CDC_CP "dial_config",
                                        ngx_http_milvus_cdc_dial_fields,
                                        ps->err);
    if (rc != NGX_OK) {
        return rc;
    }

    for (i = 0; i < dial->u.object.len; i++) {
        v = dial->u.object.values[i];

        if (!YAJL_IS_STRING(v)) {
            return ngx_http_milvus_cdc_task_fail(ps,
                       NGX_HTTP_MILVUS_CDC_CP "dial_config.%s: must be a "
                       "string", dial->u.object.keys[i]);
        }
    }

    v = ngx_http_milvus_cdc_json_get(dial, "server_name");

    if (v && (ngx_http_milvus_cdc_json_str(g, "dial_config") != NGX_OK
              || yajl_gen_map_open(g) != yajl_gen_status_ok
              || ngx_http_milvus_cdc_json_str(g, "server_name") != NGX_OK
              || ngx_http_milvus_cdc_json_str(g, v->u.string) != NGX_OK
              || yajl_gen_map_close(g) != yajl_gen_status_ok))
    {
        return NGX_ERROR;
    }

    secret = ngx_http_milvus_cdc_json_gen();
    if (secret == NULL) {
        return NGX_ERROR;
    }

    if (ngx_http_milvus_cdc_json_value(secret, dial) != NGX_OK) {
        yajl_gen_free(secret);
        return NGX_ERROR;
    }

    return ngx_http_milvus_cdc_json_take(secret, ps->pool, 0,
                                         &ps->task->dial_json);
}


/*
 * a list of collection infos: [{"name": …, "positions": {…}}]; "db" is
 * NULL for collection_infos ("*" means every database, a name the default
 * one)
 */

static ngx_int_t
ngx_http_milvus_cdc_task_infos(ngx_http_milvus_cdc_parse_t *ps,
    yajl_val infos, const char *db, const char *path)
{
    size_t      i, j;
    u_char      buf[128];
    yajl_val    info, name, pos, v;
    ngx_int_t   rc;
    const char *coll;

    if (ngx_http_milvus_cdc_task_check(ps, infos, yajl_t_array, path,
                                       "an array")
        != NGX_OK)
    {
        return NGX_DECLINED;
    }

    if (infos->u.array.len == 0) {
        return ngx_http_milvus_cdc_task_fail(ps,
                   "%s: the collection info is empty", path);
    }

    if (yajl_gen_array_open(ps->scope) != yajl_gen_status_ok) {
        return NGX_ERROR;
    }

    for (i = 0; i < infos->u.array.len; i++) {
        info = infos->u.array.values[i];

        (void) ngx_snprintf(buf, sizeof(buf), "%s[%uz]%Z", path, i);

        if (ngx_http_milvus_cdc_task_check(ps, info, yajl_t_object,
                                           (char *) buf, "an object")
            != NGX_OK)
        {
            return NGX_DECLINED;
        }

        rc = ngx_http_milvus_cdc_json_known(ps->pool, info, (char *) buf,
                                            ngx_http_milvus_cdc_info_fields,
                                            ps->err);
        if (rc != NGX_OK) {
            return rc;
        }

        (void) ngx_snprintf(buf, sizeof(buf), "%s[%uz].name%Z", path, i);

        name = ngx_http_milvus_cdc_json_get(info, "name");
        if (name == NULL || !YAJL_IS_STRING(name)) {
            return ngx_http_milvus_cdc_task_fail(ps,
                       "%s: required string, there is a collection name "
                       "that is empty", buf);
        }

        coll = name->u.string;

        rc = ngx_http_milvus_cdc_task_name(ps, coll, (char *) buf);
        if (rc != NGX_OK) {
            return rc;
        }

        if (ngx_strcmp(coll, "*") == 0 && infos->u.array.len > 1) {
            return ngx_http_milvus_cdc_task_fail(ps,
                       "%s: \"*\" must be the only collection info", buf);
        }

        for (j = 0; j < i; j++) {
            v = ngx_http_milvus_cdc_json_get(infos->u.array.values[j], "name");

            if (ngx_strcmp(v->u.string, coll) == 0) {
                return ngx_http_milvus_cdc_task_fail(ps,
                           "%s: the collection \"%s\" is listed twice", buf,
                           coll);
            }
        }

        v = ngx_http_milvus_cdc_json_get(info, "use_start_position");
        if (v && !YAJL_IS_NULL(v) && !YAJL_IS_TRUE(v) && !YAJL_IS_FALSE(v)) {
            return ngx_http_milvus_cdc_task_fail(ps,
                       "%s[%uz].use_start_position: must be a boolean", path,
                       i);
        }

        if (yajl_gen_map_open(ps->scope) != yajl_gen_status_ok
            || ngx_http_milvus_cdc_json_str(ps->scope, "name") != NGX_OK
            || ngx_http_milvus_cdc_json_str(ps->scope, coll) != NGX_OK)
        {
            return NGX_ERROR;
        }

        pos = ngx_http_milvus_cdc_json_get(info, "positions");

        if (pos && !YAJL_IS_NULL(pos)
            && !(YAJL_IS_OBJECT(pos) && pos->u.object.len == 0))
        {
            (void) ngx_snprintf(buf, sizeof(buf), "%s[%uz].positions%Z",
                                path, i);

            if (ngx_strcmp(coll, "*") == 0) {
                return ngx_http_milvus_cdc_task_fail(ps,
                           "%s: the collection name is `*`, the positions "
                           "should be empty", buf);
            }

            rc = ngx_http_milvus_cdc_task_positions(ps, pos, (char *) buf);
            if (rc != NGX_OK) {
                return rc;
            }

            if (ngx_http_milvus_cdc_json_str(ps->scope, "positions") != NGX_OK
                || ngx_http_milvus_cdc_json_value(ps->scope, pos) != NGX_OK)
            {
                return NGX_ERROR;
            }
        }

        if (v && YAJL_IS_TRUE(v)
            && (ngx_http_milvus_cdc_json_str(ps->scope, "use_start_position")
                != NGX_OK
                || yajl_gen_bool(ps->scope, 1) != yajl_gen_status_ok))
        {
            return NGX_ERROR;
        }

        if (yajl_gen_map_close(ps->scope) != yajl_gen_status_ok) {
            return NGX_ERROR;
        }

        rc = ngx_http_milvus_cdc_task_add_line(ps,
                 db ? db : (ngx_strcmp(coll, "*") == 0 ? "*" : "default"),
                 coll);
        if (rc != NGX_OK) {
            return rc;
        }
    }

    return yajl_gen_array_close(ps->scope) == yajl_gen_status_ok
           ? NGX_OK : NGX_ERROR;
}


/*
 * positions: {"<pchannel>_<collection id>v<shard>": "<base64 MsgPosition>"}
 * (msgpb.MsgPosition, milvus-proto msg.proto); all of one collection
 */

static ngx_int_t
ngx_http_milvus_cdc_task_positions(ngx_http_milvus_cdc_parse_t *ps,
    yajl_val pos, const char *path)
{
    size_t       i, n;
    u_char      *p, *v, *collection;
    size_t       collection_len;
    ngx_str_t    src, dst;

    if (ngx_http_milvus_cdc_task_check(ps, pos, yajl_t_object, path,
                                       "an object")
        != NGX_OK)
    {
        return NGX_DECLINED;
    }

    collection = NULL;
    collection_len = 0;

    for (i = 0; i < pos->u.object.len; i++) {
        p = (u_char *) pos->u.object.keys[i];
        n = ngx_strlen(p);

        /* the shard number, "v", the collection id, "_" */

        v = p + n;

        while (v > p && isdigit(v[-1])) {
            v--;
        }

        if (v == p + n || v == p || v[-1] != 'v') {
            goto invalid;
        }

        v--;
        n = 0;

        while (v - n > p && isdigit(*(v - n - 1))) {
            n++;
        }

        if (n == 0 || v - n - 1 <= p || *(v - n - 1) != '_') {
            goto invalid;
        }

        if (collection == NULL) {
            collection = v - n;
            collection_len = n;

        } else if (n != collection_len
                   || ngx_strncmp(collection, v - n, n) != 0)
        {
            return ngx_http_milvus_cdc_task_fail(ps,
                       "%s: the channel position info should be in the same "
                       "collection", path);
        }

        if (!YAJL_IS_STRING(pos->u.object.values[i])) {
            return ngx_http_milvus_cdc_task_fail(ps,
                       "%s.%s: must be a base64 string", path, p);
        }

        src.data = (u_char *) pos->u.object.values[i]->u.string;
        src.len = ngx_strlen(src.data);

        dst.data = ngx_pnalloc(ps->pool, ngx_base64_decoded_length(src.len));
        if (dst.data == NULL) {
            return NGX_ERROR;
        }

        if (src.len == 0 || ngx_decode_base64(&dst, &src) != NGX_OK) {
            return ngx_http_milvus_cdc_task_fail(ps,
                       "%s.%s: must be a base64 string", path, p);
        }
    }

    return NGX_OK;

invalid:

    return ngx_http_milvus_cdc_task_fail(ps,
               "%s: the position channel name is not virtual channel, %s",
               path, p);
}


static ngx_int_t
ngx_http_milvus_cdc_task_add_line(ngx_http_milvus_cdc_parse_t *ps,
    const char *db, const char *coll)
{
    u_char  *p;
    size_t   need;

    need = ngx_strlen(db) + ngx_strlen(coll) + 2;

    if (ps->lines.len + need > ps->lines_size) {
        ps->lines_size = 2 * (ps->lines_size + need);

        p = ngx_pnalloc(ps->pool, ps->lines_size);
        if (p == NULL) {
            return NGX_ERROR;
        }

        if (ps->lines.len) {
            ngx_memcpy(p, ps->lines.data, ps->lines.len);
        }

        ps->lines.data = p;
    }

    ps->lines.len = ngx_sprintf(ps->lines.data + ps->lines.len, "%s.%s\n", db,
                                coll)
                    - ps->lines.data;

    return NGX_OK;
}


/* "*", or a Milvus name: [A-Za-z_][A-Za-z0-9_]*, at most 255 bytes */

static ngx_int_t
ngx_http_milvus_cdc_task_name(ngx_http_milvus_cdc_parse_t *ps,
    const char *name, const char *path)
{
    size_t  i, n;

    n = ngx_strlen(name);

    if (n == 0) {
        return ngx_http_milvus_cdc_task_fail(ps,
                   "%s: there is a name that is empty", path);
    }

    if (n > NGX_HTTP_MILVUS_CDC_NAME_MAX) {
        return ngx_http_milvus_cdc_task_fail(ps,
                   "%s: the name is longer than 255 bytes", path);
    }

    if (n == 1 && name[0] == '*') {
        return NGX_OK;
    }

    for (i = 0; i < n; i++) {
        if (name[i] == '_' || isalpha((u_char) name[i])
            || (i && isdigit((u_char) name[i])))
        {
            continue;
        }

        return ngx_http_milvus_cdc_task_fail(ps,
                   "%s: a name must start with a letter or \"_\" and hold "
                   "only letters, digits and \"_\" (or be \"*\")", path);
    }

    return NGX_OK;
}


/* a present, non-null value of the wrong type is refused */

static ngx_int_t
ngx_http_milvus_cdc_task_check(ngx_http_milvus_cdc_parse_t *ps, yajl_val v,
    yajl_type type, const char *path, const char *what)
{
    if (v == NULL || YAJL_IS_NULL(v) || v->type == type) {
        return NGX_OK;
    }

    return ngx_http_milvus_cdc_task_fail(ps, "%s: must be %s", path, what);
}


static ngx_int_t
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


/* "db.coll" entries match when each part is equal or either is "*" */

static ngx_int_t
ngx_http_milvus_cdc_task_entry_match(u_char *a, size_t alen, u_char *b,
    size_t blen)
{
    u_char  *da, *db;
    size_t   la, lb;

    da = ngx_strlchr(a, a + alen, '.');
    db = ngx_strlchr(b, b + blen, '.');

    if (da == NULL || db == NULL) {
        return 0;
    }

    la = da - a;
    lb = db - b;

    if (!((la == 1 && a[0] == '*') || (lb == 1 && b[0] == '*')
          || (la == lb && ngx_strncmp(a, b, la) == 0)))
    {
        return 0;
    }

    a = da + 1;
    b = db + 1;
    la = alen - la - 1;
    lb = blen - lb - 1;

    return (la == 1 && a[0] == '*') || (lb == 1 && b[0] == '*')
           || (la == lb && ngx_strncmp(a, b, la) == 0);
}


ngx_int_t
ngx_http_milvus_cdc_task_tls(ngx_pool_t *pool,
    ngx_http_milvus_cdc_task_t *task, ngx_str_t *ca, ngx_str_t *cert,
    ngx_str_t *key, ngx_str_t *server_name)
{
    ngx_str_t   *out[4], s;
    yajl_val     dial, v;
    ngx_uint_t   i;

    static const char  *names[4] = {
        "ca_pem_path", "client_pem_path", "client_key_path", "server_name"
    };

    out[0] = ca;
    out[1] = cert;
    out[2] = key;
    out[3] = server_name;

    for (i = 0; i < 4; i++) {
        ngx_str_null(out[i]);
    }

    dial = yajl_tree_parse((char *) task->dial_json.data, NULL, 0);
    if (dial == NULL) {
        return NGX_OK;
    }

    for (i = 0; i < 4; i++) {
        v = ngx_http_milvus_cdc_json_get(dial, names[i]);

        /* one-way TLS: the server's certificate is the root to trust */

        if (i == 0 && v == NULL) {
            v = ngx_http_milvus_cdc_json_get(dial, "server_pem_path");
        }

        if (v == NULL || !YAJL_IS_STRING(v)) {
            continue;
        }

        s.data = (u_char *) v->u.string;
        s.len = ngx_strlen(v->u.string);

        out[i]->data = ngx_pnalloc(pool, s.len + 1);
        if (out[i]->data == NULL) {
            yajl_tree_free(dial);
            return NGX_ERROR;
        }

        ngx_memcpy(out[i]->data, s.data, s.len + 1);
        out[i]->len = s.len;
    }

    yajl_tree_free(dial);

    return NGX_OK;
}
