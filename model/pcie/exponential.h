// model/pcie/exponential.h - exponentially distributed gaps in integer
// arithmetic, for Poisson packet arrivals (the same on every host: no
// floating point, no std::*_distribution).
//
// Method (inverse CDF): a gap with mean M is G = -M * ln(U), U uniform on
// (0, 1]. U is a 64-bit draw u / 2^64 (u != 0). -ln(U) = ln 2 * (64 - log2 u);
// log2 u is computed exactly to 32 fractional bits by the shift-and-square
// method (integer part = position of the top set bit; each fractional bit is
// the integer part of the squared mantissa), so everything is integer
// arithmetic on 64/128-bit words and the result is the same on every host.
#pragma once

#include <cstdint>
#include <random>

namespace pisim {

/// -log2(u / 2^64) for u in [1, 2^64-1], as a Q32.32 fixed-point number
/// (range (0, 64 * 2^32]); fractional bits are truncated (error < 2^-32 per
/// squaring step, 32 steps). Precondition: u != 0.
std::uint64_t neg_log2_q32(std::uint64_t u);

/// One exponential gap in cycles with mean `mean` cycles, from `rng`: one
/// draw (two when the first is 0), rounded to the nearest cycle (gap 0 is
/// possible: packets in the same cycle). Saturates at 2^64-1.
std::uint64_t exponential_gap(std::mt19937_64& rng, std::uint64_t mean);

}  // namespace pisim
