#!/bin/sh
# Runs in the guest, as root, from the runner's read-only share (tests/vm/image/tether-vm-boot starts it
# with stdout and stderr on the host's ports): installs the freshly built binaries, mounts the shared
# host directory when the runner passes one (tests/vm/run.sh), and runs the payload the runner wrote in
# the directory it names.
set -eu
in=$(dirname "$(readlink -f "$0")")
export TETHER_VM_IN="$in" HOME=/root
. "$in/env"
install -m 0755 "$in/bin/tether" "$in/bin/tether-systemd" "$in/bin/tether-init" /usr/local/bin/
if [ -n "${TETHER_VM_SHARE:-}" ]; then
        mkdir -p "$TETHER_VM_SHARE"
        mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 tether-vm-share "$TETHER_VM_SHARE"
fi
cd "${TETHER_VM_CWD:-/}"
. "$in/payload"
