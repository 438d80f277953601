#!/usr/bin/env python3
"""Checks that pipec's JSON Schema and its compiler agree on files.

usage: schema-agree.py SCHEMA RESULTS

RESULTS lists one file a line as `STATUS FINDINGS FILE`: the exit status
of `pipec validate` on FILE and a file holding what it reported.  Each
FILE is read as YAML (every document) and checked against SCHEMA, as an
editor checks it.  The two agree on a file when

  - the compiler accepts it (status 0) with no misspelt key (an
    [unknown-key] finding with a did-you-mean): the schema accepts every
    document;
  - the compiler calls a key misspelt: the schema refuses the file;
  - the compiler refuses the file for a reason the schema states (a wrong
    type, a missing key, an unknown kind): the schema refuses it.

Other refusals (cycles, unknown steps, images) are the validator's, not
the schema's, and are only counted.  Prints one line per disagreement and
a summary; exits 1 when there is a disagreement, or too few files to
tell (under 50, or under 10 the compiler accepts).
"""
import json
import re
import sys

import jsonschema
import yaml


class Loader(yaml.SafeLoader):
    """YAML as pipec reads it: a date is a string, not a timestamp."""


Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

SCHEMA_RULES = ("wrong-type", "missing-key", "unknown-kind")
MISSPELT = re.compile(r"unknown key '[^']*' in .*, did you mean '[^']*' \[unknown-key\]$")


def schema_errors(validator, path):
    """The schema's complaints about FILE, or None when it is not YAML."""
    try:
        with open(path, encoding="utf-8") as f:
            docs = list(yaml.load_all(f, Loader=Loader))
    except (yaml.YAMLError, UnicodeDecodeError, RecursionError):
        return None
    errors = []
    for i, doc in enumerate(docs):
        if doc is None:
            continue
        for e in validator.iter_errors(doc):
            where = "/".join(str(p) for p in e.absolute_path)
            errors.append("document %d: %s: %s" % (i + 1, where or "(top)", e.message[:120]))
    return errors


def main():
    schema = json.load(open(sys.argv[1]))
    validator = jsonschema.Draft7Validator(schema)
    counts = {"accepted": 0, "misspelt": 0, "schema-refused": 0, "other": 0, "not-yaml": 0}
    bad = 0
    for line in open(sys.argv[2]):
        status, findings, path = line.rstrip("\n").split(" ", 2)
        lines = open(findings, encoding="utf-8", errors="replace").read().splitlines()
        misspelt = any(MISSPELT.search(l) for l in lines)
        errors = [l for l in lines if ": error: " in l]
        stated = [l for l in errors if l.endswith(tuple("[%s]" % r for r in SCHEMA_RULES))]
        got = schema_errors(validator, path)
        if got is None:
            counts["not-yaml"] += 1
            if status == "0":
                print("not ok - %s: the compiler accepts it, YAML cannot read it" % path)
                bad += 1
            continue
        if status == "0" and not misspelt:
            want, kind = True, "accepted"
        elif misspelt:
            want, kind = False, "misspelt"
        elif stated and len(stated) == len(errors):
            want, kind = False, "schema-refused"
        else:
            counts["other"] += 1
            continue
        counts[kind] += 1
        if want and got:
            print("not ok - %s: compiles, but the schema says: %s" % (path, "; ".join(got[:3])))
            bad += 1
        elif not want and not got:
            print("not ok - %s: the compiler says %s, the schema accepts it"
                  % (path, (errors or lines)[0]))
            bad += 1
    print("# %s" % ", ".join("%s %d" % kv for kv in counts.items()))
    return 1 if bad or counts["accepted"] < 10 or sum(counts.values()) < 50 else 0


if __name__ == "__main__":
    sys.exit(main())
