#!/usr/bin/env bash
# The merge step of a sharded audio-index build: `audio-index merge` of the parts that
# build-part.sh wrote to $AUDIO_INDEX_WORK/parts/part-<i> into $AUDIO_INDEX_WORK/index. The body of
# slurm-merge.sbatch and of the merge Job in k8s-indexed-job.yaml; runs anywhere with:
#
#   AUDIO_INDEX_WORK    the shared folder holding parts/                                  (required)
#   AUDIO_INDEX_PARTS   N: merge parts/part-0 … part-<N-1> (default: every parts/part-<i> present;
#                       merge itself refuses when one of the N its parts record is missing)
#   AUDIO_INDEX_OUT     the merged index (default: $AUDIO_INDEX_WORK/index)
#   AUDIO_INDEX_KIND    flat or ivf (default: flat); AUDIO_INDEX_NLIST, AUDIO_INDEX_SEED for ivf
#   AUDIO_INDEX_BIN     the audio-index executable (default: audio-index on PATH)
#
# Run again after a kill it resumes and ends with the same index.
set -euo pipefail

[ -n "${AUDIO_INDEX_WORK:-}" ] || { echo "merge-parts.sh: set AUDIO_INDEX_WORK to the folder holding parts/" >&2; exit 2; }
bin="${AUDIO_INDEX_BIN:-audio-index}"
parts=()
if [ -n "${AUDIO_INDEX_PARTS:-}" ]; then
  for ((i = 0; i < AUDIO_INDEX_PARTS; i++)); do parts+=("$AUDIO_INDEX_WORK/parts/part-$i"); done
else
  for ((i = 0; ; i++)); do
    [ -d "$AUDIO_INDEX_WORK/parts/part-$i" ] || break
    parts+=("$AUDIO_INDEX_WORK/parts/part-$i")
  done
fi
if [ "${#parts[@]}" -eq 0 ]; then
  echo "merge-parts.sh: no parts in $AUDIO_INDEX_WORK/parts (run build-part.sh first)" >&2
  exit 5
fi
args=(merge --out "${AUDIO_INDEX_OUT:-$AUDIO_INDEX_WORK/index}" --kind "${AUDIO_INDEX_KIND:-flat}")
if [ -n "${AUDIO_INDEX_NLIST:-}" ]; then args+=(--nlist "$AUDIO_INDEX_NLIST"); fi
if [ -n "${AUDIO_INDEX_SEED:-}" ]; then args+=(--seed "$AUDIO_INDEX_SEED"); fi
echo "merge: $bin ${args[*]} ${parts[*]}" >&2
exec "$bin" "${args[@]}" "${parts[@]}"
