// viewer/src/irq-list.js - the interrupt list: filter, sort, a virtual scroller.
import { $, el, hex } from './text.js';

export const ROW_H = 20;                 // px, interrupt list row (matches viewer.css)

export class IrqListPart {
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
        [x.name ? `${x.name} ${x.tagHex}` : x.tagHex, x.deviceName, x.vcpuName, x.vector < 0 ? '-' : hex(x.vector, 2), x.start, x.latency === null ? '—' : x.latency, x.last]
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

}
