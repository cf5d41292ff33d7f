// platform/input_file.h - read a user's input file (scenario, trace) whole,
// after checking its size against a cap with stat(2): a file larger than the
// cap is refused before any of it is read, so a huge or endless input (a FIFO,
// /dev/zero, a multi-gigabyte file) cannot exhaust memory.
#pragma once

#include <cstdint>
#include <string>

namespace pisim {

/// Caps on input files, in bytes (README "Input limits").
struct InputCaps {
    static constexpr std::uint64_t yaml_bytes = 16ull << 20;      ///< 16 MiB: scenarios, profiles, baselines
    static constexpr std::uint64_t trace_bytes = 256ull << 20;    ///< 256 MiB, `--max-size` raises it
};

/// Throws InputError (naming `path`) when the file cannot be stat'ed, is not a
/// regular file, or holds more than `max_bytes` bytes; `what` names the input
/// ("scenario", "trace") in the message.
void check_input_size(const std::string& path, std::uint64_t max_bytes, const char* what);

/// check_input_size, then the whole file.
std::string read_input_file(const std::string& path, std::uint64_t max_bytes, const char* what);

}  // namespace pisim
