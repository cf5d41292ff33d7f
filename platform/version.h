// platform/version.h - the pisim version, as `pisim --version` prints it and
// as every file pisim writes for replay records it (a scenario's
// `provenance.pisim`, results.json, check reports, the trace header).
//
// The string is the CMake project version and, in a git checkout, `+` and
// `git describe --tags --always --dirty` of the source tree, both taken at
// every build (platform/version.cmake): the same checkout gives the same
// string, e.g. "0.1.0+451dba2c07e1" or "0.1.0+451dba2c07e1-dirty", and a
// commit or an edit shows at the next build without reconfiguring.
#pragma once

namespace pisim {
extern const char* const kVersion;
}  // namespace pisim
