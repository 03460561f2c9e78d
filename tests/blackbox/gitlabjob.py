#!/usr/bin/env python3
"""Prints a GitLab CI job of a .gitlab-ci.yml as one bash script, the way
the shell executor runs it: `set -eo pipefail`, the job's variables
exported (its own over those of the jobs it extends, over the file's
global variables:), then before_script and script, each entry as
written. For t7, which runs the GitLab example's job by hand with the
runner's variables.

usage: gitlabjob.py FILE JOB

Only what the examples use is understood: extends (a name or a list),
variables with plain values (a value that names another variable is
left for bash to expand, as GitLab would), before_script and script.
A job with an image: is run as if on the shell executor: the test
provides what the image would.
"""
import sys

import yaml


def resolve(doc, name, seen=()):
    if name in seen:
        sys.exit("gitlabjob: extends loops through '%s'" % name)
    job = doc.get(name)
    if not isinstance(job, dict):
        sys.exit("gitlabjob: no job '%s'" % name)
    merged = {}
    parents = job.get("extends") or []
    if isinstance(parents, str):
        parents = [parents]
    for p in parents:
        base = resolve(doc, p, seen + (name,))
        for k, v in base.items():
            if k == "variables":
                merged.setdefault("variables", {}).update(v)
            else:
                merged[k] = v
    for k, v in job.items():
        if k == "variables":
            merged.setdefault("variables", {}).update(v or {})
        elif k != "extends":
            merged[k] = v
    return merged


def lines(value):
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    with open(sys.argv[1], encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    job = resolve(doc, sys.argv[2])
    variables = dict(doc.get("variables") or {})
    variables.update(job.get("variables") or {})
    print("set -eo pipefail")
    for k, v in variables.items():
        if isinstance(v, dict):
            v = v.get("value", "")
        if isinstance(v, bool):
            v = "true" if v else "false"
        # GitLab expands $NAME in a variable's value; so does bash in "".
        print('export %s="%s"' % (k, str(v).replace('\\', '\\\\')
                                  .replace('"', '\\"').replace('`', '\\`')))
    for entry in lines(job.get("before_script")) + lines(job.get("script")):
        print(entry)
    if not lines(job.get("script")):
        sys.exit("gitlabjob: job '%s' has no script" % sys.argv[2])


if __name__ == "__main__":
    main()
