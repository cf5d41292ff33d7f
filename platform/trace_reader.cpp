#include "platform/trace_reader.h"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "platform/input_error.h"

namespace pisim {

namespace {

using json = nlohmann::json;

[[noreturn]] void fail(const std::string& origin, const std::string& what) { throw InputError(origin, 0, 0, what); }

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
    fail(origin, where + ": expected an unsigned integer or a \"0x...\" hex string, got " + v.dump());
}

const json& field(const json& o, const char* key, const std::string& origin, const std::string& where) {
    if (!o.is_object()) fail(origin, where + ": expected an object");
    auto it = o.find(key);
    if (it == o.end()) fail(origin, where + ": missing field \"" + key + "\"");
    return *it;
}

std::string string_field(const json& o, const char* key, const std::string& origin, const std::string& where) {
    const json& v = field(o, key, origin, where);
    if (!v.is_string()) fail(origin, where + "." + key + ": expected a string");
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
    return nullptr;
}

std::optional<std::size_t> Trace::unit_position(const std::string& unit, std::uint64_t id) const {
    const std::vector<TraceUnit>* list = units(unit);
    if (!list) return std::nullopt;
    for (std::size_t i = 0; i < list->size(); ++i)
        if ((*list)[i].id == id) return i;
    return std::nullopt;
}

Trace parse_trace(const std::string& text, const std::string& origin) {
    json doc;
    try {
        doc = json::parse(text);
    } catch (const json::parse_error& e) {
        fail(origin, std::string("not a JSON document: ") + e.what());
    }
    if (!doc.is_object()) fail(origin, "expected a JSON object (a pisim trace)");
    if (string_field(doc, "format", origin, "trace") != "pisim-trace")
        fail(origin, "format: expected \"pisim-trace\" (write one with pisim run --trace FILE)");
    if (value(field(doc, "version", origin, "trace"), origin, "version") != 1) fail(origin, "version: only version 1 is supported");

    Trace t;
    if (doc.contains("scenario") && doc["scenario"].is_string()) t.scenario = doc["scenario"].get<std::string>();
    if (doc.contains("profile") && doc["profile"].is_string()) t.profile = doc["profile"].get<std::string>();
    if (doc.contains("irq_mode") && doc["irq_mode"].is_string()) t.irq_mode = doc["irq_mode"].get<std::string>();
    if (doc.contains("seed")) t.seed = value(doc["seed"], origin, "seed");
    t.end_cycle = value(field(doc, "end_cycle", origin, "trace"), origin, "end_cycle");
    if (doc.contains("truncated") && doc["truncated"].is_boolean()) t.truncated = doc["truncated"].get<bool>();

    const json& units = field(doc, "units", origin, "trace");
    if (!units.is_object()) fail(origin, "units: expected an object");
    t.pcpus = read_units(units, "pcpu", origin);
    t.vcpus = read_units(units, "vcpu", origin);
    t.vtds = read_units(units, "vtd", origin);
    t.devs = read_units(units, "dev", origin);

    const json& kinds = field(doc, "kinds", origin, "trace");
    if (!kinds.is_array()) fail(origin, "kinds: expected an array");
    for (std::size_t i = 0; i < kinds.size(); ++i) {
        const std::string w = "kinds[" + std::to_string(i) + "]";
        TraceKind k;
        k.name = string_field(kinds[i], "name", origin, w);
        k.unit = string_field(kinds[i], "unit", origin, w);
        const json& args = field(kinds[i], "args", origin, w);
        if (!args.is_array() || args.size() > 6) fail(origin, w + ".args: expected an array of at most 6 names");
        for (const json& a : args) {
            if (!a.is_string()) fail(origin, w + ".args: expected strings");
            k.args.push_back(a.get<std::string>());
        }
        t.kinds.push_back(std::move(k));
    }

    const json& events = field(doc, "events", origin, "trace");
    if (!events.is_array()) fail(origin, "events: expected an array");
    t.events.reserve(events.size());
    for (std::size_t i = 0; i < events.size(); ++i) {
        const std::string w = "events[" + std::to_string(i) + "]";
        const json& e = events[i];
        if (!e.is_array() || e.size() < 4 || e.size() > 10)
            fail(origin, w + ": expected [cycle, kind, unit, tag, args...] with at most 6 args");
        TraceEvent ev;
        ev.cycle = value(e[0], origin, w + "[0] (cycle)");
        const std::uint64_t kind = value(e[1], origin, w + "[1] (kind)");
        if (kind >= t.kinds.size()) fail(origin, w + ": kind " + std::to_string(kind) + " is not in kinds");
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

    if (doc.contains("interrupts")) {
        const json& irqs = doc["interrupts"];
        if (!irqs.is_array()) fail(origin, "interrupts: expected an array");
        for (std::size_t i = 0; i < irqs.size(); ++i) {
            const std::string w = "interrupts[" + std::to_string(i) + "]";
            const json& j = irqs[i];
            TraceInterrupt r;
            r.tag = value(field(j, "tag", origin, w), origin, w + ".tag");
            if (j.contains("device")) r.device = value(j["device"], origin, w + ".device");
            if (j.contains("vcpu") && j["vcpu"].is_number_integer()) r.vcpu = j["vcpu"].get<std::int64_t>();
            if (j.contains("vector") && j["vector"].is_number_integer()) r.vector = j["vector"].get<std::int64_t>();
            if (j.contains("delivered") && j["delivered"].is_boolean()) r.delivered = j["delivered"].get<bool>();
            if (j.contains("latency")) r.latency = value(j["latency"], origin, w + ".latency");
            if (j.contains("steps")) {
                const json& steps = j["steps"];
                if (!steps.is_array()) fail(origin, w + ".steps: expected an array");
                for (std::size_t s = 0; s < steps.size(); ++s) {
                    const std::string ws = w + ".steps[" + std::to_string(s) + "]";
                    TraceStep st;
                    st.name = string_field(steps[s], "name", origin, ws);
                    st.cycle = value(field(steps[s], "cycle", origin, ws), origin, ws + ".cycle");
                    r.steps.push_back(std::move(st));
                }
            }
            t.interrupts.push_back(std::move(r));
        }
    }
    return t;
}

Trace read_trace_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw InputError(path, 0, 0, "cannot read the trace file");
    std::ostringstream ss;
    ss << in.rdbuf();
    return parse_trace(ss.str(), path);
}

}  // namespace pisim
