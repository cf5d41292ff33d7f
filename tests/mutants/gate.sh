#!/bin/bash
# gate.sh PISIM BASELINE MUTANT_DIR
#
# The CI latency gate on real cores: `pisim check --baseline BASELINE` passes
# with the built-in core and with the unpatched shared object
# (MUTANT_DIR/../hyp/libhyp.so), and fails (exit 1) with the slow_wakeup
# mutant, naming the wakeup-vector handler (pi_wakeup_handler) among the
# hypervisor functions whose cycles grew.
set -u
PISIM=$1
BASELINE=$2
MUTANT_DIR=$3
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
fail=0
out=$("$PISIM" check --baseline "$BASELINE" 2>&1); rc=$?
if [ $rc -ne 0 ]; then echo "gate: built-in core fails the gate (exit $rc):"; echo "$out"; fail=1; else echo "gate: built-in core passes"; fi
out=$("$PISIM" check --baseline "$BASELINE" --hyp "$MUTANT_DIR/../hyp/libhyp.so" 2>&1); rc=$?
if [ $rc -ne 0 ]; then echo "gate: libhyp.so fails the gate (exit $rc):"; echo "$out"; fail=1; else echo "gate: libhyp.so passes"; fi
out=$("$PISIM" check --baseline "$BASELINE" --hyp "$MUTANT_DIR/libhyp-slow_wakeup.so" 2>&1); rc=$?
if [ $rc -ne 1 ]; then echo "gate: slow_wakeup should fail with exit 1, got $rc:"; echo "$out"; fail=1
elif ! grep -q 'functions whose cycles grew:.*pi_wakeup_handler' <<<"$out"; then
  echo "gate: slow_wakeup fails but does not name pi_wakeup_handler:"; echo "$out"; fail=1
else echo "gate: slow_wakeup fails and names pi_wakeup_handler:"; grep -E 'REGRESSED|functions whose' <<<"$out" | head -5; fi
exit $fail
