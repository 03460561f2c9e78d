#!/usr/bin/env python3
"""edgestub.py - a local stand-in for Cloudflare's edge (its cache) for tests.

It serves a site from a local folder (the origin), caches what it serves,
and forgets a cached copy when tests/cfstub.py (the stand-in API) purges it.
It can also be told to misbehave as a real edge sometimes does: keep serving
an old copy after a purge, serve from an origin that is not deployed yet, or
rewrite HTML bodies.  Python 3.11 standard library only.

Usage
-----
  python3 tests/edgestub.py --port-file FILE --origin DIR --cache FILE
      [--log FILE] [--tls-cert PEM --tls-key PEM]

  --port-file FILE   once listening, the port number and a newline are written
                     here atomically (temporary file + rename), as cfstub does.
  --origin DIR       the origin: a folder served as the site.
  --cache FILE       the cache keys, one a line, shared with cfstub.py's
                     --cache FILE (created empty when missing).  A key reads
                     https://<Host header without its port><path>[?query].
                     The edge adds a key when it stores a response; cfstub
                     removes the keys a purge covers.  A stored copy is served
                     only while its key is still in FILE.  Both processes hold
                     an flock on FILE.lock around every read-modify-write.
  --log FILE         one JSON object per request served is appended here,
                     written and flushed before the answer is sent.
  --tls-cert/--tls-key  serve HTTPS with this certificate and key (PEM).

The server binds 127.0.0.1 on a free port and serves until SIGTERM or SIGINT
(both exit with status 0).  HTTP/1.1 with keep-alive, one thread per
connection, and every answer carries Content-Length.

The site
--------
GET and HEAD (anything else: 405, not cached); a request line with an
absolute URL (as sent to a proxy) is keyed on that URL's host.  The origin maps /a/b.html to
DIR/a/b.html, a path ending in / to DIR/<path>index.html, and /a where DIR/a
is a folder to a 301 with Location /a/.  A missing file is a 404, which is
cached like any other answer (Cloudflare caches a 404 for a while; here it
stays until purged).  The query string is part of the cache key but not of
the file looked up, so a cache-buster reaches the origin.  Content-Type comes
from the file name's extension (a fixed table, not the system's).

Every answer carries:
  cf-cache-status: HIT | MISS   (DYNAMIC for a redirect rule; EXPIRED is
                                never sent by this stand-in)
  age: N                        seconds since the copy was stored; HIT only
  cf-ray: 16 hex digits + "-TST"
  content-type, content-length, vary: Accept-Encoding, server: cloudflare
When the request's Accept-Encoding accepts gzip (q not 0), the body is sent
gzip'd with content-encoding: gzip; otherwise (br only, say) as it is.

What happens to a request, in order:
  1. a stored copy whose key is in FILE: HIT;
  2. a stored copy whose key was purged, and a stale rule for the key with
     serves left: HIT with the old copy (and its old age), one serve used;
  3. otherwise: MISS, the origin is read now, the answer stored, the key
     added to FILE.

Control (same port, any Host, not logged)
-----------------------------------------
POST with a JSON body; the answer is 200 {"ok": true}, or 400 {"ok": false,
"error": "..."} for a body it does not understand.
  /__edge/stale   {"urls": ["https://example.com/a.html", ...], "times": N,
                   "age": S}
                  once purged, each of these keys keeps serving its old
                  stored copy as a HIT for N more requests (times omitted or
                  null: for ever): a purge that did not take.  S (default 0)
                  is added to the age these stale serves report, so that a
                  copy stored a moment before the purge can look older than
                  it without the test waiting.
  /__edge/origin  {"dir": "/path"}: serve from another folder from now on
                  (copies already stored stay as they are).
  /__edge/rewrite {"suffix": "<!-- edge -->"} appends this to every
                  text/html body served (HITs too); {"suffix": null} stops.
  /__edge/redirect {"url": "https://example.com/a.html", "location":
                  "https://elsewhere.example/x", "status": 301}
                  from now on a GET or HEAD of this key answers the status
                  (301, 302, 303, 307 or 308; default 302) with this
                  Location and an empty body, cf-cache-status DYNAMIC (not
                  stored, the origin not read); {"url": ..., "location":
                  null} stops it.
  /__edge/reset   {}: forget the stale, rewrite and redirect rules; keeps
                  the cache and the origin.
GET /__edge/requests answers the JSON list of the requests served so far.

Request records (--log and /__edge/requests)
--------------------------------------------
  {"time": float (epoch seconds), "method": str, "url": str (the cache key),
   "path": str, "query": str ("" when none),
   "headers": {lowercase name: value} (every request header except
              Authorization, Proxy-Authorization and X-Auth-*),
   "status": int, "cf_cache_status": "HIT" | "MISS" | "DYNAMIC" (a
   redirect rule) | null (405),
   "content_encoding": "gzip" | null, "stale": bool (served by a stale
   rule), "connection": int (1, 2, ... one per TCP connection)}
The value of an Authorization or X-Auth-* header never reaches a record,
even when the same text shows up elsewhere in the request.
"""

import argparse
import fcntl
import gzip
import itertools
import json
import os
import secrets
import signal
import socket
import ssl
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

CONTROL_ROOT = "/__edge/"

# Content types by extension: a fixed table, so that an answer does not
# depend on the machine's /etc/mime.types.
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8", ".htm": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8", ".json": "application/json",
    ".xml": "application/xml", ".rss": "application/rss+xml",
    ".atom": "application/atom+xml", ".txt": "text/plain; charset=utf-8",
    ".md": "text/markdown; charset=utf-8", ".svg": "image/svg+xml",
    ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
    ".gif": "image/gif", ".webp": "image/webp", ".ico": "image/x-icon",
    ".woff": "font/woff", ".woff2": "font/woff2", ".pdf": "application/pdf",
    ".wasm": "application/wasm",
}
DEFAULT_TYPE = "application/octet-stream"
HTML_TYPE = CONTENT_TYPES[".html"]
NOT_FOUND_HTML = (b"<html><head><title>404 Not Found</title></head>\n"
                  b"<body><h1>404 Not Found</h1></body></html>\n")

# Headers whose values are credentials: never stored, and their values are
# scrubbed from everything else a record holds.
SECRET_HEADERS = ("authorization", "proxy-authorization")


def is_secret_header(name):
    name = name.lower()
    return name in SECRET_HEADERS or name.startswith("x-auth-")


# ---------------------------------------------------------------------------
# The shared key file
# ---------------------------------------------------------------------------
class KeyFile:
    """The cache keys shared with cfstub.py --cache: one key a line.

    Every access holds an exclusive flock on FILE.lock (not on FILE, which
    cfstub replaces by a rename, so a lock on it would be a lock on a file
    that is no longer there)."""

    def __init__(self, path):
        self.path = path
        self._thread_lock = threading.Lock()
        with self.locked():
            if not os.path.exists(path):
                self._write([])

    def locked(self):
        return _FileLock(self.path + ".lock", self._thread_lock)

    def read(self):
        """The keys, in file order; call with the lock held."""
        try:
            with open(self.path, encoding="utf-8") as f:
                return [line.rstrip("\n") for line in f if line.strip()]
        except FileNotFoundError:
            return []

    def add(self, key):
        """Adds key unless present; call with the lock held."""
        keys = self.read()
        if key not in keys:
            self._write(keys + [key])

    def _write(self, keys):
        tmp = f"{self.path}.tmp{os.getpid()}"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write("".join(k + "\n" for k in keys))
        os.replace(tmp, self.path)


class _FileLock:
    """A thread lock, then an exclusive flock on the lock file.  The thread
    lock comes first so that threads queue in this process instead of each
    holding a descriptor blocked in flock."""

    def __init__(self, path, thread_lock):
        self.path = path
        self.thread_lock = thread_lock
        self.fd = None

    def __enter__(self):
        self.thread_lock.acquire()
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)
        self.thread_lock.release()
        return False


# ---------------------------------------------------------------------------
# The origin and the cache
# ---------------------------------------------------------------------------
class Stored:
    """One cached answer: as the origin gave it, before any rewrite or gzip."""

    def __init__(self, status, content_type, body, location=None):
        self.status = status
        self.content_type = content_type
        self.body = body
        self.location = location
        self.stored_at = time.time()


def content_type_for(name):
    return CONTENT_TYPES.get(os.path.splitext(name)[1].lower(), DEFAULT_TYPE)


def fetch_origin(root, path):
    """The origin's answer for a URL path (percent-encoded) as a Stored."""
    rel = unquote(path)
    parts = [p for p in rel.split("/") if p not in ("", ".")]
    # A path that climbs out of the folder is not there, as for any web
    # server that maps URLs onto a folder.
    if ".." in parts or "\0" in rel:
        return Stored(404, HTML_TYPE, NOT_FOUND_HTML)
    target = os.path.join(root, *parts)
    if rel.endswith("/"):
        target = os.path.join(target, "index.html")
    elif os.path.isdir(target):
        return Stored(301, HTML_TYPE,
                      b"<html><body>Moved Permanently</body></html>\n",
                      location=path + "/")
    try:
        with open(target, "rb") as f:
            body = f.read()
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return Stored(404, HTML_TYPE, NOT_FOUND_HTML)
    return Stored(200, content_type_for(target), body)


def accepts_gzip(value):
    """True when an Accept-Encoding value accepts gzip (q above 0)."""
    for item in (value or "").split(","):
        name, _, params = item.strip().partition(";")
        if name.strip().lower() not in ("gzip", "x-gzip", "*"):
            continue
        q = 1.0
        for param in params.split(";"):
            k, _, v = param.strip().partition("=")
            if k.strip().lower() == "q":
                try:
                    q = float(v)
                except ValueError:
                    q = 0.0
        if q > 0:
            return True
    return False


class Edge:
    """The cache, the rules and the record of requests; shared by threads."""

    def __init__(self, cfg):
        self.cfg = cfg
        self.keys = KeyFile(cfg.cache)
        self.origin = cfg.origin
        self.store = {}          # key -> Stored
        self.stale = {}          # key -> serves left (None: for ever)
        self.stale_age = {}      # key -> seconds added to a stale serve's age
        self.suffix = None
        self.redirects = {}      # key -> (status, location)
        self.records = []
        self._lock = threading.Lock()
        self._connections = itertools.count(1)
        self._log = open(cfg.log, "a", encoding="utf-8") if cfg.log else None

    def next_connection_id(self):
        with self._lock:
            return next(self._connections)

    def lookup(self, key, path):
        """(Stored, cache status, served by a stale rule, seconds to add to
        the age) for key."""
        with self.keys.locked():
            present = key in self.keys.read()
            with self._lock:
                stored = self.store.get(key)
                if stored is not None and present:
                    return stored, "HIT", False, 0
                if stored is not None and key in self.stale:
                    left = self.stale[key]
                    if left is None or left > 0:
                        if left is not None:
                            self.stale[key] = left - 1
                        return stored, "HIT", True, self.stale_age.get(key, 0)
                origin = self.origin
            stored = fetch_origin(origin, path)
            with self._lock:
                self.store[key] = stored
            self.keys.add(key)
        return stored, "MISS", False, 0

    def record(self, record, secret_values):
        line = json.dumps(record)
        for secret in secret_values:
            if len(secret) >= 4:
                line = line.replace(json.dumps(secret)[1:-1], "[REDACTED]")
        with self._lock:
            self.records.append(json.loads(line))
            if self._log:
                self._log.write(line + "\n")
                self._log.flush()

    # Control requests --------------------------------------------------
    def control(self, name, body):
        """Applies a control request; returns an error text or None."""
        if not isinstance(body, dict):
            return "the body must be a JSON object"
        with self._lock:
            if name == "stale":
                urls, times = body.get("urls"), body.get("times")
                age = body.get("age", 0)
                if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
                    return "'urls' must be a list of URLs"
                if times is not None and (not isinstance(times, int) or times < 0):
                    return "'times' must be a number >= 0 or null"
                if not isinstance(age, int) or age < 0:
                    return "'age' must be a number >= 0"
                for url in urls:
                    self.stale[url] = times
                    self.stale_age[url] = age
            elif name == "origin":
                folder = body.get("dir")
                if not isinstance(folder, str) or not os.path.isdir(folder):
                    return "'dir' must be an existing folder"
                self.origin = folder
            elif name == "rewrite":
                suffix = body.get("suffix")
                if suffix is not None and not isinstance(suffix, str):
                    return "'suffix' must be a string or null"
                self.suffix = suffix
            elif name == "redirect":
                url, location = body.get("url"), body.get("location")
                code = body.get("status", 302)
                if not isinstance(url, str):
                    return "'url' must be a URL"
                if location is not None and not isinstance(location, str):
                    return "'location' must be a URL or null"
                if code not in (301, 302, 303, 307, 308):
                    return "'status' must be 301, 302, 303, 307 or 308"
                if location is None:
                    self.redirects.pop(url, None)
                else:
                    self.redirects[url] = (code, location)
            elif name == "reset":
                self.redirects.clear()
                self.stale.clear()
                self.stale_age.clear()
                self.suffix = None
            else:
                return f"no control '{name}'"
        return None

    def requests_json(self):
        with self._lock:
            return json.dumps(self.records).encode("utf-8")

    def close(self):
        with self._lock:
            if self._log:
                self._log.close()
                self._log = None


def cache_key(host_header, target):
    """https://<host without port><path>[?query], as cfstub.py's keys read."""
    host = (host_header or "").strip().lower()
    if host.startswith("["):                 # [::1]:8080
        host = host.split("]", 1)[0] + "]"
    else:
        host = host.split(":", 1)[0]
    return "https://" + host + target


# ---------------------------------------------------------------------------
# HTTP server
# ---------------------------------------------------------------------------
class Handler(BaseHTTPRequestHandler):
    """One instance per TCP connection; serves many requests (keep-alive)."""

    protocol_version = "HTTP/1.1"

    def version_string(self):
        return "cloudflare"

    def setup(self):
        # The TLS handshake runs here, in the connection's own thread, so a
        # slow or refusing client holds up no one else.
        if self.server.tls is not None:
            self.request = self.server.tls.wrap_socket(self.request, server_side=True)
        super().setup()
        # Without TCP_NODELAY the body's write waits for the client's
        # delayed ACK of the headers (about 40 ms on a kept-alive connection).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.conn_id = self.server.edge.next_connection_id()

    def __getattr__(self, name):
        if name.startswith("do_"):
            return self._dispatch
        raise AttributeError(name)

    def log_message(self, format, *args):
        pass  # the JSON log is the record

    def _read_body(self):
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            length = 0
        return self.rfile.read(length) if length > 0 else b""

    def _dispatch(self):
        try:
            if self.path.startswith(CONTROL_ROOT):
                self._control()
            else:
                self._site()
        except (ConnectionError, ssl.SSLError):
            self.close_connection = True
        except Exception:
            traceback.print_exc()
            self._send(500, {"content-type": "text/plain"}, b"edgestub internal error\n")

    def _control(self):
        edge = self.server.edge
        name = urlsplit(self.path).path[len(CONTROL_ROOT):]
        raw = self._read_body()
        if self.command == "GET" and name == "requests":
            self._send(200, {"content-type": "application/json"}, edge.requests_json())
            return
        if self.command != "POST":
            self._send_json(405, {"ok": False, "error": "POST a JSON body"})
            return
        try:
            body = json.loads(raw.decode("utf-8")) if raw else {}
        except ValueError:
            self._send_json(400, {"ok": False, "error": "the body is not JSON"})
            return
        error = edge.control(name, body)
        if error:
            self._send_json(400 if not error.startswith("no control") else 404,
                            {"ok": False, "error": error})
        else:
            self._send_json(200, {"ok": True})

    def _site(self):
        edge = self.server.edge
        self._read_body()        # a body on GET is read and ignored
        target, host = self.path, self.headers.get("Host")
        if target.lower().startswith(("http://", "https://")):
            # An absolute URL, as a client sends to a proxy: its host wins
            # over the Host header (RFC 9112, section 3.2.2).
            absolute = urlsplit(target)
            host = absolute.hostname or ""
            target = absolute.path or "/"
            if absolute.query:
                target += "?" + absolute.query
        parts = urlsplit(target)
        key = cache_key(host, target)
        headers = {"cf-ray": secrets.token_hex(8) + "-TST",
                   "vary": "Accept-Encoding"}
        encoding = None
        stale = False
        if self.command not in ("GET", "HEAD"):
            status, cache_status = 405, None
            headers["content-type"] = "text/plain; charset=utf-8"
            headers["allow"] = "GET, HEAD"
            body = b"405 Method Not Allowed\n"
        elif key in edge.redirects:
            status, location = edge.redirects[key]
            cache_status = headers["cf-cache-status"] = "DYNAMIC"
            headers["content-type"] = HTML_TYPE
            headers["location"] = location
            body = b""
        else:
            stored, cache_status, stale, older = edge.lookup(key, parts.path)
            status = stored.status
            body = stored.body
            with edge._lock:
                suffix = edge.suffix
            if suffix is not None and stored.content_type.startswith("text/html"):
                body = body + suffix.encode("utf-8")
            headers["content-type"] = stored.content_type
            headers["cf-cache-status"] = cache_status
            if cache_status == "HIT":
                headers["age"] = str(int(time.time() - stored.stored_at) + older)
            if stored.location:
                headers["location"] = stored.location
            if body and accepts_gzip(self.headers.get("Accept-Encoding")):
                body = gzip.compress(body, mtime=0)
                encoding = headers["content-encoding"] = "gzip"
        hidden = [v for n, v in self.headers.items() if is_secret_header(n)]
        hidden += [v.partition(" ")[2] for v in hidden if " " in v]
        record = {"time": round(time.time(), 6), "method": self.command,
                  "url": key, "path": parts.path, "query": parts.query,
                  "headers": request_headers(self.headers), "status": status,
                  "cf_cache_status": cache_status, "content_encoding": encoding,
                  "stale": stale, "connection": self.conn_id}
        edge.record(record, hidden)
        self._send(status, headers, body)

    def _send_json(self, status, obj):
        self._send(status, {"content-type": "application/json"},
                   json.dumps(obj).encode("utf-8"))

    def _send(self, status, headers, body):
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


def request_headers(message):
    """The request's headers for a record: lowercase names, secrets left out,
    repeated headers joined with ", "."""
    out = {}
    for name, value in message.items():
        if is_secret_header(name):
            continue
        name = name.lower()
        out[name] = out[name] + ", " + value if name in out else value
    return out


class EdgeServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address, edge, tls):
        self.edge = edge
        self.tls = tls
        super().__init__(address, Handler)

    def handle_error(self, request, client_address):
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError, ssl.SSLError)):
            return  # a client hanging up, or refusing our certificate
        super().handle_error(request, client_address)


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------
def parse_args(argv):
    p = argparse.ArgumentParser(description="Local stand-in for Cloudflare's "
                                "edge cache (see the module docstring).")
    p.add_argument("--port-file", required=True)
    p.add_argument("--origin", required=True)
    p.add_argument("--cache", required=True)
    p.add_argument("--log")
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    args = p.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        p.error("--tls-cert and --tls-key go together")
    if not os.path.isdir(args.origin):
        p.error(f"--origin '{args.origin}' is not a folder")
    return args


def write_port_file(path, port):
    """Write "PORT\\n" to path atomically: a temporary file, then rename."""
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="ascii") as f:
        f.write(f"{port}\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def exit_on_signal(signum, frame):
    raise SystemExit(0)


def main(argv=None):
    cfg = parse_args(argv)
    tls = None
    if cfg.tls_cert:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(cfg.tls_cert, cfg.tls_key)
    edge = Edge(cfg)
    server = EdgeServer(("127.0.0.1", 0), edge, tls)
    signal.signal(signal.SIGTERM, exit_on_signal)
    signal.signal(signal.SIGINT, exit_on_signal)
    try:
        write_port_file(cfg.port_file, server.server_address[1])
        server.serve_forever(poll_interval=0.1)
    finally:
        server.server_close()
        edge.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
