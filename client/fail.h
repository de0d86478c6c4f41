/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * fail.h — how `samen` (every command, subscribe and announce included)
 * says that it cannot go on: "samen: MESSAGE" on standard error, one line,
 * and the exit code to return (proto/exitcode.h).
 */
#ifndef SAMEN_CLIENT_FAIL_H
#define SAMEN_CLIENT_FAIL_H

#include "../proto/exitcode.h"

int samen_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
