// platform/input_error.h - a user's mistake in an input file (scenario,
// profile): names the file, line and column (1-based) and what was expected.
// The CLI prints it on one line and exits 2.
#pragma once

#include <stdexcept>
#include <string>

namespace pisim {

struct InputError : std::runtime_error {
    InputError(std::string file, int line, int column, std::string what)
        : std::runtime_error(file + ":" + std::to_string(line) + ":" + std::to_string(column) +
                             ": error: " + what),
          file(std::move(file)), line(line), column(column), message(std::move(what)) {}
    std::string file;
    int line, column;  ///< 1-based; 0 when unknown
    std::string message;
};

}  // namespace pisim
