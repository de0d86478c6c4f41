/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * fail.c — see fail.h.
 */
#include "fail.h"

#include <stdarg.h>
#include <stdio.h>

int samen_fail(int code, const char *fmt, ...)
{
	va_list ap;
	fputs("samen: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}
