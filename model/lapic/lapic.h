// model/lapic/lapic.h - the physical local APIC [SDM vol. 3A ch. 10;
// Linux arch/x86/include/asm/apicdef.h]
// and the system bus that carries interrupt messages between APICs and from
// the VT-d unit.
//
// Time: every delay is in core cycles (model/common/cycles.h). The APIC timer
// counts the bus clock; in this model the bus clock is the core clock, so one
// timer tick before division is one core cycle, and the TSC (the time base of
// IA32_TSC_DEADLINE) is the kernel's cycle count, pisim::now_cycles().
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <systemc>
#include <vector>

#include "model/common/lapic_core_if.h"
#include "model/common/messages.h"
#include "model/common/trace.h"

namespace pisim {

/// Costs of the APIC and the bus, in cycles (from the timing profile).
struct LapicTiming {
    std::uint64_t ipi_latency = 0;      ///< ICR write to acceptance at the destination
    std::uint64_t msg_latency = 0;      ///< bus message (from VT-d) to acceptance
    std::uint64_t register_access = 0;  ///< charged by the caller; kept for reference
};

/// A local APIC. Accepts messages from the bus (ApicMessageIf), serves its core
/// (LapicCoreIf) and sends IPIs through `bus`.
///
/// State after construction: the state a booted OS leaves the APIC in, not the
/// power-up state [SDM 10.4.7.1]: software-enabled (SVR = 0x1FF), TPR 0, IRR/ISR/
/// TMR clear, every LVT masked, DFR flat (0xFFFFFFFF), LDR 0 (xAPIC) or derived
/// from the ID (x2APIC), timer stopped, divide configuration 0 (divide by 2).
///
/// Delivery modes: fixed and lowest priority (resolved by the bus, accepted here
/// as fixed) are modelled. SMI, NMI, INIT, SIPI and ExtINT are not: accepting one
/// is an assertion failure.
class LocalApic : public sc_core::sc_module, public ApicMessageIf, public LapicCoreIf {
public:
    /// IPIs and self-IPIs leave through this port (bound to the ApicBus).
    sc_core::sc_port<ApicMessageIf> bus;

    /// pcpu: index for trace records; apic_id: xAPIC 8-bit (not 0xFF) or x2APIC
    /// 32-bit (not 0xFFFFFFFF); x2apic: the mode, fixed for the APIC's lifetime.
    LocalApic(sc_core::sc_module_name name, std::uint32_t pcpu, std::uint32_t apic_id,
              bool x2apic, const LapicTiming& timing, EventSink& sink);
    ~LocalApic() override;

    // ApicMessageIf: acceptance of a message addressed to this APIC [SDM 10.6.2,
    // 10.8.2] at the current cycle (the bus has already applied its latency).
    // Fixed delivery sets IRR[vector] and TMR[vector] = level; a vector < 16
    // sets ESR "receive illegal vector" and is dropped [SDM 10.5.3]; a
    // software-disabled APIC drops it [SDM 10.4.7.2]. Emits ApicAccept.
    void deliver(const ApicMessage& m) override;

    // LapicCoreIf
    int deliverable_vector() const override;
    /// INTA [SDM 10.8.4]; emits ApicDispatch(vector, new PPR). If nothing is
    /// deliverable, returns the spurious vector (SVR[7:0]) and changes nothing
    /// [SDM 10.9].
    std::uint8_t acknowledge() override;
    /// Delta-notified after any change that leaves deliverable_vector() >= 0.
    const sc_core::sc_event& deliverable_event() const override;
    void eoi() override;
    void set_tpr(std::uint8_t tpr) override;
    void send_ipi(std::uint32_t dest_apic_id, std::uint8_t vector) override;
    void send_self_ipi(std::uint8_t vector) override;
    void set_tsc_deadline(std::uint64_t deadline, std::uint8_t vector) override;
    std::uint32_t apic_id() const override;

    /// xAPIC MMIO register access at offset 0x000..0x3F0 [SDM table 10-1].
    /// A reserved offset reads 0, ignores writes and sets ESR bit 7 (illegal
    /// register address). In x2APIC mode the MMIO interface is disabled [SDM
    /// 10.12.1.2]: reads return 0, writes are ignored.
    std::uint32_t mmio_read(std::uint32_t offset) const;
    void mmio_write(std::uint32_t offset, std::uint32_t value);
    /// x2APIC MSR access, MSR 0x800 + offset/16 [SDM 10.12.1.2]; ICR is 0x830
    /// (64-bit), SELF IPI 0x83F; IA32_TSC_DEADLINE (0x6E0) in both modes.
    /// An access that would raise #GP reads 0 / is ignored (see try_*).
    std::uint64_t rdmsr(std::uint32_t msr) const;
    void wrmsr(std::uint32_t msr, std::uint64_t value);
    /// As rdmsr/wrmsr, returning false where the processor raises #GP
    /// [SDM 10.12.1.2, 10.12.1.3]: x2APIC MSR in xAPIC mode, reserved MSR, read of
    /// a write-only register (EOI, SELF IPI), write of a read-only one, non-zero
    /// write to EOI or ESR, reserved bits set in TPR, SELF IPI, ICR.
    bool try_rdmsr(std::uint32_t msr, std::uint64_t& value) const;
    bool try_wrmsr(std::uint32_t msr, std::uint64_t value);

    /// Register state for inspection (tests, trace viewer snapshots).
    const std::array<std::uint32_t, 8>& irr() const;
    const std::array<std::uint32_t, 8>& isr() const;
    const std::array<std::uint32_t, 8>& tmr() const;
    std::uint8_t ppr() const;
    std::uint8_t tpr() const;

    /// Cycle of the next timer expiry [SDM 10.5.4], UINT64_MAX when the timer
    /// is not armed. A masked LVT timer still counts as armed (conservative).
    std::uint64_t timer_due() const { return timer_armed_ ? timer_due_ : ~0ull; }

    /// pCPU index used as the trace unit.
    std::uint32_t pcpu() const { return pcpu_; }
    bool x2apic_mode() const { return x2apic_; }
    /// SVR bit 8 [SDM 10.4.7.2].
    bool software_enabled() const;
    /// Logical destination register: xAPIC as written (bits 31:24), x2APIC
    /// derived from the ID [SDM 10.12.10.2].
    std::uint32_t ldr() const;
    /// Destination matching used by the bus [SDM 10.6.2.1, 10.6.2.2, 10.12.10]:
    /// physical (ID equality or broadcast 0xFF / 0xFFFFFFFF) and logical (flat,
    /// cluster, x2APIC cluster; all-ones is a broadcast).
    bool matches_physical(std::uint32_t dest) const;
    bool matches_logical(std::uint32_t dest) const;
    /// EOI broadcasts to the I/O APICs (EOI of a level-triggered vector with
    /// SVR bit 12 clear) [SDM 10.8.5]: recorded only, vectors in order.
    const std::vector<std::uint8_t>& eoi_broadcasts() const { return eoi_broadcasts_; }

private:
    // --- acceptance and dispatch (local_apic.cpp) ---
    void accept_interrupt(std::uint8_t vector, bool level, std::uint64_t tag);
    void signal_apic_error(std::uint32_t esr_bit);
    void update_ppr();
    int highest_irr() const;
    int highest_isr() const;
    void notify_if_deliverable();
    void emit(EventKind k, std::uint64_t tag, std::uint64_t a, std::uint64_t b = 0,
              std::uint64_t c = 0, std::uint64_t d = 0);
    // --- registers (local_apic_registers.cpp) ---
    bool read_register(std::uint32_t offset, std::uint64_t& value) const;
    bool write_register(std::uint32_t offset, std::uint64_t value);
    void write_svr(std::uint32_t value);
    void write_esr();
    void write_lvt(std::uint32_t offset, std::uint32_t value);
    // --- ICR (local_apic_icr.cpp) ---
    void write_icr(std::uint64_t icr);
    void send_interrupt_message(const ApicMessage& m);
    // --- timer (local_apic_timer.cpp) ---
    void write_lvt_timer(std::uint32_t value);
    void write_initial_count(std::uint32_t value);
    void write_divide_configuration(std::uint32_t value);
    void write_tsc_deadline(std::uint64_t deadline);
    std::uint32_t current_count() const;
    std::uint64_t read_tsc_deadline() const;
    std::uint32_t timer_mode() const;
    std::uint64_t divisor() const;
    void arm_timer_at(std::uint64_t cycle);
    void disarm_timer();
    void timer_expiry();  // SC_METHOD on timer_event_

    const std::uint32_t pcpu_;
    const std::uint32_t id_;
    const bool x2apic_;
    const LapicTiming timing_;
    EventSink& sink_;

    std::array<std::uint32_t, 8> irr_{}, isr_{}, tmr_{};
    std::array<std::uint64_t, 256> tag_{};  ///< trace tag of the pending/in-service vector
    std::uint8_t tpr_ = 0, ppr_ = 0;
    std::uint32_t ldr_ = 0, dfr_ = 0xFFFFFFFFu, svr_ = 0x1FF;
    std::uint32_t esr_ = 0, esr_pending_ = 0;  ///< visible ESR, errors since last ESR write
    std::uint64_t icr_ = 0;
    std::uint64_t icr_busy_until_ = 0;  ///< xAPIC delivery status is 1 before this cycle
    // LVT: CMCI 0x2F0, timer 0x320, thermal 0x330, PMC 0x340, LINT0, LINT1, error 0x370
    std::uint32_t lvt_cmci_ = 0x10000, lvt_timer_ = 0x10000, lvt_thermal_ = 0x10000,
                  lvt_pmc_ = 0x10000, lvt_lint0_ = 0x10000, lvt_lint1_ = 0x10000,
                  lvt_error_ = 0x10000;
    // timer [SDM 10.5.4]
    std::uint32_t initial_count_ = 0;
    std::uint32_t divide_config_ = 0;
    std::uint32_t count_base_ = 0;     ///< count value at count_base_cycle_ (0 = stopped)
    std::uint64_t count_base_cycle_ = 0;
    std::uint64_t tsc_deadline_ = 0;   ///< 0 = disarmed
    std::uint64_t timer_due_ = 0;      ///< cycle timer_event_ is armed for
    bool timer_armed_ = false;
    sc_core::sc_event timer_event_;
    sc_core::sc_event deliverable_event_;
    std::vector<std::uint8_t> eoi_broadcasts_;
};

/// The system bus for interrupt messages: routes a message to the local APICs
/// it names (physical or logical destination, shorthands) after the profile's
/// latency. Order of delivery is deterministic (by cycle, then by send order;
/// several destinations of one message in attach order). One time-ordered
/// queue and one SC_METHOD, no process per message.
///
/// Lowest-priority delivery [SDM 10.6.2.4] goes to the one destination with
/// the lowest PPR; ties go to the earliest attached (focus processor checking
/// is not modelled). A message that names no attached APIC is dropped.
class ApicBus : public sc_core::sc_module, public ApicMessageIf {
public:
    ApicBus(sc_core::sc_module_name name, const LapicTiming& timing, EventSink& sink);
    ~ApicBus() override;

    /// Register a local APIC as a destination.
    void attach(LocalApic& apic);

    /// Route `m`: from a device (source_apic == ~0u) after msg_latency, from
    /// an APIC's ICR after ipi_latency. Device messages carry no shorthand.
    void deliver(const ApicMessage& m) override;

    /// Messages queued and not yet delivered.
    std::size_t pending() const { return queue_.size(); }
    /// Arrival cycle of the earliest queued message, UINT64_MAX with none.
    std::uint64_t next_arrival() const { return queue_.empty() ? ~0ull : queue_.front().arrival; }
    /// Fewest cycles between a send and its acceptance: min(ipi_latency,
    /// msg_latency). No message sent at cycle t is accepted before t + this.
    std::uint64_t min_latency() const { return std::min(timing_.ipi_latency, timing_.msg_latency); }

private:
    struct Pending {
        std::uint64_t arrival;  ///< cycle of acceptance at the destinations
        std::uint64_t seq;      ///< send order, breaks ties
        ApicMessage msg;
    };
    struct Later {
        bool operator()(const Pending& x, const Pending& y) const {
            return x.arrival != y.arrival ? x.arrival > y.arrival : x.seq > y.seq;
        }
    };
    void route_due();  // SC_METHOD on due_event_
    void route(const ApicMessage& m);

    const LapicTiming timing_;
    EventSink& sink_;
    std::vector<LocalApic*> apics_;
    std::vector<Pending> queue_;  ///< binary heap ordered by Later
    std::uint64_t next_seq_ = 0;
    sc_core::sc_event due_event_;
};

}  // namespace pisim
