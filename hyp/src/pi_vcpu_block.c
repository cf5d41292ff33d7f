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
 *     list's lock;
 *  3. check for events that arrived meanwhile (ON set or PIR non-empty): a
 *     post between the HLT exit and step 2 notified nobody, so the caller
 *     must unblock when this returns true.
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
    pi_blocking_list_add(v, cpu);

    /* 3. events that arrived meanwhile */
    if (pid_test_on(v->pid_pa))
        return true;
    return !pid_pir_empty(v->pid_pa);
}
