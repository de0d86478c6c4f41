# SPDX-License-Identifier: EUPL-1.2
# samen — one Makefile for the libraries, the programs, the tests and the fuzzers.
#
#   make            build everything (build/)
#   make test       install missing Debian packages, build, run every test
#   make asan       the whole test suite under ASan+UBSan (build-asan/)
#   make fuzz       each libFuzzer harness for FUZZ_SECONDS (default 30)
#   make deps       install the Debian packages that are missing
#   make deb        the Debian package, in build/deb/
#   make test-system the .deb under a real systemd in a booted Debian 12 root
#                   (systemd-nspawn; needs root): see tests/system/run.sh
#   make install    PREFIX=/usr/local DESTDIR= (programs, man pages, configs,
#                   systemd units, bash completion; PREFIX=/usr puts the config
#                   in /etc and the unit in /lib/systemd/system)
#   V=1             show full commands

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
WEBDIR ?= $(PREFIX)/share/samen/web
ifeq ($(PREFIX),/usr)
SYSCONFDIR ?= /etc
SYSTEMDUNITDIR ?= /lib/systemd/system
else
SYSCONFDIR ?= $(PREFIX)/etc
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
endif
# The units, the man pages and samen-web.conf name /usr/sbin, /usr/share
# and /etc/samen; `make install`
# writes them with this installation's SBINDIR and SYSCONFDIR.
INSTALL_PATHS = sed -e 's|/usr/sbin/samend|$(SBINDIR)/samend|g' \
	-e 's|/usr/sbin/samen-web|$(SBINDIR)/samen-web|g' \
	-e 's|/usr/share/samen/web|$(WEBDIR)|g' -e 's|/etc/samen/|$(SYSCONFDIR)/samen/|g'
DESTDIR ?=
CC ?= cc
PKG_CONFIG ?= pkg-config
FUZZ_SECONDS ?= 30
FUZZ_CC ?= clang

PKGS := libzmq libsodium msgpack lmdb
WEB_PKGS := libmicrohttpd libqrencode gnutls
DEB_PACKAGES := build-essential pkg-config libzmq3-dev libsodium-dev libmsgpack-dev \
	liblmdb-dev libcmocka-dev libxml2-utils clang systemd groff-base man-db python3 \
	libmicrohttpd-dev libqrencode-dev libgnutls28-dev chromium chromium-driver python3-selenium python3-websocket \
	python3-nacl python3-msgpack python3-zmq tzdata
# libFuzzer's and ASan's runtimes for clang are only a Recommends of clang.
FUZZ_PACKAGES := clang libclang-rt-14-dev

ifeq ($(SANITIZE),1)
BUILD ?= build-asan
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
else
BUILD ?= build
SAN_FLAGS :=
endif

CFLAGS ?= -O2 -g
WARN := -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wformat=2 -Wvla
VERSION := 0.1.0
DEFS := -D_GNU_SOURCE -D_FORTIFY_SOURCE=2 -DSAMEN_VERSION='"$(VERSION)"'
ALL_CFLAGS = $(WARN) $(DEFS) $(CFLAGS) $(SAN_FLAGS) -fstack-protector-strong \
	$(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null) -MMD -MP
LIBS = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
TEST_LIBS = $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null)
WEB_LIBS = $(shell $(PKG_CONFIG) --libs $(WEB_PKGS) 2>/dev/null)
ALL_LDFLAGS = $(LDFLAGS) $(SAN_FLAGS)

ifeq ($(V),1)
Q :=
say = @true
else
Q := @
say = @printf '  %-6s %s\n' $(1) $(2)
endif

# Programs: one main per file below; every other .c in its folder is library.
PROG_MAINS := keys/samen-keys.c daemon/samend.c
CLIENT_SRCS := $(wildcard client/*.c)
LIB_SRCS := $(filter-out $(PROG_MAINS),$(wildcard proto/*.c keys/*.c))
DAEMON_SRCS := $(filter-out daemon/samend.c,$(wildcard daemon/*.c))
WEB_SRCS := $(filter-out web/samen-web.c,$(wildcard web/*.c))
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
INTEG_SRCS := $(wildcard tests/integration/test_*.c)
TEST_HELPER_SRCS := $(wildcard tests/support/*.c)
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)

LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
DAEMON_OBJS := $(DAEMON_SRCS:%.c=$(BUILD)/%.o)
WEB_OBJS := $(WEB_SRCS:%.c=$(BUILD)/%.o)
LIBSAMENWEB := $(BUILD)/libsamenweb.a
TEST_HELPER_OBJS := $(TEST_HELPER_SRCS:%.c=$(BUILD)/%.o)
LIBSAMEN := $(BUILD)/libsamen.a
LIBSAMEND := $(BUILD)/libsamend.a
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
INTEG_BINS := $(INTEG_SRCS:tests/integration/%.c=$(BUILD)/itests/%)
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=build-fuzz/%)
CLIENT_OBJS := $(CLIENT_SRCS:%.c=$(BUILD)/%.o)
PROGS := $(BUILD)/samen-keys $(BUILD)/samend $(BUILD)/samen $(BUILD)/samen-web
# the bash completion, its word lists printed by tools/gen_completion.c
COMPLETION := $(BUILD)/samen.bash

.PHONY: all test check demo asan fuzz deps install clean unit-tests
all: $(PROGS) $(COMPLETION) $(UNIT_BINS) $(INTEG_BINS)

$(BUILD)/%.o: %.c
	$(call say,CC,$<)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIBSAMEN): $(LIB_OBJS)
	$(call say,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(LIBSAMEND): $(DAEMON_OBJS)
	$(call say,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(LIBSAMENWEB): $(WEB_OBJS)
	$(call say,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/client/web.o: ALL_CFLAGS += -DSAMEN_SBINDIR='"$(SBINDIR)"'
$(BUILD)/web/%.o: ALL_CFLAGS += $(shell $(PKG_CONFIG) --cflags $(WEB_PKGS) 2>/dev/null) \
	-DSAMEN_WEB_STATIC='"$(WEBDIR)"' -DSAMEN_SYSCONFDIR='"$(SYSCONFDIR)"'
$(BUILD)/samen-web: $(BUILD)/web/samen-web.o $(LIBSAMENWEB) $(LIBSAMEN)
	$(call say,LD,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS) $(WEB_LIBS) -lpthread

$(BUILD)/samen-keys: $(BUILD)/keys/samen-keys.o $(LIBSAMEN)
	$(call say,LD,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/samend: $(BUILD)/daemon/samend.o $(LIBSAMEND) $(LIBSAMEN)
	$(call say,LD,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/samen: $(CLIENT_OBJS) $(LIBSAMEN)
	$(call say,LD,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/gen_completion: $(BUILD)/tools/gen_completion.o \
		$(filter-out $(BUILD)/client/samen.o,$(CLIENT_OBJS)) $(LIBSAMEND) $(LIBSAMEN)
	$(call say,LD,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(COMPLETION): docs/completion/samen.bash.in $(BUILD)/gen_completion
	$(call say,GEN,$@)
	$(Q)$(BUILD)/gen_completion >$@.lists
	$(Q)sed -e '/^@GENERATED_LISTS@$$/{r $@.lists' -e 'd}' $< >$@.tmp && \
		! grep -q '@GENERATED_LISTS@' $@.tmp && mv $@.tmp $@ && rm -f $@.lists

# unit tests of samen-web's parts (tests/unit/test_web_*.c) link its library too
$(BUILD)/tests/test_web_%: $(BUILD)/tests/unit/test_web_%.o $(TEST_HELPER_OBJS) $(LIBSAMENWEB) \
		$(LIBSAMEND) $(LIBSAMEN)
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS) $(WEB_LIBS) $(TEST_LIBS) -lpthread

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(TEST_HELPER_OBJS) $(LIBSAMEND) $(LIBSAMEN)
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS) $(TEST_LIBS)

# samen-web's settings are in its own library, which the others do not link.
$(BUILD)/tests/test_webconf: $(BUILD)/tests/unit/test_webconf.o $(LIBSAMENWEB) $(LIBSAMEN)
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS) $(WEB_LIBS) $(TEST_LIBS) -lpthread

$(BUILD)/itests/%: $(BUILD)/tests/integration/%.o $(TEST_HELPER_OBJS) $(LIBSAMEND) $(LIBSAMEN)
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS) $(TEST_LIBS)

# the WebSocket codec's test compiles web/wsframe.c in, and its SHA-1 is GnuTLS's
$(BUILD)/tests/test_wsframe: LIBS += $(shell $(PKG_CONFIG) --libs gnutls 2>/dev/null)

# `make test` is the README's command: it installs what is missing, builds,
# and runs every test binary, then tests/interop/check.py (PROTOCOL.md checked
# by a second implementation, in Debian's Python); tests/run.sh prints their
# summaries and a closing "N passed, N failed" line.
INTEROP := tests/interop/check.py
test: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)BUILD=$(BUILD) sh tests/run.sh $(UNIT_BINS) $(INTEG_BINS) $(INTEROP)

check: test

# `make demo` is the README's other command: a neighbourhood, a relay and an
# authority on loopback, an alert seen arriving everywhere.
demo: deps
	$(Q)$(MAKE) --no-print-directory $(PROGS)
	$(Q)BUILD=$(BUILD) bash tests/demo.sh

# A small quarantine keeps ASan's freed-memory cache from hiding the
# relay's memory bound; leaks are reported at each daemon's exit.
asan:
	$(Q)ASAN_OPTIONS=quarantine_size_mb=4:detect_leaks=1:abort_on_error=1 \
		$(MAKE) --no-print-directory test SANITIZE=1

deps:
	$(Q)sh tests/deps.sh $(DEB_PACKAGES)

# `make deb`: the Debian package, built with dpkg-buildpackage (which writes
# to the parent directory) and then moved into build/deb/ inside the clone.
DEB_BUILD_PACKAGES := debhelper dpkg-dev fakeroot
.PHONY: deb
deb: deps
	$(Q)sh tests/deps.sh $(DEB_BUILD_PACKAGES)
	$(Q)dpkg-buildpackage -us -uc -b
	$(Q)mkdir -p build/deb && mv ../samen_$(VERSION)_*.deb ../samen_$(VERSION)_*.buildinfo \
		../samen_$(VERSION)_*.changes build/deb/
	$(Q)ls build/deb/*.deb

.PHONY: fuzz-deps
fuzz-deps:
	$(Q)sh tests/deps.sh $(FUZZ_PACKAGES)

# libFuzzer harnesses, built with clang; each links the library sources
# directly so the whole decoder is instrumented.
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -D_DEFAULT_SOURCE \
	$(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
build-fuzz/%: tests/fuzz/%.c $(LIB_SRCS)
	$(call say,FUZZCC,$@)
	@mkdir -p build-fuzz
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $^ $(LIBS) $(FUZZ_LIBS)
# fuzz_wsframe compiles web/wsframe.c in, whose SHA-1 is GnuTLS's
build-fuzz/fuzz_wsframe: FUZZ_LIBS = $(shell $(PKG_CONFIG) --libs gnutls 2>/dev/null)

fuzz: deps fuzz-deps
	$(Q)$(MAKE) --no-print-directory $(FUZZ_BINS)
	$(Q)for f in $(FUZZ_BINS); do \
		name=$$(basename $$f); mkdir -p build-fuzz/corpus-$$name; \
		echo "fuzz: $$name for $(FUZZ_SECONDS)s"; \
		$$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
		    build-fuzz/corpus-$$name tests/fuzz/seeds/$$name 2>build-fuzz/$$name.log \
		  || { tail -40 build-fuzz/$$name.log; exit 1; }; \
		grep -E 'stat::number_of_executed_units|Done' build-fuzz/$$name.log | tail -2; \
	done

# An existing samend.conf or samen-web.conf is the household's own and is
# never overwritten.
MAN_PAGES := samen.1 samen-keys.1 samend.conf.5 samend.8 samen-web.8
install: $(PROGS) $(COMPLETION)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(SYSCONFDIR)/samen \
		$(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(SYSUSERSDIR)
	install -m 0755 $(BUILD)/samen-keys $(BUILD)/samen $(DESTDIR)$(BINDIR)/
	install -m 0755 $(BUILD)/samend $(BUILD)/samen-web $(DESTDIR)$(SBINDIR)/
	install -d $(DESTDIR)$(WEBDIR)
	install -m 0644 web/static/* $(DESTDIR)$(WEBDIR)/
	for m in $(MAN_PAGES); do \
		$(INSTALL_PATHS) docs/man/$$m >$(DESTDIR)$(MANDIR)/man$${m##*.}/$$m && \
		chmod 0644 $(DESTDIR)$(MANDIR)/man$${m##*.}/$$m || exit 1; \
	done
	if [ -e $(DESTDIR)$(SYSCONFDIR)/samen/samend.conf ]; then \
		echo "install: keeping $(DESTDIR)$(SYSCONFDIR)/samen/samend.conf"; \
	else \
		install -m 0644 docs/samend.conf.example $(DESTDIR)$(SYSCONFDIR)/samen/samend.conf; \
	fi
	if [ -e $(DESTDIR)$(SYSCONFDIR)/samen/samen-web.conf ]; then \
		echo "install: keeping $(DESTDIR)$(SYSCONFDIR)/samen/samen-web.conf"; \
	else \
		$(INSTALL_PATHS) docs/samen-web.conf.example >$(DESTDIR)$(SYSCONFDIR)/samen/samen-web.conf && \
		chmod 0644 $(DESTDIR)$(SYSCONFDIR)/samen/samen-web.conf; \
	fi
	$(INSTALL_PATHS) docs/systemd/samend.service >$(DESTDIR)$(SYSTEMDUNITDIR)/samend.service
	$(INSTALL_PATHS) docs/systemd/samen-web.service >$(DESTDIR)$(SYSTEMDUNITDIR)/samen-web.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/samend.service $(DESTDIR)$(SYSTEMDUNITDIR)/samen-web.service
	install -m 0644 docs/systemd/samen.sysusers $(DESTDIR)$(SYSUSERSDIR)/samen.conf
	@# into the running system: the user the unit names, made now
	if [ -z "$(DESTDIR)" ] && command -v systemd-sysusers >/dev/null; then \
		systemd-sysusers $(SYSUSERSDIR)/samen.conf; fi
	install -m 0644 $(COMPLETION) $(DESTDIR)$(BASHCOMPDIR)/samen
	ln -sf samen $(DESTDIR)$(BASHCOMPDIR)/samen-keys
	ln -sf samen $(DESTDIR)$(BASHCOMPDIR)/samend

clean:
	rm -rf build build-asan build-fuzz

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
.SECONDARY:

# `make test-faults`: fault and attack tests against real daemons (crash,
# partition, link rotation, churn, flood, forgery and replay, disk full,
# sequence gaps). Each program in
# tests/faults/test_*.c links the other tests/faults/*.c, the integration
# helpers and the daemon library; tests/run.sh prints the closing
# "N passed, N failed". The partition and disk-full tests need root (network
# namespaces, tmpfs) and say so when they skip.
FAULT_SRCS := $(wildcard tests/faults/test_*.c)
FAULT_HELPER_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(filter-out $(FAULT_SRCS),$(wildcard tests/faults/*.c)))
FAULT_BINS := $(FAULT_SRCS:tests/faults/%.c=$(BUILD)/ftests/%)

$(BUILD)/ftests/%: $(BUILD)/tests/faults/%.o $(FAULT_HELPER_OBJS) $(TEST_HELPER_OBJS) $(LIBSAMEND) $(LIBSAMEN)
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS) $(TEST_LIBS) -lpthread

.PHONY: test-faults fuzz-long
test-faults: deps
	$(Q)sh tests/deps.sh iproute2
	$(Q)$(MAKE) --no-print-directory $(PROGS) $(FAULT_BINS)
	$(Q)BUILD=$(BUILD) sh tests/run.sh $(FAULT_BINS)

# `make test-system`: builds the .deb (`make deb`), then boots a
# debootstrapped Debian 12 root with systemd-nspawn and checks samend.service
# under its real systemd: the README's founder, household and relay configs
# start and report ready, reload, stop, restart after a crash, a second
# samend on the same state directory is refused, the hook runs inside the
# hardening, tcp://0.0.0.0 and tcp://127.0.0.1 bind (AF_NETLINK), the
# `systemd-analyze security` score stays at or below SAMEN_SECURITY_MAX, and
# `make install` without a samen user does not crash-loop. Needs root. The
# root is built once (about a minute from the mirror) and kept in
# SAMEN_SYSTEM_CACHE (default /var/cache/samen-system-test; `make clean`,
# which `make deb` runs, does not touch it). Ends with "N passed, N failed".
SYSTEM_TEST_PACKAGES := debootstrap systemd-container
.PHONY: test-system
test-system: deb
	$(Q)sh tests/deps.sh $(SYSTEM_TEST_PACKAGES)
	$(Q)bash tests/system/run.sh

# `make fuzz-long`: every libFuzzer harness for FUZZ_LONG_SECONDS (default
# 600) each, growing the same corpora as `make fuzz`; not run in CI. A
# finding leaves its input in build-fuzz/ (crash-*, leak-*, timeout-*).
FUZZ_LONG_SECONDS ?= 600
fuzz-long: deps fuzz-deps
	$(Q)$(MAKE) --no-print-directory $(FUZZ_BINS)
	$(Q)for f in $(FUZZ_BINS); do \
		name=$$(basename $$f); mkdir -p build-fuzz/corpus-$$name; \
		echo "fuzz-long: $$name for $(FUZZ_LONG_SECONDS)s"; \
		$$f -max_total_time=$(FUZZ_LONG_SECONDS) -print_final_stats=1 \
		    -artifact_prefix=build-fuzz/$$name- \
		    build-fuzz/corpus-$$name tests/fuzz/seeds/$$name 2>build-fuzz/$$name.long.log \
		  || { tail -40 build-fuzz/$$name.long.log; exit 1; }; \
		grep -E 'stat::number_of_executed_units|stat::peak_rss_mb|Done' build-fuzz/$$name.long.log | tail -3; \
	done

# `make bench`: real daemons (and HashiCorp Serf agents, for comparison) on
# loopback, measured; prints one table and writes bench/results.json, and
# bench/latency-cdf.png when gnuplot is installed. A program, not a test:
# nothing asserts on timing. BENCH_* settings are listed in tests/bench/bench.c
# (e.g. BENCH_SIZES="10 100 300" BENCH_SCALE=500).
BENCH_SRCS := $(wildcard tests/bench/*.c)
BENCH_OBJS := $(BENCH_SRCS:%.c=$(BUILD)/%.o)
BENCH_BIN := $(BUILD)/bench/samen-bench
BENCH_DEB_PACKAGES := serf gnuplot-nox

# built with everything else, so that a change that breaks the bench's
# compilation fails `make test` rather than the next `make bench`
all: $(BENCH_BIN)

$(BENCH_BIN): $(BENCH_OBJS) $(TEST_HELPER_OBJS) $(LIBSAMEND) $(LIBSAMEN)
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS) -lm

.PHONY: bench
bench: deps
	$(Q)sh tests/deps.sh $(BENCH_DEB_PACKAGES) || \
		echo "bench: could not install $(BENCH_DEB_PACKAGES): no Serf rows, no plot"
	$(Q)$(MAKE) --no-print-directory $(PROGS) $(BENCH_BIN)
	$(Q)mkdir -p bench
	$(Q)BUILD=$(BUILD) $(BENCH_BIN)
