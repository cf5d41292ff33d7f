// Posting through the unit [VTD 5.2.3, 9.11, 9.12].
#include <gtest/gtest.h>

#include "vtd_bench.h"
#include "tests/model/sim_bound.h"

using namespace pisim;
using namespace pisim::vtdtest;

namespace {

// One posted request for IRTE 3 (vector 0x41, PID at kPidBase) with the PID
// control word (ON, SN) and the IRTE's URG as given; returns the bench after the run.
struct PostCase {
    bool on, sn, urg;
};

void run_post_case(const PostCase& c) {
    Bench b;
    b.enable();
    b.set_irte(3, posted_irte(0x41, kPidBase, c.urg));
    b.set_pid_control(kPidBase, c.on, c.sn, 0xF2, 0x0500);  // xAPIC NDST: APIC ID 5
    b.bus.watch_pid(kPidBase);
    b.init.send_at(100, remappable_address(3, false), 0, 0x0100, 77);
    ::pisim::sc_start_bounded();

    const bool x = !c.on && (c.urg || !c.sn);
    const vtd::PidLine pid = b.pid(kPidBase);
    EXPECT_EQ(pid[1], 1ull << 1) << "PIR[0x41] set in every case";
    EXPECT_EQ(pid[0] | pid[2] | pid[3], 0u);
    EXPECT_EQ(bool(pid[4] & vtd::kPidOn), c.on || x);
    EXPECT_EQ(bool(pid[4] & vtd::kPidSn), c.sn) << "SN is never changed by posting";

    const auto posts = b.sink.of(EventKind::VtdPost);
    ASSERT_EQ(posts.size(), 1u);
    EXPECT_EQ(posts[0].tag, 77u);
    EXPECT_EQ(posts[0].a, 3u);
    EXPECT_EQ(posts[0].b, kPidBase);
    EXPECT_EQ(posts[0].c, 0x41u);
    EXPECT_EQ(posts[0].f, x ? 1u : 0u);
    EXPECT_EQ(posts[0].e, pid[4]);
    EXPECT_EQ(posts[0].d, pid[4] & ~(x ? vtd::kPidOn : 0ull));

    if (x) {
        ASSERT_EQ(b.bus.got.size(), 1u);
        const auto& d = b.bus.got[0];
        EXPECT_EQ(d.m.vector, 0xF2);
        EXPECT_EQ(d.m.dest, 5u);
        EXPECT_FALSE(d.m.dest_logical);
        EXPECT_EQ(d.m.mode, DeliveryMode::Fixed);
        EXPECT_FALSE(d.m.level_triggered);
        EXPECT_EQ(d.m.tag, 77u);
        EXPECT_EQ(b.sink.of(EventKind::VtdNotify).size(), 1u);
        EXPECT_EQ(b.unit.stats().notifications, 1u);
    } else {
        EXPECT_TRUE(b.bus.got.empty());
        EXPECT_TRUE(b.sink.of(EventKind::VtdNotify).empty());
    }
    EXPECT_EQ(b.unit.stats().posted, 1u);
}

}  // namespace

// All eight (ON, SN, URG) combinations: X = !ON && (URG || !SN).
TEST(VtdPosting, On0Sn0Urg0Notifies) { run_post_case({false, false, false}); }
TEST(VtdPosting, On0Sn0Urg1Notifies) { run_post_case({false, false, true}); }
TEST(VtdPosting, On0Sn1Urg0Suppressed) { run_post_case({false, true, false}); }
TEST(VtdPosting, On0Sn1Urg1UrgentOverridesSn) { run_post_case({false, true, true}); }
TEST(VtdPosting, On1Sn0Urg0NoSecondNotification) { run_post_case({true, false, false}); }
TEST(VtdPosting, On1Sn0Urg1NoSecondNotification) { run_post_case({true, false, true}); }
TEST(VtdPosting, On1Sn1Urg0Nothing) { run_post_case({true, true, false}); }
TEST(VtdPosting, On1Sn1Urg1NoSecondNotification) { run_post_case({true, true, true}); }

// The PID write is visible before the notification: the bus sees ON and
// PIR already set, VtdPost precedes VtdNotify, and the notification leaves
// in the cycle the line was written. The IRTE is in hand two clocks +
// irte_fetch (IEC miss) after the request; the write is two clocks + pid_rmw
// later (PID checks with the line's read, PID write).
TEST(VtdPosting, NotificationAfterPidWrite) {
    const VtdTiming t = default_timing();
    Bench b(t);
    b.enable();
    b.set_irte(9, posted_irte(0x90, kPidBase + 64));
    b.set_pid_control(kPidBase + 64, false, false, 0xF2, 0x0300);
    b.bus.watch_pid(kPidBase + 64);
    b.init.send_at(1000, remappable_address(9, false), 0, 0x0100, 5);
    ::pisim::sc_start_bounded();

    ASSERT_EQ(b.bus.got.size(), 1u);
    const auto& d = b.bus.got[0];
    EXPECT_TRUE(d.pid_at_delivery[4] & vtd::kPidOn);
    EXPECT_EQ(d.pid_at_delivery[2], 1ull << (0x90 % 64));

    const long req = b.sink.index_of(EventKind::VtdRequest, 5);
    const long fetch = b.sink.index_of(EventKind::VtdIrteFetch, 5);
    const long post = b.sink.index_of(EventKind::VtdPost, 5);
    const long notify = b.sink.index_of(EventKind::VtdNotify, 5);
    ASSERT_TRUE(req >= 0 && fetch > req && post > fetch && notify > post);
    const auto& ev = b.sink.events;
    EXPECT_EQ(ev[req].cycle, 1000u);
    EXPECT_EQ(ev[fetch].cycle, 1000u + 2 * t.clock_period + t.irte_fetch);
    // The read-modify-write takes effect when it completes, two clocks +
    // pid_rmw after the IRTE is in hand; the notification follows in the same
    // cycle, after the write (event order above).
    EXPECT_EQ(ev[post].cycle, ev[fetch].cycle + 2 * t.clock_period + t.pid_rmw);
    EXPECT_EQ(ev[notify].cycle, ev[post].cycle);
    EXPECT_EQ(d.cycle, ev[notify].cycle);
    EXPECT_EQ(ev[notify].a, 3u);     // NDST (xAPIC ID)
    EXPECT_EQ(ev[notify].b, 0xF2u);  // NV
    EXPECT_EQ(ev[notify].c, kPidBase + 64);
}

// The posting write goes to memory as the VT-d agent (watches see writer 0).
TEST(VtdPosting, PidWriteIsTheVtdAgent) {
    Bench b;
    b.enable();
    b.set_irte(1, posted_irte(0x30, kPidBase));
    std::vector<PhysMem::Agent> writers;
    b.mem.watch(kPidBase, 64, [&](std::uint64_t, std::size_t) { writers.push_back(b.mem.agent()); });
    b.init.send_at(10, remappable_address(1, false), 0, 0, 1);
    ::pisim::sc_start_bounded();
    ASSERT_EQ(writers.size(), 1u) << "one write of the whole line";
    EXPECT_EQ(writers[0], PhysMem::Agent::Vtd);
}

// NDST: xAPIC (EIME=0) takes bits 15:8 of the field; x2APIC (EIME=1) all 32 bits.
TEST(VtdPosting, XapicNdst) {
    Bench b;
    b.enable(7, /*eime=*/false);
    b.set_irte(2, posted_irte(0x50, kPidBase));
    b.set_pid_control(kPidBase, false, false, 0xE1, 0x00002A00);
    b.init.send_at(10, remappable_address(2, false), 0, 0, 1);
    ::pisim::sc_start_bounded();
    ASSERT_EQ(b.bus.got.size(), 1u);
    EXPECT_EQ(b.bus.got[0].m.dest, 0x2Au);
    EXPECT_EQ(b.bus.got[0].m.vector, 0xE1);
}

TEST(VtdPosting, X2apicNdst) {
    Bench b;
    b.enable(7, /*eime=*/true);
    b.set_irte(2, posted_irte(0x50, kPidBase));
    b.set_pid_control(kPidBase, false, false, 0xE1, 0x00012A00);
    b.init.send_at(10, remappable_address(2, false), 0, 0, 1);
    ::pisim::sc_start_bounded();
    ASSERT_EQ(b.bus.got.size(), 1u);
    EXPECT_EQ(b.bus.got[0].m.dest, 0x00012A00u);
}

// Pure step: pid_post on a line for every (ON, SN, URG).
TEST(VtdPidPost, TruthTable) {
    for (int i = 0; i < 8; ++i) {
        const bool on = i & 1, sn = i & 2, urg = i & 4;
        vtd::PidLine l{};
        l[4] = (on ? vtd::kPidOn : 0) | (sn ? vtd::kPidSn : 0);
        const bool x = vtd::pid_post(l, 255, urg);
        EXPECT_EQ(x, !on && (urg || !sn)) << i;
        EXPECT_EQ(l[3], 1ull << 63) << i;
        EXPECT_EQ(bool(l[4] & vtd::kPidOn), on || x) << i;
    }
}

TEST(VtdPidPost, ReservedBits) {
    vtd::PidLine l{};
    EXPECT_FALSE(vtd::pid_reserved_bits_set(l));
    l[4] = 0xFFFFFFFF'00FF0003ull;  // ON, SN, NV, NDST: no reserved bit
    EXPECT_FALSE(vtd::pid_reserved_bits_set(l));
    for (unsigned bit : {2u, 15u, 24u, 31u}) {
        vtd::PidLine m{};
        m[4] = 1ull << bit;
        EXPECT_TRUE(vtd::pid_reserved_bits_set(m)) << bit;
    }
    for (unsigned w : {5u, 6u, 7u}) {
        vtd::PidLine m{};
        m[w] = 1ull << 7;
        EXPECT_TRUE(vtd::pid_reserved_bits_set(m)) << w;
    }
}

// The read-modify-write stays atomic over its two clocked halves
// (request_timing.h): software rewrites the PID (a new NDST) after the
// PID-check step read the line and before the PID write; the write is
// refused, the line read again, and the post and the notification use the
// new line, one PID-check and one PID-write step later.
TEST(VtdPosting, PidChangedBetweenReadAndWriteIsReadAgain) {
    const VtdTiming t = default_timing();
    const std::uint64_t P = t.clock_period;
    Bench b(t);
    b.enable();
    b.set_irte(9, posted_irte(0x90, kPidBase + 64));
    b.set_pid_control(kPidBase + 64, false, false, 0xF2, 0x0300);
    const std::uint64_t read = 1000 + 2 * P + t.irte_fetch + P + t.pid_rmw;
    b.sw.at(read + 1, [&] { b.set_pid_control(kPidBase + 64, false, false, 0xF2, 0x0500); });
    b.init.send_at(1000, remappable_address(9, false), 0, 0x0100, 5);
    ::pisim::sc_start_bounded();

    const long post = b.sink.index_of(EventKind::VtdPost, 5);
    const long notify = b.sink.index_of(EventKind::VtdNotify, 5);
    ASSERT_TRUE(post >= 0 && notify > post);
    const auto& ev = b.sink.events;
    EXPECT_EQ(ev[post].cycle, read + P + (P + t.pid_rmw) + P);
    EXPECT_EQ(ev[notify].cycle, ev[post].cycle);
    EXPECT_EQ(ev[notify].a, 5u);  // the new NDST (xAPIC ID, bits 15:8)
    const vtd::PidLine l = b.pid(kPidBase + 64);
    EXPECT_EQ(l[2], 1ull << (0x90 % 64));
    EXPECT_TRUE(l[4] & vtd::kPidOn);
    EXPECT_EQ(b.unit.stats().posted, 1u);
}

// A PID in the last line of the address space: the posting write still
// reaches the watch on it (whose end, base + 64, wraps to 0).
TEST(VtdPostInterrupt, PidAtTopOfAddressSpaceIsWatched) {
    PhysMem mem;
    const std::uint64_t pda = ~0ull - vtd::kPidBytes + 1;
    mem.map_ram(pda & ~(PhysMem::kPageSize - 1), PhysMem::kPageSize);
    unsigned writes = 0;
    mem.watch(pda, vtd::kPidBytes, [&](std::uint64_t pa, std::size_t len) {
        EXPECT_EQ(pa, pda);
        EXPECT_EQ(len, vtd::kPidBytes);
        ++writes;
    });
    const vtd::PostingResult r = vtd::post_interrupt(mem, pda, 0x41, false, false);
    EXPECT_FALSE(r.faulted);
    EXPECT_TRUE(r.notify);
    EXPECT_EQ(writes, 1u);
    EXPECT_EQ(mem.read64(pda + 8), 1ull << 1) << "PIR[0x41]";
}
