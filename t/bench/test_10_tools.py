"""The workload generator and the diff tool, on the real bench.

Writable pairs: the target refuses ordinary inserts (ttMsgEnabled=false), so the
"one difference" tests build two copies of a collection on the *source*, in databases
wl_scr_a and wl_scr_b, with the same seed (diff must say EQUAL), then change exactly one
thing in wl_scr_b and check that diff exits 1 and names that difference.
"""
import json
import re
import threading
import time

import pytest

from conftest import tool

SCR_A, SCR_B = "wl_scr_a", "wl_scr_b"
STRONG = ["--consistency", "Strong"]


def diff(*args, **kw):
    return tool("diff.py", *args, **kw)


def wl(*args):
    p = tool("workload.py", "--uri", "source", *args, check=True)
    return json.loads(p.stdout) if p.stdout.strip().startswith("{") else p.stdout


def scratch_pair(coll, kind="rich_int", rows=200, seed=11, dim=8, load=True):
    """The same collection (same seed) in SCR_A and SCR_B on the source."""
    for d in (SCR_A, SCR_B):
        wl("drop", "--db", d, "--collection", coll)
        wl("--seed", str(seed), "--dim", str(dim), "insert", "--db", d, "--collection", coll,
           "--kind", kind, "--rows", str(rows), "--batches", "2")
        wl("--dim", str(dim), "index", "--db", d, "--collection", coll)
        if load:
            wl("load", "--db", d, "--collection", coll)


def pair_diff(coll, *extra, **kw):
    return diff("source", "source", "--db-a", SCR_A, "--db-b", SCR_B, "--collection", coll,
                *STRONG, *extra, **kw)


def assert_equal(p):
    assert p.returncode == 0, p.stdout + p.stderr
    assert "EQUAL" in p.stdout


def assert_different(p, *needles):
    assert p.returncode == 1, p.stdout + p.stderr
    assert "DIFFERENT" in p.stdout
    for n in needles:
        assert n in p.stdout, "report lacks %r:\n%s" % (n, p.stdout)


# ------------------------------------------------------------------ workload
def test_workload_full(workload, bench):
    """The seeded scenario ran; counts on the source are what the workload expects."""
    from pymilvus import Collection, connections
    names = {(c["db"], c["collection"]) for c in workload["collections"]}
    assert ("default", "wl_rich_int") in names and ("wl_db1", "wl_auto") in names
    for c in workload["collections"]:
        assert c["inserted"] == 300
        connections.connect("t", uri=bench["SOURCE_URI"], db_name=c["db"])
        try:
            coll = Collection(c["collection"], using="t")
            if c["kind"] == "auto":
                coll.load()
            n = coll.query("", output_fields=["count(*)"], consistency_level="Strong")[0]["count(*)"]
            if c["kind"] == "auto":
                coll.release()
            assert n == c["expected_rows"], c
            if c["kind"] != "auto":
                assert c["upserted"] == 32 and c["deleted_by_pk"] == 15
                assert c["deleted_by_expr"]["deleted"] > 0
        finally:
            connections.disconnect("t")


def test_workload_is_seeded(workload):
    """default.wl_rich_int and wl_db1.wl_rich_int were made by the same seeded steps:
    equal row by row.  A different seed gives different rows."""
    p = diff("source", "source", "--db-a", "default", "--db-b", "wl_db1",
             "--collection", "wl_rich_int", *STRONG)
    assert_equal(p)
    for d in (SCR_A, SCR_B):
        wl("drop", "--db", d, "--collection", "seeds")
    wl("--seed", "1", "--dim", "8", "insert", "--db", SCR_A, "--collection", "seeds", "--rows", "20")
    wl("--seed", "2", "--dim", "8", "insert", "--db", SCR_B, "--collection", "seeds", "--rows", "20")
    for d in (SCR_A, SCR_B):
        wl("--dim", "8", "index", "--db", d, "--collection", "seeds")
        wl("load", "--db", d, "--collection", "seeds")
    p = pair_diff("seeds")
    assert_different(p, "row id=0 field 'f32'")


def test_kafka_topics_after_workload(workload, bench):
    """The source writes its log to Kafka: its DML pchannels and replicate channel exist."""
    p = tool("../bench/probe.py", "topics", bench["KAFKA_BROKERS"], bench["CHANNEL_PREFIX"], check=True)
    topics = dict(l.split("\t") for l in p.stdout.splitlines())
    dml = [t for t in topics if t.startswith(bench["CHANNEL_PREFIX"] + "-rootcoord-dml_")]
    assert dml and all(int(topics[t]) > 0 for t in dml), topics
    assert len(dml) <= int(bench["DML_CHANNEL_NUM"])
    assert int(topics.get(bench["CHANNEL_PREFIX"] + "-replicate-msg", 0)) > 0, topics
    assert not [t for t in topics if not t.startswith(bench["CHANNEL_PREFIX"])]


def test_stream(bench):
    wl("drop", "--db", SCR_A, "--collection", "stream")
    p = wl("--seed", "5", "--dim", "8", "stream", "--db", SCR_A, "--collection", "stream",
           "--seconds", "3", "--rate", "300", "--delete-ratio", "0.2")
    assert p["inserted"] > 0 and p["deleted"] > 0
    wl("--dim", "8", "index", "--db", SCR_A, "--collection", "stream")
    wl("load", "--db", SCR_A, "--collection", "stream")
    from pymilvus import Collection, connections
    connections.connect("s", uri=bench["SOURCE_URI"], db_name=SCR_A)
    n = Collection("stream", using="s").query("", output_fields=["count(*)"],
                                              consistency_level="Strong")[0]["count(*)"]
    connections.disconnect("s")
    assert n == p["expected_rows_added"]


# ------------------------------------------------------------------ diff
def test_diff_source_source_equal(workload):
    p = diff("source", "source", *STRONG)
    assert_equal(p)


def test_diff_source_target_names_missing(workload):
    p = diff("source", "target")
    need = ["database wl_db1: only in A"]
    for c in workload["collections"]:
        if c["db"] == "default":
            need.append("default.%s: collection only in A (missing in B)" % c["collection"])
    assert_different(p, *need)


def test_diff_wait_gives_up_at_deadline(workload):
    t0 = time.time()
    p = diff("source", "target", "--db", "default", "--no-content", "--wait", "4", "--interval", "1")
    assert time.time() - t0 >= 4
    assert_different(p, "default.wl_rich_int: collection only in A")
    assert "attempt" in p.stderr


def test_diff_changed_row_then_wait_until_equal(bench):
    scratch_pair("rowchg")
    assert_equal(pair_diff("rowchg"))
    # row 17 gets version 1 in B only
    wl("--seed", "11", "--dim", "8", "upsert", "--db", SCR_B, "--collection", "rowchg",
       "--start-pk", "17", "--rows", "1", "--version", "1")
    p = pair_diff("rowchg")
    assert_different(p, "row id=17 field 'name'", "row id=17 field 'vec'")
    ids = set(re.findall(r"row id=(\d+)", p.stdout))
    assert ids == {"17"}, "only row 17 differs: %s" % p.stdout
    # --wait: diff polls while the row is put back 8 s later (first attempt takes ~1 s)
    fix = threading.Timer(8, wl, ["--seed", "11", "--dim", "8", "upsert", "--db", SCR_B, "--collection",
                                  "rowchg", "--start-pk", "17", "--rows", "1", "--version", "0"])
    fix.start()
    try:
        p = pair_diff("rowchg", "--wait", "60", "--interval", "1")
    finally:
        fix.join()
    assert_equal(p)
    assert "after 1 attempt" not in p.stdout, "the first attempt must have seen the difference"


def test_diff_missing_row(bench):
    scratch_pair("rowdel")
    assert_equal(pair_diff("rowdel"))
    wl("delete", "--db", SCR_B, "--collection", "rowdel", "--pks", "42")
    assert_different(pair_diff("rowdel"), "row id=42 only in A", "row count (count(*)): A=200 B=199")


def test_diff_missing_index(bench):
    scratch_pair("idx")
    assert_equal(pair_diff("idx"))
    from pymilvus import Collection, connections
    connections.connect("i", uri=bench["SOURCE_URI"], db_name=SCR_B)
    try:
        c = Collection("idx", using="i")
        c.release()
        c.drop_index(index_name="idx_name")
        c.load()
    finally:
        connections.disconnect("i")
    assert_different(pair_diff("idx"), "index on field 'name' only in A (Trie")


def test_diff_schema_param(bench):
    for d in (SCR_A, SCR_B):
        wl("drop", "--db", d, "--collection", "schema")
        wl("--dim", "8", "create", "--db", d, "--collection", "schema", "--kind", "rich_str")
    assert_equal(pair_diff("schema"))
    wl("drop", "--db", SCR_B, "--collection", "schema")
    wl("--dim", "16", "create", "--db", SCR_B, "--collection", "schema", "--kind", "rich_str")
    assert_different(pair_diff("schema"), "schema field 'bvec' param dim: A=8 B=16")


def test_diff_load_state_and_partitions(bench):
    scratch_pair("misc", load=False)
    assert_equal(pair_diff("misc", "--load-for-rows"))
    from pymilvus import Collection, connections
    connections.connect("m", uri=bench["SOURCE_URI"], db_name=SCR_B)
    try:
        c = Collection("misc", using="m")
        c.create_partition("extra")
        c.load()
    finally:
        connections.disconnect("m")
    assert_different(pair_diff("misc"), "partition 'extra' only in B", "load state: A=NotLoad B=Loaded")


def test_target_refuses_ordinary_insert(bench):
    """ttMsgEnabled=false on the target: CreateCollection works, Insert is refused (1303)."""
    from pymilvus import Collection, connections, utility
    from pymilvus.exceptions import MilvusException
    from workload import make_row, schema_for
    connections.connect("tg", uri=bench["TARGET_URI"])
    try:
        schema, kw = schema_for("rich_int", 8)
        c = Collection("wl_refuse_probe", schema, using="tg", **kw)
        with pytest.raises(MilvusException) as e:
            c.insert([make_row("rich_int", 1, 1, 8)])
        assert e.value.code == 1303 and "deny to write the message to mq" in e.value.message
        print("target insert refused:", e.value)
        # dropping broadcasts to the (disabled) msgstream too; record what happens
        try:
            c.drop(timeout=20)
            print("drop on target: ok")
        except Exception as ex:  # noqa: BLE001
            print("drop on target refused:", ex)
        print("target collections:", utility.list_collections(using="tg"))
    finally:
        connections.disconnect("tg")
