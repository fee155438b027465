#!/usr/bin/env bash
# bench/runtime.sh: `run` of /bin/true from one bundle with tether, crun and runc, side by side in one run,
# against two floors: fork+exec of /bin/true, and unshare(1) of the namespaces the config asks for; then the
# same `run` with cgroup limits, and the cgroup verbs `update`, `pause` and `resume`, tether against crun. A
# benchmark, not a test: run as root, registered in no CI.
#
#   sudo bench/runtime.sh [--quick]
#
# TETHER overrides the runtime under test (default build/runtime/tether); TETHER_BASELINE adds rows for
# another tether binary (an older commit's, one with the cgroup verbs), to show what a change costs. Prints
# a markdown table and writes it to bench/results/runtime.md. This machine's absolute times mean little;
# only compare within one run.
#
# crun 1.8.1 refuses every container on a hybrid cgroup host ("cgroups in hybrid mode not supported, drop
# all controllers from cgroupv2"), with or without its cgroup manager, while /sys/fs/cgroup/unified is
# mounted. The script therefore re-executes itself in a private mount namespace (unshare --mount
# --propagation private) and unmounts it there; every runtime and floor then runs in that same namespace.
# Wrapping each crun call in its own `unshare -m sh -c 'umount …; exec crun …'` instead would charge crun
# alone with an unshare, a shell and a umount per run. Both runtimes then see a legacy (v1 only) host.
#
# The cgroups case: the plain bundle's config plus linux.resources memory.limit 64 MiB, pids.limit 64 and
# cpu quota 50000/100000 µs (on top of runc spec's deny-all device rule, which the plain case has too), run
# by tether and by crun with its cgroupfs manager. Each runtime makes, fills, joins and removes a group in
# every v1 hierarchy per run. linux.cgroupsPath is one absolute path per runtime, the same for both:
# below this process's own memory group, in a parent of this run's own (<own>/tbenchPID-cg/run-NAME); crun
# would otherwise put its groups at the root of each hierarchy, outside the memory group this machine's
# processes live in. Runs of one runtime follow each other, so its path is free again when the next run
# makes it. Back-to-back runs hide a cost that a container started on a quiet machine pays: moving a
# process by pid into a cgroup write-locks cgroup_threadgroup_rwsem, whose rcu_sync_enter() waits for an
# RCU grace period (several ms) unless another migration ran within the last one, and in a loop the
# previous run's did. So the cgroups case runs once more with an untimed hyperfine --prepare "sleep
# 0.050" before each run.
#
# The verbs: three long-running containers per runtime (busybox sleep, the same limits, each in a group of
# its own there), made before measuring: `update --memory 32M --pids-limit 32` on the first; `pause` on
# the second with `resume` as hyperfine's --prepare (untimed), and `resume` on the third with `pause` as
# --prepare; each invariant (second paused, third running between runs) holds across rounds. The verbs
# run bare (no harness): they neither create containers nor touch stdio. The cleanup removes
# the containers, the groups and the parents this run made (and the stray cgroup.procs files crun writes
# into the tmpfs directory left where the cgroup2 mount was), nothing else.
#
# The result arrays are read through namerefs and split into table cells on purpose:
# shellcheck disable=SC2034,SC2046

set -euo pipefail

usage() {
        cat <<EOF
Usage: $0 [--quick]

Measures the wall and CPU time of \`run\` of /bin/true from one bundle with tether, crun (with and without
its cgroup manager) and runc, against fork+exec and unshare floors, and the runtimes' peak RSS; then
\`run\` with memory, pids and cpu limits, \`update\`, \`pause\` and \`resume\`, tether against crun. Run as
root; takes about 2 minutes.

  --quick   a smoke run with few repetitions (under a minute); its numbers are not worth quoting

KEEP_TMP=1 keeps the temporary directory with the bundle and the raw samples.
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
        echo "bench/runtime.sh: $*" >&2
        exit 1
}

[[ $EUID -eq 0 ]] || die "must run as root (runtimes create namespaces and mounts)"

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)

# See the top: one private mount namespace for everything, /sys/fs/cgroup/unified unmounted inside it.
if [[ -z ${TETHER_BENCH_MNTNS:-} ]]; then
        command -v unshare >/dev/null || die "'unshare' is missing"
        TETHER_BENCH_MNTNS=1 exec unshare --mount --propagation private -- "$BASH" "$here/runtime.sh" "$@"
fi
# Never unmount anything in the host's namespace, whatever the environment says.
[[ $(readlink /proc/self/ns/mnt) != "$(readlink /proc/1/ns/mnt)" ]] || die "not in a private mount namespace"
mntns_note="none needed: /sys/fs/cgroup/unified is not a mount point here"
if mountpoint -q /sys/fs/cgroup/unified; then
        umount /sys/fs/cgroup/unified || die "cannot unmount /sys/fs/cgroup/unified in the private mount namespace"
        mntns_note="/sys/fs/cgroup/unified unmounted"
fi

tether=${TETHER:-$top/build/runtime/tether}
[[ $tether == /* ]] || tether=$PWD/$tether
crun=/usr/bin/crun
runc=/usr/sbin/runc
for p in "$tether" "$crun" "$runc" /usr/bin/time /bin/busybox /bin/true; do
        [[ -x $p ]] || die "'$p' is missing or not executable (apt-get install -y crun runc hyperfine time busybox-static)"
done
for tool in hyperfine jq cc unshare perf strace; do
        command -v "$tool" >/dev/null || die "'$tool' is missing"
done

if ((quick)); then
        hf_rounds=1 hf_runs=15 hf_warmup=2
        mem_samples=3 perf_runs=3 prof_runs=5
else
        hf_rounds=5 hf_runs=25 hf_warmup=3 # 125 timed runs per command, interleaved by rounds
        mem_samples=10 perf_runs=10 prof_runs=20
fi

tmp=$(mktemp -d /tmp/tether-bench-runtime.XXXXXX)
prefix=tbench$$- # every container id and cgroup of ours starts with it
tether_bin=$tmp/bin/tether
cleanup() {
        local root d
        for root in "$tmp/state/tether" "$tmp/state/tether-base" "$tmp/root-tether-disk" "$tmp/state/crun" "$tmp/state/runc"; do
                for d in "$root/$prefix"*; do # containers left over by a failed run
                        [[ -d $d ]] || continue
                        case "$root" in
                        */crun) "$crun" --root "$root" delete --force "${d##*/}" ;;
                        */tether-base) "$tmp/bin-base/tether" --root "$root" delete --force "${d##*/}" ;;
                        */runc) "$runc" --root "$root" delete --force "${d##*/}" ;;
                        *) "$tether_bin" --root "$root" delete --force "${d##*/}" ;;
                        esac >/dev/null 2>&1 || true
                done
        done
        # crun and runc remove their cgroups when run returns; this only catches those of a killed run. crun
        # also makes a group in the tmpfs directory the cgroup2 mount leaves (/sys/fs/cgroup/unified here),
        # writes a plain file cgroup.procs into it and leaves both behind: ours go too.
        local top
        while read -r d; do
                [[ $(stat -f -c %T "$d") != tmpfs ]] || find "$d" -type f -name cgroup.procs -delete
        done < <(find /sys/fs/cgroup -mindepth 2 -maxdepth 6 -type d -name "$prefix*" 2>/dev/null)
        find /sys/fs/cgroup -mindepth 2 -maxdepth 6 -depth -type d -name "$prefix*" -exec rmdir {} + 2>/dev/null || true
        # The cgroups case's parents: the topmost directory of $cg_parent that this run made, per hierarchy.
        while read -r top; do
                [[ -d $top ]] || continue
                [[ $(stat -f -c %T "$top") != tmpfs ]] || find "$top" -type f -name cgroup.procs -delete
                find "$top" -depth -type d -exec rmdir {} + 2>/dev/null || true
        done < <(cat "$tmp/cgroup-made" 2>/dev/null)
        # tether's default parent (<own group>/tether), where this run made it: removed once empty.
        local p
        while read -r p; do
                grep -qxF "$p" "$tmp/cgroup-parents-before" 2>/dev/null || rmdir "$p" 2>/dev/null || true
        done < <(tether_cgroup_parents)
        if [[ -z ${KEEP_TMP:-} ]]; then
                ! mountpoint -q "$tmp/state" || umount "$tmp/state"
                rm -rf "$tmp"
        fi
}
tether_cgroup_parents() { find /sys/fs/cgroup -mindepth 2 -maxdepth 6 -type d -name tether 2>/dev/null; }
trap cleanup EXIT
tether_cgroup_parents >"$tmp/cgroup-parents-before"

# The cgroups case's groups live below $cg_parent (see the top): this process's own memory group (the
# same in every hierarchy, for both runtimes) and a directory of this run's own. Recorded per directory
# of /sys/fs/cgroup before anything exists: the topmost component of it that is missing, which the
# cleanup removes with all below it.
own_memory=$(sed -n 's/^[0-9]*:memory://p' /proc/self/cgroup)
cg_parent=${own_memory%/}/${prefix}cg
for h in /sys/fs/cgroup/*/; do
        h=${h%/} p=
        IFS=/ read -ra comps <<<"${cg_parent#/}"
        for c in "${comps[@]}"; do
                p+=/$c
                if [[ ! -e $h$p ]]; then
                        echo "$h$p"
                        break
                fi
        done
done >"$tmp/cgroup-made"

# Everything runs from a private copy of tether: others rebuild build/ while we measure.
mkdir "$tmp/bin"
cp "$tether" "$tether_bin"
baseline=${TETHER_BASELINE:-}
if [[ -n $baseline ]]; then
        [[ -x $baseline ]] || die "TETHER_BASELINE '$baseline' is not an executable"
        mkdir "$tmp/bin-base"
        cp "$baseline" "$tmp/bin-base/tether"
fi

# The harness: hyperfine -N runs it, it takes the next container id from a counter, swaps "{}" in its
# arguments for it and execs the command with stdin an empty file and stdout and stderr appended to a log:
# crun and runc chown their stdio to the container's user, so it must not be hyperfine's /dev/null.
# hyperfine 1.15 has no --input, and its {} parameters stay fixed across the runs of one command.
cat >"$tmp/rtwrap.c" <<'EOF'
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* rtwrap COUNTER STDIN LOG PREFIX CMD [ARG...] */
static int fail(const char *what) {
        fprintf(stderr, "rtwrap: '%s': %s\n", what, strerror(errno));
        return 127;
}

int main(int argc, char **argv) {
        char buf[32] = "", id[256];
        long n;
        int fd, len, i;

        if (argc < 6)
                return 2;
        fd = open(argv[1], O_RDWR | O_CLOEXEC);
        if (fd < 0 || pread(fd, buf, sizeof buf - 1, 0) < 0)
                return fail(argv[1]);
        n = strtol(buf, NULL, 10);
        len = snprintf(buf, sizeof buf, "%ld\n", n + 1);
        if (pwrite(fd, buf, len, 0) != len)
                return fail(argv[1]);
        close(fd);
        snprintf(id, sizeof id, "%s%ld", argv[4], n);
        for (i = 5; i < argc; i++)
                if (strcmp(argv[i], "{}") == 0)
                        argv[i] = id;
        /* O_CLOEXEC: only the dup2() copies reach the runtime, no stray fd 3 or 4. */
        fd = open(argv[2], O_RDONLY | O_CLOEXEC);
        if (fd < 0 || dup2(fd, 0) < 0)
                return fail(argv[2]);
        fd = open(argv[3], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
                return fail(argv[3]);
        execvp(argv[5], argv + 5);
        return fail(argv[5]);
}
EOF
wrap=$tmp/rtwrap
cc -O2 -static -o "$wrap" "$tmp/rtwrap.c" 2>/dev/null || cc -O2 -o "$wrap" "$tmp/rtwrap.c" || die "failed to build the harness"
echo 0 >"$tmp/counter"
: >"$tmp/stdin"

# The bundle: busybox-static and its applet symlinks, config.json from `runc spec` with terminal false,
# args /bin/true and a cgroup namespace (runc 1.1's spec lacks the one runc 1.2 adds), so that its namespaces
# are exactly those of the unshare floor: pid, net, ipc, uts, mount, cgroup.
bundle=$tmp/bundle
mkdir -p "$bundle/rootfs/bin"
cp /bin/busybox "$bundle/rootfs/bin/busybox"
for a in $(/bin/busybox --list); do
        [[ $a == busybox ]] || ln -s busybox "$bundle/rootfs/bin/$a"
done
"$runc" spec --bundle "$bundle"
jq '.process.terminal = false | .process.args = ["/bin/true"] |
    .linux.namespaces |= (if any(.type == "cgroup") then . else . + [{type: "cgroup"}] end)' \
        "$bundle/config.json" >"$tmp/config.json"
mv "$tmp/config.json" "$bundle/config.json"
# runc cannot switch its cgroup manager off; the nearest it comes is a config without linux.resources (it
# still creates, joins and removes a cgroup in every hierarchy). A second bundle on the same rootfs.
bundle_nores=$tmp/bundle-nores
mkdir "$bundle_nores"
jq --arg root "$bundle/rootfs" 'del(.linux.resources) | .root.path = $root' "$bundle/config.json" \
        >"$bundle_nores/config.json"
# The cgroups case (see the top): config-only bundles on the same rootfs, each in a group of its own.
limits='{memory: {limit: 67108864}, pids: {limit: 64}, cpu: {quota: 50000, period: 100000}}'
cg_bundle() { # cg_bundle NAME ARGS: bundle-NAME, with process.args ARGS (JSON) and group $cg_parent/NAME
        mkdir "$tmp/bundle-$1"
        jq --arg root "$bundle/rootfs" --arg path "$cg_parent/$1" --argjson args "$2" \
                ".root.path = \$root | .process.args = \$args | .linux.cgroupsPath = \$path |
                 .linux.resources += $limits" "$bundle/config.json" >"$tmp/bundle-$1/config.json"
}
# The state directories (--root) live on a tmpfs, as their defaults in /run do; this host's /run is on
# ext4. tether fsyncs its state files and directory, a no-op on tmpfs and milliseconds on this disk: one
# more row runs tether with its state on ext4 (in /tmp) to show what that costs.
mkdir "$tmp/state"
mount -t tmpfs -o mode=0700,size=64m tmpfs "$tmp/state"
mkdir "$tmp/state/tether" "$tmp/state/tether-base" "$tmp/state/crun" "$tmp/state/runc" "$tmp/root-tether-disk"

# The measured commands: name, description, argv (a string, split on spaces; no path here has one).
unshare_cmd="unshare --pid --fork --mount --uts --ipc --net --cgroup /bin/true"
names=(true unshare h-true h-unshare tether tether-disk crun crun-nocg runc runc-nores)
declare -A desc cmd
desc[true]="fork+exec floor: \`/bin/true\`"
desc[unshare]="unshare floor: \`$unshare_cmd\`"
desc[h-true]="harness → \`/bin/true\`"
desc[h-unshare]="harness → unshare floor"
desc[tether]="tether run (sealed binary; its cgroupfs driver makes and removes a group per hierarchy)"
desc[tether-base]="tether run, the baseline binary (TETHER_BASELINE)"
desc[tether-disk]="tether run, --root on ext4 instead of tmpfs"
desc[crun]="crun run, cgroup manager cgroupfs (default)"
desc[crun-nocg]="crun --cgroup-manager=disabled run"
desc[runc]="runc run (cgroupfs, cannot be disabled)"
desc[runc-nores]="runc run, config without linux.resources"
harness() { # harness NAME: the harness's argv before the command, with the id prefix and log of NAME
        echo "$wrap $tmp/counter $tmp/stdin $tmp/$1.log $prefix${1//-/}-"
}
cmd[true]="/bin/true"
cmd[unshare]="$unshare_cmd"
cmd[h-true]="$(harness h-true) /bin/true"
cmd[h-unshare]="$(harness h-unshare) $unshare_cmd"
cmd[tether]="$(harness tether) $tether_bin --root $tmp/state/tether run --bundle $bundle {}"
cmd[tether-base]="$(harness tether-base) $tmp/bin-base/tether --root $tmp/state/tether-base run --bundle $bundle {}"
cmd[tether-disk]="$(harness tether-disk) $tether_bin --root $tmp/root-tether-disk run --bundle $bundle {}"
cmd[crun]="$(harness crun) $crun --root $tmp/state/crun run --bundle $bundle {}"
cmd[crun-nocg]="$(harness crun-nocg) $crun --cgroup-manager=disabled --root $tmp/state/crun run --bundle $bundle {}"
cmd[runc]="$(harness runc) $runc --root $tmp/state/runc run --bundle $bundle {}"
cmd[runc-nores]="$(harness runc-nores) $runc --root $tmp/state/runc run --bundle $bundle_nores {}"

# The cgroups case; also with a pause before each run (see the top): the run of a container on a machine
# that started none just before.
spacing_ms=50
spacing=$(printf '0.%03d' "$spacing_ms")
names+=(tether-cg crun-cg)
desc[tether-cg]="tether run, with cgroups: memory, pids and cpu limits"
desc[tether-base-cg]="tether run with cgroups, the baseline binary (TETHER_BASELINE)"
desc[crun-cg]="crun run (cgroupfs), with cgroups: memory, pids and cpu limits"
# rt NAME: the command line of runtime NAME (tether, tether-base, crun) up to its verb.
declare -A rt=([tether]="$tether_bin --root $tmp/state/tether" [tether-base]="$tmp/bin-base/tether --root $tmp/state/tether-base"
        [crun]="$crun --root $tmp/state/crun")
cg_runtimes=(tether crun)
[[ -z $baseline ]] || cg_runtimes+=(tether-base)
# The verbs, on long-running containers made below (see the top); prep is hyperfine's --prepare.
declare -A prep
update_names=() pause_names=() spaced_names=()
for r in "${cg_runtimes[@]}"; do
        cg_bundle "run-$r" '["/bin/true"]'
        for v in update pause resume; do
                cg_bundle "$v-$r" '["/bin/sleep", "1000000"]'
        done
        cmd[$r-cg]="$(harness "$r-cg") ${rt[$r]} run --bundle $tmp/bundle-run-$r {}"
        cmd[$r-cg-spaced]=${cmd[$r-cg]}
        prep[$r-cg-spaced]="sleep $spacing"
        desc[$r-cg-spaced]="${desc[$r-cg]}; each run after $spacing_ms ms of sleep"
        cmd[$r-update]="${rt[$r]} update --memory 33554432 --pids-limit 32 ${prefix}update-$r"
        cmd[$r-pause]="${rt[$r]} pause ${prefix}pause-$r"
        prep[$r-pause]="${rt[$r]} resume ${prefix}pause-$r"
        cmd[$r-resume]="${rt[$r]} resume ${prefix}resume-$r"
        prep[$r-resume]="${rt[$r]} pause ${prefix}resume-$r"
        desc[$r-update]="$r update --memory 32M --pids-limit 32"
        desc[$r-pause]="$r pause"
        desc[$r-resume]="$r resume"
        update_names+=("$r-update")
        spaced_names+=("$r-cg-spaced")
        pause_names+=("$r-pause" "$r-resume")
done
desc[tether-base-update]="tether update, the baseline binary"
desc[tether-base-pause]="tether pause, the baseline binary"
desc[tether-base-resume]="tether resume, the baseline binary"
verb_names=("${update_names[@]}" "${pause_names[@]}")

[[ -z $baseline ]] || names+=(tether-base tether-base-cg)

# One try of each before measuring, so a broken runtime fails here with its message, not inside hyperfine.
for n in "${names[@]}"; do
        # shellcheck disable=SC2086
        ${cmd[$n]} || die "$n failed ($?): $(cat "$tmp/$n.log" 2>/dev/null)"
done
# The verbs' containers: started, the pause one paused; stdio the log (crun's take it over).
for r in "${cg_runtimes[@]}"; do
        for v in update pause resume; do
                # shellcheck disable=SC2086
                { ${rt[$r]} create --bundle "$tmp/bundle-$v-$r" "$prefix$v-$r" && ${rt[$r]} start "$prefix$v-$r"; } \
                        <"$tmp/stdin" >>"$tmp/verbs.log" 2>&1 || die "$r: the $v container failed: $(cat "$tmp/verbs.log")"
        done
        # shellcheck disable=SC2086
        ${rt[$r]} pause "${prefix}pause-$r" >>"$tmp/verbs.log" 2>&1 || die "$r pause failed: $(cat "$tmp/verbs.log")"
done
for n in "${verb_names[@]}"; do
        # shellcheck disable=SC2086
        { { [[ -z ${prep[$n]:-} ]] || ${prep[$n]}; } && ${cmd[$n]}; } >>"$tmp/verbs.log" 2>&1 ||
                die "$n failed: $(cat "$tmp/verbs.log")"
done

t_start=$(date +%s.%N)
now() { date +%s.%N; }
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }
declare -A notes

# 1. Wall time: hyperfine, in rounds with the commands in an order rotating by round, so that a load spike
# on this shared machine spoils one round of a few commands rather than all runs of one; the rounds' times
# are pooled.
declare -A mean median sd min cpu runs
hyperfine_round() { # hyperfine_round ROUND FILE NAME...: the commands NAME... in an order rotated by round
        local r=$1 f=$2 k n args=()
        shift 2
        local l=("$@")
        for k in "${!l[@]}"; do
                n=${l[$(((k + r * 2) % ${#l[@]}))]}
                # --prepare goes by position, as -n does: each command has one, or none has.
                [[ -z ${prep[$n]:-} ]] || args+=(--prepare "${prep[$n]}")
                args+=(-n "$n" "${cmd[$n]}")
        done
        hyperfine -N --warmup "$hf_warmup" --runs "$hf_runs" --output=pipe \
                --export-json "$f" "${args[@]}" >>"$tmp/hyperfine.out" 2>&1 ||
                die "hyperfine failed: $(tail -5 "$tmp/hyperfine.out")"
}
measure_time() {
        local r n
        for ((r = 0; r < hf_rounds; r++)); do
                hyperfine_round "$r" "$tmp/hyperfine-run-$r.json" "${names[@]}"
                hyperfine_round "$r" "$tmp/hyperfine-update-$r.json" "${update_names[@]}"
                hyperfine_round "$r" "$tmp/hyperfine-pause-$r.json" "${pause_names[@]}"
                hyperfine_round "$r" "$tmp/hyperfine-spaced-$r.json" "${spaced_names[@]}"
        done
        jq -s '[.[].results[]] | group_by(.command) | map({key: .[0].command, value: (
                ([.[].times[]] | sort) as $t | ($t | length) as $n | ($t | add / $n) as $m | {
                n: $n, mean: $m, median: (if $n % 2 == 1 then $t[($n - 1) / 2] else ($t[$n / 2 - 1] + $t[$n / 2]) / 2 end),
                sd: (($t | map(. - $m | . * .) | add) / ($n - 1) | sqrt), min: $t[0],
                cpu: (map((.user + .system) * (.times | length)) | add / $n)})}) | from_entries' \
                "$tmp"/hyperfine-*.json >"$tmp/hyperfine.json"
        for n in "${names[@]}" "${verb_names[@]}" "${spaced_names[@]}"; do
                read -r "runs[$n]" "mean[$n]" "median[$n]" "sd[$n]" "min[$n]" "cpu[$n]" < <(jq -r --arg n "$n" \
                        '.[$n] | "\(.n) \(.mean * 1e3) \(.median * 1e3) \(.sd * 1e3) \(.min * 1e3) \(.cpu * 1e3)"' \
                        "$tmp/hyperfine.json")
        done
        # pause + resume, as sums of each statistic (not the statistics of sums: they were timed apart).
        add() { awk -v a="$1" -v b="$2" 'BEGIN { print a + b }'; }
        for r in "${cg_runtimes[@]}"; do
                mean["$r-pr"]=$(add "${mean[$r-pause]}" "${mean[$r-resume]}")
                median["$r-pr"]=$(add "${median[$r-pause]}" "${median[$r-resume]}")
                min["$r-pr"]=$(add "${min[$r-pause]}" "${min[$r-resume]}")
                cpu["$r-pr"]=$(add "${cpu[$r-pause]}" "${cpu[$r-resume]}")
        done
}

# 2. Peak RSS: GNU time's "Maximum resident set size" of one run, median of mem_samples, the runtimes in
# turn. It is ru_maxrss from wait4(): the largest of the runtime process and the descendants it waited for
# (its own helpers, the container's busybox), not their sum; the payload alone is measured for reference.
rss_names=(tether crun crun-nocg runc tether-cg crun-cg payload)
declare -A rss rss_range
measure_rss() {
        local s n
        for ((s = 0; s < mem_samples; s++)); do
                for n in "${rss_names[@]}"; do
                        if [[ $n == payload ]]; then
                                # shellcheck disable=SC2086
                                /usr/bin/time -v -o "$tmp/time.out" $(harness payload) "$bundle/rootfs/bin/busybox" true
                        else
                                # shellcheck disable=SC2086
                                /usr/bin/time -v -o "$tmp/time.out" ${cmd[$n]}
                        fi || die "$n failed under /usr/bin/time: $(cat "$tmp/time.out")"
                        awk -F': ' -v n="$n" '/Maximum resident set size/ { print n, $2 }' "$tmp/time.out" >>"$tmp/rss"
                done
        done
        for n in "${rss_names[@]}"; do
                rss[$n]=$(awk -v n="$n" '$1 == n { print $2 }' "$tmp/rss" | median)
                rss_range[$n]=$(awk -v n="$n" '$1 == n { print $2 }' "$tmp/rss" | sort -n | sed -n '1p;$p' | paste -sd-)
        done
}

# 3. Where the time goes: perf stat's software counters (CPU time, not wall: less sensitive to the load),
# and the syscalls of one traced run of each runtime.
perf_names=(h-true h-unshare tether crun crun-nocg runc tether-cg crun-cg)
# strace: the runs, and each verb after its --prepare.
strace_names=(tether crun crun-nocg runc tether-cg crun-cg tether-update crun-update tether-pause crun-pause
        tether-resume crun-resume)
declare -A task_clock ctx_sw migr faults sc_total sc_err sc_exec sc_clone sc_top
measure_perf() {
        local n f
        for n in "${perf_names[@]}"; do
                f=$tmp/perf-$n.csv
                # shellcheck disable=SC2086
                perf stat -x, -r "$perf_runs" -e task-clock,context-switches,cpu-migrations,page-faults -o "$f" \
                        -- ${cmd[$n]} || die "perf stat of $n failed"
                task_clock[$n]=$(awk -F, '$3 == "task-clock" { printf "%.2f", $1 }' "$f")
                ctx_sw[$n]=$(awk -F, '$3 == "context-switches" { printf "%.0f", $1 }' "$f")
                migr[$n]=$(awk -F, '$3 == "cpu-migrations" { printf "%.0f", $1 }' "$f")
                faults[$n]=$(awk -F, '$3 == "page-faults" { printf "%.0f", $1 }' "$f")
        done
        for n in "${strace_names[@]}"; do
                f=$tmp/strace-$n.txt
                # shellcheck disable=SC2086
                [[ -z ${prep[$n]:-} ]] || ${prep[$n]} >>"$tmp/verbs.log" 2>&1 || die "${prep[$n]} failed"
                # shellcheck disable=SC2086
                strace -f -c -S calls -o "$f" ${cmd[$n]} >>"$tmp/verbs.log" 2>&1 || die "strace of $n failed"
                read -r "sc_total[$n]" "sc_err[$n]" < <(awk '$NF == "total" { print $4, (NF == 6 ? $5 : 0) }' "$f")
                sc_exec[$n]=$(awk '$NF == "execve" { print $4 }' "$f")
                sc_clone[$n]=$(awk '$NF ~ /^(clone|clone3|fork|vfork)$/ { s += $4 } END { print s + 0 }' "$f")
                sc_top[$n]=$(awk '$1 ~ /^[0-9.]+$/ && $NF != "total" { printf "%s%s ×%s", (n++ ? ", " : ""), $NF, $4 } n == 6 { exit }' "$f")
        done
}

# 4. A CPU profile: perf record -g of prof_runs runs of each, the samples of the measured processes (not of
# the bash loop) split into kernel paths (inclusive: a page fault taken inside execve counts in both) and
# user time by DSO, as shares, and as ms per run scaled by perf stat's task-clock.
prof_names=(h-unshare tether crun-nocg crun runc tether-cg crun-cg)
prof_cols=("page faults" execve clone "new namespaces" "mount, pivot_root" "exit_mmap" "ld.so" libc "the program and its other libraries")
declare -A prof prof_comms=([h-unshare]=unshare [tether]=tether [crun-nocg]=crun [crun]=crun [tether-cg]=tether [crun-cg]=crun
        [runc]='runc,runc:[0:PARENT],runc:[1:CHILD],runc:[2:INIT]')
measure_profile() {
        local n f i pat
        for n in "${prof_names[@]}"; do
                f=$tmp/prof-$n.data
                # shellcheck disable=SC2016,SC2086
                perf record -q -F 10000 -g -o "$f" -- bash -c 'for ((i = 0; i < $1; i++)); do "${@:2}" || exit 1; done' \
                        _ "$prof_runs" ${cmd[$n]} 2>/dev/null || die "perf record of $n failed"
                # Not --comms: perf 6.1 then drops the kernel's entry frames from the inclusive counts.
                perf report -i "$f" --children -g none --sort sym --stdio 2>/dev/null >"$f.sym"
                perf report -i "$f" --no-children -g none --sort comm,dso --stdio 2>/dev/null >"$f.dso"
                i=0
                for pat in exc_page_fault '__x64_sys_execve(at)?' '__do_sys_clone3?|__x64_sys_vfork' \
                        'create_new_namespaces' '__x64_sys_mount|__do_sys_pivot_root|__x64_sys_umount|__x64_sys_move_mount' \
                        'exit_mmap'; do
                        prof[$n,$i]=$(awk -v re="^($pat)\$" '$3 == "[k]" && $4 ~ re { s += $1 } END { printf "%.0f", s }' "$f.sym")
                        i=$((i + 1))
                done
                # "  12.34%  tether  libc.so.6", the user time of the runtime's processes: not the loop's
                # bash, the harness or the payload ("true", crun's and runc's copies of themselves are "/").
                awk -v c=",${prof_comms[$n]}," '$1 ~ /%$/ && index(c, "," $2 ",") {
                        if ($3 ~ /^ld-linux/) l += $1; else if ($3 ~ /^libc\.so/) c6 += $1; else if ($3 !~ /^\[/) o += $1 }
                        END { printf "%.0f %.0f %.0f\n", l, c6, o }' "$f.dso" >"$f.user"
                read -r "prof[$n,6]" "prof[$n,7]" "prof[$n,8]" <"$f.user"
        done
}

timed() { # timed NAME FUNCTION
        local t0
        t0=$(now)
        echo "bench/runtime.sh: measuring $1..." >&2
        "$2"
        notes[t_$2]=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.0f", b - a }')
}

# How much of the machine others used meanwhile: all busy CPU time in /proc/stat (USER_HZ = 100) minus
# ours and our children's, over the wall time.
cpu_busy_s() { awk '/^cpu / { print ($2 + $3 + $4 + $7 + $8 + $9) / 100 }' /proc/stat; }
our_cpu_s() {
        times | awk '{ for (i = 1; i <= NF; i++) { split($i, a, "m"); s += a[1] * 60 + a[2] } } END { print s }'
}
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
busy_before=$(cpu_busy_s)
ours_before=$(our_cpu_s)
timed "wall time of run (hyperfine)" measure_time
timed "peak RSS (/usr/bin/time -v)" measure_rss
timed "CPU counters and syscalls (perf stat, strace -c)" measure_perf
timed "CPU profiles (perf record)" measure_profile
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
others=$(awk -v b0="$busy_before" -v b1="$(cpu_busy_s)" -v o0="$ours_before" -v o1="$(our_cpu_s)" \
        -v t0="$t_start" -v t1="$(now)" -v n="$(nproc)" \
        'BEGIN { v = ((b1 - b0) - (o1 - o0)) / ((t1 - t0) * n) * 100; printf "%.0f", v < 0 ? 0 : v }')

# --- Report -------------------------------------------------------------------------------------------

f2() { awk -v a="$1" 'BEGIN { printf "%.2f", a }'; }
div() { awk -v a="$1" -v b="$2" 'BEGIN { printf (b > 0 ? "%.2f" : "-"), a / b }'; }
sub_() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a - b }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }
verdict() { # verdict MEDIAN_RATIO MEAN_RATIO TARGET: judged on the median, the mean's verdict beside it
        local m=no a=no
        le "$1" "$3" && m=yes
        le "$2" "$3" && a=yes
        if [[ $m == "$a" ]]; then echo "$m"; else echo "$m (mean: $a)"; fi
}

# The harness's cost: its exec, measured as harness → /bin/true minus bare /bin/true.
harness_cost() { # harness_cost mean|median
        local -n v=$1
        sub_ "${v[h-true]}" "${v[true]}"
}

ratio_row() { # ratio_row LABEL MINE PEER TARGET [net]: MINE / PEER; net: MINE less the harness, PEER bare
        local label=$1 mine=$2 peer=$3 target=$4 net=${5:-} tm ta tn rm ra rn rc
        tm=${median[$mine]} ta=${mean[$mine]} tn=${min[$mine]}
        if [[ -n $net ]]; then
                tm=$(sub_ "$tm" "$(harness_cost median)")
                ta=$(sub_ "$ta" "$(harness_cost mean)")
                tn=$(sub_ "$tn" "$(harness_cost min)")
        fi
        rm=$(div "$tm" "${median[$peer]}")
        ra=$(div "$ta" "${mean[$peer]}")
        rn=$(div "$tn" "${min[$peer]}")
        rc=$(div "${cpu[$mine]}" "${cpu[$peer]}")
        [[ -n $net ]] && rc="-"
        echo "| $label | $rm | $ra | $rn | $rc | ${target:--} | $([[ -n $target ]] && verdict "$rm" "$ra" "${target#≤ }" || echo -) |"
}

report() {
        local n
        echo "# OCI runtimes: \`run\` of /bin/true, side by side"
        echo
        echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -r), $(nproc) CPUs, load $load_before before, $load_after after;" \
                "tether $("$tether_bin" --version | sed -n '1s/^tether version //p') ($(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo '?')), crun $("$crun" --version | sed -n '1s/^crun version //p')," \
                "runc $("$runc" --version | sed -n '1s/^runc version //p'), hyperfine $(hyperfine --version | cut -d' ' -f2);" \
                "$( ((quick)) && echo '**--quick run, numbers not worth quoting**' || echo 'full run')."
        echo "Absolute times are noisy on this shared machine (other processes, and kernel workers such as the one"
        echo "tearing down network namespaces, used about $others% of its CPU time during the run); the ratios compare"
        echo "values from this one run."
        echo
        echo "## Wall time of one \`run\`"
        echo
        echo "hyperfine -N, $hf_rounds round(s) x $hf_runs runs (+$hf_warmup warm-up) per command, commands in an order rotating"
        echo "by round, times pooled. user+sys is hyperfine's CPU time of the whole process tree, per run."
        echo
        echo "| command | mean (ms) | median (ms) | σ (ms) | min (ms) | user+sys (ms) | runs |"
        echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
        for n in "${names[@]}"; do
                echo "| ${desc[$n]} | $(f2 "${mean[$n]}") | $(f2 "${median[$n]}") | $(f2 "${sd[$n]}") | $(f2 "${min[$n]}") |" \
                        "$(f2 "${cpu[$n]}") | ${runs[$n]} |"
        done
        echo
        echo "### \`update\`, \`pause\` and \`resume\` of a running container (busybox sleep, the same limits)"
        echo
        echo "Bare commands, no harness; in the same rounds. pause's runs each follow an untimed resume (hyperfine"
        echo "--prepare) and resume's an untimed pause, each on a container of its own."
        echo
        echo "| command | mean (ms) | median (ms) | σ (ms) | min (ms) | user+sys (ms) | runs |"
        echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
        for n in "${verb_names[@]}"; do
                echo "| ${desc[$n]} | $(f2 "${mean[$n]}") | $(f2 "${median[$n]}") | $(f2 "${sd[$n]}") | $(f2 "${min[$n]}") |" \
                        "$(f2 "${cpu[$n]}") | ${runs[$n]} |"
        done
        echo
        echo "### \`run\` with cgroups after $spacing_ms ms of quiet (an untimed hyperfine --prepare \"sleep $spacing\" before each)"
        echo
        echo "| command | mean (ms) | median (ms) | σ (ms) | min (ms) | user+sys (ms) | runs |"
        echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
        for n in "${spaced_names[@]}"; do
                echo "| ${desc[$n]} | $(f2 "${mean[$n]}") | $(f2 "${median[$n]}") | $(f2 "${sd[$n]}") | $(f2 "${min[$n]}") |" \
                        "$(f2 "${cpu[$n]}") | ${runs[$n]} |"
        done
        echo
        echo "Every runtime runs through the harness (a static exec that picks a fresh container id and gives the"
        echo "runtime its own stdio); it costs $(f2 "$(harness_cost median)") ms (median; mean $(f2 "$(harness_cost mean)") ms, min $(f2 "$(harness_cost min)") ms):"
        echo "harness → /bin/true less bare /bin/true. The \"harness cost taken off\" ratios subtract it from tether and compare"
        echo "with the bare floor."
        echo
        echo "## Ratios, tether / peer (below 1 is better)"
        echo
        echo "| tether / … | median | mean | min | user+sys | target | met (on the median) |"
        echo "| --- | ---: | ---: | ---: | ---: | --- | --- |"
        ratio_row "crun (cgroupfs manager)" tether crun "≤ 0.6"
        ratio_row "crun --cgroup-manager=disabled" tether crun-nocg "≤ 0.8"
        ratio_row "runc" tether runc ""
        ratio_row "runc, no linux.resources" tether runc-nores ""
        ratio_row "tether with its --root on ext4 (the fsyncs' cost)" tether tether-disk ""
        [[ -z $baseline ]] || ratio_row "the baseline tether (TETHER_BASELINE: what this build's changes cost)" tether tether-base ""
        ratio_row "**with cgroups**: crun (cgroupfs), both with memory, pids and cpu limits" tether-cg crun-cg "≤ 0.6"
        [[ -z $baseline ]] || ratio_row "with cgroups: the baseline tether" tether-cg tether-base-cg ""
        ratio_row "with cgroups, each run after $spacing_ms ms of quiet: crun (cgroupfs)" tether-cg-spaced crun-cg-spaced ""
        [[ -z $baseline ]] || ratio_row "with cgroups after $spacing_ms ms of quiet: the baseline tether" tether-cg-spaced tether-base-cg-spaced ""
        ratio_row "\`update --memory --pids-limit\`: crun's" tether-update crun-update ""
        ratio_row "\`pause\`: crun's" tether-pause crun-pause ""
        ratio_row "\`resume\`: crun's" tether-resume crun-resume ""
        ratio_row "\`pause\` + \`resume\` (sums): crun's" tether-pr crun-pr ""
        if [[ -n $baseline ]]; then
                ratio_row "\`update\`: the baseline tether's" tether-update tether-base-update ""
                ratio_row "\`pause\` + \`resume\`: the baseline tether's" tether-pr tether-base-pr ""
        fi
        ratio_row "unshare floor, both through the harness" tether h-unshare "≤ 2"
        ratio_row "unshare floor, harness cost taken off tether" tether unshare "≤ 2" net
        ratio_row "fork+exec floor, both through the harness" tether h-true ""
        ratio_row "fork+exec floor, harness cost taken off tether" tether true "" net
        echo
        echo "## Peak RSS of the runtime process"
        echo
        echo "\`/usr/bin/time -v\` \"Maximum resident set size\" of one \`run\`, median of $mem_samples. It is wait4()'s ru_maxrss:"
        echo "the largest of the runtime process and the descendants it waited for, not their sum. The payload row"
        echo "(the container's busybox true run directly) shows the container's share cannot be what is measured."
        echo
        echo "| process | peak RSS median (kB) | min-max (kB) | tether / it | target | met |"
        echo "| --- | ---: | ---: | ---: | --- | --- |"
        for n in "${rss_names[@]}"; do
                local target=- met=-
                if [[ $n == crun || $n == crun-nocg ]]; then
                        target="≤ 1"
                        met=no
                        le "${rss[tether]}" "${rss[$n]}" && met=yes
                fi
                echo "| ${desc[$n]:-payload: busybox true, no runtime} | ${rss[$n]} | ${rss_range[$n]} | $(div "${rss[tether]}" "${rss[$n]}") | $target | $met |"
        done
        echo
        echo "## Where the time goes"
        echo
        echo "\`perf stat -r $perf_runs\` software counters (means; task-clock is CPU time of the whole tree, through the harness):"
        echo
        echo "| command | task-clock (ms) | context switches | CPU migrations | page faults |"
        echo "| --- | ---: | ---: | ---: | ---: |"
        for n in "${perf_names[@]}"; do
                echo "| ${desc[$n]} | ${task_clock[$n]} | ${ctx_sw[$n]} | ${migr[$n]} | ${faults[$n]} |"
        done
        echo
        echo "\`strace -f -c\` of one run each (all processes, the harness's few calls included; the 6 most frequent calls):"
        echo
        echo "| runtime | syscalls | failed | execve | clone/fork | top syscalls |"
        echo "| --- | ---: | ---: | ---: | ---: | --- |"
        for n in "${strace_names[@]}"; do
                echo "| ${desc[$n]} | ${sc_total[$n]} | ${sc_err[$n]} | ${sc_exec[$n]:-0} | ${sc_clone[$n]} | ${sc_top[$n]} |"
        done
        echo
        echo "CPU profile, \`perf record -F 10000 -g\` of a bash loop of $prof_runs runs each: share of all samples, and in"
        echo "brackets that share of perf stat's task-clock in ms per run. Kernel columns are inclusive and overlap (faults"
        echo "inside execve count twice) and include the loop's fork, the harness and the payload, as hyperfine's runs do;"
        echo "the user columns count only the runtime's own processes."
        echo
        local line sep="| --- |" c i
        line="| command |"
        for c in "${prof_cols[@]}"; do line+=" $c |" sep+=" ---: |"; done
        echo "$line"
        echo "$sep"
        for n in "${prof_names[@]}"; do
                line="| ${desc[$n]} |"
                for i in "${!prof_cols[@]}"; do
                        line+=" ${prof[$n,$i]}% ($(awk -v p="${prof[$n,$i]}" -v t="${task_clock[$n]}" 'BEGIN { printf "%.1f", p / 100 * t }')) |"
                done
                echo "$line"
        done
        echo
        echo "## Notes"
        echo
        echo "- Mount namespace: the whole benchmark (all runtimes, floors and the harness) runs in one private mount"
        echo "  namespace, $mntns_note: crun 1.8.1 refuses every container on this hybrid cgroup host otherwise."
        echo "- Bundle: busybox-static with its applet symlinks, \`runc spec\` with terminal false, args [\"/bin/true\"]"
        echo "  and a cgroup namespace added: namespaces $(jq -r '[.linux.namespaces[].type] | join(", ")' "$bundle/config.json");"
        echo "  the same config.json for all three runtimes. \"no linux.resources\" is a copy without linux.resources."
        echo "- Each run gets a fresh container id ($prefix…) from the harness's counter; each runtime has its own --root"
        echo "  on a private tmpfs (as /run would be). stdin is an empty file, stdout and stderr a log per command."
        echo "- tether makes, joins and removes a cgroup in every hierarchy (its cgroupfs driver, v1 on a hybrid host),"
        echo "  as crun's cgroupfs manager does; the config's linux.resources are applied. A TETHER_BASELINE older than"
        echo "  issue 10 did no cgroup work."
        echo "- The cgroups case: linux.resources of the plain config plus $(jq -c '.linux.resources | del(.devices)' "$tmp/bundle-run-tether/config.json"),"
        echo "  linux.cgroupsPath $cg_parent/run-NAME for runtime NAME: the same path for both, below this process's"
        echo "  memory group (crun's cgroupfs manager puts a relative path at the root of each hierarchy). What the limits"
        echo "  cost each runtime, median with cgroups less the plain run's: tether $(sub_ "${median[tether-cg]}" "${median[tether]}") ms," \
                "crun $(sub_ "${median[crun-cg]}" "${median[crun]}") ms$([[ -z $baseline ]] || echo ", the baseline tether $(sub_ "${median[tether-base-cg]}" "${median[tether-base]}") ms")."
        echo "- Phase times (s): wall time ${notes[t_measure_time]}, RSS ${notes[t_measure_rss]}, perf and strace ${notes[t_measure_perf]}, profiles ${notes[t_measure_profile]};" \
                "total $(awk -v a="$t_start" -v b="$(now)" 'BEGIN { printf "%.0f", b - a }')."
        local errs
        errs=$(
                cd "$tmp"
                for f in *.log; do
                        if [[ -s $f ]]; then
                                echo "  $f:"
                                sort "$f" | uniq -c | sort -rn | head -5 | sed 's/^/    /'
                        fi
                done
        )
        if [[ -n $errs ]]; then
                echo "- The runtimes wrote to stdout or stderr:"
                echo "$errs"
        else
                echo "- No runtime wrote anything to stdout or stderr."
        fi
}

mkdir -p "$here/results"
report | tee "$here/results/runtime.md"
cp "$tmp/hyperfine.json" "$here/results/runtime-hyperfine.json"
