#!/usr/bin/env bash
# checked_core.sh PISIM LIBHYP_CHECKED
#
# Sanitized builds only: every scenario of the library on the hypervisor core
# built with UndefinedBehaviorSanitizer as well as AddressSanitizer
# (libhyp-checked.so, `pisim run --hyp`). A sanitizer report aborts the run
# and fails the test.
#
# UBSan instruments before the coverage pass that times the core, so this
# core executes more basic blocks than the real one and its latencies are
# not the core's (hyp/CMakeLists.txt): its blocks hold the sanitizers'
# checks, which the block pricer charges like any instruction. Deliberately,
# then: the expectations that follow the timing are not applied to it: the
# latency bounds (expect.max_latency, expect.p99_latency) and the exact ISR
# counts over the scenario's duration (expect.isr_counts: a slower core fits
# fewer IPI rounds in it, or polls a NAPI ring at other moments); every
# other expectation and every oracle must hold, and its latencies are
# printed next to the timed core's (the built-in one, whose flags are pinned
# so that its timing is the real build's: tests/scenarios/same_timing.sh).
set -uo pipefail
pisim=$1 checked=$2
cd "$(dirname "$0")/../.."
source tests/scenarios/library.sh
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
fail=0 n=0
for s in "${LIBRARY[@]}"; do
  n=$((n + 1))
  "$pisim" run -q "$s" --json "$d/timed.json"; rt=$?
  "$pisim" run -q "$s" --hyp "$checked" --json "$d/checked.json" 2> "$d/err"; rc=$?
  if [[ $rc -ne 0 && $rc -ne 1 ]] || [[ ! -s $d/checked.json ]]; then
    echo "FAIL $s: the checked core's run ended with exit $rc:"; tail -20 "$d/err"; fail=1; continue
  fi
  python3 - "$s" "$rt" "$d/timed.json" "$d/checked.json" <<'PY' || fail=1
import json, sys
name, rt = sys.argv[1], int(sys.argv[2])
t, c = (json.load(open(f)) for f in sys.argv[3:])
timing = ("expect.max_latency:", "expect.p99_latency:", "expect.isr_counts[")
other = [f for f in c["result"]["failures"] if not f.startswith(timing)]
waived = [f for f in c["result"]["failures"] if f.startswith(timing)]
ts, cs = t["summary"], c["summary"]
line = (f"{name}: latency max {ts['latency']['max']} -> {cs['latency']['max']}, "
        f"p99 {ts['latency']['p99']} -> {cs['latency']['p99']}, "
        f"hyp {ts['hyp_cycles']} -> {cs['hyp_cycles']} cycles (timed core -> checked core)")
if other:
    print(f"FAIL {line}")
    for f in other:
        print(f"     {f}")
    sys.exit(1)
print(f"ok   {line}" + (f"; not applied: {'; '.join(waived)}" if waived else ""))
if rt != 0:
    print(f"     (the timed core fails this scenario, exit {rt}: see its own test)")
PY
done
echo "$n scenarios on the checked core"
((n > 0)) || fail=1
exit $fail
