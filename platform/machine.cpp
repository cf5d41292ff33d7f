#include "platform/machine.h"

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <sys/stat.h>
#include <chrono>
#include <cstring>
#include <stdexcept>

// Inlined: the event hash is on every event's path.
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "hyp/arch.h"
#include "hyp/trace.h"
#include "model/common/cycles.h"
#include "model/common/invariant.h"
#include "platform/input_error.h"
#include "platform/output_file.h"
#include "platform/run_limits.h"

namespace pisim {

void run_pcpu_software(Machine& m, std::uint32_t cpu);  // platform/port.cpp

Machine* Machine::instance_ = nullptr;

namespace {

std::uint32_t irq_mode_of(const std::string& m) {
    if (m == "emulated") return HYP_IRQ_EMULATED;
    if (m == "apicv") return HYP_IRQ_APICV;
    if (m == "cpu-pi") return HYP_IRQ_CPU_PI;
    return HYP_IRQ_VTD_PI;
}
}  // namespace

EventHub::EventHub() : hash_state_(XXH64_createState()) { XXH64_reset(static_cast<XXH64_state_t*>(hash_state_), 0); }
EventHub::~EventHub() { XXH64_freeState(static_cast<XXH64_state_t*>(hash_state_)); }

namespace {
void collect_processes(const std::vector<sc_core::sc_object*>& objs, std::vector<sc_core::sc_object*>& out) {
    for (sc_core::sc_object* o : objs) {
        const std::string k = o->kind();
        if (k == "sc_method_process" || k == "sc_thread_process" || k == "sc_cthread_process") out.push_back(o);
        collect_processes(o->get_child_objects(), out);
    }
}
}  // namespace

// Every process of the design gets its rank by name, once; a process made
// later (none is, today) ranks the design again, so a rank never depends on
// which process emitted first.
void EventHub::rank_agents() {
    std::vector<sc_core::sc_object*> procs;
    collect_processes(sc_core::sc_get_top_level_objects(), procs);
    std::sort(procs.begin(), procs.end(),
              [](sc_core::sc_object* x, sc_core::sc_object* y) { return natural_less(x->name(), y->name()); });
    agent_rank_.clear();
    for (std::size_t i = 0; i < procs.size(); ++i)
        agent_rank_[static_cast<const void*>(dynamic_cast<sc_core::sc_process_b*>(procs[i]))] =
            static_cast<std::uint32_t>(i + 1);
    last_process_ = nullptr;
}

std::uint32_t EventHub::agent_of(const void* p) {
    if (!p) return 0;
    auto it = agent_rank_.find(p);
    if (it == agent_rank_.end()) {
        rank_agents();
        it = agent_rank_.find(p);
        PISIM_INVARIANT("platform", it != agent_rank_.end() && "an event from a process the design does not hold");
    }
    last_process_ = p;
    last_agent_ = it->second;
    return last_agent_;
}

std::uint64_t EventHub::trace_hash() const {
    XXH64_state_t s;
    XXH64_copyState(&s, static_cast<const XXH64_state_t*>(hash_state_));
    XXH64_update(&s, hash_buf_, hash_fill_ * sizeof hash_buf_[0]);
    return XXH64_digest(&s);
}

void EventHub::emit(const Event& e) {
    // The port lets a pCPU run root-mode code up to its interrupt bound
    // without a wait (port.cpp, refresh_horizons): no interrupt may reach its
    // local APIC earlier while it waits there.
    if (e.kind == EventKind::ApicAccept) {
        const PortCpu& c = Machine::instance()->pcpus[e.unit];
        PISIM_INVARIANT("platform", !c.in_root_wait || e.cycle >= c.interrupt_bound);
    }
    order(e, false);
}

void EventHub::emit_violation(const Event& v) { order(v, true); }

void EventHub::order(const Event& e, bool hyp_violation) {
    const std::uint64_t now = now_cycles();
    PISIM_INVARIANT("platform", e.cycle >= now && "an event precedes the kernel's time");
    if (now > now_) {
        now_ = now;
        release(now);
    }
    const std::uint32_t agent = agent_now();
    // Not ahead of the kernel: every waiting event is (those at or before
    // `now` were just released), and every later event will be.
    if (e.cycle <= now) {
        process(e, agent, hyp_violation);
        return;
    }
    waiting_.push_back({e, seq_++, agent, hyp_violation});
    std::push_heap(waiting_.begin(), waiting_.end(), later);
}

bool EventHub::later(const Waiting& x, const Waiting& y) {
    return x.e.cycle != y.e.cycle ? x.e.cycle > y.e.cycle : x.seq > y.seq;
}

void EventHub::release(std::uint64_t upto) {
    while (!waiting_.empty() && waiting_.front().e.cycle <= upto) {
        std::pop_heap(waiting_.begin(), waiting_.end(), later);
        const Waiting w = waiting_.back();
        waiting_.pop_back();
        process(w.e, w.agent, w.hyp_violation);
    }
}

void EventHub::flush() {
    release(~0ull);
    drain_canonical();
}

// One cycle's events to the hash and the trace, in canonical order.
void EventHub::drain_canonical() {
    canonical_.drain([this](const Event& e, bool violation) {
        if (violation) {
            if (trace) trace->record_violation(e);
            return;
        }
        hash(e);
        if (trace) trace->record(e);
    });
}

void EventHub::catch_up() {
    const std::uint64_t now = now_cycles();
    if (now > now_) now_ = now;
    release(now);
}

void EventHub::process(const Event& e, std::uint32_t agent, bool hyp_violation) {
    if (hyp_violation) {
        if (trace) put_canonical(e, CanonicalCycle::kViolations, true);
        return;
    }
    put_canonical(e, agent, false);
    ++events;
    if (e.kind == EventKind::GuestIsrBegin) ++isr_counts[{static_cast<int>(e.unit), static_cast<std::uint8_t>(e.a)}];
    tracker.on_event(e);
    profile.on_event(e);
    const std::size_t before = oracles->violations().size();
    oracles->on_event(e);
    if (observer) observer(e, agent);
    if (!trace) return;
    for (std::size_t i = before; i < oracles->violations().size(); ++i) {
        const Violation& v = oracles->violations()[i];
        std::size_t id = 0;
        while (oracle_names()[id] != v.oracle) ++id;
        // On the oracles' unit, not the detecting event's: that may be a
        // device's or a vCPU's, and the kind's unit would misname it.
        put_canonical({e.cycle, EventKind::Violation, 0, e.tag, id, static_cast<std::uint64_t>(v.vcpu)},
                       CanonicalCycle::kViolations, true);
    }
}

void EventHub::hash(const Event& e) {
    // Hash the fields, not the struct: padding bytes are not part of the event.
    std::uint64_t* w = hash_buf_ + hash_fill_;
    w[0] = e.cycle;
    w[1] = static_cast<std::uint64_t>(e.kind) | std::uint64_t{e.unit} << 16;
    w[2] = e.tag;
    w[3] = e.a, w[4] = e.b, w[5] = e.c, w[6] = e.d, w[7] = e.e, w[8] = e.f;
    hash_fill_ += kHashWords;
    if (hash_fill_ == kHashWords * kHashBatch) {
        XXH64_update(static_cast<XXH64_state_t*>(hash_state_), hash_buf_, sizeof hash_buf_);
        hash_fill_ = 0;
    }
}

/// Drives the scenario: boot-time control requests at cycle 0, then every
/// timed event at its exact cycle.
class Machine::ScenarioDriver : public sc_core::sc_module {
public:
    SC_HAS_PROCESS(ScenarioDriver);
    ScenarioDriver(sc_core::sc_module_name n, Machine& m) : sc_module(n), m_(m) {
        SC_THREAD(main);
    }

    /// Cycle of the next timed event (a control request, a timer firing, ...
    /// may reach a local APIC at that cycle with no bus latency); 0 during
    /// boot, UINT64_MAX after the last one.
    std::uint64_t next_event_at() const { return next_event_at_; }

private:
    void main();
    /// The pCPU control requests go to: the first one the driver sends work
    /// (not marked offline); when every one is marked (offline requests in
    /// flight, some of which the core will refuse), the first one whose
    /// offline the core has not accepted, so that no request reaches a pCPU
    /// that is offline.
    std::uint32_t control_pcpu() const {
        for (std::uint32_t i = 0; i < offline_.size(); ++i)
            if (!offline_[i]) return i;
        for (std::uint32_t i = 0; i < offline_accepted_.size(); ++i)
            if (!offline_accepted_[i]) return i;
        assert(false && "the core keeps one pCPU online");
        return 0;
    }
    void bind_msi(const DeviceSpec& d, const MsiBinding& b);
    void bind_host_msi(const DeviceSpec& d, const MsiBinding& b);
    void forge_copies(const std::string& device, std::uint32_t index, const hyp_msi_msg& msg);
    void corrupt(const TimedEvent& t);
    Machine& m_;
    std::vector<bool> offline_;
    std::vector<std::uint64_t> offline_requests_;  ///< offline requests per pCPU so far
    std::vector<bool> offline_accepted_;  ///< the core accepted its offline, and no online since
    std::uint64_t next_event_at_ = 0;
};

void Machine::ScenarioDriver::bind_msi(const DeviceSpec& d, const MsiBinding& b) {
    if (b.host) {
        bind_host_msi(d, b);
        return;
    }
    hyp_ctl c{};
    c.op = HYP_CTL_BIND_MSI;
    c.device = d.requester_id;
    c.msi_index = b.vector_index;
    c.vcpu = static_cast<std::uint32_t>(m_.s_.vcpu_global(b.vcpu));
    c.domain = b.vcpu.domain;
    c.vector = b.guest_vector;
    c.urgent = b.urgent;
    std::size_t dev_index = static_cast<std::size_t>(&d - m_.s_.devices.data());
    const std::uint32_t rid = d.requester_id, index = b.vector_index;
    const int vcpu = static_cast<int>(c.vcpu);
    const std::uint8_t gv = b.guest_vector;
    m_.post_ctl(control_pcpu(), c, [this, dev_index, rid, index, vcpu, gv](std::int32_t r) {
        if (r != 0) return;
        hyp_msi_msg msg{};
        if (!m_.hyp->msi_message(rid, index, &msg)) return;
        Nic& nic = *m_.nics_[dev_index];
        m_.hub_.tracker.bind(rid, index, vcpu, gv);
        m_.oracles_now().bind(rid, index, vcpu, gv, msg.address, msg.data);
        nic.msix_program(index, msg.address, msg.data);
        nic.msix_mask(index, false);
        forge_copies(m_.s_.devices[dev_index].name, index, msg);
    });
}

// A host-owned device's vector: a remapped IRTE to (pcpu, host vector) and
// the hypervisor's root-mode handler (HYP_CTL_BIND_HOST_MSI).
void Machine::ScenarioDriver::bind_host_msi(const DeviceSpec& d, const MsiBinding& b) {
    hyp_ctl c{};
    c.op = HYP_CTL_BIND_HOST_MSI;
    c.device = d.requester_id;
    c.msi_index = b.vector_index;
    c.pcpu = b.pcpu;
    c.vector = b.guest_vector;
    c.arg = b.host_isr_cost;
    std::size_t dev_index = static_cast<std::size_t>(&d - m_.s_.devices.data());
    const std::uint32_t rid = d.requester_id, index = b.vector_index;
    const std::uint8_t hvec = b.guest_vector;
    const std::uint32_t pcpu = b.pcpu;
    m_.post_ctl(control_pcpu(), c, [this, dev_index, rid, index, hvec, pcpu](std::int32_t r) {
        if (r != 0) {
            m_.hyp_assert_failed("HYP_CTL_BIND_HOST_MSI of device " + std::to_string(rid) + " vector " +
                                 std::to_string(index) + " failed: " + std::to_string(r));
            return;
        }
        hyp_msi_msg msg{};
        if (!m_.hyp->msi_message(rid, index, &msg)) return;
        Nic& nic = *m_.nics_[dev_index];
        m_.hub_.tracker.bind_host(rid, index, hvec);
        // The IRTE index is the message's handle [VTD 5.1.2.2: address 19:5, 2].
        const auto handle = static_cast<std::uint32_t>(((msg.address >> 5) & 0x7FFF) | (((msg.address >> 2) & 1) << 15));
        m_.oracles_now().bind_host(rid, index, pcpu, hvec, handle);
        nic.msix_program(index, msg.address, msg.data);
        nic.msix_mask(index, false);
        forge_copies(m_.s_.devices[dev_index].name, index, msg);
    });
}

// Hostile devices whose queue key `msi: {copy_of}` names this entry send the
// message the hypervisor just programmed into it.
void Machine::ScenarioDriver::forge_copies(const std::string& device, std::uint32_t index, const hyp_msi_msg& msg) {
    for (std::size_t i = 0; i < m_.s_.devices.size(); ++i)
        for (const ForgedMsi& f : m_.s_.devices[i].forged)
            if (f.copy_device == device && f.copy_vector_index == index)
                m_.nics_[i]->msix_forge(f.vector_index, msg.address, msg.data);
}

// Timed events corrupt_irte / corrupt_pid: a stray write that sets bits in
// the IRTE the hypervisor programmed for a device vector, or in a vCPU's PID.
// The IEC is not invalidated: a cached copy of the entry stays in use until
// software invalidates it. No effect before the vector is programmed.
void Machine::ScenarioDriver::corrupt(const TimedEvent& t) {
    std::uint64_t pa = 0;
    if (t.op == TimedEvent::Op::CorruptIrte) {
        const DeviceSpec* dev = nullptr;
        for (const auto& d : m_.s_.devices)
            if (d.name == t.device) dev = &d;
        hyp_msi_msg msg{};
        if (!dev || !m_.hyp->msi_message(dev->requester_id, t.vector_index, &msg)) return;
        const vtd::InterruptRequest req = vtd::decode_interrupt_request(msg.address, msg.data);
        if (req.format != vtd::MsiFormat::Remappable || req.index >= MemoryMap::irt_entries) return;
        // One 128-bit write of the whole entry (the stray write changes one
        // word of it): the entry stays one software update for torn_irte.
        const std::uint64_t entry = MemoryMap::irt_base + vtd::kIrteBytes * req.index;
        std::uint64_t words[2];
        m_.mem.read(entry, words, sizeof words);
        words[t.word & 1] |= t.set_bits;
        m_.mem.set_agent(PhysMem::Agent::Software);
        m_.mem.write(entry, words, sizeof words);
        return;
    } else {
        const int g = m_.s_.vcpu_global(t.vcpu);
        assert(g >= 0 && static_cast<std::size_t>(g) < m_.vcpu_storage_.size());
        pa = m_.vcpu_storage_[static_cast<std::size_t>(g)].pid_pa + 8 * t.word;
    }
    // Not the hypervisor's write (pid.update writer `device`): the oracles
    // take a PIR bit the hypervisor sets as a post under way until its ON.
    m_.mem.set_agent(PhysMem::Agent::Device);
    m_.mem.write64(pa, m_.mem.read64(pa) | t.set_bits);
}

void Machine::ScenarioDriver::main() {
    offline_.assign(m_.s_.pcpus, false);
    offline_requests_.assign(m_.s_.pcpus, 0);
    offline_accepted_.assign(m_.s_.pcpus, false);
    // Boot: per-pCPU interrupt vectors of the domains, affinity masks, every
    // vCPU runnable, devices assigned and their vectors bound.
    for (const DomainSpec& d : m_.s_.domains) {
        if (d.percpu_vector == 0) continue;
        hyp_ctl c{};
        c.op = HYP_CTL_PERCPU_VIRQ;
        c.domain = d.id;
        c.vector = d.percpu_vector;
        const std::uint32_t dom = d.id;
        const std::uint8_t gvec = d.percpu_vector;
        m_.post_ctl(control_pcpu(), c, [this, dom, gvec](std::int32_t r) {
            if (r == 0) m_.oracles_now().set_percpu_vector(dom, gvec);
        });
    }
    {
        std::uint32_t g = 0;
        for (const DomainSpec& d : m_.s_.domains)
            for (const VcpuSpec& v : d.vcpus) {
                if (v.affinity_mask != 0) {
                    hyp_ctl c{};
                    c.op = HYP_CTL_SET_AFFINITY_MASK;
                    c.vcpu = g;
                    c.arg = v.affinity_mask;
                    m_.post_ctl(control_pcpu(), c, nullptr);
                }
                ++g;
            }
    }
    for (std::uint32_t g = 0; g < m_.vcpu_storage_.size(); ++g) {
        hyp_ctl c{};
        c.op = HYP_CTL_VCPU_UNPAUSE;
        c.vcpu = g;
        m_.post_ctl(control_pcpu(), c, nullptr);
    }
    // Host-owned devices first: their host vectors are fixed, guest devices'
    // (non-posting modes) are allocated from what is left.
    for (const DeviceSpec& d : m_.s_.devices) {
        if (!d.host) continue;
        hyp_ctl c{};
        c.op = HYP_CTL_ASSIGN_DEVICE;
        c.device = d.requester_id;
        c.domain = HYP_DOMID_HOST;
        m_.post_ctl(control_pcpu(), c, nullptr);
        for (const MsiBinding& b : d.bindings) bind_host_msi(d, b);
    }
    for (const DeviceSpec& d : m_.s_.devices) {
        if (!d.domain) continue;
        hyp_ctl c{};
        c.op = HYP_CTL_ASSIGN_DEVICE;
        c.device = d.requester_id;
        c.domain = *d.domain;
        const std::uint32_t rid = d.requester_id;
        const int dom = static_cast<int>(*d.domain);
        m_.post_ctl(control_pcpu(), c, [this, rid, dom](std::int32_t r) {
            if (r == 0) m_.oracles_now().assign_device(rid, dom);
        });
        for (const MsiBinding& b : d.bindings) bind_msi(d, b);
    }
    for (const TimedEvent& t : m_.s_.events) {
        next_event_at_ = std::max(t.at, now_cycles());
        if (t.at > now_cycles()) wait(cycles(t.at - now_cycles()));
        // A control-domain virtual IPI names its target vCPU and vector: the
        // oracles track it from this request (the core's own record of the
        // send only explains).
        if (t.op == TimedEvent::Op::Ipi)
            m_.hub_.emit({now_cycles(), EventKind::ScenarioEvent, t.pcpu, 0, static_cast<std::uint64_t>(t.op),
                          static_cast<std::uint64_t>(m_.s_.vcpu_global(t.vcpu2)), t.vector});
        else if (t.op == TimedEvent::Op::Pin || t.op == TimedEvent::Op::Wake || t.op == TimedEvent::Op::Block)
            m_.hub_.emit({now_cycles(), EventKind::ScenarioEvent, t.pcpu, 0, static_cast<std::uint64_t>(t.op),
                          static_cast<std::uint64_t>(m_.s_.vcpu_global(t.vcpu)), 0});
        else
            m_.hub_.emit({now_cycles(), EventKind::ScenarioEvent, t.pcpu, 0,
                          static_cast<std::uint64_t>(t.op), 0, t.cost});
        hyp_ctl c{};
        std::uint32_t target = control_pcpu();
        const bool was_offline = offline_[t.pcpu];
        switch (t.op) {
            case TimedEvent::Op::Preempt:
                // Asked of the pCPU itself (its control vector), unless it is
                // offline: an offline pCPU takes no interrupt, the request
                // goes to the control pCPU (and the core refuses it).
                c.op = HYP_CTL_PREEMPT, c.pcpu = t.pcpu, target = offline_[t.pcpu] ? target : t.pcpu;
                break;
            case TimedEvent::Op::Wake:
                c.op = HYP_CTL_VCPU_WAKE, c.vcpu = static_cast<std::uint32_t>(m_.s_.vcpu_global(t.vcpu));
                break;
            case TimedEvent::Op::Pin:
                c.op = HYP_CTL_SET_AFFINITY, c.vcpu = static_cast<std::uint32_t>(m_.s_.vcpu_global(t.vcpu)),
                c.pcpu = t.pcpu;
                break;
            case TimedEvent::Op::PcpuOffline:
                c.op = HYP_CTL_PCPU_OFFLINE, c.pcpu = t.pcpu;
                offline_[t.pcpu] = true;
                ++offline_requests_[t.pcpu];
                break;
            case TimedEvent::Op::PcpuOnline:
                c.op = HYP_CTL_PCPU_ONLINE, c.pcpu = t.pcpu;
                break;
            case TimedEvent::Op::Assign: {
                c.op = HYP_CTL_ASSIGN_DEVICE, c.domain = t.domain;
                for (const auto& d : m_.s_.devices)
                    if (d.name == t.device) c.device = d.requester_id;
                break;
            }
            case TimedEvent::Op::Deassign:
                c.op = HYP_CTL_DEASSIGN_DEVICE;
                for (const auto& d : m_.s_.devices)
                    if (d.name == t.device) c.device = d.requester_id;
                m_.oracles_now().deassign_requested(c.device);
                break;
            case TimedEvent::Op::Ipi:
                c.op = HYP_CTL_SEND_VIPI, c.vcpu = static_cast<std::uint32_t>(m_.s_.vcpu_global(t.vcpu)),
                c.vcpu2 = static_cast<std::uint32_t>(m_.s_.vcpu_global(t.vcpu2)), c.vector = t.vector;
                break;
            case TimedEvent::Op::Tasklet:
                c.op = HYP_CTL_TASKLET, c.pcpu = t.pcpu, c.arg = t.cost, target = offline_[t.pcpu] ? target : t.pcpu;
                break;
            case TimedEvent::Op::Block: {
                // The guest decides to idle: STI;HLT at its next instruction
                // boundary with IF=1 (CpuCore::request_guest_halt). Only a
                // running vCPU can execute it; for any other the event is
                // recorded and has no effect.
                const int g = m_.s_.vcpu_global(t.vcpu);
                if (m_.oracles_now().vcpu_state(g) != HYP_VCPU_RUNNING) continue;
                const std::uint64_t pa = m_.vcpu_storage_[static_cast<std::size_t>(g)].vmcs_pa;
                const Vmcs* v = m_.vmcs.find(pa);
                const int core = v != nullptr && v->active_on >= 0 ? v->active_on : 0;
                m_.cores_[static_cast<std::size_t>(core)]->request_guest_halt(pa);
                continue;
            }
            case TimedEvent::Op::PercpuTimer:
                m_.percpu_timers_.at(t.pcpu)->fire();
                continue;
            case TimedEvent::Op::Reprogram: {
                for (const auto& d : m_.s_.devices) {
                    if (d.name != t.device) continue;
                    MsiBinding b;
                    b.vector_index = t.vector_index;
                    b.vcpu = t.vcpu;
                    b.guest_vector = t.vector;
                    // From the request on, the entry's interrupts may reach
                    // either the old or the new target.
                    m_.oracles_now().rebinding(d.requester_id, t.vector_index, m_.s_.vcpu_global(t.vcpu), t.vector);
                    bind_msi(d, b);
                }
                continue;
            }
            case TimedEvent::Op::CorruptIrte:
            case TimedEvent::Op::CorruptPid:
                corrupt(t);
                continue;
        }
        std::function<void(std::int32_t)> done;
        if (c.op == HYP_CTL_ASSIGN_DEVICE || c.op == HYP_CTL_DEASSIGN_DEVICE) {
            const std::uint32_t rid = c.device;
            const int dom = c.op == HYP_CTL_ASSIGN_DEVICE ? static_cast<int>(c.domain) : -1;
            std::size_t dev_index = 0;
            while (m_.s_.devices[dev_index].requester_id != rid) ++dev_index;
            done = [this, rid, dom, dev_index](std::int32_t r) {
                if (dom < 0) m_.oracles_now().deassign_answered(rid);
                if (r != 0) return;
                m_.oracles_now().assign_device(rid, dom);
                // A deassigned device is reset by its new owner (Xen's
                // pciback, VFIO: a function-level reset clears MSI-X
                // Enable): it writes none of the messages the hypervisor
                // programmed, whose IRTEs are gone and may be reused. A
                // later reprogram_irte programs and unmasks an entry again.
                if (dom < 0)
                    for (std::uint32_t i = 0; i < m_.s_.devices[dev_index].nic.msix_vectors; ++i)
                        m_.nics_[dev_index]->msix_mask(i, true);
            };
        } else if (c.op == HYP_CTL_PCPU_OFFLINE || c.op == HYP_CTL_PCPU_ONLINE) {
            const std::uint32_t pcpu = c.pcpu;
            const bool online = c.op == HYP_CTL_PCPU_ONLINE;
            // offline_ says which pCPUs the driver sends nothing: marked
            // from the offline request on, cleared only once the core has
            // accepted an online request.
            const std::uint64_t requests = offline_requests_[pcpu];
            done = [this, pcpu, online, requests, was_offline](std::int32_t r) {
                if (r == 0) m_.oracles_now().pcpu_hotplug(pcpu, online, now_cycles());
                if (r == 0) offline_accepted_[pcpu] = !online;
                // (an offline requested after this request keeps it marked)
                const bool latest = offline_requests_[pcpu] == requests;
                if (r == 0 && online && latest) offline_[pcpu] = false;
                // A refused offline (the last usable pCPU) leaves it as it was.
                if (r != 0 && !online && latest) offline_[pcpu] = was_offline;
            };
        }
        m_.post_ctl(target, c, std::move(done));
    }
    next_event_at_ = ~0ull;
}

PricerHooks port_pricer_hooks() {
    PricerHooks hooks;
    hooks.trace_pc = reinterpret_cast<std::uintptr_t>(&__sanitizer_cov_trace_pc);
    hooks.trace = reinterpret_cast<std::uintptr_t>(&arch_trace);
    hooks.report_begin = reinterpret_cast<std::uintptr_t>(&arch_report_begin);
    hooks.report_end = reinterpret_cast<std::uintptr_t>(&arch_report_end);
    return hooks;
}

std::size_t warm_block_pricers(const std::vector<std::string>& cores) {
    // A --hyp core is loaded here once and stays loaded: the children's
    // dlopen of the same file then finds it mapped at the same addresses, so
    // the prices made now are theirs.
    static std::vector<std::unique_ptr<HypLibrary>> kept;
    std::vector<std::uintptr_t> objects;  // an address in each core's code; 0: the built-in core
    for (const std::string& path : cores) {
        if (path.empty()) {
            objects.push_back(0);
            continue;
        }
        try {
            kept.push_back(std::make_unique<HypLibrary>(path));
            objects.push_back(reinterpret_cast<std::uintptr_t>(kept.back()->api().pcpu_main));
        } catch (const std::runtime_error&) {
            // not a core: each run reports that itself
        }
    }
    std::size_t n = 0;
    for (const char* name : {"skylake-sp", "sandybridge"}) {
        try {
            const TimingProfile p = TimingProfile::load(name);
            if (p.hyp_timing() != HypTiming::Instructions) continue;
            BlockPricer& pricer = BlockPricer::shared(p.instructions(), port_pricer_hooks());
            for (std::uintptr_t o : objects) n += o ? pricer.warm_up_object(o) : pricer.warm_up();
        } catch (const std::exception&) {
            // a profile directory without the shipped profiles: children price lazily
        }
    }
    return n;
}

/// Wakes the kernel from the watchdog thread (async_request_update is the
/// kernel's thread-safe entry): its update, at the end of the delta cycle the
/// kernel is in, stops the simulation.
class Machine::WallStop final : public sc_core::sc_prim_channel {
public:
    explicit WallStop(Machine& m) : sc_prim_channel("wall_stop"), m_(m) {}
    void request() { async_request_update(); }

private:
    void update() override {
        if (wall_expired()) m_.stop_kernel_for_wall();
    }
    Machine& m_;
};

namespace {
/// Thrown by Machine::stop_for_wall where no SystemC thread can be parked:
/// unwinds the hypervisor core's frames back to the platform.
struct WallStopUnwind {};
}  // namespace

void Machine::stop_kernel_for_wall() {
    if (!wall_stopped_) {
        wall_stopped_ = true;
        sc_core::sc_stop();
    }
}

void Machine::stop_for_wall() {
    if (!sc_core::sc_is_running()) {
        // The core's boot (hyp_init, domain and vCPU creation) in the
        // constructor: nothing to stop but the core's own loop.
        wall_stopped_ = true;
        throw WallStopUnwind{};
    }
    stop_kernel_for_wall();
    const sc_core::sc_process_handle self = sc_core::sc_get_current_process_handle();
    if (self.valid() && self.proc_kind() == sc_core::SC_THREAD_PROC_) {
        current = nullptr;
        sc_core::wait(never_);
    }
    // A method process (or the kernel's update phase) calling into the core:
    // it cannot wait; leave the core, the kernel reports it to run().
    if (self.valid()) throw WallStopUnwind{};
}

Machine::Machine(const Scenario& s, const TimingProfile& p, const RunOptions& o)
    : s_(s), p_(p), o_(o), never_("never") {
    assert(!instance_ && "one machine per process (SystemC elaborates once)");
    instance_ = this;
    timing = p_.port();
    cpu_timing = p_.cpu();
    coherence = std::make_unique<Coherence>(p_.coherence());
    if (timing.hyp_timing == HypTiming::Instructions)
        pricer = &BlockPricer::shared(timing.instructions, port_pricer_hooks());
    if (!o_.trace_path.empty()) hub_.trace = std::make_unique<TraceWriter>(o_.trace_path);
    hub_.profile.attribute = o_.attribute_functions;
    OracleConfig oc;
    oc.x2apic = s_.x2apic;
    oc.notification_vector = s_.notification_vector;
    oc.wakeup_vector = s_.wakeup_vector;
    for (std::uint32_t i = 0; i < s_.pcpus; ++i) oc.apic_ids.push_back(i);
    oc.delivery_bound = s_.oracles.delivery;
    oc.wakeup_bound = s_.oracles.wakeup;
    for (const DomainSpec& d : s_.domains)
        for (const VcpuSpec& v : d.vcpus) oc.affinity.push_back(v.affinity_mask ? v.affinity_mask : 1ull << v.pcpu);
    oc.irq_mode = s_.irq_mode;
    oc.percpu_vector = s_.percpu_vector;
    for (const DomainSpec& d : s_.domains)
        for (std::uint32_t v = 0; v < d.vcpus.size(); ++v) oc.vcpu_names.push_back(VcpuRef{d.id, v}.name());
    for (const DeviceSpec& d : s_.devices) oc.device_names[d.requester_id] = d.name;
    hub_.oracles = std::make_unique<Oracles>(oc);
    if (!o_.hyp_path.empty()) {
        hyp_lib_ = std::make_unique<HypLibrary>(o_.hyp_path);
        hyp = &hyp_lib_->api();
    } else {
        hyp = &builtin_hyp();
    }
    mem.map_ram(MemoryMap::ram_base, MemoryMap::ram_size);
    // The wall clock runs from here: a core that never returns from its
    // boot below is stopped too (run_limits.h).
    wall_stop_ = std::make_unique<WallStop>(*this);
    if (o_.max_wall) dog_ = std::make_unique<WallWatchdog>(o_.max_wall, [this] { wall_stop_->request(); });
    build_models();
    try {
        boot_hyp();
    } catch (const WallStopUnwind&) {
        stopped_in_boot_ = boot_step_ ? boot_step_ : "the core's boot";
    }
    driver_ = std::make_unique<ScenarioDriver>("scenario", *this);
}

Machine::~Machine() { instance_ = nullptr; }

void Machine::publish_rtl_trace() {
    if (!rtl_vcd_) return;
    vtd_rtl_->close_trace();
    struct stat st;
    if (::fstat(rtl_vcd_->fd(), &st) != 0)
        throw std::runtime_error("cannot write " + o_.trace_rtl_path + ": " + std::strerror(errno));
    AtomicFile out(o_.trace_rtl_path);
    out.append_file(rtl_vcd_->fd(), static_cast<std::uint64_t>(st.st_size));
    out.commit();
    rtl_vcd_.reset();
}

void Machine::build_models() {
    bus_ = std::make_unique<ApicBus>("apic_bus", p_.lapic(), hub_);
    pcpus.resize(s_.pcpus);
    for (std::uint32_t i = 0; i < s_.pcpus; ++i) {
        apic_ids.push_back(i);
        auto name = "lapic" + std::to_string(i);
        lapics_.push_back(std::make_unique<LocalApic>(name.c_str(), i, i, s_.x2apic, p_.lapic(), hub_));
        lapics_.back()->bus.bind(*bus_);
        bus_->attach(*lapics_.back());
        auto cname = "cpu" + std::to_string(i);
        cores_.push_back(std::make_unique<CpuCore>(cname.c_str(), i, p_.cpu(), mem, vmcs, *lapics_.back(), hub_));
        PortCpu& pc = pcpus[i];
        pc.index = i;
        pc.core = cores_.back().get();
        pc.lapic = lapics_.back().get();
        cores_.back()->root_software = [this, i] { run_pcpu_software(*this, i); };
        cores_.back()->set_line_latency([this, i](std::uint64_t pa) {
            return coherence->access(static_cast<Coherence::Agent>(i), Coherence::machine_line(pa),
                                     Coherence::Kind::Rmw);
        });
        for (const Perturbation& x : s_.perturb)
            if (x.agent == Perturbation::Agent::Pcpu && x.pcpu == i) pc.perturb.emplace_back(x.at, x.delay);
        if (!pc.perturb.empty()) pc.perturb_at = pc.perturb.front().first;
    }
    if (s_.percpu_vector != 0) {
        // The per-pCPU interrupt source: one timer per pCPU, wired to its
        // own local APIC, with its status word in the machine memory map.
        for (std::uint32_t i = 0; i < s_.pcpus; ++i) {
            PerCpuTimerConfig tc;
            tc.pcpu = i;
            tc.apic_id = apic_ids[i];
            tc.vector = s_.percpu_vector;
            tc.status_pa = MemoryMap::percpu_status + 8ull * i;
            tc.start = s_.percpu_timer.start;
            tc.period = s_.percpu_timer.period;
            tc.count = s_.percpu_timer.count;
            auto name = "percpu_timer" + std::to_string(i);
            percpu_timers_.push_back(std::make_unique<PerCpuTimer>(name.c_str(), tc, mem, hub_));
            percpu_timers_.back()->irq.bind(*lapics_[i]);
        }
    }
    vtd_ = std::make_unique<VtdUnit>("vtd", mem, p_.vtd(), hub_);
    vtd_->apic_bus.bind(*bus_);
    // The posting read-modify-write acquires the PID line from whichever
    // agent holds it (model/common/coherence.h).
    vtd_->set_pid_line_latency([this](std::uint64_t pa) {
        return coherence->access(Coherence::kIo, Coherence::machine_line(pa), Coherence::Kind::Rmw);
    });
    {
        std::vector<std::pair<std::uint64_t, std::uint64_t>> holds;
        for (const Perturbation& x : s_.perturb)
            if (x.agent == Perturbation::Agent::Vtd) holds.emplace_back(x.at, x.delay);
        vtd_->hold_requests(std::move(holds));
    }
    const std::string engine = o_.vtd_engine.empty() ? s_.vtd_engine : o_.vtd_engine;
    if (engine == "rtl") {
        // The verilated request path decides every request; the unit keeps
        // its registers, IEC, invalidation queue and fault records.
        vtd_rtl_ = std::make_unique<VtdRtlEngine>("vtd_rtl", mem, hub_, p_.vtd());
        vtd_->use_request_engine(vtd_rtl_.get());
        if (!o_.trace_rtl_path.empty()) {
            // Verilator opens its dump by name: give it the scratch file's
            // descriptor by its /proc name, never a name in the directory.
            rtl_vcd_ = std::make_unique<ScratchFile>(o_.trace_rtl_path);
            vtd_rtl_->trace_vcd("/proc/self/fd/" + std::to_string(rtl_vcd_->fd()));
        }
    } else if (engine != "tlm") {
        throw InputError(s_.file, 0, 0, "vtd engine must be tlm or rtl, got '" + engine + "'");
    } else if (!o_.trace_rtl_path.empty()) {
        throw InputError(s_.file, 0, 0, "--trace-rtl needs the RTL engine (vtd.engine: rtl or --vtd-engine rtl)");
    }
    for (const DeviceSpec& d : s_.devices) {
        nics_.push_back(std::make_unique<Nic>(d.name.c_str(), d.nic, p_.nic(), hub_));
        nics_.back()->msi_out.bind(vtd_->msi_in);
        for (const ForgedMsi& f : d.forged)  // raw messages; copies follow their source's binding
            if (f.copy_device.empty()) nics_.back()->msix_forge(f.vector_index, f.address, f.data);
        // every core reaches every NIC's receive rings (NAPI polls), in
        // device order: GuestProgram::napi_queues' device index
        for (auto& core : cores_) core->rx.bind(*nics_.back());
    }

    // Firmware/boot programming of the remapping unit [VTD 10.4.29, 10.4.4]:
    // table address and size, extended interrupt mode for x2APIC, the
    // invalidation queue, then interrupt remapping on. CFI stays 0 so
    // compatibility-format interrupts are blocked.
    unsigned s_bits = 0;
    while ((2u << s_bits) < MemoryMap::irt_entries) ++s_bits;
    vtd_->write_reg(vtd_reg::IRTA, MemoryMap::irt_base | (s_.x2apic ? 1u << 11 : 0) | s_bits);
    vtd_->write_reg(vtd_reg::GCMD, vtd_reg::GCMD_SIRTP);
    vtd_->write_reg(vtd_reg::IQA, MemoryMap::iq_base);
    vtd_->write_reg(vtd_reg::GCMD, vtd_reg::GCMD_QIE);
    vtd_->write_reg(vtd_reg::GCMD, vtd_reg::GCMD_QIE | vtd_reg::GCMD_IRE);
    watch_irt_and_percpu_status();
}

// Software's writes into the interrupt-remapping table (irte.update: which
// halves of which entry, the entry after the write) and the per-pCPU source's
// status words (percpu.status), observed in machine memory whoever writes.
void Machine::watch_irt_and_percpu_status() {
    mem.watch(MemoryMap::irt_base, std::uint64_t{MemoryMap::irt_entries} * vtd::kIrteBytes,
              [this](std::uint64_t pa, std::size_t len) {
                  const std::uint64_t first = (pa - MemoryMap::irt_base) / 8;
                  const std::uint64_t last = (pa + len - 1 - MemoryMap::irt_base) / 8;  // 64-bit words
                  for (std::uint64_t e = first / 2; e <= last / 2; ++e) {
                      std::uint64_t halves = 0;
                      for (std::uint64_t h = 0; h < 2; ++h)
                          if (2 * e + h >= first && 2 * e + h <= last) halves |= 1u << h;
                      const std::uint64_t base = MemoryMap::irt_base + e * vtd::kIrteBytes;
                      hub_.emit({cycle_now(), EventKind::IrteUpdate, current ? current->index : 0, 0, e, halves,
                                 mem.read64(base), mem.read64(base + 8), static_cast<std::uint64_t>(mem.agent())});
                  }
              });
    if (percpu_timers_.empty()) return;
    percpu_status_shadow_.assign(s_.pcpus, 0);
    mem.watch(MemoryMap::percpu_status, 8ull * s_.pcpus, [this](std::uint64_t pa, std::size_t len) {
        for (std::uint64_t a = pa & ~7ull; a < pa + len; a += 8) {
            const std::uint32_t cpu = static_cast<std::uint32_t>((a - MemoryMap::percpu_status) / 8);
            const std::uint64_t now = mem.read64(a);
            if (now == percpu_status_shadow_[cpu]) continue;
            hub_.emit({cycle_now(), EventKind::PercpuStatus, cpu, 0, percpu_status_shadow_[cpu], now,
                       static_cast<std::uint64_t>(mem.agent())});
            percpu_status_shadow_[cpu] = now;
        }
    });
}

void Machine::watch_descriptors(std::uint64_t pid, std::uint64_t vapic, std::uint32_t vcpu) {
    Shadow& sh = pid_shadow_[pid];
    sh.vcpu = vcpu;
    std::memset(sh.words, 0, sizeof sh.words);
    mem.watch(pid, 64, [this, pid, &s = sh](std::uint64_t, std::size_t) {
        for (std::uint32_t w = 0; w < 5; ++w) {
            const std::uint64_t now = mem.read64(pid + 8 * w);
            if (now == s.words[w]) continue;
            hub_.emit({cycle_now(), EventKind::PidUpdate, s.vcpu, 0, pid, w, s.words[w], now,
                       static_cast<std::uint64_t>(mem.agent())});
            s.words[w] = now;
        }
    });
    auto vs = std::make_unique<VapicShadow>();
    vs->vcpu = vcpu;
    std::memset(vs->words, 0, sizeof vs->words);
    VapicShadow& vsh = *vs;
    vapic_shadow_[vapic] = std::move(vs);
    mem.watch(vapic, 4096, [this, vapic, &s = vsh](std::uint64_t pa, std::size_t len) {
        for (std::uint64_t a = pa & ~3ull; a < pa + len; a += 4) {
            const std::uint32_t off = static_cast<std::uint32_t>(a - vapic);
            const bool interesting = off == 0x80 || off == 0xA0 ||
                                     (off >= 0x100 && off < 0x180 && off % 16 == 0) ||
                                     (off >= 0x200 && off < 0x280 && off % 16 == 0);
            if (!interesting) continue;
            const std::uint32_t now = mem.read32(a);
            if (now == s.words[off / 4]) continue;
            hub_.emit({cycle_now(), EventKind::VapicUpdate, s.vcpu, 0, off, s.words[off / 4], now});
            s.words[off / 4] = now;
        }
    });
}

void Machine::boot_hyp() {
    hyp_config cfg{};
    cfg.nr_pcpus = s_.pcpus;
    for (std::uint32_t i = 0; i < s_.pcpus; ++i) cfg.apic_id[i] = apic_ids[i];
    cfg.x2apic = s_.x2apic;
    cfg.irq_mode = static_cast<hyp_irq_mode>(irq_mode_of(s_.irq_mode));
    const std::uint64_t ten_ms = p_.frequency_mhz() * 10000;
    cfg.time_slice = s_.time_slice ? s_.time_slice : ten_ms;
    cfg.tick_period = s_.tick ? s_.tick : cfg.time_slice;
    cfg.notification_vector = s_.notification_vector;
    cfg.wakeup_vector = s_.wakeup_vector;
    cfg.timer_vector = s_.timer_vector;
    cfg.control_vector = s_.control_vector;
    cfg.device_vector_base = s_.device_vector_base;
    cfg.irt_pa = MemoryMap::irt_base;
    cfg.irt_entries = MemoryMap::irt_entries;
    cfg.iq_status_pa = MemoryMap::iq_status;
    cfg.msr_bitmap_pa = MemoryMap::msr_bitmap;
    cfg.percpu_vector = s_.percpu_vector;
    cfg.percpu_status_pa = s_.percpu_vector != 0 ? MemoryMap::percpu_status : 0;
    boot_step_ = "hyp_init";
    if (int r = hyp->init(&cfg); r != 0)
        throw std::runtime_error("hypervisor core refused the machine (hyp_init returned " + std::to_string(r) + ")");

    // The receive queues each NAPI vCPU's driver polls: the queues whose
    // MSI-X vector is bound to it (boot bindings; a later reprogram_irte does
    // not move the driver's polling). Other vCPUs keep none.
    for (std::uint32_t di = 0; di < s_.devices.size(); ++di) {
        const DeviceSpec& dev = s_.devices[di];
        for (const MsiBinding& b : dev.bindings)
            for (std::uint32_t qi = 0; qi < dev.nic.queues.size(); ++qi) {
                if (dev.nic.queues[qi].msix_index != b.vector_index) continue;
                for (DomainSpec& d : s_.domains)
                    if (d.id == b.vcpu.domain && b.vcpu.index < d.vcpus.size() &&
                        d.vcpus[b.vcpu.index].program.uses_napi())
                        d.vcpus[b.vcpu.index].program.napi_queues.push_back({di, qi, b.guest_vector});
            }
    }
    std::uint32_t g = 0;
    for (const DomainSpec& d : s_.domains) {
        boot_step_ = "hyp_domain_create";
        if (int r = hyp->domain_create(d.id); r != 0)
            throw std::runtime_error("hyp_domain_create(" + std::to_string(d.id) + ") returned " + std::to_string(r));
        for (const VcpuSpec& v : d.vcpus) {
            hyp_vcpu_storage st{};
            const std::uint64_t base = MemoryMap::vcpu_base + g * MemoryMap::vcpu_stride;
            st.vmcs_pa = base;
            st.vapic_pa = base + 0x1000;
            st.pid_pa = base + 0x2000;
            assert(st.pid_pa + 64 <= MemoryMap::ram_base + MemoryMap::ram_size);
            vmcs.bind(st.vmcs_pa, g, &v.program, s_.x2apic);
            watch_descriptors(st.pid_pa, st.vapic_pa, g);
            hub_.tracker.set_pid_owner(st.pid_pa, static_cast<int>(g));
            hub_.oracles->add_vcpu(static_cast<int>(g), d.id, st.pid_pa);
            hub_.profile.set_pid_owner(st.pid_pa, g);
            boot_step_ = "hyp_vcpu_create";
            const int id = hyp->vcpu_create(d.id, v.pcpu, &st);
            if (id != static_cast<int>(g))
                throw std::runtime_error("hyp_vcpu_create for " + VcpuRef{d.id, static_cast<std::uint32_t>(&v - d.vcpus.data())}.name() +
                                         " returned " + std::to_string(id) + ", expected " + std::to_string(g));
            vcpu_storage_.push_back(st);
            ++g;
        }
    }
}

std::uint64_t Machine::local_interrupt_due(std::uint32_t pcpu) const {
    std::uint64_t due = std::min({bus_->next_arrival(), lapics_[pcpu]->timer_due(), driver_->next_event_at()});
    if (!percpu_timers_.empty()) due = std::min(due, percpu_timers_[pcpu]->next_expiry());
    return due;
}

void Machine::post_ctl(std::uint32_t pcpu, hyp_ctl c, std::function<void(std::int32_t)> done) {
    c.seq = next_seq_++;
    pending_ctl_[c.seq] = {std::move(done)};
    pcpus.at(pcpu).ctl_queue.push_back(c);
    // The control domain's request arrives as an interrupt on that pCPU.
    ApicMessage m;
    m.dest = apic_ids[pcpu];
    m.source_apic = ~0u;
    m.vector = s_.control_vector;
    lapics_[pcpu]->deliver(m);
}

void Machine::ctl_done(std::uint32_t seq, std::int32_t result) {
    auto it = pending_ctl_.find(seq);
    if (it == pending_ctl_.end()) {
        hyp_assert_failed("arch_ctl_done for unknown request " + std::to_string(seq));
        return;
    }
    auto done = std::move(it->second.done);
    pending_ctl_.erase(it);
    if (done) done(result);
}

void Machine::hyp_assert_failed(const std::string& message) {
    const std::uint64_t cycle = cycle_now();
    Violation v;
    v.cycle = cycle;
    v.oracle = "hyp_assertion";
    v.message = message + (current ? " on pCPU " + std::to_string(current->index) : std::string());
    v.detected_cycle = cycle;
    v.event_index = hub_.trace ? hub_.trace->recorded() : 0;
    std::uint64_t id = 0;
    while (oracle_names()[id] != v.oracle) ++id;
    hub_.emit_violation({cycle, EventKind::Violation, 0, 0, id, static_cast<std::uint64_t>(-1)});
    hub_.oracles->add(std::move(v));
}

void Machine::run(std::uint64_t max_cycles, std::uint64_t wall_seconds) {
    std::uint64_t until = s_.duration;
    if (max_cycles && max_cycles < until) {
        until = max_cycles;
        truncated_ = true;
        stopped_by_ = "--max-cycles";
    }
    if (!stopped_in_boot_.empty()) {
        // --max-wall stopped the core before the simulation could start.
        truncated_ = true;
        stopped_by_ = "--max-wall";
        end_cycle_ = 0;
        hub_.flush();
        dog_.reset();
        return;
    }
    {
        // The clock decides only where a too-long run stops, never what it
        // does: the kernel runs to `until` in one go, and the watchdog stops
        // it wherever it is when the deadline passes (run_limits.h).
        if (wall_seconds && !dog_) dog_ = std::make_unique<WallWatchdog>(wall_seconds, [this] { wall_stop_->request(); });
        try {
            sc_core::sc_start(cycles(until));
        } catch (const sc_core::sc_report&) {
            // A method process left the core on a WallStopUnwind: the
            // kernel reports it as an error; the run was stopped.
            if (!wall_stopped_) throw;
        }
        dog_.reset();
    }
    if (wall_stopped_) {
        truncated_ = true;
        stopped_by_ = "--max-wall";
    }
    end_cycle_ = now_cycles();
    hub_.flush();
    if (!truncated_) hub_.oracles->finish(end_cycle_);
}

std::map<std::uint32_t, std::uint64_t> Machine::exit_counts() const {
    std::map<std::uint32_t, std::uint64_t> all;
    for (const auto& c : cores_)
        for (const auto& [reason, n] : c->exit_counts()) all[reason] += n;
    return all;
}

std::uint64_t Machine::hyp_cycles() const {
    std::uint64_t n = 0;
    for (const auto& c : pcpus) n += c.hyp_cycles;
    return n;
}

TimingProfile resolve_profile(const Scenario& s) {
    TimingProfile p = TimingProfile::load(s.profile);
    for (const auto& [k, v] : s.profile_overrides) {
        if (!p.has(k)) throw InputError(s.file, 0, 0, "profile_overrides names an unknown cost '" + k + "'");
        p.set(k, v);
    }
    return p;
}

}  // namespace pisim
