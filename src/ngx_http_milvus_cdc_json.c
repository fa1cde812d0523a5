
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 *
 * JSON in and out with yajl: strict request parsing and tree copying.
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_milvus_cdc_json.h"


static ngx_int_t ngx_http_milvus_cdc_json_depth(u_char *p, u_char *last);
static ngx_int_t ngx_http_milvus_cdc_json_dups(yajl_val v, const char **key);
static void ngx_http_milvus_cdc_json_cleanup(void *data);


ngx_int_t
ngx_http_milvus_cdc_json_parse(ngx_pool_t *pool, u_char *buf, size_t len,
    yajl_val *root, ngx_str_t *err)
{
    u_char              *text, *p, *last;
    size_t               n;
    yajl_val             v;
    const char          *key, *msg;
    ngx_pool_cleanup_t  *cln;
    char                 errbuf[256];

    msg = NULL;

    for (p = buf, last = buf + len; p < last; p++) {
        if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
            break;
        }
    }

    if (p == last) {
        msg = "request body: empty, a JSON object is expected";

    } else if (ngx_strlchr(buf, last, '\0') != NULL) {
        msg = "request body: contains a NUL byte";

    } else if (ngx_http_milvus_cdc_json_depth(buf, last) != NGX_OK) {
        msg = "request body: JSON nested deeper than 16 levels";
    }

    if (msg) {
        err->data = (u_char *) msg;
        err->len = ngx_strlen(msg);
        return NGX_DECLINED;
    }

    text = ngx_pnalloc(pool, len + 1);
    if (text == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(text, buf, len);
    text[len] = '\0';

    errbuf[0] = '\0';

    v = yajl_tree_parse((char *) text, errbuf, sizeof(errbuf));

    if (v == NULL) {

        /*
         * yajl's message is several lines with the text around the error,
         * which may hold invalid UTF-8: keep the first line only
         */

        for (n = 0; n < sizeof(errbuf) && errbuf[n]; n++) {
            if (errbuf[n] == '\n' || (u_char) errbuf[n] >= 0x80) {
                break;
            }
        }

        err->data = ngx_pnalloc(pool, sizeof("request body: invalid JSON: ")
                                      - 1 + n);
        if (err->data == NULL) {
            return NGX_ERROR;
        }

        err->len = ngx_sprintf(err->data, "request body: invalid JSON: %*s",
                               n, errbuf)
                   - err->data;

        while (err->len && (err->data[err->len - 1] == ' '
                            || err->data[err->len - 1] == '.'))
        {
            err->len--;
        }

        return NGX_DECLINED;
    }

    cln = ngx_pool_cleanup_add(pool, 0);
    if (cln == NULL) {
        yajl_tree_free(v);
        return NGX_ERROR;
    }

    cln->handler = ngx_http_milvus_cdc_json_cleanup;
    cln->data = v;

    if (ngx_http_milvus_cdc_json_dups(v, &key) != NGX_OK) {

        if (key == NULL) {
            ngx_str_set(err, "request body: an object has more than 256 "
                             "fields");
            return NGX_DECLINED;
        }

        n = ngx_strlen(key);

        err->data = ngx_pnalloc(pool, sizeof("request body: duplicate key "
                                             "\"\"") - 1 + n);
        if (err->data == NULL) {
            return NGX_ERROR;
        }

        err->len = ngx_sprintf(err->data, "request body: duplicate key \"%s\"",
                               key)
                   - err->data;

        return NGX_DECLINED;
    }

    *root = v;

    return NGX_OK;
}


yajl_val
ngx_http_milvus_cdc_json_get(yajl_val obj, const char *key)
{
    size_t  i;

    if (!YAJL_IS_OBJECT(obj)) {
        return NULL;
    }

    for (i = 0; i < obj->u.object.len; i++) {
        if (ngx_strcmp(obj->u.object.keys[i], key) == 0) {
            return obj->u.object.values[i];
        }
    }

    return NULL;
}


ngx_int_t
ngx_http_milvus_cdc_json_known(ngx_pool_t *pool, yajl_val obj,
    const char *path, const char **known, ngx_str_t *err)
{
    size_t        i;
    const char  **k;

    for (i = 0; i < obj->u.object.len; i++) {

        for (k = known; *k; k++) {
            if (ngx_strcmp(obj->u.object.keys[i], *k) == 0) {
                break;
            }
        }

        if (*k) {
            continue;
        }

        err->data = ngx_pnalloc(pool, ngx_strlen(path)
                                      + ngx_strlen(obj->u.object.keys[i])
                                      + sizeof(": unknown field \"\""));
        if (err->data == NULL) {
            return NGX_ERROR;
        }

        err->len = ngx_sprintf(err->data, "%s: unknown field \"%s\"", path,
                               obj->u.object.keys[i])
                   - err->data;

        return NGX_DECLINED;
    }

    return NGX_OK;
}


yajl_gen
ngx_http_milvus_cdc_json_gen(void)
{
    yajl_gen  g;

    g = yajl_gen_alloc(NULL);
    if (g == NULL) {
        return NULL;
    }

    yajl_gen_config(g, yajl_gen_validate_utf8, 1);

    return g;
}


ngx_int_t
ngx_http_milvus_cdc_json_str(yajl_gen g, const char *s)
{
    return yajl_gen_string(g, (const unsigned char *) s, ngx_strlen(s))
           == yajl_gen_status_ok ? NGX_OK : NGX_ERROR;
}


ngx_int_t
ngx_http_milvus_cdc_json_nstr(yajl_gen g, ngx_str_t *s)
{
    return yajl_gen_string(g, s->data, s->len) == yajl_gen_status_ok
           ? NGX_OK : NGX_ERROR;
}


ngx_int_t
ngx_http_milvus_cdc_json_value(yajl_gen g, yajl_val v)
{
    size_t          i;
    yajl_gen_status  s;

    switch (v->type) {

    case yajl_t_string:
        return ngx_http_milvus_cdc_json_str(g, v->u.string);

    case yajl_t_number:
        s = yajl_gen_number(g, v->u.number.r, ngx_strlen(v->u.number.r));
        break;

    case yajl_t_true:
        s = yajl_gen_bool(g, 1);
        break;

    case yajl_t_false:
        s = yajl_gen_bool(g, 0);
        break;

    case yajl_t_null:
        s = yajl_gen_null(g);
        break;

    case yajl_t_object:
        if (yajl_gen_map_open(g) != yajl_gen_status_ok) {
            return NGX_ERROR;
        }

        for (i = 0; i < v->u.object.len; i++) {
            if (ngx_http_milvus_cdc_json_str(g, v->u.object.keys[i]) != NGX_OK
                || ngx_http_milvus_cdc_json_value(g, v->u.object.values[i])
                   != NGX_OK)
            {
                return NGX_ERROR;
            }
        }

        s = yajl_gen_map_close(g);
        break;

    case yajl_t_array:
        if (yajl_gen_array_open(g) != yajl_gen_status_ok) {
            return NGX_ERROR;
        }

        for (i = 0; i < v->u.array.len; i++) {
            if (ngx_http_milvus_cdc_json_value(g, v->u.array.values[i])
                != NGX_OK)
            {
                return NGX_ERROR;
            }
        }

        s = yajl_gen_array_close(g);
        break;

    default:
        return NGX_ERROR;
    }

    return s == yajl_gen_status_ok ? NGX_OK : NGX_ERROR;
}


ngx_int_t
ngx_http_milvus_cdc_json_raw(yajl_gen g, ngx_str_t *json)
{
    ngx_int_t  rc;
    yajl_val   v;

    v = yajl_tree_parse((char *) json->data, NULL, 0);
    if (v == NULL) {
        return NGX_ERROR;
    }

    rc = ngx_http_milvus_cdc_json_value(g, v);

    yajl_tree_free(v);

    return rc;
}


ngx_int_t
ngx_http_milvus_cdc_json_take(yajl_gen g, ngx_pool_t *pool, ngx_uint_t nl,
    ngx_str_t *out)
{
    size_t                len;
    const unsigned char  *buf;

    if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok) {
        yajl_gen_free(g);
        return NGX_ERROR;
    }

    out->data = ngx_pnalloc(pool, len + 2);
    if (out->data == NULL) {
        yajl_gen_free(g);
        return NGX_ERROR;
    }

    ngx_memcpy(out->data, buf, len);
    out->len = len;

    if (nl) {
        out->data[out->len++] = '\n';
    }

    out->data[out->len] = '\0';

    yajl_gen_free(g);

    return NGX_OK;
}


/* a scan outside strings: how deep do "{" and "[" go */

static ngx_int_t
ngx_http_milvus_cdc_json_depth(u_char *p, u_char *last)
{
    ngx_uint_t  depth, in_string;

    depth = 0;
    in_string = 0;

    for ( /* void */ ; p < last; p++) {

        if (in_string) {
            if (*p == '\\') {
                p++;

            } else if (*p == '"') {
                in_string = 0;
            }

            continue;
        }

        switch (*p) {

        case '"':
            in_string = 1;
            break;

        case '{':
        case '[':
            if (++depth > NGX_HTTP_MILVUS_CDC_JSON_DEPTH) {
                return NGX_DECLINED;
            }
            break;

        case '}':
        case ']':
            if (depth) {
                depth--;
            }
            break;
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_milvus_cdc_json_dups(yajl_val v, const char **key)
{
    size_t  i, j;

    if (YAJL_IS_OBJECT(v)) {
        if (v->u.object.len > NGX_HTTP_MILVUS_CDC_JSON_KEYS) {
            *key = NULL;
            return NGX_DECLINED;
        }

        for (i = 0; i < v->u.object.len; i++) {
            for (j = 0; j < i; j++) {
                if (ngx_strcmp(v->u.object.keys[i], v->u.object.keys[j])
                    == 0)
                {
                    *key = v->u.object.keys[i];
                    return NGX_DECLINED;
                }
            }

            if (ngx_http_milvus_cdc_json_dups(v->u.object.values[i], key)
                != NGX_OK)
            {
                return NGX_DECLINED;
            }
        }

    } else if (YAJL_IS_ARRAY(v)) {
        for (i = 0; i < v->u.array.len; i++) {
            if (ngx_http_milvus_cdc_json_dups(v->u.array.values[i], key)
                != NGX_OK)
            {
                return NGX_DECLINED;
            }
        }
    }

    return NGX_OK;
}


static void
ngx_http_milvus_cdc_json_cleanup(void *data)
{
    yajl_tree_free(data);
}


size_t
ngx_http_milvus_cdc_json_utf8_len(u_char *p, size_t len)
{
    u_char    *q, *last, *start;
    uint32_t   c;

    q = p;
    last = p + len;

    while (q < last) {
        if (*q < 0x80) {
            q++;
            continue;
        }

        start = q;
        c = ngx_utf8_decode(&q, last - q);

        if (c > 0x10ffff) {
            /* cut (or invalid) here: the text ends before it */
            return start - p;
        }
    }

    return len;
}
