#!/bin/bash
# Runs a CRIU that lives in another root directory (for example Debian trixie's
# criu 4.x, bootstrapped by tests/fixtures/criu.ts, on a host whose own criu is
# too old for its kernel) as if it were the host's: ctr points --criu (or
# [criu] path in ctr.toml) at a copy of this script beside that root.
#
# In a private mount namespace the root directory becomes / with pivot_root
# (a plain chroot is not enough: CRIU cannot restore a mount namespace from
# inside one), the host's / stays visible at /host, and the host's /proc, /sys,
# /dev, /tmp and /run are bind-mounted at their own paths, so the state and
# checkpoint paths ctr passes (under /run) mean the same thing on both sides.
# A path option naming anything else on the host (--root, the images, work
# and log paths, --pidfile, the source of an --ext-mount-map) is rewritten to
# its /host/... path.
#
# Every step is an exec, never a fork: CRIU keeps this process's pid, so
# `--restore-sibling` makes the restored tree the child of whoever ran us.
set -euo pipefail
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# Hardware breakpoints set through ptrace never trap in some VMs (this CI
# machine's among them): CRIU then waits forever for a task it infected to
# stop after its parasite's sigreturn. Fault 130 (FI_NO_BREAKPOINTS) makes
# CRIU single-step over the syscall instead, which works everywhere.
export CRIU_FAULT=${CRIU_FAULT:-130}
ROOT=${CTR_CRIU_ROOT:-"$(cd "$(dirname "$0")" && pwd)/root"}

if [ "${1:-}" != "--in-namespace" ]; then
  [ -x "$ROOT/usr/sbin/criu" ] || { echo "criu-in-root: no criu in $ROOT (run tests/fixtures/criu.ts)" >&2; exit 127; }
  exec unshare --mount --propagation private "$0" --in-namespace "$@"
fi
shift

mount --bind "$ROOT" "$ROOT"
for d in proc sys dev tmp run; do
  mkdir -p "$ROOT/$d"
  mount --rbind "/$d" "$ROOT/$d"
done
mkdir -p "$ROOT/host"
cd "$ROOT"
pivot_root . host

# a host path, as seen from here
hostpath() {
  case "$1" in
    /proc/* | /sys/* | /dev/* | /tmp/* | /run/* | /proc | /sys | /dev | /tmp | /run) printf '%s' "$1" ;;
    /*) printf '/host%s' "$1" ;;
    *) printf '%s' "$1" ;;
  esac
}

args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --root | -D | --images-dir | -W | --work-dir | -o | --log-file | --pidfile)
      args+=("$1" "$(hostpath "$2")"); shift 2 ;;
    --ext-mount-map)
      key=${2%%:*} val=${2#*:}
      args+=("$1" "$key:$(hostpath "$val")"); shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
exec /usr/sbin/criu "${args[@]}"
