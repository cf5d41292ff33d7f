/*
 * pi_hooks_active.c - are the VT-d posted-interrupt hooks installed for a
 * vCPU's domain? [Xen vmx_pi_hooks_assign: hooks exist only while the domain
 * has an assigned device, and only with VT-d posting.]
 */
#include "hyp_core.h"
#include "pi.h"

bool pi_hooks_active(const struct vcpu *v)
{
    if (hyp_core.irq_mode != HYP_IRQ_VTD_PI)
        return false;
    return __atomic_load_n(&hyp_core.dom[v->domid].pi_hooks, __ATOMIC_ACQUIRE) != 0;
}
