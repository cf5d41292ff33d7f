// platform/export_perfetto.h - a pisim trace (platform/trace_reader.h) as a
// Chrome JSON trace-event document, which the Perfetto UI (ui.perfetto.dev)
// and chrome://tracing open.
//
// Layout: one process per unit kind (pid 1 pCPUs, 2 vCPUs, 3 VT-d, 4 devices,
// 5 any other unit), one thread per unit (tid = pid * 1000 + position in the
// trace's unit list), named by "process_name" / "thread_name" and ordered by
// "process_sort_index" / "thread_sort_index" metadata.
//   - pCPU threads: mode slices ("root", "non-root <vcpu>", "guest HLT <vcpu>",
//     "idle", from cpu.mode) with the hypervisor's handler slices
//     (hyp.handler_enter/exit, named "hyp <handler>" after enum hyp_handler)
//     nested inside, split where the mode changes under them.
//   - vCPU threads: state slices ("runnable", "running", "blocked", from
//     hyp.vcpu_state) with guest ISR slices ("isr <vector>") nested inside.
//   - Every other event is an instant ("i", thread scope) named by its kind,
//     with its named args (values of 2^53 or more as "0x..." strings) and the
//     interrupt tag; except the events that are steps of a device interrupt
//     (trace `interrupts[].steps`): those are 1-cycle slices ("X") and carry
//     the interrupt's flow.
//   - Flows: one per device interrupt with two or more located steps, id = the
//     interrupt tag as a "0x..." string, cat/name "irq": "s" on the first step,
//     "t" on the middle ones, "f" with "bp":"e" on the last, each right after
//     the step's slice on the same thread at the same timestamp.
//   - Counters ("C", on the vCPU process): "<vcpu> PID" with ON and SN (from
//     pid.update of the control word), "<vcpu> vAPIC" with RVI and SVI (from
//     cpu.vapic); a sample only when a value changed, the value at the end of
//     its cycle.
// Time: "displayTimeUnit":"ns"; ts and dur are microseconds in the format, so
// a cycle count C is written as the exact decimal C/1000 with three fraction
// digits (1 cycle shows as 1 ns). All arithmetic is on integer cycles.
// Output is deterministic: events sorted by (cycle, nesting level, longer
// slice first, trace order), metadata first.
#pragma once

#include <cstdint>
#include <string>

#include "platform/trace_reader.h"

namespace pisim {

/// The Chrome JSON trace-event document for `t` (deterministic bytes).
std::string perfetto_json(const Trace& t);

/// Cycles as Chrome-JSON microseconds with exact decimals: 12345 -> "12.345",
/// 7 -> "0.007" (1 cycle = 1 ns of the displayed time).
std::string cycles_as_us(std::uint64_t cycles);

}  // namespace pisim
