// model/pcie/interrupt_moderation.cpp - interrupt moderation per vector, after
// the Intel 82599/82598/I210 EITR (Extended Interrupt Throttle) [82599 and
// 82598 datasheets, "Interrupt Moderation" and the EITR register; I210
// datasheet, "Interrupt Throttle Flow Diagram"; Intel X520 user guide for the
// ITR range].
//
// Facts used: each vector has an interval counter. An interrupt cause does not
// produce a message until the counter has counted down to zero; as soon as the
// interrupt is issued the counter reloads with the interval. A counter that
// reaches zero with nothing pending is not re-armed, so the next cause fires
// at once. Causes that arrive while the counter runs are coalesced into the
// single message issued when it reaches zero.
//
// Model: `moderation` cycles is the interval (0 = no moderation); the counter
// is represented by the cycle it reaches zero (interval_end). A message issued
// for the vector by any path (also a pending message released on unmask)
// reloads the interval and covers the causes held so far, so two messages of a
// vector are never closer than `moderation` cycles.
#include <cassert>

#include "model/pcie/nic_impl.h"

namespace pisim {

/// An interrupt cause of `vector` from receive queue `queue` (EICR bit set):
/// 1. a hold is running: the cause joins it (coalesced);
/// 2. the interval has ended: the interrupt is asserted now and the interval
///    counter reloads;
/// 3. otherwise a hold starts and ends when the interval ends.
/// Cases 1 and 3 emit NicModerated(vector, until).
void Nic::Impl::itr_request(std::uint32_t vector, std::uint32_t queue) {
    assert(vector < itr.size());
    Itr& it = itr[vector];
    const cycles_t now = now_cycles();
    if (!it.held && now >= it.interval_end) {
        it.interval_end = now + cfg.moderation;     // reload the counter
        request_message(vector, queue);
        return;
    }
    if (!it.held) {
        assert(it.interval_end > now);
        it.held = true;
        it.queue = queue;
        ++it.gen;
        Item end;
        end.cycle = it.interval_end;
        end.action = Action::ItrIntervalEnd;
        end.index = vector;
        end.gen = it.gen;
        schedule(end);
    }
    ++stats.moderated;
    emit(EventKind::NicModerated, 0, vector, it.interval_end);
}

/// The interval counter of `vector` reached zero with causes held (hold
/// `gen`): assert the interrupt for them and reload the counter. A stale end
/// (the hold was covered by a message issued meanwhile) does nothing.
void Nic::Impl::itr_interval_end(std::uint32_t vector, std::uint64_t gen) {
    assert(vector < itr.size());
    Itr& it = itr[vector];
    if (!it.held || it.gen != gen) return;
    assert(now_cycles() == it.interval_end);
    it.held = false;
    it.interval_end = now_cycles() + cfg.moderation;
    request_message(vector, it.queue);
}

/// A message of `vector` was issued (directly, at an interval end, or released
/// from the pending bit): it covers every cause held so far, and the interval
/// restarts from now.
void Nic::Impl::itr_message_sent(std::uint32_t vector) {
    assert(vector < itr.size());
    Itr& it = itr[vector];
    it.interval_end = now_cycles() + cfg.moderation;
    if (it.held) {
        it.held = false;
        ++it.gen;                                   // its interval end becomes stale
    }
}

}  // namespace pisim
