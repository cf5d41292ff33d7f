// platform/output_file.h - outputs are written atomically: to a temporary file
// in the same directory, then renamed, so a failed or interrupted run never
// leaves a partial file behind.
#pragma once

#include <cstdint>
#include <string>

namespace pisim {

/// Write `content` to `path` atomically; throws std::runtime_error naming the
/// path and the system error.
void write_file_atomic(const std::string& path, const std::string& content);

/// An output written piece by piece and published atomically: the bytes go to
/// `path`.tmp.PID beside it, and commit() makes that file `path` (fsync, then
/// rename). Destroyed without commit(), the temporary file is removed.
/// Every method throws std::runtime_error naming `path` and the system error.
class AtomicFile {
public:
    explicit AtomicFile(std::string path);
    ~AtomicFile();
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;

    /// Append `len` bytes.
    void write(const void* data, std::size_t len);
    void write(const std::string& s) { write(s.data(), s.size()); }
    /// Append the first `len` bytes of the open file `fd` (read from offset 0).
    void append_file(int fd, std::uint64_t len);
    /// Flush to disk and rename the temporary file to `path`.
    void commit();

private:
    [[noreturn]] void fail(int err);
    std::string path_, tmp_;
    int fd_ = -1;
};

/// An anonymous scratch file beside `path` (created, then unlinked at once, so
/// it vanishes with the process whatever happens): bulk data written while a
/// run proceeds, copied into an AtomicFile at the end. Throws
/// std::runtime_error naming `path`.
class ScratchFile {
public:
    explicit ScratchFile(const std::string& path);
    ~ScratchFile();
    ScratchFile(const ScratchFile&) = delete;
    ScratchFile& operator=(const ScratchFile&) = delete;

    void write(const void* data, std::size_t len);
    int fd() const { return fd_; }
    /// Bytes written so far.
    std::uint64_t size() const { return size_; }

private:
    std::string path_;
    int fd_ = -1;
    std::uint64_t size_ = 0;
};

}  // namespace pisim
