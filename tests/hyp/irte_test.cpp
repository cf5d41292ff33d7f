// IRTE programming for HYP_CTL_BIND_MSI [VTD 5.1, 9.10, 9.11, 6.5.2]:
// formats, one 128-bit compare-exchange followed by IEC invalidation and an
// invalidation wait, the remappable MSI message, and the error paths.
#include "hyp_fixture.h"

using mock::m;

namespace {

class Irte : public HypTest {
protected:
    std::uint64_t lo(std::uint32_t i) { return m->rd64(kIrt + 16 * i); }
    std::uint64_t hi(std::uint32_t i) { return m->rd64(kIrt + 16 * i + 8); }
};

TEST_F(Irte, PostedFormatFields)
{
    init(1);
    std::uint32_t v = add_vcpu(0);
    ASSERT_EQ(assign(), 0);
    ASSERT_EQ(bind(v, 0x61, 0, /*urgent=*/true), 0);
    std::uint64_t pid = pid_pa(v);
    EXPECT_EQ(lo(0) & 1, 1u) << "P";
    EXPECT_EQ((lo(0) >> 1) & 1, 0u) << "FPD";
    EXPECT_EQ((lo(0) >> 14) & 1, 1u) << "URG";
    EXPECT_EQ((lo(0) >> 15) & 1, 1u) << "IM = posted";
    EXPECT_EQ((lo(0) >> 16) & 0xFF, 0x61u) << "virtual vector";
    EXPECT_EQ(lo(0) >> 38, (pid >> 6) & 0x3FFFFFF) << "PID address 31:6";
    EXPECT_EQ(hi(0) & 0xFFFF, kRid) << "SID";
    EXPECT_EQ((hi(0) >> 16) & 3, 0u) << "SQ";
    EXPECT_EQ((hi(0) >> 18) & 3, 1u) << "SVT";
    EXPECT_EQ(hi(0) >> 32, pid >> 32) << "PID address 63:32";
}

TEST_F(Irte, NonUrgentPostedEntryHasUrgClear)
{
    init(1);
    std::uint32_t v = add_vcpu(0);
    ASSERT_EQ(assign(), 0);
    ASSERT_EQ(bind(v, 0x61), 0);
    EXPECT_EQ((lo(0) >> 14) & 1, 0u);
}

TEST_F(Irte, UpdateIsOneCmpxchg128ThenIecInvalidationThenWait)
{
    init(1);
    std::uint32_t v = add_vcpu(0);
    ASSERT_EQ(assign(), 0);
    ASSERT_EQ(bind(v, 0x61, 0), 0);
    ASSERT_EQ(bind(v, 0x62, 1), 0);  // index 1
    m->log.clear();
    ASSERT_EQ(bind(v, 0x63, 1), 0);  // rebind: same index
    ASSERT_EQ(m->count("cmpxchg128"), 1);
    long x = m->find("cmpxchg128");
    EXPECT_EQ(m->log[x].a, kIrt + 16);
    EXPECT_EQ(m->log[x].d, 1u) << "exchange succeeded";
    long iec = m->find("iq_submit", ~0ull, x);
    ASSERT_GT(iec, x);
    std::uint64_t d0 = m->log[iec].a;
    EXPECT_EQ(d0 & 0xF, 4u) << "IEC descriptor";
    EXPECT_EQ((d0 >> 4) & 1, 1u) << "index-selective";
    EXPECT_EQ((d0 >> 27) & 0x1F, 0u) << "IM: one entry";
    EXPECT_EQ((d0 >> 32) & 0xFFFF, 1u) << "IIDX";
    long wait = m->find("iq_submit", ~0ull, iec + 1);
    ASSERT_GT(wait, iec);
    std::uint64_t w0 = m->log[wait].a, w1 = m->log[wait].b;
    EXPECT_EQ(w0 & 0xF, 5u) << "invalidation wait";
    EXPECT_EQ((w0 >> 5) & 1, 1u) << "status write";
    EXPECT_EQ(w1, kIqStatus) << "status address 63:2 in bits 127:66";
    long done = m->find("iq_wait", kIqStatus, wait + 1);
    ASSERT_GT(done, wait);
    EXPECT_EQ(m->log[done].b, w0 >> 32) << "waits for this descriptor's status data";
    EXPECT_EQ((lo(1) >> 16) & 0xFF, 0x63u);
    EXPECT_EQ(m->count("write64"), 0) << "no half-entry writes";
}

TEST_F(Irte, WaitStatusValuesDifferPerUpdate)
{
    init(1);
    std::uint32_t v = add_vcpu(0);
    ASSERT_EQ(assign(), 0);
    ASSERT_EQ(bind(v, 0x61, 0), 0);
    ASSERT_EQ(bind(v, 0x62, 1), 0);
    std::vector<std::uint64_t> vals;
    for (const auto& c : m->log)
        if (c.name == "iq_wait")
            vals.push_back(c.b);
    ASSERT_EQ(vals.size(), 2u);
    EXPECT_NE(vals[0], vals[1]);
    EXPECT_NE(vals[0], 0u);
}

TEST_F(Irte, MsiMessageIsRemappableWithShv)
{
    init(1);
    std::uint32_t v = add_vcpu(0);
    ASSERT_EQ(assign(), 0);
    hyp_msi_msg msg{};
    EXPECT_FALSE(hyp_msi_message(kRid, 0, &msg));
    for (std::uint32_t i = 0; i < 3; i++)
        ASSERT_EQ(bind(v, 0x60 + i, i), 0);
    ASSERT_TRUE(hyp_msi_message(kRid, 2, &msg));
    EXPECT_EQ(msg.address, 0xFEE00000ull | (2ull << 5) | (1ull << 4) | (1ull << 3));
    EXPECT_EQ(msg.data, 0u);
    EXPECT_FALSE(hyp_msi_message(kRid, 7, &msg));
}

TEST_F(Irte, MsiMessageCarriesHandleBit15)
{
    init(1);
    hyp_core.irt_entries = HYP_MAX_IRTES;
    std::uint32_t v = add_vcpu(0);
    ASSERT_EQ(assign(), 0);
    // occupy indices so that the handle has bit 15 clear but high bits set
    for (std::uint32_t i = 0; i < 5; i++)
        ASSERT_EQ(bind(v, 0x60, i), 0);
    hyp_msi_msg msg{};
    ASSERT_TRUE(hyp_msi_message(kRid, 4, &msg));
    EXPECT_EQ((msg.address >> 5) & 0x7FFF, 4u);
    EXPECT_EQ((msg.address >> 2) & 1, 0u);
}

TEST_F(Irte, BindErrors)
{
    init(1);
    std::uint32_t v = add_vcpu(0);
    EXPECT_EQ(bind(v, 0x61), HYP_ENODEV) << "device not assigned";
    ASSERT_EQ(assign(), 0);
    EXPECT_EQ(bind(v, 0x0F), HYP_EINVAL) << "vector below 16";
    EXPECT_EQ(bind(77, 0x61), HYP_EINVAL) << "no such vCPU";
    ASSERT_EQ(hyp_domain_create(2), 0);
    std::uint32_t other = add_vcpu(0, 2);
    EXPECT_EQ(bind(other, 0x61), HYP_ENODEV) << "device belongs to another domain";
    hyp_core.irt_entries = 2;
    ASSERT_EQ(bind(v, 0x61, 0), 0);
    ASSERT_EQ(bind(v, 0x61, 1), 0);
    EXPECT_EQ(bind(v, 0x61, 2), HYP_ENOSPC);
}

TEST_F(Irte, AssignErrors)
{
    init(1);
    EXPECT_EQ(assign(kRid, 9), HYP_EINVAL) << "no such domain";
    EXPECT_EQ(assign(), 0);
    EXPECT_EQ(assign(), HYP_EEXIST);
    hyp_ctl d = req(HYP_CTL_DEASSIGN_DEVICE);
    d.device = 0x999;
    EXPECT_EQ(ctl({d}).at(0), HYP_ENODEV);
}

TEST_F(Irte, DeassignClearsPresentBit)
{
    init(1);
    std::uint32_t v = add_vcpu(0);
    ASSERT_EQ(assign(), 0);
    ASSERT_EQ(bind(v, 0x61), 0);
    hyp_ctl d = req(HYP_CTL_DEASSIGN_DEVICE);
    d.device = kRid;
    m->log.clear();
    ASSERT_EQ(ctl({d}).at(0), 0);
    EXPECT_EQ(lo(0) & 1, 0u);
    EXPECT_EQ(m->count("cmpxchg128"), 1);
    EXPECT_GE(m->find("iq_wait"), 0);
    hyp_msi_msg msg{};
    EXPECT_FALSE(hyp_msi_message(kRid, 0, &msg));
}

TEST_F(Irte, RemappedFormatInApicvModeTargetsVcpuPcpu)
{
    init(2, HYP_IRQ_APICV);
    std::uint32_t v = add_vcpu(1);
    ASSERT_EQ(assign(), 0);
    ASSERT_EQ(bind(v, 0x61), 0);
    EXPECT_EQ(lo(0) & 1, 1u);
    EXPECT_EQ((lo(0) >> 15) & 1, 0u) << "IM = remapped";
    EXPECT_EQ((lo(0) >> 2) & 1, 0u) << "physical destination";
    EXPECT_EQ((lo(0) >> 5) & 7, 0u) << "fixed";
    std::uint32_t hvec = (lo(0) >> 16) & 0xFF;
    EXPECT_GE(hvec, kDV);
    EXPECT_EQ(lo(0) >> 32, std::uint64_t{m->apic_id[1]} << 8) << "xAPIC ID in 47:40";
    EXPECT_EQ((hi(0) >> 18) & 3, 1u);
    EXPECT_EQ(hyp_core.pcpu[1].vec_binding[hvec], 0u);
}

TEST_F(Irte, RemappedFormatX2apicDestinationIsFullId)
{
    init(2, HYP_IRQ_CPU_PI, /*x2apic=*/true);
    hyp_core.apic_id[1] = 0x10203;
    std::uint32_t v = add_vcpu(1);
    ASSERT_EQ(assign(), 0);
    ASSERT_EQ(bind(v, 0x61), 0);
    EXPECT_EQ(lo(0) >> 32, 0x10203u);
}

}  // namespace
