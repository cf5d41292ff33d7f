// platform/port.cpp - the port (hyp/include/hyp/arch.h) implemented on the
// SystemC models: the hypervisor core's only way to touch the machine.
//
// Timing (docs/design.md, "Time"): hyp code runs on its pCPU's
// SystemC thread ahead of the kernel (temporal decoupling). Every basic block
// adds the profile's cost to the pCPU's local time. The pCPU synchronizes
// (wait) before every call that touches state shared with another agent
// (machine memory, devices, the local APIC, and the core's own atomics,
// arch_shared_point) once its local time has reached the kernel's next
// pending event, so every shared access happens at its exact cycle; and at a
// basic block only once its local time reaches its interrupt horizon, the
// earliest cycle an interrupt can reach its local APIC (refresh_horizons).
// So an interrupt is taken at the first basic-block boundary after it
// arrives, as on hardware, without the pCPUs in the hypervisor waiting for
// each other at every basic block.
#include <hyp/arch.h>
#include <hyp/hyp.h>
#include <hyp/trace.h>

#include <algorithm>
#include <cassert>
#include <string>
#include <type_traits>
#include <utility>

#include "model/common/cycles.h"
#include "platform/machine.h"
#include "platform/run_limits.h"

using pisim::Machine;
using pisim::PortCpu;

namespace {

/// Thrown by arch_assert_fail to unwind the failing pCPU's hyp frames (hyp is
/// compiled with -fexceptions for this).
struct HypAssertion {};

inline Machine& M() { return *Machine::instance(); }

inline std::uint64_t horizon_now() {
    return pisim::to_cycles(sc_core::sc_time_to_pending_activity());
}

void take_pending_interrupts(PortCpu& c);

/// Suspend pCPU `c`'s thread in the kernel (sc_core::wait with `args`). While
/// it waits other agents run and no pCPU is current (Machine::current), so
/// hypervisor code another agent calls runs untimed, as at boot.
template <typename... Args>
void wait_as(PortCpu& c, const Args&... args) {
    M().current = nullptr;
    sc_core::wait(args...);
    M().current = &c;
}

/// Recompute pCPU `c`'s horizons (local times, as PortCpu::local) from the
/// kernel's state; called after every wait and every shared access.
///  - horizon: the kernel's next pending activity, of any agent. Before it no
///    other agent acts, so memory is the same at the kernel's time and at the
///    pCPU's.
///  - irq_horizon (the interrupt horizon): the earliest cycle an interrupt can
///    reach this pCPU's local APIC. An interrupt already on its way, or from a
///    source without bus latency, is known (Machine::local_interrupt_due);
///    any other starts as some agent's action at or after `horizon` and
///    crosses the APIC bus, at least Machine::interrupt_lookahead() cycles.
///    Root-mode code runs up to it without a wait: an interrupt is still
///    taken at the first basic-block boundary after it arrives, and pCPUs in
///    the hypervisor at the same time do not advance one basic block at a
///    time behind each other. (Hypervisor memory they share is ordered by the
///    synchronization points of hyp_atomic.h, as machine memory is by
///    shared().) EventHub::emit checks that no interrupt reaches a local APIC
///    before its pCPU's bound while the pCPU waits.
void refresh_horizons(PortCpu& c) {
    constexpr std::uint64_t kNever = ~0ull;
    c.horizon = horizon_now();
    const std::uint64_t now = pisim::now_cycles();
    const std::uint64_t lookahead = M().interrupt_lookahead();
    std::uint64_t h = c.horizon > kNever - lookahead ? kNever : c.horizon + lookahead;
    const std::uint64_t due = M().local_interrupt_due(c.index);
    if (due != kNever) h = std::min(h, due > now ? due - now : 0);
    // Every known source is itself a pending activity of the kernel.
    assert(h >= c.horizon);
    // An interrupt the pCPU's own EOI or TPR write has just released (IF=1)
    // is taken at the next basic-block boundary.
    if (c.if_flag && c.lapic->deliverable_vector() >= 0) h = 0;
    c.irq_horizon = h;
    c.interrupt_bound = h > kNever - now ? kNever : now + h;
}

/// Bring the kernel up to this pCPU's local time, then take any interrupt
/// that became deliverable meanwhile (root-mode IF permitting).
void sync(PortCpu& c, bool allow_irq = true) {
    if (c.local != 0) {
        const std::uint64_t l = c.local;
        c.local = 0;
        c.in_root_wait = true;
        wait_as(c, pisim::cycles(l));
        c.in_root_wait = false;
    }
    refresh_horizons(c);
    if (allow_irq) take_pending_interrupts(c);
}

/// Charge `n` cycles of root-mode execution to this pCPU.
inline void charge(PortCpu& c, std::uint64_t n) {
    assert(c.local + n >= c.local && c.hyp_cycles + n >= c.hyp_cycles && "cycle sum overflows");
    c.local += n;
    c.hyp_cycles += n;
}

/// External interrupt in root mode [SDM 6.8.1]: with IF=1, the local APIC's
/// deliverable vector is acknowledged and the IDT entry (hyp_do_irq) runs with
/// IF=0; IRET restores IF=1.
void take_pending_interrupts(PortCpu& c) {
    while (c.if_flag && c.lapic->deliverable_vector() >= 0) {
        const std::uint8_t v = c.lapic->acknowledge();
        c.if_flag = false;
        ++c.irq_depth;
        // An interrupt taken inside report-only code (an assertion's check
        // synchronizes at its atomic load) is not report-only: its handler
        // costs what it executes.
        const std::uint32_t report_depth = c.report_depth;
        c.report_depth = 0;
        charge(c, M().timing.irq_entry);
        M().hyp->do_irq(v);
        assert(c.report_depth == 0 && "a handler returns with its report regions closed");
        c.report_depth = report_depth;
        --c.irq_depth;
        c.if_flag = true;
    }
}

inline PortCpu* cur() { return M().current; }

/// A perturbation of the scenario (Perturbation, agent pcpu) due at this
/// shared access: the pCPU is held its delay before the access. Each applies
/// once, at the first shared access at or after its cycle.
inline void perturb_if_due(PortCpu& c) {
    if (c.perturb_at == ~0ull || pisim::now_cycles() + c.local < c.perturb_at) return;
    std::uint64_t hold = 0;
    const std::uint64_t now = pisim::now_cycles() + c.local;
    while (c.perturb_next < c.perturb.size() && c.perturb[c.perturb_next].first <= now)
        hold += c.perturb[c.perturb_next++].second;
    c.perturb_at = c.perturb_next < c.perturb.size() ? c.perturb[c.perturb_next].first : ~0ull;
    charge(c, hold);
}

/// True when pCPU `c` may touch machine memory at its own time without a
/// wait: its local time is below the kernel's next pending event, so no other
/// agent acts between the kernel's time and the pCPU's (memory is the same at
/// both), and no interrupt waits to be taken (root-mode IF=1 with a
/// deliverable vector: sync takes it first). A memory access notifies no
/// SystemC event (watches only record trace events, stamped with the pCPU's
/// own time, Machine::cycle_now), so it creates no activity either.
inline bool memory_at_own_time(const PortCpu& c) {
    return c.local < c.horizon && !(c.if_flag && c.lapic->deliverable_vector() >= 0);
}

/// Shared-state access: synchronize, then act at the exact cycle, then charge.
/// kMemory: `f` only touches machine memory, and the wait is skipped when
/// memory_at_own_time(); the access happens at the same cycle either way,
/// what is saved is a SystemC context switch. A memory access schedules
/// nothing, so it leaves the horizons as they are; any other `f` (a local
/// APIC or device access) may, and they are recomputed after it.
template <bool kMemory = false, typename F>
auto shared(std::uint64_t cost, F&& f) {
    PortCpu* c = cur();
    if (c) perturb_if_due(*c);
    if (c && !(kMemory && memory_at_own_time(*c))) sync(*c);
    M().mem.set_agent(pisim::PhysMem::Agent::Software);
    const auto after = [c, cost] {
        if (!c) return;
        if constexpr (!kMemory) refresh_horizons(*c);
        charge(*c, cost);
    };
    if constexpr (std::is_void_v<decltype(f())>) {
        f();
        after();
    } else {
        auto r = f();
        after();
        return r;
    }
}

/// Machine-memory access (arch_mem_*) at `pa` of kind `k`: shared<true>,
/// plus what the line's coherence state costs this pCPU
/// (model/common/coherence.h), taken at the access's cycle.
template <typename F>
auto shared_memory(std::uint64_t cost, std::uint64_t pa, pisim::Coherence::Kind k, F&& f) {
    PortCpu* c = cur();
    std::uint64_t line_cost = 0;
    const auto coherent = [&] {
        if (c && !c->report_depth)
            line_cost = M().coherence->access(static_cast<pisim::Coherence::Agent>(c->index),
                                              pisim::Coherence::machine_line(pa), k);
    };
    if constexpr (std::is_void_v<decltype(f())>) {
        shared<true>(cost, [&] { coherent(); f(); });
        if (c) charge(*c, line_cost);
    } else {
        auto r = shared<true>(cost, [&] { coherent(); return f(); });
        if (c) charge(*c, line_cost);
        return r;
    }
}

/// Coherence of hypervisor data at `addr` (arch_shared_point).
inline std::uint64_t host_line_cost(PortCpu& c, const volatile void* addr, std::uint32_t access) {
    if (c.report_depth || !addr) return 0;
    const pisim::Coherence::Kind k = access == HYP_SHARED_READ    ? pisim::Coherence::Kind::Read
                                     : access == HYP_SHARED_WRITE ? pisim::Coherence::Kind::Write
                                                                  : pisim::Coherence::Kind::Rmw;
    return M().coherence->access(static_cast<pisim::Coherence::Agent>(c.index),
                                 pisim::Coherence::host_line(reinterpret_cast<std::uintptr_t>(addr)), k);
}

}  // namespace

extern "C" {

void __sanitizer_cov_trace_pc(void) {
    Machine* m = Machine::instance();
    if (!m) return;
    // --max-wall has passed: a pCPU that never goes back to the kernel (a
    // core spinning in a loop) stops here (platform/run_limits.h).
    if (pisim::wall_expired()) m->stop_for_wall();
    PortCpu* c = m->current;
    if (!c) return;  // boot context: hyp_init and creation run untimed at cycle 0
    ++c->basic_blocks;
    const auto ret = reinterpret_cast<std::uintptr_t>(__builtin_return_address(0));
    std::uint64_t cost = m->timing.basic_block;
    if (m->pricer) {
        const pisim::BlockPrice& p = m->pricer->price(ret);
        cost = c->report_depth ? p.cycles_in_report : p.cycles;
    } else if (c->report_depth) {
        cost = 0;
    }
    charge(*c, cost);
    if (m->hub().profile.attribute) m->hub().profile.bb_cycles[ret] += cost;
    // Only an interrupt can need this pCPU to stop between its shared
    // accesses, which synchronize themselves. (With IF=0 none is taken, but
    // stopping as well keeps the look-ahead, and so the trace's reorder
    // buffer, bounded.)
    if (c->local >= c->irq_horizon) sync(*c);
}

void arch_report_begin(void) {
    if (PortCpu* c = cur()) ++c->report_depth;
}

void arch_report_end(void) {
    if (PortCpu* c = cur()) {
        assert(c->report_depth > 0 && "arch_report_end without arch_report_begin");
        --c->report_depth;
    }
}

void arch_shared_point(const volatile void* addr, uint32_t access) {
    PortCpu* c = cur();
    if (c) perturb_if_due(*c);
    if (c && !memory_at_own_time(*c)) sync(*c);
    if (c) charge(*c, host_line_cost(*c, addr, access));
}

uint32_t arch_cpu_id(void) {
    PortCpu* c = cur();
    return c ? c->index : 0;
}

uint64_t arch_now(void) {
    PortCpu* c = cur();
    return pisim::now_cycles() + (c ? c->local : 0);
}

void arch_irq_disable(void) {
    if (PortCpu* c = cur()) c->if_flag = false;
}

void arch_irq_enable(void) {
    PortCpu* c = cur();
    if (!c) return;
    c->if_flag = true;
    // STI with an interrupt pending: it is taken at this pCPU's own time, so
    // the kernel must catch up first.
    if (c->lapic->deliverable_vector() >= 0) sync(*c);
}

bool arch_irqs_enabled(void) {
    PortCpu* c = cur();
    return c && c->if_flag;
}

void arch_halt(void) {
    PortCpu* c = cur();
    assert(c && "arch_halt outside a pCPU");
    c->if_flag = true;
    sync(*c, false);
    if (c->lapic->deliverable_vector() < 0) {
        M().hub().emit({pisim::now_cycles(), pisim::EventKind::CpuMode, c->index, 0, 3, 0});
        while (c->lapic->deliverable_vector() < 0) wait_as(*c, c->lapic->deliverable_event());
        charge(*c, M().cpu_timing.hlt_wakeup);
        sync(*c, false);
        M().hub().emit({pisim::now_cycles(), pisim::EventKind::CpuMode, c->index, 0, 0, 0});
    }
    take_pending_interrupts(*c);
}

void arch_apic_eoi(void) {
    shared(M().timing.apic_access, [] { cur()->lapic->eoi(); });
}

void arch_apic_send_ipi(uint32_t dest_apic_id, uint8_t vector) {
    shared(M().timing.apic_access, [&] { cur()->lapic->send_ipi(dest_apic_id, vector); });
}

void arch_apic_set_timer(uint64_t deadline, uint8_t vector) {
    shared(M().timing.apic_access, [&] { cur()->lapic->set_tsc_deadline(deadline, vector); });
}

uint32_t arch_apic_id(uint32_t cpu) {
    assert(cpu < M().apic_ids.size());
    return M().apic_ids[cpu];
}

void arch_apic_set_tpr(uint8_t tpr) {
    shared(M().timing.apic_access, [&] { cur()->lapic->set_tpr(tpr); });
}

uint32_t arch_mem_read32(uint64_t pa) {
    return shared_memory(M().timing.mem_access, pa, pisim::Coherence::Kind::Read, [&] { return M().mem.read32(pa); });
}

void arch_mem_write32(uint64_t pa, uint32_t value) {
    shared_memory(M().timing.mem_access, pa, pisim::Coherence::Kind::Write, [&] { M().mem.write32(pa, value); });
}

uint64_t arch_mem_read64(uint64_t pa) {
    return shared_memory(M().timing.mem_access, pa, pisim::Coherence::Kind::Read, [&] { return M().mem.read64(pa); });
}

void arch_mem_write64(uint64_t pa, uint64_t value) {
    shared_memory(M().timing.mem_access, pa, pisim::Coherence::Kind::Write, [&] { M().mem.write64(pa, value); });
}

bool arch_mem_cmpxchg64(uint64_t pa, uint64_t* expected, uint64_t desired) {
    return shared_memory(M().timing.mem_atomic, pa, pisim::Coherence::Kind::Rmw, [&] {
        const std::uint64_t old = M().mem.read64(pa);
        if (old != *expected) {
            *expected = old;
            return false;
        }
        M().mem.write64(pa, desired);
        return true;
    });
}

bool arch_mem_cmpxchg128(uint64_t pa, uint64_t expected[2], const uint64_t desired[2]) {
    assert(pa % 16 == 0 && "CMPXCHG16B needs a 16-byte aligned operand");
    return shared_memory(M().timing.mem_atomic16, pa, pisim::Coherence::Kind::Rmw, [&] {
        std::uint64_t old[2];
        M().mem.read(pa, old, 16);
        if (old[0] != expected[0] || old[1] != expected[1]) {
            expected[0] = old[0];
            expected[1] = old[1];
            return false;
        }
        M().mem.write(pa, desired, 16);
        return true;
    });
}

uint64_t arch_mem_xchg64(uint64_t pa, uint64_t value) {
    return shared_memory(M().timing.mem_atomic, pa, pisim::Coherence::Kind::Rmw, [&] {
        const std::uint64_t old = M().mem.read64(pa);
        M().mem.write64(pa, value);
        return old;
    });
}

uint64_t arch_mem_fetch_or64(uint64_t pa, uint64_t bits) {
    return shared_memory(M().timing.mem_atomic, pa, pisim::Coherence::Kind::Rmw, [&] {
        const std::uint64_t old = M().mem.read64(pa);
        if ((old | bits) != old) M().mem.write64(pa, old | bits);
        return old;
    });
}

uint64_t arch_mem_fetch_and64(uint64_t pa, uint64_t mask) {
    return shared_memory(M().timing.mem_atomic, pa, pisim::Coherence::Kind::Rmw, [&] {
        const std::uint64_t old = M().mem.read64(pa);
        if ((old & mask) != old) M().mem.write64(pa, old & mask);
        return old;
    });
}

/// VMX instructions touch only this pCPU's current VMCS: no synchronization.
static pisim::CpuCore& core_for_vmx() {
    PortCpu* c = cur();
    return c ? *c->core : *M().pcpus.at(0).core;  // boot context: the boot processor
}

/// cpu.vmcs at the instruction's cycle (the pCPU's local time): which vCPU's
/// VMCS became current on this pCPU (VMPTRLD) or was cleared (VMCLEAR).
static void record_vmcs(std::uint64_t op, uint64_t vmcs_pa) {
    const pisim::Vmcs* v = M().vmcs.find(vmcs_pa);
    PortCpu* c = cur();
    M().hub().emit({M().cycle_now(), pisim::EventKind::CpuVmcs, c ? c->index : 0, 0, op,
                    v ? v->guest.vcpu : ~0ull});
}

void arch_vmcs_clear(uint64_t vmcs_pa) {
    if (PortCpu* c = cur()) charge(*c, M().cpu_timing.vmclear);
    core_for_vmx().vmclear(vmcs_pa);
    record_vmcs(1, vmcs_pa);
}

void arch_vmcs_load(uint64_t vmcs_pa) {
    if (PortCpu* c = cur()) charge(*c, M().cpu_timing.vmptrld);
    core_for_vmx().vmptrld(vmcs_pa);
    record_vmcs(0, vmcs_pa);
}

uint64_t arch_vmcs_read(uint32_t field) {
    if (PortCpu* c = cur()) charge(*c, M().cpu_timing.vmread);
    return core_for_vmx().vmread(field);
}

void arch_vmcs_write(uint32_t field, uint64_t value) {
    if (PortCpu* c = cur()) charge(*c, M().cpu_timing.vmwrite);
    core_for_vmx().vmwrite(field, value);
}

bool arch_vm_enter(struct arch_vm_exit* exit) {
    PortCpu* c = cur();
    assert(c && "VM entry outside a pCPU");
    sync(*c, false);
    pisim::VmExitInfo info;
    // The guest runs on this thread, waiting in the CPU model: as in
    // wait_as, no pCPU is current meanwhile.
    M().current = nullptr;
    const bool ok = c->core->vm_enter(info);
    M().current = c;
    c->local = 0;
    refresh_horizons(*c);
    c->if_flag = false;
    exit->reason = info.reason;
    exit->qualification = info.qualification;
    exit->intr_info = info.intr_info;
    exit->entry_error = info.entry_error;
    exit->rax = info.rax;
    exit->rcx = info.rcx;
    exit->rdx = info.rdx;
    return ok;
}

void arch_iq_submit(const uint64_t desc[2]) {
    shared(M().timing.iq_submit, [&] {
        pisim::VtdUnit& v = *M().vtd_unit();
        const std::uint64_t iqa = v.read_reg(pisim::vtd_reg::IQA);
        const std::uint64_t base = iqa & ~0xFFFull;
        const std::uint64_t entries = 256ull << (iqa & 7);  // QS: 2^QS pages of 256 descriptors
        const std::uint64_t tail = v.read_reg(pisim::vtd_reg::IQT) >> 4;
        M().mem.write(base + tail * 16, desc, 16);
        v.write_reg(pisim::vtd_reg::IQT, ((tail + 1) % entries) << 4);
    });
}

void arch_iq_wait_status(uint64_t status_pa, uint32_t value) {
    for (;;) {
        const std::uint32_t s = arch_mem_read32(status_pa);
        if (s == value) return;
        if (PortCpu* c = cur()) {
            charge(*c, M().timing.mem_access);  // PAUSE in the spin loop
            sync(*c);
        } else {
            // Boot context cannot wait: nothing else runs before time 0 ends.
            M().hyp_assert_failed("arch_iq_wait_status in boot context never completes");
            throw HypAssertion{};
        }
    }
}

bool arch_ctl_fetch(struct hyp_ctl* out) {
    PortCpu* c = cur();
    if (!c || c->ctl_queue.empty()) return false;
    *out = c->ctl_queue.front();
    c->ctl_queue.pop_front();
    return true;
}

void arch_ctl_done(uint32_t seq, int32_t result) {
    PortCpu* c = cur();
    if (c) sync(*c);
    M().ctl_done(seq, result);
    if (c) refresh_horizons(*c);
}

void arch_trace(uint32_t kind, uint64_t a, uint64_t b, uint64_t c, uint64_t d) {
    Machine* m = Machine::instance();
    PortCpu* p = m->current;
    pisim::Event e;
    e.cycle = pisim::now_cycles() + (p ? p->local : 0);
    e.unit = p ? p->index : 0;
    e.a = a, e.b = b, e.c = c, e.d = d;
    using K = pisim::EventKind;
    switch (kind) {
        case 1: e.kind = K::HypHandlerEnter; break;
        case 2: e.kind = K::HypHandlerExit; break;
        case 3: e.kind = K::HypSchedule; break;
        case 4: e.kind = K::HypVcpuState; e.unit = static_cast<std::uint32_t>(a); e.a = b; e.b = c; e.c = p ? p->index : 0; break;
        case 5: e.kind = K::HypBlocklistAdd; break;
        case 6: e.kind = K::HypBlocklistDel; break;
        case 7: e.kind = K::HypVmEntry; break;
        case 8: e.kind = K::HypVirqPend; break;
        case 9: e.kind = K::HypMigrate; break;
        case 10: e.kind = K::HypIpi; break;
        case 11: e.kind = K::HypSoftirq; break;
        case 12: e.kind = K::HypIrteWrite; break;
        case 13: e.kind = K::HypCtl; break;
        case 14: e.kind = K::HypVipi; break;
        case 15: e.kind = K::HypPercpuVirq; break;
        case 16:  // only the blocking-list locks' releases are recorded
            if (a != HYP_LOCK_BLOCKING_LIST) return;
            e.kind = K::HypLockRelease;
            break;
        default:
            m->hyp_assert_failed("arch_trace with unknown kind " + std::to_string(kind));
            return;
    }
    m->hub().emit(e);
}

void arch_assert_fail(const char* expr, const char* file, int line) {
    M().hyp_assert_failed(std::string("hyp assertion failed: ") + expr + " at " + file + ":" +
                          std::to_string(line));
    throw HypAssertion{};
}

}  // extern "C"

namespace pisim {
/// Body of pCPU `cpu`'s thread: the hypervisor's scheduler loop. A failed hyp
/// assertion ends this pCPU's software and the run.
void run_pcpu_software(Machine& m, std::uint32_t cpu) {
    m.current = &m.pcpus[cpu];
    try {
        m.hyp->pcpu_main(cpu);
    } catch (const HypAssertion&) {
        sc_core::sc_stop();
    }
    m.current = nullptr;
}
}  // namespace pisim
