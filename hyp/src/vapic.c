/*
 * vapic.c - the virtual-APIC page and guest interrupt status of the current
 * VMCS, as software sees them between VM exit and VM entry [SDM 29.1-29.2].
 * Only the pCPU running the vCPU calls these, with its VMCS current.
 */
#include "bitops.h"
#include "hyp_core.h"

/* VIRR |= bits (one 32-bit register at a time); returns the highest vector
 * in bits, 0 if none. */
uint8_t vapic_merge_irr(struct vcpu *v, const uint64_t bits[4])
{
    uint8_t top = 0;
    for (uint32_t j = 0; j < 8; j++) {
        uint32_t b = (uint32_t)(bits[j / 2] >> (32u * (j % 2)));
        if (b == 0)
            continue;
        uint64_t pa = v->vapic_pa + APIC_IRR + 0x10u * j;
        arch_mem_write32(pa, arch_mem_read32(pa) | b);
        top = (uint8_t)(32u * j + hyp_fls32(b));
    }
    return top;
}

/* RVI := max(RVI, vector) [SDM 29.6, posted-interrupt processing]. */
void vapic_raise_rvi(uint8_t vector)
{
    if (vector == 0)
        return;
    uint64_t gis = arch_vmcs_read(VMCS_GUEST_INTR_STATUS);
    if ((gis & 0xFFu) < vector)
        arch_vmcs_write(VMCS_GUEST_INTR_STATUS, (gis & ~0xFFull) | vector);
}

/* A virtual interrupt would be recognized: RVI[7:4] > VPPR[7:4] [SDM 29.2.1]. */
bool vapic_has_deliverable(struct vcpu *v)
{
    uint32_t rvi = (uint32_t)(arch_vmcs_read(VMCS_GUEST_INTR_STATUS) & 0xFFu);
    uint32_t vppr = arch_mem_read32(v->vapic_pa + APIC_PPR) & 0xFFu;
    return (rvi >> 4) > (vppr >> 4);
}
