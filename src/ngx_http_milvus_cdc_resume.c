
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 *
 * The resume offset of a source pchannel: never inside a group of
 * messages that share a source timestamp (see the header).
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_milvus_cdc_resume.h"


static void ngx_http_milvus_cdc_resume_merge(
    ngx_http_milvus_cdc_resume_t *r);
static void ngx_http_milvus_cdc_resume_fold(ngx_http_milvus_cdc_resume_t *r,
    ngx_uint_t into, ngx_uint_t from);
static ngx_http_milvus_cdc_resume_group_t *ngx_http_milvus_cdc_resume_find(
    ngx_http_milvus_cdc_resume_t *r, uint64_t ts);


void
ngx_http_milvus_cdc_resume_init(ngx_http_milvus_cdc_resume_t *r,
    ngx_http_milvus_cdc_resume_group_t *groups, ngx_uint_t max)
{
    r->groups = groups;
    r->n = 0;
    r->max = max;
    r->merged = 0;
    r->floor = 0;
}


void
ngx_http_milvus_cdc_resume_add(ngx_http_milvus_cdc_resume_t *r, uint64_t ts,
    int64_t offset)
{
    ngx_http_milvus_cdc_resume_group_t  *g;

    g = ngx_http_milvus_cdc_resume_find(r, ts);

    if (g == NULL && r->n == r->max) {
        ngx_http_milvus_cdc_resume_merge(r);
        g = ngx_http_milvus_cdc_resume_find(r, ts);
    }

    if (g) {
        if (offset > g->last) {
            g->last = offset;
        }

        return;
    }

    g = &r->groups[r->n++];

    g->ts_min = ts;
    g->ts_max = ts;
    g->first = offset;
    g->last = offset;
}


int64_t
ngx_http_milvus_cdc_resume_tick(ngx_http_milvus_cdc_resume_t *r, uint64_t ts,
    int64_t offset)
{
    int64_t                              res;
    ngx_uint_t                           i, n;
    ngx_http_milvus_cdc_resume_group_t  *g;

    g = r->groups;
    res = offset + 1;

    /* the groups still open at this TimeTick are read again whole */

    for (i = 0; i < r->n; i++) {
        if (g[i].ts_max > ts && g[i].first < res) {
            res = g[i].first;
        }
    }

    /*
     * and so is every group with a message at or after res: ordered by
     * first, one pass from the newest suffices (a group seen before res
     * moved lies wholly after the final res)
     */

    for (i = r->n; i-- > 0; /* void */) {
        if (g[i].first < res && g[i].last >= res) {
            res = g[i].first;
        }
    }

    /* what lies wholly before res cannot be split by a later one */

    n = 0;

    for (i = 0; i < r->n; i++) {
        if (g[i].last >= res) {
            g[n++] = g[i];
        }
    }

    r->n = n;
    r->floor = res;

    return res;
}


/* the table is full: the two oldest groups become one range */

static void
ngx_http_milvus_cdc_resume_merge(ngx_http_milvus_cdc_resume_t *r)
{
    ngx_uint_t                           i;
    ngx_http_milvus_cdc_resume_group_t  *g;

    g = r->groups;

    ngx_http_milvus_cdc_resume_fold(r, 0, 1);

    /* ranges stay disjoint: a timestamp belongs to one entry */

    i = 1;

    while (i < r->n) {
        if (g[i].ts_min <= g[0].ts_max && g[i].ts_max >= g[0].ts_min) {
            ngx_http_milvus_cdc_resume_fold(r, 0, i);
            i = 1;
            continue;
        }

        i++;
    }

    r->merged++;
}


static void
ngx_http_milvus_cdc_resume_fold(ngx_http_milvus_cdc_resume_t *r,
    ngx_uint_t into, ngx_uint_t from)
{
    ngx_http_milvus_cdc_resume_group_t  *a, *b;

    a = &r->groups[into];
    b = &r->groups[from];

    a->ts_min = ngx_min(a->ts_min, b->ts_min);
    a->ts_max = ngx_max(a->ts_max, b->ts_max);
    a->first = ngx_min(a->first, b->first);
    a->last = ngx_max(a->last, b->last);

    ngx_memmove(b, b + 1,
                (r->n - from - 1) * sizeof(ngx_http_milvus_cdc_resume_group_t));
    r->n--;
}


/* newest first: a message's group is most often a recent one */

static ngx_http_milvus_cdc_resume_group_t *
ngx_http_milvus_cdc_resume_find(ngx_http_milvus_cdc_resume_t *r, uint64_t ts)
{
    ngx_uint_t                           i;
    ngx_http_milvus_cdc_resume_group_t  *g;

    g = r->groups;

    for (i = r->n; i-- > 0; /* void */) {
        if (g[i].ts_min <= ts && ts <= g[i].ts_max) {
            return &g[i];
        }
    }

    return NULL;
}
