#!/usr/bin/env python3
"""A byte proxy that misbehaves on purpose, for the Docker fault tests.

    faultproxy.py tcp PORTFILE HOST:PORT MARK [--after BYTES] [--rate BYTES_PER_S]
        Listens on a free port of 127.0.0.1 (written to PORTFILE) and
        forwards each connection to HOST:PORT.  Once a connection has
        carried BYTES from the server (default 65536: past any manifest,
        into a layer), it touches MARK and then forwards the rest at
        RATE bytes a second, or, at rate 0 (the default), not at all: the
        server stalls mid-answer while the connection stays open.

    faultproxy.py unix SOCKET TARGET MARK --hold SECONDS [--on TEXT] [--request]
        Listens on the unix socket SOCKET and forwards to the engine's
        socket TARGET.  A request whose first line has TEXT (default
        "POST /containers/create" less the API version: a POST with
        /containers/create in its path) is forwarded at once, but its
        answer is held back SECONDS after MARK is touched: an engine slow
        to answer a create it has carried out.  With --request the
        request itself is held back SECONDS (after MARK) before the
        engine sees it: an engine that has not got to it yet.  TEXT
        "/start" is a container's start, "/archive" copying files in.

Each connection ends when either side closes it.  The proxy runs until
killed.
"""
import os
import socket
import sys
import threading
import time


def touch(path):
    with open(path, "a"):
        pass


class Link:
    """One client connection and its server connection."""

    def __init__(self, client, server, opts):
        self.client, self.server, self.opts = client, server, opts
        self.closed = threading.Event()
        self.hold_next = False
        self.from_server = 0

    def close(self):
        self.closed.set()
        for s in (self.client, self.server):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def upstream(self):
        try:
            while not self.closed.is_set():
                data = self.client.recv(65536)
                if not data:
                    break
                if self.held(data.split(b"\r\n", 1)[0]):
                    if self.opts["request"]:
                        touch(self.opts["mark"])
                        if self.wait(self.opts["hold"]):
                            break
                    else:
                        self.hold_next = True
                self.server.sendall(data)
        except OSError:
            pass
        self.close()

    def held(self, line):
        """Whether the request starting with `line` is the one held back."""
        if not self.opts.get("hold"):
            return False
        if self.opts.get("on"):
            return self.opts["on"] in line
        return line.startswith(b"POST ") and b"/containers/create" in line

    def wait(self, seconds):
        """Sleeps `seconds`, or until either side closes; True if one did."""
        return self.closed.wait(seconds)

    def downstream(self):
        try:
            while not self.closed.is_set():
                data = self.server.recv(16384)
                if not data:
                    break
                if self.hold_next:
                    self.hold_next = False
                    touch(self.opts["mark"])
                    if self.wait(self.opts["hold"]):
                        break
                self.send_paced(data)
        except OSError:
            pass
        self.close()

    def send_paced(self, data):
        after = self.opts.get("after")
        if after is None or self.from_server + len(data) <= after:
            self.from_server += len(data)
            self.client.sendall(data)
            return
        head = max(0, after - self.from_server)
        self.client.sendall(data[:head])
        if self.from_server <= after:
            touch(self.opts["mark"])
        self.from_server += len(data)
        rate = self.opts.get("rate", 0)
        rest = data[head:]
        while rest and not self.closed.is_set():
            if rate <= 0:
                self.wait(3600)
                return
            self.wait(1)
            self.client.sendall(rest[:rate])
            rest = rest[rate:]


def serve(listener, connect, opts):
    while True:
        client, _ = listener.accept()
        try:
            server = connect()
        except OSError:
            client.close()
            continue
        link = Link(client, server, opts)
        threading.Thread(target=link.upstream, daemon=True).start()
        threading.Thread(target=link.downstream, daemon=True).start()


def option(args, name, default):
    return int(args[args.index(name) + 1]) if name in args else default


def main(argv):
    mode, where, target, mark = argv[1:5]
    rest = argv[5:]
    opts = {"mark": mark}
    if mode == "tcp":
        host, port = target.rsplit(":", 1)
        opts["after"] = option(rest, "--after", 65536)
        opts["rate"] = option(rest, "--rate", 0)
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        with open(where + ".tmp", "w") as f:
            f.write("%d\n" % listener.getsockname()[1])
        os.rename(where + ".tmp", where)
        serve(listener, lambda: socket.create_connection((host, int(port))), opts)
    elif mode == "unix":
        opts["hold"] = option(rest, "--hold", 60)
        opts["on"] = rest[rest.index("--on") + 1].encode() if "--on" in rest else None
        opts["request"] = "--request" in rest
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(where)
        listener.listen(64)

        def connect():
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(target)
            return s
        serve(listener, connect, opts)
    else:
        sys.exit("usage: faultproxy.py tcp|unix ...")


if __name__ == "__main__":
    main(sys.argv)
