// platform/explore.h - `pisim explore`: generated race scenarios judged by the
// oracles alone, coverage-guided, every failure shrunk to a scenario file
// that `pisim run` replays exactly (FoundationDB's simulation testing and
// TigerBeetle's VOPR applied to posted interrupts).
//
// Determinism. Case i of an exploration seeded S belongs to lane i % kLanes
// and is either fresh (generate_case from case_seed(S, i)) or derived from a
// case of its own lane that added coverage (mutate_case). A lane's next case
// is made only once all its earlier cases are judged, so what case i is
// depends on S and i alone: the same for any number of jobs, and a shard
// K/N (N dividing kLanes) runs whole lanes exactly as a single run does. A
// --budget run stops starting cases when the time is up and finishes those
// started: it equals a --seeds run of the cases it reached.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "platform/explore_gen.h"
#include "platform/pi_coverage.h"

namespace pisim {

struct ExploreOptions {
    std::uint64_t seed = 1;
    std::uint64_t cases = 0;           ///< --seeds N: run cases 0..N-1 (0: until the budget)
    std::uint64_t budget_seconds = 0;  ///< --budget: stop starting cases after this (0: none)
    unsigned jobs = 1;
    unsigned shard_k = 1, shard_n = 1;  ///< --shard K/N
    std::string hyp_path;               ///< --hyp
    /// --max-wall: wall-clock seconds a case may run (0: no limit); a case
    /// still running then is a failure filed as "timeout", not minimized.
    std::uint64_t max_wall = 0;
    /// --reference-hyp: also run every case on this core ("" for the
    /// built-in one) and fail a case whose hypervisor handlers cost more per
    /// call on the explored core (latency_regressions); unset: no comparison.
    std::optional<std::string> reference_hyp;
    GenConfig gen;
    unsigned keep = 3;         ///< failures kept (written, minimized) per oracle
    bool minimize = true;
    bool guided = true;        ///< false: every case fresh (no corpus)
    /// Called after every judged case (done, failing).
    std::function<void(std::uint64_t, std::uint64_t)> progress;
};

static constexpr unsigned kLanes = 64;

struct CaseResult {
    std::uint64_t index = 0;
    std::uint64_t seed = 0;       ///< the case's own seed (case_seed)
    std::int64_t parent = -1;     ///< case it was derived from, -1 fresh
    std::string mode;             ///< irq mode
    bool failed = false;
    std::vector<std::string> violated;  ///< oracle names, first violation first
    std::string first_message;          ///< the first violation's message, or the crash
    std::uint64_t first_cycle = 0;
    std::uint64_t added = 0;      ///< coverage elements it added to its lane
    double found_after = 0;       ///< seconds from the start when it was judged (failures)
    std::string yaml;             ///< the case (failures, and corpus entries while running)
    std::string minimized;        ///< the shrunk case (kept failures)
    std::size_t minimize_runs = 0;
    nlohmann::ordered_json to_json() const;
    static CaseResult from_json(const nlohmann::json& j);
};

struct ExploreResult {
    std::vector<CaseResult> cases;   ///< by index (only failing ones keep yaml)
    PiCoverage coverage;             ///< union over every case
    std::uint64_t total = 0;         ///< cases judged
    double seconds = 0;              ///< wall time of running the cases
    double shrink_seconds = 0;       ///< wall time of shrinking the kept failures
};

/// The oracle a failure is filed under: the first violated oracle, or
/// "crash" when the simulation itself died.
std::string failure_oracle(const CaseResult& r);

/// Run the exploration.
ExploreResult explore(const ExploreOptions& o);

/// Judge one scenario document in this process (the child's side): run it,
/// collect the violations and the coverage. With `reference_hyp`, the case
/// first runs on that core in a child of this process ("" is the built-in
/// core), and every handler that regressed (latency_regressions) is one more
/// violation, filed as "latency_regression". Exposed for tests.
nlohmann::json judge_case(const YAML::Node& doc, const std::string& name, const std::string& hyp_path,
                          std::uint64_t max_wall = 0, const std::optional<std::string>& reference_hyp = std::nullopt);

/// A handler whose mean cost per call grew on the explored core by at least
/// kRegressionPercent % and kRegressionCycles cycles over the same case run
/// on the reference core. Both cores ran the same scenario; a handler called
/// on one core only is not compared (its path differs, not its cost).
struct HandlerRegression {
    std::string handler;                       ///< hyp_handler_name
    std::uint64_t ref_calls = 0, ref_mean = 0;  ///< calls, cycles per call (reference core)
    std::uint64_t calls = 0, mean = 0;          ///< calls, cycles per call (explored core)
};
static constexpr std::uint64_t kRegressionPercent = 25;
static constexpr std::uint64_t kRegressionCycles = 250;

/// Compare per-handler totals {handler id: (calls, cycles)} of the reference
/// and the explored run (cycles inclusive of nested handlers, HypProfile);
/// regressions, the largest growth per call first.
std::vector<HandlerRegression> latency_regressions(
    const std::map<std::uint32_t, std::pair<std::uint64_t, std::uint64_t>>& reference,
    const std::map<std::uint32_t, std::pair<std::uint64_t, std::uint64_t>>& explored);

}  // namespace pisim
