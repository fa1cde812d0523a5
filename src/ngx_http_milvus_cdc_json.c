
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 *
 * JSON in and out with yajl: strict request parsing and tree copying.
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include <yajl/yajl_parse.h>

#include "ngx_http_milvus_cdc_json.h"


/* the longest part of a key a path in a message shows, in bytes */
#define NGX_HTTP_MILVUS_CDC_JSON_PATH_KEY  64


/* one open object or array of the scan */
typedef struct {
    ngx_uint_t                       array;
    ngx_uint_t                       index;
    size_t                           key_len;
    u_char                           key[NGX_HTTP_MILVUS_CDC_JSON_PATH_KEY];
} ngx_http_milvus_cdc_json_level_t;


typedef struct {
    ngx_pool_t                      *pool;
    ngx_str_t                       *err;
    ngx_int_t                        rc;
    yajl_handle                      handle;
    u_char                          *text;
    size_t                           last;
    ngx_uint_t                       depth;
    ngx_http_milvus_cdc_json_level_t level[NGX_HTTP_MILVUS_CDC_JSON_DEPTH + 1];
} ngx_http_milvus_cdc_json_scan_t;


static ngx_int_t ngx_http_milvus_cdc_json_scan(ngx_pool_t *pool, u_char *buf,
    size_t len, ngx_str_t *err);
static int ngx_http_milvus_cdc_json_scan_null(void *ctx);
static int ngx_http_milvus_cdc_json_scan_boolean(void *ctx, int v);
static int ngx_http_milvus_cdc_json_scan_number(void *ctx, const char *s,
    size_t len);
static int ngx_http_milvus_cdc_json_scan_string(void *ctx,
    const unsigned char *s, size_t len);
static int ngx_http_milvus_cdc_json_scan_key(void *ctx,
    const unsigned char *s, size_t len);
static int ngx_http_milvus_cdc_json_scan_open(void *ctx);
static int ngx_http_milvus_cdc_json_scan_open_array(void *ctx);
static int ngx_http_milvus_cdc_json_scan_close(void *ctx);
static void ngx_http_milvus_cdc_json_scan_value(
    ngx_http_milvus_cdc_json_scan_t *sc);
static const char *ngx_http_milvus_cdc_json_scan_text(
    ngx_http_milvus_cdc_json_scan_t *sc, const unsigned char *s, size_t len);
static int ngx_http_milvus_cdc_json_scan_fail(
    ngx_http_milvus_cdc_json_scan_t *sc, ngx_uint_t depth, const char *what);
static ngx_int_t ngx_http_milvus_cdc_json_yajl_error(ngx_pool_t *pool,
    const char *msg, ngx_str_t *err);
static size_t ngx_http_milvus_cdc_json_utf8_char(u_char *p, u_char *last);
static ngx_int_t ngx_http_milvus_cdc_json_dups(yajl_val v, const char **key);
static int ngx_http_milvus_cdc_json_key_cmp(const void *a, const void *b);
static void ngx_http_milvus_cdc_json_cleanup(void *data);


static yajl_callbacks  ngx_http_milvus_cdc_json_scan_callbacks = {
    ngx_http_milvus_cdc_json_scan_null,
    ngx_http_milvus_cdc_json_scan_boolean,
    NULL,
    NULL,
    ngx_http_milvus_cdc_json_scan_number,
    ngx_http_milvus_cdc_json_scan_string,
    ngx_http_milvus_cdc_json_scan_open,
    ngx_http_milvus_cdc_json_scan_key,
    ngx_http_milvus_cdc_json_scan_close,
    ngx_http_milvus_cdc_json_scan_open_array,
    ngx_http_milvus_cdc_json_scan_close
};


ngx_int_t
ngx_http_milvus_cdc_json_parse(ngx_pool_t *pool, u_char *buf, size_t len,
    yajl_val *root, ngx_str_t *err)
{
    u_char              *text, *p, *last;
    size_t               n;
    yajl_val             v;
    ngx_int_t            rc;
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
    }

    if (msg) {
        err->data = (u_char *) msg;
        err->len = ngx_strlen(msg);
        return NGX_DECLINED;
    }

    /*
     * the tree parser accepts comments, recurses when freeing and decodes
     * what is not UTF-8: a streaming parse refuses them first
     */

    rc = ngx_http_milvus_cdc_json_scan(pool, buf, len, err);
    if (rc != NGX_OK) {
        return rc;
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
        errbuf[sizeof(errbuf) - 1] = '\0';
        return ngx_http_milvus_cdc_json_yajl_error(pool, errbuf, err);
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


/*
 * A streaming parse of the whole body without building a tree: refuses
 * comments (yajl's default), nesting deeper than
 * NGX_HTTP_MILVUS_CDC_JSON_DEPTH (yajl's own stack is on the heap) and
 * strings or keys that are not strict UTF-8 or hold a NUL, naming where.
 */

static ngx_int_t
ngx_http_milvus_cdc_json_scan(ngx_pool_t *pool, u_char *buf, size_t len,
    ngx_str_t *err)
{
    ngx_int_t                         rc;
    yajl_handle                       h;
    yajl_status                       st;
    unsigned char                    *msg;
    ngx_http_milvus_cdc_json_scan_t   sc;

    ngx_memzero(&sc, sizeof(ngx_http_milvus_cdc_json_scan_t));

    sc.pool = pool;
    sc.err = err;
    sc.rc = NGX_OK;
    sc.text = buf;

    h = yajl_alloc(&ngx_http_milvus_cdc_json_scan_callbacks, NULL, &sc);
    if (h == NULL) {
        return NGX_ERROR;
    }

    sc.handle = h;

    st = yajl_parse(h, buf, len);

    if (st == yajl_status_ok) {
        st = yajl_complete_parse(h);
    }

    switch (st) {

    case yajl_status_ok:
        rc = NGX_OK;
        break;

    case yajl_status_client_canceled:
        rc = sc.rc;
        break;

    default:
        msg = yajl_get_error(h, 0, buf, len);
        rc = ngx_http_milvus_cdc_json_yajl_error(pool,
                                                 msg ? (char *) msg : "",
                                                 err);
        if (msg) {
            yajl_free_error(h, msg);
        }

        break;
    }

    yajl_free(h);

    return rc;
}


static int
ngx_http_milvus_cdc_json_scan_null(void *ctx)
{
    ngx_http_milvus_cdc_json_scan_value(ctx);
    return 1;
}


static int
ngx_http_milvus_cdc_json_scan_boolean(void *ctx, int v)
{
    ngx_http_milvus_cdc_json_scan_value(ctx);
    return 1;
}


static int
ngx_http_milvus_cdc_json_scan_number(void *ctx, const char *s, size_t len)
{
    ngx_http_milvus_cdc_json_scan_value(ctx);
    return 1;
}


static int
ngx_http_milvus_cdc_json_scan_string(void *ctx, const unsigned char *s,
    size_t len)
{
    const char                       *bad;
    ngx_http_milvus_cdc_json_scan_t  *sc = ctx;

    ngx_http_milvus_cdc_json_scan_value(sc);

    bad = ngx_http_milvus_cdc_json_scan_text(sc, s, len);
    if (bad) {
        return ngx_http_milvus_cdc_json_scan_fail(sc, sc->depth, bad);
    }

    return 1;
}


static int
ngx_http_milvus_cdc_json_scan_key(void *ctx, const unsigned char *s,
    size_t len)
{
    size_t                             n;
    const char                        *bad;
    ngx_http_milvus_cdc_json_level_t  *lv;
    ngx_http_milvus_cdc_json_scan_t   *sc = ctx;

    lv = &sc->level[sc->depth];
    lv->key_len = 0;

    bad = ngx_http_milvus_cdc_json_scan_text(sc, s, len);
    if (bad) {
        return ngx_http_milvus_cdc_json_scan_fail(sc, sc->depth - 1,
                   ngx_strcmp(bad, "not valid UTF-8") == 0
                   ? "a field name is not valid UTF-8"
                   : "a field name contains a NUL character");
    }

    /* what a message shows of the key: whole characters */

    n = ngx_min(len, NGX_HTTP_MILVUS_CDC_JSON_PATH_KEY);
    n = ngx_http_milvus_cdc_json_utf8_len((u_char *) s, n);

    ngx_memcpy(lv->key, s, n);
    lv->key_len = n;

    return 1;
}


static int
ngx_http_milvus_cdc_json_scan_open(void *ctx)
{
    ngx_http_milvus_cdc_json_scan_t  *sc = ctx;

    ngx_http_milvus_cdc_json_scan_value(sc);

    if (sc->depth == NGX_HTTP_MILVUS_CDC_JSON_DEPTH) {
        ngx_str_set(sc->err, "request body: JSON nested deeper than 16 "
                             "levels");
        sc->rc = NGX_DECLINED;
        return 0;
    }

    sc->depth++;
    sc->level[sc->depth].array = 0;
    sc->level[sc->depth].index = 0;
    sc->level[sc->depth].key_len = 0;

    return 1;
}


static int
ngx_http_milvus_cdc_json_scan_open_array(void *ctx)
{
    ngx_http_milvus_cdc_json_scan_t  *sc = ctx;

    if (!ngx_http_milvus_cdc_json_scan_open(sc)) {
        return 0;
    }

    sc->level[sc->depth].array = 1;

    return 1;
}


static int
ngx_http_milvus_cdc_json_scan_close(void *ctx)
{
    ngx_http_milvus_cdc_json_scan_t  *sc = ctx;

    if (sc->depth) {
        sc->depth--;
    }

    return 1;
}


/* a value begins: it is the next element of the enclosing array */

static void
ngx_http_milvus_cdc_json_scan_value(ngx_http_milvus_cdc_json_scan_t *sc)
{
    if (sc->depth && sc->level[sc->depth].array) {
        sc->level[sc->depth].index++;
    }
}


/*
 * Checks a string or key: its text as written (between the quotes before
 * the parser's position: escapes are checked before yajl decodes them,
 * which turns "\ud800\u0041" into U+10041), or else the decoded bytes.
 * NULL, or what is wrong.
 */

static const char *
ngx_http_milvus_cdc_json_scan_text(ngx_http_milvus_cdc_json_scan_t *sc,
    const unsigned char *s, size_t len)
{
    size_t      n, end;
    u_char     *p, *last;
    ngx_uint_t  c;

    end = yajl_get_bytes_consumed(sc->handle);

    p = NULL;

    if (end > sc->last && end >= 2 && sc->text[end - 1] == '"') {
        p = ngx_strlchr(sc->text + sc->last, sc->text + end - 1, '"');
    }

    sc->last = end;

    if (p == NULL) {
        p = (u_char *) s;
        last = p + len;

        if (ngx_http_milvus_cdc_json_utf8_len(p, len) != len) {
            return "not valid UTF-8";
        }

        return ngx_strlchr(p, last, '\0') ? "contains a NUL character"
                                            : NULL;
    }

    last = sc->text + end - 1;

    for (p++; p < last; /* void */) {

        if (*p == '\\') {
            if (p + 1 < last && p[1] == 'u' && p + 6 <= last) {
                c = ngx_hextoi(p + 2, 4);
                p += 6;

                if (c == 0) {
                    return "contains a NUL character";
                }

                if (c >= 0xdc00 && c <= 0xdfff) {
                    return "not valid UTF-8";
                }

                if (c >= 0xd800 && c <= 0xdbff) {
                    if (p + 6 > last || p[0] != '\\' || p[1] != 'u') {
                        return "not valid UTF-8";
                    }

                    c = ngx_hextoi(p + 2, 4);

                    if (c < 0xdc00 || c > 0xdfff) {
                        return "not valid UTF-8";
                    }

                    p += 6;
                }

                continue;
            }

            p += 2;
            continue;
        }

        n = ngx_http_milvus_cdc_json_utf8_char(p, last);
        if (n == 0) {
            return "not valid UTF-8";
        }

        p += n;
    }

    return NULL;
}


/*
 * "<path>: <what>", the path of the value at "depth": "request_data.
 * collection_infos[0].name"; "request body" at the top
 */

static int
ngx_http_milvus_cdc_json_scan_fail(ngx_http_milvus_cdc_json_scan_t *sc,
    ngx_uint_t depth, const char *what)
{
    u_char                            *p, *last;
    ngx_uint_t                         i;
    ngx_http_milvus_cdc_json_level_t  *lv;
    u_char                             buf[NGX_HTTP_MILVUS_CDC_JSON_DEPTH
                                           * (NGX_HTTP_MILVUS_CDC_JSON_PATH_KEY
                                              + NGX_INT_T_LEN + 3) + 128];

    p = buf;
    last = buf + sizeof(buf);

    for (i = 1; i <= depth; i++) {
        lv = &sc->level[i];

        if (lv->array) {
            p = ngx_slprintf(p, last, "[%ui]", lv->index ? lv->index - 1 : 0);

        } else {
            p = ngx_slprintf(p, last, "%s%*s", p == buf ? "" : ".",
                             lv->key_len, lv->key);
        }
    }

    if (p == buf) {
        p = ngx_slprintf(p, last, "request body");
    }

    p = ngx_slprintf(p, last, ": %s", what);

    sc->err->len = p - buf;
    sc->err->data = ngx_pnalloc(sc->pool, sc->err->len);

    if (sc->err->data == NULL) {
        sc->rc = NGX_ERROR;
        return 0;
    }

    ngx_memcpy(sc->err->data, buf, sc->err->len);

    sc->rc = NGX_DECLINED;

    return 0;
}


/*
 * yajl's message: its first line only (a verbose one goes on with the text
 * around the error, which may not be UTF-8)
 */

static ngx_int_t
ngx_http_milvus_cdc_json_yajl_error(ngx_pool_t *pool, const char *msg,
    ngx_str_t *err)
{
    size_t  n;

    for (n = 0; msg[n]; n++) {
        if (msg[n] == '\n' || (u_char) msg[n] >= 0x80) {
            break;
        }
    }

    err->data = ngx_pnalloc(pool, sizeof("request body: invalid JSON: ") - 1
                                  + n);
    if (err->data == NULL) {
        return NGX_ERROR;
    }

    err->len = ngx_sprintf(err->data, "request body: invalid JSON: %*s", n,
                           msg)
               - err->data;

    while (err->len && (err->data[err->len - 1] == ' '
                        || err->data[err->len - 1] == '.'))
    {
        err->len--;
    }

    return NGX_DECLINED;
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


/*
 * Duplicate keys and the member limit, in every object of the tree.  The
 * recursion is as deep as the tree, which the scan bounded by
 * NGX_HTTP_MILVUS_CDC_JSON_DEPTH; each object's keys are sorted, not
 * compared pairwise.
 */

static ngx_int_t
ngx_http_milvus_cdc_json_dups(yajl_val v, const char **key)
{
    size_t       i, n;
    yajl_val    *values;
    const char  *keys[NGX_HTTP_MILVUS_CDC_JSON_KEYS];

    if (YAJL_IS_OBJECT(v)) {
        n = v->u.object.len;

        if (n > NGX_HTTP_MILVUS_CDC_JSON_KEYS) {
            *key = NULL;
            return NGX_DECLINED;
        }

        for (i = 0; i < n; i++) {
            keys[i] = v->u.object.keys[i];
        }

        qsort(keys, n, sizeof(const char *),
              ngx_http_milvus_cdc_json_key_cmp);

        for (i = 1; i < n; i++) {
            if (ngx_strcmp(keys[i - 1], keys[i]) == 0) {
                *key = keys[i];
                return NGX_DECLINED;
            }
        }

        values = v->u.object.values;

    } else if (YAJL_IS_ARRAY(v)) {
        n = v->u.array.len;
        values = v->u.array.values;

    } else {
        return NGX_OK;
    }

    for (i = 0; i < n; i++) {
        if (ngx_http_milvus_cdc_json_dups(values[i], key) != NGX_OK) {
            return NGX_DECLINED;
        }
    }

    return NGX_OK;
}


static int
ngx_http_milvus_cdc_json_key_cmp(const void *a, const void *b)
{
    return ngx_strcmp(*(const char **) a, *(const char **) b);
}


static void
ngx_http_milvus_cdc_json_cleanup(void *data)
{
    yajl_tree_free(data);
}


size_t
ngx_http_milvus_cdc_json_utf8_len(u_char *p, size_t len)
{
    size_t   n;
    u_char  *q, *last;

    q = p;
    last = p + len;

    while (q < last) {
        n = ngx_http_milvus_cdc_json_utf8_char(q, last);

        if (n == 0) {
            return q - p;
        }

        q += n;
    }

    return len;
}


ngx_uint_t
ngx_http_milvus_cdc_json_utf8_fix(u_char *p, size_t len)
{
    size_t      n;
    u_char     *last;
    ngx_uint_t  fixed;

    last = p + len;
    fixed = 0;

    while (p < last) {
        n = ngx_http_milvus_cdc_json_utf8_char(p, last);

        if (n == 0) {
            *p++ = '?';
            fixed++;
            continue;
        }

        p += n;
    }

    return fixed;
}


/*
 * The length of the UTF-8 character at p, or 0 when it is not one (RFC
 * 3629: no overlong forms, no surrogates, nothing above U+10FFFF, not cut
 * by "last")
 */

static size_t
ngx_http_milvus_cdc_json_utf8_char(u_char *p, u_char *last)
{
    u_char  c, lo, hi;
    size_t  n, i;

    c = *p;

    if (c < 0x80) {
        return 1;
    }

    lo = 0x80;
    hi = 0xbf;

    if (c < 0xc2) {
        return 0;

    } else if (c < 0xe0) {
        n = 2;

    } else if (c < 0xf0) {
        n = 3;

        if (c == 0xe0) {
            lo = 0xa0;

        } else if (c == 0xed) {
            hi = 0x9f;
        }

    } else if (c < 0xf5) {
        n = 4;

        if (c == 0xf0) {
            lo = 0x90;

        } else if (c == 0xf4) {
            hi = 0x8f;
        }

    } else {
        return 0;
    }

    if ((size_t) (last - p) < n || p[1] < lo || p[1] > hi) {
        return 0;
    }

    for (i = 2; i < n; i++) {
        if (p[i] < 0x80 || p[i] > 0xbf) {
            return 0;
        }
    }

    return n;
}
