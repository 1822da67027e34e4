#include "address_sample.h"

void
mi_address_sample_init(mi_address_sample *sample)
{
    sample->n_low = 0;
    sample->n_high = 0;
    sample->count = 0;
}

/* Inserts `address` into the array `kept` of `*n` entries ordered by
   `before` (ascending when lower_first), dropping the last when full. */
static void
keep_extreme(uintptr_t *kept, size_t *n, uintptr_t address, int lower_first)
{
    size_t i = *n;
    if (i == MI_ADDRESS_SAMPLE_HALF) {
        uintptr_t last = kept[i - 1];
        if (lower_first ? address >= last : address <= last) {
            return;
        }
        i--;
    }
    else {
        (*n)++;
    }
    while (i > 0 && (lower_first ? kept[i - 1] > address
                                 : kept[i - 1] < address)) {
        kept[i] = kept[i - 1];
        i--;
    }
    kept[i] = address;
}

void
mi_address_sample_add(mi_address_sample *sample, uintptr_t address)
{
    sample->count++;
    keep_extreme(sample->low, &sample->n_low, address, 1);
    keep_extreme(sample->high, &sample->n_high, address, 0);
}

size_t
mi_address_sample_sorted(const mi_address_sample *sample, uintptr_t *out)
{
    size_t n = 0;
    for (size_t i = 0; i < sample->n_low; i++) {
        out[n++] = sample->low[i];
    }
    /* high is descending; walk it backwards, skipping what low holds. */
    uintptr_t largest_low = n > 0 ? out[n - 1] : 0;
    for (size_t i = sample->n_high; i > 0; i--) {
        uintptr_t address = sample->high[i - 1];
        if (n == 0 || address > largest_low) {
            out[n++] = address;
        }
    }
    return n;
}
