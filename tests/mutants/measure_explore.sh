#!/bin/bash
# measure_explore.sh PISIM MUTANT_DIR [CASES] [NAME...]
#
# Measures what README's mutation table and tests/mutants/explore.tsv say of
# each hypervisor-core mutant: the first case of `pisim explore --seed 1 -j 2`
# (within CASES, default 12000: about 60 s on 2 cores) that fails with the
# mutant, its first oracle, the seconds to it, the seconds its shrinking took
# (--keep 1) and the lines of the shrunk case. A mutant whose first line in
# its patch says it is a latency regression (slow_wakeup) is explored with
# --reference-hyp builtin. Prints one tab-separated line per mutant:
#   mutant  case|not-found  oracle  seconds-to-it  shrink-seconds  shrunk-lines
# The cases of an exploration are deterministic, so the case and the oracle
# are exact; the seconds depend on the machine and its load.
set -u
PISIM=$1
MUTANT_DIR=$2
CASES=${3:-12000}
shift $(( $# < 3 ? $# : 3 ))
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
for p in "$ROOT"/tests/mutants/*.patch; do
  name=$(basename "$p" .patch)
  if [ $# -gt 0 ] && [[ " $* " != *" $name "* ]]; then continue; fi
  ref=(); grep -qi 'latency regression' <(head -3 "$p") && ref=(--reference-hyp builtin)
  first=
  # the first 2,000 cases, then all CASES (the same first cases: deterministic)
  for n in $(( CASES < 2000 ? CASES : 2000 )) "$CASES"; do
    rm -rf "$TMP/find"
    "$PISIM" explore --seed 1 --seeds "$n" -j 2 --no-minimize --hyp "$MUTANT_DIR/libhyp-$name.so" "${ref[@]}" \
      -o "$TMP/find" > /dev/null 2>&1
    first=$(python3 -c "
import json
f = json.load(open('$TMP/find/results.json'))['failures']
print(f'{f[0][\"index\"]} {f[0][\"violated\"][0] if f[0][\"violated\"] else \"crash\"}' if f else '')")
    [ -n "$first" ] && break
  done
  if [ -z "$first" ]; then printf '%s\tnot-found\t-\t-\t-\t-\n' "$name"; continue; fi
  read -r index oracle <<<"$first"
  rm -rf "$TMP/shrink"
  out=$("$PISIM" explore --seed 1 --seeds $((index + 1)) -j 2 --keep 1 --hyp "$MUTANT_DIR/libhyp-$name.so" "${ref[@]}" \
    -o "$TMP/shrink" 2>/dev/null)
  secs=$(sed -n "s/^  $oracle .*first: case $index after \([0-9.]*\) s.*/\1/p" <<<"$out")
  shrink=$(sed -n 's/.*kept failures shrunk in \([0-9.]*\) s.*/\1/p' <<<"$out")
  file=$(ls "$TMP"/shrink/failure-"$oracle"-*.yaml 2>/dev/null | grep -v '\.full\.yaml$' | head -1)
  lines=$([ -n "$file" ] && grep -cv '^#' "$file" || echo -)
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$index" "$oracle" "${secs:--}" "${shrink:--}" "$lines"
done
