
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 *
 * The Kafka reader's librdkafka consumer: its settings, its creation and
 * destruction, and the log and error callbacks librdkafka calls from
 * inside poll.  Assignment and reading are in
 * src/ngx_http_milvus_cdc_kafka.c.
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include <pthread.h>
#include <librdkafka/rdkafka.h>

#include "ngx_http_milvus_cdc_kafka.h"
#include "ngx_http_milvus_cdc_kafka_int.h"


#define NGX_HTTP_MILVUS_CDC_KAFKA_NAME       "nginx-milvus-cdc"


static ngx_int_t ngx_http_milvus_cdc_kafka_brokers(ngx_array_t *list,
    u_char *buf, size_t size);
static ngx_int_t ngx_http_milvus_cdc_kafka_id(ngx_str_t *id, u_char *buf,
    size_t size);
static ngx_http_milvus_cdc_kafka_t *ngx_http_milvus_cdc_kafka_alloc(
    ngx_log_t *log);
static rd_kafka_conf_t *ngx_http_milvus_cdc_kafka_settings_new(
    ngx_http_milvus_cdc_kafka_t *k, u_char *brokers, u_char *group,
    u_char *client, u_char *err, size_t errlen);
static ngx_int_t ngx_http_milvus_cdc_kafka_conf_set(rd_kafka_conf_t *rconf,
    const char *name, const char *value, u_char *err, size_t errlen);
static ngx_int_t ngx_http_milvus_cdc_kafka_consumer_new(
    ngx_http_milvus_cdc_kafka_t *k, rd_kafka_conf_t *rconf, u_char *err,
    size_t errlen);
static void ngx_http_milvus_cdc_kafka_log_cb(const rd_kafka_t *rk, int level,
    const char *fac, const char *buf);
static ngx_uint_t ngx_http_milvus_cdc_kafka_log_missing(
    ngx_http_milvus_cdc_kafka_t *k, const char *buf);
static ngx_http_milvus_cdc_kafka_fac_t *ngx_http_milvus_cdc_kafka_log_fac(
    ngx_http_milvus_cdc_kafka_t *k, const char *fac);
static void ngx_http_milvus_cdc_kafka_error_cb(rd_kafka_t *rk, int err,
    const char *reason, void *opaque);


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
    rd_kafka_conf_t              *rconf;
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

    if (ngx_http_milvus_cdc_kafka_id(&conf->group_id, group, sizeof(group))
        != NGX_OK
        || ngx_http_milvus_cdc_kafka_id(&conf->client_id, client,
                                        sizeof(client))
           != NGX_OK)
    {
        ngx_cpystrn(err, (u_char *) "Kafka group or client id too long",
                    errlen);
        return NULL;
    }

    k = ngx_http_milvus_cdc_kafka_alloc(conf->log);
    if (k == NULL) {
        ngx_cpystrn(err, (u_char *) "out of memory", errlen);
        return NULL;
    }

    rconf = ngx_http_milvus_cdc_kafka_settings_new(k, brokers, group, client,
                                                   err, errlen);
    if (rconf == NULL) {
        ngx_destroy_pool(k->pool);
        return NULL;
    }

    if (ngx_http_milvus_cdc_kafka_consumer_new(k, rconf, err, errlen)
        != NGX_OK)
    {
        ngx_destroy_pool(k->pool);
        return NULL;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_CORE, k->log, 0,
                   "milvus_cdc: kafka: consumer created, brokers \"%s\"",
                   brokers);

    return k;
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


/*
 * group.id or client.id: id, or "nginx-milvus-cdc" when empty, into buf
 * (NUL-terminated); NGX_ERROR if id does not fit
 */

static ngx_int_t
ngx_http_milvus_cdc_kafka_id(ngx_str_t *id, u_char *buf, size_t size)
{
    if (id->len >= size) {
        return NGX_ERROR;
    }

    if (id->len) {
        ngx_cpystrn(buf, id->data, id->len + 1);

    } else {
        ngx_cpystrn(buf, (u_char *) NGX_HTTP_MILVUS_CDC_KAFKA_NAME, size);
    }

    return NGX_OK;
}


/* the handle in its own pool, no topic, no consumer yet; NULL: no memory */

static ngx_http_milvus_cdc_kafka_t *
ngx_http_milvus_cdc_kafka_alloc(ngx_log_t *log)
{
    ngx_pool_t                   *pool;
    ngx_http_milvus_cdc_kafka_t  *k;

    pool = ngx_create_pool(1024, log);
    if (pool == NULL) {
        return NULL;
    }

    k = ngx_pcalloc(pool, sizeof(ngx_http_milvus_cdc_kafka_t));
    if (k == NULL
        || ngx_array_init(&k->topics, pool, 8,
                          sizeof(ngx_http_milvus_cdc_kafka_topic_t))
           != NGX_OK)
    {
        ngx_destroy_pool(pool);
        return NULL;
    }

    k->pool = pool;
    k->log = log;

    return k;
}


/*
 * The librdkafka configuration: the brokers and ids, the settings of the
 * table above, the callbacks, k as opaque.  NULL with the reason in err.
 */

static rd_kafka_conf_t *
ngx_http_milvus_cdc_kafka_settings_new(ngx_http_milvus_cdc_kafka_t *k,
    u_char *brokers, u_char *group, u_char *client, u_char *err,
    size_t errlen)
{
    ngx_uint_t        i;
    rd_kafka_conf_t  *rconf;

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
        return NULL;
    }

    for (i = 0; ngx_http_milvus_cdc_kafka_settings[i].name; i++) {
        if (ngx_http_milvus_cdc_kafka_conf_set(rconf,
                ngx_http_milvus_cdc_kafka_settings[i].name,
                ngx_http_milvus_cdc_kafka_settings[i].value, err, errlen)
            != NGX_OK)
        {
            rd_kafka_conf_destroy(rconf);
            return NULL;
        }
    }

    rd_kafka_conf_set_log_cb(rconf, ngx_http_milvus_cdc_kafka_log_cb);
    rd_kafka_conf_set_error_cb(rconf, ngx_http_milvus_cdc_kafka_error_cb);
    rd_kafka_conf_set_opaque(rconf, k);

    return rconf;
}


/* one librdkafka setting; NGX_ERROR with the reason in err */

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
 * The consumer of rconf (which it takes) into k->rk, its logs and events
 * served by its consumer queue; NGX_ERROR with the reason in err.
 */

static ngx_int_t
ngx_http_milvus_cdc_kafka_consumer_new(ngx_http_milvus_cdc_kafka_t *k,
    rd_kafka_conf_t *rconf, u_char *err, size_t errlen)
{
    char                 errstr[512];
    sigset_t             set, old;
    rd_kafka_t          *rk;
    rd_kafka_resp_err_t  rc;

    /* librdkafka's threads inherit the mask: keep nginx's signals off them */

    sigfillset(&set);
    (void) pthread_sigmask(SIG_BLOCK, &set, &old);

    rk = rd_kafka_new(RD_KAFKA_CONSUMER, rconf, errstr, sizeof(errstr));

    (void) pthread_sigmask(SIG_SETMASK, &old, NULL);

    if (rk == NULL) {
        rd_kafka_conf_destroy(rconf);
        ngx_snprintf(err, errlen - 1, "rd_kafka_new() failed: %s%Z", errstr);
        err[errlen - 1] = '\0';
        return NGX_ERROR;
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
    time_t                            now;
    ngx_uint_t                        lvl;
    ngx_http_milvus_cdc_kafka_t      *k;
    ngx_http_milvus_cdc_kafka_fac_t  *f;

    k = rd_kafka_opaque(rk);
    if (k == NULL) {
        return;
    }

    if (level >= 7) {
        ngx_log_debug2(NGX_LOG_DEBUG_CORE, k->log, 0,
                       "milvus_cdc: kafka: %s: %s", fac, buf);
        return;
    }

    if (ngx_http_milvus_cdc_kafka_log_missing(k, buf)) {
        return;
    }

    /* rate limit per facility */

    now = ngx_time();
    f = ngx_http_milvus_cdc_kafka_log_fac(k, fac);

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
 * A missing topic (not written by Milvus yet) is logged by librdkafka
 * every second once the 30 s metadata propagation time has passed:
 * "rdkafka#consumer-1: <topic> [0]: topic does not exist (...)"; it is
 * said once per topic, it is expected for unused pchannels.  Returns 1 if
 * buf is such a line about an assigned topic.
 */

static ngx_uint_t
ngx_http_milvus_cdc_kafka_log_missing(ngx_http_milvus_cdc_kafka_t *k,
    const char *buf)
{
    char                               *p;
    ngx_http_milvus_cdc_kafka_topic_t  *t, *e;

    p = ngx_strstr(buf, " [0]: topic does not exist");

    if (p == NULL) {
        return 0;
    }

    e = k->topics.elts;

    for (t = e; t < e + k->topics.nelts; t++) {
        if (!t->used || (size_t) (p - buf) < t->name.len
            || ngx_strncmp(p - t->name.len, t->name.data, t->name.len) != 0)
        {
            continue;
        }

        if (!t->missing) {
            t->missing = 1;
            ngx_log_error(NGX_LOG_NOTICE, k->log, 0,
                          "milvus_cdc: kafka: topic \"%V\" does not "
                          "exist (yet), waiting for it", &t->name);
        }

        return 1;
    }

    return 0;
}


/*
 * The rate limit slot of facility fac: its own, or the one used longest
 * ago, then reset for fac
 */

static ngx_http_milvus_cdc_kafka_fac_t *
ngx_http_milvus_cdc_kafka_log_fac(ngx_http_milvus_cdc_kafka_t *k,
    const char *fac)
{
    ngx_uint_t                        i;
    ngx_http_milvus_cdc_kafka_fac_t  *f;

    f = &k->facs[0];

    for (i = 0; i < NGX_HTTP_MILVUS_CDC_KAFKA_NFAC; i++) {
        if (ngx_strncmp(k->facs[i].fac, fac, sizeof(k->facs[i].fac) - 1)
            == 0)
        {
            return &k->facs[i];
        }

        if (k->facs[i].last < f->last) {
            f = &k->facs[i];
        }
    }

    ngx_cpystrn((u_char *) f->fac, (u_char *) fac, sizeof(f->fac));
    f->last = 0;
    f->suppressed = 0;

    return f;
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
