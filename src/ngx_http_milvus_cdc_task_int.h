
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 *
 * The task model's private header: the state of one create request's
 * validation, shared by src/ngx_http_milvus_cdc_task.c (the request and
 * the Task object), src/ngx_http_milvus_cdc_task_connect.c (the target:
 * milvus_connect_param) and src/ngx_http_milvus_cdc_task_scope.c (the
 * scope, its positions and its matching).  The public interface is
 * include/ngx_http_milvus_cdc_task.h.
 */


#ifndef _NGX_HTTP_MILVUS_CDC_TASK_INT_H_INCLUDED_
#define _NGX_HTTP_MILVUS_CDC_TASK_INT_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_milvus_cdc_task.h"


/*
 * One create request being validated.  "err" receives the message of a
 * refusal (ngx_http_milvus_cdc_task_fail()), "scope" the public scope
 * object as it is generated, "lines" the scope lines (task->scope form)
 * in a buffer of "lines_size" bytes.
 */
typedef struct {
    ngx_pool_t                  *pool;
    ngx_str_t                   *err;
    ngx_http_milvus_cdc_task_t  *task;
    yajl_gen                     scope;
    ngx_str_t                    lines;
    size_t                       lines_size;
} ngx_http_milvus_cdc_parse_t;


/*
 * Each of these returns NGX_OK, NGX_DECLINED (the request is refused,
 * ps->err names the field) or NGX_ERROR (no memory, yajl failed).
 */

/* milvus_connect_param: task->target_uri … connect_json, token, dial_json */
ngx_int_t ngx_http_milvus_cdc_task_connect(ngx_http_milvus_cdc_parse_t *ps,
    yajl_val cp);

/*
 * A list of collection infos at "path" ([{"name", "positions",
 * "use_start_position"}]) into ps->scope and ps->lines; "db" NULL for
 * collection_infos ("*" then means every database, a name the default
 * one), the database of a db_collections member otherwise.
 */
ngx_int_t ngx_http_milvus_cdc_task_infos(ngx_http_milvus_cdc_parse_t *ps,
    yajl_val infos, const char *db, const char *path);

/* "*", or a Milvus name: [A-Za-z_][A-Za-z0-9_]*, at most 255 bytes */
ngx_int_t ngx_http_milvus_cdc_task_name(ngx_http_milvus_cdc_parse_t *ps,
    const char *name, const char *path);

/* a present, non-null value of another type than "type" is refused */
ngx_int_t ngx_http_milvus_cdc_task_check(ngx_http_milvus_cdc_parse_t *ps,
    yajl_val v, yajl_type type, const char *path, const char *what);

/*
 * Sets ps->err to the message (at most 1,024 bytes, made valid UTF-8) and
 * returns NGX_DECLINED; NGX_ERROR without memory.
 */
ngx_int_t ngx_http_milvus_cdc_task_fail(ngx_http_milvus_cdc_parse_t *ps,
    const char *fmt, ...);


#endif /* _NGX_HTTP_MILVUS_CDC_TASK_INT_H_INCLUDED_ */
