// tests/model/vtd/vtd_bench.h - a small machine around one VtdUnit: machine
// memory, a recording event sink, a fake APIC bus and an MSI initiator.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <utility>
#include <tlm_utils/simple_initiator_socket.h>
#include <vector>

#include "model/common/cycles.h"
#include "model/vtd/irte.h"
#include "model/vtd/posting.h"
#include "model/vtd/vtd.h"

namespace pisim::vtdtest {

struct RecordingSink : EventSink {
    std::vector<Event> events;
    void emit(const Event& e) override { events.push_back(e); }
    std::vector<Event> of(EventKind k) const {
        std::vector<Event> out;
        for (const auto& e : events)
            if (e.kind == k) out.push_back(e);
        return out;
    }
    /// Position of the first event of kind k with tag t in the stream, or -1.
    long index_of(EventKind k, std::uint64_t tag = ~0ull) const {
        for (std::size_t i = 0; i < events.size(); ++i)
            if (events[i].kind == k && (tag == ~0ull || events[i].tag == tag)) return long(i);
        return -1;
    }
};

/// Receives interrupt messages; remembers each with its cycle and, when a
/// PID is being watched, the PID's control word and PIR word 0-3 at that moment.
struct FakeApicBus : sc_core::sc_module, ApicMessageIf {
    struct Delivery {
        std::uint64_t cycle;
        ApicMessage m;
        vtd::PidLine pid_at_delivery{};
    };
    explicit FakeApicBus(sc_core::sc_module_name n, PhysMem& mem) : sc_module(n), mem_(mem) {}
    void deliver(const ApicMessage& m) override {
        Delivery d{now_cycles(), m, {}};
        if (watch_pid_) mem_.read(pid_, d.pid_at_delivery.data(), 64);
        got.push_back(d);
    }
    void watch_pid(std::uint64_t pa) { watch_pid_ = true; pid_ = pa; }
    std::vector<Delivery> got;

private:
    PhysMem& mem_;
    bool watch_pid_ = false;
    std::uint64_t pid_ = 0;
};

/// Sends MSI writes at given cycles through a TLM socket, from an SC_METHOD
/// (so b_transport must not wait).
struct MsiInitiator : sc_core::sc_module {
    tlm_utils::simple_initiator_socket<MsiInitiator> socket;
    struct Send {
        std::uint64_t cycle;
        std::uint64_t address;
        std::uint32_t data;
        std::uint16_t requester_id;
        std::uint64_t tag;
        std::uint64_t delay = 0;  ///< b_transport's annotated delay (cycles)
    };
    explicit MsiInitiator(sc_core::sc_module_name n) : sc_module(n), socket("socket") {
        SC_HAS_PROCESS(MsiInitiator);
        SC_METHOD(fire);
        sensitive << ev_;
        dont_initialize();
    }
    /// Schedule a write (call before sc_start, in cycle order per call site).
    void send_at(std::uint64_t cycle, std::uint64_t address, std::uint32_t data,
                 std::uint16_t requester_id, std::uint64_t tag, std::uint64_t delay = 0) {
        plan_.push_back({cycle, address, data, requester_id, tag, delay});
    }
    void end_of_elaboration() override { arm(); }
    std::vector<tlm::tlm_response_status> responses;

private:
    void arm() {
        if (next_ < plan_.size()) ev_.notify(cycles(plan_[next_].cycle - now_cycles()));
    }
    void fire() {
        while (next_ < plan_.size() && plan_[next_].cycle <= now_cycles()) {
            const Send& s = plan_[next_++];
            tlm::tlm_generic_payload p;
            unsigned char bytes[4] = {std::uint8_t(s.data), std::uint8_t(s.data >> 8),
                                      std::uint8_t(s.data >> 16), std::uint8_t(s.data >> 24)};
            p.set_command(tlm::TLM_WRITE_COMMAND);
            p.set_address(s.address);
            p.set_data_ptr(bytes);
            p.set_data_length(4);
            p.set_streaming_width(4);
            PcieRequesterExt ext;
            ext.requester_id = s.requester_id;
            ext.tag = s.tag;
            p.set_extension(&ext);
            sc_core::sc_time d = cycles(s.delay);
            socket->b_transport(p, d);
            p.clear_extension(&ext);
            responses.push_back(p.get_response_status());
        }
        arm();
    }
    std::vector<Send> plan_;
    std::size_t next_ = 0;
    sc_core::sc_event ev_;
};

/// Runs software actions at given cycles from its own SC_THREAD (register
/// writes, memory updates), as a pCPU would.
struct Software : sc_core::sc_module {
    explicit Software(sc_core::sc_module_name n) : sc_module(n) {
        SC_HAS_PROCESS(Software);
        SC_THREAD(run);
    }
    void at(std::uint64_t cycle, std::function<void()> fn) { plan_.push_back({cycle, std::move(fn)}); }

private:
    void run() {
        std::stable_sort(plan_.begin(), plan_.end(),
                         [](const auto& a, const auto& b) { return a.first < b.first; });
        for (auto& p : plan_) {
            if (p.first > now_cycles()) wait(cycles(p.first - now_cycles()));
            p.second();
        }
    }
    std::vector<std::pair<std::uint64_t, std::function<void()>>> plan_;
};

/// Remappable-format MSI address for `handle` [VTD 5.1.2.2].
inline std::uint64_t remappable_address(std::uint16_t handle, bool shv) {
    return 0xFEE00000ull | (std::uint64_t(handle & 0x7FFF) << 5) | (1u << 4) |
           (shv ? 1u << 3 : 0u) | (std::uint64_t(handle >> 15) << 2);
}

constexpr std::uint64_t kIrtBase = 0x10000;    // interrupt remapping table
constexpr std::uint64_t kIqBase = 0x20000;     // invalidation queue
constexpr std::uint64_t kPidBase = 0x30000;    // posted-interrupt descriptors
constexpr std::uint64_t kStatusBase = 0x38000; // wait status words
constexpr std::uint64_t kRamSize = 0x200000;    // 2 MiB: room for a 65536-entry table
constexpr std::uint64_t kNoRam = 0x10000000;    // not mapped

inline VtdTiming default_timing() {
    VtdTiming t;
    t.clock_period = 3;
    t.iec_hit = 5;
    t.irte_fetch = 200;
    t.pid_rmw = 120;
    t.iq_descriptor = 30;
    t.iec_entries = 8;
    return t;
}

struct Bench {
    PhysMem mem;
    RecordingSink sink;
    VtdUnit unit;
    FakeApicBus bus;
    MsiInitiator init;
    Software sw;
    std::uint32_t iq_tail = 0;

    explicit Bench(const VtdTiming& t = default_timing())
        : mem(make_mem()), unit("vtd", mem, t, sink), bus("bus", mem), init("init"), sw("sw") {
        unit.apic_bus(bus);
        init.socket(unit.msi_in);
    }
    static PhysMem make_mem() {
        PhysMem m;
        m.map_ram(0, kRamSize);
        return m;
    }
    /// IRTA with S (2^(S+1) entries), latch it, enable remapping (IRE), CFI, QIE.
    void enable(unsigned s = 7, bool eime = false, bool cfi = false, bool ire = true) {
        unit.write_reg(vtd_reg::IRTA, kIrtBase | (eime ? vtd_reg::IRTA_EIME : 0) | s);
        unit.write_reg(vtd_reg::GCMD, vtd_reg::GCMD_SIRTP);
        unit.write_reg(vtd_reg::IQA, kIqBase);  // QS=0: 256 descriptors
        unit.write_reg(vtd_reg::GCMD, (ire ? vtd_reg::GCMD_IRE : 0) | (cfi ? vtd_reg::GCMD_CFI : 0) |
                                          vtd_reg::GCMD_QIE);
    }
    void set_irte(std::uint32_t index, const vtd::Irte& e) {
        mem.set_agent(PhysMem::Agent::Software);
        mem.write64(kIrtBase + 16 * index, e.lo);
        mem.write64(kIrtBase + 16 * index + 8, e.hi);
    }
    vtd::PidLine pid(std::uint64_t pa) const {
        vtd::PidLine l;
        mem.read(pa, l.data(), 64);
        return l;
    }
    void set_pid_control(std::uint64_t pa, bool on, bool sn, std::uint8_t nv, std::uint32_t ndst) {
        mem.set_agent(PhysMem::Agent::Software);
        mem.write64(pa + 32, (on ? 1ull : 0) | (sn ? 2ull : 0) | (std::uint64_t(nv) << 16) |
                                 (std::uint64_t(ndst) << 32));
    }
    /// Put a descriptor in the queue (not yet visible to hardware).
    void queue_descriptor(std::uint64_t lo, std::uint64_t hi) {
        mem.set_agent(PhysMem::Agent::Software);
        mem.write64(kIqBase + 16 * iq_tail, lo);
        mem.write64(kIqBase + 16 * iq_tail + 8, hi);
        ++iq_tail;
    }
    /// Move IQT to cover every queued descriptor.
    void ring() { unit.write_reg(vtd_reg::IQT, std::uint64_t(iq_tail) << 4); }
};

inline vtd::Irte posted_irte(std::uint8_t vv, std::uint64_t pda, bool urg = false,
                             bool fpd = false) {
    vtd::PostedIrte p;
    p.p = true;
    p.fpd = fpd;
    p.urg = urg;
    p.vv = vv;
    p.pda = pda;
    return vtd::encode_posted_irte(p);
}

inline vtd::Irte remapped_irte(std::uint8_t vector, std::uint32_t dst, bool fpd = false) {
    vtd::RemappedIrte r;
    r.p = true;
    r.fpd = fpd;
    r.vector = vector;
    r.dst = dst;
    return vtd::encode_remapped_irte(r);
}

/// IEC invalidate descriptor [VTD 6.5.2.7].
inline std::uint64_t iec_descriptor(bool index_selective, std::uint32_t im, std::uint16_t iidx) {
    return 4u | (index_selective ? 1u << 4 : 0u) | (std::uint64_t(im) << 27) |
           (std::uint64_t(iidx) << 32);
}
/// Invalidation wait descriptor low word [VTD 6.5.2.8].
inline std::uint64_t wait_descriptor(bool if_, bool sw, bool fn, std::uint32_t status) {
    return 5u | (if_ ? 1u << 4 : 0u) | (sw ? 1u << 5 : 0u) | (fn ? 1u << 6 : 0u) |
           (std::uint64_t(status) << 32);
}

}  // namespace pisim::vtdtest
