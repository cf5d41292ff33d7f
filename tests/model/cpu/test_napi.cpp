// The guest's NAPI-like receive loop (workload.h GuestOp::NapiPoll) against
// the receive rings it reaches through the core's rx port: per-packet cost
// for the packets actually waiting, rounds of at most the budget, re-arm of
// the queue's interrupt once the rings are empty, and the ISR's disable.
#include <gtest/gtest.h>

#include "cpu_harness.h"
#include "model/common/rx_queue_if.h"

using namespace pisim;
using namespace pisim::test;

namespace {

/// Receive rings of one NIC as the driver sees them; logs every call.
struct FakeRx final : sc_core::sc_module, RxQueueIf {
    std::vector<std::uint64_t> ring;
    std::vector<bool> enabled;
    std::vector<std::string> calls;
    FakeRx(sc_core::sc_module_name n, std::size_t queues)
        : sc_core::sc_module(n), ring(queues, 0), enabled(queues, true) {}
    std::uint64_t rx_pending(std::uint32_t q) const override { return ring.at(q); }
    std::uint64_t rx_take(std::uint32_t q, std::uint64_t max) override {
        const std::uint64_t n = std::min(ring.at(q), max);
        ring[q] -= n;
        calls.push_back("take " + std::to_string(q) + " " + std::to_string(n) + " @" +
                        std::to_string(now_cycles()));
        return n;
    }
    void rx_irq_enable(std::uint32_t q, bool e) override {
        enabled.at(q) = e;
        calls.push_back(std::string(e ? "enable " : "disable ") + std::to_string(q) + " @" +
                        std::to_string(now_cycles()));
    }
    bool rx_irq_enabled(std::uint32_t q) const override { return enabled.at(q); }
};

std::vector<std::pair<std::uint64_t, std::uint64_t>> polls(const Machine& m) {
    std::vector<std::pair<std::uint64_t, std::uint64_t>> out;  // (cycle, packets)
    for (const Event& e : m.log.events(EventKind::GuestOp))
        if (e.a == static_cast<std::uint64_t>(GuestOp::Kind::NapiPoll)) out.push_back({e.cycle, e.c});
    return out;
}

}  // namespace

// 3 packets wait: one round of 3 x 100 cycles, then an empty round that
// re-arms the queue and moves on to the compute op.
TEST(CpuNapi, PollChargesPerPendingPacketAndRearmsWhenEmpty) {
    Machine m;
    FakeRx rx("rx", 1);
    m.cpu->rx.bind(rx);
    rx.ring[0] = 3;
    m.program.ops = {{GuestOp::Kind::NapiPoll, 100}, {GuestOp::Kind::Compute, 1000}};
    m.program.repeat = false;
    m.program.napi_queues = {{0, 0, 0x40}};
    m.run_entries([&] { m.setup_apicv(); m.set_proc(vmcs::CPU_HLT_EXITING); }, 1);
    using P = std::pair<std::uint64_t, std::uint64_t>;
    EXPECT_EQ(polls(m), (std::vector<P>{{100, 3}, {400, 0}}));
    EXPECT_EQ(rx.calls, (std::vector<std::string>{"take 0 3 @100", "take 0 0 @400", "enable 0 @400"}));
    ASSERT_EQ(m.exits.size(), 1u);
    EXPECT_EQ(m.exits[0].reason, vmcs::EXIT_HLT);
    EXPECT_EQ(m.exit_cycles[0], 400u + 1000u + 200u);
}

// 70 packets with budget 64 over two queues; a packet arriving during the
// first round is taken by the next one; the loop ends only on an empty round.
TEST(CpuNapi, RoundsOfAtMostTheBudgetUntilTheRingsAreEmpty) {
    Machine m;
    FakeRx rx("rx", 2);
    m.cpu->rx.bind(rx);
    rx.ring[0] = 50;
    rx.ring[1] = 20;
    m.lapic.at(500, [&] { rx.ring[1] += 1; });  // during the first round
    m.program.ops = {{GuestOp::Kind::NapiPoll, 10}, {GuestOp::Kind::Halt}};
    m.program.repeat = false;
    m.program.napi_queues = {{0, 0, 0x40}, {0, 1, 0x41}};
    m.run_entries([&] { m.setup_apicv(); m.set_proc(vmcs::CPU_HLT_EXITING); }, 1);
    using P = std::pair<std::uint64_t, std::uint64_t>;
    // 64 at 100 (640 cycles), then 6 + the late one at 740, then empty at 810
    EXPECT_EQ(polls(m), (std::vector<P>{{100, 64}, {740, 7}, {810, 0}}));
    EXPECT_EQ(rx.ring[0] + rx.ring[1], 0u);
    EXPECT_TRUE(rx.enabled[0] && rx.enabled[1]);
}

// The ISR of the queue's vector disables its interrupt (napi_schedule); an
// unrelated vector does not; a program without NapiPoll never disables.
TEST(CpuNapi, QueueVectorIsrDisablesTheQueueInterrupt) {
    Machine m;
    FakeRx rx("rx", 1);
    m.cpu->rx.bind(rx);
    rx.ring[0] = 2;
    m.program.ops = {{GuestOp::Kind::NapiPoll, 100}, {GuestOp::Kind::Halt}};
    m.program.repeat = false;
    m.program.isr_cost = 300;
    m.program.napi_queues = {{0, 0, 0x40}};
    m.run_entries(
        [&] {
            m.setup_apicv();
            m.set_proc(vmcs::CPU_HLT_EXITING);
            m.cpu->vmwrite(vmcs::VM_ENTRY_INTR_INFO_FIELD, vmcs::INTR_INFO_VALID | 0x40);
            m.set_vapic_bit(vmcs::VAPIC_VISR, 0x40);
            m.cpu->vmwrite(vmcs::GUEST_INTR_STATUS, 0x4000);
        },
        1);
    ASSERT_GE(rx.calls.size(), 1u);
    EXPECT_EQ(rx.calls[0].rfind("disable 0 @", 0), 0u) << "at the ISR's start, before any take";
    EXPECT_EQ(rx.calls.back().rfind("enable 0", 0), 0u) << "re-armed by the poll";
    EXPECT_EQ(polls(m).at(0).second, 2u);
}

TEST(CpuNapi, UnboundPortOrNoQueuesPollsNothing) {
    Machine m;
    m.program.ops = {{GuestOp::Kind::NapiPoll, 100}, {GuestOp::Kind::Compute, 500}};
    m.program.repeat = false;
    m.run_entries([&] { m.setup_apicv(); m.set_proc(vmcs::CPU_HLT_EXITING); }, 1);
    ASSERT_EQ(polls(m).size(), 1u);
    EXPECT_EQ(polls(m)[0].second, 0u);
    EXPECT_EQ(m.exit_cycles.at(0), 100u + 500u + 200u);
}
