/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * exitcode.h — the one table of exit codes every samen program uses
 * (samen, its subscribe and announce, samen-keys, samend, samen-web), so that a
 * script reads a number the same way whichever program it ran. Each man
 * page's EXIT STATUS lists the codes that program can return, with these
 * numbers; samend's 2, 3 and 4 are also what its systemd unit refuses to
 * restart on or retries, and samen-web's unit does the same with them.
 */
#ifndef SAMEN_EXITCODE_H
#define SAMEN_EXITCODE_H

enum samen_exit {
	EXIT_OK = 0,
	EXIT_NOT_VALID = 1,    /* samen-keys verify: the certificate is not valid */
	EXIT_USAGE = 2,        /* the command line, or samend's config */
	EXIT_INVALID = 3,      /* a value, file, key or passphrase that cannot be used */
	EXIT_UNREACHABLE = 4,  /* samend, a relay or a coordinator does not answer;
				  samend cannot bind or change user */
	EXIT_NOT_MEMBER = 5,   /* this household holds no valid certificate */
	EXIT_FORBIDDEN = 6,    /* the key's role does not allow it, or it was revoked */
	EXIT_NOT_FOUND = 7,    /* no such signal, key or invite */
	EXIT_RATE_LIMITED = 8, /* too many signals from this household just now */
	EXIT_FULL = 9,         /* the store is full; nothing was written */
	EXIT_INTERNAL = 10,    /* anything else: the system failed */
};

#endif
