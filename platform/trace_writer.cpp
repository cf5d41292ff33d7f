#include "platform/trace_writer.h"

#include <algorithm>
#include <cassert>
#include <stdexcept>

#include <fmt/format.h>

#include "platform/machine.h"
#include "platform/report.h"

namespace pisim {

namespace {

constexpr std::size_t kFlushBytes = 1 << 20;  ///< formatted events held before a write(2)

void append_value(std::string& out, std::uint64_t v) {
    if (v >= (1ull << 53)) {
        fmt::format_to(std::back_inserter(out), "\"{:#x}\"", v);
    } else {
        const fmt::format_int s(v);
        out.append(s.data(), s.size());
    }
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

/// Payload args written per kind (trailing unused ones are omitted).
int arg_count(EventKind k) {
    static const auto counts = [] {
        std::vector<int> c(static_cast<std::size_t>(EventKind::Count));
        for (std::size_t i = 0; i < c.size(); ++i) c[i] = arg_count(event_kind_info(static_cast<EventKind>(i)));
        return c;
    }();
    return counts[static_cast<std::size_t>(k)];
}

/// Min-heap order for std::push_heap/pop_heap (which keep the largest first).
template <typename W>
bool later(const W& x, const W& y) {
    return x.e.cycle != y.e.cycle ? x.e.cycle > y.e.cycle : x.seq > y.seq;
}

/// Everything before the events: format, run, units, kinds.
std::string header(Machine& m, const RunReport& r) {
    const Scenario& s = m.scenario();
    std::string out;
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
    return out;
}

}  // namespace

TraceWriter::TraceWriter(std::string path) : path_(std::move(path)), events_(path_) { buf_.reserve(kFlushBytes + 4096); }

TraceWriter::~TraceWriter() = default;

void TraceWriter::record_violation(const Event& e, std::uint64_t now) {
    violation_position_.push_back(0);
    record(e, now, violations_++);
}

void TraceWriter::record(const Event& e, std::uint64_t now, std::int64_t violation) {
    assert(e.cycle >= now && "an event precedes the kernel's time");
    assert(now >= now_ && "the kernel's time went back");
    if (now > now_) {
        now_ = now;
        release(now);
    }
    const std::uint64_t seq = seq_++;
    // Not ahead of the kernel: every waiting event is (those at or before
    // `now` were just released), and every later event will be.
    if (e.cycle <= now) {
        write_event(e, violation);
        return;
    }
    heap_.push_back({e, seq, violation});
    std::push_heap(heap_.begin(), heap_.end(), later<Waiting>);
    max_waiting_ = std::max(max_waiting_, heap_.size());
}

void TraceWriter::release(std::uint64_t now) {
    while (!heap_.empty() && heap_.front().e.cycle <= now) {
        std::pop_heap(heap_.begin(), heap_.end(), later<Waiting>);
        write_event(heap_.back().e, heap_.back().violation);
        heap_.pop_back();
    }
}

void TraceWriter::write_event(const Event& e, std::int64_t violation) {
    if (violation >= 0) violation_position_[static_cast<std::size_t>(violation)] = written_;
    buf_ += written_++ ? ",\n[" : "\n[";
    const fmt::format_int cycle(e.cycle), kind(static_cast<unsigned>(e.kind)), unit(e.unit);
    buf_.append(cycle.data(), cycle.size());
    buf_ += ',';
    buf_.append(kind.data(), kind.size());
    buf_ += ',';
    buf_.append(unit.data(), unit.size());
    buf_ += ',';
    append_value(buf_, e.tag);
    const std::uint64_t args[6] = {e.a, e.b, e.c, e.d, e.e, e.f};
    const int n = arg_count(e.kind);
    for (int a = 0; a < n; ++a) {
        buf_ += ',';
        append_value(buf_, args[a]);
    }
    buf_ += ']';
    if (buf_.size() >= kFlushBytes) flush_buffer();
}

void TraceWriter::flush_buffer() {
    events_.write(buf_.data(), buf_.size());
    buf_.clear();
}

void TraceWriter::finish(Machine& m, const RunReport& r) {
    release(~0ull);
    flush_buffer();
    AtomicFile f(path_);
    f.write(header(m, r));
    f.append_file(events_.fd(), events_.size());
    std::string& out = buf_;
    out = "],\n\"interrupts\":[";
    bool first = true;
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
        if (out.size() >= kFlushBytes) {
            f.write(out);
            out.clear();
        }
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
        if (k < violation_position_.size())
            fmt::format_to(std::back_inserter(out), ",\"event\":{}", violation_position_[k]);
        out += "}";
    }
    out += "]}\n";
    f.write(out);
    out.clear();
    f.commit();
}

}  // namespace pisim
