
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 *
 * A minimal TAP producer for the C unit tests of t/unit/ (run by prove
 * from ./build.sh test; see t/unit/README).
 */


#ifndef _NGX_HTTP_MILVUS_CDC_UNIT_H_INCLUDED_
#define _NGX_HTTP_MILVUS_CDC_UNIT_H_INCLUDED_


#include <stdio.h>


static int  ngx_unit_n;
static int  ngx_unit_failed;


#define ngx_unit_ok(cond, ...)                                               \
    do {                                                                     \
        ngx_unit_n++;                                                        \
        if (!(cond)) {                                                       \
            ngx_unit_failed++;                                               \
            printf("not ok %d - ", ngx_unit_n);                              \
        } else {                                                             \
            printf("ok %d - ", ngx_unit_n);                                  \
        }                                                                    \
        printf(__VA_ARGS__);                                                 \
        printf("\n");                                                        \
        if (!(cond)) {                                                       \
            printf("#   failed at %s line %d: %s\n", __FILE__, __LINE__,    \
                   #cond);                                                   \
        }                                                                    \
    } while (0)


#define ngx_unit_is(got, want, ...)                                          \
    do {                                                                     \
        long long  g_ = (long long) (got), w_ = (long long) (want);         \
        ngx_unit_ok(g_ == w_, __VA_ARGS__);                                  \
        if (g_ != w_) {                                                      \
            printf("#   got %lld, want %lld\n", g_, w_);                     \
        }                                                                    \
    } while (0)


static int
ngx_unit_done(void)
{
    printf("1..%d\n", ngx_unit_n);
    return ngx_unit_failed ? 1 : 0;
}


#endif /* _NGX_HTTP_MILVUS_CDC_UNIT_H_INCLUDED_ */
