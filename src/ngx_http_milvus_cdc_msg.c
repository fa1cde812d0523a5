
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_milvus_cdc_msg.h"
#include "milvus_cdc_common.pb-c.h"
#include "milvus_cdc_schema.pb-c.h"
#include "milvus_cdc_msg.pb-c.h"
#include "milvus_cdc_milvus.pb-c.h"


#define NGX_HTTP_MILVUS_CDC_MSG_SERVICE  "/milvus.proto.milvus.MilvusService/"

/* first user field id; 0 (RowID) and 1 (Timestamp) are system fields */
#define NGX_HTTP_MILVUS_CDC_MSG_FIRST_FIELD  100


typedef struct {
    ngx_str_t                           method;
    const ProtobufCMessageDescriptor   *request;
    const ProtobufCMessageDescriptor   *reply;
} ngx_http_milvus_cdc_msg_rpc_t;


typedef struct {
    ngx_int_t                           type;
    const char                         *name;
} ngx_http_milvus_cdc_msg_type_t;


static ngx_int_t ngx_http_milvus_cdc_msg_varint(u_char **pos, u_char *last,
    uint64_t *value);
static ngx_int_t ngx_http_milvus_cdc_msg_base_field(u_char *data, size_t len,
    u_char **base, size_t *base_len);
static void ngx_http_milvus_cdc_msg_range(ngx_http_milvus_cdc_msg_t *m,
    uint64_t *ts, size_t n);
static void ngx_http_milvus_cdc_msg_str(ngx_str_t *dst, char *src);
static ngx_str_t *ngx_http_milvus_cdc_msg_strs(char **src, size_t n,
    ngx_str_t *dst);
static ngx_int_t ngx_http_milvus_cdc_msg_pack(const ProtobufCMessage *msg,
    ngx_str_t *out, ngx_log_t *log);
static char *ngx_http_milvus_cdc_msg_cstr(ngx_pool_t *pool, ngx_str_t *s);
static void *ngx_http_milvus_cdc_msg_field(ProtobufCMessage *msg,
    const char *name, size_t **count);
static Milvus__Proto__Common__MsgBase *ngx_http_milvus_cdc_msg_new_base(
    ngx_pool_t *pool, ngx_int_t type, uint64_t replicate_ts);
static ngx_int_t ngx_http_milvus_cdc_msg_positions(ngx_pool_t *pool,
    ngx_http_milvus_cdc_msg_position_t *src, ngx_uint_t n,
    Milvus__Proto__Msg__MsgPosition ***dst);
static ngx_int_t ngx_http_milvus_cdc_msg_reply_fill(ngx_uint_t rpc,
    ProtobufCMessage *msg, ngx_http_milvus_cdc_msg_reply_t *r,
    ngx_log_t *log);
static void ngx_http_milvus_cdc_msg_reply_reason(
    ngx_http_milvus_cdc_msg_reply_t *r, const char *text);


static ngx_http_milvus_cdc_msg_rpc_t  ngx_http_milvus_cdc_msg_rpcs[] = {

    { ngx_string(NGX_HTTP_MILVUS_CDC_MSG_SERVICE "ReplicateMessage"),
      &milvus__proto__milvus__replicate_message_request__descriptor,
      &milvus__proto__milvus__replicate_message_response__descriptor },

    { ngx_string(NGX_HTTP_MILVUS_CDC_MSG_SERVICE "CreateCollection"),
      &milvus__proto__milvus__create_collection_request__descriptor,
      &milvus__proto__common__status__descriptor },

    { ngx_string(NGX_HTTP_MILVUS_CDC_MSG_SERVICE "DropCollection"),
      &milvus__proto__milvus__drop_collection_request__descriptor,
      &milvus__proto__common__status__descriptor },

    { ngx_string(NGX_HTTP_MILVUS_CDC_MSG_SERVICE "HasCollection"),
      &milvus__proto__milvus__has_collection_request__descriptor,
      &milvus__proto__milvus__bool_response__descriptor },

    { ngx_string(NGX_HTTP_MILVUS_CDC_MSG_SERVICE "DescribeCollection"),
      &milvus__proto__milvus__describe_collection_request__descriptor,
      &milvus__proto__milvus__describe_collection_response__descriptor },

    { ngx_string(NGX_HTTP_MILVUS_CDC_MSG_SERVICE "CreatePartition"),
      &milvus__proto__milvus__create_partition_request__descriptor,
      &milvus__proto__common__status__descriptor },

    { ngx_string(NGX_HTTP_MILVUS_CDC_MSG_SERVICE "DropPartition"),
      &milvus__proto__milvus__drop_partition_request__descriptor,
      &milvus__proto__common__status__descriptor },

    { ngx_string(NGX_HTTP_MILVUS_CDC_MSG_SERVICE "ShowPartitions"),
      &milvus__proto__milvus__show_partitions_request__descriptor,
      &milvus__proto__milvus__show_partitions_response__descriptor },

    { ngx_string(NGX_HTTP_MILVUS_CDC_MSG_SERVICE "CreateDatabase"),
      &milvus__proto__milvus__create_database_request__descriptor,
      &milvus__proto__common__status__descriptor },

    { ngx_string(NGX_HTTP_MILVUS_CDC_MSG_SERVICE "DropDatabase"),
      &milvus__proto__milvus__drop_database_request__descriptor,
      &milvus__proto__common__status__descriptor },

    { ngx_string(NGX_HTTP_MILVUS_CDC_MSG_SERVICE "ListDatabases"),
      &milvus__proto__milvus__list_databases_request__descriptor,
      &milvus__proto__milvus__list_databases_response__descriptor },

    { ngx_string(NGX_HTTP_MILVUS_CDC_MSG_SERVICE "Flush"),
      &milvus__proto__milvus__flush_request__descriptor,
      &milvus__proto__milvus__flush_response__descriptor },

    { ngx_string(NGX_HTTP_MILVUS_CDC_MSG_SERVICE "GetCollectionStatistics"),
      &milvus__proto__milvus__get_collection_statistics_request__descriptor,
      &milvus__proto__milvus__get_collection_statistics_response__descriptor
    }
};


/* MsgBase.msg_type of the requests, as pymilvus and Milvus-CDC set it */
static ngx_int_t  ngx_http_milvus_cdc_msg_rpc_types[] = {
    0,
    NGX_HTTP_MILVUS_CDC_MSG_CREATE_COLLECTION,
    NGX_HTTP_MILVUS_CDC_MSG_DROP_COLLECTION,
    102,                                     /* HasCollection */
    103,                                     /* DescribeCollection */
    NGX_HTTP_MILVUS_CDC_MSG_CREATE_PARTITION,
    NGX_HTTP_MILVUS_CDC_MSG_DROP_PARTITION,
    204,                                     /* ShowPartitions */
    NGX_HTTP_MILVUS_CDC_MSG_CREATE_DATABASE,
    NGX_HTTP_MILVUS_CDC_MSG_DROP_DATABASE,
    1803,                                    /* ListDatabases */
    NGX_HTTP_MILVUS_CDC_MSG_FLUSH,
    504                                      /* GetCollectionStatistics */
};


static ngx_http_milvus_cdc_msg_type_t  ngx_http_milvus_cdc_msg_types[] = {
    { NGX_HTTP_MILVUS_CDC_MSG_CREATE_COLLECTION, "CreateCollection" },
    { NGX_HTTP_MILVUS_CDC_MSG_DROP_COLLECTION, "DropCollection" },
    { NGX_HTTP_MILVUS_CDC_MSG_LOAD_COLLECTION, "LoadCollection" },
    { NGX_HTTP_MILVUS_CDC_MSG_RELEASE_COLLECTION, "ReleaseCollection" },
    { NGX_HTTP_MILVUS_CDC_MSG_CREATE_PARTITION, "CreatePartition" },
    { NGX_HTTP_MILVUS_CDC_MSG_DROP_PARTITION, "DropPartition" },
    { NGX_HTTP_MILVUS_CDC_MSG_LOAD_PARTITIONS, "LoadPartitions" },
    { NGX_HTTP_MILVUS_CDC_MSG_RELEASE_PARTITIONS, "ReleasePartitions" },
    { NGX_HTTP_MILVUS_CDC_MSG_CREATE_INDEX, "CreateIndex" },
    { NGX_HTTP_MILVUS_CDC_MSG_DROP_INDEX, "DropIndex" },
    { NGX_HTTP_MILVUS_CDC_MSG_INSERT, "Insert" },
    { NGX_HTTP_MILVUS_CDC_MSG_DELETE, "Delete" },
    { NGX_HTTP_MILVUS_CDC_MSG_FLUSH, "Flush" },
    { NGX_HTTP_MILVUS_CDC_MSG_UPSERT, "Upsert" },
    { NGX_HTTP_MILVUS_CDC_MSG_TIME_TICK, "TimeTick" },
    { NGX_HTTP_MILVUS_CDC_MSG_DATANODE_TT, "DataNodeTt" },
    { NGX_HTTP_MILVUS_CDC_MSG_CREATE_DATABASE, "CreateDatabase" },
    { NGX_HTTP_MILVUS_CDC_MSG_DROP_DATABASE, "DropDatabase" },
    { 0, NULL }
};


ngx_int_t
ngx_http_milvus_cdc_msg_header(u_char *data, size_t len,
    ngx_http_milvus_cdc_msg_header_t *h)
{
    u_char                          *base;
    size_t                           base_len;
    Milvus__Proto__Common__MsgBase  *mb;

    ngx_memzero(h, sizeof(ngx_http_milvus_cdc_msg_header_t));

    if (ngx_http_milvus_cdc_msg_base_field(data, len, &base, &base_len)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    mb = milvus__proto__common__msg_base__unpack(NULL, base_len, base);
    if (mb == NULL) {
        return NGX_ERROR;
    }

    h->type = mb->msg_type;
    h->msg_id = mb->msgid;
    h->ts = mb->timestamp;
    h->source_id = mb->sourceid;

    if (mb->replicateinfo) {
        h->replicate = mb->replicateinfo->isreplicate ? 1 : 0;
        h->replicate_ts = mb->replicateinfo->msgtimestamp;
    }

    milvus__proto__common__msg_base__free_unpacked(mb, NULL);

    return NGX_OK;
}


ngx_int_t
ngx_http_milvus_cdc_msg_decode(ngx_http_milvus_cdc_msg_t *m, u_char *data,
    size_t len, ngx_log_t *log)
{
    ngx_str_t                                 *strs;
    Milvus__Proto__Msg__InsertRequest         *ins;
    Milvus__Proto__Msg__DeleteRequest         *del;
    Milvus__Proto__Msg__CreateCollectionRequest  *cc;
    Milvus__Proto__Msg__DropCollectionRequest *dc;
    Milvus__Proto__Msg__DropPartitionRequest  *dp;
    Milvus__Proto__Msg__CreatePartitionRequest  *cp;

    ngx_memzero(m, sizeof(ngx_http_milvus_cdc_msg_t));

    if (ngx_http_milvus_cdc_msg_header(data, len, &m->hdr) != NGX_OK) {
        return NGX_ERROR;
    }

    m->begin_ts = m->hdr.ts;
    m->end_ts = m->hdr.ts;

    switch (m->hdr.type) {

    case NGX_HTTP_MILVUS_CDC_MSG_TIME_TICK:
        return NGX_OK;

    case NGX_HTTP_MILVUS_CDC_MSG_INSERT:
        ins = milvus__proto__msg__insert_request__unpack(NULL, len, data);
        if (ins == NULL) {
            return NGX_ERROR;
        }

        m->pb = ins;
        m->collection_id = ins->collectionid;
        m->partition_id = ins->partitionid;
        ngx_http_milvus_cdc_msg_str(&m->shard_name, ins->shardname);
        ngx_http_milvus_cdc_msg_str(&m->db_name, ins->db_name);
        ngx_http_milvus_cdc_msg_str(&m->collection_name,
                                    ins->collection_name);
        ngx_http_milvus_cdc_msg_str(&m->partition_name, ins->partition_name);
        m->num_rows = ins->num_rows;
        m->version = ins->version;
        ngx_http_milvus_cdc_msg_range(m, ins->timestamps, ins->n_timestamps);

        return NGX_OK;

    case NGX_HTTP_MILVUS_CDC_MSG_DELETE:
        del = milvus__proto__msg__delete_request__unpack(NULL, len, data);
        if (del == NULL) {
            return NGX_ERROR;
        }

        m->pb = del;
        m->collection_id = del->collectionid;
        m->partition_id = del->partitionid;
        ngx_http_milvus_cdc_msg_str(&m->shard_name, del->shardname);
        ngx_http_milvus_cdc_msg_str(&m->db_name, del->db_name);
        ngx_http_milvus_cdc_msg_str(&m->collection_name,
                                    del->collection_name);
        ngx_http_milvus_cdc_msg_str(&m->partition_name, del->partition_name);
        m->num_rows = del->num_rows;
        ngx_http_milvus_cdc_msg_range(m, del->timestamps, del->n_timestamps);

        if (del->primary_keys) {
            switch (del->primary_keys->id_field_case) {

            case MILVUS__PROTO__SCHEMA__IDS__ID_FIELD_INT_ID:
                m->pk_count = del->primary_keys->int_id->n_data;
                break;

            case MILVUS__PROTO__SCHEMA__IDS__ID_FIELD_STR_ID:
                m->pk_count = del->primary_keys->str_id->n_data;
                m->pk_varchar = 1;
                break;

            default:
                break;
            }
        }

        return NGX_OK;

    case NGX_HTTP_MILVUS_CDC_MSG_CREATE_COLLECTION:
        cc = milvus__proto__msg__create_collection_request__unpack(NULL, len,
                                                                    data);
        if (cc == NULL) {
            return NGX_ERROR;
        }

        m->pb = cc;
        m->collection_id = cc->collectionid;
        ngx_http_milvus_cdc_msg_str(&m->db_name, cc->db_name);
        ngx_http_milvus_cdc_msg_str(&m->collection_name, cc->collectionname);
        ngx_http_milvus_cdc_msg_str(&m->partition_name, cc->partitionname);
        m->schema.len = cc->schema.len;
        m->schema.data = cc->schema.data;
        m->npartition_ids = cc->n_partitionids;
        m->partition_ids = cc->partitionids;

        if (cc->n_virtualchannelnames + cc->n_physicalchannelnames) {
            strs = ngx_alloc((cc->n_virtualchannelnames
                              + cc->n_physicalchannelnames)
                             * sizeof(ngx_str_t), log);
            if (strs == NULL) {
                ngx_http_milvus_cdc_msg_free(m);
                return NGX_ERROR;
            }

            m->mem = strs;
            m->nvchannels = cc->n_virtualchannelnames;
            m->vchannels = strs;
            m->npchannels = cc->n_physicalchannelnames;
            m->pchannels = ngx_http_milvus_cdc_msg_strs(
                               cc->virtualchannelnames,
                               cc->n_virtualchannelnames, strs);
            (void) ngx_http_milvus_cdc_msg_strs(cc->physicalchannelnames,
                                                cc->n_physicalchannelnames,
                                                m->pchannels);
        }

        return NGX_OK;

    case NGX_HTTP_MILVUS_CDC_MSG_DROP_COLLECTION:
        dc = milvus__proto__msg__drop_collection_request__unpack(NULL, len,
                                                                  data);
        if (dc == NULL) {
            return NGX_ERROR;
        }

        m->pb = dc;
        m->collection_id = dc->collectionid;
        ngx_http_milvus_cdc_msg_str(&m->db_name, dc->db_name);
        ngx_http_milvus_cdc_msg_str(&m->collection_name, dc->collectionname);

        return NGX_OK;

    case NGX_HTTP_MILVUS_CDC_MSG_CREATE_PARTITION:
        cp = milvus__proto__msg__create_partition_request__unpack(NULL, len,
                                                                   data);
        if (cp == NULL) {
            return NGX_ERROR;
        }

        m->pb = cp;
        m->collection_id = cp->collectionid;
        m->partition_id = cp->partitionid;
        ngx_http_milvus_cdc_msg_str(&m->db_name, cp->db_name);
        ngx_http_milvus_cdc_msg_str(&m->collection_name, cp->collection_name);
        ngx_http_milvus_cdc_msg_str(&m->partition_name, cp->partition_name);

        return NGX_OK;

    case NGX_HTTP_MILVUS_CDC_MSG_DROP_PARTITION:
        dp = milvus__proto__msg__drop_partition_request__unpack(NULL, len,
                                                                 data);
        if (dp == NULL) {
            return NGX_ERROR;
        }

        m->pb = dp;
        m->collection_id = dp->collectionid;
        m->partition_id = dp->partitionid;
        ngx_http_milvus_cdc_msg_str(&m->db_name, dp->db_name);
        ngx_http_milvus_cdc_msg_str(&m->collection_name, dp->collection_name);
        ngx_http_milvus_cdc_msg_str(&m->partition_name, dp->partition_name);

        return NGX_OK;

    default:
        return NGX_DECLINED;
    }
}


void
ngx_http_milvus_cdc_msg_free(ngx_http_milvus_cdc_msg_t *m)
{
    if (m->pb) {
        protobuf_c_message_free_unpacked(m->pb, NULL);
        m->pb = NULL;
    }

    if (m->mem) {
        ngx_free(m->mem);
        m->mem = NULL;
    }

    m->vchannels = NULL;
    m->pchannels = NULL;
    m->partition_ids = NULL;
    m->nvchannels = 0;
    m->npchannels = 0;
    m->npartition_ids = 0;
    ngx_str_null(&m->schema);
}


ngx_int_t
ngx_http_milvus_cdc_msg_rewrite(ngx_http_milvus_cdc_msg_t *m,
    ngx_http_milvus_cdc_msg_rewrite_t *rw, ngx_str_t *out, ngx_log_t *log)
{
    char                                *shard, **shardp, *saved;
    size_t                               i, n;
    uint64_t                            *ts;
    ngx_int_t                            rc;
    Milvus__Proto__Common__MsgBase      *mb;
    Milvus__Proto__Msg__InsertRequest   *ins;
    Milvus__Proto__Msg__DeleteRequest   *del;
    Milvus__Proto__Msg__DropCollectionRequest  *dc;
    Milvus__Proto__Msg__DropPartitionRequest   *dp;

    if (m->pb == NULL) {
        return NGX_DECLINED;
    }

    mb = NULL;
    shardp = NULL;
    ts = NULL;
    n = 0;

    switch (m->hdr.type) {

    case NGX_HTTP_MILVUS_CDC_MSG_INSERT:
        ins = m->pb;
        mb = ins->msg_base;
        ins->collectionid = rw->collection_id;
        ins->partitionid = rw->partition_id;
        shardp = &ins->shardname;
        ts = ins->timestamps;
        n = ins->n_timestamps;
        break;

    case NGX_HTTP_MILVUS_CDC_MSG_DELETE:
        del = m->pb;
        mb = del->msg_base;
        del->collectionid = rw->collection_id;

        if (del->partitionid != -1) {
            del->partitionid = rw->partition_id;
        }

        shardp = &del->shardname;
        ts = del->timestamps;
        n = del->n_timestamps;
        break;

    case NGX_HTTP_MILVUS_CDC_MSG_DROP_COLLECTION:
        dc = m->pb;
        mb = dc->msg_base;
        dc->collectionid = rw->collection_id;
        break;

    case NGX_HTTP_MILVUS_CDC_MSG_DROP_PARTITION:
        dp = m->pb;
        mb = dp->msg_base;
        dp->collectionid = rw->collection_id;
        dp->partitionid = rw->partition_id;
        break;

    default:
        return NGX_DECLINED;
    }

    m->collection_id = rw->collection_id;

    if (m->hdr.type != NGX_HTTP_MILVUS_CDC_MSG_DROP_COLLECTION
        && !(m->hdr.type == NGX_HTTP_MILVUS_CDC_MSG_DELETE
             && m->partition_id == -1))
    {
        m->partition_id = rw->partition_id;
    }

    if (rw->msg_id && mb) {
        mb->msgid = rw->msg_id;
    }

    if (rw->ts) {
        if (mb) {
            mb->timestamp = rw->ts;
        }

        for (i = 0; i < n; i++) {
            ts[i] = rw->ts;
        }

        m->hdr.ts = rw->ts;
        m->begin_ts = rw->ts;
        m->end_ts = rw->ts;
    }

    if (shardp == NULL) {
        return ngx_http_milvus_cdc_msg_pack(m->pb, out, log);
    }

    if (rw->shard_name.len == 0) {
        return NGX_DECLINED;
    }

    shard = ngx_alloc(rw->shard_name.len + 1, log);
    if (shard == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(shard, rw->shard_name.data, rw->shard_name.len);
    shard[rw->shard_name.len] = '\0';

    saved = *shardp;
    *shardp = shard;

    rc = ngx_http_milvus_cdc_msg_pack(m->pb, out, log);

    *shardp = saved;
    ngx_free(shard);

    return rc;
}


ngx_int_t
ngx_http_milvus_cdc_msg_timetick(uint64_t ts, ngx_str_t *out, ngx_log_t *log)
{
    Milvus__Proto__Msg__TimeTickMsg  tt;
    Milvus__Proto__Common__MsgBase   mb;

    milvus__proto__msg__time_tick_msg__init(&tt);
    milvus__proto__common__msg_base__init(&mb);

    mb.msg_type = NGX_HTTP_MILVUS_CDC_MSG_TIME_TICK;
    mb.msgid = 0;
    mb.timestamp = ts;
    mb.sourceid = NGX_HTTP_MILVUS_CDC_MSG_SOURCE_ID;
    tt.msg_base = &mb;

    return ngx_http_milvus_cdc_msg_pack(&tt.base, out, log);
}


ngx_str_t *
ngx_http_milvus_cdc_msg_method(ngx_uint_t rpc)
{
    if (rpc >= NGX_HTTP_MILVUS_CDC_MSG_RPC_LAST) {
        return NULL;
    }

    return &ngx_http_milvus_cdc_msg_rpcs[rpc].method;
}


ngx_int_t
ngx_http_milvus_cdc_msg_request(ngx_uint_t rpc,
    ngx_http_milvus_cdc_msg_request_t *rq, ngx_str_t *out, ngx_log_t *log)
{
    void                                 **pp;
    size_t                                *count;
    int32_t                               *i32;
    int64_t                               *i64;
    ngx_int_t                              rc;
    ngx_uint_t                             i;
    ngx_pool_t                            *pool;
    ProtobufCMessage                      *msg;
    ProtobufCBinaryData                   *bin;
    const ProtobufCMessageDescriptor      *desc;
    Milvus__Proto__Common__KeyValuePair  **kvs, *kv;

    if (rpc == NGX_HTTP_MILVUS_CDC_MSG_RPC_REPLICATE
        || rpc >= NGX_HTTP_MILVUS_CDC_MSG_RPC_LAST)
    {
        return NGX_DECLINED;
    }

    desc = ngx_http_milvus_cdc_msg_rpcs[rpc].request;

    pool = ngx_create_pool(1024, log);
    if (pool == NULL) {
        return NGX_ERROR;
    }

    rc = NGX_ERROR;

    msg = ngx_palloc(pool, desc->sizeof_message);
    if (msg == NULL) {
        goto done;
    }

    protobuf_c_message_init(desc, msg);

    /* every request: msg_base 1, db_name 2 */

    pp = ngx_http_milvus_cdc_msg_field(msg, "msg_base", NULL);
    *pp = ngx_http_milvus_cdc_msg_new_base(pool,
                                        ngx_http_milvus_cdc_msg_rpc_types[rpc],
                                        rq->replicate_ts);
    if (*pp == NULL) {
        goto done;
    }

    if (rq->db_name.len) {
        pp = ngx_http_milvus_cdc_msg_field(msg, "db_name", NULL);

        if (pp) {
            *pp = ngx_http_milvus_cdc_msg_cstr(pool, &rq->db_name);
            if (*pp == NULL) {
                goto done;
            }
        }
    }

    if (rq->collection_name.len) {
        pp = ngx_http_milvus_cdc_msg_field(msg, "collection_name", NULL);

        if (pp) {
            *pp = ngx_http_milvus_cdc_msg_cstr(pool, &rq->collection_name);
            if (*pp == NULL) {
                goto done;
            }
        }

        /* FlushRequest: repeated collection_names 3 */

        pp = ngx_http_milvus_cdc_msg_field(msg, "collection_names", &count);

        if (pp) {
            *pp = ngx_palloc(pool, sizeof(char *));
            if (*pp == NULL) {
                goto done;
            }

            ((char **) *pp)[0] = ngx_http_milvus_cdc_msg_cstr(pool,
                                                         &rq->collection_name);
            if (((char **) *pp)[0] == NULL) {
                goto done;
            }

            *count = 1;
        }
    }

    if (rq->partition_name.len) {
        pp = ngx_http_milvus_cdc_msg_field(msg, "partition_name", NULL);

        if (pp) {
            *pp = ngx_http_milvus_cdc_msg_cstr(pool, &rq->partition_name);
            if (*pp == NULL) {
                goto done;
            }
        }
    }

    i64 = ngx_http_milvus_cdc_msg_field(msg, "collectionID", NULL);
    if (i64) {
        *i64 = rq->collection_id;
    }

    bin = ngx_http_milvus_cdc_msg_field(msg, "schema", NULL);
    if (bin) {
        bin->len = rq->schema.len;
        bin->data = rq->schema.data;
    }

    i32 = ngx_http_milvus_cdc_msg_field(msg, "shards_num", NULL);
    if (i32) {
        *i32 = (int32_t) rq->shards_num;
    }

    i32 = ngx_http_milvus_cdc_msg_field(msg, "consistency_level", NULL);
    if (i32) {
        *i32 = (int32_t) rq->consistency_level;
    }

    i64 = ngx_http_milvus_cdc_msg_field(msg, "num_partitions", NULL);
    if (i64) {
        *i64 = rq->num_partitions;
    }

    pp = ngx_http_milvus_cdc_msg_field(msg, "properties", &count);

    if (pp && rq->nproperties) {
        kvs = ngx_palloc(pool, rq->nproperties * sizeof(void *));
        if (kvs == NULL) {
            goto done;
        }

        for (i = 0; i < rq->nproperties; i++) {
            kv = ngx_palloc(pool, sizeof(Milvus__Proto__Common__KeyValuePair));
            if (kv == NULL) {
                goto done;
            }

            milvus__proto__common__key_value_pair__init(kv);

            kv->key = ngx_http_milvus_cdc_msg_cstr(pool,
                                                   &rq->properties[i].key);
            kv->value = ngx_http_milvus_cdc_msg_cstr(pool,
                                                     &rq->properties[i].value);
            if (kv->key == NULL || kv->value == NULL) {
                goto done;
            }

            kvs[i] = kv;
        }

        *pp = kvs;
        *count = rq->nproperties;
    }

    rc = ngx_http_milvus_cdc_msg_pack(msg, out, log);

done:

    ngx_destroy_pool(pool);

    return rc;
}


ngx_int_t
ngx_http_milvus_cdc_msg_replicate(ngx_http_milvus_cdc_msg_replicate_t *rp,
    ngx_str_t *out, ngx_log_t *log)
{
    ngx_int_t                                 rc;
    ngx_uint_t                                i;
    ngx_pool_t                               *pool;
    Milvus__Proto__Milvus__ReplicateMessageRequest  req;

    milvus__proto__milvus__replicate_message_request__init(&req);

    pool = ngx_create_pool(1024, log);
    if (pool == NULL) {
        return NGX_ERROR;
    }

    rc = NGX_ERROR;

    req.msg_base = ngx_http_milvus_cdc_msg_new_base(pool, 0, 0);
    if (req.msg_base == NULL) {
        goto done;
    }

    req.msg_base->replicateinfo->isreplicate = 1;

    req.channel_name = ngx_http_milvus_cdc_msg_cstr(pool, &rp->channel_name);
    if (req.channel_name == NULL) {
        goto done;
    }

    req.begints = rp->begin_ts;
    req.endts = rp->end_ts;

    if (rp->nmsgs) {
        req.msgs = ngx_palloc(pool, rp->nmsgs * sizeof(ProtobufCBinaryData));
        if (req.msgs == NULL) {
            goto done;
        }

        for (i = 0; i < rp->nmsgs; i++) {
            req.msgs[i].len = rp->msgs[i].len;
            req.msgs[i].data = rp->msgs[i].data;
        }

        req.n_msgs = rp->nmsgs;
    }

    if (ngx_http_milvus_cdc_msg_positions(pool, rp->start_positions,
                                          rp->nstart_positions,
                                          &req.startpositions)
        != NGX_OK
        || ngx_http_milvus_cdc_msg_positions(pool, rp->end_positions,
                                             rp->nend_positions,
                                             &req.endpositions)
           != NGX_OK)
    {
        goto done;
    }

    req.n_startpositions = rp->nstart_positions;
    req.n_endpositions = rp->nend_positions;

    rc = ngx_http_milvus_cdc_msg_pack(&req.base, out, log);

done:

    ngx_destroy_pool(pool);

    return rc;
}


ngx_int_t
ngx_http_milvus_cdc_msg_reply(ngx_uint_t rpc, ngx_str_t *data,
    ngx_http_milvus_cdc_msg_reply_t *r, ngx_log_t *log)
{
    void                              **pp;
    ngx_int_t                           rc;
    ProtobufCMessage                   *msg;
    Milvus__Proto__Common__Status      *st;
    const ProtobufCMessageDescriptor   *desc;

    ngx_memzero(r, sizeof(ngx_http_milvus_cdc_msg_reply_t));
    r->row_count = -1;

    if (rpc >= NGX_HTTP_MILVUS_CDC_MSG_RPC_LAST) {
        ngx_http_milvus_cdc_msg_reply_reason(r, "unknown rpc");
        return NGX_ERROR;
    }

    desc = ngx_http_milvus_cdc_msg_rpcs[rpc].reply;

    msg = protobuf_c_message_unpack(desc, NULL, data->len, data->data);
    if (msg == NULL) {
        ngx_http_milvus_cdc_msg_reply_reason(r, "undecodable reply");
        return NGX_ERROR;
    }

    if (desc == &milvus__proto__common__status__descriptor) {
        st = (Milvus__Proto__Common__Status *) msg;

    } else {
        pp = ngx_http_milvus_cdc_msg_field(msg, "status", NULL);
        st = *pp;
    }

    rc = NGX_OK;

    if (st) {
        r->error_code = st->error_code;
        r->code = st->code;
        ngx_http_milvus_cdc_msg_reply_reason(r, st->reason);

        if (st->error_code != 0 || st->code != 0) {
            rc = NGX_DECLINED;
        }
    }

    if (rc == NGX_OK
        && ngx_http_milvus_cdc_msg_reply_fill(rpc, msg, r, log) != NGX_OK)
    {
        rc = NGX_ERROR;
    }

    protobuf_c_message_free_unpacked(msg, NULL);

    return rc;
}


void
ngx_http_milvus_cdc_msg_reply_free(ngx_http_milvus_cdc_msg_reply_t *r)
{
    if (r->mem) {
        ngx_free(r->mem);
        r->mem = NULL;
    }

    r->vchannels = NULL;
    r->pchannels = NULL;
    r->names = NULL;
    r->ids = NULL;
    r->nvchannels = 0;
    r->npchannels = 0;
    r->nnames = 0;
    ngx_str_null(&r->schema);
    ngx_str_null(&r->position);
    ngx_str_null(&r->db_name);
}


ngx_int_t
ngx_http_milvus_cdc_msg_schema_clean(ngx_str_t *schema, ngx_str_t *name,
    ngx_str_t *out, ngx_log_t *log)
{
    char                                  *saved_name, *cname;
    size_t                                 i, n, saved_n;
    ngx_int_t                              rc;
    Milvus__Proto__Schema__FieldSchema   **fields, **saved_fields, *f;
    Milvus__Proto__Schema__CollectionSchema  *cs;

    cs = milvus__proto__schema__collection_schema__unpack(NULL, schema->len,
                                                           schema->data);
    if (cs == NULL) {
        return NGX_ERROR;
    }

    rc = NGX_ERROR;
    cname = NULL;
    fields = NULL;

    if (cs->n_fields) {
        fields = ngx_alloc(cs->n_fields * sizeof(void *), log);
        if (fields == NULL) {
            goto done;
        }
    }

    n = 0;

    for (i = 0; i < cs->n_fields; i++) {
        f = cs->fields[i];

        if (f->fieldid < NGX_HTTP_MILVUS_CDC_MSG_FIRST_FIELD || f->is_dynamic)
        {
            continue;
        }

        fields[n++] = f;
    }

    if (name && name->len) {
        cname = ngx_alloc(name->len + 1, log);
        if (cname == NULL) {
            goto done;
        }

        ngx_memcpy(cname, name->data, name->len);
        cname[name->len] = '\0';
    }

    saved_fields = cs->fields;
    saved_n = cs->n_fields;
    saved_name = cs->name;

    cs->fields = fields;
    cs->n_fields = n;

    if (cname) {
        cs->name = cname;
    }

    rc = ngx_http_milvus_cdc_msg_pack(&cs->base, out, log);

    cs->fields = saved_fields;
    cs->n_fields = saved_n;
    cs->name = saved_name;

done:

    if (fields) {
        ngx_free(fields);
    }

    if (cname) {
        ngx_free(cname);
    }

    milvus__proto__schema__collection_schema__free_unpacked(cs, NULL);

    return rc;
}


const char *
ngx_http_milvus_cdc_msg_type_name(ngx_int_t type)
{
    ngx_http_milvus_cdc_msg_type_t  *t;

    for (t = ngx_http_milvus_cdc_msg_types; t->name; t++) {
        if (t->type == type) {
            return t->name;
        }
    }

    return "Unknown";
}


static ngx_int_t
ngx_http_milvus_cdc_msg_varint(u_char **pos, u_char *last, uint64_t *value)
{
    u_char      *p;
    uint64_t     v;
    ngx_uint_t   shift;

    v = 0;

    for (p = *pos, shift = 0; p < last && shift < 64; p++, shift += 7) {
        v |= (uint64_t) (*p & 0x7f) << shift;

        if ((*p & 0x80) == 0) {
            *pos = p + 1;
            *value = v;
            return NGX_OK;
        }
    }

    return NGX_ERROR;
}


/*
 * Finds top-level field 1 (length-delimited) of a protobuf message,
 * skipping the other fields by wire type: nothing is copied, so reading
 * the header of a large Insert costs a few bytes of parsing (Milvus writes
 * field 1 first).
 */

static ngx_int_t
ngx_http_milvus_cdc_msg_base_field(u_char *data, size_t len, u_char **base,
    size_t *base_len)
{
    u_char    *p, *last;
    uint64_t   key, v;

    p = data;
    last = data + len;

    while (p < last) {

        if (ngx_http_milvus_cdc_msg_varint(&p, last, &key) != NGX_OK) {
            return NGX_ERROR;
        }

        switch (key & 7) {

        case 0:
            if (ngx_http_milvus_cdc_msg_varint(&p, last, &v) != NGX_OK) {
                return NGX_ERROR;
            }

            break;

        case 1:
            if (last - p < 8) {
                return NGX_ERROR;
            }

            p += 8;
            break;

        case 2:
            if (ngx_http_milvus_cdc_msg_varint(&p, last, &v) != NGX_OK
                || v > (uint64_t) (last - p))
            {
                return NGX_ERROR;
            }

            if ((key >> 3) == 1) {
                *base = p;
                *base_len = (size_t) v;
                return NGX_OK;
            }

            p += v;
            break;

        case 5:
            if (last - p < 4) {
                return NGX_ERROR;
            }

            p += 4;
            break;

        default:
            /* groups (3, 4) are not used by Milvus, 6 and 7 are invalid */
            return NGX_ERROR;
        }
    }

    return NGX_ERROR;
}


static void
ngx_http_milvus_cdc_msg_range(ngx_http_milvus_cdc_msg_t *m, uint64_t *ts,
    size_t n)
{
    size_t  i;

    if (n == 0) {
        return;
    }

    m->begin_ts = ts[0];
    m->end_ts = ts[0];

    for (i = 1; i < n; i++) {
        if (ts[i] < m->begin_ts) {
            m->begin_ts = ts[i];
        }

        if (ts[i] > m->end_ts) {
            m->end_ts = ts[i];
        }
    }
}


static void
ngx_http_milvus_cdc_msg_str(ngx_str_t *dst, char *src)
{
    if (src == NULL) {
        ngx_str_null(dst);
        return;
    }

    dst->data = (u_char *) src;
    dst->len = ngx_strlen(src);
}


/* fills dst[0..n-1] from C strings, returns dst + n */

static ngx_str_t *
ngx_http_milvus_cdc_msg_strs(char **src, size_t n, ngx_str_t *dst)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        ngx_http_milvus_cdc_msg_str(&dst[i], src[i]);
    }

    return dst + n;
}


static ngx_int_t
ngx_http_milvus_cdc_msg_pack(const ProtobufCMessage *msg, ngx_str_t *out,
    ngx_log_t *log)
{
    size_t   size;
    u_char  *buf;

    size = protobuf_c_message_get_packed_size(msg);

    /* ngx_alloc(0) may return NULL: an all-default message packs to 0 */
    buf = ngx_alloc(size ? size : 1, log);
    if (buf == NULL) {
        return NGX_ERROR;
    }

    out->len = protobuf_c_message_pack(msg, buf);
    out->data = buf;

    return NGX_OK;
}


static char *
ngx_http_milvus_cdc_msg_cstr(ngx_pool_t *pool, ngx_str_t *s)
{
    u_char  *p;

    p = ngx_pnalloc(pool, s->len + 1);
    if (p == NULL) {
        return NULL;
    }

    ngx_memcpy(p, s->data, s->len);
    p[s->len] = '\0';

    return (char *) p;
}


/*
 * Address of the member of a generated message that holds field "name"
 * (as spelled in the .proto), NULL if the message has no such field;
 * for repeated fields count gets the address of the n_<name> member.
 */

static void *
ngx_http_milvus_cdc_msg_field(ProtobufCMessage *msg, const char *name,
    size_t **count)
{
    const ProtobufCFieldDescriptor  *f;

    f = protobuf_c_message_descriptor_get_field_by_name(msg->descriptor,
                                                        name);
    if (f == NULL) {
        return NULL;
    }

    if (count) {
        if (f->label != PROTOBUF_C_LABEL_REPEATED) {
            return NULL;
        }

        *count = (size_t *) ((char *) msg + f->quantifier_offset);
    }

    return (char *) msg + f->offset;
}


static Milvus__Proto__Common__MsgBase *
ngx_http_milvus_cdc_msg_new_base(ngx_pool_t *pool, ngx_int_t type,
    uint64_t replicate_ts)
{
    Milvus__Proto__Common__MsgBase        *mb;
    Milvus__Proto__Common__ReplicateInfo  *ri;

    mb = ngx_palloc(pool, sizeof(Milvus__Proto__Common__MsgBase));
    ri = ngx_palloc(pool, sizeof(Milvus__Proto__Common__ReplicateInfo));
    if (mb == NULL || ri == NULL) {
        return NULL;
    }

    milvus__proto__common__msg_base__init(mb);
    milvus__proto__common__replicate_info__init(ri);

    mb->msg_type = (int32_t) type;

    /* replicateinfo stays allocated so that callers may set it */
    mb->replicateinfo = ri;

    if (replicate_ts) {
        ri->isreplicate = 1;
        ri->msgtimestamp = replicate_ts;
    }

    return mb;
}


static ngx_int_t
ngx_http_milvus_cdc_msg_positions(ngx_pool_t *pool,
    ngx_http_milvus_cdc_msg_position_t *src, ngx_uint_t n,
    Milvus__Proto__Msg__MsgPosition ***dst)
{
    ngx_uint_t                        i;
    Milvus__Proto__Msg__MsgPosition  *pos, **a;

    *dst = NULL;

    if (n == 0) {
        return NGX_OK;
    }

    a = ngx_palloc(pool, n * sizeof(void *));
    pos = ngx_palloc(pool, n * sizeof(Milvus__Proto__Msg__MsgPosition));
    if (a == NULL || pos == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < n; i++) {
        milvus__proto__msg__msg_position__init(&pos[i]);

        pos[i].channel_name = ngx_http_milvus_cdc_msg_cstr(pool,
                                                       &src[i].channel_name);
        pos[i].msggroup = ngx_http_milvus_cdc_msg_cstr(pool,
                                                       &src[i].msg_group);
        if (pos[i].channel_name == NULL || pos[i].msggroup == NULL) {
            return NGX_ERROR;
        }

        pos[i].msgid.len = src[i].msg_id.len;
        pos[i].msgid.data = src[i].msg_id.data;
        pos[i].timestamp = src[i].ts;

        a[i] = &pos[i];
    }

    *dst = a;

    return NGX_OK;
}


/*
 * Copies the result fields of a successful reply into one ngx_alloc()ed
 * block: first the ngx_str_t arrays and the ids, then the bytes.
 */

static ngx_int_t
ngx_http_milvus_cdc_msg_reply_fill(ngx_uint_t rpc, ProtobufCMessage *msg,
    ngx_http_milvus_cdc_msg_reply_t *r, ngx_log_t *log)
{
    char                                            **a, **b, *one[2], *src;
    u_char                                           *p;
    size_t                                            na, nb, size, i, len;
    size_t                                            schema_len;
    int64_t                                          *ids;
    ngx_str_t                                        *s;
    Milvus__Proto__Milvus__BoolResponse              *br;
    Milvus__Proto__Milvus__ShowPartitionsResponse    *sp;
    Milvus__Proto__Milvus__ListDatabasesResponse     *ld;
    Milvus__Proto__Milvus__DescribeCollectionResponse  *dc;
    Milvus__Proto__Milvus__ReplicateMessageResponse  *rm;
    Milvus__Proto__Milvus__GetCollectionStatisticsResponse  *gs;

    a = NULL;
    b = NULL;
    na = 0;
    nb = 0;
    ids = NULL;
    schema_len = 0;
    dc = NULL;

    switch (rpc) {

    case NGX_HTTP_MILVUS_CDC_MSG_RPC_REPLICATE:
        rm = (Milvus__Proto__Milvus__ReplicateMessageResponse *) msg;
        one[0] = rm->position;
        a = one;
        na = 1;
        break;

    case NGX_HTTP_MILVUS_CDC_MSG_RPC_HAS_COLLECTION:
        br = (Milvus__Proto__Milvus__BoolResponse *) msg;
        r->value = br->value ? 1 : 0;
        return NGX_OK;

    case NGX_HTTP_MILVUS_CDC_MSG_RPC_DESCRIBE_COLLECTION:
        dc = (Milvus__Proto__Milvus__DescribeCollectionResponse *) msg;
        r->collection_id = dc->collectionid;
        r->created_ts = dc->created_timestamp;
        r->shards_num = dc->shards_num;
        r->consistency_level = dc->consistency_level;
        r->num_partitions = dc->num_partitions;

        /* vchannels, pchannels, then db_name as a 1-element array */
        a = dc->virtual_channel_names;
        na = dc->n_virtual_channel_names;
        b = dc->physical_channel_names;
        nb = dc->n_physical_channel_names;

        if (dc->schema) {
            schema_len = protobuf_c_message_get_packed_size(&dc->schema->base);
        }

        break;

    case NGX_HTTP_MILVUS_CDC_MSG_RPC_SHOW_PARTITIONS:
        sp = (Milvus__Proto__Milvus__ShowPartitionsResponse *) msg;
        a = sp->partition_names;
        na = sp->n_partition_names;

        if (sp->n_partitionids != na) {
            ngx_http_milvus_cdc_msg_reply_reason(r,
                                            "partition names and ids differ");
            return NGX_ERROR;
        }

        ids = sp->partitionids;
        break;

    case NGX_HTTP_MILVUS_CDC_MSG_RPC_LIST_DATABASES:
        ld = (Milvus__Proto__Milvus__ListDatabasesResponse *) msg;
        a = ld->db_names;
        na = ld->n_db_names;
        break;

    case NGX_HTTP_MILVUS_CDC_MSG_RPC_COLLECTION_STATISTICS:
        gs = (Milvus__Proto__Milvus__GetCollectionStatisticsResponse *) msg;

        for (i = 0; i < gs->n_stats; i++) {
            if (ngx_strcmp(gs->stats[i]->key, "row_count") == 0) {
                r->row_count = ngx_atoof((u_char *) gs->stats[i]->value,
                                         ngx_strlen(gs->stats[i]->value));
            }
        }

        return NGX_OK;

    default:
        return NGX_OK;
    }

    size = (na + nb + 1) * sizeof(ngx_str_t) + na * sizeof(int64_t)
           + schema_len;

    for (i = 0; i < na; i++) {
        size += ngx_strlen(a[i]) + 1;
    }

    for (i = 0; i < nb; i++) {
        size += ngx_strlen(b[i]) + 1;
    }

    if (dc) {
        size += ngx_strlen(dc->db_name) + 1;
    }

    r->mem = ngx_alloc(size, log);
    if (r->mem == NULL) {
        ngx_http_milvus_cdc_msg_reply_reason(r, "no memory");
        return NGX_ERROR;
    }

    s = r->mem;
    ids = ids ? (int64_t *) (s + na + nb + 1) : NULL;
    p = (u_char *) (s + na + nb + 1) + na * sizeof(int64_t);

    if (ids) {
        ngx_memcpy(ids, ((Milvus__Proto__Milvus__ShowPartitionsResponse *)
                         msg)->partitionids, na * sizeof(int64_t));
    }

    for (i = 0; i < na + nb; i++) {
        src = (i < na) ? a[i] : b[i - na];
        len = ngx_strlen(src);
        s[i].data = p;
        s[i].len = len;
        p = ngx_cpymem(p, src, len + 1);
    }

    if (dc) {
        len = ngx_strlen(dc->db_name);
        r->db_name.data = p;
        r->db_name.len = len;
        p = ngx_cpymem(p, dc->db_name, len + 1);

        if (schema_len) {
            r->schema.data = p;
            r->schema.len = protobuf_c_message_pack(&dc->schema->base, p);
        }

        r->vchannels = s;
        r->nvchannels = na;
        r->pchannels = s + na;
        r->npchannels = nb;

        return NGX_OK;
    }

    if (rpc == NGX_HTTP_MILVUS_CDC_MSG_RPC_REPLICATE) {
        r->position = s[0];
        return NGX_OK;
    }

    r->names = s;
    r->nnames = na;
    r->ids = ids;

    return NGX_OK;
}


static void
ngx_http_milvus_cdc_msg_reply_reason(ngx_http_milvus_cdc_msg_reply_t *r,
    const char *text)
{
    size_t  len;

    len = text ? ngx_strlen(text) : 0;

    if (len > sizeof(r->text) - 1) {
        len = sizeof(r->text) - 1;
    }

    if (len) {
        ngx_memcpy(r->text, text, len);
    }

    r->text[len] = '\0';

    r->reason.data = r->text;
    r->reason.len = len;
}


/*
 * The replicate channel carries the requests of the proxy's DDL/DCL calls
 * as they were made (milvus-proto milvus.proto: CreateIndexRequest,
 * LoadCollectionRequest, FlushRequest, CreateDatabaseRequest, …; db_name
 * is field 2 of each, collection_name field 3, a repeated string in
 * FlushRequest.collection_names).
 */

ngx_str_t *
ngx_http_milvus_cdc_msg_rpc_method(ngx_int_t type)
{
    static ngx_str_t  create_index =
        ngx_string("/milvus.proto.milvus.MilvusService/CreateIndex");
    static ngx_str_t  drop_index =
        ngx_string("/milvus.proto.milvus.MilvusService/DropIndex");
    static ngx_str_t  load_collection =
        ngx_string("/milvus.proto.milvus.MilvusService/LoadCollection");
    static ngx_str_t  release_collection =
        ngx_string("/milvus.proto.milvus.MilvusService/ReleaseCollection");
    static ngx_str_t  load_partitions =
        ngx_string("/milvus.proto.milvus.MilvusService/LoadPartitions");
    static ngx_str_t  release_partitions =
        ngx_string("/milvus.proto.milvus.MilvusService/ReleasePartitions");
    static ngx_str_t  flush =
        ngx_string("/milvus.proto.milvus.MilvusService/Flush");
    static ngx_str_t  create_database =
        ngx_string("/milvus.proto.milvus.MilvusService/CreateDatabase");
    static ngx_str_t  drop_database =
        ngx_string("/milvus.proto.milvus.MilvusService/DropDatabase");

    switch (type) {

    case NGX_HTTP_MILVUS_CDC_MSG_CREATE_INDEX:
        return &create_index;

    case NGX_HTTP_MILVUS_CDC_MSG_DROP_INDEX:
        return &drop_index;

    case NGX_HTTP_MILVUS_CDC_MSG_LOAD_COLLECTION:
        return &load_collection;

    case NGX_HTTP_MILVUS_CDC_MSG_RELEASE_COLLECTION:
        return &release_collection;

    case NGX_HTTP_MILVUS_CDC_MSG_LOAD_PARTITIONS:
        return &load_partitions;

    case NGX_HTTP_MILVUS_CDC_MSG_RELEASE_PARTITIONS:
        return &release_partitions;

    case NGX_HTTP_MILVUS_CDC_MSG_FLUSH:
        return &flush;

    case NGX_HTTP_MILVUS_CDC_MSG_CREATE_DATABASE:
        return &create_database;

    case NGX_HTTP_MILVUS_CDC_MSG_DROP_DATABASE:
        return &drop_database;
    }

    return NULL;
}


ngx_int_t
ngx_http_milvus_cdc_msg_rpc_names(u_char *data, size_t len, ngx_str_t *db,
    ngx_str_t *collections, ngx_uint_t max, ngx_uint_t *n)
{
    u_char    *p, *last;
    uint64_t   v, field, wire, l;
    ngx_int_t  shift;

    ngx_str_null(db);
    *n = 0;

    p = data;
    last = data + len;

    while (p < last) {

        /* the tag, then the value by wire type */

        v = 0;

        for (shift = 0; p < last && shift < 64; shift += 7) {
            v |= (uint64_t) (*p & 0x7f) << shift;
            if (!(*p++ & 0x80)) {
                break;
            }
        }

        field = v >> 3;
        wire = v & 7;

        switch (wire) {

        case 0:
            while (p < last && (*p++ & 0x80)) { /* void */ }
            break;

        case 1:
            p += 8;
            break;

        case 5:
            p += 4;
            break;

        case 2:
            l = 0;

            for (shift = 0; p < last && shift < 64; shift += 7) {
                l |= (uint64_t) (*p & 0x7f) << shift;
                if (!(*p++ & 0x80)) {
                    break;
                }
            }

            if (l > (uint64_t) (last - p)) {
                return NGX_ERROR;
            }

            if (field == 2) {
                db->data = p;
                db->len = l;

            } else if (field == 3 && *n < max) {
                collections[*n].data = p;
                collections[*n].len = l;
                (*n)++;
            }

            p += l;
            break;

        default:
            return NGX_ERROR;
        }
    }

    return p == last ? NGX_OK : NGX_ERROR;
}


ngx_int_t
ngx_http_milvus_cdc_msg_mark_replicated(u_char *data, size_t len,
    uint64_t ts, ngx_str_t *out, ngx_log_t *log)
{
    u_char    *p, info[16], *q;
    size_t     n;
    uint64_t   v;

    /* ReplicateInfo {isReplicate 1: true, msgTimestamp 2: ts} */

    q = info;
    *q++ = 0x08;
    *q++ = 0x01;
    *q++ = 0x10;

    for (v = ts; v >= 0x80; v >>= 7) {
        *q++ = (u_char) (v | 0x80);
    }

    *q++ = (u_char) v;
    n = q - info;

    /*
     * a second occurrence of an embedded message is merged into the first
     * (protobuf encoding rules): base 1 {replicateInfo 7 {…}} appended
     * sets base.replicateInfo and keeps the rest of base
     */

    out->data = ngx_alloc(len + n + 4, log);
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(out->data, data, len);

    *p++ = 0x0a;                   /* field 1, length-delimited */
    *p++ = (u_char) (n + 2);
    *p++ = 0x3a;                   /* field 7, length-delimited */
    *p++ = (u_char) n;
    p = ngx_cpymem(p, info, n);

    out->len = p - out->data;

    return NGX_OK;
}


ngx_int_t
ngx_http_milvus_cdc_msg_release_partition(ngx_str_t *db,
    ngx_str_t *collection, ngx_str_t *partition, ngx_str_t *out,
    ngx_log_t *log)
{
    u_char      *p;
    ngx_str_t   *f[3];
    ngx_uint_t   i;

    f[0] = db;
    f[1] = collection;
    f[2] = partition;

    /* at most 255 bytes a name: one length byte... or two */

    out->data = ngx_alloc(db->len + collection->len + partition->len + 9,
                          log);
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    p = out->data;

    for (i = 0; i < 3; i++) {
        *p++ = (u_char) (((i + 2) << 3) | 2);   /* fields 2, 3, 4 */

        if (f[i]->len < 0x80) {
            *p++ = (u_char) f[i]->len;

        } else {
            *p++ = (u_char) (f[i]->len | 0x80);
            *p++ = (u_char) (f[i]->len >> 7);
        }

        p = ngx_cpymem(p, f[i]->data, f[i]->len);
    }

    out->len = p - out->data;

    return NGX_OK;
}


/* a protobuf varint at p; NULL if it runs past last */

static u_char *
ngx_http_milvus_cdc_msg_pvarint(u_char *p, u_char *last, uint64_t *v)
{
    ngx_uint_t  shift;

    *v = 0;

    for (shift = 0; p < last && shift < 64; shift += 7) {
        *v |= (uint64_t) (*p & 0x7f) << shift;

        if (!(*p++ & 0x80)) {
            return p;
        }
    }

    return NULL;
}


/*
 * The next field of a message: its number, wire type and, for varints
 * its value, for length-delimited fields its bytes.  NGX_OK, NGX_DONE at
 * the end, NGX_ERROR for bytes that are no protobuf.
 */

static ngx_int_t
ngx_http_milvus_cdc_msg_next(u_char **pp, u_char *last, uint64_t *field,
    uint64_t *wire, uint64_t *v, ngx_str_t *bytes)
{
    u_char    *p;
    uint64_t   tag, l;

    p = *pp;

    if (p == last) {
        return NGX_DONE;
    }

    p = ngx_http_milvus_cdc_msg_pvarint(p, last, &tag);
    if (p == NULL) {
        return NGX_ERROR;
    }

    *field = tag >> 3;
    *wire = tag & 7;

    switch (*wire) {

    case 0:
        p = ngx_http_milvus_cdc_msg_pvarint(p, last, v);
        break;

    case 1:
        p = (last - p >= 8) ? p + 8 : NULL;
        break;

    case 5:
        p = (last - p >= 4) ? p + 4 : NULL;
        break;

    case 2:
        p = ngx_http_milvus_cdc_msg_pvarint(p, last, &l);

        if (p == NULL || l > (uint64_t) (last - p)) {
            return NGX_ERROR;
        }

        bytes->data = p;
        bytes->len = l;
        p += l;
        break;

    default:
        return NGX_ERROR;
    }

    if (p == NULL) {
        return NGX_ERROR;
    }

    *pp = p;

    return NGX_OK;
}


/*
 * The primary keys of an InsertRequest (msg.proto fields_data 13:
 * schema.FieldData {field_id 5, scalars 3: ScalarField {long_data 3:
 * LongArray {data 1}, string_data 6: StringArray {data 1}}}), scanned
 * without decoding the rows.
 */

static ngx_int_t
ngx_http_milvus_cdc_msg_pks(ngx_str_t *insert, int64_t pk_field_id,
    ngx_str_t *keys, ngx_uint_t *varchar)
{
    u_char     *p, *q, *r;
    uint64_t    field, wire, v, fid;
    ngx_str_t   b, fd, scalars;
    ngx_int_t   rc;

    p = insert->data;

    for ( ;; ) {
        rc = ngx_http_milvus_cdc_msg_next(&p, insert->data + insert->len,
                                          &field, &wire, &v, &b);
        if (rc != NGX_OK) {
            return NGX_ERROR;
        }

        if (field != 13 || wire != 2) {
            continue;
        }

        fd = b;
        fid = (uint64_t) -1;
        ngx_str_null(&scalars);

        for (q = fd.data; ; ) {
            rc = ngx_http_milvus_cdc_msg_next(&q, fd.data + fd.len, &field,
                                              &wire, &v, &b);
            if (rc == NGX_DONE) {
                break;
            }

            if (rc != NGX_OK) {
                return NGX_ERROR;
            }

            if (field == 5 && wire == 0) {
                fid = v;

            } else if (field == 3 && wire == 2) {
                scalars = b;
            }
        }

        if ((int64_t) fid != pk_field_id || scalars.data == NULL) {
            continue;
        }

        for (r = scalars.data; ; ) {
            rc = ngx_http_milvus_cdc_msg_next(&r, scalars.data + scalars.len,
                                              &field, &wire, &v, &b);
            if (rc != NGX_OK) {
                return NGX_ERROR;
            }

            if ((field == 3 || field == 6) && wire == 2) {
                *keys = b;
                *varchar = (field == 6);
                return NGX_OK;
            }
        }
    }
}


ngx_int_t
ngx_http_milvus_cdc_msg_insert_delete(ngx_str_t *insert, int64_t pk_field_id,
    ngx_http_milvus_cdc_msg_t *m, ngx_str_t *shard, uint64_t ts,
    int64_t msg_id, ngx_str_t *out, ngx_log_t *log)
{
    u_char                             *p, *last, *vchannel = NULL;
    size_t                              n, i;
    uint64_t                            field, wire, v;
    int64_t                            *ids = NULL;
    char                              **strs = NULL;
    uint64_t                           *tss = NULL;
    ngx_int_t                           rc;
    ngx_str_t                           keys, b;
    ngx_uint_t                          varchar;
    Milvus__Proto__Msg__DeleteRequest   del =
        MILVUS__PROTO__MSG__DELETE_REQUEST__INIT;
    Milvus__Proto__Common__MsgBase      base =
        MILVUS__PROTO__COMMON__MSG_BASE__INIT;
    Milvus__Proto__Schema__IDs          pks = MILVUS__PROTO__SCHEMA__IDS__INIT;
    Milvus__Proto__Schema__LongArray    la =
        MILVUS__PROTO__SCHEMA__LONG_ARRAY__INIT;
    Milvus__Proto__Schema__StringArray  sa =
        MILVUS__PROTO__SCHEMA__STRING_ARRAY__INIT;

    if (ngx_http_milvus_cdc_msg_pks(insert, pk_field_id, &keys, &varchar)
        != NGX_OK)
    {
        return NGX_DECLINED;
    }

    /* count, then copy: packed varints or repeated strings */

    n = 0;
    p = keys.data;
    last = keys.data + keys.len;

    for ( ;; ) {
        rc = ngx_http_milvus_cdc_msg_next(&p, last, &field, &wire, &v, &b);
        if (rc == NGX_DONE) {
            break;
        }

        if (rc != NGX_OK || field != 1) {
            return NGX_DECLINED;
        }

        if (wire == 2 && !varchar) {
            for (i = 0; i < b.len; i++) {
                n += !(b.data[i] & 0x80);
            }

        } else {
            n++;
        }
    }

    if (n == 0) {
        return NGX_DECLINED;
    }

    ids = ngx_alloc(n * sizeof(int64_t), log);
    strs = ngx_calloc(n * sizeof(char *), log);
    tss = ngx_alloc(n * sizeof(uint64_t), log);
    vchannel = ngx_alloc(shard->len + 1, log);

    if (ids == NULL || strs == NULL || tss == NULL || vchannel == NULL) {
        rc = NGX_ERROR;
        goto done;
    }

    ngx_memzero(strs, n * sizeof(char *));

    i = 0;
    p = keys.data;
    rc = NGX_OK;

    while (i < n
           && ngx_http_milvus_cdc_msg_next(&p, last, &field, &wire, &v, &b)
              == NGX_OK)
    {
        if (varchar) {
            strs[i] = ngx_alloc(b.len + 1, log);
            if (strs[i] == NULL) {
                rc = NGX_ERROR;
                goto done;
            }

            ngx_memcpy(strs[i], b.data, b.len);
            strs[i++][b.len] = '\0';

        } else if (wire == 2) {
            u_char  *q = b.data;

            while (i < n && q < b.data + b.len) {
                q = ngx_http_milvus_cdc_msg_pvarint(q, b.data + b.len, &v);
                if (q == NULL) {
                    break;
                }

                ids[i++] = (int64_t) v;
            }

        } else {
            ids[i++] = (int64_t) v;
        }
    }

    n = i;

    for (i = 0; i < n; i++) {
        tss[i] = ts;
    }

    base.msg_type = NGX_HTTP_MILVUS_CDC_MSG_DELETE;
    base.msgid = msg_id;
    base.timestamp = ts;
    base.sourceid = NGX_HTTP_MILVUS_CDC_MSG_SOURCE_ID;

    if (varchar) {
        sa.n_data = n;
        sa.data = strs;
        pks.id_field_case = MILVUS__PROTO__SCHEMA__IDS__ID_FIELD_STR_ID;
        pks.str_id = &sa;

    } else {
        la.n_data = n;
        la.data = ids;
        pks.id_field_case = MILVUS__PROTO__SCHEMA__IDS__ID_FIELD_INT_ID;
        pks.int_id = &la;
    }

    ngx_memcpy(vchannel, shard->data, shard->len);
    vchannel[shard->len] = '\0';

    del.msg_base = &base;
    del.shardname = (char *) vchannel;
    del.collection_name = (char *) m->collection_name.data;
    del.collectionid = m->collection_id;
    del.partitionid = -1;
    del.n_timestamps = n;
    del.timestamps = tss;
    del.num_rows = (int64_t) n;
    del.primary_keys = &pks;

    out->len = milvus__proto__msg__delete_request__get_packed_size(&del);
    out->data = ngx_alloc(out->len, log);

    if (out->data == NULL) {
        rc = NGX_ERROR;
        goto done;
    }

    (void) milvus__proto__msg__delete_request__pack(&del, out->data);

done:

    if (strs) {
        for (i = 0; i < n; i++) {
            if (strs[i]) {
                ngx_free(strs[i]);
            }
        }

        ngx_free(strs);
    }

    if (ids) {
        ngx_free(ids);
    }

    if (tss) {
        ngx_free(tss);
    }

    if (vchannel) {
        ngx_free(vchannel);
    }

    return rc;
}
