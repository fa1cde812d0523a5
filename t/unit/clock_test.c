
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 *
 * Unit tests of src/ngx_http_milvus_cdc_clock.c: the timestamps messages
 * and TimeTicks get on a target pchannel, and the msgIDs.  The cases that
 * lost rows on the bench (an upsert split by a TimeTick, a replay after a
 * restart), equal timestamps, several feeds, feeds silent for 10 s, the
 * cap on open stamps.
 *
 * nginx's development headers hold no objects, so this file supplies what
 * the clock links against: ngx_array_push() (doubling like nginx's, by
 * malloc), ngx_palloc() (malloc, never freed), ngx_log_error_core()
 * (counts the lines), ngx_current_msec and ngx_cached_time (set by the
 * tests).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <stdlib.h>

#include "ngx_http_milvus_cdc_clock.h"
#include "unit.h"


volatile ngx_msec_t       ngx_current_msec;
volatile ngx_time_t      *ngx_cached_time;

static ngx_time_t         now_time;
static int                logged[NGX_LOG_DEBUG + 1];
static ngx_pool_t         pool;
static ngx_log_t          log_;
static ngx_str_t          task_id = ngx_string("t1");
static ngx_str_t          name = ngx_string("by-dev-rootcoord-dml_0");
static int                feed_a, feed_b, feed_c;    /* feeds' keys */


void *
ngx_palloc(ngx_pool_t *p, size_t size)
{
    return malloc(size);
}


void *
ngx_pnalloc(ngx_pool_t *p, size_t size)
{
    return malloc(size);
}


void *
ngx_array_push(ngx_array_t *a)
{
    void  *elts;

    if (a->nelts == a->nalloc) {
        elts = malloc(2 * a->nalloc * a->size);
        if (elts == NULL) {
            return NULL;
        }

        ngx_memcpy(elts, a->elts, a->nelts * a->size);
        a->elts = elts;
        a->nalloc *= 2;
    }

    return (u_char *) a->elts + a->size * a->nelts++;
}


void
ngx_log_error_core(ngx_uint_t level, ngx_log_t *log, ngx_err_t err,
    const char *fmt, ...)
{
    logged[level]++;
}


static void
clock_new(ngx_http_milvus_cdc_clock_t *clk, uint64_t saved)
{
    ngx_http_milvus_cdc_feed_t  *f;

    ngx_unit_is(ngx_http_milvus_cdc_clock_init(clk, &pool, &log_, &task_id,
                                               &name, saved),
                NGX_OK, "clock_init");

    /* feeds a and b carry the TimeTicks of their pchannel; c does not */

    f = ngx_http_milvus_cdc_clock_feed(clk, &feed_a);
    f->fed = 1;
    f = ngx_http_milvus_cdc_clock_feed(clk, &feed_b);
    f->fed = 1;
}


static void
test_equal_timestamps(void)
{
    ngx_http_milvus_cdc_clock_t  clk;

    clock_new(&clk, 0);

    ngx_unit_is(ngx_http_milvus_cdc_clock_stamp(&clk, &feed_a, 100), 100,
                "a message keeps its timestamp");
    ngx_unit_is(ngx_http_milvus_cdc_clock_stamp(&clk, &feed_a, 100), 100,
                "a second message of the same timestamp gets it too");
    ngx_unit_is(ngx_http_milvus_cdc_clock_stamp(&clk, &feed_a, 90), 101,
                "an older timestamp after it: just above (order per feed)");
    ngx_unit_is(ngx_http_milvus_cdc_clock_stamp(&clk, &feed_a, 90), 101,
                "and its sibling the same");
    ngx_unit_is(ngx_http_milvus_cdc_clock_tick(&clk, &feed_a, 120), 120,
                "the TimeTick above both");
    ngx_unit_is(clk.last_ts, 120, "last_ts is the TimeTick");
}


static void
test_upsert_split_by_tick(void)
{
    uint64_t                     ins, tick, del;
    ngx_http_milvus_cdc_clock_t  clk;

    /*
     * the case of session 3: Insert at 100, a TimeTick at 90 read between
     * the Insert and the Delete of one upsert, Delete at 100
     */

    clock_new(&clk, 0);

    ins = ngx_http_milvus_cdc_clock_stamp(&clk, &feed_a, 100);
    tick = ngx_http_milvus_cdc_clock_tick(&clk, &feed_a, 90);
    del = ngx_http_milvus_cdc_clock_stamp(&clk, &feed_a, 100);

    ngx_unit_is(ins, 100, "the upsert's Insert keeps its timestamp");
    ngx_unit_ok(tick != 0 && tick < ins,
                "the TimeTick between them stays below the Insert (%llu)",
                (unsigned long long) tick);
    ngx_unit_is(del, ins, "the Delete gets the Insert's timestamp");
    ngx_unit_is(ngx_http_milvus_cdc_clock_tick(&clk, &feed_a, 110), 110,
                "the TimeTick above the upsert goes through");
    ngx_unit_is(ngx_http_milvus_cdc_clock_stamp(&clk, &feed_a, 100), 111,
                "100 again after a TimeTick above it is a new message");
    ngx_unit_is(logged[NGX_LOG_ALERT], 0, "no alert");
}


static void
test_replay(void)
{
    ngx_http_milvus_cdc_clock_t  clk;

    /* a restart: the run before sent up to 500 to this target pchannel */

    clock_new(&clk, 500);

    ngx_unit_is(clk.replay_ts, 500, "replay_ts is the saved timestamp");
    ngx_unit_is(ngx_http_milvus_cdc_clock_stamp(&clk, &feed_a, 300), 501,
                "a replayed message: just above what was sent");
    ngx_unit_is(ngx_http_milvus_cdc_clock_stamp(&clk, &feed_a, 300), 501,
                "its sibling (the upsert's Delete) the same");
    ngx_unit_is(ngx_http_milvus_cdc_clock_stamp(&clk, &feed_a, 301), 502,
                "the next replayed timestamp: compressed, not shifted");
    ngx_unit_is(ngx_http_milvus_cdc_clock_tick(&clk, &feed_a, 305), 502,
                "the replay's TimeTick: not below its messages");
    ngx_unit_is(ngx_http_milvus_cdc_clock_tick(&clk, &feed_a, 306), 0,
                "a TimeTick that does not advance: none");
    ngx_unit_is(ngx_http_milvus_cdc_clock_stamp(&clk, &feed_a, 600), 600,
                "live again: the source's timestamp");
}


/*
 * A collection the target held before the task: floor 1000 while feed b
 * has an upsert open at 200 (its Insert sent, its Delete to come)
 */

static void
test_floor(void)
{
    ngx_http_milvus_cdc_clock_t  clk;

    clock_new(&clk, 0);

    ngx_unit_is(ngx_http_milvus_cdc_clock_stamp(&clk, &feed_b, 200), 200,
                "an upsert's Insert before the floor");

    ngx_http_milvus_cdc_clock_floor(&clk, 1000);

    ngx_unit_is(clk.replay_ts, 1000, "the floor raises replay_ts");
    ngx_unit_is(ngx_http_milvus_cdc_clock_stamp(&clk, &feed_b, 200), 200,
                "its Delete keeps the Insert's timestamp (still open)");
    ngx_unit_is(ngx_http_milvus_cdc_clock_stamp(&clk, &feed_a, 300), 1001,
                "a message read again: above the floor");
    ngx_unit_is(ngx_http_milvus_cdc_clock_stamp(&clk, &feed_a, 300), 1001,
                "its sibling the same");
    ngx_unit_is(ngx_http_milvus_cdc_clock_tick(&clk, &feed_b, 250), 0,
                "no TimeTick at or below the floor");
    ngx_unit_is(ngx_http_milvus_cdc_clock_tick(&clk, &feed_a, 310), 0,
                "not while another feed's TimeTick is below it");
    ngx_unit_is(ngx_http_milvus_cdc_clock_tick(&clk, &feed_b, 1200), 1001,
                "the TimeTick once every feed is past it");

    ngx_http_milvus_cdc_clock_floor(&clk, 500);

    ngx_unit_is(clk.floor, 1000, "a lower floor does not lower it");
    ngx_unit_is(ngx_http_milvus_cdc_clock_stamp(&clk, &feed_a, 1500), 1500,
                "live again: the source's timestamp");
}


/* the source is down: TimeTicks of the time now, below open stamps */

static void
test_idle(void)
{
    ngx_http_milvus_cdc_clock_t  clk;

    clock_new(&clk, 0);

    ngx_unit_is(ngx_http_milvus_cdc_clock_tick(&clk, &feed_a, 100), 100,
                "a source TimeTick");
    ngx_unit_is(ngx_http_milvus_cdc_clock_stamp(&clk, &feed_b, 150), 150,
                "an upsert's Insert, its Delete still to come");
    ngx_unit_is(ngx_http_milvus_cdc_clock_idle(&clk, 1000), 149,
                "an idle TimeTick stays below the open stamp");
    ngx_unit_is(ngx_http_milvus_cdc_clock_stamp(&clk, &feed_b, 150), 150,
                "the Delete gets the Insert's timestamp");
    ngx_unit_is(ngx_http_milvus_cdc_clock_tick(&clk, &feed_b, 160), 0,
                "feed a's TimeTick (100) holds the target's back");
    ngx_unit_is(ngx_http_milvus_cdc_clock_idle(&clk, 1000), 1000,
                "nothing open: the time now");
    ngx_unit_is(ngx_http_milvus_cdc_clock_idle(&clk, 900), 0,
                "an earlier time does not go back");
    ngx_unit_is(ngx_http_milvus_cdc_clock_stamp(&clk, &feed_a, 500), 1001,
                "what the source sends later: above it");
    ngx_unit_is(ngx_http_milvus_cdc_clock_tick(&clk, &feed_a, 600), 0,
                "a source TimeTick below it: none");
}


static void
test_two_feeds(void)
{
    ngx_http_milvus_cdc_clock_t  clk;

    clock_new(&clk, 0);
    ngx_current_msec = 1000;

    (void) ngx_http_milvus_cdc_clock_stamp(&clk, &feed_a, 100);
    ngx_unit_is(ngx_http_milvus_cdc_clock_tick(&clk, &feed_a, 150), 150,
                "a feed not heard of yet does not hold the TimeTick back");
    ngx_unit_is(ngx_http_milvus_cdc_clock_tick(&clk, &feed_b, 120), 0,
                "a slower feed's TimeTick does not go back");
    ngx_unit_is(ngx_http_milvus_cdc_clock_tick(&clk, &feed_a, 200), 0,
                "the slower feed holds it");
    ngx_unit_is(ngx_http_milvus_cdc_clock_tick(&clk, &feed_b, 210), 200,
                "the oldest of the feeds' TimeTicks");

    (void) ngx_http_milvus_cdc_clock_stamp(&clk, &feed_b, 230);
    ngx_unit_is(ngx_http_milvus_cdc_clock_tick(&clk, &feed_a, 260), 210,
                "the other feed's TimeTick below its open stamp");
    ngx_unit_is(ngx_http_milvus_cdc_clock_tick(&clk, &feed_b, 225), 229,
                "its TimeTick below its open stamp: just below the stamp");
    ngx_unit_is(ngx_http_milvus_cdc_clock_stamp(&clk, &feed_b, 230), 230,
                "its sibling keeps its timestamp above that TimeTick");
}


static void
test_silent_feed(void)
{
    ngx_http_milvus_cdc_clock_t  clk;

    clock_new(&clk, 0);
    ngx_current_msec = 50000;

    (void) ngx_http_milvus_cdc_clock_tick(&clk, &feed_a, 100);
    (void) ngx_http_milvus_cdc_clock_tick(&clk, &feed_b, 100);

    ngx_current_msec += NGX_HTTP_MILVUS_CDC_CLOCK_SILENT;
    ngx_unit_is(ngx_http_milvus_cdc_clock_tick(&clk, &feed_a, 300), 0,
                "a feed silent for exactly 10 s still holds it");

    ngx_current_msec += 1;
    ngx_unit_is(ngx_http_milvus_cdc_clock_tick(&clk, &feed_a, 310), 310,
                "a feed silent for over 10 s does not");

    (void) ngx_http_milvus_cdc_clock_stamp(&clk, &feed_b, 400);
    ngx_current_msec += 3 * NGX_HTTP_MILVUS_CDC_CLOCK_SILENT;
    ngx_unit_is(ngx_http_milvus_cdc_clock_tick(&clk, &feed_a, 500), 0,
                "a silent feed with an open stamp still holds it");
    ngx_unit_is(ngx_http_milvus_cdc_clock_tick(&clk, &feed_b, 450), 450,
                "until its TimeTick closes the stamp");
}


static void
test_unfed(void)
{
    ngx_http_milvus_cdc_clock_t  clk;

    /* the copies of a broadcast drop: a feed without TimeTicks */

    clock_new(&clk, 0);
    ngx_current_msec = 100000;

    (void) ngx_http_milvus_cdc_clock_tick(&clk, &feed_a, 100);
    ngx_unit_is(ngx_http_milvus_cdc_clock_stamp(&clk, &feed_c, 50), 101,
                "a copy below the TimeTick sent: just above");
    ngx_unit_is(ngx_http_milvus_cdc_clock_feed(&clk, &feed_c)->open.nelts,
                0, "an unfed feed keeps no open stamp");
    ngx_unit_is(ngx_http_milvus_cdc_clock_tick(&clk, &feed_a, 200), 200,
                "nor holds the TimeTick back");
}


static void
test_open_max(void)
{
    int                          before;
    uint64_t                     i;
    ngx_http_milvus_cdc_clock_t  clk;

    clock_new(&clk, 0);
    before = logged[NGX_LOG_WARN];

    for (i = 1; i <= NGX_HTTP_MILVUS_CDC_CLOCK_OPEN_MAX + 1; i++) {
        (void) ngx_http_milvus_cdc_clock_stamp(&clk, &feed_a, i * 10);
    }

    ngx_unit_is(ngx_http_milvus_cdc_clock_feed(&clk, &feed_a)->open.nelts,
                NGX_HTTP_MILVUS_CDC_CLOCK_OPEN_MAX,
                "open stamps capped at %d", NGX_HTTP_MILVUS_CDC_CLOCK_OPEN_MAX);
    ngx_unit_is(logged[NGX_LOG_WARN] - before, 1, "and warned once");
    ngx_unit_is(ngx_http_milvus_cdc_clock_tick(&clk, &feed_a, 15), 19,
                "the TimeTick is below the oldest kept (20)");
}


static void
test_ids(void)
{
    int64_t                    a, b, c;
    ngx_http_milvus_cdc_ids_t  ids, other;

    now_time.sec = 1764000000;
    now_time.msec = 5;
    ngx_cached_time = &now_time;

    ngx_http_milvus_cdc_ids_init(&ids, 0x1234);

    a = ngx_http_milvus_cdc_ids_new(&ids);
    b = ngx_http_milvus_cdc_ids_new(&ids);

    ngx_unit_ok(a > 0 && b > a, "ids of the clock grow within one ms");
    ngx_unit_is(a & 0xff, 0x34, "the salt is the low byte");
    ngx_unit_is(a >> 8, ((int64_t) now_time.sec * 1000 + 5) << 10,
                "ms << 10 in the high bits");

    c = ngx_http_milvus_cdc_ids_of(&ids, 42);

    ngx_unit_ok(c > 0, "an id of a source id is positive");
    ngx_unit_is(ngx_http_milvus_cdc_ids_of(&ids, 42), c,
                "the same source id: the same id within a run");
    ngx_unit_ok(ngx_http_milvus_cdc_ids_of(&ids, 43) != c,
                "another source id: another id");

    now_time.msec = 900;
    ngx_http_milvus_cdc_ids_init(&other, 0x1234);

    ngx_unit_ok(ngx_http_milvus_cdc_ids_of(&other, 42) != c,
                "another run: another id for the same source id");
}


int
main(void)
{
    log_.log_level = NGX_LOG_WARN;
    ngx_cached_time = &now_time;

    test_equal_timestamps();
    test_upsert_split_by_tick();
    test_replay();
    test_floor();
    test_idle();
    test_two_feeds();
    test_silent_feed();
    test_unfed();
    test_open_max();
    test_ids();

    return ngx_unit_done();
}
