// Block pricing from machine instructions (platform/block_pricer.h): the
// schedule max(ceil(uops / width), critical path) on hand-assembled blocks,
// and the shipped profiles' tables.
#include "platform/block_pricer.h"

#include <gtest/gtest.h>

#include <vector>

#include "platform/profile.h"

namespace pisim {
namespace {

/// A table where every class is 1 uop; latencies as given.
InstructionTable table() {
    InstructionTable t;
    t.issue_width = 4;
    for (auto& c : t.cost) c = {1, 1};
    t.cost[static_cast<std::size_t>(InsnClass::Load)] = {5, 1};
    t.cost[static_cast<std::size_t>(InsnClass::Locked)] = {19, 10};
    t.cost[static_cast<std::size_t>(InsnClass::BitScan)] = {3, 1};
    return t;
}

std::uint32_t cycles(const std::vector<std::uint8_t>& code) {
    BlockPricer p(table(), PricerHooks{});
    return p.price_code(code.data(), code.size(), 0x1000).cycles;
}

TEST(BlockPricer, DependentChainCostsItsLatencies) {
    // mov rax, [rcx]; add rax, 1; mov [rdx], rax: load 5 + add 1 + store 1.
    EXPECT_EQ(cycles({0x48, 0x8b, 0x01, 0x48, 0x83, 0xc0, 0x01, 0x48, 0x89, 0x02}), 7u);
}

TEST(BlockPricer, IndependentInstructionsCostTheirIssueSlots) {
    // add rax,1; add rbx,1; add rcx,1; add rdx,1; add rsi,1; add rdi,1; add r8,1; add r9,1:
    // eight independent uops, four per cycle.
    std::vector<std::uint8_t> code = {0x48, 0x83, 0xc0, 0x01, 0x48, 0x83, 0xc3, 0x01, 0x48, 0x83, 0xc1, 0x01,
                                      0x48, 0x83, 0xc2, 0x01, 0x48, 0x83, 0xc6, 0x01, 0x48, 0x83, 0xc7, 0x01,
                                      0x49, 0x83, 0xc0, 0x01, 0x49, 0x83, 0xc1, 0x01};
    EXPECT_EQ(cycles(code), 2u);
}

TEST(BlockPricer, SubRegistersCarryTheirRegistersDependency) {
    // mov eax, [rcx]; add al, 1: the 8-bit add waits for the 32-bit load.
    EXPECT_EQ(cycles({0x8b, 0x01, 0x04, 0x01}), 6u);
}

TEST(BlockPricer, LockedReadModifyWriteIsABarrier) {
    // add rbx, 1; lock cmpxchg [rdx], rcx; add rsi, 1: the last add starts after the
    // locked instruction completes (1 + 19 + 1), although it depends on nothing.
    EXPECT_EQ(cycles({0x48, 0x83, 0xc3, 0x01, 0xf0, 0x48, 0x0f, 0xb1, 0x0a, 0x48, 0x83, 0xc6, 0x01}), 21u);
}

TEST(BlockPricer, FindLastBitCostsTheSameForEveryVector) {
    // bsr rax, rcx: one instruction whatever bit is set.
    EXPECT_EQ(cycles({0x48, 0x0f, 0xbd, 0xc1}), 3u);
}

TEST(BlockPricer, ShippedProfilesPriceEveryClass) {
    for (const char* name : {"skylake-sp", "sandybridge"}) {
        const TimingProfile p = TimingProfile::load(name);
        EXPECT_EQ(p.hyp_timing(), HypTiming::Instructions) << name;
        EXPECT_EQ(p.instructions().issue_width, 4u) << name;
        for (std::size_t i = 0; i < static_cast<std::size_t>(InsnClass::Count); ++i) {
            const char* cls = insn_class_name(static_cast<InsnClass>(i));
            ASSERT_TRUE(p.instruction_sources().count(cls)) << name << " " << cls;
            EXPECT_FALSE(p.instruction_sources().at(cls).empty()) << name << " " << cls;
        }
        // A locked RMW costs more than a load, which costs more than an ALU op.
        EXPECT_GT(p.instructions().of(InsnClass::Locked).latency, p.instructions().of(InsnClass::Load).latency);
        EXPECT_GT(p.instructions().of(InsnClass::Load).latency, p.instructions().of(InsnClass::Alu).latency);
    }
}

}  // namespace
}  // namespace pisim
