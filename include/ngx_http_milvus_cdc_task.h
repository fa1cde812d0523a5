
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 */


#ifndef _NGX_HTTP_MILVUS_CDC_TASK_H_INCLUDED_
#define _NGX_HTTP_MILVUS_CDC_TASK_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <yajl/yajl_tree.h>
#include <yajl/yajl_gen.h>


/*
 * One CDC task: what the create request asked for, in the forms the store,
 * the HTTP API and the helper process need.  All strings point into a pool
 * (the request's, or the helper's) and are not NUL-terminated unless noted.
 *
 *   task_id          1..64 bytes of [A-Za-z0-9_.-]; generated ones are 32
 *                    lowercase hex digits (a uuid4 without dashes)
 *   target_uri       normalized target address, "http://host:port" or
 *                    "https://host:port"; two tasks with the same value
 *                    write to the same target Milvus
 *   target           "host:port" for the gRPC channel, NUL-terminated
 *   tls              1 for https:// (or the legacy enable_tls)
 *   token            "user:password" or an API key; a secret: stored in
 *                    sqlite only, never returned, never logged
 *   dial_json        the whole dial_config object as JSON ("{}" if none);
 *                    holds key paths, so it is not returned either
 *   connect_json     the public milvus_connect_param object, as JSON
 *   scope_json       the public scope: {"collection_infos": […]} or
 *                    {"db_collections": {…}}, as JSON
 *   scope            the scope as "db.collection" lines, each ended by
 *                    '\n'; "*" stands for any database or collection
 *   connect_timeout  the target probe's limit, in milliseconds
 *   state            NGX_HTTP_MILVUS_CDC_INITIAL, _RUNNING or _PAUSED
 *   reason           why a failure paused the task; empty otherwise
 */
typedef struct {
    ngx_str_t                 task_id;
    ngx_str_t                 target_uri;
    ngx_str_t                 target;
    ngx_flag_t                tls;
    ngx_str_t                 token;
    ngx_str_t                 dial_json;
    ngx_str_t                 connect_json;
    ngx_str_t                 scope_json;
    ngx_str_t                 scope;
    ngx_msec_t                connect_timeout;
    ngx_int_t                 state;
    ngx_str_t                 reason;
} ngx_http_milvus_cdc_task_t;


/*
 * Validates the request_data object of a create request (see README.md,
 * "The task API in short", and t/020-api.t) and fills "task".  Positions
 * (collection_infos[].positions) are checked down to their MsgPosition:
 * the key's shape, one collection per list, base64, a msgpb.MsgPosition
 * whose channel_name is the key or its pchannel and whose msgID is a Kafka
 * msgID (8 bytes).  "data" may be NULL (then the request is refused).  On
 * a client error returns NGX_DECLINED with "err" set to a message that
 * names the offending field, allocated from "pool"; NGX_ERROR on
 * allocation failure.  The task_id is left empty when the client gave
 * none.
 */
ngx_int_t ngx_http_milvus_cdc_task_parse(ngx_pool_t *pool, yajl_val data,
    ngx_http_milvus_cdc_task_t *task, ngx_str_t *err);

/*
 * Fills task->task_id with 32 random lowercase hex digits (getrandom(2)).
 * NGX_OK or NGX_ERROR.
 */
ngx_int_t ngx_http_milvus_cdc_task_new_id(ngx_pool_t *pool,
    ngx_http_milvus_cdc_task_t *task);

/*
 * One position a task was created with (collection_infos[].positions or
 * db_collections.<db>[].positions of the create request, kept in
 * task->scope_json): the key "<pchannel>_<collection id>v<shard>" and its
 * value, the base64 of a msgpb.MsgPosition (milvus-proto proto/msg.proto:
 * channel_name 1, msgID 2, msgGroup 3, timestamp 4; proto/
 * milvus_cdc_msg.proto here).  Strings point into the pool of
 * ngx_http_milvus_cdc_task_positions() and are not NUL-terminated.
 *
 *   db             the collection's database: "default" for
 *                  collection_infos, the db_collections key otherwise
 *   collection     the collection's name as given
 *   collection_id  the source collection id, from the key
 *   vchannel       the key: "<pchannel>_<collection id>v<shard>"
 *   pchannel       the key up to "_<collection id>v<shard>": the source
 *                  pchannel, which is also the Kafka topic
 *   msg_id         MsgPosition.msgID, the bytes as given (a Kafka msgID:
 *                  NGX_HTTP_MILVUS_CDC_KAFKA_MSGID_LEN bytes)
 *   offset         the Kafka offset msg_id names (little-endian int64,
 *                  ngx_http_milvus_cdc_kafka_msgid_to_offset()); the
 *                  data up to and including it is on the target already,
 *                  the collection is read from offset + 1
 *   timestamp      MsgPosition.timestamp, a hybrid timestamp (physical ms
 *                  << 18 | logical)
 */
typedef struct {
    ngx_str_t                 db;
    ngx_str_t                 collection;
    int64_t                   collection_id;
    ngx_str_t                 vchannel;
    ngx_str_t                 pchannel;
    ngx_str_t                 msg_id;
    int64_t                   offset;
    uint64_t                  timestamp;
} ngx_http_milvus_cdc_task_position_t;


/*
 * The positions of a stored task (task->scope_json, as task_parse() wrote
 * it): "*out" = an array of ngx_http_milvus_cdc_task_position_t from
 * "pool", in the order of the request.  Pure: no I/O, no log.  Returns
 * NGX_OK, NGX_DECLINED when the task has no positions ("*out" NULL), or
 * NGX_ERROR: no memory, or a scope_json or position that does not parse
 * (task_parse() refuses those, so only a corrupt store; the caller logs).
 */
ngx_int_t ngx_http_milvus_cdc_task_positions(ngx_pool_t *pool,
    ngx_http_milvus_cdc_task_t *task, ngx_array_t **out);

/*
 * Whether collection "name" of database "db" is in "scope" (task->scope
 * form: "db.collection" lines, each ended by '\n').  A part matches when
 * it is equal or either side is "*": a line "*.*" or "db.*" takes every
 * collection (of db), and name "*" asks whether any collection of "db"
 * may be in scope.  Returns 1 or 0.  Names are compared byte for byte;
 * the default database is "default", never "".
 */
ngx_int_t ngx_http_milvus_cdc_task_in_scope(ngx_str_t *scope, ngx_str_t *db,
    ngx_str_t *name);

/*
 * Whether two scopes (task->scope form) share a collection.  Returns 1 and
 * sets "entry" to the first shared "db.collection" line of "a" (pointing
 * into a), or 0.
 */
ngx_int_t ngx_http_milvus_cdc_task_scopes_overlap(ngx_str_t *a, ngx_str_t *b,
    ngx_str_t *entry);

/*
 * Writes the public Task object into "g":
 * {"task_id", "milvus_connect_param", "collection_infos" | "db_collections",
 *  "state", "reason" (only when set)}.  Secrets are not part of it.
 * NGX_OK, or NGX_ERROR if the stored JSON is corrupt or yajl fails.
 */
ngx_int_t ngx_http_milvus_cdc_task_gen(yajl_gen g,
    ngx_http_milvus_cdc_task_t *task);

/*
 * The TLS settings of a task's dial_config (task->dial_json): ca =
 * ca_pem_path, or server_pem_path for one-way TLS; cert = client_pem_path;
 * key = client_key_path; server_name.  Copied into "pool",
 * NUL-terminated; empty when absent.  These paths are secrets of the task:
 * never returned nor logged.  NGX_OK or NGX_ERROR (no memory).
 */
ngx_int_t ngx_http_milvus_cdc_task_tls(ngx_pool_t *pool,
    ngx_http_milvus_cdc_task_t *task, ngx_str_t *ca, ngx_str_t *cert,
    ngx_str_t *key, ngx_str_t *server_name);

/* "Initial", "Running" or "Paused" */
const char *ngx_http_milvus_cdc_task_state_name(ngx_int_t state);


#endif /* _NGX_HTTP_MILVUS_CDC_TASK_H_INCLUDED_ */
