#!/usr/bin/env bash
# Every run ends (issue 19 point 3):
#  - the limits' own values are range-checked (exit 2, no overflow);
#  - --max-wall stops simulated work wherever it is, within about a second
#    of its deadline (the watchdog, not a check every duration/1000 cycles),
#    exit 3, the report saying so, the trace valid and marked truncated;
#  - a sweep's points are stopped by their own limits;
#  - a run that ends within its limits is the run without them, byte for byte.
set -uo pipefail
pisim=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL $*"; fail=1; }
long=tests/crash/long-work.yaml
short=scenarios/basic/nic-posted-running.yaml

for args in "--max-wall 10000000000" "--max-wall 0" "--max-cycles 0" "--max-cycles 18446744073709551615" \
            "--max-cycles 1000000000001"; do
  out=$(timeout 20 "$pisim" run $short $args -q 2>&1); rc=$?
  [[ $rc -eq 2 ]] || bad "run $args: exit $rc, want 2: $out"
done
out=$(timeout 20 "$pisim" sweep $short --vary seed=1:2 --max-wall 100000000 2>&1); rc=$?
[[ $rc -eq 2 ]] || bad "sweep --max-wall 100000000: exit $rc, want 2: $out"

start=$(date +%s)
out=$(timeout 100 "$pisim" run $long --max-wall 2 --trace "$tmp/long.json" 2>&1); rc=$?
took=$(( $(date +%s) - start ))
[[ $rc -eq 3 ]] || bad "long work --max-wall 2: exit $rc after ${took}s, want 3: $(tail -3 <<<"$out")"
[[ $took -le 15 ]] || bad "long work --max-wall 2 took ${took}s"
grep -qF "(stopped by --max-wall)" <<<"$out" || bad "long work: the report does not say --max-wall stopped it: $(tail -3 <<<"$out")"
python3 -c 'import json,sys; t=json.load(open(sys.argv[1])); assert t["truncated"] is True and t["end_cycle"] < 10**12' \
  "$tmp/long.json" || bad "long work: no valid truncated trace"
echo "long work, --max-wall 2: exit $rc after ${took}s"

out=$(timeout 60 "$pisim" run $long --max-cycles 200000 --json "$tmp/c.json" 2>&1); rc=$?
[[ $rc -eq 3 ]] || bad "long work --max-cycles: exit $rc, want 3"
grep -qF "(stopped by --max-cycles)" <<<"$out" || bad "long work: the report does not say --max-cycles stopped it"
python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["scenario"]; assert s["stopped_by"] == "--max-cycles" and s["end_cycle"] == 200000' \
  "$tmp/c.json" || bad "long work --max-cycles: JSON does not say stopped_by --max-cycles at 200000"

start=$(date +%s)
out=$(timeout 100 "$pisim" sweep $long --vary seed=1:2 -j 2 --max-wall 1 -o "$tmp/sweep" 2>&1); rc=$?
took=$(( $(date +%s) - start ))
[[ $rc -eq 3 ]] || bad "sweep --max-wall 1: exit $rc after ${took}s, want 3: $(tail -3 <<<"$out")"
[[ $took -le 20 ]] || bad "sweep --max-wall 1 took ${took}s"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); ps=r["results"]; assert all(p["exit_code"] == 3 and "--max-wall" in p["error"] for p in ps), ps' \
  "$tmp/sweep/results.json" || bad "sweep: points not stopped by --max-wall in results.json"
echo "sweep, --max-wall 1 per point: exit $rc after ${took}s"

# Within its limits a run is the run without them.
"$pisim" run $short --trace "$tmp/a.json" --json "$tmp/a.out" -q; rc_a=$?
"$pisim" run $short --trace "$tmp/b.json" --json "$tmp/b.out" -q --max-wall 1000 --max-cycles 1000000000000; rc_b=$?
[[ $rc_a -eq 0 && $rc_b -eq 0 ]] || bad "short run: exit $rc_a / $rc_b, want 0"
cmp -s "$tmp/a.json" "$tmp/b.json" || bad "the trace differs with limits the run stays within"
cmp -s "$tmp/a.out" "$tmp/b.out" || bad "the JSON report differs with limits the run stays within"
exit $fail
