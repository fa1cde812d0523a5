
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 *
 * The task API's private header: one request's context and the replies,
 * shared by src/ngx_http_milvus_cdc_handler.c (reading, dispatch,
 * replies), src/ngx_http_milvus_cdc_handler_create.c (create) and
 * src/ngx_http_milvus_cdc_handler_task.c (list, get, pause, resume,
 * delete, position).  The public interface is
 * include/ngx_http_milvus_cdc_handler.h.
 */


#ifndef _NGX_HTTP_MILVUS_CDC_HANDLER_INT_H_INCLUDED_
#define _NGX_HTTP_MILVUS_CDC_HANDLER_INT_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_milvus_cdc.h"
#include "ngx_http_milvus_cdc_json.h"
#include "ngx_http_milvus_cdc_probe.h"
#include "ngx_http_milvus_cdc_store.h"
#include "ngx_http_milvus_cdc_task.h"


/*
 * An operation answers its request and returns what to finalize it with,
 * or returns NGX_DONE with "probe" set: the probe's handler answers later,
 * and the "deadline" timer answers if it does not.
 *
 *   request   the request, its pool holds the context;
 *   mcf       the module's main conf (store path, max_tasks);
 *   task      the task of create, as parsed;
 *   probe     create's pending target probe, NULL when none;
 *   deadline  create's own bound on the probe (milliseconds: the probe's
 *             timeout, its guard and NGX_HTTP_MILVUS_CDC_DEADLINE).
 */
typedef struct {
    ngx_http_request_t               *request;
    ngx_http_milvus_cdc_main_conf_t  *mcf;
    ngx_http_milvus_cdc_task_t        task;
    ngx_http_milvus_cdc_probe_t      *probe;
    ngx_event_t                       deadline;
} ngx_http_milvus_cdc_ctx_t;


/*
 * The request types.  "data" is request_data: an object, JSON null or
 * NULL when absent.  Each sends its reply (ngx_http_milvus_cdc_reply() or
 * _error()) and returns what to finalize the request with (an HTTP status
 * of nginx on failures without reply); create may return NGX_DONE (see
 * above).
 */
ngx_int_t ngx_http_milvus_cdc_op_create(ngx_http_milvus_cdc_ctx_t *ctx,
    yajl_val data);
ngx_int_t ngx_http_milvus_cdc_op_list(ngx_http_milvus_cdc_ctx_t *ctx,
    yajl_val data);
ngx_int_t ngx_http_milvus_cdc_op_get(ngx_http_milvus_cdc_ctx_t *ctx,
    yajl_val data);
ngx_int_t ngx_http_milvus_cdc_op_pause(ngx_http_milvus_cdc_ctx_t *ctx,
    yajl_val data);
ngx_int_t ngx_http_milvus_cdc_op_resume(ngx_http_milvus_cdc_ctx_t *ctx,
    yajl_val data);
ngx_int_t ngx_http_milvus_cdc_op_delete(ngx_http_milvus_cdc_ctx_t *ctx,
    yajl_val data);
ngx_int_t ngx_http_milvus_cdc_op_position(ngx_http_milvus_cdc_ctx_t *ctx,
    yajl_val data);

/*
 * This worker's task store connection, valid once
 * ngx_http_milvus_cdc_handler_store() returned it
 */
extern ngx_http_milvus_cdc_store_t  ngx_http_milvus_cdc_worker_store;

/*
 * Opens this worker's store connection on first use (busy timeout
 * NGX_HTTP_MILVUS_CDC_BUSY_TIMEOUT ms); NULL if it cannot be opened
 * (logged by the store)
 */
ngx_http_milvus_cdc_store_t *ngx_http_milvus_cdc_handler_store(
    ngx_http_milvus_cdc_ctx_t *ctx);

/*
 * A reply begun: {"code": 200, "data": { — the caller writes the members
 * of data, then sends it with ngx_http_milvus_cdc_reply().  NULL: no
 * memory.
 */
yajl_gen ngx_http_milvus_cdc_reply_start(void);

/*
 * Closes and sends a reply begun by reply_start (g NULL: "data": {}),
 * frees g.  HTTP status "code" with milvus_cdc_http_status on, 200
 * otherwise.  Returns what ngx_http_output_filter() returned, or
 * NGX_HTTP_INTERNAL_SERVER_ERROR without memory.
 */
ngx_int_t ngx_http_milvus_cdc_reply(ngx_http_request_t *r, ngx_int_t code,
    yajl_gen g);

/*
 * Sends {"code": <code>, "message": "<text>"}, the text formatted by
 * ngx_vslprintf() (at most 2,048 bytes, made valid UTF-8).  Returns as
 * ngx_http_milvus_cdc_reply().
 */
ngx_int_t ngx_http_milvus_cdc_error(ngx_http_request_t *r, ngx_int_t code,
    const char *fmt, ...);


#endif /* _NGX_HTTP_MILVUS_CDC_HANDLER_INT_H_INCLUDED_ */
