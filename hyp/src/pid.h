/*
 * pid.h - the posted-interrupt descriptor in machine memory [VTD 9.12; SDM 29.6].
 *
 * 64 bytes at pid_pa: PIR bytes 0..31 (one bit per vector), control word at
 * byte 32: ON bit 0, SN bit 1, NV bits 23:16, NDST bits 63:32 (xAPIC: APIC ID
 * in bits 47:40; x2APIC: all 32 bits). Every update goes through arch_mem_*
 * atomics: the VT-d unit sets PIR and ON concurrently, so a control-word
 * change is a compare-exchange loop (or LOCK OR/AND) that never loses its ON.
 */
#ifndef HYP_SRC_PID_H
#define HYP_SRC_PID_H

#include <stdbool.h>
#include <stdint.h>

/* Internal symbols: hidden, so the shared object exports only hyp.h and
 * -fPIC code reaches hyp data without the GOT. */
#pragma GCC visibility push(hidden)

#define PID_CONTROL_OFFSET 32u
#define PID_ON (1ull << 0)
#define PID_SN (1ull << 1)
#define PID_NV_SHIFT 16
#define PID_NV_MASK (0xFFull << PID_NV_SHIFT)
#define PID_NDST_SHIFT 32
#define PID_NDST_MASK (0xFFFFFFFFull << PID_NDST_SHIFT)

/* NDST value (32 bits) naming pCPU `cpu`: x2APIC full ID, xAPIC ID << 8. */
uint32_t pid_ndst_of_cpu(uint32_t cpu);

uint64_t pid_read_control(uint64_t pid_pa);
/* control := (control & ~clear) | set, by compare-exchange; returns the old control. */
uint64_t pid_update_control(uint64_t pid_pa, uint64_t clear, uint64_t set);
void pid_set_nv(uint64_t pid_pa, uint8_t nv);
void pid_set_sn(uint64_t pid_pa);
/* NDST := pid_ndst_of_cpu(to) if it still names pCPU `from` (one
 * compare-exchange loop; ON, SN and NV as VT-d and other pCPUs leave them).
 * Returns true if it rewrote it. */
bool pid_move_ndst(uint64_t pid_pa, uint32_t from, uint32_t to);
bool pid_test_on(uint64_t pid_pa);
bool pid_test_and_clear_on(uint64_t pid_pa);
bool pid_test_and_set_on(uint64_t pid_pa);
/* Set PIR[vector]; true if it was already set. */
bool pid_test_and_set_pir(uint64_t pid_pa, uint8_t vector);
bool pid_pir_empty(uint64_t pid_pa);
/* Take PIR (atomic exchange of each non-zero 64-bit group with 0) into out[4];
 * returns true if any bit was set. */
bool pid_harvest_pir(uint64_t pid_pa, uint64_t out[4]);
/* Initial descriptor: PIR 0, ON 0, SN 1, NV notification vector, NDST `cpu`. */
void pid_init(uint64_t pid_pa, uint32_t cpu);

#pragma GCC visibility pop

#endif /* HYP_SRC_PID_H */
