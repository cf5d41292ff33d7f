// model/vtd/posting.h - the posting operation: an interrupt posted into a
// posted-interrupt descriptor (PID) [VTD 5.2.3, 9.11, 9.12].
//
// SystemC-free. The pure part (pid_* on the 64-byte line as eight 64-bit
// words) is what the RTL posting engine must match; post_interrupt() does the
// atomic read-modify-write on machine memory. Timing and the notification
// message belong to the unit (vtd.cpp).
#pragma once

#include <array>
#include <cstdint>

#include "model/common/phys_mem.h"
#include "model/vtd/irte.h"

namespace pisim {
namespace vtd {

/// A PID line: word 0-3 PIR (vector v is bit v%64 of word v/64), word 4 the
/// control word (ON bit 0, SN bit 1, NV bits 23:16, NDST bits 63:32), words
/// 5-7 reserved [VTD 9.12].
using PidLine = std::array<std::uint64_t, 8>;
constexpr std::uint64_t kPidBytes = 64;
constexpr unsigned kPidControlWord = 4;

constexpr std::uint64_t kPidOn = 1ull << 0;
constexpr std::uint64_t kPidSn = 1ull << 1;
/// Reserved bits of the control word: PID 271:258 and 287:280 [VTD 9.12].
constexpr std::uint64_t kPidControlReserved = 0xFFFCull | 0xFF000000ull;

inline std::uint8_t pid_nv(std::uint64_t control) {
    return static_cast<std::uint8_t>(control >> 16);
}
/// NDST as an APIC ID: x2APIC (EIME=1) the 32-bit field, xAPIC (EIME=0) its
/// bits 15:8 (PID 303:296) [VTD 9.12].
inline std::uint32_t pid_ndst(std::uint64_t control, bool eime) {
    const auto ndst = static_cast<std::uint32_t>(control >> 32);
    return eime ? ndst : ((ndst >> 8) & 0xFF);
}

/// True when a reserved PID field is 1: control bits 15:2 and 31:24, words
/// 5-7 (PID 511:320) [VTD 9.12; VTD 5.1.4.1 fault 0x28].
bool pid_reserved_bits_set(const PidLine& pid);

/// The posting step on a line [VTD 5.2.3, 9.11]: set PIR[vector];
/// X = (ON == 0) && (URG == 1 || SN == 0); if X, set ON. Modifies `pid`
/// and returns X (send a notification).
bool pid_post(PidLine& pid, std::uint8_t vector, bool urgent);

/// Outcome of post_interrupt().
struct PostingResult {
    bool faulted = false;
    VtdFaultReason fault = VtdFaultReason::PidAccess;  ///< 0x27 or 0x28 when faulted
    std::uint64_t old_control = 0, new_control = 0;    ///< PID word 4 before/after
    bool notify = false;                               ///< X: send the notification
    std::uint8_t nv = 0;                               ///< notification vector
    std::uint32_t ndst = 0;                            ///< notification destination APIC ID
};

/// The posting operation on machine memory [VTD 5.2.3, 9.11], one
/// atomic read-modify-write of the 64-byte line at `pda` (no simulated time
/// passes): 1. the line must be RAM (else fault 0x27, nothing written);
/// 2. its reserved fields must be 0 (else 0x28, nothing written); 3. pid_post;
/// 4. the whole line is written back in one write (visible to watches).
/// The caller sets mem's agent. `eime` decides the NDST format.
/// = post_interrupt_read then post_interrupt_write at once.
PostingResult post_interrupt(PhysMem& mem, std::uint64_t pda, std::uint8_t vector, bool urgent,
                             bool eime);

/// The read-modify-write of the posting operation in the two halves the
/// clocked request path does one clock apart (request_timing.h: PID checks,
/// PID write). The RMW stays atomic: the write is done only if the line is
/// still what the read saw; otherwise the read half runs again.
struct PidRmw {
    PidLine read{};        ///< the line as read (steps 1-2)
    PidLine updated{};     ///< the line to write (step 3), valid unless result.faulted
    PostingResult result;  ///< fault 0x27 / 0x28, or the update and X
};

/// Steps 1-3 of post_interrupt on the line as it is now; nothing written.
PidRmw post_interrupt_read(const PhysMem& mem, std::uint64_t pda, std::uint8_t vector, bool urgent,
                           bool eime);

/// Step 4: write rmw.updated (one write, visible to watches) if the line at
/// `pda` still equals rmw.read; false (nothing written) if another agent
/// changed it since. `rmw` must not be faulted. The caller sets mem's agent.
bool post_interrupt_write(PhysMem& mem, std::uint64_t pda, const PidRmw& rmw);

}  // namespace vtd
}  // namespace pisim
