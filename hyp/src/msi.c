/*
 * msi.c - binding a device's MSI-X vector to a vCPU (HYP_CTL_BIND_MSI) and
 * the remappable MSI message the device is programmed with [SPEC 5;
 * VTD 5.1.2.2].
 *
 * The IRTE index (handle) is the binding's slot. vtd-pi: a posted IRTE
 * (guest vector, the vCPU's PID). Other modes: a remapped IRTE to a host
 * vector (device_vector_base..255, allocated per pCPU) on the vCPU's pCPU;
 * device_irq() then delivers the guest vector in software.
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

static void msi_free_hvec(struct msi_binding *b)
{
    if (b->hcpu != HYP_INVALID) {
        hyp_core.pcpu[b->hcpu].vec_binding[b->hvec] = BINDING_NONE;
        b->hcpu = HYP_INVALID;
        b->hvec = 0;
    }
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
    /* Look for this (device, vector)'s binding among the used slots; once
     * every used slot was seen and a free one found, the rest is empty. */
    uint32_t index = HYP_INVALID, free_index = HYP_INVALID, seen = 0;
    for (uint32_t i = 0; i < irt_size(); i++) {
        struct msi_binding *b = &hyp_core.msi[i];
        if (b->used) {
            if (b->device == c->device && b->msi_index == c->msi_index) {
                index = i;
                break;
            }
            seen++;
        } else if (free_index == HYP_INVALID) {
            free_index = i;
        }
        if (seen == hyp_core.msi_used && free_index != HYP_INVALID)
            break;
    }
    if (index == HYP_INVALID)
        index = free_index;
    if (index == HYP_INVALID) {
        spin_unlock(&hyp_core.irt_lock);
        return HYP_ENOSPC;
    }
    struct msi_binding *b = &hyp_core.msi[index];
    if (!b->used)
        b->hcpu = HYP_INVALID;
    uint64_t irte[2];
    if (hyp_core.irq_mode == HYP_IRQ_VTD_PI) {
        msi_free_hvec(b);
        irte_make_posted(c->device, c->vector, c->urgent != 0, v->pid_pa, irte);
    } else {
        uint32_t cpu = __atomic_load_n(&v->processor, __ATOMIC_ACQUIRE);
        msi_free_hvec(b);
        uint32_t hvec = 0;
        for (uint32_t vec = hyp_core.device_vector_base; vec < 256 && hvec == 0; vec++)
            if (vec >= 32 && !vector_reserved(vec) &&
                hyp_core.pcpu[cpu].vec_binding[vec] == BINDING_NONE)
                hvec = vec;
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
    irte_update(index, irte[0], irte[1]);
    spin_unlock(&hyp_core.irt_lock);
    return 0;
}

/* Remove every binding of `device` (IRTE P := 0); caller holds irt_lock. */
void irte_unbind_device(uint32_t device)
{
    HYP_ASSERT(spin_is_locked_by_me(&hyp_core.irt_lock));
    for (uint32_t i = 0; i < irt_size(); i++) {
        struct msi_binding *b = &hyp_core.msi[i];
        if (!b->used || b->device != device)
            continue;
        irte_update(i, 0, 0);
        msi_free_hvec(b);
        b->used = false;
        HYP_ASSERT(hyp_core.msi_used > 0);
        hyp_core.msi_used--;
    }
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

/* A remapped device interrupt (non-posting modes) on this pCPU: EOI and
 * deliver the bound guest vector to its vCPU. */
void device_irq(uint8_t vector)
{
    struct pcpu *pc = this_pcpu();
    uint16_t index = pc->vec_binding[vector];
    hyp_trace(HYP_TR_HANDLER_ENTER, HYP_H_DEVICE_IRQ, vector, pc->curr, 0);
    arch_apic_eoi();
    /* a binding removed meanwhile (deassignment) drops the interrupt */
    if (index != BINDING_NONE && hyp_core.msi[index].used)
        virq_deliver(&hyp_core.vcpu[hyp_core.msi[index].vcpu], hyp_core.msi[index].gvec);
    hyp_trace(HYP_TR_HANDLER_EXIT, HYP_H_DEVICE_IRQ, vector, pc->curr, 0);
}
