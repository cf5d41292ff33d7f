#!/usr/bin/env bash
# Every ```yaml example of docs/scenario-format.md is a complete scenario that
# `pisim validate` accepts and scenarios/schema.json validates.
set -euo pipefail
PISIM=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
printf '150000\n250000\n250000\n400000\n' > "$dir/arrivals.txt"  # the traffic example's file
/usr/bin/python3 - "$dir" <<'PY'
import json, re, sys, yaml, jsonschema
out = sys.argv[1]
blocks = re.findall(r"^```yaml\n(.*?)^```", open("docs/scenario-format.md").read(), re.S | re.M)
if len(blocks) < 10:
    sys.exit(f"docs/scenario-format.md: expected an example per section, found {len(blocks)}")
v = jsonschema.Draft202012Validator(json.load(open("scenarios/schema.json")))
for i, b in enumerate(blocks):
    open(f"{out}/example{i:02d}.yaml", "w").write(b)
    errs = list(v.iter_errors(yaml.safe_load(b)))
    if errs:
        sys.exit(f"docs/scenario-format.md example {i + 1}: schema: {errs[0].message} at {list(errs[0].absolute_path)}")
print(f"format_examples: {len(blocks)} examples valid against the schema")
PY
n=0
for f in "$dir"/example*.yaml; do
    if ! out=$("$PISIM" validate "$f" 2>&1); then
        echo "docs/scenario-format.md example $(basename "$f" .yaml | tr -dc 0-9 | sed 's/^0*//;s/^$/0/') (0-based): $out" >&2
        exit 1
    fi
    n=$((n + 1))
done
echo "format_examples: $n examples pass pisim validate"
