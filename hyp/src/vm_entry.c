/*
 * vm_entry.c - the VM-entry path of the current vCPU, in Xen's order [Xen
 * vmx_do_resume / vmx_asm_vmexit_handler .Lvmx_do_vmentry; SDM 29.6; Xen
 * commit b151125b4d, "x86/apicv: fix wrong IPI suppression during posted interrupt delivery"].
 *
 *  1. arm the scheduler tick;
 *  2. interrupt assist with IF=1: the per-pCPU guest interrupt first
 *     (percpu_virq_assist, which makes its vector pending in the vCPU),
 *     then per irq mode (virq_intr_assist);
 *  2b. a vCPU woken from HLT for no event (vcpu_wake_recheck) halts again
 *     here, now that the assist has taken it off any blocking list and
 *     moved posted vectors into VIRR, unless an interrupt is deliverable:
 *     the HLT exit's block path runs once more on this pCPU (Linux
 *     kvm_vcpu_block asks kvm_vcpu_check_block after every wake-up);
 *  3. IF := 0; a softirq raised until here sends us back to process it and
 *     to redo step 2. This is what makes step 2 safe with IF=1: a
 *     notification handled in root mode between steps 2 and 3 leaves its
 *     vector in PIR, and only the softirq pi_notification_handler raises
 *     brings the pCPU back to sync it (Xen pi_notification_interrupt);
 *  4. in posting modes the IF=0 check of the descriptor (pi_vm_entry_check);
 *  5. VM entry; returns with IF=0 after the exit;
 *  6. exit handling by reason, then IF := 1.
 */
#include "hyp_core.h"
#include "pi.h"

void vm_entry(struct vcpu *v)
{
    uint32_t cpu = arch_cpu_id();
    struct pcpu *pc = &hyp_core.pcpu[cpu];

    HYP_ASSERT(pc->curr == v->id && pc->ctx == v->id && pc->vmcs_loaded == v->id);
    HYP_ASSERT(vcpu_state(v) == HYP_VCPU_RUNNING && v->vmcs_cpu == cpu);
    timer_arm(pc);                          /* 1 */
    percpu_virq_assist(v);                  /* 2 */
    virq_intr_assist(v);
    if (hyp_atomic_exchange_n(&v->hlt_recheck, false, __ATOMIC_ACQ_REL) && /* 2b */
        !virq_events_pending(v)) {
        vcpu_block(v);
        return;
    }
    arch_irq_disable();                     /* 3 */
    if (softirq_pending(cpu)) {
        arch_irq_enable();
        return;
    }
    if (irq_mode_posted())                  /* 4 */
        pi_vm_entry_check(v);

    struct arch_vm_exit exit;               /* 5 */
    exit.reason = 0;
    exit.qualification = 0;
    exit.intr_info = 0;
    exit.entry_error = 0;
    hyp_trace(HYP_TR_VM_ENTRY, v->id, cpu, 0, 0);
    bool entered = arch_vm_enter(&exit);
    HYP_ASSERT(entered && exit.entry_error == 0);
    HYP_ASSERT(!arch_irqs_enabled());

    vmexit_handler(v, &exit);               /* 6 */
    arch_irq_enable();
}
