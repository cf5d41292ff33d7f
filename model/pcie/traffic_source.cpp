// model/pcie/traffic_source.cpp - packet arrival times of one receive queue.
#include "model/pcie/traffic_source.h"

#include <cassert>
#include <stdexcept>

#include "model/pcie/exponential.h"

namespace pisim {

using Kind = TrafficSpec::Kind;

TrafficSource::TrafficSource(const TrafficSpec& spec, std::uint64_t seed)
    : spec_(spec), rng_(seed) {
    switch (spec_.kind) {
    case Kind::None:
        break;
    case Kind::Constant:
    case Kind::Poisson:
        if (spec_.interval == 0)
            throw std::invalid_argument("traffic: Constant/Poisson interval must be > 0 cycles");
        break;
    case Kind::Burst:
        if (spec_.burst_len == 0)
            throw std::invalid_argument("traffic: Burst burst_len must be >= 1");
        if (spec_.interval == 0 && spec_.burst_gap == 0)
            throw std::invalid_argument("traffic: Burst needs interval > 0 or burst_gap > 0");
        break;
    case Kind::File:
        for (std::size_t i = 1; i < spec_.times.size(); ++i)
            if (spec_.times[i] < spec_.times[i - 1])
                throw std::invalid_argument("traffic: File arrival times must be ascending");
        break;
    }
    exhausted_ = spec_.kind == Kind::None || spec_.count == 0;
}

std::uint64_t TrafficSource::add_sat(std::uint64_t a, std::uint64_t b) {
    const std::uint64_t s = a + b;
    return s < a ? ~std::uint64_t{0} : s;
}

std::optional<std::uint64_t> TrafficSource::next() {
    if (exhausted_) return std::nullopt;
    std::uint64_t t = 0;
    const bool first = produced_ == 0;
    switch (spec_.kind) {
    case Kind::None:
        assert(false && "exhausted at construction");
        return std::nullopt;
    case Kind::Constant:
        t = first ? spec_.start : add_sat(last_, spec_.interval);
        break;
    case Kind::Poisson:
        t = add_sat(first ? spec_.start : last_, exponential_gap(rng_, spec_.interval));
        break;
    case Kind::Burst:
        if (first) {
            t = spec_.start;
            in_burst_ = 0;
        } else if (in_burst_ == spec_.burst_len) {
            t = add_sat(last_, spec_.burst_gap);   // next burst
            in_burst_ = 0;
        } else {
            t = add_sat(last_, spec_.interval);    // inside the burst
        }
        ++in_burst_;
        break;
    case Kind::File:
        while (file_pos_ < spec_.times.size() && spec_.times[file_pos_] < spec_.start) ++file_pos_;
        if (file_pos_ == spec_.times.size()) {
            exhausted_ = true;
            return std::nullopt;
        }
        t = spec_.times[file_pos_++];
        break;
    }
    if (t >= spec_.stop) {   // also catches a saturated sum (stop <= 2^64-1)
        exhausted_ = true;
        return std::nullopt;
    }
    assert(first || t >= last_);
    last_ = t;
    ++produced_;
    if (produced_ >= spec_.count) exhausted_ = true;
    return t;
}

}  // namespace pisim
