// viewer/src/timeline.js - the timeline canvas: pCPU and vCPU lanes, VT-d and device ticks,
// the selected interrupt, violations, the cursor; zoom and pan.
import { $ } from './text.js';
import { MODE_NAMES, MODE_COLORS, VSTATE_NAMES, VSTATE_COLORS } from './names.js';
import { lowerBound, upperBound, lowerBoundIdx } from './search.js';

export const LABEL_W = 120;              // px, lane label column
export const RULER_H = 20;               // px
export const LANE_H = 22;                // px
export const HANDLER_H = 14;             // px, the row of hypervisor handler slices under a pCPU lane
/** Handler colours by enum hyp_handler. */
export const HANDLER_COLORS = { 1: '#c0504d', 2: '#8064a2', 3: '#4f81bd', 4: '#2c9c9c', 5: '#9b9b9b', 6: '#7f6000', 7: '#d27d2d', 8: '#5a8f29', 9: '#5a8f29', 10: '#b05f9e' };

export class TimelinePart {
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
    let y = RULER_H;
    for (const lane of this.lanes) { lane.y = y; lane.h = lane.type === 'pcpu' ? LANE_H + HANDLER_H : LANE_H; y += lane.h; }
    this.lanesBottom = y;
    this.canvas.style.height = y + 4 + 'px';
  }

  /** Index of the lane at canvas y, or -1. */
  laneAt(y) { return this.lanes.findIndex((l) => y >= l.y && y < l.y + l.h); }

  laneOfEvent(e) {
    const t = this.t, uk = t.unitKindOf(e), id = t.unit[e];
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
      const y = lane.y;
      g.fillStyle = i % 2 ? '#fbfbfc' : '#f4f5f7';
      g.fillRect(0, y, w, lane.h);
      g.fillStyle = '#333';
      const sel = (lane.type === 'vcpu' && lane.pos === this.selVcpu) || (lane.type === 'pcpu' && lane.pos === this.selPcpu);
      g.font = (sel ? 'bold ' : '') + '11px system-ui, sans-serif';
      g.fillText(lane.label, 6, y + LANE_H / 2);
      if (lane.type === 'pcpu') { g.font = '10px system-ui, sans-serif'; g.fillStyle = '#777'; g.fillText('hypervisor', 14, y + LANE_H + HANDLER_H / 2 - 2); }
      g.font = '11px system-ui, sans-serif';
      g.save();
      g.beginPath(); g.rect(LABEL_W, y, this.plotW, lane.h); g.clip();
      if (lane.seg) {
        this.drawSegments(g, lane, y + 3, LANE_H - 7);
        this.drawTicks(g, lane.marks, y + LANE_H - 4, 3, lane.markColor);
        if (lane.type === 'pcpu') this.drawHandlers(g, lane, y + LANE_H - 1, HANDLER_H - 2);
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

  /** The hypervisor's handler slices of a pCPU lane; nested ones inset; names where they fit. */
  drawHandlers(g, lane, y, hh) {
    const t = this.t, sl = t.handlerSlices[lane.pos];
    if (!sl || !sl.n) return;
    const lastX = [];
    for (let i = lowerBound(sl.endMax, this.view.c0); i < sl.n && sl.start[i] <= this.view.c1; i++) {
      if (sl.end[i] < this.view.c0) continue;
      const d = Math.min(sl.depth[i], 3);
      const x0 = Math.max(LABEL_W, this.x(sl.start[i])), x1 = Math.min(LABEL_W + this.plotW, this.x(sl.end[i]));
      if (x1 < LABEL_W || x0 > LABEL_W + this.plotW) continue;
      if (x1 - x0 < 1 && Math.floor(x0) === lastX[d]) continue; // one rectangle per pixel column and depth
      lastX[d] = Math.floor(x0);
      g.fillStyle = HANDLER_COLORS[sl.handler[i]] || '#666';
      g.fillRect(x0, y + d * 2, Math.max(1, x1 - x0), hh - d * 2);
      // the name where it is not covered by a handler nested in this one
      const xe = i + 1 < sl.n && sl.depth[i + 1] > sl.depth[i] && sl.start[i + 1] < sl.end[i] ? Math.min(x1, this.x(sl.start[i + 1])) : x1;
      if (xe - x0 > 40) {
        const label = t.handlerName(sl, i).slice(4);
        if (xe - x0 > g.measureText(label).width + 6) { g.fillStyle = '#fff'; g.font = '10px system-ui, sans-serif'; g.fillText(label, x0 + 3, y + hh / 2 + 1); g.font = '11px system-ui, sans-serif'; }
      }
    }
  }

  /**
   * The selected interrupt: a mark on each of its events, its flow from step to step across
   * the lanes (the events the life list goes to), and each step's cycle on the ruler.
   */
  drawSelectedIrq(g) {
    const irq = this.selIrq;
    if (!irq) return;
    const t = this.t;
    g.fillStyle = '#111';
    for (const e of this.selIrqEvents) {
      const li = this.selIrqLanes.get(e);
      if (li < 0) continue;
      const x = this.x(t.cycle[e]);
      if (x < LABEL_W || x > LABEL_W + this.plotW) continue;
      const y = this.lanes[li].y;
      g.beginPath(); g.moveTo(x, y + 1); g.lineTo(x + 4, y + 6); g.lineTo(x - 4, y + 6); g.closePath(); g.fill();
    }
    // flow: an arrow from each step's event to the next one's
    const pts = [];
    this.selAnchors.forEach((e, k) => {
      const li = e >= 0 ? this.laneOfEvent(e) : -1;
      if (li >= 0) pts.push({ x: this.x(irq.steps[k].cycle), y: this.lanes[li].y + LANE_H / 2, k });
    });
    g.save();
    g.beginPath(); g.rect(LABEL_W, RULER_H, this.plotW, this.lanesBottom - RULER_H); g.clip();
    g.strokeStyle = '#111'; g.fillStyle = '#111'; g.lineWidth = 1.5;
    for (let i = 0; i + 1 < pts.length; i++) {
      const a = pts[i], b = pts[i + 1];
      if (a.x === b.x && a.y === b.y) continue;
      g.beginPath(); g.moveTo(a.x, a.y); g.lineTo(b.x, b.y); g.stroke();
      const ang = Math.atan2(b.y - a.y, b.x - a.x);
      g.beginPath(); g.moveTo(b.x, b.y);
      g.lineTo(b.x - 7 * Math.cos(ang - 0.4), b.y - 7 * Math.sin(ang - 0.4));
      g.lineTo(b.x - 7 * Math.cos(ang + 0.4), b.y - 7 * Math.sin(ang + 0.4));
      g.closePath(); g.fill();
    }
    for (const p of pts) { g.beginPath(); g.arc(p.x, p.y, 2.5, 0, 2 * Math.PI); g.fill(); }
    g.restore();
    g.lineWidth = 1;
    // steps on the ruler
    g.strokeStyle = 'rgba(36,87,197,0.5)'; g.setLineDash([3, 3]);
    for (const s of irq.steps) {
      const x = this.x(s.cycle);
      if (x < LABEL_W || x > LABEL_W + this.plotW) continue;
      g.beginPath(); g.moveTo(x, RULER_H); g.lineTo(x, this.lanesBottom); g.stroke();
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
    const lane = this.lanes[this.laneAt(y)];
    if (!lane || x < LABEL_W || y < RULER_H) { tip.hidden = true; return; }
    const c = this.c(x);
    let text = '';
    if (lane.type === 'pcpu' && y >= lane.y + LANE_H - 1) {
      const i = t.handlerAt(lane.pos, c), sl = t.handlerSlices[lane.pos];
      if (i >= 0) {
        const vn = sl.vcpu[i] === 0xffffffff ? null : t.vcpuName(sl.vcpu[i]);
        text = `${lane.label}: ${t.handlerName(sl, i)}${vn ? ' for ' + vn : ''} ${sl.start[i]}-${sl.end[i]} (${sl.end[i] - sl.start[i]} cycles)`;
      }
    } else if (lane.seg) {
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

}
