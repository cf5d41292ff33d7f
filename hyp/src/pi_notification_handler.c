/*
 * pi_notification_handler.c - root-mode handler of the posted-interrupt
 * notification vector [Xen pi_notification_interrupt, hvm/vmx/vmx.c; Xen commit
 * b151125b4d, "x86/apicv: fix wrong IPI suppression during posted interrupt delivery"].
 * The notification may arrive after the PIR was synchronized and before
 * interrupts are disabled for VM entry: EOI it and raise a softirq so the
 * VM-entry path runs again and syncs PIR (the window that commit describes).
 */
#include "hyp_core.h"
#include "pi.h"

void pi_notification_handler(void)
{
    hyp_trace(HYP_TR_HANDLER_ENTER, HYP_H_PI_NOTIFICATION, hyp_core.notification_vector,
              this_pcpu()->curr, 0);
    arch_apic_eoi();
    raise_softirq(SOFTIRQ_VCPU_KICK);
    hyp_trace(HYP_TR_HANDLER_EXIT, HYP_H_PI_NOTIFICATION, hyp_core.notification_vector,
              this_pcpu()->curr, 0);
}
