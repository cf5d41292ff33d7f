/*
 * hyp/hyp.h - the hypervisor core's entry points, called by the platform.
 *
 * The platform builds a machine, calls hyp_init() once, creates domains and
 * vCPUs (handing over their storage in machine memory), then starts one
 * thread per pCPU that calls hyp_pcpu_main(). Interrupts taken in root mode
 * enter through hyp_do_irq(). Everything else reaches hyp as a control
 * request (struct hyp_ctl) fetched by the control-vector handler.
 *
 * hyp owns no memory beyond its statically sized tables (HYP_MAX_*): machine
 * memory that devices also touch (PIDs, virtual-APIC pages, VMCS regions,
 * the interrupt-remapping table, the invalidation queue) is handed over.
 */
#ifndef HYP_HYP_H
#define HYP_HYP_H

#include <stdbool.h>
#include <stdint.h>

#ifndef HYP_NORETURN
#ifdef __cplusplus
#define HYP_NORETURN [[noreturn]]
#else
#define HYP_NORETURN _Noreturn
#endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define HYP_MAX_PCPUS 64u
#define HYP_MAX_VCPUS 512u
#define HYP_MAX_DOMAINS 64u
#define HYP_MAX_DEVICES 64u
#define HYP_MAX_IRTES 4096u
#define HYP_INVALID 0xFFFFFFFFu
/* Domain id of the host: a device assigned to it is the hypervisor's own
 * (the dom0 SAS controller of xen-devel, "[Xenhackthon] Virtualized APIC
 * registers - virtual interrupt delivery", 2013), its interrupts handled in
 * root mode. */
#define HYP_DOMID_HOST HYP_MAX_DOMAINS

/* How device interrupts reach guests; one hypervisor, one switch
 * (issue 3 point 4). */
enum hyp_irq_mode {
    HYP_IRQ_EMULATED = 0, /* no APIC virtualization: software vLAPIC, injection */
    HYP_IRQ_APICV = 1,    /* virtual-interrupt delivery, no posting */
    HYP_IRQ_CPU_PI = 2,   /* CPU posted interrupts; VT-d remaps to a host vector */
    HYP_IRQ_VTD_PI = 3,   /* VT-d posted interrupts */
};

/* Machine description and policy, handed over once at hyp_init(). */
struct hyp_config {
    uint32_t nr_pcpus;                   /* 1..HYP_MAX_PCPUS */
    uint32_t apic_id[HYP_MAX_PCPUS];     /* APIC ID of each pCPU */
    bool x2apic;                         /* NDST format: x2APIC (32-bit) or xAPIC */
    enum hyp_irq_mode irq_mode;
    uint64_t time_slice;                 /* cycles a vCPU runs before preemption */
    uint64_t tick_period;                /* scheduler tick, cycles */
    uint8_t notification_vector;         /* posted-interrupt notification vector */
    uint8_t wakeup_vector;               /* VT-d PI wakeup vector */
    uint8_t timer_vector;                /* scheduler tick (LAPIC timer) */
    uint8_t control_vector;              /* control requests (struct hyp_ctl) */
    uint8_t device_vector_base;          /* first host vector for remapped device
                                          * interrupts (non-posting modes) */
    uint64_t irt_pa;                     /* interrupt-remapping table, 16 B/entry */
    uint32_t irt_entries;                /* table size, power of two */
    uint64_t iq_status_pa;               /* 4-byte status word for wait descriptors */
    uint8_t percpu_vector;               /* host vector of the per-pCPU guest
                                          * interrupt source [xen-devel, "Using
                                          * IRQ_GUEST|IRQ_PER_CPU to signal
                                          * "delivery to current vcpu"?"];
                                          * 0 = none */
    uint64_t percpu_status_pa;           /* that source's status words: pCPU i's
                                          * 8-byte word at + 8*i, bit 0 = fired
                                          * since software last read-and-cleared it */
    uint64_t msr_bitmap_pa;              /* 4 KiB MSR bitmap [SDM 24.6.9] shared by
                                          * every vCPU, zero-filled; required (4 KiB
                                          * aligned) with x2APIC in the apicv modes */
};

/* Storage for one vCPU in machine memory, handed over at creation. */
struct hyp_vcpu_storage {
    uint64_t vmcs_pa;   /* 4 KiB VMCS region */
    uint64_t vapic_pa;  /* 4 KiB virtual-APIC page */
    uint64_t pid_pa;    /* 64-byte aligned posted-interrupt descriptor */
};

/* Control requests (the toolstack and the scenario's timed events). */
enum hyp_ctl_op {
    HYP_CTL_NONE = 0,
    HYP_CTL_VCPU_UNPAUSE,     /* vcpu: make runnable for the first time */
    HYP_CTL_PREEMPT,          /* pcpu: deschedule the current vCPU now */
    HYP_CTL_VCPU_WAKE,        /* vcpu: wake a blocked vCPU (event channel) */
    HYP_CTL_SET_AFFINITY,     /* vcpu -> pcpu: pin (migrates if needed) */
    HYP_CTL_PCPU_OFFLINE,     /* pcpu */
    HYP_CTL_PCPU_ONLINE,      /* pcpu */
    HYP_CTL_ASSIGN_DEVICE,    /* device (requester ID) -> domain */
    HYP_CTL_DEASSIGN_DEVICE,  /* device */
    HYP_CTL_BIND_MSI,         /* device's vector -> vcpu, guest vector; see below */
    HYP_CTL_TASKLET,          /* pcpu: queue a tasklet costing arg cycles */
    HYP_CTL_SEND_VIPI,        /* vcpu -> vcpu2, guest vector */
    HYP_CTL_BIND_HOST_MSI,    /* host device's vector -> pcpu, host vector,
                               * arg = handler cost in cycles; see below */
    HYP_CTL_SET_AFFINITY_MASK, /* vcpu: hard affinity, arg bit c = pCPU c */
    HYP_CTL_PERCPU_VIRQ,      /* domain: guest vector of the per-pCPU
                               * interrupt (vector; 0 = not delivered) */
};

struct hyp_ctl {
    uint32_t seq;       /* echoed in arch_ctl_done */
    uint32_t op;        /* enum hyp_ctl_op */
    uint32_t pcpu;
    uint32_t vcpu;
    uint32_t vcpu2;
    uint32_t domain;
    uint32_t device;    /* PCIe requester ID (bus<<8 | dev<<3 | fn) */
    uint32_t msi_index; /* device's MSI-X vector index */
    uint8_t vector;     /* guest vector */
    uint8_t urgent;     /* posted IRTE URG */
    uint64_t arg;
};

/* Called once before anything else. Returns 0 or a negative error. */
int hyp_init(const struct hyp_config *cfg);

/* Create domain `domid` (0..HYP_MAX_DOMAINS-1). */
int hyp_domain_create(uint32_t domid);

/* Create a vCPU of domain `domid`, initially offline (paused) with affinity
 * to pCPU `pcpu`. Returns the vCPU's global id (0..HYP_MAX_VCPUS-1) or a
 * negative error. */
int hyp_vcpu_create(uint32_t domid, uint32_t pcpu, const struct hyp_vcpu_storage *st);

/* HYP_CTL_BIND_HOST_MSI binds (device, msi_index) of a device assigned to
 * HYP_DOMID_HOST to host vector `vector` (32..255, not one of hyp_config's
 * own vectors, free on that pCPU) on pCPU `pcpu`: a remapped IRTE, and a
 * root-mode handler that runs `arg` cycles with IF=1 before its EOI
 * (host_device_irq). Errors: HYP_EINVAL, HYP_ENODEV (not a host device),
 * HYP_EEXIST (vector taken), HYP_ENOSPC (table full). */

/* Result of HYP_CTL_BIND_MSI and HYP_CTL_BIND_HOST_MSI: the message the platform writes into the
 * device's MSI-X table entry (remappable format [VTD 5.1.2.2]). */
struct hyp_msi_msg {
    uint64_t address;
    uint32_t data;
};
/* The message programmed by the last successful HYP_CTL_BIND_MSI for
 * (device, msi_index), or false. */
bool hyp_msi_message(uint32_t device, uint32_t msi_index, struct hyp_msi_msg *out);

/* The body of pCPU `cpu`'s thread: the scheduler loop. Never returns. */
HYP_NORETURN void hyp_pcpu_main(uint32_t cpu);

/* An external interrupt taken in root mode on this pCPU (the IDT entry),
 * entered with IF=0. */
void hyp_do_irq(uint8_t vector);

#ifdef __cplusplus
}
#endif

#endif /* HYP_HYP_H */
