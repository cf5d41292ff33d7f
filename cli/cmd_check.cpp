// cli/cmd_check.cpp - `pisim check`: the CI latency gate (issue 7).
//
// Runs every scenario of the suite, compares each metric with the committed
// baseline under its tolerance, and on a regression says which scenario and
// metric, baseline versus now, and where the cycles went: the stages of the
// interrupt path and the hypervisor functions whose cycles grew. Exit 1 on a
// regression; improvements are reported and never fail.
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <tuple>

#include "cli/commands.h"
#include "platform/hyp_api.h"
#include "platform/child_process.h"
#include "platform/input_error.h"
#include "platform/machine.h"
#include "platform/metrics.h"
#include "platform/output_file.h"
#include "platform/provenance.h"
#include "platform/report.h"
#include "platform/yaml_util.h"
#include "platform/utf8.h"

namespace pisim::cli {

namespace {

struct Tolerance {
    std::uint64_t relative_permille = 0;  ///< allowed growth, thousandths of the baseline
    std::uint64_t absolute = 0;           ///< allowed growth, cycles or counts
};

struct Baseline {
    Tolerance def;
    std::map<std::string, Tolerance> by_prefix;
    std::map<std::string, RunMetrics> scenarios;  ///< by scenario path, in suite order by name
};

Tolerance read_tolerance(const YamlReader& r, const YAML::Node& n, const std::string& what) {
    r.expect_map(n, what, {"relative_permille", "absolute"});
    Tolerance t;
    if (n["relative_permille"]) t.relative_permille = r.u64(n["relative_permille"], what + ".relative_permille", 0, 1000000);
    if (n["absolute"]) t.absolute = r.u64(n["absolute"], what + ".absolute");
    return t;
}

Baseline load_baseline(const std::string& path) {
    YamlReader r(path);
    YAML::Node doc = r.load_file();
    r.expect_map(doc, "a pisim baseline", {"format", "version", "tolerance", "scenarios"});
    if (!doc["format"] || r.str(doc["format"], "format") != "pisim-baseline")
        r.fail(doc, "expected format: pisim-baseline");
    Baseline b;
    if (const YAML::Node t = doc["tolerance"]) {
        r.expect_map(t, "tolerance", {"default", "metrics"});
        if (t["default"]) b.def = read_tolerance(r, t["default"], "tolerance.default");
        if (t["metrics"]) {
            if (!t["metrics"].IsMap()) r.fail(t["metrics"], "expected tolerance.metrics (metric prefix: tolerance)");
            for (const auto& kv : t["metrics"])
                b.by_prefix[kv.first.Scalar()] = read_tolerance(r, kv.second, "tolerance for " + kv.first.Scalar());
        }
    }
    if (const YAML::Node s = doc["scenarios"]) {
        if (!s.IsMap()) r.fail(s, "expected scenarios (scenario path: {metrics, functions})");
        for (const auto& kv : s) {
            r.expect_map(kv.second, "baseline of " + kv.first.Scalar(), {"metrics", "functions"});
            RunMetrics m;
            for (const char* part : {"metrics", "functions"}) {
                const YAML::Node n = kv.second[part];
                if (!n) continue;
                if (!n.IsMap()) r.fail(n, std::string("expected ") + part + " (name: integer)");
                for (const auto& e : n)
                    (std::string(part) == "metrics" ? m.gated : m.functions)[e.first.Scalar()] = r.u64(e.second, e.first.Scalar());
            }
            b.scenarios[kv.first.Scalar()] = std::move(m);
        }
    }
    return b;
}

std::string baseline_text(const Baseline& b) {
    YAML::Emitter e;
    e << YAML::BeginMap;
    e << YAML::Key << "format" << YAML::Value << "pisim-baseline";
    e << YAML::Key << "version" << YAML::Value << 1;
    e << YAML::Key << "tolerance" << YAML::Value << YAML::BeginMap;
    auto tol = [&](const Tolerance& t) {
        e << YAML::Flow << YAML::BeginMap << YAML::Key << "relative_permille" << YAML::Value << t.relative_permille
          << YAML::Key << "absolute" << YAML::Value << t.absolute << YAML::EndMap;
    };
    e << YAML::Key << "default" << YAML::Value;
    tol(b.def);
    e << YAML::Key << "metrics" << YAML::Value << YAML::BeginMap;
    for (const auto& [p, t] : b.by_prefix) {
        e << YAML::Key << p << YAML::Value;
        tol(t);
    }
    e << YAML::EndMap << YAML::EndMap;
    e << YAML::Key << "scenarios" << YAML::Value << YAML::BeginMap;
    for (const auto& [s, m] : b.scenarios) {
        e << YAML::Key << s << YAML::Value << YAML::BeginMap;
        e << YAML::Key << "metrics" << YAML::Value << YAML::BeginMap;
        for (const auto& [k, v] : m.gated) e << YAML::Key << k << YAML::Value << v;
        e << YAML::EndMap;
        e << YAML::Key << "functions" << YAML::Value << YAML::BeginMap;
        for (const auto& [k, v] : m.functions) e << YAML::Key << k << YAML::Value << v;
        e << YAML::EndMap << YAML::EndMap;
    }
    e << YAML::EndMap << YAML::EndMap;
    return "# pisim latency baseline for `pisim check`. Rewritten by `pisim check --update-baseline`;\n"
           "# all figures are integers (cycles, counts). Tolerances: growth allowed before a metric\n"
           "# counts as a regression, in thousandths of the baseline and in absolute units.\n"
           "# Scenario paths are relative to this file's directory.\n" +
           std::string(e.c_str()) + "\n";
}

const Tolerance& tolerance_for(const Baseline& b, const std::string& metric) {
    const Tolerance* best = &b.def;
    std::size_t len = 0;
    for (const auto& [p, t] : b.by_prefix)
        if (metric.compare(0, p.size(), p) == 0 && p.size() >= len) best = &t, len = p.size();
    return *best;
}

enum class Status { Ok, Regressed, Improved, New, Missing };
const char* status_name(Status s) {
    switch (s) {
        case Status::Ok: return "ok";
        case Status::Regressed: return "REGRESSED";
        case Status::Improved: return "improved";
        case Status::New: return "new";
        case Status::Missing: return "missing";
    }
    return "?";
}

struct MetricResult {
    std::string metric;
    std::uint64_t base = 0, now = 0;
    Status status = Status::Ok;
};

struct ScenarioResult {
    std::string scenario;
    std::string error;
    bool stopped = false;  ///< --max-wall stopped the run (error says where): not compared
    std::vector<MetricResult> metrics;
    std::vector<std::pair<std::string, std::int64_t>> stages_grew, functions_grew;  ///< name, delta
    RunMetrics now;
    bool regressed() const {
        return (!error.empty() && !stopped) ||
               std::any_of(metrics.begin(), metrics.end(), [](const MetricResult& m) { return m.status == Status::Regressed; });
    }
};

std::string group_of(const std::string& metric) { return metric.substr(0, metric.find('.')); }

std::string signed_delta(std::int64_t d) { return d >= 0 ? fmt::format("+{}", d) : fmt::format("{}", d); }

/// A run --max-wall stopped (what() says where), as pisim run's exit 3.
struct StoppedByLimit : std::runtime_error {
    using std::runtime_error::runtime_error;
};

RunMetrics run_scenario(const std::string& file, const Scenario& s, const TimingProfile& p, const std::string& hyp,
                        std::uint64_t max_wall) {
    ChildResult c = run_in_child([&] {
        nlohmann::ordered_json out;
        try {
            RunOptions o;
            o.hyp_path = hyp;
            o.attribute_functions = true;
            o.max_wall = max_wall;  // from the core's boot on
            Machine m(s, p, o);
            m.run(0, max_wall);
            RunReport r = make_report(m, std::max<std::uint64_t>(s.duration / 20, 100000));
            if (r.truncated)
                out = {{"stopped", fmt::format("stopped by {} at cycle {} of {}{}", r.stopped_by, r.end_cycle, r.duration,
                                         m.stopped_in_boot().empty() ? std::string() : " (in the core's " + m.stopped_in_boot() + ")")}};
            else
                out = to_json(collect_metrics(m, r));
        } catch (const InputError& e) {
            // Its parts, so the parent raises the same error (one prefix).
            out = {{"bad_input", {{"file", e.file}, {"line", e.line}, {"column", e.column}, {"message", e.message}}}};
        }
        return out.dump();
    });
    if (!c.ok) throw std::runtime_error(file + ": " + c.error);
    nlohmann::json j = nlohmann::json::parse(c.output);
    if (j.contains("bad_input")) {
        const nlohmann::json& e = j["bad_input"];
        throw InputError(e.at("file").get<std::string>(), e.at("line").get<int>(), e.at("column").get<int>(),
                         e.at("message").get<std::string>());
    }
    if (j.contains("stopped")) throw StoppedByLimit(j["stopped"].get<std::string>());
    return metrics_from_json(j);
}

ScenarioResult compare(const std::string& scenario, const RunMetrics* base, const RunMetrics& now, const Baseline& b) {
    ScenarioResult r;
    r.scenario = scenario;
    r.now = now;
    if (!base) {
        for (const auto& [k, v] : now.gated) r.metrics.push_back({k, 0, v, Status::New});
        return r;
    }
    for (const auto& [k, v] : base->gated) {
        auto it = now.gated.find(k);
        if (it == now.gated.end()) {
            r.metrics.push_back({k, v, 0, Status::Missing});
            continue;
        }
        const Tolerance& t = tolerance_for(b, k);
        const std::uint64_t allowed = std::max(t.absolute, v * t.relative_permille / 1000);
        Status s = it->second > v + allowed ? Status::Regressed : it->second < v ? Status::Improved : Status::Ok;
        r.metrics.push_back({k, v, it->second, s});
    }
    for (const auto& [k, v] : now.gated)
        if (!base->gated.count(k)) r.metrics.push_back({k, 0, v, Status::New});
    // Where the cycles went: stage medians and hyp functions that grew.
    for (const auto& [k, v] : now.gated) {
        if (k.rfind("stage.", 0) != 0 || k.size() < 4 || k.substr(k.size() - 4) != ".p50") continue;
        auto it = base->gated.find(k);
        if (it != base->gated.end() && v > it->second)
            r.stages_grew.emplace_back(k.substr(6, k.size() - 10), static_cast<std::int64_t>(v - it->second));
    }
    for (const auto& [f, v] : now.functions) {
        auto it = base->functions.find(f);
        const std::uint64_t was = it == base->functions.end() ? 0 : it->second;
        if (v > was) r.functions_grew.emplace_back(f, static_cast<std::int64_t>(v - was));
    }
    auto by_delta = [](const auto& a, const auto& c) { return a.second != c.second ? a.second > c.second : a.first < c.first; };
    std::sort(r.stages_grew.begin(), r.stages_grew.end(), by_delta);
    std::sort(r.functions_grew.begin(), r.functions_grew.end(), by_delta);
    return r;
}

std::string xml_escape(const std::string& s) {
    std::string o;
    for (char c : s) {
        switch (c) {
            case '&': o += "&amp;"; break;
            case '<': o += "&lt;"; break;
            case '>': o += "&gt;"; break;
            case '"': o += "&quot;"; break;
            default: o += c;
        }
    }
    return o;
}

std::string where_text(const ScenarioResult& r, const char* indent) {
    std::string o;
    if (!r.stages_grew.empty()) {
        o += fmt::format("{}stages that grew (p50):", indent);
        for (const auto& [s, d] : r.stages_grew) o += fmt::format(" {} {}", s, signed_delta(d));
        o += "\n";
    }
    if (!r.functions_grew.empty()) {
        o += fmt::format("{}hypervisor functions whose cycles grew:", indent);
        std::size_t n = 0;
        for (const auto& [f, d] : r.functions_grew) {
            if (n++ == 6) break;
            o += fmt::format(" {} {}", f, signed_delta(d));
        }
        o += "\n";
    }
    return o;
}

/// A baseline names its scenarios by paths relative to the baseline file's
/// directory, so that `pisim check --baseline DIR/baseline.yaml` runs the same
/// suite from any working directory.
std::filesystem::path baseline_dir(const std::string& baseline) {
    const std::filesystem::path d = std::filesystem::path(baseline).parent_path();
    return d.empty() ? std::filesystem::path(".") : d;
}

/// The baseline's name for a scenario given on the command line (a path from
/// the working directory): its path relative to the baseline's directory.
std::string key_of(const std::string& arg, const std::filesystem::path& dir) {
    namespace fs = std::filesystem;
    return fs::weakly_canonical(fs::absolute(arg)).lexically_proximate(fs::weakly_canonical(fs::absolute(dir))).generic_string();
}

struct Counts {
    std::size_t reg = 0, imp = 0, added = 0, missing = 0;
    bool changed() const { return reg || imp || added || missing; }
};
Counts counts(const ScenarioResult& r) {
    Counts c;
    for (const auto& m : r.metrics)
        c.reg += m.status == Status::Regressed, c.imp += m.status == Status::Improved, c.added += m.status == Status::New,
            c.missing += m.status == Status::Missing;
    return c;
}

std::string signed_change(const MetricResult& m) {
    return signed_delta(static_cast<std::int64_t>(m.now) - static_cast<std::int64_t>(m.base));
}

/// JUnit's classname is read as package.Class: the scenario's path without
/// its extension, directories as packages, any other dot made '_'
/// ("basic/nic-1.5.yaml" -> "pisim.basic.nic-1_5").
std::string junit_classname(const std::string& scenario) {
    std::string p = scenario;
    if (p.size() > 5 && p.compare(p.size() - 5, 5, ".yaml") == 0) p.resize(p.size() - 5);
    while (p.rfind("../", 0) == 0) p.erase(0, 3);
    while (p.rfind("./", 0) == 0) p.erase(0, 2);
    for (char& ch : p) ch = ch == '.' ? '_' : ch == '/' ? '.' : ch;
    return "pisim." + p;
}

/// The Markdown summary for a pull request: a one-line verdict; which pisim
/// and core ran; one row per identical change (status, the same delta in
/// cycles or counts, the same scenarios) naming every metric that changed so;
/// then, collapsed, each changed scenario's baseline, now and where the cycles
/// went, and the unchanged scenarios.
std::string markdown_report(const std::vector<ScenarioResult>& results, const Provenance& prov, bool have_base) {
    auto shown = [&](const MetricResult& m) {
        return m.status != Status::Ok && (have_base || (m.status != Status::New && m.status != Status::Missing));
    };
    std::size_t regressed = 0, improved = 0, errors = 0, unchanged = 0, metrics_regressed = 0, stopped = 0;
    for (const auto& r : results) {
        const Counts c = counts(r);
        metrics_regressed += c.reg;
        if (r.stopped) ++stopped;
        else if (!r.error.empty()) ++errors;
        else if (c.reg) ++regressed;
        else if (have_base && c.changed()) ++improved;
        else ++unchanged;
    }
    std::string md;
    if (regressed || errors)
        md += fmt::format(":x: **pisim check: {} of {} scenario(s) regressed**{} ({} metric(s)), {} improved, {} unchanged\n",
                          regressed, results.size(), errors ? fmt::format(", {} failed to run", errors) : "", metrics_regressed,
                          improved, unchanged);
    else if (stopped)
        md += fmt::format(":stop_sign: **pisim check: {} of {} scenario(s) stopped by --max-wall**, not compared; no regression in the others: {} improved, {} unchanged\n",
                          stopped, results.size(), improved, unchanged);
    else
        md += fmt::format(":white_check_mark: **pisim check: no regression** in {} scenario(s): {} improved, {} unchanged\n",
                          results.size(), improved, unchanged);
    md += fmt::format("\npisim `{}`, core `{}`\n", prov.pisim, prov.core.describe());

    // (status, change) -> scenarios, per metric; then rows of the metrics
    // that share status, change and scenarios.
    std::map<std::tuple<int, std::int64_t, std::string>, std::vector<std::string>> scen_of;  // (status, delta, metric)
    for (const auto& r : results)
        for (const auto& m : r.metrics)
            if (shown(m))
                scen_of[{static_cast<int>(m.status), static_cast<std::int64_t>(m.now) - static_cast<std::int64_t>(m.base), m.metric}]
                    .push_back(r.scenario);
    struct Row {
        Status status;
        std::int64_t delta;
        std::vector<std::string> scenarios, metrics;
    };
    std::vector<Row> rows;
    for (const auto& [k, sc] : scen_of) {
        const auto& [st, delta, metric] = k;
        auto it = std::find_if(rows.begin(), rows.end(), [&](const Row& x) {
            return static_cast<int>(x.status) == st && x.delta == delta && x.scenarios == sc;
        });
        if (it == rows.end()) rows.push_back({static_cast<Status>(st), delta, sc, {}}), it = rows.end() - 1;
        it->metrics.push_back(metric);
    }
    auto rank = [](Status st) { return st == Status::Regressed ? 0 : st == Status::Missing ? 1 : st == Status::New ? 2 : 3; };
    std::stable_sort(rows.begin(), rows.end(), [&](const Row& x, const Row& y) {
        if (rank(x.status) != rank(y.status)) return rank(x.status) < rank(y.status);
        if (x.scenarios.size() != y.scenarios.size()) return x.scenarios.size() > y.scenarios.size();
        return x.delta > y.delta;
    });
    auto list = [](const std::vector<std::string>& v, std::size_t cap) {
        std::string o;
        for (std::size_t i = 0; i < v.size() && i < cap; ++i) o += fmt::format("{}`{}`", i ? ", " : "", v[i]);
        return v.size() > cap ? o + fmt::format(" and {} more", v.size() - cap) : o;
    };
    if (!rows.empty()) {
        md += "\n| status | change | metrics | scenarios |\n|---|---:|---|---|\n";
        for (const Row& r : rows)
            md += fmt::format("| {} | {} | {} | {}: {} |\n", status_name(r.status), signed_delta(r.delta), list(r.metrics, 8),
                              r.scenarios.size(), list(r.scenarios, 6));
    }
    // The hypervisor functions whose cycles grew, over the regressed scenarios.
    std::map<std::string, std::size_t> grew;
    for (const auto& r : results)
        if (counts(r).reg)
            for (const auto& [f, d] : r.functions_grew) ++grew[f];
    if (!grew.empty()) {
        std::vector<std::pair<std::string, std::size_t>> g(grew.begin(), grew.end());
        std::stable_sort(g.begin(), g.end(), [](const auto& x, const auto& y) { return x.second > y.second; });
        md += "\nhypervisor functions whose cycles grew (in how many regressed scenarios):";
        for (std::size_t i = 0; i < g.size() && i < 8; ++i) md += fmt::format("{} `{}` {}", i ? "," : "", g[i].first, g[i].second);
        md += "\n";
    }
    for (const auto& r : results)
        if (r.stopped) md += fmt::format("\n:stop_sign: `{}` {}\n", r.scenario, r.error);
        else if (!r.error.empty()) md += fmt::format("\n:x: `{}` failed to run: {}\n", r.scenario, r.error);

    // Per changed scenario, collapsed: baseline, now, where the cycles went.
    std::string per;
    std::size_t changed = 0;
    for (const auto& r : results) {
        if (!r.error.empty() || std::none_of(r.metrics.begin(), r.metrics.end(), shown)) continue;
        ++changed;
        per += fmt::format("\n#### `{}`\n\n| metric | status | baseline | now | change |\n|---|---|---:|---:|---:|\n", r.scenario);
        for (const auto& m : r.metrics)
            if (shown(m))
                per += fmt::format("| `{}` | {} | {} | {} | {} |\n", m.metric, status_name(m.status), m.base, m.now, signed_change(m));
        if (counts(r).reg) {
            const std::string w = where_text(r, "");
            if (!w.empty()) per += "\n" + w;
        }
    }
    if (changed)
        md += fmt::format("\n<details><summary>{} changed scenario(s): baseline, now and where the cycles went</summary>\n{}\n</details>\n",
                          changed, per);
    std::string same;
    for (const auto& r : results)
        if (r.error.empty() && std::none_of(r.metrics.begin(), r.metrics.end(), shown)) same += fmt::format("- `{}`\n", r.scenario);
    if (!same.empty())
        md += fmt::format("\n<details><summary>{} unchanged scenario(s)</summary>\n\n{}\n</details>\n", unchanged, same);
    return md;
}

}  // namespace

int cmd_check(const CheckArgs& a) {
    Baseline base;
    const bool have_base = std::filesystem::exists(a.baseline);
    if (have_base) base = load_baseline(a.baseline);
    else if (!a.update) throw InputError(a.baseline, 0, 0, "baseline not found (create it with --update-baseline)");

    // The suite: (name in the baseline, file to run). The baseline's names
    // are relative to its own directory; scenarios given here, to ours.
    const std::filesystem::path dir = baseline_dir(a.baseline);
    std::vector<std::pair<std::string, std::string>> suite;
    for (const auto& s : a.scenarios) suite.emplace_back(key_of(s, dir), s);
    if (suite.empty())
        for (const auto& [s, m] : base.scenarios) suite.emplace_back(s, (dir / s).lexically_normal().string());
    if (suite.empty()) throw InputError(a.baseline, 0, 0, "no scenarios: name them, or list them in the baseline");
    // Every output is checked before the suite runs, not found unwritable after it.
    // None names another output or a file the gate reads.
    OutputSet files;
    // Each scenario is loaded once, here: a bad one is reported before
    // anything runs, and what it reads is registered too.
    std::vector<std::pair<Scenario, TimingProfile>> loaded;
    for (const auto& [name, file] : suite) {
        files.input(file, "a scenario of the suite");
        Scenario sc = load_scenario(file);
        TimingProfile prof = resolve_profile(sc);
        for (const std::string& w : sc.warnings) std::cerr << w << "\n";  // as `pisim run` says them
        for (const std::string& t : sc.traffic_files) files.input(t, "a traffic file of " + file);
        files.input(prof.path(), "the timing profile of " + file);
        loaded.emplace_back(std::move(sc), std::move(prof));
    }
    require_core(a.hyp, "--hyp");
    files.input(a.hyp, "the --hyp core");
    if (a.update) files.output(a.baseline, "--baseline (with --update-baseline)");
    else files.input(a.baseline, "the baseline");
    files.output(a.junit, "--junit");
    files.output(a.markdown, "--markdown");
    files.output(a.json, "--json");

    const Provenance prov = current_provenance(a.hyp);
    std::vector<ScenarioResult> results;
    for (std::size_t i = 0; i < suite.size(); ++i) {
        const auto& [s, file] = suite[i];
        std::cerr << fmt::format("check: [{}/{}] {}\n", i + 1, suite.size(), s);
        ScenarioResult r;
        try {
            RunMetrics now = run_scenario(file, loaded[i].first, loaded[i].second, a.hyp, a.max_wall);
            auto it = base.scenarios.find(s);
            r = compare(s, it == base.scenarios.end() ? nullptr : &it->second, now, base);
        } catch (const InputError&) {
            throw;
        } catch (const StoppedByLimit& e) {
            r.scenario = s;
            r.error = e.what();
            r.stopped = true;
        } catch (const std::exception& e) {
            r.scenario = s;
            r.error = e.what();
        }
        results.push_back(std::move(r));
    }

    // Text report.
    std::size_t regressions = 0, improvements = 0, stopped = 0;
    std::string text;
    for (const auto& r : results) {
        std::size_t reg = 0, imp = 0;
        for (const auto& m : r.metrics) reg += m.status == Status::Regressed, imp += m.status == Status::Improved;
        regressions += reg + (!r.error.empty() && !r.stopped);
        improvements += imp;
        stopped += r.stopped;
        text += fmt::format("{}: {}\n", r.scenario,
                            r.stopped ? "STOPPED " + r.error + " (not compared)"
                            : !r.error.empty() ? "ERROR " + r.error
                            : reg            ? fmt::format("{} regression(s)", reg)
                            : imp            ? fmt::format("ok, {} improvement(s)", imp)
                                             : "ok");
        for (const auto& m : r.metrics) {
            if (m.status == Status::Ok) continue;
            if ((m.status == Status::New || m.status == Status::Missing) && !have_base) continue;
            const std::int64_t d = static_cast<std::int64_t>(m.now) - static_cast<std::int64_t>(m.base);
            text += fmt::format("  {:<9} {}: baseline {} now {} ({})\n", status_name(m.status), m.metric, m.base, m.now,
                                signed_delta(d));
        }
        if (reg) text += where_text(r, "  ");
    }
    text += fmt::format("check: {} scenario(s), {} regression(s), {} improvement(s){}\n", results.size(), regressions,
                        improvements, stopped ? fmt::format(", {} stopped by --max-wall", stopped) : std::string());
    text += fmt::format("check: pisim {}, core {}\n", prov.pisim, prov.core.describe());
    std::cout << text;

    if (!a.junit.empty()) {
        std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
        std::size_t cases = 0, failures = 0;
        std::string body;
        for (const auto& r : results) {
            std::map<std::string, std::vector<const MetricResult*>> groups;
            for (const auto& m : r.metrics) groups[group_of(m.metric)].push_back(&m);
            if (!r.error.empty()) groups["run"];
            for (const auto& [g, ms] : groups) {
                ++cases;
                std::string fail;
                for (const auto* m : ms)
                    if (m->status == Status::Regressed)
                        fail += fmt::format("{}: baseline {} now {}\n", m->metric, m->base, m->now);
                if (g == "run" && !r.error.empty()) fail = r.error;
                body += fmt::format("  <testcase classname=\"{}\" name=\"{}\">", xml_escape(junit_classname(r.scenario)), g);
                if (r.stopped) {
                    body += fmt::format("<skipped message=\"{}\"/>", xml_escape(r.error));
                } else if (!fail.empty()) {
                    ++failures;
                    body += fmt::format("<failure message=\"{} regressed\">{}{}</failure>", g, xml_escape(fail),
                                        xml_escape(where_text(r, "")));
                }
                body += "</testcase>\n";
            }
        }
        x += fmt::format(
            "<testsuite name=\"pisim check\" tests=\"{}\" failures=\"{}\">\n  <properties>\n"
            "    <property name=\"pisim\" value=\"{}\"/>\n    <property name=\"core.path\" value=\"{}\"/>\n"
            "    <property name=\"core.build_id\" value=\"{}\"/>\n  </properties>\n{}</testsuite>\n",
            cases, failures, xml_escape(prov.pisim), xml_escape(prov.core.path), xml_escape(prov.core.build_id), body);
        write_file_atomic(a.junit, x);
    }
    if (!a.markdown.empty()) write_file_atomic(a.markdown, markdown_report(results, prov, have_base));
    if (!a.json.empty()) {
        nlohmann::ordered_json j;
        j["format"] = "pisim-check";
        j["pisim"] = prov.pisim;
        j["core"] = {{"path", prov.core.path}, {"build_id", prov.core.build_id}};
        j["regressions"] = regressions;
        j["improvements"] = improvements;
        j["stopped"] = stopped;
        nlohmann::ordered_json arr = nlohmann::ordered_json::array();
        for (const auto& r : results) {
            nlohmann::ordered_json ms = nlohmann::ordered_json::array();
            for (const auto& m : r.metrics)
                ms.push_back({{"metric", m.metric}, {"baseline", m.base}, {"now", m.now}, {"status", status_name(m.status)}});
            nlohmann::ordered_json sg = nlohmann::ordered_json::object(), fg = nlohmann::ordered_json::object();
            for (const auto& [k, d] : r.stages_grew) sg[k] = d;
            for (const auto& [k, d] : r.functions_grew) fg[k] = d;
            arr.push_back({{"scenario", r.scenario}, {"error", r.error}, {"stopped", r.stopped}, {"metrics", ms}, {"stages_grew", sg}, {"functions_grew", fg}});
        }
        j["scenarios"] = arr;
        write_file_atomic(a.json, json_text(j, 2) + "\n");
    }
    if (a.update) {
        for (const auto& r : results)
            if (r.error.empty()) base.scenarios[r.scenario] = r.now;
        if (!have_base) {
            base.by_prefix["exits."] = {0, 0};
            base.by_prefix["latency."] = {0, 0};
        }
        write_file_atomic(a.baseline, baseline_text(base));
        std::cout << fmt::format("check: baseline {} updated ({} scenario(s))\n", a.baseline, base.scenarios.size());
        return stopped ? 3 : 0;
    }
    return regressions ? 1 : stopped ? 3 : 0;
}

}  // namespace pisim::cli
