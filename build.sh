#!/usr/bin/env bash
# ngx_http_milvus_cdc_module: dependencies, build, run, tests, test bench.
#
#   ./build.sh              install what is missing, build the module
#   ./build.sh run          start nginx with the module on 127.0.0.1:8444
#   ./build.sh stop         stop it
#   ./build.sh test         the whole test suite (starts the test bench)
#   ./build.sh unit         the C unit tests of t/unit/ only
#   ./build.sh asan         the sanitizer pass of ./build.sh test only
#   ./build.sh fuzz SECONDS the libFuzzer target of t/fuzz/ (clang), run
#   ./build.sh env up|down|status   the test bench (etcd, Kafka, 2 Milvus)
#   ./build.sh demo         bench up, nginx on it, a task, a workload, the diff
#   ./build.sh deps         install the Debian packages only
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NGX_SRC=/usr/share/nginx/src
# CDC_SANITIZE=address: the module's own code with AddressSanitizer and
# UBSan, built in build/asan/ (see sanitize())
if [ -n "${CDC_SANITIZE:-}" ]; then
    BUILD=${CDC_BUILD_DIR:-$ROOT/build/asan}
else
    BUILD=${CDC_BUILD_DIR:-$ROOT/build}
fi
MODULE=$BUILD/ngx_http_milvus_cdc_module.so
RUN=$ROOT/work/run
NGINX=/usr/sbin/nginx

# Debian packages: nginx and its module SDK, the libraries the module links,
# and what the tests use (Test::Base for t/lib, wrk for bench/)
PACKAGES="nginx nginx-dev libpcre2-dev libssl-dev zlib1g-dev
    libyajl-dev libsqlite3-dev libgrpc-dev libprotobuf-c-dev
    protobuf-c-compiler librdkafka-dev
    libtest-base-perl libtest-longstring-perl libtext-diff-perl
    liblist-moreutils-perl libhttp-message-perl libwww-perl libipc-run-perl
    libjson-pp-perl sqlite3 wrk curl"
# ./build.sh fuzz only: clang with libFuzzer and its sanitizer runtimes
FUZZ_PACKAGES="clang libclang-rt-dev"

say() { printf '%s\n' "build.sh: $*" >&2; }

deps() {
    local missing=() p
    for p in $PACKAGES ${1:-}; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' \
            || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    say "installing ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get update -qq
    # packages must not start services on this machine
    DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 \
        $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" \
        >/dev/null
}

# CDC_SANITIZE=address: compiler and linker flags of the module (nginx
# itself stays Debian's binary) and $BUILD/nginx-asan, a wrapper that runs
# /usr/sbin/nginx with libasan (and t/asan/ubsan_options.c) preloaded,
# reports in $BUILD/asan.log.* and
# a worker aborted (signal 6, "[alert] ... exited on signal") on the first
# error: TEST_NGINX_BINARY=$BUILD/nginx-asan
SAN_CC_OPT=""
SAN_LD_OPT=""
sanitize() {
    [ -n "${CDC_SANITIZE:-}" ] || return 0
    [ "$CDC_SANITIZE" = address ] \
        || { say "CDC_SANITIZE: only \"address\" is supported"; exit 2; }
    local asan
    asan=$(gcc -print-file-name=libasan.so)
    [ -f "$asan" ] || { say "libasan.so not found (gcc)"; exit 1; }
    SAN_CC_OPT="-fsanitize=address,undefined -fno-omit-frame-pointer"
    SAN_CC_OPT="$SAN_CC_OPT -fno-sanitize-recover=undefined"
    SAN_LD_OPT="-fsanitize=address,undefined"
    mkdir -p "$BUILD"
    # UBSAN_OPTIONS (and its log_path) kept for the workers, see the file
    gcc -shared -fPIC -O2 -Wall -Wextra -Werror \
        -o "$BUILD/ubsan-options.so" "$ROOT/t/asan/ubsan_options.c" -ldl
    cat > "$BUILD/nginx-asan" <<WRAP
#!/bin/sh
# $NGINX with the module built by CDC_SANITIZE=address ./build.sh
export LD_PRELOAD="$asan:$BUILD/ubsan-options.so\${LD_PRELOAD:+:\$LD_PRELOAD}"
export ASAN_OPTIONS="\${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1:log_path=$BUILD/asan.log}"
export UBSAN_OPTIONS="\${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:abort_on_error=1:log_path=$BUILD/asan.log}"
exec $NGINX "\$@"
WRAP
    chmod +x "$BUILD/nginx-asan"
}

build() {
    sanitize
    mkdir -p "$ROOT/proto/gen" "$BUILD"
    rm -f "$ROOT"/proto/gen/*.pb-c.[ch]
    protoc-c --c_out="$ROOT/proto/gen" -I"$ROOT/proto" "$ROOT"/proto/*.proto
    # configure again when config or the set of sources changed
    local sources
    sources=$(cd "$ROOT" && { ls config src/*.c proto/*.proto;
                              echo "${CDC_SANITIZE:-}"; } | md5sum)
    if [ ! -f "$BUILD/nginx/Makefile" ] || [ "$ROOT/config" -nt "$BUILD/nginx/Makefile" ] \
        || [ "$(cat "$BUILD/sources" 2>/dev/null)" != "$sources" ]
    then
        # Debian's own configure flags: the module must match the packaged
        # binary (--with-compat), as dh_nginx builds libnginx-mod-*
        # shellcheck disable=SC1091
        . "$NGX_SRC/conf_flags"
        (cd "$NGX_SRC" && ./configure --with-cc-opt="-g -O2 -fPIC $SAN_CC_OPT" \
            --with-ld-opt="-fPIC $SAN_LD_OPT" "${NGX_CONF_FLAGS[@]}" \
            --add-dynamic-module="$ROOT" --builddir="$BUILD/nginx") \
            > "$BUILD/configure.log" 2>&1 \
            || { tail -20 "$BUILD/configure.log"; exit 1; }
        echo "$sources" > "$BUILD/sources"
    fi
    make -s -C "$NGX_SRC" -f "$BUILD/nginx/Makefile" -j"$(nproc)" modules
    # a new file, not the loaded one overwritten: running nginx keeps its copy
    cp "$BUILD/nginx/ngx_http_milvus_cdc_module.so" "$MODULE.new"
    mv -f "$MODULE.new" "$MODULE"
    # the packaged nginx must load it
    printf 'load_module %s;\nevents {}\n' "$MODULE" > "$BUILD/load-test.conf"
    local nginx=$NGINX
    [ -z "${CDC_SANITIZE:-}" ] || nginx=$BUILD/nginx-asan
    "$nginx" -q -t -p "$BUILD/" -c "$BUILD/load-test.conf" \
        -g "error_log /dev/null; pid /dev/null;"
    say "built $MODULE"
}

run() {
    mkdir -p "$RUN/logs"
    if [ -f "$RUN/logs/nginx.pid" ] && kill -0 "$(cat "$RUN/logs/nginx.pid")" 2>/dev/null
    then
        say "already running (pid $(cat "$RUN/logs/nginx.pid")): ./build.sh stop"
        return 0
    fi
    "$NGINX" -t -q -p "$RUN/" -c "$ROOT/conf/nginx.conf" -e logs/error.log
    "$NGINX" -p "$RUN/" -c "$ROOT/conf/nginx.conf" -e logs/error.log
    for _ in $(seq 50); do
        curl -fsS -o /dev/null -d '{"request_type":"list"}' \
            http://127.0.0.1:8444/cdc 2>/dev/null && break
        sleep 0.1
    done
    say "nginx runs: POST http://127.0.0.1:8444/cdc (logs: $RUN/logs)"
    curl -sS -d '{"request_type":"list"}' http://127.0.0.1:8444/cdc
}

stop() {
    if [ -f "$RUN/logs/nginx.pid" ]; then
        "$NGINX" -p "$RUN/" -c "$ROOT/conf/nginx.conf" -e logs/error.log \
            -s quit || true
        for _ in $(seq 50); do
            [ -f "$RUN/logs/nginx.pid" ] || break
            sleep 0.1
        done
    fi
    say "stopped"
}

# the bench, nginx replicating its source Milvus into its target, a task
# created with the documentation's request, a workload and the diff
demo() {
    local demo=$ROOT/work/demo py=$ROOT/work/venv/bin/python
    bash "$ROOT/t/bench/env.sh" up
    set -a
    # shellcheck disable=SC1091
    . "$ROOT/work/bench/env"
    set +a
    if [ -f "$demo/logs/nginx.pid" ]; then
        "$NGINX" -p "$demo/" -c "$demo/nginx.conf" -s quit 2>/dev/null || true
        sleep 1
    fi
    rm -rf "$demo"
    mkdir -p "$demo/logs"
    cat > "$demo/nginx.conf" <<CONF
load_module $MODULE;
worker_processes  2;
error_log  logs/error.log info;
pid        logs/nginx.pid;
events { worker_connections 1024; }
http {
    access_log  logs/access.log;
    client_body_temp_path  client_body_temp;
    milvus_cdc_store                  store;
    milvus_cdc_source_etcd_endpoints  $ETCD_ENDPOINTS;
    milvus_cdc_source_etcd_root_path  $SOURCE_ROOT_PATH;
    milvus_cdc_source_kafka_brokers   $KAFKA_BROKERS;
    milvus_cdc_source_channel_prefix  $CHANNEL_PREFIX;
    milvus_cdc_source_dml_channels    $DML_CHANNEL_NUM;
    server {
        listen 127.0.0.1:${DEMO_PORT:-8445};
        location = /cdc { milvus_cdc on; }
    }
}
CONF
    "$NGINX" -p "$demo/" -c "$demo/nginx.conf" -e logs/error.log
    local url=http://127.0.0.1:${DEMO_PORT:-8445}/cdc
    for _ in $(seq 50); do
        curl -fsS -o /dev/null -d '{"request_type":"list"}' "$url" && break
        sleep 0.1
    done
    say "source Milvus $SOURCE_URI (log in Kafka $KAFKA_BROKERS), target $TARGET_URI"
    say "nginx: $url (config and logs in $demo)"
    local body
    body='{"request_type": "create", "request_data": {
    "milvus_connect_param": {"uri": "'$TARGET_URI'", "token": "root:Milvus", "connect_timeout": 10},
    "collection_infos": [{"name": "*"}]}}'
    say "POST $url $body"
    curl -sS -d "$body" "$url"
    say "a workload on the source (databases, collections, partitions, inserts, upserts, deletes, indexes, loads, drops)"
    "$py" "$ROOT/t/tools/workload.py" --uri source full > "$demo/workload.json"
    say "the diff, source against target"
    "$py" "$ROOT/t/tools/diff.py" source target --wait 180 --load-for-rows
    say "the task: curl -s -d '{\"request_type\": \"list\"}' $url"
    curl -sS -d '{"request_type": "list"}' "$url"
    say "stop: $NGINX -p $demo/ -c $demo/nginx.conf -s quit; ./build.sh env down"
}

# the C unit tests: t/unit/<name>_test.c tests src/ngx_http_milvus_cdc_<name>.c
# (pure logic, no I/O), compiled against nginx's headers, TAP read by prove;
# a test that needs more (other sources of the module, generated protobuf-c
# files, t/unit/ngx_core_stub.c, libraries) names them on a line of its
# opening comment, " * Linked with: a.c, dir/, -lc" ("dir/": every .c file
# in it) or " * unit-link: a.c -lc": paths from the repository's root
unit() {
    local n=$NGX_SRC/src t name item
    local -a more
    mkdir -p "$BUILD/unit"
    for t in "$ROOT"/t/unit/*_test.c; do
        name=$(basename "$t" _test.c)
        more=()
        for item in $(sed -n -e 's/^ \* Linked with: //p' \
                             -e 's/^ \* unit-link: *//p' "$t" | tr ',' ' '); do
            case $item in
                -l*) more+=("$item") ;;
                */)  more+=("$ROOT/$item"*.c) ;;
                *)   more+=("$ROOT/$item") ;;
            esac
        done
        cc -g -O1 -Wall -Wextra -Wno-unused-parameter -Werror \
            -I"$n/core" -I"$n/event" -I"$n/event/modules" -I"$n/os/unix" \
            -I"$n/http" -I"$n/http/modules" -I"$n/http/v2" \
            -I"$BUILD/nginx" -I"$ROOT/include" -I"$ROOT/src" \
            -I"$ROOT/proto/gen" -I"$ROOT/t/unit" \
            "$t" "$ROOT/src/ngx_http_milvus_cdc_$name.c" ${more[@]+"${more[@]}"} \
            -o "$BUILD/unit/${name}_test"
    done
    prove --exec '' "$BUILD"/unit/*_test
}

# the sanitizer pass: the API, bad-input, persistence and helper suites run
# a second time with the module built by CDC_SANITIZE=address
# (AddressSanitizer and UBSan, in build/asan/); any report (a file in
# build/asan/reports/) fails it.  Without the bench's target Milvus (whose
# address the suites that create tasks need) only those that need nginx
# alone run; t/075 then creates tasks on an address where nothing listens.
# CDC_ASAN_TESTS: other files.
ASAN_TESTS="t/071-uri-userinfo.t t/072-dial-files.t t/075-fuzz.t
    t/076-fuzz-regressions.t"
ASAN_BENCH_TESTS="t/020-api.t t/030-bad-input.t t/031-create-race.t
    t/032-utf8.t t/033-nesting.t t/040-persistence-reload.t
    t/041-persistence-restart.t t/050-helper.t"

asan_tests() {
    local dir=$ROOT/build/asan start rc=0 f
    (
        CDC_SANITIZE=address
        BUILD=$dir
        MODULE=$BUILD/ngx_http_milvus_cdc_module.so
        build
    ) || return 1
    start=$(date +%s)
    rm -rf "$dir/reports"
    mkdir -p "$dir/reports"
    # workers may run as another user
    chmod 1777 "$dir/reports"
    # halt on the first error, abort (the worker exits on signal 6), and
    # write the report to a file: a worker's stderr is nginx's error.log
    (
        export TEST_NGINX_BINARY=$dir/nginx-asan
        export TEST_NGINX_LOAD_MODULES=$dir/ngx_http_milvus_cdc_module.so
        export TEST_NGINX_TARGET_URI=${TEST_NGINX_TARGET_URI:-http://127.0.0.1:1}
        export ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:abort_on_error=1:log_path=$dir/reports/asan"
        export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:abort_on_error=1:log_path=$dir/reports/ubsan"
        # shellcheck disable=SC2086
        if [ -z "${CDC_ASAN_TESTS:-}" ] && [ "$TEST_NGINX_TARGET_URI" != \
             http://127.0.0.1:1 ]; then
            CDC_ASAN_TESTS="$ASAN_BENCH_TESTS $ASAN_TESTS"
        fi
        cd "$ROOT" && prove -I t/lib ${CDC_ASAN_TESTS:-$ASAN_TESTS}
    ) || rc=1
    for f in "$dir"/reports/*; do
        [ -f "$f" ] || continue
        say "sanitizer report $f:"
        head -60 "$f" >&2
        rc=1
    done
    say "sanitizer pass: $(( $(date +%s) - start )) s, $([ $rc = 0 ] \
        && echo "no report" || echo FAILED)"
    return $rc
}

# the libFuzzer target of the request parser and validator (clang, with
# AddressSanitizer and UBSan): t/fuzz/request_fuzz.c with the module's
# json.c and task.c, run for SECONDS (default 60) on build/fuzz/corpus/ and
# the seeds of t/fuzz/corpus/ (read only: new inputs go to build/fuzz/),
# with t/fuzz/request.dict.  A crash leaves build/fuzz/crash-* and fails.
# SECONDS 0: replay the seeds and build/fuzz/corpus/ once.
fuzz() {
    local secs=${1:-60} n=$NGX_SRC/src dir=$ROOT/build/fuzz
    case "$secs" in
        ''|*[!0-9]*) say "usage: $0 fuzz SECONDS"; exit 2 ;;
    esac
    mkdir -p "$dir/corpus"
    clang -g -O1 -fsanitize=fuzzer,address,undefined \
        -fno-sanitize-recover=undefined -fno-omit-frame-pointer \
        -Wall -Wno-unused-parameter -Werror \
        -I"$n/core" -I"$n/event" -I"$n/event/modules" -I"$n/os/unix" \
        -I"$n/http" -I"$n/http/modules" -I"$n/http/v2" \
        -I"$BUILD/nginx" -I"$ROOT/include" \
        "$ROOT/t/fuzz/request_fuzz.c" "$ROOT/t/fuzz/nginx_core.c" \
        "$ROOT/src/ngx_http_milvus_cdc_json.c" \
        "$ROOT/src/ngx_http_milvus_cdc_task.c" \
        -lyajl -o "$dir/request_fuzz"
    say "built $dir/request_fuzz"
    local run=(-max_len=65536 -timeout=10 -rss_limit_mb=2048
               -dict="$ROOT/t/fuzz/request.dict" -artifact_prefix="$dir/"
               -print_final_stats=1)
    if [ "$secs" = 0 ]; then
        "$dir/request_fuzz" "${run[@]}" -runs=0 "$dir/corpus" \
            "$ROOT/t/fuzz/corpus"
    else
        "$dir/request_fuzz" "${run[@]}" -max_total_time="$secs" \
            "$dir/corpus" "$ROOT/t/fuzz/corpus"
    fi
}

run_tests() {
    local rc=0
    unit || rc=1
    export TEST_NGINX_BINARY=$NGINX
    export TEST_NGINX_LOAD_MODULES=$MODULE
    # the bench: its own tests leave it up for the nginx suite
    if [ "${CDC_TEST_NO_BENCH:-}" != 1 ]; then
        trap 'bash "$ROOT/t/bench/env.sh" down >/dev/null 2>&1 || true' EXIT
        bash "$ROOT/t/bench/test.sh" --keep || rc=1
        if [ -f "$ROOT/work/bench/env" ]; then
            set -a
            # shellcheck disable=SC1091
            . "$ROOT/work/bench/env"
            set +a
            export TEST_NGINX_TARGET_URI=${TARGET_URI:-}
            export TEST_NGINX_SOURCE_URI=${SOURCE_URI:-}
            export TEST_NGINX_ETCD_ENDPOINTS=${ETCD_ENDPOINTS:-}
            export TEST_NGINX_SOURCE_ROOT_PATH=${SOURCE_ROOT_PATH:-}
            export TEST_NGINX_KAFKA_BROKERS=${KAFKA_BROKERS:-}
            export TEST_NGINX_CHANNEL_PREFIX=${CHANNEL_PREFIX:-}
            export TEST_NGINX_DML_CHANNELS=${DML_CHANNEL_NUM:-}
        fi
    fi
    (cd "$ROOT" && prove -I t/lib -r t) || rc=1
    [ "${CDC_TEST_NO_ASAN:-}" = 1 ] || asan_tests || rc=1
    return $rc
}

cmd=${1:-build}
case "$cmd" in
    build|"") deps; build ;;
    deps)     deps ;;
    run)      deps; build; run ;;
    stop)     stop ;;
    test)     deps; build; run_tests ;;
    unit)     deps; build; unit ;;
    asan)     deps; asan_tests ;;
    fuzz)     shift; deps "$FUZZ_PACKAGES"; build; fuzz "$@" ;;
    env)      shift; exec bash "$ROOT/t/bench/env.sh" "$@" ;;
    demo)     deps; build; demo ;;
    *)        say "usage: $0 [build|run|stop|test|unit|asan|fuzz SECONDS|demo|env up|down|status|deps]"; exit 2 ;;
esac
