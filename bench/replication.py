#!/usr/bin/env python3
"""The measurements of bench/replication.sh (run it through that script).

    replication.py run  --source URI --target URI --cdc URL --run ID --nginx-pid PID
    replication.py drop --source URI --target URI --run ID

`run` creates one CDC task whose scope is the exact names of this run's
replicated collections (rbench_<ID>_r<dim>_b<batch>, rbench_<ID>_lag), then:

 1. throughput: for each dim and batch size, N rows inserted on the source
    as fast as one pymilvus client can (the InsertRequests are built before
    the clock starts), timed from the first insert until count(*) on the
    TARGET (consistency Eventually) equals N; the ceiling is the same rows
    into a collection of the same schema on the SOURCE that no task
    replicates (rbench_<ID>_c<dim>_b<batch>), timed until count(*) there
    equals N;
 2. lag: a steady write rate for some seconds; every batch carries its
    send time (field ts, microseconds since the epoch); a poller queries the
    target (and, for comparison, the source) every 50 ms and records when
    each batch is fully visible;
 3. the helper process's RSS and CPU, sampled from /proc all along.

It deletes the task and drops this run's collections (on both sides) at the
end; `drop` does only the latter (the shell script's clean-up).  Only
collections named rbench_<ID>_* are ever created or dropped.
"""

import argparse
import json
import os
import statistics
import sys
import threading
import time
import urllib.request

import numpy as np
from pymilvus import (Collection, CollectionSchema, DataType, FieldSchema,
                      MilvusException, connections, utility)
from pymilvus.client.prepare import Prepare
from pymilvus.orm.prepare import Prepare as OrmPrepare
from pymilvus.client.types import LoadState

SRC, DST = "src", "dst"
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def log(*a):
    t = time.time()
    print(time.strftime("%H:%M:%S", time.localtime(t)) + f".{int(t * 1000) % 1000:03d}",
          "bench/replication.py:", *a, file=sys.stderr, flush=True)


class Disturbed(Exception):
    """the bench changed under us (e.g. reset by someone else)"""


class Interfered(Exception):
    """another CDC replicates the same source into the same target"""


# --------------------------------------------------------------- the CDC API

def cdc(url, request_type, data=None):
    body = {"request_type": request_type}
    if data is not None:
        body["request_data"] = data
    req = urllib.request.Request(url, json.dumps(body).encode(),
                                 {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


# ------------------------------------------------------- the helper process

def helper_pid(master):
    """the 'milvus cdc helper process' child of the nginx master"""
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/status") as f:
                st = f.read()
            ppid = int(st.split("PPid:")[1].split()[0])
            if ppid != master:
                continue
            with open(f"/proc/{d}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
            if "milvus cdc helper" in cmd:
                return int(d)
        except (OSError, IndexError, ValueError):
            continue
    return None


def proc_sample(pid):
    """(cpu seconds, rss bytes) of pid, or None"""
    try:
        with open(f"/proc/{pid}/stat") as f:
            s = f.read()
        fields = s[s.rindex(")") + 2:].split()
        cpu = (int(fields[11]) + int(fields[12])) / CLK_TCK   # utime+stime
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return cpu, int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


class Sampler(threading.Thread):
    """samples the helper every `period` s; phases are time windows"""

    def __init__(self, master, period=0.1):
        super().__init__(daemon=True)
        self.master, self.period = master, period
        self.pid = helper_pid(master)
        self.samples = []      # (t, cpu, rss, pid)
        self.respawns = 0
        self.stop_ev = threading.Event()
        self.lock = threading.Lock()

    def run(self):
        while not self.stop_ev.is_set():
            s = proc_sample(self.pid) if self.pid else None
            if s is None:
                pid = helper_pid(self.master)
                if pid and self.pid and pid != self.pid:
                    self.respawns += 1
                self.pid = pid
                s = proc_sample(pid) if pid else None
            if s:
                with self.lock:
                    self.samples.append((time.time(), s[0], s[1], self.pid))
            self.stop_ev.wait(self.period)

    def now(self):
        s = proc_sample(self.pid) if self.pid else None
        if s:
            with self.lock:
                self.samples.append((time.time(), s[0], s[1], self.pid))

    def window(self, t0, t1):
        """(avg CPU %, peak RSS) between t0 and t1 (same pid only)"""
        with self.lock:
            w = [x for x in self.samples if t0 - self.period <= x[0] <= t1 + self.period]
        if len(w) < 2:
            return None, None
        # the samples closest to the edges, inside one pid's life
        a, b = w[0], w[-1]
        if a[3] != b[3] or b[0] <= a[0]:
            return None, max(x[2] for x in w)
        return 100.0 * (b[1] - a[1]) / (b[0] - a[0]), max(x[2] for x in w)


# ------------------------------------------------------------------- Milvus

def schema(dim):
    return CollectionSchema([
        FieldSchema("id", DataType.INT64, is_primary=True, auto_id=False),
        FieldSchema("ts", DataType.INT64),
        FieldSchema("vec", DataType.FLOAT_VECTOR, dim=dim),
    ], description="bench/replication.sh")


def row_bytes(dim):
    return dim * 4 + 8 + 8


def create_loaded(name, dim, shards):
    if utility.has_collection(name, using=SRC):
        utility.drop_collection(name, using=SRC)
    c = Collection(name, schema(dim), using=SRC, shards_num=shards,
                   consistency_level="Eventually")
    c.create_index("vec", {"index_type": "FLAT", "metric_type": "L2",
                           "params": {}})
    c.load()
    return c


def wait_target_loaded(name, timeout):
    """the CDC created the collection, its index and loaded it on the target"""
    t0 = time.time()
    while time.time() - t0 < timeout:
        try:
            if (utility.has_collection(name, using=DST)
                    and utility.load_state(name, using=DST) == LoadState.Loaded):
                log(f"{name}: loaded on the target")
                return time.time() - t0
        except Exception:
            pass
        if not utility.has_collection(name, using=SRC):
            raise Disturbed(f"{name} vanished from the source")
        time.sleep(0.1)
    raise RuntimeError(f"{name}: not loaded on the target after {timeout} s "
                       "(is the task Running? see the helper log)")


def count(name, alias):
    r = Collection(name, using=alias).query(
        "", output_fields=["count(*)"], consistency_level="Eventually")
    return r[0]["count(*)"]


def build_requests(name, dim, rows, batch, seed):
    """InsertRequests for rows [0, rows) in batches, built ahead of time"""
    conn = connections._fetch_handler(SRC)
    sch = schema(dim)  # noqa
    fields_info = conn.describe_collection(name)["fields"]
    rng = np.random.default_rng(seed)
    reqs = []
    for start in range(0, rows, batch):
        n = min(batch, rows - start)
        ids = list(range(start, start + n))
        vecs = rng.random((n, dim), dtype=np.float32)
        ents = OrmPrepare.prepare_insert_data([ids, [0] * n, vecs.tolist()], sch)
        reqs.append(Prepare.batch_insert_param(name, ents, "", fields_info))
    return reqs


def send(req, name):
    req.collection_name = name
    conn = connections._fetch_handler(SRC)
    r = conn.batch_insert(name, [], insert_param=req)
    if r.insert_count != len(req.fields_data[0].scalars.long_data.data):
        raise RuntimeError(f"{name}: insert_count {r.insert_count}")


def timed_run(name, reqs, rows, count_alias, timeout, poll=0.05):
    """(insert seconds, visible seconds, final count): from the first insert
    until count(*) on count_alias reaches rows"""
    t0 = time.time()
    for r in reqs:
        send(r, name)
    t_ins = time.time() - t0
    n = -1
    while time.time() - t0 < timeout:
        try:
            n = count(name, count_alias)
        except Exception as e:
            if not utility.has_collection(name, using=count_alias):
                raise Disturbed(f"{name} vanished ({e})")
            raise
        if n >= rows:
            return t_ins, time.time() - t0, n
        time.sleep(poll)
    raise RuntimeError(f"{name}: count(*) {n} of {rows} after {timeout} s")


def drop(names, aliases=(SRC, DST)):
    for a in aliases:
        for n in names:
            try:
                if utility.has_collection(n, using=a):
                    utility.drop_collection(n, using=a)
            except Exception as e:
                log(f"drop {a}.{n}: {e}")


def run_names(run, alias):
    p = f"rbench_{run}_"
    try:
        return [c for c in utility.list_collections(using=alias) if c.startswith(p)]
    except Exception as e:
        log(f"list collections ({alias}): {e}")
        return []


# --------------------------------------------------------------------- lag

class Poller(threading.Thread):
    """queries alias every `period` s for the rows of not yet complete
    batches; records when each batch is fully visible"""

    def __init__(self, name, alias, batch, nbatches, period):
        super().__init__(daemon=True)
        self.name, self.alias, self.batch = name, alias, batch
        self.nbatches, self.period = nbatches, period
        self.seen = [0] * nbatches
        self.lag = [None] * nbatches        # ms
        self.deadline = None
        self.errors = 0
        self.polls = 0

    def run(self):
        c = Collection(self.name, using=self.alias)
        lo = 0          # first incomplete batch
        nxt = time.time()
        while lo < self.nbatches and (self.deadline is None
                                      or time.time() < self.deadline):
            nxt += self.period
            try:
                rows = c.query(f"id >= {lo * self.batch}",
                               output_fields=["ts"],
                               consistency_level="Eventually")
                now = time.time()
                self.polls += 1
                cnt = {}
                ts = {}
                for r in rows:
                    b = r["id"] // self.batch
                    cnt[b] = cnt.get(b, 0) + 1
                    ts[b] = r["ts"]
                for b, k in cnt.items():
                    if b < self.nbatches and self.lag[b] is None and k >= self.batch:
                        self.lag[b] = (now - ts[b] / 1e6) * 1000.0
                while lo < self.nbatches and self.lag[lo] is not None:
                    lo += 1
            except Exception:
                self.errors += 1
            d = nxt - time.time()
            if d > 0:
                time.sleep(d)
            else:
                nxt = time.time()


def pct(v, p):
    v = sorted(v)
    if not v:
        return float("nan")
    k = (len(v) - 1) * p / 100.0
    f = int(k)
    c = min(f + 1, len(v) - 1)
    return v[f] + (v[c] - v[f]) * (k - f)


def lag_run(a, name, sampler):
    rate, secs, batch = a.lag_rate, a.lag_seconds, a.lag_batch
    nb = max(1, int(rate * secs / batch))
    reqs = build_requests(name, 128, nb * batch, batch, 7)
    pt = Poller(name, DST, batch, nb, a.poll_ms / 1000.0)
    ps = Poller(name, SRC, batch, nb, a.poll_ms / 1000.0) if a.lag_source else None
    pt.start()
    if ps:
        ps.start()
    interval = batch / rate
    t0 = time.time()
    late = 0
    for k, r in enumerate(reqs):
        d = t0 + k * interval - time.time()
        if d > 0:
            time.sleep(d)
        elif d < -interval:
            late += 1
        tsf = r.fields_data[1].scalars.long_data.data
        now_us = int(time.time() * 1e6)
        tsf[:] = [now_us] * len(tsf)
        send(r, name)
    t_w = time.time() - t0
    for p in (pt, ps):
        if p:
            p.deadline = time.time() + a.lag_drain
    pt.join()
    if ps:
        ps.join()
    t1 = time.time()
    return {"batches": nb, "rows": nb * batch, "write_s": t_w,
            "rate": nb * batch / t_w, "late": late, "t0": t0, "t1": t1,
            "target": pt, "source": ps}


# -------------------------------------------------------------------- main

def fmt_lag(p, nb):
    v = [x for x in p.lag if x is not None]
    miss = nb - len(v)
    if not v:
        return "no batch seen", miss
    return (f"p50 {pct(v, 50):7.0f} ms   p99 {pct(v, 99):7.0f} ms   "
            f"max {max(v):7.0f} ms   min {min(v):5.0f} ms"), miss


def cmd_run(a):
    run = a.run
    dims = [int(x) for x in a.dims.split(",") if x]
    # --rows: N for every dim, or per dim: 128=60000,768=20000 (others: the last)
    nrows = {}
    for x in a.rows.split(","):
        if "=" in x:
            k, v = x.split("=")
            nrows[int(k)] = int(v)
        elif x:
            nrows[None] = int(x)
    rows_of = {d: nrows.get(d, nrows.get(None, list(nrows.values())[-1])) for d in dims}
    batches = [int(x) for x in a.batches.split(",") if x]
    repl = {(d, b): f"rbench_{run}_r{d}_b{b}" for d in dims for b in batches}
    ceil = {(d, b): f"rbench_{run}_c{d}_b{b}" for d in dims for b in batches}
    lagname = f"rbench_{run}_lag"
    scope = list(repl.values()) + ([lagname] if a.lag_seconds > 0 else [])

    ans = cdc(a.cdc, "create", {
        "task_id": f"rbench_{run}",
        "milvus_connect_param": {"uri": a.target, "connect_timeout": 10},
        "collection_infos": [{"name": n} for n in scope]})
    if ans.get("code") != 200:
        raise RuntimeError(f"create task: {ans}")
    task = ans["data"]["task_id"]
    t0 = time.time()
    while True:
        st = cdc(a.cdc, "get", {"task_id": task})["data"]["task"]["state"]
        if st == "Running":
            break
        if time.time() - t0 > 30:
            raise RuntimeError(f"task {task} is {st} after 30 s")
        time.sleep(0.2)

    # another CDC following this source into the same target (a "*" task of
    # someone else's nginx) would replicate our collections twice: a
    # collection no task of ours follows must not show up on the target
    if a.probe > 0:
        probe = f"rbench_{run}_probe"
        Collection(probe, schema(8), using=SRC, shards_num=1)
        t0 = time.time()
        while time.time() - t0 < a.probe:
            if utility.has_collection(probe, using=DST):
                drop([probe])
                raise Interfered(
                    f"{probe}, which no task of this run follows, appeared on the "
                    "target: another CDC replicates this source into the same "
                    "target (e.g. a '*' task of another nginx), the figures would "
                    "be wrong; rerun when it is gone (BENCH_PROBE=0 skips this check)")
            time.sleep(0.2)
        drop([probe])

    sampler = Sampler(a.nginx_pid)
    sampler.start()
    time.sleep(0.5)
    if sampler.pid is None:
        raise RuntimeError("no 'milvus cdc helper process' under the nginx master")
    t_start = time.time()
    rss0 = proc_sample(sampler.pid)[1]

    log(f"task {task} Running; helper pid {sampler.pid}; "
        f"rows per run {rows_of}, dims {dims}, batches {batches}, {a.shards} shard(s)")

    results = []
    interfered = []
    for d in dims:
        for b in batches:
            rn, cn = repl[(d, b)], ceil[(d, b)]
            rows = rows_of[d]
            for attempt in (1, 2, 3):
                try:
                    # the ceiling: the source alone, a collection no task follows
                    create_loaded(cn, d, a.shards)
                    reqs = build_requests(cn, d, rows, b, d * 1000 + b)
                    ts0 = time.time()
                    c_ins, c_vis, _ = timed_run(cn, reqs, rows, SRC, a.timeout)
                    c_cpu, _ = sampler.window(ts0, ts0 + c_vis)
                    if utility.has_collection(cn, using=DST):
                        drop([cn])
                        interfered.append(cn)
                    if interfered and a.probe > 0:
                        raise Interfered(f"{cn}, not in this run's scope, was "
                                         "replicated to the target: another CDC "
                                         "follows this source; rerun when it is gone")
                    drop([cn], (SRC,))
                    # the replication
                    create_loaded(rn, d, a.shards)
                    t_ready = wait_target_loaded(rn, a.timeout)
                    ts0 = time.time()
                    r_ins, r_vis, r_n = timed_run(rn, reqs, rows, DST, a.timeout)
                    sampler.now()
                    r_cpu, r_rss = sampler.window(ts0, ts0 + r_vis)
                    break
                except (Disturbed, MilvusException) as e:
                    if isinstance(e, MilvusException) and "not found" not in str(e):
                        raise
                    log(f"dim {d} batch {b}: disturbed ({e}), attempt {attempt}")
                    drop([cn, rn])
                    if attempt == 3:
                        raise
                    time.sleep(2)
            del reqs
            res = dict(dim=d, batch=b, rows=rows, mb=rows * row_bytes(d) / 1e6,
                       c_ins=c_ins, c_vis=c_vis, r_ins=r_ins, r_vis=r_vis,
                       r_n=r_n, ready=t_ready, r_cpu=r_cpu, c_cpu=c_cpu, r_rss=r_rss)
            results.append(res)
            log(f"dim {d:4d} batch {b:5d}: ceiling {rows / c_vis:8.0f} rows/s, "
                f"replication {rows / r_vis:8.0f} rows/s "
                f"(target ready {t_ready:.1f} s before)")

    lag = None
    if a.lag_seconds > 0:
        for attempt in (1, 2, 3):
            try:
                create_loaded(lagname, 128, a.shards)
                wait_target_loaded(lagname, a.timeout)
                time.sleep(1)
                log(f"lag: {a.lag_rate} rows/s in batches of {a.lag_batch} "
                    f"for {a.lag_seconds} s")
                lag = lag_run(a, lagname, sampler)
                break
            except (Disturbed, MilvusException) as e:
                if isinstance(e, MilvusException) and "not found" not in str(e):
                    raise
                log(f"lag: disturbed ({e}), attempt {attempt}")
                drop([lagname])
                if attempt == 3:
                    raise
        sampler.now()
        lag["cpu"], lag["rss"] = sampler.window(lag["t0"], lag["t1"])

    t_end = time.time()
    sampler.now()
    all_cpu, peak = sampler.window(t_start, t_end)
    sampler.stop_ev.set()
    sampler.join()

    ans = cdc(a.cdc, "delete", {"task_id": task})
    if ans.get("code") != 200:
        log(f"delete task: {ans}")
    drop(scope + list(ceil.values()))

    # ------------------------------------------------------------ figures
    mib = 1024 * 1024
    print()
    if interfered:
        print("!! ANOTHER CDC replicated collections of this run that no task of it "
              f"follows ({', '.join(interfered)}):")
        print("!! the figures below are NOT valid (double replication, shared CPU)")
        print()
    print(f"== 1. replication throughput ({a.shards} shard(s), "
          f"one pymilvus client inserting back to back; FLAT index, loaded)")
    print("   replication: from the first insert on the source until count(*) on the "
          "target = N")
    print("   ceiling:     the same rows into an unreplicated collection of the source, "
          "until count(*) there = N")
    print()
    hdr = (f"{'dim':>4} {'batch':>6} {'rows':>6} {'MB':>6} | {'ceiling rows/s':>14} {'MB/s':>6} | "
           f"{'replic. rows/s':>14} {'MB/s':>6} | {'ratio':>6} | {'src insert':>10} "
           f"{'tail':>6} | {'helper CPU':>10} | {'DDL':>5}")
    print(hdr)
    print("-" * len(hdr))
    ratios = []
    for r in results:
        ratio = r["c_vis"] / r["r_vis"]
        ratios.append(ratio)
        cpu = f"{r['r_cpu']:.0f} %" if r["r_cpu"] is not None else "?"
        print(f"{r['dim']:>4} {r['batch']:>6} {r['rows']:>6} {r['mb']:>6.1f} | "
              f"{r['rows'] / r['c_vis']:>14.0f} {r['mb'] / r['c_vis']:>6.1f} | "
              f"{r['rows'] / r['r_vis']:>14.0f} {r['mb'] / r['r_vis']:>6.1f} | "
              f"{100 * ratio:>5.0f}% | {r['r_ins']:>9.2f}s {r['r_vis'] - r['r_ins']:>5.2f}s | "
              f"{cpu:>10} | {r['ready']:>4.1f}s")
        if r["r_n"] != r["rows"]:
            print(f"     !! target count(*) {r['r_n']} != {r['rows']}")
    print()
    print("   MB = rows x (dim x 4 + 16) bytes of row data; 'src insert' = time the inserts "
          "took on the source (replication run);")
    print("   'tail' = from the last insert's answer until the target's count(*) = N; "
          "helper CPU = average over the replication run;")
    print("   DDL = from load() returning on the source until the target has the "
          "collection, its index and Loaded (CreateCollection, CreateIndex, LoadCollection)")
    if ratios:
        ok = min(ratios) >= 0.8
        print(f"   goal (replication >= 80 % of the ceiling): "
              f"{'met' if ok else 'NOT met'} (min {100 * min(ratios):.0f} %, "
              f"mean {100 * statistics.mean(ratios):.0f} %)")

    if lag:
        nb = lag["batches"]
        print()
        print(f"== 2. end-to-end lag: {lag['rows']} rows (128-dim) at {lag['rate']:.0f} rows/s "
              f"(goal {a.lag_rate}) for {lag['write_s']:.1f} s, batches of {a.lag_batch} "
              f"rows, polled every {a.poll_ms} ms")
        print("   lag = when the whole batch is queryable (count by id, Eventually) "
              "- its send time (field ts)")
        s, miss = fmt_lag(lag["target"], nb)
        print(f"   target (replicated): {s}   ({nb - miss}/{nb} batches, "
              f"{lag['target'].polls} polls)")
        if lag["source"]:
            s2, miss2 = fmt_lag(lag["source"], nb)
            print(f"   source (itself):     {s2}   ({nb - miss2}/{nb} batches)")
        if lag["late"]:
            print(f"   (the writer was more than one interval late {lag['late']} times)")
        v = [x for x in lag["target"].lag if x is not None]
        ok = bool(v) and not miss and pct(v, 99) < 1000
        print(f"   goal (p99 < 1 s): {'met' if ok else 'NOT met'}")

    print()
    print("== 3. helper process ('nginx: milvus cdc helper process')")
    print(f"   RSS: {rss0 / mib:.1f} MiB at the start, peak {peak / mib:.1f} MiB")
    print(f"   CPU: {all_cpu:.1f} % on average over the whole run ({t_end - t_start:.0f} s) "
          "(100 % = one core)")
    cc = [r["c_cpu"] for r in results if r["c_cpu"] is not None]
    rc = [r["r_cpu"] for r in results if r["r_cpu"] is not None]
    if rc:
        print(f"        {statistics.mean(rc):.1f} % during the replication runs "
              f"(max {max(rc):.1f} %), {statistics.mean(cc):.1f} % during the "
              "ceiling runs (traffic out of scope)" if cc else "")
    if lag and lag.get("cpu") is not None:
        print(f"        {lag['cpu']:.1f} % during the lag run ({lag['rate']:.0f} rows/s)")
    if sampler.respawns:
        print(f"   !! the helper was respawned {sampler.respawns} time(s)")
    print(f"   {os.cpu_count()} CPUs on this machine, shared by both Milvus, Kafka, etcd, "
          "nginx and the client")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("cmd", choices=["run", "drop"])
    p.add_argument("--source", required=True)
    p.add_argument("--target", required=True)
    p.add_argument("--cdc")
    p.add_argument("--run", required=True)
    p.add_argument("--nginx-pid", type=int)
    p.add_argument("--rows", default="128=60000,768=20000")
    p.add_argument("--dims", default="128,768")
    p.add_argument("--batches", default="100,1000,5000")
    p.add_argument("--shards", type=int, default=1)
    p.add_argument("--timeout", type=float, default=120)
    p.add_argument("--lag-seconds", type=float, default=30)
    p.add_argument("--lag-rate", type=float, default=1000)
    p.add_argument("--lag-batch", type=int, default=100)
    p.add_argument("--lag-drain", type=float, default=20)
    p.add_argument("--lag-source", type=int, default=1)
    p.add_argument("--poll-ms", type=int, default=50)
    p.add_argument("--probe", type=float, default=6)
    a = p.parse_args()

    connections.connect(alias=SRC, uri=a.source)
    connections.connect(alias=DST, uri=a.target)

    if a.cmd == "drop":
        for alias in (SRC, DST):
            drop(run_names(a.run, alias), (alias,))
        return
    try:
        cmd_run(a)
    except Interfered as e:
        log(f"INTERFERENCE: {e}")
        sys.exit(3)


if __name__ == "__main__":
    main()
