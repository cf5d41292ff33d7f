// model/vtd/vtd.cpp - the VT-d interrupt-remapping unit [VTD ch. 5, 6.5, 7,
// 9.9-9.11, 10.4].
//
// MSI writes arrive through msi_in (b_transport never waits: it queues the
// request and returns). One SC_THREAD, request_engine, takes them in arrival
// order from a time-ordered queue (requests of one cycle by requester ID, as
// a root port arbiter with fixed priority: so their order never depends on
// which device's thread the kernel ran first) and runs
// process_interrupt_request on each:
// the checks in the specification's order, IRTE from the IEC or memory, then
// remapping or posting. It sleeps while the queue is empty; each step of a
// request is one timed wait, the step's cycles from request_timing.h.
#include "model/vtd/vtd.h"

#include <algorithm>
#include <cassert>
#include <map>
#include <memory>
#include <tuple>
#include <utility>

#include "model/common/cycles.h"
#include "model/vtd/iec.h"
#include "model/vtd/invalidation_queue.h"
#include "model/vtd/posting.h"

namespace pisim {

namespace {
/// One queued MSI write.
struct PendingRequest {
    std::uint64_t address;
    std::uint32_t data;
    std::uint16_t requester_id;
    std::uint64_t tag;
};
}  // namespace

struct VtdUnit::Impl {
    Impl(PhysMem& m, const VtdTiming& t, EventSink& s)
        : mem(m), timing(t), sink(s), iec(t.iec_entries) {}

    PhysMem& mem;
    const VtdTiming timing;
    EventSink& sink;
    vtd::InterruptEntryCache iec;
    vtd::InFlightRequests inflight;
    std::unique_ptr<vtd::InvalidationQueue> iq;
    VtdRequestEngine* engine = nullptr;  // null: the C++ path below
    VtdRequestEngine::PidLineLatency pid_line_latency;  // unset: timing.pid_rmw

    // Registers [VTD 10.4].
    std::uint64_t irta_reg = 0;     // IRTA as last written
    std::uint64_t irta_active = 0;  // IRTA latched by GCMD.SIRTP
    bool ires = false, irtps = false, cfis = false;

    // Requests by (arrival cycle, requester ID, arrival sequence): arrival
    // order; one cycle's requests by requester, each requester's in order.
    std::map<std::tuple<std::uint64_t, std::uint16_t, std::uint64_t>, PendingRequest> queue;
    std::uint64_t arrival_seq = 0;
    sc_core::sc_event arrival;
    // hold_requests: (cycle, delay) in cycle order, the next at holds[next_hold].
    std::vector<std::pair<std::uint64_t, std::uint64_t>> holds;
    std::size_t next_hold = 0;

    std::vector<VtdFaultRecord> faults;
    Stats stats;

    bool eime() const { return irta_active & vtd_reg::IRTA_EIME; }
    std::uint64_t table_base() const { return irta_active & ~0xFFFull; }
    std::uint32_t table_entries() const { return vtd::irta_table_entries(irta_active); }

    void emit(EventKind k, std::uint64_t tag, std::uint64_t a, std::uint64_t b = 0,
              std::uint64_t c = 0, std::uint64_t d = 0, std::uint64_t e = 0,
              std::uint64_t f = 0) {
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
        sink.emit(ev);
    }

    void charge(std::uint64_t n) {
        if (n) sc_core::wait(cycles(n));
    }
    /// Invariant: a request ending with `end` took request_cycles() from `arrival`.
    void check_schedule(std::uint64_t arrival, vtd::RequestEnd end, std::uint64_t irte_latency,
                        std::uint32_t pid_retries, std::uint64_t pid_latency = 0) const {
        assert(now_cycles() - arrival ==
               vtd::request_cycles(timing, end, irte_latency, pid_retries, pid_latency));
        (void)arrival, (void)end, (void)irte_latency, (void)pid_retries, (void)pid_latency;
    }

    void record_fault(const PendingRequest& r, VtdFaultReason why, std::uint32_t index,
                      bool recorded);
    bool fetch_irte(const PendingRequest& r, std::uint32_t index, vtd::Irte& out,
                    std::uint64_t& latency);
    void deliver_remapped(VtdUnit& u, const PendingRequest& r, const vtd::RemapResult& x,
                          std::uint64_t index);
    vtd::RequestEnd post_interrupt(VtdUnit& u, const PendingRequest& r, const vtd::RemapResult& x,
                                   std::uint32_t& pid_retries, std::uint64_t& pid_latency);
    void send_notification(VtdUnit& u, const PendingRequest& r, std::uint32_t ndst, std::uint8_t nv,
                           std::uint64_t pda);
    void process_interrupt_request(VtdUnit& u, const PendingRequest& r);
    void process_with_engine(VtdUnit& u, const PendingRequest& r);
};

VtdUnit::VtdUnit(sc_core::sc_module_name name, PhysMem& mem, const VtdTiming& timing,
                 EventSink& sink)
    : sc_core::sc_module(name), msi_in("msi_in"), apic_bus("apic_bus"),
      impl_(new Impl(mem, timing, sink)) {
    impl_->iq = std::make_unique<vtd::InvalidationQueue>("iq", mem, impl_->iec, impl_->timing,
                                                         impl_->inflight, sink);
    msi_in.register_b_transport(this, &VtdUnit::b_transport);
    SC_HAS_PROCESS(VtdUnit);
    SC_THREAD(request_engine);
}

VtdUnit::~VtdUnit() { delete impl_; }

void VtdUnit::use_request_engine(VtdRequestEngine* engine) {
    impl_->engine = engine;
    if (engine) {
        engine->attach_iec(&impl_->iec);
        engine->set_pid_line_latency(impl_->pid_line_latency);
    }
}

void VtdUnit::set_pid_line_latency(VtdRequestEngine::PidLineLatency f) {
    impl_->pid_line_latency = std::move(f);
    if (impl_->engine) impl_->engine->set_pid_line_latency(impl_->pid_line_latency);
}

void VtdUnit::hold_requests(std::vector<std::pair<std::uint64_t, std::uint64_t>> holds) {
    assert(std::is_sorted(holds.begin(), holds.end()));
    impl_->holds = std::move(holds);
    impl_->next_hold = 0;
}

const std::vector<VtdFaultRecord>& VtdUnit::faults() const { return impl_->faults; }
const VtdUnit::Stats& VtdUnit::stats() const { return impl_->stats; }

// ---- registers [VTD 10.4] ----

std::uint64_t VtdUnit::read_reg(std::uint32_t offset) const {
    const Impl& s = *impl_;
    switch (offset) {
        case vtd_reg::GSTS:
            return (s.iq->enabled() ? vtd_reg::GSTS_QIES : 0) | (s.ires ? vtd_reg::GSTS_IRES : 0) |
                   (s.irtps ? vtd_reg::GSTS_IRTPS : 0) | (s.cfis ? vtd_reg::GSTS_CFIS : 0);
        case vtd_reg::FSTS:
            return (s.faults.empty() ? 0 : vtd_reg::FSTS_PPF) | (s.iq->iqe() ? vtd_reg::FSTS_IQE : 0);
        case vtd_reg::IQH:
            return s.iq->iqh();
        case vtd_reg::IQT:
            return s.iq->iqt();
        case vtd_reg::IQA:
            return s.iq->iqa();
        case vtd_reg::ICS:
            return s.iq->iwc() ? vtd_reg::ICS_IWC : 0;
        case vtd_reg::IRTA:
            return s.irta_reg;
        default:
            return 0;  // GCMD is write-only; other registers are not modelled
    }
}

void VtdUnit::write_reg(std::uint32_t offset, std::uint64_t value) {
    Impl& s = *impl_;
    switch (offset) {
        case vtd_reg::GCMD: {
            // Global command [VTD 10.4.4]: one-shot SIRTP latches IRTA (the IEC
            // is not invalidated: software follows with a global IEC invalidation);
            // IRE, CFI, QIE are levels mirrored into GSTS.
            const auto v = static_cast<std::uint32_t>(value);
            if (v & vtd_reg::GCMD_SIRTP) {
                s.irta_active = s.irta_reg;
                s.irtps = true;
            }
            s.ires = v & vtd_reg::GCMD_IRE;
            s.cfis = v & vtd_reg::GCMD_CFI;
            s.iq->set_enabled(v & vtd_reg::GCMD_QIE);
            break;
        }
        case vtd_reg::FSTS:
            if (value & vtd_reg::FSTS_IQE) s.iq->clear_iqe();
            break;
        case vtd_reg::ICS:
            if (value & vtd_reg::ICS_IWC) s.iq->clear_iwc();
            break;
        case vtd_reg::IQA:
            s.iq->write_iqa(value);
            break;
        case vtd_reg::IQT:
            s.iq->write_iqt(value);
            break;
        case vtd_reg::IRTA:
            s.irta_reg = value & (~0xFFFull | vtd_reg::IRTA_EIME | 0xFull);
            break;
        default:
            break;  // read-only or not modelled
    }
}

// ---- requests ----

// TLM target: an MSI write. Never waits; the request is queued for
// request_engine at now + delay.
void VtdUnit::b_transport(int /*initiator: the requester ID says who*/, tlm::tlm_generic_payload& p,
                          sc_core::sc_time& delay) {
    const std::uint64_t addr = p.get_address();
    if (p.get_command() != tlm::TLM_WRITE_COMMAND || p.get_data_length() == 0 ||
        p.get_data_length() > 4) {
        p.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
        return;
    }
    if ((addr >> 20) != 0xFEE) {  // not in the interrupt address range [VTD 5.1]
        p.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        return;
    }
    std::uint32_t data = 0;
    const unsigned char* bytes = p.get_data_ptr();
    for (unsigned i = 0; i < p.get_data_length(); ++i) data |= std::uint32_t{bytes[i]} << (8 * i);
    PendingRequest r{addr, data, 0, 0};
    if (auto* ext = p.get_extension<PcieRequesterExt>()) {
        r.requester_id = ext->requester_id;
        r.tag = ext->tag;
    }
    Impl& s = *impl_;
    const std::uint64_t at = now_cycles() + to_cycles(delay);
    s.queue.emplace(std::make_tuple(at, r.requester_id, s.arrival_seq++), r);
    s.arrival.notify(delay);
    p.set_response_status(tlm::TLM_OK_RESPONSE);
}

void VtdUnit::request_engine() {
    Impl& s = *impl_;
    for (;;) {
        wait(s.arrival);
        while (!s.queue.empty() && std::get<0>(s.queue.begin()->first) <= now_cycles()) {
            const PendingRequest r = s.queue.begin()->second;
            s.queue.erase(s.queue.begin());
            ++s.inflight.started;
            std::uint64_t hold = 0;
            while (s.next_hold < s.holds.size() && s.holds[s.next_hold].first <= now_cycles())
                hold += s.holds[s.next_hold++].second;
            s.charge(hold);
            s.process_interrupt_request(*this, r);
            ++s.inflight.completed;
            assert(s.inflight.completed == s.inflight.started);
            s.inflight.completed_event.notify(sc_core::SC_ZERO_TIME);
        }
        if (!s.queue.empty()) s.arrival.notify(cycles(std::get<0>(s.queue.begin()->first) - now_cycles()));
    }
}

// Fault recording [VTD 7.1.3, 10.4.14]: a fault the IRTE's FPD suppresses is
// not recorded; the request is dropped either way.
void VtdUnit::Impl::record_fault(const PendingRequest& r, VtdFaultReason why,
                                 std::uint32_t index, bool recorded) {
    if (recorded) {
        faults.push_back(VtdFaultRecord{now_cycles(), why, r.requester_id,
                                        static_cast<std::uint16_t>(index), r.tag});
        ++stats.faults;
    } else {
        ++stats.suppressed_faults;
    }
    emit(EventKind::VtdFault, r.tag, static_cast<std::uint64_t>(why), index, r.requester_id,
         recorded ? 1 : 0);
}

// IRTE from the interrupt entry cache, or a 128-bit read of the table entry
// at IRTA.base + 16 * index [VTD 5.1.4, 9.10]: the IRTE-check step's clock
// plus the entry's latency (none when not accessible); the memory copy is
// sampled when the fetch completes. False: the entry is not accessible
// (fault 0x23). `latency`: iec_hit, irte_fetch or 0.
bool VtdUnit::Impl::fetch_irte(const PendingRequest& r, std::uint32_t index, vtd::Irte& out,
                               std::uint64_t& latency) {
    if (iec.lookup(index, out)) {
        ++stats.iec_hits;
        latency = timing.iec_hit;
        charge(vtd::irte_check_cycles(timing, latency));
        emit(EventKind::VtdIrteFetch, r.tag, index, 1, out.lo, out.hi);
        return true;
    }
    ++stats.iec_misses;
    const std::uint64_t at = table_base() + vtd::kIrteBytes * index;
    const bool accessible = mem.is_ram(at, vtd::kIrteBytes);
    latency = accessible ? timing.irte_fetch : 0;
    charge(vtd::irte_check_cycles(timing, latency));
    if (!accessible) return false;
    out.lo = mem.read64(at);
    out.hi = mem.read64(at + 8);
    emit(EventKind::VtdIrteFetch, r.tag, index, 0, out.lo, out.hi);
    // Only entries that pass the entry checks are cached.
    if (vtd::irte_present(out) && !vtd::irte_reserved_fields_set(out, eime())) iec.fill(index, out);
    return true;
}

void VtdUnit::Impl::deliver_remapped(VtdUnit& u, const PendingRequest& r,
                                     const vtd::RemapResult& x, std::uint64_t index) {
    ApicMessage m;
    m.dest = x.dest;
    m.dest_logical = x.dest_logical;
    m.shorthand = Shorthand::None;
    m.source_apic = ~0u;
    m.mode = static_cast<DeliveryMode>(x.delivery_mode);
    m.vector = x.vector;
    m.level_triggered = x.level_triggered;
    m.tag = r.tag;
    ++stats.remapped;
    emit(EventKind::VtdRemap, r.tag, index, x.dest, x.vector, x.dest_logical ? 1 : 0);
    u.apic_bus->deliver(m);
}

// Posting [VTD 5.2.3, 9.11]: one atomic read-modify-write of the PID
// line, then the notification if X. Clocked as the RTL does it
// (request_timing.h): the PID-check step (one clock plus pid_rmw) reads the
// line and decides 0x27/0x28 or the update; the PID-write step (one clock)
// writes it if no other agent changed it meanwhile, else the PID-check step
// runs again. The notification follows the write at once. Returns the last
// step run; `pid_retries` counts the refused writes.
vtd::RequestEnd VtdUnit::Impl::post_interrupt(VtdUnit& u, const PendingRequest& r,
                                              const vtd::RemapResult& x,
                                              std::uint32_t& pid_retries,
                                              std::uint64_t& pid_latency) {
    vtd::PidRmw m;
    for (;;) {
        const std::uint64_t latency = pid_line_latency ? pid_line_latency(x.pda) : timing.pid_rmw;
        pid_latency += latency;
        charge(vtd::pid_check_cycles(timing, latency));
        m = vtd::post_interrupt_read(mem, x.pda, x.posted_vector, x.urgent, eime());
        if (m.result.faulted) {
            record_fault(r, m.result.fault, x.index,
                         !(x.fpd && vtd::fault_is_fpd_qualified(m.result.fault)));
            return vtd::RequestEnd::PidChecks;
        }
        charge(vtd::pid_write_cycles(timing));
        mem.set_agent(PhysMem::Agent::Vtd);
        if (vtd::post_interrupt_write(mem, x.pda, m)) break;
        ++pid_retries;
    }
    const vtd::PostingResult& p = m.result;
    ++stats.posted;
    emit(EventKind::VtdPost, r.tag, x.index, x.pda, x.posted_vector, p.old_control, p.new_control,
         p.notify ? 1 : 0);
    if (p.notify) send_notification(u, r, p.ndst, p.nv, x.pda);
    return vtd::RequestEnd::PidWrite;
}

// The notification after a post [VTD 5.2.3]: fixed delivery,
// physical destination, edge, vector NV, destination NDST.
void VtdUnit::Impl::send_notification(VtdUnit& u, const PendingRequest& r, std::uint32_t ndst,
                                      std::uint8_t nv, std::uint64_t pda) {
    ApicMessage m;
    m.dest = ndst;
    m.dest_logical = false;
    m.shorthand = Shorthand::None;
    m.source_apic = ~0u;
    m.mode = DeliveryMode::Fixed;
    m.vector = nv;
    m.level_triggered = false;
    m.tag = r.tag;
    ++stats.notifications;
    emit(EventKind::VtdNotify, r.tag, ndst, nv, pda);
    u.apic_bus->deliver(m);
}

// Interrupt-remapping hardware operation [VTD 5.1.4], in order:
// decode; (IRE=0: pass through); compatibility blocked (0x25) or passed
// through; request reserved fields (0x20); index < table size (0x21) - the
// request-check step; IRTE from IEC or memory (0x23); present (0x22); IRTE
// reserved fields (0x24); source ID (0x26); IM=0 remap - the IRTE-check step;
// IM=1 post (0x27, 0x28) - the PID-check and PID-write steps.
void VtdUnit::Impl::process_interrupt_request(VtdUnit& u, const PendingRequest& r) {
    ++stats.requests;
    emit(EventKind::VtdRequest, r.tag, r.address, r.data, r.requester_id);
    if (engine) {
        process_with_engine(u, r);
        return;
    }
    const std::uint64_t arrival = now_cycles();
    charge(vtd::request_check_cycles(timing));

    if (!ires) {
        // Remapping disabled: every request is handled in compatibility format [VTD 5.1].
        const vtd::RemapResult x =
            vtd::check_interrupt_request(r.address & ~0x10ull, r.data, 0, false, true);
        assert(x.outcome == vtd::RemapOutcome::Compatibility);
        deliver_remapped(u, r, x, kCompatIndex);
        check_schedule(arrival, vtd::RequestEnd::RequestChecks, 0, 0);
        return;
    }

    const vtd::RemapResult first =
        vtd::check_interrupt_request(r.address, r.data, table_entries(), eime(), cfis);
    switch (first.outcome) {
        case vtd::RemapOutcome::Fault:
            record_fault(r, first.fault, first.index, first.fault_recorded);
            check_schedule(arrival, vtd::RequestEnd::RequestChecks, 0, 0);
            return;
        case vtd::RemapOutcome::Compatibility:
            deliver_remapped(u, r, first, kCompatIndex);
            check_schedule(arrival, vtd::RequestEnd::RequestChecks, 0, 0);
            return;
        case vtd::RemapOutcome::IrteNeeded:
            break;
        default:
            assert(false && "stage 1 yields Fault, Compatibility or IrteNeeded");
            return;
    }

    vtd::Irte irte;
    std::uint64_t irte_latency = 0;
    if (!fetch_irte(r, first.index, irte, irte_latency)) {
        record_fault(r, VtdFaultReason::TableAccess, first.index, true);
        check_schedule(arrival, vtd::RequestEnd::IrteChecks, irte_latency, 0);
        return;
    }
    const vtd::RemapResult x = vtd::process_irte(first.index, irte, r.requester_id, eime());
    switch (x.outcome) {
        case vtd::RemapOutcome::Fault:
            record_fault(r, x.fault, x.index, x.fault_recorded);
            check_schedule(arrival, vtd::RequestEnd::IrteChecks, irte_latency, 0);
            return;
        case vtd::RemapOutcome::Remapped:
            deliver_remapped(u, r, x, x.index);
            check_schedule(arrival, vtd::RequestEnd::IrteChecks, irte_latency, 0);
            return;
        case vtd::RemapOutcome::Posted: {
            std::uint32_t retries = 0;
            std::uint64_t pid_latency = 0;
            const vtd::RequestEnd end = post_interrupt(u, r, x, retries, pid_latency);
            check_schedule(arrival, end, irte_latency, retries, pid_latency);
            return;
        }
        default:
            assert(false && "stage 2 yields Fault, Remapped or Posted");
    }
}

// The same request decided by the engine (vtd.engine: rtl): it runs the checks,
// fetches the IRTE (emitting VtdIrteFetch) and does the posting RMW (emitting
// VtdPost, the PID line written); this unit records the fault, or delivers
// the remapped message or the notification, as on the C++ path.
void VtdUnit::Impl::process_with_engine(VtdUnit& u, const PendingRequest& r) {
    MsiWrite w;
    w.address = r.address;
    w.data = r.data;
    w.requester_id = r.requester_id;
    w.tag = r.tag;
    VtdRequestConfig cfg;
    cfg.irta = irta_active;
    cfg.ires = ires;
    cfg.cfis = cfis;
    const VtdRequestResult x = engine->process(w, cfg);
    if (x.irte_fetched) ++(x.iec_hit ? stats.iec_hits : stats.iec_misses);
    else if (x.remap.outcome == vtd::RemapOutcome::Fault && x.remap.fault == VtdFaultReason::TableAccess)
        ++stats.iec_misses;
    switch (x.remap.outcome) {
        case vtd::RemapOutcome::Fault:
            record_fault(r, x.remap.fault, x.remap.index, x.remap.fault_recorded);
            return;
        case vtd::RemapOutcome::Compatibility:
            deliver_remapped(u, r, x.remap, kCompatIndex);
            return;
        case vtd::RemapOutcome::Remapped:
            deliver_remapped(u, r, x.remap, x.remap.index);
            return;
        case vtd::RemapOutcome::Posted: {
            ++stats.posted;
            if (x.notify) send_notification(u, r, x.ndst, x.nv, x.remap.pda);
            return;
        }
        default:
            assert(false && "the engine yields Fault, Compatibility, Remapped or Posted");
    }
}

}  // namespace pisim
