
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 *
 * The nginx core functions that src/ngx_http_milvus_cdc_json.c and
 * src/ngx_http_milvus_cdc_task.c call, for the fuzz target of
 * t/fuzz/request_fuzz.c.  Debian ships nginx's headers (nginx-dev) but not
 * its C sources, so they are written here against those headers, with the
 * behaviour of nginx 1.22's for what the module uses:
 *
 *   pool        ngx_create_pool, ngx_destroy_pool, ngx_pnalloc,
 *               ngx_pool_cleanup_add; each allocation is a malloc() of its
 *               own, so AddressSanitizer sees a byte past any of them
 *   strings     ngx_atoi, ngx_hextoi, ngx_strlow, ngx_strncasecmp,
 *               ngx_hex_dump, ngx_decode_base64
 *   formats     ngx_sprintf, ngx_snprintf, ngx_slprintf, ngx_vslprintf with
 *               %s %*s %V %Z %L %i %d %ui %uz %ud %%; another one aborts
 *               (a format the module started to use and this file lacks)
 */


#include <ngx_config.h>
#include <ngx_core.h>


ngx_pool_t *
ngx_create_pool(size_t size, ngx_log_t *log)
{
    ngx_pool_t  *p;

    p = calloc(1, sizeof(ngx_pool_t));
    if (p == NULL) {
        return NULL;
    }

    p->log = log;

    return p;
}


void
ngx_destroy_pool(ngx_pool_t *pool)
{
    ngx_pool_large_t    *l, *next;
    ngx_pool_cleanup_t  *c, *cn;

    for (c = pool->cleanup; c; c = cn) {
        cn = c->next;

        if (c->handler) {
            c->handler(c->data);
        }

        free(c);
    }

    for (l = pool->large; l; l = next) {
        next = l->next;
        free(l->alloc);
        free(l);
    }

    free(pool);
}


void *
ngx_pnalloc(ngx_pool_t *pool, size_t size)
{
    ngx_pool_large_t  *l;

    l = malloc(sizeof(ngx_pool_large_t));
    if (l == NULL) {
        return NULL;
    }

    l->alloc = malloc(size ? size : 1);
    if (l->alloc == NULL) {
        free(l);
        return NULL;
    }

    l->next = pool->large;
    pool->large = l;

    return l->alloc;
}


ngx_pool_cleanup_t *
ngx_pool_cleanup_add(ngx_pool_t *p, size_t size)
{
    ngx_pool_cleanup_t  *c;

    c = malloc(sizeof(ngx_pool_cleanup_t));
    if (c == NULL) {
        return NULL;
    }

    if (size) {
        c->data = ngx_pnalloc(p, size);
        if (c->data == NULL) {
            free(c);
            return NULL;
        }

    } else {
        c->data = NULL;
    }

    c->handler = NULL;
    c->next = p->cleanup;
    p->cleanup = c;

    return c;
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
ngx_hex_dump(u_char *dst, u_char *src, size_t len)
{
    static u_char  hex[] = "0123456789abcdef";

    while (len--) {
        *dst++ = hex[*src >> 4];
        *dst++ = hex[*src++ & 0xf];
    }

    return dst;
}


ngx_int_t
ngx_decode_base64(ngx_str_t *dst, ngx_str_t *src)
{
    size_t   len;
    u_char  *d, *s, b[256];
    int      i;

    ngx_memset(b, 77, sizeof(b));

    for (i = 0; i < 26; i++) {
        b['A' + i] = (u_char) i;
        b['a' + i] = (u_char) (26 + i);
    }

    for (i = 0; i < 10; i++) {
        b['0' + i] = (u_char) (52 + i);
    }

    b['+'] = 62;
    b['/'] = 63;

    for (len = 0; len < src->len; len++) {
        if (src->data[len] == '=') {
            break;
        }

        if (b[src->data[len]] == 77) {
            return NGX_ERROR;
        }
    }

    if (len % 4 == 1) {
        return NGX_ERROR;
    }

    s = src->data;
    d = dst->data;

    while (len > 3) {
        *d++ = (u_char) (b[s[0]] << 2 | b[s[1]] >> 4);
        *d++ = (u_char) (b[s[1]] << 4 | b[s[2]] >> 2);
        *d++ = (u_char) (b[s[2]] << 6 | b[s[3]]);

        s += 4;
        len -= 4;
    }

    if (len > 1) {
        *d++ = (u_char) (b[s[0]] << 2 | b[s[1]] >> 4);
    }

    if (len > 2) {
        *d++ = (u_char) (b[s[1]] << 4 | b[s[2]] >> 2);
    }

    dst->len = d - dst->data;

    return NGX_OK;
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


u_char *
ngx_vslprintf(u_char *buf, u_char *last, const char *fmt, va_list args)
{
    u_char      *s, num[NGX_INT64_LEN + 2];
    size_t       len, slen;
    ngx_str_t   *v;
    ngx_uint_t   sign, star, z;

    while (*fmt && buf < last) {

        if (*fmt != '%') {
            *buf++ = (u_char) *fmt++;
            continue;
        }

        fmt++;

        sign = 1;
        star = 0;
        z = 0;
        slen = (size_t) -1;

        for ( ;; ) {
            if (*fmt == 'u') {
                sign = 0;

            } else if (*fmt == '*') {
                star = 1;
                slen = va_arg(args, size_t);

            } else if (*fmt == 'z') {
                z = 1;

            } else {
                break;
            }

            fmt++;
        }

        s = num;

        switch (*fmt) {

        case 's':
            s = va_arg(args, u_char *);
            len = star ? slen : ngx_strlen(s);
            break;

        case 'V':
            v = va_arg(args, ngx_str_t *);
            s = v->data;
            len = v->len;
            break;

        case 'Z':
            num[0] = '\0';
            len = 1;
            break;

        case '%':
            num[0] = '%';
            len = 1;
            break;

        case 'L':
            len = sign ? (size_t) sprintf((char *) num, "%lld",
                                          (long long) va_arg(args, int64_t))
                       : (size_t) sprintf((char *) num, "%llu",
                                          (unsigned long long)
                                          va_arg(args, uint64_t));
            break;

        case 'i':
            len = sign ? (size_t) sprintf((char *) num, "%lld",
                                          (long long) va_arg(args, ngx_int_t))
                       : (size_t) sprintf((char *) num, "%llu",
                                          (unsigned long long)
                                          va_arg(args, ngx_uint_t));
            break;

        case 'd':
            len = sign ? (size_t) sprintf((char *) num, "%d",
                                          va_arg(args, int))
                       : (size_t) sprintf((char *) num, "%u",
                                          va_arg(args, u_int));
            break;

        default:
            if (z && !star) {
                len = (size_t) sprintf((char *) num, "%zu",
                                       va_arg(args, size_t));
                fmt--;
                break;
            }

            abort();
        }

        fmt++;

        len = ngx_min(len, (size_t) (last - buf));
        buf = ngx_cpymem(buf, s, len);
    }

    return buf;
}
