// model/cpu/vm_exit.cpp - VM exits [SDM vol. 3C ch. 27].
#include "model/cpu/cpu_impl.h"

namespace pisim {

// VM exit [SDM 27]:
//  1. recording VM-exit information [SDM 27.2]: exit reason (basic reason
//     15:0), exit qualification, VM-exit interruption information; every VM
//     exit clears the valid bit of the VM-entry interruption-information field
//     [SDM 24.8.3];
//  2. saving guest state [SDM 27.3];
//  3. the logical processor leaves VMX non-root operation: the exit costs
//     timing.vm_exit, after which root-mode software runs (mode 0).
// The guest program's position (pc, remaining cycles, ISR state) already
// lives in the VMCS's GuestState, so a later entry on any core resumes it.
void CpuCore::Impl::vm_exit(std::uint32_t reason, std::uint64_t qualification,
                            std::uint32_t intr_info, VmExitInfo& out) {
    Vmcs& v = vmcs();
    v.fields[vmcs::VM_EXIT_REASON] = reason;
    v.fields[vmcs::EXIT_QUALIFICATION] = qualification;
    v.fields[vmcs::VM_EXIT_INTR_INFO] = intr_info;
    v.fields[vmcs::VM_ENTRY_INTR_INFO_FIELD] =
        v.get(vmcs::VM_ENTRY_INTR_INFO_FIELD) & ~std::uint64_t{vmcs::INTR_INFO_VALID};

    save_guest_state();
    // Recognition of a pending virtual interrupt does not survive the exit;
    // the next VM entry evaluates again [SDM 29.2.1].
    virq_recognized = false;
    ++exit_counts[reason];
    emit(EventKind::CpuVmExit, index, guest().vcpu, reason, qualification, intr_info);
    trace_vapic_state();

    charge(timing.vm_exit);
    emit(EventKind::CpuMode, index, 0, guest().vcpu);

    out.reason = reason;
    out.qualification = qualification;
    out.intr_info = intr_info;
    out.entry_error = 0;
}

// Saving guest state [SDM 27.3]: RFLAGS (IF as the guest program has it),
// activity state (HLT if the guest was halted), interruptibility state (no
// STI/MOV-SS blocking is modeled).
void CpuCore::Impl::save_guest_state() {
    Vmcs& v = vmcs();
    std::uint64_t rflags = v.get(vmcs::GUEST_RFLAGS) & ~vmcs::RFLAGS_IF;
    if (guest_if()) rflags |= vmcs::RFLAGS_IF;
    v.fields[vmcs::GUEST_RFLAGS] = rflags | 0x2;  // bit 1 is always 1
    v.fields[vmcs::GUEST_ACTIVITY_STATE] =
        guest().halted ? vmcs::ACTIVITY_HLT : vmcs::ACTIVITY_ACTIVE;
    v.fields[vmcs::GUEST_INTERRUPTIBILITY_INFO] = 0;
}

}  // namespace pisim
