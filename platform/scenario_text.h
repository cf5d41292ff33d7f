// platform/scenario_text.h - scenario files as pisim writes them back: YAML
// that a YAML 1.1 reader (PyYAML, Ruby's Psych, libyaml-based tools) reads as
// pisim does, and, for a sweep point, the user's own text with its comments.
//
// pisim reads YAML 1.2 (yaml-cpp) and takes every string field as the
// scalar's text: `bdf: 01:00.0` is the string "01:00.0" here, but YAML 1.1's
// implicit types make it the sexagesimal float 60.0, `name: no` the boolean
// false, `name: 1_000` the integer 1000 (YAML 1.1 types, yaml.org/type/
// bool.html, int.html, float.html, null.html, timestamp.html). Such a scalar
// is written double-quoted, which every version reads as the string.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace pisim {

/// True when `plain`, written as a plain scalar, resolves under YAML 1.1 to
/// anything but a string (bool, int, float, null, timestamp, merge, value),
/// and is not one of the literals pisim itself reads the same way under 1.1
/// and 1.2: `true`, `false`, a decimal integer without sign or leading zero,
/// `0x` and hex digits.
bool yaml11_misread(const std::string& plain);

/// Emit a document as YAML text (ending in a newline), keeping each
/// collection's block or flow style; a scalar is double-quoted when it was
/// quoted where it was read (yaml-cpp tag "!") or yaml11_misread() says so.
std::string yaml_text(const YAML::Node& doc);

/// A sweep point as a standalone scenario, written as an edit of the scenario
/// file's `text` (whose parse is `doc`), so its comments and layout stay: each
/// assigned field's scalar replaced by the decimal value, every plain scalar
/// yaml11_misread() flags double-quoted, a top-level `provenance:` key and
/// the `# pisim` comment lines at the top of the file removed (the writer adds
/// its own). std::nullopt when the text cannot be edited in place (a varied
/// value written with an anchor, tag or over several lines, a flow-style top
/// level): then emit the tree with yaml_text(). The result is checked by
/// parsing it again and reading each assigned field back.
std::optional<std::string> edited_point_text(const std::string& text, const YAML::Node& doc,
                                             const std::vector<std::pair<std::string, std::uint64_t>>& set);

}  // namespace pisim
