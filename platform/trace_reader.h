// platform/trace_reader.h - read a pisim trace (docs/trace-format.md, the JSON
// that `pisim run --trace FILE` writes) into the structure the exporters use
// (platform/export_perfetto.h, platform/export_vcd.h).
//
// Values are unsigned 64-bit integers; the file writes values of 2^53 or more
// as "0x..." hex strings, the reader accepts both forms everywhere.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "platform/input_file.h"

namespace pisim {

/// One unit (track) of the trace: `id` is what events[i][2] holds for kinds of
/// this unit (pCPU index, vCPU global id, 0 for VT-d, requester ID for a device).
struct TraceUnit {
    std::uint64_t id = 0;
    std::string name;
    std::string apic_mode;  ///< pCPUs: "xapic" or "x2apic" (empty when the trace does not say)
    std::optional<std::uint64_t> apic_id;  ///< pCPUs: the local APIC ID, when given
};

/// One entry of `kinds`: the dotted name of model/common/trace.h, the unit list
/// ("pcpu", "vcpu", "vtd", "dev", "mem") and the argument names in order.
struct TraceKind {
    std::string name;
    std::string unit;
    std::vector<std::string> args;
    /// By arg: the enumeration (a key of Trace::enums) its values name, or "".
    std::vector<std::string> arg_enums;
};

/// One entry of `events`: [cycle, kind, unit, tag, arg0..]. Missing trailing
/// args are 0; `nargs` is how many the file gave (at most 6).
struct TraceEvent {
    std::uint64_t cycle = 0;  ///< core cycles
    std::uint32_t kind = 0;   ///< index into Trace::kinds
    std::uint64_t unit = 0;
    std::uint64_t tag = 0;    ///< device interrupt tag, 0 = none
    std::array<std::uint64_t, 6> args{};
    std::uint32_t nargs = 0;
};

/// One step of a device interrupt (`interrupts[i].steps[j]`).
struct TraceStep {
    std::string name;         ///< device_write, vtd_request, remapping, posting, ...
    std::uint64_t cycle = 0;  ///< core cycles
};

/// One entry of `interrupts`.
struct TraceInterrupt {
    std::string name;  ///< "<device>#<n>" (empty in a trace that does not name it)
    std::uint64_t tag = 0;
    std::uint64_t device = 0;  ///< requester ID
    std::int64_t vcpu = -1;    ///< global vCPU id, -1 when unbound
    std::int64_t vector = -1;  ///< guest vector, -1 when unbound
    bool delivered = false;
    std::uint64_t latency = 0;  ///< cycles, meaningful when delivered
    std::vector<TraceStep> steps;
};

/// A whole trace. Events are ordered by cycle, then file order: the file should
/// already be in that order (docs/trace-format.md); events that are not (an
/// event written after one of a later cycle) are counted in `out_of_order` and
/// moved to their cycle.
struct Trace {
    std::size_t out_of_order = 0;  ///< events whose cycle is before the previous event's
    std::string scenario, profile, irq_mode;
    std::uint64_t seed = 0;
    std::uint64_t end_cycle = 0;  ///< core cycles
    bool truncated = false;
    std::vector<TraceUnit> pcpus, vcpus, vtds, devs, oracles;
    std::vector<TraceKind> kinds;
    /// enum name -> value -> name (the trace's "enums"; for a trace written
    /// without them, pisim's own tables, platform/enum_names.h).
    std::map<std::string, std::map<std::uint64_t, std::string>> enums;
    std::vector<TraceEvent> events;
    std::vector<TraceInterrupt> interrupts;

    /// Index of the kind named `name` (e.g. "cpu.mode"), if the trace has it.
    std::optional<std::uint32_t> kind_index(const std::string& name) const;
    /// The name of arg `arg` of event `e` when that arg is an enumeration and
    /// the value has a name; null otherwise.
    const std::string* arg_name(const TraceEvent& e, std::size_t arg) const;
    /// The unit list a unit name ("pcpu", "vcpu", "vtd", "dev", "oracle") designates;
    /// null for any other name.
    const std::vector<TraceUnit>* units(const std::string& unit) const;
    /// Position of the unit with `id` in units(unit), if present.
    std::optional<std::size_t> unit_position(const std::string& unit, std::uint64_t id) const;
};

/// Parse a pisim trace document. `origin` names the input in errors. Throws
/// InputError (platform/input_error.h) when the text is not JSON (with the line
/// and column of the syntax error), the format is not "pisim-trace" version 1,
/// a field is missing or has the wrong type, an event names an unknown kind or
/// has more than 6 args, or a violation names an event the trace lacks. The
/// message starts with the JSON path of the bad field (events[3][1], ...).
/// `pisim report`, `view` and `export` all accept exactly what this accepts.
Trace parse_trace(const std::string& text, const std::string& origin);

/// Read and parse a trace file; InputError also when the file cannot be read
/// or holds more than `max_bytes` (checked before reading, platform/input_file.h).
Trace read_trace_file(const std::string& path, std::uint64_t max_bytes = InputCaps::trace_bytes);

}  // namespace pisim
