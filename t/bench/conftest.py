"""Shared fixtures of the bench tests (t/bench/test_*.py, run by t/bench/test.sh)."""
import json
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TOOLS = os.path.join(ROOT, "t", "tools")
ENV_SH = os.path.join(HERE, "env.sh")
ENVFILE = os.path.join(ROOT, "work", "bench", "env")
sys.path.insert(0, TOOLS)


def sh(*args, check=True, timeout=900):
    """Run a command from the project root; returns CompletedProcess (text)."""
    p = subprocess.run(list(args), cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError("%s -> rc %d\nstdout:\n%s\nstderr:\n%s"
                             % (" ".join(args), p.returncode, p.stdout[-4000:], p.stderr[-4000:]))
    return p


def env_sh(cmd, check=True):
    return sh("bash", ENV_SH, cmd, check=check)


def tool(name, *args, check=False, timeout=900):
    return sh(sys.executable, os.path.join(TOOLS, name), *args, check=check, timeout=timeout)


def read_env():
    from benchlib import read_env as r
    return r(ENVFILE)


@pytest.fixture(scope="session")
def bench():
    """The bench, up (brought up here when a test runs without the lifecycle test first)."""
    if env_sh("status", check=False).returncode != 0:
        env_sh("up")
    env = read_env()
    assert env.get("SOURCE_URI") and env.get("TARGET_URI")
    return env


@pytest.fixture(scope="session")
def workload(bench):
    """The seeded `full` workload, run once on the source; returns its JSON summary."""
    wl = tool("workload.py", "--uri", "source", "drop-all", check=True)
    p = tool("workload.py", "--uri", "source", "--seed", "7", "--rows", "300", "--batches", "3",
             "--dim", "8", "full", check=True)
    return json.loads(p.stdout)
