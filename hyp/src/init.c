/*
 * init.c - hyp_init, domain and vCPU creation (hyp.h).
 *
 * hyp_init validates and keeps the machine description and resets every
 * table (explicit loops: no struct copies, no memset). hyp_vcpu_create
 * initializes the vCPU's PID in machine memory: PIR 0, ON 0, SN 1, NV the
 * notification vector, NDST its pCPU [VTD 9.12; Linux arch/x86/include/asm/posted_intr.h].
 */
#include "hyp_core.h"
#include "pid.h"

/* Cache-line aligned: which fields share a 64-byte line (and so what the
 * platform's coherence model charges for them) must not depend on where the
 * linker places the core, built in or loaded with --hyp. */
struct hyp_core hyp_core __attribute__((aligned(64)));


static void vcpu_reset(struct vcpu *v, uint32_t id)
{
    v->used = false;
    v->id = id;
    v->domid = HYP_INVALID;
    v->vidx = HYP_INVALID;
    v->processor = 0;
    v->affinity = 0;
    v->affinity_mask = 0;
    v->steal_to = HYP_INVALID;
    v->state = HYP_VCPU_OFFLINE;
    v->vmcs_pa = v->vapic_pa = v->pid_pa = 0;
    v->vmcs_cpu = HYP_INVALID;
    v->vmcs_ready = false;
    v->on_runq = false;
    v->boost = false;
    v->hlt_recheck = false;
    v->rq_next = HYP_INVALID;
    v->pi_block_cpu = HYP_INVALID;
    v->pi_next = v->pi_prev = HYP_INVALID;
    for (uint32_t i = 0; i < 4; i++)
        v->pending[i] = 0;
    for (uint32_t i = 0; i < 8; i++)
        v->vlapic_isr[i] = 0;
    v->vlapic_icr_hi = 0;
    v->vlapic_tpr = 0;
    v->intr_window_requested = false;
    v->ppi.pending = v->ppi.active = false;
    v->ppi_eoi_exit_vector = 0;
}

static void pcpu_reset(struct pcpu *pc, uint32_t id)
{
    pc->id = id;
    pc->apic_id = id < hyp_core.nr_pcpus ? hyp_core.apic_id[id] : HYP_INVALID;
    pc->online = id < hyp_core.nr_pcpus;
    pc->offline_pending = false;
    pc->migrate_scan = false;
    pc->preempt = false;
    pc->softirq_pending = 0;
    pc->in_irq = 0;
    spin_lock_init(&pc->sched_lock);
    pc->curr = pc->ctx = pc->vmcs_loaded = HYP_INVALID;
    pc->rq_head = pc->rq_tail = HYP_INVALID;
    pc->rq_len = 0;
    pc->slice_end = 0;
    pc->tasklet_work = 0;
    pc->steal_inflight = false;
    pc->ppi.pending = pc->ppi.active = false;
    pc->next_tick = 0;
    spin_lock_init_observed(&pc->pi_block_lock, HYP_LOCK_BLOCKING_LIST, id);
    pc->pi_block_head = HYP_INVALID;
    pc->pi_block_len = 0;
    for (uint32_t v = 0; v < 256; v++)
        pc->vec_binding[v] = BINDING_NONE;
}

static bool is_pow2(uint32_t x) { return x != 0 && (x & (x - 1)) == 0; }

int hyp_init(const struct hyp_config *cfg)
{
    if (cfg == NULL || cfg->nr_pcpus == 0 || cfg->nr_pcpus > HYP_MAX_PCPUS)
        return HYP_EINVAL;
    if (cfg->irq_mode > HYP_IRQ_VTD_PI || !is_pow2(cfg->irt_entries) ||
        (cfg->irt_pa & 0xFFFu) != 0 || (cfg->iq_status_pa & 3u) != 0)
        return HYP_EINVAL;
    uint8_t vecs[4] = {cfg->notification_vector, cfg->wakeup_vector, cfg->timer_vector,
                       cfg->control_vector};
    for (uint32_t i = 0; i < 4; i++) {
        if (vecs[i] < 32)
            return HYP_EINVAL; /* 0-31 are exceptions */
        for (uint32_t j = 0; j < i; j++)
            if (vecs[i] == vecs[j])
                return HYP_EINVAL;
    }
    if (cfg->device_vector_base < 32)
        return HYP_EINVAL;
    if (cfg->x2apic && cfg->irq_mode != HYP_IRQ_EMULATED &&
        (cfg->msr_bitmap_pa == 0 || (cfg->msr_bitmap_pa & 0xFFFu) != 0))
        return HYP_EINVAL; /* x2APIC virtualization needs the MSR bitmap */
    if (cfg->percpu_vector != 0) {
        /* the per-pCPU source's host vector: a vector of its own */
        if (cfg->percpu_vector < 32 || (cfg->percpu_status_pa & 7u) != 0)
            return HYP_EINVAL;
        for (uint32_t i = 0; i < 4; i++)
            if (cfg->percpu_vector == vecs[i])
                return HYP_EINVAL;
    }

    hyp_core.initialized = false;
    hyp_core.nr_pcpus = cfg->nr_pcpus;
    for (uint32_t c = 0; c < HYP_MAX_PCPUS; c++)
        hyp_core.apic_id[c] = c < cfg->nr_pcpus ? cfg->apic_id[c] : HYP_INVALID;
    hyp_core.x2apic = cfg->x2apic;
    hyp_core.irq_mode = cfg->irq_mode;
    hyp_core.time_slice = cfg->time_slice;
    hyp_core.tick_period = cfg->tick_period;
    hyp_core.notification_vector = cfg->notification_vector;
    hyp_core.wakeup_vector = cfg->wakeup_vector;
    hyp_core.timer_vector = cfg->timer_vector;
    hyp_core.control_vector = cfg->control_vector;
    hyp_core.device_vector_base = cfg->device_vector_base;
    hyp_core.irt_pa = cfg->irt_pa;
    hyp_core.irt_entries = cfg->irt_entries;
    hyp_core.iq_status_pa = cfg->iq_status_pa;
    hyp_core.percpu_vector = cfg->percpu_vector;
    hyp_core.percpu_status_pa = cfg->percpu_status_pa;
    hyp_core.msr_bitmap_pa = cfg->msr_bitmap_pa;
    if (cfg->x2apic && cfg->irq_mode != HYP_IRQ_EMULATED)
        msr_bitmap_setup();

    for (uint32_t c = 0; c < HYP_MAX_PCPUS; c++)
        pcpu_reset(&hyp_core.pcpu[c], c);
    for (uint32_t i = 0; i < HYP_MAX_VCPUS; i++)
        vcpu_reset(&hyp_core.vcpu[i], i);
    hyp_core.nr_vcpus = 0;
    hyp_core.nr_balanceable = 0;
    for (uint32_t d = 0; d < HYP_MAX_DOMAINS; d++) {
        hyp_core.dom[d].used = false;
        hyp_core.dom[d].nr_vcpus = 0;
        hyp_core.dom[d].nr_devices = 0;
        hyp_core.dom[d].pi_hooks = 0;
        hyp_core.dom[d].percpu_gvec = 0;
    }
    spin_lock_init(&hyp_core.irt_lock);
    for (uint32_t i = 0; i < HYP_MAX_DEVICES; i++) {
        hyp_core.dev[i].used = false;
        hyp_core.dev[i].rid = HYP_INVALID;
        hyp_core.dev[i].domid = HYP_INVALID;
    }
    for (uint32_t i = 0; i < HYP_MAX_IRTES; i++) {
        hyp_core.msi[i].used = false;
        hyp_core.msi[i].hcpu = HYP_INVALID;
        hyp_core.msi[i].hvec = 0;
    }
    hyp_core.msi_used = 0;
    hyp_core.iq_seq = 0;
    sched_init();
    hyp_core.initialized = true;
    return 0;
}

int hyp_domain_create(uint32_t domid)
{
    if (!hyp_core.initialized || domid >= HYP_MAX_DOMAINS)
        return HYP_EINVAL;
    if (hyp_core.dom[domid].used)
        return HYP_EEXIST;
    hyp_core.dom[domid].used = true;
    hyp_core.dom[domid].nr_vcpus = 0;
    hyp_core.dom[domid].nr_devices = 0;
    hyp_core.dom[domid].pi_hooks = 0;
    hyp_core.dom[domid].percpu_gvec = 0;
    return 0;
}

int hyp_vcpu_create(uint32_t domid, uint32_t pcpu, const struct hyp_vcpu_storage *st)
{
    if (!hyp_core.initialized || domid >= HYP_MAX_DOMAINS || !hyp_core.dom[domid].used ||
        pcpu >= hyp_core.nr_pcpus || st == NULL)
        return HYP_EINVAL;
    if ((st->pid_pa & 63u) != 0 || (st->vmcs_pa & 0xFFFu) != 0 || (st->vapic_pa & 0xFFFu) != 0)
        return HYP_EINVAL;
    struct domain *d = &hyp_core.dom[domid];
    if (hyp_core.nr_vcpus >= HYP_MAX_VCPUS || d->nr_vcpus >= HYP_MAX_DOMAIN_VCPUS)
        return HYP_ENOSPC;
    uint32_t id = hyp_core.nr_vcpus;
    struct vcpu *v = &hyp_core.vcpu[id];
    vcpu_reset(v, id);
    v->domid = domid;
    v->vidx = d->nr_vcpus;
    v->processor = pcpu;
    v->affinity = pcpu;
    v->affinity_mask = 1ull << pcpu;
    v->vmcs_pa = st->vmcs_pa;
    v->vapic_pa = st->vapic_pa;
    v->pid_pa = st->pid_pa;
    pid_init(v->pid_pa, pcpu);
    d->vcpu[d->nr_vcpus++] = id;
    v->used = true;
    hyp_core.nr_vcpus = id + 1;
    return (int)id;
}
