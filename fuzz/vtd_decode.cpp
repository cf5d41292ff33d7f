// fuzz/vtd_decode.cpp - libFuzzer target for the VT-d interrupt-remapping
// decode and checks (model/vtd/irte.h) and the posting operation
// (model/vtd/posting.h), checked against an independent reading of the spec
// [VTD 5.1.2, 5.1.4, 5.2.3, 9.10, 9.11, 9.12].
//
// Input (little-endian; shorter inputs are zero-padded, extra bytes ignored):
//   bytes  0..7   MSI address (64 bits)
//   bytes  8..11  MSI data (32 bits)
//   bytes 12..13  requester ID, bus[15:8] device[7:3] function[2:0]
//   bytes 14..29  IRTE, bits 63:0 then bits 127:64
//   byte  30      IRTA.S, table-size exponent (bits 3:0): 2^(S+1) entries
//   byte  31      bit 0 EIME, bit 1 CFIS, bit 2 the PID's page is RAM
//   bytes 32..95  the PID line at the IRTE's PDA (eight 64-bit words)
//
// Invariants (each violation aborts with its name):
//  - the remapping outcome, fault reason, index and target fields equal the
//    reference below, stage by stage, in the VTD 5.1.4 order of checks;
//  - a faulted request yields no delivery: no message fields, no posting,
//    and a faulted posting writes nothing;
//  - FPD suppresses recording only for the qualified reasons 0x22, 0x24,
//    0x26, 0x27, 0x28, and only when the IRTE's FPD is 1;
//  - encode(decode(x)) keeps every non-reserved field of either IRTE format
//    and sets no reserved bit; decode(encode(f)) == f;
//  - the posting step changes only PIR[vector] and ON, with
//    X = (ON == 0) && (URG == 1 || SN == 0), and writes the line once.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "model/common/phys_mem.h"
#include "model/vtd/irte.h"
#include "model/vtd/posting.h"

namespace {

using namespace pisim;
using namespace pisim::vtd;

[[noreturn]] void violated(const char* what, int line) {
    std::fprintf(stderr, "vtd_decode: invariant violated (line %d): %s\n", line, what);
    std::abort();
}
#define CHECK(cond) \
    do {            \
        if (!(cond)) violated(#cond, __LINE__); \
    } while (0)

constexpr std::size_t kInputBytes = 96;

struct Input {
    std::uint64_t address = 0;
    std::uint32_t data = 0;
    std::uint16_t requester_id = 0;
    Irte irte;
    unsigned s = 0;
    bool eime = false, cfis = false, pid_ram = false;
    PidLine pid{};
};

template <typename T>
T le(const std::uint8_t* p) {
    T v = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i) v |= static_cast<T>(p[i]) << (8 * i);
    return v;
}

Input parse(const std::uint8_t* data, std::size_t size) {
    std::uint8_t b[kInputBytes] = {};
    std::memcpy(b, data, size < kInputBytes ? size : kInputBytes);
    Input in;
    in.address = le<std::uint64_t>(b + 0);
    in.data = le<std::uint32_t>(b + 8);
    in.requester_id = le<std::uint16_t>(b + 12);
    in.irte.lo = le<std::uint64_t>(b + 14);
    in.irte.hi = le<std::uint64_t>(b + 22);
    in.s = b[30] & 0xF;
    in.eime = b[31] & 1;
    in.cfis = b[31] & 2;
    in.pid_ram = b[31] & 4;
    for (unsigned w = 0; w < 8; ++w) in.pid[w] = le<std::uint64_t>(b + 32 + 8 * w);
    return in;
}

std::uint64_t bit(std::uint64_t w, unsigned n) { return (w >> n) & 1; }

// ---- the reference: literal bit positions from VTD 9.10, 9.11, 9.12 ----
constexpr std::uint64_t kRemappedResLo = 0x0000'0000'FF00'7000ull;  // 14:12, 31:24
constexpr std::uint64_t kRemappedResLoXapic = 0xFFFF'00FF'0000'0000ull;  // 39:32, 63:48
constexpr std::uint64_t kRemappedResHi = 0xFFFF'FFFF'FFF0'0000ull;  // 127:84
constexpr std::uint64_t kPostedResLo = 0x0000'003F'FF00'30FCull;  // 7:2, 13:12, 37:24
constexpr std::uint64_t kPostedResHi = 0x0000'0000'FFF0'0000ull;  // 95:84
constexpr std::uint64_t kImBit = 1ull << 15;

bool ref_qualified(unsigned reason) {
    return reason == 0x22 || reason == 0x24 || reason == 0x26 || reason == 0x27 ||
           reason == 0x28;
}

bool ref_source_id_ok(std::uint64_t hi, std::uint16_t rid) {
    const unsigned sid = hi & 0xFFFF, sq = (hi >> 16) & 3, svt = (hi >> 18) & 3;
    if (svt == 0) return true;
    if (svt == 1) {
        // Function-number bits that SQ leaves out of the comparison.
        const unsigned ignored = sq == 0 ? 0 : sq == 1 ? 0x4 : sq == 2 ? 0x6 : 0x7;
        return ((sid ^ rid) & ~ignored & 0xFFFF) == 0;
    }
    if (svt == 2) return (rid >> 8) >= (sid >> 8) && (rid >> 8) <= (sid & 0xFF);
    return false;
}

bool ref_irte_reserved(const Irte& e, bool eime) {
    if (bit(e.lo, 15)) return (e.lo & kPostedResLo) || (e.hi & kPostedResHi) || ((e.hi >> 18) & 3) == 3;
    const std::uint64_t lo = kRemappedResLo | (eime ? 0 : kRemappedResLoXapic);
    return (e.lo & lo) || (e.hi & kRemappedResHi) || ((e.hi >> 18) & 3) == 3;
}

/// Expected RemapResult of remap_interrupt for the input.
RemapResult reference(const Input& in) {
    RemapResult r;
    auto fault = [&](unsigned reason, std::uint32_t index, bool fpd) {
        RemapResult f;
        f.outcome = RemapOutcome::Fault;
        f.fault = static_cast<VtdFaultReason>(reason);
        f.index = index;
        f.fpd = fpd;
        f.fault_recorded = !(fpd && ref_qualified(reason));
        return f;
    };
    const std::uint64_t a = in.address;
    if (!bit(a, 4)) {  // compatibility format
        if (in.eime || !in.cfis) return fault(0x25, 0, false);
        r.outcome = RemapOutcome::Compatibility;
        r.dest = (a >> 12) & 0xFF;
        r.dest_logical = bit(a, 2);
        r.rh = bit(a, 3);
        r.vector = in.data & 0xFF;
        r.delivery_mode = (in.data >> 8) & 7;
        r.level_triggered = bit(in.data, 15);
        return r;
    }
    const std::uint32_t handle = static_cast<std::uint32_t>(((a >> 5) & 0x7FFF) | (bit(a, 2) << 15));
    const std::uint32_t index = bit(a, 3) ? handle + (in.data & 0xFFFF) : handle;
    if (in.data >> 16) return fault(0x20, index, false);
    if (index >= (2u << in.s)) return fault(0x21, index, false);
    const Irte& e = in.irte;
    const bool fpd = bit(e.lo, 1);
    if (!bit(e.lo, 0)) return fault(0x22, index, fpd);
    if (ref_irte_reserved(e, in.eime)) return fault(0x24, index, fpd);
    if (!ref_source_id_ok(e.hi, in.requester_id)) return fault(0x26, index, fpd);
    r.index = index;
    r.fpd = fpd;
    if (!bit(e.lo, 15)) {
        r.outcome = RemapOutcome::Remapped;
        const auto dst = static_cast<std::uint32_t>(e.lo >> 32);
        r.dest = in.eime ? dst : (dst >> 8) & 0xFF;
        r.dest_logical = bit(e.lo, 2);
        r.rh = bit(e.lo, 3);
        r.level_triggered = bit(e.lo, 4);
        r.delivery_mode = (e.lo >> 5) & 7;
        r.vector = (e.lo >> 16) & 0xFF;
    } else {
        r.outcome = RemapOutcome::Posted;
        r.pda = ((e.lo >> 38) << 6) | (e.hi & 0xFFFF'FFFF'0000'0000ull);
        r.posted_vector = (e.lo >> 16) & 0xFF;
        r.urgent = bit(e.lo, 14);
    }
    return r;
}

void check_same(const RemapResult& got, const RemapResult& want) {
    CHECK(got.outcome == want.outcome);
    if (want.outcome == RemapOutcome::Fault) {
        CHECK(got.fault == want.fault);
        CHECK(got.fault_recorded == want.fault_recorded);
        CHECK(got.fpd == want.fpd);
    }
    CHECK(got.index == want.index);
    CHECK(got.dest == want.dest);
    CHECK(got.dest_logical == want.dest_logical);
    CHECK(got.rh == want.rh);
    CHECK(got.level_triggered == want.level_triggered);
    CHECK(got.delivery_mode == want.delivery_mode);
    CHECK(got.vector == want.vector);
    CHECK(got.pda == want.pda);
    CHECK(got.posted_vector == want.posted_vector);
    CHECK(got.urgent == want.urgent);
}

/// A faulted request carries nothing that could be delivered or posted.
void check_no_delivery(const RemapResult& r) {
    if (r.outcome != RemapOutcome::Fault) return;
    CHECK(r.dest == 0 && !r.dest_logical && !r.rh && !r.level_triggered);
    CHECK(r.delivery_mode == 0 && r.vector == 0);
    CHECK(r.pda == 0 && r.posted_vector == 0 && !r.urgent);
    // Suppression only for qualified reasons with FPD=1.
    if (!r.fault_recorded) CHECK(r.fpd && fault_is_fpd_qualified(r.fault));
}

void check_request_decode(const Input& in) {
    const InterruptRequest q = decode_interrupt_request(in.address, in.data);
    CHECK((q.format == MsiFormat::Remappable) == bit(in.address, 4));
    if (q.format == MsiFormat::Compatibility) {
        CHECK(q.dest == ((in.address >> 12) & 0xFF));
        CHECK(q.rh == bit(in.address, 3) && q.dm == bit(in.address, 2));
        CHECK(q.vector == (in.data & 0xFF) && q.delivery_mode == ((in.data >> 8) & 7));
        CHECK(q.level == bit(in.data, 14) && q.trigger_level == bit(in.data, 15));
        return;
    }
    CHECK(q.handle == (((in.address >> 5) & 0x7FFF) | (bit(in.address, 2) << 15)));
    CHECK(q.shv == bit(in.address, 3));
    CHECK(q.subhandle == (in.data & 0xFFFF));
    CHECK(q.index == (q.shv ? std::uint32_t{q.handle} + q.subhandle : q.handle));
    CHECK(q.index < (1u << 17));
    CHECK(q.reserved_set == ((in.data >> 16) != 0));
}

void check_irte_formats(const Input& in) {
    // Remapped format (IM=0).
    Irte x = in.irte;
    x.lo &= ~kImBit;
    const Irte rm = remapped_irte_reserved_mask(true), rmx = remapped_irte_reserved_mask(false);
    CHECK(rm.lo == kRemappedResLo && rm.hi == kRemappedResHi);
    CHECK(rmx.lo == (kRemappedResLo | kRemappedResLoXapic) && rmx.hi == kRemappedResHi);
    const RemappedIrte rf = decode_remapped_irte(x);
    const Irte re = encode_remapped_irte(rf);
    CHECK(((re.lo ^ x.lo) & ~rm.lo) == 0 && ((re.hi ^ x.hi) & ~rm.hi) == 0);
    CHECK((re.lo & rm.lo) == 0 && (re.hi & rm.hi) == 0 && !irte_im(re));
    const RemappedIrte rf2 = decode_remapped_irte(re);
    CHECK(rf2.p == rf.p && rf2.fpd == rf.fpd && rf2.dm == rf.dm && rf2.rh == rf.rh &&
          rf2.tm == rf.tm && rf2.dlm == rf.dlm && rf2.avail == rf.avail &&
          rf2.vector == rf.vector && rf2.dst == rf.dst && rf2.sid == rf.sid &&
          rf2.sq == rf.sq && rf2.svt == rf.svt);
    CHECK(remapped_irte_destination(rf, true) == rf.dst);
    CHECK(remapped_irte_destination(rf, false) == ((x.lo >> 40) & 0xFF));

    // Posted format (IM=1).
    Irte y = in.irte;
    y.lo |= kImBit;
    const Irte pm = posted_irte_reserved_mask();
    CHECK(pm.lo == kPostedResLo && pm.hi == kPostedResHi);
    const PostedIrte pf = decode_posted_irte(y);
    CHECK(pf.pda % kPidBytes == 0);
    const Irte pe = encode_posted_irte(pf);
    CHECK(((pe.lo ^ y.lo) & ~pm.lo) == 0 && ((pe.hi ^ y.hi) & ~pm.hi) == 0);
    CHECK((pe.lo & pm.lo) == 0 && (pe.hi & pm.hi) == 0 && irte_im(pe));
    const PostedIrte pf2 = decode_posted_irte(pe);
    CHECK(pf2.p == pf.p && pf2.fpd == pf.fpd && pf2.avail == pf.avail && pf2.urg == pf.urg &&
          pf2.vv == pf.vv && pf2.pda == pf.pda && pf2.sid == pf.sid && pf2.sq == pf.sq &&
          pf2.svt == pf.svt);

    for (bool eime : {false, true})
        CHECK(irte_reserved_fields_set(in.irte, eime) == ref_irte_reserved(in.irte, eime));

    // Source-ID verification: SID/SQ/SVT sit at the same bits in both formats.
    CHECK(rf.sid == pf.sid && rf.sq == pf.sq && rf.svt == pf.svt);
    CHECK(verify_source_id(rf.sid, rf.sq, rf.svt, in.requester_id) ==
          ref_source_id_ok(in.irte.hi, in.requester_id));
}

/// The posting operation on a PID line at `pda` [VTD 5.2.3 "Interrupt-Posting Hardware Operation"].
void check_posting(const Input& in, const RemapResult& r) {
    // Pure step on the line, whatever its reserved bits.
    PidLine line = in.pid;
    const std::uint64_t ctrl = in.pid[kPidControlWord];
    const bool x = pid_post(line, r.posted_vector, r.urgent);
    CHECK(x == (!(ctrl & 1) && (r.urgent || !(ctrl & 2))));
    PidLine want = in.pid;
    want[r.posted_vector / 64] |= 1ull << (r.posted_vector % 64);
    if (x) want[kPidControlWord] |= 1;
    CHECK(line == want);

    // On machine memory.
    PhysMem mem;
    const std::uint64_t page = r.pda & ~(PhysMem::kPageSize - 1);
    if (in.pid_ram) {
        mem.map_ram(page, PhysMem::kPageSize);
        mem.write(r.pda, in.pid.data(), kPidBytes);
    }
    unsigned writes = 0;
    mem.watch(r.pda, kPidBytes, [&](std::uint64_t pa, std::size_t len) {
        CHECK(pa == r.pda && len == kPidBytes);
        ++writes;
    });
    const PostingResult p = post_interrupt(mem, r.pda, r.posted_vector, r.urgent, in.eime);
    const bool reserved = (ctrl & 0xFFFC) || (ctrl & 0xFF00'0000ull) || in.pid[5] || in.pid[6] ||
                          in.pid[7];
    if (!in.pid_ram) {
        CHECK(p.faulted && p.fault == VtdFaultReason::PidAccess && writes == 0 && !p.notify);
    } else if (reserved) {
        CHECK(p.faulted && p.fault == VtdFaultReason::ReservedPid && writes == 0 && !p.notify);
        CHECK(p.old_control == ctrl && p.new_control == ctrl);
    } else {
        CHECK(!p.faulted && writes == 1);
        CHECK(p.notify == x && p.old_control == ctrl && p.new_control == want[kPidControlWord]);
        CHECK(p.nv == ((ctrl >> 16) & 0xFF));
        CHECK(p.ndst == (in.eime ? (ctrl >> 32) : ((ctrl >> 40) & 0xFF)));
    }
    if (in.pid_ram) {
        PidLine after;
        mem.read(r.pda, after.data(), kPidBytes);
        CHECK(after == (p.faulted ? in.pid : want));
    }
    if (p.faulted) {
        // Posting faults are qualified: the IRTE's FPD suppresses them.
        CHECK(fault_is_fpd_qualified(p.fault));
    }
}

void check_fpd_qualified_table() {
    for (unsigned v = 0; v < 256; ++v)
        CHECK(fault_is_fpd_qualified(static_cast<VtdFaultReason>(v)) == ref_qualified(v));
    for (unsigned s = 0; s < 16; ++s) CHECK(irta_table_entries(s) == (2u << s));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const bool table_checked = (check_fpd_qualified_table(), true);
    (void)table_checked;
    const Input in = parse(data, size);

    check_request_decode(in);
    check_irte_formats(in);

    const std::uint32_t entries = irta_table_entries(in.s);
    const RemapResult stage1 = check_interrupt_request(in.address, in.data, entries, in.eime, in.cfis);
    CHECK(stage1.outcome == RemapOutcome::Fault || stage1.outcome == RemapOutcome::Compatibility ||
          stage1.outcome == RemapOutcome::IrteNeeded);
    if (stage1.outcome == RemapOutcome::Fault) CHECK(stage1.fault_recorded);  // never qualified
    if (stage1.outcome == RemapOutcome::IrteNeeded) CHECK(stage1.index < entries);

    const RemapResult got = remap_interrupt(in.address, in.data, in.requester_id, in.irte,
                                            entries, in.eime, in.cfis);
    CHECK(got.outcome != RemapOutcome::IrteNeeded);
    if (stage1.outcome == RemapOutcome::IrteNeeded) {
        const RemapResult stage2 = process_irte(stage1.index, in.irte, in.requester_id, in.eime);
        check_same(got, stage2);
    }
    check_same(got, reference(in));
    check_no_delivery(got);
    if (got.outcome == RemapOutcome::Posted) check_posting(in, got);
    return 0;
}
