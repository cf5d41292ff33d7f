// model/lapic/lapic.h - the physical local APIC [SDM vol. 3A ch. 10; SPEC 6]
// and the system bus that carries interrupt messages between APICs and from
// the VT-d unit.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <systemc>
#include <vector>

#include "model/common/lapic_core_if.h"
#include "model/common/messages.h"
#include "model/common/trace.h"

namespace pisim {

/// Costs of the APIC and the bus, in cycles (from the timing profile).
struct LapicTiming {
    std::uint64_t ipi_latency = 0;      ///< ICR write to acceptance at the destination
    std::uint64_t msg_latency = 0;      ///< bus message (from VT-d) to acceptance
    std::uint64_t register_access = 0;  ///< charged by the caller; kept for reference
};

/// A local APIC. Accepts messages from the bus (ApicMessageIf), serves its core
/// (LapicCoreIf) and sends IPIs through `bus`.
class LocalApic : public sc_core::sc_module, public ApicMessageIf, public LapicCoreIf {
public:
    /// IPIs and self-IPIs leave through this port (bound to the ApicBus).
    sc_core::sc_port<ApicMessageIf> bus;

    /// pcpu: index for trace records; apic_id: xAPIC 8-bit or x2APIC 32-bit.
    LocalApic(sc_core::sc_module_name name, std::uint32_t pcpu, std::uint32_t apic_id,
              bool x2apic, const LapicTiming& timing, EventSink& sink);

    // ApicMessageIf: acceptance of a message addressed to this APIC [SDM 10.8.2]
    // (fixed delivery sets IRR; the TMR bit follows the trigger mode).
    void deliver(const ApicMessage& m) override;

    // LapicCoreIf
    int deliverable_vector() const override;
    std::uint8_t acknowledge() override;
    const sc_core::sc_event& deliverable_event() const override;
    void eoi() override;
    void set_tpr(std::uint8_t tpr) override;
    void send_ipi(std::uint32_t dest_apic_id, std::uint8_t vector) override;
    void send_self_ipi(std::uint8_t vector) override;
    void set_tsc_deadline(std::uint64_t deadline, std::uint8_t vector) override;
    std::uint32_t apic_id() const override;

    /// xAPIC MMIO register access at offset 0x000..0x3F0 [SDM table 10-1].
    std::uint32_t mmio_read(std::uint32_t offset) const;
    void mmio_write(std::uint32_t offset, std::uint32_t value);
    /// x2APIC MSR access, MSR 0x800 + offset/16 [SDM 10.12.1.2]; ICR is 0x830
    /// (64-bit), SELF IPI 0x83F.
    std::uint64_t rdmsr(std::uint32_t msr) const;
    void wrmsr(std::uint32_t msr, std::uint64_t value);

    /// Register state for inspection (tests, trace viewer snapshots).
    const std::array<std::uint32_t, 8>& irr() const;
    const std::array<std::uint32_t, 8>& isr() const;
    const std::array<std::uint32_t, 8>& tmr() const;
    std::uint8_t ppr() const;
    std::uint8_t tpr() const;

    struct Impl;
    ~LocalApic() override;

private:
    Impl* impl_;
};

/// The system bus for interrupt messages: routes a message to the local APICs
/// it names (physical or logical destination, shorthands) after the profile's
/// latency. Order of delivery is deterministic (by cycle, then by send order).
class ApicBus : public sc_core::sc_module, public ApicMessageIf {
public:
    ApicBus(sc_core::sc_module_name name, const LapicTiming& timing, EventSink& sink);
    ~ApicBus() override;

    /// Register a local APIC as a destination.
    void attach(LocalApic& apic);

    /// Route `m`: from a device (source_apic == ~0u) after msg_latency, from
    /// an APIC's ICR after ipi_latency.
    void deliver(const ApicMessage& m) override;

    struct Impl;

private:
    Impl* impl_;
};

}  // namespace pisim
