#pragma once
// The InputError a trace text is refused with (platform/trace_reader.h);
// a GoogleTest failure when it is accepted. Shared by the trace-reader tests.
#include <gtest/gtest.h>

#include <string>

#include "platform/input_error.h"
#include "platform/trace_reader.h"

namespace pisim::testing {

inline InputError trace_error_of(const std::string& text) {
    try {
        (void)parse_trace(text, "bad.json");
    } catch (const InputError& e) {
        return e;
    }
    ADD_FAILURE() << "accepted: " << text.substr(0, 200);
    return InputError("", 0, 0, "");
}

}  // namespace pisim::testing
