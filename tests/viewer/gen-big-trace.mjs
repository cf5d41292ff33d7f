// tests/viewer/gen-big-trace.mjs - writes a trace of exactly N events (default 1,000,000) for
// the viewer's performance test: 2 pCPUs, 2 vCPUs, a NIC; the paths of the fixture repeated
// (posted to a running vCPU, to a blocked one through the wakeup vector, to a preempted one),
// with every 997th preemption forgetting the PIR (an oracle violation, late delivery).
// Usage: node tests/viewer/gen-big-trace.mjs OUT.json [N]
import { openSync, writeSync, closeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TraceBuilder, paths } from './trace-builder.mjs';

export function writeBigTrace(out, total = 1_000_000) {
  const fd = openSync(out, 'w');
  let buf = [];
  let first = true;
  const flush = () => { if (buf.length) writeSync(fd, buf.join('')); buf = []; };
  const b = new TraceBuilder({
    scenario: 'scenarios/bench/nic-posted-mix.yaml', seed: 7, profile: 'skylake-sp', irq_mode: 'vtd-pi',
    pcpus: 2, vcpus: [{ domain: 1, index: 0, pcpu: 0 }, { domain: 1, index: 1, pcpu: 1 }], nv: 0xf2, wv: 0xf1,
    write: (line) => { buf.push((first ? '  ' : ',\n  ') + line); first = false; if (buf.length >= 20000) flush(); },
  });
  const header = b.head(0); // end_cycle is patched below: written last as a placeholder of fixed width
  const endMark = '"end_cycle": 0';
  const at = header.indexOf(endMark);
  const PAD = 16;
  writeSync(fd, header.slice(0, at) + '"end_cycle": ' + ' '.repeat(PAD) + header.slice(at + endMark.length));
  const endPos = Buffer.byteLength(header.slice(0, at) + '"end_cycle": ');
  let c = 100;
  c = Math.max(paths.start(b, c, 0, 0), paths.start(b, c + 100, 1, 1));
  let seq = 1n;
  const vecs = [0x30, 0x31, 0x40, 0x51];
  for (let i = 0; b.count < total - 250; i++) {
    const v = i & 1, p = v, tag = (256n << 32n) | seq++, vec = vecs[(i >> 1) % vecs.length];
    const kind = i % 7;
    c += 1500 + ((i * 7919) % 2000);
    if (kind <= 3) c = paths.postedRunning(b, c, p, v, tag, vec, v);
    else if (kind === 4) { c = paths.block(b, c, p, v); c = paths.postedBlocked(b, c + 2000, p, v, tag, vec, v); }
    else {
      c = paths.preempt(b, c, p, v);
      const r = b.devicePost(c + 800, tag, v, vec, v);
      const buggy = i % 997 === 5;
      const res = paths.resume(b, r.c + 2500, p, v, buggy, r.steps, tag);
      c = res.c;
      if (res.vio) {
        b.violation(res.vio.cycle, 'pending_at_entry', v, `PIR vector 0x${res.vio.vec.toString(16)} pending with ON clear at VM entry`, res.vio.event);
        c = paths.exitAndReenter(b, c + 15000, p, v, tag, r.steps);
      }
      const d = b.virqDeliver(c, p, v, tag); r.steps.push(['virtual_delivery', d.c]);
      b.ev(d.c, 'irq.delivered', v, tag, d.vec, d.c - r.steps[0][1]);
      b.interrupt(tag, v, vec, r.steps, d.c);
      c = b.guestEoi(d.c, p, v, 900);
    }
  }
  while (b.count < total) b.ev(c += 10, 'nic.packet', 256, 0, b.count & 3);
  flush();
  writeSync(fd, b.tail());
  const end = String(c + 1000);
  writeSync(fd, end.padEnd(PAD), endPos);
  closeSync(fd);
  return { events: b.count, interrupts: b.interrupts.length, violations: b.violations.length, endCycle: c + 1000 };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = process.argv[2];
  if (!out) { console.error('usage: gen-big-trace.mjs OUT.json [N]'); process.exit(2); }
  console.log(writeBigTrace(out, Number(process.argv[3] || 1_000_000)));
}
