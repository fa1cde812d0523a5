
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_milvus_cdc_rpc.h"
#include "ngx_http_milvus_cdc_msg.h"
#include "ngx_http_milvus_cdc_pb.h"
#include "milvus_cdc_common.pb-c.h"
#include "milvus_cdc_schema.pb-c.h"
#include "milvus_cdc_msg.pb-c.h"
#include "milvus_cdc_milvus.pb-c.h"


#define NGX_HTTP_MILVUS_CDC_RPC_SERVICE  "/milvus.proto.milvus.MilvusService/"

/* first user field id; 0 (RowID) and 1 (Timestamp) are system fields */
#define NGX_HTTP_MILVUS_CDC_RPC_FIRST_FIELD  100

/* a request sent without MsgBase (as pymilvus sends ConnectRequest) */
#define NGX_HTTP_MILVUS_CDC_RPC_NO_BASE      -1


/*
 * One RPC: its method path, request and reply messages, and the
 * MsgBase.msg_type of its request as pymilvus and Milvus-CDC set it.
 */
typedef struct {
    ngx_str_t                           method;
    const ProtobufCMessageDescriptor   *request;
    const ProtobufCMessageDescriptor   *reply;
    ngx_int_t                           type;
} ngx_http_milvus_cdc_rpc_t;


/*
 * What a successful reply hands to the caller, copied into one block by
 * ngx_http_milvus_cdc_rpc_reply_copy(): the strings a (na), b (nb) and
 * d (nd), na ids (or NULL), one more string str, and a schema to
 * re-pack; the copy fills s (na + nb + nd strings), ids_out, str_out and
 * schema_out.
 */
typedef struct {
    char                              **a;
    size_t                              na;
    char                              **b;
    size_t                              nb;
    char                              **d;
    size_t                              nd;
    int64_t                            *ids;
    char                               *str;
    ProtobufCMessage                   *schema;

    ngx_str_t                          *s;
    int64_t                            *ids_out;
    ngx_str_t                           str_out;
    ngx_str_t                           schema_out;
} ngx_http_milvus_cdc_rpc_copy_t;


static ngx_int_t ngx_http_milvus_cdc_rpc_names(ProtobufCMessage *msg,
    ngx_http_milvus_cdc_msg_request_t *rq, ngx_pool_t *pool);
static void ngx_http_milvus_cdc_rpc_scalars(ProtobufCMessage *msg,
    ngx_http_milvus_cdc_msg_request_t *rq);
static ngx_int_t ngx_http_milvus_cdc_rpc_properties(ProtobufCMessage *msg,
    ngx_http_milvus_cdc_msg_request_t *rq, ngx_pool_t *pool);
static ngx_int_t ngx_http_milvus_cdc_rpc_client(ProtobufCMessage *msg,
    ngx_http_milvus_cdc_msg_client_t *client, ngx_pool_t *pool);
static ngx_int_t ngx_http_milvus_cdc_rpc_set_str(ProtobufCMessage *msg,
    const char *name, ngx_str_t *s, ngx_pool_t *pool);
static char *ngx_http_milvus_cdc_rpc_cstr(ngx_pool_t *pool, ngx_str_t *s);
static void *ngx_http_milvus_cdc_rpc_field(ProtobufCMessage *msg,
    const char *name, size_t **count);
static Milvus__Proto__Common__MsgBase *ngx_http_milvus_cdc_rpc_new_base(
    ngx_pool_t *pool, ngx_int_t type, uint64_t replicate_ts);
static ngx_int_t ngx_http_milvus_cdc_rpc_positions(ngx_pool_t *pool,
    ngx_http_milvus_cdc_msg_position_t *src, ngx_uint_t n,
    Milvus__Proto__Msg__MsgPosition ***dst);
static ngx_int_t ngx_http_milvus_cdc_rpc_reply_fill(ngx_uint_t rpc,
    ProtobufCMessage *msg, ngx_http_milvus_cdc_msg_reply_t *r,
    ngx_log_t *log);
static ngx_int_t ngx_http_milvus_cdc_rpc_reply_copy(
    ngx_http_milvus_cdc_rpc_copy_t *c, ngx_http_milvus_cdc_msg_reply_t *r,
    ngx_log_t *log);
static char *ngx_http_milvus_cdc_rpc_copy_src(
    ngx_http_milvus_cdc_rpc_copy_t *c, size_t i);
static void ngx_http_milvus_cdc_rpc_reply_codes(
    ngx_http_milvus_cdc_msg_reply_t *r);
static u_char *ngx_http_milvus_cdc_rpc_decimal(u_char *p, ngx_int_t v);
static void ngx_http_milvus_cdc_rpc_reply_reason(
    ngx_http_milvus_cdc_msg_reply_t *r, const char *text);


/* indexed by ngx_http_milvus_cdc_msg_rpc_e */

static ngx_http_milvus_cdc_rpc_t  ngx_http_milvus_cdc_rpcs[] = {

    { ngx_string(NGX_HTTP_MILVUS_CDC_RPC_SERVICE "ReplicateMessage"),
      &milvus__proto__milvus__replicate_message_request__descriptor,
      &milvus__proto__milvus__replicate_message_response__descriptor,
      0 },

    { ngx_string(NGX_HTTP_MILVUS_CDC_RPC_SERVICE "CreateCollection"),
      &milvus__proto__milvus__create_collection_request__descriptor,
      &milvus__proto__common__status__descriptor,
      NGX_HTTP_MILVUS_CDC_MSG_CREATE_COLLECTION },

    { ngx_string(NGX_HTTP_MILVUS_CDC_RPC_SERVICE "DropCollection"),
      &milvus__proto__milvus__drop_collection_request__descriptor,
      &milvus__proto__common__status__descriptor,
      NGX_HTTP_MILVUS_CDC_MSG_DROP_COLLECTION },

    { ngx_string(NGX_HTTP_MILVUS_CDC_RPC_SERVICE "HasCollection"),
      &milvus__proto__milvus__has_collection_request__descriptor,
      &milvus__proto__milvus__bool_response__descriptor,
      102 },

    { ngx_string(NGX_HTTP_MILVUS_CDC_RPC_SERVICE "DescribeCollection"),
      &milvus__proto__milvus__describe_collection_request__descriptor,
      &milvus__proto__milvus__describe_collection_response__descriptor,
      103 },

    { ngx_string(NGX_HTTP_MILVUS_CDC_RPC_SERVICE "CreatePartition"),
      &milvus__proto__milvus__create_partition_request__descriptor,
      &milvus__proto__common__status__descriptor,
      NGX_HTTP_MILVUS_CDC_MSG_CREATE_PARTITION },

    { ngx_string(NGX_HTTP_MILVUS_CDC_RPC_SERVICE "DropPartition"),
      &milvus__proto__milvus__drop_partition_request__descriptor,
      &milvus__proto__common__status__descriptor,
      NGX_HTTP_MILVUS_CDC_MSG_DROP_PARTITION },

    { ngx_string(NGX_HTTP_MILVUS_CDC_RPC_SERVICE "ShowPartitions"),
      &milvus__proto__milvus__show_partitions_request__descriptor,
      &milvus__proto__milvus__show_partitions_response__descriptor,
      204 },

    { ngx_string(NGX_HTTP_MILVUS_CDC_RPC_SERVICE "CreateDatabase"),
      &milvus__proto__milvus__create_database_request__descriptor,
      &milvus__proto__common__status__descriptor,
      NGX_HTTP_MILVUS_CDC_MSG_CREATE_DATABASE },

    { ngx_string(NGX_HTTP_MILVUS_CDC_RPC_SERVICE "DropDatabase"),
      &milvus__proto__milvus__drop_database_request__descriptor,
      &milvus__proto__common__status__descriptor,
      NGX_HTTP_MILVUS_CDC_MSG_DROP_DATABASE },

    { ngx_string(NGX_HTTP_MILVUS_CDC_RPC_SERVICE "ListDatabases"),
      &milvus__proto__milvus__list_databases_request__descriptor,
      &milvus__proto__milvus__list_databases_response__descriptor,
      1803 },

    { ngx_string(NGX_HTTP_MILVUS_CDC_RPC_SERVICE "Flush"),
      &milvus__proto__milvus__flush_request__descriptor,
      &milvus__proto__milvus__flush_response__descriptor,
      NGX_HTTP_MILVUS_CDC_MSG_FLUSH },

    { ngx_string(NGX_HTTP_MILVUS_CDC_RPC_SERVICE "GetCollectionStatistics"),
      &milvus__proto__milvus__get_collection_statistics_request__descriptor,
      &milvus__proto__milvus__get_collection_statistics_response__descriptor,
      504 },

    { ngx_string(NGX_HTTP_MILVUS_CDC_RPC_SERVICE "Connect"),
      &milvus__proto__milvus__connect_request__descriptor,
      &milvus__proto__milvus__connect_response__descriptor,
      NGX_HTTP_MILVUS_CDC_RPC_NO_BASE },

    { ngx_string(NGX_HTTP_MILVUS_CDC_RPC_SERVICE "CreateAlias"),
      &milvus__proto__milvus__create_alias_request__descriptor,
      &milvus__proto__common__status__descriptor,
      108 },

    { ngx_string(NGX_HTTP_MILVUS_CDC_RPC_SERVICE "AlterAlias"),
      &milvus__proto__milvus__alter_alias_request__descriptor,
      &milvus__proto__common__status__descriptor,
      110 },

    { ngx_string(NGX_HTTP_MILVUS_CDC_RPC_SERVICE "DropAlias"),
      &milvus__proto__milvus__drop_alias_request__descriptor,
      &milvus__proto__common__status__descriptor,
      109 },

    { ngx_string(NGX_HTTP_MILVUS_CDC_RPC_SERVICE "RenameCollection"),
      &milvus__proto__milvus__rename_collection_request__descriptor,
      &milvus__proto__common__status__descriptor,
      112 }
};


ngx_str_t *
ngx_http_milvus_cdc_msg_method(ngx_uint_t rpc)
{
    if (rpc >= NGX_HTTP_MILVUS_CDC_MSG_RPC_LAST) {
        return NULL;
    }

    return &ngx_http_milvus_cdc_rpcs[rpc].method;
}


ngx_int_t
ngx_http_milvus_cdc_msg_request(ngx_uint_t rpc,
    ngx_http_milvus_cdc_msg_request_t *rq, ngx_str_t *out, ngx_log_t *log)
{
    void                              **pp;
    ngx_int_t                           rc;
    ngx_pool_t                         *pool;
    ProtobufCMessage                   *msg;
    ngx_http_milvus_cdc_rpc_t          *row;

    if (rpc == NGX_HTTP_MILVUS_CDC_MSG_RPC_REPLICATE
        || rpc >= NGX_HTTP_MILVUS_CDC_MSG_RPC_LAST)
    {
        return NGX_DECLINED;
    }

    row = &ngx_http_milvus_cdc_rpcs[rpc];

    pool = ngx_create_pool(1024, log);
    if (pool == NULL) {
        return NGX_ERROR;
    }

    rc = NGX_ERROR;

    msg = ngx_palloc(pool, row->request->sizeof_message);
    if (msg == NULL) {
        goto done;
    }

    protobuf_c_message_init(row->request, msg);

    /* every request: msg_base 1, db_name 2 (not ConnectRequest) */

    if (row->type != NGX_HTTP_MILVUS_CDC_RPC_NO_BASE) {
        pp = ngx_http_milvus_cdc_rpc_field(msg, "msg_base", NULL);
        *pp = ngx_http_milvus_cdc_rpc_new_base(pool, row->type,
                                               rq->replicate_ts);
        if (*pp == NULL) {
            goto done;
        }
    }

    if (ngx_http_milvus_cdc_rpc_names(msg, rq, pool) != NGX_OK) {
        goto done;
    }

    ngx_http_milvus_cdc_rpc_scalars(msg, rq);

    if (ngx_http_milvus_cdc_rpc_properties(msg, rq, pool) != NGX_OK) {
        goto done;
    }

    if (rq->client
        && ngx_http_milvus_cdc_rpc_client(msg, rq->client, pool) != NGX_OK)
    {
        goto done;
    }

    rc = ngx_http_milvus_cdc_pb_pack(msg, out, log);

done:

    ngx_destroy_pool(pool);

    return rc;
}


/*
 * db_name 2, collection_name 3 (FlushRequest: collection_names 3, one;
 * RenameCollectionRequest: oldName 3), partition_name 4, alias,
 * newName, newDBName of the request, where the message has them
 */

static ngx_int_t
ngx_http_milvus_cdc_rpc_names(ProtobufCMessage *msg,
    ngx_http_milvus_cdc_msg_request_t *rq, ngx_pool_t *pool)
{
    char    **names;
    void    **pp;
    size_t   *count;

    if (ngx_http_milvus_cdc_rpc_set_str(msg, "db_name", &rq->db_name, pool)
        != NGX_OK
        || ngx_http_milvus_cdc_rpc_set_str(msg, "collection_name",
                                           &rq->collection_name, pool)
           != NGX_OK
        || ngx_http_milvus_cdc_rpc_set_str(msg, "partition_name",
                                           &rq->partition_name, pool)
           != NGX_OK
        || ngx_http_milvus_cdc_rpc_set_str(msg, "alias", &rq->alias, pool)
           != NGX_OK
        || ngx_http_milvus_cdc_rpc_set_str(msg, "oldName",
                                           &rq->collection_name, pool)
           != NGX_OK
        || ngx_http_milvus_cdc_rpc_set_str(msg, "newName", &rq->new_name,
                                           pool)
           != NGX_OK
        || ngx_http_milvus_cdc_rpc_set_str(msg, "newDBName",
                                           &rq->new_db_name, pool)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (rq->collection_name.len == 0) {
        return NGX_OK;
    }

    pp = ngx_http_milvus_cdc_rpc_field(msg, "collection_names", &count);
    if (pp == NULL) {
        return NGX_OK;
    }

    names = ngx_palloc(pool, sizeof(char *));
    if (names == NULL) {
        return NGX_ERROR;
    }

    names[0] = ngx_http_milvus_cdc_rpc_cstr(pool, &rq->collection_name);
    if (names[0] == NULL) {
        return NGX_ERROR;
    }

    *pp = names;
    *count = 1;

    return NGX_OK;
}


/*
 * collectionID, schema, shards_num, consistency_level, num_partitions of
 * the request, where the message has them
 */

static void
ngx_http_milvus_cdc_rpc_scalars(ProtobufCMessage *msg,
    ngx_http_milvus_cdc_msg_request_t *rq)
{
    int32_t              *i32;
    int64_t              *i64;
    ProtobufCBinaryData  *bin;

    i64 = ngx_http_milvus_cdc_rpc_field(msg, "collectionID", NULL);
    if (i64) {
        *i64 = rq->collection_id;
    }

    bin = ngx_http_milvus_cdc_rpc_field(msg, "schema", NULL);
    if (bin) {
        bin->len = rq->schema.len;
        bin->data = rq->schema.data;
    }

    i32 = ngx_http_milvus_cdc_rpc_field(msg, "shards_num", NULL);
    if (i32) {
        *i32 = (int32_t) rq->shards_num;
    }

    i32 = ngx_http_milvus_cdc_rpc_field(msg, "consistency_level", NULL);
    if (i32) {
        *i32 = (int32_t) rq->consistency_level;
    }

    i64 = ngx_http_milvus_cdc_rpc_field(msg, "num_partitions", NULL);
    if (i64) {
        *i64 = rq->num_partitions;
    }
}


/* repeated common.KeyValuePair properties, where the message has them */

static ngx_int_t
ngx_http_milvus_cdc_rpc_properties(ProtobufCMessage *msg,
    ngx_http_milvus_cdc_msg_request_t *rq, ngx_pool_t *pool)
{
    void                                 **pp;
    size_t                                *count;
    ngx_uint_t                             i;
    Milvus__Proto__Common__KeyValuePair  **kvs, *kv;

    pp = ngx_http_milvus_cdc_rpc_field(msg, "properties", &count);

    if (pp == NULL || rq->nproperties == 0) {
        return NGX_OK;
    }

    kvs = ngx_palloc(pool, rq->nproperties * sizeof(void *));
    if (kvs == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < rq->nproperties; i++) {
        kv = ngx_palloc(pool, sizeof(Milvus__Proto__Common__KeyValuePair));
        if (kv == NULL) {
            return NGX_ERROR;
        }

        milvus__proto__common__key_value_pair__init(kv);

        kv->key = ngx_http_milvus_cdc_rpc_cstr(pool, &rq->properties[i].key);
        kv->value = ngx_http_milvus_cdc_rpc_cstr(pool,
                                                 &rq->properties[i].value);
        if (kv->key == NULL || kv->value == NULL) {
            return NGX_ERROR;
        }

        kvs[i] = kv;
    }

    *pp = kvs;
    *count = rq->nproperties;

    return NGX_OK;
}


/* ConnectRequest client_info 2 */

static ngx_int_t
ngx_http_milvus_cdc_rpc_client(ProtobufCMessage *msg,
    ngx_http_milvus_cdc_msg_client_t *client, ngx_pool_t *pool)
{
    void                               **pp;
    Milvus__Proto__Common__ClientInfo   *ci;

    pp = ngx_http_milvus_cdc_rpc_field(msg, "client_info", NULL);
    if (pp == NULL) {
        return NGX_OK;
    }

    ci = ngx_palloc(pool, sizeof(Milvus__Proto__Common__ClientInfo));
    if (ci == NULL) {
        return NGX_ERROR;
    }

    milvus__proto__common__client_info__init(ci);

    ci->sdk_type = ngx_http_milvus_cdc_rpc_cstr(pool, &client->sdk_type);
    ci->sdk_version = ngx_http_milvus_cdc_rpc_cstr(pool,
                                                   &client->sdk_version);
    ci->local_time = ngx_http_milvus_cdc_rpc_cstr(pool, &client->local_time);
    ci->host = ngx_http_milvus_cdc_rpc_cstr(pool, &client->host);

    if (ci->sdk_type == NULL || ci->sdk_version == NULL
        || ci->local_time == NULL || ci->host == NULL)
    {
        return NGX_ERROR;
    }

    *pp = ci;

    return NGX_OK;
}


/* the string field "name" = s, if s is not empty and the message has it */

static ngx_int_t
ngx_http_milvus_cdc_rpc_set_str(ProtobufCMessage *msg, const char *name,
    ngx_str_t *s, ngx_pool_t *pool)
{
    char  **pp;

    if (s->len == 0) {
        return NGX_OK;
    }

    pp = ngx_http_milvus_cdc_rpc_field(msg, name, NULL);
    if (pp == NULL) {
        return NGX_OK;
    }

    *pp = ngx_http_milvus_cdc_rpc_cstr(pool, s);

    return *pp ? NGX_OK : NGX_ERROR;
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

    req.msg_base = ngx_http_milvus_cdc_rpc_new_base(pool, 0, 0);
    if (req.msg_base == NULL) {
        goto done;
    }

    req.msg_base->replicateinfo->isreplicate = 1;

    req.channel_name = ngx_http_milvus_cdc_rpc_cstr(pool, &rp->channel_name);
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

    if (ngx_http_milvus_cdc_rpc_positions(pool, rp->start_positions,
                                          rp->nstart_positions,
                                          &req.startpositions)
        != NGX_OK
        || ngx_http_milvus_cdc_rpc_positions(pool, rp->end_positions,
                                             rp->nend_positions,
                                             &req.endpositions)
           != NGX_OK)
    {
        goto done;
    }

    req.n_startpositions = rp->nstart_positions;
    req.n_endpositions = rp->nend_positions;

    rc = ngx_http_milvus_cdc_pb_pack(&req.base, out, log);

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
        ngx_http_milvus_cdc_rpc_reply_reason(r, "unknown rpc");
        return NGX_ERROR;
    }

    desc = ngx_http_milvus_cdc_rpcs[rpc].reply;

    msg = protobuf_c_message_unpack(desc, NULL, data->len, data->data);
    if (msg == NULL) {
        ngx_http_milvus_cdc_rpc_reply_reason(r, "undecodable reply");
        return NGX_ERROR;
    }

    if (desc == &milvus__proto__common__status__descriptor) {
        st = (Milvus__Proto__Common__Status *) msg;

    } else {
        pp = ngx_http_milvus_cdc_rpc_field(msg, "status", NULL);
        st = *pp;
    }

    rc = NGX_OK;

    if (st) {
        r->error_code = st->error_code;
        r->code = st->code;
        ngx_http_milvus_cdc_rpc_reply_reason(r, st->reason);

        if (st->error_code != 0 || st->code != 0) {
            rc = NGX_DECLINED;
        }
    }

    if (rc == NGX_OK
        && ngx_http_milvus_cdc_rpc_reply_fill(rpc, msg, r, log) != NGX_OK)
    {
        rc = NGX_ERROR;
    }

    protobuf_c_message_free_unpacked(msg, NULL);

    /* a refusal is never shown without words */

    if (rc == NGX_DECLINED && r->reason.len == 0) {
        ngx_http_milvus_cdc_rpc_reply_codes(r);

    } else if (rc == NGX_ERROR && r->reason.len == 0) {
        ngx_http_milvus_cdc_rpc_reply_reason(r, "the reply lacks what was "
                                             "asked for");
    }

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
    ngx_str_null(&r->server_version);
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

        if (f->fieldid < NGX_HTTP_MILVUS_CDC_RPC_FIRST_FIELD || f->is_dynamic)
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

    rc = ngx_http_milvus_cdc_pb_pack(&cs->base, out, log);

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


/*
 * The result fields of a successful reply: scalars straight into r,
 * strings, ids and the schema through one ngx_alloc()ed block
 * (ngx_http_milvus_cdc_rpc_reply_copy()).
 */

static ngx_int_t
ngx_http_milvus_cdc_rpc_reply_fill(ngx_uint_t rpc, ProtobufCMessage *msg,
    ngx_http_milvus_cdc_msg_reply_t *r, ngx_log_t *log)
{
    char                                                    *one[1];
    size_t                                                   i;
    ngx_http_milvus_cdc_rpc_copy_t                           c;
    Milvus__Proto__Milvus__BoolResponse                     *br;
    Milvus__Proto__Milvus__ConnectResponse                  *cr;
    Milvus__Proto__Milvus__ShowPartitionsResponse           *sp;
    Milvus__Proto__Milvus__ListDatabasesResponse            *ld;
    Milvus__Proto__Milvus__DescribeCollectionResponse       *dc;
    Milvus__Proto__Milvus__ReplicateMessageResponse         *rm;
    Milvus__Proto__Milvus__GetCollectionStatisticsResponse  *gs;

    ngx_memzero(&c, sizeof(ngx_http_milvus_cdc_rpc_copy_t));

    switch (rpc) {

    case NGX_HTTP_MILVUS_CDC_MSG_RPC_REPLICATE:
        rm = (Milvus__Proto__Milvus__ReplicateMessageResponse *) msg;
        one[0] = rm->position;
        c.a = one;
        c.na = 1;
        break;

    case NGX_HTTP_MILVUS_CDC_MSG_RPC_CONNECT:
        cr = (Milvus__Proto__Milvus__ConnectResponse *) msg;
        r->identifier = cr->identifier;

        if (cr->server_info == NULL) {
            return NGX_OK;
        }

        c.str = cr->server_info->build_tags;
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

        c.a = dc->virtual_channel_names;
        c.na = dc->n_virtual_channel_names;
        c.b = dc->physical_channel_names;
        c.nb = dc->n_physical_channel_names;
        c.d = dc->aliases;
        c.nd = dc->n_aliases;
        c.str = dc->db_name;
        c.schema = dc->schema ? &dc->schema->base : NULL;
        break;

    case NGX_HTTP_MILVUS_CDC_MSG_RPC_SHOW_PARTITIONS:
        sp = (Milvus__Proto__Milvus__ShowPartitionsResponse *) msg;

        if (sp->n_partitionids != sp->n_partition_names) {
            ngx_http_milvus_cdc_rpc_reply_reason(r,
                                            "partition names and ids differ");
            return NGX_ERROR;
        }

        c.a = sp->partition_names;
        c.na = sp->n_partition_names;
        c.ids = sp->partitionids;
        break;

    case NGX_HTTP_MILVUS_CDC_MSG_RPC_LIST_DATABASES:
        ld = (Milvus__Proto__Milvus__ListDatabasesResponse *) msg;
        c.a = ld->db_names;
        c.na = ld->n_db_names;
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

    if (ngx_http_milvus_cdc_rpc_reply_copy(&c, r, log) != NGX_OK) {
        return NGX_ERROR;
    }

    switch (rpc) {

    case NGX_HTTP_MILVUS_CDC_MSG_RPC_REPLICATE:
        r->position = c.s[0];
        break;

    case NGX_HTTP_MILVUS_CDC_MSG_RPC_CONNECT:
        r->server_version = c.str_out;
        break;

    case NGX_HTTP_MILVUS_CDC_MSG_RPC_DESCRIBE_COLLECTION:
        r->db_name = c.str_out;
        r->schema = c.schema_out;
        r->vchannels = c.s;
        r->nvchannels = c.na;
        r->pchannels = c.s + c.na;
        r->npchannels = c.nb;
        r->names = c.s + c.na + c.nb;
        r->nnames = c.nd;
        break;

    default:
        r->names = c.s;
        r->nnames = c.na;
        r->ids = c.ids_out;
        break;
    }

    return NGX_OK;
}


/*
 * One ngx_alloc()ed block, r->mem: first the ngx_str_t array and the ids,
 * then the bytes (NUL-terminated strings, the packed schema).
 */

static ngx_int_t
ngx_http_milvus_cdc_rpc_reply_copy(ngx_http_milvus_cdc_rpc_copy_t *c,
    ngx_http_milvus_cdc_msg_reply_t *r, ngx_log_t *log)
{
    char       *src;
    u_char     *p;
    size_t      size, schema_len, i, n, len;
    ngx_str_t  *s;

    schema_len = c->schema ? protobuf_c_message_get_packed_size(c->schema)
                           : 0;

    n = c->na + c->nb + c->nd;

    size = (n + 1) * sizeof(ngx_str_t) + c->na * sizeof(int64_t)
           + schema_len;

    for (i = 0; i < n; i++) {
        src = ngx_http_milvus_cdc_rpc_copy_src(c, i);
        size += ngx_strlen(src) + 1;
    }

    if (c->str) {
        size += ngx_strlen(c->str) + 1;
    }

    r->mem = ngx_alloc(size, log);
    if (r->mem == NULL) {
        ngx_http_milvus_cdc_rpc_reply_reason(r, "no memory");
        return NGX_ERROR;
    }

    s = r->mem;
    p = (u_char *) (s + n + 1) + c->na * sizeof(int64_t);

    if (c->ids) {
        c->ids_out = (int64_t *) (s + n + 1);
        ngx_memcpy(c->ids_out, c->ids, c->na * sizeof(int64_t));
    }

    for (i = 0; i < n; i++) {
        src = ngx_http_milvus_cdc_rpc_copy_src(c, i);
        len = ngx_strlen(src);
        s[i].data = p;
        s[i].len = len;
        p = ngx_cpymem(p, src, len + 1);
    }

    c->s = s;

    if (c->str) {
        len = ngx_strlen(c->str);
        c->str_out.data = p;
        c->str_out.len = len;
        p = ngx_cpymem(p, c->str, len + 1);
    }

    if (schema_len) {
        c->schema_out.data = p;
        c->schema_out.len = protobuf_c_message_pack(c->schema, p);
    }

    return NGX_OK;
}



/* string i of a, then b, then d */

static char *
ngx_http_milvus_cdc_rpc_copy_src(ngx_http_milvus_cdc_rpc_copy_t *c, size_t i)
{
    if (i < c->na) {
        return c->a[i];
    }

    i -= c->na;

    if (i < c->nb) {
        return c->b[i];
    }

    return c->d[i - c->nb];
}


static char *
ngx_http_milvus_cdc_rpc_cstr(ngx_pool_t *pool, ngx_str_t *s)
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
ngx_http_milvus_cdc_rpc_field(ProtobufCMessage *msg, const char *name,
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
ngx_http_milvus_cdc_rpc_new_base(ngx_pool_t *pool, ngx_int_t type,
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
ngx_http_milvus_cdc_rpc_positions(ngx_pool_t *pool,
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

        pos[i].channel_name = ngx_http_milvus_cdc_rpc_cstr(pool,
                                                       &src[i].channel_name);
        pos[i].msggroup = ngx_http_milvus_cdc_rpc_cstr(pool,
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


/* "refused without a reason (error_code 1, code 65535)" (no printf here:
   the codec links without nginx's string functions) */

static void
ngx_http_milvus_cdc_rpc_reply_codes(ngx_http_milvus_cdc_msg_reply_t *r)
{
    u_char  *p;

    p = ngx_cpymem(r->text, "refused without a reason (error_code ",
                   sizeof("refused without a reason (error_code ") - 1);
    p = ngx_http_milvus_cdc_rpc_decimal(p, r->error_code);
    p = ngx_cpymem(p, ", code ", sizeof(", code ") - 1);
    p = ngx_http_milvus_cdc_rpc_decimal(p, r->code);
    *p++ = ')';
    *p = '\0';

    r->reason.data = r->text;
    r->reason.len = p - r->text;
}


static u_char *
ngx_http_milvus_cdc_rpc_decimal(u_char *p, ngx_int_t v)
{
    u_char      buf[NGX_INT64_LEN];
    ngx_uint_t  n, u;

    if (v < 0) {
        *p++ = '-';
        u = (ngx_uint_t) -(v + 1) + 1;

    } else {
        u = (ngx_uint_t) v;
    }

    n = 0;

    do {
        buf[n++] = (u_char) ('0' + u % 10);
        u /= 10;
    } while (u);

    while (n) {
        *p++ = buf[--n];
    }

    return p;
}


static void
ngx_http_milvus_cdc_rpc_reply_reason(ngx_http_milvus_cdc_msg_reply_t *r,
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
