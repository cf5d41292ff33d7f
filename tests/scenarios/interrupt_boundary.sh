#!/usr/bin/env bash
# An interrupt reaching a pCPU that runs hypervisor code with IF=1 is taken at
# the first basic-block boundary after it arrives, though the pCPU runs ahead
# of the kernel up to its interrupt horizon (platform/port.cpp): in
# lifecycle/tasklet.yaml pCPU 0 spins in tasklet work (IF=1) at cycles
# 400,000-550,000 and 1,000,000-1,040,000 and a notification arrives in each
# window; its apic.dispatch must follow its apic.accept by less than one
# basic block. Blocks are charged flat here (hyp_timing: flat, hyp.basic_block
# cycles each), so "one block" is a known number of cycles.
set -euo pipefail
pisim=$1
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
mkdir "$d/profiles"
sed 's/^hyp_timing: instructions$/hyp_timing: flat/' profiles/skylake-sp.yaml >"$d/profiles/skylake-sp.yaml"
grep -q '^hyp_timing: flat$' "$d/profiles/skylake-sp.yaml"
PISIM_PROFILE_DIR="$d/profiles" "$pisim" run -q scenarios/lifecycle/tasklet.yaml --trace "$d/t.json"
python3 - "$d/t.json" "$d/profiles/skylake-sp.yaml" <<'PY'
import bisect, json, re, sys
t = json.load(open(sys.argv[1]))
bb = int(re.search(r"hyp\.basic_block:\s*\{value:\s*(\d+)", open(sys.argv[2]).read()).group(1))
kind = {k["name"]: i for i, k in enumerate(t["kinds"])}
ev = t["events"]
accepts = [e for e in ev if e[1] == kind["apic.accept"] and e[2] == 0]
dispatch = sorted(e[0] for e in ev if e[1] == kind["apic.dispatch"] and e[2] == 0)
for lo, hi in ((400000, 550000), (1000000, 1040000)):
    inside = [e for e in accepts if lo < e[0] < hi]
    assert inside, f"no interrupt accepted in tasklet window {lo}-{hi}"
    for a in inside:
        i = bisect.bisect_left(dispatch, a[0])
        assert i < len(dispatch), f"accept at {a[0]} never dispatched"
        delta = dispatch[i] - a[0]
        assert delta < bb, f"accept at {a[0]} (vector {a[4]}) dispatched {delta} cycles later, not within {bb}"
        print(f"accept at {a[0]} vector {a[4]:#x}: dispatched {delta} cycles later (< {bb})")
PY
