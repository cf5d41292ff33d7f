// platform/pi_coverage.h - what a run reached of the posted-interrupt
// lifecycle, for `pisim explore` (coverage-guided generation).
//
// Three measures, all from the event stream (never from wall time):
//  - states: every (vCPU state, SN, ON, NV kind, on a blocking list) a vCPU
//    was in, where NV kind is the notification vector, the wakeup vector or
//    another value; 4 x 2 x 2 x 3 x 2 = 96 states;
//  - transitions: every ordered pair of states one vCPU went through;
//  - conflicting-access pairs: two consecutive accesses to the same object
//    (a vCPU's posted-interrupt descriptor and blocking-list membership, or
//    one IRTE) by different agents (the VT-d unit, a CPU's posted-interrupt
//    processing, hypervisor software on each pCPU) within kPairWindow cycles, at least
//    one a write: the "potential memory communication" of Snowboard
//    (Gong et al., SOSP 2021) and the interleavings SKI explores (Fonseca
//    et al., OSDI 2014). A pair is counted per order, so a race tried both
//    ways counts twice; explore targets the order not yet seen with a timing
//    perturbation of the first access's agent (Perturbation, scenario.h).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/common/trace.h"

namespace pisim {

/// An access class of the posted-interrupt protocol.
enum class PiAccess : std::uint8_t {
    VtdPost,      ///< VT-d sets a PIR bit and ON (posting, VT-d 5.2.3)
    CpuPiProcess, ///< a CPU's posted-interrupt processing clears ON and PIR (SDM 29.6)
    HypPir,       ///< hypervisor software takes or sets PIR bits
    HypOn,        ///< hypervisor software changes ON
    HypSn,        ///< hypervisor software changes SN
    HypNv,        ///< hypervisor software changes NV
    HypNdst,      ///< hypervisor software changes NDST
    HypListAdd,   ///< the vCPU is added to a blocking list
    HypListDel,   ///< the vCPU is removed from a blocking list
    HypState,     ///< the vCPU's scheduling state changes
    HypIrteWrite, ///< software writes an IRTE
    VtdIrteFetch, ///< VT-d reads an IRTE from memory (an IEC hit is no access)
    Count
};
const char* pi_access_name(PiAccess a);

/// One occurrence of a conflicting pair: `first` at `cycle`, `second`
/// `gap` cycles later on the same object. `pcpu` is the pCPU of a first
/// access made by hypervisor software when the event names it, else -1.
struct PairInstance {
    PiAccess first{}, second{};
    std::uint64_t cycle = 0, gap = 0;
    int pcpu = -1;
    /// Where a perturbation of the first agent must start to move its access:
    /// for the VT-d unit, the cycle its interrupt request started (a hold
    /// delays a request before its first step, VtdUnit::hold_requests); for
    /// others, `cycle`.
    std::uint64_t start = 0;
};

class PiCoverage {
public:
    static constexpr std::uint64_t kPairWindow = 5000;  ///< cycles

    /// `agent`: the canonical rank of the SystemC process that emitted `e`
    /// (EventHub::agent_now; 0 unknown). Hypervisor software running on two
    /// pCPUs is two agents: a race between two pCPUs' code (a block path and
    /// a device assignment, two migrations) is a pair as a race with the
    /// hardware is.
    void on_event(const Event& e, std::uint32_t agent = 0);

    std::set<std::uint32_t> states;                          ///< state ids (state_name)
    std::set<std::uint32_t> transitions;                     ///< from * 96 + to
    std::set<std::uint32_t> pairs;                           ///< first * 16 + second
    std::map<std::uint32_t, PairInstance> first_instance;    ///< per pair, its first occurrence

    /// Names a state id: "blocked SN=0 ON=1 NV=wakeup listed".
    static std::string state_name(std::uint32_t id);
    static constexpr std::uint32_t kStates = 96;

    nlohmann::json to_json() const;
    /// Read what to_json wrote (a child's answer); throws nlohmann::json errors.
    static PiCoverage from_json(const nlohmann::json& j);
    /// Add `o`'s sets to this one; returns how many elements were new.
    std::size_t merge(const PiCoverage& o);

    /// Set the notification and wakeup vectors (for the NV kind).
    void set_vectors(std::uint8_t notification, std::uint8_t wakeup) { nv_ = notification, wv_ = wakeup; }

private:
    struct VcpuView {
        std::uint32_t state = 0;
        std::uint64_t control = 0;
        bool listed = false;
        int last = -1;  ///< state id last recorded
        int pcpu = -1;  ///< pCPU it last ran or was scheduled on
    };
    struct LastAccess {
        PiAccess what{};
        std::uint32_t agent = 0;  ///< 0 VT-d, 1 CPU, 2 + process rank: software
        std::uint64_t cycle = 0;
        int pcpu = -1;
        std::uint64_t start = 0;  ///< PairInstance::start
        bool valid = false;
    };
    void record_state(VcpuView& v);
    void access(std::uint64_t object, PiAccess what, std::uint32_t agent, std::uint64_t cycle, int pcpu,
                std::uint64_t start);

    std::map<std::uint32_t, VcpuView> vcpus_;
    std::map<std::uint64_t, LastAccess> last_;  ///< by object: vCPU id, or 1 << 32 | IRTE index
    std::uint8_t nv_ = 0, wv_ = 0;
    std::uint64_t vtd_request_ = 0;  ///< cycle the VT-d unit's current request started
};

}  // namespace pisim
