// tests/model/cpu/cpu_harness.h - a machine of one CpuCore for the CPU tests:
// machine memory, a VMCS store, a scriptable local APIC, and a log that puts
// the core's events, the APIC calls and the memory writes in one order.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <systemc>
#include <utility>
#include <vector>

#include "model/common/cycles.h"
#include "model/common/lapic_core_if.h"
#include "model/common/phys_mem.h"
#include "model/common/trace.h"
#include "model/cpu/cpu.h"
#include "model/cpu/vmcs.h"

namespace pisim::test {

/// One observed step, in the order it happened.
struct LogEntry {
    std::uint64_t cycle;
    std::string what;  ///< event name ("cpu.vm_exit"), "lapic.ack", "lapic.eoi", "mem.pid", "mem.vapic"
    std::uint64_t a = 0, b = 0, c = 0;  ///< event args a..c; ack: vector; mem: offset, new value, agent
    Event event{};                        ///< for events
};

struct Log {
    std::vector<LogEntry> entries;
    void add(LogEntry e) { entries.push_back(std::move(e)); }
    /// Index of the first entry named `what` (satisfying `pred`) at or after `from`, or -1.
    int find(const std::string& what, std::function<bool(const LogEntry&)> pred = nullptr,
             int from = 0) const {
        for (int i = from; i < static_cast<int>(entries.size()); ++i)
            if (entries[i].what == what && (!pred || pred(entries[i]))) return i;
        return -1;
    }
    int count(const std::string& what) const {
        int n = 0;
        for (const auto& e : entries) n += e.what == what;
        return n;
    }
    std::vector<Event> events(EventKind k) const {
        std::vector<Event> out;
        for (const auto& e : entries)
            if (e.what == event_kind_info(k).name && e.event.kind == k) out.push_back(e.event);
        return out;
    }
};

class RecordingSink final : public EventSink {
public:
    explicit RecordingSink(Log& log) : log_(log) {}
    void emit(const Event& e) override {
        LogEntry le{e.cycle, event_kind_info(e.kind).name, e.a, e.b, e.c, e};
        log_.add(le);
    }

private:
    Log& log_;
};

/// A local APIC whose IRR the test scripts: at given cycles it runs an action
/// (typically: post into a PID, then raise a vector). deliverable_vector() is
/// the highest raised vector (priority is not modeled here; the CPU model
/// does not depend on it).
class FakeLapic final : public sc_core::sc_module, public LapicCoreIf {
public:
    FakeLapic(sc_core::sc_module_name n, Log& log) : sc_core::sc_module(n), log_(log) {
        SC_HAS_PROCESS(FakeLapic);
        SC_THREAD(script_thread);
    }
    /// Run `action` at absolute cycle `at` (actions sorted by the test).
    void at(std::uint64_t at, std::function<void()> action) {
        script_.emplace_back(at, std::move(action));
    }
    void raise(std::uint8_t v) {
        irr_.insert(v);
        log_.add({now_cycles(), "lapic.raise", v});
        event_.notify(sc_core::SC_ZERO_TIME);
    }

    int deliverable_vector() const override { return irr_.empty() ? -1 : *irr_.rbegin(); }
    std::uint8_t acknowledge() override {
        EXPECT_FALSE(irr_.empty());
        const std::uint8_t v = static_cast<std::uint8_t>(*irr_.rbegin());
        irr_.erase(v);
        isr_.insert(v);
        log_.add({now_cycles(), "lapic.ack", v});
        return v;
    }
    const sc_core::sc_event& deliverable_event() const override { return event_; }
    void eoi() override {
        std::uint64_t v = 0;
        if (!isr_.empty()) {
            v = *isr_.rbegin();
            isr_.erase(std::prev(isr_.end()));
        }
        log_.add({now_cycles(), "lapic.eoi", v});
    }
    void set_tpr(std::uint8_t tpr) override { log_.add({now_cycles(), "lapic.tpr", tpr}); }
    void send_ipi(std::uint32_t dest, std::uint8_t v) override {
        log_.add({now_cycles(), "lapic.ipi", v, dest});
    }
    void send_self_ipi(std::uint8_t v) override { log_.add({now_cycles(), "lapic.self_ipi", v}); }
    void set_tsc_deadline(std::uint64_t, std::uint8_t) override {}
    std::uint32_t apic_id() const override { return 0; }

    const std::set<int>& irr() const { return irr_; }
    const std::set<int>& isr() const { return isr_; }

private:
    void script_thread() {
        for (auto& [when, action] : script_) {
            const std::uint64_t now = now_cycles();
            if (when > now) sc_core::wait(cycles(when - now));
            action();
        }
    }
    Log& log_;
    std::vector<std::pair<std::uint64_t, std::function<void()>>> script_;
    std::set<int> irr_, isr_;
    sc_core::sc_event event_;
};

/// Machine addresses used by the tests.
constexpr std::uint64_t kVmcsPa = 0x100000;  // VMCS regions are not RAM
constexpr std::uint64_t kVapic = 0x10000;
constexpr std::uint64_t kPid = 0x11000;
constexpr std::uint64_t kApicAccess = 0x12000;
constexpr std::uint64_t kMsrBitmap = 0x13000;
constexpr std::uint8_t kNv = 0xF2;  ///< posted-interrupt notification vector
constexpr std::uint32_t kVcpu = 7;

/// The timing profile used by the tests (distinct values so that sums identify steps).
inline CpuTiming test_timing() {
    CpuTiming t;
    t.vm_entry = 100;
    t.vm_exit = 200;
    t.pi_processing = 50;
    t.virq_delivery = 20;
    t.eoi_virtualization = 10;
    t.hlt_wakeup = 30;
    return t;
}

struct Machine {
    Log log;
    PhysMem mem;
    VmcsStore store;
    RecordingSink sink{log};
    FakeLapic lapic{"lapic", log};
    CpuTiming timing = test_timing();
    std::unique_ptr<CpuCore> cpu;
    GuestProgram program;
    std::vector<VmExitInfo> exits;   ///< every completed vm_enter (true)
    std::vector<std::uint64_t> exit_cycles;

    Machine() {
        mem.map_ram(0, 0x100000);
        mem.watch(kPid, 64, [this](std::uint64_t pa, std::size_t) {
            log.add({now_cycles(), "mem.pid", pa - kPid, mem.read64(pa & ~7ull),
                     static_cast<std::uint64_t>(mem.agent())});
        });
        mem.watch(kVapic, PhysMem::kPageSize, [this](std::uint64_t pa, std::size_t) {
            log.add({now_cycles(), "mem.vapic", pa - kVapic, mem.read32(pa),
                     static_cast<std::uint64_t>(mem.agent())});
        });
        cpu = std::make_unique<CpuCore>("cpu", 0, timing, mem, store, lapic, sink);
        store.bind(kVmcsPa, kVcpu, &program, /*x2apic=*/false);
    }

    // --- VMCS setups (written through VMPTRLD/VMWRITE from root_software) ---
    /// APICv with posted interrupts, xAPIC guest, HLT exiting off.
    void setup_apicv() {
        cpu->vmptrld(kVmcsPa);
        cpu->vmwrite(vmcs::PIN_BASED_VM_EXEC_CONTROL,
                     vmcs::PIN_EXT_INTR_EXITING | vmcs::PIN_POSTED_INTR);
        cpu->vmwrite(vmcs::CPU_BASED_VM_EXEC_CONTROL,
                     vmcs::CPU_TPR_SHADOW | vmcs::CPU_ACTIVATE_SECONDARY);
        cpu->vmwrite(vmcs::SECONDARY_VM_EXEC_CONTROL,
                     vmcs::SEC_VIRTUALIZE_APIC_ACCESSES | vmcs::SEC_APIC_REGISTER_VIRT |
                         vmcs::SEC_VIRTUAL_INTR_DELIVERY);
        cpu->vmwrite(vmcs::VM_EXIT_CONTROLS, vmcs::EXIT_ACK_INTR_ON_EXIT);
        cpu->vmwrite(vmcs::POSTED_INTR_NV, kNv);
        cpu->vmwrite(vmcs::POSTED_INTR_DESC_ADDR, kPid);
        cpu->vmwrite(vmcs::VIRTUAL_APIC_PAGE_ADDR, kVapic);
        cpu->vmwrite(vmcs::APIC_ACCESS_ADDR, kApicAccess);
    }
    /// APICv, x2APIC guest (virtualize x2APIC mode instead of APIC accesses),
    /// with an MSR bitmap as KVM and Xen set it: writes of every x2APIC MSR
    /// exit but TPR, EOI and SELF IPI.
    void setup_apicv_x2apic() {
        setup_apicv();
        x2apic_guest();
        cpu->vmwrite(vmcs::SECONDARY_VM_EXEC_CONTROL,
                     vmcs::SEC_VIRTUALIZE_X2APIC | vmcs::SEC_APIC_REGISTER_VIRT |
                         vmcs::SEC_VIRTUAL_INTR_DELIVERY);
        set_proc(vmcs::CPU_USE_MSR_BITMAPS);
        cpu->vmwrite(vmcs::MSR_BITMAP, kMsrBitmap);
        for (std::uint32_t msr = vmcs::MSR_X2APIC_FIRST; msr <= vmcs::MSR_X2APIC_LAST; ++msr)
            intercept_msr_write(msr, msr != vmcs::MSR_X2APIC_TPR && msr != vmcs::MSR_X2APIC_EOI &&
                                         msr != vmcs::MSR_X2APIC_SELF_IPI);
    }
    /// The guest's local APIC is in x2APIC mode (it writes MSRs, not its page).
    void x2apic_guest() { vmcs_region().guest.x2apic = true; }
    /// Bit `msr` of the MSR bitmap's write bitmap for low MSRs [SDM 24.6.9].
    void intercept_msr_write(std::uint32_t msr, bool on) {
        const std::uint64_t pa = kMsrBitmap + vmcs::MSR_BITMAP_WRITE_LOW + msr / 32 * 4;
        const std::uint32_t bit = 1u << (msr % 32);
        mem.set_agent(PhysMem::Agent::Software);
        mem.write32(pa, on ? (mem.read32(pa) | bit) : (mem.read32(pa) & ~bit));
    }
    /// Emulated xAPIC (no VID): external-interrupt exiting with ack, TPR
    /// shadow, virtualize APIC accesses.
    void setup_emulated() {
        cpu->vmptrld(kVmcsPa);
        cpu->vmwrite(vmcs::PIN_BASED_VM_EXEC_CONTROL, vmcs::PIN_EXT_INTR_EXITING);
        cpu->vmwrite(vmcs::CPU_BASED_VM_EXEC_CONTROL,
                     vmcs::CPU_TPR_SHADOW | vmcs::CPU_ACTIVATE_SECONDARY);
        cpu->vmwrite(vmcs::SECONDARY_VM_EXEC_CONTROL, vmcs::SEC_VIRTUALIZE_APIC_ACCESSES);
        cpu->vmwrite(vmcs::VM_EXIT_CONTROLS, vmcs::EXIT_ACK_INTR_ON_EXIT);
        cpu->vmwrite(vmcs::VIRTUAL_APIC_PAGE_ADDR, kVapic);
        cpu->vmwrite(vmcs::APIC_ACCESS_ADDR, kApicAccess);
    }
    void set_proc(std::uint32_t bits) {
        cpu->vmwrite(vmcs::CPU_BASED_VM_EXEC_CONTROL,
                     cpu->vmread(vmcs::CPU_BASED_VM_EXEC_CONTROL) | bits);
    }

    /// One VM entry from root software; records the exit.
    bool enter(VmExitInfo& out) {
        const bool ok = cpu->vm_enter(out);
        if (ok) {
            exits.push_back(out);
            exit_cycles.push_back(now_cycles());
        }
        return ok;
    }
    /// root_software = setup, then up to `n` entries.
    void run_entries(std::function<void()> setup, int n, std::uint64_t limit = 1000000,
                     std::function<void(int, const VmExitInfo&)> between = nullptr) {
        cpu->root_software = [this, setup, n, between] {
            setup();
            for (int i = 0; i < n; ++i) {
                VmExitInfo out;
                if (!enter(out)) return;
                if (between) between(i, out);
            }
        };
        sc_core::sc_start(cycles(limit));
    }

    // --- machine memory views ---
    std::uint32_t vapic(std::uint32_t off) const { return mem.read32(kVapic + off); }
    bool vapic_bit(std::uint32_t base, std::uint8_t v) const {
        return (vapic(vmcs::vapic_word(base, v)) >> (v & 31)) & 1;
    }
    void set_vapic_bit(std::uint32_t base, std::uint8_t v) {
        const std::uint32_t off = vmcs::vapic_word(base, v);
        mem.set_agent(PhysMem::Agent::Software);
        mem.write32(kVapic + off, vapic(off) | (1u << (v & 31)));
    }
    /// Post `v` into the PID as VT-d would (PIR bit, then ON).
    void post(std::uint8_t v, bool set_on = true) {
        mem.set_agent(PhysMem::Agent::Vtd);
        const std::uint64_t pa = kPid + 8 * (v / 64);
        mem.write64(pa, mem.read64(pa) | (1ull << (v % 64)));
        if (set_on) mem.write64(kPid + 32, mem.read64(kPid + 32) | 1);
    }
    std::uint64_t pid_word(unsigned w) const { return mem.read64(kPid + 8 * w); }
    Vmcs& vmcs_region() { return *store.find(kVmcsPa); }
    std::uint8_t rvi() { return vmcs_region().get(vmcs::GUEST_INTR_STATUS) & 0xFF; }
    std::uint8_t svi() { return (vmcs_region().get(vmcs::GUEST_INTR_STATUS) >> 8) & 0xFF; }
};

}  // namespace pisim::test
