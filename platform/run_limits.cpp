#include "platform/run_limits.h"

#include <algorithm>
#include <chrono>

namespace pisim {

namespace detail {
std::atomic<bool> wall_expired{false};
}

WallWatchdog::WallWatchdog(std::uint64_t seconds, std::function<void()> on_expiry) {
    detail::wall_expired.store(false, std::memory_order_relaxed);
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::seconds(std::min<std::uint64_t>(seconds, RunLimits::max_wall_seconds));
    thread_ = std::thread([this, deadline, on_expiry = std::move(on_expiry)] {
        std::unique_lock<std::mutex> lock(mu_);
        if (cv_.wait_until(lock, deadline, [this] { return cancelled_; })) return;
        detail::wall_expired.store(true, std::memory_order_relaxed);
        on_expiry();
    });
}

WallWatchdog::~WallWatchdog() {
    {
        std::lock_guard<std::mutex> lock(mu_);
        cancelled_ = true;
    }
    cv_.notify_all();
    thread_.join();
}

}  // namespace pisim
