#!/usr/bin/env bash
# The benchmark in one command: installs what is missing (with the pinned node-resque), builds
# resque_bench and resque_codec_bench in Release mode, and runs resque_bench, which starts its
# own redis-server on a free port. Arguments go to resque_bench (e.g. --quick, --no-node,
# --json bench.json; see --help). Environment: BUILD_DIR (default build-bench), CODEC=1 to run
# the codec micro-benchmark too.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --with-node
build=${BUILD_DIR:-build-bench}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DRESQUE_BUILD_BENCH=ON \
  -DRESQUE_BUILD_TESTS=OFF -DRESQUE_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$build" --target resque_bench -j2
if [ "${CODEC:-0}" = "1" ]; then
  cmake --build "$build" --target resque_codec_bench -j2
  "$build/bench/resque_codec_bench"
fi
exec "$build/bench/resque_bench" "$@"
