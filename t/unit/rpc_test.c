
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 *
 * Unit tests of src/ngx_http_milvus_cdc_rpc.c, the MilvusService codec:
 * common.Status replies (success, a code, a deprecated error_code, a long
 * reason, bytes that are no reply), the replies with results
 * (DescribeCollection, ShowPartitions, Connect), requests packed and
 * unpacked again (CreateCollection, Flush, Connect as the probe sends
 * it, ReplicateMessage), the replicate channel's helpers; no byte leaked.
 *
 * Linked with: src/ngx_http_milvus_cdc_pb.c, proto/gen/, -lprotobuf-c
 * unit-link: src/ngx_http_milvus_cdc_rpc_replicate.c
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_milvus_cdc_rpc.h"
#include "ngx_http_milvus_cdc_msg.h"
#include "ngx_http_milvus_cdc_pb.h"
#include "milvus_cdc_common.pb-c.h"
#include "milvus_cdc_schema.pb-c.h"
#include "milvus_cdc_msg.pb-c.h"
#include "milvus_cdc_milvus.pb-c.h"
#include "unit.h"
#include "unit_alloc.h"


static u_char  buf[65536];


static ngx_int_t
status_reply(ngx_uint_t rpc, int32_t error_code, int32_t code, char *reason,
    ngx_http_milvus_cdc_msg_reply_t *r)
{
    ngx_str_t                       data;
    Milvus__Proto__Common__Status   st;

    milvus__proto__common__status__init(&st);
    st.error_code = error_code;
    st.code = code;
    st.reason = reason;

    data.data = buf;
    data.len = milvus__proto__common__status__pack(&st, buf);

    return ngx_http_milvus_cdc_msg_reply(rpc, &data, r, NULL);
}


static void
test_status(void)
{
    char                             long_reason[301];
    size_t                           heap;
    ngx_str_t                        data;
    ngx_http_milvus_cdc_msg_reply_t  r;

    heap = ngx_unit_heap();

    ngx_unit_is(status_reply(NGX_HTTP_MILVUS_CDC_MSG_RPC_DROP_COLLECTION,
                             0, 0, "", &r),
                NGX_OK, "Status success: NGX_OK");
    ngx_unit_ok(r.error_code == 0 && r.code == 0 && r.reason.len == 0,
                "... no code, no reason");
    ngx_http_milvus_cdc_msg_reply_free(&r);

    ngx_unit_is(status_reply(NGX_HTTP_MILVUS_CDC_MSG_RPC_CREATE_PARTITION,
                             0, 1100, "invalid parameter", &r),
                NGX_DECLINED, "Status code 1100: NGX_DECLINED");
    ngx_unit_ok(r.code == 1100 && r.reason.len == 17
                && ngx_strcmp(r.reason.data, "invalid parameter") == 0,
                "... code and reason");
    ngx_http_milvus_cdc_msg_reply_free(&r);

    ngx_unit_is(status_reply(NGX_HTTP_MILVUS_CDC_MSG_RPC_DROP_DATABASE,
                             1, 0, "", &r),
                NGX_DECLINED, "a deprecated error_code alone: NGX_DECLINED");
    ngx_unit_is(r.error_code, 1, "... error_code 1");
    ngx_unit_ok(ngx_strcmp(r.reason.data, "refused without a reason "
                           "(error_code 1, code 0)") == 0,
                "... a refusal without words is given words");
    ngx_http_milvus_cdc_msg_reply_free(&r);

    ngx_unit_is(status_reply(NGX_HTTP_MILVUS_CDC_MSG_RPC_DROP_DATABASE,
                             -3, 65535, "", &r),
                NGX_DECLINED, "error_code -3, code 65535, no reason");
    ngx_unit_ok(ngx_strcmp(r.reason.data, "refused without a reason "
                           "(error_code -3, code 65535)") == 0,
                "... both codes named, a negative one too");
    ngx_http_milvus_cdc_msg_reply_free(&r);

    ngx_memset(long_reason, 'x', 300);
    long_reason[300] = '\0';

    ngx_unit_is(status_reply(NGX_HTTP_MILVUS_CDC_MSG_RPC_DROP_COLLECTION,
                             0, 5, long_reason, &r),
                NGX_DECLINED, "a reason of 300 bytes");
    ngx_unit_ok(r.reason.len == 255 && r.reason.data[255] == '\0',
                "... truncated to 255, NUL-terminated");
    ngx_http_milvus_cdc_msg_reply_free(&r);

    data.data = buf;
    data.len = 0;
    ngx_unit_is(ngx_http_milvus_cdc_msg_reply(
                    NGX_HTTP_MILVUS_CDC_MSG_RPC_DROP_COLLECTION, &data, &r,
                    NULL),
                NGX_OK, "an empty reply is a Status of defaults: NGX_OK");
    ngx_http_milvus_cdc_msg_reply_free(&r);

    data.data = (u_char *) "\x0a\x05\x08";
    data.len = 3;
    ngx_unit_is(ngx_http_milvus_cdc_msg_reply(
                    NGX_HTTP_MILVUS_CDC_MSG_RPC_DROP_COLLECTION, &data, &r,
                    NULL),
                NGX_ERROR, "bytes that are no reply: NGX_ERROR");
    ngx_unit_ok(ngx_strcmp(r.reason.data, "undecodable reply") == 0,
                "... the reason says so");
    ngx_http_milvus_cdc_msg_reply_free(&r);

    ngx_unit_is(ngx_http_milvus_cdc_msg_reply(
                    NGX_HTTP_MILVUS_CDC_MSG_RPC_LAST, &data, &r, NULL),
                NGX_ERROR, "an unknown rpc: NGX_ERROR");
    ngx_http_milvus_cdc_msg_reply_free(&r);

    ngx_unit_is(ngx_unit_heap(), heap, "no byte leaked");
}


static void
test_replies(void)
{
    char                                     *vch[1], *pch[1], *names[2];
    size_t                                    heap;
    int64_t                                   ids[2] = { 11, 12 };
    ngx_str_t                                 data;
    Milvus__Proto__Common__Status             st;
    Milvus__Proto__Schema__FieldSchema        f, *fs[1];
    Milvus__Proto__Schema__CollectionSchema   cs;
    Milvus__Proto__Milvus__ShowPartitionsResponse      sp;
    Milvus__Proto__Milvus__DescribeCollectionResponse  dc;
    ngx_http_milvus_cdc_msg_reply_t           r;

    heap = ngx_unit_heap();

    milvus__proto__common__status__init(&st);
    milvus__proto__milvus__describe_collection_response__init(&dc);
    milvus__proto__schema__collection_schema__init(&cs);
    milvus__proto__schema__field_schema__init(&f);

    f.fieldid = 100;
    f.name = "id";
    fs[0] = &f;
    cs.name = "c1";
    cs.n_fields = 1;
    cs.fields = fs;
    vch[0] = "t_0_9v0";
    pch[0] = "t_0";

    dc.status = &st;
    dc.schema = &cs;
    dc.collectionid = 9;
    dc.n_virtual_channel_names = 1;
    dc.virtual_channel_names = vch;
    dc.n_physical_channel_names = 1;
    dc.physical_channel_names = pch;
    dc.created_timestamp = 123456;
    dc.shards_num = 1;
    dc.db_name = "db1";

    data.data = buf;
    data.len = milvus__proto__milvus__describe_collection_response__pack(&dc,
                                                                         buf);

    ngx_unit_is(ngx_http_milvus_cdc_msg_reply(
                    NGX_HTTP_MILVUS_CDC_MSG_RPC_DESCRIBE_COLLECTION, &data,
                    &r, NULL),
                NGX_OK, "DescribeCollection reply");
    ngx_unit_ok(r.collection_id == 9 && r.created_ts == 123456
                && r.shards_num == 1 && r.nvchannels == 1
                && r.npchannels == 1
                && ngx_strcmp(r.vchannels[0].data, "t_0_9v0") == 0
                && ngx_strcmp(r.pchannels[0].data, "t_0") == 0
                && ngx_strcmp(r.db_name.data, "db1") == 0,
                "... id, create ts, channels, database");
    ngx_unit_ok(r.schema.len
                == milvus__proto__schema__collection_schema__get_packed_size(
                       &cs),
                "... the schema re-packed");
    ngx_http_milvus_cdc_msg_reply_free(&r);

    milvus__proto__milvus__show_partitions_response__init(&sp);
    names[0] = "_default";
    names[1] = "p1";
    sp.n_partition_names = 2;
    sp.partition_names = names;
    sp.n_partitionids = 2;
    sp.partitionids = ids;

    data.len = milvus__proto__milvus__show_partitions_response__pack(&sp,
                                                                     buf);
    ngx_unit_is(ngx_http_milvus_cdc_msg_reply(
                    NGX_HTTP_MILVUS_CDC_MSG_RPC_SHOW_PARTITIONS, &data, &r,
                    NULL),
                NGX_OK, "ShowPartitions reply");
    ngx_unit_ok(r.nnames == 2 && r.ids[0] == 11 && r.ids[1] == 12
                && ngx_strcmp(r.names[1].data, "p1") == 0,
                "... names and ids");
    ngx_http_milvus_cdc_msg_reply_free(&r);

    sp.n_partitionids = 1;
    data.len = milvus__proto__milvus__show_partitions_response__pack(&sp,
                                                                     buf);
    ngx_unit_is(ngx_http_milvus_cdc_msg_reply(
                    NGX_HTTP_MILVUS_CDC_MSG_RPC_SHOW_PARTITIONS, &data, &r,
                    NULL),
                NGX_ERROR, "... 2 names, 1 id: NGX_ERROR");
    ngx_http_milvus_cdc_msg_reply_free(&r);

    ngx_unit_is(ngx_unit_heap(), heap, "no byte leaked");
}


static void
test_connect(void)
{
    size_t                                   heap, n;
    ngx_str_t                                out, data;
    Milvus__Proto__Common__Status            st;
    Milvus__Proto__Common__ServerInfo        si;
    Milvus__Proto__Common__ClientInfo        ci;
    Milvus__Proto__Milvus__ConnectRequest    req;
    Milvus__Proto__Milvus__ConnectResponse   resp;
    ngx_http_milvus_cdc_msg_client_t         client;
    ngx_http_milvus_cdc_msg_request_t        rq;
    ngx_http_milvus_cdc_msg_reply_t          r;

    heap = ngx_unit_heap();

    ngx_str_set(&client.sdk_type, "nginx-milvus-cdc");
    ngx_str_set(&client.sdk_version, "0.1.0");
    ngx_str_set(&client.local_time, "2026-12-02T12:00:00+00:00");
    ngx_str_set(&client.host, "cdc-host");

    ngx_memzero(&rq, sizeof(ngx_http_milvus_cdc_msg_request_t));
    rq.client = &client;

    ngx_unit_is(ngx_http_milvus_cdc_msg_request(
                    NGX_HTTP_MILVUS_CDC_MSG_RPC_CONNECT, &rq, &out, NULL),
                NGX_OK, "ConnectRequest packed");

    /* the bytes the probe packed itself before */

    milvus__proto__common__client_info__init(&ci);
    milvus__proto__milvus__connect_request__init(&req);
    ci.sdk_type = "nginx-milvus-cdc";
    ci.sdk_version = "0.1.0";
    ci.local_time = "2026-12-02T12:00:00+00:00";
    ci.host = "cdc-host";
    req.client_info = &ci;
    n = milvus__proto__milvus__connect_request__pack(&req, buf);

    ngx_unit_ok(out.len == n && ngx_memcmp(out.data, buf, n) == 0,
                "... byte for byte the probe's own (client_info, no "
                "msg_base)");
    ngx_free(out.data);

    ngx_unit_ok(ngx_strcmp(ngx_http_milvus_cdc_msg_method(
                               NGX_HTTP_MILVUS_CDC_MSG_RPC_CONNECT)->data,
                           "/milvus.proto.milvus.MilvusService/Connect") == 0,
                "... its method");

    milvus__proto__common__status__init(&st);
    milvus__proto__common__server_info__init(&si);
    milvus__proto__milvus__connect_response__init(&resp);
    si.build_tags = "v2.3.5";
    resp.status = &st;
    resp.server_info = &si;
    resp.identifier = 4242;

    data.data = buf;
    data.len = milvus__proto__milvus__connect_response__pack(&resp, buf);

    ngx_unit_is(ngx_http_milvus_cdc_msg_reply(
                    NGX_HTTP_MILVUS_CDC_MSG_RPC_CONNECT, &data, &r, NULL),
                NGX_OK, "ConnectResponse");
    ngx_unit_ok(r.identifier == 4242 && r.server_version.len == 6
                && ngx_strcmp(r.server_version.data, "v2.3.5") == 0,
                "... identifier and server version");
    ngx_http_milvus_cdc_msg_reply_free(&r);

    st.code = 1800;
    st.reason = "user hasn't authenticated";
    data.len = milvus__proto__milvus__connect_response__pack(&resp, buf);

    ngx_unit_is(ngx_http_milvus_cdc_msg_reply(
                    NGX_HTTP_MILVUS_CDC_MSG_RPC_CONNECT, &data, &r, NULL),
                NGX_DECLINED, "ConnectResponse with a Status code");
    ngx_unit_ok(r.code == 1800 && r.identifier == 0
                && ngx_strcmp(r.reason.data, "user hasn't authenticated")
                   == 0,
                "... code and reason, no result");
    ngx_http_milvus_cdc_msg_reply_free(&r);

    ngx_unit_is(ngx_unit_heap(), heap, "no byte leaked");
}


static void
test_requests(void)
{
    size_t                                         heap;
    ngx_str_t                                      out, db, names[2];
    ngx_uint_t                                     n;
    ngx_http_milvus_cdc_msg_kv_t                   props[2];
    ngx_http_milvus_cdc_msg_request_t              rq;
    Milvus__Proto__Milvus__FlushRequest           *fr;
    Milvus__Proto__Milvus__CreateCollectionRequest  *cc;

    heap = ngx_unit_heap();

    ngx_memzero(&rq, sizeof(ngx_http_milvus_cdc_msg_request_t));
    ngx_str_set(&rq.db_name, "db1");
    ngx_str_set(&rq.collection_name, "c1");
    ngx_str_set(&rq.schema, "\x0a\x02" "c1");
    rq.replicate_ts = 777;
    rq.shards_num = 2;
    rq.consistency_level = NGX_HTTP_MILVUS_CDC_MSG_BOUNDED;
    rq.num_partitions = 16;
    ngx_str_set(&props[0].key, "collection.ttl.seconds");
    ngx_str_set(&props[0].value, "60");
    ngx_str_set(&props[1].key, "mmap.enabled");
    ngx_str_set(&props[1].value, "true");
    rq.properties = props;
    rq.nproperties = 2;

    ngx_unit_is(ngx_http_milvus_cdc_msg_request(
                    NGX_HTTP_MILVUS_CDC_MSG_RPC_CREATE_COLLECTION, &rq, &out,
                    NULL),
                NGX_OK, "CreateCollectionRequest packed");

    cc = milvus__proto__milvus__create_collection_request__unpack(NULL,
                                                         out.len, out.data);
    ngx_unit_ok(cc && cc->msg_base->msg_type == 100
                && cc->msg_base->replicateinfo->isreplicate
                && cc->msg_base->replicateinfo->msgtimestamp == 777,
                "... MsgBase 100, replicateInfo {true, 777}");
    ngx_unit_ok(cc && ngx_strcmp(cc->db_name, "db1") == 0
                && ngx_strcmp(cc->collection_name, "c1") == 0
                && cc->schema.len == 4 && cc->shards_num == 2
                && cc->consistency_level == 2 && cc->num_partitions == 16
                && cc->n_properties == 2
                && ngx_strcmp(cc->properties[1]->value, "true") == 0,
                "... names, schema, shards, consistency, properties");
    milvus__proto__milvus__create_collection_request__free_unpacked(cc,
                                                                    NULL);
    ngx_free(out.data);

    ngx_memzero(&rq, sizeof(ngx_http_milvus_cdc_msg_request_t));
    ngx_str_set(&rq.db_name, "db1");
    ngx_str_set(&rq.collection_name, "c1");

    ngx_unit_is(ngx_http_milvus_cdc_msg_request(
                    NGX_HTTP_MILVUS_CDC_MSG_RPC_FLUSH, &rq, &out, NULL),
                NGX_OK, "FlushRequest packed");

    fr = milvus__proto__milvus__flush_request__unpack(NULL, out.len,
                                                      out.data);
    ngx_unit_ok(fr && fr->msg_base->msg_type == 402
                && !fr->msg_base->replicateinfo->isreplicate
                && fr->n_collection_names == 1
                && ngx_strcmp(fr->collection_names[0], "c1") == 0,
                "... MsgBase 402, collection_names [\"c1\"]");
    milvus__proto__milvus__flush_request__free_unpacked(fr, NULL);

    ngx_unit_is(ngx_http_milvus_cdc_msg_rpc_names(out.data, out.len, &db,
                                                  names, 2, &n),
                NGX_OK, "... its names read as the replicate channel's");
    ngx_unit_ok(n == 1 && db.len == 3 && ngx_strncmp(db.data, "db1", 3) == 0
                && names[0].len == 2, "... db1, c1");

    ngx_unit_is(ngx_http_milvus_cdc_msg_rpc_names(out.data, out.len - 1,
                                                  &db, names, 2, &n),
                NGX_ERROR, "... truncated: NGX_ERROR");
    ngx_free(out.data);

    ngx_unit_is(ngx_http_milvus_cdc_msg_request(
                    NGX_HTTP_MILVUS_CDC_MSG_RPC_REPLICATE, &rq, &out, NULL),
                NGX_DECLINED, "ReplicateMessage by msg_request: declined");
    ngx_unit_is(ngx_http_milvus_cdc_msg_request(
                    NGX_HTTP_MILVUS_CDC_MSG_RPC_LAST, &rq, &out, NULL),
                NGX_DECLINED, "an unknown rpc: declined");
    ngx_unit_ok(ngx_http_milvus_cdc_msg_method(
                    NGX_HTTP_MILVUS_CDC_MSG_RPC_LAST) == NULL,
                "... no method");

    ngx_unit_is(ngx_unit_heap(), heap, "no byte leaked");
}


static void
test_replicate_channel(void)
{
    u_char                                       *p, *last;
    size_t                                        heap, i;
    ngx_str_t                                     out, db, coll, part, m[2];
    ngx_int_t                                     rc[2];
    ngx_uint_t                                    n;
    ngx_http_milvus_cdc_pb_field_t                f, g;
    ngx_http_milvus_cdc_msg_position_t            pos;
    ngx_http_milvus_cdc_msg_replicate_t           rp;
    Milvus__Proto__Common__MsgBase                mb;
    Milvus__Proto__Milvus__DropCollectionRequest  dr;
    Milvus__Proto__Milvus__ReplicateMessageRequest  *rr;
    static u_char                                 big[20000];

    heap = ngx_unit_heap();

    /* mark_replicated: a second MsgBase merged into the first */

    milvus__proto__milvus__drop_collection_request__init(&dr);
    milvus__proto__common__msg_base__init(&mb);
    mb.msg_type = 101;
    mb.msgid = 7;
    mb.timestamp = 5;
    dr.msg_base = &mb;
    dr.db_name = "d";
    dr.collection_name = "c";
    n = milvus__proto__milvus__drop_collection_request__pack(&dr, buf);

    ngx_unit_is(ngx_http_milvus_cdc_msg_mark_replicated(buf, n,
                                                        (uint64_t) 1 << 60,
                                                        &out, NULL),
                NGX_OK, "a request marked replicated");
    ngx_unit_ok(out.len > n && ngx_memcmp(out.data, buf, n) == 0,
                "... the request itself unchanged");

    /*
     * then base 1 {replicateInfo 7 {isReplicate 1: 1, msgTimestamp 2}},
     * which Go's proto.Unmarshal merges into the first base (protobuf-c
     * replaces the scalars of the first one: not read with it here)
     */

    p = out.data + n;
    last = out.data + out.len;
    rc[0] = ngx_http_milvus_cdc_pb_next(&p, last, &f);
    ngx_unit_ok(rc[0] == NGX_OK && f.number == 1 && f.wire == 2 && p == last,
                "... one more field 1 after it");

    p = f.bytes.data;
    last = f.bytes.data + f.bytes.len;
    rc[0] = ngx_http_milvus_cdc_pb_next(&p, last, &f);
    ngx_unit_ok(rc[0] == NGX_OK && f.number == 7 && p == last,
                "... holding MsgBase.replicateInfo 7 only");

    p = f.bytes.data;
    last = f.bytes.data + f.bytes.len;
    rc[0] = ngx_http_milvus_cdc_pb_next(&p, last, &f);
    rc[1] = ngx_http_milvus_cdc_pb_next(&p, last, &g);
    ngx_unit_ok(rc[0] == NGX_OK && f.number == 1 && f.value == 1
                && rc[1] == NGX_OK && g.number == 2
                && g.value == (uint64_t) 1 << 60 && p == last,
                "... {isReplicate true, msgTimestamp ts}");
    ngx_free(out.data);

    /* release_partition, with a name too long for two length bytes */

    ngx_str_set(&db, "db1");
    ngx_str_set(&coll, "c1");
    ngx_memset(big, 'p', sizeof(big));
    part.data = big;
    part.len = sizeof(big);

    ngx_unit_is(ngx_http_milvus_cdc_msg_release_partition(&db, &coll, &part,
                                                          &out, NULL),
                NGX_OK, "ReleasePartitionsRequest packed");

    p = out.data;
    last = out.data + out.len;

    for (i = 2; i <= 4; i++) {
        rc[0] = ngx_http_milvus_cdc_pb_next(&p, last, &f);
        ngx_unit_ok(rc[0] == NGX_OK && f.number == i && f.wire == 2,
                    "... field %d", (int) i);
    }

    ngx_unit_ok(f.bytes.len == sizeof(big) && p == last,
                "... a partition name of 20000 bytes, nothing after it");
    ngx_free(out.data);

    /* ReplicateMessage */

    ngx_memzero(&rp, sizeof(ngx_http_milvus_cdc_msg_replicate_t));
    ngx_str_set(&rp.channel_name, "t-rootcoord-dml_3");
    rp.begin_ts = 10;
    rp.end_ts = 20;
    ngx_str_set(&m[0], "one");
    ngx_str_set(&m[1], "two");
    rp.msgs = m;
    rp.nmsgs = 2;
    ngx_str_set(&pos.channel_name, "s-rootcoord-dml_3");
    ngx_str_set(&pos.msg_id, "\x01\x00\x00\x00\x00\x00\x00\x00");
    ngx_str_set(&pos.msg_group, "");
    pos.ts = 15;
    rp.end_positions = &pos;
    rp.nend_positions = 1;

    ngx_unit_is(ngx_http_milvus_cdc_msg_replicate(&rp, &out, NULL), NGX_OK,
                "ReplicateMessageRequest packed");
    rr = milvus__proto__milvus__replicate_message_request__unpack(NULL,
                                                         out.len, out.data);
    ngx_unit_ok(rr && rr->msg_base->replicateinfo->isreplicate
                && ngx_strcmp(rr->channel_name, "t-rootcoord-dml_3") == 0
                && rr->begints == 10 && rr->endts == 20 && rr->n_msgs == 2
                && rr->msgs[1].len == 3
                && rr->n_endpositions == 1 && rr->n_startpositions == 0
                && rr->endpositions[0]->msgid.len == 8
                && rr->endpositions[0]->timestamp == 15,
                "... replicated base, channel, range, messages, positions");
    milvus__proto__milvus__replicate_message_request__free_unpacked(rr,
                                                                    NULL);
    ngx_free(out.data);

    ngx_unit_ok(ngx_strcmp(ngx_http_milvus_cdc_msg_rpc_method(300)->data,
                           "/milvus.proto.milvus.MilvusService/CreateIndex")
                == 0
                && ngx_http_milvus_cdc_msg_rpc_method(400) == NULL,
                "replicate-channel methods: CreateIndex 300, none for 400");

    ngx_unit_is(ngx_unit_heap(), heap, "no byte leaked");
}


static void
test_schema_clean(void)
{
    size_t                                    heap;
    ngx_str_t                                 in, out, name;
    ngx_uint_t                                i;
    Milvus__Proto__Schema__FieldSchema        f[5], *fs[5];
    Milvus__Proto__Schema__CollectionSchema   cs, *c;
    static int64_t                            ids[5] = { 0, 1, 100, 101,
                                                         102 };

    heap = ngx_unit_heap();

    milvus__proto__schema__collection_schema__init(&cs);

    for (i = 0; i < 5; i++) {
        milvus__proto__schema__field_schema__init(&f[i]);
        f[i].fieldid = ids[i];
        fs[i] = &f[i];
    }

    f[4].is_dynamic = 1;
    cs.name = "source";
    cs.n_fields = 5;
    cs.fields = fs;

    in.data = buf;
    in.len = milvus__proto__schema__collection_schema__pack(&cs, buf);
    ngx_str_set(&name, "c1");

    ngx_unit_is(ngx_http_milvus_cdc_msg_schema_clean(&in, &name, &out, NULL),
                NGX_OK, "a schema cleaned");
    c = milvus__proto__schema__collection_schema__unpack(NULL, out.len,
                                                         out.data);
    ngx_unit_ok(c && c->n_fields == 2 && c->fields[0]->fieldid == 100
                && c->fields[1]->fieldid == 101
                && ngx_strcmp(c->name, "c1") == 0,
                "... RowID, Timestamp and $meta gone, the name replaced");
    milvus__proto__schema__collection_schema__free_unpacked(c, NULL);
    ngx_free(out.data);

    ngx_unit_is(ngx_unit_heap(), heap, "no byte leaked");
}


int
main(int argc, char **argv)
{
    ngx_unit_heap_init(argv);

    test_status();
    test_replies();
    test_connect();
    test_requests();
    test_replicate_channel();
    test_schema_clean();

    return ngx_unit_done();
}
