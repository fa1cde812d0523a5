
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 */


#ifndef _NGX_HTTP_MILVUS_CDC_PROBE_H_INCLUDED_
#define _NGX_HTTP_MILVUS_CDC_PROBE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

#include "ngx_http_milvus_cdc_grpc.h"


/*
 * Target probe used by the "create" request: checks that a Milvus target
 * answers MilvusService/Connect with the given credentials, without
 * blocking the worker.
 *
 * Wire format: request milvus.proto.milvus.ConnectRequest
 * {msg_base 1 (unset), client_info 2 (common.ClientInfo: sdk_type 1 =
 * NGX_HTTP_MILVUS_CDC_PROBE_SDK_TYPE, sdk_version 2, local_time 3,
 * host 5)}, reply milvus.proto.milvus.ConnectResponse {status 1
 * (common.Status: error_code 1, reason 2, code 3), server_info 2
 * (common.ServerInfo: build_tags 1, deploy_mode 5), identifier 3};
 * see proto/milvus_cdc_milvus.proto and proto/milvus_cdc_common.proto.
 * Both are packed and decoded by the MilvusService codec
 * (ngx_http_milvus_cdc_rpc.h, NGX_HTTP_MILVUS_CDC_MSG_RPC_CONNECT).
 *
 * Behaviour on network failures (the call is "fail fast", i.e. it does
 * not wait for the channel to become ready):
 *   - nothing listens on the port (refused), the host does not resolve,
 *     TLS handshake fails: the handler runs almost at once with
 *     UNAVAILABLE ("connection refused by host:port" or grpc's text);
 *   - the port accepts TCP but never speaks HTTP/2 (or the host drops
 *     packets): the handler runs when the deadline expires,
 *     "deadline exceeded after <timeout> ms".
 *
 * The token is sent base64-encoded as "authorization" metadata; it is
 * never logged nor copied into the message.
 */


#define NGX_HTTP_MILVUS_CDC_PROBE_SDK_TYPE     "nginx-milvus-cdc"
#define NGX_HTTP_MILVUS_CDC_PROBE_SDK_VERSION  "0.1.0"

/* the guard timer fires this long after the gRPC deadline, ms */
#define NGX_HTTP_MILVUS_CDC_PROBE_GUARD        1000


typedef struct ngx_http_milvus_cdc_probe_s  ngx_http_milvus_cdc_probe_t;

typedef void (*ngx_http_milvus_cdc_probe_handler_pt)(
    ngx_http_milvus_cdc_probe_t *p);


/*
 * The caller allocates the struct zero-filled (e.g. ngx_pcalloc() from the
 * request pool), fills the input part and calls
 * ngx_http_milvus_cdc_probe_start().  Input strings must stay valid until
 * start returns (they are copied into grpc).  The struct must stay valid
 * until the handler has run or ngx_http_milvus_cdc_probe_cancel() has been
 * called.
 *
 * Input:
 *   target           "host:port" (IPv6 as "[::1]:19530"), port 1..65535;
 *   tls              0 plaintext (http:// or tcp://), 1 TLS (https://);
 *   token            "user:password" or API key, may be empty;
 *   tls_ca_file,     PEM files for TLS, absolute paths (relative ones are
 *   tls_cert_file,   opened relative to nginx's working directory), may
 *   tls_key_file     be empty; cert and key go together;
 *   tls_server_name  name to verify in the server certificate, may be
 *                    empty (then the host of target);
 *   timeout          gRPC deadline in ms, > 0;
 *   log              log for errors and debug (request log);
 *   handler, data    completion callback and its argument.
 *
 * Output (valid in the handler, and after start returned NGX_ERROR):
 *   rc               NGX_OK: Connect succeeded and common.Status is
 *                    Success (error_code 0 and code 0); NGX_ERROR otherwise;
 *   message          short human-readable text, e.g.
 *                    "connected to Milvus v2.3.5-lite", "connection refused
 *                    by 127.0.0.1:29999", "deadline exceeded after 2000
 *                    ms", "UNAUTHENTICATED: auth check failure, ...",
 *                    "Milvus error: <reason> (error_code 1, code 1100)";
 *                    points into the struct;
 *   grpc_status      gRPC status code (0 OK ... 16 UNAUTHENTICATED), -1 if
 *                    the call never ran (bad input, guard timeout);
 *   status_code      common.Status.code of the reply (0 if no reply);
 *   identifier       ConnectResponse.identifier (0 if none);
 *   server_version   ServerInfo.build_tags (may be empty);
 *   elapsed          ms from start to completion.
 */
struct ngx_http_milvus_cdc_probe_s {
    ngx_str_t                              target;
    ngx_uint_t                             tls;
    ngx_str_t                              token;
    ngx_str_t                              tls_ca_file;
    ngx_str_t                              tls_cert_file;
    ngx_str_t                              tls_key_file;
    ngx_str_t                              tls_server_name;
    ngx_msec_t                             timeout;
    ngx_log_t                             *log;
    ngx_http_milvus_cdc_probe_handler_pt   handler;
    void                                  *data;

    ngx_int_t                              rc;
    ngx_str_t                              message;
    ngx_int_t                              grpc_status;
    ngx_int_t                              status_code;
    int64_t                                identifier;
    ngx_str_t                              server_version;
    ngx_msec_t                             elapsed;

    /* private */
    ngx_http_milvus_cdc_grpc_channel_t    *channel;
    ngx_http_milvus_cdc_grpc_call_t       *call;
    ngx_event_t                            guard;
    ngx_msec_t                             start;
    u_char                                 msg[256];
    u_char                                 version[64];
};


/*
 * Starts the probe.
 * Returns NGX_AGAIN: the handler will be called later, from an nginx timer
 * (never from inside start); at the latest timeout +
 * NGX_HTTP_MILVUS_CDC_PROBE_GUARD ms later (a non-cancelable guard timer,
 * so a gracefully exiting worker waits for the answer);
 * NGX_ERROR: bad input or local failure, rc and message are set, the
 * handler will not be called.
 */
ngx_int_t ngx_http_milvus_cdc_probe_start(ngx_http_milvus_cdc_probe_t *p);

/*
 * Abandons a started probe (e.g. the HTTP client went away): the gRPC call
 * is cancelled, the guard timer removed, the handler never called.
 * No-op if the probe is not running (not started, or handler already run).
 */
void ngx_http_milvus_cdc_probe_cancel(ngx_http_milvus_cdc_probe_t *p);


#endif /* _NGX_HTTP_MILVUS_CDC_PROBE_H_INCLUDED_ */
