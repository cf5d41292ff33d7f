// model/cpu/posted_interrupt.cpp - posted-interrupt processing [SDM vol. 3C
// 29.6].
#include "model/cpu/cpu_impl.h"

namespace pisim {

// Posted-interrupt processing [SDM 29.6], steps 3-7; steps 1-2 (acknowledge
// the local APIC, compare the physical vector with the notification vector)
// are in external_interrupt() (nonroot.cpp).
//  3. ON is cleared atomically (a locked AND on the PID's control word, byte 32);
//  4. the CPU writes EOI to the local APIC, dismissing the notification;
//  5. PIR (bytes 0..31) is ORed into VIRR and cleared, each 64-bit group read
//     and cleared with no other agent in between (a locked exchange);
//  6. RVI <- max(RVI, highest vector set in PIR), unchanged if PIR was empty;
//  7. pending virtual interrupts are evaluated [SDM 29.2.1].
// The memory effects of steps 1-5 (ON, EOI, PIR, VIRR) happen at the
// notification's cycle, so that other agents see them at once; the steps'
// cost timing.pi_processing follows, then step 6 completes (CpuPiProcess marks
// the end of processing) and step 7 runs; a delivery, if any, follows at the
// same instruction boundary. No VM exit.
void CpuCore::Impl::posted_interrupt_processing() {
    const std::uint64_t pid = field(vmcs::POSTED_INTR_DESC_ADDR);
    assert((pid & 0x3F) == 0);

    // The PID line comes to this core for the read-modify-writes below (from
    // the remapping unit, or the pCPU that posted in software).
    const std::uint64_t line_cycles = line_latency ? line_latency(pid) : 0;

    // Step 3: clear ON.
    const std::uint64_t control = mem.read64(pid + vmcs::PID_CONTROL);
    if (control & vmcs::PID_ON) {
        mem.set_agent(PhysMem::Agent::Cpu);
        mem.write64(pid + vmcs::PID_CONTROL, control & ~vmcs::PID_ON);
    }

    // Step 4: EOI to the local APIC.
    lapic.eoi();

    // Step 5: PIR -> VIRR, PIR cleared.
    std::uint64_t pir[4];
    for (unsigned g = 0; g < 4; ++g) {
        const std::uint64_t pa = pid + vmcs::PID_PIR + 8u * g;
        pir[g] = mem.read64(pa);
        if (pir[g] != 0) {
            mem.set_agent(PhysMem::Agent::Cpu);
            mem.write64(pa, 0);
        }
    }
    int highest = -1;
    for (unsigned w = 0; w < 8; ++w) {
        const std::uint32_t bits = static_cast<std::uint32_t>(pir[w / 2] >> (32 * (w % 2)));
        if (bits == 0) continue;
        const std::uint32_t off = vmcs::VAPIC_VIRR + 0x10 * w;
        vapic_write(off, vapic_read(off) | bits);
        highest = static_cast<int>(w * 32 + 31 - __builtin_clz(bits));
    }

    assert(timing.pi_processing + line_cycles >= line_cycles && "cycle sum overflows");
    charge(timing.pi_processing + line_cycles);

    // Step 6: RVI <- max(RVI, highest PIR vector).
    if (highest > rvi()) set_rvi(static_cast<std::uint8_t>(highest));
    emit(EventKind::CpuPiProcess, index, guest().vcpu, rvi(), pir[0], pir[1], pir[2], pir[3]);
    trace_vapic_state();

    // Step 7: evaluate pending virtual interrupts.
    evaluate_pending_virtual_interrupts();
}

}  // namespace pisim
