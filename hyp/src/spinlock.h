/*
 * spinlock.h - test-and-set spinlocks shared between pCPU threads.
 *
 * A lock word is 0 (free) or 1 + the owning pCPU index. Acquisition is a
 * compare-and-swap with no local whose address is taken (__sync form): with
 * an addressable `expected`, AddressSanitizer keeps it in memory and the
 * compiler shapes the loop differently, so a sanitized build would execute
 * other basic blocks and keep other time. Other accesses use __atomic
 * builtins (4 bytes, no libatomic); all through hyp_atomic.h, so every access
 * to a lock word is a synchronization point. Spinning costs basic blocks, so
 * a spinning pCPU advances its local time and lets the holder run
 * (docs/design.md, "Time"). Locks that interrupt handlers also take are
 * acquired with interrupts disabled (spin_lock_irqsave).
 *
 * Invariants: a pCPU never re-acquires a lock it holds (that would spin
 * forever) and only the owner releases a lock.
 */
#ifndef HYP_SRC_SPINLOCK_H
#define HYP_SRC_SPINLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "hyp/arch.h"
#include "hyp/trace.h"
#include "hyp_assert.h"
#include "hyp_atomic.h"

typedef struct {
    uint32_t owner; /* 0 free, else 1 + pCPU index */
    uint32_t lock_class, index; /* reported at each release (HYP_TR_LOCK_RELEASE) */
} spinlock_t;

static inline void spin_lock_init(spinlock_t *l)
{
    l->lock_class = HYP_LOCK_UNNAMED;
    l->index = 0;
    hyp_atomic_store_n(&l->owner, 0u, __ATOMIC_RELEASE);
}

/* A lock whose releases the platform observes (enum hyp_lock_class). */
static inline void spin_lock_init_observed(spinlock_t *l, uint32_t lock_class, uint32_t index)
{
    spin_lock_init(l);
    l->lock_class = lock_class;
    l->index = index;
}

static inline void spin_lock(spinlock_t *l)
{
    uint32_t me = arch_cpu_id() + 1u;
    HYP_ASSERT(hyp_atomic_load_n(&l->owner, __ATOMIC_RELAXED) != me);
    for (;;) {
        if (hyp_sync_bool_compare_and_swap(&l->owner, 0u, me))
            return;
        while (hyp_atomic_load_n(&l->owner, __ATOMIC_RELAXED) != 0u)
            ;
    }
}

static inline bool spin_is_locked_by_me(const spinlock_t *l)
{
    return hyp_atomic_load_n(&l->owner, __ATOMIC_RELAXED) == arch_cpu_id() + 1u;
}

/* The release is reported after the store, for every lock (no branch: a
 * test of the class would add basic blocks, and cycles, to every release). */
static inline void spin_unlock(spinlock_t *l)
{
    HYP_ASSERT(spin_is_locked_by_me(l));
    hyp_atomic_store_n(&l->owner, 0u, __ATOMIC_RELEASE);
    arch_trace(HYP_TR_LOCK_RELEASE, l->lock_class, l->index, 0, 0);
}

/* Disable interrupts (if enabled) then lock; returns the previous IF. */
static inline bool spin_lock_irqsave(spinlock_t *l)
{
    bool was_enabled = arch_irqs_enabled();
    if (was_enabled)
        arch_irq_disable();
    spin_lock(l);
    return was_enabled;
}

static inline void spin_unlock_irqrestore(spinlock_t *l, bool was_enabled)
{
    spin_unlock(l);
    if (was_enabled)
        arch_irq_enable();
}

#endif /* HYP_SRC_SPINLOCK_H */
