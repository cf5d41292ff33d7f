#!/usr/bin/env bash
# Each file in the bad-scenario corpus must make `pisim validate` and
# `pisim run` exit 2 with one line "FILE:LINE:COL: error: ..." whose position
# and text match the file's "# expect: LINE:COL: TEXT" header.
set -uo pipefail
pisim=$1 dir=$2
fail=0 n=0
for f in "$dir"/*.yaml; do
  n=$((n+1))
  want=$(sed -n 's/^# expect: //p' "$f" | head -1)
  pos=${want%%: *} text=${want#*: }
  for cmd in validate run; do
    if [[ $cmd == run ]]; then
      out=$("$pisim" run "$f" --json "/tmp/pisim-bad-$$.json" 2>&1 >/dev/null); rc=$?
    else
      out=$("$pisim" validate "$f" 2>&1 >/dev/null); rc=$?
    fi
    lines=$(printf '%s\n' "$out" | wc -l)
    if [[ $rc -ne 2 || $lines -ne 1 || "$out" != "$f:$pos: error: "*"$text"* ]]; then
      echo "FAIL $cmd $f: exit $rc, got: $out"; echo "     want: $f:$pos: error: ...$text..."; fail=1
    fi
  done
  if [[ -e /tmp/pisim-bad-$$.json ]]; then echo "FAIL $f: partial output left behind"; fail=1; rm -f /tmp/pisim-bad-$$.json; fi
done
echo "$n bad scenarios checked"
exit $fail
