#!/usr/bin/env bash
# Packs what .NET users install into a folder that serves as a NuGet package source: artifacts/packages/ (gitignored;
# TLC_PACK_OUT names another folder). There is no public feed yet; install from the folder (README.md, "Install"):
#   dotnet tool install -g Tlc.Cli --add-source artifacts/packages      the tlc command, as a .NET tool
#   dotnet add package Tlc.Sdk --source artifacts/packages               a library, with the packages it depends on
# One package per project under src/ (each src/*/*.csproj: Tlc.Abstractions, Tlc.Tables, Tlc.Sdk, Tlc.Metrics, Tlc.Plots
# and what they reference), each with its symbols (.snupkg) and README; all of one version (src/Directory.Build.props,
# -p:Version=X for another). Builds are deterministic with CI paths in the PDBs (ContinuousIntegrationBuild).
# Other arguments go to every `dotnet pack` (e.g. --no-build after `dotnet build -c Release`, as the tests do).
# Usage: deploy/pack.sh [dotnet pack arguments]
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${TLC_PACK_OUT:-$repo/artifacts/packages}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

mkdir -p "$out"
for project in "$repo"/src/*/*.csproj; do
  name="$(basename "$project" .csproj)"
  start=$SECONDS
  if ! log="$(dotnet pack "$project" -c Release -nologo -o "$out" -p:ContinuousIntegrationBuild=true "$@" 2>&1)"; then
    grep -E ' error |error\(s\)' <<<"$log" | sort -u >&2 || printf '%s\n' "$log" >&2
    echo "[pack] $name failed" >&2
    exit 1
  fi
  package="$(grep -oE "Successfully created package '[^']+\.nupkg'" <<<"$log" | grep -v '\.symbols\.' | head -n 1 | sed -E "s/.*'(.*)'/\1/")"
  echo "[pack] $name: ${package:-?} ($((SECONDS - start)) s)"
done
