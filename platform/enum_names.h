// platform/enum_names.h - the names of every enumerated value an event carries
// (docs/trace-format.md, "enums").
//
// One table per enumeration. The text report, --json, the oracles' event
// histories, the Perfetto and VCD exports and the trace header's "enums"
// object all read these tables, so a value has one name everywhere.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/common/trace.h"

namespace pisim {

/// The enumerations an event argument can hold.
enum class TraceEnum : std::uint8_t {
    hyp_handler,       ///< enum hyp_handler (hyp/include/hyp/trace.h)
    pcpu_mode,         ///< cpu.mode's mode (model/cpu/cpu.h, platform/port.cpp)
    vcpu_state,        ///< enum hyp_vcpu_state
    exit_reason,       ///< basic VM exit reason [SDM Vol. 3C Appendix C, Table C-1]
    oracle,            ///< oracle_names() (platform/oracles.h), by position
    vapic_offset,      ///< virtual-APIC page offset [SDM Vol. 3C 29.1, Table 11-1]
    sched_reason,      ///< enum hyp_sched_reason
    pid_word,          ///< 64-bit word of a posted-interrupt descriptor [VT-d 9.12]
    memory_writer,     ///< PhysMem::Agent (model/common/phys_mem.h)
    vmcs_op,           ///< cpu.vmcs's op: VMPTRLD / VMCLEAR [SDM Vol. 3C 24.1]
    virq_how,          ///< hyp.virq_pend's how (hyp/include/hyp/trace.h)
    percpu_step,       ///< enum hyp_percpu_step
    lock_class,        ///< enum hyp_lock_class
    scenario_op,       ///< TimedEvent::Op (platform/scenario.h)
    vtd_fault_reason,  ///< interrupt-remapping fault reason [VT-d 7.1.3]
    Count
};

/// One named value.
struct EnumValue {
    std::uint64_t value;
    std::string name;
};

/// The enum's name as the trace's "enums" object keys it ("hyp_handler", ...).
const char* trace_enum_name(TraceEnum e);
/// Every named value of `e`, ascending by value.
const std::vector<EnumValue>& trace_enum_values(TraceEnum e);
/// The name of `value` in `e`, or null when it has none.
const char* trace_enum_value_name(TraceEnum e, std::uint64_t value);
/// The name of `value` in `e`, or its decimal digits when it has none.
std::string trace_enum_text(TraceEnum e, std::uint64_t value);

/// The enumeration payload arg `arg` (0-5) of kind `k` holds, if any.
std::optional<TraceEnum> kind_arg_enum(EventKind k, int arg);

/// Entries of the arg table naming an arg their kind does not have (the
/// table's consistency check; empty when every entry resolves).
std::vector<std::string> unresolved_arg_enums();

/// The name of a VT-d interrupt-remapping fault reason [VTD 7.1.3] (0x20-0x28), "unknown" otherwise.
const char* vtd_fault_reason_name(std::uint8_t reason);

}  // namespace pisim
