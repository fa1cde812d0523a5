
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 *
 * Unit tests of src/ngx_http_milvus_cdc_msg.c, the WAL message codec: the
 * header wherever MsgBase is, an Insert with its row data decoded,
 * rewritten to the target's ids and decoded again (the columns kept byte
 * for byte), the Delete of its primary keys (int64 and varchar) that a
 * replay sends, a Delete of all partitions, TimeTicks, CreateCollection,
 * DropPartition; no byte leaked, allocation failures reported.
 *
 * Linked with: src/ngx_http_milvus_cdc_pb.c, proto/gen/, -lprotobuf-c
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_milvus_cdc_msg.h"
#include "ngx_http_milvus_cdc_pb.h"
#include "milvus_cdc_common.pb-c.h"
#include "milvus_cdc_schema.pb-c.h"
#include "milvus_cdc_msg.pb-c.h"
#include "unit.h"
#include "unit_alloc.h"


#define TS(ms)  ((uint64_t) (ms) << 18)


static u_char  buf[4096];


/* a FieldData column: field_id 5, scalars 3 or vectors 4 */

static u_char *
column(u_char *p, int64_t field_id, ngx_uint_t varchar)
{
    u_char     data[256], arr[256], scalars[256], fd[512], *q;
    ngx_str_t  s;

    if (field_id < 0) {

        /* a float vector column: vectors 4 {dim 1, float_vector 2} */

        ngx_memcpy(data, "\x08\x02\x12\x0a\x0a\x08\x00\x00\x80\x3f"
                         "\x00\x00\x00\x40", 14);
        s.data = data;
        s.len = 14;

        q = fd;
        *q++ = 0x28;                            /* field_id 5 */
        q = ngx_http_milvus_cdc_pb_put_varint(q, (uint64_t) -field_id);
        q = ngx_http_milvus_cdc_pb_put_bytes(q, 4, &s);

    } else {
        if (varchar) {
            /* StringArray {data 1 "a", data 1 "bc"} */
            ngx_memcpy(arr, "\x0a\x01" "a" "\x0a\x02" "bc", 7);
            s.len = 7;

        } else {
            /* LongArray {data 1 packed [1, 300, 70000]} */
            ngx_memcpy(arr, "\x0a\x06\x01\xac\x02\xf0\xa2\x04", 8);
            s.len = 8;
        }

        s.data = arr;
        q = ngx_http_milvus_cdc_pb_put_bytes(scalars, varchar ? 6 : 3, &s);
        s.data = scalars;
        s.len = q - scalars;

        q = fd;
        *q++ = 0x08;                            /* type 1: Int64, VarChar */
        *q++ = varchar ? 21 : 5;
        q = ngx_http_milvus_cdc_pb_put_bytes(q, 3, &s);
        *q++ = 0x28;                            /* field_id 5 */
        q = ngx_http_milvus_cdc_pb_put_varint(q, field_id);
    }

    s.data = fd;
    s.len = q - fd;

    return ngx_http_milvus_cdc_pb_put_bytes(p, 13, &s);
}


/* an Insert of 3 rows: a vector column 101, then the primary key 100 */

static size_t
insert(ngx_uint_t varchar, u_char **vec, size_t *vec_len)
{
    u_char                             *p;
    uint64_t                            ts[3];
    Milvus__Proto__Common__MsgBase      mb;
    Milvus__Proto__Msg__InsertRequest   ins;

    milvus__proto__msg__insert_request__init(&ins);
    milvus__proto__common__msg_base__init(&mb);

    mb.msg_type = NGX_HTTP_MILVUS_CDC_MSG_INSERT;
    mb.msgid = 7;
    mb.timestamp = TS(1000);
    mb.sourceid = 3;

    ts[0] = ts[1] = ts[2] = TS(1000);

    ins.msg_base = &mb;
    ins.shardname = "by-dev-rootcoord-dml_1_444v0";
    ins.db_name = "db1";
    ins.collection_name = "c1";
    ins.partition_name = "_default";
    ins.collectionid = 444;
    ins.partitionid = 445;
    ins.n_timestamps = 3;
    ins.timestamps = ts;
    ins.num_rows = 3;
    ins.version = 1;

    p = buf + milvus__proto__msg__insert_request__pack(&ins, buf);

    *vec = p;
    p = column(p, -101, 0);
    *vec_len = p - *vec;

    p = column(p, 100, varchar);

    return p - buf;
}


static void
test_header(void)
{
    u_char                                *p, base[64];
    size_t                                 n;
    ngx_str_t                              s;
    Milvus__Proto__Common__MsgBase         mb;
    Milvus__Proto__Common__ReplicateInfo   ri;
    ngx_http_milvus_cdc_msg_header_t       h;

    milvus__proto__common__msg_base__init(&mb);
    milvus__proto__common__replicate_info__init(&ri);

    mb.msg_type = NGX_HTTP_MILVUS_CDC_MSG_INSERT;
    mb.msgid = 9;
    mb.timestamp = TS(5);
    mb.sourceid = 2;
    ri.isreplicate = 1;
    ri.msgtimestamp = TS(4);
    mb.replicateinfo = &ri;

    s.data = base;
    s.len = milvus__proto__common__msg_base__pack(&mb, base);

    /* shardName 2 and a fixed64 before MsgBase 1: skipped by wire type */

    p = buf;
    *p++ = 0x12;
    *p++ = 1;
    *p++ = 'x';
    *p++ = 0x49;                                /* field 9, fixed64 */
    p = ngx_cpymem(p, "12345678", 8);
    p = ngx_http_milvus_cdc_pb_put_bytes(p, 1, &s);
    n = p - buf;

    ngx_unit_is(ngx_http_milvus_cdc_msg_header(buf, n, &h), NGX_OK,
                "a header after other fields");
    ngx_unit_ok(h.type == 400 && h.msg_id == 9 && h.ts == TS(5)
                && h.source_id == 2,
                "... type, msgID, timestamp, sourceID");
    ngx_unit_ok(h.replicate == 1 && h.replicate_ts == TS(4),
                "... replicateInfo");

    ngx_unit_is(ngx_http_milvus_cdc_msg_header(buf, 3, &h), NGX_ERROR,
                "no MsgBase: NGX_ERROR");
    ngx_unit_is(ngx_http_milvus_cdc_msg_header(buf, 8, &h), NGX_ERROR,
                "truncated before MsgBase: NGX_ERROR");
    ngx_unit_is(ngx_http_milvus_cdc_msg_header((u_char *) "\x0a\x05\x08",
                                               3, &h),
                NGX_ERROR, "MsgBase longer than the message: NGX_ERROR");
}


static void
test_insert(void)
{
    u_char                             *vec;
    size_t                              n, vec_len, heap;
    ngx_int_t                           rc;
    ngx_str_t                           out, del, pk;
    Milvus__Proto__Msg__DeleteRequest  *dr;
    ngx_http_milvus_cdc_msg_t           m, m2;
    ngx_http_milvus_cdc_msg_rewrite_t   rw;

    n = insert(0, &vec, &vec_len);
    heap = ngx_unit_heap();

    ngx_unit_is(ngx_http_milvus_cdc_msg_decode(&m, buf, n, NULL), NGX_OK,
                "Insert decoded");
    ngx_unit_ok(m.hdr.type == 400 && m.hdr.msg_id == 7
                && m.collection_id == 444 && m.partition_id == 445
                && m.num_rows == 3 && m.version == 1
                && m.begin_ts == TS(1000) && m.end_ts == TS(1000),
                "... ids, rows, version, time range");
    ngx_unit_ok(m.shard_name.len == 28 && m.collection_name.len == 2
                && ngx_strcmp(m.db_name.data, "db1") == 0
                && ngx_strcmp(m.partition_name.data, "_default") == 0,
                "... names");

    ngx_memzero(&rw, sizeof(ngx_http_milvus_cdc_msg_rewrite_t));
    rw.collection_id = 9;
    rw.partition_id = 8;
    ngx_str_set(&rw.shard_name, "tgt-rootcoord-dml_0_9v0");
    rw.ts = TS(2000);
    rw.msg_id = 77;

    ngx_unit_is(ngx_http_milvus_cdc_msg_rewrite(&m, &rw, &out, NULL),
                NGX_OK, "Insert rewritten");
    ngx_unit_ok(m.collection_id == 9 && m.partition_id == 8
                && m.hdr.ts == TS(2000),
                "... m shows the target's values");

    ngx_unit_is(ngx_http_milvus_cdc_msg_decode(&m2, out.data, out.len, NULL),
                NGX_OK, "... and decoded again");
    ngx_unit_ok(m2.collection_id == 9 && m2.partition_id == 8
                && m2.hdr.msg_id == 77 && m2.hdr.ts == TS(2000)
                && m2.begin_ts == TS(2000) && m2.end_ts == TS(2000)
                && m2.hdr.source_id == 3 && m2.num_rows == 3,
                "... target ids, msgID, every timestamp re-stamped");
    ngx_unit_ok(m2.shard_name.len == rw.shard_name.len
                && ngx_strcmp(m2.shard_name.data, "tgt-rootcoord-dml_0_9v0")
                   == 0
                && ngx_strcmp(m2.collection_name.data, "c1") == 0,
                "... target vchannel, names kept");
    ngx_unit_ok(memmem(out.data, out.len, vec, vec_len) != NULL,
                "... the vector column kept byte for byte");
    ngx_http_milvus_cdc_msg_free(&m2);

    /* the Delete of its keys, for a replay */

    rc = ngx_http_milvus_cdc_msg_insert_delete(&out, 100, &m,
                                               &rw.shard_name, TS(2001), 78,
                                               &del, NULL);
    ngx_unit_is(rc, NGX_OK, "the Delete of the Insert's keys");

    ngx_unit_is(ngx_http_milvus_cdc_msg_decode(&m2, del.data, del.len, NULL),
                NGX_OK, "... decoded");
    ngx_unit_ok(m2.hdr.type == 401 && m2.hdr.msg_id == 78
                && m2.hdr.source_id == NGX_HTTP_MILVUS_CDC_MSG_SOURCE_ID
                && m2.collection_id == 9 && m2.partition_id == -1
                && m2.begin_ts == TS(2001) && m2.end_ts == TS(2001)
                && m2.num_rows == 3 && m2.pk_count == 3 && !m2.pk_varchar,
                "... Delete 401, CDC's sourceID, all partitions, 3 int keys");
    ngx_unit_ok(ngx_strcmp(m2.shard_name.data, "tgt-rootcoord-dml_0_9v0")
                == 0 && ngx_strcmp(m2.collection_name.data, "c1") == 0,
                "... the target vchannel and collection name");

    dr = m2.pb;
    ngx_unit_ok(dr->primary_keys->int_id->data[0] == 1
                && dr->primary_keys->int_id->data[1] == 300
                && dr->primary_keys->int_id->data[2] == 70000,
                "... the keys 1, 300, 70000");
    ngx_http_milvus_cdc_msg_free(&m2);
    ngx_free(del.data);

    ngx_unit_is(ngx_http_milvus_cdc_msg_insert_delete(&out, 102, &m,
                                                      &rw.shard_name,
                                                      TS(2001), 78, &del,
                                                      NULL),
                NGX_DECLINED, "no column 102: NGX_DECLINED");

    pk.data = out.data;
    pk.len = out.len - 3;
    ngx_unit_is(ngx_http_milvus_cdc_msg_insert_delete(&pk, 100, &m,
                                                      &rw.shard_name,
                                                      TS(2001), 78, &del,
                                                      NULL),
                NGX_DECLINED, "a truncated Insert: NGX_DECLINED");

    ngx_free(out.data);
    ngx_http_milvus_cdc_msg_free(&m);

    ngx_unit_is(ngx_unit_heap(), heap, "no byte leaked");
}


static void
test_insert_varchar(void)
{
    u_char                             *vec;
    size_t                              n, vec_len, heap;
    ngx_int_t                           rc;
    ngx_str_t                           ins, del, shard;
    ngx_uint_t                          i, errors;
    Milvus__Proto__Msg__DeleteRequest  *dr;
    ngx_http_milvus_cdc_msg_t           m, m2;

    n = insert(1, &vec, &vec_len);
    ins.data = buf;
    ins.len = n;
    ngx_str_set(&shard, "t_1v0");
    heap = ngx_unit_heap();

    ngx_unit_is(ngx_http_milvus_cdc_msg_decode(&m, buf, n, NULL), NGX_OK,
                "Insert with varchar keys");

    ngx_unit_is(ngx_http_milvus_cdc_msg_insert_delete(&ins, 100, &m, &shard,
                                                      TS(3), 5, &del, NULL),
                NGX_OK, "... the Delete of its keys");
    ngx_unit_is(ngx_http_milvus_cdc_msg_decode(&m2, del.data, del.len, NULL),
                NGX_OK, "... decoded");

    dr = m2.pb;
    ngx_unit_ok(m2.pk_count == 2 && m2.pk_varchar
                && ngx_strcmp(dr->primary_keys->str_id->data[0], "a") == 0
                && ngx_strcmp(dr->primary_keys->str_id->data[1], "bc") == 0,
                "... the keys \"a\" and \"bc\"");
    ngx_http_milvus_cdc_msg_free(&m2);
    ngx_free(del.data);

    /* every allocation failing in turn: NGX_ERROR, nothing leaked */

    errors = 0;

    for (i = 1; i <= 8; i++) {
        ngx_unit_fail_in = i;
        rc = ngx_http_milvus_cdc_msg_insert_delete(&ins, 100, &m, &shard,
                                                   TS(3), 5, &del, NULL);
        ngx_unit_fail_in = 0;

        if (rc == NGX_OK) {
            ngx_free(del.data);
            continue;
        }

        errors += (rc == NGX_ERROR);
    }

    ngx_unit_ok(errors >= 5, "allocation failures: NGX_ERROR (%d times)",
                (int) errors);

    ngx_http_milvus_cdc_msg_free(&m);

    ngx_unit_is(ngx_unit_heap(), heap, "no byte leaked");
}


static void
test_delete(void)
{
    size_t                              n;
    int64_t                             keys[2] = { 5, 6 };
    uint64_t                            ts[2] = { TS(10), TS(11) };
    ngx_str_t                           out;
    Milvus__Proto__Schema__IDs          ids;
    Milvus__Proto__Schema__LongArray    la;
    Milvus__Proto__Common__MsgBase      mb;
    Milvus__Proto__Msg__DeleteRequest   del;
    ngx_http_milvus_cdc_msg_t           m, m2;
    ngx_http_milvus_cdc_msg_rewrite_t   rw;

    milvus__proto__msg__delete_request__init(&del);
    milvus__proto__common__msg_base__init(&mb);
    milvus__proto__schema__ids__init(&ids);
    milvus__proto__schema__long_array__init(&la);

    mb.msg_type = NGX_HTTP_MILVUS_CDC_MSG_DELETE;
    la.n_data = 2;
    la.data = keys;
    ids.id_field_case = MILVUS__PROTO__SCHEMA__IDS__ID_FIELD_INT_ID;
    ids.int_id = &la;

    del.msg_base = &mb;
    del.shardname = "s_444v1";
    del.collectionid = 444;
    del.partitionid = -1;
    del.n_timestamps = 2;
    del.timestamps = ts;
    del.num_rows = 2;
    del.primary_keys = &ids;

    n = milvus__proto__msg__delete_request__pack(&del, buf);

    ngx_unit_is(ngx_http_milvus_cdc_msg_decode(&m, buf, n, NULL), NGX_OK,
                "Delete of all partitions decoded");
    ngx_unit_ok(m.partition_id == -1 && m.pk_count == 2 && !m.pk_varchar
                && m.begin_ts == TS(10) && m.end_ts == TS(11),
                "... partition -1, 2 keys, time range of its timestamps");

    ngx_memzero(&rw, sizeof(ngx_http_milvus_cdc_msg_rewrite_t));
    rw.collection_id = 9;
    rw.partition_id = 8;
    ngx_str_set(&rw.shard_name, "t_9v1");

    ngx_unit_is(ngx_http_milvus_cdc_msg_rewrite(&m, &rw, &out, NULL),
                NGX_OK, "... rewritten, timestamps kept");
    ngx_unit_is(ngx_http_milvus_cdc_msg_decode(&m2, out.data, out.len, NULL),
                NGX_OK, "... decoded again");
    ngx_unit_ok(m2.collection_id == 9 && m2.partition_id == -1
                && m.partition_id == -1 && m2.begin_ts == TS(10)
                && m2.end_ts == TS(11) && m2.pk_count == 2,
                "... collection 9, still all partitions");

    ngx_http_milvus_cdc_msg_free(&m2);
    ngx_free(out.data);

    ngx_str_null(&rw.shard_name);
    ngx_unit_is(ngx_http_milvus_cdc_msg_rewrite(&m, &rw, &out, NULL),
                NGX_DECLINED, "a Delete without target vchannel: declined");

    ngx_http_milvus_cdc_msg_free(&m);
}


static void
test_ddl(void)
{
    size_t                                        n;
    int64_t                                       parts[1] = { 446 };
    char                                         *vch[2], *pch[2];
    ngx_str_t                                     out;
    Milvus__Proto__Common__MsgBase                mb;
    Milvus__Proto__Msg__DropPartitionRequest      dp;
    Milvus__Proto__Msg__CreateCollectionRequest   cc;
    ngx_http_milvus_cdc_msg_t                     m, m2;
    ngx_http_milvus_cdc_msg_rewrite_t             rw;

    milvus__proto__msg__create_collection_request__init(&cc);
    milvus__proto__common__msg_base__init(&mb);

    mb.msg_type = NGX_HTTP_MILVUS_CDC_MSG_CREATE_COLLECTION;
    mb.timestamp = TS(7);
    vch[0] = "p_0_444v0";
    vch[1] = "p_1_444v1";
    pch[0] = "p_0";
    pch[1] = "p_1";

    cc.msg_base = &mb;
    cc.db_name = "db1";
    cc.collectionid = 444;
    cc.schema.data = (u_char *) "\x0a\x02" "c1";
    cc.schema.len = 4;
    cc.n_virtualchannelnames = 2;
    cc.virtualchannelnames = vch;
    cc.n_physicalchannelnames = 2;
    cc.physicalchannelnames = pch;
    cc.n_partitionids = 1;
    cc.partitionids = parts;

    n = milvus__proto__msg__create_collection_request__pack(&cc, buf);

    ngx_unit_is(ngx_http_milvus_cdc_msg_decode(&m, buf, n, NULL), NGX_OK,
                "CreateCollection decoded");
    ngx_unit_ok(m.collection_id == 444 && m.nvchannels == 2
                && m.npchannels == 2 && m.npartition_ids == 1
                && m.partition_ids[0] == 446 && m.schema.len == 4
                && ngx_strcmp(m.vchannels[1].data, "p_1_444v1") == 0
                && ngx_strcmp(m.pchannels[0].data, "p_0") == 0
                && m.hdr.ts == TS(7),
                "... channels, partitions, schema");

    ngx_memzero(&rw, sizeof(ngx_http_milvus_cdc_msg_rewrite_t));
    rw.collection_id = 9;
    ngx_unit_is(ngx_http_milvus_cdc_msg_rewrite(&m, &rw, &out, NULL),
                NGX_DECLINED, "... not rewritten (the target creates it)");
    ngx_http_milvus_cdc_msg_free(&m);

    milvus__proto__msg__drop_partition_request__init(&dp);
    mb.msg_type = NGX_HTTP_MILVUS_CDC_MSG_DROP_PARTITION;
    dp.msg_base = &mb;
    dp.collection_name = "c1";
    dp.partition_name = "p1";
    dp.collectionid = 444;
    dp.partitionid = 447;

    n = milvus__proto__msg__drop_partition_request__pack(&dp, buf);

    ngx_unit_is(ngx_http_milvus_cdc_msg_decode(&m, buf, n, NULL), NGX_OK,
                "DropPartition decoded");
    rw.partition_id = 8;
    ngx_unit_is(ngx_http_milvus_cdc_msg_rewrite(&m, &rw, &out, NULL),
                NGX_OK, "... rewritten");
    ngx_unit_is(ngx_http_milvus_cdc_msg_decode(&m2, out.data, out.len, NULL),
                NGX_OK, "... decoded again");
    ngx_unit_ok(m2.collection_id == 9 && m2.partition_id == 8
                && ngx_strcmp(m2.partition_name.data, "p1") == 0,
                "... the target's collection and partition");
    ngx_http_milvus_cdc_msg_free(&m2);
    ngx_http_milvus_cdc_msg_free(&m);
    ngx_free(out.data);

    mb.msg_type = NGX_HTTP_MILVUS_CDC_MSG_CREATE_INDEX;
    n = milvus__proto__msg__drop_partition_request__pack(&dp, buf);
    ngx_unit_is(ngx_http_milvus_cdc_msg_decode(&m, buf, n, NULL),
                NGX_DECLINED, "another type: NGX_DECLINED");
    ngx_unit_is(m.hdr.type, 300, "... its header filled");
}


static void
test_timetick(void)
{
    ngx_str_t                  out;
    ngx_http_milvus_cdc_msg_t  m;

    ngx_unit_is(ngx_http_milvus_cdc_msg_timetick(TS(42), &out, NULL), NGX_OK,
                "a TimeTick packed");
    ngx_unit_is(ngx_http_milvus_cdc_msg_decode(&m, out.data, out.len, NULL),
                NGX_OK, "... decoded");
    ngx_unit_ok(m.hdr.type == 1200 && m.hdr.ts == TS(42)
                && m.hdr.msg_id == 0
                && m.hdr.source_id == NGX_HTTP_MILVUS_CDC_MSG_SOURCE_ID
                && m.begin_ts == TS(42) && m.end_ts == TS(42),
                "... type 1200, the tick, msgID 0, sourceID -1");
    ngx_http_milvus_cdc_msg_free(&m);
    ngx_free(out.data);

    ngx_unit_ok(ngx_strcmp(ngx_http_milvus_cdc_msg_type_name(400), "Insert")
                == 0
                && ngx_strcmp(ngx_http_milvus_cdc_msg_type_name(9), "Unknown")
                   == 0,
                "type names");
}


int
main(int argc, char **argv)
{
    ngx_unit_heap_init(argv);

    test_header();
    test_insert();
    test_insert_varchar();
    test_delete();
    test_ddl();
    test_timetick();

    return ngx_unit_done();
}
