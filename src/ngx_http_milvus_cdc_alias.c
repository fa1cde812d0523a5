
/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 *
 * The aliases of the scope's collections on the target.  CreateAlias,
 * AlterAlias and DropAlias are not in the 2.3 WAL: only the source's etcd
 * shows them (database/aliases/<dbID>/<alias>, aliases/<alias>, read by
 * meta_alias.c).  After every metadata snapshot, once no collection is
 * being ensured, the aliases of the source whose collection is ready on
 * the target are compared with what the target is known to have (learned
 * from DescribeCollection.aliases 9 when a collection is ensured, then
 * kept up to date by the calls made here), and the first difference is
 * made good with one call on e->ddl_call: CreateAlias, AlterAlias (the
 * alias points elsewhere, or CreateAlias was refused because the alias
 * exists on the target for a collection not described), DropAlias (the
 * target's alias of a ready collection is not on the source).
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_milvus_cdc_engine_int.h"


/* an alias the target has: database, alias, collection */
typedef struct {
    ngx_str_t                        db;
    ngx_str_t                        name;
    ngx_str_t                        coll;
} ngx_http_milvus_cdc_alias_t;


typedef struct {
    ngx_array_t                      applied;    /* alias_t */
    ngx_msec_t                       retry_at;   /* after a failure */
    ngx_uint_t                       rpc;        /* call in flight */
    ngx_http_milvus_cdc_alias_t      op;         /* its alias */
    ngx_uint_t                       refused;    /* CreateAlias of op */
} ngx_http_milvus_cdc_aliases_t;


static ngx_http_milvus_cdc_aliases_t *ngx_http_milvus_cdc_alias_state(
    ngx_http_milvus_cdc_engine_t *e);
static ngx_int_t ngx_http_milvus_cdc_alias_drop_one(
    ngx_http_milvus_cdc_engine_t *e, ngx_http_milvus_cdc_aliases_t *st);
static ngx_int_t ngx_http_milvus_cdc_alias_wanted(
    ngx_http_milvus_cdc_engine_t *e, ngx_http_milvus_cdc_alias_t *a);
static ngx_http_milvus_cdc_alias_t *ngx_http_milvus_cdc_alias_find(
    ngx_http_milvus_cdc_aliases_t *st, ngx_str_t *db, ngx_str_t *name);
static ngx_int_t ngx_http_milvus_cdc_alias_set(
    ngx_http_milvus_cdc_engine_t *e, ngx_http_milvus_cdc_aliases_t *st,
    ngx_str_t *db, ngx_str_t *name, ngx_str_t *coll);
static void ngx_http_milvus_cdc_alias_call(ngx_http_milvus_cdc_engine_t *e,
    ngx_http_milvus_cdc_aliases_t *st, ngx_uint_t rpc, ngx_str_t *db,
    ngx_str_t *name, ngx_str_t *coll);
static void ngx_http_milvus_cdc_alias_done(
    ngx_http_milvus_cdc_grpc_result_t *res, void *data);
static void ngx_http_milvus_cdc_alias_applied(
    ngx_http_milvus_cdc_engine_t *e, ngx_http_milvus_cdc_aliases_t *st,
    ngx_uint_t rpc);
static ngx_str_t *ngx_http_milvus_cdc_alias_op(ngx_uint_t rpc);
static ngx_int_t ngx_http_milvus_cdc_alias_eq(ngx_str_t *a, ngx_str_t *b);


/*
 * The next call that brings the target's aliases closer to the source's,
 * if any.  Called when no collection is being ensured (registry.c) and
 * after each alias call.
 */

void
ngx_http_milvus_cdc_alias_sync(ngx_http_milvus_cdc_engine_t *e)
{
    ngx_uint_t                          i;
    ngx_http_milvus_cdc_coll_t         *c;
    ngx_http_milvus_cdc_alias_t        *ap;
    ngx_http_milvus_cdc_aliases_t      *st;
    ngx_http_milvus_cdc_meta_alias_t   *ma;

    if (e->ddl_call || e->ddl || e->snap == NULL
        || e->state != ENGINE_RUNNING)
    {
        return;
    }

    st = ngx_http_milvus_cdc_alias_state(e);
    if (st == NULL) {
        return;
    }

    if (st->retry_at
        && (ngx_msec_int_t) (ngx_current_msec - st->retry_at) < 0)
    {
        return;
    }

    st->retry_at = 0;

    /* the source's aliases of ready collections: created or moved */

    ma = e->snap->aliases.elts;

    for (i = 0; i < e->snap->aliases.nelts; i++) {

        if (ma[i].state != NGX_HTTP_MILVUS_CDC_META_CREATED) {
            continue;
        }

        c = ngx_http_milvus_cdc_registry_coll(e, ma[i].collection_id);

        if (c == NULL || c->state != COLL_READY) {
            continue;
        }

        ap = ngx_http_milvus_cdc_alias_find(st, &c->db, &ma[i].name);

        if (ap == NULL) {
            ngx_http_milvus_cdc_alias_call(e, st,
                                      NGX_HTTP_MILVUS_CDC_MSG_RPC_CREATE_ALIAS,
                                      &c->db, &ma[i].name, &c->name);
            return;
        }

        if (!ngx_http_milvus_cdc_alias_eq(&ap->coll, &c->name)) {
            ngx_http_milvus_cdc_alias_call(e, st,
                                       NGX_HTTP_MILVUS_CDC_MSG_RPC_ALTER_ALIAS,
                                       &c->db, &ma[i].name, &c->name);
            return;
        }
    }

    (void) ngx_http_milvus_cdc_alias_drop_one(e, st);
}


/*
 * The target's aliases of collection c, from its DescribeCollection
 * (aliases 9): what the target has is known from now on.
 */

ngx_int_t
ngx_http_milvus_cdc_alias_learn(ngx_http_milvus_cdc_engine_t *e,
    ngx_http_milvus_cdc_coll_t *c, ngx_str_t *names, ngx_uint_t n)
{
    ngx_uint_t                      i;
    ngx_http_milvus_cdc_aliases_t  *st;

    st = ngx_http_milvus_cdc_alias_state(e);
    if (st == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < n; i++) {
        if (ngx_http_milvus_cdc_alias_set(e, st, &c->db, &names[i], &c->name)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/*
 * c was renamed on the target (from c->old_db.c->old_name to
 * c->db.c->name): its aliases went with it (Milvus keeps them by
 * collection id).
 */

ngx_int_t
ngx_http_milvus_cdc_alias_renamed(ngx_http_milvus_cdc_engine_t *e,
    ngx_http_milvus_cdc_coll_t *c)
{
    ngx_uint_t                      i;
    ngx_http_milvus_cdc_alias_t    *a;
    ngx_http_milvus_cdc_aliases_t  *st;

    st = ngx_http_milvus_cdc_alias_state(e);
    if (st == NULL) {
        return NGX_ERROR;
    }

    a = st->applied.elts;

    for (i = 0; i < st->applied.nelts; i++) {
        if (ngx_http_milvus_cdc_alias_eq(&a[i].db, &c->old_db)
            && ngx_http_milvus_cdc_alias_eq(&a[i].coll, &c->old_name))
        {
            a[i].db = c->db;
            a[i].coll = c->name;
        }
    }

    return NGX_OK;
}


static ngx_http_milvus_cdc_aliases_t *
ngx_http_milvus_cdc_alias_state(ngx_http_milvus_cdc_engine_t *e)
{
    ngx_http_milvus_cdc_aliases_t  *st;

    if (e->aliases) {
        return e->aliases;
    }

    st = ngx_pcalloc(e->pool, sizeof(ngx_http_milvus_cdc_aliases_t));
    if (st == NULL) {
        return NULL;
    }

    if (ngx_array_init(&st->applied, e->pool, 4,
                       sizeof(ngx_http_milvus_cdc_alias_t))
        != NGX_OK)
    {
        return NULL;
    }

    e->aliases = st;

    return st;
}


/*
 * DropAlias of the first alias the target has for a ready collection that
 * the source does not have (any more); aliases of collections dropped on
 * the target are forgotten.  NGX_OK: a call was made.
 */

static ngx_int_t
ngx_http_milvus_cdc_alias_drop_one(ngx_http_milvus_cdc_engine_t *e,
    ngx_http_milvus_cdc_aliases_t *st)
{
    ngx_uint_t                    i;
    ngx_http_milvus_cdc_coll_t   *c;
    ngx_http_milvus_cdc_alias_t  *a;

    a = st->applied.elts;

    for (i = 0; i < st->applied.nelts; /* void */) {

        c = ngx_http_milvus_cdc_registry_by_name(e, &a[i].db, &a[i].coll);

        if (c == NULL || c->state == COLL_DROPPED) {
            /* dropped with its collection */
            a[i] = a[--st->applied.nelts];
            continue;
        }

        if (c->state == COLL_READY
            && !ngx_http_milvus_cdc_alias_wanted(e, &a[i]))
        {
            ngx_http_milvus_cdc_alias_call(e, st,
                                        NGX_HTTP_MILVUS_CDC_MSG_RPC_DROP_ALIAS,
                                        &a[i].db, &a[i].name, &a[i].coll);
            return NGX_OK;
        }

        i++;
    }

    return NGX_DECLINED;
}


/*
 * The source has alias a (Created or Creating) in its database, for a
 * collection of the scope.
 */

static ngx_int_t
ngx_http_milvus_cdc_alias_wanted(ngx_http_milvus_cdc_engine_t *e,
    ngx_http_milvus_cdc_alias_t *a)
{
    ngx_uint_t                         i;
    ngx_http_milvus_cdc_coll_t        *c;
    ngx_http_milvus_cdc_meta_alias_t  *ma;

    ma = e->snap->aliases.elts;

    for (i = 0; i < e->snap->aliases.nelts; i++) {

        if ((ma[i].state != NGX_HTTP_MILVUS_CDC_META_CREATED
             && ma[i].state != NGX_HTTP_MILVUS_CDC_META_CREATING)
            || !ngx_http_milvus_cdc_alias_eq(&ma[i].name, &a->name))
        {
            continue;
        }

        c = ngx_http_milvus_cdc_registry_coll(e, ma[i].collection_id);

        if (c && ngx_http_milvus_cdc_alias_eq(&c->db, &a->db)
            && c->state != COLL_IGNORED && c->state != COLL_DROPPED)
        {
            return 1;
        }
    }

    return 0;
}


static ngx_http_milvus_cdc_alias_t *
ngx_http_milvus_cdc_alias_find(ngx_http_milvus_cdc_aliases_t *st,
    ngx_str_t *db, ngx_str_t *name)
{
    ngx_uint_t                    i;
    ngx_http_milvus_cdc_alias_t  *a;

    a = st->applied.elts;

    for (i = 0; i < st->applied.nelts; i++) {
        if (ngx_http_milvus_cdc_alias_eq(&a[i].db, db)
            && ngx_http_milvus_cdc_alias_eq(&a[i].name, name))
        {
            return &a[i];
        }
    }

    return NULL;
}


/* the target has alias db.name for collection coll (copied), or NULL */

static ngx_int_t
ngx_http_milvus_cdc_alias_set(ngx_http_milvus_cdc_engine_t *e,
    ngx_http_milvus_cdc_aliases_t *st, ngx_str_t *db, ngx_str_t *name,
    ngx_str_t *coll)
{
    ngx_http_milvus_cdc_alias_t  *a;

    a = ngx_http_milvus_cdc_alias_find(st, db, name);

    if (coll == NULL) {
        if (a) {
            *a = ((ngx_http_milvus_cdc_alias_t *)
                  st->applied.elts)[--st->applied.nelts];
        }

        return NGX_OK;
    }

    if (a == NULL) {
        a = ngx_array_push(&st->applied);
        if (a == NULL) {
            return NGX_ERROR;
        }

        a->db.data = ngx_pstrdup(e->pool, db);
        a->db.len = db->len;
        a->name.data = ngx_pstrdup(e->pool, name);
        a->name.len = name->len;

        if (a->db.data == NULL || a->name.data == NULL) {
            return NGX_ERROR;
        }

    } else if (ngx_http_milvus_cdc_alias_eq(&a->coll, coll)) {
        return NGX_OK;
    }

    a->coll.data = ngx_pstrdup(e->pool, coll);
    a->coll.len = coll->len;

    return a->coll.data ? NGX_OK : NGX_ERROR;
}


static void
ngx_http_milvus_cdc_alias_call(ngx_http_milvus_cdc_engine_t *e,
    ngx_http_milvus_cdc_aliases_t *st, ngx_uint_t rpc, ngx_str_t *db,
    ngx_str_t *name, ngx_str_t *coll)
{
    ngx_http_milvus_cdc_msg_request_t  rq;

    /* the strings may go with the snapshot: copies */

    st->op.db.data = ngx_pstrdup(e->pool, db);
    st->op.db.len = db->len;
    st->op.name.data = ngx_pstrdup(e->pool, name);
    st->op.name.len = name->len;
    st->op.coll.data = ngx_pstrdup(e->pool, coll);
    st->op.coll.len = coll->len;

    if (st->op.db.data == NULL || st->op.name.data == NULL
        || st->op.coll.data == NULL)
    {
        ngx_http_milvus_cdc_engine_fail(e, "out of memory");
        return;
    }

    ngx_memzero(&rq, sizeof(rq));
    rq.db_name = st->op.db;
    rq.alias = st->op.name;

    if (rpc != NGX_HTTP_MILVUS_CDC_MSG_RPC_DROP_ALIAS) {
        rq.collection_name = st->op.coll;
    }

    if (ngx_http_milvus_cdc_registry_call(e, rpc, &rq,
                                          ngx_http_milvus_cdc_alias_done)
        != NGX_OK)
    {
        return;
    }

    st->rpc = rpc;
}


static void
ngx_http_milvus_cdc_alias_done(ngx_http_milvus_cdc_grpc_result_t *res,
    void *data)
{
    ngx_http_milvus_cdc_engine_t *e = data;

    u_char                           *p;
    ngx_int_t                         rc;
    ngx_str_t                         reason;
    ngx_uint_t                        rpc;
    ngx_http_milvus_cdc_aliases_t    *st;
    ngx_http_milvus_cdc_msg_reply_t   r;
    u_char                            buf[64];

    e->ddl_call = NULL;
    st = e->aliases;
    rpc = st->rpc;
    st->rpc = 0;

    if (e->state == ENGINE_FAILED) {
        return;
    }

    if (res->status != 0) {
        /* transient: the target is restarting, the next snapshot again */

        ngx_http_milvus_cdc_writer_trouble(&e->writer,
                                           ngx_http_milvus_cdc_msg_method(rpc),
                                           &st->op.name, res);
        st->retry_at = ngx_current_msec + ENGINE_RETRY_DELAY;
        return;
    }

    ngx_http_milvus_cdc_writer_recovered(&e->writer);

    ngx_memzero(&r, sizeof(r));

    rc = ngx_http_milvus_cdc_msg_reply(rpc, &res->reply, &r, e->log);

    if (rc == NGX_OK) {
        ngx_http_milvus_cdc_alias_applied(e, st, rpc);

    } else if (rc == NGX_DECLINED
               && rpc == NGX_HTTP_MILVUS_CDC_MSG_RPC_CREATE_ALIAS
               && !st->refused)
    {
        /* the alias may exist for a collection not described: move it */

        ngx_log_error(NGX_LOG_NOTICE, e->log, 0,
                      "milvus_cdc: task %V: CreateAlias of %V.%V refused "
                      "by the target (%V), trying AlterAlias",
                      &e->task.task_id, &st->op.db, &st->op.name, &r.reason);

        st->refused = 1;
        ngx_http_milvus_cdc_msg_reply_free(&r);
        ngx_http_milvus_cdc_alias_call(e, st,
                                       NGX_HTTP_MILVUS_CDC_MSG_RPC_ALTER_ALIAS,
                                       &st->op.db, &st->op.name, &st->op.coll);
        return;

    } else {
        reason = r.reason;

        if (reason.len == 0) {
            p = ngx_snprintf(buf, sizeof(buf), "error code %i, code %i",
                             r.error_code, r.code);
            reason.data = buf;
            reason.len = p - buf;
        }

        ngx_http_milvus_cdc_engine_fail(e, "%V of alias \"%V\" (database "
                                        "%V, collection %V) refused by the "
                                        "target: %V",
                                        ngx_http_milvus_cdc_alias_op(rpc),
                                        &st->op.name, &st->op.db,
                                        &st->op.coll, &reason);
    }

    ngx_http_milvus_cdc_msg_reply_free(&r);

    if (e->state != ENGINE_FAILED) {
        ngx_http_milvus_cdc_registry_ensure(e);
    }
}


static void
ngx_http_milvus_cdc_alias_applied(ngx_http_milvus_cdc_engine_t *e,
    ngx_http_milvus_cdc_aliases_t *st, ngx_uint_t rpc)
{
    ngx_int_t  rc;

    st->refused = 0;

    rc = ngx_http_milvus_cdc_alias_set(e, st, &st->op.db, &st->op.name,
                                   rpc == NGX_HTTP_MILVUS_CDC_MSG_RPC_DROP_ALIAS
                                   ? NULL : &st->op.coll);
    if (rc != NGX_OK) {
        ngx_http_milvus_cdc_engine_fail(e, "out of memory");
        return;
    }

    ngx_log_error(NGX_LOG_NOTICE, e->log, 0,
                  "milvus_cdc: task %V: %V of alias %V.%V (collection %V) "
                  "made on the target", &e->task.task_id,
                  ngx_http_milvus_cdc_alias_op(rpc), &st->op.db,
                  &st->op.name, &st->op.coll);
}


/* "CreateAlias" of ".../MilvusService/CreateAlias" */

static ngx_str_t *
ngx_http_milvus_cdc_alias_op(ngx_uint_t rpc)
{
    u_char            *p;
    ngx_str_t         *m;
    static ngx_str_t   op;

    m = ngx_http_milvus_cdc_msg_method(rpc);

    for (p = m->data + m->len; p > m->data && p[-1] != '/'; p--) {
        /* void */
    }

    op.data = p;
    op.len = m->data + m->len - p;

    return &op;
}


static ngx_int_t
ngx_http_milvus_cdc_alias_eq(ngx_str_t *a, ngx_str_t *b)
{
    return a->len == b->len && ngx_strncmp(a->data, b->data, a->len) == 0;
}
