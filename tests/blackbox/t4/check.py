"""Checks for tests/blackbox/t4-delivery.sh. Each command prints what it
found and exits 1 when the check fails.

  received LOG... [--plan PLAN]... [--once] [--except ITEM]...
      The items of the purge requests that the stand-in accepted (HTTP 200
      with success true, in any of the LOG files) are, as a set, the items
      of the requests in the PLAN files (outputs of --dry-run --json), less
      the --except ones. With --once, no item was accepted twice.
  spool DIR ZONE PLAN ATTEMPTS ERROR_RE [OUT]
      Every file in DIR is a spool file: exactly the documented fields,
      version 1, the zone, a body whose items PLAN planned, first_planned
      in UTC, ATTEMPTS attempts ("-": any number), and a last_error
      matching ERROR_RE. With OUT (a run's --json output), the files are
      exactly those its outcomes name in "spool_files". Prints the number
      of files and of items.
  covered PLAN DIR LOG...
      Nothing planned was lost: every item of PLAN was accepted (LOG) or is
      in a spool file in DIR.
  json FILE EXPR [NAME=VALUE]...
      EXPR, a Python expression over j (FILE parsed), is true; each NAME
      is bound to its VALUE (a string), and json and re are at hand.
  log FILE EXPR [NAME=VALUE]...
      EXPR is true, with L the stand-in's log entries and P those that are
      purge or invalidate requests, in the order they were logged.
"""
import argparse
import json
import os
import re
import sys


def canonical(item):
    """An item as a hashable value: a URL, or a URL-and-headers object."""
    return json.dumps(item, sort_keys=True)


def items_of(body):
    """(kind, item) pairs of one request body."""
    return [(kind, canonical(item)) for kind, items in body.items()
            if isinstance(items, list) for item in items]


def planned(plan_file):
    with open(plan_file, encoding="utf-8") as f:
        plan = json.load(f)
    return [pair for req in plan["requests"] for pair in items_of(req["body"])]


def read_log(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def is_purge(entry):
    return entry["method"] == "POST" and entry["path"].endswith(
        ("/purge_cache", "/invalidate_cache"))


def accepted(log_files):
    """(kind, item) pairs of every accepted purge request, repeats kept."""
    pairs = []
    for path in log_files:
        for e in read_log(path):
            if is_purge(e) and e["status"] == 200 and e["success"] is True:
                pairs += items_of(e["body"])
    return pairs


def spool_files(directory):
    if not os.path.isdir(directory):
        return []
    return sorted(os.path.join(directory, n) for n in os.listdir(directory))


def fail(message):
    print(message)
    sys.exit(1)


def cmd_received(args):
    parser = argparse.ArgumentParser(prog="check.py received")
    parser.add_argument("logs", nargs="+")
    parser.add_argument("--plan", action="append", required=True)
    parser.add_argument("--once", action="store_true")
    parser.add_argument("--except", dest="excluded", action="append", default=[])
    opts = parser.parse_args(args)
    excluded = {canonical(item) for item in opts.excluded}
    want = {p for plan in opts.plan for p in planned(plan) if p[1] not in excluded}
    got = accepted(opts.logs)
    once = opts.once
    print(f"planned {len(want)} items, accepted {len(got)} ({len(set(got))} distinct)")
    if set(got) != want:
        fail(f"accepted but not planned: {sorted(set(got) - want)}\n"
             f"planned but not accepted: {sorted(want - set(got))}")
    if once and len(got) != len(set(got)):
        fail(f"accepted more than once: {sorted(p for p in set(got) if got.count(p) > 1)}")


FIELDS = {"version", "zone_id", "body", "first_planned", "attempts", "last_error"}
UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def cmd_spool(args):
    directory, zone, plan_file, attempts, error_re = args[:5]
    plan = set(planned(plan_file))
    files = spool_files(directory)
    count = 0
    for path in files:
        with open(path, encoding="utf-8") as f:
            s = json.load(f)
        problems = []
        if set(s) != FIELDS:
            problems.append(f"fields {sorted(s)}, not {sorted(FIELDS)}")
        if s.get("version") != 1:
            problems.append("version is not 1")
        if s.get("zone_id") != zone:
            problems.append(f"zone_id is not {zone}")
        items = items_of(s.get("body") or {})
        if not items or not set(items) <= plan:
            problems.append(f"body {s.get('body')} does not hold planned items")
        if not UTC.fullmatch(str(s.get("first_planned"))):
            problems.append("first_planned is not YYYY-MM-DDTHH:MM:SSZ")
        if attempts != "-" and s.get("attempts") != int(attempts):
            problems.append(f"attempts is not {attempts}")
        if not re.search(error_re, str(s.get("last_error"))):
            problems.append(f"last_error does not match {error_re!r}")
        if problems:
            fail(f"{path}: {s}\n  " + "\n  ".join(problems))
        count += len(items)
    if len(args) > 5:
        with open(args[5], encoding="utf-8") as f:
            out = json.load(f)
        named = sorted(p for r in out["requests"] + out.get("spooled_earlier", [])
                       for p in r["outcome"]["spool_files"])
        if named != files:
            fail(f"the outcomes name {named}, the spool holds {files}")
    print(f"{len(files)} files, {count} items")


def cmd_covered(args):
    want = set(planned(args[0]))
    have = set(accepted(args[2:]))
    for path in spool_files(args[1]):
        with open(path, encoding="utf-8") as f:
            have |= set(items_of(json.load(f)["body"]))
    if not want <= have:
        fail(f"lost: {sorted(want - have)}")
    print(f"{len(want)} planned items all accepted or spooled")


def names(args):
    """The namespace of an expression: json, re and NAME=VALUE arguments."""
    bound = {"json": json, "re": re}
    for arg in args:
        name, _, value = arg.partition("=")
        bound[name] = value
    return bound


def cmd_json(args):
    with open(args[0], encoding="utf-8") as f:
        j = json.load(f)
    if not eval(args[1], dict(names(args[2:]), j=j)):
        fail(f"false: {args[1]}\n{json.dumps(j, indent=1)}")


def cmd_log(args):
    L = read_log(args[0])
    P = [e for e in L if is_purge(e)]
    if not eval(args[1], dict(names(args[2:]), L=L, P=P)):
        fail(f"false: {args[1]}\n" + "\n".join(json.dumps(e) for e in L))


COMMANDS = {"received": cmd_received, "spool": cmd_spool, "covered": cmd_covered,
            "json": cmd_json, "log": cmd_log}

if __name__ == "__main__":
    COMMANDS[sys.argv[1]](sys.argv[2:])
