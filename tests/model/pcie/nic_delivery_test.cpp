// Nic delivery: packet arrivals -> MSI-X write -> posted write to the root
// complex; times, requester ID, tags, event order.
#include <gtest/gtest.h>

#include "nic_bench.h"
#include "tests/model/sim_bound.h"

using namespace pisim;
using namespace pisim::test;
using ::testing::ElementsAre;

namespace {
constexpr std::uint64_t kAddr = 0xFEE00000ull | (3u << 12);
}

// Constant traffic from 100 every 50 cycles, 4 packets; posted write 30:
// issued at the arrival cycles, received 30 cycles later, zero TLM delay.
TEST(NicDelivery, ConstantTrafficPostedWriteLatencyExact) {
    NicConfig cfg;
    cfg.requester_id = 0x0310;
    cfg.queues.push_back(queue_on(0, constant(100, 50, 4)));
    NicBench b(cfg, NicTiming{30});
    b.nic->msix_program(0, kAddr, 0x41);
    b.nic->msix_mask(0, false);
    ::pisim::sc_start_bounded();

    EXPECT_THAT(cycles_of(b.sink.of(EventKind::NicPacket)), ElementsAre(100, 150, 200, 250));
    const auto writes = b.sink.of(EventKind::NicMsiWrite);
    EXPECT_THAT(cycles_of(writes), ElementsAre(100, 150, 200, 250));
    EXPECT_THAT(cycles_of(b.target.log), ElementsAre(130, 180, 230, 280));
    for (const auto& r : b.target.log) {
        EXPECT_EQ(r.delay, 0u);
        EXPECT_TRUE(r.is_write);
        EXPECT_EQ(r.length, 4u);
        EXPECT_EQ(r.address, kAddr);
        EXPECT_EQ(r.data, 0x41u);
        EXPECT_TRUE(r.has_ext);
        EXPECT_EQ(r.requester_id, 0x0310);
    }
    for (const auto& e : writes) {
        EXPECT_EQ(e.unit, 0x0310u);
        EXPECT_EQ(e.a, kAddr);
        EXPECT_EQ(e.b, 0x41u);
        EXPECT_EQ(e.c, 0u);   // vector index
        EXPECT_EQ(e.d, 0u);   // queue
    }
    EXPECT_EQ(b.nic->stats().packets, 4u);
    EXPECT_EQ(b.nic->stats().messages, 4u);
    EXPECT_EQ(b.nic->stats().delivered, 4u);
    EXPECT_EQ(b.nic->stats().moderated, 0u);
    EXPECT_EQ(b.nic->stats().masked_pending, 0u);
}

// Tags: ((device_index + 1) << 40) | n, n = 1, 2, ... in issue order, the same
// on the event and on the write; 32-bit data arrives little endian intact.
TEST(NicDelivery, TagsAreDeviceScopedSequential) {
    NicConfig cfg;
    cfg.requester_id = 0xAB1D;
    cfg.device_index = 5;
    cfg.msix_vectors = 2;
    cfg.queues.push_back(queue_on(0, constant(10, 20, 3)));   // 10, 30, 50
    cfg.queues.push_back(queue_on(1, constant(20, 20, 2)));   // 20, 40
    NicBench b(cfg, NicTiming{7});
    b.nic->msix_program(0, kAddr, 0xDEADBEEFu);
    b.nic->msix_program(1, kAddr + 0x1000, 0x00C0FFEEu);
    b.nic->msix_mask(0, false);
    b.nic->msix_mask(1, false);
    ::pisim::sc_start_bounded();

    const std::uint64_t base = std::uint64_t{6} << 40;
    const auto writes = b.sink.of(EventKind::NicMsiWrite);
    ASSERT_EQ(writes.size(), 5u);
    ASSERT_EQ(b.target.log.size(), 5u);
    const std::uint64_t queue_of[] = {0, 1, 0, 1, 0};
    for (std::size_t i = 0; i < 5; ++i) {
        EXPECT_EQ(writes[i].tag, base | (i + 1));
        EXPECT_EQ(writes[i].cycle, 10 + 10 * i);
        EXPECT_EQ(writes[i].d, queue_of[i]);
        EXPECT_EQ(writes[i].c, queue_of[i]);
        EXPECT_EQ(b.target.log[i].tag, base | (i + 1));
        EXPECT_EQ(b.target.log[i].cycle, 17 + 10 * i);
        EXPECT_EQ(b.target.log[i].requester_id, 0xAB1D);
        EXPECT_EQ(b.target.log[i].data, queue_of[i] ? 0x00C0FFEEu : 0xDEADBEEFu);
        EXPECT_EQ(b.target.log[i].address, queue_of[i] ? kAddr + 0x1000 : kAddr);
    }
}

// In one cycle: the packet, then the write it causes; the write reaches the
// root complex posted_write later. With posted_write 0 it arrives in the same cycle.
TEST(NicDelivery, ZeroPostedWriteArrivesInTheIssueCycle) {
    NicConfig cfg;
    cfg.queues.push_back(queue_on(0, constant(5, 10, 2)));
    NicBench b(cfg, NicTiming{0});
    b.nic->msix_program(0, kAddr, 1);
    b.nic->msix_mask(0, false);
    ::pisim::sc_start_bounded();
    ASSERT_EQ(b.sink.events.size(), 4u);
    EXPECT_EQ(b.sink.events[0].kind, EventKind::NicPacket);
    EXPECT_EQ(b.sink.events[1].kind, EventKind::NicMsiWrite);
    EXPECT_EQ(b.sink.events[2].kind, EventKind::NicPacket);
    EXPECT_EQ(b.sink.events[3].kind, EventKind::NicMsiWrite);
    EXPECT_THAT(cycles_of(b.target.log), ElementsAre(5, 15));
}

// A message uses the table entry's contents when it is issued, not when the
// packet arrived or when the write lands.
TEST(NicDelivery, MessageUsesEntryContentsAtIssue) {
    NicConfig cfg;
    cfg.queues.push_back(queue_on(0, constant(100, 100, 2)));   // 100, 200
    NicBench b(cfg, NicTiming{80});
    b.nic->msix_program(0, kAddr, 0x30);
    b.nic->msix_mask(0, false);
    sc_core::sc_start(cycles(150));      // first write issued at 100, lands at 180
    b.nic->msix_program(0, kAddr + 0x2000, 0x31);
    ::pisim::sc_start_bounded();
    ASSERT_EQ(b.target.log.size(), 2u);
    EXPECT_EQ(b.target.log[0].cycle, 180u);
    EXPECT_EQ(b.target.log[0].data, 0x30u);
    EXPECT_EQ(b.target.log[0].address, kAddr);
    EXPECT_EQ(b.target.log[1].cycle, 280u);
    EXPECT_EQ(b.target.log[1].data, 0x31u);
    EXPECT_EQ(b.target.log[1].address, kAddr + 0x2000);
}

// A queue without traffic, or with a source that ends, never wakes the model.
TEST(NicDelivery, NoTrafficNoActivity) {
    NicConfig cfg;
    cfg.queues.push_back(queue_on(0, TrafficSpec{}));
    NicBench b(cfg, NicTiming{10});
    b.nic->msix_mask(0, false);
    ::pisim::sc_start_bounded();
    EXPECT_TRUE(b.sink.events.empty());
    EXPECT_TRUE(b.target.log.empty());
    EXPECT_EQ(sc_core::sc_time_stamp().value(), 0u);
}

// Cheap scheduling: a message costs about two activations (arrival, posted
// write landing), so 10,000 messages stay well under 3 delta cycles each.
TEST(NicDelivery, ActivationsPerMessageStayConstant) {
    NicConfig cfg;
    cfg.queues.push_back(queue_on(0, constant(0, 30000, 10000)));   // 100k/s at 3 GHz
    NicBench b(cfg, NicTiming{250});
    b.nic->msix_program(0, kAddr, 0x41);
    b.nic->msix_mask(0, false);
    ::pisim::sc_start_bounded(10000u * 30000u);  // the last message lands at 9999 * 30000 + 250
    ASSERT_EQ(b.target.log.size(), 10000u);
    EXPECT_EQ(b.target.log.back().cycle, 9999u * 30000u + 250u);
    EXPECT_LE(sc_core::sc_delta_count(), 3u * 10000u);
}

// Burst and file traffic reach the root complex at their exact arrival cycles
// plus the posted-write latency.
TEST(NicDelivery, BurstAndFileTrafficExact) {
    NicConfig cfg;
    cfg.msix_vectors = 2;
    TrafficSpec burst;
    burst.kind = TrafficSpec::Kind::Burst;
    burst.start = 0;
    burst.interval = 5;
    burst.burst_len = 3;
    burst.burst_gap = 100;
    burst.count = 6;
    cfg.queues.push_back(queue_on(0, burst));
    cfg.queues.push_back(queue_on(1, file({7, 300, 301})));
    NicBench b(cfg, NicTiming{12});
    for (std::uint32_t i = 0; i < 2; ++i) {
        b.nic->msix_program(i, kAddr, i);
        b.nic->msix_mask(i, false);
    }
    ::pisim::sc_start_bounded();
    std::vector<std::uint64_t> v0, v1;
    for (const auto& r : b.target.log) (r.data == 0 ? v0 : v1).push_back(r.cycle);
    EXPECT_THAT(v0, ElementsAre(12, 17, 22, 122, 127, 132));
    EXPECT_THAT(v1, ElementsAre(19, 312, 313));
}

// The whole event stream of a small run, in order: the packet always comes
// first, then what it caused (held by moderation, pending on a masked vector,
// or the write), each in the packet's cycle.
TEST(NicDelivery, EventStreamOrderAcrossModerationAndMasking) {
    NicConfig cfg;
    cfg.requester_id = 0x0008;
    cfg.moderation = 100;
    cfg.queues.push_back(queue_on(0, file({0, 50, 200, 230})));
    NicBench b(cfg, NicTiming{5});
    b.nic->msix_program(0, kAddr, 0x60);
    b.nic->msix_mask(0, false);
    sc_core::sc_start(cycles(150));
    b.nic->msix_mask(0, true);           // at 150
    ::pisim::sc_start_bounded();
    struct Row { std::uint64_t cycle; EventKind kind; std::uint64_t a, b; };
    const std::vector<Row> want = {
        {0, EventKind::NicPacket, 0, 0},
        {0, EventKind::NicMsiWrite, kAddr, 0x60},
        {50, EventKind::NicPacket, 0, 0},
        {50, EventKind::NicModerated, 0, 100},
        {100, EventKind::NicMsiWrite, kAddr, 0x60},
        {200, EventKind::NicPacket, 0, 0},
        {200, EventKind::NicMsixPending, 0, 0},
        {230, EventKind::NicPacket, 0, 0},
        {230, EventKind::NicModerated, 0, 300},
    };
    ASSERT_EQ(b.sink.events.size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
        const Event& e = b.sink.events[i];
        EXPECT_EQ(e.cycle, want[i].cycle) << i;
        EXPECT_EQ(e.kind, want[i].kind) << i;
        EXPECT_EQ(e.a, want[i].a) << i;
        EXPECT_EQ(e.b, want[i].b) << i;
        EXPECT_EQ(e.unit, 0x0008u) << i;
    }
    // The hold ending at 300 found the pending bit already set: still one.
    EXPECT_TRUE(b.nic->msix_pending(0));
    EXPECT_THAT(cycles_of(b.target.log), ElementsAre(5, 105));
    EXPECT_EQ(b.nic->stats().masked_pending, 1u);
}
