
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 */


#ifndef _NGX_HTTP_MILVUS_CDC_CLOCK_H_INCLUDED_
#define _NGX_HTTP_MILVUS_CDC_CLOCK_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


/*
 * The engine's clocks: the TSO timestamps (MsgBase.timestamp, milvus-proto
 * common.proto; (physical ms << 18) | logical) that messages and TimeTicks
 * get on one target pchannel, and the msgIDs (MsgBase.msgID) that the
 * Inserts and Deletes sent to the target get.  Pure logic: no I/O; memory
 * only from the pool given to ngx_http_milvus_cdc_clock_init() (arrays
 * that grow to their peak).  Unit-tested in t/unit/clock_test.c.
 *
 * Why these rules: docs/engine.md, "Timestamps" and "Message ids".
 */


/* most open stamps per feed; beyond it the oldest is forgotten (warned) */
/* bits of a hybrid TSO timestamp below its physical part (unix ms) */
#define NGX_HTTP_MILVUS_CDC_CLOCK_LOGICAL_BITS  18

#define NGX_HTTP_MILVUS_CDC_CLOCK_OPEN_MAX   4096

/*
 * ms: how far the clock of the source (or of whatever wrote the target's
 * rows) may be ahead of this host's; added to the time now for a floor
 */
#define NGX_HTTP_MILVUS_CDC_CLOCK_SKEW       1000

/*
 * ms: a feed whose source pchannel sent no message nor TimeTick for this
 * long carries no live collection and does not hold the target pchannel's
 * TimeTick back (unless it has open stamps)
 */
#define NGX_HTTP_MILVUS_CDC_CLOCK_SILENT     10000


/* a source timestamp and the target timestamp its messages got */
typedef struct {
    uint64_t                         src;
    uint64_t                         out;
} ngx_http_milvus_cdc_stamp_t;


/*
 * A source pchannel feeding a target pchannel ("key" names the source
 * pchannel; the clock only compares it): the last timestamp given to its
 * messages there; the open stamps, those above the source pchannel's last
 * TimeTick, in the order given (their messages may still have siblings to
 * come: equal source timestamps get equal target ones); its TimeTick
 * there; when it was last heard of (ngx_current_msec).  "fed": the source
 * pchannel's TimeTicks reach this target pchannel (a collection's shard
 * maps one to the other); other feeds only carry the copies of a broadcast
 * drop and keep no open stamps.
 */
typedef struct {
    void                            *key;
    uint64_t                         last_out;
    uint64_t                         tick;
    ngx_msec_t                       seen;
    ngx_array_t                      open;       /* stamp_t */
    unsigned                         fed:1;
} ngx_http_milvus_cdc_feed_t;


/*
 * The clock of one target pchannel.
 *
 *   last_ts    the last timestamp given out (message or TimeTick)
 *   last_tick  the last TimeTick given out
 *   replay_ts  the last timestamp of the run before (from the store's
 *              target_ts): a message stamped at or below it may be on the
 *              target already
 *   floor      0, or the timestamp that rows the target held before the
 *              task are not later than (ngx_http_milvus_cdc_clock_floor),
 *              or the last TimeTick sent while the task was Paused
 *              (ngx_http_milvus_cdc_clock_ticked): new stamps and
 *              TimeTicks go above it
 *   feeds      feed_t, one per source pchannel heard of
 *   name, task_id, log   for the one warning and one alert it logs
 */
typedef struct {
    uint64_t                         last_ts;
    uint64_t                         last_tick;
    uint64_t                         replay_ts;
    uint64_t                         floor;
    ngx_array_t                      feeds;
    ngx_pool_t                      *pool;
    ngx_log_t                       *log;
    ngx_str_t                       *task_id;
    ngx_str_t                       *name;
} ngx_http_milvus_cdc_clock_t;


/*
 * The msgIDs of one task's run.
 *
 *   last   the last id of the TSO-like clock given out
 *   salt   0..255, the low byte of the task id's crc32: two tasks writing
 *          to one target pchannel get other ids
 *   epoch  of this run: the first id of the clock, taken on first use
 */
typedef struct {
    int64_t                          last;
    int64_t                          salt;
    uint64_t                         epoch;
} ngx_http_milvus_cdc_ids_t;


/*
 * Starts clk at "saved" (the target pchannel's last timestamp of the run
 * before, 0 for none): last_ts, last_tick and replay_ts all take it.
 * task_id and name must live as long as clk.  NGX_OK or NGX_ERROR (no
 * memory).
 */
ngx_int_t ngx_http_milvus_cdc_clock_init(ngx_http_milvus_cdc_clock_t *clk,
    ngx_pool_t *pool, ngx_log_t *log, ngx_str_t *task_id, ngx_str_t *name,
    uint64_t saved);

/*
 * The feed of source pchannel "key" into clk, added on first use.  NULL
 * only when out of memory.
 */
ngx_http_milvus_cdc_feed_t *ngx_http_milvus_cdc_clock_feed(
    ngx_http_milvus_cdc_clock_t *clk, void *key);

/*
 * The target timestamp of a message of feed "key" with source timestamp
 * "src": src itself, unless that is not above the last one given to the
 * feed's messages or clk's last TimeTick: then just above.  A source
 * timestamp still open in a fed feed gets what it got before, so an
 * upsert's Insert and Delete stay equal.  Out of memory: the timestamp,
 * not remembered as open.
 */
uint64_t ngx_http_milvus_cdc_clock_stamp(ngx_http_milvus_cdc_clock_t *clk,
    void *key, uint64_t src);

/*
 * A source TimeTick "src" of feed "key": closes the feed's stamps at or
 * below it; the feed's TimeTick becomes just below its oldest open stamp,
 * or src (never below what its messages got).  Returns the TimeTick to
 * send on clk's target pchannel, the oldest of its live feeds', or 0 when
 * that would not advance.
 */
uint64_t ngx_http_milvus_cdc_clock_tick(ngx_http_milvus_cdc_clock_t *clk,
    void *key, uint64_t src);

/*
 * A collection on the target before the task (an earlier task's rows, a
 * restore) feeds clk: nothing it holds is stamped later than "floor" (a
 * TSO timestamp; the caller gives the time now plus
 * NGX_HTTP_MILVUS_CDC_CLOCK_SKEW).  From then on a new stamp is above
 * floor, no TimeTick at or below it is given out, and replay_ts is at
 * least floor.  Stamps still open keep theirs.  Raises only; never fails.
 */
void ngx_http_milvus_cdc_clock_floor(ngx_http_milvus_cdc_clock_t *clk,
    uint64_t floor);

/*
 * A TimeTick for clk's target pchannel while the source sends none (it
 * or its log is down): "now" (a TSO of the time now), or just below the
 * oldest open stamp of a feed if that is lower (an upsert's other half
 * may still come).  Returns 0 when that would not advance the last
 * TimeTick (or not pass the floor).  The messages read later are stamped
 * above it.
 */
uint64_t ngx_http_milvus_cdc_clock_idle(ngx_http_milvus_cdc_clock_t *clk,
    uint64_t now);

/*
 * The last TimeTick "tick" (TSO) sent to clk's target pchannel while the
 * task was Paused (standby.c, the store's target_ticks; 0: none): a floor
 * like ngx_http_milvus_cdc_clock_floor()'s, without raising replay_ts,
 * since no row was sent with it.  Raises only; never fails.
 */
void ngx_http_milvus_cdc_clock_ticked(ngx_http_milvus_cdc_clock_t *clk,
    uint64_t tick);

/* ids: starts a run's ids; salt 0..255 (see ngx_http_milvus_cdc_ids_t) */
void ngx_http_milvus_cdc_ids_init(ngx_http_milvus_cdc_ids_t *ids,
    int64_t salt);

/*
 * A new msgID for a message the CDC makes (the Delete of a replay): ms of
 * ngx_timeofday() << 10, one more per id when faster, << 8 | salt.  A
 * positive int64 of about 2^59.
 */
int64_t ngx_http_milvus_cdc_ids_new(ngx_http_milvus_cdc_ids_t *ids);

/*
 * The msgID on the target of the source Insert or Delete "source_id"
 * (its MsgBase.msgID): splitmix64 of it and the run's epoch, 63 bits, never
 * 0; the same for the same source_id within a run.
 */
int64_t ngx_http_milvus_cdc_ids_of(ngx_http_milvus_cdc_ids_t *ids,
    int64_t source_id);


#endif /* _NGX_HTTP_MILVUS_CDC_CLOCK_H_INCLUDED_ */
