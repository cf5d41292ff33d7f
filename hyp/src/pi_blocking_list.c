/*
 * pi_blocking_list.c - per-pCPU blocking lists of vCPUs waiting in HLT whose
 * PID NV is the wakeup vector [Xen docs/misc/vtd-pi.txt; Xen vmx.c vmx_pi_blocking].
 *
 * The list of pCPU c is a doubly linked list of vCPU ids under
 * pcpu[c].pi_block_lock; vcpu.pi_block_cpu names the list holding a vCPU
 * (HYP_INVALID: none) and changes only under that list's lock.
 */
#include "hyp_core.h"
#include "pi.h"

/* Adds v to the list of pCPU cpu. Returns false, adding nothing, when v's
 * domain has no PI hooks (checked under the list's lock: see
 * pi_blocking_list_barrier). */
bool pi_blocking_list_add(struct vcpu *v, uint32_t cpu)
{
    struct pcpu *pc = &hyp_core.pcpu[cpu];
    bool f = spin_lock_irqsave(&pc->pi_block_lock);
    if (!pi_hooks_active(v)) {
        spin_unlock_irqrestore(&pc->pi_block_lock, f);
        return false;
    }
    if (hyp_atomic_load_n(&v->pi_block_cpu, __ATOMIC_ACQUIRE) == HYP_INVALID) {
        v->pi_prev = HYP_INVALID;
        v->pi_next = pc->pi_block_head;
        if (pc->pi_block_head != HYP_INVALID)
            hyp_core.vcpu[pc->pi_block_head].pi_prev = v->id;
        pc->pi_block_head = v->id;
        pc->pi_block_len++;
        hyp_atomic_store_n(&v->pi_block_cpu, cpu, __ATOMIC_RELEASE);
        hyp_trace(HYP_TR_BLOCKLIST_ADD, v->id, cpu, 0, 0);
    }
    spin_unlock_irqrestore(&pc->pi_block_lock, f);
    return true;
}

/* After a domain's hooks were switched off: take and release every list's
 * lock once. An add that held a lock before saw the hooks on and is complete
 * (its vCPU is on the list, for the caller's pass to take off); one that
 * takes it after sees them off and adds nothing. Xen gets the same from
 * domain_pause around vmx_pi_hooks_deassign; here the deassigning pCPU does
 * not wait for the domain's vCPUs to leave the block path. */
void pi_blocking_list_barrier(void)
{
    for (uint32_t c = 0; c < hyp_core.nr_pcpus; c++) {
        struct pcpu *pc = &hyp_core.pcpu[c];
        bool f = spin_lock_irqsave(&pc->pi_block_lock);
        spin_unlock_irqrestore(&pc->pi_block_lock, f);
    }
}

void pi_blocking_list_unlink_locked(struct vcpu *v, uint32_t cpu)
{
    struct pcpu *pc = &hyp_core.pcpu[cpu];
    HYP_ASSERT(spin_is_locked_by_me(&pc->pi_block_lock));
    HYP_ASSERT(v->pi_block_cpu == cpu && pc->pi_block_len > 0);
    if (v->pi_prev != HYP_INVALID)
        hyp_core.vcpu[v->pi_prev].pi_next = v->pi_next;
    else
        pc->pi_block_head = v->pi_next;
    if (v->pi_next != HYP_INVALID)
        hyp_core.vcpu[v->pi_next].pi_prev = v->pi_prev;
    v->pi_next = v->pi_prev = HYP_INVALID;
    pc->pi_block_len--;
    hyp_atomic_store_n(&v->pi_block_cpu, HYP_INVALID, __ATOMIC_RELEASE);
    hyp_trace(HYP_TR_BLOCKLIST_DEL, v->id, cpu, 0, 0);
}

bool pi_blocking_list_del(struct vcpu *v)
{
    for (;;) {
        uint32_t cpu = hyp_atomic_load_n(&v->pi_block_cpu, __ATOMIC_ACQUIRE);
        if (cpu == HYP_INVALID)
            return false;
        struct pcpu *pc = &hyp_core.pcpu[cpu];
        bool f = spin_lock_irqsave(&pc->pi_block_lock);
        if (v->pi_block_cpu == cpu) {
            pi_blocking_list_unlink_locked(v, cpu);
            spin_unlock_irqrestore(&pc->pi_block_lock, f);
            return true;
        }
        /* taken off meanwhile, and on another list since it ran and
         * blocked again (pi_hooks_deassign from another pCPU): retry there */
        spin_unlock_irqrestore(&pc->pi_block_lock, f);
    }
}
