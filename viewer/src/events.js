// viewer/src/events.js - events as text: the cursor's event and the events around it.
import { $, el, hex } from './text.js';
import { HEX_ARG } from './names.js';

export class EventsPart {
  renderCursor() {
    const t = this.t, e = this.cursor.event;
    $('cursor-cycle').textContent = String(this.cursor.cycle);
    $('cursor-event').textContent = e < 0 ? '-' : `${e} / ${t.n}`;
    const el = $('event-at-cursor');
    this.renderNear();
    el.textContent = e < 0 ? 'before the first event' : this.describe(e);
    for (const d of $('violations').children) {
      d.classList.toggle('current', d.dataset.event !== undefined && (Number(d.dataset.event) === e || (Number(d.dataset.cycle) === this.cursor.cycle && t.cycle[Number(d.dataset.event)] !== this.cursor.cycle)));
    }
  }

  /** One event as text: number, cycle, kind, unit, tag (and the interrupt's name), named args. */
  describe(e) {
    const t = this.t, k = t.kinds[t.kind[e]];
    const parts = k.args.map((a, i) => (a ? `${a}=${this.argText(a, t.argBig(e, i), e, i)}` : null)).filter(Boolean);
    const tg = t.tagBig(e);
    const irq = tg ? t.irqByTag?.get(tg.toString()) : null;
    return `#${e} @${t.cycle[e]} ${k.name} [${t.unitName(e)}]${tg ? ' tag ' + hex(tg) + (irq && irq.name ? ` (${irq.name})` : '') : ''}  ${parts.join(' ')}`;
  }

  /**
   * An argument's value as text: the name of an enum value (handler, mode, state, exit reason,
   * oracle, vAPIC register...), a vCPU's or pCPU's name for ids of them, "none" for HYP_INVALID
   * ids (32-bit HYP_INVALID, or -1 as 64 bits), hex for addresses, words and vectors.
   */
  argText(name, v, e, i) {
    const t = this.t;
    if (e !== undefined) {
      const n = t.argName(e, i);
      if (n !== null) return n;
    }
    if ((v === 0xffffffffn || v === 0xffffffffffffffffn) && /vcpu|^prev$|^next$|pcpu/.test(name)) return 'none';
    if (/^vcpu$|^prev$|^next$/.test(name) && v < 0xffffffffn) { const vn = t.vcpuName(Number(v)); if (vn) return vn; }
    if (/pcpu$/.test(name) && v < 0xffffffffn) { const p = t.unitPos.pcpu.get(Number(v)); if (p !== undefined) return t.units.pcpu[p].name; }
    // a handler's detail is a vector, except a VM exit's (its exit reason, named above)
    if (name === 'detail' && e !== undefined && t.kindName(e).startsWith('hyp.handler_') && t.argNum(e, 0) !== 1) return hex(v);
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

}
