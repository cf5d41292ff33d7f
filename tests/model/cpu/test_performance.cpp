// The core schedules with timed waits only (no per-cycle process): the
// number of SystemC delta cycles per posted interrupt stays small and fixed.
#include "cpu_harness.h"

namespace pisim::test {
namespace {

TEST(CpuPerformance, FewKernelActivationsPerPostedInterrupt) {
    Machine m;
    constexpr int kInterrupts = 2000;
    constexpr std::uint64_t kPeriod = 5000;
    m.program.ops = {{GuestOp::Kind::Compute, 1000000000ull}};
    m.program.isr_cost = 800;
    for (int i = 1; i <= kInterrupts; ++i) {
        m.lapic.at(i * kPeriod, [&m, i] {
            m.post(static_cast<std::uint8_t>(0x40 + (i % 64)));
            m.lapic.raise(kNv);
        });
    }
    m.lapic.at((kInterrupts + 1) * kPeriod, [&] { m.lapic.raise(0x30); });
    const std::uint64_t deltas_before = sc_core::sc_delta_count();
    m.run_entries([&] { m.setup_apicv(); }, 1, 100000000);
    const std::uint64_t deltas = sc_core::sc_delta_count() - deltas_before;
    EXPECT_EQ(m.log.count("guest.isr_begin"), kInterrupts);
    EXPECT_EQ(m.log.count("cpu.pi_process"), kInterrupts);
    ASSERT_EQ(m.exits.size(), 1u);
    EXPECT_EQ(m.exits[0].reason, vmcs::EXIT_EXTERNAL_INTERRUPT);
    // Per interrupt: the script's post, the APIC event, PI processing,
    // delivery, ISR, EOI virtualization: about 6-8 delta cycles.
    RecordProperty("delta_cycles", std::to_string(deltas));
    EXPECT_LE(deltas, std::uint64_t{10} * kInterrupts) << deltas << " delta cycles";
}

}  // namespace
}  // namespace pisim::test
