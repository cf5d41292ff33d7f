#include "platform/child_process.h"

#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace pisim {

ChildResult run_in_child(const std::function<std::string()>& fn) {
    int fds[2];
    if (::pipe(fds) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    if (pid == 0) {
        ::close(fds[0]);
        std::string s;
        int code = 0;
        try {
            s = fn();
        } catch (const std::exception& e) {
            s = e.what();
            code = 4;
        }
        for (std::size_t off = 0; off < s.size();) {
            const ssize_t w = ::write(fds[1], s.data() + off, s.size() - off);
            if (w <= 0) ::_exit(3);
            off += static_cast<std::size_t>(w);
        }
        std::fflush(nullptr);
        ::_exit(code);
    }
    ::close(fds[1]);
    ChildResult r;
    char buf[65536];
    for (;;) {
        const ssize_t n = ::read(fds[0], buf, sizeof buf);
        if (n > 0) r.output.append(buf, static_cast<std::size_t>(n));
        else if (n == 0 || errno != EINTR) break;
    }
    ::close(fds[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        r.ok = true;
    } else if (WIFEXITED(status) && WEXITSTATUS(status) == 4) {
        r.error = r.output;
    } else {
        r.error = WIFSIGNALED(status) ? fmt::format("the simulation crashed (signal {})", WTERMSIG(status))
                                      : fmt::format("the simulation process exited with {}", WEXITSTATUS(status));
    }
    return r;
}

}  // namespace pisim
