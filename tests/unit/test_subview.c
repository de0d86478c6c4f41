/* SPDX-License-Identifier: EUPL-1.2 */
/* What `samen subscribe` believes: its membership view (client/subview.c)
 * and the ids it output, kept across runs (client/seen.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "../../client/seen.c"
#include "../../client/subview.c"
#include "../support/harness.h"
#include "../../keys/identity.h"

static void id_of(uint32_t i, uint8_t id[32])
{
	memset(id, 0, 32);
	crypto_generichash(id, 32, (const uint8_t *)&i, sizeof(i), NULL, 0);
}

/* More ids than it keeps: the newest SEEN_MAX are found, in this run and
 * the next, with their authors; the file never outgrows its ring. */
static void test_seen_bounded_and_persistent(void **state)
{
	(void)state;
	char path[600];
	struct seen_set *s = NULL;
	struct seen_pending p = {0};
	uint8_t id[32], author[32], got[32];
	const uint32_t total = SEEN_MAX + 5000;
	snprintf(path, sizeof(path), "%s/cursor.seen", harness_dir());
	assert_int_equal(seen_open(&s, path), 0);
	for (uint32_t i = 0; i < total; i++) {
		id_of(i, id);
		memset(author, (int)(i & 0xff), 32);
		assert_false(seen_find(s, id, NULL));
		assert_int_equal(seen_add(s, id, author), 0);
		if (i % 256 == 255 || i == total - 1) {
			seen_take(s, &p);
			assert_int_equal(seen_write(s, &p), 0);
		}
	}
	for (int pass = 0; pass < 2; pass++) {
		for (uint32_t i = 0; i < total; i++) {
			id_of(i, id);
			bool kept = i >= total - SEEN_MAX;
			assert_int_equal(seen_find(s, id, got), kept);
			if (kept)
				assert_int_equal(got[0], i & 0xff);
		}
		seen_close(&s);
		assert_int_equal(seen_open(&s, path), 0); /* the next run */
	}
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_size <= 8 + (off_t)SEEN_MAX * 72);
	seen_close(&s);
	seen_pending_free(&p);
	/* not a seen file: refused, not overwritten */
	FILE *f = fopen(path, "w");
	fputs("12\n", f);
	fclose(f);
	assert_int_equal(seen_open(&s, path), SAMEN_EMALFORMED);
	/* never through a symbolic link */
	char link[700];
	snprintf(link, sizeof(link), "%s/link.seen", harness_dir());
	assert_int_equal(symlink(path, link), 0);
	assert_true(seen_open(&s, link) < 0);
}

static void sign(struct record *r, const struct identity *by, uint8_t **buf)
{
	size_t len;
	memcpy(r->author, by->pk, 32);
	assert_int_equal(record_sign(r, by->sk, buf, &len), 0);
}

static void cert(const struct identity *f, const uint8_t nbhd[32], const uint8_t subject[32],
		 unsigned role, uint64_t seq, struct record *r, uint8_t **buf)
{
	uint64_t now = (uint64_t)time(NULL);
	memset(r, 0, sizeof(*r));
	r->kind = REC_CERT;
	memcpy(r->nbhd, nbhd, 32);
	r->seq = seq;
	r->created = now - 100;
	memcpy(r->u.cert.subject, subject, 32);
	r->u.cert.role = (uint8_t)role;
	r->u.cert.not_before = now - 100;
	r->u.cert.not_after = now + 86400;
	sign(r, f, buf);
}

static void header(struct record *r, uint8_t kind, const uint8_t nbhd[32], uint64_t created)
{
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	memcpy(r->nbhd, nbhd, 32);
	r->seq = 1;
	r->created = created;
}

/* The checks on decoded records (signatures are subscribe.c's business);
 * only the header fields matter here. */
static void test_view_checks(void **state)
{
	(void)state;
	struct identity *F, *C, *M, *R, *A, *X;
	struct subview *v = NULL;
	struct record r;
	uint8_t *buf[8] = {0};
	uint64_t now = (uint64_t)time(NULL);
	assert_int_equal(identity_generate(&F), 0);
	assert_int_equal(identity_generate(&C), 0);
	assert_int_equal(identity_generate(&M), 0);
	assert_int_equal(identity_generate(&R), 0);
	assert_int_equal(identity_generate(&A), 0);
	assert_int_equal(identity_generate(&X), 0);
	assert_int_equal(subview_new(&v, (const uint8_t(*)[32])F->pk, 1), 0);
	cert(F, F->pk, C->pk, ROLE_COORDINATOR, 1, &r, &buf[0]);
	assert_int_equal(subview_add(v, &r), SV_OK);
	assert_int_equal(subview_add(v, &r), SV_OK); /* again: already held */
	cert(C, F->pk, M->pk, ROLE_MEMBER, 1, &r, &buf[1]);
	assert_int_equal(subview_add(v, &r), SV_OK);
	cert(F, F->pk, R->pk, ROLE_RELAY, 2, &r, &buf[2]);
	assert_int_equal(subview_add(v, &r), SV_OK);
	cert(F, F->pk, A->pk, ROLE_AUTHORITY, 3, &r, &buf[3]);
	assert_int_equal(subview_add(v, &r), SV_OK);
	cert(X, X->pk, X->pk, ROLE_MEMBER, 1, &r, &buf[4]); /* another neighbourhood's */
	assert_int_equal(subview_add(v, &r), SV_NBHD);

	header(&r, REC_SIGNAL, F->pk, now - 10);
	memcpy(r.author, M->pk, 32);
	assert_int_equal(subview_signal(v, &r, now), SV_OK);
	memcpy(r.author, C->pk, 32);
	assert_int_equal(subview_signal(v, &r, now), SV_OK);
	memcpy(r.author, F->pk, 32);
	assert_int_equal(subview_signal(v, &r, now), SV_OK);
	memcpy(r.author, X->pk, 32);
	assert_int_equal(subview_signal(v, &r, now), SV_NOT_MEMBER);
	memcpy(r.author, R->pk, 32);
	assert_int_equal(subview_signal(v, &r, now), SV_ROLE);
	memcpy(r.author, A->pk, 32);
	assert_int_equal(subview_signal(v, &r, now), SV_ROLE);
	memcpy(r.author, M->pk, 32);
	r.created = now + SUBVIEW_SKEW + 60;
	assert_int_equal(subview_signal(v, &r, now), SV_FUTURE);
	header(&r, REC_SIGNAL, X->pk, now - 10); /* a neighbourhood X made up */
	memcpy(r.author, X->pk, 32);
	assert_int_equal(subview_signal(v, &r, now), SV_NBHD);

	header(&r, REC_RETRACTION, F->pk, now - 5);
	memcpy(r.author, M->pk, 32);
	assert_int_equal(subview_retraction(v, &r, M->pk, now), SV_OK);  /* its own */
	assert_int_equal(subview_retraction(v, &r, C->pk, now), SV_RETRACTOR); /* another's */
	memcpy(r.author, C->pk, 32);
	assert_int_equal(subview_retraction(v, &r, M->pk, now), SV_OK);  /* a coordinator */
	memcpy(r.author, X->pk, 32);
	assert_int_equal(subview_retraction(v, &r, M->pk, now), SV_RETRACTOR);
	assert_int_equal(subview_retraction(v, &r, X->pk, now), SV_NOT_MEMBER);

	/* the member revoked by the founder: its records are refused from then on */
	header(&r, REC_REVOCATION, F->pk, now - 1);
	r.seq = 4;
	memcpy(r.u.rev.subject, M->pk, 32);
	sign(&r, F, &buf[5]);
	assert_int_equal(subview_add(v, &r), SV_OK);
	header(&r, REC_SIGNAL, F->pk, now - 10);
	memcpy(r.author, M->pk, 32);
	assert_int_equal(subview_signal(v, &r, now), SV_NOT_MEMBER);

	struct subview_refusals t = {0};
	FILE *err = tmpfile();
	for (int i = 0; i < 15; i++)
		subview_refuse(&t, SV_NOT_MEMBER, (uint64_t)i, NULL, err);
	subview_refuse(&t, SV_CURSOR, UINT64_MAX, NULL, err);
	subview_summary(&t, err);
	char text[4096] = "";
	rewind(err);
	size_t n = fread(text, 1, sizeof(text) - 1, err);
	text[n] = '\0';
	fclose(err);
	assert_int_equal(t.total, 16);
	assert_non_null(strstr(text, "refused 16 records from the relay: 15 author not a member, "
				     "1 impossible cursor"));
	size_t lines = 0;
	for (char *q = text; (q = strchr(q, '\n')); q++)
		lines++;
	assert_int_equal(lines, 10 + 1 + 1); /* the first 10 told, the cursor, the summary */

	for (int i = 0; i < 8; i++)
		free(buf[i]);
	subview_free(&v);
	identity_free(&F);
	identity_free(&C);
	identity_free(&M);
	identity_free(&R);
	identity_free(&A);
	identity_free(&X);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_seen_bounded_and_persistent, harness_teardown),
		cmocka_unit_test(test_view_checks),
	};
	return cmocka_run_group_tests_name("subview", tests, NULL, NULL);
}
