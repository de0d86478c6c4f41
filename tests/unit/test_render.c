/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * The samen CLI without a daemon: what a command line turns into (the
 * request samend would get), what a person sees for canned replies and
 * events, and that nothing from the daemon reaches the terminal raw.
 *
 * client/ is a program, not a library, so its sources are included here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>

#include <cmocka.h>

#include "../../client/args.c"
#include "../../client/cmd_admin.c"
#include "../../client/cmd_signals.c"
#include "../../client/commands.c"
#include "../../client/fields.c"
#include "../../client/render.c"
#include "../../client/render_admin.c"
#include "../../client/render_show.c"
#include "../../client/request.c"
#include "../../client/term.c"
#include "../../proto/json.h"

/* subscribe and announce (client/subscribe.c) talk to a relay, not tested here */
int subscribe_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int announce_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

const struct option subscribe_options[] = {{NULL, 0, NULL, 0}};
const struct option announce_options[] = {{NULL, 0, NULL, 0}};

/* web (client/web.c) runs samen-web, not tested here */
int web_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return 0;
}
const struct option web_options[] = {{NULL, 0, NULL, 0}};

#define NOW 1764000000 /* 2025-11-24 16:00:00 UTC */
#define ID_A "a1b2c3d4" "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"
#define ID_B "b0b0b0b0" "11111111111111111111111111111111111111111111111111111111"
#define KEY "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"

/* ---- helpers ---- */

/* Runs f with stdout and stderr sent to /dev/null (messages are not what
 * these tests look at: exit codes and requests are). */
static int quietly(int (*f)(void *), void *arg)
{
	int out = dup(1), err = dup(2), null = open("/dev/null", O_WRONLY);
	assert_true(out >= 0 && err >= 0 && null >= 0);
	fflush(stdout);
	fflush(stderr);
	dup2(null, 1);
	dup2(null, 2);
	int r = f(arg);
	fflush(stdout);
	fflush(stderr);
	dup2(out, 1);
	dup2(err, 2);
	close(out);
	close(err);
	close(null);
	return r;
}

struct build_call {
	char **argv;
	int argc;
	struct globals g;
	char *json; /* the request, on success */
};

static int do_build(void *p)
{
	struct build_call *b = p;
	const struct command *cmd = commands_find(b->argv[0]);
	struct job j = {0};
	uint8_t *buf = NULL;
	size_t len = 0, n = 0;
	int r;

	assert_non_null(cmd);
	req_init(&j.req, cmd->name);
	r = commands_build(cmd, b->argc, b->argv, &b->g, &j);
	if (r == 0) {
		msgpack_unpacked u;
		FILE *f = open_memstream(&b->json, &n);
		assert_int_equal(req_finish(&j.req, &buf, &len), 0);
		msgpack_unpacked_init(&u);
		/* what samend gets is a valid control frame */
		assert_int_equal(mp_unpack(buf, len, 4, &u), 0);
		assert_int_equal(json_write(f, &u.data), 0);
		fclose(f);
		msgpack_unpacked_destroy(&u);
		free(buf);
	}
	req_destroy(&j.req);
	return r;
}

/* BUILD(rc, json, "send", "-c", ...): the exit code and the request. */
#define BUILD(rc_, json_, ...)                                                \
	do {                                                                  \
		char *argv_[] = {__VA_ARGS__};                                \
		struct build_call b_ = {argv_, (int)(sizeof(argv_) / sizeof(argv_[0])), {0}, NULL}; \
		rc_ = quietly(do_build, &b_);                                 \
		json_ = b_.json;                                              \
	} while (0)

#define EXPECT_REQUEST(text, ...)                        \
	do {                                             \
		int rc__;                                \
		char *json__;                            \
		BUILD(rc__, json__, __VA_ARGS__);        \
		assert_int_equal(rc__, 0);               \
		assert_non_null(json__);                 \
		assert_string_equal(json__, text);       \
		free(json__);                            \
	} while (0)

#define EXPECT_EXIT(code, ...)                           \
	do {                                             \
		int rc__;                                \
		char *json__;                            \
		BUILD(rc__, json__, __VA_ARGS__);        \
		assert_int_equal(rc__, code);            \
		assert_null(json__);                     \
	} while (0)

/* A signal view; fields as PROTOCOL.md section 8 lists them. */
struct vspec {
	const char *event; /* for watch frames, else NULL */
	const char *id, *kind, *category, *severity, *status, *ack, *description, *where,
		*label, *state, *ref;
	uint64_t created;
	bool called112, retracted, point, half_point;
	int looking; /* -1: absent */
	uint64_t shared;
};

static struct vspec vdefault(void)
{
	return (struct vspec){.id = ID_A, .kind = "alert", .category = "break-in-attempt",
			      .severity = "severe", .status = "real", .ack = "none",
			      .description = "man probeert autodeuren", .where = "Lindelaan 12",
			      .label = "Lindelaan", .created = NOW - 120, .looking = -1};
}

static void pack_view(msgpack_packer *pk, const struct vspec *v)
{
	uint32_t n = 17 + !!v->event + !!v->state + (v->looking >= 0) + 3 * v->point +
		     v->half_point;
	msgpack_pack_map(pk, n);
	if (v->event)
		mpmap_put_str(pk, "event", v->event);
	mpmap_put_str(pk, "id", v->id);
	mpmap_put_str(pk, "author", KEY);
	mpmap_put_str(pk, "label", v->label);
	mpmap_put_uint(pk, "seq", 12);
	mpmap_put_uint(pk, "created", v->created);
	mpmap_put_uint(pk, "expires", v->created + 14400);
	mpmap_put_str(pk, "kind", v->kind);
	mpmap_put_str(pk, "category", v->category);
	mpmap_put_str(pk, "severity", v->severity);
	mpmap_put_str(pk, "status", v->status);
	mpmap_put_bool(pk, "called112", v->called112);
	mpmap_put_str(pk, "ack", v->ack);
	mpmap_put_str(pk, "description", v->description);
	mpmap_put_str(pk, "where", v->where);
	if (v->point) {
		mpmap_put_int(pk, "lat_e6", 52090700);
		mpmap_put_int(pk, "lon_e6", -5121400);
		mpmap_put_uint(pk, "radius_m", 150);
	}
	if (v->half_point)
		mpmap_put_int(pk, "lat_e6", 52090700);
	mpmap_put_key(pk, "refs");
	msgpack_pack_array(pk, v->ref ? 1 : 0);
	if (v->ref)
		mp_pack_str(pk, v->ref);
	mpmap_put_uint(pk, "shared_with", v->shared);
	mpmap_put_bool(pk, "retracted", v->retracted);
	if (v->state)
		mpmap_put_str(pk, "state", v->state);
	if (v->looking >= 0)
		mpmap_put_uint(pk, "looking", (uint64_t)v->looking);
}

/* A packed reply, its unpacked form, and what a renderer printed. */
struct canned {
	struct mp_buf b;
	msgpack_unpacked u;
	char *text;
	size_t len;
	struct out o;
};

static void canned_start(struct canned *c)
{
	memset(c, 0, sizeof(*c));
	mp_buf_init(&c->b);
	msgpack_unpacked_init(&c->u);
}

/* Unpacks what was packed and runs render on it; returns its result. */
static int canned_render(struct canned *c, int (*render)(struct out *, const msgpack_object *),
			 unsigned width, bool colour)
{
	int r;
	assert_int_equal(mp_unpack((const uint8_t *)c->b.sb.data, c->b.sb.size, 4, &c->u), 0);
	c->o = (struct out){.f = open_memstream(&c->text, &c->len), .now = NOW,
			    .colour = colour, .width = width};
	assert_non_null(c->o.f);
	r = render(&c->o, &c->u.data);
	fclose(c->o.f);
	if (r < 0)
		print_message("render: %d, bad field %s\n", r, c->o.bad ? c->o.bad : "-");
	return r;
}

static void canned_end(struct canned *c)
{
	free(c->text);
	msgpack_unpacked_destroy(&c->u);
	mp_buf_destroy(&c->b);
}

/* Nothing a terminal would act on: no C0 but newline, no DEL, no C1, no
 * bidi override, and valid UTF-8. */
static void assert_terminal_safe(const char *s, size_t len, bool colour)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (colour && c == 0x1b) {
			/* only samen's own SGR: ESC [ digits ; m */
			size_t k = i + 1;
			assert_true(k < len && s[k] == '[');
			while (++k < len && ((s[k] >= '0' && s[k] <= '9') || s[k] == ';'))
				;
			assert_true(k < len && s[k] == 'm');
			continue;
		}
		assert_false((c < 0x20 && c != '\n') || c == 0x7f);
		if (c == 0xc2 && i + 1 < len)
			assert_false((unsigned char)s[i + 1] >= 0x80 && (unsigned char)s[i + 1] <= 0x9f);
	}
	assert_null(memmem(s, len, "\xe2\x80\xae", 3));
	assert_true(colour || mp_text_ok(s, len));
}

/* ---- argument parsing ---- */

static void test_args_numbers(void **state)
{
	char err[ARGS_ERR_MAX];
	uint64_t v;
	(void)state;
	assert_int_equal(args_uint("--limit", "50", 1, 1000, &v, err, sizeof(err)), 0);
	assert_int_equal(v, 50);
	assert_int_equal(args_uint("--limit", "1000", 1, 1000, &v, err, sizeof(err)), 0);
	assert_int_equal(args_uint("--limit", "1001", 1, 1000, &v, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "--limit: 1001 is out of range (expected 1 to 1000)");
	assert_int_equal(args_uint("--limit", "12x", 1, 1000, &v, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "--limit: '12x' is not a whole number (expected 1 to 1000)");
	assert_int_equal(args_uint("--limit", "", 1, 9, &v, err, sizeof(err)), -EINVAL);
	assert_int_equal(args_uint("--limit", "-1", 0, 9, &v, err, sizeof(err)), -EINVAL);
	assert_int_equal(args_uint("--limit", " 1", 0, 9, &v, err, sizeof(err)), -EINVAL);
	assert_int_equal(args_uint("--limit", "+1", 0, 9, &v, err, sizeof(err)), -EINVAL);
	assert_int_equal(args_uint("--x", "18446744073709551616", 0, UINT64_MAX, &v, err,
				   sizeof(err)), -EINVAL);
	assert_int_equal(args_uint("--x", "18446744073709551615", 0, UINT64_MAX, &v, err,
				   sizeof(err)), 0);
	assert_true(v == UINT64_MAX);
}

static void test_args_durations(void **state)
{
	char err[ARGS_ERR_MAX];
	uint64_t v;
	(void)state;
	assert_int_equal(args_duration("--expires", "30m", 86400 * 30, &v, err, sizeof(err)), 0);
	assert_int_equal(v, 1800);
	assert_int_equal(args_duration("--expires", "4h", 86400 * 30, &v, err, sizeof(err)), 0);
	assert_int_equal(v, 14400);
	assert_int_equal(args_duration("--expires", "2d", 86400 * 30, &v, err, sizeof(err)), 0);
	assert_int_equal(v, 172800);
	assert_int_equal(args_duration("--expires", "90s", 86400 * 30, &v, err, sizeof(err)), 0);
	assert_int_equal(v, 90);
	assert_int_equal(args_duration("--expires", "30d", 86400 * 30, &v, err, sizeof(err)), 0);
	assert_int_equal(args_duration("--expires", "31d", 86400 * 30, &v, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "--expires: 31d is out of range (1s to 30d)");
	assert_int_equal(args_duration("--expires", "4", 86400, &v, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "--expires: '4' needs a unit: s, m, h or d (e.g. 4m or 4h)");
	assert_int_equal(args_duration("--expires", "4w", 86400, &v, err, sizeof(err)), -EINVAL);
	assert_int_equal(args_duration("--expires", "0m", 86400, &v, err, sizeof(err)), -EINVAL);
	assert_int_equal(args_duration("--expires", "4hh", 86400, &v, err, sizeof(err)), -EINVAL);
	assert_int_equal(args_duration("--expires", "h", 86400, &v, err, sizeof(err)), -EINVAL);
	assert_int_equal(args_duration("--expires", "1.5h", 86400, &v, err, sizeof(err)), -EINVAL);
	assert_int_equal(args_duration("--expires", "99999999999999999999d", 86400, &v, err,
				       sizeof(err)), -EINVAL);
	assert_int_equal(args_duration("--expires", "307445734561825860d", UINT64_MAX, &v, err,
				       sizeof(err)), -EINVAL); /* × 86400 overflows */
}

static void test_args_points(void **state)
{
	char err[ARGS_ERR_MAX];
	int32_t lat, lon;
	(void)state;
	assert_int_equal(args_point("--point", "52.0907,5.1214", &lat, &lon, err, sizeof(err)), 0);
	assert_int_equal(lat, 52090700);
	assert_int_equal(lon, 5121400);
	/* exact to the micro-degree: no binary floating point in between */
	assert_int_equal(args_point("--point", "0.000001,-0.000001", &lat, &lon, err, sizeof(err)), 0);
	assert_int_equal(lat, 1);
	assert_int_equal(lon, -1);
	assert_int_equal(args_point("--point", "-90,180", &lat, &lon, err, sizeof(err)), 0);
	assert_int_equal(lat, -90000000);
	assert_int_equal(lon, 180000000);
	assert_int_equal(args_point("--point", "+52.1,-0.5", &lat, &lon, err, sizeof(err)), 0);
	assert_int_equal(lat, 52100000);
	assert_int_equal(lon, -500000);
	assert_int_equal(args_point("--point", "51.999999,4.3", &lat, &lon, err, sizeof(err)), 0);
	assert_int_equal(lat, 51999999);

	assert_int_equal(args_point("--point", "90.000001,0", &lat, &lon, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "--point: latitude 90.000001 is out of range (-90 to 90)");
	assert_int_equal(args_point("--point", "0,-180.5", &lat, &lon, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "--point: longitude -180.5 is out of range (-180 to 180)");
	assert_int_equal(args_point("--point", "52.1234567,5", &lat, &lon, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "--point: latitude '52.1234567' has more than 6 decimals (6 is "
				 "about 10 cm; round it)");
	static const char *const bad[] = {"52.1", "52.1,5,3", "52.1, 5", " 52,5", "52.,5", ".5,5",
					  "5e1,5", "1234,5", "52,", ",5", "--1,5", "0x10,5", ""};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(args_point("--point", bad[i], &lat, &lon, err, sizeof(err)), -EINVAL);
}

static void test_args_ids_keys_text(void **state)
{
	char err[ARGS_ERR_MAX], id[ARGS_ID_LEN], key[KEYTEXT_LEN];
	(void)state;
	assert_int_equal(args_id("ID", "ABCDEF01", id, err, sizeof(err)), 0);
	assert_string_equal(id, "abcdef01");
	assert_int_equal(args_id("ID", ID_A, id, err, sizeof(err)), 0);
	assert_string_equal(id, ID_A);
	assert_int_equal(args_id("ID", "abcdef0", id, err, sizeof(err)), -EINVAL);
	assert_int_equal(args_id("ID", ID_A "0", id, err, sizeof(err)), -EINVAL);
	assert_int_equal(args_id("ID", "abcdefgh", id, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "ID: 'abcdefgh' is not a signal id (expected 8 to 64 hexadecimal "
				 "characters, as 'samen list' shows them)");

	assert_int_equal(args_key("KEY", "  " KEY "\n", key, err, sizeof(err)), 0);
	assert_string_equal(key, KEY);
	assert_int_equal(args_key("KEY", KEY "A", key, err, sizeof(err)), -EINVAL);

	assert_int_equal(args_text("--where", "Lindelaan 12\tbij caf\xc3\xa9", 256, true, err,
				   sizeof(err)), 0);
	assert_int_equal(args_text("--where", "\x1b[2J", 256, true, err, sizeof(err)), -EINVAL);
	assert_int_equal(args_text("--where", "\xff", 256, true, err, sizeof(err)), -EINVAL);
	assert_int_equal(args_text("--where", " \n", 256, true, err, sizeof(err)), -EINVAL);
	assert_int_equal(args_text("--where", "", 256, false, err, sizeof(err)), 0);
	assert_int_equal(args_text("--where", "abcde", 4, false, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "--where is 5 bytes long; at most 4 are allowed (shorten it)");

	/* error messages quote values harmlessly */
	char q[64];
	args_quote("a\x1b[31mb", q, sizeof(q));
	assert_string_equal(q, "a?[31mb");
	args_quote("0123456789012345678901234567890123456789012345678901234567890123456789", q,
		   sizeof(q));
	assert_string_equal(q, "012345678901234567890123456789012345678901234567890123456...");
	args_quote("\xc3\xa9\xc3\xa9\xc3\xa9", q, 6); /* not cut inside a character */
	assert_string_equal(q, "\xc3\xa9...");
}

/* ---- command lines and requests ---- */

static void test_send_requests(void **state)
{
	(void)state;
	EXPECT_REQUEST("{\"op\":\"send\",\"category\":\"break-in-attempt\",\"description\":\"man "
		       "probeert autodeuren\",\"where\":\"Lindelaan 12\"}",
		       "send", "--category", "break-in-attempt", "--where", "Lindelaan 12",
		       "--description", "man probeert autodeuren");
	EXPECT_REQUEST("{\"op\":\"send\",\"category\":\"fire\",\"severity\":\"extreme\","
		       "\"description\":\"rook\",\"where\":\"Kerkpad 3\",\"lat_e6\":52090700,"
		       "\"lon_e6\":-5121400,\"radius_m\":150,\"called112\":true,\"share\":true,"
		       "\"status\":\"exercise\",\"expires_in\":1800,\"kind\":\"update\","
		       "\"refs\":[\"a1b2c3d4\"]}",
		       "send", "-c", "fire", "-w", "Kerkpad 3", "-d", "rook", "--severity", "extreme",
		       "--112-called", "--share", "--exercise", "--expires", "30m", "--point",
		       "52.0907,-5.1214", "--radius", "150", "--update-of", "A1B2C3D4");
	/* options after positional-looking words and global options after the command */
	EXPECT_REQUEST("{\"op\":\"send\",\"category\":\"other\",\"description\":\"d\",\"where\":"
		       "\"w\",\"called112\":true,\"status\":\"test\"}",
		       "send", "--test", "-c", "other", "--json", "-w", "w", "-d", "d",
		       "--called-112", "-s", "/tmp");

	EXPECT_EXIT(EXIT_USAGE, "send", "-w", "w", "-d", "d");
	EXPECT_EXIT(EXIT_USAGE, "send", "-c", "fire", "-d", "d");
	EXPECT_EXIT(EXIT_USAGE, "send", "-c", "fire", "-w", "w");
	EXPECT_EXIT(EXIT_INVALID, "send", "-c", "brand", "-w", "w", "-d", "d");
	EXPECT_EXIT(EXIT_INVALID, "send", "-c", "fire", "-w", "w", "-d", "d", "--severity", "hot");
	EXPECT_EXIT(EXIT_USAGE, "send", "-c", "fire", "-w", "w", "-d", "d", "--test", "--exercise");
	EXPECT_EXIT(EXIT_USAGE, "send", "-c", "fire", "-w", "w", "-d", "d", "--point", "52,5");
	EXPECT_EXIT(EXIT_USAGE, "send", "-c", "fire", "-w", "w", "-d", "d", "--radius", "5");
	EXPECT_EXIT(EXIT_INVALID, "send", "-c", "fire", "-w", "w", "-d", "d", "--point", "52,5",
		    "--radius", "0");
	EXPECT_EXIT(EXIT_INVALID, "send", "-c", "fire", "-w", "w", "-d", "d", "--point", "52,5",
		    "--radius", "100001");
	EXPECT_EXIT(EXIT_INVALID, "send", "-c", "fire", "-w", "w", "-d", "d", "--point", "95,5",
		    "--radius", "10");
	EXPECT_EXIT(EXIT_INVALID, "send", "-c", "fire", "-w", "w", "-d", "d", "--expires", "4");
	EXPECT_EXIT(EXIT_INVALID, "send", "-c", "fire", "-w", "w", "-d", "a\x1b[2Jb");
	EXPECT_EXIT(EXIT_INVALID, "send", "-c", "fire", "-w", "", "-d", "d");
	EXPECT_EXIT(EXIT_INVALID, "send", "-c", "fire", "-w", "w", "-d", "d", "--update-of", "xyz");
	EXPECT_EXIT(EXIT_USAGE, "send", "-c", "fire", "-w", "w", "-d", "d", "--where", "again");
	EXPECT_EXIT(EXIT_USAGE, "send", "-c", "fire", "-w", "w", "-d", "d", "--sevrity", "minor");
	EXPECT_EXIT(EXIT_USAGE, "send", "-c", "fire", "-w", "w", "-d", "d", "stray");
	EXPECT_EXIT(EXIT_USAGE, "send", "-c", "fire", "-w", "w", "-d");
	EXPECT_EXIT(EXIT_DONE, "send", "--help");
	EXPECT_EXIT(EXIT_DONE, "send", "-c", "bogus", "--version");

	/* a description of exactly the maximum is fine, one byte more is not */
	char *big = malloc(TEXT_MAX + 2);
	memset(big, 'x', TEXT_MAX + 1);
	big[TEXT_MAX + 1] = '\0';
	EXPECT_EXIT(EXIT_INVALID, "send", "-c", "fire", "-w", "w", "-d", big);
	big[TEXT_MAX] = '\0';
	int rc;
	char *json;
	BUILD(rc, json, "send", "-c", "fire", "-w", "w", "-d", big);
	assert_int_equal(rc, 0);
	free(json);
	free(big);
}

static void test_other_requests(void **state)
{
	(void)state;
	EXPECT_REQUEST("{\"op\":\"ack\",\"ref\":\"a1b2c3d4\",\"ack\":\"112-called\"}", "ack",
		       "a1b2c3d4", "--called-112");
	EXPECT_REQUEST("{\"op\":\"ack\",\"ref\":\"a1b2c3d4\",\"ack\":\"looking\",\"text\":\"kom eraan\","
		       "\"share\":true}",
		       "ack", "--looking", "a1b2c3d4", "--text", "kom eraan", "--share");
	EXPECT_REQUEST("{\"op\":\"ack\",\"ref\":\"a1b2c3d4\",\"ack\":\"text\",\"text\":\"hond blaft\"}",
		       "ack", "a1b2c3d4", "--text", "hond blaft");
	EXPECT_EXIT(EXIT_USAGE, "ack", "a1b2c3d4");
	EXPECT_EXIT(EXIT_USAGE, "ack", "a1b2c3d4", "--looking", "--called-112");
	EXPECT_EXIT(EXIT_USAGE, "ack", "--looking");
	EXPECT_EXIT(EXIT_USAGE, "ack", "a1b2c3d4", "b1b2c3d4", "--looking");

	EXPECT_REQUEST("{\"op\":\"resolve\",\"ref\":\"" ID_A "\"}", "resolve", ID_A);
	EXPECT_REQUEST("{\"op\":\"resolve\",\"ref\":\"a1b2c3d4\",\"text\":\"weg\",\"share\":true}",
		       "resolve", "a1b2c3d4", "--text", "weg", "--share");
	EXPECT_REQUEST("{\"op\":\"retract\",\"ref\":\"a1b2c3d4\",\"reason\":\"vergissing\"}",
		       "retract", "a1b2c3d4", "--reason", "vergissing");
	EXPECT_EXIT(EXIT_USAGE, "retract", "a1b2c3d4");

	EXPECT_REQUEST("{\"op\":\"list\"}", "list");
	EXPECT_REQUEST("{\"op\":\"list\",\"limit\":5,\"all\":true}", "list", "--all", "--limit", "5");
	EXPECT_EXIT(EXIT_INVALID, "list", "--limit", "0");
	EXPECT_EXIT(EXIT_INVALID, "list", "--limit", "1001");
	EXPECT_REQUEST("{\"op\":\"show\",\"id\":\"a1b2c3d4\"}", "show", "a1b2c3d4");
	EXPECT_EXIT(EXIT_USAGE, "show");
	EXPECT_REQUEST("{\"op\":\"watch\"}", "watch");
	EXPECT_REQUEST("{\"op\":\"peers\"}", "peers");
	EXPECT_REQUEST("{\"op\":\"members\"}", "members");
	EXPECT_REQUEST("{\"op\":\"status\"}", "status");
	EXPECT_REQUEST("{\"op\":\"pending\"}", "pending");
	EXPECT_EXIT(EXIT_USAGE, "status", "now");

	EXPECT_REQUEST("{\"op\":\"invite\"}", "invite");
	EXPECT_REQUEST("{\"op\":\"invite\",\"preapproved\":true,\"hours\":24,\"label\":\"Kerkstraat\"}",
		       "invite", "--preapproved", "--hours", "24", "--label", "Kerkstraat");
	EXPECT_EXIT(EXIT_INVALID, "invite", "--hours", "0");
	EXPECT_EXIT(EXIT_INVALID, "invite", "--label",
		    "12345678901234567890123456789012345678901234567890123456789012345");
	EXPECT_REQUEST("{\"op\":\"join\",\"code\":\"samen-invite-x\",\"label\":\"Kerkstraat\"}",
		       "join", " samen-invite-x\n", "--label", "Kerkstraat");
	EXPECT_EXIT(EXIT_INVALID, "join", "  ");
	EXPECT_REQUEST("{\"op\":\"approve\",\"key\":\"" KEY "\"}", "approve", KEY);
	EXPECT_EXIT(EXIT_INVALID, "approve", "5MX1-VMFM-8JSA-G6V2");
	EXPECT_REQUEST("{\"op\":\"revoke\",\"key\":\"" KEY "\",\"cascade\":true,\"reason\":\"weg\"}",
		       "revoke", KEY, "--cascade", "--reason", "weg");
}

static void test_watch_since(void **state)
{
	int rc;
	char *json;
	(void)state;
	time_t before = time(NULL);
	BUILD(rc, json, "watch", "--since", "1h");
	time_t after = time(NULL);
	assert_int_equal(rc, 0);
	long long since;
	assert_int_equal(sscanf(json, "{\"op\":\"watch\",\"since\":%lld}", &since), 1);
	assert_true(since >= before - 3600 && since <= after - 3600);
	free(json);
	EXPECT_EXIT(EXIT_INVALID, "watch", "--since", "60");
}

/* ---- rendering ---- */

static void test_sent(void **state)
{
	struct canned c;
	(void)state;
	canned_start(&c);
	msgpack_pack_map(&c.b.pk, 3);
	mpmap_put_bool(&c.b.pk, "ok", true);
	mpmap_put_str(&c.b.pk, "id", ID_A);
	mpmap_put_uint(&c.b.pk, "seq", 13);
	assert_int_equal(canned_render(&c, render_sent_alert, 0, false), 0);
	assert_string_equal(c.text, "sent alert a1b2c3d4 (committed)\n");
	canned_end(&c);

	/* an id that is not 64 hex characters is a malformed reply */
	canned_start(&c);
	msgpack_pack_map(&c.b.pk, 2);
	mpmap_put_bool(&c.b.pk, "ok", true);
	mpmap_put_str(&c.b.pk, "id", "a1b2c3d4");
	assert_int_equal(canned_render(&c, render_sent_ack, 0, false), SAMEN_EMALFORMED);
	assert_string_equal(c.o.bad, "id");
	canned_end(&c);
}

static void pack_list(struct canned *c, const struct vspec *v, size_t n)
{
	msgpack_pack_map(&c->b.pk, 2);
	mpmap_put_bool(&c->b.pk, "ok", true);
	mpmap_put_key(&c->b.pk, "signals");
	msgpack_pack_array(&c->b.pk, n);
	for (size_t i = 0; i < n; i++)
		pack_view(&c->b.pk, &v[i]);
}

static void test_list_table(void **state)
{
	struct vspec v[3];
	struct canned c;
	(void)state;
	v[0] = vdefault();
	v[0].state = "112-called";
	v[0].called112 = true;
	v[1] = vdefault();
	v[1].id = ID_B;
	v[1].kind = "ack";
	v[1].ack = "looking";
	v[1].ref = ID_A;
	v[1].created = NOW - 30;
	v[1].label = "Kerkstraat met een lange naam";
	v[1].description = "ik kijk\nnu";
	v[2] = vdefault();
	v[2].created = NOW - 3 * 86400;
	v[2].category = "fire";
	v[2].status = "exercise";
	v[2].state = "open";
	v[2].where = "Hoek Dorpsstraat / Kerkpad, bij de bakker";

	canned_start(&c);
	pack_list(&c, v, 3);
	assert_int_equal(canned_render(&c, render_list, 0, false), 0);
	assert_string_equal(
		c.text,
		"ID        AGE        KIND   CATEGORY          STATE       WHERE                     "
		"LABEL             DESCRIPTION\n"
		"a1b2c3d4  2 min ago  alert  break-in-attempt  112-called  Lindelaan 12              "
		"Lindelaan         man probeert autodeuren\n"
		"b0b0b0b0  just now   ack    break-in-attempt  -           Lindelaan 12              "
		"Kerkstraat met \xe2\x80\xa6  looking: ik kijk nu\n"
		"a1b2c3d4  3 d ago    alert  fire              expired     Hoek Dorpsstraat / Kerk\xe2\x80\xa6  "
		"Lindelaan         [EXERCISE] man probeert autodeuren\n");
	canned_end(&c);

	/* on a 100-column terminal WHERE and LABEL give way first, and the
	 * description is cut with an ellipsis */
	canned_start(&c);
	pack_list(&c, v + 1, 2);
	assert_int_equal(canned_render(&c, render_list, 100, false), 0);
	assert_string_equal(
		c.text,
		"ID        AGE       KIND   CATEGORY          STATE    WHERE         LABEL       "
		"DESCRIPTION\n"
		"b0b0b0b0  just now  ack    break-in-attempt  -        Lindelaan 12  Kerkstraa\xe2\x80\xa6  "
		"looking: ik kijk nu\n"
		"a1b2c3d4  3 d ago   alert  fire              expired  Hoek Dorpss\xe2\x80\xa6  Lindelaan   "
		"[EXERCISE] man prob\xe2\x80\xa6\n");
	canned_end(&c);

	canned_start(&c);
	pack_list(&c, v, 0);
	assert_int_equal(canned_render(&c, render_list, 0, false), 0);
	assert_string_equal(c.text, "no signals (samen list --all also shows expired and "
				    "retracted ones)\n");
	canned_end(&c);
}

static void test_show(void **state)
{
	struct vspec sig = vdefault(), reply = vdefault();
	struct canned c;
	(void)state;
	sig.state = "open";
	sig.looking = 2;
	sig.point = true;
	sig.shared = 1;
	sig.description = "regel een\nregel twee";
	reply.id = ID_B;
	reply.kind = "ack";
	reply.ack = "112-called";
	reply.called112 = true;
	reply.ref = ID_A;
	reply.label = "Kerkstraat";
	reply.created = NOW - 60;
	reply.description = "politie komt";

	canned_start(&c);
	msgpack_pack_map(&c.b.pk, 3);
	mpmap_put_bool(&c.b.pk, "ok", true);
	mpmap_put_key(&c.b.pk, "signal");
	pack_view(&c.b.pk, &sig);
	mpmap_put_key(&c.b.pk, "thread");
	msgpack_pack_array(&c.b.pk, 1);
	pack_view(&c.b.pk, &reply);
	assert_int_equal(canned_render(&c, render_show, 0, false), 0);
	assert_string_equal(c.text,
			    "ALERT a1b2c3d4  break-in-attempt, severe  [open]\n"
			    "  where         Lindelaan 12  (52.090700, -5.121400, radius 150 m)\n"
			    "  what          regel een\n"
			    "                regel twee\n"
			    "  from          Lindelaan (" KEY ", seq 12)\n"
			    "  sent          2025-11-24 15:58 (2 min ago)\n"
			    "  expires       2025-11-24 19:58 (in 3 h 58 min)\n"
			    "  112 called    no\n"
			    "  looking       2 households\n"
			    "  shared        with 1 authority\n"
			    "  status        real\n"
			    "  id            " ID_A "\n"
			    "thread (1 reply):\n"
			    "  1 min ago   b0b0b0b0  ack: 112-called  by Kerkstraat\n"
			    "                        politie komt\n");
	canned_end(&c);
}

static int render_one_event(struct canned *c, const struct vspec *v, bool colour)
{
	canned_start(c);
	pack_view(&c->b.pk, v);
	return canned_render(c, render_event, 0, colour);
}

static void test_watch_events(void **state)
{
	struct vspec v = vdefault();
	struct canned c;
	(void)state;
	v.event = "signal";
	v.created = NOW;
	v.called112 = true;
	v.point = true;
	assert_int_equal(render_one_event(&c, &v, false), 0);
	assert_string_equal(c.text, "[16:00] ALERT break-in-attempt, severe - Lindelaan 12\n"
				    "  man probeert autodeuren\n"
				    "  by Lindelaan, 112 called, near 52.090700, -5.121400 (150 m), "
				    "id a1b2c3d4\n\n");
	canned_end(&c);

	/* colour only when asked for; drills are marked */
	v.status = "test";
	assert_int_equal(render_one_event(&c, &v, true), 0);
	assert_non_null(strstr(c.text, "\033[1;31m[TEST] ALERT"));
	canned_end(&c);

	v = vdefault();
	v.event = "signal";
	v.kind = "all-clear";
	v.ref = ID_B;
	v.id = ID_A;
	v.created = NOW - 2 * 86400; /* another day: the date is shown */
	v.description = "";
	assert_int_equal(render_one_event(&c, &v, false), 0);
	assert_string_equal(c.text, "[2025-11-22 16:00] ALL-CLEAR on b0b0b0b0 - Lindelaan 12\n"
				    "  by Lindelaan, id a1b2c3d4\n\n");
	canned_end(&c);

	/* an announcement */
	canned_start(&c);
	msgpack_pack_map(&c.b.pk, 9);
	mpmap_put_str(&c.b.pk, "event", "announcement");
	mpmap_put_str(&c.b.pk, "id", ID_B);
	mpmap_put_str(&c.b.pk, "author", KEY);
	mpmap_put_str(&c.b.pk, "label", "Politie Utrecht");
	mpmap_put_uint(&c.b.pk, "created", NOW);
	mpmap_put_uint(&c.b.pk, "expires", NOW + 3600);
	mpmap_put_str(&c.b.pk, "kind", "lookout");
	mpmap_put_str(&c.b.pk, "text", "Let op: grijze bestelbus");
	mpmap_put_str(&c.b.pk, "where", "Wijk Oost");
	assert_int_equal(canned_render(&c, render_event, 0, false), 0);
	assert_string_equal(c.text, "[16:00] AUTHORITY: LOOK OUT - Wijk Oost\n"
				    "  Let op: grijze bestelbus\n"
				    "  from Politie Utrecht, id b0b0b0b0\n\n");
	canned_end(&c);

	/* an event type this samen does not know */
	canned_start(&c);
	msgpack_pack_map(&c.b.pk, 1);
	mpmap_put_str(&c.b.pk, "event", "party");
	assert_int_equal(canned_render(&c, render_event, 0, false), SAMEN_EKIND);
	canned_end(&c);
}

/* Whatever bytes the daemon sends, none that a terminal acts on come out. */
static void test_hostile_text(void **state)
{
	static const char nasty[] = "a\x1b]0;pwned\x07 b\rc\x7f d\xc2\x9b" "31m e\xe2\x80\xaeh f\xff"
				    "g\tz\x01";
	struct vspec v = vdefault();
	struct canned c;
	(void)state;
	v.description = nasty;
	v.where = nasty;
	v.label = nasty;
	v.state = "open";
	v.event = "signal";
	for (int colour = 0; colour < 2; colour++) {
		assert_int_equal(render_one_event(&c, &v, colour), 0);
		assert_terminal_safe(c.text, c.len, colour);
		assert_non_null(strstr(c.text, "a?]0;pwned? b?c? d?31m e?h f?g z?"));
		canned_end(&c);
	}
	canned_start(&c);
	pack_list(&c, &v, 1);
	assert_int_equal(canned_render(&c, render_list, 0, false), 0);
	assert_terminal_safe(c.text, c.len, false);
	canned_end(&c);
	canned_start(&c);
	pack_list(&c, &v, 1);
	assert_int_equal(canned_render(&c, render_list, 90, false), 0);
	assert_terminal_safe(c.text, c.len, false);
	canned_end(&c);
}

/* Invisible characters that would make one label or place read as another
 * (zero-width, bidi marks and isolates, separators, BOM, tags): each is a
 * '?' on the terminal, in events, lists and plain term_text(). */
#define RLM "\xe2\x80\x8f"   /* U+200F */
#define LSEP "\xe2\x80\xa8"  /* U+2028 */
#define ZWSP "\xe2\x80\x8b"  /* U+200B */
#define BOM "\xef\xbb\xbf"   /* U+FEFF */
#define RLI "\xe2\x81\xa7"   /* U+2067 */
#define TAG_A "\xf3\xa0\x81\x81" /* U+E0041 */
static void assert_no_invisible(const char *s, size_t len)
{
	static const char *const seqs[] = {RLM, LSEP, ZWSP, BOM, RLI, TAG_A,
					   "\xe2\x80\xae", "\xe2\x80\xa9"};
	for (size_t i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++)
		assert_null(memmem(s, len, seqs[i], strlen(seqs[i])));
}

static void test_invisible_text(void **state)
{
	struct vspec v = vdefault();
	struct canned c;
	char *text;
	size_t len;
	(void)state;

	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	assert_int_equal(term_text(f, "Linde" RLM "laan", strlen("Linde" RLM "laan"), true), 10);
	fputc('|', f);
	term_text(f, "12" LSEP "34" ZWSP "5" BOM "6" RLI "7" TAG_A "8",
		  strlen("12" LSEP "34" ZWSP "5" BOM "6" RLI "7" TAG_A "8"), false);
	fclose(f);
	assert_string_equal(text, "Linde?laan|12?34?5?6?7?8");
	free(text);

	v.label = "Linde" RLM "laan";
	v.where = "Kerkstraat" LSEP "ALL-CLEAR";
	v.description = "man" ZWSP "probeert" BOM "deuren" TAG_A;
	v.event = "signal";
	v.state = "open";
	for (int colour = 0; colour < 2; colour++) {
		assert_int_equal(render_one_event(&c, &v, colour), 0);
		assert_no_invisible(c.text, c.len);
		assert_terminal_safe(c.text, c.len, colour);
		assert_non_null(strstr(c.text, "Kerkstraat?ALL-CLEAR"));
		assert_non_null(strstr(c.text, "man?probeert?deuren?"));
		assert_non_null(strstr(c.text, "by Linde?laan"));
		canned_end(&c);
	}
	canned_start(&c);
	pack_list(&c, &v, 1);
	assert_int_equal(canned_render(&c, render_list, 0, false), 0);
	assert_no_invisible(c.text, c.len);
	assert_non_null(strstr(c.text, "Kerkstraat?ALL-CLEAR"));
	canned_end(&c);
}

static void test_malformed_views(void **state)
{
	struct vspec v = vdefault();
	struct canned c;
	(void)state;
	/* a view without "author" */
	canned_start(&c);
	msgpack_pack_map(&c.b.pk, 2);
	mpmap_put_bool(&c.b.pk, "ok", true);
	mpmap_put_key(&c.b.pk, "signals");
	msgpack_pack_array(&c.b.pk, 1);
	msgpack_pack_map(&c.b.pk, 1);
	mpmap_put_str(&c.b.pk, "id", ID_A);
	assert_int_equal(canned_render(&c, render_list, 0, false), SAMEN_EMALFORMED);
	assert_string_equal(c.o.bad, "author");
	canned_end(&c);

	/* "signals" that is not an array */
	canned_start(&c);
	msgpack_pack_map(&c.b.pk, 2);
	mpmap_put_bool(&c.b.pk, "ok", true);
	mpmap_put_str(&c.b.pk, "signals", "none");
	assert_int_equal(canned_render(&c, render_list, 0, false), SAMEN_EMALFORMED);
	assert_string_equal(c.o.bad, "signals");
	canned_end(&c);

	/* a point half given */
	v.event = "signal";
	v.half_point = true;
	canned_start(&c);
	pack_view(&c.b.pk, &v);
	assert_int_equal(canned_render(&c, render_event, 0, false), SAMEN_EMALFORMED);
	assert_string_equal(c.o.bad, "lon_e6");
	canned_end(&c);
}

/* A status reply with no counters, for the rows that depend on role. */
static void status_reply(struct canned *c, const char *nbhd, const char *role)
{
	msgpack_pack_map(&c->b.pk, 10);
	mpmap_put_bool(&c->b.pk, "ok", true);
	mpmap_put_key(&c->b.pk, "counters");
	msgpack_pack_map(&c->b.pk, 0);
	mpmap_put_str(&c->b.pk, "key", KEY);
	mpmap_put_str(&c->b.pk, "fingerprint", "5MX1-VMFM-8JSA-G6V2");
	mpmap_put_str(&c->b.pk, "nbhd", nbhd);
	mpmap_put_str(&c->b.pk, "role", role);
	mpmap_put_uint(&c->b.pk, "links", 0);
	mpmap_put_uint(&c->b.pk, "records", 12);
	mpmap_put_uint(&c->b.pk, "store_bytes", 1024);
	mpmap_put_uint(&c->b.pk, "epoch", 0);
}

static void test_status_and_tables(void **state)
{
	struct canned c;
	(void)state;
	canned_start(&c);
	msgpack_pack_map(&c.b.pk, 12);
	mpmap_put_bool(&c.b.pk, "ok", true);
	mpmap_put_uint(&c.b.pk, "uptime", 3600); /* not in PROTOCOL.md: shown by name */
	mpmap_put_str(&c.b.pk, "join", "");      /* empty: not shown */
	mpmap_put_str(&c.b.pk, "key", KEY);
	mpmap_put_str(&c.b.pk, "fingerprint", "5MX1-VMFM-8JSA-G6V2");
	mpmap_put_str(&c.b.pk, "nbhd", KEY);
	mpmap_put_str(&c.b.pk, "role", "coordinator");
	mpmap_put_uint(&c.b.pk, "links", 3);
	mpmap_put_uint(&c.b.pk, "records", 1234);
	mpmap_put_uint(&c.b.pk, "store_bytes", 1572864);
	mpmap_put_uint(&c.b.pk, "epoch", 4);
	mpmap_put_key(&c.b.pk, "counters");
	msgpack_pack_map(&c.b.pk, 2);
	mpmap_put_uint(&c.b.pk, "bad-signature", 2);
	mpmap_put_uint(&c.b.pk, "expired", 0);
	assert_int_equal(canned_render(&c, render_status, 0, false), 0);
	assert_string_equal(c.text, "key            " KEY "\n"
				    "fingerprint    5MX1-VMFM-8JSA-G6V2\n"
				    "neighbourhood  " KEY "\n"
				    "role           coordinator\n"
				    "epoch          4\n"
				    "links          3\n"
				    "records        1234\n"
				    "store          1.5 MiB\n"
				    "uptime         1 h 0 min\n"
				    "counters       bad-signature 2\n");
	canned_end(&c);

	/* a relay is told what it serves, not to join */
	canned_start(&c);
	status_reply(&c, "", "relay");
	assert_int_equal(canned_render(&c, render_status, 0, false), 0);
	assert_non_null(strstr(c.text, "neighbourhood  none (a relay serves the neighbourhoods its "
					"config names)\n"));
	assert_null(strstr(c.text, "samen join"));
	canned_end(&c);

	/* a revoked household is told what that means */
	canned_start(&c);
	status_reply(&c, KEY, "revoked");
	assert_int_equal(canned_render(&c, render_status, 0, false), 0);
	assert_non_null(strstr(c.text, "role           revoked: a coordinator removed this key"));
	canned_end(&c);

	canned_start(&c);
	msgpack_pack_map(&c.b.pk, 2);
	mpmap_put_bool(&c.b.pk, "ok", true);
	mpmap_put_key(&c.b.pk, "members");
	msgpack_pack_array(&c.b.pk, 1);
	msgpack_pack_map(&c.b.pk, 5);
	mpmap_put_str(&c.b.pk, "key", KEY);
	mpmap_put_str(&c.b.pk, "fingerprint", "5MX1-VMFM-8JSA-G6V2");
	mpmap_put_uint(&c.b.pk, "role", 2); /* a number is shown by its name */
	mpmap_put_str(&c.b.pk, "label", "Lindelaan");
	mpmap_put_uint(&c.b.pk, "not_after", 1795536000);
	assert_int_equal(canned_render(&c, render_members, 0, false), 0);
	assert_string_equal(c.text,
			    "ROLE         LABEL             FINGERPRINT          VALID UNTIL  KEY\n"
			    "coordinator  Lindelaan         5MX1-VMFM-8JSA-G6V2  2026-11-24   " KEY "\n"
			    "1 member\n");
	canned_end(&c);

	canned_start(&c);
	msgpack_pack_map(&c.b.pk, 2);
	mpmap_put_bool(&c.b.pk, "ok", true);
	mpmap_put_key(&c.b.pk, "peers");
	msgpack_pack_array(&c.b.pk, 1);
	msgpack_pack_map(&c.b.pk, 6);
	mpmap_put_str(&c.b.pk, "key", KEY);
	mpmap_put_str(&c.b.pk, "label", "relay");
	mpmap_put_str(&c.b.pk, "endpoint", "tcp://192.0.2.7:7400");
	mpmap_put_str(&c.b.pk, "direction", "out");
	mpmap_put_bool(&c.b.pk, "up", true);
	mpmap_put_uint(&c.b.pk, "since", NOW - 300);
	assert_int_equal(canned_render(&c, render_peers, 0, false), 0);
	assert_string_equal(c.text,
			    "LINK  DIR  LABEL             ENDPOINT                      SINCE        KEY\n"
			    "up    out  relay             tcp://192.0.2.7:7400          5 min ago    " KEY "\n"
			    "1 peer, 1 up\n");
	canned_end(&c);

	canned_start(&c);
	msgpack_pack_map(&c.b.pk, 2);
	mpmap_put_bool(&c.b.pk, "ok", true);
	mpmap_put_str(&c.b.pk, "state", "member");
	assert_int_equal(canned_render(&c, render_join, 0, false), 0);
	assert_string_equal(c.text, "joined: this household is now a member of the neighbourhood\n");
	canned_end(&c);

	canned_start(&c);
	msgpack_pack_map(&c.b.pk, 3);
	mpmap_put_bool(&c.b.pk, "ok", true);
	mpmap_put_str(&c.b.pk, "id", ID_B);
	mpmap_put_uint(&c.b.pk, "epoch", 5);
	assert_int_equal(canned_render(&c, render_revoke, 0, false), 0);
	assert_string_equal(c.text, "revoked: revocation b0b0b0b0 (committed); new epoch 5\n");
	canned_end(&c);
}

/* What samend 0.1 sends beside PROTOCOL.md: sealed views, the signal event
 * nested under "signal", members without not_after, peers' since as an age. */
static void test_daemon_variants(void **state)
{
	struct vspec v = vdefault();
	struct canned c;
	(void)state;

	/* a view this household cannot decrypt */
	canned_start(&c);
	msgpack_pack_map(&c.b.pk, 2);
	mpmap_put_bool(&c.b.pk, "ok", true);
	mpmap_put_key(&c.b.pk, "signals");
	msgpack_pack_array(&c.b.pk, 1);
	msgpack_pack_map(&c.b.pk, 9);
	mpmap_put_str(&c.b.pk, "id", ID_B);
	mpmap_put_str(&c.b.pk, "author", KEY);
	mpmap_put_str(&c.b.pk, "label", "");
	mpmap_put_uint(&c.b.pk, "seq", 3);
	mpmap_put_uint(&c.b.pk, "created", NOW - 600);
	mpmap_put_uint(&c.b.pk, "expires", NOW + 600);
	mpmap_put_uint(&c.b.pk, "shared_with", 0);
	mpmap_put_bool(&c.b.pk, "retracted", false);
	mpmap_put_bool(&c.b.pk, "readable", false);
	assert_int_equal(canned_render(&c, render_list, 0, false), 0);
	assert_string_equal(c.text, "ID        AGE         KIND    CATEGORY  STATE  WHERE  LABEL  "
				    "DESCRIPTION\n"
				    "b0b0b0b0  10 min ago  sealed  -         -             -      "
				    "(cannot be read here: no key for its epoch)\n");
	canned_end(&c);

	/* the signal event as samend 0.1 nests it */
	canned_start(&c);
	msgpack_pack_map(&c.b.pk, 2);
	mpmap_put_str(&c.b.pk, "event", "signal");
	mpmap_put_key(&c.b.pk, "signal");
	v.created = NOW;
	pack_view(&c.b.pk, &v);
	assert_int_equal(canned_render(&c, render_event, 0, false), 0);
	assert_string_equal(c.text, "[16:00] ALERT break-in-attempt, severe - Lindelaan 12\n"
				    "  man probeert autodeuren\n"
				    "  by Lindelaan, id a1b2c3d4\n\n");
	canned_end(&c);

	canned_start(&c);
	msgpack_pack_map(&c.b.pk, 3);
	mpmap_put_bool(&c.b.pk, "ok", true);
	mpmap_put_key(&c.b.pk, "members");
	msgpack_pack_array(&c.b.pk, 1);
	msgpack_pack_map(&c.b.pk, 4);
	mpmap_put_str(&c.b.pk, "key", KEY);
	mpmap_put_str(&c.b.pk, "fingerprint", "5MX1-VMFM-8JSA-G6V2");
	mpmap_put_str(&c.b.pk, "role", "founder");
	mpmap_put_str(&c.b.pk, "label", "founder");
	mpmap_put_key(&c.b.pk, "peers");
	msgpack_pack_array(&c.b.pk, 1);
	msgpack_pack_map(&c.b.pk, 6);
	mpmap_put_str(&c.b.pk, "key", KEY);
	mpmap_put_str(&c.b.pk, "label", "");
	mpmap_put_str(&c.b.pk, "endpoint", "");
	mpmap_put_str(&c.b.pk, "direction", "in");
	mpmap_put_bool(&c.b.pk, "up", false);
	mpmap_put_uint(&c.b.pk, "since", 7200); /* seconds ago */
	assert_int_equal(canned_render(&c, render_members, 0, false), 0);
	assert_string_equal(c.text,
			    "ROLE         LABEL             FINGERPRINT          VALID UNTIL  KEY\n"
			    "founder      founder           5MX1-VMFM-8JSA-G6V2  -            " KEY "\n"
			    "1 member\n");
	free(c.text);
	c.text = NULL;
	c.o = (struct out){.f = open_memstream(&c.text, &c.len), .now = NOW};
	assert_int_equal(render_peers(&c.o, &c.u.data), 0);
	fclose(c.o.f);
	assert_string_equal(c.text,
			    "LINK  DIR  LABEL             ENDPOINT                      SINCE        KEY\n"
			    "down  in                     -                             2 h ago      " KEY "\n"
			    "1 peer, 0 up\n");
	canned_end(&c);
}

static void test_times_and_sizes(void **state)
{
	char b[64];
	(void)state;
	term_age(b, sizeof(b), NOW, NOW);
	assert_string_equal(b, "just now");
	term_age(b, sizeof(b), NOW, NOW - 59);
	assert_string_equal(b, "just now");
	term_age(b, sizeof(b), NOW, NOW - 120);
	assert_string_equal(b, "2 min ago");
	term_age(b, sizeof(b), NOW, NOW - 3 * 3600 - 1);
	assert_string_equal(b, "3 h ago");
	term_age(b, sizeof(b), NOW, NOW - 5 * 86400);
	assert_string_equal(b, "5 d ago");
	term_age(b, sizeof(b), NOW, NOW + 600); /* a clock ahead of ours */
	assert_string_equal(b, "in 10 min");
	term_span(b, sizeof(b), 3 * 3600 + 58 * 60 + 5);
	assert_string_equal(b, "3 h 58 min");
	term_bytes(b, sizeof(b), 512);
	assert_string_equal(b, "512 bytes");
	term_bytes(b, sizeof(b), 1536);
	assert_string_equal(b, "1.5 KiB");
	term_bytes(b, sizeof(b), UINT64_MAX);
	assert_string_equal(b, "16777215.9 TiB");
	term_point(b, sizeof(b), -500000, 180000000);
	assert_string_equal(b, "-0.500000, 180.000000");
	term_point(b, sizeof(b), INT32_MIN, 0);
	assert_string_equal(b, "-2147.483648, 0.000000");
}

static void test_cells(void **state)
{
	char *text;
	size_t len;
	(void)state;
	FILE *f = open_memstream(&text, &len);
	term_cell(f, "Kerkstraat", 10, 6);
	term_cell(f, "caf\xc3\xa9", 5, 6);
	assert_int_equal(term_line(f, "abcdef", 6, 1), 1);
	fclose(f);
	assert_string_equal(text, "Kerks\xe2\x80\xa6  caf\xc3\xa9    \xe2\x80\xa6");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_args_numbers),
		cmocka_unit_test(test_args_durations),
		cmocka_unit_test(test_args_points),
		cmocka_unit_test(test_args_ids_keys_text),
		cmocka_unit_test(test_send_requests),
		cmocka_unit_test(test_other_requests),
		cmocka_unit_test(test_watch_since),
		cmocka_unit_test(test_sent),
		cmocka_unit_test(test_list_table),
		cmocka_unit_test(test_show),
		cmocka_unit_test(test_watch_events),
		cmocka_unit_test(test_hostile_text),
		cmocka_unit_test(test_invisible_text),
		cmocka_unit_test(test_malformed_views),
		cmocka_unit_test(test_status_and_tables),
		cmocka_unit_test(test_daemon_variants),
		cmocka_unit_test(test_times_and_sizes),
		cmocka_unit_test(test_cells),
	};
	/* local times in the expected output are UTC */
	setenv("TZ", "UTC", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
