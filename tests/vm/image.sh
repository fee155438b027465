#!/usr/bin/env bash
# The vm suite's image recipe: a Debian 12 root image with systemd as PID 1 (tests/vm/packages), a Debian
# kernel and a small initramfs, built without loop devices or mounts, so that it works wherever CI runs
# as root. Usage: image.sh CACHE_DIR; prints the directory holding vmlinux, initrd.cpio and root.img.
#
# The image is cached in CACHE_DIR/<key>, the key a hash of this recipe, the package list, the files of
# image/ and the host's apt sources: a matching key is reused without network; a new key builds anew and
# removes the images of older keys. Builds are serialised by a lock on CACHE_DIR/lock and made in a
# temporary directory beside the cache, renamed into place only when complete.
set -euo pipefail

here=$(dirname "$(readlink -f "$0")")
cache=${1:?usage: image.sh CACHE_DIR}
say() { printf 'tether-vm image: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

# The host's apt sources, the way mmdebstrap reads them on stdin: deb822 files if there are any, else the
# one-line sources.list. They are an input of the image: a changed mirror or suite is a new key.
apt_sources() {
        local f found=false
        for f in /etc/apt/sources.list.d/*.sources; do
                [ -f "$f" ] || continue
                cat "$f"
                echo
                found=true
        done
        $found || cat /etc/apt/sources.list
}

image_key() {
        {
                (cd "$here" && sha256sum image.sh packages image/*)
                apt_sources | sha256sum
        } | sha256sum | cut -c1-16
}

# Module trees no guest test needs: left out, the image and mkfs.ext4 take half the time.
PRUNE_MODULES=(sound drivers/gpu drivers/media drivers/net/wireless drivers/net/ethernet drivers/infiniband
               drivers/scsi drivers/usb drivers/iio drivers/staging drivers/hid drivers/input drivers/comedi
               drivers/hwmon drivers/platform drivers/bluetooth drivers/isdn drivers/mtd drivers/video)

# What the initramfs loads to mount the root disk: the rest comes from the image's /lib/modules.
INITRD_MODULES=(virtio_pci virtio_blk crc32c_generic ext4)

# Units masked for a fast boot without udev: gettys wait for devices that never appear; the rest is first
# boot, log or module work a throwaway guest does not need (each modprobe@ costs ~1.5 s under TCG).
MASK_UNITS=(getty.target getty@.service serial-getty@.service console-getty.service systemd-sysusers.service
            systemd-remount-fs.service systemd-update-utmp.service systemd-update-utmp-runlevel.service
            systemd-pstore.service systemd-binfmt.service proc-sys-fs-binfmt_misc.automount
            systemd-modules-load.service modprobe@dm_mod.service modprobe@drm.service modprobe@loop.service
            modprobe@fuse.service modprobe@configfs.service sys-kernel-config.mount sys-kernel-debug.mount
            sys-kernel-tracing.mount sys-fs-fuse-connections.mount systemd-random-seed.service
            systemd-tmpfiles-clean.timer dpkg-db-backup.timer fstrim.timer apt-daily.timer
            apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service)

# The versioned package linux-image-amd64 depends on, from the host's package lists.
kernel_package() {
        apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}'
}

download() {
        # apt's sandbox user cannot write our directory; downloading as root is what we want here.
        (cd "$1" && apt-get download -qq -o APT::Sandbox::User=root "$2" >/dev/null)
}

fetch_kernel() {
        local dir=$1 pkg
        pkg=$(kernel_package)
        # No package lists, or lists older than the mirror: update them once.
        if [ -z "$pkg" ] || ! download "$dir" "$pkg"; then
                say "the kernel is not in the package lists or not on the mirror: apt-get update"
                apt-get update -qq >/dev/null
                pkg=$(kernel_package)
                [ -n "$pkg" ] || die "cannot find the kernel package linux-image-amd64 depends on"
                download "$dir" "$pkg"
        fi
        say "kernel $pkg"
        dpkg-deb -x "$dir"/"$pkg"_*.deb "$dir/kernel"
        rm -f "$dir"/"$pkg"_*.deb
}

# The plain ELF vmlinux out of the bzImage's xz payload: qemu boots it through PVH, ~2 s faster.
extract_vmlinux() {
        local vmlinuz=$1 out=$2 off
        off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$vmlinuz" | head -1 | cut -d: -f1)
        [ -n "$off" ] || die "no xz payload in $vmlinuz"
        # xz stops at the end of its stream: tail's SIGPIPE is no error.
        { tail -c +$((off + 1)) "$vmlinuz" || true; } | xz -dc --single-stream >"$out"
}

build_root() {
        local root=$1 packages
        packages=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$here/packages" | paste -sd, -)
        say "mmdebstrap bookworm with $packages"
        # --mode=unshare: no mounts on the host (the root mode can leave a /proc mount in the tree).
        apt_sources | mmdebstrap --quiet --mode=unshare --variant=essential --include="$packages" \
                bookworm "$root" - >&2
}

customize_root() {
        local root=$1 kernel=$2 version=$3 d u
        mkdir -p "$root/usr/lib/modules"
        cp -a "$kernel/lib/modules/$version" "$root/usr/lib/modules/"
        for d in "${PRUNE_MODULES[@]}"; do
                rm -rf "$root/usr/lib/modules/$version/kernel/$d"
        done
        depmod -b "$root" "$version"

        # A fixed machine-id: no first-boot work, and the same id in every run.
        echo 746574686572766d0000000000000009 >"$root/etc/machine-id"
        echo tether-vm >"$root/etc/hostname"
        : >"$root/etc/fstab"
        mkdir -p "$root/etc/systemd/journald.conf.d" "$root/etc/systemd/system.conf.d"
        printf '[Journal]\nStorage=volatile\n' >"$root/etc/systemd/journald.conf.d/tether-vm.conf"
        # What a container host has: every controller the tests need enabled from the root cgroup down.
        printf '[Manager]\nDefaultCPUAccounting=yes\nDefaultIOAccounting=yes\nDefaultMemoryAccounting=yes\nDefaultTasksAccounting=yes\n' \
                >"$root/etc/systemd/system.conf.d/tether-vm.conf"
        ln -sf /usr/lib/systemd/system/multi-user.target "$root/etc/systemd/system/default.target"
        for u in "${MASK_UNITS[@]}"; do
                ln -sf /dev/null "$root/etc/systemd/system/$u"
        done
        install -m 0755 "$here/image/tether-vm-boot" "$root/usr/local/sbin/tether-vm-boot"
        install -m 0644 "$here/image/tether-vm.service" "$root/etc/systemd/system/tether-vm.service"
        mkdir -p "$root/etc/systemd/system/multi-user.target.wants"
        ln -sf ../tether-vm.service "$root/etc/systemd/system/multi-user.target.wants/tether-vm.service"
}

build_initrd() {
        local root=$1 version=$2 out=$3 dir m ko
        dir=$(dirname "$out")/initrd
        mkdir -p "$dir/bin" "$dir/modules"
        cp "$root/usr/bin/busybox" "$dir/bin/busybox"
        install -m 0755 "$here/image/init" "$dir/init"
        : >"$dir/modules/order"
        for m in "${INITRD_MODULES[@]}"; do
                # In dependency order, each once.
                for ko in $(modprobe -d "$root" -S "$version" --show-depends "$m" | awk '$1 == "insmod" {print $2}'); do
                        grep -qxF "${ko##*/}" "$dir/modules/order" && continue
                        cp "$ko" "$dir/modules/"
                        echo "${ko##*/}" >>"$dir/modules/order"
                done
        done
        (cd "$dir" && find . | cpio --quiet -o -H newc -R 0:0) >"$out"
        rm -rf "$dir"
}

build() {
        local tmp=$1 version
        fetch_kernel "$tmp"
        version=$(ls "$tmp/kernel/lib/modules")
        build_root "$tmp/root"
        customize_root "$tmp/root" "$tmp/kernel" "$version"
        build_initrd "$tmp/root" "$version" "$tmp/initrd.cpio"
        extract_vmlinux "$tmp/kernel/boot/vmlinuz-$version" "$tmp/vmlinux"
        echo "$version" >"$tmp/kernel-version"
        rm -rf "$tmp/kernel"
        # No loop device or mount: mkfs.ext4 copies the tree. 2 GiB, sparse: room for the tests' rootfs.
        truncate -s 2G "$tmp/root.img"
        mkfs.ext4 -q -F -L tether-vm -d "$tmp/root" "$tmp/root.img" >&2
        rm -rf "$tmp/root"
}

tmp=
main() {
        local key start
        mkdir -p "$cache"
        key=$(image_key)
        exec 9>"$cache/lock"
        flock 9
        if [ -f "$cache/$key/complete" ]; then
                say "cached ($key)"
                echo "$cache/$key"
                return 0
        fi
        # Under the lock, any build directory is one a killed build left behind.
        rm -rf "$cache"/tmp-*
        tmp=$cache/tmp-$key-$$
        trap 'rm -rf "$tmp"' EXIT
        trap 'exit 130' INT TERM HUP
        mkdir "$tmp"
        start=$SECONDS
        say "building $key in $cache (cold: downloads the kernel and packages)"
        build "$tmp"
        echo "$key" >"$tmp/complete"
        find "$cache" -mindepth 1 -maxdepth 1 -type d ! -name "tmp-*" -exec rm -rf {} +
        mv "$tmp" "$cache/$key"
        say "built $key in $((SECONDS - start)) s"
        echo "$cache/$key"
}

main
