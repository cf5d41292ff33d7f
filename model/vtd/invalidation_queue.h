// model/vtd/invalidation_queue.h - queued invalidation for the interrupt
// entry cache [VTD 6.5.2, 6.5.2.7, 6.5.2.8, 10.4.22-10.4.25].
//
// Software writes 128-bit descriptors into the queue at IQA (2^(QS+8)
// entries of 16 bytes) and moves IQT; the queue processes descriptors from
// IQH up to IQT, one at a time in queue order, each costing
// VtdTiming::iq_descriptor cycles. Understood descriptors:
//   IEC invalidate (type 4): G bit 4 (0 global, 1 index-selective), IM 31:27
//     (2^IM entries), IIDX 47:32. The entries are dropped at once; the
//     descriptor completes after every interrupt request the unit had already
//     started (remapped or in flight) has finished [VTD 6.5.2.7].
//   Invalidation wait (type 5): IF bit 4 (sets ICS.IWC), SW bit 5 (write the
//     32-bit status data, bits 63:32, to the status address, bits 127:66 =
//     address 63:2), FN bit 6. Completes after all earlier descriptors did;
//     processing is strictly in order, so FN=1 is always honoured.
// Any other type, a reserved field set, an unreadable descriptor or status
// address, or IM above MHMV stops the queue with IQE (FSTS bit 4) and IQH at
// the offending descriptor until software clears IQE [VTD 6.5.2.10].
// Only 128-bit descriptors (IQA.DW = 0) are modelled.
#pragma once

#include <cstdint>
#include <systemc>

#include "model/common/phys_mem.h"
#include "model/common/trace.h"
#include "model/vtd/iec.h"

namespace pisim {

struct VtdTiming;

namespace vtd {

/// Interrupt requests the unit has started and finished, for draining.
struct InFlightRequests {
    std::uint64_t started = 0;
    std::uint64_t completed = 0;
    sc_core::sc_event completed_event;  ///< notified when `completed` grows
};

class InvalidationQueue : public sc_core::sc_module {
public:
    /// Largest index mask supported (ECAP.MHMV) [VTD 10.4.3].
    static constexpr std::uint32_t kMaxHandleMask = 15;

    InvalidationQueue(sc_core::sc_module_name name, PhysMem& mem, InterruptEntryCache& iec,
                      const VtdTiming& timing, InFlightRequests& inflight, EventSink& sink);

    /// GCMD.QIE: enabling starts processing; disabling clears IQH and IQT.
    void set_enabled(bool on);
    bool enabled() const { return enabled_; }

    /// IQA register [VTD 10.4.24]: base 63:12, DW bit 11, QS 2:0.
    void write_iqa(std::uint64_t v);
    std::uint64_t iqa() const { return iqa_; }
    /// IQT register [VTD 10.4.23]: QT bits 18:4 (descriptor index << 4).
    /// Starts processing when the queue is enabled.
    void write_iqt(std::uint64_t v);
    std::uint64_t iqt() const { return std::uint64_t{tail_} << 4; }
    /// IQH register [VTD 10.4.22], read-only.
    std::uint64_t iqh() const { return std::uint64_t{head_} << 4; }

    /// FSTS.IQE, and its write-1-to-clear (resumes processing).
    bool iqe() const { return iqe_; }
    void clear_iqe();
    /// ICS.IWC (invalidation wait descriptor complete), write-1-to-clear.
    bool iwc() const { return iwc_; }
    void clear_iwc() { iwc_ = false; }

    /// Number of queue entries (128-bit descriptors): 2^(QS+8).
    std::uint32_t entries() const { return 1u << ((iqa_ & 7) + 8); }

private:
    void run();
    bool process_descriptor();
    bool iec_invalidate_descriptor(std::uint64_t lo, std::uint64_t hi);
    bool invalidation_wait_descriptor(std::uint64_t lo, std::uint64_t hi);
    void emit(EventKind k, std::uint64_t a, std::uint64_t b, std::uint64_t c);

    PhysMem& mem_;
    InterruptEntryCache& iec_;
    const VtdTiming& timing_;
    InFlightRequests& inflight_;
    EventSink& sink_;

    bool enabled_ = false;
    std::uint64_t iqa_ = 0;
    std::uint32_t head_ = 0, tail_ = 0;
    bool iqe_ = false, iwc_ = false;
    sc_core::sc_event kick_;
};

}  // namespace vtd
}  // namespace pisim
