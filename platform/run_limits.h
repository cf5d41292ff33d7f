// platform/run_limits.h - the wall-clock limit of a run (--max-wall), enforced
// by the wall clock (issue 19 point 3). A watchdog thread sleeps until the
// deadline, then raises one flag and wakes the SystemC kernel through an
// asynchronous update (Machine's WallStop channel), whose update stops the
// simulation at the end of the current delta cycle. A pCPU whose hypervisor
// code never returns to the kernel (a core spinning in a loop) sees the flag
// at its next basic block (the port's __sanitizer_cov_trace_pc) and stops
// there. The clock decides only where a too-long run stops, never what it
// does: a run that ends within its limit is the run without one.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

namespace pisim {

/// Bounds of the run limits (README "Limits").
struct RunLimits {
    /// --max-wall: at most about 115 days, so the deadline (nanoseconds of a
    /// 64-bit steady clock) cannot overflow.
    static constexpr std::uint64_t max_wall_seconds = 10000000;
};

namespace detail {
extern std::atomic<bool> wall_expired;
}

/// True once the running simulation's --max-wall deadline has passed (one
/// relaxed load: the port asks at every basic block).
inline bool wall_expired() { return detail::wall_expired.load(std::memory_order_relaxed); }

/// Sleeps on its own thread until `seconds` have passed or it is destroyed;
/// at the deadline sets wall_expired() and calls `on_expiry` (on the watchdog
/// thread: it must be thread-safe).
class WallWatchdog {
public:
    WallWatchdog(std::uint64_t seconds, std::function<void()> on_expiry);
    ~WallWatchdog();
    WallWatchdog(const WallWatchdog&) = delete;
    WallWatchdog& operator=(const WallWatchdog&) = delete;

private:
    std::mutex mu_;
    std::condition_variable cv_;
    bool cancelled_ = false;
    std::thread thread_;
};

}  // namespace pisim
