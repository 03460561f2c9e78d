#!/usr/bin/env python3
"""plan.py - the planner's figures (issue 11), measured side by side; run
by bench.sh after bench.py.

  python3 plan.py --tmp DIR --cfph BIN

DIR must hold docs.git and docs-stats.json (gendocs.py), and big.git and
small.git (genrepo.py). Four goals:

  1. Over the ~400 deploys of docs.git, planned with the default config:
     no purge of everything while less than half of the site changed.
  2. Total requests at most 0.55x those of the all-URL plan (the same
     deploys with the planner turned off: collapse_threshold = 1000000).
  3. Total collateral (files purged that did not change) at most 0.1% of
     what purging everything on every big deploy would cost: the old
     default, past max_urls = 1,000 URLs, purged everything, whose
     collateral is every file of the site that did not change.
  4. Planning the first release (14,000 files over a 73,000-file tree)
     costs at most 1.5x `git ls-tree -r` of the new commit (wall time,
     interleaved runs, medians).
  5. A one-file change with the planner on: the 100,000-file repository
     within 1.3x of the ten-file one.

Each deploy is planned with `range --dry-run --json`. Python 3 standard
library only.
"""

import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (Bench, options, ratio, x)

CONFIG = """[cloudflare]
zone_id = %s
api_url = http://127.0.0.1:9/client/v4
[site]
base_url = https://example.com
root = public
""" % bench.ZONE


def plan_once(cfph, cfg, repo, old, new):
    out = subprocess.run([cfph, "-c", cfg, "-C", repo, "range",
                          "%s..%s" % (old, new), "--dry-run", "--json"],
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError("%s..%s: exit %d: %s" % (
            old, new, out.returncode, out.stderr.strip()[-300:]))
    return json.loads(out.stdout)


def urls_of(doc):
    return sum(len(r["body"].get("files", [])) for r in doc["requests"])


def everything_of(doc):
    return any("purge_everything" in r["body"] for r in doc["requests"])


def main(argv):
    opts = bench.options("plan.py", argv, ("tmp", "cfph"))
    if opts is None:
        return 2
    tmp, cfph = opts["tmp"], opts["cfph"]
    repo = os.path.join(tmp, "docs.git")
    with open(os.path.join(tmp, "docs-stats.json"), encoding="utf-8") as f:
        stats = json.load(f)
    cfg_plan = os.path.join(tmp, "plan-default.ini")
    cfg_urls = os.path.join(tmp, "plan-urls.ini")
    with open(cfg_plan, "w", encoding="utf-8") as f:
        f.write(CONFIG)
    with open(cfg_urls, "w", encoding="utf-8") as f:
        f.write(CONFIG + "[plan]\ncollapse_threshold = 1000000\n")
    b = bench.Bench(tmp, int(os.environ.get("BENCH_RUNS", "7")))
    rows = []

    print("7. The planner over %d deploys of a versioned-docs site "
          "(gendocs.py)" % (len(stats) - 1), flush=True)
    req_plan = req_urls = 0
    collateral = baseline = 0
    everything_small = everything_all = big = 0
    kinds = {}
    for s in stats[1:]:
        i = s["deploy"]
        doc = plan_once(cfph, cfg_plan, repo, "d%d" % (i - 1), "d%d" % i)
        ref = plan_once(cfph, cfg_urls, repo, "d%d" % (i - 1), "d%d" % i)
        n_plan, n_urls = len(doc["requests"]), len(ref["requests"])
        req_plan += n_plan
        req_urls += n_urls
        share = s["changed"] / s["site"]
        if everything_of(doc):
            everything_all += 1
            everything_small += share < 0.5
            collateral += s["site"] - s["changed"]
        elif "planner" in doc:
            collateral += doc["planner"]["collateral"]
        if urls_of(ref) > 1000:
            big += 1
            baseline += s["site"] - s["changed"]
        k = kinds.setdefault(s["kind"], [0, 0, 0])
        k[0] += 1
        k[1] += n_plan
        k[2] += n_urls
    for kind, (n, a, u) in sorted(kinds.items()):
        print("  %-10s %4d deploys: %6d requests planned, %6d all-URL"
              % (kind, n, a, u))
    r_req = bench.ratio(req_plan, req_urls)
    r_col = bench.ratio(collateral, baseline)
    print("  purge everything: %d deploys, %d of them under half of the site"
          % (everything_all, everything_small))
    print("  requests: %d planned vs %d all-URL: %s (goal: at most 0.55x)"
          % (req_plan, req_urls, bench.x(r_req)))
    print("  collateral: %d files vs %d when each of the %d deploys past "
          "1,000 URLs purged everything: %.4f%% (goal: at most 0.1%%)\n"
          % (collateral, baseline, big, 100 * r_col), flush=True)
    rows.append(("7. purge everything under half of the site changed",
                 everything_small, "0", everything_small == 0))
    rows.append(("7. requests, planned vs all-URL", r_req, "<= 0.55x",
                 r_req <= 0.55))
    rows.append(("7. collateral vs everything past 1,000 URLs", r_col,
                 "<= 0.001", r_col <= 0.001))

    first = next(s["deploy"] for s in stats if s["kind"] == "release")
    print("8. Planning the first release (%d files over a %d-file tree) vs "
          "git ls-tree -r of the new commit (%d runs each)"
          % (stats[first]["changed"], stats[first]["site"], b.runs),
          flush=True)
    r8 = b.measure([
        ("git ls-tree -r", [shutil.which("git"), "-C", repo, "ls-tree", "-r",
                            "d%d" % first], None),
        ("cf-purge-hook range --dry-run --json",
         [cfph, "-c", cfg_plan, "-C", repo, "range",
          "d%d..d%d" % (first - 1, first), "--dry-run", "--json"], None),
    ])
    g8, h8 = r8.values()
    print(g8.line())
    print(h8.line())
    t8 = bench.ratio(h8.median, g8.median)
    print("  time ratio: median %s, best %s (goal: at most 1.5x)\n"
          % (bench.x(t8), bench.x(bench.ratio(h8.best, g8.best))), flush=True)
    rows.append(("8. planning 14k of 73k files vs git ls-tree -r", t8,
                 "<= 1.50x", t8 <= 1.5))

    bigrepo = os.path.join(tmp, "big.git")
    small = os.path.join(tmp, "small.git")
    if os.path.isdir(bigrepo) and os.path.isdir(small):
        tiny = 3 * b.runs
        print("9. One changed file with the planner on: 100,000-file repo vs "
              "ten-file repo (%d runs each)" % tiny, flush=True)
        cfg_big = os.path.join(tmp, "plan-big.ini")
        with open(cfg_big, "w", encoding="utf-8") as f:
            f.write(CONFIG)
        r9 = b.measure([
            ("1 file, 100,000-file repo", [cfph, "-c", cfg_big, "-C", bigrepo,
             "range", "c1..c2", "--dry-run", "--json"], None),
            ("1 file, 10-file repo", [cfph, "-c", cfg_big, "-C", small,
             "range", "c1..c2", "--dry-run", "--json"], None),
        ], runs=tiny)
        a9, s9 = r9.values()
        print(a9.line())
        print(s9.line())
        t9 = bench.ratio(a9.median, s9.median)
        print("  time ratio: median %s, best %s (goal: at most 1.3x)\n"
              % (bench.x(t9), bench.x(bench.ratio(a9.best, s9.best))),
              flush=True)
        rows.append(("9. one-file change, planner on, 100k vs 10 files", t9,
                     "<= 1.30x", t9 <= 1.3))

    print("Planner goals:")
    for name, value, goal, ok in rows:
        shown = value if isinstance(value, int) else (
            "%.4f" % value if goal.startswith("<= 0.0") else bench.x(value))
        print("  %-52s %10s  %-9s %s" % (name, shown, goal,
                                         "meets" if ok else "MISSES"))
    return 1 if b.errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
