
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 */


#ifndef _NGX_HTTP_MILVUS_CDC_MSG_H_INCLUDED_
#define _NGX_HTTP_MILVUS_CDC_MSG_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

/* the MilvusService codec, split from this one; its users include it here */
#include "ngx_http_milvus_cdc_rpc.h"


/*
 * The WAL message codec: Milvus msgstream messages, the Kafka record
 * values of the DML pchannels, and the WAL messages the CDC makes and
 * sends inside ReplicateMessage calls (TimeTicks, the Delete of a
 * replay).  The MilvusService requests and replies are in
 * ngx_http_milvus_cdc_rpc.h; both codecs read the wire format through
 * ngx_http_milvus_cdc_pb.h.
 *
 * Every record value is one bare protobuf (msgpb.* of
 * proto/milvus_cdc_msg.proto) whose field 1 is common.MsgBase; the
 * message type is MsgBase.msg_type.  The codec reads the header, decodes
 * the messages the engine acts on, rewrites collectionID, partitionID and
 * shardName to the target's values and packs the message again.  The
 * trimmed protos do not declare the row data (InsertRequest.fields_data,
 * rowIDs): protobuf-c keeps it as unknown fields and writes it back byte
 * for byte.
 *
 * Memory: protobuf-c uses its default allocator (malloc/free).  Every
 * buffer handed to the caller is allocated with ngx_alloc() and is the
 * caller's: free it with ngx_free() (packed bytes) or with
 * ngx_http_milvus_cdc_msg_free() (decoded messages).  Nothing is
 * allocated from pools, so results may outlive any request or tick.
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

/* Name of a MsgType value for logs ("Insert", "TimeTick"), or "Unknown". */
const char *ngx_http_milvus_cdc_msg_type_name(ngx_int_t type);

/*
 * A msgpb.DeleteRequest of the primary keys of an Insert, for replaying
 * an Insert that may already be on the target: insert is the packed
 * InsertRequest (proto/milvus_cdc_msg.proto fields_data 13, the column
 * whose schema.FieldData.field_id 5 is pk_field_id: LongArray or
 * StringArray of ScalarField 3/6; proto/milvus_cdc_schema.proto), m the
 * Insert as rewritten for the target (its collection id and name are
 * used), shard the target vchannel; every key gets timestamp ts,
 * partitionID is -1 (all partitions), MsgBase sourceID -1 and msgID
 * msg_id (one the Insert does not have: the target keeps only
 * the first of two DML messages with one id between TimeTicks).
 * Deletes hide rows with an older timestamp only, so a Delete and the
 * Insert sent again with one new ts leave exactly one row.  out is
 * ngx_alloc()ed.  NGX_OK; NGX_DECLINED no such column; NGX_ERROR memory.
 */
ngx_int_t ngx_http_milvus_cdc_msg_insert_delete(ngx_str_t *insert,
    int64_t pk_field_id, ngx_http_milvus_cdc_msg_t *m, ngx_str_t *shard,
    uint64_t ts, int64_t msg_id, ngx_str_t *out, ngx_log_t *log);


#endif /* _NGX_HTTP_MILVUS_CDC_MSG_H_INCLUDED_ */
