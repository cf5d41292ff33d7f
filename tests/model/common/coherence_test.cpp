// The coherence directory (model/common/coherence.h): what each access costs
// beyond an L1 hit, from the line's state, for the cases of its table.
#include "model/common/coherence.h"

#include <gtest/gtest.h>

namespace pisim {
namespace {

CoherenceTiming timing() {
    CoherenceTiming t;
    t.llc_hit = 41;
    t.core_to_core = 95;
    t.invalidate = 90;
    t.io_to_core = 40;
    t.core_to_io = 96;
    return t;
}

constexpr std::uint64_t kLine = Coherence::machine_line(0x1000);
using K = Coherence::Kind;

TEST(Coherence, FirstTouchIsAnLlcHitThenHits) {
    Coherence c(timing());
    EXPECT_EQ(c.access(0, kLine, K::Read), 41u);
    EXPECT_EQ(c.access(0, kLine, K::Read), 0u);
    // The only sharer writes: E to M, no transfer.
    EXPECT_EQ(c.access(0, kLine, K::Write), 0u);
    EXPECT_EQ(c.access(0, kLine, K::Rmw), 0u);
}

TEST(Coherence, ALineModifiedInAnotherCoreIsATransfer) {
    Coherence c(timing());
    c.access(0, kLine, K::Write);
    EXPECT_EQ(c.access(1, kLine, K::Read), 95u);   // HITM, now shared by 0 and 1
    EXPECT_EQ(c.access(0, kLine, K::Read), 0u);    // still a sharer
    EXPECT_EQ(c.access(1, kLine, K::Write), 90u);  // invalidate core 0's copy
    EXPECT_EQ(c.access(0, kLine, K::Rmw), 95u);    // and back
}

TEST(Coherence, ThePidLineMovesBetweenTheRemappingUnitAndACore) {
    Coherence c(timing());
    c.access(2, kLine, K::Rmw);                               // software initializes the PID
    EXPECT_EQ(c.access(Coherence::kIo, kLine, K::Rmw), 96u);  // VT-d posts: snoops core 2
    EXPECT_EQ(c.access(2, kLine, K::Rmw), 40u);               // processing: from the I/O side
    EXPECT_EQ(c.access(Coherence::kIo, kLine, K::Read), 96u);
}

TEST(Coherence, HostDataAndMachineMemoryAreSeparateLines) {
    Coherence c(timing());
    c.access(0, Coherence::machine_line(0x40), K::Write);
    EXPECT_EQ(c.access(1, Coherence::host_line(0x40), K::Read), 41u);
    EXPECT_NE(Coherence::machine_line(0x40), Coherence::host_line(0x40));
    EXPECT_EQ(Coherence::machine_line(0x40), Coherence::machine_line(0x7f));
    EXPECT_NE(Coherence::machine_line(0x40), Coherence::machine_line(0x80));
}

}  // namespace
}  // namespace pisim
