#!/usr/bin/env bash
# tests/mutants/model/run.sh - mutation run over the models: every
# tests/mutants/model/NAME.patch (one small spec slip in model/, applied with
# patch -p1 from the repository root) is applied to a copy of the tree, only
# what the slip touches is rebuilt, and the tests that cover the models run
# until one fails (the mutant is killed) or all pass (it survived):
#   1. the GoogleTests of the mutated room (ctest -L model/cpu, model/lapic,
#      model/vtd or model/pcie), stopping at the first failure;
#   2. if they all pass, the scenario library with `pisim run -q`
#      (scenarios/**.yaml but baseline.yaml), stopping at the first failure.
# Prints one line per mutant and the kill ratio over the non-equivalent
# mutants; with -o FILE also writes the result table (Markdown).
#
# Usage: tests/mutants/model/run.sh [-s SCRATCH] [-i] [-j N] [-o FILE] [NAME...]
#   -s SCRATCH  scratch directory (default: build/model-mutants): SCRATCH/src is
#               a copy of the tracked files, SCRATCH/build its build directory;
#               the first run builds it (a full build), later runs rebuild only
#               the mutated files and what links them
#   -i          in place: mutate this tree and rebuild its build/ directory
#               (model/ must be unmodified; every patch is reverted, also on
#               interruption, and model/ is checked clean at the end)
#   -j N        ninja and ctest parallelism (default 2)
#   -o FILE     write the result table to FILE
#   NAME...     only these mutants (default: all)
# Slow (a rebuild per mutant): run by hand, not in CI; the ctest
# model_mutants_apply only checks that every patch still applies.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
scratch="$repo/build/model-mutants"
in_place=0
jobs=2
out=""
while getopts "s:ij:o:" opt; do
  case $opt in
    s) scratch=$OPTARG ;;
    i) in_place=1 ;;
    j) jobs=$OPTARG ;;
    o) out=$OPTARG ;;
    *) sed -n '2,27p' "$0"; exit 2 ;;
  esac
done
shift $((OPTIND - 1))

# Mutants that no test can kill because they do not change behaviour,
# with the reason (name|reason). None at present.
EQUIVALENT=(
)

is_equivalent() {
  local e
  for e in "${EQUIVALENT[@]+"${EQUIVALENT[@]}"}"; do [[ ${e%%|*} == "$1" ]] && return 0; done
  return 1
}

if ((in_place)); then
  src=$repo
  bld=$repo/build
  git -C "$repo" diff --quiet -- model/ || { echo "run.sh -i: model/ has local changes" >&2; exit 2; }
else
  src=$scratch/src
  bld=$scratch/build
  mkdir -p "$src"
  # the tracked files of this tree, as they are now (not HEAD)
  (cd "$repo" && git ls-files -z | tar --null -T - -cf -) | (cd "$src" && tar -xf -)
  if [[ ! -f $bld/build.ninja ]]; then
    cmake -S "$src" -B "$bld" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  fi
fi

applied=""
revert() {
  if [[ -n $applied ]]; then
    patch --quiet -R -p1 -d "$src" -i "$applied" || true
    applied=""
  fi
}
trap 'revert' EXIT
trap 'revert; exit 130' INT TERM

room_of() {  # the model room a patch mutates: cpu, lapic, vtd or pcie
  sed -n 's|^+++ b/model/\([a-z]*\)/.*|\1|p' "$1" | head -n1
}

scenarios=$(cd "$src" && find scenarios -name '*.yaml' ! -name baseline.yaml | sort)

# the unmutated tree must build and pass what the run uses
echo "building the unmutated tree in $bld ..."
ninja -C "$bld" -j "$jobs" pisim test_cpu test_lapic test_vtd test_pcie >/dev/null

results=()
killed=0
survived=0
equivalent=0
patches=("$here"/*.patch)
if (($# > 0)); then patches=(); for n in "$@"; do patches+=("$here/$n.patch"); done; fi
for p in "${patches[@]}"; do
  name=$(basename "$p" .patch)
  if is_equivalent "$name"; then
    equivalent=$((equivalent + 1))
    results+=("| $name | equivalent | - |")
    echo "$name: equivalent"
    continue
  fi
  room=$(room_of "$p")
  patch --quiet -p1 -d "$src" -i "$p"
  applied=$p
  killer=""
  if ! ninja -C "$bld" -j "$jobs" pisim "test_$room" >"$bld/mutant-build.log" 2>&1; then
    killer="build"
  fi
  if [[ -z $killer ]]; then
    log=$bld/mutant-ctest.log
    if ! ctest --test-dir "$bld" -L "^model/$room\$" -j "$jobs" --timeout 120 --stop-on-failure \
        --output-on-failure >"$log" 2>&1; then
      first=$(grep -m1 -E '\*\*\*(Failed|Exception|Timeout)|\(Failed\)|\(Subprocess' "$log" |
              sed -E 's/^ *[0-9]+\/[0-9]+ Test +#[0-9]+: ([^ ]+).*/\1/' || true)
      killer="gtest ${first:-?}"
    fi
  fi
  if [[ -z $killer ]]; then
    for s in $scenarios; do
      if ! (cd "$src" && timeout 600 "$bld/pisim" run "$s" -q >/dev/null 2>&1); then
        killer="scenario $s"
        break
      fi
    done
  fi
  revert
  if [[ -n $killer ]]; then
    killed=$((killed + 1))
    results+=("| $name | killed | $killer |")
    echo "$name: killed by $killer"
  else
    survived=$((survived + 1))
    results+=("| $name | SURVIVED | - |")
    echo "$name: SURVIVED"
  fi
done

if ((in_place)); then
  git -C "$repo" diff --quiet -- model/ || { echo "run.sh -i: model/ not clean after the run" >&2; exit 1; }
  ninja -C "$bld" -j "$jobs" pisim test_cpu test_lapic test_vtd test_pcie >/dev/null
fi

total=$((killed + survived))
ratio=$((total > 0 ? killed * 100 / total : 0))
echo "killed $killed of $total non-equivalent model mutants ($ratio %); $equivalent equivalent"
if [[ -n $out ]]; then
  {
    echo "| mutant | result | first killer |"
    echo "| --- | --- | --- |"
    printf '%s\n' "${results[@]}"
    echo
    echo "Killed $killed of $total non-equivalent mutants ($ratio %); $equivalent equivalent."
  } >"$out"
fi
((survived == 0))
