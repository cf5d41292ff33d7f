/*
 * msi.c - binding a device's MSI-X vector to a vCPU (HYP_CTL_BIND_MSI) and
 * the remappable MSI message the device is programmed with
 * [VTD 5.1.2.2].
 *
 * The IRTE index (handle) is the binding's slot. vtd-pi: a posted IRTE
 * (guest vector, the vCPU's PID). Other modes: a remapped IRTE to a host
 * vector (device_vector_base..255, allocated per pCPU) on the vCPU's pCPU;
 * device_irq() then delivers the guest vector in software. A host-owned
 * device (HYP_DOMID_HOST, HYP_CTL_BIND_HOST_MSI) gets a remapped IRTE to the
 * host vector and pCPU it names, handled by host_device_irq.
 * Message: address 0xFEE00000 | handle[14:0] << 5 | bit 4 (remappable) |
 * SHV bit 3 | handle[15] << 2; data 0 (subhandle 0).
 */
#include "hyp_core.h"


static uint32_t irt_size(void)
{
    return hyp_core.irt_entries < HYP_MAX_IRTES ? hyp_core.irt_entries : HYP_MAX_IRTES;
}

static bool vector_reserved(uint32_t vec)
{
    return vec == hyp_core.notification_vector || vec == hyp_core.wakeup_vector ||
           vec == hyp_core.timer_vector || vec == hyp_core.control_vector;
}

/* Forget b's previous vector, if it is still marked as b's. */
static void msi_drop_old_hvec(struct msi_binding *b, uint32_t index)
{
    if (b->old_hcpu != HYP_INVALID) {
        uint16_t *e = &hyp_core.pcpu[b->old_hcpu].vec_binding[b->old_hvec];
        if (*e == (uint16_t)(index | BINDING_RETIRED))
            *e = BINDING_NONE;
        b->old_hcpu = HYP_INVALID;
        b->old_hvec = 0;
    }
}

/* b gives up its host vector: at once (the binding goes away, or is posted
 * from now on: its interrupts in flight are dropped), or, `retire`, kept for
 * the interrupts of the IRTE being replaced (BINDING_RETIRED). */
static void msi_free_hvec(struct msi_binding *b, uint32_t index, bool retire)
{
    HYP_ASSERT(index < HYP_MAX_IRTES && (index & BINDING_RETIRED) == 0);
    msi_drop_old_hvec(b, index);
    if (b->hcpu != HYP_INVALID) {
        hyp_core.pcpu[b->hcpu].vec_binding[b->hvec] =
            retire ? (uint16_t)(index | BINDING_RETIRED) : BINDING_NONE;
        if (retire) {
            b->old_hcpu = b->hcpu;
            b->old_hvec = b->hvec;
            b->old_vcpu = b->vcpu;
            b->old_gvec = b->gvec;
        }
        b->hcpu = HYP_INVALID;
        b->hvec = 0;
    }
}

/* A vector the allocator may hand out: free, or a binding's previous one. */
static bool hvec_free(uint16_t entry)
{
    return entry == BINDING_NONE || (entry & BINDING_RETIRED) != 0;
}

/* A free host vector on pCPU `cpu` (device_vector_base..255, none of the
 * hypervisor's own): `preferred` if it is free, else the next free one after
 * the vector allocated last, round robin, as Xen's _assign_irq_vector walks
 * current_vector (xen/arch/x86/irq.c): a vector just freed is not handed out
 * again at once, so an interrupt of its old binding still in flight (written
 * before a deassign or a reprogram, not yet accepted) does not arrive as the
 * new binding's. 0 when none is free. Caller holds irt_lock. */
static uint32_t msi_alloc_hvec(uint32_t cpu, uint32_t preferred)
{
    const uint16_t *table = hyp_core.pcpu[cpu].vec_binding;
    if (preferred >= 32 && preferred < 256 && !vector_reserved(preferred) && table[preferred] == BINDING_NONE)
        return preferred;
    uint32_t base = hyp_core.device_vector_base < 32 ? 32u : hyp_core.device_vector_base;
    if (base > 255)
        return 0;
    uint32_t span = 256u - base;
    uint32_t start = hyp_core.hvec_cursor < base ? 0u : hyp_core.hvec_cursor - base + 1u;
    for (uint32_t k = 0; k < span; k++) {
        uint32_t vec = base + (start + k) % span;
        if (!vector_reserved(vec) && hvec_free(table[vec])) {
            hyp_core.hvec_cursor = vec;
            return vec;
        }
    }
    return 0;
}

/* The slot (IRTE index) of (device, msi_index)'s binding, else the first
 * free one, else HYP_INVALID; caller holds irt_lock. Once every used slot
 * was seen and a free one found, the rest is empty. */
static uint32_t msi_slot(uint32_t device, uint32_t msi_index)
{
    HYP_ASSERT(spin_is_locked_by_me(&hyp_core.irt_lock));
    uint32_t free_index = HYP_INVALID, seen = 0;
    for (uint32_t i = 0; i < irt_size(); i++) {
        struct msi_binding *b = &hyp_core.msi[i];
        if (b->used) {
            if (b->device == device && b->msi_index == msi_index)
                return i;
            seen++;
        } else if (free_index == HYP_INVALID) {
            free_index = i;
        }
        if (seen == hyp_core.msi_used && free_index != HYP_INVALID)
            break;
    }
    return free_index;
}

int irte_bind_msi(const struct hyp_ctl *c)
{
    if (c->vcpu >= HYP_MAX_VCPUS || !hyp_core.vcpu[c->vcpu].used || c->vector < 16)
        return HYP_EINVAL;
    struct vcpu *v = &hyp_core.vcpu[c->vcpu];

    spin_lock(&hyp_core.irt_lock);
    struct device *dev = device_find(c->device);
    if (dev == NULL || dev->domid != v->domid) {
        spin_unlock(&hyp_core.irt_lock);
        return HYP_ENODEV;
    }
    uint32_t index = msi_slot(c->device, c->msi_index);
    if (index == HYP_INVALID) {
        spin_unlock(&hyp_core.irt_lock);
        return HYP_ENOSPC;
    }
    struct msi_binding *b = &hyp_core.msi[index];
    if (!b->used)
        b->hcpu = b->old_hcpu = HYP_INVALID;
    uint64_t irte[2];
    if (hyp_core.irq_mode == HYP_IRQ_VTD_PI) {
        msi_free_hvec(b, index, false);
        irte_make_posted(c->device, c->vector, c->urgent != 0, v->pid_pa, irte);
    } else {
        uint32_t cpu = hyp_atomic_load_n(&v->processor, __ATOMIC_ACQUIRE);
        msi_free_hvec(b, index, true);
        uint32_t hvec = msi_alloc_hvec(cpu, 0);
        if (hvec == 0) {
            spin_unlock(&hyp_core.irt_lock);
            return HYP_ENOSPC;
        }
        hyp_core.pcpu[cpu].vec_binding[hvec] = (uint16_t)index;
        b->hcpu = cpu;
        b->hvec = (uint8_t)hvec;
        irte_make_remapped(c->device, (uint8_t)hvec, cpu, irte);
    }
    if (!b->used)
        hyp_core.msi_used++;
    b->used = true;
    b->device = c->device;
    b->msi_index = c->msi_index;
    b->vcpu = c->vcpu;
    b->gvec = c->vector;
    b->urgent = c->urgent != 0;
    b->host = false;
    b->host_cycles = 0;
    irte_update(index, irte[0], irte[1]);
    spin_unlock(&hyp_core.irt_lock);
    return 0;
}

/* HYP_CTL_BIND_HOST_MSI (hyp.h): a host-owned device's MSI-X vector to host
 * vector c->vector on pCPU c->pcpu, as a remapped IRTE [VTD 9.10; Xen
 * setup_msi_irq + msi_msg_to_remap_entry for a hypervisor-owned device]. */
int irte_bind_host_msi(const struct hyp_ctl *c)
{
    if (c->pcpu >= hyp_core.nr_pcpus || c->vector < 32 || vector_reserved(c->vector))
        return HYP_EINVAL;
    spin_lock(&hyp_core.irt_lock);
    struct device *dev = device_find(c->device);
    if (dev == NULL || dev->domid != HYP_DOMID_HOST) {
        spin_unlock(&hyp_core.irt_lock);
        return HYP_ENODEV;
    }
    uint32_t index = msi_slot(c->device, c->msi_index);
    if (index == HYP_INVALID) {
        spin_unlock(&hyp_core.irt_lock);
        return HYP_ENOSPC;
    }
    struct msi_binding *b = &hyp_core.msi[index];
    if (!b->used)
        b->hcpu = b->old_hcpu = HYP_INVALID;
    uint16_t owner = hyp_core.pcpu[c->pcpu].vec_binding[c->vector];
    if (!hvec_free(owner) && owner != index) {
        spin_unlock(&hyp_core.irt_lock);
        return HYP_EEXIST;
    }
    msi_free_hvec(b, index, false);
    hyp_core.pcpu[c->pcpu].vec_binding[c->vector] = (uint16_t)index;
    b->hcpu = c->pcpu;
    b->hvec = c->vector;
    uint64_t irte[2];
    irte_make_remapped(c->device, c->vector, c->pcpu, irte);
    if (!b->used)
        hyp_core.msi_used++;
    b->used = true;
    b->device = c->device;
    b->msi_index = c->msi_index;
    b->vcpu = HYP_INVALID;
    b->gvec = 0;
    b->urgent = false;
    b->host = true;
    b->host_cycles = c->arg;
    irte_update(index, irte[0], irte[1]);
    spin_unlock(&hyp_core.irt_lock);
    return 0;
}

/* Remove every binding of `device` (IRTE P := 0); caller holds irt_lock.
 * The scan stops once every used slot was seen: the table has
 * HYP_MAX_IRTES slots and a full scan costs tens of thousands of cycles. */
void irte_unbind_device(uint32_t device)
{
    HYP_ASSERT(spin_is_locked_by_me(&hyp_core.irt_lock));
    uint32_t unseen = hyp_core.msi_used;
    for (uint32_t i = 0; i < irt_size() && unseen > 0; i++) {
        struct msi_binding *b = &hyp_core.msi[i];
        if (!b->used)
            continue;
        unseen--;
        if (b->device != device)
            continue;
        irte_update(i, 0, 0);
        msi_free_hvec(b, i, false);
        b->used = false;
        HYP_ASSERT(hyp_core.msi_used > 0);
        hyp_core.msi_used--;
    }
}

/* pCPU `cpu` is going offline: every remapped IRTE aimed at it (a host
 * device's, and a guest device's outside vtd-pi) is re-aimed at an online
 * pCPU (a guest's: where its vCPU belongs; a host device's: the lowest
 * online pCPU, its affinity broken), with a host vector free there,
 * preferably the same [Xen fixup_irqs, xen/arch/x86/irq.c; Linux
 * fixup_irqs / irq_migrate_all_off_this_cpu]. Each update invalidates the
 * entry's IEC copy and waits for it (irte_update), so VT-d aims no later
 * request at `cpu`. The old (cpu, vector) entries stay in cpu's table so
 * that interrupts already on their way there are still handled; the caller
 * drains them with interrupts enabled, then calls
 * irte_pcpu_offline_done(cpu). Runs on `cpu` itself. Returns the number of
 * entries moved. */
uint32_t irte_pcpu_offline(uint32_t cpu)
{
    uint32_t moved = 0;
    spin_lock(&hyp_core.irt_lock);
    uint32_t unseen = hyp_core.msi_used;
    for (uint32_t i = 0; i < irt_size() && unseen > 0; i++) {
        struct msi_binding *b = &hyp_core.msi[i];
        if (!b->used)
            continue;
        unseen--;
        if (b->hcpu != cpu)
            continue;
        uint32_t to = HYP_INVALID;
        if (!b->host) {
            to = vcpu_target_cpu(&hyp_core.vcpu[b->vcpu]);
            if (to == cpu || !sched_pcpu_usable(to))
                to = HYP_INVALID;
        }
        for (uint32_t c = 0; c < hyp_core.nr_pcpus && to == HYP_INVALID; c++)
            if (c != cpu && sched_pcpu_usable(c))
                to = c;
        HYP_ASSERT(to != HYP_INVALID); /* sched_pcpu_offline keeps one online */
        uint32_t hvec = msi_alloc_hvec(to, b->hvec);
        HYP_ASSERT(hvec != 0); /* 256 - device_vector_base vectors per pCPU */
        hyp_core.pcpu[to].vec_binding[hvec] = (uint16_t)i;
        b->hcpu = to;
        b->hvec = (uint8_t)hvec;
        uint64_t irte[2];
        irte_make_remapped(b->device, (uint8_t)hvec, to, irte);
        irte_update(i, irte[0], irte[1]);
        moved++;
    }
    spin_unlock(&hyp_core.irt_lock);
    return moved;
}

/* After the drain: no binding uses pCPU `cpu`'s vectors any more (every
 * entry of its table belonged to a binding irte_pcpu_offline moved). */
void irte_pcpu_offline_done(uint32_t cpu)
{
    spin_lock(&hyp_core.irt_lock);
    for (uint32_t vec = 0; vec < 256; vec++)
        hyp_core.pcpu[cpu].vec_binding[vec] = BINDING_NONE;
    spin_unlock(&hyp_core.irt_lock);
}

bool hyp_msi_message(uint32_t device, uint32_t msi_index, struct hyp_msi_msg *out)
{
    for (uint32_t i = 0; i < irt_size(); i++) {
        const struct msi_binding *b = &hyp_core.msi[i];
        if (b->used && b->device == device && b->msi_index == msi_index) {
            uint64_t handle = i;
            out->address = 0xFEE00000ull | ((handle & 0x7FFFull) << 5) | (1ull << 4) |
                           (1ull << 3) | (((handle >> 15) & 1ull) << 2);
            out->data = 0;
            return true;
        }
    }
    return false;
}

/* A remapped device interrupt on this pCPU: a host-owned device's goes to
 * its root-mode handler (host_device_irq); a guest's (non-posting modes):
 * EOI and deliver the bound guest vector to its vCPU; one that came on a
 * binding's previous vector, to the vCPU and guest vector bound before. */
void device_irq(uint8_t vector)
{
    struct pcpu *pc = this_pcpu();
    uint16_t index = pc->vec_binding[vector];
    if ((index & BINDING_RETIRED) != 0 && index != BINDING_NONE) {
        /* a binding's previous vector: remapped with the IRTE its rebind
         * replaced, it goes where that IRTE's binding said */
        index &= (uint16_t)~BINDING_RETIRED;
        const struct msi_binding *old = &hyp_core.msi[index];
        HYP_ASSERT(old->used && old->old_hcpu == pc->id && old->old_hvec == vector);
        hyp_trace(HYP_TR_HANDLER_ENTER, HYP_H_DEVICE_IRQ, vector, pc->curr, 0);
        arch_apic_eoi();
        virq_deliver(&hyp_core.vcpu[old->old_vcpu], old->old_gvec);
        hyp_trace(HYP_TR_HANDLER_EXIT, HYP_H_DEVICE_IRQ, vector, pc->curr, 0);
        return;
    }
    if (index != BINDING_NONE && hyp_core.msi[index].used && hyp_core.msi[index].host) {
        host_device_irq(&hyp_core.msi[index]);
        return;
    }
    hyp_trace(HYP_TR_HANDLER_ENTER, HYP_H_DEVICE_IRQ, vector, pc->curr, 0);
    arch_apic_eoi();
    /* a binding removed meanwhile (deassignment) drops the interrupt */
    if (index != BINDING_NONE && hyp_core.msi[index].used)
        virq_deliver(&hyp_core.vcpu[hyp_core.msi[index].vcpu], hyp_core.msi[index].gvec);
    hyp_trace(HYP_TR_HANDLER_EXIT, HYP_H_DEVICE_IRQ, vector, pc->curr, 0);
}
