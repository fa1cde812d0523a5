/*
 * Copyright (C) ngx_http_milvus_cdc_module authors
 *
 * The scope of a task: collection_infos / db_collections of a create
 * request, with their positions (checked here down to the MsgPosition),
 * the scope lines ("db.collection", "*" for any) and their matching, and
 * the positions of a stored task for the engine.
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_milvus_cdc.h"
#include "ngx_http_milvus_cdc_json.h"
#include "ngx_http_milvus_cdc_kafka.h"
#include "ngx_http_milvus_cdc_task_int.h"
#include "milvus_cdc_msg.pb-c.h"


static ngx_int_t ngx_http_milvus_cdc_task_positions_check(
    ngx_http_milvus_cdc_parse_t *ps, yajl_val pos, const char *path);
static ngx_int_t ngx_http_milvus_cdc_task_position_key(const char *key,
    ngx_http_milvus_cdc_task_position_t *pos);
static ngx_int_t ngx_http_milvus_cdc_task_position_value(ngx_pool_t *pool,
    yajl_val value, ngx_http_milvus_cdc_task_position_t *pos,
    ngx_str_t *why);
static ngx_int_t ngx_http_milvus_cdc_task_positions_of(ngx_pool_t *pool,
    yajl_val infos, const char *db, ngx_array_t **out);
static ngx_int_t ngx_http_milvus_cdc_task_add_line(
    ngx_http_milvus_cdc_parse_t *ps, const char *db, const char *coll);
static ngx_int_t ngx_http_milvus_cdc_task_entry_match(u_char *a, size_t alen,
    u_char *b, size_t blen);
static ngx_int_t ngx_http_milvus_cdc_task_part_match(u_char *a, size_t alen,
    u_char *b, size_t blen);


static const char  *ngx_http_milvus_cdc_info_fields[] = {
    "name", "positions", "use_start_position", NULL
};


/*
 * a list of collection infos: [{"name": …, "positions": {…}}]; "db" is
 * NULL for collection_infos ("*" means every database, a name the default
 * one)
 */

ngx_int_t
ngx_http_milvus_cdc_task_infos(ngx_http_milvus_cdc_parse_t *ps,
    yajl_val infos, const char *db, const char *path)
{
    size_t      i, j;
    u_char      buf[128];
    yajl_val    info, name, pos, v;
    ngx_int_t   rc;
    const char *coll;

    if (ngx_http_milvus_cdc_task_check(ps, infos, yajl_t_array, path,
                                       "an array")
        != NGX_OK)
    {
        return NGX_DECLINED;
    }

    if (infos->u.array.len == 0) {
        return ngx_http_milvus_cdc_task_fail(ps,
                   "%s: the collection info is empty", path);
    }

    if (yajl_gen_array_open(ps->scope) != yajl_gen_status_ok) {
        return NGX_ERROR;
    }

    for (i = 0; i < infos->u.array.len; i++) {
        info = infos->u.array.values[i];

        (void) ngx_snprintf(buf, sizeof(buf), "%s[%uz]%Z", path, i);

        if (ngx_http_milvus_cdc_task_check(ps, info, yajl_t_object,
                                           (char *) buf, "an object")
            != NGX_OK)
        {
            return NGX_DECLINED;
        }

        rc = ngx_http_milvus_cdc_json_known(ps->pool, info, (char *) buf,
                                            ngx_http_milvus_cdc_info_fields,
                                            ps->err);
        if (rc != NGX_OK) {
            return rc;
        }

        (void) ngx_snprintf(buf, sizeof(buf), "%s[%uz].name%Z", path, i);

        name = ngx_http_milvus_cdc_json_get(info, "name");
        if (name == NULL || !YAJL_IS_STRING(name)) {
            return ngx_http_milvus_cdc_task_fail(ps,
                       "%s: required string, there is a collection name "
                       "that is empty", buf);
        }

        coll = name->u.string;

        rc = ngx_http_milvus_cdc_task_name(ps, coll, (char *) buf);
        if (rc != NGX_OK) {
            return rc;
        }

        if (ngx_strcmp(coll, "*") == 0 && infos->u.array.len > 1) {
            return ngx_http_milvus_cdc_task_fail(ps,
                       "%s: \"*\" must be the only collection info", buf);
        }

        for (j = 0; j < i; j++) {
            v = ngx_http_milvus_cdc_json_get(infos->u.array.values[j], "name");

            if (ngx_strcmp(v->u.string, coll) == 0) {
                return ngx_http_milvus_cdc_task_fail(ps,
                           "%s: the collection \"%s\" is listed twice", buf,
                           coll);
            }
        }

        v = ngx_http_milvus_cdc_json_get(info, "use_start_position");
        if (v && !YAJL_IS_NULL(v) && !YAJL_IS_TRUE(v) && !YAJL_IS_FALSE(v)) {
            return ngx_http_milvus_cdc_task_fail(ps,
                       "%s[%uz].use_start_position: must be a boolean", path,
                       i);
        }

        if (yajl_gen_map_open(ps->scope) != yajl_gen_status_ok
            || ngx_http_milvus_cdc_json_str(ps->scope, "name") != NGX_OK
            || ngx_http_milvus_cdc_json_str(ps->scope, coll) != NGX_OK)
        {
            return NGX_ERROR;
        }

        pos = ngx_http_milvus_cdc_json_get(info, "positions");

        if (pos && !YAJL_IS_NULL(pos)
            && !(YAJL_IS_OBJECT(pos) && pos->u.object.len == 0))
        {
            (void) ngx_snprintf(buf, sizeof(buf), "%s[%uz].positions%Z",
                                path, i);

            if (ngx_strcmp(coll, "*") == 0) {
                return ngx_http_milvus_cdc_task_fail(ps,
                           "%s: the collection name is `*`, the positions "
                           "should be empty", buf);
            }

            rc = ngx_http_milvus_cdc_task_positions_check(ps, pos,
                                                          (char *) buf);
            if (rc != NGX_OK) {
                return rc;
            }

            if (ngx_http_milvus_cdc_json_str(ps->scope, "positions") != NGX_OK
                || ngx_http_milvus_cdc_json_value(ps->scope, pos) != NGX_OK)
            {
                return NGX_ERROR;
            }
        }

        if (v && YAJL_IS_TRUE(v)
            && (ngx_http_milvus_cdc_json_str(ps->scope, "use_start_position")
                != NGX_OK
                || yajl_gen_bool(ps->scope, 1) != yajl_gen_status_ok))
        {
            return NGX_ERROR;
        }

        if (yajl_gen_map_close(ps->scope) != yajl_gen_status_ok) {
            return NGX_ERROR;
        }

        rc = ngx_http_milvus_cdc_task_add_line(ps,
                 db ? db : (ngx_strcmp(coll, "*") == 0 ? "*" : "default"),
                 coll);
        if (rc != NGX_OK) {
            return rc;
        }
    }

    return yajl_gen_array_close(ps->scope) == yajl_gen_status_ok
           ? NGX_OK : NGX_ERROR;
}


/*
 * positions: {"<pchannel>_<collection id>v<shard>": "<base64 MsgPosition>"}
 * (msgpb.MsgPosition, milvus-proto msg.proto), all of one collection; each
 * must decode, name its own channel (the key, or its pchannel) and hold a
 * Kafka msgID
 */

static ngx_int_t
ngx_http_milvus_cdc_task_positions_check(ngx_http_milvus_cdc_parse_t *ps,
    yajl_val pos, const char *path)
{
    size_t                               i;
    int64_t                              collection_id;
    ngx_int_t                            rc;
    ngx_str_t                            why;
    const char                          *key;
    ngx_http_milvus_cdc_task_position_t  p;

    if (ngx_http_milvus_cdc_task_check(ps, pos, yajl_t_object, path,
                                       "an object")
        != NGX_OK)
    {
        return NGX_DECLINED;
    }

    collection_id = -1;

    for (i = 0; i < pos->u.object.len; i++) {
        key = pos->u.object.keys[i];

        if (ngx_http_milvus_cdc_task_position_key(key, &p) != NGX_OK) {
            return ngx_http_milvus_cdc_task_fail(ps,
                       "%s: the position channel name is not virtual "
                       "channel, %s", path, key);
        }

        if (collection_id == -1) {
            collection_id = p.collection_id;

        } else if (p.collection_id != collection_id) {
            return ngx_http_milvus_cdc_task_fail(ps,
                       "%s: the channel position info should be in the same "
                       "collection", path);
        }

        rc = ngx_http_milvus_cdc_task_position_value(ps->pool,
                                                     pos->u.object.values[i],
                                                     &p, &why);
        if (rc == NGX_DECLINED) {
            return ngx_http_milvus_cdc_task_fail(ps, "%s.%s: %V", path, key,
                                                 &why);
        }

        if (rc != NGX_OK) {
            return rc;
        }
    }

    return NGX_OK;
}


/*
 * "<pchannel>_<collection id>v<shard>": pos->vchannel (the key),
 * pos->pchannel and pos->collection_id, pointing into "key"; NGX_DECLINED
 * if the key has not this shape
 */

static ngx_int_t
ngx_http_milvus_cdc_task_position_key(const char *key,
    ngx_http_milvus_cdc_task_position_t *pos)
{
    u_char     *p, *v, *last;
    ngx_int_t   id;

    p = (u_char *) key;
    last = p + ngx_strlen(p);

    /* back over the shard number and "v", then the collection id and "_" */

    for (v = last; v > p && isdigit(v[-1]); v--) { /* void */ }

    if (v == last || v - 1 <= p || v[-1] != 'v') {
        return NGX_DECLINED;
    }

    last = --v;

    for ( /* void */ ; v > p && isdigit(v[-1]); v--) { /* void */ }

    if (v == last || v - 1 <= p || v[-1] != '_') {
        return NGX_DECLINED;
    }

    id = ngx_atoi(v, last - v);
    if (id == NGX_ERROR) {
        return NGX_DECLINED;
    }

    pos->collection_id = id;
    pos->vchannel.data = p;
    pos->vchannel.len = ngx_strlen(p);
    pos->pchannel.data = p;
    pos->pchannel.len = v - 1 - p;

    return NGX_OK;
}


/*
 * A position's value: base64 of a msgpb.MsgPosition (channel_name 1, msgID
 * 2, msgGroup 3, timestamp 4) whose channel_name is pos->vchannel or
 * pos->pchannel and whose msgID is a Kafka msgID; pos->msg_id (copied into
 * "pool"), pos->offset and pos->timestamp.  NGX_DECLINED with "why" (a
 * message without the field's name, in "pool") if not; NGX_ERROR: no
 * memory.
 */

static ngx_int_t
ngx_http_milvus_cdc_task_position_value(ngx_pool_t *pool, yajl_val value,
    ngx_http_milvus_cdc_task_position_t *pos, ngx_str_t *why)
{
    u_char                           *p;
    size_t                            len;
    ngx_int_t                         rc;
    ngx_str_t                         src, dst, ch;
    Milvus__Proto__Msg__MsgPosition  *mp;

    if (!YAJL_IS_STRING(value) || value->u.string[0] == '\0') {
        ngx_str_set(why, "must be a base64 string");
        return NGX_DECLINED;
    }

    src.data = (u_char *) value->u.string;
    src.len = ngx_strlen(src.data);

    dst.data = ngx_pnalloc(pool, ngx_base64_decoded_length(src.len));
    if (dst.data == NULL) {
        return NGX_ERROR;
    }

    if (ngx_decode_base64(&dst, &src) != NGX_OK) {
        ngx_str_set(why, "must be a base64 string");
        return NGX_DECLINED;
    }

    mp = milvus__proto__msg__msg_position__unpack(NULL, dst.len, dst.data);
    if (mp == NULL) {
        ngx_str_set(why, "must be a base64 msgpb.MsgPosition, it does not "
                         "decode as one");
        return NGX_DECLINED;
    }

    ch.data = (u_char *) (mp->channel_name ? mp->channel_name : "");
    ch.len = ngx_strlen(ch.data);

    if (!(ch.len == pos->vchannel.len
          && ngx_strncmp(ch.data, pos->vchannel.data, ch.len) == 0)
        && !(ch.len == pos->pchannel.len
             && ngx_strncmp(ch.data, pos->pchannel.data, ch.len) == 0))
    {
        len = sizeof("the MsgPosition's channel_name \"\" is neither the key "
                     "nor its pchannel \"\"") + ch.len + pos->pchannel.len;

        p = ngx_pnalloc(pool, len);

        rc = (p == NULL) ? NGX_ERROR : NGX_DECLINED;

        if (p) {
            why->data = p;
            why->len = ngx_snprintf(p, len, "the MsgPosition's channel_name "
                                    "\"%V\" is neither the key nor its "
                                    "pchannel \"%V\"", &ch, &pos->pchannel)
                       - p;
        }

    } else if (ngx_http_milvus_cdc_kafka_msgid_to_offset(mp->msgid.data,
                                                         mp->msgid.len,
                                                         &pos->offset)
               != NGX_OK)
    {
        len = sizeof("the MsgPosition's msgID is 18446744073709551615 bytes, "
                     "a Kafka msgID is 8");

        p = ngx_pnalloc(pool, len);

        rc = (p == NULL) ? NGX_ERROR : NGX_DECLINED;

        if (p) {
            why->data = p;
            why->len = ngx_snprintf(p, len, "the MsgPosition's msgID is %uz "
                                    "bytes, a Kafka msgID is %d",
                                    mp->msgid.len,
                                    NGX_HTTP_MILVUS_CDC_KAFKA_MSGID_LEN)
                       - p;
        }

    } else {
        pos->timestamp = mp->timestamp;
        pos->msg_id.len = mp->msgid.len;
        pos->msg_id.data = ngx_pnalloc(pool, mp->msgid.len);

        rc = (pos->msg_id.data == NULL) ? NGX_ERROR : NGX_OK;

        if (pos->msg_id.data) {
            ngx_memcpy(pos->msg_id.data, mp->msgid.data, mp->msgid.len);
        }
    }

    milvus__proto__msg__msg_position__free_unpacked(mp, NULL);

    return rc;
}


ngx_int_t
ngx_http_milvus_cdc_task_positions(ngx_pool_t *pool,
    ngx_http_milvus_cdc_task_t *task, ngx_array_t **out)
{
    size_t     i;
    yajl_val   root, v;
    ngx_int_t  rc;
    ngx_str_t  err;

    *out = NULL;

    if (task->scope_json.len == 0) {
        return NGX_DECLINED;
    }

    if (ngx_http_milvus_cdc_json_parse(pool, task->scope_json.data,
                                       task->scope_json.len, &root, &err)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    rc = NGX_OK;

    v = ngx_http_milvus_cdc_json_get(root, "collection_infos");

    if (v && YAJL_IS_ARRAY(v)) {
        rc = ngx_http_milvus_cdc_task_positions_of(pool, v, NULL, out);

    } else {
        v = ngx_http_milvus_cdc_json_get(root, "db_collections");

        for (i = 0; v && YAJL_IS_OBJECT(v) && i < v->u.object.len; i++) {
            rc = ngx_http_milvus_cdc_task_positions_of(pool,
                                                       v->u.object.values[i],
                                                       v->u.object.keys[i],
                                                       out);
            if (rc != NGX_OK) {
                break;
            }
        }
    }

    if (rc != NGX_OK) {
        return rc;
    }

    return (*out == NULL) ? NGX_DECLINED : NGX_OK;
}


/* the positions of one list of collection infos ("db" NULL: the default) */

static ngx_int_t
ngx_http_milvus_cdc_task_positions_of(ngx_pool_t *pool, yajl_val infos,
    const char *db, ngx_array_t **out)
{
    size_t                                i, j;
    yajl_val                              name, pos;
    ngx_str_t                             why;
    ngx_http_milvus_cdc_task_position_t  *p;

    if (!YAJL_IS_ARRAY(infos)) {
        return NGX_ERROR;
    }

    for (i = 0; i < infos->u.array.len; i++) {
        name = ngx_http_milvus_cdc_json_get(infos->u.array.values[i], "name");
        pos = ngx_http_milvus_cdc_json_get(infos->u.array.values[i],
                                           "positions");

        if (pos == NULL || !YAJL_IS_OBJECT(pos) || pos->u.object.len == 0) {
            continue;
        }

        if (name == NULL || !YAJL_IS_STRING(name)) {
            return NGX_ERROR;
        }

        if (*out == NULL) {
            *out = ngx_array_create(pool, 4,
                                 sizeof(ngx_http_milvus_cdc_task_position_t));
            if (*out == NULL) {
                return NGX_ERROR;
            }
        }

        for (j = 0; j < pos->u.object.len; j++) {
            p = ngx_array_push(*out);
            if (p == NULL) {
                return NGX_ERROR;
            }

            ngx_memzero(p, sizeof(ngx_http_milvus_cdc_task_position_t));

            p->db.data = (u_char *) (db ? db : "default");
            p->db.len = ngx_strlen(p->db.data);
            p->collection.data = (u_char *) name->u.string;
            p->collection.len = ngx_strlen(name->u.string);

            if (ngx_http_milvus_cdc_task_position_key(pos->u.object.keys[j], p)
                != NGX_OK
                || ngx_http_milvus_cdc_task_position_value(pool,
                                                   pos->u.object.values[j],
                                                   p, &why)
                   != NGX_OK)
            {
                return NGX_ERROR;
            }
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_milvus_cdc_task_add_line(ngx_http_milvus_cdc_parse_t *ps,
    const char *db, const char *coll)
{
    u_char  *p;
    size_t   need;

    need = ngx_strlen(db) + ngx_strlen(coll) + 2;

    if (ps->lines.len + need > ps->lines_size) {
        ps->lines_size = 2 * (ps->lines_size + need);

        p = ngx_pnalloc(ps->pool, ps->lines_size);
        if (p == NULL) {
            return NGX_ERROR;
        }

        if (ps->lines.len) {
            ngx_memcpy(p, ps->lines.data, ps->lines.len);
        }

        ps->lines.data = p;
    }

    ps->lines.len = ngx_sprintf(ps->lines.data + ps->lines.len, "%s.%s\n", db,
                                coll)
                    - ps->lines.data;

    return NGX_OK;
}


/* "*", or a Milvus name: [A-Za-z_][A-Za-z0-9_]*, at most 255 bytes */

ngx_int_t
ngx_http_milvus_cdc_task_name(ngx_http_milvus_cdc_parse_t *ps,
    const char *name, const char *path)
{
    size_t  i, n;

    n = ngx_strlen(name);

    if (n == 0) {
        return ngx_http_milvus_cdc_task_fail(ps,
                   "%s: there is a name that is empty", path);
    }

    if (n > NGX_HTTP_MILVUS_CDC_NAME_MAX) {
        return ngx_http_milvus_cdc_task_fail(ps,
                   "%s: the name is longer than 255 bytes", path);
    }

    if (n == 1 && name[0] == '*') {
        return NGX_OK;
    }

    for (i = 0; i < n; i++) {
        if (name[i] == '_' || isalpha((u_char) name[i])
            || (i && isdigit((u_char) name[i])))
        {
            continue;
        }

        return ngx_http_milvus_cdc_task_fail(ps,
                   "%s: a name must start with a letter or \"_\" and hold "
                   "only letters, digits and \"_\" (or be \"*\")", path);
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_milvus_cdc_task_scopes_overlap(ngx_str_t *a, ngx_str_t *b,
    ngx_str_t *entry)
{
    u_char  *pa, *ea, *pb, *eb, *last_a, *last_b;

    last_a = a->data + a->len;
    last_b = b->data + b->len;

    for (pa = a->data; pa < last_a; pa = ea + 1) {
        ea = ngx_strlchr(pa, last_a, '\n');
        if (ea == NULL) {
            ea = last_a;
        }

        for (pb = b->data; pb < last_b; pb = eb + 1) {
            eb = ngx_strlchr(pb, last_b, '\n');
            if (eb == NULL) {
                eb = last_b;
            }

            if (ngx_http_milvus_cdc_task_entry_match(pa, ea - pa, pb, eb - pb))
            {
                entry->data = pa;
                entry->len = ea - pa;
                return 1;
            }
        }
    }

    return 0;
}


ngx_int_t
ngx_http_milvus_cdc_task_in_scope(ngx_str_t *scope, ngx_str_t *db,
    ngx_str_t *name)
{
    u_char  *p, *eol, *dot, *last;

    last = scope->data + scope->len;

    for (p = scope->data; p < last; p = eol + 1) {
        eol = ngx_strlchr(p, last, '\n');
        if (eol == NULL) {
            eol = last;
        }

        dot = ngx_strlchr(p, eol, '.');
        if (dot == NULL) {
            continue;
        }

        if (ngx_http_milvus_cdc_task_part_match(p, dot - p, db->data,
                                                db->len)
            && ngx_http_milvus_cdc_task_part_match(dot + 1, eol - dot - 1,
                                                   name->data, name->len))
        {
            return 1;
        }
    }

    return 0;
}


/* "db.coll" entries match when each part is equal or either is "*" */

static ngx_int_t
ngx_http_milvus_cdc_task_entry_match(u_char *a, size_t alen, u_char *b,
    size_t blen)
{
    u_char  *da, *db;

    da = ngx_strlchr(a, a + alen, '.');
    db = ngx_strlchr(b, b + blen, '.');

    if (da == NULL || db == NULL) {
        return 0;
    }

    return ngx_http_milvus_cdc_task_part_match(a, da - a, b, db - b)
           && ngx_http_milvus_cdc_task_part_match(da + 1, alen - (da - a) - 1,
                                                  db + 1,
                                                  blen - (db - b) - 1);
}


/* a database or collection part: equal, or either is "*" */

static ngx_int_t
ngx_http_milvus_cdc_task_part_match(u_char *a, size_t alen, u_char *b,
    size_t blen)
{
    return (alen == 1 && a[0] == '*') || (blen == 1 && b[0] == '*')
           || (alen == blen && ngx_strncmp(a, b, alen) == 0);
}
