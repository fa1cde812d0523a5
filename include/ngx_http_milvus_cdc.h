
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 */


#ifndef _NGX_HTTP_MILVUS_CDC_H_INCLUDED_
#define _NGX_HTTP_MILVUS_CDC_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


/*
 * Task states, as stored in sqlite (tasks.state) and as Milvus-CDC numbers
 * them (server/model/meta TaskState: Initial 0, Running 1, Paused 2).
 */
#define NGX_HTTP_MILVUS_CDC_INITIAL        0
#define NGX_HTTP_MILVUS_CDC_RUNNING        1
#define NGX_HTTP_MILVUS_CDC_PAUSED         2

/* the logical codes of the response envelope {"code": …} */
#define NGX_HTTP_MILVUS_CDC_OK             200
#define NGX_HTTP_MILVUS_CDC_BAD_REQUEST    400
#define NGX_HTTP_MILVUS_CDC_NOT_ALLOWED    405
#define NGX_HTTP_MILVUS_CDC_SERVER_ERROR   500

/* the task store directory when milvus_cdc_store is not set */
#define NGX_HTTP_MILVUS_CDC_DEFAULT_STORE  "/var/lib/nginx/milvus_cdc"

/* limits of names and ids, in bytes */
#define NGX_HTTP_MILVUS_CDC_NAME_MAX       255
#define NGX_HTTP_MILVUS_CDC_TASK_ID_MAX    64


/*
 * The http{} level configuration: where the task store lives and what the
 * source Milvus looks like.  Filled by the milvus_cdc_* directives; reached
 * from workers and the helper process with
 * ngx_http_cycle_get_module_main_conf(ngx_cycle, ngx_http_milvus_cdc_module).
 *
 *   store           directory of the sqlite task store (tasks.db); it is
 *                   also the ngx_path_t whose manager is the helper process
 *   path            that ngx_path_t, NULL when no location enables the module
 *   etcd_endpoints  array of ngx_str_t "host:port" (source etcd)
 *   etcd_root_path  source etcd.rootPath, e.g. "by-dev"
 *   kafka_brokers   array of ngx_str_t "host:port" (source Kafka)
 *   channel_prefix  source msgChannel.chanNamePrefix.cluster, e.g. "by-dev"
 *   dml_channels    source rootCoord.dmlChannelNum: the DML pchannels are
 *                   "<channel_prefix>-rootcoord-dml_<0..n-1>"
 *   max_tasks       most tasks the store holds (create answers 500 beyond)
 *   wait_timeout    ms a source pchannel may wait at one message (for
 *                   metadata, a collection, a partition) while the target
 *                   answers and nothing else moves, before the task pauses
 *                   with a reason naming what it waits for (default 10 min;
 *                   it is logged at a sixth of it)
 *   used            set when a location has "milvus_cdc on"
 */
typedef struct {
    ngx_str_t                 store;
    ngx_path_t               *path;
    ngx_array_t              *etcd_endpoints;
    ngx_str_t                 etcd_root_path;
    ngx_array_t              *kafka_brokers;
    ngx_str_t                 channel_prefix;
    ngx_uint_t                dml_channels;
    ngx_uint_t                max_tasks;
    ngx_msec_t                wait_timeout;
    ngx_flag_t                used;
} ngx_http_milvus_cdc_main_conf_t;


/*
 * The location level configuration.
 *
 *   enable          "milvus_cdc on": the location serves the task API
 *   http_status     "milvus_cdc_http_status on": the HTTP status mirrors the
 *                   envelope's code (off: always 200, like Milvus-CDC)
 *   max_body_size   largest request body accepted, in bytes; larger bodies
 *                   are answered {"code": 400, …}
 */
typedef struct {
    ngx_flag_t                enable;
    ngx_flag_t                http_status;
    size_t                    max_body_size;
} ngx_http_milvus_cdc_loc_conf_t;


extern ngx_module_t  ngx_http_milvus_cdc_module;


#endif /* _NGX_HTTP_MILVUS_CDC_H_INCLUDED_ */
