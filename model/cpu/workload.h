// model/cpu/workload.h - the guest as a model (ARCHITECTURE.md decision 6).
//
// Each vCPU runs a program of operations that drive the CPU model. The
// program's position is guest state: it is saved in the vCPU's VMCS on VM exit
// and resumed on VM entry, on whichever pCPU loads that VMCS.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

namespace pisim {

/// One operation of a guest program.
struct GuestOp {
    enum class Kind : std::uint8_t {
        Compute,   ///< run with IF=1 for `arg` cycles (interruptible)
        Halt,      ///< STI; HLT: wait for an interrupt (HLT exiting -> exit 12)
        CliWindow, ///< run with IF=0 for `arg` cycles, then STI
        Tpr,       ///< write VTPR = arg (TPR virtualization)
        SelfIpi,   ///< self-IPI of vector `arg` (self-IPI virtualization)
        Ipi,       ///< ICR write: vector `arg` to guest APIC ID `arg2` (APIC-write exit)
        NapiPoll,  ///< poll the receive queue: `arg` cycles per pending packet, re-arm
    };
    Kind kind = Kind::Compute;
    std::uint64_t arg = 0;
    std::uint64_t arg2 = 0;
};

/// A guest vCPU's program and interrupt handlers.
struct GuestProgram {
    std::vector<GuestOp> ops;  ///< executed in order
    bool repeat = true;        ///< start over after the last op (else halt forever)
    std::uint64_t isr_cost = 0;                 ///< default ISR cost (cycles)
    std::map<std::uint8_t, std::uint64_t> isr_cost_by_vector;  ///< per-vector ISR cost
    std::uint64_t isr_cost_for(std::uint8_t v) const {
        auto it = isr_cost_by_vector.find(v);
        return it == isr_cost_by_vector.end() ? isr_cost : it->second;
    }
};

}  // namespace pisim
