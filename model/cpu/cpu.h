// model/cpu/cpu.h - a physical CPU core with VMX and APIC virtualization
// [SDM vol. 3C ch. 24-29; Linux arch/x86/include/asm/vmx.h].
//
// The core's thread runs root-mode software (the hypervisor, through the
// platform's port) by calling `root_software`. VMX instructions are methods
// called from that thread. vm_enter() runs the guest model in VMX non-root
// operation until a VM exit: external interrupts, posted-interrupt
// processing, virtual-interrupt delivery, EOI/TPR/self-IPI virtualization and
// HLT happen inside it, in the SDM's order, with the profile's costs.
//
// Conventions the hypervisor sees (the guest is a model with no instruction
// stream; see model/cpu/apic_write.cpp and nonroot.cpp):
//  - a WRMSR exit (32) has exit qualification 0 [SDM 27.2.1]; the MSR index
//    and the value are in the guest's RCX and RDX:RAX, reported in VmExitInfo
//    as a hypervisor's exit stub would save them (x2APIC ICR: one 64-bit
//    write to 830H, destination 63:32, vector 7:0; EOI MSR 80BH: 0);
//  - exit qualification of an APIC-access (44) or EPT-violation (48) exit on a
//    guest APIC write: the SDM's low bits | the 32-bit data written << 32;
//  - a fault-like exit (32, 44, 48, 12) is resumed after the instruction: the
//    model assumes the hypervisor emulated it;
//  - the guest's APIC mode (x2APIC or xAPIC) is the guest's own
//    (GuestState::x2apic, given at VmcsStore::bind), whatever the controls:
//    an x2APIC guest's WRMSR to 800H-8FFH goes through the MSR bitmap
//    [SDM 25.1.3] and then x2APIC virtualization [SDM 29.5]; an xAPIC
//    guest's write goes through the APIC-access page [SDM 29.4];
//  - guest RFLAGS.IF and the activity state are written to GUEST_RFLAGS and
//    GUEST_ACTIVITY_STATE on every exit; the activity state is read on entry.
// Trace: CpuMode a = 0 root, 1 non-root, 2 guest in the HLT activity state.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <systemc>

#include "model/common/lapic_core_if.h"
#include "model/common/phys_mem.h"
#include "model/common/rx_queue_if.h"
#include "model/common/trace.h"
#include "model/cpu/vmcs.h"

namespace pisim {

/// CPU costs in cycles (timing profile, "cpu.*").
struct CpuTiming {
    std::uint64_t vm_entry = 0;       ///< VMRESUME until the first guest instruction
    std::uint64_t vm_exit = 0;        ///< guest instruction boundary until the host RIP
    std::uint64_t pi_processing = 0;  ///< posted-interrupt processing steps 1-6 [SDM 29.6]
    std::uint64_t virq_delivery = 0;  ///< virtual-interrupt delivery to the guest IDT [SDM 29.2.2]
    std::uint64_t eoi_virtualization = 0;  ///< [SDM 29.1.2]
    std::uint64_t hlt_wakeup = 0;     ///< leaving the HLT activity state
    std::uint64_t vmread = 0, vmwrite = 0, vmptrld = 0, vmclear = 0;  ///< charged by the port
};

/// Information the core reports for one VM exit or a failed VM entry.
struct VmExitInfo {
    std::uint32_t reason = 0;
    std::uint64_t qualification = 0;
    std::uint32_t intr_info = 0;    ///< with ack-on-exit: bit 31 valid, 7:0 vector
    /// Guest general-purpose registers at the exit, which VMX does not save
    /// in the VMCS [SDM 27.3] and a hypervisor's exit stub saves: set for a
    /// WRMSR exit (RCX = MSR index, RDX:RAX = value, upper halves 0), else 0.
    std::uint64_t rax = 0, rcx = 0, rdx = 0;
    /// Nonzero when vm_enter() returned false: the VM-instruction error of a
    /// VMfailValid (7: invalid control field) [SDM 30.4]; vmcs::VMFAIL_INVALID
    /// (0xFFFFFFFF) when no VMCS is current (VMfailInvalid); or, for a VM-entry
    /// failure due to invalid guest state [SDM 26.8], the exit reason
    /// 0x80000021 (bit 31 | 33), which is also in VM_EXIT_REASON. Else 0.
    std::uint32_t entry_error = 0;
};

class CpuCore : public sc_core::sc_module {
public:
    /// NIC receive queues the guest program's NAPI driver polls
    /// (GuestProgram::napi_queues names them by binding index); may stay
    /// unbound when no guest polls.
    sc_core::sc_port<RxQueueIf, 0, sc_core::SC_ZERO_OR_MORE_BOUND> rx;

    /// index: pCPU number (trace unit). The core's thread calls
    /// root_software() once at time 0; it must be set before simulation.
    CpuCore(sc_core::sc_module_name name, std::uint32_t index, const CpuTiming& timing,
            PhysMem& mem, VmcsStore& vmcs_store, LapicCoreIf& lapic, EventSink& sink);
    ~CpuCore() override;

    std::function<void()> root_software;

    std::uint32_t index() const;

    // --- VMX instructions, root mode, from the core's thread. They do not
    // --- consume simulated time (the caller charges the profile cost).
    void vmclear(std::uint64_t vmcs_pa);
    void vmptrld(std::uint64_t vmcs_pa);
    std::uint64_t vmread(std::uint32_t field) const;
    void vmwrite(std::uint32_t field, std::uint64_t value);

    /// VMLAUNCH/VMRESUME of the current VMCS [SDM 26]: the VM-entry checks of
    /// SDM 26.2.1.1 (failure: false, out.entry_error, no time in the guest), then the
    /// guest runs, consuming simulated time, until a VM exit [SDM 27], whose
    /// information is returned in `out` (true). Root-mode IF is 0 on return.
    bool vm_enter(VmExitInfo& out);

    /// The guest whose VMCS region is at `vmcs_pa` executes STI;HLT at its next
    /// instruction boundary with RFLAGS.IF=1 (after an ISR or interrupt-
    /// disabled window in progress), then resumes where it was: a scenario's
    /// `block` event. If the region is current on this core, the guest work
    /// in progress is cut at the current cycle; else the HLT happens when the
    /// guest next runs. Call on the core the region is active on, or any core
    /// when it is active nowhere.
    void request_guest_halt(std::uint64_t vmcs_pa);

    /// VM exits counted by basic exit reason.
    const std::map<std::uint32_t, std::uint64_t>& exit_counts() const;

    /// What acquiring the 64-byte line at machine physical address `pa` for a
    /// read-modify-write costs this core now, beyond an L1 hit, in cycles (the
    /// platform's coherence model); charged by posted-interrupt processing
    /// for the PID line. Unset: nothing beyond timing.pi_processing.
    using LineLatency = std::function<std::uint64_t(std::uint64_t pa)>;
    void set_line_latency(LineLatency f);

    struct Impl;

private:
    void thread_main();
    sc_core::sc_event guest_request_{"guest_request"};  ///< see request_guest_halt
    Impl* impl_;
};

}  // namespace pisim
