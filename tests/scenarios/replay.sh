#!/usr/bin/env bash
# replay.sh PISIM MUTANT_DIR
#
# Failures replay as failures, mistakes are caught before running, and the
# outputs fit a pull request (README "Sweeps", "The CI latency gate"):
#  - a sweep with --hyp writes point files that name the pisim and the core
#    (comment lines and a `provenance:` key), keep the scenario's comments,
#    and quote bdf so that PyYAML reads "01:00.0", not 60.0; results.json
#    names them too;
#  - `pisim run` of such a point without --hyp warns that another core runs
#    it (and it passes there); with --hyp it fails again, without a warning;
#  - a bad --vary path or value is refused (exit 2) before any point runs;
#  - with -o, sweep prints a summary (not one line per point), failing points
#    without latencies show '-', and merge prints the same summary;
#  - traffic that never fires and a pass with 0 interrupts are warned about;
#  - `pisim check` runs from another directory (the baseline's scenarios are
#    relative to it), its Markdown starts with a one-line verdict naming the
#    core, a regression's identical deltas share one row, and JUnit classnames
#    carry no dot of a file name.
set -uo pipefail
pisim=$(realpath "$1") mutants=$(realpath "$2")
root=$(pwd)
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
fail=0
bad() { echo "FAIL $*"; fail=1; }
ok() { echo "ok   $*"; }

core=$mutants/libhyp-block_check_before_add.so
sc=scenarios/races/block-check-order.yaml

# 1. A sweep with --hyp: provenance, comments, quoting.
"$pisim" sweep $sc --vary events.1.at=131983:132183:10 --hyp "$core" -j 2 -o "$d/sw" --minimize > "$d/sw.txt" 2> "$d/sw.err"; rc=$?
[ $rc = 1 ] || bad "sweep with the mutant: exit $rc, want 1: $(tail -3 "$d/sw.err")"
point=$(ls "$d"/sw/point-*[0-9].yaml | head -1)
[ -n "$point" ] || bad "sweep with the mutant wrote no point file"
python3 - "$d/sw" "$point" "$core" "$root/$sc" <<'PY' && ok "point files and results.json name pisim and the core; comments kept; bdf stays a string" || fail=1
import json, sys, yaml, glob, subprocess
out, point, core, src = sys.argv[1:]
bid = subprocess.run(["readelf", "-n", core], capture_output=True, text=True).stdout.split("Build ID:")[1].split()[0]
res = json.load(open(f"{out}/results.json"))
assert res["core"] == {"path": core, "build_id": bid}, res["core"]
assert res["pisim"] and "--hyp" in res["command"], res
for f in glob.glob(f"{out}/point-*.yaml"):
    text = open(f).read()
    doc = yaml.safe_load(text)  # a YAML 1.1 reader
    p = doc["provenance"]
    assert p["core"] == {"path": core, "build_id": bid}, (f, p)
    assert p["pisim"] == res["pisim"] and isinstance(p["seed"], int), (f, p)
    assert all(isinstance(dev["bdf"], str) for dev in doc.get("devices", [])), (f, [dev["bdf"] for dev in doc["devices"]])
    assert "# pisim: replay: pisim run THIS_FILE --hyp " + core in text, f
# A sweep point keeps the scenario's comments.
first = [l for l in open(src) if l.startswith("#")][0]
assert first in open(point).read(), "the scenario's first comment is not in " + point
PY

# 2. Replay: without --hyp a warning (another core), with it the failure.
"$pisim" run "$point" --summary > "$d/r1.txt" 2> "$d/r1.err"; rc=$?
if grep -q "warning: this file was produced by pisim .* with the core $core" "$d/r1.err" && grep -q -- "give --hyp $core" "$d/r1.err"; then
  ok "run without --hyp warns that another core runs the point (exit $rc)"
else bad "run without --hyp: no warning naming the core: $(cat "$d/r1.err")"; fi
"$pisim" run "$point" --summary --hyp "$core" > "$d/r2.txt" 2> "$d/r2.err"; rc=$?
[ $rc = 1 ] && ! grep -q warning "$d/r2.err" && ok "run with the recorded core fails again, no warning" \
  || bad "run with --hyp: exit $rc, stderr: $(cat "$d/r2.err")"

# 3. Bad --vary: refused before any point runs.
for v in events.9.at=1:2 events.0.cycle=1:2 devices.0.name=1:2 events.1.at=100:900000; do
  "$pisim" sweep $sc --vary "$v" -j 2 -o "$d/bad" > "$d/b.txt" 2> "$d/b.err"; rc=$?
  if [ $rc = 2 ] && grep -q -- "--vary ${v%%=*}" "$d/b.err" && ! grep -q "points" "$d/b.err" && [ ! -e "$d/bad/results.json" ]; then
    ok "--vary $v refused before any point ran: $(head -1 "$d/b.err")"
  else bad "--vary $v: exit $rc: $(cat "$d/b.err")"; fi
done

# 4. Output sized for a pull request: 21 points, a summary of a few lines.
lines=$(wc -l < "$d/sw.txt")
# (more than 10 of the 21 points fail: the list of failing points is cut at 10)
[ "$lines" -le 16 ] && grep -Eq "^points: 21, passing [0-9]+, failing (1[1-9]|2[01])," "$d/sw.txt" \
  && grep -q "^first 10 of " "$d/sw.txt" && ok "sweep -o prints $lines lines for 21 points" \
  || bad "sweep -o printed $lines lines: $(cat "$d/sw.txt")"
"$pisim" sweep scenarios/races/block-during-post.yaml --vary devices.0.queues.0.traffic.start=100000:400000:300000 -j 2 -o "$d/none" > "$d/none.txt" 2> "$d/none.err"
grep -E "^ +1 .* FAIL .* 0 +0 +- +- " "$d/none.txt" > /dev/null && ok "a failing point without interrupts shows '-' latencies" \
  || bad "latencies of a point without interrupts: $(cat "$d/none.txt")"
python3 -c "import json,sys; r=json.load(open('$d/none/results.json'))['results'][1]; sys.exit(r['p99'] is not None or r['max'] is not None)" \
  && ok "results.json: null latencies for it" || bad "results.json latencies of a point without interrupts are not null"
for k in 1 2; do "$pisim" sweep $sc --vary events.1.at=131983:132183:10 --hyp "$core" -j 2 --shard $k/2 -o "$d/s$k" > /dev/null 2>&1; done
"$pisim" merge "$d/s1" "$d/s2" -o "$d/merged" > "$d/merged.txt" 2>/dev/null
cmp -s "$d/sw.txt" "$d/merged.txt" && ok "merge prints the sweep's summary, not the table" || bad "merge output differs: $(diff "$d/sw.txt" "$d/merged.txt")"

# 5. Warnings: traffic that never fires; a pass with 0 interrupts.
cat > "$d/never.yaml" <<'Y'
duration: 200000
domains:
  - id: 1
    vcpus:
      - workload: {program: [{compute: 10000}]}
devices:
  - name: nic0
    bdf: "01:00.0"
    domain: 1
    queues:
      - bind: {vcpu: d1v0, vector: 0x40}
        traffic: {kind: constant, start: 300000, interval: 50000, count: 5}
expect: {all_delivered: true}
Y
"$pisim" run "$d/never.yaml" -q 2> "$d/n.err"; rc=$?
grep -q "never.yaml:12:18: warning: the traffic of device 'nic0' queue 0 never fires within the run: it starts at cycle 300000" "$d/n.err" \
  && grep -q "warning: passed with 0 device interrupts" "$d/n.err" && [ $rc = 0 ] \
  && ok "traffic that never fires and a pass with 0 interrupts are warned about" || bad "warnings (exit $rc): $(cat "$d/n.err")"
"$pisim" check "$d/never.yaml" --baseline "$d/never-baseline.yaml" --update-baseline > /dev/null 2> "$d/c.err"
grep -q "never.yaml:12:18: warning: the traffic of device 'nic0' queue 0 never fires" "$d/c.err" \
  && ok "check repeats the scenario's warnings" || bad "check said no warning: $(cat "$d/c.err")"

# 6. pisim check from another directory; Markdown and JUnit.
(cd "$d" && "$pisim" check --baseline "$root/scenarios/baseline.yaml" --markdown ok.md --junit ok.xml > ok.txt 2> ok.err); rc=$?
[ $rc = 0 ] && head -1 "$d/ok.md" | grep -q '^:white_check_mark: \*\*pisim check: no regression\*\* in 22 scenario' \
  && grep -q "core \`built-in" "$d/ok.md" && ok "check from another directory passes; verdict line first" \
  || bad "check from $d: exit $rc: $(tail -3 "$d/ok.err") $(head -3 "$d/ok.md")"
grep -o 'classname="[^"]*"' "$d/ok.xml" | grep -q 'yaml' && bad "JUnit classname holds a file name's dot" \
  || ok "JUnit classnames: $(grep -o 'classname="[^"]*"' "$d/ok.xml" | head -1)"
(cd "$d" && "$pisim" check --baseline "$root/scenarios/baseline.yaml" --hyp "$mutants/libhyp-slow_wakeup.so" --markdown slow.md > slow.txt 2>&1); rc=$?
rows=$(grep -c '^| REGRESSED' "$d/slow.md")
metrics=$(grep -o '(\([0-9]*\) metric(s))' "$d/slow.md" | tr -dc 0-9)
if [ $rc = 1 ] && head -1 "$d/slow.md" | grep -q '^:x: \*\*pisim check: 9 of 22 scenario(s) regressed' && [ "$rows" -lt "$metrics" ] \
   && grep -q "libhyp-slow_wakeup.so (build id" "$d/slow.md" && grep -q '`pi_wakeup_handler` 9' "$d/slow.md"; then
  ok "check with slow_wakeup: verdict first, $metrics regressed metrics in $rows rows of identical deltas"
else bad "check with slow_wakeup: exit $rc, rows $rows, metrics $metrics: $(head -8 "$d/slow.md")"; fi

(cd "$d" && printf 'duration: 100\ndomains: 5\n' > broken.yaml && "$pisim" check broken.yaml --baseline "$root/scenarios/baseline.yaml" > /dev/null 2> broken.err); rc=$?
[ $rc = 2 ] && grep -q '^broken.yaml:2:10: error: expected domains' "$d/broken.err" && [ "$(grep -o 'error:' "$d/broken.err" | wc -l)" = 1 ] \
  && ok "a bad scenario in check: one file:line:column prefix" || bad "check of a bad scenario: exit $rc: $(cat "$d/broken.err")"
exit $fail
