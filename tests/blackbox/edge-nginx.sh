# A real caching proxy as Cloudflare's edge, for the slow suites: nginx with
# proxy_cache on 127.0.0.1 in front of an origin (a second nginx server, on
# a unix socket, serving a folder), with Cloudflare's purges applied by
# removing nginx's cache files. Sourced after lib.sh (it uses ROOT and
# TRASH); POSIX sh.
#
#   edge_nginx_start ORIGIN_DIR HOSTNAME
#       Starts nginx. Returns 0 and sets
#         EDGE_NGINX_PORT      plain HTTP on 127.0.0.1
#         EDGE_NGINX_TLS_PORT  HTTPS on 127.0.0.1 (empty when openssl could
#                              not make a certificate), with
#         EDGE_NGINX_CERT      its self-signed certificate for HOSTNAME (and
#                              127.0.0.1), made now: the CA a client trusts
#         EDGE_NGINX_CACHE     nginx's cache folder
#         EDGE_NGINX_LOG       the access log: METHOD KEY STATUS CACHE-STATUS
#                              a line
#         EDGE_NGINX_ON_PURGE  a command for tests/cfstub.py --on-purge that
#                              applies each purge before cfstub answers it
#       Returns 2 when nginx cannot run on this machine (not installed and
#       not root, or apt-get failed), 1 when it is there but did not start;
#       both leave the reason in EDGE_NGINX_WHY. A suite skips on 2 and
#       fails on 1.
#   edge_nginx_apply_purges CFSTUB_LOG
#       Removes the cache entries that the successful purges in cfstub's
#       log cover (files, prefixes, hosts, purge_everything), each only
#       from what was stored before it; prints the removed keys.
#   edge_nginx_keep [URL...]
#       Purges applied from now on leave these keys cached (a purge that
#       did not take); no URL: none.
#   edge_nginx_origin DIR
#       Serves DIR as the origin from the next request on (an origin that
#       is not deployed yet, say); what is cached stays.
#   edge_nginx_stop
#
# The cache key is https://$host$request_uri, the form of cfstub's --cache
# keys, whatever the scheme a request came in with. Answers carry
# cf-cache-status (nginx's $upstream_cache_status: HIT, MISS, EXPIRED, ...;
# DYNAMIC when the cache was not asked), age (seconds since the origin
# answered, on a HIT), cf-ray and vary: Accept-Encoding; they are gzip'd
# when the client accepts it. Everything the origin answers is cached for a
# day, 404s included, until purged. The age and cf-ray headers are computed
# by nginx's njs module (Debian: libnginx-mod-http-js), which is needed.

EDGE_NGINX_DIR=
EDGE_NGINX_PORT=
EDGE_NGINX_TLS_PORT=
EDGE_NGINX_CERT=
EDGE_NGINX_CACHE=
EDGE_NGINX_LOG=
EDGE_NGINX_ON_PURGE=
EDGE_NGINX_WHY=
EDGE_NGINX_BIN=
EDGE_NGINX_JS=/usr/lib/nginx/modules/ngx_http_js_module.so

# edge_nginx_free_port: a port nothing listens on now (a race with other
# programs remains: edge_nginx_start tries again when nginx cannot bind).
edge_nginx_free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# edge_nginx_install: installs nginx and its njs module when missing and
# this is root on Debian, as slow/t8-servers.sh does.
edge_nginx_install() {
	EDGE_NGINX_BIN=$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)
	[ -x "$EDGE_NGINX_BIN" ] && [ -f "$EDGE_NGINX_JS" ] && return 0
	if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
		EDGE_NGINX_WHY="nginx or its njs module (libnginx-mod-http-js) is missing, and installing needs root and apt-get"
		return 2
	fi
	echo "# installing: nginx libnginx-mod-http-js"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		nginx libnginx-mod-http-js >"$TRASH/edge-nginx-apt.log" 2>&1 ||
	{ apt-get update -qq >>"$TRASH/edge-nginx-apt.log" 2>&1 &&
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		nginx libnginx-mod-http-js >>"$TRASH/edge-nginx-apt.log" 2>&1; }
	EDGE_NGINX_BIN=$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)
	if [ ! -x "$EDGE_NGINX_BIN" ] || [ ! -f "$EDGE_NGINX_JS" ]; then
		EDGE_NGINX_WHY="apt-get could not install nginx and libnginx-mod-http-js: $(tail -n 1 "$TRASH/edge-nginx-apt.log")"
		return 2
	fi
}

# edge_nginx_config HOSTNAME: writes nginx.conf for the ports chosen.
edge_nginx_config() {
	en_d=$EDGE_NGINX_DIR
	cat >"$en_d/edge.js" <<'EOF'
// The edge's own headers, which nginx cannot compute by itself.
var cached = ['HIT', 'STALE', 'UPDATING', 'REVALIDATED'];

// Seconds since the origin answered (the time it stamped on the answer,
// which nginx stored with it), as Cloudflare's age header says on a HIT.
function age(r) {
    if (cached.indexOf(r.variables.upstream_cache_status) < 0)
        return '';
    var stored = parseFloat(r.variables.upstream_http_x_edge_stored_at);
    if (isNaN(stored))
        return '';
    return String(Math.max(0, Math.floor(Date.now() / 1000 - stored)));
}

// Cloudflare's ray id: 16 hex digits and a data-centre code.
function ray(r) {
    return r.variables.request_id.slice(0, 16) + '-TST';
}

export default {age, ray};
EOF
	cat >"$en_d/edge-location.conf" <<EOF
location / {
    proxy_pass http://unix:$en_d/origin.sock;
    proxy_set_header Host \$host;
    # The origin answers uncompressed, so that one copy is cached and the
    # edge compresses it for the clients that ask.
    proxy_set_header Accept-Encoding "";
    proxy_cache edge;
    proxy_cache_key "https://\$host\$request_uri";
    proxy_cache_valid 200 301 302 404 1d;
    proxy_ignore_headers Cache-Control Expires Set-Cookie Vary;
    proxy_hide_header x-edge-stored-at;
    add_header cf-cache-status \$edge_cache_status always;
    add_header age \$edge_age always;
    add_header cf-ray \$edge_ray always;
}
EOF
	en_tls=
	if [ -n "$EDGE_NGINX_TLS_PORT" ]; then
		en_tls="server {
        listen 127.0.0.1:$EDGE_NGINX_TLS_PORT ssl;
        access_log $en_d/access.log edge;
        ssl_certificate $en_d/cert.pem;
        ssl_certificate_key $en_d/key.pem;
        include $en_d/edge-location.conf;
    }"
	fi
	en_user=
	# Root's workers would run as nobody, who cannot enter the test's
	# folder (mktemp makes it 700); a user's nginx keeps its own user.
	[ "$(id -u)" = 0 ] && en_user="user root;"
	cat >"$en_d/nginx.conf" <<EOF
load_module $EDGE_NGINX_JS;
$en_user
worker_processes 1;
daemon on;
pid $en_d/nginx.pid;
error_log $en_d/error.log;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path $en_d/tmp/body;
    proxy_temp_path $en_d/tmp/proxy;
    fastcgi_temp_path $en_d/tmp/fastcgi;
    uwsgi_temp_path $en_d/tmp/uwsgi;
    scgi_temp_path $en_d/tmp/scgi;
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    server_tokens off;

    js_import edge from $en_d/edge.js;
    js_set \$edge_age edge.age;
    js_set \$edge_ray edge.ray;
    map \$upstream_cache_status \$edge_cache_status {
        "" DYNAMIC;
        default \$upstream_cache_status;
    }
    log_format edge '\$request_method https://\$host\$request_uri \$status \$edge_cache_status';

    gzip on;
    gzip_proxied any;
    gzip_vary on;
    gzip_min_length 1;
    gzip_types text/plain text/css text/xml text/javascript application/javascript
               application/json application/xml application/rss+xml
               application/atom+xml image/svg+xml;

    proxy_cache_path $en_d/cache levels=1:2 keys_zone=edge:4m inactive=1d
                     use_temp_path=off;

    # The origin: the folder, stamping each answer with when it was made.
    server {
        listen unix:$en_d/origin.sock;
        root $en_d/origin;
        add_header x-edge-stored-at \$msec always;
    }

    # The edge.
    server {
        listen 127.0.0.1:$EDGE_NGINX_PORT;
        access_log $en_d/access.log edge;
        include $en_d/edge-location.conf;
    }
    $en_tls
}
EOF
}

edge_nginx_start() {
	[ -d "$1" ] || { EDGE_NGINX_WHY="origin '$1' is not a folder"; return 1; }
	edge_nginx_install || return $?
	edge_nginx_stop
	EDGE_NGINX_DIR=$TRASH/edge-nginx
	en_d=$EDGE_NGINX_DIR
	rm -rf "$en_d"
	mkdir -p "$en_d/tmp" "$en_d/cache" || return 1
	ln -s "$(cd "$1" && pwd)" "$en_d/origin"
	EDGE_NGINX_CACHE=$en_d/cache
	EDGE_NGINX_LOG=$en_d/access.log
	EDGE_NGINX_ON_PURGE="python3 '$ROOT/tests/blackbox/edge_nginx_purge.py' --cache-dir '$en_d/cache' --keep-file '$en_d/keep' --stdin"
	EDGE_NGINX_CERT=
	if openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$2" \
		-addext "subjectAltName=DNS:$2,IP:127.0.0.1" \
		-keyout "$en_d/key.pem" -out "$en_d/cert.pem" >"$en_d/openssl.log" 2>&1; then
		EDGE_NGINX_CERT=$en_d/cert.pem
	fi
	en_tries=0
	while :; do
		en_tries=$((en_tries + 1))
		EDGE_NGINX_PORT=$(edge_nginx_free_port)
		EDGE_NGINX_TLS_PORT=
		[ -n "$EDGE_NGINX_CERT" ] && EDGE_NGINX_TLS_PORT=$(edge_nginx_free_port)
		edge_nginx_config "$2"
		: >"$en_d/error.log"
		if "$EDGE_NGINX_BIN" -c "$en_d/nginx.conf" -e "$en_d/error.log" 2>>"$en_d/error.log"; then
			break
		fi
		# Another program took a port between the choice and nginx's bind.
		if [ "$en_tries" -lt 5 ] && grep -q "Address already in use" "$en_d/error.log"; then
			continue
		fi
		EDGE_NGINX_WHY="nginx did not start: $(grep -m 1 emerg "$en_d/error.log")"
		return 1
	done
	en_n=0
	while [ ! -s "$en_d/nginx.pid" ] && [ "$en_n" -lt 100 ]; do
		en_n=$((en_n + 1))
		sleep 0.05
	done
	[ -s "$en_d/nginx.pid" ] || { EDGE_NGINX_WHY="nginx wrote no pid file"; return 1; }
}

edge_nginx_apply_purges() {
	python3 "$ROOT/tests/blackbox/edge_nginx_purge.py" --cache-dir "$EDGE_NGINX_CACHE" \
		--keep-file "$EDGE_NGINX_DIR/keep" --log "$1"
}

edge_nginx_keep() {
	: >"$EDGE_NGINX_DIR/keep"
	for en_url in "$@"; do
		echo "$en_url" >>"$EDGE_NGINX_DIR/keep"
	done
}

edge_nginx_origin() {
	ln -sfn "$(cd "$1" && pwd)" "$EDGE_NGINX_DIR/origin"
}

# edge_nginx_alive PID: 0 while the process runs. nginx's master is not
# the shell's child (it daemonizes), so once ended it may stay a zombie
# until init reaps it: that counts as ended.
edge_nginx_alive() {
	kill -0 "$1" 2>/dev/null || return 1
	en_state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null)
	[ -n "$en_state" ] && [ "$en_state" != Z ]
}

edge_nginx_stop() {
	[ -n "$EDGE_NGINX_DIR" ] && [ -s "$EDGE_NGINX_DIR/nginx.pid" ] || return 0
	en_pid=$(cat "$EDGE_NGINX_DIR/nginx.pid")
	kill -TERM "$en_pid" 2>/dev/null
	en_n=0
	while edge_nginx_alive "$en_pid" && [ "$en_n" -lt 50 ]; do
		en_n=$((en_n + 1))
		sleep 0.1
	done
	edge_nginx_alive "$en_pid" && kill -KILL "$en_pid" 2>/dev/null
	rm -f "$EDGE_NGINX_DIR/nginx.pid"
}
