#!/usr/bin/env bash
# Bench tests: bash t/bench/test.sh [--keep] [pytest args...]
#   Brings the bench up once (test_00_lifecycle: down -> up from nothing), runs the workload and
#   diff tests on it, and takes it down at the end (test_99_down: checks nothing is left).
#   --keep  leave the bench up afterwards (skips the down test); a later run reuses the caches.
# Uses work/venv (pinned t/tools/requirements.txt, includes pytest); `env.sh prepare` creates it.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
KEEP=0
args=()
for a in "$@"; do
    case "$a" in
        --keep) KEEP=1 ;;
        *) args+=("$a") ;;
    esac
done
bash "$HERE/env.sh" prepare
export BENCH_KEEP=$KEEP
cleanup() {
    # whatever happened, do not leave the bench running in CI unless asked to
    if [ "$KEEP" != 1 ] && [ -d "$ROOT/work/bench" ]; then bash "$HERE/env.sh" down || true; fi
}
trap cleanup EXIT
cd "$ROOT"
"$ROOT/work/venv/bin/python" -m pytest -p no:cacheprovider -W ignore::DeprecationWarning -rs -v "$HERE" ${args[@]+"${args[@]}"}
