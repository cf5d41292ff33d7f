#include "platform/trace_writer.h"

#include <algorithm>
#include <cassert>
#include <cstring>

#include <fmt/format.h>

#include "platform/enum_names.h"
#include "platform/machine.h"
#include "platform/provenance.h"
#include "platform/report.h"
#include "platform/utf8.h"

namespace pisim {

// --- JSON text without allocation: values are written at a char pointer
// into a buffer that always has kRoom bytes free (one event, one interrupt
// record, or one step needs far less).
namespace {

constexpr std::size_t kFlushBytes = 1 << 20;  ///< buffered bytes before a write(2)
constexpr std::size_t kRoom = 4096;

/// Decimal digits of the integer v (fmt::format_int: no allocation, no locale).
template <typename T>
inline char* put_int(char* p, T v) {
    const fmt::format_int s(v);
    std::memcpy(p, s.data(), s.size());
    return p + s.size();
}

/// A JSON number, or from 2^53 on (beyond a double's exact integers) the
/// string "0x..." so JavaScript loses nothing.
inline char* put_value(char* p, std::uint64_t v) {
    if (v < (1ull << 53)) return put_int(p, v);
    return fmt::format_to(p, "\"{:#x}\"", v);
}

template <std::size_t N>
char* put(char* p, const char (&lit)[N]) {
    std::memcpy(p, lit, N - 1);
    return p + N - 1;
}

char* put(char* p, const char* s) {
    const std::size_t n = std::strlen(s);
    std::memcpy(p, s, n);
    return p + n;
}

/// A JSON string; ill-formed UTF-8 (scenario strings are checked when loaded,
/// so only a bug could bring it here) becomes U+FFFD, never an invalid byte.
void append_string(std::string& out, const std::string& raw) {
    const std::string s = utf8_sanitized(raw);
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
        case UnitKind::oracle: return "oracle";
    }
    return "?";
}

int arg_count(const EventKindInfo& k) {
    int n = 0;
    for (int i = 0; i < 6; ++i)
        if (k.args[i][0]) n = i + 1;
    return n;
}

/// Payload args written per kind (trailing unused ones are omitted).
int arg_count(EventKind k) {
    static const auto counts = [] {
        std::vector<int> c(static_cast<std::size_t>(EventKind::Count));
        for (std::size_t i = 0; i < c.size(); ++i) c[i] = arg_count(event_kind_info(static_cast<EventKind>(i)));
        return c;
    }();
    return counts[static_cast<std::size_t>(k)];
}

// --- the trace's vocabulary (docs/trace-format.md: apic_mode, kinds[i].enums,
// enums): names for the numbers the events carry, from platform/enum_names.h.

/// The fields a pCPU unit adds to id, name, apic_id: its local APIC's mode,
/// fixed for the run (LocalApic is built in one mode and has no switch).
std::string pcpu_vocabulary(Machine& m, std::uint32_t pcpu) {
    (void)pcpu;  // one mode for every pCPU: the scenario's x2apic
    return fmt::format(",\"apic_mode\":\"{}\"", m.scenario().x2apic ? "x2apic" : "xapic");
}

/// `,"enums":{"arg":"enum",...}` for a kind with enumerated args, else nothing.
std::string kind_vocabulary(EventKind k) {
    std::string out;
    for (int a = 0; a < 6; ++a) {
        const auto e = kind_arg_enum(k, a);
        if (!e) continue;
        out += out.empty() ? ",\"enums\":{" : ",";
        fmt::format_to(std::back_inserter(out), "\"{}\":\"{}\"", event_kind_info(k).args[a], trace_enum_name(*e));
    }
    return out.empty() ? out : out + "}";
}

/// The top-level "enums" object: every enumeration some kind's args use,
/// value (decimal, as a string) -> name.
std::string enums_vocabulary() {
    bool used[static_cast<std::size_t>(TraceEnum::Count)] = {};
    for (std::size_t k = 0; k < static_cast<std::size_t>(EventKind::Count); ++k)
        for (int a = 0; a < 6; ++a)
            if (auto e = kind_arg_enum(static_cast<EventKind>(k), a)) used[static_cast<std::size_t>(*e)] = true;
    std::string out = "\"enums\":{";
    bool first = true;
    for (std::size_t e = 0; e < static_cast<std::size_t>(TraceEnum::Count); ++e) {
        if (!used[e]) continue;
        fmt::format_to(std::back_inserter(out), "{}\n\"{}\":{{", first ? "" : ",", trace_enum_name(static_cast<TraceEnum>(e)));
        first = false;
        bool first_value = true;
        for (const EnumValue& v : trace_enum_values(static_cast<TraceEnum>(e))) {
            fmt::format_to(std::back_inserter(out), "{}\"{}\":", first_value ? "" : ",", v.value);
            append_string(out, v.name);
            first_value = false;
        }
        out += "}";
    }
    return out + "}";
}

/// Everything before the events: format, run, units, kinds.
std::string header(Machine& m, const RunReport& r) {
    const Scenario& s = m.scenario();
    std::string out;
    out += "{\"format\":\"pisim-trace\",\"version\":1,\"scenario\":";
    append_string(out, s.file);
    fmt::format_to(std::back_inserter(out), ",\"seed\":{},\"pisim\":", s.seed);
    // What produced the trace (platform/provenance.h): pisim's version, the core.
    const Provenance prov = current_provenance(m.hyp_path());
    append_string(out, prov.pisim);
    out += ",\"core\":{\"path\":";
    append_string(out, prov.core.path);
    out += ",\"build_id\":";
    append_string(out, prov.core.build_id);
    out += "},\"profile\":";
    append_string(out, m.profile().name());
    out += ",\"irq_mode\":";
    append_string(out, s.irq_mode);
    fmt::format_to(std::back_inserter(out), ",\"end_cycle\":{},\"truncated\":{},\n\"units\":{{\"pcpu\":[", r.end_cycle,
                   r.truncated ? "true" : "false");
    for (std::uint32_t i = 0; i < s.pcpus; ++i)
        fmt::format_to(std::back_inserter(out), "{}{{\"id\":{},\"name\":\"pcpu{}\",\"apic_id\":{}{}}}", i ? "," : "", i, i, m.apic_ids[i],
                       pcpu_vocabulary(m, i));
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
    out += "],\"oracle\":[{\"id\":0,\"name\":\"oracles\"}]},\n\"kinds\":[";
    for (std::size_t k = 0; k < static_cast<std::size_t>(EventKind::Count); ++k) {
        const EventKindInfo& info = event_kind_info(static_cast<EventKind>(k));
        fmt::format_to(std::back_inserter(out), "{}{{\"name\":\"{}\",\"unit\":\"{}\",\"args\":[", k ? "," : "", info.name, unit_name(info.unit));
        for (int a = 0; a < arg_count(info); ++a) fmt::format_to(std::back_inserter(out), "{}\"{}\"", a ? "," : "", info.args[a]);
        out += "]" + kind_vocabulary(static_cast<EventKind>(k)) + "}";
    }
    out += "],\n" + enums_vocabulary() + ",\n\"events\":[";
    return out;
}

/// One interrupt record of "interrupts" (docs/trace-format.md) after its
/// name: `,"tag":...}`.
char* put_interrupt(char* p, const IrqRecord& i) {
    p = put(p, ",\"tag\":");
    p = put_value(p, i.tag);
    p = put(p, ",\"device\":");
    p = put_int(p, i.device);
    p = put(p, ",\"vcpu\":");
    p = put_int(p, i.vcpu);
    p = put(p, ",\"vector\":");
    p = put_int(p, i.vector);
    p = i.delivered ? put(p, ",\"delivered\":true") : put(p, ",\"delivered\":false");
    if (i.delivered) {
        p = put(p, ",\"latency\":");
        p = put_int(p, i.latency());
    }
    if (i.faulted) {
        p = put(p, ",\"fault_reason\":");
        p = put_int(p, i.fault_reason);
    }
    p = put(p, ",\"steps\":[");
    for (std::size_t k = 0; k < i.steps.size(); ++k) {
        p = put(p, k ? ",{\"name\":\"" : "{\"name\":\"");
        p = put(p, irq_step_name(i.steps[k].first));
        p = put(p, "\",\"cycle\":");
        p = put_int(p, i.steps[k].second);
        *p++ = '}';
    }
    return put(p, "]}");
}

}  // namespace

TraceWriter::TraceWriter(std::string path)
    : path_(std::move(path)), events_(path_), buf_(new char[kFlushBytes + kRoom]) {}

TraceWriter::~TraceWriter() = default;

void TraceWriter::record_violation(const Event& e) {
    violation_position_.push_back(0);
    write_event(e, violations_++);
}

void TraceWriter::write_event(const Event& e, std::int64_t violation) {
    if (violation >= 0) violation_position_[static_cast<std::size_t>(violation)] = written_;
    char* p = buf_.get() + len_;
    p = written_++ ? put(p, ",\n[") : put(p, "\n[");
    p = put_int(p, e.cycle);
    *p++ = ',';
    p = put_int(p, static_cast<unsigned>(e.kind));
    *p++ = ',';
    p = put_int(p, e.unit);
    *p++ = ',';
    p = put_value(p, e.tag);
    const std::uint64_t args[6] = {e.a, e.b, e.c, e.d, e.e, e.f};
    const int n = arg_count(e.kind);
    for (int a = 0; a < n; ++a) {
        *p++ = ',';
        p = put_value(p, args[a]);
    }
    *p++ = ']';
    len_ = static_cast<std::size_t>(p - buf_.get());
    if (len_ >= kFlushBytes) {
        events_.write(buf_.get(), len_);
        len_ = 0;
    }
}

void TraceWriter::finish(Machine& m, const RunReport& r) {
    events_.write(buf_.get(), len_);
    len_ = 0;
    AtomicFile f(path_);
    f.write(header(m, r));
    f.append_file(events_.fd(), events_.size());
    char* const base = buf_.get();
    char* p = put(base, "],\n\"interrupts\":[");
    bool first = true;
    std::string name;
    for (std::size_t k = 0; k < r.interrupts.size(); ++k) {
        const IrqRecord& i = r.interrupts[k];
        p = first ? put(p, "\n{\"name\":") : put(p, ",\n{\"name\":");
        first = false;
        name.clear();
        append_string(name, interrupt_name(r, k));
        if (name.size() > kRoom / 2) {  // a long device name: past the buffer
            f.write(base, static_cast<std::size_t>(p - base));
            p = base;
            f.write(name);
        } else {
            std::memcpy(p, name.data(), name.size());
            p += name.size();
        }
        p = put_interrupt(p, i);
        if (static_cast<std::size_t>(p - base) >= kFlushBytes) {
            f.write(base, static_cast<std::size_t>(p - base));
            p = base;
        }
    }
    f.write(base, static_cast<std::size_t>(p - base));
    std::string out = "],\n\"violations\":[";
    first = true;
    const auto& vs = m.violations();
    for (std::size_t k = 0; k < vs.size(); ++k) {
        const Violation& v = vs[k];
        out += first ? "\n{" : ",\n{";
        first = false;
        fmt::format_to(std::back_inserter(out), "\"cycle\":{},\"detected_cycle\":{},\"oracle\":\"{}\",\"vcpu\":{},\"message\":", v.cycle,
                       v.detected_cycle, v.oracle, v.vcpu);
        append_string(out, v.message);
        if (k < violation_position_.size())
            fmt::format_to(std::back_inserter(out), ",\"event\":{}", violation_position_[k]);
        out += "}";
    }
    out += "]}\n";
    f.write(out);
    f.commit();
}

}  // namespace pisim
