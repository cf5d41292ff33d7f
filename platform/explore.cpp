#include "platform/explore.h"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <chrono>
#include <deque>
#include <map>
#include <stdexcept>

#include "platform/child_process.h"
#include "platform/crash_report.h"
#include "platform/input_error.h"
#include "platform/machine.h"
#include "platform/scenario.h"
#include "platform/sweep.h"
#include "platform/utf8.h"

namespace pisim {

nlohmann::ordered_json CaseResult::to_json() const {
    nlohmann::ordered_json j = {{"index", index}, {"seed", fmt::format("{:#018x}", seed)}, {"parent", parent},
                                {"irq_mode", mode}, {"violated", violated}, {"first_cycle", first_cycle},
                                {"message", first_message}};
    if (!yaml.empty()) j["scenario"] = yaml;
    if (!minimized.empty()) j["minimized"] = minimized, j["minimize_runs"] = minimize_runs;
    return j;
}

CaseResult CaseResult::from_json(const nlohmann::json& j) {
    CaseResult r;
    r.index = j.at("index").get<std::uint64_t>();
    r.seed = std::stoull(j.at("seed").get<std::string>(), nullptr, 16);
    r.parent = j.at("parent").get<std::int64_t>();
    r.mode = j.at("irq_mode").get<std::string>();
    r.violated = j.at("violated").get<std::vector<std::string>>();
    r.first_cycle = j.at("first_cycle").get<std::uint64_t>();
    r.first_message = j.at("message").get<std::string>();
    r.failed = true;
    if (j.contains("scenario")) r.yaml = j["scenario"].get<std::string>();
    if (j.contains("minimized")) r.minimized = j["minimized"].get<std::string>(), r.minimize_runs = j["minimize_runs"];
    return r;
}

std::string failure_oracle(const CaseResult& r) { return r.violated.empty() ? "crash" : r.violated.front(); }

namespace {

using HandlerTotals = std::map<std::uint32_t, std::pair<std::uint64_t, std::uint64_t>>;

/// {handler id: (calls, cycles)} of a finished run.
HandlerTotals handler_totals(const HypProfile& p) {
    HandlerTotals t;
    for (const auto& [id, h] : p.handlers()) t[id] = {h.count, h.total};
    return t;
}

/// The reference core's handler totals for scenario `s`, from a child of
/// this process (SystemC elaborates once per process); nullopt when that run
/// did not finish (a crash or the wall-clock limit): nothing to compare.
std::optional<HandlerTotals> reference_totals(const Scenario& s, const TimingProfile& p, const std::string& hyp,
                                              std::uint64_t max_wall) {
    const ChildResult c = run_in_child([&] {
        RunOptions ro;
        ro.hyp_path = hyp;
        ro.max_wall = max_wall;
        Machine m(s, p, ro);
        m.run(0, max_wall);
        nlohmann::json j = nlohmann::json::array();
        if (m.truncated()) return json_text(nlohmann::json{{"truncated", true}});
        for (const auto& [id, t] : handler_totals(m.hub().profile)) j.push_back({id, t.first, t.second});
        return json_text(nlohmann::json{{"handlers", j}});
    });
    if (!c.ok) return std::nullopt;
    try {
        const nlohmann::json j = nlohmann::json::parse(c.output);
        if (!j.contains("handlers")) return std::nullopt;
        HandlerTotals t;
        for (const auto& h : j["handlers"])
            t[h.at(0).get<std::uint32_t>()] = {h.at(1).get<std::uint64_t>(), h.at(2).get<std::uint64_t>()};
        return t;
    } catch (const nlohmann::json::exception&) {
        return std::nullopt;
    }
}

}  // namespace

std::vector<HandlerRegression> latency_regressions(const HandlerTotals& reference, const HandlerTotals& explored) {
    std::vector<HandlerRegression> out;
    for (const auto& [id, t] : explored) {
        const auto r = reference.find(id);
        if (r == reference.end() || r->second.first == 0 || t.first == 0) continue;
        const std::uint64_t ref_mean = r->second.second / r->second.first, mean = t.second / t.first;
        if (mean <= ref_mean) continue;
        const std::uint64_t growth = mean - ref_mean;
        // growth >= 25 % of ref_mean, in 128 bits: no product overflows
        if (growth < kRegressionCycles ||
            static_cast<unsigned __int128>(growth) * 100 < static_cast<unsigned __int128>(ref_mean) * kRegressionPercent)
            continue;
        out.push_back({hyp_handler_name(id), r->second.first, ref_mean, t.first, mean});
    }
    // The largest growth first: a handler that grew because a handler nested
    // in it did (their cycles are inclusive) comes after that one.
    std::stable_sort(out.begin(), out.end(), [](const HandlerRegression& a, const HandlerRegression& b) {
        return a.mean - a.ref_mean > b.mean - b.ref_mean;
    });
    return out;
}

nlohmann::json judge_case(const YAML::Node& doc, const std::string& name, const std::string& hyp_path,
                          std::uint64_t max_wall, const std::optional<std::string>& reference_hyp) {
    nlohmann::json out;
    Scenario s;
    try {
        s = load_scenario_node(doc, name);
    } catch (const InputError& e) {
        // The generator made a scenario the loader refuses: a defect of the
        // generator, reported as a failure of its own.
        out["violations"] = nlohmann::json::array({{{"oracle", "generator"}, {"cycle", 0}, {"message", e.what()}}});
        return out;
    }
    TimingProfile p = resolve_profile(s);
    std::optional<HandlerTotals> reference;
    if (reference_hyp) reference = reference_totals(s, p, *reference_hyp, max_wall);
    // A crash of the core is reported as `pisim run` reports it (core,
    // signal, function, pCPU, cycle), handed back as this case's result.
    install_crash_report({hyp_path.empty() ? std::string("built-in") : hyp_path, nullptr,
                          [](const std::string& message, std::uint64_t cycle) {
                              nlohmann::json c;
                              c["crash"] = {{"cycle", cycle},
                                            {"message", message.rfind("pisim: ", 0) == 0 ? message.substr(7) : message}};
                              child_exit_with(json_text(c));
                          }});
    RunOptions ro;
    ro.hyp_path = hyp_path;
    ro.max_wall = max_wall;  // from the core's boot on
    Machine m(s, p, ro);
    PiCoverage cov;
    cov.set_vectors(s.notification_vector, s.wakeup_vector);
    m.hub().observer = [&cov](const Event& e, std::uint32_t agent) { cov.on_event(e, agent); };
    m.run(0, max_wall);
    // The oracles alone judge (no report, no expectations: a case has none).
    nlohmann::json vs = nlohmann::json::array();
    if (m.truncated()) {
        // Stopped by the wall clock: a core that does not come back (or a case
        // far slower than its kind), not judged by the oracles.
        vs.push_back({{"oracle", "timeout"},
                      {"cycle", m.end_cycle()},
                      {"message", fmt::format("still running after --max-wall {} s, at cycle {} of {}", max_wall,
                                              m.end_cycle(), s.duration)}});
        out["violations"] = vs;
        return out;
    }
    for (const Violation& v : m.violations()) vs.push_back({{"oracle", v.oracle}, {"cycle", v.cycle}, {"message", v.message}});
    if (reference) {
        const std::string ref_name = reference_hyp->empty() ? "built-in" : *reference_hyp;
        for (const HandlerRegression& g : latency_regressions(*reference, handler_totals(m.hub().profile)))
            vs.push_back({{"oracle", "latency_regression"},
                          {"cycle", m.end_cycle()},
                          {"message", fmt::format("{} handler: {} cycles per call ({} calls), {} on the reference core {} "
                                                  "({} calls); growth of at least {} % and {} cycles fails",
                                                  g.handler, g.mean, g.calls, g.ref_mean, ref_name, g.ref_calls,
                                                  kRegressionPercent, kRegressionCycles)}});
    }
    out["violations"] = vs;
    out["coverage"] = cov.to_json();
    return out;
}

namespace {

/// A corpus case is kept as its YAML text, not as a node tree: yaml-cpp's
/// nodes of 2,048 corpus cases held about 300 MB, which every fork of a case
/// copied (page tables) and every child's exit tore down again.
struct CorpusEntry {
    std::uint64_t index;
    std::string yaml;
    std::vector<PairInstance> instances;
};

/// What one lane knows: its coverage and the cases that added to it.
struct Lane {
    PiCoverage coverage;
    std::deque<CorpusEntry> corpus;  ///< newest last, at most kCorpus
    std::uint64_t judged = 0;        ///< cases of this lane judged so far
    static constexpr std::size_t kCorpus = 32;
};

/// Case `i`'s scenario: fresh, or derived from its lane's corpus.
///
/// A derived case mostly targets one conflicting-access pair: its kind is
/// drawn first, uniformly among the kinds the lane's corpus holds (among
/// those whose other order the lane has not seen, while there are any), then
/// a corpus case that holds it. Every kind gets the same attention, however
/// common: a pair seen in a few cases (VT-d reading an IRTE just before the
/// core rewrites it) is tried as often as one seen in every case.
YAML::Node make_case(const ExploreOptions& o, const Lane& lane, std::uint64_t i, std::int64_t& parent) {
    const std::uint64_t seed = case_seed(o.seed, i);
    parent = -1;
    // Two in five cases of a lane with a corpus are derived from it.
    if (!o.guided || lane.corpus.empty() || seed % 5 >= 2) return generate_case(o.gen, seed);
    // One in four derived cases (and every one when the corpus holds no
    // pair) gets a random perturbation of a random corpus case; the rest
    // target a pair.
    const auto untargeted = [&] {
        const CorpusEntry& e = lane.corpus[(seed >> 8) % lane.corpus.size()];
        parent = static_cast<std::int64_t>(e.index);
        return mutate_case(YAML::Load(e.yaml), seed, nullptr);
    };
    if ((seed >> 16) % 4 == 0) return untargeted();
    // pair kind -> (corpus entry, instance) holding it, in corpus order
    std::map<std::uint32_t, std::vector<std::pair<std::size_t, std::size_t>>> kinds, open;
    for (std::size_t c = 0; c < lane.corpus.size(); ++c)
        for (std::size_t k = 0; k < lane.corpus[c].instances.size(); ++k) {
            const PairInstance& p = lane.corpus[c].instances[k];
            const std::uint32_t key = static_cast<std::uint32_t>(p.first) * 16 + static_cast<std::uint32_t>(p.second);
            const std::uint32_t rev = static_cast<std::uint32_t>(p.second) * 16 + static_cast<std::uint32_t>(p.first);
            kinds[key].emplace_back(c, k);
            if (!lane.coverage.pairs.count(rev)) open[key].emplace_back(c, k);
        }
    const auto& from = open.empty() ? kinds : open;
    if (from.empty()) return untargeted();
    auto kind = from.begin();
    std::advance(kind, static_cast<std::ptrdiff_t>((seed >> 20) % from.size()));
    const auto [c, k] = kind->second[(seed >> 36) % kind->second.size()];
    const CorpusEntry& e = lane.corpus[c];
    parent = static_cast<std::int64_t>(e.index);
    return mutate_case(YAML::Load(e.yaml), seed, &e.instances[k]);
}

std::string doc_mode(const YAML::Node& doc) {
    return doc["hyp"] && doc["hyp"]["irq_mode"] ? doc["hyp"]["irq_mode"].as<std::string>() : "vtd-pi";
}

}  // namespace

ExploreResult explore(const ExploreOptions& o) {
    if (o.shard_n == 0 || kLanes % o.shard_n != 0 || o.shard_k == 0 || o.shard_k > o.shard_n)
        throw std::invalid_argument(fmt::format("--shard K/N needs N dividing {} and 1 <= K <= N", kLanes));
    if (o.cases == 0 && o.budget_seconds == 0) throw std::invalid_argument("give --seeds N or --budget SECONDS");
    using Clock = std::chrono::steady_clock;
    const auto t0 = Clock::now();
    const auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - t0).count(); };

    ExploreResult res;
    std::vector<Lane> lanes(kLanes);
    std::vector<std::string> cores = {o.hyp_path};
    if (o.reference_hyp && *o.reference_hyp != o.hyp_path) cores.push_back(*o.reference_hyp);
    warm_block_pricers(cores);
    prime_crash_report();
    ChildPool pool(o.jobs);
    struct Running {
        std::uint64_t index;
        std::int64_t parent;
        YAML::Node doc;
    };
    std::map<std::size_t, Running> running;  // by index
    std::uint64_t next = o.shard_k - 1;       // the next case of this shard
    std::uint64_t done = 0, failing = 0;
    bool stop = false;

    auto can_start = [&](std::uint64_t i) {
        if (o.cases && i >= o.cases) return false;
        if (o.budget_seconds && elapsed() >= static_cast<double>(o.budget_seconds)) return false;
        return lanes[i % kLanes].judged == i / kLanes;  // its lane's earlier cases are judged
    };
    for (;;) {
        while (!stop && !pool.full()) {
            if (!can_start(next)) {
                if ((o.cases && next >= o.cases) || (o.budget_seconds && elapsed() >= static_cast<double>(o.budget_seconds)))
                    stop = true;
                break;
            }
            const std::uint64_t i = next;
            next += o.shard_n;
            std::int64_t parent = -1;
            YAML::Node doc = make_case(o, lanes[i % kLanes], i, parent);
            const std::string name = fmt::format("case-{}.yaml", i);
            const std::string hyp = o.hyp_path;
            const std::uint64_t wall = o.max_wall;
            const std::optional<std::string> ref = o.reference_hyp;
            pool.start(i, [doc, name, hyp, wall, ref] { return json_text(judge_case(doc, name, hyp, wall, ref)); });
            running.emplace(i, Running{i, parent, doc});
        }
        if (pool.idle()) break;
        auto [id, c] = pool.wait_one();
        Running run = std::move(running.at(id));
        running.erase(id);
        Lane& lane = lanes[run.index % kLanes];
        CaseResult r;
        r.index = run.index;
        r.seed = case_seed(o.seed, run.index);
        r.parent = run.parent;
        r.mode = doc_mode(run.doc);
        nlohmann::json j;
        if (c.ok) {
            try {
                j = nlohmann::json::parse(c.output);
            } catch (const nlohmann::json::exception& e) {
                c.ok = false;
                c.error = std::string("unreadable result: ") + e.what();
            }
        }
        if (!c.ok) {
            r.failed = true;
            r.first_message = c.error;
        } else if (j.contains("crash")) {
            r.failed = true;  // no oracle: failure_oracle() files it as "crash"
            r.first_cycle = j["crash"].at("cycle").get<std::uint64_t>();
            r.first_message = j["crash"].at("message").get<std::string>();
        } else {
            for (const auto& v : j.at("violations")) {
                const std::string name = v.at("oracle").get<std::string>();
                if (r.violated.empty()) {
                    r.first_cycle = v.at("cycle").get<std::uint64_t>();
                    r.first_message = v.at("message").get<std::string>();
                }
                if (std::find(r.violated.begin(), r.violated.end(), name) == r.violated.end()) r.violated.push_back(name);
            }
            r.failed = !r.violated.empty();
            if (j.contains("coverage")) {
                const PiCoverage cov = PiCoverage::from_json(j["coverage"]);
                r.added = lane.coverage.merge(cov);
                res.coverage.merge(cov);
                if (r.added && !r.failed) {
                    std::vector<PairInstance> inst;
                    for (const auto& kv : cov.first_instance) inst.push_back(kv.second);
                    lane.corpus.push_back({run.index, yaml_text(run.doc), std::move(inst)});
                    if (lane.corpus.size() > Lane::kCorpus) lane.corpus.pop_front();
                }
            }
        }
        ++lane.judged;
        ++done;
        if (r.failed) {
            ++failing;
            r.found_after = elapsed();
            r.yaml = yaml_text(run.doc);
            res.cases.push_back(std::move(r));
        }
        if (o.progress) o.progress(done, failing);
    }
    std::sort(res.cases.begin(), res.cases.end(), [](const CaseResult& a, const CaseResult& b) { return a.index < b.index; });
    res.total = done;
    res.seconds = elapsed();

    if (o.minimize) {
        std::map<std::string, unsigned> kept;
        for (CaseResult& r : res.cases) {
            if (kept[failure_oracle(r)]++ >= o.keep) continue;
            if (failure_oracle(r) == "timeout") continue;  // the wall clock's verdict: not reproducible
            if (failure_oracle(r) == "latency_regression") {
                // A comparison of two cores, which the minimizer (judging one
                // core by the oracles) cannot repeat: kept as generated.
                r.minimized = r.yaml;
                continue;
            }
            PointResult orig;
            orig.exit_code = failure_oracle(r) == "crash" ? kExitCoreCrashed : 1;
            orig.violated = r.violated;
            SweepOptions so;
            so.jobs = 1;
            so.hyp_path = o.hyp_path;
            so.max_wall = o.max_wall;
            auto [small, runs] = minimize(YAML::Load(r.yaml), fmt::format("case-{}.yaml", r.index), orig, so);
            r.minimized = yaml_text(small);
            r.minimize_runs = runs;
        }
    }
    res.shrink_seconds = elapsed() - res.seconds;
    return res;
}

}  // namespace pisim
