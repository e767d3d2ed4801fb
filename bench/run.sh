#!/usr/bin/env bash
# The nexus benchmark: builds release, generates synthetic repositories of
# N apps x {stage, prod} with examples/gen_repo.rs, and times
#   render --all (cold: into an empty output directory; warm: re-render of
#   an unchanged tree, which writes nothing), validate --all, lint --all,
#   check and diff stage prod (whichever of these the binary has), plus the floor
#   (examples/floor.rs: single-threaded parse + naive merge + write values
#   and Applications, nothing else).
# Prints a markdown table: median wall time of RUNS runs, throughput (apps
# per second, each app rendered in both environments) and peak RSS.
#
# Usage: bench/run.sh [N ...]            default N: 200 2000 20000
# Env:   RUNS=3        runs per command (the median is reported)
#        BENCH_DIR=... where repositories are generated (default $TMPDIR/nexus-bench)
#        NO_BUILD=1    use the binaries already in target/release
#        NEXUS_BIN=... time another nexus binary (say, one built before a change)
#
# Needs only bash and coreutils. Peak RSS comes from /usr/bin/time when it
# is installed (Debian package `time`), else from polling VmHWM in
# /proc/<pid>/status (which can miss a peak in the last few milliseconds).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
SIZES=${*:-200 2000 20000}
RUNS=${RUNS:-3}
WORK=${BENCH_DIR:-${TMPDIR:-/tmp}/nexus-bench}
BIN=$ROOT/target/release

if [ -z "${NO_BUILD:-}" ]; then
    cargo build --release --quiet --bin nexus --example gen_repo --example floor
fi
NEXUS=${NEXUS_BIN:-$BIN/nexus}
mkdir -p "$WORK"

# measure CMD...: run once, print "<wall seconds> <peak RSS KiB> <exit code>".
measure() {
    local start end rc kb
    if [ -x /usr/bin/time ]; then
        start=$(date +%s%N)
        rc=0
        /usr/bin/time -f %M -o "$WORK/.rss" "$@" >/dev/null 2>&1 || rc=$?
        end=$(date +%s%N)
        kb=$(tail -n 1 "$WORK/.rss")
    else
        start=$(date +%s%N)
        "$@" >/dev/null 2>&1 &
        local pid=$! line
        kb=0
        while kill -0 "$pid" 2>/dev/null; do
            line=$(grep VmHWM "/proc/$pid/status" 2>/dev/null || true)
            line=${line//[!0-9]/}
            if [ -n "$line" ] && [ "$line" -gt "$kb" ]; then kb=$line; fi
            sleep 0.002
        done
        rc=0
        wait "$pid" || rc=$?
        end=$(date +%s%N)
    fi
    echo "$(( (end - start) / 1000000 )) $kb $rc"
}

# median of numbers on stdin
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : int((a[NR/2] + a[NR/2+1]) / 2)}'; }

has_command() { "$NEXUS" "$1" --help >/dev/null 2>&1; }

ROWS=()
# bench N LABEL PREPARE CMD...: PREPARE is run before each run (not timed);
# the token @I in the command is replaced by the run number.
bench() {
    local n=$1 label=$2 prepare=$3
    shift 3
    local times=() peak=0 codes="" i
    for i in $(seq 1 "$RUNS"); do
        eval "$prepare"
        local args=("${@//@I/$i}")
        read -r ms kb rc < <(measure "${args[@]}")
        times+=("$ms")
        if [ "$kb" -gt "$peak" ]; then peak=$kb; fi
        codes="$codes $rc"
    done
    local med
    med=$(printf '%s\n' "${times[@]}" | median)
    local secs apps_s mb
    secs=$(awk -v m="$med" 'BEGIN {printf "%.3f", m / 1000}')
    apps_s=$(awk -v m="$med" -v n="$n" 'BEGIN {if (m > 0) printf "%.0f", n * 1000 / m; else print "-"}')
    mb=$(awk -v k="$peak" 'BEGIN {printf "%.0f", k / 1024}')
    ROWS+=("| $n | $label | $secs | $apps_s | $mb | $(echo $codes | tr ' ' ',') |")
    echo "$n $label: ${secs}s, ${apps_s} apps/s, ${mb} MB (exit$codes)" >&2
    LAST_MS=$med
}

RATIOS=()
for n in $SIZES; do
    repo=$WORK/repo-$n
    "$BIN/examples/gen_repo" --apps "$n" --out "$repo" >&2
    cd "$repo"
    rm -rf deploy cold-* floor-*
    export NEXUS_REPO=$repo
    # Cold: a fresh output directory each run (cleaned up afterwards).
    bench "$n" "render --all (cold)" ":" "$NEXUS" render --all --out cold-@I
    nexus_ms=$LAST_MS
    "$NEXUS" render --all >/dev/null
    bench "$n" "render --all (warm, unchanged)" ":" "$NEXUS" render --all
    for cmd in validate lint; do
        if has_command "$cmd"; then
            bench "$n" "$cmd --all" ":" "$NEXUS" "$cmd" --all
        fi
    done
    if has_command check; then
        bench "$n" "check" ":" "$NEXUS" check
    fi
    if has_command diff; then
        bench "$n" "diff stage prod" ":" "$NEXUS" diff stage prod
    fi
    bench "$n" "floor (examples/floor.rs)" ":" "$BIN/examples/floor" --repo "$repo" --out floor-@I
    floor_ms=$LAST_MS
    RATIOS+=("| $n | $(awk -v a="$nexus_ms" -v b="$floor_ms" 'BEGIN {printf "%.2f", (b > 0) ? a / b : 0}') |")
    rm -rf cold-* floor-*
    cd "$ROOT"
done

echo
echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2 / 1048576}' /proc/meminfo), $(uname -sr); $RUNS runs, median."
echo
echo "| N apps (x2 envs) | command | wall (s) | apps/s | peak RSS (MB) | exit codes |"
echo "|---:|---|---:|---:|---:|---|"
printf '%s\n' "${ROWS[@]}"
echo
echo "| N apps | render --all (cold) / floor |"
echo "|---:|---:|"
printf '%s\n' "${RATIOS[@]}"
echo
echo "kubectl kustomize comparison: not run (kubectl is not installed here)."
