// platform/yaml_util.h - reading YAML input with errors that name file, line,
// column and what was expected (yaml-cpp marks, 0-based, reported 1-based).
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "platform/input_error.h"

namespace pisim {

/// A YAML node with the file it came from, for error messages.
class YamlReader {
public:
    explicit YamlReader(std::string file) : file_(std::move(file)) {}
    const std::string& file() const { return file_; }

    /// Parse a whole file (read_input_file: a regular file within
    /// InputCaps::yaml_bytes); syntax errors become InputError, and so do what
    /// yaml-cpp would take silently: invalid UTF-8 (at its line and column), a
    /// second YAML document, a key given twice in one mapping (at the second).
    YAML::Node load_file() const;

    [[noreturn]] void fail(const YAML::Node& at, const std::string& what) const;
    [[noreturn]] void fail(const YAML::Mark& at, const std::string& what) const;

    /// Node must be a mapping whose keys are all in `known`; an unknown key
    /// fails with a "did you mean" hint.
    void expect_map(const YAML::Node& n, const std::string& what,
                    std::initializer_list<const char*> known) const;
    void expect_seq(const YAML::Node& n, const std::string& what) const;

    /// Scalars with range checks. `what` names the field in the message.
    /// Integers are strict: decimal digits without a sign or leading zero
    /// ("010" is an error, never octal 8). u64_hex also takes 0x followed by
    /// 1-16 hex digits, for values written in hex by nature (vectors,
    /// addresses, MSI data, register bits, fault reason codes).
    std::uint64_t u64(const YAML::Node& n, const std::string& what,
                      std::uint64_t min = 0, std::uint64_t max = UINT64_MAX) const;
    std::uint64_t u64_hex(const YAML::Node& n, const std::string& what,
                          std::uint64_t min = 0, std::uint64_t max = UINT64_MAX) const;
    bool boolean(const YAML::Node& n, const std::string& what) const;
    std::string str(const YAML::Node& n, const std::string& what) const;
    /// One of `choices`.
    std::string choice(const YAML::Node& n, const std::string& what,
                       std::initializer_list<const char*> choices) const;
    std::string choice(const YAML::Node& n, const std::string& what,
                       const std::vector<std::string>& choices) const;

private:
    void check_text(const std::string& text) const;
    void check_unique_keys(const YAML::Node& root) const;
    std::uint64_t integer(const YAML::Node& n, const std::string& what, std::uint64_t min,
                          std::uint64_t max, bool hex) const;
    std::string file_;
};

/// The closest of `candidates` to `word` by edit distance, or "" if none is
/// close (distance more than a third of the word).
std::string closest_word(const std::string& word, std::initializer_list<const char*> candidates);
std::string closest_word(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace pisim
