// model/lapic/lapic_assert.h - invariant checks of the local APIC model, kept
// in every build type (the APIC's invariants are cheap next to a SystemC
// activation, and a violated one must stop the simulation, not skew a trace).
#pragma once

#include <cstdio>
#include <cstdlib>

#define LAPIC_ASSERT(cond)                                                              \
    ((cond) ? void(0)                                                                   \
            : (std::fprintf(stderr, "%s:%d: lapic invariant failed: %s\n", __FILE__, __LINE__, \
                            #cond),                                                     \
               std::abort()))
