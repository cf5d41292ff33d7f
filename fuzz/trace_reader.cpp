// fuzz/trace_reader.cpp - libFuzzer target for the trace reader
// (platform/trace_reader.h: parse_trace), which `pisim report`, `pisim view`
// and `pisim export` all read traces with.
//
// Contract under test:
//  - parse_trace either returns a Trace or throws pisim::InputError naming the
//    input; any other exception, a crash or a sanitizer report is a bug;
//  - a Trace it returns keeps what the reader promises the exporters: every
//    event's kind is in `kinds`, at most 6 args each, events in time order
//    (`out_of_order` counts the ones that were not), kinds with at most 6 arg
//    names;
//  - a syntax error carries a line and column inside the input;
//  - the exporters (platform/export_perfetto.h, export_vcd.h) accept every
//    trace the reader accepts, with nothing but InputError escaping.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <typeinfo>

#include "platform/export_perfetto.h"
#include "platform/export_vcd.h"
#include "platform/input_error.h"
#include "platform/trace_reader.h"

namespace {

const char* const kOrigin = "fuzz.json";

[[noreturn]] void violated(const char* what) {
    std::fprintf(stderr, "trace_reader: %s\n", what);
    std::abort();
}
#define CHECK(cond) \
    do {            \
        if (!(cond)) violated("accepted trace violates: " #cond); \
    } while (0)

void check_accepted(const pisim::Trace& t) {
    for (const pisim::TraceKind& k : t.kinds) CHECK(k.args.size() <= 6);
    for (std::size_t i = 0; i < t.events.size(); ++i) {
        const pisim::TraceEvent& e = t.events[i];
        CHECK(e.kind < t.kinds.size());
        CHECK(e.nargs <= 6);
        for (std::uint32_t a = e.nargs; a < 6; ++a) CHECK(e.args[a] == 0);
        if (i) CHECK(t.events[i - 1].cycle <= e.cycle);
    }
    CHECK(t.out_of_order == 0 || t.out_of_order < t.events.size());
}

/// The line and column of a syntax error lie within the text.
void check_position(const pisim::InputError& e, const std::string& text) {
    if (e.line == 0 && e.column == 0) return;
    std::size_t lines = 1;
    for (char c : text) lines += c == '\n';
    if (e.line < 1 || static_cast<std::size_t>(e.line) > lines + 1 || e.column < 1 ||
        static_cast<std::size_t>(e.column) > text.size() + 1)
        violated("syntax error position outside the input");
}

template <typename F>
void only_input_error(const char* what, F&& f) {
    try {
        f();
    } catch (const pisim::InputError&) {
    } catch (const std::exception& e) {
        std::fprintf(stderr, "trace_reader: %s let %s escape: %s\n", what, typeid(e).name(), e.what());
        std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    pisim::Trace t;
    try {
        t = pisim::parse_trace(text, kOrigin);
    } catch (const pisim::InputError& e) {
        // The one documented way to reject a trace: it names the input.
        if (e.file != kOrigin) violated("InputError names another file");
        check_position(e, text);
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "trace_reader: parse_trace let %s escape: %s\n", typeid(e).name(), e.what());
        std::abort();
    }
    check_accepted(t);
    only_input_error("perfetto_json", [&] { (void)pisim::perfetto_json(t); });
    only_input_error("vcd_text", [&] { (void)pisim::vcd_text(t); });
    return 0;
}

/// libsystemc (linked for the TLM headers that scenario.h pulls in: the name
/// tables of platform/enum_names.cpp take the scenario's event ops from it)
/// refers to the user's sc_main; libFuzzer's main() runs instead.
extern "C" int sc_main(int, char*[]) { return 0; }
