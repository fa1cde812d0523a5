
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 */


#ifndef _NGX_HTTP_MILVUS_CDC_KAFKA_H_INCLUDED_
#define _NGX_HTTP_MILVUS_CDC_KAFKA_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


/*
 * Source WAL reader: a librdkafka (2.0.2) consumer that reads Milvus
 * pchannel topics at explicit offsets, for the replication engine.
 *
 * Wire facts (Milvus 2.3 pkg/mq/msgstream/mqwrapper/kafka/):
 *   - one Kafka record = one bare Milvus protobuf (common.MsgHeader first,
 *     the type is read from the payload), no key; Milvus 2.4.13+ may add a
 *     "msg_type" record header (not on every message: never rely on it);
 *   - Milvus only ever uses partition 0 of a topic; this reader reads
 *     partition 0 only, so "topic" below always means "<topic> [0]";
 *   - records are zstd-compressed by the producer (librdkafka decompresses)
 *     and up to 10 MiB (Milvus producer message.max.bytes 10485760): the
 *     fetch sizes here accept 16 MiB per partition;
 *   - positions are Kafka offsets; Milvus' MsgPosition.msgID for Kafka is
 *     the offset as 8 bytes little-endian, see ..._offset_to_msgid();
 *   - Milvus creates topics lazily (broker auto-creation on first write):
 *     a topic may be assigned before it exists, delivery starts once it
 *     appears (librdkafka refreshes metadata for missing topics on its
 *     own, ~1-2 s after creation on the test bench); this reader never
 *     creates topics (allow.auto.create.topics=false).
 *
 * Consumer model: manual assignment (rd_kafka_incremental_assign), never
 * subscribe, never commit (enable.auto.commit=false,
 * enable.auto.offset.store=false).  librdkafka requires a group.id for
 * assign/consumer_poll, so one is set ("nginx-milvus-cdc" unless given);
 * no group is ever joined and nothing is stored in Kafka.
 * auto.offset.reset=error: an offset outside [low, high] is reported
 * (poll returns NGX_DECLINED) instead of silently jumping to an end.
 *
 * Threads and processes: create it in the process that uses it (the
 * helper), never in the master; all signals are blocked while librdkafka
 * starts its threads (rd_kafka_new), so they never take nginx's signals.
 * Every call must come from one thread.  Nothing blocks except
 * ..._query_watermarks() (bounded by its timeout): assign, pause, resume,
 * poll and destroy return in well under a millisecond, also with the
 * brokers down (measured: poll ~1 us idle, destroy < 5 ms).
 *
 * Logging: librdkafka's log lines and error events are queued
 * (log.queue=true) and written from poll(), in the calling thread, to the
 * handle's log as "milvus_cdc: kafka: <FAC>: <text>".  librdkafka levels
 * 0-4 become "warn", 5 "notice", 6 "info", 7 "debug"; connection failures
 * (FAIL) are "info".  Each facility logs at most once per
 * NGX_HTTP_MILVUS_CDC_KAFKA_LOG_INTERVAL, the next line counts what was
 * suppressed.  Broker state changes are logged once: "warn" "brokers
 * unreachable" on the first transport error event, "notice" when records
 * flow again.  A missing topic is logged once ("notice").
 *
 * Memory: the handle and its topics are malloc()ed (own pool), independent
 * of the caller's pools.
 */


/* special start offsets for ..._assign(): RD_KAFKA_OFFSET_BEGINNING, _END */
#define NGX_HTTP_MILVUS_CDC_KAFKA_BEGINNING   -2
#define NGX_HTTP_MILVUS_CDC_KAFKA_END         -1

/* an offset that is not known (yet): RD_KAFKA_OFFSET_INVALID */
#define NGX_HTTP_MILVUS_CDC_KAFKA_INVALID     -1001

/* per-facility rate limit of forwarded librdkafka log lines, seconds */
#define NGX_HTTP_MILVUS_CDC_KAFKA_LOG_INTERVAL  60

/* Milvus MsgPosition.msgID for Kafka: 8 bytes */
#define NGX_HTTP_MILVUS_CDC_KAFKA_MSGID_LEN   8


typedef struct ngx_http_milvus_cdc_kafka_s  ngx_http_milvus_cdc_kafka_t;


/*
 * Consumer parameters.
 *
 *   brokers   array of ngx_str_t "host:port" (bootstrap.servers), at
 *             least one;
 *   group_id  librdkafka group.id (only needed internally for assign, see
 *             above); empty: "nginx-milvus-cdc";
 *   client_id Kafka client.id shown in broker logs; empty:
 *             "nginx-milvus-cdc";
 *   log       where librdkafka's log lines and the reader's own messages
 *             go; must outlive the handle.
 */
typedef struct {
    ngx_array_t                        *brokers;
    ngx_str_t                           group_id;
    ngx_str_t                           client_id;
    ngx_log_t                          *log;
} ngx_http_milvus_cdc_kafka_conf_t;


/*
 * One event out of ..._poll().
 *
 *   topic      topic of the event; points into the handle, valid until the
 *              topic is unassigned (or the handle destroyed);
 *   data       the pointer given to ..._assign() for that topic;
 *   offset     NGX_OK: Kafka offset of the record (int64, >= 0);
 *              NGX_DONE: the high watermark, i.e. the offset the next
 *              record will get ("caught up: nothing before offset");
 *              NGX_DECLINED: the offset that was requested;
 *   payload,   NGX_OK: the record value (one Milvus protobuf), len bytes,
 *   len        may be 0; librdkafka's buffer, valid until ..._release();
 *   timestamp  NGX_OK: record timestamp, ms since the Unix epoch (Kafka
 *              CreateTime set by Milvus' producer), -1 if none;
 *   error      NGX_DECLINED, NGX_ERROR: text of the error (librdkafka's),
 *              valid until the next poll.
 */
typedef struct {
    ngx_str_t                           topic;
    void                               *data;
    int64_t                             offset;
    u_char                             *payload;
    size_t                              len;
    int64_t                             timestamp;
    ngx_str_t                           error;

    /* private */
    void                               *rkm;
    ngx_uint_t                          slot;
    u_char                              text[256];
} ngx_http_milvus_cdc_kafka_msg_t;


/*
 * Creates the consumer (no topic assigned).  Connects in the background:
 * succeeds also when no broker is reachable.
 * Returns the handle, or NULL with a short reason in err (NUL-terminated,
 * at most errlen bytes), nothing logged.
 */
ngx_http_milvus_cdc_kafka_t *ngx_http_milvus_cdc_kafka_create(
    ngx_http_milvus_cdc_kafka_conf_t *conf, u_char *err, size_t errlen);

/*
 * Destroys the consumer at once: no consumer close, no commit, no wait for
 * brokers (RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE).  Records not released
 * yet are freed first (rd_kafka_destroy() would otherwise wait for them
 * forever), so msg structs must not be used afterwards.  Measured 1-7 ms,
 * also with the brokers down.  k may be NULL.
 */
void ngx_http_milvus_cdc_kafka_destroy(ngx_http_milvus_cdc_kafka_t *k);

/*
 * Starts reading topic (partition 0) at offset, or moves an assigned
 * topic there; other topics are not disturbed (incremental assignment).
 *
 *   offset  absolute: the next record to deliver (resume = checkpoint + 1);
 *           NGX_HTTP_MILVUS_CDC_KAFKA_BEGINNING: the low watermark;
 *           NGX_HTTP_MILVUS_CDC_KAFKA_END: only records written from now on;
 *   data    opaque pointer returned in every event of this topic.
 *
 * After a move no record fetched for the old position is delivered.  A
 * paused topic stays paused.  An offset beyond the log (below the low or
 * above the high watermark) is reported by poll as NGX_DECLINED.
 * Returns NGX_OK, NGX_ERROR (logged: empty or too long topic name,
 * librdkafka refused).
 */
ngx_int_t ngx_http_milvus_cdc_kafka_assign(ngx_http_milvus_cdc_kafka_t *k,
    ngx_str_t *topic, int64_t offset, void *data);

/*
 * Stops reading topic and forgets it; records of it still queued are
 * dropped.  Returns NGX_OK, NGX_DECLINED if it was not assigned, NGX_ERROR
 * (logged).
 */
ngx_int_t ngx_http_milvus_cdc_kafka_unassign(ngx_http_milvus_cdc_kafka_t *k,
    ngx_str_t *topic);

/*
 * Pauses / resumes delivery of one assigned topic.  While paused, poll
 * returns nothing of it and nothing more is fetched; resume continues
 * exactly after the last record poll returned for it (records prefetched
 * before the pause are fetched again, not lost).  Both are idempotent.
 * Returns NGX_OK, NGX_DECLINED if the topic is not assigned, NGX_ERROR
 * (logged).
 */
ngx_int_t ngx_http_milvus_cdc_kafka_pause(ngx_http_milvus_cdc_kafka_t *k,
    ngx_str_t *topic);
ngx_int_t ngx_http_milvus_cdc_kafka_resume(ngx_http_milvus_cdc_kafka_t *k,
    ngx_str_t *topic);

/*
 * Returns the next event, never waits (rd_kafka_consumer_poll(rk, 0)).
 * Also serves librdkafka's queued log lines.
 *
 *   NGX_OK        a record in msg; call ..._release(k, msg) when done with
 *                 payload.  Records may be kept across polls (use one msg
 *                 struct per kept record: poll overwrites msg), but each
 *                 pins librdkafka's fetch buffer it came in (up to
 *                 fetch.max.bytes): copy what must live long;
 *   NGX_DONE      end of partition: the topic is caught up, msg->offset is
 *                 the high watermark; reported once each time the end is
 *                 reached (enable.partition.eof);
 *   NGX_DECLINED  the topic stopped on an error that needs a decision:
 *                 the requested offset is out of range (below the low
 *                 watermark: data lost to retention; above the high
 *                 watermark), or access denied; msg->error says which;
 *                 logged at "error".  Nothing more is delivered for the
 *                 topic until it is assigned again;
 *   NGX_AGAIN     nothing now (transient errors, e.g. brokers down, are
 *                 logged once per state change and end here too);
 *   NGX_ERROR     fatal librdkafka error (rd_kafka_fatal_error), msg->error
 *                 set, logged: destroy the handle and create a new one.
 *
 * Records of one topic come in offset order without duplicates: a record
 * whose offset is below the next expected one is dropped.
 */
ngx_int_t ngx_http_milvus_cdc_kafka_poll(ngx_http_milvus_cdc_kafka_t *k,
    ngx_http_milvus_cdc_kafka_msg_t *msg);

/*
 * Frees the record of an NGX_OK event; safe on any msg filled by poll,
 * and twice.
 */
void ngx_http_milvus_cdc_kafka_release(ngx_http_milvus_cdc_kafka_t *k,
    ngx_http_milvus_cdc_kafka_msg_t *msg);

/*
 * Value of the last record header "name" (e.g. "msg_type", Milvus
 * 2.4.13+ only) of an NGX_OK event, pointing into the record.
 * Returns NGX_OK, or NGX_DECLINED if absent.
 */
ngx_int_t ngx_http_milvus_cdc_kafka_header(
    ngx_http_milvus_cdc_kafka_msg_t *msg, const char *name, ngx_str_t *value);

/*
 * Cached watermarks of an assigned topic, no I/O
 * (rd_kafka_get_watermark_offsets): low = oldest offset still in the log
 * (Fetch LogStartOffset), high = offset of the next record to be written.
 * Both are refreshed by every fetch response, i.e. at least every
 * fetch.wait.max.ms (500 ms) while the topic is fetched, and by the
 * statistics timer; they go stale while the topic is paused or the
 * brokers are down.
 * Returns NGX_OK; NGX_AGAIN if not known yet (no fetch answered yet),
 * then both are NGX_HTTP_MILVUS_CDC_KAFKA_INVALID; NGX_DECLINED if the
 * topic is not assigned.
 */
ngx_int_t ngx_http_milvus_cdc_kafka_watermarks(ngx_http_milvus_cdc_kafka_t *k,
    ngx_str_t *topic, int64_t *low, int64_t *high);

/*
 * Asks the partition leader for the watermarks of any topic (assigned or
 * not): rd_kafka_query_watermark_offsets(), which BLOCKS the caller for up
 * to timeout ms (two ListOffsets round trips, ~1 ms on loopback; the full
 * timeout with the brokers down).  For startup checks, not for the tick.
 * Returns NGX_OK, NGX_DECLINED (topic does not exist), NGX_AGAIN (timed
 * out / brokers unreachable, not logged), NGX_ERROR (logged at "warn").
 */
ngx_int_t ngx_http_milvus_cdc_kafka_query_watermarks(
    ngx_http_milvus_cdc_kafka_t *k, ngx_str_t *topic, ngx_msec_t timeout,
    int64_t *low, int64_t *high);

/*
 * Milvus MsgPosition.msgID <-> Kafka offset (Milvus' Kafka message id is
 * the int64 offset serialized with binary.LittleEndian, 8 bytes:
 * SerializeKafkaID, pkg/mq/msgstream/mqwrapper/kafka/kafka_id.go).
 * offset_to_msgid writes NGX_HTTP_MILVUS_CDC_KAFKA_MSGID_LEN bytes to
 * buf.  msgid_to_offset returns NGX_OK, or NGX_ERROR if len is not 8 (a
 * Pulsar or malformed id); Milvus reads an offset <= 0 as "earliest".
 */
void ngx_http_milvus_cdc_kafka_offset_to_msgid(int64_t offset, u_char *buf);
ngx_int_t ngx_http_milvus_cdc_kafka_msgid_to_offset(u_char *buf, size_t len,
    int64_t *offset);


#endif /* _NGX_HTTP_MILVUS_CDC_KAFKA_H_INCLUDED_ */
