#!/usr/bin/env bash
# Makes the default container rootfs used by the demo and the tests: busybox-static, with a link for each
# of its applets, and the few files a shell expects. Usage: contrib/make-rootfs.sh DIR
set -euo pipefail

dir=${1:?usage: make-rootfs.sh DIR}
# Debian's busybox-static: the rootfs has no libc, so a dynamic busybox would not run in it.
busybox=${BUSYBOX:-/bin/busybox}
[ -x "$busybox" ] || { echo "make-rootfs: no '$busybox'; install busybox-static" >&2; exit 1; }

mkdir -p "$dir"/{bin,dev,etc,proc,sys,tmp,root,var/tmp}
chmod 1777 "$dir/tmp" "$dir/var/tmp"
cp "$busybox" "$dir/bin/busybox"
for applet in $("$dir/bin/busybox" --list); do
        [ -e "$dir/bin/$applet" ] || ln -s busybox "$dir/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' > "$dir/etc/passwd"
printf 'root:x:0:\ntty:x:5:\nnogroup:x:65534:\n' > "$dir/etc/group"
echo tether > "$dir/etc/hostname"
