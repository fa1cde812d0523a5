
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_milvus_cdc_msg.h"
#include "ngx_http_milvus_cdc_pb.h"
#include "milvus_cdc_common.pb-c.h"
#include "milvus_cdc_schema.pb-c.h"
#include "milvus_cdc_msg.pb-c.h"


typedef struct {
    ngx_int_t                           type;
    const char                         *name;
} ngx_http_milvus_cdc_msg_type_t;


/*
 * The primary keys of an Insert, copied for the Delete that replays it:
 * n keys (nalloc allocated), ids (int64 keys) or strs (varchar keys,
 * NUL-terminated), one timestamp each in tss.
 */
typedef struct {
    size_t                              n;
    size_t                              nalloc;
    ngx_uint_t                          varchar;
    int64_t                            *ids;
    char                              **strs;
    uint64_t                           *tss;
} ngx_http_milvus_cdc_msg_keys_t;


static ngx_int_t ngx_http_milvus_cdc_msg_insert(ngx_http_milvus_cdc_msg_t *m,
    u_char *data, size_t len);
static ngx_int_t ngx_http_milvus_cdc_msg_delete(ngx_http_milvus_cdc_msg_t *m,
    u_char *data, size_t len);
static ngx_int_t ngx_http_milvus_cdc_msg_collection(
    ngx_http_milvus_cdc_msg_t *m, u_char *data, size_t len, ngx_log_t *log);
static ngx_int_t ngx_http_milvus_cdc_msg_partition(
    ngx_http_milvus_cdc_msg_t *m, u_char *data, size_t len);
static void ngx_http_milvus_cdc_msg_range(ngx_http_milvus_cdc_msg_t *m,
    uint64_t *ts, size_t n);
static void ngx_http_milvus_cdc_msg_str(ngx_str_t *dst, char *src);
static ngx_str_t *ngx_http_milvus_cdc_msg_strs(char **src, size_t n,
    ngx_str_t *dst);
static ngx_int_t ngx_http_milvus_cdc_msg_pks(ngx_str_t *insert,
    int64_t pk_field_id, ngx_str_t *keys, ngx_uint_t *varchar);
static ngx_int_t ngx_http_milvus_cdc_msg_keys_count(ngx_str_t *keys,
    ngx_uint_t varchar, size_t *n);
static ngx_int_t ngx_http_milvus_cdc_msg_keys_copy(ngx_str_t *keys,
    ngx_http_milvus_cdc_msg_keys_t *k, ngx_log_t *log);
static ngx_int_t ngx_http_milvus_cdc_msg_keys_delete(
    ngx_http_milvus_cdc_msg_keys_t *k, ngx_http_milvus_cdc_msg_t *m,
    ngx_str_t *shard, uint64_t ts, int64_t msg_id, ngx_str_t *out,
    ngx_log_t *log);
static void ngx_http_milvus_cdc_msg_keys_free(
    ngx_http_milvus_cdc_msg_keys_t *k);


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
    Milvus__Proto__Common__MsgBase  *mb;
    ngx_http_milvus_cdc_pb_field_t   base;

    ngx_memzero(h, sizeof(ngx_http_milvus_cdc_msg_header_t));

    /*
     * top-level field 1, the other fields skipped by wire type: nothing
     * is copied, so reading the header of a large Insert costs a few
     * bytes of parsing (Milvus writes field 1 first)
     */

    if (ngx_http_milvus_cdc_pb_find(data, len, 1, NGX_HTTP_MILVUS_CDC_PB_BYTES,
                                    &base)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    mb = milvus__proto__common__msg_base__unpack(NULL, base.bytes.len,
                                                 base.bytes.data);
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
        return ngx_http_milvus_cdc_msg_insert(m, data, len);

    case NGX_HTTP_MILVUS_CDC_MSG_DELETE:
        return ngx_http_milvus_cdc_msg_delete(m, data, len);

    case NGX_HTTP_MILVUS_CDC_MSG_CREATE_COLLECTION:
    case NGX_HTTP_MILVUS_CDC_MSG_DROP_COLLECTION:
        return ngx_http_milvus_cdc_msg_collection(m, data, len, log);

    case NGX_HTTP_MILVUS_CDC_MSG_CREATE_PARTITION:
    case NGX_HTTP_MILVUS_CDC_MSG_DROP_PARTITION:
        return ngx_http_milvus_cdc_msg_partition(m, data, len);

    default:
        return NGX_DECLINED;
    }
}


/* msgpb.InsertRequest */

static ngx_int_t
ngx_http_milvus_cdc_msg_insert(ngx_http_milvus_cdc_msg_t *m, u_char *data,
    size_t len)
{
    Milvus__Proto__Msg__InsertRequest  *ins;

    ins = milvus__proto__msg__insert_request__unpack(NULL, len, data);
    if (ins == NULL) {
        return NGX_ERROR;
    }

    m->pb = ins;
    m->collection_id = ins->collectionid;
    m->partition_id = ins->partitionid;
    ngx_http_milvus_cdc_msg_str(&m->shard_name, ins->shardname);
    ngx_http_milvus_cdc_msg_str(&m->db_name, ins->db_name);
    ngx_http_milvus_cdc_msg_str(&m->collection_name, ins->collection_name);
    ngx_http_milvus_cdc_msg_str(&m->partition_name, ins->partition_name);
    m->num_rows = ins->num_rows;
    m->version = ins->version;
    ngx_http_milvus_cdc_msg_range(m, ins->timestamps, ins->n_timestamps);

    return NGX_OK;
}


/* msgpb.DeleteRequest */

static ngx_int_t
ngx_http_milvus_cdc_msg_delete(ngx_http_milvus_cdc_msg_t *m, u_char *data,
    size_t len)
{
    Milvus__Proto__Msg__DeleteRequest  *del;

    del = milvus__proto__msg__delete_request__unpack(NULL, len, data);
    if (del == NULL) {
        return NGX_ERROR;
    }

    m->pb = del;
    m->collection_id = del->collectionid;
    m->partition_id = del->partitionid;
    ngx_http_milvus_cdc_msg_str(&m->shard_name, del->shardname);
    ngx_http_milvus_cdc_msg_str(&m->db_name, del->db_name);
    ngx_http_milvus_cdc_msg_str(&m->collection_name, del->collection_name);
    ngx_http_milvus_cdc_msg_str(&m->partition_name, del->partition_name);
    m->num_rows = del->num_rows;
    ngx_http_milvus_cdc_msg_range(m, del->timestamps, del->n_timestamps);

    if (del->primary_keys == NULL) {
        return NGX_OK;
    }

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

    return NGX_OK;
}


/* msgpb.CreateCollectionRequest, msgpb.DropCollectionRequest */

static ngx_int_t
ngx_http_milvus_cdc_msg_collection(ngx_http_milvus_cdc_msg_t *m,
    u_char *data, size_t len, ngx_log_t *log)
{
    size_t                                        n;
    ngx_str_t                                    *strs;
    Milvus__Proto__Msg__DropCollectionRequest    *dc;
    Milvus__Proto__Msg__CreateCollectionRequest  *cc;

    if (m->hdr.type == NGX_HTTP_MILVUS_CDC_MSG_DROP_COLLECTION) {
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
    }

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

    n = cc->n_virtualchannelnames + cc->n_physicalchannelnames;

    if (n == 0) {
        return NGX_OK;
    }

    strs = ngx_alloc(n * sizeof(ngx_str_t), log);
    if (strs == NULL) {
        ngx_http_milvus_cdc_msg_free(m);
        return NGX_ERROR;
    }

    m->mem = strs;
    m->nvchannels = cc->n_virtualchannelnames;
    m->vchannels = strs;
    m->npchannels = cc->n_physicalchannelnames;
    m->pchannels = ngx_http_milvus_cdc_msg_strs(cc->virtualchannelnames,
                                                cc->n_virtualchannelnames,
                                                strs);
    (void) ngx_http_milvus_cdc_msg_strs(cc->physicalchannelnames,
                                        cc->n_physicalchannelnames,
                                        m->pchannels);

    return NGX_OK;
}


/* msgpb.CreatePartitionRequest, msgpb.DropPartitionRequest */

static ngx_int_t
ngx_http_milvus_cdc_msg_partition(ngx_http_milvus_cdc_msg_t *m, u_char *data,
    size_t len)
{
    Milvus__Proto__Msg__DropPartitionRequest    *dp;
    Milvus__Proto__Msg__CreatePartitionRequest  *cp;

    if (m->hdr.type == NGX_HTTP_MILVUS_CDC_MSG_DROP_PARTITION) {
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
    }

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
        return ngx_http_milvus_cdc_pb_pack(m->pb, out, log);
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

    rc = ngx_http_milvus_cdc_pb_pack(m->pb, out, log);

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

    return ngx_http_milvus_cdc_pb_pack(&tt.base, out, log);
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


/*
 * The primary keys of an InsertRequest (msg.proto fields_data 13:
 * schema.FieldData {field_id 5, scalars 3: ScalarField {long_data 3:
 * LongArray {data 1}, string_data 6: StringArray {data 1}}}), scanned
 * without decoding the rows: keys gets the bytes of the LongArray or
 * StringArray, varchar 1 for a StringArray.  NGX_OK, or NGX_ERROR when
 * there is no such column or the bytes are no protobuf.
 */

static ngx_int_t
ngx_http_milvus_cdc_msg_pks(ngx_str_t *insert, int64_t pk_field_id,
    ngx_str_t *keys, ngx_uint_t *varchar)
{
    u_char                          *p, *q, *r;
    uint64_t                         fid;
    ngx_int_t                        rc;
    ngx_str_t                        fd, scalars;
    ngx_http_milvus_cdc_pb_field_t   f;

    p = insert->data;

    for ( ;; ) {
        if (ngx_http_milvus_cdc_pb_next(&p, insert->data + insert->len, &f)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        if (f.number != 13 || f.wire != NGX_HTTP_MILVUS_CDC_PB_BYTES) {
            continue;
        }

        fd = f.bytes;
        fid = (uint64_t) -1;
        ngx_str_null(&scalars);

        for (q = fd.data; ; ) {
            rc = ngx_http_milvus_cdc_pb_next(&q, fd.data + fd.len, &f);
            if (rc == NGX_DONE) {
                break;
            }

            if (rc != NGX_OK) {
                return NGX_ERROR;
            }

            if (f.number == 5 && f.wire == NGX_HTTP_MILVUS_CDC_PB_VARINT) {
                fid = f.value;

            } else if (f.number == 3 && f.wire == NGX_HTTP_MILVUS_CDC_PB_BYTES)
            {
                scalars = f.bytes;
            }
        }

        if ((int64_t) fid != pk_field_id || scalars.data == NULL) {
            continue;
        }

        for (r = scalars.data; ; ) {
            if (ngx_http_milvus_cdc_pb_next(&r, scalars.data + scalars.len, &f)
                != NGX_OK)
            {
                return NGX_ERROR;
            }

            if ((f.number == 3 || f.number == 6)
                && f.wire == NGX_HTTP_MILVUS_CDC_PB_BYTES)
            {
                *keys = f.bytes;
                *varchar = (f.number == 6);
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
    size_t                          i;
    ngx_int_t                       rc;
    ngx_str_t                       keys;
    ngx_http_milvus_cdc_msg_keys_t  k;

    ngx_memzero(&k, sizeof(ngx_http_milvus_cdc_msg_keys_t));

    if (ngx_http_milvus_cdc_msg_pks(insert, pk_field_id, &keys, &k.varchar)
        != NGX_OK
        || ngx_http_milvus_cdc_msg_keys_count(&keys, k.varchar, &k.nalloc)
           != NGX_OK
        || k.nalloc == 0)
    {
        return NGX_DECLINED;
    }

    k.ids = ngx_alloc(k.nalloc * sizeof(int64_t), log);
    k.strs = ngx_calloc(k.nalloc * sizeof(char *), log);
    k.tss = ngx_alloc(k.nalloc * sizeof(uint64_t), log);

    if (k.ids == NULL || k.strs == NULL || k.tss == NULL) {
        rc = NGX_ERROR;
        goto done;
    }

    rc = ngx_http_milvus_cdc_msg_keys_copy(&keys, &k, log);
    if (rc != NGX_OK) {
        goto done;
    }

    for (i = 0; i < k.n; i++) {
        k.tss[i] = ts;
    }

    rc = ngx_http_milvus_cdc_msg_keys_delete(&k, m, shard, ts, msg_id, out,
                                             log);

done:

    ngx_http_milvus_cdc_msg_keys_free(&k);

    return rc;
}


/*
 * The number of keys in a LongArray {data 1} (packed varints, or one
 * varint a field) or a StringArray {data 1} (one string a field).
 * NGX_OK, or NGX_DECLINED for another field or bytes that are no protobuf.
 */

static ngx_int_t
ngx_http_milvus_cdc_msg_keys_count(ngx_str_t *keys, ngx_uint_t varchar,
    size_t *n)
{
    u_char                          *p, *last;
    size_t                           i;
    ngx_int_t                        rc;
    ngx_http_milvus_cdc_pb_field_t   f;

    *n = 0;
    p = keys->data;
    last = keys->data + keys->len;

    for ( ;; ) {
        rc = ngx_http_milvus_cdc_pb_next(&p, last, &f);
        if (rc == NGX_DONE) {
            return NGX_OK;
        }

        if (rc != NGX_OK || f.number != 1) {
            return NGX_DECLINED;
        }

        if (f.wire == NGX_HTTP_MILVUS_CDC_PB_BYTES && !varchar) {

            /* packed: one key per last byte of a varint */

            for (i = 0; i < f.bytes.len; i++) {
                *n += !(f.bytes.data[i] & 0x80);
            }

        } else {
            (*n)++;
        }
    }
}


/*
 * Copies at most k->nalloc keys into k->ids or k->strs (ngx_alloc()ed
 * strings), k->n tells how many.  NGX_OK, or NGX_ERROR (no memory).
 */

static ngx_int_t
ngx_http_milvus_cdc_msg_keys_copy(ngx_str_t *keys,
    ngx_http_milvus_cdc_msg_keys_t *k, ngx_log_t *log)
{
    u_char                          *p, *q, *last;
    uint64_t                         v;
    ngx_http_milvus_cdc_pb_field_t   f;

    p = keys->data;
    last = keys->data + keys->len;

    while (k->n < k->nalloc
           && ngx_http_milvus_cdc_pb_next(&p, last, &f) == NGX_OK)
    {
        if (k->varchar) {
            k->strs[k->n] = ngx_alloc(f.bytes.len + 1, log);
            if (k->strs[k->n] == NULL) {
                return NGX_ERROR;
            }

            ngx_memcpy(k->strs[k->n], f.bytes.data, f.bytes.len);
            k->strs[k->n++][f.bytes.len] = '\0';

        } else if (f.wire == NGX_HTTP_MILVUS_CDC_PB_BYTES) {
            q = f.bytes.data;

            while (k->n < k->nalloc && q < f.bytes.data + f.bytes.len) {
                if (ngx_http_milvus_cdc_pb_varint(&q,
                                                  f.bytes.data + f.bytes.len,
                                                  &v)
                    != NGX_OK)
                {
                    break;
                }

                k->ids[k->n++] = (int64_t) v;
            }

        } else {
            k->ids[k->n++] = (int64_t) f.value;
        }
    }

    return NGX_OK;
}


/*
 * Packs the msgpb.DeleteRequest of the keys k into out (see
 * ngx_http_milvus_cdc_msg_insert_delete()).
 */

static ngx_int_t
ngx_http_milvus_cdc_msg_keys_delete(ngx_http_milvus_cdc_msg_keys_t *k,
    ngx_http_milvus_cdc_msg_t *m, ngx_str_t *shard, uint64_t ts,
    int64_t msg_id, ngx_str_t *out, ngx_log_t *log)
{
    u_char                             *vchannel;
    ngx_int_t                           rc;
    Milvus__Proto__Msg__DeleteRequest   del =
        MILVUS__PROTO__MSG__DELETE_REQUEST__INIT;
    Milvus__Proto__Common__MsgBase      base =
        MILVUS__PROTO__COMMON__MSG_BASE__INIT;
    Milvus__Proto__Schema__IDs          pks = MILVUS__PROTO__SCHEMA__IDS__INIT;
    Milvus__Proto__Schema__LongArray    la =
        MILVUS__PROTO__SCHEMA__LONG_ARRAY__INIT;
    Milvus__Proto__Schema__StringArray  sa =
        MILVUS__PROTO__SCHEMA__STRING_ARRAY__INIT;

    vchannel = ngx_alloc(shard->len + 1, log);
    if (vchannel == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(vchannel, shard->data, shard->len);
    vchannel[shard->len] = '\0';

    base.msg_type = NGX_HTTP_MILVUS_CDC_MSG_DELETE;
    base.msgid = msg_id;
    base.timestamp = ts;
    base.sourceid = NGX_HTTP_MILVUS_CDC_MSG_SOURCE_ID;

    if (k->varchar) {
        sa.n_data = k->n;
        sa.data = k->strs;
        pks.id_field_case = MILVUS__PROTO__SCHEMA__IDS__ID_FIELD_STR_ID;
        pks.str_id = &sa;

    } else {
        la.n_data = k->n;
        la.data = k->ids;
        pks.id_field_case = MILVUS__PROTO__SCHEMA__IDS__ID_FIELD_INT_ID;
        pks.int_id = &la;
    }

    del.msg_base = &base;
    del.shardname = (char *) vchannel;
    del.collection_name = (char *) m->collection_name.data;
    del.collectionid = m->collection_id;
    del.partitionid = -1;
    del.n_timestamps = k->n;
    del.timestamps = k->tss;
    del.num_rows = (int64_t) k->n;
    del.primary_keys = &pks;

    rc = ngx_http_milvus_cdc_pb_pack(&del.base, out, log);

    ngx_free(vchannel);

    return rc;
}


static void
ngx_http_milvus_cdc_msg_keys_free(ngx_http_milvus_cdc_msg_keys_t *k)
{
    size_t  i;

    if (k->strs) {
        for (i = 0; i < k->nalloc; i++) {
            if (k->strs[i]) {
                ngx_free(k->strs[i]);
            }
        }

        ngx_free(k->strs);
    }

    if (k->ids) {
        ngx_free(k->ids);
    }

    if (k->tss) {
        ngx_free(k->tss);
    }
}
