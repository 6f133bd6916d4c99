#!/usr/bin/env bash
# PyTorch DDP (gloo, CPU) training of a small Fashion-MNIST classifier read from Tlc tables, every rank's per-sample
# training loss and an exact per-sample evaluation landing in one Tlc run (see README.md beside this script).
#
#   examples/ddp/run.sh --ranks 3 --root R --run P/R [--epochs 2] [--train-rows 6000] [--kill-rank 1 --kill-epoch 1]
#
# Imports the Fashion-MNIST train and test tables into project P of root R (once), serves the training API ('tlc api'),
# launches the ranks with MASTER_ADDR/MASTER_PORT/RANK/WORLD_SIZE set (env:// init; Debian's torchrun does not start on
# Python 3.11), and, when a rank dies (--kill-rank makes one SIGKILL itself mid-epoch), stops the group and restarts it
# from the last checkpoint: the restarted ranks replace their unfinished shares. Then the final weights are evaluated by
# one process into run P/R-single (to compare), and the run's metrics table URLs are printed.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ranks=2 root="" run="" epochs=2 train_rows=6000 kill_rank=-1 kill_epoch=-1 data=/usr/share/datasets/fashion-mnist
while [ $# -gt 0 ]; do
  case "$1" in
    --ranks) ranks="$2"; shift 2 ;;
    --root) root="$2"; shift 2 ;;
    --run) run="$2"; shift 2 ;;
    --epochs) epochs="$2"; shift 2 ;;
    --train-rows) train_rows="$2"; shift 2 ;;
    --kill-rank) kill_rank="$2"; shift 2 ;;
    --kill-epoch) kill_epoch="$2"; shift 2 ;;
    --data) data="$2"; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
[ -n "$root" ] && [ -n "$run" ] || { echo "usage: $0 --ranks N --root R --run PROJECT/RUN [--epochs E] [--kill-rank K --kill-epoch E]" >&2; exit 2; }
project="${run%%/*}"
python=/usr/bin/python3; [ -x "$python" ] || python=python3
"$python" -c "import torch, numpy" 2>/dev/null || { echo "PyTorch and numpy are needed: sudo apt-get install python3-torch" >&2; exit 1; }
[ -f "$data/train-images-idx3-ubyte.gz" ] || { echo "Fashion-MNIST is needed in $data: sudo apt-get install dataset-fashion-mnist" >&2; exit 1; }
tlc="$repo/tlc"
free_port() { "$python" -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"; }
work="$(mktemp -d)"
api_pid=""
cleanup() { [ -n "$api_pid" ] && kill "$api_pid" 2>/dev/null && wait "$api_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

echo "[ddp] tables"
url_of() { "$python" -c "import json,sys; print(json.load(sys.stdin)['url'])"; }
train_url="$("$tlc" import fashion-mnist "$data" --idx train --root "$root" --project "$project" --dataset fashion-mnist --table train --if-exists reuse --json | url_of)"
test_url="$("$tlc" import fashion-mnist "$data" --idx t10k --root "$root" --project "$project" --dataset fashion-mnist --table test --if-exists reuse --json | url_of)"

echo "[ddp] training API"
api_port="$(free_port)"
"$tlc" api --root "$root" --port "$api_port" >"$work/api.log" 2>&1 &
api_pid=$!
for _ in $(seq 1 300); do grep -q "Training API at" "$work/api.log" && break; kill -0 "$api_pid" 2>/dev/null || { cat "$work/api.log" >&2; exit 1; }; sleep 0.2; done
api="http://127.0.0.1:$api_port"

launch="ddp-$(date +%s)-$$"
checkpoint="$work/checkpoint.pt"
launch_group() { # world, extra train.py arguments...
  local world="$1"; shift
  local master_port; master_port="$(free_port)"
  local pids=() r
  for r in $(seq 0 $((world - 1))); do
    MASTER_ADDR=127.0.0.1 MASTER_PORT="$master_port" RANK="$r" WORLD_SIZE="$world" LOCAL_RANK="$r" TLC_LAUNCH_ID="$launch" \
      "$python" "$repo/examples/ddp/train.py" --api "$api" --train-table "$train_url" --test-table "$test_url" \
      --checkpoint "$checkpoint" "$@" &
    pids+=($!)
  done
  local failed=0 pid
  for pid in "${pids[@]}"; do
    if ! wait "$pid"; then
      failed=1
      # One rank died: the others would wait for it forever in the next collective.
      kill "${pids[@]}" 2>/dev/null || true
    fi
  done
  return $failed
}

for attempt in 1 2 3; do
  echo "[ddp] launching $ranks ranks (attempt $attempt)"
  if launch_group "$ranks" --run "$run" --epochs "$epochs" --train-rows "$train_rows" --kill-rank "$kill_rank" --kill-epoch "$kill_epoch"; then
    break
  fi
  [ "$attempt" -lt 3 ] || { echo "[ddp] the group failed 3 times" >&2; exit 1; }
  echo "[ddp] a rank died: restarting the group from the last checkpoint"
done

echo "[ddp] evaluating the final weights in one process (run $run-single)"
launch="$launch-single"
launch_group 1 --run "$run-single" --eval-only

echo "[ddp] metrics tables of $run:"
"$tlc" run info "$run" --root "$root" --json | "$python" -c "
import json, sys
for m in json.load(sys.stdin)['metrics']:
    print(m['url'], m['stream_name'], m['row_count'])"
echo "[ddp] and of $run-single:"
"$tlc" run info "$run-single" --root "$root" --json | "$python" -c "
import json, sys
for m in json.load(sys.stdin)['metrics']:
    print(m['url'], m['stream_name'], m['row_count'])"
