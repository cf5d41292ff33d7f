// What `pisim report`, `view` and `export` share when they read a trace: the
// reader's errors (JSON path, syntax errors with line and column), the size cap
// checked before reading (platform/input_file.h), and the "</" escaping of the
// inlined trace (platform/inline_script.h), linear in the number of "</".
#include <gtest/gtest.h>

#include "trace_error_of.h"
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "export_fixture.h"
#include "platform/inline_script.h"
#include "platform/input_error.h"
#include "platform/input_file.h"
#include "platform/trace_reader.h"

namespace pisim {
namespace {

InputError error_of(const std::string& text) { return testing::trace_error_of(text); }

/// tiny_trace() with `from` replaced by `to` (once).
std::string tiny_with(const std::string& from, const std::string& to) {
    std::string s = test::tiny_trace();
    const auto at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return s.replace(at, from.size(), to);
}

// The position is where the parser stopped: the last character of the token it
// did not expect (here "version", after a missing comma), or the end of input.
TEST(TraceReader, SyntaxErrorHasLineAndColumn) {
    const InputError e = error_of("{\n  \"format\": \"pisim-trace\"\n  \"version\": 1\n}\n");
    EXPECT_EQ(e.line, 3);
    EXPECT_EQ(e.column, 11);
    EXPECT_NE(e.message.find("not a JSON document: syntax error"), std::string::npos) << e.what();
    const InputError end = error_of("{\"format\":");
    EXPECT_EQ(end.line, 1);
    EXPECT_EQ(end.column, 11);
    // A number beyond a double is no syntax error to the parser (found by fuzz_trace_reader).
    const InputError big = error_of("{\n  \"end_cycle\": 1e999}");
    EXPECT_EQ(big.line, 2);
    EXPECT_EQ(big.column, 16);
    EXPECT_EQ(big.message, "not a JSON document: a number too large for a double");
}

TEST(TraceReader, ReindentedTraceReadsTheSame) {
    const Trace a = parse_trace(test::tiny_trace(), "a");
    const Trace b = parse_trace(nlohmann::json::parse(test::tiny_trace()).dump(4), "b");
    EXPECT_EQ(a.events.size(), b.events.size());
    EXPECT_EQ(a.interrupts.size(), b.interrupts.size());
    EXPECT_EQ(a.vcpus[0].name, b.vcpus[0].name);
}

TEST(TraceReader, EveryFieldTheViewerReadsIsChecked) {
    struct Case {
        const char *from, *to, *path;
    };
    const Case cases[] = {
        {"\"scenario\":\"tiny.yaml\"", "\"scenario\":1", "scenario: expected a string"},
        {"\"truncated\":false", "\"truncated\":\"no\"", "truncated: expected true or false"},
        {"\"name\":\"d1v0\"", "\"name\":[]", "units.vcpu[0].name: expected a string"},
        {"\"pid\":8192", "\"pid\":\"<img src=x>\"", "units.vcpu[0].pid: expected an unsigned integer"},
        {"\"args\":[\"mode\",\"vcpu\"]", "\"args\":[\"mode\",2]", "kinds[0].args[1]: expected a string"},
        {"\"vcpu\":0,\"vector\"", "\"vcpu\":\"d1v0\",\"vector\"", "interrupts[0].vcpu: expected an integer"},
        {"{\"name\":\"device_write\",", "{", "interrupts[0].steps[0].name: missing"},
    };
    for (const Case& c : cases) {
        const InputError e = error_of(tiny_with(c.from, c.to));
        EXPECT_EQ(e.file, "bad.json");
        EXPECT_EQ(e.message.rfind(c.path, 0), 0u) << "want the message to start with '" << c.path << "': " << e.what();
    }
}

TEST(TraceReader, ViolationsAreChecked) {
    const std::string head = R"({"format":"pisim-trace","version":1,"end_cycle":10,"units":{},)"
                             R"("kinds":[{"name":"x","unit":"pcpu","args":[]}],"events":[[0,0,0,0]],"violations":)";
    EXPECT_NO_THROW((void)parse_trace(head + R"([{"cycle":0,"oracle":"o","vcpu":0,"message":"m","event":0}]})", "ok"));
    EXPECT_EQ(error_of(head + R"([{"cycle":0,"oracle":"o","event":1}]})").message,
              "violations[0].event: 1 is not an event of the trace");
    EXPECT_EQ(error_of(head + R"([{"cycle":0,"oracle":"o","message":{}}]})").message,
              "violations[0].message: expected a string");
    EXPECT_EQ(error_of(head + R"([{"cycle":0}]})").message, "violations[0].oracle: missing");
    EXPECT_EQ(error_of(head + R"({}})").message, "violations: expected an array");
}

struct TempFile {
    std::string path;
    explicit TempFile(const std::string& name) : path(::testing::TempDir() + name) { std::remove(path.c_str()); }
    ~TempFile() { std::remove(path.c_str()); }
};

TEST(InputFile, RefusesAFileOverTheCapBeforeReadingIt) {
    TempFile f("pisim-cap.json");
    {
        std::ofstream out(f.path);
        out << test::tiny_trace();
    }
    const std::uint64_t size = test::tiny_trace().size();
    EXPECT_EQ(read_input_file(f.path, size, "trace"), test::tiny_trace());
    try {
        (void)read_input_file(f.path, size - 1, "trace");
        ADD_FAILURE() << "read past the cap";
    } catch (const InputError& e) {
        EXPECT_EQ(e.file, f.path);
        EXPECT_NE(e.message.find("more than the " + std::to_string(size - 1) + " bytes cap on trace files"), std::string::npos)
            << e.what();
    }
    EXPECT_THROW((void)read_trace_file(f.path, size - 1), InputError);
    EXPECT_THROW((void)read_input_file(f.path + ".none", size, "trace"), InputError);
}

TEST(InputFile, RefusesAFifoWithoutBlocking) {
    TempFile f("pisim-fifo.json");
    ASSERT_EQ(::mkfifo(f.path.c_str(), 0600), 0);
    try {
        (void)read_input_file(f.path, 1 << 20, "trace");
        ADD_FAILURE() << "read a FIFO";
    } catch (const InputError& e) {
        EXPECT_NE(e.message.find("must be a regular file"), std::string::npos) << e.what();
    }
}

TEST(InlineScript, EscapesEveryClosingSequence) {
    EXPECT_EQ(script_safe(""), "");
    EXPECT_EQ(script_safe("a</script>b"), "a<\\/script>b");
    EXPECT_EQ(script_safe("<</</"), "<<\\/<\\/");
    EXPECT_EQ(script_safe("</</"), "<\\/<\\/");
    EXPECT_EQ(script_safe("x<"), "x<");
    EXPECT_EQ(script_safe("/</"), "/<\\/");
}

// 400,000 "</" took 4 s to escape when each one was replaced in place (a move
// of the rest of the text per occurrence); one pass takes milliseconds.
TEST(InlineScript, LinearInTheNumberOfOccurrences) {
    std::string text;
    for (int i = 0; i < 400000; ++i) text += "</";
    const auto t0 = std::chrono::steady_clock::now();
    const std::string out = script_safe(text);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_EQ(out.size(), 1200000u);
    EXPECT_EQ(out.find("</"), std::string::npos);
    EXPECT_LT(secs, 0.5);
}

}  // namespace
}  // namespace pisim
