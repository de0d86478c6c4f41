/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * samend — the household (or relay) daemon: one thread, one zmq_poll loop
 * with timers, no busy waiting.
 *
 *   samend [-c CONFIG] [--set KEY=VALUE ...] [--version] [--help]
 *
 * Exit codes: 0 stopped cleanly, 2 usage or configuration error, 3 key or
 * store problem, 4 system error (sockets).
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <zmq.h>

#include "daemon.h"
#include "attend.h"
#include "node_receipts.h"
#include "receipts.h"
#include "router.h"
#include "events.h"
#include "hook.h"
#include "log.h"
#include "notify.h"
#include "policyfile.h"
#include "statedir.h"
#include "../keys/keytext.h"
#include "../keys/paths.h"
#include "../proto/exitcode.h"

#define POLL_MAX (8 + 2 * 64)
#define MAINT_MS 500
#define PRUNE_MS 60000
/* One socket's turn in the loop: after this long (or 256 messages) the
 * other sockets and the timers get theirs, so a peer whose messages are
 * expensive to check (a flood of validly signed records) cannot stall
 * every other link for seconds. */
#define BATCH_MS 5
#define REKEY_DELAY_MS 2000

static volatile sig_atomic_t stop_requested, reload_requested;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reload_requested = 1;
	else
		stop_requested = 1;
}

static int usage(FILE *f, int code)
{
	fprintf(f, "usage: samend [-c CONFIG] [--set KEY=VALUE ...]\n"
		   "  -c, --config FILE   configuration file (key = value lines; see samend.conf(5))\n"
		   "  -s, --set KEY=VALUE override one setting (may repeat)\n"
		   "      --version       print the version\n");
	return code;
}

/* A start that fails after making a key takes it back: nobody saw it. */
static int start_failed(int code, const char *key, bool key_made)
{
	if (key_made)
		statedir_unmake_key(key);
	return code;
}

/* Reads a key passphrase from SAMEN_PASSPHRASE_FILE or from systemd's
 * credential "passphrase" (LoadCredential=passphrase:...). */
static char *read_passphrase(void)
{
	char path[4200];
	const char *file = getenv("SAMEN_PASSPHRASE_FILE");
	const char *creds = getenv("CREDENTIALS_DIRECTORY");
	if (!(file && *file)) {
		if (!(creds && *creds))
			return NULL;
		snprintf(path, sizeof(path), "%s/passphrase", creds);
		file = path;
	}
	FILE *f = fopen(file, "re");
	if (!f)
		return NULL;
	char *pass = sodium_malloc(256);
	if (pass && !fgets(pass, 256, f)) {
		sodium_free(pass);
		pass = NULL;
	}
	fclose(f);
	if (pass)
		pass[strcspn(pass, "\r\n")] = '\0';
	return pass;
}

static int drop_privileges(const char *user)
{
	struct passwd *pw = getpwnam(user);
	if (!pw)
		return -ENOENT;
	if (setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0)
		return -errno;
	if (setuid(0) == 0) /* must be impossible now */
		return -EPERM;
	return 0;
}

static void reload(struct daemon *d, const char *config_path)
{
	struct config fresh;
	char err[512];
	config_defaults(&fresh);
	if (config_path && config_load(&fresh, config_path, err, sizeof(err)) < 0) {
		log_msg(SLOG_ERR, "reload: %s; keeping the running configuration", err);
		return;
	}
	/* what can change without rebinding sockets */
	d->cfg->log_level = fresh.log_level;
	log_set_level(fresh.log_level);
	d->cfg->rate_per_minute = fresh.rate_per_minute;
	d->cfg->rate_burst = fresh.rate_burst;
	d->cfg->anti_entropy_seconds = fresh.anti_entropy_seconds;
	d->cfg->invalid_limit = fresh.invalid_limit;
	d->cfg->penalty_seconds = fresh.penalty_seconds;
	d->cfg->active_links = fresh.active_links;
	bool learn_now = fresh.learn_peers && !d->cfg->learn_peers;
	d->cfg->learn_peers = fresh.learn_peers;
	if (learn_now)
		net_learn_stored(&d->net);
	d->node.params.rate_per_minute = fresh.rate_per_minute;
	d->node.params.rate_burst = fresh.rate_burst;
	for (unsigned i = 0; i < fresh.n_peers; i++)
		net_add_candidate(&d->net, fresh.peers[i].endpoint, fresh.peers[i].key);
	d->cfg->repeat_seconds = fresh.repeat_seconds;
	d->cfg->repeat_max = fresh.repeat_max;
	d->cfg->repeat_stop_acks = fresh.repeat_stop_acks;
	d->cfg->escalate_seconds = fresh.escalate_seconds;
	attend_configure(&d->attend, d->cfg);
	d->receipts.seen_on = fresh.receipts_seen;
	struct policy policy;
	if (policyfile_load(d->cfg->state_dir, &policy, err, sizeof(err)) < 0) {
		log_msg(SLOG_ERR, "reload: %s; keeping the running notification policy", err);
	} else {
		d->events.policy = policy;
		policyfile_zone_apply(&policy);
	}
	if (node_reload(&d->node) < 0)
		log_msg(SLOG_WARN, "reload: cannot rebuild the membership from the store");
	net_zap_stale(&d->net);
	net_relink(&d->net);
	log_msg(SLOG_INFO, "reloaded the configuration and membership (sockets and paths need a restart)");
}

static void handle_mesh(struct daemon *d)
{
	uint64_t start = daemon_now_ms();
	for (int budget = 0; budget < 256 && daemon_now_ms() - start < BATCH_MS; budget++) {
		zmq_msg_t rid, body;
		int got = router_recv(net_mesh_socket(&d->net), &rid, &body);
		if (got == 0)
			return;
		if (got < 0)
			continue;
		const char *user = zmq_msg_gets(&body, "User-Id");
		uint8_t key[32];
		struct link *l = net_link_by_rid(&d->net, zmq_msg_data(&rid), zmq_msg_size(&rid));
		if (!l && user && sodium_hex2bin(key, 32, user, strlen(user), NULL, NULL, NULL) == 0)
			l = net_accept_inbound(&d->net, key, zmq_msg_data(&rid), zmq_msg_size(&rid));
		if (l) {
			gossip_on_message(&d->gossip, l, zmq_msg_data(&body), zmq_msg_size(&body));
			/* what it brought leaves before the next message (often
			 * the same record from another neighbour) is checked */
			gossip_flush(&d->gossip);
		}
		zmq_msg_close(&rid);
		zmq_msg_close(&body);
	}
}

static void handle_link(struct daemon *d, struct link *l)
{
	uint64_t start = daemon_now_ms();
	for (int budget = 0; budget < 256 && l->used && daemon_now_ms() - start < BATCH_MS;
	     budget++) {
		zmq_msg_t body;
		zmq_msg_init(&body);
		if (zmq_msg_recv(&body, l->sock, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&body);
			return;
		}
		gossip_on_message(&d->gossip, l, zmq_msg_data(&body), zmq_msg_size(&body));
		gossip_flush(&d->gossip);
		zmq_msg_close(&body);
	}
}

/*
 * The loop's timers, one table: timers() runs each entry that is due, in
 * this order, and next_timeout() sleeps until the earliest due() of the
 * same entries, so what runs and what wakes the loop cannot disagree. An
 * entry marked every_round runs on every round (it checks for itself
 * whether there is work); its due() only says how soon to wake for it.
 * NEVER: nothing to do until something else happens.
 */
#define NEVER UINT64_MAX

static uint64_t mesh_due(const struct daemon *d, uint64_t now)
{
	(void)now;
	uint64_t t = net_mesh_due(&d->net);
	return t ? t : NEVER;
}

static void mesh_run(struct daemon *d, uint64_t now)
{
	net_mesh_tick(&d->net, now);
}

static uint64_t maint_due(const struct daemon *d, uint64_t now)
{
	(void)now;
	return d->next_maint_ms;
}

static void maint_run(struct daemon *d, uint64_t now)
{
	/* records from neighbours are committed with their last flush
	 * deferred (node_ingest_relayed): at most MAINT_MS later here */
	int r = store_sync(d->node.store);
	if (r < 0)
		log_msg(SLOG_ERR, "cannot flush the store to disk: %s", samen_strerror(r));
	net_maintain(&d->net, now);
	join_tick(&d->join, now);
	d->next_maint_ms = now + MAINT_MS;
}

static uint64_t ae_due(const struct daemon *d, uint64_t now)
{
	(void)now;
	return d->next_ae_ms;
}

static void ae_run(struct daemon *d, uint64_t now)
{
	gossip_tick(&d->gossip);
	d->next_ae_ms = now + (uint64_t)d->cfg->anti_entropy_seconds * 1000;
}

static uint64_t prune_due(const struct daemon *d, uint64_t now)
{
	(void)now;
	return d->next_prune_ms;
}

static void prune_run(struct daemon *d, uint64_t now)
{
	int n = node_prune(&d->node);
	if (n > 0) {
		gossip_vv_changed(&d->gossip);
		log_msg(SLOG_DEBUG, "forgot %d expired records", n);
	}
	d->next_prune_ms = now + PRUNE_MS;
}

static uint64_t peer_due(const struct daemon *d, uint64_t now)
{
	(void)now;
	return gossip_peer_due(&d->gossip);
}

static void peer_run(struct daemon *d, uint64_t now)
{
	gossip_peer_tick(&d->gossip, now);
}

/* A coordinator keeps the epoch key matched to the membership; the short
 * random delay lets concurrent coordinators see each other's epoch first. */
static uint64_t rekey_due(const struct daemon *d, uint64_t now)
{
	(void)now;
	return d->next_rekey_ms ? d->next_rekey_ms : NEVER;
}

static void rekey_run(struct daemon *d, uint64_t now)
{
	if (node_my_role(&d->node) != ROLE_COORDINATOR || !node_rekey_needed(&d->node)) {
		d->next_rekey_ms = 0;
	} else if (!d->next_rekey_ms) {
		d->next_rekey_ms = now + randombytes_uniform(REKEY_DELAY_MS);
	} else if (now >= d->next_rekey_ms) {
		d->next_rekey_ms = 0;
		int r = node_rekey(&d->node);
		if (r < 0)
			log_msg(SLOG_WARN, "cannot issue a new epoch key: %s", samen_strerror(r));
		else
			log_msg(SLOG_INFO, "issued a new epoch key");
	}
}

static uint64_t hook_due(const struct daemon *d, uint64_t now)
{
	return d->hook && hook_running(d->hook) ? now + 100 : NEVER;
}

static void hook_run(struct daemon *d, uint64_t now)
{
	if (d->hook)
		hook_poll(d->hook, now);
}

/* what a slow peer would not take yet, and vector answers it waits for */
static uint64_t pump_due(const struct daemon *d, uint64_t now)
{
	return d->pumping ? now + NET_PUMP_MS : NEVER;
}

static void pump_run(struct daemon *d, uint64_t now)
{
	(void)now;
	d->pumping = net_pump(&d->net);
	gossip_resume(&d->gossip);
}

static uint64_t tree_due(const struct daemon *d, uint64_t now)
{
	(void)now;
	return gossip_tree_due(&d->gossip);
}

static void tree_run(struct daemon *d, uint64_t now)
{
	gossip_tree_tick(&d->gossip, now);
}

/* alarm-level alerts nobody answered: told again, or to a coordinator */
static uint64_t attend_due(const struct daemon *d, uint64_t now)
{
	(void)now;
	return attend_due_ms(&d->attend);
}

static void attend_run(struct daemon *d, uint64_t now)
{
	struct attend_due due;
	while (attend_next(&d->attend, now, (uint64_t)time(NULL), &due)) {
		if (!events_remind(&d->events, due.id, due.repeat, due.after_s))
			attend_retracted(&d->attend, due.id); /* gone from the store */
		else if (!due.repeat)
			log_msg(SLOG_INFO, "an alarm-level alert had no answer in %llu s: told the "
				"coordinator's devices", (unsigned long long)due.after_s);
	}
}

/* receipts out, and the counts they changed to the watchers */
static uint64_t receipt_due(const struct daemon *d, uint64_t now)
{
	(void)now;
	return receipts_due_ms(&d->receipts);
}

static void receipt_run(struct daemon *d, uint64_t now)
{
	uint8_t ids[32][32];
	struct receipt_out out;
	size_t n;
	while (receipts_take_due(&d->receipts, now, &out)) {
		size_t bytes = 0;
		int r = node_receipt_publish(&d->node, &out.rc, out.expires, &bytes);
		if (r < 0)
			log_msg(SLOG_DEBUG, "receipt not sent: %s", samen_strerror(r));
		receipts_sent(&d->receipts, r, bytes);
	}
	while ((n = receipts_take_changed(&d->receipts, now, ids, 32)) > 0)
		for (size_t i = 0; i < n; i++)
			events_receipt_counts(&d->events, ids[i]);
}

static const struct timer {
	uint64_t (*due)(const struct daemon *d, uint64_t now);
	void (*run)(struct daemon *d, uint64_t now);
	bool every_round;
} timer_table[] = {
	{mesh_due, mesh_run, false},  {maint_due, maint_run, false}, {ae_due, ae_run, false},
	{prune_due, prune_run, false}, {peer_due, peer_run, false},   {rekey_due, rekey_run, true},
	{hook_due, hook_run, true},   {pump_due, pump_run, true},     {tree_due, tree_run, true},
	{attend_due, attend_run, false}, {receipt_due, receipt_run, false},
};

static void timers(struct daemon *d, uint64_t now)
{
	for (size_t i = 0; i < sizeof(timer_table) / sizeof(timer_table[0]); i++) {
		const struct timer *t = &timer_table[i];
		if (t->every_round || t->due(d, now) <= now)
			t->run(d, now);
	}
}

static long next_timeout(const struct daemon *d, uint64_t now)
{
	uint64_t next = NEVER;
	for (size_t i = 0; i < sizeof(timer_table) / sizeof(timer_table[0]); i++) {
		uint64_t t = timer_table[i].due(d, now);
		if (t < next)
			next = t;
	}
	if (next == NEVER)
		return -1;
	return next > now ? (long)(next - now) : 0;
}

static void run(struct daemon *d, const char *config_path)
{
	zmq_pollitem_t items[POLL_MAX];
	struct link *owner[POLL_MAX];
	bool is_mon[POLL_MAX];

	while (!stop_requested) {
		size_t n = 0;
		void *fixed[] = {net_zap_socket(&d->net),    control_socket(&d->control),
				 net_mesh_socket(&d->net),   join_server_socket(&d->join),
				 join_client_socket(&d->join), relay_socket(&d->relay)};
		for (size_t i = 0; i < 6; i++)
			if (fixed[i]) {
				items[n] = (zmq_pollitem_t){fixed[i], 0, ZMQ_POLLIN, 0};
				owner[n++] = NULL;
			}
		size_t n_fixed = n;
		for (size_t i = 0; i < net_link_slots(&d->net) && n + 2 <= POLL_MAX; i++) {
			struct link *l = net_link(&d->net, i);
			if (!l->used || l->dir != DIR_OUT)
				continue;
			items[n] = (zmq_pollitem_t){l->sock, 0, ZMQ_POLLIN, 0};
			owner[n] = l;
			is_mon[n++] = false;
			items[n] = (zmq_pollitem_t){l->mon, 0, ZMQ_POLLIN, 0};
			owner[n] = l;
			is_mon[n++] = true;
		}
		uint64_t now = daemon_now_ms();
		int rc = zmq_poll(items, (int)n, next_timeout(d, now));
		if (rc < 0 && errno != EINTR) {
			log_msg(SLOG_ERR, "zmq_poll: %s", zmq_strerror(errno));
			break;
		}
		if (reload_requested) {
			reload_requested = 0;
			reload(d, config_path);
		}
		if (rc > 0) {
			/* ZAP first: handshakes wait on it */
			for (size_t i = 0; i < n_fixed; i++) {
				if (!(items[i].revents & ZMQ_POLLIN))
					continue;
				void *s = items[i].socket;
				if (s == net_zap_socket(&d->net))
					net_zap_handle(&d->net);
				else if (s == control_socket(&d->control)) {
					struct ctl_request q;
					for (int k = 0; k < 64 && control_take(&d->control, &q); k++) {
						/* a household's own alert leaves before
						 * samen hears that it is sent */
						gossip_flush(&d->gossip);
						control_finish(&d->control, &q);
					}
				}
				else if (s == net_mesh_socket(&d->net))
					handle_mesh(d);
				else if (s == join_server_socket(&d->join))
					join_server_handle(&d->join);
				else if (s == join_client_socket(&d->join))
					join_client_handle(&d->join);
				else if (s == relay_socket(&d->relay))
					relay_handle(&d->relay);
			}
			for (size_t i = n_fixed; i < n; i++) {
				struct link *l = owner[i];
				if (!(items[i].revents & ZMQ_POLLIN) || !l->used)
					continue;
				if (is_mon[i] ? items[i].socket != l->mon : items[i].socket != l->sock)
					continue; /* the slot was reused during this round */
				if (is_mon[i])
					net_handle_monitor(&d->net, l);
				else
					handle_link(d, l);
			}
		}
		timers(d, daemon_now_ms());
		if (relay_socket(&d->relay))
			relay_pump(&d->relay);
		/* what this round queued (own records from control, join and the
		 * relay, answers, announcements) goes out together, here: the
		 * modules that queue it do not call gossip back */
		gossip_flush(&d->gossip);
	}
}

/*
 * The committed-record event: a record passed validation and is on disk
 * (node.c calls this once per record, in commit order). The loop tells
 * each part what is its to do, once and in this order: net (who may link,
 * whom to dial), gossip (what goes out on which link), then the watchers
 * and the hook (events.c). None of them calls another back.
 */
static void on_stored(void *ctx, node_t *n, const struct record *r, const uint8_t *buf, size_t len,
		      int source)
{
	struct daemon *d = ctx;
	(void)n;
	struct event_facts f;
	struct receipt rc;
	bool receipt = r->kind == REC_SIGNAL && node_receipt_open(&d->node, r, &rc);
	net_record_stored(&d->net, r);
	size_t pushed = gossip_record_stored(&d->gossip, r, buf, len, source, receipt);
	if (receipt)
		gossip_count_receipt(&d->gossip, pushed, len);
	events_record_stored(&d->events, r, &f);
	if (f.readable) {
		/* a coordinator's devices hear of alarms nobody answered */
		d->attend.params.coordinator = node_my_role(&d->node) == ROLE_COORDINATOR;
		attend_signal(&d->attend, r->id, r->author, &f.p, f.level, r->u.signal.expires,
			      daemon_now_ms());
		/* a receipt for a neighbour's alert, with the next few seconds' */
		if (f.p.kind == SIG_ALERT && memcmp(r->author, d->node.id->pk, 32) != 0)
			receipts_delivered(&d->receipts, r->id, r->u.signal.expires, daemon_now_ms());
	} else if (receipt) {
		receipts_changed(&d->receipts, &rc, daemon_now_ms());
	} else if (r->kind == REC_RETRACTION)
		attend_retracted(&d->attend, r->u.retraction.target);
	sodium_memzero(&f, sizeof(f));
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'}, {"set", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},         {"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	static struct config cfg;
	static struct daemon d;
	const char *config_path = NULL;
	char err[512];
	int c, ret;

	config_defaults(&cfg);
	/* the place samen looks for it too (keys/paths.h); a config's
	 * state_dir comes after */
	if (paths_default_state(cfg.state_dir, sizeof(cfg.state_dir)) < 0)
		snprintf(cfg.state_dir, sizeof(cfg.state_dir), "%s", PATHS_SYSTEM_STATE);
	/* the file first, then --set overrides in order */
	for (int i = 1; i < argc; i++) {
		if ((!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) && i + 1 < argc)
			config_path = argv[i + 1];
		else if (!strncmp(argv[i], "--config=", 9))
			config_path = argv[i] + 9;
	}
	if (config_path && config_load(&cfg, config_path, err, sizeof(err)) < 0) {
		fprintf(stderr, "samend: %s\n", err);
		return EXIT_USAGE;
	}
	while ((c = getopt_long(argc, argv, "c:s:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			break;
		case 's': {
			char key[64];
			const char *eq = strchr(optarg, '=');
			if (!eq || (size_t)(eq - optarg) >= sizeof(key)) {
				fprintf(stderr, "samend: --set '%s': write KEY=VALUE\n", optarg);
				return EXIT_USAGE;
			}
			snprintf(key, sizeof(key), "%.*s", (int)(eq - optarg), optarg);
			while (strlen(key) && key[strlen(key) - 1] == ' ')
				key[strlen(key) - 1] = '\0';
			if (config_set(&cfg, key, eq + 1, err, sizeof(err)) < 0) {
				fprintf(stderr, "samend: --set: %s\n", err);
				return EXIT_USAGE;
			}
			break;
		}
		case 'V':
			printf("samend %s\n", SAMEN_VERSION);
			return 0;
		case 'h':
			return usage(stdout, 0);
		default:
			return usage(stderr, EXIT_USAGE);
		}
	}
	if (optind < argc)
		return usage(stderr, EXIT_USAGE);
	if (config_finish(&cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "samend: %s\n", err);
		return EXIT_USAGE;
	}
	log_set_level(cfg.log_level);
	if (config_unadvertised(&cfg))
		log_msg(SLOG_WARN, "listen = %s names no address others can dial, and there is no "
			"advertise: no neighbour will learn to dial this daemon (only those that list "
			"it as a peer); set advertise = tcp://HOST:PORT, HOST being what they reach",
			cfg.listen);
	if (sodium_init() < 0) {
		log_msg(SLOG_ERR, "libsodium failed to initialise");
		return EXIT_INTERNAL;
	}
	signal(SIGPIPE, SIG_IGN);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	ret = statedir_ensure(cfg.state_dir);
	if (ret < 0) {
		log_msg(SLOG_ERR, "state directory %s: %s", cfg.state_dir, samen_strerror(ret));
		return EXIT_INVALID;
	}
	if (statedir_owner_check(cfg.state_dir, cfg.key, cfg.user[0] != '\0', err, sizeof(err)) < 0) {
		log_msg(SLOG_ERR, "%s", err);
		return EXIT_INVALID;
	}
	pid_t holder;
	int lock_fd = statedir_lock(cfg.state_dir, &holder);
	if (lock_fd == -EWOULDBLOCK) {
		if (holder)
			log_msg(SLOG_ERR, "%s is in use by another samend (pid %d); stop it first",
				cfg.state_dir, (int)holder);
		else
			log_msg(SLOG_ERR, "%s is in use by another samend; stop it first", cfg.state_dir);
		return EXIT_INVALID;
	}
	if (lock_fd < 0) {
		log_msg(SLOG_ERR, "cannot lock %s/samend.lock: %s", cfg.state_dir, samen_strerror(lock_fd));
		return EXIT_INVALID;
	}
	/* lock_fd stays open, and the lock held, until the process ends */
	bool key_made = false;
	ret = statedir_ensure_key(cfg.key, &key_made);
	if (ret < 0) {
		log_msg(SLOG_ERR, "key %s: %s", cfg.key, samen_strerror(ret));
		return EXIT_INVALID;
	}
	struct node_params p = {
		.clock_skew = cfg.clock_skew_seconds,
		.rate_per_minute = cfg.rate_per_minute,
		.rate_burst = cfg.rate_burst,
		.retention = (uint64_t)cfg.retention_days * 86400,
		.max_map_bytes = (uint64_t)cfg.max_map_mb << 20,
	};
	char *pass = read_passphrase();
	d.cfg = &cfg;
	uint64_t started_ms = daemon_now_ms();
	ret = node_open(&d.node, cfg.state_dir, cfg.key, pass, cfg.has_neighbourhood ? cfg.neighbourhood : NULL,
			&p);
	if (pass)
		sodium_free(pass);
	if (ret == 0 && d.node.purged_total)
		log_msg(SLOG_INFO, "deleted %llu self-revocations by keys that were never members "
			"(an earlier version stored them)", (unsigned long long)d.node.purged_total);
	if (ret == 0 && d.node.unreadable)
		log_msg(SLOG_WARN, "%llu stored membership records no longer decode and are not used "
			"(text with control characters, which an earlier version accepted)",
			(unsigned long long)d.node.unreadable);
	if (ret < 0) {
		log_msg(SLOG_ERR, "cannot open %s: %s", ret == SAMEN_ENBHD ? "the store (it belongs to "
			"another neighbourhood)" : cfg.state_dir, samen_strerror(ret));
		return start_failed(EXIT_INVALID, cfg.key, key_made);
	}
	for (unsigned i = 0; i < cfg.n_served; i++) {
		ret = node_serve(&d.node, cfg.served[i]);
		if (ret < 0) {
			log_msg(SLOG_ERR, "cannot serve a neighbourhood: %s", samen_strerror(ret));
			node_close(&d.node);
			return start_failed(EXIT_INVALID, cfg.key, key_made);
		}
	}
	if (policyfile_load(cfg.state_dir, &d.events.policy, err, sizeof(err)) < 0) {
		log_msg(SLOG_ERR, "%s", err);
		node_close(&d.node);
		return start_failed(EXIT_INVALID, cfg.key, key_made);
	}
	policyfile_zone_apply(&d.events.policy);
	d.node.stored = on_stored;
	d.node.stored_ctx = &d;
	daemon_wire(&d);
	d.control.started_ms = started_ms;
	if (join_load(&d.join) < 0)
		log_msg(SLOG_WARN, "cannot read stored invites");
	if (cfg.on_signal[0]) {
		ret = hook_new((hook_t **)&d.hook, cfg.on_signal, cfg.hook_timeout_seconds, 16);
		if (ret < 0) {
			log_msg(SLOG_ERR, "on_signal %s: %s", cfg.on_signal, samen_strerror(ret));
			node_close(&d.node);
			return start_failed(EXIT_USAGE, cfg.key, key_made);
		}
	}
	d.events.hook = d.hook;
	ret = daemon_open(&d);
	if (ret < 0) {
		daemon_close(&d);
		node_close(&d.node);
		return start_failed(EXIT_UNREACHABLE, cfg.key, key_made);
	}
	if (cfg.user[0]) {
		ret = drop_privileges(cfg.user);
		if (ret < 0) {
			log_msg(SLOG_ERR, "cannot become user %s: %s", cfg.user, samen_strerror(ret));
			daemon_close(&d);
			node_close(&d.node);
			return start_failed(EXIT_UNREACHABLE, cfg.key, key_made);
		}
	}
	char text[KEYTEXT_LEN], fp[FINGERPRINT_LEN];
	keytext_encode(d.node.id->pk, text);
	keytext_fingerprint(d.node.id->pk, fp);
	unsigned role = node_my_role(&d.node);
	log_msg(SLOG_INFO, "samend %s ready: key %s (%s), %s%s%s", SAMEN_VERSION, fp, text,
		cfg.role == CONFIG_ROLE_RELAY ? "relay" : role ? record_role_name(role) : "not a member yet",
		cfg.listen[0] ? ", listening on " : ", dialling out only", cfg.listen);
	char ready[64 + FINGERPRINT_LEN + ENDPOINT_MAX];
	snprintf(ready, sizeof(ready), "READY=1\nSTATUS=key %s%s%s", fp,
		 cfg.listen[0] ? ", listening on " : ", dialling out only", cfg.listen);
	if ((ret = notify_send(ready)) < 0)
		log_msg(SLOG_WARN, "cannot notify the service manager ($NOTIFY_SOCKET): %s",
			samen_strerror(ret));
	run(&d, config_path);
	log_msg(SLOG_INFO, "stopping");
	notify_send("STOPPING=1");
	hook_free((hook_t **)&d.hook);
	daemon_close(&d);
	node_close(&d.node);
	return 0;
}
