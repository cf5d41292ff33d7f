/*
 * pi_vcpu_block.c - PID update when a vCPU blocks in HLT [Feng Wu, xen-devel,
 * Feb 2016, arch_vcpu_block; Xen vmx_vcpu_block; VTD 9.12 / Xen docs/misc/vtd-pi.txt].
 *
 * Steps, in this order:
 *  1. NV := wakeup vector (notifications now go to the wakeup handler), in
 *     the same compare-exchange NDST := this pCPU (pi_switch_to wrote it
 *     already, unless the hooks were installed while the vCPU was running
 *     and a migration had left NDST stale);
 *  2. add the vCPU to the blocking list of the pCPU named by NDST, under that
 *     list's lock; if the hooks were removed meanwhile (pi_hooks_deassign on
 *     another pCPU, after the check at the top), the list refuses it and NV
 *     goes back to the notification vector: nothing would ever take it off;
 *  3. check for events that arrived meanwhile (ON set): a post between the
 *     HLT exit and step 2 notified nobody, so the caller must look for
 *     events when this returns true (vcpu_block always does, through
 *     virq_events_pending, which also tells a stale ON from a post). PIR bits
 *     with ON clear are a software post under way, whose sender wakes the
 *     vCPU when it sets ON (virq_events_pending).
 * The vCPU stays on the list until pi_vm_entry_check takes it off.
 * vcpu_block calls this before it marks the vCPU blocked (so that a blocked
 * vCPU is always reachable by the wakeup vector) and once more after, if the
 * hooks were installed meanwhile; pi_hooks_assign calls it for a vCPU that
 * is already blocked. Steps 1-2 are idempotent.
 */
#include "hyp_core.h"
#include "pi.h"
#include "pid.h"

bool pi_vcpu_block(struct vcpu *v)
{
    if (!pi_hooks_active(v))
        return false;
    uint32_t cpu = v->processor;

    /* 1. NV := wakeup vector, NDST := this pCPU */
    uint64_t old = pid_update_control(
        v->pid_pa, PID_NV_MASK | PID_NDST_MASK,
        ((uint64_t)hyp_core.wakeup_vector << PID_NV_SHIFT) |
            ((uint64_t)pid_ndst_of_cpu(cpu) << PID_NDST_SHIFT));
    HYP_ASSERT((old & PID_SN) == 0); /* a blocked vCPU must be notified */

    /* 2. blocking list of pCPU NDST */
    if (!pi_blocking_list_add(v, cpu))
        pid_set_nv(v->pid_pa, hyp_core.notification_vector);

    /* 3. events that arrived meanwhile */
    return pid_test_on(v->pid_pa);
}
