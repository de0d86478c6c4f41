/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * keyarg.c — see keyarg.h.
 */
#include "keyarg.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keytext.h"

int keyarg_protect(int argc, char **argv)
{
	for (int i = 1; i < argc && argv[i]; i++) {
		uint8_t pk[32];
		const char *a = argv[i];

		if (!strcmp(a, "--"))
			break;
		/* exactly a key: an option glued to a key ("-k…") is not one */
		if (a[0] != '-' || strlen(a) != KEYTEXT_LEN - 1 || keytext_decode(a, pk) < 0)
			continue;
		char *shielded = malloc(KEYTEXT_LEN + 1);
		if (!shielded)
			return -ENOMEM;
		shielded[0] = ' ';
		memcpy(shielded + 1, a, KEYTEXT_LEN);
		/* lives as long as argv, until the program ends */
		argv[i] = shielded;
	}
	return 0;
}
