// cli/cmd_view.cpp - `pisim view` (serve the viewer and a trace on
// 127.0.0.1) and `pisim report` (one self-contained HTML file).
//
// Both read the trace with the reader `pisim export` uses
// (platform/trace_reader.h) and refuse what it refuses.
#include <fmt/format.h>
#include <httplib.h>

#include <csignal>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/commands.h"
#include "platform/inline_script.h"
#include "platform/input_error.h"
#include "platform/input_file.h"
#include "platform/output_file.h"
#include "platform/trace_reader.h"

#ifndef PISIM_SOURCE_DIR
#define PISIM_SOURCE_DIR "."
#endif

namespace pisim::cli {

namespace {

std::string viewer_dir() {
    if (const char* d = std::getenv("PISIM_VIEWER_DIR")) return d;
    return std::string(PISIM_SOURCE_DIR) + "/viewer";
}

/// A file of the viewer itself (not user input).
std::string read_viewer_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw InputError(path, 0, 0, "cannot read the viewer file");
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

/// The trace's text, after the one trace reader has accepted it: the viewer
/// is only ever given a trace `pisim export` would also accept.
std::string read_valid_trace(const std::string& path, std::uint64_t max_mib) {
    std::string text = read_input_file(path, max_mib << 20, "trace");
    (void)parse_trace(text, path);
    return text;
}

/// Replace the one occurrence of `marker` in `page`; the viewer's inlining
/// contract guarantees it is there exactly once.
void replace_once(std::string& page, const std::string& marker, const std::string& with, const std::string& file) {
    const auto at = page.find(marker);
    if (at == std::string::npos || page.find(marker, at + 1) != std::string::npos)
        throw InputError(file, 0, 0, "the viewer page must contain '" + marker + "' exactly once");
    page.replace(at, marker.size(), with);
}

}  // namespace

int cmd_report(const ReportArgs& a) {
    const std::string trace = read_valid_trace(a.trace, a.max_mib);
    const std::string dir = viewer_dir();
    std::string page = read_viewer_file(dir + "/index.html");
    replace_once(page, "<link rel=\"stylesheet\" href=\"viewer.css\">",
                 "<style>\n" + script_safe(read_viewer_file(dir + "/viewer.css")) + "\n</style>", dir + "/index.html");
    replace_once(page, "<script src=\"viewer.js\"></script>",
                 "<script>\n" + script_safe(read_viewer_file(dir + "/viewer.js")) + "\n</script>", dir + "/index.html");
    replace_once(page, "<!-- pisim-trace -->",
                 "<script id=\"pisim-trace\" type=\"application/json\">" + script_safe(trace) + "</script>",
                 dir + "/index.html");
    write_file_atomic(a.out, page);
    std::cout << fmt::format("wrote {} ({} bytes, opens from disk)\n", a.out, page.size());
    return 0;
}

int cmd_view(const ViewArgs& a) {
    const std::string trace = read_valid_trace(a.trace, a.max_mib);
    const std::string dir = viewer_dir();
    httplib::Server srv;
    if (!srv.set_mount_point("/", dir)) throw InputError(dir, 0, 0, "viewer directory not found");
    srv.Get("/trace.json", [&](const httplib::Request&, httplib::Response& res) {
        res.set_content(trace, "application/json");
    });
    const int port = a.port ? (srv.bind_to_port("127.0.0.1", a.port) ? a.port : -1)
                            : srv.bind_to_any_port("127.0.0.1");
    if (port <= 0) throw InputError(a.trace, 0, 0, fmt::format("cannot listen on 127.0.0.1:{}", a.port));
    std::cout << fmt::format("pisim viewer: http://127.0.0.1:{}/index.html?trace=trace.json  (Ctrl-C to stop)\n", port)
              << std::flush;
    srv.listen_after_bind();
    return 0;
}

}  // namespace pisim::cli
