#!/bin/sh
# The examples run as written: the GitHub Actions workflow's step that
# uses this project's action (its steps run as the runner runs them), and
# the GitLab CI job's script, with a real event file and variables in a
# real clone; the plain-git setup of examples/servers.md. Also: on
# this project's own history, 'changes' is exactly what git diff reports.
. "$(dirname "$0")/lib.sh"

start_stub || exit 1
unset GITHUB_ACTIONS GITHUB_EVENT_NAME GITHUB_EVENT_PATH GITHUB_REF \
	GITHUB_STEP_SUMMARY GITLAB_CI CI_COMMIT_BEFORE_SHA CI_COMMIT_SHA \
	CI_COMMIT_BRANCH CI_MERGE_REQUEST_DIFF_BASE_SHA

# A site repository whose config sits at its top, as the CI examples say.
git init -q "$TRASH/origin"
cd "$TRASH/origin" || exit 1
mkdir -p public/blog
echo a >public/index.html
echo b >public/blog/post.html
write_config cf-purge-hook.ini
commit_all one
BEFORE=$(git rev-parse HEAD)
echo a2 >public/index.html
echo b2 >public/blog/post.html
commit_all two
AFTER=$(git rev-parse HEAD)
git clone -q "$TRASH/origin" "$TRASH/clone"

expect 'the GitHub Actions example purges what the push changed, through the action' '
	grep -q "uses: OWNER/cf-purge-hook@v1" "$ROOT/examples/github-actions.yml" &&
	! grep -q "fetch-depth" "$ROOT/examples/github-actions.yml" &&
	printf "{\"ref\":\"refs/heads/main\",\"before\":\"%s\",\"after\":\"%s\",\"created\":false,\"deleted\":false,\"forced\":false}" \
		"$BEFORE" "$AFTER" >"$TRASH/event.json" &&
	cd "$TRASH/clone" && clear_log &&
	(export GITHUB_ACTIONS=true GITHUB_EVENT_NAME=push \
		GITHUB_REF=refs/heads/main GITHUB_EVENT_PATH="$TRASH/event.json" \
		GITHUB_STEP_SUMMARY="$TRASH/summary.md"
	run_action "$TRASH/action" --workflow "$ROOT/examples/github-actions.yml" \
		--uses OWNER/cf-purge-hook@ --outputs "$TRASH/outputs") &&
	test "$(requests)" = "200 $ZONE files https://example.com/ https://example.com/blog/post.html https://example.com/index.html" &&
	grep "| 1 | $ZONE | 3 URLs | purged |" "$TRASH/summary.md" &&
	test "$(git -C "$TRASH/origin" rev-parse refs/cf-purge-hook/heads/main)" = "$AFTER"
'
# The same push again in the GitLab example: without this, the purge
# marker that the GitHub job left says it was purged already.
git -C "$TRASH/origin" update-ref -d refs/cf-purge-hook/heads/main

# The dir example: its step runs `dir public` through the action's
# command input, with the config its comment shows (the stand-in's
# api_url, and the state folder in the test's own).
expect 'the GitHub Actions dir example purges everything once, then what the build changed' '
	grep -q "command: dir public" "$ROOT/examples/github-actions-dir.yml" &&
	cd "$TRASH/clone" &&
	cat >cf-purge-hook-ci.ini <<EOF &&
[cloudflare]
zone_id = $ZONE
api_url = $API_URL
spool_dir = $TRASH/dirstate/spool
[site]
base_url = https://example.com
[state]
dir = $TRASH/dirstate
EOF
	clear_log &&
	(export GITHUB_ACTIONS=true GITHUB_EVENT_NAME=push \
		GITHUB_REF=refs/heads/main GITHUB_EVENT_PATH="$TRASH/event.json" \
		GITHUB_STEP_SUMMARY="$TRASH/summary.md"
	run_action "$TRASH/action" --workflow "$ROOT/examples/github-actions-dir.yml" \
		--uses OWNER/cf-purge-hook@) 2>"$TRASH/err" &&
	grep -q "purging everything: no state yet for" "$TRASH/err" &&
	test "$(requests)" = "200 $ZONE purge_everything true" &&
	echo a3 >public/index.html && clear_log &&
	(export GITHUB_ACTIONS=true GITHUB_EVENT_NAME=push \
		GITHUB_REF=refs/heads/main GITHUB_EVENT_PATH="$TRASH/event.json" \
		GITHUB_STEP_SUMMARY="$TRASH/summary.md"
	run_action "$TRASH/action" --workflow "$ROOT/examples/github-actions-dir.yml" \
		--uses OWNER/cf-purge-hook@) &&
	test "$(requests)" = "200 $ZONE files https://example.com/ https://example.com/index.html"
'

# GitLab's shell executor runs the job's before_script and script in bash
# with the job's variables; cf-purge-hook is on PATH, as in an image that
# has it, so the job skips its build.
expect 'the GitLab CI example job purges what the push changed' '
	python3 "$ROOT/tests/blackbox/gitlabjob.py" "$ROOT/examples/gitlab-ci.yml" \
		cf-purge-hook >"$TRASH/job.sh" &&
	grep -qx "export GIT_DEPTH=\"1\"" "$TRASH/job.sh" &&
	program_in "$TRASH/bin" &&
	cd "$TRASH/clone" && clear_log &&
	(export PATH="$TRASH/bin:$PATH" GITLAB_CI=true CI_PIPELINE_SOURCE=push \
		CI_COMMIT_BEFORE_SHA=$BEFORE CI_COMMIT_SHA=$AFTER \
		CI_COMMIT_BRANCH=main CI_DEFAULT_BRANCH=main
	bash "$TRASH/job.sh") >"$TRASH/out" &&
	test "$(requests)" = "200 $ZONE files https://example.com/ https://example.com/blog/post.html https://example.com/index.html" &&
	grep "section_start:" "$TRASH/out"
'

expect 'the plain git setup of servers.md: install, the token file it names, the config filled in, check, a push with the token from the file alone' '
	git init -q --bare "$TRASH/site.git" &&
	(unset SUDO_USER; cfph -C "$TRASH/site.git" install --token-file "$TRASH/etc/token") >"$TRASH/out" &&
	grep "installed .*hooks/post-receive. (plain git)" "$TRASH/out" &&
	mkdir -p "$TRASH/etc" && install -m 600 /dev/null "$TRASH/etc/token" &&
	printf "%s\n" "$CF_API_TOKEN" >"$TRASH/etc/token" &&
	sed -i -e "s|^; zone_id = .*|zone_id = $ZONE\napi_url = $API_URL|" \
		-e "s|^; base_url = .*|base_url = https://example.com|" "$TRASH/site.git/cf-purge-hook.ini" &&
	grep -x "api_token_env = CF_API_TOKEN" "$TRASH/site.git/cf-purge-hook.ini" &&
	grep -x "api_token_file = $TRASH/etc/token" "$TRASH/site.git/cf-purge-hook.ini" &&
	env -u CF_API_TOKEN $CFPH_WRAP "$CFPH" -C "$TRASH/site.git" check --online >"$TRASH/out" &&
	grep "the credentials and the zone work" "$TRASH/out" &&
	cd "$TRASH/origin" && git push -q "$TRASH/site.git" "$BEFORE:refs/heads/main" 2>/dev/null &&
	clear_log && env -u CF_API_TOKEN git push -q "$TRASH/site.git" main 2>"$TRASH/err" &&
	cat "$TRASH/err" &&
	grep "purged 3 URLs in 1 request" "$TRASH/err" &&
	test "$(requests | wc -l)" = 1
'

# The tree walk against git itself, on every commit of this project's own
# history that the clone holds (at most 200): the same paths, the same
# kinds of change.
expect 'changes equal git diff on this project own history' '
	test -d "$ROOT/.git" || { echo "no history here: nothing to compare"; exit 0; }
	write_config "$TRASH/self.ini" &&
	git -C "$ROOT" rev-list --first-parent -n 200 HEAD >"$TRASH/commits" &&
	n=0 &&
	while read -r c; do
		git -C "$ROOT" rev-parse -q --verify "$c^" >/dev/null || continue
		cfph -c "$TRASH/self.ini" -C "$ROOT" range "$c^..$c" --dry-run --json \
			>"$TRASH/mine.json" 2>/dev/null &&
		git -C "$ROOT" diff --no-renames --name-status -z "$c^" "$c" >"$TRASH/git.z" &&
		python3 - "$TRASH/mine.json" "$TRASH/git.z" <<PY || { echo "differs at $c"; exit 1; }
import json, sys
mine = {(c["status"][0].upper(), c["path"]) for c in json.load(open(sys.argv[1]))["changes"]}
f = open(sys.argv[2], "rb").read().split(b"\0")
theirs = {(f[i].decode(), f[i + 1].decode("utf-8", "surrogateescape")) for i in range(0, len(f) - 1, 2)}
sys.exit(mine != theirs)
PY
		n=$((n + 1))
	done <"$TRASH/commits" &&
	echo "$n commits compared" && test "$n" -gt 0 && test "$n" -ge "$(($(wc -l <"$TRASH/commits") - 1))"
'

finish
