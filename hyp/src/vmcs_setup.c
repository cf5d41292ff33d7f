/*
 * vmcs_setup.c - VM-execution, VM-exit and APIC-virtualization controls of a
 * vCPU's VMCS, per irq mode [SDM 24.6-24.7, 26.2.1.1; SPEC 4]. Called once,
 * right after the first VMPTRLD of the VMCS.
 *
 * vtd-pi, cpu-pi: pin external-interrupt exiting | process posted interrupts;
 *   primary HLT exiting | use TPR shadow | activate secondary; secondary
 *   virtualize x2APIC mode (xAPIC: virtualize APIC accesses) | APIC-register
 *   virtualization | virtual-interrupt delivery; exit acknowledge interrupt
 *   on exit; notification vector, PID address, virtual-APIC page.
 * apicv: the same without posted-interrupt processing.
 * emulated: external-interrupt exiting, HLT exiting, virtualize APIC accesses
 *   only (every guest APIC access exits: software vLAPIC), ack on exit.
 * VM-entry checks respected: VID requires external-interrupt exiting; posted
 * interrupts require VID and ack-on-exit; NV bits 15:8 zero; PID 64-byte
 * aligned [SPEC 4].
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
        secondary = (hyp_core.x2apic ? SECONDARY_VIRTUALIZE_X2APIC_MODE
                                     : SECONDARY_VIRTUALIZE_APIC_ACCESSES) |
                    SECONDARY_APIC_REGISTER_VIRT | SECONDARY_VIRTUAL_INTR_DELIVERY;
        if (irq_mode_posted())
            pin |= PIN_BASED_POSTED_INTR;
    } else {
        secondary = SECONDARY_VIRTUALIZE_APIC_ACCESSES;
    }

    arch_vmcs_write(VMCS_PIN_BASED_VM_EXEC_CONTROL, pin);
    arch_vmcs_write(VMCS_CPU_BASED_VM_EXEC_CONTROL, cpu_based);
    arch_vmcs_write(VMCS_SECONDARY_VM_EXEC_CONTROL, secondary);
    arch_vmcs_write(VMCS_VM_EXIT_CONTROLS, VM_EXIT_ACK_INTR_ON_EXIT);
    if (secondary & SECONDARY_VIRTUALIZE_APIC_ACCESSES)
        arch_vmcs_write(VMCS_APIC_ACCESS_ADDR, APIC_ACCESS_PAGE);
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
