// viewer/src/viewer.js - the viewer: its state (cursor, view, selection), navigation, the
// URL hash; the parts (timeline, interrupt list, life, events, inspector, input) are mixed in.
import { $, el, hex } from './text.js';
import { MODE_NAMES, MODE_COLORS, VSTATE_NAMES, VSTATE_COLORS } from './names.js';
import { lowerBound, upperBound } from './search.js';
import { TimelinePart, HANDLER_COLORS } from './timeline.js';
import { IrqListPart } from './irq-list.js';
import { LifePart } from './life.js';
import { EventsPart } from './events.js';
import { InspectorPart } from './inspector.js';
import { InputPart } from './input.js';
import { LatencyPart } from './latency.js';

/**
 * Which pisim and which hypervisor core wrote the trace (its "pisim" and "core" fields,
 * docs/trace-format.md): " · pisim VERSION · core PATH (build id 12 hex digits)", or "" for
 * a trace without them. Plain text: the caller sets it with textContent.
 */
function provenance(m) {
  const str = (x) => (typeof x === 'string' ? x : '');
  let out = '';
  if (str(m.pisim)) out += ` · pisim ${m.pisim}`;
  const core = m.core && typeof m.core === 'object' ? m.core : null;
  // a GNU build id is hex: its first 12 digits name it; anything else is shown whole
  const id = core ? str(core.build_id) : '';
  const shortId = /^[0-9a-f]{13,}$/.test(id) ? id.slice(0, 12) : id;
  if (core && str(core.path)) out += ` · core ${core.path}` + (shortId ? ` (build id ${shortId})` : '');
  return out;
}

export class Viewer {
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
    this.selSteps = [];
    this.selAnchors = [];
    this.followIrq = false;
    this.sort = { col: 'start', dir: 1 };
    this.filter = { vcpu: '', vector: null, undelivered: false };
    this.buildLanes();
    this.buildStatic();
    this.bindControls();
    this.applyFilter();
    this.buildLatency();
  }

  setCursor(cycle, event, opts = {}) {
    const t = this.t;
    this.cursor = { cycle, event: event === undefined ? t.eventAtCycle(cycle) : event };
    if (opts.reveal !== false) this.reveal(cycle);
    if (this.selIrq && this.followIrq) this.followPcpu();
    this.update();
  }

  /**
   * The inspector's pCPU follows the selected interrupt: the pCPU of its latest step at or
   * before the cursor that happened on a pCPU (notification, processing, handler...); before
   * any, the pCPU its vCPU runs on at the cursor. A pCPU chosen by hand stops the following
   * until another interrupt is selected.
   */
  followPcpu() {
    const t = this.t, e = this.cursor.event;
    let pos;
    this.selAnchors.forEach((a) => {
      if (a >= 0 && a <= e && t.unitKindOf(a) === 'pcpu') pos = t.unitPos.pcpu.get(t.unit[a]) ?? pos;
    });
    if (pos === undefined) {
      const vp = t.unitPos.vcpu.get(this.selIrq.vcpu);
      const sg = vp === undefined ? null : t.segAt(t.vcpuSeg[vp], this.cursor.cycle);
      if (sg && sg.val === 2) pos = t.unitPos.pcpu.get(sg.aux);
    }
    if (pos !== undefined && pos !== this.selPcpu) { this.selPcpu = pos; $('sel-pcpu').value = String(pos); }
  }

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

  nextViolation(dir) {
    const vs = this.t.violations;
    if (!vs.length) return;
    const e = this.cursor.event;
    let v;
    if (dir > 0) v = vs.find((x) => x.event > e);
    else v = [...vs].reverse().find((x) => x.event < e);
    if (v) this.goViolation(v);
  }
  /**
   * Go to a violation: select the interrupt whose tag its event carries, else the interrupt of
   * its vCPU nearest before it (or the first after it); the cursor at the violation's cycle.
   */
  goViolation(v) {
    const t = this.t;
    const irq = this.violationIrq(v);
    if (irq && irq !== this.selIrq) this.selectIrq(irq, false);
    const p = t.unitPos.vcpu.get(Number(v.vcpu));
    if (p !== undefined) this.selVcpu = p, $('sel-vcpu').value = String(p);
    const pp = t.unitKindOf(v.event) === 'pcpu' ? t.unitPos.pcpu.get(t.unit[v.event]) : undefined;
    if (pp !== undefined) this.selPcpu = pp, $('sel-pcpu').value = String(pp);
    this.followIrq = false;
    if (t.cycle[v.event] === v.cycle) this.setCursor(v.cycle, v.event);
    else this.setCursor(v.cycle);
  }

  violationIrq(v) {
    const t = this.t;
    if (v.event >= 0) {
      const irq = t.irqByTag.get(t.tagBig(v.event).toString());
      if (irq) return irq;
    }
    const vcpu = Number(v.vcpu);
    let before = null, after = null;
    for (const x of t.interrupts) {
      if (x.vcpu !== vcpu) continue;
      if (x.start <= v.cycle) { if (!before || x.start >= before.start) before = x; }
      else if (!after || x.start < after.start) after = x;
    }
    return before || after;
  }

  selectIrq(irq, move) {
    const t = this.t;
    this.selIrq = irq;
    this.stepIndex = undefined;
    this.selIrqEvents = irq ? t.eventsOfTag(irq.tag) : [];
    this.selSteps = irq ? t.stepEvents(irq) : [];
    this.selAnchors = irq ? t.stepAnchors(irq) : [];
    this.selIrqLanes = new Map(this.selIrqEvents.map((e) => [e, this.laneOfEvent(e)]));
    this.followIrq = !!irq;
    if (irq) {
      const vp = t.unitPos.vcpu.get(irq.vcpu);
      if (vp !== undefined) { this.selVcpu = vp; $('sel-vcpu').value = String(vp); }
      const pe = this.selIrqEvents.find((e) => t.unitKindOf(e) === 'pcpu');
      if (pe !== undefined) { this.selPcpu = t.unitPos.pcpu.get(t.unit[pe]) ?? this.selPcpu; $('sel-pcpu').value = String(this.selPcpu); }
    }
    this.renderLife();
    this.placeLatRing();
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
      `${t.n.toLocaleString('en')} events · ${t.interrupts.length} interrupts · end ${t.endCycle} cycles` + (m.truncated ? ' · TRUNCATED' : '') +
      provenance(m);
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
    // the handlers of the trace, named as its events name them (the trace's enums first)
    const handlerEvent = new Map();
    for (const sl of t.handlerSlices) for (let i = 0; i < sl.n; i++) if (!handlerEvent.has(sl.handler[i])) handlerEvent.set(sl.handler[i], sl.enter[i]);
    const handlers = [...handlerEvent.keys()].sort((a, b) => a - b);
    $('legend').replaceChildren(...[
      'pCPU: ', MODE_NAMES.map((n, i) => [swatch(MODE_COLORS[i]), n]),
      ' \u00a0 vCPU: ', VSTATE_NAMES.slice(1).map((n, i) => [swatch(VSTATE_COLORS[i + 1]), n]),
      handlers.length ? [' \u00a0 hypervisor: ', handlers.map((h) => [swatch(HANDLER_COLORS[h] || '#666'), t.argName(handlerEvent.get(h), 0) ?? `handler ${h}`])] : [],
      ' \u00a0 marks: ', swatch('#8e44ad'), 'interrupt accepted by the local APIC ', swatch('#0a6e8a'), 'guest ISR entry',
      ' \u00a0 ', swatch('#c62828'), 'violation ', swatch('#1a4fd6'), 'cursor ', swatch('#111'), 'selected interrupt',
    ].flat(Infinity));
    $('violation-count').textContent = `(${t.violations.length})`;
    $('violations').replaceChildren(...(t.violations.length ? t.violations.map((v, k) =>
      el('div', { 'data-k': k, 'data-event': v.event, 'data-cycle': v.cycle },
        `${v.cycle}: `, el('b', null, v.oracle), ` · ${Number(v.vcpu) < 0 ? 'no vCPU' : t.vcpuName(v.vcpu) ?? String(v.vcpu)}`,
        (() => { const irq = this.violationIrq(v); return irq ? ` · ${irq.name ?? ''}${irq.name ? ' ' : ''}${irq.tagHex}` : ''; })(),
        v.detected !== null && v.detected !== v.cycle ? ` · detected at ${v.detected}` : '', ` · ${v.message}`))
      : [el('p', { class: 'empty' }, 'No oracle violation.')]));
  }

  update() {
    this.draw();
    this.renderCursor();
    this.renderInspector();
    this.markLife();
    this.writeHash();
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

}

for (const part of [TimelinePart, IrqListPart, LifePart, EventsPart, InspectorPart, InputPart, LatencyPart]) {
  for (const name of Object.getOwnPropertyNames(part.prototype)) {
    if (name !== 'constructor') Object.defineProperty(Viewer.prototype, name, Object.getOwnPropertyDescriptor(part.prototype, name));
  }
}
