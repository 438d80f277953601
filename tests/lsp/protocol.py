#!/usr/bin/env python3
"""Protocol-level tests of `pipec lsp`: framing, errors, cancellation,
synchronisation, positions and the life cycle, byte for byte.

Usage: protocol.py PIPEC [docker].  Prints `ok - NAME` / `not ok - NAME`
per case.  With `docker`, runs only the cases that need the Docker engine
DOCKER_HOST names, holding the image busybox:1.35.
"""
import json
import os
import select
import subprocess
import sys
import time

PIPEC = sys.argv[1]
URI = "file:///work/.drone.yml"


def frame(obj):
    body = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


class Server:
    def __init__(self, env=None):
        self.p = subprocess.Popen([PIPEC, "lsp"], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  env=dict(os.environ, **(env or {})))
        self.buf = b""
        self.seen = []

    def write(self, data):
        self.p.stdin.write(data)
        self.p.stdin.flush()

    def send(self, *msgs):
        self.write(b"".join(frame(m) for m in msgs))

    def read(self, timeout=10):
        end = time.time() + timeout
        while True:
            if b"\r\n\r\n" in self.buf:
                head, rest = self.buf.split(b"\r\n\r\n", 1)
                n = int(head.split(b":")[1])
                if len(rest) >= n:
                    self.buf = rest[n:]
                    msg = json.loads(rest[:n])
                    self.seen.append(msg)
                    return msg
            left = end - time.time()
            if left <= 0:
                return None
            r, _, _ = select.select([self.p.stdout], [], [], left)
            if not r:
                return None
            chunk = os.read(self.p.stdout.fileno(), 65536)
            if not chunk:
                return None
            self.buf += chunk

    def wait_for(self, pred, timeout=10):
        end = time.time() + timeout
        while time.time() < end:
            m = self.read(end - time.time())
            if m is None:
                return None
            if pred(m):
                return m
        return None

    def response(self, id_):
        return self.wait_for(lambda m: m.get("id") == id_ and "method" not in m)

    def diagnostics(self, version=None):
        return self.wait_for(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                             and (version is None or m["params"].get("version") == version))

    def init(self, options=None):
        self.send({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                   "params": {"capabilities": {}, "initializationOptions": options or {}}},
                  {"jsonrpc": "2.0", "method": "initialized", "params": {}})
        return self.response(1)

    def open(self, text, version=1):
        self.send({"jsonrpc": "2.0", "method": "textDocument/didOpen",
                   "params": {"textDocument": {"uri": URI, "languageId": "yaml",
                                               "version": version, "text": text}}})

    def change(self, version, *changes):
        self.send({"jsonrpc": "2.0", "method": "textDocument/didChange",
                   "params": {"textDocument": {"uri": URI, "version": version},
                              "contentChanges": list(changes)}})

    def finish(self, shutdown=True):
        if shutdown:
            self.send({"jsonrpc": "2.0", "id": 999, "method": "shutdown"})
            self.response(999)
        self.send({"jsonrpc": "2.0", "method": "exit"})
        try:
            rc = self.p.wait(10)
            # A server that never said a word proves nothing by its status.
            return rc if self.seen else "no message from the server (exit %d)" % rc
        finally:
            self.p.stdin.close()
            self.p.stdout.close()
            self.p.stderr.close()


def report(ok, name, detail=""):
    print(("ok - " if ok else "not ok - ") + "lsp: " + name)
    if not ok and detail:
        print("#   " + str(detail)[:400])


GOOD = """kind: pipeline
type: docker
name: build

steps:
- name: test
  image: golang:1.22
  commands: [go test ./...]
"""


def rng(l1, c1, l2, c2):
    return {"start": {"line": l1, "character": c1}, "end": {"line": l2, "character": c2}}


def codes(msg):
    return [d.get("code") for d in msg["params"]["diagnostics"]] if msg else None


def case_lifecycle():
    s = Server()
    s.send({"jsonrpc": "2.0", "id": 7, "method": "textDocument/hover", "params": {}})
    r = s.response(7)
    report(r is not None and r.get("error", {}).get("code") == -32002,
           "a request before initialize is refused as not initialized", r)
    r = s.init()
    caps = (r or {}).get("result", {}).get("capabilities", {})
    report(caps.get("textDocumentSync", {}).get("change") == 2 and caps.get("renameProvider"),
           "initialize answers incremental sync and the features", caps)
    s.send({"jsonrpc": "2.0", "id": 2, "method": "shutdown"})
    r = s.response(2)
    report(r is not None and r.get("result") is None and "error" not in r,
           "shutdown is answered with null", r)
    s.send({"jsonrpc": "2.0", "id": 3, "method": "textDocument/documentSymbol",
            "params": {"textDocument": {"uri": URI}}})
    r = s.response(3)
    report(r is not None and r.get("error", {}).get("code") == -32600,
           "a request after shutdown is an invalid request", r)
    rc = s.finish(shutdown=False)
    report(rc == 0, "exit after shutdown exits 0", rc)
    s = Server()
    s.init()
    rc = s.finish(shutdown=False)
    report(rc == 1, "exit without shutdown exits 1", rc)


def case_malformed():
    s = Server()
    s.init()
    s.write(frame(b"{not json"))
    r = s.wait_for(lambda m: "error" in m)
    report(r is not None and r["error"]["code"] == -32700 and r["id"] is None,
           "a body that is not JSON is a parse error with a null id", r)
    s.write(b"Content-Type: x\r\n\r\n")
    r = s.wait_for(lambda m: "error" in m)
    report(r is not None and r["error"]["code"] == -32700,
           "a header without Content-Length is a parse error", r)
    s.send({"jsonrpc": "2.0", "id": {"a": 1}, "method": "shutdown"})
    r = s.wait_for(lambda m: "error" in m)
    report(r is not None and r["error"]["code"] == -32600,
           "an id that is an object makes an invalid request", r)
    s.send({"jsonrpc": "2.0", "id": 4, "method": "textDocument/noSuchThing", "params": {}})
    r = s.response(4)
    report(r is not None and r["error"]["code"] == -32601, "an unknown method is not found", r)
    s.send({"jsonrpc": "2.0", "id": 5, "method": "textDocument/definition",
            "params": {"textDocument": {"uri": URI}, "position": "here"}})
    r = s.response(5)
    report(r is not None and "error" in r and r["error"]["code"] == -32602,
           "a request on a document never opened is invalid params", r)
    s.open(GOOD)
    s.send({"jsonrpc": "2.0", "id": 6, "method": "textDocument/definition",
            "params": {"textDocument": {"uri": URI}, "position": {"line": -4, "character": "x"}}})
    r = s.response(6)
    report(r is not None and r.get("result") is None and "error" not in r,
           "a malformed position is answered with null, not a crash", r)
    rc = s.finish()
    report(rc == 0, "after malformed messages the server still shuts down cleanly", rc)


def case_cancel():
    s = Server()
    s.init()
    s.open(GOOD)
    hover = {"jsonrpc": "2.0", "id": 10, "method": "textDocument/hover",
             "params": {"textDocument": {"uri": URI}, "position": {"line": 6, "character": 3}}}
    s.send(hover, {"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": 10}})
    r = s.response(10)
    report(r is not None and r.get("error", {}).get("code") == -32800,
           "a request cancelled while it waited is answered as cancelled", r)
    hover["id"] = 11
    s.send(hover)
    r = s.response(11)
    report(r is not None and "image" in json.dumps(r.get("result")),
           "the same request not cancelled is answered", r)
    s.finish()


def case_sync():
    s = Server()
    s.init()
    s.open(GOOD, 1)
    d = s.diagnostics(1)
    report(d is not None and d["params"]["diagnostics"] == [],
           "a clean file gets an empty diagnostics list", d)
    # insert a misspelt key after line 6 by an incremental edit
    s.change(2, {"range": rng(7, 0, 7, 0), "text": "  imagee: x\n"})
    d = s.diagnostics(2)
    got = d and [(x["code"], x["range"]) for x in d["params"]["diagnostics"]]
    report(got == [("unknown-key", rng(7, 2, 7, 8))],
           "an incremental insert is applied and its finding placed exactly", got)
    s.change(3, {"range": rng(7, 7, 7, 8), "text": ""})
    d = s.diagnostics(3)
    report(d is not None and "duplicate-key" in codes(d) and "unknown-key" not in codes(d),
           "a second incremental edit (delete one character) is applied", codes(d))
    s.change(4, {"text": GOOD})
    d = s.diagnostics(4)
    report(d is not None and d["params"]["diagnostics"] == [], "a full-text change replaces all", d)
    # astral characters count two UTF-16 units
    s.change(5, {"text": GOOD.replace("  commands: [go test ./...]",
                                      '  entrypoint: ["\U0001F600x\u00e9", {a: b}]')})
    d = s.diagnostics(5)
    wrong = [x for x in (d or {"params": {"diagnostics": []}})["params"]["diagnostics"]
             if x["code"] == "wrong-type"]
    line = '  entrypoint: ["\U0001F600x\u00e9", {a: b}]'
    want = len(line[:line.index("{a")].encode("utf-16-le")) // 2
    report(len(wrong) == 1 and wrong[0]["range"]["start"] == {"line": 7, "character": want},
           "columns after non-ASCII text are UTF-16 code units", (wrong, want))
    # many changes at once are checked once
    s.send(*[{"jsonrpc": "2.0", "method": "textDocument/didChange",
              "params": {"textDocument": {"uri": URI, "version": 100 + i},
                         "contentChanges": [{"text": GOOD}]}} for i in range(50)])
    d = s.diagnostics(149)
    early = [m for m in s.seen if m.get("method") == "textDocument/publishDiagnostics"
             and 100 <= m["params"]["version"] < 120]
    report(d is not None and len(early) < 20,
           "a burst of changes is checked once per read, not once per change", len(early))
    s.finish()


def case_half_typed():
    s = Server()
    s.init()
    s.open(GOOD, 1)
    s.diagnostics(1)
    s.change(2, {"text": GOOD + "- name: lint\n  image: [unclosed\n  depends_on: [te"})
    d = s.diagnostics(2)
    report(d is not None and "yaml-syntax" in codes(d), "a half-typed file gets a syntax finding",
           codes(d))
    s.send({"jsonrpc": "2.0", "id": 20, "method": "textDocument/documentSymbol",
            "params": {"textDocument": {"uri": URI}}})
    r = s.response(20)
    names = [c["name"] for p in (r or {}).get("result") or [] for c in p.get("children", [])]
    report(r is not None and "error" not in r and "test" in names,
           "symbols are still answered from what was read before the break", r)
    s.send({"jsonrpc": "2.0", "id": 21, "method": "textDocument/completion",
            "params": {"textDocument": {"uri": URI}, "position": {"line": 10, "character": 17}}})
    r = s.response(21)
    labels = [i["label"] for i in (r or {}).get("result") or []]
    report("test" in labels, "depends_on completion works in a half-typed file", labels)
    rc = s.finish()
    report(rc == 0, "the server survives the half-typed file", rc)


def case_settings():
    s = Server()
    s.init({"strict": False})
    text = GOOD + "- name: build\n  image: alpine\n  privileged: true\n  commands: [make]\n"
    s.open(text, 1)
    d = s.diagnostics(1)
    sev = {x["code"]: x["severity"] for x in (d or {"params": {"diagnostics": []}})["params"]["diagnostics"]}
    report(sev == {"image-latest": 2, "untrusted-privileged": 1},
           "by default an untagged image is a warning and a privileged step an error", sev)
    s.send({"jsonrpc": "2.0", "method": "workspace/didChangeConfiguration",
            "params": {"settings": {"pipec": {"strict": True, "trusted": True}}}})
    d = s.diagnostics()
    sev = {x["code"]: x["severity"] for x in (d or {"params": {"diagnostics": []}})["params"]["diagnostics"]}
    report(sev == {"image-latest": 1},
           "settings change: strict makes warnings errors, trusted allows privileged", sev)
    s.finish()


def case_related():
    s = Server()
    s.init()
    s.open("kind: pipeline\nname: a\nsteps:\n- name: x\n  image: a:1\n  depends_on: [y]\n"
           "- name: y\n  image: a:1\n  depends_on: [x]\n", 1)
    d = s.diagnostics(1)
    cyc = [x for x in (d or {"params": {"diagnostics": []}})["params"]["diagnostics"]
           if x["code"] == "dependency-cycle"]
    rel = cyc[0].get("relatedInformation", []) if cyc else []
    got = [(r["location"]["range"]["start"]["line"], r["message"]) for r in rel]
    report(got == [(3, "step 'x' depends on 'y'"), (6, "step 'y' depends on 'x'")],
           "a cycle's finding relates each hop to its step", got)
    s.finish()


NAV = """kind: pipeline
name: build
steps:
- name: test
  image: golang:1.22
  pull: always
  volumes:
  - name: cache
    path: /go
- name: lint
  image: golang:1.22
  depends_on: [tset]
volumes:
- name: cache
  temp: {}
---
kind: pipeline
name: deploy
depends_on: [build]
steps:
- name: up
  image: alpine:3
"""


def request(s, id_, method, line, char, **extra):
    params = {"textDocument": {"uri": URI}, "position": {"line": line, "character": char}}
    params.update(extra)
    s.send({"jsonrpc": "2.0", "id": id_, "method": method, "params": params})
    return (s.response(id_) or {}).get("result")


def case_navigation():
    s = Server()
    s.init()
    s.open(NAV, 1)
    d = s.diagnostics(1)
    r = request(s, 30, "textDocument/definition", 18, 13)
    report(r is not None and r["range"]["start"] == {"line": 1, "character": 6},
           "definition from a pipeline's depends_on to the pipeline", r)
    r = request(s, 31, "textDocument/definition", 7, 12)
    report(r is not None and r["range"]["start"] == {"line": 13, "character": 8},
           "definition from a mount to the pipeline's volume", r)
    r = request(s, 32, "textDocument/references", 13, 9, context={"includeDeclaration": True})
    lines = sorted(x["range"]["start"]["line"] for x in r or [])
    report(lines == [7, 13], "references of a volume: its mount and itself", r)
    r = request(s, 33, "textDocument/completion", 5, 9)
    labels = [i["label"] for i in r or []]
    report(labels[:4] == ["always", "if-not-exists", "never", "default"],
           "completion of a pull policy offers the policies", labels)
    dep = [x for x in d["params"]["diagnostics"] if x["code"] == "unknown-dependency"] if d else []
    r = request(s, 34, "textDocument/codeAction", 9, 2,
                range={"start": {"line": 9, "character": 2}, "end": {"line": 9, "character": 2}},
                context={"diagnostics": dep})
    edits = [e for a in r or [] for e in a["edit"]["changes"][URI]]
    report(len(dep) == 1 and edits == [{"range": rng(11, 15, 11, 19), "newText": "test"}],
           "an unknown dependency's quick fix replaces the name with the step it meant", (dep, r))
    s.finish()


def case_image_pin():
    s = Server()
    s.init()
    s.open("kind: pipeline\nname: a\nsteps:\n- name: x\n  image: busybox\n  commands: [true]\n"
           "- name: y\n  image: \"nginx:latest\"\n  commands: [true]\n", 1)
    d = s.diagnostics(1)
    lat = [x for x in (d or {"params": {"diagnostics": []}})["params"]["diagnostics"]
           if x["code"] == "image-latest"]
    r = request(s, 40, "textDocument/codeAction", 3, 2,
                range={"start": {"line": 3, "character": 2}, "end": {"line": 3, "character": 2}},
                context={"diagnostics": lat[:1]})
    edits = [e for a in r or [] for e in a["edit"]["changes"][URI]]
    report(len(lat) == 2 and {"range": rng(4, 9, 4, 16), "newText": "busybox:1.35"} in edits,
           "an untagged image offers to pin a tag the local engine holds", (lat, r))
    r = request(s, 41, "textDocument/codeAction", 6, 2,
                range={"start": {"line": 6, "character": 2}, "end": {"line": 6, "character": 2}},
                context={"diagnostics": lat[1:2]})
    report(r == [], "an image the engine does not hold gets no pin", r)
    s.finish()


def case_image_pin_no_engine():
    s = Server({"DOCKER_HOST": "unix:///nonexistent/docker.sock"})
    s.init()
    s.open("kind: pipeline\nname: a\nsteps:\n- name: x\n  image: busybox\n  commands: [true]\n", 1)
    d = s.diagnostics(1)
    lat = [x for x in (d or {"params": {"diagnostics": []}})["params"]["diagnostics"]
           if x["code"] == "image-latest"]
    t = time.time()
    r = request(s, 42, "textDocument/codeAction", 3, 2,
                range={"start": {"line": 3, "character": 2}, "end": {"line": 3, "character": 2}},
                context={"diagnostics": lat})
    report(len(lat) == 1 and r == [] and time.time() - t < 5,
           "without an engine an untagged image gets no pin, quickly", (lat, r))
    s.finish()


DOCKER_CASES = (case_image_pin,)
CASES = (case_navigation, case_related, case_lifecycle, case_malformed, case_cancel, case_sync,
         case_half_typed, case_settings, case_image_pin_no_engine)
for case in DOCKER_CASES if sys.argv[2:] == ["docker"] else CASES:
    try:
        case()
    except Exception as e:  # a crash of the test is a failure, not a pass
        report(False, case.__name__ + " ran to the end", repr(e))
