#include "platform/output_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace pisim {

namespace {

[[noreturn]] void io_error(const std::string& path, int err) {
    throw std::runtime_error("cannot write " + path + ": " + std::strerror(err));
}

/// write(2) all of [data, data+len) to fd; false with errno set on failure.
bool write_all(int fd, const void* data, std::size_t len) {
    const char* p = static_cast<const char*>(data);
    while (len) {
        const ssize_t n = ::write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        p += n;
        len -= static_cast<std::size_t>(n);
    }
    return true;
}

std::string directory_of(const std::string& path) {
    const auto slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

/// What a non-regular file is, for a refusal.
const char* file_kind(mode_t m) {
    if (S_ISLNK(m)) return "a symbolic link";
    if (S_ISDIR(m)) return "a directory";
    if (S_ISCHR(m)) return "a character device";
    if (S_ISBLK(m)) return "a block device";
    if (S_ISFIFO(m)) return "a FIFO";
    if (S_ISSOCK(m)) return "a socket";
    return "not a regular file";
}

std::string named(const std::string& path, const std::string& option) {
    return option.empty() ? path : path + " (" + option + ")";
}

/// Refuse `path` unless it is absent or a regular file (never followed).
void refuse_unless_regular(const std::string& path, const std::string& option) {
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) return;
        throw OutputError("cannot write " + named(path, option) + ": " + std::strerror(errno));
    }
    if (S_ISREG(st.st_mode)) return;
    throw OutputError("cannot write " + named(path, option) + ": it is " + file_kind(st.st_mode) +
                      "; an output replaces only a regular file (give another path)");
}

/// `dir` must be an existing directory pisim may create files in.
void require_writable_dir(const std::string& dir, const std::string& path, const std::string& option) {
    struct stat st;
    if (::stat(dir.c_str(), &st) != 0)
        throw OutputError("cannot write " + named(path, option) + ": directory " + dir + ": " + std::strerror(errno));
    if (!S_ISDIR(st.st_mode))
        throw OutputError("cannot write " + named(path, option) + ": " + dir + " is not a directory");
    if (::access(dir.c_str(), W_OK | X_OK) != 0)
        throw OutputError("cannot write " + named(path, option) + ": directory " + dir + ": " + std::strerror(errno));
}

/// A fresh file beside `path`, created exclusively (O_EXCL | O_NOFOLLOW)
/// under a random name, mode 0666 less the umask. Returns the fd; `tmp`
/// receives the name.
int create_exclusive(const std::string& path, std::string& tmp) {
    static const char kChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    for (int attempt = 0; attempt < 100; ++attempt) {
        unsigned char rnd[12];
        std::size_t got = 0;
        while (got < sizeof rnd) {
            const ssize_t n = ::getrandom(rnd + got, sizeof rnd - got, 0);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) return -1;
            got += static_cast<std::size_t>(n);
        }
        tmp = path + ".tmp.";
        for (unsigned char c : rnd) tmp += kChars[c % (sizeof kChars - 1)];
        const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (fd >= 0 || errno != EEXIST) return fd;
    }
    errno = EEXIST;
    return -1;
}

}  // namespace

void check_output_file(const std::string& path, const std::string& option) {
    if (path.empty()) return;
    if (path.back() == '/')
        throw OutputError("cannot write " + named(path, option) + ": it names a directory; give a file name");
    refuse_unless_regular(path, option);
    require_writable_dir(directory_of(path), path, option);
}

void check_output_dir(const std::string& dir, const std::string& option, const std::vector<std::string>& files) {
    if (dir.empty()) return;
    struct stat st;
    if (::stat(dir.c_str(), &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            throw OutputError("cannot write " + named(dir, option) + ": it is " +
                              (S_ISREG(st.st_mode) ? std::string("a regular file") : file_kind(st.st_mode)) +
                              ", not a directory");
        if (::access(dir.c_str(), W_OK | X_OK) != 0)
            throw OutputError("cannot write " + named(dir, option) + ": " + std::strerror(errno));
        for (const std::string& f : files) refuse_unless_regular(dir + "/" + f, option);
        return;
    }
    if (errno != ENOENT) throw OutputError("cannot write " + named(dir, option) + ": " + std::strerror(errno));
    // Created when the results are written: its nearest existing ancestor
    // must take it.
    std::string up = dir;
    while (!up.empty() && up.back() == '/' && up.size() > 1) up.pop_back();
    for (;;) {
        up = directory_of(up);
        if (::stat(up.c_str(), &st) == 0) {
            if (!S_ISDIR(st.st_mode))
                throw OutputError("cannot write " + named(dir, option) + ": " + up + " is not a directory");
            if (::access(up.c_str(), W_OK | X_OK) != 0)
                throw OutputError("cannot write " + named(dir, option) + ": directory " + up + ": " + std::strerror(errno));
            return;
        }
        if (errno != ENOENT) throw OutputError("cannot write " + named(dir, option) + ": " + up + ": " + std::strerror(errno));
        if (up == "." || up == "/") return;
    }
}

OutputSet::Entry OutputSet::identify(const std::string& path, const std::string& what, bool output) {
    Entry e;
    e.path = path;
    e.what = what;
    e.output = output;
    struct stat st;
    // An input is what its path leads to (a symbolic link is followed); an
    // output replaces the name itself (check_output_file refuses a link).
    std::string full = path;
    if ((output ? ::lstat(path.c_str(), &st) : ::stat(path.c_str(), &st)) == 0) {
        e.exists = true;
        e.dev = st.st_dev;
        e.ino = st.st_ino;
        char real[PATH_MAX];
        if (!output && ::realpath(path.c_str(), real)) full = real;
    }
    std::string name = full;
    while (name.size() > 1 && name.back() == '/') name.pop_back();
    const auto slash = name.rfind('/');
    e.name = slash == std::string::npos ? name : name.substr(slash + 1);
    const std::string dir = directory_of(name);
    char real[PATH_MAX];
    e.dir = ::realpath(dir.c_str(), real) ? std::string(real) : dir;
    return e;
}

namespace {
std::string describe(const std::string& path, const std::string& what, bool output) {
    return output ? "the file " + what + " writes (" + path + ")" : what + " (" + path + "), which this command reads";
}
}  // namespace

void OutputSet::input(const std::string& path, const std::string& what) {
    if (path.empty()) return;
    Entry e = identify(path, what, false);
    if (e.exists) entries_.push_back(std::move(e));
}

void OutputSet::output(const std::string& path, const std::string& option) {
    if (path.empty()) return;
    check_output_file(path, option);
    Entry e = identify(path, option, true);
    for (const Entry& o : entries_) {
        const bool same = (e.exists && o.exists && e.dev == o.dev && e.ino == o.ino) || (e.dir == o.dir && e.name == o.name);
        if (same)
            throw OutputError("cannot write " + named(path, option) + ": it is " + describe(o.path, o.what, o.output) +
                              "; give another path");
    }
    entries_.push_back(std::move(e));
}

void OutputSet::results_dir(const std::string& dir, const std::string& option) {
    if (dir.empty()) return;
    check_results_dir(dir, option);
    char real[PATH_MAX];
    if (!::realpath(dir.c_str(), real)) return;  // created later: nothing recorded is in it
    for (const Entry& o : entries_)
        if (o.dir == real && is_results_file_name(o.name))
            throw OutputError("cannot write " + named(dir, option) + ": it holds " + describe(o.path, o.what, o.output) +
                              ", which its results would replace; give another directory");
}

void write_file_atomic(const std::string& path, const std::string& content) {
    AtomicFile f(path);
    f.write(content);
    f.commit();
}

bool is_results_file_name(const std::string& n) {
    auto ends = [&](const char* suffix) {
        const std::size_t k = std::strlen(suffix);
        return n.size() >= k && n.compare(n.size() - k, k, suffix) == 0;
    };
    if (n == "results.json" || n == "results.tsv" || n == "coverage.json") return true;
    return (n.rfind("point-", 0) == 0 || n.rfind("failure-", 0) == 0) && ends(".yaml");
}

void check_results_dir(const std::string& dir, const std::string& option) {
    check_output_dir(dir, option, {"results.json", "results.tsv", "coverage.json"});
    DIR* d = ::opendir(dir.c_str());
    if (!d) return;  // not there yet
    std::vector<std::string> names;
    while (const dirent* e = ::readdir(d))
        if (is_results_file_name(e->d_name)) names.emplace_back(e->d_name);
    ::closedir(d);
    for (const std::string& n : names) refuse_unless_regular(dir + "/" + n, option);
}

std::size_t remove_stale_results(const std::string& dir, const std::vector<std::string>& written) {
    DIR* d = ::opendir(dir.c_str());
    if (!d) throw OutputError("cannot write " + dir + ": " + std::strerror(errno));
    std::vector<std::string> stale;
    while (const dirent* e = ::readdir(d)) {
        const std::string n = e->d_name;
        if (is_results_file_name(n) && std::find(written.begin(), written.end(), n) == written.end()) stale.push_back(n);
    }
    ::closedir(d);
    std::size_t removed = 0;
    for (const std::string& n : stale) {
        const std::string path = dir + "/" + n;
        struct stat st;
        if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
        if (::unlink(path.c_str()) != 0)
            throw OutputError("cannot remove " + path + " (an earlier run's results): " + std::strerror(errno));
        ++removed;
    }
    return removed;
}

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
    refuse_unless_regular(path_, "");
    fd_ = create_exclusive(path_, tmp_);
    if (fd_ < 0) io_error(path_, errno);
}

AtomicFile::~AtomicFile() {
    if (fd_ < 0) return;
    ::close(fd_);
    ::unlink(tmp_.c_str());
}

void AtomicFile::fail(int err) {
    ::close(fd_);
    fd_ = -1;
    ::unlink(tmp_.c_str());
    io_error(path_, err);
}

void AtomicFile::write(const void* data, std::size_t len) {
    if (!write_all(fd_, data, len)) fail(errno);
}

void AtomicFile::append_file(int fd, std::uint64_t len) {
    // In the kernel where the file system allows it, else through a buffer.
    loff_t in = 0;
    while (len) {
        const ssize_t n = ::copy_file_range(fd, &in, fd_, nullptr, len, 0);
        if (n > 0) {
            len -= static_cast<std::uint64_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n == 0 || errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP) break;
        fail(errno);
    }
    std::vector<char> buf(len ? 1 << 20 : 0);
    while (len) {
        const ssize_t n = ::pread(fd, buf.data(), std::min<std::uint64_t>(len, buf.size()), in);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) fail(n < 0 ? errno : EIO);
        write(buf.data(), static_cast<std::size_t>(n));
        in += n;
        len -= static_cast<std::uint64_t>(n);
    }
}

void AtomicFile::commit() {
    if (::fsync(fd_) != 0) fail(errno);
    if (::close(fd_) != 0) {
        fd_ = -1;
        const int err = errno;
        ::unlink(tmp_.c_str());
        io_error(path_, err);
    }
    fd_ = -1;
    try {
        refuse_unless_regular(path_, "");  // something else appeared there meanwhile
    } catch (...) {
        ::unlink(tmp_.c_str());
        throw;
    }
    if (std::rename(tmp_.c_str(), path_.c_str()) != 0) {
        const int err = errno;
        ::unlink(tmp_.c_str());
        io_error(path_, err);
    }
}

ScratchFile::ScratchFile(const std::string& path) : path_(path) {
    std::string tmpl = directory_of(path) + "/.pisim-scratch.XXXXXX";
    fd_ = ::mkostemp(tmpl.data(), O_CLOEXEC);
    if (fd_ < 0) io_error(path_, errno);
    ::unlink(tmpl.c_str());
}

ScratchFile::~ScratchFile() {
    if (fd_ >= 0) ::close(fd_);
}

void ScratchFile::write(const void* data, std::size_t len) {
    if (!write_all(fd_, data, len)) io_error(path_, errno);
    size_ += len;
}

}  // namespace pisim
