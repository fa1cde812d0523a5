
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 *
 * The replicate channel's side of the MilvusService codec: the method a
 * replicate-channel message is the request of, the database and
 * collection names it carries, the request marked as replicated
 * (base.replicateInfo), and the ReleasePartitions request of a forwarded
 * DropPartition (include/ngx_http_milvus_cdc_rpc.h).
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_milvus_cdc_rpc.h"
#include "ngx_http_milvus_cdc_msg.h"
#include "ngx_http_milvus_cdc_pb.h"
#include "milvus_cdc_common.pb-c.h"
#include "milvus_cdc_milvus.pb-c.h"


#define NGX_HTTP_MILVUS_CDC_RPC_SERVICE  "/milvus.proto.milvus.MilvusService/"


/* a replicate-channel message type and the method it is the request of */
typedef struct {
    ngx_int_t                           type;
    ngx_str_t                           method;
} ngx_http_milvus_cdc_rpc_method_t;


/*
 * The replicate channel carries the requests of the proxy's DDL/DCL calls
 * as they were made (milvus-proto milvus.proto: CreateIndexRequest,
 * LoadCollectionRequest, FlushRequest, CreateDatabaseRequest, ...; db_name
 * is field 2 of each, collection_name field 3, a repeated string in
 * FlushRequest.collection_names).
 */

static ngx_http_milvus_cdc_rpc_method_t  ngx_http_milvus_cdc_rpc_methods[] = {
    { NGX_HTTP_MILVUS_CDC_MSG_CREATE_INDEX,
      ngx_string(NGX_HTTP_MILVUS_CDC_RPC_SERVICE "CreateIndex") },
    { NGX_HTTP_MILVUS_CDC_MSG_DROP_INDEX,
      ngx_string(NGX_HTTP_MILVUS_CDC_RPC_SERVICE "DropIndex") },
    { NGX_HTTP_MILVUS_CDC_MSG_LOAD_COLLECTION,
      ngx_string(NGX_HTTP_MILVUS_CDC_RPC_SERVICE "LoadCollection") },
    { NGX_HTTP_MILVUS_CDC_MSG_RELEASE_COLLECTION,
      ngx_string(NGX_HTTP_MILVUS_CDC_RPC_SERVICE "ReleaseCollection") },
    { NGX_HTTP_MILVUS_CDC_MSG_LOAD_PARTITIONS,
      ngx_string(NGX_HTTP_MILVUS_CDC_RPC_SERVICE "LoadPartitions") },
    { NGX_HTTP_MILVUS_CDC_MSG_RELEASE_PARTITIONS,
      ngx_string(NGX_HTTP_MILVUS_CDC_RPC_SERVICE "ReleasePartitions") },
    { NGX_HTTP_MILVUS_CDC_MSG_FLUSH,
      ngx_string(NGX_HTTP_MILVUS_CDC_RPC_SERVICE "Flush") },
    { NGX_HTTP_MILVUS_CDC_MSG_CREATE_DATABASE,
      ngx_string(NGX_HTTP_MILVUS_CDC_RPC_SERVICE "CreateDatabase") },
    { NGX_HTTP_MILVUS_CDC_MSG_DROP_DATABASE,
      ngx_string(NGX_HTTP_MILVUS_CDC_RPC_SERVICE "DropDatabase") },
    { 0, ngx_null_string }
};


ngx_str_t *
ngx_http_milvus_cdc_msg_rpc_method(ngx_int_t type)
{
    ngx_http_milvus_cdc_rpc_method_t  *m;

    for (m = ngx_http_milvus_cdc_rpc_methods; m->method.len; m++) {
        if (m->type == type) {
            return &m->method;
        }
    }

    return NULL;
}


ngx_int_t
ngx_http_milvus_cdc_msg_rpc_names(u_char *data, size_t len, ngx_str_t *db,
    ngx_str_t *collections, ngx_uint_t max, ngx_uint_t *n)
{
    u_char                          *p, *last;
    ngx_int_t                        rc;
    ngx_http_milvus_cdc_pb_field_t   f;

    ngx_str_null(db);
    *n = 0;

    p = data;
    last = data + len;

    for ( ;; ) {
        rc = ngx_http_milvus_cdc_pb_next(&p, last, &f);

        if (rc == NGX_DONE) {
            return NGX_OK;
        }

        if (rc != NGX_OK) {
            return NGX_ERROR;
        }

        if (f.wire != NGX_HTTP_MILVUS_CDC_PB_BYTES) {
            continue;
        }

        if (f.number == 2) {
            *db = f.bytes;

        } else if (f.number == 3 && *n < max) {
            collections[(*n)++] = f.bytes;
        }
    }
}


ngx_int_t
ngx_http_milvus_cdc_msg_mark_replicated(u_char *data, size_t len,
    uint64_t ts, ngx_str_t *out, ngx_log_t *log)
{
    u_char     *p, info[16], base[32];
    ngx_str_t   s;

    /* ReplicateInfo {isReplicate 1: true, msgTimestamp 2: ts} */

    p = info;
    *p++ = (1 << 3) | NGX_HTTP_MILVUS_CDC_PB_VARINT;
    *p++ = 1;
    *p++ = (2 << 3) | NGX_HTTP_MILVUS_CDC_PB_VARINT;
    p = ngx_http_milvus_cdc_pb_put_varint(p, ts);

    s.data = info;
    s.len = p - info;

    /* MsgBase {replicateInfo 7 {…}} */

    p = ngx_http_milvus_cdc_pb_put_bytes(base, 7, &s);

    s.data = base;
    s.len = p - base;

    /*
     * a second occurrence of an embedded message is merged into the first
     * (protobuf encoding rules): base 1 {replicateInfo 7 {…}} appended
     * sets base.replicateInfo and keeps the rest of base
     */

    out->data = ngx_alloc(len + s.len + 2 * NGX_HTTP_MILVUS_CDC_PB_VARINT_MAX,
                          log);
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(out->data, data, len);
    p = ngx_http_milvus_cdc_pb_put_bytes(p, 1, &s);

    out->len = p - out->data;

    return NGX_OK;
}


ngx_int_t
ngx_http_milvus_cdc_msg_release_partition(ngx_str_t *db,
    ngx_str_t *collection, ngx_str_t *partition, ngx_str_t *out,
    ngx_log_t *log)
{
    u_char  *p;

    /* db_name 2, collection_name 3, partition_names 4 */

    out->data = ngx_alloc(db->len + collection->len + partition->len
                          + 6 * NGX_HTTP_MILVUS_CDC_PB_VARINT_MAX, log);
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_http_milvus_cdc_pb_put_bytes(out->data, 2, db);
    p = ngx_http_milvus_cdc_pb_put_bytes(p, 3, collection);
    p = ngx_http_milvus_cdc_pb_put_bytes(p, 4, partition);

    out->len = p - out->data;

    return NGX_OK;
}
