// tests/model/vtd_rtl/lockstep_test.cpp - the verilated vtd_irq_path driven
// directly (no PhysMem, no latencies) in lockstep with the C++ model's pure
// functions [VTD 5.1.4, 9.10, 9.11, 9.12]: check_interrupt_request,
// process_irte, pid_reserved_bits_set, pid_post, pid_nv, pid_ndst and the
// FPD rule. 100,000 random requests from a fixed seed; every output field
// compared, the memory accesses the RTL asks for, and the time each request
// takes: the RTL's clocks and core cycles (P per clock plus the latency of
// each memory access, random per request, added to the clock that waits for
// it, as VtdRtlEngine serves them) against the C++ model's clock schedule,
// vtd::request_clocks and vtd::request_cycles (model/vtd/request_timing.h),
// which the C++ request path charges. The bench evaluates the model itself
// at each clock edge (vtd_irq_path_eval), as VtdRtlEngine does.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <systemc>
#include <vector>

#include "model/common/cycles.h"
#include "model/vtd/irte.h"
#include "model/vtd/posting.h"
#include "model/vtd/request_timing.h"
#include "model/vtd/rtl/vtd_irq_path_signals.h"
#include "tests/model/sim_bound.h"

namespace pisim {
namespace {

using vtd::Irte;
using vtd::PidLine;
using vtd::RemapOutcome;
using vtd::RemapResult;

constexpr std::uint64_t kSeed = 0x5654442D52544C31ull;  // fixed: deterministic
constexpr unsigned kRequests = 100000;

/// Random values from one seeded generator, derived by hand (no std::*_distribution).
struct Rng {
    std::mt19937_64 g;
    explicit Rng(std::uint64_t seed) : g(seed) {}
    std::uint64_t u64() { return g(); }
    std::uint64_t below(std::uint64_t n) { return g() % n; }  // n > 0
    bool bit() { return g() & 1; }
    bool one_in(std::uint64_t n) { return below(n) == 0; }
};

/// The kinds of request the generator aims at.
enum class Aim : unsigned {
    Remapped, Posted, Compat, ReservedRequest, IndexBeyond, NotPresent, ReservedIrte,
    SourceId, IrteAccess, PidAccess, ReservedPid, RandomIrte, Count
};

/// One request with the memory the RTL will see.
struct Case {
    Aim aim = Aim::Remapped;
    std::uint64_t irta = 0;
    bool ires = true, cfis = true;
    std::uint64_t address = 0;
    std::uint32_t data = 0;
    std::uint16_t requester_id = 0;
    Irte irte;
    bool irte_error = false;  // the IRTE read fails (0x23)
    PidLine pid{};
    bool pid_error = false;   // the PID read fails (0x27)
    bool retry = false;       // refuse the first PID write; the line is then pid_again
    PidLine pid_again{};
    VtdTiming timing;         // clock period and memory latencies of this request
    std::uint64_t irte_latency = 0;  // iec_hit or irte_fetch: the IRTE's source
};

/// What the C++ model says, and the accesses it implies.
struct Expected {
    RemapResult r;
    bool irte_read = false;
    std::uint64_t irte_address = 0;
    bool pid_read = false;
    std::uint64_t pda = 0;
    std::uint8_t posted_vector = 0;
    bool urgent = false;
    bool pid_written = false;
    PidLine pid_new{};
    std::uint64_t old_control = 0, new_control = 0;
    bool notify = false;
    std::uint8_t nv = 0;
    std::uint32_t ndst = 0;
    // The C++ model's clock schedule (request_timing.h).
    vtd::RequestEnd end = vtd::RequestEnd::RequestChecks;
    std::uint32_t pid_retries = 0;
    std::uint64_t irte_latency = 0;  // 0 when the IRTE read fails (0x23)
};

bool eime_of(const Case& c) { return c.irta & (1ull << 11); }

Expected run_model(const Case& c) {
    Expected x;
    const bool eime = eime_of(c);
    if (!c.ires) {
        // Remapping disabled: compatibility handling of every request [VTD 5.1].
        x.r = vtd::check_interrupt_request(c.address & ~0x10ull, c.data, 0, false, true);
        return x;
    }
    x.r = vtd::check_interrupt_request(c.address, c.data, vtd::irta_table_entries(c.irta), eime,
                                       c.cfis);
    if (x.r.outcome != RemapOutcome::IrteNeeded) return x;
    x.irte_read = true;
    x.end = vtd::RequestEnd::IrteChecks;
    x.irte_address = (c.irta & ~0xFFFull) + vtd::kIrteBytes * x.r.index;
    if (c.irte_error) {
        const std::uint32_t index = x.r.index;
        x.r = RemapResult{};
        x.r.outcome = RemapOutcome::Fault;
        x.r.fault = VtdFaultReason::TableAccess;
        x.r.fault_recorded = true;
        x.r.index = index;
        return x;
    }
    x.irte_latency = c.irte_latency;
    x.r = vtd::process_irte(x.r.index, c.irte, c.requester_id, eime);
    if (x.r.outcome != RemapOutcome::Posted) return x;
    x.pid_read = true;
    x.end = vtd::RequestEnd::PidChecks;
    x.pda = x.r.pda;
    x.posted_vector = x.r.posted_vector;
    x.urgent = x.r.urgent;
    auto fault = [&](VtdFaultReason why) {
        x.r.outcome = RemapOutcome::Fault;
        x.r.fault = why;
        x.r.fault_recorded = !(x.r.fpd && vtd::fault_is_fpd_qualified(why));
    };
    if (c.pid_error) {
        fault(VtdFaultReason::PidAccess);
        return x;
    }
    // A refused write (the first line was good) reads the line again.
    x.pid_retries = c.retry ? 1 : 0;
    PidLine line = c.retry ? c.pid_again : c.pid;
    if (vtd::pid_reserved_bits_set(line)) {
        fault(VtdFaultReason::ReservedPid);
        return x;
    }
    x.old_control = line[vtd::kPidControlWord];
    x.notify = vtd::pid_post(line, x.posted_vector, x.urgent);
    x.new_control = line[vtd::kPidControlWord];
    x.nv = vtd::pid_nv(x.new_control);
    x.ndst = vtd::pid_ndst(x.new_control, eime);
    x.pid_written = true;
    x.end = vtd::RequestEnd::PidWrite;
    x.pid_new = line;
    return x;
}

// ---- generator ----

PidLine valid_pid(Rng& g) {
    PidLine p{};
    for (unsigned i = 0; i < 4; ++i) p[i] = g.one_in(4) ? 0 : g.u64();
    p[vtd::kPidControlWord] = (g.bit() ? vtd::kPidOn : 0) | (g.bit() ? vtd::kPidSn : 0) |
                              (g.below(256) << 16) | (g.u64() << 32);
    return p;
}

void set_reserved_pid_bit(Rng& g, PidLine& p) {
    if (g.bit()) {
        for (;;) {
            const unsigned b = static_cast<unsigned>(g.below(32));
            if (vtd::kPidControlReserved & (1ull << b)) {
                p[vtd::kPidControlWord] |= 1ull << b;
                return;
            }
        }
    }
    p[5 + g.below(3)] |= 1ull << g.below(64);
}

/// Sets one random bit that `mask` marks.
void set_masked_bit(Rng& g, Irte& e, const Irte& mask) {
    for (;;) {
        const unsigned b = static_cast<unsigned>(g.below(128));
        const std::uint64_t m = b < 64 ? mask.lo : mask.hi;
        if (m & (1ull << (b % 64))) {
            (b < 64 ? e.lo : e.hi) |= 1ull << (b % 64);
            return;
        }
    }
}

/// SID/SQ/SVT and a requester ID that passes verification (or, with
/// `fail`, one chosen at random that usually does not).
void source_id(Rng& g, std::uint16_t& sid, std::uint8_t& sq, std::uint8_t& svt,
               std::uint16_t& rid, bool fail) {
    svt = static_cast<std::uint8_t>(g.below(3));
    sq = static_cast<std::uint8_t>(g.below(4));
    sid = static_cast<std::uint16_t>(g.u64());
    if (svt == 2) {
        unsigned lo = static_cast<unsigned>(g.below(256)), hi = static_cast<unsigned>(g.below(256));
        if (lo > hi && !g.one_in(4)) std::swap(lo, hi);  // mostly a proper range
        sid = static_cast<std::uint16_t>((lo << 8) | hi);
        const unsigned bus = lo <= hi ? lo + static_cast<unsigned>(g.below(hi - lo + 1)) : lo;
        rid = static_cast<std::uint16_t>((bus << 8) | g.below(256));
    } else {
        static constexpr std::uint16_t kIgnored[4] = {0x0, 0x4, 0x6, 0x7};
        rid = static_cast<std::uint16_t>(sid ^ (g.u64() & kIgnored[sq]));
    }
    if (fail) {
        if (svt == 0) svt = static_cast<std::uint8_t>(1 + g.below(2));
        rid = static_cast<std::uint16_t>(g.u64());
        if (g.bit()) rid = static_cast<std::uint16_t>(sid ^ (1u << (3 + g.below(13))));
    }
}

Case generate(Rng& g) {
    Case c;
    c.aim = static_cast<Aim>(g.below(static_cast<unsigned>(Aim::Count)));
    const bool eime = g.bit();
    const unsigned s = static_cast<unsigned>(g.below(16));
    c.irta = (g.u64() & ~0xFFFull) | (eime ? (1ull << 11) : 0) | s;
    c.ires = !g.one_in(40);
    c.cfis = g.bit();
    const std::uint32_t entries = 1u << (s + 1);

    // The request.
    if (c.aim == Aim::Compat) {
        c.address = 0xFEE00000ull | (g.u64() & 0xFFFEFull);  // bit 4 = 0
        c.data = static_cast<std::uint32_t>(g.one_in(4) ? g.u64() : (g.u64() & 0xFFFF));
    } else {
        std::uint32_t index;
        if (c.aim == Aim::IndexBeyond && entries < 0x1FFFF)
            index = entries + static_cast<std::uint32_t>(g.below(0x1FFFF - entries));
        else
            index = static_cast<std::uint32_t>(g.below(entries));
        bool shv = g.bit() || index > 0xFFFF;
        std::uint32_t handle = index, sub = static_cast<std::uint32_t>(g.below(0x10000));
        if (shv) {
            const std::uint32_t lo = index > 0xFFFF ? index - 0xFFFF : 0;
            sub = lo + static_cast<std::uint32_t>(g.below(std::min(index, 0xFFFFu) - lo + 1));
            handle = index - sub;
        }
        c.address = 0xFEE00000ull | ((handle & 0x7FFFull) << 5) | 0x10 | (shv ? 0x8 : 0) |
                    ((handle >> 15) << 2) | g.below(4);
        if (g.one_in(8)) c.address |= g.u64() << 32;  // not decoded
        c.data = sub;
        if (c.aim == Aim::ReservedRequest) c.data |= static_cast<std::uint32_t>(1 + g.below(0xFFFF)) << 16;
    }

    // The IRTE: remapped or posted, valid, then the aimed-at defect.
    const bool posted = c.aim == Aim::Posted || c.aim == Aim::PidAccess ||
                        c.aim == Aim::ReservedPid || g.bit();
    std::uint16_t sid;
    std::uint8_t sq, svt;
    source_id(g, sid, sq, svt, c.requester_id, c.aim == Aim::SourceId);
    if (posted) {
        vtd::PostedIrte f;
        f.p = true;
        f.fpd = g.bit();
        f.avail = static_cast<std::uint8_t>(g.below(16));
        f.urg = g.bit();
        f.vv = static_cast<std::uint8_t>(g.below(256));
        f.pda = g.u64() & ~63ull;
        f.sid = sid;
        f.sq = sq;
        f.svt = svt;
        c.irte = vtd::encode_posted_irte(f);
    } else {
        vtd::RemappedIrte f;
        f.p = true;
        f.fpd = g.bit();
        f.dm = g.bit();
        f.rh = g.bit();
        f.tm = g.bit();
        f.dlm = static_cast<std::uint8_t>(g.below(8));
        f.avail = static_cast<std::uint8_t>(g.below(16));
        f.vector = static_cast<std::uint8_t>(g.below(256));
        f.dst = eime ? static_cast<std::uint32_t>(g.u64()) : static_cast<std::uint32_t>(g.below(256) << 8);
        f.sid = sid;
        f.sq = sq;
        f.svt = svt;
        c.irte = vtd::encode_remapped_irte(f);
    }
    switch (c.aim) {
        case Aim::NotPresent:
            c.irte.lo &= ~1ull;
            if (g.bit()) set_masked_bit(g, c.irte, vtd::posted_irte_reserved_mask());
            break;
        case Aim::ReservedIrte:
            if (g.one_in(6)) {
                c.irte.hi |= 3ull << 18;  // SVT = 11b
            } else {
                // The format's mask; for the remapped format sometimes the other
                // EIME's mask (the xAPIC-only bits are legal under EIME=1).
                const bool other = g.one_in(4);
                set_masked_bit(g, c.irte,
                               posted ? vtd::posted_irte_reserved_mask()
                                      : vtd::remapped_irte_reserved_mask(other ? !eime : eime));
            }
            break;
        case Aim::IrteAccess:
            c.irte_error = true;
            break;
        case Aim::RandomIrte:
            c.irte.lo = g.u64();
            c.irte.hi = g.u64();
            if (g.bit()) c.irte.lo |= 1;
            break;
        default:
            break;
    }

    // The PID line.
    c.pid = valid_pid(g);
    if (c.aim == Aim::PidAccess) c.pid_error = true;
    if (c.aim == Aim::ReservedPid) set_reserved_pid_bit(g, c.pid);
    if (c.aim == Aim::Posted && g.one_in(8)) {
        // Another agent writes the line inside the RMW: the write is refused.
        c.retry = true;
        c.pid_again = valid_pid(g);
        if (g.one_in(4)) set_reserved_pid_bit(g, c.pid_again);
    }

    // Timing: a clock period and memory latencies (0 now and then).
    c.timing.clock_period = 2 + g.below(8);
    c.timing.iec_hit = g.one_in(8) ? 0 : g.below(40);
    c.timing.irte_fetch = g.one_in(8) ? 0 : g.below(600);
    c.timing.pid_rmw = g.one_in(8) ? 0 : g.below(600);
    c.irte_latency = g.bit() ? c.timing.iec_hit : c.timing.irte_fetch;
    return c;
}

std::string describe(const Case& c) {
    std::ostringstream o;
    o << std::hex << "aim=" << static_cast<unsigned>(c.aim) << " irta=" << c.irta
      << " ires=" << c.ires << " cfis=" << c.cfis << " address=" << c.address
      << " data=" << c.data << " rid=" << c.requester_id << " irte=" << c.irte.hi << ":"
      << c.irte.lo << " irte_error=" << c.irte_error << " pid_error=" << c.pid_error
      << " retry=" << c.retry << " pid[4]=" << c.pid[4] << std::dec
      << " P=" << c.timing.clock_period << " irte_latency=" << c.irte_latency
      << " pid_rmw=" << c.timing.pid_rmw;
    return o.str();
}

// ---- the bench ----

SC_MODULE(LockstepBench) {
    VtdIrqPathSignals s;
    Vvtd_irq_path rtl{"vtd_irq_path"};
    unsigned requests = 0, mismatches = 0;
    std::uint64_t clocks_total = 0, cycles_total = 0;
    std::vector<std::string> first_mismatches;
    std::map<std::string, unsigned> seen;  // outcome / fault class -> count

    SC_CTOR(LockstepBench) {
        s.bind(rtl);
        SC_THREAD(run);
    }

    // One clock cycle, the model evaluated at once at both edges (no
    // simulated time passes: the lockstep needs no timing).
    void edge() {
        s.clk.write(true);
        vtd_irq_path_eval(rtl);
        s.clk.write(false);
        vtd_irq_path_eval(rtl);
        s.req_valid.write(false);
        s.mem_rsp_valid.write(false);
        s.mem_rsp_error.write(false);
        s.mem_rsp_retry.write(false);
    }

    void mismatch(const Case& c, const std::string& what) {
        ++mismatches;
        if (first_mismatches.size() < 20) first_mismatches.push_back(what + " | " + describe(c));
    }

    template <typename A, typename B>
    void check(const Case& c, const char* field, A rtl_value, B model_value) {
        if (static_cast<std::uint64_t>(rtl_value) != static_cast<std::uint64_t>(model_value)) {
            std::ostringstream o;
            o << field << ": rtl " << std::hex << static_cast<std::uint64_t>(rtl_value)
              << " model " << static_cast<std::uint64_t>(model_value);
            mismatch(c, o.str());
        }
    }

    void run() {
        wait(sc_core::SC_ZERO_TIME);  // after the model's own initial evaluation
        s.rst_n.write(false);
        edge();
        s.rst_n.write(true);
        Rng g(kSeed);
        for (unsigned n = 0; n < kRequests; ++n) {
            const Case c = generate(g);
            const Expected x = run_model(c);
            one_request(c, x);
            ++requests;
        }
    }

    void one_request(const Case& c, const Expected& x) {
        s.cfg_irta.write(c.irta);
        s.cfg_ires.write(c.ires);
        s.cfg_cfis.write(c.cfis);
        s.req_address.write(c.address);
        s.req_data.write(c.data);
        s.req_requester_id.write(c.requester_id);
        s.req_valid.write(true);
        bool irte_read = false, pid_read = false, pid_written = false, refused = false;
        PidLine written{};
        // Time as VtdRtlEngine keeps it: each clock P core cycles, stretched
        // by the latency of the memory access answered at its edge (an IRTE
        // read that fails is answered at once; a PID read takes pid_rmw even
        // when it fails; a PID write has no latency).
        std::uint64_t clocks = 0, took = 0, latency = 0;
        for (unsigned cycle = 0;; ++cycle) {
            edge();
            ++clocks;
            took += c.timing.clock_period + latency;
            latency = 0;
            if (s.rsp_valid.read() && s.req_ready.read()) break;
            if (cycle > 16 || !s.mem_req_valid.read()) {
                mismatch(c, "no result and no memory request");
                return;
            }
            // Answer the access for the next edge.
            const std::uint64_t at = s.mem_req_addr.read();
            if (!s.mem_req_pid.read()) {
                irte_read = true;
                check(c, "irte address", at, x.irte_address);
                check(c, "irte index", s.mem_req_index.read(), x.r.index);
                if (c.irte_error) {
                    s.mem_rsp_error.write(true);
                } else {
                    const std::uint64_t w[2] = {c.irte.lo, c.irte.hi};
                    s.set_rdata(w, 2);
                    latency = c.irte_latency;
                }
            } else if (!s.mem_req_write.read()) {
                check(c, "pid address", at, x.pda);
                latency = c.timing.pid_rmw;
                if (c.pid_error)
                    s.mem_rsp_error.write(true);
                else
                    s.set_rdata((pid_read && c.retry ? c.pid_again : c.pid).data(), 8);
                pid_read = true;
            } else {
                check(c, "pid write address", at, x.pda);
                if (c.retry && !refused) {
                    refused = true;
                    s.mem_rsp_retry.write(true);
                } else {
                    pid_written = true;
                    written = s.wdata();
                }
            }
            s.mem_rsp_valid.write(true);
        }
        compare(c, x, irte_read, pid_read, pid_written, written);
        // The clock schedule of the C++ request path.
        check(c, "clocks", clocks, vtd::request_clocks(x.end, x.pid_retries));
        check(c, "cycles", took,
              vtd::request_cycles(c.timing, x.end, x.irte_latency, x.pid_retries,
                                  x.end == vtd::RequestEnd::PidChecks || x.end == vtd::RequestEnd::PidWrite
                                      ? (1ull + x.pid_retries) * c.timing.pid_rmw
                                      : 0));
        clocks_total += clocks;
        cycles_total += took;
    }

    void compare(const Case& c, const Expected& x, bool irte_read, bool pid_read, bool pid_written,
                 const PidLine& written) {
        const RemapResult& r = x.r;
        check(c, "outcome", s.rsp_outcome.read(), r.outcome);
        check(c, "irte read", irte_read, x.irte_read);
        check(c, "pid read", pid_read, x.pid_read);
        check(c, "pid written", pid_written, x.pid_written);
        std::ostringstream cls;
        switch (r.outcome) {
            case RemapOutcome::Fault:
                check(c, "fault", s.rsp_fault.read(), r.fault);
                check(c, "fault recorded", s.rsp_fault_recorded.read(), r.fault_recorded);
                check(c, "fault index", s.rsp_index.read(), r.index);
                check(c, "fpd", s.rsp_fpd.read(), r.fpd);
                if (x.pid_read) {
                    check(c, "pda", s.rsp_pda.read(), x.pda);
                    check(c, "posted vector", s.rsp_posted_vector.read(), x.posted_vector);
                    check(c, "urgent", s.rsp_urgent.read(), x.urgent);
                }
                cls << "fault 0x" << std::hex << static_cast<unsigned>(r.fault)
                    << (r.fault_recorded ? " recorded" : " suppressed");
                break;
            case RemapOutcome::Compatibility:
            case RemapOutcome::Remapped:
                if (r.outcome == RemapOutcome::Remapped) {
                    check(c, "index", s.rsp_index.read(), r.index);
                    check(c, "fpd", s.rsp_fpd.read(), r.fpd);
                }
                check(c, "dest", s.rsp_dest.read(), r.dest);
                check(c, "dm", s.rsp_dm.read(), r.dest_logical);
                check(c, "rh", s.rsp_rh.read(), r.rh);
                check(c, "tm", s.rsp_tm.read(), r.level_triggered);
                check(c, "dlm", s.rsp_dlm.read(), r.delivery_mode);
                check(c, "vector", s.rsp_vector.read(), r.vector);
                cls << (r.outcome == RemapOutcome::Remapped ? "remapped" : "compatibility")
                    << (eime_of(c) ? " eime1" : " eime0");
                break;
            case RemapOutcome::Posted:
                check(c, "index", s.rsp_index.read(), r.index);
                check(c, "fpd", s.rsp_fpd.read(), r.fpd);
                check(c, "pda", s.rsp_pda.read(), r.pda);
                check(c, "posted vector", s.rsp_posted_vector.read(), r.posted_vector);
                check(c, "urgent", s.rsp_urgent.read(), r.urgent);
                check(c, "old control", s.rsp_old_control.read(), x.old_control);
                check(c, "new control", s.rsp_new_control.read(), x.new_control);
                check(c, "notify", s.rsp_notify.read(), x.notify);
                check(c, "nv", s.rsp_nv.read(), x.nv);
                check(c, "ndst", s.rsp_ndst.read(), x.ndst);
                for (unsigned i = 0; i < 8; ++i) check(c, "pid image word", written[i], x.pid_new[i]);
                cls << "posted notify=" << x.notify << (c.retry ? " after retry" : "");
                break;
            default:
                mismatch(c, "model outcome not final");
        }
        ++seen[cls.str()];
    }
};

TEST(VtdRtlLockstep, HundredThousandRandomRequestsMatchTheCppModel) {
    LockstepBench bench("bench");
    ::pisim::sc_start_bounded();
    EXPECT_EQ(bench.requests, kRequests);
    for (const auto& m : bench.first_mismatches) ADD_FAILURE() << m;
    EXPECT_EQ(bench.mismatches, 0u);
    for (const auto& [cls, n] : bench.seen) std::printf("  %-40s %u\n", cls.c_str(), n);
    std::printf("  %u requests, %llu RTL clocks, %llu core cycles, each compared with the C++ schedule\n",
                bench.requests, static_cast<unsigned long long>(bench.clocks_total),
                static_cast<unsigned long long>(bench.cycles_total));
    // Every class was exercised (the generator reaches them all).
    const char* required[] = {
        "compatibility eime0",       "remapped eime0",           "remapped eime1",
        "posted notify=0",           "posted notify=1",          "posted notify=1 after retry",
        "fault 0x20 recorded",       "fault 0x21 recorded",      "fault 0x22 recorded",
        "fault 0x22 suppressed",     "fault 0x23 recorded",      "fault 0x24 recorded",
        "fault 0x24 suppressed",     "fault 0x25 recorded",      "fault 0x26 recorded",
        "fault 0x26 suppressed",     "fault 0x27 recorded",      "fault 0x27 suppressed",
        "fault 0x28 recorded",       "fault 0x28 suppressed"};
    for (const char* cls : required) EXPECT_GE(bench.seen[cls], 50u) << cls;
}

}  // namespace
}  // namespace pisim
