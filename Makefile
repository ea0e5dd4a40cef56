# libnanasqlite -- read top to bottom.
#
#   make          build lib/libnanasqlite.so (+ SONAME links) and lib/libnanasqlite.a
#   make demo     build and run examples/demo
#   make test     build and run the test suite (test/*.c, one scenario per file)
#   make asan     the same suite under AddressSanitizer + UBSan
#   make tsan     the same suite under ThreadSanitizer
#   make valgrind the same suite under valgrind memcheck
#   make fuzz     libFuzzer targets, FUZZ_SECONDS each (default 60; fuzz/README)
#   make deps     install what the build and the tests need (Debian, as root)
#   make http-service  build examples/http-service/http-service (libevent)
#   make http-bench    wrk against that service and its blocking-sqlite3 twin
#   make crash    1,000 SIGKILLs of an 8-thread writer, every acknowledged
#                 write checked after each (CRASH_KILLS=N, CRASH_SEED=S)
#   make soak     60 s of 16 threads of mixed operations, every answer and
#                 the RSS checked (SECONDS=N)
#   make install  (and uninstall) under PREFIX, staged under DESTDIR
#   make clean
#
# Dependencies are the system's SQLite 3, jansson and OpenSSL's libcrypto
# (value encryption), found with pkg-config.  When they are missing and make
# runs as root on Debian, the build installs them (libsqlite3-dev
# libjansson-dev libssl-dev pkg-config) before the first compile;
# the test suites also install the tools only the tests use (mandoc, g++).
#
# The standard variables are honoured, after the project's own flags so that
# they win: CPPFLAGS and CFLAGS on every compile, LDFLAGS on every link
# (a distribution's hardening flags, a user's -O0).  -Werror is on for make
# test, asan, tsan and valgrind (what CI runs) and with WERROR=1, never for a
# plain `make`, so that a newer compiler's new warning does not break a
# user's build.  Objects already built are not rebuilt when flags change:
# `make clean` first.

# ------------------------------------------------------------------ version
# The header is the single source of the version.
HEADER  := include/nanasqlite.h
VERSION := $(shell sed -n 's/^\#define NANA_VERSION "\(.*\)"/\1/p' $(HEADER))
MAJOR   := $(shell sed -n 's/^\#define NANA_VERSION_MAJOR \([0-9]*\)/\1/p' $(HEADER))

# ---------------------------------------------------------------- toolchain
CC      ?= cc
# `make V=1` shows the full commands.
ifeq ($(V),1)
Q :=
else
Q := @
endif
# `=` (not `:=`) so pkg-config runs after `deps` may have installed it.
PKGS     = sqlite3 jansson libcrypto
DEP_CFLAGS = $(shell pkg-config --cflags $(PKGS))
DEP_LIBS   = $(shell pkg-config --libs $(PKGS)) -lpthread

# `=` (not `:=`): the test targets set WERROR for what they build.
WERROR ?=
WARN     = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           $(if $(filter 1,$(WERROR)),-Werror)
OPT     ?= -O2 -g
# EXTRA_CFLAGS is the suites' own (the sanitizers); CPPFLAGS and CFLAGS are
# the user's, last.
CFLAGS_LIB = -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) -fPIC -fvisibility=hidden \
             -Iinclude -Ilib $(DEP_CFLAGS) $(EXTRA_CFLAGS) $(CPPFLAGS) $(CFLAGS)
CFLAGS_APP = -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) -Iinclude $(DEP_CFLAGS) $(EXTRA_CFLAGS) \
             $(CPPFLAGS) $(CFLAGS)

# ------------------------------------------------------------------ sources
LIB_SRC := $(sort $(wildcard lib/*.c))
LIB_HDR := $(HEADER) $(wildcard lib/*.h)
# The event-loop adapters: header-only, installed under nanasqlite/adapters/.
ADAPTER_HDR := $(sort $(wildcard include/nanasqlite/adapters/*.h))
SONAME  := libnanasqlite.so.$(MAJOR)
SO      := lib/libnanasqlite.so
SO_REAL := lib/libnanasqlite.so.$(VERSION)
AR_LIB  := lib/libnanasqlite.a

TEST_SRC := $(sort $(wildcard test/*.c))
TEST_SCENARIOS := $(filter-out test/runner.c test/harness.c,$(TEST_SRC))

# A build variant lives in its own directory so that instrumented objects
# never mix with plain ones: build/plain, build/asan, build/tsan.
VARIANT ?= plain
BUILD   := build/$(VARIANT)

.PHONY: all deps test-deps demo test asan tsan valgrind check-variant bench bench-quick bench-instr clean \
        http-service http-bench
all: $(SO) $(AR_LIB)

# --------------------------------------------------------- dependency set-up
# What the library needs (pkg-config, SQLite 3, jansson with thread-safe
# reference counts) is checked before the first compile, once per checkout
# (a stamp); as root on Debian the missing ones are installed, and otherwise
# the build stops saying what to install.  What only the tests use (mandoc,
# g++) is checked by the test suites: installed the same way, or else a
# warning -- a missing test tool never stops the library from building.
# `make deps` is the explicit step: it installs both and fails if it cannot.
DEPS_STAMP := build/.deps-ok
deps:
	@sh tools/check-deps.sh --all
	@mkdir -p build && touch $(DEPS_STAMP)
$(DEPS_STAMP): tools/check-deps.sh
	@sh tools/check-deps.sh --lib
	@mkdir -p build && touch $@
test-deps: | $(DEPS_STAMP)
	@sh tools/check-deps.sh --tests

# ------------------------------------------------------------------ library
LIB_OBJ := $(patsubst lib/%.c,$(BUILD)/lib/%.o,$(LIB_SRC))

$(BUILD)/lib/%.o: lib/%.c $(LIB_HDR) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS_LIB) -c $< -o $@

# Only nana_* is exported: -fvisibility=hidden plus NANA_API on each public
# definition, and a version script as a second line of defence, which also
# tags every exported name with the version node NANA_0 (see the map, and
# the ABI policy in the README).
$(SO_REAL): $(patsubst lib/%.c,build/plain/lib/%.o,$(LIB_SRC)) lib/nanasqlite.map
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) -shared -Wl,-soname,$(SONAME) \
	    -Wl,--version-script=lib/nanasqlite.map -Wl,--no-undefined $(LDFLAGS) \
	    -o $@ $(filter %.o,$^) $(DEP_LIBS)
$(SO): $(SO_REAL)
	$(Q)ln -sf $(notdir $(SO_REAL)) lib/$(SONAME)
	$(Q)ln -sf $(SONAME) $@
$(AR_LIB): $(patsubst lib/%.c,build/plain/lib/%.o,$(LIB_SRC))
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

# Instrumented variants link their own static archive.
$(BUILD)/libnanasqlite.a: $(LIB_OBJ)
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

# -------------------------------------------------------------------- demo
demo: build/plain/demo
	./build/plain/demo
build/plain/demo: examples/demo.c $(SO) $(HEADER)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_APP) $(LDFLAGS) -o $@ $< -Llib -lnanasqlite -Wl,-rpath,'$$ORIGIN/../../lib' \
	    $(DEP_LIBS) -lm

# ----------------------------------------------------------------- install
# PREFIX (default /usr/local) is where the files will live; DESTDIR, empty
# by default, is prepended to every path to stage them somewhere else:
#   make install PREFIX=/usr DESTDIR=/tmp/stage
# Installs the shared library with its SONAME and development symlinks, the
# static library, the header and the event-loop adapters' headers
# (nanasqlite/adapters/*.h), the man pages (plus a link for every other name
# a page documents, so that `man nana_fetch_one` opens nana_execute.3), a
# generated nanasqlite.pc, and a CMake package (nanasqlite-config.cmake and
# nanasqlite-config-version.cmake, for find_package(nanasqlite)).  Every file
# is mode 0644, the shared library too: nothing installed is executable.
# Installing into the live system (no DESTDIR) as root runs ldconfig, so that
# the loader finds the new SONAME.
PREFIX       ?= /usr/local
LIBDIR       ?= $(PREFIX)/lib
INCLUDEDIR   ?= $(PREFIX)/include
MANDIR       ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
CMAKEDIR     ?= $(LIBDIR)/cmake/nanasqlite
INSTALL      ?= install
LDCONFIG     ?= ldconfig

MAN_PAGES := $(sort $(wildcard man/man3/*.3))
# page.3:name.3 for every name of a page's NAME section but its own; `=` so
# that only install and uninstall read the pages.
MAN_NAMES  = $(shell sed -n '/^\.Sh NAME/,/^\.Sh SYNOPSIS/s/^\.Nm \([A-Za-z_][A-Za-z0-9_]*\).*/\1/p' $(1))
MAN_LINKS  = $(foreach p,$(MAN_PAGES),$(foreach n,$(filter-out $(basename $(notdir $(p))),\
             $(call MAN_NAMES,$(p))),$(notdir $(p)):$(n).3))

# nanasqlite.pc: jansson is public (the header includes jansson.h and
# programs call it); SQLite and libcrypto (packages: their own private
# libraries, -lm -lz, come with them) and pthreads only matter when linking
# statically.
PC        := build/nanasqlite.pc
PC_LIBDIR  = $(patsubst $(PREFIX)/%,$${exec_prefix}/%,$(LIBDIR))
PC_INCDIR  = $(patsubst $(PREFIX)/%,$${prefix}/%,$(INCLUDEDIR))

# The CMake package finds its prefix from its own directory (../../.. for
# lib/cmake/nanasqlite), so that a staged copy works as well as the
# installed one; directories outside PREFIX are written as they are.
CMAKE_CONFIG  := build/nanasqlite-config.cmake
CMAKE_VERSION := build/nanasqlite-config-version.cmake
empty :=
space := $(empty) $(empty)
CM_UP      = $(subst $(space),/,$(patsubst %,..,$(subst /, ,$(patsubst $(PREFIX)/%,%,$(CMAKEDIR)))))
CM_PREFIX  = $(if $(filter $(PREFIX)/%,$(CMAKEDIR)),$${CMAKE_CURRENT_LIST_DIR}/$(CM_UP),$(PREFIX))
CM_DIR     = $(if $(filter $(PREFIX)/%,$(1)),$${_nanasqlite_prefix}/$(patsubst $(PREFIX)/%,%,$(1)),$(1))
SIZEOF_PTR = $(shell printf '__SIZEOF_POINTER__\n' | $(CC) -E -P -x c - 2>/dev/null | tr -d ' ')

.PHONY: install uninstall $(PC) $(CMAKE_CONFIG) $(CMAKE_VERSION)
$(PC):
	@mkdir -p $(dir $@)
	$(Q)printf '%s\n' \
	    'prefix=$(PREFIX)' \
	    'exec_prefix=$${prefix}' \
	    'libdir=$(PC_LIBDIR)' \
	    'includedir=$(PC_INCDIR)' \
	    '' \
	    'Name: nanasqlite' \
	    'Description: A persistent dict of JSON values over SQLite, with a cache and futures' \
	    'Version: $(VERSION)' \
	    'Requires: jansson >= 2.11' \
	    'Requires.private: sqlite3 libcrypto' \
	    'Libs: -L$${libdir} -lnanasqlite' \
	    'Libs.private: -lpthread' \
	    'Cflags: -I$${includedir}' >$@
$(CMAKE_CONFIG): cmake/nanasqlite-config.cmake.in
	@mkdir -p $(dir $@)
	$(Q)sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@CMAKEDIR@|$(CMAKEDIR)|g' \
	    -e 's|@PREFIX_FROM_HERE@|$(CM_PREFIX)|g' \
	    -e 's|@LIBDIR_FROM_PREFIX@|$(call CM_DIR,$(LIBDIR))|g' \
	    -e 's|@INCLUDEDIR_FROM_PREFIX@|$(call CM_DIR,$(INCLUDEDIR))|g' \
	    -e 's|@SO_REAL@|$(notdir $(SO_REAL))|g' -e 's|@SONAME@|$(SONAME)|g' $< >$@
$(CMAKE_VERSION): cmake/nanasqlite-config-version.cmake.in
	@mkdir -p $(dir $@)
	$(Q)sed -e 's|@VERSION@|$(VERSION)|g' -e 's|@SIZEOF_VOID_P@|$(SIZEOF_PTR)|g' $< >$@

install: all $(PC) $(CMAKE_CONFIG) $(CMAKE_VERSION)
	@echo "  INSTALL $(DESTDIR)$(PREFIX)"
	$(Q)$(INSTALL) -d '$(DESTDIR)$(LIBDIR)' '$(DESTDIR)$(INCLUDEDIR)' \
	    '$(DESTDIR)$(INCLUDEDIR)/nanasqlite/adapters' \
	    '$(DESTDIR)$(MANDIR)/man3' '$(DESTDIR)$(PKGCONFIGDIR)' '$(DESTDIR)$(CMAKEDIR)'
	$(Q)$(INSTALL) -m 644 $(SO_REAL) '$(DESTDIR)$(LIBDIR)/'
	$(Q)ln -sf $(notdir $(SO_REAL)) '$(DESTDIR)$(LIBDIR)/$(SONAME)'
	$(Q)ln -sf $(SONAME) '$(DESTDIR)$(LIBDIR)/$(notdir $(SO))'
	$(Q)$(INSTALL) -m 644 $(AR_LIB) '$(DESTDIR)$(LIBDIR)/'
	$(Q)$(INSTALL) -m 644 $(HEADER) '$(DESTDIR)$(INCLUDEDIR)/'
	$(Q)$(INSTALL) -m 644 $(ADAPTER_HDR) '$(DESTDIR)$(INCLUDEDIR)/nanasqlite/adapters/'
	$(Q)$(INSTALL) -m 644 $(MAN_PAGES) '$(DESTDIR)$(MANDIR)/man3/'
	$(Q)for link in $(MAN_LINKS); do \
	    ln -sf "$${link%%:*}" '$(DESTDIR)$(MANDIR)/man3/'"$${link#*:}" || exit 1; \
	done
	$(Q)$(INSTALL) -m 644 $(PC) '$(DESTDIR)$(PKGCONFIGDIR)/'
	$(Q)$(INSTALL) -m 644 $(CMAKE_CONFIG) $(CMAKE_VERSION) '$(DESTDIR)$(CMAKEDIR)/'
	$(Q)if [ -z '$(DESTDIR)' ] && [ "$$(id -u)" = 0 ] && \
	    command -v $(LDCONFIG) >/dev/null 2>&1; then $(LDCONFIG); fi

uninstall:
	@echo "  UNINSTALL $(DESTDIR)$(PREFIX)"
	$(Q)rm -f '$(DESTDIR)$(LIBDIR)/$(notdir $(SO_REAL))' '$(DESTDIR)$(LIBDIR)/$(SONAME)' \
	    '$(DESTDIR)$(LIBDIR)/$(notdir $(SO))' '$(DESTDIR)$(LIBDIR)/$(notdir $(AR_LIB))' \
	    '$(DESTDIR)$(INCLUDEDIR)/$(notdir $(HEADER))' '$(DESTDIR)$(PKGCONFIGDIR)/nanasqlite.pc' \
	    '$(DESTDIR)$(CMAKEDIR)/$(notdir $(CMAKE_CONFIG))' \
	    '$(DESTDIR)$(CMAKEDIR)/$(notdir $(CMAKE_VERSION))'
	$(Q)rmdir '$(DESTDIR)$(CMAKEDIR)' 2>/dev/null || true
	$(Q)for h in $(notdir $(ADAPTER_HDR)); do \
	    rm -f '$(DESTDIR)$(INCLUDEDIR)/nanasqlite/adapters/'"$$h"; \
	done
	$(Q)rmdir '$(DESTDIR)$(INCLUDEDIR)/nanasqlite/adapters' '$(DESTDIR)$(INCLUDEDIR)/nanasqlite' \
	    2>/dev/null || true
	$(Q)for page in $(notdir $(MAN_PAGES)) $(foreach l,$(MAN_LINKS),$(lastword $(subst :, ,$(l)))); do \
	    rm -f '$(DESTDIR)$(MANDIR)/man3/'"$$page"; \
	done
	$(Q)if [ -z '$(DESTDIR)' ] && [ "$$(id -u)" = 0 ] && \
	    command -v $(LDCONFIG) >/dev/null 2>&1; then $(LDCONFIG); fi

# -------------------------------------------------------------------- tests
# The plain suite links the shared library, as a user would; instrumented
# suites link the instrumented archive.
ifeq ($(VARIANT),plain)
TEST_LINK = -Llib -lnanasqlite -Wl,-rpath,'$$ORIGIN/../../../lib'
TEST_LIBDEP = $(SO)
else
TEST_LINK = $(BUILD)/libnanasqlite.a
TEST_LIBDEP = $(BUILD)/libnanasqlite.a
endif

TEST_BIN := $(patsubst test/%.c,$(BUILD)/test/%,$(TEST_SCENARIOS))

$(BUILD)/test/harness.o: test/harness.c test/harness.h $(HEADER) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_APP) -c $< -o $@
$(BUILD)/test/%: test/%.c $(BUILD)/test/harness.o test/harness.h $(TEST_LIBDEP)
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS_APP) $(LOOP_FLAGS) $(SCENARIO_FLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/test/harness.o \
	    $(PART_OBJ) $(TEST_LINK) $(DEP_LIBS) $(LOOP_LIBS)

# The adapters' tests also use their loop library.  When it is not installed
# they still compile (they test __has_include) and fail saying what to
# install: a missing test tool never stops the suite from building.
$(BUILD)/test/adapter-libevent-%: LOOP_FLAGS = $(shell pkg-config --cflags libevent 2>/dev/null)
$(BUILD)/test/adapter-libevent-%: LOOP_LIBS = $(shell pkg-config --libs libevent 2>/dev/null)
$(BUILD)/test/adapter-libuv-%: LOOP_FLAGS = $(shell pkg-config --cflags libuv 2>/dev/null)
$(BUILD)/test/adapter-libuv-%: LOOP_LIBS = $(shell pkg-config --libs libuv 2>/dev/null)
$(filter $(BUILD)/test/adapter-%,$(TEST_BIN)): $(ADAPTER_HDR) test/loopwork.h
$(filter $(BUILD)/test/crypt-%,$(TEST_BIN)): test/crypt.h

# ------------------------------------------------------------ dqlite (begin)
# The dqlite wire client (lib/dqwire.c, lib/dqconn.c) is part of the
# library and needs nothing but sockets.  Its scenarios, test/dqlite-*.c,
# call internal functions, so they link the static archive of their
# variant.  The cluster scenarios (test/dqlite-cluster-*.c) also run dqlite
# nodes, test/dqnode/node.c linked with libdqlite: they are built and run
# only when `pkg-config --exists dqlite` (the tests' dependency step
# installs libdqlite-dev); the codec scenario needs no node and always runs.
HAVE_DQLITE     = $(shell pkg-config --exists dqlite 2>/dev/null && echo yes)
DQ_NODE        := build/dqnode/dqlite-node
DQ_ARCHIVE     := $(if $(filter plain,$(VARIANT)),$(AR_LIB),$(BUILD)/libnanasqlite.a)
DQ_TEST_BIN    := $(filter $(BUILD)/test/dqlite-%,$(TEST_BIN))
DQ_CLUSTER_BIN := $(filter $(BUILD)/test/dqlite-cluster-%,$(TEST_BIN))
$(DQ_TEST_BIN): TEST_LINK = $(DQ_ARCHIVE)
$(DQ_TEST_BIN): SCENARIO_FLAGS = -Ilib
$(DQ_TEST_BIN): $(DQ_ARCHIVE) lib/dqlite.h test/dqnode/capture.h test/dqnode/run.h
$(DQ_CLUSTER_BIN): SCENARIO_FLAGS = -Ilib -DNANA_DQ_NODE='"$(DQ_NODE)"'
$(DQ_CLUSTER_BIN): $(DQ_NODE)
# The node is test support, not code under test: built plain in every
# variant (libdqlite, libraft and libuv are not instrumented either).
$(DQ_NODE): test/dqnode/node.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) -std=c11 -D_GNU_SOURCE -O2 -g $(WARN) $(shell pkg-config --cflags dqlite) $(CPPFLAGS) \
	    $(CFLAGS) $(LDFLAGS) -o $@ $< $(shell pkg-config --libs dqlite) -lpthread
# What check-variant runs: without libdqlite, every scenario but the
# cluster ones.
TEST_RUN = $(if $(HAVE_DQLITE),$(TEST_BIN),$(filter-out $(DQ_CLUSTER_BIN),$(TEST_BIN)))
# -------------------------------------------------------------- dqlite (end)

$(BUILD)/runner: test/runner.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_APP) $(LDFLAGS) -o $@ $<

# ---------------------------------------------- model-based tester (begin)
# test/model/: randomized differential tests.  Operation sequences made from
# a seed run against the library and a reference model of the file and of
# the cache side by side; every future, the cache and the whole file are
# compared, and a failing sequence is shrunk.  Two scenarios, run with the
# others by check-variant (so by make test, asan, tsan, valgrind):
#   model-dict-ops-match-reference-and-file      fixed seeds
#   model-four-threads-disjoint-and-shared-keys  4 threads on one root
# `make model-check SECONDS=600` runs random seeds until the time is up.
MODEL_MAINS   := test/model/main_dict.c test/model/threads.c
MODEL_OBJ     := $(patsubst test/model/%.c,$(BUILD)/test/model/%.o,\
                 $(filter-out $(MODEL_MAINS),$(sort $(wildcard test/model/*.c))))
MODEL_HDR     := $(wildcard test/model/*.h)
MODEL_DICT    := $(BUILD)/test/model-dict-ops-match-reference-and-file
MODEL_THREADS := $(BUILD)/test/model-four-threads-disjoint-and-shared-keys
MODEL_BIN     := $(MODEL_DICT) $(MODEL_THREADS)
SECONDS       ?= 600

$(BUILD)/test/model/%.o: test/model/%.c $(MODEL_HDR) $(HEADER) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS_APP) -c $< -o $@
$(MODEL_DICT): $(BUILD)/test/model/main_dict.o $(MODEL_OBJ) $(TEST_LIBDEP)
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS_APP) -o $@ $(filter %.o,$^) $(TEST_LINK) $(DEP_LIBS)
$(MODEL_THREADS): $(BUILD)/test/model/threads.o $(MODEL_OBJ) $(TEST_LIBDEP)
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS_APP) -o $@ $(filter %.o,$^) $(TEST_LINK) $(DEP_LIBS)

.PHONY: model-check
model-check: all $(MODEL_BIN)
	$(MODEL_DICT) --seconds $(SECONDS)
	$(MODEL_THREADS)
# ------------------------------------------------ model-based tester (end)

# ---------------------------------------------------------- fuzzing (begin)
# fuzz/: libFuzzer targets, one file each (fuzz/README), with seed corpora
# in fuzz/corpus/<target>/.  `make fuzz` builds them with clang, ASan and
# UBSan against the library's objects built the same way (the targets call
# internal functions, which the shared library hides), and runs each for
# FUZZ_SECONDS over a scratch copy of its corpus; it fails when one finds a
# crash, and names the reproducer.  clang is installed when missing (as
# root on Debian).  The suites replay the committed seeds through the same
# checks without libFuzzer, linking the static archive of their variant:
# test/fuzz-seed-corpora-pass-their-target-checks.c.
FUZZ_SECONDS   ?= 60
FUZZ_TARGETS   := sql_helpers json_decode json_roundtrip model_decode query_expr
FUZZ_CHECK_OBJ := $(patsubst %,$(BUILD)/fuzz/%.o,common $(FUZZ_TARGETS))
FUZZ_ARCHIVE   := $(if $(filter plain,$(VARIANT)),$(AR_LIB),$(BUILD)/libnanasqlite.a)
FUZZ_REPLAY    := $(BUILD)/test/fuzz-seed-corpora-pass-their-target-checks

$(BUILD)/fuzz/%.o: fuzz/%.c fuzz/fuzz.h $(LIB_HDR) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS_APP) -Ilib -c $< -o $@
$(FUZZ_REPLAY): TEST_LINK = $(FUZZ_CHECK_OBJ) $(FUZZ_ARCHIVE)
$(FUZZ_REPLAY): $(FUZZ_CHECK_OBJ) $(FUZZ_ARCHIVE) fuzz/fuzz.h

.PHONY: fuzz fuzz-deps fuzz-build
fuzz: WERROR = 1
fuzz: fuzz-deps
	$(MAKE) --no-print-directory VARIANT=fuzz CC=clang WERROR=$(WERROR) OPT="$(SAN_COMMON)" \
	    EXTRA_CFLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all" \
	    fuzz-build
	sh fuzz/run.sh $(FUZZ_SECONDS) build/fuzz/bin $(FUZZ_TARGETS)
fuzz-deps: | $(DEPS_STAMP)
	@sh tools/check-deps.sh --fuzz
fuzz-build: $(patsubst %,$(BUILD)/bin/%,$(FUZZ_TARGETS))
$(BUILD)/bin/%: fuzz/libfuzzer.c $(BUILD)/fuzz/%.o $(BUILD)/fuzz/common.o $(BUILD)/libnanasqlite.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS_APP) -Ilib -fsanitize=fuzzer -DFUZZ_CHECK=fuzz_check_$* $(LDFLAGS) -o $@ \
	    $< $(BUILD)/fuzz/$*.o $(BUILD)/fuzz/common.o $(BUILD)/libnanasqlite.a $(DEP_LIBS)
# ------------------------------------------------------------ fuzzing (end)

# ------------------------------------------------------ example HTTP service
# examples/http-service: the seed's web service on libevent's evhttp, with the
# library behind one loop thread (service.c), and for `make http-bench` its
# twin with blocking sqlite3 calls on the loop thread (service-sqlite3.c).
# `make http-service` installs libevent-dev first when it can (as root); the
# test suites build the service in their own variant, linked as the tests
# are, for the end-to-end test (test/http-service-*.c), when libevent is
# there -- that test says so when it is not.
HTTP_DIR      := examples/http-service
HTTP_COMMON   := $(HTTP_DIR)/http-common.c
HTTP_HDR      := $(HTTP_DIR)/http-common.h $(HEADER) include/nanasqlite/adapters/libevent.h
HTTP_VARIANT  := $(BUILD)/examples/http-service
# `=`: read after the dependency step may have installed libevent.
HAVE_LIBEVENT  = $(shell pkg-config --exists libevent 2>/dev/null && echo yes)
LIBEVENT_FLAGS = $(shell pkg-config --cflags libevent 2>/dev/null)
LIBEVENT_LIBS  = $(shell pkg-config --libs libevent 2>/dev/null)

http-service: $(HTTP_DIR)/http-service
	@echo "run: $(HTTP_DIR)/http-service --db users.db --port 8080 (see $(HTTP_DIR)/README)"
$(HTTP_DIR)/http-service: $(HTTP_DIR)/service.c $(HTTP_COMMON) $(HTTP_HDR) $(SO) | http-deps
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS_APP) $(LIBEVENT_FLAGS) $(LDFLAGS) -o $@ $(HTTP_DIR)/service.c $(HTTP_COMMON) \
	    -Llib -lnanasqlite -Wl,-rpath,'$$ORIGIN/../../lib' $(DEP_LIBS) $(LIBEVENT_LIBS)
$(HTTP_DIR)/http-service-sqlite3: $(HTTP_DIR)/service-sqlite3.c $(HTTP_COMMON) $(HTTP_HDR) \
                                  | http-deps
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS_APP) $(LIBEVENT_FLAGS) $(LDFLAGS) -o $@ $(HTTP_DIR)/service-sqlite3.c \
	    $(HTTP_COMMON) $(DEP_LIBS) $(LIBEVENT_LIBS)
$(HTTP_VARIANT): $(HTTP_DIR)/service.c $(HTTP_COMMON) $(HTTP_HDR) $(TEST_LIBDEP)
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS_APP) $(LIBEVENT_FLAGS) $(LDFLAGS) -o $@ $(HTTP_DIR)/service.c $(HTTP_COMMON) \
	    $(TEST_LINK) $(DEP_LIBS) $(LIBEVENT_LIBS)

.PHONY: http-deps http-bench-deps
http-deps: | $(DEPS_STAMP)
	@sh tools/check-deps.sh --http-service
http-bench-deps: | $(DEPS_STAMP)
	@sh tools/check-deps.sh --http-bench

# Never part of `make test`: wrk, 10 s per run, 64 connections, POST, GET and
# a 9:1 mix, against both services; figures in examples/http-service/README.
http-bench: $(HTTP_DIR)/http-service $(HTTP_DIR)/http-service-sqlite3 | http-bench-deps
	sh $(HTTP_DIR)/bench.sh

# RUN_WRAP lets the same binaries run under valgrind; TEST_TIMEOUT is per test.
TEST_TIMEOUT ?= 120
check-variant: $(BUILD)/runner $(TEST_RUN) $(MODEL_BIN) $(if $(HAVE_LIBEVENT),$(HTTP_VARIANT))
	$(BUILD)/runner -t $(TEST_TIMEOUT) -f test/fixtures $(if $(RUN_WRAP),-w "$(RUN_WRAP)") $(TEST_RUN) $(MODEL_BIN)

# The suites build with -Werror (WERROR=1; `make test WERROR=0` drops it),
# and so does the library they link; each first checks the tools only the
# tests use (test-deps).
test asan tsan valgrind: WERROR = 1
test: all test-deps
	$(MAKE) --no-print-directory VARIANT=plain WERROR=$(WERROR) check-variant

SAN_COMMON := -O1 -g -fno-omit-frame-pointer
# The instrumented suites keep closed handles' memory, so that a use after
# nana_close is always reported NANA_ECLOSED there (see nana_close(3)).
DEBUG_HANDLES := -DNANA_DEBUG_HANDLES
asan: test-deps
	$(MAKE) --no-print-directory VARIANT=asan WERROR=$(WERROR) OPT="$(SAN_COMMON)" \
	    EXTRA_CFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all $(DEBUG_HANDLES)" \
	    check-variant
tsan: test-deps
	$(MAKE) --no-print-directory VARIANT=tsan WERROR=$(WERROR) OPT="$(SAN_COMMON)" \
	    EXTRA_CFLAGS="-fsanitize=thread $(DEBUG_HANDLES)" check-variant TEST_TIMEOUT=300
valgrind: all test-deps
	$(MAKE) --no-print-directory VARIANT=plain WERROR=$(WERROR) TEST_TIMEOUT=600 \
	    RUN_WRAP="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite" \
	    check-variant

# ------------------------------------------------ crash and soak (begin)
# Two scenarios of test/ with parts of their own (PART_OBJ, linked in by the
# scenario rule), run with the others by check-variant:
#   crash-sigkill-...  20 kills of an 8-thread writer (parts: test/crash/)
#   soak-...           5 s of 16 threads of mixed operations (test/soak/)
# and for as long as asked, in the plain build:
#   make crash [CRASH_KILLS=1000] [CRASH_SEED=S]
#   make soak [SECONDS=60]
CRASH_BIN   := $(BUILD)/test/crash-sigkill-8-writers-at-random-moments-acknowledged-writes-hold
CRASH_OBJ   := $(patsubst test/crash/%.c,$(BUILD)/test/crash/%.o,$(sort $(wildcard test/crash/*.c)))
CRASH_KILLS ?= 1000
CRASH_SEED  ?=

$(BUILD)/test/crash/%.o: test/crash/%.c test/crash/crash.h $(HEADER) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS_APP) -c $< -o $@
$(CRASH_BIN): $(CRASH_OBJ)
$(CRASH_BIN): PART_OBJ = $(CRASH_OBJ)

SOAK_BIN := $(BUILD)/test/soak-16-threads-mixed-operations-4-sub-tables-every-answer-checked-rss-flat
SOAK_OBJ := $(patsubst test/soak/%.c,$(BUILD)/test/soak/%.o,$(sort $(wildcard test/soak/*.c)))
# SECONDS is model-check's too (default 600): the soak's default is 60.
SOAK_SECONDS = $(if $(filter command line,$(origin SECONDS)),$(SECONDS),60)

$(BUILD)/test/soak/%.o: test/soak/%.c test/soak/soak.h $(HEADER) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS_APP) -c $< -o $@
$(SOAK_BIN): $(SOAK_OBJ)
$(SOAK_BIN): PART_OBJ = $(SOAK_OBJ)

.PHONY: crash soak
crash soak: WERROR = 1
crash: all
	$(MAKE) --no-print-directory VARIANT=plain WERROR=$(WERROR) $(CRASH_BIN)
	$(CRASH_BIN) --kills $(CRASH_KILLS) $(if $(CRASH_SEED),--seed $(CRASH_SEED))
soak: all
	$(MAKE) --no-print-directory VARIANT=plain WERROR=$(WERROR) $(SOAK_BIN)
	$(SOAK_BIN) --seconds $(SOAK_SECONDS)
# ------------------------------------------------- crash and soak (end)

# -------------------------------------------------------------- benchmarks
# Never part of `make test`: timings on a shared machine are noise there.
BENCH_BIN := build/plain/bench
$(BENCH_BIN): bench/bench.c $(SO) $(HEADER)
	@mkdir -p $(dir $@) bench/results
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS_APP) $(LDFLAGS) -o $@ $< -Llib -lnanasqlite -Wl,-rpath,'$$ORIGIN/../../lib' \
	    $(DEP_LIBS) -lm
bench: $(BENCH_BIN)
	$(BENCH_BIN) -r 5 -o bench/results/latest.jsonl | tee bench/results/latest.txt
	sh bench/chart.sh bench/results/latest.jsonl bench/results/latest.svg
bench-quick: $(BENCH_BIN)
	$(BENCH_BIN) -q -r 1 -o bench/results/quick.jsonl
# Instructions per operation, from callgrind: two run lengths, so the
# set-up cost cancels out.  Stable where wall time is not.
bench-instr: $(BENCH_BIN)
	sh bench/instr.sh $(BENCH_BIN)

clean:
	rm -rf build lib/*.so* lib/*.a $(HTTP_DIR)/http-service $(HTTP_DIR)/http-service-sqlite3
