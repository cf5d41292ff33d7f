#include "platform/sweep.h"

#include <fmt/format.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>

#include "platform/child_process.h"
#include "platform/crash_report.h"
#include "platform/input_error.h"
#include "platform/machine.h"
#include "platform/report.h"
#include "platform/scenario.h"
#include "platform/scenario_text.h"
#include "platform/strict_int.h"
#include "platform/utf8.h"

namespace pisim {

Vary parse_vary(const std::string& arg) {
    const auto eq = arg.find('=');
    if (eq == std::string::npos || eq == 0)
        throw std::invalid_argument("--vary expects PATH=START:END[:STEP], got '" + arg + "'");
    Vary v;
    v.path = arg.substr(0, eq);
    std::vector<std::uint64_t> nums;
    std::stringstream ss(arg.substr(eq + 1));
    std::string part;
    while (std::getline(ss, part, ':')) {
        std::uint64_t x = 0;
        if (!parse_u64_strict(part, x))
            throw std::invalid_argument("--vary " + v.path + ": '" + part +
                                        "' is not a decimal integer of 64 bits (no sign, no leading zero)");
        nums.push_back(x);
    }
    if (nums.size() < 2 || nums.size() > 3)
        throw std::invalid_argument("--vary expects PATH=START:END[:STEP], got '" + arg + "'");
    v.start = nums[0];
    v.end = nums[1];
    v.step = nums.size() == 3 ? nums[2] : 1;
    if (v.step == 0 || v.end < v.start)
        throw std::invalid_argument("--vary " + v.path + ": needs START <= END and STEP > 0");
    if ((v.end - v.start) / v.step >= 10000000)
        throw std::invalid_argument("--vary " + v.path + ": more than 10,000,000 values");
    return v;
}

std::vector<SweepPoint> grid_points(const std::vector<Vary>& vs) {
    std::vector<SweepPoint> pts(1);
    for (const Vary& v : vs) {
        std::vector<SweepPoint> next;
        for (const SweepPoint& p : pts)
            for (std::uint64_t x = v.start; x <= v.end; x += v.step) {
                SweepPoint q = p;
                q.set.emplace_back(v.path, x);
                next.push_back(std::move(q));
                if (x > v.end - v.step) break;  // no overflow past END
            }
        pts.swap(next);
        if (pts.size() > 10000000) throw std::invalid_argument("the grid has more than 10,000,000 points");
    }
    for (std::size_t i = 0; i < pts.size(); ++i) pts[i].index = i;
    return pts;
}

std::vector<SweepPoint> random_points(const YAML::Node& doc, const std::vector<Vary>& vs, std::size_t n,
                                      std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<Vary> ranges = vs;
    if (ranges.empty()) {
        const std::uint64_t duration = doc["duration"] ? doc["duration"].as<std::uint64_t>() : 0;
        if (doc["events"] && doc["events"].IsSequence())
            for (std::size_t i = 0; i < doc["events"].size(); ++i)
                ranges.push_back({fmt::format("events.{}.at", i), 0, duration ? duration - 1 : 0, 1});
        if (ranges.empty()) throw std::invalid_argument("--random without --vary needs timed events to move");
    }
    std::vector<SweepPoint> pts(n);
    for (std::size_t i = 0; i < n; ++i) {
        pts[i].index = i;
        for (const Vary& v : ranges) {
            const std::uint64_t count = (v.end - v.start) / v.step + 1;
            pts[i].set.emplace_back(v.path, v.start + (rng() % count) * v.step);
        }
    }
    return pts;
}

namespace {
/// Walk `path` (dot-separated keys and list indices) to an existing scalar.
YAML::Node walk(YAML::Node n, const std::string& path) {
    std::stringstream ss(path);
    std::string part;
    while (std::getline(ss, part, '.')) {
        if (n.IsSequence()) {
            std::uint64_t i = 0;
            if (!parse_u64_strict(part, i) || i >= n.size())
                throw std::invalid_argument("path " + path + ": no list element '" + part + "'");
            n.reset(n[static_cast<std::size_t>(i)]);
        } else if (n.IsMap()) {
            if (!n[part]) throw std::invalid_argument("path " + path + ": no key '" + part + "'");
            n.reset(n[part]);
        } else {
            throw std::invalid_argument("path " + path + ": '" + part + "' is below a scalar");
        }
    }
    if (!n.IsScalar()) throw std::invalid_argument("path " + path + " does not name a scalar field");
    return n;
}
}  // namespace

YAML::Node apply_point(const YAML::Node& doc, const SweepPoint& p) {
    YAML::Node out = YAML::Clone(doc);
    for (const auto& [path, value] : p.set) {
        YAML::Node field = walk(out, path);
        field = value;
    }
    return out;
}

std::vector<std::string> check_varies(const YAML::Node& doc, const std::string& text, const std::string& file,
                                      const std::vector<Vary>& vs) {
    std::vector<std::string> warnings;
    // What the scenario itself is warned about is said once, by the caller.
    const std::vector<std::string> base = load_scenario_node(doc, file).warnings;
    for (const Vary& v : vs) {
        const std::string what = fmt::format("--vary {}={}:{}{}", v.path, v.start, v.end,
                                             v.step == 1 ? std::string() : fmt::format(":{}", v.step));
        YAML::Node field;
        try {
            field = walk(doc, v.path);
        } catch (const std::invalid_argument& e) {
            throw InputError(file, 0, 0, what + ": " + e.what());
        }
        std::uint64_t now = 0;
        if (!parse_u64_strict(field.Scalar(), now) && field.Scalar().rfind("0x", 0) != 0)
            throw InputError(file, field.Mark().line + 1, field.Mark().column + 1,
                             fmt::format("{}: {} holds '{}', not an integer", what, v.path, field.Scalar()));
        for (const std::uint64_t x : {v.start, v.end}) {
            SweepPoint p;
            p.set.emplace_back(v.path, x);
            try {
                // From the edited text when it can be (the loader's marks are
                // then the file's lines), else from the tree.
                const std::optional<std::string> edited = edited_point_text(text, doc, p.set);
                const YAML::Node at = edited ? YAML::Load(*edited) : apply_point(doc, p);
                for (const auto& w : load_scenario_node(at, file).warnings)
                    if (std::find(base.begin(), base.end(), w) == base.end())
                        warnings.push_back(fmt::format("{} (with {} = {})", w, v.path, x));
            } catch (const InputError& e) {
                throw InputError(e.file, e.line, e.column, fmt::format("{}: {} = {} makes the scenario invalid: {}", what, v.path, x, e.message));
            }
        }
    }
    return warnings;
}

std::string outcome_name(const PointResult& r) {
    switch (r.exit_code) {
        case 0: return "pass";
        case 2: return "error";
        case 3: return "stopped";
        case 4: return "crash";
        default: return "FAIL";
    }
}

nlohmann::ordered_json to_json(const PointResult& r) {
    nlohmann::ordered_json set = nlohmann::ordered_json::object();
    for (const auto& [k, v] : r.set) set[k] = v;
    nlohmann::ordered_json j = {{"index", r.index},        {"set", set},
                                {"outcome", outcome_name(r)}, {"exit_code", r.exit_code}, {"violated", r.violated},
                                {"failures", r.failures},   {"delivered", r.delivered},
                                {"lost", r.lost},           {"p99", nullptr},
                                {"max", nullptr},           {"trace_hash", r.trace_hash}};
    // A point without delivered interrupts has no latencies: null, not 0.
    if (r.has_latency()) j["p99"] = r.p99, j["max"] = r.max;
    if (!r.error.empty()) j["error"] = r.error;
    if (!r.scenario_yaml.empty()) j["scenario"] = r.scenario_yaml;
    if (!r.minimized_yaml.empty()) j["minimized"] = r.minimized_yaml;
    return j;
}

PointResult point_from_json(const nlohmann::json& j) {
    PointResult r;
    r.index = j.at("index").get<std::size_t>();
    for (const auto& [k, v] : j.at("set").items()) r.set.emplace_back(k, v.get<std::uint64_t>());
    r.exit_code = j.at("exit_code").get<int>();
    r.violated = j.at("violated").get<std::vector<std::string>>();
    r.failures = j.at("failures").get<std::vector<std::string>>();
    r.delivered = j.at("delivered").get<std::uint64_t>();
    r.lost = j.at("lost").get<std::uint64_t>();
    r.p99 = j.at("p99").is_null() ? 0 : j.at("p99").get<std::uint64_t>();
    r.max = j.at("max").is_null() ? 0 : j.at("max").get<std::uint64_t>();
    r.trace_hash = j.at("trace_hash").get<std::string>();
    if (j.contains("error")) r.error = j["error"].get<std::string>();
    if (j.contains("scenario")) r.scenario_yaml = j["scenario"].get<std::string>();
    if (j.contains("minimized")) r.minimized_yaml = j["minimized"].get<std::string>();
    return r;
}

namespace {

/// Body of a point's child process: elaborate, run, report.
PointResult run_in_this_process(const YAML::Node& doc, const std::string& file, const SweepOptions& o) {
    PointResult r;
    // A crash of the core is reported as `pisim run` reports it (core,
    // signal, function, pCPU, cycle), handed back as this point's result.
    install_crash_report({o.hyp_path.empty() ? std::string("built-in") : o.hyp_path, nullptr,
                          [](const std::string& message, std::uint64_t) {
                              PointResult c;
                              c.exit_code = kExitCoreCrashed;
                              c.error = message.rfind("pisim: ", 0) == 0 ? message.substr(7) : message;
                              c.failures.push_back(c.error);
                              child_exit_with(json_text(to_json(c)));
                          }});
    try {
        Scenario s = load_scenario_node(doc, file);
        TimingProfile p = resolve_profile(s);
        RunOptions ro;
        ro.hyp_path = o.hyp_path;
        ro.max_wall = o.max_wall;  // from the core's boot on
        Machine m(s, p, ro);
        m.run(o.max_cycles, o.max_wall);
        const std::uint64_t grace = o.grace ? o.grace : std::max<std::uint64_t>(s.duration / 20, 100000);
        RunReport rep = make_report(m, grace);
        r.exit_code = rep.truncated ? 3 : rep.passed() ? 0 : 1;
        if (rep.truncated)
            r.error = fmt::format("stopped by {} at cycle {} of {}{}", rep.stopped_by, rep.end_cycle, rep.duration,
                                  m.stopped_in_boot().empty() ? std::string()
                                                              : " (in the core's " + m.stopped_in_boot() + ", before the simulation started)");
        for (const Violation& v : rep.violations)
            if (std::find(r.violated.begin(), r.violated.end(), v.oracle) == r.violated.end())
                r.violated.push_back(v.oracle);
        r.failures = rep.failures;
        r.delivered = rep.delivered;
        r.lost = rep.lost;
        r.p99 = rep.latency.p99;
        r.max = rep.latency.max;
        r.trace_hash = fmt::format("{:016x}", rep.trace_hash);
    } catch (const InputError& e) {
        r.exit_code = 2;
        r.error = e.what();
    } catch (const std::exception& e) {
        r.exit_code = 2;
        r.error = e.what();
    }
    return r;
}

}  // namespace

std::vector<PointResult> run_points(const YAML::Node& doc, const std::string& file,
                                    const std::vector<SweepPoint>& points, const SweepOptions& opts) {
    std::vector<PointResult> results(points.size());
    warm_block_pricers({opts.hyp_path});
    prime_crash_report();
    ChildPool pool(opts.jobs);
    std::size_t next = 0, done = 0, failing = 0;
    while (done < points.size()) {
        while (!pool.full() && next < points.size()) {
            const std::size_t slot = next++;
            YAML::Node pdoc;
            try {
                pdoc = apply_point(doc, points[slot]);
            } catch (const std::exception& e) {
                results[slot].index = points[slot].index;
                results[slot].set = points[slot].set;
                results[slot].exit_code = 2;
                results[slot].error = e.what();
                ++done;
                continue;
            }
            pool.start(slot, [&, pdoc] { return json_text(to_json(run_in_this_process(pdoc, file, opts))); });
        }
        if (pool.idle()) continue;
        auto [slot, c] = pool.wait_one();
        PointResult r;
        if (c.ok && !c.output.empty()) {
            r = point_from_json(nlohmann::json::parse(c.output));
        } else {
            // Died by a signal outside the core (pisim's own fault): a crash
            // all the same, named.
            r.exit_code = c.signal ? kExitCoreCrashed : 1;
            r.error = c.error.empty() ? "the simulation process wrote no result" : c.error;
            r.failures.push_back(r.error);
        }
        r.index = points[slot].index;
        r.set = points[slot].set;
        if (r.failed()) {
            ++failing;
            // The user's text at the point's values, comments kept; the
            // re-emitted tree when the text cannot be edited in place.
            std::optional<std::string> text;
            if (!opts.source_text.empty()) text = edited_point_text(opts.source_text, doc, points[slot].set);
            if (!text) {
                YAML::Node pdoc = apply_point(doc, points[slot]);
                if (pdoc.IsMap()) pdoc.remove("provenance");  // the writer adds this run's
                text = yaml_text(pdoc);
            }
            r.scenario_yaml = std::move(*text);
        }
        results[slot] = std::move(r);
        ++done;
        if (opts.progress) opts.progress(done, points.size(), failing);
    }
    return results;
}

namespace {
bool still_fails(const PointResult& r, const PointResult& original) {
    if (r.exit_code == 2) return false;  // a reduction that makes the file invalid
    if (r.exit_code == 3) return false;  // stopped by a limit: not judged
    if (!r.failed()) return false;
    // A crash shrinks to a crash, nothing else does.
    if ((original.exit_code == kExitCoreCrashed) != (r.exit_code == kExitCoreCrashed)) return false;
    if (original.violated.empty()) return true;
    return std::find(r.violated.begin(), r.violated.end(), original.violated.front()) != r.violated.end();
}

/// Candidate reductions of `doc`, smallest-impact last.
std::vector<YAML::Node> reductions(const YAML::Node& doc) {
    std::vector<YAML::Node> out;
    auto drop = [&](const char* list) {
        if (!doc[list] || !doc[list].IsSequence()) return;
        for (std::size_t i = doc[list].size(); i-- > 0;) {
            YAML::Node c = YAML::Clone(doc);
            c[list].remove(i);
            if (c[list].size() == 0) c.remove(list);
            out.push_back(c);
        }
    };
    drop("events");
    drop("perturb");
    if (doc["perturb"] && doc["perturb"].IsSequence())
        for (std::size_t i = 0; i < doc["perturb"].size(); ++i) {
            const YAML::Node d = doc["perturb"][i]["delay"];
            if (!d || d.as<std::uint64_t>() < 2) continue;
            YAML::Node c = YAML::Clone(doc);
            c["perturb"][i]["delay"] = d.as<std::uint64_t>() / 2;
            out.push_back(c);
        }
    drop("devices");
    if (doc["devices"] && doc["devices"].IsSequence())
        for (std::size_t d = 0; d < doc["devices"].size(); ++d) {
            const YAML::Node qs = doc["devices"][d]["queues"];
            if (!qs || !qs.IsSequence()) continue;
            for (std::size_t q = 0; q < qs.size(); ++q) {
                if (qs.size() > 1) {
                    YAML::Node c = YAML::Clone(doc);
                    c["devices"][d]["queues"].remove(q);
                    out.push_back(c);
                }
                const YAML::Node t = qs[q]["traffic"];
                if (t && t["count"] && t["count"].as<std::uint64_t>() > 1) {
                    YAML::Node c = YAML::Clone(doc);
                    c["devices"][d]["queues"][q]["traffic"]["count"] = t["count"].as<std::uint64_t>() / 2;
                    out.push_back(c);
                }
            }
        }
    if (doc["domains"] && doc["domains"].IsSequence()) {
        for (std::size_t d = doc["domains"].size(); d-- > 0;) {
            const YAML::Node vs = doc["domains"][d]["vcpus"];
            if (vs && vs.IsSequence() && vs.size() > 1) {
                YAML::Node c = YAML::Clone(doc);
                c["domains"][d]["vcpus"].remove(vs.size() - 1);
                out.push_back(c);
            }
        }
        if (doc["domains"].size() > 1) drop("domains");
    }
    // Guest program operations other than TPR writes, one at a time (a
    // repeating program keeps the operations that take time: the loader
    // refuses it otherwise).
    if (doc["domains"] && doc["domains"].IsSequence())
        for (std::size_t d = 0; d < doc["domains"].size(); ++d) {
            const YAML::Node vs = doc["domains"][d]["vcpus"];
            if (!vs || !vs.IsSequence()) continue;
            for (std::size_t v = 0; v < vs.size(); ++v) {
                const YAML::Node prog = vs[v]["workload"]["program"];
                if (!prog || !prog.IsSequence() || prog.size() < 2) continue;
                for (std::size_t i = prog.size(); i-- > 0;) {
                    // A TPR write opens or closes a masking window: one
                    // dropped alone would leave the guest masking vectors
                    // for good, a failure of the guest's making.
                    if (prog[i].IsMap() && prog[i]["tpr"]) continue;
                    YAML::Node c = YAML::Clone(doc);
                    c["domains"][d]["vcpus"][v]["workload"]["program"].remove(i);
                    out.push_back(c);
                }
            }
        }
    // One pCPU fewer (invalid while anything names the last one).
    if (doc["machine"] && doc["machine"]["pcpus"] && doc["machine"]["pcpus"].as<std::uint64_t>() > 1) {
        YAML::Node c = YAML::Clone(doc);
        c["machine"]["pcpus"] = doc["machine"]["pcpus"].as<std::uint64_t>() - 1;
        out.push_back(c);
    }
    if (doc["duration"]) {
        const std::uint64_t dur = doc["duration"].as<std::uint64_t>();
        if (dur > 1000) {
            YAML::Node c = YAML::Clone(doc);
            c["duration"] = dur / 2;
            out.push_back(c);
        }
    }
    return out;
}
}  // namespace

std::pair<YAML::Node, std::size_t> minimize(const YAML::Node& failing, const std::string& file,
                                            const PointResult& original, const SweepOptions& opts) {
    YAML::Node best = YAML::Clone(failing);
    std::size_t runs = 0;
    const std::size_t max_runs = 400;
    bool progress = true;
    while (progress && runs < max_runs) {
        progress = false;
        for (const YAML::Node& cand : reductions(best)) {
            if (runs >= max_runs) break;
            SweepOptions one = opts;
            one.jobs = 1;
            one.progress = nullptr;
            one.source_text.clear();  // candidates are trees, not edits of the file
            SweepPoint p;
            std::vector<PointResult> r = run_points(cand, file, {p}, one);
            ++runs;
            if (still_fails(r[0], original)) {
                best = cand;
                progress = true;
                break;
            }
        }
    }
    return {best, runs};
}

}  // namespace pisim
