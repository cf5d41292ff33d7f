// platform/trace_writer.h - the pisim trace (docs/trace-format.md), streamed
// to its file while the run proceeds: every recorded event, the units, the
// interrupts with their steps, the violations.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "model/common/trace.h"
#include "platform/output_file.h"

namespace pisim {

class Machine;
struct RunReport;

/// Writes events, in the order given (EventHub forwards them by cycle, then
/// emission), to a scratch file beside the trace while the run proceeds;
/// finish() then publishes the whole document atomically.
class TraceWriter {
public:
    /// Opens the scratch file in `path`'s directory; std::runtime_error
    /// naming `path` when that directory cannot be written.
    explicit TraceWriter(std::string path);
    ~TraceWriter();

    /// Write `e`; its cycle is at least every earlier event's.
    void record(const Event& e) { write_event(e, -1); }
    /// Write the Violation event `e` of the next oracle violation (the
    /// trace's violation k names the file position of the k-th such event).
    void record_violation(const Event& e);
    /// Events written so far.
    std::uint64_t recorded() const { return written_; }

    /// Write what is buffered and publish the trace at `path`:
    /// header (with the run's end cycle and truncation), events,
    /// interrupts, violations. std::runtime_error on an I/O error, and then
    /// no file is left at `path`.
    void finish(Machine& m, const RunReport& r);

private:
    void write_event(const Event& e, std::int64_t violation);

    std::string path_;
    ScratchFile events_;
    std::unique_ptr<char[]> buf_;       ///< formatted text not yet written
    std::size_t len_ = 0;               ///< bytes in buf_
    std::uint64_t written_ = 0;         ///< events written (file positions given)
    std::int64_t violations_ = 0;       ///< violation events recorded
    std::vector<std::uint64_t> violation_position_;  ///< by violation event: file position
};

}  // namespace pisim
