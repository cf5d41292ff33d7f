#!/usr/bin/env bash
# pisim explore: the correct core holds over a fixed exploration (a new race
# fails the build), results are identical for any --jobs and for merged
# shards, every kept failure of a known-bad core replays with `pisim run`
# exactly (same first oracle), and bad command lines are refused with exit 2.
#
#   explore.sh PISIM MUTANT_DIR CI_SEEDS
set -uo pipefail
pisim=$1 mutants=$2 ci_seeds=$3
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

# 1. the gate: a fixed seed and number of cases, judged by the oracles alone.
start=$SECONDS
"$pisim" explore --seed 1 --seeds "$ci_seeds" -j 2 -o "$d/ci" > "$d/ci.txt" 2> /dev/null
rc=$?
cat "$d/ci.txt"
if [ $rc -ne 0 ]; then
  bad "the built-in core violates an oracle in a generated case (exit $rc); replay:"
  for f in "$d"/ci/failure-*[0-9a-f].yaml; do [ -f "$f" ] && { echo "--- $f"; cat "$f"; }; done
fi
echo "explore gate: $ci_seeds cases in $((SECONDS - start)) s"

# 2. identical for any -j and for merged shards (N divides 64).
"$pisim" explore --seed 7 --seeds 300 -j 1 -o "$d/j1" > /dev/null 2>&1
"$pisim" explore --seed 7 --seeds 300 -j 2 -o "$d/j2" > /dev/null 2>&1
diff -r "$d/j1" "$d/j2" > /dev/null || bad "-j 1 and -j 2 differ"
for k in 1 2 3 4; do "$pisim" explore --seed 7 --seeds 300 -j 2 --shard "$k/4" -o "$d/s$k" > /dev/null 2>&1; done
"$pisim" merge "$d/s1" "$d/s2" "$d/s3" "$d/s4" -o "$d/merged" > /dev/null
diff -r "$d/j1" "$d/merged" > /dev/null || bad "merged shards differ from one run"
grep -q '"format": "pisim-explore-coverage"' "$d/j1/coverage.json" || bad "no coverage.json"

# 3. a core with a known race (an IPI-less kick, first found at case 750 of
# seed 1: tests/mutants/explore.tsv): explore finds it, shrinks it,
# and each kept failure replays with the same first oracle.
so=$mutants/libhyp-kick_skips_ipi.so
"$pisim" explore --seed 1 --seeds 800 -j 2 --keep 2 --hyp "$so" -o "$d/m" > "$d/m.txt" 2> /dev/null
rc=$?
[ $rc -eq 1 ] || bad "explore of kick_skips_ipi exited $rc, expected 1"
n=0
for f in "$d"/m/failure-*[0-9a-f].yaml; do
  [ -f "$f" ] || continue
  n=$((n + 1))
  oracle=$(basename "$f" | sed -E 's/^failure-(.*)-[0-9a-f]{16}\.yaml$/\1/')
  grep -q "^# pisim [0-9]" "$f" && grep -q "build id [0-9a-f]\{40\}" "$f" && grep -q "^# found by: pisim explore --seed 1" "$f" ||
    bad "$f: header without version, core build id or command"
  for g in "$f" "${f%.yaml}.full.yaml"; do
    out=$("$pisim" run "$g" --hyp "$so" 2>&1); r=$?
    [ $r -eq 1 ] && grep -q "oracle $oracle violated" <<<"$out" || bad "$g does not replay its $oracle failure (exit $r)"
    ! grep -q "warning: this file was produced" <<<"$out" || bad "$g: a warning about another core when replayed with its own"
    # The machine-readable provenance names the core, as a YAML 1.1 reader sees it.
    python3 -c "import sys, yaml; p = yaml.safe_load(open(sys.argv[1]))['provenance']; \
sys.exit(not (p['core']['path'] == sys.argv[2] and len(p['core']['build_id']) == 40 and p['found_by'].startswith('pisim explore --seed 1')))" \
      "$g" "$so" || bad "$g: no provenance naming $so"
  done
  # Without the core: a warning naming it (the built-in core has no such race).
  "$pisim" run "$f" -q 2>&1 | grep -q "warning: this file was produced by pisim .* with the core $so" ||
    bad "$f: replayed with the built-in core without a warning"
  small=$(grep -c . "$f"); full=$(grep -c . "${f%.yaml}.full.yaml")
  [ "$small" -le "$full" ] || bad "$f: the shrunk case is larger than the generated one"
done
[ $n -gt 0 ] || bad "no failure file for kick_skips_ipi"
echo "kick_skips_ipi: $(grep -E '^  [a-z_]+ ' "$d/m.txt" | head -3 | tr -s ' ')"

# 4. bad command lines: exit 2, a reason.
for args in "--shard 3/5 -o $d/x" "--shard 1/2" "--modes emulated,bogus" "--size huge" "--seeds 10 -o $d/ci/results.json" \
            "--reference-hyp $d/no-such-core.so" "--reference-hyp $d"; do
  # shellcheck disable=SC2086
  out=$("$pisim" explore --seeds 10 $args 2>&1); r=$?
  [ $r -eq 2 ] || bad "explore $args exited $r, expected 2: $out"
done
# 5. --reference-hyp: the unpatched core as a shared object against the
# built-in one regresses nothing; the slow_wakeup mutant (first at case 6 of
# seed 1) is a latency_regression naming the wakeup-vector handler, written
# as generated with a header that says how to compare.
"$pisim" explore --seed 1 --seeds 100 -j 2 --hyp "$mutants/../hyp/libhyp.so" --reference-hyp builtin > "$d/r0.txt" 2>&1 ||
  { bad "libhyp.so against the built-in core fails:"; cat "$d/r0.txt"; }
"$pisim" explore --seed 1 --seeds 64 -j 2 --hyp "$mutants/libhyp-slow_wakeup.so" --reference-hyp builtin -o "$d/r1" > "$d/r1.txt" 2>&1
rc=$?
[ $rc -eq 1 ] || bad "slow_wakeup against the built-in core exited $rc, expected 1"
grep -q "latency_regression .*first: case 6 .*pi_wakeup handler" "$d/r1.txt" || { bad "slow_wakeup: no latency_regression naming pi_wakeup at case 6"; cat "$d/r1.txt"; }
f=$(ls "$d"/r1/failure-latency_regression-*[0-9a-f].yaml 2>/dev/null | head -1)
[ -n "$f" ] && grep -q "^# not minimized" "$f" && grep -q "reference_core" "$d/r1/results.json" ||
  bad "slow_wakeup: no failure file with its replay note, or results.json without the reference core"
exit $fail
