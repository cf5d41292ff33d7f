// NicModeration: interrupt moderation per vector (82599-style EITR): at most
// one message per `moderation` cycles; requests inside an interval are
// coalesced into one message sent when the interval ends.
#include <gtest/gtest.h>

#include <set>

#include "nic_bench.h"
#include "tests/model/sim_bound.h"

using namespace pisim;
using namespace pisim::test;
using ::testing::ElementsAre;

namespace {
constexpr std::uint64_t kAddr = 0xFEE00000ull;

NicBench* unmasked(NicBench& b, std::uint32_t vectors = 1) {
    for (std::uint32_t i = 0; i < vectors; ++i) {
        b.nic->msix_program(i, kAddr, 0x20 + i);
        b.nic->msix_mask(i, false);
    }
    return &b;
}
}  // namespace

// Packets every 100 cycles from 0 (10 of them), interval 250: messages at
// 0, 250, 500, 750, 1000; the 9 other packets are held (an arrival in the
// cycle an interval ends joins that interval's message).
TEST(NicModeration, CoalescesIntoOneMessageAtIntervalEnd) {
    NicConfig cfg;
    cfg.moderation = 250;
    cfg.queues.push_back(queue_on(0, constant(0, 100, 10)));
    NicBench b(cfg, NicTiming{10});
    unmasked(b);
    ::pisim::sc_start_bounded();

    EXPECT_THAT(cycles_of(b.sink.of(EventKind::NicMsiWrite)), ElementsAre(0, 250, 500, 750, 1000));
    EXPECT_THAT(cycles_of(b.target.log), ElementsAre(10, 260, 510, 760, 1010));
    const auto mod = b.sink.of(EventKind::NicModerated);
    EXPECT_THAT(cycles_of(mod), ElementsAre(100, 200, 300, 400, 500, 600, 700, 800, 900));
    std::vector<std::uint64_t> until;
    for (const auto& e : mod) {
        EXPECT_EQ(e.a, 0u);
        until.push_back(e.b);
    }
    EXPECT_THAT(until, ElementsAre(250, 250, 500, 500, 500, 750, 750, 1000, 1000));
    EXPECT_EQ(b.nic->stats().packets, 10u);
    EXPECT_EQ(b.nic->stats().messages, 5u);
    EXPECT_EQ(b.nic->stats().moderated, 9u);
}

// An interval that ends with nothing held is not re-armed: the next packet
// fires at once [82599/I210 EITR].
TEST(NicModeration, IdleIntervalLetsTheNextPacketFireAtOnce) {
    NicConfig cfg;
    cfg.moderation = 250;
    cfg.queues.push_back(queue_on(0, file({0, 1000, 1100})));
    NicBench b(cfg, NicTiming{3});
    unmasked(b);
    ::pisim::sc_start_bounded();
    EXPECT_THAT(cycles_of(b.sink.of(EventKind::NicMsiWrite)), ElementsAre(0, 1000, 1250));
    EXPECT_THAT(cycles_of(b.sink.of(EventKind::NicModerated)), ElementsAre(1100));
}

// Moderation is per vector: two vectors do not hold each other; two queues on
// one vector share its interval, and the held message names the first queue held.
TEST(NicModeration, PerVectorIntervalsAndQueueAttribution) {
    NicConfig cfg;
    cfg.msix_vectors = 2;
    cfg.moderation = 100;
    cfg.queues.push_back(queue_on(0, file({0, 30})));
    cfg.queues.push_back(queue_on(0, file({10, 40})));
    cfg.queues.push_back(queue_on(1, file({5, 20})));
    NicBench b(cfg, NicTiming{1});
    unmasked(b, 2);
    ::pisim::sc_start_bounded();
    const auto w = b.sink.of(EventKind::NicMsiWrite);
    ASSERT_EQ(w.size(), 4u);
    EXPECT_EQ(w[0].cycle, 0u);   EXPECT_EQ(w[0].c, 0u); EXPECT_EQ(w[0].d, 0u);
    EXPECT_EQ(w[1].cycle, 5u);   EXPECT_EQ(w[1].c, 1u); EXPECT_EQ(w[1].d, 2u);
    EXPECT_EQ(w[2].cycle, 100u); EXPECT_EQ(w[2].c, 0u); EXPECT_EQ(w[2].d, 1u);  // queue 1 at 10 held first
    EXPECT_EQ(w[3].cycle, 105u); EXPECT_EQ(w[3].c, 1u); EXPECT_EQ(w[3].d, 2u);
    EXPECT_EQ(b.nic->stats().moderated, 4u);
}

// The interval is counted from every assertion, also one that only set the
// pending bit; a message released on unmask covers what was held and
// restarts the interval, so the stale interval end sends nothing.
TEST(NicModeration, ReleaseOnUnmaskCoversHeldRequests) {
    NicConfig cfg;
    cfg.moderation = 100;
    cfg.queues.push_back(queue_on(0, file({0, 50, 120})));
    NicBench b(cfg, NicTiming{2});
    b.nic->msix_program(0, kAddr, 0x33);          // stays masked
    sc_core::sc_start(cycles(60));
    EXPECT_TRUE(b.nic->msix_pending(0));
    b.nic->msix_mask(0, false);                   // at 60
    ::pisim::sc_start_bounded();
    EXPECT_THAT(cycles_of(b.sink.of(EventKind::NicMsixPending)), ElementsAre(0));
    EXPECT_THAT(cycles_of(b.sink.of(EventKind::NicMsiWrite)), ElementsAre(60, 160));
    const auto mod = b.sink.of(EventKind::NicModerated);
    ASSERT_EQ(mod.size(), 2u);
    EXPECT_EQ(mod[0].cycle, 50u);
    EXPECT_EQ(mod[0].b, 100u);
    EXPECT_EQ(mod[1].cycle, 120u);
    EXPECT_EQ(mod[1].b, 160u);
    EXPECT_FALSE(b.nic->msix_pending(0));
}

// A held message that finds its vector masked at the interval end goes to
// the pending bit instead.
TEST(NicModeration, IntervalEndOnAMaskedVectorSetsThePendingBit) {
    NicConfig cfg;
    cfg.moderation = 100;
    cfg.queues.push_back(queue_on(0, file({0, 40})));
    NicBench b(cfg, NicTiming{2});
    unmasked(b);
    sc_core::sc_start(cycles(50));
    b.nic->msix_mask(0, true);
    sc_core::sc_start(cycles(100));               // to cycle 150
    EXPECT_TRUE(b.nic->msix_pending(0));
    EXPECT_THAT(cycles_of(b.sink.of(EventKind::NicMsixPending)), ElementsAre(100));
    EXPECT_THAT(cycles_of(b.sink.of(EventKind::NicMsiWrite)), ElementsAre(0));
    b.nic->msix_mask(0, false);                   // at 150
    ::pisim::sc_start_bounded();
    EXPECT_THAT(cycles_of(b.sink.of(EventKind::NicMsiWrite)), ElementsAre(0, 150));
}

// Under random traffic on two queues of one vector: no two messages closer
// than the interval, every held request is announced with the cycle of the
// message that carries it, and nothing is lost.
TEST(NicModeration, MinimumGapHoldsUnderPoissonTraffic) {
    NicConfig cfg;
    cfg.moderation = 1000;
    cfg.seed = 2024;
    TrafficSpec p;
    p.kind = TrafficSpec::Kind::Poisson;
    p.interval = 300;
    p.stop = 2000000;
    cfg.queues.push_back(queue_on(0, p));
    cfg.queues.push_back(queue_on(0, p));
    NicBench b(cfg, NicTiming{50});
    unmasked(b);
    ::pisim::sc_start_bounded();
    const auto w = cycles_of(b.sink.of(EventKind::NicMsiWrite));
    ASSERT_GT(w.size(), 1500u);
    for (std::size_t i = 1; i < w.size(); ++i) ASSERT_GE(w[i] - w[i - 1], 1000u) << i;
    const std::set<std::uint64_t> sent(w.begin(), w.end());
    for (const auto& e : b.sink.of(EventKind::NicModerated)) ASSERT_TRUE(sent.count(e.b)) << e.cycle;
    const auto& s = b.nic->stats();
    EXPECT_GT(s.moderated, s.packets / 2);
    EXPECT_EQ(s.messages, b.target.log.size());
    EXPECT_EQ(s.delivered, s.messages);
}
