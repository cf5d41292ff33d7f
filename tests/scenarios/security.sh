#!/usr/bin/env bash
# security.sh PISIM [MUTANT_SO]
#
# The malicious-device scenarios (scenarios/security/) through the real CLI:
# 1. each exits 0; its JSON reports exactly the VT-d fault counts by reason
#    and the per-device "delivered by VT-d" counts the file expects; every
#    blocked interrupt is a VT-d fault, never delivered and never lost; the
#    trace holds one vtd.fault event per blocked interrupt, with its reason;
# 2. the checks can fail: a wrong fault count, a wrong delivered count and a
#    dropped expect.violations each make the run exit 1 naming what failed;
# 3. with MUTANT_SO (the core whose IRTEs skip source validation, SVT = 00)
#    the cross-domain attack reaches domain 1: the isolation oracle flags it
#    in the run and at every point of a small sweep.
set -uo pipefail
pisim=$1 mutant=${2:-}
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
fail=0 n=0

for s in scenarios/security/*.yaml; do
  n=$((n+1))
  "$pisim" run -q "$s" --json "$d/r.json" --trace "$d/t.json"; rc=$?
  if [[ $rc -ne 0 ]]; then echo "FAIL $s: exit $rc"; fail=1; continue; fi
  python3 - "$s" "$d/r.json" "$d/t.json" <<'PY' || fail=1
import json, sys, yaml
name, run, trace = sys.argv[1], json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
exp = yaml.safe_load(open(name)).get("expect", {})
def bad(msg):
    sys.exit(f"FAIL {name}: {msg}")
want = {int(k): v for k, v in exp.get("vtd_faults", {}).items()}
if "vtd_faults" not in exp: bad("a security scenario must state expect.vtd_faults")
got = {int(k, 16): v["count"] for k, v in run["vtd_faults"]["by_reason"].items()}
if got != {k: v for k, v in want.items() if v}: bad(f"fault counts {got}, expected {want}")
if run["vtd_faults"]["recorded"] != len(run["vtd_faults"]["records"]) or sum(got.values()) != run["vtd_faults"]["recorded"]:
    bad("fault records and counts disagree")
devs = {x["name"]: x for x in run["devices"]}
if not exp.get("delivered"): bad("a security scenario must state expect.delivered")
for dev, n in exp["delivered"].items():
    if devs[dev]["delivered"] != n: bad(f"{dev} delivered {devs[dev]['delivered']}, expected {n}")
blocked = [i for i in run["interrupts"] if "fault_reason" in i]
for i in blocked:
    if i["delivered"] or "latency" in i: bad(f"interrupt {i['tag']} blocked by VT-d yet delivered")
    if any(s["step"] in ("posting", "host_remap", "virtual_delivery") for s in i["steps"]):
        bad(f"interrupt {i['tag']} blocked by VT-d has a delivery step")
s = run["summary"]
if s["faulted"] != len(blocked) or s["lost"] != 0: bad(f"summary faulted {s['faulted']} lost {s['lost']}, {len(blocked)} blocked")
if sum(x["vtd_faults"] for x in run["devices"]) != len(blocked): bad("per-device fault counts disagree with the interrupts")
kinds = [k["name"] for k in trace["kinds"]]
fault_events = [e for e in trace["events"] if kinds[e[1]] == "vtd.fault"]
if len(fault_events) != len(blocked): bad(f"{len(fault_events)} vtd.fault events in the trace, {len(blocked)} blocked interrupts")
reasons = {}
for e in fault_events: reasons[e[4]] = reasons.get(e[4], 0) + 1
if reasons != {k: v for k, v in want.items() if v}: bad(f"trace fault reasons {reasons}, expected {want}")
oracles = sorted({v["oracle"] for v in run["violations"]})
if oracles != sorted(set(exp.get("violations", []))): bad(f"violations {oracles}, expected {exp.get('violations', [])}")
print(f"ok   {name}: faults {dict(sorted((hex(k), v) for k, v in got.items()))}, delivered by VT-d "
      + ", ".join(f"{k} {devs[k]['delivered']}" for k in exp["delivered"]) + (f", violations {oracles}" if oracles else ""))
PY
done

# 2. The expectations bite.
expect_fail() {  # FILE SED-EXPR WANTED-TEXT
  sed "$2" "$1" > "$d/m.yaml"
  out=$("$pisim" run --summary "$d/m.yaml" 2>&1); rc=$?
  if [[ $rc -ne 1 || "$out" != *"$3"* ]]; then echo "FAIL mutated $1 ($2): exit $rc, no '$3'"; fail=1
  else echo "ok   mutated $1 ($2): exit 1, '$3'"; fi
}
expect_fail scenarios/security/compat-format-blocked.yaml 's/0x25: 30/0x25: 29/' 'expect.vtd_faults[0x25 compatibility format blocked]: 30 recorded, expected 29'
expect_fail scenarios/security/compat-format-blocked.yaml 's/vtd_faults: {0x25: 30}/vtd_faults: {0x25: 30, 0x26: 1}/' 'expect.vtd_faults[0x26'
expect_fail scenarios/security/spoofed-requester-id.yaml 's/evil: 0}/evil: 1}/' 'expect.delivered[evil]: 0 of its interrupts passed VT-d, expected 1'
expect_fail scenarios/security/forged-victim-identity.yaml '/violations: \[isolation\]/d' 'oracle isolation violated'

# 3. A core without source validation: isolation breaks and is flagged.
if [[ -n $mutant ]]; then
  if [[ ! -f $mutant ]]; then echo "FAIL missing $mutant"; fail=1
  else
    out=$("$pisim" run --summary scenarios/security/cross-domain-irte.yaml --hyp "$mutant" 2>&1); rc=$?
    if [[ $rc -ne 1 || "$out" != *"oracle isolation violated"* || "$out" != *"expect.vtd_faults[0x26"* ]]; then
      echo "FAIL cross-domain-irte with $(basename "$mutant"): exit $rc, isolation not flagged"; fail=1
    else echo "ok   cross-domain-irte with $(basename "$mutant"): exit 1, isolation violated"; fi
    "$pisim" sweep scenarios/security/cross-domain-irte.yaml --random 20 --seed 1 -j2 -o "$d/sw" --hyp "$mutant" > "$d/sw.txt" 2>/dev/null; rc=$?
    python3 - "$d/sw/results.json" "$rc" <<'PY' || fail=1
import json, sys
r, rc = json.load(open(sys.argv[1])), int(sys.argv[2])
flagged = [p for p in r["results"] if p["exit_code"] == 1 and "isolation" in p["violated"]]
if rc != 1 or len(flagged) != len(r["results"]) != 0:
    sys.exit(f"FAIL sweep with the mutant: exit {rc}, {len(flagged)} of {len(r['results'])} points flag isolation")
print(f"ok   sweep with the mutant: exit 1, isolation flagged at {len(flagged)} of {len(r['results'])} points")
PY
  fi
fi
echo "$n security scenarios checked"
exit $fail
