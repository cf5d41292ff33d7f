// cli/cmd_sweep.cpp - `pisim sweep` and `pisim merge`.
#include "cli/commands.h"
#include "platform/hyp_api.h"

#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <set>

#include "platform/input_error.h"
#include "platform/input_file.h"
#include "platform/provenance.h"
#include "platform/scenario.h"
#include "platform/output_file.h"
#include "platform/sweep.h"
#include "platform/strict_int.h"
#include "platform/utf8.h"
#include "platform/yaml_util.h"

namespace pisim::cli {

namespace {

std::string outcome(const PointResult& r) { return outcome_name(r); }

/// The results table (also results.tsv with tabs).
std::string table(const std::vector<PointResult>& rs, const std::vector<std::string>& paths, char sep) {
    std::string out;
    auto cell = [&](const std::string& s, int w) { return sep == '\t' ? s + "\t" : fmt::format("{:>{}} ", s, w); };
    out += cell("point", 6);
    for (const auto& p : paths) out += cell(p, std::max<int>(10, static_cast<int>(p.size())));
    out += cell("outcome", 7) + cell("violated", 22) + cell("delivered", 9) + cell("lost", 5) + cell("p99", 7) +
           cell("max", 7) + cell("trace", 16);
    out.back() = '\n';
    for (const auto& r : rs) {
        out += cell(std::to_string(r.index), 6);
        for (const auto& p : paths) {
            std::string v = "-";
            for (const auto& [k, x] : r.set)
                if (k == p) v = std::to_string(x);
            out += cell(v, std::max<int>(10, static_cast<int>(p.size())));
        }
        std::string viol;
        for (const auto& v : r.violated) viol += (viol.empty() ? "" : ",") + v;
        // '-' where a point has no figure: no report (bad input, a crashed
        // process), or no delivered interrupt to take a latency of.
        auto count = [&](std::uint64_t v) { return r.has_report() ? std::to_string(v) : std::string("-"); };
        auto latency = [&](std::uint64_t v) { return r.has_latency() ? std::to_string(v) : std::string("-"); };
        out += cell(outcome(r), 7) + cell(viol.empty() ? "-" : viol, 22) + cell(count(r.delivered), 9) +
               cell(count(r.lost), 5) + cell(latency(r.p99), 7) + cell(latency(r.max), 7) +
               cell(r.trace_hash.empty() ? "-" : r.trace_hash, 16);
        out.back() = '\n';
    }
    return out;
}

std::vector<std::string> varied_paths(const std::vector<PointResult>& rs) {
    std::vector<std::string> paths;
    for (const auto& r : rs)
        for (const auto& [k, v] : r.set)
            if (std::find(paths.begin(), paths.end(), k) == paths.end()) paths.push_back(k);
    return paths;
}

/// Write results.json, results.tsv and the failing points' scenario files,
/// each naming the pisim and the core that produced it (platform/provenance.h).
void write_outputs(const std::string& dir, const std::string& scenario, std::size_t total,
                   const std::vector<PointResult>& rs, const std::string& shard, const Provenance& prov) {
    std::filesystem::create_directories(dir);
    nlohmann::ordered_json j;
    j["format"] = "pisim-sweep";
    j["version"] = 1;
    j["scenario"] = scenario;
    j["points"] = total;
    if (!shard.empty()) j["shard"] = shard;
    j["pisim"] = prov.pisim;
    j["core"] = {{"path", prov.core.path}, {"build_id", prov.core.build_id}};
    j["command"] = prov.found_by;
    nlohmann::ordered_json arr = nlohmann::ordered_json::array();
    for (const auto& r : rs) arr.push_back(to_json(r));
    j["results"] = arr;
    std::vector<std::string> written = {"results.json", "results.tsv"};
    write_file_atomic(dir + "/results.json", json_text(j, 1) + "\n");
    write_file_atomic(dir + "/results.tsv", table(rs, varied_paths(rs), '\t'));
    for (const auto& r : rs) {
        std::string viol;
        for (const auto& v : r.violated) viol += (viol.empty() ? "" : ", ") + v;
        const std::string why = outcome(r) + (viol.empty() ? "" : " (" + viol + ")");
        if (!r.scenario_yaml.empty()) {
            const Provenance p = with_scenario_seed(prov, r.scenario_yaml);
            written.push_back(fmt::format("point-{}.yaml", r.index));
            write_file_atomic(dir + "/" + written.back(),
                              fmt::format("# pisim sweep point {} of {}: {}\n", r.index, scenario, why) +
                                  provenance_comment(p) + with_provenance(r.scenario_yaml, p));
        }
        if (!r.minimized_yaml.empty()) {
            const Provenance p = with_scenario_seed(prov, r.minimized_yaml);
            written.push_back(fmt::format("point-{}-min.yaml", r.index));
            write_file_atomic(dir + "/" + written.back(),
                              fmt::format("# pisim sweep point {} of {}, minimized: {}\n", r.index, scenario, why) +
                                  provenance_comment(p) + with_provenance(r.minimized_yaml, p));
        }
    }
    // The directory now holds this run's results and nothing of an earlier
    // run's: its point files would read as failures of this one.
    if (const std::size_t n = remove_stale_results(dir, written))
        std::cerr << fmt::format("sweep: removed {} file(s) of an earlier run's results from {}\n", n, dir);
}

/// The run's outcome on `out`. `whole_table`: every point (a sweep without
/// -o); else the counts and the first failing points only (the whole table
/// is in DIR/results.tsv). A crashed point gets its replay command (DIR, the
/// -o directory, empty: none). Returns the exit code.
int summarize(const std::vector<PointResult>& rs, std::ostream& out, bool whole_table, const std::string& dir = "",
              const std::string& hyp = "") {
    constexpr std::size_t kShown = 10;  // failing points and errors listed with -o
    std::size_t failing = 0, errors = 0, stopped = 0, crashed = 0;
    std::map<std::string, std::size_t> by_oracle;
    std::vector<PointResult> bad;
    for (const auto& r : rs) {
        failing += r.failed() && r.exit_code != 2 && r.exit_code != 3, errors += r.exit_code == 2, stopped += r.exit_code == 3,
            crashed += r.exit_code == 4;
        if (r.failed() && r.exit_code != 2 && r.exit_code != 3 && !r.violated.empty()) ++by_oracle[r.violated.front()];
        if (r.failed() && bad.size() < kShown) bad.push_back(r);
    }
    if (whole_table) out << table(rs, varied_paths(rs), ' ');
    out << fmt::format("points: {}, passing {}, failing {}, bad input {}", rs.size(), rs.size() - failing - errors - stopped,
                       failing, errors);
    // (no word about limits when none stopped a point: the line is as before)
    out << (crashed ? fmt::format(", crashed {}", crashed) : std::string());
    out << (stopped ? fmt::format(", stopped by a limit {}\n", stopped) : std::string("\n"));
    if (!by_oracle.empty()) {
        out << "failing by first violated oracle:";
        for (const auto& [o, n] : by_oracle) out << fmt::format(" {} {}", o, n);
        out << "\n";
    }
    const std::size_t not_passing = failing + errors + stopped;
    if (!whole_table && !bad.empty()) {
        out << (not_passing > bad.size() ? fmt::format("first {} of {} points that did not pass:\n", bad.size(), not_passing)
                                         : std::string("points that did not pass:\n"));
        out << table(bad, varied_paths(rs), ' ');
    }
    std::size_t shown = 0;
    for (const auto& r : rs) {
        if (r.error.empty()) continue;
        if (!whole_table && shown++ == kShown) {
            out << fmt::format("(the others' messages are in results.json)\n");
            break;
        }
        out << fmt::format("point {}: {}\n", r.index, r.error);
        if (r.exit_code == 4)
            out << (dir.empty() ? std::string("  (give -o DIR to keep the point as a scenario file that pisim run replays)\n")
                                : fmt::format("  replay: pisim run {}/point-{}.yaml{}\n", dir, r.index, hyp.empty() ? "" : " --hyp " + hyp));
    }
    return errors ? 2 : crashed ? 4 : failing ? 1 : stopped ? 3 : 0;
}

/// The command that re-creates the sweep, for the point files' provenance.
std::string sweep_command(const SweepArgs& a) {
    std::string c = "pisim sweep " + a.scenario;
    for (const auto& v : a.vary) c += " --vary " + v;
    if (a.random) c += fmt::format(" --random {} --seed {}", a.random, a.random_seed);
    if (!a.hyp.empty()) c += " --hyp " + a.hyp;
    if (a.max_cycles) c += fmt::format(" --max-cycles {}", a.max_cycles);
    return c;
}

}  // namespace

int cmd_sweep(const SweepArgs& a) {
    YamlReader reader(a.scenario);
    const YAML::Node doc = reader.load_file();
    const Scenario base = load_scenario_node(doc, a.scenario);  // the base must be valid on its own
    for (const auto& w : base.warnings) std::cerr << w << "\n";
    // Its text, which failing points are written as edits of (comments kept).
    const std::string source_text = read_input_file(a.scenario, InputCaps::yaml_bytes, "YAML");

    std::vector<Vary> vary;
    for (const auto& v : a.vary) {
        try {
            vary.push_back(parse_vary(v));
        } catch (const std::invalid_argument& e) {
            throw InputError(a.scenario, 0, 0, e.what());
        }
    }
    std::vector<SweepPoint> points;
    try {
        points = a.random ? random_points(doc, vary, a.random, a.random_seed) : grid_points(vary);
    } catch (const std::invalid_argument& e) {
        throw InputError(a.scenario, 0, 0, e.what());
    }
    if (!a.random && vary.empty()) throw InputError(a.scenario, 0, 0, "pisim sweep needs --vary or --random");
    // Every --vary path and range is checked once here, not found bad at
    // every point.
    for (const auto& w : check_varies(doc, source_text, a.scenario, vary)) std::cerr << w << "\n";
    const std::size_t total = points.size();
    std::string shard;
    if (!a.shard.empty()) {
        std::uint64_t k = 0, n = 0;
        if (!parse_fraction_strict(a.shard, k, n) || n == 0 || k == 0 || k > n)
            throw InputError(a.scenario, 0, 0, "--shard expects K/N with 1 <= K <= N, got '" + a.shard + "'");
        std::vector<SweepPoint> mine;
        for (const auto& p : points)
            if (p.index % n == k - 1) mine.push_back(p);
        points.swap(mine);
        shard = a.shard;
        if (a.out.empty()) throw InputError(a.scenario, 0, 0, "--shard needs --out DIR (merge the shards with pisim merge)");
    }

    // Before the points run, not after; not a directory holding an input.
    OutputSet files;
    files.input(a.scenario, "the scenario");
    for (const std::string& t : base.traffic_files) files.input(t, "a traffic file of the scenario");
    require_core(a.hyp, "--hyp");
    files.input(a.hyp, "the --hyp core");
    files.results_dir(a.out, "--out");

    SweepOptions o;
    o.jobs = a.jobs ? a.jobs : std::max(1u, static_cast<unsigned>(::sysconf(_SC_NPROCESSORS_ONLN)));
    o.hyp_path = a.hyp;
    o.max_cycles = a.max_cycles;
    o.max_wall = a.max_wall;
    o.source_text = source_text;
    Provenance prov = current_provenance(a.hyp);
    prov.found_by = sweep_command(a);
    const bool tty = ::isatty(2);
    std::size_t last_pct = 0;
    o.progress = [&](std::size_t done, std::size_t n, std::size_t failing) {
        const std::size_t pct = done * 10 / n;
        if (tty || pct != last_pct || done == n)
            std::cerr << fmt::format("{}sweep: {}/{} points, {} failing{}", tty ? "\r" : "", done, n, failing, tty ? "" : "\n");
        last_pct = pct;
        if (tty && done == n) std::cerr << "\n";
    };
    std::vector<PointResult> rs = run_points(doc, a.scenario, points, o);

    if (a.minimize) {
        for (auto& r : rs) {
            if (!r.failed() || r.exit_code == 2 || r.exit_code == 3 || r.scenario_yaml.empty()) continue;
            auto [small, runs] = minimize(YAML::Load(r.scenario_yaml), a.scenario, r, o);
            r.minimized_yaml = yaml_text(small);
            std::cerr << fmt::format("sweep: point {} minimized in {} runs\n", r.index, runs);
        }
    }
    if (!a.out.empty()) {
        write_outputs(a.out, a.scenario, total, rs, shard, prov);
        std::cerr << fmt::format("sweep: every point is in {0}/results.tsv and {0}/results.json\n", a.out);
    }
    return summarize(rs, std::cout, a.out.empty(), a.out, a.hyp);
}

int cmd_merge(const MergeArgs& a) {
    OutputSet files;
    for (const std::string& d : a.dirs) files.input(d + "/results.json", "a shard's results");
    files.results_dir(a.out, "--out");
    {
        std::ifstream probe(a.dirs.front() + "/results.json");
        nlohmann::json j;
        try {
            j = nlohmann::json::parse(probe);
        } catch (const nlohmann::json::exception&) {
        }
        if (j.is_object() && j.value("format", "") == "pisim-explore") return cmd_explore_merge(a.dirs, a.out);
    }
    std::string scenario;
    std::size_t total = 0;
    std::map<std::size_t, PointResult> all;
    std::optional<Provenance> prov;
    for (const auto& dir : a.dirs) {
        const std::string path = dir + "/results.json";
        std::ifstream in(path);
        if (!in) throw InputError(path, 0, 0, "cannot open the shard's results");
        nlohmann::json j;
        try {
            j = nlohmann::json::parse(in);
        } catch (const nlohmann::json::parse_error& e) {
            throw InputError(path, 0, 0, std::string("not a pisim sweep result: ") + e.what());
        }
        if (j.value("format", "") != "pisim-sweep") throw InputError(path, 0, 0, "not a pisim sweep result");
        const std::string sc = j.at("scenario").get<std::string>();
        const std::size_t n = j.at("points").get<std::size_t>();
        if (!scenario.empty() && (sc != scenario || n != total))
            throw InputError(path, 0, 0, fmt::format("shard of a different sweep ({} with {} points, expected {} with {})", sc, n,
                                                     scenario, total));
        // Every shard ran the same core (its build ID), or the merged points
        // would claim one provenance for results of two.
        Provenance p;
        p.pisim = j.value("pisim", "");
        if (j.contains("core") && j["core"].is_object())
            p.core = {j["core"].value("path", ""), j["core"].value("build_id", "")};
        p.found_by = j.value("command", "");
        if (prov && (other_core(prov->core, p.core) || prov->pisim != p.pisim))
            throw InputError(path, 0, 0, fmt::format("shard run by pisim {} with the core {}, the first by pisim {} with the core {}",
                                                     p.pisim, p.core.describe(), prov->pisim, prov->core.describe()));
        prov = p;
        scenario = sc;
        total = n;
        for (const auto& r : j.at("results")) {
            PointResult p = point_from_json(r);
            if (!all.emplace(p.index, p).second)
                throw InputError(path, 0, 0, fmt::format("point {} appears in more than one shard", p.index));
        }
    }
    if (all.size() != total)
        throw InputError(a.dirs.front(), 0, 0, fmt::format("the shards hold {} of the sweep's {} points", all.size(), total));
    std::vector<PointResult> rs;
    for (auto& [i, r] : all) rs.push_back(std::move(r));
    write_outputs(a.out, scenario, total, rs, "", *prov);
    return summarize(rs, std::cout, false);
}

}  // namespace pisim::cli
