/*
 * sched_balance.c - load balancing: an idle pCPU pulls a queued vCPU from
 * the busiest run queue whose vCPUs may run on it [Xen xen/common/
 * sched_credit.c csched_load_balance / csched_runq_steal; "tickling" idle
 * pCPUs in __runq_tickle].
 *
 * Steps of a pull (thief T idle, owner O):
 *  1. T (sched_load_balance, going or staying idle) takes the peers in
 *     order of how many vCPUs wait on their run queues, most first (ties:
 *     lowest pCPU number), skipping empty ones;
 *  2. under that peer's sched_lock, the first queued, runnable vCPU whose
 *     hard affinity names T (run-queue order, as csched_runq_steal) is
 *     marked with steal_to = T, and that peer is the owner O; if it has
 *     none, the next peer is tried. T marks steal_inflight so it asks once
 *     at a time;
 *  3. T asks O to scan (softirq + scheduler IPI). O carries the move out
 *     itself (sched_migrate_scan -> sched_migrate_out), because only O may
 *     VMCLEAR a VMCS active on O before T loads it [SDM 24.11.1], and a
 *     lazily kept context on O gets its full pi_switch_from (SN := 1);
 *  4. O answers (moved, or the vCPU ran/blocked meanwhile: not moved),
 *     clears T's steal_inflight and raises T's SCHEDULE softirq.
 * Posted-interrupt consequences: the pulled vCPU is runnable, never blocked,
 * so it is on no blocking list; its PID keeps SN=1 and NDST=O until T
 * switches it in, where pi_switch_to writes NDST=T and SN=0 and the VM-entry
 * check merges what was posted meanwhile [Xen vmx_pi_switch_to]. Blocked vCPUs are never
 * pulled: they stay on the blocking list NDST names until they wake.
 *
 * Tickling: a pCPU that keeps vCPUs waiting on its run queue raises
 * SCHEDULE on idle pCPUs that one of them may run on, so a halted pCPU
 * learns that there is work to pull. Everything returns at once while no
 * vCPU has an affinity mask of more than one pCPU (nr_balanceable == 0).
 */
#include "hyp_core.h"

/* Take v's pending pull request (the owner's side of step 3). */
uint32_t sched_steal_claim(struct vcpu *v)
{
    if (hyp_atomic_load_n(&v->steal_to, __ATOMIC_ACQUIRE) == HYP_INVALID)
        return HYP_INVALID;
    return hyp_atomic_exchange_n(&v->steal_to, HYP_INVALID, __ATOMIC_ACQ_REL);
}

/* Step 2 under the owner's lock: the first queued vCPU allowed on `thief`. */
static struct vcpu *runq_pick_stealable(struct pcpu *owner, uint32_t thief)
{
    HYP_ASSERT(spin_is_locked_by_me(&owner->sched_lock));
    for (uint32_t id = owner->rq_head; id != HYP_INVALID; id = hyp_core.vcpu[id].rq_next) {
        struct vcpu *v = &hyp_core.vcpu[id];
        HYP_ASSERT(v->on_runq && v->processor == owner->id);
        if (vcpu_state(v) == HYP_VCPU_RUNNABLE && sched_may_run_on(v, thief) &&
            hyp_atomic_load_n(&v->steal_to, __ATOMIC_ACQUIRE) == HYP_INVALID)
            return v;
    }
    return NULL;
}

void sched_load_balance(void)
{
    if (hyp_atomic_load_n(&hyp_core.nr_balanceable, __ATOMIC_ACQUIRE) == 0)
        return;
    uint32_t cpu = arch_cpu_id();
    struct pcpu *pc = &hyp_core.pcpu[cpu];
    if (!sched_pcpu_usable(cpu) || hyp_atomic_load_n(&pc->steal_inflight, __ATOMIC_ACQUIRE) ||
        hyp_atomic_load_n(&pc->curr, __ATOMIC_ACQUIRE) != HYP_INVALID)
        return;

    uint64_t tried = 1ull << cpu;
    for (;;) {
        uint32_t busiest = HYP_INVALID, most = 0;                   /* 1 */
        for (uint32_t c = 0; c < hyp_core.nr_pcpus; c++) {
            if (((tried >> c) & 1u) != 0 || !sched_pcpu_usable(c))
                continue;
            uint32_t len = hyp_atomic_load_n(&hyp_core.pcpu[c].rq_len, __ATOMIC_ACQUIRE);
            if (len > most) {
                most = len;
                busiest = c;
            }
        }
        if (busiest == HYP_INVALID)
            return; /* nothing this pCPU may run waits anywhere */
        tried |= 1ull << busiest;

        struct pcpu *owner = &hyp_core.pcpu[busiest];                /* 2 */
        bool f = spin_lock_irqsave(&owner->sched_lock);
        struct vcpu *v = runq_pick_stealable(owner, cpu);
        if (v != NULL) {
            hyp_atomic_store_n(&pc->steal_inflight, true, __ATOMIC_RELEASE);
            hyp_atomic_store_n(&v->steal_to, cpu, __ATOMIC_RELEASE);
        }
        spin_unlock_irqrestore(&owner->sched_lock, f);
        if (v != NULL) {
            sched_request_migrate_scan(busiest);                     /* 3 */
            return;
        }
    }
}

void sched_tickle_idle(struct pcpu *pc)
{
    if (hyp_atomic_load_n(&hyp_core.nr_balanceable, __ATOMIC_ACQUIRE) == 0 || pc->rq_len == 0)
        return;
    HYP_ASSERT(spin_is_locked_by_me(&pc->sched_lock));
    for (uint32_t c = 0; c < hyp_core.nr_pcpus; c++) {
        struct pcpu *idle = &hyp_core.pcpu[c];
        if (c == pc->id || !sched_pcpu_usable(c) ||
            hyp_atomic_load_n(&idle->curr, __ATOMIC_ACQUIRE) != HYP_INVALID ||
            hyp_atomic_load_n(&idle->rq_len, __ATOMIC_ACQUIRE) != 0 ||
            hyp_atomic_load_n(&idle->steal_inflight, __ATOMIC_ACQUIRE) ||
            hyp_atomic_load_n(&idle->tasklet_work, __ATOMIC_ACQUIRE) != 0)
            continue;
        if (runq_pick_stealable(pc, c) != NULL)
            cpu_raise_softirq(c, SOFTIRQ_SCHEDULE);
    }
}
