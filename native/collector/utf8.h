/* UTF-8 as the collector shows it: strings from a recording are kept as
 * received, and ill-formed bytes are shown as U+FFFD, one per maximal
 * ill-formed subpart (as Python's "replace" error handler does), so that
 * widths in the text tables and characters in report.json agree with
 * what Python would have made of the same bytes. */
#ifndef MI_COLLECTOR_UTF8_H
#define MI_COLLECTOR_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MI_UTF8_REPLACEMENT "\xEF\xBF\xBD"

/* Decodes the character at `s` (`len` > 0 bytes left) into *code_point,
   U+FFFD for an ill-formed sequence (and then *well_formed is false, when
   `well_formed` is not NULL); returns how many bytes it spans (at least
   1). */
size_t mi_utf8_decode(const unsigned char *s, size_t len,
                      uint32_t *code_point, bool *well_formed);

/* The number of characters of `s` (ill-formed subparts count one). */
size_t mi_utf8_length(const char *s);

/* Whether HTML text may hold the character: not one that HTML calls a
   parse error in text (controls other than tab and newline,
   noncharacters), nor U+FFFD itself (the reports write their own). The
   HTML reports show the others as U+FFFD, as ill-formed bytes. */
bool mi_utf8_html_displayable(uint32_t code_point);

/* Writes `s` to `out`, ill-formed subparts as U+FFFD. Returns 0, or -1
   when the stream reports an error. */
int mi_utf8_write(FILE *out, const char *s);

#ifdef __cplusplus
}
#endif

#endif
