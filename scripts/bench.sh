#!/usr/bin/env bash
# Times `lmb preview --json` against awk summing the same groups, and `lmb import`, with peak RSS,
# at 100k rows and at BENCH_ROWS rows. One run of each, on the same file, on this machine.
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${BENCH_ROWS:-1000000}
dir=${BENCH_DIR:-bench-data}
lmb=.build/release/lmb
mkdir -p "$dir"
measure() {  # label, command... — the best of three runs, with the file already in the page cache
    local label=$1; shift
    local best="" bestkb=""
    for _ in 1 2 3; do
        [ -n "${fresh_home:-}" ] && { rm -rf "$fresh_home"; mkdir -p "$fresh_home"; }
        /usr/bin/time -f "%e %M" -o "$dir/time.out" "$@" >/dev/null
        read -r secs kb < "$dir/time.out"
        if [ -z "$best" ] || awk -v a="$secs" -v b="$best" 'BEGIN{exit !(a < b)}'; then best=$secs; bestkb=$kb; fi
    done
    printf '%-28s %7.2f s  %7d KB peak RSS (best of 3)\n' "$label" "$best" "$bestkb"
    echo "$best" > "$dir/last.secs"
}
for n in 100000 "$rows"; do
    f="$dir/v2-$n.txt"
    [ -f "$f" ] || python3 scripts/gen-settlement.py "$n" "$f"
    echo "== $n rows, $(du -m "$f" | cut -f1) MB"
    cat "$f" > /dev/null   # into the page cache, so neither tool pays for the disk
    measure "lmb preview --json" "$lmb" preview "$f" --json
    p=$(cat "$dir/last.secs")
    measure "awk group-sum ($(readlink -f "$(command -v awk)" | xargs basename))" awk -F'\t' 'NR>2{s[$7"|"$13"|"$14]+=$15} END{for(k in s) printf "%s %.2f\n", k, s[k]}' "$f"
    a=$(cat "$dir/last.secs")
    fresh_home=$(mktemp -d)
    measure "lmb import" env LMB_HOME="$fresh_home" "$lmb" import "$f"
    rm -rf "$fresh_home"; fresh_home=""
    awk -v p="$p" -v a="$a" 'BEGIN{ if (p > 0) printf "preview is %.1fx faster than awk\n", a / p }'
done
