#!/usr/bin/env bash
# same_timing.sh PISIM_A PISIM_B
#
# Two builds of pisim (e.g. build/ and the sanitized build-asan/) simulate
# every scenario of the library identically: the whole `pisim run --json`
# output is the same bytes, so every interrupt's steps and latency, the
# hypervisor cycles and the hash of the full event trace agree. Instrumenting
# a build must not change simulated time (hyp/CMakeLists.txt says how the
# sanitized core keeps its basic blocks).
set -uo pipefail
a=$1 b=$2
cd "$(dirname "$0")/../.."
source tests/scenarios/library.sh
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
fail=0 n=0
for s in "${LIBRARY[@]}"; do
  n=$((n + 1))
  "$a" run -q "$s" --json "$d/a.json"; ra=$?
  "$b" run -q "$s" --json "$d/b.json"; rb=$?
  if [[ $ra -ne $rb ]]; then
    echo "FAIL $s: exit $ra with $a, $rb with $b"; fail=1; continue
  fi
  if cmp -s "$d/a.json" "$d/b.json"; then
    python3 - "$s" "$d/a.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[2]))["summary"]
print(f"same {sys.argv[1]}: latency max {r['latency']['max']} p50 {r['latency']['p50']} cycles, "
      f"hyp {r['hyp_cycles']} cycles, trace {r['trace_hash']}")
PY
  else
    fail=1
    python3 - "$s" "$d/a.json" "$d/b.json" <<'PY'
import json, sys
a, b = (json.load(open(f))["summary"] for f in sys.argv[2:])
print(f"FAIL {sys.argv[1]}: outputs differ: latency max {a['latency']['max']} vs {b['latency']['max']}, "
      f"p50 {a['latency']['p50']} vs {b['latency']['p50']}, hyp {a['hyp_cycles']} vs {b['hyp_cycles']} cycles, "
      f"trace {a['trace_hash']} vs {b['trace_hash']}")
PY
  fi
done
echo "$n scenarios compared"
((n > 0)) || fail=1
exit $fail
