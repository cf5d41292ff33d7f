/*
 * pi_hooks_deassign.c - remove the VT-d PI hooks when a domain's last device
 * is deassigned [Xen docs/misc/vtd-pi.txt; Xen vmx_pi_hooks_deassign].
 *
 * Hooks off first, so no new blocking-list entries appear (every list's lock
 * taken once: an add under way has finished, a later one sees the hooks off
 * and adds nothing); then every vCPU is
 * taken off any blocking list (nothing would ever take it off once the entry
 * hook is gone) and NV is restored to the notification vector. A blocked
 * vCPU whose PID shows a post (ON set, or PIR bits) is woken here: the post
 * landed while NV was the wakeup vector, and the wakeup handler its
 * notification reaches will no longer find the vCPU on the list. No later
 * device post can land: device_deassign removed the IRTEs and waited for the
 * interrupt-entry-cache invalidation first [VTD 6.5.2.7]. Any other blocked
 * vCPU stays blocked: with no device left, its wake-ups come from software
 * (pi_deliver_posted_intr), which does not need the list.
 */
#include "hyp_core.h"
#include "pi.h"
#include "pid.h"

void pi_hooks_deassign(struct domain *d)
{
    if (hyp_core.irq_mode != HYP_IRQ_VTD_PI)
        return;
    hyp_atomic_store_n(&d->pi_hooks, 0u, __ATOMIC_RELEASE);
    /* a block path that checked the hooks before that store has finished
     * adding to its list, and one after it adds nothing */
    pi_blocking_list_barrier();
    for (uint32_t i = 0; i < d->nr_vcpus; i++) {
        struct vcpu *v = &hyp_core.vcpu[d->vcpu[i]];
        pi_blocking_list_del(v);
        pid_set_nv(v->pid_pa, hyp_core.notification_vector);
        if (vcpu_state(v) == HYP_VCPU_BLOCKED &&
            (pid_test_on(v->pid_pa) || !pid_pir_empty(v->pid_pa)))
            vcpu_wake(v);
    }
}
