
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 *
 * The task store: tasks, checkpoints, leases and id maps in sqlite (WAL),
 * shared by the HTTP workers (task rows) and the helper process
 * (checkpoints, leases, state on error).
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_milvus_cdc.h"
#include "ngx_http_milvus_cdc_store.h"


#define NGX_HTTP_MILVUS_CDC_SCHEMA_VERSION  1
#define NGX_HTTP_MILVUS_CDC_STORE_WAL_TRIES 100

#define TASK_COLUMNS                                                          \
    "task_id, target_uri, target, tls, token, dial_json, connect_json, "      \
    "scope_json, scope, connect_timeout, state, reason"


static ngx_int_t ngx_http_milvus_cdc_store_wal(
    ngx_http_milvus_cdc_store_t *st);
static ngx_int_t ngx_http_milvus_cdc_store_exec(
    ngx_http_milvus_cdc_store_t *st, const char *sql);
static ngx_int_t ngx_http_milvus_cdc_store_step(
    ngx_http_milvus_cdc_store_t *st, ngx_http_milvus_cdc_stmt_e s);
static ngx_int_t ngx_http_milvus_cdc_store_txn(ngx_http_milvus_cdc_store_t *st,
    ngx_http_milvus_cdc_stmt_e s);
static ngx_int_t ngx_http_milvus_cdc_store_copy(ngx_pool_t *pool,
    sqlite3_stmt *stmt, int col, ngx_str_t *dst);
static ngx_int_t ngx_http_milvus_cdc_store_read_task(ngx_pool_t *pool,
    sqlite3_stmt *stmt, ngx_http_milvus_cdc_task_t *task);
static void ngx_http_milvus_cdc_store_bind(sqlite3_stmt *stmt, int col,
    ngx_str_t *s);
static void ngx_http_milvus_cdc_store_error(ngx_http_milvus_cdc_store_t *st,
    const char *what);


static const char  *ngx_http_milvus_cdc_schema =
    "CREATE TABLE IF NOT EXISTS tasks ("
    " task_id TEXT PRIMARY KEY,"
    " target_uri TEXT NOT NULL,"
    " target TEXT NOT NULL,"
    " tls INTEGER NOT NULL,"
    " token TEXT NOT NULL,"
    " dial_json TEXT NOT NULL,"
    " connect_json TEXT NOT NULL,"
    " scope_json TEXT NOT NULL,"
    " scope TEXT NOT NULL,"
    " connect_timeout INTEGER NOT NULL,"
    " state INTEGER NOT NULL,"
    " reason TEXT NOT NULL,"
    " created_ms INTEGER NOT NULL,"
    " updated_ms INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS checkpoints ("
    " task_id TEXT NOT NULL,"
    " pchannel TEXT NOT NULL,"
    " msg_id BLOB NOT NULL,"
    " ts INTEGER NOT NULL,"
    " sent_msg_id BLOB NOT NULL,"
    " updated_ms INTEGER NOT NULL,"
    " PRIMARY KEY (task_id, pchannel));"
    "CREATE TABLE IF NOT EXISTS target_channels ("
    " task_id TEXT NOT NULL,"
    " pchannel TEXT NOT NULL,"
    " last_ts INTEGER NOT NULL,"
    " PRIMARY KEY (task_id, pchannel));"
    "CREATE TABLE IF NOT EXISTS target_ticks ("
    " task_id TEXT NOT NULL,"
    " pchannel TEXT NOT NULL,"
    " tick_ts INTEGER NOT NULL,"
    " PRIMARY KEY (task_id, pchannel));"
    "CREATE TABLE IF NOT EXISTS leases ("
    " task_id TEXT PRIMARY KEY,"
    " owner TEXT NOT NULL,"
    " pid INTEGER NOT NULL,"
    " expires_ms INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS id_maps ("
    " task_id TEXT NOT NULL,"
    " kind TEXT NOT NULL,"
    " source_id INTEGER NOT NULL,"
    " target_id INTEGER NOT NULL,"
    " name TEXT NOT NULL DEFAULT '',"
    " PRIMARY KEY (task_id, kind, source_id));";


static const char  *ngx_http_milvus_cdc_sql[] = {
    /* get */
    "SELECT " TASK_COLUMNS " FROM tasks WHERE task_id = ?1",
    /* list */
    "SELECT " TASK_COLUMNS " FROM tasks ORDER BY created_ms, rowid",
    /* exists */
    "SELECT 1 FROM tasks WHERE task_id = ?1",
    /* count */
    "SELECT count(*) FROM tasks",
    /* same_target */
    "SELECT task_id, scope FROM tasks WHERE target_uri = ?1",
    /* insert */
    "INSERT INTO tasks (" TASK_COLUMNS ", created_ms, updated_ms)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13)",
    /* state */
    "SELECT state FROM tasks WHERE task_id = ?1",
    /* set_state */
    "UPDATE tasks SET state = ?2, reason = ?3, updated_ms = ?4"
    " WHERE task_id = ?1",
    /* delete_task */
    "DELETE FROM tasks WHERE task_id = ?1",
    /* delete_checkpoints */
    "DELETE FROM checkpoints WHERE task_id = ?1",
    /* delete_leases */
    "DELETE FROM leases WHERE task_id = ?1",
    /* delete_id_maps */
    "DELETE FROM id_maps WHERE task_id = ?1",
    /* delete_target_channels */
    "DELETE FROM target_channels WHERE task_id = ?1",
    /* delete_target_ticks */
    "DELETE FROM target_ticks WHERE task_id = ?1",
    /* lease_get */
    "SELECT l.owner, l.pid, l.expires_ms, t.task_id"
    " FROM tasks t LEFT JOIN leases l ON l.task_id = t.task_id"
    " WHERE t.task_id = ?1",
    /* lease_put */
    "INSERT OR REPLACE INTO leases (task_id, owner, pid, expires_ms)"
    " VALUES (?1, ?2, ?3, ?4)",
    /* lease_release */
    "DELETE FROM leases WHERE task_id = ?1 AND owner = ?2",
    /* lease_release_owner */
    "DELETE FROM leases WHERE owner = ?1",
    /* checkpoints */
    "SELECT pchannel, msg_id, ts FROM checkpoints"
    " WHERE task_id = ?1 ORDER BY pchannel",
    /* checkpoint_put */
    "INSERT OR REPLACE INTO checkpoints"
    " (task_id, pchannel, msg_id, ts, sent_msg_id, updated_ms)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    /* target_channels */
    "SELECT c.pchannel, c.last_ts, coalesce(k.tick_ts, 0)"
    " FROM target_channels c LEFT JOIN target_ticks k"
    " ON k.task_id = c.task_id AND k.pchannel = c.pchannel"
    " WHERE c.task_id = ?1 ORDER BY c.pchannel",
    /* target_channel_put */
    "INSERT OR REPLACE INTO target_channels (task_id, pchannel, last_ts)"
    " VALUES (?1, ?2, ?3)",
    /* tick_put */
    "INSERT OR REPLACE INTO target_ticks (task_id, pchannel, tick_ts)"
    " VALUES (?1, ?2, ?3)",
    /* id_maps */
    "SELECT kind, source_id, target_id, name FROM id_maps WHERE task_id = ?1"
    " ORDER BY kind, source_id",
    /* id_map_put */
    "INSERT OR REPLACE INTO id_maps (task_id, kind, source_id, target_id,"
    " name) VALUES (?1, ?2, ?3, ?4, ?5)",
    /* begin */
    "BEGIN IMMEDIATE",
    /* commit */
    "COMMIT",
    /* rollback */
    "ROLLBACK"
};


ngx_int_t
ngx_http_milvus_cdc_store_open(ngx_http_milvus_cdc_store_t *st,
    ngx_str_t *dir, ngx_msec_t busy_timeout, ngx_log_t *log)
{
    int           rc, version;
    u_char       *name;
    ngx_fd_t      fd;
    ngx_uint_t    i;
    sqlite3_stmt *stmt;

    ngx_memzero(st, sizeof(ngx_http_milvus_cdc_store_t));
    st->log = log;

    name = ngx_alloc(dir->len + sizeof("/" NGX_HTTP_MILVUS_CDC_STORE_FILE),
                     log);
    if (name == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(name, "%V/" NGX_HTTP_MILVUS_CDC_STORE_FILE "%Z", dir);

    /* create the file 0600 ourselves: sqlite would use 0644 */

    fd = open((char *) name, O_RDWR|O_CREAT, 0600);
    if (fd == NGX_INVALID_FILE) {
        ngx_log_error(NGX_LOG_EMERG, log, ngx_errno,
                      "milvus_cdc: cannot open the task store \"%s\"", name);
        ngx_free(name);
        return NGX_ERROR;
    }

    (void) close(fd);

    rc = sqlite3_open_v2((char *) name, &st->db,
                         SQLITE_OPEN_READWRITE|SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        ngx_log_error(NGX_LOG_EMERG, log, 0,
                      "milvus_cdc: cannot open the task store \"%s\": %s",
                      name, sqlite3_errstr(rc));
        ngx_free(name);
        ngx_http_milvus_cdc_store_close(st);
        return NGX_ERROR;
    }

    ngx_free(name);

    sqlite3_busy_timeout(st->db, (int) busy_timeout);

    if (ngx_http_milvus_cdc_store_wal(st) != NGX_OK
        || ngx_http_milvus_cdc_store_exec(st, "PRAGMA synchronous=NORMAL")
           != NGX_OK)
    {
        ngx_http_milvus_cdc_store_close(st);
        return NGX_ERROR;
    }

    if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &stmt, NULL)
        != SQLITE_OK)
    {
        ngx_http_milvus_cdc_store_error(st, "reading the schema version");
        ngx_http_milvus_cdc_store_close(st);
        return NGX_ERROR;
    }

    version = 0;

    if (sqlite3_step(stmt) == SQLITE_ROW) {
        version = sqlite3_column_int(stmt, 0);
    }

    sqlite3_finalize(stmt);

    if (version > NGX_HTTP_MILVUS_CDC_SCHEMA_VERSION) {
        ngx_log_error(NGX_LOG_EMERG, log, 0,
                      "milvus_cdc: the task store has schema version %d, "
                      "this module knows up to %d", version,
                      NGX_HTTP_MILVUS_CDC_SCHEMA_VERSION);
        ngx_http_milvus_cdc_store_close(st);
        return NGX_ERROR;
    }

    if (version < NGX_HTTP_MILVUS_CDC_SCHEMA_VERSION) {
        if (ngx_http_milvus_cdc_store_exec(st, "BEGIN IMMEDIATE") != NGX_OK) {
            ngx_http_milvus_cdc_store_close(st);
            return NGX_ERROR;
        }

        if (ngx_http_milvus_cdc_store_exec(st, ngx_http_milvus_cdc_schema)
            != NGX_OK
            || ngx_http_milvus_cdc_store_exec(st, "PRAGMA user_version=1")
               != NGX_OK
            || ngx_http_milvus_cdc_store_exec(st, "COMMIT") != NGX_OK)
        {
            (void) sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
            ngx_http_milvus_cdc_store_close(st);
            return NGX_ERROR;
        }
    }

    for (i = 0; i < ngx_http_milvus_cdc_st_last; i++) {
        if (sqlite3_prepare_v3(st->db, ngx_http_milvus_cdc_sql[i], -1,
                               SQLITE_PREPARE_PERSISTENT, &st->stmt[i], NULL)
            != SQLITE_OK)
        {
            ngx_http_milvus_cdc_store_error(st, ngx_http_milvus_cdc_sql[i]);
            ngx_http_milvus_cdc_store_close(st);
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


void
ngx_http_milvus_cdc_store_close(ngx_http_milvus_cdc_store_t *st)
{
    ngx_uint_t  i;

    for (i = 0; i < ngx_http_milvus_cdc_st_last; i++) {
        if (st->stmt[i]) {
            sqlite3_finalize(st->stmt[i]);
            st->stmt[i] = NULL;
        }
    }

    if (st->db) {
        sqlite3_close(st->db);
        st->db = NULL;
    }
}


ngx_int_t
ngx_http_milvus_cdc_store_get(ngx_http_milvus_cdc_store_t *st,
    ngx_pool_t *pool, ngx_str_t *task_id, ngx_http_milvus_cdc_task_t *task)
{
    ngx_int_t      rc;
    sqlite3_stmt  *stmt;

    stmt = st->stmt[ngx_http_milvus_cdc_st_get];
    ngx_http_milvus_cdc_store_bind(stmt, 1, task_id);

    rc = ngx_http_milvus_cdc_store_step(st, ngx_http_milvus_cdc_st_get);

    if (rc == NGX_AGAIN) {
        rc = ngx_http_milvus_cdc_store_read_task(pool, stmt, task);

    } else if (rc == NGX_OK) {
        rc = NGX_DECLINED;
    }

    sqlite3_reset(stmt);

    return rc;
}


ngx_int_t
ngx_http_milvus_cdc_store_list(ngx_http_milvus_cdc_store_t *st,
    ngx_pool_t *pool, ngx_array_t **tasks)
{
    ngx_int_t                    rc;
    sqlite3_stmt                *stmt;
    ngx_http_milvus_cdc_task_t  *task;

    *tasks = ngx_array_create(pool, 8, sizeof(ngx_http_milvus_cdc_task_t));
    if (*tasks == NULL) {
        return NGX_ERROR;
    }

    stmt = st->stmt[ngx_http_milvus_cdc_st_list];

    for ( ;; ) {
        rc = ngx_http_milvus_cdc_store_step(st, ngx_http_milvus_cdc_st_list);

        if (rc != NGX_AGAIN) {
            break;
        }

        task = ngx_array_push(*tasks);
        if (task == NULL
            || ngx_http_milvus_cdc_store_read_task(pool, stmt, task) != NGX_OK)
        {
            rc = NGX_ERROR;
            break;
        }
    }

    sqlite3_reset(stmt);

    return rc;
}


ngx_int_t
ngx_http_milvus_cdc_store_create(ngx_http_milvus_cdc_store_t *st,
    ngx_pool_t *pool, ngx_http_milvus_cdc_task_t *task, ngx_uint_t max_tasks,
    ngx_uint_t insert, ngx_str_t *other, ngx_str_t *entry)
{
    ngx_int_t      rc;
    ngx_str_t      scope, id, shared;
    sqlite3_stmt  *stmt;

    if (ngx_http_milvus_cdc_store_txn(st, ngx_http_milvus_cdc_st_begin)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* an existing id: the create is a repeat */

    stmt = st->stmt[ngx_http_milvus_cdc_st_exists];
    ngx_http_milvus_cdc_store_bind(stmt, 1, &task->task_id);
    rc = ngx_http_milvus_cdc_store_step(st, ngx_http_milvus_cdc_st_exists);
    sqlite3_reset(stmt);

    if (rc == NGX_AGAIN) {
        rc = NGX_HTTP_MILVUS_CDC_STORE_EXISTS;
        goto done;
    }

    if (rc != NGX_OK) {
        goto done;
    }

    stmt = st->stmt[ngx_http_milvus_cdc_st_count];
    rc = ngx_http_milvus_cdc_store_step(st, ngx_http_milvus_cdc_st_count);

    if (rc == NGX_AGAIN) {
        rc = ((ngx_uint_t) sqlite3_column_int64(stmt, 0) >= max_tasks)
             ? NGX_HTTP_MILVUS_CDC_STORE_LIMIT : NGX_OK;
    }

    sqlite3_reset(stmt);

    if (rc != NGX_OK) {
        goto done;
    }

    stmt = st->stmt[ngx_http_milvus_cdc_st_same_target];
    ngx_http_milvus_cdc_store_bind(stmt, 1, &task->target_uri);

    for ( ;; ) {
        rc = ngx_http_milvus_cdc_store_step(st,
                                           ngx_http_milvus_cdc_st_same_target);
        if (rc != NGX_AGAIN) {
            break;
        }

        scope.data = (u_char *) sqlite3_column_text(stmt, 1);
        scope.len = sqlite3_column_bytes(stmt, 1);

        if (scope.data == NULL
            || !ngx_http_milvus_cdc_task_scopes_overlap(&task->scope, &scope,
                                                         &shared))
        {
            continue;
        }

        id.data = (u_char *) sqlite3_column_text(stmt, 0);
        id.len = sqlite3_column_bytes(stmt, 0);

        other->data = ngx_pstrdup(pool, &id);
        other->len = id.len;
        entry->data = ngx_pstrdup(pool, &shared);
        entry->len = shared.len;

        rc = (other->data && entry->data) ? NGX_HTTP_MILVUS_CDC_STORE_OVERLAP
                                          : NGX_ERROR;
        break;
    }

    sqlite3_reset(stmt);

    if (rc != NGX_OK || !insert) {
        goto done;
    }

    stmt = st->stmt[ngx_http_milvus_cdc_st_insert];

    ngx_http_milvus_cdc_store_bind(stmt, 1, &task->task_id);
    ngx_http_milvus_cdc_store_bind(stmt, 2, &task->target_uri);
    ngx_http_milvus_cdc_store_bind(stmt, 3, &task->target);
    sqlite3_bind_int(stmt, 4, task->tls ? 1 : 0);
    ngx_http_milvus_cdc_store_bind(stmt, 5, &task->token);
    ngx_http_milvus_cdc_store_bind(stmt, 6, &task->dial_json);
    ngx_http_milvus_cdc_store_bind(stmt, 7, &task->connect_json);
    ngx_http_milvus_cdc_store_bind(stmt, 8, &task->scope_json);
    ngx_http_milvus_cdc_store_bind(stmt, 9, &task->scope);
    sqlite3_bind_int64(stmt, 10, task->connect_timeout);
    sqlite3_bind_int(stmt, 11, (int) task->state);
    ngx_http_milvus_cdc_store_bind(stmt, 12, &task->reason);
    sqlite3_bind_int64(stmt, 13, ngx_http_milvus_cdc_store_now());

    rc = ngx_http_milvus_cdc_store_step(st, ngx_http_milvus_cdc_st_insert);
    sqlite3_reset(stmt);

done:

    if (rc == NGX_OK && insert) {
        return ngx_http_milvus_cdc_store_txn(st,
                                             ngx_http_milvus_cdc_st_commit);
    }

    (void) ngx_http_milvus_cdc_store_txn(st, ngx_http_milvus_cdc_st_rollback);

    return rc;
}


ngx_int_t
ngx_http_milvus_cdc_store_set_state(ngx_http_milvus_cdc_store_t *st,
    ngx_str_t *task_id, ngx_uint_t from, ngx_int_t to, ngx_str_t *reason,
    ngx_int_t *prev)
{
    ngx_int_t      rc;
    ngx_str_t      empty = ngx_string("");
    sqlite3_stmt  *stmt;

    if (ngx_http_milvus_cdc_store_txn(st, ngx_http_milvus_cdc_st_begin)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    stmt = st->stmt[ngx_http_milvus_cdc_st_state];
    ngx_http_milvus_cdc_store_bind(stmt, 1, task_id);
    rc = ngx_http_milvus_cdc_store_step(st, ngx_http_milvus_cdc_st_state);

    if (rc == NGX_AGAIN) {
        *prev = sqlite3_column_int(stmt, 0);
        rc = (from & (1 << *prev)) ? NGX_OK : NGX_ABORT;

    } else if (rc == NGX_OK) {
        rc = NGX_DECLINED;
    }

    sqlite3_reset(stmt);

    if (rc == NGX_OK) {
        stmt = st->stmt[ngx_http_milvus_cdc_st_set_state];
        ngx_http_milvus_cdc_store_bind(stmt, 1, task_id);
        sqlite3_bind_int(stmt, 2, (int) to);
        ngx_http_milvus_cdc_store_bind(stmt, 3, reason ? reason : &empty);
        sqlite3_bind_int64(stmt, 4, ngx_http_milvus_cdc_store_now());
        rc = ngx_http_milvus_cdc_store_step(st,
                                            ngx_http_milvus_cdc_st_set_state);
        sqlite3_reset(stmt);
    }

    if (rc == NGX_OK) {
        return ngx_http_milvus_cdc_store_txn(st,
                                             ngx_http_milvus_cdc_st_commit);
    }

    (void) ngx_http_milvus_cdc_store_txn(st, ngx_http_milvus_cdc_st_rollback);

    return rc;
}


ngx_int_t
ngx_http_milvus_cdc_store_delete(ngx_http_milvus_cdc_store_t *st,
    ngx_str_t *task_id)
{
    ngx_int_t                   rc;
    ngx_uint_t                  i;
    sqlite3_stmt               *stmt;
    ngx_http_milvus_cdc_stmt_e  s;

    static ngx_http_milvus_cdc_stmt_e  deletes[] = {
        ngx_http_milvus_cdc_st_delete_checkpoints,
        ngx_http_milvus_cdc_st_delete_leases,
        ngx_http_milvus_cdc_st_delete_id_maps,
        ngx_http_milvus_cdc_st_delete_target_channels,
        ngx_http_milvus_cdc_st_delete_target_ticks,
        ngx_http_milvus_cdc_st_delete_task
    };

    if (ngx_http_milvus_cdc_store_txn(st, ngx_http_milvus_cdc_st_begin)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    rc = NGX_OK;

    for (i = 0; i < sizeof(deletes) / sizeof(deletes[0]); i++) {
        s = deletes[i];
        stmt = st->stmt[s];
        ngx_http_milvus_cdc_store_bind(stmt, 1, task_id);
        rc = ngx_http_milvus_cdc_store_step(st, s);
        sqlite3_reset(stmt);

        if (rc != NGX_OK) {
            break;
        }
    }

    if (rc == NGX_OK && sqlite3_changes(st->db) == 0) {
        rc = NGX_DECLINED;
    }

    if (rc == NGX_OK) {
        return ngx_http_milvus_cdc_store_txn(st,
                                             ngx_http_milvus_cdc_st_commit);
    }

    (void) ngx_http_milvus_cdc_store_txn(st, ngx_http_milvus_cdc_st_rollback);

    return rc;
}


ngx_int_t
ngx_http_milvus_cdc_store_lease(ngx_http_milvus_cdc_store_t *st,
    ngx_str_t *task_id, ngx_str_t *owner, ngx_pid_t pid, ngx_msec_t ttl,
    ngx_pid_t *holder_pid)
{
    uint64_t       now;
    ngx_int_t      rc;
    ngx_str_t      holder;
    sqlite3_stmt  *stmt;

    if (ngx_http_milvus_cdc_store_txn(st, ngx_http_milvus_cdc_st_begin)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    now = ngx_http_milvus_cdc_store_now();
    *holder_pid = 0;

    stmt = st->stmt[ngx_http_milvus_cdc_st_lease_get];
    ngx_http_milvus_cdc_store_bind(stmt, 1, task_id);
    rc = ngx_http_milvus_cdc_store_step(st, ngx_http_milvus_cdc_st_lease_get);

    if (rc == NGX_OK) {
        /* the task is gone */
        rc = NGX_DECLINED;

    } else if (rc == NGX_AGAIN) {
        rc = NGX_OK;

        if (sqlite3_column_type(stmt, 0) != SQLITE_NULL) {
            holder.data = (u_char *) sqlite3_column_text(stmt, 0);
            holder.len = sqlite3_column_bytes(stmt, 0);

            if ((uint64_t) sqlite3_column_int64(stmt, 2) > now
                && (holder.len != owner->len
                    || ngx_strncmp(holder.data, owner->data, holder.len) != 0))
            {
                *holder_pid = (ngx_pid_t) sqlite3_column_int64(stmt, 1);
                rc = NGX_DECLINED;
            }
        }
    }

    sqlite3_reset(stmt);

    if (rc == NGX_OK) {
        stmt = st->stmt[ngx_http_milvus_cdc_st_lease_put];
        ngx_http_milvus_cdc_store_bind(stmt, 1, task_id);
        ngx_http_milvus_cdc_store_bind(stmt, 2, owner);
        sqlite3_bind_int64(stmt, 3, pid);
        sqlite3_bind_int64(stmt, 4, now + ttl);
        rc = ngx_http_milvus_cdc_store_step(st,
                                            ngx_http_milvus_cdc_st_lease_put);
        sqlite3_reset(stmt);
    }

    if (rc == NGX_OK) {
        return ngx_http_milvus_cdc_store_txn(st,
                                             ngx_http_milvus_cdc_st_commit);
    }

    (void) ngx_http_milvus_cdc_store_txn(st, ngx_http_milvus_cdc_st_rollback);

    return rc;
}


ngx_int_t
ngx_http_milvus_cdc_store_release(ngx_http_milvus_cdc_store_t *st,
    ngx_str_t *task_id, ngx_str_t *owner)
{
    ngx_int_t                   rc;
    sqlite3_stmt               *stmt;
    ngx_http_milvus_cdc_stmt_e  s;

    if (task_id) {
        s = ngx_http_milvus_cdc_st_lease_release;
        stmt = st->stmt[s];
        ngx_http_milvus_cdc_store_bind(stmt, 1, task_id);
        ngx_http_milvus_cdc_store_bind(stmt, 2, owner);

    } else {
        s = ngx_http_milvus_cdc_st_lease_release_owner;
        stmt = st->stmt[s];
        ngx_http_milvus_cdc_store_bind(stmt, 1, owner);
    }

    rc = ngx_http_milvus_cdc_store_step(st, s);
    sqlite3_reset(stmt);

    return rc;
}


ngx_int_t
ngx_http_milvus_cdc_store_checkpoints(ngx_http_milvus_cdc_store_t *st,
    ngx_pool_t *pool, ngx_str_t *task_id, ngx_array_t **checkpoints)
{
    ngx_int_t                          rc;
    sqlite3_stmt                      *stmt;
    ngx_http_milvus_cdc_checkpoint_t  *cp;

    *checkpoints = ngx_array_create(pool, 4,
                                    sizeof(ngx_http_milvus_cdc_checkpoint_t));
    if (*checkpoints == NULL) {
        return NGX_ERROR;
    }

    stmt = st->stmt[ngx_http_milvus_cdc_st_checkpoints];
    ngx_http_milvus_cdc_store_bind(stmt, 1, task_id);

    for ( ;; ) {
        rc = ngx_http_milvus_cdc_store_step(st,
                                            ngx_http_milvus_cdc_st_checkpoints);
        if (rc != NGX_AGAIN) {
            break;
        }

        cp = ngx_array_push(*checkpoints);
        if (cp == NULL
            || ngx_http_milvus_cdc_store_copy(pool, stmt, 0, &cp->pchannel)
               != NGX_OK
            || ngx_http_milvus_cdc_store_copy(pool, stmt, 1, &cp->msg_id)
               != NGX_OK)
        {
            rc = NGX_ERROR;
            break;
        }

        cp->ts = (uint64_t) sqlite3_column_int64(stmt, 2);
    }

    sqlite3_reset(stmt);

    return rc;
}


ngx_int_t
ngx_http_milvus_cdc_store_checkpoint_save(ngx_http_milvus_cdc_store_t *st,
    ngx_str_t *task_id, ngx_http_milvus_cdc_checkpoint_t *cp,
    ngx_http_milvus_cdc_target_ts_t *targets, ngx_uint_t ntargets)
{
    ngx_int_t      rc;
    ngx_uint_t     i;
    sqlite3_stmt  *stmt;

    if (ngx_http_milvus_cdc_store_txn(st, ngx_http_milvus_cdc_st_begin)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    rc = NGX_OK;

    if (cp) {
        stmt = st->stmt[ngx_http_milvus_cdc_st_checkpoint_put];
        ngx_http_milvus_cdc_store_bind(stmt, 1, task_id);
        ngx_http_milvus_cdc_store_bind(stmt, 2, &cp->pchannel);
        (void) sqlite3_bind_blob(stmt, 3, cp->msg_id.data, (int) cp->msg_id.len,
                                 SQLITE_STATIC);
        sqlite3_bind_int64(stmt, 4, (sqlite3_int64) cp->ts);
        (void) sqlite3_bind_blob(stmt, 5, cp->msg_id.data, (int) cp->msg_id.len,
                                 SQLITE_STATIC);
        sqlite3_bind_int64(stmt, 6, ngx_http_milvus_cdc_store_now());
        rc = ngx_http_milvus_cdc_store_step(st,
                                        ngx_http_milvus_cdc_st_checkpoint_put);
        sqlite3_reset(stmt);
    }

    stmt = st->stmt[ngx_http_milvus_cdc_st_target_channel_put];

    for (i = 0; rc == NGX_OK && i < ntargets; i++) {
        ngx_http_milvus_cdc_store_bind(stmt, 1, task_id);
        ngx_http_milvus_cdc_store_bind(stmt, 2, &targets[i].pchannel);
        sqlite3_bind_int64(stmt, 3, (sqlite3_int64) targets[i].last_ts);
        rc = ngx_http_milvus_cdc_store_step(st,
                                  ngx_http_milvus_cdc_st_target_channel_put);
        sqlite3_reset(stmt);
    }

    if (rc == NGX_OK) {
        return ngx_http_milvus_cdc_store_txn(st,
                                             ngx_http_milvus_cdc_st_commit);
    }

    (void) ngx_http_milvus_cdc_store_txn(st, ngx_http_milvus_cdc_st_rollback);

    return rc;
}


ngx_int_t
ngx_http_milvus_cdc_store_target_channels(ngx_http_milvus_cdc_store_t *st,
    ngx_pool_t *pool, ngx_str_t *task_id, ngx_array_t **targets)
{
    ngx_int_t                         rc;
    sqlite3_stmt                     *stmt;
    ngx_http_milvus_cdc_target_ts_t  *t;

    *targets = ngx_array_create(pool, 4,
                                sizeof(ngx_http_milvus_cdc_target_ts_t));
    if (*targets == NULL) {
        return NGX_ERROR;
    }

    stmt = st->stmt[ngx_http_milvus_cdc_st_target_channels];
    ngx_http_milvus_cdc_store_bind(stmt, 1, task_id);

    for ( ;; ) {
        rc = ngx_http_milvus_cdc_store_step(st,
                                       ngx_http_milvus_cdc_st_target_channels);
        if (rc != NGX_AGAIN) {
            break;
        }

        t = ngx_array_push(*targets);
        if (t == NULL
            || ngx_http_milvus_cdc_store_copy(pool, stmt, 0, &t->pchannel)
               != NGX_OK)
        {
            rc = NGX_ERROR;
            break;
        }

        t->last_ts = (uint64_t) sqlite3_column_int64(stmt, 1);
        t->tick_ts = (uint64_t) sqlite3_column_int64(stmt, 2);
    }

    sqlite3_reset(stmt);

    return rc;
}


ngx_int_t
ngx_http_milvus_cdc_store_tick_save(ngx_http_milvus_cdc_store_t *st,
    ngx_str_t *task_id, ngx_str_t *pchannel, uint64_t ts)
{
    ngx_int_t      rc;
    sqlite3_stmt  *stmt;

    stmt = st->stmt[ngx_http_milvus_cdc_st_tick_put];
    ngx_http_milvus_cdc_store_bind(stmt, 1, task_id);
    ngx_http_milvus_cdc_store_bind(stmt, 2, pchannel);
    sqlite3_bind_int64(stmt, 3, (sqlite3_int64) ts);

    rc = ngx_http_milvus_cdc_store_step(st, ngx_http_milvus_cdc_st_tick_put);
    sqlite3_reset(stmt);

    return rc;
}


ngx_int_t
ngx_http_milvus_cdc_store_id_maps(ngx_http_milvus_cdc_store_t *st,
    ngx_pool_t *pool, ngx_str_t *task_id, ngx_array_t **maps)
{
    ngx_int_t                       rc;
    sqlite3_stmt                   *stmt;
    ngx_http_milvus_cdc_id_map_t   *m;

    *maps = ngx_array_create(pool, 8, sizeof(ngx_http_milvus_cdc_id_map_t));
    if (*maps == NULL) {
        return NGX_ERROR;
    }

    stmt = st->stmt[ngx_http_milvus_cdc_st_id_maps];
    ngx_http_milvus_cdc_store_bind(stmt, 1, task_id);

    for ( ;; ) {
        rc = ngx_http_milvus_cdc_store_step(st, ngx_http_milvus_cdc_st_id_maps);
        if (rc != NGX_AGAIN) {
            break;
        }

        m = ngx_array_push(*maps);
        if (m == NULL
            || ngx_http_milvus_cdc_store_copy(pool, stmt, 0, &m->kind)
               != NGX_OK
            || ngx_http_milvus_cdc_store_copy(pool, stmt, 3, &m->name)
               != NGX_OK)
        {
            rc = NGX_ERROR;
            break;
        }

        m->source_id = sqlite3_column_int64(stmt, 1);
        m->target_id = sqlite3_column_int64(stmt, 2);
    }

    sqlite3_reset(stmt);

    return rc;
}


ngx_int_t
ngx_http_milvus_cdc_store_id_map_put(ngx_http_milvus_cdc_store_t *st,
    ngx_str_t *task_id, ngx_http_milvus_cdc_id_map_t *m)
{
    ngx_int_t      rc;
    sqlite3_stmt  *stmt;

    stmt = st->stmt[ngx_http_milvus_cdc_st_id_map_put];
    ngx_http_milvus_cdc_store_bind(stmt, 1, task_id);
    ngx_http_milvus_cdc_store_bind(stmt, 2, &m->kind);
    sqlite3_bind_int64(stmt, 3, (sqlite3_int64) m->source_id);
    sqlite3_bind_int64(stmt, 4, (sqlite3_int64) m->target_id);
    ngx_http_milvus_cdc_store_bind(stmt, 5, &m->name);

    rc = ngx_http_milvus_cdc_store_step(st, ngx_http_milvus_cdc_st_id_map_put);
    sqlite3_reset(stmt);

    return rc;
}


uint64_t
ngx_http_milvus_cdc_store_now(void)
{
    ngx_time_t  *tp;

    tp = ngx_timeofday();

    return (uint64_t) tp->sec * 1000 + tp->msec;
}


static ngx_int_t
ngx_http_milvus_cdc_store_wal(ngx_http_milvus_cdc_store_t *st)
{
    int          rc;
    ngx_uint_t   i;

    /*
     * switching a new store to WAL takes an exclusive lock, and sqlite
     * answers SQLITE_BUSY at once, without its busy handler, while the
     * other process (worker or helper) opens the same new file: tried
     * again for up to NGX_HTTP_MILVUS_CDC_STORE_WAL_TRIES * 10 ms
     */

    for (i = 0; i < NGX_HTTP_MILVUS_CDC_STORE_WAL_TRIES; i++) {
        rc = sqlite3_exec(st->db, "PRAGMA journal_mode=WAL", NULL, NULL,
                          NULL);

        if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED) {
            break;
        }

        ngx_msleep(10);
    }

    if (rc == SQLITE_OK) {
        return NGX_OK;
    }

    /* logged with sqlite's message */

    return ngx_http_milvus_cdc_store_exec(st, "PRAGMA journal_mode=WAL");
}


static ngx_int_t
ngx_http_milvus_cdc_store_exec(ngx_http_milvus_cdc_store_t *st,
    const char *sql)
{
    char  *msg;

    if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        ngx_log_error(NGX_LOG_ALERT, st->log, 0,
                      "milvus_cdc: task store: \"%s\" failed: %s", sql,
                      msg ? msg : "unknown error");
        sqlite3_free(msg);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * One sqlite3_step(): NGX_AGAIN for a row, NGX_OK when done, NGX_ERROR
 * (logged) otherwise.
 */

static ngx_int_t
ngx_http_milvus_cdc_store_step(ngx_http_milvus_cdc_store_t *st,
    ngx_http_milvus_cdc_stmt_e s)
{
    int  rc;

    rc = sqlite3_step(st->stmt[s]);

    if (rc == SQLITE_ROW) {
        return NGX_AGAIN;
    }

    if (rc == SQLITE_DONE) {
        return NGX_OK;
    }

    ngx_http_milvus_cdc_store_error(st, ngx_http_milvus_cdc_sql[s]);

    return NGX_ERROR;
}


static ngx_int_t
ngx_http_milvus_cdc_store_txn(ngx_http_milvus_cdc_store_t *st,
    ngx_http_milvus_cdc_stmt_e s)
{
    ngx_int_t  rc;

    rc = ngx_http_milvus_cdc_store_step(st, s);
    sqlite3_reset(st->stmt[s]);

    return rc;
}


static ngx_int_t
ngx_http_milvus_cdc_store_copy(ngx_pool_t *pool, sqlite3_stmt *stmt, int col,
    ngx_str_t *dst)
{
    size_t       len;
    const void  *src;

    src = sqlite3_column_blob(stmt, col);
    len = sqlite3_column_bytes(stmt, col);

    /* one byte more: strings stay NUL-terminated */

    dst->data = ngx_pnalloc(pool, len + 1);
    if (dst->data == NULL) {
        return NGX_ERROR;
    }

    if (len) {
        ngx_memcpy(dst->data, src, len);
    }

    dst->data[len] = '\0';
    dst->len = len;

    return NGX_OK;
}


static ngx_int_t
ngx_http_milvus_cdc_store_read_task(ngx_pool_t *pool, sqlite3_stmt *stmt,
    ngx_http_milvus_cdc_task_t *task)
{
    ngx_memzero(task, sizeof(ngx_http_milvus_cdc_task_t));

    if (ngx_http_milvus_cdc_store_copy(pool, stmt, 0, &task->task_id) != NGX_OK
        || ngx_http_milvus_cdc_store_copy(pool, stmt, 1, &task->target_uri)
           != NGX_OK
        || ngx_http_milvus_cdc_store_copy(pool, stmt, 2, &task->target)
           != NGX_OK
        || ngx_http_milvus_cdc_store_copy(pool, stmt, 4, &task->token)
           != NGX_OK
        || ngx_http_milvus_cdc_store_copy(pool, stmt, 5, &task->dial_json)
           != NGX_OK
        || ngx_http_milvus_cdc_store_copy(pool, stmt, 6, &task->connect_json)
           != NGX_OK
        || ngx_http_milvus_cdc_store_copy(pool, stmt, 7, &task->scope_json)
           != NGX_OK
        || ngx_http_milvus_cdc_store_copy(pool, stmt, 8, &task->scope)
           != NGX_OK
        || ngx_http_milvus_cdc_store_copy(pool, stmt, 11, &task->reason)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    task->tls = sqlite3_column_int(stmt, 3);
    task->connect_timeout = (ngx_msec_t) sqlite3_column_int64(stmt, 9);
    task->state = sqlite3_column_int(stmt, 10);

    return NGX_OK;
}


static void
ngx_http_milvus_cdc_store_bind(sqlite3_stmt *stmt, int col, ngx_str_t *s)
{
    (void) sqlite3_bind_text(stmt, col, (char *) s->data, (int) s->len,
                             SQLITE_STATIC);
}


static void
ngx_http_milvus_cdc_store_error(ngx_http_milvus_cdc_store_t *st,
    const char *what)
{
    ngx_log_error(NGX_LOG_ERR, st->log, 0,
                  "milvus_cdc: task store: %s: %s", what,
                  sqlite3_errmsg(st->db));
}
