#!/usr/bin/env python3
"""Seeded Milvus workload generator (pymilvus 2.3).

Run with work/venv/bin/python.  URI: `source`, `target` (read from work/bench/env) or
http://host:port.  Same --seed (and the same options) -> the same data: every row is a
function of (seed, collection kind, primary key, version) only, not of batch sizes.

  workload.py --uri source full                      the whole scenario (see below)
  workload.py --uri source insert --collection c1 --rows 1000 [--kind rich_int] [--db d]
  workload.py --uri source upsert --collection c1 --rows 100 --start-pk 0 [--version 1]
  workload.py --uri source delete --collection c1 (--pks 1,2,3 | --expr 'i32 < 0')
  workload.py --uri source stream --collection c1 --seconds 30 [--rate 200] [--delete-ratio 0.2]
                                                      [--upsert]  (new rows upserted)
  workload.py --uri source stream --mix --collection c1 --seconds 40 [--rate 500]
              [--every 10 --upserts 20 --deletes 10 --retry-seconds 180 --marks FILE]
              batches of rate/10 new rows every 0.1 s; every 10th batch also an upsert of 20
              earlier live keys (a new version) and a delete of 10; failed calls are retried
              (backoff, reconnect): the stream survives a source restart
  workload.py --uri source create|index|load|release|flush|drop --collection c1 [--db d]
  workload.py --uri source drop-all                  drop every database/collection of --prefix

Collection kinds (schemas):
  rich_int  int64 pk (auto_id off), int8/16/32/64, float, double, bool, varchar, json,
            array<int64>, array<varchar>, float_vector, dynamic field; 2 shards;
            partitions p1, p2; indexes HNSW(vec) + STL_SORT(i64) + Trie(name)
  rich_str  varchar pk, partition key `tenant` (4 partitions), float, varchar, json,
            binary_vector, dynamic field; indexes BIN_IVF_FLAT + Trie(title)
  (Milvus 2.3 allows only one vector field per collection.)
  auto      int64 pk with auto_id on, varchar, float_vector; 2 shards; index IVF_FLAT

`full` does, in database `default` and in `<prefix>_db1`: creates the collections, creates
partitions, inserts in batches (spread over partitions), flushes, upserts, deletes by pk,
creates indexes, loads, deletes by expression (2.3 needs a loaded collection for that),
leaves the auto_id collections released,
creates + fills + drops a partition and a whole collection, and flushes again.
Prints a JSON summary (what was done, expected row counts) on stdout.
"""
import argparse
import json
import random
import sys
import time

from benchlib import resolve_uri

from pymilvus import (Collection, CollectionSchema, DataType, FieldSchema, connections, db,
                      utility)

ALIAS = "wl"


# ---------------------------------------------------------------------------- schemas
def schema_for(kind, dim):
    bdim = max(8, (dim + 7) // 8 * 8)
    if kind == "rich_int":
        fields = [
            FieldSchema("id", DataType.INT64, is_primary=True, auto_id=False),
            FieldSchema("i8", DataType.INT8),
            FieldSchema("i16", DataType.INT16),
            FieldSchema("i32", DataType.INT32),
            FieldSchema("i64", DataType.INT64),
            FieldSchema("f32", DataType.FLOAT),
            FieldSchema("f64", DataType.DOUBLE),
            FieldSchema("flag", DataType.BOOL),
            FieldSchema("name", DataType.VARCHAR, max_length=128),
            FieldSchema("meta", DataType.JSON),
            FieldSchema("tags", DataType.ARRAY, element_type=DataType.INT64, max_capacity=8),
            FieldSchema("labels", DataType.ARRAY, element_type=DataType.VARCHAR, max_capacity=4,
                        max_length=32),
            FieldSchema("vec", DataType.FLOAT_VECTOR, dim=dim),
        ]
        return CollectionSchema(fields, description="workload rich_int", enable_dynamic_field=True), \
            dict(shards_num=2)
    if kind == "rich_str":
        fields = [
            FieldSchema("pk", DataType.VARCHAR, is_primary=True, auto_id=False, max_length=64),
            FieldSchema("tenant", DataType.INT64, is_partition_key=True),
            FieldSchema("score", DataType.FLOAT),
            FieldSchema("title", DataType.VARCHAR, max_length=256),
            FieldSchema("doc", DataType.JSON),
            FieldSchema("bvec", DataType.BINARY_VECTOR, dim=bdim),
        ]  # Milvus 2.3 allows one vector field per collection
        return CollectionSchema(fields, description="workload rich_str", enable_dynamic_field=True), \
            dict(shards_num=1, num_partitions=4)
    if kind == "auto":
        fields = [
            FieldSchema("id", DataType.INT64, is_primary=True, auto_id=True),
            FieldSchema("label", DataType.VARCHAR, max_length=64),
            FieldSchema("vec", DataType.FLOAT_VECTOR, dim=dim),
        ]
        return CollectionSchema(fields, description="workload auto_id"), dict(shards_num=2)
    raise SystemExit("unknown kind %r" % kind)


INDEXES = {
    "rich_int": [
        ("vec", {"index_type": "HNSW", "metric_type": "L2", "params": {"M": 8, "efConstruction": 32}}),
        ("i64", {"index_type": "STL_SORT"}),
        ("name", {"index_type": "Trie"}),
    ],
    "rich_str": [
        ("bvec", {"index_type": "BIN_IVF_FLAT", "metric_type": "HAMMING", "params": {"nlist": 16}}),
        ("title", {"index_type": "Trie"}),
    ],
    "auto": [
        ("vec", {"index_type": "IVF_FLAT", "metric_type": "L2", "params": {"nlist": 8}}),
    ],
}


def pk_value(kind, n):
    return "k%08d" % n if kind == "rich_str" else n


# ---------------------------------------------------------------------------- rows
def make_row(kind, seed, n, dim, version=0):
    """Row number n (the pk for int kinds) of a collection kind; deterministic."""
    r = random.Random("%s:%s:%d:%d" % (seed, kind, n, version))
    vec = [round(r.uniform(-1, 1), 6) for _ in range(dim)]
    if kind == "rich_int":
        row = {
            "id": n,
            "i8": r.randint(-128, 127),
            "i16": r.randint(-32768, 32767),
            "i32": r.randint(-2**31, 2**31 - 1),
            "i64": r.randint(-2**63, 2**63 - 1),
            "f32": round(r.uniform(-1e3, 1e3), 3),
            "f64": r.uniform(-1e9, 1e9),
            "flag": r.random() < 0.5,
            "name": "name-%d-v%d-%s" % (n, version, "x" * r.randint(0, 40)),
            "meta": {"n": n, "v": version, "s": "s%d" % r.randint(0, 99),
                     "arr": [r.randint(0, 9) for _ in range(r.randint(0, 4))],
                     "nested": {"x": r.randint(0, 1000)}},
            "tags": [r.randint(-1000, 1000) for _ in range(r.randint(0, 8))],
            "labels": ["l%d" % r.randint(0, 999) for _ in range(r.randint(0, 4))],
            "vec": vec,
        }
        if n % 3 == 0:                         # dynamic fields on some rows
            row["dyn_int"] = r.randint(0, 10**6)
        if n % 5 == 0:
            row["dyn_str"] = "d%d" % r.randint(0, 10**6)
        return row
    if kind == "rich_str":
        bdim = max(8, (dim + 7) // 8 * 8)
        row = {
            "pk": pk_value(kind, n),
            "tenant": r.randint(0, 999),
            "score": round(r.uniform(0, 100), 3),
            "title": "title %d v%d %s" % (n, version, "y" * r.randint(0, 80)),
            "doc": {"n": n, "v": version, "tags": ["t%d" % r.randint(0, 9) for _ in range(3)]},
            "bvec": bytes(r.getrandbits(8) for _ in range(bdim // 8)),
        }
        if n % 4 == 0:
            row["extra"] = {"k": r.randint(0, 9)}
        return row
    if kind == "auto":
        return {"label": "auto-%d-v%d" % (n, version), "vec": vec}
    raise SystemExit("unknown kind %r" % kind)


# ---------------------------------------------------------------------------- helpers
def log(*a):
    print("[workload]", *a, file=sys.stderr, flush=True)


def use(uri, dbname):
    try:
        connections.disconnect(ALIAS)
    except Exception:
        pass
    connections.connect(ALIAS, uri=uri, db_name=dbname or "default", timeout=30)


def ensure_db(uri, dbname):
    if dbname and dbname != "default":
        use(uri, "default")
        if dbname not in db.list_database(using=ALIAS):
            db.create_database(dbname, using=ALIAS)
            log("created database", dbname)
    use(uri, dbname)


def get_or_create(name, kind, dim):
    if utility.has_collection(name, using=ALIAS):
        return Collection(name, using=ALIAS)
    schema, kw = schema_for(kind, dim)
    c = Collection(name, schema, using=ALIAS, **kw)
    log("created collection", name, "kind", kind, kw)
    return c


def kind_of(coll):
    d = coll.description or ""
    for k in ("rich_int", "rich_str", "auto_id"):
        if d.endswith(k):
            return "auto" if k == "auto_id" else k
    raise SystemExit("collection %s was not made by workload.py (description %r)" % (coll.name, d))


def insert_rows(coll, kind, seed, dim, start, count, batches, partitions=None, version=0):
    """Insert rows start..start+count-1 in `batches` batches, cycling over `partitions`."""
    batches = max(1, min(batches, count)) if count else 1
    per = (count + batches - 1) // batches if count else 0
    done = 0
    ids = []
    b = 0
    while done < count:
        n = min(per, count - done)
        rows = [make_row(kind, seed, start + done + i, dim, version) for i in range(n)]
        part = partitions[b % len(partitions)] if partitions else None
        res = coll.insert(rows, partition_name=part)
        ids.extend(res.primary_keys)
        done += n
        b += 1
    return ids


def create_indexes(coll, kind):
    have = {i.field_name for i in coll.indexes}
    for field, params in INDEXES[kind]:
        if field not in have:
            coll.create_index(field, params, index_name="idx_" + field)
    for field, _ in INDEXES[kind]:
        utility.wait_for_index_building_complete(coll.name, index_name="idx_" + field, using=ALIAS)


def try_delete_expr(coll, expr, fallback_pks):
    try:
        res = coll.delete(expr)
        return {"expr": expr, "deleted": res.delete_count}
    except Exception as e:  # complex delete expressions need a newer server
        log("delete by expression %r refused (%s); deleting by pk instead" % (expr, e))
        res = coll.delete("%s in %s" % (coll.schema.primary_field.name, json.dumps(fallback_pks)))
        return {"expr": None, "fallback_pks": len(fallback_pks), "deleted": res.delete_count}


# ---------------------------------------------------------------------------- scenario
def scenario_collection(uri, dbname, name, kind, a, summary):
    """The full life of one collection; returns the expected final row count."""
    ensure_db(uri, dbname)
    c = get_or_create(name, kind, a.dim)
    rows, batches, seed = a.rows, a.batches, a.seed
    parts = None
    if kind == "rich_int":
        for p in ("p1", "p2"):
            if not c.has_partition(p):
                c.create_partition(p)
        parts = ["_default", "p1", "p2"]
    half = rows // 2
    ids = insert_rows(c, kind, seed, a.dim, 0, half, max(1, batches // 2), parts)
    c.flush()                                         # sealed segments ...
    ids += insert_rows(c, kind, seed, a.dim, half, rows - half, max(1, batches - batches // 2),
                       parts)                         # ... and growing ones
    info = {"db": dbname, "collection": name, "kind": kind, "inserted": len(ids)}
    expected = len(ids)
    expr_delete = None
    if kind != "auto" and rows >= 20:
        # upsert 10% (new version of existing rows) + 2 new rows
        up_n = rows // 10
        up_rows = [make_row(kind, seed, i, a.dim, version=1) for i in range(rows // 4, rows // 4 + up_n)]
        up_rows += [make_row(kind, seed, rows + i, a.dim, version=1) for i in range(2)]
        if kind == "rich_int":  # upsert each row into the partition that holds it
            up_count = upsert_rich_int(c, up_rows, half, rows, batches, parts)
        else:
            up_count = c.upsert(up_rows).upsert_count
        expected += 2
        info["upserted"] = up_count
        # delete 5% by pk
        del_pks = [pk_value(kind, i) for i in range(0, rows, 20)]
        pkf = c.schema.primary_field.name
        res = c.delete("%s in %s" % (pkf, json.dumps(del_pks)))
        info["deleted_by_pk"] = res.delete_count
        expected -= len(del_pks)
        # delete by expression: a pk range that does not overlap the deleted pks' stride
        lo, hi = rows // 2 + 1, rows // 2 + 1 + max(1, rows // 50)
        rng_pks = [pk_value(kind, i) for i in range(lo, hi) if i % 20 != 0]
        if kind == "rich_int":
            expr = "id >= %d and id < %d" % (lo, hi)
        else:
            expr = "pk >= \"%s\" and pk < \"%s\"" % (pk_value(kind, lo), pk_value(kind, hi))
        expr_delete = (expr, rng_pks)
    elif kind == "auto" and len(ids) >= 10:
        del_pks = ids[::10]
        res = c.delete("id in %s" % json.dumps(del_pks))
        info["deleted_by_pk"] = res.delete_count
        expected -= len(del_pks)
    create_indexes(c, kind)
    info["indexes"] = [i.field_name for i in c.indexes]
    if kind != "auto":
        c.load()
        if expr_delete:
            info["deleted_by_expr"] = try_delete_expr(c, *expr_delete)
            expected -= len(expr_delete[1])
    info["expected_rows"] = expected
    summary["collections"].append(info)
    return c


def upsert_rich_int(c, up_rows, half, rows, batches, parts):
    """Upsert rows of rich_int, each into the partition insert_rows put it in."""
    def part_of(n):
        if n < half:
            nb = max(1, min(max(1, batches // 2), half))
            per = (half + nb - 1) // nb
            return parts[(n // per) % len(parts)]
        m = rows - half
        nb = max(1, min(max(1, batches - batches // 2), m))
        per = (m + nb - 1) // nb
        if n >= rows:
            return "_default"
        return parts[((n - half) // per) % len(parts)]
    groups = {}
    for row in up_rows:
        groups.setdefault(part_of(row["id"]), []).append(row)
    total = 0
    for p, rs in sorted(groups.items()):
        total += c.upsert(rs, partition_name=p).upsert_count
    return total


def cmd_full(a, uri):
    summary = {"seed": a.seed, "rows": a.rows, "batches": a.batches, "dim": a.dim, "collections": [],
               "dropped": []}
    t0 = time.time()
    p = a.prefix
    db1 = "%s_db1" % p
    plan = [("default", "%s_rich_int" % p, "rich_int"),
            ("default", "%s_rich_str" % p, "rich_str"),
            ("default", "%s_auto" % p, "auto"),
            (db1, "%s_rich_int" % p, "rich_int"),
            (db1, "%s_auto" % p, "auto")]
    colls = {}
    for dbname, name, kind in plan:
        colls[(dbname, name)] = scenario_collection(uri, dbname, name, kind, a, summary)
    # a partition that is created, filled and dropped
    ensure_db(uri, "default")
    c = Collection("%s_rich_int" % p, using=ALIAS)
    c.create_partition("p_tmp")
    insert_rows(c, "rich_int", a.seed, a.dim, 10**6, min(50, a.rows), 1, ["p_tmp"])
    c.partition("p_tmp").release()  # a partition made in a loaded collection is loaded too
    c.drop_partition("p_tmp")
    summary["dropped"].append("default.%s_rich_int/p_tmp" % p)
    # a collection that is created, filled, indexed, loaded and dropped
    ensure_db(uri, db1)
    tmp = get_or_create("%s_dropme" % p, "auto", a.dim)
    insert_rows(tmp, "auto", a.seed, a.dim, 0, min(100, a.rows), 2)
    create_indexes(tmp, "auto")
    tmp.load()
    tmp.release()
    tmp.drop()
    summary["dropped"].append("%s.%s_dropme" % (db1, p))
    # load states: rich_int/rich_str were loaded, auto collections stay released; flush all
    for (dbname, name), coll in colls.items():
        ensure_db(uri, dbname)
        coll = Collection(name, using=ALIAS)
        coll.flush()
    summary["seconds"] = round(time.time() - t0, 1)
    print(json.dumps(summary, indent=1))


def open_coll(a, uri, create_kind=None):
    ensure_db(uri, a.db)
    if create_kind:
        return get_or_create(a.collection, create_kind, a.dim)
    if not utility.has_collection(a.collection, using=ALIAS):
        raise SystemExit("no collection %s in database %s" % (a.collection, a.db))
    return Collection(a.collection, using=ALIAS)


def cmd_create(a, uri):
    c = open_coll(a, uri, a.kind)
    print(json.dumps({"collection": c.name, "kind": a.kind}))


def cmd_insert(a, uri):
    c = open_coll(a, uri, a.kind)
    kind = kind_of(c)
    ids = insert_rows(c, kind, a.seed, a.dim, a.start_pk, a.rows, a.batches,
                      [a.partition] if a.partition else None, a.version)
    if a.flush:
        c.flush()
    print(json.dumps({"collection": c.name, "inserted": len(ids),
                      "first": ids[0] if ids else None, "last": ids[-1] if ids else None}))


def cmd_upsert(a, uri):
    c = open_coll(a, uri)
    kind = kind_of(c)
    rows = [make_row(kind, a.seed, a.start_pk + i, a.dim, a.version) for i in range(a.rows)]
    res = c.upsert(rows, partition_name=a.partition)
    print(json.dumps({"collection": c.name, "upserted": res.upsert_count}))


def cmd_delete(a, uri):
    c = open_coll(a, uri)
    if a.expr:
        expr = a.expr
    else:
        kind = kind_of(c)
        pks = [pk_value(kind, int(x)) for x in a.pks.split(",") if x.strip()]
        expr = "%s in %s" % (c.schema.primary_field.name, json.dumps(pks))
    res = c.delete(expr, partition_name=a.partition)
    print(json.dumps({"collection": c.name, "expr": expr, "deleted": res.delete_count}))


def cmd_stream(a, uri):
    """Continuous inserts, or upserts of new keys with --upsert (and deletes of
    earlier rows), for --seconds."""
    if a.mix:
        return cmd_stream_mix(a, uri)
    c = open_coll(a, uri, a.kind)
    kind = kind_of(c)
    r = random.Random("%s:stream" % a.seed)
    t_end = time.time() + a.seconds
    n = a.start_pk
    live = []
    ins = dels = 0
    batch = max(1, a.rate // 10)
    while time.time() < t_end:
        t0 = time.time()
        rows = [make_row(kind, a.seed, n + i, a.dim, a.version) for i in range(batch)]
        res = c.upsert(rows) if a.upsert else c.insert(rows)
        live.extend(res.primary_keys)
        n += batch
        ins += batch
        k = int(batch * a.delete_ratio)
        if k and len(live) > k * 4:
            victims = [live.pop(r.randrange(len(live))) for _ in range(k)]
            c.delete("%s in %s" % (c.schema.primary_field.name, json.dumps(victims)))
            dels += k
        time.sleep(max(0.0, 0.1 - (time.time() - t0)))
    print(json.dumps({"collection": c.name, "inserted": ins, "deleted": dels, "next_pk": n,
                      "expected_rows_added": ins - dels}))


class Retrier:
    """Calls that survive an unavailable source: retried with a growing delay, after a
    reconnect, for at most `budget` seconds per call."""

    def __init__(self, uri, dbname, budget):
        self.uri, self.dbname, self.budget = uri, dbname, budget
        self.retries = 0
        self.outage = 0.0     # seconds spent retrying

    def reconnect(self):
        try:
            connections.disconnect(ALIAS)
        except Exception:
            pass
        try:
            connections.connect(ALIAS, uri=self.uri, db_name=self.dbname or "default", timeout=5)
        except Exception as e:
            log("reconnect failed: %s" % str(e).splitlines()[0][:200])

    def call(self, what, first, again=None):
        """first(); after a failure, again() (default: first) until one succeeds."""
        t0 = time.time()
        delay = 0.2
        fn = first
        failed = False
        while True:
            try:
                res = fn()
                if failed:
                    self.outage += time.time() - t0
                return res
            except Exception as e:
                if time.time() - t0 > self.budget:
                    raise
                failed = True
                self.retries += 1
                log("%s failed (%s); retrying in %.1f s"
                    % (what, str(e).splitlines()[0][:200], delay))
                time.sleep(delay)
                delay = min(delay * 2, 3.0)
                fn = again or first
                self.reconnect()


def cmd_stream_mix(a, uri):
    """The fault matrix's stream: inserts, upserts of earlier keys, deletes.

    Every tick (0.1 s) inserts rate/10 new keys; every --every-th tick also upserts
    --upserts earlier live keys with a new version and deletes --deletes earlier live keys.
    A call that fails is retried; an insert whose outcome is unknown is retried as an upsert
    of the same rows, so that the rows are there once either way.  Prints a JSON summary
    with the number of live keys (the expected count(*))."""
    c = open_coll(a, uri, a.kind)   # (the object fetches its connection at each call)
    kind = kind_of(c)
    if kind == "auto":
        raise SystemExit("stream --mix needs a collection with explicit primary keys")
    pkf = "id" if kind == "rich_int" else "pk"
    rt = Retrier(uri, a.db, a.retry_seconds)
    r = random.Random("%s:stream-mix" % a.seed)
    batch = max(1, a.rate // 10)
    live, where, version = [], {}, {}

    def add(pk):
        where[pk] = len(live)
        live.append(pk)

    def remove(pk):
        i = where.pop(pk)
        last = live.pop()
        if i < len(live):
            live[i] = last
            where[last] = i

    marks = open(a.marks, "a") if a.marks else None
    n = a.start_pk
    stats = {"batches": 0, "inserted": 0, "upserted": 0, "deleted": 0,
             "inserts_retried_as_upserts": 0}
    t_start = time.time()
    t_end = t_start + a.seconds
    while time.time() < t_end:
        t0 = time.time()
        keys = list(range(n, n + batch))
        rows = [make_row(kind, a.seed, k, a.dim, a.version) for k in keys]
        retried = []

        def upsert_instead():
            if not retried:
                retried.append(1)
                stats["inserts_retried_as_upserts"] += 1
            return c.upsert(rows, timeout=10)
        rt.call("insert of %d..%d" % (keys[0], keys[-1]),
                lambda: c.insert(rows, timeout=10), upsert_instead)
        for k in keys:
            add(pk_value(kind, k))
            version[pk_value(kind, k)] = a.version
        n += batch
        stats["inserted"] += batch
        stats["batches"] += 1
        if stats["batches"] % a.every == 0 and len(live) > a.upserts + a.deletes:
            ups = r.sample(live, a.upserts)
            up_rows = []
            for pk in ups:
                version[pk] += 1
                num = int(pk[1:]) if kind == "rich_str" else pk
                up_rows.append(make_row(kind, a.seed, num, a.dim, version[pk]))
            rt.call("upsert of %d keys" % len(up_rows),
                    lambda: c.upsert(up_rows, timeout=10))
            if marks:
                marks.write("upsert %.3f\n" % time.time())
                marks.flush()
            stats["upserted"] += len(up_rows)
            dels = r.sample(live, a.deletes)
            expr = "%s in %s" % (pkf, json.dumps(dels))
            rt.call("delete of %d keys" % len(dels), lambda: c.delete(expr, timeout=10))
            for pk in dels:
                remove(pk)
            stats["deleted"] += len(dels)
        time.sleep(max(0.0, 0.1 - (time.time() - t0)))
    stats.update({"collection": a.collection, "next_pk": n, "expected_rows": len(live),
                  "retries": rt.retries, "seconds_retrying": round(rt.outage, 1),
                  "seconds": round(time.time() - t_start, 1),
                  "ended_epoch": round(time.time(), 3)})
    print(json.dumps(stats))


def cmd_simple(a, uri):
    if a.cmd == "drop":
        ensure_db(uri, a.db)
        if not utility.has_collection(a.collection, using=ALIAS):
            print(json.dumps({"collection": a.collection, "db": a.db, "done": "nothing to drop"}))
            return
    c = open_coll(a, uri, a.kind if a.cmd in ("index",) and a.kind else None)
    if a.cmd == "index":
        create_indexes(c, kind_of(c))
    elif a.cmd == "load":
        c.load()
    elif a.cmd == "release":
        c.release()
    elif a.cmd == "flush":
        c.flush()
    elif a.cmd == "drop":
        c.drop()
    print(json.dumps({"collection": a.collection, "db": a.db, "done": a.cmd}))


def cmd_drop_all(a, uri):
    use(uri, "default")
    dropped = []
    for dbname in db.list_database(using=ALIAS):
        if dbname != "default" and not dbname.startswith(a.prefix + "_"):
            continue
        use(uri, dbname)
        for name in utility.list_collections(using=ALIAS):
            if dbname != "default" or name.startswith(a.prefix + "_"):
                Collection(name, using=ALIAS).drop()
                dropped.append("%s.%s" % (dbname, name))
        if dbname != "default":
            use(uri, "default")
            db.drop_database(dbname, using=ALIAS)
            dropped.append(dbname)
    print(json.dumps({"dropped": dropped}))


def pb_fields(buf):
    """(field number, wire type, value) of a protobuf message: varints as int,
    length-delimited fields as bytes (enough for msgpb.MsgPosition)."""
    i, out = 0, []
    while i < len(buf):
        key, i = pb_varint(buf, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = pb_varint(buf, i)
        elif wt == 2:
            n, i = pb_varint(buf, i)
            v, i = buf[i:i + n], i + n
        else:
            raise ValueError("wire type %d" % wt)
        out.append((num, wt, v))
    return out


def pb_varint(buf, i):
    v = shift = 0
    while True:
        b = buf[i]
        i += 1
        v |= (b & 0x7f) << shift
        shift += 7
        if not b & 0x80:
            return v, i


def etcd_range(endpoint, prefix):
    """{key: value} of the etcd keys under prefix, by etcd's v3 JSON gateway."""
    import base64
    import urllib.request
    end = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    body = json.dumps({"key": base64.b64encode(prefix.encode()).decode(),
                       "range_end": base64.b64encode(end.encode()).decode()}).encode()
    req = urllib.request.Request("http://%s/v3/kv/range" % endpoint, data=body)
    with urllib.request.urlopen(req, timeout=10) as r:
        kvs = json.load(r).get("kvs") or []
    return dict((base64.b64decode(kv["key"]).decode(), base64.b64decode(kv.get("value", "")))
                for kv in kvs)


def cmd_positions(a, uri):
    """The source's channel checkpoints of a collection, as a create request's
    collection_infos[].positions ({vchannel: base64 msgpb.MsgPosition}): what
    DataCoord keeps at <root>/meta/datacoord-meta/channel-cp/<vchannel> (the
    positions milvus-backup records).  Flushes first and waits until every
    checkpoint is at or after the flush (MsgPosition.timestamp, field 4), so
    that every row inserted before this command lies before the positions."""
    import base64
    from benchlib import read_env
    env = read_env()
    c = open_coll(a, uri)
    now = int(time.time() * 1000) << 18
    c.flush()
    info = c.describe()
    coll_id, shards = info["collection_id"], info.get("num_shards", 1)
    prefix = "%s/meta/datacoord-meta/channel-cp/" % env["SOURCE_ROOT_PATH"]
    deadline = time.time() + a.seconds
    while True:
        cps = dict((k[len(prefix):], v)
                   for k, v in etcd_range(env["ETCD_ENDPOINTS"], prefix).items()
                   if k.rsplit("_", 1)[-1].split("v")[0] == str(coll_id))
        ts = dict((vc, dict((n, val) for n, _, val in pb_fields(v)).get(4, 0))
                  for vc, v in cps.items())
        if len(cps) == shards and all(t >= now for t in ts.values()):
            break
        if time.time() > deadline:
            raise SystemExit("channel checkpoints of collection %d not past the flush after "
                             "%.0f s: %r (flush at %d)" % (coll_id, a.seconds, ts, now))
        time.sleep(0.5)
    out = dict((vc, base64.b64encode(v).decode()) for vc, v in cps.items())
    print(json.dumps(out))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--uri", default="source", help="source | target | http://host:port")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--rows", type=int, default=2000, help="rows per collection / per command")
    ap.add_argument("--batches", type=int, default=4, help="insert batches")
    ap.add_argument("--dim", type=int, default=16, help="vector dimension")
    ap.add_argument("--prefix", default="wl", help="name prefix of what `full` creates")
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("full")
    sub.add_parser("drop-all")
    for name in ("create", "insert", "upsert", "delete", "stream", "index", "load", "release",
                 "flush", "drop", "positions"):
        p = sub.add_parser(name)
        p.add_argument("--collection", required=True)
        p.add_argument("--db", default="default")
        p.add_argument("--kind", default="rich_int" if name in ("create", "insert", "stream") else None,
                       choices=["rich_int", "rich_str", "auto"])
        p.add_argument("--partition", default=None)
        p.add_argument("--start-pk", type=int, default=0)
        p.add_argument("--version", type=int, default=0, help="row version (upsert: use >0)")
        p.add_argument("--rows", type=int, dest="rows_sub", default=None)
        p.add_argument("--batches", type=int, dest="batches_sub", default=None)
        p.add_argument("--flush", action="store_true")
        p.add_argument("--pks", default="")
        p.add_argument("--expr", default="")
        p.add_argument("--seconds", type=float, default=10)
        p.add_argument("--rate", type=int, default=200, help="stream: rows per second")
        p.add_argument("--delete-ratio", type=float, default=0.2)
        p.add_argument("--upsert", action="store_true",
                       help="stream: upsert the new rows instead of inserting them")
        p.add_argument("--mix", action="store_true",
                       help="stream: inserts, and every --every batches upserts and deletes of "
                            "earlier keys; survives an unavailable source")
        p.add_argument("--every", type=int, default=10, help="stream --mix: batches per upsert")
        p.add_argument("--upserts", type=int, default=20, help="stream --mix: keys per upsert")
        p.add_argument("--deletes", type=int, default=10, help="stream --mix: keys per delete")
        p.add_argument("--retry-seconds", type=float, default=180,
                       help="stream --mix: how long one call is retried")
        p.add_argument("--marks", default=None,
                       help="stream --mix: append 'upsert <epoch>' to this file after each "
                            "upsert (for fault tests timing a fault after an upsert)")
    a = ap.parse_args(argv)
    if getattr(a, "rows_sub", None) is not None:
        a.rows = a.rows_sub
    if getattr(a, "batches_sub", None) is not None:
        a.batches = a.batches_sub
    uri = resolve_uri(a.uri)
    use(uri, "default")
    {"full": cmd_full, "drop-all": cmd_drop_all, "create": cmd_create, "insert": cmd_insert,
     "upsert": cmd_upsert, "delete": cmd_delete, "stream": cmd_stream,
     "positions": cmd_positions}.get(a.cmd, cmd_simple)(a, uri)


if __name__ == "__main__":
    main()
