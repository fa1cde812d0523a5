#!/usr/bin/env bash
# The project's test bench: etcd + Kafka (KRaft) + source Milvus + target Milvus.
#
#   bash t/bench/env.sh up       start everything under work/bench/ (idempotent)
#   bash t/bench/env.sh down     stop what `up` started (by recorded pid) and remove work/bench/
#   bash t/bench/env.sh status   say what runs; exit 0 when all parts run, 1 otherwise
#   bash t/bench/env.sh prepare  only fetch/install (venv, Kafka jars, Milvus binary), start nothing
#   bash t/bench/env.sh stop PART    stop one part (etcd|kafka|source|target) of a bench that is up
#   bash t/bench/env.sh start PART   start it again: the same command, config and data as `up`
#
# Everything comes from the package registries, pinned:
#   etcd     Debian etcd-server (apt-get installed when missing)
#   Kafka    org.apache.kafka:kafka_2.13 (KAFKA_VERSION below) + runtime deps from Maven
#            Central via t/bench/kafka/pom.xml, cached in work/cache/kafka-<ver>/libs
#   Milvus   PyPI `milvus` (embedded Milvus 2.3.x), binaries unpacked once into
#            work/cache/milvus-<ver>/bin and shared by both instances
#   pymilvus PyPI, in work/venv (t/tools/requirements.txt)
# Ports: see docs/bench.md; every one can be overridden with the BENCH_* variable below.
# After `up`, work/bench/env holds the addresses as KEY=value lines.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
WORK="$ROOT/work"
BENCH="$WORK/bench"
CACHE="$WORK/cache"
VENV="$WORK/venv"
PY="$VENV/bin/python"
ENVFILE="$BENCH/env"

KAFKA_VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$HERE/kafka/pom.xml")"
MILVUS_VERSION="$(sed -n 's/^milvus==//p' "$ROOT/t/tools/requirements.txt")"
KAFKA_LIBS="$CACHE/kafka-$KAFKA_VERSION/libs"
MILVUS_BIN="$CACHE/milvus-$MILVUS_VERSION/bin"

# ---- ports (all distinct; below the Linux ephemeral range 32768+; not 8444/1984) ----
ETCD_CLIENT_PORT="${BENCH_ETCD_PORT:-23791}"
ETCD_PEER_PORT="${BENCH_ETCD_PEER_PORT:-23801}"
KAFKA_PORT="${BENCH_KAFKA_PORT:-29192}"
KAFKA_CONTROLLER_PORT="${BENCH_KAFKA_CONTROLLER_PORT:-29193}"
SRC_BASE="${BENCH_SOURCE_BASE:-25000}"   # source Milvus: 25xxx
DST_BASE="${BENCH_TARGET_BASE:-26000}"   # target Milvus: 26xxx
# offsets inside a Milvus block: proxy 530, proxy internal 529, rootcoord 100, querycoord 531,
# querynode 123, indexnode 121, datacoord 133, datanode 124, (unused) indexcoord 930, metrics/healthz 91
MILVUS_PORT_KEYS="proxy_port:530 proxy_internal_port:529 root_coord_port:100 query_coord_port:531 query_node_port:123 index_node_port:121 data_coord_port:133 data_node_port:124 index_coord_port:930 metrics_port:91"

SRC_ROOT_PATH="${BENCH_SOURCE_ROOT_PATH:-mcdc-src}"
DST_ROOT_PATH="${BENCH_TARGET_ROOT_PATH:-mcdc-dst}"
SRC_PREFIX="${BENCH_SOURCE_CHANNEL_PREFIX:-mcdc-src}"
DST_PREFIX="${BENCH_TARGET_CHANNEL_PREFIX:-mcdc-dst}"
DML_CHANNELS="${BENCH_DML_CHANNELS:-4}"
KAFKA_MAX_BYTES=$((20 * 1024 * 1024))

PARTS="etcd kafka source target"
CLEAN_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin   # PATH of the parts (env -i)
_BENCH_MODE=up   # `start PART` sets it to start (a failure then stops nothing)

log() { echo "[bench] $*" >&2; }
die() { echo "[bench] ERROR: $*" >&2; exit 1; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1f", b-a}'; }

mport() { # mport BASE NAME -> port
    local base=$1 name=$2 kv
    for kv in $MILVUS_PORT_KEYS; do
        [ "${kv%%:*}" = "$name" ] && { echo $((base + ${kv##*:})); return; }
    done
    die "no port $name"
}

pid_of() { [ -f "$BENCH/$1/pid" ] && cat "$BENCH/$1/pid" || true; }
alive() { local p; p="$(pid_of "$1")"; [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }

port_listening() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }

all_ports() {
    echo "$ETCD_CLIENT_PORT $ETCD_PEER_PORT $KAFKA_PORT $KAFKA_CONTROLLER_PORT"
    local kv
    for kv in $MILVUS_PORT_KEYS; do
        echo "$((SRC_BASE + ${kv##*:})) $((DST_BASE + ${kv##*:}))"
    done
}

# ------------------------------------------------------------------ prepare
ensure_apt() { # ensure_apt COMMAND PACKAGE...
    command -v "$1" >/dev/null 2>&1 && return 0
    shift
    log "installing $* from Debian"
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
    else
        sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
    fi
}

prepare() {
    ensure_apt etcd etcd-server
    ensure_apt java openjdk-17-jre-headless
    # t/tools/KafkaDeleteRecords.java runs as a single-file source program
    ensure_apt javac openjdk-17-jdk-headless
    ensure_apt mvn maven
    ensure_apt ss iproute2
    ensure_apt curl curl
    ensure_apt ps procps
    ensure_apt python3 python3 python3-venv
    mkdir -p "$CACHE"
    # venv with pinned packages; reinstall when requirements.txt changes
    local req="$ROOT/t/tools/requirements.txt" stamp="$VENV/.requirements.sha256" sum
    sum="$(sha256sum "$req" | cut -d' ' -f1)"
    if [ ! -x "$PY" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$sum" ]; then
        log "creating $VENV (pinned: t/tools/requirements.txt)"
        [ -x "$PY" ] || python3 -m venv "$VENV" || { ensure_apt_force python3-venv; python3 -m venv "$VENV"; }
        "$VENV/bin/pip" install -q --disable-pip-version-check -r "$req"
        echo "$sum" > "$stamp"
    fi
    # Kafka broker jars from Maven Central
    if [ ! -f "$KAFKA_LIBS/.complete" ]; then
        log "fetching Kafka $KAFKA_VERSION jars from Maven Central"
        rm -rf "$KAFKA_LIBS"
        (cd "$HERE/kafka" && mvn -q -B dependency:copy-dependencies -DincludeScope=runtime \
            -DoutputDirectory="$KAFKA_LIBS") >"$CACHE/kafka-fetch.log" 2>&1 \
            || { cat "$CACHE/kafka-fetch.log" >&2; die "mvn failed"; }
        touch "$KAFKA_LIBS/.complete"
    fi
    # Milvus binaries out of the PyPI wheel (lzma) — the package's own unpacker, cached by md5
    if [ ! -x "$MILVUS_BIN/milvus" ] || [ ! -f "$MILVUS_BIN/.complete" ]; then
        log "unpacking the milvus $MILVUS_VERSION binaries into $MILVUS_BIN"
        "$PY" -c "import milvus, sys; milvus._initialize_data_files(sys.argv[1])" "$(dirname "$MILVUS_BIN")"
        touch "$MILVUS_BIN/.complete"
    fi
}
ensure_apt_force() { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null; }

# ------------------------------------------------------------------ start helpers
spawn() { # spawn PART LOGFILE CMD... : new session (pid = process group id), pid recorded
    local part=$1 logf=$2; shift 2
    mkdir -p "$BENCH/$part"
    date +%s.%N > "$BENCH/$part/started"
    # the child records its own pid: it is the session and process-group leader
    # (setsid forks when the caller happens to lead a group, so $! would not do)
    # the command line (one argument per line): `start` runs exactly the one `up` ran
    if [ "${_BENCH_MODE}" = start ] && [ -f "$BENCH/$part/cmdline" ]; then
        [ "$(printf '%s\n' "$@")" = "$(cat "$BENCH/$part/cmdline")" ] \
            || die "$part: the command differs from the one up ran ($BENCH/$part/cmdline)"
    fi
    printf '%s\n' "$@" > "$BENCH/$part/cmdline"
    rm -f "$BENCH/$part/pid" "$BENCH/$part/stopped"
    # appended: a part started again by `start` keeps its earlier log
    setsid bash -c 'echo $$ > "$0"; exec "$@"' "$BENCH/$part/pid" "$@" >>"$logf" 2>&1 < /dev/null &
    local i
    for i in $(seq 100); do [ -s "$BENCH/$part/pid" ] && break; sleep 0.05; done
    [ -s "$BENCH/$part/pid" ] || failed "$part: no pid recorded"
}

wait_until() { # wait_until SECONDS PART DESCRIPTION CMD...
    local limit=$1 part=$2 what=$3; shift 3
    local t0; t0=$(date +%s)
    while :; do
        if "$@" >/dev/null 2>&1; then return 0; fi
        if [ -n "$part" ] && ! alive "$part"; then
            log "$part died while waiting for: $what; last log lines:"
            tail -n 30 "$BENCH/$part/"*.log >&2 || true
            return 1
        fi
        if [ $(( $(date +%s) - t0 )) -ge "$limit" ]; then
            log "timeout (${limit}s) waiting for: $what"
            tail -n 30 "$BENCH/$part/"*.log >&2 || true
            return 1
        fi
        sleep 0.5
    done
}

ready_mark() { # remember when a part became ready (seconds since its start)
    local part=$1 s; s="$(cat "$BENCH/$part/started")"
    awk -v a="$s" -v b="$(now)" 'BEGIN{printf "%.1f\n", b-a}' > "$BENCH/$part/ready_after"
}

# start_etcd, start_kafka, start_milvus: used by `up` and by `start PART`.  What a first
# start creates (config files, Kafka's formatted storage) is kept: a later start runs the
# same command on the same configuration and data.
start_etcd() {  # (on a data dir that holds a member, etcd ignores the --initial-* flags)
    mkdir -p "$BENCH/etcd/data"
    # clean environment: etcd takes every ETCD_* variable for a flag (ETCD_VERSION, ETCD_PID
    # of a shell that exported work/bench/env would stop it)
    spawn etcd "$BENCH/etcd/etcd.log" env -i PATH="$CLEAN_PATH" HOME="$BENCH/etcd" etcd --name bench \
        --data-dir "$BENCH/etcd/data" \
        --listen-client-urls "http://127.0.0.1:$ETCD_CLIENT_PORT" \
        --advertise-client-urls "http://127.0.0.1:$ETCD_CLIENT_PORT" \
        --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
        --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
        --initial-cluster "bench=http://127.0.0.1:$ETCD_PEER_PORT" \
        --initial-cluster-state new --quota-backend-bytes $((2 * 1024 * 1024 * 1024))
}
etcd_healthy() { curl -sf "http://127.0.0.1:$ETCD_CLIENT_PORT/health" | grep -q '"health":"true"'; }

start_kafka() {
    local d="$BENCH/kafka"
    mkdir -p "$d/data"
    [ -f "$d/data/meta.properties" ] || kafka_configure "$d"
    local java_opts=(-Xms256m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true
        -Djava.net.preferIPv4Stack=true "-Dlog4j.configuration=file:$d/log4j.properties"
        "-Dkafka.logs.dir=$d")
    # clean environment too (no stray JAVA_TOOL_OPTIONS, _JAVA_OPTIONS, ...)
    spawn kafka "$d/kafka.log" env -i PATH="$CLEAN_PATH" HOME="$d" \
        java "${java_opts[@]}" -cp "$KAFKA_LIBS/*" kafka.Kafka "$d/server.properties"
}
kafka_configure() { # kafka_configure DIR: server.properties, log4j.properties, storage format
    local d=$1
    cat > "$d/server.properties" <<EOF
# generated by t/bench/env.sh — single-node KRaft broker+controller on loopback
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$d/data
num.partitions=1
auto.create.topics.enable=true
default.replication.factor=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
# Milvus producers send records up to 10 MiB (inserts are split at 5 MiB)
message.max.bytes=$KAFKA_MAX_BYTES
replica.fetch.max.bytes=$KAFKA_MAX_BYTES
socket.request.max.bytes=$((KAFKA_MAX_BYTES * 2))
log.retention.hours=168
log.segment.bytes=67108864
num.network.threads=2
num.io.threads=2
EOF
    cat > "$d/log4j.properties" <<EOF
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.org.apache.kafka.controller=INFO
log4j.logger.state.change.logger=WARN
EOF
    local cid
    cid="$(java -cp "$KAFKA_LIBS/*" "-Dlog4j.configuration=file:$d/log4j.properties" \
        kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n1)"
    java -cp "$KAFKA_LIBS/*" "-Dlog4j.configuration=file:$d/log4j.properties" \
        kafka.tools.StorageTool format -t "$cid" -c "$d/server.properties" > "$d/format.log" 2>&1 \
        || { cat "$d/format.log" >&2; failed "kafka storage format failed"; }
}
kafka_ready() { "$PY" "$HERE/probe.py" kafka "127.0.0.1:$KAFKA_PORT"; }

start_milvus() { # start_milvus PART BASE ROOTPATH PREFIX MQ TTMSG
    local part=$1 base=$2
    local d="$BENCH/$part"
    mkdir -p "$d/configs" "$d/data" "$d/logs" "$d/run"
    [ -f "$d/configs/milvus.yaml" ] || milvus_configure "$@"
    # clean environment: nothing stray can be taken for a config key (notes §6.1)
    ( cd "$d" && spawn "$part" "$d/milvus.log" env -i \
        PATH="$CLEAN_PATH" HOME="$d" \
        LD_LIBRARY_PATH="$MILVUS_BIN" DEPLOY_MODE=STANDALONE MILVUSCONF="$d/configs" \
        METRICS_PORT="$(mport "$base" metrics_port)" MILVUS_RUN_DIR="$d/run" \
        "$MILVUS_BIN/milvus" run standalone --alias "$(milvus_alias "$part" "$base")" )
}
# `run standalone --alias X` locks /run/milvus/standalone-X.pid: a bench on other ports
# (BENCH_SOURCE_BASE / BENCH_TARGET_BASE) needs aliases of its own
milvus_alias() { # milvus_alias PART BASE
    case "$1:$2" in
        source:25000|target:26000) echo "bench-$1" ;;
        *) echo "bench-$1-$2" ;;
    esac
}
milvus_configure() { # milvus_configure PART BASE ROOTPATH PREFIX MQ TTMSG: configs/milvus.yaml
    local part=$1 base=$2 rootpath=$3 prefix=$4 mq=$5 ttmsg=$6
    local d="$BENCH/$part"
    local args=() kv name
    for kv in $MILVUS_PORT_KEYS; do
        name="${kv%%:*}"
        [ "$name" = metrics_port ] && continue
        args+=("$name=$((base + ${kv##*:}))")
    done
    args+=(
        "etcd_port=$ETCD_CLIENT_PORT"
        "etcd_log_path=$d/logs/etcd-client.log"
        "etcd_data_dir=$d/data/etcd.unused"
        "system_log_path=$d/logs"
        "local_storage_dir=$d/data"
        "rocksmq_data_dir=$d/data/rocksmq"
        "etcd.endpoints=127.0.0.1:$ETCD_CLIENT_PORT"
        "etcd.use.embed=false"
        "etcd.rootPath=$rootpath"
        "minio.rootPath=$rootpath"
        "mq.type=$mq"
        "kafka.brokerList=127.0.0.1:$KAFKA_PORT"
        "common.chanNamePrefix.cluster=$prefix"
        "rootCoord.dmlChannelNum=$DML_CHANNELS"
        "common.ttMsgEnabled=$ttmsg"
        "common.storageType=local"
        "log.stdout=false"
    )
    # every role registers 127.0.0.1 in etcd so all internal traffic stays on loopback
    local role
    for role in rootCoord proxy queryCoord queryNode indexCoord indexNode dataCoord dataNode; do
        args+=("$role.ip=127.0.0.1")
    done
    "$PY" "$HERE/milvus_conf.py" "$d/configs/milvus.yaml" "${args[@]}"
    cp "$(dirname "$("$PY" -c 'import milvus;print(milvus.__file__)')")/data/glog.conf" "$d/configs/" 2>/dev/null || true
}
milvus_healthy() { curl -sf "http://127.0.0.1:$1/healthz" | grep -q OK; }
milvus_answers() { "$PY" "$HERE/probe.py" milvus "$1"; }

milvus_base() { [ "$1" = source ] && echo "$SRC_BASE" || echo "$DST_BASE"; }
milvus_uri() { echo "http://127.0.0.1:$(mport "$(milvus_base "$1")" proxy_port)"; }

start_part() { # start_part PART: launch one part (up and start share this)
    case "$1" in
        etcd) start_etcd ;;
        kafka) start_kafka ;;
        source) start_milvus source "$SRC_BASE" "$SRC_ROOT_PATH" "$SRC_PREFIX" kafka true ;;
        target) start_milvus target "$DST_BASE" "$DST_ROOT_PATH" "$DST_PREFIX" rocksmq false ;;
        *) die "no part $1 (etcd, kafka, source, target)" ;;
    esac
}

wait_part() { # wait_part PART: until it is ready as `up` requires it; records ready_after
    local part=$1 base uri
    case "$part" in
        etcd) wait_until 60 etcd "etcd /health" etcd_healthy || failed "etcd did not come up" ;;
        kafka) wait_until 120 kafka "Kafka metadata" kafka_ready || failed "Kafka did not come up" ;;
        source|target)
            base="$(milvus_base "$part")" uri="$(milvus_uri "$part")"
            wait_until 240 "$part" "$part /healthz" milvus_healthy "$(mport "$base" metrics_port)" \
                || failed "$part Milvus did not become healthy"
            wait_until 60 "$part" "$part pymilvus call" milvus_answers "$uri" \
                || failed "$part Milvus does not answer pymilvus"
            ;;
    esac
    ready_mark "$part"
    case "$part" in
        source|target) verify_milvus_ports "$part" "$(milvus_base "$part")" \
            || failed "$part Milvus does not listen where configured" ;;
    esac
}

part_ports() { # the ports a part listens on
    local kv
    case "$1" in
        etcd) echo "$ETCD_CLIENT_PORT $ETCD_PEER_PORT" ;;
        kafka) echo "$KAFKA_PORT $KAFKA_CONTROLLER_PORT" ;;
        source|target)
            for kv in $MILVUS_PORT_KEYS; do
                [ "${kv%%:*}" = index_coord_port ] && continue
                echo "$(( $(milvus_base "$1") + ${kv##*:} ))"
            done ;;
    esac
}

stop_grace() { case "$1" in etcd) echo 10 ;; kafka) echo 20 ;; *) echo 15 ;; esac; }

# pids of a part: the recorded group leader and every live (not zombie) process in its group
group_pids() {
    local p; p="$(pid_of "$1")"
    [ -n "$p" ] && ps -e -o pid=,pgid=,stat= | awk -v g="$p" '$2==g && $3 !~ /^Z/ {print $1}' || true
}

stop_group() { # stop_group PART... -- GRACE_SECONDS
    local parts=() part p grace t0
    while [ "$1" != -- ]; do parts+=("$1"); shift; done
    grace=$2
    for part in "${parts[@]}"; do
        p="$(pid_of "$part")"
        [ -n "$p" ] && [ -n "$(group_pids "$part")" ] || continue
        log "stopping $part (process group $p)"
        kill -TERM -- "-$p" 2>/dev/null || true
    done
    t0=$(date +%s)
    for part in "${parts[@]}"; do
        p="$(pid_of "$part")"; [ -n "$p" ] || continue
        while [ -n "$(group_pids "$part")" ] && [ $(( $(date +%s) - t0 )) -lt "$grace" ]; do sleep 0.3; done
        if [ -n "$(group_pids "$part")" ]; then
            log "$part still running after ${grace}s; SIGKILL to process group $p"
            kill -KILL -- "-$p" 2>/dev/null || true
        fi
    done
    for part in "${parts[@]}"; do
        t0=$(date +%s)
        while [ -n "$(group_pids "$part")" ] && [ $(( $(date +%s) - t0 )) -lt 10 ]; do sleep 0.2; done
    done
}

verify_milvus_ports() { # every configured port of PART is listened on by a process of its group
    local part=$1 base=$2 kv name port bad=0 pids
    pids="$(group_pids "$part" | tr '\n' '|')"; pids="${pids%|}"
    for kv in $MILVUS_PORT_KEYS; do
        name="${kv%%:*}"; port=$((base + ${kv##*:}))
        [ "$name" = index_coord_port ] && continue   # indexcoord is merged into datacoord in 2.3
        if ! ss -Hltnp "sport = :$port" | grep -Eq "pid=($pids),"; then
            log "$part: $name $port is not listened on by $part (pids $pids)"; bad=1
        fi
    done
    # and what else does it listen on? (the proxy silently moves when its port is busy)
    ss -Hltnp | grep -E "pid=($pids)," | awk '{print $4}' | sort -u > "$BENCH/$part/listening"
    return $bad
}

rss_kb() { # total RSS of a part's process group, in KiB
    local p s=0
    for p in $(group_pids "$1"); do
        s=$((s + $(awk '/^VmRSS/{print $2}' "/proc/$p/status" 2>/dev/null || echo 0)))
    done
    echo $s
}

# ------------------------------------------------------------------ commands
status() {
    local part n_up=0 n=0
    if [ ! -d "$BENCH" ]; then echo "bench: down (no $BENCH)"; return 1; fi
    for part in $PARTS; do
        n=$((n + 1))
        if alive "$part"; then
            n_up=$((n_up + 1))
            printf '%-7s running  pid %-7s rss %6s MiB  ready after %ss\n' "$part" "$(pid_of "$part")" \
                $(( $(rss_kb "$part") / 1024 )) "$(cat "$BENCH/$part/ready_after" 2>/dev/null || echo '?')"
        elif [ -f "$BENCH/$part/stopped" ]; then
            printf '%-7s stopped  (by env.sh stop %s at %s; env.sh start %s)\n' "$part" "$part" \
                "$(cat "$BENCH/$part/stopped")" "$part"
        elif [ -f "$BENCH/$part/pid" ]; then
            printf '%-7s DEAD     (pid %s recorded)\n' "$part" "$(pid_of "$part")"
        else
            printf '%-7s not started\n' "$part"
        fi
    done
    if [ "$n_up" = "$n" ] && [ -f "$ENVFILE" ]; then
        echo "bench: up ($ENVFILE)"; return 0
    fi
    echo "bench: partly up ($n_up/$n parts)"; return 1
}

failed() { # a start failed: during `up` everything is taken down, during `start` only logs
    if [ "${_BENCH_MODE}" = up ]; then fail_up "$@"; fi
    die "$*"
}

fail_up() { # keep the logs of a failed up (work/bench-failed/), take down what started, fail
    local keep="$WORK/bench-failed"
    rm -rf "$keep"; mkdir -p "$keep"
    (cd "$BENCH" && find . \( -name '*.log' -o -name '*.INFO' -o -name '*.WARNING' -o -name '*.yaml' \
        -o -name '*.properties' -o -name listening \) -type f -exec cp --parents {} "$keep"/ \;) || true
    down
    die "$* (logs kept in $keep)"
}

up() {
    if [ -f "$ENVFILE" ] && status >/dev/null 2>&1; then
        log "already up (env file: $ENVFILE)"; status; return 0
    fi
    if [ -d "$BENCH" ]; then log "a partial bench is left over; taking it down first"; down; fi
    local t0; t0="$(now)"
    prepare
    local p busy=""
    for p in $(all_ports); do port_listening "$p" && busy="$busy $p"; done
    [ -z "$busy" ] && true || die "ports already in use:$busy (set BENCH_* variables, see docs/bench.md)"
    mkdir -p "$BENCH"
    log "starting etcd on 127.0.0.1:$ETCD_CLIENT_PORT and Kafka on 127.0.0.1:$KAFKA_PORT"
    start_part etcd
    start_part kafka
    wait_part etcd
    wait_part kafka
    local src_uri dst_uri
    src_uri="$(milvus_uri source)" dst_uri="$(milvus_uri target)"
    log "starting source Milvus ($src_uri, mq kafka) and target Milvus ($dst_uri, ttMsgEnabled=false)"
    start_part source
    start_part target
    wait_part source
    wait_part target
    local ver; ver="$("$PY" "$HERE/probe.py" milvus "$src_uri" | sed -n 's/^version: \([^ ]*\).*/\1/p')"
    cat > "$ENVFILE.tmp" <<EOF
# written by t/bench/env.sh up — $(date -u +%FT%TZ)
BENCH_DIR=$BENCH
SOURCE_URI=$src_uri
TARGET_URI=$dst_uri
SOURCE_HOST=127.0.0.1
SOURCE_PORT=$(mport "$SRC_BASE" proxy_port)
TARGET_HOST=127.0.0.1
TARGET_PORT=$(mport "$DST_BASE" proxy_port)
SOURCE_HEALTHZ=http://127.0.0.1:$(mport "$SRC_BASE" metrics_port)/healthz
TARGET_HEALTHZ=http://127.0.0.1:$(mport "$DST_BASE" metrics_port)/healthz
KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT
ETCD_ENDPOINTS=127.0.0.1:$ETCD_CLIENT_PORT
SOURCE_ROOT_PATH=$SRC_ROOT_PATH
TARGET_ROOT_PATH=$DST_ROOT_PATH
SOURCE_META_PREFIX=$SRC_ROOT_PATH/meta
TARGET_META_PREFIX=$DST_ROOT_PATH/meta
CHANNEL_PREFIX=$SRC_PREFIX
TARGET_CHANNEL_PREFIX=$DST_PREFIX
DML_CHANNEL_NUM=$DML_CHANNELS
SOURCE_DML_CHANNELS=$(seq -s, -f "$SRC_PREFIX-rootcoord-dml_%g" 0 $((DML_CHANNELS - 1)))
SOURCE_REPLICATE_CHANNEL=$SRC_PREFIX-replicate-msg
SOURCE_MQ=kafka
TARGET_MQ=rocksmq
TARGET_TT_MSG_ENABLED=false
MILVUS_VERSION=$ver
MILVUS_PACKAGE_VERSION=$MILVUS_VERSION
KAFKA_VERSION=$KAFKA_VERSION
ETCD_VERSION=$(etcd --version 2>/dev/null | sed -n 's/^etcd Version: //p')
PYTHON=$PY
ETCD_PID=$(pid_of etcd)
KAFKA_PID=$(pid_of kafka)
SOURCE_PID=$(pid_of source)
TARGET_PID=$(pid_of target)
SOURCE_LOG=$BENCH/source/logs
TARGET_LOG=$BENCH/target/logs
SOURCE_MILVUS_ALIAS=$(milvus_alias source "$SRC_BASE")
TARGET_MILVUS_ALIAS=$(milvus_alias target "$DST_BASE")
EOF
    mv "$ENVFILE.tmp" "$ENVFILE"
    echo "$(elapsed "$t0")" > "$BENCH/up_seconds"
    log "up in $(elapsed "$t0")s; env file: $ENVFILE"
    status
}

down() {
    if [ ! -d "$BENCH" ]; then log "already down"; return 0; fi
    local part p pids left milvus_pids=""
    for part in source target; do milvus_pids="$milvus_pids $(pid_of "$part")"; done
    # reverse order: the Milvus instances first (they hold sessions in etcd / producers in
    # Kafka), then Kafka, then etcd.  SIGTERM to the process group, SIGKILL after a grace time
    # (a Milvus standalone's graceful stop can take >30 s; its data is thrown away anyway).
    stop_group target source -- 15
    stop_group kafka -- 20
    stop_group etcd -- 10
    left=""
    for part in target source kafka etcd; do left="$left$(group_pids "$part")"; done
    [ -z "$left" ] || die "processes left: $left"
    # files Milvus keeps outside its directory: the pid file of `run standalone --alias X`
    # (/run/milvus/standalone-X.pid) and /tmp/milvus/server_id_<pid>; remove only ours
    local alias
    for part in source target; do
        alias="$(milvus_alias "$part" "$(milvus_base "$part")")"
        rm -f "/run/milvus/standalone-$alias.pid" "/tmp/milvus/standalone-$alias.pid"
    done
    for p in $milvus_pids; do rm -f "/tmp/milvus/server_id_$p"; done
    rm -rf "$BENCH"
    log "down"
}

# ------------------------------------------------------------------ one part: stop / start
part_arg() { # part_arg PART: a part name, and a bench that `up` brought up
    case "${1:-}" in
        etcd|kafka|source|target) ;;
        *) echo "usage: $0 stop|start etcd|kafka|source|target" >&2; exit 2 ;;
    esac
    [ -f "$ENVFILE" ] || die "the bench is not up (no $ENVFILE): bash t/bench/env.sh up"
}

same_ports() { # the BENCH_* variables are the ones `up` used (else other ports would be used)
    local k want got bad=""
    for k in "ETCD_ENDPOINTS=127.0.0.1:$ETCD_CLIENT_PORT" "KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT" \
        "SOURCE_PORT=$(mport "$SRC_BASE" proxy_port)" "TARGET_PORT=$(mport "$DST_BASE" proxy_port)"; do
        want="${k#*=}" got="$(sed -n "s/^${k%%=*}=//p" "$ENVFILE")"
        [ "$got" = "$want" ] || bad="$bad ${k%%=*}=$got (here: $want)"
    done
    [ -z "$bad" ] || die "the bench was brought up with other BENCH_* ports:$bad; export the same ones"
}

set_env_pid() { # set_env_pid PART: its *_PID line in the env file (rewritten atomically)
    local var; var="$(echo "$1" | tr a-z A-Z)_PID"
    sed "s/^$var=.*/$var=$(pid_of "$1")/" "$ENVFILE" > "$ENVFILE.tmp"
    mv "$ENVFILE.tmp" "$ENVFILE"
}

stop_part() { # stop PART: its process group, as down does; its data and config stay
    local part=$1 p
    part_arg "$part"
    if ! alive "$part"; then log "$part is not running"; return 0; fi
    p="$(pid_of "$part")"
    stop_group "$part" -- "$(stop_grace "$part")"
    [ -z "$(group_pids "$part")" ] || die "$part: processes left: $(group_pids "$part" | tr '\n' ' ')"
    case "$part" in
        source|target) rm -f "/tmp/milvus/server_id_$p" ;;
    esac
    # no pid file while stopped: a recycled pid can never be taken for the part
    rm -f "$BENCH/$part/pid"
    date -u +%FT%TZ > "$BENCH/$part/stopped"
    log "$part stopped (was pid $p)"
}

start_again() { # start PART: the command, config and data dir `up` used; waits until ready
    local part=$1 p busy="" t0
    part_arg "$part"
    same_ports
    if alive "$part"; then log "$part already runs (pid $(pid_of "$part"))"; return 0; fi
    [ -z "$(group_pids "$part")" ] || die "$part: processes of its group still run"
    for p in $(part_ports "$part"); do port_listening "$p" && busy="$busy $p"; done
    [ -z "$busy" ] || die "$part: ports already in use:$busy"
    _BENCH_MODE=start
    t0="$(now)"
    log "starting $part again"
    start_part "$part"
    wait_part "$part"
    set_env_pid "$part"
    log "$part runs again (pid $(pid_of "$part"), ready after $(elapsed "$t0")s)"
}

case "${1:-}" in
    up) up ;;
    down) down ;;
    status) status ;;
    prepare) prepare ;;
    ports) all_ports | tr ' ' '\n' | sort -n ;;
    stop) stop_part "${2:-}" ;;
    start) start_again "${2:-}" ;;
    *) echo "usage: $0 up|down|status|prepare|ports|stop PART|start PART" >&2; exit 2 ;;
esac
