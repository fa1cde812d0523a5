
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 */


#ifndef _NGX_HTTP_MILVUS_CDC_STORE_H_INCLUDED_
#define _NGX_HTTP_MILVUS_CDC_STORE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <sqlite3.h>

#include "ngx_http_milvus_cdc_task.h"


/* the task store file inside the milvus_cdc_store directory */
#define NGX_HTTP_MILVUS_CDC_STORE_FILE  "tasks.db"

/* ngx_http_milvus_cdc_store_create() results besides NGX_OK and NGX_ERROR */
#define NGX_HTTP_MILVUS_CDC_STORE_EXISTS    1
#define NGX_HTTP_MILVUS_CDC_STORE_OVERLAP   2
#define NGX_HTTP_MILVUS_CDC_STORE_LIMIT     3


typedef enum {
    ngx_http_milvus_cdc_st_get = 0,
    ngx_http_milvus_cdc_st_list,
    ngx_http_milvus_cdc_st_exists,
    ngx_http_milvus_cdc_st_count,
    ngx_http_milvus_cdc_st_same_target,
    ngx_http_milvus_cdc_st_insert,
    ngx_http_milvus_cdc_st_state,
    ngx_http_milvus_cdc_st_set_state,
    ngx_http_milvus_cdc_st_delete_task,
    ngx_http_milvus_cdc_st_delete_checkpoints,
    ngx_http_milvus_cdc_st_delete_leases,
    ngx_http_milvus_cdc_st_delete_id_maps,
    ngx_http_milvus_cdc_st_delete_target_channels,
    ngx_http_milvus_cdc_st_delete_target_ticks,
    ngx_http_milvus_cdc_st_lease_get,
    ngx_http_milvus_cdc_st_lease_put,
    ngx_http_milvus_cdc_st_lease_release,
    ngx_http_milvus_cdc_st_lease_release_owner,
    ngx_http_milvus_cdc_st_checkpoints,
    ngx_http_milvus_cdc_st_checkpoint_put,
    ngx_http_milvus_cdc_st_target_channels,
    ngx_http_milvus_cdc_st_target_channel_put,
    ngx_http_milvus_cdc_st_tick_put,
    ngx_http_milvus_cdc_st_id_maps,
    ngx_http_milvus_cdc_st_id_map_put,
    ngx_http_milvus_cdc_st_begin,
    ngx_http_milvus_cdc_st_commit,
    ngx_http_milvus_cdc_st_rollback,
    ngx_http_milvus_cdc_st_last
} ngx_http_milvus_cdc_stmt_e;


/*
 * One process's connection to the task store: a sqlite3 database in WAL
 * mode, file mode 0600, with its prepared statements.  Open it in the
 * process that uses it (a worker or the helper), never in the master:
 * sqlite connections must not cross fork().
 *
 * Tables (schema version 1, PRAGMA user_version):
 *   tasks        one row per task: ids, target, secrets, public JSON,
 *                scope, state, reason, created_ms, updated_ms (epoch ms)
 *   checkpoints  (task_id, pchannel) → msg_id and ts of the last source
 *                TimeTick whose pack the target acknowledged (its column
 *                sent_msg_id, never read, holds msg_id again: it stays so
 *                that the stores of earlier versions open unchanged)
 *   target_channels  (task_id, target pchannel) → last TSO timestamp sent
 *   target_ticks  (task_id, target pchannel) → the last TimeTick sent
 *                while the task was Paused (standby.c); not a data stamp
 *   leases       task_id → owner (helper instance), pid, expires_ms
 *   id_maps      (task_id, kind, source_id) → target_id, name: the
 *                collections a task put on the target (see id_map_t)
 */
typedef struct {
    sqlite3                  *db;
    sqlite3_stmt             *stmt[ngx_http_milvus_cdc_st_last];
    ngx_log_t                *log;
} ngx_http_milvus_cdc_store_t;


/*
 * A task checkpoint on one source pchannel, as the position request and
 * the replication engine see it.
 *
 *   pchannel         source physical channel (Kafka topic), e.g.
 *                    "by-dev-rootcoord-dml_0"
 *   msg_id           the Milvus msgID of the last source message whose
 *                    effects the target acknowledged: for Kafka the 8-byte
 *                    little-endian offset (msgpb.MsgPosition.msgID,
 *                    milvus-proto msg.proto); reading resumes after it
 *   ts               its TSO hybrid timestamp (physical ms << 18 | logical)
 */
typedef struct {
    ngx_str_t                 pchannel;
    ngx_str_t                 msg_id;
    uint64_t                  ts;
} ngx_http_milvus_cdc_checkpoint_t;


/*
 * The last TSO timestamp sent to a target pchannel: what is sent there
 * next must be later.
 */
typedef struct {
    ngx_str_t                 pchannel;
    uint64_t                  last_ts;
    uint64_t                  tick_ts;
} ngx_http_milvus_cdc_target_ts_t;


/*
 * A source object a task mapped to the target, kept across restarts.
 *
 *   kind         "created": a collection the task created on the target;
 *                "found": one the target had before the task (its rows
 *                read again replace the target's)
 *   source_id    the source's collection id (etcdpb.CollectionInfo.ID)
 *   target_id    the target's id of it (DescribeCollectionResponse
 *                collectionID, milvus-proto milvus.proto)
 *   name         "db.collection", for the operator
 */
typedef struct {
    ngx_str_t                 kind;
    int64_t                   source_id;
    int64_t                   target_id;
    ngx_str_t                 name;
} ngx_http_milvus_cdc_id_map_t;


/*
 * Opens (creating when missing) "<dir>/tasks.db", sets WAL mode and
 * busy_timeout (ms), creates the schema and prepares the statements.
 * NGX_OK or NGX_ERROR (logged at "log").
 */
ngx_int_t ngx_http_milvus_cdc_store_open(ngx_http_milvus_cdc_store_t *st,
    ngx_str_t *dir, ngx_msec_t busy_timeout, ngx_log_t *log);

void ngx_http_milvus_cdc_store_close(ngx_http_milvus_cdc_store_t *st);

/*
 * Reads one task into "task" (strings copied into "pool").  NGX_OK,
 * NGX_DECLINED when there is no such task, NGX_ERROR.
 */
ngx_int_t ngx_http_milvus_cdc_store_get(ngx_http_milvus_cdc_store_t *st,
    ngx_pool_t *pool, ngx_str_t *task_id, ngx_http_milvus_cdc_task_t *task);

/*
 * Reads every task, in creation order, into a new array of
 * ngx_http_milvus_cdc_task_t allocated from "pool".  NGX_OK or NGX_ERROR.
 */
ngx_int_t ngx_http_milvus_cdc_store_list(ngx_http_milvus_cdc_store_t *st,
    ngx_pool_t *pool, ngx_array_t **tasks);

/*
 * Inserts "task" in one transaction, after checking that its id is new,
 * that fewer than "max_tasks" tasks exist and that no task with the same
 * target_uri has an overlapping scope; with "insert" 0 it only checks
 * (nothing is written).  Returns NGX_OK,
 * NGX_HTTP_MILVUS_CDC_STORE_EXISTS (the id exists: nothing changed),
 * NGX_HTTP_MILVUS_CDC_STORE_LIMIT, NGX_HTTP_MILVUS_CDC_STORE_OVERLAP (with
 * "other" = the other task's id and "entry" = the shared "db.collection",
 * both copied into "pool"), or NGX_ERROR.
 */
ngx_int_t ngx_http_milvus_cdc_store_create(ngx_http_milvus_cdc_store_t *st,
    ngx_pool_t *pool, ngx_http_milvus_cdc_task_t *task, ngx_uint_t max_tasks,
    ngx_uint_t insert, ngx_str_t *other, ngx_str_t *entry);

/*
 * Sets the state of a task whose current state is in the bit mask "from"
 * (1 << state), and its reason (NULL or empty clears it), in one
 * transaction.  "*prev" receives the state found.  NGX_OK (changed),
 * NGX_DECLINED (no such task), NGX_ABORT (the state was not in "from":
 * nothing changed), NGX_ERROR.
 */
ngx_int_t ngx_http_milvus_cdc_store_set_state(ngx_http_milvus_cdc_store_t *st,
    ngx_str_t *task_id, ngx_uint_t from, ngx_int_t to, ngx_str_t *reason,
    ngx_int_t *prev);

/*
 * Removes a task with its checkpoints, leases and id maps in one
 * transaction.  NGX_OK, NGX_DECLINED (no such task), NGX_ERROR.
 */
ngx_int_t ngx_http_milvus_cdc_store_delete(ngx_http_milvus_cdc_store_t *st,
    ngx_str_t *task_id);

/*
 * Takes or renews the lease of a task for "owner" (a helper instance id)
 * until now + ttl (epoch ms), in a BEGIN IMMEDIATE transaction.  A lease
 * held by another owner that has not expired is left alone.  NGX_OK (held
 * by owner now), NGX_DECLINED (held by another: "*holder_pid" set; or the
 * task is gone: "*holder_pid" = 0), NGX_ERROR.
 */
ngx_int_t ngx_http_milvus_cdc_store_lease(ngx_http_milvus_cdc_store_t *st,
    ngx_str_t *task_id, ngx_str_t *owner, ngx_pid_t pid, ngx_msec_t ttl,
    ngx_pid_t *holder_pid);

/*
 * Drops the lease of one task (task_id != NULL) or every lease (NULL) held
 * by "owner".  NGX_OK or NGX_ERROR.
 */
ngx_int_t ngx_http_milvus_cdc_store_release(ngx_http_milvus_cdc_store_t *st,
    ngx_str_t *task_id, ngx_str_t *owner);

/*
 * Reads the checkpoints of a task into a new array of
 * ngx_http_milvus_cdc_checkpoint_t (ordered by pchannel).  NGX_OK or
 * NGX_ERROR.
 */
ngx_int_t ngx_http_milvus_cdc_store_checkpoints(
    ngx_http_milvus_cdc_store_t *st, ngx_pool_t *pool, ngx_str_t *task_id,
    ngx_array_t **checkpoints);

/*
 * Writes, in one transaction, a checkpoint (may be NULL) and the last
 * timestamps of "ntargets" target pchannels.  NGX_OK or NGX_ERROR.
 */
ngx_int_t ngx_http_milvus_cdc_store_checkpoint_save(
    ngx_http_milvus_cdc_store_t *st, ngx_str_t *task_id,
    ngx_http_milvus_cdc_checkpoint_t *cp,
    ngx_http_milvus_cdc_target_ts_t *targets, ngx_uint_t ntargets);

/*
 * Reads the target pchannel timestamps of a task into a new array of
 * ngx_http_milvus_cdc_target_ts_t (tick_ts 0 where no TimeTick was sent
 * while Paused).  NGX_OK or NGX_ERROR.
 */
ngx_int_t ngx_http_milvus_cdc_store_target_channels(
    ngx_http_milvus_cdc_store_t *st, ngx_pool_t *pool, ngx_str_t *task_id,
    ngx_array_t **targets);

/*
 * Saves ts (TSO) as the last TimeTick sent to target pchannel "pchannel"
 * while the task is Paused (before it is sent: the next run never stamps
 * at or below it).  NGX_OK or NGX_ERROR (logged).
 */
ngx_int_t ngx_http_milvus_cdc_store_tick_save(ngx_http_milvus_cdc_store_t *st,
    ngx_str_t *task_id, ngx_str_t *pchannel, uint64_t ts);

/*
 * Reads the id maps of a task into a new array of
 * ngx_http_milvus_cdc_id_map_t (strings copied into "pool").  NGX_OK or
 * NGX_ERROR.
 */
ngx_int_t ngx_http_milvus_cdc_store_id_maps(ngx_http_milvus_cdc_store_t *st,
    ngx_pool_t *pool, ngx_str_t *task_id, ngx_array_t **maps);

/* writes (or replaces) one id map of a task.  NGX_OK or NGX_ERROR. */
ngx_int_t ngx_http_milvus_cdc_store_id_map_put(
    ngx_http_milvus_cdc_store_t *st, ngx_str_t *task_id,
    ngx_http_milvus_cdc_id_map_t *m);

/* milliseconds since the epoch, from nginx's cached time */
uint64_t ngx_http_milvus_cdc_store_now(void);


#endif /* _NGX_HTTP_MILVUS_CDC_STORE_H_INCLUDED_ */
