#!/usr/bin/env bash
# The CUDA check, prepared for a machine with an NVIDIA GPU, its driver and the .NET 10 SDK (the package
# libtorch-cuda-12.8-linux-x64 2.10.0 must be restorable: nuget.org). It
#   1. builds the benchmarks with the CUDA libtorch backend (-p:TlcTorchBackend=cuda) into their own folder,
#   2. runs the `collect` benchmark on cuda: cluster collect_metrics (embedded silo, in-process workers) against the bare
#      TorchSharp loop over the same Fashion-MNIST rows with the same model, both on the GPU, then the same on the CPU,
#   3. prints both result lines (rows/s, ratio to the bare loop).
# Fixtures: TLC_TEST_FIXTURES (default .fixtures) prepared by tests/fixtures/prepare.sh (the script runs it).
# Usage: deploy/gpu-check.sh [device, default cuda]   Environment: BENCH_REPEATS (default 3).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
device="${1:-cuda}"
export TLC_TEST_FIXTURES="${TLC_TEST_FIXTURES:-$repo/.fixtures}" BENCH_REPEATS="${BENCH_REPEATS:-3}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
out="$repo/deploy/out/gpu-check"

command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || echo "[gpu-check] nvidia-smi not found" >&2
tests/fixtures/prepare.sh

echo "[gpu-check] building bench/Tlc.Bench with -p:TlcTorchBackend=cuda"
# Its own artifacts folder (bin and obj of every project), so the CPU build of the repository stays as it is.
dotnet build bench/Tlc.Bench -c Release -nologo -p:TlcTorchBackend=cuda --artifacts-path "$out" | grep -E ' error |Warn|Elapsed' || true
bench="$out/bin/Tlc.Bench/release/Tlc.Bench.dll"
[ -f "$bench" ] || { echo "[gpu-check] the CUDA build failed (no $bench)" >&2; exit 1; }

run() { # device
  echo "[gpu-check] collect on $1"
  BENCH_DEVICE="$1" dotnet "$bench" collect 2>&1 | tee "$out/collect-$1.log" | grep -E 'collect|rows/s|Error|error' || true
}
run "$device"
run cpu
echo
echo "[gpu-check] results (cluster rows/s | bare loop rows/s | ratio), $device then cpu:"
grep -h -E 'collect_metrics' "$out/collect-$device.log" "$out/collect-cpu.log" || { echo "[gpu-check] no result line; see $out/collect-*.log" >&2; exit 1; }
