// Nic receive rings (RxQueueIf): arrivals fill the ring, the driver takes
// packets, the queue's interrupt enable holds and re-raises the interrupt.
#include <gtest/gtest.h>

#include "nic_bench.h"
#include "tests/model/sim_bound.h"

using namespace pisim;
using namespace pisim::test;
using ::testing::ElementsAre;

namespace {
constexpr std::uint64_t kAddr = 0xFEE00000ull | (3u << 12);

/// Runs `fn` at absolute cycle `at` from a thread of its own.
struct At : sc_core::sc_module {
    std::vector<std::pair<std::uint64_t, std::function<void()>>> script;
    SC_HAS_PROCESS(At);
    explicit At(sc_core::sc_module_name n) : sc_core::sc_module(n) { SC_THREAD(run); }
    void run() {
        for (auto& [when, fn] : script) {
            if (when > now_cycles()) wait(cycles(when - now_cycles()));
            fn();
        }
    }
};
}  // namespace

TEST(NicRxRing, ArrivalsFillTheRingAndTakeEmptiesIt) {
    NicConfig cfg;
    cfg.queues.push_back(queue_on(0, constant(100, 50, 5)));
    cfg.queues.push_back(queue_on(1, constant(110, 50, 2)));
    cfg.msix_vectors = 2;
    NicBench b(cfg, NicTiming{0});
    At at("at");
    std::vector<std::uint64_t> seen;
    at.script.push_back({225, [&] {
        seen.push_back(b.nic->rx_pending(0));   // 100, 150, 200
        seen.push_back(b.nic->rx_pending(1));   // 110, 160
        seen.push_back(b.nic->rx_take(0, 2));   // budget 2
        seen.push_back(b.nic->rx_pending(0));
        seen.push_back(b.nic->rx_take(0, 64));
        seen.push_back(b.nic->rx_pending(0));
    }});
    ::pisim::sc_start_bounded();
    EXPECT_THAT(seen, ElementsAre(3, 2, 2, 1, 1, 0));
    EXPECT_EQ(b.nic->rx_pending(0), 2u) << "250 and 300 arrived later";
    EXPECT_EQ(b.nic->stats().rx_taken, 3u);
    EXPECT_THROW(b.nic->rx_pending(2), std::out_of_range);
    EXPECT_THROW(b.nic->rx_take(5, 1), std::out_of_range);
}

// While the queue's interrupt is disabled arrivals request nothing; enabling
// it with packets in the ring raises one message; enabling an empty queue
// raises none.
TEST(NicRxRing, DisabledQueueInterruptIsHeldAndRaisedOnReenable) {
    NicConfig cfg;
    cfg.queues.push_back(queue_on(0, constant(100, 100, 6)));  // 100..600
    NicBench b(cfg, NicTiming{0});
    b.nic->msix_program(0, kAddr, 0x41);
    b.nic->msix_mask(0, false);
    At at("at");
    at.script.push_back({150, [&] { b.nic->rx_irq_enable(0, false); }});
    at.script.push_back({350, [&] {
        EXPECT_EQ(b.nic->rx_take(0, 64), 3u);  // 100, 200, 300
        b.nic->rx_irq_enable(0, true);          // ring empty: no message
    }});
    at.script.push_back({360, [&] { b.nic->rx_irq_enable(0, false); }});
    at.script.push_back({550, [&] {
        EXPECT_FALSE(b.nic->rx_irq_enabled(0));
        b.nic->rx_irq_enable(0, true);          // 400, 500 wait: one message now
    }});
    ::pisim::sc_start_bounded();
    EXPECT_THAT(cycles_of(b.sink.of(EventKind::NicMsiWrite)), ElementsAre(100, 550, 600));
    EXPECT_EQ(b.nic->stats().rx_irq_held, 4u) << "200, 300, 400, 500";
    EXPECT_EQ(b.nic->stats().packets, 6u);
    EXPECT_EQ(b.nic->rx_pending(0), 3u);
}
