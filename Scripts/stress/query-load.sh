#!/usr/bin/env bash
# Query-load stress test (issue 7 item 7): P processes each run single queries against the same
# memory-mapped index, first a clustered 630k × 512 IVF index (nlist 1024, nprobe 16, k 10), then the
# flat one; every process checks every answer and reports its RSS at start and end and its latency
# p50/p99 (`audio-index bench load`). Fails (exit 1) on any wrong answer or when a process's
# anonymous memory grew by more than RSS_SLACK_KIB during its run.
#
#   Scripts/stress/query-load.sh                       # the full size: 1,000,000 IVF + 20,000 flat queries, 2 processes
#   N=100000 IVF_QUERIES=20000 FLAT_QUERIES=2000 Scripts/stress/query-load.sh   # reduced
#
# Environment (defaults in brackets): N [630000] vectors, D [512], NLIST [1024], NPROBE [16], K [10],
# PROCS [2], IVF_QUERIES [1000000] and FLAT_QUERIES [20000] in total (split between the processes),
# WORK [.build/stress-load] (data and indexes are kept there and reused; DATA [$WORK/n$N-d$D] names
# the folder itself), BIN [.build/release/audio-index], PYTHON [python3 with numpy], RSS_SLACK_KIB [4096].
#
# On a shared machine, LOCK=FILE runs the query processes only while this script holds flock(FILE)
# (the benchmark lock), in windows of at most WINDOW [540] seconds: between windows both processes
# are stopped (SIGSTOP), the lock is released for PAUSE [30] s and they continue (SIGCONT) once it is
# taken again. The processes and their RSS live through the whole run; a query the stop lands in
# counts the pause in its latency (at most one per process per window: visible in max, not in p99).
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${N:-630000}; D=${D:-512}; NLIST=${NLIST:-1024}; NPROBE=${NPROBE:-16}; K=${K:-10}; PROCS=${PROCS:-2}
IVF_QUERIES=${IVF_QUERIES:-1000000}; FLAT_QUERIES=${FLAT_QUERIES:-20000}; RSS_SLACK_KIB=${RSS_SLACK_KIB:-4096}
WORK=${WORK:-.build/stress-load}; BIN=${BIN:-.build/release/audio-index}; PYTHON=${PYTHON:-python3}
data=${DATA:-$WORK/n$N-d$D}; LOCK=${LOCK:-}; WINDOW=${WINDOW:-540}; PAUSE=${PAUSE:-30}
mkdir -p "$data" "$WORK"
[[ -x "$BIN" ]] || { echo "query-load: $BIN not found; swift build -c release --product audio-index (or set BIN)" >&2; exit 2; }

if [[ ! -f "$data/base.npy" ]]; then
    echo "query-load: generating $N clustered $D-d vectors + 10000 queries (Scripts/bench/bench_vectors.py generator)" >&2
    "$PYTHON" - "$N" "$D" "$data" <<'PY'
import sys, os
import numpy as np
sys.path.insert(0, "Scripts/bench")
from bench_vectors import generate
n, d, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
x = generate(n + 10000, d, 1)
np.save(os.path.join(out, "base.npy"), x[:n]); np.save(os.path.join(out, "queries.npy"), x[n:])
PY
fi
[[ -d "$data/flat" ]] || "$BIN" vectors build "$data/base.npy" --out "$data/flat"
[[ -d "$data/ivf-$NLIST" ]] || "$BIN" vectors build "$data/base.npy" --out "$data/ivf-$NLIST" --kind ivf --nlist "$NLIST"

status=0
# Any of these processes still running (a finished child stays a zombie, state Z, until `wait`).
alive() { local p; for p in "$@"; do [[ -r /proc/$p/stat ]] && [[ $(cut -d' ' -f3 /proc/$p/stat 2>/dev/null) != Z ]] && return 0; done; return 1; }
run() {  # kind index total
    local kind=$1 index=$2 total=$3 each=$(( $3 / PROCS )) pids=() i
    echo "query-load: $kind, $PROCS processes × $each queries (k $K, nprobe $NPROBE), $(uptime | sed 's/.*load/load/')" >&2
    [[ -n "$LOCK" ]] && { exec 9>>"$LOCK"; flock 9; }
    local window_start=$(date +%s)
    for (( i = 0; i < PROCS; i++ )); do
        "$BIN" bench load --index "$index" --queries "$data/queries.npy" --count "$each" -k "$K" --nprobe "$NPROBE" > "$WORK/$kind-$i.json" 9>&- &
        pids+=($!)
    done
    if [[ -n "$LOCK" ]]; then
        local windows=1
        while alive "${pids[@]}"; do
            if (( $(date +%s) - window_start >= WINDOW )); then
                kill -STOP "${pids[@]}" 2>/dev/null || true
                flock -u 9; sleep "$PAUSE"; flock 9
                echo "query-load: $kind window $(( ++windows )), $(uptime | sed 's/.*load/load/')" >&2
                window_start=$(date +%s)
                kill -CONT "${pids[@]}" 2>/dev/null || true
            fi
            sleep 1
        done
    fi
    for i in "${!pids[@]}"; do wait "${pids[$i]}" || { echo "query-load: $kind process $i failed" >&2; status=1; }; done
    [[ -n "$LOCK" ]] && { flock -u 9; exec 9>&-; }
    for (( i = 0; i < PROCS; i++ )); do
        cat "$WORK/$kind-$i.json"
        "$PYTHON" -c 'import json,sys; r=json.load(open(sys.argv[1])); g=r["anon_end_kib"]-r["anon_start_kib"]; sys.exit(0 if r["errors"]==0 and g<=int(sys.argv[2]) else 1)' \
            "$WORK/$kind-$i.json" "$RSS_SLACK_KIB" || { echo "query-load: $kind process $i: errors or RSS growth" >&2; status=1; }
    done
}
run ivf "$data/ivf-$NLIST" "$IVF_QUERIES"
run flat "$data/flat" "$FLAT_QUERIES"
echo "query-load: $([[ $status == 0 ]] && echo passed || echo FAILED)" >&2
exit $status
