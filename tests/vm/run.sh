#!/usr/bin/env bash
# For people: runs one command as root in a fresh vm guest (systemd as PID 1, pure cgroup v2, a system
# bus), with the source tree, build included, mounted read-write at the same path, the command started in
# the same directory as here, the build's tether and tether-init in /usr/local/bin. Builds first; passes
# the command's exit status through (124: the guest timed out; 125: the vm could not run it). Its stdout
# and stderr come back as written; stdin is empty (no interactive shells).
#
#   tests/vm/run.sh [--] CMD [ARGS...]      e.g. tests/vm/run.sh systemctl status
#
# TETHER_BUILD picks another build directory (default: build); TETHER_VM_TIMEOUT bounds the guest's run
# in seconds (default 300). The image is built on first use (~1 min, needs the package mirror), then
# reused from BUILD/vm-cache.
set -euo pipefail

here=$(dirname "$(readlink -f "$0")")
src=$(dirname "$(dirname "$here")")
build=$(readlink -f "${TETHER_BUILD:-$src/build}")
[ "${1:-}" = -- ] && shift
if [ $# -eq 0 ]; then
        sed -n '2,12s/^# \{0,1\}//p' "$0" >&2
        exit 2
fi
ninja -C "$build" >/dev/null || ninja -C "$build"
exec /usr/bin/python3 "$here/runner.py" --build "$build" --share "$src" -- "$@"
