// model/cpu/cpu_impl.h - private state of CpuCore and the SDM procedures it
// runs. Each procedure is one member function named after the SDM procedure,
// defined in the file of its concept:
//   vm_entry.cpp          VM entries [SDM 26]
//   vm_exit.cpp           VM exits [SDM 27]
//   nonroot.cpp           VMX non-root operation: instruction boundaries,
//                         external interrupts, HLT, the guest program [SDM 25, 29.2.2]
//   virtual_apic.cpp      virtual-APIC page and virtual interrupts [SDM 29.1, 29.2]
//   apic_write.cpp        guest writes to its APIC, routed by the controls [SDM 25.1.3, 29.4, 29.5]
//   posted_interrupt.cpp  posted-interrupt processing [SDM 29.6]
#pragma once

#include <cassert>
#include <cstdint>
#include <map>

#include "model/common/cycles.h"
#include "model/cpu/cpu.h"

namespace pisim {

struct CpuCore::Impl {
    Impl(CpuCore& core, std::uint32_t index, const CpuTiming& timing, PhysMem& mem,
         VmcsStore& store, LapicCoreIf& lapic, EventSink& sink)
        : core(core), index(index), timing(timing), mem(mem), store(store), lapic(lapic),
          sink(sink), guest_request(core.guest_request_) {}

    CpuCore& core;
    const std::uint32_t index;
    const CpuTiming timing;
    PhysMem& mem;
    VmcsStore& store;
    LapicCoreIf& lapic;
    EventSink& sink;
    CpuCore::LineLatency line_latency;  ///< unset: no coherence cost

    Vmcs* current = nullptr;  ///< current VMCS (VMPTRLD), null if none
    /// A pending virtual interrupt is recognized [SDM 29.2.1]: set by the
    /// evaluation, cleared by delivery; re-established by every VM entry.
    bool virq_recognized = false;
    /// Notified by request_guest_halt: cuts guest work in progress (run_for).
    /// The module owns it (CpuCore::guest_request_).
    sc_core::sc_event& guest_request;
    std::map<std::uint32_t, std::uint64_t> exit_counts;

    // --- accessors --------------------------------------------------------
    /// Spend `n` core cycles on this core (no SystemC activation when n = 0).
    static void charge(std::uint64_t n) {
        if (n != 0) sc_core::wait(cycles(n));
    }
    void emit(EventKind k, std::uint32_t unit, std::uint64_t a = 0, std::uint64_t b = 0,
              std::uint64_t c = 0, std::uint64_t d = 0, std::uint64_t e = 0,
              std::uint64_t f = 0);
    Vmcs& vmcs() {
        assert(current != nullptr);
        return *current;
    }
    GuestState& guest() { return vmcs().guest; }
    std::uint64_t field(std::uint32_t f) { return vmcs().get(f); }
    bool pin(std::uint32_t bit) { return (field(vmcs::PIN_BASED_VM_EXEC_CONTROL) & bit) != 0; }
    bool proc(std::uint32_t bit) { return (field(vmcs::CPU_BASED_VM_EXEC_CONTROL) & bit) != 0; }
    /// A secondary control; 0 when "activate secondary controls" is 0 [SDM 24.6.2].
    bool sec(std::uint32_t bit) {
        return proc(vmcs::CPU_ACTIVATE_SECONDARY) &&
               (field(vmcs::SECONDARY_VM_EXEC_CONTROL) & bit) != 0;
    }
    bool exit_ctl(std::uint32_t bit) { return (field(vmcs::VM_EXIT_CONTROLS) & bit) != 0; }
    bool vid() { return sec(vmcs::SEC_VIRTUAL_INTR_DELIVERY); }
    /// Guest RFLAGS.IF as the guest program leaves it (see nonroot.cpp).
    bool guest_if();

    // --- vm_entry.cpp [SDM 26] -------------------------------------------
    bool vm_enter(VmExitInfo& out);
    /// Checks on VM-execution control fields [SDM 26.2.1.1]; 0 or a VM-instruction error.
    std::uint32_t check_vm_execution_control_fields();
    /// Checks on guest non-register state [SDM 26.3.1.4-5], the subset the
    /// model has state for; true if they pass.
    bool check_guest_state();
    /// Loading guest state: activity state; with VID, PPR virtualization and
    /// the evaluation of pending virtual interrupts [SDM 26.3.2.5].
    void load_guest_state();
    /// Event injection [SDM 26.6.1]: true if an interrupt was injected.
    bool inject_event();

    // --- vm_exit.cpp [SDM 27] --------------------------------------------
    /// Take a VM exit with `reason`, `qualification`, `intr_info`; fills `out`.
    void vm_exit(std::uint32_t reason, std::uint64_t qualification, std::uint32_t intr_info,
                 VmExitInfo& out);
    /// Saving guest state [SDM 27.3]: RFLAGS.IF, activity state.
    void save_guest_state();

    // --- nonroot.cpp [SDM 25, 29.2.2] ------------------------------------
    /// Run the guest until a VM exit; fills `out`.
    void run_guest(VmExitInfo& out);
    /// Events at an instruction boundary in priority order [SDM 6.9, 25.2,
    /// 29.2.2]; true if one of them caused a VM exit.
    bool instruction_boundary(VmExitInfo& out);
    /// An unmasked external interrupt in VMX non-root operation [SDM 25.2,
    /// 27.2.2, 29.6]; true if it caused a VM exit.
    bool external_interrupt(VmExitInfo& out);
    /// Execute the guest until its current segment ends or an external
    /// interrupt may have become deliverable; true on a VM exit.
    bool execute_guest(VmExitInfo& out);
    /// Run `remaining` cycles of guest work, returning early when the local
    /// APIC may have a deliverable interrupt; returns the cycles done.
    std::uint64_t run_for(std::uint64_t remaining);
    /// The ISR of `vector` starts (interrupt delivered through the guest IDT).
    void guest_isr_begin(std::uint8_t vector);
    /// The ISR ends: EOI write, then IRET. True on a VM exit.
    bool guest_isr_end(VmExitInfo& out);
    /// Execute the guest program's current operation; true on a VM exit.
    bool guest_op(VmExitInfo& out);
    /// NAPI (workload.h): the hard-IRQ handler's queue disable, one poll
    /// round's take, and the re-arm once the rings are empty.
    void napi_schedule(std::uint8_t vector);
    std::uint64_t napi_poll_take();
    void napi_complete();
    void set_halted(bool h);

    // --- virtual_apic.cpp [SDM 29.1, 29.2] -------------------------------
    std::uint64_t vapic_base() { return field(vmcs::VIRTUAL_APIC_PAGE_ADDR); }
    std::uint32_t vapic_read(std::uint32_t offset);
    void vapic_write(std::uint32_t offset, std::uint32_t value);
    bool vapic_test(std::uint32_t base, std::uint8_t v);
    void vapic_set(std::uint32_t base, std::uint8_t v);
    void vapic_clear(std::uint32_t base, std::uint8_t v);
    /// Highest vector set in the 256-bit register at `base`, or -1.
    int vapic_highest(std::uint32_t base);
    std::uint8_t rvi() { return field(vmcs::GUEST_INTR_STATUS) & 0xFF; }
    std::uint8_t svi() { return (field(vmcs::GUEST_INTR_STATUS) >> 8) & 0xFF; }
    void set_rvi(std::uint8_t v);
    void set_svi(std::uint8_t v);
    /// Emit CpuVapicState if RVI, SVI or VPPR changed since the last record.
    void trace_vapic_state();

    void ppr_virtualization();                      // [SDM 29.1.3]
    void evaluate_pending_virtual_interrupts();     // [SDM 29.2.1]
    void virtual_interrupt_delivery();              // [SDM 29.2.2]
    /// TPR virtualization [SDM 29.1.2]; true on a VM exit (43).
    bool tpr_virtualization(VmExitInfo& out);
    /// EOI virtualization [SDM 29.1.4]; true on a VM exit (45).
    bool eoi_virtualization(VmExitInfo& out);
    void self_ipi_virtualization(std::uint8_t vector);       // [SDM 29.1.5]
    void record_guest_ipi(std::uint32_t offset, std::uint64_t value);  // [SDM 10.6.1]

    // --- apic_write.cpp [SDM 25.1.3, 29.4, 29.5] --------------------------
    /// The guest writes `value` to its APIC register at xAPIC `offset`
    /// (x2APIC: MSR 0x800 + offset/16). True on a VM exit.
    bool guest_apic_write(std::uint32_t offset, std::uint64_t value, VmExitInfo& out);
    /// WRMSR of an x2APIC guest: the MSR bitmap, then x2APIC virtualization.
    bool guest_wrmsr(std::uint32_t msr, std::uint64_t value, VmExitInfo& out);
    bool msr_bitmap_exit_on_write(std::uint32_t msr);
    bool virtualize_x2apic_wrmsr(std::uint32_t msr, std::uint64_t value, VmExitInfo& out);
    bool virtualize_apic_access_write(std::uint32_t offset, std::uint32_t value,
                                      VmExitInfo& out);
    bool apic_write_emulation(std::uint32_t offset, VmExitInfo& out);

    // --- posted_interrupt.cpp [SDM 29.6] ---------------------------------
    /// Steps 3-7 after the notification vector was acknowledged.
    void posted_interrupt_processing();
};

}  // namespace pisim
