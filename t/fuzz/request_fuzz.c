
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 *
 * libFuzzer target of the request parser and validator: one input is one
 * request body.  It runs the module's real code, linked from src/
 * (ngx_http_milvus_cdc_json.c, ngx_http_milvus_cdc_task.c) and yajl, as
 * the worker runs it on a request body:
 *
 *   ngx_http_milvus_cdc_json_parse()   strict JSON, depth, duplicate keys,
 *                                      UTF-8, comments
 *   ngx_http_milvus_cdc_json_known()   the envelope's fields
 *   ngx_http_milvus_cdc_task_parse()   the request_data of a create
 *   ngx_http_milvus_cdc_task_gen(),    what get and list would answer
 *   _task_tls(), _scopes_overlap()     with the task
 *
 * This file and t/fuzz/nginx_core.c supply only what an nginx process has
 * around them: nginx's pool and string functions (Debian ships no nginx C
 * sources: see that file), the log (ngx_log_error_core, which writes
 * nothing here), the page and cache line sizes, a pool per input.  It
 * aborts, which libFuzzer reports as a crash, when a result breaks what
 * the API promises: a refusal without a message, a message or an answer
 * that is not valid UTF-8, an answer that is not JSON the parser accepts
 * again, a task id out of its alphabet.
 *
 *   ./build.sh fuzz SECONDS     build build/fuzz/request_fuzz and run it
 *                               on a copy of t/fuzz/corpus/
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_milvus_cdc.h"
#include "ngx_http_milvus_cdc_json.h"
#include "ngx_http_milvus_cdc_task.h"


int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void ngx_http_milvus_cdc_fuzz_message(ngx_int_t rc, ngx_str_t *err);
static void ngx_http_milvus_cdc_fuzz_create(ngx_pool_t *pool, yajl_val data);
static void ngx_http_milvus_cdc_fuzz_again(ngx_pool_t *pool, ngx_str_t *out);


/* what nginx's os/unix/ngx_posix_init.c and core/ngx_log.c would define */

ngx_uint_t  ngx_pagesize;
ngx_uint_t  ngx_pagesize_shift;
ngx_uint_t  ngx_cacheline_size;

static ngx_log_t  ngx_http_milvus_cdc_fuzz_log;


static const char  *ngx_http_milvus_cdc_fuzz_fields[] = {
    "request_type", "request_data", NULL
};


void
ngx_log_error_core(ngx_uint_t level, ngx_log_t *log, ngx_err_t err,
    const char *fmt, ...)
{
    /* the parser logs nothing; an allocation failure would come here */
}


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    ngx_uint_t  n;

    ngx_pagesize = getpagesize();
    ngx_cacheline_size = NGX_CPU_CACHE_LINE;

    for (n = ngx_pagesize; n >>= 1; ngx_pagesize_shift++) { /* void */ }

    ngx_http_milvus_cdc_fuzz_log.log_level = NGX_LOG_EMERG;

    return 0;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char      *buf;
    yajl_gen     g;
    yajl_val     root, type, req;
    ngx_int_t    rc;
    ngx_str_t    err, out;
    ngx_pool_t  *pool;

    pool = ngx_create_pool(NGX_DEFAULT_POOL_SIZE,
                           &ngx_http_milvus_cdc_fuzz_log);
    if (pool == NULL) {
        abort();
    }

    /* a copy of its own size: AddressSanitizer sees a read past the body */

    buf = malloc(size ? size : 1);
    if (buf == NULL) {
        abort();
    }

    ngx_memcpy(buf, data, size);

    ngx_str_null(&err);

    rc = ngx_http_milvus_cdc_json_parse(pool, buf, size, &root, &err);
    ngx_http_milvus_cdc_fuzz_message(rc, &err);

    if (rc != NGX_OK) {
        goto done;
    }

    /* an accepted tree is written back as JSON the parser accepts */

    g = ngx_http_milvus_cdc_json_gen();

    if (g == NULL
        || ngx_http_milvus_cdc_json_value(g, root) != NGX_OK
        || ngx_http_milvus_cdc_json_take(g, pool, 0, &out) != NGX_OK)
    {
        abort();
    }

    ngx_http_milvus_cdc_fuzz_again(pool, &out);

    if (!YAJL_IS_OBJECT(root)) {
        goto done;
    }

    rc = ngx_http_milvus_cdc_json_known(pool, root, "request body",
                                        ngx_http_milvus_cdc_fuzz_fields,
                                        &err);
    ngx_http_milvus_cdc_fuzz_message(rc, &err);

    type = ngx_http_milvus_cdc_json_get(root, "request_type");
    req = ngx_http_milvus_cdc_json_get(root, "request_data");

    if (rc == NGX_OK && YAJL_IS_STRING(type)
        && ngx_strcmp(type->u.string, "create") == 0
        && (req == NULL || YAJL_IS_NULL(req) || YAJL_IS_OBJECT(req)))
    {
        ngx_http_milvus_cdc_fuzz_create(pool, req);
    }

done:

    free(buf);
    ngx_destroy_pool(pool);

    return 0;
}


/* NGX_DECLINED comes with a message in valid UTF-8; no NGX_ERROR */

static void
ngx_http_milvus_cdc_fuzz_message(ngx_int_t rc, ngx_str_t *err)
{
    if (rc == NGX_OK) {
        return;
    }

    if (rc != NGX_DECLINED || err->len == 0
        || ngx_http_milvus_cdc_json_utf8_len(err->data, err->len) != err->len)
    {
        abort();
    }
}


static void
ngx_http_milvus_cdc_fuzz_create(ngx_pool_t *pool, yajl_val data)
{
    u_char                      *p;
    yajl_gen                     g;
    ngx_int_t                    rc;
    ngx_str_t                    err, out, ca, cert, key, name, entry;
    ngx_http_milvus_cdc_task_t   task;

    ngx_memzero(&task, sizeof(ngx_http_milvus_cdc_task_t));
    ngx_str_null(&err);

    rc = ngx_http_milvus_cdc_task_parse(pool, data, &task, &err);
    ngx_http_milvus_cdc_fuzz_message(rc, &err);

    if (rc != NGX_OK) {
        return;
    }

    if (task.task_id.len == 0
        && ngx_http_milvus_cdc_task_new_id(pool, &task) != NGX_OK)
    {
        abort();
    }

    if (task.task_id.len > 64) {
        abort();
    }

    for (p = task.task_id.data; p < task.task_id.data + task.task_id.len; p++)
    {
        if (!(isalnum(*p) || *p == '_' || *p == '.' || *p == '-')) {
            abort();
        }
    }

    /* the Task object of get and list */

    g = ngx_http_milvus_cdc_json_gen();

    if (g == NULL
        || ngx_http_milvus_cdc_task_gen(g, &task) != NGX_OK
        || ngx_http_milvus_cdc_json_take(g, pool, 0, &out) != NGX_OK)
    {
        abort();
    }

    ngx_http_milvus_cdc_fuzz_again(pool, &out);

    /* what the probe and the engine take from it */

    if (ngx_http_milvus_cdc_task_tls(pool, &task, &ca, &cert, &key, &name)
        != NGX_OK)
    {
        abort();
    }

    if (task.scope.len
        && !ngx_http_milvus_cdc_task_scopes_overlap(&task.scope, &task.scope,
                                                    &entry))
    {
        abort();
    }
}


/* output is valid UTF-8 and strict JSON */

static void
ngx_http_milvus_cdc_fuzz_again(ngx_pool_t *pool, ngx_str_t *out)
{
    yajl_val   v;
    ngx_str_t  err;

    if (ngx_http_milvus_cdc_json_utf8_len(out->data, out->len) != out->len
        || ngx_http_milvus_cdc_json_parse(pool, out->data, out->len, &v, &err)
           != NGX_OK)
    {
        abort();
    }
}
