// cli/cmd_export.cpp - `pisim export TRACE --perfetto OUT.json --vcd OUT.vcd`:
// convert a pisim trace (docs/trace-format.md) for the Perfetto UI /
// chrome://tracing (platform/export_perfetto.h) and for waveform viewers
// (platform/export_vcd.h).
#include <iostream>

#include "cli/commands.h"
#include "platform/export_perfetto.h"
#include "platform/export_vcd.h"
#include "platform/input_error.h"
#include "platform/output_file.h"
#include "platform/trace_reader.h"

namespace pisim::cli {

int cmd_export(const ExportArgs& a) {
    if (a.perfetto.empty() && a.vcd.empty()) {
        std::cerr << "pisim export: give --perfetto FILE, --vcd FILE or both\n";
        return 2;
    }
    OutputSet files;
    files.input(a.trace, "the trace");
    files.output(a.perfetto, "--perfetto");
    files.output(a.vcd, "--vcd");
    const Trace t = read_trace_file(a.trace, a.max_mib << 20);
    if (t.out_of_order)
        std::cerr << "pisim export: " << a.trace << ": " << t.out_of_order
                  << " event(s) written after an event of a later cycle; exported at their own cycle\n";
    if (!a.perfetto.empty()) write_file_atomic(a.perfetto, perfetto_json(t));
    if (!a.vcd.empty()) write_file_atomic(a.vcd, vcd_text(t));
    return 0;
}

}  // namespace pisim::cli
