#include "format.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Two digits at a time: "00" to "99". */
static const char digit_pairs[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233"
    "34353637383940414243444546474849505152535455565758596061626364656667"
    "6869707172737475767778798081828384858687888990919293949596979899";

/* 10 to the power of 0 to 19. */
static const uint64_t powers_of_10[20] = {
    1u, 10u, 100u, 1000u, 10000u, 100000u, 1000000u, 10000000u,
    100000000u, 1000000000u, 10000000000u, 100000000000u, 1000000000000u,
    10000000000000u, 100000000000000u, 1000000000000000u,
    10000000000000000u, 100000000000000000u, 1000000000000000000u,
    10000000000000000000u,
};

static size_t
count_digits(uint64_t value)
{
    value |= 1;             /* 0 has one digit, as 1 */
    /* 1233 / 4096 is just above log10(2): the number of digits of 2 to
       the power of `bits`, less one, then one more when value reaches
       the next power of 10. */
    unsigned bits = 64 - (unsigned)__builtin_clzll(value);
    unsigned below = (bits * 1233) >> 12;
    return below + (value >= powers_of_10[below]);
}

size_t
mi_format_decimal(char buffer[MI_FORMAT_DECIMAL_SIZE], uint64_t value)
{
    size_t n = count_digits(value);
    char *p = buffer + n;
    *p = '\0';
    while (value >= 100) {
        unsigned pair = (unsigned)(value % 100);
        value /= 100;
        p -= 2;
        memcpy(p, &digit_pairs[2 * pair], 2);
    }
    if (value >= 10) {
        memcpy(p - 2, &digit_pairs[2 * value], 2);
    }
    else {
        p[-1] = (char)('0' + value);
    }
    return n;
}

/* Writes `sign`, the digits of `magnitude` with '_' every three, then
   `suffix`. */
static char *
put_grouped(char buffer[MI_FORMAT_SIZE], const char *sign, uint64_t magnitude,
            const char *suffix)
{
    char digits[MI_FORMAT_DECIMAL_SIZE];
    size_t n = mi_format_decimal(digits, magnitude);
    char *p = buffer;
    size_t sign_length = strlen(sign);
    memcpy(p, sign, sign_length);
    p += sign_length;
    /* The first group has 1 to 3 digits, the others 3. */
    size_t first = n % 3 == 0 ? 3 : n % 3;
    memcpy(p, digits, first);
    p += first;
    for (size_t i = first; i < n; i += 3) {
        *p++ = '_';
        memcpy(p, digits + i, 3);
        p += 3;
    }
    strcpy(p, suffix);
    return buffer;
}

/* -value as an unsigned magnitude, INT64_MIN included. */
static uint64_t
magnitude_of(int64_t value)
{
    return value < 0 ? (uint64_t)(-(value + 1)) + 1 : (uint64_t)value;
}

char *
mi_format_uint(char buffer[MI_FORMAT_SIZE], uint64_t value)
{
    return put_grouped(buffer, "", value, "");
}

char *
mi_format_int(char buffer[MI_FORMAT_SIZE], int64_t value)
{
    return put_grouped(buffer, value < 0 ? "-" : "", magnitude_of(value), "");
}

char *
mi_format_bytes(char buffer[MI_FORMAT_SIZE], uint64_t value)
{
    return put_grouped(buffer, "", value, " B");
}

char *
mi_format_signed_bytes(char buffer[MI_FORMAT_SIZE], int64_t value)
{
    return put_grouped(buffer, value < 0 ? "-" : "", magnitude_of(value),
                       " B");
}

/* `magnitude` (finite, 0 <= magnitude < 1e14) in tenths, correctly
   rounded, ties to even, as printf's "%.1f" rounds the exact binary
   value: magnitude * 10 is rounded once in a double, so the integer
   below it and the tie are decided with fma, which is exact up to its
   one rounding, and a rounding never changes a sign. */
static uint64_t
tenths_of(double magnitude)
{
    double below = floor(magnitude * 10.0);
    if (fma(magnitude, 10.0, -below) < 0.0) {
        below -= 1.0;
    }
    else if (fma(magnitude, 10.0, -(below + 1.0)) >= 0.0) {
        below += 1.0;
    }
    uint64_t tenths = (uint64_t)below;
    double above_half = fma(magnitude, 10.0, -(below + 0.5));
    if (above_half > 0.0 || (above_half == 0.0 && tenths % 2 == 1)) {
        tenths++;
    }
    return tenths;
}

char *
mi_format_percent(char buffer[MI_FORMAT_SIZE], double fraction)
{
    double percent = fraction * 100.0;
    if (isnan(percent)) {
        strcpy(buffer, "nan%");
    }
    else if (isinf(percent)) {
        strcpy(buffer, percent > 0 ? "inf%" : "-inf%");
    }
    else if (fabs(percent) < 1e14) {
        /* Every report's case, without printf. */
        uint64_t tenths = tenths_of(fabs(percent));
        char *p = buffer;
        if (signbit(percent)) {
            *p++ = '-';
        }
        p += mi_format_decimal(p, tenths / 10);
        *p++ = '.';
        *p++ = (char)('0' + tenths % 10);
        *p++ = '%';
        *p = '\0';
    }
    else if (fabs(percent) >= 1e40) {
        /* Python writes every digit; no report has such a fraction. */
        snprintf(buffer, MI_FORMAT_SIZE, "%.1e%%", percent);
    }
    else {
        snprintf(buffer, MI_FORMAT_SIZE, "%.1f%%", percent);
    }
    return buffer;
}
