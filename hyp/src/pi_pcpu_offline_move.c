/*
 * pi_pcpu_offline_move.c - a pCPU going offline hands its blocking list to
 * another pCPU [SPEC 7; Xen vmx_pi_desc_fixup].
 *
 * Under both lists' locks (lower pCPU index first), every vCPU on the list of
 * `from_cpu` gets NDST := `to_cpu` and moves to the list of `to_cpu`, the
 * two right after each other so that NDST and list agree for any post. Then
 * ON is looked at: a vCPU with ON set was notified at the departing pCPU (its
 * post came before the NDST rewrite, or its wakeup interrupt is still
 * pending there), so it is woken here, after the locks are dropped; it stays
 * on the new list until its VM entry takes it off.
 */
#include "hyp_core.h"
#include "pi.h"
#include "pid.h"


void pi_pcpu_offline_move(uint32_t from_cpu, uint32_t to_cpu)
{
    HYP_ASSERT(from_cpu != to_cpu);
    struct pcpu *from = &hyp_core.pcpu[from_cpu];
    struct pcpu *to = &hyp_core.pcpu[to_cpu];
    struct pcpu *first = from_cpu < to_cpu ? from : to;
    struct pcpu *second = from_cpu < to_cpu ? to : from;
    uint32_t woken[HYP_MAX_VCPUS];
    uint32_t n = 0;

    bool f = spin_lock_irqsave(&first->pi_block_lock);
    spin_lock(&second->pi_block_lock);
    while (from->pi_block_head != HYP_INVALID) {
        struct vcpu *v = &hyp_core.vcpu[from->pi_block_head];
        pid_update_control(v->pid_pa, PID_NDST_MASK,
                           (uint64_t)pid_ndst_of_cpu(to_cpu) << PID_NDST_SHIFT);
        pi_blocking_list_unlink_locked(v, from_cpu);
        v->pi_prev = HYP_INVALID;
        v->pi_next = to->pi_block_head;
        if (to->pi_block_head != HYP_INVALID)
            hyp_core.vcpu[to->pi_block_head].pi_prev = v->id;
        to->pi_block_head = v->id;
        to->pi_block_len++;
        hyp_atomic_store_n(&v->pi_block_cpu, to_cpu, __ATOMIC_RELEASE);
        hyp_trace(HYP_TR_BLOCKLIST_ADD, v->id, to_cpu, 0, 0);
        if (pid_test_on(v->pid_pa))
            woken[n++] = v->id;
    }
    spin_unlock(&second->pi_block_lock);
    spin_unlock_irqrestore(&first->pi_block_lock, f);

    for (uint32_t i = 0; i < n; i++)
        vcpu_wake(&hyp_core.vcpu[woken[i]]);
}
