#include "format.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Writes the digits of `magnitude` with '_' every three, after `sign`. */
static char *
put_grouped(char buffer[MI_FORMAT_SIZE], const char *sign, uint64_t magnitude)
{
    char digits[24];
    int n = snprintf(digits, sizeof(digits), "%llu",
                     (unsigned long long)magnitude);
    char *p = buffer;
    size_t sign_length = strlen(sign);
    memcpy(p, sign, sign_length);
    p += sign_length;
    for (int i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0) {
            *p++ = '_';
        }
        *p++ = digits[i];
    }
    *p = '\0';
    return buffer;
}

char *
mi_format_uint(char buffer[MI_FORMAT_SIZE], uint64_t value)
{
    return put_grouped(buffer, "", value);
}

char *
mi_format_int(char buffer[MI_FORMAT_SIZE], int64_t value)
{
    if (value < 0) {
        /* -(value + 1) + 1 avoids overflowing on INT64_MIN. */
        return put_grouped(buffer, "-", (uint64_t)(-(value + 1)) + 1);
    }
    return put_grouped(buffer, "", (uint64_t)value);
}

char *
mi_format_bytes(char buffer[MI_FORMAT_SIZE], uint64_t value)
{
    mi_format_uint(buffer, value);
    strcat(buffer, " B");
    return buffer;
}

char *
mi_format_signed_bytes(char buffer[MI_FORMAT_SIZE], int64_t value)
{
    mi_format_int(buffer, value);
    strcat(buffer, " B");
    return buffer;
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
    else if (fabs(percent) >= 1e40) {
        /* Python writes every digit; no report has such a fraction. */
        snprintf(buffer, MI_FORMAT_SIZE, "%.1e%%", percent);
    }
    else {
        snprintf(buffer, MI_FORMAT_SIZE, "%.1f%%", percent);
    }
    return buffer;
}
