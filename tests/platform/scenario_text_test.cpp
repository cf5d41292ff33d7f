// Scenario files pisim writes back: YAML 1.1 readers read them as pisim does,
// a sweep point keeps the user's comments, and the provenance a file records
// is read back by the loader and compared with the core a run loads.
#include <gtest/gtest.h>

#include <yaml-cpp/yaml.h>

#include <string>

#include "platform/input_error.h"
#include "platform/provenance.h"
#include "platform/scenario.h"
#include "platform/scenario_text.h"
#include "platform/sweep.h"

using namespace pisim;

namespace {

const char* kScenario = R"(# A NIC behind VT-d; the race: a block event while a post is in flight.
name: block during post   # the name
seed: 3
duration: 400000
domains:
  - id: 1
    vcpus:
      - {pcpu: 0, workload: {program: [{compute: 1000}, {halt: true}]}}
devices:
  - name: nic0
    bdf: 01:00.0          # PyYAML would read this as 60.0
    domain: 1
    queues:
      - vector_index: 0
        bind: {vcpu: d1v0, vector: 0x30}
        traffic: {kind: constant, start: 1000, interval: 20000, count: 10}
events:
  - {at: 150000, op: block, vcpu: d1v0}   # the event the sweep moves
)";

TEST(Yaml11Misread, FlagsWhatPyYamlReadsAsAnotherType) {
    for (const char* s : {"01:00.0", "1:30", "yes", "No", "off", "ON", "y", "n", "1_000", "0b101", "010", "1.5", ".inf",
                          "2024-01-02", "~", "null", "-3", "+7", "<<", "="})
        EXPECT_TRUE(yaml11_misread(s)) << s;
    for (const char* s : {"true", "false", "0", "42", "0x30", "0xF2", "nic0", "d1v0", "vtd-pi", "block during post", "a:b",
                          "01:00.0x", "skylake-sp"})
        EXPECT_FALSE(yaml11_misread(s)) << s;
}

TEST(YamlText, QuotesAmbiguousAndOnceQuotedScalars) {
    const YAML::Node doc = YAML::Load("bdf: \"01:00.0\"\nname: 'no'\nplain: 01:00.0\nn: 5\ncount: 5\nv: 0x30\nok: true\n");
    const std::string out = yaml_text(doc);
    EXPECT_NE(out.find("bdf: \"01:00.0\""), std::string::npos) << out;
    EXPECT_NE(out.find("name: \"no\""), std::string::npos) << out;
    EXPECT_NE(out.find("plain: \"01:00.0\""), std::string::npos) << out;
    EXPECT_NE(out.find("\"n\": 5\n"), std::string::npos) << out;  // a YAML 1.1 bool as a key
    EXPECT_NE(out.find("count: 5\n"), std::string::npos) << out;
    EXPECT_NE(out.find("v: 0x30\n"), std::string::npos) << out;
    EXPECT_NE(out.find("ok: true\n"), std::string::npos) << out;
}

TEST(EditedPointText, KeepsCommentsSetsValuesQuotesBdf) {
    const YAML::Node doc = YAML::Load(kScenario);
    const auto out = edited_point_text(kScenario, doc, {{"events.0.at", 123456}, {"seed", 9}});
    ASSERT_TRUE(out);
    EXPECT_NE(out->find("# A NIC behind VT-d"), std::string::npos) << *out;
    EXPECT_NE(out->find("# the event the sweep moves"), std::string::npos) << *out;
    EXPECT_NE(out->find("{at: 123456, op: block"), std::string::npos) << *out;
    EXPECT_NE(out->find("seed: 9\n"), std::string::npos) << *out;
    EXPECT_NE(out->find("bdf: \"01:00.0\"          # PyYAML"), std::string::npos) << *out;
    EXPECT_EQ(out->find("150000"), std::string::npos) << *out;
    // Still the same scenario to the loader, at the new values.
    const Scenario s = load_scenario_node(YAML::Load(*out), "point.yaml");
    EXPECT_EQ(s.seed, 9u);
    EXPECT_EQ(s.events.at(0).at, 123456u);
    EXPECT_EQ(s.devices.at(0).name, "nic0");
}

TEST(EditedPointText, ReplacesAnEarlierProvenanceAndHeader) {
    Provenance p;
    p.pisim = "0.0.1";
    p.core = {"old.so", "abcd"};
    p.seed = 3;
    const std::string old = "# pisim sweep point 1 of x.yaml: FAIL\n" + provenance_comment(p) + with_provenance(kScenario, p);
    const YAML::Node doc = YAML::Load(old);
    ASSERT_TRUE(doc["provenance"]);
    const auto out = edited_point_text(old, doc, {{"events.0.at", 7}});
    ASSERT_TRUE(out);
    EXPECT_EQ(out->find("provenance"), std::string::npos) << *out;
    EXPECT_EQ(out->find("# pisim"), std::string::npos) << *out;
    EXPECT_EQ(out->rfind("# A NIC behind VT-d", 0), 0u) << *out;
}

TEST(EditedPointText, FallsBackWhenTheValueIsNotPlainText) {
    const std::string text = "duration: &d 1000\ndomains: [{id: 1, vcpus: [{pcpu: 0}]}]\n";
    EXPECT_FALSE(edited_point_text(text, YAML::Load(text), {{"duration", 5}}));
    const std::string flow = "{duration: 1000, domains: [{id: 1, vcpus: [{pcpu: 0}]}]}\n";
    EXPECT_FALSE(edited_point_text(flow, YAML::Load(flow), {{"duration", 5}}));
}

TEST(Provenance, RoundTripsThroughTheLoader) {
    Provenance p;
    p.pisim = "0.1.0+abc";
    p.core = {"build/libhyp.so", "00ff12"};
    p.seed = 3;
    p.found_by = "pisim sweep x.yaml --vary events.0.at=0:10";
    const Scenario s = load_scenario_node(YAML::Load(with_provenance(kScenario, p)), "f.yaml");
    ASSERT_TRUE(s.provenance);
    EXPECT_EQ(s.provenance->pisim, p.pisim);
    EXPECT_EQ(s.provenance->core.path, p.core.path);
    EXPECT_EQ(s.provenance->core.build_id, p.core.build_id);
    EXPECT_EQ(s.provenance->seed, p.seed);
    EXPECT_EQ(s.provenance->found_by, p.found_by);
    // Another core: a warning naming both; the same one: none.
    const std::string w = provenance_warning("f.yaml", s.provenance, CoreIdentity{"built-in", "99"});
    EXPECT_NE(w.find("f.yaml:"), std::string::npos) << w;
    EXPECT_NE(w.find("build/libhyp.so (build id 00ff12)"), std::string::npos) << w;
    EXPECT_NE(w.find("--hyp build/libhyp.so"), std::string::npos) << w;
    EXPECT_EQ(provenance_warning("f.yaml", s.provenance, CoreIdentity{"elsewhere/libhyp.so", "00ff12"}), "");
}

TEST(Provenance, BadProvenanceIsAnInputError) {
    const std::string bad = std::string(kScenario) + "provenance: {pisim: \"1\", core: {path: x, build_id: XYZ}}\n";
    EXPECT_THROW(load_scenario_node(YAML::Load(bad), "f.yaml"), InputError);
    const std::string unknown = std::string(kScenario) + "provenance: {pisim: \"1\", core: {path: x}, when: today}\n";
    EXPECT_THROW(load_scenario_node(YAML::Load(unknown), "f.yaml"), InputError);
}

TEST(CheckVaries, RefusesBadPathsAndValuesBeforeAnyPointRuns) {
    const YAML::Node doc = YAML::Load(kScenario);
    EXPECT_NO_THROW(check_varies(doc, kScenario, "f.yaml", {parse_vary("events.0.at=1000:2000:500")}));
    EXPECT_THROW(check_varies(doc, kScenario, "f.yaml", {parse_vary("events.3.at=1:2")}), InputError);
    EXPECT_THROW(check_varies(doc, kScenario, "f.yaml", {parse_vary("events.0.cycle=1:2")}), InputError);
    try {
        check_varies(doc, kScenario, "f.yaml", {parse_vary("devices.0.name=1:2")});
        FAIL() << "a string field was accepted";
    } catch (const InputError& e) {
        EXPECT_EQ(e.line, 10);
        EXPECT_EQ(e.column, 11);
    }
    try {
        check_varies(doc, kScenario, "f.yaml", {parse_vary("events.0.at=1000:900000")});  // beyond the duration
        FAIL() << "an `at` past the duration was accepted";
    } catch (const InputError& e) {
        EXPECT_NE(e.message.find("events.0.at = 900000"), std::string::npos) << e.what();
        EXPECT_EQ(e.line, 18) << e.what();
    }
    // Traffic that never fires at an end of the range: a warning naming it.
    const auto w = check_varies(doc, kScenario, "f.yaml", {parse_vary("devices.0.queues.0.traffic.start=1000:400000:1000")});
    ASSERT_EQ(w.size(), 1u);
    EXPECT_NE(w[0].find("never fires"), std::string::npos) << w[0];
    EXPECT_NE(w[0].find("traffic.start = 400000"), std::string::npos) << w[0];
}

TEST(ScenarioWarnings, TrafficThatNeverFires) {
    std::string text = kScenario;
    text.replace(text.find("start: 1000"), 11, "start: 500000");
    const Scenario s = load_scenario_node(YAML::Load(text), "f.yaml");
    ASSERT_EQ(s.warnings.size(), 1u);
    EXPECT_NE(s.warnings[0].find("f.yaml:16:18: warning: the traffic of device 'nic0' queue 0 never fires"), std::string::npos)
        << s.warnings[0];
    EXPECT_TRUE(load_scenario_node(YAML::Load(kScenario), "f.yaml").warnings.empty());
}

}  // namespace
