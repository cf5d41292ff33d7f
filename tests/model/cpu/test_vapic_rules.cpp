// One test per rule of the virtual-APIC pseudocode, each built so that a
// plausible slip in the rule changes what the test sees [SDM vol. 3C 26.3.2.5,
// 26.7.7, 29.1.2-29.1.5, 29.2.1, 29.6; in later editions 27.3.2.5, 27.7.7,
// 30.1.2-30.1.5, 30.2.1, 30.6].
#include "cpu_harness.h"

namespace pisim::test {
namespace {

// --- VM entry: RVI/SVI loaded, then PPR virtualization, then evaluation -----

// VPPR is recomputed at VM entry from VTPR and SVI before pending virtual
// interrupts are evaluated [SDM 26.3.2.5]: a VPPR the hypervisor left stale
// (0x60) does not hold back RVI 0x45 when VTPR and SVI are 0. Evaluating
// against the stale VPPR (no PPR virtualization, or PPR virtualization after
// the evaluation) would leave 0x45 pending until some later evaluation.
TEST(CpuVmEntryVid, PprVirtualizationPrecedesEvaluationStaleVpprLowered) {
    Machine m;
    m.program.ops = {{GuestOp::Kind::Compute, 1000}, {GuestOp::Kind::Halt}};
    m.program.repeat = false;
    m.program.isr_cost = 30;
    m.run_entries(
        [&] {
            m.setup_apicv();
            m.set_proc(vmcs::CPU_HLT_EXITING);
            m.mem.write32(kVapic + vmcs::VAPIC_VPPR, 0x60);  // stale
            m.set_vapic_bit(vmcs::VAPIC_VIRR, 0x45);
            m.cpu->vmwrite(vmcs::GUEST_INTR_STATUS, 0x45);  // RVI 0x45, SVI 0
        },
        1);
    auto d = m.log.events(EventKind::CpuVirqDeliver);
    ASSERT_EQ(d.size(), 1u);
    EXPECT_EQ(d[0].b, 0x45u);
    EXPECT_EQ(d[0].cycle, 100u) << "delivered before the first guest instruction";
    ASSERT_EQ(m.exits.size(), 1u);
    EXPECT_EQ(m.exits[0].reason, vmcs::EXIT_HLT);
}

// The other direction: SVI 0x70 (in service) with a stale VPPR of 0. PPR
// virtualization at entry makes VPPR 0x70, so RVI 0x65 is not recognized.
TEST(CpuVmEntryVid, PprVirtualizationPrecedesEvaluationStaleVpprRaised) {
    Machine m;
    m.program.ops = {{GuestOp::Kind::Compute, 1000}, {GuestOp::Kind::Halt}};
    m.program.repeat = false;
    std::uint32_t vppr_at_500 = 0;
    m.lapic.at(500, [&] { vppr_at_500 = m.vapic(vmcs::VAPIC_VPPR); });
    m.run_entries(
        [&] {
            m.setup_apicv();
            m.set_proc(vmcs::CPU_HLT_EXITING);
            m.mem.write32(kVapic + vmcs::VAPIC_VTPR, 0x20);
            m.mem.write32(kVapic + vmcs::VAPIC_VPPR, 0x00);  // stale
            m.set_vapic_bit(vmcs::VAPIC_VISR, 0x70);
            m.set_vapic_bit(vmcs::VAPIC_VIRR, 0x65);
            m.cpu->vmwrite(vmcs::GUEST_INTR_STATUS, 0x7065);  // SVI 0x70, RVI 0x65
        },
        1);
    EXPECT_EQ(vppr_at_500, 0x70u);
    EXPECT_EQ(m.log.events(EventKind::CpuVirqDeliver).size(), 0u);
    ASSERT_EQ(m.exits.size(), 1u);
    EXPECT_EQ(m.exits[0].reason, vmcs::EXIT_HLT);
}

// --- PPR virtualization [SDM 29.1.3] ------------------------------------------

// VTPR[7:4] equal to SVI[7:4]: VPPR <- VTPR (all 8 bits), not SVI & F0H.
TEST(CpuPprVirtualization, EqualClassesTakeVtpr) {
    Machine m;
    m.program.ops = {{GuestOp::Kind::Compute, 1000}};
    std::uint32_t vppr = 0xFFFF;
    m.lapic.at(500, [&] { vppr = m.vapic(vmcs::VAPIC_VPPR); });
    m.run_entries(
        [&] {
            m.setup_apicv();
            m.mem.write32(kVapic + vmcs::VAPIC_VTPR, 0x57);
            m.set_vapic_bit(vmcs::VAPIC_VISR, 0x50);
            m.cpu->vmwrite(vmcs::GUEST_INTR_STATUS, 0x5000);  // SVI 0x50
        },
        1);
    EXPECT_EQ(vppr, 0x57u);
}

// --- evaluation of pending virtual interrupts from posted interrupts -------

// Posted-interrupt processing step 6 [SDM 29.6]: RVI <- max(RVI, the highest
// vector set in PIR). Two vectors of one 32-bit PIR group (0x41, 0x47) with
// RVI 0 below both: RVI becomes 0x47, and 0x47 is delivered first.
TEST(CpuPostedInterrupt, RviTakesTheHighestVectorOfAGroup) {
    Machine m;
    m.program.ops = {{GuestOp::Kind::Compute, 5000}, {GuestOp::Kind::Halt}};
    m.program.repeat = false;
    m.program.isr_cost = 100;
    m.lapic.at(1000, [&] {
        m.post(0x41);
        m.post(0x47);
        m.lapic.raise(kNv);
    });
    m.run_entries([&] { m.setup_apicv(); m.set_proc(vmcs::CPU_HLT_EXITING); }, 1);
    auto pi = m.log.events(EventKind::CpuPiProcess);
    ASSERT_EQ(pi.size(), 1u);
    EXPECT_EQ(pi[0].b, 0x47u) << "RVI after step 6";
    auto d = m.log.events(EventKind::CpuVirqDeliver);
    ASSERT_EQ(d.size(), 2u);
    EXPECT_EQ(d[0].b, 0x47u);
    EXPECT_EQ(d[0].c, 0x41u) << "RVI after the first delivery: the next VIRR bit";
    EXPECT_EQ(d[1].b, 0x41u);
}

// --- TPR virtualization without VID [SDM 29.1.2] and at VM entry [26.7.7] ---

// A TPR write with VTPR[7:4] equal to the TPR threshold does not exit; only
// below it (the write of 0x20 with threshold 3 exits, trap-like, 43).
TEST(CpuTprVirtualization, WithoutVidExitsOnlyBelowThreshold) {
    Machine m;
    m.program.ops = {{GuestOp::Kind::Tpr, 0x30},
                     {GuestOp::Kind::Compute, 100},
                     {GuestOp::Kind::Tpr, 0x20},
                     {GuestOp::Kind::Compute, 100}};
    m.run_entries(
        [&] {
            m.setup_emulated();
            m.mem.write32(kVapic + vmcs::VAPIC_VTPR, 0x40);
            m.cpu->vmwrite(vmcs::TPR_THRESHOLD, 3);
        },
        1);
    ASSERT_EQ(m.exits.size(), 1u);
    EXPECT_EQ(m.exits[0].reason, vmcs::EXIT_TPR_BELOW_THRESHOLD);
    EXPECT_EQ(m.log.events(EventKind::CpuVmExit)[0].cycle, 100u + 100u) << "at the second write";
    EXPECT_EQ(m.vapic(vmcs::VAPIC_VTPR), 0x20u);
}

// VM entry with VTPR[7:4] equal to the threshold: no TPR-threshold exit
// [SDM 26.7.7]; one class lower: the exit right after entry.
void entry_with_vtpr_and_threshold_3(std::uint32_t vtpr) {
    {
        Machine m;
        m.program.ops = {{GuestOp::Kind::Compute, 100}, {GuestOp::Kind::Halt}};
        m.program.repeat = false;
        m.run_entries(
            [&] {
                m.setup_emulated();
                m.set_proc(vmcs::CPU_HLT_EXITING);
                m.mem.write32(kVapic + vmcs::VAPIC_VTPR, vtpr);
                m.cpu->vmwrite(vmcs::TPR_THRESHOLD, 3);
            },
            1);
        ASSERT_EQ(m.exits.size(), 1u);
        EXPECT_EQ(m.exits[0].reason,
                  vtpr == 0x30u ? vmcs::EXIT_HLT : vmcs::EXIT_TPR_BELOW_THRESHOLD)
            << std::hex << vtpr;
    }
}
TEST(CpuTprVirtualization, EntryWithVtprClassEqualToThresholdDoesNotExit) {
    entry_with_vtpr_and_threshold_3(0x30);
}
TEST(CpuTprVirtualization, EntryWithVtprClassBelowThresholdExits) {
    entry_with_vtpr_and_threshold_3(0x20);
}

// --- self-IPI virtualization [SDM 29.1.5] ------------------------------------

// RVI <- max(RVI, Vector): a self-IPI of 0x45 below a pending, TPR-blocked
// 0x80 leaves RVI at 0x80; once the TPR drops, 0x80 is delivered first.
TEST(CpuSelfIpi, RviKeepsTheHigherPendingVector) {
    Machine m;
    m.program.ops = {{GuestOp::Kind::Compute, 100}, {GuestOp::Kind::SelfIpi, 0x45},
                     {GuestOp::Kind::Compute, 100}, {GuestOp::Kind::Tpr, 0x00},
                     {GuestOp::Kind::Compute, 1000}, {GuestOp::Kind::Halt}};
    m.program.repeat = false;
    m.program.isr_cost = 10;
    std::uint8_t rvi_at_250 = 0;
    m.lapic.at(250, [&] { rvi_at_250 = m.rvi(); });  // after the self-IPI at 200
    m.run_entries(
        [&] {
            m.setup_apicv();
            m.set_proc(vmcs::CPU_HLT_EXITING);
            m.mem.write32(kVapic + vmcs::VAPIC_VTPR, 0x90);
            m.set_vapic_bit(vmcs::VAPIC_VIRR, 0x80);
            m.cpu->vmwrite(vmcs::GUEST_INTR_STATUS, 0x80);
        },
        1);
    EXPECT_EQ(rvi_at_250, 0x80);
    auto d = m.log.events(EventKind::CpuVirqDeliver);
    ASSERT_EQ(d.size(), 2u);
    EXPECT_EQ(d[0].b, 0x80u);
    EXPECT_EQ(d[1].b, 0x45u);
}

// --- EOI virtualization [SDM 29.1.4] -----------------------------------------

// SVI <- the highest VISR bit left after clearing Vector: 0x70 nested in
// 0x50's service; the EOI of 0x70 leaves SVI 0x50 and VPPR 0x50, which keeps
// a pending 0x45 waiting until 0x50's own EOI.
TEST(CpuEoiVirtualization, SviTakesTheNextInServiceVector) {
    Machine m;
    m.program.ops = {{GuestOp::Kind::Compute, 1000}};
    m.program.isr_cost = 10;
    std::uint32_t vppr_at_500 = 0;
    std::uint8_t svi_at_500 = 0;
    m.lapic.at(500, [&] {
        vppr_at_500 = m.vapic(vmcs::VAPIC_VPPR);
        svi_at_500 = m.svi();
    });
    m.run_entries(
        [&] {
            m.setup_apicv();
            m.set_vapic_bit(vmcs::VAPIC_VISR, 0x50);
            m.set_vapic_bit(vmcs::VAPIC_VIRR, 0x70);
            m.set_vapic_bit(vmcs::VAPIC_VIRR, 0x45);
            m.cpu->vmwrite(vmcs::GUEST_INTR_STATUS, 0x5070);  // SVI 0x50, RVI 0x70
        },
        1);
    auto veoi = m.log.events(EventKind::CpuVeoi);
    ASSERT_GE(veoi.size(), 1u);
    EXPECT_EQ(veoi[0].b, 0x70u);
    EXPECT_EQ(veoi[0].c, 0x50u) << "SVI after the EOI";
    EXPECT_EQ(svi_at_500, 0x50);
    EXPECT_EQ(vppr_at_500, 0x50u);
    auto d = m.log.events(EventKind::CpuVirqDeliver);
    ASSERT_EQ(d.size(), 1u) << "0x45 stays below VPPR 0x50";
    EXPECT_EQ(d[0].b, 0x70u);
}

}  // namespace
}  // namespace pisim::test
