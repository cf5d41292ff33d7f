/*
 * pi_switch_to.c - PID update when a vCPU is switched in on this pCPU
 * [Xen vmx_pi_switch_to; Linux arch/x86/kvm/vmx/posted_intr.c
 * vmx_vcpu_pi_load].
 *
 *  1. NDST := this pCPU and SN := 0 in one compare-exchange of the control
 *     word (an ON set by VT-d meanwhile is kept);
 *  2. posts made while SN was 1 set PIR bits and neither ON nor a
 *     notification [VTD 5.2.3]: if PIR is not empty now, ON := 1, so the
 *     entry path's pi_sync_pir_to_irr takes them into VIRR before VM entry
 *     (Linux: "Clear SN before reading the bitmap", then pi_set_on). A post
 *     between 1 and 2 finds SN = 0 and sets ON and notifies itself; the
 *     notification is taken in root mode and only re-runs the entry path.
 * (A self-notification sent for such bits instead can reach the pCPU after
 * the guest has exited again, in root mode, where nothing takes PIR.)
 */
#include "hyp_core.h"
#include "pi.h"
#include "pid.h"

void pi_switch_to(struct vcpu *v)
{
    if (!pi_desc_managed(v))
        return;
    uint32_t cpu = arch_cpu_id();
    HYP_ASSERT(v->processor == cpu);
    pid_update_control(v->pid_pa, PID_NDST_MASK | PID_SN,                      /* 1 */
                       (uint64_t)pid_ndst_of_cpu(cpu) << PID_NDST_SHIFT);
    if (!pid_pir_empty(v->pid_pa))                                                /* 2 */
        pid_test_and_set_on(v->pid_pa);
}
