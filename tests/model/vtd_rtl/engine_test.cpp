// tests/model/vtd_rtl/engine_test.cpp - VtdRtlEngine in SystemC: memory
// served from PhysMem and the IEC with the profile's latencies, the cycle
// count of every path, the atomic PID read-modify-write, the event order
// (PID write before the result that carries the notification), no activity
// while idle, and the VCD dump [VTD 5.1.4, 5.2.3, 9.10, 9.11].
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <functional>
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

struct RecordingSink : EventSink {
    std::vector<Event> events;
    void emit(const Event& e) override { events.push_back(e); }
};

constexpr std::uint64_t kTable = 0x100000;  // IRTA base, S = 7 (256 entries)
constexpr std::uint64_t kPid = 0x180040;
constexpr std::uint64_t kP = 2, kIecHit = 10, kIrteFetch = 250, kPidRmw = 300;

VtdTiming timing() {
    VtdTiming t;
    t.clock_period = kP;
    t.iec_hit = kIecHit;
    t.irte_fetch = kIrteFetch;
    t.pid_rmw = kPidRmw;
    return t;
}

/// Remappable MSI for `handle` (SHV=0, data 0): what Linux programs.
MsiWrite remappable(std::uint16_t handle, std::uint16_t rid = 0x0300, std::uint64_t tag = 7) {
    MsiWrite w;
    w.address = 0xFEE00000ull | ((handle & 0x7FFFull) << 5) | 0x10 | ((handle >> 15) << 2);
    w.data = 0;
    w.requester_id = rid;
    w.tag = tag;
    return w;
}

SC_MODULE(EngineBench) {
    PhysMem mem;
    RecordingSink sink;
    vtd::InterruptEntryCache iec{16};
    VtdRtlEngine engine;
    VtdRequestConfig cfg;
    std::function<void(EngineBench&)> script;

    EngineBench(sc_core::sc_module_name n, bool use_iec = true, const VtdTiming& t = timing())
        : sc_core::sc_module(n), engine("engine", mem, sink, t, use_iec ? &iec : nullptr) {
        mem.map_ram(0x100000, 0x100000);
        cfg.irta = kTable | (1ull << 11) | 7;  // EIME=1, 256 entries
        cfg.ires = true;
        cfg.cfis = true;
        SC_HAS_PROCESS(EngineBench);
        SC_THREAD(run);
    }
    void run() { script(*this); }

    void put_irte(std::uint32_t index, const vtd::Irte& e) {
        mem.write64(kTable + 16 * index, e.lo);
        mem.write64(kTable + 16 * index + 8, e.hi);
    }
    /// PID with NV, NDST (x2APIC) and control bits ON/SN.
    void put_pid(std::uint64_t at, std::uint8_t nv, std::uint32_t ndst, bool on, bool sn) {
        vtd::PidLine p{};
        p[vtd::kPidControlWord] = (on ? vtd::kPidOn : 0) | (sn ? vtd::kPidSn : 0) |
                                  (std::uint64_t{nv} << 16) | (std::uint64_t{ndst} << 32);
        mem.write(at, p.data(), vtd::kPidBytes);
    }
    vtd::PidLine pid(std::uint64_t at) {
        vtd::PidLine p;
        mem.read(at, p.data(), vtd::kPidBytes);
        return p;
    }
};

vtd::Irte posted_irte(std::uint64_t pda, std::uint8_t vv, bool urg, bool fpd = false) {
    vtd::PostedIrte f;
    f.p = true;
    f.fpd = fpd;
    f.urg = urg;
    f.vv = vv;
    f.pda = pda;
    f.svt = 1;  // requester ID 03:00.0 exactly
    f.sid = 0x0300;
    return vtd::encode_posted_irte(f);
}

vtd::Irte remapped_irte(std::uint32_t dst, std::uint8_t vector) {
    vtd::RemappedIrte f;
    f.p = true;
    f.dm = false;
    f.tm = true;
    f.dlm = 1;
    f.vector = vector;
    f.dst = dst;
    return vtd::encode_remapped_irte(f);
}

TEST(VtdRtlEngine, PostedPathCyclesPidWriteAndNotification) {
    EngineBench b("b");
    b.put_irte(5, posted_irte(kPid, 0x41, false));
    b.put_pid(kPid, 0xF2, 3, false, false);
    std::vector<std::uint64_t> took;
    std::vector<VtdRequestResult> res;
    b.script = [&](EngineBench& t) {
        sc_core::wait(cycles(100));
        for (int i = 0; i < 2; ++i) {
            const std::uint64_t t0 = now_cycles();
            res.push_back(t.engine.process(remappable(5), t.cfg));
            took.push_back(now_cycles() - t0);
        }
    };
    ::pisim::sc_start_bounded();
    ASSERT_EQ(res.size(), 2u);
    // First: IEC miss, 4 RTL cycles + IRTE read + PID line.
    EXPECT_EQ(res[0].remap.outcome, RemapOutcome::Posted);
    EXPECT_EQ(res[0].rtl_cycles, 4u);
    EXPECT_EQ(took[0], 4 * kP + kIrteFetch + kPidRmw);
    EXPECT_FALSE(res[0].iec_hit);
    EXPECT_TRUE(res[0].notify);
    EXPECT_EQ(res[0].nv, 0xF2);
    EXPECT_EQ(res[0].ndst, 3u);
    EXPECT_EQ(res[0].remap.pda, kPid);
    EXPECT_EQ(res[0].remap.posted_vector, 0x41);
    EXPECT_EQ(res[0].old_control & vtd::kPidOn, 0u);
    EXPECT_EQ(res[0].new_control & vtd::kPidOn, vtd::kPidOn);
    // Second: IEC hit; ON already 1, so no notification.
    EXPECT_EQ(res[1].remap.outcome, RemapOutcome::Posted);
    EXPECT_TRUE(res[1].iec_hit);
    EXPECT_EQ(took[1], 4 * kP + kIecHit + kPidRmw);
    EXPECT_FALSE(res[1].notify);
    const vtd::PidLine p = b.pid(kPid);
    EXPECT_EQ(p[1], 1ull << 1);  // vector 0x41 = word 1 bit 1
    EXPECT_EQ(p[vtd::kPidControlWord], vtd::kPidOn | (0xF2ull << 16) | (3ull << 32));
    // Events: fetch when the IRTE arrives, post when the line is written.
    ASSERT_EQ(b.sink.events.size(), 4u);
    const std::uint64_t t0 = 100;
    EXPECT_EQ(b.sink.events[0].kind, EventKind::VtdIrteFetch);
    EXPECT_EQ(b.sink.events[0].cycle, t0 + 2 * kP + kIrteFetch);  // at the second edge
    EXPECT_EQ(b.sink.events[0].b, 0u);  // IEC miss
    EXPECT_EQ(b.sink.events[1].kind, EventKind::VtdPost);
    EXPECT_EQ(b.sink.events[1].cycle, t0 + took[0]);  // at the last edge, with the result
    EXPECT_EQ(b.sink.events[1].a, 5u);
    EXPECT_EQ(b.sink.events[1].b, kPid);
    EXPECT_EQ(b.sink.events[1].c, 0x41u);
    EXPECT_EQ(b.sink.events[1].f, 1u);
    EXPECT_EQ(b.sink.events[1].tag, 7u);
    EXPECT_EQ(b.sink.events[2].kind, EventKind::VtdIrteFetch);
    EXPECT_EQ(b.sink.events[2].b, 1u);  // IEC hit
    EXPECT_EQ(b.sink.events[3].kind, EventKind::VtdPost);
    EXPECT_EQ(b.sink.events[3].f, 0u);
    // Idle costs nothing: nothing is pending after the last request, and
    // simulation ended where the last request did.
    EXPECT_FALSE(sc_core::sc_pending_activity());
    EXPECT_EQ(now_cycles(), t0 + took[0] + took[1]);
    EXPECT_EQ(b.engine.stats().rtl_cycles, 8u);
    EXPECT_EQ(b.engine.stats().requests, 2u);
}

TEST(VtdRtlEngine, RemappedPathCyclesFromMemoryThenFromTheEntryCache) {
    EngineBench b("b");
    b.put_irte(9, remapped_irte(0x12345678, 0x33));
    std::vector<std::uint64_t> took;
    std::vector<VtdRequestResult> res;
    b.script = [&](EngineBench& t) {
        for (int i = 0; i < 2; ++i) {
            const std::uint64_t t0 = now_cycles();
            res.push_back(t.engine.process(remappable(9, 0x1234), t.cfg));
            took.push_back(now_cycles() - t0);
        }
    };
    ::pisim::sc_start_bounded();
    ASSERT_EQ(res.size(), 2u);
    EXPECT_EQ(res[0].remap.outcome, RemapOutcome::Remapped);
    EXPECT_EQ(res[0].rtl_cycles, 2u);
    EXPECT_EQ(took[0], 2 * kP + kIrteFetch);
    EXPECT_EQ(took[1], 2 * kP + kIecHit);
    EXPECT_TRUE(res[1].iec_hit);
    EXPECT_EQ(res[0].remap.dest, 0x12345678u);  // EIME=1: all 32 bits
    EXPECT_EQ(res[0].remap.vector, 0x33);
    EXPECT_EQ(res[0].remap.delivery_mode, 1);
    EXPECT_TRUE(res[0].remap.level_triggered);
    EXPECT_FALSE(res[0].remap.dest_logical);
    EXPECT_EQ(res[0].remap.index, 9u);
    EXPECT_EQ(res[1].remap.dest, 0x12345678u);
}

TEST(VtdRtlEngine, WithoutEntryCacheEveryRequestReadsTheTable) {
    EngineBench b("b", false);
    b.put_irte(9, remapped_irte(0x12345678, 0x33));
    std::vector<std::uint64_t> took;
    b.script = [&](EngineBench& t) {
        for (int i = 0; i < 2; ++i) {
            const std::uint64_t t0 = now_cycles();
            const VtdRequestResult r = t.engine.process(remappable(9), t.cfg);
            EXPECT_FALSE(r.iec_hit);
            took.push_back(now_cycles() - t0);
        }
    };
    ::pisim::sc_start_bounded();
    ASSERT_EQ(took.size(), 2u);
    EXPECT_EQ(took[0], 2 * kP + kIrteFetch);
    EXPECT_EQ(took[1], 2 * kP + kIrteFetch);
}

TEST(VtdRtlEngine, FaultPathsCyclesAndRecording) {
    EngineBench b("b");
    b.put_irte(1, posted_irte(0x7000000040ull, 0x20, false, /*fpd=*/true));  // PID outside RAM
    b.put_irte(2, posted_irte(kPid, 0x20, false, /*fpd=*/false));
    b.put_pid(kPid, 0xF2, 3, false, false);
    vtd::PidLine bad = b.pid(kPid);
    bad[6] = 1;  // reserved PID bit
    b.mem.write(kPid, bad.data(), vtd::kPidBytes);
    struct Step {
        MsiWrite w;
        VtdRequestConfig cfg;
        VtdRequestResult r;
        std::uint64_t took;
    };
    std::vector<Step> steps;
    b.script = [&](EngineBench& t) {
        auto go = [&](const MsiWrite& w, const VtdRequestConfig& c) {
            const std::uint64_t t0 = now_cycles();
            Step s{w, c, t.engine.process(w, c), 0};
            s.took = now_cycles() - t0;
            steps.push_back(s);
        };
        go(remappable(300), t.cfg);  // 0: index 300 >= 256 -> 0x21
        MsiWrite compat;
        compat.address = 0xFEE01000;
        go(compat, t.cfg);           // 1: compatibility with EIME=1 -> 0x25
        VtdRequestConfig far = t.cfg;
        far.irta = 0x40000000ull | (1ull << 11) | 7;  // table outside RAM
        go(remappable(3), far);      // 2: -> 0x23
        go(remappable(1), t.cfg);    // 3: PID outside RAM, FPD=1 -> 0x27 suppressed
        go(remappable(2), t.cfg);    // 4: reserved PID bit -> 0x28 recorded
        MsiWrite rsv = remappable(2);
        rsv.data = 0x10000;
        go(rsv, t.cfg);              // 5: data 31:16 reserved -> 0x20
    };
    ::pisim::sc_start_bounded();
    ASSERT_EQ(steps.size(), 6u);
    auto fault = [&](unsigned i, VtdFaultReason why, bool recorded, std::uint64_t took) {
        SCOPED_TRACE(i);
        EXPECT_EQ(steps[i].r.remap.outcome, RemapOutcome::Fault);
        EXPECT_EQ(steps[i].r.remap.fault, why);
        EXPECT_EQ(steps[i].r.remap.fault_recorded, recorded);
        EXPECT_EQ(steps[i].took, took);
    };
    fault(0, VtdFaultReason::IndexBeyondTable, true, kP);
    fault(1, VtdFaultReason::CompatBlocked, true, kP);
    fault(2, VtdFaultReason::TableAccess, true, 2 * kP);
    fault(3, VtdFaultReason::PidAccess, false, 3 * kP + kIrteFetch + kPidRmw);
    fault(4, VtdFaultReason::ReservedPid, true, 3 * kP + kIrteFetch + kPidRmw);
    fault(5, VtdFaultReason::ReservedRequest, true, kP);
    // Nothing was written to the faulting PID.
    EXPECT_EQ(b.pid(kPid), bad);
    for (const Event& e : b.sink.events) EXPECT_NE(e.kind, EventKind::VtdPost);
}

TEST(VtdRtlEngine, PidWrittenByAnotherAgentInsideTheRmwIsReadAgain) {
    EngineBench b("b");
    b.put_irte(5, posted_irte(kPid, 0x41, false));
    b.put_pid(kPid, 0xF2, 3, false, false);
    VtdRequestResult res;
    std::uint64_t took = 0;
    // The RMW reads the line at the third edge, cycle 556 (3 P + irte_fetch
    // + pid_rmw); the write is due at the fourth, 558. The CPU sets PIR bit
    // 0x80 in between.
    const std::uint64_t read_at = 3 * kP + kIrteFetch + kPidRmw;
    b.script = [&](EngineBench& t) {
        const std::uint64_t t0 = now_cycles();
        res = t.engine.process(remappable(5), t.cfg);
        took = now_cycles() - t0;
    };
    struct Cpu : sc_core::sc_module {
        EngineBench& b;
        std::uint64_t at;
        Cpu(sc_core::sc_module_name n, EngineBench& bb, std::uint64_t a)
            : sc_core::sc_module(n), b(bb), at(a) {
            SC_HAS_PROCESS(Cpu);
            SC_THREAD(run);
        }
        void run() {
            wait(cycles(at));
            b.mem.set_agent(PhysMem::Agent::Cpu);
            b.mem.write64(kPid + 16, 1);  // PIR bit 0x80
        }
    } cpu("cpu", b, read_at + 1);
    ::pisim::sc_start_bounded();
    EXPECT_EQ(res.remap.outcome, RemapOutcome::Posted);
    EXPECT_EQ(res.pid_retries, 1u);
    EXPECT_EQ(took, 4 * kP + kIrteFetch + kPidRmw + 2 * kP + kPidRmw);
    const vtd::PidLine p = b.pid(kPid);
    EXPECT_EQ(p[2], 1u);          // the CPU's write survived
    EXPECT_EQ(p[1], 1ull << 1);   // and the posted vector 0x41 is set
    EXPECT_TRUE(res.notify);
    EXPECT_EQ(b.engine.stats().pid_retries, 1u);
}

TEST(VtdRtlEngine, RemappingDisabledPassesTheRequestThrough) {
    EngineBench b("b");
    VtdRequestResult res;
    b.script = [&](EngineBench& t) {
        VtdRequestConfig off = t.cfg;
        off.ires = false;
        MsiWrite w;
        w.address = 0xFEE0300Cull | 0x10;  // dest 3, RH, DM; bit 4 ignored
        w.data = 0x8000 | (2 << 8) | 0x55;
        res = t.engine.process(w, off);
    };
    ::pisim::sc_start_bounded();
    EXPECT_EQ(res.remap.outcome, RemapOutcome::Compatibility);
    EXPECT_EQ(res.remap.dest, 3u);
    EXPECT_TRUE(res.remap.dest_logical);
    EXPECT_TRUE(res.remap.rh);
    EXPECT_TRUE(res.remap.level_triggered);
    EXPECT_EQ(res.remap.delivery_mode, 2);
    EXPECT_EQ(res.remap.vector, 0x55);
    EXPECT_EQ(res.rtl_cycles, 1u);
    EXPECT_FALSE(res.irte_fetched);
}

TEST(VtdRtlEngine, ClockPeriodScalesEveryEdge) {
    VtdTiming t = timing();
    t.clock_period = 5;  // odd: high 2, low 3
    EngineBench b("b", true, t);
    b.put_irte(5, posted_irte(kPid, 0x41, false));
    b.put_irte(9, remapped_irte(7, 0x33));
    b.put_pid(kPid, 0xF2, 3, false, false);
    std::vector<std::uint64_t> took;
    b.script = [&](EngineBench& s) {
        for (std::uint16_t h : {5, 9, 300}) {
            const std::uint64_t t0 = now_cycles();
            s.engine.process(remappable(h), s.cfg);
            took.push_back(now_cycles() - t0);
        }
    };
    ::pisim::sc_start_bounded();
    ASSERT_EQ(took.size(), 3u);
    EXPECT_EQ(took[0], 4 * 5 + kIrteFetch + kPidRmw);  // posted
    EXPECT_EQ(took[1], 2 * 5 + kIrteFetch);            // remapped
    EXPECT_EQ(took[2], 5u);                            // 0x21
    EXPECT_EQ(b.sink.events[0].cycle, 2 * 5 + kIrteFetch);  // IRTE at the second edge
}

TEST(VtdRtlEngine, VcdDumpOfTheRtlSignals) {
    const std::string path = ::testing::TempDir() + "vtd_rtl_engine_test.vcd";
    std::remove(path.c_str());
    {
        EngineBench b("b");
        b.put_irte(5, posted_irte(kPid, 0x41, true));
        b.put_pid(kPid, 0xF2, 3, false, true);
        b.engine.trace_vcd(path);
        b.script = [&](EngineBench& t) {
            const VtdRequestResult r = t.engine.process(remappable(5), t.cfg);
            EXPECT_TRUE(r.notify);  // URG=1 overrides SN=1
            sc_core::wait(cycles(10));  // a time step is dumped once time moves on
        };
        ::pisim::sc_start_bounded();
    }
    std::ifstream in(path);
    ASSERT_TRUE(in.good()) << path;
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string vcd = ss.str();
    EXPECT_NE(vcd.find("$enddefinitions"), std::string::npos);
    EXPECT_NE(vcd.find(" clk "), std::string::npos);
    EXPECT_NE(vcd.find("mem_req_valid"), std::string::npos);
    // Edges of the four cycles (the time unit is one core cycle, written as
    // 1ps): rising at P, 2 P + irte_fetch, 3 P + irte_fetch + pid_rmw, P
    // later (the result); the first falling edge P/2 after the first rising.
    const std::uint64_t e3 = 3 * kP + kIrteFetch + kPidRmw;
    for (std::uint64_t edge : {kP, kP + kP / 2, 2 * kP + kIrteFetch, e3, e3 + kP})
        EXPECT_NE(vcd.find("\n#" + std::to_string(edge) + "\n"), std::string::npos) << edge;
}

}  // namespace
}  // namespace pisim
