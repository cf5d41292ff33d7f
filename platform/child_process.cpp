#include "platform/child_process.h"

#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace pisim {

namespace {
int g_child_fd = -1;  ///< in a child: the write end of its result pipe

bool write_all(int fd, const std::string& s) {
    for (std::size_t off = 0; off < s.size();) {
        const ssize_t w = ::write(fd, s.data() + off, s.size() - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return false;
        off += static_cast<std::size_t>(w);
    }
    return true;
}

/// The child's side: run `fn`, write its text to `fd`, _exit without
/// destructors (the SystemC kernel is mid-simulation): 0 done, 4 `fn`
/// threw (its message is the text), 3 the pipe broke.
[[noreturn]] void child_body(int fd, const std::function<std::string()>& fn) {
    std::string s;
    int code = 0;
    try {
        s = fn();
    } catch (const std::exception& e) {
        s = e.what();
        code = 4;
    }
    for (std::size_t off = 0; off < s.size();) {
        const ssize_t w = ::write(fd, s.data() + off, s.size() - off);
        if (w <= 0) ::_exit(3);
        off += static_cast<std::size_t>(w);
    }
    std::fflush(nullptr);
    ::_exit(code);
}

/// Fork a child running child_body; returns (pid, read end of its pipe).
std::pair<pid_t, int> fork_child(const std::function<std::string()>& fn) {
    int fds[2];
    if (::pipe(fds) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    if (pid == 0) {
        ::close(fds[0]);
        g_child_fd = fds[1];
        child_body(fds[1], fn);
    }
    ::close(fds[1]);
    return {pid, fds[0]};
}

/// Reap `pid` and classify how it ended; `output` is what it wrote.
ChildResult reap(pid_t pid, std::string output) {
    ChildResult r;
    r.output = std::move(output);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        r.ok = true;
    } else if (WIFEXITED(status) && WEXITSTATUS(status) == 4) {
        r.error = r.output;
    } else {
        if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
        r.error = WIFSIGNALED(status) ? "the simulation crashed: " + signal_description(WTERMSIG(status))
                                      : fmt::format("the simulation process exited with {}", WEXITSTATUS(status));
    }
    return r;
}
}  // namespace

std::string signal_description(int sig) {
    const char* abbrev = ::sigabbrev_np(sig);
    const char* descr = ::sigdescr_np(sig);
    if (!abbrev) return fmt::format("signal {}", sig);
    return fmt::format("SIG{} ({})", abbrev, descr ? descr : "no description");
}

void child_exit_with(const std::string& text) {
    if (g_child_fd < 0) return;
    ::_exit(write_all(g_child_fd, text) ? 0 : 3);
}

ChildResult run_in_child(const std::function<std::string()>& fn) {
    const auto [pid, fd] = fork_child(fn);
    std::string out;
    char buf[65536];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n > 0) out.append(buf, static_cast<std::size_t>(n));
        else if (n == 0 || errno != EINTR) break;
    }
    ::close(fd);
    return reap(pid, std::move(out));
}

ChildPool::~ChildPool() {
    for (Child& c : running_) {
        ::kill(c.pid, SIGKILL);
        ::close(c.fd);
        ::waitpid(c.pid, nullptr, 0);
    }
}

void ChildPool::start(std::size_t id, const std::function<std::string()>& fn) {
    const auto [pid, fd] = fork_child(fn);
    running_.push_back({pid, fd, id, {}});
}

std::pair<std::size_t, ChildResult> ChildPool::wait_one() {
    for (;;) {
        std::vector<pollfd> pfd;
        for (const Child& c : running_) pfd.push_back({c.fd, POLLIN, 0});
        if (::poll(pfd.data(), pfd.size(), -1) < 0) {
            if (errno == EINTR) continue;
            throw std::runtime_error(std::string("poll: ") + std::strerror(errno));
        }
        for (std::size_t i = 0; i < running_.size(); ++i) {
            if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            Child& c = running_[i];
            char buf[65536];
            const ssize_t n = ::read(c.fd, buf, sizeof buf);
            if (n > 0) {
                c.out.append(buf, static_cast<std::size_t>(n));
                continue;
            }
            if (n < 0 && errno == EINTR) continue;
            ::close(c.fd);
            Child done = std::move(c);
            running_.erase(running_.begin() + static_cast<std::ptrdiff_t>(i));
            return {done.id, reap(done.pid, std::move(done.out))};
        }
    }
}

}  // namespace pisim
