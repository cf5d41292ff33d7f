// model/pcie/nic.h - a PCIe NIC endpoint with MSI and MSI-X [PCIe Base 6.1.4;
// SPEC 5]: receive queues fed by traffic sources, one MSI-X vector per queue,
// per-vector masking with the pending-bit array, interrupt moderation (ITR).
#pragma once

#include <cstdint>
#include <string>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <vector>

#include "model/common/messages.h"
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

class Nic : public sc_core::sc_module {
public:
    /// MSI writes to the root complex (the VT-d unit).
    tlm_utils::simple_initiator_socket<Nic> msi_out;

    Nic(sc_core::sc_module_name name, const NicConfig& cfg, const NicTiming& timing,
        EventSink& sink);
    ~Nic() override;

    /// Program MSI-X table entry `index` (address, data); entries start masked
    /// (Vector Control bit 0 = 1) as after reset [PCIe 7.7.2].
    void msix_program(std::uint32_t index, std::uint64_t address, std::uint32_t data);
    /// Set/clear the entry's mask bit. Unmasking with the pending bit set sends
    /// the message and clears the pending bit.
    void msix_mask(std::uint32_t index, bool masked);
    bool msix_pending(std::uint32_t index) const;
    /// MSI capability: address, data, multiple message enable (log2), enable.
    void msi_program(std::uint64_t address, std::uint16_t data, std::uint32_t mme_log2);

    struct Stats {
        std::uint64_t packets = 0, messages = 0, moderated = 0, masked_pending = 0;
    };
    const Stats& stats() const;

    struct Impl;

private:
    Impl* impl_;
};

}  // namespace pisim
