// platform/oracles.h - invariant oracles checked during every run, from the
// event stream alone (issue 5 point 2; SPEC 7; seeds 000, 001):
//
//  lost_interrupt     every posted or remapped interrupt, and every virtual
//                     IPI the hypervisor sends (hyp.vipi), reaches its guest
//                     vector before its vCPU has run `delivery_bound` cycles
//                     in the guest (VMX non-root) after the post;
//  wakeup             a blocked vCPU whose PID receives a post, or that is
//                     sent a virtual IPI, becomes runnable within
//                     `wakeup_bound` cycles;
//  descriptor_state   at every VM entry (vtd-pi): NV = notification vector,
//                     SN = 0, NDST = this pCPU, the vCPU on no blocking list;
//                     at every post to a blocked vCPU: on exactly the blocking
//                     list of pCPU NDST with NV = wakeup vector;
//  isolation          a device's interrupt is posted/delivered only to a vCPU
//                     of the domain the device is assigned to;
//  blocking_list      no double add, no removal of an absent entry.
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
    bool vtd_posting = true;               ///< descriptor_state applies (irq_mode vtd-pi)
    bool x2apic = true;                    ///< NDST format
    std::uint8_t notification_vector = 0;
    std::uint8_t wakeup_vector = 0;
    std::vector<std::uint32_t> apic_ids;   ///< by pCPU
    std::uint64_t delivery_bound = 0;      ///< cycles
    std::uint64_t wakeup_bound = 0;        ///< cycles
};

struct Violation {
    std::uint64_t cycle = 0;
    std::string oracle;   ///< one of the names above
    int vcpu = -1;
    std::string message;
    std::vector<std::string> history;  ///< the events that led to it, oldest first
    std::size_t event_index = 0;       ///< index in the event stream
};

/// All oracle names, for scenario validation.
const std::vector<std::string>& oracle_names();

class Oracles {
public:
    explicit Oracles(OracleConfig cfg);

    /// Register vCPU `vcpu` of domain `domain` with its PID address.
    void add_vcpu(int vcpu, std::uint32_t domain, std::uint64_t pid);
    /// Device `rid` is assigned to `domain` (or, with -1, to none).
    void assign_device(std::uint32_t rid, int domain);
    /// The vCPU and guest vector a device MSI-X entry is bound to (for delivery).
    void bind(std::uint32_t rid, std::uint32_t index, int vcpu, std::uint8_t vector);

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
        std::uint64_t pid = 0;
        std::uint64_t control = 0;   ///< PID control word (ON, SN, NV, NDST)
        std::uint32_t state = 0;     ///< enum hyp_vcpu_state
        std::set<std::uint32_t> lists;  ///< blocking lists it is on
        /// The last kHistory events concerning it (a ring, oldest at
        /// history_head), formatted only when a violation reports them.
        std::array<Event, kHistory> history{};
        std::size_t history_head = 0, history_len = 0;
        std::uint64_t wake_deadline = 0;  ///< 0 = none
        std::uint64_t in_guest_since = 0;  ///< VM entry cycle while in the guest
        bool in_guest = false;
    };
    struct Pending {  ///< an interrupt made pending for a guest, not yet delivered
        std::uint64_t tag, posted;
        int vcpu;
        std::uint8_t vector;
        std::uint64_t guest_time;  ///< cycles its vCPU spent in the guest since the post
        std::uint64_t deadline;    ///< while the vCPU is in the guest: when the bound runs out; else 0
    };
    void violate(const Event& e, const std::string& oracle, int vcpu, const std::string& msg);
    void remember(int vcpu, const Event& e);
    void check_deadlines(std::uint64_t now, const Event* at);
    std::uint32_t ndst_of(std::uint64_t control) const;
    int pcpu_of_apic(std::uint32_t apic) const;

    OracleConfig cfg_;
    std::map<int, VcpuView> vcpus_;
    std::map<std::uint64_t, int> pid_owner_;
    std::map<std::uint32_t, int> device_domain_;
    std::map<std::pair<std::uint32_t, std::uint32_t>, std::pair<int, std::uint8_t>> bindings_;
    /// Interrupts between the device's write and the post/remap: tag ->
    /// (requester ID, MSI-X entry).
    std::unordered_map<std::uint64_t, std::pair<std::uint32_t, std::uint32_t>> tag_msi_;
    std::vector<Pending> pending_;
    std::vector<Violation> violations_;
    std::size_t events_ = 0;
    std::uint64_t next_deadline_ = ~0ull;
};

}  // namespace pisim
