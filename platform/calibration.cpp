#include "platform/calibration.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <limits>

#include "platform/input_error.h"
#include "platform/yaml_util.h"

namespace pisim {

namespace {

// A vCPU named d<domain>v<index> that the scenario has: its global id.
int vcpu_of(const YamlReader& r, const Scenario& s, const YAML::Node& n, const std::string& what) {
    const std::string t = r.str(n, what + " (a vCPU name like d1v0)");
    const auto v = t.find('v');
    const bool ok = t.size() >= 4 && t.size() <= 12 && t[0] == 'd' && v != std::string::npos && v > 1 &&
                    v + 1 < t.size() && t.find_first_not_of("0123456789", 1) == v &&
                    t.find_first_not_of("0123456789", v + 1) == std::string::npos;
    if (!ok) r.fail(n, "expected " + what + " as d<domain>v<index>, got '" + t.substr(0, 40) + "'");
    VcpuRef ref{static_cast<std::uint32_t>(std::stoul(t.substr(1, v - 1))),
                static_cast<std::uint32_t>(std::stoul(t.substr(v + 1)))};
    const int g = s.vcpu_global(ref);
    if (g < 0) r.fail(n, what + " '" + t + "' is not a vCPU of this scenario");
    return g;
}

}  // namespace

CalibrationSpec load_calibration(const Scenario& s) {
    YamlReader r(s.file);
    const YAML::Node doc = r.load_file();
    const YAML::Node c = doc["calibration"];
    if (!c) r.fail(doc, "expected key 'calibration' (a calibration scenario names what it measures and its published figure)");
    r.expect_map(c, "calibration", {"measure", "method", "vcpu", "target", "reason", "mirrors", "published", "known_gap"});
    CalibrationSpec spec;
    for (const char* k : {"measure", "method", "mirrors"})
        if (!c[k]) r.fail(c, std::string("calibration needs '") + k + "'");
    spec.measure = r.str(c["measure"], "calibration.measure");
    if (spec.measure.empty() || spec.measure.size() > 60) r.fail(c["measure"], "calibration.measure: 1 to 60 characters");
    spec.mirrors = r.str(c["mirrors"], "calibration.mirrors");
    if (spec.mirrors.empty()) r.fail(c["mirrors"], "calibration.mirrors: say what the benchmark measures and how this mirrors it");
    spec.method_name = r.choice(c["method"], "calibration.method", {"loop", "ipi_handshake", "exit_handling", "irq_latency"});
    using M = CalibrationSpec::Method;
    spec.method = spec.method_name == "loop"            ? M::Loop
                  : spec.method_name == "ipi_handshake" ? M::IpiHandshake
                  : spec.method_name == "exit_handling" ? M::ExitHandling
                                                        : M::IrqLatency;
    auto need = [&](const char* k) {
        if (!c[k]) r.fail(c, "calibration.method " + spec.method_name + " needs '" + k + "'");
        return c[k];
    };
    if (spec.method == M::Loop || spec.method == M::IpiHandshake) spec.vcpu = vcpu_of(r, s, need("vcpu"), "calibration.vcpu");
    if (spec.method == M::IpiHandshake) {
        spec.target = vcpu_of(r, s, need("target"), "calibration.target");
        if (spec.target == spec.vcpu) r.fail(c["target"], "calibration.target must differ from calibration.vcpu");
    }
    if (spec.method == M::ExitHandling) spec.reason = static_cast<std::uint32_t>(r.u64(need("reason"), "calibration.reason", 0, 65535));
    if (const YAML::Node p = c["published"]) {
        if (!p.IsMap()) r.fail(p, "expected calibration.published (profile name: {cycles, cpu, source})");
        for (const auto& kv : p) {
            const std::string prof = kv.first.Scalar();
            const std::string what = "calibration.published." + prof;
            r.expect_map(kv.second, what, {"cycles", "cpu", "source"});
            for (const char* k : {"cycles", "cpu", "source"})
                if (!kv.second[k]) r.fail(kv.second, what + " needs '" + k + "'");
            PublishedFigure f;
            f.cycles = r.u64(kv.second["cycles"], what + ".cycles", 1, 1000000000ull);
            f.cpu = r.str(kv.second["cpu"], what + ".cpu");
            f.source = r.str(kv.second["source"], what + ".source");
            if (f.cpu.empty() || f.source.empty()) r.fail(kv.second, what + ": cpu and source must not be empty");
            spec.published[prof] = f;
        }
    }
    if (const YAML::Node g = c["known_gap"]) {
        if (!g.IsMap()) r.fail(g, "expected calibration.known_gap (profile name: reason)");
        for (const auto& kv : g) {
            const std::string prof = kv.first.Scalar();
            if (!spec.published.count(prof))
                r.fail(kv.second, "calibration.known_gap." + prof + ": no published figure for that profile");
            spec.known_gap[prof] = r.str(kv.second, "calibration.known_gap." + prof);
            if (spec.known_gap[prof].empty()) r.fail(kv.second, "calibration.known_gap." + prof + " must say why");
        }
    }
    return spec;
}

CalibrationProbe::CalibrationProbe(const CalibrationSpec& spec, const Scenario& s, std::uint64_t vm_exit,
                                   std::uint64_t vm_entry)
    : spec_(spec), vm_exit_(vm_exit), vm_entry_(vm_entry) {
    if (spec.method == CalibrationSpec::Method::Loop) {
        int g = 0;
        for (const auto& d : s.domains)
            for (const auto& v : d.vcpus) {
                if (g == spec.vcpu && !v.program.ops.empty()) loop_op_ = static_cast<int>(v.program.ops[0].kind);
                ++g;
            }
    }
}

void CalibrationProbe::close_handshake() {
    if (ipi_at_ && target_done_ && sender_back_) {
        if (seen_++ >= kWarmup) samples_.push_back(std::max(*target_done_, *sender_back_) - *ipi_at_);
        ipi_at_.reset();
    }
}

void CalibrationProbe::on_event(const Event& e) {
    using M = CalibrationSpec::Method;
    switch (spec_.method) {
        case M::Loop:
            // One guest.op of the program's first op per iteration.
            if (e.kind == EventKind::GuestOp && static_cast<int>(e.unit) == spec_.vcpu &&
                static_cast<int>(e.a) == loop_op_)
                marks_.push_back(e.cycle);
            break;
        case M::IpiHandshake:
            if (e.kind == EventKind::GuestIpi && static_cast<int>(e.unit) == spec_.vcpu) {
                // A new write while one is open: the last one never completed.
                ipi_at_ = e.cycle;
                target_done_.reset();
                sender_back_.reset();
            } else if (ipi_at_ && e.kind == EventKind::GuestIsrEnd && static_cast<int>(e.unit) == spec_.target &&
                       !target_done_) {
                target_done_ = e.cycle;
                close_handshake();
            } else if (ipi_at_ && e.kind == EventKind::CpuVmEntry && static_cast<int>(e.a) == spec_.vcpu &&
                       !sender_back_) {
                sender_back_ = e.cycle;
                close_handshake();
            }
            break;
        case M::ExitHandling:
            // Root mode from the end of the exit's hardware transition
            // (cpu.vm_exit is recorded at its start) to the start of the
            // VM entry (cpu.vm_entry is recorded once its cost is charged).
            if (e.kind == EventKind::CpuVmExit && (e.b & 0xFFFF) == spec_.reason) {
                exit_at_[e.unit] = e.cycle + vm_exit_;
            } else if (e.kind == EventKind::CpuVmEntry) {
                auto it = exit_at_.find(e.unit);
                if (it == exit_at_.end()) break;
                if (e.cycle >= it->second + vm_entry_ && seen_++ >= kWarmup)
                    samples_.push_back(e.cycle - vm_entry_ - it->second);
                exit_at_.erase(it);
            } else if (e.kind == EventKind::CpuVmExit) {
                exit_at_.erase(e.unit);
            }
            break;
        case M::IrqLatency:
            break;
    }
}

std::optional<CalibrationValue> CalibrationProbe::value(std::string& why) const {
    CalibrationValue v;
    if (spec_.method == CalibrationSpec::Method::Loop) {
        if (marks_.size() < kWarmup + kMinSamples + 1) {
            why = fmt::format("{} loop iterations of {} (need {})", marks_.size() > 0 ? marks_.size() - 1 : 0,
                              spec_.measure, kWarmup + kMinSamples);
            return std::nullopt;
        }
        const std::uint64_t span = marks_.back() - marks_[kWarmup];
        v.samples = marks_.size() - 1 - kWarmup;
        v.cycles = (span + v.samples / 2) / v.samples;
        return v;
    }
    if (samples_.size() < kMinSamples) {
        why = fmt::format("{} sample(s) of {} (need {})", samples_.size(), spec_.measure, kMinSamples);
        return std::nullopt;
    }
    std::uint64_t sum = 0;
    for (std::uint64_t x : samples_) {
        if (x > std::numeric_limits<std::uint64_t>::max() - sum) throw std::overflow_error("calibration: cycle sum overflows");
        sum += x;
    }
    v.samples = samples_.size();
    v.cycles = (sum + v.samples / 2) / v.samples;
    return v;
}

std::uint64_t ratio_permille(std::uint64_t value, std::uint64_t published) {
    if (published == 0) throw std::invalid_argument("ratio_permille: published figure is 0");
    if (value > (std::numeric_limits<std::uint64_t>::max() - published / 2) / 1000)
        throw std::overflow_error("ratio_permille: value too large");
    return (value * 1000 + published / 2) / published;
}

std::string format_ratio(std::uint64_t permille) {
    const std::uint64_t hundredths = (permille + 5) / 10;
    return fmt::format("{}.{:02}x", hundredths / 100, hundredths % 100);
}

}  // namespace pisim
