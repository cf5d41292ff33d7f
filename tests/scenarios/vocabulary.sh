#!/bin/sh
# One vocabulary in every output (docs/trace-format.md "enums", README "What a
# run prints"): on library scenarios of every path,
# - every row of the per-interrupt table adds up: a delivered interrupt's
#   stage columns sum to its total, in the text and in --json;
# - interrupts are named <device>#<n> (n from 1 per device, in write order),
#   the same name in the text, --json and the trace; vCPUs d<domain>v<index>;
# - every enumerated arg value of every event has a name in the trace's enums,
#   every event's unit is in its unit list, pCPUs carry their apic_mode;
# - a violation's cycle is the same in the text, --json and the trace, and its
#   oracle.violation event stands at its detected_cycle on the oracles' unit;
# - the Perfetto and VCD exports use the names.
# usage: vocabulary.sh PISIM
set -eu
PISIM=$1
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT

check() {  # check NAME SCENARIO [pisim run exit code]
    name=$1 scenario=$2 want=${3:-0}
    rc=0
    "$PISIM" run "$scenario" --json "$d/$name.out.json" --trace "$d/$name.trace.json" > "$d/$name.txt" || rc=$?
    if [ "$rc" != "$want" ]; then
        echo "FAIL: $scenario: pisim run exited $rc, expected $want"; cat "$d/$name.txt"; exit 1
    fi
    "$PISIM" export "$d/$name.trace.json" --perfetto "$d/$name.perfetto.json" --vcd "$d/$name.vcd"
    python3 - "$d/$name" "$scenario" <<'EOF'
import json, re, sys
base, scenario = sys.argv[1], sys.argv[2]
text = open(base + ".txt").read().splitlines()
out = json.load(open(base + ".out.json"))
trace = json.load(open(base + ".trace.json"))
fail = []

# --- the table: header, rows, a sum per row ---
head_at = next(i for i, l in enumerate(text) if l.startswith("irq "))
head = text[head_at].split()
fixed = ["irq", "tag", "device", "vcpu", "vector", "written_at"]
assert head[:6] == fixed and head[-1] == "total", head
stages = head[6:-1]
for s in ("vm_exit", "hyp") if re.search(r"irq-mode-(emulated|apicv)", scenario) else ():
    if s not in stages: fail.append(f"the table of {scenario} has no {s} column: {head}")
rows = []
for l in text[head_at + 1:]:
    if not l.strip(): break
    cells = l.split()
    if cells[-2] == "fault": cells = cells[:-2] + [" ".join(cells[-2:])]
    assert len(cells) == len(head), (l, head)
    rows.append(dict(zip(head, cells)))
if len(rows) != len(out["interrupts"]): fail.append(f"{len(rows)} rows, {len(out['interrupts'])} interrupts in --json")
delivered = 0
for r, j in zip(rows, out["interrupts"]):
    if r["irq"] != j["name"]: fail.append(f"row {r['irq']} is {j['name']} in --json")
    if not r["total"].isdigit(): continue
    delivered += 1
    total = sum(int(r[s]) for s in stages if r[s] != "-")
    if total != int(r["total"]):
        fail.append(f"{r['irq']}: stages {[(s, r[s]) for s in stages]} add up to {total}, total {r['total']}")
    if sum(j["stages"].values()) != j["latency"] or int(r["total"]) != j["latency"]:
        fail.append(f"{j['name']}: --json stages {j['stages']} vs latency {j['latency']}")
    if not re.fullmatch(r"d\d+v\d+|host", r["vcpu"]): fail.append(f"{r['irq']}: vCPU named {r['vcpu']}")
if delivered == 0: fail.append("no delivered interrupt to check")

# --- names: <device>#<n>, the same in --json and the trace ---
seq = {}
for j, t in zip(out["interrupts"], trace["interrupts"]):
    seq[j["device_name"]] = seq.get(j["device_name"], 0) + 1
    want = f"{j['device_name']}#{seq[j['device_name']]}"
    if j["name"] != want or t["name"] != want or t["tag"] != j["tag"]:
        fail.append(f"interrupt {j['tag']:#x}: --json {j['name']}, trace {t['name']}, expected {want}")

# --- the trace's vocabulary ---
for p in trace["units"]["pcpu"]:
    if p.get("apic_mode") not in ("xapic", "x2apic"): fail.append(f"{p['name']}: apic_mode {p.get('apic_mode')}")
enums = trace["enums"]
used = set()
for k in trace["kinds"]:
    for arg, en in k.get("enums", {}).items():
        if arg not in k["args"] or en not in enums: fail.append(f"kind {k['name']}: enums {arg} -> {en}")
        used.add(en)
if set(enums) != used: fail.append(f"enums no kind uses: {set(enums) - used}")
unnamed, counted, units = {}, 0, {u: {x["id"] for x in l} for u, l in trace["units"].items()}
for i, e in enumerate(trace["events"]):
    k = trace["kinds"][e[1]]
    if e[2] not in units.get(k["unit"], ()):
        fail.append(f"events[{i}] {k['name']}: unit {k['unit']}{e[2]} is not in units.{k['unit']}")
    for arg, en in k.get("enums", {}).items():
        a = k["args"].index(arg)
        if 4 + a >= len(e): continue
        counted += 1
        if str(e[4 + a]) not in enums[en]: unnamed.setdefault((k["name"], arg), set()).add(e[4 + a])
if unnamed: fail.append(f"values without a name: {unnamed}")
if counted == 0: fail.append("no enumerated value in the trace")

# --- violations: one cycle everywhere ---
tv = trace["violations"]
jv = out["violations"]
xv = [l for l in text if l.startswith("violation: ")]
if not (len(tv) == len(jv) == len(xv)): fail.append(f"violations: trace {len(tv)}, --json {len(jv)}, text {len(xv)}")
ok = trace["kinds"].index(next(k for k in trace["kinds"] if k["name"] == "oracle.violation"))
for t, j, x in zip(tv, jv, xv):
    m = re.match(r"violation: (\S+) at cycle (\d+)(?: \(detected at cycle (\d+)\))?", x)
    det = int(m.group(3) or m.group(2))
    if (m.group(1), int(m.group(2)), det) != (t["oracle"], t["cycle"], t["detected_cycle"]) or \
       (j["oracle"], j["cycle"], j["detected_cycle"]) != (t["oracle"], t["cycle"], t["detected_cycle"]):
        fail.append(f"violation: text {x[:80]!r}, --json {j['cycle']}/{j['detected_cycle']}, trace {t['cycle']}/{t['detected_cycle']}")
    if t["detected_cycle"] < t["cycle"]: fail.append(f"violation detected at {t['detected_cycle']} before {t['cycle']}")
    if "event" in t:
        e = trace["events"][t["event"]]
        if e[1] != ok or e[0] != t["detected_cycle"] or e[2] != 0 or enums["oracle"][str(e[4])] != t["oracle"]:
            fail.append(f"violation {t['oracle']} at {t['cycle']}: its event is {e}")
for l in text:
    if re.search(r" (handler|mode|reason|oracle|offset|word|writer|how|op|step|lock)=0x", l) or \
       re.search(r"hyp\.vcpu_state.* (old|new)=0x|\[vcpu\d+\]", l):
        fail.append(f"a number where a name belongs: {l.strip()}")
        break

hh = out["summary"]["hyp_handlers"]
if not hh or any(k.isdigit() or k == "unknown" for k in hh): fail.append(f"--json hyp_handlers not by name: {list(hh)}")
if not any(l.startswith("hypervisor handlers") and ("vmexit" in l or "control" in l) for l in text): fail.append("no handler line by name")

# --- exports ---
pf = open(base + ".perfetto.json").read()
for bad in (r'"handler":\d', r'"mode":\d', r'"state":\d', r'"oracle":\d', r'"reason":\d', r'"offset":\d'):
    if re.search(bad, pf): fail.append(f"Perfetto export has {bad}")
if not re.search(r'"name":"(root|non-root d\d+v\d+|idle|guest-hlt d\d+v\d+)"', pf): fail.append("Perfetto: no pCPU mode slice by name")
flows = set(re.findall(r'"ph":"s","name":"([^"]+)","cat":"irq"', pf))
if flows - {i["name"] for i in trace["interrupts"]}: fail.append(f"Perfetto flows not named by interrupt: {sorted(flows)[:3]}")
vcd = open(base + ".vcd").read()
for sig in ("mode_name", "state_name", "vcpu_name", "NDST_pcpu"):
    if not re.search(rf"\$var string 1 \S+ {sig} \$end", vcd): fail.append(f"VCD: no string signal {sig}")
if not re.search(r"^s(root|non-root|idle|guest-hlt) ", vcd, re.M): fail.append("VCD: no pCPU mode by name")

if fail:
    print(f"FAIL: {scenario}:"); [print("  " + f) for f in fail]; sys.exit(1)
print(f"ok: {scenario}: {len(rows)} rows ({delivered} delivered) add up over {stages}; {counted} enumerated values named; "
      f"{len(tv)} violation(s) agree")
EOF
}

check emulated scenarios/lifecycle/irq-mode-emulated.yaml
check apicv scenarios/lifecycle/irq-mode-apicv.yaml
check cpu-pi scenarios/lifecycle/irq-mode-cpu-pi.yaml
check blocked scenarios/lifecycle/nic-posted-blocked.yaml
check migrate scenarios/lifecycle/migrate-blocked.yaml
check host scenarios/lifecycle/offline-host-device.yaml
# xAPIC: NDST holds the APIC ID in bits 15:8.
sed 's/^machine: {pcpus: 1}/machine: {pcpus: 1, apic_mode: xapic}/' scenarios/lifecycle/nic-posted-blocked.yaml > "$d/xapic.yaml"
grep -q "apic_mode: xapic" "$d/xapic.yaml"
check xapic "$d/xapic.yaml"
# Violations: one detected when it arises (spurious_interrupt) and one
# detected at the first event after its deadline (lost_interrupt).
check stray scenarios/security/pir-stray-bit.yaml
sed '/^expect:/,$d' scenarios/basic/nic-posted-running.yaml > "$d/lost.yaml"
printf 'oracles: {delivery_bound: 100}\nexpect: {violations: [lost_interrupt]}\n' >> "$d/lost.yaml"
check lost "$d/lost.yaml"
grep -q "detected at cycle" "$d/lost.txt" || { echo "FAIL: no lost_interrupt detected after its deadline"; exit 1; }
# The xAPIC run's pCPUs say so, and the VCD decodes NDST by it: a blocked
# vCPU's NDST names pcpu0 (APIC ID 0) in both modes.
python3 -c "import json,sys; t=json.load(open('$d/xapic.trace.json')); sys.exit(0 if all(p['apic_mode']=='xapic' for p in t['units']['pcpu']) else 1)" ||
    { echo "FAIL: the xapic run's pCPUs are not xapic"; exit 1; }
for m in xapic blocked; do
    grep -q "^spcpu0 " "$d/$m.vcd" || { echo "FAIL: $m: the VCD's NDST_pcpu never names pcpu0"; exit 1; }
done
echo "vocabulary: ok"
