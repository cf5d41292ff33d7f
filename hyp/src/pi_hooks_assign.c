/*
 * pi_hooks_assign.c - install the VT-d PI hooks when a domain gets its first
 * assigned device [Xen docs/misc/vtd-pi.txt; Xen vmx_pi_hooks_assign].
 *
 * vCPUs may be running, runnable or blocked at this moment. The hooks are
 * switched on first; then each vCPU's PID is brought to the state the hooks
 * would have produced, under the vCPU's scheduler lock:
 *  - current on its pCPU (context loaded): NDST that pCPU, SN 0, NV untouched
 *    (a block path under way on that pCPU owns it; VM entry restores it);
 *  - blocked: SN 0 (and ON for PIR bits posted while SN was 1, as
 *    pi_switch_to), the block path's steps (pi_vcpu_block), and unblock if an
 *    event is already there; a block path racing with us does the same
 *    steps, which are idempotent;
 *  - otherwise (runnable, offline): NV notification, NDST its pCPU, SN 1.
 */
#include "hyp_core.h"
#include "pi.h"
#include "pid.h"

void pi_hooks_assign(struct domain *d)
{
    if (hyp_core.irq_mode != HYP_IRQ_VTD_PI)
        return;
    hyp_atomic_store_n(&d->pi_hooks, 1u, __ATOMIC_RELEASE);
    for (uint32_t i = 0; i < d->nr_vcpus; i++) {
        struct vcpu *v = &hyp_core.vcpu[d->vcpu[i]];
        bool f;
        uint32_t cpu = vcpu_schedule_lock(v, &f);
        struct pcpu *pc = &hyp_core.pcpu[cpu];
        bool wake = false;
        if (vcpu_state(v) == HYP_VCPU_BLOCKED) {
            pid_update_control(v->pid_pa, PID_NDST_MASK | PID_SN,
                               (uint64_t)pid_ndst_of_cpu(cpu) << PID_NDST_SHIFT);
            /* posts made while SN was 1 set PIR without ON: give them their
             * ON now that SN is clear, as pi_switch_to does */
            if (!pid_pir_empty(v->pid_pa))
                pid_test_and_set_on(v->pid_pa);
            wake = pi_vcpu_block(v);
        } else if (pc->ctx == v->id) {
            /* NV is left alone: a current vCPU may be inside its own block
             * path on its pCPU, which has already set the wakeup vector and is
             * about to add it to the blocking list; the VM-entry check puts
             * the notification vector back before the vCPU next runs. */
            pid_update_control(v->pid_pa, PID_NDST_MASK | PID_SN,
                               (uint64_t)pid_ndst_of_cpu(cpu) << PID_NDST_SHIFT);
        } else {
            pid_update_control(v->pid_pa, PID_NDST_MASK | PID_NV_MASK,
                               PID_SN | ((uint64_t)pid_ndst_of_cpu(cpu) << PID_NDST_SHIFT) |
                                   ((uint64_t)hyp_core.notification_vector << PID_NV_SHIFT));
        }
        vcpu_schedule_unlock(cpu, f);
        if (wake)
            vcpu_wake(v);
    }
}
