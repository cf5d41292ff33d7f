// model/lapic/local_apic.cpp - interrupt acceptance, priority and dispatch of
// the local APIC [SDM vol. 3A 10.6.2, 10.8.2-10.8.5, 10.9]: IRR/ISR/TMR, TPR/PPR,
// INTA, EOI, and the destination matching the bus asks for.
#include "model/lapic/lapic_assert.h"

#include "model/common/cycles.h"
#include "model/lapic/lapic.h"
#include "model/lapic/lapic_registers.h"

namespace pisim {

using namespace lapic_reg;

namespace {

bool test_bit(const std::array<std::uint32_t, 8>& r, unsigned v) {
    return (r[v >> 5] >> (v & 31)) & 1u;
}
void set_bit(std::array<std::uint32_t, 8>& r, unsigned v) { r[v >> 5] |= 1u << (v & 31); }
void clear_bit(std::array<std::uint32_t, 8>& r, unsigned v) { r[v >> 5] &= ~(1u << (v & 31)); }

/// Highest set bit of a 256-bit register, or -1.
int highest_bit(const std::array<std::uint32_t, 8>& r) {
    for (int i = 7; i >= 0; --i)
        if (r[i] != 0) return i * 32 + (31 - __builtin_clz(r[i]));
    return -1;
}

}  // namespace

LocalApic::LocalApic(sc_core::sc_module_name name, std::uint32_t pcpu, std::uint32_t apic_id,
                     bool x2apic, const LapicTiming& timing, EventSink& sink)
    : sc_core::sc_module(name),
      bus("bus"),
      pcpu_(pcpu),
      id_(apic_id),
      x2apic_(x2apic),
      timing_(timing),
      sink_(sink) {
    // An xAPIC ID is 8 bits and 0xFF is the broadcast destination; in x2APIC
    // mode 0xFFFFFFFF is [SDM 10.4.6, 10.12.10].
    LAPIC_ASSERT(x2apic ? apic_id != kX2apicBroadcast : apic_id < kXapicBroadcast);
    // x2APIC logical ID: cluster ID[19:4] in bits 31:16, 1 << ID[3:0] in 15:0
    // [SDM 10.12.10.2]; read-only.
    if (x2apic_) ldr_ = (((id_ >> 4) & 0xFFFFu) << 16) | (1u << (id_ & 0xFu));
    typedef LocalApic SC_CURRENT_USER_MODULE;
    SC_METHOD(timer_expiry);
    sensitive << timer_event_;
    dont_initialize();
}

LocalApic::~LocalApic() = default;

void LocalApic::emit(EventKind k, std::uint64_t tag, std::uint64_t a, std::uint64_t b,
                     std::uint64_t c, std::uint64_t d) {
    Event e;
    e.cycle = now_cycles();
    e.kind = k;
    e.unit = pcpu_;
    e.tag = tag;
    e.a = a;
    e.b = b;
    e.c = c;
    e.d = d;
    sink_.emit(e);
}

int LocalApic::highest_irr() const { return highest_bit(irr_); }
int LocalApic::highest_isr() const { return highest_bit(isr_); }

/// Processor priority [SDM 10.8.3.1]: ISRV is the highest in-service vector (0
/// if none); PPR = TPR if TPR[7:4] >= ISRV[7:4], else ISRV[7:4] << 4.
void LocalApic::update_ppr() {
    const int isrv_raw = highest_isr();
    const unsigned isrv = isrv_raw < 0 ? 0u : unsigned(isrv_raw);
    if ((tpr_ >> 4) >= (isrv >> 4))
        ppr_ = tpr_;
    else
        ppr_ = std::uint8_t(isrv & 0xF0);
    LAPIC_ASSERT((ppr_ >> 4) >= (tpr_ >> 4) && (ppr_ >> 4) >= (isrv >> 4));
}

void LocalApic::notify_if_deliverable() {
    if (deliverable_vector() >= 0) deliverable_event_.notify(sc_core::SC_ZERO_TIME);
}

/// APIC error [SDM 10.5.3]: the error is collected regardless of the LVT error
/// mask (it becomes visible in the ESR at the next ESR write); the error
/// interrupt is generated only if the LVT error entry is not masked.
void LocalApic::signal_apic_error(std::uint32_t esr_bit) {
    esr_pending_ |= esr_bit;
    if (!(lvt_error_ & kLvtMask))
        accept_interrupt(std::uint8_t(lvt_error_ & kLvtVector), false, 0);
}

/// Acceptance of a fixed interrupt into the IRR [SDM 10.8.2 steps, 10.8.3]:
/// a vector 0-15 is illegal: ESR "receive illegal vector", not delivered, no
/// IRR bit set [SDM 10.5.3]. Otherwise IRR[v] is set (an interrupt already
/// pending in the IRR for v absorbs this one), TMR[v] = level.
void LocalApic::accept_interrupt(std::uint8_t vector, bool level, std::uint64_t tag) {
    if (vector < 16) {
        signal_apic_error(kEsrReceiveIllegalVector);
        return;
    }
    if (!test_bit(irr_, vector)) tag_[vector] = tag;  // a merged interrupt keeps the pending tag
    set_bit(irr_, vector);
    if (level)
        set_bit(tmr_, vector);
    else
        clear_bit(tmr_, vector);
    emit(EventKind::ApicAccept, tag, vector, ppr_);
    notify_if_deliverable();
}

/// Message acceptance [SDM 10.6.2, 10.8.2]: the bus has decided this APIC is a
/// destination. Fixed and lowest-priority (the bus chose this APIC) are
/// handled as fixed. A software-disabled APIC does not accept them
/// [SDM 10.4.7.2].
void LocalApic::deliver(const ApicMessage& m) {
    LAPIC_ASSERT((m.mode == DeliveryMode::Fixed || m.mode == DeliveryMode::LowestPriority) &&
           "only fixed and lowest-priority delivery are modelled");
    if (!software_enabled()) return;
    accept_interrupt(m.vector, m.level_triggered, m.tag);
}

/// [SDM 10.8.3.1] The highest-priority IRR vector is dispatched when its
/// class (bits 7:4) is above PPR[7:4]; an equal class waits.
int LocalApic::deliverable_vector() const {
    const int v = highest_irr();
    if (v < 0) return -1;
    LAPIC_ASSERT(v >= 16);
    return (unsigned(v) >> 4) > (unsigned(ppr_) >> 4) ? v : -1;
}

/// Interrupt acknowledge [SDM 10.8.4]: the processor takes the vector; the
/// APIC clears its IRR bit, sets its ISR bit and raises PPR to its class.
/// With nothing deliverable the APIC answers with the spurious vector and
/// changes no state [SDM 10.9].
std::uint8_t LocalApic::acknowledge() {
    const int v = deliverable_vector();
    if (v < 0) return std::uint8_t(svr_ & kSvrVector);
    clear_bit(irr_, unsigned(v));
    set_bit(isr_, unsigned(v));
    update_ppr();
    LAPIC_ASSERT((ppr_ >> 4) >= (unsigned(v) >> 4));
    emit(EventKind::ApicDispatch, tag_[v], unsigned(v), ppr_);
    // v was the highest IRR vector and PPR now covers its class: nothing else
    // can be deliverable until an EOI, a TPR write or a new acceptance.
    LAPIC_ASSERT(deliverable_vector() < 0);
    return std::uint8_t(v);
}

const sc_core::sc_event& LocalApic::deliverable_event() const { return deliverable_event_; }

/// EOI [SDM 10.8.5]: the highest ISR bit is cleared; for a level-triggered
/// vector (TMR set) the APIC broadcasts an EOI message to the I/O APICs unless
/// SVR bit 12 suppresses it (recorded only: there is no I/O APIC model). PPR
/// is recomputed; a pending vector may now be deliverable. EOI with nothing in
/// service has no effect.
void LocalApic::eoi() {
    const int v = highest_isr();
    if (v < 0) return;
    clear_bit(isr_, unsigned(v));
    if (test_bit(tmr_, unsigned(v)) && !(svr_ & kSvrSuppressEoiBroadcast))
        eoi_broadcasts_.push_back(std::uint8_t(v));
    update_ppr();
    emit(EventKind::ApicEoi, tag_[v], unsigned(v), ppr_);
    notify_if_deliverable();
}

/// TPR write [SDM 10.8.3.1]: PPR follows; a lower PPR may release a vector.
void LocalApic::set_tpr(std::uint8_t tpr) {
    tpr_ = tpr;
    update_ppr();
    notify_if_deliverable();
}

std::uint32_t LocalApic::apic_id() const { return id_; }

const std::array<std::uint32_t, 8>& LocalApic::irr() const { return irr_; }
const std::array<std::uint32_t, 8>& LocalApic::isr() const { return isr_; }
const std::array<std::uint32_t, 8>& LocalApic::tmr() const { return tmr_; }
std::uint8_t LocalApic::ppr() const { return ppr_; }
std::uint8_t LocalApic::tpr() const { return tpr_; }
bool LocalApic::software_enabled() const { return svr_ & kSvrEnable; }
std::uint32_t LocalApic::ldr() const { return ldr_; }

/// Physical destination [SDM 10.6.2.1, 10.12.10]: the APIC ID, or the
/// broadcast ID (0xFF xAPIC, 0xFFFFFFFF x2APIC).
bool LocalApic::matches_physical(std::uint32_t dest) const {
    if (x2apic_) return dest == kX2apicBroadcast || dest == id_;
    return dest == kXapicBroadcast || dest == id_;
}

/// Logical destination [SDM 10.6.2.2, 10.12.10.2]. xAPIC flat model: the 8-bit
/// MDA matches if it shares a bit with LDR[31:24]. xAPIC cluster model: MDA[7:4]
/// equals LDR[31:28] and MDA[3:0] shares a bit with LDR[27:24]. x2APIC: MDA[31:16]
/// equals LDR[31:16] and MDA[15:0] shares a bit with LDR[15:0]. All ones is a
/// broadcast in every model.
bool LocalApic::matches_logical(std::uint32_t dest) const {
    if (x2apic_) {
        if (dest == kX2apicBroadcast) return true;
        return (dest >> 16) == (ldr_ >> 16) && (dest & ldr_ & 0xFFFFu) != 0;
    }
    const std::uint32_t mda = dest & 0xFF;
    if (mda == kXapicBroadcast) return true;
    const std::uint32_t logical_id = ldr_ >> 24;
    if ((dfr_ >> 28) == kDfrFlat) return (logical_id & mda) != 0;
    if ((dfr_ >> 28) != kDfrCluster) return false;  // undefined model: matches nothing
    return (logical_id >> 4) == (mda >> 4) && (logical_id & mda & 0xF) != 0;
}

}  // namespace pisim
