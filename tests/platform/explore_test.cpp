// pisim explore's parts that need no simulation: the generator makes only
// valid scenarios (for every size, mode and derived case), the perturb key is
// checked like every other input, and the coverage counts what it says.
#include <gtest/gtest.h>

#include <set>

#include "platform/explore.h"
#include "platform/explore_gen.h"
#include "platform/hyp_profile.h"
#include "platform/input_error.h"
#include "platform/pi_coverage.h"
#include "platform/scenario.h"
#include "platform/sweep.h"

using namespace pisim;

namespace {
Scenario load(const YAML::Node& doc) { return load_scenario_node(doc, "case.yaml"); }

Event ev(std::uint64_t cycle, EventKind k, std::uint32_t unit, std::uint64_t a = 0, std::uint64_t b = 0,
         std::uint64_t c = 0, std::uint64_t d = 0, std::uint64_t e = 0) {
    Event x;
    x.cycle = cycle, x.kind = k, x.unit = unit, x.a = a, x.b = b, x.c = c, x.d = d, x.e = e;
    return x;
}
}  // namespace

TEST(ExploreGenerator, EveryCaseOfEverySizeLoads) {
    for (auto size : {GenConfig::Size::Small, GenConfig::Size::Medium, GenConfig::Size::Large}) {
        GenConfig g;
        g.size = size;
        std::set<std::string> ops, modes;
        std::set<std::uint32_t> pcpus;
        for (std::uint64_t i = 0; i < 1500; ++i) {
            const YAML::Node doc = generate_case(g, case_seed(3, i));
            Scenario s;
            ASSERT_NO_THROW(s = load(doc)) << size_name(size) << " case " << i << ":\n" << yaml_text(doc);
            EXPECT_TRUE(s.expect.violations.empty());
            EXPECT_FALSE(s.expect.all_delivered) << "a case is judged by the oracles alone";
            for (const auto& e : s.events) ops.insert(timed_event_op_name(e.op));
            modes.insert(s.irq_mode);
            pcpus.insert(s.pcpus);
        }
        EXPECT_EQ(modes.size(), 4u);
        EXPECT_GE(ops.size(), 11u) << size_name(size);
        EXPECT_EQ(*pcpus.rbegin(), size == GenConfig::Size::Small ? 2u : size == GenConfig::Size::Medium ? 4u : 8u);
    }
}

TEST(ExploreGenerator, SameSeedSameCaseAndModesAreHonoured) {
    GenConfig g;
    g.modes = {"cpu-pi"};
    for (std::uint64_t i = 0; i < 50; ++i) {
        const std::uint64_t seed = case_seed(1, i);
        EXPECT_EQ(yaml_text(generate_case(g, seed)), yaml_text(generate_case(g, seed)));
        EXPECT_EQ(load(generate_case(g, seed)).irq_mode, "cpu-pi");
    }
    EXPECT_NE(case_seed(1, 0), case_seed(1, 1));
    EXPECT_NE(case_seed(1, 0), case_seed(2, 0));
}

TEST(ExploreGenerator, DerivedCasesStayValidAndTargetTheFirstAgent) {
    GenConfig g;
    unsigned past = 0, onto = 0;
    for (std::uint64_t i = 0; i < 400; ++i) {
        const YAML::Node parent = generate_case(g, case_seed(5, i));
        const Scenario ps = load(parent);
        PairInstance p;
        const bool vtd = i % 2;
        p.first = vtd ? PiAccess::VtdPost : PiAccess::HypSn;
        p.second = vtd ? PiAccess::HypSn : PiAccess::VtdPost;
        p.cycle = ps.duration / 2;
        p.gap = 300;
        p.pcpu = static_cast<int>(ps.pcpus - 1);
        // The VT-d unit's post came 140 cycles into its request.
        p.start = vtd ? p.cycle - 140 : p.cycle;
        const YAML::Node child = mutate_case(parent, case_seed(6, i), i % 3 ? &p : nullptr);
        Scenario cs;
        ASSERT_NO_THROW(cs = load(child)) << yaml_text(child);
        EXPECT_EQ(cs.pcpus, ps.pcpus);
        if (i % 3 == 0) continue;
        bool held = false;
        for (const Perturbation& x : cs.perturb) {
            // the right agent, held before its access: at the request's start
            // for the VT-d unit (a hold delays a whole request), at or before
            // the access for a pCPU
            const bool agent = vtd ? x.agent == Perturbation::Agent::Vtd && x.at == p.start
                                   : x.agent == Perturbation::Agent::Pcpu && x.pcpu == ps.pcpus - 1 && x.at <= p.cycle;
            if (!agent) continue;
            // Held at or before its access, the first agent's access moves by
            // the delay: past the second access, or onto the cycles just
            // before it.
            if (x.delay > p.gap) held = true, ++past;
            else if (x.delay + 16 >= p.gap) held = true, ++onto;
        }
        EXPECT_TRUE(held) << "no perturbation holds the first access past or onto the second:\n" << yaml_text(child);
    }
    EXPECT_GT(past, 50u);
    EXPECT_GT(onto, 50u);
}

TEST(ScenarioPerturb, LoadsAndRejectsBadEntries) {
    const std::string base =
        "duration: 100000\nmachine: {pcpus: 2}\ndomains: [{id: 1, vcpus: [{pcpu: 0, workload: {program: [{compute: 10}], "
        "repeat: true}}]}]\n";
    Scenario s = load(YAML::Load(base + "perturb: [{agent: vtd, at: 500, delay: 9}, {agent: pcpu, pcpu: 1, at: 20, delay: 3}]\n"));
    ASSERT_EQ(s.perturb.size(), 2u);
    EXPECT_EQ(s.perturb[0].at, 20u) << "sorted by cycle";
    EXPECT_EQ(s.perturb[0].pcpu, 1u);
    EXPECT_EQ(s.perturb[1].agent, Perturbation::Agent::Vtd);
    for (const char* bad : {"perturb: [{agent: pcpu, at: 1, delay: 1}]",             // no pcpu
                            "perturb: [{agent: pcpu, pcpu: 2, at: 1, delay: 1}]",    // missing pCPU
                            "perturb: [{agent: vtd, pcpu: 0, at: 1, delay: 1}]",     // vtd takes no pcpu
                            "perturb: [{agent: vtd, at: 100000, delay: 1}]",          // after the end
                            "perturb: [{agent: vtd, at: 5, delay: 0}]",               // no delay
                            "perturb: [{agent: vtd, at: 5, delay: 1000001}]",         // above the bound
                            "perturb: [{agent: vtd, at: 5, delay: 1}, {agent: vtd, at: 5, delay: 2}]",
                            "perturb: [{agent: cpu, at: 5, delay: 1}]", "perturb: [{agent: vtd, at: 5, delay: 1, when: 3}]"}) {
        EXPECT_THROW(load(YAML::Load(base + bad + "\n")), InputError) << bad;
    }
}

TEST(PiCoverage, StatesTransitionsAndPairsInBothOrders) {
    PiCoverage c;
    c.set_vectors(0xF2, 0xF1);
    const std::uint64_t running_nv = std::uint64_t{0xF2} << 16, blocked_wv = std::uint64_t{0xF1} << 16;
    c.on_event(ev(10, EventKind::HypVcpuState, 0, 0, 2, 0));                       // running
    c.on_event(ev(20, EventKind::PidUpdate, 0, 0x1000, 4, 0, running_nv, 2));      // hyp writes NV
    c.on_event(ev(30, EventKind::PidUpdate, 0, 0x1000, 4, running_nv, running_nv | 1, 0));  // VT-d posts (ON)
    c.on_event(ev(40, EventKind::HypVcpuState, 0, 2, 3, 0));                       // blocked
    c.on_event(ev(50, EventKind::HypBlocklistAdd, 1, 0, 1));                       // on pCPU 1's list
    c.on_event(ev(60, EventKind::PidUpdate, 0, 0x1000, 4, running_nv | 1, blocked_wv | 1, 2));  // NV := wakeup
    EXPECT_TRUE(c.states.count(2 * 24 + 0 * 12 + 0 * 6 + 0 * 2 + 0)) << PiCoverage::state_name(48);
    EXPECT_EQ(PiCoverage::state_name(3 * 24 + 0 * 12 + 1 * 6 + 1 * 2 + 1), "blocked SN=0 ON=1 NV=wakeup listed");
    EXPECT_TRUE(c.states.count(3 * 24 + 6 + 2 + 1));
    EXPECT_FALSE(c.transitions.empty());
    const auto key = [](PiAccess a, PiAccess b) { return static_cast<std::uint32_t>(a) * 16 + static_cast<std::uint32_t>(b); };
    EXPECT_TRUE(c.pairs.count(key(PiAccess::HypNv, PiAccess::VtdPost)));
    EXPECT_TRUE(c.pairs.count(key(PiAccess::VtdPost, PiAccess::HypState)));
    EXPECT_FALSE(c.pairs.count(key(PiAccess::VtdPost, PiAccess::HypNv))) << "that order has not happened";
    EXPECT_EQ(c.first_instance.at(key(PiAccess::HypNv, PiAccess::VtdPost)).gap, 10u);
    // Far apart: no pair.
    PiCoverage far;
    far.on_event(ev(10, EventKind::PidUpdate, 0, 0x1000, 4, 0, 2, 2));
    far.on_event(ev(10 + PiCoverage::kPairWindow + 1, EventKind::PidUpdate, 0, 0x1000, 4, 2, 3, 0));
    EXPECT_TRUE(far.pairs.empty());
    // Software on two pCPUs (two emitting processes) is two agents: a vCPU
    // marked blocked on one pCPU and put on a list by another is a pair; the
    // same two steps by one pCPU are not.
    PiCoverage one, two;
    one.on_event(ev(10, EventKind::HypVcpuState, 0, 2, 3, 0), 5);
    one.on_event(ev(20, EventKind::HypBlocklistAdd, 0, 0, 0), 5);
    EXPECT_TRUE(one.pairs.empty());
    two.on_event(ev(10, EventKind::HypVcpuState, 0, 2, 3, 0), 5);
    two.on_event(ev(20, EventKind::HypBlocklistAdd, 0, 0, 0), 6);
    EXPECT_TRUE(two.pairs.count(key(PiAccess::HypState, PiAccess::HypListAdd)));
    EXPECT_EQ(two.first_instance.at(key(PiAccess::HypState, PiAccess::HypListAdd)).pcpu, 0);
    // Round trip and merge.
    PiCoverage back = PiCoverage::from_json(c.to_json());
    EXPECT_EQ(back.states, c.states);
    EXPECT_EQ(back.pairs, c.pairs);
    EXPECT_EQ(back.merge(c), 0u);
    EXPECT_GT(far.merge(c), 0u);
}

TEST(LatencyRegressions, GrowthOfAQuarterAndTwoHundredFiftyCyclesPerCall) {
    using T = std::map<std::uint32_t, std::pair<std::uint64_t, std::uint64_t>>;
    // handler ids (hyp/include/hyp/trace.h enum hyp_handler): 1 vmexit, 4 pi_wakeup, 3 pi_notification
    constexpr std::uint32_t A = 1, B = 4, C = 3, D = 5;
    const T ref = {{A, {10, 10000}}, {B, {2, 1000}}, {C, {4, 40000}}};
    // vmexit 1,000 -> 1,300 per call (+30 %, +300): a regression;
    // pi_wakeup 500 -> 740 (+48 %, but +240 cycles): not;
    // pi_notification 10,000 -> 12,400 (+2,400, but +24 %): not.
    EXPECT_EQ(latency_regressions(ref, T{{A, {10, 13000}}, {B, {2, 1480}}, {C, {4, 49600}}}).size(), 1u);
    const auto r = latency_regressions(ref, T{{A, {10, 13000}}, {B, {1, 5000}}, {C, {4, 50000}}});
    ASSERT_EQ(r.size(), 3u);
    EXPECT_EQ(r[0].handler, std::string(hyp_handler_name(B)));  // +4,500 per call: first
    EXPECT_EQ(r[0].ref_mean, 500u);
    EXPECT_EQ(r[0].mean, 5000u);
    EXPECT_EQ(r[1].handler, std::string(hyp_handler_name(C)));  // +2,500
    EXPECT_EQ(r[2].handler, std::string(hyp_handler_name(A)));  // +300
    // A handler one core never ran is not compared; a faster one is fine.
    EXPECT_TRUE(latency_regressions(ref, T{{D, {5, 100000}}, {A, {10, 5000}}}).empty());
    EXPECT_TRUE(latency_regressions(ref, ref).empty());
    // Totals near 2^64 do not overflow the comparison.
    const std::uint64_t big = ~std::uint64_t{0} / 2;
    EXPECT_EQ(latency_regressions(T{{A, {1, big}}}, T{{A, {1, big + big / 3}}}).size(), 1u);
}
