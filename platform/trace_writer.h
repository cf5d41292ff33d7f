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

/// Records events as they are emitted and writes them, ordered by cycle and
/// within a cycle by emission order, to a scratch file beside the trace while
/// the run proceeds; finish() then publishes the whole document atomically.
///
/// Ordering: a pCPU runs hypervisor code ahead of the kernel (temporal
/// decoupling), so its events (cycle = kernel time + its local time) can be
/// emitted before another agent's event of an earlier cycle. Every event's
/// cycle is at least the kernel's time when it is emitted, and the kernel's
/// time never decreases; so an event whose cycle is at most the kernel's time
/// precedes every event still to come, and is written at once. Only events
/// ahead of the kernel wait, in a reorder buffer (a min-heap by cycle, then
/// emission number) that holds at most the pCPUs' look-ahead: memory stays
/// bounded by that, not by the run's length.
class TraceWriter {
public:
    /// Opens the scratch file in `path`'s directory; std::runtime_error
    /// naming `path` when that directory cannot be written.
    explicit TraceWriter(std::string path);
    ~TraceWriter();

    /// Record `e`, emitted while the kernel's time is `now` (cycles);
    /// requires e.cycle >= now and `now` never below an earlier call's.
    void record(const Event& e, std::uint64_t now) { record(e, now, -1); }
    /// Record the Violation event `e` of the next oracle violation (the
    /// trace's violation k names the file position of the k-th such event).
    void record_violation(const Event& e, std::uint64_t now);
    /// Events recorded so far (written or waiting).
    std::uint64_t recorded() const { return seq_; }
    /// Events waiting in the reorder buffer.
    std::size_t waiting() const { return heap_.size(); }
    /// Largest number of events that ever waited in the reorder buffer.
    std::size_t max_waiting() const { return max_waiting_; }

    /// Write the remaining events and publish the trace at `path`:
    /// header (with the run's end cycle and truncation), events,
    /// interrupts, violations. std::runtime_error on an I/O error, and then
    /// no file is left at `path`.
    void finish(Machine& m, const RunReport& r);

private:
    struct Waiting {
        Event e;
        std::uint64_t seq;
        std::int64_t violation;  ///< index among violation events, or -1
    };
    void record(const Event& e, std::uint64_t now, std::int64_t violation);
    void release(std::uint64_t now);
    void write_event(const Event& e, std::int64_t violation);

    std::string path_;
    ScratchFile events_;
    std::unique_ptr<char[]> buf_;       ///< formatted text not yet written
    std::size_t len_ = 0;               ///< bytes in buf_
    std::vector<Waiting> heap_;         ///< reorder buffer (std::push_heap order)
    std::uint64_t seq_ = 0;             ///< emission number of the next event
    std::uint64_t written_ = 0;         ///< events written (file positions given)
    std::uint64_t now_ = 0;             ///< latest kernel time seen
    std::int64_t violations_ = 0;       ///< violation events recorded
    std::vector<std::uint64_t> violation_position_;  ///< by violation event: file position
    std::size_t max_waiting_ = 0;
};

}  // namespace pisim
