#!/usr/bin/env bash
# tether's front door: installs what the build needs on Debian 12, builds with meson, runs the demo, the
# tests or the benchmarks. Run as root from the source tree:
#
#   ./tether.sh demo     install, build, and show tether at work
#   ./tether.sh test     install, build, run every test suite; ends with "N passed, N failed"
#   ./tether.sh build    install and build only (build/; build-asan/ with --sanitize)
#   ./tether.sh bench    install the peers (tini, dumb-init, catatonit, conmon, hyperfine) and run bench/
#   ./tether.sh deps     install the Debian packages only
set -euo pipefail

cd "$(dirname "$(readlink -f "$0")")"

BUILD_PACKAGES=(meson ninja-build pkg-config gcc git musl-tools scdoc
                libsystemd-dev libev-dev libseccomp-dev libcap-dev libjansson-dev)
# What building libsystemd from Debian's source takes (build-aux/libsystemd-static.sh): dpkg-source,
# and systemd's own configure requirements.
BUILD_PACKAGES+=(dpkg-dev gperf libmount-dev python3-jinja2)
# lld: it lays tether-shim out in the order of shim/tether-shim.order (shim/meson.build).
BUILD_PACKAGES+=(lld)
# podman, docker.io and containerd: the engines tests drive them with tether as their runtime (their
# services are never started; the tests start private daemons). iproute2: network namespaces by path.
# crun: tether-shim drives it as it drives tether (test_shim.py). dbus (dbus-daemon) and systemd (busctl):
# the demo and the shim's tests start a private bus and read it with busctl (a container image of Debian
# has neither).
TEST_PACKAGES=(python3 python3-pytest util-linux procps iproute2 busybox-static clang
               podman docker.io containerd crun dbus systemd)
# The vm suite (tests/vm/): qemu boots a Debian guest whose image mmdebstrap and mkfs.ext4 build, with a
# Debian kernel (dpkg-deb, xz) and an initramfs (kmod, cpio).
VM_PACKAGES=(qemu-system-x86 mmdebstrap e2fsprogs kmod cpio xz-utils)
BENCH_PACKAGES=(tini dumb-init catatonit hyperfine crun runc time conmon dbus strace jq)

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'tether.sh: %s\n' "$*" >&2; exit 1; }

# Installs what is missing, quietly; does nothing (and needs no network) when all is there.
install_packages() {
        local missing=() p
        for p in "$@"; do
                dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
        done
        [ ${#missing[@]} -eq 0 ] && return 0
        [ "$(id -u)" -eq 0 ] || die "missing packages ${missing[*]}: run as root, or install them"
        say "installing ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        # Packages such as docker.io would start their services on install: forbid it for the duration
        # (invoke-rc.d's policy-rc.d protocol), unless the machine has a policy of its own.
        local policy=/usr/sbin/policy-rc.d own_policy=false
        if [ ! -e "$policy" ]; then
                printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod 755 "$policy" && own_policy=true
        fi
        local rc=0
        { apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; } ||
                rc=$?
        if $own_policy; then rm -f "$policy"; fi
        [ $rc -eq 0 ] || die "apt-get failed to install ${missing[*]}"
}

# build DIR [meson options...]: configures once, then builds; -Werror under CI.
build() {
        local dir=$1; shift
        local opts=("$@")
        [ "${CI:-}" = true ] && opts+=(-Dwerror=true)
        if [ ! -f "$dir/build.ninja" ]; then
                say "configuring $dir"
                meson setup "$dir" "${opts[@]}" >/dev/null
        elif [ ${#opts[@]} -gt 0 ]; then
                # An option newer than the directory's configuration needs a reconfigure to be known.
                meson configure "$dir" "${opts[@]}" >/dev/null 2>&1 ||
                        meson setup --reconfigure "$dir" "${opts[@]}" >/dev/null
        fi
        say "building $dir"
        ninja -C "$dir" >/dev/null || ninja -C "$dir"
}

# Prints the static libsystemd object for tether-shim and shimctl (meson.build says why), built once from
# Debian's source into .cache/ (later builds need no network); prints nothing, and the two link the shared
# library, when it cannot be built.
libsystemd_static() {
        local dir=.cache/libsystemd-static
        say "static libsystemd for tether-shim and shimctl ($dir)"
        build-aux/libsystemd-static.sh "$dir" ||
                say "WARNING: no static libsystemd, tether-shim and shimctl link the shared one (more memory per shim)"
}

cmd_deps() {
        install_packages "${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}"
}

cmd_build() {
        cmd_deps
        if [ "${1:-}" = --sanitize ]; then
                build build-asan -Db_sanitize=address,undefined -Db_lundef=false
        else
                build build -Dlibsystemd_static="$(libsystemd_static)"
        fi
}

cmd_demo() {
        cmd_build
        exec contrib/demo.sh build
}

# Every suite but vm on the normal build, then unit and integration again under ASan+UBSan
# (../shared/STYLE.md section 8), then the fuzzers briefly, then the vm suite on the normal build (a booted
# systemd guest; never skipped under CI=true, TETHER_SKIP_VM=1 skips it elsewhere); one closing line
# over all of them.
cmd_test() {
        local logs=() rc=0
        cmd_build
        say "running all test suites but vm (build/)"
        meson test -C build --no-suite vm --print-errorlogs --num-processes 2 >&2 || rc=1
        logs+=(build/meson-logs/testlog.json)

        cmd_build --sanitize
        say "running unit and integration under ASan and UBSan (build-asan/)"
        ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
                meson test -C build-asan --suite unit --suite integration --print-errorlogs \
                --num-processes 2 >&2 || rc=1
        logs+=(build-asan/meson-logs/testlog.json)

        if [ -x tests/fuzz/run.sh ]; then
                say "running the fuzzers briefly"
                tests/fuzz/run.sh build-fuzz >&2 || rc=1
                [ -f build-fuzz/meson-logs/testlog.json ] && logs+=(build-fuzz/meson-logs/testlog.json)
        fi

        if [ "${TETHER_SKIP_VM:-}" = 1 ] && [ "${CI:-}" != true ]; then
                say "skipping the vm suite: TETHER_SKIP_VM=1"
        else
                install_packages "${VM_PACKAGES[@]}"
                say "running the vm suite (build/, a systemd guest under qemu; a first run builds its image)"
        fi
        # Run even when skipped: the suite then reports its skip and reason, which the summary counts.
        rm -f build/meson-logs/testlog-vm.json
        meson test -C build --suite vm --logbase testlog-vm --print-errorlogs >&2 || rc=1
        if [ -f build/meson-logs/testlog-vm.json ]; then
                logs+=(build/meson-logs/testlog-vm.json)
        else
                say "the vm suite left no test log"
                rc=1
        fi

        python3 tests/summary.py "${logs[@]}" || rc=1
        return $rc
}

cmd_bench() {
        cmd_build
        install_packages "${BENCH_PACKAGES[@]}"
        local b
        for b in bench/*.sh; do
                say "running $b"
                "$b" "$@"
        done
}

case "${1:-}" in
deps|build|demo|test|bench) c=$1; shift; "cmd_$c" "$@" ;;
*) sed -n '2,11s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
esac
