#!/usr/bin/env python3
"""cfstub.py - a local stand-in for Cloudflare's API v4 cache-purge endpoints.

The project's tests start it on 127.0.0.1 and point cf-purge-hook at it.
Python 3.11 standard library only; it reads nothing at run time except the
optional --script file, once, at start.

Usage
-----
  python3 tests/cfstub.py --port-file FILE --log FILE
      [--token TOKEN] [--zone ZONEID ...] [--zone-name NAME=ZONEID ...]
      [--email EMAIL --api-key KEY] [--files-limit N] [--other-limit N]
      [--script FILE] [--latency-ms N] [--strict-files] [--cache FILE]
      [--on-purge CMD]

  --port-file FILE   once listening, the port number and a newline are written
                     here atomically (temporary file + rename).
  --log FILE         one JSON object per request is appended here.
  --token TOKEN      the only accepted API token (default: test-token).
  --zone ZONEID      an accepted zone id, 32 lowercase hex; repeatable
                     (default: 023e105f4ecef8ad9ca31a8372d0c353 when no --zone
                     is given).  Zone ids from --zone-name are accepted too.
  --zone-name N=ID   a zone name for GET /zones?name=N; repeatable.
  --email/--api-key  also accept the legacy X-Auth-Email + X-Auth-Key pair.
  --files-limit N    most files in one purge request (default 30).
  --other-limit N    most tags, hosts or prefixes in one request (default 30).
  --script FILE      JSON list of fault steps (see below).
  --latency-ms N     sleep N ms before every answer (default 0).
  --refuse-item I    refuse (400, code 1014) every purge request that holds
                     the item I (a URL, tag, host or prefix); repeatable.
  --strict-files     refuse (400, code 1014) a "files" array that mixes URL
                     strings and {"url", "headers"} objects.  Cloudflare's
                     OpenAPI schema has two forms of "files", all strings
                     (SingleFile) or all objects (SingleFileWithUrlAndHeaders),
                     so a validator of that schema refuses a mix.  NOTE: not
                     confirmed what the real API answers to a mix; without
                     this option a mix is accepted, as before.
  --cache FILE       a model of the edge cache: FILE lists cached URLs, one a
                     line, as their cache keys read (scheme, host, path and
                     query string: https://example.com/a.html?v=3). Each
                     successful purge removes what it covers, and FILE is
                     rewritten before the answer is sent. What a purge
                     covers follows Cloudflare's documentation: a URL in
                     "files" only that exact key (a query string is part of
                     it); a prefix (host/path, no scheme) every key that
                     starts with it, whatever its query string ("If you
                     purge foo.com/bar, any asset that starts with
                     foo.com/bar will be purged", purge_by_prefix page); a
                     host every key on it; purge_everything all of them.
                     Tags purge nothing here, since keys carry no tags.
                     FILE is shared with tests/edgestub.py, which adds the
                     keys it caches; both hold an flock on FILE.lock around
                     each read-modify-write.
  --on-purge CMD     after each successful purge (after --cache), run CMD
                     (split as a shell would, not run by one) with the
                     request's JSON body on stdin, and wait for it before
                     answering; tests/blackbox/edge-nginx.sh applies the
                     purge to a real cache this way.  CMD gets no credential
                     (the CF_API* variables are left out of its environment).

The server binds 127.0.0.1 on a free port and serves until SIGTERM or SIGINT
(both exit with status 0).  It speaks HTTP/1.1 with keep-alive, one thread per
connection, and every answer carries Content-Length.
The API root is /client/v4, so the client's api_url is
http://127.0.0.1:PORT/client/v4.

Endpoints
---------
  POST /client/v4/zones/{zone_id}/purge_cache
  POST /client/v4/zones/{zone_id}/invalidate_cache     (same rules)
  GET  /client/v4/zones?name=NAME
  GET  /client/v4/zones/{zone_id}
  GET  /client/v4/user/tokens/verify
  anything else                                         404, codes 7003+7000

Every JSON answer uses Cloudflare's envelope:
  {"success": bool, "errors": [{"code": int, "message": str}, ...],
   "messages": [...], "result": ...}
Some errors also carry "error_chain", as Cloudflare's do.
See ERRORS below for each refusal's HTTP status, code and message, and which
of them were confirmed from public reports of Cloudflare's real answers.

Purge checks run in this order: scripted fault, authentication, zone id,
Content-Type, JSON syntax, body shape (exactly one of files, tags, hosts,
prefixes, purge_everything), item count, then each item.

Log format
----------
One JSON object per line for every request received (including refused and
dropped ones), written and flushed BEFORE the answer is sent, so a client that
has its answer can read the line:
  {"time": float (epoch seconds), "method": str, "path": str (no query),
   "query": str (raw query string, "" when none), "auth_ok": bool,
   "content_type": str or null, "body": parsed JSON or null,
   "raw_body": str when the body is not JSON, else null,
   "status": int (HTTP status sent; null when the connection was dropped),
   "success": bool (the envelope's "success"; false for non-JSON answers),
   "errors": [...] (the envelope's errors),
   "connection": int (1, 2, ... one per TCP connection),
   "fault": {...} (only when a scripted step was applied: the step as written)}
The log never holds the Authorization header, X-Auth-Key or the token: only
auth_ok.  Any such secret found elsewhere in a request is replaced by
"[REDACTED]".

Scripted faults (--script FILE)
-------------------------------
A JSON list of steps, applied to successive purge/invalidate requests in
arrival order (before any other check); when the list is used up, normal
behaviour resumes.  Each step holds exactly one of:
  {"status": 429, "retry_after": 2}  429, Retry-After: 2, rate-limit error body
  {"status": 500|502|503|...}        error answer; JSON envelope, except 502
                                     which has an HTML body like Cloudflare's
                                     edge ("html": true/false overrides)
  {"drop": true}                     close the connection without answering
  {"delay_ms": N}                    sleep N ms, then answer normally
  {"non_json": true}                 HTTP 200 with an HTML body
  {"success_false": true, "code": 1234, "message": "..."}
                                     HTTP 400 (or "http_status") with
                                     success false and that error
  {"ok": true}                       answer normally
  {"redirect": 307, "location": "..."}
                                     that 3xx status with Location and a
                                     body that says "success": true
  {"big_body": N}                    HTTP 200, a success envelope padded to
                                     N bytes
  {"big_header": N}                  HTTP 200, a success answer with a header
                                     X-Padding of N bytes
Optional keys: "repeat": N (apply the step N times), for "status" steps
"code" and "message" to replace the default error, and for "success_false"
steps "n_errors": N to send that error N times (codes code, code+1, ...).
"""

import argparse
import collections
import fcntl
import hmac
import http
import itertools
import json
import os
import re
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

API_ROOT = "/client/v4"
DEFAULT_TOKEN = "test-token"
DEFAULT_ZONE = "023e105f4ecef8ad9ca31a8372d0c353"
PURGE_KINDS = ("files", "tags", "hosts", "prefixes", "purge_everything")

ZONE_ID_RE = re.compile(r"[0-9a-f]{32}")
PURGE_ROUTE_RE = re.compile(
    re.escape(API_ROOT) + r"/zones/([^/]*)/(purge_cache|invalidate_cache)")
ZONE_GET_RE = re.compile(re.escape(API_ROOT) + r"/zones/([^/]+)")
TOKEN_RE = re.compile(r"[A-Za-z0-9._~+/=-]+")
HOST_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
HOST_RE = re.compile(HOST_LABEL + r"(?:\." + HOST_LABEL + r")*")

# ---------------------------------------------------------------------------
# Error catalogue: name -> (HTTP status, Cloudflare code, message).
# Sources for the confirmed ones are public reports of real API answers.
# ---------------------------------------------------------------------------
ERRORS = {
    # Confirmed: code, message and HTTP 400 (cloudflare/cloudflare-python
    # issue #2678, "Error code: 400 ... 9106").
    "missing_auth": (400, 9106,
                     "Missing X-Auth-Key, X-Auth-Email or Authorization headers"),
    # Confirmed: 6003 with error_chain 6111 and HTTP 400 (jeessy2/ddns-go
    # issue #1296, libdns/cloudflare issue #12).
    "bad_auth_header": (400, 6003, "Invalid request headers"),
    # Confirmed: code, message and HTTP 403 (cloudflare/terraform-provider-
    # cloudflare issue #1533, cloudflare/cloudflare-docs issue #13405; both
    # are tokens without access).  Cloudflare gives the same answer for a
    # well-formed zone id the credentials have no access to (community.
    # cloudflare.com thread "What is x-Auth-Key?"), so the stand-in does too.
    # NOTE: code not confirmed for a token that does not exist at all.
    "auth_error": (403, 10000, "Authentication error"),
    # NOTE: code not confirmed (legacy X-Auth-Email/X-Auth-Key pair refused).
    "bad_legacy_key": (403, 9103, "Unknown X-Auth-Key or X-Auth-Email"),
    # Confirmed: 7003 + 7000 pair and HTTP 400 for a bad object identifier
    # (turbot/steampipe-plugin-cloudflare docs/tables/cloudflare_access_policy.md:
    # "HTTP status 400: Could not route to ..., perhaps your object identifier
    # is invalid? (7003), No route for that URI (7000)").
    "bad_zone_id": (400, 7003, None),
    # The brief asks for a 404 for unknown routes.
    # NOTE: code not confirmed for HTTP 404 (same 7003+7000 pair as above).
    "no_route": (404, 7003, None),
    # NOTE: code not confirmed (6003 with error_chain 6105).
    "bad_content_type": (400, 6003, "Invalid request headers"),
    # NOTE: code not confirmed.
    "malformed_json": (400, 6007, "Malformed JSON in request body"),
    # Code and message confirmed (community.cloudflare.com thread "How to list
    # URLs for purge_cache").  NOTE: HTTP status not confirmed.
    "purge_kind": (400, 1012, 'Request must contain one of "purge_everything",'
                   ' "files", "tags", "hosts" or "prefixes"'),
    # HTTP 400 confirmed for more than 30 files (MnemeHQ/mneme PR #215).
    # NOTE: code not confirmed.
    "too_many": (400, 1013, None),
    # NOTE: code not confirmed (a file, tag, host or prefix that is invalid).
    "bad_item": (400, 1014, None),
    # Code 971 with HTTP 429 and this message is quoted by several users of
    # the API (e.g. lablabs/cloudflare-exporter issue #74 has the message with
    # 429); one other report shows 10429.  Not in Cloudflare's own docs.
    "rate_limited": (429, 971,
                     "Please wait and consider throttling your request speed"),
    # NOTE: code not confirmed (token verify with an unknown token).
    "invalid_token": (401, 1000, "Invalid API Token"),
    # Code and message confirmed (kissgyorgy/cloudflare-dyndns issue #40);
    # NOTE: HTTP status not confirmed.
    "verify_needs_bearer": (400, 1001, 'Missing "Authorization" header'),
    # NOTE: code not confirmed (5xx answers with a JSON body).
    "server_error": (None, 10001, None),
    # Scripted success_false step without its own code/message.
    "scripted": (400, 1000, "Scripted failure"),
}

VERIFY_OK_MESSAGE = {"code": 10000, "message": "This API Token is valid and active",
                     "type": None}

EDGE_502_HTML = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n"
    "<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n")
NON_JSON_HTML = (
    "<!DOCTYPE html>\n<html><head><title>Just a moment...</title></head>\n"
    "<body><p>This is not JSON.</p></body></html>\n")


# ---------------------------------------------------------------------------
# Answers
# ---------------------------------------------------------------------------
class Answer:
    """One HTTP answer (or a dropped connection) plus what the log needs."""

    def __init__(self, status, body=b"", content_type="application/json",
                 headers=None, success=False, errors=(), drop=False):
        self.status = status
        self.body = body
        self.content_type = content_type
        self.headers = headers or {}
        self.success = success
        self.errors = list(errors)
        self.drop = drop


def envelope(success, errors=(), result=None, messages=()):
    """Cloudflare's response envelope as a dict."""
    return {"success": success, "errors": list(errors),
            "messages": list(messages), "result": result}


def json_answer(status, env, headers=None):
    body = json.dumps(env).encode("utf-8")
    return Answer(status, body, headers=headers, success=env["success"],
                  errors=env["errors"])


def html_answer(status, html):
    return Answer(status, html.encode("utf-8"), "text/html; charset=UTF-8")


def error_answer(name, message=None, chain=None, extra=None, headers=None,
                 status=None, code=None):
    """A refusal from ERRORS, with optional overrides and extra errors."""
    d_status, d_code, d_message = ERRORS[name]
    error = {"code": code if code is not None else d_code,
             "message": message if message is not None else d_message}
    if chain:
        error["error_chain"] = chain
    errors = [error] + list(extra or [])
    return json_answer(status or d_status, envelope(False, errors), headers)


def no_route_answer(name, path):
    message = f"Could not route to {path}, perhaps your object identifier is invalid?"
    return error_answer(name, message,
                        extra=[{"code": 7000, "message": "No route for that URI"}])


def success_answer(result, messages=()):
    return json_answer(200, envelope(True, (), result, messages))


# ---------------------------------------------------------------------------
# Authentication
# ---------------------------------------------------------------------------
def same(a, b):
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def check_bearer(cfg, value):
    """Judge an Authorization header; return None when it is accepted."""
    scheme, _, cred = value.partition(" ")
    if not TOKEN_RE.fullmatch(cred) or scheme.lower() != "bearer":
        chain = [{"code": 6111, "message": "Invalid format for Authorization header"}]
        return error_answer("bad_auth_header", chain=chain)
    # Cloudflare refuses a lowercase "bearer" scheme with 10000 (reported in
    # the community thread "Purge cache with API token unsupported?").
    if scheme != "Bearer" or not same(cred, cfg.token):
        return error_answer("auth_error")
    return None


def check_legacy(cfg, email, key):
    """Judge an X-Auth-Email + X-Auth-Key pair; None when accepted."""
    if not email or not key:
        return error_answer("missing_auth")
    if cfg.email and cfg.api_key and same(email, cfg.email) and same(key, cfg.api_key):
        return None
    return error_answer("bad_legacy_key")


def check_auth(cfg, headers):
    """Return None when the request is authenticated, else the refusal."""
    value = headers.get("Authorization")
    if value is not None:
        return check_bearer(cfg, value)
    email, key = headers.get("X-Auth-Email"), headers.get("X-Auth-Key")
    if email is None and key is None:
        return error_answer("missing_auth")
    return check_legacy(cfg, email, key)


# ---------------------------------------------------------------------------
# Purge body validation
# ---------------------------------------------------------------------------
def has_space_or_control(text):
    return any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in text)


def check_url(url):
    if not url or has_space_or_control(url):
        return f"{url!r} is not a valid URL"
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not url[len(scheme):].startswith("://"):
        return f"{url!r} is not an absolute http:// or https:// URL"
    try:
        parts.port
    except ValueError:
        return f"{url!r} has an invalid port"
    if not parts.hostname:
        return f"{url!r} has no host"
    return None


def check_file(item):
    if isinstance(item, dict):
        if set(item) - {"url", "headers"}:
            return "a file object may only hold \"url\" and \"headers\""
        headers = item.get("headers", {})
        if not isinstance(headers, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in headers.items()):
            return "\"headers\" must be an object of strings"
        item = item.get("url")
    if not isinstance(item, str):
        return "each file must be a URL string or an object with a \"url\""
    return check_url(item)


def check_tag(item):
    if not isinstance(item, str) or not item or len(item) > 1024:
        return "each tag must be a string of 1 to 1024 characters"
    if "," in item or any(ord(c) < 0x20 or ord(c) == 0x7F for c in item):
        return f"{item!r} is not a valid tag"
    return None


def check_host(item):
    if not isinstance(item, str) or len(item) > 253 or not HOST_RE.fullmatch(item):
        return f"{item!r} is not a bare host name"
    return None


def check_prefix(item):
    if not isinstance(item, str) or not item:
        return "each prefix must be a non-empty string"
    if "://" in item:
        return f"{item!r}: a prefix must not include a scheme"
    if "?" in item:
        return f"{item!r}: a prefix must not include a query string"
    if has_space_or_control(item) or check_host(item.split("/", 1)[0]):
        return f"{item!r} is not a valid prefix (host/path)"
    return None


ITEM_CHECKS = {"files": check_file, "tags": check_tag,
               "hosts": check_host, "prefixes": check_prefix}


def validate_purge_body(cfg, body):
    """Return None for a valid purge body, else the refusal."""
    if not isinstance(body, dict) or len(body) != 1:
        return error_answer("purge_kind")
    kind, value = next(iter(body.items()))
    if kind not in PURGE_KINDS:
        return error_answer("purge_kind")
    if kind == "purge_everything":
        return None if value is True else error_answer("purge_kind")
    if not isinstance(value, list) or not value:
        return error_answer("purge_kind")
    limit = cfg.files_limit if kind == "files" else cfg.other_limit
    if len(value) > limit:
        return error_answer(
            "too_many", f"Too many {kind} in one request: {len(value)} given,"
                        f" at most {limit} allowed")
    if kind == "files" and cfg.strict_files and \
            len({isinstance(item, dict) for item in value}) > 1:
        return error_answer("bad_item", "Invalid files: all URL strings or"
                            " all objects with \"url\", not both")
    for item in value:
        problem = ITEM_CHECKS[kind](item)
        if problem:
            return error_answer("bad_item", f"Invalid {kind} item: {problem}")
    return None


def media_type(content_type):
    return (content_type or "").split(";", 1)[0].strip().lower()


# ---------------------------------------------------------------------------
# Scripted faults
# ---------------------------------------------------------------------------
STEP_KINDS = ("status", "drop", "delay_ms", "non_json", "success_false", "ok",
              "redirect", "big_body", "big_header")
STEP_OPTIONS = {"repeat", "retry_after", "code", "message", "html", "http_status",
                "location", "n_errors"}


def check_step(step):
    """Return a problem description for a malformed step, else None."""
    if not isinstance(step, dict):
        return "a step must be an object"
    kinds = [k for k in STEP_KINDS if k in step]
    if len(kinds) != 1:
        return f"a step needs exactly one of {', '.join(STEP_KINDS)}"
    unknown = set(step) - set(STEP_KINDS) - STEP_OPTIONS
    if unknown:
        return f"unknown key(s) {sorted(unknown)}"
    kind, value = kinds[0], step[kinds[0]]
    if kind == "status" and not (isinstance(value, int) and 400 <= value <= 599):
        return "\"status\" must be an integer from 400 to 599"
    if kind == "delay_ms" and not (isinstance(value, (int, float)) and value >= 0):
        return "\"delay_ms\" must be a number >= 0"
    if kind == "redirect" and not (isinstance(value, int) and 300 <= value <= 399):
        return "\"redirect\" must be an integer from 300 to 399"
    if kind in ("big_body", "big_header") and not (isinstance(value, int) and value >= 0):
        return f"\"{kind}\" must be an integer >= 0"
    if kind in ("drop", "non_json", "success_false", "ok") and value is not True:
        return f"\"{kind}\" must be true"
    n_errors = step.get("n_errors", 1)
    if not isinstance(n_errors, int) or isinstance(n_errors, bool) or n_errors < 1:
        return "\"n_errors\" must be an integer >= 1"
    repeat = step.get("repeat", 1)
    if not isinstance(repeat, int) or isinstance(repeat, bool) or repeat < 0:
        return "\"repeat\" must be an integer >= 0"
    return None


def load_script(path):
    """Read the fault script and expand "repeat"; exits on a bad file."""
    try:
        with open(path, encoding="utf-8") as f:
            steps = json.load(f)
    except (OSError, ValueError) as e:
        sys.exit(f"cfstub: cannot read script {path}: {e}")
    if not isinstance(steps, list):
        sys.exit(f"cfstub: script {path}: must be a JSON list of steps")
    expanded = []
    for n, step in enumerate(steps):
        problem = check_step(step)
        if problem:
            sys.exit(f"cfstub: script {path}: step {n}: {problem}")
        expanded.extend([step] * step.get("repeat", 1))
    return expanded


class FaultScript:
    """The remaining fault steps, taken one per purge request."""

    def __init__(self, steps):
        self._steps = collections.deque(steps)
        self._lock = threading.Lock()

    def take(self):
        with self._lock:
            return self._steps.popleft() if self._steps else None


def status_fault(step):
    status = step["status"]
    if status == 429:
        headers = {}
        if "retry_after" in step:
            headers["Retry-After"] = str(step["retry_after"])
        return error_answer("rate_limited", step.get("message"), headers=headers,
                            code=step.get("code"))
    if step.get("html", status == 502):
        title = f"{status} {status_phrase(status)}"
        return html_answer(status, EDGE_502_HTML.replace("502 Bad Gateway", title))
    message = step.get("message") or status_phrase(status)
    return error_answer("server_error", message, status=status, code=step.get("code"))


def status_phrase(status):
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def fault_answer(step):
    """The answer a step imposes, or None to answer normally."""
    if "status" in step:
        return status_fault(step)
    if "drop" in step:
        return Answer(None, drop=True)
    if "non_json" in step:
        return html_answer(200, NON_JSON_HTML)
    if "success_false" in step:
        n = step.get("n_errors", 1)
        code = step.get("code", ERRORS["scripted"][1])
        extra = [{"code": code + i, "message": step.get("message") or
                  ERRORS["scripted"][2]} for i in range(1, n)]
        return error_answer("scripted", step.get("message"),
                            status=step.get("http_status"), code=step.get("code"),
                            extra=extra)
    if "redirect" in step:
        env = envelope(True, (), {"id": secrets.token_hex(16)})
        answer = json_answer(step["redirect"], env,
                             headers={"Location": step.get("location",
                                                           "https://elsewhere.invalid/")})
        return answer
    if "big_body" in step:
        env = envelope(True, (), {"id": secrets.token_hex(16)})
        env["padding"] = ""
        pad = step["big_body"] - len(json.dumps(env))
        env["padding"] = "x" * max(pad, 0)
        return json_answer(200, env)
    if "big_header" in step:
        return json_answer(200, envelope(True, (), {"id": secrets.token_hex(16)}),
                           headers={"X-Padding": "x" * step["big_header"]})
    if "delay_ms" in step:
        time.sleep(step["delay_ms"] / 1000.0)
    return None


# ---------------------------------------------------------------------------
# Request handling
# ---------------------------------------------------------------------------
class Request:
    """What the handler read: method, path, query, headers and body."""

    def __init__(self, method, target, headers, raw):
        parts = urlsplit(target)
        self.method = method
        self.path = parts.path
        self.query = parts.query
        self.headers = headers
        self.content_type = headers.get("Content-Type")
        self.raw = raw
        self.body, self.raw_body, self.json_ok = self._parse(raw)

    @staticmethod
    def _parse(raw):
        if not raw:
            return None, None, False
        text = raw.decode("utf-8", "replace")
        try:
            return json.loads(text), None, True
        except ValueError:
            return None, text, False


class Outcome:
    """An answer, whether the request authenticated, and any fault applied."""

    def __init__(self, answer, auth_ok, fault=None):
        self.answer = answer
        self.auth_ok = auth_ok
        self.fault = fault


def handle_purge(state, req, zone_id):
    fault = state.script.take()
    answer = fault_answer(fault) if fault else None
    refusal = check_auth(state.cfg, req.headers)
    if answer is None:
        answer = refusal or purge_answer(state.cfg, req, zone_id)
        if answer.success and state.cfg.cache:
            purge_cache_model(state, req.body)
        if answer.success and state.cfg.on_purge:
            run_on_purge(state.cfg.on_purge, req.body)
    return Outcome(answer, refusal is None, fault)


def purges_key(body, key):
    """1 when the purge body covers the cached URL key (see --cache)."""
    kind, items = next(iter(body.items()))
    if kind == "purge_everything":
        return True
    bare = key.split("://", 1)[-1]
    host = bare.split("/", 1)[0].split(":", 1)[0]
    for item in items:
        value = item.get("url") if isinstance(item, dict) else item
        if kind == "files" and value == key:
            return True
        if kind == "prefixes" and bare.startswith(value):
            return True
        if kind == "hosts" and host.lower() == value.lower():
            return True
    return False


def purge_cache_model(state, body):
    """--cache FILE: removes from FILE the keys that body purges.

    tests/edgestub.py adds keys to the same FILE, so the read-modify-write
    holds an exclusive flock on FILE.lock, as edgestub does.  The lock is
    not on FILE itself: FILE is replaced by a rename, and a lock taken on
    the old file would not exclude a writer that opens the new one."""
    path = state.cfg.cache
    with state._lock, open(path + ".lock", "a", encoding="utf-8") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        with open(path, encoding="utf-8") as f:
            keys = [line.rstrip("\n") for line in f if line.strip()]
        left = [k for k in keys if not purges_key(body, k)]
        tmp = f"{path}.tmp{os.getpid()}"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write("".join(k + "\n" for k in left))
        os.replace(tmp, path)


def run_on_purge(command, body):
    """--on-purge CMD: runs CMD with the purge body on stdin and waits for
    it, so that what it does to a cache is done before the answer leaves.
    A failure is reported on stderr; the answer stays a success, as
    Cloudflare's does whatever its edges then make of the purge."""
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CF_API")}
        done = subprocess.run(shlex.split(command), input=json.dumps(body),
                              text=True, capture_output=True, timeout=60,
                              env=env)
    except (OSError, subprocess.TimeoutExpired) as e:
        print(f"cfstub: --on-purge command failed: {e}", file=sys.stderr)
        return
    if done.returncode != 0:
        print(f"cfstub: --on-purge command exited with {done.returncode}: "
              f"{done.stderr.strip()}", file=sys.stderr)


def purge_answer(cfg, req, zone_id):
    """Checks after authentication, then the success answer."""
    if not ZONE_ID_RE.fullmatch(zone_id):
        return no_route_answer("bad_zone_id", req.path)
    if zone_id not in cfg.zones:
        return error_answer("auth_error")
    if media_type(req.content_type) != "application/json":
        chain = [{"code": 6105, "message": "Invalid Content-Type header, valid values"
                  " are application/json,multipart/form-data"}]
        return error_answer("bad_content_type", chain=chain)
    if not req.json_ok:
        return error_answer("malformed_json")
    return validate_purge_body(cfg, req.body) or refused_item(cfg, req.body) or \
        success_answer({"id": secrets.token_hex(16)})


def refused_item(cfg, body):
    """--refuse-item ITEM: Cloudflare's answer when one item may not be
    purged (a URL outside the zone, say); the whole request is refused."""
    kind, items = next(iter(body.items()))
    if not isinstance(items, list):
        return None
    for item in items:
        value = item.get("url") if isinstance(item, dict) else item
        if value in cfg.refuse_items:
            # NOTE: code not confirmed.
            return error_answer("bad_item", f"Invalid {kind[:-1] if kind != 'prefixes' else 'prefix'}: {value}")
    return None


def zone_object(name, zone_id):
    return {"id": zone_id, "name": name, "status": "active", "paused": False,
            "type": "full", "development_mode": 0,
            "name_servers": ["ada.ns.cloudflare.com", "bob.ns.cloudflare.com"],
            "original_name_servers": None, "original_registrar": None,
            "original_dnshost": None, "created_on": "2024-01-01T00:00:00Z",
            "modified_on": "2024-01-01T00:00:00Z",
            "activated_on": "2024-01-01T00:00:00Z",
            "meta": {"step": 2, "phishing_detected": False},
            "owner": {"id": None, "type": "user", "email": None},
            "account": {"id": "0" * 32, "name": "cfstub account"},
            "permissions": ["#cache_purge:edit", "#zone:read"]}


def handle_zone_list(state, req):
    refusal = check_auth(state.cfg, req.headers)
    if refusal:
        return Outcome(refusal, False)
    names = parse_qs(req.query).get("name")
    zones = [zone_object(n, z) for n, z in state.cfg.zone_names.items()
             if names is None or n == names[0].lower()]
    env = envelope(True, (), zones)
    env["result_info"] = {"page": 1, "per_page": 20, "total_pages": 1,
                          "count": len(zones), "total_count": len(zones)}
    return Outcome(json_answer(200, env), True)


def handle_zone_get(state, req, zone_id):
    """GET /zones/{id}: the zone, when the credentials reach it."""
    refusal = check_auth(state.cfg, req.headers)
    if refusal:
        return Outcome(refusal, False)
    if not ZONE_ID_RE.fullmatch(zone_id):
        return Outcome(no_route_answer("bad_zone_id", req.path), True)
    if zone_id not in state.cfg.zones:
        return Outcome(error_answer("auth_error"), True)
    names = {z: n for n, z in state.cfg.zone_names.items()}
    return Outcome(success_answer(zone_object(names.get(zone_id, "example.com"),
                                              zone_id)), True)


def handle_verify(state, req):
    headers = req.headers
    if headers.get("Authorization") is None:
        if headers.get("X-Auth-Email") is None and headers.get("X-Auth-Key") is None:
            return Outcome(error_answer("missing_auth"), False)
        return Outcome(error_answer("verify_needs_bearer"), False)
    refusal = check_bearer(state.cfg, headers["Authorization"])
    if refusal is not None:
        if refusal.status == 403:      # well-formed but unknown token
            refusal = error_answer("invalid_token")
        return Outcome(refusal, False)
    result = {"id": state.token_id, "status": "active"}
    return Outcome(success_answer(result, [VERIFY_OK_MESSAGE]), True)


def route(state, req):
    """Pick the endpoint for a request and return its Outcome."""
    match = PURGE_ROUTE_RE.fullmatch(req.path)
    if match and req.method == "POST":
        return handle_purge(state, req, match.group(1))
    if req.method == "GET" and req.path == API_ROOT + "/zones":
        return handle_zone_list(state, req)
    if req.method == "GET" and req.path == API_ROOT + "/user/tokens/verify":
        return handle_verify(state, req)
    match = ZONE_GET_RE.fullmatch(req.path)
    if match and req.method == "GET":
        return handle_zone_get(state, req, match.group(1))
    auth_ok = check_auth(state.cfg, req.headers) is None
    return Outcome(no_route_answer("no_route", req.path), auth_ok)


# ---------------------------------------------------------------------------
# Log
# ---------------------------------------------------------------------------
class Log:
    """Appends one JSON line per request; safe across threads."""

    def __init__(self, path, secrets_):
        self._file = open(path, "a", encoding="utf-8")
        self._lock = threading.Lock()
        self._secrets = [s for s in secrets_ if s]

    def write(self, record, extra_secrets=()):
        line = json.dumps(record)
        for secret in self._secrets + [s for s in extra_secrets if len(s) >= 4]:
            line = line.replace(json.dumps(secret)[1:-1], "[REDACTED]")
        with self._lock:
            self._file.write(line + "\n")
            self._file.flush()

    def close(self):
        with self._lock:
            self._file.close()


def request_secrets(headers):
    """Credentials a request carried, to keep them out of the log."""
    found = []
    value = headers.get("Authorization")
    if value:
        found += [value, value.partition(" ")[2]]
    if headers.get("X-Auth-Key"):
        found.append(headers["X-Auth-Key"])
    return [s for s in found if s]


def log_record(req, outcome, conn_id):
    ans = outcome.answer
    record = {"time": round(time.time(), 6), "method": req.method,
              "path": req.path, "query": req.query, "auth_ok": outcome.auth_ok,
              "content_type": req.content_type, "body": req.body,
              "raw_body": req.raw_body, "status": ans.status,
              "success": ans.success, "errors": ans.errors,
              "connection": conn_id}
    if outcome.fault is not None:
        record["fault"] = outcome.fault
    return record


# ---------------------------------------------------------------------------
# HTTP server
# ---------------------------------------------------------------------------
class Handler(BaseHTTPRequestHandler):
    """One instance per TCP connection; serves many requests (keep-alive)."""

    protocol_version = "HTTP/1.1"

    def version_string(self):
        return "cloudflare"   # the Server header Cloudflare's API sends

    def setup(self):
        super().setup()
        # Headers and body leave in two writes; without TCP_NODELAY the
        # second waits for the client's delayed ACK (about 40 ms a request
        # on a kept-alive connection), which Cloudflare's edge does not do.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.conn_id = self.server.state.next_connection_id()

    def __getattr__(self, name):
        # Every method (GET, POST, PUT, DELETE, ...) goes through _dispatch,
        # so even odd requests get a Cloudflare-style answer and a log line.
        if name.startswith("do_"):
            return self._dispatch
        raise AttributeError(name)

    def log_message(self, format, *args):
        pass  # keep stderr quiet; the JSON log is the record

    def _read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            length = 0
        return self.rfile.read(length) if length > 0 else b""

    def _read_chunked(self):
        data = b""
        while True:
            size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # skip trailers
                return data
            data += self.rfile.read(size)
            self.rfile.readline()

    def _dispatch(self):
        state = self.server.state
        req = Request(self.command, self.path, self.headers, self._read_body())
        try:
            outcome = route(state, req)
        except Exception:
            traceback.print_exc()
            outcome = Outcome(error_answer("server_error", "cfstub internal error",
                                           status=500), False)
        if state.cfg.latency_ms:
            time.sleep(state.cfg.latency_ms / 1000.0)
        state.log.write(log_record(req, outcome, self.conn_id),
                        request_secrets(self.headers))
        self._send(outcome.answer)

    def _send(self, ans):
        if ans.drop:
            self.close_connection = True
            return
        self.send_response(ans.status)
        self.send_header("Content-Type", ans.content_type)
        self.send_header("Content-Length", str(len(ans.body)))
        for name, value in ans.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(ans.body)


class State:
    """Everything the handlers share: settings, log, faults, counters."""

    def __init__(self, cfg):
        self.cfg = cfg
        self.log = Log(cfg.log, [cfg.token, cfg.api_key])
        self.script = FaultScript(load_script(cfg.script) if cfg.script else [])
        self.token_id = secrets.token_hex(16)
        self._connections = itertools.count(1)
        self._lock = threading.Lock()

    def next_connection_id(self):
        with self._lock:
            return next(self._connections)


class StubServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address, state):
        self.state = state
        super().__init__(address, Handler)

    def handle_error(self, request, client_address):
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return  # a client hanging up is routine in tests
        super().handle_error(request, client_address)


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------
def zone_id_arg(text):
    if not ZONE_ID_RE.fullmatch(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not 32 lowercase hex digits")
    return text


def zone_name_arg(text):
    name, sep, zone_id = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME=ZONEID")
    return name.lower(), zone_id_arg(zone_id)


def non_negative(text):
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be >= 0")
    return value


def parse_args(argv):
    p = argparse.ArgumentParser(description="Local stand-in for Cloudflare's "
                                "cache-purge API (see the module docstring).")
    p.add_argument("--port-file", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--token", default=DEFAULT_TOKEN)
    p.add_argument("--zone", action="append", type=zone_id_arg, default=[])
    p.add_argument("--zone-name", action="append", type=zone_name_arg, default=[])
    p.add_argument("--email")
    p.add_argument("--api-key")
    p.add_argument("--files-limit", type=non_negative, default=30)
    p.add_argument("--other-limit", type=non_negative, default=30)
    p.add_argument("--script")
    p.add_argument("--latency-ms", type=non_negative, default=0)
    p.add_argument("--refuse-item", action="append", default=[],
                   help="refuse any purge request that holds this item")
    p.add_argument("--strict-files", action="store_true",
                   help="refuse a files array mixing strings and objects")
    p.add_argument("--cache")
    p.add_argument("--on-purge")
    args = p.parse_args(argv)
    if bool(args.email) != bool(args.api_key):
        p.error("--email and --api-key go together")
    args.zone_names = dict(args.zone_name)
    args.refuse_items = set(args.refuse_item)
    args.zones = set(args.zone or [DEFAULT_ZONE]) | set(args.zone_names.values())
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
    state = State(cfg)
    server = StubServer(("127.0.0.1", 0), state)
    signal.signal(signal.SIGTERM, exit_on_signal)
    signal.signal(signal.SIGINT, exit_on_signal)
    try:
        write_port_file(cfg.port_file, server.server_address[1])
        server.serve_forever(poll_interval=0.1)
    finally:
        server.server_close()
        state.log.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
