// A host-owned device (dom0's SAS controller of xen-devel, "[Xenhackthon]
// Virtualized APIC registers - virtual interrupt delivery", 2013): assignment
// to HYP_DOMID_HOST, its MSI bound to a host vector on a pCPU as a remapped
// IRTE (HYP_CTL_BIND_HOST_MSI), and
// the root-mode handler host_device_irq (IF=1 for its body, EOI at the end).
#include "hyp_fixture.h"

using mock::m;

namespace {

constexpr std::uint32_t kSas = 0x0200;  // 02:00.0

class HostDevice : public HypTest {
protected:
    std::int32_t bind_host(std::uint32_t pcpu, std::uint8_t vec, std::uint64_t cycles,
                           std::uint32_t msi = 0, std::uint32_t rid = kSas)
    {
        hyp_ctl c = req(HYP_CTL_BIND_HOST_MSI);
        c.device = rid;
        c.msi_index = msi;
        c.pcpu = pcpu;
        c.vector = vec;
        c.arg = cycles;
        return ctl({c}).at(0);
    }
};

TEST_F(HostDevice, BindProgramsARemappedIrteToTheHostVectorAndPcpu)
{
    init(2);
    ASSERT_EQ(assign(kSas, HYP_DOMID_HOST), 0);
    ASSERT_EQ(bind_host(1, 0x58, 20000), 0);
    hyp_msi_msg msg{};
    ASSERT_TRUE(hyp_msi_message(kSas, 0, &msg));
    const std::uint32_t handle = static_cast<std::uint32_t>((msg.address >> 5) & 0x7FFF);
    const std::uint64_t lo = m->rd64(kIrt + 16ull * handle);
    EXPECT_EQ(lo & 1u, 1u) << "present";
    EXPECT_EQ((lo >> 15) & 1u, 0u) << "remapped format, not posted";
    EXPECT_EQ((lo >> 16) & 0xFFu, 0x58u) << "vector";
    EXPECT_EQ(hyp_core.pcpu[1].vec_binding[0x58], handle);
    EXPECT_EQ(hyp_core.pcpu[0].vec_binding[0x58], BINDING_NONE);
}

TEST_F(HostDevice, BindRejectsGuestDevicesOwnVectorsAndTakenVectors)
{
    init(1);
    ASSERT_EQ(assign(kRid, 1), 0);
    ASSERT_EQ(assign(kSas, HYP_DOMID_HOST), 0);
    EXPECT_EQ(bind_host(0, 0x58, 0, 0, kRid), HYP_ENODEV) << "a guest's device";
    EXPECT_EQ(bind_host(0, kNV, 0), HYP_EINVAL) << "the notification vector";
    EXPECT_EQ(bind_host(0, 0x1F, 0), HYP_EINVAL) << "below 32";
    EXPECT_EQ(bind_host(1, 0x58, 0), HYP_EINVAL) << "no such pCPU";
    ASSERT_EQ(bind_host(0, 0x58, 0, 0), 0);
    EXPECT_EQ(bind_host(0, 0x58, 0, 1), HYP_EEXIST) << "vector taken by entry 0";
    EXPECT_EQ(bind_host(0, 0x58, 0, 0), 0) << "rebinding the same entry";
}

TEST_F(HostDevice, HandlerRunsWithInterruptsEnabledAndWritesEoiLast)
{
    init(1);
    ASSERT_EQ(assign(kSas, HYP_DOMID_HOST), 0);
    ASSERT_EQ(bind_host(0, 0x58, 1000), 0);
    m->now_step = 10;
    m->irq_enabled[0] = false;
    m->log.clear();
    hyp_do_irq(0x58);
    long enter = m->find("tr_handler_enter", HYP_H_HOST_IRQ);
    long sti = m->find("irq_enable");
    long cli = m->find("irq_disable");
    long eoi = m->find("eoi");
    ASSERT_GE(enter, 0);
    ASSERT_GE(sti, 0);
    ASSERT_GE(cli, 0);
    ASSERT_GE(eoi, 0);
    EXPECT_LT(enter, sti);
    EXPECT_LT(sti, cli);
    EXPECT_LT(cli, eoi) << "EOI after the body: the vector holds PPR while it runs";
    EXPECT_EQ(m->log[static_cast<std::size_t>(enter)].d, (std::uint64_t{kSas} << 16) | 0u);
    EXPECT_FALSE(m->irq_enabled[0]) << "returns with IF=0 as it was entered";
    EXPECT_GE(m->now, 1000u) << "spent its cycles";
}

TEST_F(HostDevice, DeassignRemovesTheBindingAndNeedsNoHooks)
{
    init(1);
    std::uint32_t v = add_vcpu(0);
    ASSERT_EQ(unpause(v), 0);
    ASSERT_EQ(assign(kSas, HYP_DOMID_HOST), 0);
    EXPECT_EQ(hyp_core.dom[1].pi_hooks, 0u) << "a host device installs no PI hooks";
    ASSERT_EQ(bind_host(0, 0x58, 0), 0);
    hyp_ctl d = req(HYP_CTL_DEASSIGN_DEVICE);
    d.device = kSas;
    ASSERT_EQ(ctl({d}).at(0), 0);
    EXPECT_EQ(hyp_core.pcpu[0].vec_binding[0x58], BINDING_NONE);
    hyp_msi_msg msg{};
    EXPECT_FALSE(hyp_msi_message(kSas, 0, &msg));
}

}  // namespace
