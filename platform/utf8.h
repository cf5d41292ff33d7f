// platform/utf8.h - text that pisim reads and writes is UTF-8. Scenario files
// are checked when loaded (an invalid byte is an input error at its line and
// column); JSON outputs are written so that no invalid byte can reach them.
#pragma once

#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

namespace pisim {

/// Offset of the first byte of `s` that does not begin a well-formed UTF-8
/// sequence (RFC 3629: no overlong forms, no surrogates, nothing above
/// U+10FFFF), or std::string::npos when all of `s` is valid.
std::size_t utf8_invalid_at(const std::string& s);

/// `s` with every ill-formed sequence replaced by U+FFFD.
std::string utf8_sanitized(const std::string& s);

/// JSON text of `j` (nlohmann's dump with `indent`); an invalid UTF-8 byte in
/// a string becomes U+FFFD instead of throwing type_error.316 after the run.
template <typename Json>
std::string json_text(const Json& j, int indent = -1) {
    return j.dump(indent, ' ', false, Json::error_handler_t::replace);
}

}  // namespace pisim
