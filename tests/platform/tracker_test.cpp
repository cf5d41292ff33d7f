// The latency tracker: steps in order, coalescing, re-targeting, percentiles.
#include <gtest/gtest.h>

#include "platform/irq_tracker.h"
#include "platform/report.h"
#include "platform/sweep.h"
#include "platform/yaml_util.h"

using namespace pisim;

namespace {
Event ev(std::uint64_t cycle, EventKind k, std::uint32_t unit, std::uint64_t tag, std::uint64_t a = 0,
         std::uint64_t b = 0, std::uint64_t c = 0) {
    Event e;
    e.cycle = cycle, e.kind = k, e.unit = unit, e.tag = tag, e.a = a, e.b = b, e.c = c;
    return e;
}
}  // namespace

TEST(PlatformTracker, PostedInterruptStepsAndLatency) {
    IrqTracker t;
    t.bind(0x100, 0, 3, 0x40);
    t.set_pid_owner(0x2000, 3);
    t.on_event(ev(100, EventKind::NicMsiWrite, 0x100, 1, 0xFEE00018, 0, 0));
    t.on_event(ev(700, EventKind::VtdRequest, 0, 1));
    t.on_event(ev(730, EventKind::VtdIrteFetch, 0, 1));
    t.on_event(ev(1030, EventKind::VtdPost, 0, 1, 0, 0x2000, 0x40));
    t.on_event(ev(1330, EventKind::ApicAccept, 0, 1, 0xF2));
    Event pi = ev(1480, EventKind::CpuPiProcess, 0, 0, 3);
    pi.d = 1ull << 0;  // pir1 holds vectors 64..127: 0x40 is bit 0
    t.on_event(pi);
    t.on_event(ev(1560, EventKind::GuestIsrBegin, 3, 0, 0x40));
    ASSERT_EQ(t.records().size(), 1u);
    const IrqRecord& r = t.records()[0];
    EXPECT_TRUE(r.delivered);
    EXPECT_EQ(r.latency(), 1460u);
    std::vector<IrqStep> steps;
    for (const auto& [s, c] : r.steps) steps.push_back(s);
    EXPECT_EQ(steps, (std::vector<IrqStep>{IrqStep::DeviceWrite, IrqStep::VtdRequest, IrqStep::Remapping,
                                           IrqStep::Posting, IrqStep::Notification, IrqStep::PiProcessing,
                                           IrqStep::VirtualDelivery}));
}

TEST(PlatformTracker, TwoPostsOfOneVectorCoalesceIntoOneIsr) {
    IrqTracker t;
    t.bind(0x100, 0, 0, 0x40);
    t.set_pid_owner(0x2000, 0);
    for (std::uint64_t tag : {1, 2}) {
        t.on_event(ev(100 * tag, EventKind::NicMsiWrite, 0x100, tag));
        t.on_event(ev(100 * tag + 50, EventKind::VtdPost, 0, tag, 0, 0x2000, 0x40));
    }
    t.on_event(ev(1000, EventKind::GuestIsrBegin, 0, 0, 0x40));
    EXPECT_TRUE(t.records()[0].delivered && t.records()[1].delivered);
    EXPECT_EQ(t.records()[0].delivered_at, 1000u);
}

TEST(PlatformTracker, AnIsrBeforeThePostDoesNotDeliverIt) {
    IrqTracker t;
    t.bind(0x100, 0, 0, 0x40);
    t.set_pid_owner(0x2000, 0);
    t.on_event(ev(100, EventKind::NicMsiWrite, 0x100, 1));
    t.on_event(ev(200, EventKind::GuestIsrBegin, 0, 0, 0x40));  // an earlier interrupt's ISR
    EXPECT_FALSE(t.records()[0].delivered);
}

TEST(PlatformTracker, PostIntoAnotherPidRetargetsTheInterrupt) {
    IrqTracker t;
    t.bind(0x100, 0, 0, 0x40);
    t.set_pid_owner(0x2000, 0);
    t.set_pid_owner(0x3000, 1);
    t.on_event(ev(100, EventKind::NicMsiWrite, 0x100, 1));
    t.on_event(ev(200, EventKind::VtdPost, 0, 1, 0, 0x3000, 0x41));  // IRTE already rewritten
    t.on_event(ev(300, EventKind::GuestIsrBegin, 1, 0, 0x41));
    EXPECT_TRUE(t.records()[0].delivered);
    EXPECT_EQ(t.records()[0].vcpu, 1);
}

TEST(PlatformSummary, NearestRankPercentiles) {
    std::vector<std::uint64_t> v;
    for (std::uint64_t i = 1; i <= 200; ++i) v.push_back(i);
    LatencySummary s = summarize(v);
    EXPECT_EQ(s.count, 200u);
    EXPECT_EQ(s.p50, 100u);
    EXPECT_EQ(s.p99, 198u);
    EXPECT_EQ(s.max, 200u);
    EXPECT_EQ(summarize({}).count, 0u);
    EXPECT_EQ(summarize({7}).p99, 7u);
}

TEST(PlatformSweep, VaryParsingAndGrid) {
    Vary v = parse_vary("events.0.at=10:20:5");
    EXPECT_EQ(v.path, "events.0.at");
    EXPECT_EQ(v.start, 10u);
    EXPECT_EQ(v.end, 20u);
    EXPECT_EQ(v.step, 5u);
    EXPECT_THROW(parse_vary("x=5:1"), std::invalid_argument);
    EXPECT_THROW(parse_vary("x=a:b"), std::invalid_argument);
    EXPECT_THROW(parse_vary("=1:2"), std::invalid_argument);
    auto g = grid_points({parse_vary("a=1:2"), parse_vary("b=0:20:10")});
    ASSERT_EQ(g.size(), 6u);
    EXPECT_EQ(g[4].set, (std::vector<std::pair<std::string, std::uint64_t>>{{"a", 2}, {"b", 10}}));
    EXPECT_EQ(g[5].index, 5u);
}

TEST(PlatformSweep, ApplyPointSetsExistingIntegerFieldsOnly) {
    YAML::Node doc = YAML::Load("duration: 100\nevents: [{at: 5, op: preempt, pcpu: 0}]\n");
    SweepPoint p;
    p.set = {{"events.0.at", 42}};
    YAML::Node out = apply_point(doc, p);
    EXPECT_EQ(out["events"][0]["at"].as<int>(), 42);
    EXPECT_EQ(doc["events"][0]["at"].as<int>(), 5) << "the base document is untouched";
    p.set = {{"events.3.at", 1}};
    EXPECT_THROW(apply_point(doc, p), std::invalid_argument);
    p.set = {{"events.0", 1}};
    EXPECT_THROW(apply_point(doc, p), std::invalid_argument);
}

TEST(PlatformSweep, RandomPointsAreDeterministicPerSeed) {
    YAML::Node doc = YAML::Load("duration: 1000\nevents: [{at: 5}, {at: 6}]\n");
    auto a = random_points(doc, {}, 20, 7), b = random_points(doc, {}, 20, 7), c = random_points(doc, {}, 20, 8);
    for (std::size_t i = 0; i < 20; ++i) {
        EXPECT_EQ(a[i].set, b[i].set);
        for (const auto& [k, v] : a[i].set) EXPECT_LT(v, 1000u);
    }
    bool differ = false;
    for (std::size_t i = 0; i < 20; ++i) differ = differ || a[i].set != c[i].set;
    EXPECT_TRUE(differ);
}

TEST(PlatformYaml, DidYouMean) {
    EXPECT_EQ(closest_word("duraton", {"duration", "devices"}), "duration");
    EXPECT_EQ(closest_word("zzzzzz", {"duration", "devices"}), "");
}
