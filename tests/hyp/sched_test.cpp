// Scheduler tests: run queues and time slices, preemption, wake-ups across
// pCPUs, migration with VMCLEAR before VMPTRLD, tasklets in idle context
// (lazy switch: SN untouched), pCPU offline/online, and the tick.
#include "hyp_fixture.h"

using mock::m;

namespace {

class Sched : public HypTest {
protected:
    std::uint32_t running_vcpu(std::uint32_t cpu)
    {
        std::uint32_t v = unpaused_vcpu(cpu);
        m->cpu = cpu;
        do_softirq();
        EXPECT_EQ(hyp_core.pcpu[cpu].curr, v);
        return v;
    }
    long sched_record(std::uint64_t prev, std::uint64_t next, std::uint64_t reason)
    {
        for (std::size_t i = 0; i < m->log.size(); i++) {
            const auto& c = m->log[i];
            if (c.name == "tr_schedule" && c.a == prev && c.b == next && c.c == reason)
                return static_cast<long>(i);
        }
        return -1;
    }
};

TEST_F(Sched, UnpauseMakesRunnableAndAsksItsPcpuToSchedule)
{
    init(2);
    std::uint32_t v = add_vcpu(1);
    m->log.clear();
    ASSERT_EQ(unpause(v, 0), 0);
    EXPECT_EQ(state(v), HYP_VCPU_RUNNABLE);
    EXPECT_TRUE(hyp_core.vcpu[v].on_runq);
    long ipi = m->find("ipi", m->apic_id[1]);
    ASSERT_GE(ipi, 0);
    EXPECT_EQ(m->log[ipi].b, kTV) << "the scheduler IPI";
    EXPECT_TRUE(hyp_core.pcpu[1].softirq_pending & (1u << SOFTIRQ_SCHEDULE));
    EXPECT_GE(m->find("tr_vcpu_state", v), 0);
    m->cpu = 1;
    do_softirq();
    EXPECT_EQ(state(v), HYP_VCPU_RUNNING);
    EXPECT_GE(sched_record(HYP_INVALID, v, HYP_SCHED_WAKE), 0);
}

TEST_F(Sched, SliceExpiryRotatesOnlyWhenOthersWait)
{
    init(1);
    std::uint32_t a = running_vcpu(0);
    m->now += kSlice;
    sched_tick();
    EXPECT_EQ(hyp_core.pcpu[0].curr, a) << "alone: keeps running";
    std::uint32_t b = add_vcpu(0);
    ASSERT_EQ(unpause(b), 0);
    do_softirq();
    EXPECT_EQ(hyp_core.pcpu[0].curr, a) << "slice not over";
    m->now += kSlice;
    m->log.clear();
    sched_tick();
    EXPECT_EQ(hyp_core.pcpu[0].curr, b);
    EXPECT_GE(sched_record(a, b, HYP_SCHED_SLICE), 0);
    EXPECT_EQ(state(a), HYP_VCPU_RUNNABLE);
    EXPECT_TRUE(sn(a));
    m->now += kSlice;
    sched_tick();
    EXPECT_EQ(hyp_core.pcpu[0].curr, a) << "round robin";
}

TEST_F(Sched, TickTimerArmsOnEntryRearmsWhenDueAndDisarmsWhenIdle)
{
    init(1);
    std::uint32_t v = running_vcpu(0);
    m->on_vm_enter = [](arch_vm_exit* e) {
        e->reason = EXIT_REASON_EXTERNAL_INTERRUPT;
        e->intr_info = INTR_INFO_VALID | kTV;
        m->now += kTick;
        return true;
    };
    m->log.clear();
    loop(0);
    long arm = m->find("set_timer");
    ASSERT_GE(arm, 0);
    EXPECT_EQ(m->log[arm].b, kTV);
    std::uint64_t first = m->log[arm].a;
    long rearm = m->find("set_timer", ~0ull, arm + 1);
    ASSERT_GT(rearm, arm);
    EXPECT_EQ(m->log[rearm].a, first + kTick);
    EXPECT_TRUE(hyp_core.pcpu[0].softirq_pending & (1u << SOFTIRQ_TIMER));
    // idle: the tick is disarmed
    m->on_vm_enter = nullptr;
    loop(0);  // HLT exit: blocks
    EXPECT_EQ(state(v), HYP_VCPU_BLOCKED);
    loop(0);
    EXPECT_GE(m->find("set_timer", 0), 0);
}

TEST_F(Sched, TimerVectorNotDueDoesNotRaiseTick)
{
    init(1);
    running_vcpu(0);
    timer_arm(&hyp_core.pcpu[0]);
    hyp_core.pcpu[0].softirq_pending = 0;
    m->irq_enabled[0] = false;
    hyp_do_irq(kTV);  // a scheduler IPI, not the tick
    EXPECT_EQ(hyp_core.pcpu[0].softirq_pending, 0u);
    EXPECT_GE(m->find("eoi"), 0);
}

TEST_F(Sched, PreemptRequeuesAtTail)
{
    init(1);
    std::uint32_t a = running_vcpu(0);
    std::uint32_t b = add_vcpu(0);
    std::uint32_t c = add_vcpu(0);
    ASSERT_EQ(unpause(b), 0);
    ASSERT_EQ(unpause(c), 0);
    hyp_ctl p = req(HYP_CTL_PREEMPT);
    p.pcpu = 0;
    ASSERT_EQ(ctl({p}).at(0), 0);
    do_softirq();
    EXPECT_EQ(hyp_core.pcpu[0].curr, b);
    EXPECT_GE(sched_record(a, b, HYP_SCHED_PREEMPT), 0);
    ASSERT_EQ(ctl({p}).at(0), 0);
    do_softirq();
    EXPECT_EQ(hyp_core.pcpu[0].curr, c);
    ASSERT_EQ(ctl({p}).at(0), 0);
    do_softirq();
    EXPECT_EQ(hyp_core.pcpu[0].curr, a);
    p.pcpu = 9;
    EXPECT_EQ(ctl({p}).at(0), HYP_EINVAL);
}

TEST_F(Sched, BlockSwitchesToNextRunnable)
{
    init(1);
    std::uint32_t a = running_vcpu(0);
    std::uint32_t b = add_vcpu(0);
    ASSERT_EQ(unpause(b), 0);
    m->irq_enabled[0] = false;
    vcpu_block(&hyp_core.vcpu[a]);
    m->irq_enabled[0] = true;
    m->log.clear();
    do_softirq();
    EXPECT_EQ(hyp_core.pcpu[0].curr, b);
    EXPECT_GE(sched_record(a, b, HYP_SCHED_BLOCK), 0);
    EXPECT_FALSE(hyp_core.vcpu[a].on_runq);
}

TEST_F(Sched, WakeOfVcpuStillCurrentKeepsItRunning)
{
    init(1);
    std::uint32_t v = running_vcpu(0);
    m->irq_enabled[0] = false;
    vcpu_block(&hyp_core.vcpu[v]);
    vcpu_wake(&hyp_core.vcpu[v]);  // before the scheduler ran
    m->irq_enabled[0] = true;
    EXPECT_EQ(state(v), HYP_VCPU_RUNNING);
    do_softirq();
    EXPECT_EQ(hyp_core.pcpu[0].curr, v);
    EXPECT_FALSE(hyp_core.vcpu[v].on_runq);
}

TEST_F(Sched, WakeCtlOnRunnableVcpuIsHarmless)
{
    init(1);
    std::uint32_t v = add_vcpu(0);
    ASSERT_EQ(unpause(v), 0);
    hyp_ctl w = req(HYP_CTL_VCPU_WAKE);
    w.vcpu = v;
    EXPECT_EQ(ctl({w}).at(0), 0);
    EXPECT_EQ(hyp_core.pcpu[0].rq_len, 1u);
    w.vcpu = 42;
    EXPECT_EQ(ctl({w}).at(0), HYP_EINVAL);
}

TEST_F(Sched, MigrationClearsVmcsOnOldPcpuBeforeLoadOnNew)
{
    init(2);
    std::uint32_t v = running_vcpu(0);
    hyp_ctl a = req(HYP_CTL_SET_AFFINITY);
    a.vcpu = v;
    a.pcpu = 1;
    m->log.clear();
    ASSERT_EQ(ctl({a}, 0).at(0), 0);
    m->cpu = 0;
    do_softirq();
    EXPECT_EQ(hyp_core.pcpu[0].curr, HYP_INVALID);
    EXPECT_GE(sched_record(v, HYP_INVALID, HYP_SCHED_MIGRATE), 0);
    long clear = m->find("vmclear", vmcs_pa(v));
    ASSERT_GE(clear, 0);
    EXPECT_EQ(m->log[clear].b, 0u) << "VMCLEAR on the pCPU where the VMCS is active";
    EXPECT_TRUE(sn(v)) << "full switch away from the migrating vCPU";
    long mig = m->find("tr_migrate", v);
    ASSERT_GE(mig, 0);
    EXPECT_EQ(m->log[mig].b, 0u);
    EXPECT_EQ(m->log[mig].c, 1u);
    EXPECT_GE(m->find("ipi", m->apic_id[1]), 0);
    m->cpu = 1;
    do_softirq();
    EXPECT_EQ(hyp_core.pcpu[1].curr, v);
    long load = m->find("vmptrld", vmcs_pa(v), clear);
    ASSERT_GT(load, clear);
    EXPECT_EQ(m->log[load].b, 1u);
    EXPECT_EQ(ndst(v), xapic_ndst(1));
    EXPECT_FALSE(sn(v));
    EXPECT_EQ(hyp_core.vcpu[v].processor, 1u);
}

TEST_F(Sched, MigrationOfRunnableVcpuFromRunQueue)
{
    init(2);
    std::uint32_t a = running_vcpu(0);
    std::uint32_t b = add_vcpu(0);
    ASSERT_EQ(unpause(b), 0);
    hyp_ctl s = req(HYP_CTL_SET_AFFINITY);
    s.vcpu = b;
    s.pcpu = 1;
    ASSERT_EQ(ctl({s}, 0).at(0), 0);
    m->cpu = 0;
    do_softirq();
    EXPECT_EQ(hyp_core.pcpu[0].curr, a);
    EXPECT_EQ(hyp_core.pcpu[0].rq_len, 0u);
    EXPECT_EQ(hyp_core.pcpu[1].rq_len, 1u);
    EXPECT_EQ(m->count("vmclear"), 0) << "its VMCS was never loaded";
    m->cpu = 1;
    do_softirq();
    EXPECT_EQ(hyp_core.pcpu[1].curr, b);
    s.pcpu = 7;
    EXPECT_EQ(ctl({s}, 0).at(0), HYP_EINVAL);
}

TEST_F(Sched, BlockedVcpuMigratesAndIsWokenOnItsNewPcpu)
{
    init(2);
    std::uint32_t v = running_vcpu(0);
    m->irq_enabled[0] = false;
    vcpu_block(&hyp_core.vcpu[v]);
    m->irq_enabled[0] = true;
    do_softirq();
    hyp_ctl s = req(HYP_CTL_SET_AFFINITY);
    s.vcpu = v;
    s.pcpu = 1;
    ASSERT_EQ(ctl({s}, 0).at(0), 0);
    do_softirq();
    EXPECT_EQ(hyp_core.vcpu[v].processor, 1u);
    EXPECT_EQ(state(v), HYP_VCPU_BLOCKED);
    EXPECT_EQ(hyp_core.vcpu[v].pi_block_cpu, 0u) << "stays on the list NDST names";
    EXPECT_FALSE(sn(v));
    // a post: wakeup vector at pCPU 0 wakes v onto pCPU 1
    ASSERT_TRUE(mock::vtd_post(pid_pa(v), 0x61));
    m->cpu = 0;
    m->irq_enabled[0] = false;
    m->log.clear();
    hyp_do_irq(kWV);
    EXPECT_EQ(state(v), HYP_VCPU_RUNNABLE);
    EXPECT_GE(m->find("ipi", m->apic_id[1]), 0);
    m->cpu = 1;
    m->irq_enabled[1] = true;
    do_softirq();
    EXPECT_EQ(hyp_core.pcpu[1].curr, v);
    virq_intr_assist(&hyp_core.vcpu[v]);
    EXPECT_EQ(nv(v), kNV);
    EXPECT_EQ(ndst(v), xapic_ndst(1));
    EXPECT_TRUE(virr(v, 0x61));
}

TEST_F(Sched, TaskletRunsInIdleContextWithLazySwitch)
{
    init(1);
    std::uint32_t v = running_vcpu(0);
    hyp_ctl t = req(HYP_CTL_TASKLET);
    t.pcpu = 0;
    t.arg = 500;
    m->log.clear();
    ASSERT_EQ(ctl({t}).at(0), 0);
    do_softirq();
    EXPECT_EQ(hyp_core.pcpu[0].curr, HYP_INVALID);
    EXPECT_EQ(hyp_core.pcpu[0].ctx, v) << "context kept (lazy)";
    EXPECT_GE(sched_record(v, HYP_INVALID, HYP_SCHED_TASKLET), 0);
    EXPECT_FALSE(sn(v)) << "lazy switch leaves SN alone (Feng Wu, xen-devel, Feb 2016)";
    std::uint64_t t0 = m->now;
    loop(0);  // runs the tasklet
    EXPECT_GE(m->now - t0, 500u);
    EXPECT_EQ(hyp_core.pcpu[0].tasklet_work, 0u);
    m->log.clear();
    do_softirq();
    EXPECT_EQ(hyp_core.pcpu[0].curr, v);
    EXPECT_EQ(m->count("cmpxchg64"), 0) << "no pi_switch_to back into the kept context";
    EXPECT_EQ(m->count("fetch_or64"), 0);
    EXPECT_EQ(m->count("vmptrld"), 0);
    t.arg = 0;
    EXPECT_EQ(ctl({t}).at(0), HYP_EINVAL);
}

TEST_F(Sched, LazyContextIsSwitchedFullyWhenAnotherVcpuRuns)
{
    init(1);
    std::uint32_t a = running_vcpu(0);
    std::uint32_t b = add_vcpu(0);
    m->irq_enabled[0] = false;
    vcpu_block(&hyp_core.vcpu[a]);
    m->irq_enabled[0] = true;
    do_softirq();  // idle, a's context kept
    ASSERT_EQ(hyp_core.pcpu[0].ctx, a);
    ASSERT_EQ(unpause(b), 0);
    m->log.clear();
    do_softirq();
    EXPECT_EQ(hyp_core.pcpu[0].curr, b);
    EXPECT_EQ(hyp_core.pcpu[0].ctx, b);
    EXPECT_FALSE(sn(a)) << "blocked: switch_from leaves it";
    EXPECT_GE(m->find("vmptrld", vmcs_pa(b)), 0);
}

TEST_F(Sched, OfflineMovesRunningAndQueuedVcpusAndOnlineBringsThemBack)
{
    init(2);
    std::uint32_t a = running_vcpu(1);
    std::uint32_t b = add_vcpu(1);
    ASSERT_EQ(unpause(b, 1), 0);
    hyp_ctl off = req(HYP_CTL_PCPU_OFFLINE);
    off.pcpu = 1;
    ASSERT_EQ(ctl({off}, 0).at(0), 0);
    m->cpu = 1;
    m->log.clear();
    do_softirq();
    EXPECT_FALSE(hyp_core.pcpu[1].online);
    EXPECT_EQ(hyp_core.pcpu[1].curr, HYP_INVALID);
    EXPECT_GE(sched_record(a, HYP_INVALID, HYP_SCHED_OFFLINE), 0);
    EXPECT_GE(m->find("vmclear", vmcs_pa(a)), 0);
    EXPECT_EQ(hyp_core.vcpu[a].processor, 0u);
    EXPECT_EQ(hyp_core.vcpu[b].processor, 0u);
    EXPECT_EQ(hyp_core.pcpu[0].rq_len, 2u);
    hyp_ctl t = req(HYP_CTL_TASKLET);
    t.pcpu = 1;
    t.arg = 10;
    EXPECT_EQ(ctl({t}, 0).at(0), HYP_EINVAL) << "offline pCPU";
    m->cpu = 0;
    do_softirq();
    EXPECT_EQ(hyp_core.pcpu[0].curr, a);
    // online again: the home pCPU takes its vCPUs back
    hyp_ctl on_ = req(HYP_CTL_PCPU_ONLINE);
    on_.pcpu = 1;
    ASSERT_EQ(ctl({on_}, 0).at(0), 0);
    EXPECT_EQ(ctl({on_}, 0).at(0), HYP_EEXIST);
    m->cpu = 0;
    do_softirq();
    EXPECT_EQ(hyp_core.vcpu[a].processor, 1u);
    EXPECT_EQ(hyp_core.vcpu[b].processor, 1u);
    m->cpu = 1;
    do_softirq();
    EXPECT_NE(hyp_core.pcpu[1].curr, HYP_INVALID);
}

TEST_F(Sched, RecursiveLockIsAnInvariantViolation)
{
    init(1);
    spin_lock(&hyp_core.pcpu[0].sched_lock);
    EXPECT_THROW(spin_lock(&hyp_core.pcpu[0].sched_lock), mock::AssertFailure);
}

TEST_F(Sched, SecondPcpuRunsItsOwnLoop)
{
    init(2);
    std::uint32_t a = add_vcpu(0);
    std::uint32_t b = add_vcpu(1);
    ASSERT_EQ(assign(), 0);
    ASSERT_EQ(unpause(a, 0), 0);
    ASSERT_EQ(unpause(b, 0), 0);
    std::vector<std::pair<std::uint32_t, std::uint64_t>> entries;
    m->on_vm_enter = [&](arch_vm_exit* e) {
        entries.emplace_back(m->cpu, m->current_vmcs[m->cpu]);
        e->reason = EXIT_REASON_HLT;
        return true;
    };
    loop(0);
    loop(1);
    ASSERT_EQ(entries.size(), 2u);
    EXPECT_EQ(entries[0], std::make_pair(0u, vmcs_pa(a)));
    EXPECT_EQ(entries[1], std::make_pair(1u, vmcs_pa(b)));
    EXPECT_EQ(ndst(a), xapic_ndst(0));
    EXPECT_EQ(ndst(b), xapic_ndst(1));
}

}  // namespace

namespace {

class SchedEdge : public HypTest {};

TEST_F(SchedEdge, UnpauseOfVcpuWhosePcpuIsOfflineRunsElsewhere)
{
    init(2);
    std::uint32_t v = add_vcpu(1);
    hyp_ctl off = req(HYP_CTL_PCPU_OFFLINE);
    off.pcpu = 1;
    ASSERT_EQ(ctl({off}, 0).at(0), 0);
    // the offline pCPU has not processed its request yet: v stays offline
    // and is moved when it is unpaused
    hyp_core.pcpu[1].online = false;
    hyp_core.pcpu[1].offline_pending = false;
    ASSERT_EQ(unpause(v, 0), 0);
    EXPECT_EQ(hyp_core.vcpu[v].processor, 0u);
    EXPECT_TRUE(hyp_core.vcpu[v].on_runq);
    EXPECT_EQ(hyp_core.pcpu[0].rq_len, 1u);
}

TEST_F(SchedEdge, MigrationCancelledByAffinityChangeBackKeepsVcpu)
{
    init(2);
    std::uint32_t v = add_vcpu(0);
    ASSERT_EQ(assign(), 0);
    ASSERT_EQ(unpause(v), 0);
    mock::m->cpu = 0;
    do_softirq();
    hyp_ctl a = req(HYP_CTL_SET_AFFINITY);
    a.vcpu = v;
    a.pcpu = 1;
    ASSERT_EQ(ctl({a}, 0).at(0), 0);
    // the affinity returns to pCPU 0 between the decision and the move
    bool done = false;
    mock::m->after_call = [&](const mock::Call& c) {
        if (!done && c.name == "tr_schedule") {
            done = true;
            hyp_core.vcpu[v].affinity = 0;
        }
    };
    do_softirq();
    mock::m->after_call = nullptr;
    ASSERT_TRUE(done);
    EXPECT_EQ(hyp_core.vcpu[v].processor, 0u);
    do_softirq();
    EXPECT_EQ(hyp_core.pcpu[0].curr, v);
}

}  // namespace

namespace {

class Boost : public HypTest {
protected:
    std::uint32_t running_vcpu(std::uint32_t cpu)
    {
        std::uint32_t v = unpaused_vcpu(cpu);
        mock::m->cpu = cpu;
        do_softirq();
        return v;
    }
};

TEST_F(Boost, WokenVcpuPreemptsUnboostedCurrentAndLosesBoostWhenSwitchedOut)
{
    init(1);
    std::uint32_t a = running_vcpu(0);
    mock::m->irq_enabled[0] = false;
    vcpu_block(&hyp_core.vcpu[a]);
    mock::m->irq_enabled[0] = true;
    std::uint32_t b = add_vcpu(0);
    ASSERT_EQ(unpause(b), 0);
    std::uint32_t c = add_vcpu(0);
    ASSERT_EQ(unpause(c), 0);
    do_softirq();
    ASSERT_EQ(hyp_core.pcpu[0].curr, b);
    // a's post arrives: the wakeup vector wakes it with BOOST
    ASSERT_TRUE(mock::vtd_post(pid_pa(a), 0x61));
    mock::m->irq_enabled[0] = false;
    hyp_do_irq(kWV);
    mock::m->irq_enabled[0] = true;
    EXPECT_TRUE(hyp_core.vcpu[a].boost);
    EXPECT_EQ(hyp_core.pcpu[0].rq_head, a) << "ahead of c";
    mock::m->log.clear();
    do_softirq();
    EXPECT_EQ(hyp_core.pcpu[0].curr, a) << "preempts b before its slice ends";
    long s = mock::m->find("tr_schedule", b);
    ASSERT_GE(s, 0);
    EXPECT_EQ(mock::m->log[s].c, HYP_SCHED_WAKE);
    EXPECT_EQ(hyp_core.pcpu[0].rq_head, c);
    EXPECT_EQ(hyp_core.vcpu[c].rq_next, b);
    // a tick ends the boost; then the slice rotates normally
    sched_tick();
    EXPECT_FALSE(hyp_core.vcpu[a].boost);
}

TEST_F(Boost, BoostedCurrentIsNotPreemptedByAnotherWake)
{
    init(1);
    std::uint32_t a = running_vcpu(0);
    std::uint32_t b = add_vcpu(0);
    ASSERT_EQ(unpause(b), 0);
    hyp_core.vcpu[a].boost = true;
    vcpu_set_state(&hyp_core.vcpu[b], HYP_VCPU_BLOCKED);
    spin_lock(&hyp_core.pcpu[0].sched_lock);
    runq_remove(&hyp_core.pcpu[0], &hyp_core.vcpu[b]);
    spin_unlock(&hyp_core.pcpu[0].sched_lock);
    vcpu_wake(&hyp_core.vcpu[b]);
    do_softirq();
    EXPECT_EQ(hyp_core.pcpu[0].curr, a);
}

}  // namespace
