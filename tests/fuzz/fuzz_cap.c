/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * libFuzzer harness for CAP output: the first byte chooses the input's
 * shape (retraction, references, expiry, label, neighbourhood), the rest is
 * a signal plaintext. Every plaintext the decoder accepts must render
 * (cap_write returns 0), and the document must be UTF-8 without control
 * characters other than newline and tab, with every '&' starting one of the
 * entities cap.c writes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../proto/cap.h"
#include "../../proto/mp.h"
#include "../../proto/signal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int entity_ok(const char *s, size_t left)
{
	static const char *const ents[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
	for (size_t i = 0; i < sizeof(ents) / sizeof(ents[0]); i++)
		if (left >= strlen(ents[i]) && memcmp(s, ents[i], strlen(ents[i])) == 0)
			return 1;
	/* &#x80; .. &#x9F; */
	return left >= 6 && memcmp(s, "&#x", 3) == 0 && (s[3] == '8' || s[3] == '9') &&
	       strchr("0123456789ABCDEF", s[4]) && s[4] && s[5] == ';';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t id[32] = {1}, r1[32] = {2}, r2[32] = {3};
	struct cap_ref refs[2] = {{r1, "samen:ref-one", 1700000000}, {r2, "samen:ref-two", 0}};
	struct signal_plain p;
	struct cap_input in;
	char *out = NULL;
	size_t len = 0;
	FILE *f;
	uint8_t flags;
	int rc;

	if (size < 1)
		return 0;
	flags = data[0];
	if (signal_plain_decode(data + 1, size - 1, &p) != 0)
		return 0;
	memset(&in, 0, sizeof(in));
	in.id = id;
	in.sender = "samen:author";
	in.sender_label = flags & 4 ? p.where : "";
	in.nbhd_name = flags & 8 ? p.description : NULL;
	in.created = 1700000100;
	in.expires = flags & 16 ? 1700014500 : 0;
	in.p = &p;
	in.refs = refs;
	in.n_refs = flags & 2 ? 2 : 0;
	in.retraction = flags & 1;
	if (in.retraction) {
		in.n_refs = 1;
		in.reason = flags & 32 ? p.where : NULL;
	}

	f = open_memstream(&out, &len);
	if (!f)
		return 0;
	rc = cap_write(f, &in);
	if (fclose(f) != 0)
		__builtin_trap();
	if (rc != 0 || !mp_text_ok(out, len) || strstr(out, "\xef\xbf\xbe") ||
	    strstr(out, "\xef\xbf\xbf"))
		__builtin_trap();
	for (const char *a = strchr(out, '&'); a; a = strchr(a + 1, '&'))
		if (!entity_ok(a, len - (size_t)(a - out)))
			__builtin_trap();
	free(out);
	return 0;
}
