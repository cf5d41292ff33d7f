// model/cpu/nonroot.cpp - VMX non-root operation: the guest program, its
// instruction boundaries, external interrupts and the HLT activity state
// [SDM vol. 3C 25.1-25.2, 26.7.5, 29.2.2; docs/design.md, "The guest"].
//
// The guest is a program of operations (workload.h), not code. Its position
// (pc, cycles left in the current op, the ISR in progress, HLT) lives in the
// VMCS's GuestState. Time passes only inside an op or ISR that takes cycles;
// every other point is an instruction boundary, where pending events are taken
// in the SDM's priority order. While guest work runs the core waits for its
// end or for the local APIC's deliverable_event, whichever comes first, and
// keeps the cycles done: one SystemC activation per guest segment or interrupt.
#include "model/cpu/cpu_impl.h"

namespace pisim {

namespace {
// A repeating program must let time pass (or halt), else the guest would
// loop forever at one cycle.
[[maybe_unused]] bool program_makes_progress(const GuestProgram& p) {
    if (!p.repeat || p.ops.empty()) return true;
    for (const GuestOp& op : p.ops) {
        // VMCALL always exits: the exit and the entry back take cycles.
        if (op.kind == GuestOp::Kind::Halt || op.kind == GuestOp::Kind::Vmcall) return true;
        if ((op.kind == GuestOp::Kind::Compute || op.kind == GuestOp::Kind::CliWindow) &&
            op.arg > 0)
            return true;
    }
    return false;
}
}  // namespace

// Guest RFLAGS.IF: 0 inside an ISR (interrupt gate) and inside a started
// CliWindow, else 1 (Compute, Halt = STI;HLT, the boundary before each op).
bool CpuCore::Impl::guest_if() {
    const GuestState& g = guest();
    if (g.in_isr) return false;
    if (g.program != nullptr && g.pc < g.program->ops.size()) {
        const GuestOp& op = g.program->ops[g.pc];
        if (op.kind == GuestOp::Kind::CliWindow && g.op_remaining > 0) return false;
    }
    return true;
}

void CpuCore::Impl::run_guest(VmExitInfo& out) {
    assert(program_makes_progress(*guest().program) &&
           "a repeating guest program needs an op that takes cycles or halts");
    for (;;) {
        if (instruction_boundary(out)) return;
        if (execute_guest(out)) return;
    }
}

// Events at an instruction boundary, highest priority first [SDM 6.9;
// 25.2; 26.7.5; 29.2.2]:
//  1. with RFLAGS.IF=1: an interrupt-window VM exit (7) if that control is 1,
//     else delivery of a recognized virtual interrupt (same priority; they
//     exclude each other because recognition needs interrupt-window exiting 0);
//  2. an external interrupt the local APIC can deliver, with external-
//     interrupt exiting regardless of RFLAGS.IF [SDM 25.2].
// Without external-interrupt exiting a physical interrupt would go through
// the guest IDT; the model leaves it pending (VID and posted interrupts
// require external-interrupt exiting).
// Events that do not exit (delivery, posted-interrupt processing) are
// followed by another look at the same boundary.
bool CpuCore::Impl::instruction_boundary(VmExitInfo& out) {
    for (;;) {
        if (guest_if()) {
            if (proc(vmcs::CPU_INTR_WINDOW_EXITING)) {
                vm_exit(vmcs::EXIT_INTERRUPT_WINDOW, 0, 0, out);
                return true;
            }
            if (virq_recognized) {
                virtual_interrupt_delivery();
                continue;
            }
        }
        if (pin(vmcs::PIN_EXT_INTR_EXITING) && lapic.deliverable_vector() >= 0) {
            if (external_interrupt(out)) return true;
            continue;
        }
        return false;
    }
}

// An external interrupt with external-interrupt exiting [SDM 25.2, 27.2.2, 29.6]:
//  - with "acknowledge interrupt on exit" (required by "process posted
//    interrupts"), the local APIC is acknowledged (posted-interrupt processing
//    step 1); if posted interrupts are processed and the vector is the
//    notification vector (step 2), posted-interrupt processing continues
//    with no VM exit; else VM exit 1 with interruption information
//    valid | external interrupt | vector;
//  - without it, VM exit 1 and the interrupt stays pending in the local APIC.
bool CpuCore::Impl::external_interrupt(VmExitInfo& out) {
    if (exit_ctl(vmcs::EXIT_ACK_INTR_ON_EXIT)) {
        const std::uint8_t vector = lapic.acknowledge();
        if (pin(vmcs::PIN_POSTED_INTR) && vector == (field(vmcs::POSTED_INTR_NV) & 0xFF)) {
            posted_interrupt_processing();
            return false;
        }
        vm_exit(vmcs::EXIT_EXTERNAL_INTERRUPT, 0,
                vmcs::INTR_INFO_VALID | vmcs::INTR_TYPE_EXT_INTR | vector, out);
        return true;
    }
    vm_exit(vmcs::EXIT_EXTERNAL_INTERRUPT, 0, 0, out);
    return true;
}

// Advance the guest by one segment: the HLT state until the local APIC may
// have something, the rest of the ISR, or the current op.
bool CpuCore::Impl::execute_guest(VmExitInfo& out) {
    GuestState& g = guest();
    if (g.halted) {
        sc_core::wait(lapic.deliverable_event());
        return false;
    }
    if (g.in_isr) {
        g.isr_remaining -= run_for(g.isr_remaining);
        if (g.isr_remaining == 0) return guest_isr_end(out);
        return false;
    }
    return guest_op(out);
}

std::uint64_t CpuCore::Impl::run_for(std::uint64_t remaining) {
    if (remaining == 0) return 0;
    const cycles_t start = now_cycles();
    const bool cut = guest_if() && !guest().halt_requested;  // a block request can cut it
    if (pin(vmcs::PIN_EXT_INTR_EXITING) && cut)
        sc_core::wait(cycles(remaining), lapic.deliverable_event() | guest_request);
    else if (pin(vmcs::PIN_EXT_INTR_EXITING))
        sc_core::wait(cycles(remaining), lapic.deliverable_event());
    else if (cut)
        sc_core::wait(cycles(remaining), guest_request);
    else
        sc_core::wait(cycles(remaining));
    const cycles_t done = now_cycles() - start;
    assert(done <= remaining);
    return done;
}

// An interrupt (virtual, or injected) is delivered through the guest IDT:
// its ISR runs with IF=0 for isr_cost_for(vector) cycles.
void CpuCore::Impl::guest_isr_begin(std::uint8_t vector) {
    GuestState& g = guest();
    assert(!g.in_isr);
    g.in_isr = true;
    g.isr_vector = vector;
    g.isr_remaining = g.program->isr_cost_for(vector);
    emit(EventKind::GuestIsrBegin, g.vcpu, vector);
    napi_schedule(vector);
}

// NAPI's hard-IRQ half [Linux napi_schedule]: a NAPI driver's ISR for a
// receive queue's vector disables that queue's interrupt; the poll
// (NapiPoll) takes over until the ring is empty.
void CpuCore::Impl::napi_schedule(std::uint8_t vector) {
    const GuestProgram& p = *guest().program;
    if (p.napi_queues.empty() || !p.uses_napi()) return;
    for (const NapiQueue& q : p.napi_queues)
        if (q.vector == vector && q.device < std::size_t(core.rx.size()))
            core.rx[q.device]->rx_irq_enable(q.queue, false);
}

// One poll round [Linux net_rx_action -> napi_poll]: take up to the budget
// from the vCPU's rings, in napi_queues order.
std::uint64_t CpuCore::Impl::napi_poll_take() {
    const GuestProgram& p = *guest().program;
    std::uint64_t taken = 0;
    for (const NapiQueue& q : p.napi_queues) {
        if (q.device >= std::size_t(core.rx.size()) || taken >= p.napi_budget) continue;
        taken += core.rx[q.device]->rx_take(q.queue, p.napi_budget - taken);
    }
    return taken;
}

// The rings are empty [Linux napi_complete_done]: re-arm every queue's
// interrupt (a packet that arrived since the last round raises it at once).
void CpuCore::Impl::napi_complete() {
    const GuestProgram& p = *guest().program;
    for (const NapiQueue& q : p.napi_queues)
        if (q.device < std::size_t(core.rx.size())) core.rx[q.device]->rx_irq_enable(q.queue, true);
}

// The ISR ends with an EOI write and IRET. The EOI write is routed by the
// controls (apic_write.cpp): EOI virtualization with VID, an APIC-access exit
// (44, qualification 0x0B0 | linear write) for an xAPIC guest without VID, a
// WRMSR exit (32, ECX 80BH, EDX:EAX 0) for an x2APIC guest whose MSR bitmap
// intercepts the EOI MSR. IRET takes no
// modeled cycles, so IF is 1 again right after the write.
bool CpuCore::Impl::guest_isr_end(VmExitInfo& out) {
    GuestState& g = guest();
    emit(EventKind::GuestIsrEnd, g.vcpu, g.isr_vector);
    g.in_isr = false;
    return guest_apic_write(vmcs::VAPIC_VEOI, 0, out);
}

void CpuCore::Impl::set_halted(bool h) {
    GuestState& g = guest();
    g.halted = h;
    if (h) emit(EventKind::GuestHalt, g.vcpu);
    emit(EventKind::CpuMode, index, h ? 2 : 1, g.vcpu);
}

// Execute the current op of the guest program [workload.h]. Ops that take
// cycles resume where they were interrupted; instantaneous ops (HLT, APIC
// writes) advance pc before a VM exit they cause, because the exit is either
// trap-like or the hypervisor emulates the instruction and resumes after it.
// At the end of a non-repeating program the guest idles in STI;HLT.
bool CpuCore::Impl::guest_op(VmExitInfo& out) {
    GuestState& g = guest();
    const GuestProgram& p = *g.program;
    if (g.pc >= p.ops.size()) {
        if (p.repeat && !p.ops.empty()) {
            g.pc = 0;
        } else {
            if (proc(vmcs::CPU_HLT_EXITING)) {
                vm_exit(vmcs::EXIT_HLT, 0, 0, out);
                return true;
            }
            set_halted(true);
            return false;
        }
    }
    if (g.halt_requested && guest_if()) {
        // A `block` event: STI;HLT here, then the interrupted op resumes
        // (pc and op_remaining stay). HLT [SDM 25.1.3] as in the Halt op.
        g.halt_requested = false;
        emit(EventKind::GuestOp, g.vcpu, static_cast<std::uint64_t>(GuestOp::Kind::Halt), 1);
        if (proc(vmcs::CPU_HLT_EXITING)) {
            vm_exit(vmcs::EXIT_HLT, 0, 0, out);
            return true;
        }
        set_halted(true);
        return false;
    }
    const GuestOp& op = p.ops[g.pc];
    const bool x2apic = g.x2apic;
    switch (op.kind) {
        case GuestOp::Kind::NapiPoll:
            // Poll rounds: each takes what waits in the rings (up to the
            // budget) and costs `arg` cycles per packet; an empty round
            // completes the poll and re-arms the queues' interrupts.
            if (g.op_remaining == 0) {
                const std::uint64_t packets = napi_poll_take();
                emit(EventKind::GuestOp, g.vcpu, static_cast<std::uint64_t>(op.kind), op.arg,
                     packets);
                if (packets == 0) {
                    napi_complete();
                    ++g.pc;
                    return false;
                }
                g.op_remaining = packets * op.arg;
                if (g.op_remaining == 0) return false;  // free round: read again
            }
            g.op_remaining -= run_for(g.op_remaining);
            return false;  // the next round re-reads the rings

        case GuestOp::Kind::Compute:
        case GuestOp::Kind::CliWindow:
            if (g.op_remaining == 0) {
                emit(EventKind::GuestOp, g.vcpu, static_cast<std::uint64_t>(op.kind), op.arg);
                if (op.arg == 0) {
                    ++g.pc;
                    return false;
                }
                g.op_remaining = op.arg;
            }
            g.op_remaining -= run_for(g.op_remaining);
            if (g.op_remaining == 0) ++g.pc;
            return false;

        case GuestOp::Kind::Halt:
            // HLT [SDM 25.1.3]: with HLT exiting a VM exit (12), else the
            // HLT activity state until an interrupt wakes it.
            emit(EventKind::GuestOp, g.vcpu, static_cast<std::uint64_t>(op.kind), op.arg);
            ++g.pc;
            if (proc(vmcs::CPU_HLT_EXITING)) {
                vm_exit(vmcs::EXIT_HLT, 0, 0, out);
                return true;
            }
            set_halted(true);
            return false;

        case GuestOp::Kind::Vmcall:
            // VMCALL in VMX non-root operation causes a VM exit (18)
            // unconditionally [SDM 25.1.2]. The exit is fault-like; the
            // hypervisor answers the hypercall and advances RIP past it,
            // which the model does before the exit (pc).
            emit(EventKind::GuestOp, g.vcpu, static_cast<std::uint64_t>(op.kind), op.arg);
            ++g.pc;
            vm_exit(vmcs::EXIT_VMCALL, 0, 0, out);
            return true;

        case GuestOp::Kind::Tpr:
            // MOV to TPR: xAPIC offset 080H / x2APIC MSR 808H.
            emit(EventKind::GuestOp, g.vcpu, static_cast<std::uint64_t>(op.kind), op.arg);
            ++g.pc;
            return guest_apic_write(vmcs::VAPIC_VTPR, op.arg & 0xFF, out);

        case GuestOp::Kind::SelfIpi:
            // x2APIC: SELF IPI MSR 83FH; xAPIC: ICR low with the self shorthand.
            emit(EventKind::GuestOp, g.vcpu, static_cast<std::uint64_t>(op.kind), op.arg);
            ++g.pc;
            if (x2apic) return guest_apic_write(vmcs::APIC_SELF_IPI_OFFSET, op.arg & 0xFF, out);
            return guest_apic_write(vmcs::VAPIC_VICR_LO,
                                    vmcs::ICR_SHORTHAND_SELF | (op.arg & 0xFF), out);

        case GuestOp::Kind::Ipi:
            // Fixed, physical, edge IPI of vector arg to guest APIC ID arg2.
            // x2APIC: one WRMSR to ICR 830H (destination in bits 63:32).
            // xAPIC: ICR high (destination in bits 31:24), then ICR low.
            if (x2apic) {
                emit(EventKind::GuestOp, g.vcpu, static_cast<std::uint64_t>(op.kind), op.arg);
                ++g.pc;
                return guest_apic_write(vmcs::VAPIC_VICR_LO,
                                        (op.arg2 << 32) | (op.arg & 0xFF), out);
            }
            if (g.op_phase == 0) {
                emit(EventKind::GuestOp, g.vcpu, static_cast<std::uint64_t>(op.kind), op.arg);
                g.op_phase = 1;
                return guest_apic_write(vmcs::VAPIC_VICR_HI,
                                        static_cast<std::uint32_t>(op.arg2 << 24), out);
            }
            g.op_phase = 0;
            ++g.pc;
            return guest_apic_write(vmcs::VAPIC_VICR_LO, op.arg & 0xFF, out);
    }
    assert(false && "unknown guest op");
    return false;
}

}  // namespace pisim
