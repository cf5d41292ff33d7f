/*
 * pi.h - the hypervisor's posted-interrupt lifecycle [Xen
 * xen/arch/x86/hvm/vmx/vmx.c, docs/misc/vtd-pi.txt; Feng Wu, xen-devel,
 * "vmx: VT-d posted-interrupt core logic handling", Feb 2016 (Xen commit
 * 4b759ce163); Xen commit b151125b4d (Quan Xu, Chao Gao, Mar 2017),
 * "x86/apicv: fix wrong IPI suppression during posted interrupt delivery";
 * Linux arch/x86/kvm/vmx/posted_intr.c]. One function per file, named after it.
 *
 * Who calls what:
 *  - pi_switch_from / pi_switch_to: full context switch (sched.c), never on a
 *    lazy switch (tasklet in idle context, idle after a block or offline).
 *  - pi_vcpu_block: HLT exit path, after the vCPU is marked blocked.
 *  - pi_do_resume, pi_sync_pir_to_irr: interrupt assist of the VM-entry
 *    path, IF=1 (virq_intr_assist);
 *  - pi_vm_entry_check: VM-entry path with IF=0, last step before VM entry.
 *  - pi_wakeup_handler / pi_notification_handler: root-mode interrupt handlers.
 *  - vcpu_kick: after software posting (pi_deliver_posted_intr).
 *  - pi_hooks_assign / pi_hooks_deassign: device (de)assignment.
 *  - pi_pcpu_offline_move: pCPU going offline, after its vCPUs moved away.
 */
#ifndef HYP_SRC_PI_H
#define HYP_SRC_PI_H

#include <stdbool.h>
#include <stdint.h>

/* Internal symbols: hidden, so the shared object exports only hyp.h and
 * -fPIC code reaches hyp data without the GOT. */
#pragma GCC visibility push(hidden)

struct vcpu;
struct domain;

/* true in vtd-pi mode: SN/NDST/NV of v's PID follow Xen's vtd-pi.txt at VM entry. */
bool pi_desc_managed(const struct vcpu *v);
/* true when the blocking hooks are installed for v's domain (vtd-pi mode and
 * a device assigned). */
bool pi_hooks_active(const struct vcpu *v);

/* Blocking-list primitives (pi_blocking_list.c). Add is idempotent; del
 * returns false if v was on no list. */
bool pi_blocking_list_add(struct vcpu *v, uint32_t cpu);
void pi_blocking_list_barrier(void);
bool pi_blocking_list_del(struct vcpu *v);
/* Unlink v from the list of `cpu`; the caller holds that list's lock. */
void pi_blocking_list_unlink_locked(struct vcpu *v, uint32_t cpu);

void pi_switch_from(struct vcpu *v);
void pi_switch_to(struct vcpu *v);
/* Returns true if an event arrived meanwhile (ON set or PIR non-empty): the
 * caller must unblock. */
bool pi_vcpu_block(struct vcpu *v);
void pi_do_resume(struct vcpu *v);
void pi_sync_pir_to_irr(struct vcpu *v);
void pi_vm_entry_check(struct vcpu *v);
void pi_wakeup_handler(void);
void pi_notification_handler(void);
void vcpu_kick(struct vcpu *v);
void pi_deliver_posted_intr(struct vcpu *v, uint8_t vector);
void pi_hooks_assign(struct domain *d);
void pi_hooks_deassign(struct domain *d);
void pi_pcpu_offline_move(uint32_t from_cpu);

#pragma GCC visibility pop

#endif /* HYP_SRC_PI_H */
