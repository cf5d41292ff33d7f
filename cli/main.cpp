// cli/main.cpp - the pisim command.
//
// Exit codes: 0 every expectation held; 1 an expectation or invariant failed;
// 3 a --max-cycles/--max-wall limit stopped the run (trace marked truncated);
// 2 bad input (the message names file, line and column) or bad usage;
// 4 the hypervisor core crashed (platform/crash_report.h).
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <systemc>

#include "cli/commands.h"
#include "cli/strict_options.h"
#include "platform/data_dir.h"
#include "platform/crash_report.h"
#include "platform/input_error.h"
#include "platform/machine.h"
#include "platform/output_file.h"
#include "platform/provenance.h"
#include "platform/report.h"
#include "platform/run_limits.h"
#include "platform/trace_writer.h"
#include "platform/utf8.h"
#include "platform/version.h"

namespace pisim {
TimingProfile resolve_profile(const Scenario& s);  // platform/machine.cpp
}

namespace {

constexpr int kExitOk = 0, kExitFailed = 1, kExitBadInput = 2, kExitTruncated = 3;

struct RunArgs {
    std::string scenario;
    std::string json_out, trace_out, hyp;
    std::optional<std::uint64_t> seed;
    bool quiet = false, summary_only = false;
    std::uint64_t grace = 0;
    std::uint64_t max_cycles = 0, max_wall = 0;
    std::string vtd_engine, trace_rtl;
};

int cmd_validate(const std::string& file) {
    pisim::Scenario s = pisim::load_scenario(file);
    pisim::resolve_profile(s);
    for (const auto& w : s.warnings) std::cerr << w << "\n";
    if (s.provenance)
        std::cout << fmt::format("{}: written by pisim {} running the core {}\n", file, s.provenance->pisim,
                                 s.provenance->core.describe());
    std::cout << fmt::format("{}: ok ({} pCPU(s), {} vCPU(s), {} device(s), {} timed event(s), {} cycles)\n", file, s.pcpus,
                             s.total_vcpus(), s.devices.size(), s.events.size(), s.duration);
    return kExitOk;
}

int cmd_run(const RunArgs& a) {
    pisim::Scenario s = pisim::load_scenario(a.scenario);
    pisim::TimingProfile p = pisim::resolve_profile(s);
    // Every output is checked before the run, not found unwritable after it,
    // and none names another output or a file the run reads.
    pisim::OutputSet files;
    files.input(a.scenario, "the scenario");
    for (const std::string& t : s.traffic_files) files.input(t, "a traffic file of the scenario");
    files.input(p.path(), "the timing profile");
    files.input(a.hyp, "the --hyp core");
    files.output(a.json_out, "--json");
    files.output(a.trace_out, "--trace");
    files.output(a.trace_rtl, "--trace-rtl");
    // A file written for replay (a sweep point, an exploration's failure)
    // names the core it failed with: say so when this is another one.
    if (const std::string w = pisim::provenance_warning(a.scenario, s.provenance, pisim::core_identity(a.hyp)); !w.empty())
        std::cerr << w << "\n";
    for (const auto& w : s.warnings) std::cerr << w << "\n";
    if (a.seed) {
        s.seed = *a.seed;
        for (auto& d : s.devices) d.nic.seed = s.seed;
    }
    pisim::RunOptions o;
    o.trace_path = a.trace_out;
    o.hyp_path = a.hyp;
    o.vtd_engine = a.vtd_engine;
    o.trace_rtl_path = a.trace_rtl;
    o.max_wall = a.max_wall;  // from the core's boot (hyp_init) on
    const std::uint64_t grace = a.grace ? a.grace : std::max<std::uint64_t>(s.duration / 20, 100000);
    // Installed before the machine boots the core (hyp_init runs in its
    // constructor): a crash there is reported too, without a trace.
    std::unique_ptr<pisim::Machine> machine;
    pisim::install_crash_report({a.hyp.empty() ? std::string("built-in") : a.hyp, [&machine, &a, grace]() -> std::string {
                                     pisim::Machine* m = machine.get();
                                     if (!m) return {};
                                     m->publish_rtl_trace();  // the waveform up to the crash
                                     if (!m->hub().trace) return {};
                                     m->hub().flush();
                                     pisim::RunReport r = pisim::make_report(*m, grace);
                                     r.truncated = true;
                                     r.stopped_by = "a crash of the hypervisor core";
                                     m->hub().trace->finish(*m, r);
                                     return a.trace_out;
                                 }});
    machine = std::make_unique<pisim::Machine>(s, p, o);
    pisim::Machine& m = *machine;
    m.run(a.max_cycles, a.max_wall);
    if (!m.stopped_in_boot().empty())
        std::cerr << "pisim: --max-wall stopped the hypervisor core in " << m.stopped_in_boot()
                  << ", before the simulation started (cycle 0)\n";
    pisim::RunReport r = pisim::make_report(m, grace);
    if (!a.json_out.empty()) pisim::write_file_atomic(a.json_out, pisim::json_text(pisim::to_json(r), 2) + "\n");
    if (m.hub().trace) m.hub().trace->finish(m, r);
    m.publish_rtl_trace();
    if (!a.quiet) std::cout << pisim::format_text(r, !a.summary_only);
    std::cout.flush();
    // all_delivered holds of no interrupt at all: a scenario whose traffic
    // never reached a guest passes without testing anything.
    if (r.passed() && !r.truncated && s.expect.all_delivered && !s.expect.min_interrupts && r.interrupts.empty() &&
        (s.expect.all_delivered_given || !s.devices.empty()))
        std::cerr << fmt::format("{}: warning: passed with 0 device interrupts, so expect.all_delivered held of none; "
                                 "give expect.min_interrupts to require some\n",
                                 a.scenario);
    if (r.truncated) return kExitTruncated;
    return r.passed() ? kExitOk : kExitFailed;
}

}  // namespace

int sc_main(int argc, char** argv) {
    CLI::App app{fmt::format("pisim: deterministic, cycle-timed simulation of interrupt virtualization.\n"
                 "A hypervisor core in C runs against SystemC models of an APIC-virtualized CPU,\n"
                 "a local APIC, a VT-d remapping unit and an MSI-X NIC; YAML scenarios replay\n"
                 "races to the cycle. Exit codes: 0 pass, 1 expectation/invariant failed, 2 bad input,\n"
                 "3 stopped by a --max-cycles/--max-wall limit, 4 the hypervisor core crashed. Input caps, checked\n"
                 "before reading: YAML files (scenarios, profiles, baselines) {} MiB, traces {} MiB (--max-size).",
                 pisim::InputCaps::yaml_bytes >> 20, pisim::InputCaps::trace_bytes >> 20)};
    app.require_subcommand(1);
    app.set_version_flag("--version", std::string("pisim ") + pisim::kVersion);

    RunArgs ra;
    CLI::App* run = app.add_subcommand("run", "Run a scenario and report per-interrupt latencies in cycles");
    run->add_option("scenario", ra.scenario, "Scenario file (YAML)")->required()->check(CLI::ExistingFile);
    run->add_option("--json", ra.json_out, "Also write the results as JSON to FILE");
    run->add_option("--trace", ra.trace_out, "Record every interrupt-state event and write the trace to FILE (docs/trace-format.md)");
    run->add_option("--seed", ra.seed, "Override the scenario's seed");
    run->add_option("--hyp", ra.hyp, "Run this hypervisor core (a shared object built like libhyp.so) instead of the built-in one")
        ->check(CLI::ExistingFile);
    run->add_option("--grace", ra.grace, "Cycles before the end within which an undelivered interrupt counts as in flight, not lost (default: 5% of the duration, at least 100000)")
        ->check(pisim::cli::integer_in(0, pisim::ScenarioLimits::max_duration));
    run->add_option("--vtd-engine", ra.vtd_engine, "VT-d request path: tlm (C++ model) or rtl (verilated RTL); overrides the scenario's vtd.engine")
        ->check(CLI::IsMember({"tlm", "rtl"}));
    run->add_option("--trace-rtl", ra.trace_rtl, "With the RTL engine: dump its waveform as VCD to FILE (GTKWave, Surfer)");
    run->add_option("--max-cycles", ra.max_cycles, "Stop after this many simulated cycles (exit 3, trace marked truncated)")
        ->check(CLI::Range(std::uint64_t{1}, pisim::ScenarioLimits::max_duration));
    run->add_option("--max-wall", ra.max_wall,
                    "Stop after this many wall-clock seconds, whatever the simulation or the core is doing (exit 3, trace "
                    "marked truncated)")
        ->check(CLI::Range(std::uint64_t{1}, pisim::RunLimits::max_wall_seconds));
    run->add_flag("--summary", ra.summary_only, "Print only the summary, not every interrupt");
    run->add_flag("-q,--quiet", ra.quiet, "Print nothing (use the exit code and --json)");

    std::string vfile;
    CLI::App* validate = app.add_subcommand("validate", "Check a scenario file without running it");
    validate->add_option("scenario", vfile, "Scenario file (YAML)")->required();

    pisim::cli::SweepArgs sa;
    CLI::App* sweep = app.add_subcommand("sweep", "Run a scenario at many points (a grid of --vary values or --random event times), each in its own process");
    sweep->add_option("scenario", sa.scenario, "Scenario file (YAML)")->required()->check(CLI::ExistingFile);
    sweep->add_option("--vary", sa.vary, "PATH=START:END[:STEP]: vary an integer field of the scenario (e.g. events.0.at=1000:2000:10); several make a grid");
    sweep->add_option("--random", sa.random, "N random points: event times (or the --vary ranges) drawn from --seed")
        ->check(pisim::cli::integer_in(1, pisim::cli::kMaxPoints));
    sweep->add_option("--seed", sa.random_seed, "Seed of the random exploration (default 1)");
    sweep->add_option("-j,--jobs", sa.jobs, "Parallel simulations (default: one per core); results are identical for any value")
        ->check(pisim::cli::integer_in(0, pisim::cli::kMaxJobs));
    sweep->add_option("-o,--out", sa.out, "Write results.json, results.tsv and every failing point as a standalone scenario to DIR");
    sweep->add_option("--shard", sa.shard, "K/N: run only the K-th of N deterministic shares of the points (combine with pisim merge)");
    sweep->add_option("--hyp", sa.hyp, "Hypervisor core shared object to run instead of the built-in one")->check(CLI::ExistingFile);
    sweep->add_flag("--minimize", sa.minimize, "Shrink every failing point while it still fails the same way (writes point-N-min.yaml)");
    sweep->add_option("--max-cycles", sa.max_cycles, "Stop each point after this many simulated cycles (the point exits 3)")
        ->check(CLI::Range(std::uint64_t{1}, pisim::ScenarioLimits::max_duration));
    sweep->add_option("--max-wall", sa.max_wall, "Stop each point after this many wall-clock seconds (the point exits 3)")
        ->check(CLI::Range(std::uint64_t{1}, pisim::RunLimits::max_wall_seconds));

    pisim::cli::ExploreArgs xa;
    CLI::App* explore = app.add_subcommand(
        "explore", "Find races nobody wrote down: run generated scenarios judged by the oracles alone, coverage-guided, "
                   "and shrink every failure to a scenario file that pisim run replays");
    explore->add_option("--seeds", xa.seeds, "Run this many generated cases (default: until --budget)");
    explore->add_option("--budget", xa.budget, "Stop starting cases after this many seconds (default 60 when --seeds is not given)")
        ->check(pisim::cli::integer_in(0, pisim::cli::kMaxSeconds));
    explore->add_option("--seed", xa.seed, "Seed of the exploration (default 1): the same seed gives the same cases");
    explore->add_option("-j,--jobs", xa.jobs, "Parallel simulations (default: one per core); results are identical for any value")
        ->check(pisim::cli::integer_in(0, pisim::cli::kMaxJobs));
    explore->add_option("--shard", xa.shard, "K/N: run the K-th of N deterministic shares of the cases, N dividing 64 (combine with pisim merge)");
    explore->add_option("-o,--out", xa.out, "Write results.json, coverage.json and every kept failure (failure-ORACLE-SEED.yaml) to DIR");
    explore->add_option("--hyp", xa.hyp, "Hypervisor core shared object to explore instead of the built-in one")->check(CLI::ExistingFile);
    explore->add_option("--reference-hyp", xa.reference_hyp,
                        "Also run every case on this core ('builtin' for the built-in one) and fail a case whose hypervisor "
                        "handlers cost at least 25 % and 250 cycles more per call on the explored core (latency_regression)");
    explore->add_option("--size", xa.size, "Case size: small (<= 2 pCPUs), medium (<= 4 pCPUs, default), large (<= 8 pCPUs, 16 vCPUs)")
        ->check(CLI::IsMember({"small", "medium", "large"}));
    explore->add_option("--modes", xa.modes, "Comma-separated irq modes to draw from (default emulated,apicv,cpu-pi,vtd-pi)");
    explore->add_option("--keep", xa.keep, "Failures kept, shrunk and written per oracle (default 3)")->check(CLI::Range(1u, 1000u));
    explore->add_flag("--no-minimize", xa.no_minimize, "Keep failures as generated (faster)");
    explore->add_flag("--unguided", xa.unguided, "Make every case fresh from its seed (no coverage-guided derived cases)");
    explore->add_option("--max-wall", xa.max_wall,
                        "Stop a case after this many wall-clock seconds and file it as a 'timeout' failure (default 60)")
        ->check(CLI::Range(std::uint64_t{1}, pisim::RunLimits::max_wall_seconds));
    pisim::cli::MergeArgs ma;
    CLI::App* merge = app.add_subcommand("merge", "Combine the results of sweep or explore shards into the table and files of a single run");
    merge->add_option("dirs", ma.dirs, "Shard output directories")->required()->check(CLI::ExistingDirectory);
    merge->add_option("-o,--out", ma.out, "Output directory")->required();

    pisim::cli::ExportArgs ea;
    CLI::App* exp = app.add_subcommand("export", "Convert a trace for the Perfetto UI / chrome://tracing (--perfetto) and waveform viewers (--vcd)");
    exp->add_option("trace", ea.trace, "Trace file (pisim run --trace)")->required()->check(CLI::ExistingFile);
    exp->add_option("--perfetto", ea.perfetto, "Write Chrome JSON trace events to FILE (1 cycle shown as 1 ns)");
    exp->add_option("--vcd", ea.vcd, "Write a value change dump to FILE ($timescale 1 ns = 1 cycle)");
    exp->add_option("--max-size", ea.max_mib, "Refuse a trace larger than this many MiB before reading it (default " + std::to_string(pisim::cli::kTraceCapMiB) + ")")->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 30));

    pisim::cli::ReportArgs rpa;
    CLI::App* report = app.add_subcommand("report", "Write one self-contained HTML file (the viewer with the trace inlined) that opens from disk");
    report->add_option("trace", rpa.trace, "Trace file (pisim run --trace)")->required()->check(CLI::ExistingFile);
    report->add_option("-o,--out", rpa.out, "Output HTML file")->required();
    report->add_option("--max-size", rpa.max_mib, "Refuse a trace larger than this many MiB before reading it (default " + std::to_string(pisim::cli::kTraceCapMiB) + ")")->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 30));

    pisim::cli::ViewArgs vwa;
    CLI::App* view = app.add_subcommand("view", "Serve the trace viewer on 127.0.0.1 and print its URL");
    view->add_option("trace", vwa.trace, "Trace file (pisim run --trace)")->required()->check(CLI::ExistingFile);
    view->add_option("-p,--port", vwa.port, "Port (default: any free port)")->check(CLI::Range(0, 65535));
    view->add_option("--max-size", vwa.max_mib, "Refuse a trace larger than this many MiB before reading it (default " + std::to_string(pisim::cli::kTraceCapMiB) + ")")->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 30));

    pisim::cli::CheckArgs ca;
    CLI::App* check = app.add_subcommand("check", "CI latency gate: run scenarios and compare every metric with a baseline; exit 1 on a regression and say where the cycles went");
    check->add_option("scenarios", ca.scenarios, "Scenario files (default: the suite listed in the baseline)");
    check->add_option("-b,--baseline", ca.baseline, "Baseline file (YAML)")->required();
    check->add_option("--hyp", ca.hyp, "Hypervisor core shared object to check instead of the built-in one")->check(CLI::ExistingFile);
    check->add_flag("--update-baseline", ca.update, "Rewrite the baseline with the figures of this run (stable order)");
    check->add_option("--junit", ca.junit, "Write a JUnit XML report (one test case per scenario and metric group)");
    check->add_option("--markdown", ca.markdown, "Write a Markdown summary (for a CI job summary)");
    check->add_option("--json", ca.json, "Write the comparison as JSON");
    check->add_option("--max-wall", ca.max_wall,
                      "Stop each scenario after this many wall-clock seconds, whatever the simulation or the core is doing "
                      "(the scenario is not compared; exit 3 unless a regression exits 1)")
        ->check(CLI::Range(std::uint64_t{1}, pisim::RunLimits::max_wall_seconds));

    pisim::cli::CalibrateArgs cla;
    cla.dir = pisim::data_dir("scenarios/calibration");
    CLI::App* calibrate = app.add_subcommand(
        "calibrate", "Run the calibration suite (scenarios/calibration/: micro-benchmarks mirroring published ones) and print\n"
                     "measure | pisim | published | ratio | source, in cycles. A row must lie within 0.75x-1.33x of its\n"
                     "published figure unless its scenario states a known gap; exit 1 otherwise (or when a run fails), 2 on bad input");
    calibrate->add_option("-p,--profile", cla.profile, "Timing profile: a name in profiles/ (skylake-sp, sandybridge) or a .yaml path (default skylake-sp)");
    calibrate->add_option("--json", cla.json, "Also write the table as JSON to FILE (format pisim-calibrate)");
    calibrate->add_option("--dir", cla.dir, "Directory of calibration scenarios (default: the source tree's scenarios/calibration)")
        ->check(CLI::ExistingDirectory);
    calibrate->add_option("--hyp", cla.hyp, "Hypervisor core shared object to calibrate instead of the built-in one")->check(CLI::ExistingFile);
    calibrate->add_option("--max-wall", cla.max_wall,
                          "Stop each calibration scenario after this many wall-clock seconds, whatever the simulation or the "
                          "core is doing (the row is not judged; exit 3 unless a row fails)")
        ->check(CLI::Range(std::uint64_t{1}, pisim::RunLimits::max_wall_seconds));

    // Every integer option, whatever its range check, is read strictly.
    pisim::cli::make_integers_strict(app);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? kExitOk : kExitBadInput;
    }

    sc_core::sc_report_handler::set_actions("/IEEE_Std_1666/deprecated", sc_core::SC_DO_NOTHING);
    sc_core::sc_report_handler::set_actions(sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
    try {
        if (*run) return cmd_run(ra);
        if (*validate) return cmd_validate(vfile);
        if (*sweep) return pisim::cli::cmd_sweep(sa);
        if (*merge) return pisim::cli::cmd_merge(ma);
        if (*explore) {
            xa.command = fmt::format("pisim explore --seed {} --size {} --modes {}{}{}", xa.seed, xa.size, xa.modes,
                                     xa.unguided ? " --unguided" : "", xa.hyp.empty() ? "" : " --hyp " + xa.hyp) +
                         (xa.reference_hyp.empty() ? "" : " --reference-hyp " + xa.reference_hyp);
            return pisim::cli::cmd_explore(xa);
        }
        if (*exp) return pisim::cli::cmd_export(ea);
        if (*report) return pisim::cli::cmd_report(rpa);
        if (*check) return pisim::cli::cmd_check(ca);
        if (*calibrate) return pisim::cli::cmd_calibrate(cla);
        if (*view) return pisim::cli::cmd_view(vwa);
    } catch (const pisim::InputError& e) {
        std::cerr << e.what() << "\n";
        return kExitBadInput;
    } catch (const std::exception& e) {
        std::cerr << "pisim: error: " << e.what() << "\n";
        return kExitBadInput;
    }
    return kExitBadInput;
}

// The kernel prints its banner unless told not to before it initializes.
int main(int argc, char** argv) {
    setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
    return sc_core::sc_elab_and_sim(argc, argv);
}
