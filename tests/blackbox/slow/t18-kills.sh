#!/bin/sh
# t18-kills.sh: kill -9 at every millisecond of a hook's first 50, and
# SIGTERM in its first 20: however early the kill, before the program could
# keep anything, `retry` then purges every URL of the push, since the
# branch's purge marker (hook/hookmark.h) stays behind it. Split from
# t18-marker.sh for make test-all.
. "$(dirname "$0")/../lib.sh"

. "$ROOT/tests/blackbox/marker-site.sh"

# --- Kills in a hook's first 50 ms ------------------------------------------
# The push moves main from $K0 to $K1 (three pages); the hook, as git runs
# it, gets a kill -9 (or a SIGTERM) after MS milliseconds. Whatever the
# moment, retry must then have purged all three pages (in the killed run or
# in the retry), and the marker must be at $K1.
edit k1.html && edit k2.html && edit k3.html
K1=$(git rev-parse HEAD)
K0=$(git rev-parse HEAD~3)
git push -q origin main 2>/dev/null

# kill_hook SIGNAL MS: one try; fails with a message.
kill_hook() {
	git -C "$BARE" update-ref refs/cf-purge-hook/heads/main "$K0" &&
	rm -rf "$BARE/cf-purge-hook-pushes" "$BARE/cf-purge-hook-spool" &&
	clear_log &&
	{ echo "$K0 $K1 refs/heads/main" | GIT_DIR="$BARE" $CFPH_WRAP "$CFPH" hook >/dev/null 2>&1 & pid=$!; } &&
	sleep "$(awk "BEGIN{print $2/1000}")" &&
	{ kill "-$1" $pid 2>/dev/null || true; } && { wait $pid || true; } &&
	{ cfph -C "$BARE" retry >/dev/null 2>"$TRASH/kretry.err" || { echo "retry failed after $1 at $2 ms"; cat "$TRASH/kretry.err"; return 1; }; } &&
	got=$(requests | tr " " "\n" | grep -c "k[123].html" || true) &&
	{ [ "$got" -ge 3 ] || { echo "lost after $1 at $2 ms: $(requests)"; cat "$TRASH/kretry.err"; return 1; }; } &&
	{ test "$(marker)" = "$K1" || { echo "marker not at the push after $1 at $2 ms"; return 1; }; }
}

expect 'kill -9 at every millisecond of the hook'"'"'s first 50: retry purges the push every time' '
	ms=0 &&
	while [ $ms -le 50 ]; do
		kill_hook 9 $ms || exit 1
		ms=$((ms + 1))
	done
'

expect 'SIGTERM at 0 to 20 ms: retry purges the push every time' '
	for ms in 0 1 2 3 5 8 10 15 20; do
		kill_hook TERM $ms || exit 1
	done
'

finish
