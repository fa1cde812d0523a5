
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 *
 * Preloaded with the sanitizer runtime by build/asan/nginx-asan (built by
 * CDC_SANITIZE=address ./build.sh).  gcc's UBSan runtime reads
 * UBSAN_OPTIONS on its first report only, from /proc/self/environ, which
 * nginx's setproctitle has overwritten in a worker by then: the options
 * would be lost (the report on stderr, the worker exiting with code 1).
 * This copies UBSAN_OPTIONS when nginx starts and hands it to the runtime
 * as its default options; its log_path, which that runtime applies only
 * from the environment, is set by a call (the runtime is loaded here, the
 * module would load it later).
 */


#include <stdlib.h>
#include <string.h>
#include <dlfcn.h>


#define NGX_HTTP_MILVUS_CDC_UBSAN_LEN  4096


const char *__ubsan_default_options(void);


static char  ngx_http_milvus_cdc_ubsan_options[NGX_HTTP_MILVUS_CDC_UBSAN_LEN];


__attribute__((constructor)) static void
ngx_http_milvus_cdc_ubsan_init(void)
{
    void         *h;
    const char   *s, *p;
    static char   path[NGX_HTTP_MILVUS_CDC_UBSAN_LEN];
    void        (*set_path)(const char *);

    s = getenv("UBSAN_OPTIONS");

    if (s == NULL || strlen(s) >= sizeof(ngx_http_milvus_cdc_ubsan_options)) {
        return;
    }

    strcpy(ngx_http_milvus_cdc_ubsan_options, s);

    /* "log_path=<path>" up to the next ':' */

    p = strstr(s, "log_path=");
    if (p == NULL) {
        return;
    }

    p += sizeof("log_path=") - 1;
    strncpy(path, p, strcspn(p, ":"));

    h = dlopen("libubsan.so.1", RTLD_NOW | RTLD_GLOBAL);
    if (h == NULL) {
        return;
    }

    set_path = (void (*)(const char *)) dlsym(h,
                                              "__sanitizer_set_report_path");
    if (set_path) {
        set_path(path);
    }
}


const char *
__ubsan_default_options(void)
{
    return ngx_http_milvus_cdc_ubsan_options;
}
