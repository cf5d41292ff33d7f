/*
 * pi_do_resume.c - the first posted-interrupt step of the VM-entry path, with
 * interrupts enabled, before the interrupt assist [SDM 29.6; Feng Wu, xen-devel,
 * Feb 2016, "before VM-entry"; Xen vmx_pi_do_resume, called from vmx_do_resume ahead
 * of vmx_intr_assist].
 *
 *  1. NV := notification vector (it may still be the wakeup vector from
 *     pi_vcpu_block: the unblock paths do not restore it); written only if
 *     it differs;
 *  2. take the vCPU off any blocking list (a vCPU can be on a list even after
 *     the hooks' removal raced with its block).
 * Both before pi_sync_pir_to_irr: a post landing after the PIR sync must find
 * NV = notification vector, so its notification reaches
 * pi_notification_handler (which sends the pCPU back through the entry path)
 * and not the wakeup handler (which ignores a running vCPU).
 * vtd-pi mode only (pi_desc_managed); in cpu-pi mode NV never changes.
 */
#include "hyp_core.h"
#include "pi.h"
#include "pid.h"

void pi_do_resume(struct vcpu *v)
{
    if (!pi_desc_managed(v))
        return;
    uint64_t ctl = pid_read_control(v->pid_pa);
    if (((ctl & PID_NV_MASK) >> PID_NV_SHIFT) != hyp_core.notification_vector) /* 1 */
        pid_update_control(v->pid_pa, PID_NV_MASK,
                           (uint64_t)hyp_core.notification_vector << PID_NV_SHIFT);
    pi_blocking_list_del(v);                                                  /* 2 */
}
