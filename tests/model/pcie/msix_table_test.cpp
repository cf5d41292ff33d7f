// Msix*: MSI-X table reset state, per-vector masking with the Pending Bit
// Array, Function Mask and MSI-X Enable [PCIe 6.1.4.5, 7.7.2].
#include <gtest/gtest.h>

#include <stdexcept>

#include "nic_bench.h"
#include "tests/model/sim_bound.h"

using namespace pisim;
using namespace pisim::test;
using ::testing::ElementsAre;

namespace {
constexpr std::uint64_t kAddr = 0xFEE01000ull;
}

// After reset every entry is masked with its pending bit clear; the function
// starts MSI-X enabled with the Function Mask clear.
TEST(MsixTable, ResetStateAllEntriesMasked) {
    NicConfig cfg;
    cfg.msix_vectors = 16;
    NicBench b(cfg, NicTiming{});
    for (std::uint32_t i = 0; i < 16; ++i) {
        EXPECT_TRUE(b.nic->msix_masked(i)) << i;
        EXPECT_FALSE(b.nic->msix_pending(i)) << i;
    }
    EXPECT_TRUE(b.nic->msix_enabled());
    EXPECT_FALSE(b.nic->msix_function_masked());
}

TEST(MsixTable, OutOfRangeIndexThrows) {
    NicConfig cfg;
    cfg.msix_vectors = 4;
    NicBench b(cfg, NicTiming{});
    EXPECT_THROW(b.nic->msix_program(4, kAddr, 0), std::out_of_range);
    EXPECT_THROW(b.nic->msix_mask(4, false), std::out_of_range);
    EXPECT_THROW(b.nic->msix_pending(4), std::out_of_range);
    EXPECT_THROW(b.nic->msix_masked(7), std::out_of_range);
    EXPECT_NO_THROW(b.nic->msix_program(3, kAddr, 0));
}

// A message for a masked vector sets its pending bit (one NicMsixPending, no
// write); unmasking sends it exactly once, with the entry's data at that
// time, and clears the pending bit.
TEST(MsixMask, MaskedVectorPendsAndIsSentOnceOnUnmask) {
    NicConfig cfg;
    cfg.msix_vectors = 2;
    cfg.queues.push_back(queue_on(1, file({100, 200})));
    NicBench b(cfg, NicTiming{20});
    b.nic->msix_program(1, kAddr, 0x55);
    sc_core::sc_start(cycles(300));
    EXPECT_TRUE(b.nic->msix_pending(1));
    EXPECT_FALSE(b.nic->msix_pending(0));
    const auto pend = b.sink.of(EventKind::NicMsixPending);
    ASSERT_EQ(pend.size(), 1u);          // the second packet finds the bit already set
    EXPECT_EQ(pend[0].cycle, 100u);
    EXPECT_EQ(pend[0].a, 1u);
    EXPECT_TRUE(b.target.log.empty());
    EXPECT_TRUE(b.sink.of(EventKind::NicMsiWrite).empty());

    b.nic->msix_program(1, kAddr, 0x56);
    b.nic->msix_mask(1, false);          // at cycle 300
    EXPECT_FALSE(b.nic->msix_pending(1));
    ::pisim::sc_start_bounded();
    const auto writes = b.sink.of(EventKind::NicMsiWrite);
    ASSERT_EQ(writes.size(), 1u);
    EXPECT_EQ(writes[0].cycle, 300u);
    EXPECT_EQ(writes[0].c, 1u);
    EXPECT_EQ(writes[0].d, 0u);
    ASSERT_EQ(b.target.log.size(), 1u);
    EXPECT_EQ(b.target.log[0].cycle, 320u);
    EXPECT_EQ(b.target.log[0].data, 0x56u);
    EXPECT_EQ(b.nic->stats().masked_pending, 1u);
    EXPECT_EQ(b.nic->stats().messages, 1u);
    EXPECT_EQ(b.nic->stats().packets, 2u);

    b.nic->msix_mask(1, true);           // mask and unmask again: nothing pending, nothing sent
    b.nic->msix_mask(1, false);
    ::pisim::sc_start_bounded();
    EXPECT_EQ(b.target.log.size(), 1u);
}

// Unmasking a vector without a pending bit sends nothing.
TEST(MsixMask, UnmaskWithoutPendingSendsNothing) {
    NicConfig cfg;
    NicBench b(cfg, NicTiming{5});
    b.nic->msix_program(0, kAddr, 1);
    b.nic->msix_mask(0, false);
    ::pisim::sc_start_bounded();
    EXPECT_TRUE(b.sink.events.empty());
    EXPECT_TRUE(b.target.log.empty());
}

// Function Mask: every vector behaves as masked whatever its Mask bit; the
// Mask bits keep their values; clearing the Function Mask sends the pending
// messages of unmasked vectors in index order and leaves a masked vector pending.
TEST(MsixFunctionMask, HoldsAllVectorsAndReleasesUnmaskedInIndexOrder) {
    NicConfig cfg;
    cfg.msix_vectors = 3;
    cfg.queues.push_back(queue_on(2, file({10})));
    cfg.queues.push_back(queue_on(0, file({20})));
    cfg.queues.push_back(queue_on(1, file({30})));
    NicBench b(cfg, NicTiming{4});
    for (std::uint32_t i = 0; i < 3; ++i) b.nic->msix_program(i, kAddr, 0x40 + i);
    b.nic->msix_mask(0, false);
    b.nic->msix_mask(2, false);          // vector 1 stays masked
    b.nic->msix_control(true, true);
    sc_core::sc_start(cycles(100));
    EXPECT_TRUE(b.nic->msix_pending(0));
    EXPECT_TRUE(b.nic->msix_pending(1));
    EXPECT_TRUE(b.nic->msix_pending(2));
    EXPECT_FALSE(b.nic->msix_masked(0));
    EXPECT_TRUE(b.nic->msix_masked(1));
    EXPECT_FALSE(b.nic->msix_masked(2));
    EXPECT_THAT(cycles_of(b.sink.of(EventKind::NicMsixPending)), ElementsAre(10, 20, 30));
    EXPECT_TRUE(b.target.log.empty());

    b.nic->msix_control(true, false);    // at cycle 100
    ::pisim::sc_start_bounded();
    const auto writes = b.sink.of(EventKind::NicMsiWrite);
    ASSERT_EQ(writes.size(), 2u);
    EXPECT_EQ(writes[0].c, 0u);
    EXPECT_EQ(writes[0].d, 1u);          // queue 1 raised vector 0
    EXPECT_EQ(writes[1].c, 2u);
    EXPECT_EQ(writes[1].d, 0u);
    ASSERT_EQ(b.target.log.size(), 2u);
    EXPECT_EQ(b.target.log[0].cycle, 104u);
    EXPECT_EQ(b.target.log[0].data, 0x40u);
    EXPECT_EQ(b.target.log[1].data, 0x42u);
    EXPECT_FALSE(b.nic->msix_pending(0));
    EXPECT_TRUE(b.nic->msix_pending(1));
    EXPECT_FALSE(b.nic->msix_pending(2));

    b.nic->msix_mask(1, false);          // now vector 1 goes too, once
    ::pisim::sc_start_bounded();
    ASSERT_EQ(b.target.log.size(), 3u);
    EXPECT_EQ(b.target.log[2].data, 0x41u);
    EXPECT_FALSE(b.nic->msix_pending(1));
}

// With the Function Mask set, unmasking one vector does not send its message.
TEST(MsixFunctionMask, UnmaskingAVectorUnderFunctionMaskSendsNothing) {
    NicConfig cfg;
    cfg.queues.push_back(queue_on(0, file({10})));
    NicBench b(cfg, NicTiming{4});
    b.nic->msix_control(true, true);
    sc_core::sc_start(cycles(50));
    EXPECT_TRUE(b.nic->msix_pending(0));
    b.nic->msix_mask(0, false);
    ::pisim::sc_start_bounded();
    EXPECT_TRUE(b.target.log.empty());
    EXPECT_TRUE(b.nic->msix_pending(0));
}

// MSI-X Enable clear: the function may not use MSI-X; requests are dropped
// (no pending bit, no write) and counted.
TEST(MsixFunctionMask, DisabledFunctionDropsRequests) {
    NicConfig cfg;
    cfg.queues.push_back(queue_on(0, file({10, 20})));
    NicBench b(cfg, NicTiming{4});
    b.nic->msix_program(0, kAddr, 1);
    b.nic->msix_mask(0, false);
    b.nic->msix_control(false, false);
    ::pisim::sc_start_bounded();
    EXPECT_FALSE(b.nic->msix_pending(0));
    EXPECT_TRUE(b.target.log.empty());
    EXPECT_EQ(b.sink.of(EventKind::NicPacket).size(), 2u);
    EXPECT_TRUE(b.sink.of(EventKind::NicMsixPending).empty());
    EXPECT_EQ(b.nic->stats().dropped, 2u);
    EXPECT_EQ(b.nic->stats().messages, 0u);
}
