// viewer/src/trace.js - the indexed trace. Its parts: trace-state.js (the inspector's state at
// an event), trace-irq.js (interrupts and their steps), trace-hyp.js (handler slices).
//
// Load: JSON.parse once, then one pass builds typed arrays per field (cycle, kind, unit, tag,
// six args), per-unit and per-kind event indexes, the pCPU/vCPU lane segments, and a state
// snapshot every SNAP_EVERY events. The inspector's state at the cursor is a snapshot plus
// at most SNAP_EVERY - 1 replayed events, so every step costs the same on any trace size.
import { UNIT_KINDS, ARG_NAMES, EXIT_REASONS } from './names.js';
import { upperBound } from './search.js';
import { inTimeOrder } from './load.js';
import { HypPart } from './trace-hyp.js';
import { StatePart, OP_BY_NAME } from './trace-state.js';
import { InterruptPart } from './trace-irq.js';

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
   * The kind of unit event e happened on. Its kind says so (oracle.violation: the oracles'
   * own unit, `units.oracle`), except in traces written before that unit existed, whose
   * oracle.violation carries the unit of the event that revealed the violation (the event just
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
      if (this.kind[e] === kv && declared !== 'oracle') {
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

  /** Segment value of a lane at cycle c: {val, aux, start} or null before its first segment. */
  segAt(seg, c) {
    const i = upperBound(seg.start, c) - 1;
    return i < 0 ? null : { val: seg.val[i], aux: seg.aux[i], start: seg.start[i] };
  }
}

for (const part of [HypPart, StatePart, InterruptPart]) {
  for (const name of Object.getOwnPropertyNames(part.prototype)) {
    if (name !== 'constructor') Object.defineProperty(Trace.prototype, name, Object.getOwnPropertyDescriptor(part.prototype, name));
  }
}
