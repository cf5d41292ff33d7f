/*
 * hyp_core.h - the hypervisor core's data: pCPUs, vCPUs, domains, devices,
 * MSI bindings, and the functions shared between its files.
 *
 * All tables are static and sized by HYP_MAX_* (hyp.h). Machine memory (PIDs,
 * virtual-APIC pages, VMCS regions, the IRT) is reached only through arch_mem_*
 * and arch_vmcs_*.
 *
 * Locking (docs/design.md, "Time": pCPU threads interleave per basic block):
 *  - pcpu.sched_lock: the run queue of that pCPU, its curr/ctx, and the
 *    scheduler state (state, on_runq, processor) of every vCPU whose
 *    `processor` is that pCPU. vcpu_schedule_lock() finds and takes it.
 *  - pcpu.pi_block_lock: that pCPU's blocking list [Xen vmx.c vmx_pi_blocking]. Order: a
 *    sched_lock may be held when taking a pi_block_lock, never the reverse.
 *  - hyp_core.irt_lock: the interrupt-remapping table, MSI bindings,
 *    invalidation-queue sequence and the device table.
 */
#ifndef HYP_SRC_HYP_CORE_H
#define HYP_SRC_HYP_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hyp/arch.h"
#include "hyp/hyp.h"
#include "hyp/trace.h"
#include "hyp/vmx.h"
#include "hyp_assert.h"
#include "hyp_atomic.h"
#include "spinlock.h"

/* Internal symbols: hidden, so the shared object exports only hyp.h and
 * -fPIC code reaches hyp data without the GOT. */
#pragma GCC visibility push(hidden)

/* Negative error codes returned by entry points and control requests. */
#define HYP_EINVAL (-22)
#define HYP_EBUSY (-16)
#define HYP_ENOSPC (-28)
#define HYP_EEXIST (-17)
#define HYP_ENOENT (-2)
#define HYP_ENODEV (-19)

/* Cycles a pCPU going offline keeps interrupts enabled after moving the
 * interrupts aimed at it, to take those already on their way (remapped by
 * VT-d before the moves, or IPIs sent before the offline was seen, on the
 * APIC bus). Estimate: several times the bus
 * latencies of the timing profiles (lapic.msg_latency, a few hundred
 * cycles); Linux waited 1 ms (fixup_irqs), sized for real buses and for
 * interrupt controllers that acknowledge late. */
#define HYP_OFFLINE_IRQ_DRAIN 4000u

/* vCPUs per domain (guest APIC IDs 0 .. HYP_MAX_DOMAIN_VCPUS-1). */
#define HYP_MAX_DOMAIN_VCPUS 64u

/* Softirq bits (per pCPU, processed in hyp_pcpu_main with IF=1). */
enum hyp_softirq {
    SOFTIRQ_SCHEDULE = 0,  /* run the scheduler */
    SOFTIRQ_TIMER = 1,     /* scheduler tick: time-slice accounting */
    SOFTIRQ_VCPU_KICK = 2, /* re-run the VM-entry path (Xen VCPU_KICK_SOFTIRQ) */
    SOFTIRQ_TASKLET = 3,   /* tasklet work queued for the idle context */
    SOFTIRQ_NR = 4,
};

/* Pending/active state of the per-pCPU guest interrupt [xen-devel, "Using
 * IRQ_GUEST|IRQ_PER_CPU to signal "delivery to current vcpu"?"]. */
struct percpu_virq_state {
    bool pending;   /* fired, not yet made pending in the guest */
    bool active;    /* made pending in the guest, its EOI not yet seen */
};

struct vcpu {
    bool used;
    uint32_t id;            /* global vCPU id */
    uint32_t domid;
    uint32_t vidx;          /* index in the domain = guest APIC ID */
    uint32_t processor;     /* pCPU whose run queue owns it (atomic) */
    uint32_t affinity;      /* home pCPU: pinned or preferred (atomic) */
    uint64_t affinity_mask; /* hard affinity: bit c = may run on pCPU c (atomic) */
    uint32_t steal_to;      /* load balancing: idle pCPU that asked to pull
                             * it, HYP_INVALID none (atomic; sched_balance.c) */
    uint32_t state;         /* enum hyp_vcpu_state (atomic) */
    uint64_t vmcs_pa, vapic_pa, pid_pa;
    uint32_t vmcs_cpu;      /* pCPU on which the VMCS is active, HYP_INVALID if clear */
    bool vmcs_ready;        /* controls written after the first VMPTRLD */
    bool on_runq;
    bool boost;             /* woken from blocked: runs ahead of the others
                             * until it is switched out or a tick passes */
    bool hlt_recheck;       /* woken from HLT for no event (vcpu_wake_recheck):
                             * its VM-entry path halts it again unless an
                             * interrupt is deliverable (atomic) */
    uint32_t rq_next;
    /* Blocking list membership [Xen vmx.c vmx_pi_blocking]: the pCPU whose
     * list holds the vCPU (HYP_INVALID: none), and the links; under that
     * pCPU's pi_block_lock. */
    uint32_t pi_block_cpu;
    uint32_t pi_next, pi_prev;
    /* Virtual interrupts pending in software (non-posting modes, and
     * emulated mode's IRR), one bit per vector, set by any pCPU (atomic). */
    uint64_t pending[4];
    /* Emulated mode software vLAPIC in-service register (owned by the vCPU's
     * pCPU while it runs). */
    uint32_t vlapic_isr[8];
    /* Emulated mode software vLAPIC ICR high (xAPIC: destination in bits
     * 31:24), as the guest last wrote it; ICR low's write sends. */
    uint32_t vlapic_icr_hi;
    /* Emulated mode software vLAPIC TPR, as the guest last wrote it. */
    uint32_t vlapic_tpr;
    bool intr_window_requested;
    /* Per-pCPU guest interrupt (percpu_virq.c), saved while the vCPU's
     * context is not resident on a pCPU. */
    struct percpu_virq_state ppi;
    uint8_t ppi_eoi_exit_vector; /* vector whose EOI-exit bit its VMCS has, 0 none */
};

struct pcpu {
    uint32_t id;
    uint32_t apic_id;
    bool online;             /* atomic */
    bool offline_pending;    /* atomic: PCPU_OFFLINE requested, until the
                              * pCPU has handed everything over */
    bool migrate_scan;       /* atomic: look for vCPUs to migrate away */
    bool preempt;            /* atomic: HYP_CTL_PREEMPT requested */
    uint32_t softirq_pending; /* atomic bit set of enum hyp_softirq */
    uint32_t in_irq;         /* interrupt nesting depth (this pCPU only) */

    spinlock_t sched_lock;
    uint32_t curr;           /* vCPU scheduled here, HYP_INVALID = idle */
    uint32_t ctx;            /* vCPU whose PI state/context is loaded here
                              * (differs from curr after a lazy switch) */
    uint32_t vmcs_loaded;    /* vCPU whose VMCS is current (VMPTRLD) */
    uint32_t rq_head, rq_tail, rq_len;
    uint64_t slice_end;      /* cycles: end of curr's time slice */
    uint64_t tasklet_work;   /* atomic: cycles of tasklet work queued */
    bool steal_inflight;     /* atomic: a pull of this idle pCPU awaits the
                              * owner of the vCPU (sched_balance.c) */

    uint64_t next_tick;      /* deadline of the scheduler tick, 0 = disarmed */

    spinlock_t pi_block_lock;
    uint32_t pi_block_head;  /* blocking list [Xen vmx_pi_blocking] */
    uint32_t pi_block_len;

    /* Live state of the per-pCPU guest interrupt; belongs to the vCPU whose
     * context is resident (ctx). This pCPU only. */
    struct percpu_virq_state ppi;

    /* Host vector -> MSI binding (IRTE index) for remapped device interrupts. */
    uint16_t vec_binding[256];
};

struct domain {
    bool used;
    uint32_t nr_vcpus;
    uint32_t vcpu[HYP_MAX_DOMAIN_VCPUS];
    uint32_t nr_devices;
    uint32_t pi_hooks;      /* atomic: VT-d PI hooks installed (device assigned) */
    uint8_t percpu_gvec;    /* guest vector of the per-pCPU interrupt, 0 none */
};

struct device {
    bool used;
    uint32_t rid;           /* PCIe requester ID */
    uint32_t domid;
};

/* One bound MSI: the IRTE at `index` (= slot in hyp_core.msi). */
struct msi_binding {
    bool used;
    uint32_t device, msi_index;
    uint32_t vcpu;
    uint8_t gvec;           /* guest vector */
    uint8_t hvec;           /* host vector (remapped formats) */
    uint32_t hcpu;          /* pCPU the remapped IRTE targets */
    uint8_t old_hvec;       /* the host vector before the last rebind, kept  */
    uint32_t old_hcpu;      /* for its interrupts in flight (HYP_INVALID: none) */
    uint32_t old_vcpu;      /* and where that IRTE's interrupts go: the vCPU */
    uint8_t old_gvec;       /* and guest vector bound before the rebind */
    bool urgent;
    bool host;              /* host-owned device: vcpu/gvec unused */
    uint64_t host_cycles;   /* host handler cost (host_device_irq), cycles */
};

#define BINDING_NONE 0xFFFFu
/* vec_binding flag: the vector is a binding's previous one (a rebind moved the
 * binding away from it). Its interrupts still in flight (remapped with the
 * old IRTE before the IEC invalidation, or pending in the local APIC) are
 * delivered where that IRTE's binding said (old_vcpu, old_gvec); the allocator may hand the vector out again
 * (its round robin comes back to it only after the other vectors) [Xen keeps a moved irq's old vector until the
 * move completes: xen/arch/x86/irq.c, irq_move_cleanup_interrupt]. */
#define BINDING_RETIRED 0x8000u

struct hyp_core {
    bool initialized;
    uint32_t nr_pcpus;
    uint32_t apic_id[HYP_MAX_PCPUS];
    bool x2apic;
    enum hyp_irq_mode irq_mode;
    uint64_t time_slice, tick_period;
    uint8_t notification_vector, wakeup_vector, timer_vector, control_vector;
    uint8_t device_vector_base;
    /* The host vector allocated last (msi_alloc_hvec's round-robin cursor). */
    uint32_t hvec_cursor;
    uint8_t percpu_vector;          /* per-pCPU source's host vector, 0 none */
    uint64_t percpu_status_pa;
    uint64_t msr_bitmap_pa;
    uint64_t irt_pa;
    uint32_t irt_entries;
    uint64_t iq_status_pa;

    struct pcpu pcpu[HYP_MAX_PCPUS];
    struct vcpu vcpu[HYP_MAX_VCPUS];
    uint32_t nr_vcpus;
    uint32_t nr_balanceable; /* atomic: vCPUs whose affinity mask names more
                              * than one pCPU (load balancing has work) */
    struct domain dom[HYP_MAX_DOMAINS];
    spinlock_t irt_lock;
    struct device dev[HYP_MAX_DEVICES];
    struct msi_binding msi[HYP_MAX_IRTES];
    uint32_t msi_used;  /* bindings with used set; under irt_lock */
    uint32_t iq_seq;
};

extern struct hyp_core hyp_core;

static inline struct pcpu *this_pcpu(void) { return &hyp_core.pcpu[arch_cpu_id()]; }
static inline bool irq_mode_posted(void)
{
    return hyp_core.irq_mode == HYP_IRQ_VTD_PI || hyp_core.irq_mode == HYP_IRQ_CPU_PI;
}
static inline bool irq_mode_apicv(void) { return hyp_core.irq_mode != HYP_IRQ_EMULATED; }
static inline uint32_t vcpu_state(const struct vcpu *v)
{
    return hyp_atomic_load_n(&v->state, __ATOMIC_ACQUIRE);
}
static inline void hyp_trace(uint32_t kind, uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
    arch_trace(kind, a, b, c, d);
}

/* Report-only code: `stmt` costs no cycles (arch_report_begin, arch.h). For
 * work that exists only to report, such as a loop of trace records. */
#define HYP_REPORT(stmt)          \
    do {                          \
        arch_report_begin();      \
        stmt;                     \
        arch_report_end();        \
    } while (0)

/* One trace record `kind` (a, vector, c) per vector set in bits[4] (a 256-bit
 * vector bitmap), lowest first; call inside HYP_REPORT. */
static inline void hyp_trace_vectors(uint32_t kind, uint64_t a, const uint64_t bits[4], uint64_t c)
{
    for (uint32_t i = 0; i < 4; i++)
        for (uint64_t w = bits[i]; w != 0; w &= w - 1)
            arch_trace(kind, a, i * 64u + (uint32_t)__builtin_ctzll(w), c, 0);
}

/* softirq.c */
void raise_softirq(uint32_t nr);
void cpu_raise_softirq(uint32_t cpu, uint32_t nr);
bool softirq_pending(uint32_t cpu);
void do_softirq(void);

/* sched.c */
uint32_t vcpu_schedule_lock(struct vcpu *v, bool *flags);
void vcpu_schedule_unlock(uint32_t cpu, bool flags);
void vcpu_set_state(struct vcpu *v, uint32_t new_state);
uint32_t vcpu_target_cpu(const struct vcpu *v);
bool vcpu_is_running(const struct vcpu *v);
void runq_insert(struct pcpu *pc, struct vcpu *v);
void runq_remove(struct pcpu *pc, struct vcpu *v);
int vcpu_unpause(struct vcpu *v);
void vcpu_wake(struct vcpu *v);
void vcpu_wake_recheck(struct vcpu *v);
void vcpu_wake_resume(struct vcpu *v);
void vcpu_block(struct vcpu *v);
void hypercall(struct vcpu *v);
void schedule(void);
void sched_tick(void);
void sched_run_tasklets(void);
void sched_request_migrate_scan(uint32_t cpu);
int sched_set_affinity(struct vcpu *v, uint32_t cpu);
int sched_set_affinity_mask(struct vcpu *v, uint64_t mask);
bool sched_pcpu_usable(uint32_t cpu);
bool sched_may_run_on(const struct vcpu *v, uint32_t cpu);
void sched_migrate_out(struct vcpu *v, uint32_t to);
int sched_pcpu_offline(uint32_t cpu);
int sched_pcpu_online(uint32_t cpu);
int sched_preempt(uint32_t cpu);
int sched_tasklet(uint32_t cpu, uint64_t cycles);

void sched_init(void);

/* percpu_virq.c: the per-pCPU guest interrupt [xen-devel, "Using
 * IRQ_GUEST|IRQ_PER_CPU to signal "delivery to current vcpu"?"] */
void percpu_virq_handler(void);
void percpu_virq_save(struct pcpu *pc, struct vcpu *prev);
void percpu_virq_wake_saved(struct vcpu *v);
void percpu_virq_restore(struct pcpu *pc, struct vcpu *next);
void percpu_virq_assist(struct vcpu *v);
void percpu_virq_eoi(struct vcpu *v, uint8_t vector);
int percpu_virq_set_vector(uint32_t domid, uint8_t vector);

/* sched_balance.c: idle pCPUs pull runnable vCPUs (load balancing) */
void sched_load_balance(void);
void sched_tickle_idle(struct pcpu *pc);
uint32_t sched_steal_claim(struct vcpu *v);

/* pcpu_main.c: one iteration of hyp_pcpu_main's loop */
void pcpu_loop_once(void);

/* vmcs_setup.c */
void vmcs_setup(struct vcpu *v);
void msr_bitmap_setup(void);

/* vm_entry.c */
void vm_entry(struct vcpu *v);

/* vmexit.c */
void vmexit_handler(struct vcpu *v, const struct arch_vm_exit *exit);

/* irq.c */
void do_irq_vector(uint8_t vector);
void timer_arm(struct pcpu *pc);
void timer_disarm(struct pcpu *pc);

/* ctl.c */
void ctl_interrupt(void);
int ctl_execute(const struct hyp_ctl *c);

/* virq.c: virtual interrupt delivery to a vCPU, per irq mode */
void virq_deliver(struct vcpu *v, uint8_t vector);
void virq_send_ipi(struct vcpu *from, uint64_t icr);
void virq_intr_assist(struct vcpu *v);
bool virq_events_pending(struct vcpu *v);

/* vapic.c: the virtual-APIC page and RVI/SVI of the current VMCS */
uint8_t vapic_merge_irr(struct vcpu *v, const uint64_t bits[4]);
void vapic_raise_rvi(uint8_t vector);
bool vapic_has_deliverable(struct vcpu *v);

/* vlapic.c: software vLAPIC for HYP_IRQ_EMULATED */
void vlapic_intr_assist(struct vcpu *v);
void vlapic_eoi(struct vcpu *v);
bool vlapic_has_pending(struct vcpu *v);
void vlapic_intr_window_exit(struct vcpu *v);
void vlapic_apic_access(struct vcpu *v, uint64_t qualification);
void vlapic_x2apic_wrmsr(struct vcpu *v, uint32_t msr, uint64_t value);
uint64_t vlapic_xapic_icr(uint32_t icr_lo, uint32_t icr_hi);

/* irte.c, msi.c */
int irte_bind_msi(const struct hyp_ctl *c);
int irte_bind_host_msi(const struct hyp_ctl *c);
void irte_unbind_device(uint32_t device);
uint32_t irte_pcpu_offline(uint32_t cpu);
void irte_pcpu_offline_done(uint32_t cpu);
void irte_update(uint32_t index, uint64_t lo, uint64_t hi);
/* IRTE images (out[0] bits 63:0, out[1] bits 127:64) [VTD 9.10, 9.11]. */
void irte_make_posted(uint32_t rid, uint8_t gvec, bool urgent, uint64_t pid_pa, uint64_t out[2]);
void irte_make_remapped(uint32_t rid, uint8_t hvec, uint32_t cpu, uint64_t out[2]);
void device_irq(uint8_t vector);
void host_device_irq(const struct msi_binding *b);

/* device.c */
int device_assign(uint32_t rid, uint32_t domid);
int device_deassign(uint32_t rid);
struct device *device_find(uint32_t rid);

#pragma GCC visibility pop

#endif /* HYP_SRC_HYP_CORE_H */
