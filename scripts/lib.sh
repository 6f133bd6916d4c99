# Shared shell helpers of the repository's scripts (sourced, not run).

# Runs a command as root: directly when root, through sudo when available; otherwise prints the command and fails.
as_root() {
  if [ "$(id -u)" = 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo "$@"
  else
    echo "This step needs root. Run, then try again:" >&2
    echo "  sudo $*" >&2
    exit 1
  fi
}

# Installs Debian packages that are missing.
ensure_apt_packages() {
  local missing=()
  for p in "$@"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "[setup] installing ${missing[*]}"
  if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
    as_root apt-get update >/dev/null
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# Extracts a Debian package into a folder without installing it (for data packages whose dependencies are not wanted).
extract_deb() {
  local package="$1" target="$2" tmp
  tmp="$(mktemp -d)"
  (cd "$tmp" && apt-get download "$package" >/dev/null 2>&1 || { as_root apt-get update >/dev/null && apt-get download "$package" >/dev/null; })
  mkdir -p "$target"
  dpkg-deb -x "$tmp"/"$package"_*.deb "$target"
  rm -rf "$tmp"
}

# Makes sure node and npm exist.
ensure_node() {
  command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 && return 0
  ensure_apt_packages nodejs npm
}
