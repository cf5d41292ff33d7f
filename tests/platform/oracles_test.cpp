// Oracles on synthetic event streams: each invariant holds on a correct
// sequence and is reported, with its cycle, on a broken one.
#include <gtest/gtest.h>

#include "platform/oracles.h"

using namespace pisim;

namespace {
constexpr std::uint64_t kPid = 0x2000;
constexpr std::uint8_t kNv = 0xF2, kWakeup = 0xF1;

OracleConfig config() {
    OracleConfig c;
    c.vtd_posting = true;
    c.x2apic = true;
    c.notification_vector = kNv;
    c.wakeup_vector = kWakeup;
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
struct Fixture {
    Oracles o{config()};
    Fixture() {
        o.add_vcpu(0, 1, kPid);
        o.assign_device(0x100, 1);
    }
    void pid(std::uint64_t cycle, std::uint64_t ctl) { o.on_event(ev(cycle, EventKind::PidUpdate, 0, kPid, 4, 0, ctl)); }
    void post(std::uint64_t cycle, std::uint8_t v, std::uint64_t new_ctl, std::uint64_t tag = 7) {
        o.on_event(ev(cycle - 1, EventKind::NicMsiWrite, 0x100, 0xFEE00010, 0, 0, 0, 0, tag));
        Event p = ev(cycle, EventKind::VtdPost, 0, 0, kPid, v, 0, new_ctl, tag);
        o.on_event(p);
    }
    std::vector<std::string> names() const {
        std::vector<std::string> n;
        for (const auto& v : o.violations()) n.push_back(v.oracle);
        return n;
    }
};
}  // namespace

TEST(PlatformOracles, CorrectPostedPathHoldsEverything) {
    Fixture f;
    f.pid(10, control(false, false, kNv, 0));
    f.o.on_event(ev(20, EventKind::CpuVmEntry, 0, 0));
    f.post(100, 0x40, control(true, false, kNv, 0));
    f.o.on_event(ev(300, EventKind::GuestIsrBegin, 0, 0x40));
    f.o.finish(10000);
    EXPECT_TRUE(f.o.violations().empty());
}

TEST(PlatformOracles, VmEntryWithWakeupVectorOrSnIsADescriptorViolation) {
    Fixture f;
    f.pid(10, control(false, true, kWakeup, 1));
    f.o.on_event(ev(20, EventKind::CpuVmEntry, 0, 0));
    ASSERT_EQ(f.o.violations().size(), 3u);  // NV, SN, NDST
    for (const auto& v : f.o.violations()) {
        EXPECT_EQ(v.oracle, "descriptor_state");
        EXPECT_EQ(v.cycle, 20u);
        EXPECT_FALSE(v.history.empty()) << "a violation carries the events that led to it";
    }
}

TEST(PlatformOracles, InterruptNotDeliveredWhileInGuestIsLost) {
    Fixture f;
    f.pid(10, control(false, false, kNv, 0));
    f.o.on_event(ev(20, EventKind::CpuVmEntry, 0, 0));
    f.post(100, 0x40, control(true, false, kNv, 0));
    f.o.on_event(ev(2000, EventKind::GuestIsrBegin, 0, 0x50));  // another vector
    ASSERT_EQ(f.names(), std::vector<std::string>{"lost_interrupt"});
    EXPECT_EQ(f.o.violations()[0].cycle, 1100u) << "the bound counts from the post while in the guest";
}

TEST(PlatformOracles, TimeOutsideTheGuestDoesNotCountTowardsTheBound) {
    Fixture f;
    f.pid(10, control(false, false, kNv, 0));
    f.o.on_event(ev(20, EventKind::CpuVmEntry, 0, 0));
    f.post(100, 0x40, control(true, false, kNv, 0));
    f.o.on_event(ev(600, EventKind::CpuVmExit, 0, 0, 12));   // 500 cycles in the guest
    f.o.on_event(ev(50000, EventKind::CpuVmEntry, 0, 0));    // long time descheduled
    f.o.on_event(ev(50400, EventKind::GuestIsrBegin, 0, 0x40));  // 900 < 1000 in the guest
    f.o.finish(60000);
    EXPECT_TRUE(f.o.violations().empty());
    Fixture g;
    g.pid(10, control(false, false, kNv, 0));
    g.o.on_event(ev(20, EventKind::CpuVmEntry, 0, 0));
    g.post(100, 0x40, control(true, false, kNv, 0));
    g.o.on_event(ev(600, EventKind::CpuVmExit, 0, 0, 12));
    g.o.on_event(ev(50000, EventKind::CpuVmEntry, 0, 0));
    g.o.finish(60000);
    ASSERT_EQ(g.names(), std::vector<std::string>{"lost_interrupt"});
    EXPECT_EQ(g.o.violations()[0].cycle, 50500u);
}

TEST(PlatformOracles, BlockedVcpuPostedMustBeOnTheNdstListAndWokenInTime) {
    Fixture f;
    f.pid(10, control(false, false, kWakeup, 1));
    f.o.on_event(ev(11, EventKind::HypBlocklistAdd, 1, 0, 1));
    f.o.on_event(ev(12, EventKind::HypVcpuState, 0, 2, 3));  // running -> blocked
    f.post(100, 0x40, control(true, false, kWakeup, 1));
    f.o.on_event(ev(300, EventKind::HypVcpuState, 0, 3, 1));  // woken in time
    f.o.on_event(ev(310, EventKind::HypBlocklistDel, 1, 0, 1));
    f.o.finish(10000);
    EXPECT_TRUE(f.o.violations().empty());

    Fixture g;  // on pCPU 0's list but NDST names pCPU 1, never woken
    g.pid(10, control(false, false, kWakeup, 1));
    g.o.on_event(ev(11, EventKind::HypBlocklistAdd, 0, 0, 0));
    g.o.on_event(ev(12, EventKind::HypVcpuState, 0, 2, 3));
    g.post(100, 0x40, control(true, false, kWakeup, 1));
    g.o.finish(10000);
    EXPECT_EQ(g.names(), (std::vector<std::string>{"descriptor_state", "wakeup"}));
}

TEST(PlatformOracles, BlockingListDoubleAddAndStaleRemoval) {
    Fixture f;
    f.o.on_event(ev(1, EventKind::HypBlocklistAdd, 0, 0, 0));
    f.o.on_event(ev(2, EventKind::HypBlocklistAdd, 0, 0, 0));
    f.o.on_event(ev(3, EventKind::HypBlocklistDel, 0, 0, 1));
    EXPECT_EQ(f.names(), (std::vector<std::string>{"blocking_list", "blocking_list"}));
}

TEST(PlatformOracles, PostIntoAnotherDomainIsAnIsolationViolation) {
    Fixture f;
    f.o.add_vcpu(1, 2, 0x3000);
    f.o.on_event(ev(5, EventKind::NicMsiWrite, 0x100, 0, 0, 0, 0, 0, 9));
    f.o.on_event(ev(10, EventKind::VtdPost, 0, 0, 0x3000, 0x40, 0, 0, 9));
    EXPECT_EQ(f.names(), std::vector<std::string>{"isolation"});
}

TEST(PlatformOracles, VirtualIpiMustBeDeliveredAndWakeItsTarget) {
    Fixture f;
    f.pid(10, control(false, false, kNv, 0));
    f.o.on_event(ev(20, EventKind::CpuVmEntry, 0, 0));
    f.o.on_event(ev(100, EventKind::HypVipi, 1, 0, 0x61, 1));  // to vCPU 0, vector 0x61, from vCPU 1
    f.o.on_event(ev(400, EventKind::GuestIsrBegin, 0, 0x61));
    f.o.finish(10000);
    EXPECT_TRUE(f.o.violations().empty());

    Fixture g;  // never delivered while the target runs in the guest
    g.pid(10, control(false, false, kNv, 0));
    g.o.on_event(ev(20, EventKind::CpuVmEntry, 0, 0));
    g.o.on_event(ev(100, EventKind::HypVipi, 1, 0, 0x61, 1));
    g.o.finish(10000);
    ASSERT_EQ(g.names(), std::vector<std::string>{"lost_interrupt"});
    EXPECT_EQ(g.o.violations()[0].cycle, 1100u);
    EXPECT_NE(g.o.violations()[0].message.find("virtual IPI"), std::string::npos);

    Fixture h;  // sent to a blocked vCPU that stays blocked
    h.o.on_event(ev(10, EventKind::HypVcpuState, 0, 2, 3, 0));  // running -> blocked
    h.o.on_event(ev(100, EventKind::HypVipi, 1, 0, 0x61, 1));
    h.o.finish(10000);
    ASSERT_EQ(h.names(), std::vector<std::string>{"wakeup"});
}
