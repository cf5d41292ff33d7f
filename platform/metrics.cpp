#include "platform/metrics.h"

#include <fmt/format.h>

#include "platform/machine.h"
#include "platform/report.h"

namespace pisim {

RunMetrics collect_metrics(Machine& m, const RunReport& r) {
    RunMetrics out;
    auto put = [&](const std::string& prefix, const LatencySummary& s, bool p99) {
        if (!s.count) return;
        out.gated[prefix + ".p50"] = s.p50;
        if (p99) out.gated[prefix + ".p99"] = s.p99;
        out.gated[prefix + ".max"] = s.max;
    };
    put("latency.all", r.latency, true);
    std::map<std::string, std::vector<std::uint64_t>> by_class;
    for (const IrqRecord& i : r.interrupts) {
        if (!i.delivered) continue;
        std::string dev = fmt::format("{:04x}", i.device);
        for (const auto& d : m.scenario().devices)
            if (d.requester_id == i.device) dev = d.name;
        by_class[fmt::format("{}.v{}", dev, i.vector_index)].push_back(i.latency());
    }
    for (auto& [cls, v] : by_class) put("latency." + cls, summarize(std::move(v)), true);
    for (const auto& [stage, s] : r.stages) put("stage." + stage, s, false);
    for (const auto& [reason, n] : r.vm_exits) out.gated[fmt::format("exits.{}.{}", reason, exit_reason_name(reason))] = n;
    put("wakeup", summarize(m.hub().profile.wakeups()), false);
    for (const auto& [id, h] : m.hub().profile.handlers()) {
        out.gated[fmt::format("handler.{}.mean", hyp_handler_name(id))] = h.count ? h.total / h.count : 0;
        out.gated[fmt::format("handler.{}.max", hyp_handler_name(id))] = h.max;
    }
    out.functions = m.hub().profile.function_cycles();
    return out;
}

nlohmann::ordered_json to_json(const RunMetrics& m) {
    nlohmann::ordered_json j;
    j["metrics"] = m.gated;
    j["functions"] = m.functions;
    return j;
}

RunMetrics metrics_from_json(const nlohmann::json& j) {
    RunMetrics m;
    m.gated = j.at("metrics").get<std::map<std::string, std::uint64_t>>();
    m.functions = j.at("functions").get<std::map<std::string, std::uint64_t>>();
    return m;
}

}  // namespace pisim
