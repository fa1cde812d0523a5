
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 *
 * Unit tests of src/ngx_http_milvus_cdc_pb.c, the protobuf wire walker
 * both codecs read bytes with: varints (the longest, one byte too many,
 * more than 64 bits, truncated), fields of each wire type, truncated
 * values, lengths past the end, wire types and field numbers that do not
 * exist; a position that does not move on an error; writing varints and
 * length-delimited fields back.
 *
 * Linked with: -lprotobuf-c
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_milvus_cdc_pb.h"
#include "unit.h"
#include "unit_alloc.h"


#define B(s)  (u_char *) (s), sizeof(s) - 1


static ngx_int_t
varint(u_char *data, size_t len, uint64_t *v, size_t *used)
{
    u_char     *p;
    ngx_int_t   rc;

    p = data;
    *v = 0xdead;

    rc = ngx_http_milvus_cdc_pb_varint(&p, data + len, v);
    *used = p - data;

    return rc;
}


static void
test_varint(void)
{
    size_t    used;
    uint64_t  v;

    ngx_unit_is(varint(B("\x00"), &v, &used), NGX_OK, "varint 0");
    ngx_unit_is(v, 0, "... is 0");
    ngx_unit_is(used, 1, "... one byte");

    ngx_unit_is(varint(B("\xac\x02rest"), &v, &used), NGX_OK, "varint 300");
    ngx_unit_is(v, 300, "... is 300");
    ngx_unit_is(used, 2, "... two bytes, the rest not read");

    ngx_unit_is(varint(B("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"),
                       &v, &used),
                NGX_OK, "the longest varint: 10 bytes");
    ngx_unit_ok(v == UINT64_MAX, "... is 2^64 - 1");
    ngx_unit_is(used, 10, "... ten bytes");

    ngx_unit_is(varint(B("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02"),
                       &v, &used),
                NGX_ERROR, "a 10th byte above 1: more than 64 bits");

    ngx_unit_is(varint(B("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x00"),
                       &v, &used),
                NGX_ERROR, "overlong: 11 bytes");
    ngx_unit_is(used, 0, "... the position does not move");
    ngx_unit_is(v, 0xdead, "... nor the value");

    ngx_unit_is(varint(B("\xac"), &v, &used), NGX_ERROR,
                "truncated: the last byte has the continuation bit");
    ngx_unit_is(used, 0, "... the position does not move");

    ngx_unit_is(varint((u_char *) "", 0, &v, &used), NGX_ERROR,
                "no byte at all");
}


static ngx_int_t
next(u_char *data, size_t len, ngx_http_milvus_cdc_pb_field_t *f,
    size_t *used)
{
    u_char     *p;
    ngx_int_t   rc;

    p = data;
    ngx_memzero(f, sizeof(ngx_http_milvus_cdc_pb_field_t));

    rc = ngx_http_milvus_cdc_pb_next(&p, data + len, f);
    *used = p - data;

    return rc;
}


static void
test_next(void)
{
    size_t                          used;
    ngx_http_milvus_cdc_pb_field_t  f;

    ngx_unit_is(next(B("\x08\x96\x01"), &f, &used), NGX_OK,
                "field 1 varint 150");
    ngx_unit_ok(f.number == 1 && f.wire == 0 && f.value == 150,
                "... number 1, wire 0, value 150");
    ngx_unit_ok(f.bytes.len == 2 && f.bytes.data[0] == 0x96,
                "... bytes: the varint");
    ngx_unit_is(used, 3, "... three bytes");

    ngx_unit_is(next(B("\x12\x03" "abc" "\x18\x01"), &f, &used), NGX_OK,
                "field 2 length-delimited \"abc\"");
    ngx_unit_ok(f.number == 2 && f.wire == 2 && f.value == 3
                && f.bytes.len == 3 && ngx_strncmp(f.bytes.data, "abc", 3)
                                       == 0,
                "... the payload without its length");
    ngx_unit_is(used, 5, "... the next field not read");

    ngx_unit_is(next(B("\x19\x01\x02\x03\x04\x05\x06\x07\x08"), &f, &used),
                NGX_OK, "field 3 fixed64");
    ngx_unit_ok(f.value == 0x0807060504030201ULL && f.bytes.len == 8,
                "... little-endian value, eight bytes");

    ngx_unit_is(next(B("\x25\x01\x02\x03\x04"), &f, &used), NGX_OK,
                "field 4 fixed32");
    ngx_unit_ok(f.value == 0x04030201 && f.bytes.len == 4 && used == 5,
                "... little-endian value, four bytes");

    ngx_unit_is(next(B("\xf8\xff\xff\xff\x0f\x00"), &f, &used), NGX_OK,
                "the largest field number, 2^29 - 1");
    ngx_unit_is(f.number, NGX_HTTP_MILVUS_CDC_PB_FIELD_MAX, "... read");

    ngx_unit_is(next((u_char *) "", 0, &f, &used), NGX_DONE,
                "the end of the message: NGX_DONE");

    /* bytes that are no protobuf; the position never moves */

    ngx_unit_is(next(B("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01\x00"),
                     &f, &used),
                NGX_ERROR, "an overlong tag");
    ngx_unit_is(next(B("\x88"), &f, &used), NGX_ERROR, "a truncated tag");
    ngx_unit_is(next(B("\x08"), &f, &used), NGX_ERROR,
                "a tag without its varint");
    ngx_unit_is(next(B("\x08\x96"), &f, &used), NGX_ERROR,
                "a truncated varint value");
    ngx_unit_is(next(B("\x12\x04" "abc"), &f, &used), NGX_ERROR,
                "a length one byte past the end");
    ngx_unit_is(used, 0, "... the position does not move");
    ngx_unit_is(next(B("\x12\xff\xff\xff\xff\xff\xff\xff\xff\x7f" "abc"),
                     &f, &used),
                NGX_ERROR, "a length near 2^63 (no pointer overflow)");
    ngx_unit_is(next(B("\x12"), &f, &used), NGX_ERROR,
                "a length-delimited field without its length");
    ngx_unit_is(next(B("\x19\x01\x02\x03\x04\x05\x06\x07"), &f, &used),
                NGX_ERROR, "a fixed64 of seven bytes");
    ngx_unit_is(next(B("\x25\x01\x02\x03"), &f, &used), NGX_ERROR,
                "a fixed32 of three bytes");
    ngx_unit_is(next(B("\x0b\x0c"), &f, &used), NGX_ERROR,
                "wire type 3 (start group)");
    ngx_unit_is(next(B("\x0c"), &f, &used), NGX_ERROR,
                "wire type 4 (end group)");
    ngx_unit_is(next(B("\x0e\x00"), &f, &used), NGX_ERROR, "wire type 6");
    ngx_unit_is(next(B("\x0f\x00"), &f, &used), NGX_ERROR, "wire type 7");
    ngx_unit_is(next(B("\x00\x00"), &f, &used), NGX_ERROR,
                "field number 0");
    ngx_unit_is(next(B("\x80\x80\x80\x80\x10\x00"), &f, &used), NGX_ERROR,
                "field number 2^29, above the largest");
    ngx_unit_is(used, 0, "... the position does not move");
}


static void
test_find(void)
{
    ngx_http_milvus_cdc_pb_field_t  f;

    /* field 2 varint, field 1 varint, field 1 bytes "base", garbage */

    ngx_unit_is(ngx_http_milvus_cdc_pb_find(B("\x10\x05\x08\x07\x0a\x04"
                                              "base\xff"),
                                            1, NGX_HTTP_MILVUS_CDC_PB_BYTES,
                                            &f),
                NGX_OK,
                "the first field 1 of wire type 2, after others");
    ngx_unit_ok(f.bytes.len == 4 && ngx_strncmp(f.bytes.data, "base", 4)
                                    == 0,
                "... its bytes; what follows it is not read");

    ngx_unit_is(ngx_http_milvus_cdc_pb_find(B("\x10\x05\x08\x07"), 1,
                                            NGX_HTTP_MILVUS_CDC_PB_BYTES, &f),
                NGX_DECLINED, "no such field: NGX_DECLINED");

    ngx_unit_is(ngx_http_milvus_cdc_pb_find(B("\x10\x05\x0b\x0a\x01x"), 1,
                                            NGX_HTTP_MILVUS_CDC_PB_BYTES, &f),
                NGX_ERROR, "no protobuf before it: NGX_ERROR");

    ngx_unit_is(ngx_http_milvus_cdc_pb_find(B("\x10"), 1,
                                            NGX_HTTP_MILVUS_CDC_PB_BYTES, &f),
                NGX_ERROR, "a truncated field before it: NGX_ERROR");
}


static void
test_put(void)
{
    u_char                          buf[64], *p, *last;
    size_t                          i, used;
    uint64_t                        v;
    ngx_str_t                       s;
    ngx_http_milvus_cdc_pb_field_t  f;
    static uint64_t                 values[] = {
        0, 1, 127, 128, 300, 16383, 16384, 0xffffffffULL,
        0x8000000000000000ULL, UINT64_MAX
    };
    static size_t                   sizes[] = {
        1, 1, 1, 2, 2, 2, 3, 5, 10, 10
    };

    for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        last = ngx_http_milvus_cdc_pb_put_varint(buf, values[i]);

        ngx_unit_ok(varint(buf, last - buf, &v, &used) == NGX_OK
                    && v == values[i] && used == sizes[i]
                    && (size_t) (last - buf) == sizes[i],
                    "varint %llu written in %d bytes and read back",
                    (unsigned long long) values[i], (int) sizes[i]);
    }

    ngx_str_set(&s, "partition");

    last = ngx_http_milvus_cdc_pb_put_bytes(buf, 4, &s);
    ngx_unit_ok(last - buf == 11 && buf[0] == 0x22 && buf[1] == 9,
                "a length-delimited field: tag 0x22, length 9, the bytes");

    p = buf;
    ngx_unit_ok(ngx_http_milvus_cdc_pb_next(&p, last, &f) == NGX_OK
                && f.number == 4 && f.bytes.len == 9 && p == last,
                "... read back");

    s.len = 0;
    last = ngx_http_milvus_cdc_pb_put_bytes(buf, 3, &s);
    ngx_unit_ok(last - buf == 2 && buf[0] == 0x1a && buf[1] == 0,
                "an empty one: tag and length 0");
}


int
main(void)
{
    test_varint();
    test_next();
    test_find();
    test_put();

    return ngx_unit_done();
}
