/*
 * hyp/vmx.h - VMX encodings the hypervisor core programs: VMCS field
 * encodings, execution-control bits, basic exit reasons and virtual-APIC page
 * offsets [SDM vol. 3D appendices B and C; SDM 29.1; Linux
 * arch/x86/include/asm/vmx.h].
 *
 * model/cpu/vmcs.h holds the CPU model's own reading of the same SDM tables;
 * the two are kept independent on purpose.
 */
#ifndef HYP_VMX_H
#define HYP_VMX_H

/* 16-bit control field: posted-interrupt notification vector [SDM B.1.1]. */
#define VMCS_POSTED_INTR_NV 0x0002u
/* 16-bit guest-state field: guest interrupt status, RVI 7:0, SVI 15:8 [SDM B.1.2]. */
#define VMCS_GUEST_INTR_STATUS 0x0810u
/* 64-bit control fields (physical addresses) [SDM B.2.1]. */
#define VMCS_MSR_BITMAP 0x2004u
#define VMCS_VIRTUAL_APIC_PAGE_ADDR 0x2012u
#define VMCS_APIC_ACCESS_ADDR 0x2014u
#define VMCS_POSTED_INTR_DESC_ADDR 0x2016u
#define VMCS_EOI_EXIT_BITMAP0 0x201Cu
#define VMCS_EOI_EXIT_BITMAP1 0x201Eu
#define VMCS_EOI_EXIT_BITMAP2 0x2020u
#define VMCS_EOI_EXIT_BITMAP3 0x2022u
/* 32-bit control fields [SDM B.3.1]. */
#define VMCS_PIN_BASED_VM_EXEC_CONTROL 0x4000u
#define VMCS_CPU_BASED_VM_EXEC_CONTROL 0x4002u
#define VMCS_VM_EXIT_CONTROLS 0x400Cu
#define VMCS_VM_ENTRY_CONTROLS 0x4012u
#define VMCS_VM_ENTRY_INTR_INFO_FIELD 0x4016u /* bit 31 valid, 10:8 type, 7:0 vector */
#define VMCS_TPR_THRESHOLD 0x401Cu
#define VMCS_SECONDARY_VM_EXEC_CONTROL 0x401Eu
/* 32-bit read-only data fields [SDM B.3.2]. */
#define VMCS_VM_INSTRUCTION_ERROR 0x4400u
#define VMCS_VM_EXIT_REASON 0x4402u
#define VMCS_VM_EXIT_INTR_INFO 0x4404u
/* 32-bit guest-state fields [SDM B.3.3]. */
#define VMCS_GUEST_INTERRUPTIBILITY_INFO 0x4824u /* bit 0 STI, bit 1 MOV-SS blocking */
#define VMCS_GUEST_ACTIVITY_STATE 0x4826u
/* natural-width fields [SDM B.4]. */
#define VMCS_EXIT_QUALIFICATION 0x6400u
#define VMCS_GUEST_RFLAGS 0x6820u

/* Pin-based VM-execution controls [SDM 24.6.1]. */
#define PIN_BASED_EXT_INTR_EXITING 0x00000001u
#define PIN_BASED_POSTED_INTR 0x00000080u
/* Primary processor-based VM-execution controls [SDM 24.6.2, table 24-6]. */
#define CPU_BASED_INTR_WINDOW_EXITING 0x00000004u
#define CPU_BASED_HLT_EXITING 0x00000080u
#define CPU_BASED_TPR_SHADOW 0x00200000u
#define CPU_BASED_USE_MSR_BITMAPS 0x10000000u
#define CPU_BASED_ACTIVATE_SECONDARY 0x80000000u
/* Secondary processor-based VM-execution controls [SDM 24.6.2, table 24-7]. */
#define SECONDARY_VIRTUALIZE_APIC_ACCESSES 0x00000001u
#define SECONDARY_VIRTUALIZE_X2APIC_MODE 0x00000010u
#define SECONDARY_APIC_REGISTER_VIRT 0x00000100u
#define SECONDARY_VIRTUAL_INTR_DELIVERY 0x00000200u
/* VM-exit controls [SDM 24.7.1]. */
#define VM_EXIT_ACK_INTR_ON_EXIT 0x00008000u

/* VM-entry interruption-information field [SDM 24.8.3]. */
#define INTR_INFO_VALID 0x80000000u
#define INTR_INFO_VECTOR_MASK 0x000000FFu
#define INTR_TYPE_EXT_INTR 0x00000000u /* bits 10:8 = 0 */

/* Guest RFLAGS.IF and interruptibility-state blocking bits [SDM 24.4.2]. */
#define RFLAGS_IF (1ull << 9)
#define GUEST_INTR_STATE_STI 0x1u
#define GUEST_INTR_STATE_MOV_SS 0x2u

/* Basic exit reasons [SDM appendix C]. */
#define EXIT_REASON_EXTERNAL_INTERRUPT 1u
#define EXIT_REASON_INTERRUPT_WINDOW 7u
#define EXIT_REASON_HLT 12u
#define EXIT_REASON_VMCALL 18u
#define EXIT_REASON_MSR_WRITE 32u
#define EXIT_REASON_TPR_BELOW_THRESHOLD 43u
#define EXIT_REASON_APIC_ACCESS 44u
#define EXIT_REASON_EOI_INDUCED 45u
#define EXIT_REASON_APIC_WRITE 56u

/* Virtual-APIC page offsets [SDM 29.1]. A 256-bit register at
 * `base` keeps vector v in the 32-bit word base + ((v & 0xE0) >> 1), bit v & 31. */
#define APIC_TPR 0x080u
#define APIC_PPR 0x0A0u
#define APIC_EOI 0x0B0u
#define APIC_ISR 0x100u
#define APIC_IRR 0x200u
#define APIC_ICR 0x300u
#define APIC_ICR2 0x310u
#define APIC_REG_WORD(base, v) ((base) + (((uint32_t)(v) & 0xE0u) >> 1))

/* APIC-access exit qualification [SDM 27.2.1]: offset 11:0,
 * access type 15:12 (1 = linear write). pisim's CPU model puts the data a
 * fault-like write carried in bits 63:32 (model/cpu/apic_write.cpp). */
#define APIC_ACCESS_OFFSET_MASK 0xFFFull
#define APIC_ACCESS_TYPE_SHIFT 12
#define APIC_ACCESS_TYPE_MASK 0xFull
#define APIC_ACCESS_LINEAR_WRITE 1ull
#define APIC_ACCESS_DATA_SHIFT 32

/* x2APIC MSRs [SDM 10.12.1.2]: 800H + xAPIC offset / 16. */
#define MSR_X2APIC_FIRST 0x800u
#define MSR_X2APIC_LAST 0x8FFu
#define MSR_X2APIC_TPR 0x808u
#define MSR_X2APIC_EOI 0x80Bu
#define MSR_X2APIC_ICR 0x830u
#define MSR_X2APIC_SELF_IPI 0x83Fu
/* ICR destination shorthand "self" (bits 19:18 = 01) [SDM 10.6.1]. */
#define APIC_ICR_SHORTHAND_SELF (1u << 18)

/* MSR bitmap [SDM 24.6.9]: 4 KiB; the write bitmap for low MSRs
 * (00000000H-00001FFFH) starts at byte 2048, bit n for MSR n. */
#define MSR_BITMAP_WRITE_LOW 2048u

#endif /* HYP_VMX_H */
