/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * json.h — msgpack objects as compact JSON (RFC 8259), for `samen --json`,
 * hook events and scripts.
 *
 * Mapping: map → object (keys must be strings), array → array, uint/int →
 * integer, bool → true/false, nil → null, str → string, bin → string of
 * lowercase hex. Floats and ext types have no place in samen messages and
 * are refused. Output is one line with no white space and no trailing
 * newline; the caller adds one if it wants JSON lines.
 *
 * Strings must be well-formed UTF-8 (no overlongs, surrogates or code points
 * past U+10FFFF); they are written as UTF-8 except that '"' and '\' are
 * escaped, newline, tab, CR, backspace and form feed get their short
 * escapes, and every other C0 control, DEL, the C1 controls U+0080..U+009F
 * and U+2028/U+2029 are written as \uXXXX — so the output is safe to show on
 * a terminal and to embed in JavaScript.
 *
 * Both functions may have written part of the output when they fail; write
 * into an open_memstream() buffer when all-or-nothing matters.
 */
#ifndef SAMEN_JSON_H
#define SAMEN_JSON_H

#include <stddef.h>
#include <stdio.h>

#include <msgpack.h>

#include "err.h"

#define JSON_MAX_DEPTH 32 /* containers nested deeper are refused */

/*
 * Writes o as JSON to f. Returns 0, SAMEN_EMALFORMED (a float, an ext, a
 * map key that is not a string, or a string that is not UTF-8),
 * SAMEN_EDEPTH (nested past JSON_MAX_DEPTH) or -EIO (a write to f failed).
 */
int json_write(FILE *f, const msgpack_object *o) SAMEN_MUST_CHECK;

/*
 * Writes s[0..len) to f as a JSON string literal, the quotes included.
 * s need not be NUL-terminated; a NUL byte inside it is written as \u0000.
 * Returns 0, SAMEN_EMALFORMED (not UTF-8) or -EIO.
 */
int json_escape(FILE *f, const char *s, size_t len) SAMEN_MUST_CHECK;

#endif
