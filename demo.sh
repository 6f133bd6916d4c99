#!/usr/bin/env bash
# The main job on a fresh Debian/Ubuntu machine with the .NET SDK: installs the real data it uses (Debian's
# dataset-fashion-mnist, and labelme's COCO example extracted into ~/.cache/tlc/demo-data), builds Tlc, and runs
# 'tlc demo' on the embedded single-node default. Extra arguments go to 'tlc demo' (e.g. --root /tmp/tlc-demo).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$repo/scripts/lib.sh"

command -v dotnet >/dev/null 2>&1 || { echo "The .NET SDK (10.0) is required: https://learn.microsoft.com/dotnet/core/install/linux-debian" >&2; exit 1; }
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

ensure_apt_packages dataset-fashion-mnist fonts-dejavu-core
data="${TLC_DEMO_DATA:-$HOME/.cache/tlc/demo-data}"
coco="$data/labelme/instance_segmentation/data_dataset_coco/annotations.json"
if [ ! -f "$coco" ]; then
  echo "[demo] extracting labelme-examples into $data"
  extract_deb labelme-examples "$data/labelme.tmp"
  rm -rf "$data/labelme"
  mv "$data/labelme.tmp/usr/share/doc/labelme-examples/examples" "$data/labelme"
  rm -rf "$data/labelme.tmp"
fi

echo "[demo] building"
dotnet build "$repo/src/Tlc.Cli" -c Release -nologo -v quiet >/dev/null
export TLC_CLI_NAME="${TLC_CLI_NAME:-./tlc}"
exec dotnet "$repo/src/Tlc.Cli/bin/Release/net10.0/tlc.dll" demo --coco "$coco" "$@"
