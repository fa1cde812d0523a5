
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 *
 * The Kafka reader: topics assigned, moved, paused and resumed at
 * explicit offsets, records and events polled and classified, watermarks,
 * Milvus msgIDs.  The librdkafka consumer itself (settings, creation,
 * callbacks) is in src/ngx_http_milvus_cdc_kafka_client.c.
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include <librdkafka/rdkafka.h>

#include "ngx_http_milvus_cdc_kafka.h"
#include "ngx_http_milvus_cdc_kafka_int.h"


/* Kafka's limit on topic names */
#define NGX_HTTP_MILVUS_CDC_KAFKA_TOPIC_MAX  249


static ngx_http_milvus_cdc_kafka_topic_t *ngx_http_milvus_cdc_kafka_find(
    ngx_http_milvus_cdc_kafka_t *k, const char *name, size_t len);
static ngx_int_t ngx_http_milvus_cdc_kafka_start(
    ngx_http_milvus_cdc_kafka_t *k, ngx_http_milvus_cdc_kafka_topic_t *t,
    int64_t offset, ngx_uint_t reassign);
static ngx_int_t ngx_http_milvus_cdc_kafka_event(
    ngx_http_milvus_cdc_kafka_t *k, rd_kafka_message_t *m,
    ngx_http_milvus_cdc_kafka_msg_t *msg);
static ngx_int_t ngx_http_milvus_cdc_kafka_client_event(
    ngx_http_milvus_cdc_kafka_t *k, rd_kafka_message_t *m,
    ngx_http_milvus_cdc_kafka_msg_t *msg);
static void ngx_http_milvus_cdc_kafka_flowing(ngx_http_milvus_cdc_kafka_t *k,
    ngx_http_milvus_cdc_kafka_topic_t *t);
static ngx_int_t ngx_http_milvus_cdc_kafka_record(
    ngx_http_milvus_cdc_kafka_t *k, ngx_http_milvus_cdc_kafka_topic_t *t,
    rd_kafka_message_t *m, ngx_http_milvus_cdc_kafka_msg_t *msg);
static ngx_int_t ngx_http_milvus_cdc_kafka_topic_error(
    ngx_http_milvus_cdc_kafka_t *k, ngx_http_milvus_cdc_kafka_topic_t *t,
    rd_kafka_message_t *m, ngx_http_milvus_cdc_kafka_msg_t *msg);
static void ngx_http_milvus_cdc_kafka_set_error(
    ngx_http_milvus_cdc_kafka_msg_t *msg, const char *text);
static ngx_int_t ngx_http_milvus_cdc_kafka_hold(
    ngx_http_milvus_cdc_kafka_t *k, rd_kafka_message_t *m,
    ngx_http_milvus_cdc_kafka_msg_t *msg);


ngx_int_t
ngx_http_milvus_cdc_kafka_assign(ngx_http_milvus_cdc_kafka_t *k,
    ngx_str_t *topic, int64_t offset, void *data)
{
    u_char                             *p;
    ngx_uint_t                          reassign;
    ngx_http_milvus_cdc_kafka_topic_t  *t, *e;

    if (topic->len == 0 || topic->len > NGX_HTTP_MILVUS_CDC_KAFKA_TOPIC_MAX
        || (offset < 0 && offset != NGX_HTTP_MILVUS_CDC_KAFKA_BEGINNING
            && offset != NGX_HTTP_MILVUS_CDC_KAFKA_END))
    {
        ngx_log_error(NGX_LOG_ERR, k->log, 0,
                      "milvus_cdc: kafka: bad assignment \"%V\" at %L",
                      topic, offset);
        return NGX_ERROR;
    }

    t = ngx_http_milvus_cdc_kafka_find(k, (char *) topic->data, topic->len);

    reassign = (t != NULL);

    if (t == NULL) {

        /* a free slot whose name buffer is large enough, or a new one */

        e = k->topics.elts;

        for (t = e; t < e + k->topics.nelts; t++) {
            if (!t->used && t->size > topic->len) {
                break;
            }
        }

        if (t == e + k->topics.nelts) {
            t = ngx_array_push(&k->topics);
            if (t == NULL) {
                return NGX_ERROR;
            }

            ngx_memzero(t, sizeof(ngx_http_milvus_cdc_kafka_topic_t));
        }

        if (t->size <= topic->len) {
            p = ngx_pnalloc(k->pool, topic->len + 1);
            if (p == NULL) {
                return NGX_ERROR;
            }

            t->name.data = p;
            t->size = topic->len + 1;
        }

        ngx_memcpy(t->name.data, topic->data, topic->len);
        t->name.data[topic->len] = '\0';
        t->name.len = topic->len;
        t->paused = 0;
        t->missing = 0;
    }

    if (ngx_http_milvus_cdc_kafka_start(k, t, offset, reassign) != NGX_OK) {
        return NGX_ERROR;
    }

    t->used = 1;
    t->data = data;

    ngx_log_debug3(NGX_LOG_DEBUG_CORE, k->log, 0,
                   "milvus_cdc: kafka: %s \"%V\" at %L",
                   reassign ? "moved" : "assigned", &t->name, offset);

    return NGX_OK;
}


ngx_int_t
ngx_http_milvus_cdc_kafka_unassign(ngx_http_milvus_cdc_kafka_t *k,
    ngx_str_t *topic)
{
    rd_kafka_error_t                   *error;
    rd_kafka_topic_partition_list_t    *list;
    ngx_http_milvus_cdc_kafka_topic_t  *t;

    t = ngx_http_milvus_cdc_kafka_find(k, (char *) topic->data, topic->len);
    if (t == NULL) {
        return NGX_DECLINED;
    }

    list = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(list, (char *) t->name.data, 0);

    error = rd_kafka_incremental_unassign(k->rk, list);

    rd_kafka_topic_partition_list_destroy(list);

    t->used = 0;

    if (error) {
        ngx_log_error(NGX_LOG_ERR, k->log, 0,
                      "milvus_cdc: kafka: unassign \"%V\" failed: %s",
                      &t->name, rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
        return NGX_ERROR;
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_milvus_cdc_kafka_pause(ngx_http_milvus_cdc_kafka_t *k,
    ngx_str_t *topic)
{
    rd_kafka_resp_err_t                 rc;
    rd_kafka_topic_partition_list_t    *list;
    ngx_http_milvus_cdc_kafka_topic_t  *t;

    t = ngx_http_milvus_cdc_kafka_find(k, (char *) topic->data, topic->len);
    if (t == NULL) {
        return NGX_DECLINED;
    }

    if (t->paused) {
        return NGX_OK;
    }

    list = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(list, (char *) t->name.data, 0);

    rc = rd_kafka_pause_partitions(k->rk, list);
    if (rc == RD_KAFKA_RESP_ERR_NO_ERROR) {
        rc = list->elems[0].err;
    }

    rd_kafka_topic_partition_list_destroy(list);

    if (rc != RD_KAFKA_RESP_ERR_NO_ERROR) {
        ngx_log_error(NGX_LOG_ERR, k->log, 0,
                      "milvus_cdc: kafka: pause \"%V\" failed: %s",
                      &t->name, rd_kafka_err2str(rc));
        return NGX_ERROR;
    }

    t->paused = 1;

    return NGX_OK;
}


ngx_int_t
ngx_http_milvus_cdc_kafka_resume(ngx_http_milvus_cdc_kafka_t *k,
    ngx_str_t *topic)
{
    rd_kafka_resp_err_t                 rc;
    rd_kafka_topic_partition_list_t    *list;
    ngx_http_milvus_cdc_kafka_topic_t  *t;

    t = ngx_http_milvus_cdc_kafka_find(k, (char *) topic->data, topic->len);
    if (t == NULL) {
        return NGX_DECLINED;
    }

    if (!t->paused) {
        return NGX_OK;
    }

    list = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(list, (char *) t->name.data, 0);

    rc = rd_kafka_resume_partitions(k->rk, list);
    if (rc == RD_KAFKA_RESP_ERR_NO_ERROR) {
        rc = list->elems[0].err;
    }

    rd_kafka_topic_partition_list_destroy(list);

    if (rc != RD_KAFKA_RESP_ERR_NO_ERROR) {
        ngx_log_error(NGX_LOG_ERR, k->log, 0,
                      "milvus_cdc: kafka: resume \"%V\" failed: %s",
                      &t->name, rd_kafka_err2str(rc));
        return NGX_ERROR;
    }

    t->paused = 0;

    if (t->refetch) {

        /* records were dropped while paused: fetch them again */

        return ngx_http_milvus_cdc_kafka_start(k, t,
                                               t->next >= 0 ? t->next
                                                            : t->start,
                                               1);
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_milvus_cdc_kafka_poll(ngx_http_milvus_cdc_kafka_t *k,
    ngx_http_milvus_cdc_kafka_msg_t *msg)
{
    ngx_int_t            rc;
    ngx_uint_t           n;
    rd_kafka_message_t  *m;

    msg->rkm = NULL;

    /* bounded: dropped records must not keep the caller here */

    for (n = 0; n < 1000; n++) {
        m = rd_kafka_consumer_poll(k->rk, 0);

        if (k->fatal) {
            if (m) {
                rd_kafka_message_destroy(m);
            }

            ngx_str_null(&msg->topic);
            msg->data = NULL;
            rd_kafka_fatal_error(k->rk, (char *) msg->text,
                                 sizeof(msg->text));
            msg->error.data = msg->text;
            msg->error.len = ngx_strlen(msg->text);

            return NGX_ERROR;
        }

        if (m == NULL) {
            return NGX_AGAIN;
        }

        rc = ngx_http_milvus_cdc_kafka_event(k, m, msg);

        if (rc == NGX_OK) {
            if (ngx_http_milvus_cdc_kafka_hold(k, m, msg) != NGX_OK) {
                rd_kafka_message_destroy(m);
                ngx_http_milvus_cdc_kafka_set_error(msg, "out of memory");
                return NGX_ERROR;
            }

            return NGX_OK;
        }

        rd_kafka_message_destroy(m);

        if (rc != NGX_DECLINED || msg->topic.len) {
            /* NGX_DECLINED without a topic: the event was dropped */
            return rc;
        }
    }

    return NGX_AGAIN;
}


void
ngx_http_milvus_cdc_kafka_release(ngx_http_milvus_cdc_kafka_t *k,
    ngx_http_milvus_cdc_kafka_msg_t *msg)
{
    if (msg->rkm) {
        rd_kafka_message_destroy(msg->rkm);
        msg->rkm = NULL;
        msg->payload = NULL;

        k->held[msg->slot] = NULL;
        k->free[k->nfree++] = msg->slot;
    }
}


ngx_int_t
ngx_http_milvus_cdc_kafka_header(ngx_http_milvus_cdc_kafka_msg_t *msg,
    const char *name, ngx_str_t *value)
{
    size_t                size;
    const void           *v;
    rd_kafka_headers_t   *hdrs;

    if (msg->rkm == NULL
        || rd_kafka_message_headers(msg->rkm, &hdrs)
           != RD_KAFKA_RESP_ERR_NO_ERROR
        || rd_kafka_header_get_last(hdrs, name, &v, &size)
           != RD_KAFKA_RESP_ERR_NO_ERROR)
    {
        return NGX_DECLINED;
    }

    value->data = (u_char *) v;
    value->len = v ? size : 0;

    return NGX_OK;
}


ngx_int_t
ngx_http_milvus_cdc_kafka_watermarks(ngx_http_milvus_cdc_kafka_t *k,
    ngx_str_t *topic, int64_t *low, int64_t *high)
{
    rd_kafka_resp_err_t                 rc;
    ngx_http_milvus_cdc_kafka_topic_t  *t;

    *low = NGX_HTTP_MILVUS_CDC_KAFKA_INVALID;
    *high = NGX_HTTP_MILVUS_CDC_KAFKA_INVALID;

    t = ngx_http_milvus_cdc_kafka_find(k, (char *) topic->data, topic->len);
    if (t == NULL) {
        return NGX_DECLINED;
    }

    rc = rd_kafka_get_watermark_offsets(k->rk, (char *) t->name.data, 0,
                                        low, high);

    /* unknown: RD_KAFKA_OFFSET_INVALID, or -1 after an offset reset */

    if (rc != RD_KAFKA_RESP_ERR_NO_ERROR || *low < 0 || *high < 0) {
        *low = NGX_HTTP_MILVUS_CDC_KAFKA_INVALID;
        *high = NGX_HTTP_MILVUS_CDC_KAFKA_INVALID;
        return NGX_AGAIN;
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_milvus_cdc_kafka_query_watermarks(ngx_http_milvus_cdc_kafka_t *k,
    ngx_str_t *topic, ngx_msec_t timeout, int64_t *low, int64_t *high)
{
    char                 name[NGX_HTTP_MILVUS_CDC_KAFKA_TOPIC_MAX + 1];
    rd_kafka_resp_err_t  rc;

    *low = NGX_HTTP_MILVUS_CDC_KAFKA_INVALID;
    *high = NGX_HTTP_MILVUS_CDC_KAFKA_INVALID;

    if (topic->len == 0 || topic->len > NGX_HTTP_MILVUS_CDC_KAFKA_TOPIC_MAX) {
        return NGX_ERROR;
    }

    ngx_cpystrn((u_char *) name, topic->data, topic->len + 1);

    rc = rd_kafka_query_watermark_offsets(k->rk, name, 0, low, high,
                                          (int) timeout);

    if (rc == RD_KAFKA_RESP_ERR_NO_ERROR) {
        return NGX_OK;
    }

    *low = NGX_HTTP_MILVUS_CDC_KAFKA_INVALID;
    *high = NGX_HTTP_MILVUS_CDC_KAFKA_INVALID;

    if (rc == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART
        || rc == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC
        || rc == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION)
    {
        return NGX_DECLINED;
    }

    if (rc == RD_KAFKA_RESP_ERR__TIMED_OUT
        || ngx_http_milvus_cdc_kafka_transport_error(rc))
    {
        return NGX_AGAIN;
    }

    ngx_log_error(NGX_LOG_WARN, k->log, 0,
                  "milvus_cdc: kafka: watermarks of \"%V\": %s",
                  topic, rd_kafka_err2str(rc));

    return NGX_ERROR;
}


void
ngx_http_milvus_cdc_kafka_offset_to_msgid(int64_t offset, u_char *buf)
{
    ngx_uint_t  i;
    uint64_t    v;

    /* Go's binary.LittleEndian.PutUint64(uint64(offset)) */

    v = (uint64_t) offset;

    for (i = 0; i < NGX_HTTP_MILVUS_CDC_KAFKA_MSGID_LEN; i++) {
        buf[i] = (u_char) (v >> (8 * i));
    }
}


ngx_int_t
ngx_http_milvus_cdc_kafka_msgid_to_offset(u_char *buf, size_t len,
    int64_t *offset)
{
    ngx_uint_t  i;
    uint64_t    v;

    if (len != NGX_HTTP_MILVUS_CDC_KAFKA_MSGID_LEN) {
        return NGX_ERROR;
    }

    v = 0;

    for (i = 0; i < NGX_HTTP_MILVUS_CDC_KAFKA_MSGID_LEN; i++) {
        v |= (uint64_t) buf[i] << (8 * i);
    }

    *offset = (int64_t) v;

    return NGX_OK;
}


static ngx_http_milvus_cdc_kafka_topic_t *
ngx_http_milvus_cdc_kafka_find(ngx_http_milvus_cdc_kafka_t *k,
    const char *name, size_t len)
{
    ngx_http_milvus_cdc_kafka_topic_t  *t, *e;

    e = k->topics.elts;

    for (t = e; t < e + k->topics.nelts; t++) {
        if (t->used && t->name.len == len
            && ngx_strncmp(t->name.data, name, len) == 0)
        {
            return t;
        }
    }

    return NULL;
}


/*
 * (Re)starts fetching t at offset: incremental assign, after an
 * incremental unassign if t was assigned (librdkafka then bumps the
 * partition's version barrier, so records fetched for the old position
 * are never returned by consumer_poll).
 */

static ngx_int_t
ngx_http_milvus_cdc_kafka_start(ngx_http_milvus_cdc_kafka_t *k,
    ngx_http_milvus_cdc_kafka_topic_t *t, int64_t offset, ngx_uint_t reassign)
{
    rd_kafka_error_t                 *error;
    rd_kafka_resp_err_t               rc;
    rd_kafka_topic_partition_list_t  *list;

    list = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(list, (char *) t->name.data, 0)->offset
        = offset;

    error = NULL;

    if (reassign) {
        error = rd_kafka_incremental_unassign(k->rk, list);
    }

    if (error == NULL) {
        error = rd_kafka_incremental_assign(k->rk, list);
    }

    if (error == NULL && t->paused) {
        rc = rd_kafka_pause_partitions(k->rk, list);

        if (rc != RD_KAFKA_RESP_ERR_NO_ERROR) {
            ngx_log_error(NGX_LOG_ERR, k->log, 0,
                          "milvus_cdc: kafka: pause \"%V\" failed: %s",
                          &t->name, rd_kafka_err2str(rc));
        }
    }

    rd_kafka_topic_partition_list_destroy(list);

    if (error) {
        ngx_log_error(NGX_LOG_ERR, k->log, 0,
                      "milvus_cdc: kafka: assign \"%V\" at %L failed: %s",
                      &t->name, offset, rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
        return NGX_ERROR;
    }

    t->start = offset;
    t->next = (offset >= 0) ? offset : -1;
    t->refetch = 0;
    t->failed = 0;

    return NGX_OK;
}


/*
 * Classifies one rd_kafka_message_t.  Returns what poll returns;
 * NGX_DECLINED with msg->topic.len == 0 means "dropped, poll again".
 */

static ngx_int_t
ngx_http_milvus_cdc_kafka_event(ngx_http_milvus_cdc_kafka_t *k,
    rd_kafka_message_t *m, ngx_http_milvus_cdc_kafka_msg_t *msg)
{
    const char                         *name;
    ngx_http_milvus_cdc_kafka_topic_t  *t;

    ngx_str_null(&msg->topic);
    ngx_str_null(&msg->error);
    msg->data = NULL;
    msg->offset = m->offset;
    msg->payload = NULL;
    msg->len = 0;
    msg->timestamp = -1;

    if (m->rkt == NULL) {
        return ngx_http_milvus_cdc_kafka_client_event(k, m, msg);
    }

    name = rd_kafka_topic_name(m->rkt);
    t = ngx_http_milvus_cdc_kafka_find(k, name, ngx_strlen(name));

    if (t == NULL || t->failed) {
        ngx_log_debug2(NGX_LOG_DEBUG_CORE, k->log, 0,
                       "milvus_cdc: kafka: dropped event of \"%s\" at %L",
                       name, m->offset);
        return NGX_DECLINED;
    }

    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR
        || m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
    {
        ngx_http_milvus_cdc_kafka_flowing(k, t);
    }

    if (t->paused) {
        /* queued before the pause: drop, fetch again on resume */
        if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            t->refetch = 1;
        }

        return NGX_DECLINED;
    }

    msg->topic = t->name;
    msg->data = t->data;

    switch (m->err) {

    case RD_KAFKA_RESP_ERR_NO_ERROR:
        return ngx_http_milvus_cdc_kafka_record(k, t, m, msg);

    case RD_KAFKA_RESP_ERR__PARTITION_EOF:

        if (t->next < 0) {
            t->next = m->offset;
        }

        return NGX_DONE;

    default:
        return ngx_http_milvus_cdc_kafka_topic_error(k, t, m, msg);
    }
}


/*
 * An error of the client, not of a partition: NGX_ERROR for a fatal one
 * (msg->error set), NGX_AGAIN otherwise
 */

static ngx_int_t
ngx_http_milvus_cdc_kafka_client_event(ngx_http_milvus_cdc_kafka_t *k,
    rd_kafka_message_t *m, ngx_http_milvus_cdc_kafka_msg_t *msg)
{
    char  *errstr;

    if (m->err == RD_KAFKA_RESP_ERR__FATAL) {
        errstr = (char *) msg->text;
        rd_kafka_fatal_error(k->rk, errstr, sizeof(msg->text));
        msg->error.data = msg->text;
        msg->error.len = ngx_strlen(msg->text);

        ngx_log_error(NGX_LOG_ERR, k->log, 0,
                      "milvus_cdc: kafka: fatal error: %V", &msg->error);
        return NGX_ERROR;
    }

    if (ngx_http_milvus_cdc_kafka_transport_error(m->err)) {
        if (!k->down) {
            k->down = 1;
            ngx_log_error(NGX_LOG_WARN, k->log, 0,
                          "milvus_cdc: kafka: brokers unreachable: %s",
                          rd_kafka_message_errstr(m));
        }

    } else {
        ngx_log_error(NGX_LOG_WARN, k->log, 0,
                      "milvus_cdc: kafka: %s",
                      rd_kafka_message_errstr(m));
    }

    return NGX_AGAIN;
}


/* records or EOF of t came: the brokers and t are there, said once */

static void
ngx_http_milvus_cdc_kafka_flowing(ngx_http_milvus_cdc_kafka_t *k,
    ngx_http_milvus_cdc_kafka_topic_t *t)
{
    if (k->down) {
        k->down = 0;
        ngx_log_error(NGX_LOG_NOTICE, k->log, 0,
                      "milvus_cdc: kafka: brokers reachable again");
    }

    if (t->missing) {
        t->missing = 0;
        ngx_log_error(NGX_LOG_NOTICE, k->log, 0,
                      "milvus_cdc: kafka: topic \"%V\" exists now",
                      &t->name);
    }
}


/*
 * A record of t: NGX_OK with msg's payload, len and timestamp, or
 * NGX_DECLINED with msg->topic empty for a record before t->next (fetched
 * for an older position: dropped)
 */

static ngx_int_t
ngx_http_milvus_cdc_kafka_record(ngx_http_milvus_cdc_kafka_t *k,
    ngx_http_milvus_cdc_kafka_topic_t *t, rd_kafka_message_t *m,
    ngx_http_milvus_cdc_kafka_msg_t *msg)
{
    rd_kafka_timestamp_type_t  tstype;

    if (t->next >= 0 && m->offset < t->next) {
        ngx_log_debug3(NGX_LOG_DEBUG_CORE, k->log, 0,
                       "milvus_cdc: kafka: \"%V\": dropped %L, "
                       "expected %L", &t->name, m->offset, t->next);
        ngx_str_null(&msg->topic);
        return NGX_DECLINED;
    }

    if (t->next >= 0 && m->offset > t->next) {
        ngx_log_error(NGX_LOG_WARN, k->log, 0,
                      "milvus_cdc: kafka: \"%V\": offsets %L..%L "
                      "skipped", &t->name, t->next, m->offset - 1);
    }

    t->next = m->offset + 1;

    msg->payload = m->payload;
    msg->len = m->len;
    msg->timestamp = rd_kafka_message_timestamp(m, &tstype);

    if (tstype == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE) {
        msg->timestamp = -1;
    }

    return NGX_OK;
}


/*
 * An error event of t: NGX_DECLINED when t cannot go on from its position
 * (out of range, retention, no right; t->failed set, msg->offset the
 * position, msg->error the reason), NGX_AGAIN when it may pass (a topic
 * not created yet, the brokers away)
 */

static ngx_int_t
ngx_http_milvus_cdc_kafka_topic_error(ngx_http_milvus_cdc_kafka_t *k,
    ngx_http_milvus_cdc_kafka_topic_t *t, rd_kafka_message_t *m,
    ngx_http_milvus_cdc_kafka_msg_t *msg)
{
    ngx_uint_t  lvl;

    switch (m->err) {

    case RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET:
    case RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE:
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:

        ngx_http_milvus_cdc_kafka_set_error(msg, rd_kafka_message_errstr(m));

        t->failed = 1;
        msg->offset = t->next >= 0 ? t->next : t->start;

        ngx_log_error(NGX_LOG_ERR, k->log, 0,
                      "milvus_cdc: kafka: \"%V\" stopped at %L: %V",
                      &t->name, msg->offset, &msg->error);

        return NGX_DECLINED;

    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:

        if (!t->missing) {
            t->missing = 1;
            ngx_log_error(NGX_LOG_NOTICE, k->log, 0,
                          "milvus_cdc: kafka: topic \"%V\" does not exist "
                          "(yet), waiting for it", &t->name);
        }

        return NGX_AGAIN;

    default:

        lvl = ngx_http_milvus_cdc_kafka_transport_error(m->err)
              ? NGX_LOG_INFO : NGX_LOG_WARN;

        ngx_log_error(lvl, k->log, 0,
                      "milvus_cdc: kafka: \"%V\": %s",
                      &t->name, rd_kafka_message_errstr(m));

        return NGX_AGAIN;
    }
}


static void
ngx_http_milvus_cdc_kafka_set_error(ngx_http_milvus_cdc_kafka_msg_t *msg,
    const char *text)
{
    u_char  *p;

    p = ngx_cpystrn(msg->text, (u_char *) text, sizeof(msg->text));

    msg->error.data = msg->text;
    msg->error.len = p - msg->text;
}


/*
 * Remembers a record handed out, so that destroy can free it: librdkafka
 * cannot be destroyed while records are alive.
 */

static ngx_int_t
ngx_http_milvus_cdc_kafka_hold(ngx_http_milvus_cdc_kafka_t *k,
    rd_kafka_message_t *m, ngx_http_milvus_cdc_kafka_msg_t *msg)
{
    ngx_uint_t           i, n, *slots;
    rd_kafka_message_t **held;

    if (k->nfree == 0) {
        n = k->nheld ? 2 * k->nheld : 64;

        held = ngx_alloc(n * sizeof(rd_kafka_message_t *), k->log);
        slots = ngx_alloc(n * sizeof(ngx_uint_t), k->log);

        if (held == NULL || slots == NULL) {
            if (held) {
                ngx_free(held);
            }

            return NGX_ERROR;
        }

        if (k->held) {
            ngx_memcpy(held, k->held, k->nheld * sizeof(rd_kafka_message_t *));
            ngx_free(k->held);
            ngx_free(k->free);
        }

        for (i = k->nheld; i < n; i++) {
            held[i] = NULL;
            slots[k->nfree++] = n - 1 - (i - k->nheld);
        }

        k->held = held;
        k->free = slots;
        k->nheld = n;
    }

    msg->slot = k->free[--k->nfree];
    msg->rkm = m;
    k->held[msg->slot] = m;

    return NGX_OK;
}


ngx_uint_t
ngx_http_milvus_cdc_kafka_transport_error(rd_kafka_resp_err_t err)
{
    switch (err) {

    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__RESOLVE:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
    case RD_KAFKA_RESP_ERR__SSL:
    case RD_KAFKA_RESP_ERR__WAIT_COORD:
    case RD_KAFKA_RESP_ERR_NOT_COORDINATOR:
    case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
        return 1;

    default:
        return 0;
    }
}
