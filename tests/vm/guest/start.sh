#!/bin/sh
# Runs in the guest, as root, from the runner's read-only share (tests/vm/image/tether-vm-boot starts it
# with stdout and stderr on the host's ports): installs the freshly built binaries, mounts the shared
# host directory when the runner passes one (tests/vm/run.sh), and runs the payload the runner wrote in
# the directory it names.
set -eu
in=$(dirname "$(readlink -f "$0")")
export TETHER_VM_IN="$in" HOME=/root
. "$in/env"
install -m 0755 "$in/bin/tether" "$in/bin/tether-systemd" "$in/bin/tether-init" "$in/bin/tether-shim" \
        "$in/bin/tether-busd" "$in/bin/shimctl" /usr/local/bin/
# contrib's units and D-Bus files, where `meson install` puts them (BINDIR as meson's configure_file
# substitutes it), then systemd and dbus-daemon read them again (guest/test_shim_units.py).
subst() { sed 's|@BINDIR@|/usr/local/bin|g' "$1" > "$2"; }
mkdir -p /usr/local/lib/systemd/system /usr/share/dbus-1/system.d /usr/share/dbus-1/system-services
subst "$in/contrib/systemd/tether-busd.service.in" /usr/local/lib/systemd/system/tether-busd.service
subst "$in/contrib/systemd/tether@.service.in" /usr/local/lib/systemd/system/tether@.service
subst "$in/contrib/dbus/io.tether.Shim1.service.in" /usr/share/dbus-1/system-services/io.tether.Shim1.service
install -m 0644 "$in/contrib/dbus/io.tether.Shim1.conf" /usr/share/dbus-1/system.d/
systemctl daemon-reload
systemctl reload dbus
if [ -n "${TETHER_VM_SHARE:-}" ]; then
        mkdir -p "$TETHER_VM_SHARE"
        mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 tether-vm-share "$TETHER_VM_SHARE"
fi
cd "${TETHER_VM_CWD:-/}"
. "$in/payload"
