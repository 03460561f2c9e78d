# marker-site.sh: what t18-marker.sh and slow/t18-kills.sh start from, sourced
# after lib.sh: the stand-in API, a bare deploy repository $BARE whose
# post-receive is this program (push options allowed; a config that gives
# up at once when the API is down), and a site in $TRASH/site (the current
# folder) with one commit pushed; and their helpers: marker, push_unhooked,
# edit.

start_stub || exit 1
BARE=$TRASH/deploy.git
make_bare "$BARE"
git -C "$BARE" config receive.advertisePushOptions true
# A run whose API is down gives up at once, and keeps what it could not send.
FAST="[cloudflare]
backoff = 0.01
retries = 0
deadline = 2"
write_config "$BARE/cf-purge-hook.ini" "$FAST"
git init -q "$TRASH/site"
cd "$TRASH/site" || exit 1
git remote add origin "$BARE"
mkdir public
echo home >public/index.html
commit_all first
git push -q origin main 2>/dev/null

# marker: where the bare repository's marker of main is ("" for none).
marker() {
	git -C "$BARE" rev-parse -q --verify refs/cf-purge-hook/heads/main || true
}

# push_unhooked: pushes main with no post-receive, as if its hook had been
# killed before it could keep anything.
push_unhooked() {
	mv "$BARE/hooks/post-receive" "$TRASH/post-receive" &&
	git push -q origin main 2>/dev/null &&
	mv "$TRASH/post-receive" "$BARE/hooks/post-receive"
}

# edit FILE: a change to public/FILE, committed.
edit() {
	echo "$1 $(date +%s%N)" >"public/$1" && commit_all "edit $1"
}
