/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * libFuzzer harness for invite codes: any text a person could paste goes
 * through invite_decode(). A code that decodes must hold an endpoint that is
 * one line of NUL-terminated text, and must survive a round trip: encoded
 * again, it decodes to the same fields. A code that does not decode leaves
 * nothing of the secret behind.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../proto/invite.h"
#include "../../proto/mp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok)
{
	if (!ok)
		__builtin_trap();
}

static bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct invite_code c, again;
	char *text = malloc(size + 1), code[1024];
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (invite_decode(text, &c) != 0) {
		check(all_zero(&c, sizeof(c)));
		free(text);
		return 0;
	}
	const char *end = memchr(c.endpoint, '\0', sizeof(c.endpoint));
	check(end != NULL && end > c.endpoint);
	check(mp_text_ok(c.endpoint, (size_t)(end - c.endpoint)));
	check(invite_encode(&c, code, sizeof(code)) == 0);
	check(invite_decode(code, &again) == 0);
	check(memcmp(&c, &again, sizeof(c)) == 0);
	free(text);
	return 0;
}
