
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 */


#ifndef _NGX_HTTP_MILVUS_CDC_JSON_H_INCLUDED_
#define _NGX_HTTP_MILVUS_CDC_JSON_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <yajl/yajl_tree.h>
#include <yajl/yajl_gen.h>


/* deepest nesting of objects and arrays a request may have */
#define NGX_HTTP_MILVUS_CDC_JSON_DEPTH  16

/* most members an object of a request may have */
#define NGX_HTTP_MILVUS_CDC_JSON_KEYS   256


/*
 * Parses a request body with yajl's tree parser.  Refuses, with NGX_DECLINED
 * and a one-line message in "err" (allocated from "pool"): an empty body,
 * NUL bytes, comments, nesting deeper than NGX_HTTP_MILVUS_CDC_JSON_DEPTH
 * (checked by a streaming parse first, so nothing recurses deeper), invalid
 * JSON, a string or key that is not strict UTF-8 (RFC 3629: no surrogates,
 * escaped or encoded, no overlong forms) or holds a NUL ("<path>: not valid
 * UTF-8", e.g. "request_data.task_id: …"), an object with a duplicate key
 * or more than NGX_HTTP_MILVUS_CDC_JSON_KEYS members.  On NGX_OK "*root"
 * is the tree, freed when "pool" is destroyed.  NGX_ERROR on allocation
 * failure.
 */
ngx_int_t ngx_http_milvus_cdc_json_parse(ngx_pool_t *pool, u_char *buf,
    size_t len, yajl_val *root, ngx_str_t *err);

/* the member "key" of object "obj", or NULL (also when obj is no object) */
yajl_val ngx_http_milvus_cdc_json_get(yajl_val obj, const char *key);

/*
 * Checks that every key of object "obj" is in the NULL-terminated list
 * "known".  NGX_OK, or NGX_DECLINED with "err" = "<path>: unknown field
 * \"<key>\"".  NGX_ERROR on allocation failure.
 */
ngx_int_t ngx_http_milvus_cdc_json_known(ngx_pool_t *pool, yajl_val obj,
    const char *path, const char **known, ngx_str_t *err);

/* a new generator that validates UTF-8, or NULL */
yajl_gen ngx_http_milvus_cdc_json_gen(void);

/* writes a NUL-terminated string / an ngx_str_t; NGX_OK or NGX_ERROR */
ngx_int_t ngx_http_milvus_cdc_json_str(yajl_gen g, const char *s);
ngx_int_t ngx_http_milvus_cdc_json_nstr(yajl_gen g, ngx_str_t *s);

/* writes the tree "v" (any JSON value); NGX_OK or NGX_ERROR */
ngx_int_t ngx_http_milvus_cdc_json_value(yajl_gen g, yajl_val v);

/*
 * Writes the JSON text "json" (NUL-terminated, as the store returns it)
 * by parsing it and writing the tree.  NGX_OK or NGX_ERROR.
 */
ngx_int_t ngx_http_milvus_cdc_json_raw(yajl_gen g, ngx_str_t *json);

/*
 * The length of the longest prefix of p[0..len) that is whole, valid
 * UTF-8 (RFC 3629: no overlong forms, no surrogates, at most U+10FFFF).
 */
size_t ngx_http_milvus_cdc_json_utf8_len(u_char *p, size_t len);

/*
 * Replaces, in place, every byte of p[0..len) that is not part of a valid
 * UTF-8 character (as above) by "?".  Returns how many were replaced.
 */
ngx_uint_t ngx_http_milvus_cdc_json_utf8_fix(u_char *p, size_t len);

/*
 * Copies the generator's output into "pool" (NUL-terminated, "nl" adds a
 * final newline) and frees the generator.  NGX_OK or NGX_ERROR.
 */
ngx_int_t ngx_http_milvus_cdc_json_take(yajl_gen g, ngx_pool_t *pool,
    ngx_uint_t nl, ngx_str_t *out);


#endif /* _NGX_HTTP_MILVUS_CDC_JSON_H_INCLUDED_ */
