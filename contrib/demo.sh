#!/usr/bin/env bash
# The README's demo: tether-init as PID 1 of a fresh PID namespace, reaping orphans, forwarding signals,
# ending what its payload leaves behind, and passing on the payload's exit status.
# Usage: contrib/demo.sh [BUILD_DIR]
set -euo pipefail

build=${1:-build}
init=$build/init/static/tether-init
[ -x "$init" ] || init=$build/init/tether-init
[ -x "$init" ] || { echo "demo: no tether-init in '$build'; run ./tether.sh build" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkfifo "$tmp/ready"

step() { printf '\n\033[1m--- %s\033[0m\n' "$*"; }

# The payload, PID 2 of the namespace. It makes orphans (a parent that exits at once leaves its child to
# PID 1), starts a daemon that will outlive it, and waits for signals.
payload='
echo "payload: I am PID $$; my parent is PID $PPID ($(cat /proc/$PPID/comm))"
for i in 1 2 3; do sh -c "true & exit 0"; done
sh -c "sleep 1000 & exit 0"
trap "echo \"payload: got SIGUSR1 (forwarded by tether-init)\"" USR1
trap "echo \"payload: got SIGTERM, exiting with status 3\"; exit 3" TERM
ps -eo pid,ppid,stat,comm | sed "s/^/payload:   /"
echo ready > "$READY"
while :; do sleep 1 & wait $!; done
'

step "starting: unshare --pid --fork $init -w -v -- sh -c PAYLOAD"
READY=$tmp/ready unshare --pid --fork --mount-proc "$init" -w -v -v -- sh -c "$payload" </dev/zero &
unshare_pid=$!
read -r _ < "$tmp/ready"
init_pid=$(tr -d ' \n' < "/proc/$unshare_pid/task/$unshare_pid/children")
echo "host: tether-init is PID 1 inside, PID $init_pid outside; the orphans above were reaped (-w warns)"

step "signal forwarding: kill -USR1 $init_pid"
kill -USR1 "$init_pid"
step "stopping: kill -TERM $init_pid (the payload exits 3; tether-init ends the leftover 'sleep 1000')"
kill -TERM "$init_pid"
status=0
wait "$unshare_pid" || status=$?
step "tether-init exited with the payload's status: $status"
[ "$status" -eq 3 ]
