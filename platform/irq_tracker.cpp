#include "platform/irq_tracker.h"

#include <algorithm>
#include <cassert>

namespace pisim {

const char* irq_step_name(IrqStep s) {
    switch (s) {
        case IrqStep::DeviceWrite: return "device_write";
        case IrqStep::VtdRequest: return "vtd_request";
        case IrqStep::Remapping: return "remapping";
        case IrqStep::Posting: return "posting";
        case IrqStep::HostRemap: return "host_remap";
        case IrqStep::Notification: return "notification";
        case IrqStep::VmExit: return "vm_exit";
        case IrqStep::HypPend: return "hyp_pend";
        case IrqStep::PiProcessing: return "pi_processing";
        case IrqStep::VirtualDelivery: return "virtual_delivery";
        case IrqStep::HostDelivery: return "host_delivery";
        case IrqStep::Count: break;
    }
    return "?";
}

std::optional<std::uint64_t> IrqRecord::step_cycle(IrqStep s) const {
    for (const auto& [k, c] : steps)
        if (k == s) return c;
    return std::nullopt;
}

void IrqTracker::bind(std::uint32_t rid, std::uint32_t index, int vcpu, std::uint8_t vector) {
    bindings_[{rid, index}] = {vcpu, vector};
}

void IrqTracker::bind_host(std::uint32_t rid, std::uint32_t index, std::uint8_t host_vector) {
    bindings_.erase({rid, index});
    host_waiting_[{rid, index}];
    host_vector_[{rid, index}] = host_vector;
}

void IrqTracker::unbind(std::uint32_t rid, std::uint32_t index) { bindings_.erase({rid, index}); }

void IrqTracker::set_pid_owner(std::uint64_t pid_pa, int vcpu) { pid_owner_[pid_pa] = vcpu; }

IrqRecord* IrqTracker::find(std::uint64_t tag) {
    if (tag == 0) return nullptr;
    auto it = by_tag_.find(tag);
    return it == by_tag_.end() ? nullptr : &records_[it->second];
}

void IrqTracker::step(IrqRecord& r, IrqStep s, std::uint64_t cycle) {
    if (r.delivered || r.faulted) return;
    if (r.step_cycle(s)) return;  // a step is recorded once: its first occurrence
    r.steps.emplace_back(s, cycle);
}

void IrqTracker::on_event(const Event& e) {
    switch (e.kind) {
        case EventKind::NicMsiWrite: {
            IrqRecord r;
            r.tag = e.tag;
            r.device = e.unit;
            r.vector_index = static_cast<std::uint32_t>(e.c);
            r.written = e.cycle;
            auto b = bindings_.find({e.unit, r.vector_index});
            if (b != bindings_.end()) {
                r.vcpu = b->second.first;
                r.vector = b->second.second;
            }
            r.steps.reserve(8);  // a delivered interrupt has up to 8 steps: one allocation, not four
            r.steps.emplace_back(IrqStep::DeviceWrite, e.cycle);
            by_tag_[r.tag] = records_.size();
            if (auto h = host_waiting_.find({e.unit, r.vector_index}); h != host_waiting_.end()) {
                r.host = true;
                r.vector = host_vector_[{e.unit, r.vector_index}];
                h->second.push_back(records_.size());
            }
            if (r.vcpu >= 0) waiting_[{r.vcpu, r.vector}].push_back(records_.size());
            records_.push_back(std::move(r));
            break;
        }
        case EventKind::VtdRequest:
            if (IrqRecord* r = find(e.tag)) step(*r, IrqStep::VtdRequest, e.cycle);
            break;
        case EventKind::VtdIrteFetch:
            if (IrqRecord* r = find(e.tag)) step(*r, IrqStep::Remapping, e.cycle);
            break;
        case EventKind::VtdPost:
            if (IrqRecord* r = find(e.tag)) {
                // The IRTE decides where it goes: after a reprogramming the
                // PID's owner and the posted vector are the truth, not the
                // binding the device was written under.
                auto o = pid_owner_.find(e.b);
                const int vcpu = o == pid_owner_.end() ? -1 : o->second;
                const std::uint8_t vector = static_cast<std::uint8_t>(e.c);
                if (vcpu >= 0 && (vcpu != r->vcpu || vector != r->vector)) {
                    const std::size_t idx = static_cast<std::size_t>(r - records_.data());
                    if (r->vcpu >= 0) {
                        auto& old = waiting_[{r->vcpu, r->vector}];
                        old.erase(std::remove(old.begin(), old.end(), idx), old.end());
                    }
                    r->vcpu = vcpu;
                    r->vector = vector;
                    waiting_[{vcpu, vector}].push_back(idx);
                }
                step(*r, IrqStep::Posting, e.cycle);
            }
            break;
        case EventKind::VtdRemap:
            if (IrqRecord* r = find(e.tag)) step(*r, IrqStep::HostRemap, e.cycle);
            break;
        case EventKind::VtdFault:
            if (IrqRecord* r = find(e.tag)) {
                r->faulted = true;
                r->fault_reason = static_cast<std::uint8_t>(e.a);
            }
            break;
        case EventKind::ApicAccept:
            if (IrqRecord* r = find(e.tag)) step(*r, IrqStep::Notification, e.cycle);
            break;
        case EventKind::CpuPiProcess: {
            // e.unit is the pCPU; e.a the vCPU whose PIR was drained; c..f PIR words.
            const int vcpu = static_cast<int>(e.a);
            const std::uint64_t pir[4] = {e.c, e.d, e.e, e.f};
            // waiting_ is ordered by (vCPU, vector): visit this vCPU's keys only.
            for (auto it = waiting_.lower_bound({vcpu, 0}); it != waiting_.end() && it->first.first == vcpu; ++it) {
                const std::vector<std::size_t>& list = it->second;
                const std::uint8_t v = it->first.second;
                if (!(pir[v >> 6] >> (v & 63) & 1)) continue;
                for (std::size_t i : list) step(records_[i], IrqStep::PiProcessing, e.cycle);
            }
            break;
        }
        case EventKind::HypVirqPend: {
            const int vcpu = static_cast<int>(e.a);
            auto it = waiting_.find({vcpu, static_cast<std::uint8_t>(e.b)});
            if (it != waiting_.end())
                for (std::size_t i : it->second) step(records_[i], IrqStep::HypPend, e.cycle);
            break;
        }
        case EventKind::CpuVmExit: {
            // An external-interrupt exit (reason 1) with the vector of a waiting
            // interrupt's host remap: attribute to interrupts that reached the APIC.
            if (e.b != 1) break;
            const int vcpu = static_cast<int>(e.a);
            for (auto it = waiting_.lower_bound({vcpu, 0}); it != waiting_.end() && it->first.first == vcpu; ++it) {
                for (std::size_t i : it->second)
                    if (records_[i].step_cycle(IrqStep::Notification) &&
                        !records_[i].step_cycle(IrqStep::HypPend))
                        step(records_[i], IrqStep::VmExit, e.cycle);
            }
            break;
        }
        case EventKind::HypHandlerEnter: {
            // A host-owned device's handler: the oldest of its interrupts that
            // the local APIC accepted is the one being handled.
            if (e.a != 9 /* HYP_H_HOST_IRQ */) break;
            auto h = host_waiting_.find({static_cast<std::uint32_t>(e.d >> 16),
                                         static_cast<std::uint32_t>(e.d & 0xFFFF)});
            if (h == host_waiting_.end()) break;
            auto& list = h->second;
            for (auto it = list.begin(); it != list.end(); ++it) {
                IrqRecord& r = records_[*it];
                if (r.faulted || !r.step_cycle(IrqStep::Notification)) continue;
                step(r, IrqStep::HostDelivery, e.cycle);
                r.delivered = true;
                r.delivered_at = e.cycle;
                list.erase(it);
                break;
            }
            break;
        }
        case EventKind::GuestIsrBegin: {
            auto it = waiting_.find({static_cast<int>(e.unit), static_cast<std::uint8_t>(e.a)});
            if (it == waiting_.end()) break;
            std::vector<std::size_t> still;
            for (std::size_t i : it->second) {
                IrqRecord& r = records_[i];
                if (r.faulted) continue;
                // Only interrupts already made pending for the guest (posted
                // into the PID by VT-d, pended by the hypervisor, or - cpu-pi -
                // accepted at their host vector and then taken from PIR by
                // posted-interrupt processing after the hypervisor's software
                // post) can be the cause of this ISR.
                const bool soft_posted =
                    r.step_cycle(IrqStep::Notification) && r.step_cycle(IrqStep::PiProcessing);
                if (!r.step_cycle(IrqStep::Posting) && !r.step_cycle(IrqStep::HypPend) && !soft_posted) {
                    still.push_back(i);
                    continue;
                }
                step(r, IrqStep::VirtualDelivery, e.cycle);
                r.delivered = true;
                r.delivered_at = e.cycle;
            }
            it->second.swap(still);
            break;
        }
        default:
            break;
    }
}

}  // namespace pisim
