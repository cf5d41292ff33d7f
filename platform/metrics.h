// platform/metrics.h - the figures the CI gate compares (issue 7): latency
// p50/p99/max per interrupt class and overall, per-stage latency, VM exits by
// reason, wakeup latency, hypervisor cycles per handler; plus cycles per hyp
// function, used to say where the cycles went. All integers, cycles or counts.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

namespace pisim {

class Machine;
struct RunReport;

struct RunMetrics {
    std::map<std::string, std::uint64_t> gated;      ///< compared against the baseline
    std::map<std::string, std::uint64_t> functions;  ///< hyp function -> cycles (attribution)
};

/// Collect after Machine::run() (with RunOptions::attribute_functions for
/// `functions`). Metric names: latency.<class>.{p50,p99,max} with class
/// "all" or "<device>.v<msix index>", stage.<stage>.{p50,max},
/// exits.<reason>.<name>, wakeup.{p50,max}, handler.<name>.{mean,max}.
RunMetrics collect_metrics(Machine& m, const RunReport& r);

nlohmann::ordered_json to_json(const RunMetrics& m);
RunMetrics metrics_from_json(const nlohmann::json& j);

}  // namespace pisim
