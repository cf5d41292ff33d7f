// LapicTimer: the local APIC timer [SDM vol. 3A 10.5.4]: TSC-deadline mode
// (10.5.4.1), one-shot and periodic countdown with the divide configuration.
// One timer tick before division is one core cycle in this model.
#include <gtest/gtest.h>

#include "lapic_test_util.h"
#include "tests/model/sim_bound.h"

using namespace pisim;
using namespace pisim::test;

namespace {

constexpr std::uint32_t kLvtTimer = 0x320, kInitial = 0x380, kCurrent = 0x390, kDivide = 0x3E0;
constexpr std::uint32_t kOneShot = 0u << 17, kPeriodic = 1u << 17, kDeadline = 2u << 17;
constexpr std::uint32_t kMasked = 1u << 16;

std::vector<std::uint64_t> timer_cycles(const Recorder& r) {
    std::vector<std::uint64_t> out;
    for (const Event& e : r.of(EventKind::ApicTimer)) out.push_back(e.cycle);
    return out;
}

}  // namespace

TEST(LapicTimer, TscDeadlineFiresAtExactCycle) {
    Machine mc({0}, false);
    EventProbe probe("probe", mc[0].deliverable_event());
    run(20);
    mc[0].set_tsc_deadline(500, 0xEC);
    EXPECT_EQ(mc[0].rdmsr(0x6E0), 500u);
    EXPECT_EQ(mc[0].mmio_read(kLvtTimer), kDeadline | 0xECu);
    run(480);  // up to cycle 500, not its processes
    EXPECT_TRUE(mc.rec.events.empty());
    EXPECT_EQ(mc[0].rdmsr(0x6E0), 500u);
    run(1);
    const auto t = mc.rec.of(EventKind::ApicTimer);
    ASSERT_EQ(t.size(), 1u);
    EXPECT_EQ(t[0].cycle, 500u);
    EXPECT_EQ(t[0].a, 0xECu);
    EXPECT_EQ(t[0].b, 500u);
    EXPECT_EQ(t[0].unit, 0u);
    // ApicTimer then ApicAccept of the timer vector, same cycle.
    ASSERT_EQ(mc.rec.events.size(), 2u);
    EXPECT_EQ(mc.rec.events[1].kind, EventKind::ApicAccept);
    EXPECT_EQ(mc.rec.events[1].a, 0xECu);
    EXPECT_EQ(mc.rec.events[1].cycle, 500u);
    EXPECT_EQ(mc[0].deliverable_vector(), 0xEC);
    EXPECT_EQ(mc[0].rdmsr(0x6E0), 0u);  // disarmed once fired
    ASSERT_EQ(probe.times.size(), 1u);
    EXPECT_EQ(probe.times[0], 500u);
    ::pisim::sc_start_bounded();
    EXPECT_EQ(timer_cycles(mc.rec), (std::vector<std::uint64_t>{500}));
}

TEST(LapicTimer, TscDeadlineZeroDisarms) {
    Machine mc({0}, false);
    mc[0].set_tsc_deadline(300, 0xEC);
    run(100);
    mc[0].set_tsc_deadline(0, 0xEC);
    EXPECT_EQ(mc[0].rdmsr(0x6E0), 0u);
    ::pisim::sc_start_bounded();
    EXPECT_TRUE(mc.rec.events.empty());
    EXPECT_EQ(sc_core::sc_time_stamp(), cycles(100));  // nothing left scheduled
}

TEST(LapicTimer, TscDeadlineRewriteReplacesEarlierAndLater) {
    Machine mc({0}, false);
    mc[0].set_tsc_deadline(500, 0xE0);
    mc[0].wrmsr(0x6E0, 300);  // earlier
    run(400);
    EXPECT_EQ(timer_cycles(mc.rec), (std::vector<std::uint64_t>{300}));
    mc[0].wrmsr(0x6E0, 900);
    mc[0].wrmsr(0x6E0, 1200);  // later
    ::pisim::sc_start_bounded();
    EXPECT_EQ(timer_cycles(mc.rec), (std::vector<std::uint64_t>{300, 1200}));
}

TEST(LapicTimer, TscDeadlineInThePastFiresAtOnce) {
    Machine mc({0}, false);
    run(1000);
    mc[0].set_tsc_deadline(10, 0xE1);
    run(1);
    const auto t = mc.rec.of(EventKind::ApicTimer);
    ASSERT_EQ(t.size(), 1u);
    EXPECT_EQ(t[0].cycle, 1000u);
    EXPECT_EQ(t[0].b, 10u);  // the programmed deadline
    EXPECT_TRUE(bit(mc[0].irr(), 0xE1));
}

TEST(LapicTimer, TscDeadlineMaskedExpiryDeliversNothing) {
    Machine mc({0}, false);
    mc[0].mmio_write(kLvtTimer, kDeadline | kMasked | 0xE2);
    mc[0].wrmsr(0x6E0, 50);
    ::pisim::sc_start_bounded();
    EXPECT_TRUE(mc.rec.events.empty());
    EXPECT_TRUE(empty(mc[0].irr()));
    EXPECT_EQ(mc[0].rdmsr(0x6E0), 0u);
}

TEST(LapicTimer, ModeTransitionDisarms) {
    Machine mc({0}, false);
    mc[0].set_tsc_deadline(500, 0xE3);
    run(10);
    mc[0].mmio_write(kLvtTimer, kOneShot | 0xE3);  // leaves TSC-deadline mode
    EXPECT_EQ(mc[0].rdmsr(0x6E0), 0u);
    mc[0].wrmsr(0x6E0, 200);  // ignored outside TSC-deadline mode
    mc[0].mmio_write(kDivide, 0xB);
    mc[0].mmio_write(kInitial, 1000);  // one-shot at 1010
    run(10);
    mc[0].mmio_write(kLvtTimer, kDeadline | 0xE3);  // into TSC-deadline mode
    EXPECT_EQ(mc[0].mmio_read(kCurrent), 0u);
    EXPECT_EQ(mc[0].mmio_read(kInitial), 0u);
    mc[0].mmio_write(kInitial, 5);  // ignored in TSC-deadline mode
    EXPECT_EQ(mc[0].mmio_read(kInitial), 0u);
    ::pisim::sc_start_bounded();
    EXPECT_TRUE(mc.rec.events.empty());
}

TEST(LapicTimer, OneShotCountsDownAtDivideByOne) {
    Machine mc({0}, false);
    mc[0].mmio_write(kDivide, 0xB);  // divide by 1
    mc[0].mmio_write(kLvtTimer, kOneShot | 0xD0);
    run(10);
    mc[0].mmio_write(kInitial, 100);
    EXPECT_EQ(mc[0].mmio_read(kCurrent), 100u);
    run(40);
    EXPECT_EQ(mc[0].mmio_read(kCurrent), 60u);
    ::pisim::sc_start_bounded();
    EXPECT_EQ(timer_cycles(mc.rec), (std::vector<std::uint64_t>{110}));
    EXPECT_EQ(mc.rec.of(EventKind::ApicTimer)[0].b, 110u);
    EXPECT_EQ(mc[0].mmio_read(kCurrent), 0u);
    EXPECT_EQ(mc[0].mmio_read(kInitial), 100u);
    EXPECT_TRUE(bit(mc[0].irr(), 0xD0));
}

TEST(LapicTimer, DivideConfigurationTable) {
    // Bits 3,1:0: 000 /2, 001 /4, 010 /8, 011 /16, 100 /32, 101 /64, 110 /128, 111 /1.
    const std::uint32_t dcr[] = {0x0, 0x1, 0x2, 0x3, 0x8, 0x9, 0xA, 0xB};
    const std::uint64_t div[] = {2, 4, 8, 16, 32, 64, 128, 1};
    Machine mc({0}, false);
    mc[0].mmio_write(kLvtTimer, kOneShot | 0xD1);
    std::uint64_t start = 0;
    for (int i = 0; i < 8; ++i) {
        mc[0].mmio_write(kDivide, dcr[i]);
        EXPECT_EQ(mc[0].mmio_read(kDivide), dcr[i]);
        mc[0].mmio_write(kInitial, 10);
        ::pisim::sc_start_bounded();
        const auto t = timer_cycles(mc.rec);
        ASSERT_EQ(t.size(), std::size_t(i + 1));
        EXPECT_EQ(t.back(), start + 10 * div[i]) << "dcr " << dcr[i];
        start = t.back();
    }
}

TEST(LapicTimer, PeriodicReloadsFromInitialCount) {
    Machine mc({0}, false);
    mc[0].mmio_write(kDivide, 0x0);  // divide by 2
    mc[0].mmio_write(kLvtTimer, kPeriodic | 0xD2);
    mc[0].mmio_write(kInitial, 50);  // 100 cycles per period
    run(351);
    EXPECT_EQ(timer_cycles(mc.rec), (std::vector<std::uint64_t>{100, 200, 300}));
    EXPECT_EQ(mc[0].mmio_read(kCurrent), 25u);  // 51 cycles into the period
    // Each expiry is accepted; the merged IRR bit holds one.
    EXPECT_EQ(mc.rec.of(EventKind::ApicAccept).size(), 3u);
    mc[0].mmio_write(kInitial, 0);  // stops the timer
    EXPECT_EQ(mc[0].mmio_read(kCurrent), 0u);
    ::pisim::sc_start_bounded();
    EXPECT_EQ(timer_cycles(mc.rec).size(), 3u);
}

TEST(LapicTimer, PeriodicKeepsCountingWhileMasked) {
    Machine mc({0}, false);
    mc[0].mmio_write(kDivide, 0xB);
    mc[0].mmio_write(kLvtTimer, kPeriodic | kMasked | 0xD3);
    mc[0].mmio_write(kInitial, 100);
    run(250);
    EXPECT_TRUE(mc.rec.events.empty());
    EXPECT_EQ(mc[0].mmio_read(kCurrent), 50u);  // reloaded at 100 and 200
    mc[0].mmio_write(kLvtTimer, kPeriodic | 0xD3);  // unmask, same mode: keeps running
    run(51);
    EXPECT_EQ(timer_cycles(mc.rec), (std::vector<std::uint64_t>{300}));
}

TEST(LapicTimer, InitialCountRewriteRestarts) {
    Machine mc({0}, false);
    mc[0].mmio_write(kDivide, 0xB);
    mc[0].mmio_write(kLvtTimer, kOneShot | 0xD4);
    mc[0].mmio_write(kInitial, 100);
    run(60);
    mc[0].mmio_write(kInitial, 100);  // restart at 60
    ::pisim::sc_start_bounded();
    EXPECT_EQ(timer_cycles(mc.rec), (std::vector<std::uint64_t>{160}));
}

TEST(LapicTimer, DivideChangeContinuesFromCurrentCount) {
    Machine mc({0}, false);
    mc[0].mmio_write(kDivide, 0xB);
    mc[0].mmio_write(kLvtTimer, kOneShot | 0xD5);
    mc[0].mmio_write(kInitial, 100);
    run(40);  // 60 left
    mc[0].mmio_write(kDivide, 0x1);  // divide by 4: 240 more cycles
    EXPECT_EQ(mc[0].mmio_read(kCurrent), 60u);
    ::pisim::sc_start_bounded();
    EXPECT_EQ(timer_cycles(mc.rec), (std::vector<std::uint64_t>{280}));
}

TEST(LapicTimer, X2apicTimerMsrs) {
    Machine mc({0x10}, true);
    EXPECT_TRUE(mc[0].try_wrmsr(0x83E, 0xB));
    EXPECT_TRUE(mc[0].try_wrmsr(0x832, kOneShot | 0xD6));
    EXPECT_TRUE(mc[0].try_wrmsr(0x838, 30));
    EXPECT_FALSE(mc[0].try_wrmsr(0x839, 5));  // current count is read-only: #GP
    run(10);
    EXPECT_EQ(mc[0].rdmsr(0x839), 20u);
    ::pisim::sc_start_bounded();
    EXPECT_EQ(timer_cycles(mc.rec), (std::vector<std::uint64_t>{30}));
    // TSC-deadline through the MSRs.
    EXPECT_TRUE(mc[0].try_wrmsr(0x832, kDeadline | 0xD7));
    EXPECT_TRUE(mc[0].try_wrmsr(0x6E0, 77));
    ::pisim::sc_start_bounded();
    EXPECT_EQ(timer_cycles(mc.rec), (std::vector<std::uint64_t>{30, 77}));
}
