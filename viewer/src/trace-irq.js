// viewer/src/trace-irq.js - device interrupts (part of Trace): their steps, the event of each
// step, the events carrying their tag.
import { hex } from './text.js';
import { lowerBound } from './search.js';
import { toBig } from './trace.js';

// The event that marks each step of an interrupt's life (docs/trace-format.md step names).
const STEP_MARKERS = {
  device_write: ['nic.msi_write'], vtd_request: ['vtd.request'], remapping: ['vtd.irte_fetch', 'vtd.remap'],
  posting: ['vtd.post'], notification: ['apic.accept'], pi_processing: ['cpu.pi_process'],
  virtual_delivery: ['guest.isr_begin'], vm_exit: ['cpu.vm_exit'], hyp_handler: ['hyp.handler_enter'],
  injection: ['cpu.virq_inject', 'hyp.virq_pend'],
};

export class InterruptPart {
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
