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
    std::string error;      ///< why not ok: the signal by name ("the simulation crashed: SIGSEGV (...)"), the exit status
    int signal = 0;         ///< the signal that ended the child, 0 when it exited
};

/// "SIGSEGV (Segmentation fault)": a signal's name and description.
std::string signal_description(int sig);

/// In a child of run_in_child or ChildPool: hand `text` back as the child's
/// whole result and _exit(0) at once, from wherever the child is (a crash
/// report's signal handler that has the answer). Outside such a child,
/// returns without doing anything.
void child_exit_with(const std::string& text);

/// fork(); the child runs `fn`, writes its result to a pipe and _exits
/// without destructors; the parent waits for it.
ChildResult run_in_child(const std::function<std::string()>& fn);

}  // namespace pisim

#include <cstddef>
#include <utility>
#include <vector>

namespace pisim {

/// Up to `jobs` children at once, each running a function in a forked
/// process and handing back its text (as run_in_child). The parent decides
/// what to start next after every finished child, so a caller can make the
/// next job depend on earlier results.
class ChildPool {
public:
    explicit ChildPool(unsigned jobs) : jobs_(jobs ? jobs : 1) {}
    ~ChildPool();
    ChildPool(const ChildPool&) = delete;
    ChildPool& operator=(const ChildPool&) = delete;

    bool full() const { return running_.size() >= jobs_; }
    bool idle() const { return running_.empty(); }
    std::size_t running() const { return running_.size(); }
    /// Fork a child that runs `fn`; `id` names it in wait_one's answer.
    void start(std::size_t id, const std::function<std::string()>& fn);
    /// Block until one child has finished; its id and result. Precondition:
    /// !idle().
    std::pair<std::size_t, ChildResult> wait_one();

private:
    struct Child {
        int pid;
        int fd;
        std::size_t id;
        std::string out;
    };
    unsigned jobs_;
    std::vector<Child> running_;
};

}  // namespace pisim
