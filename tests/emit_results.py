"""Compares the step results of `pipec run` (the summary it prints, one
`  NAME  STATUS ...` line per step) with those an emitted script printed
(`[pipec] step NAME: STATUS` lines), or with those of another `pipec run`:
python3 tests/emit_results.py RUN-STDERR SCRIPT-OUTPUT|RUN-STDERR

A failure the runtime marks `(ignored)` is the script's `ignored`.
Prints each difference and exits 1 when there is one."""
import re
import sys


def run_results(path):
    out = []
    for line in open(path, errors="replace"):
        m = re.match(r"  (\S+) +(success|failure|skipped|cancelled|pending) ", line)
        if m:
            ignored = line.rstrip().endswith("(ignored)")
            out.append((m.group(1), "ignored" if ignored else m.group(2)))
    return out


def main():
    want = run_results(sys.argv[1])
    got = []
    for line in open(sys.argv[2], errors="replace"):
        m = re.match(r"\[pipec\] step (.*): (\w+)$", line.rstrip("\n"))
        if m:
            got.append((m.group(1), m.group(2)))
    if not got:
        got = run_results(sys.argv[2])
    if sorted(want) == sorted(got) and want:
        return 0
    print("#   pipec run: %r" % want)
    print("#   script:    %r" % got)
    return 1


sys.exit(main())
