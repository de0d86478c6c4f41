/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * fail.h — how a program (samen, every command of it, subscribe and
 * announce included, and samen-keys) says that it cannot go on:
 * "PROGRAM: MESSAGE" on standard error, one line, and the exit code to
 * return (proto/exitcode.h). PROGRAM is the name it was run by.
 */
#ifndef SAMEN_CLIENT_FAIL_H
#define SAMEN_CLIENT_FAIL_H

#include "../proto/exitcode.h"

int samen_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
