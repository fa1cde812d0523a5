
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 */


#ifndef _NGX_HTTP_MILVUS_CDC_PB_H_INCLUDED_
#define _NGX_HTTP_MILVUS_CDC_PB_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include <protobuf-c/protobuf-c.h>


/*
 * The protobuf wire format, shared by the two codecs: the WAL message
 * codec (ngx_http_milvus_cdc_msg.h) and the MilvusService codec
 * (ngx_http_milvus_cdc_rpc.h).  They read the few fields they need
 * straight from the bytes (a WAL header, the primary keys of an Insert,
 * the names of a replicate-channel request) without decoding the rest;
 * this file is the one place that checks the bounds of such reads.
 *
 * Encoding (https://protobuf.dev/programming-guides/encoding/): a message
 * is a sequence of fields, each a tag varint (field number << 3 | wire
 * type) and a value: wire type 0 a varint, 1 eight bytes (fixed64,
 * double), 2 a varint length and that many bytes (strings, bytes,
 * embedded messages, packed repeated scalars), 5 four bytes (fixed32,
 * float).  Types 3 and 4 (groups) are not used by Milvus; 6 and 7 do not
 * exist.  A varint is 1 to 10 bytes, 7 bits each, least significant
 * first, the high bit set on every byte but the last.
 *
 * Nothing here allocates but ngx_http_milvus_cdc_pb_pack() (ngx_alloc(),
 * the caller frees with ngx_free()); nothing logs.
 */


#define NGX_HTTP_MILVUS_CDC_PB_VARINT    0
#define NGX_HTTP_MILVUS_CDC_PB_FIXED64   1
#define NGX_HTTP_MILVUS_CDC_PB_BYTES     2
#define NGX_HTTP_MILVUS_CDC_PB_FIXED32   5

/* the longest varint (a 64-bit value), bytes */
#define NGX_HTTP_MILVUS_CDC_PB_VARINT_MAX  10

/* field numbers are 1 .. 2^29 - 1 */
#define NGX_HTTP_MILVUS_CDC_PB_FIELD_MAX   536870911


/*
 * One field as read by ngx_http_milvus_cdc_pb_next():
 *   number  the field number (1 .. NGX_HTTP_MILVUS_CDC_PB_FIELD_MAX);
 *   wire    the wire type (NGX_HTTP_MILVUS_CDC_PB_* above);
 *   value   VARINT: the value; FIXED64, FIXED32: the little-endian value;
 *           BYTES: the length;
 *   bytes   the value's bytes inside the message (VARINT: the varint
 *           itself; BYTES: the payload, without the length), not copied.
 */
typedef struct {
    uint64_t                             number;
    ngx_uint_t                           wire;
    uint64_t                             value;
    ngx_str_t                            bytes;
} ngx_http_milvus_cdc_pb_field_t;


/*
 * Reads the varint at *pos, not past last; on NGX_OK *pos is moved after
 * it.  NGX_ERROR: truncated (no last byte before "last"), longer than 10
 * bytes, or more than 64 bits (a 10th byte above 1), as Go's protowire
 * refuses them; *pos is unchanged.
 */
ngx_int_t ngx_http_milvus_cdc_pb_varint(u_char **pos, u_char *last,
    uint64_t *value);

/*
 * Reads the field at *pos, not past last, into f and moves *pos after it.
 * Returns NGX_OK; NGX_DONE when *pos == last (the end of the message);
 * NGX_ERROR for bytes that are no protobuf: a truncated tag, varint or
 * value, a length past last, field number 0 or above the maximum, wire
 * type 3, 4, 6 or 7.  On NGX_DONE and NGX_ERROR *pos is unchanged.
 */
ngx_int_t ngx_http_milvus_cdc_pb_next(u_char **pos, u_char *last,
    ngx_http_milvus_cdc_pb_field_t *f);

/*
 * Finds the first top-level field "number" of wire type "wire" in data,
 * skipping the fields before it by wire type (the bytes after it are not
 * read).  Returns NGX_OK (f filled), NGX_DECLINED if the message has no
 * such field, NGX_ERROR if the bytes before it are no protobuf.
 */
ngx_int_t ngx_http_milvus_cdc_pb_find(u_char *data, size_t len,
    uint64_t number, ngx_uint_t wire, ngx_http_milvus_cdc_pb_field_t *f);

/*
 * Writes v as a varint at p (at most NGX_HTTP_MILVUS_CDC_PB_VARINT_MAX
 * bytes) and returns the byte after it.
 */
u_char *ngx_http_milvus_cdc_pb_put_varint(u_char *p, uint64_t v);

/*
 * Writes a length-delimited field: tag (number << 3 | 2), the length of
 * s, the bytes of s; returns the byte after it.  The room needed is
 * s->len + 2 * NGX_HTTP_MILVUS_CDC_PB_VARINT_MAX at most.
 */
u_char *ngx_http_milvus_cdc_pb_put_bytes(u_char *p, uint64_t number,
    ngx_str_t *s);

/*
 * Packs a protobuf-c message into out->data, ngx_alloc()ed (at least one
 * byte, even for an all-default message that packs to 0 bytes); the
 * caller frees it with ngx_free().  NGX_OK, or NGX_ERROR (no memory,
 * logged by ngx_alloc() on log).
 */
ngx_int_t ngx_http_milvus_cdc_pb_pack(const ProtobufCMessage *msg,
    ngx_str_t *out, ngx_log_t *log);


#endif /* _NGX_HTTP_MILVUS_CDC_PB_H_INCLUDED_ */
