// Checks on VM-execution control fields at VM entry [SDM 26.2.1.1]:
// every failure is VMfailValid with VM-instruction error 7, a CpuVmEntryFail
// event, and no guest time.
#include "cpu_harness.h"

namespace pisim::test {
namespace {

struct EntryResult {
    bool ok = true;
    VmExitInfo out;
    std::uint64_t end_cycle = 0;
};

EntryResult try_entry(Machine& m, const std::function<void(Machine&)>& setup) {
    EntryResult r;
    m.program.ops = {{GuestOp::Kind::Compute, 1000}, {GuestOp::Kind::Halt}};
    m.program.repeat = false;
    m.cpu->root_software = [&] {
        setup(m);
        m.set_proc(vmcs::CPU_HLT_EXITING);
        r.ok = m.cpu->vm_enter(r.out);
        r.end_cycle = now_cycles();
    };
    sc_core::sc_start(cycles(100000));
    return r;
}

void expect_invalid_control(const std::function<void(Machine&)>& setup) {
    Machine m;
    const EntryResult r = try_entry(m, setup);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.out.entry_error, vmcs::VMERR_ENTRY_INVALID_CONTROL);
    EXPECT_EQ(m.vmcs_region().get(vmcs::VM_INSTRUCTION_ERROR), vmcs::VMERR_ENTRY_INVALID_CONTROL);
    EXPECT_FALSE(m.vmcs_region().launched);
    auto fails = m.log.events(EventKind::CpuVmEntryFail);
    ASSERT_EQ(fails.size(), 1u);
    EXPECT_EQ(fails[0].a, kVcpu);
    EXPECT_EQ(fails[0].b, vmcs::VMERR_ENTRY_INVALID_CONTROL);
    // No guest time: no entry, no guest op, never left root mode.
    EXPECT_EQ(m.log.count("cpu.vm_entry"), 0);
    EXPECT_EQ(m.log.count("guest.op"), 0);
    auto modes = m.log.events(EventKind::CpuMode);
    ASSERT_EQ(modes.size(), 1u);
    EXPECT_EQ(modes[0].a, 0u);
    EXPECT_EQ(r.end_cycle, m.timing.vm_entry);
    EXPECT_TRUE(m.cpu->exit_counts().empty());
}

TEST(CpuVmEntryChecks, ValidApicvConfigurationEnters) {
    Machine m;
    const EntryResult r = try_entry(m, [](Machine& m) { m.setup_apicv(); });
    EXPECT_TRUE(r.ok);
    EXPECT_EQ(r.out.entry_error, 0u);
    EXPECT_EQ(r.out.reason, vmcs::EXIT_HLT);
    EXPECT_TRUE(m.vmcs_region().launched);
    EXPECT_EQ(m.log.count("cpu.vm_entry_fail"), 0);
}

TEST(CpuVmEntryChecks, VirtualInterruptDeliveryRequiresExternalInterruptExiting) {
    expect_invalid_control([](Machine& m) {
        m.setup_apicv();
        m.cpu->vmwrite(vmcs::PIN_BASED_VM_EXEC_CONTROL, 0);
    });
}

TEST(CpuVmEntryChecks, PostedInterruptsRequireVirtualInterruptDelivery) {
    expect_invalid_control([](Machine& m) {
        m.setup_apicv();
        m.cpu->vmwrite(vmcs::SECONDARY_VM_EXEC_CONTROL,
                       vmcs::SEC_VIRTUALIZE_APIC_ACCESSES | vmcs::SEC_APIC_REGISTER_VIRT);
    });
}

TEST(CpuVmEntryChecks, PostedInterruptsRequireAcknowledgeInterruptOnExit) {
    expect_invalid_control([](Machine& m) {
        m.setup_apicv();
        m.cpu->vmwrite(vmcs::VM_EXIT_CONTROLS, 0);
    });
}

TEST(CpuVmEntryChecks, NotificationVectorBits15To8MustBeZero) {
    expect_invalid_control([](Machine& m) {
        m.setup_apicv();
        m.cpu->vmwrite(vmcs::POSTED_INTR_NV, 0x100 | kNv);
    });
}

TEST(CpuVmEntryChecks, PostedInterruptDescriptorMustBe64ByteAligned) {
    expect_invalid_control([](Machine& m) {
        m.setup_apicv();
        m.cpu->vmwrite(vmcs::POSTED_INTR_DESC_ADDR, kPid + 0x20);
    });
}

TEST(CpuVmEntryChecks, PostedInterruptDescriptorMustBeInRam) {
    expect_invalid_control([](Machine& m) {
        m.setup_apicv();
        m.cpu->vmwrite(vmcs::POSTED_INTR_DESC_ADDR, 0x40000000);
    });
}

TEST(CpuVmEntryChecks, VirtualInterruptDeliveryRequiresTprShadow) {
    expect_invalid_control([](Machine& m) {
        m.setup_apicv();
        m.cpu->vmwrite(vmcs::CPU_BASED_VM_EXEC_CONTROL, vmcs::CPU_ACTIVATE_SECONDARY);
    });
}

TEST(CpuVmEntryChecks, VirtualizeX2apicModeRequiresTprShadow) {
    expect_invalid_control([](Machine& m) {
        m.setup_emulated();
        m.cpu->vmwrite(vmcs::CPU_BASED_VM_EXEC_CONTROL, vmcs::CPU_ACTIVATE_SECONDARY);
        m.cpu->vmwrite(vmcs::SECONDARY_VM_EXEC_CONTROL, vmcs::SEC_VIRTUALIZE_X2APIC);
    });
}

TEST(CpuVmEntryChecks, ApicRegisterVirtualizationRequiresTprShadow) {
    expect_invalid_control([](Machine& m) {
        m.setup_emulated();
        m.cpu->vmwrite(vmcs::CPU_BASED_VM_EXEC_CONTROL, vmcs::CPU_ACTIVATE_SECONDARY);
        m.cpu->vmwrite(vmcs::SECONDARY_VM_EXEC_CONTROL,
                       vmcs::SEC_VIRTUALIZE_APIC_ACCESSES | vmcs::SEC_APIC_REGISTER_VIRT);
    });
}

TEST(CpuVmEntryChecks, VirtualizeX2apicModeAndApicAccessesAreExclusive) {
    expect_invalid_control([](Machine& m) {
        m.setup_apicv();
        m.cpu->vmwrite(vmcs::SECONDARY_VM_EXEC_CONTROL,
                       vmcs::SEC_VIRTUALIZE_APIC_ACCESSES | vmcs::SEC_VIRTUALIZE_X2APIC |
                           vmcs::SEC_APIC_REGISTER_VIRT | vmcs::SEC_VIRTUAL_INTR_DELIVERY);
    });
}

// Without "activate secondary controls" the secondary controls are treated
// as 0 [SDM 24.6.2]: posted interrupts then lack virtual-interrupt delivery.
TEST(CpuVmEntryChecks, PostedInterruptsFailWhenSecondaryControlsNotActivated) {
    expect_invalid_control([](Machine& m) {
        m.setup_apicv();
        m.cpu->vmwrite(vmcs::CPU_BASED_VM_EXEC_CONTROL, vmcs::CPU_TPR_SHADOW);
    });
}

// ... and conflicting secondary controls do not matter while not activated.
TEST(CpuVmEntryChecks, InactiveSecondaryControlsAreIgnored) {
    Machine m;
    const EntryResult r = try_entry(m, [](Machine& m) {
        m.setup_emulated();
        m.cpu->vmwrite(vmcs::CPU_BASED_VM_EXEC_CONTROL, vmcs::CPU_TPR_SHADOW);
        m.cpu->vmwrite(vmcs::SECONDARY_VM_EXEC_CONTROL,
                       vmcs::SEC_VIRTUALIZE_APIC_ACCESSES | vmcs::SEC_VIRTUALIZE_X2APIC);
    });
    EXPECT_TRUE(r.ok);
    EXPECT_EQ(r.out.reason, vmcs::EXIT_HLT);
}

TEST(CpuVmEntryChecks, VirtualApicPageMustBe4KAligned) {
    expect_invalid_control([](Machine& m) {
        m.setup_apicv();
        m.cpu->vmwrite(vmcs::VIRTUAL_APIC_PAGE_ADDR, kVapic + 0x40);
    });
}

TEST(CpuVmEntryChecks, ApicAccessAddressMustBe4KAligned) {
    expect_invalid_control([](Machine& m) {
        m.setup_apicv();
        m.cpu->vmwrite(vmcs::APIC_ACCESS_ADDR, kApicAccess + 0x80);
    });
}

TEST(CpuVmEntryChecks, TprThresholdBits31To4MustBeZeroWithoutVid) {
    expect_invalid_control([](Machine& m) {
        m.setup_emulated();
        m.cpu->vmwrite(vmcs::TPR_THRESHOLD, 0x12);
    });
}

TEST(CpuVmEntryChecks, TprThresholdMustNotExceedVtprWithoutApicAccesses) {
    expect_invalid_control([](Machine& m) {
        m.setup_emulated();
        m.cpu->vmwrite(vmcs::SECONDARY_VM_EXEC_CONTROL, 0);
        m.mem.write32(kVapic + vmcs::VAPIC_VTPR, 0x40);
        m.cpu->vmwrite(vmcs::TPR_THRESHOLD, 5);
    });
}

// No current VMCS (never loaded, or VMCLEARed): VMREAD/VMWRITE fail
// (VMfailInvalid: read 0, no write) and VM entry fails with no time.
TEST(CpuVmEntryChecks, NoCurrentVmcsIsVmfailInvalid) {
    Machine m;
    m.program.ops = {{GuestOp::Kind::Compute, 1000}};
    VmExitInfo out;
    bool ok = true;
    std::uint64_t read_back = 1, end = 1;
    m.cpu->root_software = [&] {
        m.setup_apicv();
        m.cpu->vmclear(kVmcsPa);
        m.cpu->vmwrite(vmcs::TPR_THRESHOLD, 3);
        read_back = m.cpu->vmread(vmcs::PIN_BASED_VM_EXEC_CONTROL);
        ok = m.cpu->vm_enter(out);
        end = now_cycles();
    };
    sc_core::sc_start(cycles(100000));
    EXPECT_FALSE(ok);
    EXPECT_EQ(out.entry_error, vmcs::VMFAIL_INVALID);
    EXPECT_EQ(read_back, 0u);
    EXPECT_EQ(m.vmcs_region().get(vmcs::TPR_THRESHOLD), 0u);
    EXPECT_EQ(end, 0u);
    EXPECT_EQ(m.log.count("cpu.vm_entry_fail"), 1);
    EXPECT_EQ(m.log.count("guest.op"), 0);
}

// Checks on the guest state [SDM 26.3.1.4]: injecting an external interrupt
// into a guest with RFLAGS.IF = 0 is a VM-entry failure (reason 33 | bit 31).
TEST(CpuVmEntryChecks, InjectionIntoGuestWithIfClearFailsGuestStateCheck) {
    Machine m;
    m.program.ops = {{GuestOp::Kind::CliWindow, 5000}};
    m.lapic.at(1000, [&] { m.lapic.raise(0x30); });
    VmExitInfo second;
    bool second_ok = true;
    m.run_entries([&] { m.setup_apicv(); }, 1, 100000, [&](int, const VmExitInfo&) {
        m.cpu->vmwrite(vmcs::VM_ENTRY_INTR_INFO_FIELD, vmcs::INTR_INFO_VALID | 0x30);
        second_ok = m.cpu->vm_enter(second);
    });
    ASSERT_EQ(m.exits.size(), 1u);
    EXPECT_FALSE(second_ok);
    EXPECT_EQ(second.entry_error, 0x80000021u);
    EXPECT_EQ(second.reason, 0x80000021u);
    EXPECT_EQ(m.vmcs_region().get(vmcs::VM_EXIT_REASON), 0x80000021u);
    auto fails = m.log.events(EventKind::CpuVmEntryFail);
    ASSERT_EQ(fails.size(), 1u);
    EXPECT_EQ(fails[0].b, 0x80000021u);
    EXPECT_EQ(m.log.count("cpu.virq_inject"), 0);
    EXPECT_EQ(m.vmcs_region().guest.op_remaining, 4100u);
    EXPECT_EQ(m.log.count("cpu.vm_entry"), 1);
}

}  // namespace
}  // namespace pisim::test
