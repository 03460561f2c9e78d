#!/bin/sh
# Real git servers, each started on 127.0.0.1 with its own config in the
# test's folder: sshd with git-shell, Gitolite 3, git http-backend under
# Apache (mod_cgid), nginx with fcgiwrap and lighttpd, git daemon, and a
# repository shared by two users. Every block of examples/servers.md (the
# blocks marked <!-- t8: NAME -->) is taken from that file and run as
# written, with this test's folders, users and group in place of the
# documented ones: the server configs, and the admin's commands, run as
# root with sudo -u, without the token on any command line or in their
# environment. On each server a push purges, a push whose purge was
# refused is kept, and the documented retry sends it. A block of
# servers.md that this test does not run fails it.
#
# Needs root (users, servers) and the Debian packages, which it installs
# when missing; a server that cannot run is reported as a skipped case.
. "$(dirname "$0")/../lib.sh"

DOC=$ROOT/examples/servers.md
SRV=$TRASH/srv/git
ETC=$TRASH/etc/cf-purge-hook
RUN=$TRASH/run
SERVER_PIDS=
skipped=0
todo=0

# skip SERVER WHY: a case that could not run, shown and counted.
skip() {
	skipped=$((skipped + 1))
	echo "ok - # SKIP $1: $2"
}

# expect_todo DESCRIPTION WHY COMMANDS: a case for a known gap (NEEDSWORK):
# a failure is shown with WHY and not counted; a pass says to drop the
# TODO.
expect_todo() {
	(set -e; eval "$3") >"$TRASH/case.log" 2>&1
	if [ $? -eq 0 ]; then
		passed=$((passed + 1))
		echo "ok - $1 # TODO passes now: make it a plain case"
	else
		todo=$((todo + 1))
		echo "not ok - $1 # TODO $2"
		sed 's/^/#   /' "$TRASH/case.log"
	fi
}

stop_servers() {
	for pid in $SERVER_PIDS; do
		kill "$pid" 2>/dev/null
	done
	for pid in $SERVER_PIDS; do
		# Not our children when started through a wrapper: poll.
		n=0
		while kill -0 "$pid" 2>/dev/null && [ $n -lt 50 ]; do
			n=$((n + 1))
			sleep 0.1
		done
		kill -9 "$pid" 2>/dev/null
	done
	SERVER_PIDS=
}
trap 'stop_servers; cleanup' EXIT
trap 'exit 1' INT TERM

t8_finish() {
	[ "$skipped" -gt 0 ] && echo "# $skipped skipped"
	[ "$todo" -gt 0 ] && echo "# $todo known gaps (TODO, NEEDSWORK)"
	finish
}

if [ "$(id -u)" != 0 ]; then
	skip "all servers" "needs root, to create users and start servers"
	t8_finish
	exit
fi

# --- Packages ------------------------------------------------------------

PKGS="openssh-server openssh-client gitolite3 apache2 apache2-utils nginx fcgiwrap lighttpd sudo"
missing=
for p in $PKGS; do
	dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "# installing:$missing"
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends $missing >"$TRASH/apt.log" 2>&1 ||
	{ apt-get update -qq >>"$TRASH/apt.log" 2>&1 &&
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends $missing >>"$TRASH/apt.log" 2>&1; } ||
		tail -n 5 "$TRASH/apt.log" | sed 's/^/# /'
fi
# have PACKAGE: 0 when the package is installed.
have() {
	dpkg-query -W -f '${Status}' "$1" 2>/dev/null | grep -q "ok installed"
}

# --- Users, folders, the program -----------------------------------------

# Other users must reach the test's folder and the program.
chmod 755 "$TRASH"
mkdir -p "$SRV" "$ETC" "$RUN" "$TRASH/users"
chmod 755 "$TRASH/srv" "$SRV" "$TRASH/etc" "$ETC"
getent group cfph-push >/dev/null || groupadd --system cfph-push
# user NAME SHELL: a system user with a home in the test folder, in the
# group of the shared repositories; '*' as its password lets sshd in
# without PAM (it refuses a locked '!' account).
user() {
	if ! id "$1" >/dev/null 2>&1; then
		useradd --system --user-group --shell "$2" \
			--home-dir "$TRASH/users/$1" "$1" || return 1
	fi
	usermod -d "$TRASH/users/$1" -s "$2" -a -G cfph-push "$1" &&
		usermod -p '*' "$1" &&
		mkdir -p "$TRASH/users/$1/.ssh" &&
		chown -R "$1:" "$TRASH/users/$1"
}
user git /usr/bin/git-shell && user gitd /usr/sbin/nologin &&
	user gitolite-t8 /bin/sh || { echo "cannot create users"; exit 1; }
usermod -a -G cfph-push www-data

# The servers' users run a copy of the program in the test's folder: the
# clone may lie in a folder that only its owner may enter (/root).
if ! copy_for_others; then
	skip "all servers" "their users cannot reach $CFPH (is ${TMPDIR:-/tmp} closed to other users?)"
	t8_finish
	exit
fi

# The hook as the servers run it: a symbolic link, or under CFPH_WRAP a
# script (as lib.sh's make_bare).
PROG=$CFPH
if [ -n "$CFPH_WRAP" ]; then
	PROG="$CFPH_WRAP $CFPH"
fi
link_hook() {
	if [ -n "$CFPH_WRAP" ]; then
		printf '#!/bin/sh\nexec %s hook\n' "$PROG" >"$1"
		chmod 755 "$1"
	else
		ln -s "$CFPH" "$1"
	fi
}

# snippet NAME [REPO [ETCDIR]]: the code block of servers.md after
# <!-- t8: NAME -->, with this test's folders in place of the documented
# ones: REPO (under $SRV) for site.git, ETCDIR for /etc/cf-purge-hook (by
# default $ETC), this test's Gitolite user, group and program. Each name
# is noted in $RUN/used, for the check that every block runs.
snippet() {
	echo "$1" >>"$RUN/used"
	awk -v mark="<!-- t8: $1 -->" '
		$0 == mark { found = 1; next }
		found && /^```/ { if (inside) exit; inside = 1; next }
		inside { print }
	' "$DOC" | sed -e "s#/srv/git/site.git#@REPO@#g" -e "s#/srv/git#@SRV@#g" \
		-e "s#/etc/cf-purge-hook#@ETC@#g" -e "s#/etc/git-http#@HTTP@#g" \
		-e "s#/var/lib/gitolite3#@GL@#g" \
		-e "s#gitolite3#gitolite-t8#g" -e "s#gitpush#cfph-push#g" \
		-e "s#/usr/local/bin/cf-purge-hook#@PROG@#g" \
		-e "s#@REPO@#$SRV/${2:-site.git}#g" -e "s#@SRV@#$SRV#g" \
		-e "s#@ETC@#${3:-$ETC}#g" -e "s#@HTTP@#$TRASH/etc/git-http#g" \
		-e "s#@GL@#$TRASH/users/gitolite-t8#g" -e "s#@PROG@#$PROG#g" \
		-e "s#^\\(sudo -u [^ ]* \\)cf-purge-hook #\\1$PROG #"
}

# run_block NAME REPO ETCDIR: runs the commands of block NAME as root
# would, with sh -e, as snippet gives them; the editor writes the token
# (a root's file) or this test's config (any .ini), and the password
# comes on standard input. No token in the environment: sudo would drop
# it anyway.
run_block() {
	snippet "$1" "${2:-}" "${3:-}" >"$RUN/$1.sh" &&
	echo "# $1:" && sed 's/^/#   /' "$RUN/$1.sh" &&
	printf 'secret\n' | env -u CF_API_TOKEN EDITOR="$RUN/editor" \
		GIT_CONFIG_SYSTEM="$ETC/gitconfig" sh -e "$RUN/$1.sh"
}

# restub [OPTIONS]: a new stand-in, whose port every config of this test
# then names.
restub() {
	start_stub "$@" || return 1
	echo "$API_URL" >"$RUN/api_url"
	for f in "$SRV"/*.git/cf-purge-hook.ini \
		 "$TRASH"/users/gitolite-t8/repositories/site.git/cf-purge-hook.ini; do
		[ -f "$f" ] && sed -i "s#^api_url = .*#api_url = $API_URL#" "$f"
	done
	return 0
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_port PORT: until something listens there (at most 10 s).
wait_port() {
	python3 - "$1" <<'PY'
import socket, sys, time
for _ in range(100):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
PY
}

# The work tree that every push comes from, and its first commit.
git init -q "$TRASH/site"
cd "$TRASH/site" || exit 1
mkdir -p public layouts
echo home >public/index.html
echo base >layouts/base.html
commit_all "first deploy"

start_stub || exit 1
echo "$API_URL" >"$RUN/api_url"
chmod 644 "$RUN/api_url"
printf '%s\n' "$TOKEN" >"$RUN/token-src"
chmod 600 "$RUN/token-src"
: >"$RUN/used"
mkdir -p "$TRASH/etc"
chmod 755 "$TRASH/etc"

# The admin's $EDITOR: a token file (as root) gets the token; a config
# keeps what install wrote in [cloudflare] (the token's route) and gets
# this test's zone, site and stand-in.
cat >"$RUN/editor" <<EOS
#!/bin/sh
case "\$1" in
*.ini)
	route=\$(grep '^api_token_' "\$1")
	cat >"\$1" <<EOC
[cloudflare]
zone_id = $ZONE
api_url = \$(cat "$RUN/api_url")
\$route

[site]
base_url = https://example.com
root = public

[map "layouts/**"]
tags = html
EOC
	;;
*)
	cat "$RUN/token-src" >"\$1"
	;;
esac
EOS
chmod 755 "$RUN/editor"
chmod 755 "$RUN"
# The stand-in's answer that keeps a purge: a refused token.
echo '[{"status": 401}]' >"$RUN/refuse.json"

# site_repo DIR OWNER [--shared=group]: a bare repository holding the
# first commit, owned by OWNER (as the server's admin made it, before
# servers.md's steps).
site_repo() {
	git init -q --bare ${3:-} "$1" &&
	git -C "$TRASH/site" push -q "$1" main 2>/dev/null &&
	if [ -n "${3:-}" ]; then
		chown -R "$2:cfph-push" "$1"
	else
		chown -R "$2:" "$1"
	fi
}

# new_repo DIR OWNER [--shared=group]: site_repo, with this program as its
# post-receive and a config that reads the token from the environment,
# for cases that are not about servers.md's steps.
new_repo() {
	site_repo "$@" &&
	link_hook "$1/hooks/post-receive" &&
	write_config "$1/cf-purge-hook.ini" &&
	git config -f "$1/config" receive.advertisePushOptions true &&
	git config -f "$1/config" http.receivepack true &&
	chown "$2:" "$1/cf-purge-hook.ini"
}

# kept_then_retry NAME URL USER BLOCK REPO PATH: a push whose purge the
# stand-in refuses (401, as restub set it up) is kept, and its remote:
# lines name the retry as USER on PATH; the retry block of servers.md,
# run as written for REPO, then sends it.
kept_then_retry() {
	clear_log &&
	push "$1" "$2" &&
	grep -F "cf-purge-hook: not purged yet: 1 item kept in " "$TRASH/push.err" &&
	grep -F "; the next push sends them, or now: sudo -u $3 cf-purge-hook -C '$6/' retry" "$TRASH/push.err" &&
	clear_log &&
	run_block "$4" "$5" &&
	test "$(requests)" = "200 $ZONE files https://example.com/$1.html"
}

# push NAME URL [GIT PUSH OPTIONS]: commits a change to public/NAME.html
# and pushes it to URL; the pusher's output is in $TRASH/push.err.
push() {
	p_name=$1 p_url=$2
	shift 2
	echo "$p_name $(date +%s%N)" >"public/$p_name.html" &&
	commit_all "change $p_name" &&
	git push "$@" "$p_url" HEAD:main 2>"$TRASH/push.err"
	p_rc=$?
	cat "$TRASH/push.err"
	return $p_rc
}

# wait_for SECONDS COMMAND...: runs COMMAND every 0.1 s until it succeeds.
wait_for() {
	wf_n=$(($1 * 10))
	shift
	until "$@"; do
		wf_n=$((wf_n - 1))
		[ "$wf_n" -gt 0 ] || return 1
		sleep 0.1
	done
}

# purged NAME: the stand-in received exactly the purge of NAME.html.
purged() {
	test "$(requests)" = "200 $ZONE files https://example.com/$1.html"
}

# --- sshd, git-shell -----------------------------------------------------

SSH_PORT=
if have openssh-server && [ -x /usr/sbin/sshd ]; then
	mkdir -p "$RUN/ssh" /run/sshd
	ssh-keygen -q -t ed25519 -N '' -f "$RUN/ssh/host_key"
	ssh-keygen -q -t ed25519 -N '' -f "$RUN/ssh/client_key"
	ssh-keygen -q -t ed25519 -N '' -f "$RUN/ssh/admin_key"
	SSH_PORT=$(free_port)
	cat >"$RUN/ssh/sshd_config" <<EOC
ListenAddress 127.0.0.1
Port $SSH_PORT
HostKey $RUN/ssh/host_key
PidFile $RUN/ssh/sshd.pid
AuthorizedKeysFile .ssh/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
AllowUsers git gitolite-t8
EOC
	cp "$RUN/ssh/client_key.pub" "$TRASH/users/git/.ssh/authorized_keys"
	chown git: "$TRASH/users/git/.ssh/authorized_keys"
	/usr/sbin/sshd -D -e -f "$RUN/ssh/sshd_config" 2>"$RUN/ssh/sshd.log" &
	SERVER_PIDS="$SERVER_PIDS $!"
	if ! wait_port "$SSH_PORT"; then
		sed 's/^/# /' "$RUN/ssh/sshd.log"
		SSH_PORT=
	fi
fi
export GIT_SSH_COMMAND="ssh -i $RUN/ssh/client_key -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR"

if [ -n "$SSH_PORT" ]; then
	SSH_GIT=$SRV/ssh.git
	site_repo "$SSH_GIT" git

	expect 'sshd, git-shell: the admin steps of servers.md as root with sudo -u git: install, token file, config, check --online' '
		run_block plain-git.sh ssh.git "$TRASH/etc-ssh/cf-purge-hook" &&
		test "$(stat -c "%a %U" "$TRASH/etc-ssh/cf-purge-hook/token")" = "600 git" &&
		grep -x "api_token_file = $TRASH/etc-ssh/cf-purge-hook/token" "$SSH_GIT/cf-purge-hook.ini" &&
		! grep -r "$TOKEN" "$RUN/plain-git.sh"
	'

	expect 'sshd, git-shell: a push purges what it changed, with the token from the file that install named' '
		clear_log &&
		push ssh "ssh://git@127.0.0.1:$SSH_PORT$SSH_GIT" &&
		purged ssh &&
		grep "^remote: cf-purge-hook: purged 1 URL in 1 request" "$TRASH/push.err" &&
		! grep -r "$TOKEN" "$TRASH/push.err" "$TRASH/stub.log"
	'

	restub --script "$RUN/refuse.json"
	expect 'sshd: a refused purge is kept, remote: names the retry with sudo -u git, and servers.md retry sends it' '
		kept_then_retry ssh "ssh://git@127.0.0.1:$SSH_PORT$SSH_GIT" git plain-git-retry.sh ssh.git "$SSH_GIT"
	'

	restub --script "$RUN/refuse.json"
	expect 'sshd: the retry command that remote: prints, run as printed, sends the kept purge' '
		clear_log &&
		push ssh "ssh://git@127.0.0.1:$SSH_PORT$SSH_GIT" &&
		cmd=$(sed -n "s/^remote: cf-purge-hook: not purged yet: .*, or now: //p" "$TRASH/push.err" | sed "s#^\\(sudo -u git \\)cf-purge-hook #\\1$PROG #") &&
		echo "$cmd" && test -n "$cmd" &&
		clear_log &&
		env -u CF_API_TOKEN sh -c "$cmd" &&
		purged ssh
	'
	restub

	cd "$TRASH/site" && git remote add origin "ssh://git@127.0.0.1:$SSH_PORT$SSH_GIT" &&
		git fetch -q origin && git branch -q -u origin/main
	expect 'sshd: the push options of servers.md as written: skip, everything, dry-run' '
		snippet push-options.sh >"$RUN/push-options.sh" &&
		test "$(grep -c "^git push" "$RUN/push-options.sh")" = 3 &&
		while read -r line; do
			echo "opt $(date +%s%N)" >public/opt.html && commit_all "opt" &&
			clear_log &&
			sh -c "$line" 2>"$TRASH/push.err" && cat "$TRASH/push.err" &&
			case $line in
			*purge=skip*) test -z "$(requests)" ;;
			*purge=everything*) test "$(requests)" = "200 $ZONE purge_everything true" ;;
			*purge=dry-run*) test -z "$(requests)" && grep "dry run" "$TRASH/push.err" ;;
			*) exit 1 ;;
			esac || exit 1
		done <"$RUN/push-options.sh"
	'

	expect 'sshd: an unknown push option is a warning, and the push is purged' '
		clear_log &&
		push ssh "ssh://git@127.0.0.1:$SSH_PORT$SSH_GIT" -o purge=bogus &&
		grep "^remote: cf-purge-hook: warning: unknown push option .purge=bogus." "$TRASH/push.err" &&
		purged ssh
	'

	expect 'sshd: the chained post-receive of servers.md deploys first, then purges' '
		rm "$SSH_GIT/hooks/post-receive" &&
		printf "#!/bin/sh\nsleep 1\necho deployed \$(cat | wc -l) ref\n" >"$SSH_GIT/hooks/post-receive.old" &&
		snippet chain-hook >"$SSH_GIT/hooks/post-receive" &&
		chmod 755 "$SSH_GIT/hooks/post-receive" "$SSH_GIT/hooks/post-receive.old" &&
		clear_log &&
		push ssh "ssh://git@127.0.0.1:$SSH_PORT$SSH_GIT" &&
		purged ssh &&
		grep -n "^remote: deployed 1 ref" "$TRASH/push.err" | cut -d: -f1 >"$TRASH/l1" &&
		grep -n "^remote: cf-purge-hook: purged 1 URL" "$TRASH/push.err" | cut -d: -f1 >"$TRASH/l2" &&
		test "$(cat "$TRASH/l1")" -lt "$(cat "$TRASH/l2")"
	'
	rm -f "$SSH_GIT/hooks/post-receive" "$SSH_GIT/hooks/post-receive.old"
	link_hook "$SSH_GIT/hooks/post-receive"

	# hold_lock FILE SECONDS: holds FILE's lock in the background as the
	# other run would; $TRASH/held exists once it is held.
	hold_lock() {
		rm -f "$TRASH/held"
		python3 -c '
import fcntl, sys, time
f = open(sys.argv[1], "a")
fcntl.flock(f, fcntl.LOCK_EX)
open(sys.argv[2], "w").close()
time.sleep(float(sys.argv[3]))
' "$1" "$TRASH/held" "$2" &
		HOLDER=$!
		n=0
		while [ ! -f "$TRASH/held" ] && [ $n -lt 50 ]; do
			n=$((n + 1))
			sleep 0.1
		done
	}

	expect 'sshd: a push that finds the lock held says it waits, then purges' '
		hold_lock "$SSH_GIT/cf-purge-hook.lock" 1.5 &&
		clear_log &&
		push ssh "ssh://git@127.0.0.1:$SSH_PORT$SSH_GIT" &&
		wait "$HOLDER" &&
		grep "^remote: cf-purge-hook: another run holds the lock .*cf-purge-hook.lock.; waiting for it, at most 20 s" "$TRASH/push.err" &&
		purged ssh
	'

	# The default timeout is 20 s (the case above sees it named); this
	# case sets [hook] lock_timeout = 2 so as not to wait that long.
	expect 'sshd: a lock held longer than the timeout fails the run, and says so' '
		cp "$SSH_GIT/cf-purge-hook.ini" "$TRASH/ssh.ini" &&
		printf "[hook]\nlock_timeout = 2\n" >>"$SSH_GIT/cf-purge-hook.ini" &&
		hold_lock "$SSH_GIT/cf-purge-hook.lock" 30 &&
		clear_log &&
		push ssh "ssh://git@127.0.0.1:$SSH_PORT$SSH_GIT" &&
		{ kill "$HOLDER"; wait "$HOLDER" 2>/dev/null || :; } &&
		grep "^remote: cf-purge-hook: another run still holds the lock .* after 2 s" "$TRASH/push.err" &&
		test -z "$(requests)"
	'
	cp "$TRASH/ssh.ini" "$SSH_GIT/cf-purge-hook.ini"

	# RLIMIT_NPROC counts the git user's processes (a session that sshd has
	# not reaped yet too): with those and 2 more, the hook can fork once
	# but not twice, so the detached run cannot start. LeakSanitizer
	# would need a thread at exit, which the limit refuses too.
	DETACH=$SRV/detach.git
	new_repo "$DETACH" git
	install -m 600 -o git "$RUN/token-src" "$TRASH/token-git"
	printf '[cloudflare]\napi_token_file = %s\n' "$TRASH/token-git" >>"$DETACH/cf-purge-hook.ini"
	printf '[hook]\ndetach = true\n' >>"$DETACH/cf-purge-hook.ini"
	expect 'detach = true: when the second fork fails, the hook says so and purges in the foreground' '
		n=0 &&
		while [ -n "$(ps -u git -o pid=)" ] && [ $n -lt 50 ]; do
			n=$((n + 1)); sleep 0.1
		done &&
		nproc=$(($(ps -u git -o pid= | wc -l) + 2)) &&
		old=$(git -c safe.directory="*" -C "$DETACH" rev-parse main) &&
		echo "detach $(date +%s%N)" >public/detach.html && commit_all detach &&
		git -c safe.directory="*" -C "$DETACH" fetch -q "$TRASH/site" HEAD &&
		new=$(git rev-parse HEAD) &&
		clear_log &&
		echo "$old $new refs/heads/main" >"$TRASH/in" &&
		code sh -c "cd \"$DETACH\" && GIT_DIR=. ASAN_OPTIONS=detect_leaks=0 \
			setpriv --reuid=git --regid=git --init-groups \
			prlimit --nproc=$nproc:$nproc $PROG hook" <"$TRASH/in" 2>"$TRASH/err" &&
		cat "$TRASH/err" &&
		test "$CODE" = 0 &&
		grep "^cf-purge-hook: cannot fork.*: Resource temporarily unavailable" "$TRASH/err" &&
		grep "^cf-purge-hook: purging now instead, in the foreground" "$TRASH/err" &&
		! grep "purging in the background" "$TRASH/err" &&
		purged detach
	'

	# Admin commands as root on the git user's repository. Root without a
	# global git config is libgit2's "config value 'safe.directory' was
	# not found".
	expect 'root: check on the git user repository names the owner and the fix' '
		mkdir -p "$TRASH/roothome" &&
		code env HOME="$TRASH/roothome" $PROG -C "$SSH_GIT" check 2>"$TRASH/err" &&
		cat "$TRASH/err" &&
		test "$CODE" = 2 &&
		grep "^cf-purge-hook: cannot open the repository .$SSH_GIT.: it belongs to .git., not to .root." "$TRASH/err" &&
		grep "sudo -u git cf-purge-hook -C .$SSH_GIT. check" "$TRASH/err" &&
		grep "git config --global --add safe.directory .$SSH_GIT." "$TRASH/err" &&
		! grep "was not found" "$TRASH/err"
	'

	expect 'root: retry and install say the same, and as git they work' '
		code env HOME="$TRASH/roothome" $PROG -C "$SSH_GIT" retry 2>"$TRASH/err" &&
		cat "$TRASH/err" &&
		test "$CODE" = 2 &&
		grep "sudo -u git cf-purge-hook -C .$SSH_GIT. retry" "$TRASH/err" &&
		code env HOME="$TRASH/roothome" $PROG -C "$SSH_GIT" install 2>"$TRASH/err" &&
		test "$CODE" = 2 &&
		grep "sudo -u git cf-purge-hook -C .$SSH_GIT. install" "$TRASH/err" &&
		setpriv --reuid=git --regid=git --init-groups env HOME="$TRASH/users/git" \
			$PROG -C "$SSH_GIT" check
	'
else
	skip sshd "openssh-server is not installed or sshd did not start"
fi

# --- Gitolite ------------------------------------------------------------

GL_HOME=$TRASH/users/gitolite-t8
if [ -n "$SSH_PORT" ] && have gitolite3; then
	cp "$RUN/ssh/admin_key.pub" "$RUN/admin.pub"
	chmod 644 "$RUN/admin.pub"
	gl() {
		setpriv --reuid=gitolite-t8 --regid=gitolite-t8 --init-groups \
			env -i HOME="$GL_HOME" PATH=/usr/bin:/bin:/usr/share/gitolite3 \
			"$@"
	}
	gl gitolite setup -pk "$RUN/admin.pub" >"$RUN/gitolite.log" 2>&1
	# The rc as servers.md says: repo-specific-hooks, then its lines.
	snippet gitolite.rc >"$RUN/rc.lines"
	# Before ENABLE, so that they come after the defaults they replace.
	python3 - "$GL_HOME/.gitolite.rc" "$RUN/rc.lines" <<'PY'
import re, sys
rc, lines = sys.argv[1], open(sys.argv[2]).read()
text = open(rc).read()
text = re.sub(r"^(\s*)#\s*'repo-specific-hooks',", r"\1'repo-specific-hooks',",
              text, flags=re.M)
i = text.index("    ENABLE => [")
open(rc, "w").write(text[:i] + lines + text[i:])
PY
	mkdir -p "$GL_HOME/local/hooks/repo-specific"
	snippet gitolite-hook >"$GL_HOME/local/hooks/repo-specific/cf-purge-hook"
	chmod 755 "$GL_HOME/local/hooks/repo-specific/cf-purge-hook"
	chown -R gitolite-t8: "$GL_HOME"
	GL_SSH="ssh -i $RUN/ssh/admin_key -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR"
	GL_URL="ssh://gitolite-t8@127.0.0.1:$SSH_PORT"
	GIT_SSH_COMMAND=$GL_SSH git clone -q "$GL_URL/gitolite-admin" "$RUN/gitolite-admin" 2>>"$RUN/gitolite.log" &&
	snippet gitolite.conf >>"$RUN/gitolite-admin/conf/gitolite.conf" &&
	git -C "$RUN/gitolite-admin" commit -q -am "site, with cf-purge-hook" &&
	GIT_SSH_COMMAND=$GL_SSH git -C "$RUN/gitolite-admin" push -q origin master >>"$RUN/gitolite.log" 2>&1
	GL_REPO=$GL_HOME/repositories/site.git
	if [ -d "$GL_REPO" ]; then
		GIT_SSH_COMMAND=$GL_SSH git -C "$TRASH/site" push -q "$GL_URL/site" main:main 2>>"$RUN/gitolite.log"
	fi

	expect 'Gitolite: the admin steps of servers.md as root with sudo -u gitolite3: install --config-only, token file, config, check --online' '
		test -d "$GL_REPO" || { cat "$RUN/gitolite.log"; exit 1; }
		hook_before=$(readlink "$GL_REPO/hooks/post-receive" || echo none) &&
		run_block gitolite.sh "" "$TRASH/etc-gitolite/cf-purge-hook" &&
		test "$(readlink "$GL_REPO/hooks/post-receive" || echo none)" = "$hook_before" &&
		test "$(stat -c "%a %U" "$TRASH/etc-gitolite/cf-purge-hook/token")" = "600 gitolite-t8"
	'

	expect 'Gitolite: a push runs the repo-specific hook and purges' '
		test -d "$GL_REPO" || { cat "$RUN/gitolite.log"; exit 1; }
		clear_log &&
		GIT_SSH_COMMAND=$GL_SSH push gitolite "$GL_URL/site" &&
		purged gitolite &&
		grep "^remote: cf-purge-hook: purged 1 URL in 1 request" "$TRASH/push.err"
	'

	expect 'Gitolite: push options pass with GIT_CONFIG_KEYS: purge=everything' '
		clear_log &&
		GIT_SSH_COMMAND=$GL_SSH push gitolite "$GL_URL/site" -o purge=everything &&
		grep "^remote: cf-purge-hook: push option purge=everything: purging everything" "$TRASH/push.err" &&
		test "$(requests)" = "200 $ZONE purge_everything true"
	'

	restub --script "$RUN/refuse.json"
	expect 'Gitolite: a refused purge is kept, remote: names the retry with sudo -u gitolite3, and servers.md retry sends it' '
		GIT_SSH_COMMAND=$GL_SSH kept_then_retry gitolite "$GL_URL/site" gitolite-t8 gitolite-retry.sh "" "$GL_REPO"
	'
	restub
else
	skip gitolite "needs sshd and the gitolite3 package"
fi

# --- Smart HTTP: Apache --------------------------------------------------

# The system config (git config --system), standing in for /etc/gitconfig:
# empty until servers.md's shared repository adds to it. git daemon's has
# safe.directory = *.
: >"$ETC/gitconfig"
chmod 644 "$ETC/gitconfig"
printf '[safe]\n\tdirectory = *\n' >"$ETC/gitconfig-daemon"
chmod 644 "$ETC/gitconfig-daemon"

APACHE_PORT=
if have apache2 && [ -x /usr/sbin/apache2 ]; then
	mkdir -p "$RUN/apache"
	APACHE_PORT=$(free_port)
	M=/usr/lib/apache2/modules
	{
		cat <<EOC
ServerName 127.0.0.1
Listen 127.0.0.1:$APACHE_PORT
PidFile $RUN/apache/httpd.pid
DefaultRuntimeDir $RUN/apache
ErrorLog $RUN/apache/error.log
LogLevel warn
User www-data
Group www-data
LoadModule mpm_event_module $M/mod_mpm_event.so
LoadModule authz_core_module $M/mod_authz_core.so
LoadModule alias_module $M/mod_alias.so
LoadModule env_module $M/mod_env.so
LoadModule cgid_module $M/mod_cgid.so
LoadModule auth_basic_module $M/mod_auth_basic.so
LoadModule authn_core_module $M/mod_authn_core.so
LoadModule authn_file_module $M/mod_authn_file.so
LoadModule authz_user_module $M/mod_authz_user.so
ScriptSock $RUN/apache/cgid.sock
# Stands in for /etc/gitconfig (git config --system).
SetEnv GIT_CONFIG_SYSTEM $ETC/gitconfig
EOC
		snippet apache.conf
	} >"$RUN/apache/httpd.conf"
	chown www-data: "$RUN/apache"
	env -i PATH=/usr/sbin:/usr/bin:/bin /usr/sbin/apache2 -f "$RUN/apache/httpd.conf" -DFOREGROUND \
		>"$RUN/apache/out.log" 2>&1 &
	SERVER_PIDS="$SERVER_PIDS $!"
	if ! wait_port "$APACHE_PORT"; then
		sed 's/^/# /' "$RUN/apache/out.log" "$RUN/apache/error.log" 2>/dev/null
		APACHE_PORT=
	fi
fi

# http_cases SERVER PORT REPO: servers.md's steps for smart HTTP on REPO,
# then a push without a user is refused, one with a user purges, a
# refused purge is kept and servers.md's retry sends it.
http_cases() {
	hc_name=$1 hc_repo=$3
	hc_url=http://127.0.0.1:$2/git/$3
	hc_auth=http://alice:secret@127.0.0.1:$2/git/$3
	site_repo "$SRV/$3" www-data

	expect "$1: the admin steps of servers.md as root with sudo -u www-data: install, token file, config, check --online, htpasswd" '
		run_block http.sh "$hc_repo" "$TRASH/etc-$hc_name/cf-purge-hook" &&
		test "$(stat -c "%a %U" "$TRASH/etc-$hc_name/cf-purge-hook/token")" = "600 www-data"
	'

	expect "$1: anyone may fetch, a push without a user is asked for one (401 on info/refs), not refused with 403" '
		git ls-remote "$hc_url" >/dev/null &&
		code env GIT_TERMINAL_PROMPT=0 git push "$hc_url" HEAD:main 2>"$TRASH/push.err" &&
		cat "$TRASH/push.err" &&
		test "$CODE" != 0 &&
		! grep "403" "$TRASH/push.err" &&
		grep -i "authentication failed\|could not read Username\|401" "$TRASH/push.err"
	'

	expect "$1, http-backend: a push as alice purges, with the token from the file that install named" '
		clear_log &&
		push "$hc_name" "$hc_auth" &&
		purged "$hc_name" &&
		grep "^remote: cf-purge-hook: purged 1 URL in 1 request" "$TRASH/push.err"
	'

	restub --script "$RUN/refuse.json"
	expect "$1: a refused purge is kept, remote: names the retry with sudo -u www-data, and servers.md retry sends it" '
		kept_then_retry "$hc_name" "$hc_auth" www-data http-retry.sh "$hc_repo" "$SRV/$hc_repo"
	'
	restub
}

if [ -n "$APACHE_PORT" ]; then
	http_cases apache "$APACHE_PORT" apache.git
else
	skip apache "the apache2 package is not installed or Apache did not start"
fi

# --- A shared repository: SSH as git, HTTP as www-data --------------------

if [ -n "$SSH_PORT" ] && [ -n "$APACHE_PORT" ]; then
	SHARED=$SRV/shared.git
	SHARED_HTTP=http://alice:secret@127.0.0.1:$APACHE_PORT/git/shared.git

	expect 'shared repository: the admin steps of servers.md as root: group, repository, safe.directory, install, a 640 token file in the group, check --online' '
		run_block shared.sh shared.git "$TRASH/etc-shared/cf-purge-hook" &&
		test "$(stat -c "%a %U %G" "$TRASH/etc-shared/cf-purge-hook/token")" = "640 root cfph-push" &&
		test "$(git config -f "$ETC/gitconfig" --get-all safe.directory)" = "*" &&
		test "$(git config -f "$SHARED/config" core.sharedRepository)" = 1 &&
		git -C "$TRASH/site" push -q "ssh://git@127.0.0.1:$SSH_PORT$SHARED" main
	'

	expect 'shared repository: SSH as git purges; the lock is made 0660 for the group' '
		clear_log &&
		push shared "ssh://git@127.0.0.1:$SSH_PORT$SHARED" &&
		purged shared &&
		test "$(stat -c "%a %U %G" "$SHARED/cf-purge-hook.lock")" = "660 git cfph-push"
	'

	expect 'shared repository, safe.directory as servers.md sets it: www-data pushes to the git user repository over HTTP, and its hook reads the same token file' '
		clear_log &&
		{ push shared "$SHARED_HTTP" || { tail -n 5 "$RUN/apache/error.log"; exit 1; }; } &&
		! grep "dubious ownership\|not owned by current user" "$TRASH/push.err" &&
		purged shared &&
		grep "^remote: cf-purge-hook: purged 1 URL in 1 request" "$TRASH/push.err"
	'

	expect 'shared repository: a force push over SSH and over HTTP goes through (receive.denyNonFastforwards = false) and purges' '
		for url in "ssh://git@127.0.0.1:$SSH_PORT$SHARED" "$SHARED_HTTP"; do
			echo "forced $(date +%s%N)" >public/shared.html &&
			git commit -q --amend -a -m "amended" &&
			clear_log &&
			git push --force "$url" HEAD:main 2>"$TRASH/push.err" &&
			cat "$TRASH/push.err" &&
			grep "+.*(forced update)" "$TRASH/push.err" &&
			purged shared || exit 1
		done
	'

	expect 'shared repository, detach = true: the log is made 0660, and the second user appends to it' '
		cp "$SHARED/cf-purge-hook.ini" "$TRASH/shared.ini" &&
		printf "[hook]\ndetach = true\n" >>"$SHARED/cf-purge-hook.ini" &&
		clear_log &&
		push shared "ssh://git@127.0.0.1:$SSH_PORT$SHARED" &&
		grep "^remote: cf-purge-hook: purging in the background" "$TRASH/push.err" &&
		wait_for 10 purged shared &&
		test "$(stat -c "%a %U %G" "$SHARED/cf-purge-hook.log")" = "660 git cfph-push" &&
		clear_log &&
		push shared "$SHARED_HTTP" &&
		grep "^remote: cf-purge-hook: purging in the background" "$TRASH/push.err" &&
		wait_for 10 purged shared &&
		test "$(grep -c "detached run for 1 ref" "$SHARED/cf-purge-hook.log")" = 2
	'
	cp "$TRASH/shared.ini" "$SHARED/cf-purge-hook.ini"

	# The API down from here on: nothing listens on port 9.
	sed -i -e "s#^api_url = .*#api_url = http://127.0.0.1:9/client/v4\nretries = 0#" \
		"$SHARED/cf-purge-hook.ini"

	expect 'shared repository, API down: SSH as git keeps its purge in the spool' '
		code push shared "ssh://git@127.0.0.1:$SSH_PORT$SHARED" &&
		test "$CODE" = 0 &&
		grep "^remote: cf-purge-hook: not purged yet: 1 item kept in" "$TRASH/push.err"
	'

	expect 'shared repository, API down: HTTP as www-data, second, is not stopped by the lock' '
		code push shared "$SHARED_HTTP" &&
		test "$CODE" = 0 &&
		grep "^remote: cf-purge-hook: purged 0 of 1 item" "$TRASH/push.err" &&
		! grep "lock" "$TRASH/push.err"
	'

	expect 'shared repository, API down: HTTP as www-data keeps its purge in the spool too, beside the one git kept (2 items)' '
		cat "$TRASH/push.err" &&
		grep "^remote: cf-purge-hook: not purged yet: 2 items kept in" "$TRASH/push.err" &&
		test "$(ls "$SHARED/cf-purge-hook-spool" | grep -c "\.json$")" = 2
	'

	# An admin trusts the repository for root and runs the retry the hook
	# suggested, with the API still down: the files it rewrites must stay
	# the repository's, or the hook could never send them again.
	expect 'shared repository: a retry as root leaves the spool files to git and its group, and servers.md retry as git then sends them' '
		mkdir -p "$TRASH/roothome2" &&
		HOME="$TRASH/roothome2" git config --global --add safe.directory "$SHARED" &&
		code env HOME="$TRASH/roothome2" $PROG -C "$SHARED" retry 2>"$TRASH/err" &&
		cat "$TRASH/err" && test "$CODE" = 1 &&
		for f in "$SHARED"/cf-purge-hook-spool/*.json; do
			test "$(stat -c "%a %U %G" "$f")" = "660 git cfph-push" || { ls -l "$SHARED/cf-purge-hook-spool"; exit 1; }
		done &&
		cp "$TRASH/shared.ini" "$SHARED/cf-purge-hook.ini" && clear_log &&
		run_block shared-retry.sh shared.git &&
		test -n "$(requests)" &&
		test -z "$(ls "$SHARED/cf-purge-hook-spool" | grep json || true)"
	'
else
	skip "shared repository" "needs both sshd and Apache"
fi

# --- Smart HTTP: nginx and fcgiwrap ---------------------------------------

NGINX_PORT=
if have nginx && have fcgiwrap && [ -x /usr/sbin/nginx ]; then
	mkdir -p "$RUN/nginx"
	chown www-data: "$RUN/nginx"
	NGINX_PORT=$(free_port)
	install -m 600 /dev/null "$ETC/nginx-token.conf"
	echo "fastcgi_param CF_API_TOKEN $TOKEN;" >"$ETC/nginx-token.conf"
	# fcgiwrap as Debian runs it: as www-data, on a socket.
	setpriv --reuid=www-data --regid=www-data --init-groups \
		env -i PATH=/usr/bin:/bin /usr/sbin/fcgiwrap -s "unix:$RUN/nginx/fcgiwrap.sock" \
		>"$RUN/nginx/fcgiwrap.log" 2>&1 &
	SERVER_PIDS="$SERVER_PIDS $!"
	# The hanging-API case below needs a short proxy timeout: 10 s here
	# stands in for the documented 60 s.
	{
		cat <<EOC
daemon off;
user www-data;
worker_processes 1;
pid $RUN/nginx/nginx.pid;
error_log $RUN/nginx/error.log;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $RUN/nginx/body;
    fastcgi_temp_path $RUN/nginx/fastcgi;
    proxy_temp_path $RUN/nginx/proxy;
    uwsgi_temp_path $RUN/nginx/uwsgi;
    scgi_temp_path $RUN/nginx/scgi;
    server {
        listen 127.0.0.1:$NGINX_PORT;
EOC
		snippet nginx.conf | sed -e "s#include fastcgi_params;#include /etc/nginx/fastcgi_params;#" \
			-e "s#unix:/run/fcgiwrap.socket#unix:$RUN/nginx/fcgiwrap.sock#" \
			-e "s#fastcgi_read_timeout 60s;#fastcgi_read_timeout 10s;#"
		echo "    }"
		echo "}"
	} >"$RUN/nginx/nginx.conf"
	n=0
	while [ ! -S "$RUN/nginx/fcgiwrap.sock" ] && [ $n -lt 50 ]; do
		n=$((n + 1))
		sleep 0.1
	done
	env -i PATH=/usr/sbin:/usr/bin:/bin /usr/sbin/nginx -c "$RUN/nginx/nginx.conf" -e "$RUN/nginx/error.log" \
		>"$RUN/nginx/out.log" 2>&1 &
	SERVER_PIDS="$SERVER_PIDS $!"
	if ! wait_port "$NGINX_PORT"; then
		sed 's/^/# /' "$RUN/nginx/out.log" "$RUN/nginx/error.log" 2>/dev/null
		NGINX_PORT=
	fi
fi

if [ -n "$NGINX_PORT" ]; then
	http_cases nginx "$NGINX_PORT" nginx.git
	NGINX_INI=$SRV/nginx.git/cf-purge-hook.ini

	# A hanging API: the hook keeps the purge after [hook] push_deadline,
	# set under the proxy's timeout (10 s here) as servers.md says.
	echo '[{"delay_ms": 30000}, {"delay_ms": 30000}, {"delay_ms": 30000}, {"delay_ms": 30000}, {"delay_ms": 30000}, {"delay_ms": 30000}]' >"$RUN/hang.json"
	cp "$NGINX_INI" "$RUN/nginx.ini"
	printf '[hook]\npush_deadline = 5\n' >>"$NGINX_INI"
	restub --script "$RUN/hang.json"
	expect 'nginx: a hanging API does not turn the push into a 504: the hook says halfway that it retries, and keeps the purge after push_deadline' '
		code push nginx "http://alice:secret@127.0.0.1:$NGINX_PORT/git/nginx.git" &&
		cat "$TRASH/push.err" &&
		! grep "504" "$TRASH/push.err" &&
		test "$CODE" = 0 &&
		grep "^remote: cf-purge-hook: Cloudflare is not answering as it should; retrying for up to 2 s" "$TRASH/push.err" &&
		! grep "retrying for up to 0 s" "$TRASH/push.err" &&
		grep "^remote: cf-purge-hook: not purged yet: .* kept in" "$TRASH/push.err" &&
		test -n "$(ls "$SRV/nginx.git/cf-purge-hook-spool" | grep json)"
	'
	# The hook that nginx gave up on would go on until its deadline and
	# then write to the spool in a folder that is gone: end it (it is this
	# test's own, the only post-receive that www-data runs here).
	for pid in $(pgrep -u www-data -x post-receive); do
		kill "$pid" 2>/dev/null
		n=0
		while kill -0 "$pid" 2>/dev/null && [ $n -lt 50 ]; do
			n=$((n + 1))
			sleep 0.1
		done
	done
	cp "$RUN/nginx.ini" "$NGINX_INI"
	restub
else
	skip nginx "the nginx or fcgiwrap package is not installed or nginx did not start"
fi

# --- Smart HTTP: lighttpd ------------------------------------------------

LIGHTTPD_PORT=
if have lighttpd && [ -x /usr/sbin/lighttpd ]; then
	mkdir -p "$RUN/lighttpd"
	chown www-data: "$RUN/lighttpd"
	LIGHTTPD_PORT=$(free_port)
	{
		cat <<EOC
server.document-root = "$RUN/lighttpd"
server.bind = "127.0.0.1"
server.port = $LIGHTTPD_PORT
server.username = "www-data"
server.groupname = "www-data"
server.errorlog = "$RUN/lighttpd/error.log"
server.modules = ( "mod_auth", "mod_authn_file", "mod_alias", "mod_cgi", "mod_setenv" )
EOC
		snippet lighttpd.conf
	} >"$RUN/lighttpd/lighttpd.conf"
	env -i PATH=/usr/sbin:/usr/bin:/bin /usr/sbin/lighttpd -D -f "$RUN/lighttpd/lighttpd.conf" \
		>"$RUN/lighttpd/out.log" 2>&1 &
	SERVER_PIDS="$SERVER_PIDS $!"
	if ! wait_port "$LIGHTTPD_PORT"; then
		sed 's/^/# /' "$RUN/lighttpd/out.log" "$RUN/lighttpd/error.log" 2>/dev/null
		LIGHTTPD_PORT=
	fi
fi

if [ -n "$LIGHTTPD_PORT" ]; then
	http_cases lighttpd "$LIGHTTPD_PORT" lighttpd.git
else
	skip lighttpd "the lighttpd package is not installed or lighttpd did not start"
fi

# --- git daemon ----------------------------------------------------------

# Started by root with --user, as in servers.md: it keeps HOME=/root,
# which the hook cannot read. The token comes in its environment, and
# safe.directory from the system config.
DAEMON_PORT=$(free_port)
mkdir -p "$RUN/daemon"
cmd=$(snippet daemon.sh)
env -u GIT_CONFIG_NOSYSTEM -u CF_API_TOKEN HOME=/root \
	GIT_CONFIG_SYSTEM="$ETC/gitconfig-daemon" \
	sh -c "exec $cmd --listen=127.0.0.1 --port=$DAEMON_PORT" \
	>"$RUN/daemon/out.log" 2>&1 &
SERVER_PIDS="$SERVER_PIDS $!"
if wait_port "$DAEMON_PORT"; then
	site_repo "$SRV/daemon.git" gitd
	# The git user's, shared with gitd through the group; its hook reads
	# a token file of the group.
	new_repo "$SRV/daemon-safe.git" git --shared=group
	install -m 640 -g cfph-push "$RUN/token-src" "$TRASH/token-group"
	printf '[cloudflare]\napi_token_file = %s\n' "$TRASH/token-group" >>"$SRV/daemon-safe.git/cf-purge-hook.ini"

	expect 'git daemon: the admin steps of servers.md as root with sudo -u gitd: install, token file, config, check --online' '
		run_block daemon-setup.sh daemon.git "$TRASH/etc-daemon/cf-purge-hook" &&
		test "$(stat -c "%a %U" "$TRASH/etc-daemon/cf-purge-hook/token")" = "600 gitd"
	'

	expect 'git daemon --user, HOME=/root unreadable: a push purges' '
		test "$(stat -c %a /root)" = 700 &&
		clear_log &&
		push daemon "git://127.0.0.1:$DAEMON_PORT/daemon.git" &&
		! grep "/root/.gitconfig.*Permission\|failed to stat" "$TRASH/push.err" &&
		purged daemon &&
		grep "^remote: cf-purge-hook: purged 1 URL in 1 request" "$TRASH/push.err"
	'

	expect 'safe.directory=* under git daemon: gitd pushes to the git user repository, and the hook purges' '
		clear_log &&
		push daemon "git://127.0.0.1:$DAEMON_PORT/daemon-safe.git" &&
		! grep "not owned by current user" "$TRASH/push.err" &&
		purged daemon
	'

	restub --script "$RUN/refuse.json"
	expect 'git daemon: a refused purge is kept, remote: names the retry with sudo -u gitd, and servers.md retry sends it' '
		kept_then_retry daemon "git://127.0.0.1:$DAEMON_PORT/daemon.git" gitd daemon-retry.sh daemon.git "$SRV/daemon.git"
	'
	restub
else
	sed 's/^/# /' "$RUN/daemon/out.log"
	skip "git daemon" "it did not start"
fi

# --- servers.md: every block is one this test runs -------------------------

# blocks_unmarked FILE: prints every code block of FILE that has no
# <!-- t8: NAME --> line right before it (fenced), or is indented; fails
# when there is one.
blocks_unmarked() {
	python3 - "$1" <<'PY'
import sys
lines = open(sys.argv[1]).read().split("\n")
inside, bad = False, 0
for i, line in enumerate(lines):
    if line.startswith("```"):
        if not inside and not (i and lines[i - 1].startswith("<!-- t8: ")):
            print(f"line {i + 1}: a block without <!-- t8: NAME -->")
            bad = 1
        inside = not inside
    elif not inside and (line.startswith("    ") or line.startswith("\t")) \
            and i and lines[i - 1] == "":
        print(f"line {i + 1}: an indented block, which t8 cannot run")
        bad = 1
sys.exit(bad)
PY
}

# Only when every server ran: a skipped server leaves its blocks unrun.
if [ "$skipped" = 0 ]; then
	expect 'servers.md: every block is marked <!-- t8: NAME --> and was run by this test, with no token in any' '
		blocks_unmarked "$DOC" &&
		sed -n "s/^<!-- t8: \(.*\) -->$/\1/p" "$DOC" | sort -u >"$RUN/marked" &&
		sort -u "$RUN/used" >"$RUN/used.sorted" &&
		comm -23 "$RUN/marked" "$RUN/used.sorted" >"$RUN/unrun" &&
		{ test ! -s "$RUN/unrun" || { echo "blocks t8 does not run:"; cat "$RUN/unrun"; exit 1; }; } &&
		! grep -l "$TOKEN" "$RUN"/*.sh
	'
fi

t8_finish
