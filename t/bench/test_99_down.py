"""`down` stops only what `up` started and leaves nothing: no process, ports free,
work/bench gone.  Skipped with `t/bench/test.sh --keep` (BENCH_KEEP=1)."""
import os
import subprocess

import pytest

from conftest import ROOT, env_sh, read_env

pytestmark = pytest.mark.skipif(os.environ.get("BENCH_KEEP") == "1", reason="--keep: bench left up")


def pid_alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_down_leaves_nothing():
    env = read_env()
    assert env, "bench not up before the down test"
    pids = [int(env[k]) for k in ("ETCD_PID", "KAFKA_PID", "SOURCE_PID", "TARGET_PID")]
    ports = [int(x) for x in env_sh("ports").stdout.split()]
    assert all(pid_alive(p) for p in pids)
    aliases = [env.get(part.upper() + "_MILVUS_ALIAS", "bench-" + part) for part in ("source", "target")]
    for alias in aliases:
        assert os.path.exists("/run/milvus/standalone-%s.pid" % alias), "Milvus's pid file, before"
    env_sh("down")
    assert not [p for p in pids if pid_alive(p)], "processes left"
    # nothing in the recorded process groups either
    ps = subprocess.run(["ps", "-e", "-o", "pgid=,stat="], capture_output=True, text=True).stdout
    groups = [l.split() for l in ps.splitlines() if l.strip()]
    assert not [g for g in groups if int(g[0]) in pids and not g[1].startswith("Z")]
    busy = [p for p in ports
            if subprocess.run(["ss", "-Hltn", "sport = :%d" % p], capture_output=True, text=True).stdout.strip()]
    assert not busy, "ports still listened on: %s" % busy
    assert not os.path.exists(os.path.join(ROOT, "work", "bench"))
    for alias in aliases:  # this bench's (a bench on other ports has pid files of its own)
        assert not os.path.exists("/run/milvus/standalone-%s.pid" % alias)
    st = env_sh("status", check=False)
    assert st.returncode != 0 and "down" in st.stdout
    # the caches stay for a fast re-up
    assert os.path.exists(os.path.join(ROOT, "work", "venv"))
    assert os.path.isdir(os.path.join(ROOT, "work", "cache"))
