// model/vtd/rtl/vtd_rtl_engine.cpp - SystemC wrapper of the verilated
// vtd_irq_path: gated clock, memory port served from PhysMem and the IEC
// [VTD 5.1.4, 5.2.3, 9.10, 9.11]. Timing table in the header.
#include "model/vtd/rtl/vtd_rtl_engine.h"

#include <cassert>

#include "Vvtd_irq_path.h"
#include "model/common/cycles.h"
#include "model/vtd/rtl/vtd_irq_path_signals.h"
#include "verilated.h"
#include "verilated_vcd_sc.h"

namespace {
// Vvtd_irq_path::eval() is what the verilated module's SC_METHOD runs; the
// SystemC-mode model keeps it private. The engine runs it itself at the clock
// edges it makes (VtdPortSignal writes raise no events, so the SC_METHOD does
// not run after time 0): a cycle costs two evaluations instead of two method
// activations and four delta cycles. The member is reached through an
// explicit instantiation, where access is not checked [C++17 temp.explicit/14].
struct EvalTag {
    using type = void (Vvtd_irq_path::*)();
    friend type member(EvalTag);
};
template <typename Tag, typename Tag::type M>
struct Expose {
    friend typename Tag::type member(Tag) { return M; }
};
template struct Expose<EvalTag, &Vvtd_irq_path::eval>;

}  // namespace

namespace pisim {

namespace {
// The last step of the request schedule (request_timing.h) a result implies.
[[maybe_unused]] vtd::RequestEnd request_end(const VtdRequestResult& r) {
    if (r.remap.outcome == vtd::RemapOutcome::Posted) return vtd::RequestEnd::PidWrite;
    if (r.remap.outcome == vtd::RemapOutcome::Fault &&
        (r.remap.fault == VtdFaultReason::PidAccess || r.remap.fault == VtdFaultReason::ReservedPid))
        return vtd::RequestEnd::PidChecks;
    if (r.irte_fetched || (r.remap.outcome == vtd::RemapOutcome::Fault &&
                           r.remap.fault == VtdFaultReason::TableAccess))
        return vtd::RequestEnd::IrteChecks;
    return vtd::RequestEnd::RequestChecks;
}
}  // namespace

void vtd_irq_path_eval(Vvtd_irq_path& m) { (m.*member(EvalTag{}))(); }

VtdRtlEngine::VtdRtlEngine(sc_core::sc_module_name name, PhysMem& mem, EventSink& sink,
                           const VtdTiming& timing, vtd::InterruptEntryCache* iec)
    : sc_core::sc_module(name), mem_(mem), sink_(sink), timing_(timing), iec_(iec),
      sig_(new VtdIrqPathSignals) {
    assert(timing_.clock_period >= 2 && "one RTL cycle has a low and a high phase");
    Verilated::traceEverOn(true);
    rtl_.reset(new Vvtd_irq_path("vtd_irq_path"));
    sig_->bind(*rtl_);
}

VtdRtlEngine::~VtdRtlEngine() {
    if (vcd_) vcd_->close();
    rtl_->final();
}

void VtdRtlEngine::trace_vcd(const std::string& path) {
    vcd_path_ = path;
    if (sc_core::sc_get_curr_simcontext()->elaboration_done()) open_trace();
}

void VtdRtlEngine::start_of_simulation() {
    if (!vcd_path_.empty() && !vcd_) open_trace();
    reset();
}

void VtdRtlEngine::emit(EventKind k, std::uint64_t tag, std::uint64_t a, std::uint64_t b,
                        std::uint64_t c, std::uint64_t d, std::uint64_t e, std::uint64_t f) {
    Event ev;
    ev.cycle = now_cycles();
    ev.kind = k;
    ev.unit = 0;
    ev.tag = tag;
    ev.a = a;
    ev.b = b;
    ev.c = c;
    ev.d = d;
    ev.e = e;
    ev.f = f;
    sink_.emit(ev);
}

void VtdRtlEngine::close_trace() {
    if (vcd_) vcd_->close();
}

void VtdRtlEngine::open_trace() {
    vcd_.reset(new VerilatedVcdSc);
    rtl_->trace(vcd_.get(), 99);
    vcd_->open(vcd_path_.c_str());
}

// Synchronous reset before simulation starts, in zero simulated time: one
// evaluation with clk=0 (the model's own initialisation, which takes the
// clock's level as its previous value), then one rising edge with rst_n=0.
// The verilated module's SC_METHOD, run once at time 0, then sees no edge.
void VtdRtlEngine::reset() {
    sig_->clk.write(false);
    sig_->rst_n.write(false);
    vtd_irq_path_eval(*rtl_);
    sig_->clk.write(true);
    vtd_irq_path_eval(*rtl_);
    sig_->clk.write(false);
    vtd_irq_path_eval(*rtl_);
    sig_->rst_n.write(true);
    reset_done_ = true;
}

// The rising edge of an RTL cycle and its high phase: the model is evaluated
// here (inputs written, then vtd_irq_path_eval), rising then falling edge.
// With a VCD open the high phase is a timed wait so that the dump shows it
// (except after the edge that produces the result); without, the two
// evaluations are back to back and the high phase is folded into the next
// wait: the same instants either way. Sets rest_, the cycles of this period
// still to wait before the next edge.
void VtdRtlEngine::edge() {
    const std::uint64_t high = timing_.clock_period / 2;
    sig_->clk.write(true);
    vtd_irq_path_eval(*rtl_);
    const bool done = sig_->rsp_valid.read() && sig_->req_ready.read();
    const bool show_high = vcd_ && !done;
    if (show_high) sc_core::wait(cycles(high));
    sig_->clk.write(false);
    vtd_irq_path_eval(*rtl_);
    rest_ = show_high ? timing_.clock_period - high : timing_.clock_period;
}

VtdRequestResult VtdRtlEngine::process(const MsiWrite& w, const VtdRequestConfig& cfg) {
    assert(!busy_ && "one request at a time");
    busy_ = true;
    assert(reset_done_ && "reset at start_of_simulation");
    const std::uint64_t arrival = now_cycles();
    VtdIrqPathSignals& s = *sig_;
    VtdRequestResult r;
    const bool eime = cfg.irta & (1ull << 11);

    // The request, sampled at the first edge.
    s.cfg_irta.write(cfg.irta);
    s.cfg_ires.write(cfg.ires);
    s.cfg_cfis.write(cfg.cfis);
    s.req_address.write(w.address);
    s.req_data.write(w.data);
    s.req_requester_id.write(w.requester_id);
    s.req_valid.write(true);

    // What the memory port owes the RTL before the next edge.
    enum class Serve { None, Error, IrteFromIec, IrteFromMemory, PidRead, PidWrite };
    Serve serve = Serve::None;
    std::uint64_t latency = 0;  // memory latency, cycles the clock stays stopped
    std::uint64_t pid_latency = 0;  // the PID line's latencies, summed
    vtd::Irte cached;           // the IEC's copy, taken at lookup
    vtd::PidLine snapshot{};    // the PID line as the RMW read it
    rest_ = timing_.clock_period;  // the first edge is one period after arrival
    for (;;) {
        // 1. The rest of the period, stretched by the memory latency.
        sc_core::wait(cycles(rest_ + latency));
        latency = 0;
        // 2. Answer the outstanding access: its data is sampled now, when
        //    the access completes.
        if (serve != Serve::None) {
            const std::uint64_t at = s.mem_req_addr.read();
            switch (serve) {
                case Serve::Error:
                    s.mem_rsp_error.write(true);
                    break;
                case Serve::IrteFromIec:
                case Serve::IrteFromMemory: {
                    const std::uint32_t index = s.mem_req_index.read();
                    vtd::Irte e = cached;
                    if (serve == Serve::IrteFromMemory) {
                        e.lo = mem_.read64(at);
                        e.hi = mem_.read64(at + 8);
                        // Only entries that pass the entry checks are cached.
                        if (iec_ && vtd::irte_present(e) && !vtd::irte_reserved_fields_set(e, eime))
                            iec_->fill(index, e);
                    }
                    r.irte_fetched = true;
                    r.irte = e;
                    emit(EventKind::VtdIrteFetch, w.tag, index, r.iec_hit ? 1 : 0, e.lo, e.hi);
                    const std::uint64_t words[2] = {e.lo, e.hi};
                    s.set_rdata(words, 2);
                    break;
                }
                case Serve::PidRead:
                    mem_.read(at, snapshot.data(), vtd::kPidBytes);
                    s.set_rdata(snapshot.data(), 8);
                    break;
                case Serve::PidWrite: {
                    // Written only if nobody wrote the line since the RMW read
                    // it; else the RTL reads it again.
                    vtd::PidLine current;
                    mem_.read(at, current.data(), vtd::kPidBytes);
                    if (current == snapshot) {
                        const vtd::PidLine line = s.wdata();
                        mem_.set_agent(PhysMem::Agent::Vtd);
                        mem_.write(at, line.data(), vtd::kPidBytes);
                        emit(EventKind::VtdPost, w.tag, s.rsp_index.read(), at,
                             s.rsp_posted_vector.read(), s.rsp_old_control.read(),
                             s.rsp_new_control.read(), s.rsp_notify.read() ? 1 : 0);
                    } else {
                        s.mem_rsp_retry.write(true);
                        ++r.pid_retries;
                    }
                    break;
                }
                case Serve::None:
                    break;
            }
            s.mem_rsp_valid.write(true);
            serve = Serve::None;
        }
        // 3. Rising edge, high phase, falling edge.
        edge();
        ++r.rtl_cycles;
        s.req_valid.write(false);
        s.mem_rsp_valid.write(false);
        s.mem_rsp_error.write(false);
        s.mem_rsp_retry.write(false);
        if (s.rsp_valid.read() && s.req_ready.read()) break;
        // 4. A new access is outstanding: its source and latency.
        assert(s.mem_req_valid.read() && "the RTL only waits for memory");
        const std::uint64_t at = s.mem_req_addr.read();
        if (!s.mem_req_pid.read()) {
            r.iec_hit = iec_ && iec_->lookup(s.mem_req_index.read(), cached);
            if (r.iec_hit) {
                serve = Serve::IrteFromIec;
                latency = timing_.iec_hit;
            } else if (mem_.is_ram(at, vtd::kIrteBytes)) {
                serve = Serve::IrteFromMemory;
                latency = timing_.irte_fetch;
            } else {
                serve = Serve::Error;  // 0x23, answered at once
            }
        } else if (!s.mem_req_write.read()) {
            // The line is fetched for ownership during pid_rmw; a line that is
            // not accessible is known only then (0x27), as on the C++ path.
            serve = mem_.is_ram(at, vtd::kPidBytes) ? Serve::PidRead : Serve::Error;
            latency = pid_line_latency(at, timing_.pid_rmw);
            pid_latency += latency;
        } else {
            serve = Serve::PidWrite;  // the line is held: no latency
        }
    }
    // The result is ready at the last rising edge (a PID write, done just
    // before it, is visible; the caller's notification follows at once).

    r.remap.outcome = static_cast<vtd::RemapOutcome>(s.rsp_outcome.read());
    r.remap.fault = static_cast<VtdFaultReason>(s.rsp_fault.read());
    r.remap.fault_recorded = s.rsp_fault_recorded.read();
    r.remap.index = s.rsp_index.read();
    r.remap.fpd = s.rsp_fpd.read();
    r.remap.dest = s.rsp_dest.read();
    r.remap.dest_logical = s.rsp_dm.read();
    r.remap.rh = s.rsp_rh.read();
    r.remap.level_triggered = s.rsp_tm.read();
    r.remap.delivery_mode = static_cast<std::uint8_t>(s.rsp_dlm.read());
    r.remap.vector = static_cast<std::uint8_t>(s.rsp_vector.read());
    r.remap.pda = s.rsp_pda.read();
    r.remap.posted_vector = static_cast<std::uint8_t>(s.rsp_posted_vector.read());
    r.remap.urgent = s.rsp_urgent.read();
    r.old_control = s.rsp_old_control.read();
    r.new_control = s.rsp_new_control.read();
    r.notify = s.rsp_notify.read();
    r.nv = static_cast<std::uint8_t>(s.rsp_nv.read());
    r.ndst = s.rsp_ndst.read();
    // Invariant: the RTL kept the clock schedule of request_timing.h.
    assert(r.rtl_cycles == vtd::request_clocks(request_end(r), r.pid_retries));
    assert(now_cycles() - arrival ==
           vtd::request_cycles(timing_, request_end(r),
                               r.iec_hit ? timing_.iec_hit : r.irte_fetched ? timing_.irte_fetch : 0,
                               r.pid_retries, pid_latency));
    (void)arrival, (void)pid_latency;
    ++stats_.requests;
    stats_.rtl_cycles += r.rtl_cycles;
    stats_.pid_retries += r.pid_retries;
    busy_ = false;
    return r;
}

}  // namespace pisim
