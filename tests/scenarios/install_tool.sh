#!/usr/bin/env bash
# cmake --install into a temporary prefix, then only the installed pisim: it runs a library
# scenario with its default profile, takes its profiles from PREFIX/share/pisim/profiles (a
# scenario naming a missing profile is refused with that directory in the message), writes a
# report with the embedded viewer and serves `view`: the page, the viewer's script and style,
# and the trace (identical bytes, plain and gzip). The executable alone, copied elsewhere,
# still writes a report; PISIM_VIEWER_DIR replaces the embedded viewer.
set -euo pipefail
cmake=$1 build=$(cd "$2" && pwd)
d=$(mktemp -d); pid=
trap '[[ -n $pid ]] && kill "$pid" 2>/dev/null; rm -rf "$d"' EXIT
"$cmake" --install "$build" --prefix "$d/prefix" >/dev/null
pisim=$d/prefix/bin/pisim share=$d/prefix/share/pisim
test -x "$pisim" && test -f "$share/profiles/skylake-sp.yaml" && test -f "$share/scenarios/basic/nic-posted-running.yaml"
cd "$d"   # nothing of the source or build tree is reachable by a relative path
env -u PISIM_VIEWER_DIR -u PISIM_PROFILE_DIR "$pisim" run "$share/scenarios/basic/nic-posted-running.yaml" -q --trace t.json
sed 's/^profile: .*/profile: no-such-profile/' "$share/scenarios/basic/nic-posted-running.yaml" > other.yaml
rc=0; env -u PISIM_PROFILE_DIR "$pisim" run other.yaml -q 2>err.txt || rc=$?
test "$rc" = 2 || { echo "a missing profile: exit $rc" >&2; exit 1; }
grep -qF "$share/profiles/no-such-profile.yaml" err.txt || { echo "profile not looked up under the prefix:" >&2; cat err.txt >&2; exit 1; }

env -u PISIM_VIEWER_DIR "$pisim" report t.json -o report.html >/dev/null
grep -q 'id="pisim-trace"' report.html && grep -q 'pisimViewer' report.html && grep -q "Content-Security-Policy" report.html
# PISIM_VIEWER_DIR: the viewer's files from that directory instead of the embedded copy.
mkdir viewer-dir && for f in index.html viewer.js viewer.css; do cp "$build/viewer/$f" viewer-dir/; done
sed -i 's|<title>|<title>from PISIM_VIEWER_DIR |' viewer-dir/index.html
PISIM_VIEWER_DIR=$d/viewer-dir "$pisim" report t.json -o report-dir.html >/dev/null
grep -q '<title>from PISIM_VIEWER_DIR ' report-dir.html && ! grep -q 'from PISIM_VIEWER_DIR' report.html
mkdir elsewhere && cp "$pisim" elsewhere/pisim
env -u PISIM_VIEWER_DIR elsewhere/pisim report t.json -o report2.html >/dev/null
cmp report.html report2.html

env -u PISIM_VIEWER_DIR "$pisim" view t.json > view.out 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q 'http://127.0.0.1:' view.out && break; sleep 0.1; done
url=$(grep -o 'http://127.0.0.1:[0-9]*/' view.out)
curl -sf "$url" -o page.html && grep -q '<script src="viewer.js"></script>' page.html
curl -sf "${url}viewer.js" -o viewer.js && grep -q 'pisimViewer' viewer.js
curl -sf "${url}viewer.css" -o viewer.css && grep -q '#timeline' viewer.css
curl -sf "${url}trace.json" -o plain.json
cmp plain.json t.json
curl -sf -H 'Accept-Encoding: gzip' "${url}trace.json" -D headers.txt -o gz.json.gz
grep -qi '^content-encoding: gzip' headers.txt
gzip -dc gz.json.gz | cmp - t.json
curl -sf -H 'Accept-Encoding: br' "${url}trace.json" -D headers-br.txt -o br.json
if grep -qi '^content-encoding' headers-br.txt; then echo "trace sent encoded to a client offering only br" >&2; exit 1; fi
cmp br.json t.json
echo "install_tool: ok ($url)"
