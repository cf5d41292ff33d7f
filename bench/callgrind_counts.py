#!/usr/bin/env python3
"""Sum callgrind call counts and self instruction counts per function.

usage: callgrind_counts.py CALLGRIND_OUT [--top N]
Prints JSON: {"calls": {function: calls}, "self_ir": {function: Ir}, "total_ir": N}
Only the cost lines of the "Ir" event are used (callgrind's default event).
Name compression ("(id) name" then "(id)") is resolved as callgrind_annotate does.
"""
import json
import re
import sys
from collections import Counter


def parse(path):
    names = {}
    calls = Counter()
    self_ir = Counter()
    fn = None
    pending_call = None  # callee of the next cost line after "calls="
    skip_next = False
    name_re = re.compile(r"^\((\d+)\)(?: (.*))?$")

    def resolve(spec):
        m = name_re.match(spec)
        if not m:
            return spec
        if m.group(2) is not None:
            names[m.group(1)] = m.group(2)
            return m.group(2)
        return names.get(m.group(1), spec)

    cfn = None
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            c0 = line[0]
            if line.startswith("fn="):
                fn = resolve(line[3:])
                continue
            if line.startswith("cfn="):
                cfn = resolve(line[4:])
                continue
            if line.startswith("calls="):
                n = int(line[6:].split()[0])
                calls[cfn] += n
                skip_next = True  # the next cost line is the call's inclusive cost
                continue
            if c0.isdigit() or c0 in "+-*":
                if skip_next:
                    skip_next = False
                    continue
                parts = line.split()
                if len(parts) >= 2 and fn is not None:
                    self_ir[fn] += int(parts[1])
                continue
            # other header lines (fl=, fi=, fe=, ob=, cob=, cfi=, ...) are ignored
    return calls, self_ir


def main():
    path = sys.argv[1]
    top = int(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[2] == "--top" else 25
    calls, self_ir = parse(path)
    total = sum(self_ir.values())
    out = {
        "total_ir": total,
        "calls": dict(calls),
        "top_self_ir": [[k, v] for k, v in self_ir.most_common(top)],
    }
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
