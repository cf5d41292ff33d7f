// LapicRegisters / LapicX2apicRegisters / LapicPpr: register semantics of the
// local APIC in xAPIC (MMIO, SDM vol. 3A table 10-1) and x2APIC (MSR, table
// 10-6) modes, and the PPR computation [SDM 10.8.3.1].
#include <gtest/gtest.h>

#include "lapic_test_util.h"
#include "tests/model/sim_bound.h"

using namespace pisim;
using namespace pisim::test;

// --- xAPIC ---------------------------------------------------------------

TEST(LapicRegisters, XapicStateAfterConstruction) {
    Machine mc({0x2A}, false);
    LocalApic& a = mc[0];
    EXPECT_EQ(a.mmio_read(0x020), 0x2Au << 24);   // ID 31:24
    EXPECT_EQ(a.mmio_read(0x030), 0x01060014u);   // version, max LVT 6, directed EOI
    EXPECT_EQ(a.mmio_read(0x080), 0u);            // TPR
    EXPECT_EQ(a.mmio_read(0x0A0), 0u);            // PPR
    EXPECT_EQ(a.mmio_read(0x0D0), 0u);            // LDR
    EXPECT_EQ(a.mmio_read(0x0E0), 0xFFFFFFFFu);   // DFR flat
    EXPECT_EQ(a.mmio_read(0x0F0), 0x1FFu);        // SVR enabled, vector 0xFF
    for (std::uint32_t off = 0x100; off < 0x280; off += 0x10) EXPECT_EQ(a.mmio_read(off), 0u);
    for (std::uint32_t off : {0x2F0u, 0x320u, 0x330u, 0x340u, 0x350u, 0x360u, 0x370u})
        EXPECT_EQ(a.mmio_read(off), 0x10000u) << off;
    EXPECT_EQ(a.mmio_read(0x380), 0u);
    EXPECT_EQ(a.mmio_read(0x390), 0u);
    EXPECT_EQ(a.mmio_read(0x3E0), 0u);
    EXPECT_EQ(a.apic_id(), 0x2Au);
    a.mmio_write(0x280, 0);
    EXPECT_EQ(a.mmio_read(0x280), 0u);  // none of these reads was an error
}

TEST(LapicRegisters, XapicReadOnlyRegistersIgnoreWrites) {
    Machine mc({3}, false);
    LocalApic& a = mc[0];
    a.deliver(device_msg(3, 0x40));
    a.mmio_write(0x020, 0x7u << 24);  // ID (treated as read-only)
    a.mmio_write(0x030, 0);
    a.mmio_write(0x0A0, 0xF0);        // PPR
    a.mmio_write(0x200 + 0x20, 0);    // IRR[64..95]
    a.mmio_write(0x100, 0xFFFFFFFF);  // ISR
    a.mmio_write(0x390, 123);         // current count
    EXPECT_EQ(a.mmio_read(0x020), 3u << 24);
    EXPECT_EQ(a.mmio_read(0x030), 0x01060014u);
    EXPECT_EQ(a.mmio_read(0x0A0), 0u);
    EXPECT_EQ(a.mmio_read(0x220), 1u);  // vector 0x40 = bit 0 of IRR word 2
    EXPECT_EQ(a.mmio_read(0x100), 0u);
    EXPECT_EQ(a.mmio_read(0x390), 0u);
    a.mmio_write(0x280, 0);
    EXPECT_EQ(a.mmio_read(0x280), 0u);
}

TEST(LapicRegisters, XapicIrrIsrTmrWordsAndBits) {
    Machine mc({0}, false);
    LocalApic& a = mc[0];
    a.deliver(device_msg(0, 0x21, 0, true));
    a.deliver(device_msg(0, 0xFF));
    EXPECT_EQ(a.mmio_read(0x210), 1u << 1);   // IRR word 1: 0x21
    EXPECT_EQ(a.mmio_read(0x270), 1u << 31);  // IRR word 7: 0xFF
    EXPECT_EQ(a.mmio_read(0x190), 1u << 1);   // TMR word 1
    EXPECT_EQ(a.mmio_read(0x1F0), 0u);
    EXPECT_EQ(a.acknowledge(), 0xFF);
    EXPECT_EQ(a.mmio_read(0x170), 1u << 31);  // ISR word 7
    EXPECT_EQ(a.mmio_read(0x270), 0u);
}

TEST(LapicRegisters, XapicTprAndEoiRegisters) {
    Machine mc({0}, false);
    LocalApic& a = mc[0];
    a.mmio_write(0x080, 0x1234);  // only bits 7:0
    EXPECT_EQ(a.mmio_read(0x080), 0x34u);
    EXPECT_EQ(a.tpr(), 0x34);
    EXPECT_EQ(a.mmio_read(0x0A0), 0x34u);
    a.mmio_write(0x080, 0);
    a.deliver(device_msg(0, 0x90));
    a.acknowledge();
    EXPECT_EQ(a.mmio_read(0x0A0), 0x90u);
    a.mmio_write(0x0B0, 0x55);  // any value writes EOI in xAPIC mode
    EXPECT_TRUE(empty(a.isr()));
    EXPECT_EQ(a.mmio_read(0x0B0), 0u);
}

TEST(LapicRegisters, XapicLdrDfrSvrWritableBits) {
    Machine mc({0}, false);
    LocalApic& a = mc[0];
    a.mmio_write(0x0D0, 0xA5FFFFFF);
    EXPECT_EQ(a.mmio_read(0x0D0), 0xA5000000u);
    EXPECT_EQ(a.ldr(), 0xA5000000u);
    a.mmio_write(0x0E0, 0x00000000);
    EXPECT_EQ(a.mmio_read(0x0E0), 0x0FFFFFFFu);  // reserved bits read 1
    a.mmio_write(0x0F0, 0xFFFFFFFF);
    EXPECT_EQ(a.mmio_read(0x0F0), 0x13FFu);  // vector, enable, focus, EOI suppression
}

TEST(LapicRegisters, XapicLvtWritableFields) {
    Machine mc({0}, false);
    LocalApic& a = mc[0];
    a.mmio_write(0x320, 0xFFFFFFFF);
    EXPECT_EQ(a.mmio_read(0x320), 0x000700FFu);  // vector, mask, mode 18:17
    a.mmio_write(0x370, 0xFFFFFFFF);
    EXPECT_EQ(a.mmio_read(0x370), 0x000100FFu);
    a.mmio_write(0x350, 0xFFFFFFFF);
    EXPECT_EQ(a.mmio_read(0x350), 0x0001A7FFu);  // no delivery status / remote IRR
    a.mmio_write(0x340, 0xFFFFFFFF);
    EXPECT_EQ(a.mmio_read(0x340), 0x000107FFu);
}

TEST(LapicRegisters, XapicIllegalRegisterAddressSetsEsr) {
    Machine mc({0}, false);
    LocalApic& a = mc[0];
    EXPECT_EQ(a.mmio_read(0x040), 0u);  // reserved
    a.mmio_write(0x280, 0);
    EXPECT_EQ(a.mmio_read(0x280), 0x80u);
    a.mmio_write(0x280, 0);
    a.mmio_write(0x3F0, 0x30);  // SELF IPI does not exist in xAPIC mode
    a.mmio_write(0x280, 0);
    EXPECT_EQ(a.mmio_read(0x280), 0x80u);
    ::pisim::sc_start_bounded();
    EXPECT_TRUE(mc.rec.of(EventKind::ApicSend).empty());
}

TEST(LapicRegisters, XapicIcrHalvesAndSendOnLowWrite) {
    Machine mc({0, 1}, false);
    LocalApic& a = mc[0];
    a.mmio_write(0x310, 0xFFFFFFFF);
    EXPECT_EQ(a.mmio_read(0x310), 0xFF000000u);
    EXPECT_TRUE(mc.rec.events.empty());  // high half alone sends nothing
    a.mmio_write(0x310, 1u << 24);
    a.mmio_write(0x300, 0xFFF30000u | (1u << 14) | 0x42);  // reserved bits dropped
    EXPECT_EQ(a.mmio_read(0x300) & ~(1u << 12), (1u << 14) | 0x42u);
    ASSERT_EQ(mc.rec.of(EventKind::ApicSend).size(), 1u);
    ::pisim::sc_start_bounded();
    EXPECT_TRUE(bit(mc[1].irr(), 0x42));
    EXPECT_FALSE(bit(mc[1].tmr(), 0x42));  // IPIs are edge-triggered
}

TEST(LapicRegisters, XapicMsrsRaiseGp) {
    Machine mc({0}, false);
    std::uint64_t v = 1;
    EXPECT_FALSE(mc[0].try_rdmsr(0x802, v));
    EXPECT_EQ(v, 0u);
    EXPECT_FALSE(mc[0].try_wrmsr(0x808, 0x20));
    EXPECT_EQ(mc[0].tpr(), 0);
    // IA32_TSC_DEADLINE exists in both modes.
    EXPECT_TRUE(mc[0].try_rdmsr(0x6E0, v));
}

// --- x2APIC --------------------------------------------------------------

TEST(LapicX2apicRegisters, IdVersionLdrAreReadOnly) {
    Machine mc({0x12345}, true);
    LocalApic& a = mc[0];
    EXPECT_EQ(a.rdmsr(0x802), 0x12345u);  // 32-bit ID
    EXPECT_EQ(a.rdmsr(0x803), 0x01060014u);
    EXPECT_EQ(a.rdmsr(0x80D), (0x1234u << 16) | (1u << 5));
    EXPECT_FALSE(a.try_wrmsr(0x802, 1));
    EXPECT_FALSE(a.try_wrmsr(0x803, 1));
    EXPECT_FALSE(a.try_wrmsr(0x80D, 1));
    EXPECT_FALSE(a.try_wrmsr(0x80A, 0));  // PPR
    EXPECT_FALSE(a.try_wrmsr(0x810, 0));  // ISR
    EXPECT_FALSE(a.try_wrmsr(0x818, 0));  // TMR
    EXPECT_FALSE(a.try_wrmsr(0x820, 0));  // IRR
    EXPECT_EQ(a.rdmsr(0x802), 0x12345u);
}

TEST(LapicX2apicRegisters, RegisterFileMapsOffsetOver16) {
    Machine mc({0x10}, true);
    LocalApic& a = mc[0];
    a.deliver(device_msg(0x10, 0x41, 0, true));
    EXPECT_EQ(a.rdmsr(0x822), 1u << 1);  // IRR word 2
    EXPECT_EQ(a.rdmsr(0x81A), 1u << 1);  // TMR word 2
    a.acknowledge();
    EXPECT_EQ(a.rdmsr(0x812), 1u << 1);  // ISR word 2
    EXPECT_EQ(a.rdmsr(0x80A), 0x40u);    // PPR
    EXPECT_TRUE(a.try_wrmsr(0x808, 0x50));
    EXPECT_EQ(a.rdmsr(0x808), 0x50u);
    EXPECT_EQ(a.rdmsr(0x80A), 0x50u);
    EXPECT_EQ(a.rdmsr(0x80F), 0x1FFu);
    EXPECT_TRUE(a.try_wrmsr(0x80F, 0x13FF));
    EXPECT_EQ(a.rdmsr(0x80F), 0x11FFu);  // no focus checking in x2APIC mode
}

TEST(LapicX2apicRegisters, GeneralProtectionCases) {
    Machine mc({0x10}, true);
    LocalApic& a = mc[0];
    std::uint64_t v = 0;
    EXPECT_FALSE(a.try_rdmsr(0x80B, v));              // EOI is write-only
    EXPECT_FALSE(a.try_wrmsr(0x80B, 1));              // EOI must be 0
    EXPECT_TRUE(a.try_wrmsr(0x80B, 0));
    EXPECT_FALSE(a.try_rdmsr(0x80E, v));              // no DFR
    EXPECT_FALSE(a.try_wrmsr(0x80E, 0));
    EXPECT_FALSE(a.try_rdmsr(0x809, v));              // APR: reserved
    EXPECT_FALSE(a.try_rdmsr(0x831, v));              // no ICR high half
    EXPECT_FALSE(a.try_wrmsr(0x828, 1));              // ESR non-zero
    EXPECT_TRUE(a.try_wrmsr(0x828, 0));
    EXPECT_FALSE(a.try_wrmsr(0x808, 0x100));          // TPR reserved bits
    EXPECT_FALSE(a.try_wrmsr(0x808, 1ull << 32));     // high half reserved
    EXPECT_FALSE(a.try_wrmsr(0x830, 1u << 12));       // ICR bit 12 reserved in x2APIC
    EXPECT_FALSE(a.try_rdmsr(0x7FF, v));
    EXPECT_FALSE(a.try_rdmsr(0x900, v));
    EXPECT_EQ(a.tpr(), 0);
    ::pisim::sc_start_bounded();
    EXPECT_TRUE(mc.rec.events.empty());
}

TEST(LapicX2apicRegisters, IcrIs64BitWithoutDeliveryStatus) {
    Machine mc({0x10, 0x20}, true);
    const std::uint64_t icr = (std::uint64_t(0x20) << 32) | 0x4F;
    mc[0].wrmsr(0x830, icr);
    EXPECT_EQ(mc[0].rdmsr(0x830), icr);  // bit 12 reads 0 in x2APIC mode
    const auto s = mc.rec.of(EventKind::ApicSend);
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0].a, 0x20u);
    ::pisim::sc_start_bounded();
    EXPECT_TRUE(bit(mc[1].irr(), 0x4F));
}

TEST(LapicX2apicRegisters, MmioInterfaceDisabled) {
    Machine mc({0x10}, true);
    mc[0].mmio_write(0x080, 0x40);
    EXPECT_EQ(mc[0].tpr(), 0);
    EXPECT_EQ(mc[0].mmio_read(0x020), 0u);
}

TEST(LapicX2apicRegisters, EsrCollectsIllegalVectors) {
    Machine mc({0x10}, true);
    mc[0].wrmsr(0x83F, 0x05);  // SELF IPI with an illegal vector
    ::pisim::sc_start_bounded();
    EXPECT_EQ(mc[0].rdmsr(0x828), 0u);
    mc[0].wrmsr(0x828, 0);
    EXPECT_EQ(mc[0].rdmsr(0x828), 0x60u);  // send and receive illegal vector
    EXPECT_TRUE(empty(mc[0].irr()));
}

// --- PPR [SDM 10.8.3.1] -------------------------------------------------

struct PprCase {
    std::uint8_t tpr;
    int isrv;  // -1: nothing in service
    std::uint8_t ppr;
};

class LapicPpr : public ::testing::TestWithParam<PprCase> {};

TEST_P(LapicPpr, FromTprAndIsrv) {
    const PprCase c = GetParam();
    Machine mc({0}, false);
    if (c.isrv >= 0) {
        mc[0].deliver(device_msg(0, std::uint8_t(c.isrv)));
        ASSERT_EQ(mc[0].acknowledge(), c.isrv);
    }
    mc[0].set_tpr(c.tpr);
    EXPECT_EQ(mc[0].ppr(), c.ppr);
    EXPECT_EQ(mc[0].mmio_read(0x0A0), c.ppr);
}

// PPR = TPR if TPR[7:4] >= ISRV[7:4], else ISRV & 0xF0.
INSTANTIATE_TEST_SUITE_P(
    Table, LapicPpr,
    ::testing::Values(PprCase{0x00, -1, 0x00}, PprCase{0x2C, -1, 0x2C},
                      PprCase{0x00, 0x41, 0x40}, PprCase{0x35, 0x41, 0x40},
                      PprCase{0x45, 0x41, 0x45}, PprCase{0x4F, 0x4A, 0x4F},
                      PprCase{0x40, 0x4F, 0x40}, PprCase{0x3F, 0x4A, 0x40},
                      PprCase{0xF0, 0x20, 0xF0}, PprCase{0x10, 0xFF, 0xF0},
                      PprCase{0xFF, 0xFE, 0xFF}));
