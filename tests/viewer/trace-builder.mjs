// tests/viewer/trace-builder.mjs - writes pisim traces (docs/trace-format.md) for the
// viewer's tests: the fixture (gen-fixture.mjs) and the 1,000,000-event trace
// (gen-big-trace.mjs).
//
// The kinds table is read from model/common/trace.h (PISIM_EVENT_KINDS), so kind
// numbers, units and argument names are exactly the simulator's. The builder keeps the
// machine state that the events describe (PIDs, virtual-APIC pages, local APICs,
// blocking lists) so that every event's old/new values are consistent, and emits the
// posted-interrupt paths step by step (SDM 29.1, 29.2, 29.6; VT-d 5.1, 5.2; Xen
// docs/misc/vtd-pi.txt).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const TRACE_H = join(here, '..', '..', 'model', 'common', 'trace.h');

/** Parse PISIM_EVENT_KINDS of trace.h into [{name, unit, args}] (index = kind number). */
export function parseKinds(text = readFileSync(TRACE_H, 'utf8')) {
  const body = text.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\\\n/g, ' ');
  const start = body.indexOf('#define PISIM_EVENT_KINDS(X)');
  if (start < 0) throw new Error('PISIM_EVENT_KINDS not found in trace.h');
  const end = body.indexOf('\n', start);
  const macro = body.slice(start, end);
  const re = /\bX\(\s*(\w+)\s*,\s*"([^"]+)"\s*,\s*(\w+)\s*((?:,\s*"[^"]*"\s*)*)\)/g;
  const kinds = [];
  for (let m; (m = re.exec(macro));) {
    const args = [...m[4].matchAll(/"([^"]*)"/g)].map((a) => a[1]);
    while (args.length && args[args.length - 1] === '') args.pop();
    kinds.push({ name: m[2], unit: m[3], args });
  }
  if (kinds.length < 40) throw new Error(`only ${kinds.length} kinds parsed from trace.h`);
  return kinds;
}

const TWO53 = 2n ** 53n;
/** A value as the format writes it: a number below 2^53, else a "0x..." string. */
export function enc(v) {
  const b = BigInt(v);
  if (b < 0n) throw new Error('negative value');
  return b >= TWO53 ? '0x' + b.toString(16) : Number(b);
}

// Modes and states (docs/trace-format.md; hyp/include/hyp/trace.h).
export const MODE = { root: 0, nonroot: 1, guest_hlt: 2, idle: 3 };
export const VSTATE = { offline: 0, runnable: 1, running: 2, blocked: 3 };
export const HANDLER = { vmexit: 1, irq: 2, pi_notification: 3, pi_wakeup: 4, timer: 5, softirq: 7 };
export const SCHED = { idle: 0, slice: 1, block: 2, wake: 3, preempt: 4, tasklet: 6 };
export const WRITER = { vtd: 0, cpu: 1, hyp: 2 };
export const HYP_INVALID = 0xffffffff;
const VTPR = 0x80, VPPR = 0xa0, VISR = 0x100, VIRR = 0x200;

function highestBit(words /* Array<number> of 8 x 32-bit */) {
  for (let w = 7; w >= 0; w--) {
    const x = words[w] >>> 0;
    if (x) return w * 32 + (31 - Math.clz32(x));
  }
  return 0;
}

export class TraceBuilder {
  /**
   * @param {object} o - {scenario, seed, profile, irq_mode, pcpus: n, vcpus: [{domain, pcpu}],
   *   nv: notification vector, wv: wakeup vector, write: optional sink for event lines}
   */
  constructor(o) {
    this.kinds = parseKinds();
    this.kindIndex = new Map(this.kinds.map((k, i) => [k.name, i]));
    this.meta = o;
    this.nv = o.nv; this.wv = o.wv;
    this.units = {
      pcpu: Array.from({ length: o.pcpus }, (_, i) => ({ id: i, name: `pcpu${i}`, apic_id: i })),
      vcpu: o.vcpus.map((v, i) => ({ id: i, name: `d${v.domain}v${v.index ?? i}`, domain: v.domain, pid: 0x7f2a1000 + i * 64 })),
      vtd: [{ id: 0, name: 'vtd0' }],
      dev: [{ id: 256, name: 'nic0' }],
      oracle: [{ id: 0, name: 'oracles' }],
    };
    this.pid = this.units.vcpu.map((v, i) => {
      const ndst = BigInt(o.vcpus[i].pcpu) << 8n; // xAPIC: APIC ID in NDST bits 15:8
      return [0n, 0n, 0n, 0n, (ndst << 32n) | (BigInt(this.nv) << 16n)];
    });
    this.vapic = this.units.vcpu.map(() => ({ words: new Map(), rvi: 0, svi: 0, vppr: 0 }));
    this.lapic = this.units.pcpu.map(() => ({ irr: new Array(8).fill(0), isr: new Array(8).fill(0) }));
    this.events = [];
    this.count = 0;
    this.write = o.write || null; // streaming: write(line) per event
    this.interrupts = [];
    this.violations = [];
    this.lastCycle = 0;
  }

  /** Emit one event; returns its index. Args beyond the kind's named args are an error. */
  ev(cycle, name, unit, tag, ...args) {
    const k = this.kindIndex.get(name);
    if (k === undefined) throw new Error(`unknown kind ${name}`);
    const n = this.kinds[k].args.length;
    if (args.length > n) throw new Error(`${name}: ${args.length} args, kind has ${n}`);
    while (args.length < n) args.push(0);
    if (cycle < this.lastCycle) throw new Error(`${name}: cycle ${cycle} before ${this.lastCycle}`);
    this.lastCycle = cycle;
    const row = [enc(cycle), k, unit, enc(tag), ...args.map(enc)];
    if (this.write) this.write(JSON.stringify(row)); else this.events.push(row);
    return this.count++;
  }

  // --- machine memory -------------------------------------------------------------
  pidWrite(c, v, word, value, writer, tag = 0) {
    const old = this.pid[v][word];
    this.pid[v][word] = value;
    this.ev(c, 'pid.update', v, tag, this.units.vcpu[v].pid, word, old, value, writer);
  }
  pidControl(v) { return this.pid[v][4]; }
  setControl(c, v, { on, sn, nv, ndst }, writer, tag = 0) {
    let x = this.pid[v][4];
    if (on !== undefined) x = on ? x | 1n : x & ~1n;
    if (sn !== undefined) x = sn ? x | 2n : x & ~2n;
    if (nv !== undefined) x = (x & ~(0xffn << 16n)) | (BigInt(nv) << 16n);
    if (ndst !== undefined) x = (x & 0xffffffffn) | (BigInt(ndst) << 8n << 32n);
    this.pidWrite(c, v, 4, x, writer, tag);
  }
  pirHas(v) { return this.pid[v].slice(0, 4).some((w) => w !== 0n); }
  vapicWord(v, off) { return this.vapic[v].words.get(off) || 0; }
  vapicWrite(c, v, off, value, tag = 0) {
    const old = this.vapicWord(v, off);
    this.vapic[v].words.set(off, value >>> 0);
    this.ev(c, 'vapic.update', v, tag, off, old, value >>> 0);
  }
  vapicBit(c, v, base, vec, on, tag = 0) {
    const off = base + ((vec & 0xe0) >> 1);
    const old = this.vapicWord(v, off);
    const nw = on ? (old | (1 << (vec & 31))) >>> 0 : (old & ~(1 << (vec & 31))) >>> 0;
    this.vapicWrite(c, v, off, nw, tag);
  }
  vapicBits(v, base) {
    return Array.from({ length: 8 }, (_, i) => this.vapicWord(v, base + i * 0x10));
  }
  cpuVapic(c, v, tag = 0) {
    const s = this.vapic[v];
    this.ev(c, 'cpu.vapic', v, tag, s.rvi, s.svi, s.vppr);
  }

  // --- local APIC (SDM 10) ------------------------------------------------------------
  ppr(p) { const isrv = highestBit(this.lapic[p].isr); return isrv & 0xf0; }
  apicAccept(c, p, vec, tag = 0) {
    this.lapic[p].irr[vec >> 5] |= 1 << (vec & 31);
    this.ev(c, 'apic.accept', p, tag, vec, this.ppr(p));
  }
  apicDispatch(c, p, vec, tag = 0) {
    const a = this.lapic[p];
    a.irr[vec >> 5] &= ~(1 << (vec & 31));
    a.isr[vec >> 5] |= 1 << (vec & 31);
    this.ev(c, 'apic.dispatch', p, tag, vec, this.ppr(p));
  }
  apicEoi(c, p, tag = 0) {
    const a = this.lapic[p];
    const vec = highestBit(a.isr);
    a.isr[vec >> 5] &= ~(1 << (vec & 31));
    this.ev(c, 'apic.eoi', p, tag, vec, this.ppr(p));
  }

  // --- device and VT-d (VT-d 5.1, 5.2) ---------------------------------------------------
  /**
   * NIC MSI-X write, remapping and posting of guest vector `vec` for vCPU `v`.
   * Returns {c, notified, steps}. Cycle offsets are the profile's costs.
   */
  devicePost(c, tag, v, vec, irteIndex = 0) {
    const steps = [];
    const addr = (0xfee00000 | (irteIndex << 5) | 0x18) >>> 0; // remappable, SHV=1
    this.ev(c, 'nic.packet', 256, tag, 0);
    c += 40; this.ev(c, 'nic.msi_write', 256, tag, addr, 0, 0, 0); steps.push(['device_write', c]);
    c += 120; this.ev(c, 'vtd.request', 0, tag, addr, 0, 256); steps.push(['vtd_request', c]);
    const pidAddr = BigInt(this.units.vcpu[v].pid);
    const lo = 1n | (1n << 15n) | (BigInt(vec) << 16n) | ((pidAddr >> 6n) << 38n);
    const hi = (1n << 18n) | 256n << 0n | ((pidAddr >> 32n) << 32n);
    c += 180; this.ev(c, 'vtd.irte_fetch', 0, tag, irteIndex, 1, lo, hi); steps.push(['remapping', c]);
    // Posting: one atomic RMW of the PID line [VT-d 5.2.3].
    c += 260;
    const oldCtl = this.pid[v][4];
    const w = vec >> 6;
    this.pidWrite(c, v, w, this.pid[v][w] | (1n << BigInt(vec & 63)), WRITER.vtd, tag);
    const on = (oldCtl & 1n) !== 0n, sn = (oldCtl & 2n) !== 0n;
    const notify = !on && !sn;
    if (notify) this.setControl(c, v, { on: 1 }, WRITER.vtd, tag);
    this.ev(c, 'vtd.post', 0, tag, irteIndex, pidAddr, vec, oldCtl, this.pid[v][4], notify ? 1 : 0);
    steps.push(['posting', c]);
    if (notify) {
      const ctl = this.pid[v][4];
      const ndst = Number((ctl >> 32n) & 0xffffffffn), nv = Number((ctl >> 16n) & 0xffn);
      c += 90; this.ev(c, 'vtd.notify', 0, tag, ndst, nv, pidAddr);
      const p = ndst >> 8; // xAPIC APIC ID = pcpu index here
      c += 150; this.apicAccept(c, p, nv, tag); steps.push(['notification', c]);
      return { c, notified: true, nv, pcpu: p, steps };
    }
    return { c, notified: false, steps };
  }

  /** CPU posted-interrupt processing in non-root mode [SDM 29.6]. */
  piProcess(c, p, v, tag = 0) {
    c += 30; this.apicDispatch(c, p, this.nv, tag);            // 1: acknowledge
    c += 10; this.setControl(c, v, { on: 0 }, WRITER.cpu, tag); // 3: ON cleared
    c += 10; this.apicEoi(c, p, tag);                            // 4: EOI
    const pir = this.pid[v].slice(0, 4);
    let maxv = -1;
    c += 20;
    for (let w = 0; w < 4; w++) {                               // 5: PIR -> VIRR
      if (pir[w] === 0n) continue;
      for (let b = 0; b < 64; b++) if ((pir[w] >> BigInt(b)) & 1n) {
        const vec = w * 64 + b; maxv = Math.max(maxv, vec);
        this.vapicBit(c, v, VIRR, vec, true, tag);
      }
      this.pidWrite(c, v, w, 0n, WRITER.cpu, tag);
    }
    const s = this.vapic[v];
    if (maxv > s.rvi) s.rvi = maxv;                              // 6: RVI
    this.cpuVapic(c, v, tag);
    this.ev(c, 'cpu.pi_process', p, tag, v, s.rvi, pir[0], pir[1], pir[2], pir[3]);
    return c;
  }

  /** Virtual-interrupt delivery [SDM 29.2.2]: returns the cycle of guest ISR entry. */
  virqDeliver(c, p, v, tag = 0) {
    const s = this.vapic[v];
    const vec = s.rvi;
    if (!vec || (vec & 0xf0) <= (s.vppr & 0xf0)) throw new Error('nothing deliverable');
    c += 60;
    this.vapicBit(c, v, VISR, vec, true, tag);
    s.svi = vec; s.vppr = vec & 0xf0;
    this.vapicWrite(c, v, VPPR, s.vppr, tag);
    this.vapicBit(c, v, VIRR, vec, false, tag);
    s.rvi = highestBit(this.vapicBits(v, VIRR));
    this.cpuVapic(c, v, tag);
    this.ev(c, 'cpu.virq_deliver', p, tag, v, vec, s.rvi, s.svi);
    c += 80; this.ev(c, 'guest.isr_begin', v, tag, vec);
    return { c, vec };
  }

  /** Guest ISR body and virtualized EOI [SDM 29.1.4]. */
  guestEoi(c, p, v, isrCost) {
    const s = this.vapic[v];
    const vec = s.svi;
    c += isrCost; this.ev(c, 'guest.isr_end', v, 0, vec);
    c += 20;
    this.vapicBit(c, v, VISR, vec, false);
    s.svi = highestBit(this.vapicBits(v, VISR));
    const vtpr = this.vapicWord(v, VTPR);
    s.vppr = (vtpr & 0xf0) >= (s.svi & 0xf0) ? vtpr : s.svi & 0xf0;
    this.vapicWrite(c, v, VPPR, s.vppr);
    this.cpuVapic(c, v);
    this.ev(c, 'cpu.veoi', p, 0, v, vec, s.svi, 0);
    return c;
  }

  interrupt(tag, v, vec, steps, deliveredAt) {
    const write = steps.find((s) => s[0] === 'device_write')[1];
    this.interrupts.push({
      tag: enc(tag), device: 256, vcpu: v, vector: vec,
      delivered: deliveredAt !== null, latency: deliveredAt !== null ? deliveredAt - write : null,
      steps: steps.map(([name, cycle]) => ({ name, cycle })),
    });
  }

  violation(cycle, oracle, v, message, event) {
    this.violations.push({ cycle, oracle, vcpu: v, message, event });
  }

  header(endCycle) {
    const o = this.meta;
    return {
      format: 'pisim-trace', version: 1, scenario: o.scenario, seed: o.seed, profile: o.profile,
      irq_mode: o.irq_mode, end_cycle: endCycle, truncated: false, units: this.units,
      kinds: this.kinds.map((k) => ({ name: k.name, unit: k.unit, args: k.args })),
    };
  }

  /** The whole document as text (non-streaming builders): one event, kind, unit per line. */
  toJSON(endCycle) {
    return this.head(endCycle) + this.events.map((e) => '  ' + JSON.stringify(e)).join(',\n') + this.tail();
  }

  /** Everything before the first event line. */
  head(endCycle) {
    const h = this.header(endCycle);
    const lines = [];
    for (const [k, val] of Object.entries(h)) {
      if (k === 'units') {
        const u = Object.entries(val).map(([n, list]) =>
          `  ${JSON.stringify(n)}: [\n${list.map((x) => '   ' + JSON.stringify(x)).join(',\n')}\n  ]`);
        lines.push(` "units": {\n${u.join(',\n')}\n }`);
      } else if (k === 'kinds') {
        lines.push(` "kinds": [\n${val.map((x) => '  ' + JSON.stringify(x)).join(',\n')}\n ]`);
      } else lines.push(` ${JSON.stringify(k)}: ${JSON.stringify(val)}`);
    }
    return '{\n' + lines.join(',\n') + ',\n "events": [\n';
  }

  /** Everything after the last event line. */
  tail() {
    const list = (a) => (a.length ? '[\n' + a.map((x) => '  ' + JSON.stringify(x)).join(',\n') + '\n ]' : '[]');
    return '\n ],\n "interrupts": ' + list(this.interrupts) + ',\n "violations": ' + list(this.violations) + '\n}\n';
  }
}

/**
 * The posted-interrupt lifecycle paths and their races, on vCPU v running on pCPU p (Xen
 * docs/misc/vtd-pi.txt). Each returns the
 * cycle where it ended. `tag` is the device interrupt's tag.
 */
export const paths = {
  /** Start v on p: PID programmed, vCPU running in non-root mode. */
  start(b, c, p, v) {
    b.ev(c, 'hyp.vcpu_state', v, 0, VSTATE.offline, VSTATE.runnable, p);
    b.setControl(c + 10, v, { nv: b.nv, ndst: p, sn: 0 }, WRITER.hyp);
    b.ev(c + 20, 'hyp.schedule', p, 0, HYP_INVALID, v, SCHED.wake);
    b.ev(c + 20, 'hyp.vcpu_state', v, 0, VSTATE.runnable, VSTATE.running, p);
    b.ev(c + 40, 'hyp.vm_entry', p, 0, v);
    b.ev(c + 60, 'cpu.vm_entry', p, 0, v, b.vapic[v].rvi, b.vapic[v].svi);
    b.ev(c + 60, 'cpu.mode', p, 0, MODE.nonroot, v);
    return c + 60;
  },

  /** NIC interrupt posted to a running vCPU: consumed by hardware, no exit. */
  postedRunning(b, c, p, v, tag, vec, irte, isrCost = 900) {
    const r = b.devicePost(c, tag, v, vec, irte);
    if (!r.notified || r.pcpu !== p) throw new Error('running vCPU must be notified on its pCPU');
    c = b.piProcess(r.c, p, v, tag); r.steps.push(['pi_processing', c]);
    const d = b.virqDeliver(c, p, v, tag); r.steps.push(['virtual_delivery', d.c]);
    const write = r.steps[0][1];
    b.ev(d.c, 'irq.delivered', v, tag, d.vec, d.c - write);
    b.interrupt(tag, v, vec, r.steps, d.c);
    return b.guestEoi(d.c, p, v, isrCost);
  },

  /** The guest halts: HLT exit, the vCPU blocks with NV = wakeup vector on p's list. */
  block(b, c, p, v) {
    b.ev(c, 'guest.halt', v, 0);
    c += 40; b.ev(c, 'cpu.vm_exit', p, 0, v, 12, 0, 0);
    b.ev(c, 'cpu.mode', p, 0, MODE.root, v);
    c += 200; b.ev(c, 'hyp.handler_enter', p, 0, HANDLER.vmexit, 12, v);
    c += 100; b.ev(c, 'hyp.vcpu_state', v, 0, VSTATE.running, VSTATE.blocked, p);
    c += 50; b.setControl(c, v, { nv: b.wv }, WRITER.hyp);
    c += 80; b.ev(c, 'hyp.blocklist_add', p, 0, v, p);
    c += 60; b.ev(c, 'hyp.handler_exit', p, 0, HANDLER.vmexit, 12, v);
    c += 150; b.ev(c, 'hyp.schedule', p, 0, v, HYP_INVALID, SCHED.block);
    c += 100; b.ev(c, 'cpu.mode', p, 0, MODE.idle, HYP_INVALID);
    return c;
  },

  /** NIC interrupt to the blocked vCPU: wakeup vector, wakeup handler, software PIR sync. */
  postedBlocked(b, c, p, v, tag, vec, irte, isrCost = 900) {
    const r = b.devicePost(c, tag, v, vec, irte);
    if (!r.notified || r.nv !== b.wv) throw new Error('blocked vCPU must be woken by the wakeup vector');
    c = r.c + 400; b.ev(c, 'cpu.mode', p, 0, MODE.root, HYP_INVALID);
    b.apicDispatch(c, p, b.wv, tag);
    c += 120; b.ev(c, 'hyp.handler_enter', p, tag, HANDLER.pi_wakeup, b.wv, HYP_INVALID); r.steps.push(['hyp_handler', c]);
    c += 150; b.ev(c, 'hyp.blocklist_del', p, tag, v, p);
    c += 40; b.ev(c, 'hyp.vcpu_state', v, tag, VSTATE.blocked, VSTATE.runnable, p);
    c += 60; b.apicEoi(c, p, tag);
    c += 20; b.ev(c, 'hyp.handler_exit', p, tag, HANDLER.pi_wakeup, b.wv, HYP_INVALID);
    c += 200; b.ev(c, 'hyp.schedule', p, 0, HYP_INVALID, v, SCHED.wake);
    b.ev(c, 'hyp.vcpu_state', v, 0, VSTATE.runnable, VSTATE.running, p);
    c += 120; b.setControl(c, v, { nv: b.nv }, WRITER.hyp);
    c = paths.syncPir(b, c, p, v, tag, r.steps);
    c += 60; b.ev(c, 'hyp.vm_entry', p, 0, v);
    c += 300; b.ev(c, 'cpu.vm_entry', p, tag, v, b.vapic[v].rvi, b.vapic[v].svi);
    b.ev(c, 'cpu.mode', p, 0, MODE.nonroot, v);
    const d = b.virqDeliver(c, p, v, tag); r.steps.push(['virtual_delivery', d.c]);
    b.ev(d.c, 'irq.delivered', v, tag, d.vec, d.c - r.steps[0][1]);
    b.interrupt(tag, v, vec, r.steps, d.c);
    return b.guestEoi(d.c, p, v, isrCost);
  },

  /** Software merge of PIR into VIRR before VM entry (Xen vmx_sync_pir_to_irr; SDM 29.6). */
  syncPir(b, c, p, v, tag, steps) {
    c += 40; b.setControl(c, v, { on: 0 }, WRITER.hyp, tag);
    let maxv = -1;
    for (let w = 0; w < 4; w++) {
      const x = b.pid[v][w];
      if (x === 0n) continue;
      c += 30; b.pidWrite(c, v, w, 0n, WRITER.hyp, tag);
      for (let i = 0; i < 64; i++) if ((x >> BigInt(i)) & 1n) {
        const vec = w * 64 + i; maxv = Math.max(maxv, vec);
        b.vapicBit(c, v, VIRR, vec, true, tag);
        b.ev(c, 'hyp.virq_pend', p, tag, v, vec, 0);
      }
    }
    if (maxv > b.vapic[v].rvi) b.vapic[v].rvi = maxv;
    b.cpuVapic(c, v, tag);
    if (steps && maxv >= 0) steps.push(['injection', c]);
    return c;
  },

  /** Timer tick while v runs: external-interrupt exit, v preempted (SN = 1), pCPU runs a tasklet. */
  preempt(b, c, p, v, timerVec = 0xef) {
    b.ev(c, 'apic.timer', p, 0, timerVec, c);
    b.apicAccept(c, p, timerVec);
    c += 30; b.apicDispatch(c, p, timerVec);
    b.ev(c, 'cpu.vm_exit', p, 0, v, 1, 0, (0x80000000 | timerVec) >>> 0);
    b.ev(c, 'cpu.mode', p, 0, MODE.root, v);
    c += 200; b.ev(c, 'hyp.handler_enter', p, 0, HANDLER.timer, timerVec, v);
    c += 100; b.apicEoi(c, p);
    c += 50; b.ev(c, 'hyp.handler_exit', p, 0, HANDLER.timer, timerVec, v);
    c += 150; b.ev(c, 'hyp.schedule', p, 0, v, HYP_INVALID, SCHED.preempt);
    b.ev(c, 'hyp.vcpu_state', v, 0, VSTATE.running, VSTATE.runnable, p);
    c += 80; b.setControl(c, v, { sn: 1 }, WRITER.hyp);
    c += 40; b.ev(c, 'cpu.mode', p, 0, MODE.root, HYP_INVALID);
    return c;
  },

  /** Switch v back in. With `buggy`, the entry path forgets a PIR filled while SN was 1. */
  resume(b, c, p, v, buggy, steps = null, tag = 0) {
    b.ev(c, 'hyp.schedule', p, 0, HYP_INVALID, v, SCHED.slice);
    b.ev(c, 'hyp.vcpu_state', v, 0, VSTATE.runnable, VSTATE.running, p);
    c += 100; b.setControl(c, v, { sn: 0 }, WRITER.hyp);
    if (!buggy) c = paths.syncPir(b, c, p, v, tag, steps);
    c += 60; b.ev(c, 'hyp.vm_entry', p, 0, v);
    c += 300; b.ev(c, 'cpu.vm_entry', p, 0, v, b.vapic[v].rvi, b.vapic[v].svi);
    let vio = null;
    if (b.pirHas(v) && !(b.pid[v][4] & 1n)) {
      const vec = [0, 1, 2, 3].map((w) => b.pid[v][w]).reduce((m, x, w) => {
        for (let i = 63; i >= 0; i--) if ((x >> BigInt(i)) & 1n) return Math.max(m, w * 64 + i);
        return m;
      }, -1);
      const ev = b.ev(c, 'oracle.violation', 0, tag, 1, v, vec, 0);  // the oracles' unit
      vio = { cycle: c, event: ev, vec };
    }
    b.ev(c, 'cpu.mode', p, 0, MODE.nonroot, v);
    return { c, vio };
  },

  /** An external-interrupt exit that runs the entry path again (the late delivery). */
  exitAndReenter(b, c, p, v, tag, steps, timerVec = 0xef) {
    b.ev(c, 'apic.timer', p, 0, timerVec, c);
    b.apicAccept(c, p, timerVec);
    c += 30; b.apicDispatch(c, p, timerVec);
    b.ev(c, 'cpu.vm_exit', p, tag, v, 1, 0, (0x80000000 | timerVec) >>> 0); steps.push(['vm_exit', c]);
    b.ev(c, 'cpu.mode', p, 0, MODE.root, v);
    c += 200; b.ev(c, 'hyp.handler_enter', p, tag, HANDLER.timer, timerVec, v); steps.push(['hyp_handler', c]);
    c += 100; b.apicEoi(c, p);
    c += 50; b.ev(c, 'hyp.handler_exit', p, 0, HANDLER.timer, timerVec, v);
    c = paths.syncPir(b, c, p, v, tag, steps);
    c += 60; b.ev(c, 'hyp.vm_entry', p, 0, v);
    c += 300; b.ev(c, 'cpu.vm_entry', p, tag, v, b.vapic[v].rvi, b.vapic[v].svi);
    b.ev(c, 'cpu.mode', p, 0, MODE.nonroot, v);
    return c;
  },
};

export { VTPR, VPPR, VISR, VIRR };
