#!/usr/bin/env python3
"""dirbench.py - the figures of issue 12 for `dir`, side by side with git;
run by bench.sh after plan.py (BENCH_DIR=0 skips it), or alone by
dirbench.sh.

  python3 dirbench.py --tmp DIR --cfph BIN

DIR is an empty folder this script fills and empties again. It generates
a folder of DIR_BENCH_FILES files (default 100,000) of about
DIR_BENCH_SIZE bytes each (default 10,000: about 1 GB) in 2,000 folders,
and a second build of it that differs in 1% of the files (four fifths
modified, a tenth deleted, a tenth added; the unchanged ones are hard
links, so it costs little disk). Four goals:

  10. First run of `dir DIR` (no state, so no stat cache): at most 1.0x
      the time of `git hash-object --stdin-paths` over the same files.
      Measured without --dry-run (the real work: the trees are written,
      the state recorded, the requests sent) and with it. The real run
      sends to http://127.0.0.1:9 with retries = 0, so the send fails at
      once and the request goes to the spool (a temporary folder); a
      spooled request counts as handled, so the run still records its
      state. The verdict is the run without --dry-run.
  11. Second run, nothing changed: at most 1.5x `git status --porcelain`
      over the same folder as a git work tree whose index is up to date
      (object ids from `git update-index --add --info-only`, no blobs
      written, and a HEAD commit of the same tree, so that status lists
      nothing; refreshed, and its stat info older than the index, so git
      rehashes nothing). The program's stat cache is written by a real run
      one second before, so it is not racy either; a check run with -v
      must say it read no file.
  12. Peak memory (max RSS) at most 2x git's, for each of the three pairs
      (10, 11 and 13). Beside each, the floor of each side, measured the
      same way: the same command on a folder of one file. The verdict is
      on the plain ratio; the floors only show how much of a figure is
      start-up (libgit2's initialisation maps libcrypto and parses the CA
      bundle) and how much grows with the files.
  13. `dir OLD NEW` on the two builds, --dry-run: at most 2.0x `git diff
      --no-index --name-only` of the two folders. Its --json `changes`
      must list exactly the paths and statuses `git diff --no-index
      --no-renames --name-status` lists, or the exit status is 1.

Timing as in bench.py: commands compared run interleaved (A B A B ...),
each once unmeasured first, then DIR_BENCH_RUNS times (default
BENCH_RUNS, else 5), verdicts on the medians. Before that, every file of
both builds is read once, so the page cache is warm for both sides. Peak
memory is the median of three runs under GNU time (-f %M), else from
wait4's rusage (which then counts this Python's memory too, see bench.py).

Python 3 standard library only.
"""

import json
import os
import random
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# Bench, Result, ms, options, ratio, x, print_table:
import bench  # noqa: E402

FOLDERS, SUBFOLDERS = 50, 40
GIT = shutil.which("git") or "git"      # posix_spawn does not search PATH

CONFIG = """[cloudflare]
zone_id = %s
api_url = http://127.0.0.1:9/client/v4
spool_dir = %s
retries = 0
[site]
base_url = https://example.com
[state]
dir = %s
"""


class Cmd:
    """
    One command to measure: its argv, environment and stdin, what to do
    before each run (not timed), and the exit statuses that are not a
    failure.
    """

    def __init__(self, name, argv, env, stdin="/dev/null", prepare=None,
                 statuses=(0,)):
        self.name = name
        self.argv = argv
        self.env = env
        self.stdin = stdin
        self.prepare = prepare or (lambda: None)
        self.statuses = statuses


def measure(b, cmds, runs, rss_runs=3):
    """
    Like Bench.measure, with a stdin, a preparation and accepted exit
    statuses per command. Returns {name: bench.Result}.
    """
    res = {c.name: bench.Result(c.name) for c in cmds}
    ok = {}
    for c in cmds:
        c.prepare()
        _, _, status = b.spawn(c.argv, c.env, stdin=c.stdin)
        ok[c.name] = accept(b, c, status)
    for _ in range(runs):
        for c in cmds:
            if not ok[c.name]:
                continue
            c.prepare()
            seconds, _, status = b.spawn(c.argv, c.env, stdin=c.stdin)
            if not accept(b, c, status):
                ok[c.name] = False
                res[c.name].times = []
                continue
            res[c.name].times.append(seconds)
    for _ in range(rss_runs):
        for c in cmds:
            if ok[c.name]:
                c.prepare()
                rss, _ = b.rss_once(c.argv, c.env, stdin=c.stdin)
                res[c.name].rss.append(rss)
    floor = b.rss_floor()
    for r in res.values():
        r.floor = floor
    return res


def accept(b, c, status):
    if status in c.statuses:
        return True
    return b.check_status(c.name, status)


def rmtree(path):
    shutil.rmtree(path, ignore_errors=True)


# ---------------------------------------------------------------------------
# The folders
# ---------------------------------------------------------------------------
def generate(top_a, top_b, n, size):
    """
    Writes n files of about size bytes below top_a, and top_b as a copy
    (hard links) where one file in a hundred differs. Returns the
    expected differences as a set of (status letter, path).
    """
    rnd = random.Random(12)
    blob = os.urandom(size * 4)
    want = set()
    made = set()
    for i in range(n):
        rel = os.path.join("s%02d" % (i % FOLDERS),
                           "f%03d" % (i // FOLDERS % SUBFOLDERS))
        if rel not in made:
            os.makedirs(os.path.join(top_a, rel))
            os.makedirs(os.path.join(top_b, rel))
            made.add(rel)
        name = os.path.join(rel, "p%06d.html" % i)
        k = rnd.randrange(size * 3)
        body = blob[k:k + size]
        with open(os.path.join(top_a, name), "wb") as f:
            f.write(b"%d\n" % i + body)
        if i % 100 != 99:
            os.link(os.path.join(top_a, name), os.path.join(top_b, name))
            continue
        kind = i // 100 % 10
        if kind == 0:
            want.add(("D", name))
            continue
        if kind == 1:       # added beside it, so the build stays n files
            os.link(os.path.join(top_a, name), os.path.join(top_b, name))
            name = os.path.join(rel, "n%06d.html" % i)
            want.add(("A", name))
        else:
            want.add(("M", name))
        # The same size, so that no size check tells them apart.
        with open(os.path.join(top_b, name), "wb") as f:
            f.write(b"%d\n" % (i + n) + body)
    return want


def files_of(top):
    """Every file below top, sorted, as absolute paths."""
    out = []
    for d, _, names in os.walk(top):
        out += [os.path.join(d, name) for name in names]
    out.sort()
    return out


def read_all(paths):
    """Reads every file once: a warm page cache for both sides."""
    total = 0
    for p in paths:
        with open(p, "rb") as f:
            while True:
                chunk = f.read(1 << 20)
                if not chunk:
                    break
                total += len(chunk)
    return total


def git_index(b, gitdir, worktree, env):
    """
    A bare repository whose index holds every file of worktree, with the
    object ids only (no objects written), refreshed so that `git status`
    rehashes nothing. Returns the environment that points git at it.
    """
    genv = dict(env, GIT_DIR=gitdir, GIT_WORK_TREE=worktree)
    subprocess.run(["git", "init", "-q", "--bare", gitdir], check=True,
                   env=env)
    rel = [os.path.relpath(p, worktree) for p in files_of(worktree)]
    subprocess.run(["git", "update-index", "--add", "--info-only",
                    "--stdin"], input="\n".join(rel) + "\n", text=True,
                   check=True, env=genv, cwd=worktree)
    # A commit of the index's tree, so that status compares the index
    # with a HEAD that holds the same files and lists nothing: without
    # one, every file would be listed as added, work that a site whose
    # deploys are committed does not ask of git. Trees and a commit are
    # written; the blobs stay missing, as status never reads them.
    cenv = dict(genv, GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="b@x",
                GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="b@x")
    tree = subprocess.run(["git", "write-tree", "--missing-ok"], env=cenv,
                          check=True, capture_output=True,
                          text=True).stdout.strip()
    commit = subprocess.run(["git", "commit-tree", "-m", "build", tree],
                            env=cenv, check=True, capture_output=True,
                            text=True).stdout.strip()
    subprocess.run(["git", "update-ref", "HEAD", commit], env=cenv,
                   check=True)
    return genv


def git_settle(genv, worktree):
    """
    After the second's sleep: the index's stat info is older than the
    index (not racy), and `git update-index --refresh` and one status
    make sure git trusts it. Returns git status's output (empty when the
    index is up to date).
    """
    subprocess.run(["git", "update-index", "-q", "--refresh"], env=genv,
                   cwd=worktree, check=False)
    out = subprocess.run(["git", "status", "--porcelain"], env=genv,
                         cwd=worktree, capture_output=True, text=True)
    return out.stdout


def diff_git(a_parent, a, b_):
    """`git diff --no-index --no-renames --name-status` as a set of
    (status letter, path below the folders)."""
    out = subprocess.run(["git", "diff", "--no-index", "--no-renames",
                          "--name-status", "-z", a, b_], cwd=a_parent,
                         capture_output=True).stdout
    fields = out.split(b"\0")
    got = set()
    for i in range(0, len(fields) - 1, 2):
        path = fields[i + 1].decode("utf-8", "surrogateescape")
        # git names each path with its folder in front: a/x or b/x.
        got.add((fields[i].decode("ascii")[:1], path.split("/", 1)[1]))
    return got


def diff_program(b, cfph, cfg, a, b_, env, out):
    _, _, status = b.spawn([cfph, "-c", cfg, "dir", a, b_, "--dry-run",
                            "--json"], env, stdout=out)
    if not b.check_status("dir OLD NEW --dry-run --json", status):
        return None
    letters = {"added": "A", "deleted": "D", "modified": "M",
               "typechange": "T"}
    with open(out, encoding="utf-8") as f:
        doc = json.load(f)
    return set((letters.get(c.get("status"), "?"), c.get("path"))
               for c in doc.get("changes", []))


def files_read(b, cfph, cfg, top, env):
    """
    How many files a run with -v says it read (None when it does not
    say), and whether it found the state of the run before.
    """
    b.spawn([cfph, "-v", "-c", cfg, "dir", top], env)
    nread, state = None, True
    with open(b.errfile, encoding="utf-8", errors="replace") as f:
        for line in f:
            if "no state yet" in line:
                state = False
            if "read " in line and " files in " in line:
                try:
                    nread = int(line.split("read ", 1)[1].split()[0])
                except ValueError:
                    pass
    return nread, state


# ---------------------------------------------------------------------------
# Printing
# ---------------------------------------------------------------------------
def mb(kb):
    return "-" if kb != kb else "%.1f MB" % (kb / 1024)


def mb_delta(kb):
    return "-" if kb != kb else "%+.1f MB" % (kb / 1024)


def show(results, names):
    for name in names:
        print(results[name].line())


def memory(label, prog, git, prog_floor, git_floor, rows, goal_label,
           verdict=True):
    """Prints a peak memory comparison with both floors; adds its row."""
    r = bench.ratio(prog.peak, git.peak)
    print("  peak memory%s: %s vs git's %s: %s (goal: at most 2x)"
          % (label, mb(prog.peak), mb(git.peak), bench.x(r)))
    print("    floors (the same command on one file): program %s, git %s;"
          % (mb(prog_floor.peak), mb(git_floor.peak)))
    print("    above its floor: program %s, git %s"
          % (mb_delta(prog.peak - prog_floor.peak),
             mb_delta(git.peak - git_floor.peak)))
    rows.append((goal_label, r, "<= 2.00x", r <= 2.0 if verdict else None))


def main(argv):
    opts = bench.options("dirbench.py", argv, ("tmp", "cfph"))
    if opts is None:
        return 2
    tmp, cfph = opts["tmp"], opts["cfph"]
    n = int(os.environ.get("DIR_BENCH_FILES", "100000"))
    size = int(os.environ.get("DIR_BENCH_SIZE", "10000"))
    runs = int(os.environ.get("DIR_BENCH_RUNS",
                              os.environ.get("BENCH_RUNS", "5")))
    if (n < 100 and n != 0) or size < 1:
        sys.stderr.write("dirbench: DIR_BENCH_FILES must be at least 100 "
                         "and DIR_BENCH_SIZE at least 1\n")
        return 2
    os.makedirs(tmp, exist_ok=True)
    free = shutil.disk_usage(tmp).free
    need = n * (size + 4096) * 1.1
    if free < need:
        sys.stderr.write("dirbench: %.1f GB free in '%s', about %.1f GB "
                         "needed; set DIR_BENCH_FILES or DIR_BENCH_SIZE, "
                         "or TMPDIR\n" % (free / 1e9, tmp, need / 1e9))
        return 1
    b = bench.Bench(tmp, runs)
    env = dict(b.env, CF_API_TOKEN="bench-token")
    try:
        return run(b, tmp, cfph, n, size, runs, env)
    finally:
        for name in os.listdir(tmp):
            rmtree(os.path.join(tmp, name))


def run(b, tmp, cfph, n, size, runs, env):
    rows = []
    start = time.perf_counter()
    if n == 0:      # DIR_BENCH_FILES=0: issue 20's rows alone
        run_small(b, tmp, cfph, runs, env, rows)
        return summary(b, rows, start)
    j = lambda *p: os.path.join(tmp, *p)  # noqa: E731
    big_a, big_b = j("big", "a"), j("big", "b")
    one_a, one_b = j("one", "a"), j("one", "b")
    print("dir (issue 12): %s files of about %s bytes, %d runs per command"
          % ("{:,}".format(n), "{:,}".format(size), runs), flush=True)
    want = generate(big_a, big_b, n, size)
    generate_one(one_a, one_b, size)
    paths = files_of(big_a)
    with open(j("paths"), "w", encoding="utf-8") as f:
        f.write("".join(p + "\n" for p in paths))
    with open(j("paths-one"), "w", encoding="utf-8") as f:
        f.write(os.path.join(one_a, "p.html") + "\n")
    nbytes = read_all(paths) + read_all(files_of(big_b))
    print("  generated in %.1f s: %s and a second build differing in %d "
          "files (%d modified, %d deleted, %d added); %.0f MB read once "
          "for a warm page cache"
          % (time.perf_counter() - start, "{:,} files".format(len(paths)),
             len(want), sum(1 for s, _ in want if s == "M"),
             sum(1 for s, _ in want if s == "D"),
             sum(1 for s, _ in want if s == "A"), nbytes / 1e6))
    print(flush=True)
    cfg_big, cfg_one = j("big.ini"), j("one.ini")
    with open(cfg_big, "w", encoding="utf-8") as f:
        f.write(CONFIG % (bench.ZONE, j("spool-big"), j("state-big")))
    with open(cfg_one, "w", encoding="utf-8") as f:
        f.write(CONFIG % (bench.ZONE, j("spool-one"), j("state-one")))

    def fresh(which):
        return lambda: (rmtree(j("state-" + which)),
                        rmtree(j("spool-" + which)))

    def unspooled(which):
        return lambda: rmtree(j("spool-" + which))

    # 10. The first run.
    print("10. First run of dir DIR (no state, no stat cache) vs git "
          "hash-object --stdin-paths", flush=True)
    first = [
        Cmd("git hash-object --stdin-paths", [GIT, "hash-object",
            "--stdin-paths"], env, stdin=j("paths")),
        Cmd("dir DIR (real: send fails, spooled)",
            [cfph, "-c", cfg_big, "dir", big_a], env,
            prepare=fresh("big"), statuses=(0, 1)),
        Cmd("dir DIR --dry-run", [cfph, "-c", cfg_big, "dir", big_a,
                                  "--dry-run"], env, prepare=fresh("big")),
    ]
    r1 = measure(b, first, runs)
    floor1 = measure(b, [
        Cmd("floor: git hash-object, 1 file", [GIT, "hash-object",
            "--stdin-paths"], env, stdin=j("paths-one")),
        Cmd("floor: dir DIR (real), 1 file",
            [cfph, "-c", cfg_one, "dir", one_a], env, prepare=fresh("one"),
            statuses=(0, 1)),
        Cmd("floor: dir DIR --dry-run, 1 file",
            [cfph, "-c", cfg_one, "dir", one_a, "--dry-run"], env,
            prepare=fresh("one")),
    ], runs)
    show(r1, [c.name for c in first])
    show(floor1, list(floor1))
    g, real, dry = (r1[c.name] for c in first)
    gf, realf, dryf = (floor1[k] for k in floor1)
    t10 = bench.ratio(real.median, g.median)
    t10d = bench.ratio(dry.median, g.median)
    print("  with no state, both plan one purge of everything "
          "(on_missing = everything); the real\n  run also writes the "
          "trees, the state and the stat cache, and spools the request")
    print("  time, medians: real run %s, dry run %s (goal: at most 1.0x; "
          "the verdict is the real run's)" % (bench.x(t10), bench.x(t10d)))
    memory(" (real run)", real, g, realf, gf, rows,
           "12. dir first run (real): max RSS vs hash-object")
    memory(" (dry run)", dry, g, dryf, gf, rows,
           "12. dir first run (dry run): max RSS vs hash-object",
           verdict=False)
    print(flush=True)
    rows.append(("10. dir first run (real) vs git hash-object", t10,
                 "<= 1.00x", t10 <= 1.0))
    rows.append(("10. dir first run (dry run) vs git hash-object", t10d,
                 "(info)", None))

    # 11. The second run: the state and the stat cache of a real run, and
    # git's index, all older than a second, then checked.
    print("11. Second run of dir DIR, nothing changed, vs git status "
          "--porcelain (index up to date)", flush=True)
    for which, top, cfg in (("big", big_a, cfg_big), ("one", one_a, cfg_one)):
        fresh(which)()
        b.spawn([cfph, "-q", "-c", cfg, "dir", top], env)
    genv = git_index(b, j("g-big"), big_a, env)
    genv1 = git_index(b, j("g-one"), one_a, env)
    time.sleep(1)
    for which, top, cfg, ge in (("big", big_a, cfg_big, genv),
                                ("one", one_a, cfg_one, genv1)):
        unspooled(which)()
        left = git_settle(ge, top)
        if left:
            b.error("git status --porcelain of the %s folder is not empty "
                    "after git update-index --refresh: %s"
                    % (which, " / ".join(left.splitlines()[:3])))
        nread, state = files_read(b, cfph, cfg, top, env)
        if not state:
            b.error("the real run on the %s folder, whose send failed, "
                    "recorded no state" % which)
        if nread != 0:
            b.error("the program's check run on the %s folder read %s "
                    "files; 0 expected from its stat cache" % (which, nread))
    print("  checked: git status lists nothing; after the real run (its "
          "send failed, its request\n  was spooled), a run with -v finds "
          "its state and reads no file (stat cache\n  in use, not racy)")
    second = [
        Cmd("git status --porcelain", [GIT, "status", "--porcelain"],
            genv),
        Cmd("dir DIR, unchanged", [cfph, "-c", cfg_big, "dir", big_a], env),
    ]
    r2 = measure(b, second, runs)
    floor2 = measure(b, [
        Cmd("floor: git status, 1 file", [GIT, "status", "--porcelain"],
            genv1),
        Cmd("floor: dir DIR unchanged, 1 file",
            [cfph, "-c", cfg_one, "dir", one_a], env),
    ], runs)
    show(r2, [c.name for c in second])
    show(floor2, list(floor2))
    g, prog = (r2[c.name] for c in second)
    gf, progf = (floor2[k] for k in floor2)
    t11 = bench.ratio(prog.median, g.median)
    print("  time, medians: %s (goal: at most 1.5x)" % bench.x(t11))
    memory("", prog, g, progf, gf, rows,
           "12. dir second run: max RSS vs git status")
    print(flush=True)
    rows.append(("11. dir second run, unchanged, vs git status", t11,
                 "<= 1.50x", t11 <= 1.5))

    # 13. Two builds.
    print("13. dir OLD NEW --dry-run, %d files differ, vs git diff "
          "--no-index --name-only" % len(want), flush=True)
    got = diff_program(b, cfph, cfg_big, big_a, big_b, env, j("out.json"))
    gitset = diff_git(j("big"), "a", "b")
    good = got is not None and got == gitset
    if got is not None and got != gitset:
        b.error("dir OLD NEW lists %d changes, git diff --no-index %d; "
                "%d only in the program's, %d only in git's (e.g. %s)"
                % (len(got), len(gitset), len(got - gitset),
                   len(gitset - got),
                   sorted((got - gitset) | (gitset - got))[:3]))
    if gitset != want:
        b.error("git diff --no-index lists %d changes, %d were made"
                % (len(gitset), len(want)))
    print("  changes: git %d, program %s, made %d: %s"
          % (len(gitset), "-" if got is None else len(got), len(want),
             "the same paths and statuses" if good else "DIFFER"))
    third = [
        Cmd("git diff --no-index --name-only",
            [GIT, "diff", "--no-index", "--name-only", big_a, big_b], env,
            statuses=(0, 1)),
        Cmd("dir OLD NEW --dry-run", [cfph, "-c", cfg_big, "dir", big_a,
                                      big_b, "--dry-run"], env),
    ]
    r3 = measure(b, third, runs)
    floor3 = measure(b, [
        Cmd("floor: git diff --no-index, 1 file",
            [GIT, "diff", "--no-index", "--name-only", one_a, one_b], env,
            statuses=(0, 1)),
        Cmd("floor: dir OLD NEW, 1 file",
            [cfph, "-c", cfg_one, "dir", one_a, one_b, "--dry-run"], env),
    ], runs)
    show(r3, [c.name for c in third])
    show(floor3, list(floor3))
    g, prog = (r3[c.name] for c in third)
    gf, progf = (floor3[k] for k in floor3)
    t13 = bench.ratio(prog.median, g.median)
    print("  time, medians: %s (goal: at most 2.0x)" % bench.x(t13))
    memory("", prog, g, progf, gf, rows,
           "12. dir OLD NEW: max RSS vs git diff --no-index")
    print(flush=True)
    rows.append(("13. dir OLD NEW, 1% differ, vs git diff --no-index", t13,
                 "<= 2.00x", t13 <= 2.0))
    rows.append(("13. dir OLD NEW lists what git diff --no-index does",
                 "yes" if good else "NO", "yes", good))

    # 20. Small files and one flat folder (issue 20).
    run_small(b, tmp, cfph, runs, env, rows)
    return summary(b, rows, start)


def summary(b, rows, start):
    """Prints the goals' table and the errors; returns the exit status."""
    rows.sort(key=bench.goal_number)
    print("dir goals (issues 12 and 20; time on medians, max RSS on medians of 3 "
          "runs):")
    for name, value, limit, ok in rows:
        shown = value if isinstance(value, str) else bench.x(value)
        if ok is None:
            word = "info"
        elif value != value:
            word = "failed"
        else:
            word = "meets" if ok else "MISSES"
        print("  %-52s %10s  %-9s %s" % (name, shown, limit, word))
    print("  (the dry run's rows are for information: the real run is the "
          "work a deploy does)")
    print("dir figures measured in %.0f s" % (time.perf_counter() - start))
    print("Reproduce: sh tests/bench/dirbench.sh (DIR_BENCH_FILES, "
          "DIR_BENCH_SIZE and DIR_BENCH_RUNS\nare honoured; in make bench, "
          "BENCH_DIR=0 skips these figures)")
    if b.errors:
        print("\n%d error%s:" % (len(b.errors),
                                 "" if len(b.errors) == 1 else "s"))
        for e in b.errors:
            print("  " + e)
    return 1 if b.errors else 0


# ---------------------------------------------------------------------------
# Issue 20: small files, and one large flat folder
# ---------------------------------------------------------------------------
def generate_small(top, n, folders, lo=200, hi=3000):
    """
    Writes n files of lo to hi bytes (uniformly drawn, as a site of
    pages, scripts and icons) in folders folders below top (one folder
    when folders is 1: every file directly in top). Returns their paths.
    """
    rnd = random.Random(20)
    blob = os.urandom(hi * 4)
    paths = []
    for d in range(folders):
        os.makedirs(os.path.join(top, "d%04d" % d) if folders > 1 else top,
                    exist_ok=True)
    for i in range(n):
        size = rnd.randint(lo, hi)
        k = rnd.randrange(len(blob) - size)
        if folders > 1:
            p = os.path.join(top, "d%04d" % (i % folders), "p%06d.js" % i)
        else:
            p = os.path.join(top, "p%06d.js" % i)
        with open(p, "wb") as f:
            f.write(b"%d\n" % i + blob[k:k + size])
        paths.append(p)
    paths.sort()
    return paths


def syscalls_per_file(b, cfph, cfg, top, n, env, fresh):
    """
    System calls of a first run (no state) over top's n files, counted
    by strace -f -c, per file, less a first run over one file: a dict
    {"stat": ..., "read": ..., "open": ...}, or None without strace.
    The counts do not depend on the machine's load.
    """
    strace = shutil.which("strace")    # posix_spawn does not search PATH
    if not strace:
        return None

    def count(folder):
        fresh()
        out = os.path.join(b.tmp, "strace.out")
        b.spawn([strace, "-f", "-c", "-o", out, cfph, "-q", "-c", cfg,
                 "dir", folder, "--dry-run"], env)
        got = {"stat": 0, "read": 0, "open": 0}
        try:
            with open(out, encoding="utf-8") as f:
                for line in f:
                    w = line.split()
                    if len(w) < 5 or not w[3].isdigit():
                        continue
                    name, calls = w[-1], int(w[3])
                    if name in ("newfstatat", "fstat", "lstat", "stat",
                                "statx", "fstatat64"):
                        got["stat"] += calls
                    elif name in ("read", "pread64"):
                        got["read"] += calls
                    elif name in ("openat", "open"):
                        got["open"] += calls
        except OSError:
            return None
        return got

    one = os.path.join(b.tmp, "sys-one")
    os.makedirs(one, exist_ok=True)
    with open(os.path.join(one, "p.js"), "w") as f:
        f.write("x\n")
    many, floor = count(top), count(one)
    rmtree(one)
    if many is None or floor is None:
        return None
    return {k: (many[k] - floor[k]) / max(n - 1, 1) for k in many}


def run_small(b, tmp, cfph, runs, env, rows):
    """
    Issue 20's rows: small files (DIR_BENCH_SMALL_FILES of 0.2-3 kB in
    DIR_BENCH_SMALL_FOLDERS folders) and one flat folder
    (DIR_BENCH_FLAT_FILES files), first and unchanged second runs, with
    the system calls per file of a first run.
    """
    n = int(os.environ.get("DIR_BENCH_SMALL_FILES", "200000"))
    nf = int(os.environ.get("DIR_BENCH_SMALL_FOLDERS",
                            str(max(1, n // 50))))
    flat_n = int(os.environ.get("DIR_BENCH_FLAT_FILES", "43010"))
    j = lambda *p: os.path.join(tmp, *p)  # noqa: E731
    cases = []
    if n > 0:
        cases.append(("small", "%s files of 0.2-3 kB in %s folders"
                      % ("{:,}".format(n), "{:,}".format(nf)), n, nf))
    if flat_n > 0:
        cases.append(("flat", "%s files of 0.2-3 kB in one folder"
                      % "{:,}".format(flat_n), flat_n, 1))
    for which, label, count, folders in cases:
        top = j(which, "site")
        start = time.perf_counter()
        paths = generate_small(top, count, folders)
        with open(j(which + "-paths"), "w", encoding="utf-8") as f:
            f.write("".join(p + "\n" for p in paths))
        read_all(paths)
        cfg = j(which + ".ini")
        with open(cfg, "w", encoding="utf-8") as f:
            f.write(CONFIG % (bench.ZONE, j("spool-" + which),
                              j("state-" + which)))

        def fresh(w=which):
            rmtree(j("state-" + w))
            rmtree(j("spool-" + w))

        print("20. %s (generated in %.1f s)"
              % (label, time.perf_counter() - start), flush=True)
        if which == "small":
            first = [
                Cmd("git hash-object --stdin-paths",
                    [GIT, "hash-object", "--stdin-paths"], env,
                    stdin=j(which + "-paths")),
                Cmd("dir DIR, first run (real)",
                    [cfph, "-c", cfg, "dir", top], env, prepare=fresh,
                    statuses=(0, 1)),
            ]
            r = measure(b, first, runs, rss_runs=0)
            show(r, [c.name for c in first])
            g, prog = (r[c.name] for c in first)
            t = bench.ratio(prog.median, g.median)
            print("  first run: %s of git hash-object (goal: at most 1.0x)"
                  % bench.x(t))
            rows.append(("20. small files: first run vs hash-object", t,
                         "<= 1.00x", t <= 1.0))
            sc = syscalls_per_file(b, cfph, cfg, top, count, env, fresh)
            if sc:
                print("  system calls per file, first run (strace -c, "
                      "less a one-file run): %.2f stat, %.2f read, "
                      "%.2f open" % (sc["stat"], sc["read"], sc["open"]))
                rows.append(("20. small files: stat calls per file, first "
                             "run", "%.2f" % sc["stat"], "<= 1",
                             sc["stat"] <= 1.05))
        fresh()
        b.spawn([cfph, "-q", "-c", cfg, "dir", top], env)
        genv = git_index(b, j("g-" + which), top, env)
        time.sleep(1)
        rmtree(j("spool-" + which))
        left = git_settle(genv, top)
        if left:
            b.error("git status --porcelain of the %s folder is not empty"
                    % which)
        nread, state = files_read(b, cfph, cfg, top, env)
        if not state or nread != 0:
            b.error("the check run on the %s folder read %s files (0 "
                    "expected) or found no state" % (which, nread))
        second = [
            Cmd("git status --porcelain", [GIT, "status", "--porcelain"],
                genv),
            Cmd("dir DIR, unchanged", [cfph, "-c", cfg, "dir", top], env),
        ]
        r = measure(b, second, runs, rss_runs=0)
        show(r, [c.name for c in second])
        g, prog = (r[c.name] for c in second)
        t = bench.ratio(prog.median, g.median)
        print("  unchanged second run: %s of git status (goal: at most "
              "1.2x)" % bench.x(t))
        rows.append(("20. %s: unchanged run vs git status"
                     % ("small files" if which == "small" else
                        "one flat folder"), t, "<= 1.20x", t <= 1.2))
        print(flush=True)
        rmtree(j(which))
        rmtree(j("g-" + which))


def generate_one(top_a, top_b, size):
    """One file in each folder, differing: the floors' folders."""
    os.makedirs(top_a)
    os.makedirs(top_b)
    with open(os.path.join(top_a, "p.html"), "wb") as f:
        f.write(b"a" * size)
    with open(os.path.join(top_b, "p.html"), "wb") as f:
        f.write(b"b" * size)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
