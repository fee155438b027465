#!/usr/bin/env bash
# Builds the libFuzzer targets with clang in BUILD_DIR (default build-fuzz) and runs each briefly from its
# seed corpus (FUZZ_SECONDS, default 20). Writes BUILD_DIR/meson-logs/testlog.json in meson's format, one
# TAP check per target, so that tests/summary.py counts it. A crash leaves its input in BUILD_DIR/crashes/.
set -uo pipefail

cd "$(dirname "$(readlink -f "$0")")/../.."
build=${1:-build-fuzz}
seconds=${FUZZ_SECONDS:-20}
targets=(oci-config cgroup-systemd-path)

if ! command -v clang >/dev/null; then
        echo "fuzz: clang is missing, skipping" >&2
        exit 0
fi
if [ ! -f "$build/build.ninja" ]; then
        CC=clang meson setup "$build" -Dfuzz=true -Dstatic_init=disabled -Dman=disabled >/dev/null || exit 1
fi
ninja -C "$build" $(printf 'tests/unit/fuzz-%s ' "${targets[@]}") >/dev/null || exit 1

mkdir -p "$build/meson-logs" "$build/crashes"
log=$build/meson-logs/testlog.json
: > "$log"
rc=0
for t in "${targets[@]}"; do
        work=$(mktemp -d)
        dict=()
        [ -f "tests/fuzz/$t.dict" ] && dict=(-dict="tests/fuzz/$t.dict")
        # New inputs go to the first corpus directory: a scratch one, so the seeds stay as committed.
        if "$build/tests/unit/fuzz-$t" -max_total_time="$seconds" -max_len=8192 "${dict[@]}" \
                -artifact_prefix="$build/crashes/$t-" "$work" "tests/fuzz/corpus/$t" >"$build/fuzz-$t.log" 2>&1; then
                result=OK line="ok 1 - fuzz-$t: ${seconds}s without a crash"
        else
                result=FAIL line="not ok 1 - fuzz-$t: crashed, see $build/fuzz-$t.log and $build/crashes/"
                rc=1
                tail -n 30 "$build/fuzz-$t.log" >&2
        fi
        rm -rf "$work"
        python3 -c 'import json,sys; print(json.dumps({"name": sys.argv[1], "result": sys.argv[2], "stdout": sys.argv[3] + "\n1..1\n"}))' \
                "fuzz-$t" "$result" "$line" >> "$log"
        echo "$line" >&2
done
exit $rc
