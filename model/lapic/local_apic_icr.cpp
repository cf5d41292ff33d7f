// model/lapic/local_apic_icr.cpp - issuing interprocessor interrupts through
// the interrupt command register [SDM vol. 3A 10.6.1; x2APIC 10.12.9, SELF IPI
// 10.12.11].
#include "model/lapic/lapic_assert.h"

#include "model/common/cycles.h"
#include "model/lapic/lapic.h"
#include "model/lapic/lapic_registers.h"

namespace pisim {

using namespace lapic_reg;

/// ICR write [SDM 10.6.1]: decode vector (7:0), delivery mode (10:8),
/// destination mode (11), shorthand (19:18) and destination (xAPIC 63:56,
/// x2APIC 63:32); a vector 0-15 sets ESR "send illegal vector" [SDM 10.5.3]
/// (the message still goes out and the receivers flag it); the trigger mode
/// applies to INIT level de-assert only, so the IPI is edge-triggered. In
/// xAPIC mode the delivery status reads "send pending" until the bus has
/// carried the message (ipi_latency).
void LocalApic::write_icr(std::uint64_t icr) {
    ApicMessage m;
    m.vector = std::uint8_t(icr & kIcrVector);
    m.mode = DeliveryMode((icr >> kIcrDeliveryModeShift) & 7);
    m.dest_logical = (icr & kIcrDestModeLogical) != 0;
    m.shorthand = Shorthand((icr >> kIcrShorthandShift) & 3);
    m.dest = x2apic_ ? std::uint32_t(icr >> 32) : std::uint32_t(icr >> 56);
    m.source_apic = id_;
    m.level_triggered = false;
    m.tag = 0;
    LAPIC_ASSERT((m.mode == DeliveryMode::Fixed || m.mode == DeliveryMode::LowestPriority) &&
           "only fixed and lowest-priority IPIs are modelled");
    if (m.vector < 16) signal_apic_error(kEsrSendIllegalVector);
    if (!x2apic_) icr_busy_until_ = now_cycles() + timing_.ipi_latency;
    send_interrupt_message(m);
}

/// The message leaves for the bus; the bus applies ipi_latency.
void LocalApic::send_interrupt_message(const ApicMessage& m) {
    emit(EventKind::ApicSend, m.tag, m.dest, m.vector, std::uint64_t(m.shorthand),
         m.dest_logical ? 1 : 0);
    bus->deliver(m);
}

/// Core-side ICR write: fixed, physical, no shorthand, edge.
void LocalApic::send_ipi(std::uint32_t dest_apic_id, std::uint8_t vector) {
    if (x2apic_) {
        wrmsr(kMsrIcr, (std::uint64_t(dest_apic_id) << 32) | vector);
    } else {
        LAPIC_ASSERT(dest_apic_id <= 0xFF);
        mmio_write(kIcrHi, dest_apic_id << 24);
        mmio_write(kIcrLo, vector);
    }
}

/// xAPIC: ICR with the self shorthand. x2APIC: the SELF IPI register
/// [SDM 10.12.11], equivalent to that ICR write but leaving the ICR unchanged.
void LocalApic::send_self_ipi(std::uint8_t vector) {
    if (!x2apic_) {
        mmio_write(kIcrLo, (std::uint32_t(Shorthand::Self) << kIcrShorthandShift) | vector);
        return;
    }
    ApicMessage m;
    m.vector = vector;
    m.mode = DeliveryMode::Fixed;
    m.shorthand = Shorthand::Self;
    m.dest = id_;
    m.source_apic = id_;
    if (vector < 16) signal_apic_error(kEsrSendIllegalVector);
    send_interrupt_message(m);
}

}  // namespace pisim
