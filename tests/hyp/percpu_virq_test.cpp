// Per-pCPU guest interrupt tests (percpu_virq.c; xen-devel, "Using
// IRQ_GUEST|IRQ_PER_CPU to signal "delivery to current vcpu"?"): a firing goes to
// the vCPU resident on the pCPU; its pending and active state is saved on a
// context switch away and restored on switch-in; a firing still waiting
// behind IF=0 when the switch happens belongs to the previous vCPU; with no
// resident context it is dropped; after a lazy switch it stays with (and
// wakes) the lazily kept vCPU; while active a new firing waits for the EOI.
#include "hyp_fixture.h"

using mock::m;

namespace {

class PercpuVirq : public HypTest {
protected:
    static constexpr std::uint8_t kPV = 0xE0;    // host vector of the source
    static constexpr std::uint8_t kGV = 0x50;    // guest vector of domain 1
    static constexpr std::uint64_t kStatus = 0x60000;

    void init_ppi(std::uint32_t ncpus, hyp_irq_mode mode = HYP_IRQ_VTD_PI)
    {
        hyp_config c = config(ncpus, mode);
        c.percpu_vector = kPV;
        c.percpu_status_pa = kStatus;
        ASSERT_EQ(hyp_init(&c), 0);
        ASSERT_EQ(hyp_domain_create(1), 0);
        for (std::uint32_t i = 0; i < ncpus; i++)
            m->irq_enabled[i] = true;
        hyp_ctl v = req(HYP_CTL_PERCPU_VIRQ);
        v.domain = 1;
        v.vector = kGV;
        ASSERT_EQ(ctl({v}).at(0), 0);
    }
    std::uint32_t running_vcpu(std::uint32_t cpu)
    {
        std::uint32_t v = unpaused_vcpu(cpu);
        run_scheduler(cpu);
        EXPECT_EQ(hyp_core.pcpu[cpu].curr, v);
        return v;
    }
    void run_scheduler(std::uint32_t cpu)
    {
        m->cpu = cpu;
        m->irq_enabled[cpu] = true;
        do_softirq();
    }
    /// The source fires on `cpu`: its status word first (the device's
    /// write), then its host vector would be raised at the local APIC.
    void fire(std::uint32_t cpu) { m->wr64(kStatus + 8ull * cpu, 1); }
    /// The host vector is taken on `cpu` (root mode or an exit, IF=0).
    void take_vector(std::uint32_t cpu)
    {
        m->cpu = cpu;
        m->irq_enabled[cpu] = false;
        hyp_do_irq(kPV);
        m->irq_enabled[cpu] = true;
    }
    /// The VM-entry path's per-pCPU assist for the current vCPU of `cpu`
    /// (step 2, IF=1: it disables interrupts around its update itself).
    void entry_assist(std::uint32_t cpu)
    {
        m->cpu = cpu;
        m->irq_enabled[cpu] = true;
        std::size_t from = m->log.size();
        percpu_virq_assist(&hyp_core.vcpu[hyp_core.pcpu[cpu].curr]);
        long off = m->find("irq_disable", ~0ull, from);
        if (off >= 0) {
            EXPECT_GE(m->find("irq_enable", ~0ull, off), off) << "IF restored";
        }
        EXPECT_TRUE(m->irq_enabled[cpu]);
    }
    static bool pir(std::uint32_t v, std::uint8_t vec)
    {
        return (m->rd64(pid_pa(v) + 8ull * (vec >> 6)) >> (vec & 63)) & 1;
    }
    /// The guest took the posted vector (CPU posted-interrupt processing).
    static void guest_takes(std::uint32_t v) { mock::cpu_process_posted(pid_pa(v), vapic_pa(v)); }
    void preempt(std::uint32_t cpu)
    {
        hyp_ctl p = req(HYP_CTL_PREEMPT);
        p.pcpu = cpu;
        ASSERT_EQ(ctl({p}, cpu).at(0), 0);
        run_scheduler(cpu);
    }
    void guest_eoi(std::uint32_t cpu, std::uint8_t vector)
    {
        m->cpu = cpu;
        m->irq_enabled[cpu] = false;
        arch_vm_exit e{};
        e.reason = EXIT_REASON_EOI_INDUCED;
        e.qualification = vector;
        vmexit_handler(&hyp_core.vcpu[hyp_core.pcpu[cpu].curr], &e);
        m->irq_enabled[cpu] = true;
    }
    long step(std::uint32_t vcpu, std::uint32_t what, std::size_t from = 0)
    {
        for (std::size_t i = from; i < m->log.size(); i++)
            if (m->log[i].name == "tr_percpu_virq" && m->log[i].a == vcpu && m->log[i].b == what)
                return static_cast<long>(i);
        return -1;
    }
    const struct percpu_virq_state& live(std::uint32_t cpu) { return hyp_core.pcpu[cpu].ppi; }
};

TEST_F(PercpuVirq, ConfigurationIsValidated)
{
    hyp_config c = config(1, HYP_IRQ_VTD_PI);
    c.percpu_vector = kTV;
    c.percpu_status_pa = kStatus;
    EXPECT_EQ(hyp_init(&c), HYP_EINVAL) << "shares the timer vector";
    c.percpu_vector = kPV;
    c.percpu_status_pa = kStatus + 4;
    EXPECT_EQ(hyp_init(&c), HYP_EINVAL) << "status word not 8-byte aligned";
    c.percpu_vector = 0;
    ASSERT_EQ(hyp_init(&c), 0);
    ASSERT_EQ(hyp_domain_create(1), 0);
    hyp_ctl v = req(HYP_CTL_PERCPU_VIRQ);
    v.domain = 1;
    v.vector = kGV;
    m->irq_enabled[0] = true;
    EXPECT_EQ(ctl({v}).at(0), HYP_EINVAL) << "no per-pCPU source configured";
}

TEST_F(PercpuVirq, FiringGoesToTheCurrentVcpuAndItsEoiExits)
{
    init_ppi(1);
    std::uint32_t a = running_vcpu(0);
    fire(0);
    m->log.clear();
    take_vector(0);
    EXPECT_GE(m->find("eoi"), 0) << "the host vector is dismissed";
    long x = m->find("xchg64", kStatus);
    ASSERT_GE(x, 0) << "status word read-and-cleared";
    EXPECT_EQ(m->rd64(kStatus), 0u);
    EXPECT_GE(step(a, HYP_PERCPU_LATCH), x);
    EXPECT_TRUE(live(0).pending);
    EXPECT_TRUE(hyp_core.pcpu[0].softirq_pending & (1u << SOFTIRQ_VCPU_KICK))
        << "the current vCPU goes back through the entry path";
    entry_assist(0);
    EXPECT_TRUE(pir(a, kGV));
    EXPECT_TRUE(on(a)) << "ON set: the entry check merges it without a notification";
    EXPECT_FALSE(live(0).pending);
    EXPECT_TRUE(live(0).active);
    EXPECT_TRUE((field(a, VMCS_EOI_EXIT_BITMAP1) >> (kGV - 64)) & 1)
        << "the guest's EOI of the vector exits";
    m->irq_enabled[0] = true;
    virq_intr_assist(&hyp_core.vcpu[a]);  // the mode's assist right after it
    EXPECT_TRUE(virr(a, kGV));
    guest_eoi(0, 0x61);
    EXPECT_TRUE(live(0).active) << "another vector's EOI";
    guest_eoi(0, kGV);
    EXPECT_FALSE(live(0).active);
}

// The handler latched the firing for A, A is switched away before its next
// VM entry: B does not get it; A does when it runs again.
TEST_F(PercpuVirq, PendingNotYetTakenStaysWithItsVcpuAcrossASwitch)
{
    init_ppi(1);
    std::uint32_t a = running_vcpu(0);
    std::uint32_t b = add_vcpu(0);
    ASSERT_EQ(unpause(b), 0);
    fire(0);
    take_vector(0);
    ASSERT_TRUE(live(0).pending);
    m->log.clear();
    preempt(0);
    ASSERT_EQ(hyp_core.pcpu[0].curr, b);
    long save = step(a, HYP_PERCPU_SAVE);
    long restore = step(b, HYP_PERCPU_RESTORE);
    ASSERT_GE(save, 0);
    EXPECT_GT(restore, save) << "save away before restore in";
    EXPECT_GT(m->find("vmptrld", vmcs_pa(b)), save);
    EXPECT_TRUE(hyp_core.vcpu[a].ppi.pending);
    EXPECT_FALSE(live(0).pending);
    entry_assist(0);
    EXPECT_FALSE(pir(b, kGV)) << "B is not the vCPU that was resident when it fired";
    EXPECT_LT(step(b, HYP_PERCPU_INJECT), 0);
    preempt(0);
    ASSERT_EQ(hyp_core.pcpu[0].curr, a);
    EXPECT_TRUE(live(0).pending);
    EXPECT_FALSE(hyp_core.vcpu[a].ppi.pending);
    entry_assist(0);
    EXPECT_TRUE(pir(a, kGV)) << "delivered when A runs again";
}

// The source fired while A was resident but its host vector still waits
// behind IF=0 when the scheduler switches to B: the save reads the status
// word, so the firing is A's; the handler that runs afterwards finds nothing.
TEST_F(PercpuVirq, FiringBehindIfZeroAtTheSwitchIsChargedToThePreviousVcpu)
{
    init_ppi(1);
    std::uint32_t a = running_vcpu(0);
    std::uint32_t b = add_vcpu(0);
    ASSERT_EQ(unpause(b), 0);
    hyp_ctl p = req(HYP_CTL_PREEMPT);
    p.pcpu = 0;
    ASSERT_EQ(ctl({p}).at(0), 0);
    fire(0);  // host vector pending in the local APIC; IF=0 in schedule()
    m->log.clear();
    run_scheduler(0);
    ASSERT_EQ(hyp_core.pcpu[0].curr, b);
    long x = m->find("xchg64", kStatus);
    long save = step(a, HYP_PERCPU_SAVE);
    ASSERT_GE(x, 0);
    EXPECT_LT(x, save) << "status read before the state is saved";
    EXPECT_GE(step(a, HYP_PERCPU_LATCH), 0);
    EXPECT_TRUE(hyp_core.vcpu[a].ppi.pending);
    take_vector(0);  // now IF=1: the handler runs with B resident
    EXPECT_FALSE(live(0).pending) << "nothing for B";
    EXPECT_LT(step(b, HYP_PERCPU_LATCH), 0);
    entry_assist(0);
    EXPECT_FALSE(pir(b, kGV));
    preempt(0);
    entry_assist(0);
    EXPECT_TRUE(pir(a, kGV));
}

TEST_F(PercpuVirq, FiringWithNoResidentContextIsDropped)
{
    init_ppi(2);
    std::uint32_t a = running_vcpu(0);
    hyp_ctl pin = req(HYP_CTL_SET_AFFINITY);
    pin.vcpu = a;
    pin.pcpu = 1;
    ASSERT_EQ(ctl({pin}, 0).at(0), 0);
    run_scheduler(0);
    ASSERT_EQ(hyp_core.vcpu[a].processor, 1u);
    ASSERT_EQ(hyp_core.pcpu[0].ctx, HYP_INVALID);
    fire(0);
    m->log.clear();
    take_vector(0);
    EXPECT_GE(step(HYP_INVALID, HYP_PERCPU_DROP), 0);
    EXPECT_FALSE(live(0).pending);
    std::uint32_t b = add_vcpu(0);
    ASSERT_EQ(unpause(b, 0), 0);
    run_scheduler(0);
    ASSERT_EQ(hyp_core.pcpu[0].curr, b);
    entry_assist(0);
    EXPECT_FALSE(pir(b, kGV)) << "not handed to the next vCPU";
    run_scheduler(1);
    ASSERT_EQ(hyp_core.pcpu[1].curr, a);
    entry_assist(1);
    EXPECT_FALSE(pir(a, kGV));
}

// After a lazy switch the previous context is still resident: the firing
// is its, and wakes it when it is blocked.
TEST_F(PercpuVirq, LazyIdleKeepsTheFiringForTheResidentVcpuAndWakesIt)
{
    init_ppi(1);
    std::uint32_t a = running_vcpu(0);
    m->irq_enabled[0] = false;
    vcpu_block(&hyp_core.vcpu[a]);
    run_scheduler(0);
    ASSERT_EQ(hyp_core.pcpu[0].curr, HYP_INVALID);
    ASSERT_EQ(hyp_core.pcpu[0].ctx, a);
    fire(0);
    take_vector(0);
    EXPECT_TRUE(live(0).pending);
    EXPECT_EQ(state(a), HYP_VCPU_RUNNABLE) << "woken";
    m->log.clear();
    run_scheduler(0);
    ASSERT_EQ(hyp_core.pcpu[0].curr, a);
    EXPECT_LT(step(a, HYP_PERCPU_RESTORE), 0) << "same context: nothing to restore";
    entry_assist(0);
    EXPECT_TRUE(pir(a, kGV));
}

TEST_F(PercpuVirq, TaskletPreemptionKeepsTheFiringForTheRunnableVcpu)
{
    init_ppi(1);
    std::uint32_t a = running_vcpu(0);
    hyp_ctl t = req(HYP_CTL_TASKLET);
    t.pcpu = 0;
    t.arg = 300;
    ASSERT_EQ(ctl({t}).at(0), 0);
    run_scheduler(0);
    ASSERT_EQ(hyp_core.pcpu[0].curr, HYP_INVALID);
    fire(0);
    take_vector(0);
    EXPECT_TRUE(live(0).pending);
    EXPECT_EQ(state(a), HYP_VCPU_RUNNABLE);
    loop(0);  // the tasklet
    run_scheduler(0);
    ASSERT_EQ(hyp_core.pcpu[0].curr, a);
    entry_assist(0);
    EXPECT_TRUE(pir(a, kGV));
}

TEST_F(PercpuVirq, WhileActiveANewFiringWaitsForTheEoi)
{
    init_ppi(1);
    std::uint32_t a = running_vcpu(0);
    fire(0);
    take_vector(0);
    entry_assist(0);
    guest_takes(a);
    ASSERT_TRUE(live(0).active);
    fire(0);
    take_vector(0);
    EXPECT_TRUE(live(0).pending);
    entry_assist(0);
    EXPECT_FALSE(pir(a, kGV)) << "held while the guest has it in service";
    guest_eoi(0, kGV);
    EXPECT_FALSE(live(0).active);
    EXPECT_TRUE(live(0).pending);
    entry_assist(0);
    EXPECT_TRUE(pir(a, kGV));
    EXPECT_TRUE(live(0).active);
}

TEST_F(PercpuVirq, ActiveStateIsSavedAndRestoredWithItsVcpu)
{
    init_ppi(1);
    std::uint32_t a = running_vcpu(0);
    std::uint32_t b = add_vcpu(0);
    ASSERT_EQ(unpause(b), 0);
    fire(0);
    take_vector(0);
    entry_assist(0);
    guest_takes(a);
    ASSERT_TRUE(live(0).active);
    preempt(0);
    ASSERT_EQ(hyp_core.pcpu[0].curr, b);
    EXPECT_TRUE(hyp_core.vcpu[a].ppi.active);
    EXPECT_FALSE(live(0).active) << "B starts with its own state";
    fire(0);
    take_vector(0);
    entry_assist(0);
    EXPECT_TRUE(pir(b, kGV)) << "B is not held back by A's active interrupt";
    guest_takes(b);
    preempt(0);
    ASSERT_EQ(hyp_core.pcpu[0].curr, a);
    EXPECT_TRUE(live(0).active);
    EXPECT_TRUE(hyp_core.vcpu[b].ppi.active);
    guest_eoi(0, kGV);
    EXPECT_FALSE(live(0).active);
    EXPECT_TRUE(hyp_core.vcpu[b].ppi.active) << "A's EOI leaves B's state alone";
}

TEST_F(PercpuVirq, PendingStateMigratesWithItsVcpu)
{
    init_ppi(2);
    std::uint32_t a = running_vcpu(0);
    std::uint32_t b = add_vcpu(0);
    ASSERT_EQ(unpause(b), 0);
    fire(0);
    take_vector(0);
    hyp_ctl pin = req(HYP_CTL_SET_AFFINITY);
    pin.vcpu = a;
    pin.pcpu = 1;
    ASSERT_EQ(ctl({pin}, 0).at(0), 0);
    run_scheduler(0);
    ASSERT_EQ(hyp_core.pcpu[0].curr, b);
    ASSERT_EQ(hyp_core.vcpu[a].processor, 1u);
    EXPECT_TRUE(hyp_core.vcpu[a].ppi.pending);
    run_scheduler(1);
    ASSERT_EQ(hyp_core.pcpu[1].curr, a);
    EXPECT_TRUE(live(1).pending);
    entry_assist(1);
    EXPECT_TRUE(pir(a, kGV));
    entry_assist(0);
    EXPECT_FALSE(pir(b, kGV));
}

TEST_F(PercpuVirq, ApicvModeUsesTheSoftwarePendingBitmap)
{
    init_ppi(1, HYP_IRQ_APICV);
    std::uint32_t a = running_vcpu(0);
    fire(0);
    take_vector(0);
    entry_assist(0);
    EXPECT_TRUE((hyp_core.vcpu[a].pending[kGV >> 6] >> (kGV & 63)) & 1);
    EXPECT_FALSE(pir(a, kGV));
    EXPECT_TRUE((field(a, VMCS_EOI_EXIT_BITMAP1) >> (kGV - 64)) & 1);
}

TEST_F(PercpuVirq, EmulatedModeEoiComesFromTheSoftwareVlapic)
{
    init_ppi(1, HYP_IRQ_EMULATED);
    std::uint32_t a = running_vcpu(0);
    fire(0);
    take_vector(0);
    entry_assist(0);
    EXPECT_TRUE((hyp_core.vcpu[a].pending[kGV >> 6] >> (kGV & 63)) & 1);
    m->irq_enabled[0] = false;
    m->vmcs[vmcs_pa(a)][VMCS_GUEST_RFLAGS] = RFLAGS_IF;
    vlapic_intr_assist(&hyp_core.vcpu[a]);  // injects kGV: in service
    EXPECT_TRUE(hyp_core.vcpu[a].vlapic_isr[kGV >> 5] & (1u << (kGV & 31)));
    EXPECT_TRUE(live(0).active);
    vlapic_eoi(&hyp_core.vcpu[a]);
    EXPECT_FALSE(live(0).active);
}

}  // namespace
