#!/usr/bin/env bash
# The GPU checks, as one script for a short lease of a GPU machine: about 8-9 minutes on a GPU, by estimate.
#
#   BENCH_COMMIT=<commit> bash bench/device_check.sh   # on the GPU machine, which has no git: the commit from `git describe --always --dirty` here; log and CSV in $OUT
#   . .venv/bin/activate && DEVICE=cpu TASKS=4 PAIRS=2 DEMO_ITERS=20 bash bench/device_check.sh   # a rehearsal here, small
#
# The rehearsal runs every step on this machine's CPU, to catch a broken step before a lease is spent on it. The
# limits are sized for a GPU, so on a CPU several steps stop at theirs (the rehearsals so far: bench/README.md, "On a GPU").
#
# In order of what matters most, each with a time limit, so that a step that runs long costs only itself and a lease
# that ends early still returns what came before it:
#   1. the machine: the GPU, Python and torch (a GPU machine has its own torch, not the pinned one);
#   2. ours against the plain loop in one process, taking turns (`interleaved_ab.py`): MAML and HIDRA, second and first
#      order, meta-batch $TASKS; ours on the driver a GPU run tries first (vmap): the issue's 5x target, and memory;
#   3. `hidra_nb demo`, the README's main job, on the GPU end to end (train, checkpoint, evaluate); its run times vmap
#      against the loop on its first meta-batch and prints which it keeps (`--driver auto`, training chapter);
#   4. a training run stopped and resumed on the GPU, N mixed within each meta-batch (its checkpoint holds the GPU's
#      random-number state);
#   5. the benchmark's headline rows in fresh processes (`maml_bench.py --quick`, one round; ours, the plain loop and
#      `higher`), after its float64 meta-gradient check on the GPU; the CSV goes to $OUT, setting by setting;
#   6. the compiled driver on the GPU against the plain loop (compiling takes minutes: last, and it may not finish).
# Packages the machine lacks travel as wheels in .whl (bench/README.md, "On a GPU").
set -u -o pipefail
cd "$(dirname "$0")/.."
DEVICE=${DEVICE:-cuda} TASKS=${TASKS:-32} PAIRS=${PAIRS:-6} DEMO_ITERS=${DEMO_ITERS:-300} OUT=${OUT:-/tmp/device_check}
mkdir -p "$OUT"
LOG="$OUT/device_check.log"
export PYTHONUNBUFFERED=1 MPLBACKEND=Agg PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
if compgen -G '.whl/*.whl' >/dev/null; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/hidra_site .whl/*.whl 2>&1 |
    tee -a "$LOG" && export PYTHONPATH="$PYTHONPATH:/tmp/hidra_site"
fi
if ! python3 -c 'import hidra_nb.training' 2>>"$LOG"; then  # fastcore above all: nothing below runs without it
  echo "hidra_nb does not import here (the log says why; fastcore missing?): carry the wheels in .whl (bench/README.md, \"On a GPU\"); stopping" | tee -a "$LOG"
  exit 1
fi
python3 -c 'import higher' 2>/dev/null || echo "higher is missing here: the benchmark step leaves it out (its wheel travels in .whl)" | tee -a "$LOG"
RUNS=$(mktemp -d)  # run folders of steps 3 and 4; nothing of the repository's is written
trap 'rm -rf "$RUNS"' EXIT  # also when the lease ends the script early
FAILED=0

step() {  # step NAME SECONDS COMMAND...: run it under a time limit, its output into the log as it comes
  local name=$1 limit=$2 start=$SECONDS rc; shift 2
  echo "== $name (limit ${limit} s): $*" | tee -a "$LOG"
  timeout -k 15 "$limit" "$@" 2>&1 | tee -a "$LOG"; rc=$?  # -k: a run that takes SIGTERM as "stop after this iteration" is killed 15 s later
  echo "== $name: exit $rc after $((SECONDS - start)) s$( { [ $rc = 124 ] || [ $rc = 137 ]; } && echo ', stopped at its limit')" | tee -a "$LOG"
  [ "$rc" = 0 ] || FAILED=$((FAILED + 1))
}
ab() { step "ours against the plain loop: $*" 180 python3 bench/interleaved_ab.py --device "$DEVICE" --tasks "$TASKS" --pairs "$PAIRS" "$@"; }

echo "commit ${BENCH_COMMIT:-$(git describe --always --dirty 2>/dev/null || echo unknown)}" | tee -a "$LOG"
step machine 60 bash -c 'nvidia-smi -L 2>/dev/null; python3 -c "import sys, torch; print(sys.version.split()[0], torch.__version__, torch.cuda.get_device_name() if torch.cuda.is_available() else \"no GPU\")"'
ab --method maml
ab --method maml --first-order
ab --method hidra
ab --method hidra --first-order
step demo 180 python3 -m hidra_nb.cli demo --iters "$DEMO_ITERS" --tasks 50 --out "$RUNS/demo"
train=(python3 -m hidra_nb.cli train --device "$DEVICE" --out "$RUNS/resume" --ways 2-10 --mixed-ways --ckpt-every 10 --val-every 0 --quiet)
step "train 20 iterations" 90 "${train[@]}" --iters 20
step "resume to 40" 90 "${train[@]}" --iters 40
step "benchmark, headline rows" 300 python3 bench/maml_bench.py --device "$DEVICE" --quick --rounds 1 --results-dir "$OUT" \
  --impls hidra_nb 'plain loop' higher
ab --method maml --driver compiled
echo "$FAILED step(s) failed or stopped at their limit; the log: $LOG" | tee -a "$LOG"
exit "$FAILED"
