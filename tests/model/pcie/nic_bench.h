// tests/model/pcie/nic_bench.h - a NIC wired to a recording TLM target and a
// recording event sink, for the Nic* / Msix* suites.
#pragma once

#include <gmock/gmock.h>

#include <cstdint>
#include <memory>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>
#include <vector>

#include "model/common/cycles.h"
#include "model/common/messages.h"
#include "model/common/trace.h"
#include "model/pcie/nic.h"

namespace pisim::test {

/// One write as the root complex saw it.
struct Received {
    std::uint64_t cycle = 0;        ///< kernel time of b_transport + its delay argument
    std::uint64_t delay = 0;        ///< the delay argument (cycles)
    std::uint64_t address = 0;
    std::uint32_t data = 0;         ///< 4 bytes, little endian
    unsigned length = 0;
    bool is_write = false;
    bool has_ext = false;
    std::uint16_t requester_id = 0;
    std::uint64_t tag = 0;
};

/// A tiny root complex: records every write and returns at once (no wait).
struct RecordingTarget : sc_core::sc_module {
    tlm_utils::simple_target_socket<RecordingTarget> in;
    std::vector<Received> log;

    explicit RecordingTarget(sc_core::sc_module_name n) : sc_core::sc_module(n), in("in") {
        in.register_b_transport(this, &RecordingTarget::b_transport);
    }

    void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
        Received r;
        r.delay = to_cycles(delay);
        r.cycle = now_cycles() + r.delay;
        r.address = gp.get_address();
        r.length = gp.get_data_length();
        r.is_write = gp.get_command() == tlm::TLM_WRITE_COMMAND;
        const unsigned char* p = gp.get_data_ptr();
        for (unsigned i = 0; i < 4 && i < r.length; ++i) r.data |= std::uint32_t{p[i]} << (8 * i);
        if (auto* ext = gp.get_extension<PcieRequesterExt>()) {
            r.has_ext = true;
            r.requester_id = ext->requester_id;
            r.tag = ext->tag;
        }
        gp.set_response_status(tlm::TLM_OK_RESPONSE);
        log.push_back(r);
    }
};

/// Records every event.
struct RecordingSink : EventSink {
    std::vector<Event> events;
    void emit(const Event& e) override { events.push_back(e); }

    std::vector<Event> of(EventKind k) const {
        std::vector<Event> out;
        for (const auto& e : events)
            if (e.kind == k) out.push_back(e);
        return out;
    }
};

/// Sink, target and NIC, bound.
struct NicBench {
    RecordingSink sink;
    RecordingTarget target{"rc"};
    std::unique_ptr<Nic> nic;

    NicBench(const NicConfig& cfg, const NicTiming& timing) {
        nic = std::make_unique<Nic>("nic", cfg, timing, sink);
        nic->msi_out.bind(target.in);
    }
};

/// One receive queue on vector `vector` with `t` as its traffic.
inline NicQueueSpec queue_on(std::uint32_t vector, const TrafficSpec& t) {
    NicQueueSpec q;
    q.msix_index = vector;
    q.traffic = t;
    return q;
}

inline TrafficSpec constant(std::uint64_t start, std::uint64_t interval, std::uint64_t count) {
    TrafficSpec t;
    t.kind = TrafficSpec::Kind::Constant;
    t.start = start;
    t.interval = interval;
    t.count = count;
    return t;
}

inline TrafficSpec file(std::vector<std::uint64_t> times) {
    TrafficSpec t;
    t.kind = TrafficSpec::Kind::File;
    t.times = std::move(times);
    return t;
}

/// Cycles of a list of events / writes.
inline std::vector<std::uint64_t> cycles_of(const std::vector<Event>& ev) {
    std::vector<std::uint64_t> out;
    for (const auto& e : ev) out.push_back(e.cycle);
    return out;
}
inline std::vector<std::uint64_t> cycles_of(const std::vector<Received>& rx) {
    std::vector<std::uint64_t> out;
    for (const auto& r : rx) out.push_back(r.cycle);
    return out;
}

}  // namespace pisim::test
