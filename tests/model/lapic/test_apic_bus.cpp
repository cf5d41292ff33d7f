// ApicBus: routing of interrupt messages to local APICs [SDM vol. 3A 10.6.1
// shorthands, 10.6.2.1 physical, 10.6.2.2 logical (flat, cluster), 10.6.2.4
// lowest priority, 10.12.10 x2APIC], cycle-exact latencies and order.
#include <gtest/gtest.h>

#include "lapic_test_util.h"
#include "tests/model/sim_bound.h"

using namespace pisim;
using namespace pisim::test;

namespace {

/// pcpu units that accepted `vector`, in acceptance order, with their cycles.
std::vector<std::pair<std::uint32_t, std::uint64_t>> accepts(const Recorder& r,
                                                             std::uint64_t vector) {
    std::vector<std::pair<std::uint32_t, std::uint64_t>> out;
    for (const Event& e : r.of(EventKind::ApicAccept))
        if (e.a == vector) out.emplace_back(e.unit, e.cycle);
    return out;
}

using Hits = std::vector<std::pair<std::uint32_t, std::uint64_t>>;

}  // namespace

TEST(ApicBus, PhysicalIpiArrivesAfterIpiLatency) {
    Machine mc({0, 1, 2}, false, /*ipi*/ 100, /*msg*/ 40);
    run(10);
    mc[0].send_ipi(2, 0x55);
    const auto sends = mc.rec.of(EventKind::ApicSend);
    ASSERT_EQ(sends.size(), 1u);
    EXPECT_EQ(sends[0].unit, 0u);
    EXPECT_EQ(sends[0].cycle, 10u);
    EXPECT_EQ(sends[0].a, 2u);     // dest
    EXPECT_EQ(sends[0].b, 0x55u);  // vector
    EXPECT_EQ(sends[0].c, 0u);     // no shorthand
    EXPECT_EQ(sends[0].d, 0u);     // physical
    run(100);  // up to cycle 110, not its processes
    EXPECT_FALSE(bit(mc[2].irr(), 0x55));
    EXPECT_EQ(mc.bus->pending(), 1u);
    run(1);
    EXPECT_TRUE(bit(mc[2].irr(), 0x55));
    EXPECT_EQ(accepts(mc.rec, 0x55), (Hits{{2, 110}}));
    EXPECT_TRUE(empty(mc[0].irr()));
    EXPECT_TRUE(empty(mc[1].irr()));
}

TEST(ApicBus, DeviceMessageArrivesAfterMsgLatency) {
    Machine mc({0, 1}, false, 100, 40);
    run(3);
    mc.bus->deliver(device_msg(1, 0x71, 99));
    ::pisim::sc_start_bounded();
    EXPECT_EQ(accepts(mc.rec, 0x71), (Hits{{1, 43}}));
    EXPECT_EQ(mc.rec.of(EventKind::ApicAccept)[0].tag, 99u);
}

TEST(ApicBus, SameCycleArrivalsInSendOrderAndLaterShorterMessageFirst) {
    Machine mc({0, 1}, false, 100, 40);
    mc[0].send_ipi(1, 0x30);             // arrives at 100
    mc.bus->deliver(device_msg(1, 0x31));  // arrives at 40
    run(60);
    mc.bus->deliver(device_msg(1, 0x32));  // arrives at 100, after 0x30
    mc[0].send_ipi(1, 0x33);             // arrives at 160
    ::pisim::sc_start_bounded();
    const auto acc = mc.rec.of(EventKind::ApicAccept);
    ASSERT_EQ(acc.size(), 4u);
    EXPECT_EQ(acc[0].a, 0x31u);
    EXPECT_EQ(acc[0].cycle, 40u);
    EXPECT_EQ(acc[1].a, 0x30u);
    EXPECT_EQ(acc[1].cycle, 100u);
    EXPECT_EQ(acc[2].a, 0x32u);
    EXPECT_EQ(acc[2].cycle, 100u);
    EXPECT_EQ(acc[3].a, 0x33u);
    EXPECT_EQ(acc[3].cycle, 160u);
}

TEST(ApicBus, ZeroLatencyArrivesInTheSameCycle) {
    Machine mc({0, 1}, false, 0, 0);
    run(5);
    mc[0].send_ipi(1, 0x40);
    run(1);
    EXPECT_EQ(accepts(mc.rec, 0x40), (Hits{{1, 5}}));
}

TEST(ApicBus, PhysicalBroadcastXapic) {
    Machine mc({0, 1, 2}, false, 100, 40);
    mc.bus->deliver(device_msg(0xFF, 0x60));
    ::pisim::sc_start_bounded();
    EXPECT_EQ(accepts(mc.rec, 0x60), (Hits{{0, 40}, {1, 40}, {2, 40}}));
}

TEST(ApicBus, PhysicalX2apicIdsAndBroadcast) {
    Machine mc({0x100, 0x2345, 0xFF}, true, 100, 40);
    mc[0].send_ipi(0x2345, 0x61);
    mc[1].send_ipi(0xFF, 0x62);  // 0xFF is an ordinary x2APIC ID
    mc[2].send_ipi(0xFFFFFFFFu, 0x63);
    ::pisim::sc_start_bounded();
    EXPECT_EQ(accepts(mc.rec, 0x61), (Hits{{1, 100}}));
    EXPECT_EQ(accepts(mc.rec, 0x62), (Hits{{2, 100}}));
    EXPECT_EQ(accepts(mc.rec, 0x63), (Hits{{0, 100}, {1, 100}, {2, 100}}));
}

TEST(ApicBus, LogicalFlatModel) {
    Machine mc({0, 1, 2, 3}, false, 100, 40);
    for (unsigned i = 0; i < 4; ++i) mc[i].mmio_write(0xD0, (1u << i) << 24);
    // ICR from APIC 3: fixed, logical, MDA 0x05 -> logical IDs 0x01 and 0x04.
    mc[3].mmio_write(0x310, 0x05u << 24);
    mc[3].mmio_write(0x300, (1u << 11) | 0x70);
    mc.bus->deliver([] {
        ApicMessage m = device_msg(0x0A, 0x71);
        m.dest_logical = true;
        return m;
    }());
    ::pisim::sc_start_bounded();
    EXPECT_EQ(accepts(mc.rec, 0x70), (Hits{{0, 100}, {2, 100}}));
    EXPECT_EQ(accepts(mc.rec, 0x71), (Hits{{1, 40}, {3, 40}}));
    EXPECT_EQ(mc.rec.of(EventKind::ApicSend)[0].d, 1u);  // dest_logical
}

TEST(ApicBus, LogicalClusterModel) {
    Machine mc({0, 1, 2, 3}, false, 100, 40);
    const std::uint32_t ldr[] = {0x11, 0x12, 0x21, 0x14};  // cluster:4 | member bits:4
    for (unsigned i = 0; i < 4; ++i) {
        mc[i].mmio_write(0xE0, 0x0FFFFFFF);  // DFR cluster model
        EXPECT_EQ(mc[i].mmio_read(0xE0), 0x0FFFFFFFu);
        mc[i].mmio_write(0xD0, ldr[i] << 24);
    }
    auto logical = [](std::uint32_t mda, std::uint8_t v) {
        ApicMessage m = device_msg(mda, v);
        m.dest_logical = true;
        return m;
    };
    mc.bus->deliver(logical(0x13, 0x80));  // cluster 1, members 1 and 2
    mc.bus->deliver(logical(0x21, 0x81));  // cluster 2, member 1
    mc.bus->deliver(logical(0x31, 0x82));  // cluster 3: nobody
    mc.bus->deliver(logical(0xFF, 0x83));  // broadcast
    ::pisim::sc_start_bounded();
    EXPECT_EQ(accepts(mc.rec, 0x80), (Hits{{0, 40}, {1, 40}}));
    EXPECT_EQ(accepts(mc.rec, 0x81), (Hits{{2, 40}}));
    EXPECT_TRUE(accepts(mc.rec, 0x82).empty());
    EXPECT_EQ(accepts(mc.rec, 0x83), (Hits{{0, 40}, {1, 40}, {2, 40}, {3, 40}}));
}

TEST(ApicBus, LogicalX2apicCluster) {
    // Logical x2APIC ID = ID[19:4] << 16 | 1 << ID[3:0] [SDM 10.12.10.2].
    Machine mc({0x10, 0x11, 0x20, 0x1F}, true, 100, 40);
    EXPECT_EQ(mc[0].ldr(), 0x00010001u);
    EXPECT_EQ(mc[1].ldr(), 0x00010002u);
    EXPECT_EQ(mc[2].ldr(), 0x00020001u);
    EXPECT_EQ(mc[3].ldr(), 0x00018000u);
    // ICR MSR: logical, destination cluster 1 members 0,1 and 15.
    mc[2].wrmsr(0x830, (std::uint64_t(0x00018003) << 32) | (1u << 11) | 0x90);
    mc[0].wrmsr(0x830, (std::uint64_t(0x00020001) << 32) | (1u << 11) | 0x91);
    mc[0].wrmsr(0x830, (std::uint64_t(0xFFFFFFFF) << 32) | (1u << 11) | 0x92);
    ::pisim::sc_start_bounded();
    EXPECT_EQ(accepts(mc.rec, 0x90), (Hits{{0, 100}, {1, 100}, {3, 100}}));
    EXPECT_EQ(accepts(mc.rec, 0x91), (Hits{{2, 100}}));
    EXPECT_EQ(accepts(mc.rec, 0x92), (Hits{{0, 100}, {1, 100}, {2, 100}, {3, 100}}));
}

TEST(ApicBus, ShorthandSelf) {
    Machine mc({0, 1, 2}, false, 100, 40);
    mc[1].mmio_write(0x310, 2u << 24);  // destination ignored with a shorthand
    mc[1].mmio_write(0x300, (1u << 18) | 0xA0);
    ::pisim::sc_start_bounded();
    EXPECT_EQ(accepts(mc.rec, 0xA0), (Hits{{1, 100}}));
    EXPECT_EQ(mc.rec.of(EventKind::ApicSend)[0].c, 1u);
}

TEST(ApicBus, ShorthandAllIncludingSelf) {
    Machine mc({0, 1, 2}, false, 100, 40);
    mc[1].mmio_write(0x300, (2u << 18) | 0xA1);
    ::pisim::sc_start_bounded();
    EXPECT_EQ(accepts(mc.rec, 0xA1), (Hits{{0, 100}, {1, 100}, {2, 100}}));
    EXPECT_EQ(mc.rec.of(EventKind::ApicSend)[0].c, 2u);
}

TEST(ApicBus, ShorthandAllExcludingSelf) {
    Machine mc({0, 1, 2}, false, 100, 40);
    mc[1].mmio_write(0x300, (3u << 18) | 0xA2);
    ::pisim::sc_start_bounded();
    EXPECT_EQ(accepts(mc.rec, 0xA2), (Hits{{0, 100}, {2, 100}}));
    EXPECT_EQ(mc.rec.of(EventKind::ApicSend)[0].c, 3u);
}

TEST(ApicBus, ShorthandsInX2apicMode) {
    Machine mc({0x10, 0x11, 0x12}, true, 100, 40);
    mc[2].wrmsr(0x830, (3u << 18) | 0xB0);
    mc[2].wrmsr(0x830, (1u << 18) | 0xB1);
    ::pisim::sc_start_bounded();
    EXPECT_EQ(accepts(mc.rec, 0xB0), (Hits{{0, 100}, {1, 100}}));
    EXPECT_EQ(accepts(mc.rec, 0xB1), (Hits{{2, 100}}));
}

TEST(ApicBus, SendSelfIpiXapicUsesShorthand) {
    Machine mc({0, 1}, false, 100, 40);
    run(20);
    mc[1].send_self_ipi(0xC1);
    EXPECT_EQ(mc[1].mmio_read(0x300), (1u << 18) | (1u << 12) | 0xC1u);  // send pending
    ::pisim::sc_start_bounded();
    EXPECT_EQ(accepts(mc.rec, 0xC1), (Hits{{1, 120}}));
}

TEST(ApicBus, SelfIpiMsrX2apic) {
    Machine mc({0x10, 0x11}, true, 100, 40);
    mc[1].wrmsr(0x830, (std::uint64_t(0x10) << 32) | 0x44);
    run(5);
    EXPECT_TRUE(mc[1].try_wrmsr(0x83F, 0xC2));
    EXPECT_FALSE(mc[1].try_wrmsr(0x83F, 0x1C2));  // reserved bits: #GP
    std::uint64_t v = 0;
    EXPECT_FALSE(mc[1].try_rdmsr(0x83F, v));      // write-only: #GP
    EXPECT_EQ(mc[1].rdmsr(0x830), (std::uint64_t(0x10) << 32) | 0x44);  // ICR unchanged
    ::pisim::sc_start_bounded();
    EXPECT_EQ(accepts(mc.rec, 0xC2), (Hits{{1, 105}}));
    const auto sends = mc.rec.of(EventKind::ApicSend);
    ASSERT_EQ(sends.size(), 2u);
    EXPECT_EQ(sends[1].c, 1u);  // self shorthand
    mc[0].send_self_ipi(0xC3);
    ::pisim::sc_start_bounded();
    EXPECT_EQ(accepts(mc.rec, 0xC3), (Hits{{0, 205}}));
}

TEST(ApicBus, LowestPriorityGoesToLowestPpr) {
    Machine mc({0, 1, 2}, false, 100, 40);
    mc[0].set_tpr(0x40);
    mc[1].set_tpr(0x20);
    mc[2].set_tpr(0x20);
    ApicMessage m = device_msg(0xFF, 0x77);
    m.mode = DeliveryMode::LowestPriority;
    mc.bus->deliver(m);
    ::pisim::sc_start_bounded();
    EXPECT_EQ(accepts(mc.rec, 0x77), (Hits{{1, 40}}));  // tie 1 vs 2: earliest attached
}

TEST(ApicBus, UnmatchedMessageIsDropped) {
    Machine mc({0, 1}, false, 100, 40);
    mc.bus->deliver(device_msg(7, 0x55));
    ::pisim::sc_start_bounded();
    EXPECT_TRUE(mc.rec.of(EventKind::ApicAccept).empty());
    EXPECT_EQ(mc.bus->pending(), 0u);
}

TEST(ApicBus, IllegalVectorIpiFlagsSenderAndReceiver) {
    Machine mc({0, 1}, false, 100, 40);
    mc[0].send_ipi(1, 0x0E);
    ::pisim::sc_start_bounded();
    mc[0].mmio_write(0x280, 0);
    mc[1].mmio_write(0x280, 0);
    EXPECT_EQ(mc[0].mmio_read(0x280), 0x20u);  // send illegal vector
    EXPECT_EQ(mc[1].mmio_read(0x280), 0x40u);  // receive illegal vector
    EXPECT_TRUE(empty(mc[1].irr()));
}

TEST(ApicBus, XapicIcrDeliveryStatusPendingUntilCarried) {
    Machine mc({0, 1}, false, 100, 40);
    run(10);
    mc[0].send_ipi(1, 0x50);
    EXPECT_EQ(mc[0].mmio_read(0x300), (1u << 12) | 0x50u);
    EXPECT_EQ(mc[0].mmio_read(0x310), 1u << 24);
    run(99);
    EXPECT_EQ(mc[0].mmio_read(0x300) >> 12 & 1u, 1u);
    run(1);
    EXPECT_EQ(mc[0].mmio_read(0x300), 0x50u);
}

TEST(ApicBusDeathTest, DuplicateApicIdStops) {
    EXPECT_DEATH({ Machine mc({3, 3}, false); }, "lapic invariant failed");
}
