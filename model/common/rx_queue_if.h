// model/common/rx_queue_if.h - what a guest NIC driver sees of a receive
// queue: how many received packets wait in its descriptor ring, taking them,
// and the queue's interrupt enable. The NIC (model/pcie) implements it; the
// CPU model's guest program reaches it through a port the platform binds
// (NAPI-like receive loop, model/cpu/workload.h GuestOp::NapiPoll).
//
// Queue numbers are the NIC's own receive-queue indices (NicConfig::queues).
// Calls take no simulated time: the caller charges its own per-packet cost.
#pragma once

#include <cstdint>
#include <systemc>

namespace pisim {

class RxQueueIf : public virtual sc_core::sc_interface {
public:
    /// Packets received on `queue` and not yet taken by the driver.
    virtual std::uint64_t rx_pending(std::uint32_t queue) const = 0;
    /// The driver takes up to `max` packets from the ring (head advances);
    /// returns how many it took.
    virtual std::uint64_t rx_take(std::uint32_t queue, std::uint64_t max) = 0;
    /// The queue's interrupt enable (like the 82599's EIMS/EIMC bit of the
    /// queue's cause): while disabled an arriving packet only fills the ring;
    /// enabling it while packets wait raises the queue's interrupt at once
    /// (the cause is still set), so no packet is left without an interrupt.
    virtual void rx_irq_enable(std::uint32_t queue, bool enable) = 0;
    /// The queue's interrupt enable bit.
    virtual bool rx_irq_enabled(std::uint32_t queue) const = 0;
};

}  // namespace pisim
