/*
 * pi_wakeup_handler.c - root-mode handler of the wakeup vector [Xen
 * docs/misc/vtd-pi.txt; Xen pi_wakeup_interrupt].
 *
 * EOI; then, under this pCPU's blocking-list lock, note every listed vCPU
 * whose PID has ON set; wake them with the lock dropped (waking takes a
 * scheduler lock, which must never nest inside a blocking-list lock); then
 * take them off the list. Waking before taking off keeps "a blocked vCPU is
 * on the list NDST names" true at every instant. A vCPU that meanwhile ran,
 * left the list at VM entry and blocked again (it is back on the list) is
 * left alone unless its ON is set again.
 */
#include "hyp_core.h"
#include "pi.h"
#include "pid.h"

void pi_wakeup_handler(void)
{
    uint32_t cpu = arch_cpu_id();
    struct pcpu *pc = &hyp_core.pcpu[cpu];
    uint32_t woken[HYP_MAX_VCPUS];
    uint32_t n = 0;

    hyp_trace(HYP_TR_HANDLER_ENTER, HYP_H_PI_WAKEUP, hyp_core.wakeup_vector, HYP_INVALID, 0);
    arch_apic_eoi();

    bool f = spin_lock_irqsave(&pc->pi_block_lock);
    for (uint32_t id = pc->pi_block_head; id != HYP_INVALID; id = hyp_core.vcpu[id].pi_next) {
        if (pid_test_on(hyp_core.vcpu[id].pid_pa)) {
            HYP_ASSERT(n < HYP_MAX_VCPUS);
            woken[n++] = id;
        }
    }
    spin_unlock_irqrestore(&pc->pi_block_lock, f);

    for (uint32_t i = 0; i < n; i++)
        vcpu_wake(&hyp_core.vcpu[woken[i]]);

    f = spin_lock_irqsave(&pc->pi_block_lock);
    for (uint32_t i = 0; i < n; i++) {
        struct vcpu *v = &hyp_core.vcpu[woken[i]];
        if (v->pi_block_cpu == cpu && vcpu_state(v) != HYP_VCPU_BLOCKED)
            pi_blocking_list_unlink_locked(v, cpu);
    }
    spin_unlock_irqrestore(&pc->pi_block_lock, f);
    hyp_trace(HYP_TR_HANDLER_EXIT, HYP_H_PI_WAKEUP, hyp_core.wakeup_vector, HYP_INVALID, 0);
}
