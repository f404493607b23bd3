#!/usr/bin/env bash
# The main demo: installs what is missing, builds, and runs examples/demo against REDIS_URL
# (default redis://127.0.0.1:6379). When nothing answers there, it starts a throwaway
# redis-server on a free port and stops it afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
build=${BUILD_DIR:-build}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --target resque_demo >/dev/null

url=${REDIS_URL:-redis://127.0.0.1:6379}
hostport=${url#redis://}; hostport=${hostport##*@}; hostport=${hostport%%/*}
host=${hostport%%:*}; port=${hostport##*:}; [ "$port" = "$hostport" ] && port=6379
tmp=""
if ! redis-cli -h "$host" -p "$port" ping >/dev/null 2>&1; then
  # A free port: nothing listening there (bash's /dev/tcp connect fails).
  for _ in $(seq 50); do
    port=$(( 20000 + RANDOM % 40000 ))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break
  done
  tmp=$(mktemp -d)
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$tmp" \
    --daemonize yes --pidfile "$tmp/redis.pid" --logfile "$tmp/redis.log"
  for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done
  echo "demo: no Redis at $url, started a throwaway redis-server on 127.0.0.1:$port"
  url="redis://127.0.0.1:$port"
  trap 'kill "$(cat "$tmp/redis.pid")" 2>/dev/null; rm -rf "$tmp"' EXIT
fi
REDIS_URL=$url "$build/examples/resque_demo" "$@"
