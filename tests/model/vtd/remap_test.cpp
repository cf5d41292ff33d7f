// Remapping through the unit: the interrupt message built from a remapped
// IRTE, handle/subhandle indexing, compatibility pass-through, IRTA latching
// and request ordering [VTD 5.1, 9.10, 10.4].
#include <gtest/gtest.h>

#include "vtd_bench.h"
#include "tests/model/sim_bound.h"

using namespace pisim;
using namespace pisim::vtdtest;

namespace {
vtd::Irte full_remapped(std::uint32_t dst) {
    vtd::RemappedIrte f;
    f.p = true;
    f.dm = true;
    f.tm = true;
    f.dlm = 1;  // lowest priority
    f.vector = 0x66;
    f.dst = dst;
    return vtd::encode_remapped_irte(f);
}
}  // namespace

TEST(VtdRemap, MessageFromIrteXapic) {
    const VtdTiming t = default_timing();
    Bench b(t);
    b.enable(7, /*eime=*/false);
    b.set_irte(12, full_remapped(0x00000700));
    b.init.send_at(50, remappable_address(12, false), 0, 0x0100, 9);
    ::pisim::sc_start_bounded();
    ASSERT_EQ(b.bus.got.size(), 1u);
    const ApicMessage& m = b.bus.got[0].m;
    EXPECT_EQ(m.dest, 7u);
    EXPECT_TRUE(m.dest_logical);
    EXPECT_EQ(m.mode, DeliveryMode::LowestPriority);
    EXPECT_EQ(m.vector, 0x66);
    EXPECT_TRUE(m.level_triggered);
    EXPECT_EQ(m.shorthand, Shorthand::None);
    EXPECT_EQ(m.source_apic, ~0u);
    EXPECT_EQ(m.tag, 9u);
    EXPECT_EQ(b.bus.got[0].cycle, 50u + 2 * t.clock_period + t.irte_fetch);
    const auto r = b.sink.of(EventKind::VtdRemap);
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].a, 12u);
    EXPECT_EQ(r[0].b, 7u);
    EXPECT_EQ(r[0].c, 0x66u);
    EXPECT_EQ(r[0].d, 1u);
    EXPECT_EQ(b.unit.stats().remapped, 1u);
    // Event order of one request: request, fetch, remap.
    EXPECT_LT(b.sink.index_of(EventKind::VtdRequest), b.sink.index_of(EventKind::VtdIrteFetch));
    EXPECT_LT(b.sink.index_of(EventKind::VtdIrteFetch), b.sink.index_of(EventKind::VtdRemap));
}

TEST(VtdRemap, MessageFromIrteX2apic) {
    Bench b;
    b.enable(7, /*eime=*/true);
    b.set_irte(12, full_remapped(0x00012345));
    b.init.send_at(50, remappable_address(12, false), 0, 0x0100, 9);
    ::pisim::sc_start_bounded();
    ASSERT_EQ(b.bus.got.size(), 1u);
    EXPECT_EQ(b.bus.got[0].m.dest, 0x00012345u);
}

TEST(VtdRemap, SubhandleAddsToHandle) {
    Bench b;
    b.enable();
    b.set_irte(0x13, remapped_irte(0x77, 0x0100));
    b.set_irte(0x10, remapped_irte(0x70, 0x0100));
    b.init.send_at(10, remappable_address(0x10, true), 3, 0, 1);
    b.init.send_at(20, remappable_address(0x10, false), 3, 0, 2);  // SHV=0: data ignored
    ::pisim::sc_start_bounded();
    ASSERT_EQ(b.bus.got.size(), 2u);
    EXPECT_EQ(b.bus.got[0].m.vector, 0x77);
    EXPECT_EQ(b.bus.got[1].m.vector, 0x70);
}

TEST(VtdRemap, HandleBit15) {
    Bench b;
    b.enable(/*s=*/15);  // 65536 entries
    b.set_irte(0x8001, remapped_irte(0x81, 0x0100));
    b.init.send_at(10, remappable_address(0x8001, false), 0, 0, 1);
    ::pisim::sc_start_bounded();
    ASSERT_EQ(b.bus.got.size(), 1u);
    EXPECT_EQ(b.bus.got[0].m.vector, 0x81);
    EXPECT_EQ(b.sink.of(EventKind::VtdRemap)[0].a, 0x8001u);
}

TEST(VtdRemap, SourceIdMatchDelivers) {
    Bench b;
    b.enable();
    vtd::RemappedIrte f;
    f.p = true;
    f.vector = 0x44;
    f.dst = 0x0100;
    f.sid = 0x0318;
    f.sq = 3;  // ignore function bits
    f.svt = 1;
    b.set_irte(2, vtd::encode_remapped_irte(f));
    b.init.send_at(10, remappable_address(2, false), 0, 0x031B, 1);
    ::pisim::sc_start_bounded();
    EXPECT_EQ(b.bus.got.size(), 1u);
    EXPECT_TRUE(b.unit.faults().empty());
}

// CFIS=1, EIME=0: a compatibility-format request passes through unremapped.
TEST(VtdRemap, CompatibilityPassThrough) {
    Bench b;
    b.enable(7, false, /*cfi=*/true);
    b.init.send_at(10, 0xFEE00000ull | (0x04u << 12) | (1u << 2), 0x8000u | 0x39u, 0x0100, 3);
    ::pisim::sc_start_bounded();
    ASSERT_EQ(b.bus.got.size(), 1u);
    const ApicMessage& m = b.bus.got[0].m;
    EXPECT_EQ(m.dest, 4u);
    EXPECT_TRUE(m.dest_logical);
    EXPECT_EQ(m.vector, 0x39);
    EXPECT_TRUE(m.level_triggered);
    EXPECT_EQ(b.sink.of(EventKind::VtdRemap)[0].a, VtdUnit::kCompatIndex);
    EXPECT_TRUE(b.sink.of(EventKind::VtdIrteFetch).empty());
    EXPECT_EQ(b.unit.read_reg(vtd_reg::GSTS) & vtd_reg::GSTS_CFIS, vtd_reg::GSTS_CFIS);
}

// IRE=0: remapping is off and requests are handled in compatibility format.
TEST(VtdRemap, RemappingDisabledPassesThrough) {
    Bench b;
    b.enable(7, false, false, /*ire=*/false);
    b.init.send_at(10, 0xFEE00000ull | (0x02u << 12), 0x45, 0x0100, 3);
    ::pisim::sc_start_bounded();
    ASSERT_EQ(b.bus.got.size(), 1u);
    EXPECT_EQ(b.bus.got[0].m.dest, 2u);
    EXPECT_EQ(b.bus.got[0].m.vector, 0x45);
    EXPECT_TRUE(b.unit.faults().empty());
    EXPECT_FALSE(b.unit.read_reg(vtd_reg::GSTS) & vtd_reg::GSTS_IRES);
}

// IRTA takes effect only when latched by GCMD.SIRTP.
TEST(VtdRemap, IrtaLatchedBySirtp) {
    Bench b;
    b.enable(7);
    const std::uint64_t other = 0x80000;
    b.set_irte(1, remapped_irte(0x11, 0x0100));
    b.mem.write64(other + 16, remapped_irte(0x22, 0x0100).lo);
    b.mem.write64(other + 24, remapped_irte(0x22, 0x0100).hi);
    b.sw.at(100, [&] { b.unit.write_reg(vtd_reg::IRTA, other | 7); });
    b.init.send_at(200, remappable_address(1, false), 0, 0, 1);  // still the old table
    b.sw.at(300, [&] {
        b.unit.write_reg(vtd_reg::GCMD, vtd_reg::GCMD_SIRTP | vtd_reg::GCMD_IRE | vtd_reg::GCMD_QIE);
    });
    b.init.send_at(400, remappable_address(1, false), 0, 0, 2);  // IEC still holds index 1
    b.sw.at(500, [&] {
        b.queue_descriptor(iec_descriptor(false, 0, 0), 0);
        b.ring();
    });
    b.init.send_at(1000, remappable_address(1, false), 0, 0, 3);  // new table
    ::pisim::sc_start_bounded();
    ASSERT_EQ(b.bus.got.size(), 3u);
    EXPECT_EQ(b.bus.got[0].m.vector, 0x11);
    EXPECT_EQ(b.bus.got[1].m.vector, 0x11) << "SIRTP does not invalidate the IEC";
    EXPECT_EQ(b.bus.got[2].m.vector, 0x22);
    EXPECT_EQ(b.unit.read_reg(vtd_reg::IRTA), other | 7);
    EXPECT_TRUE(b.unit.read_reg(vtd_reg::GSTS) & vtd_reg::GSTS_IRTPS);
}

// Requests are served one at a time in arrival order; b_transport is called
// from an SC_METHOD and returns at once.
TEST(VtdRemap, ArrivalOrderAndSerialProcessing) {
    const VtdTiming t = default_timing();
    Bench b(t);
    b.enable();
    b.set_irte(1, remapped_irte(0x31, 0x0100));
    b.set_irte(2, remapped_irte(0x32, 0x0100));
    b.init.send_at(10, remappable_address(2, false), 0, 0, 1);
    b.init.send_at(10, remappable_address(1, false), 0, 0, 2);
    b.init.send_at(10, remappable_address(2, false), 0, 0, 3);
    ::pisim::sc_start_bounded();
    ASSERT_EQ(b.bus.got.size(), 3u);
    EXPECT_EQ(b.bus.got[0].m.tag, 1u);
    EXPECT_EQ(b.bus.got[1].m.tag, 2u);
    EXPECT_EQ(b.bus.got[2].m.tag, 3u);
    const std::uint64_t miss = 2 * t.clock_period + t.irte_fetch, hit = 2 * t.clock_period + t.iec_hit;
    EXPECT_EQ(b.bus.got[0].cycle, 10 + miss);
    EXPECT_EQ(b.bus.got[1].cycle, 10 + 2 * miss);
    EXPECT_EQ(b.bus.got[2].cycle, 10 + 2 * miss + hit);
    const auto req = b.sink.of(EventKind::VtdRequest);
    ASSERT_EQ(req.size(), 3u);
    EXPECT_EQ(req[1].cycle, b.bus.got[0].cycle);
    for (auto s : b.init.responses) EXPECT_EQ(s, tlm::TLM_OK_RESPONSE);
}

// Requests arriving in one cycle from several requesters are served by
// requester ID, whatever order their b_transport calls came in (so the order
// never depends on which device thread the kernel ran first); one requester's
// requests keep their own order.
TEST(VtdRemap, SameCycleRequestsByRequesterId) {
    Bench b;
    b.enable();
    b.set_irte(1, remapped_irte(0x31, 0x0100));
    b.set_irte(2, remapped_irte(0x32, 0x0100));
    b.init.send_at(10, remappable_address(1, false), 0, /*rid=*/0x0200, 1, /*delay=*/40);
    b.init.send_at(20, remappable_address(2, false), 0, /*rid=*/0x0100, 2, /*delay=*/30);
    b.init.send_at(30, remappable_address(1, false), 0, /*rid=*/0x0200, 3, /*delay=*/20);
    b.init.send_at(40, remappable_address(2, false), 0, /*rid=*/0x0100, 4, /*delay=*/10);
    ::pisim::sc_start_bounded();
    const auto req = b.sink.of(EventKind::VtdRequest);
    ASSERT_EQ(req.size(), 4u);
    EXPECT_EQ(req[0].cycle, 50u);
    EXPECT_EQ(req[0].tag, 2u);
    EXPECT_EQ(req[1].tag, 4u);
    EXPECT_EQ(req[2].tag, 1u);
    EXPECT_EQ(req[3].tag, 3u);
}

TEST(VtdRemap, NonInterruptAddressRejected) {
    Bench b;
    b.enable();
    b.init.send_at(10, 0xFED00000ull, 0, 0, 1);
    ::pisim::sc_start_bounded();
    ASSERT_EQ(b.init.responses.size(), 1u);
    EXPECT_EQ(b.init.responses[0], tlm::TLM_ADDRESS_ERROR_RESPONSE);
    EXPECT_TRUE(b.sink.events.empty());
}

// An annotated delay postpones the request: it is served at now + delay,
// and a later-sent request with a smaller delay goes first.
TEST(VtdRemap, AnnotatedDelayOrdersArrival) {
    Bench b;
    b.enable();
    b.set_irte(1, remapped_irte(0x31, 0x0100));
    b.init.send_at(10, remappable_address(1, false), 0, 0, 1, /*delay=*/500);
    b.init.send_at(20, remappable_address(1, false), 0, 0, 2, /*delay=*/100);
    ::pisim::sc_start_bounded();
    const auto req = b.sink.of(EventKind::VtdRequest);
    ASSERT_EQ(req.size(), 2u);
    EXPECT_EQ(req[0].tag, 2u);
    EXPECT_EQ(req[0].cycle, 120u);
    EXPECT_EQ(req[1].tag, 1u);
    EXPECT_EQ(req[1].cycle, 510u);
}
