#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds with Ninja, runs ctest.
# Every test starts its own redis-server; nothing needs to be running beforehand.
# Environment: BUILD_DIR (default build), RESQUE_WERROR=ON, RESQUE_SANITIZE=ON,
#              CTEST_ARGS (e.g. "-L unit"), BUILD_TYPE (default RelWithDebInfo).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --with-node

build=${BUILD_DIR:-build}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" \
  -DRESQUE_WERROR="${RESQUE_WERROR:-OFF}" -DRESQUE_SANITIZE="${RESQUE_SANITIZE:-OFF}" >/dev/null
cmake --build "$build"
cd "$build"
# shellcheck disable=SC2086
ctest --output-on-failure -j"$(nproc)" ${CTEST_ARGS:-}
