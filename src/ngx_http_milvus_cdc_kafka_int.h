
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 *
 * The Kafka reader's private header: the handle and its topics, shared by
 * src/ngx_http_milvus_cdc_kafka_client.c (the librdkafka consumer: its
 * settings, creation, destruction, log and error callbacks) and
 * src/ngx_http_milvus_cdc_kafka.c (assignment, reading, events).  The
 * public interface is include/ngx_http_milvus_cdc_kafka.h.
 */


#ifndef _NGX_HTTP_MILVUS_CDC_KAFKA_INT_H_INCLUDED_
#define _NGX_HTTP_MILVUS_CDC_KAFKA_INT_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include <librdkafka/rdkafka.h>

#include "ngx_http_milvus_cdc_kafka.h"


/* facilities remembered for log rate limiting */
#define NGX_HTTP_MILVUS_CDC_KAFKA_NFAC       16


/*
 * One topic (partition 0) of the handle; a slot with "used" 0 is free and
 * keeps its name buffer for the next assignment.
 *
 *   name      the topic, NUL-terminated, in a buffer of "size" bytes of
 *             the handle's pool;
 *   data      the caller's pointer given to ..._assign();
 *   start     the offset last asked for (an offset or
 *             NGX_HTTP_MILVUS_CDC_KAFKA_BEGINNING, _END);
 *   next      the offset of the next record to deliver, -1 until known;
 *   paused    ..._pause() in effect;
 *   refetch   a record was dropped while paused: fetched again on resume;
 *   failed    the topic stopped (NGX_DECLINED given): its events dropped
 *             until it is assigned again;
 *   missing   "does not exist" was logged, until records or EOF come.
 */
typedef struct {
    ngx_str_t                           name;
    size_t                              size;
    void                               *data;
    int64_t                             start;
    int64_t                             next;
    unsigned                            used:1;
    unsigned                            paused:1;
    unsigned                            refetch:1;
    unsigned                            failed:1;
    unsigned                            missing:1;
} ngx_http_milvus_cdc_kafka_topic_t;


/*
 * The log rate limit of one librdkafka facility: "fac" (NUL-terminated,
 * truncated to 15 bytes), when it last logged (seconds, ngx_time()), how
 * many lines were suppressed since.
 */
typedef struct {
    char                                fac[16];
    time_t                              last;
    ngx_uint_t                          suppressed;
} ngx_http_milvus_cdc_kafka_fac_t;


/*
 * The handle (ngx_http_milvus_cdc_kafka_t).
 *
 *   rk          the librdkafka consumer, its opaque is the handle;
 *   log, pool   the conf's log; the handle's own pool (topics, names);
 *   topics      array of ngx_http_milvus_cdc_kafka_topic_t;
 *   down        the brokers are unreachable (logged once per change);
 *   fatal       a fatal error event came: poll returns NGX_ERROR;
 *   last_error  when a client error was last logged (seconds);
 *   held        the records handed out by poll and not released yet,
 *               "nheld" slots (malloc()ed), NULL in free slots; "free"
 *               holds the "nfree" indexes of the free slots;
 *   facs        the log rate limits, one per facility seen.
 */
struct ngx_http_milvus_cdc_kafka_s {
    rd_kafka_t                         *rk;
    ngx_log_t                          *log;
    ngx_pool_t                         *pool;
    ngx_array_t                         topics;
    ngx_uint_t                          down;
    ngx_uint_t                          fatal;
    time_t                              last_error;
    rd_kafka_message_t                **held;
    ngx_uint_t                         *free;
    ngx_uint_t                          nfree;
    ngx_uint_t                          nheld;
    ngx_http_milvus_cdc_kafka_fac_t     facs[NGX_HTTP_MILVUS_CDC_KAFKA_NFAC];
};


/*
 * 1 if err means the brokers cannot be reached (transport, resolution,
 * time-outs, coordinator or leader not available), 0 otherwise
 */
ngx_uint_t ngx_http_milvus_cdc_kafka_transport_error(rd_kafka_resp_err_t err);


#endif /* _NGX_HTTP_MILVUS_CDC_KAFKA_INT_H_INCLUDED_ */
