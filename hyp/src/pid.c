/*
 * pid.c - accessors of the posted-interrupt descriptor [SDM 29.6; VTD 9.12;
 * Linux arch/x86/include/asm/posted_intr.h]. See pid.h.
 */
#include "pid.h"

#include "hyp_core.h"

uint32_t pid_ndst_of_cpu(uint32_t cpu)
{
    HYP_ASSERT(cpu < hyp_core.nr_pcpus);
    uint32_t id = hyp_core.apic_id[cpu];
    if (hyp_core.x2apic)
        return id;
    return (id & 0xFFu) << 8; /* xAPIC: APIC ID in NDST bits 15:8 */
}

uint64_t pid_read_control(uint64_t pid_pa)
{
    return arch_mem_read64(pid_pa + PID_CONTROL_OFFSET);
}

uint64_t pid_update_control(uint64_t pid_pa, uint64_t clear, uint64_t set)
{
    uint64_t pa = pid_pa + PID_CONTROL_OFFSET;
    uint64_t old = arch_mem_read64(pa);
    while (!arch_mem_cmpxchg64(pa, &old, (old & ~clear) | set))
        ; /* `old` now holds the value the VT-d unit (or another pCPU) left */
    return old;
}

void pid_set_nv(uint64_t pid_pa, uint8_t nv)
{
    uint64_t c = pid_read_control(pid_pa);
    if (((c & PID_NV_MASK) >> PID_NV_SHIFT) == nv)
        return;
    pid_update_control(pid_pa, PID_NV_MASK, (uint64_t)nv << PID_NV_SHIFT);
}

void pid_set_sn(uint64_t pid_pa)
{
    arch_mem_fetch_or64(pid_pa + PID_CONTROL_OFFSET, PID_SN);
}

bool pid_move_ndst(uint64_t pid_pa, uint32_t from, uint32_t to)
{
    uint64_t pa = pid_pa + PID_CONTROL_OFFSET;
    uint64_t want = (uint64_t)pid_ndst_of_cpu(from) << PID_NDST_SHIFT;
    uint64_t now = (uint64_t)pid_ndst_of_cpu(to) << PID_NDST_SHIFT;
    uint64_t old = arch_mem_read64(pa);
    while ((old & PID_NDST_MASK) == want)
        if (arch_mem_cmpxchg64(pa, &old, (old & ~PID_NDST_MASK) | now))
            return true;
    return false;
}

bool pid_test_on(uint64_t pid_pa)
{
    return (pid_read_control(pid_pa) & PID_ON) != 0;
}

bool pid_test_and_clear_on(uint64_t pid_pa)
{
    return (arch_mem_fetch_and64(pid_pa + PID_CONTROL_OFFSET, ~PID_ON) & PID_ON) != 0;
}

bool pid_test_and_set_on(uint64_t pid_pa)
{
    return (arch_mem_fetch_or64(pid_pa + PID_CONTROL_OFFSET, PID_ON) & PID_ON) != 0;
}

bool pid_test_and_set_pir(uint64_t pid_pa, uint8_t vector)
{
    uint64_t bit = 1ull << (vector & 63u);
    return (arch_mem_fetch_or64(pid_pa + 8u * (vector >> 6), bit) & bit) != 0;
}

bool pid_pir_empty(uint64_t pid_pa)
{
    for (uint32_t i = 0; i < 4; i++)
        if (arch_mem_read64(pid_pa + 8u * i) != 0)
            return false;
    return true;
}

bool pid_harvest_pir(uint64_t pid_pa, uint64_t out[4])
{
    bool any = false;
    for (uint32_t i = 0; i < 4; i++) {
        out[i] = 0;
        if (arch_mem_read64(pid_pa + 8u * i) != 0) {
            out[i] = arch_mem_xchg64(pid_pa + 8u * i, 0);
            any = any || out[i] != 0;
        }
    }
    return any;
}

void pid_init(uint64_t pid_pa, uint32_t cpu)
{
    HYP_ASSERT((pid_pa & 63u) == 0); /* 64-byte aligned [SDM 29.6] */
    for (uint32_t i = 0; i < 8; i++)
        arch_mem_write64(pid_pa + 8u * i, 0);
    arch_mem_write64(pid_pa + PID_CONTROL_OFFSET,
                     PID_SN | ((uint64_t)hyp_core.notification_vector << PID_NV_SHIFT) |
                         ((uint64_t)pid_ndst_of_cpu(cpu) << PID_NDST_SHIFT));
}
