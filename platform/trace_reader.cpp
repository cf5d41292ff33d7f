#include "platform/trace_reader.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "model/common/trace.h"
#include "platform/enum_names.h"
#include "platform/input_error.h"
#include "platform/input_file.h"

namespace pisim {

namespace {

using json = nlohmann::json;

[[noreturn]] void fail(const std::string& origin, const std::string& what) { throw InputError(origin, 0, 0, what); }

/// A JSON value as text for a message, cut after 40 characters.
std::string brief(const json& v) {
    std::string s = v.dump();
    return s.size() <= 40 ? s : s.substr(0, 37) + "...";
}

/// A value as the trace writes it: an unsigned integer, or "0x..." hex for 2^53 and up.
std::uint64_t value(const json& v, const std::string& origin, const std::string& where) {
    if (v.is_number_unsigned()) return v.get<std::uint64_t>();
    if (v.is_number_integer()) {
        const std::int64_t s = v.get<std::int64_t>();
        if (s >= 0) return static_cast<std::uint64_t>(s);
    }
    if (v.is_string()) {
        const std::string& s = v.get_ref<const std::string&>();
        if (s.size() > 2 && s.size() <= 18 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
            std::uint64_t x = 0;
            bool ok = true;
            for (std::size_t i = 2; i < s.size() && ok; ++i) {
                const char c = s[i];
                unsigned d;
                if (c >= '0' && c <= '9') d = static_cast<unsigned>(c - '0');
                else if (c >= 'a' && c <= 'f') d = static_cast<unsigned>(c - 'a' + 10);
                else if (c >= 'A' && c <= 'F') d = static_cast<unsigned>(c - 'A' + 10);
                else ok = false, d = 0;
                x = x << 4 | d;
            }
            if (ok) return x;
        }
    }
    fail(origin, where + ": expected an unsigned integer or a \"0x...\" hex string, got " + brief(v));
}

/// The JSON path of member `key` of the value at `where` ("" for the document).
std::string member(const std::string& where, const char* key) { return where.empty() ? key : where + "." + key; }

const json& field(const json& o, const char* key, const std::string& origin, const std::string& where) {
    if (!o.is_object()) fail(origin, (where.empty() ? std::string("the trace") : where) + ": expected an object");
    auto it = o.find(key);
    if (it == o.end()) fail(origin, member(where, key) + ": missing");
    return *it;
}

std::string string_field(const json& o, const char* key, const std::string& origin, const std::string& where) {
    const json& v = field(o, key, origin, where);
    if (!v.is_string()) fail(origin, member(where, key) + ": expected a string");
    return v.get<std::string>();
}

std::vector<TraceUnit> read_units(const json& units, const char* key, const std::string& origin) {
    std::vector<TraceUnit> out;
    auto it = units.find(key);
    if (it == units.end()) return out;
    const std::string where = std::string("units.") + key;
    if (!it->is_array()) fail(origin, where + ": expected an array");
    for (std::size_t i = 0; i < it->size(); ++i) {
        const std::string w = where + "[" + std::to_string(i) + "]";
        TraceUnit u;
        u.id = value(field((*it)[i], "id", origin, w), origin, w + ".id");
        u.name = string_field((*it)[i], "name", origin, w);
        for (const char* extra : {"apic_id", "domain", "pid"})  // the viewer reads them as values
            if ((*it)[i].contains(extra)) value((*it)[i][extra], origin, w + "." + extra);
        if ((*it)[i].contains("apic_id")) u.apic_id = value((*it)[i]["apic_id"], origin, w + ".apic_id");
        if ((*it)[i].contains("apic_mode")) {
            u.apic_mode = string_field((*it)[i], "apic_mode", origin, w);
            if (u.apic_mode != "xapic" && u.apic_mode != "x2apic") fail(origin, w + ".apic_mode: expected \"xapic\" or \"x2apic\"");
        }
        out.push_back(std::move(u));
    }
    return out;
}

}  // namespace

std::optional<std::uint32_t> Trace::kind_index(const std::string& name) const {
    for (std::size_t i = 0; i < kinds.size(); ++i)
        if (kinds[i].name == name) return static_cast<std::uint32_t>(i);
    return std::nullopt;
}

const std::vector<TraceUnit>* Trace::units(const std::string& unit) const {
    if (unit == "pcpu") return &pcpus;
    if (unit == "vcpu") return &vcpus;
    if (unit == "vtd") return &vtds;
    if (unit == "dev") return &devs;
    if (unit == "oracle") return &oracles;
    return nullptr;
}

const std::string* Trace::arg_name(const TraceEvent& e, std::size_t arg) const {
    if (e.kind >= kinds.size()) return nullptr;
    const TraceKind& k = kinds[e.kind];
    if (arg >= k.arg_enums.size() || k.arg_enums[arg].empty()) return nullptr;
    auto en = enums.find(k.arg_enums[arg]);
    if (en == enums.end()) return nullptr;
    auto v = en->second.find(e.args[arg]);
    return v == en->second.end() ? nullptr : &v->second;
}

std::optional<std::size_t> Trace::unit_position(const std::string& unit, std::uint64_t id) const {
    const std::vector<TraceUnit>* list = units(unit);
    if (!list) return std::nullopt;
    for (std::size_t i = 0; i < list->size(); ++i)
        if ((*list)[i].id == id) return i;
    return std::nullopt;
}

namespace {

/// Line and column (1-based) of the byte at 0-based offset `at`.
std::pair<int, int> line_column(const std::string& text, std::size_t at) {
    at = std::min(at, text.size());
    int line = 1;
    std::size_t line_start = 0;
    for (std::size_t i = 0; i < at; ++i)
        if (text[i] == '\n') ++line, line_start = i + 1;
    return {line, static_cast<int>(at - line_start) + 1};
}

json parse_json(const std::string& text, const std::string& origin) {
    try {
        return json::parse(text);
    } catch (const json::parse_error& e) {
        // e.byte is 1-based: the byte at which the parser gave up.
        const auto [line, column] = line_column(text, e.byte ? e.byte - 1 : 0);
        std::string what = e.what();
        if (const auto at = what.find("syntax error"); at != std::string::npos) what = what.substr(at);
        throw InputError(origin, line, column, "not a JSON document: " + what);
    } catch (const json::out_of_range& e) {
        // A number beyond a double (1e999): the parser names the literal, not
        // where it is; its first occurrence is.
        const std::string what = e.what();
        const auto open = what.find("parsing '"), close = what.rfind('\'');
        std::size_t at = std::string::npos;
        if (open != std::string::npos && close > open + 9) at = text.find(what.substr(open + 9, close - open - 9));
        const auto [line, column] = at == std::string::npos ? std::pair<int, int>{0, 0} : line_column(text, at);
        throw InputError(origin, line, column, "not a JSON document: a number too large for a double");
    }
}

/// An optional string field: absent, or a string.
std::string optional_string(const json& o, const char* key, const std::string& origin, const std::string& where) {
    auto it = o.find(key);
    if (it == o.end()) return {};
    if (!it->is_string()) fail(origin, member(where, key) + ": expected a string");
    return it->get<std::string>();
}

/// An optional value field (unsigned integer or "0x..." hex): absent, or a value.
std::optional<std::uint64_t> optional_value(const json& o, const char* key, const std::string& origin, const std::string& where) {
    auto it = o.find(key);
    if (it == o.end()) return std::nullopt;
    return value(*it, origin, member(where, key));
}

bool optional_bool(const json& o, const char* key, const std::string& origin, const std::string& where) {
    auto it = o.find(key);
    if (it == o.end()) return false;
    if (!it->is_boolean()) fail(origin, member(where, key) + ": expected true or false");
    return it->get<bool>();
}

/// An optional signed integer field (vCPU or vector, -1 for none).
std::int64_t optional_int(const json& o, const char* key, const std::string& origin, const std::string& where) {
    auto it = o.find(key);
    if (it == o.end() || it->is_null()) return -1;
    if (!it->is_number_integer()) fail(origin, member(where, key) + ": expected an integer");
    return it->get<std::int64_t>();
}

const json& array_field(const json& o, const char* key, const std::string& origin, const std::string& where) {
    const json& v = field(o, key, origin, where);
    if (!v.is_array()) fail(origin, member(where, key) + ": expected an array");
    return v;
}

void read_header(const json& doc, const std::string& origin, Trace& t) {
    if (string_field(doc, "format", origin, "") != "pisim-trace")
        fail(origin, "format: expected \"pisim-trace\" (write one with pisim run --trace FILE)");
    if (value(field(doc, "version", origin, ""), origin, "version") != 1) fail(origin, "version: only version 1 is supported");
    t.scenario = optional_string(doc, "scenario", origin, "");
    t.profile = optional_string(doc, "profile", origin, "");
    t.irq_mode = optional_string(doc, "irq_mode", origin, "");
    t.seed = optional_value(doc, "seed", origin, "").value_or(0);
    t.end_cycle = value(field(doc, "end_cycle", origin, ""), origin, "end_cycle");
    t.truncated = optional_bool(doc, "truncated", origin, "");
}

void read_kinds(const json& doc, const std::string& origin, Trace& t) {
    const json& kinds = array_field(doc, "kinds", origin, "");
    for (std::size_t i = 0; i < kinds.size(); ++i) {
        const std::string w = "kinds[" + std::to_string(i) + "]";
        TraceKind k;
        k.name = string_field(kinds[i], "name", origin, w);
        k.unit = string_field(kinds[i], "unit", origin, w);
        const json& args = field(kinds[i], "args", origin, w);
        if (!args.is_array() || args.size() > 6) fail(origin, w + ".args: expected an array of at most 6 names");
        for (std::size_t a = 0; a < args.size(); ++a) {
            if (!args[a].is_string()) fail(origin, w + ".args[" + std::to_string(a) + "]: expected a string");
            k.args.push_back(args[a].get<std::string>());
        }
        k.arg_enums.assign(k.args.size(), std::string());
        if (kinds[i].contains("enums")) {
            const json& en = kinds[i]["enums"];
            if (!en.is_object()) fail(origin, w + ".enums: expected an object of arg name -> enum name");
            for (auto it = en.begin(); it != en.end(); ++it) {
                auto a = std::find(k.args.begin(), k.args.end(), it.key());
                if (a == k.args.end()) fail(origin, w + ".enums." + it.key() + ": not an arg of the kind");
                if (!it.value().is_string()) fail(origin, w + ".enums." + it.key() + ": expected a string");
                k.arg_enums[static_cast<std::size_t>(a - k.args.begin())] = it.value().get<std::string>();
            }
        }
        t.kinds.push_back(std::move(k));
    }
}

/// "enums": {enum: {"<decimal value>": name}}; each kind's enums must name
/// one. A trace without it (written before it existed) gets pisim's tables
/// for the kinds pisim knows by name.
void read_enums(const json& doc, const std::string& origin, Trace& t) {
    if (!doc.contains("enums")) {
        for (TraceKind& k : t.kinds) {
            for (std::size_t kind = 0; kind < static_cast<std::size_t>(EventKind::Count); ++kind) {
                const EventKindInfo& info = event_kind_info(static_cast<EventKind>(kind));
                if (k.name != info.name) continue;
                for (std::size_t a = 0; a < k.args.size(); ++a) {
                    const auto e = kind_arg_enum(static_cast<EventKind>(kind), static_cast<int>(a));
                    if (!e || k.args[a] != info.args[a]) continue;
                    k.arg_enums[a] = trace_enum_name(*e);
                    auto& table = t.enums[k.arg_enums[a]];
                    for (const EnumValue& v : trace_enum_values(*e)) table[v.value] = v.name;
                }
            }
        }
        return;
    }
    const json& en = doc["enums"];
    if (!en.is_object()) fail(origin, "enums: expected an object of enum name -> {value: name}");
    for (auto it = en.begin(); it != en.end(); ++it) {
        const std::string w = "enums." + it.key();
        if (!it.value().is_object()) fail(origin, w + ": expected an object of decimal value -> name");
        auto& table = t.enums[it.key()];
        for (auto v = it.value().begin(); v != it.value().end(); ++v) {
            const std::string& key = v.key();
            const bool decimal = !key.empty() && key.size() <= 20 && (key == "0" || key[0] != '0') &&
                                 std::all_of(key.begin(), key.end(), [](char c) { return c >= '0' && c <= '9'; });
            if (!decimal || (key.size() == 20 && key > "18446744073709551615"))
                fail(origin, w + "." + key + ": expected a decimal value below 2^64 as the key");
            if (!v.value().is_string()) fail(origin, w + "." + key + ": expected a string");
            table[std::stoull(key)] = v.value().get<std::string>();
        }
    }
    for (std::size_t i = 0; i < t.kinds.size(); ++i)
        for (std::size_t a = 0; a < t.kinds[i].arg_enums.size(); ++a)
            if (!t.kinds[i].arg_enums[a].empty() && !t.enums.count(t.kinds[i].arg_enums[a]))
                fail(origin, "kinds[" + std::to_string(i) + "].enums." + t.kinds[i].args[a] + ": enum " +
                                 t.kinds[i].arg_enums[a] + " is not in enums");
}

void read_events(const json& doc, const std::string& origin, Trace& t) {
    const json& events = array_field(doc, "events", origin, "");
    t.events.reserve(events.size());
    for (std::size_t i = 0; i < events.size(); ++i) {
        const std::string w = "events[" + std::to_string(i) + "]";
        const json& e = events[i];
        if (!e.is_array() || e.size() < 4 || e.size() > 10)
            fail(origin, w + ": expected [cycle, kind, unit, tag, args...] with at most 6 args");
        TraceEvent ev;
        ev.cycle = value(e[0], origin, w + "[0] (cycle)");
        const std::uint64_t kind = value(e[1], origin, w + "[1] (kind)");
        if (kind >= t.kinds.size()) fail(origin, w + "[1]: kind " + std::to_string(kind) + " is not in kinds");
        ev.kind = static_cast<std::uint32_t>(kind);
        ev.unit = value(e[2], origin, w + "[2] (unit)");
        ev.tag = value(e[3], origin, w + "[3] (tag)");
        ev.nargs = static_cast<std::uint32_t>(e.size() - 4);
        for (std::uint32_t a = 0; a < ev.nargs; ++a) ev.args[a] = value(e[4 + a], origin, w + "[" + std::to_string(4 + a) + "]");
        if (!t.events.empty() && ev.cycle < t.events.back().cycle) ++t.out_of_order;
        t.events.push_back(ev);
    }
    // The exporters need time order; an event written after a later one keeps
    // its place among the events of its own cycle.
    if (t.out_of_order)
        std::stable_sort(t.events.begin(), t.events.end(), [](const TraceEvent& a, const TraceEvent& b) { return a.cycle < b.cycle; });
}

TraceInterrupt read_interrupt(const json& j, const std::string& origin, const std::string& w) {
    TraceInterrupt r;
    r.name = optional_string(j, "name", origin, w);
    r.tag = value(field(j, "tag", origin, w), origin, w + ".tag");
    r.device = optional_value(j, "device", origin, w).value_or(0);
    r.vcpu = optional_int(j, "vcpu", origin, w);
    r.vector = optional_int(j, "vector", origin, w);
    r.delivered = optional_bool(j, "delivered", origin, w);
    r.latency = optional_value(j, "latency", origin, w).value_or(0);
    optional_value(j, "fault_reason", origin, w);
    auto steps = j.find("steps");
    if (steps == j.end()) return r;
    if (!steps->is_array()) fail(origin, w + ".steps: expected an array");
    for (std::size_t s = 0; s < steps->size(); ++s) {
        const std::string ws = w + ".steps[" + std::to_string(s) + "]";
        TraceStep st;
        st.name = string_field((*steps)[s], "name", origin, ws);
        st.cycle = value(field((*steps)[s], "cycle", origin, ws), origin, ws + ".cycle");
        r.steps.push_back(std::move(st));
    }
    return r;
}

void read_interrupts(const json& doc, const std::string& origin, Trace& t) {
    if (!doc.contains("interrupts")) return;
    const json& irqs = array_field(doc, "interrupts", origin, "");
    for (std::size_t i = 0; i < irqs.size(); ++i)
        t.interrupts.push_back(read_interrupt(irqs[i], origin, "interrupts[" + std::to_string(i) + "]"));
}

/// Violations are not exported, but the viewer shows them: check them here so
/// every command accepts and refuses the same traces.
void check_violations(const json& doc, const std::string& origin, const Trace& t) {
    if (!doc.contains("violations")) return;
    const json& vs = array_field(doc, "violations", origin, "");
    for (std::size_t i = 0; i < vs.size(); ++i) {
        const std::string w = "violations[" + std::to_string(i) + "]";
        value(field(vs[i], "cycle", origin, w), origin, w + ".cycle");
        (void)optional_value(vs[i], "detected_cycle", origin, w);
        (void)string_field(vs[i], "oracle", origin, w);
        (void)optional_string(vs[i], "message", origin, w);
        (void)optional_int(vs[i], "vcpu", origin, w);
        if (const auto e = optional_value(vs[i], "event", origin, w); e && *e >= t.events.size())
            fail(origin, w + ".event: " + std::to_string(*e) + " is not an event of the trace");
    }
}

}  // namespace

Trace parse_trace(const std::string& text, const std::string& origin) {
    const json doc = parse_json(text, origin);
    if (!doc.is_object()) fail(origin, "expected a JSON object (a pisim trace)");
    Trace t;
    read_header(doc, origin, t);
    const json& units = field(doc, "units", origin, "");
    if (!units.is_object()) fail(origin, "units: expected an object");
    t.pcpus = read_units(units, "pcpu", origin);
    t.vcpus = read_units(units, "vcpu", origin);
    t.vtds = read_units(units, "vtd", origin);
    t.devs = read_units(units, "dev", origin);
    t.oracles = read_units(units, "oracle", origin);
    read_kinds(doc, origin, t);
    read_enums(doc, origin, t);
    read_events(doc, origin, t);
    read_interrupts(doc, origin, t);
    check_violations(doc, origin, t);
    return t;
}

Trace read_trace_file(const std::string& path, std::uint64_t max_bytes) {
    return parse_trace(read_input_file(path, max_bytes, "trace"), path);
}

}  // namespace pisim
