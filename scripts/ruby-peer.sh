#!/usr/bin/env bash
# Prepares real Ruby Resque as a test peer (the `ruby` interop tests) from git mirrors that are
# already on this machine: exports the commits pinned in tests/interop/ruby/SOURCES.txt into
# OUT_DIR (outside the repository; Ruby's code is never committed), copies the drivers of
# tests/interop/ruby there and prints the variable the tests read. Downloads nothing.
#
# Usage: scripts/ruby-peer.sh --mirrors DIR [--out OUT_DIR]
#          DIR holds one git mirror per repository, found as DIR/<owner>+<name>/repo,
#          DIR/<owner>+<name>, DIR/<owner>/<name>(.git), DIR/<name>(.git) (bare or not).
#        scripts/ruby-peer.sh --mirror OWNER/NAME=GIT_DIR ... [--out OUT_DIR]
#          each mirror named explicitly (repeatable; may be combined with --mirrors).
#        scripts/ruby-peer.sh --check OUT_DIR
#          an already exported folder (by this script, or by hand as in tests/interop/ruby/
#          README.md): checks it, refreshes its drivers, prints the variable.
# OUT_DIR defaults to $HOME/.cache/resque-ruby-peer. Then:
#   apt-get install -y ruby ruby-redis ruby-redis-namespace ruby-mono-logger ruby-multi-json \
#     ruby-rufus-scheduler          (or scripts/setup.sh --with-ruby)
#   export RESQUE_RUBY_PEER_DIR=OUT_DIR
#   ctest -L ruby
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
sources=$root/tests/interop/ruby/SOURCES.txt
out=${HOME:-/tmp}/.cache/resque-ruby-peer
mirrors_root=""
check_only=0
declare -A mirror=()

die() { echo "ruby-peer: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
  case "$1" in
    --mirrors) mirrors_root=${2:?--mirrors needs a directory}; shift 2 ;;
    --mirror) spec=${2:?--mirror needs OWNER/NAME=GIT_DIR}; mirror[${spec%%=*}]=${spec#*=}; shift 2 ;;
    --out) out=${2:?--out needs a directory}; shift 2 ;;
    --check) check_only=1; out=${2:?--check needs a directory}; shift 2 ;;
    -h|--help) sed -n '2,19p' "$0" | cut -c3-; exit 0 ;;
    *) die "unknown argument $1 (try --help)" ;;
  esac
done
case "$(cd "$(dirname "$out")" 2>/dev/null && pwd)/" in
  "$root"/*) die "$out is inside the repository; Ruby's code must stay outside it" ;;
esac

# A usable git dir for OWNER/NAME, or nothing.
find_mirror() {
  local repo=$1 owner=${1%%/*} name=${1#*/} c
  if [ -n "${mirror[$repo]:-}" ]; then echo "${mirror[$repo]}"; return; fi
  [ -n "$mirrors_root" ] || return 0
  for c in "$mirrors_root/$owner+$name/repo" "$mirrors_root/$owner+$name" \
           "$mirrors_root/$owner/$name.git" "$mirrors_root/$owner/$name" \
           "$mirrors_root/$name.git" "$mirrors_root/$name"; do
    [ -d "$c/.git" ] && c=$c/.git
    if [ -d "$c" ] && git --git-dir="$c" rev-parse --git-dir >/dev/null 2>&1; then
      echo "$c"; return
    fi
  done
}

[ "$check_only" = 1 ] || mkdir -p "$out"
while read -r folder repo commit version; do
  case "$folder" in ''|'#'*) continue ;; esac
  stamp=$out/$folder/.resque-peer-commit
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$commit" ]; then
    echo "ruby-peer: $folder ($repo $version) already exported" >&2
    continue
  fi
  if [ "$check_only" = 1 ]; then
    # Exported by hand (the recipe in the drivers' README): no stamp to compare, so only its
    # presence can be checked.
    [ ! -f "$stamp" ] && [ -d "$out/$folder/lib" ] ||
      die "$out/$folder is missing or not $repo at $commit"
    echo "ruby-peer: $folder present (not exported by this script: commit not verified)" >&2
    continue
  fi
  gitdir=$(find_mirror "$repo")
  [ -n "$gitdir" ] || die "no git mirror of $repo (give --mirrors DIR or --mirror $repo=GIT_DIR)"
  git --git-dir="$gitdir" cat-file -e "$commit^{commit}" 2>/dev/null ||
    die "$gitdir does not have $repo commit $commit ($version); update the mirror"
  rm -rf "${out:?}/$folder"
  mkdir -p "$out/$folder"
  git --git-dir="$gitdir" archive "$commit" | tar -x -C "$out/$folder"
  echo "$commit" > "$stamp"
  echo "ruby-peer: exported $repo $version into $out/$folder" >&2
done < "$sources"

# The drivers find the sources through RESQUE_RUBY_PEER_DIR; a copy inside OUT_DIR also finds
# them at `..`, so `bash OUT_DIR/drivers/smoke.sh` works on its own.
out=$(cd "$out" && pwd)
if [ -w "$out" ]; then
  rm -rf "${out:?}/drivers"
  mkdir -p "$out/drivers"
  cp -R "$root/tests/interop/ruby/." "$out/drivers/"
else
  echo "ruby-peer: $out is read-only: drivers not copied (the tests use tests/interop/ruby)" >&2
fi
command -v ruby >/dev/null ||
  echo "ruby-peer: no ruby on PATH yet: scripts/setup.sh --with-ruby installs Debian's" >&2
echo "ruby-peer: ready. Smoke test (needs a redis-server; FLUSHALLs it):" >&2
echo "  RESQUE_RUBY_PEER_DIR=$out REDIS_URL=redis://127.0.0.1:6390 bash $root/tests/interop/ruby/smoke.sh" >&2
echo "export RESQUE_RUBY_PEER_DIR=$out"
