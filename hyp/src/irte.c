/*
 * irte.c - interrupt-remapping table entries and their invalidation
 * [VTD 5.1, 5.2, 9.10, 9.11, 6.5.2; Linux drivers/iommu/intel/irq_remapping.c].
 *
 * An IRTE is 16 bytes at irt_pa + 16 * index. A live entry spans both 64-bit
 * halves, so it is replaced with ONE 128-bit compare-exchange, followed by an
 * index-selective IEC invalidation descriptor and an invalidation-wait
 * descriptor whose status write we wait for. All under hyp_core.irt_lock.
 */
#include "hyp_core.h"

/* IRTE fields [VTD 9.10, 9.11; Linux include/linux/dmar.h struct irte] */
#define IRTE_P (1ull << 0)
#define IRTE_URG (1ull << 14)
#define IRTE_IM (1ull << 15)
#define IRTE_VECTOR_SHIFT 16
#define IRTE_DST_SHIFT 32
#define IRTE_PDA_LO_SHIFT 38     /* PID address bits 31:6 -> IRTE 63:38 */
#define IRTE_HI_SQ_SHIFT 16      /* IRTE 81:80 */
#define IRTE_HI_SVT_SHIFT 18     /* IRTE 83:82 */
#define IRTE_SVT_VERIFY_SID 1ull /* compare SID under the SQ mask */
#define IRTE_HI_PDA_HI_SHIFT 32  /* PID address bits 63:32 -> IRTE 127:96 */

/* Invalidation descriptors [VTD 6.5.2.7, 6.5.2.8] */
#define QI_IEC_TYPE 0x4ull
#define QI_IEC_G_INDEX (1ull << 4) /* index-selective */
#define QI_IEC_IM_SHIFT 27
#define QI_IEC_IIDX_SHIFT 32
#define QI_IWD_TYPE 0x5ull
#define QI_IWD_SW (1ull << 5)
#define QI_IWD_STATUS_SHIFT 32

/* Source-ID fields shared by both formats: SID = requester ID, SQ = 00 (all
 * 16 bits compared), SVT = 01. */
static uint64_t irte_hi_sid(uint32_t rid)
{
    return (uint64_t)(rid & 0xFFFFu) | (0ull << IRTE_HI_SQ_SHIFT) |
           (IRTE_SVT_VERIFY_SID << IRTE_HI_SVT_SHIFT);
}

/* Posted format (IM=1) [VTD 9.11]. */
void irte_make_posted(uint32_t rid, uint8_t gvec, bool urgent, uint64_t pid_pa, uint64_t out[2])
{
    HYP_ASSERT((pid_pa & 63u) == 0);
    out[0] = IRTE_P | (urgent ? IRTE_URG : 0) | IRTE_IM |
             ((uint64_t)gvec << IRTE_VECTOR_SHIFT) |
             (((pid_pa >> 6) & 0x3FFFFFFull) << IRTE_PDA_LO_SHIFT);
    out[1] = irte_hi_sid(rid) | ((pid_pa >> 32) << IRTE_HI_PDA_HI_SHIFT);
}

/* Remapped format (IM=0): fixed, physical, edge, host vector to pCPU [VTD 9.10]. */
void irte_make_remapped(uint32_t rid, uint8_t hvec, uint32_t cpu, uint64_t out[2])
{
    uint32_t id = hyp_core.apic_id[cpu];
    uint64_t dst = hyp_core.x2apic ? id : ((uint64_t)(id & 0xFFu) << 8);
    out[0] = IRTE_P | ((uint64_t)hvec << IRTE_VECTOR_SHIFT) | (dst << IRTE_DST_SHIFT);
    out[1] = irte_hi_sid(rid);
}

/* Flush the IEC entry of `index` and wait for completion [VTD 6.5.2.7-8]. */
static void iec_invalidate_entry(uint32_t index)
{
    uint64_t iec[2];
    iec[0] = QI_IEC_TYPE | QI_IEC_G_INDEX | (0ull << QI_IEC_IM_SHIFT) |
             ((uint64_t)(index & 0xFFFFu) << QI_IEC_IIDX_SHIFT);
    iec[1] = 0;
    arch_iq_submit(iec);

    uint32_t seq = ++hyp_core.iq_seq;
    if (seq == 0)
        seq = ++hyp_core.iq_seq;
    HYP_ASSERT((hyp_core.iq_status_pa & 3u) == 0);
    uint64_t wait[2];
    wait[0] = QI_IWD_TYPE | QI_IWD_SW | ((uint64_t)seq << QI_IWD_STATUS_SHIFT);
    wait[1] = hyp_core.iq_status_pa & ~3ull; /* bits 127:66 = address 63:2 */
    arch_iq_submit(wait);
    arch_iq_wait_status(hyp_core.iq_status_pa, seq);
}

void irte_update(uint32_t index, uint64_t lo, uint64_t hi)
{
    HYP_ASSERT(spin_is_locked_by_me(&hyp_core.irt_lock));
    HYP_ASSERT(index < hyp_core.irt_entries);
    uint64_t pa = hyp_core.irt_pa + 16ull * index;
    uint64_t expected[2];
    expected[0] = arch_mem_read64(pa);
    expected[1] = arch_mem_read64(pa + 8);
    uint64_t desired[2];
    desired[0] = lo;
    desired[1] = hi;
    /* only hyp writes the IRT: the exchange cannot fail */
    bool swapped = arch_mem_cmpxchg128(pa, expected, desired);
    HYP_ASSERT(swapped);
    hyp_trace(HYP_TR_IRTE_WRITE, index, lo, hi, 0);
    iec_invalidate_entry(index);
}
