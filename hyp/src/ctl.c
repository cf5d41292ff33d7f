/*
 * ctl.c - control requests (the toolstack / scenario events), fetched by the
 * control-vector handler: EOI, then fetch and execute every request queued
 * for this pCPU, reporting each result with arch_ctl_done (0 or a negative
 * error). Runs in interrupt context (IF=0).
 *
 * Ops (hyp.h enum hyp_ctl_op):
 *  VCPU_UNPAUSE vcpu       offline -> runnable on its pCPU (-EBUSY otherwise)
 *  PREEMPT pcpu            deschedule pcpu's current vCPU at its next schedule
 *  VCPU_WAKE vcpu          wake a blocked vCPU (no-op otherwise)
 *  SET_AFFINITY vcpu,pcpu  pin; the owning pCPU migrates it
 *  PCPU_OFFLINE/ONLINE pcpu (-EBUSY for the last online pCPU)
 *  ASSIGN_DEVICE device,domain / DEASSIGN_DEVICE device
 *  BIND_MSI device,msi_index,vcpu,vector,urgent
 *  TASKLET pcpu,arg        arg cycles of tasklet work in pcpu's idle context
 *  SEND_VIPI vcpu,vcpu2,vector  virtual IPI from vcpu to vcpu2
 *  PERCPU_VIRQ domain,vector   guest vector of the per-pCPU interrupt
 *  SET_AFFINITY_MASK vcpu,arg   hard affinity (bit c = pCPU c); idle pCPUs
 *                          of the mask may pull it (load balancing)
 */
#include "hyp_core.h"

static bool vcpu_valid(uint32_t id)
{
    return id < HYP_MAX_VCPUS && hyp_core.vcpu[id].used;
}

int ctl_execute(const struct hyp_ctl *c)
{
    switch (c->op) {
    case HYP_CTL_VCPU_UNPAUSE:
        return vcpu_valid(c->vcpu) ? vcpu_unpause(&hyp_core.vcpu[c->vcpu]) : HYP_EINVAL;
    case HYP_CTL_PREEMPT:
        return sched_preempt(c->pcpu);
    case HYP_CTL_VCPU_WAKE:
        if (!vcpu_valid(c->vcpu))
            return HYP_EINVAL;
        vcpu_wake_resume(&hyp_core.vcpu[c->vcpu]);
        return 0;
    case HYP_CTL_SET_AFFINITY:
        return vcpu_valid(c->vcpu) ? sched_set_affinity(&hyp_core.vcpu[c->vcpu], c->pcpu)
                                   : HYP_EINVAL;
    case HYP_CTL_PCPU_OFFLINE:
        return sched_pcpu_offline(c->pcpu);
    case HYP_CTL_PCPU_ONLINE:
        return sched_pcpu_online(c->pcpu);
    case HYP_CTL_ASSIGN_DEVICE:
        return device_assign(c->device, c->domain);
    case HYP_CTL_DEASSIGN_DEVICE:
        return device_deassign(c->device);
    case HYP_CTL_BIND_MSI:
        return irte_bind_msi(c);
    case HYP_CTL_TASKLET:
        return sched_tasklet(c->pcpu, c->arg);
    case HYP_CTL_BIND_HOST_MSI:
        return irte_bind_host_msi(c);
    case HYP_CTL_SEND_VIPI:
        if (!vcpu_valid(c->vcpu) || !vcpu_valid(c->vcpu2) || c->vector < 16)
            return HYP_EINVAL;
        hyp_trace(HYP_TR_VIPI, c->vcpu2, c->vector, c->vcpu, 0);
        virq_deliver(&hyp_core.vcpu[c->vcpu2], c->vector);
        return 0;
    case HYP_CTL_PERCPU_VIRQ:
        return percpu_virq_set_vector(c->domain, c->vector);
    case HYP_CTL_SET_AFFINITY_MASK:
        return vcpu_valid(c->vcpu) ? sched_set_affinity_mask(&hyp_core.vcpu[c->vcpu], c->arg)
                                   : HYP_EINVAL;
    default:
        return HYP_EINVAL;
    }
}

void ctl_interrupt(void)
{
    struct pcpu *pc = this_pcpu();
    hyp_trace(HYP_TR_HANDLER_ENTER, HYP_H_CONTROL, hyp_core.control_vector, pc->curr, 0);
    arch_apic_eoi();
    struct hyp_ctl c;
    while (arch_ctl_fetch(&c)) {
        int rc = ctl_execute(&c);
        hyp_trace(HYP_TR_CTL, c.op, c.seq, (uint64_t)(int64_t)rc, 0);
        arch_ctl_done(c.seq, rc);
    }
    hyp_trace(HYP_TR_HANDLER_EXIT, HYP_H_CONTROL, hyp_core.control_vector, pc->curr, 0);
}
