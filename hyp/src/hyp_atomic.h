/*
 * hyp_atomic.h - atomic accesses to hypervisor memory shared between pCPUs.
 *
 * Each macro is the GCC builtin of the same name after "hyp", preceded by
 * arch_shared_point(p, access): the port synchronizes this pCPU with the
 * kernel before the access and charges the line's coherence cost, so lock words, flags and counters other pCPUs write are read
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

#define hyp_atomic_load_n(p, mo) (arch_shared_point((p), HYP_SHARED_READ), __atomic_load_n((p), (mo)))
#define hyp_atomic_store_n(p, v, mo) \
    (arch_shared_point((p), HYP_SHARED_WRITE), __atomic_store_n((p), (v), (mo)))
#define hyp_atomic_exchange_n(p, v, mo) \
    (arch_shared_point((p), HYP_SHARED_RMW), __atomic_exchange_n((p), (v), (mo)))
#define hyp_atomic_fetch_add(p, v, mo) (arch_shared_point((p), HYP_SHARED_RMW), __atomic_fetch_add((p), (v), (mo)))
#define hyp_atomic_fetch_sub(p, v, mo) (arch_shared_point((p), HYP_SHARED_RMW), __atomic_fetch_sub((p), (v), (mo)))
#define hyp_atomic_fetch_and(p, v, mo) (arch_shared_point((p), HYP_SHARED_RMW), __atomic_fetch_and((p), (v), (mo)))
#define hyp_atomic_fetch_or(p, v, mo) (arch_shared_point((p), HYP_SHARED_RMW), __atomic_fetch_or((p), (v), (mo)))
#define hyp_sync_bool_compare_and_swap(p, old, new) \
    (arch_shared_point((p), HYP_SHARED_RMW), __sync_bool_compare_and_swap((p), (old), (new)))

/* A bare builtin in the core would skip its synchronization point (the
 * access would see other pCPUs up to their look-ahead late): it is an error
 * after this header (the macros above, defined first, still expand). C only:
 * C++ tests include the core's headers next to the standard library's
 * <atomic>, which uses the builtins. */
#ifndef __cplusplus
#pragma GCC poison __atomic_load_n __atomic_store_n __atomic_exchange_n __atomic_fetch_add
#pragma GCC poison __atomic_fetch_sub __atomic_fetch_and __atomic_fetch_or __atomic_compare_exchange_n
#pragma GCC poison __atomic_add_fetch __atomic_sub_fetch __atomic_and_fetch __atomic_or_fetch
#pragma GCC poison __atomic_xor_fetch __atomic_fetch_xor __atomic_test_and_set
#pragma GCC poison __sync_bool_compare_and_swap __sync_val_compare_and_swap __sync_lock_test_and_set
#pragma GCC poison __sync_fetch_and_add __sync_fetch_and_sub __sync_fetch_and_or __sync_fetch_and_and
#endif

#endif /* HYP_SRC_HYP_ATOMIC_H */
