#!/usr/bin/env bash
# ThreadSanitizer run (issue 12): the worker, worker pool, scheduler and plugin tests built with
# clang -fsanitize=thread (CMake option RESQUE_TSAN=ON). Any report fails the test that made it
# (TSan exits 66) and the script.
# Environment: BUILD_DIR (default build-tsan), CTEST_ARGS (extra ctest arguments).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

build=${BUILD_DIR:-build-tsan}
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE= -DCMAKE_CXX_FLAGS="-O1 -g" -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_C_COMPILER=clang -DRESQUE_TSAN=ON -DRESQUE_BUILD_TOOLS=OFF -DRESQUE_BUILD_EXAMPLES=OFF \
  -DRESQUE_BUILD_BENCH=OFF -DRESQUE_INSTALL=OFF "${launcher[@]}" >/dev/null
# Only what the selected labels run (the child processes the tests start included).
cmake --build "$build" --target unit_worker integration_worker integration_worker_faults \
  integration_worker_pool integration_worker_step worker_child unit_scheduler integration_scheduler \
  faults_scheduler sched_worker_child unit_plugins integration_plugins integration_lock \
  faults_plugins plugin_enqueue_child plugin_lock_child

# Tests are registered at configure time: those of targets not built above (embedding,
# backtrace and its throw_trace variant, scheduler index and recovery: not yet run under TSan)
# are excluded by name, with the signal test
# that TSan's deferred signal delivery stalls.
export TSAN_OPTIONS=${TSAN_OPTIONS:-"halt_on_error=0 second_deadlock_stack=1 history_size=4"}
cd "$build"
# Interop tests need peers and are covered by the plain run.
# Left out: WorkerPool.RunUntilSignalledMapsRubysSignals. TSan defers signal handlers until the
# receiving thread reaches one of its interceptors, and in this child process the SIGUSR2 never
# got through within the test's 10 s (twice, with no TSan report); it passes in the plain and
# ASan runs. To be looked at, not a race TSan found.
# shellcheck disable=SC2086
ctest --output-on-failure -j"$(nproc)" -L "worker|scheduler|plugins" -LE "interop|ruby" \
  -E "RunUntilSignalledMapsRubysSignals|^Embedding|^FailureBacktrace|^throw_trace\.|^Scheduler(Index|Recover)\." \
  --timeout 600 ${CTEST_ARGS:-}
