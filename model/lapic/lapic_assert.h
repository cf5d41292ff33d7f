// model/lapic/lapic_assert.h - invariant checks of the local APIC model, kept
// in every build type (the APIC's invariants are cheap next to a SystemC
// activation, and a violated one must stop the simulation, not skew a trace).
#pragma once

#include "model/common/invariant.h"

#define LAPIC_ASSERT(cond) PISIM_INVARIANT("lapic", cond)
