// tests/viewer/gen-fixture.mjs - writes fixtures/small.json: 1 pCPU, 1 vCPU (d1v0), a NIC,
// three device interrupts posted end to end:
//   1. vCPU running: posted, notification vector, CPU posted-interrupt processing.
//   2. vCPU blocked (HLT): NV = wakeup vector, wakeup handler, PIR merged by software.
//   3. vCPU preempted (SN = 1): PIR set without ON or notification; the hypervisor's entry
//      path forgets the PIR (the race Feng Wu's Feb 2016 xen-devel patch
//      closes before VM entry) -> oracle violation at VM entry; the
//      interrupt is delivered late, after the next external-interrupt exit.
// Usage: node tests/viewer/gen-fixture.mjs [out.json]
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TraceBuilder, paths } from './trace-builder.mjs';

export const TAGS = [(256n << 32n) | 1n, (256n << 32n) | 2n, (256n << 32n) | 3n];

export function buildSmall() {
  const b = new TraceBuilder({
    scenario: 'scenarios/basic/nic-posted-block-preempt.yaml', seed: 1, profile: 'skylake-sp',
    irq_mode: 'vtd-pi', pcpus: 1, vcpus: [{ domain: 1, index: 0, pcpu: 0 }], nv: 0xf2, wv: 0xf1,
  });
  const p = 0, v = 0;
  let c = paths.start(b, 100, p, v);
  c = paths.postedRunning(b, 2000, p, v, TAGS[0], 0x30, 0);
  c = paths.block(b, c + 3000, p, v);
  c = paths.postedBlocked(b, c + 3000, p, v, TAGS[1], 0x30, 0);
  c = paths.preempt(b, c + 4000, p, v);
  const r = b.devicePost(c + 1500, TAGS[2], v, 0x3a, 1);
  if (r.notified) throw new Error('SN=1 must suppress the notification');
  const res = paths.resume(b, r.c + 3000, p, v, true, null, TAGS[2]);
  if (!res.vio) throw new Error('the forgotten PIR must be seen by the oracle');
  b.violation(res.vio.cycle, 'pending_at_entry', v,
    `PIR vector 0x${res.vio.vec.toString(16)} pending with ON clear at VM entry`, res.vio.event);
  c = paths.exitAndReenter(b, res.c + 20000, p, v, TAGS[2], r.steps);
  const d = b.virqDeliver(c, p, v, TAGS[2]); r.steps.push(['virtual_delivery', d.c]);
  b.ev(d.c, 'irq.delivered', v, TAGS[2], d.vec, d.c - r.steps[0][1]);
  b.interrupt(TAGS[2], v, 0x3a, r.steps, d.c);
  c = b.guestEoi(d.c, p, v, 900);
  return b.toJSON(c + 2000);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = process.argv[2] || join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'small.json');
  writeFileSync(out, buildSmall());
  console.log(`wrote ${out}`);
}
