/*
 * hyp/trace.h - events the hypervisor core reports through arch_trace().
 *
 * Each kind lists the meaning of arch_trace's a, b, c, d. The platform turns
 * them into trace records and feeds them to the invariant oracles, so a kind
 * that an oracle relies on must be emitted even when nobody records a trace.
 */
#ifndef HYP_TRACE_H
#define HYP_TRACE_H

enum hyp_trace_kind {
    /* a: handler id (enum hyp_handler), b: vector or exit reason, c: vcpu */
    HYP_TR_HANDLER_ENTER = 1,
    HYP_TR_HANDLER_EXIT = 2,
    /* a: prev vcpu (HYP_INVALID = idle), b: next vcpu, c: enum hyp_sched_reason */
    HYP_TR_SCHEDULE = 3,
    /* a: vcpu, b: old state, c: new state (enum hyp_vcpu_state) */
    HYP_TR_VCPU_STATE = 4,
    /* a: vcpu, b: pcpu whose blocking list */
    HYP_TR_BLOCKLIST_ADD = 5,
    HYP_TR_BLOCKLIST_DEL = 6,
    /* a: vcpu, b: pcpu (where it will run) - just before arch_vm_enter */
    HYP_TR_VM_ENTRY = 7,
    /* a: vcpu, b: guest vector, c: how (0 posted-sync, 1 injected, 2 VIRR) */
    HYP_TR_VIRQ_PEND = 8,
    /* a: vcpu, b: from pcpu, c: to pcpu */
    HYP_TR_MIGRATE = 9,
    /* a: target pcpu, b: vector (kick / notification IPIs) */
    HYP_TR_IPI = 10,
    /* a: softirq bit, b: pcpu */
    HYP_TR_SOFTIRQ_RAISE = 11,
    /* a: irte index, b: irte lo, c: irte hi */
    HYP_TR_IRTE_WRITE = 12,
    /* a: control op, b: seq, c: result */
    HYP_TR_CTL = 13,
    /* a virtual IPI is sent (before its delivery): a: target vcpu, b: guest
     * vector, c: sending vcpu (HYP_INVALID for the control domain) */
    HYP_TR_VIPI = 14,
    /* per-pCPU guest interrupt [xen-devel, "Using IRQ_GUEST|IRQ_PER_CPU to
     * signal "delivery to current vcpu"?"]: a: vcpu (HYP_INVALID: none),
     * b: enum hyp_percpu_step, c: pending, d: active (after the step) */
    HYP_TR_PERCPU_VIRQ = 15,
    /* a spinlock was released (spin_unlock): a: enum hyp_lock_class, b: its
     * index (the pCPU of a per-pCPU lock). Reported for every lock; the
     * platform records the blocking-list locks' (the oracles check the
     * lists against vCPU states and PIDs at each release). */
    HYP_TR_LOCK_RELEASE = 16,
};

enum hyp_lock_class {
    HYP_LOCK_UNNAMED = 0,        /* not observed */
    HYP_LOCK_BLOCKING_LIST = 1,  /* pcpu.pi_block_lock; index = the pCPU */
};

enum hyp_percpu_step {
    HYP_PERCPU_LATCH = 0,    /* the source fired: pending for the resident vCPU */
    HYP_PERCPU_DROP = 1,     /* fired with no resident vCPU context: dropped */
    HYP_PERCPU_SAVE = 2,     /* context switch away: live state -> vCPU */
    HYP_PERCPU_RESTORE = 3,  /* context switch in: vCPU -> live state */
    HYP_PERCPU_INJECT = 4,   /* guest vector made pending in the vCPU */
    HYP_PERCPU_EOI = 5,      /* the guest's EOI of the vector: not active */
};

enum hyp_vcpu_state {
    HYP_VCPU_OFFLINE = 0,
    HYP_VCPU_RUNNABLE = 1,
    HYP_VCPU_RUNNING = 2,
    HYP_VCPU_BLOCKED = 3,
};

enum hyp_sched_reason {
    HYP_SCHED_IDLE = 0,     /* nothing to run */
    HYP_SCHED_SLICE = 1,    /* time slice expired */
    HYP_SCHED_BLOCK = 2,    /* current vCPU blocked */
    HYP_SCHED_WAKE = 3,     /* a vCPU woke up on an idle pCPU */
    HYP_SCHED_PREEMPT = 4,  /* explicit preemption */
    HYP_SCHED_MIGRATE = 5,  /* affinity change / load balancing */
    HYP_SCHED_TASKLET = 6,  /* tasklet in idle context (lazy switch) */
    HYP_SCHED_OFFLINE = 7,  /* pCPU going offline */
};

enum hyp_handler {
    HYP_H_VMEXIT = 1,         /* b: exit reason */
    HYP_H_IRQ = 2,            /* b: vector (generic external interrupt) */
    HYP_H_PI_NOTIFICATION = 3,
    HYP_H_PI_WAKEUP = 4,
    HYP_H_TIMER = 5,
    HYP_H_CONTROL = 6,
    HYP_H_SOFTIRQ = 7,
    HYP_H_DEVICE_IRQ = 8,     /* remapped device interrupt (non-posting modes) */
    HYP_H_HOST_IRQ = 9,       /* interrupt of a host-owned device; d: requester
                               * ID << 16 | MSI-X index (entry = delivery) */
    HYP_H_PERCPU = 10,         /* per-pCPU guest interrupt source [xen-devel,
                                * "Using IRQ_GUEST|IRQ_PER_CPU to signal
                                * "delivery to current vcpu"?"] */
};

#endif /* HYP_TRACE_H */
