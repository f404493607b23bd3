#!/usr/bin/env bash
# Installs what building and testing resque-cpp needs on Debian 12, only what is missing.
# Usage: scripts/setup.sh [--with-node]   (--with-node: also `npm ci` the pinned node-resque)
set -euo pipefail
cd "$(dirname "$0")/.."

pkgs=(build-essential cmake ninja-build pkg-config redis-server libhiredis-dev libssl-dev openssl
      nlohmann-json3-dev libfmt-dev libgtest-dev libbenchmark-dev clang-format tzdata nodejs npm)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# nodejs/npm may come from elsewhere than Debian (the CI image has them on PATH).
if command -v node >/dev/null && command -v npm >/dev/null; then
  missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ "${1:-}" = "--with-node" ]; then
  node_dir=tests/interop/node
  if [ ! -d "$node_dir/node_modules/node-resque" ] ||
     [ "$node_dir/package-lock.json" -nt "$node_dir/node_modules/.package-lock.json" ]; then
    echo "setup: npm ci (node-resque for the interop tests)"
    (cd "$node_dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  fi
fi
