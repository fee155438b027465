#!/usr/bin/env bash
# build-aux/shim-order.sh [BUILD_DIR]: regenerates shim/tether-shim.order, the order in which lld lays out
# tether-shim's functions (shim/meson.build), from a trace of a container's whole life. Run as root after
# changes to the shim's start, query or exit paths; commit the result with them.
#
# Why: the kernel maps a file's cached pages 64 kB at a time around each page fault (fault-around), so a
# shim whose few hundred kB of used code lie scattered over its 1.1 MB of text (static glibc, libsystemd's
# sd-bus, ours) ends up with all of it resident: about 1.1 MB that a lone shim pays in full. Laid out in
# the order a shim runs it, the used code sits together and the rest is never mapped. A stale order costs
# only that: functions it does not name follow those it does, and names it has that are gone are ignored.
#
# How: tether-shim runs under build-aux/trace-text.c, which single-steps it (about 100 times slower; the
# runtime and the container run at full speed) and records the first run of every instruction. Twice, on
# the demo's busybox rootfs with a container that writes to stdout and stderr: started by shimctl, as in
# production (--ready-fd), and driven through status, list, stats, logs, pause, resume and stop to its exit
# record and its own exit; then started by hand, detaching itself, with the options shimctl leaves out,
# killed, waited for and lingering. The offsets map to function names through nm; the file lists them in
# the order they first ran.
set -euo pipefail

die() { printf 'shim-order.sh: %s\n' "$*" >&2; exit 1; }

top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
shim=$build/shim/tether-shim
for p in "$shim" "$build/shim/shimctl" "$build/runtime/tether"; do
        [ -x "$p" ] || die "no '$p': run ./tether.sh build"
done
[ "$(id -u)" = 0 ] || die "run as root: it starts a container"
rootfs=$build/demo-rootfs
[ -x "$rootfs/bin/busybox" ] || "$top/contrib/make-rootfs.sh" "$rootfs"

tmp=$(mktemp -d /tmp/tether-shim-order.XXXXXX)
id=tso$$
ctl=("$tmp/bin/shimctl" --state-dir "$tmp/shim" --bus none)
tracers=()
cleanup() {
        local p
        # A tracer still running (a failed run) is killed, and the shim it traces with it (EXITKILL); a pid
        # is signalled only while it is still our tracer.
        for p in "${tracers[@]}"; do
                [ "$(readlink "/proc/$p/exe" 2>/dev/null)" != "$tmp/trace-text" ] || kill -KILL "$p" 2>/dev/null || true
        done
        "$build/runtime/tether" --root "$tmp/rt" delete --force "$id" >/dev/null 2>&1 || true
        rm -rf "$tmp"
}
trap cleanup EXIT

mkdir "$tmp/bin"
cc -O2 -o "$tmp/trace-text" "$top/build-aux/trace-text.c"
# shimctl runs the tether-shim beside it: here, the tracer wrapped around the real one.
cp "$build/shim/shimctl" "$tmp/bin/shimctl"
printf '#!/bin/bash\nexec %q %q "$@"\n' "$tmp/trace-text" "$shim" >"$tmp/bin/tether-shim"
chmod +x "$tmp/bin/tether-shim"
export TRACE_TEXT_OUT=$tmp/offsets

# Every step bounded: a traced shim is slow, never stuck.
t() { timeout 300 "$@"; }
# The start is over: from here the tracer lists what the container's life runs (its "# phase" line).
new_phase() {
        local tracer
        tracer=$(awk '/^TracerPid:/ { print $2 }' "/proc/$(cat "$tmp/shim/$id/shim.pid")/status")
        [ "${tracer:-0}" != 0 ] || die "the shim is not traced"
        tracers+=("$tracer")
        kill -USR2 "$tracer"
}
# shellcheck disable=SC2016
t "${ctl[@]}" run -d --name "$id" --rootfs "$rootfs" --runtime "$build/runtime/tether" \
        --runtime-arg --root --runtime-arg "$tmp/rt" -- \
        sh -c 'for i in 1 2 3; do echo out $i; echo err $i >&2; done; sleep 120' >/dev/null </dev/null 2>&1
new_phase
for verb in "status $id" list "stats $id"; do
        # shellcheck disable=SC2086
        t "${ctl[@]}" $verb >/dev/null
        # shellcheck disable=SC2086
        t "${ctl[@]}" --json $verb >/dev/null
done
t "${ctl[@]}" logs "$id" >/dev/null 2>&1
t "${ctl[@]}" pause "$id"
t "${ctl[@]}" status "$id" >/dev/null
t "${ctl[@]}" resume "$id"
# sh as the container's PID 1 ignores SIGTERM: the stop's timeout and its SIGKILL run too.
t "${ctl[@]}" stop -t 1 "$id"
t "${ctl[@]}" wait "$id" >/dev/null || true
# The shim exits once the record is written (--linger 0); the tracer then writes its last line.
for _ in $(seq 600); do
        grep -q '^# steps' "$tmp/offsets" 2>/dev/null && break
        sleep 0.1
done
grep -q '^# steps' "$tmp/offsets" || die "the traced shim did not exit"
[ -s "$tmp/shim/$id/exit.json" ] || die "the traced shim wrote no exit record"

# Then a shim started by hand, which detaches itself (fork), with the options shimctl leaves out, killed
# and waited for through its own methods, lingering after the exit.
t "${ctl[@]}" rm "$id"
bundle=$tmp/bundle
mkdir "$bundle"
"$build/runtime/tether" spec --bundle "$bundle" --rootfs "$rootfs" --readonly \
        sh -c 'echo out; echo err >&2; sleep 120' || die "tether spec failed"
"$tmp/trace-text" "$shim" --id "$id" --bundle "$bundle" --state-dir "$tmp/shim" \
        --runtime "$build/runtime/tether" --runtime-arg --root --runtime-arg "$tmp/rt" --linger 1 \
        --stop-timeout 1 --log-max-size 1000000 --log-max-files 2 </dev/null >/dev/null 2>&1 &
tracer=$!
tracers+=("$tracer")
for _ in $(seq 600); do
        t "${ctl[@]}" status "$id" 2>/dev/null | grep -q '^State: *running' && break
        sleep 0.1
done
new_phase
for verb in "status $id" list "stats $id"; do
        # shellcheck disable=SC2086
        t "${ctl[@]}" $verb >/dev/null
done
t "${ctl[@]}" kill "$id" KILL
t "${ctl[@]}" wait "$id" >/dev/null || true
t "${ctl[@]}" status "$id" >/dev/null
wait "$tracer" || die "the detached shim failed"

# Written beside, then renamed: a failed run leaves the committed order as it was.
out=$top/shim/tether-shim.order
nm --defined-only -S "$shim" | /usr/bin/python3 -c '
import bisect, sys
funcs = sorted((int(a, 16), int(s, 16), n) for a, s, t, n in (l.split() for l in sys.stdin if len(l.split()) == 4)
               if t in "tTwWiI")
starts = [f[0] for f in funcs]
# What a running container'"'"'s shim runs (after a "# phase" line) first, then what only the start runs:
# a sleeping shim then touches the fewest 64 kB windows of its text.
phases = {"life": [], "start": []}
phase = "start"
for line in open(sys.argv[1]):
    if line.startswith("#"):
        phase = "life" if line.startswith("# phase") else "start"
        continue
    off = int(line, 16)
    i = bisect.bisect_right(starts, off) - 1
    if i >= 0 and off < funcs[i][0] + max(funcs[i][1], 1):
        phases[phase].append(funcs[i][2])
seen, order = set(), []
for name in phases["life"] + phases["start"]:
    if name not in seen:
        seen.add(name)
        order.append(name)
with open(sys.argv[2], "w") as f:
    f.write("# tether-shim: what a running container'"'"'s shim runs, then what its start runs, each in the order\n")
    f.write("# they first ran.\n")
    f.write("# Made by build-aux/shim-order.sh; read by lld (shim/meson.build). Do not edit.\n")
    f.write("".join(n + "\n" for n in order))
print(f"shim-order.sh: {len(order)} functions, {sum(f[1] for f in funcs if f[2] in seen) // 1024} kB", file=sys.stderr)
' "$tmp/offsets" "$tmp/order"
mv "$tmp/order" "$out"
echo "$out"
