// model/common/trace.h - the event stream every model and the hypervisor feed.
//
// Every action that changes interrupt state is one Event with its cycle
// (docs/design.md, "Traces"). The platform fans events out to the latency
// tracker and the invariant oracles (always) and to the trace recorder (only
// with --trace), so emitting an event costs one virtual call.
//
// The kinds, their unit (which track) and the meaning of args a..f are listed
// once, in PISIM_EVENT_KINDS below; exporters and the viewer use those names.
#pragma once

#include <cstdint>

namespace pisim {

// X(enum name, "dotted.name", unit kind, "a", "b", "c", "d", "e", "f")
// Unit kinds: pcpu (index), vcpu (global id), vtd (0), dev (requester ID),
// mem (0), oracle (0: the invariant oracles, which judge the whole machine). Empty strings are unused args. "writer" of pid.update: 0 VT-d,
// 1 CPU (posted-interrupt processing), 2 hypervisor software.
#define PISIM_EVENT_KINDS(X)                                                                 \
    /* --- PCIe endpoint (model/pcie) --- */                                                 \
    X(NicPacket, "nic.packet", dev, "queue", "", "", "", "", "")                              \
    X(NicMsiWrite, "nic.msi_write", dev, "address", "data", "vector_index", "queue", "", "")  \
    X(NicMsixPending, "nic.msix_pending", dev, "vector_index", "", "", "", "", "")           \
    X(NicModerated, "nic.moderated", dev, "vector_index", "until", "", "", "", "")           \
    /* --- VT-d remapping unit (model/vtd) --- */                                            \
    X(VtdRequest, "vtd.request", vtd, "address", "data", "requester_id", "", "", "")         \
    X(VtdIrteFetch, "vtd.irte_fetch", vtd, "index", "iec_hit", "irte_lo", "irte_hi", "", "") \
    X(VtdFault, "vtd.fault", vtd, "reason", "index", "requester_id", "recorded", "", "")     \
    X(VtdRemap, "vtd.remap", vtd, "index", "dest", "vector", "dest_logical", "", "")         \
    X(VtdPost, "vtd.post", vtd, "index", "pid", "vector", "old_control", "new_control",      \
      "notify")                                                                              \
    X(VtdNotify, "vtd.notify", vtd, "ndst", "nv", "pid", "", "", "")                         \
    X(VtdIecInvalidate, "vtd.iec_invalidate", vtd, "global", "index", "mask", "", "", "")    \
    X(VtdIqWait, "vtd.iq_wait", vtd, "status_address", "status_data", "", "", "", "")        \
    /* --- local APIC (model/lapic) --- */                                                   \
    X(ApicSend, "apic.send", pcpu, "dest", "vector", "shorthand", "dest_logical", "", "")    \
    X(ApicAccept, "apic.accept", pcpu, "vector", "ppr", "", "", "", "")                         \
    X(ApicDispatch, "apic.dispatch", pcpu, "vector", "ppr", "", "", "", "")                  \
    X(ApicEoi, "apic.eoi", pcpu, "vector", "ppr", "", "", "", "")                               \
    X(ApicTimer, "apic.timer", pcpu, "vector", "deadline", "", "", "", "")                   \
    /* --- CPU core (model/cpu) --- */                                                       \
    X(CpuMode, "cpu.mode", pcpu, "mode", "vcpu", "", "", "", "")                             \
    X(CpuVmEntry, "cpu.vm_entry", pcpu, "vcpu", "rvi", "svi", "", "", "")                    \
    X(CpuVmEntryFail, "cpu.vm_entry_fail", pcpu, "vcpu", "error", "", "", "", "")            \
    X(CpuVmExit, "cpu.vm_exit", pcpu, "vcpu", "reason", "qualification", "intr_info", "",   \
      "")                                                                                    \
    X(CpuPiProcess, "cpu.pi_process", pcpu, "vcpu", "rvi", "pir0", "pir1", "pir2", "pir3")   \
    X(CpuVirqDeliver, "cpu.virq_deliver", pcpu, "vcpu", "vector", "rvi", "svi", "", "")      \
    X(CpuVirqInject, "cpu.virq_inject", pcpu, "vcpu", "vector", "", "", "", "")              \
    X(CpuVeoi, "cpu.veoi", pcpu, "vcpu", "vector", "svi", "eoi_exit", "", "")                \
    X(CpuVapicState, "cpu.vapic", vcpu, "rvi", "svi", "vppr", "", "", "")                    \
    /* VMPTRLD (op 0: the vCPU's VMCS becomes current) / VMCLEAR (op 1)          */        \
    X(CpuVmcs, "cpu.vmcs", pcpu, "op", "vcpu", "", "", "", "")                               \
    X(GuestIsrBegin, "guest.isr_begin", vcpu, "vector", "", "", "", "", "")                  \
    X(GuestIsrEnd, "guest.isr_end", vcpu, "vector", "", "", "", "", "")                      \
    X(GuestHalt, "guest.halt", vcpu, "", "", "", "", "", "")                                 \
    X(GuestOp, "guest.op", vcpu, "op", "arg", "packets", "", "", "")                         \
    /* the guest's write that sends an IPI (ICR low / ICR MSR / SELF IPI MSR) as  */       \
    /* the guest wrote it, whatever the controls make of it: dest = guest APIC ID */       \
    X(GuestIpi, "guest.ipi", vcpu, "dest", "vector", "shorthand", "x2apic", "delivery_mode", \
      "")                                                                                    \
    /* --- machine memory, decoded by the platform --- */                                    \
    /* one 64-bit word of a PID changed; word 0-3 PIR bits 64w..64w+63, 4 control  */       \
    /* (ON bit 0, SN bit 1, NV bits 23:16, NDST bits 63:32), whoever wrote it    */          \
    X(PidUpdate, "pid.update", vcpu, "pid", "word", "old", "new", "writer", "")              \
    /* one 32-bit word of a virtual-APIC page changed (VTPR, VPPR, VISR, VIRR)   */          \
    X(VapicUpdate, "vapic.update", vcpu, "offset", "old", "new", "", "", "")                 \
    /* a write into the interrupt-remapping table: halves bit 0 = bits 63:0, bit  */        \
    /* 1 = bits 127:64 written; lo/hi the entry after it; unit the writing pCPU   */        \
    X(IrteUpdate, "irte.update", pcpu, "index", "halves", "lo", "hi", "writer", "")          \
    /* the per-pCPU source's status word changed (bit 0: fired, not yet read)     */        \
    X(PercpuStatus, "percpu.status", pcpu, "old", "new", "writer", "", "", "")               \
    /* --- hypervisor (hyp/include/hyp/trace.h, through arch_trace) --- */                   \
    X(HypHandlerEnter, "hyp.handler_enter", pcpu, "handler", "detail", "vcpu", "", "", "")   \
    X(HypHandlerExit, "hyp.handler_exit", pcpu, "handler", "detail", "vcpu", "", "", "")     \
    X(HypSchedule, "hyp.schedule", pcpu, "prev", "next", "reason", "", "", "")               \
    X(HypVcpuState, "hyp.vcpu_state", vcpu, "old", "new", "pcpu", "", "", "")                \
    X(HypBlocklistAdd, "hyp.blocklist_add", pcpu, "vcpu", "list_pcpu", "", "", "", "")       \
    X(HypBlocklistDel, "hyp.blocklist_del", pcpu, "vcpu", "list_pcpu", "", "", "", "")       \
    X(HypVmEntry, "hyp.vm_entry", pcpu, "vcpu", "", "", "", "", "")                          \
    X(HypVirqPend, "hyp.virq_pend", pcpu, "vcpu", "vector", "how", "", "", "")               \
    X(HypMigrate, "hyp.migrate", pcpu, "vcpu", "from", "to", "", "", "")                     \
    X(HypIpi, "hyp.ipi", pcpu, "target_pcpu", "vector", "", "", "", "")                      \
    X(HypSoftirq, "hyp.softirq", pcpu, "bit", "target_pcpu", "", "", "", "")                 \
    X(HypIrteWrite, "hyp.irte_write", pcpu, "index", "irte_lo", "irte_hi", "", "", "")       \
    X(HypCtl, "hyp.ctl", pcpu, "op", "seq", "result", "", "", "")                            \
    X(HypVipi, "hyp.vipi", pcpu, "vcpu", "vector", "from", "", "", "")                       \
    X(HypLockRelease, "hyp.lock_release", pcpu, "lock", "index", "", "", "", "")            \
    /* --- scenario and oracles (platform) --- */                                            \
    X(ScenarioEvent, "scenario.event", pcpu, "op", "target", "arg", "", "", "")              \
    X(Violation, "oracle.violation", oracle, "oracle", "vcpu", "vector", "detail", "", "")     \
    X(IrqDelivered, "irq.delivered", vcpu, "vector", "latency", "", "", "", "")            \
    /* --- per-pCPU guest interrupt [xen-devel, "Using IRQ_GUEST|IRQ_PER_CPU to              \
     * signal "delivery to current vcpu"?"] --- */                                           \
    X(PercpuTimerFire, "percpu.fire", pcpu, "vector", "count", "", "", "", "")               \
    X(HypPercpuVirq, "hyp.percpu_virq", pcpu, "vcpu", "step", "pending", "active", "", "")

enum class EventKind : std::uint16_t {
#define PISIM_X_ENUM(name, str, unit, a, b, c, d, e, f) name,
    PISIM_EVENT_KINDS(PISIM_X_ENUM)
#undef PISIM_X_ENUM
        Count
};

/// Which track an event belongs to.
enum class UnitKind : std::uint8_t { pcpu, vcpu, vtd, dev, mem, oracle };

/// One event. `tag` links the steps of one device interrupt (0 = none).
struct Event {
    std::uint64_t cycle = 0;
    EventKind kind{};
    std::uint32_t unit = 0;  ///< index within the kind's UnitKind
    std::uint64_t tag = 0;
    std::uint64_t a = 0, b = 0, c = 0, d = 0, e = 0, f = 0;
};

/// Static description of a kind (names for exporters and the viewer).
struct EventKindInfo {
    const char* name;
    UnitKind unit;
    const char* args[6];
};
const EventKindInfo& event_kind_info(EventKind k);

/// Receives events. Models hold a pointer to one (never null: the platform
/// passes a sink that fans out; tests pass a recorder).
class EventSink {
public:
    virtual ~EventSink() = default;
    virtual void emit(const Event& e) = 0;
};

/// A sink that drops everything (for models under test that do not care).
class NullSink final : public EventSink {
public:
    void emit(const Event&) override {}
};

}  // namespace pisim
