#!/usr/bin/env python3
"""bench.py - the measurements behind `make bench`; bench.sh runs it.

  python3 bench.py run --tmp DIR --cfph BIN --root TOP --empty BIN
                       [--floor BIN]
  python3 bench.py count FILE      (prints what a --json output holds)

`run` expects bench.sh to have built, in DIR, big.git and small.git (see
genrepo.py), the empty C program and, when libgit2's headers were there,
the floor program (libgit2 initialised and the repository given opened,
nothing read). It measures the six goals of the project's performance
issues side by side, prints each goal's details, then
one table of goal, measured ratio, limit and verdict. It is not a pass/fail
test: its exit status is 1 only when a run failed or the compared work
differs (the program and git disagree on the number of changed paths).

How things are measured
-----------------------
Wall time: every command is started with posix_spawn (stdout and stdin on
/dev/null, stderr to a file), timed with a monotonic clock from the spawn to
the end of wait4, so process creation, dynamic linking and exit are
counted, the same way for every command. Commands that are compared run
interleaved (A B A B ...), so that a change in the machine's load hits both.
Each command runs once unmeasured first (a warm page cache), then RUNS
times; the best and the median are reported, and verdicts use the median.

Marginal cost (issue 13): a run's time above its start-up, taken as the
10,000-change run minus an empty-range run of the same repository, for
the program and for git alike (`git diff` of a commit with itself).
Start-up is most of a short run and mostly libgit2's own (its
initialisation parses the CA bundle with Debian's build), so the
marginal ratio says what the whole-run ratio cannot: whether the
program's own work on the change costs more than git's.

Peak memory (max RSS): with GNU time when /usr/bin/time is GNU time, else
from wait4's rusage. Linux counts the memory of the process that forked
into the child's peak: about 1 MB for GNU time, but 10-15 MB for this
Python, so without GNU time small figures are flagged as "at most the
floor".

Instructions: after the timed goals, goals 1, 2 and 4 and start-up run
once more each under `valgrind --tool=callgrind --trace-children=no`, and
the whole process's instruction count (the "summary:" line of callgrind's
output file) gives the same ratios again. Unlike wall time they repeat
whatever the machine's load, but they leave out the kernel's work (I/O
waits, page faults, mapping shared libraries) and how fast the CPU runs
each instruction, so they sit beside the wall-time figures and do not
replace them. Skipped when valgrind is missing or BENCH_ICOUNT=0.

Python 3 standard library only.
"""

import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ZONE = "023e105f4ecef8ad9ca31a8372d0c353"
TOKEN = "bench-token"
LATENCY_MS = 50
FILES_PER_REQUEST = 30          # the program's default below Enterprise

BASE_CONFIG = """[cloudflare]
zone_id = %s
api_url = %s
[site]
base_url = https://example.com
root = public
"""

# Cloudflare's documented purge limits per account ("Purge cache",
# developers.cloudflare.com/cache/how-to/purge-cache/), for information.
CF_LIMITS = [
    ("Free", "800 URLs/s", "5 requests/minute, bucket 25"),
    ("Pro", "1,500 URLs/s", "5 requests/second, bucket 25"),
    ("Business", "1,500 URLs/s", "10 requests/second, bucket 50"),
    ("Enterprise", "3,000 URLs/s", "50 requests/second, bucket 500"),
]


# ---------------------------------------------------------------------------
# Running and measuring
# ---------------------------------------------------------------------------
class Bench:
    def __init__(self, tmp, runs):
        self.tmp = tmp
        self.runs = runs
        self.errors = []
        self.gnu_time = self._find_gnu_time()
        self.errfile = os.path.join(tmp, "stderr.txt")
        self.rssfile = os.path.join(tmp, "rss.txt")
        self.env = dict(os.environ)

    @staticmethod
    def _find_gnu_time():
        path = "/usr/bin/time"
        if not os.access(path, os.X_OK):
            return None
        try:
            out = subprocess.run([path, "--version"], capture_output=True,
                                 text=True, timeout=10)
        except (OSError, subprocess.SubprocessError):
            return None
        return path if "GNU" in out.stdout + out.stderr else None

    def spawn(self, argv, env=None, stdout="/dev/null", stdin="/dev/null"):
        """Runs argv once; returns (seconds, maxrss KB from wait4, status)."""
        actions = [
            (os.POSIX_SPAWN_OPEN, 0, stdin, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_OPEN, 1, stdout,
             os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644),
            (os.POSIX_SPAWN_OPEN, 2, self.errfile,
             os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644),
        ]
        start = time.perf_counter()
        try:
            pid = os.posix_spawn(argv[0], argv, env or self.env,
                                 file_actions=actions)
        except OSError as e:
            with open(self.errfile, "w", encoding="utf-8") as f:
                f.write("cannot run '%s': %s\n" % (argv[0], e.strerror))
            return 0.0, 0, 127
        _, status, usage = os.wait4(pid, 0)
        seconds = time.perf_counter() - start
        return seconds, usage.ru_maxrss, os.waitstatus_to_exitcode(status)

    def check_status(self, name, status):
        if status == 0:
            return True
        with open(self.errfile, encoding="utf-8", errors="replace") as f:
            err = f.read().strip().splitlines()
        self.error("'%s' exited with status %d%s" % (
            name, status, ": " + " / ".join(err[-3:]) if err else ""))
        return False

    def rss_once(self, argv, env=None, stdin="/dev/null"):
        """Peak memory of one run, in KB, and the exit status."""
        if self.gnu_time:
            cmd = [self.gnu_time, "-f", "%M", "-o", self.rssfile] + argv
            _, _, status = self.spawn(cmd, env, stdin=stdin)
            with open(self.rssfile, encoding="utf-8") as f:
                lines = f.read().split()
            return int(lines[-1]) if lines else 0, status
        _, rss, status = self.spawn(argv, env, stdin=stdin)
        return rss, status

    def measure(self, cmds, runs=None, rss_runs=3):
        """
        Measures cmds (a list of (name, argv, env), or (name, argv, env,
        before) where before() runs untimed ahead of each run: a cold
        run removes the program's links cache there) interleaved.
        Returns {name: Result}.
        """
        runs = runs or self.runs
        cmds = [tuple(c) + (None,) * (4 - len(c)) for c in cmds]
        res = {c[0]: Result(c[0]) for c in cmds}
        ok = {}
        for name, argv, env, before in cmds:  # warm-up, and status check
            if before:
                before()
            _, _, status = self.spawn(argv, env)
            ok[name] = self.check_status(name, status)
        for _ in range(runs):
            for name, argv, env, before in cmds:
                if ok[name]:
                    if before:
                        before()
                    seconds, _, status = self.spawn(argv, env)
                    if not self.check_status(name, status):
                        ok[name] = False
                        res[name].times = []
                        continue
                    res[name].times.append(seconds)
        for _ in range(rss_runs):
            for name, argv, env, before in cmds:
                if ok[name]:
                    if before:
                        before()
                    rss, _ = self.rss_once(argv, env)
                    res[name].rss.append(rss)
        floor = self.rss_floor()
        for r in res.values():
            r.floor = floor
        return res

    def rss_floor(self):
        if self.gnu_time:
            return 0
        import resource
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    def error(self, msg):
        self.errors.append(msg)
        print("ERROR: " + msg, flush=True)


class Result:
    def __init__(self, name):
        self.name = name
        self.times = []
        self.rss = []
        self.floor = 0

    @property
    def ok(self):
        return bool(self.times)

    @property
    def best(self):
        return min(self.times) if self.times else float("nan")

    @property
    def median(self):
        return statistics.median(self.times) if self.times else float("nan")

    @property
    def peak(self):
        return statistics.median(self.rss) if self.rss else float("nan")

    def rss_text(self):
        if not self.rss:
            return "-"
        text = "%.1f MB" % (self.peak / 1024)
        if self.floor and self.peak <= self.floor * 1.05:
            text += " (at most the floor)"
        return text

    def line(self):
        if not self.ok:
            return "  %-44s failed" % self.name
        return "  %-44s best %9s  median %9s  max RSS %s" % (
            self.name, ms(self.best), ms(self.median), self.rss_text())


def ms(seconds):
    if seconds != seconds:
        return "-"
    if seconds >= 10:
        return "%.1f s" % seconds
    return "%.1f ms" % (seconds * 1000)


def ratio(a, b):
    if not b or a != a or b != b:
        return float("nan")
    return a / b


def x(r):
    return "-" if r != r else "%.2fx" % r


# ---------------------------------------------------------------------------
# Instruction counts
# ---------------------------------------------------------------------------
class Icount:
    """
    Counts the instructions one command executes, with valgrind's callgrind
    tool. Every count is of the whole process, from the dynamic linker's
    first instruction to exit, and repeats from run to run whatever the
    machine's load, so each command runs once.
    """

    def __init__(self, tmp, valgrind, env):
        self.tmp = tmp
        self.valgrind = valgrind
        self.env = env

    def run(self, argv, lock=None):
        """
        Runs argv once under callgrind. Returns (instructions or None,
        exit status, processes counted, last lines of the command's
        stderr). A command that forks has one callgrind file per process
        (the %p in the file name); their counts are added up.

        The program keeps a cache in the repository's git directory (the
        symbolic links of the last tree it read, hook/symlinks.h), so the
        same run costs a walk of the whole site or nothing, depending on
        the run before it. As each timed command follows a run of itself,
        each count follows one (natively, unmeasured), and with lock held
        from that run to the end of the count, so that no other run of
        the program changes the cache in between.
        """
        if lock is None:
            return self._count(argv)
        with lock:
            with open(os.devnull, "rb") as devin, \
                    open(os.devnull, "wb") as devout:
                subprocess.run(argv, stdin=devin, stdout=devout,
                               stderr=devout, env=self.env)
            return self._count(argv)

    def _count(self, argv):
        work = tempfile.mkdtemp(prefix="icount.", dir=self.tmp)
        cmd = [self.valgrind, "--tool=callgrind", "--trace-children=no",
               "--callgrind-out-file=" + os.path.join(work, "callgrind.%p")]
        errfile = os.path.join(work, "stderr.txt")
        with open(os.devnull, "rb") as devin, \
                open(os.devnull, "wb") as devout, \
                open(errfile, "wb") as err:
            try:
                status = subprocess.run(cmd + argv, stdin=devin,
                                        stdout=devout, stderr=err,
                                        env=self.env).returncode
            except OSError as e:
                return None, 127, 0, "cannot run '%s': %s" % (
                    self.valgrind, e.strerror)
        total, processes = 0, 0
        for name in sorted(os.listdir(work)):
            if name.startswith("callgrind."):
                n = callgrind_total(os.path.join(work, name))
                if n is None:
                    total = None
                    break
                total += n
                processes += 1
        if not processes:
            total = None
        with open(errfile, encoding="utf-8", errors="replace") as f:
            # Valgrind's own lines start with ==PID==; the command's are
            # the ones worth showing when it fails.
            lines = [line for line in f.read().splitlines()
                     if line.strip() and not line.startswith("==")]
        return total, status, processes, " / ".join(lines[-3:])

    def run_all(self, cmds, program=()):
        """
        Counts cmds (a list of (name, argv)), two at a time: a count does
        not depend on what else runs, so this only saves wall time. The
        names in program are runs of the program on a repository: each
        follows a run of itself, and they are counted one at a time (see
        run()). Returns {name: (instructions or None, status, processes,
        stderr)} in the order of cmds.
        """
        import threading
        from concurrent.futures import ThreadPoolExecutor

        lock = threading.Lock()
        workers = max(1, min(2, os.cpu_count() or 1))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = [(name, pool.submit(self.run, argv,
                                          lock if name in program else None))
                       for name, argv in cmds]
            return {name: f.result() for name, f in futures}


def callgrind_total(path):
    """The Ir total of a callgrind output file, or None."""
    totals = None
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            # Callgrind writes the total twice, on a "summary:" line and
            # on a "totals:" line; either will do. Only Ir is collected,
            # so each holds one number.
            if line.startswith("summary:"):
                return int(line.split()[1])
            if line.startswith("totals:"):
                totals = int(line.split()[1])
    return totals


def find_valgrind():
    """(path, version) of valgrind, or (None, why it is not used)."""
    if os.environ.get("BENCH_ICOUNT", "1") == "0":
        return None, "BENCH_ICOUNT=0"
    path = shutil.which("valgrind")
    if not path:
        return None, "valgrind is not installed"
    try:
        out = subprocess.run([path, "--version"], capture_output=True,
                             text=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as e:
        return None, "'%s --version' failed: %s" % (path, e)
    return path, out.stdout.strip() or "valgrind"


def count(n):
    return "-" if n is None else "{:,}".format(n)


# ---------------------------------------------------------------------------
# Setup
# ---------------------------------------------------------------------------
def git_out(repo, *args):
    return subprocess.run(["git", "-C", repo] + list(args), check=True,
                          capture_output=True, text=True).stdout.strip()


def map_patterns():
    """
    100 [map] patterns of the kinds a site uses: anchored folders with
    '**', unanchored folder names, name globs, '**/' patterns, anchored
    single files and folder-wide globs. Some match many paths, some few,
    some none (as in a real file).
    """
    pats = []
    for i in range(20):
        pats.append("public/d%02d/s%02d/**" % (i % 10, (i * 37) % 100))
    for i in range(10):
        pats.append("s%02d/" % ((i * 13 + 5) % 100))
    pats += ["*.css", "*.png", "c3.css", "p1*.html", "index.html", "i?.png",
             "*.txt", "p7?.html", "*.htm", "c*.css"]
    for i in range(10):
        pats.append("**/img/i%d.png" % i)
    for i in range(10):
        pats.append("**/s%02d/index.html" % ((i * 11) % 100))
    pats += ["/README.md", "/robots.txt"]
    for i in range(18):
        pats.append("/public/d%02d/s%02d/index.html" % (i % 10, (i * 7) % 100))
    for i in range(10):
        pats.append("public/**/p%02d.html" % (i * 8 + 1))
    for i in range(10):
        pats.append("public/d%02d/**/*.css" % i)
    assert len(pats) == 100, len(pats)
    return pats


# Settings that builds with a [plan] section need so that every URL is
# planned and sent: past max_urls (1,000 by default in older builds) the
# program purges everything instead, which would leave nothing to measure,
# and since issue 11 the planner would choose folder prefixes (and purge
# everything past 90% of the site) unless collapse_threshold is set, which
# replaces it; no folder here has a million URLs. Each is used only when
# the build accepts it, so that older builds still run. The planner's own
# figures are plan.py's.
PLAN_SETTINGS = ["max_urls = 100000000", "collapse_threshold = 1000000"]


def plan_section(b, cfph, repo):
    """The [plan] lines this build accepts, as text ("" for none)."""
    probe = os.path.join(b.tmp, "probe.ini")
    accepted = []
    for line in PLAN_SETTINGS:
        with open(probe, "w", encoding="utf-8") as f:
            f.write(BASE_CONFIG % (ZONE, "http://127.0.0.1:9/client/v4"))
            f.write("[plan]\n%s\n" % line)
        _, _, status = b.spawn([cfph, "-c", probe, "-C", repo, "range",
                                "HEAD..HEAD", "--dry-run"])
        if status == 0:
            accepted.append(line)
    return "".join("%s\n" % line for line in ["[plan]"] + accepted) \
        if accepted else ""


def write_configs(tmp, plan):
    cfg0 = os.path.join(tmp, "cfg0.ini")
    cfg100 = os.path.join(tmp, "cfg100.ini")
    base = BASE_CONFIG % (ZONE, "http://127.0.0.1:9/client/v4") + plan
    with open(cfg0, "w", encoding="utf-8") as f:
        f.write(base)
    with open(cfg100, "w", encoding="utf-8") as f:
        f.write(base)
        for i, p in enumerate(map_patterns()):
            f.write('[map "%s"]\ntags = t%d\n' % (p, i))
    return cfg0, cfg100


# ---------------------------------------------------------------------------
# The checks of the compared work
# ---------------------------------------------------------------------------
def count_json(path):
    """What a --json output holds: changes, file URLs, requests, failed."""
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    urls = 0
    for q in doc.get("requests", []):
        urls += len(q.get("body", {}).get("files", []))
    letters = {"added": "A", "deleted": "D", "modified": "M",
               "typechange": "T"}
    lines = sorted("%s\t%s" % (letters.get(c.get("status"), "?"),
                                c.get("path"))
                   for c in doc.get("changes", []))
    return {"changes": len(doc.get("changes", [])), "urls": urls,
            "requests": len(doc.get("requests", [])),
            "seconds": doc.get("seconds"),
            "digest": changes_digest(lines)}


def changes_digest(lines):
    """One digest of sorted "STATUS<TAB>PATH" lines, to compare lists."""
    return hashlib.sha256("\n".join(lines).encode("utf-8",
                                                  "surrogateescape")
                          ).hexdigest()


def json_counts(path):
    """count_json() in a child process, so that this one stays small."""
    out = subprocess.run([sys.executable, os.path.abspath(__file__),
                          "count", path], capture_output=True, text=True)
    if out.returncode != 0:
        return None
    return json.loads(out.stdout)


def git_count(repo, old, new):
    """
    git's count of changed paths, of index.html files among them, and
    the digest of its "STATUS<TAB>PATH" list (as count_json() makes it).
    """
    out = subprocess.run(["git", "-C", repo, "diff", "--no-renames",
                          "--name-status", "-z", old, new], check=True,
                         capture_output=True).stdout
    fields = out.split(b"\0")
    lines = []
    for i in range(0, len(fields) - 1, 2):
        path = fields[i + 1].decode("utf-8", "surrogateescape")
        lines.append("%s\t%s" % (fields[i].decode("ascii")[:1], path))
    index = sum(1 for ln in lines if ln.endswith("/index.html"))
    return len(lines), index, changes_digest(sorted(lines))


def check_ranges(b, cfph, cfg0, ranges):
    print("Correctness of the compared work: the changed paths and their "
          "status in the dry run's JSON vs `git diff --no-renames "
          "--name-status`", flush=True)
    out = os.path.join(b.tmp, "out.json")
    good = True
    for label, repo, old, new in ranges:
        _, _, status = b.spawn([cfph, "-c", cfg0, "-C", repo, "range",
                                "%s..%s" % (old, new), "--dry-run",
                                "--json"], stdout=out)
        if not b.check_status("dry run " + label, status):
            good = False
            continue
        got = json_counts(out)
        want, index, digest = git_count(repo, old, new)
        if got is None:
            b.error("%s: the dry run's JSON does not parse" % label)
            good = False
            continue
        # Every changed path is a file below public/; an index.html also
        # purges its folder.
        want_urls = want + index
        verdict = "ok"
        if got["changes"] != want:
            b.error("%s: the dry run reports %d changed paths, git diff %d"
                    % (label, got["changes"], want))
            verdict, good = "DIFFERS", False
        elif got["digest"] != digest:
            b.error("%s: the dry run and git diff report %d changed paths "
                    "each, but not the same statuses and paths"
                    % (label, want))
            verdict, good = "DIFFERS", False
        elif got["urls"] != want_urls:
            b.error("%s: the dry run plans %d URLs, %d expected (%d paths "
                    "+ %d index.html folders)" % (label, got["urls"],
                                                  want_urls, want, index))
            verdict, good = "DIFFERS", False
        print("  %-28s git %6d  dry run %6d paths, %6d URLs in %4d requests"
              "  %s" % (label, want, got["changes"], got["urls"],
                        got["requests"], verdict), flush=True)
    print()
    return good


# ---------------------------------------------------------------------------
# Goal 5: a real run against the stand-in API
# ---------------------------------------------------------------------------
def purge_run(b, cfph, root, big, old, new, plan):
    stub = os.path.join(root, "tests", "cfstub.py")
    port_file = os.path.join(b.tmp, "stub.port")
    log = os.path.join(b.tmp, "stub.log")
    stub_err = open(os.path.join(b.tmp, "stub.err"), "w")
    proc = subprocess.Popen([sys.executable, stub, "--port-file", port_file,
                             "--log", log, "--latency-ms", str(LATENCY_MS),
                             "--token", TOKEN], stdout=stub_err,
                            stderr=stub_err)
    info = {}
    records = []
    try:
        deadline = time.monotonic() + 20
        while not os.path.exists(port_file):
            if proc.poll() is not None or time.monotonic() > deadline:
                b.error("the stand-in API did not start (see its stderr: %s)"
                        % stub_err.name)
                return None
            time.sleep(0.05)
        with open(port_file, encoding="ascii") as f:
            port = int(f.read().strip())
        cfg = os.path.join(b.tmp, "cfg-purge.ini")
        with open(cfg, "w", encoding="utf-8") as f:
            f.write(BASE_CONFIG % (ZONE,
                                   "http://127.0.0.1:%d/client/v4" % port))
            f.write(plan)
        env = dict(b.env)
        env["CF_API_TOKEN"] = TOKEN
        out = os.path.join(b.tmp, "purge.json")
        argv = [cfph, "-c", cfg, "-C", big, "range", "%s..%s" % (old, new),
                "--json"]
        seconds, _, status = b.spawn(argv, env, stdout=out)
        info["status_ok"] = b.check_status("purge run", status)
        info["seconds"] = seconds
        info["json"] = json_counts(out)
        records = read_log(log)
        info["reference"] = replay(port, records)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        stub_err.close()

    purges = [r for r in records if r.get("method") == "POST"]
    info["requests"] = len(records)
    info["purge_requests"] = len(purges)
    info["connections"] = len({r.get("connection") for r in records})
    info["refused"] = sum(1 for r in records if not r.get("success"))
    info["urls"] = sum(len((r.get("body") or {}).get("files", []))
                       for r in purges)
    return info


def read_log(log):
    """The stand-in's log: one JSON object per request."""
    if not os.path.exists(log):
        return []
    with open(log, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def replay(port, records):
    """
    Sends the purge bodies the stand-in logged again, in order, from a
    minimal client (http.client, one keep-alive connection): the time any
    client needs against this stand-in, to compare the program with.
    Returns (seconds, requests) or None.
    """
    import http.client

    bodies = [(r["path"], json.dumps(r["body"]).encode()) for r in records
              if r.get("method") == "POST" and r.get("body") is not None]
    if not bodies:
        return None
    headers = {"Authorization": "Bearer " + TOKEN,
               "Content-Type": "application/json",
               "Accept": "application/json"}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    start = time.perf_counter()
    try:
        for path, body in bodies:
            conn.request("POST", path, body=body, headers=headers)
            answer = conn.getresponse()
            answer.read()
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()
    return time.perf_counter() - start, len(bodies)


# ---------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------
def run(opts):
    tmp, cfph, root = opts["tmp"], opts["cfph"], opts["root"]
    big = os.path.join(tmp, "big.git")
    small = os.path.join(tmp, "small.git")
    b = Bench(tmp, int(os.environ.get("BENCH_RUNS", "7")))
    git = shutil.which("git")
    plan = plan_section(b, cfph, small)
    cfg0, cfg100 = write_configs(tmp, plan)
    rev = {t: git_out(big, "rev-parse", t) for t in
           ("c1", "c2", "c3", "c4", "c5")}
    srev = {t: git_out(small, "rev-parse", t) for t in ("c1", "c2")}
    tiny_runs = 3 * b.runs

    if plan:
        print("This build has a [plan] section; every config here adds")
        for line in plan.splitlines():
            print("    " + line)
        print("so that the program plans and sends every URL instead of "
              "purging everything.\n")
    print("Peak memory measured with %s; wall time with posix_spawn + wait4 "
          "in Python.\n" % (
              "GNU time (%s -f %%M)" % b.gnu_time if b.gnu_time else
              "wait4's rusage (no GNU time at /usr/bin/time; floor %.1f MB)"
              % (b.rss_floor() / 1024)), flush=True)

    def hook(repo, cfg, old, new, extra=()):
        return [cfph, "-c", cfg, "-C", repo, "range", "%s..%s" % (old, new),
                "--dry-run", "--json"] + list(extra)

    def gitdiff(repo, old, new):
        return [git, "-C", repo, "diff", "--no-renames", "--name-status",
                old, new]

    def checked_out(repo, name, commit):
        """
        A clone of repo whose index is at commit, with no links cache:
        what a CI job's fresh checkout gives the program, which reads the
        index and never the work tree's files (so none are written).
        """
        path = os.path.join(tmp, name)
        if not os.path.isdir(path):
            subprocess.run([git, "clone", "-q", "--no-checkout", "--shared",
                            repo, path], check=True)
            subprocess.run([git, "-C", path, "read-tree", commit],
                           check=True)
        return path

    def cold(repo):
        """Before each cold run: no links cache, as in a fresh clone."""
        links = os.path.join(repo, ".git", "cf-purge-hook-links")

        def remove():
            if os.path.exists(links):
                os.unlink(links)
        return remove

    big_c2 = checked_out(big, "big-c2", rev["c2"])
    big_c3 = checked_out(big, "big-c3", rev["c3"])
    small_c2 = checked_out(small, "small-c2", srev["c2"])

    good = check_ranges(b, cfph, cfg0, [
        ("100k repo, 1 file", big, rev["c1"], rev["c2"]),
        ("100k repo, 10,000 files", big, rev["c2"], rev["c3"]),
        ("100k repo, 100,000 files", big, rev["c3"], rev["c4"]),
        ("100k repo, 3,000 files", big, rev["c4"], rev["c5"]),
        ("100k repo, HEAD..HEAD", big, "HEAD", "HEAD"),
        ("10-file repo, 1 file", small, srev["c1"], srev["c2"]),
        ("10-file repo, HEAD..HEAD", small, "HEAD", "HEAD"),
    ])

    rows = []

    # 1. Tree diff speed, 10,000 changes in the 100,000-file repository.
    print("1. Tree diff speed: 10,000 changed files in a 100,000-file "
          "repository (%d runs each)" % b.runs, flush=True)
    r1 = b.measure([
        ("git diff --no-renames --name-status", gitdiff(big, rev["c2"],
                                                        rev["c3"]), None),
        ("cf-purge-hook range --dry-run --json", hook(big, cfg0, rev["c2"],
                                                      rev["c3"]), None),
        ("git diff, empty range (c3 c3)", gitdiff(big, rev["c3"],
                                                  rev["c3"]), None),
        ("cf-purge-hook, empty range (c3..c3)", hook(big, cfg0, rev["c3"],
                                                     rev["c3"]), None),
    ])
    g1, h1, g1e, h1e = r1.values()
    for r in r1.values():
        print(r.line())
    t1 = ratio(h1.median, g1.median)
    m1 = ratio(h1.peak, g1.peak)
    print("  time ratio: median %s, best %s (goal: at most 1.5x)"
          % (x(t1), x(ratio(h1.best, g1.best))))
    t1m = ratio(h1.median - h1e.median, g1.median - g1e.median)
    print("  marginal time (10,000 changes - empty range): %s vs git's %s: "
          "median %s, best %s (goal: at most 1x)"
          % (ms(h1.median - h1e.median), ms(g1.median - g1e.median), x(t1m),
             x(ratio(h1.best - h1e.best, g1.best - g1e.best))))
    print("  peak memory ratio: %s (goal: at most 2x)\n" % x(m1), flush=True)
    rows.append(("1. tree diff time, 10k of 100k files, vs git diff",
                 t1, "<= 1.50x", t1 <= 1.5))
    rows.append(("1. marginal time (10k run - empty run), vs git's",
                 t1m, "<= 1.00x (#13)", t1m <= 1.0))
    rows.append(("1. tree diff peak memory, vs git diff", m1, "<= 2.00x",
                 m1 <= 2.0))

    print("1c. The same in the cold, as in CI: a fresh clone checked out "
          "at c3, no links file before any run (%d runs each)" % b.runs,
          flush=True)
    r1c = b.measure([
        ("git diff --no-renames --name-status", gitdiff(big_c3, rev["c2"],
                                                        rev["c3"]), None),
        ("cf-purge-hook range --dry-run --json, cold",
         hook(big_c3, cfg0, rev["c2"], rev["c3"]), None, cold(big_c3)),
        ("git diff, empty range (c3 c3)", gitdiff(big_c3, rev["c3"],
                                                  rev["c3"]), None),
        ("cf-purge-hook, empty range (c3..c3), cold",
         hook(big_c3, cfg0, rev["c3"], rev["c3"]), None, cold(big_c3)),
    ])
    g1c, h1c, g1ce, h1ce = r1c.values()
    for r in r1c.values():
        print(r.line())
    t1mc = ratio(h1c.median - h1ce.median, g1c.median - g1ce.median)
    print("  marginal time, cold: %s vs git's %s: median %s, best %s "
          "(goal: at most 1x, cold; warm above: %s)\n"
          % (ms(h1c.median - h1ce.median), ms(g1c.median - g1ce.median),
             x(t1mc), x(ratio(h1c.best - h1ce.best, g1c.best - g1ce.best)),
             x(t1m)), flush=True)
    rows.append(("1c. marginal time, cold (fresh clone), vs git's",
                 t1mc, "<= 1.00x (#20)", t1mc <= 1.0))

    # 2. Cost follows the change.
    print("2. Cost follows the change: one changed file, 100,000-file repo "
          "vs ten-file repo (%d runs each)" % tiny_runs, flush=True)
    r2 = b.measure([
        ("1 file changed, 100,000-file repo", hook(big, cfg0, rev["c1"],
                                                   rev["c2"]), None),
        ("1 file changed, 10-file repo", hook(small, cfg0, srev["c1"],
                                              srev["c2"]), None),
    ], runs=tiny_runs)
    big2, small2 = r2.values()
    print(big2.line())
    print(small2.line())
    t2 = ratio(big2.median, small2.median)
    print("  time ratio: median %s, best %s (goal: at most 1.3x)\n"
          % (x(t2), x(ratio(big2.best, small2.best))), flush=True)
    rows.append(("2. one-file change, 100k-file vs 10-file repo", t2,
                 "<= 1.30x", t2 <= 1.3))

    print("2c. The same in the cold, as in CI: fresh clones checked out at "
          "c2, no links file before any run (%d runs each)" % tiny_runs,
          flush=True)
    r2c = b.measure([
        ("1 file changed, 100,000-file clone, cold",
         hook(big_c2, cfg0, rev["c1"], rev["c2"]), None, cold(big_c2)),
        ("1 file changed, 10-file clone, cold",
         hook(small_c2, cfg0, srev["c1"], srev["c2"]), None,
         cold(small_c2)),
    ], runs=tiny_runs)
    big2c, small2c = r2c.values()
    print(big2c.line())
    print(small2c.line())
    t2c = ratio(big2c.median, small2c.median)
    print("  time ratio, cold: median %s, best %s (goal: at most 1.1x; "
          "warm above: %s)\n" % (x(t2c), x(ratio(big2c.best, small2c.best)),
                                 x(t2)), flush=True)
    rows.append(("2c. one-file change, 100k vs 10-file clone, cold", t2c,
                 "<= 1.10x (#20)", t2c <= 1.1))

    # 3. Start-up.
    print("3. Start-up: before the first tree is read, vs an empty C "
          "program (%d runs each)" % tiny_runs, flush=True)
    floor = opts.get("floor")
    r3 = b.measure([
        ("empty C program", [opts["empty"]], None),
        ("cf-purge-hook --version", [cfph, "--version"], None),
        ("dry run HEAD..HEAD, 10-file repo", hook(small, cfg0, "HEAD",
                                                  "HEAD"), None),
        ("dry run HEAD..HEAD, 100k-file repo", hook(big, cfg0, "HEAD",
                                                    "HEAD"), None),
    ] + ([("libgit2 floor: init + open, 100k-file repo", [floor, big],
           None)] if floor else []), runs=tiny_runs)
    empty3, ver3, small3, big3 = list(r3.values())[:4]
    for r in r3.values():
        print(r.line())
    t3v = ratio(ver3.median, empty3.median)
    t3e = ratio(small3.median, empty3.median)
    print("  --version vs empty program: median %s (+%s), best %s"
          % (x(t3v), ms(ver3.median - empty3.median),
             x(ratio(ver3.best, empty3.best))))
    print("  empty-range dry run vs empty program: median %s (+%s), best %s"
          % (x(t3e), ms(small3.median - empty3.median),
             x(ratio(small3.best, empty3.best))))
    print("  split: linking and exit (--version - empty program) %s, "
          "library initialisation, configuration and repository (empty "
          "range - --version) %s" % (ms(ver3.median - empty3.median),
                                     ms(small3.median - ver3.median)))
    t3f = float("nan")
    if floor:
        floor3 = list(r3.values())[4]
        t3f = ratio(big3.median, floor3.median)
        print("  empty-range dry run, 100k-file repo, vs the libgit2 floor: "
              "median %s (+%s), best %s" % (x(t3f), ms(big3.median -
                                                      floor3.median),
                                            x(ratio(big3.best, floor3.best))))
    print("  shared libraries (ldd | wc -l): %s\n" % ldd_count(cfph),
          flush=True)
    rows.append(("3. start-up: --version vs empty C program", t3v,
                 "none given", None))
    rows.append(("3. start-up: empty range vs empty C program", t3e,
                 "none given", None))
    if floor:
        rows.append(("3. start-up: empty range, 100k, vs libgit2 floor",
                     t3f, "none given", None))

    # 4 and 6. 100,000 changed paths; mapping through 100 [map] sections.
    print("4. Mapping speed: 100,000 changed paths, 100 [map] sections vs "
          "none, against git diff (%d runs each)" % b.runs, flush=True)
    r4 = b.measure([
        ("git diff --no-renames --name-status", gitdiff(big, rev["c3"],
                                                        rev["c4"]), None),
        ("dry run, 0 [map] sections", hook(big, cfg0, rev["c3"], rev["c4"]),
         None),
        ("dry run, 100 [map] sections", hook(big, cfg100, rev["c3"],
                                             rev["c4"]), None),
    ])
    g4, h4, m4 = r4.values()
    for r in r4.values():
        print(r.line())
    mapping = m4.median - h4.median
    t4 = ratio(mapping, g4.median)
    print("  mapping time (100 sections - 0 sections): median %s, best %s"
          % (ms(mapping), ms(m4.best - h4.best)))
    print("  mapping time vs git diff: median %s, best %s (goal: less than "
          "1x)\n" % (x(t4), x(ratio(m4.best - h4.best, g4.best))),
          flush=True)
    rows.append(("4. mapping 100k paths x 100 sections, vs git diff", t4,
                 "< 1.00x", t4 < 1.0))

    # 5. Purge speed against the stand-in API.
    print("5. Purge speed: 3,000 URLs to the stand-in API, %d ms per answer"
          % LATENCY_MS, flush=True)
    p5 = purge_run(b, cfph, root, big, rev["c4"], rev["c5"], plan)
    want_requests = -(-3000 // FILES_PER_REQUEST)
    if p5:
        n = p5["requests"]
        per = p5["seconds"] / n if n else float("nan")
        print("  wall time %s, %d requests (%d purges, %d refused), "
              "%d URLs received, %d TCP connection%s"
              % (ms(p5["seconds"]), n, p5["purge_requests"], p5["refused"],
                 p5["urls"], p5["connections"],
                 "" if p5["connections"] == 1 else "s"))
        print("  time per request %s (the stand-in waits %d ms before each "
              "answer: %s of it)" % (ms(per), LATENCY_MS,
                                     x(per / (LATENCY_MS / 1000))))
        if p5.get("json"):
            j = p5["json"]
            print("  the program's JSON: %d requests%s" % (
                j["requests"], "" if j["seconds"] is None else
                ", %.2f s sending" % j["seconds"]))
        ref = p5.get("reference")
        ref_ratio = float("nan")
        if ref:
            ref_per = ref[0] / ref[1]
            ref_ratio = per / ref_per
            print("  a minimal client (Python's http.client, one "
                  "connection) sending the same %d bodies: %s, %s per "
                  "request;" % (ref[1], ms(ref[0]), ms(ref_per)))
            print("  the program takes %s of its time per request (above "
                  "1x is the program's own cost; the minimal client's time "
                  "above %d ms is the stand-in's)" % (x(ref_ratio),
                                                     LATENCY_MS))
        rate = n / p5["seconds"]
        print("  achieved: %.1f requests/s, %.0f URLs/s" % (
            rate, p5["urls"] / p5["seconds"]))
        print("  Cloudflare's documented purge limits per account (not "
              "enforced by the stand-in);")
        print("  the bench's config names no plan, which the program reads "
              "as Free's limits:")
        for name, urls, other in CF_LIMITS:
            print("    %-10s single-file purge %-13s tags/hosts/prefixes %s"
                  % (name, urls, other))
        if p5["urls"] != 3000:
            b.error("the stand-in received %d URLs, 3000 expected"
                    % p5["urls"])
        print()
        rows.append(("5. purge 3,000 URLs: requests sent", n,
                     "= %d (3000/%d)" % (want_requests, FILES_PER_REQUEST),
                     n == want_requests))
        rows.append(("5. purge: TCP connections used", p5["connections"],
                     "= 1 (README)", p5["connections"] == 1))
        rows.append(("5. purge: time per request vs %d ms latency"
                     % LATENCY_MS, per / (LATENCY_MS / 1000), "none given",
                     None))
        rows.append(("5. purge: time per request vs a minimal client",
                     ref_ratio, "none given", None))
        rows.append(("5. purge: wall time, seconds", p5["seconds"],
                     "none given", None))
    else:
        rows.append(("5. purge 3,000 URLs", float("nan"), "-", False))

    # 6. Big push: 10,000 vs 100,000 changed files, per file.
    print("6. Big push: dry run for 10,000 vs 100,000 changed files "
          "(from 1. and 4.)", flush=True)
    print("  10,000 files:  median %s, max RSS %s"
          % (ms(h1.median), h1.rss_text()))
    print("  100,000 files: median %s, max RSS %s"
          % (ms(h4.median), h4.rss_text()))
    t6 = ratio(h4.median / 100000, h1.median / 10000)
    m6 = ratio(h4.peak / 100000, h1.peak / 10000)
    base_t, base_m = big3.median, big3.peak
    t6s = ratio((h4.median - base_t) / 100000, (h1.median - base_t) / 10000)
    m6s = ratio((h4.peak - base_m) / 100000, (h1.peak - base_m) / 10000)
    print("  per changed file, 100k vs 10k: time %s, max RSS %s "
          "(1x is linear; a quadratic step shows as ~10x)" % (x(t6), x(m6)))
    print("  the same above an empty-range run of the 100k repo (%s, %.1f "
          "MB): time %s, max RSS %s\n" % (ms(base_t), base_m / 1024,
                                          x(t6s), x(m6s)), flush=True)
    rows.append(("6. big push: time per file, 100k vs 10k", t6,
                 "<= 1.50x (bench)", t6 <= 1.5))
    rows.append(("6. big push: max RSS per file, 100k vs 10k", m6,
                 "<= 1.50x (bench)", m6 <= 1.5))

    rows += icount_goals(b, good, {
        "git10k": gitdiff(big, rev["c2"], rev["c3"]),
        "hook10k": hook(big, cfg0, rev["c2"], rev["c3"]),
        "gitnone": gitdiff(big, rev["c3"], rev["c3"]),
        "bignone": hook(big, cfg0, rev["c3"], rev["c3"]),
        "floor": [floor, big] if floor else None,
        "big1": hook(big, cfg0, rev["c1"], rev["c2"]),
        "small1": hook(small, cfg0, srev["c1"], srev["c2"]),
        "empty": [opts["empty"]],
        "version": [cfph, "--version"],
        "smallnone": hook(small, cfg0, "HEAD", "HEAD"),
        "git100k": gitdiff(big, rev["c3"], rev["c4"]),
        "map0": hook(big, cfg0, rev["c3"], rev["c4"]),
        "map100": hook(big, cfg100, rev["c3"], rev["c4"]),
    })
    rows.sort(key=goal_number)

    rows.append(("changed paths and statuses agree with git",
                 "yes" if good else "NO", "yes", good))
    print_table(rows)
    if b.errors:
        print("\n%d error%s:" % (len(b.errors),
                                 "" if len(b.errors) == 1 else "s"))
        for e in b.errors:
            print("  " + e)
    print("\nReproduce: make bench   (or: sh tests/bench/bench.sh; "
          "CFPH=path/to/cf-purge-hook,\nBENCH_RUNS=N and BENCH_ICOUNT=0 "
          "(no instruction counts) are honoured)")
    return 1 if b.errors else 0


ICOUNT_NOTE = """\
  Instructions executed by the whole process, from the dynamic linker's
  first one to exit, with the same arguments, environment, stdin and stdout
  as the timed runs. They repeat from run to run whatever the machine's
  load, but they do not see I/O waits, page faults or dynamic-linking time
  spent in the kernel, nor how many instructions a cycle the CPU manages
  (cache misses, branch prediction): they complement wall time, they do not
  replace it, and the verdicts on wall time stay the primary figures."""


def icount_goals(b, good, cmds):
    """
    Goals 1, 2 and 4 and start-up again, in instructions (see Icount).
    cmds maps the keys used below to argv lists. Prints the section and
    returns its rows for the summary; none when valgrind is missing,
    turned off with BENCH_ICOUNT=0, or cannot run the empty C program.
    """
    valgrind, version = find_valgrind()
    if not valgrind:
        print("Instruction counts: skipped (%s)\n" % version, flush=True)
        return []
    ic = Icount(b.tmp, valgrind, b.env)
    probe, status, _, err = ic.run(cmds["empty"])
    if probe is None or status != 0:
        print("Instruction counts: skipped (valgrind cannot count the "
              "empty C program here: status %d%s)\n"
              % (status, ", " + err if err else ""), flush=True)
        return []

    print("Instruction counts: %s --tool=callgrind, each command run once"
          % version)
    print(ICOUNT_NOTE, flush=True)
    start = time.perf_counter()
    # The longest first, so that the two at a time finish together; the
    # program's runs on a repository go one at a time (Icount.run), so
    # git's and the others are placed between them.
    order = ["map100", "git100k", "map0", "git10k", "hook10k", "gitnone",
             "big1", "floor", "small1", "version", "bignone", "smallnone"]
    program = {"map100", "map0", "hook10k", "big1", "small1", "bignone",
               "smallnone"}
    res = ic.run_all([(key, cmds[key]) for key in order if cmds[key]],
                     program)
    res["empty"] = (probe, status, 1, err)
    n = {}
    for key, (total, status, processes, err) in res.items():
        n[key] = float("nan") if total is None else total
        if status != 0:
            b.error("'%s' under callgrind exited with status %d%s" % (
                " ".join(cmds[key]), status, ": " + err if err else ""))
        elif total is None:
            b.error("callgrind left no instruction count for '%s'"
                    % " ".join(cmds[key]))

    def line(key, label):
        total, _, processes, _ = res[key]
        print("    %-42s %15s%s" % (label, count(total),
                                  "" if processes <= 1 else
                                  " (%d processes)" % processes))

    print("  1. Tree diff: 10,000 changed files in the 100,000-file "
          "repository")
    line("git10k", "git diff --no-renames --name-status")
    line("hook10k", "cf-purge-hook range --dry-run --json")
    i1 = ratio(n["hook10k"], n["git10k"])
    print("    instruction ratio: %s (goal: at most 1.5x)" % x(i1))
    line("gitnone", "git diff, empty range (c3 c3)")
    line("bignone", "cf-purge-hook, empty range (c3..c3)")
    i1m = ratio(n["hook10k"] - n["bignone"], n["git10k"] - n["gitnone"])
    print("    marginal (10,000 changes - empty range): %s vs git's %s, "
          "ratio %s (goal: at most 1x)"
          % (count_diff(n["hook10k"], n["bignone"]),
             count_diff(n["git10k"], n["gitnone"]), x(i1m)))

    print("  2. Cost follows the change: one changed file")
    line("big1", "1 file changed, 100,000-file repo")
    line("small1", "1 file changed, 10-file repo")
    i2 = ratio(n["big1"], n["small1"])
    print("    instruction ratio: %s (goal: at most 1.3x)" % x(i2))

    print("  3. Start-up")
    line("empty", "empty C program")
    line("version", "cf-purge-hook --version")
    line("smallnone", "dry run HEAD..HEAD, 10-file repo")
    if "floor" in res:
        line("floor", "libgit2 floor: init + open, 100k repo")
    i3v = ratio(n["version"], n["empty"])
    i3e = ratio(n["smallnone"], n["empty"])
    print("    --version vs empty program: %s (+%s)"
          % (x(i3v), count_diff(n["version"], n["empty"])))
    print("    empty-range dry run vs empty program: %s (+%s)"
          % (x(i3e), count_diff(n["smallnone"], n["empty"])))
    i3f = float("nan")
    if "floor" in res:
        i3f = ratio(n["bignone"], n["floor"])
        print("    empty-range dry run, 100k repo, vs libgit2 floor: %s (+%s)"
              % (x(i3f), count_diff(n["bignone"], n["floor"])))

    print("  4. Mapping: 100,000 changed paths, 100 [map] sections vs "
          "none")
    line("git100k", "git diff --no-renames --name-status")
    line("map0", "dry run, 0 [map] sections")
    line("map100", "dry run, 100 [map] sections")
    mapping = n["map100"] - n["map0"]
    i4 = ratio(mapping, n["git100k"])
    print("    %-42s %15s" % ("mapping (100 sections - 0 sections)",
                            count_diff(n["map100"], n["map0"])))
    print("    mapping instructions vs git diff: %s (goal: less than 1x)"
          % x(i4))
    if not good:
        print("  the program and git disagree on what changed (see above), "
              "so the ratios\n  against git compare different work")
    print("  (counted in %.0f s)\n" % (time.perf_counter() - start),
          flush=True)

    rows = [
        ("1. tree diff instructions, 10k of 100k, vs git diff", i1,
         "<= 1.50x", i1 <= 1.5),
        ("1. marginal instructions (10k - empty), vs git's", i1m,
         "<= 1.00x (#13)", i1m <= 1.0),
        ("2. one-file change instructions, 100k vs 10-file", i2,
         "<= 1.30x", i2 <= 1.3),
        ("3. start-up instructions: --version vs empty C", i3v,
         "none given", None),
        ("3. start-up instructions: empty range vs empty C", i3e,
         "none given", None),
        ("4. mapping instructions, 100k x 100 sections, vs git", i4,
         "< 1.00x", i4 < 1.0),
    ]
    if "floor" in res:
        rows.insert(5, ("3. start-up instructions: empty, 100k, vs floor",
                        i3f, "none given", None))
    return rows


def count_diff(a, b):
    d = a - b
    return "-" if d != d else "{:,}".format(int(d))


def goal_number(row):
    """
    Sorts the summary by goal, a cold row ("2c.") before the warm one of
    its goal (cold is the headline: every CI run is one); rows without a
    number go last.
    """
    head = row[0].split(".", 1)[0]
    cold = head.endswith("c")
    head = head[:-1] if cold else head
    return (int(head), 0 if cold else 1) if head.isdigit() else (99, 1)


def ldd_count(cfph):
    ldd = shutil.which("ldd")
    if not ldd:
        return "(no ldd)"
    out = subprocess.run([ldd, cfph], capture_output=True, text=True)
    return str(len(out.stdout.splitlines()))


def print_table(rows):
    print("Summary (verdicts on medians; 'instructions' rows are one "
          "callgrind run each;\n'info' where no limit was given)")
    print("  %-52s %10s  %-18s %s" % ("goal", "measured", "limit", "verdict"))
    print("  " + "-" * 92)
    for goal, value, limit, verdict in rows:
        if isinstance(value, str):
            shown = value
        elif isinstance(value, int):
            shown = str(value)
        elif "seconds" in goal:
            shown = "%.2f s" % value
        else:
            shown = x(value)
        if verdict is None:
            word = "info"
        elif value != value:
            word = "failed"     # no figure: an error above says why
        else:
            word = "meets" if verdict else "MISSES"
        print("  %-52s %10s  %-18s %s" % (goal, shown, limit, word))


def options(prog, argv, needed):
    """The "--NAME VALUE" pairs of argv as a dict keyed by NAME: the command
    line that bench.sh gives bench.py run, plan.py and dirbench.py. Returns
    None, after a message naming prog on stderr, when an option has no
    value or one of needed is missing."""
    opts = {}
    it = iter(argv)
    for key in it:
        value = next(it, None)
        if value is None:
            sys.stderr.write("%s: %s needs a value\n" % (prog, key))
            return None
        opts[key.lstrip("-")] = value
    for key in needed:
        if key not in opts:
            sys.stderr.write("%s: missing --%s\n" % (prog, key))
            return None
    return opts


def main(argv):
    if len(argv) == 2 and argv[0] == "count":
        print(json.dumps(count_json(argv[1])))
        return 0
    if not argv or argv[0] != "run":
        sys.stderr.write(__doc__)
        return 2
    opts = options("bench.py", argv[1:], ("tmp", "cfph", "root", "empty"))
    if opts is None:
        return 2
    return run(opts)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
