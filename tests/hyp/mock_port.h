// tests/hyp/mock_port.h - a fake machine implementing every port function
// (hyp/include/hyp/arch.h) for the hyp unit tests: flat machine memory, a
// VMCS store, per-pCPU IF and current VMCS, a control-request queue and a
// log of every port call in order, so tests can check step order.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <vector>

extern "C" {
#include "hyp/arch.h"
#include "hyp/hyp.h"
#include "hyp/trace.h"
#include "hyp/vmx.h"
}

namespace mock {

/// One port call: its name and up to four arguments.
struct Call {
    std::string name;
    std::uint64_t a = 0, b = 0, c = 0, d = 0;
};

/// HYP_ASSERT failure, thrown out of arch_assert_fail.
struct AssertFailure {
    std::string expr, file;
    int line;
};

/// Thrown by a test hook to leave hyp_pcpu_main (which never returns).
struct StopLoop {};

constexpr std::uint64_t kMemSize = 0x100000;

struct Machine {
    std::uint32_t cpu = 0;
    std::uint64_t now = 0;
    std::uint64_t now_step = 1;  ///< cycles arch_now advances per call
    bool irq_enabled[HYP_MAX_PCPUS] = {};
    std::uint32_t apic_id[HYP_MAX_PCPUS] = {};
    std::vector<std::uint8_t> mem = std::vector<std::uint8_t>(kMemSize, 0);
    std::map<std::uint64_t, std::map<std::uint32_t, std::uint64_t>> vmcs;  ///< by VMCS pa
    std::uint64_t current_vmcs[HYP_MAX_PCPUS] = {};
    std::map<std::uint64_t, int> vmcs_active_on;  ///< pCPU where a VMCS is active
    std::deque<hyp_ctl> ctl_queue;
    std::vector<std::pair<std::uint32_t, std::int32_t>> ctl_done;
    std::vector<Call> log;
    std::uint64_t basic_blocks = 0;
    std::uint32_t report_depth = 0;  ///< arch_report_begin/end nesting

    /// Hooks (optional). on_vm_enter fills the exit; default: HLT exit.
    std::function<bool(arch_vm_exit*)> on_vm_enter;
    std::function<void()> on_halt;
    /// Called after every logged call (e.g. to inject a VT-d post at an exact point).
    std::function<void(const Call&)> after_call;

    void record(const char* name, std::uint64_t a = 0, std::uint64_t b = 0,
                std::uint64_t c = 0, std::uint64_t d = 0);

    std::uint64_t rd64(std::uint64_t pa) const;
    void wr64(std::uint64_t pa, std::uint64_t v);
    std::uint32_t rd32(std::uint64_t pa) const;
    void wr32(std::uint64_t pa, std::uint32_t v);

    std::uint64_t vmcs_field(std::uint64_t vmcs_pa, std::uint32_t f) {
        return vmcs[vmcs_pa][f];
    }

    /// Index of the first logged call named `name` at or after `from`
    /// whose first argument is `a` (any if a == ~0), or -1.
    long find(const std::string& name, std::uint64_t a = ~0ull, std::size_t from = 0) const;
    long count(const std::string& name) const;
};

extern Machine* m;

/// Fresh machine (and fresh hyp state after hyp_init).
void reset();

/// The VT-d posting operation on a PID [VTD 5.2.3]: set PIR[vector], X = ON==0
/// && (URG || SN==0), set ON if X. Returns X (a notification would be sent to
/// NV/NDST). Done directly on memory: it is the device, not hyp.
bool vtd_post(std::uint64_t pid_pa, std::uint8_t vector, bool urgent = false);

/// The CPU's posted-interrupt processing on a PID [SDM 29.6]: clear
/// ON, OR PIR into VIRR of `vapic_pa`, clear PIR. Returns the highest vector.
int cpu_process_posted(std::uint64_t pid_pa, std::uint64_t vapic_pa);

}  // namespace mock
