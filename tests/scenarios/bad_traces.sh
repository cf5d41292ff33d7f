#!/usr/bin/env bash
# The three trace readers agree and fail clearly. Each file of the bad-trace
# corpus (tests/bad-traces, what it must say in EXPECT) makes `pisim report`,
# `pisim view` and `pisim export` exit 2 with one line "FILE:LINE:COL: error:
# ..." naming the JSON path of the bad field (a JSON syntax error: its line and
# column), and write nothing. A valid trace re-indented with its keys in
# another order is accepted by all three. A trace over the size cap, a FIFO,
# and a scenario over the YAML cap are refused before they are read.
set -uo pipefail
pisim=$1 dir=$2
d=$(mktemp -d)
view_pid=
trap 'rm -rf "$d"; [[ -n $view_pid ]] && kill "$view_pid" 2>/dev/null' EXIT
fail=0 n=0

# run NAME CMD...: the command's exit code in $rc, its stderr in $d/err.
run() {
  rc=0
  timeout 20 "$pisim" "$@" >"$d/out" 2>"$d/err" || rc=$?
}

# refused FILE WANT CMD...: exit 2, one line "FILE:L:C: error: ..." saying WANT, no output.
refused() {
  local file=$1 want=$2; shift 2
  n=$((n + 1))
  rm -f "$d/o.html" "$d/o.vcd" "$d/o.json"
  run "$@"
  local msg; msg=$(cat "$d/err")
  local why=
  if ((rc != 2)); then why="exit $rc, want 2"
  elif (($(wc -l <"$d/err") != 1)); then why="want one line"
  elif [[ $want == SYNTAX ]]; then
    [[ $msg =~ ^"$file":[1-9][0-9]*:[1-9][0-9]*:\ error:\ not\ a\ JSON\ document:\ syntax\ error ]] || why="want a syntax error with its line and column"
  elif [[ $msg != "$file:"*": error: "*"$want"* ]]; then why="want '$want'"
  fi
  [[ -z $why && ( -e $d/o.html || -e $d/o.vcd || -e $d/o.json ) ]] && why="wrote an output"
  if [[ -n $why ]]; then
    echo "FAIL: pisim $*: $why; got: $msg" >&2
    fail=$((fail + 1))
  fi
}

refused_by_all() {  # FILE WANT [OPTIONS...]
  local file=$1 want=$2; shift 2
  refused "$file" "$want" report "$file" -o "$d/o.html" "$@"
  refused "$file" "$want" view "$file" --port 0 "$@"
  refused "$file" "$want" export "$file" --vcd "$d/o.vcd" --perfetto "$d/o.json" "$@"
}

while IFS=$'\t' read -r file want; do
  [[ -z $file || $file == \#* ]] && continue
  refused_by_all "$dir/$file" "$want"
done <"$dir/EXPECT"

# A syntax error says where the parser stopped: after the missing comma of line 3, at the end
# of the unexpected string "scenario" (line 4, column 11).
run export "$dir/syntax-missing-comma.json" --vcd "$d/o.vcd"
grep -q "^$dir/syntax-missing-comma.json:4:11: error:" "$d/err" || { echo "FAIL: syntax error position: $(cat "$d/err")" >&2; fail=$((fail + 1)); }

# A valid trace, re-indented, keys sorted, padded past 1 MiB with whitespace: accepted by all three.
"$pisim" run -q scenarios/basic/nic-posted-running.yaml --trace "$d/t.json" || exit 1
python3 - "$d/t.json" "$d/pretty.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
with open(sys.argv[2], "w") as f:
    json.dump(doc, f, indent=3, sort_keys=True)
    f.write(" " * (1 << 20) + "\n")
PY
accepted() {
  n=$((n + 1))
  run "$@"
  if ((rc != 0)); then echo "FAIL: pisim $*: exit $rc on a valid trace: $(cat "$d/err")" >&2; fail=$((fail + 1)); fi
}
accepted report "$d/pretty.json" -o "$d/r.html"
accepted export "$d/pretty.json" --vcd "$d/p.vcd" --perfetto "$d/p.json"
n=$((n + 1))
"$pisim" view "$d/pretty.json" --port 0 >"$d/url" 2>"$d/view.err" &
view_pid=$!
for _ in $(seq 100); do grep -q http "$d/url" 2>/dev/null && break; sleep 0.1; done
url=$(grep -o 'http://127.0.0.1:[0-9]*' "$d/url")
if [[ -z $url ]] || ! curl -sf --max-time 10 "$url/trace.json" | cmp -s - "$d/pretty.json"; then
  echo "FAIL: pisim view of a re-indented trace: $(cat "$d/view.err")" >&2
  fail=$((fail + 1))
fi
kill "$view_pid" 2>/dev/null; wait "$view_pid" 2>/dev/null; view_pid=

# The size cap: --max-size 1 refuses the 1 MiB+ trace; a 300 MiB (sparse) file is
# refused by the default cap at once, without reading it.
refused_by_all "$d/pretty.json" "more than the 1 MiB cap" --max-size 1
truncate -s 300M "$d/huge.json"
start=$(date +%s%N)
refused_by_all "$d/huge.json" "more than the 256 MiB cap on trace files"
ms=$((($(date +%s%N) - start) / 1000000))
((ms < 3000)) || { echo "FAIL: refusing three 300 MiB traces took $ms ms: read before refused?" >&2; fail=$((fail + 1)); }
# A FIFO would block a reader forever.
mkfifo "$d/fifo.json"
refused_by_all "$d/fifo.json" "must be a regular file"
# Scenarios (and every YAML input) have their cap too.
truncate -s 17M "$d/huge.yaml"
refused "$d/huge.yaml" "more than the 16 MiB cap on YAML files" validate "$d/huge.yaml"

if ((fail)); then
  echo "bad traces: $fail of $n checks failed" >&2
  exit 1
fi
echo "bad traces: $n checks, every refusal exit 2 with its path and reason; re-indented trace accepted by report, view, export"
