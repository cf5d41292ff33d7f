# tests/scenarios/library.sh - sourced by the scenario tests that run the whole
# scenario library (run from the repository root): LIBRARY holds its files,
# in a stable order.
LIBRARY=()
for f in scenarios/basic/*.yaml scenarios/lifecycle/*.yaml scenarios/races/*.yaml scenarios/security/*.yaml; do
  if [[ -e $f ]]; then LIBRARY+=("$f"); fi
done
