#!/usr/bin/env python3
"""gendocs.py - a `git fast-import` stream of a versioned-docs site with
about 400 deploys, for the planner's figures (plan.py).

  python3 gendocs.py STATS.json > stream

Every commit is one deploy on refs/heads/main, tagged d0, d1, ... The site
is under public/: version folders vN/ of 70 sections sMM/ of 100 pages
(7,000 files each), latest/ (a copy of the newest version), blog/ (2,000
posts in six year folders) and assets/ (1,000 files).

  d0    v1..v8, latest, blog, assets: 66,000 files
  then  400 deploys in a fixed pseudo-random order:
          3 releases (a version added and latest/ rewritten: 14,000
            files; the first over a 73,000-file tree)
          8 rebuilds of one version (7,000 files)
          20 scattered changes: 10% to 45% of one version's pages, at random
          30 rebuilds of one section (100 files)
          40 blog batches (20 to 300 posts)
          299 small edits (1 to 30 files of latest/, blog/ or assets/)

STATS.json receives, for each deploy, the files changed and the files of
the site in the old and new trees together. Python 3 standard library.
"""

import json
import random
import sys

SECTIONS = 70
PAGES = 100


def version(folder, build):
    return {"public/%s/s%02d/p%02d.html" % (folder, s, p): build
            for s in range(SECTIONS) for p in range(PAGES)}


def main():
    rng = random.Random(11)
    state = {}
    for v in range(1, 9):
        state.update(version("v%d" % v, "b0"))
    state.update(version("latest", "v8-b0"))
    for y in range(2020, 2026):
        for n in range(334 if y < 2025 else 330):
            state["public/blog/%d/post-%03d.html" % (y, n)] = "b0"
    for n in range(1000):
        state["public/assets/a%04d.%s" % (n, ("css", "js", "png")[n % 3])] = "b0"
    newest = 8

    kinds = (["rebuild"] * 8 + ["scattered"] * 20 + ["section"] * 30 +
             ["blog"] * 40 + ["small"] * 299)
    rng.shuffle(kinds)
    for pos in (100, 220, 340):
        kinds.insert(pos, "release")

    out = sys.stdout.buffer
    stats = []
    prev = {}

    def emit(i, files):
        msg = b"deploy d%d\n" % i
        out.write(b"commit refs/heads/main\n")
        out.write(b"committer Deploy <deploy@example.com> %d +0000\n"
                  % (1700000000 + i))
        out.write(b"data %d\n%s" % (len(msg), msg))
        changed = 0
        for path in sorted(prev):
            if path not in files:
                out.write(b"D %s\n" % path.encode())
                changed += 1
        for path in sorted(files):
            if prev.get(path) != files[path]:
                data = ("%s %s\n" % (path, files[path])).encode()
                out.write(b"M 100644 inline %s\ndata %d\n%s\n"
                          % (path.encode(), len(data), data))
                changed += 1
        out.write(b"\nreset refs/tags/d%d\nfrom refs/heads/main\n\n" % i)
        union = len(set(prev) | set(files))
        return changed, union

    c, u = emit(0, state)
    stats.append({"deploy": 0, "kind": "initial", "changed": c, "site": u})
    prev = dict(state)
    versions = lambda: sorted({p.split("/")[1] for p in state
                               if p.startswith("public/v")})
    for i, kind in enumerate(kinds, 1):
        b = "b%d" % i
        if kind == "release":
            newest += 1
            state.update(version("v%d" % newest, b))
            state.update(version("latest", "v%d-%s" % (newest, b)))
        elif kind == "rebuild":
            state.update(version(rng.choice(versions()), b))
        elif kind == "scattered":
            folder = rng.choice(versions())
            pages = [p for p in state if p.startswith("public/%s/" % folder)]
            for p in rng.sample(pages, int(len(pages) * rng.uniform(0.10, 0.45))):
                state[p] = b
        elif kind == "section":
            folder = rng.choice(versions() + ["latest"])
            s = rng.randrange(SECTIONS)
            for p in range(PAGES):
                state["public/%s/s%02d/p%02d.html" % (folder, s, p)] = b
        elif kind == "blog":
            posts = [p for p in state if p.startswith("public/blog/")]
            for p in rng.sample(posts, rng.randint(20, 300)):
                state[p] = b
        else:
            pool = [p for p in state if p.startswith(
                ("public/latest/s0", "public/blog/2025/", "public/assets/a00"))]
            for p in rng.sample(pool, rng.randint(1, 30)):
                state[p] = b
        c, u = emit(i, state)
        stats.append({"deploy": i, "kind": kind, "changed": c, "site": u})
        prev = dict(state)
    # With --done, git fast-import fails on a stream cut short.
    out.write(b"done\n")
    with open(sys.argv[1], "w", encoding="utf-8") as f:
        json.dump(stats, f)


main()
