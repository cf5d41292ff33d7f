// tests/model/lapic/lapic_test_util.h - a small machine for the local APIC
// tests: one ApicBus, N LocalApics bound to it, and an event recorder.
#pragma once

#include <memory>
#include <string>
#include <systemc>
#include <vector>

#include "model/common/cycles.h"
#include "model/common/trace.h"
#include "model/lapic/lapic.h"

namespace pisim::test {

struct Recorder final : EventSink {
    std::vector<Event> events;
    void emit(const Event& e) override { events.push_back(e); }
    std::vector<Event> of(EventKind k) const {
        std::vector<Event> r;
        for (const Event& e : events)
            if (e.kind == k) r.push_back(e);
        return r;
    }
};

/// Records the cycles at which an sc_event is triggered.
struct EventProbe : sc_core::sc_module {
    std::vector<std::uint64_t> times;
    EventProbe(sc_core::sc_module_name n, const sc_core::sc_event& e) : sc_core::sc_module(n) {
        typedef EventProbe SC_CURRENT_USER_MODULE;
        SC_METHOD(on_event);
        sensitive << e;
        dont_initialize();
    }
    void on_event() { times.push_back(now_cycles()); }
};

struct Machine {
    Recorder rec;
    LapicTiming timing;
    std::unique_ptr<ApicBus> bus;
    std::vector<std::unique_ptr<LocalApic>> apics;

    /// APIC i has ID ids[i] and pcpu index i.
    Machine(const std::vector<std::uint32_t>& ids, bool x2apic, std::uint64_t ipi_latency = 100,
            std::uint64_t msg_latency = 40) {
        timing.ipi_latency = ipi_latency;
        timing.msg_latency = msg_latency;
        bus = std::make_unique<ApicBus>("bus", timing, rec);
        for (std::size_t i = 0; i < ids.size(); ++i) {
            apics.push_back(std::make_unique<LocalApic>(("apic" + std::to_string(i)).c_str(),
                                                        std::uint32_t(i), ids[i], x2apic,
                                                        timing, rec));
            apics.back()->bus(*bus);
            bus->attach(*apics.back());
        }
    }
    LocalApic& operator[](std::size_t i) { return *apics[i]; }
};

/// Run the kernel for `n` more cycles.
inline void run(std::uint64_t n) { sc_core::sc_start(cycles(n)); }

/// A fixed device message (source_apic ~0) to a physical destination.
inline ApicMessage device_msg(std::uint32_t dest, std::uint8_t vector, std::uint64_t tag = 0,
                              bool level = false) {
    ApicMessage m;
    m.dest = dest;
    m.source_apic = ~0u;
    m.vector = vector;
    m.tag = tag;
    m.level_triggered = level;
    return m;
}

inline bool bit(const std::array<std::uint32_t, 8>& r, unsigned v) {
    return (r[v >> 5] >> (v & 31)) & 1u;
}
inline bool empty(const std::array<std::uint32_t, 8>& r) {
    for (auto w : r)
        if (w) return false;
    return true;
}

}  // namespace pisim::test
