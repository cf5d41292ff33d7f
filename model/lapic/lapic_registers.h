// model/lapic/lapic_registers.h - local APIC register map and field layouts
// [SDM vol. 3A table 10-1 (xAPIC offsets), table 10-6 (x2APIC MSRs), figures
// 10-8 (LVT), 10-10 (timer divide), 10-12 (ICR), 10-18 (TPR/PPR), 10-23 (SVR)].
// Internal to model/lapic.
#pragma once

#include <cstdint>

namespace pisim::lapic_reg {

// xAPIC MMIO offsets; the x2APIC MSR is 0x800 + offset / 16 [SDM 10.12.1.2].
constexpr std::uint32_t kId = 0x020;
constexpr std::uint32_t kVersion = 0x030;
constexpr std::uint32_t kTpr = 0x080;
constexpr std::uint32_t kApr = 0x090;
constexpr std::uint32_t kPpr = 0x0A0;
constexpr std::uint32_t kEoi = 0x0B0;
constexpr std::uint32_t kRrd = 0x0C0;
constexpr std::uint32_t kLdr = 0x0D0;
constexpr std::uint32_t kDfr = 0x0E0;
constexpr std::uint32_t kSvr = 0x0F0;
constexpr std::uint32_t kIsr = 0x100;  // 8 registers, 0x100..0x170
constexpr std::uint32_t kTmr = 0x180;  // 0x180..0x1F0
constexpr std::uint32_t kIrr = 0x200;  // 0x200..0x270
constexpr std::uint32_t kEsr = 0x280;
constexpr std::uint32_t kLvtCmci = 0x2F0;
constexpr std::uint32_t kIcrLo = 0x300;
constexpr std::uint32_t kIcrHi = 0x310;
constexpr std::uint32_t kLvtTimer = 0x320;
constexpr std::uint32_t kLvtThermal = 0x330;
constexpr std::uint32_t kLvtPmc = 0x340;
constexpr std::uint32_t kLvtLint0 = 0x350;
constexpr std::uint32_t kLvtLint1 = 0x360;
constexpr std::uint32_t kLvtError = 0x370;
constexpr std::uint32_t kInitialCount = 0x380;
constexpr std::uint32_t kCurrentCount = 0x390;
constexpr std::uint32_t kDivideConfig = 0x3E0;
constexpr std::uint32_t kSelfIpi = 0x3F0;  // x2APIC only (MSR 0x83F)

constexpr std::uint32_t kMsrBase = 0x800;
constexpr std::uint32_t kMsrLast = 0x8FF;
constexpr std::uint32_t kMsrIcr = 0x830;
constexpr std::uint32_t kMsrSelfIpi = 0x83F;
constexpr std::uint32_t kMsrTscDeadline = 0x6E0;  // IA32_TSC_DEADLINE [SDM 10.5.4.1]

constexpr std::uint32_t msr_to_offset(std::uint32_t msr) { return (msr - kMsrBase) << 4; }

// Version register: version 0x14 (integrated APIC), max LVT entry 6 (seven
// LVT registers with CMCI), bit 24 directed-EOI (SVR bit 12) supported
// [SDM 10.4.8, 10.8.5].
constexpr std::uint32_t kVersionValue = 0x01060014;

// SVR [SDM 10.9, figure 10-23]
constexpr std::uint32_t kSvrVector = 0xFF;
constexpr std::uint32_t kSvrEnable = 1u << 8;
constexpr std::uint32_t kSvrFocus = 1u << 9;
constexpr std::uint32_t kSvrSuppressEoiBroadcast = 1u << 12;

// ESR bits [SDM 10.5.3, table 10-5]
constexpr std::uint32_t kEsrSendIllegalVector = 1u << 5;
constexpr std::uint32_t kEsrReceiveIllegalVector = 1u << 6;
constexpr std::uint32_t kEsrIllegalRegisterAddress = 1u << 7;

// LVT fields [SDM 10.5.1, figure 10-8]
constexpr std::uint32_t kLvtVector = 0xFF;
constexpr std::uint32_t kLvtDeliveryStatus = 1u << 12;
constexpr std::uint32_t kLvtMask = 1u << 16;
constexpr std::uint32_t kLvtTimerModeShift = 17;
constexpr std::uint32_t kLvtTimerModeMask = 3u << 17;
constexpr std::uint32_t kTimerOneShot = 0, kTimerPeriodic = 1, kTimerTscDeadline = 2;
// Writable bits: timer (vector, mask, mode); LINT0/1 (vector, delivery mode,
// polarity, trigger, mask); CMCI/thermal/PMC (vector, delivery mode, mask);
// error (vector, mask).
constexpr std::uint32_t kLvtTimerWritable = 0x000700FF;
constexpr std::uint32_t kLvtLintWritable = 0x0001A7FF;
constexpr std::uint32_t kLvtOtherWritable = 0x000107FF;
constexpr std::uint32_t kLvtErrorWritable = 0x000100FF;

// ICR fields [SDM 10.6.1, figure 10-12; x2APIC figure 10-28]
constexpr std::uint64_t kIcrVector = 0xFF;
constexpr std::uint32_t kIcrDeliveryModeShift = 8;
constexpr std::uint64_t kIcrDestModeLogical = 1u << 11;
constexpr std::uint64_t kIcrDeliveryStatus = 1u << 12;
constexpr std::uint64_t kIcrLevelAssert = 1u << 14;
constexpr std::uint64_t kIcrTriggerLevel = 1u << 15;
constexpr std::uint32_t kIcrShorthandShift = 18;
constexpr std::uint64_t kIcrLoWritable = 0x000CCFFF;  // all but delivery status
constexpr std::uint32_t kIcrHiWritable = 0xFF000000;  // xAPIC destination 31:24

// DFR models [SDM 10.6.2.2]
constexpr std::uint32_t kDfrFlat = 0xF, kDfrCluster = 0x0;

constexpr std::uint32_t kXapicBroadcast = 0xFF;
constexpr std::uint32_t kX2apicBroadcast = 0xFFFFFFFFu;

}  // namespace pisim::lapic_reg
