#!/usr/bin/python3
# SPDX-License-Identifier: EUPL-1.2
"""samen-web over HTTP as a phone and the ntfy app use it (run by
tests/integration/test_web.c): pairing, what an unpaired or unpaired-again
client gets, CSRF, bad input, and ntfy's JSON, SSE and WebSocket streams with since=
and poll=1, read with ntfyclient.py (written from ntfy's documentation).
Prints "ok NAME" or "FAIL NAME: why" per check."""
import argparse
import http.client
import json
import os
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report  # noqa: E402
from report import check  # noqa: E402
import ntfyclient  # noqa: E402



class Web:
    """samen-web at base; over HTTPS with ctx (an ssl context) when given."""

    def __init__(self, base, ctx=None):
        u = urllib.parse.urlsplit(base)
        self.host, self.port, self.ctx = u.hostname, u.port, ctx

    def req(self, method, path, body=None, headers=None, raw=None, read=True):
        """(status, lower-cased headers, the body, or its first line when not read)"""
        if self.ctx:
            c = http.client.HTTPSConnection(self.host, self.port, timeout=10, context=self.ctx)
        else:
            c = http.client.HTTPConnection(self.host, self.port, timeout=10)
        h = dict(headers or {})
        data = raw
        if body is not None:
            data = urllib.parse.urlencode(body)
            h["Content-Type"] = "application/x-www-form-urlencoded"
        c.request(method, path, body=data, headers=h)
        r = c.getresponse()
        out = r.read() if read else r.readline()
        c.close()
        return r.status, dict((k.lower(), v) for k, v in r.getheaders()), out

    def json(self, method, path, **kw):
        s, h, b = self.req(method, path, **kw)
        try:
            return s, json.loads(b)
        except ValueError:
            return s, None


def pair(web, url, name):
    path = urllib.parse.urlsplit(url).path
    s, h, b = web.req("POST", path, body={"name": name})
    cookie = h.get("set-cookie", "")
    token = cookie.split("samen=", 1)[1].split(";", 1)[0] if "samen=" in cookie else None
    return s, token, cookie, b.decode("utf-8", "replace")


def raw_handshake(web, headers):
    """The HTTP status a /samen/ws request with these headers gets."""
    c = http.client.HTTPConnection(web.host, web.port, timeout=10)
    c.request("GET", "/samen/ws", headers=headers)
    r = c.getresponse()
    status, version = r.status, r.getheader("Sec-WebSocket-Version")
    c.close()
    return status, version


def until_control(ws):
    """The next control frame, past the stream's text messages."""
    while True:
        op, payload = ws.recv()
        if op != 1:
            return op, payload
        ntfyclient.check_message(json.loads(payload), "samen")


def close_code(payload):
    return int.from_bytes(payload[:2], "big") if len(payload) >= 2 else None


def ws_frames(a, token):
    """The frames a client sends, with a raw client (RFC 6455)."""
    ws = ntfyclient.RawWS(a.base, "samen", token)
    op, j = ws.recv()
    check("ntfy_ws_open_text_frame", op == 1 and json.loads(j)["event"] == "open", (op, j))
    ws.send(1, b"Hello")  # ignored
    ws.send(9, b"ping!")
    op, p = until_control(ws)
    check("ntfy_ws_ping_pong", op == 10 and p == b"ping!", (op, p))
    ws.send(8, (1000).to_bytes(2, "big") + b"bye")
    op, p = until_control(ws)
    check("ntfy_ws_close_answered", op == 8 and close_code(p) == 1000, (op, p))
    ws.close()
    for name, frame, code in (("unmasked", dict(opcode=1, payload=b"x", mask=False), 1002),
                              ("rsv_bit", dict(opcode=1, payload=b"x", rsv=4), 1002),
                              ("opcode_3", dict(opcode=3, payload=b"x"), 1002),
                              ("binary", dict(opcode=2, payload=b"x"), 1003),
                              ("fragment", dict(opcode=1, payload=b"x", fin=False), 1003),
                              ("big_ping", dict(opcode=9, payload=b"p" * 126), 1002),
                              ("too_big", dict(opcode=1, payload=b"a" * 5000), 1009),
                              ("bad_utf8", dict(opcode=1, payload=b"\xff"), 1007)):
        ws = ntfyclient.RawWS(a.base, "samen", token)
        ws.recv()
        ws.send(**frame)
        try:
            op, p = until_control(ws)
            check("ntfy_ws_%s_closed_%d" % (name, code), op == 8 and close_code(p) == code,
                  (op, close_code(p)))
        except (EOFError, OSError) as e:
            check("ntfy_ws_%s_closed_%d" % (name, code), False, repr(e))
        ws.close()
    ws = ntfyclient.RawWS(a.base, "samen", token, "?poll=1&since=all")
    op, p = until_control(ws)
    check("ntfy_ws_poll_ends_1000", op == 8 and close_code(p) == 1000, (op, p))
    ws.close()


def ws_checks(a, web, token, first):
    """ntfy's WebSocket stream: what /json gives, live, since=, refusals."""
    ids = [m["id"] for m in ntfyclient.ws_events(a.base, "samen", token, first[:16], True, 10)
           if m["event"] == "message"]
    js = [m["id"] for m in ntfyclient.json_events(a.base, "samen", token, first[:16], True, 10)
          if m["event"] == "message"]
    check("ntfy_ws_poll_same_as_json", ids == js and len(ids) >= 2, "%s / %s" % (ids, js))
    # live: an alert of the other household; then gone, and back with since=
    proc = subprocess.Popen(["/usr/bin/python3", ntfyclient.__file__, a.base, "samen", "--token", token,
                             "--format", "ws", "--count", "2", "--timeout", "10"],
                            stdout=subprocess.PIPE, text=True)
    time.sleep(0.7)
    sent = []
    for where in ("Wilgenlaan 1", "Wilgenlaan 2", "Wilgenlaan 3"):
        r = subprocess.run([a.samen, "--state", a.peer_state, "--json", "send", "-c", "suspicious", "-w", where,
                            "-d", "een busje zonder kenteken"], capture_output=True, text=True)
        sent.append(json.loads(r.stdout.splitlines()[0])["id"][:16] if r.returncode == 0 else "?")
        if len(sent) == 1:
            time.sleep(1.0)
    out, _ = proc.communicate(timeout=15)
    got = [json.loads(x) for x in out.splitlines() if x.strip()]
    check("ntfy_ws_open_first", got and got[0]["event"] == "open", out)
    live = [m["id"] for m in got if m["event"] == "message"]
    check("ntfy_ws_live_other_household", live == sent[:1] and proc.returncode == 0, "%s %s" % (live, sent))
    time.sleep(1.0)
    back = [m["id"] for m in ntfyclient.ws_events(a.base, "samen", token, live[0] if live else "?", True, 10)
            if m["event"] == "message"]
    check("ntfy_ws_since_no_loss_no_repeat", [i for i in back if i in sent] == sent[1:] and
          sent[0] not in back and len(set(back)) == len(back), "%s %s" % (back, sent))
    try:
        next(ntfyclient.ws_events(a.base, "samen", "B" * 43, None, True, 10))
        check("ntfy_ws_wrong_token_401", False, "a stream")
    except ntfyclient.Refused as e:
        check("ntfy_ws_wrong_token_401", e.status == 401, "status %d" % e.status)
    auth = {"Authorization": "Bearer " + token, "Upgrade": "websocket", "Connection": "Upgrade"}
    s, _ = raw_handshake(web, dict(auth, **{"Sec-WebSocket-Version": "13"}))
    check("ntfy_ws_no_key_400", s == 400, "status %d" % s)
    s, v = raw_handshake(web, dict(auth, **{"Sec-WebSocket-Version": "8",
                                            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}))
    check("ntfy_ws_version_8_426", s == 426 and v == "13", "status %d %s" % (s, v))
    s, _ = raw_handshake(web, {"Authorization": "Bearer " + token, "Sec-WebSocket-Version": "13",
                               "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="})
    check("ntfy_ws_no_upgrade_400", s == 400, "status %d" % s)
    ws_frames(a, token)


POLICY_ROWS = ("suspicious", "burglary", "break-in-attempt", "fire", "medical", "missing-person",
               "nuisance", "other")
POLICY_KEYS = ["%s.%s" % (r, c) for r in POLICY_ROWS for c in ("alert", "112", "ack", "all-clear", "drill")] + \
    ["authority." + k for k in ("lookout", "found", "enroute", "info")]


def policy_checks(a, web, auth, h, token):
    """The household's notification policy through /api/notify (samend's
    notify and notify-set), refusals, the ntfy priority following it, and
    /api/seen."""
    def policy():
        s, j = web.json("GET", "/api/notify", headers=auth)
        return s, (j or {}).get("policy") or {}

    s, p = policy()
    levels = p.get("levels", {})
    check("notify_reads_policy", s == 200 and all(k in levels for k in POLICY_KEYS) and
          levels["burglary.alert"] == "loud" and levels["burglary.drill"] == "normal", "%d %s" % (s, p))
    change = {"key": "burglary.alert", "value": "normal"}
    s, j = web.json("POST", "/api/notify", body=change, headers=auth)
    check("notify_set_without_csrf_is_403", s == 403 and j and j["code"] == "csrf", "%d %s" % (s, j))
    s, j = web.json("POST", "/api/notify", body=change, headers=dict(auth, **{"X-CSRF-Token": "0" * 32}))
    check("notify_set_wrong_csrf_is_403", s == 403, "status %d" % s)
    s, p = policy()
    check("notify_unchanged_without_csrf", p.get("levels", {}).get("burglary.alert") == "loud", p)
    s, j = web.json("POST", "/api/notify", body=change, headers=h)
    check("notify_set_answers_new_policy", s == 200 and j and j["ok"] and
          j["policy"]["levels"]["burglary.alert"] == "normal", "%d %s" % (s, j))
    s, p = policy()
    check("notify_set_committed", p.get("levels", {}).get("burglary.alert") == "normal", p)
    # a drill at alarm: samend refuses it, in its own words
    s, j = web.json("POST", "/api/notify", body={"key": "burglary.drill", "value": "alarm"}, headers=h)
    check("notify_drill_alarm_refused_in_words", s == 400 and j and j["code"] == "invalid" and j.get("error")
          and "of letters, digits" not in j["error"], "%d %s" % (s, j))
    s, p = policy()
    check("notify_refusal_changes_nothing", p.get("levels", {}).get("burglary.drill") == "normal", p)
    s, j = web.json("POST", "/api/notify", body={"key": "burglary.alert", "value": "deafening"}, headers=h)
    check("notify_unknown_level_refused", s == 400 and j and j["code"] == "invalid" and j.get("error"),
          "%d %s" % (s, j))
    # what samen-web refuses itself, before samend
    for name, body in (("long_key", {"key": "a" * 65, "value": "normal"}),
                       ("long_value", {"key": "burglary.alert", "value": "n" * 65}),
                       ("odd_value", {"key": "burglary.alert", "value": "normal;x"}),
                       ("upper_key", {"key": "Burglary.alert", "value": "normal"}),
                       ("no_value", {"key": "burglary.alert"}),
                       ("empty_key", {"key": "", "value": "normal"})):
        s, j = web.json("POST", "/api/notify", body=body, headers=h)
        check("notify_set_%s_is_400" % name, s == 400 and j and j["code"] == "invalid", "%d %s" % (s, j))
    # 64 bytes reach samend, which says what is wrong
    s, j = web.json("POST", "/api/notify", body={"key": "b" * 64, "value": "normal"}, headers=h)
    check("notify_key_64_bytes_to_samend", s == 400 and j and j.get("error") and "of letters, digits" not in j["error"],
          "%d %s" % (s, j))
    s, j = web.json("POST", "/api/notify", body={"key": "*.ack", "value": "silent"}, headers=h)
    check("notify_set_whole_column", s == 200 and j and
          all(j["policy"]["levels"][r + ".ack"] == "silent" for r in POLICY_ROWS), "%d %s" % (s, j))
    s, j = web.json("POST", "/api/notify", body={"key": "quiet", "value": "22:00-07:00"}, headers=h)
    check("notify_quiet_hours_set", s == 200 and j and j["policy"]["quiet"] == "22:00-07:00", "%d %s" % (s, j))
    s, j = web.json("POST", "/api/notify", body={"key": "quiet", "value": "off"}, headers=h)
    check("notify_quiet_hours_off", s == 200 and j and j["policy"]["quiet"] == "", "%d %s" % (s, j))
    s, j = web.json("POST", "/api/notify", body={"key": "quiet", "value": "25:00-07:00"}, headers=h)
    check("notify_bad_quiet_refused", s == 400 and j and j.get("error"), "%d %s" % (s, j))
    s, j = web.json("POST", "/api/notify", body={"key": "timezone", "value": "Europe/Amsterdam"}, headers=h)
    check("notify_timezone_set", s == 200 and j and j["policy"]["timezone"] == "Europe/Amsterdam",
          "%d %s" % (s, j))
    s, j = web.json("POST", "/api/notify", body={"key": "timezone", "value": "system"}, headers=h)
    check("notify_timezone_system", s == 200 and j and j["policy"]["timezone"] == "", "%d %s" % (s, j))

    # the other household's burglary alert reaches this one's phone at normal: 3
    r = subprocess.run([a.samen, "--state", a.peer_state, "--json", "send", "-c", "burglary", "-w",
                        "Kastanjelaan 9", "-d", "iemand met een koevoet bij de schuur"],
                       capture_output=True, text=True)
    sid = json.loads(r.stdout.splitlines()[0])["id"] if r.returncode == 0 else "?"
    m = None
    end = time.monotonic() + 10
    while m is None and time.monotonic() < end:
        m = next((x for x in ntfyclient.json_events(a.base, "samen", token, "all", True, 10)
                  if x["event"] == "message" and x["id"] == sid[:16]), None)
        if m is None:
            time.sleep(0.2)
    check("ntfy_priority_follows_policy", m is not None and m["priority"] == 3, m or r.stderr)

    repeat_checks(a, web, h, token)

    # seen: samend's op, with the id checked first
    s, j = web.json("POST", "/api/seen", body={"id": sid}, headers=auth)
    check("seen_without_csrf_is_403", s == 403 and j and j["code"] == "csrf", "%d %s" % (s, j))
    s, j = web.json("POST", "/api/seen", body={"id": sid}, headers=h)
    check("seen_committed", s == 200 and j and j["ok"], "%d %s" % (s, j))
    s, j = web.json("POST", "/api/seen", body={"id": "xyz"}, headers=h)
    check("seen_bad_id_is_400", s == 400 and j and j["code"] == "invalid", "%d %s" % (s, j))
    s, j = web.json("POST", "/api/seen", body={"id": "a" * 65}, headers=h)
    check("seen_long_id_is_400", s == 400 and j and j["code"] == "invalid", "%d %s" % (s, j))


def repeat_checks(a, web, h, token):
    """The other household's alarm (fire, 112 called) that this one does not
    answer: samend repeats it every 2 s and escalates it to this household,
    a coordinator, after 3 s (test_web.c's setup_repeats). Each is a phone
    message of its own, since= resumes exactly after one, and seen stops
    the repeats."""
    r = subprocess.run([a.samen, "--state", a.peer_state, "--json", "send", "-c", "fire", "-w",
                        "Achterom 9", "-d", "vlammen uit het dak", "--112-called"],
                       capture_output=True, text=True)
    sid = json.loads(r.stdout.splitlines()[0])["id"][:16] if r.returncode == 0 else "?"

    def ours():
        return [m for m in ntfyclient.json_events(a.base, "samen", token, "all", True, 10)
                if m["event"] == "message" and m["id"].startswith(sid)]

    got, end = [], time.monotonic() + 12
    while time.monotonic() < end and sid + "-r2" not in [m["id"] for m in got]:
        time.sleep(0.1)
        got = ours()
    # at once: the third repeat is due 2 s after the second
    s, j = web.json("POST", "/api/seen", body={"id": sid}, headers=h)
    check("seen_alarm_waited", s == 200 and j and j.get("waited") is True, "%d %s" % (s, j))
    ids = [m["id"] for m in got]
    first = next((m for m in got if m["id"] == sid), {})
    r1 = next((m for m in got if m["id"] == sid + "-r1"), {})
    check("ntfy_alarm_priority_5", first.get("priority") == 5, ids)
    check("ntfy_repeat_is_own_message", r1.get("priority") == 5 and r1.get("title", "").startswith("Herhaling 1: ")
          and sid + "-r2" in ids and len(set(ids)) == len(ids), got)
    esc = next((m for m in got if m["id"].startswith(sid + "-e")), {})
    check("ntfy_escalation_to_coordinator", esc.get("title", "").startswith("Onbeantwoorde melding: brand")
          and "niemand reageerde in" in esc.get("message", ""), got)
    # what follows a repeat's id, exactly: the messages after it, once each
    if r1:
        after = [m["id"] for m in ntfyclient.json_events(a.base, "samen", token, r1["id"], True, 10)
                 if m["event"] == "message"]
        everything = [m["id"] for m in ntfyclient.json_events(a.base, "samen", token, "all", True, 10)
                      if m["event"] == "message"]
        i = everything.index(r1["id"]) + 1
        check("ntfy_since_repeat_exact", after == everything[i:i + len(after)] and
              sid + "-r2" in after and r1["id"] not in after, "%s / %s" % (after, everything))
    else:
        check("ntfy_since_repeat_exact", False, "no repeat")
    time.sleep(3.0)
    check("seen_stops_repeats", sid + "-r3" not in [m["id"] for m in ours()], [m["id"] for m in ours()])


def main():
    p = argparse.ArgumentParser()
    for a in ("--base", "--pair-url", "--second-pair-url", "--samen", "--peer-state",
              "--samen-web", "--state"):
        p.add_argument(a, required=True)
    a = p.parse_args()
    web = Web(a.base)

    # unpaired: only the pairing page
    s, _, b = web.req("GET", "/")
    check("unpaired_root_is_403", s == 403 and b"samen-web pair" in b, "status %d" % s)
    s, j = web.json("GET", "/api/signals")
    check("unpaired_api_is_401", s == 401 and j and j["code"] == "forbidden", "status %d" % s)
    s, _, _ = web.req("GET", "/static/app.js")
    check("unpaired_static_is_401", s == 401, "status %d" % s)
    s, _, b = web.req("GET", urllib.parse.urlsplit(a.pair_url).path)
    check("pairing_page_served", s == 200 and b"<form" in b, "status %d" % s)

    # pairing once
    s, token, cookie, page = pair(web, a.pair_url, "telefoon-1")
    check("pairing_gives_a_token", s == 200 and token and len(token) == 43, "status %d" % s)
    check("cookie_httponly_strict", "HttpOnly" in cookie and "SameSite=Strict" in cookie, cookie)
    check("page_shows_ntfy_token", token and token in page, "no token on the page")
    s, t2, _, _ = pair(web, a.pair_url, "telefoon-2")
    check("pairing_link_used_once", s == 403 and t2 is None, "status %d" % s)
    s, t3, _, _ = pair(web, a.second_pair_url, "telefoon-1")
    check("device_name_taken_refused", s == 400 and t3 is None, "status %d" % s)
    s, _, _, _ = pair(web, a.base + "/pair/" + "A" * 43, "x")
    check("unknown_pairing_code_refused", s == 403, "status %d" % s)
    with open(os.path.join(a.state, "web-devices")) as f:
        text = f.read()
    check("tokens_stored_hashed", token not in text and "telefoon-1" in text, "token in the file")
    mode = os.stat(os.path.join(a.state, "web-devices")).st_mode & 0o777
    check("devices_file_0600", mode == 0o600, oct(mode))

    auth = {"Cookie": "samen=" + token}
    s, sess = web.json("GET", "/api/session", headers=auth)
    check("session_has_csrf", s == 200 and sess and len(sess["csrf"]) == 32, "status %d" % s)
    csrf = sess["csrf"] if sess else ""
    s, _, b = web.req("GET", "/", headers=auth)
    check("paired_root_is_the_page", s == 200 and b"app.js" in b, "status %d" % s)

    alert = {"category": "suspicious", "where": "Lindelaan 4", "description": "iemand kijkt bij auto's naar binnen"}
    s, j = web.json("POST", "/api/send", body=alert, headers=auth)
    check("send_without_csrf_is_403", s == 403 and j and j["code"] == "csrf", "status %d" % s)
    s, j = web.json("POST", "/api/send", body=alert, headers=dict(auth, **{"X-CSRF-Token": "0" * 32}))
    check("send_with_wrong_csrf_is_403", s == 403, "status %d" % s)
    h = dict(auth, **{"X-CSRF-Token": csrf})
    s, j = web.json("POST", "/api/send", body=alert, headers=h)
    ok = check("send_is_committed", s == 200 and j and j["ok"] and len(j["id"]) == 64, "%d %s" % (s, j))
    first = j["id"] if ok else ""
    s, j = web.json("GET", "/api/signals", headers=auth)
    check("list_shows_it", s == 200 and any(v["id"] == first for v in j["signals"]), "not listed")
    s, j = web.json("POST", "/api/send", body=dict(alert, category="dragons"), headers=h)
    check("daemon_error_in_words", s == 400 and j["code"] == "invalid" and j["error"], "%d %s" % (s, j))
    s, j = web.json("POST", "/api/ack", body={"ref": first, "ack": "looking"}, headers=h)
    check("ack_looking", s == 200 and j["ok"], "%d %s" % (s, j))
    s, j = web.json("GET", "/api/signals/" + first, headers=auth)
    check("thread_counts_looking", s == 200 and j["signal"]["looking"] == 1, "%d %s" % (s, j))
    s, j = web.json("POST", "/api/send", raw="x=" + "a" * 10000, headers=dict(h, **{"Content-Type": "application/x-www-form-urlencoded"}))
    check("oversized_body_is_413", s == 413, "status %d" % s)
    s, j = web.json("POST", "/api/send", raw='{"a":1}', headers=dict(h, **{"Content-Type": "application/json"}))
    check("json_body_is_400", s == 400, "status %d" % s)
    s, j = web.json("GET", "/api/nothing", headers=auth)
    check("unknown_route_is_404", s == 404 and j["code"] == "not-found", "status %d" % s)
    s, _, _ = web.req("GET", "/static/../samen-web.c", headers=auth)
    check("no_path_traversal", s == 404, "status %d" % s)
    s, _, _ = web.req("GET", "/x", headers=dict(auth, **{"X-Big": "y" * 40000}))
    check("oversized_header_refused", s in (413, 431, 400), "status %d" % s)

    # ntfy: the stream, since=, poll=1, tokens
    def poll(since=None, fmt="json"):
        stream = ntfyclient.STREAMS[fmt]
        return [m for m in stream(a.base, "samen", token, since, True, 10) if m["event"] == "message"]

    msgs = poll("all")
    ids = [m["id"] for m in msgs]
    check("ntfy_poll_all_has_alert", first[:16] in ids, "ids %s" % ids)
    m = next((m for m in msgs if m["id"] == first[:16]), {})
    check("ntfy_alert_priority_4", m.get("priority") == 4 and "Lindelaan 4" in m.get("message", ""), m)
    check("ntfy_looking_priority_3", any(x["priority"] == 3 and x["title"].endswith("kijkt mee") for x in msgs), msgs)
    # what comes after an id, exactly once
    later = []
    for k in range(2):
        s, j = web.json("POST", "/api/send", body=dict(alert, where="Beukenstraat %d" % k, called112="1"), headers=h)
        later.append(j["id"][:16])
    time.sleep(0.5)
    after = [m["id"] for m in poll(first[:16])]
    check("ntfy_since_id_no_loss_no_repeat", [i for i in after if i in later] == later and
          first[:16] not in after and len(set(after)) == len(after), after)
    sse = poll(first[:16], "sse")
    check("ntfy_sse_same_messages", [m["id"] for m in sse] == after, [m["id"] for m in sse])
    check("ntfy_112_priority_5", all(m["priority"] == 5 for m in sse if m["id"] in later), sse)
    tnow = int(time.time())
    check("ntfy_since_time", [m["id"] for m in poll(str(tnow + 3600))] == [], "future time gave messages")
    # a live stream gets a new alert
    proc = subprocess.Popen(["/usr/bin/python3", ntfyclient.__file__, a.base, "samen", "--token", token,
                             "--messages-only", "--count", "1", "--timeout", "10"],
                            stdout=subprocess.PIPE, text=True)
    time.sleep(0.5)
    sent = subprocess.run([a.samen, "--state", a.peer_state, "--json", "send", "-c", "fire", "-w", "Achterom 7",
                           "-d", "rook uit een schuur"], capture_output=True, text=True)
    out, _ = proc.communicate(timeout=15)
    live = json.loads(out.splitlines()[0]) if out.strip() else {}
    sid = json.loads(sent.stdout.splitlines()[0])["id"] if sent.returncode == 0 else "?"
    check("ntfy_live_json_stream", live.get("id") == sid[:16] and proc.returncode == 0, out)
    ws_checks(a, web, token, first)
    import base64
    basic = base64.b64encode(("app:" + token).encode()).decode()
    s, _, b = web.req("GET", "/samen/json?poll=1", headers={"Authorization": "Basic " + basic})
    check("ntfy_basic_auth_password", s == 200 and b"\"message\"" in b, "status %d" % s)
    s, _, _ = web.req("GET", "/samen/json?poll=1", headers={"Authorization": "Bearer " + "B" * 43})
    check("ntfy_wrong_token_401", s == 401, "status %d" % s)
    s, _, _ = web.req("GET", "/samen/json?poll=1&since=yesterday", headers={"Authorization": "Bearer " + token})
    check("ntfy_bad_since_400", s == 400, "status %d" % s)
    s, _, _ = web.req("GET", "/other/json?poll=1", headers={"Authorization": "Bearer " + token})
    check("ntfy_other_topic_404", s == 404, "status %d" % s)

    policy_checks(a, web, auth, h, token)

    # unpair: the token stops working
    revoked = token
    r = subprocess.run([a.samen_web, "unpair", "telefoon-1", "--state", a.state,
                        "--devices", os.path.join(a.state, "web-devices")], capture_output=True, text=True)
    check("unpair_command", r.returncode == 0, r.stderr)
    s, _, _ = web.req("GET", "/api/session", headers=auth)
    check("unpaired_token_refused", s == 401, "status %d" % s)
    try:
        next(ntfyclient.ws_events(a.base, "samen", revoked, None, True, 10))
        check("ntfy_ws_revoked_token_401", False, "a stream")
    except ntfyclient.Refused as e:
        check("ntfy_ws_revoked_token_401", e.status == 401, "status %d" % e.status)

    # pairing attempts are rate limited
    codes = [web.req("GET", "/pair/" + "C" * 43)[0] for _ in range(12)]
    check("pairing_rate_limited", 429 in codes, codes)
    return report.failures()


if __name__ == "__main__":
    sys.exit(main())
