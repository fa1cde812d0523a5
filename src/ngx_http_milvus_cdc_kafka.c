
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include <pthread.h>
#include <librdkafka/rdkafka.h>

#include "ngx_http_milvus_cdc_kafka.h"


#define NGX_HTTP_MILVUS_CDC_KAFKA_NAME       "nginx-milvus-cdc"

/* Kafka's limit on topic names */
#define NGX_HTTP_MILVUS_CDC_KAFKA_TOPIC_MAX  249

/* facilities remembered for log rate limiting */
#define NGX_HTTP_MILVUS_CDC_KAFKA_NFAC       16


typedef struct {
    ngx_str_t                           name;      /* NUL-terminated */
    size_t                              size;      /* allocated for name */
    void                               *data;
    int64_t                             start;     /* offset asked for */
    int64_t                             next;      /* next to deliver, -1 */
    unsigned                            used:1;
    unsigned                            paused:1;
    unsigned                            refetch:1; /* dropped while paused */
    unsigned                            failed:1;  /* NGX_DECLINED given */
    unsigned                            missing:1; /* "does not exist" */
} ngx_http_milvus_cdc_kafka_topic_t;


typedef struct {
    char                                fac[16];
    time_t                              last;
    ngx_uint_t                          suppressed;
} ngx_http_milvus_cdc_kafka_fac_t;


struct ngx_http_milvus_cdc_kafka_s {
    rd_kafka_t                         *rk;
    ngx_log_t                          *log;
    ngx_pool_t                         *pool;
    ngx_array_t                         topics;
    ngx_uint_t                          down;      /* brokers unreachable */
    ngx_uint_t                          fatal;
    time_t                              last_error;
    rd_kafka_message_t                **held;     /* not released yet */
    ngx_uint_t                         *free;      /* free slots of held */
    ngx_uint_t                          nfree;
    ngx_uint_t                          nheld;     /* slots in held */
    ngx_http_milvus_cdc_kafka_fac_t     facs[NGX_HTTP_MILVUS_CDC_KAFKA_NFAC];
};


static ngx_int_t ngx_http_milvus_cdc_kafka_brokers(ngx_array_t *list,
    u_char *buf, size_t size);
static ngx_int_t ngx_http_milvus_cdc_kafka_conf_set(rd_kafka_conf_t *rconf,
    const char *name, const char *value, u_char *err, size_t errlen);
static void ngx_http_milvus_cdc_kafka_log_cb(const rd_kafka_t *rk, int level,
    const char *fac, const char *buf);
static void ngx_http_milvus_cdc_kafka_error_cb(rd_kafka_t *rk, int err,
    const char *reason, void *opaque);
static ngx_http_milvus_cdc_kafka_topic_t *ngx_http_milvus_cdc_kafka_find(
    ngx_http_milvus_cdc_kafka_t *k, const char *name, size_t len);
static ngx_int_t ngx_http_milvus_cdc_kafka_start(
    ngx_http_milvus_cdc_kafka_t *k, ngx_http_milvus_cdc_kafka_topic_t *t,
    int64_t offset, ngx_uint_t reassign);
static ngx_int_t ngx_http_milvus_cdc_kafka_event(
    ngx_http_milvus_cdc_kafka_t *k, rd_kafka_message_t *m,
    ngx_http_milvus_cdc_kafka_msg_t *msg);
static void ngx_http_milvus_cdc_kafka_set_error(
    ngx_http_milvus_cdc_kafka_msg_t *msg, const char *text);
static ngx_uint_t ngx_http_milvus_cdc_kafka_transport_error(
    rd_kafka_resp_err_t err);
static ngx_int_t ngx_http_milvus_cdc_kafka_hold(
    ngx_http_milvus_cdc_kafka_t *k, rd_kafka_message_t *m,
    ngx_http_milvus_cdc_kafka_msg_t *msg);


/*
 * Manual assignment at explicit offsets, nothing stored in Kafka (the
 * positions are the task store's checkpoints); group.id only because
 * rd_kafka_assign()/consumer_poll() fail with "Unknown group" without one;
 * records up to 10 MiB (Milvus producer message.max.bytes).
 */

static struct {
    const char  *name;
    const char  *value;
} ngx_http_milvus_cdc_kafka_settings[] = {
    { "enable.auto.commit", "false" },
    { "enable.auto.offset.store", "false" },
    { "enable.partition.eof", "true" },
    { "auto.offset.reset", "error" },
    { "allow.auto.create.topics", "false" },
    { "max.partition.fetch.bytes", "16777216" },
    { "fetch.max.bytes", "33554432" },
    { "socket.keepalive.enable", "true" },
    { "log.connection.close", "false" },
    { "log.queue", "true" },
    { NULL, NULL }
};


ngx_http_milvus_cdc_kafka_t *
ngx_http_milvus_cdc_kafka_create(ngx_http_milvus_cdc_kafka_conf_t *conf,
    u_char *err, size_t errlen)
{
    char                          errstr[512];
    sigset_t                      set, old;
    ngx_uint_t                    i;
    ngx_pool_t                   *pool;
    rd_kafka_t                   *rk;
    rd_kafka_conf_t              *rconf;
    rd_kafka_resp_err_t           rc;
    ngx_http_milvus_cdc_kafka_t  *k;
    u_char                        brokers[2048], group[256], client[256];

    if (conf->brokers == NULL || conf->brokers->nelts == 0) {
        ngx_cpystrn(err, (u_char *) "no Kafka brokers", errlen);
        return NULL;
    }

    if (ngx_http_milvus_cdc_kafka_brokers(conf->brokers, brokers,
                                          sizeof(brokers))
        != NGX_OK)
    {
        ngx_cpystrn(err, (u_char *) "bad Kafka broker list", errlen);
        return NULL;
    }

    if (conf->group_id.len >= sizeof(group)
        || conf->client_id.len >= sizeof(client))
    {
        ngx_cpystrn(err, (u_char *) "Kafka group or client id too long",
                    errlen);
        return NULL;
    }

    if (conf->group_id.len) {
        ngx_cpystrn(group, conf->group_id.data, conf->group_id.len + 1);

    } else {
        ngx_cpystrn(group, (u_char *) NGX_HTTP_MILVUS_CDC_KAFKA_NAME,
                    sizeof(group));
    }

    if (conf->client_id.len) {
        ngx_cpystrn(client, conf->client_id.data, conf->client_id.len + 1);

    } else {
        ngx_cpystrn(client, (u_char *) NGX_HTTP_MILVUS_CDC_KAFKA_NAME,
                    sizeof(client));
    }

    pool = ngx_create_pool(1024, conf->log);
    if (pool == NULL) {
        ngx_cpystrn(err, (u_char *) "out of memory", errlen);
        return NULL;
    }

    k = ngx_pcalloc(pool, sizeof(ngx_http_milvus_cdc_kafka_t));
    if (k == NULL
        || ngx_array_init(&k->topics, pool, 8,
                          sizeof(ngx_http_milvus_cdc_kafka_topic_t))
           != NGX_OK)
    {
        ngx_destroy_pool(pool);
        ngx_cpystrn(err, (u_char *) "out of memory", errlen);
        return NULL;
    }

    k->pool = pool;
    k->log = conf->log;

    rconf = rd_kafka_conf_new();

    /* the settings of the table above, then the conf's */

    if (ngx_http_milvus_cdc_kafka_conf_set(rconf, "bootstrap.servers",
                                           (char *) brokers, err, errlen)
        != NGX_OK
        || ngx_http_milvus_cdc_kafka_conf_set(rconf, "group.id",
                                              (char *) group, err, errlen)
           != NGX_OK
        || ngx_http_milvus_cdc_kafka_conf_set(rconf, "client.id",
                                              (char *) client, err, errlen)
           != NGX_OK)
    {
        rd_kafka_conf_destroy(rconf);
        ngx_destroy_pool(pool);
        return NULL;
    }

    for (i = 0; ngx_http_milvus_cdc_kafka_settings[i].name; i++) {
        if (ngx_http_milvus_cdc_kafka_conf_set(rconf,
                ngx_http_milvus_cdc_kafka_settings[i].name,
                ngx_http_milvus_cdc_kafka_settings[i].value, err, errlen)
            != NGX_OK)
        {
            rd_kafka_conf_destroy(rconf);
            ngx_destroy_pool(pool);
            return NULL;
        }
    }

    rd_kafka_conf_set_log_cb(rconf, ngx_http_milvus_cdc_kafka_log_cb);
    rd_kafka_conf_set_error_cb(rconf, ngx_http_milvus_cdc_kafka_error_cb);
    rd_kafka_conf_set_opaque(rconf, k);

    /* librdkafka's threads inherit the mask: keep nginx's signals off them */

    sigfillset(&set);
    (void) pthread_sigmask(SIG_BLOCK, &set, &old);

    rk = rd_kafka_new(RD_KAFKA_CONSUMER, rconf, errstr, sizeof(errstr));

    (void) pthread_sigmask(SIG_SETMASK, &old, NULL);

    if (rk == NULL) {
        rd_kafka_conf_destroy(rconf);
        ngx_destroy_pool(pool);
        ngx_snprintf(err, errlen - 1, "rd_kafka_new() failed: %s%Z", errstr);
        err[errlen - 1] = '\0';
        return NULL;
    }

    k->rk = rk;

    /* logs are served by the consumer queue, i.e. inside our poll */

    rc = rd_kafka_set_log_queue(rk, NULL);

    if (rc == RD_KAFKA_RESP_ERR_NO_ERROR) {
        rc = rd_kafka_poll_set_consumer(rk);
    }

    if (rc != RD_KAFKA_RESP_ERR_NO_ERROR) {
        ngx_snprintf(err, errlen - 1, "Kafka consumer setup failed: %s%Z",
                     rd_kafka_err2str(rc));
        err[errlen - 1] = '\0';
        rd_kafka_destroy_flags(rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
        ngx_destroy_pool(pool);
        return NULL;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_CORE, k->log, 0,
                   "milvus_cdc: kafka: consumer created, brokers \"%s\"",
                   brokers);

    return k;
}


/* "host:port,host:port", NUL-terminated, into buf */

static ngx_int_t
ngx_http_milvus_cdc_kafka_brokers(ngx_array_t *list, u_char *buf,
    size_t size)
{
    u_char      *p, *last;
    ngx_str_t   *b;
    ngx_uint_t   i;

    b = list->elts;
    p = buf;
    last = buf + size - 1;

    for (i = 0; i < list->nelts; i++) {
        if (b[i].len == 0 || (size_t) (last - p) < b[i].len + 1) {
            return NGX_ERROR;
        }

        if (i) {
            *p++ = ',';
        }

        p = ngx_cpymem(p, b[i].data, b[i].len);
    }

    *p = '\0';

    return NGX_OK;
}


void
ngx_http_milvus_cdc_kafka_destroy(ngx_http_milvus_cdc_kafka_t *k)
{
    ngx_uint_t  i;

    if (k == NULL) {
        return;
    }

    /* rd_kafka_destroy() waits forever for records still held [tested] */

    for (i = 0; i < k->nheld; i++) {
        if (k->held[i]) {
            rd_kafka_message_destroy(k->held[i]);
        }
    }

    if (k->held) {
        ngx_free(k->held);
        ngx_free(k->free);
    }

    /*
     * no consumer close: it would wait for the group coordinator, which
     * blocks while the brokers are unreachable (librdkafka #4519)
     */

    rd_kafka_destroy_flags(k->rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);

    ngx_destroy_pool(k->pool);
}


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


static ngx_int_t
ngx_http_milvus_cdc_kafka_conf_set(rd_kafka_conf_t *rconf, const char *name,
    const char *value, u_char *err, size_t errlen)
{
    char  errstr[256];

    if (rd_kafka_conf_set(rconf, name, value, errstr, sizeof(errstr))
        != RD_KAFKA_CONF_OK)
    {
        ngx_snprintf(err, errlen - 1, "Kafka setting %s=%s: %s%Z",
                     name, value, errstr);
        err[errlen - 1] = '\0';
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * Runs inside rd_kafka_consumer_poll() (log.queue=true), in our thread,
 * or inside rd_kafka_new()/destroy() in the caller's thread.
 */

static void
ngx_http_milvus_cdc_kafka_log_cb(const rd_kafka_t *rk, int level,
    const char *fac, const char *buf)
{
    char                               *p;
    time_t                              now;
    ngx_uint_t                          i, lvl;
    ngx_http_milvus_cdc_kafka_t        *k;
    ngx_http_milvus_cdc_kafka_fac_t    *f, *oldest;
    ngx_http_milvus_cdc_kafka_topic_t  *t, *e;

    k = rd_kafka_opaque(rk);
    if (k == NULL) {
        return;
    }

    if (level >= 7) {
        ngx_log_debug2(NGX_LOG_DEBUG_CORE, k->log, 0,
                       "milvus_cdc: kafka: %s: %s", fac, buf);
        return;
    }

    /*
     * a missing topic (not written by Milvus yet) is logged by librdkafka
     * every second once the 30 s metadata propagation time has passed:
     * "rdkafka#consumer-1: <topic> [0]: topic does not exist (...)";
     * say it once per topic, it is expected for unused pchannels
     */

    p = ngx_strstr(buf, " [0]: topic does not exist");

    if (p != NULL) {
        e = k->topics.elts;

        for (t = e; t < e + k->topics.nelts; t++) {
            if (!t->used || (size_t) (p - buf) < t->name.len
                || ngx_strncmp(p - t->name.len, t->name.data, t->name.len)
                   != 0)
            {
                continue;
            }

            if (!t->missing) {
                t->missing = 1;
                ngx_log_error(NGX_LOG_NOTICE, k->log, 0,
                              "milvus_cdc: kafka: topic \"%V\" does not "
                              "exist (yet), waiting for it", &t->name);
            }

            return;
        }
    }

    /* rate limit per facility */

    now = ngx_time();
    f = NULL;
    oldest = &k->facs[0];

    for (i = 0; i < NGX_HTTP_MILVUS_CDC_KAFKA_NFAC; i++) {
        if (ngx_strncmp(k->facs[i].fac, fac, sizeof(k->facs[i].fac) - 1)
            == 0)
        {
            f = &k->facs[i];
            break;
        }

        if (k->facs[i].last < oldest->last) {
            oldest = &k->facs[i];
        }
    }

    if (f == NULL) {
        f = oldest;
        ngx_cpystrn((u_char *) f->fac, (u_char *) fac, sizeof(f->fac));
        f->last = 0;
        f->suppressed = 0;
    }

    if (f->last && now - f->last < NGX_HTTP_MILVUS_CDC_KAFKA_LOG_INTERVAL) {
        f->suppressed++;
        return;
    }

    /*
     * connection failures ("FAIL") come again as error events, reported
     * by the error callback once per state change: keep them at "info"
     */

    if (ngx_strcmp(fac, "FAIL") == 0) {
        lvl = NGX_LOG_INFO;

    } else if (level <= 4) {
        lvl = NGX_LOG_WARN;

    } else if (level == 5) {
        lvl = NGX_LOG_NOTICE;

    } else {
        lvl = NGX_LOG_INFO;
    }

    if (f->suppressed) {
        ngx_log_error(lvl, k->log, 0,
                      "milvus_cdc: kafka: %s: %s (%ui similar lines "
                      "suppressed)", fac, buf, f->suppressed);
    } else {
        ngx_log_error(lvl, k->log, 0, "milvus_cdc: kafka: %s: %s", fac, buf);
    }

    f->last = now;
    f->suppressed = 0;
}


/*
 * Client-level errors (error events), served like the logs inside
 * rd_kafka_consumer_poll(), in our thread.  Without this callback
 * librdkafka logs them as "ERROR" lines.
 */

static void
ngx_http_milvus_cdc_kafka_error_cb(rd_kafka_t *rk, int err,
    const char *reason, void *opaque)
{
    time_t                        now;
    ngx_http_milvus_cdc_kafka_t  *k;

    k = opaque;

    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        k->fatal = 1;
        ngx_log_error(NGX_LOG_ERR, k->log, 0,
                      "milvus_cdc: kafka: fatal error: %s", reason);
        return;
    }

    if (ngx_http_milvus_cdc_kafka_transport_error(err)) {

        /* once per state change; records or EOF flowing end the state */

        if (!k->down) {
            k->down = 1;
            ngx_log_error(NGX_LOG_WARN, k->log, 0,
                          "milvus_cdc: kafka: brokers unreachable: %s",
                          reason);

        } else {
            ngx_log_debug1(NGX_LOG_DEBUG_CORE, k->log, 0,
                           "milvus_cdc: kafka: %s", reason);
        }

        return;
    }

    now = ngx_time();

    if (now - k->last_error < NGX_HTTP_MILVUS_CDC_KAFKA_LOG_INTERVAL) {
        ngx_log_debug1(NGX_LOG_DEBUG_CORE, k->log, 0,
                       "milvus_cdc: kafka: %s", reason);
        return;
    }

    k->last_error = now;

    ngx_log_error(NGX_LOG_WARN, k->log, 0,
                  "milvus_cdc: kafka: %s (%s)", reason,
                  rd_kafka_err2name(err));
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
    char                               *errstr;
    const char                         *name;
    ngx_uint_t                          lvl;
    rd_kafka_timestamp_type_t           tstype;
    ngx_http_milvus_cdc_kafka_topic_t  *t;

    ngx_str_null(&msg->topic);
    ngx_str_null(&msg->error);
    msg->data = NULL;
    msg->offset = m->offset;
    msg->payload = NULL;
    msg->len = 0;
    msg->timestamp = -1;

    if (m->rkt == NULL) {

        /* an error of the client, not of a partition */

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

    case RD_KAFKA_RESP_ERR__PARTITION_EOF:

        if (t->next < 0) {
            t->next = m->offset;
        }

        return NGX_DONE;

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


static ngx_uint_t
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
