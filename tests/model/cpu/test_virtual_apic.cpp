// Virtual-interrupt delivery, PPR/TPR/EOI/self-IPI virtualization
// [SDM 29.1, 29.2].
#include "cpu_harness.h"

namespace pisim::test {
namespace {

struct Snapshot {
    std::uint8_t rvi, svi;
    std::uint32_t vppr;
    bool virr, visr;
};

Snapshot snap(Machine& m, std::uint8_t v) {
    return {m.rvi(), m.svi(), m.vapic(vmcs::VAPIC_VPPR), m.vapic_bit(vmcs::VAPIC_VIRR, v),
            m.vapic_bit(vmcs::VAPIC_VISR, v)};
}

void block_with_vtpr(Machine& m, std::uint32_t vtpr) {
    m.mem.write32(kVapic + vmcs::VAPIC_VTPR, vtpr);
    m.mem.write32(kVapic + vmcs::VAPIC_VPPR, vtpr);
}

// A self-IPI below VPPR's class stays pending (no recognition) until a TPR
// write lowers VPPR: TPR virtualization -> PPR virtualization -> evaluation
// -> delivery with VISR/SVI/VPPR/VIRR/RVI updated [SDM 29.2.2].
TEST(CpuVirtualInterrupt, TprBlocksDeliveryUntilLowered) {
    Machine m;
    m.program.ops = {{GuestOp::Kind::SelfIpi, 0x45},
                     {GuestOp::Kind::Compute, 1000},
                     {GuestOp::Kind::Tpr, 0x30},
                     {GuestOp::Kind::Compute, 1000},
                     {GuestOp::Kind::Halt}};
    m.program.repeat = false;
    m.program.isr_cost = 300;
    std::vector<Snapshot> s;
    m.lapic.at(500, [&] { s.push_back(snap(m, 0x45)); });   // pending, blocked
    m.lapic.at(1200, [&] { s.push_back(snap(m, 0x45)); });  // in the ISR
    m.lapic.at(2000, [&] { s.push_back(snap(m, 0x45)); });  // after EOI
    m.run_entries(
        [&] {
            m.setup_apicv();
            m.set_proc(vmcs::CPU_HLT_EXITING);
            block_with_vtpr(m, 0x50);
        },
        1);
    ASSERT_EQ(s.size(), 3u);
    EXPECT_EQ(s[0].rvi, 0x45);
    EXPECT_TRUE(s[0].virr);
    EXPECT_FALSE(s[0].visr);
    EXPECT_EQ(s[0].vppr, 0x50u);
    EXPECT_EQ(s[1].rvi, 0);
    EXPECT_EQ(s[1].svi, 0x45);
    EXPECT_EQ(s[1].vppr, 0x40u);
    EXPECT_FALSE(s[1].virr);
    EXPECT_TRUE(s[1].visr);
    EXPECT_EQ(s[2].svi, 0);
    EXPECT_EQ(s[2].vppr, 0x30u);  // PPR virtualization: VTPR (0x30) >= SVI class
    EXPECT_FALSE(s[2].visr);
    EXPECT_EQ(m.vapic(vmcs::VAPIC_VTPR), 0x30u);

    const Log& l = m.log;
    const int deliver = l.find("cpu.virq_deliver");
    ASSERT_GE(deliver, 0);
    EXPECT_EQ(l.entries[deliver].cycle, 1100u);  // at the TPR write
    EXPECT_EQ(l.entries[deliver].event.b, 0x45u);
    EXPECT_EQ(l.entries[deliver].event.c, 0u);     // RVI after
    EXPECT_EQ(l.entries[deliver].event.d, 0x45u);  // SVI after
    EXPECT_EQ(l.entries[l.find("guest.isr_begin")].cycle, 1120u);
    EXPECT_EQ(l.entries[l.find("guest.isr_end")].cycle, 1420u);
    ASSERT_EQ(m.exits.size(), 1u);
    EXPECT_EQ(m.exits[0].reason, vmcs::EXIT_HLT);
    EXPECT_EQ(m.exit_cycles[0], 1430u + 1000u + 200u);
    // The vAPIC state track followed RVI/SVI/VPPR.
    auto st = l.events(EventKind::CpuVapicState);
    ASSERT_GE(st.size(), 3u);
    EXPECT_EQ(st.front().unit, kVcpu);
}

// Equal priority class is not enough: RVI[7:4] must exceed VPPR[7:4].
TEST(CpuVirtualInterrupt, SameClassAsVpprIsNotRecognized) {
    Machine m;
    m.program.ops = {{GuestOp::Kind::SelfIpi, 0x4F}, {GuestOp::Kind::Compute, 500},
                     {GuestOp::Kind::Halt}};
    m.program.repeat = false;
    m.run_entries(
        [&] {
            m.setup_apicv();
            m.set_proc(vmcs::CPU_HLT_EXITING);
            block_with_vtpr(m, 0x40);
        },
        1);
    EXPECT_EQ(m.log.count("cpu.virq_deliver"), 0);
    EXPECT_EQ(m.rvi(), 0x4F);
    EXPECT_TRUE(m.vapic_bit(vmcs::VAPIC_VIRR, 0x4F));
}

// Delivery needs RFLAGS.IF=1: a notification during a CLI window is
// processed at once, the virtual interrupt is delivered when the window ends.
TEST(CpuVirtualInterrupt, DeliveryWaitsForGuestIf) {
    Machine m;
    m.program.ops = {{GuestOp::Kind::CliWindow, 1000}, {GuestOp::Kind::Compute, 1000},
                     {GuestOp::Kind::Halt}};
    m.program.repeat = false;
    m.program.isr_cost = 100;
    m.lapic.at(500, [&] {
        m.post(0x45);
        m.lapic.raise(kNv);
    });
    m.run_entries([&] { m.setup_apicv(); m.set_proc(vmcs::CPU_HLT_EXITING); }, 1);
    const Log& l = m.log;
    EXPECT_EQ(l.entries[l.find("cpu.pi_process")].cycle, 550u);
    // The CLI window (100..1100) was suspended for the 50 cycles of
    // posted-interrupt processing and kept its full 1000 guest cycles.
    EXPECT_EQ(l.entries[l.find("cpu.virq_deliver")].cycle, 1150u);
    ASSERT_EQ(m.exits.size(), 1u);
    EXPECT_EQ(l.entries[l.find("cpu.vm_exit")].cycle, 100u + 1000u + 50u + 20u + 100u + 10u + 1000u);
}

// EOI virtualization without an EOI-exit bit: VISR cleared, SVI = next
// highest VISR (0), PPR virtualization, evaluation delivers the next pending
// vector after IRET.
TEST(CpuEoiVirtualization, ClearsVisrAndDeliversNextPending) {
    Machine m;
    m.program.ops = {{GuestOp::Kind::Compute, 5000}, {GuestOp::Kind::Halt}};
    m.program.repeat = false;
    m.program.isr_cost = 200;
    m.program.isr_cost_by_vector[0x62] = 400;
    m.lapic.at(1000, [&] {
        m.post(0x45);
        m.post(0x62);
        m.lapic.raise(kNv);
    });
    m.run_entries([&] { m.setup_apicv(); m.set_proc(vmcs::CPU_HLT_EXITING); }, 1);
    const Log& l = m.log;
    auto delivered = l.events(EventKind::CpuVirqDeliver);
    ASSERT_EQ(delivered.size(), 2u);
    EXPECT_EQ(delivered[0].b, 0x62u);
    EXPECT_EQ(delivered[0].c, 0x45u);  // RVI = next highest VIRR
    EXPECT_EQ(delivered[0].cycle, 1050u);
    auto veois = l.events(EventKind::CpuVeoi);
    ASSERT_EQ(veois.size(), 2u);
    EXPECT_EQ(veois[0].b, 0x62u);
    EXPECT_EQ(veois[0].c, 0u);  // SVI after
    EXPECT_EQ(veois[0].d, 0u);  // no EOI exit
    EXPECT_EQ(veois[0].cycle, 1070u + 400u);
    EXPECT_EQ(delivered[1].b, 0x45u);
    EXPECT_EQ(delivered[1].cycle, 1070u + 400u + 10u);
    EXPECT_EQ(veois[1].b, 0x45u);
    auto ends = l.events(EventKind::GuestIsrEnd);
    ASSERT_EQ(ends.size(), 2u);
    EXPECT_EQ(ends[0].a, 0x62u);
    EXPECT_EQ(ends[1].a, 0x45u);
    EXPECT_FALSE(m.vapic_bit(vmcs::VAPIC_VISR, 0x45));
    EXPECT_FALSE(m.vapic_bit(vmcs::VAPIC_VISR, 0x62));
    EXPECT_EQ(m.svi(), 0);
    ASSERT_EQ(m.exits.size(), 1u);
    EXPECT_EQ(m.exits[0].reason, vmcs::EXIT_HLT);
}

// With the vector's EOI-exit bitmap bit set: trap-like EOI-induced exit (45)
// with the vector as qualification, after VISR/SVI/VPPR were updated; the
// guest resumes after the ISR on the next entry.
TEST(CpuEoiVirtualization, EoiExitBitmapCausesEoiInducedExit) {
    Machine m;
    m.program.ops = {{GuestOp::Kind::Compute, 5000}, {GuestOp::Kind::Halt}};
    m.program.repeat = false;
    m.program.isr_cost = 200;
    m.lapic.at(1000, [&] {
        m.post(0x45);
        m.lapic.raise(kNv);
    });
    std::uint8_t svi_at_exit = 0xFF;
    bool visr_at_exit = true;
    m.run_entries(
        [&] {
            m.setup_apicv();
            m.set_proc(vmcs::CPU_HLT_EXITING);
            m.cpu->vmwrite(vmcs::EOI_EXIT_BITMAP1, 1ull << (0x45 - 64));
        },
        2, 1000000, [&](int i, const VmExitInfo&) {
            if (i == 0) {
                svi_at_exit = m.svi();
                visr_at_exit = m.vapic_bit(vmcs::VAPIC_VISR, 0x45);
            }
        });
    ASSERT_EQ(m.exits.size(), 2u);
    EXPECT_EQ(m.exits[0].reason, vmcs::EXIT_EOI_INDUCED);
    EXPECT_EQ(m.exits[0].qualification, 0x45u);
    EXPECT_EQ(m.vmcs_region().get(vmcs::EXIT_QUALIFICATION), 0u);  // overwritten by exit 2
    EXPECT_EQ(svi_at_exit, 0);
    EXPECT_FALSE(visr_at_exit);
    const Log& l = m.log;
    auto veois = l.events(EventKind::CpuVeoi);
    ASSERT_EQ(veois.size(), 1u);
    EXPECT_EQ(veois[0].d, 1u);
    EXPECT_EQ(l.events(EventKind::CpuVmExit)[0].cycle, 1070u + 200u + 10u);
    // Second entry: the compute op finishes its remaining cycles, then HLT.
    EXPECT_EQ(m.exits[1].reason, vmcs::EXIT_HLT);
    const std::uint64_t resumed = 1280u + 200u + 100u;
    EXPECT_EQ(l.events(EventKind::CpuVmExit)[1].cycle, resumed + (5000u - 900u));
    EXPECT_EQ(m.cpu->exit_counts().at(vmcs::EXIT_EOI_INDUCED), 1u);
    EXPECT_EQ(m.cpu->exit_counts().at(vmcs::EXIT_HLT), 1u);
}

// A vector's EOI-exit bit lives in bitmap v/64: a bit for another vector does not exit.
TEST(CpuEoiVirtualization, OtherVectorsBitDoesNotExit) {
    Machine m;
    m.program.ops = {{GuestOp::Kind::SelfIpi, 0x45}, {GuestOp::Kind::Compute, 100},
                     {GuestOp::Kind::Halt}};
    m.program.repeat = false;
    m.run_entries(
        [&] {
            m.setup_apicv();
            m.set_proc(vmcs::CPU_HLT_EXITING);
            m.cpu->vmwrite(vmcs::EOI_EXIT_BITMAP0, 1ull << 0x05);  // vector 0x05, not 0x45
        },
        1);
    ASSERT_EQ(m.exits.size(), 1u);
    EXPECT_EQ(m.exits[0].reason, vmcs::EXIT_HLT);
}

// Self-IPI virtualization, xAPIC: the ICR-low write (self shorthand) lands in
// VICR and is virtualized: VIRR, RVI, evaluation, immediate delivery; no exit.
TEST(CpuSelfIpi, XapicIcrSelfShorthandIsVirtualized) {
    Machine m;
    m.program.ops = {{GuestOp::Kind::SelfIpi, 0x55}, {GuestOp::Kind::Compute, 100},
                     {GuestOp::Kind::Halt}};
    m.program.repeat = false;
    m.program.isr_cost = 50;
    m.run_entries([&] { m.setup_apicv(); m.set_proc(vmcs::CPU_HLT_EXITING); }, 1);
    EXPECT_EQ(m.vapic(vmcs::VAPIC_VICR_LO), vmcs::ICR_SHORTHAND_SELF | 0x55u);
    auto d = m.log.events(EventKind::CpuVirqDeliver);
    ASSERT_EQ(d.size(), 1u);
    EXPECT_EQ(d[0].b, 0x55u);
    EXPECT_EQ(d[0].cycle, 100u);
    ASSERT_EQ(m.exits.size(), 1u);
    EXPECT_EQ(m.exits[0].reason, vmcs::EXIT_HLT);
    const int virr = m.log.find("mem.vapic", [](auto& e) {
        return e.a == vmcs::vapic_word(vmcs::VAPIC_VIRR, 0x55) && e.b != 0;
    });
    EXPECT_GE(virr, 0);
    EXPECT_LT(virr, m.log.find("cpu.virq_deliver"));
}

// Self-IPI virtualization, x2APIC: WRMSR to SELF IPI (83FH).
TEST(CpuSelfIpi, X2apicSelfIpiMsrIsVirtualized) {
    Machine m;
    m.program.ops = {{GuestOp::Kind::SelfIpi, 0x55}, {GuestOp::Kind::Halt}};
    m.program.repeat = false;
    m.run_entries([&] { m.setup_apicv_x2apic(); m.set_proc(vmcs::CPU_HLT_EXITING); }, 1);
    EXPECT_EQ(m.vapic(vmcs::VAPIC_VICR_LO), 0u);
    ASSERT_EQ(m.log.events(EventKind::CpuVirqDeliver).size(), 1u);
    ASSERT_EQ(m.exits.size(), 1u);
    EXPECT_EQ(m.exits[0].reason, vmcs::EXIT_HLT);
}

// Without VID (emulated xAPIC, no APIC-register virtualization) the ICR
// write is an APIC-access exit; with APIC-register virtualization an
// APIC-write exit after VICR was written.
TEST(CpuSelfIpi, WithoutVidIcrWriteExits) {
    Machine m;
    m.program.ops = {{GuestOp::Kind::SelfIpi, 0x55}, {GuestOp::Kind::SelfIpi, 0x56}};
    m.program.repeat = false;
    m.run_entries(
        [&] { m.setup_emulated(); },
        2, 1000000, [&](int i, const VmExitInfo&) {
            if (i == 0)
                m.cpu->vmwrite(vmcs::SECONDARY_VM_EXEC_CONTROL,
                               vmcs::SEC_VIRTUALIZE_APIC_ACCESSES | vmcs::SEC_APIC_REGISTER_VIRT);
        });
    ASSERT_EQ(m.exits.size(), 2u);
    EXPECT_EQ(m.exits[0].reason, vmcs::EXIT_APIC_ACCESS);
    EXPECT_EQ(m.exits[0].qualification, 0x300u | vmcs::APIC_ACCESS_LINEAR_WRITE |
                                             (std::uint64_t{vmcs::ICR_SHORTHAND_SELF | 0x55u} << 32));
    EXPECT_EQ(m.exits[1].reason, vmcs::EXIT_APIC_WRITE);
    EXPECT_EQ(m.exits[1].qualification, 0x300u);
    EXPECT_EQ(m.vapic(vmcs::VAPIC_VICR_LO), vmcs::ICR_SHORTHAND_SELF | 0x56u);
    EXPECT_EQ(m.log.count("cpu.virq_deliver"), 0);
}

// TPR virtualization without VID: a VTPR write below the TPR threshold is a
// trap-like TPR-below-threshold exit (43); above it nothing happens.
TEST(CpuTprVirtualization, BelowThresholdExits) {
    Machine m;
    m.program.ops = {{GuestOp::Kind::Tpr, 0x70},
                     {GuestOp::Kind::Compute, 100},
                     {GuestOp::Kind::Tpr, 0x40},
                     {GuestOp::Kind::Compute, 1000}};
    m.run_entries(
        [&] {
            m.setup_emulated();
            m.mem.write32(kVapic + vmcs::VAPIC_VTPR, 0x60);
            m.cpu->vmwrite(vmcs::TPR_THRESHOLD, 5);
        },
        1);
    ASSERT_EQ(m.exits.size(), 1u);
    EXPECT_EQ(m.exits[0].reason, vmcs::EXIT_TPR_BELOW_THRESHOLD);
    EXPECT_EQ(m.log.events(EventKind::CpuVmExit)[0].cycle, 200u);
    EXPECT_EQ(m.vapic(vmcs::VAPIC_VTPR), 0x40u);  // the write completed (trap-like)
    EXPECT_EQ(m.vmcs_region().guest.pc, 3u);
}

// ... and immediately after VM entry when the threshold exceeds VTPR[7:4]
// [SDM 26.7.7], before any guest instruction.
TEST(CpuTprVirtualization, ThresholdAboveVtprExitsRightAfterEntry) {
    Machine m;
    m.program.ops = {{GuestOp::Kind::Compute, 1000}};
    m.run_entries(
        [&] {
            m.setup_emulated();
            m.mem.write32(kVapic + vmcs::VAPIC_VTPR, 0x20);
            m.cpu->vmwrite(vmcs::TPR_THRESHOLD, 5);
        },
        1);
    ASSERT_EQ(m.exits.size(), 1u);
    EXPECT_EQ(m.exits[0].reason, vmcs::EXIT_TPR_BELOW_THRESHOLD);
    EXPECT_EQ(m.log.events(EventKind::CpuVmExit)[0].cycle, 100u);
    EXPECT_EQ(m.log.count("guest.op"), 0);
}

// TPR virtualization with VID, x2APIC (MSR 808H): PPR virtualization and
// evaluation; never an exit 43 even below the threshold.
TEST(CpuTprVirtualization, WithVidUpdatesVpprAndEvaluates) {
    Machine m;
    m.program.ops = {{GuestOp::Kind::Tpr, 0x10}, {GuestOp::Kind::Halt}};
    m.program.repeat = false;
    m.program.isr_cost = 10;
    m.run_entries(
        [&] {
            m.setup_apicv_x2apic();
            m.set_proc(vmcs::CPU_HLT_EXITING);
            block_with_vtpr(m, 0x90);
            m.cpu->vmwrite(vmcs::TPR_THRESHOLD, 0xF);
            m.set_vapic_bit(vmcs::VAPIC_VIRR, 0x81);
            m.cpu->vmwrite(vmcs::GUEST_INTR_STATUS, 0x81);
        },
        1);
    auto d = m.log.events(EventKind::CpuVirqDeliver);
    ASSERT_EQ(d.size(), 1u);
    EXPECT_EQ(d[0].b, 0x81u);
    EXPECT_EQ(d[0].cycle, 100u);
    EXPECT_EQ(m.vapic(vmcs::VAPIC_VTPR), 0x10u);
    EXPECT_EQ(m.vapic(vmcs::VAPIC_VPPR), 0x10u);  // after the EOI
    ASSERT_EQ(m.exits.size(), 1u);
    EXPECT_EQ(m.exits[0].reason, vmcs::EXIT_HLT);
}

// VM entry evaluates pending virtual interrupts: a VIRR/RVI prepared by the
// hypervisor is delivered before the first guest instruction.
TEST(CpuVirtualInterrupt, VmEntryEvaluatesPendingVirtualInterrupts) {
    Machine m;
    m.program.ops = {{GuestOp::Kind::Compute, 100}, {GuestOp::Kind::Halt}};
    m.program.repeat = false;
    m.program.isr_cost = 10;
    m.run_entries(
        [&] {
            m.setup_apicv();
            m.set_proc(vmcs::CPU_HLT_EXITING);
            m.set_vapic_bit(vmcs::VAPIC_VIRR, 0x31);
            m.cpu->vmwrite(vmcs::GUEST_INTR_STATUS, 0x31);
        },
        1);
    auto d = m.log.events(EventKind::CpuVirqDeliver);
    ASSERT_EQ(d.size(), 1u);
    EXPECT_EQ(d[0].cycle, 100u);
    EXPECT_LT(m.log.find("guest.isr_begin"), m.log.find("guest.op"));
}

}  // namespace
}  // namespace pisim::test
