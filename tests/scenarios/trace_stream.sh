#!/usr/bin/env bash
# The trace is streamed while the run proceeds and published atomically:
#  - a run stopped by --max-cycles exits 3 and leaves a complete trace marked
#    truncated, its events ordered by cycle, one per emitted event, and
#    nothing else in the directory;
#  - while the run proceeds the events grow in an unlinked scratch file beside
#    the trace; a run killed then leaves no file at all;
#  - an unwritable trace path is refused before the run (exit 2, path named).
set -euo pipefail
pisim=$1 scenario=$2
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT

mkdir "$d/cut"
rc=0; "$pisim" run "$scenario" --summary --max-cycles 4000000 --trace "$d/cut/t.json" > "$d/cut.txt" || rc=$?
test "$rc" = 3
test "$(ls -A "$d/cut")" = t.json
events=$(sed -n 's/^events: \([0-9]*\),.*/\1/p' "$d/cut.txt")
python3 - "$d/cut/t.json" "$events" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
assert t["truncated"] is True and t["end_cycle"] == 4000000, (t["truncated"], t["end_cycle"])
ev = t["events"]
assert len(ev) == int(sys.argv[2]) and len(ev) > 1000, (len(ev), sys.argv[2])
cycles = [e[0] for e in ev]
assert cycles == sorted(cycles), "events out of cycle order"
assert t["interrupts"] and not t["violations"]
PY

# Killed while streaming: wait until the scratch file (unlinked, so only
# visible among the process's open files) has grown, then kill.
mkdir "$d/kill"
"$pisim" run "$scenario" -q --trace "$d/kill/t.json" &
pid=$!
grown=0
for _ in $(seq 1 600); do
  for fd in /proc/$pid/fd/*; do
    target=$(readlink "$fd" 2>/dev/null || true)
    case "$target" in
      "$d/kill/.pisim-scratch."*"(deleted)")
        if [ "$(stat -L -c %s "$fd" 2>/dev/null || echo 0)" -gt 1000000 ]; then grown=1; fi ;;
    esac
  done
  [ "$grown" = 1 ] && break
  sleep 0.05
done
test "$grown" = 1 || { echo "no growing scratch file seen while the run proceeded" >&2; kill "$pid"; exit 1; }
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
test -z "$(ls -A "$d/kill")" || { ls -la "$d/kill" >&2; echo "a killed run left files" >&2; exit 1; }

# An unwritable path fails before simulating anything.
rc=0; "$pisim" run "$scenario" -q --trace "$d/missing/t.json" 2> "$d/err.txt" || rc=$?
test "$rc" = 2
grep -q "cannot write $d/missing/t.json" "$d/err.txt"
test ! -e "$d/missing"
echo "ok: truncated trace complete and ordered ($events events), killed run left nothing, bad path refused"
