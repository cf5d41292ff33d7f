// viewer/src/inspector.js - the state at the cursor: PID, virtual APIC, local APIC, blocking lists.
import { $, el, hex } from './text.js';
import { MODE_NAMES, VSTATE_NAMES } from './names.js';
import { toBig } from './trace.js';
import { VS, V_PID, V_PAGE, V_RVI, V_SVI, V_VPPR, PS, P_IRR, P_ISR, P_PPR } from './trace-state.js';

export class InspectorPart {
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

  /**
   * NDST of a posted-interrupt descriptor decoded by the pCPUs' APIC mode (units.pcpu[].apic_mode)
   * [VT-d 9.12]: x2APIC, the 32-bit x2APIC ID; xAPIC, the 8-bit APIC ID in bits 15:8. Names
   * the pCPU with that APIC ID (units.pcpu[].apic_id, else its id). A trace that does not say
   * the mode gets both readings (x2APIC first: a scenario's default, docs/scenario-format.md).
   */
  ndstText(ndst) {
    const pcpus = this.t.units.pcpu;
    const known = pcpus.some((u) => u.apic_mode === 'x2apic' || u.apic_mode === 'xapic');
    const modeOf = (u) => (u.apic_mode === 'xapic' ? 'xapic' : 'x2apic');
    const modes = known ? [...new Set(pcpus.map(modeOf))] : ['x2apic', 'xapic'];
    const parts = modes.map((mode) => {
      const id = mode === 'x2apic' ? ndst >>> 0 : (ndst >>> 8) & 0xff;
      const u = pcpus.find((p) => (!known || modeOf(p) === mode) && Number(p.apic_id ?? p.id) === id);
      return `${mode === 'x2apic' ? 'x2APIC' : 'xAPIC'} ID ${id}${u ? ' = ' + u.name : ', no pCPU'}`;
    });
    return known ? parts.join('; ') : `${parts.join(' or ')}: APIC mode not in the trace`;
  }

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
      this.setField('pid-ndst', hi, `${hex(hi, 8)} (${this.ndstText(hi)})`);
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

}
