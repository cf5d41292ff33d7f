// model/common/cycle_math.h - sums of cycle counts that cannot wrap.
//
// Cycles are 64-bit unsigned integers; a sum of a time and a scenario's
// bound or cost must never wrap to a small number (a deadline near 2^64 that
// wraps fires at once). Two rules:
//   - sat_add where the sum is a deadline and "beyond 2^64-1" means never:
//     it saturates at UINT64_MAX, which no time reaches;
//   - checked_add where a wrap can only be a bug (the loader bounds what goes
//     in): it stops the simulation with an invariant failure.
#pragma once

#include <cstdint>

#include "model/common/invariant.h"

namespace pisim {

/// a + b, or UINT64_MAX when the sum does not fit ("never").
constexpr std::uint64_t sat_add(std::uint64_t a, std::uint64_t b) {
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/// a + b; an invariant failure (abort, naming the caller's room) when the sum
/// does not fit.
#define PISIM_CHECKED_ADD(room, a, b)                                                    \
    ([](std::uint64_t x_, std::uint64_t y_) {                                            \
        PISIM_INVARIANT(room, x_ <= UINT64_MAX - y_ && "cycle sum overflows 64 bits");   \
        return x_ + y_;                                                                  \
    }((a), (b)))

}  // namespace pisim
