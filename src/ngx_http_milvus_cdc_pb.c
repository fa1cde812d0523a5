
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_milvus_cdc_pb.h"


ngx_int_t
ngx_http_milvus_cdc_pb_varint(u_char **pos, u_char *last, uint64_t *value)
{
    u_char      *p;
    uint64_t     v;
    ngx_uint_t   i;

    v = 0;
    p = *pos;

    for (i = 0; i < NGX_HTTP_MILVUS_CDC_PB_VARINT_MAX && p < last; i++) {
        v |= (uint64_t) (*p & 0x7f) << (7 * i);

        if (*p++ & 0x80) {
            continue;
        }

        /* the 10th byte holds bit 63 only */

        if (i == NGX_HTTP_MILVUS_CDC_PB_VARINT_MAX - 1 && p[-1] > 1) {
            return NGX_ERROR;
        }

        *pos = p;
        *value = v;

        return NGX_OK;
    }

    return NGX_ERROR;
}


ngx_int_t
ngx_http_milvus_cdc_pb_next(u_char **pos, u_char *last,
    ngx_http_milvus_cdc_pb_field_t *f)
{
    u_char      *p, *start;
    uint64_t     tag;
    ngx_uint_t   i, size;

    p = *pos;

    if (p == last) {
        return NGX_DONE;
    }

    if (ngx_http_milvus_cdc_pb_varint(&p, last, &tag) != NGX_OK) {
        return NGX_ERROR;
    }

    f->number = tag >> 3;
    f->wire = (ngx_uint_t) (tag & 7);

    if (f->number == 0 || f->number > NGX_HTTP_MILVUS_CDC_PB_FIELD_MAX) {
        return NGX_ERROR;
    }

    start = p;

    switch (f->wire) {

    case NGX_HTTP_MILVUS_CDC_PB_VARINT:
        if (ngx_http_milvus_cdc_pb_varint(&p, last, &f->value) != NGX_OK) {
            return NGX_ERROR;
        }

        break;

    case NGX_HTTP_MILVUS_CDC_PB_FIXED64:
    case NGX_HTTP_MILVUS_CDC_PB_FIXED32:
        size = (f->wire == NGX_HTTP_MILVUS_CDC_PB_FIXED64) ? 8 : 4;

        if ((size_t) (last - p) < size) {
            return NGX_ERROR;
        }

        f->value = 0;

        for (i = 0; i < size; i++) {
            f->value |= (uint64_t) p[i] << (8 * i);
        }

        p += size;
        break;

    case NGX_HTTP_MILVUS_CDC_PB_BYTES:
        if (ngx_http_milvus_cdc_pb_varint(&p, last, &f->value) != NGX_OK
            || f->value > (uint64_t) (last - p))
        {
            return NGX_ERROR;
        }

        start = p;
        p += f->value;
        break;

    default:
        /* groups (3, 4) are not used by Milvus, 6 and 7 are invalid */
        return NGX_ERROR;
    }

    f->bytes.data = start;
    f->bytes.len = p - start;

    *pos = p;

    return NGX_OK;
}


ngx_int_t
ngx_http_milvus_cdc_pb_find(u_char *data, size_t len, uint64_t number,
    ngx_uint_t wire, ngx_http_milvus_cdc_pb_field_t *f)
{
    u_char     *p, *last;
    ngx_int_t   rc;

    p = data;
    last = data + len;

    for ( ;; ) {
        rc = ngx_http_milvus_cdc_pb_next(&p, last, f);

        if (rc == NGX_DONE) {
            return NGX_DECLINED;
        }

        if (rc != NGX_OK) {
            return NGX_ERROR;
        }

        if (f->number == number && f->wire == wire) {
            return NGX_OK;
        }
    }
}


u_char *
ngx_http_milvus_cdc_pb_put_varint(u_char *p, uint64_t v)
{
    for ( /* void */ ; v >= 0x80; v >>= 7) {
        *p++ = (u_char) (v | 0x80);
    }

    *p++ = (u_char) v;

    return p;
}


u_char *
ngx_http_milvus_cdc_pb_put_bytes(u_char *p, uint64_t number, ngx_str_t *s)
{
    p = ngx_http_milvus_cdc_pb_put_varint(p,
                                  (number << 3) | NGX_HTTP_MILVUS_CDC_PB_BYTES);
    p = ngx_http_milvus_cdc_pb_put_varint(p, s->len);

    return ngx_cpymem(p, s->data, s->len);
}


ngx_int_t
ngx_http_milvus_cdc_pb_pack(const ProtobufCMessage *msg, ngx_str_t *out,
    ngx_log_t *log)
{
    size_t   size;
    u_char  *buf;

    size = protobuf_c_message_get_packed_size(msg);

    /* ngx_alloc(0) may return NULL: an all-default message packs to 0 */
    buf = ngx_alloc(size ? size : 1, log);
    if (buf == NULL) {
        return NGX_ERROR;
    }

    out->len = protobuf_c_message_pack(msg, buf);
    out->data = buf;

    return NGX_OK;
}
