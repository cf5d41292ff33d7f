// tests/model/vtd_rtl/engine_random_test.cpp - VtdRtlEngine on machine memory
// against the C++ request path on a second copy of it [VTD 5.1.4, 5.2.3,
// 9.10, 9.11]: the same table of random IRTEs and PIDs, the same
// requests, an interrupt entry cache on each side, software rewriting IRTEs
// (with and without invalidating the cache). The reference follows
// VtdUnit::Impl::process_interrupt_request: check_interrupt_request, IEC or
// 128-bit read (0x23 outside RAM; fill when present and reserved-clean),
// process_irte, post_interrupt. Every result field and the PID lines after
// each request are compared. Fixed seed.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <random>
#include <sstream>
#include <string>
#include <systemc>
#include <vector>

#include "model/common/cycles.h"
#include "model/common/phys_mem.h"
#include "model/common/trace.h"
#include "model/vtd/iec.h"
#include "model/vtd/irte.h"
#include "model/vtd/posting.h"
#include "model/vtd/rtl/vtd_rtl_engine.h"
#include "tests/model/sim_bound.h"

namespace pisim {
namespace {

using vtd::RemapOutcome;

constexpr std::uint64_t kSeed = 0x454E47494E453031ull;
constexpr unsigned kRequests = 20000;
constexpr std::uint64_t kTable = 0x100000;  // 4 KiB: up to 256 entries
constexpr std::uint64_t kPids = 0x200000;   // 64 PID lines
constexpr unsigned kPidCount = 64;
constexpr std::uint32_t kIecEntries = 8;

struct Rng {
    std::mt19937_64 g;
    explicit Rng(std::uint64_t s) : g(s) {}
    std::uint64_t u64() { return g(); }
    std::uint64_t below(std::uint64_t n) { return g() % n; }
    bool bit() { return g() & 1; }
    bool one_in(std::uint64_t n) { return below(n) == 0; }
};

struct NullEvents : EventSink {
    void emit(const Event&) override {}
};

/// The C++ request path of VtdUnit, untimed.
struct Reference {
    PhysMem& mem;
    vtd::InterruptEntryCache iec{kIecEntries};

    VtdRequestResult process(const MsiWrite& w, const VtdRequestConfig& cfg) {
        VtdRequestResult out;
        const bool eime = cfg.irta & (1ull << 11);
        if (!cfg.ires) {
            out.remap = vtd::check_interrupt_request(w.address & ~0x10ull, w.data, 0, false, true);
            return out;
        }
        const vtd::RemapResult first = vtd::check_interrupt_request(
            w.address, w.data, vtd::irta_table_entries(cfg.irta), eime, cfg.cfis);
        if (first.outcome != RemapOutcome::IrteNeeded) {
            out.remap = first;
            return out;
        }
        vtd::Irte e;
        if (iec.lookup(first.index, e)) {
            out.iec_hit = true;
        } else {
            const std::uint64_t at = (cfg.irta & ~0xFFFull) + 16 * first.index;
            if (!mem.is_ram(at, 16)) {
                out.remap.outcome = RemapOutcome::Fault;
                out.remap.fault = VtdFaultReason::TableAccess;
                out.remap.fault_recorded = true;
                out.remap.index = first.index;
                return out;
            }
            e.lo = mem.read64(at);
            e.hi = mem.read64(at + 8);
            if (vtd::irte_present(e) && !vtd::irte_reserved_fields_set(e, eime)) iec.fill(first.index, e);
        }
        out.irte_fetched = true;
        out.irte = e;
        out.remap = vtd::process_irte(first.index, e, w.requester_id, eime);
        if (out.remap.outcome != RemapOutcome::Posted) return out;
        const vtd::PostingResult p =
            vtd::post_interrupt(mem, out.remap.pda, out.remap.posted_vector, out.remap.urgent, eime);
        if (p.faulted) {
            out.remap.outcome = RemapOutcome::Fault;
            out.remap.fault = p.fault;
            out.remap.fault_recorded = !(out.remap.fpd && vtd::fault_is_fpd_qualified(p.fault));
            return out;
        }
        out.old_control = p.old_control;
        out.new_control = p.new_control;
        out.notify = p.notify;
        out.nv = p.nv;
        out.ndst = p.ndst;
        return out;
    }
};

vtd::Irte random_irte(Rng& g, bool eime) {
    std::uint64_t pda = kPids + 64 * g.below(kPidCount);
    if (g.one_in(16)) pda = 0x7000000000ull + 64 * g.below(1024);  // not RAM: 0x27
    if (g.bit()) {
        vtd::PostedIrte f;
        f.p = !g.one_in(16);
        f.fpd = g.one_in(4);
        f.urg = g.one_in(4);
        f.vv = static_cast<std::uint8_t>(g.below(256));
        f.pda = pda;
        f.svt = g.one_in(8) ? 1 : 0;
        f.sid = static_cast<std::uint16_t>(g.below(4));
        vtd::Irte e = vtd::encode_posted_irte(f);
        if (g.one_in(16)) e.lo |= 1ull << (24 + g.below(14));  // reserved 37:24
        return e;
    }
    vtd::RemappedIrte f;
    f.p = !g.one_in(16);
    f.fpd = g.one_in(4);
    f.dm = g.bit();
    f.tm = g.bit();
    f.dlm = static_cast<std::uint8_t>(g.below(8));
    f.vector = static_cast<std::uint8_t>(g.below(256));
    f.dst = eime ? static_cast<std::uint32_t>(g.u64()) : static_cast<std::uint32_t>(g.below(256) << 8);
    f.svt = g.one_in(8) ? 1 : 0;
    f.sid = static_cast<std::uint16_t>(g.below(4));
    vtd::Irte e = vtd::encode_remapped_irte(f);
    if (g.one_in(16)) e.hi |= 1ull << (20 + g.below(44));  // reserved 127:84
    return e;
}

vtd::PidLine random_pid(Rng& g) {
    vtd::PidLine p{};
    for (unsigned i = 0; i < 4; ++i) p[i] = g.one_in(2) ? 0 : g.u64();
    p[4] = (g.bit() ? vtd::kPidOn : 0) | (g.bit() ? vtd::kPidSn : 0) | (g.below(256) << 16) |
           (g.u64() << 32);
    if (g.one_in(16)) p[5 + g.below(3)] = 1;  // reserved: 0x28
    return p;
}

SC_MODULE(RandomBench) {
    PhysMem mem, ref_mem;
    NullEvents sink;
    vtd::InterruptEntryCache iec{kIecEntries};
    VtdRtlEngine engine;
    Reference ref{ref_mem};
    unsigned requests = 0, mismatches = 0, posted = 0, remapped = 0, faults = 0, hits = 0;
    std::vector<std::string> first;

    static VtdTiming timing() {
        VtdTiming t;
        t.clock_period = 2;
        t.iec_hit = 10;
        t.irte_fetch = 250;
        t.pid_rmw = 300;
        return t;
    }

    SC_CTOR(RandomBench) : engine("engine", mem, sink, timing(), &iec) {
        for (PhysMem* m : {&mem, &ref_mem}) {
            m->map_ram(kTable, 0x1000);
            m->map_ram(kPids, 0x1000);
        }
        SC_THREAD(run);
    }

    void both_write(std::uint64_t at, const void* p, std::size_t n) {
        mem.write(at, p, n);
        ref_mem.write(at, p, n);
    }

    void run() {
        Rng g(kSeed);
        for (unsigned i = 0; i < 256; ++i) {
            const vtd::Irte e = random_irte(g, g.bit());
            both_write(kTable + 16 * i, &e, 16);
        }
        for (unsigned i = 0; i < kPidCount; ++i) {
            const vtd::PidLine p = random_pid(g);
            both_write(kPids + 64 * i, p.data(), 64);
        }
        for (unsigned n = 0; n < kRequests; ++n) {
            // Software: rewrite an IRTE (sometimes invalidating the cache),
            // reset a PID line.
            if (g.one_in(8)) {
                const vtd::Irte e = random_irte(g, g.bit());
                both_write(kTable + 16 * g.below(256), &e, 16);
                if (g.bit()) {
                    iec.invalidate_global();
                    ref.iec.invalidate_global();
                }
            }
            if (g.one_in(4)) {
                const vtd::PidLine p = random_pid(g);
                both_write(kPids + 64 * g.below(kPidCount), p.data(), 64);
            }
            VtdRequestConfig cfg;
            // Mostly 256 or 512 entries (the upper 256 not in RAM: 0x23).
            const unsigned s = static_cast<unsigned>(g.one_in(4) ? g.below(9) : 7 + g.below(2));
            cfg.irta = kTable | (g.bit() ? (1ull << 11) : 0) | s;
            cfg.ires = !g.one_in(50);
            cfg.cfis = g.bit();
            MsiWrite w;
            if (g.one_in(10)) {
                w.address = 0xFEE00000ull | (g.u64() & 0xFFFEFull);
                w.data = static_cast<std::uint32_t>(g.u64() & 0xFFFF);
            } else {
                // A few hot entries (IEC hits), any entry, or beyond the table.
                const std::uint32_t index = static_cast<std::uint32_t>(
                    g.one_in(8) ? g.below(600) : g.bit() ? g.below(6) : g.below(256));
                w.address = 0xFEE00000ull | ((index & 0x7FFFull) << 5) | 0x10;
                w.data = g.one_in(40) ? 0x10000u : 0u;
            }
            w.requester_id = static_cast<std::uint16_t>(g.below(4));
            w.tag = n + 1;
            const VtdRequestResult a = engine.process(w, cfg);
            const VtdRequestResult b = ref.process(w, cfg);
            compare(n, w, a, b);
            ++requests;
        }
    }

    void compare(unsigned n, const MsiWrite& w, const VtdRequestResult& a, const VtdRequestResult& b) {
        std::ostringstream o;
        auto field = [&](const char* name, std::uint64_t x, std::uint64_t y) {
            if (x != y) o << " " << name << ": rtl " << std::hex << x << " ref " << y;
        };
        field("outcome", static_cast<unsigned>(a.remap.outcome), static_cast<unsigned>(b.remap.outcome));
        field("irte fetched", a.irte_fetched, b.irte_fetched);
        if (a.irte_fetched && b.irte_fetched) {
            field("iec hit", a.iec_hit, b.iec_hit);
            field("irte lo", a.irte.lo, b.irte.lo);
            field("irte hi", a.irte.hi, b.irte.hi);
        }
        switch (b.remap.outcome) {
            case RemapOutcome::Fault:
                ++faults;
                field("fault", static_cast<unsigned>(a.remap.fault), static_cast<unsigned>(b.remap.fault));
                field("recorded", a.remap.fault_recorded, b.remap.fault_recorded);
                field("index", a.remap.index, b.remap.index);
                break;
            case RemapOutcome::Compatibility:
            case RemapOutcome::Remapped:
                ++remapped;
                field("dest", a.remap.dest, b.remap.dest);
                field("dm", a.remap.dest_logical, b.remap.dest_logical);
                field("tm", a.remap.level_triggered, b.remap.level_triggered);
                field("dlm", a.remap.delivery_mode, b.remap.delivery_mode);
                field("vector", a.remap.vector, b.remap.vector);
                break;
            case RemapOutcome::Posted:
                ++posted;
                field("pda", a.remap.pda, b.remap.pda);
                field("old control", a.old_control, b.old_control);
                field("new control", a.new_control, b.new_control);
                field("notify", a.notify, b.notify);
                field("nv", a.nv, b.nv);
                field("ndst", a.ndst, b.ndst);
                break;
            default:
                o << " reference outcome not final";
        }
        if (a.iec_hit) ++hits;
        for (unsigned i = 0; i < kPidCount; ++i) {
            vtd::PidLine x, y;
            mem.read(kPids + 64 * i, x.data(), 64);
            ref_mem.read(kPids + 64 * i, y.data(), 64);
            if (x != y) o << " PID line " << i << " differs";
        }
        if (!o.str().empty()) {
            ++mismatches;
            if (first.size() < 10) {
                std::ostringstream d;
                d << "request " << n << std::hex << " address " << w.address << " data " << w.data
                  << ":" << o.str();
                first.push_back(d.str());
            }
        }
    }
};

TEST(VtdRtlEngineRandom, TwentyThousandRequestsOnMemoryMatchTheCppPath) {
    RandomBench b("b");
    ::pisim::sc_start_bounded();
    EXPECT_EQ(b.requests, kRequests);
    for (const auto& m : b.first) ADD_FAILURE() << m;
    EXPECT_EQ(b.mismatches, 0u);
    std::printf("  posted %u, remapped/compatibility %u, faults %u, IEC hits %u\n", b.posted,
                b.remapped, b.faults, b.hits);
    EXPECT_GT(b.posted, 1000u);
    EXPECT_GT(b.remapped, 1000u);
    EXPECT_GT(b.faults, 1000u);
    EXPECT_GT(b.hits, 1000u);
}

}  // namespace
}  // namespace pisim
