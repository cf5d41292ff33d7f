// viewer/src/input.js - keys, buttons, mouse.
import { $ } from './text.js';
import { LABEL_W } from './timeline.js';

export class InputPart {
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
      const li = this.laneAt(y);
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
    $('sel-pcpu').addEventListener('change', (ev) => { this.selPcpu = Number(ev.target.value); this.followIrq = false; this.update(); });
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
