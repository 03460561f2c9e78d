#!/bin/sh
# t10-kills.sh: the spool is a journal, so a kill at any moment of a hook
# run loses nothing: the program is killed (-9) at 24 moments and more,
# and after each kill `retry` must deliver every planned URL, none twice,
# and leave the spool empty. Split from t10-journal.sh for make test-all:
# each moment starts two stand-ins and two runs, so the loop takes about
# 20 s, more under a sanitizer or valgrind.

. "$(dirname "$0")/../lib.sh"
REPO=$TRASH/repo
SPOOL=$REPO/.git/cf-purge-hook-spool
CONFIG=$REPO/.git/cf-purge-hook.ini
PY=$(python3 -c 'import sys; print(sys.executable)')
FAST='backoff = 0.01'

# plan RANGE: the dry run's JSON plan of RANGE, in $TRASH/plan.json.
plan() {
	cfph --dry-run --json range "$1" >"$TRASH/plan.json"
}

spool_files() {
	ls "$SPOOL" 2>/dev/null | grep -c '\.json$' || true
}

git init -q "$REPO"
cd "$REPO" || exit 1
mkdir public
echo base >public/keep.html
commit_all base
C0=$(git rev-parse HEAD)
n=1
while [ $n -le 65 ]; do echo "$n" >"public/g$(printf %02d $n).html"; n=$((n + 1)); done
commit_all sixty-five
C1=$(git rev-parse HEAD)
RANGE=$C0..$C1
start_stub || exit 1
write_config "$CONFIG" "[cloudflare]
$FAST"

# Kills at every stage of a hook run (the program as git runs it, with the
# push on standard input): before the journal, while it is written, while
# requests are in flight (the stand-in answers after 60 ms), between them,
# and while settling. After each kill, retry against a working stand-in
# must leave nothing behind; every planned URL must have arrived (in the
# killed run or in the retry), and the retry must send none twice. A kill
# that came before the run wrote anything (no request, no spool file) has
# nothing to keep: such moments are counted, and at least 12 kills must
# come later. A slower build (sanitisers, a loaded machine) starts later,
# so moments are added further out until 12 have, up to 3 s.
expect 'kill -9 at 24 moments of a hook run (and later ones, for a slow build): after each, retry delivers every URL, none twice, and the spool ends empty' '
	kill_at() {
		ms=$1
		rm -rf "$SPOOL" &&
		start_stub --latency-ms 60 &&
		write_config "$CONFIG" "[cloudflare]
$FAST" &&
		rm -rf "$REPO/.git/cf-purge-hook-pushes" &&
		{ echo "$C0 $C1 refs/heads/main" | GIT_DIR="$REPO/.git" $CFPH_WRAP "$CFPH" hook >/dev/null 2>&1 & pid=$!; } &&
		sleep "$(awk "BEGIN{print $ms/1000}")" &&
		{ kill -9 $pid 2>/dev/null || true; } && { wait $pid || true; } &&
		cp "$TRASH/stub.log" "$TRASH/kill-$ms.log" &&
		kept=$(( $(spool_files) + $(ls "$REPO/.git/cf-purge-hook-pushes" 2>/dev/null | grep -c "\.push$" || true) )) &&
		start_stub &&
		write_config "$CONFIG" "[cloudflare]
$FAST" &&
		{ cfph retry >/dev/null 2>"$TRASH/retry-$ms.err" || { echo "retry failed after a kill at $ms ms"; cat "$TRASH/retry-$ms.err"; return 1; }; } &&
		{ test "$(spool_files)" = 0 || { echo "spool not empty after a kill at $ms ms"; ls -la "$SPOOL"; cat "$TRASH/retry-$ms.err"; return 1; }; } &&
		{ test -z "$(ls "$REPO/.git/cf-purge-hook-pushes" | grep push || true)" || { echo "a push still kept after a kill at $ms ms"; ls -la "$REPO/.git/cf-purge-hook-pushes"; cat "$TRASH/retry-$ms.err"; return 1; }; } &&
		{ check log "$TRASH/stub.log" "len([u for e in P for u in e[\"body\"][\"files\"]]) == len(set(u for e in P for u in e[\"body\"][\"files\"]))" >/dev/null || { echo "a URL sent twice by the retry after a kill at $ms ms"; cat "$TRASH/stub.log"; return 1; }; } &&
		if [ "$kept" = 0 ] && [ ! -s "$TRASH/kill-$ms.log" ]; then
			early=$((early + 1))
		else
			late=$((late + 1))
			check received "$TRASH/kill-$ms.log" "$TRASH/stub.log" --plan "$TRASH/plan.json" >"$TRASH/recv.txt" || { echo "lost after a kill at $ms ms (kept $kept)"; cat "$TRASH/recv.txt" "$TRASH/retry-$ms.err"; return 1; }
		fi
	}
	plan "$RANGE" && early=0 && late=0 &&
	for ms in 0 2 4 6 8 10 15 20 25 30 40 50 60 70 80 100 120 140 160 180 200 250 300 400; do
		kill_at $ms || exit 1
	done &&
	for ms in 500 600 700 850 1000 1200 1500 2000 2500 3000; do
		[ "$late" -ge 12 ] && break
		kill_at $ms || exit 1
	done &&
	echo "$early kills came before the journal, $late after it" &&
	if [ -z "$CFPH_WRAP" ]; then test "$late" -ge 12; fi
'

finish
