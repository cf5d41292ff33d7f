/*
 * vcpu_kick.c - make a vCPU notice newly posted interrupts [Xen
 * __vmx_deliver_posted_interrupt as of commit b151125b4d, "x86/apicv: fix wrong
 * IPI suppression during posted interrupt delivery" (Quan Xu, Chao Gao, 2017)].
 *  - not running (runnable or blocked): nothing; it syncs PIR at its next
 *    VM entry, and the block path re-checks for events after blocking;
 *  - the current vCPU of this pCPU outside interrupt context: nothing; the
 *    VM-entry path runs before it re-enters the guest;
 *  - running on another pCPU: notification IPI to that pCPU (in non-root mode
 *    the CPU syncs PIR itself; in root mode the notification handler raises a
 *    softirq);
 *  - the current vCPU here, in interrupt context: raise a softirq, but only
 *    if none is pending (any softirq re-runs the VM-entry path).
 */
#include "hyp_core.h"
#include "pi.h"

void vcpu_kick(struct vcpu *v)
{
    uint32_t me = arch_cpu_id();
    if (!vcpu_is_running(v))
        return;
    uint32_t cpu = hyp_atomic_load_n(&v->processor, __ATOMIC_ACQUIRE);
    bool current_here = (cpu == me) && hyp_core.pcpu[me].curr == v->id;
    if (current_here && hyp_core.pcpu[me].in_irq == 0)
        return;
    if (cpu != me) {
        hyp_trace(HYP_TR_IPI, cpu, hyp_core.notification_vector, v->id, 0);
        arch_apic_send_ipi(hyp_core.apic_id[cpu], hyp_core.notification_vector);
    } else if (!softirq_pending(me)) {
        raise_softirq(SOFTIRQ_VCPU_KICK);
    }
}
