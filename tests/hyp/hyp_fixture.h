// tests/hyp/hyp_fixture.h - common set-up for the hyp unit tests: a machine
// of N pCPUs on the mock port, hyp initialized in a chosen irq mode, and
// functions to create vCPUs, run control requests and read PIDs.
#pragma once

#include <gtest/gtest.h>

#include "mock_port.h"

extern "C" {
#include "hyp_core.h"
#include "pi.h"
#include "pid.h"
}

class HypTest : public ::testing::Test {
protected:
    static constexpr std::uint8_t kNV = 0xF2;     // notification vector
    static constexpr std::uint8_t kWV = 0xF1;     // wakeup vector
    static constexpr std::uint8_t kTV = 0xEF;     // timer vector
    static constexpr std::uint8_t kCV = 0xF3;     // control vector
    static constexpr std::uint8_t kDV = 0x40;     // device vector base
    static constexpr std::uint64_t kIrt = 0x40000;
    static constexpr std::uint64_t kIqStatus = 0x50000;
    static constexpr std::uint64_t kMsrBitmap = 0x60000;
    static constexpr std::uint64_t kSlice = 10000;
    static constexpr std::uint64_t kTick = 5000;
    static constexpr std::uint32_t kRid = 0x0300;  // NIC requester ID 03:00.0

    void SetUp() override { mock::reset(); }
    void TearDown() override
    {
        delete mock::m;
        mock::m = nullptr;
    }

    static hyp_config config(std::uint32_t ncpus, hyp_irq_mode mode, bool x2apic = false)
    {
        hyp_config c{};
        c.nr_pcpus = ncpus;
        for (std::uint32_t i = 0; i < ncpus; i++)
            c.apic_id[i] = mock::m->apic_id[i];
        c.x2apic = x2apic;
        c.irq_mode = mode;
        c.time_slice = kSlice;
        c.tick_period = kTick;
        c.notification_vector = kNV;
        c.wakeup_vector = kWV;
        c.timer_vector = kTV;
        c.control_vector = kCV;
        c.device_vector_base = kDV;
        c.irt_pa = kIrt;
        c.irt_entries = 256;
        c.iq_status_pa = kIqStatus;
        c.msr_bitmap_pa = kMsrBitmap;
        return c;
    }

    void init(std::uint32_t ncpus = 1, hyp_irq_mode mode = HYP_IRQ_VTD_PI, bool x2apic = false)
    {
        hyp_config c = config(ncpus, mode, x2apic);
        ASSERT_EQ(hyp_init(&c), 0);
        ASSERT_EQ(hyp_domain_create(1), 0);
        for (std::uint32_t i = 0; i < ncpus; i++)
            mock::m->irq_enabled[i] = true;
    }

    static std::uint64_t pid_pa(std::uint32_t v) { return 0x8000 + 64ull * v; }
    static std::uint64_t vapic_pa(std::uint32_t v) { return 0x10000 + 0x1000ull * v; }
    static std::uint64_t vmcs_pa(std::uint32_t v) { return 0x80000 + 0x1000ull * v; }

    std::uint32_t add_vcpu(std::uint32_t pcpu, std::uint32_t dom = 1)
    {
        std::uint32_t id = hyp_core.nr_vcpus;
        hyp_vcpu_storage st{vmcs_pa(id), vapic_pa(id), pid_pa(id)};
        int rc = hyp_vcpu_create(dom, pcpu, &st);
        EXPECT_EQ(rc, static_cast<int>(id));
        return id;
    }

    /// Queue control requests and take the control vector on pCPU `cpu`.
    std::vector<std::int32_t> ctl(std::vector<hyp_ctl> reqs, std::uint32_t cpu = 0)
    {
        auto& mm = *mock::m;
        std::size_t first = mm.ctl_done.size();
        std::uint32_t seq = 100;
        for (auto& r : reqs) {
            r.seq = seq++;
            mm.ctl_queue.push_back(r);
        }
        std::uint32_t saved = mm.cpu;
        mm.cpu = cpu;
        bool was = mm.irq_enabled[cpu];
        mm.irq_enabled[cpu] = false;
        hyp_do_irq(kCV);
        mm.irq_enabled[cpu] = was;
        mm.cpu = saved;
        std::vector<std::int32_t> out;
        for (std::size_t i = first; i < mm.ctl_done.size(); i++)
            out.push_back(mm.ctl_done[i].second);
        return out;
    }

    static hyp_ctl req(hyp_ctl_op op)
    {
        hyp_ctl c{};
        c.op = op;
        return c;
    }
    std::int32_t unpause(std::uint32_t v, std::uint32_t on_cpu = 0)
    {
        hyp_ctl c = req(HYP_CTL_VCPU_UNPAUSE);
        c.vcpu = v;
        return ctl({c}, on_cpu).at(0);
    }
    std::int32_t assign(std::uint32_t rid = kRid, std::uint32_t dom = 1)
    {
        hyp_ctl c = req(HYP_CTL_ASSIGN_DEVICE);
        c.device = rid;
        c.domain = dom;
        return ctl({c}).at(0);
    }
    std::int32_t bind(std::uint32_t v, std::uint8_t gvec, std::uint32_t msi = 0,
                      bool urgent = false, std::uint32_t rid = kRid)
    {
        hyp_ctl c = req(HYP_CTL_BIND_MSI);
        c.device = rid;
        c.msi_index = msi;
        c.vcpu = v;
        c.vector = gvec;
        c.urgent = urgent;
        return ctl({c}).at(0);
    }

    /// A new vCPU of domain 1 on pCPU `cpu`, unpaused (runnable, not yet
    /// scheduled); the domain's device is assigned first if it has none.
    std::uint32_t unpaused_vcpu(std::uint32_t cpu)
    {
        std::uint32_t v = add_vcpu(cpu);
        if (hyp_core.dom[1].nr_devices == 0) {
            EXPECT_EQ(assign(), 0);
        }
        EXPECT_EQ(unpause(v, cpu), 0);
        return v;
    }

    /// Run one iteration of pCPU `cpu`'s loop.
    void loop(std::uint32_t cpu = 0)
    {
        mock::m->cpu = cpu;
        pcpu_loop_once();
    }

    static std::uint64_t ctl_word(std::uint32_t v) { return mock::m->rd64(pid_pa(v) + 32); }
    static bool on(std::uint32_t v) { return ctl_word(v) & 1; }
    static bool sn(std::uint32_t v) { return ctl_word(v) & 2; }
    static std::uint8_t nv(std::uint32_t v) { return (ctl_word(v) >> 16) & 0xFF; }
    static std::uint32_t ndst(std::uint32_t v) { return ctl_word(v) >> 32; }
    static std::uint32_t xapic_ndst(std::uint32_t cpu) { return mock::m->apic_id[cpu] << 8; }
    static std::uint32_t state(std::uint32_t v) { return hyp_core.vcpu[v].state; }
    static bool virr(std::uint32_t v, std::uint8_t vec)
    {
        return mock::m->rd32(vapic_pa(v) + 0x200 + ((vec & 0xE0) >> 1)) & (1u << (vec & 31));
    }
    static std::uint64_t field(std::uint32_t v, std::uint32_t f)
    {
        return mock::m->vmcs_field(vmcs_pa(v), f);
    }
};
