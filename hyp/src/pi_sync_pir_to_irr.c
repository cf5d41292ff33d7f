/*
 * pi_sync_pir_to_irr.c - the interrupt assist of the posting modes, with
 * interrupts enabled [Xen docs/misc/vtd-pi.txt; Xen vmx_sync_pir_to_irr, called
 * from vmx_intr_assist ahead of the IF=0 softirq check; SDM 29.6 on what
 * posted-interrupt processing does with PIR].
 *
 * VM entry does not read the PID [SDM 29.6]: a notification that was consumed
 * in root mode (ON set, the notification vector already handled by
 * pi_notification_handler or pi_wakeup_handler) leaves its vectors in PIR,
 * and they must be handed to the CPU here:
 *  1. ON set: clear ON, then take PIR (each non-empty 64-bit group exchanged
 *     with 0) and OR it into VIRR, raising RVI. ON is cleared before PIR is
 *     read: a post landing in between sets ON again and notifies.
 * A post landing after this function and before IF := 0 is handled in root
 * mode by pi_notification_handler, whose softirq sends the pCPU back through
 * the entry path before VM entry (Xen commit b151125b4d). Without that
 * softirq the vector stays in PIR with ON set, VT-d sends no further
 * notification, and the interrupt waits for an unrelated VM exit.
 */
#include "hyp_core.h"
#include "pi.h"
#include "pid.h"

void pi_sync_pir_to_irr(struct vcpu *v)
{
    if (!pid_test_on(v->pid_pa))
        return;
    pid_test_and_clear_on(v->pid_pa);                                     /* 1 */
    uint64_t pir[4];
    if (!pid_harvest_pir(v->pid_pa, pir))
        return;
    vapic_raise_rvi(vapic_merge_irr(v, pir));
    HYP_REPORT(hyp_trace_vectors(HYP_TR_VIRQ_PEND, v->id, pir, 0));
}
