
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 *
 * The engine's collection registry: the source metadata snapshots, the
 * collections and partitions of the task's scope, and the steps that
 * create them on the target start here (the steps themselves are in
 * ngx_http_milvus_cdc_registry_ensure.c); a collection renamed on the
 * source is renamed on the target (RenameCollection) before anything else
 * of it is replayed.
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_milvus_cdc_engine_int.h"


static void ngx_http_milvus_cdc_registry_meta(
    ngx_http_milvus_cdc_meta_snapshot_t *snap, ngx_str_t *err, void *data);
static void ngx_http_milvus_cdc_registry_learn(ngx_http_milvus_cdc_engine_t *e);
static ngx_int_t ngx_http_milvus_cdc_registry_renamed(
    ngx_http_milvus_cdc_engine_t *e, ngx_http_milvus_cdc_coll_t *c,
    ngx_http_milvus_cdc_meta_collection_t *mc);
static void ngx_http_milvus_cdc_registry_moved(
    ngx_http_milvus_cdc_engine_t *e, ngx_http_milvus_cdc_coll_t *c);
static ngx_int_t ngx_http_milvus_cdc_registry_eq(ngx_str_t *a, ngx_str_t *b);


/*
 * A metadata snapshot asked for, the pchannels' ends first while they are
 * unknown (the brokers are asked again ENGINE_END_RETRY ms later when they
 * do not answer).  NGX_OK, or NGX_ERROR when the task failed.
 */

ngx_int_t
ngx_http_milvus_cdc_registry_snapshot(ngx_http_milvus_cdc_engine_t *e)
{
    if (e->ends == NULL && ngx_http_milvus_cdc_source_ends(e) != NGX_OK) {
        e->meta_at = ngx_current_msec + ENGINE_END_RETRY;
        return e->state == ENGINE_FAILED ? NGX_ERROR : NGX_OK;
    }

    (void) ngx_http_milvus_cdc_registry_refresh(e);

    return NGX_OK;
}


ngx_int_t
ngx_http_milvus_cdc_registry_refresh(ngx_http_milvus_cdc_engine_t *e)
{
    ngx_int_t  rc;

    e->meta_busy = 1;
    e->meta_at = ngx_current_msec + ENGINE_META_PERIOD;

    rc = ngx_http_milvus_cdc_meta_refresh(e->meta,
                                          ngx_http_milvus_cdc_registry_meta, e);
    if (rc == NGX_AGAIN) {
        return NGX_OK;
    }

    e->meta_busy = (rc == NGX_BUSY);

    return rc == NGX_BUSY ? NGX_OK : NGX_ERROR;
}


static void
ngx_http_milvus_cdc_registry_meta(ngx_http_milvus_cdc_meta_snapshot_t *snap,
    ngx_str_t *err, void *data)
{
    ngx_http_milvus_cdc_engine_t *e = data;

    e->meta_busy = 0;

    if (snap == NULL) {
        /* logged by the reader; tried again later */
        e->meta_at = ngx_current_msec + ENGINE_RETRY_DELAY;
        return;
    }

    if (e->snap) {
        ngx_http_milvus_cdc_meta_snapshot_free(e->snap);
    }

    e->snap = snap;
    e->meta_gen++;

    ngx_http_milvus_cdc_registry_learn(e);

    if (e->state == ENGINE_META) {
        e->state = ENGINE_ENSURE;
    }

    ngx_http_milvus_cdc_registry_ensure(e);
}


/*
 * A new snapshot: collections in scope become known (COLL_NEW), new
 * partitions of ready collections are scheduled for creation on the
 * target.
 */

static void
ngx_http_milvus_cdc_registry_learn(ngx_http_milvus_cdc_engine_t *e)
{
    ngx_str_t                               db;
    ngx_uint_t                              i, j, k, found;
    ngx_http_milvus_cdc_coll_t             *c, **cp;
    ngx_http_milvus_cdc_part_t             *parts;
    ngx_http_milvus_cdc_meta_partition_t   *mp;
    ngx_http_milvus_cdc_meta_collection_t  *mc;

    mc = e->snap->collections.elts;

    for (i = 0; i < e->snap->collections.nelts; i++) {

        c = ngx_http_milvus_cdc_registry_coll(e, mc[i].id);

        if (c && c->state == COLL_READY) {

            /* renames are not in the WAL either: the name of the id */

            if (ngx_http_milvus_cdc_registry_renamed(e, c, &mc[i])) {
                continue;
            }

            /* partitions are not in the WAL: compare */

            mp = mc[i].partitions.elts;
            parts = c->parts.elts;

            for (j = 0; j < mc[i].partitions.nelts; j++) {
                if (mp[j].state != NGX_HTTP_MILVUS_CDC_META_CREATED) {
                    continue;
                }

                found = 0;

                for (k = 0; k < c->parts.nelts; k++) {
                    if (parts[k].source_id == mp[j].id) {
                        found = 1;
                        break;
                    }
                }

                if (!found && !mc[i].partition_key) {
                    c->state = COLL_NEW;
                    c->step = NGX_HTTP_MILVUS_CDC_STEP_PARTITIONS;
                    break;
                }
            }

            continue;
        }

        if (c) {
            continue;
        }

        if (mc[i].state == NGX_HTTP_MILVUS_CDC_META_CREATING) {
            /* wait until it is Created */
            continue;
        }

        db = mc[i].db_name;

        c = ngx_pcalloc(e->pool, sizeof(ngx_http_milvus_cdc_coll_t));
        if (c == NULL) {
            return;
        }

        c->source_id = mc[i].id;
        c->pk_field = -1;

        for (j = 0; j < mc[i].fields.nelts; j++) {
            if (((ngx_http_milvus_cdc_meta_field_t *)
                 mc[i].fields.elts)[j].primary)
            {
                c->pk_field = ((ngx_http_milvus_cdc_meta_field_t *)
                               mc[i].fields.elts)[j].id;
            }
        }

        c->db.data = ngx_pstrdup(e->pool, &db);
        c->db.len = db.len;
        c->name.data = ngx_pstrdup(e->pool, &mc[i].name);
        c->name.len = mc[i].name.len;

        if (c->db.data == NULL || c->name.data == NULL
            || ngx_array_init(&c->parts, e->pool, 4,
                              sizeof(ngx_http_milvus_cdc_part_t))
               != NGX_OK)
        {
            return;
        }

        /* one the task replicated before stays in scope, renamed or not */

        c->state = (mc[i].state == NGX_HTTP_MILVUS_CDC_META_CREATED
                    && (ngx_http_milvus_cdc_registry_in_scope(e, &c->db,
                                                            &c->name)
                        || ngx_http_milvus_cdc_registry_id_map(e, c->source_id)
                           != NULL))
                   ? COLL_NEW : COLL_IGNORED;

        /*
         * dropped on the source while the task did not run, and the
         * task's on the target: its DropCollection, still to be read, must
         * find it there
         */

        if (mc[i].state == NGX_HTTP_MILVUS_CDC_META_DROPPING
            && ngx_http_milvus_cdc_registry_id_map(e, c->source_id))
        {
            c->state = COLL_NEW;
            c->gone = 1;

        } else if (c->state == COLL_NEW) {
            ngx_http_milvus_cdc_registry_moved(e, c);
        }

        cp = ngx_array_push(&e->colls);
        if (cp == NULL) {
            return;
        }

        *cp = c;

        if (c->state == COLL_NEW) {
            ngx_log_error(NGX_LOG_INFO, e->log, 0,
                          "milvus_cdc: task %V: collection %V.%V (%L) "
                          "is in scope", &e->task.task_id, &c->db, &c->name,
                          c->source_id);
        }
    }
}


/* "db.collection" against the task's scope lines ("*" matches any) */

ngx_int_t
ngx_http_milvus_cdc_registry_in_scope(ngx_http_milvus_cdc_engine_t *e,
    ngx_str_t *db, ngx_str_t *name)
{
    u_char  *p, *eol, *dot, *last;
    size_t   dl, nl;

    last = e->task.scope.data + e->task.scope.len;

    for (p = e->task.scope.data; p < last; p = eol + 1) {
        eol = ngx_strlchr(p, last, '\n');
        if (eol == NULL) {
            eol = last;
        }

        dot = ngx_strlchr(p, eol, '.');
        if (dot == NULL) {
            continue;
        }

        dl = dot - p;
        nl = eol - dot - 1;

        if (!((dl == 1 && *p == '*')
              || (dl == db->len && ngx_strncmp(p, db->data, dl) == 0)))
        {
            continue;
        }

        if ((nl == 1 && dot[1] == '*')
            || (nl == name->len && ngx_strncmp(dot + 1, name->data, nl) == 0))
        {
            return 1;
        }
    }

    return 0;
}


ngx_http_milvus_cdc_coll_t *
ngx_http_milvus_cdc_registry_coll(ngx_http_milvus_cdc_engine_t *e, int64_t id)
{
    ngx_uint_t                    i;
    ngx_http_milvus_cdc_coll_t  **c;

    c = e->colls.elts;

    for (i = 0; i < e->colls.nelts; i++) {
        if (c[i]->source_id == id) {
            return c[i];
        }
    }

    return NULL;
}


/* whether a collection of the scope is still to be ensured on the target */

ngx_int_t
ngx_http_milvus_cdc_registry_pending(ngx_http_milvus_cdc_engine_t *e)
{
    ngx_uint_t                    i;
    ngx_http_milvus_cdc_coll_t  **c;

    c = e->colls.elts;

    for (i = 0; i < e->colls.nelts; i++) {
        if (c[i]->state == COLL_NEW) {
            return 1;
        }
    }

    return 0;
}


/* the TimeTicks of source pchannel "pchannel" go to target pchannel t */

void
ngx_http_milvus_cdc_registry_feed(ngx_http_milvus_cdc_engine_t *e,
    ngx_str_t *pchannel, ngx_http_milvus_cdc_tchan_t *t)
{
    ngx_uint_t                     i, j;
    ngx_http_milvus_cdc_feed_t    *f;
    ngx_http_milvus_cdc_tchan_t  **tp;
    ngx_http_milvus_cdc_schan_t   *sc;

    sc = e->schans.elts;

    for (i = 0; i < e->schans.nelts; i++) {
        if (sc[i].name.len != pchannel->len
            || ngx_strncmp(sc[i].name.data, pchannel->data, pchannel->len)
               != 0)
        {
            continue;
        }

        f = ngx_http_milvus_cdc_clock_feed(&t->clock, &sc[i]);
        if (f) {
            f->fed = 1;
        }

        tp = sc[i].tchans.elts;

        for (j = 0; j < sc[i].tchans.nelts; j++) {
            if (tp[j] == t) {
                return;
            }
        }

        tp = ngx_array_push(&sc[i].tchans);
        if (tp) {
            *tp = t;
        }

        return;
    }
}


ngx_http_milvus_cdc_coll_t *
ngx_http_milvus_cdc_registry_by_name(ngx_http_milvus_cdc_engine_t *e,
    ngx_str_t *db, ngx_str_t *name)
{
    ngx_uint_t                    i;
    ngx_http_milvus_cdc_coll_t  **c, *found;

    c = e->colls.elts;
    found = NULL;

    for (i = 0; i < e->colls.nelts; i++) {
        if (c[i]->db.len == db->len && c[i]->name.len == name->len
            && ngx_strncmp(c[i]->db.data, db->data, db->len) == 0
            && ngx_strncmp(c[i]->name.data, name->data, name->len) == 0)
        {
            /* a live one before a dropped one of the same name */

            if (found == NULL || c[i]->state != COLL_DROPPED) {
                found = c[i];
            }
        }
    }

    return found;
}


/* "<pchannel>_<collection id>v<k>" → k, or -1 */

ngx_int_t
ngx_http_milvus_cdc_registry_shard(ngx_str_t *vchannel)
{
    u_char  *p, *last;

    last = vchannel->data + vchannel->len;

    for (p = last; p > vchannel->data && p[-1] >= '0' && p[-1] <= '9'; p--) {
        /* void */
    }

    if (p == last || p == vchannel->data || p[-1] != 'v') {
        return NGX_ERROR;
    }

    return ngx_atoi(p, last - p);
}


/*
 * Collection c, ready on the target, has another name (or database) in
 * the snapshot: RenameCollection on the target first.  Until it is made
 * the collection is not ready, so that nothing of it (rows, or calls of
 * the replicate channel naming the new name) is replayed before.
 * Returns 1 when a rename is due.
 */

static ngx_int_t
ngx_http_milvus_cdc_registry_renamed(ngx_http_milvus_cdc_engine_t *e,
    ngx_http_milvus_cdc_coll_t *c, ngx_http_milvus_cdc_meta_collection_t *mc)
{
    u_char  *db, *name;

    if (mc->state != NGX_HTTP_MILVUS_CDC_META_CREATED
        || mc->db_name.len == 0
        || (ngx_http_milvus_cdc_registry_eq(&c->db, &mc->db_name)
            && ngx_http_milvus_cdc_registry_eq(&c->name, &mc->name)))
    {
        return 0;
    }

    db = ngx_pstrdup(e->pool, &mc->db_name);
    name = ngx_pstrdup(e->pool, &mc->name);

    if (db == NULL || name == NULL) {
        return 0;
    }

    ngx_log_error(NGX_LOG_NOTICE, e->log, 0,
                  "milvus_cdc: task %V: collection %V.%V (%L) renamed on "
                  "the source to %V.%V", &e->task.task_id, &c->db, &c->name,
                  c->source_id, &mc->db_name, &mc->name);

    c->old_db = c->db;
    c->old_name = c->name;
    c->db.data = db;
    c->db.len = mc->db_name.len;
    c->name.data = name;
    c->name.len = mc->name.len;

    c->state = COLL_NEW;
    c->step = (ngx_http_milvus_cdc_registry_eq(&c->db, &c->old_db)
               || (c->db.len == sizeof("default") - 1
                   && ngx_strncmp(c->db.data, "default", c->db.len) == 0))
              ? NGX_HTTP_MILVUS_CDC_STEP_RENAME
              : NGX_HTTP_MILVUS_CDC_STEP_DATABASE;

    return 1;
}


/*
 * A collection seen for the first time by this run that an earlier run
 * put on the target under another name (renamed on the source while the
 * task was not running): the id map has the target's "db.name".
 */

static void
ngx_http_milvus_cdc_registry_moved(ngx_http_milvus_cdc_engine_t *e,
    ngx_http_milvus_cdc_coll_t *c)
{
    u_char                        *dot, *last;
    ngx_http_milvus_cdc_id_map_t  *map;

    map = ngx_http_milvus_cdc_registry_id_map(e, c->source_id);

    if (map == NULL) {
        return;
    }

    last = map->name.data + map->name.len;
    dot = ngx_strlchr(map->name.data, last, '.');

    if (dot == NULL) {
        return;
    }

    c->old_db.data = map->name.data;
    c->old_db.len = dot - map->name.data;
    c->old_name.data = dot + 1;
    c->old_name.len = last - dot - 1;

    if (ngx_http_milvus_cdc_registry_eq(&c->old_db, &c->db)
        && ngx_http_milvus_cdc_registry_eq(&c->old_name, &c->name))
    {
        ngx_str_null(&c->old_db);
        ngx_str_null(&c->old_name);
        return;
    }

    ngx_log_error(NGX_LOG_NOTICE, e->log, 0,
                  "milvus_cdc: task %V: collection %V.%V (%L) was renamed "
                  "on the source to %V.%V", &e->task.task_id, &c->old_db,
                  &c->old_name, c->source_id, &c->db, &c->name);
}


/* the target renamed it: aliases and the id map follow */

ngx_int_t
ngx_http_milvus_cdc_registry_rename_done(ngx_http_milvus_cdc_engine_t *e,
    ngx_http_milvus_cdc_coll_t *c)
{
    u_char                        *p;
    ngx_http_milvus_cdc_id_map_t  *map;

    ngx_log_error(NGX_LOG_NOTICE, e->log, 0,
                  "milvus_cdc: task %V: collection %V.%V renamed on the "
                  "target to %V.%V", &e->task.task_id, &c->old_db,
                  &c->old_name, &c->db, &c->name);

    if (ngx_http_milvus_cdc_alias_renamed(e, c) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_str_null(&c->old_db);
    ngx_str_null(&c->old_name);

    c->step = c->target_id ? NGX_HTTP_MILVUS_CDC_STEP_PARTITIONS
                           : NGX_HTTP_MILVUS_CDC_STEP_COLLECTION;

    map = ngx_http_milvus_cdc_registry_id_map(e, c->source_id);

    if (map == NULL) {
        return NGX_OK;
    }

    p = ngx_pnalloc(e->pool, c->db.len + 1 + c->name.len + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    map->name.data = p;
    map->name.len = ngx_sprintf(p, "%V.%V%Z", &c->db, &c->name) - p - 1;

    if (ngx_http_milvus_cdc_store_id_map_put(e->store, &e->task.task_id, map)
        != NGX_OK)
    {
        ngx_http_milvus_cdc_engine_fail(e, "fail to write the task store");
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_milvus_cdc_registry_eq(ngx_str_t *a, ngx_str_t *b)
{
    return a->len == b->len && ngx_strncmp(a->data, b->data, a->len) == 0;
}
