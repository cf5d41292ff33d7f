// cli/cmd_explore.cpp - `pisim explore`: generate race scenarios, judge them by
// the oracles, shrink every failure to a replayable file (platform/explore.h).
#include "cli/commands.h"

#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "platform/core_identity.h"
#include "platform/provenance.h"
#include "platform/explore.h"
#include "platform/hyp_api.h"
#include "platform/input_error.h"
#include "platform/output_file.h"
#include "platform/version.h"
#include "platform/strict_int.h"
#include "platform/utf8.h"

namespace pisim::cli {

namespace {

std::vector<std::string> split_modes(const std::string& list) {
    static const std::vector<std::string> known = {"emulated", "apicv", "cpu-pi", "vtd-pi"};
    std::vector<std::string> out;
    std::stringstream ss(list);
    std::string m;
    while (std::getline(ss, m, ',')) {
        if (std::find(known.begin(), known.end(), m) == known.end())
            throw InputError("--modes", 0, 0, "unknown irq mode '" + m + "' (emulated, apicv, cpu-pi, vtd-pi)");
        if (std::find(out.begin(), out.end(), m) == out.end()) out.push_back(m);
    }
    if (out.empty()) throw InputError("--modes", 0, 0, "give at least one irq mode");
    return out;
}

/// The file name of a kept failure.
std::string failure_file(const CaseResult& r) {
    return fmt::format("failure-{}-{:016x}.yaml", failure_oracle(r), r.seed);
}

/// The generated (unshrunk) case beside it.
std::string full_file(const CaseResult& r) {
    const std::string f = failure_file(r);
    return f.substr(0, f.size() - 5) + ".full.yaml";
}

std::string comment_lines(const std::string& text) {
    std::string out;
    std::stringstream ss(text);
    std::string line;
    while (std::getline(ss, line)) out += "#   " + line + "\n";
    return out;
}

nlohmann::ordered_json coverage_json(const PiCoverage& c) {
    nlohmann::ordered_json states = nlohmann::ordered_json::array(), trans = nlohmann::ordered_json::array(),
                           pairs = nlohmann::ordered_json::array(), both = nlohmann::ordered_json::array();
    for (auto s : c.states) states.push_back(PiCoverage::state_name(s));
    for (auto t : c.transitions)
        trans.push_back({PiCoverage::state_name(t / PiCoverage::kStates), PiCoverage::state_name(t % PiCoverage::kStates)});
    for (auto p : c.pairs) {
        const auto a = static_cast<PiAccess>(p / 16), b = static_cast<PiAccess>(p % 16);
        pairs.push_back({pi_access_name(a), pi_access_name(b)});
        if (p / 16 < p % 16 && c.pairs.count((p % 16) * 16 + p / 16)) both.push_back({pi_access_name(a), pi_access_name(b)});
    }
    nlohmann::ordered_json j;
    j["format"] = "pisim-explore-coverage";
    j["version"] = 1;
    j["counts"] = {{"states", c.states.size()},        {"states_possible", PiCoverage::kStates},
                   {"transitions", c.transitions.size()}, {"pairs", c.pairs.size()},
                   {"pairs_both_orders", both.size()}};
    j["states"] = states;
    j["transitions"] = trans;
    j["pairs"] = pairs;
    j["pairs_both_orders"] = both;
    nlohmann::json raw = c.to_json();
    raw.erase("instances");  // guidance of single cases, not coverage
    j["raw"] = raw;
    return j;
}

std::string coverage_line(const PiCoverage& c) {
    std::size_t both = 0;
    for (auto p : c.pairs)
        if (p / 16 < p % 16 && c.pairs.count((p % 16) * 16 + p / 16)) ++both;
    return fmt::format("{}/{} PI states, {} transitions, {} conflicting-access pairs ({} seen in both orders)",
                       c.states.size(), PiCoverage::kStates, c.transitions.size(), c.pairs.size(), both);
}

struct RunInfo {
    std::uint64_t seed;
    std::string size, modes, shard, command;
    CoreIdentity core;
    unsigned keep;
    std::string reference;  ///< --reference-hyp core ("built-in" or a path); empty: none
};

/// The failure file's header lines that say how it was shrunk and how to
/// replay it.
std::string replay_lines(const RunInfo& info, const CaseResult& r) {
    const std::string hyp = info.core.path == "built-in" ? "" : " --hyp " + info.core.path;
    if (failure_oracle(r) == "latency_regression")
        return fmt::format(
            "# not minimized: the regression is a comparison of two cores, which the minimizer does not repeat\n"
            "# replay: pisim run THIS_FILE{} and the same with the reference core (see 'found by');\n"
            "#   compare their 'hypervisor handlers' tables (or hyp_handlers in --json)\n",
            hyp);
    return fmt::format("# minimized in {} runs; the case as generated is {}\n# replay: pisim run THIS_FILE{}\n",
                       r.minimize_runs, full_file(r), hyp);
}

/// results.json, coverage.json and the failure files of `res` into `dir`.
void write_outputs(const std::string& dir, const RunInfo& info, const ExploreResult& res) {
    std::filesystem::create_directories(dir);
    std::vector<std::string> written = {"results.json", "coverage.json"};
    nlohmann::ordered_json j;
    j["format"] = "pisim-explore";
    j["version"] = 1;
    j["pisim"] = kVersion;
    j["core"] = {{"path", info.core.path}, {"build_id", info.core.build_id}};
    j["seed"] = info.seed;
    j["size"] = info.size;
    j["modes"] = info.modes;
    j["keep"] = info.keep;
    j["command"] = info.command;
    if (!info.shard.empty()) j["shard"] = info.shard;
    if (!info.reference.empty()) j["reference_core"] = info.reference;
    j["cases"] = res.total;
    std::map<std::string, std::uint64_t> by;
    for (const auto& r : res.cases) ++by[failure_oracle(r)];
    j["failing"] = res.cases.size();
    j["by_oracle"] = by;
    nlohmann::ordered_json fs = nlohmann::ordered_json::array();
    for (const auto& r : res.cases) fs.push_back(r.to_json());
    j["failures"] = fs;
    write_file_atomic(dir + "/results.json", json_text(j, 1) + "\n");
    write_file_atomic(dir + "/coverage.json", json_text(coverage_json(res.coverage), 1) + "\n");
    for (const auto& r : res.cases) {
        if (r.minimized.empty()) continue;
        const std::string header = fmt::format(
            "# pisim explore failure: oracle {}, case {} (seed {:#018x}, irq mode {})\n"
            "# pisim {}; core: {}\n"
            "# found by: {}\n"
            "# first violation at cycle {}:\n{}"
            "{}",
            failure_oracle(r), r.index, r.seed, r.mode, kVersion, info.core.describe(), info.command, r.first_cycle,
            comment_lines(r.first_message), replay_lines(info, r));
        written.push_back(failure_file(r));
        written.push_back(full_file(r));
        // The machine-readable provenance `pisim run` compares with the core
        // it loads (platform/provenance.h).
        Provenance prov;
        prov.pisim = kVersion;
        prov.core = info.core;
        prov.found_by = info.command;
        write_file_atomic(dir + "/" + failure_file(r), header + with_provenance(r.minimized, with_scenario_seed(prov, r.minimized)));
        write_file_atomic(dir + "/" + full_file(r),
                          fmt::format("# pisim explore case {} as generated (seed {:#018x}); see {}\n", r.index, r.seed,
                                      failure_file(r)) +
                              with_provenance(r.yaml, with_scenario_seed(prov, r.yaml)));
    }
    // A previous exploration's failures would read as this one's.
    remove_stale_results(dir, written);
}

int summarize(const RunInfo& info, const ExploreResult& res, const std::string& dir, std::ostream& out) {
    out << fmt::format("explore: {} cases in {:.1f} s ({:.0f} cases/s), size {}, modes {}, seed {}{}\n", res.total,
                       res.seconds, res.seconds > 0 ? static_cast<double>(res.total) / res.seconds : 0.0, info.size,
                       info.modes, info.seed, info.shard.empty() ? "" : ", shard " + info.shard);
    out << "coverage: " << coverage_line(res.coverage) << "\n";
    std::map<std::string, std::vector<const CaseResult*>> by;
    for (const auto& r : res.cases) by[failure_oracle(r)].push_back(&r);
    if (by.empty()) {
        out << "no oracle violated\n";
        return 0;
    }
    out << fmt::format("FAILING: {} case(s); kept failures shrunk in {:.1f} s\n", res.cases.size(), res.shrink_seconds);
    for (const auto& [oracle, rs] : by) {
        const CaseResult& f = *rs.front();
        out << fmt::format("  {:<20} {:>6} case(s); first: case {} after {:.1f} s, cycle {}: {}\n", oracle, rs.size(),
                           f.index, f.found_after, f.first_cycle, f.first_message.substr(0, 160));
        for (const CaseResult* r : rs)
            if (!r->minimized.empty()) {
                out << fmt::format("      {}{}\n", dir.empty() ? "" : dir + "/", failure_file(*r));
                if (oracle == "crash" && !dir.empty())
                    out << fmt::format("        replay: pisim run {}/{}{}\n", dir, failure_file(*r),
                                       info.core.path == "built-in" ? "" : " --hyp " + info.core.path);
            }
    }
    if (dir.empty()) out << "(give -o DIR to keep the failing cases as scenario files)\n";
    return 1;
}

}  // namespace

int cmd_explore(const ExploreArgs& a) {
    ExploreOptions o;
    o.seed = a.seed;
    o.cases = a.seeds;
    o.budget_seconds = a.budget;
    if (!o.cases && !o.budget_seconds) o.budget_seconds = 60;
    o.jobs = a.jobs ? a.jobs : std::max(1u, static_cast<unsigned>(::sysconf(_SC_NPROCESSORS_ONLN)));
    o.hyp_path = a.hyp;
    o.max_wall = a.max_wall;
    o.keep = a.keep;
    o.minimize = !a.no_minimize;
    o.guided = !a.unguided;
    try {
        o.gen.size = parse_size(a.size);
    } catch (const std::invalid_argument& e) {
        throw InputError("--size", 0, 0, e.what());
    }
    o.gen.modes = split_modes(a.modes);
    if (!a.shard.empty()) {
        std::uint64_t k = 0, n = 0;
        if (!parse_fraction_strict(a.shard, k, n) || n == 0 || k == 0 || k > n || kLanes % n != 0)
            throw InputError("--shard", 0, 0,
                             fmt::format("--shard expects K/N with 1 <= K <= N and N dividing {}, got '{}'", kLanes, a.shard));
        if (a.out.empty()) throw InputError("--shard", 0, 0, "--shard needs --out DIR (combine the shards with pisim merge)");
        o.shard_k = static_cast<unsigned>(k), o.shard_n = static_cast<unsigned>(n);
    }
    if (!a.reference_hyp.empty()) {
        if (a.reference_hyp == "builtin" || a.reference_hyp == "built-in") {
            o.reference_hyp = std::string();
        } else {
            if (!std::filesystem::is_regular_file(a.reference_hyp))
                throw InputError("--reference-hyp", 0, 0, "'" + a.reference_hyp + "' is not a file (give a core's .so or builtin)");
            o.reference_hyp = a.reference_hyp;
        }
    }
    require_core(a.hyp, "--hyp");
    if (o.reference_hyp) require_core(*o.reference_hyp, "--reference-hyp");
    OutputSet files;  // before the cases run, not after; not where the core is
    files.input(a.hyp, "the --hyp core");
    if (o.reference_hyp && !o.reference_hyp->empty()) files.input(*o.reference_hyp, "the --reference-hyp core");
    files.results_dir(a.out, "--out");
    RunInfo info{a.seed, a.size, "", a.shard, a.command, core_identity(a.hyp), a.keep};
    for (const auto& m : o.gen.modes) info.modes += (info.modes.empty() ? "" : ",") + m;
    if (o.reference_hyp) info.reference = o.reference_hyp->empty() ? "built-in" : *o.reference_hyp;

    const bool tty = ::isatty(2);
    double last = -1;
    const auto t0 = std::chrono::steady_clock::now();
    o.progress = [&](std::uint64_t done, std::uint64_t failing) {
        const double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (t - last < (tty ? 0.5 : 10.0)) return;
        last = t;
        std::cerr << fmt::format("{}explore: {} cases, {:.0f}/s, {} failing{}", tty ? "\r" : "", done,
                                 t > 0 ? static_cast<double>(done) / t : 0.0, failing, tty ? "" : "\n");
    };
    ExploreResult res = explore(o);
    if (tty && last >= 0) std::cerr << "\n";
    if (!a.out.empty()) write_outputs(a.out, info, res);
    return summarize(info, res, a.out, std::cout);
}

int cmd_explore_merge(const std::vector<std::string>& dirs, const std::string& out_dir) {
    RunInfo info{};
    ExploreResult res;
    std::string modes_seen;
    std::set<std::string> shards;
    for (const auto& dir : dirs) {
        const std::string path = dir + "/results.json", cpath = dir + "/coverage.json";
        nlohmann::json j, c;
        try {
            std::ifstream in(path), cin(cpath);
            j = nlohmann::json::parse(in);
            c = nlohmann::json::parse(cin);
        } catch (const nlohmann::json::exception& e) {
            throw InputError(path, 0, 0, std::string("not a pisim explore result: ") + e.what());
        }
        const std::string key = fmt::format("{} {} {} {} {}", j.at("seed").get<std::uint64_t>(), j.at("size").get<std::string>(),
                                            j.at("modes").get<std::string>(), j.at("core").at("build_id").get<std::string>(),
                                            j.value("reference_core", std::string()));
        if (!modes_seen.empty() && key != modes_seen)
            throw InputError(path, 0, 0, "shard of a different exploration (seed, size, modes, core or reference core differ)");
        modes_seen = key;
        if (!j.contains("shard") || !shards.insert(j["shard"].get<std::string>()).second)
            throw InputError(path, 0, 0, "not a shard, or a shard given twice");
        info.seed = j.at("seed").get<std::uint64_t>();
        info.size = j.at("size").get<std::string>();
        info.modes = j.at("modes").get<std::string>();
        info.keep = j.at("keep").get<unsigned>();
        info.core = {j.at("core").at("path").get<std::string>(), j.at("core").at("build_id").get<std::string>()};
        info.command = j.at("command").get<std::string>();
        if (j.contains("reference_core")) info.reference = j["reference_core"].get<std::string>();
        res.total += j.at("cases").get<std::uint64_t>();
        for (const auto& f : j.at("failures")) res.cases.push_back(CaseResult::from_json(f));
        res.coverage.merge(PiCoverage::from_json(c.at("raw")));
    }
    std::sort(res.cases.begin(), res.cases.end(), [](const CaseResult& a, const CaseResult& b) { return a.index < b.index; });
    // The first `keep` failures of each oracle, as a single run keeps them.
    std::map<std::string, unsigned> kept;
    for (auto& r : res.cases)
        if (kept[failure_oracle(r)]++ >= info.keep) r.minimized.clear(), r.minimize_runs = 0;
    write_outputs(out_dir, info, res);
    return summarize(info, res, out_dir, std::cout);
}

}  // namespace pisim::cli
