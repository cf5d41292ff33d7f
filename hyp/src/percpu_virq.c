/*
 * percpu_virq.c - the per-pCPU guest interrupt: a physical interrupt source
 * private to each pCPU (the x86 analogue of an ARM per-core PPI such as the
 * virtual timer) that is always delivered to whichever vCPU is resident on
 * that pCPU, as the domain's configured guest vector, with its pending and
 * active state switched with the vCPU's context [Xen ARM vtimer context switch;
 * xen-devel, "Using IRQ_GUEST|IRQ_PER_CPU to signal "delivery to current vcpu"?"].
 *
 * State. The source has a status word per pCPU in machine memory (bit 0:
 * fired since software last read-and-cleared it), written before it raises
 * its host vector (hyp_config.percpu_vector) at this pCPU's local APIC: the
 * analogue of the interrupt controller's per-CPU pending bit that ARM saves
 * on a context switch. The hypervisor keeps, per pCPU, the live
 * (pending, active) pair of the vCPU whose context is resident (pcpu.ctx),
 * and per vCPU the saved pair:
 *   pending: fired, not yet made pending in the guest;
 *   active:  made pending in the guest, the guest's EOI not yet seen. While
 *            active a new firing stays pending (one outstanding per vCPU, as
 *            a level-triggered per-CPU timer) until the EOI.
 *
 * Ownership rule (what that thread implies: "delivered to whichever VCPU is
 * currently resident"): a firing belongs to the vCPU whose context is
 * resident on the pCPU when software reads the status word. After a lazy
 * switch to idle (tasklet, idle after a block; Feng Wu, Feb 2016) the previous vCPU's
 * context is still resident, so the firing is kept for it, and wakes it if it
 * is blocked. With no resident context (idle after a migration away or an
 * offline hand-over, or before any vCPU ran) there is no owner: the firing is
 * dropped (traced HYP_PERCPU_DROP); it is never handed to the next vCPU.
 *
 * Steps, one function each:
 *  - percpu_virq_handler: the host vector in root mode (or an external-
 *    interrupt exit): EOI, read-and-clear the status word, latch pending for
 *    the resident vCPU (or drop), wake it if blocked, re-run the entry path
 *    if it is the current one;
 *  - percpu_virq_save (context switch away, after pi_switch_from): first
 *    read-and-clear the status word, so that a firing whose host vector is
 *    still waiting behind IF=0 is charged to the vCPU that was resident when
 *    it fired, then move the live pair into the vCPU and clear it;
 *    percpu_virq_wake_saved, after the scheduler locks are released, wakes
 *    a blocked vCPU the save charged a firing to;
 *  - percpu_virq_restore (context switch in, after pi_switch_to): the vCPU's
 *    saved pair becomes the live pair;
 *  - percpu_virq_assist (VM-entry path step 2, before the irq mode's
 *    interrupt assist; it disables interrupts around its own update):
 *    pending and not active -> the guest vector is made pending in the vCPU
 *    (PIR and ON in posting modes, the software-pending bitmap otherwise), so
 *    the mode's assist delivers it; the EOI-exit bitmap bit of the vector is
 *    set in APICv modes so that the guest's EOI exits (45). A firing handled
 *    after it (IF=1) raises SOFTIRQ_VCPU_KICK, so the entry path's softirq
 *    check sends the pCPU back through the assist (as Xen's pi_notification_interrupt);
 *  - percpu_virq_eoi: the guest's EOI of the vector (EOI-induced exit, or the
 *    software vLAPIC's EOI in emulated mode): active := 0.
 * Locking: the live pair is touched only by its own pCPU, under its
 * sched_lock in save/restore (called from the context switch) or with IF=0
 * (the handler, and the assist's own IF=0 section).
 */
#include "hyp_core.h"
#include "pid.h"

static uint64_t status_pa(uint32_t cpu)
{
    return hyp_core.percpu_status_pa + 8ull * cpu;
}

static void trace_step(const struct vcpu *v, uint32_t step, const struct percpu_virq_state *s)
{
    hyp_trace(HYP_TR_PERCPU_VIRQ, v == NULL ? HYP_INVALID : v->id, step, s->pending ? 1u : 0u,
              s->active ? 1u : 0u);
}

/* Read-and-clear the source's status word; a firing becomes pending for the
 * resident vCPU (returned), or is dropped when no context is resident. */
static struct vcpu *percpu_virq_latch(struct pcpu *pc)
{
    if ((arch_mem_xchg64(status_pa(pc->id), 0) & 1u) == 0)
        return NULL;
    if (pc->ctx == HYP_INVALID) {
        trace_step(NULL, HYP_PERCPU_DROP, &pc->ppi);
        return NULL;
    }
    struct vcpu *v = &hyp_core.vcpu[pc->ctx];
    pc->ppi.pending = true;
    trace_step(v, HYP_PERCPU_LATCH, &pc->ppi);
    return v;
}

void percpu_virq_handler(void)
{
    struct pcpu *pc = this_pcpu();
    HYP_ASSERT(!arch_irqs_enabled());
    hyp_trace(HYP_TR_HANDLER_ENTER, HYP_H_PERCPU, hyp_core.percpu_vector, pc->curr, 0);
    arch_apic_eoi();
    struct vcpu *v = percpu_virq_latch(pc);
    if (v != NULL) {
        if (vcpu_state(v) == HYP_VCPU_BLOCKED)
            vcpu_wake(v); /* an interrupt for a halted guest wakes it */
        else if (pc->curr == v->id && !softirq_pending(pc->id))
            raise_softirq(SOFTIRQ_VCPU_KICK); /* back through the entry path */
    }
    hyp_trace(HYP_TR_HANDLER_EXIT, HYP_H_PERCPU, hyp_core.percpu_vector, pc->curr, 0);
}

void percpu_virq_save(struct pcpu *pc, struct vcpu *prev)
{
    if (hyp_core.percpu_vector == 0)
        return;
    HYP_ASSERT(pc->ctx == prev->id && spin_is_locked_by_me(&pc->sched_lock));
    percpu_virq_latch(pc);                   /* a firing still behind IF=0 is prev's */
    prev->ppi.pending = pc->ppi.pending;
    prev->ppi.active = pc->ppi.active;
    pc->ppi.pending = false;
    pc->ppi.active = false;
    trace_step(prev, HYP_PERCPU_SAVE, &prev->ppi);
}

/* After a context save, outside the scheduler locks: a firing the save
 * charged to a blocked vCPU wakes it, as one the handler takes does (an
 * interrupt for a halted vCPU ends its HLT). */
void percpu_virq_wake_saved(struct vcpu *v)
{
    if (hyp_core.percpu_vector == 0)
        return;
    if (v->ppi.pending && !v->ppi.active && vcpu_state(v) == HYP_VCPU_BLOCKED)
        vcpu_wake(v);
}

void percpu_virq_restore(struct pcpu *pc, struct vcpu *next)
{
    if (hyp_core.percpu_vector == 0)
        return;
    HYP_ASSERT(spin_is_locked_by_me(&pc->sched_lock));
    HYP_ASSERT(!pc->ppi.pending && !pc->ppi.active); /* saved or never set */
    pc->ppi.pending = next->ppi.pending;
    pc->ppi.active = next->ppi.active;
    next->ppi.pending = false;
    next->ppi.active = false;
    trace_step(next, HYP_PERCPU_RESTORE, &pc->ppi);
}

static void percpu_virq_inject(struct pcpu *pc, struct vcpu *v);

/* EOI-exit bitmap bit of `vector` in the current VMCS [SDM 29.1.4]. */
static void eoi_exit_bitmap_set(uint8_t vector)
{
    uint32_t field = VMCS_EOI_EXIT_BITMAP0 + 2u * (uint32_t)(vector >> 6);
    uint64_t bits = arch_vmcs_read(field);
    arch_vmcs_write(field, bits | (1ull << (vector & 63u)));
}

void percpu_virq_assist(struct vcpu *v)
{
    if (hyp_core.percpu_vector == 0)
        return;
    struct pcpu *pc = this_pcpu();
    HYP_ASSERT(pc->ctx == v->id);
    if (!pc->ppi.pending || pc->ppi.active)
        return;
    bool irqs = arch_irqs_enabled();
    if (irqs)
        arch_irq_disable();
    percpu_virq_inject(pc, v);
    if (irqs)
        arch_irq_enable();
}

/* The assist's IF=0 section: pending -> guest vector pending, active. */
static void percpu_virq_inject(struct pcpu *pc, struct vcpu *v)
{
    if (!pc->ppi.pending || pc->ppi.active)
        return;
    uint8_t gvec = hyp_atomic_load_n(&hyp_core.dom[v->domid].percpu_gvec, __ATOMIC_ACQUIRE);
    pc->ppi.pending = false;
    if (gvec == 0) {
        trace_step(v, HYP_PERCPU_DROP, &pc->ppi); /* the domain takes none */
        return;
    }
    if (irq_mode_apicv() && v->ppi_eoi_exit_vector != gvec) {
        eoi_exit_bitmap_set(gvec);
        v->ppi_eoi_exit_vector = gvec;
    }
    if (irq_mode_posted()) {
        pid_test_and_set_pir(v->pid_pa, gvec);
        pid_test_and_set_on(v->pid_pa); /* the entry check merges PIR now */
    } else {
        hyp_atomic_fetch_or(&v->pending[gvec >> 6], 1ull << (gvec & 63u), __ATOMIC_ACQ_REL);
    }
    pc->ppi.active = true;
    trace_step(v, HYP_PERCPU_INJECT, &pc->ppi);
}

void percpu_virq_eoi(struct vcpu *v, uint8_t vector)
{
    if (hyp_core.percpu_vector == 0)
        return;
    struct pcpu *pc = this_pcpu();
    if (pc->ctx != v->id || !pc->ppi.active ||
        vector != hyp_atomic_load_n(&hyp_core.dom[v->domid].percpu_gvec, __ATOMIC_ACQUIRE))
        return;
    pc->ppi.active = false;
    trace_step(v, HYP_PERCPU_EOI, &pc->ppi);
}

int percpu_virq_set_vector(uint32_t domid, uint8_t vector)
{
    if (domid >= HYP_MAX_DOMAINS || !hyp_core.dom[domid].used ||
        (vector != 0 && vector < 16) || hyp_core.percpu_vector == 0)
        return HYP_EINVAL;
    hyp_atomic_store_n(&hyp_core.dom[domid].percpu_gvec, vector, __ATOMIC_RELEASE);
    return 0;
}
