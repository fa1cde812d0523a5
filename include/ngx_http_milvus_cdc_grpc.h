
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 */


#ifndef _NGX_HTTP_MILVUS_CDC_GRPC_H_INCLUDED_
#define _NGX_HTTP_MILVUS_CDC_GRPC_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>


/*
 * Non-blocking unary gRPC calls over grpc core (C API, grpc 1.51).
 *
 * The layer knows nothing about Milvus messages: the caller packs the
 * request with protobuf-c, passes the method path
 * ("/milvus.proto.milvus.MilvusService/<Method>") and the bytes, and gets
 * back the gRPC status, the status details text and the raw reply bytes,
 * which it unpacks itself.
 *
 * Process model:
 *   - grpc is initialised lazily, on the first channel creation, in the
 *     calling process (worker, single process or helper); never in the
 *     master: ngx_http_milvus_cdc_grpc_init() refuses there.  All signals
 *     are blocked while grpc runs code that may start threads, so library
 *     threads never take nginx's signals;
 *   - one completion queue (type "next") per process, shared by all calls;
 *   - calls complete only while someone polls the queue: an internal
 *     timer (cancelable, NGX_HTTP_MILVUS_CDC_GRPC_POLL ms) polls while
 *     calls are in flight and stops when none are left; a helper tick may
 *     additionally call ngx_http_milvus_cdc_grpc_process() itself;
 *   - completion handlers run from ngx_http_milvus_cdc_grpc_process(), in
 *     the nginx thread, never from a grpc thread.
 *
 * Memory: channels and calls are malloc()ed (ngx_alloc), independent of
 * any pool, because a call may outlive the request that started it
 * (cancellation completes asynchronously).
 */


/* poll interval of the internal timer while calls are in flight, ms */
#define NGX_HTTP_MILVUS_CDC_GRPC_POLL            2

/* default GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH (Milvus' own send limit) */
#define NGX_HTTP_MILVUS_CDC_GRPC_MAX_RECV        (64 * 1024 * 1024)


typedef struct ngx_http_milvus_cdc_grpc_channel_s
    ngx_http_milvus_cdc_grpc_channel_t;

typedef struct ngx_http_milvus_cdc_grpc_call_s
    ngx_http_milvus_cdc_grpc_call_t;


/*
 * Channel parameters.  Strings need not be NUL-terminated; the channel
 * copies what it keeps, so the struct may live in a pool that dies before
 * the channel.
 *
 *   target       "host:port" (grpc target syntax: "[::1]:19530" works),
 *                required;
 *   tls          0: plaintext HTTP/2 (insecure credentials),
 *                1: TLS (ssl credentials);
 *   ca_file      PEM file with the roots to trust (TLS only); empty: grpc
 *                default roots (GRPC_DEFAULT_SSL_ROOTS_FILE_PATH or its
 *                built-in bundle);
 *   cert_file,   PEM client certificate chain and private key for mutual
 *   key_file     TLS; both or neither;
 *   server_name  name checked against the server certificate instead of
 *                the host part of target (GRPC_SSL_TARGET_NAME_OVERRIDE_ARG);
 *   token        Milvus credentials, "user:password" or an API key, sent
 *                base64-encoded as "authorization" metadata on every call
 *                of the channel (Milvus proxy auth interceptor); empty:
 *                none.  The channel keeps only the encoded form and wipes
 *                it on destruction; it is never logged;
 *   max_recv     largest accepted reply in bytes; 0: default
 *                NGX_HTTP_MILVUS_CDC_GRPC_MAX_RECV;
 *   keepalive    HTTP/2 keepalive ping interval in ms, 0: grpc default
 *                (off).
 *
 * Every channel uses its own subchannel pool, so a fresh channel really
 * reconnects instead of reusing another channel's (maybe failed)
 * connection, and retries are disabled (the caller decides about them).
 */
typedef struct {
    ngx_str_t                           target;
    ngx_uint_t                          tls;
    ngx_str_t                           ca_file;
    ngx_str_t                           cert_file;
    ngx_str_t                           key_file;
    ngx_str_t                           server_name;
    ngx_str_t                           token;
    size_t                              max_recv;
    ngx_msec_t                          keepalive;
} ngx_http_milvus_cdc_grpc_channel_conf_t;


/* the gRPC status codes the callers tell apart (grpc_status_code) */
#define NGX_HTTP_MILVUS_CDC_GRPC_DEADLINE_EXCEEDED  4
#define NGX_HTTP_MILVUS_CDC_GRPC_UNAVAILABLE        14


/*
 * Outcome of one call, passed to the completion handler.
 *
 *   status   gRPC status code (grpc_status_code: 0 OK, 1 CANCELLED,
 *            4 DEADLINE_EXCEEDED, 12 UNIMPLEMENTED, 14 UNAVAILABLE,
 *            16 UNAUTHENTICATED, ...);
 *   details  status message sent by the server or made up by grpc
 *            ("failed to connect to all addresses; ...",
 *            "Deadline Exceeded"), may be empty;
 *   reply    serialized reply message (status OK only, may be empty for
 *            an all-default message); unpack it with protobuf-c;
 *   elapsed  ms between start and completion.
 *
 * details and reply point into grpc buffers that are released when the
 * handler returns: copy what must survive.  Milvus reports most errors
 * with status OK and a non-zero common.Status inside the reply.
 */
typedef struct {
    ngx_int_t                           status;
    ngx_str_t                           details;
    ngx_str_t                           reply;
    ngx_msec_t                          elapsed;
} ngx_http_milvus_cdc_grpc_result_t;


typedef void (*ngx_http_milvus_cdc_grpc_handler_pt)(
    ngx_http_milvus_cdc_grpc_result_t *res, void *data);


/*
 * One unary call.
 *
 *   method    full method path, "/package.Service/Method";
 *   request   serialized request message (copied at start);
 *   dbname    value of the "dbname" metadata (Milvus database used when
 *             the request has no db_name), empty: not sent;
 *   timeout   deadline in ms from now, must be > 0;
 *   handler   called exactly once with the outcome, unless the call is
 *             cancelled with ngx_http_milvus_cdc_grpc_call_cancel();
 *   data      passed to handler.
 */
typedef struct {
    ngx_str_t                           method;
    ngx_str_t                           request;
    ngx_str_t                           dbname;
    ngx_msec_t                          timeout;
    ngx_http_milvus_cdc_grpc_handler_pt handler;
    void                               *data;
} ngx_http_milvus_cdc_grpc_call_conf_t;


/*
 * Initialises grpc in this process if not done yet (grpc_init() with all
 * signals blocked, completion queue creation).  Called implicitly by
 * ngx_http_milvus_cdc_grpc_channel_create().
 * Returns NGX_OK, or NGX_ERROR (logged) in the master process or in a
 * process forked from one that had initialised grpc.
 */
ngx_int_t ngx_http_milvus_cdc_grpc_init(ngx_log_t *log);

/*
 * Creates a channel (no connection is made until the first call).
 * Returns the channel, or NULL with a short reason in err (NUL-terminated,
 * at most errlen bytes; e.g. 'cannot read "ca.pem": No such file or
 * directory') and nothing logged: the caller decides how to report.
 */
ngx_http_milvus_cdc_grpc_channel_t *ngx_http_milvus_cdc_grpc_channel_create(
    ngx_http_milvus_cdc_grpc_channel_conf_t *conf, ngx_log_t *log,
    u_char *err, size_t errlen);

/*
 * Drops the caller's reference.  The grpc channel is destroyed once its
 * last call has completed (calls in flight are not cancelled: cancel them
 * first if their result no longer matters).  ch may be NULL.
 */
void ngx_http_milvus_cdc_grpc_channel_release(
    ngx_http_milvus_cdc_grpc_channel_t *ch);

/*
 * Starts a unary call on ch: initial metadata (authorization, dbname),
 * request message, half-close, then waits for the reply and status, all in
 * one batch; never blocks.  The call fails fast: if the channel cannot
 * connect (refused, unresolvable) it completes at once with UNAVAILABLE
 * instead of waiting for the deadline.
 * Returns the call handle, valid until the handler has been called or the
 * call cancelled; NULL on a local failure (logged at "alert"/"crit"; the
 * handler is not called).
 */
ngx_http_milvus_cdc_grpc_call_t *ngx_http_milvus_cdc_grpc_call_start(
    ngx_http_milvus_cdc_grpc_channel_t *ch,
    ngx_http_milvus_cdc_grpc_call_conf_t *conf, ngx_log_t *log);

/*
 * Cancels a call: grpc aborts it (RST_STREAM), the handler is never called,
 * the memory is freed when grpc reports the cancellation.  Safe to call
 * from any handler, including for other calls.
 */
void ngx_http_milvus_cdc_grpc_call_cancel(ngx_http_milvus_cdc_grpc_call_t *c);

/*
 * Harvests completed calls without blocking and runs their handlers,
 * for at most about budget ms (0: one pass over what is ready).
 * Returns the number of calls still in flight.  Not reentrant: a call
 * from inside a handler returns at once.
 */
ngx_uint_t ngx_http_milvus_cdc_grpc_process(ngx_msec_t budget);

/* Number of calls in flight in this process (cancelled ones included). */
ngx_uint_t ngx_http_milvus_cdc_grpc_pending(void);

/* Name of a gRPC status code, "UNAVAILABLE" etc.; "UNKNOWN" if unknown. */
const char *ngx_http_milvus_cdc_grpc_status_name(ngx_int_t status);


#endif /* _NGX_HTTP_MILVUS_CDC_GRPC_H_INCLUDED_ */
