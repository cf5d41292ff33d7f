#!/usr/bin/env bash
# security_sweep.sh PISIM SCENARIO POINTS
#
# The isolation oracle (and every other expectation) holds at every point of
# a random sweep of a scenario with a hostile device: `pisim sweep --random
# POINTS --seed 1 -j2` places each timed event anywhere in the run. Prints
# the wall and CPU time it took.
set -uo pipefail
pisim=$1 scenario=$2 points=$3
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
start=$(date +%s)
/usr/bin/time -f "%U %S" -o "$d/cpu" "$pisim" sweep "$scenario" --random "$points" --seed 1 -j2 -o "$d/out" > "$d/table.txt" 2>/dev/null
rc=$?
wall=$(( $(date +%s) - start ))
tail -1 "$d/table.txt"
read -r user sys < "$d/cpu"
echo "sweep of $points points: ${wall} s wall, ${user} s user + ${sys} s system CPU"
python3 - "$d/out/results.json" "$rc" "$points" <<'PY'
import json, sys
r, rc, n = json.load(open(sys.argv[1])), int(sys.argv[2]), int(sys.argv[3])
res = r["results"]
bad = [p for p in res if p["exit_code"] != 0 or p["violated"]]
if rc != 0 or len(res) != n or bad:
    p = bad[0] if bad else {}
    sys.exit(f"FAIL: exit {rc}, {len(res)} points, {len(bad)} failing; first: {p.get('set')} {p.get('violated')} {p.get('failures')} {p.get('error', '')}")
print(f"ok   isolation held at all {n} points")
PY
