// Oracles on synthetic event streams: each invariant holds on a correct
// sequence and is reported, with its cycle, on a broken one.
#include <gtest/gtest.h>

#include "hyp/hyp.h"
#include "hyp/trace.h"
#include "platform/oracles.h"
#include "platform/scenario.h"

using namespace pisim;

namespace {
constexpr std::uint64_t kPid = 0x2000, kPid1 = 0x5000;
constexpr std::uint8_t kNv = 0xF2, kWakeup = 0xF1, kPercpu = 0xE0;
constexpr std::uint32_t kNic = 0x100;

OracleConfig config(const char* mode = "vtd-pi") {
    OracleConfig c;
    c.irq_mode = mode;
    c.x2apic = true;
    c.notification_vector = kNv;
    c.wakeup_vector = kWakeup;
    c.percpu_vector = kPercpu;
    c.apic_ids = {0, 1};
    c.delivery_bound = 1000;
    c.wakeup_bound = 500;
    return c;
}
std::uint64_t control(bool on, bool sn, std::uint8_t nv, std::uint32_t ndst) {
    return (on ? 1u : 0u) | (sn ? 2u : 0u) | std::uint64_t{nv} << 16 | std::uint64_t{ndst} << 32;
}
Event ev(std::uint64_t cycle, EventKind k, std::uint32_t unit, std::uint64_t a = 0, std::uint64_t b = 0,
         std::uint64_t c = 0, std::uint64_t d = 0, std::uint64_t e = 0, std::uint64_t tag = 0) {
    Event x;
    x.cycle = cycle;
    x.kind = k;
    x.unit = unit;
    x.a = a, x.b = b, x.c = c, x.d = d, x.e = e, x.tag = tag;
    return x;
}
// A posted-format IRTE naming `pid` [VTD 9.11]: P, IM, vector, PID 31:6 in 63:38.
std::uint64_t posted_irte_lo(std::uint64_t pid, std::uint8_t vector, bool urgent = false) {
    return 1u | (urgent ? 1u << 14 : 0u) | 1u << 15 | std::uint64_t{vector} << 16 | (pid >> 6) << 38;
}

// vCPUs 0 and 1 of domain 1 (PIDs kPid, kPid1); nic 01:00.0 assigned to it,
// MSI-X entry 0 bound to (vCPU 0, 0x40).
struct Fixture {
    Oracles o;
    explicit Fixture(const char* mode = "vtd-pi") : Fixture(config(mode)) {}
    explicit Fixture(const OracleConfig& c) : o(c) {
        o.add_vcpu(0, 1, kPid);
        o.add_vcpu(1, 1, kPid1);
        o.assign_device(kNic, 1);
        o.bind(kNic, 0, 0, 0x40);
        pid(0, control(false, false, kNv, 0), 0);  // each ready to run on "its" pCPU
        pid(0, control(false, false, kNv, 1), 1);
    }
    void on(const Event& e) { o.on_event(e); }
    void pid(std::uint64_t cycle, std::uint64_t ctl, int vcpu = 0) {
        on(ev(cycle, EventKind::PidUpdate, static_cast<std::uint32_t>(vcpu), vcpu ? kPid1 : kPid, 4, 0, ctl));
    }
    void pir(std::uint64_t cycle, int word, std::uint64_t bits, int vcpu = 0) {
        on(ev(cycle, EventKind::PidUpdate, static_cast<std::uint32_t>(vcpu), vcpu ? kPid1 : kPid,
              static_cast<std::uint64_t>(word), 0, bits));
    }
    void write(std::uint64_t cycle, std::uint64_t tag, std::uint32_t index = 0, std::uint32_t rid = kNic) {
        on(ev(cycle, EventKind::NicMsiWrite, rid, 0xFEE00010, 0, index, 0, 0, tag));
    }
    void post(std::uint64_t cycle, std::uint8_t v, std::uint64_t new_ctl, std::uint64_t tag, std::uint64_t pid = kPid) {
        on(ev(cycle, EventKind::VtdPost, 0, 0, pid, v, 0, new_ctl, tag));
    }
    void entry(std::uint64_t cycle, int vcpu, std::uint32_t pcpu = 0) {
        on(ev(cycle, EventKind::CpuVmEntry, pcpu, static_cast<std::uint64_t>(vcpu)));
    }
    void exit(std::uint64_t cycle, int vcpu, std::uint64_t reason, std::uint32_t pcpu = 0) {
        on(ev(cycle, EventKind::CpuVmExit, pcpu, static_cast<std::uint64_t>(vcpu), reason));
    }
    void isr(std::uint64_t cycle, int vcpu, std::uint8_t v) {
        on(ev(cycle, EventKind::GuestIsrBegin, static_cast<std::uint32_t>(vcpu), v));
    }
    // guest.ipi of vCPU `from`: x2APIC, fixed
    void ipi(std::uint64_t cycle, int from, std::uint64_t dest, std::uint8_t v, std::uint64_t shorthand = 0,
             std::uint64_t mode = 0) {
        on(ev(cycle, EventKind::GuestIpi, static_cast<std::uint32_t>(from), dest, v, shorthand, 1, mode));
    }
    void irte(std::uint64_t cycle, std::uint32_t index, std::uint64_t halves, std::uint64_t lo, std::uint64_t hi) {
        on(ev(cycle, EventKind::IrteUpdate, 0, index, halves, lo, hi, 2));
    }
    void release(std::uint64_t cycle, std::uint32_t list) {
        on(ev(cycle, EventKind::HypLockRelease, list, HYP_LOCK_BLOCKING_LIST, list));
    }
    void state(std::uint64_t cycle, int vcpu, std::uint32_t from, std::uint32_t to) {
        on(ev(cycle, EventKind::HypVcpuState, static_cast<std::uint32_t>(vcpu), from, to));
    }
    std::vector<std::string> names() const {
        std::vector<std::string> n;
        for (const auto& v : o.violations()) n.push_back(v.oracle);
        return n;
    }
};
using Names = std::vector<std::string>;
}  // namespace

TEST(PlatformOracles, EveryOracleHasAName) {
    const auto& n = oracle_names();
    for (const char* want : {"lost_interrupt", "spurious_interrupt", "wakeup", "descriptor_state", "isolation",
                             "blocking_list", "ndst_online", "offline_pcpu", "stranded_pir", "list_agreement",
                             "torn_irte", "hlt_resume", "hyp_assertion"})
        EXPECT_NE(std::find(n.begin(), n.end(), want), n.end()) << want;
}

TEST(PlatformOracles, CorrectPostedPathHoldsEverything) {
    Fixture f;
    f.pid(10, control(false, false, kNv, 0));
    f.entry(20, 0);
    f.write(90, 7);
    f.post(100, 0x40, control(true, false, kNv, 0), 7);
    f.isr(300, 0, 0x40);
    f.o.finish(10000);
    EXPECT_TRUE(f.o.violations().empty());
}

TEST(PlatformOracles, VmEntryWithWakeupVectorOrSnIsADescriptorViolation) {
    Fixture f;
    f.pid(10, control(false, true, kWakeup, 1));
    f.entry(20, 0);
    ASSERT_EQ(f.o.violations().size(), 3u);  // NV, SN, NDST
    for (const auto& v : f.o.violations()) {
        EXPECT_EQ(v.oracle, "descriptor_state");
        EXPECT_EQ(v.cycle, 20u);
        EXPECT_FALSE(v.history.empty()) << "a violation carries the events that led to it";
    }
}

TEST(PlatformOracles, ADeviceWriteIsTrackedFromTheWriteNotThePost) {
    Fixture f;
    f.pid(10, control(false, false, kNv, 0));
    f.entry(20, 0);
    f.write(100, 7);  // VT-d never posts it: the core lost it in the IRTE
    f.o.finish(2000);
    ASSERT_EQ(f.names(), Names{"lost_interrupt"});
    EXPECT_EQ(f.o.violations()[0].cycle, 1100u) << "the bound counts from the device's write while in the guest";
    EXPECT_NE(f.o.violations()[0].message.find("01:00.0"), std::string::npos);
}

TEST(PlatformOracles, TimeOutsideTheGuestDoesNotCountTowardsTheBound) {
    Fixture f;
    f.entry(20, 0);
    f.write(100, 7);
    f.exit(600, 0, 1);        // 500 cycles in the guest
    f.entry(50000, 0);        // long time descheduled
    f.isr(50400, 0, 0x40);    // 900 < 1000 in the guest
    f.o.finish(60000);
    EXPECT_TRUE(f.o.violations().empty());
    Fixture g;
    g.entry(20, 0);
    g.write(100, 7);
    g.exit(600, 0, 1);
    g.entry(50000, 0);
    g.o.finish(60000);
    ASSERT_EQ(g.names(), Names{"lost_interrupt"});
    EXPECT_EQ(g.o.violations()[0].cycle, 50500u);
}

TEST(PlatformOracles, AVtdFaultDischargesTheWrite) {
    Fixture f;
    f.entry(20, 0);
    f.write(100, 7);
    f.on(ev(400, EventKind::VtdFault, 0, 0x22, 0, kNic, 1, 0, 7));
    f.o.finish(10000);
    EXPECT_TRUE(f.o.violations().empty());
    f.isr(10001, 0, 0x40);  // a blocked request is never delivered
    EXPECT_EQ(f.names(), Names{"spurious_interrupt"});
}

TEST(PlatformOracles, HypervisorRecordsNeitherStartNorCloseAnObligation) {
    Fixture f;
    f.entry(20, 0);
    f.on(ev(100, EventKind::HypVipi, 1, 0, 0x61, 1));       // the core says it sent one
    f.on(ev(150, EventKind::HypVirqPend, 0, 0, 0x61, 2));   // and made it pending
    f.o.finish(10000);
    EXPECT_TRUE(f.o.violations().empty()) << "no interrupt was raised";
    f.isr(10001, 0, 0x61);
    EXPECT_EQ(f.names(), Names{"spurious_interrupt"}) << "an ISR nobody raised";
}

TEST(PlatformOracles, ABlockedVcpuMustBeOnTheNdstListWhenPostedAndWokenInTime) {
    Fixture f;
    f.entry(5, 0);
    f.pid(10, control(false, false, kWakeup, 1));
    f.on(ev(11, EventKind::HypBlocklistAdd, 1, 0, 1));
    f.exit(12, 0, 12);  // HLT
    f.state(13, 0, 2, 3);
    f.write(90, 7);
    f.post(100, 0x40, control(true, false, kWakeup, 1), 7);
    f.state(300, 0, 3, 1);
    f.on(ev(310, EventKind::HypBlocklistDel, 1, 0, 1));
    f.pid(320, control(true, false, kNv, 0));
    f.entry(400, 0);  // VM-entered 310 cycles after the write: in time
    f.isr(450, 0, 0x40);
    f.o.finish(10000);
    EXPECT_TRUE(f.o.violations().empty());

    Fixture g;  // on pCPU 0's list but NDST names pCPU 1, never woken
    g.entry(5, 0);
    g.pid(10, control(false, false, kWakeup, 1));
    g.on(ev(11, EventKind::HypBlocklistAdd, 0, 0, 0));
    g.exit(12, 0, 12);
    g.state(13, 0, 2, 3);
    g.on(ev(14, EventKind::CpuMode, 0, 3));  // pCPU 0 idles beside it
    g.write(90, 7);
    g.post(100, 0x40, control(true, false, kWakeup, 1), 7);
    g.o.finish(10000);
    EXPECT_EQ(g.names(), (Names{"list_agreement", "descriptor_state", "wakeup"}));
    EXPECT_EQ(g.o.violations()[2].cycle, 590u) << "the wake-up bound counts from the write to the halted vCPU";
}

TEST(PlatformOracles, AnInterruptPendingWhenTheVcpuHaltsMustWakeIt) {
    Fixture f;  // raised while running, not yet taken, then HLT: wake it
    f.entry(5, 0);
    f.write(100, 7);
    f.exit(200, 0, 12);
    f.on(ev(250, EventKind::CpuMode, 0, 3));  // its pCPU idles from 250
    f.o.finish(10000);
    ASSERT_EQ(f.names(), (Names{"wakeup"}));
    EXPECT_EQ(f.o.violations()[0].cycle, 750u) << "the bound counts idle time of a pCPU it may run on";
}

// A vCPU switched out (preempted, migrated away) suppresses notifications
// (SN = 1) before another vCPU enters the guest on the pCPU its NDST names.
TEST(PlatformOracles, AVcpuThatDoesNotRunSuppressesNotificationsToThePcpuItLeft) {
    const auto run = [](bool sn_set, bool posted, std::uint8_t nv) {
        Fixture f;
        if (posted) f.irte(5, 1, 3, posted_irte_lo(kPid1, 0x41), 0);
        f.pid(100, control(false, sn_set, nv, 1), 1);   // vCPU 1 leaves pCPU 1
        f.pid(110, control(false, false, kNv, 1), 0);   // vCPU 0 switched in there
        f.entry(120, 0, 1);
        return f.names();
    };
    EXPECT_TRUE(run(true, true, kNv).empty()) << "SN set as it left";
    ASSERT_EQ(run(false, true, kNv), Names{"descriptor_state"}) << "SN left clear: VT-d would interrupt vCPU 0";
    EXPECT_TRUE(run(false, false, kNv).empty()) << "no posted IRTE names its PID: VT-d never posts to it";
    EXPECT_TRUE(run(false, true, kWakeup).empty()) << "blocked: its NV is the wakeup vector";
}

TEST(PlatformOracles, AVcpuLeavesHltOnlyByTakingAnInterrupt) {
    const auto op = [](std::uint64_t cycle, int vcpu) {
        return ev(cycle, EventKind::GuestOp, static_cast<std::uint32_t>(vcpu),
                  static_cast<std::uint64_t>(GuestOp::Kind::Compute), 1000);
    };
    {  // woken with nothing pending: its program goes on past HLT
        Fixture f("emulated");
        f.entry(5, 0);
        f.exit(200, 0, 12);
        f.entry(900, 0);
        f.on(op(950, 0));
        ASSERT_EQ(f.names(), (Names{"hlt_resume"}));
        EXPECT_EQ(f.o.violations()[0].cycle, 950u);
    }
    {  // ... or halts again at once (the idle loop after its program)
        Fixture f("emulated");
        f.entry(5, 0);
        f.exit(200, 0, 12);
        f.entry(900, 0);
        f.exit(960, 0, 12);
        EXPECT_EQ(f.names(), (Names{"hlt_resume"}));
    }
    {  // woken by the interrupt it takes first: HLT ended as it should
        Fixture f("emulated");
        f.entry(5, 0);
        f.exit(200, 0, 12);
        f.write(400, 7);
        f.entry(900, 0);
        f.isr(920, 0, 0x40);
        f.on(op(1500, 0));
        f.exit(1600, 0, 12);
        f.o.finish(2000);
        EXPECT_TRUE(f.o.violations().empty());
    }
    {  // a wake or a block the scenario asks for is exempt; an exit before resuming is not a resume
        Fixture f("emulated");
        f.entry(5, 0);
        f.on(ev(100, EventKind::ScenarioEvent, 0, static_cast<std::uint64_t>(TimedEvent::Op::Block), 0));
        f.exit(200, 0, 12);
        f.entry(900, 0);
        f.on(op(950, 0));
        f.exit(1000, 0, 12);
        f.entry(1100, 0);
        f.exit(1150, 0, 1);  // an external-interrupt exit: the guest did not go on
        f.on(ev(1200, EventKind::ScenarioEvent, 0, static_cast<std::uint64_t>(TimedEvent::Op::Wake), 0));
        f.entry(1300, 0);
        f.on(op(1350, 0));
        f.on(ev(1360, EventKind::ScenarioEvent, 0, static_cast<std::uint64_t>(TimedEvent::Op::Wake), 1));
        EXPECT_TRUE(f.o.violations().empty());
        // a wake request answered after a later HLT still exempts that HLT's end, once
        f.on(ev(1370, EventKind::ScenarioEvent, 0, static_cast<std::uint64_t>(TimedEvent::Op::Wake), 0));
        f.exit(1400, 0, 12);
        f.entry(1500, 0);
        f.on(op(1550, 0));
        EXPECT_TRUE(f.o.violations().empty());
        f.exit(1600, 0, 12);
        f.entry(1700, 0);
        f.on(op(1750, 0));
        EXPECT_EQ(f.names(), (Names{"hlt_resume"}));
    }
    {  // two wake requests before either is answered: each ends one HLT
        Fixture f("emulated");
        f.entry(5, 0);
        f.exit(100, 0, 12);
        f.on(ev(150, EventKind::ScenarioEvent, 0, static_cast<std::uint64_t>(TimedEvent::Op::Wake), 0));
        f.on(ev(160, EventKind::ScenarioEvent, 0, static_cast<std::uint64_t>(TimedEvent::Op::Wake), 0));
        f.entry(200, 0);
        f.exit(210, 0, 12);
        f.entry(300, 0);
        f.exit(310, 0, 12);
        EXPECT_TRUE(f.o.violations().empty());
        f.entry(400, 0);
        f.exit(410, 0, 12);
        EXPECT_EQ(f.names(), (Names{"hlt_resume"}));
    }
}

TEST(PlatformOracles, AnInterruptTheGuestMaskedWithItsTprOwesNoWakeup) {
    // The guest raised TPR above the interrupt's class, then halted: the
    // interrupt is not deliverable (PPR >= TPR) and the vCPU rightly sleeps.
    Fixture f;
    f.entry(5, 0);
    f.on(ev(50, EventKind::GuestOp, 0, static_cast<std::uint64_t>(GuestOp::Kind::Tpr), 0xf0));
    f.write(100, 7);
    f.exit(200, 0, 12);
    f.on(ev(250, EventKind::CpuMode, 0, 3));
    f.o.finish(10000);
    EXPECT_TRUE(f.names().empty() || f.names() == (Names{"lost_interrupt"})) << "no wakeup owed";
    for (const auto& n : f.names()) EXPECT_NE(n, "wakeup");

    Fixture g;  // TPR back to 0 before the HLT: the wake-up is owed again
    g.entry(5, 0);
    g.on(ev(50, EventKind::GuestOp, 0, static_cast<std::uint64_t>(GuestOp::Kind::Tpr), 0xf0));
    g.on(ev(60, EventKind::GuestOp, 0, static_cast<std::uint64_t>(GuestOp::Kind::Tpr), 0));
    g.write(100, 7);
    g.exit(200, 0, 12);
    g.on(ev(250, EventKind::CpuMode, 0, 3));
    g.o.finish(10000);
    ASSERT_EQ(g.names(), (Names{"wakeup"}));
}

TEST(PlatformOracles, AWokenVcpuMayWaitWhileEveryPcpuItMayRunOnIsBusy) {
    // Time slices and boost decide who runs: a wait behind a busy pCPU is no
    // lost wakeup, the same wait beside an idle one is.
    OracleConfig c = config("vtd-pi");
    c.affinity = {1ull << 0};  // vCPU 0 pinned to pCPU 0
    Fixture f(c);
    f.entry(5, 0);
    f.write(100, 7);
    f.exit(200, 0, 12);
    f.on(ev(210, EventKind::CpuMode, 1, 3));  // pCPU 1 idles: not one it may run on
    f.on(ev(220, EventKind::CpuMode, 0, 1));  // pCPU 0 runs another guest
    f.on(ev(5000, EventKind::CpuMode, 0, 3));  // then idles: the bound starts
    f.on(ev(5300, EventKind::CpuMode, 0, 0));  // busy again after 300 idle cycles
    f.on(ev(9000, EventKind::CpuMode, 0, 3));  // 200 more idle cycles run the bound out
    f.o.finish(20000);
    ASSERT_EQ(f.names(), (Names{"wakeup"}));
    EXPECT_EQ(f.o.violations()[0].cycle, 9200u);

    Fixture g(c);  // pinned elsewhere by a pin event: pCPU 1's idle time counts
    g.entry(5, 0);
    g.write(100, 7);
    g.exit(200, 0, 12);
    g.on(ev(210, EventKind::CpuMode, 1, 3));
    g.on(ev(300, EventKind::ScenarioEvent, 1, static_cast<std::uint64_t>(TimedEvent::Op::Pin), 0));
    g.o.finish(20000);
    ASSERT_EQ(g.names(), (Names{"wakeup"}));
    EXPECT_EQ(g.o.violations()[0].cycle, 800u);
}

TEST(PlatformOracles, BlockingListDoubleAddAndStaleRemoval) {
    Fixture f;
    f.on(ev(1, EventKind::HypBlocklistAdd, 0, 0, 0));
    f.on(ev(2, EventKind::HypBlocklistAdd, 0, 0, 0));
    f.on(ev(3, EventKind::HypBlocklistDel, 0, 0, 1));
    EXPECT_EQ(f.names(), (Names{"blocking_list", "blocking_list"}));
}

TEST(PlatformOracles, PostIntoAnotherDomainIsAnIsolationViolation) {
    Fixture f;
    f.o.add_vcpu(2, 2, 0x3000);
    f.write(5, 9, 5);  // entry 5 is unbound: aimed where VT-d posts it
    f.post(10, 0x40, 0, 9, 0x3000);
    EXPECT_EQ(f.names(), Names{"isolation"});
    f.isr(20, 2, 0x40);  // delivered where it was posted: not spurious
    EXPECT_EQ(f.names(), Names{"isolation"});
}

TEST(PlatformOracles, AForgedCopyOfAProgrammedMessageIsAimedAtItsEntry) {
    Fixture f("apicv");
    f.o.bind(kNic, 0, 0, 0x40, 0xFEE00018, 0);  // the message programmed for entry 0
    f.o.add_vcpu(2, 2, 0x3000);
    f.o.assign_device(0x300, 2);
    f.entry(5, 0);
    f.on(ev(100, EventKind::NicMsiWrite, 0x300, 0xFEE00018, 0, 1, 0, 0, 9));  // domain 2's device copies it
    f.on(ev(700, EventKind::VtdRemap, 0, 0, 0, 0x60, 0, 0, 9));                // VT-d lets it through
    f.isr(900, 0, 0x40);
    EXPECT_EQ(f.names(), Names{"isolation"}) << "delivered to domain 1's vCPU, not spurious, but across domains";
}

TEST(PlatformOracles, GuestIpisAreAimedByDestinationShorthandAndBroadcast) {
    Fixture f;
    f.entry(5, 0, 0);
    f.entry(6, 1, 1);
    f.ipi(100, 0, 1, 0x61);            // vCPU 0 -> guest APIC ID 1
    f.ipi(110, 1, 0, 0x62, 1);         // vCPU 1 -> self
    f.ipi(120, 0, 0xFFFFFFFF, 0x63);   // broadcast: both
    f.ipi(130, 0, 7, 0x64);            // no such APIC ID: nobody
    f.ipi(140, 0, 1, 0x05);            // illegal vector: dropped by the APIC
    f.ipi(150, 0, 1, 0x66, 0, 4);      // NMI delivery mode: not an interrupt vector
    f.isr(300, 1, 0x61);
    f.isr(310, 1, 0x62);
    f.isr(320, 0, 0x63);
    f.isr(330, 1, 0x63);
    f.o.finish(10000);
    EXPECT_TRUE(f.o.violations().empty());

    Fixture g;  // the core drops the IPI
    g.entry(5, 0, 0);
    g.entry(6, 1, 1);
    g.ipi(100, 0, 1, 0x61);
    g.o.finish(10000);
    ASSERT_EQ(g.names(), Names{"lost_interrupt"});
    EXPECT_EQ(g.o.violations()[0].vcpu, 1);
    EXPECT_EQ(g.o.violations()[0].cycle, 1100u);
    EXPECT_NE(g.o.violations()[0].message.find("IPI written by vCPU 0"), std::string::npos);

    Fixture h;  // delivered to the sender instead of its target
    h.entry(5, 0, 0);
    h.entry(6, 1, 1);
    h.ipi(100, 0, 1, 0x61);
    h.isr(200, 0, 0x61);
    h.o.finish(10000);
    EXPECT_EQ(h.names(), (Names{"spurious_interrupt", "lost_interrupt"}));
}

TEST(PlatformOracles, AControlDomainIpiIsTrackedFromTheRequest) {
    Fixture f;
    f.entry(5, 1, 1);
    f.on(ev(100, EventKind::ScenarioEvent, 0, static_cast<std::uint64_t>(TimedEvent::Op::Ipi), 1, 0x70));
    f.o.finish(10000);
    ASSERT_EQ(f.names(), Names{"lost_interrupt"});
    EXPECT_NE(f.o.violations()[0].message.find("control-domain"), std::string::npos);
}

TEST(PlatformOracles, PendingInterruptsOfOneVectorCoalesceButOneIsNotDeliveredTwice) {
    Fixture f;
    f.entry(5, 0);
    f.write(100, 7);
    f.write(150, 8);  // both pending at once: one PIR bit
    f.isr(900, 0, 0x40);
    f.o.finish(10000);
    EXPECT_TRUE(f.o.violations().empty());

    Fixture g;
    g.entry(5, 0);
    g.write(100, 7);
    g.isr(900, 0, 0x40);
    g.isr(1500, 0, 0x40);  // the core injected it again
    EXPECT_EQ(g.names(), Names{"spurious_interrupt"});
    EXPECT_EQ(g.o.violations()[0].cycle, 1500u);
}

TEST(PlatformOracles, DuringAReprogrammingEitherBindingMayReceiveTheInterrupt) {
    Fixture f;
    f.entry(5, 1, 1);
    f.o.rebinding(kNic, 0, 1, 0x41);
    f.write(100, 7);
    f.post(400, 0x41, control(true, false, kNv, 1), 7, kPid1);
    f.isr(500, 1, 0x41);
    f.o.bind(kNic, 0, 1, 0x41);
    f.o.finish(10000);
    EXPECT_TRUE(f.o.violations().empty());
}

TEST(PlatformOracles, AHostDeviceInterruptReachesItsHostVector) {
    Fixture f;
    f.o.bind_host(0x200, 0, 1, 0x90);
    f.write(100, 7, 0, 0x200);
    f.on(ev(700, EventKind::ApicAccept, 1, 0x90, 0, 0, 0, 0, 7));
    f.on(ev(700, EventKind::ApicDispatch, 1, 0x90, 0, 0, 0, 0, 7));
    f.o.finish(10000);
    EXPECT_TRUE(f.o.violations().empty());
    f.on(ev(10001, EventKind::ApicDispatch, 1, 0x90));
    EXPECT_EQ(f.names(), Names{"spurious_interrupt"});

    Fixture g;
    g.o.bind_host(0x200, 0, 1, 0x90);
    g.write(100, 7, 0, 0x200);
    g.on(ev(700, EventKind::ApicDispatch, 0, 0x90));  // another pCPU's vector
    g.o.finish(10000);
    ASSERT_EQ(g.names(), Names{"lost_interrupt"});
    EXPECT_EQ(g.o.violations()[0].cycle, 1100u);
}

// A dispatch answers only interrupts its local APIC has accepted: one still on
// its way may yet be accepted elsewhere (its entry re-aimed by a pCPU going
// offline) and is owed there (scenarios/races/offline-host-in-flight.yaml).
TEST(PlatformOracles, AHostDispatchAnswersOnlyAcceptedInterrupts) {
    Fixture f;
    f.o.bind_host(0x200, 0, 0, 0x80, 0);
    f.write(100, 1, 0, 0x200);                                             // aimed at pCPU 0
    f.write(200, 2, 0, 0x200);                                             // also
    f.on(ev(300, EventKind::IrteUpdate, 0, 0, 3, (1ull << 32) | (0x80ull << 16) | 1, 0));  // re-aimed at pCPU 1
    f.on(ev(400, EventKind::ApicAccept, 0, 0x80, 0, 0, 0, 0, 1));          // 1 was remapped before
    f.on(ev(400, EventKind::ApicDispatch, 0, 0x80, 0, 0, 0, 0, 1));
    f.on(ev(700, EventKind::ApicAccept, 1, 0x80, 0, 0, 0, 0, 2));          // 2 after: on pCPU 1
    f.on(ev(700, EventKind::ApicDispatch, 1, 0x80, 0, 0, 0, 0, 2));
    f.o.finish(10000);
    EXPECT_TRUE(f.o.violations().empty()) << (f.names().empty() ? "" : f.names()[0]);
}

// A host entry re-aimed by software reaches its old (pCPU, vector) until the
// interrupt-entry cache copy is invalidated [VTD 6.5.2.7]; after, only the new.
TEST(PlatformOracles, AReAimedHostEntryReachesItsOldTargetUntilTheIecInvalidation) {
    Fixture f;
    f.o.bind_host(0x200, 0, 1, 0x7e, 0);
    f.on(ev(100, EventKind::IrteUpdate, 0, 0, 3, (0x7eull << 16) | 1, 0));  // re-aimed at pCPU 0
    f.write(200, 1, 0, 0x200);
    f.on(ev(800, EventKind::ApicAccept, 1, 0x7e, 0, 0, 0, 0, 1));            // the cached copy: pCPU 1
    f.on(ev(800, EventKind::ApicDispatch, 1, 0x7e, 0, 0, 0, 0, 1));
    EXPECT_TRUE(f.o.violations().empty());
    f.on(ev(900, EventKind::VtdIecInvalidate, 0, 0, 0, 0));                  // index 0
    f.write(1000, 2, 0, 0x200);
    f.on(ev(1600, EventKind::ApicAccept, 1, 0x7e, 0, 0, 0, 0, 2));
    f.on(ev(1600, EventKind::ApicDispatch, 1, 0x7e, 0, 0, 0, 0, 2));
    EXPECT_EQ(f.names(), Names{"spurious_interrupt"});
}

TEST(PlatformOracles, APerCpuFiringGoesToTheVcpuWhoseVmcsIsCurrentWhenSoftwareTakesIt) {
    Fixture f;
    f.o.set_percpu_vector(1, 0x50);
    f.on(ev(10, EventKind::CpuVmcs, 0, 0, 0));  // VMPTRLD vCPU 0 on pCPU 0
    f.entry(20, 0);
    f.on(ev(100, EventKind::PercpuStatus, 0, 0, 1));  // fired
    f.on(ev(100, EventKind::PercpuTimerFire, 0, kPercpu, 1));
    f.on(ev(300, EventKind::PercpuStatus, 0, 1, 0));  // taken by software
    f.isr(600, 0, 0x50);
    f.o.finish(10000);
    EXPECT_TRUE(f.o.violations().empty());

    Fixture g;  // no VMCS current when it is taken: dropped by the rule
    g.o.set_percpu_vector(1, 0x50);
    g.on(ev(10, EventKind::CpuVmcs, 0, 0, 0));
    g.on(ev(50, EventKind::CpuVmcs, 0, 1, 0));  // VMCLEAR
    g.pid(55, control(false, false, kNv, 1));
    g.entry(60, 0, 1);                          // it runs on pCPU 1 now
    g.on(ev(100, EventKind::PercpuStatus, 0, 0, 1));
    g.on(ev(300, EventKind::PercpuStatus, 0, 1, 0));
    g.o.finish(10000);
    EXPECT_TRUE(g.o.violations().empty());

    Fixture h;  // taken for vCPU 0, never delivered
    h.o.set_percpu_vector(1, 0x50);
    h.on(ev(10, EventKind::CpuVmcs, 0, 0, 0));
    h.entry(20, 0);
    h.on(ev(100, EventKind::PercpuStatus, 0, 0, 1));
    h.on(ev(300, EventKind::PercpuStatus, 0, 1, 0));
    h.o.finish(10000);
    ASSERT_EQ(h.names(), Names{"lost_interrupt"});
    EXPECT_EQ(h.o.violations()[0].cycle, 1300u);

    Fixture k;  // never taken by software at all
    k.o.set_percpu_vector(1, 0x50);
    k.on(ev(100, EventKind::PercpuStatus, 0, 0, 1));
    k.o.finish(10000);
    ASSERT_EQ(k.names(), Names{"lost_interrupt"});
    EXPECT_EQ(k.o.violations()[0].cycle, 1100u);
}

TEST(PlatformOracles, AnNdstThatCanBeNotifiedMustNameAnOnlinePcpu) {
    auto offline_pcpu1 = [](Fixture& f) {
        f.o.pcpu_hotplug(1, false, 1000);
        f.on(ev(1200, EventKind::CpuMode, 1, 3));  // first halt with no VMCS current
    };
    Fixture f;  // SN=0, NDST=1, a posted IRTE names the PID
    f.pid(3, control(false, false, kWakeup, 1));
    f.on(ev(4, EventKind::HypBlocklistAdd, 1, 0, 1));  // on pCPU 1's list
    f.state(5, 0, 2, 3);  // blocked: its wakeup needs the notification
    f.irte(10, 0, 3, posted_irte_lo(kPid, 0x40), 0);
    f.pid(20, control(false, false, kWakeup, 1));
    offline_pcpu1(f);
    ASSERT_EQ(f.names(), Names{"ndst_online"});
    EXPECT_EQ(f.o.violations()[0].cycle, 1200u);

    Fixture r;  // the same PID of a runnable vCPU: its next VM entry rewrites NDST
    r.state(5, 0, 3, 1);
    r.irte(10, 0, 3, posted_irte_lo(kPid, 0x40), 0);
    r.pid(20, control(false, false, kWakeup, 1));
    offline_pcpu1(r);
    EXPECT_TRUE(r.o.violations().empty());

    Fixture g;  // SN=1, not urgent: VT-d never notifies
    g.pid(3, control(false, false, kWakeup, 1));
    g.on(ev(4, EventKind::HypBlocklistAdd, 1, 0, 1));  // on pCPU 1's list
    g.state(5, 0, 2, 3);
    g.irte(10, 0, 3, posted_irte_lo(kPid, 0x40), 0);
    g.pid(20, control(false, true, kNv, 1));
    offline_pcpu1(g);
    g.pid(1300, control(true, false, kNv, 1));  // ON=1: the next post does not notify
    EXPECT_TRUE(g.o.violations().empty());
    g.pid(1400, control(false, false, kNv, 1));  // armed again, still naming pCPU 1
    EXPECT_EQ(g.names(), Names{"ndst_online"});

    Fixture h;  // SN=1 but the IRTE is urgent
    h.pid(3, control(false, false, kWakeup, 1));
    h.on(ev(4, EventKind::HypBlocklistAdd, 1, 0, 1));  // on pCPU 1's list
    h.state(5, 0, 2, 3);
    h.irte(10, 0, 3, posted_irte_lo(kPid, 0x40, true), 0);
    h.pid(20, control(false, true, kNv, 1));
    offline_pcpu1(h);
    EXPECT_EQ(h.names(), Names{"ndst_online"});

    Fixture k;  // no posted IRTE names it
    k.pid(20, control(false, false, kNv, 1));
    offline_pcpu1(k);
    EXPECT_TRUE(k.o.violations().empty());
}

TEST(PlatformOracles, AnOfflinePcpuTakesNoInterruptAndRunsNoHandler) {
    Fixture f;
    f.on(ev(5, EventKind::CpuVmcs, 1, 0, 1));
    f.o.pcpu_hotplug(1, false, 10);
    f.on(ev(20, EventKind::CpuMode, 1, 3));   // halts with vCPU 1's VMCS current: not yet handed over
    f.on(ev(30, EventKind::ApicAccept, 1, kNv));
    EXPECT_TRUE(f.o.violations().empty());
    f.on(ev(40, EventKind::CpuVmcs, 1, 1, 1));  // VMCLEAR
    f.on(ev(50, EventKind::CpuMode, 1, 3));     // offline from here
    f.on(ev(60, EventKind::ApicAccept, 1, kPercpu));  // its own per-pCPU source
    f.on(ev(61, EventKind::HypHandlerEnter, 1, HYP_H_PERCPU, kPercpu));
    EXPECT_TRUE(f.o.violations().empty());
    f.on(ev(70, EventKind::ApicAccept, 1, kWakeup));
    f.on(ev(80, EventKind::HypHandlerEnter, 1, HYP_H_PI_WAKEUP, kWakeup));
    f.entry(90, 1, 1);
    EXPECT_EQ(f.names(), (Names{"offline_pcpu", "offline_pcpu", "offline_pcpu"}));
    f.o.pcpu_hotplug(1, true, 100);
    f.on(ev(110, EventKind::ApicAccept, 1, kNv));
    EXPECT_EQ(f.o.violations().size(), 3u);
}

// A software post (cpu-pi) sets PIR, then ON: a poster held between the two
// steps leaves a PIR bit with ON clear that is not stranded yet; one set while
// ON was already 1 finished its post.
TEST(PlatformOracles, APostUnderWayIsNotAStrandedPirBit) {
    const auto sw_pir = [](std::uint64_t cycle, std::uint64_t old, std::uint64_t bits) {
        return ev(cycle, EventKind::PidUpdate, 0, kPid, 1, old, bits, 2 /* software */);
    };
    Fixture f("cpu-pi");
    f.pid(10, control(false, false, kNv, 0));
    f.on(sw_pir(20, 0, 1u << 5));  // pCPU 1 posts 0x45; held before it sets ON
    f.entry(30, 0);
    f.exit(50, 0, 1);
    f.entry(60, 0);
    EXPECT_TRUE(f.o.violations().empty()) << "the post is still under way";
    f.pid(70, control(true, false, kNv, 0));  // its ON: done (and a notification follows)
    f.pid(80, control(false, false, kNv, 0));  // ... whose ON the sync clears without taking PIR
    f.entry(90, 0);
    f.exit(100, 0, 1);
    f.entry(110, 0);
    EXPECT_EQ(f.names(), Names{"stranded_pir"});

    Fixture g("cpu-pi");  // set while ON was 1 (the post needs no ON of its own), then ON cleared
    g.pid(10, control(true, false, kNv, 0));
    g.on(sw_pir(20, 0, 1u << 5));
    g.pid(25, control(false, false, kNv, 0));
    g.entry(30, 0);
    g.exit(50, 0, 1);
    g.entry(60, 0);
    EXPECT_EQ(g.names(), Names{"stranded_pir"});
}

// A notification taken in root mode is consumed without posted-interrupt
// processing: the core must hand PIR to VIRR (clearing ON) before it enters
// the guest again, or the vector waits for an unrelated VM exit
// (tests/mutants/notification_no_softirq.patch).
TEST(PlatformOracles, AnOnSetPirWhoseNotificationWasTakenInRootModeIsStranded) {
    const auto setup = [](Fixture& f) {
        f.pid(10, control(false, false, kNv, 0));
        f.pir(20, 1, 1u << 5);                      // vector 0x45 posted ...
        f.pid(25, control(true, false, kNv, 0));    // ... with its ON
        f.on(ev(30, EventKind::CpuMode, 0, 0));     // pCPU 0 in root mode
        f.on(ev(40, EventKind::ApicAccept, 0, kNv));
        f.on(ev(45, EventKind::ApicDispatch, 0, kNv));  // the notification, taken in root mode
    };
    Fixture f("cpu-pi");
    setup(f);
    f.entry(50, 0);  // nobody synced PIR: ON still set
    ASSERT_EQ(f.names(), Names{"stranded_pir"});
    EXPECT_NE(f.o.violations()[0].message.find("0x45"), std::string::npos);

    Fixture g("cpu-pi");  // the entry path synced: ON clear, PIR taken
    setup(g);
    g.pid(46, control(false, false, kNv, 0));
    g.pir(47, 1, 0);
    g.entry(50, 0);
    EXPECT_TRUE(g.o.violations().empty());

    Fixture h("cpu-pi");  // the same notification taken in guest mode: processed by the CPU
    h.pid(10, control(false, false, kNv, 0));
    h.pir(20, 1, 1u << 5);
    h.pid(25, control(true, false, kNv, 0));
    h.on(ev(30, EventKind::CpuMode, 0, 1));
    h.on(ev(40, EventKind::ApicAccept, 0, kNv));
    h.on(ev(45, EventKind::ApicDispatch, 0, kNv));
    h.entry(50, 0);
    EXPECT_TRUE(h.o.violations().empty());

    Fixture k("cpu-pi");  // ON set after the root-mode dispatch: its own notification is on its way
    k.pid(10, control(false, false, kNv, 0));
    k.on(ev(30, EventKind::CpuMode, 0, 0));
    k.on(ev(40, EventKind::ApicAccept, 0, kNv));
    k.on(ev(45, EventKind::ApicDispatch, 0, kNv));
    k.pir(46, 1, 1u << 5);
    k.pid(47, control(true, false, kNv, 0));
    k.entry(50, 0);
    EXPECT_TRUE(k.o.violations().empty());

    Fixture m("cpu-pi");  // ON over an empty PIR (a stale ON): nothing waits
    m.pid(10, control(false, false, kNv, 0));
    m.pid(25, control(true, false, kNv, 0));
    m.on(ev(30, EventKind::CpuMode, 0, 0));
    m.on(ev(45, EventKind::ApicDispatch, 0, kNv));
    m.entry(50, 0);
    EXPECT_TRUE(m.o.violations().empty());
}

TEST(PlatformOracles, APirBitWithOnClearMustNotOutliveOneEntryPass) {
    Fixture f;
    f.pid(10, control(false, false, kNv, 0));
    f.pir(20, 1, 1u << 5);  // vector 0x45 posted while SN was 1: no ON
    f.entry(30, 0);         // first pass: the core notifies itself
    f.pir(40, 1, 0);        // posted-interrupt processing took it
    f.exit(50, 0, 1);
    f.entry(60, 0);
    EXPECT_TRUE(f.o.violations().empty());

    Fixture g;
    g.pid(10, control(false, false, kNv, 0));
    g.pir(20, 1, 1u << 5);
    g.entry(30, 0);
    g.exit(50, 0, 1);
    g.entry(60, 0);  // still there, still ON=0
    ASSERT_EQ(g.names(), Names{"stranded_pir"});
    EXPECT_NE(g.o.violations()[0].message.find("0x45"), std::string::npos);

    Fixture k;  // still there, but this pass sent the pCPU a notification
    k.pid(10, control(false, false, kNv, 0));
    k.pir(20, 1, 1u << 5);
    k.entry(30, 0);
    k.exit(50, 0, 1);
    k.on(ev(55, EventKind::ApicSend, 0, 0, kNv, 1));  // self-IPI of the notification vector
    k.entry(60, 0);
    EXPECT_TRUE(k.o.violations().empty());
    k.on(ev(1055, EventKind::ApicAccept, 0, kNv));  // (arrives in the guest, taken at once)
    k.on(ev(1055, EventKind::ApicDispatch, 0, kNv));
    k.exit(1100, 0, 1);
    k.entry(1200, 0);  // not taken: PIR still set, nothing on its way
    EXPECT_EQ(k.names(), Names{"stranded_pir"});

    Fixture h;  // set anew between the two entries: a new first pass
    h.pid(10, control(false, false, kNv, 0));
    h.pir(20, 1, 1u << 5);
    h.entry(30, 0);
    h.pir(40, 1, 0);
    h.pir(45, 1, 1u << 5);
    h.exit(50, 0, 1);
    h.entry(60, 0);
    EXPECT_TRUE(h.o.violations().empty());
}

TEST(PlatformOracles, BlockingListsStatesAndPidsAgreeAtEveryListLockRelease) {
    Fixture f;  // the block path: NV/NDST first, then the list, then blocked
    f.pid(10, control(false, false, kWakeup, 1));
    f.on(ev(20, EventKind::HypBlocklistAdd, 1, 0, 1));
    f.release(21, 1);
    f.state(30, 0, 2, 3);
    f.state(100, 0, 3, 1);  // woken; leaves the list at its VM entry
    f.pid(110, control(false, false, kNv, 1));
    f.on(ev(120, EventKind::HypBlocklistDel, 1, 0, 1));
    f.release(121, 1);
    EXPECT_TRUE(f.o.violations().empty());

    Fixture g;  // listed on pCPU 0 while NDST names pCPU 1
    g.pid(10, control(false, false, kWakeup, 1));
    g.on(ev(20, EventKind::HypBlocklistAdd, 0, 0, 0));
    g.release(21, 0);
    EXPECT_EQ(g.names(), Names{"list_agreement"});

    Fixture h;  // taken off while still blocked, hooks active
    h.pid(10, control(false, false, kWakeup, 1));
    h.on(ev(20, EventKind::HypBlocklistAdd, 1, 0, 1));
    h.release(21, 1);
    h.state(30, 0, 2, 3);
    h.on(ev(40, EventKind::HypBlocklistDel, 1, 0, 1));
    EXPECT_TRUE(h.o.violations().empty()) << "checked when the lock is released";
    h.release(41, 1);
    EXPECT_EQ(h.names(), Names{"list_agreement"});

    Fixture k;  // the same after the deassignment request: hooks going away
    k.pid(10, control(false, false, kWakeup, 1));
    k.on(ev(20, EventKind::HypBlocklistAdd, 1, 0, 1));
    k.release(21, 1);
    k.state(30, 0, 2, 3);
    k.o.deassign_requested(kNic);
    k.on(ev(40, EventKind::HypBlocklistDel, 1, 0, 1));
    k.release(41, 1);
    EXPECT_TRUE(k.o.violations().empty());

    Fixture m;  // blocked with the hooks active but never listed: its pCPU switches away
    m.pid(10, control(false, false, kWakeup, 1));
    m.state(30, 0, 2, 3);
    EXPECT_TRUE(m.o.violations().empty()) << "its block path may still add it";
    m.on(ev(40, EventKind::HypSchedule, 1, 0, HYP_INVALID, 3));  // pCPU 1: vCPU 0 -> idle
    EXPECT_EQ(m.names(), Names{"list_agreement"});

    Fixture n;  // a wakeup handler unlinked it before it was blocked: its block path re-adds it
    n.pid(10, control(false, false, kWakeup, 1));
    n.on(ev(20, EventKind::HypBlocklistAdd, 1, 0, 1));
    n.release(21, 1);
    n.on(ev(25, EventKind::HypBlocklistDel, 1, 0, 1));  // the wakeup handler, vCPU still running
    n.release(26, 1);
    n.state(30, 0, 2, 3);
    n.on(ev(35, EventKind::HypBlocklistAdd, 1, 0, 1));
    n.release(36, 1);
    n.on(ev(40, EventKind::HypSchedule, 1, 0, HYP_INVALID, 3));
    EXPECT_TRUE(n.o.violations().empty()) << (n.names().empty() ? "" : n.names()[0]);
}

TEST(PlatformOracles, VtdNeverReadsAnIrteMadeOfTwoSoftwareUpdates) {
    const std::uint64_t lo = posted_irte_lo(kPid, 0x40), hi = 0x40100;
    auto fetch = [](Fixture& f, std::uint64_t cycle, std::uint64_t l, std::uint64_t h, bool iec_hit = false) {
        f.on(ev(cycle, EventKind::VtdIrteFetch, 0, 3, iec_hit ? 1 : 0, l, h));
    };
    Fixture f;  // one 128-bit write, invalidated, fetched
    f.irte(10, 3, 3, lo, hi);
    f.on(ev(20, EventKind::VtdIecInvalidate, 0, 0, 3, 0));
    fetch(f, 30, lo, hi);
    f.irte(40, 3, 3, lo | 1u << 14, hi);  // replaced whole
    fetch(f, 45, lo | 1u << 14, hi);
    EXPECT_TRUE(f.o.violations().empty());

    Fixture g;  // low half written, VT-d fetches before the high half
    g.irte(10, 3, 1, lo, 0);
    fetch(g, 20, lo, 0);
    ASSERT_EQ(g.names(), Names{"torn_irte"});
    g.irte(30, 3, 2, lo, hi);
    fetch(g, 40, lo, hi);  // both halves of one update now
    EXPECT_EQ(g.o.violations().size(), 1u);

    Fixture h;  // halves written across an invalidation
    h.irte(10, 3, 3, lo, hi);
    h.on(ev(20, EventKind::VtdIecInvalidate, 0, 0, 2, 1));  // entries 2..3
    h.irte(30, 3, 1, lo | 1u << 14, hi);
    fetch(h, 35, lo | 1u << 14, hi, true);  // an IEC hit is not a memory read
    fetch(h, 40, lo | 1u << 14, hi);
    EXPECT_EQ(h.names(), Names{"torn_irte"});

    Fixture k;  // a not-present entry is never used
    k.irte(10, 3, 1, lo & ~1ull, 0);
    fetch(k, 20, lo & ~1ull, 0);
    EXPECT_TRUE(k.o.violations().empty());
}

// A bound near 2^64 means "never": its deadline saturates instead of wrapping
// to a cycle already past (which reported every interrupt lost at once).
TEST(PlatformOracles, ABoundNear2To64NeverExpiresAndTheTimeInTheGuestStillCounts) {
    for (std::uint64_t bound : {~0ull, ~0ull - 1, 1ull << 63}) {
        OracleConfig c = config();
        c.delivery_bound = bound;
        c.wakeup_bound = bound;
        Fixture f(c);
        f.entry(20, 0);
        f.write(100, 7);
        f.exit(600, 0, 1);       // the clock stops: 500 cycles in the guest
        f.entry(50000, 0);       // and starts again
        f.write(50100, 8, 0);
        f.o.finish(1000000);
        EXPECT_TRUE(f.o.violations().empty()) << "bound " << bound << ": " << f.o.violations()[0].message;
    }
    // Below the saturation the bound still holds exactly.
    OracleConfig c = config();
    c.delivery_bound = 1000;
    Fixture g(c);
    g.entry(20, 0);
    g.write(100, 7);
    g.o.finish(5000);
    ASSERT_EQ(g.names(), Names{"lost_interrupt"});
    EXPECT_EQ(g.o.violations()[0].cycle, 1100u);
}
