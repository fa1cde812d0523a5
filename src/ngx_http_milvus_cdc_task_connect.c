/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 *
 * The target of a task: milvus_connect_param of a create request (the
 * address, the credentials, the timeout, dial_config) and the TLS
 * settings a stored task's dial_config gives.
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_milvus_cdc.h"
#include "ngx_http_milvus_cdc_json.h"
#include "ngx_http_milvus_cdc_task_int.h"


#define NGX_HTTP_MILVUS_CDC_DEFAULT_PORT     19530
#define NGX_HTTP_MILVUS_CDC_DEFAULT_TIMEOUT  5
#define NGX_HTTP_MILVUS_CDC_MAX_TIMEOUT      600

#define NGX_HTTP_MILVUS_CDC_CP  "request_data.milvus_connect_param."


static ngx_int_t ngx_http_milvus_cdc_task_address(
    ngx_http_milvus_cdc_parse_t *ps, yajl_val uri, yajl_val host,
    yajl_val port, yajl_val tls);
static ngx_int_t ngx_http_milvus_cdc_task_token(
    ngx_http_milvus_cdc_parse_t *ps, yajl_val token, yajl_val user,
    yajl_val pass);
static ngx_int_t ngx_http_milvus_cdc_task_timeout(
    ngx_http_milvus_cdc_parse_t *ps, yajl_val v);
static ngx_int_t ngx_http_milvus_cdc_task_connect_gen(
    ngx_http_milvus_cdc_parse_t *ps, yajl_val cp);
static ngx_int_t ngx_http_milvus_cdc_task_uri(ngx_http_milvus_cdc_parse_t *ps,
    u_char *uri);
static ngx_int_t ngx_http_milvus_cdc_task_uri_scheme(
    ngx_http_milvus_cdc_parse_t *ps, u_char *uri, u_char **start,
    ngx_uint_t *tls);
static u_char *ngx_http_milvus_cdc_task_uri_host(u_char *p, u_char *last,
    ngx_uint_t ipv6, u_char **host, u_char **host_end);
static ngx_int_t ngx_http_milvus_cdc_task_uri_port(
    ngx_http_milvus_cdc_parse_t *ps, u_char **pos, u_char *last,
    ngx_int_t *port);
static ngx_int_t ngx_http_milvus_cdc_task_uri_set(
    ngx_http_milvus_cdc_parse_t *ps, u_char *host, u_char *host_end,
    ngx_uint_t ipv6, ngx_int_t port, ngx_uint_t tls);
static ngx_int_t ngx_http_milvus_cdc_task_uri_invalid(
    ngx_http_milvus_cdc_parse_t *ps, u_char *uri, u_char *last);
static ngx_int_t ngx_http_milvus_cdc_task_dial(
    ngx_http_milvus_cdc_parse_t *ps, yajl_val dial, yajl_gen g);


static const char  *ngx_http_milvus_cdc_connect_fields[] = {
    "uri", "token", "host", "port", "username", "password", "enable_tls",
    "connect_timeout", "dial_config", "channel_num", "ignore_partition", NULL
};

static const char  *ngx_http_milvus_cdc_dial_fields[] = {
    "server_name", "server_pem_path", "ca_pem_path", "client_pem_path",
    "client_key_path", NULL
};


/*
 * milvus_connect_param: the target address and credentials; writes the
 * public object into task->connect_json and the secrets into task->token
 * and task->dial_json
 */

ngx_int_t
ngx_http_milvus_cdc_task_connect(ngx_http_milvus_cdc_parse_t *ps, yajl_val cp)
{
    yajl_val   uri, token, host, port, user, pass, tls;
    ngx_int_t  rc;

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

    rc = ngx_http_milvus_cdc_task_address(ps, uri, host, port, tls);
    if (rc != NGX_OK) {
        return rc;
    }

    rc = ngx_http_milvus_cdc_task_token(ps, token, user, pass);
    if (rc != NGX_OK) {
        return rc;
    }

    rc = ngx_http_milvus_cdc_task_timeout(ps,
                           ngx_http_milvus_cdc_json_get(cp, "connect_timeout"));
    if (rc != NGX_OK) {
        return rc;
    }

    return ngx_http_milvus_cdc_task_connect_gen(ps, cp);
}


/* uri, or the legacy host, port and enable_tls */

static ngx_int_t
ngx_http_milvus_cdc_task_address(ngx_http_milvus_cdc_parse_t *ps,
    yajl_val uri, yajl_val host, yajl_val port, yajl_val tls)
{
    u_char     *p;
    ngx_int_t   rc;

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

    return NGX_OK;
}


/* token, or the legacy username and password: task->token */

static ngx_int_t
ngx_http_milvus_cdc_task_token(ngx_http_milvus_cdc_parse_t *ps,
    yajl_val token, yajl_val user, yajl_val pass)
{
    ngx_http_milvus_cdc_task_t  *task;

    task = ps->task;

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

    return NGX_OK;
}


/* connect_timeout: 0 to 600 s (0: the default, 5 s) */

static ngx_int_t
ngx_http_milvus_cdc_task_timeout(ngx_http_milvus_cdc_parse_t *ps, yajl_val v)
{
    ngx_http_milvus_cdc_task_t  *task;

    task = ps->task;

    task->connect_timeout = NGX_HTTP_MILVUS_CDC_DEFAULT_TIMEOUT;

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

    return NGX_OK;
}


/*
 * the public object: uri, connect_timeout, channel_num, ignore_partition
 * and dial_config.server_name into task->connect_json; the rest of
 * dial_config into task->dial_json
 */

static ngx_int_t
ngx_http_milvus_cdc_task_connect_gen(ngx_http_milvus_cdc_parse_t *ps,
    yajl_val cp)
{
    yajl_gen                     g;
    yajl_val                     v;
    ngx_int_t                    rc;
    ngx_http_milvus_cdc_task_t  *task;

    task = ps->task;

    g = ngx_http_milvus_cdc_json_gen();
    if (g == NULL) {
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

    return ngx_http_milvus_cdc_json_take(g, ps->pool, 0, &task->connect_json);

failed:

    rc = NGX_ERROR;

done:

    yajl_gen_free(g);

    return rc;
}


/* "[http|https|tcp://]host[:port][/]" → target_uri, target and tls */

static ngx_int_t
ngx_http_milvus_cdc_task_uri(ngx_http_milvus_cdc_parse_t *ps, u_char *uri)
{
    u_char      *p, *host, *host_end, *last;
    ngx_int_t    rc, port;
    ngx_uint_t   tls, ipv6;

    last = uri + ngx_strlen(uri);

    rc = ngx_http_milvus_cdc_task_uri_scheme(ps, uri, &p, &tls);
    if (rc != NGX_OK) {
        return rc;
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

    p = ngx_http_milvus_cdc_task_uri_host(p, last, ipv6, &host, &host_end);

    if (p == NULL) {
        return ngx_http_milvus_cdc_task_uri_invalid(ps, uri, last);
    }

    rc = ngx_http_milvus_cdc_task_uri_port(ps, &p, last, &port);
    if (rc != NGX_OK) {
        return rc;
    }

    if (p < last && !(*p == '/' && p + 1 == last)) {
        return ngx_http_milvus_cdc_task_fail(ps,
                   NGX_HTTP_MILVUS_CDC_CP "uri: must be scheme://host:port "
                   "without a path");
    }

    return ngx_http_milvus_cdc_task_uri_set(ps, host, host_end, ipv6, port,
                                            tls);
}


/*
 * "http://", "https://" (*tls 1), "tcp://" or none: *start is set to what
 * follows the scheme
 */

static ngx_int_t
ngx_http_milvus_cdc_task_uri_scheme(ngx_http_milvus_cdc_parse_t *ps,
    u_char *uri, u_char **start, ngx_uint_t *tls)
{
    u_char  *p;

    *tls = 0;
    *start = uri;

    p = (u_char *) ngx_strstr(uri, "://");

    if (p == NULL) {
        return NGX_OK;
    }

    if (p - uri == 5 && ngx_strncasecmp(uri, (u_char *) "https", 5) == 0) {
        *tls = 1;

    } else if (!(p - uri == 4
                 && ngx_strncasecmp(uri, (u_char *) "http", 4) == 0)
               && !(p - uri == 3
                    && ngx_strncasecmp(uri, (u_char *) "tcp", 3) == 0))
    {
        return ngx_http_milvus_cdc_task_fail(ps,
                   NGX_HTTP_MILVUS_CDC_CP "uri: the scheme must be "
                   "http:// or https://");
    }

    *start = p + 3;

    return NGX_OK;
}


/*
 * The host at p: "[v6 address]" (ipv6 1) or a name or IPv4 address, into
 * *host .. *host_end (without the brackets).  Returns what follows it, or
 * NULL when the host is empty or holds another character.
 */

static u_char *
ngx_http_milvus_cdc_task_uri_host(u_char *p, u_char *last, ngx_uint_t ipv6,
    u_char **host, u_char **host_end)
{
    if (ipv6) {
        *host = ++p;

        while (p < last && *p != ']') {
            if (!isxdigit(*p) && *p != ':' && *p != '.') {
                return NULL;
            }

            p++;
        }

        if (p == last || p == *host) {
            return NULL;
        }

        *host_end = p++;

        return p;
    }

    *host = p;

    while (p < last && *p != ':' && *p != '/') {
        if (!isalnum(*p) && *p != '.' && *p != '-' && *p != '_') {
            return NULL;
        }

        p++;
    }

    *host_end = p;

    if (*host_end == *host) {
        return NULL;
    }

    return p;
}


/* ":port" (1 to 65535) at *pos, or the default port; *pos moved past it */

static ngx_int_t
ngx_http_milvus_cdc_task_uri_port(ngx_http_milvus_cdc_parse_t *ps,
    u_char **pos, u_char *last, ngx_int_t *port)
{
    u_char      *p;
    ngx_uint_t   i;

    p = *pos;
    *port = NGX_HTTP_MILVUS_CDC_DEFAULT_PORT;

    if (p == last || *p != ':') {
        return NGX_OK;
    }

    p++;

    for (i = 0; p + i < last && isdigit(p[i]); i++) { /* void */ }

    *port = ngx_atoi(p, i);

    if (i == 0 || *port < 1 || *port > 65535) {
        return ngx_http_milvus_cdc_task_fail(ps,
                   NGX_HTTP_MILVUS_CDC_CP "uri: the port must be 1 to "
                   "65535");
    }

    *pos = p + i;

    return NGX_OK;
}


/*
 * task->tls, task->target ("host:port" or "[v6]:port", lowercase,
 * NUL-terminated) and task->target_uri ("http[s]://" and the target)
 */

static ngx_int_t
ngx_http_milvus_cdc_task_uri_set(ngx_http_milvus_cdc_parse_t *ps,
    u_char *host, u_char *host_end, ngx_uint_t ipv6, ngx_int_t port,
    ngx_uint_t tls)
{
    ngx_http_milvus_cdc_task_t  *task;

    task = ps->task;
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
}


/* an invalid host: the address only, a path or a query may hold secrets */

static ngx_int_t
ngx_http_milvus_cdc_task_uri_invalid(ngx_http_milvus_cdc_parse_t *ps,
    u_char *uri, u_char *last)
{
    u_char  *p;

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
