# tests/scale/common.sh - shared by the scale-out recipes (sourced).
# PISIM: the pisim binary (default: build/pisim next to this tree).
# The sweep: 16 points of bench/race-short.yaml, the first packet walked over
# the HLT window one cycle at a time (the same for every recipe).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
PISIM=${PISIM:-$root/build/pisim}
SCENARIO=$root/bench/race-short.yaml
VARY=devices.0.queues.0.traffic.start=104000:104015:1

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

[ -x "$PISIM" ] || fail "no pisim binary at $PISIM (set PISIM)"

# Unsharded reference run, then compare a merged directory with it: the
# table and every replay file byte for byte.
reference_run() {  # DIR
    "$PISIM" sweep "$SCENARIO" --vary "$VARY" -j 2 -o "$1" > "$1.log" 2>&1 || true
    [ -s "$1/results.json" ] || fail "the unsharded sweep wrote no results.json (see $1.log)"
}

compare_dirs() {  # REFERENCE MERGED
    cmp "$1/results.json" "$2/results.json" || fail "merged results.json differs from the unsharded run"
    (cd "$1" && find . -type f | sort) > "$1.files"
    (cd "$2" && find . -type f | sort) > "$2.files"
    diff "$1.files" "$2.files" || fail "merged directory holds other files than the unsharded run"
    while read -r f; do cmp "$1/$f" "$2/$f" || fail "$f differs"; done < "$1.files"
    echo "merged == unsharded: $(wc -l < "$1.files") files, results.json $(wc -c < "$1/results.json") bytes"
}
