// Load balancing tests (sched_balance.c): an idle pCPU pulls a queued vCPU
// from the busiest run queue of its hard affinity; the owner carries the
// move out (VMCLEAR on the owner before VMPTRLD on the thief); NDST follows
// at switch-in; blocked vCPUs are never pulled and leave the blocking list
// NDST named at their first VM entry on the new pCPU.
#include "hyp_fixture.h"

using mock::m;

namespace {

class Balance : public HypTest {
protected:
    std::uint32_t running_vcpu(std::uint32_t cpu)
    {
        std::uint32_t v = unpaused_vcpu(cpu);
        softirq(cpu);
        EXPECT_EQ(hyp_core.pcpu[cpu].curr, v);
        return v;
    }
    std::int32_t set_mask(std::uint32_t v, std::uint64_t mask)
    {
        hyp_ctl c = req(HYP_CTL_SET_AFFINITY_MASK);
        c.vcpu = v;
        c.arg = mask;
        return ctl({c}, 0).at(0);
    }
    /// pCPU `cpu` runs its scheduler (softirq SCHEDULE raised locally, then
    /// processed): an idle pCPU looks for work to pull.
    void softirq(std::uint32_t cpu)
    {
        m->cpu = cpu;
        bool was = m->irq_enabled[cpu];
        m->irq_enabled[cpu] = true;
        raise_softirq(SOFTIRQ_SCHEDULE);
        do_softirq();
        m->irq_enabled[cpu] = was;
    }
    bool sched_softirq_pending(std::uint32_t cpu)
    {
        return hyp_core.pcpu[cpu].softirq_pending & (1u << SOFTIRQ_SCHEDULE);
    }
    /// The VM-entry path's interrupt steps on `cpu`: the assist with IF=1,
    /// then the IF=0 check of the descriptor.
    void entry_path(std::uint32_t cpu, std::uint32_t v)
    {
        m->cpu = cpu;
        m->irq_enabled[cpu] = true;
        virq_intr_assist(&hyp_core.vcpu[v]);
        m->irq_enabled[cpu] = false;
        pi_vm_entry_check(&hyp_core.vcpu[v]);
    }
    static bool pir(std::uint32_t v, std::uint8_t vec)
    {
        return (m->rd64(pid_pa(v) + 8ull * (vec >> 6)) >> (vec & 63)) & 1;
    }
    long ipi_to(std::uint32_t cpu, std::size_t from = 0)
    {
        return m->find("ipi", m->apic_id[cpu], from);
    }
};

TEST_F(Balance, MaskValidationAndBalanceableCount)
{
    init(2);
    std::uint32_t v = add_vcpu(0);
    EXPECT_EQ(hyp_core.vcpu[v].affinity_mask, 1u) << "created pinned to its pCPU";
    EXPECT_EQ(set_mask(v, 0), HYP_EINVAL);
    EXPECT_EQ(set_mask(v, 0x4), HYP_EINVAL) << "pCPU 2 does not exist";
    EXPECT_EQ(hyp_core.nr_balanceable, 0u);
    EXPECT_EQ(set_mask(v, 0x3), 0);
    EXPECT_EQ(hyp_core.nr_balanceable, 1u);
    EXPECT_EQ(set_mask(v, 0x2), 0);
    EXPECT_EQ(hyp_core.vcpu[v].affinity, 1u) << "home moves into the mask";
    EXPECT_EQ(hyp_core.nr_balanceable, 0u);
    EXPECT_EQ(set_mask(v, 0x3), 0);
    hyp_ctl pin = req(HYP_CTL_SET_AFFINITY);
    pin.vcpu = v;
    pin.pcpu = 0;
    ASSERT_EQ(ctl({pin}, 0).at(0), 0);
    EXPECT_EQ(hyp_core.vcpu[v].affinity_mask, 1u) << "pinning narrows the mask";
    EXPECT_EQ(hyp_core.nr_balanceable, 0u);
}

// The full pull: tickle -> thief marks the first stealable vCPU -> owner
// moves it -> thief runs it with NDST rewritten at switch-in.
TEST_F(Balance, IdlePcpuPullsQueuedVcpuAndNdstFollowsAtSwitchIn)
{
    init(2);
    std::uint32_t a = running_vcpu(0);
    std::uint32_t b = add_vcpu(0);
    ASSERT_EQ(set_mask(b, 0x3), 0);
    ASSERT_EQ(unpause(b, 0), 0);
    m->log.clear();
    softirq(0);  // owner: keeps a, b waits; pCPU 1 is idle and may run b
    EXPECT_EQ(hyp_core.pcpu[0].curr, a);
    EXPECT_EQ(hyp_core.pcpu[0].rq_len, 1u);
    EXPECT_TRUE(sched_softirq_pending(1)) << "idle pCPU 1 tickled";
    EXPECT_GE(ipi_to(1), 0);

    m->log.clear();
    softirq(1);  // thief: idle, looks for work
    EXPECT_EQ(hyp_core.vcpu[b].steal_to, 1u);
    EXPECT_TRUE(hyp_core.pcpu[1].steal_inflight);
    EXPECT_EQ(hyp_core.vcpu[b].processor, 0u) << "only the owner moves it";
    EXPECT_TRUE(sched_softirq_pending(0));
    EXPECT_GE(ipi_to(0), 0) << "the owner is asked by IPI";

    m->log.clear();
    softirq(0);  // owner: scan, move b to pCPU 1
    EXPECT_EQ(hyp_core.vcpu[b].processor, 1u);
    EXPECT_EQ(hyp_core.vcpu[b].steal_to, HYP_INVALID);
    EXPECT_FALSE(hyp_core.pcpu[1].steal_inflight);
    EXPECT_EQ(hyp_core.pcpu[0].rq_len, 0u);
    EXPECT_EQ(hyp_core.pcpu[1].rq_len, 1u);
    long mig = m->find("tr_migrate", b);
    ASSERT_GE(mig, 0);
    EXPECT_EQ(m->log[mig].b, 0u);
    EXPECT_EQ(m->log[mig].c, 1u);
    EXPECT_EQ(hyp_core.pcpu[0].curr, a) << "the owner's current vCPU is undisturbed";

    softirq(1);  // thief runs b
    EXPECT_EQ(hyp_core.pcpu[1].curr, b);
    EXPECT_EQ(ndst(b), xapic_ndst(1));
    EXPECT_FALSE(sn(b));
    EXPECT_EQ(vcpu_target_cpu(&hyp_core.vcpu[b]), 1u) << "stays where it was pulled to";
    softirq(0);
    EXPECT_EQ(hyp_core.vcpu[b].processor, 1u) << "no move back home";
}

// A vCPU that ran on the owner (its VMCS active there) is VMCLEARed by the
// owner before the thief loads it [SDM 24.11.1]; posts made while it waits
// (SN=1, NDST still the owner) are merged at its entry on the thief.
TEST_F(Balance, PulledVcpuVmcsClearedOnOwnerBeforeLoadAndPostsKept)
{
    init(2);
    std::uint32_t b = running_vcpu(0);
    std::uint32_t a = add_vcpu(0);
    ASSERT_EQ(set_mask(b, 0x3), 0);
    ASSERT_EQ(unpause(a, 0), 0);
    m->cpu = 0;
    m->now += kSlice;
    sched_tick();  // slice over: a runs, b waits with SN=1
    ASSERT_EQ(hyp_core.pcpu[0].curr, a);
    ASSERT_TRUE(sn(b));
    ASSERT_EQ(hyp_core.vcpu[b].vmcs_cpu, 0u);
    EXPECT_FALSE(mock::vtd_post(pid_pa(b), 0x55)) << "SN=1: PIR only, no notification";
    m->log.clear();
    softirq(1);  // thief
    ASSERT_EQ(hyp_core.vcpu[b].steal_to, 1u);
    softirq(0);
    long clear = m->find("vmclear", vmcs_pa(b));
    ASSERT_GE(clear, 0);
    EXPECT_EQ(m->log[clear].b, 0u) << "VMCLEAR on the owner";
    softirq(1);
    ASSERT_EQ(hyp_core.pcpu[1].curr, b);
    long load = m->find("vmptrld", vmcs_pa(b), clear);
    ASSERT_GT(load, clear);
    EXPECT_EQ(m->log[load].b, 1u);
    EXPECT_EQ(ndst(b), xapic_ndst(1));
    m->log.clear();
    entry_path(1, b);
    // the post made while it waited (PIR, no ON) got ON at the switch-in and
    // the entry path's sync took it into VIRR; a later post notifies pCPU 1
    EXPECT_LT(m->find("ipi", m->apic_id[1]), 0) << "no notification sent to itself";
    EXPECT_FALSE(pir(b, 0x55));
    EXPECT_TRUE(virr(b, 0x55));
    EXPECT_TRUE(mock::vtd_post(pid_pa(b), 0x56)) << "SN=0: notification to NDST = pCPU 1";
    EXPECT_EQ(ndst(b), xapic_ndst(1));
}

TEST_F(Balance, PinnedVcpusAreNeverPulled)
{
    init(2);
    std::uint32_t a = running_vcpu(0);
    std::uint32_t b = add_vcpu(0);
    ASSERT_EQ(unpause(b, 0), 0);
    m->log.clear();
    softirq(0);
    EXPECT_FALSE(sched_softirq_pending(1));
    softirq(1);
    EXPECT_EQ(hyp_core.vcpu[b].steal_to, HYP_INVALID);
    EXPECT_EQ(m->count("ipi"), 0);
    EXPECT_EQ(hyp_core.pcpu[0].curr, a);
    EXPECT_EQ(hyp_core.pcpu[1].curr, HYP_INVALID);
}

TEST_F(Balance, BusiestRunQueueIsChosenAndOnlyMaskedVcpusTaken)
{
    init(3);
    std::uint32_t a0 = running_vcpu(0);
    std::uint32_t a1 = running_vcpu(1);
    std::uint32_t x = add_vcpu(0);  // pCPU 0: one waiting, may run on 2
    ASSERT_EQ(set_mask(x, 0x5), 0);
    ASSERT_EQ(unpause(x, 0), 0);
    std::uint32_t p1 = add_vcpu(1);  // pCPU 1: two waiting, the first pinned
    std::uint32_t y = add_vcpu(1);
    ASSERT_EQ(unpause(p1, 0), 0);
    ASSERT_EQ(set_mask(y, 0x6), 0);
    ASSERT_EQ(unpause(y, 0), 0);
    softirq(2);
    EXPECT_EQ(hyp_core.vcpu[y].steal_to, 2u) << "busiest queue (pCPU 1), first vCPU allowed on 2";
    EXPECT_EQ(hyp_core.vcpu[p1].steal_to, HYP_INVALID);
    EXPECT_EQ(hyp_core.vcpu[x].steal_to, HYP_INVALID);
    softirq(2);
    EXPECT_EQ(hyp_core.vcpu[x].steal_to, HYP_INVALID) << "one pull in flight at a time";
    softirq(1);
    softirq(2);
    EXPECT_EQ(hyp_core.pcpu[2].curr, y);
    EXPECT_EQ(hyp_core.pcpu[0].curr, a0);
    EXPECT_EQ(hyp_core.pcpu[1].curr, a1);
}

// The busiest queue holds only vCPUs pinned elsewhere: the next one is tried.
TEST_F(Balance, BusiestQueueWithNothingAllowedFallsBackToTheNext)
{
    init(3);
    running_vcpu(0);
    running_vcpu(1);
    std::uint32_t x = add_vcpu(0);  // pCPU 0: one waiting, may run on 2
    ASSERT_EQ(set_mask(x, 0x5), 0);
    ASSERT_EQ(unpause(x, 0), 0);
    std::uint32_t p1 = add_vcpu(1), p2 = add_vcpu(1);  // pCPU 1: two pinned
    ASSERT_EQ(unpause(p1, 0), 0);
    ASSERT_EQ(unpause(p2, 0), 0);
    softirq(2);
    EXPECT_EQ(hyp_core.vcpu[x].steal_to, 2u);
    softirq(0);
    softirq(2);
    EXPECT_EQ(hyp_core.pcpu[2].curr, x);
}

// The owner ran the marked vCPU itself before it scanned: no move, the
// thief is released and told to look again.
TEST_F(Balance, PullAnsweredWithoutMoveWhenOwnerRanItFirst)
{
    init(2);
    std::uint32_t a = running_vcpu(0);
    std::uint32_t b = add_vcpu(0);
    ASSERT_EQ(set_mask(b, 0x3), 0);
    ASSERT_EQ(unpause(b, 0), 0);
    softirq(1);
    ASSERT_EQ(hyp_core.vcpu[b].steal_to, 1u);
    // a blocks; pCPU 0 switches to b before its migrate scan has run
    m->cpu = 0;
    m->irq_enabled[0] = false;
    vcpu_block(&hyp_core.vcpu[a]);
    bool scan = hyp_core.pcpu[0].migrate_scan;
    hyp_core.pcpu[0].migrate_scan = false;
    m->irq_enabled[0] = true;
    schedule();
    ASSERT_EQ(hyp_core.pcpu[0].curr, b);
    hyp_core.pcpu[0].migrate_scan = scan;
    hyp_core.pcpu[1].softirq_pending = 0;
    softirq(0);
    EXPECT_EQ(hyp_core.vcpu[b].processor, 0u) << "running: not moved";
    EXPECT_EQ(hyp_core.vcpu[b].steal_to, HYP_INVALID);
    EXPECT_FALSE(hyp_core.pcpu[1].steal_inflight);
    EXPECT_TRUE(sched_softirq_pending(1)) << "the thief looks again";
}

// Blocking-list correctness: a vCPU woken from the blocking list of pCPU 0
// and pulled by pCPU 1 leaves pCPU 0's list (under its lock) at its first
// VM entry on pCPU 1, with NV back to the notification vector.
TEST_F(Balance, WokenVcpuPulledLeavesOldBlockingListAtEntry)
{
    init(2);
    std::uint32_t b = running_vcpu(0);
    ASSERT_EQ(set_mask(b, 0x3), 0);
    std::uint32_t a = add_vcpu(0);
    ASSERT_EQ(unpause(a, 0), 0);
    m->cpu = 0;
    m->irq_enabled[0] = false;
    vcpu_block(&hyp_core.vcpu[b]);
    m->irq_enabled[0] = true;
    softirq(0);
    ASSERT_EQ(hyp_core.pcpu[0].curr, a);
    ASSERT_EQ(state(b), HYP_VCPU_BLOCKED);
    ASSERT_EQ(hyp_core.vcpu[b].pi_block_cpu, 0u);
    ASSERT_EQ(nv(b), kWV);
    softirq(1);
    EXPECT_EQ(hyp_core.vcpu[b].steal_to, HYP_INVALID) << "blocked vCPUs are not pulled";
    // a post wakes b onto pCPU 0's run queue
    ASSERT_TRUE(mock::vtd_post(pid_pa(b), 0x61));
    m->cpu = 0;
    m->irq_enabled[0] = false;
    hyp_do_irq(kWV);
    ASSERT_EQ(state(b), HYP_VCPU_RUNNABLE);
    EXPECT_EQ(hyp_core.vcpu[b].pi_block_cpu, HYP_INVALID) << "the wakeup handler took it off";
    // pCPU 1 pulls before pCPU 0 ran its scheduler
    softirq(1);
    ASSERT_EQ(hyp_core.vcpu[b].steal_to, 1u);
    softirq(0);
    EXPECT_EQ(hyp_core.vcpu[b].processor, 1u);
    softirq(1);
    ASSERT_EQ(hyp_core.pcpu[1].curr, b);
    entry_path(1, b);
    EXPECT_EQ(nv(b), kNV);
    EXPECT_EQ(ndst(b), xapic_ndst(1));
    EXPECT_EQ(hyp_core.pcpu[0].pi_block_len, 0u);
    EXPECT_EQ(hyp_core.pcpu[1].pi_block_len, 0u);
    EXPECT_TRUE(virr(b, 0x61));
}

}  // namespace
