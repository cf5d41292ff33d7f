// model/lapic/percpu_timer.cpp - the per-pCPU interrupt source (percpu_timer.h).
#include "model/lapic/percpu_timer.h"

#include <stdexcept>

#include "model/common/cycles.h"
#include "model/lapic/lapic_assert.h"

namespace pisim {

PerCpuTimer::PerCpuTimer(sc_core::sc_module_name name, const PerCpuTimerConfig& cfg,
                         PhysMem& mem, EventSink& sink)
    : sc_core::sc_module(name), irq("irq"), cfg_(cfg), mem_(mem), sink_(sink) {
    if (cfg_.vector < 16) throw std::invalid_argument("per-CPU timer vector below 16");
    if ((cfg_.status_pa & 7u) != 0 || !mem_.is_ram(cfg_.status_pa, 8))
        throw std::invalid_argument("per-CPU timer status word must be 8-byte aligned RAM");
    SC_HAS_PROCESS(PerCpuTimer);
    SC_METHOD(periodic);
    sensitive << next_;
    dont_initialize();
    if (cfg_.period != 0 && cfg_.count != 0) {
        next_at_ = cfg_.start;
        next_.notify(cycles(cfg_.start));
    }
}

void PerCpuTimer::periodic() {
    LAPIC_ASSERT(now_cycles() == next_at_);
    next_at_ = ~0ull;
    expire();
    if (++periodic_done_ < cfg_.count) {
        next_at_ = now_cycles() + cfg_.period;
        next_.notify(cycles(cfg_.period));
    }
}

void PerCpuTimer::fire() { expire(); }

// One expiry: the status word's pending bit (visible first), then the
// vector at the local APIC.
void PerCpuTimer::expire() {
    mem_.set_agent(PhysMem::Agent::Device);
    mem_.write64(cfg_.status_pa, mem_.read64(cfg_.status_pa) | 1u);
    ++fired_;
    Event e;
    e.cycle = now_cycles();
    e.kind = EventKind::PercpuTimerFire;
    e.unit = cfg_.pcpu;
    e.a = cfg_.vector;
    e.b = fired_;
    sink_.emit(e);
    ApicMessage m;
    m.dest = cfg_.apic_id;
    m.source_apic = ~0u;
    m.vector = cfg_.vector;
    irq->deliver(m);
}

}  // namespace pisim
