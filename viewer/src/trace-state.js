// viewer/src/trace-state.js - the inspector's state at any event (part of Trace): PID, virtual
// APIC, local APIC and blocking lists replayed from a snapshot taken every SNAP_EVERY events
// (docs/trace-format.md, "Reconstructing state at a cycle").

export const SNAP_EVERY = 1024;          // events between inspector snapshots
// Inspector state layout (Uint32 words). Per vCPU: PID words 0-4 as lo/hi pairs (10),
// virtual-APIC words VTPR, VPPR, VISR 0-7, VIRR 0-7 (18), RVI, SVI, VPPR from cpu.vapic (3).
export const VS = 31, V_PID = 0, V_PAGE = 10, V_RVI = 28, V_SVI = 29, V_VPPR = 30;
// Per pCPU local APIC: IRR 0-7, ISR 0-7, PPR.
export const PS = 17, P_IRR = 0, P_ISR = 8, P_PPR = 16;
export const OP = { pid: 1, vapic: 2, cpuVapic: 3, accept: 4, dispatch: 5, eoi: 6, blAdd: 7, blDel: 8 };
export const OP_BY_NAME = {
  'pid.update': OP.pid, 'vapic.update': OP.vapic, 'cpu.vapic': OP.cpuVapic,
  'apic.accept': OP.accept, 'apic.dispatch': OP.dispatch, 'apic.eoi': OP.eoi,
  'hyp.blocklist_add': OP.blAdd, 'hyp.blocklist_del': OP.blDel,
};

export class StatePart {
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
}

/** Slot of a virtual-APIC page offset in the state: VTPR 0, VPPR 1, VISR 2-9, VIRR 10-17. */
function vapicSlot(off) {
  if (off === 0x80) return 0;
  if (off === 0xa0) return 1;
  if (off >= 0x100 && off <= 0x170 && (off & 0xf) === 0) return 2 + ((off - 0x100) >> 4);
  if (off >= 0x200 && off <= 0x270 && (off & 0xf) === 0) return 10 + ((off - 0x200) >> 4);
  return -1;
}
