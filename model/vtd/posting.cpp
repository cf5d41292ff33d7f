// model/vtd/posting.cpp - the posting operation [VTD 5.2.3, 9.11; SPEC 1, 5].
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

PostingResult post_interrupt(PhysMem& mem, std::uint64_t pda, std::uint8_t vector, bool urgent,
                             bool eime) {
    assert(pda % kPidBytes == 0);
    PostingResult r;
    // 1. The PID must be accessible (0x27).
    if (!mem.is_ram(pda, kPidBytes)) {
        r.faulted = true;
        r.fault = VtdFaultReason::PidAccess;
        return r;
    }
    PidLine pid;
    mem.read(pda, pid.data(), kPidBytes);
    r.old_control = pid[kPidControlWord];
    // 2. Reserved PID fields must be 0 (0x28).
    if (pid_reserved_bits_set(pid)) {
        r.faulted = true;
        r.fault = VtdFaultReason::ReservedPid;
        r.new_control = r.old_control;
        return r;
    }
    // 3. Set PIR[vector], decide X, set ON if X.
    r.notify = pid_post(pid, vector, urgent);
    r.new_control = pid[kPidControlWord];
    r.nv = pid_nv(r.new_control);
    r.ndst = pid_ndst(r.new_control, eime);
    // 4. Write the line back: the update is visible from here on.
    mem.write(pda, pid.data(), kPidBytes);
    return r;
}

}  // namespace vtd
}  // namespace pisim
