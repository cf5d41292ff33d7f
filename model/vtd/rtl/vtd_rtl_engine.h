// model/vtd/rtl/vtd_rtl_engine.h - the VT-d interrupt request path in RTL
// (vtd_irq_path.sv, verilated into SystemC) behind a small SystemC surface
// [VTD 5.1.4, 5.2.3, 9.10, 9.11].
//
// An alternative to the C++ request path of VtdUnit (vtd.engine: rtl): the
// checks, the IRTE decode and the posting read-modify-write are done by the
// RTL; this wrapper serves its memory port from PhysMem (and the interrupt
// entry cache, which stays in C++) with the profile's latencies.
//
// Clock gating: there is no free-running clock. process() is called from the
// caller's SC_THREAD and clocks the RTL itself while the request is in
// flight; between requests nothing runs. While the RTL waits for memory the
// clock is stopped for the memory latency (the RTL holds its state then).
// The model is evaluated directly at each edge (vtd_irq_path_eval): one RTL
// cycle costs two evaluations and at most one timed wait.
//
// Timing (core cycles; P = VtdTiming::clock_period). The first rising edge
// is P after the request's arrival; each later one P after the previous plus
// the latency of the memory access answered at it; the result is ready at the
// last rising edge. Memory is sampled (IRTE, PID line) or written (PID line)
// at the edge that completes the access: the PID write is at the last edge,
// so the notification follows it in the same cycle. This is the clock
// schedule of model/vtd/request_timing.h, which the C++ path charges:
//   IRE=0 / compatibility / faults 0x25, 0x20, 0x21:  1 P
//   fault 0x23 (IRTE not accessible):                  2 P
//   faults 0x22, 0x24, 0x26, remapped message:         2 P + IRTE latency
//   fault 0x27 (PID not accessible):                   3 P + IRTE latency + pid_rmw
//   fault 0x28 (PID reserved bit):                     3 P + IRTE latency + pid_rmw
//   posted (PID written, notification decided):        4 P + IRTE latency + pid_rmw
//   IRTE latency: iec_hit on an IEC hit, irte_fetch on a miss.
//   A PID line changed by another agent between the RMW's read (third edge)
//   and its write (fourth edge, P later) is read again: + 2 P + pid_rmw per
//   retry.
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
#include "model/vtd/request_timing.h"
#include "model/vtd/rtl/vtd_request_engine.h"

class Vvtd_irq_path;
class VerilatedVcdSc;

namespace pisim {

struct VtdIrqPathSignals;

class VtdRtlEngine : public sc_core::sc_module, public VtdRequestEngine {
public:
    /// `iec` may be null (every IRTE is read from memory); entries that pass
    /// the present and reserved-field checks are filled into it, as the C++
    /// path does. Events emitted here (the rest is the caller's):
    /// VtdIrteFetch when the IRTE arrives, VtdPost when the PID line is
    /// written. From `timing` (the unit's VtdTiming) the engine uses
    /// clock_period (>= 2: high P/2, low the rest), iec_hit, irte_fetch and
    /// pid_rmw.
    VtdRtlEngine(sc_core::sc_module_name name, PhysMem& mem, EventSink& sink,
                 const VtdTiming& timing, vtd::InterruptEntryCache* iec = nullptr);
    ~VtdRtlEngine() override;

    /// Run one MSI write through the RTL. Blocking: call from an SC_THREAD;
    /// returns when the RTL has produced its result (the PID write, if any,
    /// is visible by then; the caller sends the notification). One request at
    /// a time. Simulated time advances per the timing table above.
    VtdRequestResult process(const MsiWrite& w, const VtdRequestConfig& cfg) override;

    /// Use `iec` (may be null) from the next request on.
    void attach_iec(vtd::InterruptEntryCache* iec) override { iec_ = iec; }

    /// Dump the RTL's signals as VCD into `path` (time unit: 1 core cycle,
    /// written as 1ps). Before sc_start() the file opens when simulation
    /// starts; later, at once. Timing is the same with or without the dump.
    void trace_vcd(const std::string& path);
    /// Flush and close the dump (nothing when none is open); the file is
    /// complete afterwards. Later cycles are not dumped.
    void close_trace();

    struct Stats {
        std::uint64_t requests = 0, rtl_cycles = 0, pid_retries = 0;
    };
    const Stats& stats() const { return stats_; }

private:
    void start_of_simulation() override;
    void open_trace();
    void reset();
    void edge();
    void emit(EventKind k, std::uint64_t tag, std::uint64_t a, std::uint64_t b = 0,
              std::uint64_t c = 0, std::uint64_t d = 0, std::uint64_t e = 0, std::uint64_t f = 0);

    PhysMem& mem_;
    EventSink& sink_;
    const VtdTiming timing_;
    vtd::InterruptEntryCache* iec_;
    std::unique_ptr<VtdIrqPathSignals> sig_;
    std::unique_ptr<Vvtd_irq_path> rtl_;
    std::unique_ptr<VerilatedVcdSc> vcd_;
    std::string vcd_path_;
    bool reset_done_ = false, busy_ = false;
    std::uint64_t rest_ = 0;  // cycles of the current RTL cycle still to wait
    Stats stats_;
};

}  // namespace pisim
