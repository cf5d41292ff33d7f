// platform/version.h - the pisim version, as `pisim --version` prints it and
// as every file pisim writes for replay records it.
#pragma once

namespace pisim {
inline constexpr const char* kVersion = "0.1.0";
}  // namespace pisim
