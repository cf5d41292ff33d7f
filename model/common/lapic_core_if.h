// model/common/lapic_core_if.h - what a CPU core sees of its local APIC.
//
// The CPU model (model/cpu) and the root-mode software port (platform) use
// this; model/lapic implements it. Calls are made from the core's own thread.
#pragma once

#include <cstdint>
#include <systemc>

namespace pisim {

class LapicCoreIf {
public:
    virtual ~LapicCoreIf() = default;

    /// The vector the APIC would dispatch to the core now: the highest IRR
    /// vector whose priority class is above PPR[7:4] [SDM 10.8.3.1], or -1.
    /// (The core's RFLAGS.IF is the core's business, not the APIC's.)
    virtual int deliverable_vector() const = 0;

    /// Interrupt acknowledge (INTA) [SDM 10.8.4]: move the deliverable vector
    /// from IRR to ISR, update PPR, return it. Precondition: deliverable_vector() >= 0.
    virtual std::uint8_t acknowledge() = 0;

    /// Notified whenever deliverable_vector() may have become >= 0 (a message
    /// was accepted, PPR dropped, the timer fired).
    virtual const sc_core::sc_event& deliverable_event() const = 0;

    /// EOI register write [SDM 10.8.5]: clear the highest ISR bit.
    virtual void eoi() = 0;

    /// TPR write [SDM 10.8.3.1]; PPR is recomputed.
    virtual void set_tpr(std::uint8_t tpr) = 0;

    /// ICR write, fixed delivery, physical destination, no shorthand.
    virtual void send_ipi(std::uint32_t dest_apic_id, std::uint8_t vector) = 0;

    /// ICR write with the self shorthand (xAPIC) / SELF IPI MSR (x2APIC).
    virtual void send_self_ipi(std::uint8_t vector) = 0;

    /// LVT timer in TSC-deadline mode [SDM 10.5.4.1]: vector in the LVT, the
    /// deadline in IA32_TSC_DEADLINE (cycles); 0 disarms.
    virtual void set_tsc_deadline(std::uint64_t deadline, std::uint8_t vector) = 0;

    /// This APIC's ID.
    virtual std::uint32_t apic_id() const = 0;
};

}  // namespace pisim
