#include "platform/export_perfetto.h"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <limits>
#include <map>
#include <vector>

extern "C" {
#include "hyp/trace.h"
}
#include "model/common/cycle_math.h"

namespace pisim {

namespace {

constexpr int kPidPcpu = 1, kPidVcpu = 2, kPidVtd = 3, kPidDev = 4, kPidOther = 5, kPidOracle = 6;
constexpr std::uint64_t kHypInvalid = 0xFFFFFFFFu;  // HYP_INVALID (hyp/hyp.h)

// Nesting levels on a thread, in output order at equal cycles.
enum Level : int { kState = 0, kActivity = 1, kStep = 2, kInstant = 3, kCounter = 4 };

struct Out {
    std::uint64_t cycle;
    int level;
    std::uint64_t dur;  // longer first at equal (cycle, level)
    std::uint64_t seq;  // then creation order
    std::string text;
};

void append_string(std::string& out, const std::string& s) {
    out += '"';
    for (char ch : s) {
        switch (ch) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            default:
                if (static_cast<unsigned char>(ch) < 0x20) out += fmt::format("\\u{:04x}", static_cast<unsigned>(ch));
                else out += ch;
        }
    }
    out += '"';
}

std::string quoted(const std::string& s) {
    std::string out;
    append_string(out, s);
    return out;
}

std::string json_value(std::uint64_t v) {
    return v >= (1ull << 53) ? fmt::format("\"{:#x}\"", v) : fmt::format("{}", v);
}

/// The name the trace gives `value` of enumeration `en`, or null.
const std::string* enum_value(const Trace& t, const char* en, std::uint64_t value) {
    auto e = t.enums.find(en);
    if (e == t.enums.end()) return nullptr;
    auto v = e->second.find(value);
    return v == e->second.end() ? nullptr : &v->second;
}

/// `value`'s name in `en`, else "<en> <value>".
std::string enum_text(const Trace& t, const char* en, std::uint64_t value) {
    const std::string* n = enum_value(t, en, value);
    return n ? *n : fmt::format("{} {}", en, value);
}

/// A thread of the output: (pid, tid).
struct Thread {
    int pid = 0;
    std::uint64_t tid = 0;
};

/// A slice before splitting: [begin, end) cycles on one thread.
struct Slice {
    std::uint64_t begin, end;
    std::string name, args;  // args: a JSON object
};

class Exporter {
public:
    explicit Exporter(const Trace& t) : t_(t) {}

    std::string run();

private:
    Thread thread_of(const TraceEvent& e) const;
    std::string vcpu_name(std::uint64_t id) const;
    std::string pcpu_name(std::uint64_t id) const;
    std::string event_args(const TraceEvent& e) const;
    void add(std::uint64_t cycle, int level, std::uint64_t dur, std::string text) {
        out_.push_back({cycle, level, dur, seq_++, std::move(text)});
    }
    std::string head(const char* ph, const std::string& name, Thread th, std::uint64_t cycle) const {
        return fmt::format("{{\"ph\":\"{}\",\"name\":{},\"pid\":{},\"tid\":{},\"ts\":{}", ph, quoted(name), th.pid, th.tid,
                           cycles_as_us(cycle));
    }
    void slice(Thread th, int level, const Slice& s);
    void metadata(std::string& doc) const;
    void pcpu_slices();
    void vcpu_slices();
    void flows_and_events();
    void counters();

    const Trace& t_;
    std::vector<Out> out_;
    std::uint64_t seq_ = 0;
    std::uint64_t end_ = 0;  // where open slices close
    bool other_used_ = false;
    bool oracle_used_ = false;  // a track for the oracles only when they spoke
    // Per thread: cycles where a state slice begins or ends (activity slices split there).
    std::map<std::pair<int, std::uint64_t>, std::vector<std::uint64_t>> bounds_;
    std::vector<bool> slice_event_;  // event i defines a slice (not an instant)
};

Thread Exporter::thread_of(const TraceEvent& e) const {
    const std::string& unit = t_.kinds[e.kind].unit;
    const int pid = unit == "pcpu" ? kPidPcpu : unit == "vcpu" ? kPidVcpu : unit == "vtd" ? kPidVtd : unit == "dev" ? kPidDev
                    : unit == "oracle" ? kPidOracle : 0;
    if (pid) {
        if (auto pos = t_.unit_position(unit, e.unit)) return {pid, static_cast<std::uint64_t>(pid) * 1000 + *pos};
    }
    return {kPidOther, kPidOther * 1000};
}

std::string Exporter::vcpu_name(std::uint64_t id) const {
    if (auto pos = t_.unit_position("vcpu", id)) return t_.vcpus[*pos].name;
    return id == kHypInvalid ? std::string("none") : fmt::format("vcpu{}", id);
}

std::string Exporter::pcpu_name(std::uint64_t id) const {
    if (auto pos = t_.unit_position("pcpu", id)) return t_.pcpus[*pos].name;
    return id == kHypInvalid ? std::string("none") : fmt::format("pcpu{}", id);
}

std::string Exporter::event_args(const TraceEvent& e) const {
    const TraceKind& k = t_.kinds[e.kind];
    std::string a = "{";
    bool first = true;
    for (std::uint32_t i = 0; i < e.nargs && i < k.args.size(); ++i) {
        if (k.args[i].empty()) continue;
        a += first ? "" : ",";
        first = false;
        // An enumeration by its name (an exit reason as "12 hlt": its number
        // matters), a vCPU or pCPU by its unit's name.
        const std::string& arg = k.args[i];
        const std::uint64_t v = e.args[i];
        std::string text;
        if (const std::string* n = t_.arg_name(e, i))
            text = quoted(i < k.arg_enums.size() && k.arg_enums[i] == "exit_reason" ? fmt::format("{} {}", v, *n) : *n);
        else if (arg == "vcpu" || arg == "prev" || arg == "next")
            text = quoted(vcpu_name(v));
        else if (arg == "pcpu" || arg == "target_pcpu" || arg == "list_pcpu" ||
                 (k.name == "hyp.migrate" && (arg == "from" || arg == "to")))
            text = quoted(pcpu_name(v));
        else
            text = json_value(v);
        a += quoted(arg) + ":" + text;
    }
    if (e.tag) a += fmt::format("{}\"tag\":\"{:#x}\"", first ? "" : ",", e.tag);
    return a + "}";
}

void Exporter::slice(Thread th, int level, const Slice& s) {
    if (s.end <= s.begin) {
        // Zero-length: an instant, so no slice can nest inside a 0-cycle one.
        add(s.begin, kInstant, 0, head("i", s.name, th, s.begin) + ",\"s\":\"t\",\"args\":" + s.args + "}");
        return;
    }
    add(s.begin, level, s.end - s.begin,
        head("X", s.name, th, s.begin) + ",\"dur\":" + cycles_as_us(s.end - s.begin) + ",\"args\":" + s.args + "}");
}

/// pCPU mode slices (cpu.mode) and hypervisor handler slices (hyp.handler_enter/exit).
void Exporter::pcpu_slices() {
    const auto k_mode = t_.kind_index("cpu.mode");
    const auto k_enter = t_.kind_index("hyp.handler_enter");
    const auto k_exit = t_.kind_index("hyp.handler_exit");
    for (std::size_t p = 0; p < t_.pcpus.size(); ++p) {
        const Thread th{kPidPcpu, kPidPcpu * 1000 + p};
        const std::uint64_t unit = t_.pcpus[p].id;
        // Mode: state (mode, vcpu) from its cycle to the next change.
        std::vector<Slice> modes;
        std::vector<std::uint64_t>& bounds = bounds_[{th.pid, th.tid}];
        bool have = false;
        std::uint64_t mode = 0, vcpu = 0, since = 0;
        auto close_mode = [&](std::uint64_t at) {
            if (!have || at <= since) return;
            const std::string vn = vcpu_name(vcpu);
            const bool guest = mode == 1 || mode == 2;  // non-root, guest-hlt: a vCPU's
            const std::string mn = enum_text(t_, "pcpu_mode", mode);
            const std::string name = guest ? mn + " " + vn : mn;
            modes.push_back({since, at, name, fmt::format("{{\"mode\":{},\"vcpu\":{}}}", quoted(mn), quoted(guest ? vn : "none"))});
            bounds.push_back(since);
            bounds.push_back(at);
        };
        for (std::size_t i = 0; i < t_.events.size(); ++i) {
            const TraceEvent& e = t_.events[i];
            if (!k_mode || e.kind != *k_mode || e.unit != unit) continue;
            slice_event_[i] = true;
            const std::uint64_t m = e.args[0], v = e.args[1];
            if (have && m == mode && (v == vcpu || (m != 1 && m != 2))) continue;
            if (have && e.cycle > since) close_mode(e.cycle);
            if (!have || e.cycle > since) since = e.cycle;
            have = true;
            mode = m;
            vcpu = v;
        }
        close_mode(end_);
        std::sort(bounds.begin(), bounds.end());
        bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());
        for (const Slice& s : modes) slice(th, kState, s);

        // Handlers: a stack, exits close the innermost open handler with that id.
        struct Open {
            std::uint64_t handler, detail, vcpu, begin;
        };
        std::vector<Open> stack;
        std::vector<Slice> handlers;
        auto close_handler = [&](const Open& o, std::uint64_t at) {
            const std::string hn = enum_text(t_, "hyp_handler", o.handler);
            // The vmexit handler's detail is the exit reason: "12 hlt".
            const std::string* reason = o.handler == HYP_H_VMEXIT ? enum_value(t_, "exit_reason", o.detail) : nullptr;
            handlers.push_back({o.begin, at, "hyp " + hn,
                                fmt::format("{{\"handler\":{},\"detail\":{},\"vcpu\":{}}}", quoted(hn),
                                            reason ? quoted(fmt::format("{} {}", o.detail, *reason)) : json_value(o.detail),
                                            quoted(vcpu_name(o.vcpu)))});
        };
        for (std::size_t i = 0; i < t_.events.size(); ++i) {
            const TraceEvent& e = t_.events[i];
            if (e.unit != unit) continue;
            if (k_enter && e.kind == *k_enter) {
                slice_event_[i] = true;
                stack.push_back({e.args[0], e.args[1], e.args[2], e.cycle});
            } else if (k_exit && e.kind == *k_exit) {
                auto it = std::find_if(stack.rbegin(), stack.rend(), [&](const Open& o) { return o.handler == e.args[0]; });
                if (it == stack.rend()) continue;  // an exit without its enter: shown as an instant
                slice_event_[i] = true;
                const std::size_t keep = static_cast<std::size_t>(stack.rend() - it) - 1;
                while (stack.size() > keep) {
                    close_handler(stack.back(), e.cycle);
                    stack.pop_back();
                }
            }
        }
        while (!stack.empty()) {
            close_handler(stack.back(), end_);
            stack.pop_back();
        }
        for (Slice& s : handlers) {
            // Split at mode changes so every piece nests in one mode slice.
            std::uint64_t from = s.begin;
            for (std::uint64_t b : bounds) {
                if (b <= from || b >= s.end) continue;
                slice(th, kActivity, {from, b, s.name, s.args});
                from = b;
            }
            slice(th, kActivity, {from, s.end, s.name, s.args});
        }
    }
}

/// vCPU state slices (hyp.vcpu_state) and guest ISR slices (guest.isr_begin/end).
void Exporter::vcpu_slices() {
    const auto k_state = t_.kind_index("hyp.vcpu_state");
    const auto k_begin = t_.kind_index("guest.isr_begin");
    const auto k_end = t_.kind_index("guest.isr_end");
    for (std::size_t v = 0; v < t_.vcpus.size(); ++v) {
        const Thread th{kPidVcpu, kPidVcpu * 1000 + v};
        const std::uint64_t unit = t_.vcpus[v].id;
        std::vector<std::uint64_t>& bounds = bounds_[{th.pid, th.tid}];
        std::uint64_t state = HYP_VCPU_OFFLINE, since = 0, pcpu = 0;
        auto close_state = [&](std::uint64_t at) {
            if (state == HYP_VCPU_OFFLINE || at <= since) return;  // offline: no slice
            const std::string n = enum_text(t_, "vcpu_state", state);
            const std::string pn = pcpu_name(pcpu);
            slice(th, kState, {since, at, n, fmt::format("{{\"state\":{},\"pcpu\":{}}}", quoted(n), quoted(pn))});
            bounds.push_back(since);
            bounds.push_back(at);
        };
        struct Open {
            std::uint64_t vector, begin;
        };
        std::vector<Open> stack;
        std::vector<Slice> isrs;
        auto close_isr = [&](const Open& o, std::uint64_t at) {
            isrs.push_back({o.begin, at, fmt::format("isr {}", o.vector), fmt::format("{{\"vector\":{}}}", o.vector)});
        };
        for (std::size_t i = 0; i < t_.events.size(); ++i) {
            const TraceEvent& e = t_.events[i];
            if (e.unit != unit) continue;
            if (k_state && e.kind == *k_state) {
                slice_event_[i] = true;
                if (e.args[1] == state) continue;
                close_state(e.cycle);
                state = e.args[1];
                pcpu = e.args[2];
                since = e.cycle;
            } else if (k_begin && e.kind == *k_begin) {
                slice_event_[i] = true;
                stack.push_back({e.args[0], e.cycle});
            } else if (k_end && e.kind == *k_end) {
                auto it = std::find_if(stack.rbegin(), stack.rend(), [&](const Open& o) { return o.vector == e.args[0]; });
                if (it == stack.rend()) continue;
                slice_event_[i] = true;
                const std::size_t keep = static_cast<std::size_t>(stack.rend() - it) - 1;
                while (stack.size() > keep) {
                    close_isr(stack.back(), e.cycle);
                    stack.pop_back();
                }
            }
        }
        close_state(end_);
        while (!stack.empty()) {
            close_isr(stack.back(), end_);
            stack.pop_back();
        }
        std::sort(bounds.begin(), bounds.end());
        bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());
        for (Slice& s : isrs) {
            std::uint64_t from = s.begin;
            for (std::uint64_t b : bounds) {
                if (b <= from || b >= s.end) continue;
                slice(th, kActivity, {from, b, s.name, s.args});
                from = b;
            }
            slice(th, kActivity, {from, s.end, s.name, s.args});
        }
    }
}

/// The event that marks an interrupt step: the kind the latency tracker
/// (platform/irq_tracker.cpp) takes the step from, at the step's cycle.
std::optional<std::size_t> find_step_event(const Trace& t, const TraceInterrupt& irq, const TraceStep& st) {
    struct Rule {
        const char* step;
        const char* kind;
        int match;  // 0 tag, 1 arg0 = vcpu, 2 arg0 = vcpu and arg1 = vector, 3 unit = vcpu and arg0 = vector,
                    // 4 arg0 = vcpu and arg1 = 1 (external-interrupt exit)
    };
    static const Rule rules[] = {
        {"device_write", "nic.msi_write", 0},  {"vtd_request", "vtd.request", 0},     {"remapping", "vtd.irte_fetch", 0},
        {"posting", "vtd.post", 0},            {"host_remap", "vtd.remap", 0},        {"notification", "apic.accept", 0},
        {"pi_processing", "cpu.pi_process", 1}, {"hyp_pend", "hyp.virq_pend", 2},     {"virtual_delivery", "guest.isr_begin", 3},
        {"vm_exit", "cpu.vm_exit", 4},
    };
    const Rule* rule = nullptr;
    for (const Rule& r : rules)
        if (st.name == r.step) rule = &r;
    const std::optional<std::uint32_t> kind = rule ? t.kind_index(rule->kind) : std::nullopt;
    auto lo = std::lower_bound(t.events.begin(), t.events.end(), st.cycle,
                               [](const TraceEvent& e, std::uint64_t c) { return e.cycle < c; });
    for (auto it = lo; it != t.events.end() && it->cycle == st.cycle; ++it) {
        const TraceEvent& e = *it;
        bool ok;
        if (!rule) ok = e.tag == irq.tag;  // a step this exporter does not know: any event of the interrupt
        else if (!kind || e.kind != *kind) ok = false;
        else {
            const std::uint64_t vcpu = static_cast<std::uint64_t>(irq.vcpu), vector = static_cast<std::uint64_t>(irq.vector);
            switch (rule->match) {
                case 0: ok = e.tag == irq.tag; break;
                case 1: ok = irq.vcpu >= 0 && e.args[0] == vcpu; break;
                case 2: ok = irq.vcpu >= 0 && e.args[0] == vcpu && e.args[1] == vector; break;
                case 3: ok = irq.vcpu >= 0 && e.unit == vcpu && e.args[0] == vector; break;
                default: ok = irq.vcpu >= 0 && e.args[0] == vcpu && e.args[1] == 1; break;
            }
        }
        if (ok) return static_cast<std::size_t>(it - t.events.begin());
    }
    return std::nullopt;
}

/// Instants for every event that is not a slice boundary; 1-cycle slices with
/// flow events for the interrupt steps.
void Exporter::flows_and_events() {
    // event index -> flow points (tag, phase) in interrupt order.
    std::map<std::size_t, std::vector<std::pair<const TraceInterrupt*, char>>> points;
    for (const TraceInterrupt& irq : t_.interrupts) {
        std::vector<std::size_t> anchors;
        for (const TraceStep& st : irq.steps) {
            auto i = find_step_event(t_, irq, st);
            if (i && (anchors.empty() || anchors.back() != *i)) anchors.push_back(*i);
        }
        if (anchors.size() < 2) continue;
        for (std::size_t k = 0; k < anchors.size(); ++k)
            points[anchors[k]].push_back({&irq, k == 0 ? 's' : k + 1 == anchors.size() ? 'f' : 't'});
    }
    for (std::size_t i = 0; i < t_.events.size(); ++i) {
        const TraceEvent& e = t_.events[i];
        const Thread th = thread_of(e);
        if (th.pid == kPidOther) other_used_ = true;
        if (th.pid == kPidOracle) oracle_used_ = true;
        const std::string& name = t_.kinds[e.kind].name;
        auto p = points.find(i);
        if (p == points.end()) {
            if (!slice_event_[i]) add(e.cycle, kInstant, 0, head("i", name, th, e.cycle) + ",\"s\":\"t\",\"args\":" + event_args(e) + "}");
            continue;
        }
        add(e.cycle, kStep, 1, head("X", name, th, e.cycle) + ",\"dur\":" + cycles_as_us(1) + ",\"args\":" + event_args(e) + "}");
        for (const auto& [irq, ph] : p->second) {
            // Named by the interrupt ("nic0#4"), keyed by its tag.
            std::string f = fmt::format("{{\"ph\":\"{}\",\"name\":{},\"cat\":\"irq\",\"id\":\"{:#x}\",\"pid\":{},\"tid\":{},\"ts\":{}", ph,
                                        quoted(irq->name.empty() ? std::string("irq") : irq->name), irq->tag, th.pid, th.tid,
                                        cycles_as_us(e.cycle));
            // Same level and duration as the step slice: sorted right after it.
            add(e.cycle, kStep, 1, f + (ph == 's' ? "}" : ",\"bp\":\"e\"}"));
        }
    }
}

/// ON/SN of each vCPU's PID and RVI/SVI of each vCPU, one sample per cycle with a change.
void Exporter::counters() {
    const auto k_pid = t_.kind_index("pid.update");
    const auto k_vapic = t_.kind_index("cpu.vapic");
    for (std::size_t v = 0; v < t_.vcpus.size(); ++v) {
        const Thread th{kPidVcpu, kPidVcpu * 1000 + v};
        const std::uint64_t unit = t_.vcpus[v].id;
        const std::string& vn = t_.vcpus[v].name;
        struct Series {
            std::string name, k0, k1;
            bool have = false, pending = false;
            std::uint64_t v0 = 0, v1 = 0, s0 = 0, s1 = 0, cycle = 0;
        };
        Series pid{vn + " PID", "ON", "SN"}, vapic{vn + " vAPIC", "RVI", "SVI"};
        auto flush = [&](Series& s) {
            if (!s.pending) return;
            s.pending = false;
            if (s.have && s.s0 == s.v0 && s.s1 == s.v1) return;
            s.have = true;
            s.s0 = s.v0;
            s.s1 = s.v1;
            add(s.cycle, kCounter, 0,
                head("C", s.name, th, s.cycle) + fmt::format(",\"args\":{{\"{}\":{},\"{}\":{}}}}}", s.k0, s.v0, s.k1, s.v1));
        };
        auto set = [&](Series& s, std::uint64_t cycle, std::uint64_t a, std::uint64_t b) {
            if (s.pending && cycle != s.cycle) flush(s);
            s.pending = true;
            s.cycle = cycle;
            s.v0 = a;
            s.v1 = b;
        };
        for (const TraceEvent& e : t_.events) {
            if (e.unit != unit) continue;
            if (k_pid && e.kind == *k_pid && e.args[1] == 4) set(pid, e.cycle, e.args[3] & 1, e.args[3] >> 1 & 1);
            else if (k_vapic && e.kind == *k_vapic) set(vapic, e.cycle, e.args[0], e.args[1]);
        }
        flush(pid);
        flush(vapic);
    }
}

void Exporter::metadata(std::string& doc) const {
    auto meta = [&](const char* what, int pid, std::uint64_t tid, const std::string& args) {
        doc += fmt::format("{{\"ph\":\"M\",\"name\":\"{}\",\"pid\":{},\"tid\":{},\"args\":{}}},\n", what, pid, tid, args);
    };
    struct Proc {
        int pid;
        const char* name;
        const std::vector<TraceUnit>* units;
    };
    const Proc procs[] = {{kPidPcpu, "pCPUs", &t_.pcpus}, {kPidVcpu, "vCPUs", &t_.vcpus}, {kPidVtd, "VT-d", &t_.vtds},
                          {kPidDev, "NIC", &t_.devs}, {kPidOracle, "oracles", &t_.oracles}};
    for (const Proc& p : procs) {
        if (p.units->empty() || (p.pid == kPidOracle && !oracle_used_)) continue;
        meta("process_name", p.pid, 0, "{\"name\":" + quoted(p.name) + "}");
        meta("process_sort_index", p.pid, 0, fmt::format("{{\"sort_index\":{}}}", p.pid));
        for (std::size_t i = 0; i < p.units->size(); ++i) {
            const std::uint64_t tid = static_cast<std::uint64_t>(p.pid) * 1000 + i;
            meta("thread_name", p.pid, tid, "{\"name\":" + quoted((*p.units)[i].name) + "}");
            meta("thread_sort_index", p.pid, tid, fmt::format("{{\"sort_index\":{}}}", i));
        }
    }
    if (other_used_) {
        meta("process_name", kPidOther, 0, "{\"name\":\"other units\"}");
        meta("process_sort_index", kPidOther, 0, fmt::format("{{\"sort_index\":{}}}", kPidOther));
        meta("thread_name", kPidOther, kPidOther * 1000, "{\"name\":\"other\"}");
        meta("thread_sort_index", kPidOther, kPidOther * 1000, "{\"sort_index\":0}");
    }
}

std::string Exporter::run() {
    end_ = t_.end_cycle;
    if (!t_.events.empty()) end_ = std::max(end_, sat_add(t_.events.back().cycle, 1));  // a trace is input: any cycle
    slice_event_.assign(t_.events.size(), false);
    pcpu_slices();
    vcpu_slices();
    flows_and_events();
    counters();
    std::stable_sort(out_.begin(), out_.end(), [](const Out& a, const Out& b) {
        if (a.cycle != b.cycle) return a.cycle < b.cycle;
        if (a.level != b.level) return a.level < b.level;
        if (a.dur != b.dur) return a.dur > b.dur;
        return a.seq < b.seq;
    });
    std::string doc = "{\"displayTimeUnit\":\"ns\",\"otherData\":{\"format\":\"pisim-trace export\",\"time\":\"1 ns = 1 core cycle\",\"scenario\":" +
                      quoted(t_.scenario) + fmt::format(",\"seed\":{},\"profile\":", json_value(t_.seed)) + quoted(t_.profile) +
                      ",\"irq_mode\":" + quoted(t_.irq_mode) + fmt::format(",\"end_cycle\":{}}},\n\"traceEvents\":[\n", json_value(t_.end_cycle));
    metadata(doc);
    std::size_t size = doc.size() + 4;
    for (const Out& o : out_) size += o.text.size() + 2;
    doc.reserve(size);
    for (std::size_t i = 0; i < out_.size(); ++i) {
        doc += out_[i].text;
        doc += i + 1 < out_.size() ? ",\n" : "\n";
    }
    if (out_.empty() && doc.size() >= 2 && doc[doc.size() - 2] == ',') doc.erase(doc.size() - 2, 1);
    doc += "]}\n";
    return doc;
}

}  // namespace

std::string cycles_as_us(std::uint64_t cycles) { return fmt::format("{}.{:03}", cycles / 1000, cycles % 1000); }

std::string perfetto_json(const Trace& t) { return Exporter(t).run(); }

}  // namespace pisim
