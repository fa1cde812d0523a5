#!/usr/bin/env python3
"""Compare two Milvus instances (pymilvus 2.3); exit 0 when equal, 1 with a report of each
difference, 2 on usage/connection errors.

  diff.py source target                          every database and collection
  diff.py source target --wait 120               poll until equal or 120 s passed
  diff.py source source --db-a d1 --db-b d2      database d1 of A against database d2 of B
  diff.py A B --db default --collection c1       only these (repeatable options)
  diff.py A B --collection c1 --wait 120 --counts-first
                                                 first poll count(*) until equal (cheap), then
                                                 compare everything (convergence timings)

A and B: `source` / `target` (addresses from work/bench/env) or http://host:port.

Compared: the database list; per database the collection list and the aliases (alias ->
collection name, of the collections compared); per collection the schema
(field names and order, types, element types, params such as dim/max_length/max_capacity,
primary key, auto_id, partition key, dynamic field, description), shards, number of
partitions (partition-key collections), consistency level, properties, partitions,
indexes (field, name, type, metric, params), load state, row count (query `count(*)`) and
the full content row by row by primary key (query iterator over all fields, incl. dynamic
fields).  Rows and counts need the collection loaded on both sides; a collection loaded on
neither side has its content compared only with --load-for-rows (loads, then releases).

Consistency: queries use --consistency (default Bounded).  A target fed by replicated time
ticks (ttMsgEnabled=false) only serves reads up to the last replicated tick, so Strong can
block there; Bounded/Eventually do not (notes §7.8).  With --wait the comparison is repeated
until equal, which absorbs the staleness of Bounded.
"""
import argparse
import math
import struct
import sys
import time

from benchlib import resolve_uri

from pymilvus import Collection, connections, db, utility
from pymilvus.client.types import LoadState


def conn(alias, uri, dbname):
    try:
        connections.disconnect(alias)
    except Exception:
        pass
    connections.connect(alias, uri=uri, db_name=dbname, timeout=30)
    return alias


def norm_type(t):
    return getattr(t, "name", str(t))


def describe(alias, name):
    c = Collection(name, using=alias)
    d = c.describe()
    fields = []
    for f in d["fields"]:
        fields.append({
            "name": f["name"],
            "type": norm_type(f["type"]),
            "element_type": norm_type(f["element_type"]) if f.get("element_type") else None,
            "params": {k: v for k, v in sorted((f.get("params") or {}).items())},
            "is_primary": bool(f.get("is_primary")),
            "auto_id": bool(f.get("auto_id")) or (bool(f.get("is_primary")) and bool(d.get("auto_id"))),
            "is_partition_key": bool(f.get("is_partition_key")),
            "description": f.get("description", ""),
        })
    info = {
        "fields": fields,
        "auto_id": bool(d.get("auto_id")),
        "enable_dynamic_field": bool(d.get("enable_dynamic_field")),
        "description": d.get("description", ""),
        "num_shards": d.get("num_shards"),
        "num_partitions": d.get("num_partitions"),
        "consistency_level": d.get("consistency_level"),
        "properties": dict(d.get("properties") or {}),
        "aliases": sorted(d.get("aliases") or []),
        "partitions": sorted(p.name for p in c.partitions),
        "indexes": {},
        "load_state": None,
    }
    for idx in c.indexes:
        p = dict(idx.params)
        info["indexes"][idx.field_name] = {
            "index_name": idx.index_name,
            "index_type": p.pop("index_type", None),
            "metric_type": p.pop("metric_type", None),
            "params": normalize_params(p.pop("params", {})),
            "other": normalize_params(p),
        }
    st = utility.load_state(name, using=alias)
    info["load_state"] = st.name if hasattr(st, "name") else str(st)
    return c, info


def normalize_params(p):
    if isinstance(p, str):
        import json
        try:
            p = json.loads(p)
        except ValueError:
            return p
    if isinstance(p, dict):
        return {str(k): normalize_params(v) for k, v in sorted(p.items())}
    if isinstance(p, str) and p.lstrip("-").isdigit():
        return int(p)
    return p


# ------------------------------------------------------------------ content
def f32(x):
    return struct.unpack("f", struct.pack("f", x))[0]


def norm_value(v, ftype):
    if ftype == "FLOAT" and isinstance(v, float):
        return f32(v)
    if ftype == "FLOAT_VECTOR" and isinstance(v, list):
        return [f32(x) for x in v]
    if ftype == "BINARY_VECTOR":
        if isinstance(v, list) and len(v) == 1 and isinstance(v[0], (bytes, bytearray)):
            v = v[0]
        if isinstance(v, (bytes, bytearray)):
            return bytes(v).hex()
    return v


def same(a, b):
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    return a == b


# every query is bounded (--query-timeout): a side that cannot serve the consistency asked
# (a target whose replicated time ticks stopped, with Bounded) is a difference, not a hang
QUERY_TIMEOUT = 60


def fetch_rows(coll, info, consistency, batch):
    pk = next(f["name"] for f in info["fields"] if f["is_primary"])
    types = {f["name"]: f["type"] for f in info["fields"]}
    it = coll.query_iterator(batch_size=batch, output_fields=["*"], consistency_level=consistency,
                             timeout=QUERY_TIMEOUT)
    rows = {}
    try:
        while True:
            res = it.next()
            if not res:
                break
            for r in res:
                rows[r[pk]] = {k: norm_value(v, types.get(k)) for k, v in r.items()}
    finally:
        it.close()
    return pk, rows


def count_rows(coll, consistency):
    res = coll.query(expr="", output_fields=["count(*)"], consistency_level=consistency,
                     timeout=QUERY_TIMEOUT)
    return res[0]["count(*)"]


def short(v, n=80):
    s = repr(v)
    return s if len(s) <= n else s[:n] + "..."


# ------------------------------------------------------------------ comparison
class Report:
    def __init__(self):
        self.lines = []

    def add(self, where, text):
        self.lines.append("%s: %s" % (where, text))


def cmp_schema(rep, where, a, b):
    an = [f["name"] for f in a["fields"]]
    bn = [f["name"] for f in b["fields"]]
    for n in an:
        if n not in bn:
            rep.add(where, "schema field '%s' only in A" % n)
    for n in bn:
        if n not in an:
            rep.add(where, "schema field '%s' only in B" % n)
    common = [n for n in an if n in bn]
    if [n for n in an if n in common] != [n for n in bn if n in common]:
        rep.add(where, "schema field order differs: A=%s B=%s" % (an, bn))
    fa = {f["name"]: f for f in a["fields"]}
    fb = {f["name"]: f for f in b["fields"]}
    for n in common:
        x, y = fa[n], fb[n]
        for k in ("type", "element_type", "is_primary", "auto_id", "is_partition_key", "description"):
            if x[k] != y[k]:
                rep.add(where, "schema field '%s' %s: A=%s B=%s" % (n, k, x[k], y[k]))
        for k in sorted(set(x["params"]) | set(y["params"])):
            if str(x["params"].get(k)) != str(y["params"].get(k)):
                rep.add(where, "schema field '%s' param %s: A=%s B=%s"
                        % (n, k, x["params"].get(k), y["params"].get(k)))
    for k in ("auto_id", "enable_dynamic_field", "description", "num_shards", "num_partitions",
              "consistency_level", "properties"):
        if a[k] != b[k]:
            label = {"num_shards": "shards", "enable_dynamic_field": "dynamic field"}.get(k, k)
            rep.add(where, "%s: A=%s B=%s" % (label, a[k], b[k]))
    pa, pb = set(a["partitions"]), set(b["partitions"])
    for p in sorted(pa - pb):
        rep.add(where, "partition '%s' only in A" % p)
    for p in sorted(pb - pa):
        rep.add(where, "partition '%s' only in B" % p)
    ia, ib = a["indexes"], b["indexes"]
    for f in sorted(set(ia) - set(ib)):
        rep.add(where, "index on field '%s' only in A (%s %s)" % (f, ia[f]["index_type"], ia[f]["params"]))
    for f in sorted(set(ib) - set(ia)):
        rep.add(where, "index on field '%s' only in B (%s %s)" % (f, ib[f]["index_type"], ib[f]["params"]))
    for f in sorted(set(ia) & set(ib)):
        for k in ("index_name", "index_type", "metric_type", "params", "other"):
            if ia[f][k] != ib[f][k]:
                rep.add(where, "index on field '%s' %s: A=%s B=%s" % (f, k, ia[f][k], ib[f][k]))
    if a["load_state"] != b["load_state"]:
        rep.add(where, "load state: A=%s B=%s" % (a["load_state"], b["load_state"]))


def cmp_content(rep, where, ca, ia, cb, ib, args):
    loaded = (ia["load_state"] == "Loaded", ib["load_state"] == "Loaded")
    temp = []
    if not all(loaded):
        if any(loaded) or not args.load_for_rows:
            if not any(loaded):
                rep.notes.append("%s: not loaded on either side; content not compared "
                                 "(use --load-for-rows)" % where)
            return
        for c in (ca, cb):
            c.load()
            temp.append(c)
    try:
        na, nb = count_rows(ca, args.consistency), count_rows(cb, args.consistency)
        if na != nb:
            rep.add(where, "row count (count(*)): A=%d B=%d" % (na, nb))
        if args.no_rows:
            return
        pk, ra = fetch_rows(ca, ia, args.consistency, args.batch)
        _, rb = fetch_rows(cb, ib, args.consistency, args.batch)
        n = 0
        limit = args.max_row_diffs

        def add(text):
            nonlocal n
            n += 1
            if n <= limit:
                rep.add(where, text)
        for k in sorted(set(ra) - set(rb), key=str):
            add("row %s=%s only in A" % (pk, short(k)))
        for k in sorted(set(rb) - set(ra), key=str):
            add("row %s=%s only in B" % (pk, short(k)))
        for k in sorted(set(ra) & set(rb), key=str):
            x, y = ra[k], rb[k]
            for f in sorted(set(x) | set(y)):
                if f not in y:
                    add("row %s=%s field '%s' only in A (%s)" % (pk, short(k), f, short(x[f])))
                elif f not in x:
                    add("row %s=%s field '%s' only in B (%s)" % (pk, short(k), f, short(y[f])))
                elif not same(x[f], y[f]):
                    add("row %s=%s field '%s': A=%s B=%s" % (pk, short(k), f, short(x[f]), short(y[f])))
        if n > limit:
            rep.add(where, "... and %d more row differences" % (n - limit))
    finally:
        for c in temp:
            c.release()


def alias_map(alias, names):
    """alias -> collection name of the collections `names` of the current database"""
    m = {}
    for c in names:
        for a in Collection(c, using=alias).aliases or []:
            m[a] = c
    return m


def cmp_aliases(rep, label, la, lb):
    try:
        ma, mb = alias_map("A", sorted(la)), alias_map("B", sorted(lb))
    except Exception as e:  # e.g. a collection dropped meanwhile
        rep.add("database %s" % label, "error while listing aliases: %s"
                % str(e).splitlines()[0][:300])
        return
    for a in sorted(set(ma) | set(mb)):
        where = "%s alias %s" % (label, a)
        if a not in mb:
            rep.add(where, "only in A (-> %s)" % ma[a])
        elif a not in ma:
            rep.add(where, "only in B (-> %s)" % mb[a])
        elif ma[a] != mb[a]:
            rep.add(where, "collection: A=%s B=%s" % (ma[a], mb[a]))


def compare(args, ua, ub):
    rep = Report()
    rep.notes = []
    conn("A", ua, "default")
    conn("B", ub, "default")
    if args.db_a or args.db_b:
        pairs = [(args.db_a or "default", args.db_b or "default")]
        for d, side, alias in ((pairs[0][0], "A", "A"), (pairs[0][1], "B", "B")):
            if d not in db.list_database(using=alias):
                rep.add("database %s" % d, "missing in %s" % side)
                return rep
    else:
        da, dbb = set(db.list_database(using="A")), set(db.list_database(using="B"))
        if args.db:
            da &= set(args.db)
            dbb &= set(args.db)
            for d in args.db:
                if d not in da and d not in dbb:
                    rep.add("database %s" % d, "missing in A and B")
        for d in sorted(da - dbb):
            rep.add("database %s" % d, "only in A")
        for d in sorted(dbb - da):
            rep.add("database %s" % d, "only in B")
        pairs = [(d, d) for d in sorted(da & dbb)]
    for dba, dbb_ in pairs:
        conn("A", ua, dba)
        conn("B", ub, dbb_)
        label = dba if dba == dbb_ else "%s~%s" % (dba, dbb_)
        la, lb = set(utility.list_collections(using="A")), set(utility.list_collections(using="B"))
        if args.collection:
            for c in args.collection:
                if c not in la and c not in lb:
                    rep.add("%s.%s" % (label, c), "collection missing in A and B")
            la &= set(args.collection)
            lb &= set(args.collection)
        for c in sorted(la - lb):
            rep.add("%s.%s" % (label, c), "collection only in A (missing in B)")
        for c in sorted(lb - la):
            rep.add("%s.%s" % (label, c), "collection only in B (missing in A)")
        cmp_aliases(rep, label, la, lb)
        for c in sorted(la & lb):
            where = "%s.%s" % (label, c)
            try:
                ca, ia = describe("A", c)
                cb, ib = describe("B", c)
                cmp_schema(rep, where, ia, ib)
                if not args.no_content:
                    cmp_content(rep, where, ca, ia, cb, ib, args)
            except Exception as e:  # e.g. dropped meanwhile; counts as a difference
                rep.add(where, "error while comparing: %s" % str(e).splitlines()[0][:300])
    return rep


def counts_equal(args, ua, ub, deadline):
    """--counts-first: poll count(*) of the --collection's (Eventually on both sides, every
    0.5 s) until equal on both sides or the deadline; returns the seconds it took or None."""
    t0 = time.time()
    dbname = (args.db or ["default"])[0]
    last = None
    while True:
        try:
            conn("A", ua, dbname)
            conn("B", ub, dbname)
            while True:
                counts = [(count_rows(Collection(c, using="A"), "Eventually"),
                           count_rows(Collection(c, using="B"), "Eventually"))
                          for c in args.collection]
                if counts != last and not args.quiet:
                    print("diff: counts (A, B) %s at +%.1f s" % (counts, time.time() - t0),
                          file=sys.stderr)
                last = counts
                if all(x == y for x, y in counts):
                    return time.time() - t0
                if time.time() >= deadline:
                    return None
                time.sleep(0.5)
        except Exception as e:  # not there yet, not loaded yet, ...
            if time.time() >= deadline:
                return None
            if not args.quiet:
                print("diff: counts: %s" % str(e).splitlines()[0][:200], file=sys.stderr)
            time.sleep(1)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("a", help="source | target | http://host:port")
    ap.add_argument("b", help="source | target | http://host:port")
    ap.add_argument("--db", action="append", help="only this database (repeatable)")
    ap.add_argument("--db-a", help="compare this database of A ...")
    ap.add_argument("--db-b", help="... against this database of B")
    ap.add_argument("--collection", action="append", help="only this collection (repeatable)")
    ap.add_argument("--wait", type=float, default=0, help="poll until equal or SECONDS passed")
    ap.add_argument("--interval", type=float, default=3, help="seconds between polls")
    ap.add_argument("--counts-first", action="store_true",
                    help="with --wait and --collection: poll count(*) every 0.5 s until equal "
                         "before the first full comparison")
    ap.add_argument("--consistency", default="Bounded",
                    choices=["Strong", "Bounded", "Session", "Eventually"])
    ap.add_argument("--no-rows", action="store_true", help="compare counts but not row content")
    ap.add_argument("--no-content", action="store_true", help="metadata only: no counts, no rows")
    ap.add_argument("--load-for-rows", action="store_true",
                    help="load collections loaded on neither side to compare their content")
    ap.add_argument("--batch", type=int, default=2000, help="query iterator batch size")
    ap.add_argument("--max-row-diffs", type=int, default=20)
    ap.add_argument("--query-timeout", type=float, default=60,
                    help="seconds one query may take (then: a difference)")
    ap.add_argument("-q", "--quiet", action="store_true")
    args = ap.parse_args(argv)
    globals()["QUERY_TIMEOUT"] = args.query_timeout
    try:
        ua, ub = resolve_uri(args.a), resolve_uri(args.b)
    except SystemExit as e:
        print(e, file=sys.stderr)
        return 2
    t_start = time.time()
    deadline = t_start + args.wait
    if args.counts_first:
        if not args.collection:
            print("diff: --counts-first needs --collection", file=sys.stderr)
            return 2
        took = counts_equal(args, ua, ub, deadline)
        if took is not None and not args.quiet:
            print("diff: counts equal after %.1f s" % took, file=sys.stderr)
    attempt = 0
    while True:
        attempt += 1
        t_attempt = time.time()
        try:
            rep = compare(args, ua, ub)
        except Exception as e:
            rep = Report()
            rep.notes = []
            rep.add("connection", "error: %s" % str(e).splitlines()[0][:300])
            if time.time() >= deadline:
                print("diff: %s" % rep.lines[0], file=sys.stderr)
                return 2
        if not rep.lines or time.time() >= deadline:
            break
        if not args.quiet:
            print("diff: attempt %d: %d differences; retrying" % (attempt, len(rep.lines)), file=sys.stderr)
        time.sleep(min(args.interval, max(0.1, deadline - time.time())))
    for n in rep.notes:
        print("note: " + n)
    if rep.lines:
        print("DIFFERENT: %d difference(s) between A=%s and B=%s" % (len(rep.lines), ua, ub))
        for line in rep.lines:
            print("  " + line)
        return 1
    print("EQUAL: A=%s and B=%s (after %d attempt(s); the equal one began at +%.1f s,"
          " epoch %.3f)" % (ua, ub, attempt, t_attempt - t_start, t_attempt))
    return 0


if __name__ == "__main__":
    sys.exit(main())
