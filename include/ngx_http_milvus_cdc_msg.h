
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 */


#ifndef _NGX_HTTP_MILVUS_CDC_MSG_H_INCLUDED_
#define _NGX_HTTP_MILVUS_CDC_MSG_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


/*
 * The message codec: Milvus WAL messages (Kafka record values of the DML
 * pchannels) and the target RPCs the writer calls.
 *
 * WAL side: every record value is one bare protobuf (msgpb.* of
 * proto/milvus_cdc_msg.proto) whose field 1 is common.MsgBase; the
 * message type is MsgBase.msg_type.  The codec reads the header, decodes
 * the messages the engine acts on, rewrites collectionID, partitionID and
 * shardName to the target's values and packs the message again.  The
 * trimmed protos do not declare the row data (InsertRequest.fields_data,
 * rowIDs): protobuf-c keeps it as unknown fields and writes it back byte
 * for byte.
 *
 * RPC side: requests of milvus.proto.milvus.MilvusService packed from
 * plain C structs (ngx_http_milvus_cdc_msg_request(),
 * ngx_http_milvus_cdc_msg_replicate()) and replies unpacked into a plain
 * C struct (ngx_http_milvus_cdc_msg_reply()); the bytes travel through
 * the grpc layer (ngx_http_milvus_cdc_grpc.h).
 *
 * Memory: protobuf-c uses its default allocator (malloc/free).  Every
 * buffer handed to the caller is allocated with ngx_alloc() and is the
 * caller's: free it with ngx_free() (packed bytes) or with the matching
 * _free() function (decoded messages, replies).  Nothing is allocated
 * from pools, so results may outlive any request or tick.
 *
 * Errors: functions return NGX_OK, NGX_DECLINED (documented per
 * function) or NGX_ERROR.  Malformed input is not logged here (the caller
 * knows the task and channel and logs once); allocation failures are
 * logged by ngx_alloc() on the log passed in.
 *
 * Timestamps are Milvus hybrid TSO values: (unix ms << 18) | logical.
 */


/* common.proto enum MsgType (values stable in 2.3 and 2.4) */
#define NGX_HTTP_MILVUS_CDC_MSG_CREATE_COLLECTION    100
#define NGX_HTTP_MILVUS_CDC_MSG_DROP_COLLECTION      101
#define NGX_HTTP_MILVUS_CDC_MSG_LOAD_COLLECTION      106
#define NGX_HTTP_MILVUS_CDC_MSG_RELEASE_COLLECTION   107
#define NGX_HTTP_MILVUS_CDC_MSG_CREATE_PARTITION     200
#define NGX_HTTP_MILVUS_CDC_MSG_DROP_PARTITION       201
#define NGX_HTTP_MILVUS_CDC_MSG_LOAD_PARTITIONS      205
#define NGX_HTTP_MILVUS_CDC_MSG_RELEASE_PARTITIONS   206
#define NGX_HTTP_MILVUS_CDC_MSG_CREATE_INDEX         300
#define NGX_HTTP_MILVUS_CDC_MSG_DROP_INDEX           302
#define NGX_HTTP_MILVUS_CDC_MSG_INSERT               400
#define NGX_HTTP_MILVUS_CDC_MSG_DELETE               401
#define NGX_HTTP_MILVUS_CDC_MSG_FLUSH                402
#define NGX_HTTP_MILVUS_CDC_MSG_UPSERT               404
#define NGX_HTTP_MILVUS_CDC_MSG_TIME_TICK            1200
#define NGX_HTTP_MILVUS_CDC_MSG_DATANODE_TT          1208
#define NGX_HTTP_MILVUS_CDC_MSG_CREATE_DATABASE      1801
#define NGX_HTTP_MILVUS_CDC_MSG_DROP_DATABASE        1802

/* common.proto enum ConsistencyLevel */
#define NGX_HTTP_MILVUS_CDC_MSG_STRONG               0
#define NGX_HTTP_MILVUS_CDC_MSG_SESSION              1
#define NGX_HTTP_MILVUS_CDC_MSG_BOUNDED              2
#define NGX_HTTP_MILVUS_CDC_MSG_EVENTUALLY           3

/* MsgBase.sourceID of the TimeTicks the CDC makes up (as Milvus-CDC) */
#define NGX_HTTP_MILVUS_CDC_MSG_SOURCE_ID            -1


/*
 * The RPCs of milvus.proto.milvus.MilvusService the writer uses; index
 * for ngx_http_milvus_cdc_msg_method(), _request() and _reply().
 * Request/reply messages are in proto/milvus_cdc_milvus.proto.
 */
typedef enum {
    NGX_HTTP_MILVUS_CDC_MSG_RPC_REPLICATE = 0,     /* ReplicateMessage */
    NGX_HTTP_MILVUS_CDC_MSG_RPC_CREATE_COLLECTION, /* -> common.Status */
    NGX_HTTP_MILVUS_CDC_MSG_RPC_DROP_COLLECTION,   /* -> common.Status */
    NGX_HTTP_MILVUS_CDC_MSG_RPC_HAS_COLLECTION,    /* -> BoolResponse */
    NGX_HTTP_MILVUS_CDC_MSG_RPC_DESCRIBE_COLLECTION,
    NGX_HTTP_MILVUS_CDC_MSG_RPC_CREATE_PARTITION,  /* -> common.Status */
    NGX_HTTP_MILVUS_CDC_MSG_RPC_DROP_PARTITION,    /* -> common.Status */
    NGX_HTTP_MILVUS_CDC_MSG_RPC_SHOW_PARTITIONS,
    NGX_HTTP_MILVUS_CDC_MSG_RPC_CREATE_DATABASE,   /* -> common.Status */
    NGX_HTTP_MILVUS_CDC_MSG_RPC_DROP_DATABASE,     /* -> common.Status */
    NGX_HTTP_MILVUS_CDC_MSG_RPC_LIST_DATABASES,
    NGX_HTTP_MILVUS_CDC_MSG_RPC_FLUSH,
    NGX_HTTP_MILVUS_CDC_MSG_RPC_COLLECTION_STATISTICS,
    NGX_HTTP_MILVUS_CDC_MSG_RPC_LAST
} ngx_http_milvus_cdc_msg_rpc_e;


/*
 * common.MsgHeader of a WAL message: MsgBase (field 1) fields.
 *
 *   type          MsgBase.msg_type 1 (NGX_HTTP_MILVUS_CDC_MSG_* above);
 *   msg_id        MsgBase.msgID 2;
 *   ts            MsgBase.timestamp 3 (TSO); for TimeTick the tick, for
 *                 Insert/Delete the request ts;
 *   source_id     MsgBase.sourceID 4 (writing node id, -1 for CDC ticks);
 *   replicate,    MsgBase.replicateInfo 7 {isReplicate 1, msgTimestamp 2}:
 *   replicate_ts  set on messages a replicating CDC wrote (0 if absent).
 */
typedef struct {
    ngx_int_t                            type;
    int64_t                              msg_id;
    uint64_t                             ts;
    int64_t                              source_id;
    ngx_uint_t                           replicate;
    uint64_t                             replicate_ts;
} ngx_http_milvus_cdc_msg_header_t;


/*
 * A decoded WAL message (msgpb, proto/milvus_cdc_msg.proto).  Strings
 * point into the decoded protobuf (NUL-terminated, valid until
 * ngx_http_milvus_cdc_msg_free()); empty when the field is absent.
 *
 *   hdr              the MsgBase fields, see above;
 *   begin_ts,        the message's time range as Milvus computes it
 *   end_ts           (msgstream Unmarshal): Insert/Delete: min and max of
 *                    timestamps 10 (one per row/key), all equal in
 *                    practice; NOTE the Insert half of an upsert has
 *                    MsgBase.timestamp 0 (seen on 2.3.5), only the row
 *                    timestamps carry its ts; other types: hdr.ts;
 *   collection_id    Insert 7, Delete 7, CreateCollection 6,
 *                    DropCollection 5, Create/DropPartition 6;
 *   partition_id     Insert 8, Delete 8 (-1: all partitions, written for
 *                    deletes without partition name and in partition-key
 *                    mode), Create/DropPartition 7; 0 otherwise;
 *   shard_name       Insert/Delete shardName 2: the source vchannel
 *                    "<pchannel>_<collectionID>v<n>";
 *   db_name          db_name (Insert: 2.4 only; rootcoord's DDL messages
 *                    leave it empty);
 *   collection_name  Insert 4, Delete 4, DropCollection 3,
 *                    Create/DropPartition 3 (CreateCollection: empty, the
 *                    name is inside the schema);
 *   partition_name   Insert 5, Delete 5, Create/DropPartition 4;
 *   num_rows         Insert num_rows 14, Delete num_rows 11;
 *   pk_count         Delete: number of keys in primary_keys 12 (IDs,
 *                    int_id or str_id);
 *   pk_varchar       Delete: 1 if the keys are strings (str_id);
 *   version          Insert version 15 (1 ColumnBased; 0 RowBased, the
 *                    pre-2.2 format, unsupported);
 *   schema           CreateCollection schema 8: serialized
 *                    schema.CollectionSchema, as rootcoord wrote it;
 *   vchannels        CreateCollection virtualChannelNames 9 (nvchannels);
 *   pchannels        CreateCollection physicalChannelNames 10
 *                    (npchannels); vchannel i belongs to pchannel i;
 *   partition_ids    CreateCollection partitionIDs 11 (npartition_ids).
 */
typedef struct {
    ngx_http_milvus_cdc_msg_header_t     hdr;
    uint64_t                             begin_ts;
    uint64_t                             end_ts;
    int64_t                              collection_id;
    int64_t                              partition_id;
    ngx_str_t                            shard_name;
    ngx_str_t                            db_name;
    ngx_str_t                            collection_name;
    ngx_str_t                            partition_name;
    uint64_t                             num_rows;
    ngx_uint_t                           pk_count;
    ngx_uint_t                           pk_varchar;
    ngx_int_t                            version;
    ngx_str_t                            schema;
    ngx_uint_t                           nvchannels;
    ngx_str_t                           *vchannels;
    ngx_uint_t                           npchannels;
    ngx_str_t                           *pchannels;
    ngx_uint_t                           npartition_ids;
    int64_t                             *partition_ids;

    /* private */
    void                                *pb;
    void                                *mem;
} ngx_http_milvus_cdc_msg_t;


/*
 * Target values for ngx_http_milvus_cdc_msg_rewrite().
 *
 *   collection_id  target collection id, > 0;
 *   partition_id   target partition id (Insert, Delete, DropPartition);
 *                  a Delete whose source partition_id is -1 keeps -1;
 *   shard_name     target vchannel (Insert, Delete), required for them;
 *   ts             0: keep the timestamps; otherwise re-stamp the message:
 *                  MsgBase.timestamp and every element of timestamps 10
 *                  (Insert/Delete) become ts, and so do m->hdr.ts,
 *                  begin_ts and end_ts (for a target pchannel whose last
 *                  tick is already past the source ts);
 *   msg_id         0: keep MsgBase.msgID 2; otherwise it becomes msg_id.
 *                  A target pchannel's stream drops an Insert or Delete
 *                  whose msgID it already holds between two TimeTicks
 *                  (mqTtMsgStream, "found duplicated msg"): messages sent
 *                  again after a restart, or made by the CDC, need ids of
 *                  their own.
 */
typedef struct {
    int64_t                              collection_id;
    int64_t                              partition_id;
    ngx_str_t                            shard_name;
    uint64_t                             ts;
    int64_t                              msg_id;
} ngx_http_milvus_cdc_msg_rewrite_t;


/* common.KeyValuePair: key 1, value 2 */
typedef struct {
    ngx_str_t                            key;
    ngx_str_t                            value;
} ngx_http_milvus_cdc_msg_kv_t;


/*
 * Parameters of the RPC requests built by ngx_http_milvus_cdc_msg_request()
 * (milvus.proto.milvus.*Request, proto/milvus_cdc_milvus.proto).  Zero the
 * struct and fill what the RPC uses; strings need not be NUL-terminated.
 *
 *   db_name          db_name 2 of every request (empty: the "dbname"
 *                    metadata of the call or "default"); CREATE_DATABASE,
 *                    DROP_DATABASE: the database;
 *   collection_name  collection_name 3 (CREATE/DROP/HAS/DESCRIBE
 *                    COLLECTION, CREATE/DROP/SHOW PARTITION(S),
 *                    COLLECTION_STATISTICS); FLUSH: the one entry of
 *                    collection_names 3;
 *   partition_name   partition_name 4 (CREATE/DROP_PARTITION);
 *   collection_id    collectionID 4 (DESCRIBE_COLLECTION,
 *                    SHOW_PARTITIONS), 0: by name;
 *   replicate_ts     != 0: MsgBase.replicateInfo = {isReplicate true,
 *                    msgTimestamp replicate_ts}, the marker of a
 *                    replicated DDL (CreateCollection: the target's create
 *                    ts, must be non-zero; DropCollection/DropPartition:
 *                    the target then skips broadcasting its own drop
 *                    message, the CDC forwards the source's one);
 *   schema           CREATE_COLLECTION schema 4: serialized
 *                    schema.CollectionSchema (user fields only, see
 *                    ngx_http_milvus_cdc_msg_schema_clean());
 *   shards_num       CREATE_COLLECTION shards_num 5 (same as the source);
 *   consistency_level  CREATE_COLLECTION consistency_level 6;
 *   properties       CREATE_COLLECTION properties 7, CREATE_DATABASE
 *                    properties 3 (nproperties entries);
 *   num_partitions   CREATE_COLLECTION num_partitions 8 (partition-key
 *                    collections only, else 0).
 */
typedef struct {
    ngx_str_t                            db_name;
    ngx_str_t                            collection_name;
    ngx_str_t                            partition_name;
    int64_t                              collection_id;
    uint64_t                             replicate_ts;
    ngx_str_t                            schema;
    ngx_int_t                            shards_num;
    ngx_int_t                            consistency_level;
    ngx_http_milvus_cdc_msg_kv_t        *properties;
    ngx_uint_t                           nproperties;
    int64_t                              num_partitions;
} ngx_http_milvus_cdc_msg_request_t;


/*
 * msgpb.MsgPosition (channel_name 1, msgID 2, msgGroup 3, timestamp 4):
 * a source position sent along with a ReplicateMessage (informational for
 * the target).  msg_id is the MQ id bytes (Kafka: 8-byte little-endian
 * offset).
 */
typedef struct {
    ngx_str_t                            channel_name;
    ngx_str_t                            msg_id;
    ngx_str_t                            msg_group;
    uint64_t                             ts;
} ngx_http_milvus_cdc_msg_position_t;


/*
 * milvus.ReplicateMessageRequest: base 1 (replicateInfo.isReplicate set,
 * as Milvus-CDC does), channel_name 2 = channel_name (a TARGET pchannel,
 * e.g. "by-dev-rootcoord-dml_3"), BeginTs 3 = begin_ts, EndTs 4 = end_ts
 * (the target uses it to allocate segments for inserts), Msgs 5 = msgs
 * (nmsgs packed WAL messages, e.g. from ngx_http_milvus_cdc_msg_rewrite()
 * and ngx_http_milvus_cdc_msg_timetick()), StartPositions 6 and
 * EndPositions 7 (may be empty).
 */
typedef struct {
    ngx_str_t                            channel_name;
    uint64_t                             begin_ts;
    uint64_t                             end_ts;
    ngx_str_t                           *msgs;
    ngx_uint_t                           nmsgs;
    ngx_http_milvus_cdc_msg_position_t  *start_positions;
    ngx_uint_t                           nstart_positions;
    ngx_http_milvus_cdc_msg_position_t  *end_positions;
    ngx_uint_t                           nend_positions;
} ngx_http_milvus_cdc_msg_replicate_t;


/*
 * A decoded RPC reply (ngx_http_milvus_cdc_msg_reply()).  All strings and
 * arrays live in one ngx_alloc()ed block owned by the struct (free with
 * ngx_http_milvus_cdc_msg_reply_free()); strings are NUL-terminated.
 *
 * Every reply (common.Status, or field status 1 of the reply message):
 *   error_code  Status.error_code 1 (deprecated ErrorCode, 0 Success);
 *   code        Status.code 3 (0 success; e.g. 1100 parameter error,
 *               1900 ttMsgEnabled target refuses ReplicateMessage);
 *   reason      Status.reason 2 (truncated to 255 bytes), or the codec's
 *               own text when the reply could not be decoded.
 * Per RPC:
 *   REPLICATE            position: ReplicateMessageResponse.position 2,
 *                        base64 of the target MQ id of the last message;
 *   HAS_COLLECTION       value: BoolResponse.value 2;
 *   DESCRIBE_COLLECTION  collection_id 3, vchannels 4 (nvchannels),
 *                        pchannels 5 (npchannels), created_ts 6 (TSO),
 *                        shards_num 8, consistency_level 11, db_name 14,
 *                        num_partitions 15, schema 2 re-packed as
 *                        serialized schema.CollectionSchema (user fields;
 *                        the proxy leaves out system fields and "$meta");
 *   SHOW_PARTITIONS      names = partition_names 2, ids = partitionIDs 3
 *                        (nnames each);
 *   LIST_DATABASES       names = db_names 2 (nnames), ids NULL;
 *   COLLECTION_STATISTICS  row_count: stats 2 "row_count" (-1 if absent).
 */
typedef struct {
    ngx_int_t                            error_code;
    ngx_int_t                            code;
    ngx_str_t                            reason;
    ngx_str_t                            position;
    ngx_uint_t                           value;
    int64_t                              collection_id;
    uint64_t                             created_ts;
    ngx_int_t                            shards_num;
    ngx_int_t                            consistency_level;
    int64_t                              num_partitions;
    ngx_str_t                            db_name;
    ngx_str_t                            schema;
    ngx_uint_t                           nvchannels;
    ngx_str_t                           *vchannels;
    ngx_uint_t                           npchannels;
    ngx_str_t                           *pchannels;
    ngx_uint_t                           nnames;
    ngx_str_t                           *names;
    int64_t                             *ids;
    int64_t                              row_count;

    /* private */
    void                                *mem;
    u_char                               text[256];
} ngx_http_milvus_cdc_msg_reply_t;


/*
 * Reads common.MsgHeader {base 1} of a WAL message without decoding the
 * rest (the top-level fields are skipped by wire type, no copy of the row
 * data), fills h.
 * Returns NGX_OK; NGX_ERROR if the bytes are not a protobuf or MsgBase is
 * missing (Milvus drops such messages too).
 */
ngx_int_t ngx_http_milvus_cdc_msg_header(u_char *data, size_t len,
    ngx_http_milvus_cdc_msg_header_t *h);

/*
 * Decodes a WAL message into m (caller's storage, zeroed here).
 * Decoded types: Insert, Delete, TimeTick, CreateCollection,
 * DropCollection, CreatePartition, DropPartition (see the struct).
 * The bytes are copied: data may be released after the call.
 * Returns NGX_OK; NGX_DECLINED for another type (m->hdr is filled,
 * nothing else); NGX_ERROR for undecodable bytes or no memory.
 * Call ngx_http_milvus_cdc_msg_free() after NGX_OK (harmless otherwise).
 */
ngx_int_t ngx_http_milvus_cdc_msg_decode(ngx_http_milvus_cdc_msg_t *m,
    u_char *data, size_t len, ngx_log_t *log);

/* Releases what ngx_http_milvus_cdc_msg_decode() allocated; m reusable. */
void ngx_http_milvus_cdc_msg_free(ngx_http_milvus_cdc_msg_t *m);

/*
 * Rewrites a decoded Insert, Delete, DropCollection or DropPartition to
 * the target's ids (see ngx_http_milvus_cdc_msg_rewrite_t) and packs it:
 * out gets ngx_alloc()ed bytes (free with ngx_free()).  Fields not
 * declared in the trimmed protos (row data, primary keys of a Delete are
 * declared but untouched) are written back unchanged; segmentID is kept
 * (a target proxy assigns its own).  m itself is modified (ids, names,
 * timestamps), so m->collection_id etc. then show the target values.
 * Returns NGX_OK; NGX_DECLINED for another message type or a missing
 * shard_name; NGX_ERROR no memory.
 */
ngx_int_t ngx_http_milvus_cdc_msg_rewrite(ngx_http_milvus_cdc_msg_t *m,
    ngx_http_milvus_cdc_msg_rewrite_t *rw, ngx_str_t *out, ngx_log_t *log);

/*
 * Packs msgpb.TimeTickMsg {base {msg_type 1200, msgID 0, timestamp ts,
 * sourceID -1}} into out (ngx_alloc()ed, free with ngx_free()).
 * Returns NGX_OK or NGX_ERROR (no memory).
 */
ngx_int_t ngx_http_milvus_cdc_msg_timetick(uint64_t ts, ngx_str_t *out,
    ngx_log_t *log);

/*
 * Returns the gRPC method path of rpc,
 * "/milvus.proto.milvus.MilvusService/<Method>" (static storage), or NULL
 * for an unknown value.
 */
ngx_str_t *ngx_http_milvus_cdc_msg_method(ngx_uint_t rpc);

/*
 * Packs the request of rpc (any ngx_http_milvus_cdc_msg_rpc_e value but
 * NGX_HTTP_MILVUS_CDC_MSG_RPC_REPLICATE) from rq into out (ngx_alloc()ed,
 * free with ngx_free()).
 * Returns NGX_OK; NGX_DECLINED for an unknown rpc; NGX_ERROR no memory.
 */
ngx_int_t ngx_http_milvus_cdc_msg_request(ngx_uint_t rpc,
    ngx_http_milvus_cdc_msg_request_t *rq, ngx_str_t *out, ngx_log_t *log);

/*
 * Packs a milvus.ReplicateMessageRequest from rp into out (ngx_alloc()ed,
 * free with ngx_free()).  The message bytes are copied once, into out.
 * Returns NGX_OK or NGX_ERROR (no memory).
 */
ngx_int_t ngx_http_milvus_cdc_msg_replicate(
    ngx_http_milvus_cdc_msg_replicate_t *rp, ngx_str_t *out, ngx_log_t *log);

/*
 * Decodes the reply bytes of rpc (grpc result "reply" of a call with gRPC
 * status OK) into r (caller's storage, zeroed here).
 * Returns NGX_OK: Milvus reports success (error_code 0 and code 0);
 * NGX_DECLINED: Milvus error, r->error_code, r->code and r->reason set;
 * NGX_ERROR: undecodable reply (r->reason says so) or no memory.
 * Call ngx_http_milvus_cdc_msg_reply_free() in every case.
 */
ngx_int_t ngx_http_milvus_cdc_msg_reply(ngx_uint_t rpc, ngx_str_t *data,
    ngx_http_milvus_cdc_msg_reply_t *r, ngx_log_t *log);

/* Releases the arrays and strings of a decoded reply; r reusable. */
void ngx_http_milvus_cdc_msg_reply_free(ngx_http_milvus_cdc_msg_reply_t *r);

/*
 * Makes a schema fit for MilvusService/CreateCollection: decodes a
 * serialized schema.CollectionSchema (e.g. ngx_http_milvus_cdc_msg_t
 * schema of a WAL CreateCollection), drops system fields (fieldID < 100:
 * RowID 0, Timestamp 1) and the dynamic "$meta" field (is_dynamic; the
 * target proxy adds its own when enable_dynamic_field is set), and packs
 * it into out (ngx_alloc()ed, free with ngx_free()).  Everything else,
 * undeclared fields included, is kept; remaining field ids are unchanged
 * (the target numbers user fields from 100 in order, as the source did).
 * If name is not empty it replaces CollectionSchema.name 1 (the proxy
 * requires it to equal the request's collection_name).
 * Returns NGX_OK; NGX_ERROR undecodable schema or no memory.
 */
ngx_int_t ngx_http_milvus_cdc_msg_schema_clean(ngx_str_t *schema,
    ngx_str_t *name, ngx_str_t *out, ngx_log_t *log);

/* Name of a MsgType value for logs ("Insert", "TimeTick"), or "Unknown". */
const char *ngx_http_milvus_cdc_msg_type_name(ngx_int_t type);

/*
 * The MilvusService method of a replicate-channel message type (the
 * message is that method's request, milvus-proto milvus.proto):
 * CreateIndex 300, DropIndex 302, LoadCollection 106, ReleaseCollection
 * 107, LoadPartitions 205, ReleasePartitions 206, Flush 402,
 * CreateDatabase 1801, DropDatabase 1802; NULL for other types.
 */
ngx_str_t *ngx_http_milvus_cdc_msg_rpc_method(ngx_int_t type);

/*
 * Reads db_name (field 2) and the collection names (field 3, repeated in
 * FlushRequest) of a replicate-channel request, without decoding the
 * rest.  db is empty when absent (the default database); at most "max"
 * names go to "collections", "*n" tells how many.  Strings point into
 * data.  NGX_OK, or NGX_ERROR for bytes that are not a protobuf message.
 */
ngx_int_t ngx_http_milvus_cdc_msg_rpc_names(u_char *data, size_t len,
    ngx_str_t *db, ngx_str_t *collections, ngx_uint_t max, ngx_uint_t *n);

/*
 * A copy of a request (whose field 1 is common.MsgBase) with
 * base.replicateInfo = {isReplicate true, msgTimestamp ts} (common.proto
 * MsgBase 7, ReplicateInfo 1 and 2), by appending a second field 1 that
 * protobuf merges into the first.  out is ngx_alloc()ed.  NGX_OK or
 * NGX_ERROR (no memory).
 */
/*
 * Packs milvus.proto.milvus.ReleasePartitionsRequest {db_name 2,
 * collection_name 3, partition_names 4 (one)} for the method of type 206
 * (ngx_http_milvus_cdc_msg_rpc_method()).  Names are at most 16383 bytes.
 * out is ngx_alloc()ed.  NGX_OK or NGX_ERROR (no memory).
 */
ngx_int_t ngx_http_milvus_cdc_msg_release_partition(ngx_str_t *db,
    ngx_str_t *collection, ngx_str_t *partition, ngx_str_t *out,
    ngx_log_t *log);

/*
 * A msgpb.DeleteRequest of the primary keys of an Insert, for replaying
 * an Insert that may already be on the target: insert is the packed
 * InsertRequest (msg.proto fields_data 13, the column whose
 * schema.FieldData.field_id 5 is pk_field_id: LongArray or StringArray of
 * ScalarField 3/6), m the Insert as rewritten for the target (its
 * collection id and name are used), shard the target vchannel; every key gets
 * timestamp ts, partitionID is -1 (all partitions), MsgBase sourceID -1
 * and msgID msg_id (one the Insert does not have: the target keeps only
 * the first of two DML messages with one id between TimeTicks).
 * Deletes hide rows with an older timestamp only, so a Delete and the
 * Insert sent again with one new ts leave exactly one row.  out is
 * ngx_alloc()ed.  NGX_OK; NGX_DECLINED no such column; NGX_ERROR memory.
 */
ngx_int_t ngx_http_milvus_cdc_msg_insert_delete(ngx_str_t *insert,
    int64_t pk_field_id, ngx_http_milvus_cdc_msg_t *m, ngx_str_t *shard,
    uint64_t ts, int64_t msg_id, ngx_str_t *out, ngx_log_t *log);

ngx_int_t ngx_http_milvus_cdc_msg_mark_replicated(u_char *data, size_t len,
    uint64_t ts, ngx_str_t *out, ngx_log_t *log);


#endif /* _NGX_HTTP_MILVUS_CDC_MSG_H_INCLUDED_ */
