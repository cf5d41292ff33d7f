// PerCpuTimer: the per-pCPU interrupt source [xen-devel, "Using
// IRQ_GUEST|IRQ_PER_CPU to signal "delivery to current vcpu"?"]. Periodic and timed
// expiries; the status word's pending bit is set before the vector reaches
// the local APIC; delivery goes to its own APIC only.
#include <gtest/gtest.h>

#include "lapic_test_util.h"
#include "model/common/phys_mem.h"
#include "model/lapic/percpu_timer.h"

using namespace pisim;
using namespace pisim::test;

namespace {

constexpr std::uint64_t kStatus = 0x1000;

/// Records what reaches the "local APIC", with the status word seen then.
struct ApicProbe : sc_core::sc_module, ApicMessageIf {
    PhysMem& mem;
    std::vector<std::pair<std::uint64_t, ApicMessage>> got;
    std::vector<std::uint64_t> status_seen;
    ApicProbe(sc_core::sc_module_name n, PhysMem& m) : sc_core::sc_module(n), mem(m) {}
    void deliver(const ApicMessage& m) override {
        got.push_back({now_cycles(), m});
        status_seen.push_back(mem.read64(kStatus));
        mem.write64(kStatus, 0);  // software reads and clears it
    }
};

PerCpuTimerConfig config() {
    PerCpuTimerConfig c;
    c.pcpu = 3;
    c.apic_id = 7;
    c.vector = 0xE0;
    c.status_pa = kStatus;
    return c;
}

}  // namespace

TEST(PerCpuTimer, PeriodicExpiriesSetTheStatusWordThenRaiseTheVector) {
    PhysMem mem;
    mem.map_ram(0, 0x10000);
    Recorder rec;
    ApicProbe apic("apic", mem);
    PerCpuTimerConfig c = config();
    c.start = 500;
    c.period = 1000;
    c.count = 3;
    PerCpuTimer t("t", c, mem, rec);
    t.irq.bind(apic);
    sc_core::sc_start(cycles(10000));
    ASSERT_EQ(apic.got.size(), 3u);
    EXPECT_EQ(apic.got[0].first, 500u);
    EXPECT_EQ(apic.got[1].first, 1500u);
    EXPECT_EQ(apic.got[2].first, 2500u);
    for (std::size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(apic.status_seen[i], 1u) << "pending bit visible before the interrupt";
        EXPECT_EQ(apic.got[i].second.vector, 0xE0);
        EXPECT_EQ(apic.got[i].second.dest, 7u);
        EXPECT_FALSE(apic.got[i].second.level_triggered);
        EXPECT_EQ(apic.got[i].second.mode, DeliveryMode::Fixed);
    }
    auto fires = rec.of(EventKind::PercpuTimerFire);
    ASSERT_EQ(fires.size(), 3u);
    EXPECT_EQ(fires[2].unit, 3u);
    EXPECT_EQ(fires[2].a, 0xE0u);
    EXPECT_EQ(fires[2].b, 3u);
    EXPECT_EQ(t.fired(), 3u);
}

TEST(PerCpuTimer, TimedFiringWithoutPeriodAndStatusBitAccumulates) {
    PhysMem mem;
    mem.map_ram(0, 0x10000);
    Machine mach({7}, true);
    LocalApic& apic = mach[0];
    Recorder& rec = mach.rec;
    PerCpuTimer t("t", config(), mem, rec);
    t.irq.bind(apic);
    sc_core::sc_start(cycles(100));
    EXPECT_EQ(t.fired(), 0u) << "no period: only timed firings";
    t.fire();
    t.fire();
    EXPECT_EQ(mem.read64(kStatus), 1u) << "one pending bit, not a count";
    EXPECT_EQ(t.fired(), 2u);
    EXPECT_TRUE(apic.irr()[0xE0 / 32] & (1u << (0xE0 % 32))) << "accepted by its local APIC";
}

TEST(PerCpuTimer, BadConfigurationThrows) {
    PhysMem mem;
    mem.map_ram(0, 0x10000);
    NullSink sink;
    PerCpuTimerConfig c = config();
    c.vector = 10;
    EXPECT_THROW(PerCpuTimer("a", c, mem, sink), std::invalid_argument);
    c = config();
    c.status_pa = kStatus + 4;
    EXPECT_THROW(PerCpuTimer("b", c, mem, sink), std::invalid_argument);
    c.status_pa = 0x20000;  // not RAM
    EXPECT_THROW(PerCpuTimer("c", c, mem, sink), std::invalid_argument);
}
