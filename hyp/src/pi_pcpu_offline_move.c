/*
 * pi_pcpu_offline_move.c - a pCPU going offline empties its blocking list
 * [Xen vmx_pi_desc_fixup; Linux arch/x86/kvm/vmx/posted_intr.c].
 *
 * Rule: the NDST and the blocking list of a blocked vCPU are never changed;
 * only the vCPU's own pCPU changes them, on its way into and out of HLT
 * (pi_vcpu_block, pi_do_resume, pi_switch_to), while the vCPU is not blocked
 * (Linux: only vmx_vcpu_pi_load and pi_enable_wakeup_handler, in the vCPU's
 * own context, touch its wakeup list and NDST; pi_wakeup_handler only wakes).
 * A post reads NDST at one instant; list and NDST are two places, and no
 * order of rewriting them leaves no instant at which a post names a pCPU
 * whose list does not hold the vCPU. Xen's vmx_pi_desc_fixup moves the
 * entries with SN set across the rewrite, but a post landing while SN is 1
 * sets PIR without ON and sends nothing, and the fixup does not look at PIR
 * after clearing SN: that vCPU sleeps until some later post.
 *
 * So the departing pCPU wakes every vCPU on its list (after sched_do_offline
 * has moved them to run queues of usable pCPUs), with vcpu_wake_recheck: a
 * woken vCPU runs its VM-entry path on its new pCPU, which takes it off the
 * list and halts it again there, unless an interrupt arrived, without the
 * guest seeing its HLT end. Then, as in pi_wakeup_handler (wake before
 * unlink: a blocked vCPU is on the list NDST names at every instant), the
 * entries still on the list are unlinked: each belongs to a vCPU that is no
 * longer blocked and has not yet passed pi_do_resume.
 *
 * Last, no descriptor may name the departing pCPU: a vCPU that is neither
 * blocked nor running (SN = 1 with an urgent IRTE, or a woken one whose
 * NV is still the wakeup vector) would otherwise have VT-d notify an
 * offline pCPU [VTD 5.2.3: a post notifies NDST when ON was 0 and (URG = 1
 * or SN = 0)]. Its NDST is moved to its `processor`, if it still names the
 * departing pCPU (its own pCPU's pi_switch_to may already have rewritten
 * it); a blocked vCPU's names the pCPU whose list holds it, never this one.
 *
 * Nothing adds to the list meanwhile: a vCPU is added only to the list of its
 * `processor` (pi_vcpu_block), and the departing pCPU is nobody's processor
 * after sched_do_offline's migration scan and is no migration target while
 * its offline is pending.
 */
#include "hyp_core.h"
#include "pi.h"
#include "pid.h"

void pi_pcpu_offline_move(uint32_t from_cpu)
{
    struct pcpu *from = &hyp_core.pcpu[from_cpu];
    uint32_t listed[HYP_MAX_VCPUS];
    uint32_t n = 0;

    bool f = spin_lock_irqsave(&from->pi_block_lock);
    for (uint32_t id = from->pi_block_head; id != HYP_INVALID; id = hyp_core.vcpu[id].pi_next) {
        HYP_ASSERT(n < HYP_MAX_VCPUS);
        listed[n++] = id;
    }
    spin_unlock_irqrestore(&from->pi_block_lock, f);

    for (uint32_t i = 0; i < n; i++) {
        struct vcpu *v = &hyp_core.vcpu[listed[i]];
        HYP_ASSERT(hyp_atomic_load_n(&v->processor, __ATOMIC_ACQUIRE) != from_cpu);
        vcpu_wake_recheck(v);
    }

    f = spin_lock_irqsave(&from->pi_block_lock);
    for (uint32_t i = 0; i < n; i++) {
        struct vcpu *v = &hyp_core.vcpu[listed[i]];
        if (v->pi_block_cpu != from_cpu)
            continue; /* its VM-entry path took it off already */
        HYP_ASSERT(vcpu_state(v) != HYP_VCPU_BLOCKED);
        pi_blocking_list_unlink_locked(v, from_cpu);
    }
    HYP_ASSERT(from->pi_block_len == 0);
    spin_unlock_irqrestore(&from->pi_block_lock, f);

    for (uint32_t id = 0; id < hyp_core.nr_vcpus; id++) {
        struct vcpu *v = &hyp_core.vcpu[id];
        if (!v->used || !pi_desc_managed(v) || vcpu_state(v) == HYP_VCPU_BLOCKED)
            continue;
        pid_move_ndst(v->pid_pa, from_cpu, hyp_atomic_load_n(&v->processor, __ATOMIC_ACQUIRE));
    }
}
