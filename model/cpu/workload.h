// model/cpu/workload.h - the guest as a model (docs/design.md, "The guest").
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
        NapiPoll,  ///< NAPI poll of the vCPU's receive queues (napi_queues): rounds
                   ///< of up to napi_budget packets at `arg` cycles each, until
                   ///< the rings are empty; then re-arm (enable) the queues' interrupts
        Vmcall,    ///< VMCALL: always a VM exit (18), a hypercall the hypervisor answers
    };
    Kind kind = Kind::Compute;
    std::uint64_t arg = 0;
    std::uint64_t arg2 = 0;
};

/// A NIC receive queue polled by a vCPU's NAPI-like driver: `device` is
/// the index of the NIC in the CPU's rx port (the platform binds them in
/// scenario order), `queue` the NIC's queue, `vector` the guest vector of
/// its interrupt.
struct NapiQueue {
    std::uint32_t device = 0;
    std::uint32_t queue = 0;
    std::uint8_t vector = 0;
};

/// A guest vCPU's program and interrupt handlers.
///
/// NAPI [Linux net/core/dev.c napi_schedule, net_rx_action, napi_complete_done]:
/// when the program has a NapiPoll op, the ISR of a vector in napi_queues
/// disables that queue's interrupt (the driver's hard-IRQ handler masks the
/// queue and schedules the poll); NapiPoll then takes the packets waiting in
/// the rings, napi_budget per round at `arg` cycles each, re-reading the
/// rings after every round, and when they are empty enables the queues'
/// interrupts again and moves on.
struct GuestProgram {
    std::vector<GuestOp> ops;  ///< executed in order
    bool repeat = true;        ///< start over after the last op (else halt forever)
    std::uint64_t isr_cost = 0;                 ///< default ISR cost (cycles)
    std::map<std::uint8_t, std::uint64_t> isr_cost_by_vector;  ///< per-vector ISR cost
    std::vector<NapiQueue> napi_queues;  ///< receive queues its driver polls (platform: only for a NAPI program)
    std::uint64_t napi_budget = 64;      ///< packets per poll round (Linux NAPI_POLL_WEIGHT)
    /// True when the program polls (has a NapiPoll op): a NAPI driver.
    bool uses_napi() const {
        for (const GuestOp& op : ops)
            if (op.kind == GuestOp::Kind::NapiPoll) return true;
        return false;
    }
    std::uint64_t isr_cost_for(std::uint8_t v) const {
        auto it = isr_cost_by_vector.find(v);
        return it == isr_cost_by_vector.end() ? isr_cost : it->second;
    }
};

}  // namespace pisim
