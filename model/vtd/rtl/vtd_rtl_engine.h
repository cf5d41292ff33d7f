// model/vtd/rtl/vtd_rtl_engine.h - the VT-d interrupt request path in RTL
// (vtd_irq_path.sv, verilated into SystemC) behind a small SystemC surface
// [VTD 5.1.4, 5.2.3, 9.10, 9.11; SPEC 5].
//
// An alternative to the C++ request path of VtdUnit (vtd.engine: rtl): the
// checks, the IRTE decode and the posting read-modify-write are done by the
// RTL; this wrapper serves its memory port from PhysMem (and the interrupt
// entry cache, which stays in C++) with the profile's latencies.
//
// Clock gating: there is no free-running clock. process() is called from the
// caller's SC_THREAD and toggles the RTL clock itself while the request is in
// flight; between requests nothing runs. While the RTL waits for memory the
// clock is stopped for the memory latency (the RTL holds its state then).
//
// Timing (core cycles; P = VtdRtlTiming::clock_period, one RTL cycle is a low
// phase of P - P/2 then a high phase of P/2, the rising edge between them):
//   IRE=0 / compatibility / faults 0x25, 0x20, 0x21:  1 P
//   fault 0x23 (IRTE not accessible):                  2 P
//   faults 0x22, 0x24, 0x26, remapped message:         2 P + IRTE latency
//   fault 0x27 (PID not accessible):                   3 P + IRTE latency
//   fault 0x28 (PID reserved bit):                     3 P + IRTE latency + pid_rmw
//   posted (PID written, notification decided):        4 P + IRTE latency + pid_rmw
//   IRTE latency: iec_hit on an IEC hit, irte_fetch on a miss.
//   A PID line changed by another agent between the RMW's read and its write
//   is read again: + 2 P + pid_rmw per retry.
// vtd.decode of the C++ path has no counterpart: the RTL's own cycles are the
// decode and check cost.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <systemc>

#include "model/common/messages.h"
#include "model/common/phys_mem.h"
#include "model/common/trace.h"
#include "model/vtd/iec.h"
#include "model/vtd/irte.h"
#include "model/vtd/posting.h"

class Vvtd_irq_path;
class VerilatedVcdSc;

namespace pisim {
struct VtdIrqPathSignals;
}

namespace pisim {

/// Costs of the RTL engine, in core cycles.
struct VtdRtlTiming {
    std::uint64_t clock_period = 2;  ///< core cycles per RTL clock cycle (>= 2)
    std::uint64_t iec_hit = 0;       ///< IRTE from the interrupt entry cache (vtd.iec_hit)
    std::uint64_t irte_fetch = 0;    ///< IRTE 128-bit memory read (vtd.irte_fetch)
    std::uint64_t pid_rmw = 0;       ///< PID line acquisition for the RMW (vtd.pid_rmw)
};

/// Remapping hardware state the request path reads [VTD 10.4.5, 10.4.29].
struct VtdRtlConfig {
    std::uint64_t irta = 0;  ///< active IRTA: table base 63:12, EIME bit 11, S 3:0
    bool ires = false;       ///< GSTS.IRES: remapping enabled (0: pass-through)
    bool cfis = false;       ///< GSTS.CFIS: compatibility format allowed
};

/// What the RTL decided for one request.
struct VtdRtlResult {
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

class VtdRtlEngine : public sc_core::sc_module {
public:
    /// `iec` may be null (every IRTE is read from memory); entries that pass
    /// the present and reserved-field checks are filled into it, as the C++
    /// path does. Events emitted here (the rest is the caller's):
    /// VtdIrteFetch when the IRTE arrives, VtdPost when the PID line is
    /// written.
    VtdRtlEngine(sc_core::sc_module_name name, PhysMem& mem, EventSink& sink,
                 const VtdRtlTiming& timing, vtd::InterruptEntryCache* iec = nullptr);
    ~VtdRtlEngine() override;

    /// Run one MSI write through the RTL. Blocking: call from an SC_THREAD;
    /// returns when the RTL has produced its result (the PID write, if any,
    /// is visible by then; the caller sends the notification). One request at
    /// a time. Simulated time advances per the timing table above.
    VtdRtlResult process(const MsiWrite& w, const VtdRtlConfig& cfg);

    /// Dump the RTL's signals as VCD into `path` (time unit: 1 core cycle).
    /// Before sc_start() the file opens when simulation starts; later, at once.
    void trace_vcd(const std::string& path);

    struct Stats {
        std::uint64_t requests = 0, rtl_cycles = 0, pid_retries = 0;
    };
    const Stats& stats() const { return stats_; }

private:
    void start_of_simulation() override;
    void open_trace();
    void reset();
    void emit(EventKind k, std::uint64_t tag, std::uint64_t a, std::uint64_t b = 0,
              std::uint64_t c = 0, std::uint64_t d = 0, std::uint64_t e = 0, std::uint64_t f = 0);

    PhysMem& mem_;
    EventSink& sink_;
    const VtdRtlTiming timing_;
    vtd::InterruptEntryCache* iec_;
    std::unique_ptr<VtdIrqPathSignals> sig_;
    std::unique_ptr<Vvtd_irq_path> rtl_;
    std::unique_ptr<VerilatedVcdSc> vcd_;
    std::string vcd_path_;
    bool reset_done_ = false, busy_ = false;
    Stats stats_;
};

}  // namespace pisim
