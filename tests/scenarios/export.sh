#!/usr/bin/env bash
# pisim export on a real trace: the Perfetto JSON loads, its slices nest per
# thread, every flow (interrupt tag) has a start and an end bound to a step
# slice, timestamps never go back on a track, counters cover every vCPU; the
# VCD follows the IEEE 1364 grammar and declares every signal. Both outputs are
# the same bytes on a second export. Enumerations' names are GTKWave string
# signals ($var string, s<text> changes) beside their IEEE 1364 vectors.
# GTKWave's vcd2fst/fst2vcd, when installed, must read the VCD back with the
# same values, the strings included.
set -euo pipefail
pisim=$1 scenario=$2
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
"$pisim" run "$scenario" -q --trace "$d/trace.json"
"$pisim" export "$d/trace.json" --perfetto "$d/out.json" --vcd "$d/out.vcd"
"$pisim" export "$d/trace.json" --perfetto "$d/out2.json"
"$pisim" export "$d/trace.json" --vcd "$d/out2.vcd"
cmp "$d/out.json" "$d/out2.json"
cmp "$d/out.vcd" "$d/out2.vcd"
# Bad usage and bad input exit 2 and write nothing.
if "$pisim" export "$d/trace.json" 2>/dev/null; then echo "export without outputs succeeded" >&2; exit 1; fi
echo '{"format":"something-else"}' > "$d/bad.json"
rc=0; "$pisim" export "$d/bad.json" --vcd "$d/bad.vcd" 2>"$d/err.txt" || rc=$?
test "$rc" = 2 && grep -q 'pisim-trace' "$d/err.txt" && test ! -e "$d/bad.vcd"

python3 - "$d/trace.json" "$d/out.json" "$d/out.vcd" <<'PY'
import json, re, sys
trace = json.load(open(sys.argv[1]))
doc = json.load(open(sys.argv[2]))
assert doc["displayTimeUnit"] == "ns"
ev = doc["traceEvents"]
names = {}
for e in ev:
    if e["ph"] == "M" and e["name"] == "thread_name":
        names[(e["pid"], e["tid"])] = e["args"]["name"]
want = [u["name"] for k in ("pcpu", "vcpu", "vtd", "dev") for u in trace["units"][k]]
assert sorted(names.values()) == sorted(want), (names, want)
procs = {e["args"]["name"] for e in ev if e["ph"] == "M" and e["name"] == "process_name"}
assert {"pCPUs", "vCPUs", "VT-d", "NIC"} <= procs, procs

def ns(ts):  # "12.345" us -> 12345 cycles, exactly
    s = json.dumps(ts)
    whole, _, frac = s.partition(".")
    assert len(frac) <= 3, s
    return int(whole) * 1000 + int((frac + "000")[:3])

last, stacks, flows, bound = {}, {}, {}, 0
for e in ev:
    if e["ph"] == "M":
        continue
    key = (e["pid"], e["tid"])
    assert key in names, e
    t = ns(e["ts"])
    assert t >= last.get(key, 0), ("ts goes back", e)
    last[key] = t
    st = stacks.setdefault(key, [])
    while st and st[-1][1] <= t and not (e["ph"] in "stf" and st[-1][0] == t):
        st.pop()
    if e["ph"] == "X":
        end = t + ns(e["dur"])
        assert e["dur"] > 0
        while st and st[-1][1] <= t:
            st.pop()
        assert not st or end <= st[-1][1], ("slice crosses its parent", e, st[-1])
        st.append((t, end, e["name"]))
    elif e["ph"] in "stf":
        # bound to the step slice just opened on the same thread at the same ts
        assert st and st[-1][0] == t and st[-1][1] == t + 1, ("flow without its step slice", e)
        flows.setdefault(e["id"], []).append((e["ph"], t, key))
        bound += 1
assert flows, "no flows"
tags = {("0x%x" % int(i["tag"], 16) if isinstance(i["tag"], str) else "0x%x" % i["tag"]): i for i in trace["interrupts"]}
for fid, pts in flows.items():
    phs = [p[0] for p in pts]
    assert phs[0] == "s" and phs[-1] == "f" and all(p == "t" for p in phs[1:-1]), (fid, phs)
    assert fid in tags, fid
    irq = tags[fid]
    # every step of the interrupt is located on its unit's track
    assert len(pts) == len(irq["steps"]), (fid, [p[0] for p in pts], irq["steps"])
    if irq["delivered"]:
        # device write on the NIC to guest ISR entry on the vCPU
        assert pts[0][1] == irq["steps"][0]["cycle"] and pts[-1][1] == irq["steps"][0]["cycle"] + irq["latency"], (fid, pts, irq)
        assert names[pts[0][2]].startswith("nic") or pts[0][2][0] == 4
        assert pts[-1][2][0] == 2, (fid, pts)
delivered = sum(1 for i in trace["interrupts"] if i["delivered"])
assert len(flows) >= delivered, (len(flows), delivered)
counters = {e["name"] for e in ev if e["ph"] == "C"}
kind = {k["name"]: i for i, k in enumerate(trace["kinds"])}
for v in trace["units"]["vcpu"]:
    mine = [e for e in trace["events"] if e[2] == v["id"] and trace["kinds"][e[1]]["unit"] == "vcpu"]
    if any(e[1] == kind["pid.update"] and e[5] == 4 for e in mine):
        assert v["name"] + " PID" in counters, (v, counters)
    if any(e[1] == kind["cpu.vapic"] for e in mine):
        assert v["name"] + " vAPIC" in counters, (v, counters)
slices = {e["name"].split(" ")[0] for e in ev if e["ph"] == "X"}
assert {"root", "non-root", "running", "hyp", "isr"} <= slices, slices
print(f"perfetto: {len(ev)} events, {len(flows)} flows ({bound} flow points), {len(counters)} counter tracks")

# VCD: IEEE 1364-2005 18.2 grammar for the header, then time-ordered value changes.
text = open(sys.argv[3]).read()
toks = text.split()
i, ids, scopes, depth, strings = 0, {}, [], 0, set()
def until_end(i):
    j = toks.index("$end", i)
    return j + 1
while toks[i] != "$enddefinitions":
    kw = toks[i]
    if kw in ("$version", "$comment", "$date"):
        i = until_end(i + 1)
    elif kw == "$timescale":
        assert toks[i + 1:i + 4] == ["1", "ns", "$end"], toks[i:i + 4]
        i += 4
    elif kw == "$scope":
        assert toks[i + 1] in ("module", "task", "function", "begin", "fork") and toks[i + 3] == "$end"
        assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_$]*", toks[i + 2]), toks[i + 2]
        scopes.append(toks[i + 2]); depth += 1; i += 4
    elif kw == "$upscope":
        assert toks[i + 1] == "$end" and depth > 0
        scopes.pop(); depth -= 1; i += 2
    elif kw == "$var":
        j = until_end(i)
        body = toks[i + 1:j - 1]
        vtype, size, code, ref = body[0], int(body[1]), body[2], body[3:]
        # IEEE 1364 types, and GTKWave's `string` for an enumeration's name
        assert vtype in ("reg", "wire", "integer", "string") and size > 0 and depth > 0
        if vtype == "string":
            strings.add(code)
        assert all(33 <= ord(c) <= 126 for c in code) and code not in ids
        assert len(ref) == 1 or (len(ref) == 2 and re.fullmatch(r"\[\d+:0\]", ref[1]) and int(ref[1][1:-3]) == size - 1), ref
        ids[code] = (".".join(scopes + [ref[0]]), size)
        i = j
    else:
        raise AssertionError("unexpected header token " + kw)
assert toks[i + 1] == "$end" and depth == 0
body = toks[i + 2:]
assert body[0] == "#0" and body[1] == "$dumpvars"
k = 2
dumped = set()
while body[k] != "$end":
    m = re.fullmatch(r"([01xz])(.+)", body[k])
    if body[k][0] in "bB":
        code = body[k + 1]; k += 2
        assert re.fullmatch(r"b([01]+|x)", body[k - 2]), body[k - 2]
    elif body[k][0] == "s":
        code = body[k + 1]; k += 2
        assert code in strings, (body[k - 2], code)
    else:
        assert m, body[k]; code = m.group(2); k += 1
    assert code in ids; dumped.add(code)
k += 1
assert dumped == set(ids), "dumpvars must set every signal"
t, changes = 0, 0
while k < len(body):
    tok = body[k]
    if tok.startswith("#"):
        nt = int(tok[1:]); assert nt > t, ("time goes back", nt, t); t = nt; k += 1
    elif tok[0] in "bB":
        assert re.fullmatch(r"b([01]+|x)", tok) and body[k + 1] in ids; k += 2; changes += 1
    elif tok[0] == "s":
        assert len(tok) > 1 and body[k + 1] in strings; k += 2; changes += 1
    else:
        assert tok[0] in "01xz" and tok[1:] in ids, tok; k += 1; changes += 1
assert t == trace["end_cycle"], (t, trace["end_cycle"])
declared = {n for n, _ in ids.values()}
for p in trace["units"]["pcpu"]:
    assert {f"pisim.{p['name']}.{s}" for s in ("mode", "mode_name", "vcpu", "vcpu_name")} <= declared
for v in trace["units"]["vcpu"]:
    for s in ("state", "state_name", "ON", "SN", "NV", "NDST", "NDST_apic_id", "NDST_pcpu", "RVI", "SVI"):
        assert f"pisim.{v['name']}.{s}" in declared, (v, s)
assert changes > 0
print(f"vcd: {len(ids)} signals, {changes} value changes, last time #{t}")
PY

if command -v vcd2fst >/dev/null && command -v fst2vcd >/dev/null; then
  vcd2fst "$d/out.vcd" "$d/out.fst" >/dev/null
  fst2vcd "$d/out.fst" > "$d/back.vcd" 2>/dev/null
  # Same value changes at the same times, whatever the order within a time.
  norm() { sed -n '/\$enddefinitions/,$p' "$1" | grep -v '^\$' | awk '/^#/{t=$0; next} {print t, $0}' | sed -E 's/ b0*([01])/ b\1/; s/ bx+ / bx /' | sort; }
  diff <(norm "$d/out.vcd") <(norm "$d/back.vcd") > "$d/diff.txt" || { head -20 "$d/diff.txt" >&2; echo "GTKWave reads different values" >&2; exit 1; }
  echo "gtkwave vcd2fst/fst2vcd: same value changes"
fi
echo "export ok"
