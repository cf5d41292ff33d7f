// IRTE layouts, MSI decode and source-ID verification against
// [VTD 5.1.2, 9.10, 9.11]. Pure functions, no simulation.
#include <gtest/gtest.h>

#include <random>

#include "model/vtd/irte.h"

using namespace pisim;
using namespace pisim::vtd;

namespace {
Irte bit(unsigned n) {
    Irte e;
    if (n < 64)
        e.lo = 1ull << n;
    else
        e.hi = 1ull << (n - 64);
    return e;
}
Irte field_bits(unsigned hi, unsigned lo) {
    Irte e;
    for (unsigned n = lo; n <= hi; ++n) {
        Irte b = bit(n);
        e.lo |= b.lo;
        e.hi |= b.hi;
    }
    return e;
}
// Values from a seeded generator, derived without std::*_distribution.
struct Gen {
    std::mt19937_64 rng{0x5eed};
    std::uint64_t operator()(unsigned width) {
        const std::uint64_t v = rng();
        return width >= 64 ? v : v & ((1ull << width) - 1);
    }
};
}  // namespace

// Every remapped-format field alone lands on exactly its VTD 9.10 bits.
TEST(VtdIrteLayout, RemappedFieldsAtTheirBits) {
    auto one = [](auto set) {
        RemappedIrte f;
        set(f);
        return encode_remapped_irte(f);
    };
    EXPECT_EQ(one([](RemappedIrte& f) { f.p = true; }), bit(0));
    EXPECT_EQ(one([](RemappedIrte& f) { f.fpd = true; }), bit(1));
    EXPECT_EQ(one([](RemappedIrte& f) { f.dm = true; }), bit(2));
    EXPECT_EQ(one([](RemappedIrte& f) { f.rh = true; }), bit(3));
    EXPECT_EQ(one([](RemappedIrte& f) { f.tm = true; }), bit(4));
    EXPECT_EQ(one([](RemappedIrte& f) { f.dlm = 7; }), field_bits(7, 5));
    EXPECT_EQ(one([](RemappedIrte& f) { f.avail = 0xF; }), field_bits(11, 8));
    EXPECT_EQ(one([](RemappedIrte& f) { f.vector = 0xFF; }), field_bits(23, 16));
    EXPECT_EQ(one([](RemappedIrte& f) { f.dst = 0xFFFFFFFF; }), field_bits(63, 32));
    EXPECT_EQ(one([](RemappedIrte& f) { f.sid = 0xFFFF; }), field_bits(79, 64));
    EXPECT_EQ(one([](RemappedIrte& f) { f.sq = 3; }), field_bits(81, 80));
    EXPECT_EQ(one([](RemappedIrte& f) { f.svt = 3; }), field_bits(83, 82));
    EXPECT_FALSE(irte_im(one([](RemappedIrte& f) { f.p = true; })));
}

TEST(VtdIrteLayout, PostedFieldsAtTheirBits) {
    auto one = [](auto set) {
        PostedIrte f;
        set(f);
        Irte e = encode_posted_irte(f);
        e.lo &= ~(1ull << 15);  // IM is always 1 in this format; checked below
        return e;
    };
    EXPECT_EQ(one([](PostedIrte& f) { f.p = true; }), bit(0));
    EXPECT_EQ(one([](PostedIrte& f) { f.fpd = true; }), bit(1));
    EXPECT_EQ(one([](PostedIrte& f) { f.avail = 0xF; }), field_bits(11, 8));
    EXPECT_EQ(one([](PostedIrte& f) { f.urg = true; }), bit(14));
    EXPECT_EQ(one([](PostedIrte& f) { f.vv = 0xFF; }), field_bits(23, 16));
    // PID address bits 31:6 in IRTE 63:38, bits 63:32 in IRTE 127:96.
    EXPECT_EQ(one([](PostedIrte& f) { f.pda = 0x00000000FFFFFFC0ull; }), field_bits(63, 38));
    EXPECT_EQ(one([](PostedIrte& f) { f.pda = 0xFFFFFFFF00000000ull; }), field_bits(127, 96));
    EXPECT_EQ(one([](PostedIrte& f) { f.pda = 1ull << 6; }), bit(38));
    EXPECT_EQ(one([](PostedIrte& f) { f.pda = 1ull << 32; }), bit(96));
    EXPECT_EQ(one([](PostedIrte& f) { f.pda = 0x3F; }), Irte{}) << "PDA bits 5:0 do not exist";
    EXPECT_EQ(one([](PostedIrte& f) { f.sid = 0xFFFF; }), field_bits(79, 64));
    EXPECT_EQ(one([](PostedIrte& f) { f.sq = 3; }), field_bits(81, 80));
    EXPECT_EQ(one([](PostedIrte& f) { f.svt = 3; }), field_bits(83, 82));
    EXPECT_EQ(encode_posted_irte(PostedIrte{}), bit(15)) << "IM = 1";
    EXPECT_TRUE(irte_im(encode_posted_irte(PostedIrte{})));
}

TEST(VtdIrteLayout, RemappedRoundTrip) {
    Gen g;
    for (int i = 0; i < 2000; ++i) {
        RemappedIrte f;
        f.p = g(1);
        f.fpd = g(1);
        f.dm = g(1);
        f.rh = g(1);
        f.tm = g(1);
        f.dlm = std::uint8_t(g(3));
        f.avail = std::uint8_t(g(4));
        f.vector = std::uint8_t(g(8));
        f.dst = std::uint32_t(g(32));
        f.sid = std::uint16_t(g(16));
        f.sq = std::uint8_t(g(2));
        f.svt = std::uint8_t(g(2));
        const Irte e = encode_remapped_irte(f);
        const RemappedIrte d = decode_remapped_irte(e);
        EXPECT_EQ(encode_remapped_irte(d), e);
        EXPECT_EQ(d.p, f.p);
        EXPECT_EQ(d.dlm, f.dlm);
        EXPECT_EQ(d.vector, f.vector);
        EXPECT_EQ(d.dst, f.dst);
        EXPECT_EQ(d.sid, f.sid);
        EXPECT_EQ(d.svt, f.svt);
        // No reserved bit is ever produced (x2APIC mask: DST is all valid).
        const Irte m = remapped_irte_reserved_mask(true);
        EXPECT_EQ(e.lo & m.lo, 0u);
        EXPECT_EQ(e.hi & m.hi, 0u);
    }
}

TEST(VtdIrteLayout, PostedRoundTrip) {
    Gen g;
    for (int i = 0; i < 2000; ++i) {
        PostedIrte f;
        f.p = g(1);
        f.fpd = g(1);
        f.avail = std::uint8_t(g(4));
        f.urg = g(1);
        f.vv = std::uint8_t(g(8));
        f.pda = g(64) & ~0x3Full;
        f.sid = std::uint16_t(g(16));
        f.sq = std::uint8_t(g(2));
        f.svt = std::uint8_t(g(2));
        const Irte e = encode_posted_irte(f);
        const PostedIrte d = decode_posted_irte(e);
        EXPECT_EQ(d.pda, f.pda);
        EXPECT_EQ(d.vv, f.vv);
        EXPECT_EQ(d.urg, f.urg);
        EXPECT_EQ(d.sid, f.sid);
        EXPECT_EQ(encode_posted_irte(d), e);
        const Irte m = posted_irte_reserved_mask();
        EXPECT_EQ(e.lo & m.lo, 0u);
        EXPECT_EQ(e.hi & m.hi, 0u);
    }
}

// Reserved masks are exactly the complement of the fields [VTD 9.10, 9.11].
TEST(VtdIrteLayout, ReservedMasksAreTheComplementOfTheFields) {
    const Irte x2 = remapped_irte_reserved_mask(true);
    EXPECT_EQ(x2.lo, 0x00000000FF007000ull);
    EXPECT_EQ(x2.hi, 0xFFFFFFFFFFF00000ull);
    const Irte x1 = remapped_irte_reserved_mask(false);
    EXPECT_EQ(x1.lo, 0xFFFF00FFFF007000ull) << "xAPIC: DST 39:32 and 63:48 reserved";
    EXPECT_EQ(x1.hi, 0xFFFFFFFFFFF00000ull);
    const Irte po = posted_irte_reserved_mask();
    EXPECT_EQ(po.lo, 0x0000003FFF0030FCull);
    EXPECT_EQ(po.hi, 0x00000000FFF00000ull);
    // Fields of the posted format OR its mask cover all 128 bits exactly once.
    PostedIrte all;
    all.p = all.fpd = all.urg = true;
    all.avail = 0xF;
    all.vv = 0xFF;
    all.pda = ~0x3Full;
    all.sid = 0xFFFF;
    all.sq = all.svt = 3;
    const Irte f = encode_posted_irte(all);
    EXPECT_EQ(f.lo & po.lo, 0u);
    EXPECT_EQ(f.lo | po.lo, ~0ull);
    EXPECT_EQ(f.hi | po.hi, ~0ull);
}

TEST(VtdIrteLayout, ReservedFieldDetection) {
    Irte ok = encode_remapped_irte(RemappedIrte{true, false, false, false, false, 0, 0, 0x30,
                                                0x00000500, 0, 0, 0});
    EXPECT_FALSE(irte_reserved_fields_set(ok, false));
    for (unsigned n : {12u, 14u, 24u, 31u, 84u, 127u}) {
        Irte e = ok;
        Irte b = bit(n);
        e.lo |= b.lo;
        e.hi |= b.hi;
        EXPECT_TRUE(irte_reserved_fields_set(e, true)) << n;
    }
    Irte wide = ok;
    wide.lo |= 1ull << 33;  // DST bit 1: reserved only in xAPIC mode
    EXPECT_TRUE(irte_reserved_fields_set(wide, false));
    EXPECT_FALSE(irte_reserved_fields_set(wide, true));
    Irte svt3 = ok;
    svt3.hi |= 3ull << 18;
    EXPECT_TRUE(irte_reserved_fields_set(svt3, true)) << "SVT = 11b is reserved";
    Irte posted = encode_posted_irte(PostedIrte{true, false, 0, false, 0x20, 0x1000, 0, 0, 0});
    EXPECT_FALSE(irte_reserved_fields_set(posted, false));
    for (unsigned n : {2u, 7u, 12u, 13u, 24u, 37u, 84u, 95u}) {
        Irte e = posted;
        Irte b = bit(n);
        e.lo |= b.lo;
        e.hi |= b.hi;
        EXPECT_TRUE(irte_reserved_fields_set(e, true)) << n;
    }
}

TEST(VtdIrteLayout, DestinationByMode) {
    RemappedIrte f;
    f.dst = 0x12345678;
    EXPECT_EQ(remapped_irte_destination(f, true), 0x12345678u);
    EXPECT_EQ(remapped_irte_destination(f, false), 0x56u) << "xAPIC ID in IRTE bits 47:40";
}

// ---- MSI decode [VTD 5.1.2] ----

TEST(VtdMsiDecode, Compatibility) {
    const InterruptRequest r =
        decode_interrupt_request(0xFEE00000ull | (0xA5u << 12) | (1u << 3) | (1u << 2),
                                 0x00000000u | 0x7Du | (1u << 8) | (1u << 14) | (1u << 15));
    EXPECT_EQ(r.format, MsiFormat::Compatibility);
    EXPECT_EQ(r.dest, 0xA5);
    EXPECT_TRUE(r.rh);
    EXPECT_TRUE(r.dm);
    EXPECT_EQ(r.vector, 0x7D);
    EXPECT_EQ(r.delivery_mode, 1);
    EXPECT_TRUE(r.level);
    EXPECT_TRUE(r.trigger_level);
}

TEST(VtdMsiDecode, RemappableHandleBits) {
    // handle[14:0] in address 19:5.
    InterruptRequest r = decode_interrupt_request(0xFEE00000ull | (0x7FFFu << 5) | (1u << 4), 0);
    EXPECT_EQ(r.format, MsiFormat::Remappable);
    EXPECT_EQ(r.handle, 0x7FFF);
    EXPECT_EQ(r.index, 0x7FFFu);
    // handle[15] in address bit 2.
    r = decode_interrupt_request(0xFEE00000ull | (1u << 4) | (1u << 2), 0);
    EXPECT_EQ(r.handle, 0x8000);
    EXPECT_EQ(r.index, 0x8000u);
    // A lone address bit names a lone handle bit.
    for (unsigned b = 0; b < 15; ++b) {
        r = decode_interrupt_request(0xFEE00000ull | (1ull << (5 + b)) | (1u << 4), 0);
        EXPECT_EQ(r.handle, 1u << b) << b;
    }
}

TEST(VtdMsiDecode, SubhandleOnlyWithShv) {
    const std::uint64_t base = 0xFEE00000ull | (0x100u << 5) | (1u << 4);
    InterruptRequest r = decode_interrupt_request(base, 0x0000002A);
    EXPECT_FALSE(r.shv);
    EXPECT_EQ(r.index, 0x100u) << "SHV=0: data ignored";
    r = decode_interrupt_request(base | (1u << 3), 0x0000002A);
    EXPECT_TRUE(r.shv);
    EXPECT_EQ(r.subhandle, 0x2A);
    EXPECT_EQ(r.index, 0x12Au) << "index = handle + subhandle";
    // handle + subhandle may exceed 16 bits (then it is beyond any table).
    r = decode_interrupt_request(0xFEE00000ull | (0x7FFFu << 5) | (1u << 4) | (1u << 3) | (1u << 2),
                                 0xFFFF);
    EXPECT_EQ(r.index, 0xFFFFu + 0xFFFFu);
}

TEST(VtdMsiDecode, ReservedDataBits) {
    const std::uint64_t a = 0xFEE00000ull | (1u << 4);
    EXPECT_FALSE(decode_interrupt_request(a, 0x0000FFFF).reserved_set);
    for (unsigned b = 16; b < 32; ++b)
        EXPECT_TRUE(decode_interrupt_request(a, 1u << b).reserved_set) << b;
}

// ---- source-ID verification [VTD 9.10] ----

TEST(VtdSourceId, SvtNoneAlwaysPasses) {
    EXPECT_TRUE(verify_source_id(0x1234, 0, 0, 0xFFFF));
    EXPECT_TRUE(verify_source_id(0x0000, 3, 0, 0x4321));
}

TEST(VtdSourceId, RequesterIdUnderSqMask) {
    const std::uint16_t sid = 0x0308;  // bus 3, device 1, function 0
    EXPECT_TRUE(verify_source_id(sid, 0, 1, 0x0308));
    EXPECT_FALSE(verify_source_id(sid, 0, 1, 0x0309)) << "SQ=00 compares all 16 bits";
    // SQ=01 ignores bit 2.
    EXPECT_TRUE(verify_source_id(sid, 1, 1, 0x030C));
    EXPECT_FALSE(verify_source_id(sid, 1, 1, 0x030A));
    // SQ=10 ignores bits 2:1.
    EXPECT_TRUE(verify_source_id(sid, 2, 1, 0x030E));
    EXPECT_FALSE(verify_source_id(sid, 2, 1, 0x0309));
    // SQ=11 ignores bits 2:0: any function of the device.
    EXPECT_TRUE(verify_source_id(sid, 3, 1, 0x030F));
    EXPECT_FALSE(verify_source_id(sid, 3, 1, 0x0310)) << "another device";
    EXPECT_FALSE(verify_source_id(sid, 3, 1, 0x0408)) << "another bus";
}

TEST(VtdSourceId, BusRangeInclusive) {
    const std::uint16_t sid = 0x0408;  // buses 4..8
    EXPECT_FALSE(verify_source_id(sid, 0, 2, 0x03FF));
    EXPECT_TRUE(verify_source_id(sid, 0, 2, 0x0400));
    EXPECT_TRUE(verify_source_id(sid, 0, 2, 0x06A3));
    EXPECT_TRUE(verify_source_id(sid, 0, 2, 0x08FF));
    EXPECT_FALSE(verify_source_id(sid, 0, 2, 0x0900));
    EXPECT_FALSE(verify_source_id(0x0605, 0, 2, 0x0500)) << "empty range (start > end)";
}

TEST(VtdSourceId, ReservedSvtFails) { EXPECT_FALSE(verify_source_id(0, 0, 3, 0)); }

// ---- the checks' order as pure functions [VTD 5.1.4] ----

TEST(VtdRemapChecks, OrderOfChecks) {
    const std::uint64_t a = 0xFEE00000ull | (5u << 5) | (1u << 4);
    Irte absent;  // P=0
    // Reserved request bits win over the index and the IRTE.
    RemapResult r = remap_interrupt(a | (0x7FFFu << 5), 0x10000, 0, absent, 16, false, false);
    EXPECT_EQ(r.fault, VtdFaultReason::ReservedRequest);
    // Index beyond the table wins over the IRTE.
    r = remap_interrupt(a | (0x10u << 5), 0, 0, absent, 16, false, false);
    EXPECT_EQ(r.fault, VtdFaultReason::IndexBeyondTable);
    EXPECT_EQ(r.index, 0x15u);
    // Not present wins over reserved IRTE bits and source ID.
    Irte e = absent;
    e.hi = 3ull << 18;
    r = remap_interrupt(a, 0, 0, e, 16, false, false);
    EXPECT_EQ(r.fault, VtdFaultReason::NotPresent);
    // Reserved IRTE bits win over source ID.
    e.lo = 1 | (1ull << 12);
    e.hi = (1ull << 18) | 0x0100;
    r = remap_interrupt(a, 0, 0x0200, e, 16, false, false);
    EXPECT_EQ(r.fault, VtdFaultReason::ReservedIrte);
    e.lo = 1;
    r = remap_interrupt(a, 0, 0x0200, e, 16, false, false);
    EXPECT_EQ(r.fault, VtdFaultReason::SourceId);
    r = remap_interrupt(a, 0, 0x0100, e, 16, false, false);
    EXPECT_EQ(r.outcome, RemapOutcome::Remapped);
}

TEST(VtdRemapChecks, CompatibilityBlockedOrPassed) {
    const std::uint64_t a = 0xFEE00000ull | (3u << 12);
    EXPECT_EQ(remap_interrupt(a, 0x31, 0, Irte{}, 16, true, true).fault,
              VtdFaultReason::CompatBlocked);
    EXPECT_EQ(remap_interrupt(a, 0x31, 0, Irte{}, 16, false, false).fault,
              VtdFaultReason::CompatBlocked);
    const RemapResult r = remap_interrupt(a, 0x31, 0, Irte{}, 16, false, true);
    EXPECT_EQ(r.outcome, RemapOutcome::Compatibility);
    EXPECT_EQ(r.dest, 3u);
    EXPECT_EQ(r.vector, 0x31);
}

TEST(VtdRemapChecks, FpdQualifiedFaults) {
    for (unsigned f = 0x20; f <= 0x28; ++f) {
        const bool q = f == 0x22 || f == 0x24 || f == 0x26 || f == 0x27 || f == 0x28;
        EXPECT_EQ(fault_is_fpd_qualified(static_cast<VtdFaultReason>(f)), q) << f;
    }
}

TEST(VtdRemapChecks, TableSizeFromIrta) {
    EXPECT_EQ(irta_table_entries(0x0), 2u);
    EXPECT_EQ(irta_table_entries(0x7), 256u);
    EXPECT_EQ(irta_table_entries(0xF), 65536u);
    EXPECT_EQ(irta_table_entries(0x1000 | (1u << 11) | 3), 16u);
}
