// platform/child_process.h - run a function in a forked child and get its
// text back. SystemC elaborates once per process, so every simulation after
// the first runs in a child of a process that never elaborated.
#pragma once

#include <functional>
#include <string>

namespace pisim {

struct ChildResult {
    bool ok = false;        ///< the child exited 0 after writing its output
    std::string output;     ///< what the function returned
    std::string error;      ///< why not ok (signal, exit status)
};

/// fork(); the child runs `fn`, writes its result to a pipe and _exits
/// without destructors; the parent waits for it.
ChildResult run_in_child(const std::function<std::string()>& fn);

}  // namespace pisim
