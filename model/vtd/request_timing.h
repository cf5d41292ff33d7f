// model/vtd/request_timing.h - the costs of the remapping unit and the clock
// schedule of one interrupt request, in core cycles [VTD 5.1.4, 5.2.3, 9.10,
// 9.11]. SystemC-free.
//
// The request path is clocked: its steps are the states of the RTL request
// path (model/vtd/rtl/vtd_irq_path.sv), one clock each, P = clock_period
// core cycles apart; a memory access stretches the clock of the step that
// waits for it by its latency (the clock is stopped meanwhile). Both request
// engines keep this schedule: the C++ path (VtdUnit, vtd.engine: tlm)
// charges it step by step with the functions below; the RTL path
// (VtdRtlEngine, vtd.engine: rtl) keeps it by clocking the verilated RTL.
// The lockstep test (tests/model/vtd_rtl/lockstep_test.cpp) holds the two
// together clock for clock.
//
//  step (RTL state)   clocks  memory answered at its end   ends the request with
//  request checks     1       -                            IRE=0 / compatibility, 0x25, 0x20, 0x21
//   (S_IDLE)
//  IRTE checks        1       IRTE: iec_hit or irte_fetch  0x23 (no latency), 0x22, 0x24, 0x26, remapped
//   (S_IRTE)                  (0x23: none)
//  PID checks         1       PID line read: pid_rmw       0x27, 0x28
//   (S_PID_READ)
//  PID write          1       -                            posted (notification at once)
//   (S_PID_WRITE)
//  A PID line changed by another agent between the PID checks' read and the
//  PID write is not written: PID checks and PID write run again (per retry
//  one more P + pid_rmw and P).
#pragma once

#include <cstdint>

namespace pisim {

/// Costs of the remapping unit in cycles (timing profile, "vtd.*").
struct VtdTiming {
    std::uint64_t clock_period = 2;  ///< core cycles per clock of the request path (>= 2)
    std::uint64_t iec_hit = 0;       ///< IRTE from the interrupt entry cache
    std::uint64_t irte_fetch = 0;    ///< IRTE 128-bit memory read on an IEC miss
    std::uint64_t pid_rmw = 0;       ///< PID line acquisition for the posting read-modify-write
    std::uint64_t iq_descriptor = 0; ///< processing one invalidation descriptor
    std::uint32_t iec_entries = 0;   ///< IEC capacity (entries); 0 = no cache
};

namespace vtd {

/// Clocks per step of the request path (vtd_irq_path.sv: one state each).
constexpr std::uint64_t kRequestCheckClocks = 1;  ///< S_IDLE: decode and request checks
constexpr std::uint64_t kIrteCheckClocks = 1;     ///< S_IRTE: IRTE checks, remap or PID read
constexpr std::uint64_t kPidCheckClocks = 1;      ///< S_PID_READ: PID checks and update
constexpr std::uint64_t kPidWriteClocks = 1;      ///< S_PID_WRITE: the PID line written

/// The last step a request runs.
enum class RequestEnd : std::uint8_t { RequestChecks, IrteChecks, PidChecks, PidWrite };

/// Cycles of the request checks, from the request's arrival.
inline std::uint64_t request_check_cycles(const VtdTiming& t) {
    return kRequestCheckClocks * t.clock_period;
}
/// Cycles of the IRTE checks, the IRTE's latency included (`irte_latency`:
/// iec_hit, irte_fetch, or 0 when the table entry is not accessible).
inline std::uint64_t irte_check_cycles(const VtdTiming& t, std::uint64_t irte_latency) {
    return kIrteCheckClocks * t.clock_period + irte_latency;
}
/// Cycles of the PID checks, the PID line's read included: `pid_latency`,
/// what acquiring the line cost this time (the platform's coherence model;
/// pid_rmw when none is attached).
inline std::uint64_t pid_check_cycles(const VtdTiming& t, std::uint64_t pid_latency) {
    return kPidCheckClocks * t.clock_period + pid_latency;
}
/// The same with the fixed pid_rmw.
inline std::uint64_t pid_check_cycles(const VtdTiming& t) { return pid_check_cycles(t, t.pid_rmw); }
/// Cycles of the PID write.
inline std::uint64_t pid_write_cycles(const VtdTiming& t) {
    return kPidWriteClocks * t.clock_period;
}

/// Clocks of a whole request that ends with `end` after `pid_retries` refused
/// PID writes (0 unless end is PidChecks or PidWrite).
std::uint64_t request_clocks(RequestEnd end, std::uint32_t pid_retries);

/// Core cycles of a whole request, arrival to result (the sum of the step
/// cycles above): `irte_latency` as for irte_check_cycles (unused when end
/// is RequestChecks), `pid_retries` as for request_clocks, `pid_latency` the
/// sum of the PID line's latencies over the 1 + pid_retries PID checks (0
/// unless end is PidChecks or PidWrite).
std::uint64_t request_cycles(const VtdTiming& t, RequestEnd end, std::uint64_t irte_latency,
                             std::uint32_t pid_retries, std::uint64_t pid_latency);

}  // namespace vtd
}  // namespace pisim
