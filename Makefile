# cf-purge-hook: purge from Cloudflare exactly what a git push changed.
# Read README.md first. `make test` installs what is missing (as root, with
# apt-get), builds and runs the core tests; `make test-all` runs every test.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/cf-purge-hook
CC ?= cc
PKG_CONFIG ?= pkg-config
PKGS = libgit2 libcurl libcjson inih
VERSION = 0.1.0

CFLAGS ?= -O2 -g
WARNINGS = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wformat=2 -Wno-format-nonliteral
ifeq ($(CI),true)
WARNINGS += -Werror
endif
ifeq ($(SANITIZE),1)
CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif
ALL_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
	-DCFPH_VERSION='"$(VERSION)"' $(WARNINGS) $(CFLAGS) \
	$(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
# libcurl is not linked: purge/libcurl.c loads it with dlopen() when there
# is something to send, so that runs that send nothing do not load the
# thirty libraries under it. Only its headers are used at build time.
# dlopen() is in glibc itself since 2.34; add LIBS_DL=-ldl for an older one.
LIBS = $(shell $(PKG_CONFIG) --libs $(filter-out libcurl,$(PKGS)) \
	2>/dev/null) $(LIBS_DL) -lm

UTIL = util/util.o util/git.o util/progress.o util/lock.o
MAPPING = mapping/urlenc.o mapping/pattern.o mapping/template.o \
	mapping/config.o mapping/config_parse.o mapping/config_cloudflare.o \
	mapping/config_site.o mapping/config_hook.o mapping/config_state.o \
	mapping/config_ci.o mapping/config_verify.o mapping/config_map.o mapping/config_tree.o \
	mapping/change.o mapping/plan.o mapping/fold.o mapping/map.o \
	mapping/links.o
PURGE = purge/batch.o purge/reply.o purge/libcurl.o purge/client.o \
	purge/pace.o purge/spool.o purge/send.o purge/journal.o
HOOK = hook/verify_cmd.o hook/refline.o hook/diff.o hook/indexlinks.o hook/symlinks.o \
	hook/count.o hook/run.o hook/deliver.o hook/report.o hook/report_json.o hook/report_plan.o \
	hook/ci.o hook/deploy.o hook/install.o hook/zone.o hook/keep.o \
	hook/kept.o hook/shared.o hook/live.o hook/dir.o hook/marker.o \
	hook/hookmark.o hook/ci_base.o hook/ci_output.o hook/admin.o
VERIFY = verify/verdict.o verify/fetch.o verify/verify.o
BUILT = built/built.o built/tree.o built/statcache.o built/state.o \
	built/prune.o built/manifest.o
OBJS = $(UTIL) $(MAPPING) $(PURGE) $(VERIFY) $(BUILT) $(HOOK)
UNIT = tests/unit/main.o tests/unit/check.o tests/unit/test_pattern.o \
	tests/unit/test_urlenc.o tests/unit/test_refline.o \
	tests/unit/test_plan.o tests/unit/test_map.o tests/unit/test_config.o \
	tests/unit/test_reply.o tests/unit/test_template.o \
	tests/unit/test_links.o tests/unit/test_shared.o \
	tests/unit/test_spool.o tests/unit/test_fold.o \
	tests/unit/test_verify.o

all: cf-purge-hook

cf-purge-hook: $(OBJS) hook/main.o
	$(CC) $(LDFLAGS) -o $@ $(OBJS) hook/main.o $(LIBS)

tests/unit/unit: $(OBJS) $(UNIT)
	$(CC) $(LDFLAGS) -o $@ $(OBJS) $(UNIT) $(LIBS)

%.o: %.c $(wildcard */*.h) $(wildcard tests/unit/*.h) .build-flags
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# Rebuild everything when the flags change (SANITIZE=1 and back).
.build-flags: FORCE
	@echo '$(CC) $(ALL_CFLAGS) $(LDFLAGS)' | cmp -s - $@ || \
		echo '$(CC) $(ALL_CFLAGS) $(LDFLAGS)' > $@

deps:
	@sh tests/install-deps.sh

# test: the core suites (git, python3 and the stand-in API only), a few
# minutes; test-all: those and tests/blackbox/slow/ (real servers, Hugo
# and Jekyll, kill loops). TEST_JOBS suites run at a time.
TEST_JOBS ?= $(shell nproc 2>/dev/null || echo 2)
test: deps
	@$(MAKE) --no-print-directory -j$(TEST_JOBS) all tests/unit/unit
	@bash tests/run.sh -j $(TEST_JOBS) core

test-all: deps
	@$(MAKE) --no-print-directory -j$(TEST_JOBS) all tests/unit/unit
	@bash tests/run.sh -j $(TEST_JOBS) all

# libFuzzer targets (needs clang); FUZZ_SECONDS per target, 0 replays the
# seeds and the kept crashing inputs only.
FUZZ_SECONDS ?= 30
fuzz: deps
	@FUZZ_SECONDS=$(FUZZ_SECONDS) sh tests/fuzz/run.sh

# Prints speed and memory ratios measured side by side (not part of test).
bench: all
	@sh tests/bench/bench.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@sh examples/demo.sh

# The docs keep the repository's layout, so that README's links work.
DOCS = README.md cf-purge-hook.ini.example
EXAMPLES = examples/servers.md $(wildcard examples/*.ini examples/*.yml)

# The man page is installed compressed, as Debian's packages have it, so
# that `make install` and `make deb` install the same files.
install: cf-purge-hook
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(DOCDIR)/examples
	install -m 755 cf-purge-hook $(DESTDIR)$(BINDIR)/
	gzip -n9c cf-purge-hook.1 >$(DESTDIR)$(MANDIR)/man1/cf-purge-hook.1.gz
	chmod 644 $(DESTDIR)$(MANDIR)/man1/cf-purge-hook.1.gz
	install -m 644 $(DOCS) $(DESTDIR)$(DOCDIR)/
	install -m 644 $(EXAMPLES) $(DESTDIR)$(DOCDIR)/examples/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/cf-purge-hook
	rm -f $(DESTDIR)$(MANDIR)/man1/cf-purge-hook.1 \
		$(DESTDIR)$(MANDIR)/man1/cf-purge-hook.1.gz
	rm -f $(addprefix $(DESTDIR)$(DOCDIR)/,$(DOCS) $(EXAMPLES))
	-rmdir $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(DOCDIR)

# cf-purge-hook_$(VERSION)_<arch>.deb from `make install PREFIX=/usr`
# (packaging/build-deb.sh says how; it needs dpkg-deb).
deb:
	@MAKE='$(MAKE)' sh packaging/build-deb.sh $(VERSION)

clean:
	rm -f cf-purge-hook tests/unit/unit */*.o tests/unit/*.o .build-flags
	rm -rf tests/fuzz/build
	rm -f cf-purge-hook_*.deb

.PHONY: all deps test test-all fuzz bench demo install uninstall deb clean FORCE
