/*
 * hyp/arch.h - the port: every effect the hypervisor core has on the machine.
 *
 * The hypervisor core (libhyp) is freestanding C11. Its only undefined symbols
 * are the functions declared here (tests/hyp/test_symbols checks this with nm on
 * the built archive). The simulator implements them on the SystemC models
 * (platform/port.cpp); the hyp unit tests implement them on a mock
 * (tests/hyp/mock_port.c).
 *
 * Conventions
 *  - Time is in core cycles (uint64_t), never seconds.
 *  - Physical addresses are uint64_t byte addresses in machine memory.
 *  - "This pCPU" is the physical CPU whose thread is executing the call.
 *  - Every call has a cost from the timing profile, charged to this pCPU.
 *    Calls that touch state shared with other agents (memory, APIC, VMCS,
 *    invalidation queue) first synchronize this pCPU with the rest of the
 *    machine (docs/design.md, "Time"), so they happen at an exact cycle.
 */
#ifndef HYP_ARCH_H
#define HYP_ARCH_H

#include <stdbool.h>
#include <stdint.h>

#ifndef HYP_NORETURN
#ifdef __cplusplus
#define HYP_NORETURN [[noreturn]]
#else
#define HYP_NORETURN _Noreturn
#endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Basic-block charging (docs/design.md, "Time").                       */
/* ------------------------------------------------------------------------ */

/*
 * Called by compiler instrumentation (-fsanitize-coverage=trace-pc) at the
 * start of every basic block of hyp code. The platform charges the profile's
 * per-basic-block cost (cycles) to this pCPU, attributes it to the calling
 * hyp function (by return address) and synchronizes with the kernel when this
 * pCPU's local time has reached the earliest cycle an interrupt can reach its
 * local APIC (then a pending interrupt is taken if IF=1).
 */
void __sanitizer_cov_trace_pc(void);

/* ------------------------------------------------------------------------ */
/* Identity and time.                                                        */
/* ------------------------------------------------------------------------ */

/* Synchronization point before an access to memory another pCPU also
 * accesses (every atomic of the core, hyp/src/hyp_atomic.h): the platform
 * brings this pCPU's local time and the kernel's together first, so the
 * access sees every other pCPU's accesses of earlier cycles and none of later
 * ones. `addr` is the datum's address and `access` what the instruction does
 * with it (HYP_SHARED_READ, _WRITE or _RMW): the platform charges what the
 * datum's 64-byte cache line costs this pCPU (a hit costs nothing more; a
 * line another pCPU modified costs a core-to-core transfer; the profile's
 * coherence.* costs). The instruction itself is in its basic block's cost.
 * Root-mode code between such points does not wait for other pCPUs. */
#define HYP_SHARED_READ 0u
#define HYP_SHARED_WRITE 1u
#define HYP_SHARED_RMW 2u
void arch_shared_point(const volatile void *addr, uint32_t access);

/* Index of this pCPU, 0 .. nr_pcpus-1 (not its APIC ID). */
uint32_t arch_cpu_id(void);

/* This pCPU's current time in core cycles, including not yet synchronized
 * local time. Monotonic per pCPU. */
uint64_t arch_now(void);

/* ------------------------------------------------------------------------ */
/* Interrupt flag (RFLAGS.IF of root mode).                                   */
/* ------------------------------------------------------------------------ */

/* CLI: no external interrupt is taken by this pCPU until arch_irq_enable. */
void arch_irq_disable(void);

/* STI: from the next basic block on, a pending interrupt that the local APIC
 * dispatches (vector class above PPR) is taken: the platform calls
 * hyp_do_irq(vector) on this pCPU's stack with IF=0, then restores IF=1. */
void arch_irq_enable(void);

/* RFLAGS.IF of root mode on this pCPU. */
bool arch_irqs_enabled(void);

/* "STI; HLT": enable interrupts and halt this pCPU until an interrupt is
 * dispatched; it is handled (hyp_do_irq) before this returns, with IF=1.
 * Returns at once (after handling) if an interrupt is already deliverable. */
void arch_halt(void);

/* ------------------------------------------------------------------------ */
/* Local APIC of this pCPU [SDM 10].                                          */
/* ------------------------------------------------------------------------ */

/* Write the EOI register: clears the highest in-service vector. */
void arch_apic_eoi(void);

/* ICR write: fixed delivery, physical destination mode, edge, no shorthand.
 * dest_apic_id: xAPIC 8-bit or x2APIC 32-bit APIC ID; vector 16..255. */
void arch_apic_send_ipi(uint32_t dest_apic_id, uint8_t vector);

/* LVT timer in TSC-deadline mode: fire `vector` on this pCPU at `deadline`
 * (cycles). deadline 0 disarms. One timer per pCPU; a new call replaces it. */
void arch_apic_set_timer(uint64_t deadline, uint8_t vector);

/* APIC ID of pCPU `cpu` (what NDST and IPIs name). */
uint32_t arch_apic_id(uint32_t cpu);

/* Task-priority register of this pCPU's local APIC (bits 7:0). */
void arch_apic_set_tpr(uint8_t tpr);

/* ------------------------------------------------------------------------ */
/* Machine memory shared with devices and other pCPUs (PIDs, IRTEs, virtual- */
/* APIC pages). Every access is sequentially consistent and happens at one  */
/* cycle; the atomics are indivisible with respect to every other agent,     */
/* including the VT-d unit's posting read-modify-write.                      */
/* `pa` must be naturally aligned to the access width.                        */
/* ------------------------------------------------------------------------ */

uint32_t arch_mem_read32(uint64_t pa);
void arch_mem_write32(uint64_t pa, uint32_t value);
uint64_t arch_mem_read64(uint64_t pa);
void arch_mem_write64(uint64_t pa, uint64_t value);

/* LOCK CMPXCHG: if *pa == *expected store desired and return true; else
 * store the current value in *expected and return false. */
bool arch_mem_cmpxchg64(uint64_t pa, uint64_t *expected, uint64_t desired);

/* LOCK CMPXCHG16B on a 16-byte aligned pa: value[0] is bytes 0..7, value[1]
 * bytes 8..15. Same contract as arch_mem_cmpxchg64. [posted IRTE update: Linux
 * drivers/iommu/intel/irq_remapping.c modify_irte] */
bool arch_mem_cmpxchg128(uint64_t pa, uint64_t expected[2], const uint64_t desired[2]);

/* LOCK XCHG: store value, return the previous value. */
uint64_t arch_mem_xchg64(uint64_t pa, uint64_t value);

/* LOCK OR / LOCK AND; return the previous value. */
uint64_t arch_mem_fetch_or64(uint64_t pa, uint64_t bits);
uint64_t arch_mem_fetch_and64(uint64_t pa, uint64_t mask);

/* ------------------------------------------------------------------------ */
/* VMX [SDM 24-29].                                                           */
/* ------------------------------------------------------------------------ */

/* VMCLEAR: flush the VMCS at vmcs_pa (must precede loading it on another
 * pCPU). */
void arch_vmcs_clear(uint64_t vmcs_pa);

/* VMPTRLD: make the VMCS at vmcs_pa current on this pCPU. */
void arch_vmcs_load(uint64_t vmcs_pa);

/* VMREAD / VMWRITE on the current VMCS. Field encodings as in the SDM
 * (Linux arch/x86/include/asm/vmx.h; hyp/include/hyp/vmx.h). An unknown
 * field reads 0. */
uint64_t arch_vmcs_read(uint32_t field);
void arch_vmcs_write(uint32_t field, uint64_t value);

/* Information of one VM exit [SDM 27.2]. */
struct arch_vm_exit {
    uint32_t reason;          /* basic exit reason (bits 15:0), e.g. 1, 12, 45 */
    uint64_t qualification;   /* exit qualification */
    uint32_t intr_info;       /* VM-exit interruption information: with
                               * acknowledge-interrupt-on-exit, bit 31 valid,
                               * bits 7:0 the acknowledged vector */
    uint32_t entry_error;     /* nonzero when the VM entry itself failed: the
                               * VM-instruction error number [SDM 30.4] */
    /* Guest RAX, RCX, RDX at the exit, as the exit stub saves them (VMX
     * keeps no general-purpose registers in the VMCS [SDM 27.3]). A WRMSR
     * exit (32) has ECX = MSR index, EDX:EAX = value [SDM 25.1.3]. */
    uint64_t rax, rcx, rdx;
};

/* VMLAUNCH/VMRESUME of the current VMCS with RFLAGS.IF=0 on entry as Xen and
 * KVM do. Returns when the guest exits (exit->reason) or when the entry fails
 * its checks (return value false, exit->entry_error set, no guest code ran).
 * On return this pCPU is in root mode with IF=0. */
bool arch_vm_enter(struct arch_vm_exit *exit);

/* ------------------------------------------------------------------------ */
/* VT-d invalidation queue [VTD 6.5.2].                                       */
/* ------------------------------------------------------------------------ */

/* Append one 128-bit descriptor (desc[0] bits 63:0, desc[1] bits 127:64) to
 * the invalidation queue and advance the tail. */
void arch_iq_submit(const uint64_t desc[2]);

/* Wait (spinning, cycles charged) until the status word at status_pa, set by
 * an invalidation-wait descriptor, equals `value`. */
void arch_iq_wait_status(uint64_t status_pa, uint32_t value);

/* ------------------------------------------------------------------------ */
/* Control requests from the scenario (the "toolstack").                      */
/* ------------------------------------------------------------------------ */

/* Control requests reach hyp like a hypercall from the control domain: the
 * platform raises the control vector on a pCPU (hyp_config.control_vector)
 * and the handler fetches the requests queued for this pCPU. */
struct hyp_ctl;
/* Fetch the next control request queued for this pCPU into *out; false if none. */
bool arch_ctl_fetch(struct hyp_ctl *out);
/* Report the result of a control request (0 success, negative error). */
void arch_ctl_done(uint32_t seq, int32_t result);

/* ------------------------------------------------------------------------ */
/* Observation.                                                               */
/* ------------------------------------------------------------------------ */

/* Record a hypervisor event (kinds in hyp/include/hyp/trace.h) at this
 * pCPU's current cycle. Costs no cycles and does not synchronize, so it does
 * not perturb the timing being observed. */
void arch_trace(uint32_t kind, uint64_t a, uint64_t b, uint64_t c, uint64_t d);

/* Report-only code (HYP_REPORT in hyp/src/hyp_core.h): the basic blocks
 * executed between arch_report_begin() and the matching arch_report_end(),
 * the instructions between the two calls and the calls themselves cost no
 * cycles, as arch_trace's own calls do not: code that exists only to report
 * (trace loops, assertion checks) does not slow the hypervisor it observes.
 * Nests. Neither call synchronizes. */
void arch_report_begin(void);
void arch_report_end(void);

/* A hyp invariant failed (HYP_ASSERT). Does not return: the platform records
 * an oracle violation with the message, cycle and trace, and ends the run. */
HYP_NORETURN void arch_assert_fail(const char *expr, const char *file, int line);

#ifdef __cplusplus
}
#endif

#endif /* HYP_ARCH_H */
