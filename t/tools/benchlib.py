"""Shared helpers of the bench tools (workload.py, diff.py)."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DEFAULT_ENV = os.path.join(ROOT, "work", "bench", "env")


def read_env(path=None):
    """The KEY=value lines `t/bench/env.sh up` wrote (empty dict when absent)."""
    path = path or os.environ.get("BENCH_ENV", DEFAULT_ENV)
    out = {}
    if not os.path.exists(path):
        return out
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#") or "=" not in line:
                continue
            k, _, v = line.partition("=")
            out[k.strip()] = v.strip()
    return out


def resolve_uri(value):
    """'source' / 'target' name the bench's instances; anything else is a URI."""
    if value in ("source", "target"):
        env = read_env()
        key = value.upper() + "_URI"
        if key not in env:
            sys.exit("no %s in %s: is the bench up? (./build.sh env up)" % (key, DEFAULT_ENV))
        return env[key]
    if "://" not in value:
        value = "http://" + value
    return value


def connect(alias, uri, db_name="default"):
    from pymilvus import connections
    connections.connect(alias, uri=uri, db_name=db_name, timeout=30)
    return alias


def use_db(alias, uri, db_name):
    """(Re)connect `alias` to database db_name (pymilvus 2.3 binds the db to the connection)."""
    from pymilvus import connections
    try:
        connections.disconnect(alias)
    except Exception:
        pass
    connections.connect(alias, uri=uri, db_name=db_name, timeout=30)
    return alias
