// model/lapic/percpu_timer.h - a per-pCPU interrupt source: one timer per
// physical CPU whose interrupt goes only to that CPU's local APIC, the x86
// analogue of an ARM per-core private peripheral interrupt (PPI) such as the
// generic timer [xen-devel, "Using IRQ_GUEST|IRQ_PER_CPU to signal
// "delivery to current vcpu"?"]. The hypervisor delivers it to whichever
// vCPU is resident on the pCPU (hyp/src/percpu_virq.c).
//
// On each expiry the timer first sets bit 0 of its status word in machine
// memory (the source's pending state, which software reads and clears with
// an atomic exchange, as a context switch saves a per-CPU interrupt's
// pending state), then raises its vector at its local APIC as a fixed,
// edge-triggered interrupt (no bus latency: a local source, like the LVT
// timer). Time is in core cycles.
#pragma once

#include <cstdint>
#include <systemc>

#include "model/common/messages.h"
#include "model/common/phys_mem.h"
#include "model/common/trace.h"

namespace pisim {

struct PerCpuTimerConfig {
    std::uint32_t pcpu = 0;       ///< trace unit
    std::uint32_t apic_id = 0;    ///< its local APIC (message destination)
    std::uint8_t vector = 0;      ///< host vector, 16..255
    std::uint64_t status_pa = 0;  ///< 8-byte aligned status word in machine memory
    std::uint64_t start = 0;      ///< first periodic expiry (cycle); with period 0 none
    std::uint64_t period = 0;     ///< cycles between expiries, 0 = not periodic
    std::uint64_t count = ~0ull;  ///< at most this many periodic expiries
};

/// Events: PercpuTimerFire(unit pcpu; vector, expiry number from 1), then the
/// local APIC's ApicAccept.
class PerCpuTimer : public sc_core::sc_module {
public:
    /// The local APIC of its pCPU.
    sc_core::sc_port<ApicMessageIf> irq;

    /// Throws std::invalid_argument for a vector below 16 or a status word
    /// that is not 8-byte aligned RAM.
    PerCpuTimer(sc_core::sc_module_name name, const PerCpuTimerConfig& cfg, PhysMem& mem,
                EventSink& sink);

    /// One expiry now (a scenario's timed firing), besides the periodic ones.
    void fire();
    /// Expiries so far.
    std::uint64_t fired() const { return fired_; }
    /// Cycle of the next periodic expiry, UINT64_MAX when none is due (a
    /// scenario's fire() is not included: its caller knows when it calls).
    std::uint64_t next_expiry() const { return next_at_; }

private:
    void periodic();  // SC_METHOD on next_
    void expire();

    const PerCpuTimerConfig cfg_;
    PhysMem& mem_;
    EventSink& sink_;
    std::uint64_t fired_ = 0;
    std::uint64_t periodic_done_ = 0;
    std::uint64_t next_at_ = ~0ull;  ///< cycle next_ is notified for
    sc_core::sc_event next_;
};

}  // namespace pisim
