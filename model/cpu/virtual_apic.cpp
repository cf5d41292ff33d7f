// model/cpu/virtual_apic.cpp - the virtual-APIC page and virtual interrupts
// [SDM vol. 3C 29.1, 29.2].
//
// VTPR, VPPR, VEOI, VISR, VIRR and VICR live in the virtual-APIC page in
// machine memory (VIRTUAL_APIC_PAGE_ADDR), so that the hypervisor reads and
// writes the same bytes; RVI and SVI live in the guest interrupt status
// (GUEST_INTR_STATUS: RVI bits 7:0, SVI bits 15:8).
#include "model/cpu/cpu_impl.h"

namespace pisim {

std::uint32_t CpuCore::Impl::vapic_read(std::uint32_t offset) {
    return mem.read32(vapic_base() + offset);
}

void CpuCore::Impl::vapic_write(std::uint32_t offset, std::uint32_t value) {
    mem.set_agent(PhysMem::Agent::Cpu);
    mem.write32(vapic_base() + offset, value);
}

bool CpuCore::Impl::vapic_test(std::uint32_t base, std::uint8_t v) {
    return (vapic_read(vmcs::vapic_word(base, v)) >> (v & 31)) & 1;
}

void CpuCore::Impl::vapic_set(std::uint32_t base, std::uint8_t v) {
    const std::uint32_t off = vmcs::vapic_word(base, v);
    const std::uint32_t old = vapic_read(off);
    const std::uint32_t bit = 1u << (v & 31);
    if ((old & bit) == 0) vapic_write(off, old | bit);
}

void CpuCore::Impl::vapic_clear(std::uint32_t base, std::uint8_t v) {
    const std::uint32_t off = vmcs::vapic_word(base, v);
    const std::uint32_t old = vapic_read(off);
    const std::uint32_t bit = 1u << (v & 31);
    if ((old & bit) != 0) vapic_write(off, old & ~bit);
}

int CpuCore::Impl::vapic_highest(std::uint32_t base) {
    for (int i = 7; i >= 0; --i) {
        const std::uint32_t w = vapic_read(base + static_cast<std::uint32_t>(i) * 0x10);
        if (w != 0) return i * 32 + 31 - __builtin_clz(w);
    }
    return -1;
}

void CpuCore::Impl::set_rvi(std::uint8_t v) {
    std::uint64_t& gis = vmcs().fields[vmcs::GUEST_INTR_STATUS];
    gis = (gis & ~std::uint64_t{0xFF}) | v;
}

void CpuCore::Impl::set_svi(std::uint8_t v) {
    std::uint64_t& gis = vmcs().fields[vmcs::GUEST_INTR_STATUS];
    gis = (gis & ~std::uint64_t{0xFF00}) | (std::uint64_t{v} << 8);
}

void CpuCore::Impl::trace_vapic_state() {
    if (!proc(vmcs::CPU_TPR_SHADOW)) return;  // no virtual-APIC page
    const std::uint32_t vppr = vapic_read(vmcs::VAPIC_VPPR) & 0xFF;
    const std::uint32_t packed = rvi() | (std::uint32_t{svi()} << 8) | (vppr << 16);
    if (packed == guest().traced_vapic) return;
    guest().traced_vapic = packed;
    emit(EventKind::CpuVapicState, guest().vcpu, rvi(), svi(), vppr);
}

// PPR virtualization [SDM 29.1.3]:
//   IF VTPR[7:4] >= SVI[7:4] THEN VPPR <- VTPR & FFH ELSE VPPR <- SVI & F0H.
// (VPPR bits 31:8 are cleared.)
void CpuCore::Impl::ppr_virtualization() {
    const std::uint32_t vtpr = vapic_read(vmcs::VAPIC_VTPR) & 0xFF;
    const std::uint8_t s = svi();
    const std::uint32_t vppr = ((vtpr >> 4) >= (s >> 4u)) ? vtpr : (s & 0xF0u);
    vapic_write(vmcs::VAPIC_VPPR, vppr);
}

// Evaluation of pending virtual interrupts [SDM 29.2.1]:
//   IF "interrupt-window exiting" is 0 AND RVI[7:4] > VPPR[7:4]
//   THEN recognize a pending virtual interrupt ELSE do not.
// Caused only by VM entry, TPR, EOI and self-IPI virtualization and
// posted-interrupt processing.
void CpuCore::Impl::evaluate_pending_virtual_interrupts() {
    const std::uint32_t vppr = vapic_read(vmcs::VAPIC_VPPR) & 0xFF;
    virq_recognized =
        !proc(vmcs::CPU_INTR_WINDOW_EXITING) && (rvi() >> 4u) > (vppr >> 4u);
}

// Virtual-interrupt delivery [SDM 29.2.2], at an instruction boundary with
// RFLAGS.IF=1 while a virtual interrupt is recognized (instruction_boundary
// checks the conditions):
//   Vector <- RVI; VISR[Vector] <- 1; SVI <- Vector; VPPR <- Vector & F0H;
//   VIRR[Vector] <- 0; RVI <- highest VIRR bit or 0;
//   deliver Vector through the guest IDT; cease recognition.
// Delivery wakes the HLT activity state (timing.hlt_wakeup); it costs
// timing.virq_delivery, after which the guest ISR starts.
void CpuCore::Impl::virtual_interrupt_delivery() {
    assert(virq_recognized && guest_if());
    const std::uint8_t vector = rvi();
    vapic_set(vmcs::VAPIC_VISR, vector);
    set_svi(vector);
    vapic_write(vmcs::VAPIC_VPPR, vector & 0xF0u);
    vapic_clear(vmcs::VAPIC_VIRR, vector);
    const int highest = vapic_highest(vmcs::VAPIC_VIRR);
    set_rvi(highest < 0 ? 0 : static_cast<std::uint8_t>(highest));
    virq_recognized = false;
    emit(EventKind::CpuVirqDeliver, index, guest().vcpu, vector, rvi(), svi());
    trace_vapic_state();
    if (guest().halted) {
        set_halted(false);
        charge(timing.hlt_wakeup);
    }
    charge(timing.virq_delivery);
    guest_isr_begin(vector);
}

// TPR virtualization [SDM 29.1.2], after the guest's write to VTPR:
//   IF "virtual-interrupt delivery" is 0
//   THEN IF VTPR[7:4] < TPR threshold[3:0] THEN VM exit "TPR below threshold" (trap-like)
//   ELSE PPR virtualization; evaluate pending virtual interrupts.
bool CpuCore::Impl::tpr_virtualization(VmExitInfo& out) {
    if (!vid()) {
        const std::uint32_t vtpr = vapic_read(vmcs::VAPIC_VTPR) & 0xFF;
        if ((vtpr >> 4) < (field(vmcs::TPR_THRESHOLD) & 0xF)) {
            vm_exit(vmcs::EXIT_TPR_BELOW_THRESHOLD, 0, 0, out);
            return true;
        }
        return false;
    }
    ppr_virtualization();
    evaluate_pending_virtual_interrupts();
    trace_vapic_state();
    return false;
}

// EOI virtualization [SDM 29.1.4], after the guest's EOI write:
//   Vector <- SVI; VISR[Vector] <- 0; SVI <- highest VISR bit or 0;
//   PPR virtualization;
//   IF EOI_exit_bitmap[Vector] = 1 THEN EOI-induced VM exit, qualification
//   Vector (trap-like) ELSE evaluate pending virtual interrupts.
// Costs timing.eoi_virtualization.
bool CpuCore::Impl::eoi_virtualization(VmExitInfo& out) {
    const std::uint8_t vector = svi();
    vapic_clear(vmcs::VAPIC_VISR, vector);
    const int highest = vapic_highest(vmcs::VAPIC_VISR);
    set_svi(highest < 0 ? 0 : static_cast<std::uint8_t>(highest));
    ppr_virtualization();
    const std::uint64_t bitmap = field(vmcs::EOI_EXIT_BITMAP0 + 2u * (vector >> 6));
    const bool eoi_exit = (bitmap >> (vector & 63)) & 1;
    emit(EventKind::CpuVeoi, index, guest().vcpu, vector, svi(), eoi_exit ? 1 : 0);
    trace_vapic_state();
    charge(timing.eoi_virtualization);
    if (eoi_exit) {
        vm_exit(vmcs::EXIT_EOI_INDUCED, vector, 0, out);
        return true;
    }
    evaluate_pending_virtual_interrupts();
    return false;
}

// Self-IPI virtualization [SDM 29.1.5]:
//   VIRR[Vector] <- 1; RVI <- max{RVI, Vector}; evaluate pending virtual interrupts.
void CpuCore::Impl::self_ipi_virtualization(std::uint8_t vector) {
    vapic_set(vmcs::VAPIC_VIRR, vector);
    if (vector > rvi()) set_rvi(vector);
    evaluate_pending_virtual_interrupts();
    trace_vapic_state();
}

}  // namespace pisim
