#!/usr/bin/env bash
# bench/shim.sh: tether-shim against conmon (Debian's, driven as podman 4.3 drives it) and
# containerd-shim-runc-v2 (Debian's, under a private containerd), side by side in one run: the memory (PSS)
# each shim keeps per container with 1 and with 50 sleeping containers; the time from starting a container
# under a shim until it runs, against the runtime's bare `run --detach`; the time from a container's death
# (SIGKILL) to its exit record (on disk; containerd's TaskExit event); `shimctl list` of 300 containers,
# straight to the shims' sockets and through tether-busd on a private bus; and tether-busd's memory at
# 300. A benchmark, not a test: run as root, registered in no CI.
#
#   sudo bench/shim.sh [--quick]
#
# TETHER, TETHER_SHIM, SHIMCTL and TETHER_BUSD override the binaries under test (default build/). Prints a
# markdown table and writes it to bench/results/shim.md. Helpers: bench/shim-helper.c, compiled into the
# temporary directory. This machine's absolute times mean little; only compare within one run.
#
# Mount namespace: as bench/runtime.sh, the script re-executes itself in a private mount namespace and
# unmounts /sys/fs/cgroup/unified there: crun 1.8.1 refuses every container on this hybrid host otherwise.
#
# conmon is run the way podman 4.3 runs it for a container with the cgroupfs manager, no terminal and the
# k8s-file log driver (containers/podman:libpod/oci_conmon_linux.go, createOCIContainer and
# sharedConmonArgs): --api-version 1 -c ID -u ID -r RUNTIME -b BUNDLE -p PIDFILE -l k8s-file:LOG
# --exit-dir DIR --socket-dir-path DIR --log-level warning --runtime-arg --log-format=json --runtime-arg
# --log --runtime-arg=OCI-LOG --conmon-pidfile FILE, a sync pipe on fd 3 and a start pipe on fd 4; podman
# writes to the start pipe, waits for conmon's first process, reads the container's pid from the sync pipe
# and then runs `RUNTIME start ID` itself. Left out: --exit-command (it would run `podman container
# cleanup`) and podman's move of conmon into a cgroup of its own before the start pipe. The runtimes get
# `--root DIR` (a private state directory) as a runtime argument, as podman passes its runtime flags.
#
# containerd-shim-runc-v2 (runtime runc) is driven the only way it can be, by containerd: a private one,
# started for the run with its own config in the temporary directory (root there, state and GRPC socket on
# the private tmpfs, log level warning, the CRI plugin, /opt/containerd's and the snapshotters that probe
# the host off) and stopped at the end; never the host's socket nor its service. `ctr run -d --config
# BUNDLE/config.json` gives each container the same spec as the others (no image, no snapshotter), with
# --runc-root on the tmpfs and --log-uri file:// (the shim copies the container's output to a file, as
# conmon's k8s-file log). The shim puts its ttrpc socket in /run/containerd/s whatever containerd's
# state dir (1.6: runtime/v2/shim/util_unix.go, socketRoot), so a tmpfs covers /run/containerd in our
# mount namespace. Without a group annotation each container gets a shim of its own (counted in the
# notes); a second kind carries io.containerd.runc.v2.group, so that all its containers share one shim,
# as CRI groups a pod's (the shim's manager_linux.go, groupLabels). Its start time includes ctr's exec
# and containerd's work, so it is given against `runc run --detach` and labelled so. Kill to exit: to the
# TaskExit event as a `ctr events` subscriber reads it (through containerd), and to the timestamp the shim
# put on that event. Skipped, with the reason, when containerd, ctr or the shim is missing or containerd
# does not answer.
#
# Every container gets a bundle of its own on one shared read-only busybox rootfs (config from `runc spec`,
# args `sleep 3600`), with an absolute linux.cgroupsPath below this process's own memory group
# (<own>/tbsPID-cg/ID, the same path in every v1 hierarchy), so no runtime puts a group at the root. All
# state (runtimes' --root, shims' state, conmon's exit and socket directories) lives on a private tmpfs,
# as /run would. The cleanup kills and deletes every container whose id starts with this run's prefix
# (containerd's: every task and container of its namespace tbsPID, through ctr, then through runc),
# waits for the shims, stops the bus, tether-busd and containerd, and removes the groups, nothing else.
#
# The result arrays and the list's times are assigned through read on purpose:
# shellcheck disable=SC2034,SC2154

set -euo pipefail

usage() {
        cat <<EOF
Usage: $0 [--quick]

Measures tether-shim against conmon and containerd-shim-runc-v2 (under a private containerd; left out
when containerd or ctr is missing): PSS per shim with 1 and 50 sleeping containers, start time against
the runtime alone, kill-to-exit-record latency, \`shimctl list\` of 300 containers (sockets and through
tether-busd) and tether-busd's memory. Run as root; takes about a minute.

  --quick   a smoke run with 10 containers per shim and 60 for the list (about 10 s); its numbers are not
            worth quoting

KEEP_TMP=1 keeps the temporary directory with the raw samples.
EOF
}

quick=0
for arg in "$@"; do
        case "$arg" in
        --quick) quick=1 ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
        esac
done

die() {
        echo "bench/shim.sh: $*" >&2
        exit 1
}

[[ $EUID -eq 0 ]] || die "must run as root (runtimes create namespaces, mounts and cgroups)"

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)

if [[ -z ${TETHER_BENCH_MNTNS:-} ]]; then
        command -v unshare >/dev/null || die "'unshare' is missing"
        TETHER_BENCH_MNTNS=1 exec unshare --mount --propagation private -- "$BASH" "$here/shim.sh" "$@"
fi
[[ $(readlink /proc/self/ns/mnt) != "$(readlink /proc/1/ns/mnt)" ]] || die "not in a private mount namespace"
if mountpoint -q /sys/fs/cgroup/unified; then
        umount /sys/fs/cgroup/unified || die "cannot unmount /sys/fs/cgroup/unified in the private mount namespace"
fi

abs() { [[ $1 == /* ]] && echo "$1" || echo "$PWD/$1"; }
tether=$(abs "${TETHER:-$top/build/runtime/tether}")
shim=$(abs "${TETHER_SHIM:-$top/build/shim/tether-shim}")
shimctl=$(abs "${SHIMCTL:-$top/build/shim/shimctl}")
busd=$(abs "${TETHER_BUSD:-$top/build/shim/tether-busd}")
conmon=/usr/bin/conmon
crun=/usr/bin/crun
for p in "$tether" "$shim" "$shimctl" "$busd" "$conmon" "$crun" /usr/sbin/runc /bin/busybox; do
        [[ -x $p ]] || die "'$p' is missing or not executable (./tether.sh build; apt-get install -y conmon crun runc busybox-static)"
done
for tool in hyperfine jq cc dbus-daemon strace flock; do
        command -v "$tool" >/dev/null || die "'$tool' is missing"
done
# containerd-shim-runc-v2 is measured when containerd can drive it; otherwise the reason goes in the notes.
ctrd_skip=
for tool in containerd ctr containerd-shim-runc-v2; do
        [[ -x $(command -v "$tool") ]] || ctrd_skip="'$tool' is missing (apt-get install -y containerd)"
done

if ((quick)); then
        n_shim=10 n_exit=5 n_list=60 hf_runs=10
else
        n_shim=50 n_exit=25 n_list=300 hf_runs=30
fi

tmp=$(mktemp -d /tmp/tether-bench-shim.XXXXXX)
prefix=tbs$$- # every container id and cgroup of ours starts with it
st=$tmp/state
bin=$tmp/bin
bus_pid='' busd_pid='' ctrd_pid='' events_pid='' run_ctrd_made=''
ctrd_ns=${prefix%-} # containerd's namespace: no trailing '-' allowed
ctrd_sock=$st/containerd/containerd.sock
ctr=(ctr --address "$ctrd_sock" -n "$ctrd_ns")

shim_pids() { cat "$st"/shim/*/shim.pid "$st"/s300/*/shim.pid "$tmp"/conmon/*/conmon.pid 2>/dev/null || true; }
ctrd_shim_pids() { # our containerd's shims: started with our namespace and socket
        ps -e -o pid= -o args= | awk -v ns=" -namespace $ctrd_ns " -v a=" -address $ctrd_sock " \
                '$2 ~ /containerd-shim-runc-v2$/ && index($0 " ", ns) && index($0 " ", a) { print $1 }'
}
cleanup() {
        local d id ids p pids
        set +e
        pids=$(shim_pids)
        # The containers: killed and deleted by their runtime; their shims then record the exit and go.
        for d in "$st/tether/$prefix"*; do
                [[ -d $d ]] || continue
                id=${d##*/}
                "$bin/tether" --root "$st/tether" kill "$id" KILL
                "$bin/tether" --root "$st/tether" delete --force "$id"
        done >/dev/null 2>&1
        for d in "$st/crun/$prefix"*; do
                [[ -d $d ]] && "$crun" --root "$st/crun" delete --force "${d##*/}"
        done >/dev/null 2>&1
        # containerd's: every task (killed) and container of our namespace through it, then whatever runc
        # still has; the shims exit once their task is deleted. First a SIGKILL to each container's first
        # process, if it is still the one in our group: `ctr tasks delete --force` kills and waits for
        # one after the other.
        if [[ -n $ctrd_pid ]]; then
                pids+=" $(ctrd_shim_pids)"
                for d in "$st/containerd/io.containerd.runtime.v2.task/$ctrd_ns/$prefix"*; do
                        p=$(cat "$d/init.pid") &&
                                grep -q "/${prefix}cg/${d##*/}\$" "/proc/$p/cgroup" && kill -KILL "$p"
                done
                ids=$(timeout 20 "${ctr[@]}" containers list --quiet)
                # shellcheck disable=SC2086
                if [[ -n $ids ]]; then # in 4 parallel parts: each delete takes containerd ~0.1 s
                        xargs -n "$((($(wc -w <<<"$ids") + 3) / 4))" -P 4 timeout 60 "${ctr[@]}" tasks delete --force <<<"$ids"
                        timeout 20 "${ctr[@]}" containers delete $ids
                fi
        fi >/dev/null 2>&1
        # runc's (and what containerd left): all killed first, as delete --force waits for each to die.
        local rs=("$st/runc/$prefix"* "$st/ctrd-runc/$ctrd_ns/$prefix"*)
        for d in "${rs[@]}"; do
                [[ -d $d ]] && /usr/sbin/runc --root "${d%/*}" kill "${d##*/}" KILL
        done >/dev/null 2>&1
        for d in "${rs[@]}"; do
                [[ -d $d ]] && /usr/sbin/runc --root "${d%/*}" delete --force "${d##*/}"
        done >/dev/null 2>&1
        # The shims (ours, by pid): a few seconds to go by themselves, then SIGKILL.
        for _ in $(seq 50); do
                p=
                for id in $pids; do kill -0 "$id" 2>/dev/null && p+=" $id"; done
                pids=$p
                [[ -n $pids ]] || break
                sleep 0.1
        done
        for id in $pids; do kill -KILL "$id"; done 2>/dev/null
        for p in $events_pid $ctrd_pid $busd_pid $bus_pid; do kill "$p" && wait "$p"; done 2>/dev/null
        if [[ -n $run_ctrd_made ]]; then
                umount /run/containerd
                [[ $run_ctrd_made != created ]] || rmdir /run/containerd
        fi 2>/dev/null
        # The groups: crun also writes a plain cgroup.procs into the tmpfs directory the cgroup2 mount left.
        while read -r d; do
                [[ $(stat -f -c %T "$d") != tmpfs ]] || find "$d" -type f -name cgroup.procs -delete
                find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
        done < <(find /sys/fs/cgroup -mindepth 2 -maxdepth 8 -type d -name "${prefix}cg" 2>/dev/null)
        while read -r d; do rmdir "$d"; done < <(cat "$tmp/cgroup-made" 2>/dev/null) 2>/dev/null
        if [[ -z ${KEEP_TMP:-} ]]; then
                ! mountpoint -q "$st" || umount -l "$st"
                rm -rf "$tmp"
        fi
}
trap cleanup EXIT

# Our groups' parent: <own memory group>/tbsPID-cg in every hierarchy. Recorded per hierarchy: the
# directories of that path that do not exist yet, deepest first, which the cleanup removes once empty.
own_memory=$(sed -n 's/^[0-9]*:memory://p' /proc/self/cgroup)
cg_parent=${own_memory%/}/${prefix}cg
for h in /sys/fs/cgroup/*/; do
        h=${h%/} p=
        IFS=/ read -ra comps <<<"${cg_parent#/}"
        for c in "${comps[@]}"; do
                p+=/$c
                [[ -e $h$p ]] || echo "$h$p"
        done | tac
done >"$tmp/cgroup-made"

# Private copies of the binaries (others rebuild build/ while we measure); shimctl finds tether-shim
# beside itself.
mkdir "$bin"
cp "$tether" "$bin/tether"
cp "$shim" "$bin/tether-shim"
cp "$shimctl" "$bin/shimctl"
cp "$busd" "$bin/tether-busd"
helper=$bin/shim-helper
cc -O2 -Wall -o "$helper" "$here/shim-helper.c" || die "failed to build bench/shim-helper.c"

mkdir "$st"
mount -t tmpfs -o mode=0700,size=256m tmpfs "$st"
mkdir "$st/tether" "$st/crun" "$st/runc" "$st/shim" "$st/s300" "$st/exits" "$st/socket" "$tmp/b" "$tmp/conmon"
: >"$tmp/stdin"

# The rootfs: busybox-static and its applets; the config: runc spec, no terminal, sleep 3600, read-only
# root; @CG@ is each container's cgroupsPath.
rootfs=$tmp/rootfs
mkdir -p "$rootfs/bin"
cp /bin/busybox "$rootfs/bin/busybox"
for a in $(/bin/busybox --list); do
        [[ $a == busybox ]] || ln -s busybox "$rootfs/bin/$a"
done
/usr/sbin/runc spec --bundle "$tmp"
config_tmpl=$(jq --arg root "$rootfs" '.process.terminal = false | .process.args = ["sleep", "3600"] |
        .root = {path: $root, readonly: true} | .linux.cgroupsPath = "@CG@"' "$tmp/config.json")
# The grouped v2 shim's containers carry the annotation that puts them all in one shim.
config_grp=$(jq --arg g "${prefix}grp" '.annotations["io.containerd.runc.v2.group"] = $g' <<<"$config_tmpl")
bundle() { # bundle ID: $tmp/b/ID with the container's own cgroupsPath
        local c=$config_tmpl
        [[ $1 != *-ctrd-grp-* ]] || c=$config_grp
        mkdir "$tmp/b/$1"
        printf '%s\n' "${c//@CG@/$cg_parent/$1}" >"$tmp/b/$1/config.json"
}

# --- A private containerd, for containerd-shim-runc-v2 ---------------------------------------------

start_containerd() { # sets ctrd_pid, or ctrd_skip with the reason
        local c=$tmp/containerd
        mkdir -p "$c/root" "$st/containerd" "$st/ctrd-runc" "$tmp/ctrd"
        # The shims' sockets go to /run/containerd/s, fixed: a tmpfs over it, seen in our namespace only.
        if [[ ! -d /run/containerd ]]; then
                mkdir /run/containerd || { ctrd_skip="cannot create /run/containerd"; return; }
                run_ctrd_made=created
        fi
        mount -t tmpfs -o mode=0700,size=16m tmpfs /run/containerd || { ctrd_skip="cannot mount a tmpfs on /run/containerd"; return; }
        run_ctrd_made=${run_ctrd_made:-mounted}
        # No CRI, no /opt/containerd, no snapshotter but native (aufs's probe runs modprobe; none is used:
        # the containers' rootfs is the bundle's path).
        cat >"$c/config.toml" <<EOF
version = 2
root = "$c/root"
state = "$st/containerd"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.internal.v1.opt",
        "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
        "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.overlayfs",
        "io.containerd.snapshotter.v1.zfs"]

[grpc]
  address = "$ctrd_sock"

[debug]
  level = "warning"
EOF
        containerd --config "$c/config.toml" </dev/null >"$tmp/containerd.log" 2>&1 &
        ctrd_pid=$!
        for _ in $(seq 100); do
                "${ctr[@]}" version >/dev/null 2>"$tmp/ctr-version.err" && return
                kill -0 "$ctrd_pid" 2>/dev/null || break
                sleep 0.05
        done
        ctrd_skip="the private containerd did not answer \`ctr version\`: $(cat "$tmp/containerd.log" "$tmp/ctr-version.err" |
                tail -3 | paste -sd ';' | cut -c1-300)"
}
if [[ -z $ctrd_skip ]]; then
        echo "bench/shim.sh: a private containerd..." >&2
        start_containerd
fi
[[ -z $ctrd_skip ]] || echo "bench/shim.sh: containerd-shim-runc-v2 is not measured: $ctrd_skip" >&2

# --- The shims and the runtimes alone ----------------------------------------------------------------

kinds=(tether tether-cs crun crun-cs runc tshim shimctl tshim-crun conmon-crun conmon-tether)
shim_kinds=(tshim shimctl tshim-crun conmon-crun conmon-tether)
if [[ -z $ctrd_skip ]]; then
        kinds+=(ctrd ctrd-grp) shim_kinds+=(ctrd)
fi
declare -A desc start rt_of
desc[tether]="tether run --detach (the runtime alone)"
desc[crun]="crun run --detach (the runtime alone)"
desc[tether-cs]="tether create + start (the runtime alone)"
desc[crun-cs]="crun create + start (the runtime alone)"
desc[runc]="runc run --detach (the runtime alone)"
desc[tshim]="tether-shim, runtime tether"
desc[shimctl]="shimctl run -d --bundle, runtime tether"
desc[tshim-crun]="tether-shim, runtime crun"
desc[conmon-crun]="conmon as podman runs it, runtime crun"
desc[conmon-tether]="conmon as podman runs it, runtime tether"
desc[ctrd]="containerd-shim-runc-v2, runtime runc (start: \`ctr run -d\`, with ctr and containerd)"
desc[ctrd-grp]="containerd-shim-runc-v2, all in one shim by annotation, runtime runc (at $n_shim: that shim's / $n_shim)"
rt_of=([tether]=tether [crun]=crun [tether-cs]=tether [crun-cs]=crun [runc]=runc [tshim]=tether [shimctl]=tether [tshim-crun]=crun [conmon-crun]=crun
        [conmon-tether]=tether [ctrd]=runc [ctrd-grp]=runc)
declare -A rt_bin=([tether]="$bin/tether" [crun]="$crun")
rtargs() { echo "--runtime ${rt_bin[$1]} --runtime-arg --root --runtime-arg $st/$1"; }
conmon_cmd() { # conmon_cmd RUNTIME: podman 4.3's conmon command line (see the top), then the start
        local r=$1 u=$tmp/conmon/{}
        echo "conmon $conmon --api-version 1 -c {} -u {} -r ${rt_bin[$r]} -b $tmp/b/{} -p $u/pidfile" \
                "-l k8s-file:$u/ctr.log --exit-dir $st/exits --socket-dir-path $st/socket --log-level warning" \
                "--runtime-arg --root --runtime-arg $st/$r --runtime-arg --log-format=json --runtime-arg --log" \
                "--runtime-arg=$u/oci-log --conmon-pidfile $u/conmon.pid + ${rt_bin[$r]} --root $st/$r start {}"
}
start[tether]="plain $bin/tether --root $st/tether run --detach --bundle $tmp/b/{} {}"
start[crun]="plain $crun --root $st/crun run --detach --bundle $tmp/b/{} {}"
start[tether-cs]="plain $bin/tether --root $st/tether create --bundle $tmp/b/{} {} + $bin/tether --root $st/tether start {}"
start[runc]="plain /usr/sbin/runc --root $st/runc run --detach --bundle $tmp/b/{} {}"
start[crun-cs]="plain $crun --root $st/crun create --bundle $tmp/b/{} {} + $crun --root $st/crun start {}"
start[tshim]="plain $bin/tether-shim --id {} --bundle $tmp/b/{} $(rtargs tether) --state-dir $st/shim"
start[shimctl]="plain $bin/shimctl --state-dir $st/shim --bus none run -d --name {} --bundle $tmp/b/{} $(rtargs tether)"
start[tshim-crun]="plain $bin/tether-shim --id {} --bundle $tmp/b/{} $(rtargs crun) --state-dir $st/shim"
start[conmon-crun]=$(conmon_cmd crun)
start[conmon-tether]=$(conmon_cmd tether)
start[ctrd]="plain ${ctr[*]} run --detach --log-uri file://$tmp/ctrd/{}.log --runtime io.containerd.runc.v2 --runc-root $st/ctrd-runc --config $tmp/b/{}/config.json {}"
start[ctrd-grp]=${start[ctrd]}

shim_pid() { # shim_pid KIND ID
        case $1 in
        conmon-*) cat "$tmp/conmon/$2/conmon.pid" ;;
        ctrd*) awk '/^PPid:/ { print $2 }' "/proc/$(ctr_pid "$@")/status" ;; # the shim is the subreaper
        *) cat "$st/shim/$2/shim.pid" ;;
        esac
}
ctr_pid() { # ctr_pid KIND ID: the container's first process
        case $1 in
        conmon-*) cat "$tmp/conmon/$2/pidfile" ;;
        ctrd*) cat "$st/containerd/io.containerd.runtime.v2.task/$ctrd_ns/$2/init.pid" ;;
        *) cat "$st/shim/$2/pid" ;;
        esac
}
libc_sharers() { # how many processes map libc.so.6 (those this root can read)
        # Processes that exit meanwhile make grep fail: the count stands.
        grep -l 'libc\.so\.6' /proc/[0-9]*/maps 2>/dev/null | wc -l || true
}
smaps() { # smaps PID FIELD: kB
        awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/smaps_rollup"
}
mem_of() { # mem_of KIND FIELD FIRST LAST: the mean FIELD (Pss, Rss) of the shims of containers FIRST..LAST
        local i s=0 n=0 v
        for ((i = $3; i <= $4; i++)); do
                v=$(smaps "$(shim_pid "$1" "$prefix$1-$i")" "$2")
                s=$((s + v)) n=$((n + 1))
        done
        awk -v s="$s" -v n="$n" 'BEGIN { printf "%.0f", s / n }'
}

for k in "${kinds[@]}"; do
        for ((i = 1; i <= n_shim; i++)); do
                id=$prefix$k-$i
                bundle "$id"
                [[ $k != conmon-* ]] || mkdir "$tmp/conmon/$id"
        done
        : >"$tmp/start-$k"
done

t_start=$(date +%s.%N)
declare -A pss1 rss1 pssn rssn privn maps
# A lone shim of each binary first, while no other process maps that binary: its PSS is then all that one
# shim costs the host (its own pages whole; libc, for the dynamic ones, shared with the host's other
# processes as anywhere). In the rounds below each kind's first shim shares its binary with the other kinds
# of it (three tether-shims, two conmons, two v2 shims), which flatters whoever has more kinds.
lone_kinds=(tshim conmon-crun)
[[ -n $ctrd_skip ]] || lone_kinds+=(ctrd)
echo "bench/shim.sh: a lone shim of each binary..." >&2
for k in "${lone_kinds[@]}"; do
        id=$prefix$k-0
        bundle "$id"
        [[ $k != conmon-* ]] || mkdir "$tmp/conmon/$id"
        # shellcheck disable=SC2086
        "$helper" start "$id" "$tmp/stdin" "$tmp/$k.log" ${start[$k]} >/dev/null ||
                die "$k: container '$id' did not start: $(tail -5 "$tmp/$k.log")"
        pss1[$k]=$(mem_of "$k" Pss 0 0) rss1[$k]=$(mem_of "$k" Rss 0 0)
        maps[$k]=$(awk '/^[0-9a-f]+-/ { n = $6 == "" ? "anon" : $6; sub(/.*\//, "", n) }
                /^Pss:/ { p[n] += $2 } END { for (n in p) printf "%d %s\n", p[n], n }' \
                "/proc/$(shim_pid "$k" "${prefix}$k-0")/smaps" | sort -rn | head -5 | awk '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $2, $1 }')
done
lone_libc=$(libc_sharers)
# The lone tether-shim again after one status query: the bus code and data it faulted in stay mapped (it
# gives back only its start's, resident.h).
"$bin/shimctl" --state-dir "$st/shim" --bus none status "${prefix}tshim-0" >/dev/null ||
        die "shimctl status of the lone tether-shim failed"
lone_queried_pss=$(mem_of tshim Pss 0 0)
echo "bench/shim.sh: starting $n_shim containers per shim and runtime, in rounds..." >&2
for ((i = 1; i <= n_shim; i++)); do
        # The order rotates by round, so that no kind always follows the same one.
        for ((j = 0; j < ${#kinds[@]}; j++)); do
                k=${kinds[(i + j) % ${#kinds[@]}]}
                id=$prefix$k-$i
                # shellcheck disable=SC2086
                "$helper" start "$id" "$tmp/stdin" "$tmp/$k.log" ${start[$k]} >>"$tmp/start-$k" ||
                        die "$k: container '$id' did not start: $(tail -5 "$tmp/$k.log")"
        done
        if ((i == 1)) && [[ -z $ctrd_skip ]]; then
                grp_priv1=$(mem_of ctrd-grp Private_Dirty 1 1)
        fi
done
# The private dirty pages of the first tether-shim, by mapping: what a shim costs however many run.
dirty_maps=$(awk '/^[0-9a-f]+-/ { n = $6 == "" ? "anon" : $6; sub(/.*\//, "", n) }
        /^Private_Dirty:/ { p[n] += $2 } END { for (n in p) if (p[n]) printf "%d %s\n", p[n], n }' \
        "/proc/$(shim_pid tshim "${prefix}tshim-1")/smaps" | sort -rn | awk '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $2, $1 }')
for k in "${shim_kinds[@]}"; do
        pssn[$k]=$(mem_of "$k" Pss 1 "$n_shim") rssn[$k]=$(mem_of "$k" Rss 1 "$n_shim")
        privn[$k]=$(mem_of "$k" Private_Dirty 1 "$n_shim")
done
if [[ -z $ctrd_skip ]]; then
        # One shim per container unless an annotation groups them (the shim's manager_linux.go,
        # groupLabels): count the distinct ones, and check that each is the shim.
        ctrd_shims=$(for ((i = 1; i <= n_shim; i++)); do shim_pid ctrd "${prefix}ctrd-$i"; done | sort -u)
        for p in $ctrd_shims; do
                [[ $(cat "/proc/$p/comm") == containerd-shim* ]] || die "ctrd: the parent of a container, $p, is no containerd-shim-runc-v2"
        done
        ctrd_nshims=$(wc -w <<<"$ctrd_shims")
        # The grouped ones: one shim for all, whose memory is shared by $n_shim containers.
        grp_shims=$(for ((i = 1; i <= n_shim; i++)); do shim_pid ctrd-grp "${prefix}ctrd-grp-$i"; done | sort -u)
        [[ $(wc -w <<<"$grp_shims") -eq 1 ]] || die "ctrd-grp: $n_shim containers in $(wc -w <<<"$grp_shims") shims, not one"
        grp_pss=$(smaps "$grp_shims" Pss) grp_rss=$(smaps "$grp_shims" Rss) grp_priv=$(smaps "$grp_shims" Private_Dirty)
        pssn[ctrd-grp]=$((grp_pss / n_shim)) rssn[ctrd-grp]=$((grp_rss / n_shim)) privn[ctrd-grp]=$((grp_priv / n_shim))
        ctrd_pss=$(smaps "$ctrd_pid" Pss) ctrd_rss=$(smaps "$ctrd_pid" Rss)
fi

echo "bench/shim.sh: killing $n_exit containers per shim, timing their exit records..." >&2
exit_kinds=(tshim tshim-crun conmon-crun conmon-tether)
if [[ -z $ctrd_skip ]]; then
        exit_kinds+=(ctrd)
        # containerd-shim-runc-v2 writes no exit file: its record is the TaskExit event. A subscriber,
        # up before the first kill: a label on our namespace makes an event that shows it is.
        "${ctr[@]}" events >"$tmp/ctrd-events" 2>"$tmp/ctr-events.log" &
        events_pid=$!
        for ((t = 0; t < 100; t++)); do
                "${ctr[@]}" namespaces label "$ctrd_ns" "tbs-probe=$t" >/dev/null
                [[ ! -s $tmp/ctrd-events ]] || break
                sleep 0.05
        done
        [[ -s $tmp/ctrd-events ]] || die "\`ctr events\` shows no event"
fi
for k in "${exit_kinds[@]}"; do : >"$tmp/exit-$k"; done
for ((i = 1; i <= n_exit; i++)); do
        for ((j = 0; j < ${#exit_kinds[@]}; j++)); do
                k=${exit_kinds[(i + j) % ${#exit_kinds[@]}]}
                id=$prefix$k-$i
                case $k in
                conmon-*) dir=$st/exits name=$id ;;
                ctrd) dir='' ;;
                *) dir=$st/shim/$id name=exit.json ;;
                esac
                if [[ -n $dir ]]; then
                        "$helper" exit "$dir" "$name" "$(ctr_pid "$k" "$id")" >>"$tmp/exit-$k"
                else # the time it is read, the time the shim stamped on it
                        "$helper" event "$tmp/ctrd-events" "$id" "$(ctr_pid "$k" "$id")" >>"$tmp/exit-$k"
                fi || die "$k: no exit record for '$id'"
        done
done

# What exec and dynamic linking alone cost each starter: the floor below its start time.
floors=(-n tether-shim "$bin/tether-shim --help" -n shimctl "$bin/shimctl --help" -n conmon "$conmon --version"
        -n tether "$bin/tether --version")
[[ -n $ctrd_skip ]] || floors+=(-n ctr "$(command -v ctr) --version")
hyperfine -N --style none --warmup 5 --runs "$((hf_runs * 5))" --export-json "$tmp/exec.json" "${floors[@]}" \
        >/dev/null 2>&1 || die "hyperfine failed on the exec floors"
exec_floors=$(jq -r '[.results[] | "\(.command) \(.median * 1000 | . * 100 | round / 100) ms"] | join(", ")' "$tmp/exec.json")

# --- shimctl list of 300, tether-busd --------------------------------------------------------------

echo "bench/shim.sh: a private bus and tether-busd, then $n_list containers under tether-shim..." >&2
dbus-daemon --config-file="$top/tests/dbus/system.conf" --nofork --print-address=3 \
        3>"$tmp/bus.address" </dev/null >"$tmp/dbus.log" 2>&1 &
bus_pid=$!
for _ in $(seq 100); do [[ -s $tmp/bus.address ]] && break; sleep 0.05; done
address=$(head -1 "$tmp/bus.address")
[[ $address == unix:* ]] || die "dbus-daemon printed no address: $(cat "$tmp/dbus.log")"
"$bin/tether-busd" --bus "$address" --state-dir "$st/s300" </dev/null >"$tmp/busd.log" 2>&1 &
busd_pid=$!
for ((i = 1; i <= n_list; i++)); do
        id=${prefix}l-$i
        bundle "$id"
        # shellcheck disable=SC2046
        "$helper" start "$id" "$tmp/stdin" "$tmp/list.log" plain "$bin/tether-shim" --id "$id" --bundle "$tmp/b/$id" \
                $(rtargs tether) --state-dir "$st/s300" >/dev/null || die "container '$id' did not start: $(tail -5 "$tmp/list.log")"
done
list_sock=("$bin/shimctl" --state-dir "$st/s300" --bus none list)
list_bus=("$bin/shimctl" --state-dir "$st/s300" --bus "$address" list)
[[ $("${list_sock[@]}" | grep -c running) -eq $n_list ]] || die "shimctl list (sockets) does not show $n_list running containers"
# tether-busd publishes what it finds by inotify: until all are there through it.
for _ in $(seq 200); do
        [[ $("${list_bus[@]}" 2>/dev/null | grep -c running) -eq $n_list ]] && break
        sleep 0.1
done
[[ $("${list_bus[@]}" | grep -c running) -eq $n_list ]] || die "shimctl list through tether-busd does not show $n_list running containers"
# Which path each took: a connect() per shim, or one to the bus.
connects() { strace -f -e trace=connect -o "$tmp/connects" "$@" >/dev/null && grep -c 'connect(.*AF_UNIX' "$tmp/connects"; }
conn_sock=$(connects "${list_sock[@]}")
conn_bus=$(connects "${list_bus[@]}")
busd_pss=$(smaps "$busd_pid" Pss) busd_rss=$(smaps "$busd_pid" Rss)
busd_fds=$(find "/proc/$busd_pid/fd" -mindepth 1 | wc -l)
hyperfine -N --style none --warmup 2 --runs "$hf_runs" --export-json "$tmp/list.json" \
        -n sockets "${list_sock[*]}" -n busd "${list_bus[*]}" >/dev/null 2>&1 || die "hyperfine failed on shimctl list"
busd_pss_after=$(smaps "$busd_pid" Pss) busd_rss_after=$(smaps "$busd_pid" Rss)

# --- Report -------------------------------------------------------------------------------------------

stats() { # stats FILE: median mean min (ms) of samples in µs
        sort -n "$1" | awk '{ v[NR] = $1; s += $1 } END {
                m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
                printf "%.2f %.2f %.2f\n", m / 1000, s / NR / 1000, v[1] / 1000 }'
}
# paired A B: the median of A's sample minus B's of the same round (both files in round order). Rounds
# rotate the kinds' order and run them back to back, so a pair shares the machine's load of that moment:
# steadier than the difference of two medians on a shared machine.
paired() {
        paste "$tmp/start-$1" "$tmp/start-$2" | awk '{ print $1 - $2 }' >"$tmp/paired"
        stats "$tmp/paired" | cut -d ' ' -f 1
}
declare -A med mean min emed emean emin
for k in "${kinds[@]}"; do read -r "med[$k]" "mean[$k]" "min[$k]" < <(stats "$tmp/start-$k"); done
for k in "${exit_kinds[@]}"; do read -r "emed[$k]" "emean[$k]" "emin[$k]" < <(stats "$tmp/exit-$k"); done
if [[ -z $ctrd_skip ]]; then # the second column: to the time the shim stamped on the event
        awk '{ print $2 }' "$tmp/exit-ctrd" >"$tmp/exit-ctrd-stamp"
        read -r emed_stamp emean_stamp emin_stamp < <(stats "$tmp/exit-ctrd-stamp")
fi
for v in sockets busd; do
        read -r "lmed_$v" "lmean_$v" "lmin_$v" < <(jq -r --arg n "$v" \
                '.results[] | select(.command == $n) | [.median, .mean, .min] | map(. * 1000 | tostring) | join(" ")' "$tmp/list.json")
done
div() { awk -v a="$1" -v b="$2" 'BEGIN { printf (b > 0 ? "%.2f" : "-"), a / b }'; }
sub_() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a - b }'; }
f2() { awk -v a="$1" 'BEGIN { printf "%.2f", a }'; }
met() { awk -v a="$1" -v b="$2" 'BEGIN { print (a <= b ? "yes" : "no") }'; }

report() {
        local k
        echo "# Shims: tether-shim against conmon and containerd-shim-runc-v2"
        echo
        echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -r), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg);" \
                "tether $(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo '?'), conmon $("$conmon" --version | sed -n '1s/^conmon version //p')," \
                "crun $("$crun" --version | sed -n '1s/^crun version //p'), runc $(/usr/sbin/runc --version | sed -n '1s/^runc version //p')$(
                        [[ -n $ctrd_skip ]] || echo ", containerd $(containerd --version | awk '{ print $3 }')");" \
                "$( ((quick)) && echo '**--quick run, numbers not worth quoting**' || echo 'full run')."
        echo "Compare ratios within this run only: the machine is shared."
        echo
        echo "## Per container: memory, start, exit record"
        echo
        echo "PSS and RSS from /proc/PID/smaps_rollup of the shim process (conmon's daemon, from --conmon-pidfile;"
        echo "containerd-shim-runc-v2: the parent of the container's first process); alone: one shim of that binary"
        echo "started before any other (the only process mapping it); at $n_shim: the mean over that kind's $n_shim shims,"
        echo "all sleeping."
        echo "Start: from exec of the starter to its return with the container running ($n_shim runs each, in rounds"
        echo "of all kinds, order rotating); for conmon, podman's sequence up to and including \`RUNTIME start\`;"
        echo "for containerd-shim-runc-v2, \`ctr run -d\`: ctr's exec, containerd's work and the shim's start."
        echo "Exit: SIGKILL of the container's first process to its exit record renamed into place (inotify;"
        echo "tether-shim's STATE/ID/exit.json, conmon's --exit-dir/ID; containerd-shim-runc-v2's TaskExit event as"
        echo "\`ctr events\` writes it, through containerd), $n_exit containers each."
        [[ -z $ctrd_skip ]] || echo "containerd-shim-runc-v2 is not measured in this run: see the notes."
        echo
        echo "| shim | PSS alone (kB) | PSS at $n_shim (kB) | RSS at $n_shim (kB) | private dirty at $n_shim (kB) | start median (ms) | start mean (ms) | start over the runtime alone, median (ms) | kill → exit record median (ms) |"
        echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
        for k in "${kinds[@]}"; do
                if [[ -n ${pssn[$k]:-} ]]; then
                        echo "| ${desc[$k]} | ${pss1[$k]:--} | ${pssn[$k]} | ${rssn[$k]} | ${privn[$k]} | ${med[$k]} | ${mean[$k]} |" \
                                "$(sub_ "${med[$k]}" "${med[${rt_of[$k]}]}") | ${emed[$k]:--} |"
                else
                        echo "| ${desc[$k]} | - | - | - | - | ${med[$k]} | ${mean[$k]} | - | - |"
                fi
        done
        echo
        echo "## \`shimctl list\` of $n_list running containers, tether-busd"
        echo
        echo "hyperfine -N, $hf_runs runs each. Sockets: \`--bus none\`, one connection per shim ($conn_sock AF_UNIX connects);"
        echo "through tether-busd on a private dbus-daemon (tests/dbus/system.conf): \`--bus ADDRESS\` ($conn_bus connects)."
        echo
        echo "| | median (ms) | mean (ms) | min (ms) | target | met |"
        echo "| --- | ---: | ---: | ---: | --- | --- |"
        echo "| shimctl list, sockets | $(f2 "$lmed_sockets") | $(f2 "$lmean_sockets") | $(f2 "$lmin_sockets") | < 200 | $(met "$lmed_sockets" 200) |"
        echo "| shimctl list, through tether-busd | $(f2 "$lmed_busd") | $(f2 "$lmean_busd") | $(f2 "$lmin_busd") | < 200 | $(met "$lmed_busd" 200) |"
        echo
        echo "tether-busd with $n_list containers published: PSS $busd_pss kB, RSS $busd_rss kB ($busd_fds open fds);" \
                "after the $((2 * (hf_runs + 2))) lists: PSS $busd_pss_after kB, RSS $busd_rss_after kB."
        echo
        echo "## Ratios and targets (same run)"
        echo
        echo "| measure | tether | conmon | tether / conmon | target | met |"
        echo "| --- | ---: | ---: | ---: | --- | --- |"
        local r t=tshim c=conmon-crun
        echo "| PSS of a lone shim (kB) | ${pss1[$t]} | ${pss1[$c]} | $(div "${pss1[$t]}" "${pss1[$c]}") | ≤ 0.5 | $(met "$(div "${pss1[$t]}" "${pss1[$c]}")" 0.5) |"
        echo "| the same, after one \`shimctl status\` (kB) | $lone_queried_pss | ${pss1[$c]} | $(div "$lone_queried_pss" "${pss1[$c]}") | - | - |"
        for r in tether crun; do
                t=tshim c=conmon-$r
                [[ $r == crun ]] && t=tshim-crun
                echo "| PSS at $n_shim, runtime $r (kB) | ${pssn[$t]} | ${pssn[$c]} | $(div "${pssn[$t]}" "${pssn[$c]}") | ≤ 0.5 | $(met "$(div "${pssn[$t]}" "${pssn[$c]}")" 0.5) |"
        done
        for r in tether crun; do
                local t=tshim c=conmon-$r
                [[ $r == crun ]] && t=tshim-crun
                local ot oc
                ot=$(sub_ "${med[$t]}" "${med[$r]}") oc=$(sub_ "${med[$c]}" "${med[$r]}")
                echo "| start over $r alone (\`run --detach\`), median (ms) | $ot | $oc | $(div "$ot" "$oc") | ≤ 2 ms | $(met "$ot" 2) |"
                ot=$(sub_ "${med[$t]}" "${med[$r-cs]}") oc=$(sub_ "${med[$c]}" "${med[$r-cs]}")
                echo "| start over $r's own create + start, median (ms) | $ot | $oc | $(div "$ot" "$oc") | - | - |"
                ot=$(paired "$t" "$r") oc=$(paired "$c" "$r")
                echo "| start over $r alone (\`run --detach\`), median of the rounds' differences (ms) | $ot | $oc | $(div "$ot" "$oc") | ≤ 2 ms | $(met "$ot" 2) |"
        done
        local os
        os=$(sub_ "${med[shimctl]}" "${med[tether]}")
        echo "| start over tether alone (\`run --detach\`), \`shimctl run -d\` (ms) | $os | - | - | ≤ 2 ms | $(met "$os" 2) |"
        os=$(paired shimctl tether)
        echo "| the same, median of the rounds' differences (ms) | $os | - | - | ≤ 2 ms | $(met "$os" 2) |"
        for r in tether crun; do
                local t=tshim c=conmon-$r
                [[ $r == crun ]] && t=tshim-crun
                echo "| kill → exit record, runtime $r, median (ms) | ${emed[$t]} | ${emed[$c]} | $(div "${emed[$t]}" "${emed[$c]}") | - | - |"
        done
        [[ -n $ctrd_skip ]] || report_ctrd
        echo
        echo "## Notes"
        echo
        echo "- conmon: podman 4.3's arguments and pipes (see bench/shim.sh's header) without --exit-command and"
        echo "  without podman's move of conmon into a cgroup; the runtime's start is part of its start time, as"
        echo "  podman runs it after conmon reports the pid. tether-shim runs create and start itself."
        if [[ -n $ctrd_skip ]]; then
                echo "- containerd-shim-runc-v2: not measured: $ctrd_skip."
        else
                echo "- containerd-shim-runc-v2: driven by a private containerd (see bench/shim.sh's header) through"
                echo "  \`ctr run -d --config BUNDLE/config.json\`, the others' spec; $ctrd_nshims shim processes for its $n_shim"
                echo "  containers: one each, as no annotation groups them (io.containerd.runc.v2.group, or CRI's"
                echo "  io.kubernetes.cri.sandbox-id, which puts a pod's containers under one shim). With the first set"
                echo "  (the \"all in one shim\" kind), $n_shim containers share one shim: PSS $grp_pss kB, RSS $grp_rss kB,"
                echo "  private dirty $grp_priv kB (with 1: $grp_priv1 kB), so each container past the first adds about" \
                        "$(awk -v a="$grp_priv" -v b="$grp_priv1" -v n="$n_shim" 'BEGIN { printf "%.0f", (a - b) / (n - 1) }') kB private dirty."
                echo "  containerd itself with $((2 * n_shim)) containers: PSS $ctrd_pss kB, RSS $ctrd_rss kB, in none of the"
                echo "  shims' figures."
        fi
        echo "- Containers: busybox \`sleep 3600\` from \`runc spec\` (read-only root, namespaces"
        echo "  $(jq -r '[.linux.namespaces[].type] | join(", ")' "$tmp/config.json")), each its own bundle and"
        echo "  cgroupsPath below this run's memory group; state on a private tmpfs; one private mount namespace."
        echo "- PSS counts shared pages (libc, the binary) divided among all processes mapping them, so a shim's"
        echo "  PSS falls as more of its kind run; RSS does not. Private dirty (relocated data, heap, stack) is what"
        echo "  each shim keeps however many run: the floor of its PSS. A lone shim's PSS holds its binary's resident"
        echo "  pages whole, and the shared libraries' divided among the host's other processes that map them (few"
        echo "  on this machine: libc.so.6 by $lone_libc processes when the lone ones ran, so the dynamic shims' lone PSS is higher here"
        echo "  than on a busy host)."
        echo "- Exec and dynamic linking alone (\`--help\`/\`--version\`, hyperfine -N medians): $exec_floors."
        echo "- Where the PSS of a lone shim goes, largest mappings (kB):"
        for k in tshim conmon-crun ctrd; do [[ -z ${maps[$k]:-} ]] || echo "  ${desc[$k]}: ${maps[$k]}."; done
        echo "  tether-shim's private dirty pages (kB): ${dirty_maps}."
        echo "- Total time $(awk -v a="$t_start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }') s."
        local errs f
        # containerd's log also carries its shims' info lines ("starting signal loop"): left out.
        errs=$(for f in "$tmp"/*.log; do
                grep -q -v -e ' level=info ' "$f" 2>/dev/null || continue
                echo "  - ${f##*/}: $(grep -v -e ' level=info ' "$f" | sort | uniq -c | sort -rn | head -3 | sed 's/^ *//' | paste -sd ';' | cut -c1-300)"
        done)
        if [[ -n $errs ]]; then
                echo "- Output of the starters, shims and daemons (stdout and stderr, most frequent lines; shimctl run"
                echo "  prints each container's id):"
                echo "$errs"
        fi
}

report_ctrd() { # the v2 shim's section of the report
        local t=tshim c=tshim-crun v=ctrd
        row() { echo "| $1 | $2 | $3 | $4 | $(div "$2" "$4") |"; }
        echo
        echo "## tether-shim against containerd-shim-runc-v2 (same run)"
        echo
        echo "Each shim under its runtime: tether-shim with tether and with crun, the v2 shim with runc (its default)."
        echo "The v2 shim's start and exit go through ctr and containerd (see the notes); its memory is its own."
        echo
        echo "| measure | tether-shim, tether | tether-shim, crun | containerd-shim-runc-v2, runc | tether-shim (tether) / v2 shim |"
        echo "| --- | ---: | ---: | ---: | ---: |"
        row "PSS of a lone shim (kB)" "${pss1[$t]}" "-" "${pss1[$v]}"
        row "PSS at $n_shim (kB)" "${pssn[$t]}" "${pssn[$c]}" "${pssn[$v]}"
        row "RSS at $n_shim (kB)" "${rssn[$t]}" "${rssn[$c]}" "${rssn[$v]}"
        row "private dirty at $n_shim (kB)" "${privn[$t]}" "${privn[$c]}" "${privn[$v]}"
        row "start, median (ms; v2: \`ctr run -d\`, with ctr and containerd)" "${med[$t]}" "${med[$c]}" "${med[$v]}"
        row "start over the runtime's own \`run --detach\`, median (ms)" "$(sub_ "${med[$t]}" "${med[tether]}")" \
                "$(sub_ "${med[$c]}" "${med[crun]}")" "$(sub_ "${med[$v]}" "${med[runc]}")"
        row "kill → exit record, median (ms; v2: TaskExit read by \`ctr events\`)" "${emed[$t]}" "${emed[$c]}" "${emed[$v]}"
        row "kill → exit record, median (ms; v2: the time the shim stamped on TaskExit)" "${emed[$t]}" "${emed[$c]}" \
                "$emed_stamp"
}

mkdir -p "$here/results"
report | tee "$here/results/shim.md"
