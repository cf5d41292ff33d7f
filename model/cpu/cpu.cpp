// model/cpu/cpu.cpp - the CpuCore module: its thread and the root-mode VMX
// instructions that manage VMCS regions [SDM 24.11, 30.3].
#include "model/cpu/cpu.h"

#include "model/cpu/cpu_impl.h"

namespace pisim {

CpuCore::CpuCore(sc_core::sc_module_name name, std::uint32_t index, const CpuTiming& timing,
                 PhysMem& mem, VmcsStore& vmcs_store, LapicCoreIf& lapic, EventSink& sink)
    : sc_core::sc_module(name),
      rx("rx"),
      impl_(new Impl(*this, index, timing, mem, vmcs_store, lapic, sink)) {
    SC_HAS_PROCESS(CpuCore);
    SC_THREAD(thread_main);
}

CpuCore::~CpuCore() { delete impl_; }

std::uint32_t CpuCore::index() const { return impl_->index; }

void CpuCore::thread_main() {
    // The core starts in VMX root operation running the hypervisor.
    impl_->emit(EventKind::CpuMode, impl_->index, 0, 0);
    if (root_software) root_software();
}

void CpuCore::Impl::emit(EventKind k, std::uint32_t unit, std::uint64_t a, std::uint64_t b,
                         std::uint64_t c, std::uint64_t d, std::uint64_t e, std::uint64_t f) {
    Event ev;
    ev.cycle = now_cycles();
    ev.kind = k;
    ev.unit = unit;
    ev.a = a;
    ev.b = b;
    ev.c = c;
    ev.d = d;
    ev.e = e;
    ev.f = f;
    sink.emit(ev);
}

// VMCLEAR [SDM 30.3]: the region's launch state becomes "clear" and it is no
// longer active on this core; if it was current, no VMCS is current.
void CpuCore::vmclear(std::uint64_t vmcs_pa) {
    Vmcs* v = impl_->store.find(vmcs_pa);
    if (v == nullptr) v = &impl_->store.bind(vmcs_pa, 0, nullptr, false);
    v->launched = false;
    v->active_on = -1;
    if (impl_->current == v) impl_->current = nullptr;
}

void CpuCore::request_guest_halt(std::uint64_t vmcs_pa) {
    Vmcs* v = impl_->store.find(vmcs_pa);
    assert(v != nullptr && "request_guest_halt of a VMCS region never used");
    v->guest.halt_requested = true;
    if (impl_->current == v) impl_->guest_request.notify(sc_core::SC_ZERO_TIME);
}

// VMPTRLD [SDM 30.3]: make the region at vmcs_pa current (and active) here.
// A region active on another core must be VMCLEARed there first [SDM 24.11.1];
// the model does not detect that software error.
void CpuCore::vmptrld(std::uint64_t vmcs_pa) {
    Vmcs* v = impl_->store.find(vmcs_pa);
    if (v == nullptr) v = &impl_->store.bind(vmcs_pa, 0, nullptr, false);
    v->active_on = static_cast<int>(impl_->index);
    impl_->current = v;
}

// VMREAD [SDM 30.3] of the current VMCS; an unknown field reads 0. With no
// current VMCS the instruction fails (VMfailInvalid) and the model returns 0.
std::uint64_t CpuCore::vmread(std::uint32_t field) const {
    if (impl_->current == nullptr) return 0;
    return impl_->current->get(field);
}

// VMWRITE [SDM 30.3] to the current VMCS. With no current VMCS the
// instruction fails (VMfailInvalid) and nothing is written.
void CpuCore::vmwrite(std::uint32_t field, std::uint64_t value) {
    if (impl_->current == nullptr) return;
    impl_->current->fields[field] = value;
}

bool CpuCore::vm_enter(VmExitInfo& out) { return impl_->vm_enter(out); }

const std::map<std::uint32_t, std::uint64_t>& CpuCore::exit_counts() const {
    return impl_->exit_counts;
}

void CpuCore::set_line_latency(LineLatency f) { impl_->line_latency = std::move(f); }

}  // namespace pisim
