// platform/machine.h - a machine built from a scenario: SystemC models wired
// together, the hypervisor core booted on them through the port, the
// scenario's timed events scheduled, and every event fanned out to the
// latency tracker and (optionally) the trace recorder.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <hyp/hyp.h>

#include "model/common/cycles.h"
#include "model/common/phys_mem.h"
#include "model/common/trace.h"
#include "model/cpu/cpu.h"
#include "model/lapic/lapic.h"
#include "model/lapic/percpu_timer.h"
#include "model/pcie/nic.h"
#include "model/vtd/rtl/vtd_rtl_engine.h"
#include "model/vtd/vtd.h"
#include "platform/canonical_order.h"
#include "platform/hyp_api.h"
#include "platform/hyp_profile.h"
#include "platform/irq_tracker.h"
#include "platform/oracles.h"
#include "platform/profile.h"
#include "platform/scenario.h"
#include "platform/trace_writer.h"

namespace pisim {

/// Machine memory map (bytes). Everything the hypervisor shares with devices
/// lives in one RAM region handed over at boot.
struct MemoryMap {
    static constexpr std::uint64_t ram_base = 0x00100000;
    static constexpr std::uint64_t ram_size = 0x04000000;  ///< 64 MiB
    static constexpr std::uint64_t irt_base = 0x00100000;  ///< interrupt-remapping table
    static constexpr std::uint32_t irt_entries = 4096;     ///< 64 KiB
    static constexpr std::uint64_t iq_base = 0x00110000;   ///< invalidation queue, 4 KiB
    static constexpr std::uint64_t iq_status = 0x00111000; ///< wait-descriptor status word
    static constexpr std::uint64_t percpu_status = 0x00112000; ///< per-pCPU source status, 8 B per pCPU
    static constexpr std::uint64_t msr_bitmap = 0x00113000;    ///< MSR bitmap, 4 KiB [SDM 24.6.9]
    static constexpr std::uint64_t vcpu_base = 0x00200000; ///< per vCPU: VMCS, vAPIC, PID
    static constexpr std::uint64_t vcpu_stride = 0x3000;
};

/// Per-pCPU state of the root-mode software (the port's view).
struct PortCpu {
    std::uint32_t index = 0;
    CpuCore* core = nullptr;
    LocalApic* lapic = nullptr;
    std::uint64_t local = 0;    ///< cycles executed ahead of the kernel's time
    std::uint64_t horizon = 0;  ///< local time at which another agent has work due
    /// Local time before which no interrupt can reach this pCPU's local APIC
    /// (port.cpp, refresh_horizons); >= horizon.
    std::uint64_t irq_horizon = 0;
    std::uint64_t interrupt_bound = 0;  ///< the same, absolute (cycles), for the invariant check
    bool in_root_wait = false;  ///< suspended in a root-mode synchronization (port.cpp, sync)
    bool if_flag = false;       ///< root-mode RFLAGS.IF
    std::uint32_t irq_depth = 0;
    std::deque<hyp_ctl> ctl_queue;
    /// The scenario's perturbations of this pCPU (Perturbation, agent pcpu):
    /// (cycle, delay) in cycle order; perturb_next indexes the next one and
    /// perturb_at is its cycle (UINT64_MAX when none is left).
    std::vector<std::pair<std::uint64_t, std::uint64_t>> perturb;
    std::size_t perturb_next = 0;
    std::uint64_t perturb_at = ~0ull;
    std::uint64_t basic_blocks = 0;  ///< hyp basic blocks executed
    std::uint64_t hyp_cycles = 0;    ///< cycles charged to hyp code and port calls
    /// Nesting depth of report-only code (arch_report_begin/end): blocks and
    /// shared accesses inside it are not charged.
    std::uint32_t report_depth = 0;
};

/// The port's functions the block pricer must recognize (platform/port.cpp).
PricerHooks port_pricer_hooks();
/// Price the blocks of `cores` ("" the built-in core, else a --hyp object's
/// path, which is loaded now and stays loaded) for the shipped profiles'
/// instruction tables, before forking simulation children (explore, sweep),
/// so each child does not disassemble them again. A path that is not a core
/// is skipped (the runs report it). Returns the blocks priced.
std::size_t warm_block_pricers(const std::vector<std::string>& cores = {std::string()});

struct RunOptions {
    std::string trace_path;      ///< stream the trace to this file (--trace); empty: none
    std::string vtd_engine;      ///< overrides the scenario's vtd.engine when set
    std::string trace_rtl_path;  ///< VCD of the RTL request path (vtd.engine: rtl)
    bool attribute_functions = false;  ///< charge basic blocks to hyp functions
    std::string hyp_path;  ///< empty: the built-in core
    /// --max-wall, seconds (0: none), armed when the machine is built, so it
    /// also stops a core that never returns from hyp_init or from creating a
    /// domain or a vCPU (platform/run_limits.h). run()'s own `wall_seconds`
    /// arms it there for a caller that gives none here.
    std::uint64_t max_wall = 0;
};

/// Puts every event in cycle order, then forwards it to the tracker, the
/// profile and the oracles, hashes it, and, when recording, streams it to the
/// trace (with a Violation event after each violation).
///
/// Ordering: a pCPU runs hypervisor code ahead of the kernel (temporal
/// decoupling), so its events (cycle = kernel time + its local time) can be
/// emitted before another agent's event of an earlier cycle. Every event's
/// cycle is at least the kernel's time when it is emitted, and the kernel's
/// time never decreases; so an event whose cycle is at most the kernel's time
/// precedes every event still to come, and is forwarded at once. Only events
/// ahead of the kernel wait, in a min-heap by cycle, then emission number,
/// which holds at most the pCPUs' look-ahead. So the tracker, the oracles,
/// the hash and the trace file all see one order: by cycle, then emission.
class EventHub final : public EventSink {
public:
    void emit(const Event& e) override;
    /// Record the Violation event of a violation found outside the event
    /// stream (a failed hyp assertion); recorded only in the trace.
    void emit_violation(const Event& v);
    /// Forward every waiting event (the end of the run).
    void flush();
    /// Forward every waiting event at or before the kernel's time, so that a
    /// direct call to the oracles made now (a control request's completion)
    /// comes after everything that happened before it.
    void catch_up();
    /// The canonical rank of the SystemC process running now (the agent that
    /// emits): processes ordered by name, digit runs compared as numbers
    /// ("cpu2" before "cpu10"); 0 outside a process (elaboration, boot).
    std::uint32_t agent_now() {
        const void* p = sc_core::sc_get_current_process_b();
        return p && p == last_process_ ? last_agent_ : agent_of(p);
    }
    IrqTracker tracker;
    HypProfile profile;
    std::unique_ptr<Oracles> oracles;
    /// Sees every forwarded event after the oracles (pisim explore's
    /// coverage), with the canonical rank of the process that emitted it
    /// (agent_now); empty: none.
    std::function<void(const Event&, std::uint32_t)> observer;
    /// The trace being written (--trace), or null.
    std::unique_ptr<TraceWriter> trace;
    /// XXH64 of every forwarded event's fields in order: equal hashes, equal traces.
    std::uint64_t trace_hash() const;
    std::uint64_t events = 0;  ///< events forwarded
    /// Guest ISR entries (guest.isr_begin) by (vCPU, vector).
    std::map<std::pair<int, std::uint8_t>, std::uint64_t> isr_counts;

    EventHub();
    ~EventHub() override;

private:
    struct Waiting {
        Event e;
        std::uint64_t seq;
        std::uint32_t agent;
        bool hyp_violation;
    };
    static bool later(const Waiting& x, const Waiting& y);
    void order(const Event& e, bool hyp_violation);
    void release(std::uint64_t upto);
    void process(const Event& e, std::uint32_t agent, bool hyp_violation);

    // The tracker, the profile and the oracles take the events as emitted
    // (by cycle, then emission: every cause before its effect); the trace and
    // its hash take them in canonical order (platform/canonical_order.h).
    void hash(const Event& e);
    void put_canonical(const Event& e, std::uint32_t agent, bool violation) {
        if (canonical_.starts_new_cycle(e)) drain_canonical();
        canonical_.put(e, agent, violation);
    }
    void drain_canonical();
    void rank_agents();
    std::uint32_t agent_of(const void* process);
    CanonicalCycle canonical_;
    const void* last_process_ = nullptr;    ///< agent_now()'s cache
    std::uint32_t last_agent_ = 0;
    std::unordered_map<const void*, std::uint32_t> agent_rank_;  ///< by sc_process_b

    std::vector<Waiting> waiting_;  ///< min-heap (std::push_heap with `later`)
    std::uint64_t seq_ = 0;         ///< emission number of the next waiting event
    std::uint64_t now_ = 0;         ///< latest kernel time seen
    // Events are hashed in batches of kHashBatch (the stream hash does not
    // depend on how its input is split): one XXH64_update per batch.
    static constexpr std::size_t kHashWords = 9, kHashBatch = 64;
    void* hash_state_;  // XXH64_state_t
    std::uint64_t hash_buf_[kHashWords * kHashBatch];
    std::size_t hash_fill_ = 0;  ///< words in hash_buf_
};

/// The scenario's timing profile with its overrides applied; InputError for
/// an unknown profile or cost.
TimingProfile resolve_profile(const Scenario& s);

class WallWatchdog;

class Machine {
public:
    /// Elaborates the whole machine. Throws InputError for scenario problems
    /// found only now (e.g. an unknown profile override).
    Machine(const Scenario& s, const TimingProfile& p, const RunOptions& o);
    ~Machine();

    /// Runs the simulation for the scenario's duration, or until `max_cycles`
    /// (0: no cap) or `wall_seconds` of real time (0: none) run out; then the
    /// run is truncated (truncated() says so) at a deterministic cycle for
    /// max_cycles, wherever the simulation is when the wall clock passes its
    /// deadline for the wall-time limit (platform/run_limits.h).
    void run(std::uint64_t max_cycles = 0, std::uint64_t wall_seconds = 0);
    bool truncated() const { return truncated_; }
    /// What truncated the run: "--max-cycles", "--max-wall", or empty.
    const std::string& stopped_by() const { return stopped_by_; }
    /// When --max-wall stopped the core before the simulation started: the
    /// core entry it was in ("hyp_init", "hyp_domain_create",
    /// "hyp_vcpu_create"); run() then simulates nothing (end cycle 0,
    /// truncated). Empty otherwise.
    const std::string& stopped_in_boot() const { return stopped_in_boot_; }
    /// The wall-clock limit has passed: stop the simulation from inside a
    /// process (the port's basic-block hook, the WallStop channel's update).
    /// On a SystemC thread (a pCPU spinning in hypervisor code) the thread
    /// then waits for good: its code is never resumed. Elsewhere (the core's
    /// boot in the constructor, a core entry from a method process) it
    /// throws, unwinding the core's frames (hyp is built with -fexceptions):
    /// the constructor catches it (stopped_in_boot()), run() the kernel's
    /// report of it.
    void stop_for_wall();
    /// The kernel's side of it (the WallStop channel's update): sc_stop once.
    void stop_kernel_for_wall();
    /// With RunOptions::trace_rtl_path: close the RTL engine's VCD and
    /// publish it at that path as every output is (platform/output_file.h:
    /// a temporary beside it, created exclusively, renamed over it). The dump
    /// is written meanwhile to an unlinked scratch file in that directory, so
    /// a run that ends any other way leaves nothing there. Call once, after
    /// run() (or from the crash report). Throws std::runtime_error naming the
    /// path and the system error.
    void publish_rtl_trace();

    // --- results
    const Scenario& scenario() const { return s_; }
    const TimingProfile& profile() const { return p_; }
    /// The --hyp file the machine runs (empty: the built-in core).
    const std::string& hyp_path() const { return o_.hyp_path; }
    EventHub& hub() { return hub_; }
    std::map<std::uint32_t, std::uint64_t> exit_counts() const;
    std::uint64_t end_cycle() const { return end_cycle_; }
    const std::vector<Violation>& violations() const { return hub_.oracles->violations(); }
    std::uint64_t hyp_cycles() const;
    const VtdUnit& vtd() const { return *vtd_; }

    // --- used by the port (platform/port.cpp)
    PortCpu* current = nullptr;  ///< the pCPU whose thread runs now, or null
    PortTiming timing;
    /// Prices hyp basic blocks from their instructions (HypTiming::Instructions);
    /// null with HypTiming::Flat.
    BlockPricer* pricer = nullptr;
    /// Cache-line ownership of machine memory and shared hypervisor data:
    /// what an access costs beyond an L1 hit (model/common/coherence.h).
    std::unique_ptr<Coherence> coherence;
    CpuTiming cpu_timing;  ///< VMX instruction and HLT wake-up costs the port charges
    PhysMem mem;
    VmcsStore vmcs;
    std::vector<PortCpu> pcpus;
    std::vector<std::uint32_t> apic_ids;
    const HypApi* hyp = nullptr;
    VtdUnit* vtd_unit() { return vtd_.get(); }
    void ctl_done(std::uint32_t seq, std::int32_t result);
    void hyp_assert_failed(const std::string& message);
    /// The running agent's time in cycles: the kernel's time plus the running
    /// pCPU's look-ahead (PortCpu::local). While any other agent runs no pCPU
    /// is current (the port clears `current` around every wait of a pCPU), so
    /// for it this is the kernel's time.
    std::uint64_t cycle_now() const { return now_cycles() + (current ? current->local : 0); }
    /// Earliest cycle (absolute) at which pCPU `pcpu`'s local APIC can accept
    /// an interrupt that is already on its way or comes from a source without
    /// bus latency: a message queued on the APIC bus, the APIC's own timer
    /// [SDM 10.5.4], the per-pCPU timer, the scenario's next timed event
    /// (control requests and timer firings reach a local APIC directly).
    /// UINT64_MAX when there is none. Any other interrupt starts as an agent's
    /// action at or after the kernel's next pending activity and crosses the
    /// APIC bus, so it arrives interrupt_lookahead() cycles later or more.
    std::uint64_t local_interrupt_due(std::uint32_t pcpu) const;
    /// Fewest cycles from an agent's action to an interrupt it causes at a
    /// local APIC over the bus: min(lapic.ipi_latency, lapic.msg_latency).
    std::uint64_t interrupt_lookahead() const { return bus_->min_latency(); }

    /// The machine of this process (every basic block of hyp code asks).
    static Machine* instance() { return instance_; }

private:
    static Machine* instance_;
    void build_models();
    void boot_hyp();
    void schedule_scenario();
    void post_ctl(std::uint32_t pcpu, hyp_ctl c, std::function<void(std::int32_t)> done);
    void watch_descriptors(std::uint64_t pid, std::uint64_t vapic, std::uint32_t vcpu);
    void watch_irt_and_percpu_status();
    /// The oracles, every event up to the kernel's time forwarded to them.
    Oracles& oracles_now() {
        hub_.catch_up();
        return *hub_.oracles;
    }

    Scenario s_;
    TimingProfile p_;
    RunOptions o_;
    EventHub hub_;
    std::unique_ptr<HypLibrary> hyp_lib_;

    std::unique_ptr<ApicBus> bus_;
    std::vector<std::unique_ptr<LocalApic>> lapics_;
    std::vector<std::unique_ptr<CpuCore>> cores_;
    std::unique_ptr<VtdUnit> vtd_;
    std::unique_ptr<VtdRtlEngine> vtd_rtl_;
    std::unique_ptr<ScratchFile> rtl_vcd_;  ///< the RTL engine's VCD until publish_rtl_trace()
    std::vector<std::unique_ptr<Nic>> nics_;
    std::vector<std::unique_ptr<PerCpuTimer>> percpu_timers_;  ///< one per pCPU, if configured
    std::vector<hyp_vcpu_storage> vcpu_storage_;

    struct PendingCtl {
        std::function<void(std::int32_t)> done;
    };
    std::map<std::uint32_t, PendingCtl> pending_ctl_;
    std::uint32_t next_seq_ = 1;
    std::uint64_t end_cycle_ = 0;
    bool truncated_ = false;
    bool wall_stopped_ = false;  ///< stop_for_wall() ran
    std::string stopped_by_;
    class WallStop;
    std::unique_ptr<WallStop> wall_stop_;
    std::unique_ptr<WallWatchdog> dog_;  ///< after wall_stop_: destroyed (joined) first
    /// The core entry --max-wall stopped during the machine's construction
    /// ("hyp_init", "hyp_domain_create", "hyp_vcpu_create"), or empty.
    std::string stopped_in_boot_;
    const char* boot_step_ = nullptr;
    sc_core::sc_event never_;  ///< never notified: where a stopped pCPU thread waits
    struct Shadow {
        std::uint32_t vcpu;
        std::uint64_t words[8];
    };
    std::map<std::uint64_t, Shadow> pid_shadow_;
    struct VapicShadow {
        std::uint32_t vcpu;
        std::uint32_t words[1024];
    };
    std::map<std::uint64_t, std::unique_ptr<VapicShadow>> vapic_shadow_;
    std::vector<std::uint64_t> percpu_status_shadow_;  ///< by pCPU
    class ScenarioDriver;
    std::unique_ptr<ScenarioDriver> driver_;
};

}  // namespace pisim
