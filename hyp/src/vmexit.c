/*
 * vmexit.c - VM-exit dispatch by basic exit reason [SDM vol. 3C appendix C,
 * 27.2.1]. Runs with IF=0 right after arch_vm_enter returns.
 *
 *  1  external interrupt: with acknowledge-on-exit the vector is in
 *     intr_info (bit 31 valid, 7:0 vector) and in the LAPIC ISR: the same
 *     handler as in root mode runs (and EOIs it).
 *  7  interrupt window (emulated mode): inject at the next VM entry.
 *  12 HLT: block the vCPU.
 *  18 VMCALL: a hypercall (hypercall.c); the CPU model has already moved
 *     the guest past the instruction.
 *  32 WRMSR (an x2APIC guest; qualification 0): ECX = the MSR, EDX:EAX = the
 *     value [SDM 25.1.3]. x2APIC MSRs (800H-8FFH) are emulated by
 *     vlapic_x2apic_wrmsr: the ICR (830H, one 64-bit write: a virtual IPI)
 *     in every mode; EOI, TPR and SELF IPI in emulated mode, where every
 *     WRMSR exits (the apicv modes' MSR bitmap lets those three pass).
 *  43 TPR below threshold: nothing to do but re-evaluate at the next VM entry.
 *  45 EOI induced (qualification = vector): the per-pCPU guest interrupt's
 *     EOI (percpu_virq_eoi); then re-evaluate at the next VM entry.
 *  44 APIC access (emulated mode, fault-like: the write was not done):
 *     the software vLAPIC emulates it (vlapic_apic_access: EOI, ICR high,
 *     ICR low) from the data in the qualification.
 *  56 APIC write (APICv, trap-like: the write is in the virtual-APIC page):
 *     offset 0x300 = ICR low written, destination in VICR_HI / 0x304.
 */
#include "hyp_core.h"
#include "pi.h"

/* The ICR as the guest wrote it into the virtual-APIC page, in the x2APIC
 * layout (destination in bits 63:32). x2APIC mode: WRMSR 0x830 stores the
 * 64-bit value at offset 0x300 [SDM 29.5]; xAPIC mode: destination in
 * ICR_HI (0x310) bits 31:24 [SDM 10.6.1]. */
static uint64_t vapic_read_icr(struct vcpu *v)
{
    uint32_t lo = arch_mem_read32(v->vapic_pa + APIC_ICR);
    if (!hyp_core.x2apic)
        return vlapic_xapic_icr(lo, arch_mem_read32(v->vapic_pa + APIC_ICR2));
    return (uint64_t)lo | ((uint64_t)arch_mem_read32(v->vapic_pa + APIC_ICR + 4u) << 32);
}

void vmexit_handler(struct vcpu *v, const struct arch_vm_exit *exit)
{
    struct pcpu *pc = this_pcpu();
    hyp_trace(HYP_TR_HANDLER_ENTER, HYP_H_VMEXIT, exit->reason, v->id, 0);
    switch (exit->reason) {
    case EXIT_REASON_EXTERNAL_INTERRUPT:
        if (exit->intr_info & INTR_INFO_VALID) {
            pc->in_irq++;
            do_irq_vector((uint8_t)(exit->intr_info & INTR_INFO_VECTOR_MASK));
            pc->in_irq--;
        }
        break;
    case EXIT_REASON_INTERRUPT_WINDOW:
        vlapic_intr_window_exit(v);
        break;
    case EXIT_REASON_HLT:
        vcpu_block(v);
        break;
    case EXIT_REASON_VMCALL:
        hypercall(v);
        break;
    case EXIT_REASON_MSR_WRITE:
        HYP_ASSERT(exit->rcx >= MSR_X2APIC_FIRST && exit->rcx <= MSR_X2APIC_LAST);
        vlapic_x2apic_wrmsr(v, (uint32_t)exit->rcx,
                            (exit->rdx << 32) | (exit->rax & 0xFFFFFFFFu));
        break;
    case EXIT_REASON_TPR_BELOW_THRESHOLD:
        break;
    case EXIT_REASON_EOI_INDUCED:
        percpu_virq_eoi(v, (uint8_t)(exit->qualification & 0xFFu));
        break;
    case EXIT_REASON_APIC_ACCESS:
        vlapic_apic_access(v, exit->qualification);
        break;
    case EXIT_REASON_APIC_WRITE:
        if ((exit->qualification & 0xFFFu) == APIC_ICR)
            virq_send_ipi(v, vapic_read_icr(v));
        break;
    default:
        HYP_ASSERT(exit->reason == EXIT_REASON_EXTERNAL_INTERRUPT); /* unexpected exit */
        break;
    }
    hyp_trace(HYP_TR_HANDLER_EXIT, HYP_H_VMEXIT, exit->reason, v->id, 0);
}
