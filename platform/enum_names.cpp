#include "platform/enum_names.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstring>

extern "C" {
#include "hyp/trace.h"
}
#include "model/common/phys_mem.h"
#include "model/vtd/vtd.h"
#include "platform/oracles.h"
#include "platform/scenario.h"

namespace pisim {

namespace {

using Table = std::vector<EnumValue>;

/// Basic exit reasons [SDM Vol. 3C Appendix C, Table C-1 "Basic Exit Reasons"].
Table exit_reasons() {
    return {{0, "exception-or-nmi"},     {1, "external-interrupt"},  {2, "triple-fault"},
            {3, "init-signal"},          {4, "sipi"},                {5, "io-smi"},
            {6, "other-smi"},            {7, "interrupt-window"},    {8, "nmi-window"},
            {9, "task-switch"},          {10, "cpuid"},              {11, "getsec"},
            {12, "hlt"},                 {13, "invd"},               {14, "invlpg"},
            {15, "rdpmc"},               {16, "rdtsc"},              {17, "rsm"},
            {18, "vmcall"},              {19, "vmclear"},            {20, "vmlaunch"},
            {21, "vmptrld"},             {22, "vmptrst"},            {23, "vmread"},
            {24, "vmresume"},            {25, "vmwrite"},            {26, "vmxoff"},
            {27, "vmxon"},               {28, "cr-access"},          {29, "mov-dr"},
            {30, "io-instruction"},      {31, "rdmsr"},              {32, "wrmsr"},
            {33, "invalid-guest-state"}, {34, "msr-loading"},        {36, "mwait"},
            {37, "monitor-trap-flag"},   {39, "monitor"},            {40, "pause"},
            {41, "machine-check"},       {43, "tpr-below-threshold"}, {44, "apic-access"},
            {45, "eoi-induced"},         {46, "gdtr-idtr-access"},   {47, "ldtr-tr-access"},
            {48, "ept-violation"},       {49, "ept-misconfiguration"}, {50, "invept"},
            {51, "rdtscp"},              {52, "vmx-preemption-timer"}, {53, "invvpid"},
            {54, "wbinvd"},              {55, "xsetbv"},             {56, "apic-write"},
            {57, "rdrand"},              {58, "invpcid"},            {59, "vmfunc"},
            {60, "encls"},               {61, "rdseed"},             {62, "pml-full"},
            {63, "xsaves"},              {64, "xrstors"},            {65, "pconfig"},
            {66, "spp-event"},           {67, "umwait"},             {68, "tpause"},
            {69, "loadiwkey"},           {70, "enclv"},              {72, "enqcmd-pasid-translation"},
            {73, "enqcmds-pasid-translation"}, {74, "bus-lock"},     {75, "instruction-timeout"}};
}

/// Offsets of the virtual-APIC page in 16-byte steps [SDM Vol. 3C 29.1: VTPR,
/// VPPR, VEOI, VISR, VTMR, VIRR, VICR_LO/HI], the other offsets by the local
/// APIC register at that offset [SDM Vol. 3A Table 11-1 "Local APIC Register
/// Address Map"].
Table vapic_offsets() {
    Table t = {{0x20, "APIC_ID"},  {0x30, "APIC_VERSION"}, {0x80, "VTPR"}, {0x90, "APR"},
               {0xA0, "VPPR"},     {0xB0, "VEOI"},         {0xC0, "RRD"},  {0xD0, "LDR"},
               {0xE0, "DFR"},      {0xF0, "SVR"}};
    for (unsigned i = 0; i < 8; ++i) t.push_back({0x100 + 0x10 * i, fmt::format("VISR{}", i)});
    for (unsigned i = 0; i < 8; ++i) t.push_back({0x180 + 0x10 * i, fmt::format("VTMR{}", i)});
    for (unsigned i = 0; i < 8; ++i) t.push_back({0x200 + 0x10 * i, fmt::format("VIRR{}", i)});
    const Table rest = {{0x280, "ESR"},        {0x2F0, "LVT_CMCI"},      {0x300, "VICR_LO"},
                        {0x310, "VICR_HI"},    {0x320, "LVT_TIMER"},     {0x330, "LVT_THERMAL"},
                        {0x340, "LVT_PMI"},    {0x350, "LVT_LINT0"},     {0x360, "LVT_LINT1"},
                        {0x370, "LVT_ERROR"},  {0x380, "TIMER_INITIAL_COUNT"}, {0x390, "TIMER_CURRENT_COUNT"},
                        {0x3E0, "TIMER_DIVIDE_CONFIG"}, {0x3F0, "SELF_IPI"}};
    t.insert(t.end(), rest.begin(), rest.end());
    return t;
}

Table build(TraceEnum e) {
    switch (e) {
        case TraceEnum::hyp_handler:
            return {{HYP_H_VMEXIT, "vmexit"},
                    {HYP_H_IRQ, "irq"},
                    {HYP_H_PI_NOTIFICATION, "pi_notification"},
                    {HYP_H_PI_WAKEUP, "pi_wakeup"},
                    {HYP_H_TIMER, "timer"},
                    {HYP_H_CONTROL, "control"},
                    {HYP_H_SOFTIRQ, "softirq"},
                    {HYP_H_DEVICE_IRQ, "device_irq"},
                    {HYP_H_HOST_IRQ, "host_irq"},
                    {HYP_H_PERCPU, "percpu_virq"}};
        case TraceEnum::pcpu_mode:
            // model/cpu/cpu.h (0-2, the CPU model) and platform/port.cpp (3,
            // the pCPU halted in root mode with nothing to run).
            return {{0, "root"}, {1, "non-root"}, {2, "guest-hlt"}, {3, "idle"}};
        case TraceEnum::vcpu_state:
            return {{HYP_VCPU_OFFLINE, "offline"},
                    {HYP_VCPU_RUNNABLE, "runnable"},
                    {HYP_VCPU_RUNNING, "running"},
                    {HYP_VCPU_BLOCKED, "blocked"}};
        case TraceEnum::exit_reason: return exit_reasons();
        case TraceEnum::oracle: {
            Table t;
            for (std::size_t i = 0; i < oracle_names().size(); ++i) t.push_back({i, oracle_names()[i]});
            return t;
        }
        case TraceEnum::vapic_offset: return vapic_offsets();
        case TraceEnum::sched_reason:
            return {{HYP_SCHED_IDLE, "idle"},       {HYP_SCHED_SLICE, "slice"},     {HYP_SCHED_BLOCK, "block"},
                    {HYP_SCHED_WAKE, "wake"},       {HYP_SCHED_PREEMPT, "preempt"}, {HYP_SCHED_MIGRATE, "migrate"},
                    {HYP_SCHED_TASKLET, "tasklet"}, {HYP_SCHED_OFFLINE, "offline"}};
        case TraceEnum::pid_word:
            // PIR bits 64w..64w+63 for w 0-3, then the control word (ON, SN,
            // NV, NDST) [VT-d 9.12, Table 9-49].
            return {{0, "PIR0"}, {1, "PIR1"}, {2, "PIR2"}, {3, "PIR3"}, {4, "control"}};
        case TraceEnum::memory_writer:
            return {{static_cast<std::uint64_t>(PhysMem::Agent::Vtd), "vtd"},
                    {static_cast<std::uint64_t>(PhysMem::Agent::Cpu), "cpu"},
                    {static_cast<std::uint64_t>(PhysMem::Agent::Software), "hypervisor"},
                    {static_cast<std::uint64_t>(PhysMem::Agent::Device), "device"}};
        case TraceEnum::vmcs_op: return {{0, "vmptrld"}, {1, "vmclear"}};
        case TraceEnum::virq_how: return {{0, "posted-sync"}, {1, "injected"}, {2, "virr"}};
        case TraceEnum::percpu_step:
            return {{HYP_PERCPU_LATCH, "latch"},     {HYP_PERCPU_DROP, "drop"},     {HYP_PERCPU_SAVE, "save"},
                    {HYP_PERCPU_RESTORE, "restore"}, {HYP_PERCPU_INJECT, "inject"}, {HYP_PERCPU_EOI, "eoi"}};
        case TraceEnum::lock_class: return {{HYP_LOCK_UNNAMED, "unnamed"}, {HYP_LOCK_BLOCKING_LIST, "blocking_list"}};
        case TraceEnum::scenario_op: {
            Table t;
            for (int i = 0; i <= static_cast<int>(TimedEvent::Op::PercpuTimer); ++i)
                t.push_back({static_cast<std::uint64_t>(i), timed_event_op_name(static_cast<TimedEvent::Op>(i))});
            return t;
        }
        case TraceEnum::vtd_fault_reason: {
            Table t;
            for (unsigned r = static_cast<unsigned>(VtdFaultReason::ReservedRequest);
                 r <= static_cast<unsigned>(VtdFaultReason::ReservedPid); ++r)
                t.push_back({r, vtd_fault_reason_name(static_cast<std::uint8_t>(r))});
            return t;
        }
        case TraceEnum::Count: break;
    }
    return {};
}

const std::array<Table, static_cast<std::size_t>(TraceEnum::Count)>& tables() {
    static const auto all = [] {
        std::array<Table, static_cast<std::size_t>(TraceEnum::Count)> a;
        for (std::size_t i = 0; i < a.size(); ++i) {
            a[i] = build(static_cast<TraceEnum>(i));
            std::sort(a[i].begin(), a[i].end(), [](const EnumValue& x, const EnumValue& y) { return x.value < y.value; });
        }
        return a;
    }();
    return all;
}

struct ArgEnum {
    EventKind kind;
    const char* arg;
    TraceEnum e;
};

/// Which args hold which enumeration. hyp.handler_enter's detail is an exit
/// reason for the vmexit handler and a vector otherwise: not an enumeration.
constexpr ArgEnum kArgEnums[] = {
    {EventKind::CpuMode, "mode", TraceEnum::pcpu_mode},
    {EventKind::CpuVmExit, "reason", TraceEnum::exit_reason},
    {EventKind::CpuVmcs, "op", TraceEnum::vmcs_op},
    {EventKind::HypHandlerEnter, "handler", TraceEnum::hyp_handler},
    {EventKind::HypHandlerExit, "handler", TraceEnum::hyp_handler},
    {EventKind::HypSchedule, "reason", TraceEnum::sched_reason},
    {EventKind::HypVcpuState, "old", TraceEnum::vcpu_state},
    {EventKind::HypVcpuState, "new", TraceEnum::vcpu_state},
    {EventKind::HypVirqPend, "how", TraceEnum::virq_how},
    {EventKind::HypPercpuVirq, "step", TraceEnum::percpu_step},
    {EventKind::HypLockRelease, "lock", TraceEnum::lock_class},
    {EventKind::PidUpdate, "word", TraceEnum::pid_word},
    {EventKind::PidUpdate, "writer", TraceEnum::memory_writer},
    {EventKind::IrteUpdate, "writer", TraceEnum::memory_writer},
    {EventKind::PercpuStatus, "writer", TraceEnum::memory_writer},
    {EventKind::VapicUpdate, "offset", TraceEnum::vapic_offset},
    {EventKind::ScenarioEvent, "op", TraceEnum::scenario_op},
    {EventKind::VtdFault, "reason", TraceEnum::vtd_fault_reason},
    {EventKind::Violation, "oracle", TraceEnum::oracle},
};

}  // namespace

const char* trace_enum_name(TraceEnum e) {
    switch (e) {
        case TraceEnum::hyp_handler: return "hyp_handler";
        case TraceEnum::pcpu_mode: return "pcpu_mode";
        case TraceEnum::vcpu_state: return "vcpu_state";
        case TraceEnum::exit_reason: return "exit_reason";
        case TraceEnum::oracle: return "oracle";
        case TraceEnum::vapic_offset: return "vapic_offset";
        case TraceEnum::sched_reason: return "sched_reason";
        case TraceEnum::pid_word: return "pid_word";
        case TraceEnum::memory_writer: return "memory_writer";
        case TraceEnum::vmcs_op: return "vmcs_op";
        case TraceEnum::virq_how: return "virq_how";
        case TraceEnum::percpu_step: return "percpu_step";
        case TraceEnum::lock_class: return "lock_class";
        case TraceEnum::scenario_op: return "scenario_op";
        case TraceEnum::vtd_fault_reason: return "vtd_fault_reason";
        case TraceEnum::Count: break;
    }
    return "?";
}

const std::vector<EnumValue>& trace_enum_values(TraceEnum e) { return tables()[static_cast<std::size_t>(e)]; }

const char* trace_enum_value_name(TraceEnum e, std::uint64_t value) {
    const Table& t = trace_enum_values(e);
    auto it = std::lower_bound(t.begin(), t.end(), value, [](const EnumValue& x, std::uint64_t v) { return x.value < v; });
    return it != t.end() && it->value == value ? it->name.c_str() : nullptr;
}

std::string trace_enum_text(TraceEnum e, std::uint64_t value) {
    const char* n = trace_enum_value_name(e, value);
    return n ? std::string(n) : std::to_string(value);
}

std::vector<std::string> unresolved_arg_enums() {
    std::vector<std::string> out;
    for (const ArgEnum& a : kArgEnums) {
        const EventKindInfo& info = event_kind_info(a.kind);
        bool found = false;
        for (const char* n : info.args) found = found || std::strcmp(n, a.arg) == 0;
        if (!found) out.push_back(std::string(info.name) + "." + a.arg);
    }
    return out;
}

std::optional<TraceEnum> kind_arg_enum(EventKind k, int arg) {
    if (arg < 0 || arg >= 6) return std::nullopt;
    const char* name = event_kind_info(k).args[arg];
    if (!name[0]) return std::nullopt;
    for (const ArgEnum& a : kArgEnums)
        if (a.kind == k && std::strcmp(a.arg, name) == 0) return a.e;
    return std::nullopt;
}

/// VT-d interrupt-remapping fault reasons [VTD 7.1.3] by name.
const char* vtd_fault_reason_name(std::uint8_t reason) {
    switch (static_cast<VtdFaultReason>(reason)) {
        case VtdFaultReason::ReservedRequest: return "reserved field in the interrupt request";
        case VtdFaultReason::IndexBeyondTable: return "interrupt index beyond the table";
        case VtdFaultReason::NotPresent: return "IRTE not present";
        case VtdFaultReason::TableAccess: return "IRTE not accessible";
        case VtdFaultReason::ReservedIrte: return "reserved field in the IRTE";
        case VtdFaultReason::CompatBlocked: return "compatibility format blocked";
        case VtdFaultReason::SourceId: return "source-ID verification failed";
        case VtdFaultReason::PidAccess: return "PID not accessible";
        case VtdFaultReason::ReservedPid: return "reserved field in the PID";
    }
    return "unknown";
}

}  // namespace pisim
