#!/usr/bin/env bash
# The full crash harness and the other fault tests (issue 7 items 1-4; RELIABILITY.md):
#
#   Scripts/crash-harness.sh [--quick]
#
# Runs Tests/PipelineTests/CrashHarnessTests (every crash point each of build, build --kind ivf,
# build --shards, add, remove, compact and retrain passes, killed with SIGKILL at its first, middle
# and last occurrence, each first kill followed by a second kill inside the rerun's rollback), then
# DiskFullTests, ConcurrencyTests and DecodeIsolationTests. `swift test` alone runs the quick pass
# (each point killed once); --quick runs that here too. One line per kill goes to
# .build/crash-harness.log; the summary (kills, failures, wall time) is printed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
mode=all
[ "${1:-}" = "--quick" ] && mode=quick
log="$PWD/.build/crash-harness.log"
mkdir -p .build
rm -f "$log"
start=$(date +%s)
status=0
AUDIO_INDEX_CRASH_HARNESS=$mode AUDIO_INDEX_CRASH_HARNESS_LOG="$log" \
    swift test --filter 'CrashHarnessTests|DiskFullTests|ConcurrencyTests|DecodeIsolationTests' 2>&1 \
    | grep -E "✘|Test run|recorded an issue|error:" | head -200 || status=$?
end=$(date +%s)
echo "crash harness ($mode) on $(git rev-parse --short HEAD), $(( (end - start) / 60 )) min $(( (end - start) % 60 )) s, load: $(uptime | sed 's/.*load average: //')"
if [ -f "$log" ]; then
    kills=$(grep -cP '^[a-z-]+\t[^-]' "$log" | head -1 || true)
    ok=$(grep -cP '\tok$' "$log" || true)
    echo "kills: $(grep -P '^[a-z-]+\t[a-z]' "$log" | grep -cvP '\t-\t' || true), ok: $ok, failed: $(grep -c 'FAIL' "$log" || true)"
    grep -P '\t-\t' "$log" || true
    grep -E '^(disk-full|concurrency)' "$log" || true
fi
exit $status
