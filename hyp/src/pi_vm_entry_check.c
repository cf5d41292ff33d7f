/*
 * pi_vm_entry_check.c - the last posted-interrupt step before VM entry, with
 * IF=0 and no softirq pending [SPEC 2, 7; seed 000 "before VM-entry"; VT-d
 * 5.2.5 / 9.11 on SN; Xen vmx_vmenter_helper].
 *
 * Runs after pi_do_resume and pi_sync_pir_to_irr (interrupt assist, IF=1)
 * and the IF=0 softirq check of vm_entry:
 *  1. in vtd-pi mode the descriptor is ready for this pCPU: NV is the
 *     notification vector and the vCPU is on no blocking list (pi_do_resume
 *     did it, and nothing re-adds a running vCPU);
 *  2. PIR bits with ON clear (posts suppressed while SN was 1, which sent no
 *     notification) are looked for once after each switch-in
 *     (pi_pir_unchecked): if any, this pCPU sends itself a
 *     notification-vector IPI; it stays pending while IF=0 and the CPU's
 *     posted-interrupt processing takes PIR right after VM entry [SPEC 2 "or
 *     restore NV and send itself a notification IPI"]. With ON set a
 *     notification is already pending (its post came after the PIR sync).
 */
#include "hyp_core.h"
#include "pi.h"
#include "pid.h"

void pi_vm_entry_check(struct vcpu *v)
{
    HYP_ASSERT(!arch_irqs_enabled());
    if (pi_desc_managed(v))                                                   /* 1 */
        HYP_ASSERT(v->pi_block_cpu == HYP_INVALID);
    if (v->pi_pir_unchecked && !pid_test_on(v->pid_pa) && !pid_pir_empty(v->pid_pa)) { /* 2 */
        hyp_trace(HYP_TR_IPI, arch_cpu_id(), hyp_core.notification_vector, v->id, 0);
        arch_apic_send_self_ipi(hyp_core.notification_vector);
    }
    v->pi_pir_unchecked = false;
}
