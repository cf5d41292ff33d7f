#!/usr/bin/env bash
# The walking skeleton's path holds: every interrupt goes device write ->
# VT-d request -> remapping -> posting -> notification -> PI processing ->
# virtual delivery, with no VM exit at all, and the JSON says the same.
set -euo pipefail
pisim=$1
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
"$pisim" run scenarios/basic/nic-posted-running.yaml --json "$d/r.json" > "$d/out.txt"
cat "$d/out.txt"
grep -q "result: PASS" "$d/out.txt"
python3 - "$d/r.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
s = r["summary"]
assert s["written"] == 30 and s["delivered"] == 30 and s["lost"] == 0, s
assert s["vm_exits"] == {}, s["vm_exits"]
want = ["device_write", "vtd_request", "remapping", "posting", "notification", "pi_processing", "virtual_delivery"]
for i in r["interrupts"]:
    got = [x["step"] for x in i["steps"]]
    assert got == want, (i["tag"], got)
    cycles = [x["cycle"] for x in i["steps"]]
    assert cycles == sorted(cycles), cycles
    assert i["latency"] == cycles[-1] - cycles[0] > 0
for st in ["device_write", "remapping", "posting", "notification", "pi_processing", "virtual_delivery"]:
    assert s["stages"][st]["count"] == 30, st
assert s["latency"]["p50"] <= s["latency"]["p99"] <= s["latency"]["max"]
print("walking skeleton path: ok, p50", s["latency"]["p50"], "cycles")
PY
