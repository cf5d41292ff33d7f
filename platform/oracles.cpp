#include "platform/oracles.h"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>

#include "hyp/trace.h"
#include "model/common/cycle_math.h"
#include "model/common/phys_mem.h"
#include "platform/enum_names.h"
#include "platform/scenario.h"

namespace pisim {

namespace {
constexpr std::uint32_t kHltExit = 12;  // basic exit reason HLT [SDM appendix C]
constexpr std::uint64_t kOn = 1, kSn = 2;

std::string bdf(std::uint32_t rid) { return fmt::format("{:02x}:{:02x}.{}", rid >> 8, rid >> 3 & 0x1f, rid & 7); }
std::uint8_t nv_of(std::uint64_t control) { return static_cast<std::uint8_t>(control >> 16); }
}  // namespace

Oracles::Oracles(OracleConfig cfg) : cfg_(std::move(cfg)) {
    vtd_pi_ = cfg_.irq_mode == "vtd-pi";
    posting_ = vtd_pi_ || cfg_.irq_mode == "cpu-pi";
    const std::size_t n = cfg_.apic_ids.size();
    current_vmcs_.assign(n, -1);
    percpu_pending_.assign(n, 0);
    offline_requested_.assign(n, false);
    offline_.assign(n, false);
    nv_inflight_.assign(n, 0);
    nv_pending_.assign(n, false);
    guest_mode_.assign(n, false);
    nv_root_taken_.assign(n, 0);
    idle_.assign(n, false);
}

void Oracles::add_vcpu(int vcpu, std::uint32_t domain, std::uint64_t pid) {
    VcpuView& v = vcpus_[vcpu];
    v.domain = domain;
    v.pid = pid;
    auto& list = domain_vcpus_[domain];
    v.index = static_cast<std::uint32_t>(list.size());
    list.push_back(vcpu);
    pid_owner_[pid] = vcpu;
    if (static_cast<std::size_t>(vcpu) < cfg_.affinity.size()) v.affinity = cfg_.affinity[static_cast<std::size_t>(vcpu)];
}

void Oracles::assign_device(std::uint32_t rid, int domain) {
    if (domain < 0) {
        device_domain_.erase(rid);
        // Remapped interrupts of the device still on their way through the
        // hypervisor: the deassignment may drop them (device_irq finds no
        // binding) or may not (the hypervisor had already made them pending
        // for the vCPU): either is correct, so they are no longer owed but
        // still count as raised (a later guest ISR of theirs is no spurious
        // interrupt).
        for (std::size_t i = open_.size(); i-- > 0;)
            if (open_[i].source == Source::Device && open_[i].rid == rid && open_[i].remapped)
                open_.erase(open_.begin() + static_cast<std::ptrdiff_t>(i));
        return;
    }
    device_domain_[rid] = domain;
    // (A deassignment requested after this assignment's request, still
    // queued behind it, keeps its mark until it completes.)
}

void Oracles::deassign_requested(std::uint32_t rid) { ++deassigning_[rid]; }

void Oracles::deassign_answered(std::uint32_t rid) {
    if (auto d = deassigning_.find(rid); d != deassigning_.end() && --d->second == 0) deassigning_.erase(d);
}

bool Oracles::hooks_active(std::uint32_t domain) const {
    if (!vtd_pi_) return false;
    for (const auto& [rid, dom] : device_domain_)
        if (dom >= 0 && static_cast<std::uint32_t>(dom) == domain && !deassigning_.count(rid)) return true;
    return false;
}

void Oracles::bind(std::uint32_t rid, std::uint32_t index, int vcpu, std::uint8_t vector, std::uint64_t address,
                   std::uint32_t data) {
    bindings_[{rid, index}] = {vcpu, vector};
    if (address) messages_[{address, data}] = {rid, index};
    auto r = rebinding_.find({rid, index});
    if (r == rebinding_.end()) return;
    auto& list = r->second;
    list.erase(std::remove(list.begin(), list.end(), std::make_pair(vcpu, vector)), list.end());
    if (list.empty()) rebinding_.erase(r);
}

void Oracles::rebinding(std::uint32_t rid, std::uint32_t index, int vcpu, std::uint8_t vector) {
    rebinding_[{rid, index}].push_back({vcpu, vector});
    // Interrupts of the entry already raised may be posted with the new IRTE.
    for (Obligation& o : open_) {
        if (o.source != Source::Device || o.host || o.rid != rid || o.index != index) continue;
        const bool known = std::any_of(o.targets.begin(), o.targets.end(),
                                       [&](const Target& t) { return t.unit == vcpu && t.vector == vector; });
        if (known) continue;
        Target t{vcpu, vector};
        ++guest_counts_[{vcpu, vector}].raised;
        o.targets.push_back(t);
        start_clock(o, o.targets.back(), o.origin);
    }
}

void Oracles::bind_host(std::uint32_t rid, std::uint32_t index, std::uint32_t pcpu, std::uint8_t vector,
                        std::uint32_t irte) {
    host_bindings_[{rid, index}] = {pcpu, vector};
    if (irte != ~0u) host_irte_[irte] = {rid, index};
}

void Oracles::set_percpu_vector(std::uint32_t domain, std::uint8_t vector) { percpu_gvec_[domain] = vector; }

void Oracles::pcpu_hotplug(std::uint32_t pcpu, bool online, std::uint64_t cycle) {
    if (pcpu >= offline_.size()) return;
    if (online) {
        offline_requested_[pcpu] = false;
        offline_[pcpu] = false;
        for (auto& [id, v] : vcpus_)
            if (v.waiting && (v.affinity >> pcpu & 1)) retime_wakeup(v, cycle);
    } else {
        offline_requested_[pcpu] = true;
    }
}

std::uint32_t Oracles::ndst_of(std::uint64_t control) const {
    const std::uint32_t ndst = static_cast<std::uint32_t>(control >> 32);
    return cfg_.x2apic ? ndst : (ndst >> 8) & 0xFF;  // xAPIC: APIC ID in NDST bits 15:8
}

int Oracles::pcpu_of_apic(std::uint32_t apic) const {
    for (std::size_t i = 0; i < cfg_.apic_ids.size(); ++i)
        if (cfg_.apic_ids[i] == apic) return static_cast<int>(i);
    return -1;
}

/// One history line: cycle, kind, unit by name, args with enumerations by
/// name (platform/enum_names.h) and vCPU ids by name, other values in hex.
std::string Oracles::describe(const Event& e) const {
    const EventKindInfo& k = event_kind_info(e.kind);
    auto vcpu_text = [&](std::uint64_t id) {
        return id < cfg_.vcpu_names.size() ? cfg_.vcpu_names[id] : id == 0xFFFFFFFFu ? std::string("none") : fmt::format("{:#x}", id);
    };
    std::string unit;
    switch (k.unit) {
        case UnitKind::pcpu: unit = fmt::format("pcpu{}", e.unit); break;
        case UnitKind::vcpu: unit = vcpu_text(e.unit); break;
        case UnitKind::dev: {
            auto it = cfg_.device_names.find(e.unit);
            unit = it != cfg_.device_names.end() ? it->second : bdf(e.unit);
            break;
        }
        case UnitKind::vtd: unit = fmt::format("vtd{}", e.unit); break;
        case UnitKind::mem: unit = "mem"; break;
        case UnitKind::oracle: unit = "oracles"; break;
    }
    std::string s = fmt::format("{} {}[{}]", e.cycle, k.name, unit);
    const std::uint64_t v[6] = {e.a, e.b, e.c, e.d, e.e, e.f};
    for (int i = 0; i < 6; ++i) {
        if (!k.args[i][0]) continue;
        const std::string_view arg = k.args[i];
        if (auto en = kind_arg_enum(e.kind, i)) {
            const char* n = trace_enum_value_name(*en, v[i]);
            s += n ? fmt::format(" {}={}", arg, n) : fmt::format(" {}={:#x}", arg, v[i]);
        } else if (arg == "vcpu" || arg == "prev" || arg == "next") {
            s += fmt::format(" {}={}", arg, vcpu_text(v[i]));
        } else if (arg == "pcpu" || arg == "target_pcpu" || arg == "list_pcpu" ||
                   (e.kind == EventKind::HypMigrate && (arg == "from" || arg == "to"))) {
            s += v[i] == 0xFFFFFFFFu ? fmt::format(" {}=none", arg) : fmt::format(" {}=pcpu{}", arg, v[i]);
        } else {
            s += fmt::format(" {}={:#x}", arg, v[i]);
        }
    }
    return s;
}

void Oracles::remember(int vcpu, const Event& e) {
    auto it = vcpus_.find(vcpu);
    if (it == vcpus_.end()) return;
    VcpuView& v = it->second;
    if (v.history_len < kHistory) {
        v.history[(v.history_head + v.history_len++) % kHistory] = e;
    } else {
        v.history[v.history_head] = e;
        v.history_head = (v.history_head + 1) % kHistory;
    }
}

void Oracles::violate(const Event& e, const std::string& oracle, int vcpu, const std::string& msg) {
    Violation v;
    v.cycle = e.cycle;
    v.detected_cycle = std::max(detect_cycle_, e.cycle);
    v.oracle = oracle;
    v.vcpu = vcpu;
    // "vCPU <global number>" of the checks' messages by name ("vCPU d1v0").
    v.message.reserve(msg.size());
    for (std::size_t i = 0; i < msg.size();) {
        const std::size_t at = msg.find("vCPU ", i);
        if (at == std::string::npos) {
            v.message.append(msg, i, std::string::npos);
            break;
        }
        std::size_t end = at + 5;
        while (end < msg.size() && msg[end] >= '0' && msg[end] <= '9' && end - at < 14) ++end;
        v.message.append(msg, i, at + 5 - i);
        const std::string digits = msg.substr(at + 5, end - at - 5);
        const std::size_t id = digits.empty() ? ~std::size_t{0} : std::stoull(digits);
        v.message += id < cfg_.vcpu_names.size() ? cfg_.vcpu_names[id] : digits;
        i = end;
    }
    v.event_index = events_ == 0 ? 0 : events_ - 1;
    auto it = vcpus_.find(vcpu);
    if (it != vcpus_.end()) {
        const VcpuView& w = it->second;
        for (std::size_t i = 0; i < w.history_len; ++i) v.history.push_back(describe(w.history[(w.history_head + i) % kHistory]));
    }
    violations_.push_back(std::move(v));
}

std::string Oracles::describe_obligation(const Obligation& o) const {
    switch (o.source) {
        case Source::Device:
        case Source::HostDevice:
        {
            auto name = cfg_.device_names.find(o.rid);
            return fmt::format("interrupt {:#x} of device {} (MSI-X entry {}) written at cycle {}", o.tag,
                               name == cfg_.device_names.end() ? bdf(o.rid) : name->second + " (" + bdf(o.rid) + ")",
                               o.index, o.origin);
        }
        case Source::GuestIpi:
            return fmt::format("IPI written by vCPU {} at cycle {}", o.from, o.origin);
        case Source::ControlIpi:
            return fmt::format("control-domain virtual IPI requested at cycle {}", o.origin);
        case Source::Percpu:
            return fmt::format("per-pCPU source firing of pCPU {} taken at cycle {}", o.from, o.origin);
    }
    return "interrupt";
}

// ---- obligations ----------------------------------------------------------

// Start or continue the delivery clock of target `t`: a host target counts
// cycles from the origin, a guest target the cycles its vCPU spends in the
// guest from `now` on.
void Oracles::start_clock(Obligation& o, Target& t, std::uint64_t now) {
    if (o.host) return;
    auto it = vcpus_.find(t.unit);
    if (it == vcpus_.end() || !it->second.in_guest) return;
    if (guest_masks(it->second, t.vector)) return;
    t.since = std::max(it->second.in_guest_since, now);
    // A bound near 2^64 saturates: that deadline is never reached.
    t.deadline = sat_add(t.since, cfg_.delivery_bound - std::min(t.guest_time, cfg_.delivery_bound));
    note_deadline(t.deadline);
}

bool Oracles::affinity_idle(const VcpuView& v) const {
    for (std::size_t c = 0; c < idle_.size() && c < 64; ++c)
        if ((v.affinity >> c & 1) && idle_[c] && !offline_[c]) return true;
    return false;
}

bool Oracles::guest_masks(const VcpuView& v, std::uint8_t vector) const {
    if ((vector >> 4) <= (v.tpr >> 4)) return true;
    for (std::uint8_t s : v.in_service)
        if ((s >> 4) >= (vector >> 4)) return true;
    return false;
}

void Oracles::stop_clock(Target& t, std::uint64_t now) {
    if (!t.deadline) return;
    t.guest_time = sat_add(t.guest_time, now - std::min(now, t.since));
    t.deadline = 0;
}

void Oracles::refresh_clocks(int vcpu, std::uint64_t now) {
    auto it = vcpus_.find(vcpu);
    if (it == vcpus_.end()) return;
    for (Obligation& o : open_)
        for (Target& t : o.targets) {
            if (o.host || t.unit != vcpu || t.expired) continue;
            const bool runs = it->second.in_guest && !guest_masks(it->second, t.vector);
            if (t.deadline && !runs) stop_clock(t, now);
            else if (!t.deadline && runs) start_clock(o, t, now);
        }
}

bool Oracles::owes_wakeup(const Obligation& o, int vcpu) const {
    if (o.host || o.targets.size() != 1 || o.targets[0].unit != vcpu) return false;
    auto it = vcpus_.find(vcpu);
    const std::uint8_t tpr = it == vcpus_.end() ? 0 : it->second.tpr;
    return (o.targets[0].vector >> 4) > (tpr >> 4);
}

void Oracles::arm_wakeup(int vcpu, std::uint64_t from) {
    auto it = vcpus_.find(vcpu);
    if (it == vcpus_.end() || !it->second.halted || it->second.waiting) return;
    VcpuView& v = it->second;
    v.waiting = true;
    v.idle_time = 0;
    v.idle_since = 0;
    v.wake_deadline = 0;
    v.wake_from = std::max(from, v.halted_since);
    retime_wakeup(v, v.wake_from);
}

void Oracles::retime_wakeup(VcpuView& v, std::uint64_t now) {
    if (!v.waiting) return;
    const bool idle = affinity_idle(v);
    if (v.wake_deadline && !idle) {  // the last idle pCPU it may run on got busy
        v.idle_time = sat_add(v.idle_time, now - std::min(now, v.idle_since));
        v.wake_deadline = 0;
    } else if (!v.wake_deadline && idle) {
        v.idle_since = now;
        v.wake_deadline = sat_add(now, cfg_.wakeup_bound - std::min(v.idle_time, cfg_.wakeup_bound));
        note_deadline(v.wake_deadline);
    }
}

void Oracles::raise(const Event& e, Obligation o) {
    if (o.targets.empty()) return;
    for (Target& t : o.targets) {
        ++(o.host ? host_counts_ : guest_counts_)[{t.unit, t.vector}].raised;
        start_clock(o, t, e.cycle);
        if (!o.host) remember(t.unit, e);
    }
    if (o.host) {
        o.host_deadline = sat_add(o.origin, cfg_.delivery_bound);
        note_deadline(o.host_deadline);
    } else if (o.targets.size() == 1 && owes_wakeup(o, o.targets[0].unit)) {
        arm_wakeup(o.targets[0].unit, e.cycle);
    }
    open_.push_back(std::move(o));
}

// A VT-d fault or a deassignment: the interrupt reaches nobody and is no
// longer counted as raised.
void Oracles::discharge(std::size_t i) {
    Obligation& o = open_[i];
    for (const Target& t : o.targets) {
        Counts& c = (o.host ? host_counts_ : guest_counts_)[{t.unit, t.vector}];
        if (c.raised) --c.raised;
    }
    open_.erase(open_.begin() + static_cast<std::ptrdiff_t>(i));
}

void Oracles::on_device_write(const Event& e) {
    const std::uint32_t rid = e.unit, index = static_cast<std::uint32_t>(e.c);
    tag_msi_[e.tag] = {rid, index};
    Obligation o;
    o.origin = e.cycle;
    o.tag = e.tag;
    o.rid = rid;
    o.index = index;
    if (auto h = host_bindings_.find({rid, index}); h != host_bindings_.end()) {
        o.source = Source::HostDevice;
        o.host = true;
        o.targets.push_back({static_cast<int>(h->second.first), h->second.second});
        if (auto st = host_stale_.find({rid, index}); st != host_stale_.end())
            o.targets.push_back({static_cast<int>(st->second.first), st->second.second});
        raise(e, std::move(o));
        return;
    }
    o.source = Source::Device;
    auto b = bindings_.find({rid, index});
    if (b == bindings_.end()) {
        // Another entry's programmed message (a forged copy): aimed where
        // that entry's interrupts go.
        auto m = messages_.find({e.a, static_cast<std::uint32_t>(e.b)});
        if (m != messages_.end()) b = bindings_.find(m->second);
    }
    if (b != bindings_.end()) o.targets.push_back({b->second.first, b->second.second});
    if (auto r = rebinding_.find({rid, index}); r != rebinding_.end())
        for (const auto& [vcpu, vector] : r->second)
            if (std::none_of(o.targets.begin(), o.targets.end(),
                             [&](const Target& t) { return t.unit == vcpu && t.vector == vector; }))
                o.targets.push_back({vcpu, vector});
    // An unbound entry (a forged message): aimed where VT-d posts it.
    raise(e, std::move(o));
}

void Oracles::on_vtd_post(const Event& e) {
    auto o = pid_owner_.find(e.b);
    const int vcpu = o == pid_owner_.end() ? -1 : o->second;
    const std::uint8_t vector = static_cast<std::uint8_t>(e.c);
    auto dev = tag_msi_.find(e.tag);
    const std::uint32_t rid = dev == tag_msi_.end() ? ~0u : dev->second.first;
    if (vcpu >= 0) remember(vcpu, e);
    // isolation: the device's domain must own the target vCPU.
    if (rid != ~0u) {
        auto dd = device_domain_.find(rid);
        const int dom = dd == device_domain_.end() ? -1 : dd->second;
        auto tv = vcpus_.find(vcpu);
        if (tv == vcpus_.end() || dom < 0 || tv->second.domain != static_cast<std::uint32_t>(dom))
            violate(e, "isolation", vcpu,
                    fmt::format("device {} (domain {}) posted vector {:#04x} into the PID at {:#x} of {}", bdf(rid), dom,
                                vector, e.b,
                                tv == vcpus_.end() ? std::string("no vCPU")
                                                   : fmt::format("vCPU {} (domain {})", vcpu, tv->second.domain)));
    }
    // The IRTE decided: an interrupt that could reach several targets (a
    // reprogramming in flight) goes where VT-d posted it; an unbound entry's
    // write is aimed there.
    auto ob = std::find_if(open_.begin(), open_.end(), [&](const Obligation& x) { return x.tag == e.tag && e.tag; });
    if (ob != open_.end()) {
        auto t = std::find_if(ob->targets.begin(), ob->targets.end(),
                              [&](const Target& x) { return x.unit == vcpu && x.vector == vector; });
        if (t != ob->targets.end() && ob->targets.size() > 1) {
            const Target keep = *t;
            ob->targets.assign(1, keep);
            if (owes_wakeup(*ob, keep.unit)) arm_wakeup(keep.unit, e.cycle);
        }
    } else if (vcpu >= 0) {
        Obligation n;
        n.source = Source::Device;
        n.origin = e.cycle;
        n.tag = e.tag;
        if (dev != tag_msi_.end()) n.rid = dev->second.first, n.index = dev->second.second;
        n.targets.push_back({vcpu, vector});
        raise(e, std::move(n));
    }
    if (vcpu < 0) {
        tag_msi_.erase(e.tag);
        return;
    }
    VcpuView& v = vcpus_[vcpu];
    if (vtd_pi_ && v.state == HYP_VCPU_BLOCKED) {
        const std::uint64_t ctl = e.e;  // new control word after the post
        const std::uint8_t nv = nv_of(ctl);
        const int dst = pcpu_of_apic(ndst_of(ctl));
        if (nv != cfg_.wakeup_vector)
            violate(e, "descriptor_state", vcpu,
                    fmt::format("post to blocked vCPU {} with NV {:#04x}, not the wakeup vector {:#04x}", vcpu, nv,
                                cfg_.wakeup_vector));
        if (dst < 0 || v.lists.size() != 1 || !v.lists.count(static_cast<std::uint32_t>(dst)))
            violate(e, "descriptor_state", vcpu,
                    fmt::format("post to blocked vCPU {}: NDST names pCPU {} but the vCPU is on {} blocking list(s){}",
                                vcpu, dst, v.lists.size(),
                                v.lists.empty() ? std::string() : fmt::format(" (first: pCPU {})", *v.lists.begin())));
    }
    tag_msi_.erase(e.tag);
}

// vtd.remap (non-posting modes): the interrupt passed VT-d to a host vector;
// the hypervisor delivers it to the vCPU it is aimed at, which must belong
// to the device's domain (isolation).
void Oracles::on_vtd_remap(const Event& e) {
    auto dev = tag_msi_.find(e.tag);
    for (Obligation& o : open_) {
        if (o.tag != e.tag || !e.tag) continue;
        o.remapped = true;
        if (dev == tag_msi_.end() || o.host) continue;
        auto dd = device_domain_.find(dev->second.first);
        const int dom = dd == device_domain_.end() ? -1 : dd->second;
        for (const Target& t : o.targets) {
            auto tv = vcpus_.find(t.unit);
            if (tv != vcpus_.end() && (dom < 0 || tv->second.domain != static_cast<std::uint32_t>(dom)))
                violate(e, "isolation", t.unit,
                        fmt::format("device {} (domain {}) had vector {:#04x} of vCPU {} (domain {}) remapped for it",
                                    bdf(dev->second.first), dom, t.vector, t.unit, tv->second.domain));
        }
    }
    tag_msi_.erase(e.tag);
}

// guest.ipi [SDM 10.6.1, 10.6.2.1, 10.12.9]: the destinations of a fixed IPI
// in the sender's domain, guest APIC ID = vCPU index.
void Oracles::on_guest_ipi(const Event& e) {
    const int from = static_cast<int>(e.unit);
    remember(from, e);
    const std::uint8_t vector = static_cast<std::uint8_t>(e.b);
    if (e.e != 0 || vector < 16) return;  // not fixed delivery; an illegal vector is dropped by the APIC
    auto s = vcpus_.find(from);
    if (s == vcpus_.end()) return;
    const std::vector<int>& dom = domain_vcpus_[s->second.domain];
    const std::uint64_t broadcast = e.d ? 0xFFFFFFFFull : 0xFFull;
    for (int v : dom) {
        bool hit;
        switch (e.c) {
            case 1: hit = v == from; break;
            case 2: hit = true; break;
            case 3: hit = v != from; break;
            default: hit = e.a == broadcast || e.a == vcpus_[v].index; break;
        }
        if (!hit) continue;
        Obligation o;
        o.source = Source::GuestIpi;
        o.origin = e.cycle;
        o.from = from;
        o.targets.push_back({v, vector});
        raise(e, std::move(o));
    }
}

// percpu.status: the source sets bit 0 when it fires; software's
// read-and-clear (1 -> 0) takes every firing since, for the vCPU whose VMCS
// is current on that pCPU (hyp/src/percpu_virq.c ownership rule).
void Oracles::on_percpu_status(const Event& e) {
    const std::uint32_t p = e.unit;
    if (p >= percpu_pending_.size()) return;
    const bool was = e.a & 1, now = e.b & 1;
    if (!was && now) {
        percpu_pending_[p] = e.cycle;
        note_deadline(sat_add(e.cycle, cfg_.delivery_bound));
        return;
    }
    if (!was || now) return;
    percpu_pending_[p] = 0;
    const int vcpu = current_vmcs_[p];
    if (vcpu < 0) return;  // no resident context: dropped
    auto v = vcpus_.find(vcpu);
    if (v == vcpus_.end()) return;
    auto g = percpu_gvec_.find(v->second.domain);
    if (g == percpu_gvec_.end() || g->second == 0) return;  // the domain takes none
    Obligation o;
    o.source = Source::Percpu;
    o.origin = e.cycle;
    o.from = static_cast<int>(p);
    o.targets.push_back({vcpu, g->second});
    raise(e, std::move(o));
}

void Oracles::deliver_guest(const Event& e, int vcpu, std::uint8_t vector) {
    for (std::size_t i = open_.size(); i-- > 0;) {
        Obligation& o = open_[i];
        if (o.host) continue;
        if (std::any_of(o.targets.begin(), o.targets.end(),
                        [&](const Target& t) { return t.unit == vcpu && t.vector == vector; }))
            open_.erase(open_.begin() + static_cast<std::ptrdiff_t>(i));
    }
    Counts& c = guest_counts_[{vcpu, vector}];
    if (++c.delivered > c.raised)
        violate(e, "spurious_interrupt", vcpu,
                fmt::format("guest ISR {} of vector {:#04x} on vCPU {}, but only {} interrupt(s) aimed at it were "
                            "raised: delivered twice, or to a vCPU it was not aimed at",
                            c.delivered, vector, vcpu, c.raised));
}

// apic.accept of a host device's interrupt (its tag): the hardware decided
// where it went. One that could reach several targets (a pCPU going offline
// re-aimed its entry while it was in flight) is owed only here from now on.
void Oracles::accept_host(const Event& e) {
    if (!e.tag) return;
    const int pcpu = static_cast<int>(e.unit);
    const auto vector = static_cast<std::uint8_t>(e.a);
    // No host interrupt was ever aimed here (a guest's vector, a notification):
    // no obligation can be narrowed, so the open ones are not walked.
    if (host_counts_.find({pcpu, vector}) == host_counts_.end()) return;
    for (Obligation& o : open_) {
        if (!o.host || o.tag != e.tag || o.accepted) continue;
        const bool here = std::any_of(o.targets.begin(), o.targets.end(),
                                      [&](const Target& t) { return t.unit == pcpu && t.vector == vector; });
        if (!here) continue;  // accepted where it was never aimed: its dispatch is spurious
        for (const Target& t : o.targets)
            if (!(t.unit == pcpu && t.vector == vector)) {
                Counts& other = host_counts_[{t.unit, t.vector}];
                if (other.raised) --other.raised;
            }
        o.targets.assign(1, Target{pcpu, vector});
        o.accepted = true;
    }
}

void Oracles::deliver_host(const Event& e, std::uint32_t pcpu, std::uint8_t vector) {
    auto c = host_counts_.find({static_cast<int>(pcpu), vector});
    if (c == host_counts_.end()) return;  // not a host device's vector
    // A dispatch answers every interrupt of the vector this local APIC has
    // accepted (several accepted before it are one IRR bit [SDM 10.8.4]),
    // never one still on its way, which may yet go elsewhere.
    for (std::size_t i = open_.size(); i-- > 0;) {
        const Obligation& o = open_[i];
        if (!o.host || !o.accepted) continue;
        if (!(o.targets.front().unit == static_cast<int>(pcpu) && o.targets.front().vector == vector)) continue;
        open_.erase(open_.begin() + static_cast<std::ptrdiff_t>(i));
    }
    if (++c->second.delivered > c->second.raised)
        violate(e, "spurious_interrupt", -1,
                fmt::format("host vector {:#04x} dispatched on pCPU {} {} time(s), but only {} host-device "
                            "interrupt(s) were aimed at it",
                            vector, pcpu, c->second.delivered, c->second.raised));
}

void Oracles::check_deadlines(std::uint64_t now, const Event* at) {
    if (now <= next_deadline_) return;
    Event when = at ? *at : Event{};
    std::uint64_t next = ~0ull;
    for (std::size_t i = open_.size(); i-- > 0;) {
        Obligation& o = open_[i];
        if (o.host) {
            if (o.host_deadline < now) {
                when.cycle = o.host_deadline;
                violate(when, "lost_interrupt", -1,
                        fmt::format("{} (host vector {:#04x} on pCPU {}) was not dispatched within {} cycles",
                                    describe_obligation(o), o.targets[0].vector, o.targets[0].unit,
                                    cfg_.delivery_bound));
                open_.erase(open_.begin() + static_cast<std::ptrdiff_t>(i));
                continue;
            }
            next = std::min(next, o.host_deadline);
            continue;
        }
        bool all_expired = true;
        std::uint64_t last = 0;
        for (Target& t : o.targets) {
            if (t.deadline && t.deadline < now) {
                t.expired = true;
                t.guest_time = cfg_.delivery_bound;
                last = std::max(last, t.deadline);
                t.deadline = 0;
            }
            if (t.deadline) next = std::min(next, t.deadline);
            all_expired = all_expired && t.expired;
        }
        if (!o.targets.empty() && all_expired) {
            when.cycle = last ? last : now;
            std::string to;
            for (const Target& t : o.targets)
                to += fmt::format("{}vCPU {} vector {:#04x}", to.empty() ? "" : " or ", t.unit, t.vector);
            violate(when, "lost_interrupt", o.targets[0].unit,
                    fmt::format("{} aimed at {} was not delivered while its vCPU ran {} cycles in the guest",
                                describe_obligation(o), to, cfg_.delivery_bound));
            open_.erase(open_.begin() + static_cast<std::ptrdiff_t>(i));
        }
    }
    for (auto& [id, v] : vcpus_) {
        if (!v.wake_deadline) continue;
        if (v.wake_deadline < now) {
            when.cycle = v.wake_deadline;
            // Owed only for an interrupt raised by the time the wait was
            // armed; a later one (the first was discharged, by a VT-d fault
            // say) starts a wait of its own, from now.
            const auto aimed = [this, id = id](const Obligation& o) { return owes_wakeup(o, id); };
            const bool waiting = std::any_of(open_.begin(), open_.end(), [&](const Obligation& o) {
                return aimed(o) && o.origin <= v.wake_from;
            });
            if (!waiting && v.halted && std::any_of(open_.begin(), open_.end(), aimed)) {
                v.waiting = false;
                v.wake_deadline = 0;
                arm_wakeup(id, now);
                if (v.wake_deadline) next = std::min(next, v.wake_deadline);
                continue;
            }
            if (v.halted && waiting)
                violate(when, "wakeup", id,
                        fmt::format("vCPU {} halted (HLT exit at cycle {}) with an interrupt pending was not "
                                    "VM-entered while a pCPU it may run on was idle for {} cycles",
                                    id, v.halted_since, cfg_.wakeup_bound));
            v.wake_deadline = 0;
            v.waiting = false;
        } else {
            next = std::min(next, v.wake_deadline);
        }
    }
    for (std::size_t p = 0; p < percpu_pending_.size(); ++p) {
        if (!percpu_pending_[p]) continue;
        const std::uint64_t d = sat_add(percpu_pending_[p], cfg_.delivery_bound);
        if (d < now) {
            when.cycle = d;
            violate(when, "lost_interrupt", current_vmcs_[p],
                    fmt::format("the per-pCPU source of pCPU {} fired at cycle {} and software did not take the "
                                "firing (read its status word) within {} cycles",
                                p, percpu_pending_[p], cfg_.delivery_bound));
            percpu_pending_[p] = 0;
        } else {
            next = std::min(next, d);
        }
    }
    next_deadline_ = next;
}

// ---- VM entry / exit ------------------------------------------------------

void Oracles::on_vm_entry(const Event& e) {
    const int vcpu = static_cast<int>(e.a);
    remember(vcpu, e);
    VcpuView& v = vcpus_[vcpu];
    if (e.unit < offline_.size() && offline_[e.unit])
        violate(e, "offline_pcpu", vcpu, fmt::format("VM entry of vCPU {} on offline pCPU {}", vcpu, e.unit));
    if (vtd_pi_) {
        const std::uint8_t nv = nv_of(v.control);
        const bool sn = v.control & kSn;
        const std::uint32_t ndst = ndst_of(v.control);
        const std::uint32_t here = cfg_.apic_ids.at(e.unit);
        if (nv != cfg_.notification_vector)
            violate(e, "descriptor_state", vcpu,
                    fmt::format("VM entry of vCPU {} on pCPU {} with NV {:#04x}, not the notification vector {:#04x}",
                                vcpu, e.unit, nv, cfg_.notification_vector));
        if (sn) violate(e, "descriptor_state", vcpu, fmt::format("VM entry of vCPU {} on pCPU {} with SN=1", vcpu, e.unit));
        if (ndst != here)
            violate(e, "descriptor_state", vcpu,
                    fmt::format("VM entry of vCPU {} on pCPU {} (APIC ID {}) with NDST {}", vcpu, e.unit, here, ndst));
        if (!v.lists.empty())
            violate(e, "descriptor_state", vcpu,
                    fmt::format("VM entry of vCPU {} while on the blocking list of pCPU {}", vcpu, *v.lists.begin()));
        check_switched_out_sn(e, vcpu, here);
    }
    // stranded_pir: PIR bits with ON clear at the previous entry still there,
    // and no notification on its way to take them.
    const bool notified = e.unit < nv_inflight_.size() && (nv_inflight_[e.unit] > 0 || nv_pending_[e.unit]);
    if (!posting_) {
        // no posted-interrupt processing: the CPU never reads PIR
    } else if (!(v.control & kOn) && notified) {
        v.stranded = v.pir;
    } else if (!(v.control & kOn)) {
        std::string left;
        for (int w = 0; w < 4; ++w)
            for (std::uint64_t bits = v.pir[w] & v.stranded[w] & ~v.sw_posting[w]; bits; bits &= bits - 1)
                left += fmt::format("{}{:#04x}", left.empty() ? "" : " ", w * 64 + __builtin_ctzll(bits));
        if (!left.empty())
            violate(e, "stranded_pir", vcpu,
                    fmt::format("VM entry of vCPU {} on pCPU {} with ON=0 and PIR vector(s) {} set since before its "
                                "previous VM entry (also with ON=0), and no notification on its way: posted-interrupt "
                                "processing never takes them",
                                vcpu, e.unit, left));
        v.stranded = v.pir;
    } else {
        v.stranded = {};
        // ON set, and a notification vector taken in root mode on this pCPU
        // since: that notification was consumed without posted-interrupt
        // processing, so PIR must have been handed to VIRR (clearing ON)
        // before this entry. With ON still set and no further notification
        // on its way, nothing takes PIR until an unrelated VM exit (Xen's
        // pi_notification_interrupt raises a softirq that sends the pCPU
        // back through vmx_intr_assist; Xen commit b151125b4d).
        if (!notified && e.unit < nv_root_taken_.size() && nv_root_taken_[e.unit] > v.on_since) {
            std::string left;
            for (int w = 0; w < 4; ++w)
                for (std::uint64_t bits = v.pir[w]; bits; bits &= bits - 1)
                    left += fmt::format("{}{:#04x}", left.empty() ? "" : " ", w * 64 + __builtin_ctzll(bits));
            if (!left.empty())
                violate(e, "stranded_pir", vcpu,
                        fmt::format("VM entry of vCPU {} on pCPU {} with ON=1 and PIR vector(s) {}, although this pCPU "
                                    "took the notification vector in root mode after ON was set and none is on its "
                                    "way: posted-interrupt processing does not run, and the vector(s) wait for an "
                                    "unrelated VM exit",
                                    vcpu, e.unit, left));
        }
    }
    v.in_guest = true;
    v.in_guest_since = e.cycle;
    v.hlt_entered = v.hlt_armed;
    v.halted = false;
    v.wake_deadline = 0;
    v.waiting = false;
    for (Obligation& o : open_)
        for (Target& t : o.targets)
            if (!o.host && t.unit == vcpu && !t.expired) start_clock(o, t, e.cycle);
}

void Oracles::on_vm_exit(const Event& e) {
    const int vcpu = static_cast<int>(e.a);
    remember(vcpu, e);
    VcpuView& v = vcpus_[vcpu];
    if (v.in_guest) {
        v.in_guest = false;
        for (Obligation& o : open_)
            for (Target& t : o.targets)
                if (!o.host && t.unit == vcpu) stop_clock(t, e.cycle);
    }
    if (e.b == kHltExit) {
        check_hlt_resume(e, vcpu, "executed HLT again");
        // A HLT the scenario asked for (`block`) may end without an interrupt.
        v.hlt_armed = !v.block_requested;
        v.hlt_entered = false;
        v.block_requested = false;
        v.halted = true;
        v.halted_since = e.cycle;
        for (const Obligation& o : open_)
            if (owes_wakeup(o, vcpu)) {
                arm_wakeup(vcpu, e.cycle);
                break;
            }
    }
}

// descriptor_state: another vCPU now runs on this pCPU, so no vCPU whose PID
// names it (NDST) with the notification vector may leave notifications
// unsuppressed (SN = 0) while a posted IRTE names that PID: software sets SN
// when it switches a vCPU out, and a blocked one's NV is the wakeup vector
// [VTD 9.12 SN; Xen vmx_pi_switch_from; Linux vmx_vcpu_pi_put].
void Oracles::check_switched_out_sn(const Event& e, int running, std::uint32_t apic_id) {
    for (const auto& [id, z] : vcpus_) {
        if (id == running || (z.control & kSn) || (z.control & kOn) || ndst_of(z.control) != apic_id ||
            nv_of(z.control) != cfg_.notification_vector)
            continue;
        if (!pid_posted(z.pid, nullptr)) continue;
        violate(e, "descriptor_state", id,
                fmt::format("VM entry of vCPU {} on pCPU {} while the PID of vCPU {}, which does not run there, names "
                            "that pCPU with the notification vector and SN=0: VT-d's next post to it interrupts vCPU {}",
                            running, e.unit, id, running));
    }
}

// Whether a present posted-format IRTE names the PID at `pid`; `urgent`
// (if given): whether one of them is urgent.
bool Oracles::pid_posted(std::uint64_t pid, bool* urgent) const {
    bool posted = false;
    for (const auto& [index, irte] : irtes_) {
        if (irte.posted_pid != pid) continue;
        posted = true;
        if (!urgent) break;
        *urgent = *urgent || irte.urgent;
    }
    return posted;
}

// hlt_resume: the vCPU left an HLT (exit 12) and, VM-entered again, went on
// (`what`) with no guest ISR in between [SDM vol. 2A HLT].
void Oracles::check_hlt_resume(const Event& e, int vcpu, const char* what) {
    VcpuView& v = vcpus_[vcpu];
    if (!v.hlt_armed || !v.hlt_entered) return;
    v.hlt_armed = false;
    if (v.wakes_requested) {  // a wake of the scenario's ended it
        --v.wakes_requested;
        return;
    }
    violate(e, "hlt_resume", vcpu,
            fmt::format("vCPU {} halted by an HLT exit at cycle {} was VM-entered again and {} without taking an "
                        "interrupt: HLT ends only on an interrupt, so the hypervisor resumed it with none pending",
                        vcpu, v.halted_since, what));
}

// ---- descriptors, lists, IRTEs --------------------------------------------

void Oracles::check_ndst(const Event& e, int vcpu) {
    auto it = vcpus_.find(vcpu);
    if (it == vcpus_.end()) return;
    const VcpuView& v = it->second;
    bool urgent = false;
    const bool posted = pid_posted(v.pid, &urgent);
    // VT-d notifies when a post finds ON = 0 and (URG = 1 or SN = 0).
    if (!posted || (v.control & kOn) || ((v.control & kSn) && !urgent)) return;
    // Only a blocked vCPU (its wakeup) and one in the guest need the
    // notification: any other one's next VM entry rewrites NDST and looks
    // at ON and PIR (Linux vmx_vcpu_pi_load), so a notification sent to an
    // offline pCPU meanwhile loses nothing (offline_pcpu still reports it
    // if it arrives there).
    if (v.state != HYP_VCPU_BLOCKED && !v.in_guest) return;
    const int dst = pcpu_of_apic(ndst_of(v.control));
    if (dst >= 0 && !offline_[static_cast<std::size_t>(dst)]) return;
    violate(e, "ndst_online", vcpu,
            fmt::format("the PID of vCPU {} (SN={}{}) can be notified by VT-d but its NDST {} names {}", vcpu,
                        (v.control & kSn) ? 1 : 0, urgent ? ", urgent IRTE" : "", ndst_of(v.control),
                        dst < 0 ? std::string("no pCPU") : fmt::format("offline pCPU {}", dst)));
}

void Oracles::check_list_agreement(const Event& e, int vcpu) {
    auto it = vcpus_.find(vcpu);
    if (it == vcpus_.end()) return;
    const VcpuView& v = it->second;
    if (v.lists.empty()) {
        if (v.state == HYP_VCPU_BLOCKED && hooks_active(v.domain))
            violate(e, "list_agreement", vcpu,
                    fmt::format("vCPU {} is blocked with the posted-interrupt hooks of domain {} active but on no "
                                "blocking list: a wakeup notification cannot find it",
                                vcpu, v.domain));
        return;
    }
    const std::uint32_t list = *v.lists.begin();
    const int dst = pcpu_of_apic(ndst_of(v.control));
    if (v.lists.size() > 1 || dst != static_cast<int>(list) || nv_of(v.control) != cfg_.wakeup_vector || (v.control & kSn))
        violate(e, "list_agreement", vcpu,
                fmt::format("vCPU {} is on the blocking list of pCPU {}{} but its PID has NDST {} (pCPU {}), NV {:#04x} "
                            "(wakeup vector {:#04x}), SN={}",
                            vcpu, list, v.lists.size() > 1 ? fmt::format(" and {} more", v.lists.size() - 1) : "",
                            ndst_of(v.control), dst, nv_of(v.control), cfg_.wakeup_vector, (v.control & kSn) ? 1 : 0));
}

void Oracles::on_irte_update(const Event& e) {
    IrteState& s = irtes_[static_cast<std::uint32_t>(e.a)];
    for (int h = 0; h < 2; ++h)
        if (e.b >> h & 1) s.half_update[h] = s.update;
    s.lo = e.c;
    s.hi = e.d;
    const std::uint64_t before = s.posted_pid;
    const bool present = s.lo & 1, posted = s.lo >> 15 & 1;  // P bit 0, IM bit 15 [VTD 9.10]
    // Posted format: PID address 31:6 in bits 63:38, 63:32 in bits 127:96.
    s.posted_pid = present && posted ? ((s.lo >> 38) << 6) | ((s.hi >> 32) << 32) : 0;
    s.urgent = present && posted && (s.lo >> 14 & 1);
    if (s.posted_pid && s.posted_pid != before) {
        auto o = pid_owner_.find(s.posted_pid);
        if (o != pid_owner_.end()) check_ndst(e, o->second);
    }
    // A host device's remapped entry re-aimed (a pCPU going offline moves
    // it [Xen fixup_irqs]): its interrupts go to the new (pCPU, vector);
    // those already raised may arrive at either.
    auto h = host_irte_.find(static_cast<std::uint32_t>(e.a));
    if (h == host_irte_.end() || !present || posted) return;
    const std::uint32_t dst = static_cast<std::uint32_t>(s.lo >> 32);  // DST 63:32 [VTD 9.10]
    const int pcpu = pcpu_of_apic(cfg_.x2apic ? dst : (dst >> 8) & 0xFF);
    const auto vector = static_cast<std::uint8_t>(s.lo >> 16);  // V 23:16
    auto& bound = host_bindings_[h->second];
    if (pcpu < 0 || (bound.first == static_cast<std::uint32_t>(pcpu) && bound.second == vector)) return;
    host_stale_[h->second] = bound;  // until the IEC copy is invalidated
    bound = {static_cast<std::uint32_t>(pcpu), vector};
    for (Obligation& o : open_) {
        if (!o.host || o.rid != h->second.first || o.index != h->second.second) continue;
        bool have = false;
        for (const Target& t : o.targets) have = have || (t.unit == pcpu && t.vector == vector);
        if (have) continue;
        o.targets.push_back({pcpu, vector});
        ++host_counts_[{pcpu, vector}].raised;
    }
}

// An IEC invalidation [VTD 6.5.2.7] ends the current update of every entry
// it covers: global, or 2^IM entries from the (aligned) index.
void Oracles::on_iec_invalidate(const Event& e) {
    const std::uint64_t count = 1ull << std::min<std::uint64_t>(e.c, 16);
    const std::uint64_t first = e.b & ~(count - 1);
    for (auto& [index, s] : irtes_)
        if (e.a || (index >= first && index < first + count)) ++s.update;
    // VT-d remaps a re-aimed host entry's later writes with the new copy only.
    for (const auto& [irte, entry] : host_irte_)
        if (e.a || (irte >= first && irte < first + count)) host_stale_.erase(entry);
}

void Oracles::on_irte_fetch(const Event& e) {
    if (e.b) return;  // IEC hit: the copy was checked when it was fetched
    if (!(e.c & 1)) return;  // not present: the request faults, the entry is not used
    auto it = irtes_.find(static_cast<std::uint32_t>(e.a));
    if (it == irtes_.end()) return;  // never written by software
    const IrteState& s = it->second;
    if (s.half_update[0] == s.half_update[1]) return;
    violate(e, "torn_irte", -1,
            fmt::format("VT-d read IRTE {} ({:#018x} {:#018x}) with bits 63:0 from software update {} and bits 127:64 "
                        "from update {} (updates end at IEC invalidations; -1: never written)",
                        e.a, e.c, e.d, s.half_update[0], s.half_update[1]));
}

// apic.send of the notification vector: on its way to the pCPUs it names
// [SDM 10.6.1: shorthand 01 self, 10 all, 11 all but self].
void Oracles::on_apic_send(const Event& e) {
    if (e.b != cfg_.notification_vector) return;
    const std::uint64_t broadcast = cfg_.x2apic ? 0xFFFFFFFFull : 0xFFull;
    for (std::size_t p = 0; p < nv_inflight_.size(); ++p) {
        bool hit;
        switch (e.c) {
            case 1: hit = p == e.unit; break;
            case 2: hit = true; break;
            case 3: hit = p != e.unit; break;
            default: hit = !e.d && (e.a == broadcast || cfg_.apic_ids[p] == e.a); break;
        }
        if (hit) ++nv_inflight_[p];
    }
}

// ---- dispatch -------------------------------------------------------------

void Oracles::on_event(const Event& e) {
    ++events_;
    detect_cycle_ = e.cycle;
    check_deadlines(e.cycle, &e);
    switch (e.kind) {
        case EventKind::NicMsiWrite:
            on_device_write(e);
            break;
        case EventKind::VtdPost:
            on_vtd_post(e);
            break;
        case EventKind::VtdRemap:
            on_vtd_remap(e);
            break;
        case EventKind::VtdFault:
            for (std::size_t i = open_.size(); i-- > 0;)
                if (open_[i].tag == e.tag && e.tag) discharge(i);
            tag_msi_.erase(e.tag);
            break;
        case EventKind::GuestIpi:
            on_guest_ipi(e);
            break;
        case EventKind::GuestOp:
            // The guest's TPR write (MOV to TPR / WRMSR 808H), whatever the
            // controls make of it: what the guest masks (owes_wakeup).
            if (e.a == static_cast<std::uint64_t>(GuestOp::Kind::Tpr)) {
                vcpus_[static_cast<int>(e.unit)].tpr = static_cast<std::uint8_t>(e.b);
                refresh_clocks(static_cast<int>(e.unit), e.cycle);
            }
            check_hlt_resume(e, static_cast<int>(e.unit), "ran its program on");
            break;
        case EventKind::ScenarioEvent:
            if (e.a == static_cast<std::uint64_t>(TimedEvent::Op::Ipi)) {
                Obligation o;
                o.source = Source::ControlIpi;
                o.origin = e.cycle;
                o.targets.push_back({static_cast<int>(e.b), static_cast<std::uint8_t>(e.c)});
                raise(e, std::move(o));
            } else if (e.a == static_cast<std::uint64_t>(TimedEvent::Op::Wake)) {
                // the scenario wakes the vCPU: it may leave HLT with no interrupt
                auto it = vcpus_.find(static_cast<int>(e.b));
                if (it != vcpus_.end()) ++it->second.wakes_requested;
            } else if (e.a == static_cast<std::uint64_t>(TimedEvent::Op::Block)) {
                auto it = vcpus_.find(static_cast<int>(e.b));
                if (it != vcpus_.end()) it->second.block_requested = true;
            } else if (e.a == static_cast<std::uint64_t>(TimedEvent::Op::Pin)) {
                // vcpu-pin: its hard affinity becomes pCPU `unit`.
                auto it = vcpus_.find(static_cast<int>(e.b));
                if (it != vcpus_.end() && e.unit < 64) {
                    it->second.affinity = 1ull << e.unit;
                    if (it->second.waiting) {
                        // re-time from scratch against the new set
                        if (it->second.wake_deadline) it->second.idle_time += e.cycle - it->second.idle_since;
                        it->second.wake_deadline = 0;
                        retime_wakeup(it->second, e.cycle);
                    }
                }
            }
            break;
        case EventKind::PercpuStatus:
            on_percpu_status(e);
            break;
        case EventKind::CpuVmcs:
            if (e.unit < current_vmcs_.size()) {
                if (e.a == 0)
                    current_vmcs_[e.unit] = static_cast<int>(e.b);
                else if (current_vmcs_[e.unit] == static_cast<int>(e.b))
                    current_vmcs_[e.unit] = -1;
            }
            break;
        case EventKind::GuestIsrBegin: {
            const int vcpu = static_cast<int>(e.unit);
            remember(vcpu, e);
            deliver_guest(e, vcpu, static_cast<std::uint8_t>(e.a));
            vcpus_[vcpu].in_service.push_back(static_cast<std::uint8_t>(e.a));
            vcpus_[vcpu].hlt_armed = false;  // HLT ended by an interrupt
            refresh_clocks(vcpu, e.cycle);
            break;
        }
        case EventKind::GuestIsrEnd: {
            const int vcpu = static_cast<int>(e.unit);
            auto& s = vcpus_[vcpu].in_service;
            auto it = std::find(s.rbegin(), s.rend(), static_cast<std::uint8_t>(e.a));
            if (it != s.rend()) s.erase(std::next(it).base());
            refresh_clocks(vcpu, e.cycle);
            break;
        }
        case EventKind::ApicSend:
            on_apic_send(e);
            break;
        case EventKind::VtdNotify:
            if (e.b == cfg_.notification_vector) {
                const int p = pcpu_of_apic(static_cast<std::uint32_t>(e.a));
                if (p >= 0) ++nv_inflight_[static_cast<std::size_t>(p)];
            }
            break;
        case EventKind::ApicDispatch:
            if (e.a == cfg_.notification_vector && e.unit < nv_pending_.size()) {
                nv_pending_[e.unit] = false;
                if (!guest_mode_[e.unit]) nv_root_taken_[e.unit] = ++seq_;
            }
            deliver_host(e, e.unit, static_cast<std::uint8_t>(e.a));
            break;
        case EventKind::ApicAccept:
            accept_host(e);
            if (e.a == cfg_.notification_vector && e.unit < nv_inflight_.size()) {
                if (nv_inflight_[e.unit]) --nv_inflight_[e.unit];
                nv_pending_[e.unit] = true;
            }
            if (e.unit < offline_.size() && offline_[e.unit] && e.a != cfg_.percpu_vector)
                violate(e, "offline_pcpu", -1,
                        fmt::format("offline pCPU {} accepted vector {:#04x}", e.unit, e.a));
            break;
        case EventKind::HypHandlerEnter:
            if (e.unit < offline_.size() && offline_[e.unit] && e.a != HYP_H_PERCPU)
                violate(e, "offline_pcpu", -1,
                        fmt::format("offline pCPU {} runs hypervisor handler {} (vector or reason {:#x})", e.unit, e.a,
                                    e.b));
            break;
        case EventKind::CpuMode:
            if (e.unit < guest_mode_.size()) guest_mode_[e.unit] = e.a == 1;
            // First halt after an accepted offline request with no VMCS
            // current: the hand-over is complete, the pCPU is offline.
            if (e.a == 3 && e.unit < offline_.size() && offline_requested_[e.unit] && current_vmcs_[e.unit] < 0) {
                offline_requested_[e.unit] = false;
                offline_[e.unit] = true;
                for (const auto& [id, v] : vcpus_) check_ndst(e, id);
                for (auto& [id, v] : vcpus_)
                    if (v.waiting && (v.affinity >> e.unit & 1)) retime_wakeup(v, e.cycle);
            }
            if (e.unit < idle_.size() && idle_[e.unit] != (e.a == 3)) {
                idle_[e.unit] = e.a == 3;
                for (auto& [id, v] : vcpus_)
                    if (v.waiting && (v.affinity >> e.unit & 1)) retime_wakeup(v, e.cycle);
            }
            break;
        case EventKind::PidUpdate: {
            const int vcpu = static_cast<int>(e.unit);
            VcpuView& v = vcpus_[vcpu];
            if (e.b < 4) {
                v.pir[e.b] = e.d;
                v.stranded[e.b] &= e.d;  // a cleared bit was taken
                // A bit software set while ON is clear is a post under way
                // until ON is set (its next step, pi_deliver_posted_intr):
                // not stranded yet. With ON already set the post is done.
                const bool sw = e.e == static_cast<std::uint64_t>(PhysMem::Agent::Software) && !(v.control & kOn);
                v.sw_posting[e.b] = (v.sw_posting[e.b] | (sw ? e.d & ~e.c : 0)) & e.d;
            } else if (e.b == 4) {
                if (!(v.control & kOn) && (e.d & kOn)) v.on_since = ++seq_;
                v.control = e.d;
                if (v.control & kOn) {  // the posts under way are done: their bits count from here
                    for (int w = 0; w < 4; ++w) v.stranded[w] &= ~v.sw_posting[w];
                    v.sw_posting = {};
                }
                check_ndst(e, vcpu);
            }
            remember(vcpu, e);
            break;
        }
        case EventKind::HypVcpuState: {
            const int vcpu = static_cast<int>(e.unit);
            VcpuView& v = vcpus_[vcpu];
            v.state = static_cast<std::uint32_t>(e.b);
            if (v.state == HYP_VCPU_BLOCKED) check_ndst(e, vcpu);
            remember(vcpu, e);
            v.block_unlisted = false;
            if (v.state == HYP_VCPU_BLOCKED && hooks_active(v.domain)) {
                // Blocked on no list: a wakeup handler may have unlinked the
                // vCPU between its block path's list add and its state change
                // (it was not blocked yet, so the handler did not wake it);
                // the block path re-adds it and reads ON before it gives up
                // the pCPU (hyp/src/sched.c vcpu_block, step 3). Owed by the
                // time its pCPU schedules away from it.
                if (v.lists.empty())
                    v.block_unlisted = true;
                else
                    check_list_agreement(e, vcpu);
            }
            break;
        }
        case EventKind::HypBlocklistAdd: {
            const int vcpu = static_cast<int>(e.a);
            const std::uint32_t list = static_cast<std::uint32_t>(e.b);
            remember(vcpu, e);
            VcpuView& v = vcpus_[vcpu];
            if (v.lists.count(list))
                violate(e, "blocking_list", vcpu, fmt::format("vCPU {} added twice to the blocking list of pCPU {}", vcpu, list));
            else if (!v.lists.empty())
                violate(e, "blocking_list", vcpu,
                        fmt::format("vCPU {} added to the blocking list of pCPU {} while on the list of pCPU {}", vcpu, list,
                                    *v.lists.begin()));
            v.lists.insert(list);
            touched_[list].insert(vcpu);
            break;
        }
        case EventKind::HypBlocklistDel: {
            const int vcpu = static_cast<int>(e.a);
            const std::uint32_t list = static_cast<std::uint32_t>(e.b);
            remember(vcpu, e);
            VcpuView& v = vcpus_[vcpu];
            if (!v.lists.erase(list))
                violate(e, "blocking_list", vcpu,
                        fmt::format("vCPU {} removed from the blocking list of pCPU {} it is not on", vcpu, list));
            touched_[list].insert(vcpu);
            break;
        }
        case EventKind::HypLockRelease: {
            auto t = touched_.find(static_cast<std::uint32_t>(e.b));
            if (t == touched_.end()) break;
            const std::set<int> vcpus = std::move(t->second);
            touched_.erase(t);
            for (int vcpu : vcpus) check_list_agreement(e, vcpu);
            break;
        }
        case EventKind::CpuVmEntry:
            on_vm_entry(e);
            break;
        case EventKind::CpuVmExit:
            on_vm_exit(e);
            break;
        case EventKind::IrteUpdate:
            on_irte_update(e);
            break;
        case EventKind::VtdIecInvalidate:
            on_iec_invalidate(e);
            break;
        case EventKind::VtdIrteFetch:
            on_irte_fetch(e);
            break;
        case EventKind::HypSchedule: {
            // list_agreement: a vCPU that became blocked on no list is on
            // one (or not blocked) when its pCPU switches away from it
            auto it = vcpus_.find(static_cast<int>(e.a));
            if (it != vcpus_.end() && it->second.block_unlisted) {
                it->second.block_unlisted = false;
                if (it->second.lists.empty()) check_list_agreement(e, it->first);
            }
            remember(static_cast<int>(e.b), e);
            break;
        }
        case EventKind::HypMigrate:
        case EventKind::HypVipi:
            remember(static_cast<int>(e.a), e);
            break;
        default:
            break;
    }
}

void Oracles::finish(std::uint64_t end_cycle) {
    detect_cycle_ = end_cycle;
    check_deadlines(sat_add(end_cycle, 1), nullptr);
}

}  // namespace pisim
