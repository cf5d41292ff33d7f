// platform/trace_writer.h - the pisim trace (docs/trace-format.md): every
// recorded event, the units, the interrupts with their steps, the violations.
#pragma once

#include <string>

namespace pisim {

class Machine;
struct RunReport;

/// Serialize the machine's recorded events and the report's interrupts as a
/// pisim-trace JSON document (deterministic bytes).
std::string trace_json(Machine& m, const RunReport& r);

}  // namespace pisim
