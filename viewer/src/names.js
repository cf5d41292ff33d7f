// viewer/src/names.js - what numbers of the trace mean (docs/trace-format.md).

export const UNIT_KINDS = ['pcpu', 'vcpu', 'vtd', 'dev', 'mem'];
export const MODE_NAMES = ['root', 'non-root', 'guest HLT', 'idle'];
export const MODE_COLORS = ['#e5a33a', '#3aa757', '#9bd4a7', '#c9cbd0'];
export const VSTATE_NAMES = ['offline', 'runnable', 'running', 'blocked'];
export const VSTATE_COLORS = [null, '#e8cb4a', '#3aa757', '#5b8def'];
export const HYP_INVALID = 0xffffffff;
export const HEX_ARG = /address|irte|^old|^new|^pid$|^pir|control|qualification|intr_info|^data$|vector$|^nv$|ppr|^rvi$|^svi$|ndst|^dest$|status/;
