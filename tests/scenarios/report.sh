#!/usr/bin/env bash
# pisim report writes one self-contained HTML file: the viewer's CSS and JS
# and the trace inlined, no external reference; pisim view serves the viewer
# and the trace on 127.0.0.1.
set -euo pipefail
pisim=$1
d=$(mktemp -d); trap 'rm -rf "$d"; kill %1 2>/dev/null || true' EXIT
"$pisim" run -q scenarios/basic/nic-posted-running.yaml --trace "$d/t.json"
"$pisim" report "$d/t.json" -o "$d/r.html" > /dev/null
grep -q '<script id="pisim-trace" type="application/json">{"format":"pisim-trace"' "$d/r.html"
! grep -qE '(src|href)="[^"#]+"' "$d/r.html"
! grep -q 'viewer.js\|viewer.css' "$d/r.html"
# A non-trace input is bad input.
echo '{}' > "$d/x.json"
set +e; "$pisim" report "$d/x.json" -o "$d/x.html" 2>/dev/null; rc=$?; set -e
test "$rc" -eq 2 && test ! -e "$d/x.html"
"$pisim" view "$d/t.json" > "$d/url.txt" &
for _ in $(seq 50); do grep -q http "$d/url.txt" 2>/dev/null && break; sleep 0.1; done
url=$(grep -o 'http://127.0.0.1:[0-9]*' "$d/url.txt")
curl -sf "$url/trace.json" | cmp - "$d/t.json"
curl -sf "$url/index.html" | grep -q 'viewer.js'
echo "report and view: ok ($url)"
