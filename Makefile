# samen — one Makefile for the libraries, the programs, the tests and the fuzzers.
#
#   make            build everything (build/)
#   make test       install missing Debian packages, build, run every test
#   make asan       the whole test suite under ASan+UBSan (build-asan/)
#   make fuzz       each libFuzzer harness for FUZZ_SECONDS (default 30)
#   make deps       install the Debian packages that are missing
#   make install    PREFIX=/usr/local DESTDIR=
#   V=1             show full commands

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
DESTDIR ?=
CC ?= cc
PKG_CONFIG ?= pkg-config
FUZZ_SECONDS ?= 30
FUZZ_CC ?= clang

PKGS := libzmq libsodium msgpack lmdb
DEB_PACKAGES := build-essential pkg-config libzmq3-dev libsodium-dev libmsgpack-dev \
	liblmdb-dev libcmocka-dev libxml2-utils clang

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
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
INTEG_SRCS := $(wildcard tests/integration/test_*.c)
TEST_HELPER_SRCS := $(wildcard tests/support/*.c)
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)

LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
DAEMON_OBJS := $(DAEMON_SRCS:%.c=$(BUILD)/%.o)
TEST_HELPER_OBJS := $(TEST_HELPER_SRCS:%.c=$(BUILD)/%.o)
LIBSAMEN := $(BUILD)/libsamen.a
LIBSAMEND := $(BUILD)/libsamend.a
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
INTEG_BINS := $(INTEG_SRCS:tests/integration/%.c=$(BUILD)/itests/%)
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=build-fuzz/%)
CLIENT_OBJS := $(CLIENT_SRCS:%.c=$(BUILD)/%.o)
PROGS := $(BUILD)/samen-keys $(BUILD)/samend $(BUILD)/samen

.PHONY: all test check demo asan fuzz deps install clean unit-tests
all: $(PROGS) $(UNIT_BINS) $(INTEG_BINS)

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

$(BUILD)/samen-keys: $(BUILD)/keys/samen-keys.o $(LIBSAMEN)
	$(call say,LD,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/samend: $(BUILD)/daemon/samend.o $(LIBSAMEND) $(LIBSAMEN)
	$(call say,LD,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/samen: $(CLIENT_OBJS) $(LIBSAMEN)
	$(call say,LD,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(TEST_HELPER_OBJS) $(LIBSAMEND) $(LIBSAMEN)
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS) $(TEST_LIBS)

$(BUILD)/itests/%: $(BUILD)/tests/integration/%.o $(TEST_HELPER_OBJS) $(LIBSAMEND) $(LIBSAMEN)
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS) $(TEST_LIBS)

# `make test` is the README's command: it installs what is missing, builds,
# and runs every test binary; tests/run.sh prints cmocka's summaries and a
# closing "N passed, N failed" line.
test: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)BUILD=$(BUILD) sh tests/run.sh $(UNIT_BINS) $(INTEG_BINS)

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

# libFuzzer harnesses, built with clang; each links the library sources
# directly so the whole decoder is instrumented.
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -D_DEFAULT_SOURCE \
	$(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
build-fuzz/%: tests/fuzz/%.c $(LIB_SRCS)
	$(call say,FUZZCC,$@)
	@mkdir -p build-fuzz
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $^ $(LIBS)

fuzz: deps $(FUZZ_BINS)
	$(Q)for f in $(FUZZ_BINS); do \
		name=$$(basename $$f); mkdir -p build-fuzz/corpus-$$name; \
		echo "fuzz: $$name for $(FUZZ_SECONDS)s"; \
		$$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
		    build-fuzz/corpus-$$name tests/fuzz/seeds/$$name 2>build-fuzz/$$name.log \
		  || { tail -40 build-fuzz/$$name.log; exit 1; }; \
		grep -E 'stat::number_of_executed_units|Done' build-fuzz/$$name.log | tail -2; \
	done

install: $(PROGS)
	install -d $(DESTDIR)$(BINDIR)
	install -d $(DESTDIR)$(SBINDIR)
	install -m 0755 $(BUILD)/samen-keys $(BUILD)/samen $(DESTDIR)$(BINDIR)/
	install -m 0755 $(BUILD)/samend $(DESTDIR)$(SBINDIR)/

clean:
	rm -rf build build-asan build-fuzz

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
.SECONDARY:
