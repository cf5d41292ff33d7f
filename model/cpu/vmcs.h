// model/cpu/vmcs.h - VMCS field encodings, controls and exit reasons the CPU
// model implements [SDM vol. 3D appendix B and C; Linux arch/x86/include/asm/vmx.h],
// and the store of VMCS regions by physical address.
#pragma once

#include <cstdint>
#include <map>

#include "model/cpu/workload.h"

namespace pisim {

namespace vmcs {
// 16-bit control fields
constexpr std::uint32_t POSTED_INTR_NV = 0x0002;
// 16-bit guest-state fields
constexpr std::uint32_t GUEST_INTR_STATUS = 0x0810;  ///< RVI bits 7:0, SVI bits 15:8
// 64-bit control fields
constexpr std::uint32_t MSR_BITMAP = 0x2004;  ///< MSR-bitmap address [SDM 24.6.9]
constexpr std::uint32_t VIRTUAL_APIC_PAGE_ADDR = 0x2012;
constexpr std::uint32_t APIC_ACCESS_ADDR = 0x2014;
constexpr std::uint32_t POSTED_INTR_DESC_ADDR = 0x2016;
constexpr std::uint32_t EOI_EXIT_BITMAP0 = 0x201C;
constexpr std::uint32_t EOI_EXIT_BITMAP1 = 0x201E;
constexpr std::uint32_t EOI_EXIT_BITMAP2 = 0x2020;
constexpr std::uint32_t EOI_EXIT_BITMAP3 = 0x2022;
// 64-bit read-only data fields
constexpr std::uint32_t GUEST_PHYSICAL_ADDRESS = 0x2400;  ///< of an EPT violation
// 32-bit control fields
constexpr std::uint32_t PIN_BASED_VM_EXEC_CONTROL = 0x4000;
constexpr std::uint32_t CPU_BASED_VM_EXEC_CONTROL = 0x4002;
constexpr std::uint32_t VM_EXIT_CONTROLS = 0x400C;
constexpr std::uint32_t VM_ENTRY_CONTROLS = 0x4012;
constexpr std::uint32_t VM_ENTRY_INTR_INFO_FIELD = 0x4016;
constexpr std::uint32_t TPR_THRESHOLD = 0x401C;
constexpr std::uint32_t SECONDARY_VM_EXEC_CONTROL = 0x401E;
// 32-bit read-only data fields
constexpr std::uint32_t VM_INSTRUCTION_ERROR = 0x4400;
constexpr std::uint32_t VM_EXIT_REASON = 0x4402;
constexpr std::uint32_t VM_EXIT_INTR_INFO = 0x4404;
// 32-bit guest-state fields
constexpr std::uint32_t GUEST_INTERRUPTIBILITY_INFO = 0x4824;
constexpr std::uint32_t GUEST_ACTIVITY_STATE = 0x4826;
// natural-width fields
constexpr std::uint32_t EXIT_QUALIFICATION = 0x6400;
constexpr std::uint32_t GUEST_RFLAGS = 0x6820;

// pin-based controls
constexpr std::uint32_t PIN_EXT_INTR_EXITING = 0x01;
constexpr std::uint32_t PIN_POSTED_INTR = 0x80;
// primary processor-based controls
constexpr std::uint32_t CPU_INTR_WINDOW_EXITING = 0x00000004;
constexpr std::uint32_t CPU_HLT_EXITING = 0x00000080;
constexpr std::uint32_t CPU_TPR_SHADOW = 0x00200000;
constexpr std::uint32_t CPU_USE_MSR_BITMAPS = 0x10000000;
constexpr std::uint32_t CPU_ACTIVATE_SECONDARY = 0x80000000;
// secondary controls
constexpr std::uint32_t SEC_VIRTUALIZE_APIC_ACCESSES = 0x001;
constexpr std::uint32_t SEC_VIRTUALIZE_X2APIC = 0x010;
constexpr std::uint32_t SEC_APIC_REGISTER_VIRT = 0x100;
constexpr std::uint32_t SEC_VIRTUAL_INTR_DELIVERY = 0x200;
// VM-exit controls
constexpr std::uint32_t EXIT_ACK_INTR_ON_EXIT = 0x8000;
// RFLAGS
constexpr std::uint64_t RFLAGS_IF = 1u << 9;
// guest activity states [SDM 24.4.2]
constexpr std::uint32_t ACTIVITY_ACTIVE = 0, ACTIVITY_HLT = 1;
// VM-entry / VM-exit interruption information [SDM 24.8.3, 24.9.2]:
// vector 7:0, type 10:8 (0 external interrupt), valid bit 31
constexpr std::uint32_t INTR_INFO_VALID = 0x80000000u;
constexpr std::uint32_t INTR_INFO_VECTOR_MASK = 0xFFu;
constexpr std::uint32_t INTR_INFO_TYPE_MASK = 0x700u;
constexpr std::uint32_t INTR_TYPE_EXT_INTR = 0x000u;
// exit qualification of an APIC-access VM exit [SDM 27.2.1, table 27-6]:
// page offset 11:0, access type 15:12 (1 = linear write); the model adds the
// 32-bit data of a write in bits 63:32 (no instruction to decode; apic_write.cpp)
constexpr std::uint64_t APIC_ACCESS_LINEAR_WRITE = 1u << 12;
// exit qualification of an EPT violation [SDM 27.2.1, table 27-7]: bit 1 data write
constexpr std::uint64_t EPT_VIOLATION_WRITE = 1u << 1;
/// Guest-physical base of the guest's local APIC (xAPIC MMIO page).
constexpr std::uint64_t GUEST_APIC_BASE = 0xFEE00000u;
// MSR bitmap [SDM 24.6.9]: 4 KiB, four 1-KiB bitmaps; the write bitmap for
// low MSRs (00000000H-00001FFFH) is at byte 2048, bit n for MSR n.
constexpr std::uint64_t MSR_BITMAP_WRITE_LOW = 2048;
constexpr std::uint32_t MSR_LOW_LAST = 0x1FFF;
// x2APIC MSRs [SDM 10.12.1.2]: 0x800 + xAPIC offset / 16
constexpr std::uint32_t MSR_X2APIC_FIRST = 0x800, MSR_X2APIC_LAST = 0x8FF;
constexpr std::uint32_t MSR_X2APIC_TPR = 0x808, MSR_X2APIC_EOI = 0x80B,
                        MSR_X2APIC_ICR = 0x830, MSR_X2APIC_SELF_IPI = 0x83F;
/// xAPIC offset of the x2APIC-only SELF IPI register (MSR 0x83F).
constexpr std::uint32_t APIC_SELF_IPI_OFFSET = 0x3F0;
// ICR [SDM 10.6.1]: shorthand bits 19:18 (01 self), trigger bit 15, delivery mode 10:8
constexpr std::uint32_t ICR_SHORTHAND_SELF = 1u << 18;
// posted-interrupt descriptor [SDM 29.6; Linux arch/x86/include/asm/posted_intr.h]:
// PIR bytes 0..31, control word at byte 32
constexpr std::uint64_t PID_PIR = 0, PID_CONTROL = 32;
constexpr std::uint64_t PID_ON = 1u << 0, PID_SN = 1u << 1;

// basic exit reasons [SDM appendix C]
constexpr std::uint32_t EXIT_EXTERNAL_INTERRUPT = 1;
constexpr std::uint32_t EXIT_INTERRUPT_WINDOW = 7;
constexpr std::uint32_t EXIT_HLT = 12;
constexpr std::uint32_t EXIT_VMCALL = 18;
/// WRMSR [SDM 25.1.3]: no exit qualification (0) [SDM 27.2.1]; the MSR index
/// is in the guest's ECX and the value in EDX:EAX (VmExitInfo::rcx, rdx, rax).
constexpr std::uint32_t EXIT_WRMSR = 32;
/// VM-entry failure due to invalid guest state [SDM 26.8]; reported with
/// EXIT_REASON_VM_ENTRY_FAILURE (bit 31) set.
constexpr std::uint32_t EXIT_INVALID_GUEST_STATE = 33;
constexpr std::uint32_t EXIT_REASON_VM_ENTRY_FAILURE = 0x80000000u;
constexpr std::uint32_t EXIT_TPR_BELOW_THRESHOLD = 43;
constexpr std::uint32_t EXIT_APIC_ACCESS = 44;
constexpr std::uint32_t EXIT_EOI_INDUCED = 45;
constexpr std::uint32_t EXIT_EPT_VIOLATION = 48;
constexpr std::uint32_t EXIT_APIC_WRITE = 56;

// VM-instruction error numbers [SDM 30.4]
constexpr std::uint32_t VMERR_ENTRY_INVALID_CONTROL = 7;
constexpr std::uint32_t VMERR_ENTRY_INVALID_HOST_STATE = 8;
/// VMfailInvalid (no current VMCS) has no error number; the model reports
/// this value in VmExitInfo::entry_error.
constexpr std::uint32_t VMFAIL_INVALID = 0xFFFFFFFFu;

// virtual-APIC page offsets [SDM 29.1]
constexpr std::uint32_t VAPIC_VTPR = 0x080, VAPIC_VPPR = 0x0A0, VAPIC_VEOI = 0x0B0,
                        VAPIC_VISR = 0x100, VAPIC_VIRR = 0x200, VAPIC_VICR_LO = 0x300,
                        VAPIC_VICR_HI = 0x310;
/// Offset in the virtual-APIC page of the 32-bit word holding vector v of the
/// 256-bit register at `base` (VISR, VIRR, ...): base + ((v & 0xE0) >> 1).
constexpr std::uint32_t vapic_word(std::uint32_t base, std::uint8_t v) {
    return base + ((v & 0xE0u) >> 1);
}
}  // namespace vmcs

/// Guest state the CPU model keeps in a VMCS besides the architectural fields:
/// where the guest program is.
struct GuestState {
    const GuestProgram* program = nullptr;
    std::uint32_t vcpu = 0;          ///< global vCPU id, for trace records
    std::size_t pc = 0;              ///< index of the current op
    std::uint64_t op_remaining = 0;  ///< cycles left in the current op (0 = not started)
    bool in_isr = false;             ///< executing an ISR (IF=0)
    std::uint8_t isr_vector = 0;
    std::uint64_t isr_remaining = 0;
    bool halted = false;             ///< HLT executed, waiting for an interrupt
    std::uint32_t op_phase = 0;      ///< step within a multi-write op (xAPIC ICR: 0 ICR_HI, 1 ICR_LO)
    std::uint32_t icr_hi = 0;        ///< xAPIC ICR high as the guest last wrote it (destination 31:24)
    /// The guest's local APIC is in x2APIC mode (its IA32_APIC_BASE.EXTD
    /// [SDM 10.12.1]): it reaches its APIC by WRMSR to 800H-8FFH, else by
    /// writes to its xAPIC page. A property of the guest, not of the controls.
    bool x2apic = false;
    /// A scenario's `block` event: the guest executes STI;HLT at its next
    /// instruction boundary with RFLAGS.IF=1, then resumes its current op.
    bool halt_requested = false;
    /// RVI | SVI << 8 | VPPR << 16 last reported in a CpuVapicState event
    /// (~0 = none yet); trace bookkeeping only.
    std::uint32_t traced_vapic = 0xFFFFFFFFu;
};

/// One VMCS region: field values by encoding, and the guest's model state.
struct Vmcs {
    std::map<std::uint32_t, std::uint64_t> fields;
    GuestState guest;
    bool launched = false;
    int active_on = -1;  ///< pCPU on which it is current/active, -1 if clear
    std::uint64_t get(std::uint32_t f) const {
        auto it = fields.find(f);
        return it == fields.end() ? 0 : it->second;
    }
};

/// All VMCS regions of the machine, by physical address (shared by all cores,
/// because a VMCS cleared on one pCPU can be loaded on another).
class VmcsStore {
public:
    /// Create (or return) the region at `pa` and attach the guest program,
    /// whose local APIC is in x2APIC mode if `x2apic`.
    Vmcs& bind(std::uint64_t pa, std::uint32_t vcpu, const GuestProgram* program,
               bool x2apic) {
        Vmcs& v = regions_[pa];
        v.guest.vcpu = vcpu;
        v.guest.program = program;
        v.guest.x2apic = x2apic;
        return v;
    }
    Vmcs* find(std::uint64_t pa) {
        auto it = regions_.find(pa);
        return it == regions_.end() ? nullptr : &it->second;
    }

private:
    std::map<std::uint64_t, Vmcs> regions_;
};

}  // namespace pisim
