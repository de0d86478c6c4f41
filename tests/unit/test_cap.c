/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * CAP 1.2 output: every signal kind, status and shape is rendered to a file
 * and validated against the OASIS schema with xmllint; then the mapping is
 * checked field by field.
 *
 * Run from the repository root: the schema is the repository's own copy,
 * tests/data/cap/CAP-v1.2.xsd (see its README). xmllint comes from
 * Debian's libxml2-utils (`make deps`). Either one missing fails the tests.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../proto/cap.h"
#include "../../proto/mp.h"
#include "../../proto/signal.h"
#include "../support/capcheck.h"

#define SCHEMA "tests/data/cap/CAP-v1.2.xsd"
#define EXAMPLE "tests/data/cap/example-amber-alert.xml"

#define CREATED 1714578007ULL /* 2024-05-01T15:40:07Z */
#define CREATED_TEXT "2024-05-01T15:40:07-00:00"
#define EXPIRES (CREATED + 14400)
#define EXPIRES_TEXT "2024-05-01T19:40:07-00:00"
#define SENDER "samen:VGhpcyBpcyBub3QgYSByZWFsIGtleSwganVzdCB0ZXh0"
#define AUTHOR2 "samen:QW5vdGhlciBob3VzZWhvbGQsIGFub3RoZXIga2V5IQ"

static uint8_t id_this[32], id_ref1[32], id_ref2[32];
static char hex_this[65], hex_ref1[65], hex_ref2[65];

static void tohex(const uint8_t *b, char *out)
{
	for (int i = 0; i < 32; i++)
		(void)snprintf(out + 2 * i, 3, "%02x", b[i]);
}

static int setup(void **state)
{
	(void)state;
	for (int i = 0; i < 32; i++) {
		id_this[i] = (uint8_t)(i * 7 + 1);
		id_ref1[i] = (uint8_t)(0xa0 + i);
		id_ref2[i] = (uint8_t)(0xff - i);
	}
	tohex(id_this, hex_this);
	tohex(id_ref1, hex_ref1);
	tohex(id_ref2, hex_ref2);
	return 0;
}

/* --- running xmllint ---------------------------------------------------- */

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Why xmllint could not run, when xmllint() returns -1. */
static char lint_problem[256];

/* Runs xmllint --noout --schema SCHEMA path (output to a log file, shown
 * on failure when verbose) and returns its exit status, or -1 (with
 * lint_problem set) if the schema or xmllint itself is missing. */
static int xmllint(const char *path, int verbose)
{
	char log[PATH_MAX];
	char *argv[] = {"xmllint", "--noout", "--schema", SCHEMA, (char *)path, NULL};
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int rc, status;

	if (access(SCHEMA, R_OK) != 0) {
		(void)snprintf(lint_problem, sizeof(lint_problem),
			       "CAP schema %s not found: run the tests from the repository "
			       "root of a complete checkout", SCHEMA);
		return -1;
	}
	(void)snprintf(log, sizeof(log), "%s.log", path);
	assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
	assert_int_equal(posix_spawn_file_actions_addopen(&fa, 1, log,
							  O_WRONLY | O_CREAT | O_TRUNC, 0600), 0);
	assert_int_equal(posix_spawn_file_actions_adddup2(&fa, 1, 2), 0);
	rc = posix_spawnp(&pid, "xmllint", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		unlink(log);
		(void)snprintf(lint_problem, sizeof(lint_problem),
			       "cannot run xmllint (%s): install libxml2-utils (`make deps`)",
			       strerror(rc));
		return -1;
	}
	while (waitpid(pid, &status, 0) < 0)
		assert_int_equal(errno, EINTR);
	if (!WIFEXITED(status) || WEXITSTATUS(status) == 127) {
		unlink(log);
		(void)snprintf(lint_problem, sizeof(lint_problem),
			       "xmllint did not run (wait status %d): install libxml2-utils "
			       "(`make deps`)", status);
		return -1;
	}
	rc = WEXITSTATUS(status);
	if (rc != 0 && verbose) {
		char *text = slurp(log);
		print_error("xmllint %s:\n%s", path, text);
		free(text);
	}
	unlink(log);
	return rc;
}

static void temp_path(char *out, size_t cap)
{
	const char *dir = getenv("TMPDIR");
	int fd;

	(void)snprintf(out, cap, "%s/samen-cap-XXXXXX", dir && dir[0] ? dir : "/tmp");
	fd = mkstemp(out);
	assert_true(fd >= 0);
	close(fd);
}

/* Renders in into a temporary file; returns cap_write's result and the
 * file's whole text (free it); the file is removed. When want_valid, the
 * file must also pass the schema. */
static int render(const struct cap_input *in, char **text, int want_valid)
{
	char path[PATH_MAX];
	FILE *f;
	int rc;

	temp_path(path, sizeof(path));
	f = fopen(path, "w");
	assert_non_null(f);
	rc = cap_write(f, in);
	assert_int_equal(fclose(f), 0);
	*text = slurp(path);
	if (want_valid && rc != 0) {
		unlink(path);
		free(*text);
		fail_msg("cap_write returned %d (%s)", rc, samen_strerror(rc));
	}
	if (want_valid) {
		int lint = xmllint(path, 1);
		if (lint != 0) {
			unlink(path);
			if (lint < 0)
				fail_msg("%s", lint_problem);
			print_error("document:\n%s", *text);
			free(*text);
			fail_msg("the CAP document does not validate against %s", SCHEMA);
		}
		char why[512];
		if (capcheck(*text, why, sizeof(why)) != 0) {
			unlink(path);
			print_error("document:\n%s", *text);
			free(*text);
			fail_msg("beyond the schema: %s", why);
		}
	}
	unlink(path);
	return rc;
}

/* (not inlined: GCC 12 then takes the returned buffer for a pointer to the
 * local that held it, -Wdangling-pointer) */
__attribute__((noinline)) static char *valid_doc(const struct cap_input *in)
{
	char *text;
	assert_int_equal(render(in, &text, 1), 0);
	return text;
}

#define HAS(doc, s)                                                              \
	do {                                                                     \
		if (!strstr((doc), (s)))                                         \
			fail_msg("expected %s in:\n%s", (s), (doc));             \
	} while (0)
#define HAS_NOT(doc, s)                                                          \
	do {                                                                     \
		if (strstr((doc), (s)))                                          \
			fail_msg("did not expect %s in:\n%s", (s), (doc));       \
	} while (0)

/* --- fixtures ----------------------------------------------------------- */

static void plain(struct signal_plain *p, uint8_t kind, bool point)
{
	memset(p, 0, sizeof(*p));
	p->kind = kind;
	p->category = CAT_BREAKIN_ATTEMPT;
	p->severity = SEV_SEVERE;
	p->status = STATUS_REAL;
	p->called112 = kind == SIG_ALERT;
	strcpy(p->description, "Iemand probeert autodeuren, loopt richting park");
	strcpy(p->where, "Lindelaan, hoek Beukenstraat");
	if (point) {
		p->has_point = true;
		p->lat_e6 = 52090737;
		p->lon_e6 = 5121420;
		p->radius_m = 150;
	}
}

static struct cap_ref refs[2];

static void input(struct cap_input *in, const struct signal_plain *p)
{
	memset(in, 0, sizeof(*in));
	in->id = id_this;
	in->sender = SENDER;
	in->sender_label = "Familie de Vries";
	in->nbhd_name = "Wijk Lindelaan";
	in->created = CREATED;
	in->expires = EXPIRES;
	in->p = p;
	refs[0] = (struct cap_ref){id_ref1, AUTHOR2, CREATED - 600};
	refs[1] = (struct cap_ref){id_ref2, SENDER, CREATED - 300};
	if (p->kind != SIG_ALERT) {
		in->refs = refs;
		in->n_refs = 1;
	}
}

/* --- the schema check itself -------------------------------------------- */

/* The standard's own example passes, and a document with a "Z" time (which
 * the schema's pattern excludes) fails: xmllint really checks. */
static void test_validator(void **state)
{
	char path[PATH_MAX];
	FILE *f;
	int rc;
	(void)state;

	rc = xmllint(EXAMPLE, 1);
	if (rc < 0)
		fail_msg("%s", lint_problem);
	assert_int_equal(rc, 0);
	temp_path(path, sizeof(path));
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	      "<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\">"
	      "<identifier>x</identifier><sender>y</sender>"
	      "<sent>2024-05-01T15:40:07Z</sent><status>Actual</status>"
	      "<msgType>Alert</msgType><scope>Public</scope></alert>\n", f);
	assert_int_equal(fclose(f), 0);
	rc = xmllint(path, 0);
	unlink(path);
	if (rc < 0)
		fail_msg("%s", lint_problem);
	assert_int_not_equal(rc, 0);
}

/* --- every kind × status × point validates ---------------------------- */

static void test_matrix(void **state)
{
	static const uint8_t statuses[] = {STATUS_REAL, STATUS_TEST, STATUS_EXERCISE};
	static const char *const status_text[] = {"Actual", "Test", "Exercise"};
	int n = 0;
	(void)state;

	/* kind 5 = a retraction of an alert */
	for (int kind = SIG_ALERT; kind <= SIG_ALLCLEAR + 1; kind++)
		for (int s = 0; s < 3; s++)
			for (int point = 0; point <= 1; point++) {
				struct signal_plain p;
				struct cap_input in;
				char *doc, want[64];

				plain(&p, kind > SIG_ALLCLEAR ? SIG_ALERT : (uint8_t)kind, point);
				p.status = statuses[s];
				p.category = (uint8_t)(CAT_SUSPICIOUS + n % 8);
				p.severity = (uint8_t)(SEV_MINOR + n % 4);
				if (kind == SIG_ACK)
					p.ack = (uint8_t)(n % 4);
				if (n % 3 == 0)
					p.description[0] = '\0';
				if (n % 5 == 0)
					p.where[0] = '\0';
				input(&in, &p);
				if (kind > SIG_ALLCLEAR) {
					in.retraction = true;
					in.refs = refs;
					in.n_refs = 1;
					in.reason = n % 2 ? "Vergissing" : NULL;
				}
				if (n % 4 == 0) {
					in.expires = 0;
					in.sender_label = "";
				}
				doc = valid_doc(&in);
				(void)snprintf(want, sizeof(want), "<status>%s</status>",
					       status_text[s]);
				HAS(doc, want);
				if (point)
					HAS(doc, "<circle>52.090737,5.121420 0.15</circle>");
				else
					HAS_NOT(doc, "<circle>");
				free(doc);
				n++;
			}
	assert_int_equal(n, 30);
}

/* --- the mapping, field by field -------------------------------------- */

static void test_alert(void **state)
{
	struct signal_plain p;
	struct cap_input in;
	char *doc, want[128];
	(void)state;

	plain(&p, SIG_ALERT, true);
	input(&in, &p);
	doc = valid_doc(&in);
	{
		static const char head[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
					   "<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\">\n"
					   "  <identifier>";
		assert_memory_equal(doc, head, sizeof(head) - 1);
	}
	(void)snprintf(want, sizeof(want), "<identifier>samen-%s</identifier>", hex_this);
	HAS(doc, want);
	HAS(doc, "<sender>" SENDER "</sender>");
	HAS(doc, "<sent>" CREATED_TEXT "</sent>");
	HAS(doc, "<status>Actual</status>");
	HAS(doc, "<msgType>Alert</msgType>");
	HAS(doc, "<scope>Restricted</scope>");
	HAS(doc, "<restriction>Shared by a household of neighbourhood Wijk Lindelaan with "
		 "its authorities; not for publication</restriction>");
	HAS_NOT(doc, "<references>");
	HAS(doc, "<language>nl-NL</language>");
	HAS(doc, "<category>Security</category>");
	HAS(doc, "<event>Break-in attempt</event>");
	HAS(doc, "<urgency>Immediate</urgency>");
	HAS(doc, "<severity>Severe</severity>");
	HAS(doc, "<certainty>Observed</certainty>");
	HAS(doc, "<expires>" EXPIRES_TEXT "</expires>");
	HAS(doc, "<senderName>Familie de Vries</senderName>");
	HAS(doc, "<headline>Break-in attempt: Lindelaan, hoek Beukenstraat</headline>");
	HAS(doc, "<description>Iemand probeert autodeuren, loopt richting park</description>");
	HAS(doc, "<parameter>\n      <valueName>112Called</valueName>\n"
		 "      <value>true</value>\n    </parameter>");
	HAS(doc, "<valueName>samenKind</valueName>\n      <value>alert</value>");
	HAS_NOT(doc, "samenAck");
	HAS(doc, "<area>\n      <areaDesc>Lindelaan, hoek Beukenstraat</areaDesc>\n"
		 "      <circle>52.090737,5.121420 0.15</circle>\n    </area>");
	assert_string_equal(doc + strlen(doc) - 19, "  </info>\n</alert>\n");
	free(doc);
}

static void test_ack_112(void **state)
{
	struct signal_plain p;
	struct cap_input in;
	char *doc, want[256];
	(void)state;

	plain(&p, SIG_ACK, false);
	p.ack = ACK_CALLED_112;
	p.called112 = false; /* the ack type alone says so */
	p.description[0] = '\0';
	input(&in, &p);
	doc = valid_doc(&in);
	HAS(doc, "<msgType>Update</msgType>");
	(void)snprintf(want, sizeof(want),
		       "<references>" AUTHOR2 ",samen-%s,2024-05-01T15:30:07-00:00</references>",
		       hex_ref1);
	HAS(doc, want);
	HAS(doc, "<certainty>Unknown</certainty>");
	HAS(doc, "<urgency>Immediate</urgency>");
	HAS(doc, "<headline>Break-in attempt (acknowledged): Lindelaan, hoek Beukenstraat"
		 "</headline>");
	HAS(doc, "<description>112 called</description>");
	HAS(doc, "<valueName>112Called</valueName>\n      <value>true</value>");
	HAS(doc, "<valueName>samenKind</valueName>\n      <value>ack</value>");
	HAS(doc, "<valueName>samenAck</valueName>\n      <value>112-called</value>");
	HAS(doc, "<areaDesc>Lindelaan, hoek Beukenstraat</areaDesc>\n    </area>");
	HAS_NOT(doc, "<circle>");
	free(doc);

	p.ack = ACK_LOOKING;
	strcpy(p.description, "Ik loop naar de hoek");
	doc = valid_doc(&in);
	HAS(doc, "<description>A neighbour is looking\nIk loop naar de hoek</description>");
	HAS(doc, "<valueName>112Called</valueName>\n      <value>false</value>");
	HAS(doc, "<value>looking</value>");
	free(doc);
}

static void test_update(void **state)
{
	struct signal_plain p;
	struct cap_input in;
	char *doc;
	(void)state;

	plain(&p, SIG_UPDATE, true);
	p.status = STATUS_TEST;
	p.category = CAT_MISSING;
	p.severity = SEV_EXTREME;
	input(&in, &p);
	doc = valid_doc(&in);
	HAS(doc, "<status>Test</status>");
	HAS(doc, "<msgType>Update</msgType>");
	HAS(doc, "<category>Rescue</category>");
	HAS(doc, "<event>Missing person</event>");
	HAS(doc, "<severity>Extreme</severity>");
	HAS(doc, "<certainty>Observed</certainty>");
	HAS(doc, "<headline>TEST: Missing person (update): Lindelaan, hoek Beukenstraat"
		 "</headline>");
	HAS(doc, "<value>update</value>");
	HAS(doc, "<value>false</value>");
	free(doc);
}

static void test_allclear_refs(void **state)
{
	struct signal_plain p;
	struct cap_input in;
	char *doc, want[512];
	(void)state;

	plain(&p, SIG_ALLCLEAR, false);
	p.status = STATUS_EXERCISE;
	p.category = CAT_FIRE;
	p.severity = SEV_MINOR;
	strcpy(p.description, "Brandweer is weg");
	input(&in, &p);
	in.n_refs = 2;
	doc = valid_doc(&in);
	HAS(doc, "<status>Exercise</status>");
	HAS(doc, "<msgType>Cancel</msgType>");
	(void)snprintf(want, sizeof(want),
		       "<references>" AUTHOR2 ",samen-%s,2024-05-01T15:30:07-00:00 " SENDER
		       ",samen-%s,2024-05-01T15:35:07-00:00</references>",
		       hex_ref1, hex_ref2);
	HAS(doc, want);
	HAS(doc, "<category>Fire</category>");
	HAS(doc, "<urgency>Past</urgency>");
	HAS(doc, "<severity>Minor</severity>");
	HAS(doc, "<certainty>Unknown</certainty>");
	HAS(doc, "<headline>EXERCISE: Fire (all clear): Lindelaan, hoek Beukenstraat</headline>");
	HAS(doc, "<description>All clear\nBrandweer is weg</description>");
	HAS(doc, "<value>all-clear</value>");
	free(doc);

	/* A reference whose time or sender is unknown is left out; with none
	 * known there is no <references> at all. */
	refs[0].sent = 0;
	doc = valid_doc(&in);
	(void)snprintf(want, sizeof(want),
		       "<references>" SENDER ",samen-%s,2024-05-01T15:35:07-00:00</references>",
		       hex_ref2);
	HAS(doc, want);
	free(doc);
	refs[1].sender = NULL;
	doc = valid_doc(&in);
	HAS_NOT(doc, "<references>");
	free(doc);
}

static void test_retraction(void **state)
{
	struct signal_plain p;
	struct cap_input in;
	char *doc, want[256];
	(void)state;

	plain(&p, SIG_ALERT, true);
	input(&in, &p);
	in.retraction = true;
	in.refs = refs;
	in.n_refs = 2; /* only the target, refs[0], is referenced */
	in.reason = "Was de buurman <met sleutel> & fiets";
	doc = valid_doc(&in);
	HAS(doc, "<msgType>Cancel</msgType>");
	(void)snprintf(want, sizeof(want),
		       "<references>" AUTHOR2 ",samen-%s,2024-05-01T15:30:07-00:00</references>",
		       hex_ref1);
	HAS(doc, want);
	HAS_NOT(doc, hex_ref2);
	HAS(doc, "<urgency>Past</urgency>");
	HAS(doc, "<certainty>Unknown</certainty>");
	HAS(doc, "<headline>Break-in attempt (retracted): Lindelaan, hoek Beukenstraat"
		 "</headline>");
	HAS(doc, "<description>Retracted: Was de buurman &lt;met sleutel&gt; &amp; fiets"
		 "</description>");
	HAS(doc, "<value>retraction</value>");
	free(doc);

	in.n_refs = 0; /* nothing to cancel */
	assert_int_equal(render(&in, &doc, 0), SAMEN_EINVAL);
	assert_string_equal(doc, "");
	free(doc);
}

static void test_escaping(void **state)
{
	struct signal_plain p;
	struct cap_input in;
	char *doc;
	(void)state;

	plain(&p, SIG_ALERT, false);
	strcpy(p.description, "<script>&\"quote\" 'apos'\nline two\tand a tab ]]>");
	strcpy(p.where, "Dorpsstraat 1 & 3 <achter>");
	input(&in, &p);
	in.sender_label = "Jan & \"Piet\" <de Vries>";
	in.nbhd_name = "Oud-Zuid <west> & 'noord'";
	doc = valid_doc(&in);
	HAS(doc, "<description>&lt;script&gt;&amp;&quot;quote&quot; &apos;apos&apos;\n"
		 "line two\tand a tab ]]&gt;</description>");
	HAS(doc, "<areaDesc>Dorpsstraat 1 &amp; 3 &lt;achter&gt;</areaDesc>");
	HAS(doc, "<headline>Break-in attempt: Dorpsstraat 1 &amp; 3 &lt;achter&gt;</headline>");
	HAS(doc, "<senderName>Jan &amp; &quot;Piet&quot; &lt;de Vries&gt;</senderName>");
	HAS(doc, "neighbourhood Oud-Zuid &lt;west&gt; &amp; &apos;noord&apos; with");
	HAS_NOT(doc, "<script>");
	free(doc);

	/* Non-ASCII is kept as UTF-8, and U+FFFE/U+FFFF (not XML characters)
	 * become U+FFFD. */
	strcpy(p.description, "Caf\xc3\xa9 \xe2\x82\xac 5 \xf0\x9f\x9a\x93|"
			      "\xef\xbf\xbe|\xef\xbf\xbf|");
	doc = valid_doc(&in);
	HAS(doc, "<description>Caf\xc3\xa9 \xe2\x82\xac 5 \xf0\x9f\x9a\x93|"
		 "\xef\xbf\xbd|\xef\xbf\xbd|</description>");
	free(doc);
	/* a C1 control is no text of a signal (signal_plain_valid, PROTOCOL.md
	 * section 1): such a plaintext never decodes, and is not written */
	strcpy(p.description, "Caf\xc3\xa9 \xc2\x85 5");
	assert_int_equal(render(&in, &doc, 0), SAMEN_EINVAL);
	free(doc);
}

/* The headline stays one line of at most 160 bytes, cut between characters
 * (the two prefixes put the cut on a lead byte and on a continuation byte). */
static void test_headline(void **state)
{
	static const char *const prefixes[] = {"Hoek\nBeukenstraat\t", "XHoek\nBeukenstraat\t"};
	struct signal_plain p;
	struct cap_input in;
	char *doc, *h, *end, want[64];
	size_t len;
	(void)state;

	plain(&p, SIG_ALERT, false);
	p.status = STATUS_EXERCISE;
	input(&in, &p);
	for (int k = 0; k < 2; k++) {
		strcpy(p.where, prefixes[k]);
		while (strlen(p.where) + 2 <= WHERE_MAX)
			strcat(p.where, "\xc3\xa9"); /* é */
		doc = valid_doc(&in);
		h = strstr(doc, "<headline>");
		assert_non_null(h);
		h += strlen("<headline>");
		end = strstr(h, "</headline>");
		assert_non_null(end);
		len = (size_t)(end - h);
		assert_int_equal(len, k == 0 ? 159 : 160);
		assert_true(mp_text_ok(h, len));
		assert_null(memchr(h, '\n', len));
		assert_null(memchr(h, '\t', len));
		assert_memory_equal(end - 5, "\xc3\xa9...", 5);
		(void)snprintf(want, sizeof(want), "EXERCISE: Break-in attempt: %sHoek Beukenstraat "
			       "\xc3\xa9", k ? "X" : "");
		assert_memory_equal(h, want, strlen(want));
		/* the area keeps the text as it is */
		(void)snprintf(want, sizeof(want), "<areaDesc>%s\xc3\xa9", prefixes[k]);
		HAS(doc, want);
		free(doc);
	}

	/* no where: the event alone, and areaDesc "unspecified" */
	p.where[0] = '\0';
	p.status = STATUS_REAL;
	doc = valid_doc(&in);
	HAS(doc, "<headline>Break-in attempt</headline>");
	HAS(doc, "<areaDesc>unspecified</areaDesc>");
	free(doc);
}

/* Coordinates and radii: exact decimals from the integers. */
static void test_circle(void **state)
{
	static const struct {
		int32_t lat, lon;
		uint32_t r;
		const char *text;
	} cases[] = {
		{52090737, 5121420, 150, "52.090737,5.121420 0.15"},
		{52090737, 5121420, 1, "52.090737,5.121420 0.001"},
		{-500000, -1, 10, "-0.500000,-0.000001 0.01"},
		{0, 0, 1000, "0.000000,0.000000 1"},
		{90000000, -180000000, RADIUS_MAX, "90.000000,-180.000000 100"},
		{-90000000, 180000000, 1500, "-90.000000,180.000000 1.5"},
		{-33868820, 151209290, 12345, "-33.868820,151.209290 12.345"},
		{1, -999999, 99999, "0.000001,-0.999999 99.999"},
	};
	struct signal_plain p;
	struct cap_input in;
	char *doc, want[128];
	(void)state;

	plain(&p, SIG_ALERT, true);
	input(&in, &p);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		p.lat_e6 = cases[i].lat;
		p.lon_e6 = cases[i].lon;
		p.radius_m = cases[i].r;
		doc = valid_doc(&in);
		(void)snprintf(want, sizeof(want), "<circle>%s</circle>", cases[i].text);
		HAS(doc, want);
		free(doc);
	}
}

static void test_categories(void **state)
{
	static const char *const cat[] = {
		[CAT_SUSPICIOUS] = "Security|Suspicious situation",
		[CAT_BURGLARY] = "Security|Burglary",
		[CAT_BREAKIN_ATTEMPT] = "Security|Break-in attempt",
		[CAT_FIRE] = "Fire|Fire",
		[CAT_MEDICAL] = "Health|Medical emergency",
		[CAT_MISSING] = "Rescue|Missing person",
		[CAT_NUISANCE] = "Security|Nuisance",
		[CAT_OTHER] = "Other|Other incident"};
	static const char *const sev[] = {[SEV_MINOR] = "Minor", [SEV_MODERATE] = "Moderate",
					  [SEV_SEVERE] = "Severe", [SEV_EXTREME] = "Extreme"};
	struct signal_plain p;
	struct cap_input in;
	char *doc, want[128];
	(void)state;

	plain(&p, SIG_ALERT, false);
	input(&in, &p);
	for (int c = CAT_SUSPICIOUS; c <= CAT_OTHER; c++) {
		const char *bar = strchr(cat[c], '|');
		p.category = (uint8_t)c;
		p.severity = (uint8_t)(SEV_MINOR + c % 4);
		doc = valid_doc(&in);
		(void)snprintf(want, sizeof(want), "<category>%.*s</category>\n    <event>%s</event>",
			       (int)(bar - cat[c]), cat[c], bar + 1);
		HAS(doc, want);
		(void)snprintf(want, sizeof(want), "<severity>%s</severity>", sev[p.severity]);
		HAS(doc, want);
		free(doc);
	}
}

/* --- times ------------------------------------------------------------ */

static void test_datetime(void **state)
{
	char out[CAP_DATETIME_LEN], want[64];
	uint64_t t = 0x9e3779b97f4a7c15ULL;
	(void)state;

	assert_int_equal(cap_datetime(0, out), 0);
	assert_string_equal(out, "1970-01-01T00:00:00-00:00");
	assert_int_equal(cap_datetime(951782400, out), 0);
	assert_string_equal(out, "2000-02-29T00:00:00-00:00");
	assert_int_equal(cap_datetime(1709164800 + 86399, out), 0);
	assert_string_equal(out, "2024-02-29T23:59:59-00:00");
	assert_int_equal(cap_datetime(4102444799ULL, out), 0);
	assert_string_equal(out, "2099-12-31T23:59:59-00:00");
	assert_int_equal(cap_datetime(CAP_TIME_MAX, out), 0);
	assert_string_equal(out, "9999-12-31T23:59:59-00:00");
	assert_int_equal(cap_datetime(CAP_TIME_MAX + 1, out), SAMEN_EINVAL);
	assert_int_equal(cap_datetime(UINT64_MAX, out), SAMEN_EINVAL);

	/* agrees with gmtime_r across the whole range */
	for (int i = 0; i < 200000; i++) {
		struct tm tm;
		time_t tt;
		t = t * 6364136223846793005ULL + 1442695040888963407ULL;
		tt = (time_t)((t >> 11) % (CAP_TIME_MAX + 1));
		if (i < 1000)
			tt = (time_t)(i * 86399LL * 59); /* around the epoch */
		assert_non_null(gmtime_r(&tt, &tm));
		(void)snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02d-00:00",
			       tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
			       tm.tm_min, tm.tm_sec);
		assert_int_equal(cap_datetime((uint64_t)tt, out), 0);
		assert_string_equal(out, want);
	}
}

static void test_far_times(void **state)
{
	struct signal_plain p;
	struct cap_input in;
	char *doc;
	(void)state;

	plain(&p, SIG_ALERT, false);
	input(&in, &p);
	in.created = 0;
	in.expires = CAP_TIME_MAX;
	doc = valid_doc(&in);
	HAS(doc, "<sent>1970-01-01T00:00:00-00:00</sent>");
	HAS(doc, "<expires>9999-12-31T23:59:59-00:00</expires>");
	free(doc);

	/* an expiry or a reference time CAP cannot write (a peer's choice) is
	 * left out rather than refused */
	for (int i = 0; i < 3; i++) {
		static const uint64_t never[] = {0, CAP_TIME_MAX + 1, UINT64_MAX};
		in.expires = never[i];
		doc = valid_doc(&in);
		HAS_NOT(doc, "<expires>");
		free(doc);
	}
	in.expires = EXPIRES;
	refs[0].sent = UINT64_MAX;
	in.refs = refs;
	in.n_refs = 2;
	doc = valid_doc(&in);
	HAS_NOT(doc, hex_ref1);
	HAS(doc, hex_ref2);
	free(doc);
}

/* --- refusals: nothing at all is written ------------------------------- */

static void expect_refused(const struct cap_input *in)
{
	char *doc;
	assert_int_equal(render(in, &doc, 0), SAMEN_EINVAL);
	assert_string_equal(doc, "");
	free(doc);
}

static void test_refusals(void **state)
{
	static const char *const bad_text[] = {
		"ctl \x01 char", "escape \x1b[31m", "cr\r\n", "del \x7f", "bad \xff utf8",
		"overlong \xc0\xaf", "surrogate \xed\xa0\x80", "cut \xe2\x82",
		"past \xf4\x90\x80\x80"};
	static const char *const bad_sender[] = {
		"", "samen:a b", "samen:a,b", "samen:a<b", "samen:a&b", "samen:a\tb",
		"samen:a\nb", "samen:\xc3\xa9"};
	struct signal_plain p, ok;
	struct cap_input in;
	struct cap_ref bad_ref[1];
	char *doc;
	(void)state;

	plain(&ok, SIG_ALERT, true);
	p = ok;
	input(&in, &p);
	doc = valid_doc(&in);
	free(doc);

	for (size_t i = 0; i < sizeof(bad_text) / sizeof(bad_text[0]); i++) {
		p = ok;
		strcpy(p.description, bad_text[i]);
		expect_refused(&in);
		p = ok;
		strcpy(p.where, bad_text[i]);
		expect_refused(&in);
		p = ok;
		in.sender_label = bad_text[i];
		expect_refused(&in);
		in.sender_label = "";
		in.nbhd_name = bad_text[i];
		expect_refused(&in);
		in.nbhd_name = NULL;
		in.reason = bad_text[i];
		in.retraction = true;
		in.refs = refs;
		in.n_refs = 1;
		expect_refused(&in);
		input(&in, &p);
	}
	for (size_t i = 0; i < sizeof(bad_sender) / sizeof(bad_sender[0]); i++) {
		in.sender = bad_sender[i];
		expect_refused(&in);
		in.sender = SENDER;
		bad_ref[0] = (struct cap_ref){id_ref1, bad_sender[i], CREATED};
		in.refs = bad_ref;
		in.n_refs = 1;
		expect_refused(&in);
		in.refs = NULL;
		in.n_refs = 0;
	}
	in.sender = NULL;
	expect_refused(&in);
	in.sender = SENDER;

	/* out-of-range fields */
	p.kind = 0;
	expect_refused(&in);
	p.kind = SIG_ALLCLEAR + 1;
	expect_refused(&in);
	p = ok;
	p.category = CAT_OTHER + 1;
	expect_refused(&in);
	p = ok;
	p.severity = 0;
	expect_refused(&in);
	p = ok;
	p.status = 4;
	expect_refused(&in);
	p = ok;
	p.ack = ACK_TEXT + 1;
	expect_refused(&in);
	p = ok;
	p.radius_m = 0;
	expect_refused(&in);
	p.radius_m = RADIUS_MAX + 1;
	expect_refused(&in);
	p = ok;
	p.lat_e6 = 90000001;
	expect_refused(&in);
	p = ok;
	p.lon_e6 = -180000001;
	expect_refused(&in);
	p = ok;
	memset(p.description, 'a', sizeof(p.description)); /* no NUL */
	expect_refused(&in);
	p = ok;
	memset(p.where, 'a', sizeof(p.where));
	expect_refused(&in);
	p = ok;
	in.created = CAP_TIME_MAX + 1;
	expect_refused(&in);
	in.created = CREATED;
	in.id = NULL;
	expect_refused(&in);
	in.id = id_this;
	in.p = NULL;
	expect_refused(&in);
	in.p = &p;
	in.n_refs = 1; /* refs NULL */
	expect_refused(&in);
	bad_ref[0] = (struct cap_ref){NULL, SENDER, CREATED};
	in.refs = bad_ref;
	expect_refused(&in);
	assert_int_equal(cap_write(NULL, &in), SAMEN_EINVAL);

	/* and after all that, a good one still renders */
	bad_ref[0].id = id_ref1;
	doc = valid_doc(&in);
	HAS(doc, hex_ref1);
	free(doc);
}

/* A write that fails is reported as -EIO. */
static void test_write_error(void **state)
{
	struct signal_plain p;
	struct cap_input in;
	FILE *f;
	(void)state;

	plain(&p, SIG_ALERT, true);
	input(&in, &p);
	f = fopen("/dev/full", "w");
	if (!f)
		fail_msg("/dev/full: %s", strerror(errno));
	assert_int_equal(cap_write(f, &in), -EIO);
	fclose(f);
	f = fopen("/dev/null", "r");
	assert_non_null(f);
	assert_int_equal(cap_write(f, &in), -EIO);
	fclose(f);
}

/* Every plaintext the decoder accepts renders: round-trip a signal through
 * the encoder and decoder and render what comes back. */
static void test_from_decoder(void **state)
{
	struct signal_plain p, q;
	struct cap_input in;
	uint8_t buf[SIGNAL_PLAIN_MAX];
	size_t len;
	char *doc;
	(void)state;

	plain(&p, SIG_ACK, true);
	p.ack = ACK_TEXT;
	/* C1 controls are not text (PROTOCOL.md 1, rule 5): no plaintext holds them */
	strcpy(p.description, "\xc2\x9b" "31m");
	assert_int_equal(signal_plain_encode(&p, buf, sizeof(buf), &len), SAMEN_EINVAL);
	strcpy(p.description, "31m \xef\xbf\xbf <b>&</b>\n\tok");
	p.n_refs = 1;
	memcpy(p.refs[0], id_ref1, 32);
	assert_int_equal(signal_plain_encode(&p, buf, sizeof(buf), &len), 0);
	assert_int_equal(signal_plain_decode(buf, len, &q), 0);
	input(&in, &q);
	doc = valid_doc(&in);
	HAS(doc, "<description>Acknowledged\n31m \xef\xbf\xbd &lt;b&gt;&amp;&lt;/b&gt;\n"
		 "\tok</description>");
	HAS(doc, "<value>text</value>");
	free(doc);
}


/* The language is the caller's setting (an RFC 3066 tag), checked. */
static void test_language(void **state)
{
	struct signal_plain p;
	struct cap_input in;
	char *doc;
	FILE *f;
	(void)state;

	plain(&p, SIG_ALERT, false);
	input(&in, &p);
	in.language = "fy-NL";
	doc = valid_doc(&in);
	HAS(doc, "<language>fy-NL</language>");
	free(doc);
	assert_true(cap_language_ok("nl"));
	assert_true(cap_language_ok("nl-NL"));
	assert_true(cap_language_ok("x-klingon"));
	const char *refused[] = {"", "nl_NL", "nl-", "-nl", "nl--NL", "n1", "nederlands",
				 "nl-NLNLNLNLNL", "nl NL", "nl-NL<"};
	f = fopen("/dev/null", "w");
	assert_non_null(f);
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		assert_false(cap_language_ok(refused[i]));
		in.language = refused[i];
		assert_int_equal(cap_write(f, &in), SAMEN_EINVAL);
	}
	fclose(f);
}

/* The checker of the rules beyond the schema does refuse what breaks them
 * (and so the checks in render() can fail). */
static void test_capcheck_refuses(void **state)
{
	char why[512];
	(void)state;
	static const char *const broken[] = {
		"<sent>2024-05-01T15:40:07+00:00</sent>",  /* UTC must be -00:00 */
		"<sent>2024-05-01T15:40:07Z</sent>",
		"<sent>2024-13-01T15:40:07-00:00</sent>",
		"<expires>2024-05-01 15:40:07-00:00</expires>",
		"<references>a,b</references>",
		"<references>a,b,2024-05-01T15:40:07-00:00 </references>",
		"<references>a,b,c,2024-05-01T15:40:07-00:00</references>",
		"<references>a b,c,2024-05-01T15:40:07-00:00</references>",
		"<circle>52.09,5.12</circle>",
		"<circle>91.0,5.12 0.1</circle>",
		"<circle>52.09,181 0.1</circle>",
		"<circle>52.09,5.12 -1</circle>",
		"<circle>52.09, 5.12 1</circle>",
		"<identifier>samen x</identifier>",
		"<sender>a,b</sender>",
		"<language>en_US</language>",
		"<sent>2024-05-01T15:40:07-00:00",
	};
	for (size_t i = 0; i < sizeof(broken) / sizeof(broken[0]); i++)
		if (capcheck(broken[i], why, sizeof(why)) == 0)
			fail_msg("capcheck passed %s", broken[i]);
	assert_int_equal(capcheck("<sent>2024-05-01T15:40:07-00:00</sent><sent>2024-05-01T17:40:07"
				  "+02:00</sent><references>s,i,2024-05-01T15:40:07-00:00 t,j,"
				  "2024-05-01T15:40:07-00:00</references><circle>-52.090737,"
				  "5.121420 0.15</circle><language>nl-NL</language>",
				  why, sizeof(why)),
			 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_validator),   cmocka_unit_test(test_matrix),
		cmocka_unit_test(test_alert),       cmocka_unit_test(test_ack_112),
		cmocka_unit_test(test_update),      cmocka_unit_test(test_allclear_refs),
		cmocka_unit_test(test_retraction),  cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_headline),    cmocka_unit_test(test_circle),
		cmocka_unit_test(test_categories),  cmocka_unit_test(test_datetime),
		cmocka_unit_test(test_far_times),   cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_write_error), cmocka_unit_test(test_from_decoder),
		cmocka_unit_test(test_language),    cmocka_unit_test(test_capcheck_refuses),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
