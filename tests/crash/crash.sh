#!/usr/bin/env bash
# A crashing hypervisor core is reported, not silent; a spinning one is
# stopped by --max-wall. For the cores built from tests/crash/*.patch:
#  - abort, null: `pisim run --hyp` exits 4 and says which core (its path),
#    on which pCPU (1), at which cycle (at or after the trace's last event)
#    and in which function (hypercall) it crashed; the trace written is valid
#    JSON marked truncated;
#  - spin: `--max-wall 2` stops the run within seconds, exit 3, the report
#    says --max-wall, the trace is valid JSON marked truncated; `check` and
#    `calibrate --max-wall 1` stop it as well (exit 3, the scenario or row
#    reported as stopped, not compared or judged);
#  - spin-init: a core that never returns from hyp_init (before the
#    simulation starts) is stopped the same way by `run --max-wall 2`, and a
#    sweep's points by `sweep --max-wall 1`;
#  - sweep and explore report a crashing child as pisim run reports a crash:
#    null (SIGSEGV in hypercall) and raise (SIGUSR1, outside pisim's crash
#    report) in a sweep, null-create (SIGSEGV in hyp_vcpu_create) in explore:
#    the signal by name, the core's function when pisim run names it, filed as
#    a crash (table, results.json, results.tsv), the scenario kept and the
#    replay command printed; replaying it crashes the same way.
set -uo pipefail
pisim=$1 cores=$2
scenario=tests/crash/vmcall.yaml
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL $*"; fail=1; }

# The trace is valid JSON, truncated, and ends no later than cycle $2.
trace_ok() {
  python3 - "$1" "$2" <<'PY' || return 1
import json, sys
t = json.load(open(sys.argv[1]))
assert t["format"] == "pisim-trace", "not a pisim trace"
assert t["truncated"] is True, "not marked truncated"
last = max((e[0] for e in t["events"]), default=0)
assert last <= int(sys.argv[2]), f"events after the reported cycle: {last} > {sys.argv[2]}"
kinds = [k["name"] for k in t["kinds"]]
exits = [e for e in t["events"] if kinds[e[1]] == "cpu.vm_exit" and e[2] == 1]
assert exits, "no VM exit of pCPU 1 recorded before the crash"
PY
}

for core in abort null; do
  so=$cores/libhyp-$core.so
  [[ -f $so ]] || { bad "$core: $so not built"; continue; }
  out=$(timeout 60 "$pisim" run "$scenario" --hyp "$so" --trace "$tmp/$core.json" -q 2>&1); rc=$?
  [[ $rc -eq 4 ]] || bad "$core: exit $rc, want 4 (the hypervisor core crashed): $out"
  grep -qF "the hypervisor core $so crashed" <<<"$out" || bad "$core: the message does not name the core $so: $out"
  grep -qE "in hypercall\+0x[0-9a-f]+ " <<<"$out" || bad "$core: the message does not name the function hypercall: $out"
  grep -qF "on pCPU 1 " <<<"$out" || bad "$core: the message does not name pCPU 1: $out"
  cycle=$(sed -n 's/.* at cycle \([0-9][0-9]*\).*/\1/p' <<<"$out" | head -1)
  [[ -n $cycle && $cycle -gt 5000 ]] || bad "$core: no cycle after the guest's 5,000 cycles of work in: $out"
  if [[ $core == abort ]]; then grep -qF "SIGABRT" <<<"$out" || bad "$core: signal not named: $out"; fi
  if [[ $core == null ]]; then grep -qF "SIGSEGV (invalid memory access) at address (nil)" <<<"$out" \
      || grep -qF "SIGSEGV (invalid memory access) at address 0x0" <<<"$out" || bad "$core: fault not named: $out"; fi
  if [[ -f $tmp/$core.json ]]; then
    trace_ok "$tmp/$core.json" "${cycle:-0}" || bad "$core: the trace is not a valid truncated trace up to the crash"
  else
    bad "$core: no trace written"
  fi
  echo "$core: exit $rc: $out"
done

so=$cores/libhyp-spin.so
start=$(date +%s)
out=$(timeout 60 "$pisim" run "$scenario" --hyp "$so" --trace "$tmp/spin.json" --max-wall 2 2>&1); rc=$?
took=$(( $(date +%s) - start ))
[[ $rc -eq 3 ]] || bad "spin: exit $rc, want 3 (stopped by --max-wall) after ${took}s: $out"
[[ $took -le 20 ]] || bad "spin: --max-wall 2 took ${took}s"
grep -qF "stopped by --max-wall" <<<"$out" || bad "spin: the report does not say --max-wall stopped it: $out"
[[ -f $tmp/spin.json ]] && python3 -c 'import json,sys; t=json.load(open(sys.argv[1])); assert t["truncated"] is True' "$tmp/spin.json" \
  || bad "spin: no valid truncated trace"
echo "spin: exit $rc after ${took}s"

# check and calibrate take --max-wall as run does: a stopped scenario or row
# is reported as such, exit 3.
start=$(date +%s)
out=$(timeout 60 "$pisim" check "$scenario" --baseline scenarios/baseline.yaml --hyp "$so" --max-wall 1 --json "$tmp/check.json" 2>&1); rc=$?
took=$(( $(date +%s) - start ))
[[ $rc -eq 3 ]] || bad "check --max-wall 1 with the spinning core: exit $rc after ${took}s, want 3: $out"
[[ $took -le 20 ]] || bad "check --max-wall 1 took ${took}s"
grep -qF "STOPPED stopped by --max-wall" <<<"$out" || bad "check: the scenario is not reported as stopped by --max-wall: $out"
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["stopped"] == 1 and j["scenarios"][0]["stopped"] is True and j["regressions"] == 0, j' \
  "$tmp/check.json" || bad "check --json does not file the scenario as stopped"
echo "check, spin, --max-wall 1: exit $rc after ${took}s"
mkdir "$tmp/cal" && cp scenarios/calibration/vmcall.yaml "$tmp/cal/"
start=$(date +%s)
out=$(timeout 60 "$pisim" calibrate --dir "$tmp/cal" --hyp "$so" --max-wall 1 --json "$tmp/cal.json" 2>&1); rc=$?
took=$(( $(date +%s) - start ))
[[ $rc -eq 3 ]] || bad "calibrate --max-wall 1 with the spinning core: exit $rc after ${took}s, want 3: $out"
[[ $took -le 20 ]] || bad "calibrate --max-wall 1 took ${took}s"
grep -qF "STOPPED, vmcall round trip" <<<"$out" || bad "calibrate: the row is not reported as stopped: $out"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["rows"][0]; assert r["status"] == "STOPPED" and "--max-wall" in r["error"], r' \
  "$tmp/cal.json" || bad "calibrate --json does not file the row as STOPPED"
echo "calibrate, spin, --max-wall 1: exit $rc after ${took}s"
for cmd in check calibrate; do
  out=$(timeout 20 "$pisim" $cmd --max-wall 0 --baseline x 2>&1); rc=$?
  [[ $rc -eq 2 ]] || bad "$cmd --max-wall 0: exit $rc, want 2: $out"
done

# A core spinning in hyp_init: the wall clock runs from the machine's
# construction, before the core boots.
so=$cores/libhyp-spin-init.so
start=$(date +%s)
out=$(timeout 60 "$pisim" run "$scenario" --hyp "$so" --trace "$tmp/spin-init.json" --max-wall 2 2>&1); rc=$?
took=$(( $(date +%s) - start ))
[[ $rc -eq 3 ]] || bad "spin-init: exit $rc, want 3 (stopped by --max-wall) after ${took}s: $out"
[[ $took -le 10 ]] || bad "spin-init: --max-wall 2 took ${took}s"
grep -qF "stopped the hypervisor core in hyp_init" <<<"$out" || bad "spin-init: the message does not name hyp_init: $out"
grep -qF "stopped by --max-wall" <<<"$out" || bad "spin-init: the report does not say --max-wall stopped it: $out"
[[ -f $tmp/spin-init.json ]] && python3 -c 'import json,sys; t=json.load(open(sys.argv[1])); assert t["truncated"] is True and t["end_cycle"] == 0' "$tmp/spin-init.json" \
  || bad "spin-init: no valid truncated trace"
echo "spin-init: exit $rc after ${took}s"
start=$(date +%s)
out=$(timeout 60 "$pisim" sweep "$scenario" --hyp "$so" --vary duration=2000000:2000001 -j 2 --max-wall 1 -o "$tmp/sw-init" 2>&1); rc=$?
took=$(( $(date +%s) - start ))
[[ $rc -eq 3 ]] || bad "sweep, spin-init, --max-wall 1: exit $rc after ${took}s, want 3: $out"
[[ $took -le 15 ]] || bad "sweep, spin-init, --max-wall 1 took ${took}s"
python3 -c 'import json,sys; ps=json.load(open(sys.argv[1]))["results"]; assert all(p["exit_code"] == 3 and "hyp_init" in p["error"] for p in ps), ps' \
  "$tmp/sw-init/results.json" || bad "sweep, spin-init: points not stopped in hyp_init by --max-wall"
echo "sweep, spin-init, --max-wall 1: exit $rc after ${took}s"

# Crashing children of sweep and explore.
for core in null raise; do
  so=$cores/libhyp-$core.so
  out=$(timeout 120 "$pisim" sweep "$scenario" --hyp "$so" --vary duration=2000000:2000001 -j 2 --minimize -o "$tmp/sw-$core" 2>&1); rc=$?
  [[ $rc -eq 4 ]] || bad "sweep, $core: exit $rc, want 4 (a point crashed): $out"
  case $core in
    null) want="the hypervisor core $so crashed: SIGSEGV (invalid memory access) at address" ;;
    raise) want="the simulation crashed: SIGUSR1 (User defined signal 1)" ;;
  esac
  grep -qF "point 0: $want" <<<"$out" || bad "sweep, $core: point 0 not reported as '$want': $out"
  [[ $core == null ]] && { grep -qE "in hypercall\+0x[0-9a-f]+ on pCPU 1 at cycle [0-9]+" <<<"$out" || bad "sweep, null: function, pCPU, cycle not named: $out"; }
  grep -qF "replay: pisim run $tmp/sw-$core/point-0.yaml --hyp $so" <<<"$out" || bad "sweep, $core: no replay command: $out"
  grep -qE "^ +0 .* crash " <<<"$out" || bad "sweep, $core: the table does not say crash: $out"
  grep -qP "^0\t.*\tcrash\t" "$tmp/sw-$core/results.tsv" || bad "sweep, $core: results.tsv does not say crash: $(cat "$tmp/sw-$core/results.tsv")"
  python3 -c 'import json,sys; ps=json.load(open(sys.argv[1]))["results"]; assert all(p["outcome"] == "crash" and p["exit_code"] == 4 and sys.argv[2] in p["error"] for p in ps), ps' \
    "$tmp/sw-$core/results.json" "$want" || bad "sweep, $core: results.json does not file the points as crashes"
  [[ -f $tmp/sw-$core/point-0.yaml ]] || bad "sweep, $core: point-0.yaml not kept"
  rrc=0; timeout 60 "$pisim" run "$tmp/sw-$core/point-0.yaml" --hyp "$so" -q > /dev/null 2>&1 || rrc=$?
  case $core in
    null) [[ $rrc -eq 4 ]] || bad "sweep, null: replaying point 0 exits $rrc, want 4" ;;
    raise) [[ $rrc -eq $((128 + 10)) ]] || bad "sweep, raise: replaying point 0 exits $rrc, want 138 (SIGUSR1)" ;;
  esac
  # --minimize shrinks a crash to a crash (the same way).
  mrc=0; timeout 60 "$pisim" run "$tmp/sw-$core/point-0-min.yaml" --hyp "$so" -q > /dev/null 2>&1 || mrc=$?
  [[ $mrc -eq $rrc ]] || bad "sweep, $core: the minimized point 0 exits $mrc, the point $rrc"
  echo "sweep, $core: exit $rc; replay exits $rrc"
done
so=$cores/libhyp-null-create.so
out=$(timeout 300 "$pisim" explore --hyp "$so" --seeds 2 -j 2 --keep 1 -o "$tmp/ex" 2>&1); rc=$?
[[ $rc -eq 1 ]] || bad "explore, null-create: exit $rc, want 1 (a crash): $out"
grep -qE "^  crash +2 case\(s\); first: case 0 .*: the hypervisor core $so crashed: SIGSEGV \(invalid memory access\)" <<<"$out" \
  || bad "explore, null-create: the crash is not reported with the core, the signal and the function: $out"
file=$(ls "$tmp/ex"/failure-crash-*.yaml 2>/dev/null | grep -v full | head -1)
[[ -n $file ]] || bad "explore, null-create: no failure-crash file kept: $(ls "$tmp/ex")"
grep -qF "replay: pisim run $file --hyp $so" <<<"$out" || bad "explore, null-create: no replay command: $out"
python3 -c 'import json,sys; f=json.load(open(sys.argv[1]))["failures"]; assert len(f) == 2 and all("SIGSEGV (invalid memory access)" in x["message"] and " in hyp_vcpu_create+0x" in x["message"] for x in f), f' \
  "$tmp/ex/results.json" || bad "explore, null-create: results.json does not hold the crashes by signal name"
rrc=0; [[ -n $file ]] && { timeout 60 "$pisim" run "$file" --hyp "$so" -q > /dev/null 2>&1 || rrc=$?; }
[[ $rrc -eq 4 ]] || bad "explore, null-create: replaying $file exits $rrc, want 4"
echo "explore, null-create: exit $rc; replay exits $rrc"
exit $fail
