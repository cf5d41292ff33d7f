/*
 * hyp_assert.h - invariants of the hypervisor core.
 *
 * HYP_ASSERT(cond): when cond is false, reports "cond", the file and the line
 * to the platform (arch_assert_fail, which records an oracle violation and
 * ends the run). Always compiled in: invariants are part of the oracle.
 */
#ifndef HYP_SRC_HYP_ASSERT_H
#define HYP_SRC_HYP_ASSERT_H

#include "hyp/arch.h"

#define HYP_ASSERT(cond)                                      \
    do {                                                      \
        if (!(cond))                                          \
            arch_assert_fail(#cond, __FILE__, __LINE__);      \
    } while (0)

#endif /* HYP_SRC_HYP_ASSERT_H */
