
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 *
 * The nginx functions the codec tests of t/unit/ need, without nginx:
 * ngx_alloc() and ngx_calloc() on malloc() with an injected failure
 * (ngx_unit_fail_in = n: the n-th allocation from now returns NULL; 0
 * never); pools whose blocks are malloc()ed and freed by
 * ngx_destroy_pool(); ngx_atoof().  ngx_unit_heap() is the number of
 * bytes malloc() has handed out and not got back (glibc's mallinfo2()):
 * the same before and after a call, the call leaked nothing, protobuf-c's
 * own allocations included.  glibc counts the blocks of its per-thread
 * cache as in use: ngx_unit_heap_init(argv), first in main(), runs the
 * test again without that cache.  (ngx_unit_ok() evaluates its condition
 * more than once: no side effects in it.)
 */


#ifndef _NGX_HTTP_MILVUS_CDC_UNIT_ALLOC_H_INCLUDED_
#define _NGX_HTTP_MILVUS_CDC_UNIT_ALLOC_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <stdlib.h>
#include <unistd.h>
#include <malloc.h>


static long  ngx_unit_fail_in;


#define NGX_UNIT_TUNABLES  "glibc.malloc.tcache_count=0"


void
ngx_unit_heap_init(char **argv)
{
    char  *t;

    t = getenv("GLIBC_TUNABLES");

    if (t == NULL || ngx_strcmp(t, NGX_UNIT_TUNABLES) != 0) {
        setenv("GLIBC_TUNABLES", NGX_UNIT_TUNABLES, 1);
        execv("/proc/self/exe", argv);
    }

    /* stdout's buffer, allocated by the first output, before any check */

    printf("# heap checks with %s\n", NGX_UNIT_TUNABLES);
}


size_t
ngx_unit_heap(void)
{
    return mallinfo2().uordblks;
}


static void *
ngx_unit_alloc(size_t size)
{
    if (ngx_unit_fail_in > 0 && --ngx_unit_fail_in == 0) {
        return NULL;
    }

    return malloc(size);
}


void *
ngx_alloc(size_t size, ngx_log_t *log)
{
    return ngx_unit_alloc(size);
}


void *
ngx_calloc(size_t size, ngx_log_t *log)
{
    void  *p;

    p = ngx_unit_alloc(size);
    if (p) {
        ngx_memzero(p, size);
    }

    return p;
}


/* a pool: its blocks chained on p->large, freed by ngx_destroy_pool() */

ngx_pool_t *
ngx_create_pool(size_t size, ngx_log_t *log)
{
    ngx_pool_t  *p;

    p = ngx_unit_alloc(sizeof(ngx_pool_t));
    if (p == NULL) {
        return NULL;
    }

    ngx_memzero(p, sizeof(ngx_pool_t));
    p->log = log;

    return p;
}


void *
ngx_palloc(ngx_pool_t *pool, size_t size)
{
    ngx_pool_large_t  *l;

    l = ngx_unit_alloc(sizeof(ngx_pool_large_t) + size);
    if (l == NULL) {
        return NULL;
    }

    l->alloc = l + 1;
    l->next = pool->large;
    pool->large = l;

    return l->alloc;
}


void *
ngx_pnalloc(ngx_pool_t *pool, size_t size)
{
    return ngx_palloc(pool, size);
}


void
ngx_destroy_pool(ngx_pool_t *pool)
{
    ngx_pool_large_t  *l, *next;

    for (l = pool->large; l; l = next) {
        next = l->next;
        free(l);
    }

    free(pool);
}


/* as nginx's: decimal digits only, NGX_ERROR otherwise */

off_t
ngx_atoof(u_char *line, size_t n)
{
    off_t  value;

    if (n == 0) {
        return NGX_ERROR;
    }

    for (value = 0; n--; line++) {
        if (*line < '0' || *line > '9') {
            return NGX_ERROR;
        }

        value = value * 10 + (*line - '0');
    }

    return value;
}


#endif /* _NGX_HTTP_MILVUS_CDC_UNIT_ALLOC_H_INCLUDED_ */
