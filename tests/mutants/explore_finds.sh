#!/bin/bash
# explore_finds.sh PISIM MUTANT_DIR [NAME]
#
# Mutation score of the explorer: every hypervisor-core mutant of
# tests/mutants (MUTANT_DIR/libhyp-NAME.so) is found by `pisim explore` with no
# scenario file. tests/mutants/explore.tsv gives, per mutant, the first case
# of `pisim explore --seed 1` that fails with it (and not with the unpatched
# core) and the oracle that fires first there; the exploration is
# deterministic, so running that many cases finds it every time. Columns:
# mutant, case (or "not-found": a gap README's mutation table explains),
# oracle, and "explore-only" when no library scenario catches it
# (tests/mutants/catch.sh then skips it). Lines starting with # are notes.
# A mutant whose oracle is latency_regression (a slower core that breaks no
# invariant) is explored with --reference-hyp builtin. A mutant without a line fails:
# measure it with
#   pisim explore --budget 60 -j 2 --hyp MUTANT_DIR/libhyp-NAME.so -o DIR
# and add the line. With NAME, only that mutant is checked (ctest runs one
# test per mutant).
set -u
PISIM=$1
MUTANT_DIR=$2
ONLY=${3:-}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TSV=$ROOT/tests/mutants/explore.tsv
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
fail=0
seen=0
printf '%-32s %-8s %-20s %s\n' mutant result oracle "first failing case (seed 1)"
for p in "$ROOT"/tests/mutants/*.patch; do
  name=$(basename "$p" .patch)
  [ -z "$ONLY" ] || [ "$name" = "$ONLY" ] || continue
  seen=1
  line=$(awk -F'\t' -v n="$name" '$1 == n && $1 !~ /^#/' "$TSV")
  if [ -z "$line" ]; then printf '%-32s %-8s %s\n' "$name" MISSING "no line in tests/mutants/explore.tsv"; fail=1; continue; fi
  index=$(cut -f2 <<<"$line"); oracle=$(cut -f3 <<<"$line")
  if [ "$index" = not-found ]; then
    # A known gap, written down in README's mutation table: no oracle
    # defines the bug (a latency, one extra HLT exit), or its window is
    # too narrow for the generator in 60 s.
    printf '%-32s %-8s %s\n' "$name" gap "not found by explore (README: mutation score)"
    continue
  fi
  rm -rf "$TMP/out"
  # A latency regression is found by comparing with the unpatched core.
  ref=(); [ "$oracle" = latency_regression ] && ref=(--reference-hyp builtin)
  "$PISIM" explore --seed 1 --seeds $((index + 1)) -j 2 --no-minimize --hyp "$MUTANT_DIR/libhyp-$name.so" "${ref[@]}" -o "$TMP/out" > /dev/null 2>&1
  got=$(python3 -c "
import json, sys
r = json.load(open('$TMP/out/results.json'))
f = [x for x in r['failures'] if x['index'] == $index]
print(f[0]['violated'][0] if f and f[0]['violated'] else ('crash' if f else 'none'))" 2>/dev/null)
  if [ "$got" = "$oracle" ]; then
    printf '%-32s %-8s %-20s %s\n' "$name" found "$oracle" "$index"
  else
    printf '%-32s %-8s %-20s case %s: %s\n' "$name" MISSED "$oracle" "$index" "${got:-no result}"; fail=1
  fi
done
[ $seen -eq 1 ] || { echo "explore_finds.sh: no mutant ${ONLY:-at all} in tests/mutants" >&2; fail=1; }
exit $fail
