# SPDX-License-Identifier: Apache-2.0
# ---- fuzzing: libFuzzer targets of t/fuzz (included by the Makefile) ----
# Every parser of outside input has a target t/fuzz/fuzz_NAME.c, its seeds
# in t/fuzz/corpus/NAME/ and maybe a dictionary t/fuzz/NAME.dict.  The core
# is compiled again with clang, coverage and the sanitizers into
# $(FUZZ_OUT); t/fuzz/run runs the targets one after the other.
#   make fuzz FUZZ_SECONDS=N   each target N seconds (default 60), a table
#                              of executions; fails on any crash
#   make fuzz-smoke            each target a few seconds from its seeds
#   make fuzz-build            only build them
# Uses from the Makefile: OUT, CORE_SRC, GENERATED, INCLUDES, DEPFLAGS,
# PKGS, APR_INC and APXS.

FUZZ_CC      ?= clang
FUZZ_OUT     := $(OUT)/fuzz
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 2
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS   = -g -O1 -fno-omit-frame-pointer $(FUZZ_SAN) \
                $(shell $(APXS) -q EXTRA_CPPFLAGS 2>/dev/null) $(APR_INC) \
                $(shell pkg-config --cflags $(PKGS) 2>/dev/null) \
                $(INCLUDES) -Wall -Wextra -Wno-unused-parameter \
                -Werror=implicit $(DEPFLAGS)
FUZZ_LDLIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null) \
                $(shell apr-1-config --link-ld 2>/dev/null) \
                $(shell apu-1-config --link-ld 2>/dev/null) -lm

FUZZ_SRC     := $(wildcard t/fuzz/fuzz_*.c)
FUZZ_BIN     := $(FUZZ_SRC:t/fuzz/%.c=$(FUZZ_OUT)/%)
FUZZ_CORE_OBJ := $(CORE_SRC:%.c=$(FUZZ_OUT)/%.o)
FUZZ_GEN_OBJ := $(GENERATED:$(OUT)/%.o=$(FUZZ_OUT)/gen/%.o)
FUZZ_LIB     := $(FUZZ_OUT)/libcore.a
FUZZ_COMMON  := $(FUZZ_OUT)/common.o

.PHONY: fuzz fuzz-smoke fuzz-build

# The core with coverage (no libFuzzer main: that comes at link time).
$(FUZZ_CORE_OBJ): $(FUZZ_OUT)/%.o: %.c | $(OUT)/.deps
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_GEN_OBJ): $(FUZZ_OUT)/gen/%.o: $(OUT)/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_COMMON): t/fuzz/common.c t/fuzz/fuzz.h | $(OUT)/.deps
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

# An archive, so that each target links only the core it calls.
$(FUZZ_LIB): $(FUZZ_CORE_OBJ) $(FUZZ_GEN_OBJ)
	rm -f $@ && ar rcs $@ $^

# The print manifest's XSD, compiled in: the printjob target validates
# every manifest it gets against it.
$(FUZZ_OUT)/gen/print_xsd.c: build/embed-files schema/print/utskrift.xsd | $(OUT)/.deps
	@mkdir -p $(dir $@)
	build/embed-files bkm_fuzz_xsd schema/print \
	    schema/print/utskrift.xsd > $@.tmp && mv $@.tmp $@
$(FUZZ_OUT)/gen/print_xsd.o: $(FUZZ_OUT)/gen/print_xsd.c
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<
$(FUZZ_OUT)/fuzz_printjob: $(FUZZ_OUT)/gen/print_xsd.o

# A registry that loads ends with a bcrypt of cost 10 (its dummy hash):
# a stand-in keeps that target fast (fuzz_registry.c).
FUZZ_LDFLAGS_fuzz_registry := -Wl,--wrap=apr_bcrypt_encode

$(FUZZ_OUT)/fuzz_%: t/fuzz/fuzz_%.c t/fuzz/fuzz.h $(FUZZ_COMMON) $(FUZZ_LIB)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_COMMON) \
	    $(filter %.o,$(filter-out $(FUZZ_COMMON),$^)) $(FUZZ_LIB) \
	    $(FUZZ_LDLIBS) $(FUZZ_LDFLAGS_fuzz_$*)

fuzz-build: $(FUZZ_BIN)

fuzz: $(FUZZ_BIN)
	t/fuzz/run $(FUZZ_OUT) $(FUZZ_SECONDS) $(FUZZ_BIN)

# For `make test`: every target from its seeds alone, a few seconds each.
fuzz-smoke: $(FUZZ_BIN)
	t/fuzz/run -smoke $(FUZZ_OUT) $(FUZZ_SMOKE_SECONDS) $(FUZZ_BIN)

-include $(FUZZ_CORE_OBJ:.o=.d) $(FUZZ_GEN_OBJ:.o=.d) $(FUZZ_COMMON:.o=.d)
