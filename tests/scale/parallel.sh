#!/usr/bin/env bash
# tests/scale/parallel.sh - the GNU parallel scale-out recipe (README "Sweeps"):
# a sweep split into 4 shards run 2 at a time on local slots, merged with
# pisim merge, must equal the unsharded run byte for byte.
# Exit 77 (skip) only when GNU parallel is not installed (Debian: parallel).
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/common.sh"

command -v parallel > /dev/null || skip "GNU parallel is not installed (Debian package 'parallel')"
parallel --version 2>/dev/null | grep -q "GNU parallel" || skip "'parallel' is not GNU parallel (moreutils?); install Debian package 'parallel'"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

reference_run "$work/single"
mkdir -p "$work/shards"
parallel --will-cite -j2 --halt now,fail=1 \
    "$PISIM" sweep "$SCENARIO" --vary "$VARY" -j 1 --shard {}/4 -o "$work/shards/{}" '>' "$work/shards/{}.log" '2>&1' '||' true \
    ::: 1 2 3 4
for k in 1 2 3 4; do
    [ -s "$work/shards/$k/results.json" ] || fail "shard $k wrote no results.json: $(cat "$work/shards/$k.log")"
done
"$PISIM" merge "$work/shards/1" "$work/shards/2" "$work/shards/3" "$work/shards/4" -o "$work/merged" > "$work/merge.log" 2>&1 \
    || fail "pisim merge failed"
compare_dirs "$work/single" "$work/merged"
echo "PASS: 4 shards over GNU parallel (2 slots) merge to the unsharded sweep"
