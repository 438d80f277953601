#!/usr/bin/env python3
"""Drives `pipec lsp` as an editor does on every keystroke: opens FILE,
then sends EDITS incremental changes one at a time (typing a misspelt key
into a step and deleting it again), each time waiting for the diagnostics
of that version.  Prints, space-separated: the median and the 90th
percentile milliseconds from sending a change to receiving its
diagnostics, and the server's resident memory in KiB after the first
tenth of the edits and after the last.

usage: edits.py PIPEC FILE EDITS
"""
import json
import os
import select
import statistics
import subprocess
import sys
import time

pipec, path, edits = sys.argv[1], sys.argv[2], int(sys.argv[3])
text = open(path).read()
uri = "file://" + os.path.abspath(path)
p = subprocess.Popen([pipec, "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
buf = b""


def send(obj):
    body = json.dumps(obj).encode()
    p.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    p.stdin.flush()


def read():
    global buf
    while True:
        if b"\r\n\r\n" in buf:
            head, rest = buf.split(b"\r\n\r\n", 1)
            n = int(head.split(b":")[1])
            if len(rest) >= n:
                buf = rest[n:]
                return json.loads(rest[:n])
        select.select([p.stdout], [], [])
        chunk = os.read(p.stdout.fileno(), 1 << 16)
        if not chunk:
            sys.exit("the server went away")
        buf += chunk


def diagnostics(version):
    while True:
        m = read()
        if m.get("method") == "textDocument/publishDiagnostics" and \
                m["params"].get("version") == version:
            return m


def rss_kib():
    with open("/proc/%d/status" % p.pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}})
send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
send({"jsonrpc": "2.0", "method": "textDocument/didOpen",
      "params": {"textDocument": {"uri": uri, "languageId": "yaml", "version": 0, "text": text}}})
diagnostics(0)
# the line after the first step's name: a key typed there belongs to the step
lines = text.split("\n")
at = next(i for i, l in enumerate(lines) if l.startswith("- name:")) + 1
times, early = [], 0
for v in range(1, edits + 1):
    if v % 2:
        change = {"range": {"start": {"line": at, "character": 0},
                            "end": {"line": at, "character": 0}}, "text": "  imagee: x\n"}
    else:
        change = {"range": {"start": {"line": at, "character": 0},
                            "end": {"line": at + 1, "character": 0}}, "text": ""}
    t = time.perf_counter()
    send({"jsonrpc": "2.0", "method": "textDocument/didChange",
          "params": {"textDocument": {"uri": uri, "version": v}, "contentChanges": [change]}})
    diagnostics(v)
    times.append((time.perf_counter() - t) * 1000)
    if v == edits // 10:
        early = rss_kib()
late = rss_kib()
send({"jsonrpc": "2.0", "id": 2, "method": "shutdown"})
send({"jsonrpc": "2.0", "method": "exit"})
p.wait(10)
times.sort()
print("%.3f %.3f %d %d" % (statistics.median(times), times[int(len(times) * 0.9)], early, late))
