#include "platform/report.h"

#include <array>
#include <iterator>
#include <string_view>

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <tuple>

#include "model/common/cycle_math.h"
#include "platform/enum_names.h"
#include "platform/machine.h"

namespace pisim {

const char* exit_reason_name(std::uint32_t reason) {
    const char* n = trace_enum_value_name(TraceEnum::exit_reason, reason);
    return n ? n : "unknown";
}


std::string bdf_text(std::uint16_t rid) { return fmt::format("{:02x}:{:02x}.{}", rid >> 8, rid >> 3 & 0x1f, rid & 7); }

/// The stage that a step ends, as reported (issue 2 point 7 names).
static const char* stage_ending_at(IrqStep s) {
    switch (s) {
        case IrqStep::VtdRequest: return "device_write";
        case IrqStep::Remapping: return "remapping";
        case IrqStep::Posting: return "posting";
        case IrqStep::HostRemap: return "host_remap";
        case IrqStep::Notification: return "notification";
        case IrqStep::VmExit: return "vm_exit";
        case IrqStep::HypPend: return "hyp";
        case IrqStep::PiProcessing: return "pi_processing";
        case IrqStep::VirtualDelivery: return "virtual_delivery";
        case IrqStep::HostDelivery: return "host_delivery";
        default: return nullptr;
    }
}

const std::vector<std::string>& stage_names() {
    static const std::vector<std::string> n = [] {
        std::vector<std::string> v;
        for (int s = 0; s < static_cast<int>(IrqStep::Count); ++s)
            if (const char* name = stage_ending_at(static_cast<IrqStep>(s))) v.push_back(name);
        return v;
    }();
    return n;
}

std::vector<std::pair<std::string, std::uint64_t>> irq_stages(const IrqRecord& i) {
    std::vector<std::pair<std::string, std::uint64_t>> out;
    for (std::size_t k = 1; k < i.steps.size(); ++k)
        if (const char* n = stage_ending_at(i.steps[k].first)) out.emplace_back(n, i.steps[k].second - i.steps[k - 1].second);
    return out;
}

std::string interrupt_device_name(const RunReport& r, std::size_t k) {
    const std::uint32_t rid = r.interrupts[k].device;
    auto it = r.device_names.find(rid);
    return it != r.device_names.end() ? it->second : bdf_text(static_cast<std::uint16_t>(rid));
}

std::string interrupt_name(const RunReport& r, std::size_t k) {
    return fmt::format("{}#{}", interrupt_device_name(r, k), k < r.interrupt_seq.size() ? r.interrupt_seq[k] : k + 1);
}

LatencySummary summarize(std::vector<std::uint64_t> v) {
    LatencySummary s;
    if (v.empty()) return s;
    std::sort(v.begin(), v.end());
    auto rank = [&](std::uint64_t pct) {  // nearest rank: ceil(pct/100 * n)
        std::size_t r = static_cast<std::size_t>((pct * v.size() + 99) / 100);
        return v[std::max<std::size_t>(r, 1) - 1];
    };
    s.count = v.size();
    s.min = v.front();
    s.max = v.back();
    s.p50 = rank(50);
    s.p99 = rank(99);
    return s;
}

RunReport make_report(Machine& m, std::uint64_t grace) {
    const Scenario& s = m.scenario();
    RunReport r;
    r.scenario_file = s.file;
    r.scenario_name = s.name;
    r.profile = m.profile().name();
    r.irq_mode = s.irq_mode;
    r.hyp_origin = m.hyp->origin;
    r.seed = s.seed;
    r.duration = s.duration;
    r.end_cycle = m.end_cycle();
    r.truncated = m.truncated();
    r.stopped_by = m.stopped_by();
    r.interrupts = m.hub().tracker.records();
    // By device write, then requester ID and tag: two devices writing in one
    // cycle are listed the same way whichever the kernel ran first.
    std::sort(r.interrupts.begin(), r.interrupts.end(), [](const IrqRecord& a, const IrqRecord& b) {
        return std::tie(a.written, a.device, a.tag) < std::tie(b.written, b.device, b.tag);
    });
    for (const DomainSpec& d : s.domains)
        for (std::uint32_t k = 0; k < d.vcpus.size(); ++k) r.vcpu_names.push_back(VcpuRef{d.id, k}.name());
    {
        for (const DeviceSpec& d : s.devices) r.device_names.emplace(d.requester_id, d.name);
        std::map<std::uint32_t, std::uint32_t> seq;  // by requester ID: writes so far
        r.interrupt_seq.reserve(r.interrupts.size());
        for (const IrqRecord& i : r.interrupts) r.interrupt_seq.push_back(++seq[i.device]);
    }
    r.vm_exits = m.exit_counts();
    r.hyp_cycles = m.hyp_cycles();
    r.hyp_handlers = m.hub().profile.handlers();
    r.events = m.hub().events;
    r.trace_hash = m.hub().trace_hash();

    std::vector<std::uint64_t> lat;
    std::map<std::string, std::vector<std::uint64_t>> stage;
    for (const IrqRecord& i : r.interrupts) {
        if (i.faulted) { ++r.faulted; continue; }
        if (i.vcpu < 0 && !i.host) { ++r.unbound; continue; }
        if (!i.delivered) {
            if (sat_add(i.written, grace) >= r.end_cycle) ++r.in_flight;
            else ++r.lost;
            continue;
        }
        ++r.delivered;
        lat.push_back(i.latency());
        for (std::size_t k = 1; k < i.steps.size(); ++k)
            if (const char* n = stage_ending_at(i.steps[k].first))
                stage[n].push_back(i.steps[k].second - i.steps[k - 1].second);
    }
    r.latency = summarize(lat);
    for (auto& [n, v] : stage) r.stages[n] = summarize(std::move(v));

    // VT-d faults and each device's interrupts.
    r.vtd_faults = m.vtd().faults();
    r.vtd_faults_suppressed = m.vtd().stats().suppressed_faults;
    for (const DeviceSpec& d : s.devices) {
        DeviceReport dr;
        dr.name = d.name;
        dr.bdf = d.requester_id;
        dr.requester_id = d.tlp_requester_id;
        for (const IrqRecord& i : r.interrupts) {
            if (i.device != d.requester_id) continue;
            ++dr.written;
            if (i.faulted) ++dr.vtd_faults;
            if (i.step_cycle(IrqStep::Posting) || i.step_cycle(IrqStep::HostRemap)) ++dr.delivered;
            if (i.delivered) ++dr.guest_isr;
        }
        r.devices.push_back(dr);
    }

    const Expectations& x = s.expect;
    if (x.all_delivered && r.lost)
        r.failures.push_back(fmt::format("expect.all_delivered: {} interrupt(s) lost (not delivered within {} cycles of the end)", r.lost, grace));
    if (x.max_latency && r.latency.max > *x.max_latency)
        r.failures.push_back(fmt::format("expect.max_latency: max {} cycles > {}", r.latency.max, *x.max_latency));
    if (x.p99_latency && r.latency.p99 > *x.p99_latency)
        r.failures.push_back(fmt::format("expect.p99_latency: p99 {} cycles > {}", r.latency.p99, *x.p99_latency));
    if (x.min_interrupts && r.delivered < *x.min_interrupts)
        r.failures.push_back(fmt::format("expect.min_interrupts: {} delivered < {}", r.delivered, *x.min_interrupts));
    std::uint64_t total = 0;
    for (const auto& [reason, n] : r.vm_exits) total += n;
    if (x.vm_exits_total_max && total > *x.vm_exits_total_max)
        r.failures.push_back(fmt::format("expect.vm_exits_total: {} exits > {}", total, *x.vm_exits_total_max));
    for (const auto& [reason, max] : x.vm_exits_max) {
        auto it = r.vm_exits.find(reason);
        const std::uint64_t n = it == r.vm_exits.end() ? 0 : it->second;
        if (n > max)
            r.failures.push_back(fmt::format("expect.vm_exits[{} {}]: {} exits > {}", reason, exit_reason_name(reason), n, max));
    }
    if (x.vtd_faults) {
        std::map<std::uint8_t, std::uint64_t> got;
        for (const VtdFaultRecord& f : r.vtd_faults) ++got[static_cast<std::uint8_t>(f.reason)];
        std::set<std::uint8_t> reasons;
        for (const auto& [reason, n] : got) reasons.insert(reason);
        for (const auto& [reason, n] : *x.vtd_faults) reasons.insert(reason);
        for (std::uint8_t reason : reasons) {
            const std::uint64_t want = x.vtd_faults->count(reason) ? x.vtd_faults->at(reason) : 0;
            const std::uint64_t n = got.count(reason) ? got.at(reason) : 0;
            if (n != want)
                r.failures.push_back(fmt::format("expect.vtd_faults[{:#x} {}]: {} recorded, expected {}", reason,
                                                 vtd_fault_reason_name(reason), n, want));
        }
    }
    for (const auto& [name, want] : x.delivered)
        for (const DeviceReport& d : r.devices)
            if (d.name == name && d.delivered != want)
                r.failures.push_back(fmt::format("expect.delivered[{}]: {} of its interrupts passed VT-d, expected {}", name,
                                                 d.delivered, want));
    auto vcpu_name = [&s](int g) {
        int i = 0;
        for (const DomainSpec& d : s.domains)
            for (std::uint32_t k = 0; k < d.vcpus.size(); ++k, ++i)
                if (i == g) return VcpuRef{d.id, k}.name();
        return std::to_string(g);
    };
    for (const auto& [key, want] : x.isr_counts) {
        auto it = m.hub().isr_counts.find(key);
        const std::uint64_t n = it == m.hub().isr_counts.end() ? 0 : it->second;
        if (n != want)
            r.failures.push_back(fmt::format("expect.isr_counts[{}][{:#x}]: {} guest ISR entries, expected {}",
                                             vcpu_name(key.first), key.second, n, want));
    }
    r.violations = m.violations();
    std::set<std::string> seen;
    for (const Violation& v : r.violations) {
        seen.insert(v.oracle);
        const bool expected = std::find(x.violations.begin(), x.violations.end(), v.oracle) != x.violations.end();
        if (!expected) r.failures.push_back(fmt::format("oracle {} violated at cycle {}: {}", v.oracle, v.cycle, v.message));
    }
    for (const std::string& want : x.violations)
        if (!seen.count(want))
            r.failures.push_back(fmt::format("expect.violations: oracle {} was expected to be violated but held", want));
    return r;
}

std::string format_text(const RunReport& r, bool per_interrupt) {
    std::string out;
    out += fmt::format("pisim: {} ({})\n", r.scenario_name.empty() ? r.scenario_file : r.scenario_name, r.scenario_file);
    out += fmt::format("  profile {}, irq_mode {}, seed {}, hypervisor {}, {} cycles simulated\n\n", r.profile,
                       r.irq_mode, r.seed, r.hyp_origin, r.end_cycle);
    auto vcpu_name = [&r](int g) {
        return g >= 0 && static_cast<std::size_t>(g) < r.vcpu_names.size() ? r.vcpu_names[static_cast<std::size_t>(g)]
                                                                            : std::to_string(g);
    };
    if (per_interrupt) {
        // Columns: the stages some interrupt went through, in path order.
        // column_of[step]: the column of the stage ending at that step, or 0.
        constexpr std::size_t kSteps = static_cast<std::size_t>(IrqStep::Count);
        std::array<bool, kSteps> used{};
        for (const IrqRecord& i : r.interrupts)
            for (std::size_t k = 1; k < i.steps.size(); ++k)
                if (stage_ending_at(i.steps[k].first)) used[static_cast<std::size_t>(i.steps[k].first)] = true;
        std::vector<std::string> head = {"irq", "tag", "device", "vcpu", "vector", "written_at"};
        const std::size_t fixed = head.size();
        std::array<std::size_t, kSteps> column_of{};
        for (std::size_t st = 0; st < kSteps; ++st)  // IrqStep is in path order
            if (used[st]) {
                column_of[st] = head.size();
                head.emplace_back(stage_ending_at(static_cast<IrqStep>(st)));
            }
        head.push_back("total");
        // A row's cells, made twice (widths, then text) rather than kept: a
        // run may have millions of interrupts. Cells are views into `buf`
        // (offsets), formatted without a string per cell.
        fmt::memory_buffer buf;
        std::vector<std::pair<std::size_t, std::size_t>> cells(head.size());
        auto cell = [&](std::size_t c, auto&&... args) {
            const std::size_t from = buf.size();
            fmt::format_to(std::back_inserter(buf), std::forward<decltype(args)>(args)...);
            cells[c] = {from, buf.size() - from};
        };
        auto text = [&](std::size_t c, std::string_view v) {
            const std::size_t from = buf.size();
            buf.append(v);
            cells[c] = {from, v.size()};
        };
        auto row = [&](std::size_t k) {
            buf.clear();
            const IrqRecord& i = r.interrupts[k];
            const std::string dev = interrupt_device_name(r, k);
            cell(0, "{}#{}", dev, k < r.interrupt_seq.size() ? r.interrupt_seq[k] : k + 1);
            cell(1, "{:#x}", i.tag);
            text(2, dev);
            if (i.host) text(3, "host");
            else if (i.vcpu < 0) text(3, "-");
            else text(3, vcpu_name(i.vcpu));
            if (i.vcpu < 0 && !i.host) text(4, "-");
            else cell(4, "{:#04x}", i.vector);
            cell(5, "{}", i.written);
            for (std::size_t c = fixed; c + 1 < head.size(); ++c) text(c, "-");
            for (std::size_t k2 = 1; k2 < i.steps.size(); ++k2)
                if (stage_ending_at(i.steps[k2].first))
                    cell(column_of[static_cast<std::size_t>(i.steps[k2].first)], "{}",
                         i.steps[k2].second - i.steps[k2 - 1].second);
            if (i.delivered) cell(head.size() - 1, "{}", i.latency());
            else if (i.faulted) cell(head.size() - 1, "fault {:#x}", i.fault_reason);
            else text(head.size() - 1, i.vcpu < 0 && !i.host ? "unbound" : "undelivered");
        };
        std::vector<std::size_t> width(head.size());
        for (std::size_t c = 0; c < head.size(); ++c) width[c] = head[c].size();
        for (std::size_t k = 0; k < r.interrupts.size(); ++k) {
            row(k);
            for (std::size_t c = 0; c < head.size(); ++c) width[c] = std::max(width[c], cells[c].second);
        }
        auto line = [&](auto&& value) {  // value(c): the text of column c
            const std::size_t start = out.size();
            for (std::size_t c = 0; c < head.size(); ++c) {
                const std::string_view v = value(c);
                const std::size_t pad = width[c] > v.size() ? width[c] - v.size() : 0;
                // Names left-aligned, numbers right-aligned.
                if (c >= 4) out.append(pad, ' ');
                out += v;
                if (c < 4) out.append(pad, ' ');
                if (c + 1 < head.size()) out += ' ';
            }
            while (out.size() > start && out.back() == ' ') out.pop_back();
            out += '\n';
        };
        line([&](std::size_t c) { return std::string_view(head[c]); });
        for (std::size_t k = 0; k < r.interrupts.size(); ++k) {
            row(k);
            line([&](std::size_t c) { return std::string_view(buf.data() + cells[c].first, cells[c].second); });
        }
        out += "\n";
    }
    out += fmt::format("interrupts: {} written, {} delivered, {} lost, {} in flight at the end, {} blocked by VT-d faults\n",
                       r.interrupts.size(), r.delivered, r.lost, r.in_flight, r.faulted);
    out += fmt::format("latency (cycles, device write to guest ISR): p50 {}  p99 {}  max {}  min {}\n", r.latency.p50,
                       r.latency.p99, r.latency.max, r.latency.min);
    if (!r.stages.empty()) {
        out += "stages (cycles):";
        for (const std::string& c : stage_names()) {
            auto it = r.stages.find(c);
            if (it != r.stages.end()) out += fmt::format("  {} p50 {} max {};", c, it->second.p50, it->second.max);
        }
        out.back() = '\n';
    }
    if (!r.vtd_faults.empty() || r.vtd_faults_suppressed) {
        std::map<std::uint8_t, std::uint64_t> by;
        for (const VtdFaultRecord& f : r.vtd_faults) ++by[static_cast<std::uint8_t>(f.reason)];
        out += fmt::format("vt-d faults: {} recorded, {} suppressed by FPD", r.vtd_faults.size(), r.vtd_faults_suppressed);
        for (const auto& [reason, n] : by) out += fmt::format("  {:#x} {}: {}", reason, vtd_fault_reason_name(reason), n);
        out += "\n";
    }
    if (r.devices.size() > 1 || (r.devices.size() == 1 && r.devices[0].vtd_faults)) {
        for (const DeviceReport& d : r.devices)
            out += fmt::format("device {} ({}{}): {} written, {} blocked by VT-d, {} delivered by VT-d, {} reached a guest ISR\n",
                               d.name, bdf_text(d.bdf),
                               d.requester_id != d.bdf ? ", writes as " + bdf_text(d.requester_id) : std::string(), d.written,
                               d.vtd_faults, d.delivered, d.guest_isr);
    }
    std::uint64_t total = 0;
    for (const auto& [reason, n] : r.vm_exits) total += n;
    out += fmt::format("vm exits: {}", total);
    for (const auto& [reason, n] : r.vm_exits) out += fmt::format("  {} {}: {}", reason, exit_reason_name(reason), n);
    out += fmt::format("\nhypervisor cycles: {}", r.hyp_cycles);
    if (!r.hyp_handlers.empty()) {
        out += "\nhypervisor handlers (calls, cycles in all, max):";
        for (const auto& [id, h] : r.hyp_handlers)
            out += fmt::format("  {}: {}, {}, {};", hyp_handler_name(id), h.count, h.total, h.max);
        out.back() = ' ';
        while (out.back() == ' ') out.pop_back();
    }
    out += fmt::format("\nevents: {}, trace hash {:016x}\n", r.events, r.trace_hash);
    for (const Violation& v : r.violations) {
        out += fmt::format("violation: {} at cycle {}{}{}: {}\n", v.oracle, v.cycle,
                           v.detected_cycle != v.cycle ? fmt::format(" (detected at cycle {})", v.detected_cycle) : std::string(),
                           v.vcpu >= 0 ? fmt::format(" (vCPU {})", vcpu_name(v.vcpu)) : std::string(), v.message);
        for (const std::string& h : v.history) out += "    " + h + "\n";
    }
    if (r.truncated)
        out += fmt::format("result: TRUNCATED at cycle {} of {} by a run limit{} (expectations not judged)\n", r.end_cycle,
                           r.duration, r.stopped_by.empty() ? std::string() : " (stopped by " + r.stopped_by + ")");
    else if (r.passed()) {
        out += r.violations.empty() ? "result: PASS (all expectations held)\n"
                                    : "result: PASS (the expected violations occurred)\n";
    } else {
        out += "result: FAIL\n";
        for (const auto& f : r.failures) out += "  - " + f + "\n";
    }
    return out;
}

nlohmann::ordered_json to_json(const RunReport& r) {
    using J = nlohmann::ordered_json;
    auto summ = [](const LatencySummary& s) {
        return J{{"count", s.count}, {"p50", s.p50}, {"p99", s.p99}, {"max", s.max}, {"min", s.min}};
    };
    J j;
    j["format"] = "pisim-run";
    j["version"] = 1;
    j["scenario"] = {{"file", r.scenario_file}, {"name", r.scenario_name}, {"seed", r.seed},
                     {"profile", r.profile}, {"irq_mode", r.irq_mode}, {"hypervisor", r.hyp_origin},
                     {"duration", r.duration}, {"end_cycle", r.end_cycle}, {"truncated", r.truncated}};
    if (r.truncated && !r.stopped_by.empty()) j["scenario"]["stopped_by"] = r.stopped_by;
    J irqs = J::array();
    auto vcpu_name = [&r](int g) -> J {
        if (g < 0 || static_cast<std::size_t>(g) >= r.vcpu_names.size()) return nullptr;
        return r.vcpu_names[static_cast<std::size_t>(g)];
    };
    for (std::size_t k = 0; k < r.interrupts.size(); ++k) {
        const IrqRecord& i = r.interrupts[k];
        J steps = J::array();
        for (const auto& [s, c] : i.steps) steps.push_back({{"step", irq_step_name(s)}, {"cycle", c}});
        J ji = {{"name", interrupt_name(r, k)}, {"tag", i.tag}, {"device", i.device}, {"device_name", interrupt_device_name(r, k)},
                {"vector_index", i.vector_index}, {"vcpu", i.vcpu}, {"vcpu_name", i.host ? J("host") : vcpu_name(i.vcpu)},
                {"vector", i.vector}, {"written", i.written}, {"delivered", i.delivered}};
        if (i.delivered) ji["latency"] = i.latency();
        J stages = J::object();
        for (const auto& [n, c] : irq_stages(i)) stages[n] = c;
        ji["stages"] = stages;
        if (i.faulted) ji["fault_reason"] = i.fault_reason;
        if (i.host) ji["host"] = true;
        ji["steps"] = steps;
        irqs.push_back(ji);
    }
    j["interrupts"] = irqs;
    J stages = J::object();
    for (const auto& [n, s] : r.stages) stages[n] = summ(s);
    J handlers = J::object();
    for (const auto& [id, h] : r.hyp_handlers)
        handlers[hyp_handler_name(id)] = {{"id", id}, {"count", h.count}, {"cycles", h.total}, {"max", h.max}};
    J exits = J::object();
    for (const auto& [reason, n] : r.vm_exits) exits[std::to_string(reason)] = {{"name", exit_reason_name(reason)}, {"count", n}};
    j["summary"] = {{"written", r.interrupts.size()}, {"delivered", r.delivered}, {"lost", r.lost},
                    {"in_flight", r.in_flight}, {"faulted", r.faulted}, {"unbound", r.unbound},
                    {"latency", summ(r.latency)}, {"stages", stages}, {"vm_exits", exits},
                    {"hyp_cycles", r.hyp_cycles}, {"hyp_handlers", handlers}, {"events", r.events},
                    {"trace_hash", fmt::format("{:016x}", r.trace_hash)}};
    J devs = J::array();
    for (const DeviceReport& d : r.devices)
        devs.push_back({{"name", d.name}, {"bdf", bdf_text(d.bdf)}, {"requester_id", bdf_text(d.requester_id)},
                        {"written", d.written}, {"vtd_faults", d.vtd_faults}, {"delivered", d.delivered},
                        {"guest_isr", d.guest_isr}});
    j["devices"] = devs;
    {
        std::map<std::uint8_t, std::uint64_t> by;
        for (const VtdFaultRecord& f : r.vtd_faults) ++by[static_cast<std::uint8_t>(f.reason)];
        J by_reason = J::object();
        for (const auto& [reason, n] : by)
            by_reason[fmt::format("{:#x}", reason)] = {{"name", vtd_fault_reason_name(reason)}, {"count", n}};
        J records = J::array();
        for (const VtdFaultRecord& f : r.vtd_faults)
            records.push_back({{"cycle", f.cycle}, {"reason", fmt::format("{:#x}", static_cast<unsigned>(f.reason))},
                               {"requester_id", bdf_text(f.requester_id)}, {"index", f.index}, {"tag", f.tag}});
        j["vtd_faults"] = {{"recorded", r.vtd_faults.size()}, {"suppressed", r.vtd_faults_suppressed},
                           {"by_reason", by_reason}, {"records", records}};
    }
    J viol = J::array();
    for (const Violation& v : r.violations)
        viol.push_back({{"oracle", v.oracle}, {"cycle", v.cycle}, {"detected_cycle", v.detected_cycle}, {"vcpu", v.vcpu},
                        {"vcpu_name", vcpu_name(v.vcpu)}, {"message", v.message}, {"history", v.history}});
    j["violations"] = viol;
    j["result"] = {{"passed", r.passed()}, {"failures", r.failures}};
    return j;
}

}  // namespace pisim
