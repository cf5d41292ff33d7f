#!/usr/bin/env bash
# Every scenario of the library with both VT-d engines (the C++ model and the
# verilated RTL): the same interrupts are delivered to the same vCPU and
# vector, blocked with the same fault codes, with the same latency and the
# same cycle at every step of their path (the C++ model charges the RTL's
# clock schedule, model/vtd/request_timing.h), and the same oracles hold.
# tests/scenarios/engines/ adds scenarios with VT-d faults, which the library
# lacks.
set -uo pipefail
pisim=$1
source "$(dirname "$0")/library.sh"
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
fail=0 n=0 irqs=0 faulted=0
for s in "${LIBRARY[@]}" tests/scenarios/engines/*.yaml; do
  [[ -e $s ]] || continue
  n=$((n+1))
  "$pisim" run -q "$s" --vtd-engine tlm --json "$d/tlm.json"; a=$?
  "$pisim" run -q "$s" --vtd-engine rtl --json "$d/rtl.json"; b=$?
  if [[ $a -ne $b ]]; then echo "FAIL $s: exit $a with tlm, $b with rtl"; fail=1; continue; fi
  python3 - "$s" "$d/tlm.json" "$d/rtl.json" >"$d/out" <<'PY' || fail=1
import json, sys
name, t, r = sys.argv[1], json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
def outcome(i):
    return (i["tag"], i["device"], i["vector_index"], i["vcpu"], i["vector"], i["written"], i["delivered"], i.get("fault_reason"))
def timing(i):
    return (i.get("latency"), [(s["step"], s["cycle"]) for s in i["steps"]])
ti, ri = t["interrupts"], r["interrupts"]
if len(ti) != len(ri):
    sys.exit(f"FAIL {name}: {len(ti)} interrupts with tlm, {len(ri)} with rtl")
for a, b in zip(ti, ri):
    if outcome(a) != outcome(b):
        sys.exit(f"FAIL {name}: interrupt outcomes differ between engines: tlm {outcome(a)} rtl {outcome(b)}")
    if timing(a) != timing(b):
        sys.exit(f"FAIL {name}: interrupt tag {a['tag']}: latency or steps differ: tlm {timing(a)} rtl {timing(b)}")
if sorted(v["oracle"] for v in t["violations"]) != sorted(v["oracle"] for v in r["violations"]):
    sys.exit(f"FAIL {name}: oracle verdicts differ between engines")
if t["summary"]["stages"] != r["summary"]["stages"] or t["summary"]["latency"] != r["summary"]["latency"]:
    sys.exit(f"FAIL {name}: latency or stage summaries differ between engines")
lat = [i["latency"] for i in ti if "latency" in i]
faults = sum(1 for i in ti if i.get("fault_reason") is not None)
print(f"ok   {name}: {len(ti)} interrupts ({len(lat)} delivered, {faults} faulted), same outcomes, "
      f"latencies and step cycles (latency min {min(lat, default=0)} max {max(lat, default=0)} cycles)")
PY
  cat "$d/out"
  if [[ $(head -c2 "$d/out") == ok ]]; then
    irqs=$((irqs + $(sed -E 's/^ok +[^:]+: ([0-9]+) interrupts.*/\1/' "$d/out")))
    faulted=$((faulted + $(sed -E 's/.*delivered, ([0-9]+) faulted.*/\1/' "$d/out")))
  fi
done
echo "$n scenarios compared, $irqs interrupts ($faulted blocked by VT-d faults) with identical outcome, fault code, latency and step cycles under both engines"
exit $fail
