// Every interrupt-remapping fault reason produced by a real request through
// the unit, with FPD suppression for the qualified ones; a faulted request is
// never delivered [VTD 5.1.4.1, 7.1.3].
#include <gtest/gtest.h>

#include "vtd_bench.h"
#include "tests/model/sim_bound.h"

using namespace pisim;
using namespace pisim::vtdtest;

namespace {

constexpr std::uint16_t kRid = 0x0310;
constexpr std::uint64_t kTag = 42;

// Send one MSI at cycle 100, run, and check the single fault outcome.
void expect_fault(Bench& b, std::uint64_t address, std::uint32_t data, VtdFaultReason why,
                  std::uint32_t index, bool recorded) {
    const vtd::PidLine pid_before = b.pid(kPidBase);
    b.init.send_at(100, address, data, kRid, kTag);
    ::pisim::sc_start_bounded();

    const auto f = b.sink.of(EventKind::VtdFault);
    ASSERT_EQ(f.size(), 1u);
    EXPECT_EQ(f[0].a, static_cast<std::uint64_t>(why));
    EXPECT_EQ(f[0].b, index);
    EXPECT_EQ(f[0].c, kRid);
    EXPECT_EQ(f[0].d, recorded ? 1u : 0u);
    EXPECT_EQ(f[0].tag, kTag);
    // When: the step that finds the fault ends (request_timing.h; the IEC is
    // cold, so the IRTE comes from memory).
    const VtdTiming t = default_timing();
    const std::uint64_t P = t.clock_period;
    std::uint64_t after = P;  // request checks: 0x20, 0x21, 0x25
    if (why == VtdFaultReason::TableAccess) after = 2 * P;
    if (why == VtdFaultReason::NotPresent || why == VtdFaultReason::ReservedIrte ||
        why == VtdFaultReason::SourceId)
        after = 2 * P + t.irte_fetch;
    if (why == VtdFaultReason::PidAccess || why == VtdFaultReason::ReservedPid)
        after = 3 * P + t.irte_fetch + t.pid_rmw;
    EXPECT_EQ(f[0].cycle, 100 + after);
    if (recorded) {
        ASSERT_EQ(b.unit.faults().size(), 1u);
        const VtdFaultRecord& r = b.unit.faults()[0];
        EXPECT_EQ(r.reason, why);
        EXPECT_EQ(r.requester_id, kRid);
        EXPECT_EQ(r.index, static_cast<std::uint16_t>(index));
        EXPECT_EQ(r.tag, kTag);
        EXPECT_EQ(r.cycle, f[0].cycle);
        EXPECT_TRUE(b.unit.read_reg(vtd_reg::FSTS) & vtd_reg::FSTS_PPF);
        EXPECT_EQ(b.unit.stats().faults, 1u);
        EXPECT_EQ(b.unit.stats().suppressed_faults, 0u);
    } else {
        EXPECT_TRUE(b.unit.faults().empty());
        EXPECT_FALSE(b.unit.read_reg(vtd_reg::FSTS) & vtd_reg::FSTS_PPF);
        EXPECT_EQ(b.unit.stats().faults, 0u);
        EXPECT_EQ(b.unit.stats().suppressed_faults, 1u);
    }
    // Dropped: nothing delivered, nothing posted, the PID untouched.
    EXPECT_TRUE(b.bus.got.empty());
    EXPECT_TRUE(b.sink.of(EventKind::VtdRemap).empty());
    EXPECT_TRUE(b.sink.of(EventKind::VtdPost).empty());
    EXPECT_TRUE(b.sink.of(EventKind::VtdNotify).empty());
    EXPECT_EQ(b.pid(kPidBase), pid_before);
    EXPECT_EQ(b.unit.stats().requests, 1u);
}

vtd::Irte with_bits(vtd::Irte e, std::uint64_t lo, std::uint64_t hi) {
    e.lo |= lo;
    e.hi |= hi;
    return e;
}

}  // namespace

TEST(VtdFaults, ReservedRequest0x20) {
    Bench b;
    b.enable();
    b.set_irte(4, remapped_irte(0x40, 0x0100, /*fpd=*/true));
    // FPD of the entry does not matter: the request itself is malformed.
    expect_fault(b, remappable_address(4, false), 1u << 16, VtdFaultReason::ReservedRequest, 4,
                 true);
}

TEST(VtdFaults, IndexBeyondTable0x21) {
    Bench b;
    b.enable(/*s=*/0);  // 2 entries
    expect_fault(b, remappable_address(2, false), 0, VtdFaultReason::IndexBeyondTable, 2, true);
}

TEST(VtdFaults, IndexBeyondTableThroughSubhandle0x21) {
    Bench b;
    b.enable(/*s=*/1);  // 4 entries
    b.set_irte(3, remapped_irte(0x40, 0x0100));
    expect_fault(b, remappable_address(2, true), 2, VtdFaultReason::IndexBeyondTable, 4, true);
}

TEST(VtdFaults, NotPresent0x22) {
    Bench b;
    b.enable();
    expect_fault(b, remappable_address(6, false), 0, VtdFaultReason::NotPresent, 6, true);
}

TEST(VtdFaults, NotPresentSuppressedByFpd0x22) {
    Bench b;
    b.enable();
    vtd::Irte e;
    e.lo = 1ull << 1;  // FPD=1, P=0
    b.set_irte(6, e);
    expect_fault(b, remappable_address(6, false), 0, VtdFaultReason::NotPresent, 6, false);
}

TEST(VtdFaults, TableAccess0x23) {
    Bench b;
    b.unit.write_reg(vtd_reg::IRTA, kNoRam | 7);  // not RAM
    b.unit.write_reg(vtd_reg::GCMD, vtd_reg::GCMD_SIRTP);
    b.unit.write_reg(vtd_reg::GCMD, vtd_reg::GCMD_IRE);
    expect_fault(b, remappable_address(1, false), 0, VtdFaultReason::TableAccess, 1, true);
    EXPECT_TRUE(b.sink.of(EventKind::VtdIrteFetch).empty());
}

TEST(VtdFaults, ReservedIrte0x24) {
    Bench b;
    b.enable();
    b.set_irte(7, with_bits(remapped_irte(0x40, 0x0100), 1ull << 13, 0));
    expect_fault(b, remappable_address(7, false), 0, VtdFaultReason::ReservedIrte, 7, true);
}

TEST(VtdFaults, ReservedIrteXapicDestination0x24) {
    Bench b;
    b.enable(7, /*eime=*/false);
    b.set_irte(7, remapped_irte(0x40, 0x00010100));  // DST bit 48: reserved in xAPIC mode
    expect_fault(b, remappable_address(7, false), 0, VtdFaultReason::ReservedIrte, 7, true);
}

TEST(VtdFaults, ReservedPostedIrte0x24) {
    Bench b;
    b.enable();
    b.set_irte(7, with_bits(posted_irte(0x40, kPidBase), 1ull << 30, 0));
    expect_fault(b, remappable_address(7, false), 0, VtdFaultReason::ReservedIrte, 7, true);
}

TEST(VtdFaults, ReservedIrteSuppressedByFpd0x24) {
    Bench b;
    b.enable();
    b.set_irte(7, with_bits(remapped_irte(0x40, 0x0100, true), 0, 1ull << 40));
    expect_fault(b, remappable_address(7, false), 0, VtdFaultReason::ReservedIrte, 7, false);
}

TEST(VtdFaults, CompatBlockedWithoutCfi0x25) {
    Bench b;
    b.enable(7, false, /*cfi=*/false);
    expect_fault(b, 0xFEE00000ull | (1u << 12), 0x30, VtdFaultReason::CompatBlocked, 0, true);
}

TEST(VtdFaults, CompatBlockedWithEime0x25) {
    Bench b;
    b.enable(7, /*eime=*/true, /*cfi=*/true);
    expect_fault(b, 0xFEE00000ull | (1u << 12), 0x30, VtdFaultReason::CompatBlocked, 0, true);
}

TEST(VtdFaults, SourceId0x26) {
    Bench b;
    b.enable();
    vtd::RemappedIrte f;
    f.p = true;
    f.vector = 0x40;
    f.dst = 0x0100;
    f.sid = 0x0318;  // kRid is 0x0310
    f.svt = 1;
    b.set_irte(8, vtd::encode_remapped_irte(f));
    expect_fault(b, remappable_address(8, false), 0, VtdFaultReason::SourceId, 8, true);
}

TEST(VtdFaults, SourceIdBusRange0x26) {
    Bench b;
    b.enable();
    vtd::PostedIrte f;
    f.p = true;
    f.vv = 0x40;
    f.pda = kPidBase;
    f.sid = 0x0002;  // buses 0..2; kRid is on bus 3
    f.svt = 2;
    b.set_irte(8, vtd::encode_posted_irte(f));
    expect_fault(b, remappable_address(8, false), 0, VtdFaultReason::SourceId, 8, true);
}

TEST(VtdFaults, SourceIdSuppressedByFpd0x26) {
    Bench b;
    b.enable();
    vtd::RemappedIrte f;
    f.p = f.fpd = true;
    f.sid = 0x0311;
    f.svt = 1;
    b.set_irte(8, vtd::encode_remapped_irte(f));
    expect_fault(b, remappable_address(8, false), 0, VtdFaultReason::SourceId, 8, false);
}

TEST(VtdFaults, PidAccess0x27) {
    Bench b;
    b.enable();
    b.set_irte(9, posted_irte(0x40, kNoRam));  // PID outside RAM
    expect_fault(b, remappable_address(9, false), 0, VtdFaultReason::PidAccess, 9, true);
}

TEST(VtdFaults, PidAccessSuppressedByFpd0x27) {
    Bench b;
    b.enable();
    b.set_irte(9, posted_irte(0x40, kNoRam, false, /*fpd=*/true));
    expect_fault(b, remappable_address(9, false), 0, VtdFaultReason::PidAccess, 9, false);
}

TEST(VtdFaults, ReservedPid0x28) {
    Bench b;
    b.enable();
    b.set_irte(9, posted_irte(0x40, kPidBase));
    b.mem.write64(kPidBase + 48, 1);  // PID bit 384: reserved
    expect_fault(b, remappable_address(9, false), 0, VtdFaultReason::ReservedPid, 9, true);
}

TEST(VtdFaults, ReservedPidControl0x28) {
    Bench b;
    b.enable();
    b.set_irte(9, posted_irte(0x40, kPidBase));
    b.mem.write64(kPidBase + 32, 1ull << 24);  // PID bit 280: reserved
    expect_fault(b, remappable_address(9, false), 0, VtdFaultReason::ReservedPid, 9, true);
}

TEST(VtdFaults, ReservedPidSuppressedByFpd0x28) {
    Bench b;
    b.enable();
    b.set_irte(9, posted_irte(0x40, kPidBase, false, /*fpd=*/true));
    b.mem.write64(kPidBase + 32, 1ull << 2);
    expect_fault(b, remappable_address(9, false), 0, VtdFaultReason::ReservedPid, 9, false);
}

// A faulted request does not disturb the next one, which is delivered.
TEST(VtdFaults, FaultThenGoodRequest) {
    Bench b;
    b.enable();
    b.set_irte(1, remapped_irte(0x55, 0x0200));
    b.init.send_at(10, remappable_address(2, false), 0, 1, 1);  // not present
    b.init.send_at(11, remappable_address(1, false), 0, 1, 2);
    ::pisim::sc_start_bounded();
    ASSERT_EQ(b.unit.faults().size(), 1u);
    EXPECT_EQ(b.unit.faults()[0].tag, 1u);
    ASSERT_EQ(b.bus.got.size(), 1u);
    EXPECT_EQ(b.bus.got[0].m.tag, 2u);
    EXPECT_EQ(b.bus.got[0].m.vector, 0x55);
}
