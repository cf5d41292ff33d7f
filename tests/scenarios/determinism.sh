#!/usr/bin/env bash
# Same scenario and seed twice: stdout, --json and --trace must be identical bytes.
set -euo pipefail
pisim=$1 scenario=$2
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
for i in 1 2; do
  "$pisim" run "$scenario" --json "$d/run$i.json" --trace "$d/trace$i.json" > "$d/out$i.txt"
done
cmp "$d/out1.txt" "$d/out2.txt"
cmp "$d/run1.json" "$d/run2.json"
cmp "$d/trace1.json" "$d/trace2.json"
test -s "$d/trace1.json"
echo "identical: $(sha256sum < "$d/trace1.json" | cut -c1-16) ($(wc -c < "$d/trace1.json") bytes of trace)"
