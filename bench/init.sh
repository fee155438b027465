#!/usr/bin/env bash
# bench/init.sh: tether-init against tini-static, dumb-init and catatonit, side by side in one run, each
# as PID 1 of a fresh PID namespace. A benchmark, not a test: run as root, registered in no CI.
#
#   sudo bench/init.sh [--quick]
#
# TETHER_INIT overrides the tether-init under test (default build/init/static/tether-init). Prints a
# markdown table and writes it to bench/results/init.md. This machine's absolute times mean little; only
# compare within one run. Helpers: bench/init-helper.c, compiled into a temporary directory with cc -O2.
#
# The result arrays are read through a nameref (vals) and split into table cells on purpose:
# shellcheck disable=SC2034,SC2046,SC2016,SC2059

set -euo pipefail

usage() {
        cat <<EOF
Usage: $0 [--quick]

Measures binary size, idle RSS/PSS, start-to-exit overhead, orphan reaping and signal forwarding of
tether-init, tini-static, dumb-init and catatonit. Run as root; takes about 2 minutes.

  --quick   a smoke run with few repetitions (about 15 s); its numbers are not worth quoting

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
        echo "bench/init.sh: $*" >&2
        exit 1
}

[[ $EUID -eq 0 ]] || die "must run as root (unshare --pid)"

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
tether=${TETHER_INIT:-$top/build/init/static/tether-init}
[[ $tether == /* ]] || tether=$PWD/$tether

names=(tether-init tini-static dumb-init catatonit)
paths=("$tether" /usr/bin/tini-static /usr/bin/dumb-init /usr/bin/catatonit)
for p in "${paths[@]}"; do
        [[ -x $p ]] || die "'$p' is missing or not executable"
done
for tool in hyperfine jq cc unshare taskset file; do
        command -v "$tool" >/dev/null || die "'$tool' is missing"
done

if ((quick)); then
        hf_rounds=1 hf_runs=30 hf_warmup=3
        orphans=10000
        sig_n=200 mem_samples=3
else
        hf_rounds=10 hf_runs=60 hf_warmup=3 # 600 timed runs per command, interleaved by rounds
        orphans=100000
        sig_n=2000 mem_samples=5
fi

tmp=$(mktemp -d /tmp/tether-bench-init.XXXXXX)
started=() # pids of what we started and have not waited for yet, for the exit trap
cleanup() {
        local pid
        for pid in "${started[@]}"; do
                kill -KILL "$pid" 2>/dev/null || true
        done
        [[ -n ${KEEP_TMP:-} ]] || rm -rf "$tmp"
}
trap cleanup EXIT

# The inits get their own stdio: stdin an empty file, stdout and stderr files or pipes, never the host's
# terminal or /dev/null.
: >"$tmp/stdin"
helper=$tmp/init-helper
cc -O2 -static -std=gnu17 -o "$helper" "$here/init-helper.c" 2>/dev/null ||
        cc -O2 -std=gnu17 -o "$helper" "$here/init-helper.c" || die "failed to build init-helper.c"

# Everything runs from private copies: others rebuild build/ while we measure (an exec of a half-written
# tether-init fails with 126), and their tests would share the page cache of the original.
origins=("${paths[@]}")
for i in "${!names[@]}"; do
        mkdir "$tmp/bin-$i"
        cp "${paths[$i]}" "$tmp/bin-$i/"
        paths[i]=$tmp/bin-$i/$(basename "${paths[$i]}")
done
tether=${paths[0]}

declare -A over_med reap_med reap_range size kib linkage rss pss pss_anon hf_mean hf_median over over_se reap_s reap_rate reap_wall
declare -A sig_med sig_p99 sig_mean pin_med pin_p99 notes reap_ns wall_ns
t_start=$(date +%s.%N)

now() { date +%s.%N; }
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }
rotate() { # rotate K: prints the indices of the inits, starting at K
        local k=$1 n=${#names[@]} i
        for ((i = 0; i < n; i++)); do echo $(((i + k) % n)); done
}

# 1. Size, and whether `file` calls it static.
measure_size() {
        local i
        for i in "${!names[@]}"; do
                size[$i]=$(stat -L -c %s "${paths[$i]}")
                kib[$i]=$(awk -v b="${size[$i]}" 'BEGIN { printf "%.1f", b / 1024 }')
                if file -L "${paths[$i]}" | grep -q 'statically linked'; then linkage[$i]=static; else linkage[$i]=dynamic; fi
        done
}

# Waits until pid has a child running comm; prints the child's pid.
wait_child() {
        local pid=$1 comm=$2 c=
        for _ in $(seq 500); do
                c=$(cat "/proc/$pid/task/$pid/children" 2>/dev/null) || c= # "PID PID ", no newline
                c=${c%% *}
                if [[ -n $c && $(cat "/proc/$c/comm" 2>/dev/null) == "$comm" ]]; then
                        echo "$c"
                        return 0
                fi
                sleep 0.01
        done
        return 1
}

# 2. RSS and PSS of the idle init, as PID 1 with `sleep 1000` as its child. It runs from our private
# copy of its binary, so its PSS does not depend on who else runs the same file (the tests run tether-init
# all the time); dumb-init still shares libc, as it would anywhere.
measure_mem_one() {
        local i=$1 u init s out bin
        bin=${paths[$i]}
        out=$tmp/mem-$i
        unshare --pid --fork "$bin" -- sleep 1000 <"$tmp/stdin" >"$out.stdout" 2>"$out.stderr" &
        u=$!
        started+=("$u")
        init=$(wait_child "$u" "$(basename "$bin" | cut -c1-15)") || die "${names[$i]} did not start"
        started+=("$init")
        wait_child "$init" sleep >/dev/null || die "${names[$i]} did not start sleep"
        sleep 0.5 # settled: past its start-up, blocked in its wait for signals
        for ((s = 0; s < mem_samples; s++)); do
                awk '/^(Rss|Pss|Pss_Anon):/ { printf "%s ", $2 } END { print "" }' "/proc/$init/smaps_rollup"
                sleep 0.2
        done >"$out.samples"
        kill -TERM "$init"
        wait "$u" || true # 143: sleep died of the forwarded SIGTERM
        started=()
        rss[$i]=$(awk '{ print $1 }' "$out.samples" | median)
        pss[$i]=$(awk '{ print $2 }' "$out.samples" | median)
        pss_anon[$i]=$(awk '{ print $3 }' "$out.samples" | median)
}

measure_mem() {
        local i
        for i in "${!names[@]}"; do measure_mem_one "$i"; done
}

hf_command() { # hf_command PATH...: the command line hyperfine runs, with our stdio
        printf '%q ' "$helper" stdio "$tmp/stdin" "$tmp/hyperfine.stderr" unshare --pid --fork "$@"
}

# 3. `init -- /bin/true` against bare `/bin/true`, both under unshare --pid --fork. hyperfine 1.15 gives
# its commands /dev/null for stdin and stderr, so every command, bare included, runs under
# `init-helper stdio`; its exec costs the same on both sides and drops out of the difference.
measure_start() {
        local r i k args
        for ((r = 0; r < hf_rounds; r++)); do
                args=()
                for k in $(seq 0 4); do # the bare command and the four inits, in an order rotating by round
                        i=$(((k + r) % 5))
                        if ((i == 4)); then
                                args+=(-n bare "$(hf_command /bin/true)")
                        else
                                args+=(-n "${names[$i]}" "$(hf_command "${paths[$i]}" -- /bin/true)")
                        fi
                done
                hyperfine -N --warmup "$hf_warmup" --runs "$hf_runs" --output=pipe \
                        --export-json "$tmp/hyperfine-$r.json" "${args[@]}" >>"$tmp/hyperfine.log" 2>&1 ||
                        die "hyperfine failed: $(tail -5 "$tmp/hyperfine.log")"
        done
        jq -s '[.[].results[]] | group_by(.command) | map({key: .[0].command, value: ([.[].times[]] | sort |
                {n: length, mean: (add / length), median: .[length / 2 | floor]} as $s |
                $s + {var: ((map(. - $s.mean | . * .) | add) / ($s.n - 1))})}) | from_entries' \
                "$tmp"/hyperfine-*.json >"$tmp/hyperfine.json"
        local q='.[$n] | "\(.mean * 1e6) \(.median * 1e6) \(.var * 1e12 / .n)"' bm bmed bv m med v
        read -r bm bmed bv < <(jq -r --arg n bare "$q" "$tmp/hyperfine.json")
        hf_mean[bare]=$bm
        hf_median[bare]=$bmed
        for i in "${!names[@]}"; do
                read -r m med v < <(jq -r --arg n "${names[$i]}" "$q" "$tmp/hyperfine.json")
                hf_mean[$i]=$m
                hf_median[$i]=$med
                over[$i]=$(awk -v a="$m" -v b="$bm" 'BEGIN { print a - b }')
                over_med[$i]=$(awk -v a="$med" -v b="$bmed" 'BEGIN { print a - b }')
                over_se[$i]=$(awk -v a="$v" -v b="$bv" 'BEGIN { print sqrt(a + b) }')
        done
}

# 4. Reaping: the helper, the init's child, hands it batches of orphaned zombies and times each batch
# from orphaning until the last is reaped. Batches stay well inside pid_max and the process limits.
orphan_batch() {
        local procs limit max f batch=5000
        procs=$(find /proc -maxdepth 1 -name '[0-9]*' | wc -l)
        limit=$(($(cat /proc/sys/kernel/pid_max) - procs))
        # Read, never written: the thread limit, RLIMIT_NPROC, the pids cgroup (v1, then v2) we are in.
        for max in "$(cat /proc/sys/kernel/threads-max)" "$(ulimit -u)" \
                "$(f=$(awk -F: '$2 == "pids" { print $3 }' /proc/self/cgroup) && cat "/sys/fs/cgroup/pids$f/pids.max" 2>/dev/null)" \
                "$(f=$(awk -F: '$1 == "0" { print $3 }' /proc/self/cgroup) && cat "/sys/fs/cgroup$f/pids.max" 2>/dev/null)"; do
                [[ $max =~ ^[0-9]+$ ]] || continue # unlimited, max, or absent
                ((max - procs < limit)) && limit=$((max - procs))
        done
        batch=$((limit / 4 < batch ? limit / 4 : batch))
        ((batch >= 100)) || die "too few pids left for the orphan test ($limit)"
        echo "$batch"
}

# One batch per init per round, the inits in turn: a load spike on this shared machine then spoils one
# round of one init, and the median round shrugs it off.
measure_reap() {
        local batch r i per out rns tns
        batch=$(orphan_batch)
        notes[batch]=$batch
        per=$batch
        orphan_rounds=$(((orphans + batch - 1) / batch))
        orphans=$((orphan_rounds * batch))
        for i in "${!names[@]}"; do reap_ns[$i]=0 wall_ns[$i]=0; done
        for ((r = 0; r < orphan_rounds; r++)); do
                for i in $(rotate "$r"); do
                        out=$tmp/reap-$i-$r
                        unshare --pid --fork "${paths[$i]}" -- "$helper" orphans "$per" "$batch" \
                                <"$tmp/stdin" >"$out.stdout" 2>"$out.stderr" ||
                                die "${names[$i]}: orphan run failed: $(cat "$out.stderr")"
                        # "orphans N batches B reap_ns R total_ns T"
                        read -r _ _ _ _ _ rns _ tns <"$out.stdout"
                        reap_ns[$i]=$((reap_ns[$i] + rns))
                        wall_ns[$i]=$((wall_ns[$i] + tns))
                        echo "${names[$i]} $(awk -v n="$per" -v ns="$rns" 'BEGIN { printf "%.0f", n / (ns / 1e9) }')" \
                                >>"$tmp/reap-rounds"
                done
        done
        for i in "${!names[@]}"; do
                reap_s[$i]=$(awk -v ns="${reap_ns[$i]}" 'BEGIN { printf "%.3f", ns / 1e9 }')
                reap_rate[$i]=$(awk -v n="$orphans" -v ns="${reap_ns[$i]}" 'BEGIN { printf "%.0f", n / (ns / 1e9) }')
                reap_wall[$i]=$(awk -v ns="${wall_ns[$i]}" 'BEGIN { printf "%.2f", ns / 1e9 }')
                reap_med[$i]=$(grep "^${names[$i]} " "$tmp/reap-rounds" | cut -d' ' -f2 | median)
                reap_range[$i]=$(grep "^${names[$i]} " "$tmp/reap-rounds" | cut -d' ' -f2 | sort -n |
                        sed -n '1p;$p' | paste -sd-)
        done
}

# 5. Signal forwarding, host kill() to the child's handler; all inits alive at once, interleaved. Then
# dumb-init -c (no setsid for its child) alongside, and again with everything pinned to one CPU.
measure_signal() {
        local i specs=() name med p99 mean max
        for i in "${!names[@]}"; do specs+=("${names[$i]}=${paths[$i]}"); done
        "$helper" siglat "$sig_n" "$tmp" "${specs[@]}" "dumb-init-c=/usr/bin/dumb-init,-c" >"$tmp/siglat" ||
                die "signal forwarding failed"
        taskset -c 0 "$helper" siglat "$((sig_n / 2))" "$tmp" "${specs[@]}" >"$tmp/siglat-pinned" ||
                die "pinned signal forwarding failed"
        for i in "${!names[@]}"; do
                read -r name med p99 mean max < <(grep "^${names[$i]} " "$tmp/siglat")
                sig_med[$i]=$med sig_p99[$i]=$p99 sig_mean[$i]=$mean
                read -r name med p99 mean max < <(grep "^${names[$i]} " "$tmp/siglat-pinned")
                pin_med[$i]=$med pin_p99[$i]=$p99
        done
        read -r name med p99 mean max < <(grep "^dumb-init-c " "$tmp/siglat")
        notes[dumb_c]="$med $p99"
}

timed() { # timed NAME FUNCTION
        local t0
        t0=$(now)
        echo "bench/init.sh: measuring $1..." >&2
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
timed "binary sizes" measure_size
timed "idle RSS/PSS" measure_mem
timed "start-to-exit overhead (hyperfine)" measure_start
timed "reaping $orphans orphans" measure_reap
timed "signal forwarding latency" measure_signal
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
others=$(awk -v b0="$busy_before" -v b1="$(cpu_busy_s)" -v o0="$ours_before" -v o1="$(our_cpu_s)" \
        -v t0="$t_start" -v t1="$(now)" -v n="$(nproc)" \
        'BEGIN { v = ((b1 - b0) - (o1 - o0)) / ((t1 - t0) * n) * 100; printf "%.0f", v < 0 ? 0 : v }')

# --- Report -------------------------------------------------------------------------------------------

declare -A metric_val # "metric,i" -> value, for the ratios
row() { # row LABEL BETTER KEY VALUES...: a table row, remembering the values under KEY
        local label=$1 better=$2 key=$3 i=0 line
        shift 3
        line="| $label | $better |"
        for v in "$@"; do
                line+=" $v |"
                [[ -n $key ]] && metric_val[$key,$i]=$v
                i=$((i + 1))
        done
        echo "$line"
}
vals() { # vals ARRAY [FORMAT]: the array's values for the four inits
        local -n a=$1
        local i
        for i in "${!names[@]}"; do printf "${2:-%s}\n" "${a[$i]}"; done
}

ratio_row() { # ratio_row LABEL KEY lower|higher TARGET [PEERS]: best of PEERS (default all three)
        local label=$1 key=$2 dir=$3 target=$4 peers t best bi i line met
        read -ra peers <<<"${5:-1 2 3}"
        t=${metric_val[$key,0]}
        bi=${peers[0]}
        best=${metric_val[$key,$bi]}
        for i in "${peers[@]}"; do
                if awk -v a="${metric_val[$key,$i]}" -v b="$best" -v d="$dir" \
                        'BEGIN { exit !(d == "lower" ? a < b : a > b) }'; then
                        best=${metric_val[$key,$i]} bi=$i
                fi
        done
        line="| $label | ${names[$bi]} ($best) |"
        for v in "$best" "${metric_val[$key,1]}" "${metric_val[$key,2]}" "${metric_val[$key,3]}"; do
                line+=" $(awk -v a="$t" -v b="$v" 'BEGIN { printf (b != 0 ? "%.2f" : "-"), a / b }') |"
        done
        met=-
        if [[ -n $target ]]; then
                met=no
                awk -v a="$t" -v b="$best" -v d="$dir" 'BEGIN { exit !(d == "lower" ? a <= b : a >= b) }' && met=yes
                # A miss by less than the table shows is a tie, not a loss.
                [[ $met == no && $(awk -v a="$t" -v b="$best" 'BEGIN { printf "%.2f", a / b }') == 1.00 ]] &&
                        met="tie (ratio 1.00)"
                if [[ $key == size && ${metric_val[size,0]} -gt 65536 ]]; then met=no; fi
        fi
        echo "$line ${target:--} | $met |"
}

static_peers() {
        local i
        for i in 1 2 3; do [[ ${linkage[$i]} == static ]] && echo -n "$i "; done
}

report() {
        local i
        echo "# Container inits, side by side"
        echo
        echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -r), $(nproc) CPUs, load $load_before before, $load_after after;" \
                "tether-init $("$tether" --version 2>/dev/null | sed 's/.*(tether-init) - //'), $(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo '?');" \
                "$( ((quick)) && echo '**--quick run, numbers not worth quoting**' || echo 'full run')."
        echo "Each init runs as PID 1 of a fresh PID namespace. Absolute times are noisy on this shared machine"
        echo "(other processes used about $others% of its CPU time during the run); the ratios compare values from"
        echo "this one run."
        echo
        echo "| metric | better | ${names[0]} | ${names[1]} | ${names[2]} | ${names[3]} |"
        echo "| --- | --- | ---: | ---: | ---: | ---: |"
        row "binary size (bytes)" lower size $(vals size)
        row "binary size (KiB)" lower "" $(vals kib)
        row "linked (\`file\`)" - "" $(vals linkage)
        row "idle RSS (kB, median of $mem_samples)" lower rss $(vals rss)
        row "idle PSS (kB, median of $mem_samples)" lower pss $(vals pss)
        row "idle Pss_Anon (kB)" lower "" $(vals pss_anon)
        row "\`init -- /bin/true\` mean (µs)" lower "" $(vals hf_mean %.0f)
        row "overhead over bare /bin/true, mean (µs)" lower over $(vals over %.0f)
        row "± standard error of that (µs)" - "" $(vals over_se %.0f)
        row "overhead, median over bare median (µs)" lower overmed $(vals over_med %.0f)
        row "reap $orphans orphans (s)" lower reap $(vals reap_s)
        row "reap throughput (orphans/s)" higher rate $(vals reap_rate)
        row "reap throughput, median of $orphan_rounds rounds (orphans/s)" higher ratemed $(vals reap_med)
        row "reap throughput, slowest-fastest round" - "" $(vals reap_range)
        row "SIGUSR1 forwarding median (µs)" lower sig $(vals sig_med)
        row "SIGUSR1 forwarding p99 (µs)" lower sigp99 $(vals sig_p99)
        row "same, pinned to one CPU: median (µs)" lower pin $(vals pin_med)
        echo
        echo "Ratios tether-init / peer (for \"lower\" metrics below 1 is better, for \"higher\" above 1):"
        echo
        echo "| metric | best peer | tether / best | tether / ${names[1]} | tether / ${names[2]} | tether / ${names[3]} | target | met |"
        echo "| --- | --- | ---: | ---: | ---: | ---: | --- | --- |"
        ratio_row "binary size" size lower ""
        ratio_row "binary size, static peers only" size lower "smallest, ≤ 64 KiB" "$(static_peers)"
        ratio_row "idle RSS" rss lower ""
        ratio_row "idle PSS" pss lower "lowest"
        ratio_row "start-to-exit overhead, means" over lower ""
        ratio_row "start-to-exit overhead, medians" overmed lower ""
        ratio_row "reap throughput, all orphans" rate higher ""
        ratio_row "reap throughput, median round" ratemed higher "≥ best"
        ratio_row "forwarding latency, median" sig lower "≤ best"
        ratio_row "forwarding latency, p99" sigp99 lower ""
        ratio_row "forwarding latency pinned, median" pin lower ""
        echo
        echo "Notes:"
        echo
        echo "- Binaries: $(for i in "${!names[@]}"; do echo -n "${origins[$i]}, "; done)each copied at the start and run from the copy."
        echo "- dumb-init is dynamically linked: its size leaves out libc, and its PSS shares libc's pages with"
        echo "  every other process using them. The private copies keep other users of the same file from"
        echo "  lowering the PSS of the static ones."
        echo "- Start-to-exit: hyperfine $(hyperfine --version | cut -d' ' -f2), -N, $hf_rounds rounds x $hf_runs runs (+$hf_warmup warm-up)" \
                "per command in rotating order; bare \`unshare --pid --fork /bin/true\` mean $(printf %.0f "${hf_mean[bare]}") µs," \
                "median $(printf %.0f "${hf_median[bare]}") µs; medians of the inits: $(vals hf_median %.0f | paste -sd/)."
        echo "- Reaping: $orphan_rounds rounds x 1 batch of ${notes[batch]} orphans per init," \
                "inits in rotating order, time from orphaning each batch to its last reap. The target is judged on the" \
                "median round, which a load spike in one round does not move; wall time including forking:" \
                "$(vals reap_wall | paste -sd/) s."
        echo "- Signals: $sig_n SIGUSR1 per init, all four inits alive and interleaved; p99 is noisy. Pinned run:" \
                "$((sig_n / 2)) each under \`taskset -c 0\`. dumb-init -c (single-child mode, no setsid):" \
                "median $(cut -d' ' -f1 <<<"${notes[dumb_c]}") µs, p99 $(cut -d' ' -f2 <<<"${notes[dumb_c]}") µs." \
                "kernel.sched_autogroup_enabled=$(cat /proc/sys/kernel/sched_autogroup_enabled 2>/dev/null || echo '?'):" \
                "dumb-init's setsid() puts its child in an autogroup of its own, the other inits' children share the" \
                "init's; where the wake-up lands (same CPU or an idle one) then differs."
        echo "- Phase times (s): sizes ${notes[t_measure_size]}, memory ${notes[t_measure_mem]}, start ${notes[t_measure_start]}," \
                "reaping ${notes[t_measure_reap]}, signals ${notes[t_measure_signal]}; total $(awk -v a="$t_start" -v b="$(now)" 'BEGIN { printf "%.0f", b - a }')."
        local errs
        errs=$(
                cd "$tmp"
                for f in *.stderr; do
                        if [[ -s $f ]]; then
                                echo "  $f:"
                                sed 's/^/    /' "$f" | head -5
                        fi
                done
        )
        if [[ -n $errs ]]; then
                echo "- The inits wrote to stderr:"
                echo "$errs"
        else
                echo "- No init wrote anything to stderr."
        fi
}

mkdir -p "$here/results"
report | tee "$here/results/init.md"
cp "$tmp/hyperfine.json" "$here/results/init-hyperfine.json"
