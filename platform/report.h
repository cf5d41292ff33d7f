// platform/report.h - the result of a run: per-interrupt latencies with their
// stage breakdown, a summary (count, p50, p99, max; VM exits by reason), the
// verdict on the scenario's expectations, as text and as JSON.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/vtd/vtd.h"
#include "platform/hyp_profile.h"
#include "platform/irq_tracker.h"
#include "platform/oracles.h"
#include "platform/scenario.h"

namespace pisim {

class Machine;

struct LatencySummary {
    std::uint64_t count = 0, p50 = 0, p99 = 0, max = 0, min = 0;
};
/// Nearest-rank percentiles of integer samples (cycles).
LatencySummary summarize(std::vector<std::uint64_t> samples);

/// One device's interrupts, counted by the requester ID it was assigned (its
/// bdf), whatever requester ID its writes carried.
struct DeviceReport {
    std::string name;
    std::uint16_t bdf = 0, requester_id = 0;  ///< requester_id: what its writes carry
    std::uint64_t written = 0;    ///< MSI writes issued
    std::uint64_t vtd_faults = 0; ///< blocked by the VT-d unit (recorded or FPD-suppressed)
    std::uint64_t delivered = 0;  ///< passed VT-d: posted into a PID or remapped to an APIC
    std::uint64_t guest_isr = 0;  ///< reached a guest ISR
};

struct RunReport {
    std::string scenario_file, scenario_name, profile, irq_mode, hyp_origin;
    std::uint64_t seed = 0, duration = 0, end_cycle = 0;
    bool truncated = false;  ///< stopped by a --max-cycles or --max-wall limit
    std::string stopped_by;  ///< which: "--max-cycles" or "--max-wall" (truncated runs)
    std::vector<IrqRecord> interrupts;  ///< by device write cycle, requester ID, tag
    /// By interrupt: n of its name "<device>#<n>" (interrupt_name()), n
    /// counting the device's MSI writes from 1 in write order.
    std::vector<std::uint32_t> interrupt_seq;
    std::map<std::uint32_t, std::string> device_names;  ///< by requester ID (the scenario's bdf)
    std::vector<std::string> vcpu_names;  ///< by global vCPU number: "d<domain>v<index>"
    std::uint64_t delivered = 0, lost = 0, in_flight = 0, faulted = 0, unbound = 0;
    LatencySummary latency;
    std::map<std::string, LatencySummary> stages;  ///< per stage name
    std::map<std::uint32_t, std::uint64_t> vm_exits;
    std::uint64_t hyp_cycles = 0;
    std::map<std::uint32_t, HandlerStats> hyp_handlers;  ///< by enum hyp_handler: calls and cycles
    std::uint64_t events = 0, trace_hash = 0;  ///< the event stream's size and XXH64
    std::vector<DeviceReport> devices;  ///< in scenario order
    std::vector<VtdFaultRecord> vtd_faults;  ///< the VT-d unit's fault records, in order
    std::uint64_t vtd_faults_suppressed = 0;  ///< faults the IRTE's FPD kept from being recorded
    std::vector<Violation> violations;   ///< oracle violations (incl. hyp assertions)
    std::vector<std::string> failures;  ///< failed expectations and unexpected violations
    bool passed() const { return failures.empty(); }
};

/// Interrupt k's device: its scenario name, else its requester ID as BB:DD.F.
std::string interrupt_device_name(const RunReport& r, std::size_t k);
/// Interrupt k's name, "<device>#<n>" ("nic0#4"): what the per-interrupt
/// table, --json and the trace call it.
std::string interrupt_name(const RunReport& r, std::size_t k);

/// Collect results after Machine::run(). `grace` cycles before the end, an
/// undelivered interrupt counts as in flight rather than lost.
RunReport make_report(Machine& m, std::uint64_t grace);

/// The report as text. With `per_interrupt`, a table of one row per
/// interrupt: name, tag, device, vCPU, vector, write cycle, the cycles of each
/// stage of its path (the stages some row went through, in path order) and
/// its total, so a delivered row's stage columns add up to its total.
std::string format_text(const RunReport& r, bool per_interrupt);
/// Stage names in path order; a step's stage is the interval that ends at it.
const std::vector<std::string>& stage_names();
/// An interrupt's stages with their cycles (each step's cycle minus the
/// previous step's), in path order.
std::vector<std::pair<std::string, std::uint64_t>> irq_stages(const IrqRecord& i);
nlohmann::ordered_json to_json(const RunReport& r);

/// Name of a basic VM exit reason [SDM appendix C].
const char* exit_reason_name(std::uint32_t reason);
/// Name of an interrupt-remapping fault reason 0x20-0x28 [VTD 7.1.3].
const char* vtd_fault_reason_name(std::uint8_t reason);
/// A requester ID as BB:DD.F.
std::string bdf_text(std::uint16_t rid);

}  // namespace pisim
