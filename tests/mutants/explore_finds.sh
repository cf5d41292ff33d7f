#!/bin/bash
# explore_finds.sh PISIM MUTANT_DIR
#
# Mutation score of the explorer: every hypervisor-core mutant of
# tests/mutants (MUTANT_DIR/libhyp-NAME.so) is found by `pisim explore` with no
# scenario file. tests/mutants/explore.tsv gives, per mutant, the number of
# cases of seed 1 within which the explorer finds it (the first failing case
# index, rounded up) and the oracle that fires first; the exploration is
# deterministic, so the same cases fail every time. A mutant without a line
# fails the test: measure it with
#   pisim explore --budget 60 -j 2 --hyp MUTANT_DIR/libhyp-NAME.so
# and add the line. (The unpatched core holding over far more cases is
# tests/scenarios/explore.sh.)
set -u
PISIM=$1
MUTANT_DIR=$2
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TSV=$ROOT/tests/mutants/explore.tsv
fail=0
printf '%-32s %-8s %-18s %s\n' mutant result oracle "cases (seed 1)"
for p in "$ROOT"/tests/mutants/*.patch; do
  name=$(basename "$p" .patch)
  line=$(awk -F'\t' -v n="$name" '$1 == n' "$TSV")
  if [ -z "$line" ]; then printf '%-32s %-8s %s\n' "$name" MISSING "no line in tests/mutants/explore.tsv"; fail=1; continue; fi
  seeds=$(cut -f2 <<<"$line"); oracle=$(cut -f3 <<<"$line")
  so=$MUTANT_DIR/libhyp-$name.so
  out=$("$PISIM" explore --seed 1 --seeds "$seeds" -j 2 --no-minimize --hyp "$so" 2>/dev/null); rc=$?
  if [ $rc -eq 1 ] && grep -Eq "^  $oracle +[0-9]+ case" <<<"$out"; then
    printf '%-32s %-8s %-18s %s\n' "$name" found "$oracle" "$(grep -E "^  $oracle " <<<"$out" | grep -Eo 'first: case [0-9]+')"
  else
    printf '%-32s %-8s %-18s exit %s\n' "$name" MISSED "$oracle" "$rc"; fail=1
  fi
done
exit $fail
