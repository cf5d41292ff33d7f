// platform/profile.h - the timing profile: every cost of every model and of the
// port, in core cycles, each with its source (issue: "a cited timing profile").
// Files live in profiles/NAME.yaml; a scenario names one and may override any
// value.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "model/common/coherence.h"
#include "model/cpu/cpu.h"
#include "platform/block_pricer.h"
#include "model/lapic/lapic.h"
#include "model/pcie/nic.h"
#include "model/vtd/vtd.h"

namespace pisim {

struct ProfileCost {
    std::uint64_t value = 0;  ///< cycles (or a count, for capacities)
    std::string source;       ///< where the figure comes from
};

/// How hyp basic blocks are charged (profile key `hyp_timing`).
enum class HypTiming : std::uint8_t {
    Instructions,  ///< from the block's machine instructions (platform/block_pricer.h)
    Flat,          ///< `hyp.basic_block` cycles per block, whatever it holds
};

/// Costs charged by the port (platform/port.cpp) for hypervisor execution.
struct PortTiming {
    HypTiming hyp_timing = HypTiming::Instructions;
    std::uint64_t basic_block = 0;  ///< per basic block of hyp code (HypTiming::Flat)
    std::uint64_t irq_entry = 0;    ///< taking an interrupt in root mode
    std::uint64_t mem_access = 0, mem_atomic = 0, mem_atomic16 = 0;
    std::uint64_t apic_access = 0, iq_submit = 0, trace = 0;
    InstructionTable instructions;  ///< HypTiming::Instructions
};

class TimingProfile {
public:
    /// Load profiles/<name>.yaml (searched in `dirs` order) or a path ending
    /// in .yaml. Throws InputError on a missing or malformed file.
    static TimingProfile load(const std::string& name_or_path);

    /// Override one cost ("vtd.irte_fetch"); throws std::out_of_range naming
    /// the known costs if `key` is not one.
    void set(const std::string& key, std::uint64_t value);
    std::uint64_t get(const std::string& key) const;
    bool has(const std::string& key) const { return costs_.count(key) != 0; }

    const std::string& name() const { return name_; }
    const std::string& path() const { return path_; }
    std::uint64_t frequency_mhz() const { return frequency_mhz_; }
    const std::map<std::string, ProfileCost>& costs() const { return costs_; }
    HypTiming hyp_timing() const { return hyp_timing_; }
    /// The instruction table (profile `instructions:`): issue width and, per
    /// class, latency and uops, each with its source.
    const InstructionTable& instructions() const { return instructions_; }
    /// Source of each `instructions:` entry ("issue_width", "alu", ...).
    const std::map<std::string, std::string>& instruction_sources() const { return insn_sources_; }

    CpuTiming cpu() const;
    LapicTiming lapic() const;
    VtdTiming vtd() const;
    NicTiming nic() const;
    PortTiming port() const;
    CoherenceTiming coherence() const;

    /// Directory holding the shipped profiles: PISIM_PROFILE_DIR, else
    /// data_dir("profiles") (installed share/pisim/profiles or the source tree's).
    static std::string default_dir();

private:
    std::string name_, path_;
    std::uint64_t frequency_mhz_ = 0;
    std::map<std::string, ProfileCost> costs_;
    HypTiming hyp_timing_ = HypTiming::Instructions;
    InstructionTable instructions_;
    std::map<std::string, std::string> insn_sources_;
};

/// Every key a profile must define (a profile missing one is rejected).
const char* const* profile_required_keys();

}  // namespace pisim
