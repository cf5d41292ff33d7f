// The name tables of platform/enum_names.h: every value the models, the core
// and the platform can put into an enumerated event arg has a name, names are
// unique within a table, the arg table names args that exist, and a trace's
// "enums" are read and checked.
#include <gtest/gtest.h>

#include "trace_error_of.h"

#include <set>
#include <string>

extern "C" {
#include "hyp/trace.h"
}
#include "export_fixture.h"
#include "model/common/phys_mem.h"
#include "model/cpu/vmcs.h"
#include "model/vtd/vtd.h"
#include "platform/enum_names.h"
#include "platform/input_error.h"
#include "platform/oracles.h"
#include "platform/report.h"
#include "platform/scenario.h"
#include "platform/trace_reader.h"

namespace pisim {
namespace {

void expect_named(TraceEnum e, std::uint64_t v) {
    EXPECT_NE(trace_enum_value_name(e, v), nullptr) << trace_enum_name(e) << " " << v << " has no name";
}

TEST(EnumNames, EveryValueThatCanAppearHasAName) {
    for (std::uint64_t h = HYP_H_VMEXIT; h <= HYP_H_PERCPU; ++h) expect_named(TraceEnum::hyp_handler, h);
    for (std::uint64_t m = 0; m <= 3; ++m) expect_named(TraceEnum::pcpu_mode, m);  // cpu.h 0-2, port.cpp 3
    for (std::uint64_t s = HYP_VCPU_OFFLINE; s <= HYP_VCPU_BLOCKED; ++s) expect_named(TraceEnum::vcpu_state, s);
    for (std::uint64_t r = HYP_SCHED_IDLE; r <= HYP_SCHED_OFFLINE; ++r) expect_named(TraceEnum::sched_reason, r);
    for (std::uint64_t s = HYP_PERCPU_LATCH; s <= HYP_PERCPU_EOI; ++s) expect_named(TraceEnum::percpu_step, s);
    expect_named(TraceEnum::lock_class, HYP_LOCK_BLOCKING_LIST);
    // Every basic exit reason the CPU model raises (model/cpu/vmcs.h).
    for (std::uint32_t r : {vmcs::EXIT_EXTERNAL_INTERRUPT, vmcs::EXIT_INTERRUPT_WINDOW, vmcs::EXIT_HLT, vmcs::EXIT_VMCALL,
                            vmcs::EXIT_WRMSR, vmcs::EXIT_INVALID_GUEST_STATE, vmcs::EXIT_TPR_BELOW_THRESHOLD,
                            vmcs::EXIT_APIC_ACCESS, vmcs::EXIT_EOI_INDUCED, vmcs::EXIT_EPT_VIOLATION, vmcs::EXIT_APIC_WRITE})
        expect_named(TraceEnum::exit_reason, r);
    for (std::size_t i = 0; i < oracle_names().size(); ++i)
        EXPECT_EQ(trace_enum_value_name(TraceEnum::oracle, i), oracle_names()[i]);
    // Every word of the virtual-APIC registers the platform watches (VTPR,
    // VPPR, VEOI, VISR, VTMR, VIRR, VICR) [SDM 29.1].
    for (std::uint32_t off : {vmcs::VAPIC_VTPR, vmcs::VAPIC_VPPR, vmcs::VAPIC_VEOI, vmcs::VAPIC_VICR_LO, vmcs::VAPIC_VICR_HI})
        expect_named(TraceEnum::vapic_offset, off);
    for (unsigned v = 0; v < 256; v += 32) {
        expect_named(TraceEnum::vapic_offset, vmcs::vapic_word(vmcs::VAPIC_VISR, static_cast<std::uint8_t>(v)));
        expect_named(TraceEnum::vapic_offset, vmcs::vapic_word(vmcs::VAPIC_VIRR, static_cast<std::uint8_t>(v)));
        expect_named(TraceEnum::vapic_offset, vmcs::vapic_word(0x180, static_cast<std::uint8_t>(v)));  // VTMR
    }
    EXPECT_STREQ(trace_enum_value_name(TraceEnum::vapic_offset, 0x120), "VISR2");
    EXPECT_STREQ(trace_enum_value_name(TraceEnum::vapic_offset, 0x270), "VIRR7");
    for (std::uint64_t w = 0; w <= 4; ++w) expect_named(TraceEnum::pid_word, w);
    for (auto a : {PhysMem::Agent::Vtd, PhysMem::Agent::Cpu, PhysMem::Agent::Software, PhysMem::Agent::Device})
        expect_named(TraceEnum::memory_writer, static_cast<std::uint64_t>(a));
    for (std::uint64_t op = 0; op <= 1; ++op) expect_named(TraceEnum::vmcs_op, op);
    for (std::uint64_t how = 0; how <= 2; ++how) expect_named(TraceEnum::virq_how, how);
    for (int op = 0; op <= static_cast<int>(TimedEvent::Op::PercpuTimer); ++op) {
        expect_named(TraceEnum::scenario_op, static_cast<std::uint64_t>(op));
        EXPECT_STREQ(trace_enum_value_name(TraceEnum::scenario_op, static_cast<std::uint64_t>(op)),
                     timed_event_op_name(static_cast<TimedEvent::Op>(op)));
    }
    for (unsigned r = static_cast<unsigned>(VtdFaultReason::ReservedRequest); r <= static_cast<unsigned>(VtdFaultReason::ReservedPid); ++r)
        expect_named(TraceEnum::vtd_fault_reason, r);
}

TEST(EnumNames, NamesAreUniqueAndTheArgTableResolves) {
    for (int e = 0; e < static_cast<int>(TraceEnum::Count); ++e) {
        std::set<std::string> seen;
        for (const EnumValue& v : trace_enum_values(static_cast<TraceEnum>(e)))
            EXPECT_TRUE(seen.insert(v.name).second) << trace_enum_name(static_cast<TraceEnum>(e)) << ": " << v.name << " twice";
        EXPECT_FALSE(seen.empty()) << trace_enum_name(static_cast<TraceEnum>(e));
    }
    EXPECT_EQ(unresolved_arg_enums(), std::vector<std::string>{});
    EXPECT_EQ(kind_arg_enum(EventKind::CpuMode, 0), TraceEnum::pcpu_mode);
    EXPECT_EQ(kind_arg_enum(EventKind::CpuMode, 1), std::nullopt);  // the vCPU
    EXPECT_EQ(kind_arg_enum(EventKind::CpuVmExit, 1), TraceEnum::exit_reason);
    EXPECT_EQ(kind_arg_enum(EventKind::HypVcpuState, 0), TraceEnum::vcpu_state);
    EXPECT_EQ(kind_arg_enum(EventKind::HypVcpuState, 1), TraceEnum::vcpu_state);
    EXPECT_EQ(kind_arg_enum(EventKind::Violation, 0), TraceEnum::oracle);
    EXPECT_EQ(kind_arg_enum(EventKind::VapicUpdate, 0), TraceEnum::vapic_offset);
    EXPECT_EQ(kind_arg_enum(EventKind::HypHandlerEnter, 1), std::nullopt);  // detail: reason or vector
}

// The report and the latency gate's metric names (exits.<n>.<name>,
// handler.<name>.*) come from the same tables: the names a committed
// baseline holds stay what they were.
TEST(EnumNames, ReportAndGateUseTheTables) {
    EXPECT_STREQ(exit_reason_name(1), "external-interrupt");
    EXPECT_STREQ(exit_reason_name(12), "hlt");
    EXPECT_STREQ(exit_reason_name(32), "wrmsr");
    EXPECT_STREQ(exit_reason_name(56), "apic-write");
    EXPECT_STREQ(exit_reason_name(35), "unknown");  // not defined by the SDM
    EXPECT_STREQ(trace_enum_value_name(TraceEnum::hyp_handler, HYP_H_CONTROL), "control");
    EXPECT_STREQ(trace_enum_value_name(TraceEnum::hyp_handler, HYP_H_HOST_IRQ), "host_irq");
}

InputError error_of(const std::string& text) { return testing::trace_error_of(text); }

std::string with(std::string s, const std::string& from, const std::string& to) {
    const auto at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return s.replace(at, from.size(), to);
}

// A trace's own "enums" are what the exporters show; one without them (older)
// gets pisim's tables for the kinds it knows; bad ones exit 2 at their path.
TEST(EnumNames, TraceEnumsAreReadAndChecked) {
    const std::string tiny = test::tiny_trace();
    const Trace old = parse_trace(tiny, "old.json");
    ASSERT_TRUE(old.kind_index("cpu.mode"));
    EXPECT_EQ(old.kinds[*old.kind_index("cpu.mode")].arg_enums[0], "pcpu_mode");
    ASSERT_NE(old.arg_name(old.events[6], 0), nullptr);  // [20,0,0,0,1,0]: mode 1
    EXPECT_EQ(*old.arg_name(old.events[6], 0), "non-root");

    const std::string own = with(with(tiny, R"({"name":"cpu.mode","unit":"pcpu","args":["mode","vcpu"]})",
                                      R"({"name":"cpu.mode","unit":"pcpu","args":["mode","vcpu"],"enums":{"mode":"m"}})"),
                                 "\"events\":[", "\"enums\":{\"m\":{\"1\":\"guest\"}},\n\"events\":[");
    const Trace t = parse_trace(own, "own.json");
    ASSERT_NE(t.arg_name(t.events[6], 0), nullptr);
    EXPECT_EQ(*t.arg_name(t.events[6], 0), "guest");
    EXPECT_EQ(t.arg_name(t.events[0], 0), nullptr);  // mode 0: not in this trace's table

    EXPECT_NE(std::string(error_of(with(own, "\"enums\":{\"m\":", "\"enums\":{\"n\":")).what()).find("enum m is not in enums"),
              std::string::npos);
    EXPECT_NE(std::string(error_of(with(own, "{\"1\":\"guest\"}", "{\"01\":\"guest\"}")).what()).find("enums.m.01"),
              std::string::npos);
    EXPECT_NE(std::string(error_of(with(own, "\"enums\":{\"mode\":\"m\"}", "\"enums\":{\"cpu\":\"m\"}")).what())
                  .find("kinds[0].enums.cpu: not an arg"),
              std::string::npos);
    EXPECT_NE(std::string(error_of(with(tiny, "\"apic_id\":0", "\"apic_id\":0,\"apic_mode\":\"x3apic\"")).what())
                  .find("units.pcpu[0].apic_mode"),
              std::string::npos);
}

}  // namespace
}  // namespace pisim
