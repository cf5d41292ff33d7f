/*
 * pi_wakeup_handler.c - root-mode handler of the wakeup vector [SPEC 7;
 * Xen pi_wakeup_interrupt].
 *
 * EOI, then walk this pCPU's blocking list under its lock and take off every
 * vCPU whose PID has ON set; wake them after the lock is dropped (waking takes
 * a scheduler lock, which must never nest inside a blocking-list lock).
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
    uint32_t id = pc->pi_block_head;
    while (id != HYP_INVALID) {
        struct vcpu *v = &hyp_core.vcpu[id];
        uint32_t next = v->pi_next;
        if (pid_test_on(v->pid_pa)) {
            pi_blocking_list_unlink_locked(v, cpu);
            HYP_ASSERT(n < HYP_MAX_VCPUS);
            woken[n++] = id;
        }
        id = next;
    }
    spin_unlock_irqrestore(&pc->pi_block_lock, f);

    for (uint32_t i = 0; i < n; i++)
        vcpu_wake(&hyp_core.vcpu[woken[i]]);
    hyp_trace(HYP_TR_HANDLER_EXIT, HYP_H_PI_WAKEUP, hyp_core.wakeup_vector, HYP_INVALID, 0);
}
