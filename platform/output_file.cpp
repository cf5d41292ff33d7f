#include "platform/output_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
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

}  // namespace

void write_file_atomic(const std::string& path, const std::string& content) {
    AtomicFile f(path);
    f.write(content);
    f.commit();
}

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)), tmp_(path_ + ".tmp." + std::to_string(::getpid())) {
    fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
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
