#!/usr/bin/env python3
"""edge_nginx_purge.py - applies Cloudflare purges to an nginx proxy_cache.

Used by tests/blackbox/edge-nginx.sh; Python 3 standard library only.

  edge_nginx_purge.py --cache-dir DIR --log CFSTUB_LOG [--keep-file FILE]
  edge_nginx_purge.py --cache-dir DIR --stdin [--keep-file FILE]

nginx writes each cached answer to a file under DIR whose header holds a
line "KEY: <cache key>"; the harness sets the key to https://$host$request_uri,
the form of tests/cfstub.py's --cache keys.  A purge removes the files whose
key it covers, by the same rules as cfstub's --cache model (cfstub.purges_key:
a file URL its exact key, a prefix every key that starts with it, a host every
key on it, purge_everything all); nginx then finds the file gone and fetches
the origin again (a MISS).

--log CFSTUB_LOG applies every successful purge_cache / invalidate_cache
request in cfstub's JSON log, each only to the files stored before it was
received (a file's mtime is when nginx stored it), so running it again after
more requests removes nothing that was cached after the purge.
--stdin applies the one purge body read from stdin (JSON, as cfstub's
--on-purge gives it) to everything stored until now.
--keep-file FILE lists keys (one a line; a missing file lists none) that stay
in the cache whatever purges them: a purge that did not take, for a stale case.

Prints each removed key, one a line.  Exits 1 on a usage or read error.
"""

import argparse
import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from cfstub import PURGE_ROUTE_RE, purges_key  # noqa: E402  (the same rules)

KEY_PREFIX = b"\nKEY: "
HEAD_BYTES = 8192


def cache_entries(folder):
    """(path, key, mtime) of every complete cache file under folder."""
    for dirpath, _, names in os.walk(folder):
        for name in names:
            # nginx writes a new entry to NAME.0000000001 (a temporary file
            # beside it, as use_temp_path=off asks) and renames it; only the
            # 32-hex-digit names are entries.
            if not re.fullmatch(r"[0-9a-f]{32}", name):
                continue
            path = os.path.join(dirpath, name)
            try:
                with open(path, "rb") as f:
                    head = f.read(HEAD_BYTES)
                mtime = os.stat(path).st_mtime
            except FileNotFoundError:
                continue
            start = head.find(KEY_PREFIX)
            if start < 0:
                continue
            end = head.find(b"\n", start + len(KEY_PREFIX))
            key = head[start + len(KEY_PREFIX):end].decode("utf-8", "replace")
            yield path, key, mtime


def purges_in_log(path):
    """(time, body) of each successful purge request in cfstub's log."""
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            r = json.loads(line)
            if (r.get("method") == "POST" and PURGE_ROUTE_RE.fullmatch(r.get("path", ""))
                    and r.get("status") == 200 and r.get("success")
                    and isinstance(r.get("body"), dict)):
                yield r["time"], r["body"]


def apply(folder, purges, keep):
    removed = []
    for path, key, mtime in cache_entries(folder):
        if key in keep:
            continue
        if any(mtime <= when and purges_key(body, key) for when, body in purges):
            try:
                os.unlink(path)
                removed.append(key)
            except FileNotFoundError:
                pass
    return removed


def main(argv=None):
    p = argparse.ArgumentParser(description="Apply Cloudflare purges to an "
                                "nginx proxy_cache folder (see the docstring).")
    p.add_argument("--cache-dir", required=True)
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--log")
    src.add_argument("--stdin", action="store_true")
    p.add_argument("--keep-file")
    args = p.parse_args(argv)
    keep = set()
    try:
        if args.keep_file and os.path.exists(args.keep_file):
            with open(args.keep_file, encoding="utf-8") as f:
                keep = {line.strip() for line in f if line.strip()}
        if args.stdin:
            purges = [(time.time(), json.load(sys.stdin))]
        else:
            purges = list(purges_in_log(args.log))
    except (OSError, ValueError) as e:
        print(f"edge_nginx_purge: cannot read the purges: {e}", file=sys.stderr)
        return 1
    for key in sorted(apply(args.cache_dir, purges, keep)):
        print(key)
    return 0


if __name__ == "__main__":
    sys.exit(main())
