// viewer/src/trace-hyp.js - the hypervisor's handler slices of each pCPU (part of Trace).
import { lowerBound } from './search.js';

export class HypPart {
  /**
   * The hypervisor's handler slices of each pCPU from hyp.handler_enter / hyp.handler_exit, by
   * the rules of `pisim export --perfetto` (platform/export_perfetto.cpp): handlers nest; an
   * exit closes the innermost open handler with its id and every handler opened inside it; an
   * exit without its enter closes nothing; a handler still open at the end of the trace ends
   * there. Per pCPU, ordered by start (an enclosing handler before those it holds):
   * {start, end, depth, handler, detail, vcpu, enter (event), endMax (running max of end)}.
   */
  buildHandlerSlices() {
    const kEnter = this.kindByName.get('hyp.handler_enter'), kExit = this.kindByName.get('hyp.handler_exit');
    const endAll = Math.max(this.endCycle, this.n ? this.cycle[this.n - 1] + 1 : 0);
    this.handlerSlices = this.units.pcpu.map((u) => {
      const out = [], stack = [];
      const close = (o, at) => out.push({ ...o, end: at });
      for (const e of this.eventsOfUnit('pcpu', Number(u.id))) {
        const k = this.kind[e];
        if (k === kEnter && kEnter !== undefined) {
          stack.push({ start: this.cycle[e], depth: stack.length, handler: this.argNum(e, 0), detail: this.argNum(e, 1), vcpu: this.argNum(e, 2), enter: e });
        } else if (k === kExit && kExit !== undefined) {
          const h = this.argNum(e, 0);
          let at = stack.length - 1;
          while (at >= 0 && stack[at].handler !== h) at--;
          if (at < 0) continue;
          while (stack.length > at) close(stack.pop(), this.cycle[e]);
        }
      }
      while (stack.length) close(stack.pop(), endAll);
      out.sort((a, b) => (a.start - b.start) || (a.depth - b.depth));
      const n = out.length;
      const sl = {
        n, start: new Float64Array(n), end: new Float64Array(n), endMax: new Float64Array(n), depth: new Uint8Array(n),
        handler: new Uint32Array(n), detail: new Float64Array(n), vcpu: new Float64Array(n), enter: new Int32Array(n),
      };
      let m = -Infinity;
      out.forEach((o, i) => {
        sl.start[i] = o.start; sl.end[i] = o.end; m = Math.max(m, o.end); sl.endMax[i] = m;
        sl.depth[i] = Math.min(o.depth, 255); sl.handler[i] = o.handler; sl.detail[i] = o.detail; sl.vcpu[i] = o.vcpu; sl.enter[i] = o.enter;
      });
      return sl;
    });
  }

  /** A handler slice's name: "hyp pi_wakeup", "hyp vmexit (external interrupt)". */
  handlerName(sl, i) {
    const e = sl.enter[i];
    const hn = this.argName(e, 0) ?? `handler ${sl.handler[i]}`;
    const dn = sl.handler[i] === 1 ? this.argName(e, 1) : null;
    return `hyp ${hn}${dn ? ` (${dn})` : ''}`;
  }

  /** The innermost handler slice of pCPU position p at cycle c, or -1. */
  handlerAt(p, c) {
    const sl = this.handlerSlices[p];
    let best = -1;
    for (let i = Math.max(0, lowerBound(sl.endMax, c + 1e-9)); i < sl.n && sl.start[i] <= c; i++) {
      if (sl.end[i] > c && (best < 0 || sl.depth[i] >= sl.depth[best])) best = i;
    }
    return best;
  }
}
