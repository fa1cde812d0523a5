
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

#include <pthread.h>
#include <signal.h>

#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/support/alloc.h>
#include <grpc/support/time.h>

#include "ngx_http_milvus_cdc_grpc.h"


/* longest harvest of one timer run, ms */
#define NGX_HTTP_MILVUS_CDC_GRPC_BUDGET   20

/* largest PEM file accepted */
#define NGX_HTTP_MILVUS_CDC_GRPC_MAX_PEM  (1024 * 1024)


struct ngx_http_milvus_cdc_grpc_channel_s {
    grpc_channel                        *channel;
    ngx_uint_t                           refs;

    /* base64 of the token, NUL-terminated; NULL: no authorization */
    u_char                              *auth;
    size_t                               auth_len;

    ngx_str_t                            target;
};


struct ngx_http_milvus_cdc_grpc_call_s {
    ngx_queue_t                          queue;

    ngx_http_milvus_cdc_grpc_channel_t  *channel;
    grpc_call                           *call;

    grpc_metadata                        md[2];
    size_t                               nmd;

    grpc_byte_buffer                    *send;
    grpc_byte_buffer                    *recv;
    grpc_metadata_array                  initial_md;
    grpc_metadata_array                  trailing_md;
    grpc_status_code                     status;
    grpc_slice                           details;
    const char                          *error_string;

    ngx_http_milvus_cdc_grpc_handler_pt  handler;
    void                                *data;

    ngx_msec_t                           start;
    unsigned                             cancelled:1;
};


static void ngx_http_milvus_cdc_grpc_block_signals(sigset_t *old);
static void ngx_http_milvus_cdc_grpc_restore_signals(sigset_t *old);
static grpc_channel_credentials *ngx_http_milvus_cdc_grpc_credentials(
    ngx_http_milvus_cdc_grpc_channel_conf_t *conf, u_char *err,
    size_t errlen);
static char *ngx_http_milvus_cdc_grpc_read_pem(ngx_str_t *name,
    const char *what, u_char *err,
    size_t errlen);
static void ngx_http_milvus_cdc_grpc_free_pem(char *pem);
static void ngx_http_milvus_cdc_grpc_set_error(u_char *err, size_t errlen,
    ngx_err_t errnum, const char *fmt, ...);
static void ngx_http_milvus_cdc_grpc_complete(
    ngx_http_milvus_cdc_grpc_call_t *c, int success);
static void ngx_http_milvus_cdc_grpc_call_free(
    ngx_http_milvus_cdc_grpc_call_t *c);
static void ngx_http_milvus_cdc_grpc_arm_timer(void);
static void ngx_http_milvus_cdc_grpc_timer_handler(ngx_event_t *ev);


static grpc_completion_queue  *ngx_http_milvus_cdc_grpc_cq;
static ngx_pid_t               ngx_http_milvus_cdc_grpc_pid;
static ngx_queue_t             ngx_http_milvus_cdc_grpc_calls;
static ngx_uint_t              ngx_http_milvus_cdc_grpc_ncalls;
static ngx_uint_t              ngx_http_milvus_cdc_grpc_processing;
static ngx_event_t             ngx_http_milvus_cdc_grpc_timer;

/* ev->data of the timer: debug logging reads an fd from it */
static ngx_connection_t        ngx_http_milvus_cdc_grpc_dummy;


static const char  *ngx_http_milvus_cdc_grpc_status_names[] = {
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED"
};


ngx_int_t
ngx_http_milvus_cdc_grpc_init(ngx_log_t *log)
{
    sigset_t  old;

    if (ngx_http_milvus_cdc_grpc_cq) {

        if (ngx_http_milvus_cdc_grpc_pid == ngx_pid) {
            return NGX_OK;
        }

        ngx_log_error(NGX_LOG_ALERT, log, 0,
                      "milvus_cdc: grpc was initialised in process %P "
                      "and cannot be used after fork()",
                      ngx_http_milvus_cdc_grpc_pid);
        return NGX_ERROR;
    }

    if (ngx_process == NGX_PROCESS_MASTER) {
        ngx_log_error(NGX_LOG_ALERT, log, 0,
                      "milvus_cdc: grpc must not be used in the master "
                      "process");
        return NGX_ERROR;
    }

    /* grpc_init() starts threads: they must not take nginx's signals */

    ngx_http_milvus_cdc_grpc_block_signals(&old);

    grpc_init();
    ngx_http_milvus_cdc_grpc_cq = grpc_completion_queue_create_for_next(NULL);

    ngx_http_milvus_cdc_grpc_restore_signals(&old);

    if (ngx_http_milvus_cdc_grpc_cq == NULL) {
        ngx_log_error(NGX_LOG_ALERT, log, 0,
                      "milvus_cdc: grpc_completion_queue_create_for_next() "
                      "failed");
        return NGX_ERROR;
    }

    ngx_http_milvus_cdc_grpc_pid = ngx_pid;
    ngx_queue_init(&ngx_http_milvus_cdc_grpc_calls);

    ngx_http_milvus_cdc_grpc_timer.handler =
                                        ngx_http_milvus_cdc_grpc_timer_handler;
    ngx_http_milvus_cdc_grpc_dummy.fd = (ngx_socket_t) -1;
    ngx_http_milvus_cdc_grpc_timer.data = &ngx_http_milvus_cdc_grpc_dummy;
    ngx_http_milvus_cdc_grpc_timer.log = ngx_cycle->log;
    ngx_http_milvus_cdc_grpc_timer.cancelable = 1;

    ngx_log_debug1(NGX_LOG_DEBUG_CORE, log, 0,
                   "milvus_cdc grpc %s initialised", grpc_version_string());

    return NGX_OK;
}


ngx_http_milvus_cdc_grpc_channel_t *
ngx_http_milvus_cdc_grpc_channel_create(
    ngx_http_milvus_cdc_grpc_channel_conf_t *conf, ngx_log_t *log,
    u_char *err, size_t errlen)
{
    u_char                              *server_name;
    size_t                               n;
    sigset_t                             old;
    ngx_str_t                            dst;
    grpc_arg                             args[5];
    grpc_channel_args                    chargs;
    grpc_channel_credentials            *creds;
    ngx_http_milvus_cdc_grpc_channel_t  *ch;

    if (conf->target.len == 0) {
        ngx_http_milvus_cdc_grpc_set_error(err, errlen, 0, "empty target");
        return NULL;
    }

    if (ngx_http_milvus_cdc_grpc_init(log) != NGX_OK) {
        ngx_http_milvus_cdc_grpc_set_error(err, errlen, 0,
                                        "grpc is not usable in this process");
        return NULL;
    }

    ch = ngx_calloc(sizeof(ngx_http_milvus_cdc_grpc_channel_t)
                    + conf->target.len + 1 + conf->server_name.len + 1, log);
    if (ch == NULL) {
        ngx_http_milvus_cdc_grpc_set_error(err, errlen, 0, "out of memory");
        return NULL;
    }

    ch->refs = 1;

    ch->target.data = (u_char *) (ch + 1);
    ch->target.len = conf->target.len;
    server_name = ngx_cpymem(ch->target.data, conf->target.data,
                             conf->target.len);
    *server_name++ = '\0';

    if (conf->server_name.len) {
        ngx_memcpy(server_name, conf->server_name.data,
                   conf->server_name.len);
    }

    server_name[conf->server_name.len] = '\0';

    if (conf->token.len) {
        ch->auth = ngx_alloc(ngx_base64_encoded_length(conf->token.len) + 1,
                             log);
        if (ch->auth == NULL) {
            ngx_free(ch);
            ngx_http_milvus_cdc_grpc_set_error(err, errlen, 0,
                                               "out of memory");
            return NULL;
        }

        dst.data = ch->auth;
        ngx_encode_base64(&dst, &conf->token);
        ch->auth[dst.len] = '\0';
        ch->auth_len = dst.len;
    }

    creds = ngx_http_milvus_cdc_grpc_credentials(conf, err, errlen);
    if (creds == NULL) {
        goto failed;
    }

    n = 0;

    args[n].type = GRPC_ARG_INTEGER;
    args[n].key = (char *) GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH;
    args[n].value.integer = conf->max_recv == 0
                            ? NGX_HTTP_MILVUS_CDC_GRPC_MAX_RECV
                            : (conf->max_recv > NGX_MAX_INT32_VALUE
                               ? -1 : (int) conf->max_recv);
    n++;

    args[n].type = GRPC_ARG_INTEGER;
    args[n].key = (char *) GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL;
    args[n].value.integer = 1;
    n++;

    args[n].type = GRPC_ARG_INTEGER;
    args[n].key = (char *) GRPC_ARG_ENABLE_RETRIES;
    args[n].value.integer = 0;
    n++;

    if (conf->keepalive) {
        args[n].type = GRPC_ARG_INTEGER;
        args[n].key = (char *) GRPC_ARG_KEEPALIVE_TIME_MS;
        args[n].value.integer = (int) conf->keepalive;
        n++;
    }

    if (conf->tls && conf->server_name.len) {
        args[n].type = GRPC_ARG_STRING;
        args[n].key = (char *) GRPC_SSL_TARGET_NAME_OVERRIDE_ARG;
        args[n].value.string = (char *) server_name;
        n++;
    }

    chargs.num_args = n;
    chargs.args = args;

    ngx_http_milvus_cdc_grpc_block_signals(&old);

    ch->channel = grpc_channel_create((char *) ch->target.data, creds,
                                      &chargs);
    grpc_channel_credentials_release(creds);

    ngx_http_milvus_cdc_grpc_restore_signals(&old);

    if (ch->channel == NULL) {
        ngx_http_milvus_cdc_grpc_set_error(err, errlen, 0,
                                           "grpc_channel_create() failed");
        goto failed;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_CORE, log, 0,
                   "milvus_cdc grpc channel %p to \"%V\"", ch, &ch->target);

    return ch;

failed:

    if (ch->auth) {
        ngx_explicit_memzero(ch->auth, ch->auth_len);
        ngx_free(ch->auth);
    }

    ngx_free(ch);

    return NULL;
}


void
ngx_http_milvus_cdc_grpc_channel_release(ngx_http_milvus_cdc_grpc_channel_t *ch)
{
    sigset_t  old;

    if (ch == NULL || --ch->refs) {
        return;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_CORE, ngx_cycle->log, 0,
                   "milvus_cdc grpc channel %p destroy", ch);

    ngx_http_milvus_cdc_grpc_block_signals(&old);
    grpc_channel_destroy(ch->channel);
    ngx_http_milvus_cdc_grpc_restore_signals(&old);

    if (ch->auth) {
        ngx_explicit_memzero(ch->auth, ch->auth_len);
        ngx_free(ch->auth);
    }

    ngx_free(ch);
}


ngx_http_milvus_cdc_grpc_call_t *
ngx_http_milvus_cdc_grpc_call_start(ngx_http_milvus_cdc_grpc_channel_t *ch,
    ngx_http_milvus_cdc_grpc_call_conf_t *conf, ngx_log_t *log)
{
    sigset_t                          old;
    grpc_op                           ops[6];
    grpc_slice                        slice;
    gpr_timespec                      deadline;
    grpc_call_error                   rc;
    ngx_http_milvus_cdc_grpc_call_t  *c;

    if (conf->timeout == 0 || conf->handler == NULL
        || conf->method.len == 0)
    {
        ngx_log_error(NGX_LOG_ALERT, log, 0,
                      "milvus_cdc: invalid grpc call parameters");
        return NULL;
    }

    c = ngx_calloc(sizeof(ngx_http_milvus_cdc_grpc_call_t), log);
    if (c == NULL) {
        return NULL;
    }

    c->channel = ch;
    ch->refs++;

    c->handler = conf->handler;
    c->data = conf->data;
    c->start = ngx_current_msec;
    c->details = grpc_empty_slice();

    grpc_metadata_array_init(&c->initial_md);
    grpc_metadata_array_init(&c->trailing_md);

    if (ch->auth) {
        c->md[c->nmd].key = grpc_slice_from_static_string("authorization");
        c->md[c->nmd].value = grpc_slice_from_copied_buffer(
                                            (char *) ch->auth, ch->auth_len);
        c->nmd++;
    }

    if (conf->dbname.len) {
        c->md[c->nmd].key = grpc_slice_from_static_string("dbname");
        c->md[c->nmd].value = grpc_slice_from_copied_buffer(
                                 (char *) conf->dbname.data, conf->dbname.len);
        c->nmd++;
    }

    slice = grpc_slice_from_copied_buffer((char *) conf->request.data,
                                          conf->request.len);
    c->send = grpc_raw_byte_buffer_create(&slice, 1);
    grpc_slice_unref(slice);

    ngx_memzero(ops, sizeof(ops));

    ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[0].data.send_initial_metadata.count = c->nmd;
    ops[0].data.send_initial_metadata.metadata = c->nmd ? c->md : NULL;

    /* no GRPC_INITIAL_METADATA_WAIT_FOR_READY: fail fast */

    ops[1].op = GRPC_OP_SEND_MESSAGE;
    ops[1].data.send_message.send_message = c->send;

    ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;

    ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
    ops[3].data.recv_initial_metadata.recv_initial_metadata = &c->initial_md;

    ops[4].op = GRPC_OP_RECV_MESSAGE;
    ops[4].data.recv_message.recv_message = &c->recv;

    ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
    ops[5].data.recv_status_on_client.trailing_metadata = &c->trailing_md;
    ops[5].data.recv_status_on_client.status = &c->status;
    ops[5].data.recv_status_on_client.status_details = &c->details;
    ops[5].data.recv_status_on_client.error_string = &c->error_string;

    deadline = gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                            gpr_time_from_millis((int64_t) conf->timeout,
                                                 GPR_TIMESPAN));

    slice = grpc_slice_from_copied_buffer((char *) conf->method.data,
                                          conf->method.len);

    ngx_http_milvus_cdc_grpc_block_signals(&old);

    c->call = grpc_channel_create_call(ch->channel, NULL,
                                       GRPC_PROPAGATE_DEFAULTS,
                                       ngx_http_milvus_cdc_grpc_cq, slice,
                                       NULL, deadline, NULL);

    rc = c->call ? grpc_call_start_batch(c->call, ops, 6, c, NULL)
                 : GRPC_CALL_ERROR;

    ngx_http_milvus_cdc_grpc_restore_signals(&old);

    grpc_slice_unref(slice);

    if (rc != GRPC_CALL_OK) {
        ngx_log_error(NGX_LOG_ALERT, log, 0,
                      "milvus_cdc: grpc call %V to \"%V\" not started: "
                      "grpc_call_error %d",
                      &conf->method, &ch->target, (int) rc);
        ngx_http_milvus_cdc_grpc_call_free(c);
        return NULL;
    }

    ngx_queue_insert_tail(&ngx_http_milvus_cdc_grpc_calls, &c->queue);
    ngx_http_milvus_cdc_grpc_ncalls++;

    ngx_log_debug5(NGX_LOG_DEBUG_CORE, log, 0,
                   "milvus_cdc grpc call %p %V to \"%V\" started, "
                   "%uz bytes, timeout %M",
                   c, &conf->method, &ch->target, conf->request.len,
                   conf->timeout);

    ngx_http_milvus_cdc_grpc_arm_timer();

    return c;
}


void
ngx_http_milvus_cdc_grpc_call_cancel(ngx_http_milvus_cdc_grpc_call_t *c)
{
    sigset_t  old;

    if (c == NULL || c->cancelled) {
        return;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_CORE, ngx_cycle->log, 0,
                   "milvus_cdc grpc call %p cancel", c);

    c->cancelled = 1;
    c->handler = NULL;
    c->data = NULL;

    ngx_http_milvus_cdc_grpc_block_signals(&old);
    (void) grpc_call_cancel(c->call, NULL);
    ngx_http_milvus_cdc_grpc_restore_signals(&old);

    /* the completion still arrives; the timer picks it up and frees c */

    ngx_http_milvus_cdc_grpc_arm_timer();
}


ngx_uint_t
ngx_http_milvus_cdc_grpc_process(ngx_msec_t budget)
{
    sigset_t                          old;
    grpc_event                        ev;
    ngx_msec_t                        start;
    ngx_http_milvus_cdc_grpc_call_t  *c;

    if (ngx_http_milvus_cdc_grpc_cq == NULL
        || ngx_http_milvus_cdc_grpc_pid != ngx_pid
        || ngx_http_milvus_cdc_grpc_processing)
    {
        return ngx_http_milvus_cdc_grpc_ncalls;
    }

    ngx_http_milvus_cdc_grpc_processing = 1;

    start = ngx_current_msec;

    for ( ;; ) {

        /* a deadline in the past: one non-blocking poll of grpc's fds */

        ngx_http_milvus_cdc_grpc_block_signals(&old);

        ev = grpc_completion_queue_next(ngx_http_milvus_cdc_grpc_cq,
                                        gpr_inf_past(GPR_CLOCK_MONOTONIC),
                                        NULL);

        ngx_http_milvus_cdc_grpc_restore_signals(&old);

        if (ev.type != GRPC_OP_COMPLETE) {
            break;
        }

        c = ev.tag;

        ngx_queue_remove(&c->queue);
        ngx_http_milvus_cdc_grpc_ncalls--;

        ngx_time_update();

        ngx_http_milvus_cdc_grpc_complete(c, ev.success);
        ngx_http_milvus_cdc_grpc_call_free(c);

        if (budget && ngx_current_msec - start >= budget) {
            break;
        }
    }

    ngx_http_milvus_cdc_grpc_processing = 0;

    return ngx_http_milvus_cdc_grpc_ncalls;
}


ngx_uint_t
ngx_http_milvus_cdc_grpc_pending(void)
{
    return ngx_http_milvus_cdc_grpc_ncalls;
}


const char *
ngx_http_milvus_cdc_grpc_status_name(ngx_int_t status)
{
    if (status < 0
        || status >= (ngx_int_t)
                      (sizeof(ngx_http_milvus_cdc_grpc_status_names)
                       / sizeof(ngx_http_milvus_cdc_grpc_status_names[0])))
    {
        return "UNKNOWN";
    }

    return ngx_http_milvus_cdc_grpc_status_names[status];
}


static void
ngx_http_milvus_cdc_grpc_complete(ngx_http_milvus_cdc_grpc_call_t *c,
    int success)
{
    grpc_slice                          reply;
    grpc_byte_buffer_reader             reader;
    ngx_http_milvus_cdc_grpc_result_t   res;

    ngx_log_debug4(NGX_LOG_DEBUG_CORE, ngx_cycle->log, 0,
                   "milvus_cdc grpc call %p done: success:%d status:%d%s",
                   c, success, (int) c->status,
                   c->cancelled ? " (cancelled)" : "");

    if (c->cancelled || c->handler == NULL) {
        return;
    }

    ngx_memzero(&res, sizeof(ngx_http_milvus_cdc_grpc_result_t));

    res.status = c->status;
    res.details.len = GRPC_SLICE_LENGTH(c->details);
    res.details.data = GRPC_SLICE_START_PTR(c->details);
    res.elapsed = ngx_current_msec - c->start;

    if (!success && res.status == GRPC_STATUS_OK) {
        /* should not happen for a client batch with RECV_STATUS */
        res.status = GRPC_STATUS_UNKNOWN;
        ngx_str_set(&res.details, "grpc batch failed");
    }

    reply = grpc_empty_slice();

    if (res.status == GRPC_STATUS_OK && c->recv) {
        if (grpc_byte_buffer_reader_init(&reader, c->recv)) {
            reply = grpc_byte_buffer_reader_readall(&reader);
            grpc_byte_buffer_reader_destroy(&reader);

        } else {
            res.status = GRPC_STATUS_INTERNAL;
            ngx_str_set(&res.details, "cannot read the reply message");
        }
    }

    res.reply.len = GRPC_SLICE_LENGTH(reply);
    res.reply.data = GRPC_SLICE_START_PTR(reply);

    c->handler(&res, c->data);

    grpc_slice_unref(reply);
}


static void
ngx_http_milvus_cdc_grpc_call_free(ngx_http_milvus_cdc_grpc_call_t *c)
{
    size_t  i;

    for (i = 0; i < c->nmd; i++) {
        grpc_slice_unref(c->md[i].key);
        grpc_slice_unref(c->md[i].value);
    }

    grpc_metadata_array_destroy(&c->initial_md);
    grpc_metadata_array_destroy(&c->trailing_md);
    grpc_slice_unref(c->details);

    if (c->error_string) {
        gpr_free((void *) c->error_string);
    }

    if (c->send) {
        grpc_byte_buffer_destroy(c->send);
    }

    if (c->recv) {
        grpc_byte_buffer_destroy(c->recv);
    }

    if (c->call) {
        grpc_call_unref(c->call);
    }

    ngx_http_milvus_cdc_grpc_channel_release(c->channel);

    ngx_free(c);
}


static grpc_channel_credentials *
ngx_http_milvus_cdc_grpc_credentials(
    ngx_http_milvus_cdc_grpc_channel_conf_t *conf, u_char *err, size_t errlen)
{
    char                        *ca, *cert, *key;
    grpc_channel_credentials    *creds;
    grpc_ssl_pem_key_cert_pair   pair;

    if (!conf->tls) {
        return grpc_insecure_credentials_create();
    }

    if ((conf->cert_file.len == 0) != (conf->key_file.len == 0)) {
        ngx_http_milvus_cdc_grpc_set_error(err, errlen, 0,
                       "TLS client certificate and key must be given together");
        return NULL;
    }

    ca = NULL;
    cert = NULL;
    key = NULL;
    creds = NULL;

    if (conf->ca_file.len) {
        ca = ngx_http_milvus_cdc_grpc_read_pem(&conf->ca_file,
                 "the CA file (dial_config.ca_pem_path)", err, errlen);
        if (ca == NULL) {
            goto done;
        }
    }

    if (conf->cert_file.len) {
        cert = ngx_http_milvus_cdc_grpc_read_pem(&conf->cert_file,
                   "the client certificate (dial_config.client_pem_path)",
                   err, errlen);
        if (cert == NULL) {
            goto done;
        }

        key = ngx_http_milvus_cdc_grpc_read_pem(&conf->key_file,
                  "the client key (dial_config.client_key_path)", err, errlen);
        if (key == NULL) {
            goto done;
        }
    }

    pair.cert_chain = cert;
    pair.private_key = key;

    /* grpc copies the PEM strings */

    creds = grpc_ssl_credentials_create(ca, cert ? &pair : NULL, NULL, NULL);

    if (creds == NULL) {
        ngx_http_milvus_cdc_grpc_set_error(err, errlen, 0,
                                   "grpc_ssl_credentials_create() failed");
    }

done:

    ngx_http_milvus_cdc_grpc_free_pem(ca);
    ngx_http_milvus_cdc_grpc_free_pem(cert);
    ngx_http_milvus_cdc_grpc_free_pem(key);

    return creds;
}


/*
 * The file's path is a secret of the task (it is never returned nor
 * logged): errors name the file by "what".
 */

static char *
ngx_http_milvus_cdc_grpc_read_pem(ngx_str_t *name, const char *what,
    u_char *err, size_t errlen)
{
    char             *buf;
    size_t            size;
    ssize_t           n;
    ngx_fd_t          fd;
    ngx_err_t         errnum;
    ngx_file_info_t   fi;
    u_char            path[NGX_MAX_PATH];

    if (name->len >= NGX_MAX_PATH) {
        ngx_http_milvus_cdc_grpc_set_error(err, errlen, 0,
                                           "file name too long");
        return NULL;
    }

    ngx_cpystrn(path, name->data, name->len + 1);

    /*
     * the name comes from a request: a FIFO or a device must not block
     * the process in open() or read(), only a regular file is read
     */

    fd = ngx_open_file(path, NGX_FILE_RDONLY|NGX_FILE_NONBLOCK|O_NOCTTY,
                       NGX_FILE_OPEN, 0);
    if (fd == NGX_INVALID_FILE) {
        ngx_http_milvus_cdc_grpc_set_error(err, errlen, ngx_errno,
                                           "cannot open %s", what);
        return NULL;
    }

    buf = NULL;

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR) {
        ngx_http_milvus_cdc_grpc_set_error(err, errlen, ngx_errno,
                                           "cannot stat %s", what);
        goto done;
    }

    if (!ngx_is_file(&fi)) {
        ngx_http_milvus_cdc_grpc_set_error(err, errlen, 0,
                                           "%s is not a regular file", what);
        goto done;
    }

    if (ngx_file_size(&fi) <= 0
        || ngx_file_size(&fi) > NGX_HTTP_MILVUS_CDC_GRPC_MAX_PEM)
    {
        ngx_http_milvus_cdc_grpc_set_error(err, errlen, 0,
                                           "%s is empty or too large", what);
        goto done;
    }

    size = (size_t) ngx_file_size(&fi);

    buf = ngx_alloc(size + 1, ngx_cycle->log);
    if (buf == NULL) {
        ngx_http_milvus_cdc_grpc_set_error(err, errlen, 0, "out of memory");
        goto done;
    }

    n = ngx_read_fd(fd, buf, size);

    if (n != (ssize_t) size) {
        errnum = (n == -1) ? ngx_errno : 0;
        ngx_http_milvus_cdc_grpc_set_error(err, errlen, errnum,
                                           "cannot read %s", what);
        ngx_http_milvus_cdc_grpc_free_pem(buf);
        buf = NULL;
        goto done;
    }

    buf[size] = '\0';

done:

    (void) ngx_close_file(fd);

    return buf;
}


static void
ngx_http_milvus_cdc_grpc_free_pem(char *pem)
{
    if (pem) {
        /* may hold a private key */
        ngx_explicit_memzero(pem, ngx_strlen(pem));
        ngx_free(pem);
    }
}


static void
ngx_http_milvus_cdc_grpc_set_error(u_char *err, size_t errlen,
    ngx_err_t errnum, const char *fmt, ...)
{
    u_char   *p, *last;
    va_list   args;

    if (err == NULL || errlen == 0) {
        return;
    }

    last = err + errlen - 1;

    va_start(args, fmt);
    p = ngx_vslprintf(err, last, fmt, args);
    va_end(args);

    if (errnum && last - p > 2) {
        *p++ = ':';
        *p++ = ' ';
        p = ngx_strerror(errnum, p, last - p);
    }

    *p = '\0';
}


static void
ngx_http_milvus_cdc_grpc_arm_timer(void)
{
    ngx_event_t  *ev;

    ev = &ngx_http_milvus_cdc_grpc_timer;

    if (ev->timer_set || ngx_http_milvus_cdc_grpc_ncalls == 0) {
        return;
    }

    /* the cycle (and its log) may change on reload in a single process */

    ev->log = ngx_cycle->log;

    ngx_add_timer(ev, NGX_HTTP_MILVUS_CDC_GRPC_POLL);
}


static void
ngx_http_milvus_cdc_grpc_timer_handler(ngx_event_t *ev)
{
    (void) ngx_http_milvus_cdc_grpc_process(NGX_HTTP_MILVUS_CDC_GRPC_BUDGET);

    ngx_http_milvus_cdc_grpc_arm_timer();
}


static void
ngx_http_milvus_cdc_grpc_block_signals(sigset_t *old)
{
    sigset_t  set;

    sigfillset(&set);
    (void) pthread_sigmask(SIG_BLOCK, &set, old);
}


static void
ngx_http_milvus_cdc_grpc_restore_signals(sigset_t *old)
{
    (void) pthread_sigmask(SIG_SETMASK, old, NULL);
}
