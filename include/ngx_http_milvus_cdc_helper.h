
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 */


#ifndef _NGX_HTTP_MILVUS_CDC_HELPER_H_INCLUDED_
#define _NGX_HTTP_MILVUS_CDC_HELPER_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_milvus_cdc.h"


/* how long a lease lasts and how often it is renewed, in milliseconds */
#define NGX_HTTP_MILVUS_CDC_LEASE_TTL     5000
#define NGX_HTTP_MILVUS_CDC_LEASE_RENEW   1000

/* delay between two helper ticks when there is nothing to do, in ms */
#define NGX_HTTP_MILVUS_CDC_TICK          200


/*
 * Registers the task store directory as an ngx_path_t whose manager is the
 * helper tick, so that the nginx master spawns one helper process ("cache
 * manager process"), respawns it when it dies and replaces it on reload.
 * nginx creates the directory (0700, owned by the worker user).
 * NGX_OK or NGX_ERROR (logged).
 */
ngx_int_t ngx_http_milvus_cdc_helper_add_path(ngx_conf_t *cf,
    ngx_http_milvus_cdc_main_conf_t *mcf);

/*
 * With "master_process off" (NGX_PROCESS_SINGLE) there is no helper
 * process: runs the same tick from a cancelable timer of the single
 * process.  NGX_OK or NGX_ERROR.
 */
ngx_int_t ngx_http_milvus_cdc_helper_start_timer(ngx_cycle_t *cycle,
    ngx_http_milvus_cdc_main_conf_t *mcf);

/*
 * Releases every lease this process holds and closes its store; called
 * from exit_process (single mode) and atexit() (the helper process, which
 * nginx ends with exit() without calling exit_process).
 */
void ngx_http_milvus_cdc_helper_exit(void);


#endif /* _NGX_HTTP_MILVUS_CDC_HELPER_H_INCLUDED_ */
