# SPDX-License-Identifier: EUPL-1.2
"""Steps 2 and 3 of check.py against a running samend: the control protocol
(section 8), imports judged as section 9 says, and a link from Python."""
import os
import re
import time

import zmq

import samen2 as s2
from harness import SAMEN, Control, Link, check, free_port, next_seq, read_seq, run, start_daemon

def daemon(T, ctx, procs, k, pk):
    """Section 8 against a real samend: the founder's daemon."""
    join_endpoint = "tcp://127.0.0.1:%d" % free_port()
    d, endpoint = start_daemon(T, "founder", k, s2.key_text(pk), procs, ["join_listen = " + join_endpoint])
    c = Control(ctx, d)
    st = c.call({"op": "status"})
    check("8 status: ok, our key, fingerprint, nbhd, role founder",
          st.get("ok") is True and st.get("key") == s2.key_text(pk) and
          st.get("fingerprint") == s2.fingerprint(pk) and st.get("nbhd") == s2.key_text(pk)
          and st.get("role") == "founder", st)
    for _ in range(100):
        if c.call({"op": "status"}).get("epoch", 0) >= 1:
            break
        time.sleep(0.1)
    check("3.3 the founder's daemon issues epoch 1 by itself", c.call({"op": "status"}).get("epoch") == 1)
    r = c.call({"op": "status", "colour": True})
    check("8 an unknown field is invalid, naming it", r.get("ok") is False and
          r.get("code") == "invalid" and "colour" in r.get("error", ""), r)
    w = Control(ctx, d)
    r = w.call({"op": "watch"})
    check("8 watch answers ok", r.get("ok") is True, r)
    seq_before = read_seq(k)
    r = c.call({"op": "send", "category": "burglary", "description": "man at back door",
                "where": "Lindelaan 3", "severity": "severe", "lat_e6": 52090000,
                "lon_e6": 5120000, "radius_m": 50, "status": "test"})
    check("8 send: id (64 hex) and seq", r.get("ok") is True and len(r.get("id", "")) == 64
          and isinstance(r.get("seq"), int), r)
    alert = r.get("id", "")
    check("2.2 samend's signal used the key's counter (.seq = its seq)",
          read_seq(k) == r.get("seq") and r.get("seq") > (seq_before or 0), (seq_before, read_seq(k), r))
    ev = w.recv()
    sv = ev.get("signal", {})
    check("8 watch event for the new signal", ev.get("event") == "signal" and sv.get("id") == alert, ev)
    r = c.call({"op": "list"})
    ids = [v.get("id") for v in r.get("signals", [])]
    check("8 list holds the alert", r.get("ok") is True and alert in ids, r)
    r = c.call({"op": "show", "id": alert[:8]})
    v = r.get("signal", {})
    check("8 show by an 8-character prefix: the signal view", r.get("ok") is True and
          v.get("id") == alert and v.get("readable") is True and v.get("category") == "burglary"
          and v.get("severity") == "severe" and v.get("status") == "test"
          and v.get("description") == "man at back door" and v.get("lat_e6") == 52090000
          and v.get("author") == s2.key_text(pk) and v.get("kind") == "alert", r)
    r = c.call({"op": "show", "id": "0" * 64})
    check("8 show of an unknown id is not-found", r.get("code") == "not-found", r)
    # malformed requests; a request in a longer form than the shortest
    for name, frame in (("a byte that is no msgpack", b"\xc1"), ("an array", s2.pack(["status"])),
                        ("trailing bytes", s2.pack({"op": "status"}) + b"\0")):
        c.sock.send(frame)
        r = c.recv()
        check("8 %s: invalid" % name, r.get("ok") is False and r.get("code") == "invalid", r)
    c.sock.send(bytes.fromhex("81d9026f70a6737461747573"))  # {"op": "status"}, "op" as str8
    r = c.recv()
    check("8 a request not in canonical form is still answered", r.get("ok") is True and "key" in r, r)
    r = c.call({"op": "show", "id": alert[:7]})
    check("8 an id prefix of 7 characters is invalid", r.get("code") == "invalid", r)
    # a retraction, seen on the watch stream as section 8's Events say
    r = c.call({"op": "send", "category": "other", "description": "oops", "where": "-"})
    oops = r.get("id")
    w.recv()
    r = c.call({"op": "retract", "ref": oops, "reason": "mistake"})
    ev = w.recv()
    check("8 retract: a retraction event (id, author, label, target, reason)",
          r.get("ok") is True and ev.get("event") == "retraction" and ev.get("id") == r.get("id")
          and ev.get("target") == oops and ev.get("reason") == "mistake" and
          ev.get("author") == s2.key_text(pk) and "label" in ev, ev)
    r = c.call({"op": "show", "id": oops})
    check("8 a retracted signal is deleted: not-found", r.get("code") == "not-found", r)
    w.sock.close()
    return c, d, endpoint, alert, join_endpoint



def imports(T, c, k, pk, sk):
    """Section 8 import: records made here, taken in whatever their order."""
    now = int(time.time())
    made = []
    for order, lower in ((0, True), (1, True), (0, False), (1, False)):
        while True:  # the issue: the byte order of the two keys must not matter
            cpk, csk = s2.seed_keypair(os.urandom(32))
            hpk, _ = s2.seed_keypair(os.urandom(32))
            if (cpk < hpk) == lower:
                break
        coord = s2.make_record(sk, 1, pk, pk, next_seq(k), now,
                               [cpk, 2, "Coord %d" % order, now - 60, now + 86400])
        house = s2.make_record(csk, 1, pk, cpk, 1, now,
                               [hpk, 1, "House %d" % order, now - 60, now + 86400])
        batch = [coord, house] if order == 0 else [house, coord]
        r = c.call({"op": "import", "records": batch})
        check("8 import: coordinator and its member, %s first, coordinator's key %s: both stored"
              % ("coordinator" if order == 0 else "member", "lower" if lower else "higher"),
              r.get("ok") is True and r.get("stored") == 2 and r.get("verdicts") == ["stored"] * 2, r)
        made.append((cpk, hpk))
    r = c.call({"op": "members"})
    keys = {m.get("key"): m for m in r.get("members", [])}
    cpk, hpk = made[0]
    check("8 members lists the imported keys with role and fingerprint",
          keys.get(s2.key_text(cpk), {}).get("role") == "coordinator" and
          keys.get(s2.key_text(hpk), {}).get("fingerprint") == s2.fingerprint(hpk), r)
    r = c.call({"op": "import", "records": [coord]})
    check("8 import of a record held already: duplicate", r.get("verdicts") == ["duplicate"], r)
    forged = bytearray(s2.make_record(sk, 1, pk, pk, next_seq(k), now,
                                      [hpk, 1, "x", now - 60, now + 86400]))
    forged[-1] ^= 1
    r = c.call({"op": "import", "records": [bytes(forged)]})
    check("9 a bad signature is refused as bad-signature", r.get("verdicts") == ["bad-signature"], r)
    seq = next_seq(k)
    two = [s2.make_record(sk, 1, pk, pk, seq, now, [hpk, 1, lab, now - 60, now + 86400])
           for lab in ("one", "two")]
    r = c.call({"op": "import", "records": [two[0]]})
    r2 = c.call({"op": "import", "records": [two[1]]})
    check("2.2 a second record with the same (author, seq) is an equivocation",
          r.get("verdicts") == ["stored"] and r2.get("verdicts") == ["equivocation"], (r, r2))



def link(T, ctx, c, k, pk, sk, endpoint):
    lpk, lsk = s2.seed_keypair(os.urandom(32))
    now = int(time.time())
    cert = s2.make_record(sk, 1, pk, pk, next_seq(k), now, [lpk, 1, "Python link", now - 60, now + 86400])
    r = c.call({"op": "import", "records": [cert]})
    check("9 our member certificate imported", r.get("verdicts") == ["stored"], r)
    epoch0 = c.call({"op": "status"}).get("epoch")
    dpk, _ = s2.seed_keypair(os.urandom(32))
    r = c.call({"op": "certify", "key": s2.key_text(dpk), "role": "member", "label": "Dummy"})
    r = c.call({"op": "revoke", "key": s2.key_text(dpk), "reason": "rekey"})
    check("3.3 revoke starts a new epoch", r.get("ok") is True and r.get("epoch") == epoch0 + 1, (epoch0, r))
    r = c.call({"op": "send", "category": "fire", "description": "smoke", "where": "No. 5"})
    alert = r.get("id")
    L = Link(ctx, endpoint, pk, lpk, lsk)
    nbhd = pk
    _, empty_hash = s2.vv_entries({})
    L.send([1, 1, nbhd, empty_hash, ""])
    got = L.recv_all(5, until=lambda m: m[0] == 4)
    hello = [m for m in got if m[0] == 1]
    check("9 the acceptor answers HELLO with its own", len(hello) == 1 and hello[0][1] == 1
          and hello[0][2] == nbhd and len(hello[0][3]) == 32, got)
    check("9 HELLO's advertise is the acceptor's listen endpoint", hello and hello[0][4] == endpoint, hello)
    vv = [m for m in got if m[0] == 4]
    check("9 hashes differ: the daemon sends its VV (n x 40, sorted, hash as in HELLO)",
          len(vv) == 1 and len(vv[0][2]) % 40 == 0 and s2.b2b(vv[0][2]) == hello[0][3] and
          [vv[0][2][i:i + 32] for i in range(0, len(vv[0][2]), 40)] ==
          sorted(vv[0][2][i:i + 32] for i in range(0, len(vv[0][2]), 40)), got)
    L.send([4, nbhd, b""])
    got = L.recv_all(3)
    recs = [raw for m in got if m[0] in (2, 9) for raw in m[1]]
    check("9 our empty VV brings the records (REPLY)", any(m[0] == 9 for m in got) and len(recs) > 5,
          [m[0] for m in got])
    parsed = []
    for raw in recs:
        try:
            parsed.append(s2.Record(raw))
        except s2.Malformed as e:
            check("9 record decodes strictly", False, e)
    check("9 every record decodes strictly and its signature verifies",
          len(parsed) == len(recs) and all(r.verify() for r in parsed))
    check("9 the alert's id is BLAKE2b-256 of the record", alert in [r.id.hex() for r in parsed])
    kinds = [r.kind for r in parsed]
    first = [i for i, kd in enumerate(kinds) if kd in (1, 2, 3)]
    check("9 certificates, revocations and epoch keys come first",
          first == list(range(len(first))), kinds)
    epochs = {}
    for r in parsed:
        if r.kind == 3:
            key = s2.open_entries(r.payload[1], lpk, lsk)
            if key:
                epochs[r.id] = (r.payload[0], key)
    check("3.3 the new epoch holds a key entry for us", [n for n, _ in epochs.values()] == [epoch0 + 1], epochs)
    sig = [r for r in parsed if r.id.hex() == alert][0]
    eid = sig.payload[0]
    plain = s2.open_signal(sig, epochs[eid][1]) if eid in epochs else None
    p = s2.check_plaintext(plain) if plain else None
    check("3.2 we decrypt samend's alert with the epoch key", p is not None and p[0] == 1 and
          p[1] == 4 and p[6] == "smoke" and p[7] == "No. 5", p)
    if p is None:
        return L, lpk, lsk, epochs, sig
    check("3.1 samend's plaintext is canonical", s2.pack(p) == plain)
    old = [r for r in parsed if r.kind == 5 and r.payload[0] not in epochs]
    check("3.3 an alert of an epoch before ours does not open for us", len(old) >= 1)
    # publish an acknowledgement ("I'm looking") of our own
    now = int(time.time())
    pt = s2.plaintext(kind=2, category=4, severity=2, status=1, ack=2, refs=sig.id)
    ack = s2.seal_signal(lsk, nbhd, lpk, 1, now, eid, epochs[eid][1], now + 3600, pt)
    L.send([2, [ack]])
    ack_id = s2.b2b(ack).hex()
    v, r = {}, {}
    for _ in range(30):
        r = c.call({"op": "show", "id": alert})
        v = r.get("signal", {})
        if v.get("looking") == 1:
            break
        time.sleep(0.1)
    check("9 samend takes our pushed ack: the alert's thread and 'looking'",
          v.get("looking") == 1 and ack_id in [t.get("id") for t in r.get("thread", [])], r)
    out = run(SAMEN, "-s", os.path.join(T, "founder"), "show", alert[:8]).stdout
    check("8 samen show names our household as looking", "Python link" in out, out)
    return L, lpk, lsk, epochs, sig


def verdict(c, rec):
    return c.call({"op": "import", "records": [rec]}).get("verdicts", [None])[0]


def rules(c, k, pk, sk):
    """Section 9's validation order and reasons, seen through import."""
    now = int(time.time())
    key = [s2.seed_keypair(os.urandom(32)) for _ in range(5)]
    (mpk, msk), (rpk, rsk), (apk, ask), (xpk, xsk), (fpk, fsk) = key
    for who, role in ((mpk, 1), (rpk, 3), (apk, 4)):
        verdict(c, s2.make_record(sk, 1, pk, pk, next_seq(k), now, [who, role, "R%d" % role, now - 60, now + 86400]))
    verdict(c, s2.make_record(sk, 1, pk, pk, next_seq(k), now, [fpk, 1, "Later", now + 3600, now + 7200]))

    def sig(s, p, seq, created=None, expires=None):
        created = now if created is None else created
        return s2.seal_signal(s, pk, p, seq, created, b"\0" * 32, b"\1" * 32,
                              expires or created + 3600, s2.plaintext())
    check("9 a signal by a key no certificate names: no-certificate",
          verdict(c, sig(xsk, xpk, 1)) == "no-certificate")
    check("9 a certificate issued by a member: role",
          verdict(c, s2.make_record(msk, 1, pk, mpk, 1, now, [xpk, 1, "X", now - 60, now + 86400])) == "role")
    check("9 a signal under a certificate not yet begun: role", verdict(c, sig(fsk, fpk, 1)) == "role")
    v = verdict(c, sig(rsk, rpk, 1))
    check("9 a signal by a relay is refused (role or no-certificate)", v in ("role", "no-certificate"), v)
    v = verdict(c, s2.make_record(rsk, 7, pk, rpk, 2, now, [1, "hi", "", now + 3600]))
    check("9 an authority announcement by a relay is refused", v in ("role", "no-certificate"), v)
    check("9 an authority announcement by an authority is stored",
          verdict(c, s2.make_record(ask, 7, pk, apk, 1, now, [1, "Let op", "Dorpsstraat", now + 3600])) == "stored")
    check("9 a peer announcement by a relay is stored",
          verdict(c, s2.make_record(rsk, 4, pk, rpk, 3, now, ["tcp://127.0.0.1:9", now + 3600])) == "stored")
    check("2.3 an endpoint with a newline is malformed",
          verdict(c, s2.make_record(rsk, 4, pk, rpk, 4, now, ["tcp://127.0.0.1:9\n", now + 3600])) == "malformed")
    check("2.3 a 65-byte label is malformed",
          verdict(c, s2.make_record(sk, 1, pk, pk, next_seq(k), now, [xpk, 1, "x" * 65, now, now + 9])) == "malformed")
    check("9 a certificate whose not_after has passed: expired",
          verdict(c, s2.make_record(sk, 1, pk, pk, next_seq(k), now - 7200,
                                    [xpk, 1, "Old", now - 7200, now - 3600])) == "expired")
    check("9 a signal whose expires has passed: expired",
          verdict(c, sig(msk, mpk, 2, now - 7200, now - 60)) == "expired")
    check("9 a signal dated an hour ahead: clock-skew", verdict(c, sig(msk, mpk, 3, now + 3600)) == "clock-skew")
    check("9 a signal of another neighbourhood: other-neighbourhood",
          verdict(c, s2.seal_signal(msk, xpk, mpk, 4, now, b"\0" * 32, b"\1" * 32, now + 60,
                                    s2.plaintext())) == "other-neighbourhood")
    e = c.call({"op": "status"}).get("epoch", 0)
    ent = s2.key_entry(pk, os.urandom(32)) + s2.key_entry(mpk, os.urandom(32))
    for name, number, want in (("two above the current", e + 2, "epoch-number"),
                               ("2^64 - 1", 2 ** 64 - 1, "epoch-number"), ("the next", e + 1, "stored")):
        v = verdict(c, s2.make_record(sk, 3, pk, pk, next_seq(k), now, [number, ent]))
        check("3.3 an epoch key numbered %s: %s" % (name, want), v == want, v)
    check("3.3 the new epoch is current", c.call({"op": "status"}).get("epoch") == e + 1)
    check("2.3 an epoch key with no entry is malformed",
          verdict(c, s2.make_record(sk, 3, pk, pk, next_seq(k), now, [e + 2, b""])) == "malformed")
    check("3.3 an epoch key by a member: role",
          verdict(c, s2.make_record(msk, 3, pk, mpk, 1, now, [e + 2, ent])) == "role")
    body = [2, 1, pk, pk, next_seq(k), now, [xpk, 1, "V", now - 60, now + 86400]]
    check("2.2 a body of version 2 is counted malformed",
          verdict(c, s2.pack([s2.pack(body), b"\0" * 64])) == "malformed")
    body[:2] = [1, 8]
    check("2.2 a body of kind 8 is counted malformed",
          verdict(c, s2.pack([s2.pack(body), b"\0" * 64])) == "malformed")
    check("1 a body nested 3 deep is malformed",
          verdict(c, s2.make_record(sk, 1, pk, pk, next_seq(k), now, [xpk, 1, ["x"], now, now + 9])) == "malformed")
    check("4 a self-revocation by a never-certified key is refused",
          verdict(c, s2.make_record(xsk, 2, pk, xpk, 1, now, [xpk, 0, "bye", 0])) == "no-certificate")
    check("4 nobody revokes the founder",
          verdict(c, s2.make_record(sk, 2, pk, pk, next_seq(k), now, [pk, 0, "x", 5])) == "role")
    r = sig(msk, mpk, 5)
    check("3.1 a member's signal under an epoch nobody holds is stored", verdict(c, r) == "stored")
    v = c.call({"op": "show", "id": s2.b2b(r).hex()}).get("signal", {})
    check("3.1 ... and shown readable: false, without plaintext fields",
          v.get("readable") is False and "description" not in v, v)


def counter(c, name):
    return c.call({"op": "status"}).get("counters", {}).get(name, 0)


def link_rules(ctx, c, endpoint, pk, lpk, lsk, L, epochs):
    """Section 3.1's readable rule and section 9's limits over our link."""
    eid = max(epochs, key=lambda e: epochs[e][0])
    ekey = epochs[eid][1]
    seq = [1]

    def push(plain):
        seq[0] += 1
        r = s2.seal_signal(lsk, pk, lpk, seq[0], int(time.time()), eid, ekey,
                           int(time.time()) + 3600, plain)
        L.send([2, [r]])
        for _ in range(30):
            v = c.call({"op": "show", "id": s2.b2b(r).hex()})
            if v.get("ok"):
                return v.get("signal", {})
            time.sleep(0.1)
        return {}
    pt = s2.plaintext()
    for name, plain in (("a non-canonical plaintext", pt[:1] + b"\xcc\x01" + pt[2:]),
                        ("an alert with ack = 1", s2.plaintext(ack=1)),
                        ("a C1 control in the description",
                         s2.plaintext(description="ab").replace(b"\xa2ab", b"\xa2\xc2\x9b"))):
        v = push(plain)
        check("3.1 %s: stored, readable: false" % name, v.get("readable") is False, v)
    v = push(s2.plaintext(description="fine"))
    check("3.1 a valid plaintext from us: readable", v.get("readable") is True and v.get("description") == "fine", v)
    before = counter(c, "malformed")
    L2 = Link(ctx, endpoint, pk, lpk, lsk)
    L2.send([1, 2, pk, s2.vv_entries({})[1], ""])
    time.sleep(0.5)
    check("9 a HELLO of version 2: malformed", counter(c, "malformed") == before + 1)
    before = counter(c, "other-neighbourhood")
    L2.send([3, pk, b"\0" * 32])
    time.sleep(0.5)
    check("9 a message before HELLO: other-neighbourhood", counter(c, "other-neighbourhood") == before + 1)
    L2.sock.close()
    for name, msg in (("RECORDS with 257 records", [2, [b"x"] * 257]),
                      ("IHAVE with 4097 ids", [6, pk, os.urandom(32 * 4097)]),
                      ("GRAFT with 4097 ids", [7, pk, os.urandom(32 * 4097)]),
                      ("VV with 16385 entries", [4, pk, os.urandom(40 * 16385)]),
                      ("SKIP with 16385 entries", [5, pk, os.urandom(48 * 16385)])):
        before = counter(c, "malformed")
        L.send(msg)
        time.sleep(0.3)
        check("9 %s: malformed" % name, counter(c, "malformed") == before + 1)


def join(ctx, c, pk, join_endpoint):
    """Section 10: an invite code read here, and the join exchange from Python."""
    t0 = int(time.time())
    r = c.call({"op": "invite", "preapproved": True})
    inv = s2.parse_invite(r.get("code", ""))
    check("10 invite code: nbhd, coordinator, join endpoint, 72 h",
          inv["nbhd"] == pk and inv["coordinator"] == pk and inv["endpoint"] == join_endpoint
          and abs(inv["expires"] - t0 - 72 * 3600) <= 5, inv)

    def ask(secret, jpk, jsk):
        s = ctx.socket(zmq.DEALER)
        s.setsockopt(zmq.LINGER, 0)
        s.curve_serverkey = s2.curve_pub(inv["coordinator"])
        s.curve_publickey = s2.curve_pub(jpk)
        s.curve_secretkey = s2.curve_sec(jsk)
        s.connect(inv["endpoint"])
        s.send(s2.pack({"op": "join", "secret": secret, "key": jpk, "label": "Python join"}))
        ans = s2.unpack(s.recv(), 3) if s.poll(10000) else {}
        s.close()
        return ans
    jpk, jsk = s2.seed_keypair(os.urandom(32))
    a = ask(inv["secret"], jpk, jsk)
    recs = [s2.Record(x) for x in a.get("records", [])]
    mine = [x for x in recs if x.kind == 1 and x.payload[0] == jpk]
    check("10 a pre-approved join: member, with our certificate",
          a.get("state") == "member" and a.get("nbhd") == pk and len(mine) == 1 and
          mine[0].verify() and mine[0].payload[1] == 1 and mine[0].payload[2] == "Python join", a)
    check("10 the certificate is for 365 days",
          bool(mine) and mine[0].payload[4] - mine[0].payload[3] in range(365 * 86400, 365 * 86400 + 601),
          mine and mine[0].payload)
    keys = [s2.open_entries(x.payload[1], jpk, jsk) for x in recs if x.kind == 3]
    check("10 the answer holds an epoch key sealed to us", any(keys))
    opk, osk = s2.seed_keypair(os.urandom(32))
    a = ask(inv["secret"], opk, osk)
    check("10 a secret redeemed by another key is refused", a.get("state") == "refused" and
          isinstance(a.get("error"), str), a)
    a = ask(os.urandom(16), opk, osk)
    check("10 an unknown secret is refused", a.get("state") == "refused", a)


def relay(T, ctx, c, procs, pk, endpoint):
    """Section 11: a real relay, a subscriber session from Python, audit.log."""
    from harness import KEYS
    rk = os.path.join(T, "relay.key")
    run(KEYS, "init", "-k", rk)
    rpk = s2.parse_key_text(open(rk + ".pub").read())
    apk, ask = s2.seed_keypair(os.urandom(32))
    for who, role in ((rpk, "relay"), (apk, "authority")):
        r = c.call({"op": "certify", "key": s2.key_text(who), "role": role, "label": "Py " + role})
        check("8 certify a %s" % role, r.get("ok") is True and len(r.get("cert", "")) == 64, r)
    sub = "tcp://127.0.0.1:%d" % free_port()
    rd, _ = start_daemon(T, "relay", rk, s2.key_text(pk), procs,
                         ["role = relay", "serve = " + s2.key_text(pk), "subscriber_listen = " + sub,
                          "peer = %s %s" % (endpoint, s2.key_text(pk))])
    r = c.call({"op": "send", "category": "other", "description": "shared", "where": "x", "share": True})
    shared = r.get("id")
    rc = Control(ctx, rd)
    for _ in range(100):
        if rc.call({"op": "show", "id": shared}).get("ok"):
            break
        time.sleep(0.1)
    s = ctx.socket(zmq.DEALER)
    s.setsockopt(zmq.LINGER, 0)
    s.curve_serverkey = s2.curve_pub(rpk)
    s.curve_publickey = s2.curve_pub(apk)
    s.curve_secretkey = s2.curve_sec(ask)
    s.connect(sub)
    s.send(s2.pack({"op": "subscribe", "from": 0, "credit": 4096}))
    msgs = []
    while s.poll(5000):
        m = s2.unpack(s.recv(), 2)
        msgs.append(m)
        if m.get("type") == "caught-up":
            break
    cursors = [m["cursor"] for m in msgs if m.get("type") == "record"]
    check("11 records come with increasing cursors, then caught-up",
          cursors and cursors == sorted(set(cursors)) and msgs[-1].get("type") == "caught-up"
          and msgs[-1].get("cursor") >= cursors[-1], msgs[-3:])
    recs = [s2.Record(m["record"]) for m in msgs if m.get("type") == "record"]
    check("11 every record verifies", all(x.verify() for x in recs))
    sig = [x for x in recs if x.id.hex() == shared]
    ok = False
    if sig:
        ck = s2.open_entries(sig[0].payload[6], apk, ask)
        p = sig[0].payload
        ad = s2.signal_ad(sig[0].nbhd, sig[0].author, sig[0].seq, sig[0].created, p[0], p[1])
        from nacl import bindings as nb
        plain = nb.crypto_aead_xchacha20poly1305_ietf_decrypt(p[3], ad, p[2], ck) if ck else b""
        ok = s2.check_plaintext(plain)[6] == "shared"
    check("3.2 the shared alert reaches the authority and opens with its key entry", ok)
    check("11 an unshared signal is not sent to the authority",
          all(x.kind != 5 or s2.open_entries(x.payload[6], apk, ask) for x in recs))
    now = int(time.time())
    ann = s2.make_record(ask, 7, pk, apk, 1, now, [4, "Wees alert", "Lindelaan", now + 3600])
    s.send(s2.pack({"op": "announce", "record": ann}))
    res = {}
    while s.poll(5000):
        res = s2.unpack(s.recv(), 2)
        if res.get("type") == "result":
            break
    check("11 announce: result ok, stored", res.get("ok") is True and res.get("error") == "stored", res)
    s.close()
    time.sleep(0.3)
    lines = open(os.path.join(rd, "audit.log")).read().splitlines()
    keys = [w[4:] for line in lines for w in line.split() if w.startswith("key=")]
    check("11 audit.log names the authority by its key text on every line",
          len(keys) >= 2 and set(keys) == {s2.key_text(apk)}, lines)
    check("11 audit.log lines: UTC time, then the event",
          all(re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ (session-start|announce) key=", ln)
              for ln in lines), lines)
    r = c.call({"op": "announcements"})
    a = [x for x in r.get("announcements", []) if x.get("id") == s2.b2b(ann).hex()]
    check("8 announcements: the view of ours, kind info", len(a) == 1 and a[0].get("kind") == "info"
          and a[0].get("text") == "Wees alert" and a[0].get("author") == s2.key_text(apk), r)
    return lines
