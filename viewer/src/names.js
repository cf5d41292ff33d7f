// viewer/src/names.js - what numbers of the trace mean (docs/trace-format.md).

export const UNIT_KINDS = ['pcpu', 'vcpu', 'vtd', 'dev', 'mem', 'oracle'];
export const MODE_NAMES = ['root', 'non-root', 'guest HLT', 'idle'];
export const MODE_COLORS = ['#e5a33a', '#3aa757', '#9bd4a7', '#c9cbd0'];
export const VSTATE_NAMES = ['offline', 'runnable', 'running', 'blocked'];
export const VSTATE_COLORS = [null, '#e8cb4a', '#3aa757', '#5b8def'];
export const HYP_INVALID = 0xffffffff;
export const HEX_ARG = /address|irte|^old|^new|^pid$|^pir|control|qualification|intr_info|^data$|vector$|^nv$|ppr|^rvi$|^svi$|ndst|^dest$|status/;

// Names of numbers the trace's events carry, for traces without "enums" (docs/trace-format.md):
// the trace's own tables win when present (enumName below).
/** enum hyp_handler (hyp/include/hyp/trace.h). */
export const HANDLER_NAMES = {
  1: 'vmexit', 2: 'irq', 3: 'pi_notification', 4: 'pi_wakeup', 5: 'timer', 6: 'control', 7: 'softirq',
  8: 'device_irq', 9: 'host_irq', 10: 'percpu_virq',
};
/** Basic VM-exit reasons [SDM Vol. 3C, Appendix C]. */
export const EXIT_REASONS = {
  0: 'exception or NMI', 1: 'external interrupt', 2: 'triple fault', 3: 'INIT', 4: 'SIPI', 5: 'I/O SMI', 6: 'other SMI',
  7: 'interrupt window', 8: 'NMI window', 9: 'task switch', 10: 'CPUID', 11: 'GETSEC', 12: 'HLT', 13: 'INVD', 14: 'INVLPG',
  15: 'RDPMC', 16: 'RDTSC', 17: 'RSM', 18: 'VMCALL', 19: 'VMCLEAR', 20: 'VMLAUNCH', 21: 'VMPTRLD', 22: 'VMPTRST',
  23: 'VMREAD', 24: 'VMRESUME', 25: 'VMWRITE', 26: 'VMXOFF', 27: 'VMXON', 28: 'control-register access', 29: 'MOV DR',
  30: 'I/O instruction', 31: 'RDMSR', 32: 'WRMSR', 33: 'VM-entry failure: invalid guest state',
  34: 'VM-entry failure: MSR loading', 36: 'MWAIT', 37: 'monitor trap flag', 39: 'MONITOR', 40: 'PAUSE',
  41: 'VM-entry failure: machine-check event', 43: 'TPR below threshold', 44: 'APIC access', 45: 'virtualized EOI',
  46: 'GDTR/IDTR access', 47: 'LDTR/TR access', 48: 'EPT violation', 49: 'EPT misconfiguration', 50: 'INVEPT',
  51: 'RDTSCP', 52: 'VMX-preemption timer expired', 53: 'INVVPID', 54: 'WBINVD', 55: 'XSETBV', 56: 'APIC write',
  57: 'RDRAND', 58: 'INVPCID', 59: 'VMFUNC', 60: 'ENCLS', 61: 'RDSEED', 62: 'page-modification log full',
  63: 'XSAVES', 64: 'XRSTORS',
};
/** enum hyp_sched_reason. */
export const SCHED_REASONS = { 0: 'idle', 1: 'slice', 2: 'block', 3: 'wake', 4: 'preempt', 5: 'migrate', 6: 'tasklet', 7: 'offline' };
/** Oracles in the order of platform/oracles.h oracle_names() (the id oracle.violation carries). */
export const ORACLES = ['lost_interrupt', 'spurious_interrupt', 'wakeup', 'descriptor_state', 'isolation', 'blocking_list',
  'ndst_online', 'offline_pcpu', 'stranded_pir', 'list_agreement', 'torn_irte', 'hlt_resume',
  'hyp_assertion'];
/** TimedEvent::Op (platform/scenario.h): scenario.event's op. */
export const SCENARIO_OPS = ['preempt', 'block', 'wake', 'pin', 'pcpu_offline', 'pcpu_online', 'assign', 'deassign', 'ipi',
  'tasklet', 'reprogram', 'corrupt_irte', 'corrupt_pid', 'percpu_timer'];
export const PID_WRITERS = { 0: 'VT-d', 1: 'CPU', 2: 'hypervisor' };
export const PID_WORDS = { 0: 'PIR[63:0]', 1: 'PIR[127:64]', 2: 'PIR[191:128]', 3: 'PIR[255:192]', 4: 'control' };
export const PERCPU_STEPS = { 0: 'latch', 1: 'drop', 2: 'save', 3: 'restore', 4: 'inject', 5: 'EOI' };
export const LOCK_CLASSES = { 0: 'unnamed', 1: 'blocking list' };
export const VMCS_OPS = { 0: 'VMPTRLD', 1: 'VMCLEAR' };

/**
 * A register of the virtual-APIC page by its offset [SDM Vol. 3C 29.1, Table 11-1 (APIC
 * register address map)]: VTPR, VPPR, VEOI, VISR/VTMR/VIRR words, VICR; the others by their
 * local-APIC name.
 */
export function vapicRegName(off) {
  const fixed = {
    0x20: 'APIC ID', 0x30: 'version', 0x80: 'VTPR', 0x90: 'APR', 0xa0: 'VPPR', 0xb0: 'VEOI', 0xc0: 'RRD', 0xd0: 'LDR',
    0xe0: 'DFR', 0xf0: 'SVR', 0x280: 'ESR', 0x2f0: 'LVT CMCI', 0x300: 'VICR low', 0x310: 'VICR high', 0x320: 'LVT timer',
    0x330: 'LVT thermal', 0x340: 'LVT perf', 0x350: 'LVT LINT0', 0x360: 'LVT LINT1', 0x370: 'LVT error',
    0x380: 'timer initial count', 0x390: 'timer current count', 0x3e0: 'timer divide',
  };
  if (fixed[off]) return fixed[off];
  for (const [base, name] of [[0x100, 'VISR'], [0x180, 'VTMR'], [0x200, 'VIRR']]) {
    if (off >= base && off < base + 0x80 && (off & 0xf) === 0) {
      const w = (off - base) >> 4;
      return `${name}${w} (vectors ${w * 32}-${w * 32 + 31})`;
    }
  }
  return null;
}

/** Built-in names per kind and arg, used when the trace has no "enums" for them. */
export const ARG_NAMES = {
  'cpu.mode': { mode: (v) => MODE_NAMES[v] },
  'hyp.vcpu_state': { old: (v) => VSTATE_NAMES[v], new: (v) => VSTATE_NAMES[v] },
  'hyp.handler_enter': { handler: (v) => HANDLER_NAMES[v] },
  'hyp.handler_exit': { handler: (v) => HANDLER_NAMES[v] },
  'hyp.schedule': { reason: (v) => SCHED_REASONS[v] },
  'cpu.vm_exit': { reason: (v) => EXIT_REASONS[v & 0xffff] && EXIT_REASONS[v & 0xffff] + (v >= 0x80000000 ? ' (entry failure)' : '') },
  'vapic.update': { offset: vapicRegName },
  'pid.update': { writer: (v) => PID_WRITERS[v], word: (v) => PID_WORDS[v] },
  'hyp.percpu_virq': { step: (v) => PERCPU_STEPS[v] },
  'hyp.lock_release': { lock: (v) => LOCK_CLASSES[v] },
  'cpu.vmcs': { op: (v) => VMCS_OPS[v] },
  'oracle.violation': { oracle: (v) => ORACLES[v] },
  'scenario.event': { op: (v) => SCENARIO_OPS[v] },
};
