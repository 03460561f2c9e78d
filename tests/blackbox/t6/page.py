#!/usr/bin/env python3
"""page.py - a deploy page for t6-deploy.sh's [hook] wait_url cases.

Usage: python3 page.py --port-file FILE --dir DIR

Serves GET / on 127.0.0.1 (a free port, written to FILE once listening)
from the files in DIR, read afresh on every request:
  DIR/before   the page served until the flip time (default: empty)
  DIR/after    the page served from the flip time on
  DIR/flip_at  the flip time, epoch seconds; missing or empty: never
Every request is appended to DIR/log as "TIME before|after".
"""

import argparse
import os
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def read(path, default=""):
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError:
        return default


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        d = self.server.dir
        now = time.time()
        flip = read(os.path.join(d, "flip_at")).strip()
        which = "after" if flip and now >= float(flip) else "before"
        body = read(os.path.join(d, which)).encode()
        with open(os.path.join(d, "log"), "a", encoding="utf-8") as f:
            f.write("%.6f %s\n" % (now, which))
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--dir", required=True)
    args = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.dir = args.dir
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, args.port_file)
    srv.serve_forever()


main()
