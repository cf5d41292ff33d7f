#!/usr/bin/env bash
# tests/mutants/model/check_apply.sh - every model mutant still applies to the
# tree (patch --dry-run -p1 from the repository root), so that the patches do
# not rot as model/ changes. The mutation run itself is run.sh, by hand.
set -u
repo=$(cd "$(dirname "$0")/../../.." && pwd)
n=0
bad=0
for p in "$repo"/tests/mutants/model/*.patch; do
  n=$((n + 1))
  if ! patch --dry-run --quiet -p1 -d "$repo" -i "$p" >/dev/null; then
    echo "does not apply: $(basename "$p")"
    bad=$((bad + 1))
  fi
done
echo "$((n - bad)) of $n model mutants apply"
((n > 0 && bad == 0))
