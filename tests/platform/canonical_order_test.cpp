// The canonical order of one cycle's events (platform/canonical_order.h):
// whatever order the kernel runs the agents in, the trace and its hash see
// the same sequence.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "platform/canonical_order.h"

using namespace pisim;

namespace {
Event ev(std::uint64_t cycle, std::uint64_t a) {
    Event e;
    e.cycle = cycle;
    e.kind = EventKind::GuestOp;
    e.a = a;
    return e;
}
struct Emitted {
    std::uint64_t cycle, a;
    std::uint32_t agent;
    bool violation;
};
// What comes out for events put in the order given.
std::vector<std::pair<std::uint64_t, bool>> through(const std::vector<Emitted>& in) {
    std::vector<std::pair<std::uint64_t, bool>> out;
    CanonicalCycle c;
    const auto sink = [&](const Event& e, bool v) { out.emplace_back(e.a, v); };
    for (const Emitted& x : in) {
        const Event e = ev(x.cycle, x.a);
        if (c.starts_new_cycle(e)) c.drain(sink);
        c.put(e, x.agent, x.violation);
    }
    c.drain(sink);
    return out;
}
}  // namespace

TEST(CanonicalOrder, ACyclesEventsComeByAgentEachAgentsInItsOwnOrder) {
    // Cycle 10: agent 2 emits 20, 21; agent 1 emits 10, 11; a violation found
    // at 21. Two interleavings a kernel might run them in.
    const std::vector<Emitted> one = {{10, 20, 2, false}, {10, 10, 1, false}, {10, 21, 2, false},
                                      {10, 99, CanonicalCycle::kViolations, true}, {10, 11, 1, false},
                                      {12, 30, 3, false}, {12, 31, 0, false}};
    const std::vector<Emitted> two = {{10, 10, 1, false}, {10, 11, 1, false}, {10, 20, 2, false},
                                      {10, 21, 2, false}, {10, 99, CanonicalCycle::kViolations, true},
                                      {12, 31, 0, false}, {12, 30, 3, false}};
    const std::vector<std::pair<std::uint64_t, bool>> want = {{10, false}, {11, false}, {20, false}, {21, false},
                                                              {99, true},  {31, false}, {30, false}};
    EXPECT_EQ(through(one), want);
    EXPECT_EQ(through(two), want);
}

TEST(CanonicalOrder, AgentNamesCompareTheirNumbersAsNumbers) {
    EXPECT_TRUE(natural_less("pisim.cpu2.thread_main", "pisim.cpu10.thread_main"));
    EXPECT_FALSE(natural_less("pisim.cpu10.thread_main", "pisim.cpu2.thread_main"));
    EXPECT_TRUE(natural_less("lapic9", "lapic10"));
    EXPECT_TRUE(natural_less("a", "b"));
    EXPECT_TRUE(natural_less("nic", "nic0"));
    EXPECT_FALSE(natural_less("nic0", "nic0"));
    EXPECT_TRUE(natural_less("x01", "x1") != natural_less("x1", "x01")) << "a total order: leading zeros decide";
}

// Two SystemC processes emit in one cycle into two hubs, in opposite orders
// (each emits into one hub at once and into the other a delta cycle later):
// both hubs hash the same stream.
#include <systemc>

#include "platform/machine.h"
#include "platform/oracles.h"

namespace {
struct Emitter : sc_core::sc_module {
    SC_HAS_PROCESS(Emitter);
    Emitter(sc_core::sc_module_name n, EventHub& first, EventHub& later, std::uint64_t base)
        : sc_module(n), first_(first), later_(later), base_(base) {
        SC_THREAD(run);
    }
    void run() {
        wait(cycles(10));
        for (std::uint64_t k = 0; k < 3; ++k) first_.emit(ev(10, base_ + k));
        wait(sc_core::SC_ZERO_TIME);
        wait(sc_core::SC_ZERO_TIME);
        for (std::uint64_t k = 0; k < 3; ++k) later_.emit(ev(10, base_ + k));
        wait(cycles(5));
        first_.emit(ev(15, base_ + 9));
        later_.emit(ev(15, base_ + 9));
    }
    EventHub &first_, &later_;
    std::uint64_t base_;
};
}  // namespace

TEST(CanonicalOrder, TheHashDoesNotDependOnWhichProcessRanFirst) {
    EventHub one, two;
    one.oracles = std::make_unique<Oracles>(OracleConfig{});
    two.oracles = std::make_unique<Oracles>(OracleConfig{});
    Emitter a("a", one, two, 100), b("b", two, one, 200);
    sc_core::sc_start(cycles(100));
    one.flush();
    two.flush();
    EXPECT_EQ(one.events, 8u);
    EXPECT_EQ(one.trace_hash(), two.trace_hash());
}
