#!/usr/bin/env bash
# Coverage-guided fuzzing of audio-index's readers (libFuzzer + AddressSanitizer), one target per reader.
#
#   Scripts/fuzz.sh [--replay] [--seconds S | --runs N] [TARGET...]
#
# TARGET is one of the executables in Fuzz/Package.swift (default: all). Each runs on a scratch copy of
# its committed seed corpus Fuzz/corpus/<TARGET> (new inputs it finds stay in .build-fuzz/corpus/<TARGET>;
# copy interesting ones into the committed corpus). A crash, a hang (> 10 s per input), or more than
# 2 GiB of memory stops the run with exit status 1 and writes the input to .build-fuzz/artifacts/<TARGET>/:
# reproduce with `.build-fuzz/release/<TARGET> <file>` and turn it into a regression test.
# FuzzAudioDecode runs with -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1: crashes inside the
# uninstrumented libsndfile and its codecs are saved and counted ("codec findings"), not fatal (build decodes
# untrusted audio in decode-worker processes); triage each artifact's stack (a Swift frame on top is ours).
# Each target is built alone (`--product`), so a long run of one target builds only what it needs.
# --replay first runs every committed corpus input once (no mutation; a finding turned regression
# input must keep passing; `swift test` replays the same corpora through the same entry points,
# FuzzCorpusReplayTests). CI runs `--seconds 10`; long runs and figures: RELIABILITY.md.
set -euo pipefail
cd "$(dirname "$0")/.."

limit=(-max_total_time=60)
replay=0
targets=()
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) limit=(-max_total_time="$2"); shift 2 ;;
        --runs) limit=(-runs="$2"); shift 2 ;;
        --replay) replay=1; shift ;;
        -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) targets+=("$1"); shift ;;
    esac
done
if [ ${#targets[@]} -eq 0 ]; then
    targets=($(sed -n 's/.*executableTarget(name: "\([A-Za-z]*\)".*/\1/p' Fuzz/Package.swift))
fi

# lld, not the default gold: gold aborts on libFuzzer's objects ("internal error in format_file_lineno").
echo "fuzz: building ${targets[*]} (release, -sanitize=fuzzer,address)" >&2
for target in "${targets[@]}"; do
    swift build --package-path Fuzz --scratch-path .build-fuzz -c release --toolset Fuzz/toolset.json --product "$target" \
        -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\]|ld.gold: warning|^Build of product' >&2 || true
done
status=0
if [ $replay = 1 ]; then
    for target in "${targets[@]}"; do
        binary=.build-fuzz/release/$target
        [ -x "$binary" ] || { echo "fuzz: $binary was not built" >&2; exit 1; }
        inputs=$(ls Fuzz/corpus/$target | wc -l)
        if "$binary" -runs=0 -timeout=10 -rss_limit_mb=2048 Fuzz/corpus/$target > ".build-fuzz/$target.replay.log" 2>&1; then
            echo "fuzz: $target: replayed $inputs committed inputs" >&2
        else
            echo "fuzz: $target: a committed input FAILED; see .build-fuzz/$target.replay.log" >&2
            tail -n 30 ".build-fuzz/$target.replay.log" >&2
            status=1
        fi
    done
fi
for target in "${targets[@]}"; do
    binary=.build-fuzz/release/$target
    [ -x "$binary" ] || { echo "fuzz: $binary was not built" >&2; exit 1; }
    work=.build-fuzz/corpus/$target
    artifacts=.build-fuzz/artifacts/$target/
    mkdir -p "$work" "$artifacts"
    [ -d "Fuzz/corpus/$target" ] && cp -n Fuzz/corpus/$target/* "$work"/ 2>/dev/null || true
    extra=()
    [ "$target" = FuzzAudioDecode ] && extra=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
    echo "fuzz: $target ${limit[*]} ${extra[*]}" >&2
    rc=0
    "$binary" "${limit[@]}" ${extra[@]+"${extra[@]}"} -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
        -artifact_prefix="$artifacts" "$work" > ".build-fuzz/$target.log" 2>&1 || rc=$?
    failed=$([ $rc -eq 0 ] && echo 0 || echo 1)
    # FuzzAudioDecode in fork mode exits 1 whenever a job crashed, in a codec or in our code: its crashes
    # are triaged below instead, and it fails here only if the fuzzer did not run to its end.
    if [ "$target" = FuzzAudioDecode ]; then
        failed=$(grep -q "INFO: exiting:" ".build-fuzz/$target.log" && echo 0 || echo 1)
    fi
    if [ "$failed" = 1 ]; then
        echo "fuzz: $target FAILED; see .build-fuzz/$target.log and $artifacts" >&2
        tail -n 30 ".build-fuzz/$target.log" >&2
        status=1
    else
        grep -E "stat::number_of_executed_units|stat::peak_rss_mb|Done [0-9]+ runs" ".build-fuzz/$target.log" \
            | sed "s/^/fuzz: $target: /" >&2 || true
    fi
    if [ "$target" = FuzzAudioDecode ]; then
        # Triage: replay each crash alone; a Swift runtime failure (a precondition of the entry point or
        # our wrapper) is a finding in our code and fails the run; anything else is the codec's.
        for artifact in "$artifacts"crash-*; do
            [ -f "$artifact" ] || continue
            replayed=$(ASAN_OPTIONS=detect_leaks=0 timeout 120 "$binary" -runs=1 "$artifact" 2>&1 || true)
            if grep -q "Swift runtime failure" <<< "$replayed"; then
                echo "fuzz: $target: $artifact fails in OUR code (replay: $binary -runs=1 $artifact)" >&2
                status=1
            fi
        done
        echo "fuzz: $target: $(find "$artifacts" -type f | wc -l) codec findings in $artifacts ($(find "$artifacts" -name 'crash-*' | wc -l) crash, $(find "$artifacts" -name 'timeout-*' | wc -l) timeout, $(find "$artifacts" -name 'oom-*' | wc -l) oom)" >&2
    fi
done
exit $status
