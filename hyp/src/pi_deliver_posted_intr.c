/*
 * pi_deliver_posted_intr.c - software posting of a virtual interrupt (a
 * virtual IPI, or a remapped device interrupt in cpu-pi mode) [SDM 29.6;
 * Xen vmx_deliver_posted_intr; Linux vmx_deliver_posted_interrupt].
 *
 * Set PIR[vector]; if it was already set, the earlier sender notifies. Else
 * set ON; if ON was clear, unblock the vCPU and kick it (vcpu_kick).
 */
#include "hyp_core.h"
#include "pi.h"
#include "pid.h"

void pi_deliver_posted_intr(struct vcpu *v, uint8_t vector)
{
    if (pid_test_and_set_pir(v->pid_pa, vector))
        return;
    if (pid_test_and_set_on(v->pid_pa))
        return;
    vcpu_wake(v);
    vcpu_kick(v);
}
