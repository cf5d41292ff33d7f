/*
 * pi_vcpu_block.c - PID update when a vCPU blocks in HLT [SPEC 7; seed 000;
 * Xen vmx_vcpu_block; VTD 9.11 / Xen docs/misc/vtd-pi.txt].
 *
 * Steps, in this order:
 *  1. NV := wakeup vector (notifications now go to the wakeup handler);
 *  2. add the vCPU to the blocking list of the pCPU named by NDST, under that
 *     list's lock (NDST is this pCPU: pi_switch_to wrote it);
 *  3. check for events that arrived meanwhile (ON set or PIR non-empty): a
 *     post between the HLT exit and step 2 notified nobody, so the caller
 *     must unblock when this returns true.
 * The vCPU stays on the list until pi_vm_entry_check takes it off.
 */
#include "hyp_core.h"
#include "pi.h"
#include "pid.h"

bool pi_vcpu_block(struct vcpu *v)
{
    if (!pi_hooks_active(v))
        return false;
    HYP_ASSERT(vcpu_state(v) == HYP_VCPU_BLOCKED);

    /* 1. NV := wakeup vector */
    pid_set_nv(v->pid_pa, hyp_core.wakeup_vector);

    /* 2. blocking list of pCPU NDST */
    uint64_t ctl = pid_read_control(v->pid_pa);
    uint32_t cpu = pid_cpu_of_ndst((uint32_t)(ctl >> PID_NDST_SHIFT));
    HYP_ASSERT(cpu == v->processor);
    HYP_ASSERT((ctl & PID_SN) == 0);
    pi_blocking_list_add(v, cpu);

    /* 3. events that arrived meanwhile */
    if (pid_test_on(v->pid_pa))
        return true;
    return !pid_pir_empty(v->pid_pa);
}
