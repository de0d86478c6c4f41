#!/usr/bin/python3
# SPDX-License-Identifier: EUPL-1.2
"""samen-web with a certificate (run by tests/integration/test_web.c): it
speaks only HTTPS, with the certificate it was given; a client that does not
trust that certificate gets no answer; pairing, the page's session, the
files a browser needs to install the page, and the ntfy stream all work
over it; the cookie is marked Secure. Prints "ok NAME" or "FAIL NAME: why"
per check."""
import argparse
import json
import os
import socket
import ssl
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report  # noqa: E402
from report import check  # noqa: E402
import ntfyclient  # noqa: E402
from webcheck import Web  # noqa: E402



def main():
    p = argparse.ArgumentParser()
    for a in ("--base", "--cafile", "--pair-url"):
        p.add_argument(a, required=True)
    a = p.parse_args()
    u = urllib.parse.urlsplit(a.base)
    host, port = u.hostname, u.port
    check("pair_url_is_https", a.pair_url.startswith("https://"), a.pair_url)

    # a client that trusts only the system's authorities refuses the certificate
    try:
        Web(a.base, ssl.create_default_context()).req("GET", "/")
        check("untrusted_client_refuses", False, "the handshake succeeded")
    except ssl.SSLCertVerificationError:
        check("untrusted_client_refuses", True)
    except (ssl.SSLError, OSError) as e:
        check("untrusted_client_refuses", False, "not a certificate error: %r" % e)

    # plain HTTP on the TLS port gets no page
    try:
        s = socket.create_connection((host, port), timeout=5)
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        got = s.recv(200)
        s.close()
    except OSError:
        got = b""
    check("plain_http_not_served", not got.startswith(b"HTTP/1.1 200") and b"<html" not in got, got[:80])

    ctx = ssl.create_default_context(cafile=a.cafile)
    web = Web(a.base, ctx)
    path = urllib.parse.urlsplit(a.pair_url).path
    s, h, b = web.req("POST", path, body={"name": "telefoon-tls"})
    cookie = h.get("set-cookie", "")
    check("pairing_over_https", s == 200 and "samen=" in cookie, "status %d" % s)
    check("cookie_secure", "; Secure" in cookie and "HttpOnly" in cookie, cookie)
    token = cookie.split("samen=", 1)[1].split(";", 1)[0] if "samen=" in cookie else ""
    auth = {"Cookie": "samen=" + token}

    s, _, b = web.req("GET", "/api/session", headers=auth)
    sess = json.loads(b) if s == 200 else {}
    check("session_over_https", s == 200 and len(sess.get("csrf", "")) == 32, "status %d" % s)
    check("session_names_own_key", len(sess.get("key", "")) > 40, sess)

    # what a browser needs to offer "add to home screen" and background notices
    s, h, b = web.req("GET", "/static/manifest.webmanifest", headers=auth)
    m = json.loads(b) if s == 200 else {}
    check("manifest_installable", m.get("display") == "standalone" and m.get("start_url") and
          m.get("icons") and m.get("name"), m)
    check("manifest_content_type", "manifest+json" in h.get("content-type", ""), h.get("content-type"))
    s, h, b = web.req("GET", "/sw.js", headers=auth)
    check("service_worker_served", s == 200 and "javascript" in h.get("content-type", "") and
          b"notificationclick" in b, "status %d %s" % (s, h.get("content-type")))

    s, _, line = web.req("GET", "/samen/json", read=False,
                       headers={"Authorization": "Bearer " + token})
    ev = json.loads(line) if s == 200 and line.strip() else {}
    check("ntfy_stream_over_https", ev.get("event") == "open", "%d %r" % (s, line[:100]))
    try:
        ws = ntfyclient.RawWS(a.base, "samen", token, "?poll=1&since=all", ssl_context=ctx)
        op, payload = ws.recv()
        ws.close()
        first = json.loads(payload) if op == 1 else {}
        check("ntfy_wss_stream", first.get("event") in ("open", "message"), "%d %r" % (op, payload[:100]))
    except (OSError, ntfyclient.Refused, ntfyclient.BadFormat, EOFError) as e:
        check("ntfy_wss_stream", False, repr(e))
    return report.failures()


if __name__ == "__main__":
    sys.exit(main())
