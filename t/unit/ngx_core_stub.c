
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 *
 * The nginx core functions a unit test of t/unit/ links against when it
 * tests code that allocates from pools, formats messages or decodes
 * base64 (nginx's development headers hold no objects): the same
 * contracts as nginx's src/core/ngx_palloc.c, ngx_array.c and ngx_string.c
 * on top of libc.  Pools never free before ngx_destroy_pool(), which runs
 * the cleanups.  ngx_vslprintf() knows the formats this module's messages
 * use: %s %*s %V %Z %c %d %i %ui %uz %z %L %uL %O %%, with a width and "0".
 * Log lines are counted (ngx_unit_logged), not printed.
 *
 * A test names it on a "unit-link:" line (t/unit/README).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <stdlib.h>


volatile ngx_time_t  *ngx_cached_time;
ngx_uint_t            ngx_unit_logged;


void
ngx_log_error_core(ngx_uint_t level, ngx_log_t *log, ngx_err_t err,
    const char *fmt, ...)
{
    ngx_unit_logged++;
}


void *
ngx_alloc(size_t size, ngx_log_t *log)
{
    return malloc(size);
}


ngx_pool_t *
ngx_create_pool(size_t size, ngx_log_t *log)
{
    ngx_pool_t  *p;

    p = calloc(1, sizeof(ngx_pool_t));
    if (p) {
        p->log = log;
    }

    return p;
}


void
ngx_destroy_pool(ngx_pool_t *pool)
{
    ngx_pool_cleanup_t  *c;

    for (c = pool->cleanup; c; c = c->next) {
        if (c->handler) {
            c->handler(c->data);
        }
    }

    free(pool);
}


void *
ngx_palloc(ngx_pool_t *pool, size_t size)
{
    return malloc(size ? size : 1);
}


void *
ngx_pnalloc(ngx_pool_t *pool, size_t size)
{
    return malloc(size ? size : 1);
}


void *
ngx_pcalloc(ngx_pool_t *pool, size_t size)
{
    return calloc(1, size ? size : 1);
}


ngx_pool_cleanup_t *
ngx_pool_cleanup_add(ngx_pool_t *p, size_t size)
{
    ngx_pool_cleanup_t  *c;

    c = calloc(1, sizeof(ngx_pool_cleanup_t));
    if (c == NULL) {
        return NULL;
    }

    if (size) {
        c->data = malloc(size);
        if (c->data == NULL) {
            return NULL;
        }
    }

    c->next = p->cleanup;
    p->cleanup = c;

    return c;
}


ngx_array_t *
ngx_array_create(ngx_pool_t *p, ngx_uint_t n, size_t size)
{
    ngx_array_t  *a;

    a = ngx_palloc(p, sizeof(ngx_array_t));
    if (a == NULL || ngx_array_init(a, p, n, size) != NGX_OK) {
        return NULL;
    }

    return a;
}


void *
ngx_array_push(ngx_array_t *a)
{
    void  *new;

    if (a->nelts == a->nalloc) {
        new = ngx_palloc(a->pool, 2 * a->nalloc * a->size + a->size);
        if (new == NULL) {
            return NULL;
        }

        ngx_memcpy(new, a->elts, a->nelts * a->size);
        a->elts = new;
        a->nalloc = 2 * a->nalloc + 1;
    }

    return (u_char *) a->elts + a->size * a->nelts++;
}


ngx_int_t
ngx_atoi(u_char *line, size_t n)
{
    ngx_int_t  value, cutoff, cutlim;

    if (n == 0) {
        return NGX_ERROR;
    }

    cutoff = NGX_MAX_INT_T_VALUE / 10;
    cutlim = NGX_MAX_INT_T_VALUE % 10;

    for (value = 0; n--; line++) {
        if (*line < '0' || *line > '9') {
            return NGX_ERROR;
        }

        if (value >= cutoff && (value > cutoff || *line - '0' > cutlim)) {
            return NGX_ERROR;
        }

        value = value * 10 + (*line - '0');
    }

    return value;
}


ngx_int_t
ngx_hextoi(u_char *line, size_t n)
{
    u_char     c, ch;
    ngx_int_t  value, cutoff;

    if (n == 0) {
        return NGX_ERROR;
    }

    cutoff = NGX_MAX_INT_T_VALUE / 16;

    for (value = 0; n--; line++) {
        if (value > cutoff) {
            return NGX_ERROR;
        }

        ch = *line;

        if (ch >= '0' && ch <= '9') {
            value = value * 16 + (ch - '0');
            continue;
        }

        c = (u_char) (ch | 0x20);

        if (c >= 'a' && c <= 'f') {
            value = value * 16 + (c - 'a' + 10);
            continue;
        }

        return NGX_ERROR;
    }

    return value;
}


u_char *
ngx_hex_dump(u_char *dst, u_char *src, size_t len)
{
    static u_char  hex[] = "0123456789abcdef";

    while (len--) {
        *dst++ = hex[*src >> 4];
        *dst++ = hex[*src++ & 0xf];
    }

    return dst;
}


void
ngx_strlow(u_char *dst, u_char *src, size_t n)
{
    while (n) {
        *dst = ngx_tolower(*src);
        dst++;
        src++;
        n--;
    }
}


ngx_int_t
ngx_strncasecmp(u_char *s1, u_char *s2, size_t n)
{
    ngx_uint_t  c1, c2;

    while (n) {
        c1 = (ngx_uint_t) *s1++;
        c2 = (ngx_uint_t) *s2++;

        c1 = (c1 >= 'A' && c1 <= 'Z') ? (c1 | 0x20) : c1;
        c2 = (c2 >= 'A' && c2 <= 'Z') ? (c2 | 0x20) : c2;

        if (c1 == c2) {
            if (c1) {
                n--;
                continue;
            }

            return 0;
        }

        return c1 - c2;
    }

    return 0;
}


u_char *
ngx_cpystrn(u_char *dst, u_char *src, size_t n)
{
    if (n == 0) {
        return dst;
    }

    while (--n) {
        *dst = *src;

        if (*dst == '\0') {
            return dst;
        }

        dst++;
        src++;
    }

    *dst = '\0';

    return dst;
}


/* nginx's rules: stops at the first "=", a length of 4n + 1 is refused */

ngx_int_t
ngx_decode_base64(ngx_str_t *dst, ngx_str_t *src)
{
    size_t   len;
    u_char  *d, *s, c;
    int      v[256];
    ngx_uint_t  i;
    static const char  alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    for (i = 0; i < 256; i++) {
        v[i] = -1;
    }

    for (i = 0; i < 64; i++) {
        v[(u_char) alphabet[i]] = (int) i;
    }

    for (len = 0; len < src->len; len++) {
        if (src->data[len] == '=') {
            break;
        }

        if (v[src->data[len]] == -1) {
            return NGX_ERROR;
        }
    }

    if (len % 4 == 1) {
        return NGX_ERROR;
    }

    s = src->data;
    d = dst->data;

    while (len > 3) {
        *d++ = (u_char) (v[s[0]] << 2 | v[s[1]] >> 4);
        *d++ = (u_char) (v[s[1]] << 4 | v[s[2]] >> 2);
        *d++ = (u_char) (v[s[2]] << 6 | v[s[3]]);
        s += 4;
        len -= 4;
    }

    if (len > 1) {
        *d++ = (u_char) (v[s[0]] << 2 | v[s[1]] >> 4);
    }

    if (len > 2) {
        c = (u_char) (v[s[1]] << 4 | v[s[2]] >> 2);
        *d++ = c;
    }

    dst->len = d - dst->data;

    return NGX_OK;
}


void
ngx_encode_base64(ngx_str_t *dst, ngx_str_t *src)
{
    u_char         *d, *s;
    size_t          len;
    static u_char   basis[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    len = src->len;
    s = src->data;
    d = dst->data;

    while (len > 2) {
        *d++ = basis[(s[0] >> 2) & 0x3f];
        *d++ = basis[((s[0] & 3) << 4) | (s[1] >> 4)];
        *d++ = basis[((s[1] & 0x0f) << 2) | (s[2] >> 6)];
        *d++ = basis[s[2] & 0x3f];
        s += 3;
        len -= 3;
    }

    if (len) {
        *d++ = basis[(s[0] >> 2) & 0x3f];

        if (len == 1) {
            *d++ = basis[(s[0] & 3) << 4];
            *d++ = '=';

        } else {
            *d++ = basis[((s[0] & 3) << 4) | (s[1] >> 4)];
            *d++ = basis[(s[1] & 0x0f) << 2];
        }

        *d++ = '=';
    }

    dst->len = d - dst->data;
}


static u_char *
ngx_unit_num(u_char *buf, u_char *last, uint64_t ui, int64_t i, ngx_uint_t sign,
    ngx_uint_t width, u_char pad)
{
    u_char      tmp[24], *p;
    ngx_uint_t  neg, n;

    neg = sign && i < 0;

    if (sign) {
        ui = neg ? (uint64_t) -(i + 1) + 1 : (uint64_t) i;
    }

    p = tmp + sizeof(tmp);

    do {
        *--p = (u_char) ('0' + ui % 10);
        ui /= 10;
    } while (ui);

    n = (tmp + sizeof(tmp) - p) + neg;

    if (neg && pad == '0' && buf < last) {
        *buf++ = '-';
        neg = 0;
    }

    while (n < width && buf < last) {
        *buf++ = pad;
        n++;
    }

    if (neg && buf < last) {
        *buf++ = '-';
    }

    while (p < tmp + sizeof(tmp) && buf < last) {
        *buf++ = *p++;
    }

    return buf;
}


u_char *
ngx_vslprintf(u_char *buf, u_char *last, const char *fmt, va_list args)
{
    u_char      *s, pad;
    size_t       len;
    ngx_str_t   *v;
    ngx_uint_t   width, sign, star;

    while (*fmt && buf < last) {

        if (*fmt != '%') {
            *buf++ = *fmt++;
            continue;
        }

        fmt++;
        pad = ' ';
        width = 0;
        sign = 1;
        star = 0;
        len = 0;

        if (*fmt == '0') {
            pad = '0';
        }

        while (*fmt >= '0' && *fmt <= '9') {
            width = width * 10 + (*fmt++ - '0');
        }

        for ( ;; ) {
            if (*fmt == 'u') {
                sign = 0;
                fmt++;

            } else if (*fmt == '*') {
                star = 1;
                len = va_arg(args, size_t);
                fmt++;

            } else {
                break;
            }
        }

        switch (*fmt) {

        case 's':
            s = va_arg(args, u_char *);

            if (!star) {
                len = ngx_strlen(s);
            }

            while (len-- && buf < last) {
                *buf++ = *s++;
            }

            break;

        case 'V':
            v = va_arg(args, ngx_str_t *);

            for (len = 0; len < v->len && buf < last; len++) {
                *buf++ = v->data[len];
            }

            break;

        case 'Z':
            *buf++ = '\0';
            break;

        case 'c':
            *buf++ = (u_char) va_arg(args, int);
            break;

        case '%':
            *buf++ = '%';
            break;

        case 'd':
            if (sign) {
                buf = ngx_unit_num(buf, last, 0, va_arg(args, int), 1, width,
                                   pad);
            } else {
                buf = ngx_unit_num(buf, last, va_arg(args, u_int), 0, 0,
                                   width, pad);
            }

            break;

        case 'i':
            if (sign) {
                buf = ngx_unit_num(buf, last, 0, va_arg(args, ngx_int_t), 1,
                                   width, pad);
            } else {
                buf = ngx_unit_num(buf, last, va_arg(args, ngx_uint_t), 0, 0,
                                   width, pad);
            }

            break;

        case 'z':
            if (sign) {
                buf = ngx_unit_num(buf, last, 0, va_arg(args, ssize_t), 1,
                                   width, pad);
            } else {
                buf = ngx_unit_num(buf, last, va_arg(args, size_t), 0, 0,
                                   width, pad);
            }

            break;

        case 'L':
        case 'O':
            if (sign) {
                buf = ngx_unit_num(buf, last, 0, va_arg(args, int64_t), 1,
                                   width, pad);
            } else {
                buf = ngx_unit_num(buf, last, va_arg(args, uint64_t), 0, 0,
                                   width, pad);
            }

            break;

        default:
            /* not used by the module's messages: shown as is */
            *buf++ = '%';
            continue;
        }

        fmt++;
    }

    return buf;
}


u_char * ngx_cdecl
ngx_sprintf(u_char *buf, const char *fmt, ...)
{
    u_char   *p;
    va_list   args;

    va_start(args, fmt);
    p = ngx_vslprintf(buf, (void *) -1, fmt, args);
    va_end(args);

    return p;
}


u_char * ngx_cdecl
ngx_snprintf(u_char *buf, size_t max, const char *fmt, ...)
{
    u_char   *p;
    va_list   args;

    va_start(args, fmt);
    p = ngx_vslprintf(buf, buf + max, fmt, args);
    va_end(args);

    return p;
}


u_char * ngx_cdecl
ngx_slprintf(u_char *buf, u_char *last, const char *fmt, ...)
{
    u_char   *p;
    va_list   args;

    va_start(args, fmt);
    p = ngx_vslprintf(buf, last, fmt, args);
    va_end(args);

    return p;
}
