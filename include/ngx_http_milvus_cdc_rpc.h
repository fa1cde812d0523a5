
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 */


#ifndef _NGX_HTTP_MILVUS_CDC_RPC_H_INCLUDED_
#define _NGX_HTTP_MILVUS_CDC_RPC_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


/*
 * The MilvusService codec: requests of milvus.proto.milvus.MilvusService
 * packed from plain C structs (ngx_http_milvus_cdc_msg_request(),
 * ngx_http_milvus_cdc_msg_replicate()) and replies unpacked into a plain
 * C struct (ngx_http_milvus_cdc_msg_reply()); the bytes travel through
 * the grpc layer (ngx_http_milvus_cdc_grpc.h).  The writer's calls, the
 * registry's DDL steps, the replicate channel's calls and the probe's
 * Connect all go through it.  Request and reply messages are in
 * proto/milvus_cdc_milvus.proto (trimmed from milvus-proto's
 * milvus.proto; field numbers as there), their parts in
 * proto/milvus_cdc_common.proto and proto/milvus_cdc_schema.proto.
 *
 * The replicate channel's requests (the proxy's DDL/DCL calls as the
 * source got them) are read and forwarded by
 * ngx_http_milvus_cdc_msg_rpc_method(), _rpc_names() and
 * _mark_replicated(); their MsgType values are in
 * ngx_http_milvus_cdc_msg.h.
 *
 * The names keep the ngx_http_milvus_cdc_msg_ prefix of the codec they
 * were split from.
 *
 * Memory: protobuf-c uses its default allocator (malloc/free).  Every
 * buffer handed to the caller is allocated with ngx_alloc() and is the
 * caller's: free it with ngx_free() (packed bytes) or with
 * ngx_http_milvus_cdc_msg_reply_free() (replies).  Pools are used only
 * inside a call, so results may outlive any request or tick.
 *
 * Errors: functions return NGX_OK, NGX_DECLINED (documented per
 * function) or NGX_ERROR.  Malformed input is not logged here (the caller
 * knows the task and channel and logs once); allocation failures are
 * logged by ngx_alloc() on the log passed in.
 *
 * Timestamps are Milvus hybrid TSO values: (unix ms << 18) | logical.
 */


/*
 * The RPCs of milvus.proto.milvus.MilvusService the module calls; index
 * for ngx_http_milvus_cdc_msg_method(), _request() and _reply().
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
    NGX_HTTP_MILVUS_CDC_MSG_RPC_CONNECT,           /* -> ConnectResponse */
    NGX_HTTP_MILVUS_CDC_MSG_RPC_CREATE_ALIAS,      /* -> common.Status */
    NGX_HTTP_MILVUS_CDC_MSG_RPC_ALTER_ALIAS,       /* -> common.Status */
    NGX_HTTP_MILVUS_CDC_MSG_RPC_DROP_ALIAS,        /* -> common.Status */
    NGX_HTTP_MILVUS_CDC_MSG_RPC_RENAME_COLLECTION, /* -> common.Status */
    NGX_HTTP_MILVUS_CDC_MSG_RPC_LAST
} ngx_http_milvus_cdc_msg_rpc_e;


/* common.KeyValuePair: key 1, value 2 */
typedef struct {
    ngx_str_t                            key;
    ngx_str_t                            value;
} ngx_http_milvus_cdc_msg_kv_t;


/*
 * common.ClientInfo of a ConnectRequest (proto/milvus_cdc_common.proto):
 * sdk_type 1, sdk_version 2, local_time 3 (e.g. an ISO 8601 time), host 5;
 * strings need not be NUL-terminated, empty ones are not sent.
 */
typedef struct {
    ngx_str_t                            sdk_type;
    ngx_str_t                            sdk_version;
    ngx_str_t                            local_time;
    ngx_str_t                            host;
} ngx_http_milvus_cdc_msg_client_t;


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
 *                    COLLECTION_STATISTICS, CREATE/ALTER_ALIAS); FLUSH:
 *                    the one entry of collection_names 3;
 *                    RENAME_COLLECTION: oldName 3;
 *   alias            alias 4 (CREATE/ALTER_ALIAS), alias 3 (DROP_ALIAS);
 *   new_name         RENAME_COLLECTION newName 4;
 *   new_db_name      RENAME_COLLECTION newDBName 5 (empty: the same
 *                    database);
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
 *                    collections only, else 0);
 *   client           CONNECT client_info 2 (NULL: not sent).
 *
 * ConnectRequest goes without msg_base, as pymilvus sends it; every other
 * request has msg_base 1 with the msg_type of its method (e.g. 102
 * HasCollection, 103 DescribeCollection, 204 ShowPartitions, 504
 * GetCollectionStatistics, 1803 ListDatabases, 108 CreateAlias, 109
 * DropAlias, 110 AlterAlias, 112 RenameCollection, the MsgType values
 * above for the others).
 */
typedef struct {
    ngx_str_t                            db_name;
    ngx_str_t                            collection_name;
    ngx_str_t                            partition_name;
    ngx_str_t                            alias;
    ngx_str_t                            new_name;
    ngx_str_t                            new_db_name;
    int64_t                              collection_id;
    uint64_t                             replicate_ts;
    ngx_str_t                            schema;
    ngx_int_t                            shards_num;
    ngx_int_t                            consistency_level;
    ngx_http_milvus_cdc_msg_kv_t        *properties;
    ngx_uint_t                           nproperties;
    int64_t                              num_partitions;
    ngx_http_milvus_cdc_msg_client_t    *client;
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
 *   CONNECT              identifier: ConnectResponse.identifier 3,
 *                        server_version: server_info 2 build_tags 1 (e.g.
 *                        "v2.3.5"; empty without server_info);
 *   HAS_COLLECTION       value: BoolResponse.value 2;
 *   DESCRIBE_COLLECTION  collection_id 3, vchannels 4 (nvchannels),
 *                        pchannels 5 (npchannels), created_ts 6 (TSO),
 *                        shards_num 8, consistency_level 11, db_name 14,
 *                        num_partitions 15, schema 2 re-packed as
 *                        serialized schema.CollectionSchema (user fields;
 *                        the proxy leaves out system fields and "$meta"),
 *                        names = aliases 9 (nnames), ids NULL;
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
    int64_t                              identifier;
    ngx_str_t                            server_version;

    /* private */
    void                                *mem;
    u_char                               text[256];
} ngx_http_milvus_cdc_msg_reply_t;


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

/*
 * The MilvusService method of a replicate-channel message type (the
 * message is that method's request, milvus-proto milvus.proto:
 * CreateIndexRequest, LoadCollectionRequest, FlushRequest, ...):
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
 * A copy of a replicate-channel request (whose field 1 is common.MsgBase)
 * with base.replicateInfo = {isReplicate true, msgTimestamp ts}
 * (common.proto MsgBase 7, ReplicateInfo 1 and 2), by appending a second
 * field 1 that protobuf merges into the first: the target then knows the
 * call is a replicated one.  out is ngx_alloc()ed.  NGX_OK or NGX_ERROR
 * (no memory).
 */
ngx_int_t ngx_http_milvus_cdc_msg_mark_replicated(u_char *data, size_t len,
    uint64_t ts, ngx_str_t *out, ngx_log_t *log);

/*
 * Packs milvus.proto.milvus.ReleasePartitionsRequest {db_name 2,
 * collection_name 3, partition_names 4 (one)} for the method of type 206
 * (ngx_http_milvus_cdc_msg_rpc_method()); no MsgBase.  out is
 * ngx_alloc()ed.  NGX_OK or NGX_ERROR (no memory).
 */
ngx_int_t ngx_http_milvus_cdc_msg_release_partition(ngx_str_t *db,
    ngx_str_t *collection, ngx_str_t *partition, ngx_str_t *out,
    ngx_log_t *log);


#endif /* _NGX_HTTP_MILVUS_CDC_RPC_H_INCLUDED_ */
