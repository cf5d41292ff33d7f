// cli/viewer_files.h - the viewer's built files (build/viewer/: index.html, viewer.js,
// viewer.css; viewer/CMakeLists.txt), embedded in the pisim executable at build time
// (cli/viewer_embed.cpp.in), so `pisim view` and `pisim report` work wherever pisim is
// copied or installed.
#pragma once

#include <string_view>

namespace pisim::cli {

/// The embedded file of that name ("index.html", "viewer.js", "viewer.css"), or an empty
/// view if there is none.
std::string_view embedded_viewer_file(std::string_view name);

}  // namespace pisim::cli
