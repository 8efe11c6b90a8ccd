# SPDX-License-Identifier: Apache-2.0
# mod_bekymring: `make run` and `make test` are all a newcomer needs (README).

APXS    ?= apxs
PORT    ?= 8080
OUT     := build/out
VENDOR  := htdocs/static/vendor
PKGS    := jansson libcrypto libxml-2.0 libzip libpcre2-8 pangocairo cairo-pdf

# apxs knows httpd's compiler, flags and include paths; pkg-config the rest.
# ($(shell) below is lazy: before `make deps` has run on a fresh machine the
# tools may be missing, and every target that compiles depends on deps.)
CC       = $(shell $(APXS) -q CC 2>/dev/null || echo cc)
APR_INC  = -I$(shell $(APXS) -q INCLUDEDIR 2>/dev/null) \
           -I$(shell $(APXS) -q APR_INCLUDEDIR 2>/dev/null) \
           $(shell apu-1-config --includes 2>/dev/null)
CFLAGS   = $(shell $(APXS) -q CFLAGS 2>/dev/null) \
           $(shell $(APXS) -q EXTRA_CPPFLAGS 2>/dev/null) $(APR_INC) \
           $(shell pkg-config --cflags $(PKGS) 2>/dev/null) \
           -fPIC -O2 -g -Wall -Wextra -Wno-unused-parameter -Werror=implicit
LDLIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CORE_SRC := $(wildcard modules/bkm_*.c)
INCLUDES := -Imodules
GLUE_SRC := mod_bekymring.c $(wildcard modules/mod_bekymring_*.c)
MIGRATIONS := $(sort $(wildcard schema/sql/*.sql))
SCHEMAS  := $(sort $(wildcard schema/bekymringsmelding/*.json))
GENERATED := $(OUT)/bkm_migrations.o $(OUT)/bkm_schemas.o
CORE_OBJ := $(CORE_SRC:%.c=$(OUT)/%.o) $(GENERATED)
GLUE_OBJ := $(GLUE_SRC:%.c=$(OUT)/%.o)
HEADERS  := $(wildcard modules/*.h)

UNIT_SRC := $(wildcard t/unit/*.c)
UNIT_BIN := $(OUT)/unit_tests

.PHONY: all deps run test unit integration integration-pg checks bench clean

all: $(OUT)/mod_bekymring.so $(VENDOR)/.stamp

# Installs what is missing (build/packages.txt, then the npm lockfile of the
# local ID-porten stand-in); quick when everything is there.
deps: $(OUT)/.deps
$(OUT)/.deps: build/packages.txt build/idporten-dev/package-lock.json
	build/install-deps
	cd build/idporten-dev && npm ci --no-audit --no-fund --loglevel=error
	@mkdir -p $(OUT) && touch $@

# The pages' Designsystemet CSS, Inter font and postal codes, and the
# receivers' decrypter (htdocs/static/dekrypter.mjs with pkijs and asn1js,
# bundled by esbuild into dekrypter.js), from the npm lockfile of
# build/assets into the generated $(VENDOR)/ (build/assets/bundle writes
# the stamp last).
$(VENDOR)/.stamp: build/assets/package-lock.json build/assets/bundle \
                  htdocs/static/dekrypter.mjs | $(OUT)/.deps
	cd build/assets && npm ci --no-audit --no-fund --loglevel=error
	build/assets/bundle

$(OUT)/%.o: %.c $(HEADERS) | $(OUT)/.deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Imodules -c -o $@ $<

$(OUT)/bkm_migrations.c: build/embed-sql $(MIGRATIONS) | $(OUT)/.deps
	build/embed-sql $(MIGRATIONS) > $@.tmp && mv $@.tmp $@

$(OUT)/bkm_schemas.c: build/embed-files $(SCHEMAS) | $(OUT)/.deps
	build/embed-files bkm_report_schemas schema/bekymringsmelding \
	    $(SCHEMAS) > $@.tmp && mv $@.tmp $@

$(GENERATED): %.o: %.c $(HEADERS)
	$(CC) $(CFLAGS) -Imodules -c -o $@ $<

$(OUT)/mod_bekymring.so: $(CORE_OBJ) $(GLUE_OBJ)
	$(CC) -shared -o $@ $^ $(LDLIBS)

# The copy the test suite loads: the same objects but the clock, compiled
# with BKM_TEST_CLOCK so that tests can set a request's time
# (modules/mod_bekymring_clock.c).  Never installed.
TEST_CLOCK_OBJ := $(OUT)/test/mod_bekymring_clock.o
$(TEST_CLOCK_OBJ): modules/mod_bekymring_clock.c $(HEADERS) | $(OUT)/.deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -DBKM_TEST_CLOCK -Imodules -c -o $@ $<
$(OUT)/test/mod_bekymring.so: $(CORE_OBJ) $(filter-out %/mod_bekymring_clock.o,$(GLUE_OBJ)) $(TEST_CLOCK_OBJ)
	$(CC) -shared -o $@ $^ $(LDLIBS)

# ---- run: the portal on loopback with SQLite and the ID-porten stand-in --
run: all
	build/run-dev $(PORT)

# ---- tests ------------------------------------------------------------
$(UNIT_BIN): $(UNIT_SRC) t/unit/unit.h $(CORE_OBJ)
	$(CC) $(CFLAGS) -Imodules -o $@ $(UNIT_SRC) $(CORE_OBJ) $(LDLIBS) \
	    $(shell pkg-config --cflags --libs check) \
	    $(shell apr-1-config --link-ld) $(shell apu-1-config --link-ld) -lm

unit: $(UNIT_BIN)
	cd t/unit && ../../$(UNIT_BIN)

# The module that is installed has no test clock: not even its header's
# name is in it (modules/mod_bekymring_clock.c).
checks: all $(OUT)/test/mod_bekymring.so
	build/check-logtags
	@! strings $(OUT)/mod_bekymring.so | grep -q Bkm-Test-Klokke \
	    || { echo "the production module reads Bkm-Test-Klokke" >&2; exit 1; }
	@strings $(OUT)/test/mod_bekymring.so | grep -q Bkm-Test-Klokke \
	    || { echo "the test build lacks its clock" >&2; exit 1; }
	@echo "checks: the production module has no test clock"

# The browser tests' npm packages (t/pages_browser.t): playwright-core and
# axe-core from their lockfile.  The browser is Debian's Chromium
# (build/packages.txt), never one that playwright would download.
BROWSER_DEPS := $(OUT)/.browser-deps
$(BROWSER_DEPS): t/browser/package-lock.json | $(OUT)/.deps
	cd t/browser && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

integration: all $(OUT)/test/mod_bekymring.so $(BROWSER_DEPS)
	perl t/TEST

integration-pg: all $(OUT)/test/mod_bekymring.so $(BROWSER_DEPS)
	TEST_PGSQL=1 perl t/TEST

# The whole suite: unit tests, meta-checks, then Apache::Test on SQLite and
# on PostgreSQL (a throwaway cluster that t/TEST starts and stops).
test: all
	$(MAKE) --no-print-directory unit
	$(MAKE) --no-print-directory checks
	$(MAKE) --no-print-directory integration
	$(MAKE) --no-print-directory integration-pg

$(OUT)/bench_seal: t/bench/bench_seal.c $(CORE_OBJ)
	$(CC) $(CFLAGS) -Imodules -o $@ $< $(CORE_OBJ) $(LDLIBS) \
	    $(shell apr-1-config --link-ld) $(shell apu-1-config --link-ld) -lm

bench: all $(OUT)/test/mod_bekymring.so $(OUT)/bench_seal
	build/bench

clean:
	rm -rf $(OUT) $(VENDOR)
	-perl t/TEST -clean >/dev/null 2>&1

# make fuzz, make fuzz-smoke (t/fuzz: libFuzzer targets, built with clang)
include t/fuzz/fuzz.mk
