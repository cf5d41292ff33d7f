// model/vtd/posting.cpp - the posting operation [VTD 5.2.3, 9.11, 9.12].
#include "model/vtd/posting.h"

#include <cassert>
#include <cstring>

namespace pisim {
namespace vtd {

bool pid_reserved_bits_set(const PidLine& pid) {
    return (pid[kPidControlWord] & kPidControlReserved) != 0 || pid[5] != 0 || pid[6] != 0 ||
           pid[7] != 0;
}

bool pid_post(PidLine& pid, std::uint8_t vector, bool urgent) {
    std::uint64_t& control = pid[kPidControlWord];
    // 1. PIR[vector] = 1.
    pid[vector / 64] |= 1ull << (vector % 64);
    // 2. X = (ON == 0) && (URG == 1 || SN == 0).
    const bool on = control & kPidOn, sn = control & kPidSn;
    const bool x = !on && (urgent || !sn);
    // 3. If X, ON = 1.
    if (x) control |= kPidOn;
    assert(control & kPidOn || !x);
    return x;
}

PidRmw post_interrupt_read(const PhysMem& mem, std::uint64_t pda, std::uint8_t vector, bool urgent,
                           bool eime) {
    assert(pda % kPidBytes == 0);
    PidRmw m;
    PostingResult& r = m.result;
    // 1. The PID must be accessible (0x27).
    if (!mem.is_ram(pda, kPidBytes)) {
        r.faulted = true;
        r.fault = VtdFaultReason::PidAccess;
        return m;
    }
    mem.read(pda, m.read.data(), kPidBytes);
    r.old_control = m.read[kPidControlWord];
    // 2. Reserved PID fields must be 0 (0x28).
    if (pid_reserved_bits_set(m.read)) {
        r.faulted = true;
        r.fault = VtdFaultReason::ReservedPid;
        r.new_control = r.old_control;
        return m;
    }
    // 3. Set PIR[vector], decide X, set ON if X.
    m.updated = m.read;
    r.notify = pid_post(m.updated, vector, urgent);
    r.new_control = m.updated[kPidControlWord];
    r.nv = pid_nv(r.new_control);
    r.ndst = pid_ndst(r.new_control, eime);
    return m;
}

bool post_interrupt_write(PhysMem& mem, std::uint64_t pda, const PidRmw& rmw) {
    assert(!rmw.result.faulted);
    PidLine now;
    mem.read(pda, now.data(), kPidBytes);
    if (now != rmw.read) return false;
    // 4. Write the line back: the update is visible from here on.
    mem.write(pda, rmw.updated.data(), kPidBytes);
    return true;
}

PostingResult post_interrupt(PhysMem& mem, std::uint64_t pda, std::uint8_t vector, bool urgent,
                             bool eime) {
    const PidRmw m = post_interrupt_read(mem, pda, vector, urgent, eime);
    if (m.result.faulted) return m.result;
    const bool written = post_interrupt_write(mem, pda, m);
    assert(written && "nothing runs between the halves");
    (void)written;
    return m.result;
}

}  // namespace vtd
}  // namespace pisim
