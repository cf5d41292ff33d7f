/*
 * device.c - device assignment (HYP_CTL_ASSIGN_DEVICE / DEASSIGN_DEVICE).
 *
 * The first device of a domain installs the VT-d PI hooks, the last one
 * removes them (pi_hooks_assign / pi_hooks_deassign) [Xen docs/misc/vtd-pi.txt;
 * Xen vmx_pi_hooks_assign/deassign]. A device assigned to HYP_DOMID_HOST is the
 * hypervisor's own: no domain, no hooks. Deassignment first tears down the device's
 * IRTEs, so nothing posts to the domain any more when the hooks go.
 */
#include "hyp_core.h"
#include "pi.h"

struct device *device_find(uint32_t rid)
{
    for (uint32_t i = 0; i < HYP_MAX_DEVICES; i++)
        if (hyp_core.dev[i].used && hyp_core.dev[i].rid == rid)
            return &hyp_core.dev[i];
    return NULL;
}

int device_assign(uint32_t rid, uint32_t domid)
{
    bool host = domid == HYP_DOMID_HOST;
    if ((!host && (domid >= HYP_MAX_DOMAINS || !hyp_core.dom[domid].used)) || rid > 0xFFFFu)
        return HYP_EINVAL;
    struct domain *d = host ? NULL : &hyp_core.dom[domid];
    spin_lock(&hyp_core.irt_lock);
    if (device_find(rid) != NULL) {
        spin_unlock(&hyp_core.irt_lock);
        return HYP_EEXIST;
    }
    struct device *dev = NULL;
    for (uint32_t i = 0; i < HYP_MAX_DEVICES && dev == NULL; i++)
        if (!hyp_core.dev[i].used)
            dev = &hyp_core.dev[i];
    if (dev == NULL) {
        spin_unlock(&hyp_core.irt_lock);
        return HYP_ENOSPC;
    }
    dev->used = true;
    dev->rid = rid;
    dev->domid = domid;
    bool first = !host && ++d->nr_devices == 1;
    spin_unlock(&hyp_core.irt_lock);
    if (first)
        pi_hooks_assign(d);
    return 0;
}

int device_deassign(uint32_t rid)
{
    spin_lock(&hyp_core.irt_lock);
    struct device *dev = device_find(rid);
    if (dev == NULL) {
        spin_unlock(&hyp_core.irt_lock);
        return HYP_ENODEV;
    }
    struct domain *d = dev->domid == HYP_DOMID_HOST ? NULL : &hyp_core.dom[dev->domid];
    irte_unbind_device(rid);
    dev->used = false;
    HYP_ASSERT(d == NULL || d->nr_devices > 0);
    bool last = d != NULL && --d->nr_devices == 0;
    spin_unlock(&hyp_core.irt_lock);
    if (last)
        pi_hooks_deassign(d);
    return 0;
}
