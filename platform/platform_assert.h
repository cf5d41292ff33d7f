// platform/platform_assert.h - invariant checks of the platform (port, machine),
// kept in every build type: a violated invariant must stop the simulation,
// not skew a trace (as the local APIC model's LAPIC_ASSERT).
#pragma once

#include <cstdio>
#include <cstdlib>

#define PLATFORM_ASSERT(cond)                                                                \
    ((cond) ? void(0)                                                                        \
            : (std::fprintf(stderr, "%s:%d: platform invariant failed: %s\n", __FILE__, __LINE__, \
                            #cond),                                                          \
               std::abort()))
