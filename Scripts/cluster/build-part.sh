#!/usr/bin/env bash
# One part of a sharded audio-index build: `audio-index build --shard i/N` into
# $AUDIO_INDEX_WORK/parts/part-<i>. The body of a Slurm array task (slurm-build.sbatch) and of a
# Kubernetes Indexed Job pod (k8s-indexed-job.yaml); runs anywhere with the environment set:
#
#   part i    SLURM_ARRAY_TASK_ID (minus SLURM_ARRAY_TASK_MIN), else JOB_COMPLETION_INDEX, else
#             AUDIO_INDEX_PART   (0-based)
#   parts N   SLURM_ARRAY_TASK_COUNT, else AUDIO_INDEX_PARTS
#   AUDIO_INDEX_MODEL      the model: a Hugging Face ClapModel folder or a laion_clap .pt   (required)
#   AUDIO_INDEX_MANIFEST | AUDIO_INDEX_SHARDS | AUDIO_INDEX_DIR
#                          the input: a manifest, a quoted .tar glob or a folder          (exactly one)
#   AUDIO_INDEX_WORK       a folder every node sees; parts go to WORK/parts/part-<i>      (required)
#   AUDIO_INDEX_TOKENIZER  a tokenizer folder recorded for text queries                    (optional)
#   AUDIO_INDEX_THREADS    CPU budget of the task (default: SLURM_CPUS_PER_TASK, else 1)
#   AUDIO_INDEX_EXTRA      more build options, split on spaces, e.g. "--long-clip segments"
#   AUDIO_INDEX_BIN        the audio-index executable (default: audio-index on PATH)
#
# Every part must see the same input (same path and content) and get the same N and options.
# Exit 0 when the part is complete, also when some clips failed: build exits 1 then, the failures
# are in the part's catalog and merge carries them over, so a dependent merge (Slurm afterok, or
# a Job's success) still runs. Exit 2 when the environment is incomplete; any other exit is
# build's own (2 usage, 3 mismatch, 8 locked, …).
# Run again (a requeued task, a restarted pod) it resumes where it stopped.
set -euo pipefail

i="${SLURM_ARRAY_TASK_ID:-${JOB_COMPLETION_INDEX:-${AUDIO_INDEX_PART:-}}}"
if [ -n "${SLURM_ARRAY_TASK_ID:-}" ] && [ -n "${SLURM_ARRAY_TASK_MIN:-}" ]; then
  i=$((SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN))   # --array=1-16 works too (step 1)
fi
n="${SLURM_ARRAY_TASK_COUNT:-${AUDIO_INDEX_PARTS:-}}"
[ -n "${i:-}" ] || { echo "build-part.sh: no part number: set SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX or AUDIO_INDEX_PART" >&2; exit 2; }
[ -n "${n:-}" ] || { echo "build-part.sh: no part count: set SLURM_ARRAY_TASK_COUNT (a Slurm array) or AUDIO_INDEX_PARTS" >&2; exit 2; }
[ -n "${AUDIO_INDEX_MODEL:-}" ] || { echo "build-part.sh: set AUDIO_INDEX_MODEL to the model folder or .pt" >&2; exit 2; }
[ -n "${AUDIO_INDEX_WORK:-}" ] || { echo "build-part.sh: set AUDIO_INDEX_WORK to a folder all nodes share" >&2; exit 2; }
bin="${AUDIO_INDEX_BIN:-audio-index}"
threads="${AUDIO_INDEX_THREADS:-${SLURM_CPUS_PER_TASK:-1}}"

args=(build --model "$AUDIO_INDEX_MODEL" --shard "$i/$n" --index "$AUDIO_INDEX_WORK/parts/part-$i" --threads "$threads")
inputs=0
if [ -n "${AUDIO_INDEX_MANIFEST:-}" ]; then args+=(--manifest "$AUDIO_INDEX_MANIFEST"); inputs=$((inputs + 1)); fi
if [ -n "${AUDIO_INDEX_SHARDS:-}" ]; then args+=(--shards "$AUDIO_INDEX_SHARDS"); inputs=$((inputs + 1)); fi
if [ -n "${AUDIO_INDEX_DIR:-}" ]; then args+=(--dir "$AUDIO_INDEX_DIR"); inputs=$((inputs + 1)); fi
if [ "$inputs" -ne 1 ]; then
  echo "build-part.sh: set exactly one of AUDIO_INDEX_MANIFEST, AUDIO_INDEX_SHARDS, AUDIO_INDEX_DIR" >&2
  exit 2
fi
if [ -n "${AUDIO_INDEX_TOKENIZER:-}" ]; then args+=(--tokenizer "$AUDIO_INDEX_TOKENIZER"); fi
if [ -n "${AUDIO_INDEX_EXTRA:-}" ]; then
  read -r -a extra <<<"$AUDIO_INDEX_EXTRA"
  args+=("${extra[@]}")
fi

mkdir -p "$AUDIO_INDEX_WORK/parts"
echo "part $i/$n: $bin ${args[*]}" >&2
status=0
"$bin" "${args[@]}" || status=$?
if [ "$status" -eq 1 ]; then
  echo "part $i/$n: complete; some clips failed (listed by audio-index info --index $AUDIO_INDEX_WORK/parts/part-$i; merge carries them over)" >&2
  exit 0
fi
exit "$status"
