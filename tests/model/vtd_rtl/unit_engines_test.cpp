// tests/model/vtd_rtl/unit_engines_test.cpp - two VtdUnits, one deciding
// requests with its C++ path (vtd.engine: tlm), one with the verilated RTL
// (VtdRtlEngine, vtd.engine: rtl), given the same machine memory, the same
// MSI writes at the same cycles and the same software activity: IRTE
// rewrites (the IEC keeps stale entries, as on hardware), PID rewrites with
// reserved bits now and then, and bursts of PID writes on consecutive cycles
// that land between a posting read and its write (the RMW is refused and
// read again). Every event (kind, cycle, tag, fields), every message to the
// APIC bus with its cycle, every fault record and the PID lines at the end
// must be identical: the C++ path keeps the RTL's clock schedule
// (model/vtd/request_timing.h) [VTD 5.1.4, 5.2.3, 9.10, 9.11].
// Each unit runs in its own simulation (the C++ one in a forked child that
// hands its record back through a file), as pisim runs one engine per
// process: a software write and a PID write in the same cycle are then
// ordered by the same kernel history on both sides.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <systemc>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "model/vtd/rtl/vtd_rtl_engine.h"
#include "tests/model/vtd/vtd_bench.h"
#include "tests/model/sim_bound.h"

namespace pisim {
namespace {

using namespace vtdtest;

constexpr std::uint64_t kSeed = 0x554E49542D454E47ull;
constexpr unsigned kRequests = 4000;
constexpr unsigned kPids = 16;
constexpr std::uint16_t kRid = 0x0310;

struct Rng {
    std::mt19937_64 g;
    explicit Rng(std::uint64_t s) : g(s) {}
    std::uint64_t u64() { return g(); }
    std::uint64_t below(std::uint64_t n) { return g() % n; }
    bool bit() { return g() & 1; }
    bool one_in(std::uint64_t n) { return below(n) == 0; }
};

VtdTiming timing() {
    VtdTiming t;
    t.clock_period = 3;
    t.iec_hit = 7;
    t.irte_fetch = 180;
    t.pid_rmw = 140;
    t.iq_descriptor = 30;
    t.iec_entries = 8;
    return t;
}

/// One unit with its memory, bus, initiator and software; `rtl`: decided by
/// the verilated RTL.
struct Side {
    PhysMem mem;
    RecordingSink sink;
    VtdUnit unit;
    FakeApicBus bus;
    MsiInitiator init;
    Software sw;
    std::unique_ptr<VtdRtlEngine> engine;

    Side(const std::string& n, bool rtl)
        : mem(make_mem()), unit((n + "_vtd").c_str(), mem, timing(), sink),
          bus((n + "_bus").c_str(), mem), init((n + "_init").c_str()), sw((n + "_sw").c_str()) {
        unit.apic_bus(bus);
        init.socket(unit.msi_in);
        if (rtl) {
            engine = std::make_unique<VtdRtlEngine>((n + "_rtl").c_str(), mem, sink, timing());
            unit.use_request_engine(engine.get());
        }
    }
    static PhysMem make_mem() {
        PhysMem m;
        m.map_ram(0, kRamSize);
        return m;
    }
    void write(std::uint64_t at, const void* p, std::size_t n) {
        mem.set_agent(PhysMem::Agent::Software);
        mem.write(at, p, n);
    }
};

vtd::Irte random_irte(Rng& g) {
    vtd::Irte e;
    const unsigned kind = static_cast<unsigned>(g.below(10));
    if (kind < 3) {
        vtd::RemappedIrte f;
        f.p = true;
        f.fpd = g.one_in(4);
        f.vector = static_cast<std::uint8_t>(0x20 + g.below(0xD0));
        f.dst = static_cast<std::uint32_t>(g.below(4));
        f.dlm = 0;
        f.svt = g.one_in(6) ? 1 : 0;  // SID 0x0310 or a neighbour
        f.sid = g.one_in(3) ? kRid + 1 : kRid;
        e = vtd::encode_remapped_irte(f);
    } else {
        vtd::PostedIrte f;
        f.p = true;
        f.fpd = g.one_in(4);
        f.urg = g.one_in(4);
        f.vv = static_cast<std::uint8_t>(0x20 + g.below(0xD0));
        f.pda = g.one_in(20) ? 0x10000000ull : kPidBase + 64 * g.below(kPids);  // 0x27
        f.svt = g.one_in(6) ? 1 : 0;
        f.sid = g.one_in(3) ? kRid + 1 : kRid;
        e = vtd::encode_posted_irte(f);
    }
    if (kind == 9) e.lo &= ~1ull;                 // not present (0x22)
    if (g.one_in(15)) e.hi |= 1ull << 25;         // reserved in both formats (0x24)
    return e;
}

std::uint64_t random_control(Rng& g) {
    std::uint64_t c = (g.one_in(3) ? vtd::kPidOn : 0) | (g.one_in(3) ? vtd::kPidSn : 0) |
                      (std::uint64_t{0xE0 + g.below(16)} << 16) | (g.below(4) << 40);
    if (g.one_in(25)) c |= 1ull << 5;  // reserved (0x28)
    return c;
}

/// One unit and the planned workload (the same for either engine).
SC_MODULE(Driver) {
    Side side;
    std::uint64_t end_cycle = 0;

    Driver(sc_core::sc_module_name n, bool rtl) : sc_core::sc_module(n), side("u", rtl) {
        Rng g(kSeed);
        side.unit.write_reg(vtd_reg::IRTA, kIrtBase | vtd_reg::IRTA_EIME | 7);  // 256 entries
        side.unit.write_reg(vtd_reg::GCMD, vtd_reg::GCMD_SIRTP);
        side.unit.write_reg(vtd_reg::GCMD, vtd_reg::GCMD_IRE);
        for (unsigned i = 0; i < 256; ++i) {
            const vtd::Irte e = random_irte(g);
            put_now(kIrtBase + 16 * i, &e, 16);
        }
        for (unsigned i = 0; i < kPids; ++i) {
            vtd::PidLine p{};
            p[vtd::kPidControlWord] = random_control(g) & ~(1ull << 5);
            put_now(kPidBase + 64 * i, p.data(), 64);
        }
        // Requests and software activity, the same for either engine.
        std::uint64_t t = 100;
        for (unsigned n = 0; n < kRequests; ++n) {
            t += g.below(700);
            std::uint64_t address;
            std::uint32_t data = 0;
            if (g.one_in(40)) {
                address = 0xFEE00000ull | (1u << 12);  // compatibility format, CFI=0: 0x25
            } else {
                const std::uint16_t handle =
                    static_cast<std::uint16_t>(g.one_in(30) ? 256 + g.below(64) : g.below(24));
                address = remappable_address(handle, false);
                if (g.one_in(50)) data = 1u << 16;  // reserved (0x20)
            }
            side.init.send_at(t, address, data, kRid, n + 1);
        }
        end_cycle = t;
        for (std::uint64_t at = 100; at < end_cycle;) {
            at += 1 + g.below(300);
            const unsigned what = static_cast<unsigned>(g.below(8));
            if (what == 0) {
                const std::uint32_t i = static_cast<std::uint32_t>(g.below(24));
                const vtd::Irte e = random_irte(g);
                put_at(at, kIrtBase + 16 * i, &e, 16);
            } else if (what == 1) {
                const std::uint64_t c = random_control(g);
                put_at(at, kPidBase + 64 * g.below(kPids) + 32, &c, 8);
            } else {
                // A burst of writes to one PID's PIR, one per cycle.
                const std::uint64_t pid = kPidBase + 64 * g.below(kPids);
                const unsigned len = 1 + static_cast<unsigned>(g.below(40));
                for (unsigned k = 0; k < len; ++k) {
                    const std::uint64_t w = g.u64() & g.u64();
                    put_at(at + k, pid + 8 * g.below(4), &w, 8);
                }
                at += len;
            }
        }
    }

    void put_now(std::uint64_t at, const void* p, std::size_t n) { side.write(at, p, n); }
    void put_at(std::uint64_t cycle, std::uint64_t at, const void* p, std::size_t n) {
        std::vector<std::uint8_t> bytes(static_cast<const std::uint8_t*>(p),
                                        static_cast<const std::uint8_t*>(p) + n);
        Side* s = &side;
        s->sw.at(cycle, [s, at, bytes] { s->write(at, bytes.data(), bytes.size()); });
    }
};

/// What a run leaves: events, APIC messages, fault records, statistics, PIDs.
struct Record {
    std::vector<Event> events;
    struct Message {
        std::uint64_t cycle, tag, dest, vector;
    };
    std::vector<Message> messages;
    std::vector<VtdFaultRecord> faults;
    VtdUnit::Stats stats;
    std::vector<vtd::PidLine> pids;
    std::uint64_t pid_retries = 0;  // RTL engine only
};

Record run(bool rtl) {
    Driver d("d", rtl);
    ::pisim::sc_start_bounded();
    Record r;
    r.events = d.side.sink.events;
    for (const auto& m : d.side.bus.got) r.messages.push_back({m.cycle, m.m.tag, m.m.dest, m.m.vector});
    r.faults = d.side.unit.faults();
    r.stats = d.side.unit.stats();
    for (unsigned i = 0; i < kPids; ++i) {
        vtd::PidLine l;
        d.side.mem.read(kPidBase + 64 * i, l.data(), 64);
        r.pids.push_back(l);
    }
    if (rtl) r.pid_retries = d.side.engine->stats().pid_retries;
    return r;
}

template <typename T>
void put(std::FILE* f, const std::vector<T>& v) {
    const std::uint64_t n = v.size();
    std::fwrite(&n, sizeof n, 1, f);
    if (n) std::fwrite(v.data(), sizeof(T), n, f);
}
template <typename T>
bool get(std::FILE* f, std::vector<T>& v) {
    std::uint64_t n = 0;
    if (std::fread(&n, sizeof n, 1, f) != 1) return false;
    v.resize(n);
    return n == 0 || std::fread(v.data(), sizeof(T), n, f) == n;
}

void save(const Record& r, const char* path) {
    std::FILE* f = std::fopen(path, "wb");
    put(f, r.events);
    put(f, r.messages);
    put(f, r.faults);
    put(f, std::vector<VtdUnit::Stats>{r.stats});
    put(f, r.pids);
    std::fclose(f);
}

bool load(Record& r, const char* path) {
    std::FILE* f = std::fopen(path, "rb");
    if (!f) return false;
    std::vector<VtdUnit::Stats> st;
    const bool ok = get(f, r.events) && get(f, r.messages) && get(f, r.faults) && get(f, st) &&
                    get(f, r.pids) && st.size() == 1;
    std::fclose(f);
    if (ok) r.stats = st[0];
    return ok;
}

std::string describe(const Event& e) {
    char b[256];
    std::snprintf(b, sizeof b, "cycle %llu kind %u tag %llu a %llx b %llx c %llx d %llx e %llx f %llx",
                  static_cast<unsigned long long>(e.cycle), static_cast<unsigned>(e.kind),
                  static_cast<unsigned long long>(e.tag), static_cast<unsigned long long>(e.a),
                  static_cast<unsigned long long>(e.b), static_cast<unsigned long long>(e.c),
                  static_cast<unsigned long long>(e.d), static_cast<unsigned long long>(e.e),
                  static_cast<unsigned long long>(e.f));
    return b;
}

bool same(const Event& x, const Event& y) {
    return x.cycle == y.cycle && x.kind == y.kind && x.unit == y.unit && x.tag == y.tag &&
           x.a == y.a && x.b == y.b && x.c == y.c && x.d == y.d && x.e == y.e && x.f == y.f;
}

TEST(VtdUnitEngines, SameEventsAtTheSameCyclesWithEitherEngine) {
    // The C++ path in a child process, the RTL here.
    char path[] = "/tmp/pisim-vtd-engines-XXXXXX";
    const int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    close(fd);
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        save(run(false), path);
        _exit(0);
    }
    int status = 0;
    waitpid(child, &status, 0);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    Record t;
    const bool loaded = load(t, path);
    unlink(path);
    ASSERT_TRUE(loaded);
    const Record r = run(true);

    const auto& a = t.events;
    const auto& b = r.events;
    ASSERT_GT(a.size(), kRequests * 2u);
    EXPECT_EQ(a.size(), b.size());
    unsigned shown = 0;
    for (std::size_t i = 0; i < std::min(a.size(), b.size()) && shown < 10; ++i)
        if (!same(a[i], b[i])) {
            ADD_FAILURE() << "event " << i << ": tlm " << describe(a[i]) << " | rtl " << describe(b[i]);
            ++shown;
        }
    // The messages on the APIC bus and their cycles.
    ASSERT_EQ(t.messages.size(), r.messages.size());
    for (std::size_t i = 0; i < t.messages.size(); ++i) {
        const auto& x = t.messages[i];
        const auto& y = r.messages[i];
        EXPECT_TRUE(x.cycle == y.cycle && x.tag == y.tag && x.dest == y.dest && x.vector == y.vector)
            << "message " << i << ": tlm cycle " << x.cycle << " tag " << x.tag << ", rtl cycle "
            << y.cycle << " tag " << y.tag;
    }
    // Fault records, statistics, PID lines.
    ASSERT_EQ(t.faults.size(), r.faults.size());
    for (std::size_t i = 0; i < t.faults.size(); ++i) {
        EXPECT_EQ(t.faults[i].cycle, r.faults[i].cycle);
        EXPECT_EQ(t.faults[i].reason, r.faults[i].reason);
        EXPECT_EQ(t.faults[i].requester_id, r.faults[i].requester_id);
        EXPECT_EQ(t.faults[i].index, r.faults[i].index);
        EXPECT_EQ(t.faults[i].tag, r.faults[i].tag);
    }
    const VtdUnit::Stats& s = t.stats;
    EXPECT_EQ(s.requests, r.stats.requests);
    EXPECT_EQ(s.remapped, r.stats.remapped);
    EXPECT_EQ(s.posted, r.stats.posted);
    EXPECT_EQ(s.notifications, r.stats.notifications);
    EXPECT_EQ(s.faults, r.stats.faults);
    EXPECT_EQ(s.suppressed_faults, r.stats.suppressed_faults);
    EXPECT_EQ(s.iec_hits, r.stats.iec_hits);
    EXPECT_EQ(s.iec_misses, r.stats.iec_misses);
    ASSERT_EQ(t.pids.size(), r.pids.size());
    for (unsigned i = 0; i < t.pids.size(); ++i) EXPECT_EQ(t.pids[i], r.pids[i]) << "PID " << i;
    // The workload reaches every path: faults of each kind, posts with and
    // without notification, remapped messages, IEC hits, refused PID writes.
    std::map<std::uint64_t, unsigned> reasons;
    for (const Event& e : a)
        if (e.kind == EventKind::VtdFault) ++reasons[e.a];
    for (std::uint64_t why : {0x20, 0x21, 0x22, 0x24, 0x25, 0x26, 0x27, 0x28})
        EXPECT_GE(reasons[why], 3u) << "fault 0x" << std::hex << why;
    EXPECT_GE(s.remapped, 100u);
    EXPECT_GE(s.posted, 500u);
    EXPECT_GE(s.notifications, 100u);
    EXPECT_GE(s.iec_hits, 500u);
    EXPECT_GE(r.pid_retries, 5u);
    std::printf("  %zu events alike; %llu requests: %llu remapped, %llu posted (%llu notifications), "
                "%llu faults + %llu suppressed, %llu IEC hits, %llu refused PID writes\n",
                a.size(), static_cast<unsigned long long>(s.requests),
                static_cast<unsigned long long>(s.remapped), static_cast<unsigned long long>(s.posted),
                static_cast<unsigned long long>(s.notifications), static_cast<unsigned long long>(s.faults),
                static_cast<unsigned long long>(s.suppressed_faults),
                static_cast<unsigned long long>(s.iec_hits),
                static_cast<unsigned long long>(r.pid_retries));
}

}  // namespace
}  // namespace pisim
