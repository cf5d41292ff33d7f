/*
 * hyp_atomic.h - atomic accesses to hypervisor memory shared between pCPUs.
 *
 * Each macro is the GCC builtin of the same name after "hyp", preceded by
 * arch_shared_point(): the port synchronizes this pCPU with the kernel before
 * the access, so lock words, flags and counters other pCPUs write are read
 * at the exact cycle (hyp/include/hyp/arch.h). Plain accesses need no such
 * point: every datum more than one pCPU touches is either accessed
 * atomically or protected by a lock, whose acquisition is atomic.
 *
 * The call is not a branch and cannot throw through hyp frames that need
 * cleanup, so the basic blocks (and so the timing) are those of the bare
 * builtins.
 */
#ifndef HYP_SRC_HYP_ATOMIC_H
#define HYP_SRC_HYP_ATOMIC_H

#include "hyp/arch.h"

#define hyp_atomic_load_n(p, mo) (arch_shared_point(), __atomic_load_n((p), (mo)))
#define hyp_atomic_store_n(p, v, mo) (arch_shared_point(), __atomic_store_n((p), (v), (mo)))
#define hyp_atomic_exchange_n(p, v, mo) (arch_shared_point(), __atomic_exchange_n((p), (v), (mo)))
#define hyp_atomic_fetch_add(p, v, mo) (arch_shared_point(), __atomic_fetch_add((p), (v), (mo)))
#define hyp_atomic_fetch_sub(p, v, mo) (arch_shared_point(), __atomic_fetch_sub((p), (v), (mo)))
#define hyp_atomic_fetch_and(p, v, mo) (arch_shared_point(), __atomic_fetch_and((p), (v), (mo)))
#define hyp_atomic_fetch_or(p, v, mo) (arch_shared_point(), __atomic_fetch_or((p), (v), (mo)))
#define hyp_sync_bool_compare_and_swap(p, old, new) \
    (arch_shared_point(), __sync_bool_compare_and_swap((p), (old), (new)))

#endif /* HYP_SRC_HYP_ATOMIC_H */
