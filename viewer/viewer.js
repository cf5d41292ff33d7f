// viewer/viewer.js - pisim's trace viewer (docs/trace-format.md). Plain JavaScript, no build
// step, no network beyond reading the trace. The trace is read from an inline
// <script id="pisim-trace" type="application/json"> (what `pisim report` writes) or fetched
// from ?trace= (default trace.json), a path on the page's own origin (what `pisim view` serves).
//
// Every string of a trace (names of units, kinds, args and steps, violation texts, the
// scenario) reaches the page as text: through el() below, textContent, new Option or the
// canvas, never as markup. The pages also carry a Content-Security-Policy (cli/cmd_view.cpp).
//
// Load: JSON.parse once, then one pass builds typed arrays per field (cycle, kind, unit, tag,
// six args), per-unit and per-kind event indexes, the pCPU/vCPU lane segments, and a state
// snapshot every SNAP_EVERY events. The inspector's state at the cursor is a snapshot plus
// at most SNAP_EVERY - 1 replayed events, so every step costs the same on any trace size.
'use strict';
(() => {
  const SNAP_EVERY = 1024;          // events between inspector snapshots
  const LABEL_W = 120;              // px, lane label column
  const RULER_H = 20;               // px
  const LANE_H = 22;                // px
  const ROW_H = 20;                 // px, interrupt list row (matches viewer.css)
  const UNIT_KINDS = ['pcpu', 'vcpu', 'vtd', 'dev', 'mem'];
  const MODE_NAMES = ['root', 'non-root', 'guest HLT', 'idle'];
  const MODE_COLORS = ['#e5a33a', '#3aa757', '#9bd4a7', '#c9cbd0'];
  const VSTATE_NAMES = ['offline', 'runnable', 'running', 'blocked'];
  const VSTATE_COLORS = [null, '#e8cb4a', '#3aa757', '#5b8def'];
  const HYP_INVALID = 0xffffffff;
  // Inspector state layout (Uint32 words). Per vCPU: PID words 0-4 as lo/hi pairs (10),
  // virtual-APIC words VTPR, VPPR, VISR 0-7, VIRR 0-7 (18), RVI, SVI, VPPR from cpu.vapic (3).
  const VS = 31, V_PID = 0, V_PAGE = 10, V_RVI = 28, V_SVI = 29, V_VPPR = 30;
  // Per pCPU local APIC: IRR 0-7, ISR 0-7, PPR.
  const PS = 17, P_IRR = 0, P_ISR = 8, P_PPR = 16;
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
  const HEX_ARG = /address|irte|^old|^new|^pid$|^pir|control|qualification|intr_info|^data$|vector$|^nv$|ppr|^rvi$|^svi$|ndst|^dest$|status/;

  const $ = (id) => document.getElementById(id);

  /**
   * A DOM element built from parts, never from markup. `attrs` (literal names only): `class`,
   * `style` (an object of style properties), any other name as an attribute; each child is a
   * node, an array of children, or a value shown as text. null, undefined and false are skipped.
   */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (name === 'class') node.className = v;
      else if (name === 'style') Object.assign(node.style, v);
      else node.setAttribute(name, String(v));
    }
    for (const c of children.flat(Infinity)) {
      if (c === undefined || c === null || c === false) continue;
      node.append(c instanceof Node ? c : String(c));
    }
    return node;
  }
  const hex = (v, w = 0) => '0x' + v.toString(16).padStart(w, '0');

  // ---------------------------------------------------------------------------------------
  // Loading
  async function loadTraceText() {
    const inline = document.getElementById('pisim-trace');
    if (inline) return { text: inline.textContent, source: 'inline' };
    const param = new URLSearchParams(location.search).get('trace') || 'trace.json';
    const url = sameOriginUrl(param);
    const r = await fetch(url, { credentials: 'same-origin' });
    if (!r.ok) throw new Error(`cannot read ${param}: HTTP ${r.status}`);
    return { text: await r.text(), source: param };
  }

  /** ?trace= resolved: a path on the page's own origin; a link cannot point the page elsewhere. */
  function sameOriginUrl(param) {
    const url = new URL(param, location.href);
    if (url.origin !== location.origin || url.username || url.password) throw new Error('?trace= must be a path on this server');
    return url.href;
  }

  /**
   * The events in time order, as the trace reader of `pisim export` takes them
   * (platform/trace_reader.h): an event written after one of a later cycle moves to its own
   * cycle, after the events already there. `remap[i]` is the new index of the file's event i;
   * null when the file is in order (what `pisim run` writes).
   */
  function inTimeOrder(events) {
    const cyc = (r) => (Array.isArray(r) ? (typeof r[0] === 'number' ? r[0] : Number(BigInt(r[0]))) : NaN);
    let prev = -Infinity, sorted = true;
    for (let i = 0; i < events.length && sorted; i++) { const c = cyc(events[i]); sorted = !(c < prev); prev = c; }
    if (sorted) return { events, remap: null };
    const order = events.map((_, i) => i).sort((a, b) => (cyc(events[a]) - cyc(events[b])) || (a - b));
    const remap = new Int32Array(events.length);
    order.forEach((old, pos) => { remap[old] = pos; });
    return { events: order.map((i) => events[i]), remap };
  }

  // ---------------------------------------------------------------------------------------
  // The indexed trace
  function lowerBound(arr, x, lo = 0, hi = arr.length) {    // first i with arr[i] >= x
    while (lo < hi) { const m = (lo + hi) >>> 1; if (arr[m] < x) lo = m + 1; else hi = m; }
    return lo;
  }
  function upperBound(arr, x, lo = 0, hi = arr.length) {    // first i with arr[i] > x
    while (lo < hi) { const m = (lo + hi) >>> 1; if (arr[m] <= x) lo = m + 1; else hi = m; }
    return lo;
  }
  // Same over an index array of event numbers, comparing their cycles.
  function lowerBoundIdx(idx, cyc, x) {
    let lo = 0, hi = idx.length;
    while (lo < hi) { const m = (lo + hi) >>> 1; if (cyc[idx[m]] < x) lo = m + 1; else hi = m; }
    return lo;
  }

  /** A JSON value of the format (number, or "0x..." for >= 2^53) as BigInt. */
  function toBig(v) { return typeof v === 'string' ? BigInt(v) : BigInt(Math.trunc(v)); }

  class Trace {
    constructor(doc) {
      if (!doc || doc.format !== 'pisim-trace') throw new Error('not a pisim trace (format != "pisim-trace")');
      if (doc.version !== 1) throw new Error(`unsupported trace version ${doc.version}`);
      this.meta = doc;
      this.kinds = doc.kinds.map((k) => ({ name: k.name, unit: k.unit, args: k.args || [] }));
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
    unitName(e) {
      const uk = this.kinds[this.kind[e]].unit;
      const pos = this.unitPos[uk] && this.unitPos[uk].get(this.unit[e]);
      return pos === undefined ? `${uk}${this.unit[e]}` : this.units[uk][pos].name;
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

  // ---------------------------------------------------------------------------------------
  // The viewer
  class Viewer {
    constructor(trace) {
      this.t = trace;
      this.canvas = $('timeline');
      this.ctx = this.canvas.getContext('2d');
      this.cursor = { cycle: 0, event: -1 };
      this.view = { c0: 0, c1: Math.max(1, trace.endCycle || (trace.n ? trace.cycle[trace.n - 1] : 1)) };
      this.selVcpu = trace.units.vcpu.length ? 0 : -1;
      this.selPcpu = trace.units.pcpu.length ? 0 : -1;
      this.selIrq = null;
      this.selIrqEvents = [];
      this.sort = { col: 'start', dir: 1 };
      this.filter = { vcpu: '', vector: null, undelivered: false };
      this.buildLanes();
      this.buildStatic();
      this.bindControls();
      this.applyFilter();
    }

    // --- lanes ----------------------------------------------------------------------------
    buildLanes() {
      const t = this.t;
      this.lanes = [];
      // Marks under the state bars: interrupts accepted by a pCPU's local APIC, guest ISR entries of a vCPU.
      const of = (name, id) => Int32Array.from(t.eventsOfKind(name).filter((e) => t.unit[e] === id));
      t.units.pcpu.forEach((u, i) => this.lanes.push({ type: 'pcpu', pos: i, label: u.name, seg: t.pcpuSeg[i], marks: of('apic.accept', Number(u.id)), markColor: '#8e44ad' }));
      t.units.vcpu.forEach((u, i) => this.lanes.push({ type: 'vcpu', pos: i, label: u.name, seg: t.vcpuSeg[i], marks: of('guest.isr_begin', Number(u.id)), markColor: '#0a6e8a' }));
      t.units.vtd.forEach((u) => this.lanes.push({ type: 'vtd', label: u.name, ev: t.eventsOfUnit('vtd', Number(u.id)) }));
      t.units.dev.forEach((u) => this.lanes.push({ type: 'dev', label: u.name, ev: t.eventsOfUnit('dev', Number(u.id)) }));
      const h = RULER_H + this.lanes.length * LANE_H + 4;
      this.canvas.style.height = h + 'px';
    }

    laneOfEvent(e) {
      const t = this.t, uk = t.kinds[t.kind[e]].unit, id = t.unit[e];
      if (uk === 'pcpu' || uk === 'vcpu') {
        const pos = t.unitPos[uk].get(id);
        return this.lanes.findIndex((l) => l.type === uk && l.pos === pos);
      }
      if (uk === 'vtd' || uk === 'dev') {
        const pos = t.unitPos[uk].get(id);
        let k = -1;
        return this.lanes.findIndex((l) => l.type === uk && ++k === pos);
      }
      return -1;
    }

    x(c) { return LABEL_W + (c - this.view.c0) / (this.view.c1 - this.view.c0) * this.plotW; }
    c(x) { return this.view.c0 + (x - LABEL_W) / this.plotW * (this.view.c1 - this.view.c0); }

    draw() {
      const cv = this.canvas, dpr = window.devicePixelRatio || 1;
      const w = cv.clientWidth, h = cv.clientHeight;
      if (cv.width !== Math.round(w * dpr) || cv.height !== Math.round(h * dpr)) {
        cv.width = Math.round(w * dpr); cv.height = Math.round(h * dpr);
      }
      const g = this.ctx;
      g.setTransform(dpr, 0, 0, dpr, 0, 0);
      g.clearRect(0, 0, w, h);
      this.plotW = Math.max(10, w - LABEL_W - 4);
      g.font = '11px system-ui, sans-serif';
      g.textBaseline = 'middle';
      this.drawRuler(g, h);
      this.lanes.forEach((lane, i) => {
        const y = RULER_H + i * LANE_H;
        g.fillStyle = i % 2 ? '#fbfbfc' : '#f4f5f7';
        g.fillRect(0, y, w, LANE_H);
        g.fillStyle = '#333';
        const sel = (lane.type === 'vcpu' && lane.pos === this.selVcpu) || (lane.type === 'pcpu' && lane.pos === this.selPcpu);
        g.font = (sel ? 'bold ' : '') + '11px system-ui, sans-serif';
        g.fillText(lane.label, 6, y + LANE_H / 2);
        g.font = '11px system-ui, sans-serif';
        g.save();
        g.beginPath(); g.rect(LABEL_W, y, this.plotW, LANE_H); g.clip();
        if (lane.seg) {
          this.drawSegments(g, lane, y + 3, LANE_H - 7);
          this.drawTicks(g, lane.marks, y + LANE_H - 4, 3, lane.markColor);
        }
        else this.drawTicks(g, lane.ev, y + 4, LANE_H - 8);
        g.restore();
      });
      this.drawSelectedIrq(g);
      this.drawViolations(g, h);
      // cursor
      const cx = this.x(this.cursor.cycle);
      if (cx >= LABEL_W && cx <= LABEL_W + this.plotW) {
        g.strokeStyle = '#1a4fd6'; g.lineWidth = 1.5;
        g.beginPath(); g.moveTo(cx, 0); g.lineTo(cx, h); g.stroke();
      }
    }

    drawRuler(g, h) {
      const span = this.view.c1 - this.view.c0;
      const raw = span / Math.max(1, this.plotW / 110);
      const p = Math.pow(10, Math.floor(Math.log10(Math.max(1, raw))));
      const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) || 10 * p;
      g.fillStyle = '#fff'; g.fillRect(0, 0, LABEL_W + this.plotW + 4, RULER_H);
      g.fillStyle = '#666'; g.strokeStyle = '#e2e3e6'; g.lineWidth = 1;
      g.fillText('cycles', 6, RULER_H / 2);
      for (let c = Math.ceil(this.view.c0 / step) * step; c <= this.view.c1; c += step) {
        const x = Math.round(this.x(c)) + 0.5;
        g.beginPath(); g.moveTo(x, RULER_H - 5); g.lineTo(x, h); g.stroke();
        g.fillText(String(c), x + 3, RULER_H / 2);
      }
    }

    drawSegments(g, lane, y, hh) {
      const t = this.t, seg = lane.seg, n = seg.start.length;
      if (!n) return;
      const isP = lane.type === 'pcpu';
      const colorOf = (v) => (isP ? MODE_COLORS[v] || '#888' : VSTATE_COLORS[v] || null);
      const endOf = (i) => (i + 1 < n ? seg.start[i + 1] : Math.max(t.endCycle, seg.start[i]));
      const i0 = Math.max(0, upperBound(seg.start, this.view.c0) - 1);
      const i1 = lowerBound(seg.start, this.view.c1);
      if (i1 - i0 > this.plotW) {
        // Dense: one binary search per pixel column, runs of one colour merged.
        let runX = 0, runC = null;
        for (let px = 0; px <= this.plotW; px++) {
          const c = this.c(LABEL_W + px + 0.5);
          const i = upperBound(seg.start, c) - 1;
          const col = i < 0 || c > endOf(i) ? null : colorOf(seg.val[i]);
          if (col !== runC) {
            if (runC) { g.fillStyle = runC; g.fillRect(LABEL_W + runX, y, px - runX, hh); }
            runC = col; runX = px;
          }
        }
        if (runC) { g.fillStyle = runC; g.fillRect(LABEL_W + runX, y, this.plotW + 1 - runX, hh); }
        return;
      }
      for (let i = i0; i < Math.min(n, i1 + 1); i++) {
        const col = colorOf(seg.val[i]);
        const x0 = Math.max(LABEL_W, this.x(seg.start[i])), x1 = Math.min(LABEL_W + this.plotW, this.x(endOf(i)));
        if (x1 < LABEL_W || x0 > LABEL_W + this.plotW) continue;
        if (col) { g.fillStyle = col; g.fillRect(x0, y, Math.max(1, x1 - x0), hh); }
        let label = isP ? MODE_NAMES[seg.val[i]] || `mode ${seg.val[i]}` : VSTATE_NAMES[seg.val[i]] || `state ${seg.val[i]}`;
        if (isP) { const vn = t.vcpuName(seg.aux[i]); if (vn && seg.val[i] !== 3) label += ' ' + vn; }
        else { const pn = t.units.pcpu[t.unitPos.pcpu.get(seg.aux[i])]; if (pn && seg.val[i] === 2) label += ' on ' + pn.name; }
        if (x1 - x0 > g.measureText(label).width + 8) { g.fillStyle = '#111'; g.fillText(label, x0 + 4, y + hh / 2); }
      }
    }

    kindColor(e) {
      const n = this.t.kindName(e);
      if (n.endsWith('fault')) return '#c62828';
      if (n === 'vtd.post') return '#2457c5';
      if (n === 'vtd.notify') return '#8e44ad';
      if (n === 'nic.msi_write') return '#2457c5';
      if (n === 'vtd.iec_invalidate' || n === 'vtd.iq_wait') return '#e5a33a';
      return '#7a7f88';
    }

    drawTicks(g, ev, y, hh, color = null) {
      const t = this.t, cyc = t.cycle;
      if (!ev.length) return;
      const i0 = lowerBoundIdx(ev, cyc, this.view.c0), i1 = lowerBoundIdx(ev, cyc, this.view.c1 + 1e-9);
      if (i1 - i0 <= this.plotW) {
        for (let i = i0; i < i1; i++) {
          const e = ev[i];
          g.fillStyle = color || this.kindColor(e);
          g.fillRect(Math.round(this.x(cyc[e])) - 1, y, 2, hh);
        }
        return;
      }
      g.fillStyle = color || '#7a7f88';
      // Dense: one search per pixel column; runs of columns with events drawn as one rectangle.
      let run = -1, a = lowerBoundIdx(ev, cyc, this.c(LABEL_W));
      for (let px = 0; px <= this.plotW; px++) {
        const end = this.c(LABEL_W + px + 1);
        const has = a < ev.length && cyc[ev[a]] < end;
        if (has && run < 0) run = px;
        if (!has && run >= 0) { g.fillRect(LABEL_W + run, y, px - run, hh); run = -1; }
        if (has) a = lowerBoundIdx(ev, cyc, end);
      }
      if (run >= 0) g.fillRect(LABEL_W + run, y, this.plotW + 1 - run, hh);
    }

    drawSelectedIrq(g) {
      const irq = this.selIrq;
      if (!irq) return;
      g.fillStyle = '#111';
      for (const e of this.selIrqEvents) {
        const li = this.selIrqLanes.get(e);
        if (li < 0) continue;
        const x = this.x(this.t.cycle[e]);
        if (x < LABEL_W || x > LABEL_W + this.plotW) continue;
        const y = RULER_H + li * LANE_H;
        g.beginPath(); g.moveTo(x, y + 1); g.lineTo(x + 4, y + 6); g.lineTo(x - 4, y + 6); g.closePath(); g.fill();
      }
      // steps on the ruler
      g.strokeStyle = 'rgba(36,87,197,0.5)'; g.setLineDash([3, 3]);
      for (const s of irq.steps) {
        const x = this.x(s.cycle);
        if (x < LABEL_W || x > LABEL_W + this.plotW) continue;
        g.beginPath(); g.moveTo(x, RULER_H); g.lineTo(x, RULER_H + this.lanes.length * LANE_H); g.stroke();
      }
      g.setLineDash([]);
    }

    drawViolations(g, h) {
      const t = this.t;
      for (const v of t.violations) {
        const x = this.x(t.cycle[v.event] ?? v.cycle);
        if (x < LABEL_W || x > LABEL_W + this.plotW) continue;
        g.strokeStyle = '#c62828'; g.lineWidth = 2;
        g.beginPath(); g.moveTo(x, RULER_H); g.lineTo(x, h); g.stroke();
        g.fillStyle = '#c62828';
        g.beginPath(); g.moveTo(x - 6, 0); g.lineTo(x + 6, 0); g.lineTo(x, 10); g.closePath(); g.fill();
      }
      g.lineWidth = 1;
    }

    /** Tooltip: the lane's state or the event under the mouse. */
    hover(ev) {
      const t = this.t, tip = $('tip'), cv = this.canvas;
      const r = cv.getBoundingClientRect(), x = ev.clientX - r.left, y = ev.clientY - r.top;
      const lane = this.lanes[Math.floor((y - RULER_H) / LANE_H)];
      if (!lane || x < LABEL_W || y < RULER_H) { tip.hidden = true; return; }
      const c = this.c(x);
      let text = '';
      if (lane.seg) {
        const sg = t.segAt(lane.seg, c);
        if (sg) {
          text = lane.type === 'pcpu'
            ? `${lane.label}: ${MODE_NAMES[sg.val] || 'mode ' + sg.val}${t.vcpuName(sg.aux) && sg.val !== 3 ? ' ' + t.vcpuName(sg.aux) : ''}`
            : `${lane.label}: ${VSTATE_NAMES[sg.val] || 'state ' + sg.val}`;
          text += ` since ${sg.start}`;
        }
      } else {
        const ev0 = lane.ev, cyc = t.cycle, px = (this.view.c1 - this.view.c0) / this.plotW;
        const i = lowerBoundIdx(ev0, cyc, c - 4 * px);
        if (i < ev0.length && cyc[ev0[i]] <= c + 4 * px) {
          const e = ev0[i];
          const more = lowerBoundIdx(ev0, cyc, c + 4 * px) - i - 1;
          text = this.describe(e) + (more > 0 ? ` (+${more} more here)` : '');
        }
      }
      if (!text) { tip.hidden = true; return; }
      tip.textContent = `${text}  ·  cycle ${Math.round(c)}`;
      tip.hidden = false;
      tip.style.left = Math.min(ev.clientX + 12, window.innerWidth - tip.offsetWidth - 8) + 'px';
      tip.style.top = (ev.clientY + window.scrollY + 14) + 'px';
    }

    // --- navigation -------------------------------------------------------------------------
    setCursor(cycle, event, opts = {}) {
      const t = this.t;
      this.cursor = { cycle, event: event === undefined ? t.eventAtCycle(cycle) : event };
      if (opts.reveal !== false) this.reveal(cycle);
      this.update();
    }

    reveal(cycle) {
      if (cycle < this.view.c0 || cycle > this.view.c1) this.centre(cycle);
    }

    /** Centre the view on a cycle, keeping the span, without showing cycles before 0 or past the end if it can. */
    centre(cycle) {
      const span = this.view.c1 - this.view.c0, full = this.fullSpan();
      let c0 = cycle - span / 2;
      if (span <= full) c0 = Math.max(0, Math.min(c0, full - span));
      this.view.c0 = c0; this.view.c1 = c0 + span;
    }

    zoom(factor, around = this.cursor.cycle) {
      const v = this.view;
      const span = Math.max(10, Math.min((v.c1 - v.c0) * factor, Math.max(10, this.fullSpan() * 4)));
      const f = (around - v.c0) / (v.c1 - v.c0);
      v.c0 = around - f * span; v.c1 = v.c0 + span;
      this.draw(); this.writeHash();
    }
    fullSpan() { const t = this.t; return Math.max(1, t.endCycle || (t.n ? t.cycle[t.n - 1] : 1)); }
    fit() { this.view = { c0: 0, c1: this.fullSpan() }; this.draw(); this.writeHash(); }
    pan(fraction) { const d = (this.view.c1 - this.view.c0) * fraction; this.view.c0 += d; this.view.c1 += d; this.draw(); this.writeHash(); }

    nextEvent() {
      const t = this.t, e = this.cursor.event + 1;
      if (e < t.n) this.setCursor(t.cycle[e], e);
    }
    prevEvent() {
      const t = this.t, e = this.cursor.event;
      if (e >= 0 && this.cursor.cycle > t.cycle[e]) return this.setCursor(t.cycle[e], e);
      if (e - 1 >= 0) this.setCursor(t.cycle[e - 1], e - 1);
      else if (e === 0) this.setCursor(0, -1);
    }

    /** Next interrupt (by device write) after the cursor, or after the selected one at this cycle. */
    nextIrq(dir) {
      const t = this.t, starts = t.irqStarts, c = this.cursor.cycle;
      if (!starts.length) return;
      const selPos = this.selIrq ? t.irqStartPos[this.selIrq.i] : -1;
      const atSel = selPos >= 0 && starts[selPos] === c;
      const pos = dir > 0 ? (atSel ? selPos + 1 : upperBound(starts, c)) : (atSel ? selPos - 1 : lowerBound(starts, c) - 1);
      if (pos < 0 || pos >= starts.length) return;
      this.selectIrq(t.interrupts[t.irqByStart[pos]], true);
    }

    /** Move along the selected interrupt's steps. */
    step(dir) {
      const irq = this.selIrq;
      if (!irq || !irq.steps.length) return;
      const cur = this.currentStep();
      const k = dir > 0 ? cur + 1 : cur - 1;
      if (k < 0) return;
      if (k >= irq.steps.length) return;
      this.goStep(k);
    }
    goStep(k) {
      const s = this.selIrq.steps[k];
      this.stepIndex = k;
      this.setCursor(s.cycle, this.selSteps[k]);
    }
    /** Index of the step the cursor is at (the last step reached), -1 before the first. */
    currentStep() {
      const irq = this.selIrq;
      if (!irq) return -1;
      const { cycle, event } = this.cursor, se = this.selSteps;
      const k0 = this.stepIndex;
      if (k0 !== undefined && k0 >= 0 && k0 < se.length && se[k0] === event && irq.steps[k0].cycle === cycle) return k0;
      let k = -1;
      for (let i = 0; i < irq.steps.length; i++) {
        const c = irq.steps[i].cycle;
        if (c < cycle || (c === cycle && se[i] <= event)) k = i;
      }
      return k;
    }

    nextViolation(dir) {
      const vs = this.t.violations;
      if (!vs.length) return;
      const e = this.cursor.event;
      let v;
      if (dir > 0) v = vs.find((x) => x.event > e);
      else v = [...vs].reverse().find((x) => x.event < e);
      if (v) this.goViolation(v);
    }
    goViolation(v) {
      const t = this.t;
      // the interrupt the violation is about, if its event carries a tag
      const irq = t.irqByTag.get(t.tagBig(v.event).toString());
      if (irq && irq !== this.selIrq) this.selectIrq(irq, false);
      const p = t.unitPos.vcpu.get(Number(v.vcpu));
      if (p !== undefined) this.selVcpu = p, $('sel-vcpu').value = String(p);
      const pp = t.kinds[t.kind[v.event]].unit === 'pcpu' ? t.unitPos.pcpu.get(t.unit[v.event]) : undefined;
      if (pp !== undefined) this.selPcpu = pp, $('sel-pcpu').value = String(pp);
      this.setCursor(t.cycle[v.event], v.event);
    }

    selectIrq(irq, move) {
      const t = this.t;
      this.selIrq = irq;
      this.stepIndex = undefined;
      this.selIrqEvents = irq ? t.eventsOfTag(irq.tag) : [];
      this.selSteps = irq ? t.stepEvents(irq) : [];
      this.selIrqLanes = new Map(this.selIrqEvents.map((e) => [e, this.laneOfEvent(e)]));
      if (irq) {
        const vp = t.unitPos.vcpu.get(irq.vcpu);
        if (vp !== undefined) { this.selVcpu = vp; $('sel-vcpu').value = String(vp); }
        const pe = this.selIrqEvents.find((e) => t.kinds[t.kind[e]].unit === 'pcpu');
        if (pe !== undefined) { this.selPcpu = t.unitPos.pcpu.get(t.unit[pe]) ?? this.selPcpu; $('sel-pcpu').value = String(this.selPcpu); }
      }
      this.renderLife();
      for (const r of $('irq-list').querySelectorAll('.irq-row')) r.classList.toggle('selected', !!irq && r.dataset.tag === irq.tagKey);
      this.scrollToSelected();
      if (irq && move && irq.steps.length) {
        // Show the whole life of the interrupt if it fits in a sensible zoom.
        const a = irq.steps[0].cycle, b = irq.steps[irq.steps.length - 1].cycle;
        const span = Math.max(b - a, 200) * 1.6;
        const vs = this.view.c1 - this.view.c0;
        if (span > vs || span < vs / 20 || a < this.view.c0 || b > this.view.c1) {
          this.view.c0 = a - span * 0.2; this.view.c1 = this.view.c0 + span;
        }
        this.goStep(0);
      } else this.update();
    }

    // --- rendering of the panels ------------------------------------------------------------
    buildStatic() {
      const t = this.t, m = t.meta;
      $('meta').textContent = `${m.scenario || '?'} · seed ${m.seed} · ${m.profile || ''} · ${m.irq_mode || ''} · ` +
        `${t.n.toLocaleString('en')} events · ${t.interrupts.length} interrupts · end ${t.endCycle} cycles` + (m.truncated ? ' · TRUNCATED' : '');
      const selV = $('sel-vcpu'), selP = $('sel-pcpu'), fv = $('filter-vcpu');
      t.units.vcpu.forEach((u, i) => { selV.add(new Option(u.name, String(i))); fv.add(new Option(u.name, String(u.id))); });
      t.units.pcpu.forEach((u, i) => selP.add(new Option(u.name, String(i))));
      for (const id of ['pid-pir', 'vapic-virr', 'vapic-visr', 'lapic-irr', 'lapic-isr']) {
        const bm = $(id);
        bm.replaceChildren(...Array.from({ length: 256 }, (_, v) => el('i', { title: `vector ${v} (${hex(v, 2)})` })));
        bm.dataset.set = '';
        bm.before(el('span', { class: 'bm-rows' }, [0, 1, 2, 3, 4, 5, 6, 7].map((w) => el('span', null, hex(w * 32, 2)))));
        bm.after(el('span', { class: 'bm-list' }));
      }
      const swatch = (background) => el('i', { style: { background } });
      $('legend').replaceChildren(...[
        'pCPU: ', MODE_NAMES.map((n, i) => [swatch(MODE_COLORS[i]), n]),
        ' \u00a0 vCPU: ', VSTATE_NAMES.slice(1).map((n, i) => [swatch(VSTATE_COLORS[i + 1]), n]),
        ' \u00a0 marks: ', swatch('#8e44ad'), 'interrupt accepted by the local APIC ', swatch('#0a6e8a'), 'guest ISR entry',
        ' \u00a0 ', swatch('#c62828'), 'violation ', swatch('#1a4fd6'), 'cursor ', swatch('#111'), 'selected interrupt',
      ].flat(Infinity));
      $('violation-count').textContent = `(${t.violations.length})`;
      $('violations').replaceChildren(...(t.violations.length ? t.violations.map((v, k) =>
        el('div', { 'data-k': k, 'data-event': v.event },
          `${t.cycle[v.event] ?? v.cycle}: ${v.oracle} · ${t.vcpuName(v.vcpu) ?? String(v.vcpu)} · ${v.message}`))
        : [el('p', { class: 'empty' }, 'No oracle violation.')]));
    }

    update() {
      this.draw();
      this.renderCursor();
      this.renderInspector();
      this.markLife();
      this.writeHash();
    }

    renderCursor() {
      const t = this.t, e = this.cursor.event;
      $('cursor-cycle').textContent = String(this.cursor.cycle);
      $('cursor-event').textContent = e < 0 ? '-' : `${e} / ${t.n}`;
      const el = $('event-at-cursor');
      this.renderNear();
      el.textContent = e < 0 ? 'before the first event' : this.describe(e);
      for (const d of $('violations').children) d.classList.toggle('current', Number(d.dataset.event) === e);
    }

    /** One event as text: number, cycle, kind, unit, tag, named args. */
    describe(e) {
      const t = this.t, k = t.kinds[t.kind[e]];
      const parts = k.args.map((a, i) => (a ? `${a}=${this.argText(a, t.argBig(e, i))}` : null)).filter(Boolean);
      const tg = t.tagBig(e);
      return `#${e} @${t.cycle[e]} ${k.name} [${t.unitName(e)}]${tg ? ' tag ' + hex(tg) : ''}  ${parts.join(' ')}`;
    }

    /** An argument's value as text: hex for addresses, words and vectors; "none" for HYP_INVALID ids. */
    argText(name, v) {
      if (v === 0xffffffffn && /vcpu|^prev$|^next$|pcpu/.test(name)) return 'none';
      return HEX_ARG.test(name) ? hex(v) : v.toString();
    }

    /** Seven events either side of the cursor; applied ones (at or before it) in full colour. */
    renderNear() {
      const t = this.t, e = this.cursor.event;
      const a = Math.max(0, e - 6), b = Math.min(t.n, a + 14);
      const sel = this.selIrq ? new Set(this.selIrqEvents) : null;
      const items = [];
      for (let i = a; i < b; i++) {
        const cls = (i === e ? 'current ' : '') + (i <= e ? 'applied ' : '') + (sel && sel.has(i) ? 'tagged' : '');
        items.push(el('li', { class: cls, 'data-e': i }, this.describe(i)));
      }
      $('events-near').replaceChildren(...items);
    }

    setBitmap(id, words /* 8 x uint32 */) {
      const el = $(id), cells = el.children, set = [];
      for (let v = 0; v < 256; v++) {
        const on = (words[v >> 5] >>> (v & 31)) & 1;
        if (on) set.push(v);
        const c = cells[v];
        if ((c.className === 'set') !== !!on) c.className = on ? 'set' : '';
      }
      el.dataset.set = set.join(',');
      el.nextElementSibling.textContent = set.length ? set.map((v) => hex(v, 2)).join(' ') : 'empty';
    }

    setField(id, value, text) { const el = $(id); el.dataset.value = String(value); el.textContent = text; }

    renderInspector() {
      const t = this.t, st = t.stateAfter(this.cursor.event);
      const c = this.cursor.cycle;
      // lanes at the cursor
      const ls = [];
      t.units.pcpu.forEach((u, i) => {
        const s = t.segAt(t.pcpuSeg[i], c);
        ls.push(`${u.name}: ${s ? (MODE_NAMES[s.val] || s.val) + (t.vcpuName(s.aux) && s.val !== 3 ? ' ' + t.vcpuName(s.aux) : '') : '?'}`);
      });
      t.units.vcpu.forEach((u, i) => {
        const s = t.segAt(t.vcpuSeg[i], c);
        ls.push(`${u.name}: ${s ? VSTATE_NAMES[s.val] || s.val : '?'}`);
      });
      $('lane-state').textContent = ls.join(' · ');
      const v = this.selVcpu;
      if (v >= 0) {
        const b = v * VS;
        const u = t.units.vcpu[v];
        $('pid-addr').textContent = `of ${u.name}` + (u.pid !== undefined ? ` @ ${hex(toBig(u.pid))}` : '');
        const pir = [];
        for (let w = 0; w < 4; w++) { pir.push(st[b + V_PID + 2 * w]); pir.push(st[b + V_PID + 2 * w + 1]); }
        this.setBitmap('pid-pir', pir);
        const lo = st[b + V_PID + 8], hi = st[b + V_PID + 9];
        this.setField('pid-on', lo & 1, String(lo & 1));
        this.setField('pid-sn', (lo >>> 1) & 1, String((lo >>> 1) & 1));
        const nv = (lo >>> 16) & 0xff;
        this.setField('pid-nv', nv, hex(nv, 2));
        this.setField('pid-ndst', hi, `${hex(hi, 8)} (xAPIC ID ${(hi >>> 8) & 0xff})`);
        const page = (slot) => st[b + V_PAGE + slot];
        this.setBitmap('vapic-virr', [10, 11, 12, 13, 14, 15, 16, 17].map(page));
        this.setBitmap('vapic-visr', [2, 3, 4, 5, 6, 7, 8, 9].map(page));
        this.setField('vapic-rvi', st[b + V_RVI], hex(st[b + V_RVI], 2));
        this.setField('vapic-svi', st[b + V_SVI], hex(st[b + V_SVI], 2));
        this.setField('vapic-vppr', st[b + V_VPPR], hex(st[b + V_VPPR], 2));
        this.setField('vapic-vtpr', page(0), hex(page(0), 2));
      }
      const p = this.selPcpu;
      if (p >= 0) {
        const b = t.pBase + p * PS;
        $('lapic-name').textContent = `of ${t.units.pcpu[p].name}`;
        this.setBitmap('lapic-irr', Array.from({ length: 8 }, (_, w) => st[b + P_IRR + w]));
        this.setBitmap('lapic-isr', Array.from({ length: 8 }, (_, w) => st[b + P_ISR + w]));
        this.setField('lapic-ppr', st[b + P_PPR], hex(st[b + P_PPR], 2));
      }
      // blocking lists, in insertion order
      const lists = t.units.pcpu.map(() => []);
      t.units.vcpu.forEach((u, i) => {
        const l = st[t.bBase + 2 * i];
        if (l) {
          const pp = t.unitPos.pcpu.get(l - 1);
          (lists[pp] || (lists[pp] = [])).push([st[t.bBase + 2 * i + 1], u.name]);
        }
      });
      $('blocklists').replaceChildren(...t.units.pcpu.map((u, i) => {
        const names = (lists[i] || []).sort((a, b) => a[0] - b[0]).map((x) => x[1]);
        return el('div', { class: 'blocklist', 'data-pcpu': u.id, 'data-vcpus': names.join(',') },
          `${u.name}: `, names.length ? names.join(', ') : el('span', { class: 'empty' }, 'empty'));
      }));
    }

    renderLife() {
      const irq = this.selIrq, box = $('life');
      if (!irq) { box.replaceChildren(el('p', { class: 'empty' }, 'Select an interrupt.')); return; }
      const rows = irq.steps.map((s, k) => {
        const d = k ? s.cycle - irq.steps[k - 1].cycle : 0;
        return el('li', { class: 'life-step', 'data-k': k, 'data-name': s.name, 'data-cycle': s.cycle, 'data-delta': d },
          `${s.name} @${s.cycle} `, el('span', { class: 'delta' }, k ? '+' + d : 'start'));
      });
      box.replaceChildren(
        el('div', null, `tag ${irq.tagHex} · ${irq.deviceName} → ${irq.vcpuName} vector ${irq.vector < 0 ? '-' : hex(irq.vector, 2)} · `,
          irq.delivered ? ['delivered, latency ', el('b', { id: 'life-latency' }, irq.latency), ' cycles'] : el('b', { class: 'lost' }, 'not delivered')),
        el('ol', null, rows));
    }

    /** The step reached at the cursor is "current" (until the last step); later steps are "future". */
    markLife() {
      const irq = this.selIrq;
      if (!irq) return;
      const k = this.currentStep(), c = this.cursor.cycle;
      const lastCycle = irq.steps.length ? irq.steps[irq.steps.length - 1].cycle : -1;
      for (const li of $('life').querySelectorAll('.life-step')) {
        const i = Number(li.dataset.k);
        li.classList.toggle('current', i === k && c <= lastCycle);
        li.classList.toggle('future', i > k);
      }
    }

    // --- interrupt list -----------------------------------------------------------------------
    applyFilter() {
      const f = this.filter, t = this.t;
      let rows = t.interrupts;
      if (f.vcpu !== '' || f.vector !== null || f.undelivered) {
        rows = rows.filter((x) => (f.vcpu === '' || String(x.vcpu) === f.vcpu) &&
          (f.vector === null || x.vector === f.vector) && (!f.undelivered || !x.delivered));
      }
      const col = this.sort.col, dir = this.sort.dir;
      const key = {
        tag: (x) => x.tag, device: (x) => x.deviceName, vcpu: (x) => x.vcpuName, vector: (x) => x.vector,
        start: (x) => x.start, latency: (x) => x.latency, last: (x) => x.last,
      }[col];
      rows = rows.slice().sort((a, b) => {
        const ka = key(a), kb = key(b);
        if (ka === null || kb === null) return ka === kb ? a.i - b.i : ka === null ? 1 : -1; // undelivered last
        return (ka < kb ? -dir : ka > kb ? dir : 0) || (a.i - b.i);
      });
      this.rows = rows;
      this.rowOf = new Map(rows.map((x, r) => [x, r]));
      $('irq-count').textContent = `(${rows.length} of ${t.interrupts.length})`;
      for (const s of $('irq-head').children) s.className = s.dataset.col === col ? (dir > 0 ? 'asc' : 'desc') : '';
      $('irq-spacer').style.height = rows.length * ROW_H + 'px';
      this.renderList();
    }

    renderList() {
      const list = $('irq-list');
      const first = Math.max(0, Math.floor(list.scrollTop / ROW_H) - 5);
      const last = Math.min(this.rows.length, first + Math.ceil((list.clientHeight || 200) / ROW_H) + 10);
      const sel = this.selIrq;
      const rows = document.createDocumentFragment();
      for (let r = first; r < last; r++) {
        const x = this.rows[r];
        rows.append(el('div', { class: `irq-row${sel === x ? ' selected' : ''}${x.delivered ? '' : ' lost'}`, style: { top: `${r * ROW_H}px` }, 'data-tag': x.tagKey, 'data-row': r },
          [x.tagHex, x.deviceName, x.vcpuName, x.vector < 0 ? '-' : hex(x.vector, 2), x.start, x.latency === null ? '—' : x.latency, x.last]
            .map((text) => el('span', null, text))));
      }
      for (const old of [...list.querySelectorAll('.irq-row')]) old.remove();
      list.append(rows);
    }

    scrollToSelected() {
      if (!this.selIrq) return;
      const r = this.rowOf.get(this.selIrq);
      if (r === undefined) return;
      const list = $('irq-list');
      if (r * ROW_H < list.scrollTop || (r + 1) * ROW_H > list.scrollTop + list.clientHeight) {
        list.scrollTop = Math.max(0, r * ROW_H - list.clientHeight / 2);
        this.renderList();
      }
    }

    // --- URL hash: #c=<cycle>&e=<event>&irq=<tag>&vcpu=<id>&pcpu=<id>&span=<cycles> -------------
    /** Coalesced: history.replaceState costs milliseconds and Chromium throttles bursts of it. */
    writeHash() {
      clearTimeout(this.hashTimer);
      this.hashTimer = setTimeout(() => this.writeHashNow(), 150);
    }

    writeHashNow() {
      const t = this.t, p = new URLSearchParams();
      p.set('c', String(this.cursor.cycle));
      p.set('e', String(this.cursor.event));
      if (this.selIrq) p.set('irq', this.selIrq.tagKey);
      if (this.selVcpu >= 0) p.set('vcpu', String(t.units.vcpu[this.selVcpu].id));
      if (this.selPcpu >= 0) p.set('pcpu', String(t.units.pcpu[this.selPcpu].id));
      p.set('span', String(Math.round(this.view.c1 - this.view.c0)));
      const h = '#' + p.toString();
      if (location.hash !== h) history.replaceState(null, '', h);
    }

    readHash() {
      const t = this.t, p = new URLSearchParams(location.hash.slice(1));
      if (p.has('span')) {
        const s = Number(p.get('span'));
        if (s > 0) this.view.c1 = this.view.c0 + s;
      }
      if (p.has('irq')) {
        let key = null;
        try { key = BigInt(p.get('irq')).toString(); } catch (_) { /* not a tag */ }
        const irq = key !== null ? t.irqByTag.get(key) : undefined;
        if (irq) this.selectIrq(irq, false);
      }
      if (p.has('vcpu')) { const v = t.unitPos.vcpu.get(Number(p.get('vcpu'))); if (v !== undefined) this.selVcpu = v; }
      if (p.has('pcpu')) { const v = t.unitPos.pcpu.get(Number(p.get('pcpu'))); if (v !== undefined) this.selPcpu = v; }
      $('sel-vcpu').value = String(this.selVcpu); $('sel-pcpu').value = String(this.selPcpu);
      if (p.has('c')) {
        const c = Number(p.get('c'));
        let e = p.has('e') ? Number(p.get('e')) : NaN;
        if (!(Number.isInteger(e) && e >= -1 && e < t.n && (e < 0 || t.cycle[e] <= c) && (e + 1 >= t.n || t.cycle[e + 1] >= c))) e = t.eventAtCycle(c);
        if (Number.isFinite(c)) {
          this.centre(c);
          this.setCursor(c, e, { reveal: false });
          this.scrollToSelected();
          return;
        }
      }
      this.update();
    }

    // --- input ----------------------------------------------------------------------------------
    bindControls() {
      const on = (id, f) => $(id).addEventListener('click', (ev) => { ev.currentTarget.blur(); f(); });
      on('zoom-in', () => this.zoom(1 / 1.5));
      on('zoom-out', () => this.zoom(1.5));
      on('zoom-fit', () => this.fit());
      on('next-event', () => this.nextEvent());
      on('prev-event', () => this.prevEvent());
      on('next-irq', () => this.nextIrq(1));
      on('prev-irq', () => this.nextIrq(-1));
      on('next-step', () => this.step(1));
      on('prev-step', () => this.step(-1));
      on('next-violation', () => this.nextViolation(1));
      on('prev-violation', () => this.nextViolation(-1));
      this.keys = {
        n: () => this.nextEvent(), p: () => this.prevEvent(), j: () => this.nextIrq(1), k: () => this.nextIrq(-1),
        ']': () => this.step(1), '[': () => this.step(-1), v: () => this.nextViolation(1), V: () => this.nextViolation(-1),
        '+': () => this.zoom(1 / 1.5), '=': () => this.zoom(1 / 1.5), '-': () => this.zoom(1.5), f: () => this.fit(),
        ArrowLeft: () => this.pan(-0.1), ArrowRight: () => this.pan(0.1),
        Home: () => this.setCursor(0, -1), End: () => { if (this.t.n) this.setCursor(this.t.cycle[this.t.n - 1], this.t.n - 1); },
        ArrowUp: () => this.zoom(1 / 1.5), ArrowDown: () => this.zoom(1.5),
        c: () => { this.centre(this.cursor.cycle); this.draw(); this.writeHash(); },
      };
      document.addEventListener('keydown', (ev) => {
        if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
        const tg = ev.target && ev.target.tagName;
        if (tg === 'INPUT' || tg === 'SELECT' || tg === 'TEXTAREA') return;
        const f = this.keys[ev.key];
        if (f) { ev.preventDefault(); f(); }
      });
      // timeline mouse
      const cv = this.canvas;
      cv.addEventListener('wheel', (ev) => {
        ev.preventDefault();
        const r = cv.getBoundingClientRect();
        this.zoom(Math.exp(ev.deltaY * 0.0015), this.c(Math.max(LABEL_W, ev.clientX - r.left)));
      }, { passive: false });
      let drag = null;
      cv.addEventListener('pointerdown', (ev) => {
        drag = { x: ev.clientX, y: ev.clientY, c0: this.view.c0, c1: this.view.c1, moved: false };
        cv.setPointerCapture(ev.pointerId);
      });
      cv.addEventListener('pointerleave', () => { $('tip').hidden = true; });
      cv.addEventListener('pointermove', (ev) => {
        if (!drag) { this.hover(ev); return; }
        const dx = ev.clientX - drag.x;
        if (Math.abs(dx) > 3) drag.moved = true;
        if (!drag.moved) return;
        const dc = dx / this.plotW * (drag.c1 - drag.c0);
        this.view.c0 = drag.c0 - dc; this.view.c1 = drag.c1 - dc;
        this.draw();
      });
      cv.addEventListener('pointerup', (ev) => {
        if (!drag) return;
        const d = drag; drag = null;
        if (d.moved) { this.writeHash(); return; }
        const r = cv.getBoundingClientRect(), x = ev.clientX - r.left, y = ev.clientY - r.top;
        const li = Math.floor((y - RULER_H) / LANE_H);
        const lane = this.lanes[li];
        const c = Math.max(0, Math.round(this.c(Math.max(LABEL_W, x))));
        if (lane && lane.type === 'vcpu') { this.selVcpu = lane.pos; $('sel-vcpu').value = String(lane.pos); }
        if (lane && lane.type === 'pcpu') {
          this.selPcpu = lane.pos; $('sel-pcpu').value = String(lane.pos);
          const s = this.t.segAt(lane.seg, c);
          const vp = s ? this.t.unitPos.vcpu.get(s.aux) : undefined;
          if (vp !== undefined) { this.selVcpu = vp; $('sel-vcpu').value = String(vp); }
        }
        this.setCursor(c, undefined, { reveal: false });
      });
      window.addEventListener('resize', () => { this.draw(); this.renderList(); });
      window.addEventListener('hashchange', () => this.readHash());
      // panels
      $('sel-vcpu').addEventListener('change', (ev) => { this.selVcpu = Number(ev.target.value); this.update(); });
      $('sel-pcpu').addEventListener('change', (ev) => { this.selPcpu = Number(ev.target.value); this.update(); });
      $('filter-vcpu').addEventListener('change', (ev) => { this.filter.vcpu = ev.target.value; this.applyFilter(); });
      $('filter-vector').addEventListener('input', (ev) => {
        const s = ev.target.value.trim();
        const v = s === '' ? null : Number(s);
        this.filter.vector = v === null || Number.isInteger(v) ? v : NaN;
        this.applyFilter();
      });
      $('filter-undelivered').addEventListener('change', (ev) => { this.filter.undelivered = ev.target.checked; this.applyFilter(); });
      $('irq-head').addEventListener('click', (ev) => {
        const col = ev.target.dataset && ev.target.dataset.col;
        if (!col) return;
        this.sort = { col, dir: this.sort.col === col ? -this.sort.dir : 1 };
        this.applyFilter();
      });
      $('irq-list').addEventListener('scroll', () => this.renderList());
      $('irq-list').addEventListener('click', (ev) => {
        const row = ev.target.closest('.irq-row');
        if (row) this.selectIrq(this.t.irqByTag.get(row.dataset.tag), true);
      });
      $('life').addEventListener('click', (ev) => {
        const li = ev.target.closest('.life-step');
        if (li) this.goStep(Number(li.dataset.k));
      });
      $('events-near').addEventListener('click', (ev) => {
        const li = ev.target.closest('[data-e]');
        if (li) { const e = Number(li.dataset.e); this.setCursor(this.t.cycle[e], e); }
      });
      $('violations').addEventListener('click', (ev) => {
        const d = ev.target.closest('[data-k]');
        if (d) this.goViolation(this.t.violations[Number(d.dataset.k)]);
      });
    }
  }

  // ---------------------------------------------------------------------------------------
  async function main() {
    const api = window.pisimViewer = { timings: {} };
    try {
      const t0 = performance.now();
      const { text, source } = await loadTraceText();
      const t1 = performance.now();
      const doc = JSON.parse(text);
      const t2 = performance.now();
      const trace = new Trace(doc);
      const t3 = performance.now();
      const viewer = new Viewer(trace);
      viewer.readHash();
      api.timings = { read: t1 - t0, parse: t2 - t1, index: t3 - t2, total: performance.now() - t0, ...trace.timings };
      api.source = source;
      api.viewer = viewer;
      api.trace = trace;
      document.body.dataset.state = 'ready';
    } catch (err) {
      const el = $('error');
      el.hidden = false;
      el.textContent = `Cannot show the trace: ${err.message}\n` +
        'Open a trace with `pisim view TRACE` or `pisim report TRACE -o FILE.html`.';
      document.body.dataset.state = 'error';
      console.error(err);
    }
  }
  main();
})();
