
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 *
 * ngx_http_milvus_cdc_module: nginx as a Milvus change-data-capture server.
 * This file holds the module, its directives and the init hooks; the task
 * API is in src/ngx_http_milvus_cdc_handler.c and the replication helper
 * process in src/ngx_http_milvus_cdc_helper.c.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_milvus_cdc.h"
#include "ngx_http_milvus_cdc_handler.h"
#include "ngx_http_milvus_cdc_helper.h"


static void *ngx_http_milvus_cdc_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_milvus_cdc_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_http_milvus_cdc_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_milvus_cdc_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static ngx_int_t ngx_http_milvus_cdc_postconfiguration(ngx_conf_t *cf);
static char *ngx_http_milvus_cdc(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_milvus_cdc_addresses(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_milvus_cdc_name(ngx_conf_t *cf, void *post, void *data);
static char *ngx_http_milvus_cdc_max_tasks(ngx_conf_t *cf, void *post,
    void *data);
static char *ngx_http_milvus_cdc_dml_channels(ngx_conf_t *cf, void *post,
    void *data);
static char *ngx_http_milvus_cdc_wait_timeout(ngx_conf_t *cf, void *post,
    void *data);
static ngx_int_t ngx_http_milvus_cdc_default_addresses(ngx_conf_t *cf,
    ngx_array_t **a, char *value);
static ngx_int_t ngx_http_milvus_cdc_init_process(ngx_cycle_t *cycle);
static void ngx_http_milvus_cdc_exit_process(ngx_cycle_t *cycle);


static ngx_conf_post_t  ngx_http_milvus_cdc_max_tasks_post = {
    ngx_http_milvus_cdc_max_tasks
};

static ngx_conf_post_t  ngx_http_milvus_cdc_dml_channels_post = {
    ngx_http_milvus_cdc_dml_channels
};

static ngx_conf_post_t  ngx_http_milvus_cdc_wait_timeout_post = {
    ngx_http_milvus_cdc_wait_timeout
};

static ngx_conf_post_t  ngx_http_milvus_cdc_name_post = {
    ngx_http_milvus_cdc_name
};


static ngx_command_t  ngx_http_milvus_cdc_commands[] = {

    { ngx_string("milvus_cdc"),
      NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_http_milvus_cdc,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_milvus_cdc_loc_conf_t, enable),
      NULL },

    { ngx_string("milvus_cdc_http_status"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_milvus_cdc_loc_conf_t, http_status),
      NULL },

    { ngx_string("milvus_cdc_max_body_size"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_milvus_cdc_loc_conf_t, max_body_size),
      NULL },

    { ngx_string("milvus_cdc_store"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_milvus_cdc_main_conf_t, store),
      NULL },

    { ngx_string("milvus_cdc_max_tasks"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_milvus_cdc_main_conf_t, max_tasks),
      &ngx_http_milvus_cdc_max_tasks_post },

    { ngx_string("milvus_cdc_source_etcd_endpoints"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_http_milvus_cdc_addresses,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_milvus_cdc_main_conf_t, etcd_endpoints),
      NULL },

    { ngx_string("milvus_cdc_source_etcd_root_path"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_milvus_cdc_main_conf_t, etcd_root_path),
      &ngx_http_milvus_cdc_name_post },

    { ngx_string("milvus_cdc_source_kafka_brokers"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_http_milvus_cdc_addresses,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_milvus_cdc_main_conf_t, kafka_brokers),
      NULL },

    { ngx_string("milvus_cdc_source_channel_prefix"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_milvus_cdc_main_conf_t, channel_prefix),
      &ngx_http_milvus_cdc_name_post },

    { ngx_string("milvus_cdc_source_dml_channels"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_milvus_cdc_main_conf_t, dml_channels),
      &ngx_http_milvus_cdc_dml_channels_post },

    { ngx_string("milvus_cdc_wait_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_milvus_cdc_main_conf_t, wait_timeout),
      &ngx_http_milvus_cdc_wait_timeout_post },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_milvus_cdc_module_ctx = {
    NULL,                                  /* preconfiguration */
    ngx_http_milvus_cdc_postconfiguration, /* postconfiguration */

    ngx_http_milvus_cdc_create_main_conf,  /* create main configuration */
    ngx_http_milvus_cdc_init_main_conf,    /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_milvus_cdc_create_loc_conf,   /* create location configuration */
    ngx_http_milvus_cdc_merge_loc_conf     /* merge location configuration */
};


ngx_module_t  ngx_http_milvus_cdc_module = {
    NGX_MODULE_V1,
    &ngx_http_milvus_cdc_module_ctx,       /* module context */
    ngx_http_milvus_cdc_commands,          /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_milvus_cdc_init_process,      /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_milvus_cdc_exit_process,      /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static void *
ngx_http_milvus_cdc_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_milvus_cdc_main_conf_t  *mcf;

    mcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_milvus_cdc_main_conf_t));
    if (mcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     mcf->store = { 0, NULL };
     *     mcf->path = NULL;
     *     mcf->etcd_root_path = { 0, NULL };
     *     mcf->channel_prefix = { 0, NULL };
     *     mcf->used = 0;
     */

    mcf->etcd_endpoints = NGX_CONF_UNSET_PTR;
    mcf->kafka_brokers = NGX_CONF_UNSET_PTR;
    mcf->max_tasks = NGX_CONF_UNSET_UINT;
    mcf->dml_channels = NGX_CONF_UNSET_UINT;
    mcf->wait_timeout = NGX_CONF_UNSET_MSEC;

    return mcf;
}


static char *
ngx_http_milvus_cdc_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_milvus_cdc_main_conf_t *mcf = conf;

    if (mcf->store.data == NULL) {
        ngx_str_set(&mcf->store, NGX_HTTP_MILVUS_CDC_DEFAULT_STORE);
    }

    if (ngx_conf_full_name(cf->cycle, &mcf->store, 0) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    if (mcf->etcd_root_path.data == NULL) {
        ngx_str_set(&mcf->etcd_root_path, "by-dev");
    }

    if (mcf->channel_prefix.data == NULL) {
        ngx_str_set(&mcf->channel_prefix, "by-dev");
    }

    ngx_conf_init_uint_value(mcf->max_tasks, 100);
    ngx_conf_init_uint_value(mcf->dml_channels, 16);
    ngx_conf_init_msec_value(mcf->wait_timeout, 600000);

    if (mcf->etcd_endpoints == NGX_CONF_UNSET_PTR
        && ngx_http_milvus_cdc_default_addresses(cf, &mcf->etcd_endpoints,
                                                 "127.0.0.1:2379")
           != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (mcf->kafka_brokers == NGX_CONF_UNSET_PTR
        && ngx_http_milvus_cdc_default_addresses(cf, &mcf->kafka_brokers,
                                                 "127.0.0.1:9092")
           != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static void *
ngx_http_milvus_cdc_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_milvus_cdc_loc_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_milvus_cdc_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    conf->enable = NGX_CONF_UNSET;
    conf->http_status = NGX_CONF_UNSET;
    conf->max_body_size = NGX_CONF_UNSET_SIZE;

    return conf;
}


static char *
ngx_http_milvus_cdc_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_milvus_cdc_loc_conf_t *prev = parent;
    ngx_http_milvus_cdc_loc_conf_t *conf = child;

    ngx_conf_merge_value(conf->enable, prev->enable, 0);
    ngx_conf_merge_value(conf->http_status, prev->http_status, 0);
    ngx_conf_merge_size_value(conf->max_body_size, prev->max_body_size,
                              64 * 1024);

    if (conf->max_body_size == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"milvus_cdc_max_body_size\" must be more than 0");
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/*
 * The helper process exists only when a location serves the task API: its
 * path (the task store directory) is registered here, after every
 * directive has been read.
 */

static ngx_int_t
ngx_http_milvus_cdc_postconfiguration(ngx_conf_t *cf)
{
    ngx_http_milvus_cdc_main_conf_t  *mcf;

    mcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_milvus_cdc_module);

    if (!mcf->used) {
        return NGX_OK;
    }

    return ngx_http_milvus_cdc_helper_add_path(cf, mcf);
}


static char *
ngx_http_milvus_cdc(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_milvus_cdc_loc_conf_t *mlcf = conf;

    char                             *rv;
    ngx_http_core_loc_conf_t         *clcf;
    ngx_http_milvus_cdc_main_conf_t  *mcf;

    rv = ngx_conf_set_flag_slot(cf, cmd, conf);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    if (!mlcf->enable) {
        return NGX_CONF_OK;
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_milvus_cdc_handler;

    mcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_milvus_cdc_module);
    mcf->used = 1;

    return NGX_CONF_OK;
}


/* "host:port" arguments, checked without resolving */

static char *
ngx_http_milvus_cdc_addresses(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char  *p = conf;

    ngx_url_t     u;
    ngx_str_t    *value, *s;
    ngx_uint_t    i;
    ngx_array_t **a;

    a = (ngx_array_t **) (p + cmd->offset);

    if (*a != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    *a = ngx_array_create(cf->pool, cf->args->nelts - 1, sizeof(ngx_str_t));
    if (*a == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {
        ngx_memzero(&u, sizeof(ngx_url_t));

        u.url = value[i];
        u.no_resolve = 1;

        if (ngx_parse_url(cf->pool, &u) != NGX_OK || u.no_port
            || u.uri.len || u.host.len == 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid address \"%V\" in \"%V\": "
                               "host:port expected", &value[i],
                               &cmd->name);
            return NGX_CONF_ERROR;
        }

        s = ngx_array_push(*a);
        if (s == NULL) {
            return NGX_CONF_ERROR;
        }

        *s = value[i];
    }

    return NGX_CONF_OK;
}


/* a root path or channel prefix: [A-Za-z0-9_./-], not empty */

static char *
ngx_http_milvus_cdc_name(ngx_conf_t *cf, void *post, void *data)
{
    ngx_str_t  *s = data;

    size_t  i;

    if (s->len == 0) {
        return "must not be empty";
    }

    for (i = 0; i < s->len; i++) {
        if (!isalnum(s->data[i]) && s->data[i] != '_' && s->data[i] != '-'
            && s->data[i] != '.' && s->data[i] != '/')
        {
            return "may hold only letters, digits, \"_\", \"-\", \".\" "
                   "and \"/\"";
        }
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_milvus_cdc_max_tasks(ngx_conf_t *cf, void *post, void *data)
{
    ngx_uint_t  *n = data;

    if (*n < 1 || *n > 100000) {
        return "must be 1 to 100000";
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_milvus_cdc_dml_channels(ngx_conf_t *cf, void *post, void *data)
{
    ngx_uint_t  *n = data;

    if (*n < 1 || *n > 1024) {
        return "must be 1 to 1024";
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_milvus_cdc_wait_timeout(ngx_conf_t *cf, void *post, void *data)
{
    ngx_msec_t  *ms = data;

    if (*ms < 1000) {
        return "must be at least 1s";
    }

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_milvus_cdc_default_addresses(ngx_conf_t *cf, ngx_array_t **a,
    char *value)
{
    ngx_str_t  *s;

    *a = ngx_array_create(cf->pool, 1, sizeof(ngx_str_t));
    if (*a == NULL) {
        return NGX_ERROR;
    }

    s = ngx_array_push(*a);
    if (s == NULL) {
        return NGX_ERROR;
    }

    s->data = (u_char *) value;
    s->len = ngx_strlen(value);

    return NGX_OK;
}


static ngx_int_t
ngx_http_milvus_cdc_init_process(ngx_cycle_t *cycle)
{
    ngx_http_milvus_cdc_main_conf_t  *mcf;

    mcf = ngx_http_cycle_get_module_main_conf(cycle,
                                              ngx_http_milvus_cdc_module);

    if (mcf == NULL || !mcf->used) {
        return NGX_OK;
    }

    /* with "master_process off" no helper runs: a timer does its work */

    if (ngx_process == NGX_PROCESS_SINGLE) {
        return ngx_http_milvus_cdc_helper_start_timer(cycle, mcf);
    }

    return NGX_OK;
}


static void
ngx_http_milvus_cdc_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_milvus_cdc_helper_exit();
    ngx_http_milvus_cdc_handler_exit();
}
