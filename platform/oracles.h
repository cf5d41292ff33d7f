// platform/oracles.h - invariant oracles checked during every run, from the
// event stream alone [SDM vol. 3C 29.6, 10.6, 10.8; VTD 5.1, 5.2, 6.5.2.7,
// 9.10, 9.11; Xen docs/misc/vtd-pi.txt].
//
// Interrupt obligations. Every interrupt is followed from where the hardware
// sees it start, in every irq mode; the hypervisor's own records (hyp.*) may
// explain a violation but never start or close an obligation:
//  - a device's MSI write (nic.msi_write) of an MSI-X entry bound to a vCPU
//    and guest vector (while a reprogram_irte of the entry is in flight, the
//    old and the new binding both count, until VT-d's post names one); a write
//    of an unbound entry (a hostile device's forged message) is aimed at the
//    binding of the entry the hypervisor programmed that message for, if
//    any, else where VT-d posts it (vtd.post). A host-owned device's write is aimed at its
//    host vector on the pCPU its binding names;
//  - a guest's write of ICR or SELF IPI (guest.ipi, recorded by the CPU model
//    at the write whether it is virtualized or exits): fixed delivery mode,
//    vector >= 16 (0-15 is an illegal vector the APIC drops [SDM 10.5.3]),
//    to the vCPU of the sender's domain whose guest APIC ID (= vCPU index) is
//    the destination, or by shorthand (self, all, all but self), or to all
//    for the broadcast ID (0xFF xAPIC, 0xFFFFFFFF x2APIC) [SDM 10.6.1,
//    10.6.2.1, 10.12.9]; a destination that names no vCPU reaches nobody;
//  - a control-domain virtual IPI: the scenario's `ipi` request
//    (scenario.event carrying target and vector);
//  - a per-pCPU source firing (percpu.fire sets its status word): it is
//    aimed at the vCPU whose VMCS is current on that pCPU (cpu.vmcs) when
//    software reads-and-clears the status word (percpu.status 1 -> 0), as
//    the domain's per-pCPU guest vector. Drops the hardware view allows
//    (hyp/src/percpu_virq.c): no VMCS current at the read (no resident
//    context), or the domain has no per-pCPU vector; firings before one read
//    are one (the status word is one bit);
//  - a local APIC timer aimed at a guest: none exists (the guests have no
//    timer; the LAPIC timer is the hypervisor's tick).
// Not interrupts, so no obligation: a masked MSI-X entry (the device writes
// nothing; it sets its pending bit and writes when unmasked), a request VT-d
// blocks (vtd.fault of the write's tag: discharged). A remapped (host
// vector) interrupt still on its way through the hypervisor when its device's
// deassignment completes is no longer owed but still counts as raised: the
// deassignment may drop it or deliver it (a posted one is already in its
// vCPU's PIR and must still be delivered).
//
//  lost_interrupt     each obligation reaches the guest ISR (guest.isr_begin)
//                     of a vCPU and vector it is aimed at before that vCPU
//                     has run `delivery_bound` cycles in the guest (VMX
//                     non-root) since the origin; a host device's reaches
//                     apic.dispatch of its host vector on its pCPU within
//                     `delivery_bound` cycles; a per-pCPU firing is read by
//                     software within `delivery_bound` cycles. Coalescing: a
//                     guest ISR of (vCPU, vector) that begins after an
//                     interrupt's origin discharges it together with every
//                     other one of that vCPU and vector still open - the
//                     hardware keeps one IRR/PIR/VIRR bit per vector and
//                     delivers pending requests of one vector once, and the
//                     handler, entered after the interrupt was raised, sees
//                     its cause;
//  spurious_interrupt per (vCPU, vector) the guest ISR entries never
//                     outnumber the obligations aimed at it raised so far
//                     (per host pCPU and host vector of a host device: its
//                     dispatches): an interrupt is never delivered twice,
//                     nor to a vCPU it was not aimed at. Coalescing only
//                     makes ISRs fewer;
//  wakeup             a vCPU halted by an HLT exit (cpu.vm_exit 12) with an
//                     obligation aimed only at it open is VM-entered again
//                     before some pCPU it may run on (its hard affinity) has
//                     been idle (cpu.mode 3, online) for `wakeup_bound`
//                     cycles in all since the later of the HLT exit and the
//                     origin. While every pCPU it may run on is busy the wait
//                     is the scheduler's choice (time slices, boost), not a
//                     lost wakeup; an idle pCPU beside a woken vCPU is one;
//  descriptor_state   at every VM entry (vtd-pi): NV = notification vector,
//                     SN = 0, NDST = this pCPU, the vCPU on no blocking list;
//                     and no other vCPU's PID that a posted IRTE names has
//                     NDST = this pCPU, NV = notification vector, ON = 0 and
//                     SN = 0 (a vCPU switched out suppresses notifications
//                     [VTD 9.12; Xen vmx_pi_switch_from]);
//                     at every post to a blocked vCPU: on exactly the blocking
//                     list of pCPU NDST with NV = wakeup vector;
//  isolation          a device's interrupt passes VT-d (posted, or remapped for
//                     the hypervisor to deliver) only to a vCPU of the
//                     domain the device is assigned to;
//  blocking_list      no double add, no removal of an absent entry;
//  ndst_online        whenever VT-d's next post would notify through a PID -
//                     a present posted-format IRTE names it, its ON is 0, and
//                     its SN is 0 or that IRTE is urgent [VTD 5.2.3: the post
//                     notifies when ON was 0 and (URG = 1 or SN = 0)] - its
//                     NDST names an online pCPU, while the vCPU is blocked
//                     or in the guest (any other vCPU's next VM entry
//                     rewrites NDST and looks at ON and PIR, so a
//                     notification to nowhere loses nothing).
//                     (cpu-pi: the CPU and software posting never read NDST;
//                     the software notification goes to the vCPU's pCPU);
//  offline_pcpu       a pCPU is offline from its first halt (cpu.mode 3) with
//                     no VMCS current after the hypervisor accepted its offline
//                     request (its blocking list and vCPUs are handed over by
//                     then) until the hypervisor accepts its online request.
//                     Meanwhile its local APIC accepts no interrupt and it
//                     runs no hypervisor handler and no guest, except its own
//                     per-pCPU source's vector and handler (a source private
//                     to the pCPU that keeps firing; the firing is dropped
//                     there: no context is resident);
//  stranded_pir       (posting modes, where the CPU processes PIR) at a VM
//                     entry with ON = 0, no PIR bit is set that was
//                     already set with ON = 0 at the vCPU's previous VM entry
//                     and never cleared since, unless a notification-vector
//                     interrupt is on its way to or pending at this pCPU's
//                     local APIC (posted-interrupt processing takes the whole
//                     PIR when it arrives): VM entry does not read the PID
//                     [SDM 29.6], so a PIR bit with ON clear must be picked up
//                     by the first entry pass after it appears (the core's
//                     self-notification, pi_vm_entry_check.c);
//  list_agreement     at every release of a blocking-list lock
//                     (hyp.lock_release), each vCPU that critical section put
//                     on or took off a list agrees with its PID and state:
//                     listed on pCPU c's list => NDST names c, NV = wakeup
//                     vector, SN = 0; on no list => not blocked while its
//                     domain's hooks are active (a device assigned, vtd-pi:
//                     from the assignment's completion to the last
//                     deassignment's request); and when a vCPU becomes blocked
//                     with the hooks active it is on exactly the list NDST
//                     names (if it is on none then, because a wakeup handler
//                     unlinked it between its block path's list add and its
//                     state change, it is on one, or no longer blocked, when
//                     its pCPU schedules away from it: hyp.schedule). A woken
//                     vCPU may stay listed until its VM entry takes it off
//                     (Xen vmx_pi_do_resume; descriptor_state checks that
//                     entry);
//  torn_irte          an IRTE VT-d reads from memory (IEC miss) with P = 1
//                     never mixes halves from two software updates, an update
//                     being the writes to the entry between two IEC
//                     invalidations that cover it [VTD 6.5.2.7]: software
//                     replaces a live entry with one 128-bit write and then
//                     invalidates [Linux drivers/iommu/intel/irq_remapping.c
//                     modify_irte];
//  hlt_resume         a vCPU halted by an HLT exit (cpu.vm_exit 12) runs on
//                     past its HLT only after taking an interrupt: once
//                     VM-entered again, its first guest ISR (guest.isr_begin)
//                     comes before its next guest op (guest.op) and before
//                     another HLT exit. HLT ends on an interrupt, NMI, SMI,
//                     INIT or reset [SDM vol. 2A, HLT], none of which but the
//                     interrupt the guest can be sent here; a hypervisor that
//                     wakes a halted vCPU must look again for a pending
//                     interrupt and block it again when there is none [Linux
//                     virt/kvm/kvm_main.c kvm_vcpu_block / kvm_vcpu_check_block].
//                     A scenario's own `block` (its HLT) and `wake` (of that
//                     vCPU) are exempt: a wake the scenario asks for is an
//                     event the guest waits for. The hypervisor answers a
//                     wake request later (its control interrupt), maybe
//                     after a later HLT: each request exempts one resume
//                     after it;
//  hyp_assertion      no HYP_ASSERT of the core fails (added by the machine).
//
// Each violation carries its cycle and the last events of the vCPU involved.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "model/common/trace.h"

namespace pisim {

struct OracleConfig {
    std::string irq_mode = "vtd-pi";       ///< emulated | apicv | cpu-pi | vtd-pi
    bool x2apic = true;                    ///< NDST format
    std::uint8_t notification_vector = 0;
    std::uint8_t wakeup_vector = 0;
    std::uint8_t percpu_vector = 0;        ///< host vector of the per-pCPU source, 0 none
    std::vector<std::uint32_t> apic_ids;   ///< by pCPU
    std::uint64_t delivery_bound = 0;      ///< cycles
    std::uint64_t wakeup_bound = 0;        ///< cycles
    /// Hard affinity of each vCPU at the start (bit c = pCPU c), by global
    /// vCPU number; a `pin` scenario event (scenario.event op pin) replaces it.
    std::vector<std::uint64_t> affinity;
    /// Names for the event histories of violations: each vCPU's by global
    /// number ("d1v0"), each device's by requester ID ("nic0").
    std::vector<std::string> vcpu_names;
    std::map<std::uint32_t, std::string> device_names;
};

struct Violation {
    /// Core cycle at which the violated condition arose (a missed deadline's
    /// cycle, else the cycle of the event that broke the invariant).
    std::uint64_t cycle = 0;
    /// Core cycle of the event at which the oracle detected it (>= cycle; the
    /// trace's oracle.violation event is at this cycle).
    std::uint64_t detected_cycle = 0;
    std::string oracle;   ///< one of the names above
    int vcpu = -1;
    std::string message;
    std::vector<std::string> history;  ///< the events that led to it, oldest first
    std::size_t event_index = 0;       ///< index in the event stream
};

/// All oracle names, for scenario validation (inline: the scenario loader
/// links without the oracles).
inline const std::vector<std::string>& oracle_names() {
    static const std::vector<std::string> n = {"lost_interrupt", "spurious_interrupt", "wakeup",
                                               "descriptor_state", "isolation", "blocking_list",
                                               "ndst_online", "offline_pcpu", "stranded_pir",
                                               "list_agreement", "torn_irte", "hlt_resume",
                                               "hyp_assertion"};
    return n;
}

class Oracles {
public:
    explicit Oracles(OracleConfig cfg);

    /// Register vCPU `vcpu` of domain `domain` with its PID address; vCPUs
    /// of a domain are registered in index order (index = guest APIC ID).
    void add_vcpu(int vcpu, std::uint32_t domain, std::uint64_t pid);
    /// Device `rid`'s (de)assignment completed: assigned to `domain`, or,
    /// with -1, to none.
    void assign_device(std::uint32_t rid, int domain);
    /// Device `rid`'s deassignment was requested (the hooks may go now).
    void deassign_requested(std::uint32_t rid);
    /// The oldest deassignment request of device `rid` was answered (done
    /// or refused).
    void deassign_answered(std::uint32_t rid);
    /// The vCPU and guest vector a device MSI-X entry is bound to (the
    /// binding took effect: it replaces every earlier one), and the MSI
    /// message the hypervisor programmed for it (address 0: not known).
    void bind(std::uint32_t rid, std::uint32_t index, int vcpu, std::uint8_t vector, std::uint64_t address = 0,
              std::uint32_t data = 0);
    /// A reprogramming of the entry to (vcpu, vector) was requested: until it
    /// takes effect (bind), the entry's interrupts may reach either target.
    void rebinding(std::uint32_t rid, std::uint32_t index, int vcpu, std::uint8_t vector);
    /// A host-owned device's MSI-X entry: host vector `vector` on pCPU `pcpu`.
    void bind_host(std::uint32_t rid, std::uint32_t index, std::uint32_t pcpu, std::uint8_t vector,
                   std::uint32_t irte = ~0u);
    /// Domain `domain`'s per-pCPU guest vector took effect (0: none).
    void set_percpu_vector(std::uint32_t domain, std::uint8_t vector);
    /// The hypervisor accepted an offline (online = false) or online request
    /// of `pcpu` at `cycle`.
    void pcpu_hotplug(std::uint32_t pcpu, bool online, std::uint64_t cycle);

    void on_event(const Event& e);
    /// Check the deadlines still open at the end of the run.
    void finish(std::uint64_t end_cycle);

    const std::vector<Violation>& violations() const { return violations_; }
    /// The hypervisor's state of vCPU `vcpu` as the event stream last showed
    /// it (enum hyp_vcpu_state; 0 offline before any event).
    std::uint32_t vcpu_state(int vcpu) const {
        auto it = vcpus_.find(vcpu);
        return it == vcpus_.end() ? 0 : it->second.state;
    }
    /// A violation found outside the event stream (a failed hyp assertion).
    void add(Violation v) { violations_.push_back(std::move(v)); }

private:
    static constexpr std::size_t kHistory = 12;  ///< events kept per vCPU for a violation's report
    struct VcpuView {
        std::uint32_t domain = 0;
        std::uint32_t index = 0;     ///< in its domain = guest APIC ID
        std::uint64_t pid = 0;
        std::uint64_t control = 0;   ///< PID control word (ON, SN, NV, NDST)
        std::array<std::uint64_t, 4> pir{};       ///< PID PIR words
        std::array<std::uint64_t, 4> stranded{};  ///< PIR bits seen with ON = 0 at the last VM entry
        std::array<std::uint64_t, 4> sw_posting{};  ///< PIR bits software set, its post not done (ON not yet set)
        std::uint32_t state = 0;     ///< enum hyp_vcpu_state
        std::set<std::uint32_t> lists;  ///< blocking lists it is on
        /// The last kHistory events concerning it (a ring, oldest at
        /// history_head), formatted only when a violation reports them.
        std::array<Event, kHistory> history{};
        std::size_t history_head = 0, history_len = 0;
        std::uint64_t in_guest_since = 0;  ///< VM entry cycle while in the guest
        std::uint64_t on_since = 0;  ///< event number (seq_) at which ON last went from 0 to 1
        bool in_guest = false;
        bool halted = false;               ///< HLT exit, not VM-entered since
        bool hlt_armed = false;            ///< hlt_resume: HLT exit, no guest ISR since
        bool hlt_entered = false;          ///< hlt_resume: VM-entered since that HLT exit
        bool block_requested = false;      ///< a scenario `block` asked for its next HLT
        bool block_unlisted = false;       ///< list_agreement: became blocked on no list, not yet scheduled away
        std::uint32_t wakes_requested = 0; ///< scenario `wake`s that may still end an HLT (each one)
        std::uint8_t tpr = 0;              ///< the guest's last TPR write (guest.op tpr)
        std::vector<std::uint8_t> in_service;  ///< vectors whose guest ISR runs (guest.isr_begin/end), nested
        std::uint64_t halted_since = 0;
        std::uint64_t wake_deadline = 0;   ///< 0 = none (not waiting, or no pCPU it may run on idle)
        bool waiting = false;              ///< halted with an obligation aimed only at it: owed a VM entry
        std::uint64_t wake_from = 0;       ///< cycle the wait was armed (its interrupts are owed)
        std::uint64_t idle_time = 0;       ///< cycles some pCPU of its affinity was idle while it waited
        std::uint64_t idle_since = 0;      ///< while one is idle: since when
        std::uint64_t affinity = ~0ull;    ///< pCPUs it may run on
    };
    enum class Source : std::uint8_t { Device, HostDevice, GuestIpi, ControlIpi, Percpu };
    struct Target {  ///< a (vCPU, vector) an obligation may be delivered to; host: (pCPU, vector)
        int unit;
        std::uint8_t vector;
        std::uint64_t guest_time = 0;  ///< cycles the vCPU spent in the guest, able to take it, since the origin
        std::uint64_t deadline = 0;    ///< while the vCPU can take it in the guest: when the bound runs out
        bool expired = false;          ///< the bound ran out
        std::uint64_t since = 0;       ///< while the clock runs (deadline set): when it started
    };
    struct Obligation {  ///< an interrupt raised, not yet delivered
        Source source;
        std::uint64_t origin;          ///< cycle the hardware saw it start
        std::uint64_t tag = 0;         ///< device interrupts
        std::uint32_t rid = 0, index = 0;  ///< device, MSI-X entry
        int from = -1;                 ///< sending vCPU (guest IPI) or pCPU (per-pCPU source)
        bool host = false;             ///< host device: targets are (pCPU, host vector)
        bool remapped = false;         ///< VT-d remapped it to a host vector
        bool accepted = false;         ///< host device: a local APIC accepted it (it is in that IRR)
        std::uint64_t host_deadline = 0;
        std::vector<Target> targets;
    };
    struct Counts {
        std::uint64_t raised = 0, delivered = 0;
    };
    struct IrteState {
        std::uint64_t lo = 0, hi = 0;
        std::int64_t half_update[2] = {-1, -1};  ///< update that last wrote each half (-1: never)
        std::int64_t update = 0;                 ///< the entry's current update (IEC invalidations)
        std::uint64_t posted_pid = 0;            ///< present posted format: the PID it names
        bool urgent = false;
    };

    void violate(const Event& e, const std::string& oracle, int vcpu, const std::string& msg);
    void remember(int vcpu, const Event& e);
    void check_deadlines(std::uint64_t now, const Event* at);
    void accept_host(const Event& e);
    void note_deadline(std::uint64_t d) {
        if (d && d < next_deadline_) next_deadline_ = d;
    }
    std::uint32_t ndst_of(std::uint64_t control) const;
    int pcpu_of_apic(std::uint32_t apic) const;
    bool hooks_active(std::uint32_t domain) const;
    std::string describe_obligation(const Obligation& o) const;
    std::string describe(const Event& e) const;

    // obligations
    void raise(const Event& e, Obligation o);
    void start_clock(Obligation& o, Target& t, std::uint64_t now);
    void discharge(std::size_t i);
    void deliver_guest(const Event& e, int vcpu, std::uint8_t vector);
    void deliver_host(const Event& e, std::uint32_t pcpu, std::uint8_t vector);
    void arm_wakeup(int vcpu, std::uint64_t from);
    /// True when obligation `o` owes vCPU `vcpu` a wake-up: aimed only at it,
    /// and of a priority class above the guest's own TPR (an interrupt the
    /// guest masked with its TPR is not deliverable while it is halted, SDM
    /// 10.8.3.1: PPR >= TPR, and the guest cannot lower TPR while halted).
    bool owes_wakeup(const Obligation& o, int vcpu) const;
    /// True while vCPU `v` cannot take `vector` for reasons of its own: an ISR
    /// of the same or a higher priority class runs, or its TPR masks the class
    /// (SDM 10.8.3.1: a vector is delivered only above PPR, PPR >= TPR and the
    /// class in service). Starvation by higher-priority interrupts is the
    /// APIC's rule, not a lost interrupt: the delivery clock stops meanwhile.
    bool guest_masks(const VcpuView& v, std::uint8_t vector) const;
    /// Stop target `t`'s delivery clock at `now`, keeping the time counted.
    void stop_clock(Target& t, std::uint64_t now);
    /// Stop or start the clocks of every guest target of `vcpu` after a
    /// change of what it can take (ISR begin/end, TPR write).
    void refresh_clocks(int vcpu, std::uint64_t now);
    /// Re-time vCPU `vcpu`'s wakeup deadline at `now` after a change of the
    /// idle pCPUs, its affinity or the offline set.
    void retime_wakeup(VcpuView& v, std::uint64_t now);
    bool affinity_idle(const VcpuView& v) const;
    void on_device_write(const Event& e);
    void on_vtd_post(const Event& e);
    void on_vtd_remap(const Event& e);
    void on_guest_ipi(const Event& e);
    void on_percpu_status(const Event& e);
    // the other invariants
    void on_vm_entry(const Event& e);
    void on_vm_exit(const Event& e);
    void check_hlt_resume(const Event& e, int vcpu, const char* what);
    void check_switched_out_sn(const Event& e, int running, std::uint32_t apic_id);
    bool pid_posted(std::uint64_t pid, bool* urgent) const;
    void check_ndst(const Event& e, int vcpu);
    void check_list_agreement(const Event& e, int vcpu);
    void on_irte_update(const Event& e);
    void on_iec_invalidate(const Event& e);
    void on_irte_fetch(const Event& e);

    OracleConfig cfg_;
    bool vtd_pi_ = false;
    bool posting_ = false;  ///< vtd-pi or cpu-pi: posted-interrupt processing
    std::map<int, VcpuView> vcpus_;
    std::map<std::uint32_t, std::vector<int>> domain_vcpus_;  ///< by index
    std::map<std::uint64_t, int> pid_owner_;
    std::map<std::uint32_t, int> device_domain_;
    /// Deassignments requested and not yet completed, per device (requests
    /// queue up: each completion answers the oldest).
    std::map<std::uint32_t, unsigned> deassigning_;
    /// IRTE index (the handle of the programmed message) -> host binding
    /// (requester ID, MSI-X entry): a pCPU going offline re-aims it.
    std::map<std::uint32_t, std::pair<std::uint32_t, std::uint32_t>> host_irte_;
    std::vector<bool> idle_;  ///< by pCPU: in root-mode HLT (cpu.mode 3)
    std::map<std::uint32_t, std::uint8_t> percpu_gvec_;  ///< by domain
    std::map<std::pair<std::uint32_t, std::uint32_t>, std::pair<int, std::uint8_t>> bindings_;
    /// Programmed MSI message (address, data) -> the entry it was programmed for.
    std::map<std::pair<std::uint64_t, std::uint32_t>, std::pair<std::uint32_t, std::uint32_t>> messages_;
    std::map<std::pair<std::uint32_t, std::uint32_t>, std::vector<std::pair<int, std::uint8_t>>> rebinding_;
    std::map<std::pair<std::uint32_t, std::uint32_t>, std::pair<std::uint32_t, std::uint8_t>> host_bindings_;
    /// A host entry re-aimed and not yet invalidated in the interrupt-entry
    /// cache: VT-d may still remap with its cached copy [VTD 6.5.2.7], so a
    /// write may reach this earlier (pCPU, vector) too. By (device, entry).
    std::map<std::pair<std::uint32_t, std::uint32_t>, std::pair<std::uint32_t, std::uint8_t>> host_stale_;
    /// Interrupts between the device's write and the post/remap: tag ->
    /// (requester ID, MSI-X entry).
    std::unordered_map<std::uint64_t, std::pair<std::uint32_t, std::uint32_t>> tag_msi_;
    std::vector<Obligation> open_;
    std::map<std::pair<int, std::uint8_t>, Counts> guest_counts_;
    std::map<std::pair<int, std::uint8_t>, Counts> host_counts_;
    // per pCPU
    std::vector<int> current_vmcs_;              ///< vCPU whose VMCS is current, -1 none
    std::vector<std::uint64_t> percpu_pending_;  ///< status word set since (0 = clear)
    std::vector<bool> offline_requested_, offline_;
    std::vector<std::uint32_t> nv_inflight_;  ///< notification-vector messages sent to it, not yet accepted
    std::vector<bool> nv_pending_;            ///< notification vector in its IRR
    std::vector<bool> guest_mode_;            ///< in VMX non-root operation (cpu.mode 1)
    std::vector<std::uint64_t> nv_root_taken_;  ///< event number (seq_) of its last notification vector dispatched in root mode
    std::uint64_t seq_ = 0;                   ///< events numbered in the order the oracles see them
    void on_apic_send(const Event& e);
    std::map<std::uint32_t, std::set<int>> touched_;  ///< by blocking list: vCPUs added/removed since its last release
    std::map<std::uint32_t, IrteState> irtes_;
    std::vector<Violation> violations_;
    std::size_t events_ = 0;
    std::uint64_t detect_cycle_ = 0;  ///< cycle of the event (or end) being judged
    std::uint64_t next_deadline_ = ~0ull;
};

}  // namespace pisim
