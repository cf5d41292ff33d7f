#!/usr/bin/env bash
# Every scenario in the repository validates against scenarios/schema.json,
# and the bad-scenario corpus entries that are schema errors are rejected.
set -euo pipefail
/usr/bin/python3 - "$@" <<'PY'
import glob, json, sys, yaml, jsonschema
schema = json.load(open("scenarios/schema.json"))
jsonschema.Draft202012Validator.check_schema(schema)
v = jsonschema.Draft202012Validator(schema)
files = sorted(f for f in glob.glob("scenarios/**/*.yaml", recursive=True) + glob.glob("bench/*.yaml")
               if not f.endswith("/baseline.yaml"))
for f in files:
    errs = list(v.iter_errors(yaml.safe_load(open(f))))
    if errs:
        sys.exit(f"{f}: {errs[0].message} at {list(errs[0].absolute_path)}")
for f, why in [("tests/bad-scenarios/unknown-key.yaml", "Additional properties"),
               ("tests/bad-scenarios/vector-out-of-range.yaml", "less than the minimum"),
               ("tests/bad-scenarios/wrong-type.yaml", "not of type")]:
    errs = [e.message for e in v.iter_errors(yaml.safe_load(open(f)))]
    if not any(why in e for e in errs):
        sys.exit(f"{f}: expected a schema error containing '{why}', got {errs}")
print(f"schema: {len(files)} scenarios valid, 3 bad ones rejected")
PY
