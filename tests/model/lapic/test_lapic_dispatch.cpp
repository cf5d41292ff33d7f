// LapicDispatch: acceptance into the IRR, dispatch by priority class against
// PPR, INTA and EOI sequences [SDM vol. 3A 10.8.2-10.8.5, 10.9].
#include <gtest/gtest.h>

#include "lapic_test_util.h"

using namespace pisim;
using namespace pisim::test;

TEST(LapicDispatch, AcceptAcknowledgeEoiPath) {
    Machine mc({0, 1}, false);
    EventProbe probe("probe", mc[1].deliverable_event());
    run(5);
    mc[1].deliver(device_msg(1, 0x41, 77));
    EXPECT_TRUE(bit(mc[1].irr(), 0x41));
    EXPECT_FALSE(bit(mc[1].tmr(), 0x41));
    EXPECT_EQ(mc[1].deliverable_vector(), 0x41);
    run(1);
    ASSERT_EQ(probe.times.size(), 1u);
    EXPECT_EQ(probe.times[0], 5u);  // delta notification in the acceptance cycle

    EXPECT_EQ(mc[1].acknowledge(), 0x41);
    EXPECT_FALSE(bit(mc[1].irr(), 0x41));
    EXPECT_TRUE(bit(mc[1].isr(), 0x41));
    EXPECT_EQ(mc[1].ppr(), 0x40);
    EXPECT_EQ(mc[1].deliverable_vector(), -1);
    mc[1].eoi();
    EXPECT_TRUE(empty(mc[1].isr()));
    EXPECT_EQ(mc[1].ppr(), 0x00);

    const auto& ev = mc.rec.events;
    ASSERT_EQ(ev.size(), 3u);
    EXPECT_EQ(ev[0].kind, EventKind::ApicAccept);
    EXPECT_EQ(ev[1].kind, EventKind::ApicDispatch);
    EXPECT_EQ(ev[2].kind, EventKind::ApicEoi);
    for (const Event& e : ev) {
        EXPECT_EQ(e.unit, 1u);
        EXPECT_EQ(e.tag, 77u);
        EXPECT_EQ(e.a, 0x41u);
    }
    EXPECT_EQ(ev[0].b, 0x00u);  // PPR when accepted
    EXPECT_EQ(ev[1].b, 0x40u);  // PPR after INTA
    EXPECT_EQ(ev[2].b, 0x00u);  // PPR after EOI
    EXPECT_EQ(ev[0].cycle, 5u);
}

TEST(LapicDispatch, HighestIrrVectorFirst) {
    Machine mc({0}, false);
    mc[0].deliver(device_msg(0, 0x31));
    mc[0].deliver(device_msg(0, 0x92));
    mc[0].deliver(device_msg(0, 0x55));
    EXPECT_EQ(mc[0].deliverable_vector(), 0x92);
    EXPECT_EQ(mc[0].acknowledge(), 0x92);
    // 0x55 and 0x31 are below PPR 0x90 now.
    EXPECT_EQ(mc[0].deliverable_vector(), -1);
}

TEST(LapicDispatch, EqualClassBlockedHigherClassDispatched) {
    Machine mc({0}, false);
    mc[0].deliver(device_msg(0, 0x45));
    EXPECT_EQ(mc[0].acknowledge(), 0x45);
    mc[0].deliver(device_msg(0, 0x4A));  // same class 4 as in service: waits
    EXPECT_EQ(mc[0].deliverable_vector(), -1);
    mc[0].deliver(device_msg(0, 0x3F));  // lower class: waits
    EXPECT_EQ(mc[0].deliverable_vector(), -1);
    mc[0].deliver(device_msg(0, 0x50));  // class 5 > 4: nests
    EXPECT_EQ(mc[0].deliverable_vector(), 0x50);
}

TEST(LapicDispatch, TprBlocksUntilLowered) {
    Machine mc({0}, false);
    EventProbe probe("probe", mc[0].deliverable_event());
    mc[0].set_tpr(0x50);
    EXPECT_EQ(mc[0].ppr(), 0x50);
    run(10);
    mc[0].deliver(device_msg(0, 0x5F));  // class 5 == TPR class: blocked
    EXPECT_EQ(mc[0].deliverable_vector(), -1);
    run(10);
    EXPECT_TRUE(probe.times.empty());  // nothing deliverable, no notification
    mc[0].set_tpr(0x4F);
    EXPECT_EQ(mc[0].ppr(), 0x4F);
    EXPECT_EQ(mc[0].deliverable_vector(), 0x5F);
    run(10);
    ASSERT_EQ(probe.times.size(), 1u);
    EXPECT_EQ(probe.times[0], 20u);
    mc[0].deliver(device_msg(0, 0x61));
    EXPECT_EQ(mc[0].deliverable_vector(), 0x61);
}

TEST(LapicDispatch, NestedInterruptsEoiInPriorityOrder) {
    Machine mc({0}, false);
    mc[0].deliver(device_msg(0, 0x30, 1));
    EXPECT_EQ(mc[0].acknowledge(), 0x30);
    mc[0].deliver(device_msg(0, 0x80, 2));
    EXPECT_EQ(mc[0].acknowledge(), 0x80);
    EXPECT_EQ(mc[0].ppr(), 0x80);
    EXPECT_TRUE(bit(mc[0].isr(), 0x30));
    EXPECT_TRUE(bit(mc[0].isr(), 0x80));
    mc[0].eoi();  // clears the highest ISR bit, 0x80
    EXPECT_FALSE(bit(mc[0].isr(), 0x80));
    EXPECT_TRUE(bit(mc[0].isr(), 0x30));
    EXPECT_EQ(mc[0].ppr(), 0x30);
    mc[0].eoi();
    EXPECT_TRUE(empty(mc[0].isr()));
    EXPECT_EQ(mc[0].ppr(), 0x00);
    mc[0].eoi();  // nothing in service: no effect, no event

    const auto& ev = mc.rec.events;
    ASSERT_EQ(ev.size(), 6u);
    const EventKind kinds[] = {EventKind::ApicAccept, EventKind::ApicDispatch,
                               EventKind::ApicAccept, EventKind::ApicDispatch,
                               EventKind::ApicEoi,    EventKind::ApicEoi};
    const std::uint64_t vectors[] = {0x30, 0x30, 0x80, 0x80, 0x80, 0x30};
    const std::uint64_t pprs[] = {0x00, 0x30, 0x30, 0x80, 0x30, 0x00};
    const std::uint64_t tags[] = {1, 1, 2, 2, 2, 1};
    for (int i = 0; i < 6; ++i) {
        EXPECT_EQ(ev[i].kind, kinds[i]) << i;
        EXPECT_EQ(ev[i].a, vectors[i]) << i;
        EXPECT_EQ(ev[i].b, pprs[i]) << i;
        EXPECT_EQ(ev[i].tag, tags[i]) << i;
    }
}

TEST(LapicDispatch, EoiReleasesBlockedVectorAndNotifies) {
    Machine mc({0}, false);
    EventProbe probe("probe", mc[0].deliverable_event());
    mc[0].deliver(device_msg(0, 0x45));
    EXPECT_EQ(mc[0].acknowledge(), 0x45);
    mc[0].deliver(device_msg(0, 0x42));
    run(7);
    const std::size_t before = probe.times.size();
    EXPECT_EQ(mc[0].deliverable_vector(), -1);
    mc[0].eoi();
    EXPECT_EQ(mc[0].deliverable_vector(), 0x42);
    run(3);
    ASSERT_EQ(probe.times.size(), before + 1);
    EXPECT_EQ(probe.times.back(), 7u);
}

TEST(LapicDispatch, AcknowledgeWithNothingDeliverableGivesSpuriousVector) {
    Machine mc({0}, false);
    mc[0].mmio_write(0xF0, 0x1EF);  // SVR: enabled, spurious vector 0xEF
    EXPECT_EQ(mc[0].acknowledge(), 0xEF);
    mc[0].set_tpr(0x60);
    mc[0].deliver(device_msg(0, 0x61));
    EXPECT_EQ(mc[0].acknowledge(), 0xEF);  // masked by TPR: spurious, IRR kept
    EXPECT_TRUE(bit(mc[0].irr(), 0x61));
    EXPECT_TRUE(empty(mc[0].isr()));
    EXPECT_TRUE(mc.rec.of(EventKind::ApicDispatch).empty());
}

TEST(LapicDispatch, SameVectorMergesInIrrAndKeepsPendingTag) {
    Machine mc({0}, false);
    mc[0].deliver(device_msg(0, 0x70, 5));
    mc[0].deliver(device_msg(0, 0x70, 6));
    EXPECT_EQ(mc.rec.of(EventKind::ApicAccept).size(), 2u);
    EXPECT_EQ(mc[0].acknowledge(), 0x70);
    EXPECT_EQ(mc[0].deliverable_vector(), -1);
    EXPECT_EQ(mc.rec.of(EventKind::ApicDispatch)[0].tag, 5u);
    // One pending and one in service of the same vector can coexist.
    mc[0].deliver(device_msg(0, 0x70, 7));
    EXPECT_TRUE(bit(mc[0].irr(), 0x70));
    EXPECT_TRUE(bit(mc[0].isr(), 0x70));
    EXPECT_EQ(mc[0].deliverable_vector(), -1);  // same class as in service
    mc[0].eoi();
    EXPECT_EQ(mc[0].deliverable_vector(), 0x70);
    EXPECT_EQ(mc[0].acknowledge(), 0x70);
    EXPECT_EQ(mc.rec.of(EventKind::ApicDispatch)[1].tag, 7u);
}

TEST(LapicDispatch, IllegalVectorSetsEsrAndIsDropped) {
    Machine mc({0}, false);
    for (unsigned v : {0u, 5u, 15u}) mc[0].deliver(device_msg(0, std::uint8_t(v)));
    EXPECT_TRUE(empty(mc[0].irr()));
    EXPECT_TRUE(mc.rec.events.empty());
    EXPECT_EQ(mc[0].mmio_read(0x280), 0u);  // ESR updates on write [SDM 10.5.3]
    mc[0].mmio_write(0x280, 0);
    EXPECT_EQ(mc[0].mmio_read(0x280), 0x40u);  // receive illegal vector
    mc[0].mmio_write(0x280, 0);
    EXPECT_EQ(mc[0].mmio_read(0x280), 0u);  // back-to-back writes clear
    mc[0].deliver(device_msg(0, 16));       // lowest legal vector
    EXPECT_TRUE(bit(mc[0].irr(), 16));
}

TEST(LapicDispatch, IllegalVectorRaisesErrorInterruptWhenLvtErrorUnmasked) {
    Machine mc({0}, false);
    mc[0].mmio_write(0x370, 0xFE);  // LVT error: vector 0xFE, unmasked
    mc[0].deliver(device_msg(0, 3));
    EXPECT_FALSE(bit(mc[0].irr(), 3));
    EXPECT_TRUE(bit(mc[0].irr(), 0xFE));
    EXPECT_EQ(mc[0].deliverable_vector(), 0xFE);
}

TEST(LapicDispatch, TmrFollowsTriggerModeAndLevelEoiIsBroadcast) {
    Machine mc({0}, false);
    mc[0].deliver(device_msg(0, 0x60, 0, true));
    EXPECT_TRUE(bit(mc[0].tmr(), 0x60));
    EXPECT_EQ(mc[0].acknowledge(), 0x60);
    mc[0].eoi();
    ASSERT_EQ(mc[0].eoi_broadcasts().size(), 1u);
    EXPECT_EQ(mc[0].eoi_broadcasts()[0], 0x60);
    mc[0].deliver(device_msg(0, 0x60, 0, false));  // edge now: TMR cleared
    EXPECT_FALSE(bit(mc[0].tmr(), 0x60));
    mc[0].acknowledge();
    mc[0].eoi();
    EXPECT_EQ(mc[0].eoi_broadcasts().size(), 1u);
    // SVR bit 12 suppresses the broadcast [SDM 10.8.5].
    mc[0].mmio_write(0xF0, 0x11FF);
    mc[0].deliver(device_msg(0, 0x61, 0, true));
    mc[0].acknowledge();
    mc[0].eoi();
    EXPECT_EQ(mc[0].eoi_broadcasts().size(), 1u);
}

TEST(LapicDispatch, SoftwareDisabledApicDropsFixedAndHoldsPending) {
    Machine mc({0}, false);
    mc[0].deliver(device_msg(0, 0x40));
    mc[0].mmio_write(0xF0, 0x0FF);  // software disable
    EXPECT_FALSE(mc[0].software_enabled());
    mc[0].deliver(device_msg(0, 0x50));
    EXPECT_FALSE(bit(mc[0].irr(), 0x50));
    EXPECT_TRUE(bit(mc[0].irr(), 0x40));  // held
    for (std::uint32_t off : {0x2F0u, 0x320u, 0x330u, 0x340u, 0x350u, 0x360u, 0x370u}) {
        mc[0].mmio_write(off, 0x30);  // the mask cannot be cleared while disabled
        EXPECT_EQ(mc[0].mmio_read(off) & 0x10000u, 0x10000u) << off;
    }
    mc[0].mmio_write(0xF0, 0x1FF);
    mc[0].deliver(device_msg(0, 0x50));
    EXPECT_TRUE(bit(mc[0].irr(), 0x50));
}

TEST(LapicDispatch, LowestPriorityMessageAcceptedAsFixed) {
    Machine mc({0}, false);
    ApicMessage m = device_msg(0, 0x66);
    m.mode = DeliveryMode::LowestPriority;
    mc[0].deliver(m);
    EXPECT_EQ(mc[0].deliverable_vector(), 0x66);
}

TEST(LapicDispatchDeathTest, UnmodelledDeliveryModeStops) {
    EXPECT_DEATH(
        {
            Machine mc({0}, false);
            ApicMessage m = device_msg(0, 0x20);
            m.mode = DeliveryMode::Nmi;
            mc[0].deliver(m);
        },
        "lapic invariant failed");
}
