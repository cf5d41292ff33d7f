/*
 * pcpu_main.c - the body of each pCPU thread (hyp.h hyp_pcpu_main): a Xen-like
 * idle loop [Xen xen/arch/x86/domain.c idle_loop, vmx_do_resume].
 *
 * One iteration (pcpu_loop_once):
 *  1. process softirqs (IF=1): tick accounting, scheduling, migrations;
 *  2. idle (no current vCPU): run queued tasklet work if any; else disarm
 *     the tick and halt: IF := 0, and unless a softirq is pending, STI;HLT
 *     (arch_halt) so no wake-up is lost between the check and the halt;
 *  3. otherwise the VM-entry path of the current vCPU (vm_entry.c).
 */
#include "hyp_core.h"

void pcpu_loop_once(void)
{
    uint32_t cpu = arch_cpu_id();
    struct pcpu *pc = &hyp_core.pcpu[cpu];

    do_softirq();                                                    /* 1 */
    if (pc->curr == HYP_INVALID) {                                   /* 2 */
        if (hyp_atomic_load_n(&pc->tasklet_work, __ATOMIC_ACQUIRE) != 0) {
            sched_run_tasklets();
            return;
        }
        timer_disarm(pc);
        arch_irq_disable();
        if (!softirq_pending(cpu))
            arch_halt();
        else
            arch_irq_enable();
        return;
    }
    vm_entry(&hyp_core.vcpu[pc->curr]);                              /* 3 */
}

_Noreturn void hyp_pcpu_main(uint32_t cpu)
{
    HYP_ASSERT(hyp_core.initialized && cpu < hyp_core.nr_pcpus && cpu == arch_cpu_id());
    /* the machine's APIC IDs are the ones hyp_config named (NDST, IPIs) */
    HYP_ASSERT(arch_apic_id(cpu) == hyp_core.apic_id[cpu]);
    arch_apic_set_tpr(0); /* accept every vector class */
    arch_irq_enable();
    for (;;)
        pcpu_loop_once();
}
