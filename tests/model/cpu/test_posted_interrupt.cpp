// Posted-interrupt processing [SDM 29.6] and external interrupts in
// VMX non-root operation [SDM 25.2, 27.2.2].
#include "cpu_harness.h"

namespace pisim::test {
namespace {

bool agent_cpu(const LogEntry& e) { return e.c == static_cast<std::uint64_t>(PhysMem::Agent::Cpu); }

// The NIC -> posted interrupt -> guest ISR path: notification vector in
// non-root mode, no VM exit, steps 1-7 in order, virtual delivery, ISR, EOI
// virtualization, then the guest's compute resumes with its remaining cycles
// and HLT exits.
TEST(CpuPostedInterrupt, NotificationIsProcessedWithoutExitInSpecOrder) {
    Machine m;
    m.program.ops = {{GuestOp::Kind::Compute, 10000}, {GuestOp::Kind::Halt}};
    m.program.repeat = false;
    m.program.isr_cost = 500;
    m.lapic.at(1000, [&] {
        m.post(0x45);
        m.lapic.raise(kNv);
    });
    m.run_entries([&] { m.setup_apicv(); m.set_proc(vmcs::CPU_HLT_EXITING); }, 1);

    ASSERT_EQ(m.exits.size(), 1u);
    EXPECT_EQ(m.exits[0].reason, vmcs::EXIT_HLT);
    EXPECT_EQ(m.log.count("cpu.vm_exit"), 1);

    const Log& l = m.log;
    const int ack = l.find("lapic.ack", [](auto& e) { return e.a == kNv; });
    const int on_clear = l.find("mem.pid", [](auto& e) {
        return e.a == 32 && (e.b & 1) == 0 && agent_cpu(e);
    });
    const int eoi = l.find("lapic.eoi");
    const int pir_clear = l.find("mem.pid", [](auto& e) { return e.a == 8 && e.b == 0 && agent_cpu(e); });
    const int virr_set = l.find("mem.vapic", [](auto& e) {
        return e.a == vmcs::vapic_word(vmcs::VAPIC_VIRR, 0x45) && agent_cpu(e);
    });
    const int pi = l.find("cpu.pi_process");
    const int deliver = l.find("cpu.virq_deliver");
    const int isr_begin = l.find("guest.isr_begin");
    const int isr_end = l.find("guest.isr_end");
    const int veoi = l.find("cpu.veoi");
    const int exit = l.find("cpu.vm_exit");
    ASSERT_GE(ack, 0);
    EXPECT_LT(ack, on_clear);
    EXPECT_LT(on_clear, eoi);
    EXPECT_LT(eoi, pir_clear);
    EXPECT_LT(pir_clear, virr_set);
    EXPECT_LT(virr_set, pi);
    EXPECT_LT(pi, deliver);
    EXPECT_LT(deliver, isr_begin);
    EXPECT_LT(isr_begin, isr_end);
    EXPECT_LT(isr_end, veoi);
    EXPECT_LT(veoi, exit);

    // Cycles: entry 0..100; notification at 1000; pi_processing 50;
    // delivery 20; ISR 500; EOI virtualization 10; the compute op had done
    // 900 of 10000 cycles, so it ends at 1580 + 9100.
    EXPECT_EQ(l.entries[ack].cycle, 1000u);
    EXPECT_EQ(l.entries[on_clear].cycle, 1000u);
    EXPECT_EQ(l.entries[pir_clear].cycle, 1000u);
    EXPECT_EQ(l.entries[pi].cycle, 1050u);  // processing ends after its cost
    EXPECT_EQ(l.entries[deliver].cycle, 1050u);
    EXPECT_EQ(l.entries[isr_begin].cycle, 1070u);
    EXPECT_EQ(l.entries[isr_end].cycle, 1570u);
    EXPECT_EQ(l.entries[exit].cycle, 1580u + 9100u);
    EXPECT_EQ(m.exit_cycles[0], 1580u + 9100u + 200u);

    const Event& pe = l.entries[pi].event;
    EXPECT_EQ(pe.a, kVcpu);
    EXPECT_EQ(pe.b, 0x45u);  // RVI after step 6
    EXPECT_EQ(pe.c, 0u);
    EXPECT_EQ(pe.d, 1ull << (0x45 - 64));
    EXPECT_EQ(l.entries[deliver].event.b, 0x45u);
    EXPECT_EQ(l.entries[isr_begin].event.unit, kVcpu);
    EXPECT_EQ(l.entries[veoi].event.b, 0x45u);
    EXPECT_EQ(l.entries[veoi].event.d, 0u);  // no EOI exit

    // Afterwards: PID empty, ON clear; virtual APIC idle; LAPIC ISR empty.
    for (unsigned w = 0; w < 5; ++w) EXPECT_EQ(m.pid_word(w), 0u) << w;
    EXPECT_FALSE(m.vapic_bit(vmcs::VAPIC_VIRR, 0x45));
    EXPECT_FALSE(m.vapic_bit(vmcs::VAPIC_VISR, 0x45));
    EXPECT_EQ(m.rvi(), 0);
    EXPECT_EQ(m.svi(), 0);
    EXPECT_EQ(m.vapic(vmcs::VAPIC_VPPR), 0u);
    EXPECT_TRUE(m.lapic.isr().empty());
    EXPECT_EQ(m.cpu->exit_counts().at(vmcs::EXIT_HLT), 1u);
    EXPECT_EQ(m.cpu->exit_counts().count(vmcs::EXIT_EXTERNAL_INTERRUPT), 0u);
}

// Step 6: RVI = max(RVI, highest PIR vector); VPPR blocks delivery here so
// the values stay observable.
TEST(CpuPostedInterrupt, RviBecomesMaxOfRviAndHighestPirVector) {
    Machine m;
    m.program.ops = {{GuestOp::Kind::Compute, 5000}, {GuestOp::Kind::Halt}};
    m.program.repeat = false;
    std::vector<std::uint8_t> rvi_after;
    m.lapic.at(1000, [&] {
        m.post(0x45);
        m.post(0x50);
        m.lapic.raise(kNv);
    });
    m.lapic.at(1100, [&] { rvi_after.push_back(m.rvi()); });
    m.lapic.at(2000, [&] {
        m.post(0x90);
        m.lapic.raise(kNv);
    });
    m.lapic.at(2100, [&] { rvi_after.push_back(m.rvi()); });
    m.run_entries(
        [&] {
            m.setup_apicv();
            m.set_proc(vmcs::CPU_HLT_EXITING);
            m.cpu->vmwrite(vmcs::GUEST_INTR_STATUS, 0x80);  // RVI 0x80
            m.set_vapic_bit(vmcs::VAPIC_VIRR, 0x80);
            m.mem.write32(kVapic + vmcs::VAPIC_VTPR, 0xF0);
            m.mem.write32(kVapic + vmcs::VAPIC_VPPR, 0xF0);
        },
        1);
    ASSERT_EQ(rvi_after.size(), 2u);
    EXPECT_EQ(rvi_after[0], 0x80);  // 0x50 < 0x80: unchanged
    EXPECT_EQ(rvi_after[1], 0x90);
    EXPECT_TRUE(m.vapic_bit(vmcs::VAPIC_VIRR, 0x45));
    EXPECT_TRUE(m.vapic_bit(vmcs::VAPIC_VIRR, 0x50));
    EXPECT_TRUE(m.vapic_bit(vmcs::VAPIC_VIRR, 0x80));
    EXPECT_TRUE(m.vapic_bit(vmcs::VAPIC_VIRR, 0x90));
    EXPECT_EQ(m.log.count("cpu.virq_deliver"), 0);  // VPPR 0xF0 blocks
    auto pis = m.log.events(EventKind::CpuPiProcess);
    ASSERT_EQ(pis.size(), 2u);
    EXPECT_EQ(pis[0].b, 0x80u);
    EXPECT_EQ(pis[0].d, (1ull << (0x45 - 64)) | (1ull << (0x50 - 64)));
    EXPECT_EQ(pis[1].b, 0x90u);
    EXPECT_EQ(pis[1].e, 1ull << (0x90 - 128));
    ASSERT_EQ(m.exits.size(), 1u);
    EXPECT_EQ(m.exits[0].reason, vmcs::EXIT_HLT);
}

// A notification with an empty PIR (e.g. a spurious one): ON cleared, EOI
// written, RVI unchanged, no delivery.
TEST(CpuPostedInterrupt, EmptyPirLeavesRviUnchanged) {
    Machine m;
    m.program.ops = {{GuestOp::Kind::Compute, 3000}, {GuestOp::Kind::Halt}};
    m.program.repeat = false;
    m.lapic.at(1000, [&] {
        m.mem.set_agent(PhysMem::Agent::Vtd);
        m.mem.write64(kPid + 32, 1);  // ON only
        m.lapic.raise(kNv);
    });
    m.run_entries(
        [&] {
            m.setup_apicv();
            m.set_proc(vmcs::CPU_HLT_EXITING);
            m.cpu->vmwrite(vmcs::GUEST_INTR_STATUS, 0x33);
            m.set_vapic_bit(vmcs::VAPIC_VIRR, 0x33);
            m.mem.write32(kVapic + vmcs::VAPIC_VTPR, 0xF0);
            m.mem.write32(kVapic + vmcs::VAPIC_VPPR, 0xF0);
        },
        1);
    EXPECT_EQ(m.rvi(), 0x33);
    EXPECT_EQ(m.pid_word(4), 0u);
    EXPECT_GE(m.log.find("lapic.eoi"), 0);
    auto pis = m.log.events(EventKind::CpuPiProcess);
    ASSERT_EQ(pis.size(), 1u);
    EXPECT_EQ(pis[0].b, 0x33u);
    EXPECT_EQ(pis[0].c | pis[0].d | pis[0].e | pis[0].f, 0u);
    EXPECT_EQ(m.log.count("cpu.virq_deliver"), 0);
    // The CPU wrote no PIR word (nothing to clear).
    EXPECT_EQ(m.log.find("mem.pid", [](auto& e) { return e.a < 32 && agent_cpu(e); }), -1);
    ASSERT_EQ(m.exits.size(), 1u);
    EXPECT_EQ(m.exits[0].reason, vmcs::EXIT_HLT);
}

// Step 2: a vector other than the notification vector is an ordinary
// external-interrupt exit with acknowledge-on-exit; the PID is untouched.
TEST(CpuPostedInterrupt, OtherVectorExitsWithAcknowledgedVector) {
    Machine m;
    m.program.ops = {{GuestOp::Kind::Compute, 5000}};
    m.lapic.at(1000, [&] {
        m.post(0x45);
        m.lapic.raise(0x30);
    });
    m.run_entries([&] { m.setup_apicv(); }, 1);
    ASSERT_EQ(m.exits.size(), 1u);
    EXPECT_EQ(m.exits[0].reason, vmcs::EXIT_EXTERNAL_INTERRUPT);
    EXPECT_EQ(m.exits[0].intr_info, 0x80000030u);
    EXPECT_EQ(m.exits[0].qualification, 0u);
    EXPECT_EQ(m.vmcs_region().get(vmcs::VM_EXIT_INTR_INFO), 0x80000030u);
    EXPECT_EQ(m.vmcs_region().get(vmcs::VM_EXIT_REASON), vmcs::EXIT_EXTERNAL_INTERRUPT);
    const int ack = m.log.find("lapic.ack", [](auto& e) { return e.a == 0x30; });
    const int exit = m.log.find("cpu.vm_exit");
    ASSERT_GE(ack, 0);
    EXPECT_LT(ack, exit);
    EXPECT_EQ(m.log.entries[exit].cycle, 1000u);
    EXPECT_EQ(m.exit_cycles[0], 1200u);
    EXPECT_EQ(m.log.find("lapic.eoi"), -1);  // EOI is the hypervisor's job
    EXPECT_EQ(m.pid_word(4), 1u);            // ON still set
    EXPECT_EQ(m.pid_word(1), 1ull << (0x45 - 64));
    EXPECT_EQ(m.log.count("cpu.pi_process"), 0);
    EXPECT_EQ(m.cpu->exit_counts().at(vmcs::EXIT_EXTERNAL_INTERRUPT), 1u);
    const Event ev = m.log.events(EventKind::CpuVmExit)[0];
    EXPECT_EQ(ev.a, kVcpu);
    EXPECT_EQ(ev.b, vmcs::EXIT_EXTERNAL_INTERRUPT);
    EXPECT_EQ(ev.d, 0x80000030u);
    // Mode: root (0) at start, non-root (1) after entry, root after the exit.
    auto modes = m.log.events(EventKind::CpuMode);
    ASSERT_EQ(modes.size(), 3u);
    EXPECT_EQ(modes[0].a, 0u);
    EXPECT_EQ(modes[1].a, 1u);
    EXPECT_EQ(modes[1].cycle, 100u);
    EXPECT_EQ(modes[2].a, 0u);
    EXPECT_EQ(modes[2].cycle, 1200u);
}

// Without acknowledge-interrupt-on-exit the interrupt stays pending in the
// local APIC and the interruption information is not valid.
TEST(CpuExternalInterrupt, WithoutAckOnExitStaysPendingInLapic) {
    Machine m;
    m.program.ops = {{GuestOp::Kind::Compute, 5000}};
    m.lapic.at(1000, [&] { m.lapic.raise(0x30); });
    m.run_entries(
        [&] {
            m.setup_emulated();
            m.cpu->vmwrite(vmcs::VM_EXIT_CONTROLS, 0);
        },
        1);
    ASSERT_EQ(m.exits.size(), 1u);
    EXPECT_EQ(m.exits[0].reason, vmcs::EXIT_EXTERNAL_INTERRUPT);
    EXPECT_EQ(m.exits[0].intr_info, 0u);
    EXPECT_EQ(m.log.find("lapic.ack"), -1);
    EXPECT_EQ(m.lapic.irr().count(0x30), 1u);
}

// External-interrupt exits happen regardless of the guest's RFLAGS.IF.
TEST(CpuExternalInterrupt, ExitsDuringCliWindow) {
    Machine m;
    m.program.ops = {{GuestOp::Kind::CliWindow, 5000}};
    m.lapic.at(1000, [&] { m.lapic.raise(0x30); });
    m.run_entries([&] { m.setup_apicv(); }, 1);
    ASSERT_EQ(m.exits.size(), 1u);
    EXPECT_EQ(m.exits[0].reason, vmcs::EXIT_EXTERNAL_INTERRUPT);
    EXPECT_EQ(m.log.entries[m.log.find("cpu.vm_exit")].cycle, 1000u);
    EXPECT_EQ(m.vmcs_region().get(vmcs::GUEST_RFLAGS) & vmcs::RFLAGS_IF, 0u);
    EXPECT_EQ(m.vmcs_region().guest.op_remaining, 4100u);
}

// A notification while the guest is in the HLT activity state (no HLT
// exiting): posted-interrupt processing, delivery wakes the guest.
TEST(CpuPostedInterrupt, NotificationWakesHltActivityState) {
    Machine m;
    m.program.ops = {{GuestOp::Kind::Halt}, {GuestOp::Kind::Compute, 1000}};
    m.program.repeat = false;
    m.program.isr_cost = 500;
    m.lapic.at(2000, [&] {
        m.post(0x45);
        m.lapic.raise(kNv);
    });
    m.lapic.at(5000, [&] { m.lapic.raise(0x30); });
    m.run_entries([&] { m.setup_apicv(); }, 1);

    const Log& l = m.log;
    auto modes = l.events(EventKind::CpuMode);
    // root, non-root, HLT, non-root (wake), HLT (idle at program end), root.
    ASSERT_EQ(modes.size(), 6u);
    EXPECT_EQ(modes[2].a, 2u);
    EXPECT_EQ(modes[2].cycle, 100u);
    EXPECT_EQ(modes[3].a, 1u);
    EXPECT_EQ(modes[3].cycle, 2050u);
    EXPECT_EQ(modes[4].a, 2u);
    EXPECT_EQ(modes[4].cycle, 2100u + 500u + 10u + 1000u);
    EXPECT_EQ(l.entries[l.find("guest.isr_begin")].cycle, 2050u + 30u + 20u);
    ASSERT_EQ(m.exits.size(), 1u);
    EXPECT_EQ(m.exits[0].reason, vmcs::EXIT_EXTERNAL_INTERRUPT);
    EXPECT_EQ(m.vmcs_region().get(vmcs::GUEST_ACTIVITY_STATE), vmcs::ACTIVITY_HLT);
    EXPECT_EQ(l.count("guest.halt"), 2);
}

// A notification that reached the LAPIC while the core was in root mode
// (IF=0, e.g. during VM entry) is processed right after entry: posted-
// interrupt processing happens in non-root operation, with no exit.
TEST(CpuPostedInterrupt, NotificationPendingAtEntryIsProcessedAfterEntry) {
    Machine m;
    m.program.ops = {{GuestOp::Kind::Compute, 1000}, {GuestOp::Kind::Halt}};
    m.program.repeat = false;
    m.program.isr_cost = 100;
    m.lapic.at(50, [&] {
        m.post(0x45);
        m.lapic.raise(kNv);
    });
    m.run_entries([&] { m.setup_apicv(); m.set_proc(vmcs::CPU_HLT_EXITING); }, 1);
    const Log& l = m.log;
    EXPECT_EQ(l.entries[l.find("lapic.ack")].cycle, 100u);
    EXPECT_EQ(l.entries[l.find("cpu.pi_process")].cycle, 150u);
    EXPECT_EQ(l.entries[l.find("cpu.virq_deliver")].cycle, 150u);
    EXPECT_LT(l.find("cpu.vm_entry"), l.find("lapic.ack"));
    ASSERT_EQ(m.exits.size(), 1u);
    EXPECT_EQ(m.exits[0].reason, vmcs::EXIT_HLT);
    EXPECT_EQ(l.events(EventKind::CpuVmExit)[0].cycle, 150u + 20u + 100u + 10u + 1000u);
}

// Virtual-interrupt delivery takes priority over an external interrupt at
// the same instruction boundary [SDM 29.2.2]; the external-interrupt exit
// follows at the next boundary (inside the ISR, IF=0 does not block it).
TEST(CpuExternalInterrupt, VirtualDeliveryHasPriorityOverExternalInterrupt) {
    Machine m;
    m.program.ops = {{GuestOp::Kind::Compute, 1000}};
    m.program.isr_cost = 300;
    m.lapic.at(50, [&] { m.lapic.raise(0x30); });
    m.run_entries(
        [&] {
            m.setup_apicv();
            m.set_vapic_bit(vmcs::VAPIC_VIRR, 0x45);
            m.cpu->vmwrite(vmcs::GUEST_INTR_STATUS, 0x45);
        },
        1);
    const Log& l = m.log;
    const int deliver = l.find("cpu.virq_deliver");
    const int ack = l.find("lapic.ack");
    ASSERT_GE(deliver, 0);
    EXPECT_LT(deliver, ack);
    EXPECT_EQ(l.entries[deliver].cycle, 100u);
    ASSERT_EQ(m.exits.size(), 1u);
    EXPECT_EQ(m.exits[0].reason, vmcs::EXIT_EXTERNAL_INTERRUPT);
    EXPECT_EQ(m.exits[0].intr_info, 0x80000030u);
    EXPECT_EQ(l.events(EventKind::CpuVmExit)[0].cycle, 120u);
    EXPECT_TRUE(m.vmcs_region().guest.in_isr);
    EXPECT_EQ(m.vmcs_region().guest.isr_remaining, 300u);
    EXPECT_EQ(m.vmcs_region().get(vmcs::GUEST_RFLAGS) & vmcs::RFLAGS_IF, 0u);
}

}  // namespace
}  // namespace pisim::test
