// model/pcie/exponential.cpp - integer exponential gaps (see exponential.h).
#include "model/pcie/exponential.h"

#include <cassert>

namespace pisim {

namespace {
using u128 = unsigned __int128;

/// ln 2 in Q32.32: round(0.6931471805599453 * 2^32).
constexpr std::uint64_t kLn2Q32 = 0xB17217F8ull;
constexpr unsigned kFracBits = 32;
}  // namespace

std::uint64_t neg_log2_q32(std::uint64_t u) {
    assert(u != 0);
    // Integer part of log2 u: the position of the top set bit.
    const unsigned lz = static_cast<unsigned>(__builtin_clzll(u));
    const std::uint64_t int_part = 63u - lz;
    // Mantissa m = u / 2^int_part in [1, 2), held as Q1.63.
    std::uint64_t m = u << lz;
    std::uint64_t frac = 0;
    for (unsigned i = 0; i < kFracBits; ++i) {
        // m^2 in [1, 4) as Q2.126.
        const u128 sq = static_cast<u128>(m) * m;
        frac <<= 1;
        if (sq >> 127) {            // m^2 >= 2: this bit of log2 m is 1, m = m^2 / 2
            frac |= 1;
            m = static_cast<std::uint64_t>(sq >> 64);
        } else {                    // m^2 < 2: bit is 0, m = m^2
            m = static_cast<std::uint64_t>(sq >> 63);
        }
        assert(m >> 63);            // invariant: m stays in [1, 2)
    }
    const std::uint64_t log2_u = (int_part << kFracBits) | frac;
    return (std::uint64_t{64} << kFracBits) - log2_u;
}

std::uint64_t exponential_gap(std::mt19937_64& rng, std::uint64_t mean) {
    std::uint64_t u = rng();
    while (u == 0) u = rng();       // U in (0, 1]: redraw the single excluded value
    // -ln U = ln 2 * -log2 U, Q32.32 (at most 44.4 * 2^32 < 2^38).
    const u128 neg_ln = (static_cast<u128>(neg_log2_q32(u)) * kLn2Q32) >> kFracBits;
    // mean * -ln U, rounded to the nearest cycle (< 2^102: no overflow).
    const u128 gap = (static_cast<u128>(mean) * neg_ln + (u128{1} << (kFracBits - 1))) >> kFracBits;
    return gap > ~std::uint64_t{0} ? ~std::uint64_t{0} : static_cast<std::uint64_t>(gap);
}

}  // namespace pisim
