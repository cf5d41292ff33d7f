// viewer/src/life.js - the life of the selected interrupt: its steps, and stepping along them.
import { $, el, hex } from './text.js';

export class LifePart {
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

  renderLife() {
    const irq = this.selIrq, box = $('life');
    if (!irq) { box.replaceChildren(el('p', { class: 'empty' }, 'Select an interrupt.')); return; }
    const t = this.t;
    const rows = irq.steps.map((s, k) => {
      const d = k ? s.cycle - irq.steps[k - 1].cycle : 0;
      const e = this.selAnchors[k];
      const unit = e >= 0 ? t.unitName(e) : null;
      return el('li', { class: 'life-step', 'data-k': k, 'data-name': s.name, 'data-cycle': s.cycle, 'data-delta': d, 'data-unit': unit ?? '' },
        `${s.name} @${s.cycle} `, unit ? el('span', { class: 'unit' }, `on ${unit} `) : null, el('span', { class: 'delta' }, k ? '+' + d : 'start'));
    });
    box.replaceChildren(
      el('div', null, irq.name ? el('b', { class: 'irq-name' }, irq.name, ' ') : null,
        `tag ${irq.tagHex} · ${irq.deviceName} → ${irq.vcpuName} vector ${irq.vector < 0 ? '-' : hex(irq.vector, 2)} · `,
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

}
