# SPDX-License-Identifier: Apache-2.0
# mod_bekymring: `make run` and `make test` are all a newcomer needs (README).

APXS    ?= apxs
PORT    ?= 8080
OUT     := build/out
VENDOR  := htdocs/static/vendor
PKGS    := jansson libcrypto libxml-2.0 libzip libpcre2-8 pangocairo cairo-pdf
# libpq: the core reads PostgreSQL's BYTEA in binary on mod_dbd's own
# connection (bkm_db_select_rows, issue 17).
PKGS    += libpq
# SQLite's checkpointer (modules/server/wal.c) calls libsqlite3 itself, on
# a connection of its own, outside apr-util's DBD mutex.
PKGS    += sqlite3

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

# The code map is in the README: modules/core is httpd-free (the unit
# tests link it alone), the other folders of modules/ are httpd glue.
GLUE_DIRS := server report api pages admin
CORE_SRC := $(wildcard modules/core/*.c)
GLUE_SRC := mod_bekymring.c $(foreach d,$(GLUE_DIRS),$(wildcard modules/$(d)/*.c))
MIGRATIONS := $(sort $(wildcard schema/sql/*.sql))
SCHEMAS  := $(sort $(wildcard schema/bekymringsmelding/*.json))
GENERATED := $(OUT)/bkm_migrations.o $(OUT)/bkm_schemas.o
# The postal-code register, compiled in (README: "The postal-code register").
POSTNUMMER := schema/postnummer/postnummer.tsv
GENERATED += $(OUT)/bkm_postnummer_data.o
CORE_OBJ := $(CORE_SRC:%.c=$(OUT)/%.o) $(GENERATED)
GLUE_OBJ := $(GLUE_SRC:%.c=$(OUT)/%.o)
# Glue includes its area headers by folder ("pages/pages.h"), the core's
# by name ("bkm_ids.h"); -MMD writes each object's header dependencies
# beside it, so a change rebuilds what it touches.
INCLUDES := -Imodules -Imodules/core
DEPFLAGS  = -MMD -MP

UNIT_SRC := $(wildcard t/unit/*.c)
UNIT_BIN := $(OUT)/unit_tests

.PHONY: all deps run test unit integration integration-pg failover checks bench \
        clean format format-check chaos chaos-short install deb deb-test

all: $(OUT)/mod_bekymring.so $(OUT)/bkm-kjede $(OUT)/bkm-migrate $(VENDOR)/.stamp

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

# The pages' static files as served (issue 14, item 6; build/assets/static):
# every file of htdocs/static (found anew each run, vendor/ through its
# stamp) minified, named by its content and precompressed (gzip, brotli)
# into build/out/static/public/, with the manifest.json that the module
# reads at start-up (BekymringStatic) to name them in the templates.
STATIC_MANIFEST := $(OUT)/static/manifest.json
all: $(STATIC_MANIFEST)
$(STATIC_MANIFEST): build/assets/static $(VENDOR)/.stamp \
        $(shell find htdocs/static -path htdocs/static/vendor -prune -o -print 2>/dev/null)
	build/assets/static

$(OUT)/%.o: %.c | $(OUT)/.deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(DEPFLAGS) $(INCLUDES) -c -o $@ $<

$(OUT)/bkm_migrations.c: build/embed-sql $(MIGRATIONS) | $(OUT)/.deps
	build/embed-sql $(MIGRATIONS) > $@.tmp && mv $@.tmp $@

$(OUT)/bkm_schemas.c: build/embed-files $(SCHEMAS) | $(OUT)/.deps
	build/embed-files bkm_report_schemas schema/bekymringsmelding \
	    $(SCHEMAS) > $@.tmp && mv $@.tmp $@

$(OUT)/bkm_postnummer_data.c: build/embed-files $(POSTNUMMER) | $(OUT)/.deps
	build/embed-files bkm_postnummer_files schema/postnummer \
	    $(POSTNUMMER) > $@.tmp && mv $@.tmp $@
# The pages' script gets the same register (build/assets/bundle).
$(VENDOR)/.stamp: $(POSTNUMMER)

$(GENERATED): %.o: %.c
	$(CC) $(CFLAGS) $(DEPFLAGS) $(INCLUDES) -c -o $@ $<

$(OUT)/mod_bekymring.so: $(CORE_OBJ) $(GLUE_OBJ)
	$(CC) -shared -o $@ $^ $(LDLIBS)

# The trail's check outside httpd (issue 16, item 4): the core alone.
$(OUT)/bkm-kjede: build/bkm-kjede.c $(CORE_OBJ)
	$(CC) $(CFLAGS) $(INCLUDES) -o $@ $< $(CORE_OBJ) $(LDLIBS) \
	    $(shell apr-1-config --link-ld) $(shell apu-1-config --link-ld) -lm

# The schema's migrations as a step of their own (issue 15, item 7;
# README "Upgrades"): installed as /usr/sbin/bekymring-migrate.
$(OUT)/bkm-migrate: build/bkm-migrate.c $(CORE_OBJ)
	$(CC) $(CFLAGS) $(INCLUDES) -o $@ $< $(CORE_OBJ) $(LDLIBS) \
	    $(shell apr-1-config --link-ld) $(shell apu-1-config --link-ld) -lm

# The copy the test suite loads: the same objects but the clock, compiled
# with BKM_TEST_CLOCK so that tests can set a request's time
# (modules/server/clock.c).  Never installed.
TEST_CLOCK_OBJ := $(OUT)/test/clock.o
$(TEST_CLOCK_OBJ): modules/server/clock.c | $(OUT)/.deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(DEPFLAGS) -DBKM_TEST_CLOCK $(INCLUDES) -c -o $@ $<
$(OUT)/test/mod_bekymring.so: $(CORE_OBJ) $(filter-out %/server/clock.o,$(GLUE_OBJ)) $(TEST_CLOCK_OBJ)
	$(CC) -shared -o $@ $^ $(LDLIBS)

# ---- install and the Debian package (README "Installing") ---------------
# `make install` lays out what a server needs; `make deb` runs Debian's
# dpkg-buildpackage (debhelper, build/debian/) on top of it.  DESTDIR is
# the staging root, PREFIX /usr for Debian's paths (the module then goes
# where Debian's apache2 loads modules from, apxs -q LIBEXECDIR).  The
# lists below are what is installed; adjust them here.
PREFIX     ?= /usr/local
DESTDIR    ?=
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
MODDIR     ?= $(if $(filter /usr,$(PREFIX)),$(shell $(APXS) -q LIBEXECDIR 2>/dev/null),$(PREFIX)/lib/apache2/modules)
DATADIR    ?= $(PREFIX)/share/mod_bekymring
# The pages as installed: one directory (templates, i18n, static with the
# built vendor/); a pipeline that builds them elsewhere names its output.
INSTALL_HTDOCS ?= htdocs
# /etc/mod_bekymring: examples and includes; those that hold secrets are
# installed 0640 (root:www-data when installed as root, INSTALL_OWNER).
INSTALL_ETC    := conf/idporten.conf conf/maskinporten.conf conf/database.conf \
                  conf/bekymring-locations.conf conf/registry.example.json \
                  conf/roles.example.json
INSTALL_SECRET := idporten.conf maskinporten.conf database.conf
# a2enmod's pair, and a2ensite's site (whichever of them exist in conf/).
INSTALL_MODS   := $(wildcard conf/bekymring.load conf/bekymring.conf)
INSTALL_SITE   := $(wildcard conf/bekymring-site.conf)
INSTALL_OWNER  ?= $(if $(filter 0,$(shell id -u)),$(if $(shell getent group www-data),root:www-data))

install: all
	install -d $(DESTDIR)$(MODDIR) $(DESTDIR)$(PREFIX)/sbin \
	    $(DESTDIR)$(DATADIR) $(DESTDIR)$(SYSCONFDIR)/apache2/mods-available \
	    $(DESTDIR)$(SYSCONFDIR)/apache2/sites-available
	install -m 0644 $(OUT)/mod_bekymring.so $(DESTDIR)$(MODDIR)/mod_bekymring.so
	install -m 0755 $(OUT)/bkm-migrate $(DESTDIR)$(PREFIX)/sbin/bekymring-migrate
	install -m 0755 $(OUT)/bkm-kjede $(DESTDIR)$(PREFIX)/sbin/bekymring-kjede
	rm -rf $(DESTDIR)$(DATADIR)/htdocs $(DESTDIR)$(DATADIR)/schema \
	    $(DESTDIR)$(DATADIR)/static
	cp -R $(INSTALL_HTDOCS) $(DESTDIR)$(DATADIR)/htdocs
	cp -R $(OUT)/static $(DESTDIR)$(DATADIR)/static
	rm -f $(DESTDIR)$(DATADIR)/htdocs/static/vendor/.stamp
	cp -R schema $(DESTDIR)$(DATADIR)/schema
	chmod -R u=rwX,go=rX $(DESTDIR)$(DATADIR)
	install -m 0644 $(INSTALL_MODS) $(DESTDIR)$(SYSCONFDIR)/apache2/mods-available/
	$(if $(INSTALL_SITE),install -m 0644 $(INSTALL_SITE) \
	    $(DESTDIR)$(SYSCONFDIR)/apache2/sites-available/bekymring.conf)
	install -d -m 0750 $(DESTDIR)$(SYSCONFDIR)/mod_bekymring
	install -m 0644 $(INSTALL_ETC) $(DESTDIR)$(SYSCONFDIR)/mod_bekymring/
	cd $(DESTDIR)$(SYSCONFDIR)/mod_bekymring && chmod 0640 $(INSTALL_SECRET)
	$(if $(INSTALL_OWNER),chown $(INSTALL_OWNER) $(DESTDIR)$(SYSCONFDIR)/mod_bekymring \
	    $(addprefix $(DESTDIR)$(SYSCONFDIR)/mod_bekymring/,$(INSTALL_SECRET)))

# The .deb, in build/out/deb/: dpkg-buildpackage in a stage that holds only
# debian/ (build/debian), its rules calling `make install` here.
DEB_STAGE := $(OUT)/deb/src
deb: all
	rm -rf $(OUT)/deb && mkdir -p $(DEB_STAGE)
	cp -R build/debian $(DEB_STAGE)/debian
	cd $(DEB_STAGE) && BKM_TOP=$(CURDIR) dpkg-buildpackage -b -us -uc \
	    --no-sign -d >../build.log 2>&1 \
	    || { tail -40 ../build.log >&2; exit 1; }
	@ls $(OUT)/deb/*.deb

# The package in the machine's own apache2 (t/deb.t, part of `make
# integration`; root, a throwaway machine: CI): installed, a portal vhost
# on a free loopback port with the local ID-porten stand-in, /helse and a
# login, purged.  Skips with a message when not root or without
# apache2ctl.
deb-test: all
	perl t/TEST t/deb.t

# ---- run: the portal on loopback with SQLite and the ID-porten stand-in --
run: all
	build/run-dev $(PORT)

# ---- tests ------------------------------------------------------------
$(UNIT_BIN): $(UNIT_SRC) t/unit/unit.h $(CORE_OBJ)
	$(CC) $(CFLAGS) $(INCLUDES) -o $@ $(UNIT_SRC) $(CORE_OBJ) $(LDLIBS) \
	    $(shell pkg-config --cflags --libs check) \
	    $(shell apr-1-config --link-ld) $(shell apu-1-config --link-ld) -lm

# The suites that t/unit/test_*.c define must be those in main.c's table:
# one missing from t/unit fails the link (unit.h declares each plainly, no
# weak symbols), and this refuses one defined but never run.
unit: $(UNIT_BIN)
	@def=$$(sed -n 's/^Suite \*\(bkm_suite_[a-z0-9_]*\)(void)$$/\1/p' \
	        t/unit/test_*.c | sort); \
	run=$$(grep -o 'bkm_suite_[a-z0-9_]*' t/unit/main.c | sort); \
	if [ "$$def" != "$$run" ]; then \
	    echo "t/unit: suites defined but not in main.c's table, or twice:" \
	        $$(printf '%s\n' $$def $$run | sort | uniq -u) \
	        $$(printf '%s\n' $$def | uniq -d) $$(printf '%s\n' $$run \
	        | uniq -d) >&2; \
	    exit 1; \
	fi
	cd t/unit && ../../$(UNIT_BIN)

# The module that is installed has no test clock: not even its header's
# name is in it (modules/server/clock.c).  The core is httpd-free:
# the unit tests link it without httpd, and nothing in it names httpd.  No
# file calls a file that calls it back (build/check-layers; the layers:
# modules/server/routes.h).
checks: all $(OUT)/test/mod_bekymring.so
	build/check-logtags
	@build/check-layers $(CORE_OBJ) $(GLUE_OBJ)
	@$(MAKE) --no-print-directory format-check
	@! grep -nE '^#include <(httpd|http_[a-z_]+|mod_[a-z_]+|util_[a-z_]+|ap_[a-z_]+|unixd)\.h>' \
	    modules/core/*.[ch] \
	    || { echo "the core (modules/core) includes an httpd header" >&2; exit 1; }
	@! nm -u $(CORE_OBJ) | grep -E ' U (ap_|unixd_)' \
	    || { echo "the core (modules/core) refers to httpd" >&2; exit 1; }
	@echo "checks: the core has no httpd header and no httpd symbol"
	@! strings $(OUT)/mod_bekymring.so | grep -q Bkm-Test-Klokke \
	    || { echo "the production module reads Bkm-Test-Klokke" >&2; exit 1; }
	@strings $(OUT)/test/mod_bekymring.so | grep -q Bkm-Test-Klokke \
	    || { echo "the test build lacks its clock" >&2; exit 1; }
	@echo "checks: the production module has no test clock"
	@$(MAKE) --no-print-directory openapi-lint

# ---- the vendor's kit (issue 15, item 3): schema/openapi.yaml ----------
# Redocly CLI (lint) and ajv (t/zz_openapi.t checks the suite's answers
# against the description) from build/openapi's lockfile.  Redocly's
# telemetry and update check are off: the build talks to nobody.
OPENAPI_DEPS := $(OUT)/.openapi-deps
$(OPENAPI_DEPS): build/openapi/package-lock.json | $(OUT)/.deps
	cd build/openapi && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

.PHONY: openapi-lint
openapi-lint: $(OPENAPI_DEPS)
	cd build/openapi && REDOCLY_TELEMETRY=off \
	    REDOCLY_SUPPRESS_UPDATE_NOTICE=true npx --no-install redocly lint \
	    --config redocly.yaml --format=stylish ../../schema/openapi.yaml
	@echo "checks: schema/openapi.yaml lints clean (Redocly CLI)"

integration: $(OPENAPI_DEPS)
integration-pg: $(OPENAPI_DEPS)

# The browser tests' npm packages (t/pages_browser.t): playwright-core and
# axe-core from their lockfile.  The browser is Debian's Chromium
# (build/packages.txt), never one that playwright would download.
BROWSER_DEPS := $(OUT)/.browser-deps
$(BROWSER_DEPS): t/browser/package-lock.json | $(OUT)/.deps
	cd t/browser && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Lighthouse for t/lighthouse.t (the citizen pages' floors), from its own
# lockfile; it runs Debian's Chromium and downloads nothing.
LIGHTHOUSE_DEPS := $(OUT)/.lighthouse-deps
$(LIGHTHOUSE_DEPS): t/lighthouse/package-lock.json | $(OUT)/.deps
	cd t/lighthouse && npm ci --no-audit --no-fund --loglevel=error
	@touch $@
integration integration-pg: $(LIGHTHOUSE_DEPS)

integration: all $(OUT)/test/mod_bekymring.so $(BROWSER_DEPS)
	perl t/TEST

# exec: make's SIGTERM goes to its child, which must be t/TEST (it stops
# the run's servers), not a shell that would leave it running.
integration-pg: all $(OUT)/test/mod_bekymring.so $(BROWSER_DEPS)
	TEST_PGSQL=1 exec perl t/TEST

# Zero-loss failover alone (t/failover.t, part of integration-pg too):
# a primary and a synchronous standby, the primary killed under load.
failover: all $(OUT)/test/mod_bekymring.so
	TEST_PGSQL=1 perl t/TEST t/failover.t

# The whole suite: unit tests, meta-checks, then Apache::Test on SQLite and
# on PostgreSQL (a throwaway cluster that t/TEST starts and stops).
test: all
	$(MAKE) --no-print-directory unit
	$(MAKE) --no-print-directory checks
	$(MAKE) --no-print-directory integration
	$(MAKE) --no-print-directory integration-pg
	$(MAKE) --no-print-directory chaos-short
	$(MAKE) --no-print-directory fuzz-smoke

# ---- format: clang-format 14 with .clang-format (STYLE.md section 9) ---
# Every C source and header of ours, wherever it lives below modules/ and
# t/ (npm's node_modules aside), found anew each time.
FORMAT_SRC = mod_bekymring.c $(shell find modules t -name node_modules \
                 -prune -o -name '*.[ch]' -print | LC_ALL=C sort)

format-check:
	clang-format --dry-run --Werror $(FORMAT_SRC)

format:
	clang-format -i $(FORMAT_SRC)

# A bounded fault run on SQLite and on PostgreSQL (t/chaos/chaos.pl; the
# README's "Reliability under faults"): load retried with the same
# idempotency keys while children and the parent are killed, the database
# stops or its disk fills, a case system hangs up mid-download and an
# escalation pass is killed; every 201 must be stored once and open with
# openssl cms.  One table per engine; fails on anything lost, duplicated,
# unreadable, or an integrity check.  chaos: a few minutes per engine;
# chaos-short: under a minute per engine.  Run as root for the full disk
# (a tmpfs); its own ports are the suite's variables (BKM_HTTPD_PORT,
# BKM_NODE2_PORT, BKM_OP_PORT, BKM_PG_PORT).
chaos: all $(OUT)/test/mod_bekymring.so
	perl t/chaos/chaos.pl

chaos-short: all $(OUT)/test/mod_bekymring.so
	perl t/chaos/chaos.pl --short

$(OUT)/bench_seal: t/bench/bench_seal.c $(CORE_OBJ)
	$(CC) $(CFLAGS) $(INCLUDES) -o $@ $< $(CORE_OBJ) $(LDLIBS) \
	    $(shell apr-1-config --link-ld) $(shell apu-1-config --link-ld) -lm

# make bench BENCH="pgsql delivery": a subset (engines and blocks, build/bench)
bench: all $(OUT)/test/mod_bekymring.so $(OUT)/bench_seal
	BENCH="$(BENCH)" build/bench

-include $(CORE_OBJ:.o=.d) $(GLUE_OBJ:.o=.d) $(TEST_CLOCK_OBJ:.o=.d)

clean:
	rm -rf $(OUT) $(VENDOR)
	-perl t/TEST -clean >/dev/null 2>&1

# make fuzz, make fuzz-smoke (t/fuzz: libFuzzer targets, built with clang)
include t/fuzz/fuzz.mk
