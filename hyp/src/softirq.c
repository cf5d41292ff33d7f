/*
 * softirq.c - per-pCPU deferred work [Xen xen/common/softirq.c].
 *
 * A pCPU's pending set is a 32-bit word changed with __atomic builtins;
 * another pCPU raising a softirq here also sends an IPI so that a halted or
 * guest-running pCPU notices: the scheduler IPI is the timer vector (its
 * handler is harmless when the tick is not due, and in non-root mode it
 * forces an external-interrupt exit, unlike the notification vector).
 * Softirqs run in hyp_pcpu_main with IF=1, never inside an interrupt handler.
 */
#include "hyp_core.h"
#include "pi.h"

bool softirq_pending(uint32_t cpu)
{
    return hyp_atomic_load_n(&hyp_core.pcpu[cpu].softirq_pending, __ATOMIC_ACQUIRE) != 0;
}

static bool softirq_set(uint32_t cpu, uint32_t nr)
{
    HYP_ASSERT(nr < SOFTIRQ_NR);
    uint32_t bit = 1u << nr;
    uint32_t old = hyp_atomic_fetch_or(&hyp_core.pcpu[cpu].softirq_pending, bit, __ATOMIC_ACQ_REL);
    hyp_trace(HYP_TR_SOFTIRQ_RAISE, nr, cpu, 0, 0);
    return (old & bit) == 0;
}

void raise_softirq(uint32_t nr)
{
    softirq_set(arch_cpu_id(), nr);
}

void cpu_raise_softirq(uint32_t cpu, uint32_t nr)
{
    HYP_ASSERT(cpu < hyp_core.nr_pcpus);
    if (!softirq_set(cpu, nr))
        return; /* already pending: its IPI is on the way or was handled */
    if (cpu != arch_cpu_id()) {
        hyp_trace(HYP_TR_IPI, cpu, hyp_core.timer_vector, HYP_INVALID, 0);
        arch_apic_send_ipi(hyp_core.apic_id[cpu], hyp_core.timer_vector);
    }
}

void do_softirq(void)
{
    struct pcpu *pc = this_pcpu();
    uint32_t pending;
    while ((pending = hyp_atomic_exchange_n(&pc->softirq_pending, 0u, __ATOMIC_ACQ_REL)) != 0) {
        hyp_trace(HYP_TR_HANDLER_ENTER, HYP_H_SOFTIRQ, pending, pc->curr, 0);
        if (pending & (1u << SOFTIRQ_TIMER))
            sched_tick();
        if (pending & ((1u << SOFTIRQ_SCHEDULE) | (1u << SOFTIRQ_TASKLET)))
            schedule();
        /* SOFTIRQ_VCPU_KICK has no body: returning to the VM-entry path with
         * the softirq consumed is its whole effect (Xen VCPU_KICK_SOFTIRQ). */
        hyp_trace(HYP_TR_HANDLER_EXIT, HYP_H_SOFTIRQ, pending, pc->curr, 0);
    }
}
