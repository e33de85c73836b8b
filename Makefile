# Makefile — builds libmonocache.so (links libc only) and the monocache tool,
# runs the tests (make check), the sanitizer and valgrind runs, and the
# benchmarks (make bench: bench/run.sh, BENCH_SECTIONS="1 7" for some of its
# sections; make bench-s3: bench/s3.sh).

VERSION = 0.2.0
# The library's soname is libmonocache.so.$(ABI): raised when a program
# built against the C API would no longer work with the new library.
ABI = 0

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share
BASH_COMPLETION_DIR ?= $(DATADIR)/bash-completion/completions
ZSH_COMPLETION_DIR ?= $(DATADIR)/zsh/vendor-completions

# Objects go to $(O); the library and the tool to $(OUT) (the top of the tree
# by default, so that LD_PRELOAD=$PWD/libmonocache.so works after make).
O ?= build
OUT ?= .

CC ?= cc
CFLAGS ?= -O2 -g
CPPFLAGS ?=
WARNINGS = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wpointer-arith -Wformat=2
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)
BASE_CFLAGS = -std=gnu11 -D_GNU_SOURCE -fPIC -fvisibility=hidden $(WARNINGS) \
	-DMC_VERSION='"$(VERSION)"' -DMC_HIREDIS_SONAME='"$(or $(HIREDIS_SONAME),libhiredis.so.0.14)"' \
	-DMC_LIBSSL_SONAME='"$(or $(LIBSSL_SONAME),libssl.so.3)"' \
	$(CPPFLAGS) $(CFLAGS)
# Where each kind of code may include from. The preloaded library sees only
# its own folder, the libc-only core/host and the public header: an include
# of anything else fails to compile.
SHIM_INCLUDES = -Iinclude -Ishim -Icore/host
TOOL_INCLUDES = -Iinclude -Icore -Itools
# The installation directories, compiled into the two objects that look
# there last for the tool and the library.
DIR_CFLAGS = -DMC_BINDIR='"$(BINDIR)"' -DMC_LIBDIR='"$(LIBDIR)"' -DMC_MULTIARCH='"$(MULTIARCH)"'
DIR_OBJ = $(O)/shim/helper.o $(O)/tools/shared/install_dirs.o
# SANITIZE applies to the tool, the helper and the tests; SHIM_SANITIZE to
# the preloaded object, which runs inside programs built without sanitizers
# (so AddressSanitizer, which must be loaded first, is not an option there).
ALL_CFLAGS = $(BASE_CFLAGS) $(TOOL_INCLUDES) $(SANITIZE)
SHIM_CFLAGS = $(BASE_CFLAGS) $(SHIM_INCLUDES) -include shim/glibc.h $(SHIM_SANITIZE)
LDFLAGS ?=

# What runs where (README "Where the code runs"):
#   shim/        the preloaded library's own files, inside other programs
#   core/host/   libc-only code the library is built from, shared with the tools
#   core/common/, core/local/, core/redis/, core/s3/
#                the plain C library of the tools: never in the preloaded library
#   tools/cli/   the monocache command;  tools/watch/  its watcher (monocache __watch)
#   tools/shared/ what both share;      tools/s3/     monocache-s3
HOST = names hold safeopen lockfile launch reply ask answer install
COMMON = err buf file config log ids utc setting root dirlock meta jsontext shown
LOCAL = session cache wipe release gc procs pullguard
REDIS = redisconf libload hiredis tls conn sentinel link register
SHIM = init exit signals sigwait fds spawn helper api real
CLI_FILES = main args opts usage cmd_run run_env run_nested supervise cmd_ls cmd_holders cmd_meta cmd_gc cmd_s3
WATCH = watch watch_share upload busy
SHARED = tool install_dirs s3run s3report
# S3: only monocache-s3 links these (and libcurl, OpenSSL, expat); the
# preloaded library, the watcher and the monocache command never load them.
S3_PURE = url
S3 = sigv4 request creds http xml retry header transfer tree common plan merge upload push pull admin lscaches

CORE_OBJ = $(HOST:%=$(O)/core/host/%.o) $(COMMON:%=$(O)/core/common/%.o) \
	$(LOCAL:%=$(O)/core/local/%.o) $(REDIS:%=$(O)/core/redis/%.o) \
	$(S3_PURE:%=$(O)/core/s3/%.o)
S3_OBJ = $(S3:%=$(O)/core/s3/%.o)
SHIM_OBJ = $(SHIM:%=$(O)/shim/%.o) $(HOST:%=$(O)/shim/host/%.o)
TOOL_OBJ = $(CLI_FILES:%=$(O)/tools/cli/%.o) $(WATCH:%=$(O)/tools/watch/%.o) \
	$(SHARED:%=$(O)/tools/shared/%.o)
S3_TOOL_OBJ = $(O)/tools/s3/s3tool.o

LIB = $(OUT)/libmonocache.so
LIB_SONAME = libmonocache.so.$(ABI)
LIB_FILE = libmonocache.so.$(VERSION)
CLI = $(OUT)/monocache
S3_TOOL = $(OUT)/monocache-s3
# hiredis is loaded with dlopen() when a register is used (core/redis/hiredis.c):
# the watcher of a tree without Redis never maps it. Its soname, as built:
HIREDIS_SONAME := $(shell objdump -p "$$(pkg-config --variable=libdir hiredis 2>/dev/null)/libhiredis.so" \
	2>/dev/null | sed -n 's/^ *SONAME *//p')
# OpenSSL likewise, only where a rediss:// register is used (core/redis/tls.c):
LIBSSL_SONAME := $(shell objdump -p "$$(pkg-config --variable=libdir libssl 2>/dev/null)/libssl.so" \
	2>/dev/null | sed -n 's/^ *SONAME *//p')
CORE_LIBS = -lcjson -lpthread
S3_LIBS = -lcurl -lcrypto -lexpat

UNIT_TESTS = test_hold test_config test_buf test_file test_ids test_meta test_root test_wipe test_reply \
	test_jsontext test_redisconf test_utc test_shown
S3_UNIT_TESTS = test_sigv4 test_s3url test_s3xml test_s3tree test_s3plan test_s3merge test_s3retry test_s3header test_creds
UNIT_BIN = $(UNIT_TESTS:%=$(O)/tests/unit/%) $(S3_UNIT_TESTS:%=$(O)/tests/unit/%)
HELPERS = probe waitstatus apiuser spawnloop static_sleeper noopenat2
HELPER_BIN = $(HELPERS:%=$(O)/tests/helpers/%)
EMPTY_PRELOAD = $(O)/tests/helpers/empty.so
EARLY_HANDLER = $(O)/tests/helpers/early_handler.so

.PHONY: all deps check check-unit check-shell check-fuzz check-asan check-valgrind bench \
	bench-s3 fuzz install uninstall clean helpers mutants deb FORCE

all: $(LIB) $(CLI) $(S3_TOOL)

# What each object is built with is written in $(O)/FLAGS-* (git's
# GIT-CFLAGS): rewritten only when it changes, so that a change of compiler
# flags rebuilds everything and a change of PREFIX, BINDIR or LIBDIR
# rebuilds the two objects that carry them, then relinks.
FLAGS_CC = $(O)/FLAGS-CC
FLAGS_DIRS = $(O)/FLAGS-DIRS
FLAGS_LD = $(O)/FLAGS-LD
track = @mkdir -p $(O) && printf '%s\n' '$(subst ','\'',$(1))' > $@.new && \
	{ cmp -s $@.new $@ && rm -f $@.new || mv -f $@.new $@; }
$(FLAGS_CC): FORCE
	$(call track,$(CC) $(ALL_CFLAGS) | $(SHIM_CFLAGS))
$(FLAGS_DIRS): FORCE
	$(call track,$(DIR_CFLAGS))
$(FLAGS_LD): FORCE
	$(call track,$(LDFLAGS) $(CORE_LIBS) $(S3_LIBS) $(ABI) $(VERSION))
FORCE:

$(SHIM_OBJ) $(CORE_OBJ) $(TOOL_OBJ) $(S3_OBJ) $(S3_TOOL_OBJ): Makefile $(FLAGS_CC)
$(DIR_OBJ): $(FLAGS_DIRS)

$(O)/shim/helper.o: shim/helper.c
	@mkdir -p $(dir $@)
	$(CC) $(SHIM_CFLAGS) $(DIR_CFLAGS) -MMD -MP -c -o $@ $<

$(O)/tools/shared/install_dirs.o: tools/shared/install_dirs.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(DIR_CFLAGS) -MMD -MP -c -o $@ $<

$(O)/shim/%.o: shim/%.c
	@mkdir -p $(dir $@)
	$(CC) $(SHIM_CFLAGS) -MMD -MP -c -o $@ $<

$(O)/shim/host/%.o: core/host/%.c
	@mkdir -p $(dir $@)
	$(CC) $(SHIM_CFLAGS) -MMD -MP -c -o $@ $<

$(O)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

# The library is libmonocache.so.$(VERSION), with the usual symlinks: its
# soname (what programs linked with -lmonocache load) and libmonocache.so
# (what -lmonocache and LD_PRELOAD=.../libmonocache.so name). Bound lazily
# whatever LDFLAGS say (-z now is Debian's default): every process it is
# preloaded into would otherwise bind all of its imports at start-up.
$(OUT)/$(LIB_FILE): $(SHIM_OBJ) shim/exports.map $(FLAGS_LD)
	$(CC) $(SHIM_CFLAGS) -shared -Wl,--version-script=shim/exports.map \
		-Wl,--no-undefined -Wl,-soname,$(LIB_SONAME) -nostartfiles -o $@ $(SHIM_OBJ) $(LDFLAGS) \
		-Wl,-z,lazy

$(OUT)/$(LIB_SONAME): $(OUT)/$(LIB_FILE)
	ln -sfn $(LIB_FILE) $@

$(LIB): $(OUT)/$(LIB_SONAME)
	ln -sfn $(LIB_SONAME) $@

$(CLI): $(TOOL_OBJ) $(CORE_OBJ) $(FLAGS_LD)
	$(CC) $(ALL_CFLAGS) -Wl,--export-dynamic-symbol=monocache_cli_no_auto_cache \
		-o $@ $(TOOL_OBJ) $(CORE_OBJ) $(LDFLAGS) $(CORE_LIBS)

$(S3_TOOL): $(S3_TOOL_OBJ) $(S3_OBJ) $(CORE_OBJ) $(FLAGS_LD)
	$(CC) $(ALL_CFLAGS) -o $@ $(S3_TOOL_OBJ) $(S3_OBJ) $(CORE_OBJ) $(LDFLAGS) \
		$(S3_LIBS) $(CORE_LIBS)

# --- tests -------------------------------------------------------------------

$(S3_UNIT_TESTS:%=$(O)/tests/unit/%): $(O)/tests/unit/%: tests/unit/%.c tests/unit/tap.h \
		$(CORE_OBJ) $(S3_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< $(S3_OBJ) $(CORE_OBJ) $(LDFLAGS) $(S3_LIBS) \
		$(CORE_LIBS)

$(O)/tests/unit/s3sign: tests/unit/s3sign.c $(CORE_OBJ) $(S3_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(S3_OBJ) $(CORE_OBJ) $(LDFLAGS) $(S3_LIBS) $(CORE_LIBS)

$(O)/tests/unit/%: tests/unit/%.c tests/unit/tap.h $(CORE_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< $(CORE_OBJ) $(LDFLAGS) $(CORE_LIBS)

$(O)/tests/helpers/apiuser: tests/helpers/apiuser.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(TOOL_INCLUDES) -o $@ $< -L$(OUT) -lmonocache -Wl,-rpath,$(abspath $(OUT))

$(O)/tests/helpers/static_sleeper: tests/helpers/static_sleeper.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -static -o $@ $<

# Test programs stand for users' programs: built without sanitizers.
$(O)/tests/helpers/%: tests/helpers/%.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(TOOL_INCLUDES) -pthread -o $@ $<

$(O)/tests/helpers/%.so: tests/helpers/%.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(TOOL_INCLUDES) -shared -o $@ $<

helpers: $(HELPER_BIN) $(EMPTY_PRELOAD) $(EARLY_HANDLER) $(O)/tests/unit/s3sign

TEST_ENV = MC_BIN=$(abspath $(CLI)) MC_LIB=$(abspath $(LIB)) \
	MC_HELPERS=$(abspath $(O)/tests/helpers) MC_SANITIZED=$(if $(SANITIZE),1,0) \
	MC_MAKE_FLAGS='O=$(O) OUT=$(OUT)' MC_SANITIZE='$(SANITIZE)' MC_SHIM_SANITIZE='$(SHIM_SANITIZE)'


check: all helpers $(UNIT_BIN)
	@$(MAKE) --no-print-directory check-unit check-fuzz check-shell O=$(O) OUT=$(OUT)

check-unit: $(UNIT_BIN)
	prove -e '' $(UNIT_BIN)

check-shell: all helpers
	$(TEST_ENV) prove -j2 tests/t*.sh

# Everything built again in its own directories, the tool and the helper
# with AddressSanitizer and UBSan, the preloaded object with UBSan, then the
# whole suite; any sanitizer report fails the test file that caused it.
check-asan:
	$(MAKE) check O=build-asan OUT=build-asan \
		SANITIZE='-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all' \
		SHIM_SANITIZE='-fsanitize=undefined -fno-sanitize-recover=all'

# The suite with every monocache process (CLI and watcher) under memcheck.
check-valgrind: all helpers $(UNIT_BIN)
	prove -e 'valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite' $(UNIT_BIN)
	$(TEST_ENV) MC_VALGRIND=1 prove tests/t*.sh

# libFuzzer targets for what servers and users hand us (S3 answers, URLs, a
# cache's index, AWS profile files), with ASan and UBSan: make fuzz runs
# each for FUZZ_SECONDS; make check, FUZZ_RUNS inputs each from the corpus.
FUZZ_TARGETS = fuzz_s3xml fuzz_s3url fuzz_s3index
FUZZ_SRC = core/common/buf.c core/common/err.c core/common/setting.c core/common/file.c core/host/names.c \
	core/host/safeopen.c core/s3/url.c core/s3/xml.c core/s3/tree.c core/s3/creds.c
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_RUNS ?= 20000
FUZZ_BIN = $(FUZZ_TARGETS:%=$(O)/fuzz/%)

$(O)/fuzz/%: tests/fuzz/%.c $(FUZZ_SRC)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -std=gnu11 -D_GNU_SOURCE -g -O1 -Icore -Itools -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all -o $@ $< $(FUZZ_SRC) -lexpat -lcjson

check-fuzz: $(FUZZ_BIN)
	@for t in $(FUZZ_TARGETS); do \
		mkdir -p $(O)/fuzz/corpus-$$t && \
		$(O)/fuzz/$$t -runs=$(FUZZ_RUNS) -max_len=4096 -artifact_prefix=$(O)/fuzz/ \
			$(O)/fuzz/corpus-$$t tests/fuzz/corpus/$$t \
			> $(O)/fuzz/$$t.log 2>&1 || { tail -30 $(O)/fuzz/$$t.log; exit 1; }; \
		echo "fuzz: $$t: $(FUZZ_RUNS) inputs, no crash"; \
	done

fuzz: $(FUZZ_BIN)
	@for t in $(FUZZ_TARGETS); do \
		mkdir -p $(O)/fuzz/corpus-$$t && \
		$(O)/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
			-artifact_prefix=$(O)/fuzz/ $(O)/fuzz/corpus-$$t \
			tests/fuzz/corpus/$$t || exit 1; \
	done

# Small plausible bugs, one at a time, each under make check (not in CI).
mutants:
	tests/mutants.sh

bench: all helpers
	$(TEST_ENV) bench/run.sh

bench-s3: all
	MC_BIN=$(abspath monocache) bench/s3.sh

deps:
	./scripts/install-deps

# A Debian package in DIST (default dist/), built from a copy of the tree.
DIST ?= dist
deb:
	./scripts/make-deb $(DIST)

# DESTDIR stages the files elsewhere (packaging); the paths written inside
# them (monocache.pc) are PREFIX's. The library and the tool find each other
# relative to where they are, so an install works wherever it is put.
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(LIBDIR)/pkgconfig \
		$(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 755 $(CLI) $(DESTDIR)$(BINDIR)/monocache
	install -m 755 $(S3_TOOL) $(DESTDIR)$(BINDIR)/monocache-s3
	install -m 755 $(OUT)/$(LIB_FILE) $(DESTDIR)$(LIBDIR)/$(LIB_FILE)
	ln -sfn $(LIB_FILE) $(DESTDIR)$(LIBDIR)/$(LIB_SONAME)
	ln -sfn $(LIB_SONAME) $(DESTDIR)$(LIBDIR)/libmonocache.so
	install -m 644 include/monocache.h $(DESTDIR)$(INCLUDEDIR)/monocache.h
	install -m 644 docs/monocache.1 $(DESTDIR)$(MANDIR)/man1/monocache.1
	install -m 644 docs/monocache-s3.1 $(DESTDIR)$(MANDIR)/man1/monocache-s3.1
	install -d $(DESTDIR)$(BASH_COMPLETION_DIR) $(DESTDIR)$(ZSH_COMPLETION_DIR)
	install -m 644 completion/monocache.bash $(DESTDIR)$(BASH_COMPLETION_DIR)/monocache
	install -m 644 completion/_monocache $(DESTDIR)$(ZSH_COMPLETION_DIR)/_monocache
	printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$(LIBDIR)' 'includedir=$(INCLUDEDIR)' '' \
		'Name: monocache' \
		'Description: C API of monocache (a private scratch directory per process tree)' \
		'Version: $(VERSION)' 'Libs: -L$${libdir} -lmonocache' 'Cflags: -I$${includedir}' \
		> $(DESTDIR)$(LIBDIR)/pkgconfig/monocache.pc

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/monocache $(DESTDIR)$(BINDIR)/monocache-s3 \
		$(DESTDIR)$(LIBDIR)/libmonocache.so $(DESTDIR)$(LIBDIR)/$(LIB_SONAME) \
		$(DESTDIR)$(LIBDIR)/$(LIB_FILE) \
		$(DESTDIR)$(LIBDIR)/pkgconfig/monocache.pc $(DESTDIR)$(INCLUDEDIR)/monocache.h \
		$(DESTDIR)$(MANDIR)/man1/monocache.1 $(DESTDIR)$(MANDIR)/man1/monocache-s3.1 \
		$(DESTDIR)$(BASH_COMPLETION_DIR)/monocache $(DESTDIR)$(ZSH_COMPLETION_DIR)/_monocache

clean:
	rm -rf build build-asan dist libmonocache.so libmonocache.so.* monocache monocache-s3

-include $(shell find $(O) -name '*.d' 2>/dev/null)
