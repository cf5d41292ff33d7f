// NicMsi: MSI (single and multiple message) [PCIe 6.1.4.4, 7.7.1].
#include <gtest/gtest.h>

#include <stdexcept>

#include "nic_bench.h"
#include "tests/model/sim_bound.h"

using namespace pisim;
using namespace pisim::test;
using ::testing::ElementsAre;

namespace {
constexpr std::uint64_t kAddr = 0xFEE02000ull;

NicConfig msi_config(std::uint32_t capable) {
    NicConfig cfg;
    cfg.use_msi = true;
    cfg.msi_vectors = capable;
    return cfg;
}
}  // namespace

// Four messages enabled: message k carries the data with its low 2 bits
// replaced by k; source vectors above the allocation alias to k mod 4.
TEST(NicMsi, MultiMessageDataLowBitsReplaced) {
    NicConfig cfg = msi_config(8);
    cfg.queues.push_back(queue_on(0, file({10})));
    cfg.queues.push_back(queue_on(5, file({20})));
    cfg.queues.push_back(queue_on(6, file({30})));
    cfg.queues.push_back(queue_on(3, file({40})));
    NicBench b(cfg, NicTiming{6});
    b.nic->msi_program(kAddr, 0x4023, 2);
    ::pisim::sc_start_bounded();
    ASSERT_EQ(b.target.log.size(), 4u);
    EXPECT_EQ(b.target.log[0].data, 0x4020u);
    EXPECT_EQ(b.target.log[1].data, 0x4021u);
    EXPECT_EQ(b.target.log[2].data, 0x4022u);
    EXPECT_EQ(b.target.log[3].data, 0x4023u);
    EXPECT_THAT(cycles_of(b.target.log), ElementsAre(16, 26, 36, 46));
    for (const auto& r : b.target.log) EXPECT_EQ(r.address, kAddr);
    const auto w = b.sink.of(EventKind::NicMsiWrite);
    ASSERT_EQ(w.size(), 4u);
    EXPECT_EQ(w[1].c, 1u);   // message number
    EXPECT_EQ(w[1].d, 1u);   // queue
    EXPECT_EQ(w[2].c, 2u);
}

TEST(NicMsi, FullAllocationUsesTheVectorNumber) {
    NicConfig cfg = msi_config(32);
    cfg.queues.push_back(queue_on(21, file({10})));
    NicBench b(cfg, NicTiming{1});
    b.nic->msi_program(kAddr, 0x4060, 5);
    ::pisim::sc_start_bounded();
    ASSERT_EQ(b.target.log.size(), 1u);
    EXPECT_EQ(b.target.log[0].data, 0x4060u | 21u);
}

TEST(NicMsi, SingleMessageLeavesDataAlone) {
    NicConfig cfg = msi_config(4);
    cfg.queues.push_back(queue_on(3, file({10})));
    NicBench b(cfg, NicTiming{1});
    b.nic->msi_program(kAddr, 0x4023, 0);
    ::pisim::sc_start_bounded();
    ASSERT_EQ(b.target.log.size(), 1u);
    EXPECT_EQ(b.target.log[0].data, 0x4023u);
    EXPECT_EQ(b.sink.of(EventKind::NicMsiWrite)[0].c, 0u);
}

// MSI Enable is clear until the capability is programmed: requests are dropped.
TEST(NicMsi, DisabledUntilProgrammed) {
    NicConfig cfg = msi_config(1);
    cfg.queues.push_back(queue_on(0, file({10, 100})));
    NicBench b(cfg, NicTiming{1});
    sc_core::sc_start(cycles(50));
    EXPECT_EQ(b.nic->stats().dropped, 1u);
    EXPECT_TRUE(b.target.log.empty());
    b.nic->msi_program(kAddr, 0x4041, 0);
    ::pisim::sc_start_bounded();
    ASSERT_EQ(b.target.log.size(), 1u);
    EXPECT_EQ(b.target.log[0].cycle, 101u);
}

// Per-vector masking of MSI: a masked message pends, unmasking sends it once.
TEST(NicMsi, PerVectorMaskPendsAndReleases) {
    NicConfig cfg = msi_config(2);
    cfg.queues.push_back(queue_on(1, file({10, 20})));
    NicBench b(cfg, NicTiming{3});
    b.nic->msi_program(kAddr, 0x4050, 1);
    b.nic->msi_mask(1, true);
    sc_core::sc_start(cycles(40));
    EXPECT_TRUE(b.nic->msi_pending(1));
    EXPECT_FALSE(b.nic->msi_pending(0));
    EXPECT_THAT(cycles_of(b.sink.of(EventKind::NicMsixPending)), ElementsAre(10));
    EXPECT_TRUE(b.target.log.empty());
    b.nic->msi_mask(1, false);
    EXPECT_FALSE(b.nic->msi_pending(1));
    ::pisim::sc_start_bounded();
    ASSERT_EQ(b.target.log.size(), 1u);
    EXPECT_EQ(b.target.log[0].cycle, 43u);
    EXPECT_EQ(b.target.log[0].data, 0x4051u);
}

TEST(NicMsi, ErrorsAreReported) {
    NicConfig cfg = msi_config(4);
    NicBench b(cfg, NicTiming{1});
    EXPECT_THROW(b.nic->msi_program(kAddr, 0, 3), std::invalid_argument);   // 8 > capable 4
    EXPECT_THROW(b.nic->msi_program(kAddr, 0, 6), std::invalid_argument);
    EXPECT_NO_THROW(b.nic->msi_program(kAddr, 0, 2));
    EXPECT_THROW(b.nic->msi_mask(4, true), std::out_of_range);
    EXPECT_THROW(b.nic->msi_pending(4), std::out_of_range);
}

// The capability not selected by use_msi cannot be turned on.
TEST(NicMsi, ModeMismatchIsALogicError) {
    NicConfig msix_cfg;
    RecordingSink s1;
    Nic msix_nic("msix_nic", msix_cfg, NicTiming{}, s1);
    EXPECT_THROW(msix_nic.msi_program(kAddr, 0, 0), std::logic_error);
    EXPECT_THROW(msix_nic.msi_mask(0, true), std::logic_error);
    NicConfig msi_cfg = msi_config(1);
    RecordingSink s2;
    Nic msi_nic("msi_nic", msi_cfg, NicTiming{}, s2);
    EXPECT_FALSE(msi_nic.msix_enabled());
    EXPECT_THROW(msi_nic.msix_control(true, false), std::logic_error);
    EXPECT_NO_THROW(msi_nic.msix_control(false, true));
}
