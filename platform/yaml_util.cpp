#include "platform/yaml_util.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>
#include <tuple>
#include <vector>

#include <yaml-cpp/eventhandler.h>

#include "platform/input_file.h"
#include "platform/utf8.h"

namespace pisim {

namespace {

/// Sees only where each document starts. yaml-cpp 0.7's SingleDocParser
/// answers a token that cannot start a node (a ',' outside a flow collection)
/// with a null node without consuming the token, so the next document starts
/// at the same place, and YAML::LoadAll collects null documents until memory
/// runs out (yaml-cpp issue #1040, fixed upstream by pull request #1319).
/// Counting documents here and stopping at the second keeps every load finite.
class DocumentStarts final : public YAML::EventHandler {
public:
    std::vector<YAML::Mark> starts;  ///< each document's start (its '---' if any)
    std::vector<YAML::Mark> roots;   ///< each document's root node
    void OnDocumentStart(const YAML::Mark& m) override { starts.push_back(m); }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark& m, YAML::anchor_t) override { node(m); }
    void OnAlias(const YAML::Mark& m, YAML::anchor_t) override { node(m); }
    void OnScalar(const YAML::Mark& m, const std::string&, YAML::anchor_t, const std::string&) override { node(m); }
    void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override { node(m); }
    void OnSequenceEnd() override {}
    void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override { node(m); }
    void OnMapEnd() override {}

private:
    void node(const YAML::Mark& m) {
        if (roots.size() < starts.size()) roots.push_back(m);
    }
};

}  // namespace

YAML::Node YamlReader::load_file() const {
    const std::string text = read_input_file(file_, InputCaps::yaml_bytes, "YAML");
    check_text(text);
    YAML::Node doc;
    try {
        // Pass 1: where the first two documents start (at most two documents
        // are parsed, whatever the file holds).
        std::istringstream in(text);
        YAML::Parser parser(in);
        DocumentStarts seen;
        while (seen.starts.size() < 2 && parser.HandleNextDocument(seen)) {}
        if (seen.starts.size() == 2) {
            const YAML::Mark& second = seen.starts[1];
            if (second.pos == seen.starts[0].pos) {
                // No token was consumed: the first one cannot start a node.
                const std::size_t at = static_cast<std::size_t>(second.pos);
                const std::string what = at < text.size() ? std::string(1, text[at]) : std::string("end of file");
                fail(second, "YAML syntax: '" + what + "' cannot start a value here");
            }
            fail(seen.roots.size() == 2 ? seen.roots[1] : second, "a second YAML document starts here (after '---' or '...'); the file must hold exactly one");
        }
        if (seen.starts.empty()) return YAML::Node();
        // Pass 2: the one document, as a node tree.
        doc = YAML::Load(text);
    } catch (const InputError&) {
        throw;
    } catch (const YAML::Exception& e) {
        if (e.mark.is_null()) throw InputError(file_, 0, 0, "YAML: " + e.msg);
        throw InputError(file_, e.mark.line + 1, e.mark.column + 1,
                         "YAML syntax: " + e.msg);
    }
    check_unique_keys(doc);
    return doc;
}

void YamlReader::check_text(const std::string& text) const {
    std::size_t bad = utf8_invalid_at(text);
    // YAML 1.2 5.1: a stream holds printable characters only; of the ASCII
    // controls, tab, line feed and carriage return. yaml-cpp does not stop on
    // the others (a NUL in a comment made it run for minutes).
    bool control = false;
    for (std::size_t i = 0; i < text.size() && i < bad; ++i) {
        const unsigned char c = static_cast<unsigned char>(text[i]);
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F) {
            bad = i, control = true;
            break;
        }
    }
    if (bad == std::string::npos) return;
    int line = 1, column = 1;
    for (std::size_t i = 0; i < bad; ++i) {
        if (text[i] == '\n') ++line, column = 1;
        else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++column;  // count characters
    }
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02X", static_cast<unsigned char>(text[bad]));
    if (control)
        throw InputError(file_, line, column,
                         std::string("control character ") + hex + ": a YAML file holds printable characters only");
    throw InputError(file_, line, column,
                     std::string("invalid UTF-8 (byte ") + hex + "): the file must be UTF-8 text");
}

void YamlReader::check_unique_keys(const YAML::Node& root) const {
    // yaml-cpp keeps every pair of a mapping and answers a lookup with the
    // first: a key given twice would silently lose its second value. Nodes
    // reached again through an alias are walked once (by their mark).
    std::set<std::tuple<int, int, int>> seen;
    std::vector<std::pair<YAML::Node, int>> stack{{root, 0}};
    while (!stack.empty()) {
        const YAML::Node n = stack.back().first;
        const int depth = stack.back().second;
        stack.pop_back();
        if (!n.IsMap() && !n.IsSequence()) continue;
        const YAML::Mark m = n.Mark();
        if (!seen.emplace(m.pos, m.line, m.column).second) continue;
        if (depth > 512) fail(n, "nested more than 512 levels deep");
        if (n.IsSequence()) {
            for (const auto& c : n) stack.emplace_back(c, depth + 1);
            continue;
        }
        std::map<std::string, YAML::Mark> keys;
        for (const auto& kv : n) {
            if (kv.first.IsScalar()) {
                auto [it, fresh] = keys.emplace(kv.first.Scalar(), kv.first.Mark());
                if (!fresh)
                    fail(kv.first, "duplicate key '" + kv.first.Scalar() + "' (first given on line " +
                                       std::to_string(it->second.line + 1) + "); a key appears once in a mapping");
            }
            stack.emplace_back(kv.first, depth + 1);
            stack.emplace_back(kv.second, depth + 1);
        }
    }
}

void YamlReader::fail(const YAML::Mark& m, const std::string& what) const {
    if (m.is_null()) throw InputError(file_, 0, 0, what);
    throw InputError(file_, m.line + 1, m.column + 1, what);
}

void YamlReader::fail(const YAML::Node& at, const std::string& what) const {
    fail(at.Mark(), what);
}

static std::string kind_name(const YAML::Node& n) {
    switch (n.Type()) {
        case YAML::NodeType::Null: return "nothing";
        case YAML::NodeType::Scalar: return "'" + n.Scalar() + "'";
        case YAML::NodeType::Sequence: return "a list";
        case YAML::NodeType::Map: return "a mapping";
        default: return "an undefined node";
    }
}

void YamlReader::expect_map(const YAML::Node& n, const std::string& what,
                            std::initializer_list<const char*> known) const {
    if (!n.IsMap()) fail(n, "expected " + what + " (a mapping), got " + kind_name(n));
    for (const auto& kv : n) {
        const std::string key = kv.first.Scalar();
        bool ok = false;
        for (const char* k : known) ok = ok || key == k;
        if (ok) continue;
        std::string hint = closest_word(key, known);
        std::string list;
        for (const char* k : known) list += (list.empty() ? "" : ", ") + std::string(k);
        fail(kv.first, "unknown key '" + key + "' in " + what +
                           (hint.empty() ? "" : " (did you mean '" + hint + "'?)") +
                           "; expected one of: " + list);
    }
}

void YamlReader::expect_seq(const YAML::Node& n, const std::string& what) const {
    if (!n.IsSequence()) fail(n, "expected " + what + " (a list), got " + kind_name(n));
}

std::uint64_t YamlReader::u64(const YAML::Node& n, const std::string& what, std::uint64_t min,
                              std::uint64_t max) const {
    return integer(n, what, min, max, false);
}

std::uint64_t YamlReader::u64_hex(const YAML::Node& n, const std::string& what, std::uint64_t min,
                                  std::uint64_t max) const {
    return integer(n, what, min, max, true);
}

std::uint64_t YamlReader::integer(const YAML::Node& n, const std::string& what, std::uint64_t min,
                                  std::uint64_t max, bool hex) const {
    const char* form = hex ? "decimal or 0x hex" : "decimal";
    if (!n.IsScalar())
        fail(n, "expected " + what + " (an integer, " + form + "), got " + kind_name(n));
    const std::string s = n.Scalar();
    if (!s.empty() && (s[0] == '-' || s[0] == '+'))
        fail(n, "expected " + what + " (a non-negative integer), got '" + s + "'");
    const bool is_hex = s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
    const std::string digits = is_hex ? s.substr(2) : s;
    const char* set = is_hex ? "0123456789abcdefABCDEF" : "0123456789";
    if (digits.empty() || digits.find_first_not_of(set) != std::string::npos)
        fail(n, "expected " + what + " (an integer, " + form + "), got '" + s + "'");
    if (is_hex && !hex)
        fail(n, "expected " + what + " as a decimal integer, got '" + s + "' (hex is taken only for vectors, "
                "addresses, MSI data and bit masks)");
    if (!is_hex && digits.size() > 1 && digits[0] == '0')
        fail(n, "expected " + what + " without a leading zero, got '" + s + "' (octal is not taken; write " +
                    std::to_string(std::strtoull(digits.c_str(), nullptr, 10)) + (hex ? " or 0x..." : "") + ")");
    errno = 0;
    const unsigned long long v = std::strtoull(digits.c_str(), nullptr, is_hex ? 16 : 10);
    if (errno == ERANGE)
        fail(n, "expected " + what + " to fit in 64 bits, got '" + s + "'");
    if (v < min || v > max) {
        auto show = [&](std::uint64_t x) {
            char buf[24];
            std::snprintf(buf, sizeof buf, "%#llx", static_cast<unsigned long long>(x));
            return is_hex ? std::string(buf) : std::to_string(x);
        };
        fail(n, "expected " + what + " in " + show(min) + ".." + show(max) + ", got " + s);
    }
    return v;
}

bool YamlReader::boolean(const YAML::Node& n, const std::string& what) const {
    if (n.IsScalar()) {
        const std::string& s = n.Scalar();
        if (s == "true") return true;
        if (s == "false") return false;
    }
    fail(n, "expected " + what + " (true or false), got " + kind_name(n));
}

std::string YamlReader::str(const YAML::Node& n, const std::string& what) const {
    if (!n.IsScalar()) fail(n, "expected " + what + " (a string), got " + kind_name(n));
    return n.Scalar();
}

std::string YamlReader::choice(const YAML::Node& n, const std::string& what,
                               std::initializer_list<const char*> choices) const {
    return choice(n, what, std::vector<std::string>(choices.begin(), choices.end()));
}

std::string YamlReader::choice(const YAML::Node& n, const std::string& what,
                               const std::vector<std::string>& choices) const {
    std::string s = str(n, what);
    std::string list;
    for (const std::string& c : choices) {
        if (s == c) return s;
        list += (list.empty() ? "" : ", ") + c;
    }
    std::string hint = closest_word(s, choices);
    fail(n, "expected " + what + " to be one of " + list + ", got '" + s + "'" +
                (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
}

static std::size_t edit_distance(const std::string& a, const std::string& b) {
    std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j)
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1,
                               prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

std::string closest_word(const std::string& word, const std::vector<std::string>& candidates) {
    std::string best;
    std::size_t best_d = SIZE_MAX;
    for (const std::string& c : candidates) {
        std::size_t d = edit_distance(word, c);
        if (d < best_d) best_d = d, best = c;
    }
    if (best_d == 0 || best_d > std::max<std::size_t>(2, word.size() / 3)) return "";
    return best;
}

std::string closest_word(const std::string& word, std::initializer_list<const char*> candidates) {
    return closest_word(word, std::vector<std::string>(candidates.begin(), candidates.end()));
}

}  // namespace pisim
