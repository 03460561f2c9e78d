#!/bin/sh
# Real git servers, each started on 127.0.0.1 with its own config in the
# test's folder: sshd with git-shell, Gitolite 3, git http-backend under
# Apache (mod_cgid) and under nginx with fcgiwrap, and git daemon. Each
# push goes through the server for real, and what reached the stand-in API
# and what the person pushing saw are checked. The server configs are the
# examples of examples/servers.md, taken from that file (the blocks marked
# <!-- t8: NAME -->) with this test's folder in place of /srv/git,
# /etc/cf-purge-hook and /usr/local/bin/cf-purge-hook.
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

PKGS="openssh-server openssh-client gitolite3 apache2 nginx fcgiwrap"
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

# snippet NAME: the code block of servers.md after <!-- t8: NAME -->, with
# this test's folders in place of the documented ones.
snippet() {
	awk -v mark="<!-- t8: $1 -->" '
		$0 == mark { found = 1; next }
		found && /^```/ { if (inside) exit; inside = 1; next }
		inside { print }
	' "$DOC" | sed -e "s#/srv/git#$SRV#g" -e "s#/etc/cf-purge-hook#$ETC#g" \
		-e "s#/usr/local/bin/cf-purge-hook#$PROG#g"
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
printf '%s\n' "$TOKEN" >"$ETC/token"

# new_repo DIR OWNER [--shared=group]: a bare repository holding the first
# commit, owned by OWNER, whose post-receive is this program and whose
# config sends to the stand-in; the token comes as the caller arranges.
new_repo() {
	git init -q --bare ${3:-} "$1" &&
	git -C "$TRASH/site" push -q "$1" main 2>/dev/null &&
	link_hook "$1/hooks/post-receive" &&
	write_config "$1/cf-purge-hook.ini" &&
	git -C "$1" config receive.advertisePushOptions true &&
	git -C "$1" config http.receivepack true &&
	if [ -n "${3:-}" ]; then
		chown -R "$2:cfph-push" "$1"
	else
		chown -R "$2:" "$1"
	fi
}

# token_file CONFIG OWNER: the config reads the token from its own copy of
# the token file, as servers.md's token-file.ini does, owned by OWNER.
token_file() {
	f=$ETC/token-$2
	install -m 600 -o "$2" "$ETC/token" "$f" &&
	snippet token-file.ini | grep -v '^\[' | sed "s#$ETC/token#$f#" \
		>"$TRASH/token.ini" &&
	sed -i "/^\[cloudflare\]/r $TRASH/token.ini" "$1"
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
	new_repo "$SSH_GIT" git
	token_file "$SSH_GIT/cf-purge-hook.ini" git

	expect 'sshd, git-shell: a push purges what it changed, with the token from api_token_file' '
		clear_log &&
		push ssh "ssh://git@127.0.0.1:$SSH_PORT$SSH_GIT" &&
		purged ssh &&
		grep "^remote: cf-purge-hook: purged 1 URL in 1 request" "$TRASH/push.err" &&
		! grep -r "$TOKEN" "$TRASH/push.err" "$TRASH/stub.log"
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
	token_file "$DETACH/cf-purge-hook.ini" git
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
		write_config "$GL_REPO/cf-purge-hook.ini"
		token_file "$GL_REPO/cf-purge-hook.ini" gitolite-t8
		chown gitolite-t8: "$GL_REPO/cf-purge-hook.ini"
		GIT_SSH_COMMAND=$GL_SSH git -C "$TRASH/site" push -q "$GL_URL/site" main:main 2>>"$RUN/gitolite.log"
	fi

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
else
	skip gitolite "needs sshd and the gitolite3 package"
fi

# --- Smart HTTP: Apache --------------------------------------------------

# The system config that safe.directory = * goes to (git config --system),
# standing in for /etc/gitconfig.
printf '[safe]\n\tdirectory = *\n' >"$ETC/gitconfig"
chmod 644 "$ETC/gitconfig"

APACHE_PORT=
if have apache2 && [ -x /usr/sbin/apache2 ]; then
	mkdir -p "$RUN/apache"
	APACHE_PORT=$(free_port)
	install -m 600 /dev/null "$ETC/apache-token.conf"
	echo "SetEnv CF_API_TOKEN $TOKEN" >"$ETC/apache-token.conf"
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

if [ -n "$APACHE_PORT" ]; then
	new_repo "$SRV/apache.git" www-data

	expect 'Apache, http-backend: a push purges, with the token from SetEnv' '
		clear_log &&
		push apache "http://127.0.0.1:$APACHE_PORT/git/apache.git" &&
		purged apache &&
		grep "^remote: cf-purge-hook: purged 1 URL in 1 request" "$TRASH/push.err"
	'
else
	skip apache "the apache2 package is not installed or Apache did not start"
fi

# --- A shared repository: SSH as git, HTTP as www-data --------------------

if [ -n "$SSH_PORT" ] && [ -n "$APACHE_PORT" ]; then
	SHARED=$SRV/shared.git
	new_repo "$SHARED" git --shared=group
	install -m 640 -g cfph-push "$ETC/token" "$ETC/token-shared"
	rm "$SHARED/hooks/post-receive"
	snippet wrapper-hook | sed "s#$ETC/token#$ETC/token-shared#" \
		>"$SHARED/hooks/post-receive"
	chmod 755 "$SHARED/hooks/post-receive"

	expect 'shared repository: SSH as git purges; the lock is made 0660 for the group' '
		clear_log &&
		push shared "ssh://git@127.0.0.1:$SSH_PORT$SHARED" &&
		purged shared &&
		test "$(stat -c "%a %U %G" "$SHARED/cf-purge-hook.lock")" = "660 git cfph-push"
	'

	expect 'safe.directory=* under http-backend: www-data pushes to the git user repository, and the hook purges' '
		clear_log &&
		push shared "http://127.0.0.1:$APACHE_PORT/git/shared.git" &&
		! grep "not owned by current user" "$TRASH/push.err" &&
		purged shared &&
		grep "^remote: cf-purge-hook: purged 1 URL in 1 request" "$TRASH/push.err"
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
		push shared "http://127.0.0.1:$APACHE_PORT/git/shared.git" &&
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
		code push shared "http://127.0.0.1:$APACHE_PORT/git/shared.git" &&
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
	expect 'shared repository: a retry as root leaves the spool files to git and its group, and git then sends them' '
		mkdir -p "$TRASH/roothome2" &&
		HOME="$TRASH/roothome2" git config --global --add safe.directory "$SHARED" &&
		code env HOME="$TRASH/roothome2" $PROG -C "$SHARED" retry 2>"$TRASH/err" &&
		cat "$TRASH/err" && test "$CODE" = 1 &&
		for f in "$SHARED"/cf-purge-hook-spool/*.json; do
			test "$(stat -c "%a %U %G" "$f")" = "660 git cfph-push" || { ls -l "$SHARED/cf-purge-hook-spool"; exit 1; }
		done &&
		cp "$TRASH/shared.ini" "$SHARED/cf-purge-hook.ini" && clear_log &&
		setpriv --reuid=git --regid=git --init-groups env HOME="$TRASH/users/git" \
			$PROG -C "$SHARED" retry &&
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
	new_repo "$SRV/nginx.git" www-data

	expect 'nginx, fcgiwrap, http-backend: a push purges, with the token from fastcgi_param' '
		clear_log &&
		push nginx "http://127.0.0.1:$NGINX_PORT/git/nginx.git" &&
		purged nginx &&
		grep "^remote: cf-purge-hook: purged 1 URL in 1 request" "$TRASH/push.err"
	'

	# A hanging API: the hook keeps the purge after [hook] push_deadline,
	# set under the proxy's timeout (10 s here) as servers.md says.
	echo '[{"delay_ms": 30000}]' >"$RUN/hang.json"
	start_stub --script "$RUN/hang.json"
	write_config "$SRV/nginx.git/cf-purge-hook.ini" "[hook]
push_deadline = 5"
	expect 'nginx: a hanging API does not turn the push into a 504: the hook keeps the purge after push_deadline' '
		code push nginx "http://127.0.0.1:$NGINX_PORT/git/nginx.git" &&
		cat "$TRASH/push.err" &&
		! grep "504" "$TRASH/push.err" &&
		test "$CODE" = 0 &&
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
	start_stub
	write_config "$SRV/nginx.git/cf-purge-hook.ini"
else
	skip nginx "the nginx or fcgiwrap package is not installed or nginx did not start"
fi

# --- git daemon ----------------------------------------------------------

# Started by root with --user, as in servers.md: it keeps HOME=/root,
# which the hook cannot read. The token comes in its environment, and
# safe.directory from the system config.
DAEMON_PORT=$(free_port)
mkdir -p "$RUN/daemon"
cmd=$(snippet daemon.sh)
env -u GIT_CONFIG_NOSYSTEM HOME=/root GIT_CONFIG_SYSTEM="$ETC/gitconfig" \
	CF_API_TOKEN="$TOKEN" \
	sh -c "exec $cmd --listen=127.0.0.1 --port=$DAEMON_PORT" \
	>"$RUN/daemon/out.log" 2>&1 &
SERVER_PIDS="$SERVER_PIDS $!"
if wait_port "$DAEMON_PORT"; then
	new_repo "$SRV/daemon.git" gitd
	# The git user's, shared with gitd through the group.
	new_repo "$SRV/daemon-safe.git" git --shared=group

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
else
	sed 's/^/# /' "$RUN/daemon/out.log"
	skip "git daemon" "it did not start"
fi

t8_finish
