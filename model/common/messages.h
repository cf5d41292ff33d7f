// model/common/messages.h - what the models exchange: MSI writes and APIC
// interrupt messages. Models meet only through these and the interfaces in
// model/common (docs/design.md, "Parts and their boundaries").
#pragma once

#include <cstdint>
#include <systemc>
#include <tlm>

namespace pisim {

/// An MSI/MSI-X memory write as a PCIe endpoint issues it [PCIe 6.1.4; VTD 5.1].
/// address: 64-bit, 0xFEEx_xxxx for interrupts; data: 32 bits (MSI uses 16).
struct MsiWrite {
    std::uint64_t address = 0;
    std::uint32_t data = 0;
    std::uint16_t requester_id = 0;  ///< bus[15:8] device[7:3] function[2:0]
    std::uint64_t tag = 0;           ///< interrupt id for tracing; 0 = untracked
};

/// Delivery modes of an interrupt message [SDM 10.6.1, table 10-4 encodings].
enum class DeliveryMode : std::uint8_t {
    Fixed = 0, LowestPriority = 1, Smi = 2, Nmi = 4, Init = 5, StartUp = 6, ExtInt = 7
};

/// Destination shorthands of the ICR [SDM 10.6.1].
enum class Shorthand : std::uint8_t { None = 0, Self = 1, AllIncludingSelf = 2, AllExcludingSelf = 3 };

/// An interrupt message on the system bus, addressed to local APICs: what
/// VT-d produces from a remapped interrupt or a posting notification, and
/// what an ICR write produces.
struct ApicMessage {
    std::uint32_t dest = 0;          ///< APIC ID (physical) or logical destination
    bool dest_logical = false;
    Shorthand shorthand = Shorthand::None;
    std::uint32_t source_apic = 0;   ///< sender's APIC ID for shorthands; ~0 for devices
    DeliveryMode mode = DeliveryMode::Fixed;
    std::uint8_t vector = 0;
    bool level_triggered = false;
    std::uint64_t tag = 0;           ///< interrupt id for tracing
};

/// Anything that accepts interrupt messages: a local APIC, or the bus that
/// routes them to local APICs.
class ApicMessageIf : public virtual sc_core::sc_interface {
public:
    /// Deliver `m` (non-blocking; the receiver schedules its own latency).
    virtual void deliver(const ApicMessage& m) = 0;
};

/// PCIe attributes of a memory write that TLM's generic payload lacks: the
/// requester ID the root complex sees, and the interrupt's trace tag. An
/// MSI/MSI-X write travels from an endpoint to the VT-d unit as a TLM-2.0
/// write (address = MSI address, 4 data bytes little-endian) carrying this
/// extension.
struct PcieRequesterExt : tlm::tlm_extension<PcieRequesterExt> {
    std::uint16_t requester_id = 0;
    std::uint64_t tag = 0;
    tlm::tlm_extension_base* clone() const override { return new PcieRequesterExt(*this); }
    void copy_from(const tlm::tlm_extension_base& e) override {
        *this = static_cast<const PcieRequesterExt&>(e);
    }
};

}  // namespace pisim
