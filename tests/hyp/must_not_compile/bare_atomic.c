/*
 * bare_atomic.c - must not compile: an atomic builtin used directly in the
 * core, after hyp_atomic.h, would skip its synchronization point
 * (test hyp_bare_atomic_rejected expects the compiler's "poisoned" error).
 */
#include "hyp_core.h"

uint32_t bare_atomic_load(const uint32_t *p)
{
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}
