#!/usr/bin/env python3
"""Misspelt keys: the schema refuses the keys the compiler calls misspelt.

usage: schema-keys.py write SCHEMA FILE
       schema-keys.py check SCHEMA FILE FINDINGS

`write` makes FILE, a pipeline whose pipeline, step and trigger maps hold
keys made from every known key of those maps by one to three edits (a
letter changed, dropped, added, or two swapped; a fixed seed, so every
run writes the same file), one a line.  `check` reads what `pipec lint`
reported on FILE: each made key must have an [unknown-key] finding, and
the schema's definition of its map must refuse the key exactly when the
finding has a did-you-mean, with one message naming the same key.  The compiler offers a key up to a third of
the word's length away and the schema stops at two edits, so for a word
of nine letters or more the schema may accept a key the compiler calls
misspelt, never the reverse.  Exits 1 on a disagreement.
"""
import json
import random
import re
import sys


# Each map: its definition in the schema, its known keys (from the
# schema), and the indent its keys are written with.
MAPS = (("pipeline", ""), ("step", "  "), ("when", "  "))


def definition(schema, name):
    return schema["definitions"][name]


def mutate(rng, word, letters):
    w = list(word)
    for _ in range(rng.randint(1, 3)):
        op, i = rng.randint(0, 3), rng.randint(0, len(w))
        if op == 0 and i < len(w):
            w[i] = rng.choice(letters)
        elif op == 1 and i < len(w) and len(w) > 1:
            del w[i]
        elif op == 2:
            w.insert(i, rng.choice(letters))
        elif op == 3 and i + 1 < len(w):
            w[i], w[i + 1] = w[i + 1], w[i]
    return "".join(w)


def made_keys(schema):
    """{map: [key, ...]}: a dozen variants of each known key."""
    rng = random.Random(14)
    out = {}
    for name, _ in MAPS:
        known = sorted(definition(schema, name)["properties"])
        words = set()
        for k in known:
            letters = sorted(set(k)) + ["z", "_"]
            for _ in range(12):
                w = mutate(rng, k, letters)
                if w and w not in known and not w.startswith("_"):
                    words.add(w)
        out[name] = sorted(words)
    return out


def write(path, schema):
    keys = made_keys(schema)
    lines = ["kind: pipeline", "type: docker", "name: misspelt"]
    lines += ["%s: 1" % k for k in keys["pipeline"]]
    lines += ["steps:", "- name: test", "  image: alpine:3.19", "  commands: [\"true\"]"]
    lines += ["  %s: 1" % k for k in keys["step"]]
    lines += ["trigger:", "  branch: [main]"]
    lines += ["  %s: [x]" % k for k in keys["when"]]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return keys


FINDING = re.compile(r": warning: unknown key '([^']*)' in (\w+)(?:, did you mean '([^']*)')? \[unknown-key\]$")


def schema_hints(patterns, key):
    """The keys the schema's messages name for `key`: one per pattern it fails."""
    return [re.search(r"'([^']*)'$", p["patternErrorMessage"]).group(1)
            for p in patterns if not re.search(p["pattern"], key)]


def check(schema, path, findings):
    keys = made_keys(schema)
    reported = {}
    for line in open(findings):
        m = FINDING.search(line.rstrip("\n"))
        if m:
            reported[m.group(1), {"trigger": "when"}.get(m.group(2), m.group(2))] = m.group(3)
    bad = total = refused = 0
    for name, _ in MAPS:
        patterns = definition(schema, name)["propertyNames"]["allOf"]
        for k in keys[name]:
            total += 1
            if (k, name) not in reported:
                print("not ok - %s key '%s': the compiler reported nothing" % (name, k))
                bad += 1
                continue
            hint, named = reported[k, name], schema_hints(patterns, k)
            refused += bool(named)
            if named != ([hint] if hint else []) and not (hint and not named and len(k) >= 9):
                print("not ok - %s key '%s': the compiler suggests %s, the schema %s" % (
                    name, k, hint, named))
                bad += 1
    print("# %d made keys, %d refused by the schema" % (total, refused))
    return 1 if bad or not refused or refused == total else 0


def main():
    if sys.argv[1] == "write":
        schema = json.load(open(sys.argv[2]))
        write(sys.argv[3], schema)
        return 0
    schema = json.load(open(sys.argv[2]))
    return check(schema, sys.argv[3], sys.argv[4])


if __name__ == "__main__":
    sys.exit(main())
