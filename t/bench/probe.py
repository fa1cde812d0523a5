#!/usr/bin/env python3
"""Readiness probes used by env.sh (run with work/venv/bin/python).

  probe.py kafka BROKER          broker answers a metadata request (prints broker list)
  probe.py milvus URI            a real pymilvus call: server version + list databases
  probe.py topics BROKER [PFX]   list topics (optionally with a prefix) and message counts
"""
import sys


def kafka_meta(broker):
    from kafka import KafkaAdminClient
    adm = KafkaAdminClient(bootstrap_servers=broker, request_timeout_ms=5000,
                           api_version_auto_timeout_ms=5000, client_id="bench-probe")
    try:
        brokers = adm.describe_cluster()["brokers"]
        print("brokers:", ",".join("%s:%s" % (b["host"], b["port"]) for b in brokers))
    finally:
        adm.close()


def topics(broker, prefix=""):
    from kafka import KafkaConsumer, TopicPartition
    c = KafkaConsumer(bootstrap_servers=broker, client_id="bench-probe",
                      request_timeout_ms=10000, api_version_auto_timeout_ms=5000)
    try:
        names = sorted(t for t in c.topics() if t.startswith(prefix))
        tps = [TopicPartition(t, p) for t in names for p in (c.partitions_for_topic(t) or [])]
        beg = c.beginning_offsets(tps) if tps else {}
        end = c.end_offsets(tps) if tps else {}
        for t in names:
            n = sum(end[tp] - beg[tp] for tp in tps if tp.topic == t)
            print("%s\t%d" % (t, n))
    finally:
        c.close()


def milvus(uri):
    from pymilvus import connections, utility, db
    connections.connect("probe", uri=uri, timeout=10)
    try:
        print("version:", utility.get_server_version(using="probe"),
              "databases:", ",".join(db.list_database(using="probe")))
    finally:
        connections.disconnect("probe")


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"kafka": kafka_meta, "milvus": milvus, "topics": topics}[cmd](*args)
