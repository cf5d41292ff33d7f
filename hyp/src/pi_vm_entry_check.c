/*
 * pi_vm_entry_check.c - the last step before VM entry, with IF=0 [SPEC 2, 7;
 * seed 000 "before VM-entry"; Xen vmx_pi_do_resume + vmx_sync_pir_to_irr;
 * VT-d 5.2.5 / 9.11 on SN].
 *
 *  1. NV := notification vector (it may still be the wakeup vector from
 *     pi_vcpu_block: the unblock paths do not restore it);
 *  2. take the vCPU off any blocking list;
 *  3. VM entry does not read the PID [SPEC 2], so pending PIR bits must be
 *     handed to the CPU here:
 *     - ON set (a notification was sent and consumed in root mode): clear
 *       ON, then take PIR (each non-empty 64-bit group exchanged with 0), OR
 *       it into VIRR and raise RVI. ON is cleared before PIR is read: a post
 *       landing in between sets ON again and notifies, and the pending
 *       notification is processed by the CPU right after VM entry (spurious
 *       at worst), never lost;
 *     - ON clear but PIR non-empty (posts suppressed while SN was 1, which
 *       sent no notification; PIR is read only after SN was set since the
 *       last entry, pi_pir_unchecked): send this pCPU a notification-vector
 *       self-IPI;
 *       it stays pending while IF=0 and the CPU's posted-interrupt processing
 *       takes PIR right after VM entry [SPEC 2 "or restore NV and send
 *       itself a notification IPI"].
 * Steps 1-2 in vtd-pi mode (NV is written only if it differs; a vCPU
 * can be on a list even after the hooks' removal raced with its block);
 * step 3 in both posting modes.
 */
#include "hyp_core.h"
#include "pi.h"
#include "pid.h"

void pi_vm_entry_check(struct vcpu *v)
{
    HYP_ASSERT(!arch_irqs_enabled());
    uint64_t ctl = pid_read_control(v->pid_pa);
    if (pi_desc_managed(v)) {
        if (((ctl & PID_NV_MASK) >> PID_NV_SHIFT) != hyp_core.notification_vector) /* 1 */
            ctl = pid_update_control(v->pid_pa, PID_NV_MASK,
                                     (uint64_t)hyp_core.notification_vector << PID_NV_SHIFT);
        pi_blocking_list_del(v);                                                  /* 2 */
    }
    /* 3 */
    if (ctl & PID_ON) {
        pid_test_and_clear_on(v->pid_pa);
        uint64_t pir[4];
        if (pid_harvest_pir(v->pid_pa, pir)) {
            vapic_raise_rvi(vapic_merge_irr(v, pir));
            for (uint32_t i = 0; i < 4; i++)
                for (uint32_t b = 0; b < 64; b++)
                    if (pir[i] & (1ull << b))
                        hyp_trace(HYP_TR_VIRQ_PEND, v->id, i * 64u + b, 0, 0);
        }
    } else if (v->pi_pir_unchecked && !pid_pir_empty(v->pid_pa)) {
        hyp_trace(HYP_TR_IPI, arch_cpu_id(), hyp_core.notification_vector, v->id, 0);
        arch_apic_send_self_ipi(hyp_core.notification_vector);
    }
    v->pi_pir_unchecked = false;
}
