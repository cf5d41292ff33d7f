// model/cpu/vm_entry.cpp - VM entries [SDM vol. 3C ch. 26].
#include "model/cpu/cpu_impl.h"

namespace pisim {

// VMLAUNCH/VMRESUME [SDM 26]: VMLAUNCH if the current VMCS's launch state is
// clear, else VMRESUME (the caller need not distinguish). Section numbers
// are those of SDM vol. 3C editions that number VM entries chapter 26 and
// APIC virtualization chapter 29; later editions number them 27 and 30
// (26.3.2.5 -> 27.3.2.5, 29.1.3 -> 30.1.3, 29.2.1 -> 30.2.1).
//  0. no current VMCS: VMfailInvalid (entry_error VMFAIL_INVALID), no time;
//  1. the instruction's cost (timing.vm_entry) is charged;
//  2. checks on VM-execution control fields [SDM 26.2.1.1]; a failure is
//     VMfailValid with VM-instruction error 7 and no guest time [SDM 26.2];
//  3. checks on the guest state [SDM 26.3.1]; a failure is a VM-entry failure
//     [SDM 26.8]: exit reason 33 with bit 31, reported as a failed entry;
//  4. loading guest state [SDM 26.3.2] (activity state), and updating
//     non-register state [SDM 26.3.2.5]: with "virtual-interrupt delivery"
//     1, VM entry loads RVI and SVI from the guest interrupt status, then
//     first causes PPR virtualization [SDM 29.1.3] and then evaluates
//     pending virtual interrupts [SDM 29.2.1] (load_guest_state);
//  5. event injection [SDM 26.6];
//  6. VM exit induced by the TPR threshold [SDM 26.7.7] (only with VID 0);
//  7. the guest runs; an interrupt-window exit or the delivery of a virtual
//     interrupt recognized in step 4 may occur before its first instruction,
//     after any injected event [SDM 26.3.2.5, 26.7.5] (run_guest's first
//     instruction boundary).
bool CpuCore::Impl::vm_enter(VmExitInfo& out) {
    out = VmExitInfo{};
    if (current == nullptr || current->guest.program == nullptr) {
        // No current VMCS: VMfailInvalid [SDM 30.3]. (A region the platform
        // did not bind to a guest program is treated alike.)
        out.entry_error = vmcs::VMFAIL_INVALID;
        emit(EventKind::CpuVmEntryFail, index, current ? current->guest.vcpu : 0,
             vmcs::VMFAIL_INVALID);
        return false;
    }
    charge(timing.vm_entry);

    const std::uint32_t error = check_vm_execution_control_fields();
    if (error != 0) {
        vmcs().fields[vmcs::VM_INSTRUCTION_ERROR] = error;
        out.entry_error = error;
        emit(EventKind::CpuVmEntryFail, index, guest().vcpu, error);
        return false;
    }
    if (!check_guest_state()) {
        const std::uint32_t reason =
            vmcs::EXIT_REASON_VM_ENTRY_FAILURE | vmcs::EXIT_INVALID_GUEST_STATE;
        vmcs().fields[vmcs::VM_EXIT_REASON] = reason;
        vmcs().fields[vmcs::EXIT_QUALIFICATION] = 0;
        out.reason = reason;
        out.entry_error = reason;
        emit(EventKind::CpuVmEntryFail, index, guest().vcpu, reason);
        return false;
    }

    load_guest_state();
    vmcs().launched = true;
    emit(EventKind::CpuVmEntry, index, guest().vcpu, rvi(), svi());
    emit(EventKind::CpuMode, index, guest().halted ? 2 : 1, guest().vcpu);
    trace_vapic_state();

    inject_event();

    // VM exits induced by the TPR threshold [SDM 26.7.7]: with "use TPR
    // shadow" 1 and VID 0, immediately after entry if TPR threshold[3:0] > VTPR[7:4].
    if (proc(vmcs::CPU_TPR_SHADOW) && !vid()) {
        const std::uint32_t threshold = field(vmcs::TPR_THRESHOLD) & 0xF;
        if (threshold > ((vapic_read(vmcs::VAPIC_VTPR) >> 4) & 0xF)) {
            vm_exit(vmcs::EXIT_TPR_BELOW_THRESHOLD, 0, 0, out);
            return true;
        }
    }

    run_guest(out);
    return true;
}

// Checks on VM-execution control fields [SDM 26.2.1.1], the APIC-virtualization
// subset. Reserved-bit checks of the capability MSRs are not modeled.
// "Within the physical-address width" is modeled as "mapped RAM", which the
// model needs to access the page. Returns 0 or VMERR_ENTRY_INVALID_CONTROL.
std::uint32_t CpuCore::Impl::check_vm_execution_control_fields() {
    constexpr std::uint32_t kInvalid = vmcs::VMERR_ENTRY_INVALID_CONTROL;
    const bool tpr_shadow = proc(vmcs::CPU_TPR_SHADOW);
    const bool virt_apic_accesses = sec(vmcs::SEC_VIRTUALIZE_APIC_ACCESSES);
    const bool virt_x2apic = sec(vmcs::SEC_VIRTUALIZE_X2APIC);
    const bool apic_reg_virt = sec(vmcs::SEC_APIC_REGISTER_VIRT);
    const bool virt_intr_delivery = vid();

    if (tpr_shadow) {
        // The virtual-APIC address is 4-KByte aligned and within the
        // physical-address width.
        const std::uint64_t vapic = field(vmcs::VIRTUAL_APIC_PAGE_ADDR);
        if ((vapic & 0xFFF) != 0 || !mem.is_ram(vapic, PhysMem::kPageSize)) return kInvalid;
        // With VID 0, TPR threshold bits 31:4 are 0.
        const std::uint64_t threshold = field(vmcs::TPR_THRESHOLD);
        if (!virt_intr_delivery && (threshold & ~std::uint64_t{0xF}) != 0) return kInvalid;
        // With virtualize APIC accesses 0 and VID 0, TPR threshold[3:0] <= VTPR[7:4].
        if (!virt_apic_accesses && !virt_intr_delivery &&
            (threshold & 0xF) > ((vapic_read(vmcs::VAPIC_VTPR) >> 4) & 0xF))
            return kInvalid;
    } else {
        // Without "use TPR shadow": virtualize x2APIC mode, APIC-register
        // virtualization and virtual-interrupt delivery are 0.
        if (virt_x2apic || apic_reg_virt || virt_intr_delivery) return kInvalid;
    }
    // Virtualize x2APIC mode and virtualize APIC accesses are not both 1.
    if (virt_x2apic && virt_apic_accesses) return kInvalid;
    // With virtualize APIC accesses, the APIC-access address is 4-KByte aligned.
    if (virt_apic_accesses && (field(vmcs::APIC_ACCESS_ADDR) & 0xFFF) != 0) return kInvalid;
    // Virtual-interrupt delivery requires external-interrupt exiting.
    if (virt_intr_delivery && !pin(vmcs::PIN_EXT_INTR_EXITING)) return kInvalid;
    if (pin(vmcs::PIN_POSTED_INTR)) {
        // Process posted interrupts requires VID and acknowledge interrupt on exit,
        if (!virt_intr_delivery) return kInvalid;
        if (!exit_ctl(vmcs::EXIT_ACK_INTR_ON_EXIT)) return kInvalid;
        // the notification vector has bits 15:8 clear,
        if ((field(vmcs::POSTED_INTR_NV) & 0xFF00) != 0) return kInvalid;
        // the descriptor address is 64-byte aligned and within the width.
        const std::uint64_t pid = field(vmcs::POSTED_INTR_DESC_ADDR);
        if ((pid & 0x3F) != 0 || !mem.is_ram(pid, 64)) return kInvalid;
    }
    return 0;
}

// Checks on guest non-register state [SDM 26.3.1.4, 26.3.1.5]: an external
// interrupt can be injected only into a guest with RFLAGS.IF = 1 (the model's
// guest IF: not inside an ISR or a CLI window).
bool CpuCore::Impl::check_guest_state() {
    const std::uint64_t info = field(vmcs::VM_ENTRY_INTR_INFO_FIELD);
    const bool injecting_external = (info & vmcs::INTR_INFO_VALID) != 0 &&
                                    (info & vmcs::INTR_INFO_TYPE_MASK) == vmcs::INTR_TYPE_EXT_INTR;
    return !(injecting_external && !guest_if());
}

// Loading guest state [SDM 26.3.2]: the activity state [SDM 26.3.2.5]; the
// guest program's position is the model's own guest state kept in the VMCS.
// Updating non-register state [SDM 26.3.2.5]: no virtual interrupt is
// recognized before the evaluation (recognition does not survive a VM exit);
// with "virtual-interrupt delivery" 1,
//  a. RVI and SVI are loaded from the guest interrupt status (the model reads
//     them in place in the VMCS field);
//  b. PPR virtualization [SDM 29.1.3] (VPPR from VTPR and SVI, whatever the
//     hypervisor left in VPPR);
//  c. evaluation of pending virtual interrupts [SDM 29.2.1].
void CpuCore::Impl::load_guest_state() {
    guest().halted = field(vmcs::GUEST_ACTIVITY_STATE) == vmcs::ACTIVITY_HLT;
    virq_recognized = false;
    if (!vid()) return;
    ppr_virtualization();
    evaluate_pending_virtual_interrupts();
}

// Event injection [SDM 26.6.1]: if the VM-entry interruption-information
// field is valid, the event is delivered through the guest IDT as if it had
// occurred right after entry; the valid bit is cleared [SDM 24.8.3]. Injection
// leaves the HLT activity state [SDM 26.6.2]. Only external interrupts (type 0)
// are modeled. Delivery through the IDT costs timing.virq_delivery, as for a
// virtual interrupt. Returns true if an interrupt was injected.
bool CpuCore::Impl::inject_event() {
    const std::uint64_t info = field(vmcs::VM_ENTRY_INTR_INFO_FIELD);
    if ((info & vmcs::INTR_INFO_VALID) == 0) return false;
    assert((info & vmcs::INTR_INFO_TYPE_MASK) == vmcs::INTR_TYPE_EXT_INTR &&
           "only external-interrupt injection is modeled");
    assert(guest_if());  // check_guest_state
    const std::uint8_t vector = info & vmcs::INTR_INFO_VECTOR_MASK;
    vmcs().fields[vmcs::VM_ENTRY_INTR_INFO_FIELD] = info & ~std::uint64_t{vmcs::INTR_INFO_VALID};
    if (guest().halted) set_halted(false);
    emit(EventKind::CpuVirqInject, index, guest().vcpu, vector);
    charge(timing.virq_delivery);
    guest_isr_begin(vector);
    return true;
}

}  // namespace pisim
