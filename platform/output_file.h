// platform/output_file.h - outputs are written atomically: to a temporary file
// in the same directory, then renamed, so a failed or interrupted run never
// leaves a partial file behind.
#pragma once

#include <string>

namespace pisim {

/// Write `content` to `path` atomically; throws std::runtime_error naming the
/// path and the system error.
void write_file_atomic(const std::string& path, const std::string& content);

}  // namespace pisim
