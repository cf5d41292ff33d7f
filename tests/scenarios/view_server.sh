#!/usr/bin/env bash
# pisim view stays up and stays private. With 40 connections each sending its
# request a byte a second (slow loris) and 40 more that never send anything, a
# normal request still answers within 3 s; a client that pauses longer than
# the read timeout is dropped. A request whose Host is not 127.0.0.1:PORT or
# localhost:PORT (DNS rebinding: another site's name resolving to 127.0.0.1)
# gets 421 and no trace; the server listens on 127.0.0.1 only.
set -euo pipefail
pisim=$1
d=$(mktemp -d)
view_pid=
trap 'rm -rf "$d"; [[ -n $view_pid ]] && kill "$view_pid" 2>/dev/null' EXIT
"$pisim" run -q scenarios/basic/nic-posted-running.yaml --trace "$d/t.json"
"$pisim" view "$d/t.json" >"$d/url" &
view_pid=$!
for _ in $(seq 100); do grep -q http "$d/url" 2>/dev/null && break; sleep 0.1; done
port=$(grep -o '127.0.0.1:[0-9]*' "$d/url" | cut -d: -f2)
test -n "$port"

python3 - "$port" "$d/t.json" <<'PY'
import socket, sys, threading, time

port, trace = int(sys.argv[1]), open(sys.argv[2], "rb").read()

def request(host_header, path="/trace.json", timeout=10):
    """One plain GET; returns (status, body, seconds)."""
    t0 = time.monotonic()
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    head = f"GET {path} HTTP/1.1\r\n" + (f"Host: {host_header}\r\n" if host_header is not None else "") + "Connection: close\r\n\r\n"
    s.sendall(head.encode())
    data = b""
    while True:
        chunk = s.recv(1 << 16)
        if not chunk:
            break
        data += chunk
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1]) if head else 0
    return status, body, time.monotonic() - t0

ok = f"127.0.0.1:{port}"
status, body, _ = request(ok)
assert status == 200 and body == trace, ("the trace, by 127.0.0.1", status, len(body))
status, body, _ = request(f"localhost:{port}", "/index.html")
assert status == 200 and b"viewer.js" in body, ("the page, by localhost", status)

# Slow loris: 40 connections trickle a request a byte a second, 40 more send nothing.
stop = threading.Event()
dropped = []
def trickle(i):
    s = socket.create_connection(("127.0.0.1", port))
    req = f"GET /trace.json HTTP/1.1\r\nHost: {ok}\r\nX-Pad: " + "a" * 200
    try:
        for ch in req:
            if stop.is_set():
                break
            s.send(ch.encode())
            time.sleep(1.0)
    except OSError:
        dropped.append(i)
    s.close()
idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(40)]
threads = [threading.Thread(target=trickle, args=(i,), daemon=True) for i in range(40)]
for t in threads:
    t.start()
time.sleep(3)
worst = 0.0
for _ in range(5):
    status, body, secs = request(ok, timeout=10)
    assert status == 200 and body == trace, ("answered under slow loris", status, len(body))
    worst = max(worst, secs)
    time.sleep(0.5)
assert worst < 3.0, f"a normal request took {worst:.2f} s beside 80 slow connections"
# The silent connections were closed by the read timeout: a read sees EOF.
closed = 0
for s in idle:
    s.settimeout(5)
    try:
        closed += s.recv(1) == b""
    except OSError:
        closed += 1
    s.close()
stop.set()
assert closed == len(idle), f"{len(idle) - closed} silent connections still open after the read timeout"

# DNS rebinding: another name, even on the right port, gets 421 and not the trace.
for host in [f"evil.example:{port}", "evil.example", f"127.0.0.1.evil.example:{port}", f"localhost:{port + 1}", "", None]:
    status, body, _ = request(host)
    assert status == 421 and trace[:40] not in body, ("wrong Host refused", host, status)
print(f"view server: normal requests answered in <= {worst:.2f} s beside 80 slow connections; wrong Host -> 421")
PY

# Only the loopback address listens.
if command -v ss >/dev/null; then
  ss -ltnH "sport = :$port" | awk '{print $4}' | grep -vqx "127.0.0.1:$port" && { echo "listens beyond 127.0.0.1" >&2; exit 1; }
fi
echo "view server ok"
