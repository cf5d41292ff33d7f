// platform/export_vcd.h - a pisim trace (platform/trace_reader.h) as a Value
// Change Dump (IEEE 1364-2005 section 18) for GTKWave or Surfer.
//
// $timescale 1 ns: one VCD time unit is one core cycle. Scopes: module
// "pisim" holding one module per pCPU and per vCPU, named after the unit.
//   pCPU: mode [1:0] (cpu.mode: 0 root, 1 non-root, 2 guest HLT, 3 idle);
//         vcpu, integer 32: the vCPU loaded on the pCPU (hyp.schedule next,
//         or cpu.mode's vCPU in non-root / guest HLT), x when none (before
//         the first schedule, after scheduling idle, in idle mode).
//   vCPU: state [1:0] (hyp.vcpu_state: 0 offline, 1 runnable, 2 running,
//         3 blocked); ON, SN, NV [7:0], NDST [31:0] of its posted-interrupt
//         descriptor (pid.update of the control word: ON bit 0, SN bit 1,
//         NV bits 23:16, NDST bits 63:32); RVI [7:0], SVI [7:0] (cpu.vapic).
// A value is x until the trace first sets it (mode, vcpu, the PID fields,
// RVI/SVI); state starts at 0 (offline). "#0" carries $dumpvars with the
// values at the end of cycle 0; after that a time appears only when some
// signal's value at the end of that cycle differs from the last dumped one,
// and only those signals are listed. A final "#<end_cycle>" marks the end of
// the run. Deterministic bytes; no $date.
#pragma once

#include <string>

#include "platform/trace_reader.h"

namespace pisim {

/// The VCD text for `t`.
std::string vcd_text(const Trace& t);

}  // namespace pisim
