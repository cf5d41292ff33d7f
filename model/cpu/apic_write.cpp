// model/cpu/apic_write.cpp - a guest write to its local APIC, as the
// APIC-virtualization controls route it [SDM vol. 3C 25.1.3, 29.4, 29.5].
//
// The guest's APIC mode is its own (GuestState::x2apic): an x2APIC guest
// writes with WRMSR to 800H + offset/16, which the MSR bitmap may turn into
// a VM exit (32) before x2APIC virtualization applies; an xAPIC guest writes
// its APIC page, which the APIC-access page virtualizes or turns into an
// APIC-access exit (44), or which is not mapped at all (EPT violation, 48).
#include "model/cpu/cpu_impl.h"

namespace pisim {

// Route the write. An x2APIC guest executes WRMSR (guest_wrmsr). For an
// xAPIC guest without any APIC virtualization the guest-physical APIC page is
// not mapped: the write is an EPT violation (reason 48, data write,
// GUEST_PHYSICAL_ADDRESS = APIC base + offset).
// Every exit leaves the guest after the writing instruction: trap-like exits
// have completed it, and for fault-like ones (44, 48, 32) the hypervisor
// emulates it and resumes at the next instruction.
//
// The model has no guest instruction stream for the hypervisor to decode, so
// a fault-like exit carries the data written: WRMSR (32) in the guest's RCX
// and RDX:RAX as the SDM has them, APIC access (44) and EPT violation (48) in
// qualification bits 63:32 (bits the SDM leaves 0 for these exits).
bool CpuCore::Impl::guest_apic_write(std::uint32_t offset, std::uint64_t value,
                                     VmExitInfo& out) {
    record_guest_ipi(offset, value);
    if (guest().x2apic) return guest_wrmsr(vmcs::MSR_X2APIC_FIRST + offset / 16, value, out);
    if (sec(vmcs::SEC_VIRTUALIZE_APIC_ACCESSES))
        return virtualize_apic_access_write(offset, static_cast<std::uint32_t>(value), out);
    vmcs().fields[vmcs::GUEST_PHYSICAL_ADDRESS] = vmcs::GUEST_APIC_BASE + offset;
    vm_exit(vmcs::EXIT_EPT_VIOLATION,
            vmcs::EPT_VIOLATION_WRITE | (static_cast<std::uint64_t>(value & 0xFFFFFFFFu) << 32), 0,
            out);
    return true;
}

// WRMSR in VMX non-root operation [SDM 25.1.3, "Instructions That Cause VM
// Exits Conditionally"; SDM 24.6.9 "MSR-Bitmap Address"]: a VM exit (32,
// fault-like) if "use MSR bitmaps" is 0, or ECX is in neither MSR range of
// the bitmap, or (ECX in 00000000H-00001FFFH) bit ECX of the write bitmap for
// low MSRs (byte 2048 of the MSR bitmap) is 1. The exit has qualification 0
// [SDM 27.2.1]; ECX and EDX:EAX stay as the guest set them (out.rcx, rdx:rax).
// (The guest writes only the x2APIC MSRs 800H-8FFH, all in the low range.)
// Otherwise an x2APIC MSR write is virtualized or reaches the local APIC
// (virtualize_x2apic_wrmsr).
bool CpuCore::Impl::guest_wrmsr(std::uint32_t msr, std::uint64_t value, VmExitInfo& out) {
    assert(msr >= vmcs::MSR_X2APIC_FIRST && msr <= vmcs::MSR_X2APIC_LAST);
    if (msr_bitmap_exit_on_write(msr)) {
        vm_exit(vmcs::EXIT_WRMSR, 0, 0, out);
        out.rcx = msr;
        out.rax = value & 0xFFFFFFFFu;
        out.rdx = value >> 32;
        return true;
    }
    return virtualize_x2apic_wrmsr(msr, value, out);
}

// The MSR-bitmap decision for a write [SDM 25.1.3, 24.6.9]: true if WRMSR of
// `msr` causes a VM exit.
bool CpuCore::Impl::msr_bitmap_exit_on_write(std::uint32_t msr) {
    if (!proc(vmcs::CPU_USE_MSR_BITMAPS)) return true;
    if (msr > vmcs::MSR_LOW_LAST) return true;  // the high range is never written here
    // bit n of the bitmap: bit n % 32 of the little-endian dword at n / 32 * 4
    const std::uint64_t dword = field(vmcs::MSR_BITMAP) + vmcs::MSR_BITMAP_WRITE_LOW + msr / 32 * 4;
    return ((mem.read32(dword) >> (msr % 32)) & 1) != 0;
}

// The IPI a guest write sends, as the guest's own local APIC defines it
// [SDM 10.6.1, 10.12.9, 10.12.11]: x2APIC, a write of the ICR MSR (830H:
// vector 7:0, delivery mode 10:8, shorthand 19:18, destination 63:32) or of
// SELF IPI (83FH: vector 7:0, to itself); xAPIC, a write of ICR low (300H)
// with the destination last written to ICR high (310H) bits 31:24. Recorded
// (guest.ipi) at the cycle of the write, before the controls decide whether
// it is virtualized or exits: the interrupt starts here whatever the
// hypervisor then does with it.
void CpuCore::Impl::record_guest_ipi(std::uint32_t offset, std::uint64_t value) {
    GuestState& g = guest();
    const bool x2apic = g.x2apic;
    if (!x2apic && offset == vmcs::VAPIC_VICR_HI) {
        g.icr_hi = static_cast<std::uint32_t>(value);
        return;
    }
    std::uint64_t dest = 0, icr = value;
    if (x2apic && offset == vmcs::APIC_SELF_IPI_OFFSET)
        icr = vmcs::ICR_SHORTHAND_SELF | (value & 0xFF);
    else if (offset != vmcs::VAPIC_VICR_LO)
        return;
    else
        dest = x2apic ? value >> 32 : g.icr_hi >> 24;
    emit(EventKind::GuestIpi, g.vcpu, dest, icr & 0xFF, (icr >> 18) & 3, x2apic ? 1 : 0, (icr >> 8) & 7);
}

// A WRMSR to an x2APIC MSR that the MSR bitmap let pass [SDM 29.5]:
//  - with "virtualize x2APIC mode" 1:
//    - 808H (TPR): VTPR <- value[7:0], bytes 3:1 cleared; TPR virtualization;
//    - 80BH (EOI) with VID: EOI virtualization;
//    - 83FH (SELF IPI) with VID: self-IPI virtualization of value[7:0];
//  - otherwise the instruction operates normally: it writes the local APIC of
//    the logical processor [SDM 10.12.1.2] (TPR, EOI, ICR: fixed, physical
//    destination 63:32 or self shorthand, SELF IPI). A hypervisor that lets
//    such a write pass hands its own local APIC to the guest; no exit.
// (A value with reserved bits set would raise #GP [SDM 29.5]; the guest
// model writes none.)
bool CpuCore::Impl::virtualize_x2apic_wrmsr(std::uint32_t msr, std::uint64_t value,
                                            VmExitInfo& out) {
    if (sec(vmcs::SEC_VIRTUALIZE_X2APIC)) {
        if (msr == vmcs::MSR_X2APIC_TPR) {
            assert((value >> 8) == 0);
            vapic_write(vmcs::VAPIC_VTPR, static_cast<std::uint32_t>(value & 0xFF));
            return tpr_virtualization(out);
        }
        if (msr == vmcs::MSR_X2APIC_EOI && vid()) {
            assert(value == 0);
            return eoi_virtualization(out);
        }
        if (msr == vmcs::MSR_X2APIC_SELF_IPI && vid()) {
            assert((value >> 8) == 0);
            self_ipi_virtualization(static_cast<std::uint8_t>(value & 0xFF));
            return false;
        }
    }
    const auto vector = static_cast<std::uint8_t>(value & 0xFF);
    if (msr == vmcs::MSR_X2APIC_TPR) {
        lapic.set_tpr(vector);
    } else if (msr == vmcs::MSR_X2APIC_EOI) {
        lapic.eoi();
    } else if (msr == vmcs::MSR_X2APIC_SELF_IPI) {
        lapic.send_self_ipi(vector);
    } else if (msr == vmcs::MSR_X2APIC_ICR) {
        if (((value >> 18) & 3) == 1)
            lapic.send_self_ipi(vector);
        else
            lapic.send_ipi(static_cast<std::uint32_t>(value >> 32), vector);
    }
    return false;
}

// Virtualizing a linear write to the APIC-access page [SDM 29.4.3.1]
// ("virtualize APIC accesses" = 1):
//  - APIC-register virtualization 0 and VID 0: only TPR (080H, with "use TPR
//    shadow") is virtualized;
//  - APIC-register virtualization 0, VID 1: TPR, EOI (0B0H), ICR low (300H);
//  - APIC-register virtualization 1: APIC ID, TPR, EOI, LDR, DFR, SVR, ESR,
//    ICR low and high, LVT, timer initial count, DCR.
// Otherwise APIC-access VM exit (44, fault-like), qualification = offset |
// linear write (1 << 12) | the data written << 32 (model convention, above). A virtualized write stores the data in the
// virtual-APIC page, then APIC-write emulation follows.
bool CpuCore::Impl::virtualize_apic_access_write(std::uint32_t offset, std::uint32_t value,
                                                 VmExitInfo& out) {
    const bool arv = sec(vmcs::SEC_APIC_REGISTER_VIRT);
    const bool virt_intr_delivery = vid();
    bool virtualized;
    if (!arv && !virt_intr_delivery) {
        virtualized = offset == vmcs::VAPIC_VTPR && proc(vmcs::CPU_TPR_SHADOW);
    } else if (!arv) {
        virtualized = offset == vmcs::VAPIC_VTPR || offset == vmcs::VAPIC_VEOI ||
                      offset == vmcs::VAPIC_VICR_LO;
    } else {
        virtualized = offset == 0x020 || offset == 0x080 || offset == 0x0B0 || offset == 0x0D0 ||
                      offset == 0x0E0 || offset == 0x0F0 || offset == 0x280 ||
                      offset == 0x300 || offset == 0x310 ||
                      (offset >= 0x320 && offset <= 0x370 && (offset & 0xF) == 0) ||
                      offset == 0x380 || offset == 0x3E0;
    }
    if (!virtualized) {
        vm_exit(vmcs::EXIT_APIC_ACCESS,
                offset | vmcs::APIC_ACCESS_LINEAR_WRITE | (std::uint64_t{value} << 32), 0, out);
        return true;
    }
    vapic_write(offset, value);
    return apic_write_emulation(offset, out);
}

// APIC-write emulation [SDM 29.4.3.2], after a virtualized write:
//  - 080H: bytes 3:1 of VTPR are cleared, then TPR virtualization;
//  - 0B0H with VID: VEOI is cleared, then EOI virtualization; without VID an
//    APIC-write VM exit;
//  - 300H with VID, when VICR_LO has reserved bits (31:20, 17:16, 13) and
//    delivery status (12) 0, shorthand self (01), edge trigger, fixed
//    delivery and vector[7:4] != 0: self-IPI virtualization; else an
//    APIC-write VM exit;
//  - 310H: bytes 2:0 of VICR_HI are cleared; no other action;
//  - any other offset: APIC-write VM exit (56, trap-like), qualification = offset.
bool CpuCore::Impl::apic_write_emulation(std::uint32_t offset, VmExitInfo& out) {
    if (offset == vmcs::VAPIC_VTPR) {
        vapic_write(vmcs::VAPIC_VTPR, vapic_read(vmcs::VAPIC_VTPR) & 0xFF);
        return tpr_virtualization(out);
    }
    if (offset == vmcs::VAPIC_VEOI && vid()) {
        vapic_write(vmcs::VAPIC_VEOI, 0);
        return eoi_virtualization(out);
    }
    if (offset == vmcs::VAPIC_VICR_LO && vid()) {
        const std::uint32_t icr = vapic_read(vmcs::VAPIC_VICR_LO);
        const bool reserved_zero = (icr & 0xFFF33000u) == 0;
        const bool self = ((icr >> 18) & 3) == 1;
        const bool edge = (icr & (1u << 15)) == 0;
        const bool fixed = ((icr >> 8) & 7) == 0;
        const bool vector_ok = (icr & 0xF0) != 0;
        if (reserved_zero && self && edge && fixed && vector_ok) {
            self_ipi_virtualization(static_cast<std::uint8_t>(icr & 0xFF));
            return false;
        }
    }
    if (offset == vmcs::VAPIC_VICR_HI) {
        vapic_write(vmcs::VAPIC_VICR_HI, vapic_read(vmcs::VAPIC_VICR_HI) & 0xFF000000u);
        return false;
    }
    vm_exit(vmcs::EXIT_APIC_WRITE, offset, 0, out);
    return true;
}

}  // namespace pisim
