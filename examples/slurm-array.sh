#!/bin/bash
# One sweep as a Slurm job array: task i of N runs shard i/N of the grid; all tasks write cache files
# into one data directory on a shared file system, and a dependent job merges them.
#
#   jid=$(sbatch --parsable --array=0-7 examples/slurm-array.sh demo-gaussian-moments)
#   sbatch --dependency=afterok:$jid --wrap "npm run --silent merge -- demo-gaussian-moments --data $PWD/data"
#
# Give --array as a plain range starting anywhere (0-7, 1-8); its size is the shard count. Extra
# arguments go to the sweep (--set name=json, --seeds k); give the merge the same ones. A failed or
# preempted task can simply be resubmitted (sbatch --array=3 ...): finished cells are reused.
#SBATCH --job-name=sweep
#SBATCH --array=0-7
#SBATCH --cpus-per-task=8
#SBATCH --mem=8G
#SBATCH --time=04:00:00
#SBATCH --output=slurm-%x-%A_%a.out
set -euo pipefail

experiment=${1:?usage: sbatch --array=0-N examples/slurm-array.sh <experiment> [sweep options]}
shift
cd "${SLURM_SUBMIT_DIR:-$PWD}"                       # the repository (npm ci done once, beforehand)
data=${SWEEP_DATA_DIR:-$PWD/data}                    # shared by all tasks
index=$(( SLURM_ARRAY_TASK_ID - ${SLURM_ARRAY_TASK_MIN:-0} ))
count=${SLURM_ARRAY_TASK_COUNT:?not inside a Slurm job array}

exec npm run --silent sweep -- "$experiment" --shard "$index/$count" --data "$data" \
  --workers "${SLURM_CPUS_PER_TASK:-1}" "$@"
