/*
 * pi_switch_from.c - PID update when a vCPU is context-switched away
 * (preempted or put to sleep) [Xen vmx_pi_switch_from; Feng Wu, xen-devel,
 * "vmx: VT-d posted-interrupt core logic handling", Feb 2016].
 * SN := 1, so VT-d posts set PIR only and disturb nobody. A blocked vCPU is
 * left alone: its NV is the wakeup vector and its notifications must still
 * reach the pCPU holding it on the blocking list.
 * Not called on lazy switches (that patch leaves SN alone on them).
 */
#include "hyp_core.h"
#include "pi.h"
#include "pid.h"

void pi_switch_from(struct vcpu *v)
{
    if (!pi_desc_managed(v))
        return;
    if (vcpu_state(v) == HYP_VCPU_BLOCKED)
        return;
    pid_set_sn(v->pid_pa); /* its PIR is looked at when it is switched in (pi_switch_to) */
}
