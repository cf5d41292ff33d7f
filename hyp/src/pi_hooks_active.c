/*
 * pi_hooks_active.c - which parts of the VT-d posted-interrupt lifecycle
 * apply to a vCPU [Xen docs/misc/vtd-pi.txt; Xen vmx_pi_hooks_assign].
 *
 *  - pi_desc_managed: in vtd-pi mode every vCPU's PID follows Xen's vtd-pi.txt while
 *    it runs (NV notification vector, SN 0, NDST its pCPU) and is suppressed
 *    (SN 1) while it is switched out, whether or not its domain has a device.
 *  - pi_hooks_active: the blocking part (NV := wakeup vector, blocking list,
 *    wakeup handler) is installed only while the domain has an assigned
 *    device (pi_hooks_assign / pi_hooks_deassign): only devices post.
 */
#include "hyp_core.h"
#include "pi.h"

bool pi_desc_managed(const struct vcpu *v)
{
    (void)v;
    return hyp_core.irq_mode == HYP_IRQ_VTD_PI;
}

bool pi_hooks_active(const struct vcpu *v)
{
    if (!pi_desc_managed(v))
        return false;
    return hyp_atomic_load_n(&hyp_core.dom[v->domid].pi_hooks, __ATOMIC_SEQ_CST) != 0;
}
