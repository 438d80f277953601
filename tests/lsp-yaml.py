#!/usr/bin/env python3
"""Drives yaml-language-server over stdio (LSP) and prints what it says.

usage: lsp-yaml.py SERVER SCHEMA FILE...

Starts SERVER (`node .../yaml-language-server --stdio`), maps SCHEMA to
every FILE through the `yaml.schemas` setting, opens each file and
prints one line per diagnostic the server publishes for it:
`FILE:LINE:COL: MESSAGE` (LINE and COL count from 1).  A file with no
diagnostic prints `FILE: clean`.  Exits 2 when the server does not answer.
"""
import json
import os
import pathlib
import select
import subprocess
import sys
import time


class Server:
    def __init__(self, cmd):
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL)
        self.buf = b""
        self.next_id = 1
        self.settings = {}

    def send(self, msg):
        body = json.dumps(dict(msg, jsonrpc="2.0")).encode()
        self.p.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.p.stdin.flush()

    def request(self, method, params):
        self.send({"id": self.next_id, "method": method, "params": params})
        self.next_id += 1
        return self.next_id - 1

    def notify(self, method, params):
        self.send({"method": method, "params": params})

    def _one(self, deadline):
        """One message, or None at the deadline."""
        while True:
            head, sep, rest = self.buf.partition(b"\r\n\r\n")
            if sep:
                n = int([l.split(b":")[1] for l in head.split(b"\r\n")
                         if l.lower().startswith(b"content-length")][0])
                if len(rest) >= n:
                    self.buf = rest[n:]
                    return json.loads(rest[:n])
            left = deadline - time.time()
            if left <= 0 or not select.select([self.p.stdout], [], [], left)[0]:
                return None
            chunk = os.read(self.p.stdout.fileno(), 65536)
            if not chunk:
                return None
            self.buf += chunk

    def pump(self, seconds, until=None):
        """Handles messages for `seconds`, or until `until(msg)` is true."""
        deadline = time.time() + seconds
        out = []
        while True:
            msg = self._one(deadline)
            if msg is None:
                return out
            if "id" in msg and "method" in msg:      # a request from the server
                result = None
                if msg["method"] == "workspace/configuration":
                    result = [self.settings.get(i.get("section"), self.settings)
                              for i in msg["params"]["items"]]
                self.send({"id": msg["id"], "result": result})
                continue
            out.append(msg)
            if until and until(msg):
                return out


def main():
    server, schema, files = sys.argv[1], sys.argv[2], sys.argv[3:]
    uris = [pathlib.Path(f).resolve().as_uri() for f in files]
    s = Server(["node", server, "--stdio"])
    yaml = {"validate": True, "hover": True, "completion": True,
            "schemas": {pathlib.Path(schema).resolve().as_uri(): uris},
            "schemaStore": {"enable": False}}
    s.settings = {"yaml": yaml}
    rid = s.request("initialize", {
        "processId": os.getpid(), "rootUri": None,
        "capabilities": {"workspace": {"configuration": True},
                         "textDocument": {"publishDiagnostics": {}}}})
    if not s.pump(30, lambda m: m.get("id") == rid):
        print("no answer to initialize", file=sys.stderr)
        sys.exit(2)
    s.notify("initialized", {})
    s.notify("workspace/didChangeConfiguration", {"settings": s.settings})
    s.pump(1)
    for f, uri in zip(files, uris):
        s.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "yaml", "version": 1,
            "text": pathlib.Path(f).read_text()}})
        # the server may publish more than once; keep the last list
        def mine(m):
            return m.get("method") == "textDocument/publishDiagnostics" and \
                m["params"]["uri"] == uri
        diags = None
        for m in s.pump(20, mine) + s.pump(1.5):
            if mine(m):
                diags = m["params"]["diagnostics"]
        if diags is None:
            print(f"{f}: no diagnostics published", file=sys.stderr)
            sys.exit(2)
        for d in diags:
            st = d["range"]["start"]
            print(f"{f}:{st['line'] + 1}:{st['character'] + 1}: {d['message']}")
        if not diags:
            print(f"{f}: clean")
    s.request("shutdown", None)
    s.pump(2)
    s.notify("exit", None)
    s.p.wait(5)


if __name__ == "__main__":
    main()
