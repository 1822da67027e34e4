/* Sums and products of counts that saturate rather than wrap: a hostile
 * recording can make the collector's totals absurd, never wrong in sign
 * or small again. */
#ifndef MI_COLLECTOR_SATURATING_H
#define MI_COLLECTOR_SATURATING_H

#include <stdint.h>

static inline uint64_t
mi_add_saturated(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static inline uint64_t
mi_multiply_saturated(uint64_t a, uint64_t b)
{
    uint64_t product;
    return __builtin_mul_overflow(a, b, &product) ? UINT64_MAX : product;
}

#endif
