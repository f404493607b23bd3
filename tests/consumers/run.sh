#!/usr/bin/env bash
# Proves both ways of consuming resque-cpp (registered as the ctest test
# consumers.find_package_and_add_subdirectory):
#   1. build + install the static library (the default) into a temporary prefix, then
#      a. tests/consumers/find-package: find_package(resque CONFIG REQUIRED), link resque::resque;
#      b. pkg-config --cflags --libs resque, compile and link main.cpp with g++ and those flags;
#   2. the same with -DBUILD_SHARED_LIBS=ON (the consumer must then load libresque.so);
#   3. tests/consumers/add-subdirectory: add_subdirectory(<source> resque-build), which must not
#      define resque's tests, examples, bench or tools.
# Every consumer binary runs and its output is compared with the expected text.
# Usage: run.sh <resque source dir>. Environment: CMAKE_BUILD_PARALLEL_LEVEL (default 2),
# CXX (compiler for the pkg-config check, default g++), KEEP_TMP=1 keeps the temporary directory.
set -euo pipefail

src=$(cd "${1:?usage: run.sh <resque source dir>}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-2}
cxx=${CXX:-g++}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/resque-consumers.XXXXXX")
if [ "${KEEP_TMP:-0}" = 1 ]; then
  echo "consumers: keeping $tmp"
else
  trap 'rm -rf "$tmp"' EXIT
  trap 'exit 1' INT TERM HUP
fi

generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
# No build type: no optimisation and no debug info, the fastest to compile. Set explicitly so
# that a CMAKE_BUILD_TYPE in the environment does not apply.
common=("${generator[@]}" -DCMAKE_BUILD_TYPE=)

start=$SECONDS
logs=0
# step <description> <command...>: runs quietly; on failure prints the command's output and stops.
step() {
  local what=$1
  shift
  logs=$((logs + 1))
  local log="$tmp/step$logs.log"
  local t0=$SECONDS
  if ! "$@" >"$log" 2>&1; then
    echo "consumers: FAILED: $what"
    echo "  command: $*"
    cat "$log"
    exit 1
  fi
  echo "consumers: ok   $what ($((SECONDS - t0))s)"
}
fail() {
  echo "consumers: FAILED: $*"
  exit 1
}

expected="$tmp/expected.txt"
cat >"$expected" <<'EOF'
keys: resque:queue:jobs resque:failed
url: h 1 2
payload: {"class":"Add","queue":"math","args":[1,2]}
sum: 3
error: Add expects 2 arguments, got 1
queue: resque:queue:math
cron: added
cron: rejected
EOF

# check_output <description> <binary> [env assignments...]: runs the binary, compares its output.
check_output() {
  local what=$1 bin=$2
  shift 2
  local out="$tmp/out.txt"
  if ! env "$@" "$bin" >"$out" 2>&1; then
    cat "$out"
    fail "$what: $bin exited with an error"
  fi
  if ! diff -u "$expected" "$out"; then
    fail "$what: unexpected output"
  fi
  echo "consumers: ok   $what runs"
}

# install_resque <prefix> [cmake args...]
install_resque() {
  local prefix=$1
  shift
  local build="$prefix.build"
  step "configure resque ($*)" cmake -S "$src" -B "$build" "${common[@]}" \
    -DCMAKE_INSTALL_PREFIX="$prefix" -DRESQUE_BUILD_TESTS=OFF -DRESQUE_BUILD_EXAMPLES=OFF \
    -DRESQUE_BUILD_BENCH=OFF -DRESQUE_BUILD_TOOLS=OFF "$@"
  step "build resque ($*)" cmake --build "$build"
  step "install resque ($*)" cmake --install "$build"
}

# With prometheus-cpp installed (Debian: prometheus-cpp-dev) resque::prometheus is built, and the
# installed package must give it to find_package(resque COMPONENTS prometheus) consumers.
expect_prometheus=OFF
if pkg-config --exists prometheus-cpp-core 2>/dev/null; then
  expect_prometheus=ON
fi

# find_package_consumer <prefix> <name>: builds tests/consumers/find-package against <prefix>.
find_package_consumer() {
  local prefix=$1 name=$2
  local build="$tmp/find-package-$name"
  step "configure find_package consumer ($name)" cmake -S "$here/find-package" -B "$build" \
    "${common[@]}" -DCMAKE_PREFIX_PATH="$prefix" -DRESQUE_EXPECT_PROMETHEUS=$expect_prometheus
  grep -q "resque .* from $prefix/" "$tmp/step$logs.log" ||
    fail "find_package(resque) did not use the package installed in $prefix"
  step "build find_package consumer ($name)" cmake --build "$build"
  if [ "$expect_prometheus" = ON ]; then
    local out
    out=$(env "${@:3}" "$build/prometheus_consumer" 2>&1) ||
      fail "prometheus consumer ($name) exited with an error: $out"
    [ "$out" = "prometheus: resque_redis_up 0" ] ||
      fail "prometheus consumer ($name): unexpected output: $out"
    echo "consumers: ok   resque::prometheus consumer ($name) runs"
  fi
}

# pkg_config_consumer <prefix> <name> [env assignments for running...]
pkg_config_consumer() {
  local prefix=$1 name=$2
  shift 2
  local pc
  pc=$(find "$prefix" -name resque.pc -print -quit)
  [ -n "$pc" ] || fail "no resque.pc installed under $prefix"
  local flags
  flags=$(PKG_CONFIG_PATH="$(dirname "$pc")" pkg-config --cflags --libs resque) ||
    fail "pkg-config --cflags --libs resque ($name)"
  echo "consumers: pkg-config --cflags --libs resque ($name): $flags"
  # shellcheck disable=SC2086  # the flags are meant to be split into words
  step "compile and link with pkg-config flags ($name)" \
    "$cxx" -Wall -Wextra -Wpedantic -Werror -o "$tmp/pkg-config-$name" "$here/common/main.cpp" $flags
  check_output "pkg-config consumer ($name)" "$tmp/pkg-config-$name" "$@"
}

# --- 1. static library (the default) -----------------------------------------------------------
static="$tmp/static"
install_resque "$static"
[ -n "$(find "$static" -name libresque.a -print -quit)" ] || fail "no libresque.a in $static"
[ -z "$(find "$static" -name 'libresque.so*' -print -quit)" ] ||
  fail "the default build installed a shared libresque"
find_package_consumer "$static" static
# ldd's output is captured before grep reads it: with pipefail, `ldd | grep -q` fails whenever
# grep exits before ldd has finished writing (SIGPIPE), about one run in ten.
deps=$(ldd "$tmp/find-package-static/consumer")
if grep -q libresque <<<"$deps"; then
  fail "the consumer of the static package loads a shared libresque"
fi
check_output "find_package consumer (static)" "$tmp/find-package-static/consumer"
# A consumer that prefers config packages must still get hiredis through our FindHiredis.cmake
# (Debian's HiredisConfig.cmake fails when no version is requested).
step "configure find_package consumer (static, CMAKE_FIND_PACKAGE_PREFER_CONFIG=ON)" \
  cmake -S "$here/find-package" -B "$tmp/find-package-prefer-config" "${common[@]}" \
  -DCMAKE_PREFIX_PATH="$static" -DCMAKE_FIND_PACKAGE_PREFER_CONFIG=ON
pkg_config_consumer "$static" static

# --- 2. shared library ---------------------------------------------------------------------------
shared="$tmp/shared"
install_resque "$shared" -DBUILD_SHARED_LIBS=ON
so=$(find "$shared" -name 'libresque.so*' -print -quit)
[ -n "$so" ] || fail "-DBUILD_SHARED_LIBS=ON installed no libresque.so"
find_package_consumer "$shared" shared LD_LIBRARY_PATH="$(dirname "$so")"
deps=$(ldd "$tmp/find-package-shared/consumer")
grep -q "libresque\.so.* => $shared/" <<<"$deps" ||
  fail "the consumer of the shared package does not load $shared's libresque.so: $deps"
check_output "find_package consumer (shared)" "$tmp/find-package-shared/consumer"
pkg_config_consumer "$shared" shared LD_LIBRARY_PATH="$(dirname "$so")"

# --- 3. add_subdirectory ------------------------------------------------------------------------
sub="$tmp/add-subdirectory"
step "configure add_subdirectory consumer" cmake -S "$here/add-subdirectory" -B "$sub" \
  "${common[@]}" -DRESQUE_SOURCE_DIR="$src"
step "build add_subdirectory consumer" cmake --build "$sub"
[ ! -e "$sub/resque-build/tests" ] || fail "add_subdirectory built resque's tests"
check_output "add_subdirectory consumer" "$sub/consumer"

echo "consumers: all passed in $((SECONDS - start))s"
