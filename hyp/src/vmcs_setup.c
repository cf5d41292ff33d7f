/*
 * vmcs_setup.c - VM-execution, VM-exit and APIC-virtualization controls of a
 * vCPU's VMCS, per irq mode and guest APIC mode [SDM 24.6-24.7, 26.2.1.1],
 * and the MSR bitmap they share. vmcs_setup is called once, right after the
 * first VMPTRLD of the VMCS.
 *
 * vtd-pi, cpu-pi: pin external-interrupt exiting | process posted interrupts;
 *   primary HLT exiting | use TPR shadow | activate secondary; secondary
 *   virtualize APIC accesses (xAPIC guest) or virtualize x2APIC mode with use
 *   MSR bitmaps (x2APIC guest) | APIC-register virtualization | virtual-
 *   interrupt delivery; exit acknowledge interrupt on exit; notification
 *   vector, PID address, virtual-APIC page.
 * apicv: the same without posted-interrupt processing.
 * emulated: external-interrupt exiting, HLT exiting, ack on exit; an xAPIC
 *   guest gets virtualize APIC accesses only (every APIC access exits, 44);
 *   an x2APIC guest gets no MSR bitmap, so every WRMSR exits (32)
 *   [SDM 25.1.3]: the software vLAPIC emulates both.
 * VM-entry checks respected: VID requires external-interrupt exiting; posted
 * interrupts require VID and ack-on-exit; NV bits 15:8 zero; PID 64-byte
 * aligned; x2APIC mode and APIC accesses not both virtualized [SDM 26.2.1.1].
 */
#include "hyp_core.h"

/* Guest-physical page of the APIC (xAPIC mode APIC-access page). */
#define APIC_ACCESS_PAGE 0xFEE00000ull

void vmcs_setup(struct vcpu *v)
{
    uint32_t pin = PIN_BASED_EXT_INTR_EXITING;
    uint32_t cpu_based = CPU_BASED_HLT_EXITING | CPU_BASED_ACTIVATE_SECONDARY;
    uint32_t secondary = 0;

    if (irq_mode_apicv()) {
        cpu_based |= CPU_BASED_TPR_SHADOW;
        if (hyp_core.x2apic)
            cpu_based |= CPU_BASED_USE_MSR_BITMAPS;
        secondary = (hyp_core.x2apic ? SECONDARY_VIRTUALIZE_X2APIC_MODE
                                     : SECONDARY_VIRTUALIZE_APIC_ACCESSES) |
                    SECONDARY_APIC_REGISTER_VIRT | SECONDARY_VIRTUAL_INTR_DELIVERY;
        if (irq_mode_posted())
            pin |= PIN_BASED_POSTED_INTR;
    } else if (!hyp_core.x2apic) {
        secondary = SECONDARY_VIRTUALIZE_APIC_ACCESSES;
    }

    arch_vmcs_write(VMCS_PIN_BASED_VM_EXEC_CONTROL, pin);
    arch_vmcs_write(VMCS_CPU_BASED_VM_EXEC_CONTROL, cpu_based);
    arch_vmcs_write(VMCS_SECONDARY_VM_EXEC_CONTROL, secondary);
    arch_vmcs_write(VMCS_VM_EXIT_CONTROLS, VM_EXIT_ACK_INTR_ON_EXIT);
    if (secondary & SECONDARY_VIRTUALIZE_APIC_ACCESSES)
        arch_vmcs_write(VMCS_APIC_ACCESS_ADDR, APIC_ACCESS_PAGE);
    if (cpu_based & CPU_BASED_USE_MSR_BITMAPS)
        arch_vmcs_write(VMCS_MSR_BITMAP, hyp_core.msr_bitmap_pa);
    if (irq_mode_apicv()) {
        arch_vmcs_write(VMCS_VIRTUAL_APIC_PAGE_ADDR, v->vapic_pa);
        arch_vmcs_write(VMCS_TPR_THRESHOLD, 0);
        arch_vmcs_write(VMCS_EOI_EXIT_BITMAP0, 0);
        arch_vmcs_write(VMCS_EOI_EXIT_BITMAP1, 0);
        arch_vmcs_write(VMCS_EOI_EXIT_BITMAP2, 0);
        arch_vmcs_write(VMCS_EOI_EXIT_BITMAP3, 0);
        arch_vmcs_write(VMCS_GUEST_INTR_STATUS, 0);
    }
    if (irq_mode_posted()) {
        HYP_ASSERT((v->pid_pa & 63u) == 0);
        arch_vmcs_write(VMCS_POSTED_INTR_NV, hyp_core.notification_vector);
        arch_vmcs_write(VMCS_POSTED_INTR_DESC_ADDR, v->pid_pa);
    }
}

/* The MSR bitmap of the apicv modes with x2APIC guests [SDM 24.6.9; Xen
 * vmx_vlapic_msr_changed]: WRMSR to every x2APIC MSR (800H-8FFH) exits,
 * except TPR (808H), EOI (80BH) and SELF IPI (83FH), which the processor
 * virtualizes [SDM 29.5]. The page arrives zero-filled (no other MSR is
 * intercepted; the guests write no other MSR). */
void msr_bitmap_setup(void)
{
    uint64_t base = hyp_core.msr_bitmap_pa + MSR_BITMAP_WRITE_LOW + MSR_X2APIC_FIRST / 8u;
    for (uint32_t w = 0; w < (MSR_X2APIC_LAST + 1u - MSR_X2APIC_FIRST) / 64u; w++) {
        uint64_t bits = ~0ull;
        uint32_t passed[3] = {MSR_X2APIC_TPR, MSR_X2APIC_EOI, MSR_X2APIC_SELF_IPI};
        for (uint32_t i = 0; i < 3; i++)
            if ((passed[i] - MSR_X2APIC_FIRST) / 64u == w)
                bits &= ~(1ull << ((passed[i] - MSR_X2APIC_FIRST) % 64u));
        arch_mem_write64(base + 8u * w, bits);
    }
}
