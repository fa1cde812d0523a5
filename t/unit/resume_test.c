
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 *
 * Unit tests of src/ngx_http_milvus_cdc_resume.c: the offset a source
 * pchannel is read again from after a restart never splits a group of
 * messages with one source timestamp (an upsert's Insert and Delete).
 * The cases that lost rows on the bench, then a randomized comparison with
 * a brute-force oracle over logs shaped like Milvus's (proxies' tasks
 * interleaved, TimeTicks that may lag behind written messages).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <stdlib.h>

#include "ngx_http_milvus_cdc_resume.h"
#include "unit.h"


#define LOG_MAX  4096


/* one message of a source pchannel: DML with a timestamp, or a TimeTick */
typedef struct {
    uint64_t   ts;
    int        tick;
} log_msg_t;


static ngx_http_milvus_cdc_resume_group_t  groups[LOG_MAX];


static void
test_upsert_split_by_tick(void)
{
    ngx_http_milvus_cdc_resume_t  r;

    ngx_http_milvus_cdc_resume_init(&r, groups, 64);

    /* offset 5 Insert at 100, 6 TimeTick 90, 7 Delete at 100, 8 TT 110 */

    ngx_http_milvus_cdc_resume_add(&r, 100, 5);
    ngx_unit_is(ngx_http_milvus_cdc_resume_tick(&r, 90, 6), 5,
                "a TimeTick below an upsert's Insert: read again from the "
                "Insert");

    ngx_http_milvus_cdc_resume_add(&r, 100, 7);
    ngx_unit_is(ngx_http_milvus_cdc_resume_tick(&r, 110, 8), 9,
                "the TimeTick above the upsert: after it");
    ngx_unit_is(r.n, 0, "nothing kept once the upsert is behind");
}


static void
test_closed_groups(void)
{
    ngx_http_milvus_cdc_resume_t  r;

    ngx_http_milvus_cdc_resume_init(&r, groups, 64);

    ngx_unit_is(ngx_http_milvus_cdc_resume_tick(&r, 10, 0), 1,
                "no message: after the TimeTick");

    ngx_http_milvus_cdc_resume_add(&r, 50, 1);
    ngx_http_milvus_cdc_resume_add(&r, 50, 2);
    ngx_unit_is(ngx_http_milvus_cdc_resume_tick(&r, 60, 3), 4,
                "an upsert below the TimeTick: after the TimeTick");
}


static void
test_straddling_closed_group(void)
{
    ngx_http_milvus_cdc_resume_t  r;

    ngx_http_milvus_cdc_resume_init(&r, groups, 64);

    /* two proxies interleaved: 1 Insert@5, 2 Insert@7, 3 Delete@5, TT 6 */

    ngx_http_milvus_cdc_resume_add(&r, 5, 1);
    ngx_http_milvus_cdc_resume_add(&r, 7, 2);
    ngx_http_milvus_cdc_resume_add(&r, 5, 3);

    ngx_unit_is(ngx_http_milvus_cdc_resume_tick(&r, 6, 4), 1,
                "a closed upsert around an open message's offset is read "
                "again whole");
}


static void
test_full_table(void)
{
    ngx_http_milvus_cdc_resume_t  r;

    ngx_http_milvus_cdc_resume_init(&r, groups, 2);

    ngx_http_milvus_cdc_resume_add(&r, 10, 1);
    ngx_http_milvus_cdc_resume_add(&r, 20, 2);
    ngx_http_milvus_cdc_resume_add(&r, 30, 3);

    ngx_unit_is(r.merged, 1, "a full table merges its two oldest groups");
    ngx_unit_is(r.n, 2, "two entries left");

    ngx_unit_is(ngx_http_milvus_cdc_resume_tick(&r, 15, 4), 1,
                "a merged range is read again from its first offset "
                "(earlier than needed, never later)");

    ngx_http_milvus_cdc_resume_add(&r, 15, 5);
    ngx_unit_is(r.n, 2, "a timestamp inside a merged range joins it");
}


/*
 * The largest x <= offset + 1 such that no message before x is above the
 * TimeTick "ts" and no two messages with one timestamp lie on both sides
 * of x (messages log[from..offset - 1]).
 */

static int64_t
oracle(log_msg_t *log, int64_t from, int64_t offset, uint64_t ts)
{
    int64_t  x, i, j;
    int      ok;

    for (x = offset + 1; x > from; x--) {
        ok = 1;

        for (i = from; ok && i < x && i < offset; i++) {
            if (log[i].tick) {
                continue;
            }

            if (log[i].ts > ts) {
                ok = 0;
                break;
            }

            for (j = x; j < offset; j++) {
                if (!log[j].tick && log[j].ts == log[i].ts) {
                    ok = 0;
                    break;
                }
            }
        }

        if (ok) {
            return x;
        }
    }

    return from;
}


/* true when a timestamp has messages on both sides of x */

static int
splits(log_msg_t *log, int64_t n, int64_t x)
{
    int64_t  i, j;

    for (i = 0; i < x && i < n; i++) {
        for (j = x; j < n; j++) {
            if (!log[i].tick && !log[j].tick && log[i].ts == log[j].ts) {
                return 1;
            }
        }
    }

    return 0;
}


/*
 * A log like a Milvus pchannel's: tasks get a timestamp from a clock and
 * write 1-3 messages each, interleaved with other tasks'; a TimeTick is
 * below every unfinished task's timestamp and may lag behind finished ones
 * (Milvus writes no message at or below a TimeTick after it).
 */

static int64_t
make_log(log_msg_t *log, int64_t n, unsigned seed)
{
    int64_t   len;
    uint64_t  clock, last_tick, hi, ts[4];
    int       left[4], i, k;

    srand(seed);

    clock = 1000;
    last_tick = 999;
    len = 0;

    for (i = 0; i < 4; i++) {
        left[i] = 0;
    }

    while (len < n) {
        k = rand() % 6;

        if (k < 4) {
            if (left[k] == 0) {
                ts[k] = ++clock;
                left[k] = 1 + rand() % 3;
            }

            log[len].ts = ts[k];
            log[len].tick = 0;
            left[k]--;
            len++;
            continue;
        }

        /* a TimeTick: below every unfinished task, at or above the last */

        hi = clock;

        for (i = 0; i < 4; i++) {
            if (left[i] && ts[i] - 1 < hi) {
                hi = ts[i] - 1;
            }
        }

        if (hi <= last_tick) {
            continue;
        }

        last_tick += 1 + rand() % (hi - last_tick);

        log[len].ts = last_tick;
        log[len].tick = 1;
        len++;
    }

    return len;
}


static void
test_random_logs(void)
{
    int64_t                        n, i, res, want, prev;
    unsigned                       seed;
    int                            bad, worse, ticks;
    log_msg_t                      log[600];
    ngx_http_milvus_cdc_resume_t   r;

    bad = 0;
    worse = 0;
    ticks = 0;

    for (seed = 1; seed <= 300; seed++) {
        n = make_log(log, 600, seed);
        ngx_http_milvus_cdc_resume_init(&r, groups, LOG_MAX);
        prev = 0;

        for (i = 0; i < n; i++) {
            if (!log[i].tick) {
                ngx_http_milvus_cdc_resume_add(&r, log[i].ts, i);
                continue;
            }

            ticks++;
            res = ngx_http_milvus_cdc_resume_tick(&r, log[i].ts, i);
            want = oracle(log, prev, i, log[i].ts);

            if (res > i + 1 || splits(log, n, res)) {
                if (bad++ < 3) {
                    printf("# seed %u: resume %lld splits a group (tick at "
                           "%lld)\n", seed, (long long) res, (long long) i);
                }
            }

            if (res != want || res < prev) {
                if (worse++ < 3) {
                    printf("# seed %u: resume %lld, the oracle says %lld "
                           "(tick at %lld, previous %lld)\n", seed,
                           (long long) res, (long long) want, (long long) i,
                           (long long) prev);
                }
            }

            prev = res;
        }
    }

    ngx_unit_ok(ticks > 1000, "random logs: %d TimeTicks checked", ticks);
    ngx_unit_is(bad, 0, "no resume offset splits a group, even with the "
                "messages that came after the TimeTick");
    ngx_unit_is(worse, 0, "each is the latest offset that splits none, and "
                "never goes back");
}


static void
test_random_logs_small_table(void)
{
    int64_t                        n, i, res;
    unsigned                       seed;
    int                            bad;
    log_msg_t                      log[600];
    ngx_http_milvus_cdc_resume_t   r;

    bad = 0;

    for (seed = 1; seed <= 100; seed++) {
        n = make_log(log, 600, seed);
        ngx_http_milvus_cdc_resume_init(&r, groups, 3);

        for (i = 0; i < n; i++) {
            if (!log[i].tick) {
                ngx_http_milvus_cdc_resume_add(&r, log[i].ts, i);
                continue;
            }

            res = ngx_http_milvus_cdc_resume_tick(&r, log[i].ts, i);

            if (res > i + 1 || splits(log, n, res)) {
                bad++;
            }
        }
    }

    ngx_unit_is(bad, 0, "with a table of 3 entries (merges), no resume "
                "offset splits a group either");
}


int
main(void)
{
    test_upsert_split_by_tick();
    test_closed_groups();
    test_straddling_closed_group();
    test_full_table();
    test_random_logs();
    test_random_logs_small_table();

    return ngx_unit_done();
}
