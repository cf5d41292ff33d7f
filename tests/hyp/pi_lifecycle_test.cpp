// Unit tests of the posted-interrupt lifecycle functions [Xen
// docs/misc/vtd-pi.txt; Feng Wu, "vmx: VT-d posted-interrupt core logic
// handling", xen-devel, Feb 2016; Xen commit b151125b4d, "x86/apicv: fix
// wrong IPI suppression during posted interrupt delivery"]: each function's
// effect on the PID and its step order, observed in the mock port's call log.
#include "hyp_fixture.h"

using mock::m;

namespace {

class PiLifecycle : public HypTest {
protected:
    /// A vCPU running (current, context loaded) on `cpu`, device assigned.
    std::uint32_t running_vcpu(std::uint32_t cpu = 0, bool with_device = true)
    {
        std::uint32_t v = add_vcpu(cpu);
        if (with_device && hyp_core.dom[1].nr_devices == 0) {
            EXPECT_EQ(assign(), 0);
        }
        EXPECT_EQ(unpause(v, cpu), 0);
        m->cpu = cpu;
        do_softirq();
        EXPECT_EQ(hyp_core.pcpu[cpu].curr, v);
        EXPECT_EQ(state(v), HYP_VCPU_RUNNING);
        return v;
    }
    long ctl_cmpxchg_with_nv(std::uint32_t v, std::uint8_t vec, std::size_t from = 0)
    {
        for (std::size_t i = from; i < m->log.size(); i++) {
            const auto& c = m->log[i];
            if (c.name == "cmpxchg64" && c.a == pid_pa(v) + 32 && c.c == 1 &&
                ((c.b >> 16) & 0xFF) == vec)
                return static_cast<long>(i);
        }
        return -1;
    }
};

TEST_F(PiLifecycle, CreateInitialisesPidSuppressedWithNotificationVector)
{
    init(2);
    std::uint32_t v = add_vcpu(1);
    EXPECT_FALSE(on(v));
    EXPECT_TRUE(sn(v));
    EXPECT_EQ(nv(v), kNV);
    EXPECT_EQ(ndst(v), xapic_ndst(1));
    for (int i = 0; i < 4; i++)
        EXPECT_EQ(m->rd64(pid_pa(v) + 8 * i), 0u);
}

TEST_F(PiLifecycle, SwitchToWritesNdstAndClearsSnInOneCmpxchgKeepingOn)
{
    init(2);
    std::uint32_t v = add_vcpu(1);
    ASSERT_EQ(assign(), 0);
    // an urgent post while SN=1 set ON: it must survive the switch-in
    ASSERT_TRUE(mock::vtd_post(pid_pa(v), 0x55, /*urgent=*/true));
    ASSERT_EQ(unpause(v, 0), 0);
    // unpause from pCPU 0 asks pCPU 1 to schedule: the scheduler IPI
    EXPECT_GE(m->find("ipi", m->apic_id[1]), 0);
    m->log.clear();
    m->cpu = 1;
    do_softirq();
    EXPECT_EQ(hyp_core.pcpu[1].curr, v);
    EXPECT_FALSE(sn(v));
    EXPECT_TRUE(on(v));
    EXPECT_EQ(ndst(v), xapic_ndst(1));
    long n = 0;
    for (const auto& c : m->log)
        n += c.name == "cmpxchg64" && c.a == pid_pa(v) + 32 && c.c == 1;
    EXPECT_EQ(n, 1) << "NDST and SN change in one compare-exchange";
}

TEST_F(PiLifecycle, SwitchToNdstIsFullApicIdInX2apicMode)
{
    init(2, HYP_IRQ_VTD_PI, /*x2apic=*/true);
    m->apic_id[1] = 0x12345;
    hyp_core.apic_id[1] = 0x12345;
    std::uint32_t v = running_vcpu(1);
    EXPECT_EQ(ndst(v), 0x12345u);
}

TEST_F(PiLifecycle, SwitchFromSetsSnOnPreemptionBeforeNextSwitchTo)
{
    init(1);
    std::uint32_t a = running_vcpu(0);
    std::uint32_t b = add_vcpu(0);
    ASSERT_EQ(unpause(b), 0);
    m->log.clear();
    hyp_ctl p = req(HYP_CTL_PREEMPT);
    p.pcpu = 0;
    ASSERT_EQ(ctl({p}).at(0), 0);
    do_softirq();
    EXPECT_EQ(hyp_core.pcpu[0].curr, b);
    EXPECT_TRUE(sn(a));
    EXPECT_FALSE(sn(b));
    long sn_a = m->find("fetch_or64", pid_pa(a) + 32);
    ASSERT_GE(sn_a, 0);
    EXPECT_EQ(m->log[sn_a].b, 2u);  // SN bit
    long to_b = m->find("cmpxchg64", pid_pa(b) + 32);
    ASSERT_GE(to_b, 0);
    EXPECT_LT(sn_a, to_b);
    EXPECT_EQ(state(a), HYP_VCPU_RUNNABLE);
}

TEST_F(PiLifecycle, SwitchFromLeavesBlockedVcpuAlone)
{
    init(1);
    std::uint32_t a = running_vcpu(0);
    std::uint32_t b = add_vcpu(0);
    ASSERT_EQ(unpause(b), 0);
    m->irq_enabled[0] = false;
    vcpu_block(&hyp_core.vcpu[a]);
    m->irq_enabled[0] = true;
    do_softirq();
    EXPECT_EQ(hyp_core.pcpu[0].curr, b);
    EXPECT_FALSE(sn(a)) << "a blocked vCPU keeps SN=0 so the wakeup notification arrives";
    EXPECT_EQ(nv(a), kWV);
}

TEST_F(PiLifecycle, WithoutDeviceSwitchKeepsPidCurrentButBlockUsesNoList)
{
    init(1);
    std::uint32_t v = running_vcpu(0, /*with_device=*/false);
    EXPECT_FALSE(sn(v)) << "running state of Xen vtd-pi.txt in vtd-pi mode even without a device";
    EXPECT_EQ(ndst(v), xapic_ndst(0));
    m->irq_enabled[0] = false;
    vcpu_block(&hyp_core.vcpu[v]);
    EXPECT_EQ(state(v), HYP_VCPU_BLOCKED);
    EXPECT_EQ(nv(v), kNV) << "blocking hooks come with a device";
    EXPECT_EQ(hyp_core.vcpu[v].pi_block_cpu, HYP_INVALID);
}

TEST_F(PiLifecycle, BlockMarksBlockedOnlyAfterListAdd)
{
    init(1);
    std::uint32_t v = running_vcpu(0);
    m->log.clear();
    m->irq_enabled[0] = false;
    vcpu_block(&hyp_core.vcpu[v]);
    long add = m->find("tr_blocklist_add", v);
    long st = -1;
    for (std::size_t i = 0; i < m->log.size(); i++)
        if (m->log[i].name == "tr_vcpu_state" && m->log[i].c == HYP_VCPU_BLOCKED)
            st = static_cast<long>(i);
    ASSERT_GE(add, 0);
    ASSERT_GE(st, 0);
    EXPECT_LT(add, st) << "a blocked vCPU is always reachable by the wakeup vector";
}

TEST_F(PiLifecycle, BlockRunsHookWhenHooksInstalledWhileBlocking)
{
    init(1);
    std::uint32_t v = running_vcpu(0, /*with_device=*/false);
    m->after_call = [&](const mock::Call& c) {
        if (c.name == "tr_vcpu_state" && c.c == HYP_VCPU_BLOCKED)
            hyp_core.dom[1].pi_hooks = 1;  // assignment on another pCPU
    };
    m->irq_enabled[0] = false;
    vcpu_block(&hyp_core.vcpu[v]);
    m->after_call = nullptr;
    EXPECT_EQ(hyp_core.vcpu[v].pi_block_cpu, 0u);
    EXPECT_EQ(nv(v), kWV);
    EXPECT_EQ(state(v), HYP_VCPU_BLOCKED);
}

TEST_F(PiLifecycle, BlockRewritesNvThenAddsToListThenChecksEvents)
{
    init(1);
    std::uint32_t v = running_vcpu(0);
    m->log.clear();
    m->irq_enabled[0] = false;
    vcpu_block(&hyp_core.vcpu[v]);
    long nv_write = ctl_cmpxchg_with_nv(v, kWV);
    long add = m->find("tr_blocklist_add", v);
    ASSERT_GE(nv_write, 0);
    ASSERT_GE(add, 0);
    EXPECT_LT(nv_write, add) << "NV := wakeup vector before the list add";
    EXPECT_EQ(m->log[add].b, 0u) << "list of the pCPU named by NDST";
    long check = m->find("read64", pid_pa(v) + 32, add + 1);
    EXPECT_GT(check, add) << "events are checked after the list add";
    EXPECT_EQ(state(v), HYP_VCPU_BLOCKED);
    EXPECT_EQ(hyp_core.vcpu[v].pi_block_cpu, 0u);
    EXPECT_TRUE(hyp_core.pcpu[0].softirq_pending & (1u << SOFTIRQ_SCHEDULE));
}

TEST_F(PiLifecycle, BlockUnblocksWhenPostLandsBetweenNvRewriteAndListAdd)
{
    init(1);
    std::uint32_t v = running_vcpu(0);
    bool posted = false;
    m->after_call = [&](const mock::Call& c) {
        // the NIC posts right after NV became the wakeup vector: its wakeup
        // notification finds an empty list; the block path must see ON
        if (!posted && c.name == "cmpxchg64" && c.a == pid_pa(v) + 32 &&
            ((c.b >> 16) & 0xFF) == kWV) {
            posted = true;
            EXPECT_TRUE(mock::vtd_post(pid_pa(v), 0x61));
            EXPECT_EQ(hyp_core.pcpu[0].pi_block_head, HYP_INVALID);
        }
    };
    m->irq_enabled[0] = false;
    vcpu_block(&hyp_core.vcpu[v]);
    m->after_call = nullptr;
    ASSERT_TRUE(posted);
    EXPECT_EQ(state(v), HYP_VCPU_RUNNING) << "event arrived meanwhile: unblocked";
    EXPECT_FALSE(hyp_core.pcpu[0].softirq_pending & (1u << SOFTIRQ_SCHEDULE));
}

// PIR bits with ON clear are a software post under way (pi_deliver_posted_intr
// between its PIR and ON steps): the vCPU blocks, and the sender wakes it once
// it sets ON, as Xen's and Linux's ON-gated checks do
// (scenarios/races/post-under-way-halt.yaml).
TEST_F(PiLifecycle, BlockWaitsForOnWhenPirHasBitsWithoutOn)
{
    init(1);
    std::uint32_t v = running_vcpu(0);
    m->wr64(pid_pa(v) + 8, 1ull << 3);  // vector 67 in PIR, ON clear
    m->irq_enabled[0] = false;
    vcpu_block(&hyp_core.vcpu[v]);
    EXPECT_EQ(state(v), HYP_VCPU_BLOCKED);
    // the sender's ON step: ON was clear, so it wakes the vCPU
    ASSERT_FALSE(pid_test_and_set_on(pid_pa(v)));
    vcpu_wake(&hyp_core.vcpu[v]);
    EXPECT_NE(state(v), HYP_VCPU_BLOCKED);
}


// ON over an empty PIR (posted-interrupt processing took the bit between the
// sender's PIR and ON steps) is no event: the block path hands PIR to VIRR,
// clearing the stale ON, finds nothing deliverable and blocks, as Xen's
// local_events_need_delivery does through vmx_sync_pir_to_irr
// (scenarios/races/stale-on-halt.yaml). With a vector in PIR the same path
// unblocks, the vector in VIRR and RVI (next test).
TEST_F(PiLifecycle, BlockIgnoresOnOverAnEmptyPir)
{
    init(1);
    std::uint32_t v = running_vcpu(0);
    m->wr64(pid_pa(v) + 32, ctl_word(v) | 1);  // ON, PIR empty
    m->irq_enabled[0] = false;
    vcpu_block(&hyp_core.vcpu[v]);
    EXPECT_EQ(state(v), HYP_VCPU_BLOCKED) << "a stale ON must not resume the vCPU";
    EXPECT_FALSE(pid_test_on(pid_pa(v))) << "the sync clears the stale ON";
}

TEST_F(PiLifecycle, BlockUnblocksForAVectorPostedWithOn)
{
    init(1);
    std::uint32_t v = running_vcpu(0);
    m->wr64(pid_pa(v) + 8, 1ull << 3);          // vector 0x43 in PIR
    m->wr64(pid_pa(v) + 32, ctl_word(v) | 1);  // and ON
    m->irq_enabled[0] = false;
    vcpu_block(&hyp_core.vcpu[v]);
    EXPECT_EQ(state(v), HYP_VCPU_RUNNING) << "a posted vector unblocks";
    EXPECT_EQ(m->rd64(pid_pa(v) + 8), 0u) << "PIR handed to VIRR";
}

TEST_F(PiLifecycle, PiVcpuBlockReportsEventsThatArrivedMeanwhile)
{
    init(1);
    std::uint32_t v = running_vcpu(0);
    vcpu_set_state(&hyp_core.vcpu[v], HYP_VCPU_BLOCKED);
    EXPECT_FALSE(pi_vcpu_block(&hyp_core.vcpu[v]));
    pi_blocking_list_del(&hyp_core.vcpu[v]);
    m->wr64(pid_pa(v) + 32, ctl_word(v) | 1);  // ON
    EXPECT_TRUE(pi_vcpu_block(&hyp_core.vcpu[v]));
    pi_blocking_list_del(&hyp_core.vcpu[v]);
    m->wr64(pid_pa(v) + 32, ctl_word(v) & ~1ull);
    m->wr64(pid_pa(v) + 24, 1ull << 63);  // PIR[255], ON clear: a software post under way
    EXPECT_FALSE(pi_vcpu_block(&hyp_core.vcpu[v]))
        << "PIR bits without ON are a post whose sender has yet to set ON and wake the vCPU";
}

TEST_F(PiLifecycle, BlockRewritesStaleNdstWithNvInOneExchange)
{
    init(2);
    std::uint32_t v = running_vcpu(0);
    // NDST left naming pCPU 1 (hooks installed after a migration)
    m->wr64(pid_pa(v) + 32, (ctl_word(v) & 0xFFFFFFFFull) | (std::uint64_t{xapic_ndst(1)} << 32));
    vcpu_set_state(&hyp_core.vcpu[v], HYP_VCPU_BLOCKED);
    m->log.clear();
    EXPECT_FALSE(pi_vcpu_block(&hyp_core.vcpu[v]));
    EXPECT_EQ(ndst(v), xapic_ndst(0));
    EXPECT_EQ(nv(v), kWV);
    EXPECT_EQ(hyp_core.vcpu[v].pi_block_cpu, 0u);
    long n = 0;
    for (const auto& c : m->log)
        n += c.name == "cmpxchg64" && c.c == 1;
    EXPECT_EQ(n, 1);
}

TEST_F(PiLifecycle, BlockWithSnSetIsAnInvariantViolation)
{
    init(1);
    std::uint32_t v = running_vcpu(0);
    m->wr64(pid_pa(v) + 32, ctl_word(v) | 2);
    vcpu_set_state(&hyp_core.vcpu[v], HYP_VCPU_BLOCKED);
    EXPECT_THROW(pi_vcpu_block(&hyp_core.vcpu[v]), mock::AssertFailure);
}

TEST_F(PiLifecycle, InterruptAssistRestoresNvThenLeavesListThenSyncsPir)
{
    init(1);
    std::uint32_t v = running_vcpu(0);
    m->irq_enabled[0] = false;
    vcpu_block(&hyp_core.vcpu[v]);
    ASSERT_EQ(nv(v), kWV);
    ASSERT_TRUE(mock::vtd_post(pid_pa(v), 0x61));  // wakeup notification
    vcpu_wake(&hyp_core.vcpu[v]);
    ASSERT_EQ(state(v), HYP_VCPU_RUNNING);  // still current: never left
    m->irq_enabled[0] = true;                // Xen vmx_intr_assist runs with IF=1
    m->log.clear();
    virq_intr_assist(&hyp_core.vcpu[v]);
    long nv_write = ctl_cmpxchg_with_nv(v, kNV);
    long del = m->find("tr_blocklist_del", v);
    long clear_on = m->find("fetch_and64", pid_pa(v) + 32);
    long take = m->find("xchg64", pid_pa(v) + 8);
    ASSERT_GE(nv_write, 0);
    ASSERT_GE(del, 0);
    ASSERT_GE(clear_on, 0);
    ASSERT_GE(take, 0);
    EXPECT_LT(nv_write, del);
    EXPECT_LT(del, clear_on) << "NV and the list before the PIR sync";
    EXPECT_LT(clear_on, take) << "ON is cleared before PIR is read";
    EXPECT_EQ(nv(v), kNV);
    EXPECT_FALSE(on(v));
    EXPECT_EQ(m->rd64(pid_pa(v) + 8), 0u);
    EXPECT_TRUE(virr(v, 0x61));
    EXPECT_EQ(field(v, VMCS_GUEST_INTR_STATUS) & 0xFF, 0x61u);
    EXPECT_EQ(hyp_core.vcpu[v].pi_block_cpu, HYP_INVALID);
    EXPECT_GE(m->find("tr_virq_pend", v), 0);
    EXPECT_EQ(m->count("ipi"), 0);
}

TEST_F(PiLifecycle, SyncPirKeepsHigherRvi)
{
    init(1);
    std::uint32_t v = running_vcpu(0);
    m->vmcs[vmcs_pa(v)][VMCS_GUEST_INTR_STATUS] = 0x3080;  // SVI 0x30, RVI 0x80
    ASSERT_TRUE(mock::vtd_post(pid_pa(v), 0x41));
    pi_sync_pir_to_irr(&hyp_core.vcpu[v]);
    EXPECT_TRUE(virr(v, 0x41));
    EXPECT_EQ(field(v, VMCS_GUEST_INTR_STATUS), 0x3080u);
}

TEST_F(PiLifecycle, SyncPirLeavesPirWithOnClearAlone)
{
    init(1);
    std::uint32_t v = running_vcpu(0);
    m->wr64(pid_pa(v), 1ull << 0x30);  // posted while SN was 1: no ON
    m->log.clear();
    pi_sync_pir_to_irr(&hyp_core.vcpu[v]);
    EXPECT_EQ(m->rd64(pid_pa(v)), 1ull << 0x30);
    EXPECT_EQ(m->count("xchg64"), 0);
}

TEST_F(PiLifecycle, VmEntryCheckLeavesPirToAPendingNotification)
{
    init(1);
    std::uint32_t v = running_vcpu(0);
    ASSERT_TRUE(mock::vtd_post(pid_pa(v), 0x30));  // after the sync: ON, notified
    m->irq_enabled[0] = false;
    m->log.clear();
    pi_vm_entry_check(&hyp_core.vcpu[v]);
    EXPECT_EQ(m->count("ipi"), 0);
    EXPECT_TRUE(on(v));
}

TEST_F(PiLifecycle, VmEntryCheckDoesNothingWhenNothingPending)
{
    init(1);
    std::uint32_t v = running_vcpu(0);
    m->irq_enabled[0] = false;
    m->log.clear();
    pi_vm_entry_check(&hyp_core.vcpu[v]);
    EXPECT_EQ(m->count("ipi"), 0);
    EXPECT_EQ(m->count("xchg64"), 0);
    EXPECT_EQ(m->count("write32"), 0);
}

TEST_F(PiLifecycle, EntryPathReadsOnlyControlWordInSteadyState)
{
    init(1);
    std::uint32_t v = running_vcpu(0);
    virq_intr_assist(&hyp_core.vcpu[v]);  // first entry after the switch-in
    m->irq_enabled[0] = false;
    pi_vm_entry_check(&hyp_core.vcpu[v]);
    m->irq_enabled[0] = true;
    m->log.clear();
    virq_intr_assist(&hyp_core.vcpu[v]);
    m->irq_enabled[0] = false;
    pi_vm_entry_check(&hyp_core.vcpu[v]);
    long mem = 0;
    for (const auto& c : m->log)
        mem += c.name.find("64") != std::string::npos || c.name.find("32") != std::string::npos;
    EXPECT_EQ(mem, 2) << "the control word, read by pi_do_resume and pi_sync_pir_to_irr";
    EXPECT_EQ(m->find("read64", pid_pa(v) + 32), 0);
}

TEST_F(PiLifecycle, SwitchInSetsOnForPirPostedWhileSwitchedOut)
{
    init(1);
    std::uint32_t a = running_vcpu(0);
    std::uint32_t b = add_vcpu(0);
    ASSERT_EQ(unpause(b), 0);
    m->irq_enabled[0] = false;
    pi_vm_entry_check(&hyp_core.vcpu[a]);
    m->irq_enabled[0] = true;
    hyp_ctl p = req(HYP_CTL_PREEMPT);
    p.pcpu = 0;
    ASSERT_EQ(ctl({p}).at(0), 0);
    do_softirq();  // a out (SN=1), b in
    ASSERT_TRUE(sn(a));
    EXPECT_FALSE(mock::vtd_post(pid_pa(a), 0x52)) << "suppressed: no ON, no notification";
    ASSERT_EQ(ctl({p}).at(0), 0);
    do_softirq();  // a back: SN cleared, then PIR looked at (Linux vmx_vcpu_pi_load)
    ASSERT_EQ(hyp_core.pcpu[0].curr, a);
    EXPECT_FALSE(sn(a));
    EXPECT_TRUE(on(a)) << "PIR not empty after SN := 0: ON := 1 for the entry path's sync";
    m->log.clear();
    pi_sync_pir_to_irr(&hyp_core.vcpu[a]);
    EXPECT_TRUE(virr(a, 0x52)) << "the suppressed post reaches VIRR before VM entry";
    m->irq_enabled[0] = false;
    pi_vm_entry_check(&hyp_core.vcpu[a]);
    EXPECT_LT(m->find("ipi", m->apic_id[0]), 0) << "no self-notification: it could arrive in root mode";
}

TEST_F(PiLifecycle, VmEntryCheckRejectsAVcpuStillOnABlockingList)
{
    init(1);
    std::uint32_t v = running_vcpu(0);
    m->irq_enabled[0] = false;
    vcpu_block(&hyp_core.vcpu[v]);
    ASSERT_NE(hyp_core.vcpu[v].pi_block_cpu, HYP_INVALID);
    EXPECT_THROW(pi_vm_entry_check(&hyp_core.vcpu[v]), mock::AssertFailure);
}

TEST_F(PiLifecycle, VmEntryCheckRequiresInterruptsDisabled)
{
    init(1);
    std::uint32_t v = running_vcpu(0);
    m->irq_enabled[0] = true;
    EXPECT_THROW(pi_vm_entry_check(&hyp_core.vcpu[v]), mock::AssertFailure);
}

TEST_F(PiLifecycle, WakeupHandlerEoisAndWakesOnlyVcpusWithOn)
{
    init(1);
    std::uint32_t a = running_vcpu(0);
    std::uint32_t b = add_vcpu(0);
    // both blocked on pCPU 0's list, a has ON
    for (std::uint32_t v : {a, b}) {
        vcpu_set_state(&hyp_core.vcpu[v], HYP_VCPU_BLOCKED);
        pi_blocking_list_add(&hyp_core.vcpu[v], 0);
    }
    hyp_core.pcpu[0].curr = HYP_INVALID;
    m->wr64(pid_pa(a) + 32, ctl_word(a) | 1);
    m->log.clear();
    m->irq_enabled[0] = false;
    hyp_do_irq(kWV);
    long eoi = m->find("eoi");
    long del = m->find("tr_blocklist_del", a);
    ASSERT_GE(eoi, 0);
    ASSERT_GE(del, 0);
    EXPECT_LT(eoi, del);
    EXPECT_EQ(state(a), HYP_VCPU_RUNNABLE);
    EXPECT_TRUE(hyp_core.vcpu[a].on_runq);
    long woke = -1;
    for (std::size_t i = 0; i < m->log.size(); i++)
        if (m->log[i].name == "tr_vcpu_state" && m->log[i].a == a && m->log[i].c == HYP_VCPU_RUNNABLE)
            woke = static_cast<long>(i);
    ASSERT_GE(woke, 0);
    EXPECT_LT(woke, del) << "woken before taken off: a blocked vCPU is always listed";
    EXPECT_EQ(hyp_core.vcpu[a].pi_block_cpu, HYP_INVALID);
    EXPECT_EQ(state(b), HYP_VCPU_BLOCKED);
    EXPECT_EQ(hyp_core.vcpu[b].pi_block_cpu, 0u);
    EXPECT_EQ(hyp_core.pcpu[0].pi_block_len, 1u);
    EXPECT_TRUE(hyp_core.pcpu[0].softirq_pending & (1u << SOFTIRQ_SCHEDULE));
}

TEST_F(PiLifecycle, NotificationHandlerEoisAndRaisesSoftirq)
{
    init(1);
    m->irq_enabled[0] = false;
    hyp_do_irq(kNV);
    long eoi = m->find("eoi");
    long raise = m->find("tr_softirq_raise", SOFTIRQ_VCPU_KICK);
    ASSERT_GE(eoi, 0);
    ASSERT_GE(raise, 0);
    EXPECT_TRUE(hyp_core.pcpu[0].softirq_pending & (1u << SOFTIRQ_VCPU_KICK));
}

TEST_F(PiLifecycle, KickSendsNotificationIpiToVcpuRunningElsewhere)
{
    init(2);
    std::uint32_t v = running_vcpu(1);
    m->cpu = 0;
    m->log.clear();
    vcpu_kick(&hyp_core.vcpu[v]);
    long ipi = m->find("ipi", m->apic_id[1]);
    ASSERT_GE(ipi, 0);
    EXPECT_EQ(m->log[ipi].b, kNV);
}

TEST_F(PiLifecycle, KickOfLocalCurrentInIrqRaisesSoftirqOnlyIfNonePending)
{
    init(1);
    std::uint32_t v = running_vcpu(0);
    hyp_core.pcpu[0].softirq_pending = 0;
    hyp_core.pcpu[0].in_irq = 1;
    m->log.clear();
    vcpu_kick(&hyp_core.vcpu[v]);
    EXPECT_EQ(m->count("ipi"), 0) << "no IPI for the local current vCPU";
    EXPECT_TRUE(hyp_core.pcpu[0].softirq_pending & (1u << SOFTIRQ_VCPU_KICK));
    hyp_core.pcpu[0].softirq_pending = 1u << SOFTIRQ_TIMER;
    m->log.clear();
    vcpu_kick(&hyp_core.vcpu[v]);
    EXPECT_EQ(m->count("tr_softirq_raise"), 0) << "a pending softirq already re-runs entry";
    EXPECT_EQ(hyp_core.pcpu[0].softirq_pending, 1u << SOFTIRQ_TIMER);
}

TEST_F(PiLifecycle, KickOfLocalCurrentOutsideIrqDoesNothing)
{
    init(1);
    std::uint32_t v = running_vcpu(0);
    hyp_core.pcpu[0].softirq_pending = 0;
    m->log.clear();
    vcpu_kick(&hyp_core.vcpu[v]);
    EXPECT_EQ(m->count("ipi"), 0);
    EXPECT_EQ(hyp_core.pcpu[0].softirq_pending, 0u);
}

TEST_F(PiLifecycle, KickOfVcpuNotRunningDoesNothing)
{
    init(2);
    std::uint32_t v = add_vcpu(1);
    ASSERT_EQ(unpause(v, 1), 0);  // runnable, not yet scheduled
    m->cpu = 0;
    m->log.clear();
    vcpu_kick(&hyp_core.vcpu[v]);
    EXPECT_EQ(m->count("ipi"), 0);
    EXPECT_EQ(m->count("tr_softirq_raise"), 0);
}

TEST_F(PiLifecycle, SoftwarePostToBlockedVcpuWakesIt)
{
    init(2);
    std::uint32_t a = running_vcpu(0);
    std::uint32_t b = running_vcpu(1);
    m->cpu = 1;
    m->irq_enabled[1] = false;
    vcpu_block(&hyp_core.vcpu[b]);
    m->irq_enabled[1] = true;
    do_softirq();
    ASSERT_EQ(hyp_core.pcpu[1].curr, HYP_INVALID);
    hyp_ctl s = req(HYP_CTL_SEND_VIPI);
    s.vcpu = a;
    s.vcpu2 = b;
    s.vector = 0x70;
    m->log.clear();
    ASSERT_EQ(ctl({s}, 0).at(0), 0);
    EXPECT_TRUE(on(b));
    EXPECT_TRUE(m->rd64(pid_pa(b) + 8) & (1ull << (0x70 - 64)));
    EXPECT_EQ(state(b), HYP_VCPU_RUNNABLE);
    EXPECT_GE(m->find("ipi", m->apic_id[1]), 0) << "pCPU 1 asked to schedule";
}

TEST_F(PiLifecycle, HooksAssignPutsBlockedVcpuOnListAndDeassignTakesItOff)
{
    init(1);
    std::uint32_t v = running_vcpu(0, /*with_device=*/false);
    m->irq_enabled[0] = false;
    vcpu_block(&hyp_core.vcpu[v]);
    m->irq_enabled[0] = true;
    do_softirq();
    ASSERT_EQ(state(v), HYP_VCPU_BLOCKED);
    ASSERT_EQ(hyp_core.vcpu[v].pi_block_cpu, HYP_INVALID) << "no hooks yet";
    ASSERT_EQ(assign(), 0);
    EXPECT_EQ(hyp_core.vcpu[v].pi_block_cpu, 0u);
    EXPECT_EQ(nv(v), kWV);
    EXPECT_FALSE(sn(v));
    EXPECT_EQ(ndst(v), xapic_ndst(0));
    // a post now wakes it through the wakeup vector
    ASSERT_TRUE(mock::vtd_post(pid_pa(v), 0x61));
    hyp_ctl d = req(HYP_CTL_DEASSIGN_DEVICE);
    d.device = kRid;
    ASSERT_EQ(ctl({d}).at(0), 0);
    EXPECT_EQ(hyp_core.vcpu[v].pi_block_cpu, HYP_INVALID);
    EXPECT_EQ(nv(v), kNV);
    EXPECT_EQ(hyp_core.dom[1].pi_hooks, 0u);
    // its wakeup-vector notification will find no list entry: deassignment
    // wakes it (the post raced the deassignment)
    EXPECT_EQ(state(v), HYP_VCPU_RUNNABLE);
}

TEST_F(PiLifecycle, HooksDeassignLeavesAnIdleBlockedVcpuBlocked)
{
    init(1);
    std::uint32_t v = running_vcpu(0, /*with_device=*/false);
    m->irq_enabled[0] = false;
    vcpu_block(&hyp_core.vcpu[v]);
    m->irq_enabled[0] = true;
    do_softirq();
    ASSERT_EQ(assign(), 0);
    hyp_ctl d = req(HYP_CTL_DEASSIGN_DEVICE);
    d.device = kRid;
    ASSERT_EQ(ctl({d}).at(0), 0);
    EXPECT_EQ(state(v), HYP_VCPU_BLOCKED) << "nothing pending: stays blocked";
}

TEST_F(PiLifecycle, HooksAssignWakesBlockedVcpuWithPendingEvent)
{
    init(1);
    std::uint32_t v = running_vcpu(0, /*with_device=*/false);
    m->irq_enabled[0] = false;
    vcpu_block(&hyp_core.vcpu[v]);
    m->irq_enabled[0] = true;
    do_softirq();
    m->wr64(pid_pa(v), 1ull << 0x31);  // PIR pending
    ASSERT_EQ(assign(), 0);
    EXPECT_EQ(state(v), HYP_VCPU_RUNNABLE);
}

TEST_F(PiLifecycle, HooksAssignSuppressesRunnableVcpu)
{
    init(1);
    std::uint32_t v = add_vcpu(0);
    m->wr64(pid_pa(v) + 32, std::uint64_t{kNV} << 16);  // SN clear
    ASSERT_EQ(unpause(v), 0);
    ASSERT_EQ(assign(), 0);
    EXPECT_TRUE(sn(v));
    EXPECT_EQ(nv(v), kNV);
}

// pCPU offline [Xen vmx_pi_desc_fixup; Linux posted_intr.c]: the departing
// pCPU never rewrites the NDST or the list of a blocked vCPU (a post reads
// NDST at one instant and no order of the two rewrites is safe at every
// instant); it wakes every vCPU on its list, whose VM-entry path on its new
// pCPU halts it again there unless an interrupt is pending.
class PiOffline : public PiLifecycle {
protected:
    /// v running on pCPU 1, then blocked in HLT there: on pCPU 1's list,
    /// NDST pCPU 1; pCPU 1 asked to go offline.
    std::uint32_t blocked_on_departing_pcpu()
    {
        std::uint32_t v = running_vcpu(1);
        m->cpu = 1;
        m->irq_enabled[1] = false;
        vcpu_block(&hyp_core.vcpu[v]);
        m->irq_enabled[1] = true;
        do_softirq();
        EXPECT_EQ(state(v), HYP_VCPU_BLOCKED);
        EXPECT_EQ(hyp_core.vcpu[v].pi_block_cpu, 1u);
        EXPECT_EQ(ndst(v), xapic_ndst(1));
        hyp_ctl off = req(HYP_CTL_PCPU_OFFLINE);
        off.pcpu = 1;
        EXPECT_EQ(ctl({off}, 0).at(0), 0);
        return v;
    }
    /// After every port call, while v is blocked: it is on exactly the list
    /// its NDST names, with NV the wakeup vector (what a post at that
    /// instant relies on). Counts the checks made.
    void watch_blocked_descriptor(std::uint32_t v)
    {
        m->after_call = [this, v](const mock::Call&) {
            if (state(v) != HYP_VCPU_BLOCKED)
                return;
            checks++;
            std::uint32_t list = hyp_core.vcpu[v].pi_block_cpu;
            EXPECT_NE(list, HYP_INVALID) << "blocked vCPU on no blocking list";
            if (list != HYP_INVALID) {
                EXPECT_EQ(ndst(v), xapic_ndst(list)) << "NDST names another pCPU than its list";
            }
            EXPECT_EQ(nv(v), kWV);
        };
    }
    long checks = 0;
    bool entered = false;
    void count_vm_entries()
    {
        m->on_vm_enter = [this](arch_vm_exit* e) {
            entered = true;
            e->reason = EXIT_REASON_HLT;
            return true;
        };
    }
};

TEST_F(PiOffline, BlockedVcpusAreWokenNotRewrittenAndHaltAgainOnTheirNewPcpu)
{
    init(2);
    std::uint32_t v = blocked_on_departing_pcpu();
    std::uint32_t w = add_vcpu(1);  // never unpaused: moves with the others
    watch_blocked_descriptor(v);
    m->log.clear();
    m->cpu = 1;
    do_softirq();
    EXPECT_FALSE(hyp_core.pcpu[1].online);
    EXPECT_FALSE(hyp_core.pcpu[1].offline_pending) << "hand-over complete";
    EXPECT_EQ(hyp_core.pcpu[1].pi_block_len, 0u);
    EXPECT_EQ(hyp_core.vcpu[w].processor, 0u);
    EXPECT_GE(m->find("vmclear", vmcs_pa(v)), 0) << "VMCS cleared on the departing pCPU";

    EXPECT_EQ(state(v), HYP_VCPU_RUNNABLE);
    EXPECT_EQ(hyp_core.vcpu[v].processor, 0u);
    EXPECT_TRUE(hyp_core.vcpu[v].on_runq);
    EXPECT_TRUE(hyp_core.vcpu[v].hlt_recheck);
    EXPECT_EQ(hyp_core.vcpu[v].pi_block_cpu, HYP_INVALID);
    long woken = m->find("tr_vcpu_state", v);
    long unlinked = m->find("tr_blocklist_del", v);
    ASSERT_GE(woken, 0);
    EXPECT_GT(unlinked, woken) << "woken before taken off the list";
    // While it was blocked the departing pCPU left its PID alone; once it
    // is woken and off the list, no descriptor may name an offline pCPU.
    long rewritten = m->find("cmpxchg64", pid_pa(v) + 32);
    ASSERT_GE(rewritten, 0);
    EXPECT_GT(rewritten, unlinked) << "NDST moved only after the vCPU left the list";
    EXPECT_EQ(ndst(v), xapic_ndst(0)) << "NDST names its new pCPU, no longer the offline one";

    // pCPU 0 switches to it; its entry path finds nothing pending and halts
    // it again, without entering the guest
    count_vm_entries();
    loop(0);
    EXPECT_FALSE(entered) << "the guest does not see its HLT end";
    EXPECT_EQ(state(v), HYP_VCPU_BLOCKED);
    EXPECT_FALSE(hyp_core.vcpu[v].hlt_recheck);
    EXPECT_EQ(hyp_core.vcpu[v].pi_block_cpu, 0u);
    EXPECT_EQ(ndst(v), xapic_ndst(0));
    EXPECT_EQ(nv(v), kWV);
    EXPECT_FALSE(sn(v));
    loop(0);
    EXPECT_EQ(hyp_core.pcpu[0].curr, HYP_INVALID) << "switched away: blocked";

    // a post now notifies pCPU 0, whose wakeup handler finds v
    ASSERT_TRUE(mock::vtd_post(pid_pa(v), 0x61));
    m->cpu = 0;
    m->irq_enabled[0] = false;
    hyp_do_irq(kWV);
    m->irq_enabled[0] = true;
    EXPECT_EQ(state(v), HYP_VCPU_RUNNABLE);
    EXPECT_FALSE(hyp_core.vcpu[v].hlt_recheck);
    loop(0);
    EXPECT_TRUE(entered) << "woken by an interrupt: the guest runs";
    EXPECT_TRUE(virr(v, 0x61));
    m->after_call = nullptr;
    EXPECT_GT(checks, 0);
}

TEST_F(PiOffline, PostDuringTheHandOverMakesTheWokenVcpuEnterTheGuest)
{
    init(2);
    std::uint32_t v = blocked_on_departing_pcpu();
    bool posted = false;
    m->after_call = [&](const mock::Call& c) {
        // the post lands once the departing pCPU has woken v, before it
        // takes v off its list: NDST still names the departing pCPU
        if (!posted && c.name == "tr_vcpu_state" && c.a == v && c.c == HYP_VCPU_RUNNABLE &&
            m->cpu == 1) {
            posted = true;
            EXPECT_EQ(hyp_core.vcpu[v].pi_block_cpu, 1u);
            EXPECT_TRUE(mock::vtd_post(pid_pa(v), 0x61));
            EXPECT_EQ(ndst(v), xapic_ndst(1));
        }
    };
    m->cpu = 1;
    do_softirq();
    m->after_call = nullptr;
    ASSERT_TRUE(posted);
    EXPECT_EQ(hyp_core.pcpu[1].pi_block_len, 0u);
    // the notification reached the departing pCPU: its handler finds an
    // empty list, which is harmless, v is runnable already
    m->cpu = 1;
    m->irq_enabled[1] = false;
    hyp_do_irq(kWV);
    m->irq_enabled[1] = true;
    count_vm_entries();
    loop(0);
    EXPECT_TRUE(entered) << "an interrupt is pending: no second halt";
    EXPECT_TRUE(virr(v, 0x61));
    EXPECT_EQ(ndst(v), xapic_ndst(0));
}

TEST_F(PiOffline, EventChannelWakeCancelsTheRecheck)
{
    init(2);
    std::uint32_t v = blocked_on_departing_pcpu();
    m->cpu = 1;
    do_softirq();
    ASSERT_TRUE(hyp_core.vcpu[v].hlt_recheck);
    hyp_ctl wake = req(HYP_CTL_VCPU_WAKE);
    wake.vcpu = v;
    ASSERT_EQ(ctl({wake}, 0).at(0), 0);
    EXPECT_FALSE(hyp_core.vcpu[v].hlt_recheck);
    count_vm_entries();
    loop(0);
    EXPECT_TRUE(entered) << "the guest's HLT ends for the event";
}

TEST_F(PiOffline, RecheckLeavesAVcpuThatIsNotBlockedAlone)
{
    init(1);
    std::uint32_t v = running_vcpu(0);
    vcpu_wake_recheck(&hyp_core.vcpu[v]);
    EXPECT_FALSE(hyp_core.vcpu[v].hlt_recheck);
    EXPECT_EQ(state(v), HYP_VCPU_RUNNING);
}

TEST_F(PiOffline, OnlineIsRefusedUntilTheHandOverIsComplete)
{
    init(2);
    std::uint32_t v = blocked_on_departing_pcpu();
    std::vector<std::int32_t> during;
    bool asked = false;
    m->after_call = [&](const mock::Call& c) {
        // pcpu_online arrives while pCPU 1 is moving its vCPUs away
        if (!asked && c.name == "tr_migrate" && c.a == v && m->cpu == 1) {
            asked = true;
            hyp_ctl on = req(HYP_CTL_PCPU_ONLINE);
            on.pcpu = 1;
            during = ctl({on}, 0);
        }
    };
    m->cpu = 1;
    do_softirq();  // sched_do_offline's assertions hold: nothing came back
    m->after_call = nullptr;
    ASSERT_TRUE(asked);
    EXPECT_EQ(during.at(0), HYP_EBUSY);
    EXPECT_FALSE(sched_pcpu_usable(1));
    EXPECT_EQ(hyp_core.pcpu[1].rq_len, 0u);
    hyp_ctl on = req(HYP_CTL_PCPU_ONLINE);
    on.pcpu = 1;
    EXPECT_EQ(ctl({on}, 0).at(0), 0) << "accepted once the offline is complete";
}

TEST_F(PiLifecycle, LastOnlinePcpuCannotGoOffline)
{
    init(2);
    hyp_ctl off = req(HYP_CTL_PCPU_OFFLINE);
    off.pcpu = 1;
    ASSERT_EQ(ctl({off}, 0).at(0), 0);
    m->cpu = 1;
    do_softirq();
    off.pcpu = 0;
    EXPECT_EQ(ctl({off}, 0).at(0), HYP_EBUSY);
    off.pcpu = 1;
    EXPECT_EQ(ctl({off}, 0).at(0), HYP_EINVAL);
}

}  // namespace
