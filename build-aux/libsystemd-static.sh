#!/usr/bin/env bash
# build-aux/libsystemd-static.sh DIR: builds DIR/libsystemd-sd.o, Debian's own libsystemd (the source of
# the installed libsystemd-dev, so it matches the headers we compile against) as one relocatable object
# for static linking, and prints its path. Nothing is done when DIR already holds it for that version.
#
# Why: tether-shim stays resident once per container, and linked against libsystemd.so it pulls ten
# shared objects (libgcrypt, liblz4, libzstd, liblzma, libcap, ...) whose relocated data is private dirty
# memory in every shim: about 190 kB of its 290 (bench/shim.sh). Debian ships no libsystemd.a, so we build
# one with every optional dependency off (sd-bus, sd-event, sd-daemon and sd-journal's send need none of
# them; systemd's meson option static-libsystemd, as its own CI builds it).
#
# systemd's static archive also exports its internal helpers (cgroup_controller_to_string, log_*, ...),
# which would clash with ours: `ld -r` folds it into one object and objcopy keeps only the public sd_*
# symbols global. The sections stay per function, so --gc-sections still drops what a program never calls.
#
# The source comes through apt-get with a sources list of its own (deb-src lines derived from nothing but
# the suite names), its own list cache and download directory under DIR: the host's apt configuration is
# neither read for deb-src nor changed. Needs dpkg-dev, gperf, libmount-dev, python3-jinja2, meson, ninja.
set -euo pipefail

die() { printf 'libsystemd-static.sh: %s\n' "$*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: $0 DIR"
dir=$1
version=$(dpkg-query -W -f='${source:Version}' libsystemd-dev 2>/dev/null) ||
        die "libsystemd-dev is not installed: its version picks the source to build"
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
out=$dir/libsystemd-sd.o
stamp=$dir/version

if [ -f "$out" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$version" ]; then
        echo "$out"
        exit 0
fi

work=$dir/work
rm -rf "$work" "$out" "$stamp"
mkdir -p "$work/lists/partial" "$work/archives/partial"

# The suites of this release, from /etc/os-release: bookworm, bookworm-updates, bookworm-security.
. /etc/os-release
codename=${VERSION_CODENAME:?no VERSION_CODENAME in /etc/os-release}
mirror=http://deb.debian.org/debian
cat > "$work/sources.list" <<EOF
deb-src $mirror $codename main
deb-src $mirror $codename-updates main
deb-src $mirror-security $codename-security main
EOF
apt_opts=(-o "Dir::Etc::SourceList=$work/sources.list" -o Dir::Etc::SourceParts=/dev/null
          -o "Dir::State::Lists=$work/lists" -o "Dir::Cache::Archives=$work/archives" -q)

cd "$work"
apt-get "${apt_opts[@]}" update >apt.log 2>&1 || die "apt-get update of the deb-src lists failed: see $work/apt.log"
apt-get "${apt_opts[@]}" source --download-only "systemd=$version" >>apt.log 2>&1 ||
        die "no source of systemd $version: see $work/apt.log"
dpkg-source -x ./systemd_*.dsc src >dpkg-source.log 2>&1 || die "dpkg-source failed: see $work/dpkg-source.log"

# Every option that pulls a library off; what remains of libsystemd links with libc alone.
off=(efi tpm repart sysupdate homed nss-myhostname seccomp selinux apparmor smack polkit acl audit blkid
     fdisk kmod pam pwquality microhttpd libcryptsetup libcurl idn libidn2 libiptc qrencode gcrypt gnutls
     openssl p11kit libfido2 tpm2 elfutils zlib bzip2 xz lz4 zstd xkbcommon pcre2 glib dbus gnu-efi
     kernel-install analyze bpf-framework man html translations tests slow-tests fuzz-tests install-tests)
meson_opts=(-Dstatic-libsystemd=pic -Dmode=release --buildtype=release -Db_lto=false)
for o in "${off[@]}"; do meson_opts+=("-D$o=false"); done
meson setup b src "${meson_opts[@]}" >meson.log 2>&1 || die "configuring systemd failed: see $work/meson.log"
# version.h is generated and not among the archive's dependencies when it is built alone.
{ ninja -C b version.h && ninja -C b libsystemd.a; } >ninja.log 2>&1 || die "building libsystemd.a failed: see $work/ninja.log"

ld -r --whole-archive b/libsystemd.a -o libsystemd-all.o
objcopy -w --keep-global-symbol='sd_*' libsystemd-all.o "$out.tmp"
mv "$out.tmp" "$out"
echo "$version" > "$stamp"
cd "$dir" && rm -rf "$work"
echo "$out"
