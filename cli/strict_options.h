// cli/strict_options.h - every numeric option of the pisim command is read
// strictly (platform/strict_int.h): CLI11's own conversion takes "-1" as
// 2^64-1, an overflowing value as 2^64-1 and "010" as octal 8.
#pragma once

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdint>
#include <string>

#include "platform/strict_int.h"

namespace pisim::cli {

constexpr std::uint64_t kMaxSeconds = 1000000000;  ///< explore --budget (about 31 years)
constexpr std::uint64_t kMaxPoints = 10000000;     ///< sweep --random (as a --vary grid)
constexpr std::uint64_t kMaxJobs = 4096;           ///< -j (0: one per core)

/// A decimal integer in [min, max]: no sign, no leading zero, nothing after
/// the digits. CLI11 reports a mismatch as "--OPTION: ..." (exit 2).
inline CLI::Validator integer_in(std::uint64_t min, std::uint64_t max) {
    return CLI::Validator(
        [min, max](std::string& s) -> std::string {
            std::uint64_t v = 0;
            if (!pisim::parse_u64_strict(s, v))
                return fmt::format("expected a decimal integer {}..{} (no sign, no leading zero), got '{}'", min, max, s);
            if (v < min || v > max) return fmt::format("expected {}..{}, got {}", min, max, s);
            return "";
        },
        fmt::format("UINT:{}..{}", min, max));
}

/// Only decimal digits (no sign, no leading zero, nothing after the digits)
/// fitting in 64 bits; the option's own type and range checks still apply.
inline CLI::Validator strict_integer() {
    return CLI::Validator(
        [](std::string& s) -> std::string {
            std::uint64_t v = 0;
            if (!pisim::parse_u64_strict(s, v))
                return fmt::format("expected a decimal integer (digits only: no sign, no leading zero, at most "
                                   "18446744073709551615), got '{}'", s);
            return "";
        },
        "");
}

/// Give every integer option of `app` and of its subcommands, at any depth,
/// the strict_integer check (CLI11 names them by their type: UINT, INT).
inline void make_integers_strict(CLI::App& app) {
    for (CLI::Option* o : app.get_options()) {
        const std::string t = o->get_type_name();
        if (t.rfind("UINT", 0) == 0 || t.rfind("INT", 0) == 0) o->check(strict_integer());
    }
    for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) make_integers_strict(*sub);
}

}  // namespace pisim::cli
