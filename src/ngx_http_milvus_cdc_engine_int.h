
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 *
 * The engine's private header: the types its layers share and the
 * functions each layer offers the others.  Only src/ngx_http_milvus_cdc_
 * {engine,registry,source,ops,writer}.c include it; the public interface
 * is include/ngx_http_milvus_cdc_engine.h.  docs/engine.md says which file
 * owns what.
 */


#ifndef _NGX_HTTP_MILVUS_CDC_ENGINE_INT_H_INCLUDED_
#define _NGX_HTTP_MILVUS_CDC_ENGINE_INT_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_milvus_cdc.h"
#include "ngx_http_milvus_cdc_clock.h"
#include "ngx_http_milvus_cdc_engine.h"
#include "ngx_http_milvus_cdc_grpc.h"
#include "ngx_http_milvus_cdc_json.h"
#include "ngx_http_milvus_cdc_kafka.h"
#include "ngx_http_milvus_cdc_meta.h"
#include "ngx_http_milvus_cdc_msg.h"
#include "ngx_http_milvus_cdc_resume.h"
#include "ngx_http_milvus_cdc_writer.h"



#define ENGINE_RPC_TIMEOUT      NGX_HTTP_MILVUS_CDC_WRITER_TIMEOUT
#define ENGINE_RETRY_DELAY      NGX_HTTP_MILVUS_CDC_WRITER_RETRY
#define ENGINE_REFUSALS         NGX_HTTP_MILVUS_CDC_WRITER_REFUSALS
#define ENGINE_META_PERIOD      2000      /* ms, source metadata refresh */
#define ENGINE_COMMIT_PERIOD    1000      /* ms, checkpoints without data */
#define ENGINE_POLL_MAX         20000     /* Kafka records per slice */
#define ENGINE_END_TIMEOUT      500       /* ms, a pchannel's end offset */
#define ENGINE_END_RETRY        5000      /* ms, after brokers did not answer */
#define ENGINE_GROUPS_MAX       1024      /* resume groups per pchannel */
#define ENGINE_SOURCE_SILENT    5000      /* ms without a source TimeTick:
                                             the target is ticked by time */
#define ENGINE_IDLE_PERIOD      1000      /* ms between those TimeTicks */

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


/* the next step of ensuring a collection on the target (registry.c) */
typedef enum {
    NGX_HTTP_MILVUS_CDC_STEP_DATABASE = 0,  /* CreateDatabase */
    NGX_HTTP_MILVUS_CDC_STEP_COLLECTION,    /* HasCollection, then
                                               CreateCollection */
    NGX_HTTP_MILVUS_CDC_STEP_DESCRIBE,      /* DescribeCollection: ids,
                                               vchannels */
    NGX_HTTP_MILVUS_CDC_STEP_PARTITIONS,    /* ShowPartitions */
    NGX_HTTP_MILVUS_CDC_STEP_PARTITION,     /* CreatePartition of the
                                               first one missing, or
                                               ready */
    NGX_HTTP_MILVUS_CDC_STEP_RENAME         /* RenameCollection from
                                               old_db.old_name */
} ngx_http_milvus_cdc_step_e;


/* where the target call of a forwarded drop is (ops.c) */
typedef enum {
    NGX_HTTP_MILVUS_CDC_DROP_NONE = 0,      /* none made yet */
    NGX_HTTP_MILVUS_CDC_DROP_RELEASING,     /* ReleasePartitions made */
    NGX_HTTP_MILVUS_CDC_DROP_DROPPING       /* DropPartition or
                                               DropCollection made */
} ngx_http_milvus_cdc_drop_e;


/* a reply that is a common.Status only, decoded as DropDatabase's */
#define NGX_HTTP_MILVUS_CDC_ENGINE_STATUS_REPLY                              \
    NGX_HTTP_MILVUS_CDC_MSG_RPC_DROP_DATABASE

/* collection names a replicated call may carry (CreateIndex: 1) */
#define NGX_HTTP_MILVUS_CDC_ENGINE_RPC_NAMES  8


typedef struct ngx_http_milvus_cdc_pack_s   ngx_http_milvus_cdc_pack_t;


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
    ngx_msec_t                       held_at;    /* waits since (reset while
                                                    the target fails or,
                                                    for the replicate
                                                    channel, data moves) */
    unsigned                         held_logged:1;
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
    ngx_http_milvus_cdc_step_e       step;        /* ensure: next step */
    ngx_http_milvus_cdc_drop_e       drop_rpc;    /* the drop's call */
    ngx_msec_t                       drop_retry;  /* after a failure */
    ngx_http_milvus_cdc_part_t      *dropping;
    unsigned                         gone:1;      /* Dropping on the source
                                                     when first seen, and
                                                     the task's on the
                                                     target: ensured only
                                                     to be dropped */
    ngx_str_t                        old_db;      /* renamed on the source: */
    ngx_str_t                        old_name;    /* its name on the target */
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
    ngx_http_milvus_cdc_writer_t           writer;   /* the target
                                                        pchannels */
    ngx_array_t                            colls;    /* coll_t * */
    ngx_array_t                            id_maps;  /* id_map_t */
    ngx_array_t                           *froms;    /* the positions given
                                                        at create (task.h
                                                        task_position_t),
                                                        or NULL */
    int64_t                               *ends;     /* DML pchannels' end
                                                        offsets, taken
                                                        before the first
                                                        snapshot */
    int64_t                               *lows;     /* their oldest kept */
    ngx_uint_t                             ends_warned;
    ngx_msec_t                             heard_at; /* the last source
                                                        TimeTick read */
    ngx_msec_t                             idle_at;  /* next TimeTick by
                                                        time, 0: heard */

    ngx_uint_t                             state;
    ngx_msec_t                             meta_at;  /* next refresh */
    ngx_msec_t                             stop_at;
    ngx_http_milvus_cdc_coll_t            *ddl;      /* being ensured */
    ngx_http_milvus_cdc_grpc_call_t       *ddl_call;  /* or a drop's */
    ngx_http_milvus_cdc_coll_t            *drop_coll; /* whose drop it is */
    ngx_uint_t                             meta_busy;
    ngx_uint_t                             meta_gen; /* snapshots seen */
    ngx_msec_t                             moved_at; /* a DML checkpoint
                                                        moved last */

    ngx_http_milvus_cdc_grpc_call_t       *rep_call; /* replicate channel */
    int64_t                                rep_offset; /* of the call in
                                                          flight, -1 none */
    int64_t                                rep_done; /* the offset whose
                                                        call went through,
                                                        -1 none */
    ngx_msec_t                             rep_retry;
    ngx_uint_t                             rep_reply; /* its reply type */
    ngx_uint_t                             rep_type;  /* its message type */
    ngx_uint_t                             rep_refused; /* refusals in a
                                                           row */
    ngx_str_t                              rep_what;  /* "<Method> of
                                                         db.name" */
    u_char                                 rep_text[256];

    ngx_uint_t                             stale_reason; /* of a past run */

    ngx_http_milvus_cdc_ids_t              ids;      /* msgIDs given */

    void                                  *aliases;  /* alias.c's */
};


/* engine.c: lifecycle, failing the task */

void ngx_http_milvus_cdc_engine_lost(ngx_http_milvus_cdc_engine_t *e,
    ngx_http_milvus_cdc_schan_t *sc, int64_t offset, u_char *data,
    size_t len);
void ngx_http_milvus_cdc_engine_fail(ngx_http_milvus_cdc_engine_t *e,
    const char *fmt, ...);


/*
 * registry.c: the collections and partitions of the scope; registry_
 * ensure.c: the steps that create them on the target
 */

ngx_int_t ngx_http_milvus_cdc_registry_snapshot(
    ngx_http_milvus_cdc_engine_t *e);
ngx_int_t ngx_http_milvus_cdc_registry_refresh(
    ngx_http_milvus_cdc_engine_t *e);
ngx_int_t ngx_http_milvus_cdc_registry_in_scope(
    ngx_http_milvus_cdc_engine_t *e, ngx_str_t *db, ngx_str_t *name);
ngx_http_milvus_cdc_coll_t *ngx_http_milvus_cdc_registry_coll(
    ngx_http_milvus_cdc_engine_t *e, int64_t id);
void ngx_http_milvus_cdc_registry_ensure(
    ngx_http_milvus_cdc_engine_t *e);
void ngx_http_milvus_cdc_registry_feed(ngx_http_milvus_cdc_engine_t *e,
    ngx_str_t *pchannel, ngx_http_milvus_cdc_tchan_t *t);
ngx_http_milvus_cdc_coll_t *ngx_http_milvus_cdc_registry_by_name(
    ngx_http_milvus_cdc_engine_t *e, ngx_str_t *db, ngx_str_t *name);
ngx_int_t ngx_http_milvus_cdc_registry_shard(ngx_str_t *vchannel);
ngx_int_t ngx_http_milvus_cdc_registry_pending(
    ngx_http_milvus_cdc_engine_t *e);
ngx_int_t ngx_http_milvus_cdc_registry_call(ngx_http_milvus_cdc_engine_t *e,
    ngx_uint_t rpc, ngx_http_milvus_cdc_msg_request_t *rq,
    ngx_http_milvus_cdc_grpc_handler_pt handler);

/* the store's id map of a source collection id, or NULL (ensure.c) */
ngx_http_milvus_cdc_id_map_t *ngx_http_milvus_cdc_registry_id_map(
    ngx_http_milvus_cdc_engine_t *e, int64_t source_id);

/*
 * A RenameCollection went through: the collection takes its new name in
 * the store's id map and its aliases follow (registry.c).  NGX_OK or
 * NGX_ERROR.
 */
ngx_int_t ngx_http_milvus_cdc_registry_rename_done(
    ngx_http_milvus_cdc_engine_t *e, ngx_http_milvus_cdc_coll_t *c);


/*
 * alias.c: the aliases of the scope's collections on the target; its calls
 * use e->ddl_call, one DDL call at a time
 */

void ngx_http_milvus_cdc_alias_sync(ngx_http_milvus_cdc_engine_t *e);
ngx_int_t ngx_http_milvus_cdc_alias_learn(ngx_http_milvus_cdc_engine_t *e,
    ngx_http_milvus_cdc_coll_t *c, ngx_str_t *names, ngx_uint_t n);
ngx_int_t ngx_http_milvus_cdc_alias_renamed(ngx_http_milvus_cdc_engine_t *e,
    ngx_http_milvus_cdc_coll_t *c);


/*
 * source.c: the source pchannels: positions, reading, checkpoints (the only
 * user of the Kafka reader)
 */

ngx_int_t ngx_http_milvus_cdc_source_ends(
    ngx_http_milvus_cdc_engine_t *e);
ngx_int_t ngx_http_milvus_cdc_source_open(
    ngx_http_milvus_cdc_engine_t *e);
ngx_int_t ngx_http_milvus_cdc_source_poll(
    ngx_http_milvus_cdc_engine_t *e, ngx_msec_t deadline);
ngx_http_milvus_cdc_pack_t *ngx_http_milvus_cdc_source_pack(
    ngx_http_milvus_cdc_schan_t *sc);
void ngx_http_milvus_cdc_source_advance(
    ngx_http_milvus_cdc_engine_t *e);
/*
 * The positions the task was created with (the caller's task, read once
 * by engine_create) into e->froms.  NGX_OK or NGX_ERROR.
 */
ngx_int_t ngx_http_milvus_cdc_source_positions(
    ngx_http_milvus_cdc_engine_t *e, ngx_http_milvus_cdc_task_t *task);

/*
 * The first offset of pchannel "name" collection c replicates when the
 * task was created with positions for it, -1 when it was not.
 */
int64_t ngx_http_milvus_cdc_source_from(ngx_http_milvus_cdc_engine_t *e,
    ngx_http_milvus_cdc_coll_t *c, ngx_str_t *name);
ngx_int_t ngx_http_milvus_cdc_source_unblock(
    ngx_http_milvus_cdc_engine_t *e);


/* ops.c: what each source message does to the target */

ngx_int_t ngx_http_milvus_cdc_ops_process(
    ngx_http_milvus_cdc_engine_t *e, ngx_http_milvus_cdc_schan_t *sc,
    int64_t offset, u_char *data, size_t len);


/* writer.c: see src/ngx_http_milvus_cdc_writer.h */


#endif /* _NGX_HTTP_MILVUS_CDC_ENGINE_INT_H_INCLUDED_ */
