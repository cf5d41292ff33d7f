/*
 * pi_switch_to.c - PID update when a vCPU is switched in on this pCPU
 * [SPEC 7; seed 000; Xen vmx_pi_switch_to; Linux vmx_vcpu_pi_load].
 *
 * NDST := this pCPU and SN := 0 in one compare-exchange of the control word
 * (an ON set by VT-d meanwhile is kept). A PIR filled while SN was 1 has no
 * ON: pi_vm_entry_check picks it up before VM entry [SPEC 2].
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
    pid_update_control(v->pid_pa, PID_NDST_MASK | PID_SN,
                       (uint64_t)pid_ndst_of_cpu(cpu) << PID_NDST_SHIFT);
}
