// platform/scenario.h - a race scenario as loaded from YAML (README "Scenario
// files"; scenarios/schema.json). Loading validates everything it can without
// running: a malformed file raises InputError naming file, line and column.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "model/cpu/workload.h"
#include "model/pcie/nic.h"
#include "platform/provenance.h"

namespace pisim {

/// A vCPU reference "d<domain>v<index>" resolved to indices.
struct VcpuRef {
    std::uint32_t domain = 0;
    std::uint32_t index = 0;
    std::string name() const { return "d" + std::to_string(domain) + "v" + std::to_string(index); }
};

struct VcpuSpec {
    std::uint32_t pcpu = 0;  ///< initial affinity
    /// Hard affinity (bit c = pCPU c) when `affinity:` lists pCPUs; 0 = pinned
    /// to `pcpu` only. With more than one pCPU idle pCPUs may pull the vCPU.
    std::uint64_t affinity_mask = 0;
    GuestProgram program;
};

struct DomainSpec {
    std::uint32_t id = 0;
    std::vector<VcpuSpec> vcpus;
    std::uint8_t percpu_vector = 0;  ///< guest vector of the per-pCPU interrupt, 0 none
};

/// The per-pCPU interrupt source's periodic schedule (the same on every pCPU).
struct PercpuTimerSpec {
    std::uint64_t start = 0, period = 0;  ///< cycles; period 0 = only timed firings
    std::uint64_t count = ~0ull;
};

/// Where one MSI-X vector of a device is delivered: a guest vector of a
/// vCPU, or, for a host-owned device, a host vector on a pCPU whose root-mode
/// handler runs `host_isr_cost` cycles (dom0's SAS controller of xen-devel,
/// "[Xenhackthon] Virtualized APIC registers - virtual interrupt delivery",
/// 2013).
struct MsiBinding {
    std::uint32_t vector_index = 0;
    VcpuRef vcpu;
    std::uint8_t guest_vector = 0;  ///< 16..255 (the host vector, 32..255, for a host device)
    bool urgent = false;            ///< posted IRTE URG
    bool host = false;              ///< host-owned device: pcpu and host_isr_cost apply
    std::uint32_t pcpu = 0;         ///< host device: the pCPU its IRTE targets
    std::uint64_t host_isr_cost = 0;  ///< host device: handler cycles before EOI
};

/// A message a hostile device writes for one of its vectors whatever its
/// MSI-X table entry holds (queue key `msi`): either a raw (address, data), or
/// a copy of the message the hypervisor programmed into another device's
/// MSI-X entry (`copy_of`), known once that entry is bound at boot.
struct ForgedMsi {
    std::uint32_t vector_index = 0;  ///< this device's vector that carries it
    std::uint64_t address = 0;       ///< 0xFEE00000..0xFEEFFFFF [VTD 5.1]
    std::uint32_t data = 0;
    std::string copy_device;         ///< non-empty: copy that device's entry...
    std::uint32_t copy_vector_index = 0;  ///< ...of this MSI-X index
};

struct DeviceSpec {
    std::string name;
    std::uint16_t requester_id = 0;  ///< the function's BDF (what the hypervisor assigns)
    /// The requester ID the device puts in its MSI writes: requester_id for an
    /// honest device, another BDF for one that spoofs (device key `requester_id`).
    std::uint16_t tlp_requester_id = 0;
    std::optional<std::uint32_t> domain;  ///< assigned domain, if any
    bool host = false;                    ///< `domain: host`: owned by the hypervisor
    NicConfig nic;
    std::vector<MsiBinding> bindings;
    std::vector<ForgedMsi> forged;
};

/// A timed event: something that happens at an exact cycle.
struct TimedEvent {
    std::uint64_t at = 0;
    enum class Op {
        Preempt, Block, Wake, Pin, PcpuOffline, PcpuOnline, Assign, Deassign, Ipi, Tasklet, Reprogram,
        CorruptIrte,  ///< OR set_bits into word `word` of a device vector's IRTE
        CorruptPid,   ///< OR set_bits into word `word` of a vCPU's PID
        PercpuTimer  ///< the per-pCPU source fires on `pcpu`
    } op{};
    std::uint32_t pcpu = 0;
    VcpuRef vcpu, vcpu2;
    std::string device;
    std::uint32_t domain = 0;
    std::uint32_t vector_index = 0;
    std::uint8_t vector = 0;
    std::uint64_t cost = 0;
    std::uint32_t word = 0;      ///< corrupt_*: 64-bit word (IRTE 0-1, PID 0-7)
    std::uint64_t set_bits = 0;  ///< corrupt_*: bits OR-ed into that word
    int line = 0;  ///< source line, for messages
};
const char* timed_event_op_name(TimedEvent::Op op);

/// A timing perturbation (scenario key `perturb`): one agent is held for
/// `delay` cycles at one shared access, so that two conflicting accesses of
/// different agents to the same memory can happen in the other order.
/// `pisim explore` writes them into the scenarios it generates; a replay of
/// the file applies them at the same accesses, so it is exact.
///  - agent pcpu: pCPU `pcpu`'s first shared access (a machine-memory access,
///    a local APIC or device access, or an arch_shared_point: every atomic of
///    the core) at or after cycle `at` waits `delay` cycles before it;
///  - agent vtd: the first interrupt request the VT-d unit starts processing
///    at or after cycle `at` waits `delay` cycles before its first step.
struct Perturbation {
    enum class Agent { Pcpu, Vtd } agent = Agent::Pcpu;
    std::uint32_t pcpu = 0;
    std::uint64_t at = 0;     ///< cycle
    std::uint64_t delay = 0;  ///< cycles, 1..ScenarioLimits::max_perturb_delay
};

/// What must hold at the end of the run (exit 1 otherwise).
struct Expectations {
    bool all_delivered = true;               ///< every device interrupt reached its guest
    bool all_delivered_given = false;        ///< the file says expect.all_delivered
    std::optional<std::uint64_t> max_latency;  ///< cycles, end to end
    std::optional<std::uint64_t> p99_latency;
    std::optional<std::uint64_t> min_interrupts;  ///< at least this many delivered
    std::map<std::uint32_t, std::uint64_t> vm_exits_max;  ///< per basic exit reason
    std::optional<std::uint64_t> vm_exits_total_max;
    /// Guest ISR entries (guest.isr_begin) per vCPU and vector, exactly.
    std::map<std::pair<int, std::uint8_t>, std::uint64_t> isr_counts;
    /// Oracles that must be violated (a known-bad scenario); empty: every
    /// oracle must hold.
    std::vector<std::string> violations;
    /// Recorded VT-d faults by reason code (0x20-0x28), exact; reasons not
    /// listed must not be recorded. Unset: not checked.
    std::optional<std::map<std::uint8_t, std::uint64_t>> vtd_faults;
    /// Per device name: exactly this many of its interrupts passed the VT-d
    /// unit (posted into a PID or remapped to a local APIC).
    std::map<std::string, std::uint64_t> delivered;
};

/// Bounds of the invariant oracles (platform/oracles.h), cycles.
struct OracleBounds {
    std::uint64_t delivery = 200000;  ///< VM entry after a post until the guest ISR
    std::uint64_t wakeup = 100000;    ///< post to a blocked vCPU until it is runnable
};

struct Scenario {
    std::string file;
    /// The traffic files the scenario reads (`traffic: {kind: file}`), as
    /// opened: relative to the scenario's directory unless absolute.
    std::vector<std::string> traffic_files;
    std::string name;
    std::string description;
    std::uint64_t seed = 1;
    std::uint64_t duration = 0;  ///< simulated cycles
    std::string profile = "skylake-sp";
    std::map<std::string, std::uint64_t> profile_overrides;

    std::uint32_t pcpus = 1;
    bool x2apic = true;

    std::string irq_mode = "vtd-pi";
    std::string vtd_engine = "tlm";  ///< vtd.engine: tlm (C++ model) | rtl (verilated RTL)
    std::uint64_t time_slice = 0;  ///< cycles; 0 = profile frequency / 100 (10 ms)
    std::uint64_t tick = 0;        ///< cycles; 0 = time_slice
    std::uint8_t notification_vector = 0xF2;
    std::uint8_t wakeup_vector = 0xF1;
    std::uint8_t timer_vector = 0xEC;
    std::uint8_t control_vector = 0xFB;
    std::uint8_t device_vector_base = 0x30;
    std::uint8_t percpu_vector = 0;  ///< host vector of the per-pCPU source, 0 = none
    PercpuTimerSpec percpu_timer;

    std::vector<DomainSpec> domains;
    std::vector<DeviceSpec> devices;
    std::vector<TimedEvent> events;
    std::vector<Perturbation> perturb;  ///< sorted by cycle
    Expectations expect;
    OracleBounds oracles;
    /// `provenance:` - who wrote this file (a sweep point, an exploration's
    /// failure); `pisim run` warns when it names another core than the one
    /// it runs. Not part of the simulated machine.
    std::optional<Provenance> provenance;
    /// What the loader found valid but suspicious (traffic that never fires
    /// within the run), each "FILE:LINE:COLUMN: warning: ...": `pisim run`,
    /// `validate` and `sweep` print them on stderr.
    std::vector<std::string> warnings;

    /// Global vCPU number of a reference (domains in file order, vCPUs in
    /// order), or -1.
    int vcpu_global(const VcpuRef& r) const;
    std::uint32_t total_vcpus() const;
};

/// Limits that keep a bad file from exhausting the machine (issue 10) or
/// from overflowing simulated time (issue 19; README "Limits").
///
/// Simulated time is a SystemC sc_time: a 64-bit count of the kernel's
/// resolution, and pisim makes one resolution unit one core cycle
/// (model/common/cycles.h), whatever the profile's frequency: the kernel
/// holds at most 2^64 - 1 cycles (about 1.8e19). Every time the simulation
/// computes is a cycle within the run (< max_duration) plus a bounded number
/// of steps, each at most max_step: with both at 1e12, any sum of a cycle of
/// the run and up to 18 million steps stays below 2^64, so no wait, no
/// deadline and no horizon wraps around.
struct ScenarioLimits {
    static constexpr std::uint32_t max_pcpus = 64;
    static constexpr std::uint32_t max_vcpus = 512;
    static constexpr std::uint32_t max_domains = 64;
    static constexpr std::uint32_t max_devices = 64;
    static constexpr std::uint32_t max_events = 100000;
    static constexpr std::uint64_t max_duration = 1000000000000ull;  ///< cycles
    /// Any one span of cycles a scenario gives (compute, cli, isr_cost,
    /// tasklet cost, traffic interval and burst_gap, moderation, timer period,
    /// time_slice, tick, oracle bounds) and any cycle it names (traffic
    /// start/stop, timer start): no step is longer than the longest run.
    static constexpr std::uint64_t max_step = max_duration;
    /// NAPI's poll round takes up to GuestProgram::napi_budget (64) packets at
    /// napi_poll cycles each: one round stays within max_step.
    static constexpr std::uint64_t max_napi_poll = max_step / 64;
    /// A profile_overrides cost: the same bound as a profile file's costs.
    static constexpr std::uint64_t max_cost = 1000000000ull;
    static constexpr std::uint32_t max_perturb = 256;                ///< perturb entries
    static constexpr std::uint64_t max_perturb_delay = 1000000;      ///< cycles
    static constexpr std::uint64_t max_traffic_file_bytes = 16ull << 20;  ///< traffic.file size
    /// Device packet arrivals plus per-pCPU timer firings a run may expect
    /// within its duration (each arrival may become an interrupt whose
    /// latency record the run keeps: about 250 bytes).
    static constexpr std::uint64_t max_arrivals = 5000000;
    /// Guest operations a run may expect (README "Limits"): a repeating
    /// program runs round after round for the whole run, each operation a
    /// guest.op event of the trace and a step of the CPU model. Estimated at
    /// load from the smallest cycles a round can take (its compute and cli
    /// spans; one cycle per halt and vmcall, a VM exit at least; nothing for
    /// tpr, self_ipi, ipi and napi_poll) and the duration; a program with a
    /// halt runs at most one round per interrupt the run's other sources can
    /// raise, plus one. Its IPIs (ipi, self_ipi) count into max_arrivals.
    static constexpr std::uint64_t max_guest_ops = 1000000000ull;
};

/// Load and validate a scenario file. Throws InputError.
Scenario load_scenario(const std::string& path);
/// The same from an already parsed document (a sweep point); `file` names
/// it in errors and is the base for relative paths (traffic files).
Scenario load_scenario_node(const YAML::Node& doc, const std::string& file);

}  // namespace pisim
