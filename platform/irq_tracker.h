// platform/irq_tracker.h - follows every device interrupt from the device's
// MSI write to the guest's ISR through the event stream, and measures each
// stage in cycles (issue 2 point 7).
//
// An interrupt is identified by the tag its device gave it. Steps that carry
// the tag (device write, VT-d request, IRTE fetch, post, remap, APIC
// acceptance) are attributed directly; steps that act on a vCPU's pending
// vectors (posted-interrupt processing, the hypervisor making a vector
// pending, the guest ISR entry) are attributed to every interrupt of that
// vCPU and guest vector still waiting. Several interrupts of one vector that
// wait together are coalesced into one guest ISR, exactly as the hardware
// merges PIR/VIRR bits.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "model/common/trace.h"

namespace pisim {

/// The named steps of an interrupt's life, in path order.
enum class IrqStep : std::uint8_t {
    DeviceWrite,      ///< the endpoint issued the MSI write
    VtdRequest,       ///< the write reached the remapping unit
    Remapping,        ///< IRTE fetched and checked
    Posting,          ///< PID read-modify-write done (vtd-pi)
    HostRemap,        ///< remapped to a host vector (other modes)
    Notification,     ///< the local APIC accepted the notification / host vector
    VmExit,           ///< the guest exited for it (non-posting modes)
    HypPend,          ///< the hypervisor made the vector pending for the guest
    PiProcessing,     ///< posted-interrupt processing moved PIR into VIRR
    VirtualDelivery,  ///< the guest's ISR started
    HostDelivery,     ///< the hypervisor's handler of a host-owned device started
    Count
};
const char* irq_step_name(IrqStep s);

struct IrqRecord {
    std::uint64_t tag = 0;
    std::uint32_t device = 0;        ///< requester ID
    std::uint32_t vector_index = 0;  ///< MSI-X entry
    int vcpu = -1;                   ///< target vCPU (global), -1 if unbound or host
    bool host = false;               ///< a host-owned device's: delivered to the hypervisor
    std::uint8_t vector = 0;         ///< guest vector
    std::vector<std::pair<IrqStep, std::uint64_t>> steps;  ///< in order seen
    bool delivered = false;
    bool faulted = false;
    std::uint8_t fault_reason = 0;
    std::uint64_t written = 0, delivered_at = 0;
    std::uint64_t latency() const { return delivered_at - written; }
    std::optional<std::uint64_t> step_cycle(IrqStep s) const;
};

class IrqTracker {
public:
    /// Device `rid`'s MSI-X entry `index` is delivered to (vcpu, vector).
    void bind(std::uint32_t rid, std::uint32_t index, int vcpu, std::uint8_t vector);
    void unbind(std::uint32_t rid, std::uint32_t index);
    /// Device `rid`'s MSI-X entry `index` belongs to the host (as dom0's SAS
    /// controller in xen-devel, "[Xenhackthon] Virtualized APIC registers -
    /// virtual interrupt delivery"): it
    /// is delivered when the hypervisor's handler for it starts
    /// (HypHandlerEnter of HYP_H_HOST_IRQ naming rid << 16 | index).
    void bind_host(std::uint32_t rid, std::uint32_t index, std::uint8_t host_vector);
    /// vCPU owning the PID at `pid_pa` (to attribute posts).
    void set_pid_owner(std::uint64_t pid_pa, int vcpu);

    void on_event(const Event& e);

    const std::vector<IrqRecord>& records() const { return records_; }
    /// Records delivered to a vCPU of another domain than the device's, etc.
    /// are the oracles' business; the tracker only measures.

private:
    IrqRecord* find(std::uint64_t tag);
    void step(IrqRecord& r, IrqStep s, std::uint64_t cycle);

    std::map<std::pair<std::uint32_t, std::uint32_t>, std::pair<int, std::uint8_t>> bindings_;
    /// Host-owned MSI-X entries: interrupts waiting for their handler, in order.
    std::map<std::pair<std::uint32_t, std::uint32_t>, std::vector<std::size_t>> host_waiting_;
    std::map<std::pair<std::uint32_t, std::uint32_t>, std::uint8_t> host_vector_;
    std::map<std::uint64_t, int> pid_owner_;
    std::vector<IrqRecord> records_;
    std::unordered_map<std::uint64_t, std::size_t> by_tag_;
    /// Interrupts waiting for their guest ISR, by (vcpu, vector): indices.
    std::map<std::pair<int, std::uint8_t>, std::vector<std::size_t>> waiting_;
};

}  // namespace pisim
