/* The lowest and highest addresses among the instances of a type.
 *
 * Keeps the SAMPLE_HALF lowest and SAMPLE_HALF highest addresses added, so
 * that while at most 2 * SAMPLE_HALF distinct addresses were added, all of
 * them are kept. Each address is added once. */
#ifndef MI_ADDRESS_SAMPLE_H
#define MI_ADDRESS_SAMPLE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MI_ADDRESS_SAMPLE_HALF 5

typedef struct {
    uintptr_t low[MI_ADDRESS_SAMPLE_HALF];   /* ascending */
    uintptr_t high[MI_ADDRESS_SAMPLE_HALF];  /* descending */
    size_t n_low;
    size_t n_high;
    uint64_t count;
} mi_address_sample;

void mi_address_sample_init(mi_address_sample *sample);
void mi_address_sample_add(mi_address_sample *sample, uintptr_t address);

/* Writes the distinct kept addresses in ascending order into `out`, which
   has room for 2 * MI_ADDRESS_SAMPLE_HALF; returns how many. */
size_t mi_address_sample_sorted(const mi_address_sample *sample,
                                uintptr_t *out);

#ifdef __cplusplus
}
#endif

#endif
