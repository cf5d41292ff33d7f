/*
 * virq.c - virtual interrupts for a vCPU, per irq mode (hyp_config.irq_mode).
 *
 * Delivery:
 *  - vtd-pi, cpu-pi: software posting into the PID (pi_deliver_posted_intr);
 *  - apicv, emulated: the vector is set in the vCPU's software-pending
 *    bitmap; the vCPU is woken and kicked; its VM-entry path moves the bits
 *    into VIRR/RVI (apicv) or injects them (emulated).
 * Virtual IPIs: ICR vector 7:0, shorthand 19:18 (01 self, 10 all, 11 all but
 * self), destination 63:32 = guest APIC ID = vCPU index in the domain, or
 * 0xFFFFFFFF: all [SDM 10.6.1, 10.12.9 (x2APIC ICR), 10.6.2.1 (broadcast)].
 */
#include "hyp_core.h"
#include "pi.h"
#include "pid.h"

void virq_deliver(struct vcpu *v, uint8_t vector)
{
    if (irq_mode_posted()) {
        pi_deliver_posted_intr(v, vector);
        return;
    }
    uint64_t bit = 1ull << (vector & 63u);
    if (hyp_atomic_fetch_or(&v->pending[vector >> 6], bit, __ATOMIC_ACQ_REL) & bit)
        return;
    vcpu_wake(v);
    vcpu_kick(v);
}

void virq_send_ipi(struct vcpu *from, uint64_t icr)
{
    uint8_t vector = (uint8_t)(icr & 0xFFu);
    uint32_t shorthand = (uint32_t)((icr >> 18) & 3u);
    uint32_t dest = (uint32_t)(icr >> 32);
    struct domain *d = &hyp_core.dom[from->domid];
    if (vector < 16)
        return; /* reserved vectors: dropped (send-illegal-vector) */
    for (uint32_t i = 0; i < d->nr_vcpus; i++) {
        bool hit;
        switch (shorthand) {
        case 1: hit = i == from->vidx; break;
        case 2: hit = true; break;
        case 3: hit = i != from->vidx; break;
        default: hit = dest == 0xFFFFFFFFu || i == dest; break;
        }
        if (hit) {
            hyp_trace(HYP_TR_VIPI, d->vcpu[i], vector, from->id, 0);
            virq_deliver(&hyp_core.vcpu[d->vcpu[i]], vector);
        }
    }
}

/* Software-pending vectors -> VIRR and RVI (apicv). A word is exchanged
 * only when a plain read finds it non-empty, as KVM's __kvm_apic_update_irr
 * does with PIR (arch/x86/kvm/lapic.c): a locked exchange of an empty word
 * would cost a full barrier for nothing. */
static void apicv_intr_assist(struct vcpu *v)
{
    uint64_t bits[4];
    bool any = false;
    for (uint32_t i = 0; i < 4; i++) {
        bits[i] = 0;
        if (hyp_atomic_load_n(&v->pending[i], __ATOMIC_RELAXED) != 0)
            bits[i] = hyp_atomic_exchange_n(&v->pending[i], 0, __ATOMIC_ACQ_REL);
        any = any || bits[i] != 0;
    }
    if (!any)
        return;
    vapic_raise_rvi(vapic_merge_irr(v, bits));
    HYP_REPORT(hyp_trace_vectors(HYP_TR_VIRQ_PEND, v->id, bits, 2));
}

/* The interrupt assist of the VM-entry path, with IF=1 [Xen vmx_intr_assist]:
 * posting modes: the descriptor back to running state (pi_do_resume), then
 * PIR of a consumed notification into VIRR/RVI (pi_sync_pir_to_irr); apicv:
 * software-pending vectors into VIRR/RVI; emulated: injection through the
 * VM-entry interruption-information field. Every step may be repeated: an
 * interrupt handled in root mode after it raises a softirq, and vm_entry
 * comes back here before VM entry. */
void virq_intr_assist(struct vcpu *v)
{
    if (irq_mode_posted()) {
        pi_do_resume(v);
        pi_sync_pir_to_irr(v);
    } else if (hyp_core.irq_mode == HYP_IRQ_APICV)
        apicv_intr_assist(v);
    else
        vlapic_intr_assist(v);
}

/* Xen local_events_need_delivery: would the vCPU take an interrupt now?
 * Called on the vCPU's own pCPU with its VMCS current (the HLT path's
 * vcpu_block and the VM-entry recheck).
 * Posting modes: a consumed notification's vectors are handed from PIR to
 * VIRR/RVI first (pi_sync_pir_to_irr, which acts only when ON is set), then
 * RVI is judged against VPPR, as Xen's vlapic_has_pending_irq does after
 * vmx_sync_pir_to_irr and Linux's kvm_cpu_has_interrupt after
 * sync_pir_to_irr. ON alone is no event: a software post sets PIR, then ON,
 * and the CPU's posted-interrupt processing (of an earlier notification)
 * may take the PIR bit in between, leaving ON set over an empty PIR; read
 * as an event, it made a halting vCPU re-enter with nothing to take and
 * exit on HLT again. PIR bits with ON clear belong to a post still under
 * way (pi_deliver_posted_intr between its PIR and ON steps), whose sender
 * wakes the vCPU once it sets ON. Bits posted while SN was set are given
 * their ON by pi_switch_to. */
bool virq_events_pending(struct vcpu *v)
{
    HYP_ASSERT(this_pcpu()->vmcs_loaded == v->id);
    switch (hyp_core.irq_mode) {
    case HYP_IRQ_VTD_PI:
    case HYP_IRQ_CPU_PI:
        pi_sync_pir_to_irr(v);
        return vapic_has_deliverable(v);
    case HYP_IRQ_APICV:
        for (uint32_t i = 0; i < 4; i++)
            if (hyp_atomic_load_n(&v->pending[i], __ATOMIC_ACQUIRE) != 0)
                return true;
        return vapic_has_deliverable(v);
    default:
        return vlapic_has_pending(v);
    }
}
