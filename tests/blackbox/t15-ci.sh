#!/bin/sh
# t15-ci.sh: `ci` as the runners run it, job after job. A bare "forge"
# repository is `origin`; every job is a fresh clone made as the runner
# makes it (actions/checkout: the event's commit at depth 1, on its
# branch; GitLab: depth 20, detached; or full), with the runner's own
# variables, event file, GITHUB_STEP_SUMMARY and GITHUB_OUTPUT. Nothing
# carries from one job to the next but the forge: the purge marker
# refs/cf-purge-hook/heads/<branch> is what makes a failed job's URLs the
# next job's, an older job finishing last purge nothing, and two jobs at
# once leave the newer commit.
. "$(dirname "$0")/lib.sh"
PY=$(python3 -c 'import sys; print(sys.executable)')
ZEROS=0000000000000000000000000000000000000000
unset GITHUB_ACTIONS GITHUB_EVENT_NAME GITHUB_EVENT_PATH GITHUB_STEP_SUMMARY \
	GITHUB_REF GITHUB_SHA GITHUB_OUTPUT GITLAB_CI CI_COMMIT_BEFORE_SHA \
	CI_COMMIT_SHA CI_COMMIT_BRANCH CI_COMMIT_TAG CI_COMMIT_REF_NAME \
	CI_MERGE_REQUEST_IID CI_MERGE_REQUEST_DIFF_BASE_SHA \
	CI_MERGE_REQUEST_TARGET_BRANCH_NAME CI_PIPELINE_SOURCE

start_stub || exit 1
FORGE=$TRASH/forge.git
WORK=$TRASH/work
MARKER=refs/cf-purge-hook/heads/main
OK_INI=$TRASH/ok.ini
DOWN_INI=$TRASH/down.ini
write_config "$OK_INI" "[hook]
branches = *"
# down_config FILE [EXTRA]: a config whose API is down (nothing listens
# there), so that every request fails, quickly.
down_config() {
	dc_saved=$API_URL
	API_URL=http://127.0.0.1:9/client/v4
	write_config "$1" "[cloudflare]
retries = 0
deadline = 2
${2:-}"
	API_URL=$dc_saved
}
down_config "$DOWN_INI" "[hook]
branches = *"

git init -q --bare "$FORGE"
git init -q "$WORK"
cd "$WORK" || exit 1
git remote add origin "$FORGE"
mkdir public
for f in a b c d e f g h; do echo "$f" >"public/$f.html"; done
commit_all c0
git push -q origin main

# edit NAME...: commits a change to public/NAME.html for each NAME in the
# work tree, pushes main to the forge, and prints the new commit.
edit() {
	for e_name in "$@"; do
		echo "$e_name $(date +%s%N)" >"$WORK/public/$e_name.html"
	done
	(cd "$WORK" && commit_all "edit $*" && git push -q -f origin HEAD:main) >/dev/null 2>&1
	git -C "$WORK" rev-parse HEAD
}

# urls NAME...: the request a purge of those pages makes.
urls() {
	u_line="200 $ZONE files"
	for u_name in $(printf '%s\n' "$@" | sort); do
		u_line="$u_line https://example.com/$u_name.html"
	done
	echo "$u_line"
}

# clone_gh DIR SHA BRANCH [DEPTH]: the clone actions/checkout makes: the
# event's commit fetched at DEPTH (1; 0 is the whole history), checked out
# as BRANCH tracking origin.
clone_gh() {
	rm -rf "$1"
	git init -q "$1" &&
	git -C "$1" remote add origin "file://$FORGE" &&
	if [ "${4:-1}" = 0 ]; then
		git -C "$1" fetch -q --no-tags origin "+$2:refs/remotes/origin/$3"
	else
		git -C "$1" fetch -q --no-tags --depth="${4:-1}" origin "+$2:refs/remotes/origin/$3"
	fi &&
	git -C "$1" checkout -q -B "$3" "refs/remotes/origin/$3"
}

# clone_gl DIR SHA BRANCH: GitLab's: the branch at depth 20, the
# pipeline's commit checked out, detached.
clone_gl() {
	rm -rf "$1"
	git init -q "$1" &&
	git -C "$1" remote add origin "file://$FORGE" &&
	git -C "$1" fetch -q --no-tags --depth=20 origin "+$2:refs/remotes/origin/$3" &&
	git -C "$1" checkout -q --detach "$2"
}

# gh_push FILE REF BEFORE AFTER [CREATED [DELETED [FORCED]]]: a push event
# as GitHub writes it.
gh_push() {
	cat >"$1" <<EOJ
{"ref": "$2", "before": "$3", "after": "$4",
 "created": ${5:-false}, "deleted": ${6:-false}, "forced": ${7:-false},
 "base_ref": null, "compare": "https://github.com/o/site/compare/x...y",
 "commits": [], "head_commit": {"id": "$4", "message": "deploy"},
 "repository": {"full_name": "o/site", "default_branch": "main"},
 "pusher": {"name": "someone"}}
EOJ
}

# job NAME DIR CONFIG [VAR=VALUE...] [-- ARGS]: one run of `ci` in the
# clone DIR, with fresh summary and output files; keeps NAME.out,
# NAME.err, NAME.status, NAME.summary and NAME.output in $TRASH.
job() {
	j_name=$1 j_dir=$2 j_config=$3
	shift 3
	: >"$TRASH/$j_name.summary"
	: >"$TRASH/$j_name.output"
	j_args=
	(cd "$j_dir" && env GITHUB_STEP_SUMMARY="$TRASH/$j_name.summary" \
		GITHUB_OUTPUT="$TRASH/$j_name.output" "$@" \
		$CFPH_WRAP "$CFPH" -c "$j_config" ci $CI_ARGS) \
		>"$TRASH/$j_name.out" 2>"$TRASH/$j_name.err"
	echo $? >"$TRASH/$j_name.status"
	echo "== $j_name: status $(cat "$TRASH/$j_name.status")"
	echo "-- stdout:"; cat "$TRASH/$j_name.out"
	echo "-- stderr:"; cat "$TRASH/$j_name.err"
	echo "-- summary:"; cat "$TRASH/$j_name.summary"
	echo "-- output:"; cat "$TRASH/$j_name.output"
}
CI_ARGS=

# gh_job NAME SHA BEFORE CONFIG [DEPTH [VAR=VALUE...]]: a GitHub Actions
# push job for main BEFORE..SHA in a fresh clone.
gh_job() {
	g_name=$1 g_sha=$2 g_before=$3 g_config=$4 g_depth=${5:-1}
	shift 4; [ $# -gt 0 ] && shift
	clone_gh "$TRASH/$g_name.clone" "$g_sha" main "$g_depth" &&
	gh_push "$TRASH/$g_name.json" refs/heads/main "$g_before" "$g_sha" &&
	job "$g_name" "$TRASH/$g_name.clone" "$g_config" GITHUB_ACTIONS=true \
		GITHUB_EVENT_NAME=push GITHUB_EVENT_PATH="$TRASH/$g_name.json" \
		GITHUB_REF=refs/heads/main GITHUB_SHA="$g_sha" "$@"
}

# gl_job NAME SHA BEFORE CONFIG [VAR=VALUE...]: a GitLab CI push pipeline.
gl_job() {
	l_name=$1 l_sha=$2 l_before=$3 l_config=$4
	shift 4
	clone_gl "$TRASH/$l_name.clone" "$l_sha" main &&
	job "$l_name" "$TRASH/$l_name.clone" "$l_config" GITLAB_CI=true \
		CI_PIPELINE_SOURCE=push CI_COMMIT_BEFORE_SHA="$l_before" \
		CI_COMMIT_SHA="$l_sha" CI_COMMIT_BRANCH=main CI_COMMIT_REF_NAME=main "$@"
}

# exits NAME N: job NAME exited with N.
exits() {
	test "$(cat "$TRASH/$1.status")" = "$2"
}

# out NAME KEY: the value job NAME wrote to GITHUB_OUTPUT for KEY.
out() {
	sed -n "s/^$2=//p" "$TRASH/$1.output"
}

marker() {
	git --git-dir="$FORGE" rev-parse -q --verify "$MARKER" || echo none
}

# --- The marker over jobs: failure owed, older last, two at once ---------

C0=$(git -C "$WORK" rev-parse HEAD)
C1=$(edit a)

expect 'GitHub, depth 1: the first job fetches its base, purges exactly its range and records the marker' '
	clear_log &&
	gh_job j1 "$C1" "$C0" "$OK_INI" &&
	exits j1 0 &&
	test "$(requests)" = "$(urls a)" &&
	grep "fetched the base commit" "$TRASH/j1.err" &&
	test "$(marker)" = "$C1" &&
	test "$(out j1 status)" = purged && test "$(out j1 urls)" = 1 &&
	test "$(out j1 requests)" = 1 && test "$(out j1 marker)" = "$C1" &&
	test "$(out j1 prefixes)" = 0 && test "$(out j1 tags)" = 0 &&
	test "$(out j1 hosts)" = 0 &&
	grep -F "Purge marker \`$MARKER\` at" "$TRASH/j1.summary"
'

C2=$(edit b)
expect 'a job whose requests fail leaves the marker, exits 1, and says the next run purges them (no spool promise)' '
	clear_log &&
	CI_ARGS=--json && gh_job j2 "$C2" "$C1" "$DOWN_INI" &&
	exits j2 1 &&
	test "$(marker)" = "$C1" &&
	grep "not purged: 1 item; the purge marker stays at" "$TRASH/j2.err" &&
	! grep -i "kept in\|next push sends" "$TRASH/j2.err" &&
	test "$(out j2 status)" = failed && test "$(out j2 urls)" = 0 &&
	test "$(out j2 marker)" = "$C1" &&
	"$PY" -c "import json,sys; t=json.load(open(sys.argv[1]))[\"this_run\"]; sys.exit(not (t[\"kept\"] == 1 and t[\"lost\"] == 0))" "$TRASH/j2.out" &&
	grep "^::error::" "$TRASH/j2.err"
'

C3=$(edit c)
expect 'the next job, a fresh depth-1 clone, purges the failed job pages with its own, exactly once' '
	clear_log &&
	gh_job j3 "$C3" "$C2" "$OK_INI" &&
	exits j3 0 &&
	test "$(requests)" = "$(urls b c)" &&
	grep "purging from the purge marker" "$TRASH/j3.err" &&
	test "$(marker)" = "$C3"
'

expect 'a re-run of that job (the same event, a fresh clone) purges nothing, and says why' '
	clear_log &&
	gh_job j3b "$C3" "$C2" "$OK_INI" &&
	exits j3b 0 &&
	test -z "$(requests)" &&
	grep "was purged already" "$TRASH/j3b.err" &&
	test "$(out j3b status)" = nothing &&
	grep "Nothing to purge" "$TRASH/j3b.summary"
'

C4=$(edit d)
C5=$(edit e)
expect 'the newer job first purges from the marker (d, e); the older job finishing last (depth 1) purges nothing and says why' '
	clear_log &&
	gh_job j5 "$C5" "$C4" "$OK_INI" &&
	exits j5 0 && test "$(requests)" = "$(urls d e)" &&
	test "$(marker)" = "$C5" &&
	clear_log &&
	gh_job j4 "$C4" "$C3" "$OK_INI" &&
	exits j4 0 &&
	test -z "$(requests)" &&
	grep "a newer deploy was purged through" "$TRASH/j4.err" &&
	test "$(marker)" = "$C5"
'

expect 'the same on GitLab (depth 20, detached): the older pipeline last purges nothing' '
	clear_log &&
	gl_job l4 "$C4" "$C3" "$OK_INI" &&
	exits l4 0 && test -z "$(requests)" &&
	grep "a newer deploy was purged through" "$TRASH/l4.err" &&
	test "$(marker)" = "$C5"
'

C6=$(edit f)
C7=$(edit g)
# Two jobs at once: each reads the marker at C5, then sends for a second
# (the stand-in's latency); the newer job is started first and finishes
# first, so the older one's swap must find the marker moved past it.
stop_stub
start_stub --latency-ms 1200 || exit 1
write_config "$OK_INI" "[hook]
branches = *"
expect 'two jobs at once never move the marker backwards' '
	clear_log &&
	clone_gh "$TRASH/j7.clone" "$C7" main && clone_gh "$TRASH/j6.clone" "$C6" main &&
	gh_push "$TRASH/j7.json" refs/heads/main "$C6" "$C7" &&
	gh_push "$TRASH/j6.json" refs/heads/main "$C5" "$C6"
	# Its own line: "a && b &" would put the clones in the background too.
	(job j7 "$TRASH/j7.clone" "$OK_INI" GITHUB_ACTIONS=true GITHUB_EVENT_NAME=push \
		GITHUB_EVENT_PATH="$TRASH/j7.json" >/dev/null) &
	sleep 0.4 &&
	job j6 "$TRASH/j6.clone" "$OK_INI" GITHUB_ACTIONS=true GITHUB_EVENT_NAME=push \
		GITHUB_EVENT_PATH="$TRASH/j6.json" &&
	wait &&
	cat "$TRASH/j7.err" &&
	exits j6 0 && exits j7 0 &&
	test "$(marker)" = "$C7" &&
	test "$(out j6 marker)" = "$C7"
'
CK=$(edit b)
expect 'a job killed while it sends (the runner cancelling it for good: SIGKILL) leaves the marker where it was' '
	clone_gh "$TRASH/k.clone" "$CK" main &&
	gh_push "$TRASH/k.json" refs/heads/main "$C7" "$CK"
	(cd "$TRASH/k.clone" && exec env GITHUB_ACTIONS=true GITHUB_EVENT_NAME=push \
		GITHUB_EVENT_PATH="$TRASH/k.json" "$CFPH" -c "$OK_INI" ci \
		>"$TRASH/k.out" 2>"$TRASH/k.err") &
	k_pid=$! &&
	sleep 0.6 && kill -KILL "$k_pid" &&
	code wait "$k_pid" &&
	cat "$TRASH/k.err" &&
	test "$CODE" != 0 &&
	test "$(marker)" = "$C7"
'
stop_stub
start_stub || exit 1
write_config "$OK_INI" "[hook]
branches = *"
write_config "$TRASH/nomarker.ini" "[hook]
branches = *
[ci]
marker = false"
down_config "$TRASH/down-green.ini" "[ci]
fail_job = false"

# --- Every trigger, on both runners ---------------------------------------

C8=$(edit h)
expect 'GitLab push, depth 20: purges from the marker what the killed job owed, and its own' '
	clear_log &&
	gl_job l8 "$C8" "$CK" "$OK_INI" &&
	exits l8 0 && test "$(requests)" = "$(urls b h)" &&
	test "$(marker)" = "$C8"
'

expect 'GitLab: a retried pipeline (the same variables, a fresh clone) purges nothing' '
	clear_log &&
	gl_job l8b "$C8" "$CK" "$OK_INI" &&
	exits l8b 0 && test -z "$(requests)" &&
	grep "was purged already" "$TRASH/l8b.err" &&
	test "$(marker)" = "$C8"
'

expect 'full clone, GitHub: a re-run purges nothing (marker at the commit)' '
	clear_log &&
	gh_job j8 "$C8" "$CK" "$OK_INI" 0 &&
	exits j8 0 && test -z "$(requests)" &&
	grep "was purged already" "$TRASH/j8.err"
'

expect 'GitHub manual and scheduled runs purge from the marker to HEAD: nothing when at HEAD, never everything' '
	clear_log &&
	clone_gh "$TRASH/m.clone" "$C8" main &&
	echo "{\"ref\": \"refs/heads/main\", \"inputs\": {}}" >"$TRASH/m.json" &&
	for ev in workflow_dispatch schedule repository_dispatch; do
		job "m-$ev" "$TRASH/m.clone" "$OK_INI" GITHUB_ACTIONS=true \
			GITHUB_EVENT_NAME=$ev GITHUB_EVENT_PATH="$TRASH/m.json" \
			GITHUB_REF=refs/heads/main GITHUB_SHA="$C8" &&
		exits "m-$ev" 0 && test "$(out "m-$ev" status)" = nothing || exit 1
	done &&
	test -z "$(requests)"
'

C9=$(edit a b)
git --git-dir="$FORGE" update-ref "$MARKER" "$C8"
expect 'GitLab web and scheduled pipelines (before all zeros) purge what the marker owes' '
	clear_log &&
	clone_gl "$TRASH/w.clone" "$C9" main &&
	job w "$TRASH/w.clone" "$OK_INI" GITLAB_CI=true CI_PIPELINE_SOURCE=web \
		CI_COMMIT_BEFORE_SHA=$ZEROS CI_COMMIT_SHA="$C9" CI_COMMIT_BRANCH=main &&
	exits w 0 && test "$(requests)" = "$(urls a b)" &&
	test "$(marker)" = "$C9" &&
	clear_log &&
	job s "$TRASH/w.clone" "$OK_INI" GITLAB_CI=true CI_PIPELINE_SOURCE=schedule \
		CI_COMMIT_BEFORE_SHA=$ZEROS CI_COMMIT_SHA="$C9" CI_COMMIT_BRANCH=main &&
	exits s 0 && test -z "$(requests)" && grep "purged already" "$TRASH/s.err"
'

expect 'a manual run on a branch with no marker purges nothing, says so, exits 0 (both runners)' '
	git -C "$WORK" push -q origin "$C9:refs/heads/solo" 2>/dev/null &&
	clear_log &&
	clone_gh "$TRASH/n.clone" "$C9" solo &&
	job n1 "$TRASH/n.clone" "$OK_INI" GITHUB_ACTIONS=true GITHUB_EVENT_NAME=schedule \
		GITHUB_EVENT_PATH="$TRASH/m.json" GITHUB_REF=refs/heads/solo GITHUB_SHA="$C9" &&
	exits n1 0 && grep "has no marker yet" "$TRASH/n1.err" &&
	grep "has no marker yet" "$TRASH/n1.summary" &&
	job n2 "$TRASH/n.clone" "$OK_INI" GITLAB_CI=true CI_PIPELINE_SOURCE=api \
		CI_COMMIT_BEFORE_SHA=$ZEROS CI_COMMIT_SHA="$C9" CI_COMMIT_BRANCH=solo &&
	exits n2 0 && grep "has no marker yet" "$TRASH/n2.err" &&
	test -z "$(requests)" &&
	! git --git-dir="$FORGE" rev-parse -q --verify refs/cf-purge-hook/heads/solo
'

expect 'a new branch: on_create decides (skip: nothing), and its marker starts at its commit (both runners)' '
	git -C "$WORK" push -q origin "$C9:refs/heads/new1" "$C9:refs/heads/new2" 2>/dev/null &&
	clear_log &&
	clone_gh "$TRASH/nb.clone" "$C9" new1 &&
	gh_push "$TRASH/nb.json" refs/heads/new1 "$ZEROS" "$C9" true &&
	job nb1 "$TRASH/nb.clone" "$OK_INI" GITHUB_ACTIONS=true GITHUB_EVENT_NAME=push \
		GITHUB_EVENT_PATH="$TRASH/nb.json" &&
	exits nb1 0 && grep "new branch" "$TRASH/nb1.err" &&
	test "$(git --git-dir="$FORGE" rev-parse refs/cf-purge-hook/heads/new1)" = "$C9" &&
	clone_gl "$TRASH/nb2.clone" "$C9" new2 &&
	job nb2 "$TRASH/nb2.clone" "$OK_INI" GITLAB_CI=true CI_PIPELINE_SOURCE=push \
		CI_COMMIT_BEFORE_SHA=$ZEROS CI_COMMIT_SHA="$C9" CI_COMMIT_BRANCH=new2 &&
	exits nb2 0 && grep "new branch" "$TRASH/nb2.err" &&
	test "$(git --git-dir="$FORGE" rev-parse refs/cf-purge-hook/heads/new2)" = "$C9" &&
	test -z "$(requests)"
'

expect 'a tag is skipped with its reason, exit 0, on both runners' '
	clear_log &&
	gh_push "$TRASH/tag.json" refs/tags/v1 "$ZEROS" "$C9" true &&
	job t1 "$TRASH/w.clone" "$OK_INI" GITHUB_ACTIONS=true GITHUB_EVENT_NAME=push \
		GITHUB_EVENT_PATH="$TRASH/tag.json" &&
	exits t1 0 && test "$(out t1 status)" = skipped &&
	grep "Skipped.*a tag" "$TRASH/t1.summary" &&
	job t2 "$TRASH/w.clone" "$OK_INI" GITLAB_CI=true CI_PIPELINE_SOURCE=push \
		CI_COMMIT_BEFORE_SHA=$ZEROS CI_COMMIT_SHA="$C9" CI_COMMIT_TAG=v1 &&
	exits t2 0 && grep "a tag" "$TRASH/t2.err" &&
	test -z "$(requests)" && test "$(marker)" = "$C9"
'

expect 'a branch deletion is skipped with its reason, exit 0 (GitHub; GitLab runs no pipeline for it)' '
	clear_log &&
	gh_push "$TRASH/del.json" refs/heads/new1 "$C9" "$ZEROS" false true &&
	job d1 "$TRASH/w.clone" "$OK_INI" GITHUB_ACTIONS=true GITHUB_EVENT_NAME=push \
		GITHUB_EVENT_PATH="$TRASH/del.json" &&
	exits d1 0 && test "$(out d1 status)" = skipped &&
	grep "was deleted" "$TRASH/d1.err" && test -z "$(requests)"
'

expect 'a pull request and a merge request show the plan only: exit 0, nothing sent, marker untouched' '
	clear_log &&
	printf "{\"pull_request\": {\"number\": 7, \"base\": {\"ref\": \"main\", \"sha\": \"%s\"}, \"head\": {\"ref\": \"x\", \"sha\": \"%s\"}}}" \
		"$C8" "$C9" >"$TRASH/pr.json" &&
	job p1 "$TRASH/w.clone" "$OK_INI" GITHUB_ACTIONS=true GITHUB_EVENT_NAME=pull_request \
		GITHUB_EVENT_PATH="$TRASH/pr.json" GITHUB_SHA="$C9" &&
	exits p1 0 && grep "would purge 2 URLs" "$TRASH/p1.err" &&
	test "$(out p1 status)" = dry-run && test "$(out p1 urls)" = 2 &&
	job p2 "$TRASH/w.clone" "$OK_INI" GITLAB_CI=true \
		CI_PIPELINE_SOURCE=merge_request_event CI_MERGE_REQUEST_IID=7 \
		CI_COMMIT_SHA="$C9" CI_MERGE_REQUEST_DIFF_BASE_SHA="$C8" \
		CI_MERGE_REQUEST_TARGET_BRANCH_NAME=main &&
	exits p2 0 && grep "would purge 2 URLs" "$TRASH/p2.err" &&
	test -z "$(requests)" && test "$(marker)" = "$C9"
'

# A force push: main rewritten from C9 to a commit on another line.
git -C "$WORK" checkout -q -b other "$C7"
echo other >"$WORK/public/c.html"
(cd "$WORK" && commit_all other && git push -q -f origin HEAD:main) 2>/dev/null
F1=$(git -C "$WORK" rev-parse HEAD)
expect 'a force push compares the marker tree to the new tree (both runners)' '
	clear_log &&
	clone_gh "$TRASH/f.clone" "$F1" main &&
	gh_push "$TRASH/f.json" refs/heads/main "$C9" "$F1" false false true &&
	job f1 "$TRASH/f.clone" "$TRASH/nomarker.ini" GITHUB_ACTIONS=true \
		GITHUB_EVENT_NAME=push GITHUB_EVENT_PATH="$TRASH/f.json" &&
	exits f1 0 && test "$(requests)" = "$(urls a b c h)" &&
	test "$(marker)" = "$C9" &&
	clear_log &&
	gl_job f2 "$F1" "$C9" "$OK_INI" &&
	exits f2 0 && test "$(requests)" = "$(urls a b c h)" &&
	test "$(marker)" = "$F1"
'

# --- A remote the job may not write to ----------------------------------

F2=$(edit d)
cat >"$FORGE/hooks/pre-receive" <<'EOS'
#!/bin/sh
while read old new ref; do
	case $ref in refs/cf-purge-hook/*) echo "read-only token" >&2; exit 1;; esac
done
EOS
chmod +x "$FORGE/hooks/pre-receive"
git --git-dir="$FORGE" update-ref -d "$MARKER"
expect 'a read-only remote: the event range is purged, with one warning naming the fix' '
	clear_log &&
	gh_job r1 "$F2" "$F1" "$OK_INI" &&
	exits r1 0 && test "$(requests)" = "$(urls d)" &&
	test "$(grep -c "cannot use the purge marker" "$TRASH/r1.err")" = 1 &&
	grep "permissions: contents: write" "$TRASH/r1.err" &&
	grep "^::warning::.*permissions: contents: write" "$TRASH/r1.out" &&
	test "$(head -n 1 "$TRASH/r1.summary")" = "### cf-purge-hook" &&
	grep -q "^\*\*Warning:\*\* cannot use the purge marker" "$TRASH/r1.summary" &&
	test "$(marker)" = none && test -z "$(out r1 marker)"
'

expect 'a read-only remote and a failing API: NOT PURGED, how to get it purged, lost counted, nothing kept' '
	clear_log &&
	CI_ARGS=--json && gh_job r2 "$F2" "$F1" "$DOWN_INI" &&
	exits r2 1 &&
	grep "NOT PURGED: 1 item" "$TRASH/r2.err" &&
	grep "re-run the job" "$TRASH/r2.err" &&
	! grep -i "kept in\|next push sends\|stays at" "$TRASH/r2.err" &&
	"$PY" -c "import json,sys; t=json.load(open(sys.argv[1]))[\"this_run\"]; sys.exit(not (t[\"lost\"] == 1 and t[\"kept\"] == 0))" "$TRASH/r2.out" &&
	grep "| not sent |" "$TRASH/r2.summary"
'

expect 'GitLab with a read-only remote: the same warning, with the GitLab fix' '
	clear_log &&
	gl_job r3 "$F2" "$F1" "$OK_INI" &&
	exits r3 0 && test "$(requests)" = "$(urls d)" &&
	grep "write_repository" "$TRASH/r3.err"
'
rm -f "$FORGE/hooks/pre-receive"

expect 'a clone without a remote: the event range, and the warning' '
	clear_log &&
	clone_gh "$TRASH/nr.clone" "$F2" main 0 && git -C "$TRASH/nr.clone" remote remove origin &&
	gh_push "$TRASH/nr.json" refs/heads/main "$F1" "$F2" &&
	job nr "$TRASH/nr.clone" "$OK_INI" GITHUB_ACTIONS=true GITHUB_EVENT_NAME=push \
		GITHUB_EVENT_PATH="$TRASH/nr.json" &&
	exits nr 0 && test "$(requests)" = "$(urls d)" &&
	grep "no remote" "$TRASH/nr.err"
'

# --- What the user reads --------------------------------------------------

expect '[ci] fail_job = false: a failed purge exits 0 with a ::warning:: and status=failed' '
	gh_job g1 "$F2" "$F1" "$TRASH/down-green.ini" &&
	exits g1 0 && test "$(out g1 status)" = failed &&
	grep "^::warning::.*fail_job = false" "$TRASH/g1.out"
'

expect 'a refusal (base gone from the remote) writes ::error::, the summary, status=refused, and one JSON object with error' '
	gh_push "$TRASH/bad.json" refs/heads/main 1111111111111111111111111111111111111111 "$F2" &&
	CI_ARGS=--json && job b1 "$TRASH/g1.clone" "$TRASH/nomarker.ini" GITHUB_ACTIONS=true \
		GITHUB_EVENT_NAME=push GITHUB_EVENT_PATH="$TRASH/bad.json" &&
	exits b1 2 &&
	grep "^::error::.*git fetch --no-tags --depth=1 origin 1111" "$TRASH/b1.err" &&
	grep "Refused" "$TRASH/b1.summary" &&
	test "$(out b1 status)" = refused &&
	"$PY" -c "import json,sys; j=json.load(open(sys.argv[1])); sys.exit(not (j[\"status\"] == \"refused\" and \"fetch\" in j[\"error\"]))" "$TRASH/b1.out"
'

# dir with only a manifest: the site folder, a live manifest that cannot
# be had (so the run purges everything), and no state folder.
mkdir -p "$TRASH/site" && echo x >"$TRASH/site/index.html"
man_ini() {
	cat >"$1" <<EOC
[cloudflare]
zone_id = $ZONE
api_url = $2
spool_dir = $TRASH/dir-spool
retries = 0
deadline = 2
[site]
base_url = https://example.com
[state]
manifest = .cf-purge-hook.manifest
manifest_url = http://127.0.0.1:9/.cf-purge-hook.manifest
EOC
}
expect 'dir with only a manifest in a CI job: a failed purge writes no manifest; a confirmed one does' '
	man_ini "$TRASH/man-down.ini" http://127.0.0.1:9/client/v4 &&
	man_ini "$TRASH/man-up.ini" "$API_URL" &&
	cd "$TRASH" &&
	code env GITHUB_ACTIONS=true CI=true $CFPH_WRAP "$CFPH" -c "$TRASH/man-down.ini" dir "$TRASH/site" &&
	test "$CODE" = 1 &&
	test ! -e "$TRASH/site/.cf-purge-hook.manifest" &&
	code env GITLAB_CI=true CI=true $CFPH_WRAP "$CFPH" -c "$TRASH/man-down.ini" dir "$TRASH/site" &&
	test "$CODE" = 1 &&
	test ! -e "$TRASH/site/.cf-purge-hook.manifest" &&
	rm -rf "$TRASH/dir-spool" && clear_log &&
	env GITHUB_ACTIONS=true CI=true $CFPH_WRAP "$CFPH" -c "$TRASH/man-up.ini" dir "$TRASH/site" &&
	test "$(requests)" = "200 $ZONE purge_everything true" &&
	test -s "$TRASH/site/.cf-purge-hook.manifest"
'

CW=$(edit e)
write_config "$TRASH/waitfail.ini" "[hook]
wait_url = http://127.0.0.1:9/version.txt
wait_timeout = 1"
expect 'a wait_url time-out: exit 1, the summary says Purged as its rows do, the marker stays' '
	m_before=$(marker) &&
	gh_job wf "$CW" "$F2" "$TRASH/waitfail.ini" &&
	exits wf 1 &&
	grep -q "^Purged: " "$TRASH/wf.summary" &&
	! grep -q "Not everything" "$TRASH/wf.summary" &&
	test "$(out wf status)" = failed &&
	test "$(marker)" = "$m_before"
'

expect 'an unknown [ci] key is an error with its line number' '
	write_config "$TRASH/badkey.ini" "[ci]
markr = false" &&
	code cfph -c "$TRASH/badkey.ini" check 2>"$TRASH/bk.err" &&
	test "$CODE" = 2 &&
	grep "line [0-9]*: unknown key .markr. in \[ci\]" "$TRASH/bk.err"
'

# --- A refused token and a cancelled job owe their pages to the next job ---
# After the wait_url case the marker is behind $CW; a first job purges
# up to it, so that each case below starts from a marker at its before.
CR0=$(edit r0)
expect 'a job whose token Cloudflare refuses leaves the marker; the next job, with the right token, purges what it owed, once' '
	clear_log && gh_job rt0 "$CR0" "$CW" "$OK_INI" && exits rt0 0 &&
	test "$(marker)" = "$CR0" &&
	CR1=$(edit r1) && clear_log &&
	gh_job rt1 "$CR1" "$CR0" "$OK_INI" 1 CF_API_TOKEN=refused-token &&
	exits rt1 1 && test "$(marker)" = "$CR0" &&
	! grep -i "kept in\|next push sends" "$TRASH/rt1.err" &&
	CR2=$(edit r2) && clear_log &&
	gh_job rt2 "$CR2" "$CR1" "$OK_INI" && exits rt2 0 &&
	test "$(requests)" = "$(urls r1 r2)" &&
	test "$(marker)" = "$CR2"
'

# The runner cancels a job with SIGTERM (SIGINT first on GitHub): the run,
# waiting to try again after a 502, stops at once, and the marker stays
# where it was.
CS0=$(git --git-dir="$FORGE" rev-parse main)
CS1=$(edit s1)
expect 'a job cancelled (SIGTERM) while it sends leaves the marker; the next job purges what it owed, once' '
	printf "[{\"status\": 502, \"repeat\": 50}]\n" >"$TRASH/502.json" &&
	stop_stub && start_stub --script "$TRASH/502.json" &&
	write_config "$OK_INI" "[hook]
branches = *
[cloudflare]
backoff = 3
retries = 5" &&
	test "$(marker)" = "$CS0" &&
	clone_gh "$TRASH/st.clone" "$CS1" main &&
	gh_push "$TRASH/st.json" refs/heads/main "$CS0" "$CS1"
	(cd "$TRASH/st.clone" && exec env GITHUB_ACTIONS=true GITHUB_EVENT_NAME=push \
		GITHUB_EVENT_PATH="$TRASH/st.json" "$CFPH" -c "$OK_INI" ci \
		>"$TRASH/st.out" 2>"$TRASH/st.err") &
	s_pid=$! &&
	sleep 1 && kill -TERM "$s_pid" && code wait "$s_pid" &&
	cat "$TRASH/st.err" && test "$CODE" != 0 &&
	test "$(marker)" = "$CS0" &&
	stop_stub && start_stub &&
	write_config "$OK_INI" "[hook]
branches = *" &&
	CS2=$(edit s2) && clear_log &&
	gh_job st2 "$CS2" "$CS1" "$OK_INI" && exits st2 0 &&
	test "$(requests)" = "$(urls s1 s2)" &&
	test "$(marker)" = "$CS2"
'
write_config "$OK_INI" "[hook]
branches = *"

finish
