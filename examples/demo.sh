#!/bin/sh
# `make demo`: builds an example site repository in a temporary folder,
# pushes it through the hook to the local stand-in for Cloudflare's API,
# and prints the requests the API received. Nothing leaves this machine.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEMO=$(mktemp -d "${TMPDIR:-/tmp}/cfph-demo.XXXXXX")
STUB=
trap '[ -n "$STUB" ] && kill "$STUB" 2>/dev/null; rm -rf "$DEMO"' EXIT

export HOME="$DEMO/home" GIT_CONFIG_NOSYSTEM=1
mkdir -p "$HOME"
git config --global user.name "Demo" && git config --global user.email demo@example.com
git config --global init.defaultBranch main
export CF_API_TOKEN=demo-token

echo "== starting the stand-in API on 127.0.0.1"
python3 "$ROOT/tests/cfstub.py" --port-file "$DEMO/port" --log "$DEMO/api.log" \
	--token demo-token --zone 023e105f4ecef8ad9ca31a8372d0c353 &
STUB=$!
while [ ! -s "$DEMO/port" ]; do sleep 0.05; done
API="http://127.0.0.1:$(cat "$DEMO/port")/client/v4"

echo "== a bare deploy repository whose post-receive is cf-purge-hook"
git init -q --bare "$DEMO/deploy.git"
ln -s "$ROOT/cf-purge-hook" "$DEMO/deploy.git/hooks/post-receive"
sed "s|^api_url = .*|api_url = $API|" "$ROOT/cf-purge-hook.ini.example" \
	>"$DEMO/deploy.git/cf-purge-hook.ini"

echo "== a site, pushed once (a new branch: nothing to purge yet)"
git init -q "$DEMO/site"
cd "$DEMO/site"
mkdir -p public/blog/hello layouts
echo "<h1>Home</h1>" >public/index.html
echo "<h1>Hello</h1>" >public/blog/hello/index.html
echo "body{}" >public/style.css
echo "{{ . }}" >layouts/base.html
git add -A && git commit -q -m "first deploy"
git remote add origin "$DEMO/deploy.git"
git push -q origin main 2>&1 | sed 's/^/   /'

echo "== an edit to two pages, a new page and a layout, pushed"
echo "<h1>Home, new</h1>" >public/index.html
echo "<h1>Hello again</h1>" >public/blog/hello/index.html
echo "<h1>About us</h1>" >"public/about us.html"
echo "{{ .Content }}" >layouts/base.html
git add -A && git commit -q -m "second deploy"
git push origin main 2>&1 | sed 's/^/   /'

echo "== what the stand-in API received"
python3 - "$DEMO/api.log" <<'PY'
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    e = json.loads(line)
    print(f"   {e['method']} {e['path']} -> {e['status']}")
    print("     " + json.dumps(e["body"]))
PY
echo "== the same range as a dry run, without network access"
"$ROOT/cf-purge-hook" -C "$DEMO/deploy.git" range main~1..main --dry-run | sed 's/^/   /'
