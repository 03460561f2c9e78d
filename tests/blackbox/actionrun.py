#!/usr/bin/env python3
"""Runs the steps of a composite action (action.yml) as the GitHub runner
would, for t7 and t16: each `run:` step in `bash --noprofile --norc -eo
pipefail FILE` with its own fresh GITHUB_OUTPUT file, its env: evaluated,
and GITHUB_ACTION_PATH set; the outputs each step writes feed the
steps.ID.outputs of the later ones and the action's outputs.

Only what the action needs is evaluated: ${{ inputs.X }},
${{ github.action_path }}, ${{ steps.ID.outputs.X }}, ${{ runner.os }},
${{ runner.arch }}, ${{ runner.temp }} and, in a workflow's step,
${{ secrets.X }} (from the environment variable X). Anything else, an
if:, a working-directory: or ${{ }} inside a run: script stops the run
with status 3, so that a test never passes on a step it did not run.
Steps that use another action (actions/cache) are not run: they are
reported on standard error and their outputs are empty, as on a cache
miss.

usage: actionrun.py ACTION_YML [--workflow FILE --uses PREFIX]
                    [--with NAME=VALUE]... [--outputs FILE] [--dir DIR]

--workflow/--uses take the inputs (with:) and env: of the first step of
FILE whose uses: starts with PREFIX. --with adds or replaces an input.
--outputs FILE receives the action's outputs, "name=value" a line.
--dir DIR keeps each step's GITHUB_OUTPUT file (DIR/N.output) and
receives GITHUB_STEP_SUMMARY when the environment does not set it.
The exit status is that of the first step that failed, else 0.
"""
import os
import re
import subprocess
import sys
import tempfile

import yaml

EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
RUNNER_ARCH = {"x86_64": "X64", "aarch64": "ARM64", "armv7l": "ARM"}


class Unsupported(Exception):
    pass


def lookup(expr, ctx):
    parts = expr.split(".")
    if not all(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", p) for p in parts):
        raise Unsupported("cannot evaluate '%s'" % expr)
    head = parts[0]
    if head == "inputs" and len(parts) == 2:
        if parts[1] not in ctx["inputs"]:
            raise Unsupported("no input '%s' in the action" % parts[1])
        return ctx["inputs"][parts[1]]
    if head == "steps" and len(parts) == 4 and parts[2] == "outputs":
        if parts[1] not in ctx["steps"]:
            raise Unsupported("no earlier step with id '%s'" % parts[1])
        return ctx["steps"][parts[1]].get(parts[3], "")
    if head == "secrets" and len(parts) == 2 and ctx.get("secrets"):
        return os.environ.get(parts[1], "")
    if expr in ctx["plain"]:
        return ctx["plain"][expr]
    raise Unsupported("cannot evaluate '%s'" % expr)


def expand(value, ctx):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return EXPR.sub(lambda m: lookup(m.group(1), ctx), str(value))


def read_outputs(path):
    """GITHUB_OUTPUT's two forms: name=value, and name<<DELIM ... DELIM."""
    out = {}
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line:
            continue
        m = re.fullmatch(r"([^=<]+)<<(.+)", line)
        if m:
            body = []
            while i < len(lines) and lines[i] != m.group(2):
                body.append(lines[i])
                i += 1
            i += 1
            out[m.group(1)] = "\n".join(body)
        elif "=" in line:
            k, v = line.split("=", 1)
            out[k] = v
        else:
            raise Unsupported("a line of GITHUB_OUTPUT is neither "
                              "name=value nor name<<DELIM: %r" % line)
    return out


def from_workflow(path, prefix):
    with open(path, encoding="utf-8") as f:
        wf = yaml.safe_load(f)
    for job in (wf.get("jobs") or {}).values():
        for step in job.get("steps") or []:
            if str(step.get("uses", "")).startswith(prefix):
                return step.get("with") or {}, step.get("env") or {}
    raise Unsupported("no step of '%s' uses '%s'" % (path, prefix))


def main(argv):
    args = argv[1:]
    if not args:
        print(__doc__, file=sys.stderr)
        return 3
    action_path = args.pop(0)
    given, step_env = {}, {}
    workflow = uses = outputs_file = keep = None
    while args:
        opt = args.pop(0)
        val = args.pop(0)
        if opt == "--workflow":
            workflow = val
        elif opt == "--uses":
            uses = val
        elif opt == "--with":
            k, v = val.split("=", 1)
            given[k] = v
        elif opt == "--outputs":
            outputs_file = val
        elif opt == "--dir":
            keep = val
        else:
            raise Unsupported("unknown option '%s'" % opt)

    with open(action_path, encoding="utf-8") as f:
        action = yaml.safe_load(f)
    if (action.get("runs") or {}).get("using") != "composite":
        raise Unsupported("not a composite action")
    declared = action.get("inputs") or {}

    ctx = {"inputs": {}, "steps": {}, "secrets": True, "plain": {}}
    with_inputs = {}
    if workflow:
        w, e = from_workflow(workflow, uses)
        with_inputs = {k: expand(v, ctx) for k, v in w.items()}
        step_env = {k: expand(v, ctx) for k, v in e.items()}
    with_inputs.update(given)
    for k in with_inputs:
        if k not in declared:
            raise Unsupported("unexpected input '%s'" % k)
    for k, spec in declared.items():
        spec = spec or {}
        if k in with_inputs:
            ctx["inputs"][k] = with_inputs[k]
        elif spec.get("required") and "default" not in spec:
            raise Unsupported("input '%s' is required" % k)
        else:
            ctx["inputs"][k] = expand(spec.get("default", ""), ctx)
    ctx["secrets"] = False

    tmp = keep or tempfile.mkdtemp(prefix="actionrun.")
    os.makedirs(tmp, exist_ok=True)
    env = dict(os.environ)
    env.update(step_env)
    env.setdefault("GITHUB_ACTION_PATH",
                   os.path.dirname(os.path.abspath(action_path)))
    env.setdefault("RUNNER_OS", "Linux")
    env.setdefault("RUNNER_ARCH", RUNNER_ARCH.get(os.uname().machine, "X64"))
    env.setdefault("RUNNER_TEMP", tmp)
    env.setdefault("GITHUB_STEP_SUMMARY", os.path.join(tmp, "summary.md"))
    ctx["plain"] = {
        "github.action_path": env["GITHUB_ACTION_PATH"],
        "runner.os": env["RUNNER_OS"],
        "runner.arch": env["RUNNER_ARCH"],
        "runner.temp": env["RUNNER_TEMP"],
    }

    status = 0
    for n, step in enumerate(action["runs"].get("steps") or [], 1):
        for key in ("if", "working-directory", "continue-on-error"):
            if key in step:
                raise Unsupported("step %d: '%s' is not emulated" % (n, key))
        if "uses" in step:
            print("actionrun: step %d: not run: uses: %s" % (n, step["uses"]),
                  file=sys.stderr)
            if "id" in step:
                ctx["steps"][step["id"]] = {}
            continue
        if step.get("shell") != "bash":
            raise Unsupported("step %d: shell '%s', not bash"
                              % (n, step.get("shell")))
        if "${{" in step["run"]:
            raise Unsupported("step %d: ${{ }} inside run:" % n)
        script = os.path.join(tmp, "%d.sh" % n)
        with open(script, "w", encoding="utf-8") as f:
            f.write(step["run"])
        out = os.path.join(tmp, "%d.output" % n)
        open(out, "w").close()
        senv = dict(env)
        senv["GITHUB_OUTPUT"] = out
        for k, v in (step.get("env") or {}).items():
            senv[k] = expand(v, ctx)
        print("actionrun: step %d: %s" % (n, step.get("name", "")),
              file=sys.stderr)
        rc = subprocess.call(["bash", "--noprofile", "--norc", "-eo",
                              "pipefail", script], env=senv)
        if "id" in step:
            ctx["steps"][step["id"]] = read_outputs(out)
        if rc != 0:
            print("actionrun: step %d exited with status %d" % (n, rc),
                  file=sys.stderr)
            status = rc
            break

    if outputs_file:
        # Steps not run (after a failure) have empty outputs.
        for step in action["runs"].get("steps") or []:
            if "id" in step:
                ctx["steps"].setdefault(step["id"], {})
        with open(outputs_file, "w", encoding="utf-8") as f:
            for k, spec in (action.get("outputs") or {}).items():
                f.write("%s=%s\n" % (k, expand(spec.get("value"), ctx)))
    return status


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except Unsupported as e:
        print("actionrun: %s" % e, file=sys.stderr)
        sys.exit(3)
