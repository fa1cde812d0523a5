
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 */


#ifndef _NGX_HTTP_MILVUS_CDC_META_H_INCLUDED_
#define _NGX_HTTP_MILVUS_CDC_META_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>


/*
 * Source metadata: an asynchronous, consistent snapshot of what the source
 * Milvus's rootcoord keeps in etcd (2.3 / 2.4 key layout), read with
 * etcd's gRPC KV/Range ("/etcdserverpb.KV/Range", proto/milvus_cdc_etcd.proto)
 * through the project's grpc layer.
 *
 * Keys read, all under <root_path>/<meta_sub_path>/root-coord/ (e.g.
 * "by-dev/meta/root-coord/"), each as one prefix range (range_end = prefix
 * with its last byte + 1), paginated with RangeRequest.limit, every page
 * at the same etcd revision (the one the first reply reports), so the
 * snapshot is one point in etcd's history:
 *
 *   database/db-info/<dbID>                         etcd.DatabaseInfo
 *   database/collection-info/<dbID>/<collectionID>  etcd.CollectionInfo
 *   collection/<collectionID>                       etcd.CollectionInfo
 *                                                   (legacy, db "default")
 *   partitions/<collectionID>/<partitionID>         etcd.PartitionInfo
 *   fields/<collectionID>/<fieldID>                 schema.FieldSchema
 *   database/aliases/<dbID>/<alias>                 etcd.AliasInfo
 *   aliases/<alias>                                 etcd.AliasInfo
 *                                                   (legacy, db "default")
 *
 * (proto/milvus_cdc_etcd_meta.proto, proto/milvus_cdc_schema.proto).
 * Values equal to the tombstone E2 9B BC (what rootcoord writes instead of
 * deleting a key) are skipped; <root>/meta/snapshots/ (rootcoord's
 * timestamped history) and credential/ keys are never read.
 *
 * Lifecycle of the source objects as seen here (Milvus 2.3.5; the drops
 * were observed on the test bench, Creating is too short to catch):
 *   - CreateCollection: the collection key appears with state Creating,
 *     and turns Created when the DDL has finished (shortly after the
 *     CreateCollection message was broadcast to its pchannels); its
 *     fields and partition keys ("_default", or "_default_0".."_63" with
 *     a partition key) are written with it;
 *   - CreatePartition: the partition key appears (Creating, then
 *     Created); CreatePartition is NOT in the WAL: only a refresh
 *     reveals it;
 *   - DropPartition / DropCollection: the partition / collection turns
 *     Dropping at once (its DropPartition / DropCollection message is
 *     broadcast right after) and STAYS Dropping, with all its data
 *     (channels, fields, partitions), until datacoord has garbage-
 *     collected its segments (dataCoord.gc.interval, 1 h by default);
 *     only then do its keys become tombstones and it disappears from the
 *     snapshot.  A collection never shows Dropped in 2.3: treat Dropping
 *     as dropped;
 *   - DropDatabase: the db-info key becomes a tombstone at once;
 *   - CreateAlias / AlterAlias / DropAlias, RenameCollection: NOT in the
 *     WAL; the alias key appears (AlterAlias rewrites its collection_id,
 *     DropAlias turns it into a tombstone), the collection key keeps its
 *     id and gets the new name (and db_id, and key, when moved to
 *     another database).
 *
 * Memory: the meta object lives in its own pool; every snapshot lives in
 * its own pool (snap->pool), owned by whoever received it in the handler
 * and released with ngx_http_milvus_cdc_meta_snapshot_free().  Strings
 * are not NUL-terminated unless noted.
 *
 * Process: grpc restrictions apply (helper or worker, never the master).
 */


/* etcd.CollectionState / etcd.PartitionState */
#define NGX_HTTP_MILVUS_CDC_META_CREATED        0
#define NGX_HTTP_MILVUS_CDC_META_CREATING       1
#define NGX_HTTP_MILVUS_CDC_META_DROPPING       2
#define NGX_HTTP_MILVUS_CDC_META_DROPPED        3

/* etcd.DatabaseState (numbered differently) */
#define NGX_HTTP_MILVUS_CDC_META_DB_UNKNOWN     0
#define NGX_HTTP_MILVUS_CDC_META_DB_CREATED     1
#define NGX_HTTP_MILVUS_CDC_META_DB_CREATING    2
#define NGX_HTTP_MILVUS_CDC_META_DB_DROPPING    3
#define NGX_HTTP_MILVUS_CDC_META_DB_DROPPED     4

/* Milvus' default database: id of db-info/1, and the db of legacy keys */
#define NGX_HTTP_MILVUS_CDC_META_DEFAULT_DB_ID  1
#define NGX_HTTP_MILVUS_CDC_META_DEFAULT_DB     "default"

/* first user field id; 0 RowID and 1 Timestamp are system fields */
#define NGX_HTTP_MILVUS_CDC_META_FIRST_FIELD    100

/* value rootcoord writes instead of deleting a key ("\u26FC") */
#define NGX_HTTP_MILVUS_CDC_META_TOMBSTONE      "\xE2\x9B\xBC"

/* "/etcdserverpb.KV/Range" */
#define NGX_HTTP_MILVUS_CDC_META_RANGE_METHOD   "/etcdserverpb.KV/Range"

/* defaults of the conf fields left 0 / empty */
#define NGX_HTTP_MILVUS_CDC_META_TIMEOUT        10000
#define NGX_HTTP_MILVUS_CDC_META_PAGE           500
#define NGX_HTTP_MILVUS_CDC_META_SUB_PATH       "meta"


typedef struct ngx_http_milvus_cdc_meta_s  ngx_http_milvus_cdc_meta_t;


/*
 * A database, from database/db-info/<dbID> (etcd.DatabaseInfo).
 *   id            DatabaseInfo.id 3 (the default database is 1);
 *   name          DatabaseInfo.name 2;
 *   state         DatabaseInfo.state 4, NGX_HTTP_MILVUS_CDC_META_DB_*;
 *   created_time  DatabaseInfo.created_time 5: wall-clock ns since the
 *                 epoch (time.Now().UnixNano() in 2.3.5, seen in etcd:
 *                 1796237709276727933), not a TSO.
 */
typedef struct {
    int64_t                             id;
    ngx_str_t                           name;
    ngx_uint_t                          state;
    uint64_t                            created_time;
} ngx_http_milvus_cdc_meta_database_t;


/*
 * A partition, from partitions/<collectionID>/<partitionID>
 * (etcd.PartitionInfo), or, for collections created before 2.2, from the
 * deprecated CollectionInfo.partitionIDs 4 / partitionNames 5 /
 * partition_created_timestamps 9.
 *   id          PartitionInfo.partitionID 1;
 *   name        PartitionInfo.partitionName 2 ("_default",
 *               "_default_<n>" for partition-key collections);
 *   state       PartitionInfo.state 5, NGX_HTTP_MILVUS_CDC_META_CREATED..;
 *   created_ts  PartitionInfo.partition_created_timestamp 3, hybrid TSO.
 */
typedef struct {
    int64_t                             id;
    ngx_str_t                           name;
    ngx_uint_t                          state;
    uint64_t                            created_ts;
} ngx_http_milvus_cdc_meta_partition_t;


/*
 * A user field (id >= 100), from fields/<collectionID>/<fieldID>
 * (schema.FieldSchema), in field id order.  The dynamic field ("$meta",
 * JSON, is_dynamic) is listed here but left out of the schema bytes.
 *   id         FieldSchema.fieldID 1;
 *   name       FieldSchema.name 2;
 *   data_type  FieldSchema.data_type 5 (schema.DataType: Int64 5,
 *              VarChar 21, JSON 23, FloatVector 101, ...);
 *   primary    FieldSchema.is_primary_key 3;
 *   auto_id    FieldSchema.autoID 8;
 *   dynamic    FieldSchema.is_dynamic 12;
 *   partition_key  FieldSchema.is_partition_key 13.
 */
typedef struct {
    int64_t                             id;
    ngx_str_t                           name;
    ngx_int_t                           data_type;
    unsigned                            primary:1;
    unsigned                            auto_id:1;
    unsigned                            dynamic:1;
    unsigned                            partition_key:1;
} ngx_http_milvus_cdc_meta_field_t;


/*
 * A collection, from database/collection-info/<dbID>/<collectionID> or the
 * legacy collection/<collectionID> (etcd.CollectionInfo), with its fields
 * and partitions.
 *
 *   id                 CollectionInfo.ID 1;
 *   db_id              CollectionInfo.db_id 15 (0 in legacy keys: reported
 *                      as NGX_HTTP_MILVUS_CDC_META_DEFAULT_DB_ID);
 *   db_name            name of db_id in db-info, "default" for the
 *                      default database even without a db-info key; empty
 *                      if db_id is unknown (database already gone);
 *   name               CollectionInfo.schema.name;
 *   description        CollectionInfo.schema.description;
 *   state              CollectionInfo.state 13,
 *                      NGX_HTTP_MILVUS_CDC_META_CREATED..DROPPED;
 *   shards_num         CollectionInfo.shards_num 10 (= number of vchannels);
 *   create_time        CollectionInfo.create_time 3, hybrid TSO (the ts of
 *                      the CreateCollection message; use it as
 *                      replicateInfo.msgTimestamp on the target);
 *   consistency_level  CollectionInfo.consistency_level 12 (Strong 0,
 *                      Session 1, Bounded 2, Eventually 3, Customized 4);
 *   properties         CollectionInfo.properties 14, ngx_keyval_t (e.g.
 *                      "collection.ttl.seconds");
 *   vchannels          CollectionInfo.virtual_channel_names 7, ngx_str_t,
 *                      "<pchannel>_<collectionID>v<i>", shard order;
 *   pchannels          CollectionInfo.physical_channel_names 8, ngx_str_t,
 *                      same order (pchannels[i] carries vchannels[i]);
 *   start_positions    CollectionInfo.start_positions 11, ngx_keyval_t:
 *                      key = pchannel, value = MQ msgID bytes (Kafka:
 *                      8-byte little-endian offset of the CreateCollection
 *                      message);
 *   schema             serialized schema.CollectionSchema {name 1,
 *                      description 2, autoID 3, fields 4, enable_dynamic_
 *                      field 5, unknown fields kept} whose fields are the
 *                      user fields (id >= 100) in id order WITHOUT the
 *                      dynamic "$meta" field: what CreateCollectionRequest
 *                      .schema 4 accepts (the target proxy refuses an
 *                      explicit dynamic field, "cannot explicitly set a
 *                      field as a dynamic field", and adds "$meta" itself
 *                      when enable_dynamic_field is set; it renumbers the
 *                      fields from 100 in order, so the target gets the
 *                      same field ids);
 *   fields             ngx_http_milvus_cdc_meta_field_t, user fields
 *                      including "$meta";
 *   partitions         ngx_http_milvus_cdc_meta_partition_t, by id;
 *   auto_id            the primary field has autoID;
 *   dynamic            CollectionSchema.enable_dynamic_field 5;
 *   partition_key      a field is a partition key (then the partitions
 *                      are "_default_0".."_default_<n-1>" and
 *                      CreateCollectionRequest.num_partitions 8 = n);
 *   legacy             read from collection/<collectionID>.
 */
typedef struct {
    int64_t                             id;
    int64_t                             db_id;
    ngx_str_t                           db_name;
    ngx_str_t                           name;
    ngx_str_t                           description;
    ngx_uint_t                          state;
    ngx_int_t                           shards_num;
    uint64_t                            create_time;
    ngx_int_t                           consistency_level;
    ngx_array_t                         properties;
    ngx_array_t                         vchannels;
    ngx_array_t                         pchannels;
    ngx_array_t                         start_positions;
    ngx_str_t                           schema;
    ngx_array_t                         fields;
    ngx_array_t                         partitions;
    unsigned                            auto_id:1;
    unsigned                            dynamic:1;
    unsigned                            partition_key:1;
    unsigned                            legacy:1;
} ngx_http_milvus_cdc_meta_collection_t;


/*
 * An alias, from database/aliases/<dbID>/<alias> or the legacy
 * aliases/<alias> (etcd.AliasInfo).
 *   db_id          the key's <dbID>; legacy keys: AliasInfo.db_id 5, or
 *                  NGX_HTTP_MILVUS_CDC_META_DEFAULT_DB_ID when 0;
 *   db_name        name of db_id as for a collection ("default", or
 *                  empty when the database is gone);
 *   name           AliasInfo.alias_name 1 (the key's <alias> if empty);
 *   collection_id  AliasInfo.collection_id 2;
 *   created_time   AliasInfo.created_time 3, hybrid TSO;
 *   state          AliasInfo.state 4, NGX_HTTP_MILVUS_CDC_META_CREATED..;
 *   legacy         read from aliases/<alias>.
 */
typedef struct {
    int64_t                             db_id;
    ngx_str_t                           db_name;
    ngx_str_t                           name;
    int64_t                             collection_id;
    uint64_t                            created_time;
    ngx_uint_t                          state;
    unsigned                            legacy:1;
} ngx_http_milvus_cdc_meta_alias_t;


/*
 * One snapshot.
 *   pool         everything below lives in it;
 *   revision     etcd store revision every Range was served at
 *                (ResponseHeader.revision 3);
 *   databases    ngx_http_milvus_cdc_meta_database_t, by id;
 *   collections  ngx_http_milvus_cdc_meta_collection_t, by id;
 *   aliases      ngx_http_milvus_cdc_meta_alias_t, by db_id then name
 *                (an alias under both layouts: the database/ key);
 *   tombstones   keys skipped because their value is the tombstone;
 *   skipped      keys skipped because they could not be parsed or
 *                decoded (logged at "warn"), or whose collection is gone;
 *   endpoint     the etcd endpoint that answered ("host:port");
 *   elapsed      ms from refresh to completion;
 *   calls        number of Range calls made.
 */
typedef struct {
    ngx_pool_t                         *pool;
    int64_t                             revision;
    ngx_array_t                         databases;
    ngx_array_t                         collections;
    ngx_array_t                         aliases;
    ngx_uint_t                          tombstones;
    ngx_uint_t                          skipped;
    ngx_str_t                           endpoint;
    ngx_msec_t                          elapsed;
    ngx_uint_t                          calls;
} ngx_http_milvus_cdc_meta_snapshot_t;


/*
 * Completion handler of a refresh.  On success snap is the new snapshot,
 * owned by the handler from now on (free it with
 * ngx_http_milvus_cdc_meta_snapshot_free() when no longer used), and err
 * is NULL.  On failure snap is NULL and err is a short reason (valid
 * during the call only), e.g. 'etcd 127.0.0.1:2379: UNAVAILABLE
 * "failed to connect to all addresses"'; the failure has already been
 * logged at "error".  Runs from the grpc layer's timer or from
 * ngx_http_milvus_cdc_grpc_process(); it may call refresh() again or
 * destroy() the meta object.
 */
typedef void (*ngx_http_milvus_cdc_meta_handler_pt)(
    ngx_http_milvus_cdc_meta_snapshot_t *snap, ngx_str_t *err, void *data);


/*
 * Configuration of ngx_http_milvus_cdc_meta_create(); copied, so it may
 * live in a short-lived pool.
 *   endpoints      ngx_str_t "host:port" of the source's etcd, at least
 *                  one; calls go to the first one and move on to the next
 *                  on UNAVAILABLE (each endpoint tried once per call);
 *   root_path      Milvus etcd.rootPath, e.g. "by-dev" (no trailing '/');
 *   meta_sub_path  Milvus etcd.metaSubPath, empty: "meta";
 *   tls, ca_file, cert_file, key_file, server_name
 *                  as in ngx_http_milvus_cdc_grpc_channel_conf_t (etcd
 *                  user/password authentication is not supported);
 *   timeout        deadline of each Range call in ms, 0: 10 s;
 *   page           keys per Range call (RangeRequest.limit), 0: 500.
 */
typedef struct {
    ngx_array_t                        *endpoints;
    ngx_str_t                           root_path;
    ngx_str_t                           meta_sub_path;
    ngx_uint_t                          tls;
    ngx_str_t                           ca_file;
    ngx_str_t                           cert_file;
    ngx_str_t                           key_file;
    ngx_str_t                           server_name;
    ngx_msec_t                          timeout;
    ngx_uint_t                          page;
} ngx_http_milvus_cdc_meta_conf_t;


/*
 * Creates a meta reader (no connection yet: the grpc channel is created
 * by the first refresh).  Returns NULL on a bad conf or allocation
 * failure (logged).
 */
ngx_http_milvus_cdc_meta_t *ngx_http_milvus_cdc_meta_create(
    ngx_http_milvus_cdc_meta_conf_t *conf, ngx_log_t *log);

/*
 * Starts reading a new snapshot.  Returns NGX_AGAIN: handler(data) will
 * be called exactly once, later (never from inside this call), unless
 * ngx_http_milvus_cdc_meta_cancel() or _destroy() is called first;
 * NGX_BUSY: a refresh is already running (its handler is unchanged);
 * NGX_ERROR: could not start (logged), the handler is not called.
 * If a Range fails with OUT_OF_RANGE (the snapshot revision was
 * compacted meanwhile) the whole read restarts, twice at most.
 */
ngx_int_t ngx_http_milvus_cdc_meta_refresh(ngx_http_milvus_cdc_meta_t *meta,
    ngx_http_milvus_cdc_meta_handler_pt handler, void *data);

/* Cancels a running refresh; its handler is not called.  No-op if idle. */
void ngx_http_milvus_cdc_meta_cancel(ngx_http_milvus_cdc_meta_t *meta);

/*
 * Cancels a running refresh and frees the reader and its channel.
 * Snapshots already handed out stay valid.  meta may be NULL.
 */
void ngx_http_milvus_cdc_meta_destroy(ngx_http_milvus_cdc_meta_t *meta);

/* Frees a snapshot (its pool).  snap may be NULL. */
void ngx_http_milvus_cdc_meta_snapshot_free(
    ngx_http_milvus_cdc_meta_snapshot_t *snap);

/* The database with this id, or NULL. */
ngx_http_milvus_cdc_meta_database_t *ngx_http_milvus_cdc_meta_database(
    ngx_http_milvus_cdc_meta_snapshot_t *snap, int64_t id);

/* The collection with this id (any state), or NULL. */
ngx_http_milvus_cdc_meta_collection_t *ngx_http_milvus_cdc_meta_collection(
    ngx_http_milvus_cdc_meta_snapshot_t *snap, int64_t id);

/*
 * The live collection with this name in database db (empty db:
 * "default"): state Created or Creating, the newest create_time if
 * several (a dropped one may linger in state Dropping next to its
 * re-created namesake).  NULL if none.
 */
ngx_http_milvus_cdc_meta_collection_t *
    ngx_http_milvus_cdc_meta_collection_by_name(
    ngx_http_milvus_cdc_meta_snapshot_t *snap, ngx_str_t *db, ngx_str_t *name);

/* The partition of coll with this id (any state), or NULL. */
ngx_http_milvus_cdc_meta_partition_t *ngx_http_milvus_cdc_meta_partition(
    ngx_http_milvus_cdc_meta_collection_t *coll, int64_t id);

/*
 * The live partition of coll with this name: state Created or Creating,
 * the newest created_ts if several.  NULL if none.
 */
ngx_http_milvus_cdc_meta_partition_t *
    ngx_http_milvus_cdc_meta_partition_by_name(
    ngx_http_milvus_cdc_meta_collection_t *coll, ngx_str_t *name);

/* "Created", "Creating", "Dropping", "Dropped" or "Unknown" */
const char *ngx_http_milvus_cdc_meta_state_name(ngx_uint_t state);


#endif /* _NGX_HTTP_MILVUS_CDC_META_H_INCLUDED_ */
