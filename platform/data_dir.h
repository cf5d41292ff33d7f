// platform/data_dir.h - where pisim finds its data files (profiles/, scenarios/calibration/).
//
// An installed pisim (`cmake --install`, README "Installing") finds them under
// <prefix>/share/pisim/, beside its own <prefix>/bin/: the directory of the running executable
// (/proc/self/exe), then ../share/pisim/. A pisim run from the build tree, which has no such
// directory, uses the source tree it was built from.
#pragma once

#include <string>

namespace pisim {

/// `<exe dir>/../share/pisim/<sub>` if that directory exists, else `<source tree>/<sub>`.
std::string data_dir(const std::string& sub);

}  // namespace pisim
