// tests/model/sim_bound.h - every model test's simulation is bounded in
// simulated time. sc_start() with no duration runs while any event is
// scheduled: a model slip that keeps re-arming an event (a periodic timer
// whose reload is lost, a retry that never ends) would run the test away in
// time and memory. sc_start_bounded runs like sc_start() until no activity
// is left, but at most `limit` cycles, and fails the test if activity was
// still scheduled at the limit.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <systemc>

#include "model/common/cycles.h"

namespace pisim {

/// Default bound of one sc_start_bounded call, in cycles: far above what any
/// model test needs to go quiet, far below what a runaway event source fills.
constexpr std::uint64_t kTestRunLimit = 10'000'000;

/// sc_start() until no activity is left, for at most `limit` cycles from now.
inline void sc_start_bounded(std::uint64_t limit = kTestRunLimit) {
    sc_core::sc_start(cycles(limit), sc_core::SC_EXIT_ON_STARVATION);
    EXPECT_FALSE(sc_core::sc_pending_activity())
        << "simulation still active " << limit << " cycles later (at cycle " << now_cycles()
        << "): an event source that never stops";
}

}  // namespace pisim
