#!/usr/bin/env bash
# Fetch a TLS-capable redis-server for the native TLS tests, without root and without installing
# anything system-wide: Debian's redis-server package (built with TLS) and the libraries it needs
# that a stock system lacks, unpacked into a cache directory.
#
#   scripts/fetch_tls_redis.sh [CACHE_DIR]     (default: .cache/tls-redis in the repository)
#
# On success prints two lines for `eval` (also written to CACHE_DIR/env, for `source`):
#   export REDISAI_TLS_REDIS_SERVER=<root>/usr/bin/redis-server
#   export REDISAI_TLS_REDIS_LIBS=<root>/usr/lib/<multiarch>
# tests/integration/tls_helpers.py gives REDISAI_TLS_REDIS_LIBS to that server alone as
# LD_LIBRARY_PATH, so nothing else in the test run loads these libraries.
#
# Best effort: any failure (no apt-get or dpkg-deb, no package lists, no network, a binary that
# does not run) exits non-zero with one line on stderr; callers read that as "not available".
# A cache that already holds a working server is reused without touching the network.
set -euo pipefail

PACKAGES=(redis-server redis-tools liblzf1 libjemalloc2)
DOWNLOAD_TIMEOUT=20  # seconds; CI must not wait long for a mirror that does not answer

fail() {
  echo "fetch_tls_redis: $*" >&2
  exit 1
}

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${1:-$repo_root/.cache/tls-redis}"
mkdir -p "$cache" 2>/dev/null || fail "cannot create $cache"
cache="$(cd "$cache" && pwd)"
root="$cache/root"

# Debian's redis-server is a symlink to redis-check-rdb (from redis-tools): one binary that
# picks its role from argv[0], so the symlink must be run by its own name, not resolved.
server="$root/usr/bin/redis-server"

lib_dir() {
  # The multiarch directory holding the unpacked libraries (x86_64-linux-gnu, aarch64-..., ...).
  local dir
  for dir in "$1"/usr/lib/*-linux-gnu; do
    if [ -e "$dir/libjemalloc.so.2" ]; then
      echo "$dir"
      return 0
    fi
  done
  return 1
}

works() {
  # The binary starts (all shared libraries resolve) and reports a version.
  local libs
  libs="$(lib_dir "$1")" || return 1
  [ -x "$1/usr/bin/redis-server" ] || return 1
  LD_LIBRARY_PATH="$libs" "$1/usr/bin/redis-server" --version 2>/dev/null | grep -q '^Redis server'
}

if ! works "$root"; then
  command -v apt-get >/dev/null || fail "apt-get not found"
  command -v dpkg-deb >/dev/null || fail "dpkg-deb not found"
  work="$(mktemp -d "$cache/.fetch.XXXXXX")" || fail "cannot create a temp dir in $cache"
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$work/debs" "$work/root"
  # apt-get download writes into the current directory and needs no root; as root, the
  # sandbox option keeps apt from warning that the _apt user cannot write here.
  (
    cd "$work/debs"
    timeout "$DOWNLOAD_TIMEOUT" apt-get download -q -o APT::Sandbox::User="$(id -un)" \
      "${PACKAGES[@]}" >/dev/null 2>&1
  ) || fail "apt-get download ${PACKAGES[*]} failed (no package lists or no network?)"
  for deb in "$work"/debs/*.deb; do
    dpkg-deb -x "$deb" "$work/root" || fail "dpkg-deb -x $deb failed"
  done
  works "$work/root" || fail "the downloaded redis-server does not run on this system"
  rm -rf "$root"
  mv "$work/root" "$root"
fi

libs="$(lib_dir "$root")"
env_lines="$(printf 'export REDISAI_TLS_REDIS_SERVER=%q\nexport REDISAI_TLS_REDIS_LIBS=%q\n' \
  "$server" "$libs")"
printf '%s\n' "$env_lines" >"$cache/env"
printf '%s\n' "$env_lines"
