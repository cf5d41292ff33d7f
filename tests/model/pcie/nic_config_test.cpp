// NicConfig: configurations the model refuses (std::invalid_argument).
#include <gtest/gtest.h>

#include <stdexcept>

#include "nic_bench.h"

using namespace pisim;
using namespace pisim::test;

namespace {
void expect_rejected(const NicConfig& cfg) {
    RecordingSink sink;
    EXPECT_THROW(Nic("bad", cfg, NicTiming{}, sink), std::invalid_argument);
}
}  // namespace

TEST(NicConfig, RejectsTableSizesOutsideTheCapability) {
    NicConfig cfg;
    cfg.msix_vectors = 0;
    expect_rejected(cfg);
    cfg.msix_vectors = 2049;
    expect_rejected(cfg);
    cfg = NicConfig{};
    cfg.msi_vectors = 3;
    expect_rejected(cfg);
    cfg.msi_vectors = 64;
    expect_rejected(cfg);
}

TEST(NicConfig, RejectsQueueVectorsOutsideTheTable) {
    NicConfig cfg;
    cfg.msix_vectors = 4;
    cfg.queues.push_back(queue_on(4, constant(0, 10, 1)));
    expect_rejected(cfg);
    cfg.use_msi = true;
    cfg.msi_vectors = 4;
    expect_rejected(cfg);
    cfg.queues[0].msix_index = 3;
    RecordingSink sink;
    EXPECT_NO_THROW(Nic("good", cfg, NicTiming{}, sink));
}

TEST(NicConfig, RejectsBadTrafficAndDeviceIndex) {
    NicConfig cfg;
    cfg.queues.push_back(queue_on(0, constant(0, 0, 1)));
    expect_rejected(cfg);
    cfg = NicConfig{};
    cfg.device_index = (1u << 24) - 1;
    expect_rejected(cfg);
}
