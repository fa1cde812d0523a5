
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 *
 * The source metadata reader's private header: the reader object, the keys
 * of a refresh as read, and what its files offer each other.  Only
 * src/ngx_http_milvus_cdc_meta*.c include it; the public interface is
 * include/ngx_http_milvus_cdc_meta.h.
 *
 *   ngx_http_milvus_cdc_meta.c        the reader: create, refresh, cancel,
 *                                     destroy; lookups in a snapshot
 *   ngx_http_milvus_cdc_meta_range.c  the etcd Range calls, page by page,
 *                                     section by section
 *   ngx_http_milvus_cdc_meta_build.c  each key decoded, then the snapshot
 *                                     built from them
 *   ngx_http_milvus_cdc_meta_alias.c  the alias keys, decoded and built
 */


#ifndef _NGX_HTTP_MILVUS_CDC_META_INT_H_INCLUDED_
#define _NGX_HTTP_MILVUS_CDC_META_INT_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

#include "ngx_http_milvus_cdc_grpc.h"
#include "ngx_http_milvus_cdc_meta.h"
#include "milvus_cdc_etcd.pb-c.h"
#include "milvus_cdc_etcd_meta.pb-c.h"
#include "milvus_cdc_schema.pb-c.h"


/* sections of root-coord/, read in this order */
#define NGX_HTTP_MILVUS_CDC_META_DBS          0
#define NGX_HTTP_MILVUS_CDC_META_COLLS        1
#define NGX_HTTP_MILVUS_CDC_META_LEGACY       2
#define NGX_HTTP_MILVUS_CDC_META_PARTS        3
#define NGX_HTTP_MILVUS_CDC_META_FIELDS       4
#define NGX_HTTP_MILVUS_CDC_META_ALIASES      5
#define NGX_HTTP_MILVUS_CDC_META_OLD_ALIASES  6
#define NGX_HTTP_MILVUS_CDC_META_NSECTIONS    7

/* restarts of a refresh whose revision was compacted meanwhile */
#define NGX_HTTP_MILVUS_CDC_META_RESTARTS     2


/* a collection key as read, decoded in the work pool */
typedef struct {
    int64_t                                id;
    int64_t                                db_id;
    Milvus__Proto__Etcd__CollectionInfo   *info;
    unsigned                               legacy:1;
} ngx_http_milvus_cdc_meta_wcoll_t;


/* a partitions/ or fields/ key as read, decoded in the work pool */
typedef struct {
    int64_t                                coll_id;
    int64_t                                id;
    void                                  *msg;
} ngx_http_milvus_cdc_meta_wchild_t;


/* an alias key as read, decoded in the work pool */
typedef struct {
    int64_t                                db_id;
    ngx_str_t                              key_name;
    Milvus__Proto__Etcd__AliasInfo        *info;
    unsigned                               legacy:1;
} ngx_http_milvus_cdc_meta_walias_t;


struct ngx_http_milvus_cdc_meta_s {
    ngx_pool_t                            *pool;
    ngx_log_t                             *log;

    ngx_str_t                             *endpoints;
    ngx_uint_t                             nendpoints;
    ngx_uint_t                             endpoint;

    /* "<root>/<sub>/root-coord/" */
    ngx_str_t                              prefix;

    ngx_http_milvus_cdc_grpc_channel_conf_t  chconf;
    ngx_http_milvus_cdc_grpc_channel_t    *channel;
    ngx_msec_t                             timeout;
    ngx_uint_t                             page;

    /* the refresh in progress; handler == NULL: idle */
    ngx_http_milvus_cdc_meta_handler_pt    handler;
    void                                  *data;
    ngx_http_milvus_cdc_grpc_call_t       *call;
    ngx_pool_t                            *work;
    ngx_http_milvus_cdc_meta_snapshot_t   *snap;
    ngx_uint_t                             section;
    ngx_str_t                              next;
    int64_t                                revision;
    ngx_uint_t                             tries;
    ngx_uint_t                             restarts;
    ngx_msec_t                             start;

    ngx_array_t                            dbs;      /* DatabaseInfo * */
    ngx_array_t                            colls;    /* wcoll_t */
    ngx_array_t                            parts;    /* wchild_t */
    ngx_array_t                            fields;   /* wchild_t */
    ngx_array_t                            aliases;  /* walias_t */

    ProtobufCAllocator                     allocator;
};


/* meta.c */

ngx_int_t ngx_http_milvus_cdc_meta_begin(ngx_http_milvus_cdc_meta_t *meta);
void ngx_http_milvus_cdc_meta_reset(ngx_http_milvus_cdc_meta_t *meta);


/* meta_range.c: the roots of the sections, by NGX_HTTP_MILVUS_CDC_META_* */

extern ngx_str_t  ngx_http_milvus_cdc_meta_sections[];

ngx_int_t ngx_http_milvus_cdc_meta_call(ngx_http_milvus_cdc_meta_t *meta);


/* meta_build.c */

ngx_int_t ngx_http_milvus_cdc_meta_kv(ngx_http_milvus_cdc_meta_t *meta,
    Mvccpb__KeyValue *kv);
ngx_int_t ngx_http_milvus_cdc_meta_finish(ngx_http_milvus_cdc_meta_t *meta);
void ngx_http_milvus_cdc_meta_skip(ngx_http_milvus_cdc_meta_t *meta,
    Mvccpb__KeyValue *kv);


/* meta_alias.c */

ngx_int_t ngx_http_milvus_cdc_meta_alias_kv(ngx_http_milvus_cdc_meta_t *meta,
    u_char *rel, size_t len, Mvccpb__KeyValue *kv);
ngx_int_t ngx_http_milvus_cdc_meta_aliases_build(
    ngx_http_milvus_cdc_meta_t *meta);


#endif /* _NGX_HTTP_MILVUS_CDC_META_INT_H_INCLUDED_ */
