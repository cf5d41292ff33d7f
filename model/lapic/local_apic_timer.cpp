// model/lapic/local_apic_timer.cpp - the local APIC timer [SDM vol. 3A 10.5.4]:
// one-shot and periodic countdown of the initial count at bus clock / divide,
// and TSC-deadline mode (10.5.4.1).
//
// Units: the bus clock is the core clock in this model, so the counter
// decrements once every divisor() core cycles; the TSC is now_cycles(). The
// timer is one timed sc_event: no polling.
#include <algorithm>
#include "model/lapic/lapic_assert.h"

#include "model/common/cycles.h"
#include "model/lapic/lapic.h"
#include "model/lapic/lapic_registers.h"

namespace pisim {

using namespace lapic_reg;

std::uint32_t LocalApic::timer_mode() const {
    return (lvt_timer_ & kLvtTimerModeMask) >> kLvtTimerModeShift;
}

/// Divide configuration [SDM 10.5.4, figure 10-10]: bits 3,1:0 = 111 divides
/// by 1, otherwise by 2 << value.
std::uint64_t LocalApic::divisor() const {
    const std::uint32_t v = (divide_config_ & 3u) | ((divide_config_ >> 1) & 4u);
    return v == 7 ? 1u : 2u << v;
}

void LocalApic::arm_timer_at(std::uint64_t cycle) {
    const std::uint64_t now = now_cycles();
    LAPIC_ASSERT(cycle >= now);
    timer_event_.cancel();
    timer_due_ = cycle;
    timer_armed_ = true;
    timer_event_.notify(cycles(cycle - now));
}

void LocalApic::disarm_timer() {
    timer_event_.cancel();
    timer_armed_ = false;
}

/// LVT timer write [SDM 10.5.1, 10.5.4.1]: vector, mask, mode. A transition
/// into or out of TSC-deadline mode disarms the timer (deadline and count
/// cleared). While software-disabled the mask stays set [SDM 10.4.7.2].
void LocalApic::write_lvt_timer(std::uint32_t value) {
    const bool was_deadline = timer_mode() == kTimerTscDeadline;
    lvt_timer_ = (value & kLvtTimerWritable) | (software_enabled() ? 0u : kLvtMask);
    const bool is_deadline = timer_mode() == kTimerTscDeadline;
    if (was_deadline != is_deadline) {
        disarm_timer();
        tsc_deadline_ = 0;
        initial_count_ = 0;
        count_base_ = 0;
    }
}

/// Initial-count write [SDM 10.5.4]: (re)starts the countdown from `value`;
/// 0 stops the timer. Ignored in TSC-deadline mode.
void LocalApic::write_initial_count(std::uint32_t value) {
    if (timer_mode() == kTimerTscDeadline) return;
    initial_count_ = value;
    count_base_ = value;
    count_base_cycle_ = now_cycles();
    if (value == 0) {
        disarm_timer();
        return;
    }
    arm_timer_at(count_base_cycle_ + std::uint64_t(value) * divisor());
}

/// Divide-configuration write [SDM 10.5.4]: a running count continues from its
/// current value at the new rate (the fraction of a tick already elapsed is
/// dropped).
void LocalApic::write_divide_configuration(std::uint32_t value) {
    const std::uint32_t remaining = current_count();
    divide_config_ = value & 0xBu;
    if (count_base_ == 0 || remaining == 0) return;  // stopped, or expiring this cycle
    count_base_ = remaining;
    count_base_cycle_ = now_cycles();
    arm_timer_at(count_base_cycle_ + std::uint64_t(remaining) * divisor());
}

/// Current count [SDM 10.5.4]: counts down from the count base; reads 0 when
/// stopped, after a one-shot expiry and in TSC-deadline mode.
std::uint32_t LocalApic::current_count() const {
    if (timer_mode() == kTimerTscDeadline || count_base_ == 0) return 0;
    const std::uint64_t ticks = (now_cycles() - count_base_cycle_) / divisor();
    return ticks >= count_base_ ? 0u : std::uint32_t(count_base_ - ticks);
}

/// IA32_TSC_DEADLINE write [SDM 10.5.4.1]: in TSC-deadline mode a non-zero
/// value arms the timer for TSC >= deadline (a deadline already passed fires
/// at once, in the next delta cycle), 0 disarms it; in other modes the write
/// is ignored.
void LocalApic::write_tsc_deadline(std::uint64_t deadline) {
    if (timer_mode() != kTimerTscDeadline) return;
    tsc_deadline_ = deadline;
    if (deadline == 0) {
        disarm_timer();
        return;
    }
    arm_timer_at(std::max(deadline, now_cycles()));
}

/// IA32_TSC_DEADLINE read: the armed deadline, 0 once fired or disarmed, 0 in
/// other timer modes [SDM 10.5.4.1].
std::uint64_t LocalApic::read_tsc_deadline() const {
    return timer_mode() == kTimerTscDeadline ? tsc_deadline_ : 0;
}

/// Core-side programming of a TSC deadline: LVT timer = vector, unmasked,
/// TSC-deadline mode; then IA32_TSC_DEADLINE = deadline (0 disarms).
void LocalApic::set_tsc_deadline(std::uint64_t deadline, std::uint8_t vector) {
    write_lvt_timer((kTimerTscDeadline << kLvtTimerModeShift) | vector);
    write_tsc_deadline(deadline);
}

/// Timer expiry [SDM 10.5.4, 10.5.4.1]. TSC-deadline: the deadline is reached,
/// the timer disarms (IA32_TSC_DEADLINE reads 0). Periodic: the count reloads
/// from the initial count. One-shot: the count stays 0. If the LVT timer is not
/// masked, its vector is accepted as a fixed, edge-triggered interrupt
/// (ApicTimer, then ApicAccept); a masked expiry delivers and records nothing.
void LocalApic::timer_expiry() {
    const std::uint64_t now = now_cycles();
    LAPIC_ASSERT(timer_armed_ && now == timer_due_);
    timer_armed_ = false;
    std::uint64_t deadline = now;
    switch (timer_mode()) {
    case kTimerTscDeadline:
        LAPIC_ASSERT(tsc_deadline_ != 0 && tsc_deadline_ <= now);
        deadline = tsc_deadline_;
        tsc_deadline_ = 0;
        break;
    case kTimerPeriodic:
        LAPIC_ASSERT(initial_count_ != 0);
        count_base_ = initial_count_;
        count_base_cycle_ = now;
        arm_timer_at(now + std::uint64_t(initial_count_) * divisor());
        break;
    default:  // one-shot (mode 3 is reserved and behaves as one-shot here)
        count_base_ = 0;
        break;
    }
    if (lvt_timer_ & kLvtMask) return;
    const std::uint8_t vector = std::uint8_t(lvt_timer_ & kLvtVector);
    emit(EventKind::ApicTimer, 0, vector, deadline);
    accept_interrupt(vector, false, 0);
}

}  // namespace pisim
