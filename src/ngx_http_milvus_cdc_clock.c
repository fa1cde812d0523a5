
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 *
 * The timestamps and msgIDs messages get on the target (pure: no I/O;
 * see ngx_http_milvus_cdc_clock.h).
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_milvus_cdc_clock.h"


ngx_int_t
ngx_http_milvus_cdc_clock_init(ngx_http_milvus_cdc_clock_t *clk,
    ngx_pool_t *pool, ngx_log_t *log, ngx_str_t *task_id, ngx_str_t *name,
    uint64_t saved)
{
    ngx_memzero(clk, sizeof(ngx_http_milvus_cdc_clock_t));

    clk->pool = pool;
    clk->log = log;
    clk->task_id = task_id;
    clk->name = name;

    /* never below what an earlier run sent there */

    clk->last_ts = saved;
    clk->last_tick = saved;
    clk->replay_ts = saved;

    return ngx_array_init(&clk->feeds, pool, 4,
                          sizeof(ngx_http_milvus_cdc_feed_t));
}


void
ngx_http_milvus_cdc_ids_init(ngx_http_milvus_cdc_ids_t *ids, int64_t salt)
{
    ids->last = 0;
    ids->salt = salt & 0xff;
    ids->epoch = 0;
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

int64_t
ngx_http_milvus_cdc_ids_new(ngx_http_milvus_cdc_ids_t *ids)
{
    int64_t     now;
    ngx_time_t *tp;

    tp = ngx_timeofday();
    now = ((int64_t) tp->sec * 1000 + tp->msec) << 10;

    ids->last = now > ids->last ? now : ids->last + 1;

    return (ids->last << 8) | ids->salt;
}


/*
 * The msgID of a source Insert or Delete on the target: one per source
 * msgID and run (splitmix64 of the two), so that a message the source log
 * holds twice (a producer's retry) still has one id and the target keeps
 * one copy, while the copy sent again by a later run has another id (see
 * above).  Spread over 63 bits, it meets an id of the clock above with a
 * chance of about 2^-63 a pair.
 */

int64_t
ngx_http_milvus_cdc_ids_of(ngx_http_milvus_cdc_ids_t *ids,
    int64_t source_id)
{
    uint64_t  z;

    if (ids->epoch == 0) {
        ids->epoch = (uint64_t) ngx_http_milvus_cdc_ids_new(ids);
    }

    z = (uint64_t) source_id ^ ids->epoch;

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

uint64_t
ngx_http_milvus_cdc_clock_stamp(ngx_http_milvus_cdc_clock_t *clk,
    void *key, uint64_t src)
{
    uint64_t                      out;
    ngx_uint_t                    i;
    ngx_http_milvus_cdc_feed_t   *f;
    ngx_http_milvus_cdc_stamp_t  *st;

    f = ngx_http_milvus_cdc_clock_feed(clk, key);
    if (f == NULL) {
        return src;
    }

    f->seen = ngx_current_msec;
    st = f->open.elts;

    for (i = 0; i < f->open.nelts; i++) {
        if (st[i].src != src) {
            continue;
        }

        if (st[i].out > clk->last_tick) {
            return st[i].out;
        }

        /* cannot happen: t's TimeTick stays below the open stamps */

        ngx_log_error(NGX_LOG_ALERT, clk->log, 0,
                      "milvus_cdc: task %V: %V: timestamp %uL given %uL "
                      "again after TimeTick %uL",
                      clk->task_id, clk->name, src, st[i].out,
                      clk->last_tick);
        break;
    }

    out = src;

    if (out <= f->last_out) {
        out = f->last_out + 1;
    }

    if (out <= clk->last_tick) {
        out = clk->last_tick + 1;
    }

    if (out <= clk->floor) {
        out = clk->floor + 1;
    }

    f->last_out = out;

    if (out > clk->last_ts) {
        clk->last_ts = out;
    }

    if (!f->fed) {
        return out;
    }

    if (f->open.nelts == NGX_HTTP_MILVUS_CDC_CLOCK_OPEN_MAX) {
        ngx_log_error(NGX_LOG_WARN, clk->log, 0,
                      "milvus_cdc: task %V: %V: %ui timestamps without a "
                      "TimeTick of their source pchannel, the oldest "
                      "forgotten", clk->task_id, clk->name,
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

uint64_t
ngx_http_milvus_cdc_clock_tick(ngx_http_milvus_cdc_clock_t *clk,
    void *key, uint64_t src)
{
    uint64_t                      min, v;
    ngx_uint_t                    i, n;
    ngx_http_milvus_cdc_feed_t   *f, *feeds;
    ngx_http_milvus_cdc_stamp_t  *st;

    f = ngx_http_milvus_cdc_clock_feed(clk, key);
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
    feeds = clk->feeds.elts;

    for (i = 0; i < clk->feeds.nelts; i++) {
        v = feeds[i].tick;

        if (feeds[i].open.nelts) {
            st = feeds[i].open.elts;

            if (v == 0 || st[0].out - 1 < v) {
                v = st[0].out - 1;
            }

        } else if (v == 0 || ngx_current_msec - feeds[i].seen
                                      > NGX_HTTP_MILVUS_CDC_CLOCK_SILENT) {
            continue;
        }

        if (min == 0 || v < min) {
            min = v;
        }
    }

    if (min <= clk->last_tick || min <= clk->floor) {
        return 0;
    }

    clk->last_tick = min;

    if (min > clk->last_ts) {
        clk->last_ts = min;
    }

    return min;
}


/*
 * Rows the target held before the task (an earlier task's, a restore):
 * their timestamps are unknown but not later than "floor" (see the
 * header); what the task sends from now on is stamped above it and no
 * TimeTick at or below it is sent, so that a replayed Insert's Delete
 * hides every copy already there.  The stamps still open keep what they
 * got: an upsert's Insert and Delete stay equal.
 */

void
ngx_http_milvus_cdc_clock_floor(ngx_http_milvus_cdc_clock_t *clk,
    uint64_t floor)
{
    if (floor > clk->floor) {
        clk->floor = floor;
    }

    if (floor > clk->replay_ts) {
        clk->replay_ts = floor;
    }
}


uint64_t
ngx_http_milvus_cdc_clock_idle(ngx_http_milvus_cdc_clock_t *clk,
    uint64_t now)
{
    uint64_t                      v;
    ngx_uint_t                    i;
    ngx_http_milvus_cdc_feed_t   *feeds;
    ngx_http_milvus_cdc_stamp_t  *st;

    v = now;
    feeds = clk->feeds.elts;

    for (i = 0; i < clk->feeds.nelts; i++) {
        if (feeds[i].open.nelts) {
            st = feeds[i].open.elts;

            if (st[0].out - 1 < v) {
                v = st[0].out - 1;
            }
        }
    }

    if (v <= clk->last_tick || v <= clk->floor) {
        return 0;
    }

    clk->last_tick = v;

    if (v > clk->last_ts) {
        clk->last_ts = v;
    }

    return v;
}


/* TimeTicks sent while the task was Paused: stamps and TimeTicks above */

void
ngx_http_milvus_cdc_clock_ticked(ngx_http_milvus_cdc_clock_t *clk,
    uint64_t tick)
{
    if (tick > clk->floor) {
        clk->floor = tick;
    }
}


ngx_http_milvus_cdc_feed_t *
ngx_http_milvus_cdc_clock_feed(ngx_http_milvus_cdc_clock_t *clk,
    void *key)
{
    ngx_uint_t                   i;
    ngx_http_milvus_cdc_feed_t  *f;

    f = clk->feeds.elts;

    for (i = 0; i < clk->feeds.nelts; i++) {
        if (f[i].key == key) {
            return &f[i];
        }
    }

    f = ngx_array_push(&clk->feeds);
    if (f == NULL) {
        return NULL;
    }

    ngx_memzero(f, sizeof(ngx_http_milvus_cdc_feed_t));
    f->key = key;

    if (ngx_array_init(&f->open, clk->pool, 8,
                       sizeof(ngx_http_milvus_cdc_stamp_t))
        != NGX_OK)
    {
        clk->feeds.nelts--;
        return NULL;
    }

    return f;
}
