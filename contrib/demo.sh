#!/usr/bin/env bash
# The README's demo: a real container from the default busybox-static rootfs, run by tether with
# tether-init as its PID 1, reaping orphans, forwarding signals, ending what its payload leaves behind,
# and passing on the payload's exit status. Usage: contrib/demo.sh [BUILD_DIR]
set -euo pipefail

build=${1:-build}
tether=$build/runtime/tether
[ -x "$tether" ] || { echo "demo: no tether in '$build'; run ./tether.sh build" >&2; exit 1; }
rootfs=$build/demo-rootfs
[ -x "$rootfs/bin/busybox" ] || "$(dirname "$0")/make-rootfs.sh" "$rootfs"

tmp=$(mktemp -d)
state=$tmp/state
cleanup() {
        "$tether" --root "$state" delete --force demo 2>/dev/null || true
        rm -rf "$tmp"
}
trap cleanup EXIT
mkfifo "$tmp/ready"

step() { printf '\n\033[1m--- %s\033[0m\n' "$*"; }

# The payload, PID 2 under tether-init. It makes orphans (a parent that exits at once leaves its child
# to PID 1), starts a daemon that will outlive it, and waits for signals.
payload='
echo "payload: PID $$ in container $(hostname); PID 1 is $(cat /proc/1/comm)"
for i in 1 2 3; do sh -c "true & exit 0"; done
sh -c "sleep 1000 & exit 0"
trap "echo \"payload: got SIGUSR1 (forwarded by tether-init)\"" USR1
trap "echo \"payload: got SIGTERM, exiting with status 3\"; exit 3" TERM
grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status | sed "s/^/payload:   /"
echo ready > /host/ready
while :; do sleep 1 & wait $!; done
'

# The fifo is opened read-write here, so that neither its writers nor we block in open(): the payload
# writes "ready" into it, and if tether run exits first (the container could not start), the subshell
# around it writes "exited", so that a failing demo fails at once instead of waiting forever.
exec 3<>"$tmp/ready"
step "tether run --init --rootfs $rootfs --hostname demo demo -- sh -c PAYLOAD"
(
        status=0
        "$tether" --root "$state" run --init --rootfs "$rootfs" --hostname demo --mount "$tmp:/host" demo -- \
                sh -c "$payload" </dev/null 3>&- || status=$?
        echo exited >&3
        exit "$status"
) &
run_pid=$!
read -r started <&3
if [ "$started" != ready ]; then
        status=0
        wait "$run_pid" || status=$?
        echo "demo: the container did not start: tether run exited with status $status" >&2
        exit 1
fi

step "tether list; tether ps demo (the orphans are gone: tether-init reaped them)"
"$tether" --root "$state" list
"$tether" --root "$state" ps demo -o pid,ppid,stat,comm
step "tether exec demo hostname"
"$tether" --root "$state" exec demo hostname

step "signal forwarding: tether kill demo USR1 (to tether-init, which forwards it to the payload)"
"$tether" --root "$state" kill demo USR1
step "stopping: tether kill demo TERM (the payload exits 3; tether-init ends the leftover 'sleep 1000')"
"$tether" --root "$state" kill demo TERM
status=0
wait "$run_pid" || status=$?
step "tether run exited with the payload's status: $status"
[ "$status" -eq 3 ]
