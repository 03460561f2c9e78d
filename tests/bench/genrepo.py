#!/usr/bin/env python3
"""genrepo.py - writes a `git fast-import` stream for the benchmark.

  python3 genrepo.py big    > stream     # the 100,000-file repository
  python3 genrepo.py small  > stream     # the ten-file repository

The big repository has 100,000 files, all under public/:
public/dNN/sMM/ (10 x 100 folders) each with index.html, p01..p79.html,
c0..c9.css and img/i0..i9.png. Its commits, tagged for the benchmark:

  c1  the whole tree
  c2  one file changed            (public/d04/s42/p01.html)
  c3  10,000 files changed        (the 10 files of every folder whose
                                   number ends in 3: spread over all 2,000
                                   folders that hold files)
  c4  every file changed          (100,000)
  c5  3,000 files changed         (p05, p06, p07 of every folder: none is an
                                   index.html, so 3,000 URLs exactly)

The small repository has ten files in public/d04/s42/ and two commits:
c1, and c2 which changes public/d04/s42/p01.html as in the big one.

Each file's content is one line naming its path and its version, so that a
change is a different blob. Python 3 standard library only.
"""

import sys

COMMITTER = b"Bench <bench@example.com>"
CHANGED_ONE = "public/d04/s42/p01.html"


def folder_files():
    """The 100 names of one folder, in a fixed order."""
    names = ["index.html"]
    names += ["p%02d.html" % i for i in range(1, 80)]
    names += ["c%d.css" % i for i in range(10)]
    names += ["img/i%d.png" % i for i in range(10)]
    return names


def big_paths():
    files = folder_files()
    for d in range(10):
        for s in range(100):
            base = "public/d%02d/s%02d/" % (d, s)
            for name in files:
                yield base + name


class Stream:
    def __init__(self, out):
        self.out = out
        self.mark = 0
        self.time = 1700000000

    def commit(self, message, changes):
        """changes: list of (path, content bytes). Returns the mark."""
        self.mark += 1
        self.time += 60
        msg = message.encode()
        parts = [b"commit refs/heads/main\nmark :%d\n" % self.mark,
                 b"committer %s %d +0000\n" % (COMMITTER, self.time),
                 b"data %d\n%s\n" % (len(msg), msg)]
        for path, content in changes:
            parts.append(b"M 100644 inline %s\ndata %d\n%s\n"
                         % (path.encode(), len(content), content))
        parts.append(b"\n")
        self.out.write(b"".join(parts))
        return self.mark

    def tag(self, name, mark):
        self.out.write(b"reset refs/tags/%s\nfrom :%d\n\n"
                       % (name.encode(), mark))


def content(path, version):
    return b"<p>%s version %d</p>\n" % (path.encode(), version)


def big(out):
    st = Stream(out)
    paths = list(big_paths())
    st.tag("c1", st.commit("the whole tree",
                           [(p, content(p, 1)) for p in paths]))
    st.tag("c2", st.commit("one file",
                           [(CHANGED_ONE, content(CHANGED_ONE, 2))]))
    # Index 3, 13, ..., 93 of each folder's 100 names: 10 per folder.
    tenth = [p for i, p in enumerate(paths) if i % 10 == 3]
    assert len(tenth) == 10000
    st.tag("c3", st.commit("10,000 files",
                           [(p, content(p, 3)) for p in tenth]))
    st.tag("c4", st.commit("every file",
                           [(p, content(p, 4)) for p in paths]))
    purge = [p for p in paths if p.rsplit("/", 1)[1] in
             ("p05.html", "p06.html", "p07.html")]
    assert len(purge) == 3000
    st.tag("c5", st.commit("3,000 files",
                           [(p, content(p, 5)) for p in purge]))


def small(out):
    st = Stream(out)
    names = ["index.html", "p01.html", "p02.html", "p03.html", "p04.html",
             "p05.html", "p06.html", "c0.css", "img/i0.png", "img/i1.png"]
    paths = ["public/d04/s42/" + n for n in names]
    st.tag("c1", st.commit("ten files", [(p, content(p, 1)) for p in paths]))
    st.tag("c2", st.commit("one file",
                           [(CHANGED_ONE, content(CHANGED_ONE, 2))]))


def main(argv):
    out = sys.stdout.buffer
    if argv == ["big"]:
        big(out)
    elif argv == ["small"]:
        small(out)
    else:
        sys.stderr.write("usage: genrepo.py big|small\n")
        return 2
    # With --done, git fast-import fails on a stream cut short.
    out.write(b"done\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
