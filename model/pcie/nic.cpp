// model/pcie/nic.cpp - the NIC module: configuration, the scheduling process
// with its time-ordered agenda, receive queues and packet arrivals [PCIe Base
// 6.1.4; VTD 5.1.2].
#include "model/pcie/nic.h"

#include <algorithm>
#include <cassert>
#include <stdexcept>
#include <string>

#include "model/pcie/nic_impl.h"

namespace pisim {

namespace {

/// splitmix64 finalizer: spreads (seed, device, queue) into independent
/// mt19937_64 seeds for the queues' Poisson generators.
std::uint64_t splitmix64(std::uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

/// Seed of queue `q` of device `dev` under scenario seed `seed`.
std::uint64_t queue_seed(std::uint64_t seed, std::uint32_t dev, std::uint32_t q) {
    return splitmix64(seed ^ splitmix64((std::uint64_t{dev} << 32) | q));
}

bool is_pow2(std::uint32_t x) { return x != 0 && (x & (x - 1)) == 0; }

/// Check the configuration; throws std::invalid_argument (see nic.h).
const NicConfig& validated(const NicConfig& cfg) {
    if (cfg.msix_vectors < 1 || cfg.msix_vectors > 2048)
        throw std::invalid_argument("nic: msix_vectors must be 1..2048 [PCIe 7.7.2.2]");
    if (!is_pow2(cfg.msi_vectors) || cfg.msi_vectors > 32)
        throw std::invalid_argument("nic: msi_vectors must be a power of two <= 32 [PCIe 7.7.1.2]");
    if (cfg.device_index >= (1u << 24) - 1)
        throw std::invalid_argument("nic: device_index must be < 2^24 - 1 (tag space)");
    const std::uint32_t vectors = cfg.use_msi ? cfg.msi_vectors : cfg.msix_vectors;
    for (std::size_t q = 0; q < cfg.queues.size(); ++q)
        if (cfg.queues[q].msix_index >= vectors)
            throw std::invalid_argument("nic: queue " + std::to_string(q) + " vector " +
                                        std::to_string(cfg.queues[q].msix_index) +
                                        " outside the " + (cfg.use_msi ? "MSI" : "MSI-X") +
                                        " vectors");
    return cfg;
}

}  // namespace

// ---------------------------------------------------------------------------
// Construction

Nic::Impl::Impl(Nic& n, const NicConfig& c, const NicTiming& t, EventSink& s)
    : nic(n), cfg(validated(c)), timing(t), sink(s) {
    queues.reserve(cfg.queues.size());
    for (std::uint32_t q = 0; q < cfg.queues.size(); ++q)
        queues.push_back(RxQueue{cfg.queues[q],
                                 TrafficSource(cfg.queues[q].traffic,
                                               queue_seed(cfg.seed, cfg.device_index, q))});
    itr.resize(cfg.use_msi ? cfg.msi_vectors : cfg.msix_vectors);
    msix.resize(cfg.msix_vectors);     // all entries masked, as after reset [PCIe 7.7.2]
    msix_enable = !cfg.use_msi;
    function_mask = false;
    gp.set_data_ptr(bytes);
    for (std::uint32_t q = 0; q < queues.size(); ++q) schedule_next_arrival(q);
}

Nic::Impl::~Impl() { gp.clear_extension(&ext); }

Nic::Nic(sc_core::sc_module_name name, const NicConfig& cfg, const NicTiming& timing,
         EventSink& sink)
    : sc_core::sc_module(name), msi_out("msi_out"), impl_(new Impl(*this, cfg, timing, sink)) {
    SC_HAS_PROCESS(Nic);
    // Runs once at initialization (to arm the first wakeup), then only on `wake`.
    SC_METHOD(scheduler);
    sensitive << impl_->wake;
}

Nic::~Nic() { delete impl_; }

void Nic::scheduler() { impl_->run_due(); }

const Nic::Stats& Nic::stats() const { return impl_->stats; }

// ---------------------------------------------------------------------------
// Scheduling: one process, one agenda ordered by (cycle, action, insertion).

void Nic::Impl::schedule(Item item) {
    assert(!started || item.cycle >= now_cycles());
    item.seq = next_seq++;
    const cycles_t when = item.cycle;
    agenda.push(item);
    // Keep `wake` at or before the earliest entry: sc_event keeps the earlier
    // of two pending notifications. Inside run_due() the loop re-arms it.
    if (started && !in_scheduler) wake.notify(cycles(when - now_cycles()));
}

void Nic::Impl::run_due() {
    const cycles_t now = now_cycles();
    if (!started) {
        // Initialization run: only arm the wakeup, so that entries of cycle 0
        // run one delta later, after the other processes' initialization
        // (which may still program the MSI-X table).
        started = true;
        if (!agenda.empty()) wake.notify(cycles(agenda.top().cycle - now));
        return;
    }
    in_scheduler = true;
    while (!agenda.empty() && agenda.top().cycle <= now) {
        const Item item = agenda.top();
        agenda.pop();
        assert(item.cycle == now);    // invariant: nothing is left behind
        dispatch(item);
    }
    in_scheduler = false;
    if (!agenda.empty()) wake.notify(cycles(agenda.top().cycle - now));
}

void Nic::Impl::dispatch(const Item& item) {
    switch (item.action) {
    case Action::PostedWriteArrival: posted_write_arrival(item.write); break;
    case Action::PacketArrival: packet_arrival(item.index); break;
    case Action::ItrIntervalEnd: itr_interval_end(item.index, item.gen); break;
    }
}

void Nic::Impl::emit(EventKind kind, std::uint64_t tag, std::uint64_t a, std::uint64_t b,
                     std::uint64_t c, std::uint64_t d) {
    Event e;
    e.cycle = now_cycles();
    e.kind = kind;
    e.unit = cfg.requester_id;
    e.tag = tag;
    e.a = a;
    e.b = b;
    e.c = c;
    e.d = d;
    sink.emit(e);
}

// ---------------------------------------------------------------------------
// Receive queues

void Nic::Impl::schedule_next_arrival(std::uint32_t queue) {
    if (const auto t = queues[queue].source.next()) {
        Item item;
        item.cycle = *t;
        item.action = Action::PacketArrival;
        item.index = queue;
        schedule(item);
    }
}

/// A packet lands on receive queue `queue`: record it, request the queue's
/// interrupt vector through moderation, and line up the queue's next arrival.
void Nic::Impl::packet_arrival(std::uint32_t queue) {
    ++stats.packets;
    RxQueue& q = queues[queue];
    ++q.ring;
    emit(EventKind::NicPacket, 0, queue);
    if (q.irq_enabled)
        itr_request(q.spec.msix_index, queue);
    else
        ++stats.rx_irq_held;
    schedule_next_arrival(queue);
}

Nic::Impl::RxQueue& Nic::Impl::rx_queue(std::uint32_t queue) {
    if (queue >= queues.size()) throw std::out_of_range("NIC receive queue out of range");
    return queues[queue];
}

std::uint64_t Nic::rx_pending(std::uint32_t queue) const { return impl_->rx_queue(queue).ring; }

std::uint64_t Nic::rx_take(std::uint32_t queue, std::uint64_t max) {
    Impl::RxQueue& q = impl_->rx_queue(queue);
    const std::uint64_t n = std::min(q.ring, max);
    q.ring -= n;
    impl_->stats.rx_taken += n;
    return n;
}

void Nic::rx_irq_enable(std::uint32_t queue, bool enable) {
    Impl::RxQueue& q = impl_->rx_queue(queue);
    const bool was = q.irq_enabled;
    q.irq_enabled = enable;
    if (enable && !was && q.ring > 0) impl_->itr_request(q.spec.msix_index, queue);
}

bool Nic::rx_irq_enabled(std::uint32_t queue) const { return impl_->rx_queue(queue).irq_enabled; }

}  // namespace pisim
