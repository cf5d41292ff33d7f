// platform/output_file.h - outputs are written atomically: to a temporary file
// in the same directory, then renamed, so a failed or interrupted run never
// leaves a partial file behind. An output replaces only a regular file: a
// device node, FIFO, socket, directory or symbolic link at its path is
// refused, and its temporary file is created exclusively under a random name
// (a file or link planted at a predictable name is never opened).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace pisim {

/// An output path pisim refuses or cannot write: the message starts with
/// "cannot write PATH". The CLI prints it and exits 2.
struct OutputError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// Check, before anything runs, that `path` can be written as an output:
/// its directory exists and is writable, and nothing but a regular file is
/// there (a symbolic link, device, FIFO, socket or directory is refused).
/// `option` names the command-line option in the message. Throws OutputError.
void check_output_file(const std::string& path, const std::string& option);

/// The same for an output directory: `dir` is a directory (or does not exist
/// yet and its nearest existing ancestor is a writable directory), and each of
/// `files` inside it is absent or a regular file. Throws OutputError.
void check_output_dir(const std::string& dir, const std::string& option, const std::vector<std::string>& files = {});

/// A results directory (pisim sweep, explore and merge -o DIR) is replaced
/// whole: after a run has written its files, every other file there whose
/// name pisim gives its results (results.json, results.tsv, coverage.json,
/// point-*.yaml, failure-*.yaml) is an earlier run's and is removed; other
/// files are left alone.
bool is_results_file_name(const std::string& name);
/// check_output_dir, and every entry of `dir` with a results name is a
/// regular file (nothing else is replaced or removed). Throws OutputError.
void check_results_dir(const std::string& dir, const std::string& option);
/// Remove the regular files of `dir` with a results name that are not in
/// `written` (names, not paths); returns how many. Throws OutputError.
std::size_t remove_stale_results(const std::string& dir, const std::vector<std::string>& written);

/// The files one command reads and writes, so that no output names another
/// output or one of the command's inputs (`run s.yaml --json out --trace out`,
/// `run s.yaml --trace s.yaml`, `export --perfetto x --vcd x`). Paths are
/// compared by what they name, not by their spelling: two paths are the same
/// file when both exist and have the same device and inode (hard links and
/// symbolic links to an input included), or when their directories resolve
/// (realpath) to the same directory and their last components are equal.
/// Every method throws OutputError ("cannot write PATH (OPTION): ...") and is
/// meant to be called before anything runs; outputs are checked as
/// check_output_file / check_results_dir do.
class OutputSet {
public:
    /// A file the command reads; `what` says which ("the scenario", "--hyp").
    /// An empty path, or one that does not exist, is not recorded (the
    /// reader reports it).
    void input(const std::string& path, const std::string& what);
    /// check_output_file(path, option), then refuse `path` when it is a file
    /// already recorded here, input or output. An empty path: nothing.
    void output(const std::string& path, const std::string& option);
    /// check_results_dir(dir, option), then refuse `dir` when a recorded
    /// input or output lies in it under a results name (is_results_file_name:
    /// the run would replace or remove it). An empty path: nothing.
    void results_dir(const std::string& dir, const std::string& option);

private:
    struct Entry {
        std::string path, what;  ///< as given; the input's description or the output's option
        bool output = false;
        std::string dir, name;   ///< resolved directory, last component
        bool exists = false;
        unsigned long long dev = 0, ino = 0;
    };
    static Entry identify(const std::string& path, const std::string& what, bool output);
    std::vector<Entry> entries_;
};

/// Write `content` to `path` atomically; throws std::runtime_error naming the
/// path and the system error.
void write_file_atomic(const std::string& path, const std::string& content);

/// An output written piece by piece and published atomically: the bytes go to
/// `path`.tmp.XXXXXXXXXXXX beside it (a random name, created with O_EXCL and
/// O_NOFOLLOW, mode 0666 less the umask), and commit() makes that file `path`
/// (fsync, then rename). Destroyed without commit(), the temporary file is
/// removed. A `path` that exists and is not a regular file is refused
/// (OutputError), when opened and again before the rename.
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
