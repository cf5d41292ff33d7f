// model/lapic/apic_bus.cpp - the system bus that carries interrupt messages
// to local APICs [SDM vol. 3A 10.6.2 destination modes, 10.6.2.4 lowest
// priority, 10.12.10 x2APIC destinations]. One time-ordered queue and one
// SC_METHOD; order by (arrival cycle, send sequence).
#include <algorithm>
#include "model/lapic/lapic_assert.h"

#include "model/common/cycles.h"
#include "model/lapic/lapic.h"

namespace pisim {

ApicBus::ApicBus(sc_core::sc_module_name name, const LapicTiming& timing, EventSink& sink)
    : sc_core::sc_module(name), timing_(timing), sink_(sink) {
    typedef ApicBus SC_CURRENT_USER_MODULE;
    SC_METHOD(route_due);
    sensitive << due_event_;
    dont_initialize();
}

ApicBus::~ApicBus() = default;

void ApicBus::attach(LocalApic& apic) {
    for (const LocalApic* a : apics_) {
        LAPIC_ASSERT(a->apic_id() != apic.apic_id() && "duplicate APIC ID");
    }
    apics_.push_back(&apic);
}

/// Queue `m` for acceptance after the message latency of its kind: a device
/// message (source_apic == ~0u) msg_latency, an IPI ipi_latency.
void ApicBus::deliver(const ApicMessage& m) {
    const bool from_device = m.source_apic == ~0u;
    LAPIC_ASSERT(!(from_device && m.shorthand != Shorthand::None) && "shorthands are ICR-only");
    const std::uint64_t latency = from_device ? timing_.msg_latency : timing_.ipi_latency;
    queue_.push_back(Pending{now_cycles() + latency, next_seq_++, m});
    std::push_heap(queue_.begin(), queue_.end(), Later{});
    // An earlier pending notification wins over a later one, so the event
    // always stands for the head of the queue.
    due_event_.notify(cycles(latency));
}

/// Deliver every message whose arrival cycle has come, in (cycle, sequence)
/// order, then wait for the next head.
void ApicBus::route_due() {
    const std::uint64_t now = now_cycles();
    while (!queue_.empty() && queue_.front().arrival <= now) {
        std::pop_heap(queue_.begin(), queue_.end(), Later{});
        const ApicMessage m = queue_.back().msg;
        LAPIC_ASSERT(queue_.back().arrival == now);
        queue_.pop_back();
        route(m);
    }
    if (!queue_.empty()) due_event_.notify(cycles(queue_.front().arrival - now));
}

/// Destination set of a message [SDM 10.6.1 shorthands, 10.6.2.1 physical,
/// 10.6.2.2 logical]: shorthands name the source APIC, every APIC, or every
/// APIC but the source; otherwise each APIC matches the destination in its own
/// mode. Lowest priority [SDM 10.6.2.4]: only the matching APIC with the lowest
/// PPR accepts (ties: the earliest attached). Fixed: all in attach order.
void ApicBus::route(const ApicMessage& m) {
    std::vector<LocalApic*> targets;
    for (LocalApic* a : apics_) {
        bool match = false;
        switch (m.shorthand) {
        case Shorthand::Self: match = a->apic_id() == m.source_apic; break;
        case Shorthand::AllIncludingSelf: match = true; break;
        case Shorthand::AllExcludingSelf: match = a->apic_id() != m.source_apic; break;
        case Shorthand::None:
            match = m.dest_logical ? a->matches_logical(m.dest) : a->matches_physical(m.dest);
            break;
        }
        if (match) targets.push_back(a);
    }
    if (m.mode == DeliveryMode::LowestPriority && targets.size() > 1) {
        LocalApic* chosen = targets.front();
        for (LocalApic* a : targets)
            if (a->ppr() < chosen->ppr()) chosen = a;
        targets.assign(1, chosen);
    }
    for (LocalApic* a : targets) a->deliver(m);
}

}  // namespace pisim
