// platform/strict_int.h - integers from the command line and other text
// inputs, read strictly: decimal digits only (no sign, no leading zero, no
// spaces or trailing characters) and within 64 bits, never wrapped or
// clamped (strtoull takes "-1" as 2^64-1 and an overflow as 2^64-1).
#pragma once

#include <cstdint>
#include <string>

namespace pisim {

/// `s` as a decimal integer; false unless it is one that fits in 64 bits.
inline bool parse_u64_strict(const std::string& s, std::uint64_t& out) {
    if (s.empty() || s.size() > 20) return false;
    if (s.size() > 1 && s[0] == '0') return false;
    std::uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
        const std::uint64_t d = static_cast<std::uint64_t>(c - '0');
        if (v > (UINT64_MAX - d) / 10) return false;
        v = v * 10 + d;
    }
    out = v;
    return true;
}

/// "K/N" as two strict decimal integers; false on anything else.
inline bool parse_fraction_strict(const std::string& s, std::uint64_t& k, std::uint64_t& n) {
    const auto slash = s.find('/');
    return slash != std::string::npos && parse_u64_strict(s.substr(0, slash), k) &&
           parse_u64_strict(s.substr(slash + 1), n);
}

}  // namespace pisim
