
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 *
 * The keys of a refresh decoded (tombstones skipped), then the snapshot
 * built from them: databases, collections with their partitions and
 * fields, the schema a target's CreateCollection accepts.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

#include "ngx_http_milvus_cdc_meta_int.h"


static ngx_int_t ngx_http_milvus_cdc_meta_parse_ids(u_char *p, size_t len,
    int64_t *ids, ngx_uint_t n);
static ngx_int_t ngx_http_milvus_cdc_meta_collection_build(
    ngx_http_milvus_cdc_meta_t *meta, ngx_http_milvus_cdc_meta_wcoll_t *wc,
    ngx_http_milvus_cdc_meta_collection_t *c,
    ngx_http_milvus_cdc_meta_wchild_t **part,
    ngx_http_milvus_cdc_meta_wchild_t *part_end,
    ngx_http_milvus_cdc_meta_wchild_t **field,
    ngx_http_milvus_cdc_meta_wchild_t *field_end);
static ngx_int_t ngx_http_milvus_cdc_meta_start_positions(ngx_pool_t *pool,
    ngx_http_milvus_cdc_meta_collection_t *c,
    Milvus__Proto__Etcd__CollectionInfo *info);
static ngx_int_t ngx_http_milvus_cdc_meta_partitions(
    ngx_http_milvus_cdc_meta_t *meta, ngx_http_milvus_cdc_meta_collection_t *c,
    Milvus__Proto__Etcd__CollectionInfo *info,
    ngx_http_milvus_cdc_meta_wchild_t **part,
    ngx_http_milvus_cdc_meta_wchild_t *part_end);
static ngx_int_t ngx_http_milvus_cdc_meta_fields(
    ngx_http_milvus_cdc_meta_t *meta, ngx_http_milvus_cdc_meta_collection_t *c,
    Milvus__Proto__Schema__CollectionSchema *schema,
    ngx_http_milvus_cdc_meta_wchild_t **field,
    ngx_http_milvus_cdc_meta_wchild_t *field_end);
static ngx_int_t ngx_http_milvus_cdc_meta_partition_add(ngx_pool_t *pool,
    ngx_http_milvus_cdc_meta_collection_t *c, int64_t id, const char *name,
    ngx_uint_t state, uint64_t ts);
static ngx_int_t ngx_http_milvus_cdc_meta_strdup(ngx_pool_t *pool,
    ngx_str_t *dst, const char *src);
static ngx_int_t ngx_http_milvus_cdc_meta_strs(ngx_pool_t *pool,
    ngx_array_t *a, char **src, size_t n);
static ngx_int_t ngx_http_milvus_cdc_meta_kvs(ngx_pool_t *pool,
    ngx_array_t *a, Milvus__Proto__Common__KeyValuePair **src, size_t n);
static int ngx_libc_cdecl ngx_http_milvus_cdc_meta_cmp_db(const void *one,
    const void *two);
static int ngx_libc_cdecl ngx_http_milvus_cdc_meta_cmp_coll(const void *one,
    const void *two);
static int ngx_libc_cdecl ngx_http_milvus_cdc_meta_cmp_child(const void *one,
    const void *two);
static int ngx_libc_cdecl ngx_http_milvus_cdc_meta_cmp_part(const void *one,
    const void *two);


/*
 * One key: tombstones are counted and skipped, the value is decoded in
 * the work pool; keys or values that cannot be understood are logged and
 * skipped.  NGX_ERROR only on allocation failure.
 */

ngx_int_t
ngx_http_milvus_cdc_meta_kv(ngx_http_milvus_cdc_meta_t *meta,
    Mvccpb__KeyValue *kv)
{
    u_char                             *rel;
    size_t                              len, skip;
    int64_t                             ids[2];
    ngx_str_t                          *section;
    ngx_uint_t                          nids;
    Milvus__Proto__Etcd__DatabaseInfo  *db, **dbp;
    ngx_http_milvus_cdc_meta_wcoll_t   *wc;
    ngx_http_milvus_cdc_meta_wchild_t  *wch;

    section = &ngx_http_milvus_cdc_meta_sections[meta->section];
    skip = meta->prefix.len + section->len;

    if (kv->key.len <= skip) {
        goto invalid;
    }

    rel = kv->key.data + skip;
    len = kv->key.len - skip;

    if (kv->value.len == sizeof(NGX_HTTP_MILVUS_CDC_META_TOMBSTONE) - 1
        && ngx_memcmp(kv->value.data, NGX_HTTP_MILVUS_CDC_META_TOMBSTONE,
                      kv->value.len) == 0)
    {
        meta->snap->tombstones++;
        return NGX_OK;
    }

    if (meta->section >= NGX_HTTP_MILVUS_CDC_META_ALIASES) {
        return ngx_http_milvus_cdc_meta_alias_kv(meta, rel, len, kv);
    }

    nids = (meta->section == NGX_HTTP_MILVUS_CDC_META_DBS
            || meta->section == NGX_HTTP_MILVUS_CDC_META_LEGACY) ? 1 : 2;

    if (ngx_http_milvus_cdc_meta_parse_ids(rel, len, ids, nids) != NGX_OK) {
        goto invalid;
    }

    switch (meta->section) {

    case NGX_HTTP_MILVUS_CDC_META_DBS:

        db = milvus__proto__etcd__database_info__unpack(&meta->allocator,
                                                        kv->value.len,
                                                        kv->value.data);
        if (db == NULL) {
            goto invalid;
        }

        if (db->id == 0) {
            db->id = ids[0];
        }

        dbp = ngx_array_push(&meta->dbs);
        if (dbp == NULL) {
            return NGX_ERROR;
        }

        *dbp = db;
        break;

    case NGX_HTTP_MILVUS_CDC_META_COLLS:
    case NGX_HTTP_MILVUS_CDC_META_LEGACY:

        wc = ngx_array_push(&meta->colls);
        if (wc == NULL) {
            return NGX_ERROR;
        }

        wc->info = milvus__proto__etcd__collection_info__unpack(
                            &meta->allocator, kv->value.len, kv->value.data);
        if (wc->info == NULL) {
            meta->colls.nelts--;
            goto invalid;
        }

        if (meta->section == NGX_HTTP_MILVUS_CDC_META_LEGACY) {
            wc->id = ids[0];
            wc->db_id = wc->info->db_id;

            if (wc->db_id == 0) {
                wc->db_id = NGX_HTTP_MILVUS_CDC_META_DEFAULT_DB_ID;
            }
            wc->legacy = 1;

        } else {
            wc->id = ids[1];
            wc->db_id = ids[0];
            wc->legacy = 0;
        }

        break;

    default: /* partitions/ and fields/ */

        wch = ngx_array_push(meta->section == NGX_HTTP_MILVUS_CDC_META_PARTS
                             ? &meta->parts : &meta->fields);
        if (wch == NULL) {
            return NGX_ERROR;
        }

        wch->coll_id = ids[0];
        wch->id = ids[1];

        if (meta->section == NGX_HTTP_MILVUS_CDC_META_PARTS) {
            wch->msg = milvus__proto__etcd__partition_info__unpack(
                            &meta->allocator, kv->value.len, kv->value.data);
            if (wch->msg == NULL) {
                meta->parts.nelts--;
                goto invalid;
            }

        } else {
            wch->msg = milvus__proto__schema__field_schema__unpack(
                            &meta->allocator, kv->value.len, kv->value.data);
            if (wch->msg == NULL) {
                meta->fields.nelts--;
                goto invalid;
            }
        }

        break;
    }

    return NGX_OK;

invalid:

    ngx_http_milvus_cdc_meta_skip(meta, kv);

    return NGX_OK;
}


/* a key that cannot be understood: logged, counted, skipped */

void
ngx_http_milvus_cdc_meta_skip(ngx_http_milvus_cdc_meta_t *meta,
    Mvccpb__KeyValue *kv)
{
    ngx_log_error(NGX_LOG_WARN, meta->log, 0,
                  "milvus_cdc: source metadata: key \"%*s\" skipped, "
                  "unexpected key or value (%uz bytes)",
                  kv->key.len, kv->key.data, kv->value.len);

    meta->snap->skipped++;
}


/* "<id>" or "<id>/<id>", decimal, non-negative */

static ngx_int_t
ngx_http_milvus_cdc_meta_parse_ids(u_char *p, size_t len, int64_t *ids,
    ngx_uint_t n)
{
    u_char      *last, *slash;
    off_t        v;
    ngx_uint_t   i;

    last = p + len;

    for (i = 0; i < n; i++) {

        slash = (i + 1 < n) ? ngx_strlchr(p, last, '/') : last;

        if (slash == NULL || slash == p) {
            return NGX_ERROR;
        }

        v = ngx_atoof(p, slash - p);
        if (v == NGX_ERROR) {
            return NGX_ERROR;
        }

        ids[i] = (int64_t) v;
        p = slash + 1;
    }

    return NGX_OK;
}


/* all sections read: the snapshot in its own pool, then the handler */

ngx_int_t
ngx_http_milvus_cdc_meta_finish(ngx_http_milvus_cdc_meta_t *meta)
{
    void                                   *data;
    ngx_uint_t                              i;
    ngx_pool_t                             *pool;
    Milvus__Proto__Etcd__DatabaseInfo     **dbs;
    ngx_http_milvus_cdc_meta_wcoll_t       *wc;
    ngx_http_milvus_cdc_meta_wchild_t      *part, *part_end, *field, *field_end;
    ngx_http_milvus_cdc_meta_database_t    *db;
    ngx_http_milvus_cdc_meta_snapshot_t    *snap;
    ngx_http_milvus_cdc_meta_collection_t  *c;
    ngx_http_milvus_cdc_meta_handler_pt     handler;

    snap = meta->snap;
    pool = snap->pool;

    /* databases */

    dbs = meta->dbs.elts;

    ngx_qsort(dbs, meta->dbs.nelts, sizeof(void *),
              ngx_http_milvus_cdc_meta_cmp_db);

    if (ngx_array_init(&snap->databases, pool, meta->dbs.nelts + 1,
                       sizeof(ngx_http_milvus_cdc_meta_database_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    for (i = 0; i < meta->dbs.nelts; i++) {
        db = ngx_array_push(&snap->databases);
        if (db == NULL) {
            return NGX_ERROR;
        }

        db->id = dbs[i]->id;
        db->state = dbs[i]->state;
        db->created_time = dbs[i]->created_time;

        if (ngx_http_milvus_cdc_meta_strdup(pool, &db->name, dbs[i]->name)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    /* collections, with their partitions and fields, by id */

    ngx_qsort(meta->colls.elts, meta->colls.nelts,
              sizeof(ngx_http_milvus_cdc_meta_wcoll_t),
              ngx_http_milvus_cdc_meta_cmp_coll);
    ngx_qsort(meta->parts.elts, meta->parts.nelts,
              sizeof(ngx_http_milvus_cdc_meta_wchild_t),
              ngx_http_milvus_cdc_meta_cmp_child);
    ngx_qsort(meta->fields.elts, meta->fields.nelts,
              sizeof(ngx_http_milvus_cdc_meta_wchild_t),
              ngx_http_milvus_cdc_meta_cmp_child);

    if (ngx_array_init(&snap->collections, pool, meta->colls.nelts + 1,
                       sizeof(ngx_http_milvus_cdc_meta_collection_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    wc = meta->colls.elts;
    part = meta->parts.elts;
    part_end = part + meta->parts.nelts;
    field = meta->fields.elts;
    field_end = field + meta->fields.nelts;

    for (i = 0; i < meta->colls.nelts; i++) {

        if (i > 0 && wc[i].id == wc[i - 1].id) {
            /* the same id under both layouts: the newer key was taken */
            snap->skipped++;
            continue;
        }

        c = ngx_array_push(&snap->collections);
        if (c == NULL) {
            return NGX_ERROR;
        }

        if (ngx_http_milvus_cdc_meta_collection_build(meta, &wc[i], c, &part,
                                                      part_end, &field,
                                                      field_end)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    /* partitions and fields of collections not (or no longer) present */

    for ( /* void */ ; part < part_end; part++) {
        snap->skipped++;
    }

    for ( /* void */ ; field < field_end; field++) {
        snap->skipped++;
    }

    if (ngx_http_milvus_cdc_meta_aliases_build(meta) != NGX_OK) {
        return NGX_ERROR;
    }

    snap->elapsed = ngx_current_msec - meta->start;

    ngx_log_debug6(NGX_LOG_DEBUG_CORE, meta->log, 0,
                   "milvus_cdc meta snapshot rev %L: %ui databases, "
                   "%ui collections, %ui tombstones, %ui skipped, %M ms",
                   snap->revision, snap->databases.nelts,
                   snap->collections.nelts, snap->tombstones, snap->skipped,
                   snap->elapsed);

    /* hand over: the snapshot now belongs to the handler */

    meta->snap = NULL;
    ngx_http_milvus_cdc_meta_reset(meta);

    handler = meta->handler;
    data = meta->data;
    meta->handler = NULL;
    meta->data = NULL;

    handler(snap, NULL, data);

    return NGX_OK;
}


static ngx_int_t
ngx_http_milvus_cdc_meta_collection_build(ngx_http_milvus_cdc_meta_t *meta,
    ngx_http_milvus_cdc_meta_wcoll_t *wc,
    ngx_http_milvus_cdc_meta_collection_t *c,
    ngx_http_milvus_cdc_meta_wchild_t **part,
    ngx_http_milvus_cdc_meta_wchild_t *part_end,
    ngx_http_milvus_cdc_meta_wchild_t **field,
    ngx_http_milvus_cdc_meta_wchild_t *field_end)
{
    ngx_pool_t                              *pool;
    Milvus__Proto__Etcd__CollectionInfo     *info;
    Milvus__Proto__Schema__CollectionSchema *schema;
    Milvus__Proto__Schema__CollectionSchema  empty =
                                MILVUS__PROTO__SCHEMA__COLLECTION_SCHEMA__INIT;
    ngx_http_milvus_cdc_meta_database_t     *db;

    pool = meta->snap->pool;
    info = wc->info;
    schema = info->schema ? info->schema : &empty;

    ngx_memzero(c, sizeof(ngx_http_milvus_cdc_meta_collection_t));

    c->id = wc->id;
    c->db_id = wc->db_id;
    c->state = info->state;
    c->shards_num = info->shards_num;
    c->create_time = info->create_time;
    c->consistency_level = info->consistency_level;
    c->dynamic = schema->enable_dynamic_field ? 1 : 0;
    c->legacy = wc->legacy;

    db = ngx_http_milvus_cdc_meta_database(meta->snap, c->db_id);

    if (db) {
        c->db_name = db->name;

    } else if (c->db_id == NGX_HTTP_MILVUS_CDC_META_DEFAULT_DB_ID) {
        ngx_str_set(&c->db_name, NGX_HTTP_MILVUS_CDC_META_DEFAULT_DB);
    }

    if (ngx_http_milvus_cdc_meta_strdup(pool, &c->name, schema->name)
           != NGX_OK
        || ngx_http_milvus_cdc_meta_strdup(pool, &c->description,
                                           schema->description)
           != NGX_OK
        || ngx_http_milvus_cdc_meta_kvs(pool, &c->properties,
                                        info->properties, info->n_properties)
           != NGX_OK
        || ngx_http_milvus_cdc_meta_strs(pool, &c->vchannels,
                                         info->virtual_channel_names,
                                         info->n_virtual_channel_names)
           != NGX_OK
        || ngx_http_milvus_cdc_meta_strs(pool, &c->pchannels,
                                         info->physical_channel_names,
                                         info->n_physical_channel_names)
           != NGX_OK
        || ngx_http_milvus_cdc_meta_start_positions(pool, c, info) != NGX_OK
        || ngx_http_milvus_cdc_meta_partitions(meta, c, info, part, part_end)
           != NGX_OK
        || ngx_http_milvus_cdc_meta_fields(meta, c, schema, field, field_end)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* start_positions: pchannel -> msgID bytes */

static ngx_int_t
ngx_http_milvus_cdc_meta_start_positions(ngx_pool_t *pool,
    ngx_http_milvus_cdc_meta_collection_t *c,
    Milvus__Proto__Etcd__CollectionInfo *info)
{
    size_t         i;
    ngx_keyval_t  *kv;

    if (ngx_array_init(&c->start_positions, pool,
                       info->n_start_positions + 1, sizeof(ngx_keyval_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    for (i = 0; i < info->n_start_positions; i++) {
        kv = ngx_array_push(&c->start_positions);
        if (kv == NULL) {
            return NGX_ERROR;
        }

        if (ngx_http_milvus_cdc_meta_strdup(pool, &kv->key,
                                            info->start_positions[i]->key)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        kv->value.len = info->start_positions[i]->data.len;
        kv->value.data = ngx_pnalloc(pool, kv->value.len + 1);
        if (kv->value.data == NULL) {
            return NGX_ERROR;
        }

        ngx_memcpy(kv->value.data, info->start_positions[i]->data.data,
                   kv->value.len);
    }

    return NGX_OK;
}


/*
 * partitions: the partitions/<id>/... keys of c (*part moves past them),
 * or the pre-2.2 lists embedded in CollectionInfo; by id
 */

static ngx_int_t
ngx_http_milvus_cdc_meta_partitions(ngx_http_milvus_cdc_meta_t *meta,
    ngx_http_milvus_cdc_meta_collection_t *c,
    Milvus__Proto__Etcd__CollectionInfo *info,
    ngx_http_milvus_cdc_meta_wchild_t **part,
    ngx_http_milvus_cdc_meta_wchild_t *part_end)
{
    size_t                               i;
    ngx_pool_t                          *pool;
    Milvus__Proto__Etcd__PartitionInfo  *pi;

    pool = meta->snap->pool;

    if (ngx_array_init(&c->partitions, pool, 4,
                       sizeof(ngx_http_milvus_cdc_meta_partition_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    while (*part < part_end && (*part)->coll_id < c->id) {
        meta->snap->skipped++;
        (*part)++;
    }

    for ( /* void */ ; *part < part_end && (*part)->coll_id == c->id;
         (*part)++)
    {
        pi = (*part)->msg;

        if (ngx_http_milvus_cdc_meta_partition_add(pool, c, (*part)->id,
                                    pi->partitionname, pi->state,
                                    pi->partition_created_timestamp)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    if (c->partitions.nelts == 0) {
        for (i = 0; i < info->n_partitionids; i++) {
            if (ngx_http_milvus_cdc_meta_partition_add(pool, c,
                    info->partitionids[i],
                    i < info->n_partitionnames ? info->partitionnames[i] : "",
                    NGX_HTTP_MILVUS_CDC_META_CREATED,
                    i < info->n_partition_created_timestamps
                    ? info->partition_created_timestamps[i] : 0)
                != NGX_OK)
            {
                return NGX_ERROR;
            }
        }
    }

    ngx_qsort(c->partitions.elts, c->partitions.nelts,
              sizeof(ngx_http_milvus_cdc_meta_partition_t),
              ngx_http_milvus_cdc_meta_cmp_part);

    return NGX_OK;
}


/*
 * fields: the fields/<id>/... keys of c (*field moves past them), or the
 * pre-2.2 ones embedded in the schema; then c->schema, the schema packed
 * with the user fields but "$meta"
 */

static ngx_int_t
ngx_http_milvus_cdc_meta_fields(ngx_http_milvus_cdc_meta_t *meta,
    ngx_http_milvus_cdc_meta_collection_t *c,
    Milvus__Proto__Schema__CollectionSchema *schema,
    ngx_http_milvus_cdc_meta_wchild_t **field,
    ngx_http_milvus_cdc_meta_wchild_t *field_end)
{
    size_t                               i, n, nkeep;
    ngx_pool_t                          *pool;
    Milvus__Proto__Schema__FieldSchema  *fs, **keep;
    ngx_http_milvus_cdc_meta_field_t    *f;
    ngx_http_milvus_cdc_meta_wchild_t   *wf;

    pool = meta->snap->pool;

    while (*field < field_end && (*field)->coll_id < c->id) {
        meta->snap->skipped++;
        (*field)++;
    }

    wf = NULL;
    n = 0;

    if (*field < field_end && (*field)->coll_id == c->id) {
        wf = *field;

        while (*field < field_end && (*field)->coll_id == c->id) {
            (*field)++;
            n++;
        }

    } else {
        n = schema->n_fields;
    }

    keep = ngx_palloc(meta->work, (n + 1) * sizeof(void *));
    if (keep == NULL) {
        return NGX_ERROR;
    }

    if (ngx_array_init(&c->fields, pool, n + 1,
                       sizeof(ngx_http_milvus_cdc_meta_field_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    nkeep = 0;

    for (i = 0; i < n; i++) {

        fs = wf ? wf[i].msg : schema->fields[i];

        if (fs->fieldid < NGX_HTTP_MILVUS_CDC_META_FIRST_FIELD) {
            continue;
        }

        f = ngx_array_push(&c->fields);
        if (f == NULL) {
            return NGX_ERROR;
        }

        f->id = fs->fieldid;
        f->data_type = fs->data_type;
        f->primary = fs->is_primary_key ? 1 : 0;
        f->auto_id = fs->autoid ? 1 : 0;
        f->dynamic = fs->is_dynamic ? 1 : 0;
        f->partition_key = fs->is_partition_key ? 1 : 0;

        if (ngx_http_milvus_cdc_meta_strdup(pool, &f->name, fs->name)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        if (f->primary && f->auto_id) {
            c->auto_id = 1;
        }

        if (f->partition_key) {
            c->partition_key = 1;
        }

        if (f->dynamic) {
            /* the target adds "$meta" itself (enable_dynamic_field) */
            continue;
        }

        keep[nkeep++] = fs;
    }

    /* fields/ keys sorted by id here; embedded ones in rootcoord's order */

    schema->n_fields = nkeep;
    schema->fields = keep;

    c->schema.len = milvus__proto__schema__collection_schema__get_packed_size(
                                                                      schema);
    c->schema.data = ngx_pnalloc(pool, c->schema.len + 1);
    if (c->schema.data == NULL) {
        return NGX_ERROR;
    }

    milvus__proto__schema__collection_schema__pack(schema, c->schema.data);

    return NGX_OK;
}


static ngx_int_t
ngx_http_milvus_cdc_meta_partition_add(ngx_pool_t *pool,
    ngx_http_milvus_cdc_meta_collection_t *c, int64_t id, const char *name,
    ngx_uint_t state, uint64_t ts)
{
    ngx_http_milvus_cdc_meta_partition_t  *p;

    p = ngx_array_push(&c->partitions);
    if (p == NULL) {
        return NGX_ERROR;
    }

    p->id = id;
    p->state = state;
    p->created_ts = ts;

    return ngx_http_milvus_cdc_meta_strdup(pool, &p->name, name);
}


/* copies a protobuf-c string; the copy is also NUL-terminated */

static ngx_int_t
ngx_http_milvus_cdc_meta_strdup(ngx_pool_t *pool, ngx_str_t *dst,
    const char *src)
{
    size_t  len;

    len = src ? ngx_strlen(src) : 0;

    dst->data = ngx_pnalloc(pool, len + 1);
    if (dst->data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(dst->data, src, len);
    dst->data[len] = '\0';
    dst->len = len;

    return NGX_OK;
}


static ngx_int_t
ngx_http_milvus_cdc_meta_strs(ngx_pool_t *pool, ngx_array_t *a, char **src,
    size_t n)
{
    size_t      i;
    ngx_str_t  *s;

    if (ngx_array_init(a, pool, n + 1, sizeof(ngx_str_t)) != NGX_OK) {
        return NGX_ERROR;
    }

    for (i = 0; i < n; i++) {
        s = ngx_array_push(a);
        if (s == NULL
            || ngx_http_milvus_cdc_meta_strdup(pool, s, src[i]) != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_milvus_cdc_meta_kvs(ngx_pool_t *pool, ngx_array_t *a,
    Milvus__Proto__Common__KeyValuePair **src, size_t n)
{
    size_t         i;
    ngx_keyval_t  *kv;

    if (ngx_array_init(a, pool, n + 1, sizeof(ngx_keyval_t)) != NGX_OK) {
        return NGX_ERROR;
    }

    for (i = 0; i < n; i++) {
        kv = ngx_array_push(a);
        if (kv == NULL
            || ngx_http_milvus_cdc_meta_strdup(pool, &kv->key, src[i]->key)
               != NGX_OK
            || ngx_http_milvus_cdc_meta_strdup(pool, &kv->value,
                                               src[i]->value)
               != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static int ngx_libc_cdecl
ngx_http_milvus_cdc_meta_cmp_db(const void *one, const void *two)
{
    const Milvus__Proto__Etcd__DatabaseInfo  *a, *b;

    a = *(Milvus__Proto__Etcd__DatabaseInfo **) one;
    b = *(Milvus__Proto__Etcd__DatabaseInfo **) two;

    return (a->id > b->id) - (a->id < b->id);
}


/* by id; for the same id the database/ key before the legacy one */

static int ngx_libc_cdecl
ngx_http_milvus_cdc_meta_cmp_coll(const void *one, const void *two)
{
    const ngx_http_milvus_cdc_meta_wcoll_t  *a = one, *b = two;

    if (a->id != b->id) {
        return (a->id > b->id) - (a->id < b->id);
    }

    return (int) a->legacy - (int) b->legacy;
}


static int ngx_libc_cdecl
ngx_http_milvus_cdc_meta_cmp_child(const void *one, const void *two)
{
    const ngx_http_milvus_cdc_meta_wchild_t  *a = one, *b = two;

    if (a->coll_id != b->coll_id) {
        return (a->coll_id > b->coll_id) - (a->coll_id < b->coll_id);
    }

    return (a->id > b->id) - (a->id < b->id);
}


static int ngx_libc_cdecl
ngx_http_milvus_cdc_meta_cmp_part(const void *one, const void *two)
{
    const ngx_http_milvus_cdc_meta_partition_t  *a = one, *b = two;

    return (a->id > b->id) - (a->id < b->id);
}
