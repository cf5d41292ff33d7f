// model/common/cycles.h - simulated time in core cycles (docs/design.md, "Time").
//
// One SystemC time unit (sc_time::value(), the kernel's resolution) is one core
// cycle. Nothing in pisim converts to seconds except the reports' real-time
// factor, which uses the profile's core frequency.
#pragma once

#include <cstdint>
#include <systemc>

namespace pisim {

using cycles_t = std::uint64_t;

/// A delay of `n` core cycles as an sc_time.
inline sc_core::sc_time cycles(cycles_t n) { return sc_core::sc_time::from_value(n); }

/// The kernel's current time in core cycles.
inline cycles_t now_cycles() { return sc_core::sc_time_stamp().value(); }

/// An sc_time as core cycles.
inline cycles_t to_cycles(const sc_core::sc_time& t) { return t.value(); }

}  // namespace pisim
