
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

#include <grpc/status.h>

#include "ngx_http_milvus_cdc_probe.h"
#include "ngx_http_milvus_cdc_rpc.h"


#define NGX_HTTP_MILVUS_CDC_PROBE_TIME  sizeof("1970-09-28T12:00:00+06:00")


static ngx_int_t ngx_http_milvus_cdc_probe_check_target(ngx_str_t *target);
static ngx_int_t ngx_http_milvus_cdc_probe_pack(ngx_str_t *out,
    ngx_log_t *log);
static void ngx_http_milvus_cdc_probe_grpc_handler(
    ngx_http_milvus_cdc_grpc_result_t *res, void *data);
static void ngx_http_milvus_cdc_probe_reply(ngx_http_milvus_cdc_probe_t *p,
    ngx_str_t *reply);
static void ngx_http_milvus_cdc_probe_guard_handler(ngx_event_t *ev);
static void ngx_http_milvus_cdc_probe_done(ngx_http_milvus_cdc_probe_t *p);
static void ngx_http_milvus_cdc_probe_error(ngx_http_milvus_cdc_probe_t *p,
    const char *fmt, ...);


/* ev->data of the guard timers: debug logging reads an fd from it */
static ngx_connection_t  ngx_http_milvus_cdc_probe_dummy;


ngx_int_t
ngx_http_milvus_cdc_probe_start(ngx_http_milvus_cdc_probe_t *p)
{
    ngx_str_t                                req;
    ngx_http_milvus_cdc_grpc_call_conf_t     cc;
    ngx_http_milvus_cdc_grpc_channel_conf_t  chc;
    u_char                                   err[128];

    p->rc = NGX_ERROR;
    p->grpc_status = -1;
    p->status_code = 0;
    p->identifier = 0;
    p->elapsed = 0;
    ngx_str_null(&p->message);
    ngx_str_null(&p->server_version);
    p->channel = NULL;
    p->call = NULL;

    if (ngx_http_milvus_cdc_probe_check_target(&p->target) != NGX_OK) {
        ngx_http_milvus_cdc_probe_error(p, "invalid target \"%V\", "
                                        "host:port expected", &p->target);
        return NGX_ERROR;
    }

    if (p->timeout == 0 || p->handler == NULL || p->log == NULL) {
        ngx_http_milvus_cdc_probe_error(p, "invalid probe parameters");
        return NGX_ERROR;
    }

    if (ngx_http_milvus_cdc_probe_pack(&req, p->log) != NGX_OK) {
        ngx_http_milvus_cdc_probe_error(p, "cannot build ConnectRequest");
        return NGX_ERROR;
    }

    ngx_memzero(&chc, sizeof(ngx_http_milvus_cdc_grpc_channel_conf_t));

    chc.target = p->target;
    chc.tls = p->tls;
    chc.token = p->token;

    if (p->tls) {
        chc.ca_file = p->tls_ca_file;
        chc.cert_file = p->tls_cert_file;
        chc.key_file = p->tls_key_file;
        chc.server_name = p->tls_server_name;
    }

    p->channel = ngx_http_milvus_cdc_grpc_channel_create(&chc, p->log, err,
                                                         sizeof(err));
    if (p->channel == NULL) {
        ngx_free(req.data);
        ngx_http_milvus_cdc_probe_error(p, "%s", err);
        return NGX_ERROR;
    }

    ngx_memzero(&cc, sizeof(ngx_http_milvus_cdc_grpc_call_conf_t));

    cc.method = *ngx_http_milvus_cdc_msg_method(
                                           NGX_HTTP_MILVUS_CDC_MSG_RPC_CONNECT);
    cc.request = req;
    cc.timeout = p->timeout;
    cc.handler = ngx_http_milvus_cdc_probe_grpc_handler;
    cc.data = p;

    p->start = ngx_current_msec;

    /* the request is copied at start */

    p->call = ngx_http_milvus_cdc_grpc_call_start(p->channel, &cc, p->log);

    ngx_free(req.data);

    if (p->call == NULL) {
        ngx_http_milvus_cdc_grpc_channel_release(p->channel);
        p->channel = NULL;
        ngx_http_milvus_cdc_probe_error(p, "cannot start the gRPC call");
        return NGX_ERROR;
    }

    ngx_memzero(&p->guard, sizeof(ngx_event_t));

    ngx_http_milvus_cdc_probe_dummy.fd = (ngx_socket_t) -1;

    p->guard.handler = ngx_http_milvus_cdc_probe_guard_handler;
    p->guard.data = &ngx_http_milvus_cdc_probe_dummy;
    p->guard.log = p->log;

    /* not cancelable: a gracefully exiting worker waits for the answer */

    ngx_add_timer(&p->guard, p->timeout + NGX_HTTP_MILVUS_CDC_PROBE_GUARD);

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, p->log, 0,
                   "milvus_cdc probe \"%V\" started, timeout %M",
                   &p->target, p->timeout);

    return NGX_AGAIN;
}


void
ngx_http_milvus_cdc_probe_cancel(ngx_http_milvus_cdc_probe_t *p)
{
    if (p->call == NULL) {
        return;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, p->log, 0,
                   "milvus_cdc probe \"%V\" cancelled", &p->target);

    ngx_http_milvus_cdc_grpc_call_cancel(p->call);
    p->call = NULL;

    if (p->guard.timer_set) {
        ngx_del_timer(&p->guard);
    }

    ngx_http_milvus_cdc_grpc_channel_release(p->channel);
    p->channel = NULL;
}


static ngx_int_t
ngx_http_milvus_cdc_probe_check_target(ngx_str_t *target)
{
    u_char      *p, *last, *colon;
    ngx_int_t    port;

    if (target->len == 0) {
        return NGX_ERROR;
    }

    last = target->data + target->len;
    colon = NULL;

    for (p = target->data; p < last; p++) {

        if (*p <= ' ' || *p >= 0x7f || *p == '/' || *p == '@') {
            return NGX_ERROR;
        }

        if (*p == ':') {
            colon = p;
        }
    }

    if (colon == NULL || colon == target->data || colon + 1 == last) {
        return NGX_ERROR;
    }

    if (target->data[0] == '[' && colon[-1] != ']') {
        return NGX_ERROR;
    }

    port = ngx_atoi(colon + 1, last - colon - 1);

    if (port < 1 || port > 65535) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * ConnectRequest {client_info 2 {sdk_type, sdk_version, local_time (the
 * cached ISO 8601 time), host (this host's name)}}, no msg_base
 */

static ngx_int_t
ngx_http_milvus_cdc_probe_pack(ngx_str_t *out, ngx_log_t *log)
{
    ngx_http_milvus_cdc_msg_client_t   ci;
    ngx_http_milvus_cdc_msg_request_t  rq;

    ngx_str_set(&ci.sdk_type, NGX_HTTP_MILVUS_CDC_PROBE_SDK_TYPE);
    ngx_str_set(&ci.sdk_version, NGX_HTTP_MILVUS_CDC_PROBE_SDK_VERSION);

    ci.local_time.data = ngx_cached_http_log_iso8601.data;
    ci.local_time.len = ngx_min(ngx_cached_http_log_iso8601.len,
                                NGX_HTTP_MILVUS_CDC_PROBE_TIME - 1);

    ci.host.data = ngx_cycle->hostname.data;
    ci.host.len = ngx_min(ngx_cycle->hostname.len, NGX_MAXHOSTNAMELEN - 1);

    ngx_memzero(&rq, sizeof(ngx_http_milvus_cdc_msg_request_t));
    rq.client = &ci;

    return ngx_http_milvus_cdc_msg_request(NGX_HTTP_MILVUS_CDC_MSG_RPC_CONNECT,
                                           &rq, out, log);
}


static void
ngx_http_milvus_cdc_probe_grpc_handler(ngx_http_milvus_cdc_grpc_result_t *res,
    void *data)
{
    ngx_http_milvus_cdc_probe_t  *p = data;

    p->call = NULL;
    p->grpc_status = res->status;
    p->elapsed = res->elapsed;

    if (p->guard.timer_set) {
        ngx_del_timer(&p->guard);
    }

    ngx_http_milvus_cdc_grpc_channel_release(p->channel);
    p->channel = NULL;

    switch (res->status) {

    case GRPC_STATUS_OK:
        ngx_http_milvus_cdc_probe_reply(p, &res->reply);
        break;

    case GRPC_STATUS_DEADLINE_EXCEEDED:
        ngx_http_milvus_cdc_probe_error(p, "deadline exceeded after %M ms",
                                        p->timeout);
        break;

    case GRPC_STATUS_UNAVAILABLE:
        if (ngx_strlcasestrn(res->details.data,
                             res->details.data + res->details.len,
                             (u_char *) "Connection refused",
                             sizeof("Connection refused") - 2)
            != NULL)
        {
            ngx_http_milvus_cdc_probe_error(p, "connection refused by %V",
                                            &p->target);
            break;
        }

        /* fall through */

    default:
        ngx_http_milvus_cdc_probe_error(p, "%s: %V",
                           ngx_http_milvus_cdc_grpc_status_name(res->status),
                           &res->details);
        break;
    }

    /* the caller reports failures, with its own context */

    ngx_log_debug4(NGX_LOG_DEBUG_HTTP, p->log, 0,
                   "milvus_cdc probe \"%V\" rc:%i in %M ms: %V",
                   &p->target, p->rc, p->elapsed, &p->message);

    ngx_http_milvus_cdc_probe_done(p);
}


static void
ngx_http_milvus_cdc_probe_reply(ngx_http_milvus_cdc_probe_t *p,
    ngx_str_t *reply)
{
    u_char                           *last;
    ngx_int_t                         rc;
    ngx_http_milvus_cdc_msg_reply_t   r;

    /* a missing status is all defaults, that is Success */

    rc = ngx_http_milvus_cdc_msg_reply(NGX_HTTP_MILVUS_CDC_MSG_RPC_CONNECT,
                                       reply, &r, p->log);

    p->status_code = r.code;

    if (rc == NGX_ERROR) {
        ngx_http_milvus_cdc_probe_error(p, "invalid ConnectResponse "
                                        "(%uz bytes)", reply->len);
        goto done;
    }

    if (rc == NGX_DECLINED) {
        if (r.reason.len == 0) {
            ngx_str_set(&r.reason, "no reason given");
        }

        ngx_http_milvus_cdc_probe_error(p, "Milvus error: %V "
                                        "(error_code %i, code %i)",
                                        &r.reason, r.error_code,
                                        p->status_code);
        goto done;
    }

    p->identifier = r.identifier;

    if (r.server_version.len) {
        last = ngx_cpystrn(p->version, r.server_version.data,
                           ngx_min(r.server_version.len + 1,
                                   sizeof(p->version)));
        p->server_version.data = p->version;
        p->server_version.len = last - p->version;
    }

    p->rc = NGX_OK;

    last = ngx_snprintf(p->msg, sizeof(p->msg), "connected to Milvus%s%V",
                        p->server_version.len ? " " : "", &p->server_version);

    p->message.data = p->msg;
    p->message.len = last - p->msg;

done:

    ngx_http_milvus_cdc_msg_reply_free(&r);
}


static void
ngx_http_milvus_cdc_probe_guard_handler(ngx_event_t *ev)
{
    ngx_http_milvus_cdc_probe_t  *p;

    p = (ngx_http_milvus_cdc_probe_t *)
            ((u_char *) ev - offsetof(ngx_http_milvus_cdc_probe_t, guard));

    if (p->call == NULL) {
        return;
    }

    ngx_log_error(NGX_LOG_ERR, p->log, 0,
                  "milvus_cdc: probe of \"%V\" got no gRPC completion "
                  "%M ms after its deadline", &p->target,
                  (ngx_msec_t) NGX_HTTP_MILVUS_CDC_PROBE_GUARD);

    ngx_http_milvus_cdc_grpc_call_cancel(p->call);
    p->call = NULL;

    ngx_http_milvus_cdc_grpc_channel_release(p->channel);
    p->channel = NULL;

    p->elapsed = ngx_current_msec - p->start;

    ngx_http_milvus_cdc_probe_error(p, "deadline exceeded after %M ms",
                                    p->timeout);

    ngx_http_milvus_cdc_probe_done(p);
}


static void
ngx_http_milvus_cdc_probe_done(ngx_http_milvus_cdc_probe_t *p)
{
    p->handler(p);
}


static void
ngx_http_milvus_cdc_probe_error(ngx_http_milvus_cdc_probe_t *p,
    const char *fmt, ...)
{
    u_char   *last;
    va_list   args;

    va_start(args, fmt);
    last = ngx_vslprintf(p->msg, p->msg + sizeof(p->msg), fmt, args);
    va_end(args);

    p->rc = NGX_ERROR;
    p->message.data = p->msg;
    p->message.len = last - p->msg;
}
