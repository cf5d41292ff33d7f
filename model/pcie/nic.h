// model/pcie/nic.h - a PCIe NIC endpoint with MSI and MSI-X [PCIe Base 6.1.4;
// VTD 5.1.2]: receive queues fed by traffic sources, one MSI-X vector per queue,
// per-vector masking with the pending-bit array, interrupt moderation (ITR).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <vector>

#include "model/common/messages.h"
#include "model/common/rx_queue_if.h"
#include "model/common/trace.h"

namespace pisim {

/// How packets arrive on one receive queue. Times are cycles.
struct TrafficSpec {
    enum class Kind { None, Constant, Poisson, Burst, File } kind = Kind::None;
    std::uint64_t start = 0;        ///< first arrival not before this cycle
    std::uint64_t stop = ~0ull;     ///< no arrival at or after this cycle
    std::uint64_t interval = 0;     ///< Constant: gap; Poisson: mean gap; Burst: gap inside a burst
    std::uint64_t count = ~0ull;    ///< at most this many packets on the queue
    std::uint32_t burst_len = 1;    ///< Burst: packets per burst
    std::uint64_t burst_gap = 0;    ///< Burst: gap between bursts (end to start)
    std::vector<std::uint64_t> times;  ///< File: absolute arrival cycles, ascending
};

struct NicQueueSpec {
    std::uint32_t msix_index = 0;   ///< vector this queue signals
    TrafficSpec traffic;
};

struct NicConfig {
    std::uint16_t requester_id = 0;  ///< bus[15:8] dev[7:3] fn[2:0]
    /// A hostile device: the requester ID its MSI writes carry instead of
    /// requester_id (a spoofed identity; events still name requester_id).
    std::optional<std::uint16_t> spoofed_requester_id;
    std::uint32_t msix_vectors = 1;  ///< MSI-X table size
    bool use_msi = false;            ///< MSI (multi-message) instead of MSI-X
    std::uint32_t msi_vectors = 1;   ///< MSI: multiple message enable, power of two <= 32
    std::vector<NicQueueSpec> queues;
    std::uint64_t moderation = 0;    ///< ITR: minimum cycles between two messages of one vector
    std::uint64_t seed = 0;          ///< Poisson arrivals (from the scenario seed)
    std::uint32_t device_index = 0;  ///< for interrupt tags
};

struct NicTiming {
    std::uint64_t posted_write = 0;  ///< MSI write from the endpoint to the root complex
};

/// A PCIe NIC endpoint (one function) with MSI and MSI-X [PCIe Base 6.1.4;
/// 7.7.1 MSI capability; 7.7.2 MSI-X capability and table; VTD 5.1.2].
///
/// Receive queues get packets from their TrafficSpec; each arrival emits
/// NicPacket and requests the queue's interrupt vector (`msix_index`; in MSI
/// mode the MSI message number it asks for). The request passes the vector's
/// interrupt moderation (ITR, like the 82599 EITR: at most one message per
/// `moderation` cycles; requests inside the interval are coalesced into one
/// message at its end, each emitting NicModerated(vector, end cycle); the
/// interval restarts at every assertion, whether it sent a message or set
/// the pending bit, and at a pending message released on unmask, which also
/// covers the requests held so far), then the message layer:
/// a masked vector (per-vector Mask bit or MSI-X Function Mask) sets its
/// pending bit (NicMsixPending) and the message goes out when it is unmasked;
/// an unmasked vector issues an MSI write (NicMsiWrite, with a fresh tag)
/// that reaches `msi_out` `posted_write` cycles later as a TLM write.
///
/// Reset and enable state: every MSI-X table entry starts masked (Vector
/// Control bit 0 = 1) with address/data 0 and its pending bit clear, as after
/// reset [PCIe 7.7.2]. The MSI-X Enable bit starts set and the Function Mask
/// clear when use_msi is false (the state a driver leaves after enabling
/// MSI-X; see msix_control); MSI Enable starts clear and is set by
/// msi_program; MSI per-vector mask bits start clear [PCIe 7.7.1].
/// Requests while the function's MSI/MSI-X is disabled are dropped (counted
/// in Stats::dropped; no message, no pending bit).
///
/// Events: unit = requester ID; NicMsiWrite carries the write's tag, which is
/// ((device_index + 1) << 40) | n, n = 1, 2, ... per device in issue order.
/// vector_index of NicMsiWrite / NicMsixPending is the MSI-X entry, or in MSI
/// mode the message number; NicModerated names the queue's msix_index (the
/// same number for MSI-X). The queue of a coalesced or released message is the
/// first queue whose request it carries. NicPacket has tag 0.
/// Ordering inside one cycle: writes reaching the root complex, then packet
/// arrivals (equal cycles: in the order they were scheduled), then moderation
/// interval ends; so an arrival in the cycle an interval ends is coalesced
/// into that interval's message. A write issued with posted_write 0 lands in
/// its issue cycle. Cycle-0 entries run one delta cycle after initialization.
///
/// Mode: use_msi fixes which capability the driver enabled; requests go only
/// through that one (software must not enable both [PCIe 7.7.2.2 MSI-X Enable]).
///
/// Scheduling: one SC_METHOD and one time-ordered queue (arrivals, interval
/// ends, in-flight writes); about two activations per message, none per idle
/// cycle. The target's b_transport is called from that method and must not
/// wait() (a posted write has no completion; the response status is ignored)
/// and must copy what it keeps: the payload is reused after it returns
/// (TLM-2.0 base protocol).
///
/// Receive rings (RxQueueIf): each arrival adds one packet to its queue's
/// ring; the driver takes packets with rx_take. The queue's interrupt enable
/// starts set; while it is clear an arrival requests no interrupt
/// (Stats::rx_irq_held); setting it with packets in the ring requests one.
/// Rings are unbounded (no overrun drops are modeled).
class Nic : public sc_core::sc_module, public RxQueueIf {
public:
    /// MSI writes to the root complex (the VT-d unit): TLM write, address =
    /// message address (64 bits), 4 data bytes little-endian, streaming width
    /// 4, with a PcieRequesterExt (requester ID, tag) [messages.h].
    tlm_utils::simple_initiator_socket<Nic> msi_out;

    /// Throws std::invalid_argument on a bad configuration: msix_vectors not
    /// in 1..2048 [PCIe 7.7.2.2 Table Size]; msi_vectors not a power of two
    /// in 1..32 [PCIe 7.7.1.2 Multiple Message Capable]; a queue's msix_index
    /// >= msix_vectors (MSI-X) or >= msi_vectors (MSI); a bad TrafficSpec
    /// (traffic_source.h); device_index >= 2^24 - 1 (tag space).
    Nic(sc_core::sc_module_name name, const NicConfig& cfg, const NicTiming& timing,
        EventSink& sink);
    ~Nic() override;

    /// Program MSI-X table entry `index` (address, data); entries start masked
    /// (Vector Control bit 0 = 1) as after reset [PCIe 7.7.2].
    /// A message uses the entry's contents at the time it is issued.
    /// Throws std::out_of_range when index >= msix_vectors.
    void msix_program(std::uint32_t index, std::uint64_t address, std::uint32_t data);
    /// Set/clear the entry's mask bit. Unmasking with the pending bit set sends
    /// the message and clears the pending bit.
    /// [PCIe 6.1.4.5 per-vector masking]. Throws std::out_of_range.
    void msix_mask(std::uint32_t index, bool masked);
    /// The entry's Pending Bit Array bit. Throws std::out_of_range.
    bool msix_pending(std::uint32_t index) const;
    /// The entry's Vector Control Mask bit. Throws std::out_of_range.
    bool msix_masked(std::uint32_t index) const;
    /// MSI-X Message Control [PCIe 7.7.2.2]: MSI-X Enable (bit 15) and Function
    /// Mask (bit 14). Throws std::logic_error when enabling MSI-X on an MSI
    /// NIC (use_msi). While the Function Mask is set every vector behaves as
    /// masked (pending bits are set, per-vector Mask bits keep their values);
    /// when the function becomes enabled and unmasked, each vector whose
    /// pending bit is set and Mask bit clear sends its message, in index order.
    void msix_control(bool enable, bool function_mask);
    bool msix_enabled() const;
    bool msix_function_masked() const;

    /// A hostile device that ignores its MSI-X table for vector `index`: from
    /// now on every message of that vector (after moderation) is a write of
    /// (address, data), whatever the entry holds, its Mask bit, the pending
    /// bit, MSI-X Enable and the Function Mask. An honest device never does
    /// this. Throws std::out_of_range when index >= msix_vectors,
    /// std::logic_error on an MSI NIC (use_msi).
    void msix_forge(std::uint32_t index, std::uint64_t address, std::uint32_t data);

    /// MSI capability: address, data, multiple message enable (log2), enable.
    /// [PCIe 7.7.1]: sets MSI Enable. Message k carries `data` with its low
    /// mme_log2 bits replaced by k's low bits (vectors above the allocation
    /// alias to k mod 2^mme_log2) [PCIe 6.1.4.4]. data is 16 bits; the TLM
    /// write carries it zero-extended to 32. Throws std::invalid_argument when
    /// 2^mme_log2 > msi_vectors (Multiple Message Enable above Capable),
    /// std::logic_error on an MSI-X NIC (use_msi false).
    void msi_program(std::uint64_t address, std::uint16_t data, std::uint32_t mme_log2);
    /// MSI per-vector masking [PCIe 7.7.1 Mask Bits / Pending Bits]: message
    /// number `message` (0..31). Unmasking with the pending bit set sends the
    /// message and clears the pending bit. Throws std::out_of_range when
    /// message >= msi_vectors, std::logic_error on an MSI-X NIC.
    void msi_mask(std::uint32_t message, bool masked);
    bool msi_pending(std::uint32_t message) const;

    struct Stats {
        std::uint64_t packets = 0;         ///< packet arrivals (NicPacket)
        std::uint64_t messages = 0;        ///< MSI writes issued (NicMsiWrite)
        std::uint64_t moderated = 0;       ///< requests held by ITR (NicModerated)
        std::uint64_t masked_pending = 0;  ///< pending bits set 0 -> 1 (NicMsixPending)
        std::uint64_t dropped = 0;         ///< requests while MSI/MSI-X disabled
        std::uint64_t delivered = 0;       ///< writes that reached msi_out
        std::uint64_t rx_taken = 0;        ///< packets taken from the rings by the driver
        std::uint64_t rx_irq_held = 0;     ///< arrivals while their queue's interrupt was disabled
    };
    const Stats& stats() const;

    // RxQueueIf. Throw std::out_of_range for a queue >= queues.size().
    std::uint64_t rx_pending(std::uint32_t queue) const override;
    std::uint64_t rx_take(std::uint32_t queue, std::uint64_t max) override;
    void rx_irq_enable(std::uint32_t queue, bool enable) override;
    bool rx_irq_enabled(std::uint32_t queue) const override;

    struct Impl;

private:
    /// The scheduling process (SC_METHOD on the queue's wakeup event).
    void scheduler();

    Impl* impl_;
};

}  // namespace pisim
