// NicTraffic / NicExponential: arrival times of the traffic kinds, their
// bounds, Poisson determinism, and the integer exponential.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <stdexcept>
#include <vector>

#include "model/pcie/exponential.h"
#include "model/pcie/traffic_source.h"
#include "nic_bench.h"

using namespace pisim;
using namespace pisim::test;
using ::testing::ElementsAre;
using Kind = TrafficSpec::Kind;

namespace {
std::vector<std::uint64_t> drain(TrafficSource& s, std::size_t limit = 1000000) {
    std::vector<std::uint64_t> out;
    while (out.size() < limit) {
        const auto t = s.next();
        if (!t) break;
        out.push_back(*t);
    }
    return out;
}
std::vector<std::uint64_t> drain(const TrafficSpec& spec, std::uint64_t seed = 0) {
    TrafficSource s(spec, seed);
    return drain(s);
}
}  // namespace

TEST(NicTraffic, ConstantTimesExactAndBoundedByCount) {
    EXPECT_THAT(drain(constant(7, 10, 4)), ElementsAre(7, 17, 27, 37));
}

TEST(NicTraffic, ConstantBoundedByStopExclusive) {
    TrafficSpec t = constant(0, 25, ~0ull);
    t.stop = 100;                        // 100 itself is excluded
    EXPECT_THAT(drain(t), ElementsAre(0, 25, 50, 75));
}

TEST(NicTraffic, BurstTimesExact) {
    TrafficSpec t;
    t.kind = Kind::Burst;
    t.start = 1000;
    t.interval = 10;
    t.burst_len = 3;
    t.burst_gap = 500;
    t.count = 8;
    // 3 packets 10 apart, next burst 500 after the last packet of the previous one.
    EXPECT_THAT(drain(t), ElementsAre(1000, 1010, 1020, 1520, 1530, 1540, 2040, 2050));
}

TEST(NicTraffic, BurstOfSimultaneousPackets) {
    TrafficSpec t;
    t.kind = Kind::Burst;
    t.interval = 0;
    t.burst_len = 2;
    t.burst_gap = 100;
    t.stop = 250;
    EXPECT_THAT(drain(t), ElementsAre(0, 0, 100, 100, 200, 200));
}

TEST(NicTraffic, FileTimesFilteredByStartStopCount) {
    TrafficSpec t = file({5, 10, 10, 40, 90, 120, 130});
    EXPECT_THAT(drain(t), ElementsAre(5, 10, 10, 40, 90, 120, 130));
    t.start = 10;
    t.stop = 130;
    EXPECT_THAT(drain(t), ElementsAre(10, 10, 40, 90, 120));
    t.count = 3;
    EXPECT_THAT(drain(t), ElementsAre(10, 10, 40));
}

TEST(NicTraffic, NoneAndZeroCountProduceNothing) {
    EXPECT_TRUE(drain(TrafficSpec{}).empty());
    EXPECT_TRUE(drain(constant(0, 10, 0)).empty());
}

TEST(NicTraffic, ConstantNearTheEndOfTimeDoesNotWrap) {
    TrafficSpec t = constant(~0ull - 15, 10, ~0ull);
    EXPECT_THAT(drain(t), ElementsAre(~0ull - 15, ~0ull - 5));
}

TEST(NicTraffic, RejectsSpecsThatNeverAdvance) {
    EXPECT_THROW(TrafficSource(constant(0, 0, 5), 0), std::invalid_argument);
    TrafficSpec p;
    p.kind = Kind::Poisson;
    p.interval = 0;
    EXPECT_THROW(TrafficSource(p, 1), std::invalid_argument);
    TrafficSpec b;
    b.kind = Kind::Burst;
    b.burst_len = 0;
    b.interval = 5;
    EXPECT_THROW(TrafficSource(b, 0), std::invalid_argument);
    b.burst_len = 4;
    b.interval = 0;
    b.burst_gap = 0;
    EXPECT_THROW(TrafficSource(b, 0), std::invalid_argument);
    EXPECT_THROW(TrafficSource(file({10, 9}), 0), std::invalid_argument);
}

TEST(NicTraffic, PoissonDeterministicForASeedDifferentForAnother) {
    TrafficSpec t;
    t.kind = Kind::Poisson;
    t.start = 100;
    t.interval = 1000;
    t.count = 200;
    const auto a1 = drain(t, 42), a2 = drain(t, 42), b = drain(t, 43);
    ASSERT_EQ(a1.size(), 200u);
    EXPECT_EQ(a1, a2);
    EXPECT_NE(a1, b);
    EXPECT_GE(a1.front(), 100u);
    for (std::size_t i = 1; i < a1.size(); ++i) EXPECT_GE(a1[i], a1[i - 1]);
}

// Mean gap within 5% of `interval` over 20,000 gaps (standard error 0.7%);
// the gaps are not all alike (coefficient of variation of an exponential is 1).
TEST(NicTraffic, PoissonMeanWithinLooseBound) {
    TrafficSpec t;
    t.kind = Kind::Poisson;
    t.interval = 30000;
    t.count = 20001;
    const auto a = drain(t, 7);
    ASSERT_EQ(a.size(), 20001u);
    const std::uint64_t span = a.back() - a.front();
    const std::uint64_t mean = span / 20000;
    EXPECT_GT(mean, 28500u);
    EXPECT_LT(mean, 31500u);
    // Fraction of gaps above the mean: e^-1 = 36.8% for an exponential.
    std::uint64_t above = 0;
    for (std::size_t i = 1; i < a.size(); ++i) above += (a[i] - a[i - 1]) > 30000;
    EXPECT_GT(above, 20000u * 34 / 100);
    EXPECT_LT(above, 20000u * 40 / 100);
}

// -log2(u / 2^64) in Q32.32 for exact powers of two and a known fraction.
TEST(NicExponential, NegLog2KnownValues) {
    EXPECT_EQ(neg_log2_q32(1ull << 63), 1ull << 32);            // U = 1/2
    EXPECT_EQ(neg_log2_q32(1ull << 62), 2ull << 32);            // U = 1/4
    EXPECT_EQ(neg_log2_q32(1ull), 64ull << 32);                 // smallest U
    // U = 3/4: -log2 0.75 = 0.41503749927884... -> 1782572486.02 in Q32
    const std::uint64_t v = neg_log2_q32(3ull << 62);
    EXPECT_NEAR(static_cast<double>(v), 1782572486.02, 4.0);
    // Largest U: just below 1, tiny but positive.
    EXPECT_GT(neg_log2_q32(~0ull), 0u);
    EXPECT_LT(neg_log2_q32(~0ull), 4u);
}

TEST(NicExponential, GapIsDeterministicAndScalesWithMean) {
    std::mt19937_64 r1(99), r2(99);
    for (int i = 0; i < 1000; ++i) {
        const std::uint64_t g1 = exponential_gap(r1, 1000);
        const std::uint64_t g2 = exponential_gap(r2, 1000000);
        // Same draws: the gap for mean 10^6 is the mean-10^3 gap scaled by 1000 (+-rounding).
        EXPECT_NEAR(static_cast<double>(g2), static_cast<double>(g1) * 1000.0, 1000.0);
    }
}
