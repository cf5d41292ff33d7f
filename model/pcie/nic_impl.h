// model/pcie/nic_impl.h - the NIC's private state (not part of the contract).
//
// Three layers, one file each:
//   nic.cpp                  module, the scheduling process and its time-ordered
//                            queue, receive queues and packet arrivals;
//   interrupt_moderation.cpp ITR per vector (82599-style EITR);
//   msi_message.cpp          MSI / MSI-X message layer (table, masks, pending
//                            bits) and the posted write to the root complex.
#pragma once

#include <cstdint>
#include <queue>
#include <systemc>
#include <tlm>
#include <tuple>
#include <vector>

#include "model/common/cycles.h"
#include "model/common/messages.h"
#include "model/common/trace.h"
#include "model/pcie/nic.h"
#include "model/pcie/traffic_source.h"

namespace pisim {

struct Nic::Impl {
    Impl(Nic& nic, const NicConfig& cfg, const NicTiming& timing, EventSink& sink);
    ~Impl();

    // ---- scheduling (nic.cpp) ----
    /// What an agenda entry does. The enumerator order is the order of
    /// entries that fall in the same cycle (see nic.h "Ordering").
    enum class Action : std::uint8_t { PostedWriteArrival = 0, PacketArrival = 1, ItrIntervalEnd = 2 };
    struct Item {
        cycles_t cycle = 0;
        Action action{};
        std::uint64_t seq = 0;        ///< insertion order, breaks ties
        std::uint32_t index = 0;      ///< queue (arrival) or vector (interval end)
        std::uint64_t gen = 0;        ///< interval end: the hold it belongs to
        MsiWrite write;               ///< posted write in flight
    };
    struct Later {
        bool operator()(const Item& x, const Item& y) const {
            return std::tie(x.cycle, x.action, x.seq) > std::tie(y.cycle, y.action, y.seq);
        }
    };
    void schedule(Item item);
    void run_due();                   ///< body of the scheduling process
    void dispatch(const Item& item);

    // ---- receive queues (nic.cpp) ----
    void packet_arrival(std::uint32_t queue);
    void schedule_next_arrival(std::uint32_t queue);

    // ---- interrupt moderation (interrupt_moderation.cpp) ----
    void itr_request(std::uint32_t vector, std::uint32_t queue);
    void itr_interval_end(std::uint32_t vector, std::uint64_t gen);
    void itr_message_sent(std::uint32_t vector);

    // ---- message layer (msi_message.cpp) ----
    void request_message(std::uint32_t vector, std::uint32_t queue);
    void msix_request(std::uint32_t index, std::uint32_t queue);
    void msix_release_pending(std::uint32_t index);
    void msix_send(std::uint32_t index, std::uint32_t queue);
    void require_msi_mode() const;   ///< throws std::logic_error unless use_msi
    std::uint32_t msi_message_number(std::uint32_t vector) const;
    void msi_request(std::uint32_t vector, std::uint32_t queue);
    void msi_release_pending(std::uint32_t message);
    void msi_send(std::uint32_t message, std::uint32_t queue);
    void issue_msi_write(std::uint64_t address, std::uint32_t data, std::uint32_t vector,
                         std::uint32_t queue);
    void posted_write_arrival(const MsiWrite& w);

    void emit(EventKind kind, std::uint64_t tag, std::uint64_t a, std::uint64_t b = 0,
              std::uint64_t c = 0, std::uint64_t d = 0);

    Nic& nic;
    const NicConfig cfg;
    const NicTiming timing;
    EventSink& sink;
    Stats stats;

    // scheduling
    std::priority_queue<Item, std::vector<Item>, Later> agenda;
    std::uint64_t next_seq = 0;
    sc_core::sc_event wake;
    bool started = false;             ///< the scheduling process has run once
    bool in_scheduler = false;        ///< inside run_due(): it re-arms `wake` itself

    // receive queues
    struct RxQueue {
        NicQueueSpec spec;
        TrafficSource source;
        std::uint64_t ring = 0;       ///< packets received, not yet taken
        bool irq_enabled = true;      ///< the queue's interrupt enable
    };
    RxQueue& rx_queue(std::uint32_t queue);  ///< throws std::out_of_range
    std::vector<RxQueue> queues;

    // interrupt moderation, per vector (MSI-X entry index / MSI vector the queue asks for)
    struct Itr {
        cycles_t interval_end = 0;    ///< no message before this cycle (0: expired)
        bool held = false;            ///< requests waiting for interval_end
        std::uint64_t gen = 0;        ///< bumps when a hold starts or is cancelled
        std::uint32_t queue = 0;      ///< first queue of the hold
    };
    std::vector<Itr> itr;

    // MSI-X capability and table [PCIe 7.7.2]
    struct MsixEntry {
        std::uint64_t address = 0;    ///< Message Address (upper:lower)
        std::uint32_t data = 0;       ///< Message Data
        bool mask = true;             ///< Vector Control bit 0; set after reset
        bool pending = false;         ///< Pending Bit Array bit
        std::uint32_t pending_queue = 0;
        bool forged = false;          ///< msix_forge: the device ignores this entry
        std::uint64_t forged_address = 0;
        std::uint32_t forged_data = 0;
    };
    std::vector<MsixEntry> msix;
    bool msix_enable = false;         ///< Message Control bit 15
    bool function_mask = false;       ///< Message Control bit 14

    // MSI capability [PCIe 7.7.1]
    struct MsiCap {
        bool enable = false;
        std::uint64_t address = 0;
        std::uint16_t data = 0;
        std::uint32_t mme_log2 = 0;   ///< Multiple Message Enable (encoded)
        std::uint32_t mask = 0;       ///< Mask Bits
        std::uint32_t pending = 0;    ///< Pending Bits
        std::uint32_t pending_queue[32] = {};
    } msi;

    // tags and the TLM write
    std::uint64_t next_tag_seq = 1;
    tlm::tlm_generic_payload gp;
    PcieRequesterExt ext;
    unsigned char bytes[4] = {};
};

}  // namespace pisim
