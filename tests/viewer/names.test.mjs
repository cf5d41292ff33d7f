// tests/viewer/names.test.mjs - the viewer's own names (viewer/src/names.js, used when a trace has
// no "enums") agree with the C sources they name: enum hyp_handler, hyp_sched_reason,
// hyp_vcpu_state, hyp_percpu_step (hyp/include/hyp/trace.h), oracle_names()
// (platform/oracles.h), TimedEvent::Op (platform/scenario.h). No browser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as names from '../../viewer/src/names.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const src = (p) => readFileSync(join(ROOT, p), 'utf8');

/** {value: lower-case name without prefix} of a C enum whose members are PREFIX_NAME = value. */
function cEnum(text, name, prefix) {
  const body = new RegExp(`enum ${name} \\{([^}]*)\\}`).exec(text)[1].replace(/\/\*[\s\S]*?\*\//g, '');
  return Object.fromEntries([...body.matchAll(new RegExp(`${prefix}(\\w+)\\s*=\\s*(\\d+)`, 'g'))].map((m) => [m[2], m[1].toLowerCase()]));
}

test('handler, scheduling, vCPU-state and per-pCPU step names follow hyp/include/hyp/trace.h', () => {
  const h = src('hyp/include/hyp/trace.h');
  const handlers = cEnum(h, 'hyp_handler', 'HYP_H_');
  handlers[10] = 'percpu_virq'; // HYP_H_PERCPU: named as the Perfetto export names it
  assert.deepEqual(Object.fromEntries(Object.entries(names.HANDLER_NAMES).map(([k, v]) => [k, v])), handlers);
  assert.deepEqual(names.SCHED_REASONS, cEnum(h, 'hyp_sched_reason', 'HYP_SCHED_'));
  assert.deepEqual(Object.fromEntries(names.VSTATE_NAMES.map((n, i) => [String(i), n])), cEnum(h, 'hyp_vcpu_state', 'HYP_VCPU_'));
  const steps = cEnum(h, 'hyp_percpu_step', 'HYP_PERCPU_');
  assert.deepEqual(Object.fromEntries(Object.entries(names.PERCPU_STEPS).map(([k, v]) => [k, v.toLowerCase()])), steps);
});

test('oracle names in the order of platform/oracles.h oracle_names()', () => {
  const body = /oracle_names\(\) \{[\s\S]*?\{([\s\S]*?)\};/.exec(src('platform/oracles.h'))[1];
  assert.deepEqual(names.ORACLES, [...body.matchAll(/"(\w+)"/g)].map((m) => m[1]));
});

test('scenario.event ops in the order of TimedEvent::Op (platform/scenario.h)', () => {
  const body = /enum class Op \{([\s\S]*?)\} op/.exec(src('platform/scenario.h'))[1].replace(/\/\/\/<.*$/gm, '');
  const ops = body.split(',').map((s) => s.trim()).filter(Boolean).map((s) => s.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase());
  assert.deepEqual(names.SCENARIO_OPS, ops);
});

test('virtual-APIC registers by offset', () => {
  assert.equal(names.vapicRegName(0x80), 'VTPR');
  assert.equal(names.vapicRegName(0xa0), 'VPPR');
  assert.equal(names.vapicRegName(0x210), 'VIRR1 (vectors 32-63)');
  assert.equal(names.vapicRegName(0x170), 'VISR7 (vectors 224-255)');
  assert.equal(names.vapicRegName(0x104), null);
});
