# hive: build, test, run, bench, fuzz.
#
#   make            all programs into build/bin
#   make test       what CI runs: every libFuzzer target for FUZZ_SMOKE_SECONDS
#                   on its corpus, then the Criterion suite (unit, scripted and
#                   end-to-end), all built with ASan and UBSan (one build, in
#                   $(BUILD)/san)
#   make test-plain the Criterion suite without sanitizers, in $(BUILD)
#   make asan       the Criterion suite with ASan and UBSan, no fuzzing
#   make valgrind   the end-to-end tests with every hive process under
#                   valgrind memcheck (plain build, in $(BUILD))
#   make run        the demo: a central and a peripheral on the emulated radio
#   make bench      benchmarks, one JSON object per line
#   make fuzz       every libFuzzer target for FUZZ_SECONDS each
#   make deps       install missing Debian packages (idempotent)
#   make clean
#
# Each folder with programs has one or more NAME.mk files that append to PROGRAMS and set
# <program>_SRCS; tests/unit/test_*.c and tests/fuzz/fuzz_*.c are found by
# name.

BUILD ?= build
SAN ?=
CC ?= gcc
FUZZ_SECONDS ?= 30
FUZZ_SMOKE_SECONDS ?= 2
# Sub-makes build in parallel unless a -j was given to the top one.
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
jobs = $(if $(findstring jobserver,$(MAKEFLAGS)),,-j$(JOBS))

PKGS := libzmq libprotobuf-c jansson libcrypto sqlite3 libusb-1.0
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter \
	-MMD -MP -D_GNU_SOURCE -Iactors/runtime -Itests/support -Ibroker -I$(BUILD)/gen $(PKG_CFLAGS)
ifneq ($(SAN),)
# -O1: the sanitized build compiles in 60% of the time -O2 takes (make test
# builds it), and ASan runs well at -O1. GCC's format-truncation check is
# cruder at -O1 (false alarms): the -O2 builds keep it.
SAN_OPT ?= -O1 -Wno-format-truncation
CFLAGS += $(SAN_OPT) -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif
LDLIBS += $(PKG_LIBS) -lpthread -lm

GEN := $(BUILD)/gen
PROTOS := $(wildcard messages/*.proto)
GEN_C := $(patsubst messages/%.proto,$(GEN)/%.pb-c.c,$(PROTOS))
GEN_H := $(GEN_C:.c=.h)

RUNTIME_SRCS := $(wildcard actors/runtime/*.c)
LIBHIVE := $(BUILD)/lib/libhive.a

PROGRAMS :=
include $(wildcard */*.mk actors/*/*.mk tests/*/*.mk)

BINS := $(addprefix $(BUILD)/bin/,$(PROGRAMS))

TEST_SRCS := $(wildcard tests/unit/test_*.c)
TEST_BINS := $(patsubst tests/unit/%.c,$(BUILD)/test/%,$(TEST_SRCS))
TEST_SUPPORT := $(wildcard tests/support/*.c)

FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

.PHONY: all test test-plain check run bench fuzz asan valgrind deps clean
.DEFAULT_GOAL := all
# Generated sources are kept (make would otherwise delete them as intermediates).
.SECONDARY:

all: $(BINS)

# ---- generated protobuf-c code ------------------------------------------------
$(GEN)/%.pb-c.c $(GEN)/%.pb-c.h: messages/%.proto
	@mkdir -p $(GEN)
	protoc-c --proto_path=messages --c_out=$(GEN) $<

# Every object may include the generated headers.
$(BUILD)/obj/%.o: %.c $(GEN_H)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/obj/gen/%.o: $(GEN)/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Wno-shadow -c $< -o $@

$(LIBHIVE): $(call obj,$(RUNTIME_SRCS)) $(patsubst $(GEN)/%.c,$(BUILD)/obj/gen/%.o,$(GEN_C))
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

# One link rule per program, from <program>_SRCS.
define program_rule
$(BUILD)/bin/$(1): $(call obj,$($(1)_SRCS)) $(LIBHIVE)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) $$^ $$(LDLIBS) $$($(1)_LIBS) -o $$@
endef
$(foreach p,$(PROGRAMS),$(eval $(call program_rule,$(p))))

# ---- tests -------------------------------------------------------------------
# A test may also link the sources of the program it tests: test_<x>_SRCS.
define test_rule
$(BUILD)/test/$(1): $(call obj,tests/unit/$(1).c $(TEST_SUPPORT) $($(1)_SRCS)) $(LIBHIVE)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) $$^ $$(LDLIBS) -lcriterion -o $$@
endef
$(foreach t,$(patsubst tests/unit/%.c,%,$(TEST_SRCS)),$(eval $(call test_rule,$(t))))

# make test: one sanitized build of programs, tests and fuzz targets, then
# run-tests.sh runs the fuzz targets (a short smoke run each, two at a time;
# a crash fails it) and the suite, and ends with "tests: N passed, N failed".
SAN_BUILD ?= $(BUILD)/san
test: deps
	@$(MAKE) --no-print-directory $(jobs) BUILD=$(SAN_BUILD) SAN=1 check

# In the current BUILD: build everything the suite needs, run it.
check: all-tests $(FUZZ_BINS)
	@BUILD=$(BUILD) FUZZ_SMOKE_SECONDS=$(FUZZ_SMOKE_SECONDS) \
		tests/run-tests.sh $(FUZZ_BINS) $(TEST_BINS)

test-plain: deps
	@$(MAKE) --no-print-directory $(jobs) all-tests
	@BUILD=$(BUILD) tests/run-tests.sh $(TEST_BINS)

.PHONY: all-tests
all-tests: $(BINS) $(TEST_BINS)

asan: deps
	@$(MAKE) --no-print-directory $(jobs) BUILD=$(SAN_BUILD) SAN=1 all-tests
	@BUILD=$(SAN_BUILD) tests/run-tests.sh $(patsubst $(BUILD)/%,$(SAN_BUILD)/%,$(TEST_BINS))

# valgrind cannot run sanitized programs: the plain build, and the tests
# start every hive process under valgrind (HIVE_VALGRIND, see harness.c).
VALGRIND_TESTS ?= test_stack_e2e test_l2cap_e2e test_smp_e2e test_host_e2e test_demo
valgrind:
	@./scripts/deps.sh valgrind
	@$(MAKE) --no-print-directory $(jobs) $(BINS) $(addprefix $(BUILD)/test/,$(VALGRIND_TESTS))
	@BUILD=$(BUILD) tests/run-valgrind.sh $(addprefix $(BUILD)/test/,$(VALGRIND_TESTS))

# ---- run, bench --------------------------------------------------------------
# The demo: two graphs on one emulated radio (tools/hive-demo.c).
run: deps
	@$(MAKE) --no-print-directory all
	$(BUILD)/bin/hive-demo

# stdout carries the JSON lines only: the build talks on stderr.
bench: deps
	@$(MAKE) --no-print-directory -s all >&2
	@tests/bench/run-bench.sh $(BUILD)

# ---- fuzz (clang, libFuzzer) --------------------------------------------------
# Objects are compiled once (fuzzer-instrumented) and shared by every target.
FUZZ_OBJ := $(BUILD)/fuzz/obj
FUZZ_CFLAGS := -O1 -g -std=gnu11 -D_GNU_SOURCE -Iactors/runtime -Ibroker -I$(BUILD)/fuzz/gen \
	$(PKG_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
FUZZ_LDFLAGS := -fsanitize=fuzzer,address,undefined
FUZZ_GEN_H := $(patsubst messages/%.proto,$(BUILD)/fuzz/gen/%.pb-c.h,$(PROTOS))
FUZZ_GEN_OBJS := $(patsubst messages/%.proto,$(FUZZ_OBJ)/gen/%.pb-c.o,$(PROTOS))
fobj = $(patsubst %.c,$(FUZZ_OBJ)/%.o,$(1))

$(BUILD)/fuzz/gen/%.pb-c.c $(BUILD)/fuzz/gen/%.pb-c.h: messages/%.proto
	@mkdir -p $(BUILD)/fuzz/gen
	protoc-c --proto_path=messages --c_out=$(BUILD)/fuzz/gen $<

$(FUZZ_OBJ)/gen/%.o: $(BUILD)/fuzz/gen/%.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_OBJ)/%.o: %.c $(FUZZ_GEN_H)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@

define fuzz_rule
$(BUILD)/fuzz/$(1): $(call fobj,tests/fuzz/$(1).c $(RUNTIME_SRCS) $($(1)_SRCS)) $(FUZZ_GEN_OBJS)
	@mkdir -p $$(dir $$@)
	clang $$(FUZZ_LDFLAGS) $$^ $$(PKG_LIBS) -lpthread -lm -o $$@
endef
$(foreach f,$(patsubst tests/fuzz/%.c,%,$(FUZZ_SRCS)),$(eval $(call fuzz_rule,$(f))))

fuzz: deps
	@$(MAKE) --no-print-directory $(jobs) $(FUZZ_BINS)
	@tests/fuzz/run-fuzz.sh $(BUILD) $(FUZZ_SECONDS) $(FUZZ_BINS)

# ---- dependencies --------------------------------------------------------------
deps:
	@./scripts/deps.sh

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj $(FUZZ_OBJ) -name '*.d' 2>/dev/null)
