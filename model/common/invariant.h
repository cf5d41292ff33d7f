// model/common/invariant.h - invariant checks kept in every build type: a
// violated invariant must stop the simulation, not skew a trace (an
// assert() vanishes from the RelWithDebInfo build every run uses).
#pragma once

#include <cstdio>
#include <cstdlib>

/// Abort with "FILE:LINE: ROOM invariant failed: COND" unless `cond` holds.
/// ROOM is a string literal naming the model or layer ("lapic", "platform").
#define PISIM_INVARIANT(room, cond)                                                          \
    ((cond) ? void(0)                                                                        \
            : (std::fprintf(stderr, "%s:%d: " room " invariant failed: %s\n", __FILE__, __LINE__, \
                            #cond),                                                          \
               std::abort()))
