#include "platform/scenario_text.h"

#include <algorithm>
#include <regex>
#include <sstream>

namespace pisim {

namespace {

// YAML 1.1's implicit resolvers for plain scalars, as the type repository
// defines them (yaml.org/type/{bool,int,float,null,timestamp,merge,value}.html).
const std::regex& yaml11_non_string() {
    static const std::regex re(
        // bool
        "y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF"
        // int: binary, octal, decimal, hex (all with '_'), sexagesimal
        "|[-+]?0b[01_]+|[-+]?0[0-7_]+|[-+]?(0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(:[0-5]?[0-9])+"
        // float: decimal, sexagesimal, infinity, not a number
        "|[-+]?([0-9][0-9_]*)?\\.[0-9.]*([eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\\.[0-9_]*"
        "|[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN)"
        // null
        "|~|null|Null|NULL|"
        // timestamp
        "|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(([Tt]|[ \\t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](\\.[0-9]*)?"
        "([ \\t]*(Z|[-+][0-9][0-9]?(:[0-9][0-9])?))?)?"
        // merge key, value key
        "|<<|=");
    return re;
}

const std::regex& same_in_both() {
    static const std::regex re("true|false|0|[1-9][0-9]*|0x[0-9a-fA-F]+");
    return re;
}

bool quote_scalar(const YAML::Node& n) { return n.Tag() == "!" || yaml11_misread(n.Scalar()); }

void emit(YAML::Emitter& e, const YAML::Node& n) {
    switch (n.Type()) {
        case YAML::NodeType::Undefined:
        case YAML::NodeType::Null: e << YAML::Null; return;
        case YAML::NodeType::Scalar:
            if (quote_scalar(n)) e << YAML::DoubleQuoted;
            e << n.Scalar();
            return;
        case YAML::NodeType::Sequence:
            if (n.Style() == YAML::EmitterStyle::Flow) e << YAML::Flow;
            e << YAML::BeginSeq;
            for (const auto& x : n) emit(e, x);
            e << YAML::EndSeq;
            return;
        case YAML::NodeType::Map:
            if (n.Style() == YAML::EmitterStyle::Flow) e << YAML::Flow;
            e << YAML::BeginMap;
            for (const auto& kv : n) {
                e << YAML::Key;
                emit(e, kv.first);
                e << YAML::Value;
                emit(e, kv.second);
            }
            e << YAML::EndMap;
            return;
    }
}

/// A double-quoted YAML scalar of `s`.
std::string double_quoted(const std::string& s) {
    YAML::Emitter e;
    e << YAML::DoubleQuoted << s;
    return e.c_str();
}

/// Where the scalar `n`, read from `text`, ends: its source starts at its
/// mark. std::nullopt when its source is not a one-line scalar there.
std::optional<std::size_t> scalar_end(const std::string& text, const YAML::Node& n) {
    const auto pos = static_cast<std::size_t>(n.Mark().pos);
    if (pos >= text.size()) return std::nullopt;
    const char q = text[pos];
    if (q == '"' || q == '\'') {
        for (std::size_t i = pos + 1; i < text.size() && text[i] != '\n'; ++i) {
            if (q == '"' && text[i] == '\\') {
                ++i;
                continue;
            }
            if (text[i] == q) {
                if (q == '\'' && i + 1 < text.size() && text[i + 1] == '\'') {
                    ++i;
                    continue;
                }
                return i + 1;
            }
        }
        return std::nullopt;
    }
    const std::string& s = n.Scalar();
    if (s.empty() || text.compare(pos, s.size(), s) != 0) return std::nullopt;
    return pos + s.size();
}

struct Edit {
    std::size_t begin, end;
    std::string with;
};

/// Plain scalars (keys and values) that YAML 1.1 would misread.
void collect_misread(const std::string& text, const YAML::Node& n, std::vector<Edit>& out) {
    if (n.IsScalar()) {
        if (n.Tag() == "?" && yaml11_misread(n.Scalar()))
            if (auto end = scalar_end(text, n)) out.push_back({static_cast<std::size_t>(n.Mark().pos), *end, double_quoted(n.Scalar())});
    } else if (n.IsSequence()) {
        for (const auto& x : n) collect_misread(text, x, out);
    } else if (n.IsMap()) {
        for (const auto& kv : n) {
            collect_misread(text, kv.first, out);
            collect_misread(text, kv.second, out);
        }
    }
}

/// Walk a dot path (keys, list indices) to a node; an undefined node when absent.
YAML::Node at_path(YAML::Node n, const std::string& path) {
    std::stringstream ss(path);
    std::string part;
    while (std::getline(ss, part, '.')) {
        if (n.IsSequence()) {
            std::size_t i = 0;
            try {
                i = std::stoul(part);
            } catch (const std::exception&) {
                return YAML::Node(YAML::NodeType::Undefined);
            }
            if (i >= n.size()) return YAML::Node(YAML::NodeType::Undefined);
            n.reset(n[i]);
        } else if (n.IsMap() && n[part]) {
            n.reset(n[part]);
        } else {
            return YAML::Node(YAML::NodeType::Undefined);
        }
    }
    return n;
}

bool starts_line_at_column0(const std::string& line) {
    return !line.empty() && line[0] != ' ' && line[0] != '\t' && line[0] != '#';
}

}  // namespace

bool yaml11_misread(const std::string& plain) {
    return std::regex_match(plain, yaml11_non_string()) && !std::regex_match(plain, same_in_both());
}

std::string yaml_text(const YAML::Node& doc) {
    YAML::Emitter e;
    emit(e, doc);
    return std::string(e.c_str()) + "\n";
}

std::optional<std::string> edited_point_text(const std::string& text, const YAML::Node& doc,
                                             const std::vector<std::pair<std::string, std::uint64_t>>& set) {
    if (!doc.IsMap() || doc.Style() == YAML::EmitterStyle::Flow) return std::nullopt;
    std::vector<Edit> edits;
    for (const auto& [path, value] : set) {
        const YAML::Node n = at_path(doc, path);
        if (!n.IsDefined() || !n.IsScalar()) return std::nullopt;
        const auto end = scalar_end(text, n);
        if (!end) return std::nullopt;
        edits.push_back({static_cast<std::size_t>(n.Mark().pos), *end, std::to_string(value)});
    }
    collect_misread(text, doc, edits);
    // An existing provenance mapping: from its key's line to the next line
    // that starts a top-level key (or the end).
    std::size_t prov_begin = std::string::npos, prov_end = std::string::npos;
    for (const auto& kv : doc)
        if (kv.first.IsScalar() && kv.first.Scalar() == "provenance") {
            prov_begin = static_cast<std::size_t>(kv.first.Mark().pos);
            if (prov_begin > text.size() || (prov_begin > 0 && text[prov_begin - 1] != '\n')) return std::nullopt;
            std::size_t p = text.find('\n', prov_begin);
            while (p != std::string::npos) {
                const std::size_t next = text.find('\n', p + 1);
                const std::string line = text.substr(p + 1, next == std::string::npos ? std::string::npos : next - p - 1);
                if (starts_line_at_column0(line)) break;
                p = next;
            }
            prov_end = p == std::string::npos ? text.size() : p + 1;
        }
    // Stable: a varied value (collected first) wins over a quoting of the same scalar.
    std::stable_sort(edits.begin(), edits.end(), [](const Edit& a, const Edit& b) { return a.begin > b.begin; });
    std::string out = text;
    std::size_t floor = std::string::npos;  // edits must not overlap
    for (const Edit& e : edits) {
        if (floor != std::string::npos && e.end > floor) continue;  // the same scalar twice: the first (a varied value) wins
        if (prov_begin != std::string::npos && e.begin >= prov_begin && e.begin < prov_end) continue;
        out.replace(e.begin, e.end - e.begin, e.with);
        floor = e.begin;
        if (prov_begin != std::string::npos && e.begin < prov_begin) {
            const std::size_t grow = e.with.size() - (e.end - e.begin);
            prov_begin += grow, prov_end += grow;
        }
    }
    if (prov_begin != std::string::npos) out.erase(prov_begin, prov_end - prov_begin);
    // The `# pisim` lines a writer put at the top of the file.
    std::size_t head = 0;
    while (out.compare(head, 7, "# pisim") == 0) {
        const std::size_t nl = out.find('\n', head);
        head = nl == std::string::npos ? out.size() : nl + 1;
    }
    out.erase(0, head);
    if (!out.empty() && out.back() != '\n') out += '\n';
    // Read back: the same document with the point's values.
    try {
        const YAML::Node again = YAML::Load(out);
        if (!again.IsMap() || again["provenance"]) return std::nullopt;
        for (const auto& [path, value] : set) {
            const YAML::Node n = at_path(again, path);
            if (!n.IsDefined() || !n.IsScalar() || n.Scalar() != std::to_string(value)) return std::nullopt;
        }
    } catch (const YAML::Exception&) {
        return std::nullopt;
    }
    return out;
}

}  // namespace pisim
