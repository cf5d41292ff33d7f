// platform/sweep.h - the race engine's exploration (issue 5 points 4-5,
// issue 8 points 5-6): a scenario run at many points, each point a set of
// assignments to integer fields of the scenario document (a YAML path such as
// events.0.at). Every point runs in its own process, forked after the
// scenario is loaded (SystemC elaborates once per process); results are
// collected by point index, so the table and files are identical for any
// number of jobs and for any sharding.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "platform/scenario_text.h"  // yaml_text

namespace pisim {

/// --vary PATH=START:END[:STEP] (inclusive END).
struct Vary {
    std::string path;
    std::uint64_t start = 0, end = 0, step = 1;
};
/// Parse "PATH=START:END[:STEP]"; throws std::invalid_argument with a message.
Vary parse_vary(const std::string& arg);

struct SweepPoint {
    std::size_t index = 0;
    std::vector<std::pair<std::string, std::uint64_t>> set;  ///< path -> value
};

/// The grid of all combinations, first --vary outermost.
std::vector<SweepPoint> grid_points(const std::vector<Vary>& v);
/// `n` random points from `seed`: each --vary sampled in its range; with no
/// --vary, every timed event's `at` in [0, duration).
std::vector<SweepPoint> random_points(const YAML::Node& doc, const std::vector<Vary>& v, std::size_t n,
                                      std::uint64_t seed);

/// A clone of `doc` with the point's assignments applied. Throws
/// std::invalid_argument when a path does not name an integer field.
YAML::Node apply_point(const YAML::Node& doc, const SweepPoint& p);

/// Check every --vary once, before any point runs: its path names an
/// existing scalar of `doc` holding an integer (an event's `at`, a traffic
/// `start`, `seed`, ...), and the scenario with START and with END at that
/// path (the other fields as in `doc`) loads. Throws InputError: a bad path
/// at `file` (no line), a field that is not an integer at its line and column,
/// a value the loader refuses with the loader's line, column and message,
/// each naming the --vary. Returns the loader's warnings at START and END
/// (traffic that never fires there), each naming the --vary value.
/// `text` is the file's text (`doc` its parse): the scenario at a value is
/// then read from the edited text, so the loader's messages have its lines.
std::vector<std::string> check_varies(const YAML::Node& doc, const std::string& text, const std::string& file,
                                      const std::vector<Vary>& v);

struct PointResult {
    std::size_t index = 0;
    std::vector<std::pair<std::string, std::uint64_t>> set;
    int exit_code = 0;                   ///< as `pisim run` would exit; 4: the core crashed, or the point's process died by a signal (error says which)
    std::vector<std::string> violated;   ///< oracle names, in order of first violation
    std::vector<std::string> failures;
    std::uint64_t delivered = 0, lost = 0, p99 = 0, max = 0;
    std::string trace_hash;              ///< empty when the point has no report (bad input, a crashed process)
    std::string error;                   ///< bad input at this point (exit 2)
    std::string scenario_yaml;           ///< the point as a standalone scenario (failing points)
    std::string minimized_yaml;          ///< after --minimize (failing points)
    bool failed() const { return exit_code != 0; }
    /// The point ran to a report (delivered and lost are counts of it).
    bool has_report() const { return !trace_hash.empty(); }
    /// p99 and max are latencies of delivered interrupts (else there are none).
    bool has_latency() const { return has_report() && delivered > 0; }
};
/// The point's outcome by name, as the table shows it: pass, FAIL, error
/// (bad input, exit 2), stopped (a limit, exit 3), crash (exit 4).
std::string outcome_name(const PointResult& r);
/// The point as results.json holds it: its fields and "outcome" (outcome_name).
nlohmann::ordered_json to_json(const PointResult& r);
PointResult point_from_json(const nlohmann::json& j);

struct SweepOptions {
    unsigned jobs = 1;
    std::string hyp_path;       ///< --hyp
    std::uint64_t grace = 0;    ///< as pisim run --grace (0: default)
    /// Each point's limits, as pisim run --max-cycles / --max-wall (0: none).
    /// A point they stop exits 3 ("stopped by ..."), is not minimized.
    std::uint64_t max_cycles = 0, max_wall = 0;
    /// The scenario file's text (run_points' `doc` is its parse): a failing
    /// point's scenario_yaml is then this text edited at the varied fields,
    /// comments kept (platform/scenario_text.h); empty: the tree re-emitted.
    std::string source_text;
    std::function<void(std::size_t done, std::size_t total, std::size_t failing)> progress;
};

/// Run the points, up to opts.jobs at once, each in a child process. The
/// result vector is in the order of `points`.
std::vector<PointResult> run_points(const YAML::Node& doc, const std::string& file,
                                    const std::vector<SweepPoint>& points, const SweepOptions& opts);

/// Shrink a failing point's scenario while it still fails with the same
/// first violated oracle (or, without one, still fails): drop timed events,
/// perturbations, devices, queues, vCPUs, domains, guest program operations
/// and a pCPU; halve perturbation delays, traffic counts and the duration.
/// Returns the smallest document found and the number of runs it took.
std::pair<YAML::Node, std::size_t> minimize(const YAML::Node& failing, const std::string& file,
                                            const PointResult& original, const SweepOptions& opts);

}  // namespace pisim
