// model/pcie/traffic_source.h - packet arrival times of one receive queue
// [nic.h TrafficSpec]. Pure arithmetic, no SystemC: the NIC asks for
// one arrival at a time and keeps only the next one in its event queue.
#pragma once

#include <cstdint>
#include <optional>
#include <random>

#include "model/pcie/nic.h"

namespace pisim {

class TrafficSource {
public:
    /// Check `spec` and prepare its first arrival. `seed` feeds the Poisson
    /// generator (std::mt19937_64) and is unused by the other kinds.
    /// Throws std::invalid_argument for a spec that would never advance time:
    /// Constant or Poisson with interval 0; Burst with burst_len 0, or with
    /// interval 0 and burst_gap 0; File times not ascending (non-decreasing).
    TrafficSource(const TrafficSpec& spec, std::uint64_t seed);

    /// The next arrival cycle (absolute), or nothing when the source is
    /// exhausted: `count` packets produced, or the next arrival would be at or
    /// after `stop`. Arrivals are non-decreasing; several may share a cycle.
    ///   Constant: start, start + interval, start + 2*interval, ...
    ///   Poisson:  start + G1, + G2, ... with G exponential of mean `interval`
    ///             (exponential.h; gaps of 0 cycles are possible).
    ///   Burst:    burst_len arrivals `interval` apart starting at `start`;
    ///             the next burst starts `burst_gap` after the last arrival of
    ///             the previous one.
    ///   File:     the entries of `times` that are >= start and < stop.
    std::optional<std::uint64_t> next();

    /// Arrivals handed out so far.
    std::uint64_t produced() const { return produced_; }

private:
    /// Add without wrapping; the sum saturates (and is then >= any stop).
    static std::uint64_t add_sat(std::uint64_t a, std::uint64_t b);

    TrafficSpec spec_;
    std::mt19937_64 rng_;
    std::uint64_t produced_ = 0;
    std::uint64_t last_ = 0;          ///< previous arrival (cycles)
    std::uint32_t in_burst_ = 0;      ///< Burst: arrivals of the current burst so far
    std::size_t file_pos_ = 0;        ///< File: next entry of times
    bool exhausted_ = false;
};

}  // namespace pisim
