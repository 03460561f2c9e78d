#!/usr/bin/env python3
"""docsgen.py - a `git fast-import` stream of a versioned-docs site, for
t11-planner.sh. Each commit is one deploy on refs/heads/main, tagged d0,
d1, ... in order. Every file's content names its path and a build number,
so that a rebuilt file is a different blob.

The site lives under public/. A version folder vN/ holds index.html and 15
sections s00..s14 of 100 pages each: 1,501 files. latest/ is a copy of the
newest version (its own 1,501 files).

  d0  public/robots.txt only
  d1  v1/, v2/ and latest/ (4,503 files: more than 90% of the site)
  d2  release: v3/ added, latest/ rewritten as v3          (3,002 files)
  d3  hotfix: 3 pages of latest/s03/                        (3 files)
  d4  rebuild of v2/ (every file)                           (1,501 files)
  d5  40% of v2/ changed, scattered: pages 00..39 of every section (600)
  d6  v1/ renamed to archive/v1/                            (3,002 paths)

Python 3 standard library only.
"""

import sys

SECTIONS = 15
PAGES = 100


def version_files(folder, build):
    files = {"public/%s/index.html" % folder: build}
    for s in range(SECTIONS):
        for p in range(PAGES):
            files["public/%s/s%02d/p%02d.html" % (folder, s, p)] = build
    return files


def main():
    out = sys.stdout.buffer
    state = {}
    deploys = []

    # d0
    state["public/robots.txt"] = "r1"
    deploys.append(dict(state))
    # d1
    state.update(version_files("v1", "v1b1"))
    state.update(version_files("v2", "v2b1"))
    state.update(version_files("latest", "v2b1"))
    deploys.append(dict(state))
    # d2
    state.update(version_files("v3", "v3b1"))
    state.update(version_files("latest", "v3b1"))
    deploys.append(dict(state))
    # d3
    for p in (10, 20, 30):
        state["public/latest/s03/p%02d.html" % p] = "v3b1-hotfix"
    deploys.append(dict(state))
    # d4
    state.update(version_files("v2", "v2b2"))
    deploys.append(dict(state))
    # d5
    for s in range(SECTIONS):
        for p in range(40):
            state["public/v2/s%02d/p%02d.html" % (s, p)] = "v2b3"
    deploys.append(dict(state))
    # d6
    for path in [k for k in state if k.startswith("public/v1/")]:
        state["public/archive/" + path[len("public/"):]] = state.pop(path)
    deploys.append(dict(state))

    prev = {}
    for i, files in enumerate(deploys):
        msg = b"deploy d%d\n" % i
        out.write(b"commit refs/heads/main\n")
        out.write(b"committer Deploy <deploy@example.com> %d +0000\n"
                  % (1700000000 + i))
        out.write(b"data %d\n%s" % (len(msg), msg))
        for path in sorted(prev):
            if path not in files:
                out.write(b"D %s\n" % path.encode())
        for path in sorted(files):
            if prev.get(path) != files[path]:
                data = ("%s %s\n" % (path, files[path])).encode()
                out.write(b"M 100644 inline %s\ndata %d\n%s\n"
                          % (path.encode(), len(data), data))
        out.write(b"\n")
        out.write(b"reset refs/tags/d%d\nfrom refs/heads/main\n\n" % i)
        prev = files


main()
