/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * keyarg.h — public keys on a command line. A key's text form is
 * base64url, so about one key in 64 begins with '-', and getopt would take
 * it for an option ("unknown option '-O'"). Programs call keyarg_protect()
 * on argv before getopt, so that every key is taken, without the user
 * knowing to write "--".
 */
#ifndef SAMEN_KEYARG_H
#define SAMEN_KEYARG_H

/*
 * Replaces each argument from argv[1] on that begins with '-' and is
 * exactly a public key's text form by the same text after one space
 * (keytext_decode ignores white space around a key, getopt does not see an
 * option in it). Stops at a "--". Returns 0, or -ENOMEM.
 */
int keyarg_protect(int argc, char **argv);

#endif
