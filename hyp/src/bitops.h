/*
 * bitops.h - find-last-bit on vector bitmaps (PIR, IRR, ISR, pending).
 *
 * As Xen's fls/find_last_bit and Linux's __fls: one BSR (or LZCNT)
 * instruction, not a bit-by-bit scan, so the cost of finding the highest
 * pending vector does not depend on which vector it is.
 */
#ifndef HYP_SRC_BITOPS_H
#define HYP_SRC_BITOPS_H

#include <stdint.h>

#include "hyp_assert.h"

/* Index (0..31) of the highest set bit of x; x must not be 0. */
static inline uint32_t hyp_fls32(uint32_t x)
{
    return 31u - (uint32_t)__builtin_clz(x);
}

/* Index (0..63) of the highest set bit of x; x must not be 0. */
static inline uint32_t hyp_fls64(uint64_t x)
{
    return 63u - (uint32_t)__builtin_clzll(x);
}

/* Index (0..63) of the lowest set bit of x; x must not be 0. */
static inline uint32_t hyp_ffs64(uint64_t x)
{
    return (uint32_t)__builtin_ctzll(x);
}

#endif /* HYP_SRC_BITOPS_H */
