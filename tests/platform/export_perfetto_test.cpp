// Perfetto / chrome://tracing export (platform/export_perfetto.h) of a tiny
// trace, event by event; and the trace reader (platform/trace_reader.h).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "export_fixture.h"
#include "platform/export_perfetto.h"
#include "platform/input_error.h"
#include "platform/trace_reader.h"

namespace pisim {
namespace {

TEST(ExportPerfetto, CyclesAreExactMicrosecondDecimals) {
    EXPECT_EQ(cycles_as_us(0), "0.000");
    EXPECT_EQ(cycles_as_us(1), "0.001");
    EXPECT_EQ(cycles_as_us(7), "0.007");
    EXPECT_EQ(cycles_as_us(999), "0.999");
    EXPECT_EQ(cycles_as_us(1000), "1.000");
    EXPECT_EQ(cycles_as_us(12345), "12.345");
    EXPECT_EQ(cycles_as_us(18446744073709551615ull), "18446744073709551.615");
}

TEST(ExportPerfetto, TinyTraceExactEvents) {
    const Trace t = parse_trace(test::tiny_trace(), "tiny.json");
    const std::string want =
        R"({"displayTimeUnit":"ns","otherData":{"format":"pisim-trace export","time":"1 ns = 1 core cycle","scenario":"tiny.yaml","seed":1,"profile":"skylake-sp","irq_mode":"vtd-pi","end_cycle":1000},
"traceEvents":[
{"ph":"M","name":"process_name","pid":1,"tid":0,"args":{"name":"pCPUs"}},
{"ph":"M","name":"process_sort_index","pid":1,"tid":0,"args":{"sort_index":1}},
{"ph":"M","name":"thread_name","pid":1,"tid":1000,"args":{"name":"pcpu0"}},
{"ph":"M","name":"thread_sort_index","pid":1,"tid":1000,"args":{"sort_index":0}},
{"ph":"M","name":"process_name","pid":2,"tid":0,"args":{"name":"vCPUs"}},
{"ph":"M","name":"process_sort_index","pid":2,"tid":0,"args":{"sort_index":2}},
{"ph":"M","name":"thread_name","pid":2,"tid":2000,"args":{"name":"d1v0"}},
{"ph":"M","name":"thread_sort_index","pid":2,"tid":2000,"args":{"sort_index":0}},
{"ph":"M","name":"process_name","pid":3,"tid":0,"args":{"name":"VT-d"}},
{"ph":"M","name":"process_sort_index","pid":3,"tid":0,"args":{"sort_index":3}},
{"ph":"M","name":"thread_name","pid":3,"tid":3000,"args":{"name":"vtd0"}},
{"ph":"M","name":"thread_sort_index","pid":3,"tid":3000,"args":{"sort_index":0}},
{"ph":"M","name":"process_name","pid":4,"tid":0,"args":{"name":"NIC"}},
{"ph":"M","name":"process_sort_index","pid":4,"tid":0,"args":{"sort_index":4}},
{"ph":"M","name":"thread_name","pid":4,"tid":4000,"args":{"name":"nic0"}},
{"ph":"M","name":"thread_sort_index","pid":4,"tid":4000,"args":{"sort_index":0}},
{"ph":"X","name":"root","pid":1,"tid":1000,"ts":0.000,"dur":0.020,"args":{"mode":"root","vcpu":"none"}},
{"ph":"i","name":"pid.update","pid":2,"tid":2000,"ts":0.000,"s":"t","args":{"pid":8192,"word":"control","old":0,"new":15859714,"writer":"hypervisor"}},
{"ph":"C","name":"d1v0 PID","pid":2,"tid":2000,"ts":0.000,"args":{"ON":0,"SN":1}},
{"ph":"X","name":"hyp control","pid":1,"tid":1000,"ts":0.005,"dur":0.010,"args":{"handler":"control","detail":251,"vcpu":"none"}},
{"ph":"i","name":"hyp.schedule","pid":1,"tid":1000,"ts":0.008,"s":"t","args":{"prev":"none","next":"d1v0","reason":"wake"}},
{"ph":"X","name":"running","pid":2,"tid":2000,"ts":0.010,"dur":0.990,"args":{"state":"running","pcpu":"pcpu0"}},
{"ph":"X","name":"non-root d1v0","pid":1,"tid":1000,"ts":0.020,"dur":0.980,"args":{"mode":"non-root","vcpu":"d1v0"}},
{"ph":"X","name":"nic.msi_write","pid":4,"tid":4000,"ts":0.100,"dur":0.001,"args":{"address":4276092952,"data":0,"vector_index":0,"queue":0,"tag":"0x10000000001"}},
{"ph":"s","name":"irq","cat":"irq","id":"0x10000000001","pid":4,"tid":4000,"ts":0.100},
{"ph":"X","name":"vtd.request","pid":3,"tid":3000,"ts":0.150,"dur":0.001,"args":{"address":4276092952,"data":0,"requester_id":256,"tag":"0x10000000001"}},
{"ph":"t","name":"irq","cat":"irq","id":"0x10000000001","pid":3,"tid":3000,"ts":0.150,"bp":"e"},
{"ph":"X","name":"vtd.post","pid":3,"tid":3000,"ts":0.200,"dur":0.001,"args":{"index":0,"pid":8192,"vector":64,"old_control":15859712,"new_control":15859713,"notify":1,"tag":"0x10000000001"}},
{"ph":"t","name":"irq","cat":"irq","id":"0x10000000001","pid":3,"tid":3000,"ts":0.200,"bp":"e"},
{"ph":"i","name":"pid.update","pid":2,"tid":2000,"ts":0.200,"s":"t","args":{"pid":8192,"word":"control","old":15859712,"new":15859713,"writer":"vtd"}},
{"ph":"C","name":"d1v0 PID","pid":2,"tid":2000,"ts":0.200,"args":{"ON":1,"SN":0}},
{"ph":"X","name":"apic.accept","pid":1,"tid":1000,"ts":0.250,"dur":0.001,"args":{"vector":242,"ppr":0,"tag":"0x10000000001"}},
{"ph":"t","name":"irq","cat":"irq","id":"0x10000000001","pid":1,"tid":1000,"ts":0.250,"bp":"e"},
{"ph":"X","name":"cpu.pi_process","pid":1,"tid":1000,"ts":0.250,"dur":0.001,"args":{"vcpu":"d1v0","rvi":64,"pir0":0,"pir1":1,"pir2":0,"pir3":0}},
{"ph":"t","name":"irq","cat":"irq","id":"0x10000000001","pid":1,"tid":1000,"ts":0.250,"bp":"e"},
{"ph":"i","name":"pid.update","pid":2,"tid":2000,"ts":0.250,"s":"t","args":{"pid":8192,"word":"control","old":15859713,"new":15859712,"writer":"cpu"}},
{"ph":"i","name":"cpu.vapic","pid":2,"tid":2000,"ts":0.250,"s":"t","args":{"rvi":64,"svi":0,"vppr":0}},
{"ph":"C","name":"d1v0 vAPIC","pid":2,"tid":2000,"ts":0.250,"args":{"RVI":64,"SVI":0}},
{"ph":"C","name":"d1v0 PID","pid":2,"tid":2000,"ts":0.250,"args":{"ON":0,"SN":0}},
{"ph":"X","name":"isr 64","pid":2,"tid":2000,"ts":0.300,"dur":0.100,"args":{"vector":64}},
{"ph":"X","name":"guest.isr_begin","pid":2,"tid":2000,"ts":0.300,"dur":0.001,"args":{"vector":64}},
{"ph":"f","name":"irq","cat":"irq","id":"0x10000000001","pid":2,"tid":2000,"ts":0.300,"bp":"e"},
{"ph":"i","name":"cpu.vapic","pid":2,"tid":2000,"ts":0.300,"s":"t","args":{"rvi":0,"svi":64,"vppr":64}},
{"ph":"C","name":"d1v0 vAPIC","pid":2,"tid":2000,"ts":0.300,"args":{"RVI":0,"SVI":64}},
{"ph":"i","name":"cpu.vapic","pid":2,"tid":2000,"ts":0.400,"s":"t","args":{"rvi":0,"svi":0,"vppr":0}},
{"ph":"C","name":"d1v0 vAPIC","pid":2,"tid":2000,"ts":0.400,"args":{"RVI":0,"SVI":0}}
]}
)";
    const std::string got = perfetto_json(t);
    EXPECT_EQ(got, want);
    // It is JSON, and the same trace gives the same bytes.
    EXPECT_NO_THROW((void)nlohmann::json::parse(got));
    EXPECT_EQ(perfetto_json(parse_trace(test::tiny_trace(), "tiny.json")), got);
}

// A handler that runs across a mode change is cut into pieces, one inside each
// mode slice, so the Perfetto importer never sees a slice cross its parent.
TEST(ExportPerfetto, HandlerAcrossModeChangeIsSplit) {
    std::string s = test::tiny_trace();
    // Move the handler exit from cycle 15 to cycle 30, after the mode change at 20.
    const std::string from = "[15,3,0,0,6,251,4294967295],\n[20,0,0,0,1,0],";
    const std::string to = "[20,0,0,0,1,0],\n[30,3,0,0,6,251,4294967295],";
    ASSERT_NE(s.find(from), std::string::npos);
    s.replace(s.find(from), from.size(), to);
    const auto doc = nlohmann::json::parse(perfetto_json(parse_trace(s, "split.json")));
    std::vector<std::pair<std::string, std::string>> pieces;
    for (const auto& e : doc["traceEvents"])
        if (e["name"] == "hyp control") pieces.push_back({e["ts"].dump(), e["dur"].dump()});
    const std::vector<std::pair<std::string, std::string>> want{{"0.005", "0.015"}, {"0.02", "0.01"}};
    EXPECT_EQ(pieces, want);
}

// Every flow has one start and one end, on the threads of the NIC (start) and
// the vCPU (end), with its id the interrupt tag.
TEST(ExportPerfetto, FlowIdsMatchTags) {
    const auto doc = nlohmann::json::parse(perfetto_json(parse_trace(test::tiny_trace(), "tiny.json")));
    std::string phases;
    std::set<std::string> ids;
    for (const auto& e : doc["traceEvents"]) {
        const std::string ph = e["ph"];
        if (ph != "s" && ph != "t" && ph != "f") continue;
        phases += ph;
        ids.insert(e["id"].get<std::string>());
        if (ph == "s") EXPECT_EQ(e["pid"], 4);
        if (ph == "f") EXPECT_EQ(e["pid"], 2);
    }
    EXPECT_EQ(phases, "sttttf");
    EXPECT_EQ(ids, std::set<std::string>{"0x10000000001"});
}

// A trace without interrupts or events still gives a valid document.
TEST(ExportPerfetto, EmptyTrace) {
    const std::string s = R"({"format":"pisim-trace","version":1,"end_cycle":0,"units":{},"kinds":[],"events":[]})";
    const auto doc = nlohmann::json::parse(perfetto_json(parse_trace(s, "empty.json")));
    EXPECT_TRUE(doc["traceEvents"].empty());
}

TEST(TraceReader, ReadsUnitsKindsEventsAndHexValues) {
    const Trace t = parse_trace(test::tiny_trace(), "tiny.json");
    EXPECT_EQ(t.scenario, "tiny.yaml");
    EXPECT_EQ(t.end_cycle, 1000u);
    ASSERT_EQ(t.pcpus.size(), 1u);
    ASSERT_EQ(t.devs.size(), 1u);
    EXPECT_EQ(t.devs[0].id, 256u);
    EXPECT_EQ(t.devs[0].name, "nic0");
    ASSERT_EQ(t.events.size(), 19u);
    EXPECT_EQ(t.events[1].args[3], 0xf20002u);  // "0xf20002"
    EXPECT_EQ(t.events[7].tag, 0x10000000001u);
    EXPECT_EQ(t.events[7].nargs, 4u);
    EXPECT_EQ(*t.kind_index("vtd.post"), 6u);
    EXPECT_FALSE(t.kind_index("no.such"));
    EXPECT_EQ(*t.unit_position("dev", 256), 0u);
    EXPECT_FALSE(t.unit_position("dev", 257));
    ASSERT_EQ(t.interrupts.size(), 1u);
    EXPECT_EQ(t.interrupts[0].tag, 0x10000000001u);
    EXPECT_EQ(t.interrupts[0].steps.size(), 6u);
    EXPECT_EQ(t.interrupts[0].steps[5].name, "virtual_delivery");
    EXPECT_EQ(t.interrupts[0].latency, 200u);
}

TEST(TraceReader, FullWidthHexValue) {
    std::string s = test::tiny_trace();
    s.replace(s.find("[20,0,0,0,1,0]"), 14, "[20,0,0,\"0xffffffffffffffff\",1,0]");
    EXPECT_EQ(parse_trace(s, "x").events[6].tag, 0xffffffffffffffffull);
}

void expect_error(const std::string& text, const std::string& part) {
    try {
        (void)parse_trace(text, "bad.json");
        ADD_FAILURE() << "no error for: " << part;
    } catch (const InputError& e) {
        EXPECT_EQ(e.file, "bad.json");
        EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    }
}

TEST(TraceReader, Errors) {
    expect_error("{not json", "not a JSON document");
    expect_error("[]", "expected a JSON object");
    expect_error(R"({"format":"other","version":1})", "pisim-trace");
    expect_error(R"({"format":"pisim-trace","version":2})", "version");
    expect_error(R"({"format":"pisim-trace","version":1,"units":{},"kinds":[],"events":[]})", "end_cycle");
    const std::string head = R"({"format":"pisim-trace","version":1,"end_cycle":10,"units":{"pcpu":[{"id":0,"name":"pcpu0"}]},)"
                             R"("kinds":[{"name":"cpu.mode","unit":"pcpu","args":["mode","vcpu"]}],"events":)";
    expect_error(head + "[[0,1,0,0]]}", "kind 1 is not in kinds");
    expect_error(head + "[[0,0,0,0,1,2,3,4,5,6,7]]}", "at most 6 args");
    expect_error(head + "[[-1,0,0,0]]}", "events[0][0] (cycle)");
    expect_error(head + "[[0,0,0,\"0xzz\"]]}", "events[0][3] (tag)");
    expect_error(head + "[[0,0,0,1.5]]}", "events[0][3] (tag)");
    EXPECT_NO_THROW((void)parse_trace(head + "[[0,0,0,0,1,0]]}", "good.json"));
}

// An event written after one of a later cycle is moved to its cycle, after
// the events already there, and counted.
TEST(TraceReader, OutOfOrderEventMovesToItsCycle) {
    const std::string s = R"({"format":"pisim-trace","version":1,"end_cycle":10,"units":{"pcpu":[{"id":0,"name":"pcpu0"}]},)"
                          R"("kinds":[{"name":"cpu.mode","unit":"pcpu","args":["mode","vcpu"]}],)"
                          R"("events":[[4,0,0,0,0],[4,0,0,0,1],[6,0,0,0,2],[4,0,0,0,3],[7,0,0,0,0]]})";
    const Trace t = parse_trace(s, "late.json");
    EXPECT_EQ(t.out_of_order, 1u);
    std::vector<std::pair<std::uint64_t, std::uint64_t>> got;
    for (const TraceEvent& e : t.events) got.push_back({e.cycle, e.args[0]});
    const std::vector<std::pair<std::uint64_t, std::uint64_t>> want{{4, 0}, {4, 1}, {4, 3}, {6, 2}, {7, 0}};
    EXPECT_EQ(got, want);
    EXPECT_EQ(parse_trace(test::tiny_trace(), "tiny.json").out_of_order, 0u);
}

TEST(TraceReader, MissingFileIsInputError) {
    EXPECT_THROW((void)read_trace_file("/nonexistent/trace.json"), InputError);
}

}  // namespace
}  // namespace pisim
