// model/vtd/vtd.h - the VT-d interrupt-remapping unit [VTD ch. 5, 6.5, 7, 9.9-9.11]:
// MSI decode, IRTE fetch through the interrupt entry cache, the
// checks in the specification's order with fault recording, remapping to an
// interrupt message, and posting into a posted-interrupt descriptor.
//
// Behaviour in short (details in vtd.cpp, irte.h, iec.h, invalidation_queue.h,
// posting.h):
// - msi_in's b_transport never waits: the write is queued at now + delay and
//   the call returns TLM_OK (TLM_ADDRESS_ERROR outside 0xFEEx_xxxx).
// - One process serves requests one at a time in arrival order, clocked as
//   the RTL request path is (request_timing.h): request checks (one clock);
//   IRTE checks (one clock plus iec_hit or irte_fetch, the entry sampled when
//   the fetch completes), then remap (message out at once); or, to post, PID
//   checks (one clock plus pid_rmw: the line read, 0x27/0x28, the update)
//   and PID write (one clock: the line written if unchanged since the read,
//   else read again; then the notification).
// - Events, all with the request's tag: VtdRequest at arrival; VtdIrteFetch
//   when the IRTE is in hand; VtdFault (d = recorded) instead of any delivery;
//   VtdRemap (a = index, or kCompatIndex for a compatibility pass-through);
//   VtdPost right after the PID write; VtdNotify when the notification leaves.
//   The queue emits VtdIecInvalidate when an IEC descriptor completes (after
//   draining) and VtdIqWait when a wait descriptor completes (tag 0).
#pragma once

#include <cstdint>
#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_target_socket.h>
#include <utility>
#include <vector>

#include "model/common/messages.h"
#include "model/common/phys_mem.h"
#include "model/common/trace.h"
#include "model/vtd/irte.h"  // VtdFaultReason, the pure IRTE/request functions
#include "model/vtd/request_timing.h"  // VtdTiming, the clock schedule of a request
#include "model/vtd/rtl/vtd_request_engine.h"

namespace pisim {

/// One recorded fault (a fault recording register) [VTD 10.4.14].
struct VtdFaultRecord {
    std::uint64_t cycle;
    VtdFaultReason reason;
    std::uint16_t requester_id;
    std::uint16_t index;     ///< interrupt index (FI), 0 for compatibility requests
    std::uint64_t tag;
};

/// Register offsets used by the model [VTD 10.4].
namespace vtd_reg {
constexpr std::uint32_t GCMD = 0x18, GSTS = 0x1C, FSTS = 0x34, IQH = 0x80, IQT = 0x88, IQA = 0x90,
                        ICS = 0x9C, IRTA = 0xB8;
constexpr std::uint32_t GCMD_IRE = 1u << 25, GCMD_SIRTP = 1u << 24, GCMD_CFI = 1u << 23,
                        GCMD_QIE = 1u << 26;
/// GSTS status bits mirror GCMD: QIES 26, IRES 25, IRTPS 24, CFIS 23 [VTD 10.4.5].
constexpr std::uint32_t GSTS_QIES = 1u << 26, GSTS_IRES = 1u << 25, GSTS_IRTPS = 1u << 24,
                        GSTS_CFIS = 1u << 23;
/// FSTS: PPF bit 1 (a fault is recorded), IQE bit 4 (write 1 to clear) [VTD 10.4.9].
constexpr std::uint32_t FSTS_PPF = 1u << 1, FSTS_IQE = 1u << 4;
/// ICS: IWC bit 0 (write 1 to clear) [VTD 10.4.25].
constexpr std::uint32_t ICS_IWC = 1u << 0;
/// IRTA fields [VTD 10.4.29]: base 63:12, EIME bit 11, S 3:0.
constexpr std::uint64_t IRTA_EIME = 1ull << 11;
}  // namespace vtd_reg

class VtdUnit : public sc_core::sc_module {
public:
    /// MSI writes from PCIe endpoints (TLM write, PcieRequesterExt attached);
    /// any number of endpoints, none included (a machine without devices).
    tlm_utils::multi_passthrough_target_socket<VtdUnit, 32, tlm::tlm_base_protocol_types, 0,
                                               sc_core::SC_ZERO_OR_MORE_BOUND>
        msi_in;
    /// Remapped interrupts and posting notifications go out here.
    sc_core::sc_port<ApicMessageIf> apic_bus;

    VtdUnit(sc_core::sc_module_name name, PhysMem& mem, const VtdTiming& timing,
            EventSink& sink);
    ~VtdUnit() override;

    /// 32/64-bit register access (offsets in vtd_reg) as software does it:
    /// IRTA, GCMD (IRE, SIRTP, CFI, QIE), IQA/IQT (a write to IQT starts
    /// processing the queued descriptors), GSTS/IQH/FSTS/ICS reads. FSTS.IQE
    /// and ICS.IWC are write-1-to-clear; FSTS.PPF reads 1 once a fault is
    /// recorded. GCMD is written as software does on hardware, one command at
    /// a time with the other enables kept: IRE, CFI and QIE take the written
    /// levels, SIRTP latches IRTA (and does not touch the IEC). Never waits;
    /// callable before sc_start.
    std::uint64_t read_reg(std::uint32_t offset) const;
    void write_reg(std::uint32_t offset, std::uint64_t value);

    /// Decide requests with `engine` (vtd.engine: rtl, VtdRtlEngine) instead of
    /// the C++ path; null restores the C++ path. The engine looks IRTEs up in
    /// and fills this unit's IEC and keeps the same clock schedule
    /// (request_timing.h). Call before sc_start() or between requests.
    void use_request_engine(VtdRequestEngine* engine);

    /// What acquiring a PID line costs the unit at each posting (the
    /// platform's coherence model), for both request paths; unset: the
    /// fixed pid_rmw (VtdRequestEngine::PidLineLatency).
    void set_pid_line_latency(VtdRequestEngine::PidLineLatency f);

    /// Timing perturbations: for each (cycle, delay), in cycle order, the
    /// first interrupt request the unit starts at or after `cycle` is held
    /// `delay` cycles before its first step (as if the unit's arbitration
    /// had served something else). A request that is held is still served in
    /// arrival order. Call before sc_start().
    void hold_requests(std::vector<std::pair<std::uint64_t, std::uint64_t>> holds);

    /// Fault records in the order recorded (FPD-suppressed faults are absent).
    const std::vector<VtdFaultRecord>& faults() const;

    /// Counters for reports and tests.
    struct Stats {
        std::uint64_t requests = 0, remapped = 0, posted = 0, notifications = 0, faults = 0,
                      suppressed_faults = 0, iec_hits = 0, iec_misses = 0;
    };
    const Stats& stats() const;

    /// VtdRemap's index argument for a compatibility-format interrupt passed
    /// through unremapped (CFIS=1, EIME=0, or IRE=0).
    static constexpr std::uint64_t kCompatIndex = 0xFFFFFFFFull;

    struct Impl;

private:
    void b_transport(int initiator, tlm::tlm_generic_payload& p, sc_core::sc_time& delay);
    void request_engine();
    Impl* impl_;
};

}  // namespace pisim
