// viewer/src/trace.js - the indexed trace.
//
// Load: JSON.parse once, then one pass builds typed arrays per field (cycle, kind, unit, tag,
// six args), per-unit and per-kind event indexes, the pCPU/vCPU lane segments, and a state
// snapshot every SNAP_EVERY events. The inspector's state at the cursor is a snapshot plus
// at most SNAP_EVERY - 1 replayed events, so every step costs the same on any trace size.
import { hex } from './text.js';
import { UNIT_KINDS, ARG_NAMES, EXIT_REASONS, HANDLER_NAMES } from './names.js';
import { lowerBound, upperBound } from './search.js';
import { inTimeOrder } from './load.js';

export const SNAP_EVERY = 1024;          // events between inspector snapshots
// Inspector state layout (Uint32 words). Per vCPU: PID words 0-4 as lo/hi pairs (10),
// virtual-APIC words VTPR, VPPR, VISR 0-7, VIRR 0-7 (18), RVI, SVI, VPPR from cpu.vapic (3).
export const VS = 31, V_PID = 0, V_PAGE = 10, V_RVI = 28, V_SVI = 29, V_VPPR = 30;
// Per pCPU local APIC: IRR 0-7, ISR 0-7, PPR.
export const PS = 17, P_IRR = 0, P_ISR = 8, P_PPR = 16;
const OP = { pid: 1, vapic: 2, cpuVapic: 3, accept: 4, dispatch: 5, eoi: 6, blAdd: 7, blDel: 8 };
const OP_BY_NAME = {
  'pid.update': OP.pid, 'vapic.update': OP.vapic, 'cpu.vapic': OP.cpuVapic,
  'apic.accept': OP.accept, 'apic.dispatch': OP.dispatch, 'apic.eoi': OP.eoi,
  'hyp.blocklist_add': OP.blAdd, 'hyp.blocklist_del': OP.blDel,
};
// The event that marks each step of an interrupt's life (docs/trace-format.md step names).
const STEP_MARKERS = {
  device_write: ['nic.msi_write'], vtd_request: ['vtd.request'], remapping: ['vtd.irte_fetch', 'vtd.remap'],
  posting: ['vtd.post'], notification: ['apic.accept'], pi_processing: ['cpu.pi_process'],
  virtual_delivery: ['guest.isr_begin'], vm_exit: ['cpu.vm_exit'], hyp_handler: ['hyp.handler_enter'],
  injection: ['cpu.virq_inject', 'hyp.virq_pend'],
};

/** A JSON value of the format (number, or "0x..." for >= 2^53) as BigInt. */
export function toBig(v) { return typeof v === 'string' ? BigInt(v) : BigInt(Math.trunc(v)); }

export class Trace {
  constructor(doc) {
    if (!doc || doc.format !== 'pisim-trace') throw new Error('not a pisim trace (format != "pisim-trace")');
    if (doc.version !== 1) throw new Error(`unsupported trace version ${doc.version}`);
    this.meta = doc;
    this.kinds = doc.kinds.map((k) => ({ name: k.name, unit: k.unit, args: k.args || [], enums: (k.enums && typeof k.enums === 'object') ? k.enums : {} }));
    // "enums": enum name -> {decimal value as a string -> name}; kinds[i].enums: arg name -> enum name.
    this.enums = (doc.enums && typeof doc.enums === 'object') ? doc.enums : {};
    this.kindByName = new Map(this.kinds.map((k, i) => [k.name, i]));
    this.kindUnit = Uint8Array.from(this.kinds, (k) => Math.max(0, UNIT_KINDS.indexOf(k.unit)));
    this.ops = Uint8Array.from(this.kinds, (k) => OP_BY_NAME[k.name] || 0);
    // Units: position in the unit list by id.
    this.units = {};
    this.unitPos = {};
    for (const u of UNIT_KINDS) {
      this.units[u] = (doc.units && doc.units[u]) || [];
      this.unitPos[u] = new Map(this.units[u].map((x, i) => [Number(x.id), i]));
    }
    if (!this.units.vtd.length) this.units.vtd = [{ id: 0, name: 'vtd0' }], this.unitPos.vtd.set(0, 0);
    this.endCycle = Number(doc.end_cycle) || 0;
    const tm = this.timings = {};
    let t0 = performance.now();
    const lap = (name) => { const t1 = performance.now(); tm[name] = Math.round(t1 - t0); t0 = t1; };
    const { events, remap } = inTimeOrder(doc.events || []);
    this.indexEvents(events);
    doc.events = null; // the typed arrays hold everything now
    lap('events');
    this.buildTagIndex();
    lap('tags');
    this.buildUnitKinds();
    this.buildSegments();
    lap('segments');
    this.buildSnapshots();
    lap('snapshots');
    this.interrupts = (doc.interrupts || []).map((x, i) => this.indexInterrupt(x, i));
    const starts = this.interrupts.map((x) => x.start);
    this.irqByStart = this.interrupts.map((_, i) => i).sort((a, b) => (starts[a] - starts[b]) || (a - b));
    this.irqStarts = Float64Array.from(this.irqByStart, (i) => starts[i]);
    this.irqStartPos = new Int32Array(this.interrupts.length);
    this.irqByStart.forEach((i, pos) => { this.irqStartPos[i] = pos; });
    this.irqByTag = new Map(this.interrupts.map((x) => [x.tagKey, x]));
    this.violations = (doc.violations || []).map((x, i) => ({
      i, cycle: Number(x.cycle), oracle: String(x.oracle), vcpu: x.vcpu, message: String(x.message || ''),
      detected: x.detected_cycle === undefined || x.detected_cycle === null ? null : Number(x.detected_cycle),
      event: Math.min(Number.isInteger(x.event) ? (remap && x.event < remap.length ? remap[x.event] : x.event) : this.eventAtCycle(Number(x.cycle)), this.n - 1),
    })).sort((a, b) => (a.event - b.event) || (a.i - b.i));
  }

  indexEvents(events) {
    const n = this.n = events.length;
    const cycle = this.cycle = new Float64Array(n);
    const kind = this.kind = new Uint16Array(n);
    const unit = this.unit = new Uint32Array(n);
    const tag = this.tag = new Float64Array(n);
    const args = this.args = [0, 1, 2, 3, 4, 5].map(() => new Float64Array(n));
    const big = this.big = new Map(); // e * 8 + slot (0-5 args, 6 tag) -> BigInt
    const nk = this.kinds.length;
    const kindCount = new Uint32Array(nk);
    const kindUnit = this.kindUnit;
    // Per-unit counts: unitCount[unitKind][id] (ids are small: indexes, vCPU ids, requester IDs).
    const unitCount = UNIT_KINDS.map(() => []);
    for (let i = 0; i < n; i++) {
      const r = events[i];
      const len = r.length;
      if (len < 4) throw new Error(`event ${i}: fewer than 4 fields`);
      const c = r[0];
      cycle[i] = typeof c === 'number' ? c : Number(BigInt(c));
      const k = r[1];
      if (!(k >= 0 && k < nk)) throw new Error(`event ${i}: kind ${k} is not in "kinds"`);
      kind[i] = k; kindCount[k]++;
      const u = r[2];
      unit[i] = u;
      const uc = unitCount[kindUnit[k]];
      uc[u] = (uc[u] | 0) + 1;
      const t = r[3];
      if (typeof t === 'number') tag[i] = t; else { tag[i] = NaN; big.set(i * 8 + 6, BigInt(t)); }
      for (let a = 0; a + 4 < len && a < 6; a++) {     // trailing unused args omitted: 0
        const v = r[4 + a];
        if (typeof v === 'number') args[a][i] = v; else { args[a][i] = NaN; big.set(i * 8 + a, BigInt(v)); }
      }
      if (i && cycle[i] < cycle[i - 1]) throw new Error(`event ${i}: cycle ${cycle[i]} before ${cycle[i - 1]}`);
    }
    // Per-kind and per-unit indexes of event numbers, in trace order.
    this.byKind = Array.from(kindCount, (c) => new Int32Array(c));
    const kfill = new Uint32Array(nk);
    const byUnit = unitCount.map((uc) => uc.map((c) => new Int32Array(c)));
    const ufill = unitCount.map((uc) => uc.map(() => 0));
    for (let i = 0; i < n; i++) {
      const k = kind[i], uk = kindUnit[k], u = unit[i];
      this.byKind[k][kfill[k]++] = i;
      byUnit[uk][u][ufill[uk][u]++] = i;
    }
    this.byUnitKind = byUnit;
  }

  /** Tag index: the events of each device interrupt (tag != 0), in trace order. */
  buildTagIndex() {
    const n = this.n, tag = this.tag, big = this.big;
    // Events of one interrupt come in runs, so remember the last key's counter.
    const count = new Map();
    let lastKey = 0, last = null;
    for (let i = 0; i < n; i++) {
      const tv = tag[i];
      if (tv === 0) continue;
      if (tv === lastKey && last) { last.c++; continue; }
      const key = tv === tv ? tv : big.get(i * 8 + 6);
      let ent = count.get(key);
      if (!ent) count.set(key, ent = { c: 0, arr: null, f: 0 });
      ent.c++;
      if (tv === tv) { lastKey = tv; last = ent; } else { lastKey = 0; last = null; }
    }
    const tagIdx = this.tagIdx = new Map();
    for (const [key, ent] of count) { ent.arr = new Int32Array(ent.c); tagIdx.set(key, ent.arr); }
    lastKey = 0; last = null;
    for (let i = 0; i < n; i++) {
      const tv = tag[i];
      if (tv === 0) continue;
      let ent = tv === lastKey ? last : null;
      if (!ent) {
        ent = count.get(tv === tv ? tv : big.get(i * 8 + 6));
        if (tv === tv) { lastKey = tv; last = ent; } else { lastKey = 0; last = null; }
      }
      ent.arr[ent.f++] = i;
    }
  }

  eventsOfUnit(unitKind, id) { return this.byUnitKind[UNIT_KINDS.indexOf(unitKind)][id] || new Int32Array(0); }
  eventsOfKind(name) { const k = this.kindByName.get(name); return k === undefined ? new Int32Array(0) : this.byKind[k]; }
  argNum(e, a) { const v = this.args[a][e]; return v === v ? v : Number(this.big.get(e * 8 + a)); }
  argBig(e, a) { const v = this.args[a][e]; return v === v ? BigInt(v) : this.big.get(e * 8 + a); }
  argLo32(e, a) { const v = this.args[a][e]; return v === v ? v % 4294967296 : Number(this.big.get(e * 8 + a) & 0xffffffffn); }
  argHi32(e, a) { const v = this.args[a][e]; return v === v ? Math.floor(v / 4294967296) % 4294967296 : Number((this.big.get(e * 8 + a) >> 32n) & 0xffffffffn); }
  tagBig(e) { const v = this.tag[e]; return v === v ? BigInt(v) : this.big.get(e * 8 + 6); }
  /** Index of the last event at or before cycle c (-1 if none). */
  eventAtCycle(c) { return upperBound(this.cycle, c) - 1; }
  kindName(e) { return this.kinds[this.kind[e]].name; }
  /**
   * The kind of unit event e happened on. Its kind says so, except for oracle.violation: the
   * trace writer gives it the unit of the event that revealed the violation (the event just
   * before it in the same cycle, a NIC's requester ID, a vCPU's id...), whatever that unit's
   * kind; and a unit id missing from its kind's list is looked up in the other lists.
   */
  unitKindOf(e) {
    const o = this.unitKindOverride.get(e);
    return o === undefined ? this.kinds[this.kind[e]].unit : o;
  }

  buildUnitKinds() {
    this.unitKindOverride = new Map();
    const kv = this.kindByName.get('oracle.violation');
    for (let e = 0; e < this.n; e++) {
      const declared = this.kinds[this.kind[e]].unit, u = this.unit[e];
      let uk = declared;
      if (this.kind[e] === kv) {
        for (let j = e - 1; j >= 0 && this.cycle[j] === this.cycle[e]; j--) {
          if (this.kind[j] === kv || this.unit[j] !== u) continue;
          uk = this.kinds[this.kind[j]].unit;
          break;
        }
      }
      if (!(this.unitPos[uk] && this.unitPos[uk].has(u))) {
        const where = UNIT_KINDS.filter((k) => this.unitPos[k].has(u));
        if (where.length === 1) uk = where[0];
      }
      if (uk !== declared) this.unitKindOverride.set(e, uk);
    }
  }

  unitName(e) {
    const uk = this.unitKindOf(e);
    const pos = this.unitPos[uk] && this.unitPos[uk].get(this.unit[e]);
    return pos === undefined ? `${uk} ${this.unit[e]}?` : this.units[uk][pos].name;
  }

  /** An event's arg as a name, if it is an enum value with one (trace "enums" first), else null. */
  argName(e, a) {
    const k = this.kinds[this.kind[e]], arg = k.args[a], v = this.argNum(e, a);
    const en = arg && k.enums[arg];
    if (en !== undefined) {
      const table = this.enums[en];
      const name = table && Object.hasOwn(table, String(v)) ? table[String(v)] : undefined;
      if (name !== undefined) return String(name);
    }
    const f = ARG_NAMES[k.name] && ARG_NAMES[k.name][arg];
    if (f) {
      const name = f(v);
      if (name !== undefined && name !== null) return name;
    }
    // the detail of a VM-exit handler is the exit reason (hyp/include/hyp/trace.h)
    if (k.name.startsWith('hyp.handler_') && arg === 'detail' && this.argNum(e, 0) === 1) return EXIT_REASONS[v & 0xffff] ?? null;
    return null;
  }
  vcpuName(id) { const p = this.unitPos.vcpu.get(Number(id)); return p === undefined ? null : this.units.vcpu[p].name; }

  /** pCPU lanes from cpu.mode (mode, vcpu); vCPU lanes from hyp.vcpu_state (old, new, pcpu). */
  buildSegments() {
    const mk = (list, unitKind, id, valArg, auxArg) => {
      const sel = list.filter((e) => this.unit[e] === id);
      return {
        start: Float64Array.from(sel, (e) => this.cycle[e]),
        val: Uint8Array.from(sel, (e) => this.argNum(e, valArg)),
        aux: Float64Array.from(sel, (e) => this.argNum(e, auxArg)),
      };
    };
    const modes = Array.from(this.eventsOfKind('cpu.mode'));
    const vst = Array.from(this.eventsOfKind('hyp.vcpu_state'));
    this.pcpuSeg = this.units.pcpu.map((u) => mk(modes, 'pcpu', Number(u.id), 0, 1));
    this.vcpuSeg = this.units.vcpu.map((u) => mk(vst, 'vcpu', Number(u.id), 1, 2));
    this.buildHandlerSlices();
  }

  /**
   * The hypervisor's handler slices of each pCPU from hyp.handler_enter / hyp.handler_exit, by
   * the rules of `pisim export --perfetto` (platform/export_perfetto.cpp): handlers nest; an
   * exit closes the innermost open handler with its id and every handler opened inside it; an
   * exit without its enter closes nothing; a handler still open at the end of the trace ends
   * there. Per pCPU, ordered by start (an enclosing handler before those it holds):
   * {start, end, depth, handler, detail, vcpu, enter (event), endMax (running max of end)}.
   */
  buildHandlerSlices() {
    const kEnter = this.kindByName.get('hyp.handler_enter'), kExit = this.kindByName.get('hyp.handler_exit');
    const endAll = Math.max(this.endCycle, this.n ? this.cycle[this.n - 1] + 1 : 0);
    this.handlerSlices = this.units.pcpu.map((u) => {
      const out = [], stack = [];
      const close = (o, at) => out.push({ ...o, end: at });
      for (const e of this.eventsOfUnit('pcpu', Number(u.id))) {
        const k = this.kind[e];
        if (k === kEnter && kEnter !== undefined) {
          stack.push({ start: this.cycle[e], depth: stack.length, handler: this.argNum(e, 0), detail: this.argNum(e, 1), vcpu: this.argNum(e, 2), enter: e });
        } else if (k === kExit && kExit !== undefined) {
          const h = this.argNum(e, 0);
          let at = stack.length - 1;
          while (at >= 0 && stack[at].handler !== h) at--;
          if (at < 0) continue;
          while (stack.length > at) close(stack.pop(), this.cycle[e]);
        }
      }
      while (stack.length) close(stack.pop(), endAll);
      out.sort((a, b) => (a.start - b.start) || (a.depth - b.depth));
      const n = out.length;
      const sl = {
        n, start: new Float64Array(n), end: new Float64Array(n), endMax: new Float64Array(n), depth: new Uint8Array(n),
        handler: new Uint32Array(n), detail: new Float64Array(n), vcpu: new Float64Array(n), enter: new Int32Array(n),
      };
      let m = -Infinity;
      out.forEach((o, i) => {
        sl.start[i] = o.start; sl.end[i] = o.end; m = Math.max(m, o.end); sl.endMax[i] = m;
        sl.depth[i] = Math.min(o.depth, 255); sl.handler[i] = o.handler; sl.detail[i] = o.detail; sl.vcpu[i] = o.vcpu; sl.enter[i] = o.enter;
      });
      return sl;
    });
  }

  /** A handler slice's name: "hyp pi_wakeup", "hyp vmexit (external interrupt)". */
  handlerName(sl, i) {
    const e = sl.enter[i];
    const hn = this.argName(e, 0) ?? `handler ${sl.handler[i]}`;
    const dn = sl.handler[i] === 1 ? this.argName(e, 1) : null;
    return `hyp ${hn}${dn ? ` (${dn})` : ''}`;
  }

  /** The innermost handler slice of pCPU position p at cycle c, or -1. */
  handlerAt(p, c) {
    const sl = this.handlerSlices[p];
    let best = -1;
    for (let i = Math.max(0, lowerBound(sl.endMax, c + 1e-9)); i < sl.n && sl.start[i] <= c; i++) {
      if (sl.end[i] > c && (best < 0 || sl.depth[i] >= sl.depth[best])) best = i;
    }
    return best;
  }

  // --- inspector state ------------------------------------------------------------------
  stateSize() {
    const V = this.units.vcpu.length, P = this.units.pcpu.length;
    this.pBase = V * VS; this.bBase = this.pBase + P * PS; this.seqIdx = this.bBase + 2 * V;
    return this.seqIdx + 1;
  }

  /** Apply event e to state st (docs/trace-format.md, "Reconstructing state at a cycle"). */
  apply(st, e) {
    const op = this.ops[this.kind[e]];
    if (!op) return;
    const u = this.unit[e];
    switch (op) {
      case OP.pid: {
        const v = this.unitPos.vcpu.get(u), w = this.argNum(e, 1);
        if (v === undefined || !(w >= 0 && w <= 4)) return;
        st[v * VS + V_PID + 2 * w] = this.argLo32(e, 3);
        st[v * VS + V_PID + 2 * w + 1] = this.argHi32(e, 3);
        return;
      }
      case OP.vapic: {
        const v = this.unitPos.vcpu.get(u);
        const slot = vapicSlot(this.argNum(e, 0));
        if (v === undefined || slot < 0) return;
        st[v * VS + V_PAGE + slot] = this.argLo32(e, 2);
        return;
      }
      case OP.cpuVapic: {
        const v = this.unitPos.vcpu.get(u);
        if (v === undefined) return;
        st[v * VS + V_RVI] = this.argNum(e, 0); st[v * VS + V_SVI] = this.argNum(e, 1); st[v * VS + V_VPPR] = this.argNum(e, 2);
        return;
      }
      case OP.accept: case OP.dispatch: case OP.eoi: {
        const p = this.unitPos.pcpu.get(u);
        if (p === undefined) return;
        const b = this.pBase + p * PS, vec = this.argNum(e, 0) & 255, w = vec >> 5, bit = 1 << (vec & 31);
        if (op === OP.accept) st[b + P_IRR + w] |= bit;
        else if (op === OP.dispatch) { st[b + P_IRR + w] &= ~bit; st[b + P_ISR + w] |= bit; }
        else st[b + P_ISR + w] &= ~bit;
        st[b + P_PPR] = this.argNum(e, 1);
        return;
      }
      case OP.blAdd: case OP.blDel: {
        const v = this.unitPos.vcpu.get(this.argNum(e, 0));
        if (v === undefined) return;
        if (op === OP.blAdd) {
          st[this.bBase + 2 * v] = this.argNum(e, 1) + 1;
          st[this.bBase + 2 * v + 1] = ++st[this.seqIdx];
        } else st[this.bBase + 2 * v] = 0;
        return;
      }
    }
  }

  buildSnapshots() {
    const size = this.stateSize();
    const st = new Uint32Array(size);
    this.snaps = [];
    for (let e = 0; e < this.n; e++) {
      if (e % SNAP_EVERY === 0) this.snaps.push(st.slice());
      this.apply(st, e);
    }
    if (this.n % SNAP_EVERY === 0) this.snaps.push(st.slice());
  }

  /** State after applying events 0..e (e = -1: nothing applied). Replays < SNAP_EVERY events. */
  stateAfter(e) {
    const k = Math.floor((e + 1) / SNAP_EVERY);
    const st = this.snaps[k].slice();
    for (let j = k * SNAP_EVERY; j <= e; j++) this.apply(st, j);
    this.lastReplay = e + 1 - k * SNAP_EVERY;
    return st;
  }

  /** Segment value of a lane at cycle c: {val, aux, start} or null before its first segment. */
  segAt(seg, c) {
    const i = upperBound(seg.start, c) - 1;
    return i < 0 ? null : { val: seg.val[i], aux: seg.aux[i], start: seg.start[i] };
  }

  indexInterrupt(x, i) {
    const steps = (x.steps || []).map((s) => ({ name: String(s.name), cycle: Number(s.cycle) }));
    const write = steps.find((s) => s.name === 'device_write') || steps[0];
    const tag = toBig(x.tag);
    const dev = this.unitPos.dev.get(Number(x.device));
    return {
      i, tag, tagKey: tag.toString(), tagHex: hex(tag), device: Number(x.device),
      name: typeof x.name === 'string' && x.name !== '' ? x.name : null,
      deviceName: dev === undefined ? String(x.device) : this.units.dev[dev].name,
      vcpu: x.vcpu === undefined || x.vcpu === null ? -1 : Number(x.vcpu),
      vcpuName: this.vcpuName(x.vcpu) ?? (x.vcpu === undefined || x.vcpu === null ? '-' : String(x.vcpu)),
      vector: Number.isInteger(x.vector) ? x.vector : -1,
      delivered: !!x.delivered, latency: x.latency === null || x.latency === undefined ? null : Number(x.latency),
      start: write ? write.cycle : 0, steps, last: steps.length ? steps[steps.length - 1].name : '',
    };
  }

  /**
   * The cursor event of each step of an interrupt: every event at the step's cycle is applied,
   * except when the next step happens at the same cycle, or the step is the notification;
   * then the cursor stops at the step's own event (STEP_MARKERS, the interrupt's tag
   * preferred). A notification accepted in VMX non-root is acknowledged, EOIed and merged by
   * posted-interrupt processing in its very cycle [SDM 29.6], so the end of that cycle would
   * never show it in IRR.
   */
  stepEvents(irq) {
    const out = [];
    let prev = -1;
    irq.steps.forEach((s, k) => {
      const all = this.eventAtCycle(s.cycle);
      let e = all;
      const next = irq.steps[k + 1];
      const kinds = STEP_MARKERS[s.name];
      if (kinds && ((next && next.cycle === s.cycle) || s.name === 'notification')) {
        let any = -1, tagged = -1;
        for (let i = Math.max(lowerBound(this.cycle, s.cycle), prev + 1); i <= all; i++) {
          if (!kinds.includes(this.kindName(i))) continue;
          if (any < 0) any = i;
          if (this.tagBig(i) === irq.tag) { tagged = i; break; }
        }
        if (tagged >= 0 || any >= 0) e = tagged >= 0 ? tagged : any;
      }
      e = Math.max(e, prev);
      out.push(e);
      prev = e;
    });
    return out;
  }

  /**
   * The event each step of an interrupt happened at (-1 if none is found), by the rules of
   * `pisim export --perfetto` (platform/export_perfetto.cpp find_step_event, which takes them
   * from the latency tracker): the step's kind at the step's cycle, matched by the interrupt's
   * tag, or for steps whose events carry no tag by the vCPU (and vector); a step without a rule
   * there, its marker kind (STEP_MARKERS) carrying the tag, else any event of the interrupt at
   * that cycle.
   */
  stepAnchors(irq) {
    const rules = {
      device_write: ['nic.msi_write', 0], vtd_request: ['vtd.request', 0], remapping: ['vtd.irte_fetch', 0],
      posting: ['vtd.post', 0], host_remap: ['vtd.remap', 0], notification: ['apic.accept', 0],
      pi_processing: ['cpu.pi_process', 1], hyp_pend: ['hyp.virq_pend', 2], virtual_delivery: ['guest.isr_begin', 3],
      vm_exit: ['cpu.vm_exit', 4],
    };
    return irq.steps.map((st) => {
      const rule = rules[st.name];
      const kind = rule ? this.kindByName.get(rule[0]) : undefined;
      // a step without a rule: its marker events first (STEP_MARKERS: hyp_handler, injection), then any event of the interrupt
      const markers = new Set(rule ? [] : (STEP_MARKERS[st.name] || []).map((n) => this.kindByName.get(n)).filter((k) => k !== undefined));
      for (let pass = 0; pass < (rule ? 1 : 2); pass++)
      for (let e = lowerBound(this.cycle, st.cycle); e < this.n && this.cycle[e] === st.cycle; e++) {
        let ok;
        if (!rule) ok = this.tagBig(e) === irq.tag && (!markers.size || markers.has(this.kind[e]) || pass === 1);
        else if (kind === undefined || this.kind[e] !== kind) ok = false;
        else {
          switch (rule[1]) {
            case 0: ok = this.tagBig(e) === irq.tag; break;
            case 1: ok = irq.vcpu >= 0 && this.argNum(e, 0) === irq.vcpu; break;
            case 2: ok = irq.vcpu >= 0 && this.argNum(e, 0) === irq.vcpu && this.argNum(e, 1) === irq.vector; break;
            case 3: ok = irq.vcpu >= 0 && this.unit[e] === irq.vcpu && this.argNum(e, 0) === irq.vector; break;
            default: ok = irq.vcpu >= 0 && this.argNum(e, 0) === irq.vcpu && this.argNum(e, 1) === 1; break;
          }
        }
        if (ok) return e;
      }
      return -1;
    });
  }

  /** Event numbers that carry this interrupt's tag (from the tag index built at load). */
  eventsOfTag(tag) {
    const key = tag < 9007199254740992n ? Number(tag) : tag;
    return Array.from(this.tagIdx.get(key) || []);
  }
}

/** Slot of a virtual-APIC page offset in the state: VTPR 0, VPPR 1, VISR 2-9, VIRR 10-17. */
function vapicSlot(off) {
  if (off === 0x80) return 0;
  if (off === 0xa0) return 1;
  if (off >= 0x100 && off <= 0x170 && (off & 0xf) === 0) return 2 + ((off - 0x100) >> 4);
  if (off >= 0x200 && off <= 0x270 && (off & 0xf) === 0) return 10 + ((off - 0x200) >> 4);
  return -1;
}
