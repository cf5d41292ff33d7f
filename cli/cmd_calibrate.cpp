// cli/cmd_calibrate.cpp - `pisim calibrate`: run the calibration suite
// (scenarios/calibration/) on one timing profile and set each measure beside
// its published figure.
//
// Every scenario there mirrors a published micro-benchmark and names, in its
// `calibration:` section, how pisim's value is taken from the run
// (platform/calibration.h) and the published figure per profile (cycles,
// CPU, source). A row passes when its ratio lies in 0.75x-1.33x, or when the
// scenario states a known gap for that profile (README.md lists every one);
// a row without a published figure for the profile is shown and not judged.
// Exit 1 when a row is outside the band without a reason, or a run fails its
// own expectations; 2 on bad input.
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "platform/hyp_api.h"
#include "platform/calibration.h"
#include "platform/child_process.h"
#include "platform/input_error.h"
#include "platform/machine.h"
#include "platform/output_file.h"
#include "platform/report.h"
#include "platform/utf8.h"

namespace pisim::cli {

namespace {

struct Row {
    std::string file;
    CalibrationSpec spec;
    std::optional<CalibrationValue> value;
    std::string error;  ///< the run failed or gave too few samples
    const PublishedFigure* published = nullptr;
    std::uint64_t permille = 0;
    std::string status;  ///< ok, known-gap, FAIL, no-figure, ERROR, STOPPED (by --max-wall)
    std::string gap;
};

// One calibration run in a child process: {"cycles", "samples"}, {"error"} or
// {"stopped"} (--max-wall stopped it: where).
nlohmann::json measure(const Scenario& s, const TimingProfile& p, const CalibrationSpec& spec, const std::string& hyp,
                       std::uint64_t max_wall) {
    ChildResult c = run_in_child([&] {
        nlohmann::ordered_json out;
        try {
            RunOptions o;
            o.hyp_path = hyp;
            o.max_wall = max_wall;  // from the core's boot on
            Machine m(s, p, o);
            CalibrationProbe probe(spec, s, p.get("cpu.vm_exit"), p.get("cpu.vm_entry"));
            m.hub().observer = [&probe](const Event& e, std::uint32_t) { probe.on_event(e); };
            m.run(0, max_wall);
            RunReport r = make_report(m, std::max<std::uint64_t>(s.duration / 20, 100000));
            if (r.truncated) {
                out = {{"stopped", fmt::format("stopped by {} at cycle {} of {}{}", r.stopped_by, r.end_cycle, r.duration,
                                         m.stopped_in_boot().empty() ? std::string() : " (in the core's " + m.stopped_in_boot() + ")")}};
                return out.dump();
            }
            if (!r.passed()) {
                std::string why;
                for (const std::string& f : r.failures) why += (why.empty() ? "" : "; ") + f;
                out = {{"error", "the run failed: " + why}};
                return out.dump();
            }
            if (spec.method == CalibrationSpec::Method::IrqLatency)
                for (const IrqRecord& i : r.interrupts)
                    if (i.delivered && !i.host) probe.add_latency(i.latency());
            std::string why;
            if (auto v = probe.value(why)) out = {{"cycles", v->cycles}, {"samples", v->samples}};
            else out = {{"error", why}};
        } catch (const InputError& e) {
            out = {{"error", e.what()}};
        }
        return out.dump();
    });
    if (!c.ok) return {{"error", "the simulation did not finish: " + c.error}};
    return nlohmann::json::parse(c.output);
}

std::string cell(const std::string& s, std::size_t w) { return s.size() >= w ? s : s + std::string(w - s.size(), ' '); }
std::string rcell(const std::string& s, std::size_t w) { return s.size() >= w ? s : std::string(w - s.size(), ' ') + s; }

}  // namespace

int cmd_calibrate(const CalibrateArgs& a) {
    namespace fs = std::filesystem;
    // The profile first: a bad --profile is bad input before anything runs.
    const TimingProfile profile = TimingProfile::load(a.profile);
    if (!fs::is_directory(a.dir)) throw InputError(a.dir, 0, 0, "calibration directory not found");
    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(a.dir))
        if (e.is_regular_file() && e.path().extension() == ".yaml") files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    if (files.empty()) throw InputError(a.dir, 0, 0, "no calibration scenarios (*.yaml) in the directory");
    // Before the suite runs, not after; not a file the suite reads.
    OutputSet outs;
    for (const std::string& f : files) outs.input(f, "a calibration scenario");
    outs.input(profile.path(), "the timing profile");
    require_core(a.hyp, "--hyp");
    outs.input(a.hyp, "the --hyp core");
    outs.output(a.json, "--json");

    std::vector<Row> rows;
    for (const std::string& f : files) {
        Row row;
        row.file = fs::relative(f, fs::current_path()).string();
        if (row.file.rfind("..", 0) == 0) row.file = f;
        Scenario s = load_scenario(f);
        row.spec = load_calibration(s);
        s.profile = a.profile;  // the suite runs on the chosen profile
        const TimingProfile p = resolve_profile(s);
        std::cerr << fmt::format("calibrate: {} ({})\n", row.spec.measure, row.file);
        const nlohmann::json j = measure(s, p, row.spec, a.hyp, a.max_wall);
        if (j.contains("error")) row.error = j["error"].get<std::string>();
        else if (j.contains("stopped")) row.error = j["stopped"].get<std::string>();
        else row.value = CalibrationValue{j["cycles"].get<std::uint64_t>(), j["samples"].get<std::uint64_t>()};
        auto pub = row.spec.published.find(profile.name());
        if (pub != row.spec.published.end()) row.published = &pub->second;
        auto gap = row.spec.known_gap.find(profile.name());
        if (gap != row.spec.known_gap.end()) row.gap = gap->second;
        if (j.contains("stopped")) row.status = "STOPPED";
        else if (!row.value) row.status = "ERROR";
        else if (!row.published) row.status = "no-figure";
        else {
            row.permille = ratio_permille(row.value->cycles, row.published->cycles);
            const bool in_band = row.permille >= kBandLowPermille && row.permille <= kBandHighPermille;
            row.status = in_band ? "ok" : row.gap.empty() ? "FAIL" : "known-gap";
        }
        rows.push_back(std::move(row));
    }

    // The table: measure | pisim | published | ratio | source.
    std::size_t wm = 7;
    for (const Row& r : rows) wm = std::max(wm, r.spec.measure.size());
    std::string out = fmt::format("pisim calibrate: profile {} ({} MHz), {} row(s); band {}-{}\n\n", profile.name(),
                                  profile.frequency_mhz(), rows.size(), format_ratio(kBandLowPermille),
                                  format_ratio(kBandHighPermille));
    out += fmt::format("{} | {} | {} | {} | {}\n", cell("measure", wm), rcell("pisim", 7), rcell("published", 9),
                       cell("ratio", 15), "source");
    out += std::string(wm, '-') + "-|-" + std::string(7, '-') + "-|-" + std::string(9, '-') + "-|-" + std::string(15, '-') +
           "-|-------\n";
    int failed = 0, stopped = 0;
    for (const Row& r : rows) {
        const std::string pisim = r.value ? fmt::format("{}", r.value->cycles) : "-";
        const std::string pub = r.published ? fmt::format("{}", r.published->cycles) : "-";
        std::string ratio = r.published && r.value ? format_ratio(r.permille) : "";
        if (r.status == "FAIL") ratio += " OUT";
        if (r.status == "known-gap") ratio += " known gap";
        if (r.status == "no-figure") ratio = "no figure";
        if (r.status == "ERROR") ratio = "ERROR";
        if (r.status == "STOPPED") ratio = "STOPPED";
        const std::string src = r.published ? r.published->source + " [" + r.published->cpu + "]" : "no published figure for " + profile.name();
        out += fmt::format("{} | {} | {} | {} | {}\n", cell(r.spec.measure, wm), rcell(pisim, 7), rcell(pub, 9),
                           cell(ratio, 15), src);
        if (r.status == "FAIL" || r.status == "ERROR") ++failed;
        stopped += r.status == "STOPPED";
    }
    std::string notes;
    for (const Row& r : rows) {
        if (r.status == "known-gap") notes += fmt::format("  known gap, {}: {}\n", r.spec.measure, r.gap);
        if (r.status == "FAIL")
            notes += fmt::format("  OUT OF BAND, {}: {} against {} with no known_gap for {} in {}\n", r.spec.measure,
                                 format_ratio(r.permille), r.published->cycles, profile.name(), r.file);
        if (r.status == "ERROR") notes += fmt::format("  ERROR, {} ({}): {}\n", r.spec.measure, r.file, r.error);
        if (r.status == "STOPPED") notes += fmt::format("  STOPPED, {} ({}): {}; not judged\n", r.spec.measure, r.file, r.error);
    }
    if (!notes.empty()) out += "\n" + notes;
    std::cout << out;

    if (!a.json.empty()) {
        nlohmann::ordered_json j;
        j["format"] = "pisim-calibrate";
        j["version"] = 1;
        j["profile"] = profile.name();
        j["frequency_mhz"] = profile.frequency_mhz();
        j["band_permille"] = {kBandLowPermille, kBandHighPermille};
        j["rows"] = nlohmann::ordered_json::array();
        for (const Row& r : rows) {
            nlohmann::ordered_json x;
            x["measure"] = r.spec.measure;
            x["scenario"] = r.file;
            x["method"] = r.spec.method_name;
            x["status"] = r.status;
            x["pisim_cycles"] = r.value ? nlohmann::ordered_json(r.value->cycles) : nlohmann::ordered_json();
            x["samples"] = r.value ? nlohmann::ordered_json(r.value->samples) : nlohmann::ordered_json();
            if (r.published) {
                x["published_cycles"] = r.published->cycles;
                x["published_cpu"] = r.published->cpu;
                x["source"] = r.published->source;
                if (r.value) x["ratio_permille"] = r.permille;
            } else {
                x["published_cycles"] = nullptr;
            }
            if (!r.gap.empty()) x["known_gap"] = r.gap;
            if (!r.error.empty()) x["error"] = r.error;
            x["mirrors"] = r.spec.mirrors;
            j["rows"].push_back(x);
        }
        write_file_atomic(a.json, json_text(j, 2) + "\n");
    }
    return failed ? 1 : stopped ? 3 : 0;
}

}  // namespace pisim::cli
