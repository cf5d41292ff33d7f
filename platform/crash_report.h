// platform/crash_report.h - a hypervisor core that crashes (a fault in its
// code, or abort()) is reported, not silent (issue 19 point 7).
//
// `pisim run` installs handlers for SIGSEGV, SIGBUS, SIGILL, SIGFPE and
// SIGABRT on an alternate signal stack. When the faulting instruction
// belongs to the hypervisor core, or for SIGABRT the first caller outside the
// C library (abort() called by the core) does, the handler names
// the core (built-in or the --hyp path), the pCPU whose software ran it, the
// simulated cycle and the core's function (symbolized from the process's
// symbol tables, as the gate's per-function attribution), finishes the trace
// recorded so far (marked truncated) and exits kExitCoreCrashed. A fault
// anywhere else is pisim's own: the previous action of the signal runs (a
// core dump, or a sanitizer's report), after a line naming pisim's function
// and the core's caller when the fault is in a port call the core made.
//
// The handler runs code that is not async-signal-safe (symbolization, the
// trace's finishing): the core is freestanding C that allocates nothing and
// holds no lock of the platform's, so when it faults the platform's state
// is what it was at the core's last port call.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace pisim {

/// Exit status of `pisim run` when the hypervisor core crashed.
constexpr int kExitCoreCrashed = 4;

struct CrashReportConfig {
    std::string core;  ///< "built-in" or the --hyp shared object's path
    /// Finishes the trace recorded so far (truncated) and returns its path,
    /// or an empty string when the run records none. Called once, from the
    /// signal handler.
    std::function<std::string()> finish_trace;
    /// When set (a sweep point's or explore case's child), the report line
    /// ("pisim: the hypervisor core X crashed: SIGSEGV (...) in F on pCPU P
    /// at cycle C", no newline) goes here instead of stderr, with the cycle;
    /// it may end the process itself (child_exit_with), else exit 4 follows.
    std::function<void(const std::string& message, std::uint64_t cycle)> report;
};

/// Install the handlers for the rest of the process (one run).
void install_crash_report(CrashReportConfig cfg);

/// Load what install_crash_report needs once (the unwinder backtrace()
/// loads on first use), in a parent before it forks children that install
/// it, so no child loads it again.
void prime_crash_report();

}  // namespace pisim
