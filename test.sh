#!/usr/bin/env bash
# Runs all of Tlc's tests on a fresh Debian/Ubuntu machine with the .NET SDK: prepares the shared fixtures (data
# packages, npm packages, decoded data), starts Azurite, builds once, runs every test assembly one after another,
# prints each assembly's time, and ends with one line "N passed, N failed" totalled over all assemblies.
# Usage: ./test.sh [extra 'dotnet test' arguments, e.g. --filter FullyQualifiedName~Csv]
set -uo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$repo"
source scripts/lib.sh

command -v dotnet >/dev/null 2>&1 || { echo "The .NET SDK (10.0) is required: https://learn.microsoft.com/dotnet/core/install/linux-debian" >&2; exit 1; }
ensure_node
export TLC_TEST_FIXTURES="${TLC_TEST_FIXTURES:-$repo/.fixtures}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

tests/fixtures/prepare.sh || { echo "fixture preparation failed" >&2; exit 1; }

# Azurite (Azure Blob/Queue/Table emulator) on loopback for the Azure Storage tests. (The S3 tests start their own
# s3rver, installed by prepare.sh, on free loopback ports.)
azurite_dir="$(mktemp -d)"
"$TLC_TEST_FIXTURES/npm/node_modules/.bin/azurite" --silent --skipApiVersionCheck --loose --location "$azurite_dir" \
  --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 >"$azurite_dir/azurite.log" 2>&1 &
azurite_pid=$!
cleanup() { kill "$azurite_pid" 2>/dev/null; wait "$azurite_pid" 2>/dev/null; rm -rf "$azurite_dir"; }
trap cleanup EXIT
for _ in $(seq 1 50); do (exec 3<>/dev/tcp/127.0.0.1/10000) 2>/dev/null && break; sleep 0.2; done
export TLC_TEST_AZURITE="UseDevelopmentStorage=true"

echo "[test] building"
if ! build_log="$(dotnet build Tlc.sln -c Release -nologo 2>&1)"; then
  grep -E ' error ' <<<"$build_log" | sort -u >&2
  echo "0 passed, 1 failed"
  exit 1
fi

passed=0; failed=0; report=()
for project in tests/*.Tests/*.Tests.csproj; do
  name="$(basename "$project" .csproj)"
  start=$(date +%s)
  log="$(mktemp)"
  dotnet test "$project" -c Release --no-build --nologo --blame-hang-timeout 10m "$@" 2>&1 | tee "$log" | grep -E '^\s+(Failed|Error Message|  )' | head -200
  seconds=$(( $(date +%s) - start ))
  line="$(grep -E '(Passed|Failed)!  - Failed:' "$log" | tail -n 1)"
  if [ -n "$line" ]; then
    p=$(sed -E 's/.*Passed: +([0-9]+).*/\1/' <<<"$line"); f=$(sed -E 's/.*Failed: +([0-9]+), Passed.*/\1/' <<<"$line")
  else
    p=0; f=1; echo "[test] $name produced no result (crashed or hung):"; tail -n 30 "$log"
  fi
  passed=$((passed + p)); failed=$((failed + f))
  report+=("$(printf '%-28s %4d passed %3d failed %5ds' "$name" "$p" "$f" "$seconds")")
  rm -f "$log"
done
echo
printf '%s\n' "${report[@]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
