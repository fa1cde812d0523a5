
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 *
 * Unit tests of the task model (src/ngx_http_milvus_cdc_task.c with its
 * task_scope.c and task_connect.c): the scope matcher (wildcards in the
 * database and the collection, both sides), the validation of
 * collection_infos[].positions down to the MsgPosition (good, the wrong
 * channel, not base64, not a MsgPosition, a msgID of the wrong length,
 * two collections in one list, a key that is no vchannel) and the parser
 * of a stored task's positions.
 *
 * unit-link: src/ngx_http_milvus_cdc_task_scope.c
 * unit-link: src/ngx_http_milvus_cdc_task_connect.c
 * unit-link: src/ngx_http_milvus_cdc_json.c
 * unit-link: src/ngx_http_milvus_cdc_kafka.c
 * unit-link: proto/gen/milvus_cdc_msg.pb-c.c
 * unit-link: proto/gen/milvus_cdc_common.pb-c.c
 * unit-link: proto/gen/milvus_cdc_schema.pb-c.c
 * unit-link: t/unit/ngx_core_stub.c
 * unit-link: -lyajl -lprotobuf-c -lrdkafka
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <stdlib.h>

#include "ngx_http_milvus_cdc_json.h"
#include "ngx_http_milvus_cdc_kafka.h"
#include "ngx_http_milvus_cdc_task.h"
#include "milvus_cdc_msg.pb-c.h"
#include "unit.h"


#define VCH0   "by-dev-rootcoord-dml_0_449v0"
#define VCH1   "by-dev-rootcoord-dml_1_449v1"
#define PCH0   "by-dev-rootcoord-dml_0"
#define PCH1   "by-dev-rootcoord-dml_1"
#define POS    "request_data.collection_infos[0].positions."

#define REQ(infos)                                                           \
    "{\"milvus_connect_param\": {\"uri\": \"http://127.0.0.1:19530\"},"      \
    " \"collection_infos\": " infos "}"


void ngx_encode_base64(ngx_str_t *dst, ngx_str_t *src);


static ngx_pool_t  *pool;


/* base64 of a msgpb.MsgPosition; NUL-terminated, from malloc */

static char *
position(const char *channel, int64_t offset, size_t idlen, uint64_t ts)
{
    u_char                           id[16], *packed;
    ngx_str_t                        src, dst;
    Milvus__Proto__Msg__MsgPosition  mp = MILVUS__PROTO__MSG__MSG_POSITION__INIT;

    ngx_memzero(id, sizeof(id));
    ngx_http_milvus_cdc_kafka_offset_to_msgid(offset, id);

    mp.channel_name = (char *) channel;
    mp.msgid.data = id;
    mp.msgid.len = idlen;
    mp.msggroup = "cdc";
    mp.timestamp = ts;

    src.len = milvus__proto__msg__msg_position__get_packed_size(&mp);
    packed = malloc(src.len);
    milvus__proto__msg__msg_position__pack(&mp, packed);
    src.data = packed;

    dst.data = malloc(ngx_base64_encoded_length(src.len) + 1);
    ngx_encode_base64(&dst, &src);
    dst.data[dst.len] = '\0';
    free(packed);

    return (char *) dst.data;
}


static char *
cat(const char *fmt, ...)
{
    char     *p;
    va_list   args;

    p = malloc(8192);

    va_start(args, fmt);
    vsnprintf(p, 8192, fmt, args);
    va_end(args);

    return p;
}


/* task_parse() of request_data "json"; the refusal's message in "err" */

static ngx_int_t
parse(const char *json, ngx_http_milvus_cdc_task_t *task, ngx_str_t *err)
{
    yajl_val   root;
    ngx_str_t  perr;

    ngx_str_null(err);

    if (ngx_http_milvus_cdc_json_parse(pool, (u_char *) json,
                                       ngx_strlen(json), &root, &perr)
        != NGX_OK)
    {
        printf("# the test's JSON does not parse: %.*s\n", (int) perr.len,
               perr.data);
        return NGX_ERROR;
    }

    return ngx_http_milvus_cdc_task_parse(pool, root, task, err);
}


static int
str_is(ngx_str_t *s, const char *want)
{
    if (s->len == ngx_strlen(want)
        && ngx_strncmp(s->data, want, s->len) == 0)
    {
        return 1;
    }

    printf("#   got \"%.*s\"\n#  want \"%s\"\n", (int) s->len, s->data, want);
    return 0;
}


static ngx_int_t
in(const char *scope, const char *db, const char *name)
{
    ngx_str_t  s, d, n;

    s.data = (u_char *) scope;
    s.len = ngx_strlen(scope);
    d.data = (u_char *) db;
    d.len = ngx_strlen(db);
    n.data = (u_char *) name;
    n.len = ngx_strlen(name);

    return ngx_http_milvus_cdc_task_in_scope(&s, &d, &n);
}


static void
test_in_scope(void)
{
    ngx_str_t  a, b, entry;

    ngx_unit_is(in("*.*\n", "db1", "c"), 1, "*.* takes every collection");
    ngx_unit_is(in("*.*\n", "default", "*"), 1,
                "*.*: any collection of a database");

    ngx_unit_is(in("default.a\n", "default", "a"), 1, "the named collection");
    ngx_unit_is(in("default.a\n", "default", "b"), 0,
                "another collection of the database");
    ngx_unit_is(in("default.a\n", "db1", "a"), 0,
                "the same name in another database");
    ngx_unit_is(in("default.a\n", "default", "*"), 1,
                "name \"*\": a collection of the database may be in scope");
    ngx_unit_is(in("default.a\n", "db1", "*"), 0,
                "name \"*\": none of another database");

    ngx_unit_is(in("default.ab\n", "default", "a"), 0, "a prefix of a name");
    ngx_unit_is(in("default.a\n", "default", "ab"), 0, "a longer name");
    ngx_unit_is(in("default.a\n", "defaul", "a"), 0, "a prefix of a database");

    ngx_unit_is(in("db1.*\n", "db1", "x"), 1, "db.*: every collection of db");
    ngx_unit_is(in("db1.*\n", "db2", "x"), 0, "db.*: not another database");
    ngx_unit_is(in("*.a\n", "db2", "a"), 1, "*.name: in every database");
    ngx_unit_is(in("*.a\n", "db2", "b"), 0, "*.name: only that name");

    ngx_unit_is(in("default.a\ndb1.b\n", "db1", "b"), 1, "the second line");
    ngx_unit_is(in("default.a\ndb1.b\n", "db1", "a"), 0,
                "lines are not mixed");
    ngx_unit_is(in("", "default", "a"), 0, "an empty scope");

    /* the create-time check: the same matcher */

    ngx_str_set(&a, "default.a\ndb1.b\n");
    ngx_str_set(&b, "*.b\n");
    ngx_unit_is(ngx_http_milvus_cdc_task_scopes_overlap(&a, &b, &entry), 1,
                "scopes overlap on db1.b");
    ngx_unit_ok(str_is(&entry, "db1.b"), "the shared line of the first");

    ngx_str_set(&b, "db2.*\n");
    ngx_unit_is(ngx_http_milvus_cdc_task_scopes_overlap(&a, &b, &entry), 0,
                "no overlap with another database");
}


static void
test_positions_check(void)
{
    char                        *p0, *p1, *req;
    ngx_str_t                    err;
    ngx_http_milvus_cdc_task_t   task;

    p0 = position(VCH0, 1234, 8, 450000000000000000ULL);
    p1 = position(PCH1, 77, 8, 450000000000000001ULL);

    /* good: channel_name the vchannel, or its pchannel */

    req = cat(REQ("[{\"name\": \"a\", \"positions\": "
                  "{\"" VCH0 "\": \"%s\", \"" VCH1 "\": \"%s\"}}]"), p0, p1);
    ngx_unit_is(parse(req, &task, &err), NGX_OK,
                "positions named by their vchannel and by their pchannel");
    ngx_unit_ok(str_is(&task.scope, "default.a\n"), "the scope line");

    /* the wrong channel */

    req = cat(REQ("[{\"name\": \"a\", \"positions\": {\"" VCH0 "\": \"%s\"}}]"),
              p1);
    ngx_unit_is(parse(req, &task, &err), NGX_DECLINED,
                "a position of another channel is refused");
    ngx_unit_ok(str_is(&err, POS VCH0 ": the MsgPosition's channel_name \""
                             PCH1 "\" is neither the key nor its pchannel \""
                             PCH0 "\""),
                "the message names the field and both channels");

    /* not base64 */

    req = cat(REQ("[{\"name\": \"a\", \"positions\": {\"" VCH0
                  "\": \"not base64!\"}}]"));
    ngx_unit_is(parse(req, &task, &err), NGX_DECLINED, "not base64: refused");
    ngx_unit_ok(str_is(&err, POS VCH0 ": must be a base64 string"),
                "not base64: the message");

    req = cat(REQ("[{\"name\": \"a\", \"positions\": {\"" VCH0 "\": 7}}]"));
    ngx_unit_is(parse(req, &task, &err), NGX_DECLINED, "a number: refused");
    ngx_unit_ok(str_is(&err, POS VCH0 ": must be a base64 string"),
                "a number: the message");

    /* base64, but not a MsgPosition: an unfinished varint ("////") */

    req = cat(REQ("[{\"name\": \"a\", \"positions\": {\"" VCH0
                  "\": \"////\"}}]"));
    ngx_unit_is(parse(req, &task, &err), NGX_DECLINED,
                "not a MsgPosition: refused");
    ngx_unit_ok(str_is(&err, POS VCH0 ": must be a base64 msgpb.MsgPosition, "
                             "it does not decode as one"),
                "not a MsgPosition: the message");

    /* a msgID that is not Kafka's 8 bytes (Pulsar's are longer) */

    req = cat(REQ("[{\"name\": \"a\", \"positions\": {\"" VCH0 "\": \"%s\"}}]"),
              position(VCH0, 1, 4, 1));
    ngx_unit_is(parse(req, &task, &err), NGX_DECLINED,
                "a 4-byte msgID: refused");
    ngx_unit_ok(str_is(&err, POS VCH0 ": the MsgPosition's msgID is 4 bytes, "
                             "a Kafka msgID is 8"),
                "a 4-byte msgID: the message");

    req = cat(REQ("[{\"name\": \"a\", \"positions\": {\"" VCH0 "\": \"%s\"}}]"),
              position(VCH0, 1, 0, 1));
    ngx_unit_is(parse(req, &task, &err), NGX_DECLINED, "no msgID: refused");

    /* two collections in one list of positions */

    req = cat(REQ("[{\"name\": \"a\", \"positions\": {\"" VCH0 "\": \"%s\", "
                  "\"" PCH1 "_450v1\": \"%s\"}}]"), p0,
              position(PCH1 "_450v1", 1, 8, 1));
    ngx_unit_is(parse(req, &task, &err), NGX_DECLINED,
                "positions of two collections in one list: refused");
    ngx_unit_ok(str_is(&err, "request_data.collection_infos[0].positions: the "
                             "channel position info should be in the same "
                             "collection"),
                "two collections: the message");

    /* a key that is no vchannel */

    req = cat(REQ("[{\"name\": \"a\", \"positions\": {\"" PCH0 "\": \"%s\"}}]"),
              position(PCH0, 1, 8, 1));
    ngx_unit_is(parse(req, &task, &err), NGX_DECLINED,
                "a pchannel as the key: refused");
    ngx_unit_ok(str_is(&err, "request_data.collection_infos[0].positions: the "
                             "position channel name is not virtual channel, "
                             PCH0),
                "a pchannel as the key: the message");

    /* the second info's positions are checked as well */

    req = cat(REQ("[{\"name\": \"a\"}, {\"name\": \"b\", \"positions\": "
                  "{\"" VCH0 "\": \"%s\"}}]"), p1);
    ngx_unit_is(parse(req, &task, &err), NGX_DECLINED,
                "the second collection info: checked");
    ngx_unit_ok(err.len > 36
                && ngx_strncmp(err.data, "request_data.collection_infos[1]."
                               "positions." VCH0 ": ", 36) == 0,
                "the second collection info: named");
}


static void
test_positions_parse(void)
{
    char                                 *req;
    ngx_str_t                             err;
    ngx_array_t                          *out;
    ngx_http_milvus_cdc_task_t            task;
    ngx_http_milvus_cdc_task_position_t  *p;

    /* two collections, three positions */

    req = cat(REQ("[{\"name\": \"a\", \"positions\": "
                  "{\"" VCH0 "\": \"%s\", \"" VCH1 "\": \"%s\"}}, "
                  "{\"name\": \"b\", \"positions\": "
                  "{\"" PCH0 "_450v0\": \"%s\"}}]"),
              position(VCH0, 1234, 8, 450000000000000000ULL),
              position(PCH1, 77, 8, 450000000000000001ULL),
              position(PCH0 "_450v0", 0x0102030405060708LL, 8, 9));

    if (parse(req, &task, &err) != NGX_OK) {
        ngx_unit_ok(0, "the request with positions parses: %.*s",
                    (int) err.len, err.data);
        return;
    }

    ngx_unit_is(ngx_http_milvus_cdc_task_positions(pool, &task, &out), NGX_OK,
                "the stored positions parse");
    ngx_unit_is(out ? out->nelts : 0, 3, "three positions");

    if (out == NULL || out->nelts != 3) {
        return;
    }

    p = out->elts;

    ngx_unit_ok(str_is(&p[0].db, "default"), "db: default");
    ngx_unit_ok(str_is(&p[0].collection, "a"), "collection name");
    ngx_unit_is(p[0].collection_id, 449, "collection id from the key");
    ngx_unit_ok(str_is(&p[0].vchannel, VCH0), "vchannel: the key");
    ngx_unit_ok(str_is(&p[0].pchannel, PCH0), "pchannel");
    ngx_unit_is(p[0].msg_id.len, 8, "msgID: 8 bytes");
    ngx_unit_ok(p[0].msg_id.len == 8 && p[0].msg_id.data[0] == 0xd2
                && p[0].msg_id.data[1] == 0x04 && p[0].msg_id.data[7] == 0,
                "msgID: the bytes given (1234 little-endian)");
    ngx_unit_is(p[0].offset, 1234, "Kafka offset");
    ngx_unit_ok(p[0].timestamp == 450000000000000000ULL, "timestamp");

    ngx_unit_ok(str_is(&p[1].vchannel, VCH1), "second: vchannel");
    ngx_unit_ok(str_is(&p[1].pchannel, PCH1), "second: pchannel");
    ngx_unit_is(p[1].offset, 77, "second: offset");
    ngx_unit_ok(p[1].timestamp == 450000000000000001ULL, "second: timestamp");

    ngx_unit_ok(str_is(&p[2].collection, "b"), "third: collection b");
    ngx_unit_is(p[2].collection_id, 450, "third: its id");
    ngx_unit_is(p[2].offset, 0x0102030405060708LL,
                "third: every byte of the offset, little-endian");
    ngx_unit_ok(p[2].msg_id.data[0] == 0x08 && p[2].msg_id.data[7] == 0x01,
                "third: the msgID's byte order");

    /* db_collections: the database is the key */

    req = cat("{\"milvus_connect_param\": {\"uri\": \"http://h:1\"},"
              " \"db_collections\": {\"db1\": [{\"name\": \"c\","
              " \"positions\": {\"" VCH0 "\": \"%s\"}}]}}",
              position(VCH0, 5, 8, 6));

    ngx_unit_is(parse(req, &task, &err), NGX_OK, "db_collections parses");
    ngx_unit_is(ngx_http_milvus_cdc_task_positions(pool, &task, &out), NGX_OK,
                "db_collections: positions");
    ngx_unit_ok(out && out->nelts == 1
                && str_is(&((ngx_http_milvus_cdc_task_position_t *)
                            out->elts)[0].db, "db1"),
                "db_collections: the database");

    /* none */

    ngx_unit_is(parse(REQ("[{\"name\": \"*\"}]"), &task, &err), NGX_OK,
                "a task without positions");
    ngx_unit_is(ngx_http_milvus_cdc_task_positions(pool, &task, &out),
                NGX_DECLINED, "no positions: NGX_DECLINED");
    ngx_unit_ok(out == NULL, "no positions: no array");

    /* a corrupt store */

    ngx_str_set(&task.scope_json, "{\"collection_infos\": [{\"name\": \"a\", "
                "\"positions\": {\"" VCH0 "\": \"%%%%\"}}]}");
    ngx_unit_is(ngx_http_milvus_cdc_task_positions(pool, &task, &out),
                NGX_ERROR, "a stored position that does not decode");

    ngx_str_set(&task.scope_json, "{\"collection_infos\": [");
    ngx_unit_is(ngx_http_milvus_cdc_task_positions(pool, &task, &out),
                NGX_ERROR, "a stored scope that does not parse");
}


int
main(void)
{
    static ngx_log_t  log;

    pool = ngx_create_pool(4096, &log);

    test_in_scope();
    test_positions_check();
    test_positions_parse();

    return ngx_unit_done();
}
