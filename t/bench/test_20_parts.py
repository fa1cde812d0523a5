"""env.sh stop|start PART: one part stopped and started again runs the command `up` ran, on
the same config and data; the env file's *_PID line follows; the mixed stream of
workload.py (stream --mix) survives a source restart.  Reuses the bench of test_00."""
import json
import os
import subprocess
import sys
import time

from conftest import ENV_SH, ROOT, TOOLS, env_sh, read_env, sh, tool

DB = "bench_parts"
BENCH_DIR = os.path.join(ROOT, "work", "bench")


def wl(*args):
    p = tool("workload.py", "--uri", "source", *args, check=True)
    return json.loads(p.stdout.strip().splitlines()[-1])


def count(uri, name, db=DB, wait=120):
    """count(*), Strong; a Milvus started again reloads its collections meanwhile: retried"""
    from pymilvus import Collection, connections
    deadline = time.time() + wait
    while True:
        try:
            connections.connect("parts", uri=uri, db_name=db)
            try:
                return Collection(name, using="parts").query(
                    "", output_fields=["count(*)"], consistency_level="Strong")[0]["count(*)"]
            finally:
                connections.disconnect("parts")
        except Exception:
            if time.time() > deadline:
                raise
            time.sleep(2)


def cmdline(pid):
    with open("/proc/%s/cmdline" % pid, "rb") as f:
        return f.read().split(b"\0")


def part(cmd, name, check=True, env=None):
    p = subprocess.run(["bash", ENV_SH, cmd, name], cwd=ROOT, capture_output=True, text=True,
                       timeout=300, env=env)
    if check:
        assert p.returncode == 0, "env.sh %s %s -> %d\n%s" % (cmd, name, p.returncode, p.stderr)
    return p


def test_stop_start_each_part(bench):
    wl("drop", "--db", DB, "--collection", "parts")
    wl("--dim", "8", "insert", "--db", DB, "--collection", "parts", "--rows", "300")
    wl("--dim", "8", "index", "--db", DB, "--collection", "parts")
    wl("load", "--db", DB, "--collection", "parts")
    assert count(bench["SOURCE_URI"], "parts") == 300
    cluster_id = open(os.path.join(BENCH_DIR, "kafka", "data", "meta.properties")).read()
    for name in ("etcd", "kafka", "source", "target"):
        key = name.upper() + "_PID"
        old = read_env()[key]
        before = cmdline(old)
        part("stop", name)
        st = env_sh("status", check=False)
        assert st.returncode == 1 and "%-7s stopped" % name in st.stdout, st.stdout
        assert not os.path.exists("/proc/%s" % old) or "Z" in open("/proc/%s/stat" % old).read(), \
            "the old %s (pid %s) is gone" % (name, old)
        part("stop", name)                       # stopping again: nothing to do, exit 0
        p = part("start", name)
        assert "runs again" in p.stderr
        new = read_env()[key]
        assert new != old and open(os.path.join(BENCH_DIR, name, "pid")).read().strip() == new
        assert cmdline(new) == before, "%s: the same command as up's" % name
        assert env_sh("status", check=False).returncode == 0
        assert "already runs" in part("start", name).stderr
    # the data stayed: Kafka storage not formatted again, etcd and the source kept the collection
    assert open(os.path.join(BENCH_DIR, "kafka", "data", "meta.properties")).read() == cluster_id
    assert count(bench["SOURCE_URI"], "parts") == 300


def test_start_refuses_other_ports(bench):
    part("stop", "etcd")
    try:
        env = dict(os.environ, BENCH_ETCD_PORT="23799")
        p = part("start", "etcd", check=False, env=env)
        assert p.returncode != 0 and "other BENCH_* ports" in p.stderr, p.stderr
    finally:
        part("start", "etcd")
    assert part("stop", "nothing", check=False).returncode == 2


def test_stream_mix_survives_a_source_restart(bench):
    wl("drop", "--db", DB, "--collection", "mix")
    wl("--dim", "8", "create", "--db", DB, "--collection", "mix")
    wl("--dim", "8", "index", "--db", DB, "--collection", "mix")
    wl("load", "--db", DB, "--collection", "mix")
    s = subprocess.Popen([sys.executable, os.path.join(TOOLS, "workload.py"), "--uri", "source",
                          "--dim", "8", "stream", "--mix", "--db", DB, "--collection", "mix",
                          "--seconds", "20", "--rate", "500"],
                         cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(4)
        part("stop", "source")
        part("start", "source")
        out, err = s.communicate(timeout=300)
    finally:
        if s.poll() is None:
            s.kill()
    assert s.returncode == 0, err[-3000:]
    res = json.loads(out)
    assert res["retries"] > 0, res
    assert res["upserted"] > 0 and res["deleted"] > 0, res
    assert count(bench["SOURCE_URI"], "mix") == res["expected_rows"], res
