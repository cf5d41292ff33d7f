#include "platform/trace_writer.h"

#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include "platform/machine.h"
#include "platform/report.h"

namespace pisim {

namespace {

void append_value(std::string& out, std::uint64_t v) {
    if (v >= (1ull << 53)) fmt::format_to(std::back_inserter(out), "\"{:#x}\"", v);
    else fmt::format_to(std::back_inserter(out), "{}", v);
}

void append_string(std::string& out, const std::string& s) {
    out += '"';
    for (char ch : s) {
        switch (ch) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            default:
                if (static_cast<unsigned char>(ch) < 0x20) fmt::format_to(std::back_inserter(out), "\\u{:04x}", ch);
                else out += ch;
        }
    }
    out += '"';
}

const char* unit_name(UnitKind u) {
    switch (u) {
        case UnitKind::pcpu: return "pcpu";
        case UnitKind::vcpu: return "vcpu";
        case UnitKind::vtd: return "vtd";
        case UnitKind::dev: return "dev";
        case UnitKind::mem: return "mem";
    }
    return "?";
}

int arg_count(const EventKindInfo& k) {
    int n = 0;
    for (int i = 0; i < 6; ++i)
        if (k.args[i][0]) n = i + 1;
    return n;
}

}  // namespace

std::string trace_json(Machine& m, const RunReport& r) {
    const Scenario& s = m.scenario();
    std::string out;
    out.reserve(64 + m.hub().trace.size() * 48);
    out += "{\"format\":\"pisim-trace\",\"version\":1,\"scenario\":";
    append_string(out, s.file);
    fmt::format_to(std::back_inserter(out), ",\"seed\":{},\"profile\":", s.seed);
    append_string(out, m.profile().name());
    out += ",\"irq_mode\":";
    append_string(out, s.irq_mode);
    fmt::format_to(std::back_inserter(out), ",\"end_cycle\":{},\"truncated\":{},\n\"units\":{{\"pcpu\":[", r.end_cycle,
                   r.truncated ? "true" : "false");
    for (std::uint32_t i = 0; i < s.pcpus; ++i)
        fmt::format_to(std::back_inserter(out), "{}{{\"id\":{},\"name\":\"pcpu{}\",\"apic_id\":{}}}", i ? "," : "", i, i, m.apic_ids[i]);
    out += "],\"vcpu\":[";
    std::uint32_t g = 0;
    for (const auto& d : s.domains)
        for (std::uint32_t v = 0; v < d.vcpus.size(); ++v, ++g)
            fmt::format_to(std::back_inserter(out), "{}{{\"id\":{},\"name\":\"d{}v{}\",\"domain\":{},\"pid\":{}}}", g ? "," : "", g, d.id, v, d.id,
                           MemoryMap::vcpu_base + g * MemoryMap::vcpu_stride + 0x2000);
    out += "],\"vtd\":[{\"id\":0,\"name\":\"vtd0\"}],\"dev\":[";
    for (std::size_t i = 0; i < s.devices.size(); ++i) {
        fmt::format_to(std::back_inserter(out), "{}{{\"id\":{},\"name\":", i ? "," : "", s.devices[i].requester_id);
        append_string(out, s.devices[i].name);
        out += "}";
    }
    out += "]},\n\"kinds\":[";
    for (std::size_t k = 0; k < static_cast<std::size_t>(EventKind::Count); ++k) {
        const EventKindInfo& info = event_kind_info(static_cast<EventKind>(k));
        fmt::format_to(std::back_inserter(out), "{}{{\"name\":\"{}\",\"unit\":\"{}\",\"args\":[", k ? "," : "", info.name, unit_name(info.unit));
        for (int a = 0; a < arg_count(info); ++a) fmt::format_to(std::back_inserter(out), "{}\"{}\"", a ? "," : "", info.args[a]);
        out += "]}";
    }
    out += "],\n\"events\":[";
    // A pCPU runs hypervisor code ahead of the kernel (temporal decoupling),
    // so its events can be emitted before another agent's event of a slightly
    // earlier cycle: order the file by cycle, keeping emission order within a
    // cycle, and map the violations' event indices along.
    const auto& trace = m.hub().trace;
    std::vector<std::size_t> order(trace.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t x, std::size_t y) { return trace[x].cycle < trace[y].cycle; });
    std::vector<std::size_t> position(trace.size());
    for (std::size_t i = 0; i < order.size(); ++i) position[order[i]] = i;
    bool first = true;
    for (std::size_t idx : order) {
        const Event& e = trace[idx];
        out += first ? "\n[" : ",\n[";
        first = false;
        const EventKindInfo& info = event_kind_info(e.kind);
        fmt::format_to(std::back_inserter(out), "{},{},{},", e.cycle, static_cast<unsigned>(e.kind), e.unit);
        append_value(out, e.tag);
        const std::uint64_t args[6] = {e.a, e.b, e.c, e.d, e.e, e.f};
        for (int a = 0; a < arg_count(info); ++a) {
            out += ',';
            append_value(out, args[a]);
        }
        out += ']';
    }
    out += "],\n\"interrupts\":[";
    first = true;
    for (const IrqRecord& i : r.interrupts) {
        out += first ? "\n{" : ",\n{";
        first = false;
        out += "\"tag\":";
        append_value(out, i.tag);
        fmt::format_to(std::back_inserter(out), ",\"device\":{},\"vcpu\":{},\"vector\":{},\"delivered\":{}", i.device, i.vcpu,
                       i.vector, i.delivered ? "true" : "false");
        if (i.delivered) fmt::format_to(std::back_inserter(out), ",\"latency\":{}", i.latency());
        if (i.faulted) fmt::format_to(std::back_inserter(out), ",\"fault_reason\":{}", i.fault_reason);
        out += ",\"steps\":[";
        for (std::size_t k = 0; k < i.steps.size(); ++k)
            fmt::format_to(std::back_inserter(out), "{}{{\"name\":\"{}\",\"cycle\":{}}}", k ? "," : "", irq_step_name(i.steps[k].first),
                           i.steps[k].second);
        out += "]}";
    }
    out += "],\n\"violations\":[";
    first = true;
    const auto& vs = m.violations();
    for (std::size_t k = 0; k < vs.size(); ++k) {
        const Violation& v = vs[k];
        out += first ? "\n{" : ",\n{";
        first = false;
        fmt::format_to(std::back_inserter(out), "\"cycle\":{},\"oracle\":\"{}\",\"vcpu\":{},\"message\":", v.cycle, v.oracle, v.vcpu);
        append_string(out, v.message);
        if (k < m.hub().violation_events.size() && m.hub().violation_events[k] < position.size())
            fmt::format_to(std::back_inserter(out), ",\"event\":{}", position[m.hub().violation_events[k]]);
        out += "}";
    }
    out += "]}\n";
    return out;
}

}  // namespace pisim
