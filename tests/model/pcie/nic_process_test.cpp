// NicProcess: the NIC driven from another SystemC process, as the platform
// does: table programming in that process's initialization, unmasking from a
// thread, a target that calls back into the NIC from b_transport.
#include <gtest/gtest.h>

#include <functional>

#include "nic_bench.h"
#include "tests/model/sim_bound.h"

using namespace pisim;
using namespace pisim::test;
using ::testing::ElementsAre;

namespace {
constexpr std::uint64_t kAddr = 0xFEE00000ull;

/// Runs `body` as an SC_THREAD from the start of simulation.
struct Driver : sc_core::sc_module {
    std::function<void()> body;
    SC_HAS_PROCESS(Driver);
    Driver(sc_core::sc_module_name n, std::function<void()> b) : sc_core::sc_module(n), body(std::move(b)) {
        SC_THREAD(run);
    }
    void run() { body(); }
};
}  // namespace

// The driver programs and unmasks the entry in its own initialization run;
// a packet at cycle 0 already sees the vector unmasked.
TEST(NicProcess, ProgrammingDuringInitializationPrecedesCycleZeroArrivals) {
    NicConfig cfg;
    cfg.queues.push_back(queue_on(0, file({0})));
    NicBench b(cfg, NicTiming{9});
    Driver d("driver", [&] {
        b.nic->msix_program(0, kAddr, 0x77);
        b.nic->msix_mask(0, false);
    });
    ::pisim::sc_start_bounded();
    EXPECT_TRUE(b.sink.of(EventKind::NicMsixPending).empty());
    ASSERT_EQ(b.target.log.size(), 1u);
    EXPECT_EQ(b.target.log[0].cycle, 9u);
}

// Unmasking from a thread at cycle 500 with posted_write 0: the pending
// message is issued and lands at 500.
TEST(NicProcess, UnmaskFromAThreadWithZeroLatency) {
    NicConfig cfg;
    cfg.queues.push_back(queue_on(0, file({100})));
    NicBench b(cfg, NicTiming{0});
    b.nic->msix_program(0, kAddr, 0x10);
    Driver d("driver", [&] {
        sc_core::wait(cycles(500));
        b.nic->msix_mask(0, false);
    });
    ::pisim::sc_start_bounded();
    EXPECT_THAT(cycles_of(b.sink.of(EventKind::NicMsixPending)), ElementsAre(100));
    EXPECT_THAT(cycles_of(b.sink.of(EventKind::NicMsiWrite)), ElementsAre(500));
    EXPECT_THAT(cycles_of(b.target.log), ElementsAre(500));
    EXPECT_FALSE(b.nic->msix_pending(0));
}

// A root complex that masks the vector while handling a write (as a handler
// would) stops later messages: they pend. The callback runs inside the NIC's
// scheduling process without disturbing it.
namespace {
struct MaskingTarget : sc_core::sc_module {
    tlm_utils::simple_target_socket<MaskingTarget> in;
    Nic* nic = nullptr;
    std::vector<std::uint64_t> cycles;
    explicit MaskingTarget(sc_core::sc_module_name n) : sc_core::sc_module(n), in("in") {
        in.register_b_transport(this, &MaskingTarget::b_transport);
    }
    void b_transport(tlm::tlm_generic_payload&, sc_core::sc_time&) {
        cycles.push_back(now_cycles());
        nic->msix_mask(0, true);
    }
};
}  // namespace

TEST(NicProcess, TargetCallbackIntoTheNicIsSafe) {
    NicConfig cfg;
    cfg.queues.push_back(queue_on(0, constant(10, 10, 3)));   // 10, 20, 30
    RecordingSink sink;
    MaskingTarget rc("rc");
    Nic nic("nic", cfg, NicTiming{0}, sink);
    nic.msi_out.bind(rc.in);
    rc.nic = &nic;
    nic.msix_program(0, kAddr, 1);
    nic.msix_mask(0, false);
    ::pisim::sc_start_bounded();
    EXPECT_THAT(rc.cycles, ElementsAre(10));
    EXPECT_TRUE(nic.msix_pending(0));
    EXPECT_THAT(cycles_of(sink.of(EventKind::NicMsixPending)), ElementsAre(20));
    EXPECT_EQ(nic.stats().packets, 3u);
}
