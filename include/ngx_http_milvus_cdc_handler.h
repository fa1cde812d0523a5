
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 */


#ifndef _NGX_HTTP_MILVUS_CDC_HANDLER_H_INCLUDED_
#define _NGX_HTTP_MILVUS_CDC_HANDLER_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


/*
 * The content handler of a "milvus_cdc on" location: the task API of
 * Milvus-CDC (README.md, "The task API in short").  POST bodies
 * {"request_type": …, "request_data": …} are answered {"code": …,
 * "message": …, "data": …} (HTTP status 200, or the code with
 * milvus_cdc_http_status on).  Never
 * blocks the worker longer than one short sqlite transaction; the target
 * probe of create runs asynchronously.
 */
ngx_int_t ngx_http_milvus_cdc_handler(ngx_http_request_t *r);

/* closes this process's task store connection (exit_process) */
void ngx_http_milvus_cdc_handler_exit(void);


#endif /* _NGX_HTTP_MILVUS_CDC_HANDLER_H_INCLUDED_ */
