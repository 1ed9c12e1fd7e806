# appbuild - deployment packaging for Python WSGI apps.
#
#   make            build/appbuild and build/libappbuild.a
#   make check      -Werror + ASan/UBSan build, every test suite
#   make demo       build, then run appbuild on an example app
#   make fuzz       clang libFuzzer targets under build/fuzz/
#   make deps       apt-get install what the build and tests need
#   make install    PREFIX=/usr/local DESTDIR=

PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
CLANG ?= clang
PKG_CONFIG ?= pkg-config
SHARED ?= $(abspath ../shared)

PKGS := libarchive libcurl libgit2 rpm yaml-0.1 jansson libcrypto libelf zlib
DEB_PACKAGES := build-essential pkg-config clang libclang-rt-14-dev \
	libarchive-dev libcurl4-openssl-dev libgit2-dev librpm-dev libyaml-dev \
	libjansson-dev libssl-dev libelf-dev zlib1g-dev libcmocka-dev python3 python3-venv hyperfine \
	rpm lintian supervisor systemd python3-dev libxml2-dev libxslt1-dev libffi-dev \
	createrepo-c rpmlint gpg apt-utils debhelper dh-virtualenv

# libcurl, libarchive, libgit2, librpm and libcrypto are not linked:
# formats/lazy/ dlopen()s each on first use (their headers are still needed).
# A library added to PKGS is linked only when it is in LINK_PKGS too.
LINK_PKGS := yaml-0.1 jansson libelf zlib
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell $(PKG_CONFIG) --libs $(LINK_PKGS) 2>/dev/null)

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wno-unused-parameter
CFLAGS ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -I. $(WARN) $(CFLAGS) $(PKG_CFLAGS)
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LDLIBS = $(PKG_LIBS) -lm -lpthread

# Sources: formats/ (standards, file formats) <- builder/ (pipeline) <- cli/.
LIB_SRC := $(sort $(wildcard formats/core/*.c formats/*.c formats/*/*.c builder/*.c builder/*/*.c))

CLI_SRC := $(sort $(wildcard cli/*.c))
UNIT_SRC := $(sort $(wildcard tests/unit/*_test.c))
VEC_SRC := $(sort $(wildcard tests/vectors/*.c))
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))

OBJ = $(LIB_SRC:%.c=build/obj/%.o)
CLI_OBJ = $(CLI_SRC:%.c=build/obj/%.o)
SAN_OBJ = $(LIB_SRC:%.c=build/san/%.o)
SAN_CLI_OBJ = $(CLI_SRC:%.c=build/san/%.o)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=build/san/bin/%)
FUZZ_BIN = $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)

.PHONY: all check check-run demo fuzz deps install clean bench unit vectors clitest
.DEFAULT_GOAL := all

all: build/appbuild

build/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

build/san/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -O1 -MMD -MP -c -o $@ $<

build/libappbuild.a: $(OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

build/appbuild: $(CLI_OBJ) build/libappbuild.a
	$(CC) $(CFLAGS) -o $@ $(CLI_OBJ) build/libappbuild.a $(LDLIBS)

# The sanitizer build that `make check` tests.
build/san/libappbuild.a: $(SAN_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

build/san/appbuild: $(SAN_CLI_OBJ) build/san/libappbuild.a
	$(CC) $(SAN_FLAGS) -o $@ $(SAN_CLI_OBJ) build/san/libappbuild.a $(LDLIBS)

# Every unit test also links tests/unit/testutil.c (shared helpers; it does
# not end in _test.c, so it is no test itself).
build/san/bin/%: build/san/tests/unit/%.o build/san/tests/unit/testutil.o build/san/libappbuild.a
	@mkdir -p $(@D)
	$(CC) $(SAN_FLAGS) -o $@ $< build/san/tests/unit/testutil.o build/san/libappbuild.a \
		$(LDLIBS) -lcmocka

build/san/bin/vectors: $(VEC_SRC:%.c=build/san/%.o) build/san/libappbuild.a
	@mkdir -p $(@D)
	$(CC) $(SAN_FLAGS) -o $@ $(VEC_SRC:%.c=build/san/%.o) build/san/libappbuild.a $(LDLIBS)

# `make check` and `make demo` work on a fresh machine: they install what is
# missing first (a no-op when everything is there), then build in a sub-make
# so pkg-config sees the installed libraries.
check:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory check-run

check-run: build/appbuild build/san/appbuild $(UNIT_BIN) build/san/bin/vectors \
		build/san/bin/conformance build/san/bin/fuzz_resolve
	@SHARED=$(SHARED) APPBUILD=$(CURDIR)/build/san/appbuild sh tests/run.sh \
		--unit $(UNIT_BIN) --vectors build/san/bin/vectors \
		--conformance build/san/bin/conformance \
		--once "build/san/bin/fuzz_resolve 3000" \
		--once "build/san/bin/conformance -q --via-index --index-cache build/conformance-idx" \
		--once "build/san/bin/conformance -q tests/conformance/scenarios" \
		--once "build/san/bin/conformance -q --via-index --index-cache build/conformance-idx $(CONF_VIA)" \
		--cli $(sort $(wildcard tests/cli/*.sh))

# libFuzzer: the library is compiled once by clang with coverage
# instrumentation (fuzzer-no-link); each target links against it.
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS = -std=c11 -D_GNU_SOURCE -I. -g -O1 $(FUZZ_SAN) $(PKG_CFLAGS)
build/fuzz/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

build/fuzz/libappbuild.a: $(LIB_SRC:%.c=build/fuzz/obj/%.o)
	@rm -f $@
	$(AR) rcs $@ $^

build/fuzz/%: build/fuzz/obj/tests/fuzz/%.o build/fuzz/libappbuild.a
	$(CLANG) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $< build/fuzz/libappbuild.a $(LDLIBS)

fuzz: $(FUZZ_BIN)

demo:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory build/appbuild build/appbuild-supervisor
	@sh examples/demo.sh

BENCH_SRC := $(sort $(wildcard bench/*.c))
build/bench/%: bench/%.c build/libappbuild.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< build/libappbuild.a $(LDLIBS)

bench: build/appbuild $(BENCH_SRC:bench/%.c=build/bench/%)
	@SHARED=$(SHARED) sh bench/formats.sh

deps:
	@if ! command -v apt-get >/dev/null 2>&1; then \
		echo "make deps: apt-get not found; this target supports Debian and Ubuntu." >&2; \
		echo "make deps: install by hand: $(DEB_PACKAGES)" >&2; exit 1; fi
	@missing=$$(for p in $(DEB_PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; \
		done); \
	if [ -z "$$missing" ]; then echo "make deps: all packages present"; else \
		echo "make deps: installing $$missing"; \
		SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; fi

install: build/appbuild
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 build/appbuild $(DESTDIR)$(PREFIX)/bin/appbuild

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
.SECONDARY:

# --- supervisor (issue #8) ---
# build/appbuild-supervisor ships inside every bundle: it links its own
# sources, formats/core and libyaml only (no libcurl, libarchive, ...). Its
# modules (builder/supervisor/*.c) also land in libappbuild.a through the
# builder/*/*.c glob (the fuzz target and unit tests use them from there); its
# main() is builder/supervisor/cmd/main.c, one level deeper than the glob.
SUP_SRC := $(sort $(wildcard builder/supervisor/*.c)) builder/supervisor/cmd/main.c \
	formats/core/buf.c formats/core/err.c formats/core/mem.c formats/core/str.c \
	formats/yamldoc.c formats/suggest.c
SUP_LIBS = $(shell $(PKG_CONFIG) --libs yaml-0.1 2>/dev/null || echo -lyaml)

.PHONY: bench-supervisor
all: build/appbuild-supervisor

build/appbuild-supervisor: $(SUP_SRC:%.c=build/obj/%.o)
	$(CC) $(CFLAGS) -o $@ $^ $(SUP_LIBS)

# The sanitizer variant the end-to-end tests run (tests/cli/08*-supervisor-*.sh
# find it next to build/san/appbuild), and the child program they supervise.
build/san/appbuild-supervisor: $(SUP_SRC:%.c=build/san/%.o)
	$(CC) $(SAN_FLAGS) -o $@ $^ $(SUP_LIBS)

build/san/supervisor-tchild build/supervisor-tchild: tests/supervisor/tchild.c
	@mkdir -p $(@D)
	$(CC) -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -o $@ $<

check-run: build/san/appbuild-supervisor build/san/supervisor-tchild

bench-supervisor: build/appbuild-supervisor build/supervisor-tchild
	@sh bench/supervisor.sh

# --- resolver conformance (issue #6) ---
# tests/conformance/run.c resolves every scenario of ../shared/conformance
# (in-memory provider for now); fuzz_resolve checks random tiny indexes.
CONF_LIB := tests/conformance/scenario.c
# our own scenarios (tests/conformance/scenarios, packse-style) run in memory,
# and the index-dependent ones listed here through the real index client
CONF_VIA := @tests/conformance/via-index.list
build/san/bin/conformance: tests/conformance/run.c $(CONF_LIB) build/san/libappbuild.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -O1 -o $@ tests/conformance/run.c $(CONF_LIB) \
		build/san/libappbuild.a $(LDLIBS)

build/san/bin/fuzz_resolve: tests/conformance/fuzz_resolve.c $(CONF_LIB) build/san/libappbuild.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -O1 -o $@ tests/conformance/fuzz_resolve.c $(CONF_LIB) \
		build/san/libappbuild.a $(LDLIBS)

# --- embedded templates (issue #7) ---
# templates/*.in (the bundle's launcher, supervisor.yaml, ...) become
# build/templates.c through templates/embed.sh (od + awk) and land in every
# libappbuild.a (cli/cmd_bundle.c reads them through templates/templates.h).
TPL_IN := $(sort $(wildcard templates/*.in))
build/templates.c: templates/embed.sh $(TPL_IN)
	@mkdir -p $(@D)
	sh templates/embed.sh $(TPL_IN) >$@.tmp && mv $@.tmp $@
build/libappbuild.a: build/obj/build/templates.o
build/san/libappbuild.a: build/san/build/templates.o
build/fuzz/libappbuild.a: build/fuzz/obj/build/templates.o

# --- rendering for other supervisors (issue #8) ---
# builder/svcrender.c is in libappbuild.a; this driver renders a
# supervisor.yaml for tests/cli/08*-render-*.sh (appbuild bundle renders them too).
build/san/svcrender-drv: tests/supervisor/svcrender_drv.c build/san/libappbuild.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -O1 -o $@ $< build/san/libappbuild.a $(LDLIBS)

check-run: build/san/svcrender-drv
