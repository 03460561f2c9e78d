#!/bin/sh
# Builds every libFuzzer target into tests/fuzz/build/, runs each for
# FUZZ_SECONDS seconds (default 30; 0 replays the seed corpus only) on a
# scratch copy of its seed corpus, then replays every input kept in
# tests/fuzz/regressions/<target>/. Prints one line per target and ends
# with "N passed, N failed". A target passes when it builds, runs its time
# without a crash, leak, sanitizer report or timeout, and every kept input
# runs clean. `make fuzz FUZZ_SECONDS=N` runs this.
#
# FUZZ_TARGETS limits the run to some targets ("fuzz_pattern fuzz_reply");
# FUZZ_JOBS runs that many targets at a time (default: the cores);
# FUZZ_CC names the compiler (default clang), which must have libFuzzer;
# FUZZ_TIMEOUT the seconds one input may take (default 10).
set -u
FUZZ=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$FUZZ/../.." && pwd)
cd "$ROOT" || exit 1

SECONDS_EACH=${FUZZ_SECONDS:-30}
case $SECONDS_EACH in
''|*[!0-9]*)
	echo "cf-purge-hook: FUZZ_SECONDS must be a number of seconds, not '$SECONDS_EACH'" >&2
	exit 2 ;;
esac
# A single input that takes longer than this is a failure: every parser
# and matcher here is meant to be linear.
TIMEOUT=${FUZZ_TIMEOUT:-10}
FUZZ_CC=${FUZZ_CC:-clang}
PKGS="libgit2 libcurl libcjson inih"
BUILD=tests/fuzz/build
TARGETS=${FUZZ_TARGETS:-fuzz_refline fuzz_config fuzz_pattern fuzz_urlenc fuzz_template fuzz_reply fuzz_spool fuzz_index fuzz_manifest fuzz_tree_config}

# The INI loader: its entry point and the files of its sections, every
# mapping/config*.c, so that a new section's file cannot be left out.
CONFIG=$(echo mapping/config*.c)

# The library sources each target needs: only these, so that a file that
# another change leaves half-edited elsewhere does not stop the fuzzing.
sources() {
	case $1 in
	fuzz_refline) echo hook/refline.c util/util.c ;;
	fuzz_config) echo util/util.c mapping/urlenc.c mapping/pattern.c \
		mapping/template.c $CONFIG mapping/change.c \
		mapping/plan.c mapping/map.c purge/batch.c ;;
	fuzz_tree_config) echo util/util.c mapping/urlenc.c mapping/pattern.c \
		mapping/template.c $CONFIG mapping/change.c \
		mapping/plan.c mapping/map.c purge/batch.c ;;
	fuzz_pattern) echo util/util.c mapping/pattern.c ;;
	fuzz_urlenc) echo util/util.c mapping/urlenc.c mapping/pattern.c \
		mapping/template.c $CONFIG mapping/plan.c \
		mapping/map.c ;;
	fuzz_template) echo util/util.c mapping/urlenc.c mapping/template.c ;;
	fuzz_reply) echo util/util.c purge/reply.c ;;
	fuzz_index) echo util/util.c util/git.c hook/indexlinks.c ;;
	fuzz_manifest) echo util/util.c util/git.c purge/libcurl.c \
		built/manifest.c ;;
	fuzz_spool) echo util/util.c mapping/urlenc.c mapping/pattern.c \
		mapping/template.c $CONFIG mapping/plan.c \
		purge/batch.c purge/spool.c ;;
	*) return 1 ;;
	esac
}

mkdir -p "$BUILD/logs" || exit 1

# Checks that the compiler links a libFuzzer program.
probe() {
	printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
		'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
		'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)' \
		'{ (void)d; (void)n; return 0; }' >"$BUILD/probe.c"
	"$FUZZ_CC" -fsanitize=fuzzer,address,undefined -o "$BUILD/probe" \
		"$BUILD/probe.c" >"$BUILD/logs/probe.log" 2>&1
}

if ! probe; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "cf-purge-hook: installing clang for libFuzzer"
		export DEBIAN_FRONTEND=noninteractive
		{ apt-get install -y clang || { apt-get update &&
			apt-get install -y clang; }; } >"$BUILD/logs/apt.log" 2>&1
		FUZZ_CC=clang
	fi
	if ! probe; then
		if command -v "$FUZZ_CC" >/dev/null 2>&1; then
			v=$("$FUZZ_CC" --version | sed -n 's/.*clang version \([0-9]*\).*/\1/p' | head -n 1)
			echo "cf-purge-hook: '$FUZZ_CC' cannot link libFuzzer (see $BUILD/logs/probe.log)" >&2
			echo "cf-purge-hook: run: sudo apt-get install -y libclang-rt-${v:-14}-dev" >&2
		else
			echo "cf-purge-hook: libFuzzer needs clang, which is missing" >&2
			echo "cf-purge-hook: run: sudo apt-get install -y clang" >&2
		fi
		exit 1
	fi
fi
# shellcheck disable=SC2086
if ! pkg-config --exists $PKGS 2>/dev/null; then
	echo "cf-purge-hook: missing libraries for pkg-config: $PKGS; run 'make deps'" >&2
	exit 1
fi

CFLAGS_FUZZ="-std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -g -O1 \
-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
-fno-omit-frame-pointer -Wall -Wextra"
# shellcheck disable=SC2086
CFLAGS_PKG=$(pkg-config --cflags $PKGS)
# shellcheck disable=SC2086
LIBS_PKG="$(pkg-config --libs $PKGS) -lm"

export ASAN_OPTIONS="detect_leaks=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"

SCRATCH=$(mktemp -d)
trap 'rm -rf "$SCRATCH"' EXIT

passed=0
failed=0

# Why a run failed, from libFuzzer's log: the sanitizer's summary and the
# first stack frame in this project's sources.
why() {
	s=$(grep -m 1 '^SUMMARY: ' "$1" | sed 's/^SUMMARY: //')
	[ -n "$s" ] || s=$(grep -m 1 -E 'ERROR: |runtime error:' "$1")
	f=$(grep -E '^ *#[0-9]+ 0x[0-9a-f]+ in [^ ]+ [^ ]*/(tests/fuzz|util|mapping|purge|built|hook)/[^ /]+\.c:[0-9]' "$1" |
		head -n 1 | sed -E 's,.* in ([^ ]+) [^ ]*/((tests/fuzz|util|mapping|purge|built|hook)/[^ /]+\.c:[0-9:]+).*,\1 (\2),')
	echo "${s:-crash}${f:+ at $f}" | cut -c 1-200
}

# fuzz_one TARGET: builds TARGET, runs it and its kept inputs, and prints
# one line "ok - ..." or "not ok - ..."; returns 1 when not ok.
fuzz_one() {
	t=$1
	bin=$BUILD/$t
	log=$BUILD/logs/$t.log
	srcs=$(sources "$t") || {
		echo "not ok - $t: unknown target"
		return 1
	}

	# shellcheck disable=SC2086
	if ! "$FUZZ_CC" $CFLAGS_FUZZ $CFLAGS_PKG -o "$bin" "tests/fuzz/$t.c" \
		$srcs $LIBS_PKG >"$BUILD/logs/$t.build.log" 2>&1; then
		echo "not ok - $t: does not build (see $BUILD/logs/$t.build.log)"
		return 1
	fi

	mkdir -p "$SCRATCH/$t" "$BUILD/artifacts/$t"
	touch "$SCRATCH/$t.start"
	[ -d "tests/fuzz/corpus/$t" ] && cp -R "tests/fuzz/corpus/$t/." "$SCRATCH/$t/"
	set -- -timeout="$TIMEOUT" -artifact_prefix="$BUILD/artifacts/$t/" \
		-print_final_stats=1
	[ -f "tests/fuzz/dict/$t.dict" ] && set -- "$@" -dict="tests/fuzz/dict/$t.dict"
	if [ "$SECONDS_EACH" -eq 0 ]; then
		set -- "$@" -runs=0
	else
		set -- "$@" -max_total_time="$SECONDS_EACH"
	fi
	"$bin" "$@" "$SCRATCH/$t" >"$log" 2>&1
	status=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -n 1 | cut -d' ' -f2)
	corp=$(grep -oE 'corp: [0-9]+' "$log" | tail -n 1 | cut -d' ' -f2)
	result="${runs:-?} runs in ${SECONDS_EACH} s, cov ${cov:-?}, corpus ${corp:-?}"

	if [ "$status" -ne 0 ]; then
		crash=$(find "$BUILD/artifacts/$t" -type f -newer "$SCRATCH/$t.start" | head -n 1)
		echo "not ok - $t: $(why "$log")${crash:+; input $crash} (log $log; keep the input in tests/fuzz/regressions/$t/)"
		return 1
	fi

	# Every input kept from an earlier crash must now run clean.
	nreg=0
	nbad=0
	bad=""
	for f in "tests/fuzz/regressions/$t"/*; do
		[ -f "$f" ] || continue
		nreg=$((nreg + 1))
		if ! "$bin" -timeout="$TIMEOUT" -artifact_prefix="$BUILD/artifacts/$t/" \
			"$f" >"$BUILD/logs/$t.regression.log" 2>&1; then
			nbad=$((nbad + 1))
			[ -n "$bad" ] || bad="$f: $(why "$BUILD/logs/$t.regression.log")"
			{ echo "== kept input $f"; cat "$BUILD/logs/$t.regression.log"; } >>"$log"
		fi
	done
	if [ "$nbad" -gt 0 ]; then
		echo "not ok - $t: $result; $nbad of $nreg kept inputs still fail, first $bad (log $log)"
		return 1
	else
		echo "ok - $t: $result; $nreg kept inputs clean"
	fi
}

# FUZZ_JOBS targets at a time (default: the number of cores); their lines
# are printed in the targets' order once all have ended.
jobs=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}
running=
for t in $TARGETS; do
	fuzz_one "$t" >"$SCRATCH/$t.result" 2>&1 &
	running="$running $!"
	# shellcheck disable=SC2086
	set -- $running
	if [ $# -ge "$jobs" ]; then
		wait "$1"
		shift
		running=$*
	fi
done
wait
for t in $TARGETS; do
	cat "$SCRATCH/$t.result"
	if grep -q '^ok - ' "$SCRATCH/$t.result"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
	fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
