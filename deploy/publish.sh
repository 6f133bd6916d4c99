#!/usr/bin/env bash
# Publishes what the container images copy (deploy/docker/Dockerfile.*): framework-dependent `dotnet publish` outputs
# under deploy/out/<image>/ (gitignored; TLC_DEPLOY_OUT names another folder). No SDK runs inside the images.
#   silo    src/Tlc.Silo     (Tlc.Silo.dll)    the silo process
#   worker  src/Tlc.Workers  (Tlc.Workers.dll) a worker on the CPU libtorch backend
#   cli     src/Tlc.Cli      (tlc.dll)         the tlc command; the HTTP host runs `tlc api`
# With --cuda it publishes only the CUDA worker (deploy/out/worker-cuda, -p:TlcTorchBackend=cuda); that needs the package
# libtorch-cuda-12.8-linux-x64 2.10.0 from nuget.org, so it runs where that package can be restored.
# Other arguments go to every `dotnet publish` (e.g. --no-build after `dotnet build -c Release`, as the tests do).
# Usage: deploy/publish.sh [--cuda] [dotnet publish arguments]
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${TLC_DEPLOY_OUT:-$repo/deploy/out}"
cuda=0
args=()
for arg in "$@"; do
  if [ "$arg" = "--cuda" ]; then cuda=1; else args+=("$arg"); fi
done
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

publish() { # image project [extra arguments]
  local image="$1" project="$2"; shift 2
  local start=$SECONDS
  rm -rf "${out:?}/$image"
  if ! log="$(dotnet publish "$repo/$project" -c Release -nologo -o "$out/$image" "$@" ${args[@]+"${args[@]}"} 2>&1)"; then
    grep -E ' error |error\(s\)' <<<"$log" | sort -u >&2 || printf '%s\n' "$log" >&2
    echo "[publish] $image failed" >&2
    exit 1
  fi
  echo "[publish] $image: $out/$image ($((SECONDS - start)) s)"
}

if [ "$cuda" = 1 ]; then
  publish worker-cuda src/Tlc.Workers/Tlc.Workers.csproj -p:TlcTorchBackend=cuda
else
  publish silo src/Tlc.Silo/Tlc.Silo.csproj
  publish worker src/Tlc.Workers/Tlc.Workers.csproj
  publish cli src/Tlc.Cli/Tlc.Cli.csproj
fi
