/*
 * pi_vm_entry_check.c - the last posted-interrupt step before VM entry, with
 * IF=0 and no softirq pending [SDM 29.6; Feng Wu, Feb 2016, "before VM-entry"; VT-d
 * 5.2.5 / 9.11 on SN; Xen vmx_vmenter_helper].
 *
 * Runs after pi_do_resume and pi_sync_pir_to_irr (interrupt assist, IF=1)
 * and the IF=0 softirq check of vm_entry:
 *  1. in vtd-pi mode the descriptor is ready for this pCPU: NV is the
 *     notification vector and the vCPU is on no blocking list (pi_do_resume
 *     did it, and nothing re-adds a running vCPU);
 * (PIR bits with ON clear, posts suppressed while SN was 1, are no concern
 * here: pi_switch_to sets ON for them when it clears SN, and the interrupt
 * assist's pi_sync_pir_to_irr has taken them into VIRR. A self-notification
 * sent here instead could reach the pCPU after the guest had exited again,
 * in root mode, where nothing takes PIR.)
 */
#include "hyp_core.h"
#include "pi.h"
#include "pid.h"

void pi_vm_entry_check(struct vcpu *v)
{
    HYP_ASSERT(!arch_irqs_enabled());
    if (pi_desc_managed(v))                                                   /* 1 */
        HYP_ASSERT(v->pi_block_cpu == HYP_INVALID);
}
