// cli/commands.h - the pisim subcommands. Each returns the process exit code:
// 0 pass, 1 an expectation or invariant failed, 2 bad input (InputError).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "platform/input_file.h"

namespace pisim::cli {

struct SweepArgs {
    std::string scenario;
    std::vector<std::string> vary;  ///< PATH=START:END[:STEP]
    std::size_t random = 0;         ///< --random N
    std::uint64_t random_seed = 1;  ///< --seed S (of the exploration)
    unsigned jobs = 0;              ///< 0: one per core
    std::string out;                ///< --out DIR
    std::string shard;              ///< K/N
    std::string hyp;
    bool minimize = false;
    std::uint64_t max_cycles = 0, max_wall = 0;  ///< per point, as pisim run's (0: none)
};
int cmd_sweep(const SweepArgs& a);

struct ExploreArgs {
    std::uint64_t seeds = 0;   ///< --seeds N (0: until the budget)
    std::uint64_t budget = 0;  ///< --budget SECONDS (default 60 when neither is given)
    std::uint64_t seed = 1;
    unsigned jobs = 0;
    std::string shard, out, hyp;
    std::string reference_hyp;  ///< --reference-hyp: a core's path or "builtin"; empty: no comparison
    std::string size = "medium";
    std::string modes = "emulated,apicv,cpu-pi,vtd-pi";
    unsigned keep = 3;
    bool no_minimize = false;
    bool unguided = false;
    std::uint64_t max_wall = 60;  ///< per case: a case still running after it is a "timeout" failure
    std::string command;  ///< how to re-create the cases (written into failure files)
};
int cmd_explore(const ExploreArgs& a);
/// `pisim merge` of explore shards (results.json format pisim-explore).
int cmd_explore_merge(const std::vector<std::string>& dirs, const std::string& out);

struct MergeArgs {
    std::vector<std::string> dirs;
    std::string out;
};
int cmd_merge(const MergeArgs& a);

}  // namespace pisim::cli

namespace pisim::cli {

/// The default of `--max-size` (report, view, export): InputCaps::trace_bytes in MiB.
constexpr std::uint64_t kTraceCapMiB = InputCaps::trace_bytes >> 20;

struct ReportArgs {
    std::string trace;
    std::string out;
    std::uint64_t max_mib = kTraceCapMiB;  ///< refuse a larger trace before reading it
};
/// Write one self-contained HTML file: the viewer with the trace inlined.
int cmd_report(const ReportArgs& a);

struct ViewArgs {
    std::string trace;
    int port = 0;  ///< 0: any free port
    std::uint64_t max_mib = kTraceCapMiB;
};
/// Serve the viewer and the trace on 127.0.0.1 until interrupted.
int cmd_view(const ViewArgs& a);

}  // namespace pisim::cli

namespace pisim::cli {

struct ExportArgs {
    std::string trace;     ///< pisim trace (pisim run --trace)
    std::string perfetto;  ///< --perfetto FILE: Chrome JSON trace events (platform/export_perfetto.h)
    std::string vcd;       ///< --vcd FILE: value change dump (platform/export_vcd.h)
    std::uint64_t max_mib = kTraceCapMiB;
};
/// Convert a trace for the Perfetto UI / chrome://tracing and for waveform viewers.
int cmd_export(const ExportArgs& a);

}  // namespace pisim::cli

namespace pisim::cli {

struct CheckArgs {
    std::vector<std::string> scenarios;  ///< empty: the baseline's suite
    std::string baseline;
    std::string hyp;
    bool update = false;
    std::string junit, markdown, json;
    std::uint64_t max_wall = 0;  ///< per scenario, as pisim run's (0: none); a stopped one exits 3, not compared
};
/// Run the suite, compare with the baseline; 1 on a regression.
int cmd_check(const CheckArgs& a);

}  // namespace pisim::cli

namespace pisim::cli {

struct CalibrateArgs {
    std::string profile = "skylake-sp";  ///< profile name (profiles/NAME.yaml) or path
    std::string json;                    ///< --json FILE
    std::string dir;                     ///< the suite's directory (default scenarios/calibration)
    std::string hyp;
    std::uint64_t max_wall = 0;          ///< per scenario, as pisim run's (0: none); a stopped row exits 3
};
/// Run the calibration suite on one profile; 1 when a row is outside
/// 0.75x-1.33x of its published figure without a known gap, or a run fails.
int cmd_calibrate(const CalibrateArgs& a);

}  // namespace pisim::cli
