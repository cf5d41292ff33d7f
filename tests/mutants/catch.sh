#!/bin/bash
# catch.sh PISIM MUTANT_DIR
#
# Mutation test of the scenario library: every hypervisor-core mutant built
# from tests/mutants/NAME.patch (MUTANT_DIR/libhyp-NAME.so) must make at least
# one scenario of scenarios/ (or one point of a bounded sweep below) fail with
# exit 1 naming a violated oracle or expectation; the unpatched core
# (MUTANT_DIR/../hyp/libhyp.so) must pass all of them. Mutants listed in
# EQUIVALENT re-create a bug whose window does not exist in this core: they
# must pass everything (if one starts failing, the core changed shape and the
# mutant moves to the caught list). Prints a table mutant -> catching scenario.
set -u
PISIM=$1
MUTANT_DIR=$2
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BASE=${HYP_BASE:-$MUTANT_DIR/../hyp/libhyp.so}
cd "$ROOT"

# Mutants that re-create a bug no oracle defines as wrong: they must pass
# every scenario and sweep (if one starts failing, the oracles or the core
# changed and it moves to the caught list). None at present.
EQUIVALENT=" "

# Mutants whose bug no scenario of the library and no sweep below reaches:
# tests/mutants/explore.tsv marks them "explore-only", and
# tests/mutants/explore_finds.sh proves that `pisim explore` finds each
# with no scenario file. They are not run through the library here.
EXPLORE_ONLY=" $(awk -F'\t' '$4 == "explore-only" {printf "%s ", $1}' tests/mutants/explore.tsv 2>/dev/null)"

# Bounded sweeps that walk a post through a race window (scenario|--vary).
SWEEPS=(
  "scenarios/races/block-during-post.yaml|devices.0.queues.0.traffic.interval=13100:13350:10"
  "scenarios/races/notification-at-entry.yaml|devices.1.queues.0.traffic.start=104200:104400:2"
)

SCENARIOS=$(find scenarios -name '*.yaml' ! -name baseline.yaml | sort)
# every oracle name, from the list scenario validation uses (platform/oracles.h)
ORACLES=$(sed -n '/oracle_names()/,/return n;/p' platform/oracles.h | grep -o '"[a-z_]*"' | tr -d '"' | paste -sd'|')
ORACLE_RE="expect\.[a-z_]+|oracle ($ORACLES)"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# run_one HYP SCENARIO -> prints "pass", "caught: <what>", or "error <rc>"
run_one() {
  local out rc
  out=$(timeout 60 "$PISIM" run "$2" --hyp "$1" 2>&1)
  rc=$?
  if [ $rc -eq 0 ]; then echo pass
  elif [ $rc -eq 1 ] && grep -Eq "$ORACLE_RE" <<<"$out"; then
    echo "caught: $(grep -Eo "$ORACLE_RE" <<<"$out" | sort -u | tr '\n' ' ')"
  else echo "error $rc"; fi
}

# sweep_one HYP "SCENARIO|VARY" -> "pass", "caught: N failing points (oracles)", or "error"
sweep_one() {
  local scen=${2%%|*} vary=${2#*|} out rc n
  rm -rf "$TMP/sweep"
  out=$(timeout 120 "$PISIM" sweep "$scen" --vary "$vary" -j 2 -o "$TMP/sweep" --hyp "$1" 2>/dev/null)
  rc=$?
  n=$(grep -Eo 'failing [0-9]+' <<<"$out" | tail -1 | awk '{print $2}')
  if [ -z "$n" ] || [ $rc -gt 1 ]; then echo "error $rc"; return; fi
  if [ "$n" -eq 0 ]; then echo pass; return; fi
  local what
  what=$(awk -F'\t' 'NR>1 && $3!="pass" {print $4}' "$TMP/sweep/results.tsv" | sort -u | tr '\n' ' ')
  echo "caught: $n failing points (${what:-expectations})"
}

fail=0
# 1. the unpatched core passes every scenario and every sweep point. One that
# it fails is reported (a bug of the core) and not counted for the mutants.
if [ ! -f "$BASE" ]; then echo "catch.sh: missing $BASE" >&2; exit 2; fi
declare -A BASE_FAILS=()
for s in $SCENARIOS; do
  r=$(run_one "$BASE" "$s")
  if [ "$r" != pass ]; then echo "UNPATCHED FAILS $s: $r"; BASE_FAILS[$s]=1; fail=1; fi
done
for sw in "${SWEEPS[@]}"; do
  r=$(sweep_one "$BASE" "$sw")
  if [ "$r" != pass ]; then echo "UNPATCHED FAILS sweep $sw: $r"; BASE_FAILS[$sw]=1; fail=1; fi
done
SCENARIOS=$(for s in $SCENARIOS; do [ -n "${BASE_FAILS[$s]:-}" ] || echo "$s"; done)
OK_SWEEPS=()
for sw in "${SWEEPS[@]}"; do [ -n "${BASE_FAILS[$sw]:-}" ] || OK_SWEEPS+=("$sw"); done
SWEEPS=("${OK_SWEEPS[@]}")

# 2. every mutant is caught (equivalent ones pass everything)
printf '%-26s %-8s %s\n' mutant result "caught by"
n_mut=0
for p in tests/mutants/*.patch; do
  name=$(basename "$p" .patch)
  so=$MUTANT_DIR/libhyp-$name.so
  n_mut=$((n_mut + 1))
  if [ ! -f "$so" ]; then printf '%-26s %-8s %s\n' "$name" MISSING "$so not built"; fail=1; continue; fi
  if [[ "$EXPLORE_ONLY" == *" $name "* ]]; then
    printf '%-26s %-8s %s\n' "$name" explore "no scenario: found by pisim explore (tests/mutants/explore_finds.sh)"
    continue
  fi
  by=""
  if [[ "$EQUIVALENT" == *" $name "* ]]; then
    for s in $SCENARIOS; do
      r=$(run_one "$so" "$s")
      [ "$r" != pass ] && by="$by $s ($r)"
    done
    for sw in "${SWEEPS[@]}"; do
      r=$(sweep_one "$so" "$sw")
      [ "$r" != pass ] && by="$by sweep ${sw%%|*} ($r)"
    done
    if [ -z "$by" ]; then printf '%-26s %-8s %s\n' "$name" equiv "none: passes every scenario and sweep (no window in this core)"
    else printf '%-26s %-8s %s\n' "$name" FAILS "documented as equivalent but fails:$by"; fail=1; fi
    continue
  fi
  for s in $SCENARIOS; do
    r=$(run_one "$so" "$s")
    case $r in caught:*) by="$s (${r#caught: })"; break ;; esac
  done
  if [ -z "$by" ]; then
    for sw in "${SWEEPS[@]}"; do
      r=$(sweep_one "$so" "$sw")
      case $r in caught:*) by="sweep ${sw%%|*} --vary ${sw#*|}: ${r#caught: }"; break ;; esac
    done
  fi
  if [ -n "$by" ]; then printf '%-26s %-8s %s\n' "$name" caught "$by"
  else printf '%-26s %-8s %s\n' "$name" MISSED "no scenario or sweep fails"; fail=1; fi
done
[ $n_mut -gt 0 ] || { echo "catch.sh: no mutants in tests/mutants" >&2; fail=1; }
exit $fail
