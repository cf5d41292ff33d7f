#include "platform/oracles.h"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>

namespace pisim {

namespace {
constexpr std::uint32_t kBlocked = 3, kRunnable = 1, kRunning = 2;  // enum hyp_vcpu_state

std::string describe(const Event& e) {
    const EventKindInfo& k = event_kind_info(e.kind);
    std::string s = fmt::format("{} {}[{}]", e.cycle, k.name, e.unit);
    const std::uint64_t v[6] = {e.a, e.b, e.c, e.d, e.e, e.f};
    for (int i = 0; i < 6; ++i)
        if (k.args[i][0]) s += fmt::format(" {}={:#x}", k.args[i], v[i]);
    return s;
}
}  // namespace

const std::vector<std::string>& oracle_names() {
    static const std::vector<std::string> n = {"lost_interrupt", "wakeup", "descriptor_state",
                                               "isolation", "blocking_list", "hyp_assertion"};
    return n;
}

Oracles::Oracles(OracleConfig cfg) : cfg_(std::move(cfg)) {}

void Oracles::add_vcpu(int vcpu, std::uint32_t domain, std::uint64_t pid) {
    VcpuView& v = vcpus_[vcpu];
    v.domain = domain;
    v.pid = pid;
    pid_owner_[pid] = vcpu;
}

void Oracles::assign_device(std::uint32_t rid, int domain) { device_domain_[rid] = domain; }

void Oracles::bind(std::uint32_t rid, std::uint32_t index, int vcpu, std::uint8_t vector) {
    bindings_[{rid, index}] = {vcpu, vector};
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
    v.oracle = oracle;
    v.vcpu = vcpu;
    v.message = msg;
    v.event_index = events_ == 0 ? 0 : events_ - 1;
    auto it = vcpus_.find(vcpu);
    if (it != vcpus_.end()) {
        const VcpuView& w = it->second;
        for (std::size_t i = 0; i < w.history_len; ++i) v.history.push_back(describe(w.history[(w.history_head + i) % kHistory]));
    }
    violations_.push_back(std::move(v));
}

void Oracles::check_deadlines(std::uint64_t now, const Event* at) {
    if (now <= next_deadline_) return;
    Event when = at ? *at : Event{};
    std::uint64_t next = ~0ull;
    std::vector<Pending> keep;
    for (const Pending& p : pending_) {
        if (p.deadline && p.deadline < now) {
            when.cycle = p.deadline;
            violate(when, "lost_interrupt", p.vcpu,
                    fmt::format("{} (guest vector {:#04x}) made pending at cycle {} was not delivered "
                                "while its vCPU ran {} cycles in the guest",
                                p.tag ? fmt::format("interrupt {:#x}", p.tag) : std::string("virtual IPI"),
                                p.vector, p.posted, cfg_.delivery_bound));
            continue;
        }
        if (p.deadline) next = std::min(next, p.deadline);
        keep.push_back(p);
    }
    pending_.swap(keep);
    for (auto& [id, v] : vcpus_) {
        if (!v.wake_deadline) continue;
        if (v.wake_deadline < now) {
            when.cycle = v.wake_deadline;
            if (v.state == kBlocked)
                violate(when, "wakeup", id,
                        fmt::format("blocked vCPU {} with a posted interrupt pending was not woken within {} cycles",
                                    id, cfg_.wakeup_bound));
            v.wake_deadline = 0;
        } else {
            next = std::min(next, v.wake_deadline);
        }
    }
    next_deadline_ = next;
}

void Oracles::on_event(const Event& e) {
    ++events_;
    check_deadlines(e.cycle, &e);
    switch (e.kind) {
        case EventKind::NicMsiWrite:
            tag_msi_[e.tag] = {e.unit, static_cast<std::uint32_t>(e.c)};
            break;
        case EventKind::PidUpdate: {
            const int vcpu = static_cast<int>(e.unit);
            if (e.b == 4) vcpus_[vcpu].control = e.d;
            remember(vcpu, e);
            break;
        }
        case EventKind::HypVcpuState: {
            const int vcpu = static_cast<int>(e.unit);
            VcpuView& v = vcpus_[vcpu];
            v.state = static_cast<std::uint32_t>(e.b);
            if (v.state == kRunnable || v.state == kRunning) v.wake_deadline = 0;
            remember(vcpu, e);
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
            break;
        }
        case EventKind::CpuVmEntry: {
            const int vcpu = static_cast<int>(e.a);
            remember(vcpu, e);
            VcpuView& v = vcpus_[vcpu];
            if (cfg_.vtd_posting) {
                const std::uint8_t nv = static_cast<std::uint8_t>(v.control >> 16);
                const bool sn = v.control >> 1 & 1;
                const std::uint32_t ndst = ndst_of(v.control);
                const std::uint32_t here = cfg_.apic_ids.at(e.unit);
                if (nv != cfg_.notification_vector)
                    violate(e, "descriptor_state", vcpu,
                            fmt::format("VM entry of vCPU {} on pCPU {} with NV {:#04x}, not the notification vector {:#04x}",
                                        vcpu, e.unit, nv, cfg_.notification_vector));
                if (sn)
                    violate(e, "descriptor_state", vcpu, fmt::format("VM entry of vCPU {} on pCPU {} with SN=1", vcpu, e.unit));
                if (ndst != here)
                    violate(e, "descriptor_state", vcpu,
                            fmt::format("VM entry of vCPU {} on pCPU {} (APIC ID {}) with NDST {}", vcpu, e.unit, here, ndst));
                if (!v.lists.empty())
                    violate(e, "descriptor_state", vcpu,
                            fmt::format("VM entry of vCPU {} while on the blocking list of pCPU {}", vcpu, *v.lists.begin()));
            }
            v.in_guest = true;
            v.in_guest_since = e.cycle;
            for (Pending& p : pending_)
                if (p.vcpu == vcpu && p.posted <= e.cycle) {
                    p.deadline = e.cycle + (cfg_.delivery_bound - std::min(p.guest_time, cfg_.delivery_bound));
                    next_deadline_ = std::min(next_deadline_, p.deadline);
                }
            break;
        }
        case EventKind::CpuVmExit: {
            const int vcpu = static_cast<int>(e.a);
            remember(vcpu, e);
            VcpuView& v = vcpus_[vcpu];
            if (!v.in_guest) break;
            v.in_guest = false;
            for (Pending& p : pending_)
                if (p.vcpu == vcpu && p.deadline) {
                    p.guest_time += e.cycle - std::max(v.in_guest_since, p.posted);
                    p.deadline = 0;
                }
            break;
        }
        case EventKind::VtdPost:
        case EventKind::VtdRemap: {
            int vcpu = -1;
            std::uint8_t vector = 0;
            auto dev = tag_msi_.find(e.tag);
            const std::uint32_t rid = dev == tag_msi_.end() ? ~0u : dev->second.first;
            if (e.kind == EventKind::VtdPost) {
                auto o = pid_owner_.find(e.b);
                vcpu = o == pid_owner_.end() ? -1 : o->second;
                vector = static_cast<std::uint8_t>(e.c);
            } else if (dev != tag_msi_.end()) {
                auto b = bindings_.find({rid, dev->second.second});
                if (b != bindings_.end()) vcpu = b->second.first, vector = b->second.second;
            }
            if (vcpu >= 0) remember(vcpu, e);
            // isolation: the device's domain must own the target vCPU.
            if (rid != ~0u) {
                auto dd = device_domain_.find(rid);
                const int dom = dd == device_domain_.end() ? -1 : dd->second;
                if (e.kind == EventKind::VtdPost && (vcpu < 0 || dom < 0 || vcpus_[vcpu].domain != static_cast<std::uint32_t>(dom)))
                    violate(e, "isolation", vcpu,
                            fmt::format("device {:02x}:{:02x}.{} (domain {}) posted vector {:#04x} into the PID at {:#x} of {}", rid >> 8,
                                        rid >> 3 & 0x1f, rid & 7, dom, vector, e.b,
                                        vcpu < 0 ? std::string("no vCPU") : fmt::format("vCPU {} (domain {})", vcpu, vcpus_[vcpu].domain)));
            }
            if (vcpu < 0) break;
            {
                // Posted while its vCPU runs in the guest: the bound starts now.
                const VcpuView& tv = vcpus_[vcpu];
                const std::uint64_t deadline = tv.in_guest ? e.cycle + cfg_.delivery_bound : 0;
                pending_.push_back({e.tag, e.cycle, vcpu, vector, 0, deadline});
                if (deadline) next_deadline_ = std::min(next_deadline_, deadline);
            }
            VcpuView& v = vcpus_[vcpu];
            if (e.kind == EventKind::VtdPost && v.state == kBlocked) {
                if (cfg_.vtd_posting) {
                    const std::uint64_t ctl = e.e;  // new control word after the post
                    const std::uint8_t nv = static_cast<std::uint8_t>(ctl >> 16);
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
                if (!v.wake_deadline) {
                    v.wake_deadline = e.cycle + cfg_.wakeup_bound;
                    next_deadline_ = std::min(next_deadline_, v.wake_deadline);
                }
            }
            tag_msi_.erase(e.tag);
            break;
        }
        case EventKind::HypVipi: {
            // A virtual IPI (SPEC 6) is an interrupt made pending for a guest
            // like a device's: the same delivery bound, and a blocked target
            // must be woken within the wakeup bound.
            const int vcpu = static_cast<int>(e.a);
            remember(vcpu, e);
            VcpuView& v = vcpus_[vcpu];
            const std::uint64_t deadline = v.in_guest ? e.cycle + cfg_.delivery_bound : 0;
            pending_.push_back({0, e.cycle, vcpu, static_cast<std::uint8_t>(e.b), 0, deadline});
            if (deadline) next_deadline_ = std::min(next_deadline_, deadline);
            if (v.state == kBlocked && !v.wake_deadline) {
                v.wake_deadline = e.cycle + cfg_.wakeup_bound;
                next_deadline_ = std::min(next_deadline_, v.wake_deadline);
            }
            break;
        }
        case EventKind::VtdFault:
            tag_msi_.erase(e.tag);
            break;
        case EventKind::GuestIsrBegin: {
            const int vcpu = static_cast<int>(e.unit);
            remember(vcpu, e);
            const std::uint8_t vector = static_cast<std::uint8_t>(e.a);
            pending_.erase(std::remove_if(pending_.begin(), pending_.end(),
                                          [&](const Pending& p) {
                                              return p.vcpu == vcpu && p.vector == vector && p.posted <= e.cycle;
                                          }),
                           pending_.end());
            break;
        }
        case EventKind::HypSchedule:
        case EventKind::HypMigrate:
            remember(static_cast<int>(e.kind == EventKind::HypSchedule ? e.b : e.a), e);
            break;
        default:
            break;
    }
}

void Oracles::finish(std::uint64_t end_cycle) { check_deadlines(end_cycle + 1, nullptr); }

}  // namespace pisim
