#!/usr/bin/python3
# SPDX-License-Identifier: EUPL-1.2
"""A subscriber of ntfy's subscribe API, written from ntfy's published
documentation (docs.ntfy.sh, "Subscribe via API": the JSON stream, the SSE
stream, WebSockets, since=, poll=1, the JSON message format; "Publish":
access tokens as "Authorization: Bearer"), not from samen-web's code, so
that the tests check samen-web against the protocol rather than against
itself.

As a program it prints each event it receives as one JSON line and exits 0,
or prints "ntfyclient: ..." on standard error and exits with:
  2 usage, 3 a reply that breaks the documented format, 4 connection
  failed or refused (the HTTP status is in the message), 5 timed out before
  --count events arrived.

  ntfyclient.py BASE_URL TOPIC [--format json|sse|ws] [--token T]
                [--since S] [--poll] [--count N] [--messages-only]
                [--timeout SECONDS]
"""
import argparse
import http.client
import json
import socket
import sys
import time
import urllib.parse

EVENTS = ("open", "keepalive", "message", "poll_request")


class Refused(Exception):
    """The server answered with an HTTP status other than 200/101."""

    def __init__(self, status, body):
        super().__init__("HTTP %d: %s" % (status, body.strip()[:200]))
        self.status = status


class BadFormat(Exception):
    """A reply that is not what the documentation describes."""


def check_message(m, topic):
    """Checks one event object against the documented JSON message format."""
    if not isinstance(m, dict):
        raise BadFormat("event is not a JSON object: %r" % (m,))
    for k, t in (("id", str), ("time", int), ("event", str), ("topic", str)):
        if k not in m or not isinstance(m[k], t) or isinstance(m[k], bool):
            raise BadFormat("event without a valid %r: %r" % (k, m))
    if m["event"] not in EVENTS:
        raise BadFormat("unknown event %r" % m["event"])
    if topic not in m["topic"].split(","):
        raise BadFormat("event for topic %r, subscribed to %r" % (m["topic"], topic))
    if m["event"] == "message":
        if not isinstance(m.get("message"), str):
            raise BadFormat("message event without a message: %r" % (m,))
        if "title" in m and not isinstance(m["title"], str):
            raise BadFormat("title is not a string")
        if "tags" in m and (not isinstance(m["tags"], list)
                            or not all(isinstance(t, str) for t in m["tags"])):
            raise BadFormat("tags is not a string array")
        if "priority" in m and (not isinstance(m["priority"], int)
                                or isinstance(m["priority"], bool)
                                or not 1 <= m["priority"] <= 5):
            raise BadFormat("priority is not 1..5: %r" % (m["priority"],))
        if "click" in m and not (isinstance(m["click"], str) and
                                 urllib.parse.urlsplit(m["click"]).scheme):
            raise BadFormat("click is not a URL: %r" % (m["click"],))
    return m


def _query(since, poll):
    q = {}
    if since is not None:
        q["since"] = since
    if poll:
        q["poll"] = "1"
    return ("?" + urllib.parse.urlencode(q)) if q else ""


def _http_stream(base, topic, fmt, token, since, poll, timeout):
    u = urllib.parse.urlsplit(base)
    cls = http.client.HTTPSConnection if u.scheme == "https" else http.client.HTTPConnection
    conn = cls(u.hostname, u.port, timeout=timeout)
    path = u.path.rstrip("/") + "/" + urllib.parse.quote(topic) + "/" + fmt + _query(since, poll)
    headers = {"Authorization": "Bearer " + token} if token else {}
    conn.request("GET", path, headers=headers)
    resp = conn.getresponse()
    if resp.status != 200:
        raise Refused(resp.status, resp.read().decode("utf-8", "replace"))
    ctype = resp.getheader("Content-Type", "")
    want = "application/x-ndjson" if fmt == "json" else "text/event-stream"
    if not ctype.startswith(want):
        raise BadFormat("Content-Type %r for /%s (the documentation says %s)" % (ctype, fmt, want))
    return conn, resp


def json_events(base, topic, token=None, since=None, poll=False, timeout=10):
    """The JSON stream: one JSON object per line."""
    conn, resp = _http_stream(base, topic, "json", token, since, poll, timeout)
    try:
        while True:
            line = resp.readline()
            if not line:
                return
            if line.strip():
                yield check_message(json.loads(line), topic)
    finally:
        conn.close()


def sse_events(base, topic, token=None, since=None, poll=False, timeout=10):
    """The SSE stream: "event:" and "data:" lines, an empty line ends one;
    the data is the same JSON object, and an event without an "event:"
    line is a message."""
    conn, resp = _http_stream(base, topic, "sse", token, since, poll, timeout)
    try:
        name, data = None, []
        while True:
            line = resp.readline()
            if not line:
                return
            line = line.decode("utf-8").rstrip("\r\n")
            if line == "":
                if data:
                    m = check_message(json.loads("\n".join(data)), topic)
                    if (name or "message") != m["event"]:
                        raise BadFormat("SSE event %r carries a %r" % (name, m["event"]))
                    yield m
                name, data = None, []
            elif line.startswith(":"):
                continue
            else:
                field, _, value = line.partition(":")
                value = value[1:] if value.startswith(" ") else value
                if field == "event":
                    name = value
                elif field == "data":
                    data.append(value)
    finally:
        conn.close()


def ws_events(base, topic, token=None, since=None, poll=False, timeout=10):
    """WebSockets at <topic>/ws: each text message is one JSON object."""
    import websocket  # Debian's python3-websocket

    u = urllib.parse.urlsplit(base)
    scheme = "wss" if u.scheme == "https" else "ws"
    url = "%s://%s%s/%s/ws%s" % (scheme, u.netloc, u.path.rstrip("/"),
                                 urllib.parse.quote(topic), _query(since, poll))
    headers = ["Authorization: Bearer " + token] if token else []
    try:
        ws = websocket.create_connection(url, header=headers, timeout=timeout)
    except websocket.WebSocketBadStatusException as e:
        raise Refused(e.status_code, str(e))
    try:
        while True:
            try:
                text = ws.recv()
            except websocket.WebSocketConnectionClosedException:
                return
            if not text:
                return
            yield check_message(json.loads(text), topic)
    finally:
        ws.close()


class RawWS:
    """A WebSocket client on a plain socket, from RFC 6455 alone, to send
    what a library would not: pings, closes and frames that break the
    protocol. ws://, or wss:// when given an ssl context for an https base."""

    GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    def __init__(self, base, topic, token, query="", timeout=10, ssl_context=None):
        import base64
        import hashlib
        import os
        u = urllib.parse.urlsplit(base)
        self.sock = socket.create_connection((u.hostname, u.port), timeout=timeout)
        if ssl_context is not None:
            self.sock = ssl_context.wrap_socket(self.sock, server_hostname=u.hostname)
        key = base64.b64encode(os.urandom(16))
        req = ("GET /%s/ws%s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
               "Authorization: Bearer %s\r\n\r\n" % (topic, query, u.netloc, key.decode(), token))
        self.sock.sendall(req.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            b = self.sock.recv(1)
            if not b:
                raise BadFormat("connection closed during the handshake")
            head += b
        lines = head.decode("latin-1").split("\r\n")
        if not lines[0].startswith("HTTP/1.1 101"):
            raise Refused(int(lines[0].split()[1]), lines[0])
        fields = dict((k.strip().lower(), v.strip()) for k, _, v in
                      (ln.partition(":") for ln in lines[1:] if ln))
        want = base64.b64encode(hashlib.sha1(key + self.GUID).digest()).decode()
        if fields.get("sec-websocket-accept") != want:
            raise BadFormat("Sec-WebSocket-Accept %r, not %r" % (fields.get("sec-websocket-accept"), want))
        self.buf = b""

    def send(self, opcode, payload=b"", fin=True, mask=True, rsv=0):
        import os
        b0 = (0x80 if fin else 0) | rsv << 4 | opcode
        n = len(payload)
        head = bytes([b0])
        mbit = 0x80 if mask else 0
        if n < 126:
            head += bytes([mbit | n])
        elif n < 65536:
            head += bytes([mbit | 126]) + n.to_bytes(2, "big")
        else:
            head += bytes([mbit | 127]) + n.to_bytes(8, "big")
        if mask:
            key = os.urandom(4)
            payload = key + bytes(c ^ key[i % 4] for i, c in enumerate(payload))
        self.sock.sendall(head + payload)

    def _need(self, n):
        while len(self.buf) < n:
            b = self.sock.recv(65536)
            if not b:
                raise EOFError
            self.buf += b

    def recv(self):
        """(opcode, payload) of the next frame; a server's are never masked."""
        self._need(2)
        if self.buf[1] & 0x80:
            raise BadFormat("a masked frame from the server")
        n, at = self.buf[1] & 0x7F, 2
        if n == 126:
            self._need(4)
            n, at = int.from_bytes(self.buf[2:4], "big"), 4
        elif n == 127:
            self._need(10)
            n, at = int.from_bytes(self.buf[2:10], "big"), 10
        self._need(at + n)
        op, payload = self.buf[0] & 0x0F, self.buf[at:at + n]
        self.buf = self.buf[at + n:]
        return op, payload

    def close(self):
        self.sock.close()


STREAMS = {"json": json_events, "sse": sse_events, "ws": ws_events}


def main(argv):
    p = argparse.ArgumentParser(prog="ntfyclient.py")
    p.add_argument("base")
    p.add_argument("topic")
    p.add_argument("--format", choices=sorted(STREAMS), default="json")
    p.add_argument("--token")
    p.add_argument("--since")
    p.add_argument("--poll", action="store_true")
    p.add_argument("--count", type=int, default=0, help="stop after N events (0: until closed)")
    p.add_argument("--messages-only", action="store_true", help="count and print message events only")
    p.add_argument("--timeout", type=float, default=10)
    a = p.parse_args(argv)
    deadline = time.monotonic() + a.timeout
    n = 0
    try:
        for m in STREAMS[a.format](a.base, a.topic, a.token, a.since, a.poll, a.timeout):
            if a.messages_only and m["event"] != "message":
                continue
            print(json.dumps(m, sort_keys=True), flush=True)
            n += 1
            if a.count and n >= a.count:
                return 0
            if time.monotonic() > deadline:
                break
    except Refused as e:
        print("ntfyclient: refused: %s" % e, file=sys.stderr)
        return 4
    except (BadFormat, ValueError) as e:
        print("ntfyclient: %s" % e, file=sys.stderr)
        return 3
    except (socket.timeout, TimeoutError):
        pass
    except OSError as e:
        print("ntfyclient: %s" % e, file=sys.stderr)
        return 4
    if a.count and n < a.count:
        print("ntfyclient: %d of %d events before the timeout" % (n, a.count), file=sys.stderr)
        return 5
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
