/*
 * irq.c - root-mode interrupt entry (hyp_do_irq and external-interrupt exits
 * with acknowledge-on-exit) and the scheduler tick.
 *
 * Vectors (hyp_config): notification -> pi_notification_handler, wakeup ->
 * pi_wakeup_handler, timer -> timer_interrupt, control -> ctl_interrupt,
 * percpu -> percpu_virq_handler,
 * device_vector_base.. -> device_irq. Every handler writes EOI: the vector
 * is in the local APIC's ISR [SDM 10.8.5].
 */
#include "hyp_core.h"
#include "pi.h"

void timer_arm(struct pcpu *pc)
{
    if (pc->next_tick != 0 || hyp_core.tick_period == 0)
        return;
    pc->next_tick = arch_now() + hyp_core.tick_period;
    arch_apic_set_timer(pc->next_tick, hyp_core.timer_vector);
}

void timer_disarm(struct pcpu *pc)
{
    if (pc->next_tick == 0)
        return;
    pc->next_tick = 0;
    arch_apic_set_timer(0, hyp_core.timer_vector);
}

/* Timer vector: the tick (TSC-deadline timer) or a scheduler IPI from
 * another pCPU (softirq.c). A due tick is re-armed and raises TIMER. */
static void timer_interrupt(void)
{
    struct pcpu *pc = this_pcpu();
    hyp_trace(HYP_TR_HANDLER_ENTER, HYP_H_TIMER, hyp_core.timer_vector, pc->curr, 0);
    arch_apic_eoi();
    uint64_t now = arch_now();
    if (pc->next_tick != 0 && now >= pc->next_tick) {
        while (pc->next_tick <= now)
            pc->next_tick += hyp_core.tick_period;
        arch_apic_set_timer(pc->next_tick, hyp_core.timer_vector);
        raise_softirq(SOFTIRQ_TIMER);
    }
    hyp_trace(HYP_TR_HANDLER_EXIT, HYP_H_TIMER, hyp_core.timer_vector, pc->curr, 0);
}

void do_irq_vector(uint8_t vector)
{
    HYP_ASSERT(!arch_irqs_enabled());
    if (vector == hyp_core.notification_vector) {
        pi_notification_handler();
    } else if (vector == hyp_core.wakeup_vector && hyp_core.irq_mode == HYP_IRQ_VTD_PI) {
        pi_wakeup_handler();
    } else if (vector == hyp_core.timer_vector) {
        timer_interrupt();
    } else if (vector == hyp_core.control_vector) {
        ctl_interrupt();
    } else if (hyp_core.percpu_vector != 0 && vector == hyp_core.percpu_vector) {
        percpu_virq_handler();
    } else if (vector >= hyp_core.device_vector_base &&
               this_pcpu()->vec_binding[vector] != BINDING_NONE) {
        device_irq(vector);
    } else {
        /* spurious or unbound vector: dismiss it */
        hyp_trace(HYP_TR_HANDLER_ENTER, HYP_H_IRQ, vector, this_pcpu()->curr, 0);
        arch_apic_eoi();
        hyp_trace(HYP_TR_HANDLER_EXIT, HYP_H_IRQ, vector, this_pcpu()->curr, 0);
    }
}

void hyp_do_irq(uint8_t vector)
{
    struct pcpu *pc = this_pcpu();
    pc->in_irq++;
    do_irq_vector(vector);
    HYP_ASSERT(pc->in_irq > 0);
    pc->in_irq--;
}
