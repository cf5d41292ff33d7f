#!/usr/bin/env bash
# A sweep gives the same table, results and trace hashes for any --jobs, and
# the merge of its shards is byte-identical to the unsharded run.
set -euo pipefail
pisim=$1 scenario=$2 vary=$3
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
"$pisim" sweep "$scenario" --vary "$vary" -j1 -o "$d/j1" > "$d/j1.txt" 2>/dev/null || true
"$pisim" sweep "$scenario" --vary "$vary" -j3 -o "$d/j3" > "$d/j3.txt" 2>/dev/null || true
cmp "$d/j1.txt" "$d/j3.txt"
cmp "$d/j1/results.json" "$d/j3/results.json"
for k in 1 2 3; do
  "$pisim" sweep "$scenario" --vary "$vary" -j2 --shard "$k/3" -o "$d/s$k" > /dev/null 2>&1 || true
done
"$pisim" merge "$d/s1" "$d/s2" "$d/s3" -o "$d/merged" > "$d/merged.txt" || true
cmp "$d/j1/results.json" "$d/merged/results.json"
cmp "$d/j1/results.tsv" "$d/merged/results.tsv"
cmp "$d/j1.txt" "$d/merged.txt"
points=$(python3 -c "import json,sys; r=json.load(open('$d/j1/results.json')); print(len(r['results']))")
hashes=$(python3 -c "import json,sys; r=json.load(open('$d/j1/results.json')); print(len({x['trace_hash'] for x in r['results']}))")
echo "sweep: $points points identical for -j1, -j3 and 3 merged shards ($hashes distinct traces)"
