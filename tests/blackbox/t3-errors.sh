#!/bin/sh
# Bad input of every kind gets a clear message naming what was wrong and
# where, a non-zero exit, and sends nothing.
. "$(dirname "$0")/lib.sh"

start_stub || exit 1
git init -q "$TRASH/repo"
cd "$TRASH/repo" || exit 1
mkdir public
echo a >public/a.html
commit_all one
OLD=$(git rev-parse HEAD)
echo b >public/a.html
commit_all two
NEW=$(git rev-parse HEAD)
write_config "$TRASH/repo/.git/cf-purge-hook.ini"
GOODLINE="$OLD $NEW refs/heads/main"

SPOOL="$TRASH/repo/.git/cf-purge-hook-spool"

# run_hook STDIN: runs `hook` in the repository, keeping stdout, stderr
# and the exit status in $TRASH.
run_hook() {
	if printf '%s' "$1" | cfph hook >"$TRASH/out" 2>"$TRASH/err"; then
		echo 0 >"$TRASH/status"
	else
		echo $? >"$TRASH/status"
	fi
}

# Checks the last run: exit status $1, stderr matching $2, no request,
# nothing spooled.
refused() {
	status=$(cat "$TRASH/status")
	cat "$TRASH/err"
	test "$status" = "$1" &&
	grep -- "$2" "$TRASH/err" &&
	test -z "$(requests)" &&
	test -z "$(ls "$SPOOL" 2>/dev/null)"
}

expect 'a well-formed line purges (the baseline for the cases below)' '
	clear_log && run_hook "$GOODLINE
" && test "$(cat "$TRASH/status")" = 0 &&
	test "$(requests)" = "200 $ZONE files https://example.com/a.html"
'

expect 'garbage on standard input' '
	clear_log && run_hook "hello world
" && refused 2 "cf-purge-hook: malformed hook input: line 1: expected .<old-id> <new-id> <ref>."
'

expect 'a bad second line fails the whole input, sending nothing' '
	clear_log && run_hook "$GOODLINE
$OLD $NEW
" && refused 2 "malformed hook input: line 2:"
'

expect 'empty standard input' '
	clear_log && run_hook "" && refused 2 "malformed hook input: no .<old-id> <new-id> <ref>. lines"
'

expect 'SHA-256 ids get a clear message, not a crash' '
	clear_log &&
	A=$(printf "%064d" 1) B=$(printf "%064d" 2) &&
	run_hook "$A $B refs/heads/main
" && refused 2 "SHA-256 repository); this build.s libgit2 supports only SHA-1"
'

expect 'ids that the repository does not have' '
	clear_log &&
	run_hook "$OLD 1234567890123456789012345678901234567890 refs/heads/main
" && status=$(cat "$TRASH/status") && test "$status" -ne 0 &&
	grep "cannot read commit 1234567890123456789012345678901234567890 of refs/heads/main" "$TRASH/err" &&
	test -z "$(requests)"
'

expect 'an unknown revision' '
	clear_log &&
	code cfph range nope..HEAD >"$TRASH/out" 2>"$TRASH/err"; echo "$CODE" >"$TRASH/status";
	refused 2 "cf-purge-hook: unknown revision .nope.:" && test ! -s "$TRASH/out"
'

# Trees that git's own commands would refuse to write, built by hand.
# hex_bytes HEX: the bytes HEX spells, as an id inside a tree entry.
hex_bytes() {
	python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.argv[1]))' "$1"
}

# write_tree FILE: stores FILE as a tree object, as it is; prints its id.
write_tree() {
	git hash-object -t tree -w --literally "$1"
}

# commit_public SUBTREE MESSAGE: a commit on $NEW whose top tree holds
# only public/, as SUBTREE; prints its id.
commit_public() {
	printf '40000 public\0' >"$TRASH/top-tree"
	hex_bytes "$1" >>"$TRASH/top-tree"
	printf 'tree %s\nparent %s\nauthor a <a@example.com> 1700000000 +0000\ncommitter a <a@example.com> 1700000000 +0000\n\n%s\n' \
		"$(write_tree "$TRASH/top-tree")" "$NEW" "$2" |
		git hash-object -t commit -w --literally --stdin
}

# A commit whose public/ is a damaged tree object: an entry cut short
# before its id. git itself refuses it ("too-short tree object").
damaged_commit() {
	printf '100644 good\0' >"$TRASH/bad-tree"
	head -c 5 /dev/zero >>"$TRASH/bad-tree"
	commit_public "$(write_tree "$TRASH/bad-tree")" damaged
}

expect 'a damaged tree object names its folder, sends nothing and fails' '
	clear_log && bad_commit=$(damaged_commit) &&
	code cfph range "$NEW..$bad_commit" >"$TRASH/out" 2>"$TRASH/err"
	echo "$CODE" >"$TRASH/status"
	refused 1 "cf-purge-hook: cannot read tree .public.: malformed entry at byte 0 of object"
'

# A commit whose public/ holds page.html under the zero-padded mode
# "00100644", which git reads as 100644.
padded_commit() {
	printf '00100644 page.html\0' >"$TRASH/pad-tree"
	hex_bytes "$(echo page | git hash-object -w --stdin)" >>"$TRASH/pad-tree"
	commit_public "$(write_tree "$TRASH/pad-tree")" padded
}

expect 'a zero-padded file mode is read as git reads it' '
	padded=$(padded_commit) &&
	test "$(git diff --no-renames --name-status "$NEW" "$padded" | tr "\t" " ")" = "D public/a.html
A public/page.html" &&
	cfph range "$NEW..$padded" --dry-run --json >"$TRASH/out" &&
	grep -F "{\"status\":\"deleted\",\"path\":\"public/a.html\"},{\"status\":\"added\",\"path\":\"public/page.html\"}" "$TRASH/out"
'

expect 'a range argument without two dots' '
	code cfph range HEAD 2>"$TRASH/err"; test "$CODE" = 2 &&
	grep "cf-purge-hook: .range. takes OLD..NEW or OLD NEW, not .HEAD." "$TRASH/err"
'

expect 'a broken INI line names the file and the line' '
	clear_log &&
	write_config "$TRASH/bad.ini" "[hook]
this line is broken" &&
	code cfph -c "$TRASH/bad.ini" range "$OLD..$NEW" 2>"$TRASH/err"; echo "$CODE" >"$TRASH/status";
	refused 2 "cf-purge-hook: cannot read .$TRASH/bad.ini.: line 15: expected .\[section\]. or .key = value."
'

expect 'every problem in the INI file is reported, each with its line' '
	clear_log &&
	write_config "$TRASH/bad.ini" "[hook]
on_create = sometimes
[sitee]
root = x
[site]
bsae_url = https://example.com" &&
	code cfph -c "$TRASH/bad.ini" range "$OLD..$NEW" 2>"$TRASH/err"; echo "$CODE" >"$TRASH/status";
	refused 2 "line 15: .on_create. in \[hook\] must be .skip. or .everything., not .sometimes." &&
	grep "line 16: unknown section \[sitee\]" "$TRASH/err" &&
	grep "line 19: unknown key .bsae_url. in \[site\]" "$TRASH/err"
'

expect 'a broken config in the deploy repository fails the push hook visibly' '
	clear_log &&
	make_bare "$TRASH/deploy.git" &&
	echo "[cloudflare]" >>"$TRASH/deploy.git/cf-purge-hook.ini" &&
	echo "zone = 1" >>"$TRASH/deploy.git/cf-purge-hook.ini" &&
	git push -q "$TRASH/deploy.git" main 2>"$TRASH/err";
	grep "^remote: cf-purge-hook: cannot read .*cf-purge-hook.ini.: line 15: unknown key .zone. in \[cloudflare\]" "$TRASH/err" &&
	test -z "$(requests)"
'

expect 'a missing config file' '
	code cfph -c "$TRASH/none.ini" range "$OLD..$NEW" 2>"$TRASH/err"; test "$CODE" = 2 &&
	grep "cf-purge-hook: cannot read .$TRASH/none.ini.: No such file or directory" "$TRASH/err"
'

expect 'a missing token names the variable, sends nothing and keeps the batch' '
	clear_log &&
	(unset CF_API_TOKEN; run_hook "$GOODLINE
") && test "$(cat "$TRASH/status")" = 1 &&
	grep "cf-purge-hook: no API token: .CF_API_TOKEN. is not set" "$TRASH/err" &&
	grep "not purged yet: 1 item kept in .$SPOOL." "$TRASH/err" &&
	test -z "$(requests)" &&
	grep -l "https://example.com/a.html" "$SPOOL"/*.json
'

expect 'api_token_env names another variable; the spooled batch of the same URL goes with the run'"'"'s own request, not again' '
	clear_log &&
	write_config "$TRASH/env.ini" "[cloudflare]
api_token_env = MY_CF_TOKEN" &&
	MY_CF_TOKEN=$CF_API_TOKEN CF_API_TOKEN= cfph -c "$TRASH/env.ini" range "$OLD..$NEW" 2>"$TRASH/err" &&
	test "$(requests)" = "200 $ZONE files https://example.com/a.html" &&
	grep -F "cf-purge-hook: 1 item spooled by earlier runs was purged by this run'"'"'s own requests" "$TRASH/err" &&
	test -z "$(ls "$SPOOL")"
'

expect 'a token file that others may read is refused' '
	clear_log &&
	printf "%s\n" "$CF_API_TOKEN" >"$TRASH/token" && chmod 644 "$TRASH/token" &&
	write_config "$TRASH/file.ini" "[cloudflare]
api_token_file = $TRASH/token" &&
	CF_API_TOKEN= code cfph -c "$TRASH/file.ini" range "$OLD..$NEW" 2>"$TRASH/err"; test "$CODE" = 1 &&
	grep "the API token file .$TRASH/token. may be read by others (mode 644); run: chmod 600" "$TRASH/err" &&
	test -z "$(requests)" && rm -rf "$SPOOL"
'

expect 'a token file readable by its owner alone works' '
	clear_log && chmod 600 "$TRASH/token" &&
	CF_API_TOKEN= cfph -c "$TRASH/file.ini" range "$OLD..$NEW" 2>"$TRASH/err" &&
	test "$(requests)" = "200 $ZONE files https://example.com/a.html"
'

# --- One token route for the hook and the admin (issue 21) -----------------

expect 'a token file readable by its group (640) works: one file for the users of a shared repository' '
	clear_log && chmod 640 "$TRASH/token" &&
	CF_API_TOKEN= cfph -c "$TRASH/file.ini" range "$OLD..$NEW" 2>"$TRASH/err" &&
	test "$(requests)" = "200 $ZONE files https://example.com/a.html" &&
	chmod 600 "$TRASH/token"
'

expect 'api_token_env and api_token_file together: check accepts them, the variable wins when set, else the file' '
	write_config "$TRASH/both.ini" "[cloudflare]
api_token_env = CF_API_TOKEN
api_token_file = $TRASH/token" &&
	cfph -c "$TRASH/both.ini" check >"$TRASH/out" 2>"$TRASH/err" &&
	! grep "keep one" "$TRASH/err" &&
	clear_log &&
	CF_API_TOKEN=wrong code cfph -c "$TRASH/both.ini" range "$OLD..$NEW" 2>"$TRASH/err" &&
	test "$CODE" = 1 &&
	test "$(requests)" = "403 $ZONE files https://example.com/a.html" &&
	rm -rf "$SPOOL" && clear_log &&
	CF_API_TOKEN= cfph -c "$TRASH/both.ini" range "$OLD..$NEW" 2>"$TRASH/err" &&
	test "$(requests)" = "200 $ZONE files https://example.com/a.html"
'

expect 'api_token_file alone reads no variable: a stray CF_API_TOKEN does not win over the file' '
	clear_log &&
	CF_API_TOKEN=wrong cfph -c "$TRASH/file.ini" range "$OLD..$NEW" 2>"$TRASH/err" &&
	test "$(requests)" = "200 $ZONE files https://example.com/a.html"
'

expect 'offline check refuses a token file that others may read (the hook would), and accepts 600 and 640' '
	chmod 644 "$TRASH/token" &&
	code cfph -c "$TRASH/file.ini" check >"$TRASH/out" 2>"$TRASH/err"; test "$CODE" = 2 &&
	cat "$TRASH/err" &&
	grep "^cf-purge-hook: the API token file .$TRASH/token. may be read by others (mode 644), and the hook refuses it; run: chmod 600" "$TRASH/err" &&
	chmod 640 "$TRASH/token" && cfph -c "$TRASH/file.ini" check >/dev/null &&
	chmod 600 "$TRASH/token" && cfph -c "$TRASH/file.ini" check >/dev/null 2>"$TRASH/err" &&
	test ! -s "$TRASH/err"
'

expect 'offline check warns when the token file is not there yet, naming the variable that could stand in' '
	write_config "$TRASH/nofile.ini" "[cloudflare]
api_token_env = CF_API_TOKEN
api_token_file = $TRASH/no-such-token" &&
	cfph -c "$TRASH/nofile.ini" check >"$TRASH/out" 2>"$TRASH/err" &&
	cat "$TRASH/err" &&
	grep "^cf-purge-hook: warning: cannot see the API token file .$TRASH/no-such-token.: No such file or directory; the hook needs it unless .CF_API_TOKEN. is set in its environment" "$TRASH/err"
'

# A batch in the spool for the retries below: the API is not there.
write_config "$TRASH/down.ini" "[cloudflare]
retries = 0
api_token_env = CF_API_TOKEN
api_token_file = $TRASH/no-such-token"
sed -i "s|^api_url = .*|api_url = http://127.0.0.1:9/client/v4|" "$TRASH/down.ini"

expect 'retry without a token names the variable, the file, and the command to run as the hook does' '
	rm -rf "$SPOOL" &&
	CF_API_TOKEN=x code cfph -c "$TRASH/down.ini" range "$OLD..$NEW" 2>/dev/null &&
	ls "$SPOOL"/*.json >/dev/null &&
	code env -u CF_API_TOKEN $CFPH_WRAP "$CFPH" -C "$TRASH/repo" -c "$TRASH/down.ini" retry 2>"$TRASH/err"; test "$CODE" = 1 &&
	cat "$TRASH/err" &&
	grep -F "cf-purge-hook: no API token: '"'"'CF_API_TOKEN'"'"' is not set in the environment of this program, and cannot read the API token file '"'"'$TRASH/no-such-token'"'"': No such file or directory; the hook reads it from '"'"'CF_API_TOKEN'"'"' in its environment, else from the file '"'"'$TRASH/no-such-token'"'"' as the user it runs as: run this command as that user, with the same config: cf-purge-hook -C '"'"'$TRASH/repo/.git/'"'"' -c '"'"'$TRASH/down.ini'"'"' retry" "$TRASH/err"
'

expect 'check --online without a token, the variable alone configured: says the hook has it from the server, and to name a file' '
	code env -u CF_API_TOKEN $CFPH_WRAP "$CFPH" check --online 2>"$TRASH/err"; test "$CODE" = 1 &&
	cat "$TRASH/err" &&
	grep -F "no API token: '"'"'CF_API_TOKEN'"'"' is not set in the environment of this program; set it (see [cloudflare] api_token_env in '"'"'$TRASH/repo/.git/cf-purge-hook.ini'"'"'); the hook reads it from '"'"'CF_API_TOKEN'"'"' in the server'"'"'s environment" "$TRASH/err" &&
	grep -F "([cloudflare] api_token_file, beside api_token_env), so that the hook and this command read the same, then run: cf-purge-hook -C '"'"'$TRASH/repo/.git/'"'"' check --online" "$TRASH/err"
'

expect 'a hook for a push over SSH names its retry with sudo -u and the repository owner' '
	rm -rf "$SPOOL" &&
	(unset CF_API_TOKEN SUDO_USER; export SSH_CONNECTION="127.0.0.1 1 127.0.0.1 22"; run_hook "$GOODLINE
") && test "$(cat "$TRASH/status")" = 1 &&
	cat "$TRASH/err" &&
	grep -F "; the next push sends them, or now: sudo -u $(id -un) cf-purge-hook -C '"'"'$TRASH/repo/.git/'"'"' retry" "$TRASH/err" &&
	(unset CF_API_TOKEN SSH_CONNECTION REMOTE_ADDR SUDO_USER; run_hook "$GOODLINE
") && grep -F "; the next push sends them, or now: cf-purge-hook -C" "$TRASH/err" &&
	rm -rf "$SPOOL"
'

expect 'check warns when push_deadline and delay exceed what the documented web servers allow, not with detach' '
	write_config "$TRASH/slow.ini" "[hook]
push_deadline = 45
delay = 10" &&
	cfph -c "$TRASH/slow.ini" check >/dev/null 2>"$TRASH/err" &&
	cat "$TRASH/err" &&
	grep "^cf-purge-hook: warning: .$TRASH/slow.ini.: line 15: \[hook\] push_deadline (45 s) and delay (10 s) may hold a push 55 s, more than the 50 s a hook has under the web servers of examples/servers.md (they wait 60 s" "$TRASH/err" &&
	printf "detach = true\n" >>"$TRASH/slow.ini" &&
	cfph -c "$TRASH/slow.ini" check >/dev/null 2>"$TRASH/err" &&
	test ! -s "$TRASH/err" &&
	write_config "$TRASH/slow.ini" &&
	cfph -c "$TRASH/slow.ini" check >/dev/null 2>"$TRASH/err" &&
	test ! -s "$TRASH/err"
'

hang_script=$TRASH/hang.json
echo '[{"delay_ms": 8000}]' >"$hang_script"
start_stub --script "$hang_script"
expect 'an API that hangs once: the pusher hears of it halfway through push_deadline, with the time left, and the retry delivers' '
	clear_log &&
	write_config "$TRASH/repo/.git/cf-purge-hook.ini" "[hook]
push_deadline = 4" &&
	run_hook "$GOODLINE
" && cat "$TRASH/err" && test "$(cat "$TRASH/status")" = 0 &&
	grep "^cf-purge-hook: Cloudflare is not answering as it should; retrying for up to 2 s, then keeping what is not sent" "$TRASH/err" &&
	test "$(requests | grep -c "^200 ")" = 1
'
echo '[{"delay_ms": 8000}, {"delay_ms": 8000}, {"delay_ms": 8000}, {"delay_ms": 8000}, {"delay_ms": 8000}, {"delay_ms": 8000}]' >"$hang_script"
start_stub --script "$hang_script"
expect 'an API that keeps hanging: the notice comes halfway, never "retrying for up to 0 s", and what is not sent is kept' '
	write_config "$TRASH/repo/.git/cf-purge-hook.ini" "[hook]
push_deadline = 4" &&
	run_hook "$GOODLINE
" && cat "$TRASH/err" && test "$(cat "$TRASH/status")" = 1 &&
	grep "^cf-purge-hook: Cloudflare is not answering as it should; retrying for up to 2 s" "$TRASH/err" &&
	! grep "retrying for up to 0 s" "$TRASH/err" &&
	grep "not purged yet: 1 item kept" "$TRASH/err" &&
	rm -rf "$SPOOL"
'
start_stub
write_config "$TRASH/repo/.git/cf-purge-hook.ini"

expect 'an API that refuses the token fails with its code and message' '
	clear_log &&
	CF_API_TOKEN=wrong code cfph range "$OLD..$NEW" 2>"$TRASH/err"; test "$CODE" = 1 &&
	grep "cf-purge-hook: not sent: Cloudflare refused the credentials or the zone: HTTP 403: error 10000: Authentication error" "$TRASH/err" &&
	test "$(requests)" = "403 $ZONE files https://example.com/a.html" &&
	rm -rf "$SPOOL"
'

expect 'an API that is not there fails, naming where it tried' '
	write_config "$TRASH/down.ini" "[cloudflare]
retries = 1
backoff = 0.01" &&
	sed -i "s|^api_url = .*|api_url = http://127.0.0.1:9/client/v4|" "$TRASH/down.ini" &&
	code cfph -c "$TRASH/down.ini" range "$OLD..$NEW" 2>"$TRASH/err"; test "$CODE" = 1 &&
	grep "not sent: cannot reach .http://127.0.0.1:9/client/v4/zones/$ZONE/purge_cache.:" "$TRASH/err" &&
	rm -rf "$SPOOL"
'

expect 'not a repository' '
	code cfph -C "$TRASH/nowhere" range a..b 2>"$TRASH/err"; test "$CODE" = 2 &&
	grep "cf-purge-hook: cannot open the repository .$TRASH/nowhere.:" "$TRASH/err"
'

expect 'an unknown command and an unknown option' '
	code cfph frobnicate 2>"$TRASH/err"; test "$CODE" = 2 &&
	grep "cf-purge-hook: unknown command .frobnicate." "$TRASH/err" &&
	code cfph --frobnicate range a..b 2>"$TRASH/err"; test "$CODE" = 2
'

expect 'check accepts the documented example config and names what is wrong' '
	cfph -c "$ROOT/cf-purge-hook.ini.example" check >"$TRASH/out" &&
	grep "is valid: zone $ZONE, public at https://example.com, 1 \[map\] section" "$TRASH/out" &&
	write_config "$TRASH/bad.ini" "[cloudflare]
plan = gold" &&
	code cfph -c "$TRASH/bad.ini" check 2>"$TRASH/err"; test "$CODE" = 2 &&
	grep "line 15: .plan. in \[cloudflare\] must be free, pro, business or enterprise, not .gold." "$TRASH/err"
'

expect '--help and --version succeed' '
	cfph --help | grep "usage: cf-purge-hook" &&
	cfph --version | grep "^cf-purge-hook [0-9]"
'

expect 'the token is never printed, even with --verbose and --json' '
	clear_log &&
	cfph -v --json range "$OLD..$NEW" >"$TRASH/out" 2>"$TRASH/err" &&
	! grep -- "$TOKEN" "$TRASH/out" "$TRASH/err"
'

# --- [cloudflare] zone_name and check --online (issue 13) -------------------

# name_config FILE NAME: the usual config with zone_name = NAME in place of
# zone_id.
name_config() {
	write_config "$1" &&
	sed -i "s|^zone_id = .*|zone_name = $2|" "$1"
}

# name_check NAME STATUS: check with zone_name = NAME in $TRASH/zn.ini
# exits with STATUS; its stderr is in $TRASH/err.
name_check() {
	name_config "$TRASH/zn.ini" "$1" || return 1
	code cfph -c "$TRASH/zn.ini" check 2>"$TRASH/err" >/dev/null
	cat "$TRASH/err"
	test "$CODE" = "$2"
}

expect 'zone_name that would change the query string is refused with its line' '
	name_check "example.com&status=bogus" 2 &&
	grep "cannot read .$TRASH/zn.ini.: line 2: .zone_name. in \[cloudflare\] must be a domain name such as example.com" "$TRASH/err" &&
	name_check "example.com+x" 2 &&
	grep "line 2: .zone_name. in \[cloudflare\]" "$TRASH/err"
'

expect 'zone_name in upper case finds the zone Cloudflare names in lower case' '
	start_stub --zone-name "example.com=$ZONE" &&
	name_config "$TRASH/zn.ini" "Example.COM" &&
	cfph -c "$TRASH/zn.ini" check --online >"$TRASH/out" 2>"$TRASH/err" &&
	grep "is valid: zone example.com, public" "$TRASH/out" &&
	clear_log &&
	cfph -c "$TRASH/zn.ini" range "$OLD..$NEW" 2>"$TRASH/err" &&
	grep "\"query\": \"name=example.com\"" "$TRASH/stub.log" &&
	requests | grep -Fx "200 $ZONE files https://example.com/a.html"
'

expect 'check --online names the zone lookup it cannot do and the permission it needs' '
	clear_log &&
	CF_API_TOKEN=wrong code cfph -c "$TRASH/zn.ini" check --online 2>"$TRASH/err"; test "$CODE" = 1 &&
	cat "$TRASH/err" &&
	grep "cf-purge-hook: cannot look up zone .example.com.: HTTP 403: error 10000: Authentication error; looking a zone up by name needs an API token with the Zone / Zone / Read permission (Cache Purge alone is not enough): add it, or set zone_id instead of zone_name" "$TRASH/err"
'

expect 'check --online: a zone missing from the list by name also names the permission' '
	start_stub --zone-name "other.example=$ZONE" &&
	name_config "$TRASH/zn.ini" "example.com" &&
	code cfph -c "$TRASH/zn.ini" check --online 2>"$TRASH/err"; test "$CODE" = 1 &&
	cat "$TRASH/err" &&
	grep "cf-purge-hook: zone .example.com. is not among the zones these credentials can see; looking a zone up by name needs an API token with the Zone / Zone / Read permission" "$TRASH/err"
'

Z2=0123456789abcdef0123456789abcdef
expect 'check --online checks every [zone] section and names the one that fails' '
	start_stub --zone "$ZONE" &&
	write_config "$TRASH/zones.ini" "[zone \"static.example.net\"]
zone_id = $Z2
[zone \"img.example.org\"]
zone_id = $ZONE" &&
	code cfph -c "$TRASH/zones.ini" check --online >"$TRASH/out" 2>"$TRASH/err"; test "$CODE" = 1 &&
	cat "$TRASH/err" &&
	grep "cf-purge-hook: zone $Z2 (\[zone \"static.example.net\"\] line 14): HTTP 403: error 10000: Authentication error" "$TRASH/err" &&
	test "$(grep -c "cf-purge-hook: " "$TRASH/err")" = 1 &&
	grep "\"path\": \"/client/v4/zones/$ZONE\"" "$TRASH/stub.log" &&
	grep "\"path\": \"/client/v4/zones/$Z2\"" "$TRASH/stub.log" &&
	start_stub --zone "$ZONE" --zone "$Z2" &&
	sed -i "s|^api_url = .*|api_url = $API_URL|" "$TRASH/zones.ini" &&
	cfph -c "$TRASH/zones.ini" check --online >"$TRASH/out" &&
	grep "the credentials and every zone work$" "$TRASH/out"
'

# --- api_url: plain http on loopback only, no userinfo (issue 14) -----------

# url_check URL STATUS: check with api_url = URL in $TRASH/url.ini exits
# with STATUS; its stderr is in $TRASH/err.
url_check() {
	write_config "$TRASH/url.ini" &&
	sed -i "s|^api_url = .*|api_url = $1|" "$TRASH/url.ini" || return 1
	code cfph -c "$TRASH/url.ini" check 2>"$TRASH/err" >/dev/null
	cat "$TRASH/err"
	test "$CODE" = "$2"
}

expect 'api_url that only looks like loopback is refused with its line' '
	url_check "http://127.0.0.1@other.host/" 2 &&
	grep "cannot read .$TRASH/url.ini.: line 3: .api_url. in \[cloudflare\]: has a user name or password before .@." "$TRASH/err" &&
	url_check "http://localhost.other.host/" 2 &&
	grep "line 3: .api_url. in \[cloudflare\]: uses http:// on a host other than loopback" "$TRASH/err" &&
	url_check "http://127.0.0.1.other.host/" 2 &&
	grep "line 3: .api_url. in \[cloudflare\]: uses http:// on a host other than loopback" "$TRASH/err" &&
	url_check "http://[::1]:8080/client/v4" 0 &&
	url_check "http://127.0.0.2:8080/client/v4" 0
'

# --- A UTF-8 byte-order mark (issue 14) --------------------------------------

expect 'a config that starts with a UTF-8 byte-order mark loads' '
	write_config "$TRASH/bom.ini" &&
	printf "\357\273\277" >"$TRASH/bom2.ini" &&
	cat "$TRASH/bom.ini" >>"$TRASH/bom2.ini" &&
	test "$(head -c 3 "$TRASH/bom2.ini" | od -An -tx1 | tr -d " ")" = efbbbf &&
	cfph -c "$TRASH/bom2.ini" check >"$TRASH/out" 2>"$TRASH/err" &&
	grep "is valid: zone $ZONE" "$TRASH/out"
'

# --- Limits above what the plan documents (issue 13) -------------------------

expect 'check warns about files_per_request above the plan'"'"'s limit and exits 0' '
	write_config "$TRASH/lim.ini" "[cloudflare]
plan = business
files_per_request = 500" &&
	cfph -c "$TRASH/lim.ini" check >"$TRASH/out" 2>"$TRASH/err" &&
	cat "$TRASH/err" &&
	grep "^cf-purge-hook: warning: .$TRASH/lim.ini.: line 16: .files_per_request. in \[cloudflare\] is 500, above the 100 URLs per request that Cloudflare documents for the .business. plan" "$TRASH/err" &&
	grep "is valid" "$TRASH/out" &&
	sed -i "s/^plan = business/plan = enterprise/" "$TRASH/lim.ini" &&
	cfph -c "$TRASH/lim.ini" check >"$TRASH/out" 2>"$TRASH/err" &&
	test ! -s "$TRASH/err"
'

finish
