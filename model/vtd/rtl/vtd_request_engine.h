// model/vtd/rtl/vtd_request_engine.h - the interface of an interchangeable
// VT-d request path (vtd.engine: rtl), what it is given and what it decides
// [VTD 5.1.4, 5.2.3]. Header only, no Verilator: VtdUnit can hold a
// VtdRequestEngine* without linking the RTL; the platform creates the engine
// (VtdRtlEngine, model/vtd/rtl/vtd_rtl_engine.h) and hands it to the unit.
#pragma once

#include <cstdint>
#include <functional>

#include "model/common/messages.h"
#include "model/vtd/iec.h"
#include "model/vtd/irte.h"

namespace pisim {

/// Remapping hardware state the request path reads [VTD 10.4.5, 10.4.29].
struct VtdRequestConfig {
    std::uint64_t irta = 0;  ///< active IRTA: table base 63:12, EIME bit 11, S 3:0
    bool ires = false;       ///< GSTS.IRES: remapping enabled (0: pass-through)
    bool cfis = false;       ///< GSTS.CFIS: compatibility format allowed
};

/// What the RTL decided for one request.
struct VtdRequestResult {
    /// Outcome, fault reason, recorded flag, index, FPD, message fields
    /// (Compatibility / Remapped) and posting target (Posted, 0x27/0x28) in
    /// the C++ model's terms. outcome is Fault, Compatibility, Remapped or Posted.
    vtd::RemapResult remap;
    // Posted outcome.
    std::uint64_t old_control = 0, new_control = 0;  ///< PID word 4 before / after
    bool notify = false;      ///< X: send the notification (fixed, physical, edge)
    std::uint8_t nv = 0;      ///< notification vector
    std::uint32_t ndst = 0;   ///< notification destination APIC ID (per EIME)
    // IRTE fetch (remappable requests that passed the index check).
    bool irte_fetched = false;
    bool iec_hit = false;
    vtd::Irte irte;
    // Cost.
    std::uint64_t rtl_cycles = 0;  ///< rising clock edges used by this request
    std::uint32_t pid_retries = 0; ///< PID writes refused because the line changed
};

/// A request path that decides one MSI write at a time: decode and checks,
/// IRTE (from the IEC or memory), remapping, or the posting RMW of the PID.
/// The caller emits VtdRequest, VtdFault, VtdRemap and VtdNotify and delivers
/// the messages; the engine emits VtdIrteFetch and VtdPost when they happen.
class VtdRequestEngine {
public:
    virtual ~VtdRequestEngine() = default;
    /// Blocking (call from an SC_THREAD); simulated time passes inside.
    virtual VtdRequestResult process(const MsiWrite& w, const VtdRequestConfig& cfg) = 0;
    /// The interrupt entry cache to look IRTEs up in and fill (null: none).
    virtual void attach_iec(vtd::InterruptEntryCache* iec) = 0;

    /// What acquiring the PID line at machine physical address `pa` costs the
    /// remapping unit now, in core cycles (the platform's cache-coherence
    /// model: a line a core holds is a snoop); unset: the fixed pid_rmw.
    using PidLineLatency = std::function<std::uint64_t(std::uint64_t pa)>;
    void set_pid_line_latency(PidLineLatency f) { pid_line_latency_ = std::move(f); }

protected:
    std::uint64_t pid_line_latency(std::uint64_t pa, std::uint64_t fixed) const {
        return pid_line_latency_ ? pid_line_latency_(pa) : fixed;
    }

private:
    PidLineLatency pid_line_latency_;
};

}  // namespace pisim
