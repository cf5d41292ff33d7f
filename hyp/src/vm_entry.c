/*
 * vm_entry.c - the VM-entry path of the current vCPU [Xen
 * vmx_asm_vmexit_handler / vmx_intr_assist ordering; SPEC 2, 7; seed 001].
 *
 *  1. arm the scheduler tick;
 *  2. IF := 0; a softirq raised until here (e.g. by a notification in root
 *     mode, seed 001) sends us back to process it first;
 *  3. interrupt assist per irq mode, with IF=0: in posting modes
 *     pi_vm_entry_check (NV, blocking list, PIR -> VIRR/RVI), in apicv the
 *     software-pending vectors -> VIRR/RVI, in emulated mode injection;
 *  4. VM entry; returns with IF=0 after the exit;
 *  5. exit handling by reason, then IF := 1.
 */
#include "hyp_core.h"
#include "pi.h"

void vm_entry(struct vcpu *v)
{
    uint32_t cpu = arch_cpu_id();
    struct pcpu *pc = &hyp_core.pcpu[cpu];

    timer_arm(pc);                          /* 1 */
    arch_irq_disable();                     /* 2 */
    if (softirq_pending(cpu)) {
        arch_irq_enable();
        return;
    }
    HYP_ASSERT(pc->curr == v->id && pc->ctx == v->id && pc->vmcs_loaded == v->id);
    HYP_ASSERT(vcpu_state(v) == HYP_VCPU_RUNNING && v->vmcs_cpu == cpu);

    virq_intr_assist(v);                    /* 3 */

    struct arch_vm_exit exit;               /* 4 */
    exit.reason = 0;
    exit.qualification = 0;
    exit.intr_info = 0;
    exit.entry_error = 0;
    hyp_trace(HYP_TR_VM_ENTRY, v->id, cpu, 0, 0);
    bool entered = arch_vm_enter(&exit);
    HYP_ASSERT(entered && exit.entry_error == 0);
    HYP_ASSERT(!arch_irqs_enabled());

    vmexit_handler(v, &exit);               /* 5 */
    arch_irq_enable();
}
