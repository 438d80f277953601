#!/usr/bin/env python3
"""Compares what `pipec plan` says with what `pipec run --report` did.

usage: plan_run.py PLAN_OUTPUT REPORT_JSON

The plan and the run must hold the same pipelines in the same order, each
with the same steps; every step that ran must have started after each step
the plan puts it after had finished; steps of one stage that wait for the
same steps must have run at the same time (the runtime starts every ready
step before it waits).  Prints what differs and exits 1, else exits 0.
"""
import json
import re
import sys
from datetime import datetime


def parse_plan(text):
    pipelines = []
    for line in text.splitlines():
        m = re.match(r"pipeline '(.*)' \(", line)
        if m:
            pipelines.append((m.group(1), {}))
            continue
        m = re.match(r"  stage (\d+): (.*)$", line)
        if not m:
            continue
        body = re.sub(r"\[after ([^\]]*)\]",
                      lambda a: "[after " + a.group(1).replace(", ", ";") + "]", m.group(2))
        for item in body.split(", "):
            after = re.search(r"\[after ([^\]]*)\]", item)
            name = re.sub(r" (\(service\)|\(runs [^)]*\)|\[after [^\]]*\])", "", item)
            pipelines[-1][1][name] = (int(m.group(1)),
                                     after.group(1).split(";") if after else [])
    return pipelines


def when(s):
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ") if s else None


def compare(plan, report):
    bad = []
    ran = [(p["name"], p["steps"]) for p in report["pipelines"]]
    if [n for n, _ in plan] != [n for n, _ in ran]:
        bad.append("pipelines: plan %s, run %s" % ([n for n, _ in plan], [n for n, _ in ran]))
        return bad
    for (name, steps), (_, rsteps) in zip(plan, ran):
        got = {s["name"]: s for s in rsteps}
        if sorted(steps) != sorted(got):
            bad.append("%s: plan steps %s, run steps %s" % (name, sorted(steps), sorted(got)))
            continue
        for step, (_, after) in steps.items():
            s = got[step]
            for dep in after:
                d = got[dep]
                if when(s.get("started")) and when(d.get("finished")) and \
                        when(s["started"]) < when(d["finished"]):
                    bad.append("%s: '%s' started before '%s' finished" % (name, step, dep))
        for a in steps:
            for b in steps:
                sa, sb = got[a], got[b]
                if a >= b or steps[a] != steps[b] or sa["status"] == "skipped" \
                        or sb["status"] == "skipped" or not sa.get("finished") \
                        or not sb.get("finished"):
                    continue
                if max(when(sa["started"]), when(sb["started"])) > \
                        min(when(sa["finished"]), when(sb["finished"])):
                    bad.append("%s: '%s' and '%s' share a stage but did not overlap"
                               % (name, a, b))
    return bad


def main():
    plan = parse_plan(open(sys.argv[1]).read())
    report = json.load(open(sys.argv[2]))
    if not plan:
        print("# the plan names no pipeline")
        return 1
    bad = compare(plan, report)
    for b in bad:
        print("# " + b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
