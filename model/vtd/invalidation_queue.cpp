// model/vtd/invalidation_queue.cpp - queued invalidation of the IEC
// [VTD 6.5.2].
#include "model/vtd/invalidation_queue.h"

#include <cassert>

#include "model/common/cycles.h"
#include "model/vtd/vtd.h"

namespace pisim {
namespace vtd {

namespace {
constexpr std::uint64_t kTypeIec = 4, kTypeWait = 5;
// Reserved fields (must be 0); bits 11:9 are the type's high bits [VTD 6.5.2].
constexpr std::uint64_t kIecLoReserved = 0x0000'0000'07FF'F1E0ull | 0xFFFF'0000'0000'0000ull;
constexpr std::uint64_t kWaitLoReserved = 0x0000'0000'FFFF'F180ull;
constexpr std::uint64_t kWaitHiReserved = 0x3ull;
}  // namespace

InvalidationQueue::InvalidationQueue(sc_core::sc_module_name name, PhysMem& mem,
                                     InterruptEntryCache& iec, const VtdTiming& timing,
                                     InFlightRequests& inflight, EventSink& sink)
    : sc_core::sc_module(name), mem_(mem), iec_(iec), timing_(timing), inflight_(inflight),
      sink_(sink) {
    SC_HAS_PROCESS(InvalidationQueue);
    SC_THREAD(run);
}

void InvalidationQueue::set_enabled(bool on) {
    if (on == enabled_) return;
    enabled_ = on;
    if (!on) {
        head_ = tail_ = 0;  // IQH/IQT are cleared when the queue is disabled [VTD 10.4.22]
    } else {
        kick_.notify(sc_core::SC_ZERO_TIME);
    }
}

void InvalidationQueue::write_iqa(std::uint64_t v) {
    iqa_ = v & (~0xFFFull | 0x7ull);  // base 63:12, QS 2:0; DW (bit 11) not modelled
    head_ %= entries();
    tail_ %= entries();
}

void InvalidationQueue::write_iqt(std::uint64_t v) {
    tail_ = static_cast<std::uint32_t>((v >> 4) & 0x7FFF) % entries();
    if (enabled_) kick_.notify(sc_core::SC_ZERO_TIME);
}

void InvalidationQueue::clear_iqe() {
    iqe_ = false;
    if (enabled_) kick_.notify(sc_core::SC_ZERO_TIME);
}

void InvalidationQueue::emit(EventKind k, std::uint64_t a, std::uint64_t b, std::uint64_t c) {
    Event e;
    e.cycle = now_cycles();
    e.kind = k;
    e.a = a;
    e.b = b;
    e.c = c;
    sink_.emit(e);
}

// Queue processing [VTD 6.5.2]: fetch at IQH, execute, advance IQH; repeat
// until IQH == IQT. Sleeps between IQT writes (no polling).
void InvalidationQueue::run() {
    for (;;) {
        while (enabled_ && !iqe_ && head_ != tail_) {
            if (!process_descriptor()) {
                iqe_ = true;  // IQH stays at the failing descriptor [VTD 6.5.2.10]
                break;
            }
            if (!enabled_) break;  // disabled meanwhile: IQH was cleared
            head_ = (head_ + 1) % entries();
        }
        wait(kick_);
    }
}

bool InvalidationQueue::process_descriptor() {
    const std::uint64_t at = (iqa_ & ~0xFFFull) + std::uint64_t{head_} * 16;
    if (!mem_.is_ram(at, 16)) return false;  // descriptor fetch error
    const std::uint64_t lo = mem_.read64(at), hi = mem_.read64(at + 8);
    if (timing_.iq_descriptor) wait(cycles(timing_.iq_descriptor));
    const std::uint64_t type = (lo & 0xF) | (((lo >> 9) & 0x7) << 4);
    switch (type) {
        case kTypeIec:
            return iec_invalidate_descriptor(lo, hi);
        case kTypeWait:
            return invalidation_wait_descriptor(lo, hi);
        default:
            return false;  // unknown descriptor type
    }
}

// Interrupt entry cache invalidate descriptor [VTD 6.5.2.7].
bool InvalidationQueue::iec_invalidate_descriptor(std::uint64_t lo, std::uint64_t hi) {
    if ((lo & kIecLoReserved) != 0 || hi != 0) return false;
    const bool index_selective = (lo >> 4) & 1;
    const auto im = static_cast<std::uint32_t>((lo >> 27) & 0x1F);
    const auto iidx = static_cast<std::uint32_t>((lo >> 32) & 0xFFFF);
    if (index_selective && im > kMaxHandleMask) return false;
    // 1. Drop the selected entries: later lookups miss and refetch.
    if (index_selective)
        iec_.invalidate_index(iidx, im);
    else
        iec_.invalidate_global();
    // 2. Drain: requests already started may hold a stale entry; the
    //    descriptor completes only after they are finished.
    const std::uint64_t target = inflight_.started;
    while (inflight_.completed < target) wait(inflight_.completed_event);
    // 3. Complete.
    emit(EventKind::VtdIecInvalidate, index_selective ? 0 : 1, index_selective ? iidx : 0,
         index_selective ? im : 0);
    return true;
}

// Invalidation wait descriptor [VTD 6.5.2.8]. Every earlier descriptor has
// completed when this one executes (in-order processing).
bool InvalidationQueue::invalidation_wait_descriptor(std::uint64_t lo, std::uint64_t hi) {
    if ((lo & kWaitLoReserved) != 0 || (hi & kWaitHiReserved) != 0) return false;
    const bool if_ = (lo >> 4) & 1, sw = (lo >> 5) & 1;
    const auto status_data = static_cast<std::uint32_t>(lo >> 32);
    const std::uint64_t status_address = hi & ~0x3ull;
    // 1. SW=1: write the status data (a DMA write of the unit).
    if (sw) {
        if (!mem_.is_ram(status_address, 4)) return false;
        mem_.set_agent(PhysMem::Agent::Vtd);
        mem_.write32(status_address, status_data);
    }
    // 2. IF=1: ICS.IWC (the completion event interrupt is not modelled).
    if (if_) iwc_ = true;
    emit(EventKind::VtdIqWait, sw ? status_address : 0, status_data, 0);
    return true;
}

}  // namespace vtd
}  // namespace pisim
