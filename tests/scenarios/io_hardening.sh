#!/usr/bin/env bash
# Outputs never clobber what is not theirs, and nothing is silently misread
# (the real CLI):
#  - an output path that is a device, FIFO, socket, directory or symbolic
#    link is refused (exit 2, the path and why), and left as it was;
#  - a file or link planted where the temporary file of an output used to be
#    created (FILE.tmp.PID) is never opened;
#  - every output path of every subcommand is checked before anything runs
#    (a run that would take minutes is refused at once);
#  - sweep -o DIR replaces an earlier run's results whole, other files stay;
#  - a refused input leaves an existing output untouched;
#  - numeric options are read strictly: no wrap, no sign, no junk, no octal;
#  - a traffic file that is too large is refused;
#  - an oracle bound near 2^64 means "never", not a wrapped deadline;
#  - two outputs naming one file, or an output naming an input, are refused
#    before anything runs, whatever the spelling (./x, d/../x, a hard link);
#  - --trace-rtl is published like every output: a file it replaces is not
#    written through (a hard link keeps its content) and nothing is there
#    until the run is complete.
set -uo pipefail
pisim=$1
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }
base=scenarios/basic/nic-posted-running.yaml

# expect_refused DESCRIPTION PATTERN -- COMMAND...: exit 2 within the timeout,
# and stderr holds PATTERN (grep -E).
expect_refused() {
  local what=$1 pat=$2; shift 3
  local rc=0
  timeout "${IO_TIMEOUT:-60}" "$@" > "$d/out.txt" 2> "$d/err.txt" || rc=$?
  if [ "$rc" -ne 2 ]; then bad "$what: exit $rc, expected 2 ($(head -c 300 "$d/err.txt"))"; return; fi
  grep -Eq -- "$pat" "$d/err.txt" || bad "$what: stderr lacks /$pat/: $(head -c 300 "$d/err.txt")"
}

# 1. Targets that are not regular files. The device is a node of /dev/full's
# numbers made here (root only): a build with the bug replaces this copy, never
# the machine's /dev/full.
if [ "$(id -u)" = 0 ] && mknod -m 666 "$d/full" c 1 7 2>/dev/null; then
  expect_refused "run --json DEVICE" "cannot write $d/full \(--json\): it is a character device" -- \
    "$pisim" run -q "$base" --json "$d/full"
  expect_refused "run --trace DEVICE" "cannot write $d/full \(--trace\): it is a character device" -- \
    "$pisim" run -q "$base" --trace "$d/full"
  test -c "$d/full" || bad "the device node was replaced"
  rm -f "$d/full"
else
  echo "(not root: the device-node case is skipped)"
fi
mkfifo "$d/fifo"
expect_refused "run --json FIFO" "cannot write $d/fifo \(--json\): it is a FIFO" -- "$pisim" run -q "$base" --json "$d/fifo"
test -p "$d/fifo" || bad "the FIFO was replaced"
echo victim > "$d/victim"
ln -s "$d/victim" "$d/link.json"
expect_refused "run --trace SYMLINK" "cannot write $d/link.json \(--trace\): it is a symbolic link" -- \
  "$pisim" run -q "$base" --trace "$d/link.json"
test -L "$d/link.json" && [ "$(cat "$d/victim")" = victim ] || bad "the symlink or its target was changed"
mkdir "$d/adir"
expect_refused "run --json DIR" "it is a directory" -- "$pisim" run -q "$base" --json "$d/adir"
expect_refused "export --vcd FIFO" "it is a FIFO" -- "$pisim" export /dev/null --vcd "$d/fifo"
expect_refused "report -o SYMLINK" "it is a symbolic link" -- "$pisim" report /dev/null -o "$d/link.json"
test -p "$d/fifo" && [ "$(cat "$d/victim")" = victim ] || bad "export/report touched the FIFO or the link's target"
ls "$d" | grep -q '\.tmp\.' && bad "a temporary file was left behind: $(ls "$d")"

# 2. A symbolic link planted at the old predictable temporary name
# (FILE.tmp.PID: exec keeps the shell's PID) is not followed.
echo precious > "$d/precious"
bash -c 'ln -s "$1/precious" "$1/out.json.tmp.$$"; exec "$2" run -q "$3" --json "$1/out.json"' _ "$d" "$pisim" "$base" \
  || bad "run with a planted temporary-name symlink failed"
[ "$(cat "$d/precious")" = precious ] || bad "the planted symlink's target was overwritten"
test -f "$d/out.json" && ! test -L "$d/out.json" && grep -q '"summary"' "$d/out.json" \
  || bad "out.json is not the run's regular JSON file"
rm -f "$d"/out.json.tmp.*

# 3. Every output path is checked before anything runs: this scenario takes
# minutes (10^12 cycles, an interrupt every 50,000 up to 4,000,000 of them:
# within the cap on arrivals per run), a refusal takes a moment.
sed -e 's/^duration: .*/duration: 1000000000000/' -e 's/, count: 30}/, count: 4000000}/' -e '/^expect:/,$d' "$base" > "$d/long.yaml"
expect_refused "run --json in a missing directory" "cannot write $d/missing/x.json \(--json\)" -- \
  "$pisim" run -q "$d/long.yaml" --json "$d/missing/x.json"
expect_refused "run --trace-rtl in a missing directory" "cannot write $d/missing/x.vcd" -- \
  "$pisim" run -q "$d/long.yaml" --vtd-engine rtl --trace-rtl "$d/missing/x.vcd"
touch "$d/regular"
expect_refused "sweep -o a regular file" "cannot write $d/regular \(--out\): it is a regular file, not a directory" -- \
  "$pisim" sweep "$d/long.yaml" --vary devices.0.queues.0.traffic.start=100000:200000 -j 1 -o "$d/regular"
expect_refused "sweep -o a directory holding a FIFO as results.tsv" "results.tsv \(--out\): it is a FIFO" -- \
  bash -c 'mkdir -p "$1/sw-fifo" && mkfifo "$1/sw-fifo/results.tsv" && exec "$2" sweep "$3" --vary devices.0.queues.0.traffic.start=100000:200000 -j 1 -o "$1/sw-fifo"' _ "$d" "$pisim" "$d/long.yaml"
expect_refused "explore -o a regular file" "it is a regular file, not a directory" -- \
  "$pisim" explore --seeds 100000 -j 1 -o "$d/regular"
expect_refused "merge -o a regular file" "it is a regular file, not a directory" -- \
  "$pisim" merge "$d/adir" -o "$d/regular"
expect_refused "check --junit in a missing directory" "cannot write $d/missing/j.xml \(--junit\)" -- \
  "$pisim" check "$d/long.yaml" --baseline "$d/missing-baseline.yaml" --update-baseline --junit "$d/missing/j.xml"
expect_refused "check --markdown FIFO" "it is a FIFO" -- \
  "$pisim" check "$d/long.yaml" --baseline "$d/missing-baseline.yaml" --update-baseline --markdown "$d/fifo"
expect_refused "calibrate --json in a missing directory" "cannot write $d/missing/c.json \(--json\)" -- \
  "$pisim" calibrate --json "$d/missing/c.json"
test ! -e "$d/missing" && test ! -e "$d/missing-baseline.yaml" || bad "a refused command created files"

# 4. sweep -o DIR into an earlier run's results: replaced whole.
mkdir "$d/sw"
echo stale > "$d/sw/point-999.yaml"
echo stale > "$d/sw/point-998-min.yaml"
echo stale > "$d/sw/results.tsv"
echo mine > "$d/sw/notes.txt"
rc=0; "$pisim" sweep "$base" --vary devices.0.queues.0.traffic.start=100000:100100:100 -j 1 -o "$d/sw" > /dev/null 2> "$d/err.txt" || rc=$?
[ "$rc" = 0 ] || bad "sweep into an earlier run's directory: exit $rc: $(cat "$d/err.txt")"
test ! -e "$d/sw/point-999.yaml" && test ! -e "$d/sw/point-998-min.yaml" || bad "stale point files stayed beside the new table: $(ls "$d/sw")"
[ "$(cat "$d/sw/notes.txt")" = mine ] || bad "sweep -o removed or changed a file that is not its own"
grep -q '"pisim-sweep"' "$d/sw/results.json" && ! grep -q stale "$d/sw/results.tsv" || bad "sweep -o did not write the new table"
grep -q "removed 2 file(s) of an earlier run" "$d/err.txt" || bad "sweep did not say it removed the earlier results: $(cat "$d/err.txt")"

# 5. A refused input leaves an existing output as it was.
echo keep > "$d/keep.json"
expect_refused "run of a bad scenario" "duplicate key" -- \
  "$pisim" run -q tests/bad-scenarios/duplicate-key.yaml --json "$d/keep.json" --trace "$d/keep.json"
[ "$(cat "$d/keep.json")" = keep ] || bad "a refused run changed its --json file"

# 6. Strict integers: each refused, naming its option.
while IFS='|' read -r opt args; do
  # shellcheck disable=SC2086
  expect_refused "$args" "$opt" -- "$pisim" $args
done <<EOF
--seed|run -q $base --seed 18446744073709551616
--seed|run -q $base --seed 99999999999999999999999
--seed|run -q $base --seed -1
--seed|run -q $base --seed 12abc
--seed|run -q $base --seed 010
--seed|run -q $base --seed 0x10
--max-cycles|run -q $base --max-cycles -5
--max-wall|run -q $base --max-wall -1
--grace|run -q $base --grace 1e6
--random|sweep $base --random -1
--random|sweep $base --random 18446744073709551617
--jobs|sweep $base --random 2 -j 99999999999
--seed|sweep $base --random 2 --seed 1.5
--seeds|explore --seeds -1
--budget|explore --budget 99999999999999999999
--keep|explore --seeds 1 --keep 010
--jobs|explore --seeds 1 -j -2
--port|view /dev/null --port 70000
--shard|sweep $base --vary devices.0.queues.0.traffic.start=100000:100001 --shard 1/2x -o $d/shard
--shard|explore --seeds 1 --shard -1/4 -o $d/shard
--vary|sweep $base --vary devices.0.queues.0.traffic.start=1:99999999999999999999
EOF
"$pisim" run -q "$base" --seed 18446744073709551615 || bad "run --seed 2^64-1 (the largest seed) was refused"

# 7. A traffic file too large (sparse, 17 MiB) is refused.
truncate -s 17M "$d/big.txt"
sed -e 's/traffic: {kind: constant, start: 100000, interval: 50000, count: 30}/traffic: {kind: file, file: big.txt}/' \
  "$base" > "$d/big.yaml"
expect_refused "a 17 MiB traffic file" "traffic file 'big.txt' is larger than 16 MiB" -- "$pisim" validate "$d/big.yaml"

# 8. delivery_bound and wakeup_bound at 2^64-1: either refused at load (a
# cap, exit 2 naming the field) or taken as "never"; a deadline that wraps
# (false lost_interrupt violations, exit 1) is neither.
printf 'oracles: {delivery_bound: 18446744073709551615, wakeup_bound: 18446744073709551615}\n' | cat "$base" - > "$d/never.yaml"
rc=0; "$pisim" run --summary "$d/never.yaml" > "$d/never.txt" 2>&1 || rc=$?
if [ "$rc" = 2 ]; then
  grep -q "oracles.delivery_bound" "$d/never.txt" || bad "delivery_bound 2^64-1 refused without naming it: $(cat "$d/never.txt")"
elif [ "$rc" != 0 ]; then
  bad "delivery_bound 2^64-1: exit $rc: $(grep -m3 -i 'violat\|lost' "$d/never.txt")"
fi

# 9. Two outputs naming one file, an output naming an input: refused before
# anything runs (the long scenario would take minutes), nothing written.
mkdir "$d/same"
printf '1000\n2000\n' > "$d/same/arrivals.txt"
sed -e 's/traffic: {kind: constant, start: 100000, interval: 50000, count: 30}/traffic: {kind: file, file: arrivals.txt}/' \
  -e '/^expect:/,$d' "$base" > "$d/same/s.yaml"
cp "$d/long.yaml" "$d/same/long.yaml"
echo keep > "$d/same/out"
ln "$d/same/out" "$d/same/hardlink"
expect_refused "run --json X --trace X" "cannot write $d/same/out \(--trace\): it is the file --json writes" -- \
  "$pisim" run -q "$d/same/long.yaml" --json "$d/same/out" --trace "$d/same/out"
expect_refused "run --json X --trace ./X (another spelling)" "it is the file --json writes" -- \
  "$pisim" run -q "$d/same/long.yaml" --json "$d/same/out" --trace "$d/same/../same/./out"
expect_refused "run --json X --trace LINK (a hard link to X)" "it is the file --json writes" -- \
  "$pisim" run -q "$d/same/long.yaml" --json "$d/same/out" --trace "$d/same/hardlink"
expect_refused "run --trace SCENARIO" "cannot write $d/same/long.yaml \(--trace\): it is the scenario" -- \
  "$pisim" run -q "$d/same/long.yaml" --trace "$d/same/long.yaml"
expect_refused "run --json TRAFFIC-FILE" "it is a traffic file of the scenario" -- \
  "$pisim" run -q "$d/same/s.yaml" --json "$d/same/arrivals.txt"
cp profiles/skylake-sp.yaml "$d/same/prof.yaml"
sed -e 's|^profile: .*||' "$d/same/long.yaml" > "$d/same/p.yaml" && echo "profile: $d/same/prof.yaml" >> "$d/same/p.yaml"
expect_refused "run --json PROFILE" "it is the timing profile" -- \
  "$pisim" run -q "$d/same/p.yaml" --json "$d/same/prof.yaml"
expect_refused "run --trace-rtl HYP" "it is the --hyp core" -- \
  "$pisim" run -q "$d/same/long.yaml" --vtd-engine rtl --hyp "$d/same/out" --trace-rtl "$d/same/out"
expect_refused "export --perfetto X --vcd X" "cannot write $d/same/x \(--vcd\): it is the file --perfetto writes" -- \
  "$pisim" export /dev/null --perfetto "$d/same/x" --vcd "$d/same/x"
expect_refused "report TRACE -o TRACE" "it is the trace" -- "$pisim" report "$d/same/out" -o "$d/same/hardlink"
expect_refused "check --junit A --markdown A" "cannot write $d/same/a \(--markdown\): it is the file --junit writes" -- \
  "$pisim" check "$d/same/long.yaml" --baseline "$d/missing-baseline.yaml" --update-baseline --junit "$d/same/a" --markdown "$d/same/a"
expect_refused "check --json SCENARIO" "it is a scenario of the suite" -- \
  "$pisim" check "$d/same/long.yaml" --baseline "$d/missing-baseline.yaml" --update-baseline --json "$d/same/long.yaml"
expect_refused "check --junit TRAFFIC-FILE" "it is a traffic file of $d/same/s.yaml" -- \
  "$pisim" check "$d/same/s.yaml" --baseline "$d/missing-baseline.yaml" --update-baseline --junit "$d/same/arrivals.txt"
expect_refused "check --markdown PROFILE" "it is the timing profile of $d/same/p.yaml" -- \
  "$pisim" check "$d/same/p.yaml" --baseline "$d/missing-baseline.yaml" --update-baseline --markdown "$d/same/prof.yaml"
expect_refused "calibrate --json PROFILE" "it is the timing profile" -- \
  "$pisim" calibrate --profile "$d/same/prof.yaml" --json "$d/same/prof.yaml"
mkdir "$d/same/sw" && cp "$d/same/long.yaml" "$d/same/sw/point-3.yaml"
expect_refused "sweep DIR/point-3.yaml -o DIR" "it holds the scenario" -- \
  "$pisim" sweep "$d/same/sw/point-3.yaml" --vary devices.0.queues.0.traffic.start=100000:200000 -j 1 -o "$d/same/sw"
[ "$(cat "$d/same/out")" = keep ] && test -f "$d/same/sw/point-3.yaml" && test ! -e "$d/same/x" && test ! -e "$d/same/a" \
  || bad "a refused command changed a file: $(ls "$d/same")"
cmp -s "$d/long.yaml" "$d/same/long.yaml" && cmp -s profiles/skylake-sp.yaml "$d/same/prof.yaml" || bad "an input was changed"
"$pisim" run -q "$base" --json "$d/same/one.json" --trace "$d/same/two.json" || bad "two distinct outputs were refused"

# 10. --trace-rtl is published atomically: while the run goes on the old file
# is whole, a hard link to it is not written through, and the new file is a
# complete VCD.
echo precious > "$d/same/old.vcd"
ln "$d/same/old.vcd" "$d/same/rtl.vcd"
"$pisim" run -q "$d/long.yaml" --vtd-engine rtl --trace-rtl "$d/same/rtl.vcd" --max-wall 3 & pid=$!
sleep 1.5
[ "$(cat "$d/same/rtl.vcd")" = precious ] || bad "--trace-rtl: the target was written before the run ended"
rc=0; wait $pid || rc=$?
[ "$rc" = 3 ] || bad "--trace-rtl run: exit $rc, want 3 (stopped by --max-wall 3)"
[ "$(cat "$d/same/old.vcd")" = precious ] || bad "--trace-rtl wrote through a hard link to the target"
grep -q '^\$enddefinitions' "$d/same/rtl.vcd" && grep -q '^#[0-9]' "$d/same/rtl.vcd" \
  || bad "--trace-rtl: not a complete VCD: $(head -c 100 "$d/same/rtl.vcd")"
ls -a "$d/same" | grep -q 'tmp\.\|pisim-scratch' && bad "--trace-rtl left a temporary file: $(ls -a "$d/same")"

# 11. Guest programs whose work could not end in reasonable time are refused
# at load (tests/bad-scenarios/guest-*-beyond-cap.yaml), but an idle guest
# (a halt loop, woken only by interrupts) over the longest run is not.
cat > "$d/idle.yaml" <<'EOF'
name: idle-guest
duration: 1000000000000
machine: {pcpus: 2}
hyp: {irq_mode: apicv}
domains:
  - id: 1
    vcpus:
      - pcpu: 0
        workload: {program: [{halt: true}], repeat: true}
      - pcpu: 1
        workload: {program: [{compute: 1000000}, {ipi: {to: 0, vector: 0x40}}]}
EOF
"$pisim" validate "$d/idle.yaml" > /dev/null 2> "$d/err.txt" || bad "an idle (halting) guest over 10^12 cycles was refused: $(cat "$d/err.txt")"

# A --hyp (or --reference-hyp) file that is not a core is refused before the
# first simulation, with the loader's reason, by every command that runs many.
head -c 4096 /dev/zero > "$d/not-a-core.so"  # a file of the right size that is no ELF object
for cmd in "explore --seeds 5 --hyp" "explore --seeds 5 --reference-hyp" "sweep scenarios/races/irte-torn-read.yaml --random 2 --hyp" \
           "check --baseline scenarios/baseline.yaml --hyp" "calibrate --hyp"; do
  # shellcheck disable=SC2086
  expect_refused "$cmd NOT-A-CORE" "cannot load hypervisor core '$d/not-a-core.so': .*invalid ELF header" -- \
    "$pisim" $cmd "$d/not-a-core.so"
done

[ "$fail" = 0 ] && echo "ok: outputs refused and checked before the run, stale results replaced, strict integers, bounds"
exit $fail
