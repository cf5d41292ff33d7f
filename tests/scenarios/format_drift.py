#!/usr/bin/env python3
"""The scenario loader, scenarios/schema.json and docs/scenario-format.md name
the same keys and the same values.

The loader's rules are read from its source: every
`expect_map(node, "label", {"k1", ...})` call (the keys a mapping accepts; any
other key is an error) and every `choice(node, "label", {"v1", ...})` call (the
values a field accepts) in platform/scenario.cpp and platform/calibration.cpp,
and the oracle names in platform/oracles.h (expect.violations). Each label is
tied below to the place in the schema that describes the same mapping or field
and to the table of docs/scenario-format.md that documents it (the table after
an HTML comment `<!-- keys: label -->` or `<!-- values: label -->`; the first
backquoted word of each row is the key or value).

The test fails naming every key or value missing on either side, and every
loader mapping or choice this table does not know (a new one must be added to
the schema, the document and LABELS).
"""
import json
import re
import sys

SOURCES = ["platform/scenario.cpp", "platform/calibration.cpp"]
SCHEMA = "scenarios/schema.json"
DOC = "docs/scenario-format.md"

# Loader label -> path of the schema node (a list of keys from the root).
# Labels that are variables in the source are written "<source file>:<variable>".
VCPU = ["properties", "domains", "items", "properties", "vcpus", "items"]
QUEUE = ["properties", "devices", "items", "properties", "queues", "items"]
PROGRAM_ITEM = VCPU + ["properties", "workload", "properties", "program", "items"]
CAL = ["properties", "calibration"]
LABELS = {
    "a scenario": [],
    "vtd": ["properties", "vtd"],
    "oracles": ["properties", "oracles"],
    "machine": ["properties", "machine"],
    "machine.percpu_timer": ["properties", "machine", "properties", "percpu_timer"],
    "hyp": ["properties", "hyp"],
    "a domain": ["properties", "domains", "items"],
    "a vCPU": VCPU,
    "platform/scenario.cpp:where": VCPU + ["properties", "workload"],
    "a guest operation": PROGRAM_ITEM,
    "ipi": PROGRAM_ITEM + ["@ipi", "properties", "ipi"],
    "a device": ["properties", "devices", "items"],
    "a queue": QUEUE,
    "bind": QUEUE + ["properties", "bind"],
    "bind of a host device": QUEUE + ["properties", "bind"],
    "traffic": QUEUE + ["properties", "traffic"],
    "msi": QUEUE + ["properties", "msi"],
    "msi.copy_of": QUEUE + ["properties", "msi", "@copy_of", "properties", "copy_of"],
    "an event": ["properties", "events", "items"],
    "a perturbation": ["properties", "perturb", "items"],
    "expect": ["properties", "expect"],
    "provenance": ["properties", "provenance"],
    "provenance.core": ["properties", "provenance", "properties", "core"],
    "calibration": CAL,
    "platform/calibration.cpp:what": CAL + ["properties", "published", "additionalProperties"],
    # choices
    "vtd.engine": ["properties", "vtd", "properties", "engine"],
    "machine.apic_mode": ["properties", "machine", "properties", "apic_mode"],
    "hyp.irq_mode": ["properties", "hyp", "properties", "irq_mode"],
    "traffic.kind": QUEUE + ["properties", "traffic", "properties", "kind"],
    "event.op": ["properties", "events", "items", "properties", "op"],
    "perturb.agent": ["properties", "perturb", "items", "properties", "agent"],
    "calibration.method": CAL + ["properties", "method"],
    "an oracle name": ["properties", "expect", "properties", "violations", "items"],
}
# Two loader mappings the schema describes as one object (a queue's bind is
# the guest form or the host form, told apart by the device's domain).
SCHEMA_UNION = {"bind": ["bind", "bind of a host device"], "bind of a host device": ["bind", "bind of a host device"]}

CALL = re.compile(r"\b(expect_map|choice)\s*\(\s*([^,]+?)\s*,\s*(\"[^\"]*\"|\w+)\s*,\s*(\{[^}]*\}|\w+\(\))", re.S)


def loader_rules():
    """[(kind, label, [names], where)] from the loader's source."""
    rules = []
    for path in SOURCES:
        src = open(path).read()
        for m in CALL.finditer(src):
            kind, _, label, names = m.groups()
            label = label[1:-1] if label.startswith('"') else f"{path}:{label}"
            where = f"{path}:{src.count(chr(10), 0, m.start()) + 1}"
            if names == "oracle_names()":
                names = oracle_names()
            elif names.startswith("{"):
                names = re.findall(r"\"([^\"]*)\"", names)
            else:
                continue  # a forwarding overload (yaml_util.cpp style), not a rule
            rules.append((kind, label, names, where))
    return rules


def oracle_names():
    src = open("platform/oracles.h").read()
    body = re.search(r"oracle_names\(\)\s*\{.*?=\s*\{(.*?)\};", src, re.S)
    if not body:
        sys.exit("format_drift: cannot find oracle_names() in platform/oracles.h")
    return re.findall(r"\"([^\"]*)\"", body.group(1))


def schema_node(schema, path):
    node = schema
    for step in path:
        if step.startswith("@"):  # the oneOf alternative that has property step[1:]
            alts = [a for a in node.get("oneOf", []) if step[1:] in a.get("properties", {})]
            if len(alts) != 1:
                return None
            node = alts[0]
        else:
            if not isinstance(node, dict) or step not in node:
                return None
            node = node[step]
    return node


def schema_keys(node):
    if "oneOf" in node:
        keys = set()
        for alt in node["oneOf"]:
            keys |= set(alt.get("properties", {}))
        return keys
    return set(node.get("properties", {}))


def doc_tables(text):
    """{(kind, label): (line, [names])} for every marked table of the document."""
    tables = {}
    lines = text.split("\n")
    for i, line in enumerate(lines):
        m = re.match(r"\s*<!--\s*(keys|values):\s*(.*?)\s*-->\s*$", line)
        if not m:
            continue
        names, j = [], i + 1
        while j < len(lines) and not lines[j].strip():
            j += 1
        while j < len(lines) and lines[j].lstrip().startswith("|"):
            first = lines[j].strip().strip("|").split("|")[0]
            w = re.search(r"`([^`]*)`", first)
            if w:
                names.append(w.group(1))
            j += 1
        tables[(m.group(1), m.group(2))] = (i + 1, names)
    return tables


def main():
    schema = json.load(open(SCHEMA))
    doc = open(DOC).read()
    tables = doc_tables(doc)
    problems = []
    rules = loader_rules()
    if len(rules) < 25:
        problems.append(f"found only {len(rules)} expect_map/choice calls in {SOURCES}: has the loader's form changed?")
    loader_of = {}
    for kind, label, names, where in rules:
        loader_of.setdefault(label, set()).update(names)
    seen_tables = set()
    for kind, label, names, where in rules:
        names = set(names)
        if label not in LABELS:
            problems.append(f"{where}: loader {kind} '{label}' is not known to {sys.argv[0]}: "
                            f"describe it in {SCHEMA} and {DOC} and add it to LABELS")
            continue
        node = schema_node(schema, LABELS[label])
        if node is None:
            problems.append(f"{SCHEMA}: no node for loader {kind} '{label}' ({where}) at {'/'.join(LABELS[label])}")
        elif kind == "expect_map":
            want = set().union(*(loader_of[l] for l in SCHEMA_UNION.get(label, [label])))
            have = schema_keys(node)
            for k in sorted(want - have):
                problems.append(f"{SCHEMA}: key '{k}' of {label} ({where}) is missing")
            for k in sorted(have - want):
                problems.append(f"{SCHEMA}: key '{k}' of {label} is not accepted by the loader ({where})")
            if node.get("additionalProperties", True) is not False and "oneOf" not in node:
                problems.append(f"{SCHEMA}: {label} must say additionalProperties: false (the loader rejects unknown keys)")
        else:
            have = set(node.get("enum", []))
            for v in sorted(names - have):
                problems.append(f"{SCHEMA}: value '{v}' of {label} ({where}) is missing from the enum")
            for v in sorted(have - names):
                problems.append(f"{SCHEMA}: enum value '{v}' of {label} is not accepted by the loader ({where})")
        tkind = "keys" if kind == "expect_map" else "values"
        dlabel = label.split(":")[-1] if ":" in label else label
        dlabel = {"where": "workload", "what": "calibration.published"}.get(dlabel, dlabel)
        seen_tables.add((tkind, dlabel))
        if (tkind, dlabel) not in tables:
            problems.append(f"{DOC}: no table marked <!-- {tkind}: {dlabel} --> for loader {kind} '{label}' ({where})")
            continue
        line, documented = tables[(tkind, dlabel)]
        for k in sorted(names - set(documented)):
            problems.append(f"{DOC}:{line}: {tkind[:-1]} '{k}' of {dlabel} ({where}) is not documented")
        for k in sorted(set(documented) - names):
            problems.append(f"{DOC}:{line}: documents {tkind[:-1]} '{k}' of {dlabel}, which the loader does not accept ({where})")
    for (tkind, dlabel), (line, _) in sorted(tables.items()):
        if (tkind, dlabel) not in seen_tables:
            problems.append(f"{DOC}:{line}: table <!-- {tkind}: {dlabel} --> matches no loader mapping or choice")
    for p in problems:
        print(p)
    if problems:
        sys.exit(f"format_drift: {len(problems)} differences between the loader, {SCHEMA} and {DOC}")
    print(f"format_drift: {len(rules)} loader mappings and choices agree with {SCHEMA} and {DOC}")


if __name__ == "__main__":
    main()
