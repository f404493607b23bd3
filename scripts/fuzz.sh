#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, clang with ASan+UBSan) and runs each for a bounded time.
# Environment: FUZZ_SECONDS (per target, default 30), BUILD_DIR (default build-fuzz),
#              FUZZ_TARGETS (default: all).
# The committed seeds in fuzz/corpus/<target>/ are read, never written: new inputs go to a
# scratch corpus under the build directory. A crash leaves crash-*/leak-*/timeout-* files in
# $BUILD_DIR/fuzz-artifacts/<target>/ and makes the script fail; copy such an input into
# fuzz/corpus/<target>/ (so every later run replays it) once it is fixed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

build=${BUILD_DIR:-build-fuzz}
seconds=${FUZZ_SECONDS:-30}
targets=${FUZZ_TARGETS:-"fuzz_payload fuzz_status fuzz_failure fuzz_ping fuzz_url fuzz_cron fuzz_json"}
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE= -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_C_COMPILER=clang -DRESQUE_FUZZ=ON -DRESQUE_BUILD_TESTS=OFF -DRESQUE_BUILD_EXAMPLES=OFF \
  -DRESQUE_BUILD_BENCH=OFF -DRESQUE_BUILD_TOOLS=OFF -DRESQUE_INSTALL=OFF "${launcher[@]}" >/dev/null
# shellcheck disable=SC2086
cmake --build "$build" --target $targets

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=()
for t in $targets; do
  work="$build/fuzz-corpus/$t"; art="$build/fuzz-artifacts/$t"
  mkdir -p "$work" "$art"
  echo "== $t: ${seconds}s"
  # -timeout: one input taking over 10 s is a finding (a stall), as is over 2 GB of memory.
  if ! "$build/fuzz/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
       -max_len=8192 -print_final_stats=1 -artifact_prefix="$art/" "$work" "fuzz/corpus/$t" \
       2> "$build/fuzz-$t.log"; then
    failed+=("$t")
    tail -40 "$build/fuzz-$t.log"
  fi
  grep -E "stat::number_of_executed_units|stat::new_units_added" "$build/fuzz-$t.log" | tr '\n' ' ' || true
  echo
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]} (inputs in $build/fuzz-artifacts/)" >&2
  exit 1
fi
echo "fuzz: all targets ran ${seconds}s each without a finding"
