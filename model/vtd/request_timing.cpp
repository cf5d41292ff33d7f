// model/vtd/request_timing.cpp - the clock schedule of one interrupt request
// (table in request_timing.h).
#include "model/vtd/request_timing.h"

#include <cassert>

namespace pisim {
namespace vtd {

std::uint64_t request_clocks(RequestEnd end, std::uint32_t pid_retries) {
    assert(pid_retries == 0 || end == RequestEnd::PidChecks || end == RequestEnd::PidWrite);
    std::uint64_t n = kRequestCheckClocks;
    if (end == RequestEnd::RequestChecks) return n;
    n += kIrteCheckClocks;
    if (end == RequestEnd::IrteChecks) return n;
    // Each refused write: PID checks, then the PID write that was refused.
    n += pid_retries * (kPidCheckClocks + kPidWriteClocks) + kPidCheckClocks;
    if (end == RequestEnd::PidChecks) return n;
    return n + kPidWriteClocks;
}

std::uint64_t request_cycles(const VtdTiming& t, RequestEnd end, std::uint64_t irte_latency,
                             std::uint32_t pid_retries, std::uint64_t pid_latency) {
    assert(pid_retries == 0 || end == RequestEnd::PidChecks || end == RequestEnd::PidWrite);
    std::uint64_t n = request_check_cycles(t);
    if (end == RequestEnd::RequestChecks) return n;
    n += irte_check_cycles(t, irte_latency);
    if (end == RequestEnd::IrteChecks) return n;
    n += pid_retries * (pid_check_cycles(t, 0) + pid_write_cycles(t)) + pid_check_cycles(t, 0) + pid_latency;
    if (end == RequestEnd::PidChecks) return n;
    return n + pid_write_cycles(t);
}

}  // namespace vtd
}  // namespace pisim
