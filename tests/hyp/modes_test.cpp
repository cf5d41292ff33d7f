// The other irq modes [SDM 29.1-29.2, 10; Linux arch/x86/include/asm/vmx.h]:
// emulated (software vLAPIC, injection through the VM-entry
// interruption-information field, interrupt window,
// EOI by APIC-access exit), apicv (VIRR/RVI set by hyp), cpu-pi (remapped
// device vector posted in software), and virtual IPIs by exits 32 and 56.
#include "hyp_fixture.h"

using mock::m;

namespace {

class Modes : public HypTest {
protected:
    std::uint32_t running_vcpu(std::uint32_t cpu)
    {
        std::uint32_t v = add_vcpu(cpu);
        EXPECT_EQ(unpause(v, cpu), 0);
        m->cpu = cpu;
        do_softirq();
        EXPECT_EQ(hyp_core.pcpu[cpu].curr, v);
        return v;
    }
    void exit_once(std::uint32_t v, std::uint32_t reason, std::uint64_t qual = 0,
                   std::uint32_t intr_info = 0)
    {
        arch_vm_exit e{};
        e.reason = reason;
        e.qualification = qual;
        e.intr_info = intr_info;
        m->irq_enabled[m->cpu] = false;
        vmexit_handler(&hyp_core.vcpu[v], &e);
        m->irq_enabled[m->cpu] = true;
    }
    // WRMSR exit (32) [SDM 25.1.3]: qualification 0, ECX = MSR, EDX:EAX = value.
    void wrmsr_exit(std::uint32_t v, std::uint32_t msr, std::uint64_t value)
    {
        arch_vm_exit e{};
        e.reason = EXIT_REASON_MSR_WRITE;
        e.rcx = msr;
        e.rax = value & 0xFFFFFFFFu;
        e.rdx = value >> 32;
        m->irq_enabled[m->cpu] = false;
        vmexit_handler(&hyp_core.vcpu[v], &e);
        m->irq_enabled[m->cpu] = true;
    }
    void assist(std::uint32_t v)
    {
        m->irq_enabled[m->cpu] = false;
        virq_intr_assist(&hyp_core.vcpu[v]);
        m->irq_enabled[m->cpu] = true;
    }
    // APIC-access qualification of a guest's linear write [SDM 27.2.1]: the
    // offset, access type 1, and (pisim's CPU model) the data in 63:32.
    static std::uint64_t apic_write(std::uint32_t offset, std::uint32_t data)
    {
        return offset | (APIC_ACCESS_LINEAR_WRITE << APIC_ACCESS_TYPE_SHIFT) |
               (std::uint64_t{data} << APIC_ACCESS_DATA_SHIFT);
    }
    hyp_ctl vipi(std::uint32_t from, std::uint32_t to, std::uint8_t vec)
    {
        hyp_ctl c = req(HYP_CTL_SEND_VIPI);
        c.vcpu = from;
        c.vcpu2 = to;
        c.vector = vec;
        return c;
    }
};

TEST_F(Modes, EmulatedInjectsWhenGuestCanTakeIt)
{
    init(1, HYP_IRQ_EMULATED);
    std::uint32_t v = running_vcpu(0);
    m->vmcs[vmcs_pa(v)][VMCS_GUEST_RFLAGS] = RFLAGS_IF;
    ASSERT_EQ(ctl({vipi(v, v, 0x50)}).at(0), 0);
    assist(v);
    EXPECT_EQ(field(v, VMCS_VM_ENTRY_INTR_INFO_FIELD), INTR_INFO_VALID | 0x50u);
    EXPECT_EQ(hyp_core.vcpu[v].pending[1], 0u) << "IRR bit moved to ISR";
    EXPECT_EQ(hyp_core.vcpu[v].vlapic_isr[0x50 / 32], 1u << (0x50 % 32));
    EXPECT_GE(m->find("tr_virq_pend", v), 0);
}

TEST_F(Modes, EmulatedRequestsInterruptWindowWhenBlocked)
{
    init(1, HYP_IRQ_EMULATED);
    std::uint32_t v = running_vcpu(0);
    m->vmcs[vmcs_pa(v)][VMCS_GUEST_RFLAGS] = RFLAGS_IF;
    m->vmcs[vmcs_pa(v)][VMCS_GUEST_INTERRUPTIBILITY_INFO] = GUEST_INTR_STATE_STI;
    ASSERT_EQ(ctl({vipi(v, v, 0x50)}).at(0), 0);
    assist(v);
    EXPECT_EQ(field(v, VMCS_VM_ENTRY_INTR_INFO_FIELD), 0u);
    EXPECT_TRUE(field(v, VMCS_CPU_BASED_VM_EXEC_CONTROL) & CPU_BASED_INTR_WINDOW_EXITING);
    // exit 7: window open; the next entry injects and stops window exiting
    m->vmcs[vmcs_pa(v)][VMCS_GUEST_INTERRUPTIBILITY_INFO] = 0;
    exit_once(v, EXIT_REASON_INTERRUPT_WINDOW);
    assist(v);
    EXPECT_EQ(field(v, VMCS_VM_ENTRY_INTR_INFO_FIELD), INTR_INFO_VALID | 0x50u);
    EXPECT_FALSE(field(v, VMCS_CPU_BASED_VM_EXEC_CONTROL) & CPU_BASED_INTR_WINDOW_EXITING);
}

TEST_F(Modes, EmulatedRespectsPriorityAndEoiByApicAccess)
{
    init(1, HYP_IRQ_EMULATED);
    std::uint32_t v = running_vcpu(0);
    m->vmcs[vmcs_pa(v)][VMCS_GUEST_RFLAGS] = RFLAGS_IF;
    ASSERT_EQ(ctl({vipi(v, v, 0x80)}).at(0), 0);
    assist(v);
    m->vmcs[vmcs_pa(v)][VMCS_VM_ENTRY_INTR_INFO_FIELD] = 0;  // delivered
    ASSERT_EQ(ctl({vipi(v, v, 0x70)}).at(0), 0);
    assist(v);
    EXPECT_EQ(field(v, VMCS_VM_ENTRY_INTR_INFO_FIELD), 0u) << "0x70 below the in-service 0x80";
    EXPECT_FALSE(vlapic_has_pending(&hyp_core.vcpu[v]));
    exit_once(v, EXIT_REASON_APIC_ACCESS, apic_write(APIC_EOI, 0));
    EXPECT_EQ(hyp_core.vcpu[v].vlapic_isr[4], 0u);
    assist(v);
    EXPECT_EQ(field(v, VMCS_VM_ENTRY_INTR_INFO_FIELD), INTR_INFO_VALID | 0x70u);
}

TEST_F(Modes, EmulatedDoesNotOverwritePendingInjection)
{
    init(1, HYP_IRQ_EMULATED);
    std::uint32_t v = running_vcpu(0);
    m->vmcs[vmcs_pa(v)][VMCS_GUEST_RFLAGS] = RFLAGS_IF;
    ASSERT_EQ(ctl({vipi(v, v, 0x50)}).at(0), 0);
    assist(v);
    ASSERT_EQ(ctl({vipi(v, v, 0x90)}).at(0), 0);
    assist(v);
    EXPECT_EQ(field(v, VMCS_VM_ENTRY_INTR_INFO_FIELD), INTR_INFO_VALID | 0x50u);
    EXPECT_TRUE(hyp_core.vcpu[v].pending[2] & (1ull << (0x90 - 128)));
}

TEST_F(Modes, EmulatedHltWithPendingInterruptDoesNotBlock)
{
    init(1, HYP_IRQ_EMULATED);
    std::uint32_t v = running_vcpu(0);
    ASSERT_EQ(ctl({vipi(v, v, 0x50)}).at(0), 0);
    exit_once(v, EXIT_REASON_HLT);
    EXPECT_EQ(state(v), HYP_VCPU_RUNNING);
}

TEST_F(Modes, EmulatedXapicIpiIsIcrHighThenIcrLowEachTrapping)
{
    init(2, HYP_IRQ_EMULATED);
    std::uint32_t a = running_vcpu(0);
    std::uint32_t b = add_vcpu(1);
    ASSERT_EQ(unpause(b, 1), 0);
    // Fault-like exits: nothing reached the virtual-APIC page.
    exit_once(a, EXIT_REASON_APIC_ACCESS, apic_write(APIC_ICR2, 1u << 24));
    EXPECT_EQ(hyp_core.vcpu[b].pending[1], 0u) << "ICR high only latches the destination";
    exit_once(a, EXIT_REASON_APIC_ACCESS, apic_write(APIC_ICR, 0x50));
    EXPECT_TRUE(hyp_core.vcpu[b].pending[1] & (1ull << (0x50 - 64))) << "ICR low sends to the latched destination";
    EXPECT_EQ(hyp_core.vcpu[a].pending[1], 0u);
    // the destination stays latched; the self shorthand ignores it
    exit_once(a, EXIT_REASON_APIC_ACCESS, apic_write(APIC_ICR, (1u << 18) | 0x61));
    EXPECT_TRUE(hyp_core.vcpu[a].pending[1] & (1ull << (0x61 - 64)));
    // the xAPIC broadcast destination 0xFF reaches every vCPU
    exit_once(a, EXIT_REASON_APIC_ACCESS, apic_write(APIC_ICR2, 0xFFu << 24));
    exit_once(a, EXIT_REASON_APIC_ACCESS, apic_write(APIC_ICR, 0x72));
    EXPECT_TRUE(hyp_core.vcpu[a].pending[1] & (1ull << (0x72 - 64)));
    EXPECT_TRUE(hyp_core.vcpu[b].pending[1] & (1ull << (0x72 - 64)));
    // a read of ICR low (access type 0) sends nothing
    exit_once(a, EXIT_REASON_APIC_ACCESS, APIC_ICR | (std::uint64_t{0x7C} << APIC_ACCESS_DATA_SHIFT));
    EXPECT_FALSE(hyp_core.vcpu[b].pending[1] & (1ull << (0x7C - 64)));
}

TEST_F(Modes, EmulatedX2apicIpiIsOneWrmsrExit)
{
    init(1, HYP_IRQ_EMULATED, /*x2apic=*/true);
    std::uint32_t a = running_vcpu(0);
    std::uint32_t b = add_vcpu(0);
    ASSERT_EQ(unpause(b), 0);
    // the destination is in EDX (ICR 63:32): no ICR-high latch in x2APIC mode
    wrmsr_exit(a, MSR_X2APIC_ICR, (std::uint64_t{1} << 32) | 0x77);
    EXPECT_TRUE(hyp_core.vcpu[b].pending[1] & (1ull << (0x77 - 64)));
    EXPECT_EQ(hyp_core.vcpu[a].pending[1], 0u);
    EXPECT_EQ(hyp_core.vcpu[a].vlapic_icr_hi, 0u);
    // SELF IPI (83FH): to the writer
    wrmsr_exit(a, MSR_X2APIC_SELF_IPI, 0x66);
    EXPECT_TRUE(hyp_core.vcpu[a].pending[1] & (1ull << (0x66 - 64)));
}

// The emulated mode's x2APIC EOI and TPR arrive as WRMSR exits [SDM 10.12.1.2]:
// TPR blocks injection of lower classes [SDM 10.8.3.1]; EOI ends the
// in-service vector.
TEST_F(Modes, EmulatedX2apicEoiAndTprByWrmsrExit)
{
    init(1, HYP_IRQ_EMULATED, /*x2apic=*/true);
    std::uint32_t v = running_vcpu(0);
    m->vmcs[vmcs_pa(v)][VMCS_GUEST_RFLAGS] = RFLAGS_IF;
    wrmsr_exit(v, MSR_X2APIC_TPR, 0x70);
    EXPECT_EQ(hyp_core.vcpu[v].vlapic_tpr, 0x70u);
    ASSERT_EQ(ctl({vipi(v, v, 0x75)}).at(0), 0);
    assist(v);
    EXPECT_EQ(field(v, VMCS_VM_ENTRY_INTR_INFO_FIELD), 0u) << "0x75 not above TPR 0x70";
    ASSERT_EQ(ctl({vipi(v, v, 0x80)}).at(0), 0);
    assist(v);
    EXPECT_EQ(field(v, VMCS_VM_ENTRY_INTR_INFO_FIELD), INTR_INFO_VALID | 0x80u);
    m->vmcs[vmcs_pa(v)][VMCS_VM_ENTRY_INTR_INFO_FIELD] = 0;  // delivered
    wrmsr_exit(v, MSR_X2APIC_TPR, 0);
    assist(v);
    EXPECT_EQ(field(v, VMCS_VM_ENTRY_INTR_INFO_FIELD), 0u) << "0x75 below the in-service 0x80";
    wrmsr_exit(v, MSR_X2APIC_EOI, 0);
    EXPECT_EQ(hyp_core.vcpu[v].vlapic_isr[4], 0u);
    assist(v);
    EXPECT_EQ(field(v, VMCS_VM_ENTRY_INTR_INFO_FIELD), INTR_INFO_VALID | 0x75u);
}

TEST_F(Modes, ApicvSetsVirrAndRviAtEntry)
{
    init(1, HYP_IRQ_APICV);
    std::uint32_t v = running_vcpu(0);
    ASSERT_EQ(ctl({vipi(v, v, 0x45)}).at(0), 0);
    ASSERT_EQ(ctl({vipi(v, v, 0x66)}).at(0), 0);
    assist(v);
    EXPECT_TRUE(virr(v, 0x45));
    EXPECT_TRUE(virr(v, 0x66));
    EXPECT_EQ(field(v, VMCS_GUEST_INTR_STATUS) & 0xFF, 0x66u);
    EXPECT_EQ(hyp_core.vcpu[v].pending[1], 0u);
    long pend = m->find("tr_virq_pend", v);
    ASSERT_GE(pend, 0);
    EXPECT_EQ(m->log[pend].c, 2u) << "how: VIRR";
}

TEST_F(Modes, ApicvWakesBlockedVcpuAndKicksRemotePcpu)
{
    init(2, HYP_IRQ_APICV);
    std::uint32_t a = running_vcpu(0);
    std::uint32_t b = running_vcpu(1);
    m->cpu = 0;
    m->log.clear();
    ASSERT_EQ(ctl({vipi(a, b, 0x45)}, 0).at(0), 0);
    long ipi = m->find("ipi", m->apic_id[1]);
    ASSERT_GE(ipi, 0) << "running elsewhere: notification IPI forces an exit";
    EXPECT_EQ(m->log[ipi].b, kNV);
    m->cpu = 1;
    exit_once(b, EXIT_REASON_HLT);
    EXPECT_EQ(state(b), HYP_VCPU_RUNNING) << "pending vector: not blocked";
}

TEST_F(Modes, CpuPiDeviceInterruptIsPostedInSoftware)
{
    init(1, HYP_IRQ_CPU_PI);
    std::uint32_t v = running_vcpu(0);
    ASSERT_EQ(assign(), 0);
    ASSERT_EQ(bind(v, 0x61), 0);
    std::uint8_t hvec = (m->rd64(kIrt) >> 16) & 0xFF;
    m->log.clear();
    exit_once(v, EXIT_REASON_EXTERNAL_INTERRUPT, 0, INTR_INFO_VALID | hvec);
    EXPECT_GE(m->find("eoi"), 0);
    EXPECT_TRUE(on(v));
    EXPECT_TRUE(m->rd64(pid_pa(v) + 8) & (1ull << (0x61 - 64)));
    EXPECT_TRUE(hyp_core.pcpu[0].softirq_pending & (1u << SOFTIRQ_VCPU_KICK))
        << "current vCPU here, in interrupt context";
    EXPECT_EQ(m->count("ipi"), 0);
    assist(v);
    EXPECT_TRUE(virr(v, 0x61));
    EXPECT_EQ(hyp_core.vcpu[v].pi_block_cpu, HYP_INVALID) << "no VT-d hooks in cpu-pi mode";
}

TEST_F(Modes, CpuPiBlockedVcpuWokenByDeviceInterrupt)
{
    init(1, HYP_IRQ_CPU_PI);
    std::uint32_t v = running_vcpu(0);
    ASSERT_EQ(assign(), 0);
    ASSERT_EQ(bind(v, 0x61), 0);
    std::uint8_t hvec = (m->rd64(kIrt) >> 16) & 0xFF;
    exit_once(v, EXIT_REASON_HLT);
    do_softirq();
    ASSERT_EQ(state(v), HYP_VCPU_BLOCKED);
    m->irq_enabled[0] = false;
    hyp_do_irq(hvec);
    EXPECT_EQ(state(v), HYP_VCPU_RUNNABLE);
}

TEST_F(Modes, VipiByX2apicIcrWrmsrExit)
{
    init(1, HYP_IRQ_VTD_PI, /*x2apic=*/true);
    std::uint32_t a = running_vcpu(0);
    std::uint32_t b = add_vcpu(0);
    ASSERT_EQ(unpause(b), 0);
    wrmsr_exit(a, MSR_X2APIC_ICR, (std::uint64_t{1} << 32) | 0x77);
    EXPECT_TRUE(m->rd64(pid_pa(b) + 8) & (1ull << (0x77 - 64)));
    EXPECT_TRUE(on(b));
    EXPECT_EQ(m->rd64(pid_pa(a) + 8), 0u);
}

TEST_F(Modes, VipiByApicWriteExitXapicAndShorthands)
{
    init(1, HYP_IRQ_VTD_PI);
    std::uint32_t a = running_vcpu(0);
    std::uint32_t b = add_vcpu(0);
    std::uint32_t c = add_vcpu(0);
    // xAPIC: destination in ICR_HI 31:24
    m->wr32(vapic_pa(a) + APIC_ICR, 0x78);
    m->wr32(vapic_pa(a) + APIC_ICR2, 2u << 24);
    exit_once(a, EXIT_REASON_APIC_WRITE, APIC_ICR);
    EXPECT_TRUE(m->rd64(pid_pa(c) + 8) & (1ull << (0x78 - 64)));
    EXPECT_FALSE(m->rd64(pid_pa(b) + 8) & (1ull << (0x78 - 64)));
    // all-but-self shorthand
    m->wr32(vapic_pa(a) + APIC_ICR, (3u << 18) | 0x79);
    exit_once(a, EXIT_REASON_APIC_WRITE, APIC_ICR);
    EXPECT_TRUE(m->rd64(pid_pa(b) + 8) & (1ull << (0x79 - 64)));
    EXPECT_TRUE(m->rd64(pid_pa(c) + 8) & (1ull << (0x79 - 64)));
    EXPECT_FALSE(m->rd64(pid_pa(a) + 8) & (1ull << (0x79 - 64)));
    // self shorthand; reserved vector dropped
    m->wr32(vapic_pa(a) + APIC_ICR, (1u << 18) | 0x7A);
    exit_once(a, EXIT_REASON_APIC_WRITE, APIC_ICR);
    EXPECT_TRUE(m->rd64(pid_pa(a) + 8) & (1ull << (0x7A - 64)));
    m->wr32(vapic_pa(a) + APIC_ICR, 0x05);
    exit_once(a, EXIT_REASON_APIC_WRITE, APIC_ICR);
    EXPECT_EQ(m->rd64(pid_pa(a)), 0u);
}

TEST_F(Modes, X2apicApicWriteReadsIcrHighDwordAt0x304)
{
    init(1, HYP_IRQ_APICV, /*x2apic=*/true);
    std::uint32_t a = running_vcpu(0);
    std::uint32_t b = add_vcpu(0);
    m->wr32(vapic_pa(a) + APIC_ICR, 0x7B);
    m->wr32(vapic_pa(a) + APIC_ICR + 4, 1);
    exit_once(a, EXIT_REASON_APIC_WRITE, APIC_ICR);
    EXPECT_TRUE(hyp_core.vcpu[b].pending[1] & (1ull << (0x7B - 64)));
}

TEST_F(Modes, UnexpectedExitReasonIsAnInvariantViolation)
{
    init(1);
    std::uint32_t v = running_vcpu(0);
    arch_vm_exit e{};
    e.reason = 48;  // EPT violation: not configured
    EXPECT_THROW(vmexit_handler(&hyp_core.vcpu[v], &e), mock::AssertFailure);
}

TEST_F(Modes, VmcallExitIsAnsweredWithoutSideEffects)
{
    init(1, HYP_IRQ_APICV);
    std::uint32_t v = running_vcpu(0);
    m->log.clear();
    exit_once(v, EXIT_REASON_VMCALL);
    EXPECT_EQ(m->count("tr_handler_enter"), 1);
    EXPECT_EQ(m->count("tr_handler_exit"), 1);
    EXPECT_EQ(hyp_core.pcpu[0].curr, v);  // the guest keeps running
    // a hypercall this core does not define changes nothing
    for (const char* call : {"ipi", "write32", "write64", "cmpxchg64", "fetch_or64", "vmwrite"})
        EXPECT_EQ(m->count(call), 0) << call;
}

TEST_F(Modes, TprAndEoiInducedExitsAreHandled)
{
    init(1, HYP_IRQ_APICV);
    std::uint32_t v = running_vcpu(0);
    m->log.clear();
    exit_once(v, EXIT_REASON_TPR_BELOW_THRESHOLD);
    exit_once(v, EXIT_REASON_EOI_INDUCED, 0x45);
    EXPECT_EQ(m->count("tr_handler_enter"), 2);
    EXPECT_EQ(m->count("tr_handler_exit"), 2);
}

TEST_F(Modes, UnboundDeviceVectorIsDismissed)
{
    init(1, HYP_IRQ_APICV);
    m->irq_enabled[0] = false;
    hyp_do_irq(0x90);
    EXPECT_EQ(m->count("eoi"), 1);
    long h = m->find("tr_handler_enter", HYP_H_IRQ);
    EXPECT_GE(h, 0);
}

}  // namespace
