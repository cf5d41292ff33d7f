// VM exits other than external interrupts: interrupt window (7), HLT (12),
// WRMSR (32), APIC access (44), EPT violation (48), APIC write (56); event
// injection; guest time across exits [SDM 25-27, 29.4-29.5].
#include "cpu_harness.h"

namespace pisim::test {
namespace {

// Interrupt-window exiting with guest IF=1: VM exit before the first guest
// instruction [SDM 26.7.5].
TEST(CpuInterruptWindow, ExitsRightAfterEntryWithIfSet) {
    Machine m;
    m.program.ops = {{GuestOp::Kind::Compute, 1000}};
    m.run_entries([&] { m.setup_apicv(); m.set_proc(vmcs::CPU_INTR_WINDOW_EXITING); }, 1);
    ASSERT_EQ(m.exits.size(), 1u);
    EXPECT_EQ(m.exits[0].reason, vmcs::EXIT_INTERRUPT_WINDOW);
    EXPECT_EQ(m.log.events(EventKind::CpuVmExit)[0].cycle, 100u);
    EXPECT_EQ(m.log.count("guest.op"), 0);
    EXPECT_EQ(m.exit_cycles[0], 300u);
}

// With IF=0 (an injected interrupt's ISR), the window opens after the ISR's
// IRET; interrupt-window exiting also keeps virtual interrupts unrecognized.
TEST(CpuInterruptWindow, ExitsWhenIfBecomesOneAfterInjectedIsr) {
    Machine m;
    m.program.ops = {{GuestOp::Kind::Compute, 1000}};
    m.program.isr_cost = 300;
    m.run_entries(
        [&] {
            m.setup_apicv();
            m.set_proc(vmcs::CPU_INTR_WINDOW_EXITING);
            m.cpu->vmwrite(vmcs::VM_ENTRY_INTR_INFO_FIELD, vmcs::INTR_INFO_VALID | 0x50);
            // The hypervisor marks the injected vector in service (SVI/VISR)
            // and another one pending, which must not be delivered.
            m.set_vapic_bit(vmcs::VAPIC_VISR, 0x50);
            m.set_vapic_bit(vmcs::VAPIC_VIRR, 0x60);
            m.cpu->vmwrite(vmcs::GUEST_INTR_STATUS, 0x5060);
        },
        1);
    ASSERT_EQ(m.exits.size(), 1u);
    EXPECT_EQ(m.exits[0].reason, vmcs::EXIT_INTERRUPT_WINDOW);
    EXPECT_EQ(m.log.events(EventKind::CpuVmExit)[0].cycle, 100u + 20u + 300u + 10u);
    EXPECT_EQ(m.log.count("cpu.virq_deliver"), 0);
    EXPECT_EQ(m.rvi(), 0x60);
    EXPECT_EQ(m.log.count("guest.op"), 0);
}

// VMCALL: exit 18 whatever the controls, after the compute before it; the
// guest resumes after the VMCALL on the next entry [SDM 25.1.2].
TEST(CpuVmcall, ExitsUnconditionallyAndResumesAfterIt) {
    Machine m;
    m.program.ops = {{GuestOp::Kind::Compute, 1000}, {GuestOp::Kind::Vmcall},
                     {GuestOp::Kind::Compute, 500}, {GuestOp::Kind::Vmcall}};
    m.program.repeat = false;
    m.run_entries([&] { m.setup_apicv(); }, 2);
    ASSERT_EQ(m.exits.size(), 2u);
    EXPECT_EQ(m.exits[0].reason, vmcs::EXIT_VMCALL);
    EXPECT_EQ(m.exits[1].reason, vmcs::EXIT_VMCALL);
    auto ex = m.log.events(EventKind::CpuVmExit);
    ASSERT_EQ(ex.size(), 2u);
    EXPECT_EQ(ex[0].cycle, 100u + 1000u);                       // entry, compute
    EXPECT_EQ(ex[1].cycle, 1100u + 200u + 100u + 500u);         // exit, entry, compute
    EXPECT_EQ(m.exit_cycles[0], 1100u + 200u);                  // the exit's cost
}

// HLT exiting: exit 12 at the HLT; the guest continues after it on the next
// entry; at the end of a non-repeating program it idles in HLT (exit 12 again).
TEST(CpuHlt, HltExitingExitsAndResumesAfterHlt) {
    Machine m;
    m.program.ops = {{GuestOp::Kind::Compute, 1000}, {GuestOp::Kind::Halt},
                     {GuestOp::Kind::Compute, 500}};
    m.program.repeat = false;
    m.run_entries([&] { m.setup_apicv(); m.set_proc(vmcs::CPU_HLT_EXITING); }, 2);
    ASSERT_EQ(m.exits.size(), 2u);
    EXPECT_EQ(m.exits[0].reason, vmcs::EXIT_HLT);
    EXPECT_EQ(m.exits[1].reason, vmcs::EXIT_HLT);
    auto ex = m.log.events(EventKind::CpuVmExit);
    EXPECT_EQ(ex[0].cycle, 1100u);
    EXPECT_EQ(ex[1].cycle, 1300u + 100u + 500u);
    EXPECT_EQ(m.cpu->exit_counts().at(vmcs::EXIT_HLT), 2u);
    EXPECT_EQ(m.vmcs_region().get(vmcs::GUEST_ACTIVITY_STATE), vmcs::ACTIVITY_ACTIVE);
    EXPECT_EQ(m.log.count("guest.halt"), 0);
}

// A scenario's `block` event (CpuCore::request_guest_halt): the compute in
// progress is cut at the request's cycle by STI;HLT (exit 12 with HLT
// exiting), and the next entry resumes the cycles it had left.
TEST(CpuHlt, HaltRequestCutsComputeAndResumesIt) {
    Machine m;
    m.program.ops = {{GuestOp::Kind::Compute, 10000}};
    m.program.repeat = false;
    m.lapic.at(2000, [&] { m.cpu->request_guest_halt(kVmcsPa); });
    m.run_entries([&] { m.setup_apicv(); m.set_proc(vmcs::CPU_HLT_EXITING); }, 2);
    ASSERT_EQ(m.exits.size(), 2u);
    EXPECT_EQ(m.exits[0].reason, vmcs::EXIT_HLT);
    EXPECT_EQ(m.exits[1].reason, vmcs::EXIT_HLT);
    auto ex = m.log.events(EventKind::CpuVmExit);
    EXPECT_EQ(ex[0].cycle, 2000u);
    // 1,900 of 10,000 cycles done before the cut; 8,100 after the next entry
    EXPECT_EQ(ex[1].cycle, m.exit_cycles[0] + 100u + 8100u);
}

// A request made while the region is not running applies at the first
// instruction boundary of the next entry.
TEST(CpuHlt, HaltRequestBeforeEntryHaltsAtFirstBoundary) {
    Machine m;
    m.program.ops = {{GuestOp::Kind::Compute, 1000}};
    m.run_entries([&] {
        m.setup_apicv();
        m.set_proc(vmcs::CPU_HLT_EXITING);
        m.cpu->request_guest_halt(kVmcsPa);
    }, 1);
    ASSERT_EQ(m.exits.size(), 1u);
    EXPECT_EQ(m.exits[0].reason, vmcs::EXIT_HLT);
    EXPECT_EQ(m.log.events(EventKind::CpuVmExit)[0].cycle, 100u);
}

// Inside an injected interrupt's ISR (IF=0) the request waits for the IRET.
TEST(CpuHlt, HaltRequestWaitsForTheIsr) {
    Machine m;
    m.program.ops = {{GuestOp::Kind::Compute, 5000}};
    m.program.isr_cost = 1000;
    m.lapic.at(400, [&] { m.cpu->request_guest_halt(kVmcsPa); });
    m.run_entries([&] {
        m.setup_apicv();
        m.set_proc(vmcs::CPU_HLT_EXITING);
        m.cpu->vmwrite(vmcs::VM_ENTRY_INTR_INFO_FIELD, vmcs::INTR_INFO_VALID | 0x50);
    }, 1);
    ASSERT_EQ(m.exits.size(), 1u);
    EXPECT_EQ(m.exits[0].reason, vmcs::EXIT_HLT);
    const auto isr_end = m.log.events(EventKind::GuestIsrEnd);
    ASSERT_EQ(isr_end.size(), 1u);
    EXPECT_GE(m.log.events(EventKind::CpuVmExit)[0].cycle, isr_end[0].cycle);
}

// Without HLT exiting: HLT activity state (mode 2), saved in the VMCS on an
// external-interrupt exit and restored by the next entry.
TEST(CpuHlt, ActivityStateSavedOnExternalInterruptExit) {
    Machine m;
    m.program.ops = {{GuestOp::Kind::Halt}, {GuestOp::Kind::Compute, 100}};
    m.program.repeat = false;
    m.lapic.at(1000, [&] { m.lapic.raise(0x30); });
    std::uint64_t activity_at_exit = 99;
    m.run_entries([&] { m.setup_apicv(); }, 1, 10000, [&](int, const VmExitInfo&) {
        activity_at_exit = m.cpu->vmread(vmcs::GUEST_ACTIVITY_STATE);
    });
    EXPECT_EQ(activity_at_exit, vmcs::ACTIVITY_HLT);
    ASSERT_EQ(m.exits.size(), 1u);
    EXPECT_EQ(m.exits[0].reason, vmcs::EXIT_EXTERNAL_INTERRUPT);
    EXPECT_EQ(m.exits[0].intr_info, 0x80000030u);
    EXPECT_EQ(m.log.events(EventKind::CpuVmExit)[0].cycle, 1000u);
    EXPECT_EQ(m.log.count("guest.halt"), 1);
}

TEST(CpuHlt, HaltedGuestReenteredIsWokenByPostedInterrupt) {
    Machine m;
    m.program.ops = {{GuestOp::Kind::Halt}, {GuestOp::Kind::Compute, 100}};
    m.program.repeat = false;
    m.program.isr_cost = 50;
    m.lapic.at(1000, [&] { m.lapic.raise(0x30); });
    m.lapic.at(3000, [&] {
        m.post(0x45);
        m.lapic.raise(kNv);
    });
    m.lapic.at(6000, [&] { m.lapic.raise(0x31); });
    m.run_entries([&] { m.setup_apicv(); }, 2, 10000);
    ASSERT_EQ(m.exits.size(), 2u);
    auto modes = m.log.events(EventKind::CpuMode);
    // root, non-root, HLT(100), root(1200), HLT at re-entry (1300),
    // non-root on wake (3050), HLT after the program (idle), root.
    ASSERT_EQ(modes.size(), 8u);
    EXPECT_EQ(modes[4].a, 2u);
    EXPECT_EQ(modes[4].cycle, 1300u);
    EXPECT_EQ(modes[5].a, 1u);
    EXPECT_EQ(modes[5].cycle, 3050u);
    EXPECT_EQ(m.log.entries[m.log.find("guest.isr_begin")].cycle, 3050u + 30u + 20u);
    EXPECT_EQ(m.exits[1].intr_info, 0x80000031u);
}

// Event injection [SDM 26.6]: the injected vector's ISR runs right after
// entry, the valid bit is cleared, it is not injected again; in emulated mode
// the ISR's EOI is an APIC-access exit (44) with offset 0B0H, linear write.
TEST(CpuEventInjection, InjectedInterruptRunsIsrAndEoiExits44) {
    Machine m;
    m.program.ops = {{GuestOp::Kind::Compute, 1000}};
    m.program.repeat = false;
    m.program.isr_cost = 300;
    std::uint64_t info_after = 1;
    m.lapic.at(3000, [&] { m.lapic.raise(0x30); });
    m.run_entries(
        [&] {
            m.setup_emulated();
            m.cpu->vmwrite(vmcs::VM_ENTRY_INTR_INFO_FIELD, vmcs::INTR_INFO_VALID | 0x50);
        },
        2, 100000, [&](int i, const VmExitInfo&) {
            if (i == 0) info_after = m.cpu->vmread(vmcs::VM_ENTRY_INTR_INFO_FIELD);
        });
    const Log& l = m.log;
    auto inj = l.events(EventKind::CpuVirqInject);
    ASSERT_EQ(inj.size(), 1u);
    EXPECT_EQ(inj[0].b, 0x50u);
    EXPECT_EQ(inj[0].cycle, 100u);
    EXPECT_EQ(l.entries[l.find("guest.isr_begin")].cycle, 120u);
    EXPECT_EQ(l.entries[l.find("guest.isr_end")].cycle, 420u);
    EXPECT_EQ(info_after & vmcs::INTR_INFO_VALID, 0u);
    ASSERT_EQ(m.exits.size(), 2u);
    EXPECT_EQ(m.exits[0].reason, vmcs::EXIT_APIC_ACCESS);
    EXPECT_EQ(m.exits[0].qualification, 0x0B0u | (1u << 12));
    EXPECT_LT(l.find("guest.isr_end"), l.find("cpu.vm_exit"));
    // Second entry: the compute op runs (not the ISR again), then the
    // program ends in HLT until the external interrupt.
    EXPECT_EQ(m.exits[1].reason, vmcs::EXIT_EXTERNAL_INTERRUPT);
    auto modes = l.events(EventKind::CpuMode);
    EXPECT_EQ(modes[modes.size() - 2].a, 2u);
    EXPECT_EQ(modes[modes.size() - 2].cycle, 620u + 100u + 1000u);
    EXPECT_EQ(l.count("guest.isr_begin"), 1);
}

// Injection into a guest in the HLT activity state wakes it [SDM 26.6].
TEST(CpuEventInjection, InjectionLeavesHltActivityState) {
    Machine m;
    m.program.ops = {{GuestOp::Kind::Compute, 100}, {GuestOp::Kind::Halt}};
    m.program.repeat = false;
    m.program.isr_cost = 10;
    m.run_entries(
        [&] {
            m.setup_apicv();
            m.set_proc(vmcs::CPU_HLT_EXITING);
            m.cpu->vmwrite(vmcs::GUEST_ACTIVITY_STATE, vmcs::ACTIVITY_HLT);
            m.cpu->vmwrite(vmcs::VM_ENTRY_INTR_INFO_FIELD, vmcs::INTR_INFO_VALID | 0x50);
        },
        1);
    auto modes = m.log.events(EventKind::CpuMode);
    ASSERT_GE(modes.size(), 3u);
    EXPECT_EQ(modes[1].a, 2u);  // entered in HLT
    EXPECT_EQ(modes[2].a, 1u);  // woken by the injection
    EXPECT_EQ(modes[2].cycle, 100u);
    ASSERT_EQ(m.exits.size(), 1u);
    EXPECT_EQ(m.exits[0].reason, vmcs::EXIT_HLT);
    EXPECT_EQ(m.log.events(EventKind::CpuVmExit)[0].cycle, 100u + 20u + 10u + 10u + 100u);
}

// With APIC-register virtualization but no VID the EOI write is virtualized
// (VEOI written) and completed by an APIC-write exit (56, offset 0B0H).
TEST(CpuApicWrite, EoiWithApicRegisterVirtualizationWithoutVidExits56) {
    Machine m;
    m.program.ops = {{GuestOp::Kind::Compute, 1000}};
    m.program.isr_cost = 40;
    m.run_entries(
        [&] {
            m.setup_emulated();
            m.cpu->vmwrite(vmcs::SECONDARY_VM_EXEC_CONTROL,
                           vmcs::SEC_VIRTUALIZE_APIC_ACCESSES | vmcs::SEC_APIC_REGISTER_VIRT);
            m.cpu->vmwrite(vmcs::VM_ENTRY_INTR_INFO_FIELD, vmcs::INTR_INFO_VALID | 0x50);
        },
        1);
    ASSERT_EQ(m.exits.size(), 1u);
    EXPECT_EQ(m.exits[0].reason, vmcs::EXIT_APIC_WRITE);
    EXPECT_EQ(m.exits[0].qualification, 0x0B0u);
    EXPECT_EQ(m.log.events(EventKind::CpuVmExit)[0].cycle, 100u + 20u + 40u);
    EXPECT_EQ(m.log.count("cpu.veoi"), 0);
}

// x2APIC IPI: the MSR bitmap intercepts WRMSR to ICR (830H): exit 32 with
// qualification 0, ECX = 830H and the 64-bit ICR in EDX:EAX (destination
// 63:32 in EDX, vector 7:0 in EAX) [SDM 25.1.3, 27.2.1].
TEST(CpuWrmsr, X2apicIcrWriteExits32WithIcrValue) {
    Machine m;
    m.program.ops = {{GuestOp::Kind::Compute, 500}, {GuestOp::Kind::Ipi, 0x60, 3},
                     {GuestOp::Kind::Halt}};
    m.program.repeat = false;
    m.run_entries([&] { m.setup_apicv_x2apic(); m.set_proc(vmcs::CPU_HLT_EXITING); }, 2);
    ASSERT_EQ(m.exits.size(), 2u);
    EXPECT_EQ(m.exits[0].reason, vmcs::EXIT_WRMSR);
    EXPECT_EQ(m.exits[0].qualification, 0u);
    EXPECT_EQ(m.exits[0].rcx, vmcs::MSR_X2APIC_ICR);
    EXPECT_EQ(m.exits[0].rdx, 3u);
    EXPECT_EQ(m.exits[0].rax, 0x60u);
    EXPECT_EQ(m.exits[1].rcx, 0u) << "registers only for a WRMSR exit";
    EXPECT_EQ(m.log.events(EventKind::CpuVmExit)[0].cycle, 600u);
    EXPECT_EQ(m.exits[1].reason, vmcs::EXIT_HLT);
    EXPECT_EQ(m.cpu->exit_counts().at(vmcs::EXIT_WRMSR), 1u);
}

// x2APIC guest, virtualize x2APIC mode without VID and no MSR bitmaps:
// every WRMSR exits, the EOI MSR write too (32, ECX 80BH, EDX:EAX 0).
TEST(CpuWrmsr, X2apicEoiWithoutVidExits32) {
    Machine m;
    m.program.ops = {{GuestOp::Kind::Compute, 500}};
    m.program.isr_cost = 40;
    m.run_entries(
        [&] {
            m.setup_emulated();
            m.x2apic_guest();
            m.cpu->vmwrite(vmcs::SECONDARY_VM_EXEC_CONTROL, vmcs::SEC_VIRTUALIZE_X2APIC);
            m.cpu->vmwrite(vmcs::VM_ENTRY_INTR_INFO_FIELD, vmcs::INTR_INFO_VALID | 0x50);
        },
        1);
    ASSERT_EQ(m.exits.size(), 1u);
    EXPECT_EQ(m.exits[0].reason, vmcs::EXIT_WRMSR);
    EXPECT_EQ(m.exits[0].qualification, 0u);
    EXPECT_EQ(m.exits[0].rcx, vmcs::MSR_X2APIC_EOI);
    EXPECT_EQ(m.exits[0].rax, 0u);
    EXPECT_EQ(m.exits[0].rdx, 0u);
    EXPECT_EQ(m.log.events(EventKind::CpuVmExit)[0].cycle, 100u + 20u + 40u);
}

// Virtualize x2APIC mode without VID, the EOI MSR's write bit clear in the
// MSR bitmap: the WRMSR neither exits nor is virtualized (EOI virtualization
// needs VID [SDM 29.5]); it writes the EOI register of the local APIC.
TEST(CpuWrmsr, X2apicEoiPassedWithoutVidReachesTheLocalApic) {
    Machine m;
    m.program.ops = {{GuestOp::Kind::Compute, 500}};
    m.program.isr_cost = 40;
    m.run_entries(
        [&] {
            m.setup_emulated();
            m.x2apic_guest();
            m.cpu->vmwrite(vmcs::SECONDARY_VM_EXEC_CONTROL, vmcs::SEC_VIRTUALIZE_X2APIC);
            m.set_proc(vmcs::CPU_USE_MSR_BITMAPS);
            m.cpu->vmwrite(vmcs::MSR_BITMAP, kMsrBitmap);
            m.intercept_msr_write(vmcs::MSR_X2APIC_ICR, true);
            m.set_vapic_bit(vmcs::VAPIC_VISR, 0x50);
            m.cpu->vmwrite(vmcs::GUEST_INTR_STATUS, 0x5000);  // SVI 0x50 (would be cleared by vEOI)
            m.cpu->vmwrite(vmcs::VM_ENTRY_INTR_INFO_FIELD, vmcs::INTR_INFO_VALID | 0x50);
        },
        1, 2000);
    EXPECT_TRUE(m.exits.empty()) << "no exit: the EOI write passed";
    EXPECT_EQ(m.log.count("lapic.eoi"), 1);
    EXPECT_EQ(m.log.count("cpu.veoi"), 0);
    EXPECT_TRUE(m.vapic_bit(vmcs::VAPIC_VISR, 0x50)) << "VISR untouched";
    EXPECT_EQ(m.svi(), 0x50);
}

// An x2APIC guest in emulated mode (virtualize APIC accesses only, no MSR
// bitmaps): its APIC is reached by WRMSR, never through the APIC-access page,
// so EOI, TPR, SELF IPI and ICR each exit as WRMSR (32), not as APIC access
// (44) [SDM 25.1.3, 29.4].
TEST(CpuWrmsr, X2apicGuestInEmulatedModeExitsWrmsrNotApicAccess) {
    Machine m;
    m.program.ops = {{GuestOp::Kind::Tpr, 0x20},
                     {GuestOp::Kind::SelfIpi, 0x61},
                     {GuestOp::Kind::Ipi, 0x62, 5},
                     {GuestOp::Kind::Compute, 100}};
    m.program.isr_cost = 40;
    m.run_entries(
        [&] {
            m.setup_emulated();
            m.x2apic_guest();
            m.cpu->vmwrite(vmcs::VM_ENTRY_INTR_INFO_FIELD, vmcs::INTR_INFO_VALID | 0x50);
        },
        4);
    ASSERT_EQ(m.exits.size(), 4u);
    const std::uint32_t msrs[4] = {vmcs::MSR_X2APIC_EOI, vmcs::MSR_X2APIC_TPR,
                                   vmcs::MSR_X2APIC_SELF_IPI, vmcs::MSR_X2APIC_ICR};
    const std::uint64_t values[4] = {0, 0x20, 0x61, (5ull << 32) | 0x62};
    for (int i = 0; i < 4; ++i) {
        EXPECT_EQ(m.exits[i].reason, vmcs::EXIT_WRMSR) << i;
        EXPECT_EQ(m.exits[i].qualification, 0u) << i;
        EXPECT_EQ(m.exits[i].rcx, msrs[i]) << i;
        EXPECT_EQ((m.exits[i].rdx << 32) | m.exits[i].rax, values[i]) << i;
    }
    EXPECT_EQ(m.cpu->exit_counts().count(vmcs::EXIT_APIC_ACCESS), 0u);
    EXPECT_EQ(m.vapic(vmcs::VAPIC_VTPR), 0u) << "the TPR write was not virtualized";
}

// An xAPIC guest with the same controls keeps the APIC-access path (44).
TEST(CpuWrmsr, XapicGuestInEmulatedModeExitsApicAccess) {
    Machine m;
    m.program.ops = {{GuestOp::Kind::Compute, 100}};
    m.program.isr_cost = 40;
    m.run_entries(
        [&] {
            m.setup_emulated();
            m.cpu->vmwrite(vmcs::VM_ENTRY_INTR_INFO_FIELD, vmcs::INTR_INFO_VALID | 0x50);
        },
        1);
    ASSERT_EQ(m.exits.size(), 1u);
    EXPECT_EQ(m.exits[0].reason, vmcs::EXIT_APIC_ACCESS);
    EXPECT_EQ(m.exits[0].qualification & 0xFFFu, vmcs::VAPIC_VEOI);
    EXPECT_EQ(m.exits[0].rcx, 0u);
}

// The MSR bitmap decides per MSR [SDM 24.6.9, 25.1.3]: with the ICR's write
// bit clear the WRMSR does not exit; not virtualized [SDM 29.5], it writes
// the local APIC of the processor (a physical IPI). With its bit set: exit.
// (One machine per test process: SystemC elaborates once.)
void icr_write_with_bitmap_bit(bool intercept) {
    {
        Machine m;
        m.program.ops = {{GuestOp::Kind::Ipi, 0x62, 5}, {GuestOp::Kind::Halt}};
        m.program.repeat = false;
        m.run_entries(
            [&] {
                m.setup_apicv_x2apic();
                m.set_proc(vmcs::CPU_HLT_EXITING);
                m.intercept_msr_write(vmcs::MSR_X2APIC_ICR, intercept);
            },
            1);
        ASSERT_EQ(m.exits.size(), 1u);
        EXPECT_EQ(m.exits[0].reason, intercept ? vmcs::EXIT_WRMSR : vmcs::EXIT_HLT);
        const int ipi = m.log.find("lapic.ipi");
        EXPECT_EQ(ipi >= 0, !intercept);
        if (ipi >= 0) {
            EXPECT_EQ(m.log.entries[ipi].a, 0x62u);
            EXPECT_EQ(m.log.entries[ipi].b, 5u);
        }
    }
}
TEST(CpuWrmsr, MsrBitmapBitClearIcrWriteReachesTheLocalApic) { icr_write_with_bitmap_bit(false); }
TEST(CpuWrmsr, MsrBitmapBitSetIcrWriteExits) { icr_write_with_bitmap_bit(true); }

// An intercepted EOI MSR exits even with VID: the MSR bitmap comes first
// [SDM 25.1.3, 29.5].
TEST(CpuWrmsr, InterceptedEoiMsrExitsBeforeVirtualization) {
    Machine m;
    m.program.ops = {{GuestOp::Kind::Compute, 100}};
    m.program.isr_cost = 40;
    m.run_entries(
        [&] {
            m.setup_apicv_x2apic();
            m.intercept_msr_write(vmcs::MSR_X2APIC_EOI, true);
            m.set_vapic_bit(vmcs::VAPIC_VIRR, 0x50);
            m.cpu->vmwrite(vmcs::GUEST_INTR_STATUS, 0x50);
        },
        1);
    ASSERT_EQ(m.exits.size(), 1u);
    EXPECT_EQ(m.exits[0].reason, vmcs::EXIT_WRMSR);
    EXPECT_EQ(m.exits[0].rcx, vmcs::MSR_X2APIC_EOI);
    EXPECT_EQ(m.log.count("cpu.veoi"), 0);
    EXPECT_EQ(m.svi(), 0x50) << "no EOI virtualization";
}

// xAPIC IPI with APIC-register virtualization: ICR high is virtualized with
// no exit (bytes 2:0 cleared); ICR low is written to VICR and, not being a
// self-IPI, causes a trap-like APIC-write exit (56) [SDM 29.4.3.2].
TEST(CpuApicWrite, XapicIpiWritesVicrAndExits56) {
    Machine m;
    m.program.ops = {{GuestOp::Kind::Compute, 100}, {GuestOp::Kind::Ipi, 0x60, 3},
                     {GuestOp::Kind::Halt}};
    m.program.repeat = false;
    std::vector<std::uint32_t> vicr_hi, vicr_lo;
    m.run_entries([&] { m.setup_apicv(); m.set_proc(vmcs::CPU_HLT_EXITING); }, 2, 100000,
                  [&](int, const VmExitInfo&) {
                      vicr_hi.push_back(m.vapic(vmcs::VAPIC_VICR_HI));
                      vicr_lo.push_back(m.vapic(vmcs::VAPIC_VICR_LO));
                  });
    ASSERT_EQ(m.exits.size(), 2u);
    EXPECT_EQ(m.exits[0].reason, vmcs::EXIT_APIC_WRITE);
    EXPECT_EQ(m.exits[0].qualification, 0x300u);
    EXPECT_EQ(m.log.events(EventKind::CpuVmExit)[0].cycle, 200u);
    EXPECT_EQ(vicr_hi[0], 3u << 24);
    EXPECT_EQ(vicr_lo[0], 0x60u);
    EXPECT_EQ(m.exits[1].reason, vmcs::EXIT_HLT);
    EXPECT_EQ(m.cpu->exit_counts().at(vmcs::EXIT_APIC_WRITE), 1u);
}

// A self-IPI with vector bits 7:4 = 0 is not virtualized [SDM 29.4.3.2]:
// VICR_LO keeps the value and an APIC-write exit (56) follows.
TEST(CpuApicWrite, SelfIpiWithVectorBelow16IsNotVirtualized) {
    Machine m;
    m.program.ops = {{GuestOp::Kind::SelfIpi, 0x05}, {GuestOp::Kind::Halt}};
    m.program.repeat = false;
    m.run_entries([&] { m.setup_apicv(); m.set_proc(vmcs::CPU_HLT_EXITING); }, 1);
    ASSERT_EQ(m.exits.size(), 1u);
    EXPECT_EQ(m.exits[0].reason, vmcs::EXIT_APIC_WRITE);
    EXPECT_EQ(m.exits[0].qualification, 0x300u);
    EXPECT_EQ(m.vapic(vmcs::VAPIC_VICR_LO), vmcs::ICR_SHORTHAND_SELF | 0x05u);
    EXPECT_FALSE(m.vapic_bit(vmcs::VAPIC_VIRR, 0x05));
    EXPECT_EQ(m.rvi(), 0);
}

// With VID but no APIC-register virtualization, ICR high is not virtualized
// (APIC-access exit 44); ICR low is, and is not a self-IPI (exit 56).
TEST(CpuApicWrite, XapicIpiWithoutApicRegisterVirtualization) {
    Machine m;
    m.program.ops = {{GuestOp::Kind::Ipi, 0x60, 3}, {GuestOp::Kind::Halt}};
    m.program.repeat = false;
    m.run_entries(
        [&] {
            m.setup_apicv();
            m.set_proc(vmcs::CPU_HLT_EXITING);
            m.cpu->vmwrite(vmcs::SECONDARY_VM_EXEC_CONTROL,
                           vmcs::SEC_VIRTUALIZE_APIC_ACCESSES | vmcs::SEC_VIRTUAL_INTR_DELIVERY);
        },
        2);
    ASSERT_EQ(m.exits.size(), 2u);
    EXPECT_EQ(m.exits[0].reason, vmcs::EXIT_APIC_ACCESS);
    EXPECT_EQ(m.exits[0].qualification, 0x310u | (1u << 12) | ((3ull << 24) << 32));
    EXPECT_EQ(m.vapic(vmcs::VAPIC_VICR_HI), 0u);
    EXPECT_EQ(m.exits[1].reason, vmcs::EXIT_APIC_WRITE);
    EXPECT_EQ(m.exits[1].qualification, 0x300u);
}

// Emulated mode as a software vLAPIC uses it (virtualize APIC accesses only,
// no TPR shadow): every APIC write is a fault-like APIC-access exit carrying
// offset, linear-write type and the data (bits 63:32).
TEST(CpuApicAccess, EmulatedModeApicWritesExitWithData) {
    Machine m;
    m.program.ops = {{GuestOp::Kind::Tpr, 0x20}, {GuestOp::Kind::Ipi, 0x60, 3},
                     {GuestOp::Kind::Halt}};
    m.program.repeat = false;
    m.run_entries(
        [&] {
            m.setup_emulated();
            m.cpu->vmwrite(vmcs::CPU_BASED_VM_EXEC_CONTROL,
                           vmcs::CPU_HLT_EXITING | vmcs::CPU_ACTIVATE_SECONDARY);
        },
        4);
    ASSERT_EQ(m.exits.size(), 4u);
    EXPECT_EQ(m.exits[0].reason, vmcs::EXIT_APIC_ACCESS);
    EXPECT_EQ(m.exits[0].qualification, 0x1080u | (0x20ull << 32));
    EXPECT_EQ(m.exits[1].reason, vmcs::EXIT_APIC_ACCESS);
    EXPECT_EQ(m.exits[1].qualification, 0x1310u | ((3ull << 24) << 32));
    EXPECT_EQ(m.exits[2].reason, vmcs::EXIT_APIC_ACCESS);
    EXPECT_EQ(m.exits[2].qualification, 0x1300u | (0x60ull << 32));
    EXPECT_EQ(m.exits[3].reason, vmcs::EXIT_HLT);
    // No virtual-APIC page: nothing written to machine memory.
    EXPECT_EQ(m.log.count("mem.vapic"), 0);
    EXPECT_EQ(m.cpu->exit_counts().at(vmcs::EXIT_APIC_ACCESS), 3u);
}

// Without any APIC virtualization the guest's APIC page is not mapped: EPT
// violation (48), data write, guest-physical address of the register.
TEST(CpuEptViolation, ApicWriteWithoutApicVirtualization) {
    Machine m;
    m.program.ops = {{GuestOp::Kind::Tpr, 0x20}};
    m.program.repeat = false;
    m.run_entries(
        [&] {
            m.cpu->vmptrld(kVmcsPa);
            m.cpu->vmwrite(vmcs::PIN_BASED_VM_EXEC_CONTROL, vmcs::PIN_EXT_INTR_EXITING);
        },
        1);
    ASSERT_EQ(m.exits.size(), 1u);
    EXPECT_EQ(m.exits[0].reason, vmcs::EXIT_EPT_VIOLATION);
    EXPECT_EQ(m.exits[0].qualification, vmcs::EPT_VIOLATION_WRITE | (0x20ull << 32));
    EXPECT_EQ(m.vmcs_region().get(vmcs::GUEST_PHYSICAL_ADDRESS), 0xFEE00080u);
}

// Guest compute time is neither lost nor repeated across an exit: a 10000
// cycle op interrupted at 2900 cycles runs exactly 7100 more after re-entry.
TEST(CpuGuestTime, ComputePreservedAcrossExternalInterruptExit) {
    Machine m;
    m.program.ops = {{GuestOp::Kind::Compute, 10000}, {GuestOp::Kind::Halt}};
    m.program.repeat = false;
    m.lapic.at(3000, [&] { m.lapic.raise(0x30); });
    std::uint64_t remaining_at_exit = 0;
    m.run_entries([&] { m.setup_apicv(); m.set_proc(vmcs::CPU_HLT_EXITING); }, 2, 100000,
                  [&](int i, const VmExitInfo&) {
                      if (i != 0) return;
                      remaining_at_exit = m.vmcs_region().guest.op_remaining;
                      sc_core::wait(cycles(1000));  // root mode does other work
                  });
    ASSERT_EQ(m.exits.size(), 2u);
    EXPECT_EQ(m.exits[0].reason, vmcs::EXIT_EXTERNAL_INTERRUPT);
    EXPECT_EQ(remaining_at_exit, 7100u);
    EXPECT_EQ(m.exits[1].reason, vmcs::EXIT_HLT);
    EXPECT_EQ(m.log.events(EventKind::CpuVmExit)[1].cycle, 3000u + 200u + 1000u + 100u + 7100u);
    EXPECT_EQ(m.log.count("guest.op"), 2);  // the compute op started once
}

// The VMCS keeps the guest's place across VMCLEAR and VMPTRLD (migration to
// another core loads the same region); VMCLEAR resets the launch state.
TEST(CpuVmcs, VmclearKeepsGuestStateAndResetsLaunch) {
    Machine m;
    m.program.ops = {{GuestOp::Kind::Compute, 1000}, {GuestOp::Kind::Halt},
                     {GuestOp::Kind::Compute, 300}};
    m.program.repeat = false;
    bool launched_after_clear = true;
    m.run_entries([&] { m.setup_apicv(); m.set_proc(vmcs::CPU_HLT_EXITING); }, 2, 100000,
                  [&](int i, const VmExitInfo&) {
                      if (i != 0) return;
                      m.cpu->vmclear(kVmcsPa);
                      launched_after_clear = m.vmcs_region().launched;
                      m.cpu->vmptrld(kVmcsPa);
                  });
    EXPECT_FALSE(launched_after_clear);
    ASSERT_EQ(m.exits.size(), 2u);
    EXPECT_EQ(m.log.events(EventKind::CpuVmExit)[1].cycle, 1300u + 100u + 300u);
    EXPECT_EQ(m.vmcs_region().active_on, 0);
}

}  // namespace
}  // namespace pisim::test
