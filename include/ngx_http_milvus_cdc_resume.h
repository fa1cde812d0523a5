
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 */


#ifndef _NGX_HTTP_MILVUS_CDC_RESUME_H_INCLUDED_
#define _NGX_HTTP_MILVUS_CDC_RESUME_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


/*
 * Where a source pchannel is read again after a restart: pure logic, no
 * I/O, no allocation (unit-tested in t/unit/).
 *
 * A *group* is the messages of one source pchannel that share one source
 * TSO timestamp: an upsert is an Insert and a Delete of the same keys with
 * one timestamp (msgpb.MsgBase.timestamp, milvus-proto msg.proto), and
 * Milvus deletes only rows older than a Delete.  The engine gives a group's
 * messages one target timestamp; a run after a restart gives every message
 * it reads again a new, later one.  A group split by the resume offset
 * (part acknowledged before it, part read again after it) would get two
 * target timestamps: a Delete read again would then remove the Insert of
 * its own upsert that the target already holds.  So the resume offset is
 * never inside a group: it is the first offset after a TimeTick T, moved
 * back to the first message of every group still open at T (timestamp
 * above T: a TimeTick of the source's rootcoord can land between an
 * upsert's Insert and its Delete), and of every group that has a message
 * at or after it, until none is split.  Milvus writes no message at or
 * below T after the TimeTick T (msgpb.TimeTickMsg), so the groups at or
 * below T are complete when T is read.
 *
 * When the table is full the two oldest groups are merged into one range
 * of timestamps and offsets (with every group whose timestamps overlap it):
 * the resume offset is then earlier than needed, never later.
 */


/* the messages sent with source timestamps ts_min..ts_max (one group, or
 * merged ones), offsets first..last of the source pchannel (Kafka offsets
 * of topic partition 0) */
typedef struct {
    uint64_t                          ts_min;
    uint64_t                          ts_max;
    int64_t                           first;
    int64_t                           last;
} ngx_http_milvus_cdc_resume_group_t;


/*
 * The groups of one source pchannel from its last resume offset on,
 * ordered by "first".  "groups" has room for "max" (>= 2) entries, owned
 * by the caller; "merged" counts the merges a full table made.
 */
typedef struct {
    ngx_http_milvus_cdc_resume_group_t  *groups;
    ngx_uint_t                           n;
    ngx_uint_t                           max;
    ngx_uint_t                           merged;
    int64_t                              floor;   /* last resume offset */
} ngx_http_milvus_cdc_resume_t;


/* empties "r" and gives it "groups", room for "max" (>= 2) entries */
void ngx_http_milvus_cdc_resume_init(ngx_http_milvus_cdc_resume_t *r,
    ngx_http_milvus_cdc_resume_group_t *groups, ngx_uint_t max);

/*
 * A message with source timestamp "ts" at "offset" was sent to the target
 * (offsets increase from call to call).
 */
void ngx_http_milvus_cdc_resume_add(ngx_http_milvus_cdc_resume_t *r,
    uint64_t ts, int64_t offset);

/*
 * The source TimeTick "ts" read at "offset": returns the first offset to
 * read again after a restart from a checkpoint at this TimeTick (at most
 * offset + 1), and forgets the groups that lie wholly before it.
 */
int64_t ngx_http_milvus_cdc_resume_tick(ngx_http_milvus_cdc_resume_t *r,
    uint64_t ts, int64_t offset);


#endif /* _NGX_HTTP_MILVUS_CDC_RESUME_H_INCLUDED_ */
