#include "utf8.h"

#include <string.h>

size_t
mi_utf8_decode(const unsigned char *s, size_t len, uint32_t *code_point,
               bool *well_formed)
{
    bool ignored;
    if (well_formed == NULL) {
        well_formed = &ignored;
    }
    *well_formed = true;
    unsigned char c = s[0];
    unsigned char lo = 0x80, hi = 0xBF;
    size_t need;
    uint32_t value;

    if (c < 0x80) {
        *code_point = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        need = 1;
        value = c & 0x1Fu;
    }
    else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        value = c & 0x0Fu;
        lo = c == 0xE0 ? 0xA0 : 0x80;   /* no overlong forms */
        hi = c == 0xED ? 0x9F : 0xBF;   /* no surrogates */
    }
    else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        value = c & 0x07u;
        lo = c == 0xF0 ? 0x90 : 0x80;   /* no overlong forms */
        hi = c == 0xF4 ? 0x8F : 0xBF;   /* nothing above U+10FFFF */
    }
    else {
        *code_point = 0xFFFD;
        *well_formed = false;
        return 1;
    }
    size_t i = 1;
    for (; i <= need; i++) {
        if (i >= len || s[i] < lo || s[i] > hi) {
            *code_point = 0xFFFD;
            *well_formed = false;
            return i;
        }
        value = (value << 6) | (s[i] & 0x3Fu);
        lo = 0x80;
        hi = 0xBF;
    }
    *code_point = value;
    return i;
}

size_t
mi_utf8_length(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t left = strlen(s);
    size_t n = 0;
    while (left > 0) {
        uint32_t code_point;
        size_t step = mi_utf8_decode(p, left, &code_point, NULL);
        p += step;
        left -= step;
        n++;
    }
    return n;
}

int
mi_utf8_write(FILE *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t left = strlen(s);
    while (left > 0) {
        /* Runs of well-formed characters go out in one call. */
        size_t run = 0;
        size_t step = 0;
        bool well_formed = true;
        while (run < left) {
            uint32_t code_point;
            step = mi_utf8_decode(p + run, left - run, &code_point,
                                  &well_formed);
            if (!well_formed) {
                break;
            }
            run += step;
        }
        if (run > 0 && fwrite(p, 1, run, out) != run) {
            return -1;
        }
        if (!well_formed) {
            if (fputs(MI_UTF8_REPLACEMENT, out) == EOF) {
                return -1;
            }
            run += step;
        }
        p += run;
        left -= run;
    }
    return ferror(out) ? -1 : 0;
}

bool
mi_utf8_html_displayable(uint32_t cp)
{
    if (cp < 0x20) {
        return cp == '\t' || cp == '\n';
    }
    if (cp >= 0x7F && cp <= 0x9F) {
        return false;
    }
    if ((cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFEu) == 0xFFFEu) {
        return false;
    }
    return cp != 0xFFFD;
}
