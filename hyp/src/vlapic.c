/*
 * vlapic.c - software virtual local APIC for HYP_IRQ_EMULATED [SDM 10.6,
 * 10.8; Xen xen/arch/x86/hvm/vlapic.c vlapic_reg_write, vmx_intr_assist].
 *
 * IRR is the vCPU's software-pending bitmap (set by any pCPU, atomic); ISR
 * is vlapic_isr and TPR vlapic_tpr (owned by the vCPU's pCPU); PPR follows
 * from them [SDM 10.8.3.1]. The guest's writes arrive as APIC-access exits
 * (xAPIC guest) or WRMSR exits (x2APIC guest). Injection goes through the VM-entry
 * interruption-information field (valid, external interrupt, vector) when
 * the guest can take it (RFLAGS.IF = 1, no STI/MOV-SS blocking); otherwise
 * interrupt-window exiting is requested [SDM 26.3.2.4, 25.3].
 */
#include "bitops.h"
#include "hyp_core.h"

static int vlapic_highest_irr(struct vcpu *v)
{
    /* Every word is read and the highest non-empty one found with one
     * find-last-bit on a mask of non-empty words: the cost does not depend
     * on which vector is pending. */
    uint64_t w[4];
    uint32_t nonempty = 0;
    for (uint32_t i = 0; i < 4; i++) {
        w[i] = hyp_atomic_load_n(&v->pending[i], __ATOMIC_ACQUIRE);
        nonempty |= (uint32_t)(w[i] != 0) << i;
    }
    if (nonempty == 0)
        return -1;
    uint32_t i = hyp_fls32(nonempty);
    return (int)(i * 64u + hyp_fls64(w[i]));
}

static int vlapic_highest_isr(struct vcpu *v)
{
    uint32_t nonempty = 0;
    for (uint32_t i = 0; i < 8; i++)
        nonempty |= (uint32_t)(v->vlapic_isr[i] != 0) << i;
    if (nonempty == 0)
        return -1;
    uint32_t i = hyp_fls32(nonempty);
    return (int)(i * 32u + hyp_fls32(v->vlapic_isr[i]));
}

/* PPR [SDM 10.8.3.1]: TPR if TPR[7:4] >= ISRV[7:4], else ISRV[7:4] << 4. */
static uint32_t vlapic_ppr(struct vcpu *v)
{
    int isr = vlapic_highest_isr(v);
    uint32_t isrv = isr < 0 ? 0u : (uint32_t)isr;
    return (v->vlapic_tpr >> 4) >= (isrv >> 4) ? v->vlapic_tpr : (isrv & 0xF0u);
}

bool vlapic_has_pending(struct vcpu *v)
{
    int irr = vlapic_highest_irr(v);
    return irr >= 0 && ((uint32_t)irr >> 4) > (vlapic_ppr(v) >> 4);
}

static void vlapic_set_window_exiting(bool on)
{
    uint64_t ctl = arch_vmcs_read(VMCS_CPU_BASED_VM_EXEC_CONTROL);
    uint64_t want = on ? (ctl | CPU_BASED_INTR_WINDOW_EXITING)
                       : (ctl & ~(uint64_t)CPU_BASED_INTR_WINDOW_EXITING);
    if (want != ctl)
        arch_vmcs_write(VMCS_CPU_BASED_VM_EXEC_CONTROL, want);
}

void vlapic_intr_assist(struct vcpu *v)
{
    /* an injection still pending in the VM-entry field is not replaced */
    if (arch_vmcs_read(VMCS_VM_ENTRY_INTR_INFO_FIELD) & INTR_INFO_VALID)
        return;
    if (!vlapic_has_pending(v)) {
        if (v->intr_window_requested) {
            vlapic_set_window_exiting(false);
            v->intr_window_requested = false;
        }
        return;
    }
    uint64_t rflags = arch_vmcs_read(VMCS_GUEST_RFLAGS);
    uint64_t blocking = arch_vmcs_read(VMCS_GUEST_INTERRUPTIBILITY_INFO);
    if (!(rflags & RFLAGS_IF) || (blocking & (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS))) {
        if (!v->intr_window_requested) {
            vlapic_set_window_exiting(true);
            v->intr_window_requested = true;
        }
        return;
    }
    uint32_t vector = (uint32_t)vlapic_highest_irr(v);
    hyp_atomic_fetch_and(&v->pending[vector >> 6], ~(1ull << (vector & 63u)), __ATOMIC_ACQ_REL);
    v->vlapic_isr[vector >> 5] |= 1u << (vector & 31u);
    arch_vmcs_write(VMCS_VM_ENTRY_INTR_INFO_FIELD, INTR_INFO_VALID | INTR_TYPE_EXT_INTR | vector);
    hyp_trace(HYP_TR_VIRQ_PEND, v->id, vector, 1, 0);
    if (v->intr_window_requested) {
        vlapic_set_window_exiting(false);
        v->intr_window_requested = false;
    }
}

/* Exit 7: the guest can take an interrupt now; injection happens on the
 * VM-entry path (vlapic_intr_assist). */
void vlapic_intr_window_exit(struct vcpu *v)
{
    if (v->intr_window_requested) {
        vlapic_set_window_exiting(false);
        v->intr_window_requested = false;
    }
}

/* An xAPIC ICR [SDM 10.6.1] in the layout virq_send_ipi takes (x2APIC's:
 * destination in bits 63:32): low word as written, destination from ICR
 * high bits 31:24, the xAPIC broadcast ID 0xFF as x2APIC's 0xFFFFFFFF
 * [SDM 10.6.2.1]. */
uint64_t vlapic_xapic_icr(uint32_t icr_lo, uint32_t icr_hi)
{
    uint32_t dest = icr_hi >> 24;
    return (uint64_t)icr_lo | ((uint64_t)(dest == 0xFFu ? 0xFFFFFFFFu : dest) << 32);
}

/* APIC-access exit (44) of the emulated mode: the guest wrote its APIC page
 * and nothing was virtualized, so the write is emulated here [SDM 27.2.1;
 * Xen vlapic_reg_write]; the data is in qualification bits 63:32 (vmx.h):
 *  - TPR (080H): bits 7:0 kept;
 *  - EOI (0B0H): vlapic_eoi;
 *  - ICR high (310H): only latched (the destination, bits 31:24);
 *  - ICR low (300H): the IPI is sent, to the latched destination.
 * Reads, and writes of other registers, change nothing here. */
void vlapic_apic_access(struct vcpu *v, uint64_t qualification)
{
    uint32_t offset = (uint32_t)(qualification & APIC_ACCESS_OFFSET_MASK);
    uint64_t type = (qualification >> APIC_ACCESS_TYPE_SHIFT) & APIC_ACCESS_TYPE_MASK;
    uint32_t data = (uint32_t)(qualification >> APIC_ACCESS_DATA_SHIFT);
    if (type != APIC_ACCESS_LINEAR_WRITE)
        return;
    if (offset == APIC_TPR)
        v->vlapic_tpr = data & 0xFFu;
    else if (offset == APIC_EOI)
        vlapic_eoi(v);
    else if (offset == APIC_ICR2)
        v->vlapic_icr_hi = data & 0xFF000000u; /* bits 23:0 reserved */
    else if (offset == APIC_ICR)
        virq_send_ipi(v, vlapic_xapic_icr(data, v->vlapic_icr_hi));
}

/* WRMSR exit (32) of an x2APIC guest to an x2APIC MSR [SDM 10.12.1.2;
 * Xen vlapic_msr_write / guest_wrmsr_x2apic]; ECX and EDX:EAX as the exit
 * reports them:
 *  - ICR (830H): one 64-bit write (destination 63:32, no ICR-high latch)
 *    sends the IPI [SDM 10.12.9];
 *  - SELF IPI (83FH): vector 7:0 to the vCPU itself [SDM 10.12.11];
 *  - EOI (80BH): vlapic_eoi;
 *  - TPR (808H): bits 7:0 kept.
 * Writes of other x2APIC registers change nothing here. EOI and TPR exit
 * only in emulated mode (the apicv modes virtualize them). */
void vlapic_x2apic_wrmsr(struct vcpu *v, uint32_t msr, uint64_t value)
{
    if (msr == MSR_X2APIC_ICR) {
        virq_send_ipi(v, value);
    } else if (msr == MSR_X2APIC_SELF_IPI) {
        virq_send_ipi(v, APIC_ICR_SHORTHAND_SELF | (value & 0xFFu));
    } else if (msr == MSR_X2APIC_EOI) {
        HYP_ASSERT(!irq_mode_apicv()); /* virtualized [SDM 29.5] */
        vlapic_eoi(v);
    } else if (msr == MSR_X2APIC_TPR) {
        HYP_ASSERT(!irq_mode_apicv());
        v->vlapic_tpr = (uint32_t)(value & 0xFFu);
    }
}

/* Guest EOI (APIC-access exit at offset 0x0B0, or WRMSR exit of 80BH):
 * clear the highest ISR bit. */
void vlapic_eoi(struct vcpu *v)
{
    int isr = vlapic_highest_isr(v);
    if (isr >= 0) {
        v->vlapic_isr[isr >> 5] &= ~(1u << (isr & 31));
        percpu_virq_eoi(v, (uint8_t)isr);
    }
}
