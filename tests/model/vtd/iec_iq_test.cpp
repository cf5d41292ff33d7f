// The interrupt entry cache and the invalidation queue [VTD 6.5.2, 6.5.2.7,
// 6.5.2.8].
#include <gtest/gtest.h>

#include "model/vtd/iec.h"
#include "vtd_bench.h"
#include "tests/model/sim_bound.h"

using namespace pisim;
using namespace pisim::vtdtest;

// ---- the cache alone ----

TEST(VtdIecCache, LruReplacement) {
    vtd::InterruptEntryCache c(2);
    vtd::Irte e1{1, 0}, e2{2, 0}, e3{3, 0}, out;
    c.fill(1, e1);
    c.fill(2, e2);
    EXPECT_TRUE(c.lookup(1, out));  // 2 is now least recently used
    EXPECT_EQ(out, e1);
    c.fill(3, e3);
    EXPECT_TRUE(c.contains(1));
    EXPECT_FALSE(c.contains(2));
    EXPECT_TRUE(c.contains(3));
    EXPECT_EQ(c.size(), 2u);
}

TEST(VtdIecCache, ZeroCapacityNeverHits) {
    vtd::InterruptEntryCache c(0);
    vtd::Irte out;
    c.fill(1, vtd::Irte{1, 0});
    EXPECT_FALSE(c.lookup(1, out));
}

TEST(VtdIecCache, IndexSelectiveMask) {
    vtd::InterruptEntryCache c(64);
    for (std::uint32_t i = 0; i < 32; ++i) c.fill(i, vtd::Irte{i, 0});
    // IM=3: the 8 entries 8..15 around index 13.
    EXPECT_EQ(c.invalidate_index(13, 3), 8u);
    for (std::uint32_t i = 0; i < 32; ++i) EXPECT_EQ(c.contains(i), i < 8 || i > 15) << i;
    EXPECT_EQ(c.invalidate_index(20, 0), 1u);
    EXPECT_FALSE(c.contains(20));
    EXPECT_TRUE(c.contains(21));
    c.invalidate_global();
    EXPECT_EQ(c.size(), 0u);
}

// ---- through the unit ----

// Hit vs miss: two clocks (request and IRTE checks) + irte_fetch on a miss,
// + iec_hit on a hit.
TEST(VtdIec, HitVsMissTiming) {
    const VtdTiming t = default_timing();
    Bench b(t);
    b.enable();
    b.set_irte(5, remapped_irte(0x40, 0x0100));
    b.init.send_at(100, remappable_address(5, false), 0, 0, 1);
    b.init.send_at(1000, remappable_address(5, false), 0, 0, 2);
    ::pisim::sc_start_bounded();
    const auto f = b.sink.of(EventKind::VtdIrteFetch);
    ASSERT_EQ(f.size(), 2u);
    EXPECT_EQ(f[0].b, 0u);
    EXPECT_EQ(f[1].b, 1u);
    ASSERT_EQ(b.bus.got.size(), 2u);
    EXPECT_EQ(b.bus.got[0].cycle - 100, 2 * t.clock_period + t.irte_fetch);
    EXPECT_EQ(b.bus.got[1].cycle - 1000, 2 * t.clock_period + t.iec_hit);
    EXPECT_EQ(b.unit.stats().iec_misses, 1u);
    EXPECT_EQ(b.unit.stats().iec_hits, 1u);
}

TEST(VtdIec, NoCacheAlwaysFetches) {
    VtdTiming t = default_timing();
    t.iec_entries = 0;
    Bench b(t);
    b.enable();
    b.set_irte(5, remapped_irte(0x40, 0x0100));
    b.init.send_at(100, remappable_address(5, false), 0, 0, 1);
    b.init.send_at(1000, remappable_address(5, false), 0, 0, 2);
    ::pisim::sc_start_bounded();
    ASSERT_EQ(b.bus.got.size(), 2u);
    EXPECT_EQ(b.bus.got[1].cycle - 1000, 2 * t.clock_period + t.irte_fetch);
    EXPECT_EQ(b.unit.stats().iec_hits, 0u);
}

TEST(VtdIec, CapacityEvictsLeastRecentlyUsed) {
    VtdTiming t = default_timing();
    t.iec_entries = 2;
    Bench b(t);
    b.enable();
    for (std::uint32_t i = 1; i <= 3; ++i) b.set_irte(i, remapped_irte(0x40 + i, 0x0100));
    // 1 miss, 2 miss, 1 hit, 3 miss (evicts 2), 2 miss (evicts 1), 1 miss.
    const std::uint32_t order[] = {1, 2, 1, 3, 2, 1};
    std::uint64_t cyc = 100;
    for (std::uint32_t i : order) b.init.send_at(cyc += 1000, remappable_address(i, false), 0, 0, i);
    ::pisim::sc_start_bounded();
    const auto f = b.sink.of(EventKind::VtdIrteFetch);
    ASSERT_EQ(f.size(), 6u);
    const std::uint64_t hit[] = {0, 0, 1, 0, 0, 0};
    for (int i = 0; i < 6; ++i) EXPECT_EQ(f[i].b, hit[i]) << i;
}

// The cache is not coherent with memory: a changed IRTE is used only after
// an IEC invalidation.
TEST(VtdIec, StaleUntilInvalidated) {
    Bench b;
    b.enable();
    b.set_irte(4, remapped_irte(0x40, 0x0100));
    b.init.send_at(100, remappable_address(4, false), 0, 0, 1);
    b.sw.at(1000, [&] { b.set_irte(4, remapped_irte(0x41, 0x0100)); });
    b.init.send_at(2000, remappable_address(4, false), 0, 0, 2);
    b.sw.at(3000, [&] {
        b.queue_descriptor(iec_descriptor(true, 0, 4), 0);
        b.ring();
    });
    b.init.send_at(4000, remappable_address(4, false), 0, 0, 3);
    ::pisim::sc_start_bounded();
    ASSERT_EQ(b.bus.got.size(), 3u);
    EXPECT_EQ(b.bus.got[0].m.vector, 0x40);
    EXPECT_EQ(b.bus.got[1].m.vector, 0x40) << "stale entry from the IEC";
    EXPECT_EQ(b.bus.got[2].m.vector, 0x41);
}

namespace {
// Warm indices 0..3, invalidate with `lo`, then request 0..3 again; returns
// the iec_hit flags of the second round.
std::vector<std::uint64_t> hits_after(std::uint64_t lo) {
    Bench b;
    b.enable();
    for (std::uint32_t i = 0; i < 4; ++i) {
        b.set_irte(i, remapped_irte(0x40 + i, 0x0100));
        b.init.send_at(100 + i, remappable_address(i, false), 0, 0, 1 + i);
    }
    b.sw.at(5000, [&b, lo] {
        b.queue_descriptor(lo, 0);
        b.ring();
    });
    for (std::uint32_t i = 0; i < 4; ++i)
        b.init.send_at(10000 + i, remappable_address(i, false), 0, 0, 11 + i);
    ::pisim::sc_start_bounded();
    const auto f = b.sink.of(EventKind::VtdIrteFetch);
    EXPECT_EQ(f.size(), 8u);
    std::vector<std::uint64_t> out;
    for (std::size_t i = 4; i < f.size(); ++i) out.push_back(f[i].b);
    const auto inv = b.sink.of(EventKind::VtdIecInvalidate);
    EXPECT_EQ(inv.size(), 1u);
    return out;
}
}  // namespace

TEST(VtdIec, IndexSelectiveInvalidationMask) {
    // G=1, IM=1, IIDX=3: the aligned pair 2 and 3.
    EXPECT_EQ(hits_after(iec_descriptor(true, 1, 3)), (std::vector<std::uint64_t>{1, 1, 0, 0}));
}

TEST(VtdIec, IndexSelectiveInvalidationOne) {
    EXPECT_EQ(hits_after(iec_descriptor(true, 0, 1)), (std::vector<std::uint64_t>{1, 0, 1, 1}));
}

TEST(VtdIec, GlobalInvalidation) {
    EXPECT_EQ(hits_after(iec_descriptor(false, 0, 0)), (std::vector<std::uint64_t>{0, 0, 0, 0}));
}

TEST(VtdIec, InvalidateEventArgs) {
    Bench b;
    b.enable();
    b.queue_descriptor(iec_descriptor(true, 2, 9), 0);
    b.queue_descriptor(iec_descriptor(false, 0, 0), 0);
    b.sw.at(10, [&] { b.ring(); });
    ::pisim::sc_start_bounded();
    const auto inv = b.sink.of(EventKind::VtdIecInvalidate);
    ASSERT_EQ(inv.size(), 2u);
    EXPECT_EQ(inv[0].a, 0u);  // index-selective
    EXPECT_EQ(inv[0].b, 9u);
    EXPECT_EQ(inv[0].c, 2u);
    EXPECT_EQ(inv[1].a, 1u);  // global
}

// ---- the invalidation queue ----

// Each descriptor costs iq_descriptor; the wait writes its status data with
// the VT-d agent, sets ICS.IWC when IF=1, and IQH ends at IQT.
TEST(VtdIq, WaitStatusWriteAndCost) {
    const VtdTiming t = default_timing();
    Bench b(t);
    b.enable();
    std::vector<PhysMem::Agent> writers;
    b.mem.watch(kStatusBase, 4, [&](std::uint64_t, std::size_t) { writers.push_back(b.mem.agent()); });
    b.queue_descriptor(iec_descriptor(false, 0, 0), 0);
    b.queue_descriptor(iec_descriptor(true, 0, 3), 0);
    b.queue_descriptor(wait_descriptor(true, true, true, 0xC0DE), kStatusBase);
    b.sw.at(100, [&] { b.ring(); });
    ::pisim::sc_start_bounded();
    EXPECT_EQ(b.mem.read32(kStatusBase), 0xC0DEu);
    ASSERT_EQ(writers.size(), 1u);
    EXPECT_EQ(writers[0], PhysMem::Agent::Vtd);
    const auto w = b.sink.of(EventKind::VtdIqWait);
    ASSERT_EQ(w.size(), 1u);
    EXPECT_EQ(w[0].cycle, 100 + 3 * t.iq_descriptor);
    EXPECT_EQ(w[0].a, kStatusBase);
    EXPECT_EQ(w[0].b, 0xC0DEu);
    const auto inv = b.sink.of(EventKind::VtdIecInvalidate);
    ASSERT_EQ(inv.size(), 2u);
    EXPECT_EQ(inv[0].cycle, 100 + t.iq_descriptor);
    EXPECT_EQ(inv[1].cycle, 100 + 2 * t.iq_descriptor);
    EXPECT_EQ(b.unit.read_reg(vtd_reg::IQH), 3u << 4);
    EXPECT_EQ(b.unit.read_reg(vtd_reg::ICS), vtd_reg::ICS_IWC);
    b.unit.write_reg(vtd_reg::ICS, vtd_reg::ICS_IWC);
    EXPECT_EQ(b.unit.read_reg(vtd_reg::ICS), 0u);
}

TEST(VtdIq, WaitWithoutStatusWrite) {
    Bench b;
    b.enable();
    b.mem.write32(kStatusBase, 0x1111);
    b.queue_descriptor(wait_descriptor(false, false, false, 0xC0DE), kStatusBase);
    b.sw.at(100, [&] { b.ring(); });
    ::pisim::sc_start_bounded();
    EXPECT_EQ(b.mem.read32(kStatusBase), 0x1111u);
    EXPECT_EQ(b.unit.read_reg(vtd_reg::ICS), 0u);
    EXPECT_EQ(b.sink.of(EventKind::VtdIqWait).size(), 1u);
}

// Drain [VTD 6.5.2.7]: a request that already holds its (stale) IRTE finishes
// - PID written and notification sent - before the IEC invalidation
// completes, and before the following wait writes its status. A request
// started after the invalidation uses the new entry.
TEST(VtdIq, InFlightRequestsDrainBeforeCompletion) {
    const VtdTiming t = default_timing();
    Bench b(t);
    b.enable();
    b.set_irte(5, posted_irte(0x60, kPidBase));
    b.set_pid_control(kPidBase, false, false, 0xF2, 0x0100);
    b.set_pid_control(kPidBase + 64, false, false, 0xF3, 0x0200);
    // Warm the IEC.
    b.init.send_at(0, remappable_address(5, false), 0, 0, 1);
    // Software retargets the IRTE to another PID, then clears ON of the first.
    b.sw.at(1000, [&] {
        b.set_irte(5, posted_irte(0x61, kPidBase + 64));
        b.set_pid_control(kPidBase, false, false, 0xF2, 0x0100);
    });
    // Request 2 hits the stale entry at 2000 and is in flight until
    // 2000 + four clocks + iec_hit + pid_rmw.
    b.init.send_at(2000, remappable_address(5, false), 0, 0, 2);
    b.sw.at(2020, [&] {
        b.queue_descriptor(iec_descriptor(true, 0, 5), 0);
        b.queue_descriptor(wait_descriptor(false, true, false, 1), kStatusBase);
        b.ring();
    });
    // Request 3 arrives while the invalidation drains.
    b.init.send_at(2060, remappable_address(5, false), 0, 0, 3);
    ::pisim::sc_start_bounded();

    const long post2 = b.sink.index_of(EventKind::VtdPost, 2);
    const long notify2 = b.sink.index_of(EventKind::VtdNotify, 2);
    const long inv = b.sink.index_of(EventKind::VtdIecInvalidate);
    const long wait = b.sink.index_of(EventKind::VtdIqWait);
    const long fetch3 = b.sink.index_of(EventKind::VtdIrteFetch, 3);
    ASSERT_TRUE(post2 >= 0 && notify2 >= 0 && inv >= 0 && wait >= 0 && fetch3 >= 0);
    EXPECT_LT(post2, notify2);
    EXPECT_LT(notify2, inv);
    EXPECT_LT(inv, wait);
    const auto& ev = b.sink.events;
    EXPECT_EQ(ev[post2].b, kPidBase) << "in-flight request used the stale entry";
    const std::uint64_t done2 = 2000 + 4 * t.clock_period + t.iec_hit + t.pid_rmw;
    EXPECT_EQ(ev[notify2].cycle, done2);
    EXPECT_EQ(ev[inv].cycle, done2) << "completion waits for the drain, not for the cost";
    EXPECT_EQ(ev[wait].cycle, done2 + t.iq_descriptor);
    EXPECT_EQ(b.mem.read32(kStatusBase), 1u);
    // Request 3 started after the entries were dropped: a miss, the new PID.
    EXPECT_EQ(ev[fetch3].b, 0u);
    const long post3 = b.sink.index_of(EventKind::VtdPost, 3);
    ASSERT_GE(post3, 0);
    EXPECT_EQ(ev[post3].b, kPidBase + 64);
    EXPECT_EQ(ev[post3].c, 0x61u);
}

// With nothing in flight the invalidation completes after its cost alone.
TEST(VtdIq, NoDrainWhenIdle) {
    const VtdTiming t = default_timing();
    Bench b(t);
    b.enable();
    b.set_irte(1, remapped_irte(0x40, 0x0100));
    b.init.send_at(0, remappable_address(1, false), 0, 0, 1);
    b.sw.at(1000, [&] {
        b.queue_descriptor(iec_descriptor(false, 0, 0), 0);
        b.ring();
    });
    ::pisim::sc_start_bounded();
    const auto inv = b.sink.of(EventKind::VtdIecInvalidate);
    ASSERT_EQ(inv.size(), 1u);
    EXPECT_EQ(inv[0].cycle, 1000 + t.iq_descriptor);
}

// An unknown descriptor type stops the queue with IQE; IQH stays on it.
// Software replaces it and clears IQE; processing resumes.
TEST(VtdIq, UnknownTypeSetsIqe) {
    Bench b;
    b.enable();
    b.queue_descriptor(wait_descriptor(false, true, false, 7), kStatusBase);
    b.queue_descriptor(0x2 /* IOTLB invalidate: not supported here */, 0);
    b.queue_descriptor(wait_descriptor(false, true, false, 8), kStatusBase + 4);
    b.sw.at(10, [&] { b.ring(); });
    b.sw.at(5000, [&] {
        EXPECT_TRUE(b.unit.read_reg(vtd_reg::FSTS) & vtd_reg::FSTS_IQE);
        EXPECT_EQ(b.unit.read_reg(vtd_reg::IQH), 1u << 4);
        EXPECT_EQ(b.mem.read32(kStatusBase + 4), 0u) << "nothing after the bad descriptor";
        b.mem.write64(kIqBase + 16, wait_descriptor(false, false, false, 0));
        b.unit.write_reg(vtd_reg::FSTS, vtd_reg::FSTS_IQE);
    });
    ::pisim::sc_start_bounded();
    EXPECT_EQ(b.mem.read32(kStatusBase), 7u);
    EXPECT_EQ(b.mem.read32(kStatusBase + 4), 8u);
    EXPECT_FALSE(b.unit.read_reg(vtd_reg::FSTS) & vtd_reg::FSTS_IQE);
    EXPECT_EQ(b.unit.read_reg(vtd_reg::IQH), 3u << 4);
}

TEST(VtdIq, ReservedFieldSetsIqe) {
    Bench b;
    b.enable();
    b.queue_descriptor(iec_descriptor(false, 0, 0) | (1ull << 8), 0);
    b.sw.at(10, [&] { b.ring(); });
    ::pisim::sc_start_bounded();
    EXPECT_TRUE(b.unit.read_reg(vtd_reg::FSTS) & vtd_reg::FSTS_IQE);
    EXPECT_TRUE(b.sink.of(EventKind::VtdIecInvalidate).empty());
}

TEST(VtdIq, IndexMaskAboveMhmvSetsIqe) {
    Bench b;
    b.enable();
    b.queue_descriptor(iec_descriptor(true, 16, 0), 0);
    b.sw.at(10, [&] { b.ring(); });
    ::pisim::sc_start_bounded();
    EXPECT_TRUE(b.unit.read_reg(vtd_reg::FSTS) & vtd_reg::FSTS_IQE);
}

TEST(VtdIq, UnreadableStatusAddressSetsIqe) {
    Bench b;
    b.enable();
    b.queue_descriptor(wait_descriptor(false, true, false, 1), kNoRam);
    b.sw.at(10, [&] { b.ring(); });
    ::pisim::sc_start_bounded();
    EXPECT_TRUE(b.unit.read_reg(vtd_reg::FSTS) & vtd_reg::FSTS_IQE);
    EXPECT_TRUE(b.sink.of(EventKind::VtdIqWait).empty());
}

// With QIE=0 nothing is processed; enabling the queue clears IQH/IQT.
TEST(VtdIq, DisabledQueueDoesNothing) {
    Bench b;
    b.unit.write_reg(vtd_reg::IQA, kIqBase);
    b.queue_descriptor(wait_descriptor(false, true, false, 5), kStatusBase);
    b.sw.at(10, [&] { b.ring(); });
    sc_core::sc_start(sc_core::sc_time::from_value(10000));
    EXPECT_EQ(b.mem.read32(kStatusBase), 0u);
    EXPECT_FALSE(b.unit.read_reg(vtd_reg::GSTS) & vtd_reg::GSTS_QIES);
}

// The queue wraps around at 2^(QS+8) entries: IQH follows IQT through the end.
TEST(VtdIq, TailWraps) {
    VtdTiming t = default_timing();
    t.iq_descriptor = 1;
    Bench b(t);
    b.enable();  // QS=0: 256 entries
    for (int i = 0; i < 254; ++i) b.queue_descriptor(wait_descriptor(false, false, false, 0), 0);
    b.queue_descriptor(wait_descriptor(false, true, false, 1), kStatusBase);      // 254
    b.queue_descriptor(wait_descriptor(false, true, false, 2), kStatusBase + 4);  // 255
    b.iq_tail = 0;
    b.sw.at(10, [&] { b.unit.write_reg(vtd_reg::IQT, 254u << 4); });
    b.sw.at(1000, [&] {
        EXPECT_EQ(b.unit.read_reg(vtd_reg::IQH), 254u << 4);
        b.queue_descriptor(wait_descriptor(false, true, false, 3), kStatusBase + 8);  // 0
        b.ring();  // IQT = 1: wrapped
    });
    ::pisim::sc_start_bounded();
    EXPECT_EQ(b.mem.read32(kStatusBase), 1u);
    EXPECT_EQ(b.mem.read32(kStatusBase + 4), 2u);
    EXPECT_EQ(b.mem.read32(kStatusBase + 8), 3u);
    EXPECT_EQ(b.unit.read_reg(vtd_reg::IQH), 1u << 4);
    EXPECT_FALSE(b.unit.read_reg(vtd_reg::FSTS) & vtd_reg::FSTS_IQE);
}
