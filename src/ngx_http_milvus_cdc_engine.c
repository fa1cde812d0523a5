
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 *
 * The replication engine: source WAL (Kafka) → target Milvus, for one
 * task, in the helper process.  Single-threaded and non-blocking: Kafka is
 * polled, gRPC calls complete from the grpc layer's timer.
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_milvus_cdc.h"
#include "ngx_http_milvus_cdc_engine.h"
#include "ngx_http_milvus_cdc_grpc.h"
#include "ngx_http_milvus_cdc_json.h"
#include "ngx_http_milvus_cdc_kafka.h"
#include "ngx_http_milvus_cdc_meta.h"
#include "ngx_http_milvus_cdc_msg.h"
#include "ngx_http_milvus_cdc_resume.h"


#define ENGINE_RPC_TIMEOUT      30000     /* ms, one target call */
#define ENGINE_RETRY_DELAY      1000      /* ms, after a transient failure */
#define ENGINE_REFUSALS         10        /* refusals in a row: pause */
#define ENGINE_META_PERIOD      2000      /* ms, source metadata refresh */
#define ENGINE_COMMIT_PERIOD    1000      /* ms, checkpoints without data */
#define ENGINE_BATCH_BYTES      (16 * 1024 * 1024)
#define ENGINE_BATCH_MSGS       4096
#define ENGINE_POLL_MAX         20000     /* Kafka records per slice */
#define ENGINE_END_TIMEOUT      500       /* ms, a pchannel's end offset */
#define ENGINE_END_RETRY        5000      /* ms, after brokers did not answer */
#define ENGINE_GROUPS_MAX       1024      /* resume groups per pchannel */
#define ENGINE_TROUBLE_LOGGED   3         /* failures logged one by one */
#define ENGINE_TROUBLE_LOG      30000     /* ms, then one line per period */
#define ENGINE_TROUBLE_SHOW     5000      /* ms, reason rewritten */

/* id_maps kinds: a collection the task created, or found on the target */
#define ENGINE_MAP_CREATED      "created"
#define ENGINE_MAP_FOUND        "found"


typedef enum {
    ENGINE_INIT = 0,          /* nothing contacted yet */
    ENGINE_META,              /* first metadata snapshot under way */
    ENGINE_ENSURE,            /* creating the scope's collections */
    ENGINE_RUNNING,
    ENGINE_STOPPING,
    ENGINE_FAILED
} ngx_http_milvus_cdc_engine_state_e;


typedef enum {
    COLL_NEW = 0,             /* in scope, not yet on the target */
    COLL_ENSURING,            /* DDL on the target under way */
    COLL_READY,
    COLL_IGNORED,             /* out of scope, or dropped before the task */
    COLL_DROPPING,            /* drop forwarded, waiting for the acks */
    COLL_DROPPED
} ngx_http_milvus_cdc_coll_state_e;


typedef struct ngx_http_milvus_cdc_pack_s   ngx_http_milvus_cdc_pack_t;
typedef struct ngx_http_milvus_cdc_tchan_s  ngx_http_milvus_cdc_tchan_t;


/* the messages of one source pchannel between two of its TimeTicks */
struct ngx_http_milvus_cdc_pack_s {
    int64_t                          offset;     /* of the closing tick */
    int64_t                          resume;     /* first offset to read
                                                    again after it */
    uint64_t                         ts;
    ngx_uint_t                       remaining;  /* items not acked yet */
    ngx_uint_t                       data;       /* it carried DML */
    ngx_http_milvus_cdc_pack_t      *next;
};


/* one message queued for a target pchannel */
typedef struct {
    ngx_str_t                        bytes;      /* ngx_alloc()ed */
    uint64_t                         ts;
    ngx_http_milvus_cdc_pack_t      *pack;       /* NULL: none to ack */
    ngx_uint_t                      *wait;       /* counter to decrement */
} ngx_http_milvus_cdc_item_t;


/* a target pchannel: one ReplicateMessage call in flight at most */
struct ngx_http_milvus_cdc_tchan_s {
    ngx_str_t                        name;
    uint64_t                         last_ts;    /* last ts given out */
    uint64_t                         last_tick;  /* last TimeTick sent */
    uint64_t                         replay_ts;  /* last ts of the run
                                                    before: at or below
                                                    it, maybe sent already */
    ngx_array_t                      feeds;      /* feed_t */
    ngx_array_t                      queue;      /* of item_t */
    ngx_uint_t                       head;
    ngx_uint_t                       inflight;   /* items of the call */
    ngx_msec_t                       retry_at;
    ngx_uint_t                       refused;    /* refusals in a row */
    ngx_http_milvus_cdc_grpc_call_t *call;
    ngx_http_milvus_cdc_engine_t    *engine;
};


#define ENGINE_OPEN_MAX  4096


/* a source timestamp and the target timestamp its messages got */
typedef struct {
    uint64_t                         src;
    uint64_t                         out;
} ngx_http_milvus_cdc_stamp_t;


/*
 * A source pchannel feeding a target pchannel: the last timestamp given to
 * its messages there; the open stamps, those above the source pchannel's
 * last TimeTick, in the order given (their messages may still have
 * siblings to come: equal source timestamps get equal target ones); its
 * TimeTick there.  "fed": the source pchannel's TimeTicks reach t (a
 * collection's shard maps one to the other); other feeds only carry the
 * copies of a broadcast drop and keep no open stamps.
 */
typedef struct {
    void                            *sc;
    uint64_t                         last_out;
    uint64_t                         tick;
    ngx_msec_t                       seen;
    ngx_array_t                      open;       /* stamp_t */
    unsigned                         fed:1;
} ngx_http_milvus_cdc_feed_t;


/* a source pchannel (Kafka topic, partition 0) */
typedef struct {
    ngx_str_t                        name;
    int64_t                          acked;      /* checkpoint offset */
    uint64_t                         acked_ts;
    int64_t                          start;      /* first offset to read */
    ngx_http_milvus_cdc_pack_t      *open;
    ngx_http_milvus_cdc_pack_t      *head;       /* sealed, oldest first */
    ngx_http_milvus_cdc_pack_t      *tail;
    ngx_array_t                      tchans;     /* tchan_t * fed by it */
    ngx_str_t                        held;       /* message waiting */
    int64_t                          held_offset;
    ngx_uint_t                       held_gen;   /* snapshot to wait for */
    ngx_msec_t                       committed;
    ngx_http_milvus_cdc_resume_t     resume;     /* groups not to split */
    unsigned                         blocked:1;
    unsigned                         dirty:1;
    unsigned                         replicate:1; /* <prefix>-replicate-msg */
} ngx_http_milvus_cdc_schan_t;


typedef struct {
    int64_t                          source_id;
    int64_t                          target_id;
    ngx_str_t                        name;
    unsigned                         dropped:1;
} ngx_http_milvus_cdc_part_t;


typedef struct {
    int64_t                          source_id;
    int64_t                          target_id;
    ngx_str_t                        db;
    ngx_str_t                        name;
    int64_t                          pk_field;    /* primary key field id */
    ngx_uint_t                       existed;     /* on the target before */
    ngx_uint_t                       checked;     /* HasCollection asked */
    ngx_uint_t                       state;
    ngx_uint_t                       nshards;
    ngx_str_t                       *tvchannels;  /* by shard index */
    ngx_http_milvus_cdc_tchan_t    **tchans;      /* by shard index */
    ngx_array_t                      parts;       /* part_t */
    ngx_uint_t                       wait;        /* drop items not acked */
    ngx_uint_t                       ddl_rpc;     /* DDL call in flight */
    ngx_uint_t                       step;        /* ensure: next step */
    ngx_uint_t                       drop_rpc;    /* 2 released, 3 dropped */
    ngx_msec_t                       drop_retry;  /* after a failure */
    ngx_http_milvus_cdc_part_t      *dropping;
} ngx_http_milvus_cdc_coll_t;


struct ngx_http_milvus_cdc_engine_s {
    ngx_pool_t                            *pool;
    ngx_log_t                             *log;
    ngx_http_milvus_cdc_task_t             task;
    ngx_http_milvus_cdc_main_conf_t       *mcf;
    ngx_http_milvus_cdc_store_t           *store;

    ngx_http_milvus_cdc_kafka_t           *kafka;
    ngx_http_milvus_cdc_meta_t            *meta;
    ngx_http_milvus_cdc_meta_snapshot_t   *snap;
    ngx_http_milvus_cdc_grpc_channel_t    *target;

    ngx_array_t                            schans;   /* schan_t */
    ngx_array_t                            tchans;   /* tchan_t * */
    ngx_array_t                            colls;    /* coll_t * */
    ngx_array_t                            saved_ts; /* target_ts_t */
    ngx_array_t                            id_maps;  /* id_map_t */
    int64_t                               *ends;     /* DML pchannels' end
                                                        offsets, taken
                                                        before the first
                                                        snapshot */
    int64_t                               *lows;     /* their oldest kept */
    ngx_uint_t                             ends_warned;

    ngx_uint_t                             state;
    ngx_uint_t                             rpcs;     /* calls in flight */
    ngx_msec_t                             meta_at;  /* next refresh */
    ngx_msec_t                             stop_at;
    ngx_http_milvus_cdc_coll_t            *ddl;      /* being ensured */
    ngx_http_milvus_cdc_grpc_call_t       *ddl_call;  /* or a drop's */
    ngx_http_milvus_cdc_coll_t            *drop_coll; /* whose drop it is */
    ngx_uint_t                             meta_busy;
    ngx_uint_t                             meta_gen; /* snapshots seen */

    ngx_http_milvus_cdc_grpc_call_t       *rep_call; /* replicate channel */
    int64_t                                rep_done; /* its offset done */
    ngx_msec_t                             rep_retry;
    ngx_uint_t                             rep_reply; /* its reply type */

    ngx_msec_t                             trouble;   /* target calls fail
                                                         since, 0: none */
    time_t                                 trouble_at; /* the same, epoch */
    ngx_uint_t                             trouble_n;  /* failures since */
    ngx_msec_t                             trouble_logged;
    ngx_msec_t                             trouble_shown;
    ngx_uint_t                             stale_reason; /* of a past run */

    int64_t                                msg_clock; /* last msgID given */
    int64_t                                msg_salt;  /* of the task id */
    uint64_t                               msg_epoch; /* of this run */
};


static ngx_int_t ngx_http_milvus_cdc_engine_start(
    ngx_http_milvus_cdc_engine_t *e);
static void ngx_http_milvus_cdc_engine_meta(
    ngx_http_milvus_cdc_meta_snapshot_t *snap, ngx_str_t *err, void *data);
static ngx_int_t ngx_http_milvus_cdc_engine_refresh(
    ngx_http_milvus_cdc_engine_t *e);
static ngx_int_t ngx_http_milvus_cdc_engine_snapshot(
    ngx_http_milvus_cdc_engine_t *e);
static ngx_int_t ngx_http_milvus_cdc_engine_ends(
    ngx_http_milvus_cdc_engine_t *e);
static int64_t ngx_http_milvus_cdc_engine_msg_id(
    ngx_http_milvus_cdc_engine_t *e);
static int64_t ngx_http_milvus_cdc_engine_msg_id_of(
    ngx_http_milvus_cdc_engine_t *e, int64_t source_id);
static void ngx_http_milvus_cdc_engine_learn(ngx_http_milvus_cdc_engine_t *e);
static ngx_int_t ngx_http_milvus_cdc_engine_in_scope(
    ngx_http_milvus_cdc_engine_t *e, ngx_str_t *db, ngx_str_t *name);
static ngx_int_t ngx_http_milvus_cdc_engine_open(
    ngx_http_milvus_cdc_engine_t *e);
static ngx_http_milvus_cdc_coll_t *ngx_http_milvus_cdc_engine_coll(
    ngx_http_milvus_cdc_engine_t *e, int64_t id);
static void ngx_http_milvus_cdc_engine_ddl_next(
    ngx_http_milvus_cdc_engine_t *e);
static ngx_int_t ngx_http_milvus_cdc_engine_ddl_call(
    ngx_http_milvus_cdc_engine_t *e, ngx_uint_t rpc,
    ngx_http_milvus_cdc_msg_request_t *rq);
static void ngx_http_milvus_cdc_engine_ddl_done(
    ngx_http_milvus_cdc_grpc_result_t *res, void *data);
static ngx_int_t ngx_http_milvus_cdc_engine_ddl_reply(
    ngx_http_milvus_cdc_engine_t *e, ngx_http_milvus_cdc_coll_t *c,
    ngx_uint_t rpc, ngx_http_milvus_cdc_msg_reply_t *r);
static ngx_int_t ngx_http_milvus_cdc_engine_map(
    ngx_http_milvus_cdc_engine_t *e, ngx_http_milvus_cdc_coll_t *c,
    ngx_http_milvus_cdc_msg_reply_t *r);
static ngx_int_t ngx_http_milvus_cdc_engine_own(
    ngx_http_milvus_cdc_engine_t *e, ngx_http_milvus_cdc_coll_t *c);
static ngx_http_milvus_cdc_id_map_t *ngx_http_milvus_cdc_engine_id_map(
    ngx_http_milvus_cdc_engine_t *e, int64_t source_id);
static ngx_http_milvus_cdc_tchan_t *ngx_http_milvus_cdc_engine_tchan(
    ngx_http_milvus_cdc_engine_t *e, ngx_str_t *name);
static void ngx_http_milvus_cdc_engine_feed(ngx_http_milvus_cdc_engine_t *e,
    ngx_str_t *pchannel, ngx_http_milvus_cdc_tchan_t *t);
static ngx_int_t ngx_http_milvus_cdc_engine_poll(
    ngx_http_milvus_cdc_engine_t *e, ngx_msec_t deadline);
static ngx_int_t ngx_http_milvus_cdc_engine_process(
    ngx_http_milvus_cdc_engine_t *e, ngx_http_milvus_cdc_schan_t *sc,
    int64_t offset, u_char *data, size_t len);
static ngx_int_t ngx_http_milvus_cdc_engine_rpc(
    ngx_http_milvus_cdc_engine_t *e, ngx_http_milvus_cdc_schan_t *sc,
    int64_t offset, u_char *data, size_t len,
    ngx_http_milvus_cdc_msg_header_t *h);
static void ngx_http_milvus_cdc_engine_rpc_done(
    ngx_http_milvus_cdc_grpc_result_t *res, void *data);
static ngx_int_t ngx_http_milvus_cdc_engine_behind(
    ngx_http_milvus_cdc_engine_t *e, ngx_http_milvus_cdc_coll_t *c,
    uint64_t ts);
static ngx_http_milvus_cdc_coll_t *ngx_http_milvus_cdc_engine_coll_name(
    ngx_http_milvus_cdc_engine_t *e, ngx_str_t *db, ngx_str_t *name);
static ngx_int_t ngx_http_milvus_cdc_engine_dml(
    ngx_http_milvus_cdc_engine_t *e, ngx_http_milvus_cdc_schan_t *sc,
    int64_t offset, ngx_http_milvus_cdc_msg_t *m);
static ngx_int_t ngx_http_milvus_cdc_engine_drop(
    ngx_http_milvus_cdc_engine_t *e, ngx_http_milvus_cdc_schan_t *sc,
    ngx_http_milvus_cdc_msg_t *m);
static void ngx_http_milvus_cdc_engine_drop_done(
    ngx_http_milvus_cdc_grpc_result_t *res, void *data);
static ngx_int_t ngx_http_milvus_cdc_engine_tick(
    ngx_http_milvus_cdc_engine_t *e, ngx_http_milvus_cdc_schan_t *sc,
    int64_t offset, uint64_t ts);
static ngx_int_t ngx_http_milvus_cdc_engine_enqueue(
    ngx_http_milvus_cdc_tchan_t *t, ngx_str_t *bytes, uint64_t ts,
    ngx_http_milvus_cdc_pack_t *pack, ngx_uint_t *wait);
static uint64_t ngx_http_milvus_cdc_engine_stamp(
    ngx_http_milvus_cdc_tchan_t *t, ngx_http_milvus_cdc_schan_t *sc,
    uint64_t src);
static uint64_t ngx_http_milvus_cdc_engine_tick_ts(
    ngx_http_milvus_cdc_tchan_t *t, ngx_http_milvus_cdc_schan_t *sc,
    uint64_t src);
static ngx_http_milvus_cdc_feed_t *ngx_http_milvus_cdc_engine_feed_of(
    ngx_http_milvus_cdc_tchan_t *t, ngx_http_milvus_cdc_schan_t *sc);
static ngx_http_milvus_cdc_pack_t *ngx_http_milvus_cdc_engine_pack(
    ngx_http_milvus_cdc_schan_t *sc);
static void ngx_http_milvus_cdc_engine_send(ngx_http_milvus_cdc_engine_t *e);
static void ngx_http_milvus_cdc_engine_sent(
    ngx_http_milvus_cdc_grpc_result_t *res, void *data);
static void ngx_http_milvus_cdc_engine_advance(
    ngx_http_milvus_cdc_engine_t *e);
static void ngx_http_milvus_cdc_engine_block(ngx_http_milvus_cdc_engine_t *e,
    ngx_http_milvus_cdc_schan_t *sc, int64_t offset, u_char *data,
    size_t len);
static ngx_int_t ngx_http_milvus_cdc_engine_unblock(
    ngx_http_milvus_cdc_engine_t *e);
static void ngx_http_milvus_cdc_engine_lost(ngx_http_milvus_cdc_engine_t *e,
    ngx_http_milvus_cdc_schan_t *sc, int64_t offset, u_char *data,
    size_t len);
static void ngx_http_milvus_cdc_engine_fail(ngx_http_milvus_cdc_engine_t *e,
    const char *fmt, ...);
static void ngx_http_milvus_cdc_engine_trouble(
    ngx_http_milvus_cdc_engine_t *e, ngx_str_t *call, ngx_str_t *on,
    ngx_http_milvus_cdc_grpc_result_t *res);
static void ngx_http_milvus_cdc_engine_recovered(
    ngx_http_milvus_cdc_engine_t *e);
static ngx_int_t ngx_http_milvus_cdc_engine_shard(ngx_str_t *vchannel);


ngx_http_milvus_cdc_engine_t *
ngx_http_milvus_cdc_engine_create(ngx_http_milvus_cdc_task_t *task,
    ngx_http_milvus_cdc_main_conf_t *mcf, ngx_http_milvus_cdc_store_t *store,
    ngx_log_t *log)
{
    ngx_pool_t                    *pool;
    ngx_http_milvus_cdc_engine_t  *e;

    pool = ngx_create_pool(16384, log);
    if (pool == NULL) {
        return NULL;
    }

    e = ngx_pcalloc(pool, sizeof(ngx_http_milvus_cdc_engine_t));
    if (e == NULL) {
        ngx_destroy_pool(pool);
        return NULL;
    }

    e->pool = pool;
    e->log = log;
    e->mcf = mcf;
    e->store = store;
    e->task = *task;

#define ENGINE_COPY(f)                                                        \
    e->task.f.data = ngx_pnalloc(pool, task->f.len + 1);                      \
    if (e->task.f.data == NULL) {                                             \
        ngx_destroy_pool(pool);                                               \
        return NULL;                                                          \
    }                                                                         \
    ngx_memcpy(e->task.f.data, task->f.data, task->f.len);                    \
    e->task.f.data[task->f.len] = '\0'

    ENGINE_COPY(task_id);
    ENGINE_COPY(target_uri);
    ENGINE_COPY(target);
    ENGINE_COPY(token);
    ENGINE_COPY(dial_json);
    ENGINE_COPY(scope);

    /* what the engine does not use must not point into the caller's pool */

    ngx_str_null(&e->task.connect_json);
    ngx_str_null(&e->task.scope_json);
    e->stale_reason = (task->reason.len != 0);
    ngx_str_null(&e->task.reason);

    e->msg_salt = ngx_crc32_short(task->task_id.data, task->task_id.len)
                  & 0xff;

    if (ngx_array_init(&e->schans, pool, 16,
                       sizeof(ngx_http_milvus_cdc_schan_t)) != NGX_OK
        || ngx_array_init(&e->tchans, pool, 16, sizeof(void *)) != NGX_OK
        || ngx_array_init(&e->colls, pool, 16, sizeof(void *)) != NGX_OK)
    {
        ngx_destroy_pool(pool);
        return NULL;
    }

    return e;
}


ngx_int_t
ngx_http_milvus_cdc_engine_run(ngx_http_milvus_cdc_engine_t *e,
    ngx_msec_t budget)
{
    ngx_int_t   rc;
    ngx_msec_t  deadline;

    deadline = ngx_current_msec + budget;

    switch (e->state) {

    case ENGINE_INIT:
        if (ngx_http_milvus_cdc_engine_start(e) != NGX_OK) {
            return NGX_ABORT;
        }

        return NGX_OK;

    case ENGINE_META:
    case ENGINE_ENSURE:
        /* after a failure, the metadata again, then the DDL */

        if (!e->meta_busy && !e->ddl_call && e->ddl == NULL
            && (ngx_msec_int_t) (ngx_current_msec - e->meta_at) >= 0)
        {
            if (ngx_http_milvus_cdc_engine_snapshot(e) != NGX_OK) {
                return NGX_ABORT;
            }
        }

        return NGX_OK;

    case ENGINE_FAILED:
        return NGX_ABORT;

    case ENGINE_STOPPING:
        return NGX_OK;
    }

    /* ENGINE_RUNNING */

    if ((ngx_msec_int_t) (ngx_current_msec - e->meta_at) >= 0
        && !e->meta_busy)
    {
        (void) ngx_http_milvus_cdc_engine_refresh(e);
    }

    rc = ngx_http_milvus_cdc_engine_unblock(e);

    if (rc == NGX_OK) {
        rc = ngx_http_milvus_cdc_engine_poll(e, deadline);
    }

    if (e->state == ENGINE_FAILED) {
        return NGX_ABORT;
    }

    ngx_http_milvus_cdc_engine_send(e);
    ngx_http_milvus_cdc_engine_advance(e);

    return rc == NGX_AGAIN ? NGX_AGAIN : NGX_OK;
}


ngx_int_t
ngx_http_milvus_cdc_engine_stop(ngx_http_milvus_cdc_engine_t *e,
    ngx_msec_t grace)
{
    if (e->state != ENGINE_STOPPING) {
        e->state = ENGINE_STOPPING;
        e->stop_at = ngx_current_msec + grace;
    }

    /* what was acknowledged is checkpointed before the engine goes */

    ngx_http_milvus_cdc_engine_advance(e);

    if (e->rpcs == 0 && e->ddl_call == NULL && e->rep_call == NULL) {
        return NGX_OK;
    }

    if ((ngx_msec_int_t) (ngx_current_msec - e->stop_at) >= 0) {
        ngx_log_error(NGX_LOG_WARN, e->log, 0,
                      "milvus_cdc: task %V: %ui target calls still in flight "
                      "at stop, abandoned", &e->task.task_id, e->rpcs);
        return NGX_OK;
    }

    return NGX_AGAIN;
}


void
ngx_http_milvus_cdc_engine_destroy(ngx_http_milvus_cdc_engine_t *e)
{
    ngx_uint_t                     i, j;
    ngx_http_milvus_cdc_pack_t    *p, *next;
    ngx_http_milvus_cdc_item_t    *item;
    ngx_http_milvus_cdc_tchan_t  **tchans;
    ngx_http_milvus_cdc_schan_t   *sc;

    tchans = e->tchans.elts;

    for (i = 0; i < e->tchans.nelts; i++) {
        if (tchans[i]->call) {
            ngx_http_milvus_cdc_grpc_call_cancel(tchans[i]->call);
            tchans[i]->call = NULL;
        }

        item = tchans[i]->queue.elts;

        for (j = tchans[i]->head; j < tchans[i]->queue.nelts; j++) {
            ngx_free(item[j].bytes.data);
        }
    }

    if (e->ddl_call) {
        ngx_http_milvus_cdc_grpc_call_cancel(e->ddl_call);
    }

    if (e->rep_call) {
        ngx_http_milvus_cdc_grpc_call_cancel(e->rep_call);
    }

    sc = e->schans.elts;

    for (i = 0; i < e->schans.nelts; i++) {
        for (p = sc[i].head; p; p = next) {
            next = p->next;
            ngx_free(p);
        }

        if (sc[i].open) {
            ngx_free(sc[i].open);
        }

        if (sc[i].held.data) {
            ngx_free(sc[i].held.data);
        }
    }

    if (e->kafka) {
        ngx_http_milvus_cdc_kafka_destroy(e->kafka);
    }

    if (e->meta) {
        ngx_http_milvus_cdc_meta_destroy(e->meta);
    }

    if (e->snap) {
        ngx_http_milvus_cdc_meta_snapshot_free(e->snap);
    }

    if (e->target) {
        ngx_http_milvus_cdc_grpc_channel_release(e->target);
    }

    ngx_destroy_pool(e->pool);
}


/* the connections: target channel, source metadata, Kafka */

static ngx_int_t
ngx_http_milvus_cdc_engine_start(ngx_http_milvus_cdc_engine_t *e)
{
    u_char                                   err[256];
    ngx_int_t                                prev;
    ngx_array_t                             *saved;
    ngx_http_milvus_cdc_meta_conf_t          mc;
    ngx_http_milvus_cdc_kafka_conf_t         kc;
    ngx_http_milvus_cdc_grpc_channel_conf_t  cc;

    ngx_memzero(&cc, sizeof(cc));

    cc.target = e->task.target;
    cc.tls = e->task.tls;
    cc.token = e->task.token;

    if (ngx_http_milvus_cdc_task_tls(e->pool, &e->task, &cc.ca_file,
                                     &cc.cert_file, &cc.key_file,
                                     &cc.server_name)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    e->target = ngx_http_milvus_cdc_grpc_channel_create(&cc, e->log, err,
                                                        sizeof(err));

    if (e->target == NULL) {
        ngx_http_milvus_cdc_engine_fail(e, "fail to connect the target %V: "
                                        "%s", &e->task.target_uri, err);
        return NGX_ERROR;
    }

    ngx_memzero(&mc, sizeof(mc));

    mc.endpoints = e->mcf->etcd_endpoints;
    mc.root_path = e->mcf->etcd_root_path;

    e->meta = ngx_http_milvus_cdc_meta_create(&mc, e->log);
    if (e->meta == NULL) {
        ngx_http_milvus_cdc_engine_fail(e, "fail to read the source "
                                        "metadata from etcd");
        return NGX_ERROR;
    }

    ngx_memzero(&kc, sizeof(kc));

    kc.brokers = e->mcf->kafka_brokers;
    kc.log = e->log;
    kc.group_id.len = e->task.task_id.len + sizeof("milvus-cdc-") - 1;
    kc.group_id.data = ngx_pnalloc(e->pool, kc.group_id.len + 1);
    if (kc.group_id.data == NULL) {
        return NGX_ERROR;
    }

    (void) ngx_sprintf(kc.group_id.data, "milvus-cdc-%V%Z", &e->task.task_id);

    e->kafka = ngx_http_milvus_cdc_kafka_create(&kc, err, sizeof(err));
    if (e->kafka == NULL) {
        ngx_http_milvus_cdc_engine_fail(e, "fail to read the source log: %s",
                                        err);
        return NGX_ERROR;
    }

    /* what the previous runs sent to the target pchannels */

    if (ngx_http_milvus_cdc_store_target_channels(e->store, e->pool,
                                                  &e->task.task_id, &saved)
        != NGX_OK)
    {
        ngx_http_milvus_cdc_engine_fail(e, "fail to read the task store");
        return NGX_ERROR;
    }

    e->saved_ts = *saved;

    /* the collections earlier runs created or found on the target */

    if (ngx_http_milvus_cdc_store_id_maps(e->store, e->pool,
                                          &e->task.task_id, &saved)
        != NGX_OK)
    {
        ngx_http_milvus_cdc_engine_fail(e, "fail to read the task store");
        return NGX_ERROR;
    }

    e->id_maps = *saved;

    /* a Running task's reason told of a failure of an earlier run */

    if (e->stale_reason) {
        (void) ngx_http_milvus_cdc_store_set_state(e->store,
                                        &e->task.task_id,
                                        1 << NGX_HTTP_MILVUS_CDC_RUNNING,
                                        NGX_HTTP_MILVUS_CDC_RUNNING, NULL,
                                        &prev);
    }

    e->state = ENGINE_META;

    ngx_log_error(NGX_LOG_INFO, e->log, 0,
                  "milvus_cdc: task %V: reading the source metadata",
                  &e->task.task_id);

    return ngx_http_milvus_cdc_engine_snapshot(e);
}


/*
 * A metadata snapshot asked for, the pchannels' ends first while they are
 * unknown (the brokers are asked again ENGINE_END_RETRY ms later when they
 * do not answer).  NGX_OK, or NGX_ERROR when the task failed.
 */

static ngx_int_t
ngx_http_milvus_cdc_engine_snapshot(ngx_http_milvus_cdc_engine_t *e)
{
    if (e->ends == NULL && ngx_http_milvus_cdc_engine_ends(e) != NGX_OK) {
        e->meta_at = ngx_current_msec + ENGINE_END_RETRY;
        return e->state == ENGINE_FAILED ? NGX_ERROR : NGX_OK;
    }

    (void) ngx_http_milvus_cdc_engine_refresh(e);

    return NGX_OK;
}


/*
 * The end and the oldest kept offset of each DML pchannel, taken before
 * the first metadata snapshot: a collection missing from the snapshot was
 * created after it, so all its messages lie past these ends, and reading
 * a pchannel without checkpoint from there loses nothing of it (its own
 * end, resolved later by librdkafka, could lie past its first inserts).
 * A pchannel that does not exist yet is read from its beginning.
 * Returns NGX_OK, NGX_AGAIN (brokers unreachable: logged, tried again),
 * NGX_ERROR (task failed).
 */

static ngx_int_t
ngx_http_milvus_cdc_engine_ends(ngx_http_milvus_cdc_engine_t *e)
{
    u_char      name[128];
    int64_t    *ends, *lows;
    ngx_int_t   rc;
    ngx_str_t   topic;
    ngx_uint_t  i, n;
    ngx_msec_t  start;

    n = e->mcf->dml_channels;

    if (e->lows == NULL) {
        /* kept from a failed try to the next */
        e->lows = ngx_pnalloc(e->pool, 2 * n * sizeof(int64_t));
        if (e->lows == NULL) {
            ngx_http_milvus_cdc_engine_fail(e, "out of memory");
            return NGX_ERROR;
        }
    }

    lows = e->lows;
    ends = lows + n;
    start = ngx_current_msec;

    for (i = 0; i < n; i++) {
        topic.data = name;
        topic.len = ngx_snprintf(name, sizeof(name), "%V-rootcoord-dml_%ui",
                                 &e->mcf->channel_prefix, i)
                    - name;

        rc = ngx_http_milvus_cdc_kafka_query_watermarks(e->kafka, &topic,
                                                        ENGINE_END_TIMEOUT,
                                                        &lows[i], &ends[i]);
        if (rc == NGX_DECLINED) {
            lows[i] = 0;
            ends[i] = 0;
            continue;
        }

        if (rc != NGX_OK) {
            if (!e->ends_warned) {
                ngx_log_error(NGX_LOG_WARN, e->log, 0,
                              "milvus_cdc: task %V: the end of %V is "
                              "unknown (Kafka brokers unreachable?), tried "
                              "again every %M ms", &e->task.task_id, &topic,
                              (ngx_msec_t) ENGINE_END_RETRY);
                e->ends_warned = 1;
            }

            return NGX_AGAIN;
        }
    }

    e->ends = ends;

    ngx_time_update();

    ngx_log_error(NGX_LOG_INFO, e->log, 0,
                  "milvus_cdc: task %V: the ends of %ui pchannels read in "
                  "%M ms", &e->task.task_id, n, ngx_current_msec - start);

    return NGX_OK;
}


static ngx_int_t
ngx_http_milvus_cdc_engine_refresh(ngx_http_milvus_cdc_engine_t *e)
{
    ngx_int_t  rc;

    e->meta_busy = 1;
    e->meta_at = ngx_current_msec + ENGINE_META_PERIOD;

    rc = ngx_http_milvus_cdc_meta_refresh(e->meta,
                                          ngx_http_milvus_cdc_engine_meta, e);
    if (rc == NGX_AGAIN) {
        return NGX_OK;
    }

    e->meta_busy = (rc == NGX_BUSY);

    return rc == NGX_BUSY ? NGX_OK : NGX_ERROR;
}


static void
ngx_http_milvus_cdc_engine_meta(ngx_http_milvus_cdc_meta_snapshot_t *snap,
    ngx_str_t *err, void *data)
{
    ngx_http_milvus_cdc_engine_t *e = data;

    e->meta_busy = 0;

    if (snap == NULL) {
        /* logged by the reader; tried again later */
        e->meta_at = ngx_current_msec + ENGINE_RETRY_DELAY;
        return;
    }

    if (e->snap) {
        ngx_http_milvus_cdc_meta_snapshot_free(e->snap);
    }

    e->snap = snap;
    e->meta_gen++;

    ngx_http_milvus_cdc_engine_learn(e);

    if (e->state == ENGINE_META) {
        e->state = ENGINE_ENSURE;
    }

    ngx_http_milvus_cdc_engine_ddl_next(e);
}


/*
 * A new snapshot: collections in scope become known (COLL_NEW), new
 * partitions of ready collections are scheduled for creation on the
 * target.
 */

static void
ngx_http_milvus_cdc_engine_learn(ngx_http_milvus_cdc_engine_t *e)
{
    ngx_str_t                               db;
    ngx_uint_t                              i, j, k, found;
    ngx_http_milvus_cdc_coll_t             *c, **cp;
    ngx_http_milvus_cdc_part_t             *parts;
    ngx_http_milvus_cdc_meta_partition_t   *mp;
    ngx_http_milvus_cdc_meta_collection_t  *mc;

    mc = e->snap->collections.elts;

    for (i = 0; i < e->snap->collections.nelts; i++) {

        c = ngx_http_milvus_cdc_engine_coll(e, mc[i].id);

        if (c && c->state == COLL_READY) {

            /* partitions are not in the WAL: compare */

            mp = mc[i].partitions.elts;
            parts = c->parts.elts;

            for (j = 0; j < mc[i].partitions.nelts; j++) {
                if (mp[j].state != NGX_HTTP_MILVUS_CDC_META_CREATED) {
                    continue;
                }

                found = 0;

                for (k = 0; k < c->parts.nelts; k++) {
                    if (parts[k].source_id == mp[j].id) {
                        found = 1;
                        break;
                    }
                }

                if (!found && !mc[i].partition_key) {
                    c->state = COLL_NEW;
                    c->step = 3;
                    break;
                }
            }

            continue;
        }

        if (c) {
            continue;
        }

        if (mc[i].state == NGX_HTTP_MILVUS_CDC_META_CREATING) {
            /* wait until it is Created */
            continue;
        }

        db = mc[i].db_name;

        c = ngx_pcalloc(e->pool, sizeof(ngx_http_milvus_cdc_coll_t));
        if (c == NULL) {
            return;
        }

        c->source_id = mc[i].id;
        c->pk_field = -1;

        for (j = 0; j < mc[i].fields.nelts; j++) {
            if (((ngx_http_milvus_cdc_meta_field_t *)
                 mc[i].fields.elts)[j].primary)
            {
                c->pk_field = ((ngx_http_milvus_cdc_meta_field_t *)
                               mc[i].fields.elts)[j].id;
            }
        }

        c->db.data = ngx_pstrdup(e->pool, &db);
        c->db.len = db.len;
        c->name.data = ngx_pstrdup(e->pool, &mc[i].name);
        c->name.len = mc[i].name.len;

        if (c->db.data == NULL || c->name.data == NULL
            || ngx_array_init(&c->parts, e->pool, 4,
                              sizeof(ngx_http_milvus_cdc_part_t))
               != NGX_OK)
        {
            return;
        }

        c->state = (mc[i].state == NGX_HTTP_MILVUS_CDC_META_CREATED
                    && ngx_http_milvus_cdc_engine_in_scope(e, &c->db,
                                                           &c->name))
                   ? COLL_NEW : COLL_IGNORED;

        cp = ngx_array_push(&e->colls);
        if (cp == NULL) {
            return;
        }

        *cp = c;

        if (c->state == COLL_NEW) {
            ngx_log_error(NGX_LOG_INFO, e->log, 0,
                          "milvus_cdc: task %V: collection %V.%V (%L) "
                          "is in scope", &e->task.task_id, &c->db, &c->name,
                          c->source_id);
        }
    }
}


/* "db.collection" against the task's scope lines ("*" matches any) */

static ngx_int_t
ngx_http_milvus_cdc_engine_in_scope(ngx_http_milvus_cdc_engine_t *e,
    ngx_str_t *db, ngx_str_t *name)
{
    u_char  *p, *eol, *dot, *last;
    size_t   dl, nl;

    last = e->task.scope.data + e->task.scope.len;

    for (p = e->task.scope.data; p < last; p = eol + 1) {
        eol = ngx_strlchr(p, last, '\n');
        if (eol == NULL) {
            eol = last;
        }

        dot = ngx_strlchr(p, eol, '.');
        if (dot == NULL) {
            continue;
        }

        dl = dot - p;
        nl = eol - dot - 1;

        if (!((dl == 1 && *p == '*')
              || (dl == db->len && ngx_strncmp(p, db->data, dl) == 0)))
        {
            continue;
        }

        if ((nl == 1 && dot[1] == '*')
            || (nl == name->len && ngx_strncmp(dot + 1, name->data, nl) == 0))
        {
            return 1;
        }
    }

    return 0;
}


static ngx_http_milvus_cdc_coll_t *
ngx_http_milvus_cdc_engine_coll(ngx_http_milvus_cdc_engine_t *e, int64_t id)
{
    ngx_uint_t                    i;
    ngx_http_milvus_cdc_coll_t  **c;

    c = e->colls.elts;

    for (i = 0; i < e->colls.nelts; i++) {
        if (c[i]->source_id == id) {
            return c[i];
        }
    }

    return NULL;
}


/*
 * The DDL on the target, one call at a time: for the next collection in
 * state COLL_NEW, steps 0 CreateDatabase (not "default"), 1
 * CreateCollection, 2 DescribeCollection, 3 ShowPartitions, 4
 * CreatePartition (one per missing partition, then 3 again), 5 ready.
 * When none is left during start, the source log is opened.
 */

static void
ngx_http_milvus_cdc_engine_ddl_next(ngx_http_milvus_cdc_engine_t *e)
{
    ngx_uint_t                              i, j, k, n, found;
    ngx_http_milvus_cdc_coll_t             *c, **colls;
    ngx_http_milvus_cdc_part_t             *parts;
    ngx_http_milvus_cdc_meta_partition_t   *mp;
    ngx_http_milvus_cdc_meta_collection_t  *mc;
    ngx_http_milvus_cdc_msg_request_t       rq;
    ngx_http_milvus_cdc_msg_kv_t           *kv;
    ngx_keyval_t                           *props;

    if (e->ddl_call || e->state == ENGINE_FAILED
        || e->state == ENGINE_STOPPING)
    {
        return;
    }

    c = e->ddl;

    if (c == NULL) {
        colls = e->colls.elts;

        for (i = 0; i < e->colls.nelts; i++) {
            if (colls[i]->state == COLL_NEW) {
                c = colls[i];
                break;
            }
        }

        if (c == NULL) {
            if (e->state == ENGINE_ENSURE
                && ngx_http_milvus_cdc_engine_open(e) != NGX_OK)
            {
                return;
            }

            return;
        }

        e->ddl = c;

        if (c->state == COLL_NEW && c->target_id == 0) {
            c->step = (c->db.len == sizeof("default") - 1
                       && ngx_strncmp(c->db.data, "default", c->db.len) == 0)
                      ? 1 : 0;
        }

        c->state = COLL_ENSURING;
    }

    mc = ngx_http_milvus_cdc_meta_collection(e->snap, c->source_id);

    if (mc == NULL) {
        /* gone from the source meanwhile */
        c->state = COLL_IGNORED;
        e->ddl = NULL;
        ngx_http_milvus_cdc_engine_ddl_next(e);
        return;
    }

    ngx_memzero(&rq, sizeof(rq));
    rq.db_name = c->db;
    rq.collection_name = c->name;

    switch (c->step) {

    case 0:
        (void) ngx_http_milvus_cdc_engine_ddl_call(e,
                   NGX_HTTP_MILVUS_CDC_MSG_RPC_CREATE_DATABASE, &rq);
        return;

    case 1:
        if (!c->checked) {
            (void) ngx_http_milvus_cdc_engine_ddl_call(e,
                       NGX_HTTP_MILVUS_CDC_MSG_RPC_HAS_COLLECTION, &rq);
            return;
        }

        rq.schema = mc->schema;
        rq.shards_num = mc->shards_num;
        rq.consistency_level = mc->consistency_level;
        rq.replicate_ts = mc->create_time;

        if (mc->partition_key) {
            rq.num_partitions = mc->partitions.nelts;
        }

        n = mc->properties.nelts;

        if (n) {
            kv = ngx_pcalloc(e->pool, n * sizeof(ngx_http_milvus_cdc_msg_kv_t));
            if (kv == NULL) {
                return;
            }

            props = mc->properties.elts;

            for (i = 0; i < n; i++) {
                kv[i].key = props[i].key;
                kv[i].value = props[i].value;
            }

            rq.properties = kv;
            rq.nproperties = n;
        }

        (void) ngx_http_milvus_cdc_engine_ddl_call(e,
                   NGX_HTTP_MILVUS_CDC_MSG_RPC_CREATE_COLLECTION, &rq);
        return;

    case 2:
        (void) ngx_http_milvus_cdc_engine_ddl_call(e,
                   NGX_HTTP_MILVUS_CDC_MSG_RPC_DESCRIBE_COLLECTION, &rq);
        return;

    case 3:
        (void) ngx_http_milvus_cdc_engine_ddl_call(e,
                   NGX_HTTP_MILVUS_CDC_MSG_RPC_SHOW_PARTITIONS, &rq);
        return;

    case 4:
        /* the first source partition the target lacks */

        mp = mc->partitions.elts;
        parts = c->parts.elts;

        for (j = 0; j < mc->partitions.nelts; j++) {
            if (mp[j].state != NGX_HTTP_MILVUS_CDC_META_CREATED
                || mc->partition_key)
            {
                continue;
            }

            found = 0;

            for (k = 0; k < c->parts.nelts; k++) {
                if (parts[k].name.len == mp[j].name.len
                    && ngx_strncmp(parts[k].name.data, mp[j].name.data,
                                   mp[j].name.len) == 0)
                {
                    parts[k].source_id = mp[j].id;
                    found = 1;
                    break;
                }
            }

            if (!found) {
                rq.partition_name = mp[j].name;
                (void) ngx_http_milvus_cdc_engine_ddl_call(e,
                           NGX_HTTP_MILVUS_CDC_MSG_RPC_CREATE_PARTITION, &rq);
                return;
            }
        }

        /* every partition is there */

        for (j = 0; j < mc->partitions.nelts; j++) {
            for (k = 0; k < c->parts.nelts; k++) {
                if (parts[k].name.len == mp[j].name.len
                    && ngx_strncmp(parts[k].name.data, mp[j].name.data,
                                   mp[j].name.len) == 0)
                {
                    parts[k].source_id = mp[j].id;
                }
            }
        }

        c->state = COLL_READY;
        e->ddl = NULL;

        ngx_log_error(NGX_LOG_NOTICE, e->log, 0,
                      "milvus_cdc: task %V: collection %V.%V (%L) on the "
                      "target as %L, %ui shards, %ui partitions",
                      &e->task.task_id, &c->db, &c->name, c->source_id,
                      c->target_id, c->nshards, c->parts.nelts);

        ngx_http_milvus_cdc_engine_ddl_next(e);
        return;
    }
}


static ngx_int_t
ngx_http_milvus_cdc_engine_ddl_call(ngx_http_milvus_cdc_engine_t *e,
    ngx_uint_t rpc, ngx_http_milvus_cdc_msg_request_t *rq)
{
    ngx_str_t                             body;
    ngx_http_milvus_cdc_grpc_call_conf_t  cf;

    if (ngx_http_milvus_cdc_msg_request(rpc, rq, &body, e->log) != NGX_OK) {
        ngx_http_milvus_cdc_engine_fail(e, "fail to build the %s request",
                                        "DDL");
        return NGX_ERROR;
    }

    ngx_memzero(&cf, sizeof(cf));

    cf.method = *ngx_http_milvus_cdc_msg_method(rpc);
    cf.request = body;
    cf.dbname = rq->db_name;
    cf.timeout = ENGINE_RPC_TIMEOUT;
    cf.handler = ngx_http_milvus_cdc_engine_ddl_done;
    cf.data = e;

    e->ddl_call = ngx_http_milvus_cdc_grpc_call_start(e->target, &cf, e->log);

    ngx_free(body.data);

    if (e->ddl_call == NULL) {
        ngx_http_milvus_cdc_engine_fail(e, "fail to call the target %V",
                                        &e->task.target_uri);
        return NGX_ERROR;
    }

    /* the rpc being made, for its reply */

    e->ddl->ddl_rpc = rpc;

    return NGX_OK;
}


static void
ngx_http_milvus_cdc_engine_ddl_done(ngx_http_milvus_cdc_grpc_result_t *res,
    void *data)
{
    ngx_http_milvus_cdc_engine_t *e = data;

    ngx_int_t                         rc;
    ngx_uint_t                        rpc;
    ngx_http_milvus_cdc_coll_t       *c;
    ngx_http_milvus_cdc_msg_reply_t   r;

    e->ddl_call = NULL;
    c = e->ddl;

    if (c == NULL || e->state == ENGINE_FAILED) {
        return;
    }

    rpc = c->ddl_rpc;
    c->ddl_rpc = 0;

    if (res->status != 0) {
        /* transient: the target is restarting, try again later */

        ngx_http_milvus_cdc_engine_trouble(e,
                                           ngx_http_milvus_cdc_msg_method(rpc),
                                           &c->name, res);
        e->ddl = NULL;
        c->state = COLL_NEW;
        e->meta_at = ngx_current_msec + ENGINE_RETRY_DELAY;
        return;
    }

    ngx_http_milvus_cdc_engine_recovered(e);

    ngx_memzero(&r, sizeof(r));

    rc = ngx_http_milvus_cdc_msg_reply(rpc, &res->reply, &r, e->log);

    if (rc == NGX_OK || rc == NGX_DECLINED) {
        rc = ngx_http_milvus_cdc_engine_ddl_reply(e, c, rpc,
                                                  rc == NGX_OK ? &r : NULL);

        if (rc != NGX_OK) {
            ngx_http_milvus_cdc_engine_fail(e, "%V of %V.%V on the target "
                                            "failed: %V",
                                            ngx_http_milvus_cdc_msg_method(rpc),
                                            &c->db, &c->name, &r.reason);
        }

    } else {
        ngx_http_milvus_cdc_engine_fail(e, "undecodable reply of %V",
                                        ngx_http_milvus_cdc_msg_method(rpc));
    }

    ngx_http_milvus_cdc_msg_reply_free(&r);

    if (e->state != ENGINE_FAILED) {
        ngx_http_milvus_cdc_engine_ddl_next(e);
    }
}


/* r == NULL: Milvus refused the call (the reason is in the reply) */

static ngx_int_t
ngx_http_milvus_cdc_engine_ddl_reply(ngx_http_milvus_cdc_engine_t *e,
    ngx_http_milvus_cdc_coll_t *c, ngx_uint_t rpc,
    ngx_http_milvus_cdc_msg_reply_t *r)
{
    ngx_uint_t                     i;
    ngx_http_milvus_cdc_part_t    *part;
    ngx_http_milvus_cdc_id_map_t  *map;

    switch (rpc) {

    case NGX_HTTP_MILVUS_CDC_MSG_RPC_CREATE_DATABASE:
        /* "database already exist" is as good */
        c->step = 1;
        return NGX_OK;

    case NGX_HTTP_MILVUS_CDC_MSG_RPC_CREATE_COLLECTION:
        /* an existing collection is checked by the describe */
        c->step = 2;
        return NGX_OK;

    case NGX_HTTP_MILVUS_CDC_MSG_RPC_HAS_COLLECTION:
        if (r == NULL) {
            return NGX_ERROR;
        }

        c->existed = r->value;
        c->checked = 1;

        if (!c->existed) {
            return NGX_OK;
        }

        map = ngx_http_milvus_cdc_engine_id_map(e, c->source_id);

        if (map && map->kind.len == sizeof(ENGINE_MAP_CREATED) - 1
            && ngx_strncmp(map->kind.data, ENGINE_MAP_CREATED,
                           map->kind.len) == 0)
        {
            /* the task's own: its checkpoints say what it holds */
            c->existed = 0;
            return NGX_OK;
        }

        ngx_log_error(NGX_LOG_NOTICE, e->log, 0,
                      "milvus_cdc: task %V: %V.%V is on the target "
                      "already, rows read again replace its rows",
                      &e->task.task_id, &c->db, &c->name);

        return NGX_OK;

    case NGX_HTTP_MILVUS_CDC_MSG_RPC_DESCRIBE_COLLECTION:
        if (r == NULL) {
            return NGX_ERROR;
        }

        if (ngx_http_milvus_cdc_engine_map(e, c, r) != NGX_OK
            || ngx_http_milvus_cdc_engine_own(e, c) != NGX_OK)
        {
            return NGX_ERROR;
        }

        c->step = 3;
        return NGX_OK;

    case NGX_HTTP_MILVUS_CDC_MSG_RPC_SHOW_PARTITIONS:
        if (r == NULL) {
            return NGX_ERROR;
        }

        c->parts.nelts = 0;

        for (i = 0; i < r->nnames; i++) {
            part = ngx_array_push(&c->parts);
            if (part == NULL) {
                return NGX_ERROR;
            }

            ngx_memzero(part, sizeof(ngx_http_milvus_cdc_part_t));

            part->target_id = r->ids[i];
            part->name.data = ngx_pstrdup(e->pool, &r->names[i]);
            part->name.len = r->names[i].len;

            if (part->name.data == NULL) {
                return NGX_ERROR;
            }
        }

        c->step = 4;
        return NGX_OK;

    case NGX_HTTP_MILVUS_CDC_MSG_RPC_CREATE_PARTITION:
        /* an existing partition shows in the next ShowPartitions */
        c->step = 3;
        return NGX_OK;
    }

    return NGX_ERROR;
}


/*
 * Remembers, across restarts, whether the task created collection c on
 * the target or found it there: a collection of its own is never "on the
 * target already" when the task starts again (its checkpoints say what the
 * target holds; replays are handled by the timestamps saved per target
 * pchannel).  A collection of the task's that was replaced on the target
 * (another id) is one found there from now on.
 */

static ngx_int_t
ngx_http_milvus_cdc_engine_own(ngx_http_milvus_cdc_engine_t *e,
    ngx_http_milvus_cdc_coll_t *c)
{
    u_char                        *p;
    ngx_str_t                      kind;
    ngx_http_milvus_cdc_id_map_t  *map, m;

    map = ngx_http_milvus_cdc_engine_id_map(e, c->source_id);

    if (map && map->target_id != c->target_id && !c->existed) {
        ngx_log_error(NGX_LOG_NOTICE, e->log, 0,
                      "milvus_cdc: task %V: %V.%V on the target is %L, not "
                      "the %L the task created: rows read again replace "
                      "its rows", &e->task.task_id, &c->db, &c->name,
                      c->target_id, map->target_id);
        c->existed = 1;
    }

    if (c->existed) {
        ngx_str_set(&kind, ENGINE_MAP_FOUND);

    } else {
        ngx_str_set(&kind, ENGINE_MAP_CREATED);
    }

    if (map && map->target_id == c->target_id
        && map->kind.len == kind.len
        && ngx_strncmp(map->kind.data, kind.data, kind.len) == 0)
    {
        return NGX_OK;
    }

    if (map == NULL) {
        map = ngx_array_push(&e->id_maps);
        if (map == NULL) {
            return NGX_ERROR;
        }
    }

    p = ngx_pnalloc(e->pool, c->db.len + 1 + c->name.len + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    m.kind = kind;
    m.source_id = c->source_id;
    m.target_id = c->target_id;
    m.name.data = p;
    m.name.len = ngx_sprintf(p, "%V.%V%Z", &c->db, &c->name) - p - 1;

    *map = m;

    if (ngx_http_milvus_cdc_store_id_map_put(e->store, &e->task.task_id, &m)
        != NGX_OK)
    {
        ngx_http_milvus_cdc_engine_fail(e, "fail to write the task store");
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_http_milvus_cdc_id_map_t *
ngx_http_milvus_cdc_engine_id_map(ngx_http_milvus_cdc_engine_t *e,
    int64_t source_id)
{
    ngx_uint_t                     i;
    ngx_http_milvus_cdc_id_map_t  *map;

    map = e->id_maps.elts;

    for (i = 0; i < e->id_maps.nelts; i++) {
        if (map[i].source_id == source_id) {
            return &map[i];
        }
    }

    return NULL;
}


/*
 * The target's ids and channels of a collection: shard i of the source
 * (vchannel suffix "v<i>") goes to the target vchannel with the same
 * suffix, which lives on the target pchannel of the same index.
 */

static ngx_int_t
ngx_http_milvus_cdc_engine_map(ngx_http_milvus_cdc_engine_t *e,
    ngx_http_milvus_cdc_coll_t *c, ngx_http_milvus_cdc_msg_reply_t *r)
{
    ngx_int_t                               k;
    ngx_uint_t                              i, j;
    ngx_str_t                              *sp;
    ngx_http_milvus_cdc_tchan_t            *t;
    ngx_http_milvus_cdc_meta_collection_t  *mc;

    mc = ngx_http_milvus_cdc_meta_collection(e->snap, c->source_id);

    if (mc == NULL || r->nvchannels == 0
        || r->nvchannels != (ngx_uint_t) mc->shards_num
        || r->npchannels != r->nvchannels)
    {
        return NGX_ERROR;
    }

    c->target_id = r->collection_id;
    c->nshards = r->nvchannels;

    c->tvchannels = ngx_pcalloc(e->pool, c->nshards * sizeof(ngx_str_t));
    c->tchans = ngx_pcalloc(e->pool, c->nshards * sizeof(void *));

    if (c->tvchannels == NULL || c->tchans == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < r->nvchannels; i++) {
        k = ngx_http_milvus_cdc_engine_shard(&r->vchannels[i]);

        if (k < 0 || (ngx_uint_t) k >= c->nshards) {
            return NGX_ERROR;
        }

        c->tvchannels[k].data = ngx_pstrdup(e->pool, &r->vchannels[i]);
        c->tvchannels[k].len = r->vchannels[i].len;

        t = ngx_http_milvus_cdc_engine_tchan(e, &r->pchannels[i]);

        if (c->tvchannels[k].data == NULL || t == NULL) {
            return NGX_ERROR;
        }

        c->tchans[k] = t;
    }

    /* the source pchannel of shard k feeds the target pchannel of shard k */

    sp = mc->pchannels.elts;

    for (j = 0; j < mc->vchannels.nelts && j < mc->pchannels.nelts; j++) {
        k = ngx_http_milvus_cdc_engine_shard(
                              &((ngx_str_t *) mc->vchannels.elts)[j]);

        if (k >= 0 && (ngx_uint_t) k < c->nshards) {
            ngx_http_milvus_cdc_engine_feed(e, &sp[j], c->tchans[k]);
        }
    }

    return NGX_OK;
}


static ngx_http_milvus_cdc_tchan_t *
ngx_http_milvus_cdc_engine_tchan(ngx_http_milvus_cdc_engine_t *e,
    ngx_str_t *name)
{
    ngx_uint_t                        i;
    ngx_http_milvus_cdc_tchan_t      *t, **tp;
    ngx_http_milvus_cdc_target_ts_t  *saved;

    tp = e->tchans.elts;

    for (i = 0; i < e->tchans.nelts; i++) {
        if (tp[i]->name.len == name->len
            && ngx_strncmp(tp[i]->name.data, name->data, name->len) == 0)
        {
            return tp[i];
        }
    }

    t = ngx_pcalloc(e->pool, sizeof(ngx_http_milvus_cdc_tchan_t));
    if (t == NULL) {
        return NULL;
    }

    t->engine = e;
    t->name.data = ngx_pstrdup(e->pool, name);
    t->name.len = name->len;

    if (t->name.data == NULL
        || ngx_array_init(&t->queue, e->pool, 64,
                          sizeof(ngx_http_milvus_cdc_item_t))
           != NGX_OK
        || ngx_array_init(&t->feeds, e->pool, 4,
                          sizeof(ngx_http_milvus_cdc_feed_t))
           != NGX_OK)
    {
        return NULL;
    }

    /* never below what an earlier run sent there */

    saved = e->saved_ts.elts;

    for (i = 0; i < e->saved_ts.nelts; i++) {
        if (saved[i].pchannel.len == name->len
            && ngx_strncmp(saved[i].pchannel.data, name->data, name->len)
               == 0)
        {
            t->last_ts = saved[i].last_ts;
            t->last_tick = saved[i].last_ts;
            t->replay_ts = saved[i].last_ts;
        }
    }

    tp = ngx_array_push(&e->tchans);
    if (tp == NULL) {
        return NULL;
    }

    *tp = t;

    return t;
}


/* the TimeTicks of source pchannel "pchannel" go to target pchannel t */

static void
ngx_http_milvus_cdc_engine_feed(ngx_http_milvus_cdc_engine_t *e,
    ngx_str_t *pchannel, ngx_http_milvus_cdc_tchan_t *t)
{
    ngx_uint_t                     i, j;
    ngx_http_milvus_cdc_feed_t    *f;
    ngx_http_milvus_cdc_tchan_t  **tp;
    ngx_http_milvus_cdc_schan_t   *sc;

    sc = e->schans.elts;

    for (i = 0; i < e->schans.nelts; i++) {
        if (sc[i].name.len != pchannel->len
            || ngx_strncmp(sc[i].name.data, pchannel->data, pchannel->len)
               != 0)
        {
            continue;
        }

        f = ngx_http_milvus_cdc_engine_feed_of(t, &sc[i]);
        if (f) {
            f->fed = 1;
        }

        tp = sc[i].tchans.elts;

        for (j = 0; j < sc[i].tchans.nelts; j++) {
            if (tp[j] == t) {
                return;
            }
        }

        tp = ngx_array_push(&sc[i].tchans);
        if (tp) {
            *tp = t;
        }

        return;
    }
}


/*
 * The source pchannels and where to read them from: after the checkpoint;
 * without one, from the start position of the oldest collection in scope
 * on that pchannel; without any, from the end.
 */

static ngx_int_t
ngx_http_milvus_cdc_engine_open(ngx_http_milvus_cdc_engine_t *e)
{
    u_char                                  name[128];
    int64_t                                 off;
    ngx_str_t                              *sp;
    ngx_uint_t                              i, j, k, n;
    ngx_array_t                            *cps;
    ngx_keyval_t                           *kv;
    ngx_http_milvus_cdc_coll_t            **colls;
    ngx_http_milvus_cdc_schan_t            *sc;
    ngx_http_milvus_cdc_checkpoint_t       *cp;
    ngx_http_milvus_cdc_meta_collection_t  *mc;
    ngx_http_milvus_cdc_resume_group_t     *groups;

    if (ngx_http_milvus_cdc_store_checkpoints(e->store, e->pool,
                                              &e->task.task_id, &cps)
        != NGX_OK)
    {
        ngx_http_milvus_cdc_engine_fail(e, "fail to read the task store");
        return NGX_ERROR;
    }

    n = e->mcf->dml_channels;
    e->rep_done = -1;

    /* the DML pchannels, then the replicate channel (index, load, …) */

    for (i = 0; i <= n; i++) {
        sc = ngx_array_push(&e->schans);
        if (sc == NULL) {
            return NGX_ERROR;
        }

        ngx_memzero(sc, sizeof(ngx_http_milvus_cdc_schan_t));

        sc->name.data = name;

        if (i < n) {
            sc->name.len = ngx_snprintf(name, sizeof(name),
                                        "%V-rootcoord-dml_%ui",
                                        &e->mcf->channel_prefix, i)
                           - name;

        } else {
            sc->name.len = ngx_snprintf(name, sizeof(name),
                                        "%V-replicate-msg",
                                        &e->mcf->channel_prefix)
                           - name;
            sc->replicate = 1;
        }

        sc->name.data = ngx_pstrdup(e->pool, &sc->name);
        groups = ngx_palloc(e->pool, ENGINE_GROUPS_MAX
                            * sizeof(ngx_http_milvus_cdc_resume_group_t));
        if (groups == NULL) {
            return NGX_ERROR;
        }

        ngx_http_milvus_cdc_resume_init(&sc->resume, groups,
                                        ENGINE_GROUPS_MAX);
        sc->acked = -1;
        sc->start = NGX_HTTP_MILVUS_CDC_KAFKA_END;
        sc->committed = ngx_current_msec;

        if (sc->name.data == NULL
            || ngx_array_init(&sc->tchans, e->pool, 4, sizeof(void *))
               != NGX_OK)
        {
            return NGX_ERROR;
        }

        cp = cps->elts;

        for (j = 0; j < cps->nelts; j++) {
            if (cp[j].pchannel.len == sc->name.len
                && ngx_strncmp(cp[j].pchannel.data, sc->name.data,
                               sc->name.len) == 0
                && ngx_http_milvus_cdc_kafka_msgid_to_offset(cp[j].msg_id.data,
                                                   cp[j].msg_id.len, &off)
                   == NGX_OK)
            {
                sc->acked = off;
                sc->acked_ts = cp[j].ts;
                sc->start = off + 1;
            }
        }

        if (sc->acked >= 0) {
            if (!sc->replicate && sc->start < e->lows[i]) {
                ngx_http_milvus_cdc_engine_fail(e, "the source log no "
                    "longer holds %V from the checkpoint (offset %L, the "
                    "oldest kept is %L)", &sc->name, sc->start, e->lows[i]);
                return NGX_ERROR;
            }

            continue;
        }

        if (sc->replicate) {
            /* the indexes and loads of the collections already there */
            sc->start = NGX_HTTP_MILVUS_CDC_KAFKA_BEGINNING;
            continue;
        }

        /*
         * no checkpoint: the oldest start position in scope, else the end
         * taken before the first snapshot
         */

        sc->start = e->ends[i];

        colls = e->colls.elts;

        for (j = 0; j < e->colls.nelts; j++) {
            if (colls[j]->state != COLL_READY) {
                continue;
            }

            mc = ngx_http_milvus_cdc_meta_collection(e->snap,
                                                     colls[j]->source_id);
            if (mc == NULL) {
                continue;
            }

            kv = mc->start_positions.elts;

            for (k = 0; k < mc->start_positions.nelts; k++) {
                if (kv[k].key.len == sc->name.len
                    && ngx_strncmp(kv[k].key.data, sc->name.data,
                                   sc->name.len) == 0
                    && ngx_http_milvus_cdc_kafka_msgid_to_offset(
                           kv[k].value.data, kv[k].value.len, &off)
                       == NGX_OK
                    && off < sc->start)
                {
                    if (off < e->lows[i]) {
                        ngx_http_milvus_cdc_engine_fail(e, "the source log "
                            "no longer holds collection %V.%V from its start "
                            "on %V (offset %L, the oldest kept is %L)",
                            &colls[j]->db, &colls[j]->name, &sc->name, off,
                            e->lows[i]);
                        return NGX_ERROR;
                    }

                    sc->start = off;
                }
            }
        }
    }

    /* the pchannels of the collections already mapped feed their targets */

    colls = e->colls.elts;

    for (j = 0; j < e->colls.nelts; j++) {
        mc = ngx_http_milvus_cdc_meta_collection(e->snap, colls[j]->source_id);

        if (colls[j]->state != COLL_READY || mc == NULL) {
            continue;
        }

        sp = mc->pchannels.elts;

        for (k = 0; k < mc->pchannels.nelts && k < colls[j]->nshards; k++) {
            ngx_int_t  s;

            s = ngx_http_milvus_cdc_engine_shard(
                              &((ngx_str_t *) mc->vchannels.elts)[k]);
            if (s >= 0 && (ngx_uint_t) s < colls[j]->nshards) {
                ngx_http_milvus_cdc_engine_feed(e, &sp[k], colls[j]->tchans[s]);
            }
        }
    }

    sc = e->schans.elts;

    for (i = 0; i < e->schans.nelts; i++) {
        if (ngx_http_milvus_cdc_kafka_assign(e->kafka, &sc[i].name,
                                             sc[i].start, &sc[i])
            != NGX_OK)
        {
            ngx_http_milvus_cdc_engine_fail(e, "fail to read the source log "
                                            "%V", &sc[i].name);
            return NGX_ERROR;
        }

        ngx_log_error(NGX_LOG_INFO, e->log, 0,
                      "milvus_cdc: task %V: reading %V from %s%L",
                      &e->task.task_id, &sc[i].name,
                      sc[i].start == NGX_HTTP_MILVUS_CDC_KAFKA_END
                      ? "the end " : sc[i].start < 0 ? "the beginning "
                                                     : "offset ",
                      sc[i].start < 0 ? (int64_t) 0 : sc[i].start);
    }

    e->state = ENGINE_RUNNING;

    ngx_log_error(NGX_LOG_NOTICE, e->log, 0,
                  "milvus_cdc: task %V: replicating to %V",
                  &e->task.task_id, &e->task.target_uri);

    return NGX_OK;
}


static ngx_int_t
ngx_http_milvus_cdc_engine_poll(ngx_http_milvus_cdc_engine_t *e,
    ngx_msec_t deadline)
{
    ngx_int_t                         rc;
    ngx_uint_t                        n;
    ngx_http_milvus_cdc_schan_t      *sc;
    ngx_http_milvus_cdc_kafka_msg_t   km;

    for (n = 0; n < ENGINE_POLL_MAX; n++) {

        if ((n & 63) == 63) {
            ngx_time_update();

            if ((ngx_msec_int_t) (ngx_current_msec - deadline) >= 0) {
                return NGX_AGAIN;
            }
        }

        rc = ngx_http_milvus_cdc_kafka_poll(e->kafka, &km);

        if (rc == NGX_AGAIN || rc == NGX_DONE) {
            if (rc == NGX_DONE) {
                continue;
            }

            return NGX_OK;
        }

        if (rc == NGX_ERROR) {
            ngx_http_milvus_cdc_engine_fail(e, "fail to read the source log: "
                                            "%V", &km.error);
            return NGX_ERROR;
        }

        sc = km.data;

        if (rc == NGX_DECLINED) {
            ngx_http_milvus_cdc_engine_fail(e, "the source log no longer "
                                            "holds the position to read %V "
                                            "from: %V", &km.topic, &km.error);
            return NGX_ERROR;
        }

        if (sc == NULL || sc->blocked) {
            /* read again after the wait */
            ngx_http_milvus_cdc_kafka_release(e->kafka, &km);
            continue;
        }

        rc = ngx_http_milvus_cdc_engine_process(e, sc, km.offset, km.payload,
                                                km.len);

        if (rc == NGX_AGAIN) {
            ngx_http_milvus_cdc_engine_block(e, sc, km.offset, km.payload,
                                             km.len);
        }

        if (rc == NGX_ERROR) {
            ngx_http_milvus_cdc_engine_lost(e, sc, km.offset, km.payload,
                                            km.len);
        }

        ngx_http_milvus_cdc_kafka_release(e->kafka, &km);

        if (rc == NGX_ERROR) {
            return NGX_ERROR;
        }
    }

    return NGX_AGAIN;
}


/*
 * One source message.  NGX_OK: done with it; NGX_AGAIN: it waits for the
 * target or the metadata (the pchannel stops until it is processed);
 * NGX_ERROR: the task failed.
 */

static ngx_int_t
ngx_http_milvus_cdc_engine_process(ngx_http_milvus_cdc_engine_t *e,
    ngx_http_milvus_cdc_schan_t *sc, int64_t offset, u_char *data, size_t len)
{
    ngx_int_t                          rc;
    ngx_http_milvus_cdc_coll_t        *c;
    ngx_http_milvus_cdc_msg_t          m;
    ngx_http_milvus_cdc_msg_header_t   h;

    if (ngx_http_milvus_cdc_msg_header(data, len, &h) != NGX_OK) {
        ngx_log_error(NGX_LOG_WARN, e->log, 0,
                      "milvus_cdc: task %V: %V offset %L: not a Milvus "
                      "message, skipped", &e->task.task_id, &sc->name,
                      offset);
        return NGX_OK;
    }

    if (sc->replicate) {
        return ngx_http_milvus_cdc_engine_rpc(e, sc, offset, data, len, &h);
    }

    switch (h.type) {

    case NGX_HTTP_MILVUS_CDC_MSG_TIME_TICK:
        return ngx_http_milvus_cdc_engine_tick(e, sc, offset, h.ts);

    case NGX_HTTP_MILVUS_CDC_MSG_INSERT:
    case NGX_HTTP_MILVUS_CDC_MSG_DELETE:
    case NGX_HTTP_MILVUS_CDC_MSG_CREATE_COLLECTION:
    case NGX_HTTP_MILVUS_CDC_MSG_DROP_COLLECTION:
    case NGX_HTTP_MILVUS_CDC_MSG_DROP_PARTITION:
        break;

    default:
        return NGX_OK;
    }

    ngx_memzero(&m, sizeof(m));

    if (ngx_http_milvus_cdc_msg_decode(&m, data, len, e->log) != NGX_OK) {
        ngx_log_error(NGX_LOG_WARN, e->log, 0,
                      "milvus_cdc: task %V: %V offset %L: undecodable %s, "
                      "skipped", &e->task.task_id, &sc->name, offset,
                      ngx_http_milvus_cdc_msg_type_name(h.type));
        ngx_http_milvus_cdc_msg_free(&m);
        return NGX_OK;
    }

    c = ngx_http_milvus_cdc_engine_coll(e, m.collection_id);

    if (c == NULL) {
        /* a collection this engine has not seen: ask etcd */

        if (sc->blocked && e->meta_gen >= sc->held_gen && e->snap
            && ngx_http_milvus_cdc_meta_collection(e->snap, m.collection_id)
               == NULL)
        {
            /* etcd does not know it (any more): not ours */

            ngx_log_debug3(NGX_LOG_DEBUG_HTTP, e->log, 0,
                           "milvus_cdc: task %V: %V: collection %L unknown, "
                           "skipped", &e->task.task_id, &sc->name,
                           m.collection_id);

            ngx_http_milvus_cdc_msg_free(&m);
            return NGX_OK;
        }

        if (e->meta_busy || e->ddl) {
            rc = NGX_AGAIN;

        } else if (e->snap && ngx_http_milvus_cdc_meta_collection(e->snap,
                                                      m.collection_id))
        {
            /* known to etcd but not Created yet */
            e->meta_at = ngx_current_msec;
            rc = NGX_AGAIN;

        } else {
            (void) ngx_http_milvus_cdc_engine_refresh(e);
            rc = NGX_AGAIN;
        }

        ngx_http_milvus_cdc_msg_free(&m);
        return rc;
    }

    switch (c->state) {

    case COLL_IGNORED:
    case COLL_DROPPED:
        rc = NGX_OK;
        break;

    case COLL_NEW:
    case COLL_ENSURING:
        ngx_http_milvus_cdc_engine_ddl_next(e);
        rc = NGX_AGAIN;
        break;

    case COLL_DROPPING:
        rc = (h.type == NGX_HTTP_MILVUS_CDC_MSG_DROP_COLLECTION)
             ? ngx_http_milvus_cdc_engine_drop(e, sc, &m) : NGX_OK;
        break;

    default: /* COLL_READY */

        if (h.type == NGX_HTTP_MILVUS_CDC_MSG_CREATE_COLLECTION) {
            rc = NGX_OK;

        } else if (h.type == NGX_HTTP_MILVUS_CDC_MSG_DROP_COLLECTION
                   || h.type == NGX_HTTP_MILVUS_CDC_MSG_DROP_PARTITION)
        {
            rc = ngx_http_milvus_cdc_engine_drop(e, sc, &m);

        } else {
            rc = ngx_http_milvus_cdc_engine_dml(e, sc, offset, &m);
        }
    }

    ngx_http_milvus_cdc_msg_free(&m);

    return rc;
}


/*
 * A message of the replicate channel: the request of a DDL/DCL call made
 * on the source; the same call is made on the target, marked as
 * replicated, once the collection it names is there.
 */

static ngx_int_t
ngx_http_milvus_cdc_engine_rpc(ngx_http_milvus_cdc_engine_t *e,
    ngx_http_milvus_cdc_schan_t *sc, int64_t offset, u_char *data, size_t len,
    ngx_http_milvus_cdc_msg_header_t *h)
{
    ngx_str_t                             *method, db, names[8], body;
    ngx_str_t                              def = ngx_string("default");
    ngx_http_milvus_cdc_meta_collection_t *mc;
    ngx_str_t                              any = ngx_string("*");
    ngx_uint_t                             n;
    ngx_http_milvus_cdc_coll_t            *c;
    ngx_http_milvus_cdc_grpc_call_conf_t   cf;

    if (e->rep_done == offset) {
        /* done: the checkpoint moves past it */
        e->rep_done = -1;
        sc->acked = offset;
        sc->acked_ts = h->ts;
        sc->dirty = 1;
        return NGX_OK;
    }

    method = ngx_http_milvus_cdc_msg_rpc_method(h->type);

    if (method == NULL || h->replicate) {
        /* not a call to repeat, or one a CDC already replicated */
        sc->acked = offset;
        sc->dirty = 1;
        return NGX_OK;
    }

    if (e->rep_call
        || (e->rep_retry
            && (ngx_msec_int_t) (ngx_current_msec - e->rep_retry) < 0))
    {
        return NGX_AGAIN;
    }

    if (ngx_http_milvus_cdc_msg_rpc_names(data, len, &db, names, 8, &n)
        != NGX_OK)
    {
        sc->acked = offset;
        sc->dirty = 1;
        return NGX_OK;
    }

    if (db.len == 0) {
        db = def;
    }

    if (n == 0) {
        /* a database: in scope if any of its collections may be */

        if (!ngx_http_milvus_cdc_engine_in_scope(e, &db, &any)) {
            sc->acked = offset;
            sc->dirty = 1;
            return NGX_OK;
        }

    } else {
        c = ngx_http_milvus_cdc_engine_coll_name(e, &db, &names[0]);

        if (c == NULL) {
            /* not seen yet: wait for the metadata, once */

            if (sc->blocked && e->meta_gen >= sc->held_gen) {
                sc->acked = offset;
                sc->dirty = 1;
                return NGX_OK;
            }

            if (!e->meta_busy) {
                (void) ngx_http_milvus_cdc_engine_refresh(e);
            }

            return NGX_AGAIN;
        }

        if (c->state != COLL_READY) {
            if (c->state == COLL_NEW || c->state == COLL_ENSURING) {
                ngx_http_milvus_cdc_engine_ddl_next(e);
                return NGX_AGAIN;
            }

            sc->acked = offset;
            sc->dirty = 1;
            return NGX_OK;
        }

        /* about an older collection of the same name */

        mc = ngx_http_milvus_cdc_meta_collection(e->snap, c->source_id);

        if (mc && h->ts < mc->create_time) {
            sc->acked = offset;
            sc->dirty = 1;
            return NGX_OK;
        }

        /*
         * never ahead of the data: a Flush or Load made before the target
         * has every earlier row would seal or load without them
         */

        if (ngx_http_milvus_cdc_engine_behind(e, c, h->ts)) {
            return NGX_AGAIN;
        }
    }

    if (ngx_http_milvus_cdc_msg_mark_replicated(data, len, h->ts, &body,
                                                e->log)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_memzero(&cf, sizeof(cf));
    cf.method = *method;
    cf.request = body;
    cf.dbname = db;
    cf.timeout = ENGINE_RPC_TIMEOUT;
    cf.handler = ngx_http_milvus_cdc_engine_rpc_done;
    cf.data = e;

    e->rep_call = ngx_http_milvus_cdc_grpc_call_start(e->target, &cf, e->log);

    ngx_free(body.data);

    if (e->rep_call == NULL) {
        e->rep_retry = ngx_current_msec + ENGINE_RETRY_DELAY;
        return NGX_AGAIN;
    }

    e->rep_done = -1 - offset;   /* in flight for this offset */
    e->rep_reply = (h->type == NGX_HTTP_MILVUS_CDC_MSG_FLUSH)
                   ? NGX_HTTP_MILVUS_CDC_MSG_RPC_FLUSH
                   : NGX_HTTP_MILVUS_CDC_MSG_RPC_DROP_DATABASE;

    ngx_log_error(NGX_LOG_INFO, e->log, 0,
                  "milvus_cdc: task %V: %V of %V.%V replicated",
                  &e->task.task_id, method, &db,
                  n ? &names[0] : &any);

    return NGX_AGAIN;
}


static void
ngx_http_milvus_cdc_engine_rpc_done(ngx_http_milvus_cdc_grpc_result_t *res,
    void *data)
{
    ngx_http_milvus_cdc_engine_t *e = data;

    int64_t                          offset;
    ngx_int_t                        rc;
    ngx_http_milvus_cdc_msg_reply_t  r;

    e->rep_call = NULL;
    offset = -1 - e->rep_done;

    if (res->status != 0) {
        ngx_http_milvus_cdc_engine_trouble(e,
                                  ngx_http_milvus_cdc_msg_method(e->rep_reply),
                                  NULL, res);
        e->rep_done = -1;
        e->rep_retry = ngx_current_msec + ENGINE_RETRY_DELAY;
        return;
    }

    ngx_http_milvus_cdc_engine_recovered(e);

    /* a refusal ("index already exist", …) is logged, not retried */

    ngx_memzero(&r, sizeof(r));

    rc = ngx_http_milvus_cdc_msg_reply(e->rep_reply, &res->reply, &r, e->log);
    if (rc != NGX_OK) {
        ngx_log_error(NGX_LOG_WARN, e->log, 0,
                      "milvus_cdc: task %V: the target refused a replicated "
                      "call: %V", &e->task.task_id, &r.reason);
    }

    ngx_http_milvus_cdc_msg_reply_free(&r);

    e->rep_done = offset;
    e->rep_retry = 0;
}


/*
 * Whether the target has not yet acknowledged every source message of the
 * collection's pchannels up to ts (their checkpoints are behind ts).
 */

static ngx_int_t
ngx_http_milvus_cdc_engine_behind(ngx_http_milvus_cdc_engine_t *e,
    ngx_http_milvus_cdc_coll_t *c, uint64_t ts)
{
    ngx_str_t                              *pc;
    ngx_uint_t                              i, j;
    ngx_http_milvus_cdc_schan_t            *sc;
    ngx_http_milvus_cdc_meta_collection_t  *mc;

    mc = ngx_http_milvus_cdc_meta_collection(e->snap, c->source_id);
    if (mc == NULL) {
        return 0;
    }

    pc = mc->pchannels.elts;
    sc = e->schans.elts;

    for (i = 0; i < mc->pchannels.nelts; i++) {
        for (j = 0; j < e->schans.nelts; j++) {
            if (sc[j].name.len == pc[i].len
                && ngx_strncmp(sc[j].name.data, pc[i].data, pc[i].len) == 0
                && sc[j].acked_ts < ts)
            {
                return 1;
            }
        }
    }

    return 0;
}


static ngx_http_milvus_cdc_coll_t *
ngx_http_milvus_cdc_engine_coll_name(ngx_http_milvus_cdc_engine_t *e,
    ngx_str_t *db, ngx_str_t *name)
{
    ngx_uint_t                    i;
    ngx_http_milvus_cdc_coll_t  **c, *found;

    c = e->colls.elts;
    found = NULL;

    for (i = 0; i < e->colls.nelts; i++) {
        if (c[i]->db.len == db->len && c[i]->name.len == name->len
            && ngx_strncmp(c[i]->db.data, db->data, db->len) == 0
            && ngx_strncmp(c[i]->name.data, name->data, name->len) == 0)
        {
            /* a live one before a dropped one of the same name */

            if (found == NULL || c[i]->state != COLL_DROPPED) {
                found = c[i];
            }
        }
    }

    return found;
}


static ngx_int_t
ngx_http_milvus_cdc_engine_dml(ngx_http_milvus_cdc_engine_t *e,
    ngx_http_milvus_cdc_schan_t *sc, int64_t offset,
    ngx_http_milvus_cdc_msg_t *m)
{
    uint64_t                            src, out;
    ngx_int_t                           k;
    ngx_str_t                           bytes, del;
    ngx_uint_t                          i;
    ngx_http_milvus_cdc_coll_t         *c;
    ngx_http_milvus_cdc_part_t         *parts;
    ngx_http_milvus_cdc_pack_t         *pack;
    ngx_http_milvus_cdc_tchan_t        *t;
    ngx_http_milvus_cdc_msg_rewrite_t   rw;

    c = ngx_http_milvus_cdc_engine_coll(e, m->collection_id);

    k = ngx_http_milvus_cdc_engine_shard(&m->shard_name);

    if (k < 0 || (ngx_uint_t) k >= c->nshards) {
        ngx_http_milvus_cdc_engine_fail(e, "collection %V.%V: unknown shard "
                                        "%V", &c->db, &c->name,
                                        &m->shard_name);
        return NGX_ERROR;
    }

    ngx_memzero(&rw, sizeof(rw));

    rw.collection_id = c->target_id;
    rw.shard_name = c->tvchannels[k];
    rw.partition_id = -1;

    if (m->partition_id != -1) {
        parts = c->parts.elts;

        for (i = 0; i < c->parts.nelts; i++) {
            if (parts[i].source_id == m->partition_id) {
                rw.partition_id = parts[i].target_id;
                break;
            }
        }

        if (i == c->parts.nelts) {
            /* a partition created since: CreatePartition is not in the WAL */

            if (!e->meta_busy && !e->ddl) {
                (void) ngx_http_milvus_cdc_engine_refresh(e);
            }

            return NGX_AGAIN;
        }
    }

    t = c->tchans[k];

    src = m->end_ts ? m->end_ts : m->hdr.ts;
    out = ngx_http_milvus_cdc_engine_stamp(t, sc, src);
    rw.ts = (out != src || m->hdr.ts == 0) ? out : 0;
    rw.msg_id = ngx_http_milvus_cdc_engine_msg_id_of(e, m->hdr.msg_id);

    ngx_log_debug6(NGX_LOG_DEBUG_HTTP, e->log, 0,
                   "milvus_cdc: task %V: %V: %s of %V at %uL sent at %uL",
                   &e->task.task_id, &t->name,
                   m->hdr.type == NGX_HTTP_MILVUS_CDC_MSG_INSERT
                   ? "insert" : "delete",
                   &m->shard_name, src, out);

    if (ngx_http_milvus_cdc_msg_rewrite(m, &rw, &bytes, e->log) != NGX_OK) {
        ngx_http_milvus_cdc_engine_fail(e, "fail to rewrite a message of "
                                        "%V.%V", &c->db, &c->name);
        return NGX_ERROR;
    }

    pack = ngx_http_milvus_cdc_engine_pack(sc);
    if (pack == NULL) {
        ngx_free(bytes.data);
        return NGX_ERROR;
    }

    pack->data = 1;

    /*
     * a replayed Insert the target may have had before a crash: its keys
     * are deleted at the new timestamp first, so exactly one row stays
     */

    if (m->hdr.type == NGX_HTTP_MILVUS_CDC_MSG_INSERT
        && (src <= t->replay_ts || c->existed)
        && c->pk_field >= 0
        && ngx_http_milvus_cdc_msg_insert_delete(&bytes, c->pk_field, m,
                                    &rw.shard_name, out,
                                    ngx_http_milvus_cdc_engine_msg_id(e),
                                    &del, e->log)
           == NGX_OK)
    {
        if (ngx_http_milvus_cdc_engine_enqueue(t, &del, out, pack, NULL)
            != NGX_OK)
        {
            ngx_free(bytes.data);
            return NGX_ERROR;
        }

        ngx_log_debug3(NGX_LOG_DEBUG_HTTP, e->log, 0,
                       "milvus_cdc: task %V: %V: replayed insert at %uL "
                       "preceded by a delete of its keys",
                       &e->task.task_id, &t->name, out);
    }

    if (ngx_http_milvus_cdc_engine_enqueue(t, &bytes, out, pack, NULL)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_http_milvus_cdc_resume_add(&sc->resume, src, offset);

    return NGX_OK;
}


/*
 * DropCollection / DropPartition: the source broadcasts it to every
 * pchannel of the collection.  The first copy is forwarded to every target
 * pchannel of the collection; once the target has them, the drop itself
 * is made with MilvusService DropCollection/DropPartition marked as
 * replicated (so that the target does not broadcast its own).
 */

static ngx_int_t
ngx_http_milvus_cdc_engine_drop(ngx_http_milvus_cdc_engine_t *e,
    ngx_http_milvus_cdc_schan_t *sc, ngx_http_milvus_cdc_msg_t *m)
{
    uint64_t                               out;
    ngx_str_t                              bytes;
    ngx_uint_t                             i, k, rpc, partition;
    ngx_http_milvus_cdc_coll_t            *c;
    ngx_http_milvus_cdc_part_t            *parts, *part;
    ngx_http_milvus_cdc_msg_rewrite_t      rw;
    ngx_http_milvus_cdc_msg_request_t      rq;
    ngx_http_milvus_cdc_grpc_call_conf_t   cf;

    ngx_memzero(&cf, sizeof(cf));

    c = ngx_http_milvus_cdc_engine_coll(e, m->collection_id);
    part = NULL;
    partition = (m->hdr.type == NGX_HTTP_MILVUS_CDC_MSG_DROP_PARTITION);

    if (partition) {
        parts = c->parts.elts;

        for (i = 0; i < c->parts.nelts; i++) {
            if (parts[i].source_id == m->partition_id) {
                part = &parts[i];
                break;
            }
        }

        if (part == NULL && !(sc->blocked && e->meta_gen >= sc->held_gen)) {
            /* created since the last snapshot: learn it first */

            if (!e->meta_busy && !e->ddl) {
                (void) ngx_http_milvus_cdc_engine_refresh(e);
            }

            return NGX_AGAIN;
        }

        if (part == NULL || part->dropped) {
            return NGX_OK;
        }

        if (c->dropping && c->dropping != part) {
            return NGX_AGAIN;
        }
    }

    if (c->drop_rpc == 0 && c->dropping == NULL && c->state == COLL_READY) {

        /* the first copy: forwarded to every target pchannel */

        ngx_memzero(&rw, sizeof(rw));
        rw.collection_id = c->target_id;
        rw.partition_id = part ? part->target_id : 0;

        for (k = 0; k < c->nshards; k++) {
            out = ngx_http_milvus_cdc_engine_stamp(c->tchans[k], sc,
                                                   m->hdr.ts);
            rw.ts = out != m->hdr.ts ? out : 0;
            rw.shard_name = c->tvchannels[k];

            if (ngx_http_milvus_cdc_msg_rewrite(m, &rw, &bytes, e->log)
                != NGX_OK)
            {
                ngx_http_milvus_cdc_engine_fail(e, "fail to rewrite a drop of "
                                                "%V.%V", &c->db, &c->name);
                return NGX_ERROR;
            }

            c->wait++;

            if (ngx_http_milvus_cdc_engine_enqueue(c->tchans[k], &bytes, out,
                                                   NULL, &c->wait)
                != NGX_OK)
            {
                return NGX_ERROR;
            }
        }

        if (partition) {
            c->dropping = part;

        } else {
            c->state = COLL_DROPPING;
        }

        return NGX_AGAIN;
    }

    /* the forwarded copies on the target, then the drop call itself */

    if (c->wait || e->ddl_call || e->ddl
        || (c->drop_retry
            && (ngx_msec_int_t) (ngx_current_msec - c->drop_retry) < 0))
    {
        return NGX_AGAIN;
    }

    if (c->drop_rpc == 0 || c->drop_rpc == 2) {

        /*
         * a partition is released first: the source released it before
         * the drop, on the replicate channel, which may not have got
         * there yet; a loaded partition cannot be dropped
         */

        if (partition && c->drop_rpc == 0) {
            if (ngx_http_milvus_cdc_msg_release_partition(&c->db, &c->name,
                                                          &part->name, &bytes,
                                                          e->log)
                != NGX_OK)
            {
                return NGX_ERROR;
            }

            rpc = NGX_HTTP_MILVUS_CDC_MSG_RELEASE_PARTITIONS;
            cf.method = *ngx_http_milvus_cdc_msg_rpc_method(rpc);

        } else {
            ngx_memzero(&rq, sizeof(rq));
            rq.db_name = c->db;
            rq.collection_name = c->name;
            rq.replicate_ts = m->hdr.ts;

            if (partition) {
                rq.partition_name = part->name;
                rpc = NGX_HTTP_MILVUS_CDC_MSG_RPC_DROP_PARTITION;

            } else {
                rpc = NGX_HTTP_MILVUS_CDC_MSG_RPC_DROP_COLLECTION;
            }

            if (ngx_http_milvus_cdc_msg_request(rpc, &rq, &bytes, e->log)
                != NGX_OK)
            {
                return NGX_ERROR;
            }

            cf.method = *ngx_http_milvus_cdc_msg_method(rpc);
        }

        /* e->ddl stays NULL: the DDL machine is not involved */

        cf.request = bytes;
        cf.dbname = c->db;
        cf.timeout = ENGINE_RPC_TIMEOUT;
        cf.handler = ngx_http_milvus_cdc_engine_drop_done;
        cf.data = e;
        e->drop_coll = c;

        e->ddl_call = ngx_http_milvus_cdc_grpc_call_start(e->target, &cf,
                                                          e->log);
        ngx_free(bytes.data);

        if (e->ddl_call) {
            c->drop_rpc = (partition && c->drop_rpc == 0) ? 2 : 3;
        }

        return NGX_AGAIN;
    }

    /* the drop call has completed, and went through */

    c->drop_rpc = 0;

    if (partition) {
        part->dropped = 1;
        c->dropping = NULL;

    } else {
        c->state = COLL_DROPPED;
    }

    if (partition) {
        ngx_log_error(NGX_LOG_NOTICE, e->log, 0,
                      "milvus_cdc: task %V: drop of partition %V of %V.%V "
                      "replicated", &e->task.task_id, &part->name, &c->db,
                      &c->name);

    } else {
        ngx_log_error(NGX_LOG_NOTICE, e->log, 0,
                      "milvus_cdc: task %V: drop of %V.%V replicated",
                      &e->task.task_id, &c->db, &c->name);
    }

    return NGX_OK;
}


/*
 * The target's answer to a drop's ReleasePartitions, DropPartition or
 * DropCollection: a transport failure is retried (the same step again); a
 * refusal pauses the task with the target's message, except "not found"
 * (a drop read again after a restart: done already).
 */

static void
ngx_http_milvus_cdc_engine_drop_done(ngx_http_milvus_cdc_grpc_result_t *res,
    void *data)
{
    ngx_http_milvus_cdc_engine_t *e = data;

    ngx_int_t                         rc;
    ngx_str_t                         call, part;
    ngx_http_milvus_cdc_coll_t       *c;
    ngx_http_milvus_cdc_msg_reply_t   r;

    e->ddl_call = NULL;
    c = e->drop_coll;
    e->drop_coll = NULL;

    if (c == NULL || e->state == ENGINE_FAILED) {
        return;
    }

    if (c->drop_rpc == 2) {
        ngx_str_set(&call, "ReleasePartitions");

    } else if (c->dropping) {
        ngx_str_set(&call, "DropPartition");

    } else {
        ngx_str_set(&call, "DropCollection");
    }

    if (res->status != 0) {
        ngx_http_milvus_cdc_engine_trouble(e, &call, &c->name, res);

        /* the same step again, later: release again, or drop again */
        c->drop_rpc = (c->drop_rpc == 3 && c->dropping) ? 2 : 0;
        c->drop_retry = ngx_current_msec + ENGINE_RETRY_DELAY;
        return;
    }

    ngx_http_milvus_cdc_engine_recovered(e);

    /* each of the three answers a common.Status */

    rc = ngx_http_milvus_cdc_msg_reply(NGX_HTTP_MILVUS_CDC_MSG_RPC_DROP_DATABASE,
                                       &res->reply, &r, e->log);

    ngx_str_null(&part);

    if (c->dropping) {
        part = c->dropping->name;
    }

    if (rc == NGX_DECLINED
        && (r.reason.len == 0
            || (ngx_strlcasestrn(r.reason.data, r.reason.data + r.reason.len,
                                 (u_char *) "not found",
                                 sizeof("not found") - 2)
                == NULL
                && ngx_strlcasestrn(r.reason.data,
                                    r.reason.data + r.reason.len,
                                    (u_char *) "not exist",
                                    sizeof("not exist") - 2)
                   == NULL)))
    {
        ngx_http_milvus_cdc_engine_fail(e, "%V of %V.%V%s%V refused by the "
                                        "target: %V (error code %i)", &call,
                                        &c->db, &c->name,
                                        part.len ? " partition " : "", &part,
                                        r.reason.len ? &r.reason : &call,
                                        r.error_code ? r.error_code
                                                     : r.code);

    } else if (rc == NGX_ERROR) {
        ngx_http_milvus_cdc_engine_fail(e, "undecodable reply of %V of "
                                        "%V.%V", &call, &c->db, &c->name);
    }

    ngx_http_milvus_cdc_msg_reply_free(&r);
}


/* a source TimeTick closes the pack of its pchannel */

static ngx_int_t
ngx_http_milvus_cdc_engine_tick(ngx_http_milvus_cdc_engine_t *e,
    ngx_http_milvus_cdc_schan_t *sc, int64_t offset, uint64_t ts)
{
    uint64_t                       out;
    ngx_str_t                      bytes;
    ngx_uint_t                     i;
    ngx_http_milvus_cdc_pack_t    *pack;
    ngx_http_milvus_cdc_tchan_t  **tp;

    pack = ngx_http_milvus_cdc_engine_pack(sc);
    if (pack == NULL) {
        return NGX_ERROR;
    }

    pack->offset = offset;
    pack->ts = ts;
    pack->resume = ngx_http_milvus_cdc_resume_tick(&sc->resume, ts, offset);

    if (pack->resume <= offset) {
        ngx_log_debug5(NGX_LOG_DEBUG_HTTP, e->log, 0,
                       "milvus_cdc: task %V: %V: TimeTick %uL at %L: "
                       "read again from %L after a restart",
                       &e->task.task_id, &sc->name, ts, offset,
                       pack->resume);
    }

    tp = sc->tchans.elts;

    for (i = 0; i < sc->tchans.nelts; i++) {
        out = ngx_http_milvus_cdc_engine_tick_ts(tp[i], sc, ts);

        if (out == 0) {
            /* another source pchannel of this target pchannel is behind */
            continue;
        }

        ngx_log_debug3(NGX_LOG_DEBUG_HTTP, e->log, 0,
                       "milvus_cdc: task %V: %V: TimeTick %uL",
                       &e->task.task_id, &tp[i]->name, out);

        if (ngx_http_milvus_cdc_msg_timetick(out, &bytes, e->log) != NGX_OK
            || ngx_http_milvus_cdc_engine_enqueue(tp[i], &bytes, out, pack,
                                                  NULL)
               != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    /* sealed */

    sc->open = NULL;

    if (sc->tail) {
        sc->tail->next = pack;

    } else {
        sc->head = pack;
    }

    sc->tail = pack;

    return NGX_OK;
}


static ngx_int_t
ngx_http_milvus_cdc_engine_enqueue(ngx_http_milvus_cdc_tchan_t *t,
    ngx_str_t *bytes, uint64_t ts, ngx_http_milvus_cdc_pack_t *pack,
    ngx_uint_t *wait)
{
    ngx_http_milvus_cdc_item_t  *item;

    /* reuse the queue's space once everything in it was sent */

    if (t->head == t->queue.nelts && t->inflight == 0) {
        t->head = 0;
        t->queue.nelts = 0;
    }

    item = ngx_array_push(&t->queue);
    if (item == NULL) {
        ngx_free(bytes->data);
        return NGX_ERROR;
    }

    item->bytes = *bytes;
    item->ts = ts;
    item->pack = pack;
    item->wait = wait;

    if (pack) {
        pack->remaining++;
    }

    return NGX_OK;
}


/*
 * The msgID (MsgBase.msgID) of an Insert or Delete sent to the target: the
 * target's stream keeps only the first DML message of an id between two
 * TimeTicks, so a message sent again after a restart (its first copy may
 * still wait there for a tick) or one the CDC makes needs an id no other
 * message has.  A clock like a TSO: the milliseconds shifted by 10, one
 * more for each id (1024 ids a millisecond before it runs ahead of the
 * time, and a restart takes seconds), shifted by 8 again for the low byte
 * of the task id's crc32, so that two tasks writing to one target
 * pchannel differ.  About 2^59, a positive int64, like Milvus' own ids.
 */

static int64_t
ngx_http_milvus_cdc_engine_msg_id(ngx_http_milvus_cdc_engine_t *e)
{
    int64_t     now;
    ngx_time_t *tp;

    tp = ngx_timeofday();
    now = ((int64_t) tp->sec * 1000 + tp->msec) << 10;

    e->msg_clock = now > e->msg_clock ? now : e->msg_clock + 1;

    return (e->msg_clock << 8) | e->msg_salt;
}


/*
 * The msgID of a source Insert or Delete on the target: one per source
 * msgID and run (splitmix64 of the two), so that a message the source log
 * holds twice (a producer's retry) still has one id and the target keeps
 * one copy, while the copy sent again by a later run has another id (see
 * above).  Spread over 63 bits, it meets an id of the clock above with a
 * chance of about 2^-63 a pair.
 */

static int64_t
ngx_http_milvus_cdc_engine_msg_id_of(ngx_http_milvus_cdc_engine_t *e,
    int64_t source_id)
{
    uint64_t  z;

    if (e->msg_epoch == 0) {
        e->msg_epoch = (uint64_t) ngx_http_milvus_cdc_engine_msg_id(e);
    }

    z = (uint64_t) source_id ^ e->msg_epoch;

    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;

    z &= 0x7fffffffffffffffULL;

    return z ? (int64_t) z : 1;
}


/*
 * The timestamp a message of source pchannel sc gets on target pchannel t:
 * its own, unless that is not above the last one given to sc's messages
 * there or the last TimeTick sent to t (after a restart, or when several
 * source pchannels feed t): then just above.  An open source timestamp
 * (not yet covered by a TimeTick of sc) gets the same timestamp again, so
 * the Insert and Delete of an upsert stay equal.  Per feed the order is
 * kept, which is all Milvus needs: a primary key's messages all travel on
 * one vchannel, hence on one feed; between TimeTicks a pchannel's messages
 * need not be ordered (several proxies write to one).  A replay is
 * compressed just above the last TimeTick instead of being shifted into
 * the future.
 */

static uint64_t
ngx_http_milvus_cdc_engine_stamp(ngx_http_milvus_cdc_tchan_t *t,
    ngx_http_milvus_cdc_schan_t *sc, uint64_t src)
{
    uint64_t                      out;
    ngx_uint_t                    i;
    ngx_http_milvus_cdc_feed_t   *f;
    ngx_http_milvus_cdc_stamp_t  *st;

    f = ngx_http_milvus_cdc_engine_feed_of(t, sc);
    if (f == NULL) {
        return src;
    }

    f->seen = ngx_current_msec;
    st = f->open.elts;

    for (i = 0; i < f->open.nelts; i++) {
        if (st[i].src != src) {
            continue;
        }

        if (st[i].out > t->last_tick) {
            return st[i].out;
        }

        /* cannot happen: t's TimeTick stays below the open stamps */

        ngx_log_error(NGX_LOG_ALERT, t->engine->log, 0,
                      "milvus_cdc: task %V: %V: timestamp %uL given %uL "
                      "again after TimeTick %uL",
                      &t->engine->task.task_id, &t->name, src, st[i].out,
                      t->last_tick);
        break;
    }

    out = src;

    if (out <= f->last_out) {
        out = f->last_out + 1;
    }

    if (out <= t->last_tick) {
        out = t->last_tick + 1;
    }

    f->last_out = out;

    if (out > t->last_ts) {
        t->last_ts = out;
    }

    if (!f->fed) {
        return out;
    }

    if (f->open.nelts == ENGINE_OPEN_MAX) {
        ngx_log_error(NGX_LOG_WARN, t->engine->log, 0,
                      "milvus_cdc: task %V: %V: %ui timestamps without a "
                      "TimeTick of their source pchannel, the oldest "
                      "forgotten", &t->engine->task.task_id, &t->name,
                      f->open.nelts);

        ngx_memmove(st, st + 1,
                    (f->open.nelts - 1) * sizeof(ngx_http_milvus_cdc_stamp_t));
        f->open.nelts--;
    }

    st = ngx_array_push(&f->open);
    if (st == NULL) {
        return out;
    }

    st->src = src;
    st->out = out;

    return out;
}


/*
 * A TimeTick "src" of sc for t.  It closes sc's stamps at or below src
 * (Milvus sends a pchannel's TimeTick after every message at or below
 * it).  The feed's TimeTick is just below its oldest open stamp, or when
 * none is open the TimeTick itself, never below what the feed's messages
 * got: a TimeTick read between an upsert's Insert and its Delete does not
 * cover the Insert.  t's TimeTick is the oldest of its feeds' (feeds
 * silent for 10 s, which carry no live collection, do not hold it back
 * unless they have open stamps).  Returns the TimeTick to send to t, or 0
 * when it would not advance.
 */

static uint64_t
ngx_http_milvus_cdc_engine_tick_ts(ngx_http_milvus_cdc_tchan_t *t,
    ngx_http_milvus_cdc_schan_t *sc, uint64_t src)
{
    uint64_t                      min, v;
    ngx_uint_t                    i, n;
    ngx_http_milvus_cdc_feed_t   *f, *feeds;
    ngx_http_milvus_cdc_stamp_t  *st;

    f = ngx_http_milvus_cdc_engine_feed_of(t, sc);
    if (f == NULL) {
        return 0;
    }

    f->seen = ngx_current_msec;
    st = f->open.elts;
    n = 0;

    for (i = 0; i < f->open.nelts; i++) {
        if (st[i].src > src) {
            st[n++] = st[i];
        }
    }

    f->open.nelts = n;

    f->tick = src > f->last_out ? src : f->last_out;

    min = 0;
    feeds = t->feeds.elts;

    for (i = 0; i < t->feeds.nelts; i++) {
        v = feeds[i].tick;

        if (feeds[i].open.nelts) {
            st = feeds[i].open.elts;

            if (v == 0 || st[0].out - 1 < v) {
                v = st[0].out - 1;
            }

        } else if (v == 0 || ngx_current_msec - feeds[i].seen > 10000) {
            continue;
        }

        if (min == 0 || v < min) {
            min = v;
        }
    }

    if (min <= t->last_tick) {
        return 0;
    }

    t->last_tick = min;

    if (min > t->last_ts) {
        t->last_ts = min;
    }

    return min;
}


static ngx_http_milvus_cdc_feed_t *
ngx_http_milvus_cdc_engine_feed_of(ngx_http_milvus_cdc_tchan_t *t,
    ngx_http_milvus_cdc_schan_t *sc)
{
    ngx_uint_t                   i;
    ngx_http_milvus_cdc_feed_t  *f;

    f = t->feeds.elts;

    for (i = 0; i < t->feeds.nelts; i++) {
        if (f[i].sc == sc) {
            return &f[i];
        }
    }

    f = ngx_array_push(&t->feeds);
    if (f == NULL) {
        return NULL;
    }

    ngx_memzero(f, sizeof(ngx_http_milvus_cdc_feed_t));
    f->sc = sc;

    if (ngx_array_init(&f->open, t->engine->pool, 8,
                       sizeof(ngx_http_milvus_cdc_stamp_t))
        != NGX_OK)
    {
        t->feeds.nelts--;
        return NULL;
    }

    return f;
}


static ngx_http_milvus_cdc_pack_t *
ngx_http_milvus_cdc_engine_pack(ngx_http_milvus_cdc_schan_t *sc)
{
    if (sc->open == NULL) {
        sc->open = ngx_calloc(sizeof(ngx_http_milvus_cdc_pack_t),
                              ngx_cycle->log);
    }

    return sc->open;
}


/* one ReplicateMessage per idle target pchannel with queued messages */

static void
ngx_http_milvus_cdc_engine_send(ngx_http_milvus_cdc_engine_t *e)
{
    size_t                                 size;
    ngx_str_t                             *msgs, body;
    ngx_uint_t                             i, j, n;
    ngx_http_milvus_cdc_item_t            *item;
    ngx_http_milvus_cdc_tchan_t          **tp, *t;
    ngx_http_milvus_cdc_target_ts_t        ts;
    ngx_http_milvus_cdc_msg_replicate_t    rp;
    ngx_http_milvus_cdc_grpc_call_conf_t   cf;

    tp = e->tchans.elts;

    for (i = 0; i < e->tchans.nelts; i++) {
        t = tp[i];

        if (t->inflight || t->head == t->queue.nelts
            || (t->retry_at
                && (ngx_msec_int_t) (ngx_current_msec - t->retry_at) < 0))
        {
            continue;
        }

        item = t->queue.elts;
        size = 0;

        for (n = 0; t->head + n < t->queue.nelts && n < ENGINE_BATCH_MSGS;
             n++)
        {
            size += item[t->head + n].bytes.len;

            if (size > ENGINE_BATCH_BYTES && n) {
                break;
            }
        }

        msgs = ngx_alloc(n * sizeof(ngx_str_t), e->log);
        if (msgs == NULL) {
            return;
        }

        for (j = 0; j < n; j++) {
            msgs[j] = item[t->head + j].bytes;
        }

        ngx_memzero(&rp, sizeof(rp));
        rp.channel_name = t->name;
        rp.begin_ts = item[t->head].ts;
        rp.end_ts = item[t->head + n - 1].ts;
        rp.msgs = msgs;
        rp.nmsgs = n;

        if (ngx_http_milvus_cdc_msg_replicate(&rp, &body, e->log) != NGX_OK) {
            ngx_free(msgs);
            return;
        }

        ngx_free(msgs);

        /*
         * what goes out is remembered first: the next run never sends
         * older timestamps to this pchannel
         */

        ts.pchannel = t->name;
        ts.last_ts = t->last_ts;

        if (ngx_http_milvus_cdc_store_checkpoint_save(e->store,
                                                      &e->task.task_id, NULL,
                                                      &ts, 1)
            != NGX_OK)
        {
            ngx_free(body.data);
            return;
        }

        ngx_memzero(&cf, sizeof(cf));
        cf.method = *ngx_http_milvus_cdc_msg_method(
                                        NGX_HTTP_MILVUS_CDC_MSG_RPC_REPLICATE);
        cf.request = body;
        cf.timeout = ENGINE_RPC_TIMEOUT;
        cf.handler = ngx_http_milvus_cdc_engine_sent;
        cf.data = t;

        t->call = ngx_http_milvus_cdc_grpc_call_start(e->target, &cf, e->log);

        ngx_free(body.data);

        if (t->call == NULL) {
            t->retry_at = ngx_current_msec + ENGINE_RETRY_DELAY;
            continue;
        }

        t->inflight = n;
        e->rpcs++;
    }
}


static void
ngx_http_milvus_cdc_engine_sent(ngx_http_milvus_cdc_grpc_result_t *res,
    void *data)
{
    ngx_http_milvus_cdc_tchan_t *t = data;

    ngx_int_t                         rc;
    ngx_uint_t                        i;
    ngx_http_milvus_cdc_item_t       *item;
    ngx_http_milvus_cdc_engine_t     *e;
    ngx_http_milvus_cdc_msg_reply_t   r;

    e = t->engine;
    t->call = NULL;
    e->rpcs--;

    if (res->status != 0) {
        ngx_http_milvus_cdc_engine_trouble(e,
                   ngx_http_milvus_cdc_msg_method(
                                       NGX_HTTP_MILVUS_CDC_MSG_RPC_REPLICATE),
                   &t->name, res);
        t->inflight = 0;
        t->retry_at = ngx_current_msec + ENGINE_RETRY_DELAY;
        return;
    }

    ngx_http_milvus_cdc_engine_recovered(e);

    ngx_memzero(&r, sizeof(r));

    rc = ngx_http_milvus_cdc_msg_reply(NGX_HTTP_MILVUS_CDC_MSG_RPC_REPLICATE,
                                       &res->reply, &r, e->log);

    if (rc != NGX_OK) {

        /*
         * a busy target refuses too ("getSegmentID failed"): the same
         * messages again, later; a refusal that lasts pauses the task
         */

        if (++t->refused < ENGINE_REFUSALS) {
            ngx_log_error(NGX_LOG_WARN, e->log, 0,
                          "milvus_cdc: task %V: the target refused the "
                          "replicated messages of %V: %V, retrying",
                          &e->task.task_id, &t->name, &r.reason);

            t->retry_at = ngx_current_msec
                          + ENGINE_RETRY_DELAY * t->refused;

        } else {
            ngx_http_milvus_cdc_engine_fail(e, "the target refused the "
                                            "replicated messages of %V: %V",
                                            &t->name, &r.reason);
        }

        ngx_http_milvus_cdc_msg_reply_free(&r);
        t->inflight = 0;
        return;
    }

    ngx_http_milvus_cdc_msg_reply_free(&r);
    t->refused = 0;

    item = t->queue.elts;

    for (i = 0; i < t->inflight; i++) {
        ngx_free(item[t->head + i].bytes.data);

        if (item[t->head + i].pack) {
            item[t->head + i].pack->remaining--;
        }

        if (item[t->head + i].wait) {
            (*item[t->head + i].wait)--;
        }
    }

    t->head += t->inflight;
    t->inflight = 0;
    t->retry_at = 0;

    if (t->head == t->queue.nelts) {
        t->head = 0;
        t->queue.nelts = 0;
    }
}


/* checkpoints: every sealed pack whose messages the target acknowledged */

static void
ngx_http_milvus_cdc_engine_advance(ngx_http_milvus_cdc_engine_t *e)
{
    u_char                             id[NGX_HTTP_MILVUS_CDC_KAFKA_MSGID_LEN];
    ngx_uint_t                         i, data;
    ngx_http_milvus_cdc_pack_t        *p;
    ngx_http_milvus_cdc_schan_t       *sc;
    ngx_http_milvus_cdc_checkpoint_t   cp;

    sc = e->schans.elts;

    for (i = 0; i < e->schans.nelts; i++) {
        data = 0;

        while (sc[i].head && sc[i].head->remaining == 0) {
            p = sc[i].head;
            sc[i].head = p->next;

            if (sc[i].head == NULL) {
                sc[i].tail = NULL;
            }

            /*
             * every message up to the tick was acknowledged; reading
             * resumes where no group of one timestamp is split
             */

            sc[i].acked = p->resume - 1;
            sc[i].acked_ts = p->ts;
            sc[i].dirty = 1;
            data |= p->data;

            ngx_free(p);
        }

        if (!sc[i].dirty
            || (!data && e->state != ENGINE_STOPPING
                && ngx_current_msec - sc[i].committed < ENGINE_COMMIT_PERIOD))
        {
            continue;
        }

        ngx_http_milvus_cdc_kafka_offset_to_msgid(sc[i].acked, id);

        cp.pchannel = sc[i].name;
        cp.msg_id.data = id;
        cp.msg_id.len = sizeof(id);
        cp.sent_msg_id = cp.msg_id;
        cp.ts = sc[i].acked_ts;

        if (ngx_http_milvus_cdc_store_checkpoint_save(e->store,
                                                      &e->task.task_id, &cp,
                                                      NULL, 0)
            == NGX_OK)
        {
            sc[i].dirty = 0;
            sc[i].committed = ngx_current_msec;
        }
    }
}


/*
 * The pchannel waits: the message is kept and the topic paused; later
 * messages of the topic already fetched are dropped and read again.
 */

static void
ngx_http_milvus_cdc_engine_block(ngx_http_milvus_cdc_engine_t *e,
    ngx_http_milvus_cdc_schan_t *sc, int64_t offset, u_char *data, size_t len)
{
    sc->held.data = ngx_alloc(len ? len : 1, e->log);
    if (sc->held.data == NULL) {
        ngx_http_milvus_cdc_engine_fail(e, "out of memory");
        return;
    }

    ngx_memcpy(sc->held.data, data, len);
    sc->held.len = len;
    sc->held_offset = offset;
    sc->held_gen = e->meta_gen + (e->meta_busy ? 2 : 1);
    sc->blocked = 1;

    {
        ngx_http_milvus_cdc_msg_header_t  h;

        ngx_memzero(&h, sizeof(h));
        (void) ngx_http_milvus_cdc_msg_header(data, len, &h);

        ngx_log_error(NGX_LOG_INFO, e->log, 0,
                      "milvus_cdc: task %V: %V waits at offset %L (%s)",
                      &e->task.task_id, &sc->name, offset,
                      ngx_http_milvus_cdc_msg_type_name(h.type));
    }

    (void) ngx_http_milvus_cdc_kafka_pause(e->kafka, &sc->name);
}


/* the waiting messages, again; NGX_OK when no pchannel waits any more */

static ngx_int_t
ngx_http_milvus_cdc_engine_unblock(ngx_http_milvus_cdc_engine_t *e)
{
    ngx_int_t                     rc, waiting;
    ngx_uint_t                    i;
    ngx_http_milvus_cdc_schan_t  *sc;

    sc = e->schans.elts;
    waiting = 0;

    for (i = 0; i < e->schans.nelts; i++) {
        if (!sc[i].blocked) {
            continue;
        }

        rc = ngx_http_milvus_cdc_engine_process(e, &sc[i], sc[i].held_offset,
                                                sc[i].held.data,
                                                sc[i].held.len);
        if (rc == NGX_AGAIN) {
            waiting = 1;
            continue;
        }

        if (rc == NGX_ERROR) {
            ngx_http_milvus_cdc_engine_lost(e, &sc[i], sc[i].held_offset,
                                            sc[i].held.data, sc[i].held.len);
            return NGX_ERROR;
        }

        ngx_free(sc[i].held.data);
        ngx_str_null(&sc[i].held);
        sc[i].blocked = 0;

        if (ngx_http_milvus_cdc_kafka_assign(e->kafka, &sc[i].name,
                                             sc[i].held_offset + 1, &sc[i])
            != NGX_OK
            || ngx_http_milvus_cdc_kafka_resume(e->kafka, &sc[i].name)
               != NGX_OK)
        {
            ngx_http_milvus_cdc_engine_fail(e, "fail to read the source log "
                                            "%V", &sc[i].name);
            return NGX_ERROR;
        }
    }

    (void) waiting;

    return NGX_OK;
}


/*
 * A message could not be replicated (the path that failed may not have
 * said why): the task pauses rather than skip it, since a later
 * checkpoint would move past it.
 */

static void
ngx_http_milvus_cdc_engine_lost(ngx_http_milvus_cdc_engine_t *e,
    ngx_http_milvus_cdc_schan_t *sc, int64_t offset, u_char *data, size_t len)
{
    ngx_http_milvus_cdc_msg_header_t  h;

    if (e->state == ENGINE_FAILED) {
        return;
    }

    ngx_memzero(&h, sizeof(h));
    (void) ngx_http_milvus_cdc_msg_header(data, len, &h);

    ngx_http_milvus_cdc_engine_fail(e, "fail to replicate the %s at offset "
                                    "%L of %V",
                                    ngx_http_milvus_cdc_msg_type_name(h.type),
                                    offset, &sc->name);
}


/* the task pauses with a reason the API shows */

static void
ngx_http_milvus_cdc_engine_fail(ngx_http_milvus_cdc_engine_t *e,
    const char *fmt, ...)
{
    u_char     *p;
    va_list     args;
    ngx_int_t   prev;
    ngx_str_t   reason;
    u_char      buf[512];

    if (e->state == ENGINE_FAILED) {
        return;
    }

    e->state = ENGINE_FAILED;

    va_start(args, fmt);
    p = ngx_vslprintf(buf, buf + sizeof(buf), fmt, args);
    va_end(args);

    reason.data = buf;
    reason.len = p - buf;

    ngx_log_error(NGX_LOG_ERR, e->log, 0,
                  "milvus_cdc: task %V: paused: %V", &e->task.task_id,
                  &reason);

    (void) ngx_http_milvus_cdc_store_set_state(e->store, &e->task.task_id,
                                        1 << NGX_HTTP_MILVUS_CDC_RUNNING,
                                        NGX_HTTP_MILVUS_CDC_PAUSED, &reason,
                                        &prev);
}


/*
 * A target call failed in transport (the target is down or restarting):
 * it is retried.  The first failures are logged one by one, then one line
 * per ENGINE_TROUBLE_LOG ms; while it lasts, the task stays Running with a
 * reason naming it (rewritten every ENGINE_TROUBLE_SHOW ms with the count).
 */

static void
ngx_http_milvus_cdc_engine_trouble(ngx_http_milvus_cdc_engine_t *e,
    ngx_str_t *call, ngx_str_t *on, ngx_http_milvus_cdc_grpc_result_t *res)
{
    u_char      *p;
    ngx_int_t    prev;
    ngx_str_t    reason, none;
    ngx_tm_t     tm;
    u_char       buf[512];

    if (e->state == ENGINE_FAILED) {
        return;
    }

    ngx_str_null(&none);

    if (on == NULL) {
        on = &none;
    }

    if (e->trouble == 0) {
        e->trouble = ngx_current_msec;
        e->trouble_at = ngx_time();
        e->trouble_n = 0;
        e->trouble_logged = 0;
        e->trouble_shown = 0;
    }

    e->trouble_n++;

    if (e->trouble_n <= ENGINE_TROUBLE_LOGGED
        || ngx_current_msec - e->trouble_logged >= ENGINE_TROUBLE_LOG)
    {
        ngx_log_error(NGX_LOG_WARN, e->log, 0,
                      "milvus_cdc: task %V: %V%s%V on the target failed: "
                      "%s: %V, retrying (%ui failures in %M ms)",
                      &e->task.task_id, call, on->len ? " of " : "", on,
                      ngx_http_milvus_cdc_grpc_status_name(res->status),
                      &res->details, e->trouble_n,
                      ngx_current_msec - e->trouble);
        e->trouble_logged = ngx_current_msec;
    }

    if (e->trouble_shown
        && ngx_current_msec - e->trouble_shown < ENGINE_TROUBLE_SHOW)
    {
        return;
    }

    e->trouble_shown = ngx_current_msec;

    ngx_gmtime(e->trouble_at, &tm);

    p = ngx_slprintf(buf, buf + sizeof(buf),
                     "target %s since %4d-%02d-%02dT%02d:%02d:%02dZ, "
                     "%ui retries: %V%s%V: %s",
                     (res->status == NGX_HTTP_MILVUS_CDC_GRPC_UNAVAILABLE
                      || res->status
                         == NGX_HTTP_MILVUS_CDC_GRPC_DEADLINE_EXCEEDED)
                     ? "unreachable" : "calls failing",
                     tm.ngx_tm_year, tm.ngx_tm_mon, tm.ngx_tm_mday,
                     tm.ngx_tm_hour, tm.ngx_tm_min, tm.ngx_tm_sec,
                     e->trouble_n, call, on->len ? " of " : "", on,
                     ngx_http_milvus_cdc_grpc_status_name(res->status));

    reason.data = buf;
    reason.len = p - buf;

    (void) ngx_http_milvus_cdc_store_set_state(e->store, &e->task.task_id,
                                        1 << NGX_HTTP_MILVUS_CDC_RUNNING,
                                        NGX_HTTP_MILVUS_CDC_RUNNING, &reason,
                                        &prev);
}


/* a target call went through: the reason of a past failure is cleared */

static void
ngx_http_milvus_cdc_engine_recovered(ngx_http_milvus_cdc_engine_t *e)
{
    ngx_int_t  prev;

    if (e->trouble == 0) {
        return;
    }

    ngx_log_error(NGX_LOG_NOTICE, e->log, 0,
                  "milvus_cdc: task %V: target reachable again after "
                  "%M.%03M s, %ui retries", &e->task.task_id,
                  (ngx_current_msec - e->trouble) / 1000,
                  (ngx_current_msec - e->trouble) % 1000, e->trouble_n);

    e->trouble = 0;

    if (e->state == ENGINE_FAILED || e->trouble_shown == 0) {
        return;
    }

    (void) ngx_http_milvus_cdc_store_set_state(e->store, &e->task.task_id,
                                        1 << NGX_HTTP_MILVUS_CDC_RUNNING,
                                        NGX_HTTP_MILVUS_CDC_RUNNING, NULL,
                                        &prev);
}


/* "<pchannel>_<collection id>v<k>" → k, or -1 */

static ngx_int_t
ngx_http_milvus_cdc_engine_shard(ngx_str_t *vchannel)
{
    u_char  *p, *last;

    last = vchannel->data + vchannel->len;

    for (p = last; p > vchannel->data && p[-1] >= '0' && p[-1] <= '9'; p--) {
        /* void */
    }

    if (p == last || p == vchannel->data || p[-1] != 'v') {
        return NGX_ERROR;
    }

    return ngx_atoi(p, last - p);
}

