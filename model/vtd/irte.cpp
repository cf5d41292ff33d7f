// model/vtd/irte.cpp - IRTE formats, interrupt request decode and the
// remapping checks [VTD 5.1.2, 5.1.4, 9.10, 9.11].
#include "model/vtd/irte.h"

#include <cassert>

namespace pisim {
namespace vtd {

namespace {
constexpr std::uint64_t bits(unsigned hi, unsigned lo) {
    return (hi - lo == 63 ? ~0ull : ((1ull << (hi - lo + 1)) - 1)) << lo;
}
constexpr std::uint64_t field(std::uint64_t w, unsigned hi, unsigned lo) {
    return (w & bits(hi, lo)) >> lo;
}
constexpr std::uint64_t place(std::uint64_t v, unsigned hi, unsigned lo) {
    return (v << lo) & bits(hi, lo);
}
}  // namespace

// [VTD 9.10] remapped format: P 0, FPD 1, DM 2, RH 3, TM 4, DLM 7:5, AVAIL 11:8,
// IM 15, V 23:16, DST 63:32, SID 79:64, SQ 81:80, SVT 83:82.
RemappedIrte decode_remapped_irte(const Irte& e) {
    RemappedIrte f;
    f.p = field(e.lo, 0, 0);
    f.fpd = field(e.lo, 1, 1);
    f.dm = field(e.lo, 2, 2);
    f.rh = field(e.lo, 3, 3);
    f.tm = field(e.lo, 4, 4);
    f.dlm = static_cast<std::uint8_t>(field(e.lo, 7, 5));
    f.avail = static_cast<std::uint8_t>(field(e.lo, 11, 8));
    f.vector = static_cast<std::uint8_t>(field(e.lo, 23, 16));
    f.dst = static_cast<std::uint32_t>(field(e.lo, 63, 32));
    f.sid = static_cast<std::uint16_t>(field(e.hi, 15, 0));
    f.sq = static_cast<std::uint8_t>(field(e.hi, 17, 16));
    f.svt = static_cast<std::uint8_t>(field(e.hi, 19, 18));
    return f;
}

Irte encode_remapped_irte(const RemappedIrte& f) {
    Irte e;
    e.lo = place(f.p, 0, 0) | place(f.fpd, 1, 1) | place(f.dm, 2, 2) | place(f.rh, 3, 3) |
           place(f.tm, 4, 4) | place(f.dlm, 7, 5) | place(f.avail, 11, 8) | place(0, 15, 15) |
           place(f.vector, 23, 16) | place(f.dst, 63, 32);
    e.hi = place(f.sid, 15, 0) | place(f.sq, 17, 16) | place(f.svt, 19, 18);
    return e;
}

// [VTD 9.11] posted format: P 0, FPD 1, AVAIL 11:8, URG 14, IM 15, VV 23:16,
// PDA-L (PDA 31:6) 63:38, SID 79:64, SQ 81:80, SVT 83:82, PDA-H (PDA 63:32) 127:96.
PostedIrte decode_posted_irte(const Irte& e) {
    PostedIrte f;
    f.p = field(e.lo, 0, 0);
    f.fpd = field(e.lo, 1, 1);
    f.avail = static_cast<std::uint8_t>(field(e.lo, 11, 8));
    f.urg = field(e.lo, 14, 14);
    f.vv = static_cast<std::uint8_t>(field(e.lo, 23, 16));
    f.pda = (field(e.lo, 63, 38) << 6) | (field(e.hi, 63, 32) << 32);
    f.sid = static_cast<std::uint16_t>(field(e.hi, 15, 0));
    f.sq = static_cast<std::uint8_t>(field(e.hi, 17, 16));
    f.svt = static_cast<std::uint8_t>(field(e.hi, 19, 18));
    return f;
}

Irte encode_posted_irte(const PostedIrte& f) {
    Irte e;
    e.lo = place(f.p, 0, 0) | place(f.fpd, 1, 1) | place(f.avail, 11, 8) | place(f.urg, 14, 14) |
           place(1, 15, 15) | place(f.vv, 23, 16) | place(field(f.pda, 31, 6), 63, 38);
    e.hi = place(f.sid, 15, 0) | place(f.sq, 17, 16) | place(f.svt, 19, 18) |
           place(field(f.pda, 63, 32), 63, 32);
    return e;
}

Irte remapped_irte_reserved_mask(bool eime) {
    Irte m;
    m.lo = bits(14, 12) | bits(31, 24);
    if (!eime) m.lo |= bits(39, 32) | bits(63, 48);  // xAPIC: only DST 47:40 is the ID
    m.hi = bits(63, 20);                             // IRTE 127:84
    return m;
}

Irte posted_irte_reserved_mask() {
    Irte m;
    m.lo = bits(7, 2) | bits(13, 12) | bits(37, 24);
    m.hi = bits(31, 20);  // IRTE 95:84
    return m;
}

bool irte_reserved_fields_set(const Irte& e, bool eime) {
    const Irte m = irte_im(e) ? posted_irte_reserved_mask() : remapped_irte_reserved_mask(eime);
    if ((e.lo & m.lo) != 0 || (e.hi & m.hi) != 0) return true;
    return field(e.hi, 19, 18) == static_cast<std::uint64_t>(Svt::Reserved);
}

std::uint32_t remapped_irte_destination(const RemappedIrte& f, bool eime) {
    return eime ? f.dst : ((f.dst >> 8) & 0xFF);
}

bool verify_source_id(std::uint16_t sid, std::uint8_t sq, std::uint8_t svt,
                      std::uint16_t requester_id) {
    switch (static_cast<Svt>(svt & 3)) {
        case Svt::None:
            return true;
        case Svt::RequesterId: {
            // SQ selects which function-number bits are ignored.
            static constexpr std::uint16_t kSqMask[4] = {0xFFFF, 0xFFFB, 0xFFF9, 0xFFF8};
            const std::uint16_t mask = kSqMask[sq & 3];
            return (sid & mask) == (requester_id & mask);
        }
        case Svt::BusRange: {
            const unsigned bus = requester_id >> 8;
            return bus >= (sid >> 8) && bus <= (sid & 0xFFu);
        }
        case Svt::Reserved:
            return false;
    }
    return false;
}

InterruptRequest decode_interrupt_request(std::uint64_t address, std::uint32_t data) {
    InterruptRequest r;
    r.format = field(address, 4, 4) ? MsiFormat::Remappable : MsiFormat::Compatibility;
    if (r.format == MsiFormat::Compatibility) {
        r.dest = static_cast<std::uint8_t>(field(address, 19, 12));
        r.rh = field(address, 3, 3);
        r.dm = field(address, 2, 2);
        r.vector = static_cast<std::uint8_t>(field(data, 7, 0));
        r.delivery_mode = static_cast<std::uint8_t>(field(data, 10, 8));
        r.level = field(data, 14, 14);
        r.trigger_level = field(data, 15, 15);
        return r;
    }
    r.handle = static_cast<std::uint16_t>(field(address, 19, 5) | (field(address, 2, 2) << 15));
    r.shv = field(address, 3, 3);
    r.subhandle = static_cast<std::uint16_t>(field(data, 15, 0));
    r.index = r.shv ? std::uint32_t{r.handle} + r.subhandle : r.handle;
    r.reserved_set = field(data, 31, 16) != 0;  // data 31:16 reserved [VTD 5.1.2.2]
    return r;
}

bool fault_is_fpd_qualified(VtdFaultReason r) {
    switch (r) {
        case VtdFaultReason::NotPresent:
        case VtdFaultReason::ReservedIrte:
        case VtdFaultReason::SourceId:
        case VtdFaultReason::PidAccess:
        case VtdFaultReason::ReservedPid:
            return true;
        default:
            return false;
    }
}

namespace {
RemapResult fault(VtdFaultReason why, std::uint32_t index, bool fpd) {
    RemapResult r;
    r.outcome = RemapOutcome::Fault;
    r.fault = why;
    r.index = index;
    r.fpd = fpd;
    r.fault_recorded = !(fpd && fault_is_fpd_qualified(why));
    return r;
}
}  // namespace

// [VTD 5.1.4 "Interrupt-remapping hardware operation"] steps before the IRTE.
RemapResult check_interrupt_request(std::uint64_t address, std::uint32_t data,
                                    std::uint32_t table_entries, bool eime, bool cfis) {
    const InterruptRequest q = decode_interrupt_request(address, data);
    // 1. Compatibility format: blocked when EIME=1 or CFIS=0, else passed through.
    if (q.format == MsiFormat::Compatibility) {
        if (eime || !cfis) return fault(VtdFaultReason::CompatBlocked, 0, false);
        RemapResult r;
        r.outcome = RemapOutcome::Compatibility;
        r.dest = q.dest;
        r.dest_logical = q.dm;
        r.rh = q.rh;
        r.level_triggered = q.trigger_level;
        r.delivery_mode = q.delivery_mode;
        r.vector = q.vector;
        return r;
    }
    // 2. Reserved fields of the remappable request (0x20).
    if (q.reserved_set) return fault(VtdFaultReason::ReservedRequest, q.index, false);
    // 3. Interrupt index within the table (0x21).
    if (q.index >= table_entries) return fault(VtdFaultReason::IndexBeyondTable, q.index, false);
    RemapResult r;
    r.outcome = RemapOutcome::IrteNeeded;
    r.index = q.index;
    return r;
}

// [VTD 5.1.4] steps with the IRTE in hand.
RemapResult process_irte(std::uint32_t index, const Irte& irte, std::uint16_t requester_id,
                         bool eime) {
    const bool fpd = irte_fpd(irte);
    // 4. Present (0x22).
    if (!irte_present(irte)) return fault(VtdFaultReason::NotPresent, index, fpd);
    // 5. Reserved fields of the IRTE in its format (0x24).
    if (irte_reserved_fields_set(irte, eime)) return fault(VtdFaultReason::ReservedIrte, index, fpd);
    // 6. Source-ID verification (0x26); SID/SQ/SVT sit at the same bits in both formats.
    const RemappedIrte common = decode_remapped_irte(irte);
    if (!verify_source_id(common.sid, common.sq, common.svt, requester_id))
        return fault(VtdFaultReason::SourceId, index, fpd);
    RemapResult r;
    r.index = index;
    r.fpd = fpd;
    if (!irte_im(irte)) {
        // 7a. IM=0: remapped interrupt message from the IRTE.
        r.outcome = RemapOutcome::Remapped;
        r.dest = remapped_irte_destination(common, eime);
        r.dest_logical = common.dm;
        r.rh = common.rh;
        r.level_triggered = common.tm;
        r.delivery_mode = common.dlm;
        r.vector = common.vector;
    } else {
        // 7b. IM=1: posting target.
        const PostedIrte p = decode_posted_irte(irte);
        r.outcome = RemapOutcome::Posted;
        r.pda = p.pda;
        r.posted_vector = p.vv;
        r.urgent = p.urg;
    }
    return r;
}

RemapResult remap_interrupt(std::uint64_t address, std::uint32_t data,
                            std::uint16_t requester_id, const Irte& irte,
                            std::uint32_t table_entries, bool eime, bool cfis) {
    RemapResult r = check_interrupt_request(address, data, table_entries, eime, cfis);
    if (r.outcome != RemapOutcome::IrteNeeded) return r;
    return process_irte(r.index, irte, requester_id, eime);
}

}  // namespace vtd
}  // namespace pisim
