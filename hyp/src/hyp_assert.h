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

/* The check is report-only code (arch_report_begin/end): it costs no cycles,
 * so an invariant does not slow the path it guards. */
#define HYP_ASSERT(cond)                                      \
    do {                                                      \
        arch_report_begin();                                  \
        _Bool hyp_assert_ok_ = (cond);                        \
        arch_report_end();                                    \
        if (!hyp_assert_ok_)                                  \
            arch_assert_fail(#cond, __FILE__, __LINE__);      \
    } while (0)

#endif /* HYP_SRC_HYP_ASSERT_H */
