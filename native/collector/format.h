/* Numbers as the original memory_inventory's table cells print them
 * (its Cell.__str__): integers with '_' between groups of three digits,
 * byte counts followed by " B", fractions as percentages with one
 * decimal. The text and HTML reports share these. */
#ifndef MI_COLLECTOR_FORMAT_H
#define MI_COLLECTOR_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Room for any of the strings below, NUL included. */
#define MI_FORMAT_SIZE 48

/* "1_234_567" (Python's '{:_}'). Returns `buffer`. */
char *mi_format_uint(char buffer[MI_FORMAT_SIZE], uint64_t value);
char *mi_format_int(char buffer[MI_FORMAT_SIZE], int64_t value);

/* "1_234_567 B" */
char *mi_format_bytes(char buffer[MI_FORMAT_SIZE], uint64_t value);
char *mi_format_signed_bytes(char buffer[MI_FORMAT_SIZE], int64_t value);

/* "50.0%" for 0.5 (Python's '{:.1%}': the value times 100, correctly
   rounded to one decimal; "nan%", "inf%" and "-inf%" as Python). */
char *mi_format_percent(char buffer[MI_FORMAT_SIZE], double fraction);

/* Room for mi_format_decimal's digits and NUL. */
#define MI_FORMAT_DECIMAL_SIZE 21

/* "1234567" (printf's %llu), NUL-terminated; returns the number of
   digits. */
size_t mi_format_decimal(char buffer[MI_FORMAT_DECIMAL_SIZE], uint64_t value);

#ifdef __cplusplus
}
#endif

#endif
