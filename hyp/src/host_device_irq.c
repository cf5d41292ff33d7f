/*
 * host_device_irq.c - the root-mode handler of a host-owned device's
 * interrupt (dom0's SAS controller beside a guest's passthrough NIC on one
 * pCPU: xen-devel, "[Xenhackthon] Virtualized APIC registers - virtual
 * interrupt delivery", 2013) [Xen do_IRQ for a hypervisor-owned MSI: the
 * handler runs with interrupts enabled, and a non-maskable MSI's EOI is
 * written at the end (end_nonmaskable_msi_irq); SDM 10.8.3.1 on PPR]. Steps:
 *  1. trace the handler's entry: the interrupt is delivered to its owner;
 *  2. IF := 1 for the handler's body (b->host_cycles cycles): the vector
 *     stays in the local APIC's ISR, so PPR holds its priority class and only
 *     a vector of a higher class (e.g. the posted-interrupt notification
 *     vector above a host vector 0x58) interrupts the handler; one of a lower
 *     or equal class waits for the EOI;
 *  3. IF := 0, EOI.
 */
#include "hyp_core.h"

void host_device_irq(const struct msi_binding *b)
{
    HYP_ASSERT(b->used && b->host && !arch_irqs_enabled());
    struct pcpu *pc = this_pcpu();
    hyp_trace(HYP_TR_HANDLER_ENTER, HYP_H_HOST_IRQ, b->hvec, pc->curr,                 /* 1 */
              ((uint64_t)b->device << 16) | b->msi_index);
    arch_irq_enable();                                                                /* 2 */
    uint64_t start = arch_now();
    while (arch_now() - start < b->host_cycles)
        ;
    arch_irq_disable();                                                               /* 3 */
    arch_apic_eoi();
    hyp_trace(HYP_TR_HANDLER_EXIT, HYP_H_HOST_IRQ, b->hvec, pc->curr,
              ((uint64_t)b->device << 16) | b->msi_index);
}
