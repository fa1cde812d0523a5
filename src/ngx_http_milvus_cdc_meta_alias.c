
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 *
 * The alias keys of a refresh: database/aliases/<dbID>/<alias> and the
 * legacy aliases/<alias> (etcd.AliasInfo, proto/milvus_cdc_etcd_meta.proto)
 * decoded, then the snapshot's aliases built from them, by db id and
 * name.  Tombstones were skipped before (ngx_http_milvus_cdc_meta_kv()).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

#include "ngx_http_milvus_cdc_meta_int.h"


static int ngx_libc_cdecl ngx_http_milvus_cdc_meta_cmp_alias(const void *one,
    const void *two);


/*
 * One alias key, rel/len the key after its section's root: "<dbID>/<alias>"
 * or "<alias>".  Keys or values that cannot be understood are logged and
 * skipped.  NGX_ERROR only on allocation failure.
 */

ngx_int_t
ngx_http_milvus_cdc_meta_alias_kv(ngx_http_milvus_cdc_meta_t *meta,
    u_char *rel, size_t len, Mvccpb__KeyValue *kv)
{
    u_char                             *slash, *last;
    off_t                               id;
    ngx_http_milvus_cdc_meta_walias_t  *wa;

    last = rel + len;

    wa = ngx_array_push(&meta->aliases);
    if (wa == NULL) {
        return NGX_ERROR;
    }

    ngx_memzero(wa, sizeof(ngx_http_milvus_cdc_meta_walias_t));

    if (meta->section == NGX_HTTP_MILVUS_CDC_META_ALIASES) {
        slash = ngx_strlchr(rel, last, '/');

        if (slash == NULL || slash == rel || slash + 1 == last) {
            goto invalid;
        }

        id = ngx_atoof(rel, slash - rel);
        if (id == NGX_ERROR) {
            goto invalid;
        }

        wa->db_id = (int64_t) id;
        rel = slash + 1;

    } else {
        wa->legacy = 1;
    }

    wa->key_name.data = rel;
    wa->key_name.len = last - rel;

    wa->info = milvus__proto__etcd__alias_info__unpack(&meta->allocator,
                                                       kv->value.len,
                                                       kv->value.data);
    if (wa->info == NULL) {
        goto invalid;
    }

    if (wa->legacy) {
        wa->db_id = wa->info->db_id ? wa->info->db_id
                                    : NGX_HTTP_MILVUS_CDC_META_DEFAULT_DB_ID;
    }

    return NGX_OK;

invalid:

    meta->aliases.nelts--;

    ngx_http_milvus_cdc_meta_skip(meta, kv);

    return NGX_OK;
}


/* the snapshot's aliases, in its pool; databases are already built */

ngx_int_t
ngx_http_milvus_cdc_meta_aliases_build(ngx_http_milvus_cdc_meta_t *meta)
{
    size_t                                len;
    ngx_uint_t                            i;
    ngx_pool_t                           *pool;
    ngx_http_milvus_cdc_meta_alias_t     *a, *prev;
    ngx_http_milvus_cdc_meta_walias_t    *wa;
    ngx_http_milvus_cdc_meta_database_t  *db;
    ngx_http_milvus_cdc_meta_snapshot_t  *snap;

    snap = meta->snap;
    pool = snap->pool;

    if (ngx_array_init(&snap->aliases, pool, meta->aliases.nelts + 1,
                       sizeof(ngx_http_milvus_cdc_meta_alias_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    wa = meta->aliases.elts;

    for (i = 0; i < meta->aliases.nelts; i++) {
        a = ngx_array_push(&snap->aliases);
        if (a == NULL) {
            return NGX_ERROR;
        }

        ngx_memzero(a, sizeof(ngx_http_milvus_cdc_meta_alias_t));

        a->db_id = wa[i].db_id;
        a->collection_id = wa[i].info->collection_id;
        a->created_time = wa[i].info->created_time;
        a->state = wa[i].info->state;
        a->legacy = wa[i].legacy;

        len = wa[i].info->alias_name ? ngx_strlen(wa[i].info->alias_name)
                                     : 0;

        if (len) {
            a->name.len = len;
            a->name.data = ngx_pnalloc(pool, len + 1);
            if (a->name.data == NULL) {
                return NGX_ERROR;
            }

            ngx_memcpy(a->name.data, wa[i].info->alias_name, len + 1);

        } else {
            a->name.len = wa[i].key_name.len;
            a->name.data = ngx_pstrdup(pool, &wa[i].key_name);
            if (a->name.data == NULL) {
                return NGX_ERROR;
            }
        }

        db = ngx_http_milvus_cdc_meta_database(snap, a->db_id);

        if (db) {
            a->db_name = db->name;

        } else if (a->db_id == NGX_HTTP_MILVUS_CDC_META_DEFAULT_DB_ID) {
            ngx_str_set(&a->db_name, NGX_HTTP_MILVUS_CDC_META_DEFAULT_DB);
        }
    }

    ngx_qsort(snap->aliases.elts, snap->aliases.nelts,
              sizeof(ngx_http_milvus_cdc_meta_alias_t),
              ngx_http_milvus_cdc_meta_cmp_alias);

    /* the same alias under both layouts: the database/ key is kept */

    a = snap->aliases.elts;
    prev = NULL;
    len = 0;

    for (i = 0; i < snap->aliases.nelts; i++) {
        if (prev && prev->db_id == a[i].db_id
            && prev->name.len == a[i].name.len
            && ngx_memcmp(prev->name.data, a[i].name.data, a[i].name.len)
               == 0)
        {
            snap->skipped++;
            continue;
        }

        a[len] = a[i];
        prev = &a[len++];
    }

    snap->aliases.nelts = len;

    return NGX_OK;
}


/* by db id, name, then the database/ key before the legacy one */

static int ngx_libc_cdecl
ngx_http_milvus_cdc_meta_cmp_alias(const void *one, const void *two)
{
    const ngx_http_milvus_cdc_meta_alias_t  *a = one, *b = two;

    int  rc;

    if (a->db_id != b->db_id) {
        return (a->db_id > b->db_id) - (a->db_id < b->db_id);
    }

    rc = ngx_memn2cmp(a->name.data, b->name.data, a->name.len, b->name.len);

    if (rc != 0) {
        return rc;
    }

    return (int) a->legacy - (int) b->legacy;
}
