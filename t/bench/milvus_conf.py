#!/usr/bin/env python3
"""Render a milvus.yaml for one bench instance.

The PyPI package `milvus` (embedded Milvus 2.3.x) ships its binaries and a config
template (milvus/data/config.yaml.template) with `{{ name(type): default }}`
placeholders.  We do not use the package's launcher (it picks ports itself, moves
silently to the next free one, and ties the server's life to a Python process);
we only take its template, fill every placeholder with explicit values, and then
set dotted keys: an existing key is replaced in place, a missing key is inserted
at the top of its section (a missing section is appended).  The result is one
self-contained yaml per instance; the only environment variables Milvus gets are
METRICS_PORT, DEPLOY_MODE and LD_LIBRARY_PATH (env.sh starts it with `env -i`).

usage: milvus_conf.py OUT.yaml key=value ...
  keys with a dot are yaml paths (e.g. proxy.port=25530, kafka.brokerList=...);
  keys without a dot fill template placeholders (e.g. proxy_port=25530).
"""
import os
import re
import sys


def template_path():
    import milvus  # the PyPI package; only its data files are used
    return os.path.join(os.path.dirname(os.path.abspath(milvus.__file__)), "data",
                        "config.yaml.template")


PLACEHOLDER = re.compile(r"\{\{\s*([a-zA-Z0-9_]+)\s*(?:\([a-z]+\))?\s*(?::\s*([^}]*?))?\s*\}\}")
KEYLINE = re.compile(r"^( *)([A-Za-z0-9_]+):(.*)$")


def fill_placeholders(text, values):
    missing = []

    def sub(m):
        name, default = m.group(1), m.group(2)
        if name in values:
            return str(values[name])
        if default is not None and default != "":
            return default
        missing.append(name)
        return ""

    text = PLACEHOLDER.sub(sub, text)
    if missing:
        raise SystemExit("milvus_conf: no value for template placeholders: %s" % ", ".join(missing))
    return text


def set_key(lines, dotted, value):
    """Set a dotted key in a yaml text (list of lines) that uses 2-space indents."""
    parts = dotted.split(".")
    path = []          # current key path, by indentation level
    found_at = {}      # tuple(path) -> line index of the key line
    for i, line in enumerate(lines):
        if line.lstrip().startswith("#") or not line.strip():
            continue
        m = KEYLINE.match(line)
        if not m:
            continue
        level = len(m.group(1)) // 2
        path = path[:level] + [m.group(2)]
        found_at.setdefault(tuple(path), i)
    full = tuple(parts)
    if full in found_at:
        i = found_at[full]
        m = KEYLINE.match(lines[i])
        lines[i] = "%s%s: %s" % (m.group(1), m.group(2), value)
        return
    # deepest existing parent
    for depth in range(len(parts) - 1, -1, -1):
        parent = tuple(parts[:depth])
        if depth == 0 or parent in found_at:
            new = []
            for d in range(depth, len(parts)):
                ind = "  " * d
                if d == len(parts) - 1:
                    new.append("%s%s: %s" % (ind, parts[d], value))
                else:
                    new.append("%s%s:" % (ind, parts[d]))
            if depth == 0:
                lines.extend(new)
            else:
                at = found_at[parent] + 1
                lines[at:at] = new
            return


def main(argv):
    if len(argv) < 2:
        raise SystemExit(__doc__)
    out = argv[1]
    placeholders, keys = {}, []
    for arg in argv[2:]:
        k, _, v = arg.partition("=")
        if "." in k:
            keys.append((k, v))
        else:
            placeholders[k] = v
    with open(template_path(), encoding="utf-8") as f:
        text = fill_placeholders(f.read(), placeholders)
    lines = text.split("\n")
    for k, v in keys:
        set_key(lines, k, v)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main(sys.argv)
