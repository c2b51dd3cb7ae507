#!/usr/bin/env bash
# Checks, in a second and before any install, that the folders the demo and the tests need can work:
# the checkout must hold programs that run (native addons), and as root the embedded PostgreSQL's
# folder (GIC_EMBEDDED_PG_SYSTEM_DIR) must let the postgres user run its binaries. Says what to do
# in one line and exits 1 when not.
# Usage: scripts/preflight.sh   (from setup.sh; honours GIC_EMBEDDED_PG_SYSTEM_DIR and DATABASE_URL)
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { echo "setup: $*" >&2; exit 1; }

# Runs a command as the user with uid $1 and that user's group, with no supplementary groups: as
# the hub's server will run (Node drops supplementary groups when it spawns as another user).
as_user() {
  local uid=$1 gid
  shift
  gid=$(getent passwd "$uid" | cut -d: -f4)
  setpriv --reuid="$uid" --regid="${gid:-$uid}" --clear-groups "$@"
}

# A copy of a small program in `dir`, run as `user` (a uid, or empty for this one): fails on a
# noexec mount or a folder on the way that user may not pass through.
can_run_in() {
  local dir=$1 uid=${2:-} probe
  probe="$dir/.gic-preflight-$$"
  cp /bin/true "$probe" 2>/dev/null || return 2
  chmod 755 "$probe"
  local ok=0
  if [ -n "$uid" ]; then
    # Run through sh: setpriv itself would open the program before it drops root's rights.
    as_user "$uid" sh -c '"$0"' "$probe" 2>/dev/null || ok=1
  else
    "$probe" 2>/dev/null || ok=1
  fi
  rm -f "$probe"
  return $ok
}

# The nearest folder above `path` that `uid` cannot pass through.
closed_folder() {
  local path=$1 uid=$2 d blocked=""
  d=$(dirname "$path")
  while :; do
    as_user "$uid" test -x "$d" 2>/dev/null || blocked=$d
    [ "$d" = / ] && break
    d=$(dirname "$d")
  done
  echo "${blocked:-$path}"
}

here=$(pwd)
mkdir -p .gic 2>/dev/null || fail "cannot write in $here (needed for node_modules and .gic/): clone the project into a folder you can write"
can_run_in .gic || fail "programs cannot run from $here (a noexec mount?): the native addons npm builds would not load; clone the project onto a file system that allows running programs"

if [ "$(id -u)" = 0 ] && [ -z "${DATABASE_URL:-}" ]; then
  # As root the hub runs PostgreSQL as the postgres user, from binaries it installs here (the
  # checkout itself may be closed to that user, which is fine).
  system_dir=${GIC_EMBEDDED_PG_SYSTEM_DIR:-/var/lib/gic/postgresql}
  uid=$(id -u postgres 2>/dev/null || true)
  if [ -z "$uid" ]; then
    command -v useradd >/dev/null || fail "the embedded PostgreSQL runs as a postgres user, which is missing, and useradd is not installed: create the user (useradd --system --user-group postgres) or set DATABASE_URL"
    uid=65534 # until the hub makes the user, check as a user with no rights of its own (nobody)
  fi
  (umask 022 && mkdir -p "$system_dir") 2>/dev/null || fail "cannot create $system_dir for the embedded PostgreSQL: set GIC_EMBEDDED_PG_SYSTEM_DIR to a folder root can write and others can pass through, or DATABASE_URL"
  can_run_in "$system_dir" "$uid" || {
    rc=$?
    [ $rc = 2 ] && fail "cannot write in $system_dir for the embedded PostgreSQL: set GIC_EMBEDDED_PG_SYSTEM_DIR to a folder root can write and others can pass through, or DATABASE_URL"
    closed=$(closed_folder "$system_dir/x" "$uid")
    remedy="set GIC_EMBEDDED_PG_SYSTEM_DIR to a folder others can pass through on a file system that allows running programs, or DATABASE_URL to an external PostgreSQL"
    [ "$closed" != "$system_dir/x" ] && fail "the embedded PostgreSQL runs as the postgres user, which cannot pass through $closed to reach $system_dir: $remedy"
    fail "programs cannot run from $system_dir (a noexec mount?), where the embedded PostgreSQL's binaries go: $remedy"
  }
fi
