// The pCPU loop pieces: VMCS setup per mode [Linux arch/x86/include/asm/vmx.h], the VM-entry path,
// exit dispatch, idle halting, the control handler, hyp_init validation, and
// the one-pCPU/one-vCPU end-to-end path where the NIC's posted interrupt
// reaches the guest with no VM exit.
#include "hyp_fixture.h"

using mock::m;

namespace {

class Entry : public HypTest {};

TEST_F(Entry, InitRejectsBadConfigs)
{
    hyp_config c = config(1, HYP_IRQ_VTD_PI);
    EXPECT_EQ(hyp_init(nullptr), HYP_EINVAL);
    c.nr_pcpus = 0;
    EXPECT_EQ(hyp_init(&c), HYP_EINVAL);
    c = config(1, HYP_IRQ_VTD_PI);
    c.wakeup_vector = c.notification_vector;
    EXPECT_EQ(hyp_init(&c), HYP_EINVAL);
    c = config(1, HYP_IRQ_VTD_PI);
    c.timer_vector = 0x10;
    EXPECT_EQ(hyp_init(&c), HYP_EINVAL);
    c = config(1, HYP_IRQ_VTD_PI);
    c.irt_entries = 100;
    EXPECT_EQ(hyp_init(&c), HYP_EINVAL);
    c = config(1, HYP_IRQ_VTD_PI);
    EXPECT_EQ(hyp_init(&c), 0);
}

TEST_F(Entry, DomainAndVcpuCreationErrors)
{
    init(1);
    EXPECT_EQ(hyp_domain_create(1), HYP_EEXIST);
    EXPECT_EQ(hyp_domain_create(HYP_MAX_DOMAINS), HYP_EINVAL);
    hyp_vcpu_storage st{vmcs_pa(0), vapic_pa(0), pid_pa(0) + 8};
    EXPECT_EQ(hyp_vcpu_create(1, 0, &st), HYP_EINVAL) << "PID not 64-byte aligned";
    st.pid_pa = pid_pa(0);
    EXPECT_EQ(hyp_vcpu_create(3, 0, &st), HYP_EINVAL) << "no such domain";
    EXPECT_EQ(hyp_vcpu_create(1, 5, &st), HYP_EINVAL) << "no such pCPU";
    EXPECT_EQ(hyp_vcpu_create(1, 0, &st), 0);
    EXPECT_EQ(hyp_core.vcpu[0].vidx, 0u);
}

TEST_F(Entry, VtdPiVmcsControls)
{
    init(1);
    std::uint32_t v = add_vcpu(0);
    ASSERT_EQ(unpause(v), 0);
    do_softirq();
    EXPECT_EQ(field(v, VMCS_PIN_BASED_VM_EXEC_CONTROL), 0x81u);
    EXPECT_EQ(field(v, VMCS_CPU_BASED_VM_EXEC_CONTROL), 0x80200080u);
    EXPECT_EQ(field(v, VMCS_SECONDARY_VM_EXEC_CONTROL), 0x301u) << "xAPIC: APIC accesses";
    EXPECT_EQ(field(v, VMCS_VM_EXIT_CONTROLS), 0x8000u);
    EXPECT_EQ(field(v, VMCS_POSTED_INTR_NV), kNV);
    EXPECT_EQ(field(v, VMCS_POSTED_INTR_DESC_ADDR), pid_pa(v));
    EXPECT_EQ(field(v, VMCS_VIRTUAL_APIC_PAGE_ADDR), vapic_pa(v));
    // set up once, right after the first VMPTRLD
    long ld = m->find("vmptrld", vmcs_pa(v));
    long w = m->find("vmwrite", VMCS_PIN_BASED_VM_EXEC_CONTROL);
    EXPECT_LT(ld, w);
}

TEST_F(Entry, X2apicApicvVmcsControlsWithoutPosting)
{
    init(1, HYP_IRQ_APICV, /*x2apic=*/true);
    std::uint32_t v = add_vcpu(0);
    ASSERT_EQ(unpause(v), 0);
    do_softirq();
    EXPECT_EQ(field(v, VMCS_PIN_BASED_VM_EXEC_CONTROL), 0x01u);
    EXPECT_EQ(field(v, VMCS_SECONDARY_VM_EXEC_CONTROL), 0x310u);
    EXPECT_EQ(m->find("vmwrite", VMCS_POSTED_INTR_DESC_ADDR), -1);
    // use MSR bitmaps, with the bitmap that lets TPR, EOI and SELF IPI pass
    EXPECT_EQ(field(v, VMCS_CPU_BASED_VM_EXEC_CONTROL), 0x90200080u);
    EXPECT_EQ(field(v, VMCS_MSR_BITMAP), kMsrBitmap);
    auto write_intercepted = [](std::uint32_t msr) {
        return (m->rd32(kMsrBitmap + MSR_BITMAP_WRITE_LOW + msr / 32 * 4) >> (msr % 32)) & 1;
    };
    EXPECT_EQ(write_intercepted(MSR_X2APIC_ICR), 1u);
    EXPECT_EQ(write_intercepted(0x800u), 1u);
    EXPECT_EQ(write_intercepted(0x8FFu), 1u);
    EXPECT_EQ(write_intercepted(MSR_X2APIC_TPR), 0u);
    EXPECT_EQ(write_intercepted(MSR_X2APIC_EOI), 0u);
    EXPECT_EQ(write_intercepted(MSR_X2APIC_SELF_IPI), 0u);
    EXPECT_EQ(write_intercepted(0x7FFu), 0u) << "only the x2APIC range is written";
}

TEST_F(Entry, X2apicApicvNeedsAnMsrBitmap)
{
    hyp_config c = config(1, HYP_IRQ_APICV, /*x2apic=*/true);
    c.msr_bitmap_pa = 0;
    EXPECT_EQ(hyp_init(&c), HYP_EINVAL);
    c.msr_bitmap_pa = kMsrBitmap + 8;
    EXPECT_EQ(hyp_init(&c), HYP_EINVAL) << "4 KiB aligned";
    c = config(1, HYP_IRQ_EMULATED, /*x2apic=*/true);
    c.msr_bitmap_pa = 0;
    EXPECT_EQ(hyp_init(&c), 0) << "emulated mode uses none";
}

TEST_F(Entry, EmulatedVmcsControls)
{
    init(1, HYP_IRQ_EMULATED);
    std::uint32_t v = add_vcpu(0);
    ASSERT_EQ(unpause(v), 0);
    do_softirq();
    EXPECT_EQ(field(v, VMCS_PIN_BASED_VM_EXEC_CONTROL), 0x01u);
    EXPECT_EQ(field(v, VMCS_CPU_BASED_VM_EXEC_CONTROL), 0x80000080u);
    EXPECT_EQ(field(v, VMCS_SECONDARY_VM_EXEC_CONTROL), 0x001u);
    EXPECT_EQ(field(v, VMCS_VM_EXIT_CONTROLS), 0x8000u);
}

// An x2APIC guest without APIC virtualization: no APIC-access page and no
// MSR bitmap, so every WRMSR (its APIC writes) exits [SDM 25.1.3].
TEST_F(Entry, EmulatedX2apicVmcsControls)
{
    init(1, HYP_IRQ_EMULATED, /*x2apic=*/true);
    std::uint32_t v = add_vcpu(0);
    ASSERT_EQ(unpause(v), 0);
    do_softirq();
    EXPECT_EQ(field(v, VMCS_CPU_BASED_VM_EXEC_CONTROL), 0x80000080u) << "no MSR bitmaps";
    EXPECT_EQ(field(v, VMCS_SECONDARY_VM_EXEC_CONTROL), 0u);
    EXPECT_EQ(m->find("vmwrite", VMCS_APIC_ACCESS_ADDR), -1);
    EXPECT_EQ(m->find("vmwrite", VMCS_MSR_BITMAP), -1);
}

TEST_F(Entry, IdleHaltsWithInterruptsDisabledForTheCheck)
{
    init(1);
    m->log.clear();
    loop(0);
    long dis = m->find("irq_disable");
    long halt = m->find("halt");
    ASSERT_GE(dis, 0);
    ASSERT_GT(halt, dis);
    EXPECT_EQ(m->log[halt].a, 0u) << "STI;HLT entered with IF=0";
}

TEST_F(Entry, IdleDoesNotHaltWithSoftirqPending)
{
    init(1);
    m->after_call = [&](const mock::Call& c) {
        if (c.name == "irq_disable")
            hyp_core.pcpu[0].softirq_pending |= 1u << SOFTIRQ_VCPU_KICK;
    };
    loop(0);
    m->after_call = nullptr;
    EXPECT_EQ(m->count("halt"), 0);
    EXPECT_TRUE(m->irq_enabled[0]);
}

TEST_F(Entry, EntryPathBacksOffWhenSoftirqRaisedBeforeIrqDisable)
{
    init(1);
    std::uint32_t v = add_vcpu(0);
    ASSERT_EQ(assign(), 0);
    ASSERT_EQ(unpause(v), 0);
    do_softirq();
    // a notification arrives in root mode just before IF := 0 (the window of
    // Xen commit b151125b4d, "x86/apicv: fix wrong IPI suppression during
    // posted interrupt delivery")
    m->after_call = [&](const mock::Call& c) {
        if (c.name == "set_timer") {
            m->irq_enabled[0] = false;
            hyp_do_irq(kNV);
            m->irq_enabled[0] = true;
        }
    };
    m->log.clear();
    vm_entry(&hyp_core.vcpu[v]);
    m->after_call = nullptr;
    EXPECT_EQ(m->count("vm_enter"), 0) << "softirq first, then entry again";
    EXPECT_TRUE(m->irq_enabled[0]);
}

TEST_F(Entry, ExternalInterruptExitDispatchesAckedVector)
{
    init(1);
    std::uint32_t v = add_vcpu(0);
    ASSERT_EQ(unpause(v), 0);
    do_softirq();
    m->on_vm_enter = [](arch_vm_exit* e) {
        e->reason = EXIT_REASON_EXTERNAL_INTERRUPT;
        e->intr_info = INTR_INFO_VALID | kNV;
        return true;
    };
    m->log.clear();
    vm_entry(&hyp_core.vcpu[v]);
    long ent = m->find("vm_enter");
    long eoi = m->find("eoi");
    ASSERT_GE(ent, 0);
    ASSERT_GT(eoi, ent);
    EXPECT_EQ(m->log[ent].b, 0u) << "VM entry with IF=0";
    EXPECT_TRUE(hyp_core.pcpu[0].softirq_pending & (1u << SOFTIRQ_VCPU_KICK));
    EXPECT_TRUE(m->irq_enabled[0]);
    EXPECT_EQ(hyp_core.pcpu[0].in_irq, 0u);
}

TEST_F(Entry, FailedEntryIsAnInvariantViolation)
{
    init(1);
    std::uint32_t v = add_vcpu(0);
    ASSERT_EQ(unpause(v), 0);
    do_softirq();
    m->on_vm_enter = [](arch_vm_exit* e) {
        e->entry_error = 7;
        return false;
    };
    EXPECT_THROW(vm_entry(&hyp_core.vcpu[v]), mock::AssertFailure);
}

TEST_F(Entry, ControlHandlerRunsEveryQueuedRequest)
{
    init(1);
    std::uint32_t v = add_vcpu(0);
    hyp_ctl a = req(HYP_CTL_VCPU_UNPAUSE);
    a.vcpu = v;
    hyp_ctl b = a;
    hyp_ctl bad = req(static_cast<hyp_ctl_op>(99));
    m->log.clear();
    auto r = ctl({a, b, bad});
    ASSERT_EQ(r.size(), 3u);
    EXPECT_EQ(r[0], 0);
    EXPECT_EQ(r[1], HYP_EBUSY) << "already unpaused";
    EXPECT_EQ(r[2], HYP_EINVAL);
    EXPECT_EQ(m->find("eoi"), m->find("tr_handler_enter") + 1);
    EXPECT_EQ(m->count("ctl_fetch"), 4);
    EXPECT_EQ(m->count("tr_ctl"), 3);
}

TEST_F(Entry, UnpauseOfUnknownVcpuFails)
{
    init(1);
    EXPECT_EQ(unpause(5), HYP_EINVAL);
}

TEST_F(Entry, PcpuMainStartsLoopWithTprZeroAndInterruptsOn)
{
    init(1);
    m->irq_enabled[0] = false;
    m->on_halt = [] { throw mock::StopLoop{}; };
    EXPECT_THROW(hyp_pcpu_main(0), mock::StopLoop);
    EXPECT_GE(m->find("set_tpr", 0), 0);
    EXPECT_LT(m->find("set_tpr"), m->find("irq_enable"));
}

TEST_F(Entry, PcpuMainChecksApicIds)
{
    init(1);
    m->apic_id[0] = 77;
    EXPECT_THROW(hyp_pcpu_main(0), mock::AssertFailure);
}

// P1 end to end: one pCPU, one vCPU, the NIC's posted interrupts reach the
// guest without a VM exit (running) and through the wakeup vector (blocked).
TEST_F(Entry, NicPostedInterruptReachesGuestWithoutExit)
{
    init(1);
    std::uint32_t v = add_vcpu(0);
    ASSERT_EQ(assign(), 0);
    ASSERT_EQ(bind(v, 0x61), 0);
    ASSERT_EQ(unpause(v), 0);
    int entries = 0;
    std::vector<std::uint32_t> exits;
    m->on_vm_enter = [&](arch_vm_exit* e) {
        entries++;
        EXPECT_EQ(nv(v), kNV);
        EXPECT_FALSE(sn(v));
        EXPECT_EQ(ndst(v), xapic_ndst(0));
        EXPECT_EQ(hyp_core.vcpu[v].pi_block_cpu, HYP_INVALID);
        if (entries == 1) {
            // in non-root mode: VT-d posts and notifies NV at NDST; the CPU
            // recognizes the notification vector and processes the PID
            std::uint64_t irte_lo = m->rd64(kIrt);
            std::uint64_t pid = (irte_lo >> 38) << 6 | (m->rd64(kIrt + 8) >> 32) << 32;
            EXPECT_EQ(pid, pid_pa(v));
            EXPECT_TRUE(mock::vtd_post(pid, (irte_lo >> 16) & 0xFF));
            EXPECT_EQ(mock::cpu_process_posted(pid, vapic_pa(v)), 0x61);
            EXPECT_TRUE(virr(v, 0x61));
        } else {
            EXPECT_TRUE(virr(v, 0x62)) << "synced before entry";
            EXPECT_EQ(field(v, VMCS_GUEST_INTR_STATUS) & 0xFF, 0x62u);
        }
        e->reason = EXIT_REASON_HLT;
        exits.push_back(e->reason);
        return true;
    };
    m->on_halt = [&] {
        // blocked: the next post goes to the wakeup vector at NDST
        EXPECT_EQ(nv(v), kWV);
        EXPECT_EQ(hyp_core.vcpu[v].pi_block_cpu, 0u);
        EXPECT_TRUE(mock::vtd_post(pid_pa(v), 0x62));
        EXPECT_EQ(ndst(v), xapic_ndst(0));
        m->irq_enabled[0] = false;
        hyp_do_irq(nv(v));
        m->irq_enabled[0] = true;
    };
    loop(0);  // schedule + entry 1 + HLT exit (block)
    EXPECT_EQ(state(v), HYP_VCPU_BLOCKED);
    loop(0);  // switch to idle, halt, wakeup
    EXPECT_EQ(state(v), HYP_VCPU_RUNNABLE);
    EXPECT_EQ(m->count("halt"), 1);
    loop(0);  // schedule v again, entry 2
    EXPECT_EQ(entries, 2);
    EXPECT_EQ(exits, (std::vector<std::uint32_t>{12, 12})) << "no exit for the posts";
}

}  // namespace
