#!/usr/bin/env bash
# Installs what building and testing resque-cpp needs on Debian 12, only what is missing.
# Usage: scripts/setup.sh [--with-node] [--with-ruby]
#   --with-node: also `npm ci` the pinned node-resque (tests/interop/node)
#   --with-ruby: also Debian's ruby and the gems that run real Ruby Resque from its sources for
#                the `ruby` interop tests (the sources themselves: scripts/ruby-peer.sh)
set -euo pipefail
cd "$(dirname "$0")/.."

with_node=0; with_ruby=0
for arg in "$@"; do
  case "$arg" in
    --with-node) with_node=1 ;;
    --with-ruby) with_ruby=1 ;;
    *) echo "setup: unknown option $arg (use --with-node, --with-ruby)" >&2; exit 2 ;;
  esac
done

pkgs=(build-essential cmake ninja-build pkg-config redis-server redis-tools libhiredis-dev libcctz-dev libssl-dev openssl
      nlohmann-json3-dev libfmt-dev libgtest-dev libbenchmark-dev clang-format tzdata nodejs npm
      libcli11-dev libcpp-httplib-dev chromium libboost-stacktrace-dev prometheus-cpp-dev
      clang libclang-rt-14-dev)  # clang: the libFuzzer targets and the TSan build (CI)
# redis-tools: redis-cli, which the cluster tests use to join their nodes (--cluster create).
# Real Ruby Resque 3.0/2.7 and resque-scheduler run unmodified on these (tests label `ruby`).
[ "$with_ruby" = 0 ] || pkgs+=(ruby ruby-redis ruby-redis-namespace ruby-mono-logger
                               ruby-multi-json ruby-rufus-scheduler)
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

if [ "$with_node" = 1 ]; then
  node_dir=tests/interop/node
  if [ ! -d "$node_dir/node_modules/node-resque" ] ||
     [ "$node_dir/package-lock.json" -nt "$node_dir/node_modules/.package-lock.json" ]; then
    echo "setup: npm ci (node-resque for the interop tests)"
    (cd "$node_dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  fi
fi

if [ "$with_ruby" = 1 ] && [ -z "${RESQUE_RUBY_PEER_DIR:-}" ]; then
  echo "setup: ruby installed; for the Ruby peer's sources run scripts/ruby-peer.sh --help" \
       "and export RESQUE_RUBY_PEER_DIR"
fi
