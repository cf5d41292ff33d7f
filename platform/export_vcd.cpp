#include "platform/export_vcd.h"

#include <fmt/format.h>

#include <cassert>
#include <cctype>
#include <optional>
#include <vector>

extern "C" {
#include "hyp/trace.h"
}

namespace pisim {

namespace {

/// One VCD variable and its value (nullopt = x).
struct Signal {
    std::string id;       // identifier code
    std::string type;     // "reg", "integer" or "string"
    unsigned width = 1;   // bits
    std::string ref;      // reference name, with [msb:0] for vectors
    std::optional<std::uint64_t> value, dumped;
    std::string text, dumped_text;  // "string" signals: the value's name
    bool ever_dumped = false;
};

/// Identifier codes: printable ASCII '!'..'~' as base-94 digits, shortest first.
std::string identifier(std::size_t n) {
    std::string s(1, static_cast<char>('!' + n % 94));
    n /= 94;
    while (n > 0) {  // bijective base 94: every code is distinct
        --n;
        s += static_cast<char>('!' + n % 94);
        n /= 94;
    }
    return s;
}

/// A string value without whitespace (a VCD token ends at whitespace).
std::string vcd_token(const std::string& v) {
    std::string t;
    for (char c : v) t += (static_cast<unsigned char>(c) <= ' ' || c == '\\') ? '_' : c;
    return t.empty() ? std::string("-") : t;
}

std::string format_value(const Signal& s) {
    // GTKWave's extension to IEEE 1364 VCD: `$var string` with `s<text> id`
    // value changes (gtkwave vcd.c, not under STRICT_VCD_ONLY).
    if (s.type == "string") return "s" + vcd_token(s.text) + " " + s.id;
    if (s.width == 1 && s.type != "integer") return (s.value ? (*s.value & 1 ? "1" : "0") : std::string("x")) + s.id;
    if (!s.value) return "bx " + s.id;
    std::uint64_t v = *s.value;
    if (s.width < 64) v &= (1ull << s.width) - 1;
    return fmt::format("b{:b} {}", v, s.id);
}

/// VCD identifiers of a scope (module) name: keep [A-Za-z0-9_], replace others.
std::string scope_name(const std::string& n) {
    std::string s;
    for (char c : n) s += (std::isalnum(static_cast<unsigned char>(c)) || c == '_') ? c : '_';
    return s.empty() ? std::string("unit") : s;
}

}  // namespace

std::string vcd_text(const Trace& t) {
    std::vector<Signal> sig;
    auto add = [&](const char* type, unsigned width, const std::string& name) {
        Signal s;
        s.id = identifier(sig.size());
        s.type = type;
        s.width = width;
        s.ref = width > 1 && std::string(type) == "reg" ? fmt::format("{} [{}:0]", name, width - 1) : name;
        sig.push_back(s);
        return sig.size() - 1;
    };
    // Enumerations twice: the value as an IEEE 1364 vector (every VCD reader)
    // and its name as a string signal "<name>_name" (GTKWave, Surfer).
    struct Pcpu {
        std::size_t mode, mode_name, vcpu, vcpu_name;
    };
    struct Vcpu {
        std::size_t state, state_name, on, sn, nv, ndst, ndst_apic_id, ndst_pcpu, rvi, svi;
    };
    auto enum_name = [&t](const char* en, std::uint64_t v) {
        auto e = t.enums.find(en);
        if (e != t.enums.end())
            if (auto n = e->second.find(v); n != e->second.end()) return n->second;
        return fmt::format("{}", v);
    };
    std::vector<Pcpu> pc;
    std::vector<Vcpu> vc;
    for (std::size_t p = 0; p < t.pcpus.size(); ++p) {
        pc.push_back({add("reg", 2, "mode"), add("string", 1, "mode_name"), add("integer", 32, "vcpu"), add("string", 1, "vcpu_name")});
        sig[pc.back().vcpu_name].text = "none";
    }
    // NDST decoded by the APIC mode of the trace's pCPUs [VT-d 9.12: x2APIC
    // mode NDST bits 31:0 are the APIC ID, xAPIC mode bits 15:8].
    const bool xapic = !t.pcpus.empty() && t.pcpus[0].apic_mode == "xapic";
    for (std::size_t v = 0; v < t.vcpus.size(); ++v) {
        Vcpu x{};
        x.state = add("reg", 2, "state");
        x.state_name = add("string", 1, "state_name");
        x.on = add("reg", 1, "ON");
        x.sn = add("reg", 1, "SN");
        x.nv = add("reg", 8, "NV");
        x.ndst = add("reg", 32, "NDST");
        x.ndst_apic_id = add("reg", 32, "NDST_apic_id");
        x.ndst_pcpu = add("string", 1, "NDST_pcpu");
        x.rvi = add("reg", 8, "RVI");
        x.svi = add("reg", 8, "SVI");
        sig[x.state].value = HYP_VCPU_OFFLINE;
        sig[x.state_name].text = enum_name("vcpu_state", HYP_VCPU_OFFLINE);
        sig[x.ndst_pcpu].text = "none";
        vc.push_back(x);
    }

    std::string out;
    out += "$version pisim export $end\n";
    out += "$comment " + (t.scenario.empty() ? std::string("pisim trace") : t.scenario) +
           fmt::format(" seed {} irq_mode {} $end\n", t.seed, t.irq_mode.empty() ? "-" : t.irq_mode);
    out += "$timescale 1 ns $end\n";
    out += "$scope module pisim $end\n";
    auto declare = [&](std::size_t i) { out += fmt::format("$var {} {} {} {} $end\n", sig[i].type, sig[i].width, sig[i].id, sig[i].ref); };
    for (std::size_t p = 0; p < pc.size(); ++p) {
        out += "$scope module " + scope_name(t.pcpus[p].name) + " $end\n";
        for (std::size_t i : {pc[p].mode, pc[p].mode_name, pc[p].vcpu, pc[p].vcpu_name}) declare(i);
        out += "$upscope $end\n";
    }
    for (std::size_t v = 0; v < vc.size(); ++v) {
        out += "$scope module " + scope_name(t.vcpus[v].name) + " $end\n";
        for (std::size_t i : {vc[v].state, vc[v].state_name, vc[v].on, vc[v].sn, vc[v].nv, vc[v].ndst, vc[v].ndst_apic_id,
                              vc[v].ndst_pcpu, vc[v].rvi, vc[v].svi})
            declare(i);
        out += "$upscope $end\n";
    }
    out += "$upscope $end\n$enddefinitions $end\n";

    const auto k_mode = t.kind_index("cpu.mode");
    const auto k_sched = t.kind_index("hyp.schedule");
    const auto k_state = t.kind_index("hyp.vcpu_state");
    const auto k_pid = t.kind_index("pid.update");
    const auto k_vapic = t.kind_index("cpu.vapic");
    auto is = [](const std::optional<std::uint32_t>& k, const TraceEvent& e) { return k && e.kind == *k; };
    auto vcpu_or_none = [&](std::uint64_t id) -> std::optional<std::uint64_t> {
        if (t.unit_position("vcpu", id)) return id;
        return std::nullopt;  // HYP_INVALID or unknown: none
    };
    auto vcpu_text = [&](const std::optional<std::uint64_t>& id) {
        if (!id) return std::string("none");
        return t.vcpus[*t.unit_position("vcpu", *id)].name;
    };
    auto pcpu_of_apic = [&](std::uint64_t apic) {
        for (const TraceUnit& p : t.pcpus)
            if (p.apic_id && *p.apic_id == apic) return p.name;
        return fmt::format("apic{}", apic);  // no pCPU has that APIC ID
    };

    auto apply = [&](const TraceEvent& e) {
        const std::string& unit = t.kinds[e.kind].unit;
        const auto pos = t.unit_position(unit, e.unit);
        if (!pos) return;
        if (unit == "pcpu") {
            const Pcpu& p = pc[*pos];
            if (is(k_mode, e)) {
                sig[p.mode].value = e.args[0] & 3;
                sig[p.mode_name].text = enum_name("pcpu_mode", e.args[0]);
                if (e.args[0] == 1 || e.args[0] == 2) sig[p.vcpu].value = vcpu_or_none(e.args[1]);
                else if (e.args[0] == 3) sig[p.vcpu].value = std::nullopt;  // idle: no vCPU
            } else if (is(k_sched, e)) {
                sig[p.vcpu].value = vcpu_or_none(e.args[1]);
            }
            sig[p.vcpu_name].text = vcpu_text(sig[p.vcpu].value);
        } else if (unit == "vcpu") {
            const Vcpu& v = vc[*pos];
            if (is(k_state, e)) {
                sig[v.state].value = e.args[1] & 3;
                sig[v.state_name].text = enum_name("vcpu_state", e.args[1]);
            } else if (is(k_pid, e) && e.args[1] == 4) {
                const std::uint64_t c = e.args[3];
                sig[v.on].value = c & 1;
                sig[v.sn].value = c >> 1 & 1;
                sig[v.nv].value = c >> 16 & 0xFF;
                sig[v.ndst].value = c >> 32;
                const std::uint64_t apic = xapic ? (c >> 40) & 0xFF : c >> 32;
                sig[v.ndst_apic_id].value = apic;
                sig[v.ndst_pcpu].text = pcpu_of_apic(apic);
            } else if (is(k_vapic, e)) {
                sig[v.rvi].value = e.args[0] & 0xFF;
                sig[v.svi].value = e.args[1] & 0xFF;
            }
        }
    };

    std::size_t i = 0;
    while (i < t.events.size() && t.events[i].cycle == 0) apply(t.events[i++]);
    out += "#0\n$dumpvars\n";
    for (Signal& s : sig) {
        out += format_value(s) + "\n";
        s.dumped = s.value;
        s.dumped_text = s.text;
    }
    out += "$end\n";
    std::uint64_t last = 0;
    while (i < t.events.size()) {
        const std::uint64_t cycle = t.events[i].cycle;
        while (i < t.events.size() && t.events[i].cycle == cycle) apply(t.events[i++]);
        std::string changes;
        for (Signal& s : sig) {
            if (s.value == s.dumped && s.text == s.dumped_text) continue;
            changes += format_value(s) + "\n";
            s.dumped = s.value;
            s.dumped_text = s.text;
        }
        if (changes.empty()) continue;
        assert(cycle > last);
        out += fmt::format("#{}\n", cycle) + changes;
        last = cycle;
    }
    if (t.end_cycle > last) out += fmt::format("#{}\n", t.end_cycle);
    return out;
}

}  // namespace pisim
