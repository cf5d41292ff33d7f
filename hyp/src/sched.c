/*
 * sched.c - the scheduler: per-pCPU run queues, time slices, block/wake,
 * migration, tasklets in idle context, pCPU offline/online
 * [Xen xen/common/schedule.c, sched_credit.c; Xen docs/misc/vtd-pi.txt].
 *
 * Policy: round robin per pCPU. A vCPU runs for hyp_config.time_slice cycles
 * when others wait on the same run queue; the tick (irq.c) checks slices.
 * A vCPU woken from blocked gets BOOST (Xen credit1 CSCHED_PRI_TS_BOOST): it
 * is queued ahead of unboosted vCPUs and preempts an unboosted current vCPU;
 * it loses the boost when switched out or at the next tick while running.
 * Affinity: a home pCPU (`affinity`) and a hard-affinity mask of the pCPUs
 * the vCPU may run on (`affinity_mask`; pinning sets both to one pCPU). A
 * vCPU stays on a pCPU of its mask it was moved to by load balancing, else
 * goes home; when no pCPU of its mask is online it runs on the lowest-
 * numbered online pCPU (Xen breaks affinity likewise). Idle pCPUs pull
 * queued vCPUs from the busiest run queue (sched_balance.c).
 *
 * Every migration is carried out by the pCPU that owns the vCPU (its
 * `processor`), so VMCLEAR happens on the pCPU where the VMCS is active,
 * before any VMPTRLD on the new one [SDM 24.11.1]. Switching to idle is
 * lazy: the previous vCPU's PID is left alone (Feng Wu, xen-devel, Feb 2016).
 */
#include "hyp_core.h"
#include "pi.h"

static spinlock_t hotplug_lock __attribute__((aligned(64))); /* its own line, wherever linked */

uint32_t vcpu_schedule_lock(struct vcpu *v, bool *flags)
{
    for (;;) {
        uint32_t cpu = hyp_atomic_load_n(&v->processor, __ATOMIC_ACQUIRE);
        bool f = spin_lock_irqsave(&hyp_core.pcpu[cpu].sched_lock);
        if (hyp_atomic_load_n(&v->processor, __ATOMIC_ACQUIRE) == cpu) {
            *flags = f;
            return cpu;
        }
        spin_unlock_irqrestore(&hyp_core.pcpu[cpu].sched_lock, f);
    }
}

void vcpu_schedule_unlock(uint32_t cpu, bool flags)
{
    spin_unlock_irqrestore(&hyp_core.pcpu[cpu].sched_lock, flags);
}

void vcpu_set_state(struct vcpu *v, uint32_t new_state)
{
    uint32_t old = hyp_atomic_exchange_n(&v->state, new_state, __ATOMIC_ACQ_REL);
    if (old != new_state)
        hyp_trace(HYP_TR_VCPU_STATE, v->id, old, new_state, 0);
}

bool sched_pcpu_usable(uint32_t cpu)
{
    return cpu < hyp_core.nr_pcpus &&
           hyp_atomic_load_n(&hyp_core.pcpu[cpu].online, __ATOMIC_ACQUIRE) &&
           !hyp_atomic_load_n(&hyp_core.pcpu[cpu].offline_pending, __ATOMIC_ACQUIRE);
}
#define pcpu_usable sched_pcpu_usable

/* Hard affinity: may v run on pCPU `cpu`? */
bool sched_may_run_on(const struct vcpu *v, uint32_t cpu)
{
    return cpu < hyp_core.nr_pcpus &&
           ((hyp_atomic_load_n(&v->affinity_mask, __ATOMIC_ACQUIRE) >> cpu) & 1u) != 0;
}

/* Where v belongs: its current pCPU if the mask allows it there and it is
 * not home (load balancing put it there), else home, else the lowest
 * online pCPU of its mask, else the lowest online pCPU. */
uint32_t vcpu_target_cpu(const struct vcpu *v)
{
    uint32_t a = hyp_atomic_load_n(&v->affinity, __ATOMIC_ACQUIRE);
    uint32_t p = hyp_atomic_load_n(&v->processor, __ATOMIC_ACQUIRE);
    if (p != a && sched_may_run_on(v, p) && pcpu_usable(p))
        return p;
    if (pcpu_usable(a))
        return a;
    for (uint32_t c = 0; c < hyp_core.nr_pcpus; c++)
        if (sched_may_run_on(v, c) && pcpu_usable(c))
            return c;
    for (uint32_t c = 0; c < hyp_core.nr_pcpus; c++)
        if (pcpu_usable(c))
            return c;
    return a;
}

bool vcpu_is_running(const struct vcpu *v)
{
    uint32_t cpu = hyp_atomic_load_n(&v->processor, __ATOMIC_ACQUIRE);
    return vcpu_state(v) == HYP_VCPU_RUNNING &&
           hyp_atomic_load_n(&hyp_core.pcpu[cpu].curr, __ATOMIC_ACQUIRE) == v->id;
}

/* ---- run queue (under pc->sched_lock) ---------------------------------- */

void runq_insert(struct pcpu *pc, struct vcpu *v)
{
    HYP_ASSERT(spin_is_locked_by_me(&pc->sched_lock));
    HYP_ASSERT(v->processor == pc->id);
    if (v->on_runq)
        return;
    v->rq_next = HYP_INVALID;
    if (pc->rq_tail == HYP_INVALID)
        pc->rq_head = v->id;
    else
        hyp_core.vcpu[pc->rq_tail].rq_next = v->id;
    pc->rq_tail = v->id;
    pc->rq_len++;
    v->on_runq = true;
}

/* Queue a boosted vCPU behind the boosted ones, ahead of the others.
 * Always inlined: the port charges cycles per compiled basic block, and the
 * wake path should not pay for a call because a second caller exists. */
static inline __attribute__((always_inline)) void runq_insert_boosted(struct pcpu *pc,
                                                                     struct vcpu *v)
{
    HYP_ASSERT(spin_is_locked_by_me(&pc->sched_lock));
    if (v->on_runq)
        return;
    uint32_t prev = HYP_INVALID, id = pc->rq_head;
    while (id != HYP_INVALID && hyp_core.vcpu[id].boost) {
        prev = id;
        id = hyp_core.vcpu[id].rq_next;
    }
    v->rq_next = id;
    if (prev == HYP_INVALID)
        pc->rq_head = v->id;
    else
        hyp_core.vcpu[prev].rq_next = v->id;
    if (id == HYP_INVALID)
        pc->rq_tail = v->id;
    pc->rq_len++;
    v->on_runq = true;
}

static void runq_insert_head(struct pcpu *pc, struct vcpu *v)
{
    HYP_ASSERT(spin_is_locked_by_me(&pc->sched_lock));
    if (v->on_runq)
        return;
    v->rq_next = pc->rq_head;
    pc->rq_head = v->id;
    if (pc->rq_tail == HYP_INVALID)
        pc->rq_tail = v->id;
    pc->rq_len++;
    v->on_runq = true;
}

void runq_remove(struct pcpu *pc, struct vcpu *v)
{
    HYP_ASSERT(spin_is_locked_by_me(&pc->sched_lock));
    if (!v->on_runq)
        return;
    uint32_t prev = HYP_INVALID, id = pc->rq_head;
    while (id != HYP_INVALID && id != v->id) {
        prev = id;
        id = hyp_core.vcpu[id].rq_next;
    }
    HYP_ASSERT(id == v->id);
    if (prev == HYP_INVALID)
        pc->rq_head = v->rq_next;
    else
        hyp_core.vcpu[prev].rq_next = v->rq_next;
    if (pc->rq_tail == v->id)
        pc->rq_tail = prev;
    v->rq_next = HYP_INVALID;
    v->on_runq = false;
    HYP_ASSERT(pc->rq_len > 0);
    pc->rq_len--;
}

static struct vcpu *runq_pop(struct pcpu *pc)
{
    if (pc->rq_head == HYP_INVALID)
        return NULL;
    struct vcpu *v = &hyp_core.vcpu[pc->rq_head];
    runq_remove(pc, v);
    return v;
}

/* ---- wake / block ------------------------------------------------------- */

int vcpu_unpause(struct vcpu *v)
{
    bool f;
    uint32_t cpu = vcpu_schedule_lock(v, &f);
    if (vcpu_state(v) != HYP_VCPU_OFFLINE) {
        vcpu_schedule_unlock(cpu, f);
        return HYP_EBUSY;
    }
    uint32_t to = vcpu_target_cpu(v);
    if (to != cpu) {
        /* its pCPU is offline: a vCPU that never ran has no VMCS state to
         * move, so it changes run queue here */
        HYP_ASSERT(v->vmcs_cpu == HYP_INVALID && !v->on_runq);
        hyp_atomic_store_n(&v->processor, to, __ATOMIC_RELEASE);
        hyp_trace(HYP_TR_MIGRATE, v->id, cpu, to, 0);
        vcpu_schedule_unlock(cpu, f);
        cpu = vcpu_schedule_lock(v, &f);
    }
    vcpu_set_state(v, HYP_VCPU_RUNNABLE);
    runq_insert(&hyp_core.pcpu[cpu], v);
    vcpu_schedule_unlock(cpu, f);
    cpu_raise_softirq(cpu, SOFTIRQ_SCHEDULE);
    return 0;
}

/* Make blocked v runnable (or running again if it is still the current
 * vCPU of its pCPU `pc`); under v's scheduler lock. Returns true if `pc`
 * must schedule. Always inlined, like runq_insert_boosted. */
static inline __attribute__((always_inline)) bool vcpu_unblock_locked(struct pcpu *pc,
                                                                      struct vcpu *v)
{
    if (pc->curr == v->id) {
        vcpu_set_state(v, HYP_VCPU_RUNNING);
        return false;
    }
    vcpu_set_state(v, HYP_VCPU_RUNNABLE);
    v->boost = true;
    runq_insert_boosted(pc, v);
    return true;
}

/* Xen vcpu_wake/vcpu_unblock: a blocked vCPU that is still the current one
 * of its pCPU (it has not been switched away yet) simply keeps running;
 * otherwise it becomes runnable on its pCPU, which is asked to schedule.
 * The wake of an interrupt: the interrupt is pending (PIR, VIRR or the
 * software-pending bits) when the vCPU next enters, so a re-check asked by
 * vcpu_wake_recheck does not halt it again. */
void vcpu_wake(struct vcpu *v)
{
    bool f, kick = false;
    uint32_t cpu = vcpu_schedule_lock(v, &f);
    if (vcpu_state(v) == HYP_VCPU_BLOCKED)
        kick = vcpu_unblock_locked(&hyp_core.pcpu[cpu], v);
    vcpu_schedule_unlock(cpu, f);
    if (kick)
        cpu_raise_softirq(cpu, SOFTIRQ_SCHEDULE);
}

/* Wake a vCPU blocked in HLT for the hypervisor's own reason, not for an
 * event (pi_pcpu_offline_move: its blocking list goes away). Its VM-entry
 * path halts it again, on the pCPU it then runs on, unless an interrupt is
 * deliverable by then (vm_entry step 2b), so the guest never sees its HLT
 * end without an interrupt [Linux virt/kvm/kvm_main.c kvm_vcpu_block: after
 * every wake-up kvm_vcpu_check_block is asked again, and the vCPU blocks
 * again if nothing is pending]. A vCPU that is not blocked is left alone;
 * if another wake makes it runnable between the two steps here, the
 * re-check sees that wake's interrupt, or vcpu_wake_resume cancelled it. */
void vcpu_wake_recheck(struct vcpu *v)
{
    bool f;
    uint32_t cpu = vcpu_schedule_lock(v, &f);
    bool blocked = vcpu_state(v) == HYP_VCPU_BLOCKED;
    if (blocked)
        hyp_atomic_store_n(&v->hlt_recheck, true, __ATOMIC_RELEASE);
    vcpu_schedule_unlock(cpu, f);
    if (blocked)
        vcpu_wake(v);
}

/* Wake for an event that leaves no interrupt pending (HYP_CTL_VCPU_WAKE, an
 * event channel): the guest's HLT ends, so a re-check still to come is
 * cancelled in the same critical section. */
void vcpu_wake_resume(struct vcpu *v)
{
    bool f, kick = false;
    uint32_t cpu = vcpu_schedule_lock(v, &f);
    hyp_atomic_store_n(&v->hlt_recheck, false, __ATOMIC_RELEASE);
    if (vcpu_state(v) == HYP_VCPU_BLOCKED)
        kick = vcpu_unblock_locked(&hyp_core.pcpu[cpu], v);
    vcpu_schedule_unlock(cpu, f);
    if (kick)
        cpu_raise_softirq(cpu, SOFTIRQ_SCHEDULE);
}

/* HLT exit of the current vCPU [Xen vcpu_block, arch_vcpu_block]:
 *  1. the PI block hook (NV := wakeup vector, blocking list) runs first, so
 *     that a vCPU is never seen blocked while a post could miss it;
 *  2. the vCPU is marked blocked (under its scheduler lock);
 *  3. if the hooks were installed between 1 and 2 (device assignment on
 *     another pCPU), the hook runs now: pi_hooks_assign either saw the vCPU
 *     blocked and ran it itself, or installed the hooks before 2, so one of
 *     the two sides always does it;
 *  4. events that arrived meanwhile (a deliverable vector in VIRR, after PIR
 *     is handed to it when ON is set, or a pending vector) unblock at once,
 *     else the scheduler switches away. A wakeup handler that ran between 1
 *     and 2 found the vCPU not yet blocked; its ON is seen here. ON alone
 *     does not unblock: over an empty PIR (its bit taken by posted-interrupt
 *     processing before the sender set ON) it is no event, as in Xen, whose
 *     local_events_need_delivery syncs PIR first (virq_events_pending). */
void vcpu_block(struct vcpu *v)
{
    struct pcpu *pc = this_pcpu();
    HYP_ASSERT(pc->curr == v->id);
    if (vcpu_state(v) != HYP_VCPU_RUNNING)
        return;

    pi_vcpu_block(v);                                          /* 1 */

    bool f = spin_lock_irqsave(&pc->sched_lock);               /* 2 */
    if (vcpu_state(v) != HYP_VCPU_RUNNING) {
        spin_unlock_irqrestore(&pc->sched_lock, f);
        return;
    }
    vcpu_set_state(v, HYP_VCPU_BLOCKED);
    spin_unlock_irqrestore(&pc->sched_lock, f);

    if (pi_hooks_active(v) &&                                  /* 3 */
        hyp_atomic_load_n(&v->pi_block_cpu, __ATOMIC_SEQ_CST) == HYP_INVALID)
        pi_vcpu_block(v);

    if (virq_events_pending(v)) {                              /* 4 */
        f = spin_lock_irqsave(&pc->sched_lock);
        if (vcpu_state(v) == HYP_VCPU_BLOCKED)
            vcpu_set_state(v, HYP_VCPU_RUNNING);
        spin_unlock_irqrestore(&pc->sched_lock, f);
        return;
    }
    raise_softirq(SOFTIRQ_SCHEDULE);
}

/* ---- context switch (under pc->sched_lock) ------------------------------ */

static void vmcs_make_current(struct pcpu *pc, struct vcpu *next)
{
    if (next->vmcs_cpu != pc->id) {
        /* cleared on its previous pCPU before we may load it [SDM 24.11.1] */
        HYP_ASSERT(next->vmcs_cpu == HYP_INVALID);
        arch_vmcs_load(next->vmcs_pa);
        next->vmcs_cpu = pc->id;
        pc->vmcs_loaded = next->id;
        if (!next->vmcs_ready) {
            vmcs_setup(next);
            next->vmcs_ready = true;
        }
    } else if (pc->vmcs_loaded != next->id) {
        arch_vmcs_load(next->vmcs_pa);
        pc->vmcs_loaded = next->id;
    }
}

/* Returns the vCPU whose context was saved (switched away), or NULL. */
static struct vcpu *context_switch(struct pcpu *pc, struct vcpu *next)
{
    if (next == NULL)
        return NULL; /* lazy: idle keeps the previous context [Xen context_switch, xen/arch/x86/domain.c] */
    if (pc->ctx == next->id) {
        vmcs_make_current(pc, next); /* back to the lazily kept context */
        return NULL;
    }
    struct vcpu *saved = NULL;
    if (pc->ctx != HYP_INVALID) {
        saved = &hyp_core.vcpu[pc->ctx];
        pi_switch_from(saved);
        percpu_virq_save(pc, saved);
    }
    vmcs_make_current(pc, next);
    pi_switch_to(next);
    percpu_virq_restore(pc, next);
    pc->ctx = next->id;
    return saved;
}

/* ---- migration ---------------------------------------------------------- */

/* Move v (owned by this pCPU, not its current vCPU) to pCPU `to`. */
static void sched_steal_answer(struct vcpu *v);

void sched_migrate_out(struct vcpu *v, uint32_t to)
{
    uint32_t cpu = arch_cpu_id();
    struct pcpu *pc = &hyp_core.pcpu[cpu];
    bool f = spin_lock_irqsave(&pc->sched_lock);
    HYP_ASSERT(v->processor == cpu && pc->curr != v->id);
    if (to == cpu) {
        /* affinity changed back meanwhile: it stays */
        if (vcpu_state(v) == HYP_VCPU_RUNNABLE)
            runq_insert(pc, v);
        spin_unlock_irqrestore(&pc->sched_lock, f);
        raise_softirq(SOFTIRQ_SCHEDULE);
        return;
    }
    runq_remove(pc, v);
    bool saved = pc->ctx == v->id;
    if (saved) {
        pi_switch_from(v); /* full switch away from the lazily kept context */
        percpu_virq_save(pc, v);
        pc->ctx = HYP_INVALID;
    }
    if (v->vmcs_cpu == cpu) {
        arch_vmcs_clear(v->vmcs_pa);
        v->vmcs_cpu = HYP_INVALID;
        if (pc->vmcs_loaded == v->id)
            pc->vmcs_loaded = HYP_INVALID;
    }
    hyp_atomic_store_n(&v->processor, to, __ATOMIC_RELEASE);
    hyp_trace(HYP_TR_MIGRATE, v->id, cpu, to, 0);
    spin_unlock_irqrestore(&pc->sched_lock, f);
    if (saved)
        percpu_virq_wake_saved(v);

    struct pcpu *tp = &hyp_core.pcpu[to];
    f = spin_lock_irqsave(&tp->sched_lock);
    bool runnable = vcpu_state(v) == HYP_VCPU_RUNNABLE && v->processor == to;
    if (runnable)
        runq_insert(tp, v);
    spin_unlock_irqrestore(&tp->sched_lock, f);
    if (runnable)
        cpu_raise_softirq(to, SOFTIRQ_SCHEDULE);
    sched_steal_answer(v);
}

/* A vCPU that leaves its owner by another way than the owner's migration
 * scan (its affinity changed, it was moved off an offline pCPU) may carry a
 * pull an idle pCPU asked for (sched_balance.c step 2): the scan of its old
 * owner no longer sees it, so the pull is answered here, else the thief
 * would wait for an answer for ever and no pCPU would tickle it again. */
static void sched_steal_answer(struct vcpu *v)
{
    uint32_t thief = sched_steal_claim(v);
    if (thief == HYP_INVALID)
        return;
    hyp_atomic_store_n(&hyp_core.pcpu[thief].steal_inflight, false, __ATOMIC_RELEASE);
    if (pcpu_usable(thief))
        cpu_raise_softirq(thief, SOFTIRQ_SCHEDULE);
}

static void sched_migrate_scan(void)
{
    uint32_t cpu = arch_cpu_id();
    struct pcpu *pc = &hyp_core.pcpu[cpu];
    for (uint32_t id = 0; id < hyp_core.nr_vcpus; id++) {
        struct vcpu *v = &hyp_core.vcpu[id];
        if (!v->used || hyp_atomic_load_n(&v->processor, __ATOMIC_ACQUIRE) != cpu)
            continue;
        uint32_t thief = sched_steal_claim(v); /* a pull by an idle pCPU */
        uint32_t to = HYP_INVALID;
        if (hyp_atomic_load_n(&pc->curr, __ATOMIC_ACQUIRE) != id) {
            /* (the current vCPU leaves through schedule()) */
            to = vcpu_target_cpu(v);
            /* A pull is for a vCPU waiting behind another one: an idle
             * owner runs it itself (Xen csched_load_balance steals only
             * from peers that are busy). Giving it away from an idle owner
             * lets two idle pCPUs pull one vCPU back and forth forever. */
            if (to == cpu && thief != HYP_INVALID && v->on_runq &&
                vcpu_state(v) == HYP_VCPU_RUNNABLE && sched_may_run_on(v, thief) &&
                pcpu_usable(thief) && hyp_atomic_load_n(&pc->curr, __ATOMIC_ACQUIRE) != HYP_INVALID)
                to = thief;
            if (to != cpu)
                sched_migrate_out(v, to);
        }
        if (thief != HYP_INVALID) {
            /* the pull is answered (moved, or no longer possible): the
             * thief looks again, unless it went offline since it asked (an
             * offline pCPU takes no interrupt, Xen cpu_disable_scheduler) */
            hyp_atomic_store_n(&hyp_core.pcpu[thief].steal_inflight, false, __ATOMIC_RELEASE);
            if (pcpu_usable(thief))
                cpu_raise_softirq(thief, SOFTIRQ_SCHEDULE);
        }
    }
}

void sched_request_migrate_scan(uint32_t cpu)
{
    hyp_atomic_store_n(&hyp_core.pcpu[cpu].migrate_scan, true, __ATOMIC_RELEASE);
    cpu_raise_softirq(cpu, SOFTIRQ_SCHEDULE);
}

/* This pCPU goes offline: stop running vCPUs, move every vCPU it owns to
 * another pCPU (clearing the VMCSes active here), then empty its blocking
 * list by waking the vCPUs on it (pi_pcpu_offline_move), which block again
 * on their new pCPUs.
 * offline_pending stays set until the hand-over is complete: until then the
 * pCPU is not usable and sched_pcpu_online refuses it (HYP_EBUSY), as Xen's
 * cpu_up fails with -EBUSY while cpu_down holds the hotplug lock through its
 * CPU_DEAD notifiers [Xen xen/common/cpu.c cpu_down, cpu_hotplug_begin]. An
 * online accepted in the middle would make the pCPU a migration target again
 * while it is still handing its vCPUs away. */
static void sched_do_offline(void)
{
    uint32_t cpu = arch_cpu_id();
    struct pcpu *pc = &hyp_core.pcpu[cpu];
    bool other = false; /* sched_pcpu_offline kept one: the vCPUs' target */
    for (uint32_t c = 0; c < hyp_core.nr_pcpus && !other; c++)
        other = c != cpu && pcpu_usable(c);
    HYP_ASSERT(other);

    bool f = spin_lock_irqsave(&pc->sched_lock);
    hyp_atomic_store_n(&pc->online, false, __ATOMIC_RELEASE);
    uint32_t prev = pc->curr;
    if (prev != HYP_INVALID) {
        struct vcpu *pv = &hyp_core.vcpu[prev];
        if (vcpu_state(pv) == HYP_VCPU_RUNNING)
            vcpu_set_state(pv, HYP_VCPU_RUNNABLE);
        hyp_atomic_store_n(&pc->curr, HYP_INVALID, __ATOMIC_RELEASE);
        hyp_trace(HYP_TR_SCHEDULE, prev, HYP_INVALID, HYP_SCHED_OFFLINE, 0);
    }
    spin_unlock_irqrestore(&pc->sched_lock, f);

    sched_migrate_scan();
    pi_pcpu_offline_move(cpu);
    /* Interrupts aimed at this pCPU go elsewhere from now on; those still
     * on the bus (remapped by VT-d before the moves, or IPIs another pCPU
     * sent before it saw this offline) are taken here, with interrupts
     * enabled, before it stops [Linux fixup_irqs waited 1 ms for the same
     * reason]. */
    uint32_t moved = irte_pcpu_offline(cpu);
    bool was = arch_irqs_enabled();
    arch_irq_enable();
    uint64_t end = arch_now() + HYP_OFFLINE_IRQ_DRAIN;
    while (arch_now() < end)
        ;
    if (!was)
        arch_irq_disable();
    if (moved > 0)
        irte_pcpu_offline_done(cpu);
    /* A migration another pCPU decided before this offline was requested
     * (an online just before it sends vCPUs home) may still land in this
     * run queue, and such a vCPU may block here: hand those over too. No
     * new one comes: this pCPU is no migration target while its offline is
     * pending. */
    for (uint32_t round = 0; hyp_atomic_load_n(&pc->rq_len, __ATOMIC_ACQUIRE) != 0 ||
                             hyp_atomic_load_n(&pc->pi_block_len, __ATOMIC_ACQUIRE) != 0;
         round++) {
        HYP_ASSERT(round < 2u * HYP_MAX_VCPUS);
        sched_migrate_scan();
        pi_pcpu_offline_move(cpu);
    }
    hyp_atomic_store_n(&pc->tasklet_work, 0, __ATOMIC_RELEASE);
    HYP_ASSERT(pc->rq_len == 0 && pc->ctx == HYP_INVALID && pc->pi_block_len == 0);
    hyp_atomic_store_n(&pc->offline_pending, false, __ATOMIC_RELEASE);
}

/* ---- the scheduler ------------------------------------------------------ */

void schedule(void)
{
    uint32_t cpu = arch_cpu_id();
    struct pcpu *pc = &hyp_core.pcpu[cpu];

    if (hyp_atomic_load_n(&pc->offline_pending, __ATOMIC_ACQUIRE))
        sched_do_offline();
    if (hyp_atomic_exchange_n(&pc->migrate_scan, false, __ATOMIC_ACQ_REL))
        sched_migrate_scan();

    bool f = spin_lock_irqsave(&pc->sched_lock);
    uint64_t now = arch_now();
    uint32_t prev_id = pc->curr;
    struct vcpu *prev = prev_id == HYP_INVALID ? NULL : &hyp_core.vcpu[prev_id];
    bool tasklet = hyp_atomic_load_n(&pc->tasklet_work, __ATOMIC_ACQUIRE) != 0;
    bool preempt = hyp_atomic_exchange_n(&pc->preempt, false, __ATOMIC_ACQ_REL);
    uint32_t reason;
    bool migrate_prev = false;

    if (prev != NULL) {
        uint32_t st = vcpu_state(prev);
        if (st == HYP_VCPU_BLOCKED) {
            reason = HYP_SCHED_BLOCK;
        } else if (vcpu_target_cpu(prev) != cpu) {
            reason = HYP_SCHED_MIGRATE;
            migrate_prev = true;
        } else if (preempt) {
            reason = HYP_SCHED_PREEMPT;
        } else if (pc->rq_head != HYP_INVALID && hyp_core.vcpu[pc->rq_head].boost &&
                   !prev->boost) {
            reason = HYP_SCHED_WAKE; /* a woken vCPU preempts */
        } else if (tasklet) {
            reason = HYP_SCHED_TASKLET;
        } else if (now >= pc->slice_end && pc->rq_len > 0) {
            reason = HYP_SCHED_SLICE;
        } else {
            sched_tickle_idle(pc);
            spin_unlock_irqrestore(&pc->sched_lock, f);
            return; /* keep running prev */
        }
        prev->boost = false;
        if (st == HYP_VCPU_RUNNING) {
            vcpu_set_state(prev, HYP_VCPU_RUNNABLE);
            if (reason == HYP_SCHED_TASKLET)
                runq_insert_head(pc, prev);
            else if (!migrate_prev)
                runq_insert(pc, prev);
        }
    } else {
        if (tasklet || pc->rq_len == 0) {
            spin_unlock_irqrestore(&pc->sched_lock, f);
            if (!tasklet)
                sched_load_balance(); /* stay idle, unless a pull succeeds */
            return;
        }
        reason = HYP_SCHED_WAKE;
    }

    struct vcpu *next = tasklet ? NULL : runq_pop(pc);
    if (next != NULL) {
        HYP_ASSERT(vcpu_state(next) == HYP_VCPU_RUNNABLE && next->processor == cpu);
        vcpu_set_state(next, HYP_VCPU_RUNNING);
        pc->slice_end = now + hyp_core.time_slice;
    }
    hyp_atomic_store_n(&pc->curr, next == NULL ? HYP_INVALID : next->id, __ATOMIC_RELEASE);
    hyp_trace(HYP_TR_SCHEDULE, prev_id, next == NULL ? HYP_INVALID : next->id, reason, 0);
    struct vcpu *saved = context_switch(pc, next);
    sched_tickle_idle(pc);
    spin_unlock_irqrestore(&pc->sched_lock, f);
    if (saved != NULL)
        percpu_virq_wake_saved(saved);

    if (migrate_prev)
        sched_migrate_out(prev, vcpu_target_cpu(prev));
    if (next == NULL && !tasklet)
        sched_load_balance(); /* going idle: pull work from a busy pCPU */
}

/* TIMER softirq: time-slice accounting; a slice that ended while others
 * wait ends the current vCPU's turn. */
void sched_tick(void)
{
    struct pcpu *pc = this_pcpu();
    if (pc->curr == HYP_INVALID)
        return;
    hyp_core.vcpu[pc->curr].boost = false; /* a tick ends the boost */
    uint64_t now = arch_now();
    if (now < pc->slice_end)
        return;
    if (pc->rq_len > 0)
        schedule();
    else
        pc->slice_end = now + hyp_core.time_slice;
}

/* Tasklet work in idle context: `tasklet_work` cycles, spent with IF=1. */
void sched_run_tasklets(void)
{
    struct pcpu *pc = this_pcpu();
    HYP_ASSERT(pc->curr == HYP_INVALID);
    uint64_t work = hyp_atomic_exchange_n(&pc->tasklet_work, 0, __ATOMIC_ACQ_REL);
    uint64_t start = arch_now();
    while (arch_now() - start < work)
        ;
    raise_softirq(SOFTIRQ_SCHEDULE);
}

/* ---- control requests --------------------------------------------------- */

static bool mask_multi(uint64_t m) { return (m & (m - 1u)) != 0; }

/* Replace v's mask; keeps hyp_core.nr_balanceable in step. */
static void affinity_mask_store(struct vcpu *v, uint64_t mask)
{
    uint64_t old = hyp_atomic_exchange_n(&v->affinity_mask, mask, __ATOMIC_ACQ_REL);
    if (mask_multi(old) && !mask_multi(mask))
        hyp_atomic_fetch_sub(&hyp_core.nr_balanceable, 1u, __ATOMIC_ACQ_REL);
    else if (!mask_multi(old) && mask_multi(mask))
        hyp_atomic_fetch_add(&hyp_core.nr_balanceable, 1u, __ATOMIC_ACQ_REL);
}

/* Pin v to `cpu`: home and hard affinity both become that one pCPU. */
int sched_set_affinity(struct vcpu *v, uint32_t cpu)
{
    if (cpu >= hyp_core.nr_pcpus)
        return HYP_EINVAL;
    hyp_atomic_store_n(&v->affinity, cpu, __ATOMIC_RELEASE);
    affinity_mask_store(v, 1ull << cpu);
    sched_request_migrate_scan(hyp_atomic_load_n(&v->processor, __ATOMIC_ACQUIRE));
    return 0;
}

/* Hard affinity (bit c = pCPU c, only existing pCPUs): the home pCPU is
 * kept if the mask names it, else it becomes the lowest pCPU of the mask.
 * HYP_EINVAL for an empty mask or a pCPU that does not exist. */
int sched_set_affinity_mask(struct vcpu *v, uint64_t mask)
{
    uint64_t all = hyp_core.nr_pcpus >= 64u ? ~0ull : (1ull << hyp_core.nr_pcpus) - 1u;
    if (mask == 0 || (mask & ~all) != 0)
        return HYP_EINVAL;
    uint32_t home = hyp_atomic_load_n(&v->affinity, __ATOMIC_ACQUIRE);
    if (((mask >> home) & 1u) == 0) {
        home = 0;
        while (((mask >> home) & 1u) == 0)
            home++;
        hyp_atomic_store_n(&v->affinity, home, __ATOMIC_RELEASE);
    }
    affinity_mask_store(v, mask);
    sched_request_migrate_scan(hyp_atomic_load_n(&v->processor, __ATOMIC_ACQUIRE));
    return 0;
}

int sched_pcpu_offline(uint32_t cpu)
{
    if (cpu >= hyp_core.nr_pcpus)
        return HYP_EINVAL;
    spin_lock(&hotplug_lock);
    int rc = 0;
    uint32_t usable = 0;
    for (uint32_t c = 0; c < hyp_core.nr_pcpus; c++)
        usable += pcpu_usable(c) ? 1u : 0u;
    if (!pcpu_usable(cpu))
        rc = HYP_EINVAL;
    else if (usable < 2)
        rc = HYP_EBUSY;
    else
        hyp_atomic_store_n(&hyp_core.pcpu[cpu].offline_pending, true, __ATOMIC_RELEASE);
    spin_unlock(&hotplug_lock);
    if (rc == 0)
        cpu_raise_softirq(cpu, SOFTIRQ_SCHEDULE);
    return rc;
}

/* HYP_EBUSY while an offline of `cpu` is requested or still handing over
 * (sched_do_offline), HYP_EEXIST if it is online. */
int sched_pcpu_online(uint32_t cpu)
{
    if (cpu >= hyp_core.nr_pcpus)
        return HYP_EINVAL;
    spin_lock(&hotplug_lock);
    struct pcpu *pc = &hyp_core.pcpu[cpu];
    int rc = 0;
    if (hyp_atomic_load_n(&pc->offline_pending, __ATOMIC_ACQUIRE))
        rc = HYP_EBUSY;
    else if (hyp_atomic_load_n(&pc->online, __ATOMIC_ACQUIRE))
        rc = HYP_EEXIST;
    else
        hyp_atomic_store_n(&pc->online, true, __ATOMIC_RELEASE);
    spin_unlock(&hotplug_lock);
    if (rc != 0)
        return rc;
    /* vCPUs whose home is `cpu` come back */
    for (uint32_t c = 0; c < hyp_core.nr_pcpus; c++)
        if (c != cpu && pcpu_usable(c))
            sched_request_migrate_scan(c);
    return 0;
}

int sched_preempt(uint32_t cpu)
{
    if (!pcpu_usable(cpu))
        return HYP_EINVAL;
    hyp_atomic_store_n(&hyp_core.pcpu[cpu].preempt, true, __ATOMIC_RELEASE);
    cpu_raise_softirq(cpu, SOFTIRQ_SCHEDULE);
    return 0;
}

int sched_tasklet(uint32_t cpu, uint64_t cycles)
{
    if (!pcpu_usable(cpu) || cycles == 0)
        return HYP_EINVAL;
    hyp_atomic_fetch_add(&hyp_core.pcpu[cpu].tasklet_work, cycles, __ATOMIC_ACQ_REL);
    cpu_raise_softirq(cpu, SOFTIRQ_TASKLET);
    return 0;
}

void sched_init(void)
{
    spin_lock_init(&hotplug_lock);
}
