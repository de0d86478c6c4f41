/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * Fault test: a full disk.
 *
 * test_tmpfs_full: household A's store lives on a small tmpfs, most of
 * which a filler file takes. A sends until `send` answers code "full" —
 * with a message that says the store is full — and goes on refusing while
 * the disk is full; nothing acknowledged before is lost (A lists it all, and
 * still does after being killed and restarted with the disk still full);
 * what neighbours send meanwhile is refused by A's store and counted, not
 * lost: once the filler is deleted, A sends again and catches up by
 * anti-entropy, and every acknowledged signal — A's from before and after,
 * the neighbours' — is at every household, including a household behind NAT
 * that was offline while A sent its first signal after the recovery.
 *
 * test_map_cap: the LMDB map may grow to max_map_mb and no further: records
 * beyond it are refused as "full" (here through `import`, which takes
 * validly signed records 256 at a time) and a daemon restarted with a
 * larger cap takes them.
 *
 * Both need root (mount, and a tmpfs); they skip with a message otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "../../daemon/store.h"
#include "../../keys/identity.h"
#include "../../keys/keyfile.h"
#include "../../proto/mp.h"
#include "../../proto/mpmap.h"
#include "../../proto/record.h"
#include "../support/rawpeer.h"
#include "faults.h"

#define FOUNDER 0
#define A 1   /* its store on the tmpfs */
#define B 2   /* a neighbour sending while A is full */
#define C 3   /* behind NAT, offline while A sends after the recovery */
#define TMPFS_KB 2048
#define HEADROOM_KB 96

static struct fleet fl;
static char mnt[600];
static bool mounted;

static uint64_t free_kb(const char *path)
{
	struct statvfs v;
	if (statvfs(path, &v) != 0)
		return 0;
	return (uint64_t)v.f_bavail * v.f_frsize / 1024;
}

/* Fills the file system under path to within headroom_kb of full. */
static void fill(const char *file, uint64_t headroom_kb, const char *dir)
{
	int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	char block[4096];
	memset(block, 0xa5, sizeof(block));
	while (free_kb(dir) > headroom_kb) {
		ssize_t w = write(fd, block, sizeof(block));
		assert_true(w > 0);
	}
	close(fd);
}

/* Appends to file until the file system refuses (ENOSPC). */
static void fill_up(const char *file)
{
	int fd = open(file, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	char block[4096];
	memset(block, 0x5a, sizeof(block));
	for (size_t sz = sizeof(block); sz > 0; sz /= 2)
		while (write(fd, block, sz) > 0) {
		}
	close(fd);
}

static bool send_code(size_t i, const char *desc, char id[65], char code[40], char err[300])
{
	struct hreply r;
	char d[200];
	snprintf(d, sizeof(d), "description=%s", desc);
	id[0] = err[0] = '\0';
	snprintf(code, 40, "no-reply");
	if (!hnode_call_timeout(&fl.node[i], &r, 10000, "op=send", "category=fire", d,
				"where=Kastanjelaan", NULL))
		return false;
	bool ok = hreply_ok(&r);
	if (ok) {
		hreply_str(&r, "id", id, 65);
	} else {
		hreply_str(&r, "code", code, 40);
		hreply_str(&r, "error", err, 300);
	}
	hreply_free(&r);
	return ok;
}

static bool file_contains(const char *path, const char *needle)
{
	FILE *f = fopen(path, "r");
	static char buf[1 << 20];
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	if (f)
		fclose(f);
	buf[n] = '\0';
	return strstr(buf, needle) != NULL;
}

static void test_tmpfs_full(void **state)
{
	(void)state;
	char id[65], code[40], err[300], desc[80], filler[700];
	struct idset acked = {0}, mine_before = {0}, theirs = {0};
	if (geteuid() != 0) {
		fprintf(stderr, "diskfull: SKIPPED — needs root to mount a small tmpfs\n");
		skip();
	}
	faults_seed("diskfull");
	fleet_init(&fl, 4);
	fl.nat[C] = true;
	/* A fills its disk with a few dozen signals in a second or two: the
	 * rate limit (here or at the neighbours) must not be what stops them */
	snprintf(fl.extra, sizeof(fl.extra), "rate_per_minute = 6000\nrate_burst = 10000\n");
	snprintf(mnt, sizeof(mnt), "%s/store", fl.node[A].dir);
	assert_int_equal(mkdir(mnt, 0700), 0);
	char opts[64];
	snprintf(opts, sizeof(opts), "size=%dk,mode=0700", TMPFS_KB);
	if (mount("tmpfs", mnt, "tmpfs", 0, opts) != 0)
		fail_msg("cannot mount a tmpfs on %s: %s", mnt, strerror(errno));
	mounted = true;
	assert_true(fleet_build(&fl));
	snprintf(filler, sizeof(filler), "%s/filler", mnt);

	/* some signals while there is room */
	for (int k = 0; k < 5; k++) {
		snprintf(desc, sizeof(desc), "rook bij de garages %d", k);
		assert_true(send_code(A, desc, id, code, err));
		idset_add(&acked, id);
		idset_add(&mine_before, id);
	}
	assert_true(fleet_wait_complete(&fl, &acked, 10000, NULL));

	/* the disk fills up: A sends until its store says "full" */
	uint64_t free0 = free_kb(mnt);
	fill(filler, HEADROOM_KB, mnt);
	int sent_ok = 0, tries = 0;
	for (; tries < 3000; tries++) {
		snprintf(desc, sizeof(desc), "rook bij de garages, poging %d", tries);
		if (!send_code(A, desc, id, code, err))
			break;
		sent_ok++;
		idset_add(&acked, id);
		idset_add(&mine_before, id);
	}
	fprintf(stderr, "diskfull: %llu KiB free on the tmpfs before the filler; %d more signals "
			"acknowledged in the last %d KiB, then: %s: %s\n",
		(unsigned long long)free0, sent_ok, HEADROOM_KB, code, err);
	assert_string_equal(code, "full");
	assert_non_null(strstr(err, "full"));
	assert_non_null(strstr(err, "free disk space")); /* the disk, not the cap */
	/* LMDB does not reserve its map on disk (no MDB_WRITEMAP): the data
	 * file is as large as what was written */
	char data[700];
	struct stat sb;
	snprintf(data, sizeof(data), "%s/data.mdb", mnt);
	assert_int_equal(stat(data, &sb), 0);
	fprintf(stderr, "diskfull: data.mdb is %lld KiB (%lld KiB allocated) when the store says full\n",
		(long long)sb.st_size / 1024, (long long)sb.st_blocks / 2);
	assert_true(sb.st_size < (off_t)TMPFS_KB * 1024);
	/* the last free blocks go too: the disk is full */
	fill_up(filler);
	int later_ok = 0, later_full = 0;
	for (int k = 0; k < 20; k++) {
		snprintf(desc, sizeof(desc), "nog een poging %d", k);
		if (send_code(A, desc, id, code, err)) {
			later_ok++;
			idset_add(&acked, id);
			idset_add(&mine_before, id);
			continue;
		}
		later_full++;
		assert_string_equal(code, "full");
	}
	/* LMDB writes copy-on-write into pages freed by earlier transactions,
	 * so on a full disk a commit that needs no new page still succeeds:
	 * what is acknowledged is stored, what is not says "full" */
	fprintf(stderr, "diskfull: with 0 KiB free: %d sends refused as full, %d accepted (those "
			"fitted in pages LMDB had freed)\n",
		later_full, later_ok);
	assert_true(later_full > 0);
	/* the daemon is alive and answers */
	uint64_t failures0 = 0, failures1 = 0, v;
	assert_true(fleet_status_uint(&fl, A, "records", &v));
	assert_true(fleet_counter(&fl, A, "store-failure", &failures0));

	/* neighbour B goes on sending: acknowledged at B, refused by A's store */
	for (int k = 0; k < 3; k++) {
		snprintf(desc, sizeof(desc), "B meldt %d terwijl A vol is", k);
		assert_true(send_code(B, desc, id, code, err));
		idset_add(&acked, id);
		idset_add(&theirs, id);
	}
	uint64_t end = harness_ms() + 10000;
	while (harness_ms() < end && fleet_counter(&fl, A, "store-failure", &failures1) &&
	       failures1 <= failures0)
		usleep(100000);
	assert_true(failures1 > failures0);
	assert_true(file_contains(fl.node[A].log, "store commit failed"));
	/* nothing A acknowledged is lost... */
	assert_int_equal(fleet_missing(&fl, A, &mine_before), 0);
	/* ...also across a crash with the disk still full */
	fleet_stop(&fl, A, SIGKILL);
	fleet_start(&fl, A);
	if (!fleet_ready(&fl, A, 10000))
		fail_msg("A does not start again while its disk is full (see %s)", fl.node[A].log);
	assert_int_equal(fleet_missing(&fl, A, &mine_before), 0);
	if (send_code(A, "na de herstart, nog vol", id, code, err)) {
		idset_add(&acked, id);
		idset_add(&mine_before, id);
	} else {
		assert_string_equal(code, "full");
	}

	/* household C (behind NAT) goes offline; then the space comes back */
	fleet_stop(&fl, C, SIGTERM);
	assert_int_equal(unlink(filler), 0);
	uint64_t t_free = harness_ms();
	assert_true(send_code(A, "weer ruimte: alles in orde", id, code, err));
	idset_add(&acked, id);
	struct idset after = {0};
	idset_add(&after, id);
	/* A catches up what it could not store: B's signals */
	uint64_t took = 0;
	struct fleet *f = &fl;
	bool caught = false;
	end = harness_ms() + 10000;
	while (!(caught = fleet_missing(f, A, &theirs) == 0) && harness_ms() < end)
		usleep(100000);
	took = harness_ms() - t_free;
	fprintf(stderr, "diskfull: after the filler went, A sent at once and held B's %zu signals "
			"after %llu ms\n",
		theirs.n, (unsigned long long)took);
	assert_true(caught);
	/* every acknowledged signal is everywhere — C included, once back */
	fleet_start(&fl, C);
	assert_true(fleet_ready(&fl, C, 10000));
	if (!fleet_wait_complete(&fl, &acked, 3 * 2000 + 4000, &took)) {
		long c_lacks = fleet_missing(f, C, &after);
		fail_msg("not every acknowledged signal reached every household within three "
			 "anti-entropy rounds after the recovery%s",
			 c_lacks == 1 ? " — household C lacks the signal A sent after the recovery "
					"(sequence numbers burned by the refused sends leave a gap "
					"that anti-entropy does not look past)"
				      : "");
	}
	fprintf(stderr, "diskfull: all %zu acknowledged signals at all 4 households %llu ms after C "
			"came back\n",
		acked.n, (unsigned long long)took);
	idset_free(&acked);
	idset_free(&mine_before);
	idset_free(&theirs);
	idset_free(&after);
}

/* ---- the map cap ---- */

static void test_map_cap(void **state)
{
	(void)state;
	faults_seed("mapcap");
	fleet_init(&fl, 1);
	snprintf(fl.extra, sizeof(fl.extra),
		 "max_map_mb = 16\nrate_per_minute = 6000\nrate_burst = 10000\n");
	assert_true(fleet_build(&fl));
	struct hnode *n = &fl.node[0];
	struct identity *id = NULL;
	assert_int_equal(keyfile_read_secret(n->key_path, NULL, &id), 0);
	store_t *st = NULL;
	uint64_t num = 0;
	uint8_t eid[32], key[32];
	assert_int_equal(rawstore_open(&st, n->dir), 0);
	assert_int_equal(rawstore_epoch_key(st, n->pk, id, &num, eid, key), 0);
	store_close(&st);

	/* validly signed signals with long descriptions, 256 per import, until
	 * the store refuses: far more than 16 MiB if it never does */
	char text[1001];
	memset(text, 'x', 1000);
	text[1000] = '\0';
	uint64_t now = (uint64_t)time(NULL), seq = 100000, imported = 0, bytes = 0;
	char code[40] = "", err[300] = "";
	bool full = false;
	for (int batch = 0; batch < 120 && !full; batch++) {
		struct mp_buf b;
		mp_buf_init(&b);
		msgpack_pack_map(&b.pk, 2);
		mpmap_put_str(&b.pk, "op", "import");
		mpmap_put_key(&b.pk, "records");
		msgpack_pack_array(&b.pk, 256);
		for (int k = 0; k < 256; k++) {
			uint8_t *rec;
			size_t len;
			text[0] = (char)('a' + k % 26);
			assert_int_equal(rawrec_signal(id, n->pk, seq++, now, eid, key, text, &rec, &len), 0);
			mp_pack_bin(&b.pk, rec, len);
			bytes += len;
			free(rec);
		}
		struct hreply r;
		assert_true(hnode_call_msg(n, b.sb.data, b.sb.size, &r, 30000));
		mp_buf_destroy(&b);
		if (hreply_ok(&r)) {
			imported += hreply_uint(&r, "stored");
		} else {
			hreply_str(&r, "code", code, sizeof(code));
			hreply_str(&r, "error", err, sizeof(err));
			full = true;
		}
		hreply_free(&r);
	}
	uint64_t store_bytes = 0;
	assert_true(fleet_status_uint(&fl, 0, "store_bytes", &store_bytes));
	fprintf(stderr, "mapcap: max_map_mb = 16: %llu records (%.1f MiB of records) imported, store "
			"%.1f MiB; then %s%s%s\n",
		(unsigned long long)imported, (double)bytes / 1048576.0,
		(double)store_bytes / 1048576.0, full ? code : "no refusal at all", full ? ": " : "",
		err);
	if (!full)
		fail_msg("the store grew to %.1f MiB past max_map_mb = 16 without refusing",
			 (double)store_bytes / 1048576.0);
	assert_string_equal(code, "full");
	assert_true(store_bytes <= 16u << 20);
	if (strstr(err, "max_map_mb") == NULL) /* the cap, not the disk */
		fail_msg("the refusal does not name max_map_mb: %s", err);
	/* a larger cap, and it takes records again */
	fleet_stop(&fl, 0, SIGTERM);
	snprintf(fl.extra, sizeof(fl.extra),
		 "max_map_mb = 64\nrate_per_minute = 6000\nrate_burst = 10000\n");
	fleet_config(&fl, 0);
	fleet_start(&fl, 0);
	assert_true(fleet_ready(&fl, 0, 10000));
	char sid[65];
	assert_true(fleet_send(&fl, 0, "na het vergroten", sid, code));
	identity_free(&id);
}

static int teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < fl.n; i++) /* nothing may hold the tmpfs */
		if (fl.node[i].pid > 0)
			hnode_stop(&fl.node[i], SIGKILL);
	if (mounted) {
		if (umount2(mnt, MNT_DETACH) != 0)
			fprintf(stderr, "diskfull: cannot unmount %s: %s\n", mnt, strerror(errno));
		mounted = false;
	}
	harness_cleanup();
	return 0;
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_tmpfs_full, teardown),
		cmocka_unit_test_teardown(test_map_cap, teardown),
	};
	return cmocka_run_group_tests_name("faults-diskfull", tests, NULL, NULL);
}
