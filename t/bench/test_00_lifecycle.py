"""The bench comes up from nothing (and `up` is idempotent).  Runs first; the bench it
brings up is reused by the data tests; test_99_down.py takes it down at the end."""
import os
import socket
import subprocess
import time
import urllib.request

from conftest import ENVFILE, ROOT, env_sh, read_env, sh

BENCH_DIR = os.path.join(ROOT, "work", "bench")


def listening(port):
    out = subprocess.run(["ss", "-Hltn", "sport = :%d" % port], capture_output=True, text=True).stdout
    return bool(out.strip())


def bench_ports():
    return [int(x) for x in env_sh("ports").stdout.split()]


def test_up_from_nothing():
    env_sh("down")
    assert not os.path.exists(BENCH_DIR)
    ports = bench_ports()
    assert len(ports) == len(set(ports)), "bench ports must all differ"
    assert 8444 not in ports and 1984 not in ports
    assert not [p for p in ports if listening(p)], "bench ports busy before up"
    t0 = time.time()
    up = env_sh("up")
    took = time.time() - t0
    print("up took %.1fs" % took)
    env = read_env()
    for k in ("SOURCE_URI", "TARGET_URI", "KAFKA_BROKERS", "ETCD_ENDPOINTS", "SOURCE_ROOT_PATH",
              "TARGET_ROOT_PATH", "CHANNEL_PREFIX", "DML_CHANNEL_NUM", "SOURCE_PID", "TARGET_PID",
              "KAFKA_PID", "ETCD_PID", "SOURCE_MILVUS_ALIAS", "TARGET_MILVUS_ALIAS"):
        assert env.get(k), "env file lacks %s" % k
    assert env["SOURCE_ROOT_PATH"] != env["TARGET_ROOT_PATH"]
    assert env["MILVUS_VERSION"].startswith("v2.3."), env["MILVUS_VERSION"]
    # every part answers
    for key in ("SOURCE_HEALTHZ", "TARGET_HEALTHZ"):
        assert urllib.request.urlopen(env[key], timeout=5).read().strip() == b"OK"
    host, port = env["ETCD_ENDPOINTS"].split(":")
    assert b'"health":"true"' in urllib.request.urlopen("http://%s:%s/health" % (host, port)).read()
    py = env["PYTHON"]
    probe = os.path.join(ROOT, "t", "bench", "probe.py")
    assert "brokers: %s" % env["KAFKA_BROKERS"] in sh(py, probe, "kafka", env["KAFKA_BROKERS"]).stdout
    for uri in (env["SOURCE_URI"], env["TARGET_URI"]):
        assert "version: v2.3" in sh(py, probe, "milvus", uri).stdout
    # the proxies listen where the env file says (the proxy silently moves when its port is busy)
    for part, key in (("source", "SOURCE_PORT"), ("target", "TARGET_PORT")):
        lst = open(os.path.join(BENCH_DIR, part, "listening")).read().split()
        assert any(x.endswith(":" + env[key]) for x in lst), (part, lst)
    # all traffic on loopback: addresses in the env file are 127.0.0.1
    for k in ("SOURCE_URI", "TARGET_URI", "KAFKA_BROKERS", "ETCD_ENDPOINTS"):
        assert "127.0.0.1" in env[k]
    st = env_sh("status")
    assert "bench: up" in st.stdout
    for part in ("etcd", "kafka", "source", "target"):
        assert "%s " % part in st.stdout and "running" in st.stdout


def test_up_is_idempotent():
    env = read_env()
    p = env_sh("up")
    assert "already up" in p.stderr
    assert read_env()["SOURCE_PID"] == env["SOURCE_PID"], "a second up must not restart anything"
