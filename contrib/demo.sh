#!/usr/bin/env bash
# The README's demo: a real container from the default busybox-static rootfs, run by tether with
# tether-init as its PID 1, reaping orphans, forwarding signals, ending what its payload leaves behind,
# and passing on the payload's exit status; then one run by shimctl under its own tether-shim, shown by
# shimctl and by busctl on a private system bus the demo starts (dbus-daemon with tether's policy, and
# tether-busd on it), and stopped. Usage: contrib/demo.sh [BUILD_DIR]
set -euo pipefail

build=${1:-build}
tether=$build/runtime/tether
[ -x "$tether" ] || { echo "demo: no tether in '$build'; run ./tether.sh build" >&2; exit 1; }
rootfs=$build/demo-rootfs
[ -x "$rootfs/bin/busybox" ] || "$(dirname "$0")/make-rootfs.sh" "$rootfs"

tmp=$(mktemp -d)
state=$tmp/state
shim_state=$tmp/shim-state
pids=()
cleanup() {
        "$tether" --root "$state" delete --force demo 2>/dev/null || true
        "$tether" --root "$state" delete --force web 2>/dev/null || true
        if [ -f "$shim_state/web/shim.pid" ]; then kill "$(cat "$shim_state/web/shim.pid")" 2>/dev/null || true; fi
        # tether-busd before its bus
        for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
                kill "${pids[i]}" 2>/dev/null || true
                wait "${pids[i]}" 2>/dev/null || true
        done
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


# -- the shim: tether-shim holds the container, tether-busd publishes it on a bus ------------------------
shimctl=$build/shim/shimctl
busd=$build/shim/tether-busd
if [ ! -x "$shimctl" ] || [ ! -x "$busd" ] || [ ! -x "$build/shim/tether-shim" ]; then
        echo "demo: no tether-shim, tether-busd or shimctl in '$build/shim': the shim part is left out" >&2
        exit 0
fi
here=$(cd "$(dirname "$0")" && pwd)
step "a private system bus (dbus-daemon with the stock system policy and tether's), tether-busd on it"
exec 4< <(dbus-daemon --config-file="$here/../tests/dbus/system.conf" --nofork --print-address=1 2>/dev/null)
pids+=($!)
read -r bus <&4
echo "bus: $bus"
"$busd" --bus "$bus" --state-dir "$shim_state" &
pids+=($!)
for _ in $(seq 100); do busctl --address="$bus" status io.tether.Shim1 >/dev/null 2>&1 && break; sleep 0.05; done
ctl() { "$shimctl" --state-dir "$shim_state" --bus "$bus" "$@"; }

step "shimctl run --name web --rootfs $rootfs -d -- sh -c 'echo hello from web; sleep 600'"
ctl run --name web --rootfs "$rootfs" --runtime "$tether" --runtime-arg --root --runtime-arg "$state" -d -- \
        sh -c 'trap "echo web: stopping; exit 7" TERM; echo hello from web; sleep 600 & wait'
step "shimctl list; shimctl status web; shimctl logs web"
ctl list
ctl status web
ctl logs web
step "busctl tree io.tether.Shim1; busctl get-property ... State (an independent client, on the bus)"
busctl --address="$bus" tree io.tether.Shim1
busctl --address="$bus" get-property io.tether.Shim1 /io/tether/Shim1/web io.tether.Shim1.Container State
step "shimctl stop web (SIGTERM; the payload's trap exits 7): the exit, on disk before anyone is told"
ctl stop -t 10 web
ctl status web
cat "$shim_state/web/exit.json"
ctl rm web
step "shimctl ran and stopped web"
