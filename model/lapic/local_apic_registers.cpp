// model/lapic/local_apic_registers.cpp - the local APIC's register interface:
// xAPIC memory-mapped registers [SDM vol. 3A 10.4.1, table 10-1] and x2APIC
// MSRs [SDM 10.12.1.2, table 10-6], one decoder for both.
#include "model/lapic/lapic_assert.h"

#include "model/common/cycles.h"
#include "model/lapic/lapic.h"
#include "model/lapic/lapic_registers.h"

namespace pisim {

using namespace lapic_reg;

/// Register read by offset; in x2APIC mode the value is the MSR's 64 bits.
/// Returns false for a register that does not exist in the current mode or is
/// write-only there (xAPIC: illegal register address; x2APIC: #GP).
/// The APR (0x90) and remote-read (0xC0) registers are not modelled.
bool LocalApic::read_register(std::uint32_t offset, std::uint64_t& value) const {
    value = 0;
    if (offset >= kIsr && offset < kIrr + 0x80) {
        const std::uint32_t i = (offset & 0x7F) >> 4;
        value = offset < kTmr ? isr_[i] : offset < kIrr ? tmr_[i] : irr_[i];
        return true;
    }
    switch (offset) {
    case kId: value = x2apic_ ? id_ : id_ << 24; return true;  // [SDM 10.4.6, 10.12.5.1]
    case kVersion: value = kVersionValue; return true;
    case kTpr: value = tpr_; return true;
    case kPpr: value = ppr_; return true;
    case kEoi: return !x2apic_;  // write-only; xAPIC reads 0
    case kLdr: value = ldr_; return true;
    case kDfr: value = dfr_; return !x2apic_;  // no DFR in x2APIC mode [SDM 10.12.10]
    case kSvr: value = svr_; return true;
    case kEsr: value = esr_; return true;
    case kLvtCmci: value = lvt_cmci_; return true;
    case kIcrLo:
        if (x2apic_) {
            value = icr_;  // MSR 0x830: destination in 63:32, no delivery status
        } else {
            // Delivery status [SDM 10.6.1]: send pending until the bus has
            // carried the IPI to its destinations.
            value = std::uint32_t(icr_) & ~std::uint32_t(kIcrDeliveryStatus);
            if (now_cycles() < icr_busy_until_) value |= kIcrDeliveryStatus;
        }
        return true;
    case kIcrHi: value = std::uint32_t(icr_ >> 32); return !x2apic_;
    case kLvtTimer: value = lvt_timer_; return true;
    case kLvtThermal: value = lvt_thermal_; return true;
    case kLvtPmc: value = lvt_pmc_; return true;
    case kLvtLint0: value = lvt_lint0_; return true;
    case kLvtLint1: value = lvt_lint1_; return true;
    case kLvtError: value = lvt_error_; return true;
    case kInitialCount: value = initial_count_; return true;
    case kCurrentCount: value = current_count(); return true;
    case kDivideConfig: value = divide_config_; return true;
    default: return false;  // reserved, APR, RRD, SELF IPI (write-only)
    }
}

/// Register write by offset. Returns false where xAPIC would flag an illegal
/// register address or x2APIC raises #GP (read-only register, reserved bits,
/// non-zero EOI/ESR write). In xAPIC mode writes to read-only registers are
/// ignored and succeed. The xAPIC ID register is treated as read-only (the
/// processors that allow changing it are model-specific [SDM 10.4.6]).
bool LocalApic::write_register(std::uint32_t offset, std::uint64_t value) {
    // x2APIC: every register but the ICR is 32 bits; bits 63:32 are reserved.
    if (x2apic_ && offset != kIcrLo && (value >> 32) != 0) return false;
    const std::uint32_t v32 = std::uint32_t(value);
    if (offset >= kIsr && offset < kIrr + 0x80) return !x2apic_;  // read-only
    switch (offset) {
    case kId:
    case kVersion:
    case kPpr:
    case kCurrentCount:
        return !x2apic_;  // read-only
    case kLdr:
        if (x2apic_) return false;  // derived from the ID [SDM 10.12.10.2]
        ldr_ = v32 & 0xFF000000u;
        return true;
    case kDfr:
        if (x2apic_) return false;
        dfr_ = v32 | 0x0FFFFFFFu;  // bits 27:0 reserved, read as 1 [SDM 10.6.2.2]
        return true;
    case kTpr:
        if (x2apic_ && (v32 >> 8) != 0) return false;
        set_tpr(std::uint8_t(v32));
        return true;
    case kEoi:
        if (x2apic_ && v32 != 0) return false;  // [SDM 10.12.1.2]
        eoi();
        return true;
    case kSvr: write_svr(v32); return true;
    case kEsr:
        if (x2apic_ && v32 != 0) return false;  // [SDM 10.12.8]
        write_esr();
        return true;
    case kIcrLo:
        if (x2apic_) {
            if ((value & 0xFFFFFFFFu) & ~kIcrLoWritable) return false;
            icr_ = value;
        } else {
            icr_ = (icr_ & 0xFFFFFFFF00000000ull) | (v32 & kIcrLoWritable);
        }
        write_icr(icr_);  // the write of the low half sends [SDM 10.6.1]
        return true;
    case kIcrHi:
        if (x2apic_) return false;
        icr_ = (std::uint64_t(v32 & kIcrHiWritable) << 32) | (icr_ & 0xFFFFFFFFu);
        return true;
    case kLvtCmci:
    case kLvtThermal:
    case kLvtPmc:
    case kLvtLint0:
    case kLvtLint1:
    case kLvtError: write_lvt(offset, v32); return true;
    case kLvtTimer: write_lvt_timer(v32); return true;
    case kInitialCount: write_initial_count(v32); return true;
    case kDivideConfig: write_divide_configuration(v32); return true;
    case kSelfIpi:
        // SELF IPI [SDM 10.12.11]: x2APIC only; vector in 7:0, the rest reserved.
        if (!x2apic_ || (v32 >> 8) != 0) return false;
        send_self_ipi(std::uint8_t(v32));
        return true;
    default: return false;
    }
}

/// SVR write [SDM 10.9, 10.4.7.2]: spurious vector, software enable, focus
/// checking (xAPIC only), EOI-broadcast suppression. Clearing the enable bit
/// masks every LVT entry; IRR and ISR are held.
void LocalApic::write_svr(std::uint32_t value) {
    const std::uint32_t writable =
        kSvrVector | kSvrEnable | kSvrSuppressEoiBroadcast | (x2apic_ ? 0u : kSvrFocus);
    svr_ = value & writable;
    if (!software_enabled()) {
        for (std::uint32_t* lvt : {&lvt_cmci_, &lvt_timer_, &lvt_thermal_, &lvt_pmc_,
                                   &lvt_lint0_, &lvt_lint1_, &lvt_error_})
            *lvt |= kLvtMask;
    }
}

/// ESR write [SDM 10.5.3]: the ESR takes the errors collected since the last
/// write and the collection restarts (two writes in a row clear it).
void LocalApic::write_esr() {
    esr_ = esr_pending_;
    esr_pending_ = 0;
}

/// LVT write for the entries other than the timer [SDM 10.5.1]: writable fields
/// only; while the APIC is software-disabled the mask bit stays set
/// [SDM 10.4.7.2]. These entries are storage only: no thermal, performance,
/// CMCI or LINT source is modelled; the error entry is used by
/// signal_apic_error.
void LocalApic::write_lvt(std::uint32_t offset, std::uint32_t value) {
    const std::uint32_t force = software_enabled() ? 0u : kLvtMask;
    switch (offset) {
    case kLvtCmci: lvt_cmci_ = (value & kLvtOtherWritable) | force; break;
    case kLvtThermal: lvt_thermal_ = (value & kLvtOtherWritable) | force; break;
    case kLvtPmc: lvt_pmc_ = (value & kLvtOtherWritable) | force; break;
    case kLvtLint0: lvt_lint0_ = (value & kLvtLintWritable) | force; break;
    case kLvtLint1: lvt_lint1_ = (value & kLvtLintWritable) | force; break;
    case kLvtError: lvt_error_ = (value & kLvtErrorWritable) | force; break;
    default: LAPIC_ASSERT(false && "not an LVT offset");
    }
}

std::uint32_t LocalApic::mmio_read(std::uint32_t offset) const {
    LAPIC_ASSERT(offset < 0x400 && (offset & 0xF) == 0);
    if (x2apic_) return 0;  // MMIO interface disabled [SDM 10.12.1.2]
    std::uint64_t value = 0;
    if (!read_register(offset, value)) {
        // The access is recorded as an APIC error [SDM 10.5.3 bit 7]; the
        // read itself does not change the register file.
        const_cast<LocalApic*>(this)->signal_apic_error(kEsrIllegalRegisterAddress);
        return 0;
    }
    return std::uint32_t(value);
}

void LocalApic::mmio_write(std::uint32_t offset, std::uint32_t value) {
    LAPIC_ASSERT(offset < 0x400 && (offset & 0xF) == 0);
    if (x2apic_) return;
    if (!write_register(offset, value)) signal_apic_error(kEsrIllegalRegisterAddress);
}

bool LocalApic::try_rdmsr(std::uint32_t msr, std::uint64_t& value) const {
    value = 0;
    if (msr == kMsrTscDeadline) {
        value = read_tsc_deadline();
        return true;
    }
    if (!x2apic_ || msr < kMsrBase || msr > kMsrLast) return false;
    return read_register(msr_to_offset(msr), value);
}

bool LocalApic::try_wrmsr(std::uint32_t msr, std::uint64_t value) {
    if (msr == kMsrTscDeadline) {
        write_tsc_deadline(value);
        return true;
    }
    if (!x2apic_ || msr < kMsrBase || msr > kMsrLast) return false;
    return write_register(msr_to_offset(msr), value);
}

std::uint64_t LocalApic::rdmsr(std::uint32_t msr) const {
    std::uint64_t value = 0;
    try_rdmsr(msr, value);
    return value;
}

void LocalApic::wrmsr(std::uint32_t msr, std::uint64_t value) { try_wrmsr(msr, value); }

}  // namespace pisim
