# SPDX-License-Identifier: EUPL-1.2
"""Checks proto/PROTOCOL.md against a second implementation (samen2.py) and
against the real programs: the document's test vectors byte for byte, then
files and sockets of samen-keys and samend (black box). One line per check;
the last line is "N passed, N failed". Run with Debian's /usr/bin/python3:

    BUILD=build /usr/bin/python3 tests/interop/check.py
"""
import os
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import samen2 as s2  # noqa: E402

RESULTS = [0, 0]


def check(name, cond, detail=""):
    RESULTS[0 if cond else 1] += 1
    print("%s %s%s" % ("ok  " if cond else "FAIL", name, "" if cond else "  " + str(detail)))
    sys.stdout.flush()
    return cond


def raises(fn, exc=Exception):
    try:
        fn()
    except exc:
        return True
    except Exception:
        return False
    return False


H = bytes.fromhex

FOUNDER_PK = H("03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8")
MEMBER_PK = H("29acbae141bccaf0b22e1a94d34d0bc7361e526d0bfe12c89794bc9322966dd7")
VECTOR = H(
    "92c485970101c42003a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8"
    "c42003a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b801ce69248100"
    "95c42029acbae141bccaf0b22e1a94d34d0bc7361e526d0bfe12c89794bc9322966dd701a94c696e"
    "64656c61616ece69248100ce6b05b480c440cd6e10cdc61cfb83e062e0357dfddda5991c1928cde1"
    "48842e0833b6601ce6437a1ed956ce2a0dfdfcf024b45f25ccbaf12ecbba6c2a871d61352ec6c14e"
    "0904")
VECTOR_ID = "fd9352af79d609015701f78d8bb9ce793fa46f4a951eee9d36660b5d1aeb1d51"


def vectors():
    """Step 1: every test vector in PROTOCOL.md."""
    fpk, fsk = s2.seed_keypair(bytes(range(32)))
    mpk, msk = s2.seed_keypair(bytes(range(32, 64)))
    check("6 founder public key from seed 00..1f", fpk == FOUNDER_PK, fpk.hex())
    check("6 member public key from seed 20..3f", mpk == MEMBER_PK, mpk.hex())
    raw = s2.make_record(fsk, s2.KIND_CERT, fpk, fpk, 1, 1764000000,
                         [mpk, 1, "Lindelaan", 1764000000, 1795536000])
    check("6 certificate record is 202 bytes", len(raw) == 202, len(raw))
    check("6 certificate record byte for byte", raw == VECTOR, raw.hex())
    rec = s2.Record(VECTOR)
    check("6 body is 133 bytes (bin8 c4 85)", len(rec.body_bytes) == 133 and VECTOR[1:3] == H("c485"))
    check("6 signature as printed", rec.sig.hex().startswith("cd6e10cdc61cfb83") and
          rec.sig.hex().endswith("6c14e0904"[-8:]))
    check("6 signature verifies over prefix||body", rec.verify())
    check("2.1 signature prefix is 16 bytes", s2.SIG_PREFIX.hex() == "73616d656e207265636f7264207631" + "00")
    check("6 id = BLAKE2b-256(record)", rec.id.hex() == VECTOR_ID, rec.id.hex())
    bad = bytearray(VECTOR)
    bad[-1] ^= 1
    check("2.1 a changed signature does not verify", not s2.Record(bytes(bad)).verify())
    # section 1: strictness
    check("1 trailing byte refused", raises(lambda: s2.Record(VECTOR + b"\x00"), s2.Malformed))
    check("1 dd ff000000 refused", raises(lambda: s2.unpack(H("ddff000000"), 2), s2.Malformed))
    check("1 non-canonical int (cc 01) refused", raises(lambda: s2.unpack(H("cc01"), 1), s2.Malformed))
    check("1 C1 control U+009B refused", raises(lambda: s2.unpack(s2.pack("a\u009bb"), 1), s2.Malformed))
    check("1 zero-width space is valid text", s2.unpack(s2.pack("a\u200bb"), 1) == "a\u200bb")
    check("2.3 label refuses tab", not s2.text_ok("a\tb", one_line=True) and s2.text_ok("a\tb"))
    # section 7: key text, fingerprints, key files
    table = [
        ("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
         "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", "5MX1-VMFM-8JSA-G6V2"),
        ("00" * 32, "A" * 43, "9J14-1GD9-776D-E06E"),
        ("ff" * 32, "_" * 42 + "8", "7FAJ-KA8H-WYV4-AD0A"),
    ]
    for pkhex, text, fp in table:
        pk = H(pkhex)
        check("7 text form of %s.." % pkhex[:8], s2.key_text(pk) == text, s2.key_text(pk))
        check("7 fingerprint of %s.." % pkhex[:8], s2.fingerprint(pk) == fp, s2.fingerprint(pk))
        check("7 text form of %s.. reads back" % pkhex[:8], s2.parse_key_text(" " + text + "\n") == pk)
    check("7 key text with padding refused", raises(lambda: s2.parse_key_text("A" * 43 + "="), s2.Malformed))
    check("7 key text non-zero low bits refused", raises(lambda: s2.parse_key_text("A" * 42 + "B"), s2.Malformed))
    seed = H("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    pk1, _ = s2.seed_keypair(seed)
    check("7 RFC 8032 TEST 1 seed gives table's key", pk1.hex() == table[0][0])
    plain = (b"samen-secret-key-v1\nAJ1hsZ3v_VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g6ho4gWcAP65_"
             b"5gpra-BhJU3BbpRn4GZkdELE877008I\n")
    got = s2.secret_file_plain(seed)
    check("7 unencrypted key file byte for byte", got == plain, got)
    check("7 unencrypted key file is 108 bytes", len(got) == 108)
    check("7 unencrypted key file reads back", s2.read_secret(plain) == seed)
    enc = (b"samen-secret-key-v1\nAX3tjaJu8W2fvGyAXoMSrFgAAAAAAAAAAgAAAAAEAAAAkyJhszf44d2_T1cE1-qzUk6"
           b"seR1I4XJjEqowKh5jneVWMgQoCkUvkoiD5xpiDLLwEGbo4t4vkYiHfvznvZzcqtyvs5mev5vzxr18IDrGtX"
           b"KP5wecpLCZUnTHhI2B-_MH0KdqHqB9u7Y\n")
    pw = b"correct horse battery staple"
    check("7 passphrase is 28 bytes", len(pw) == 28)
    got = s2.secret_file_enc(seed, pw, H("7ded8da26ef16d9fbc6c805e8312ac58"),
                             H("932261b337f8e1ddbf4f5704d7eab3524eac791d48e17263"))
    check("7 encrypted key file byte for byte", got == enc, got)
    check("7 encrypted key file is 204 bytes", len(enc) == 204)
    blob = s2.unb64u(enc[20:-1])
    check("7 encrypted vector's ciphertext and check as printed",
          blob[57:105].hex() == "12aa302a1e639de5563204280a452f928883e71a620cb2f0"
          "1066e8e2de2f9188877efce7bd9cdcaadcafb3999ebf9bf3" and
          blob[105:].hex() == "c6bd7c203ac6b5728fe7079ca4b0995274c7848d81fbf307d0a76a1ea07dbbb6")
    check("7 encrypted key file reads back", s2.read_secret(enc, pw) == seed)
    check("7 wrong passphrase fails", raises(lambda: s2.read_secret(enc, b"wrong")))
    check("7 no passphrase is need-pass", raises(lambda: s2.read_secret(enc), s2.NeedPass))
    # section 3: a signal, sealed and opened, and the AD's length
    ek, ck = bytes(32 * [7]), bytes(32 * [9])
    ad = s2.signal_ad(fpk, fpk, 2, 1764000000, rec.id, 1764014400)
    check("3.2 AD is 136 bytes", len(ad) == 136, len(ad))
    pt = s2.plaintext(description="test", where="here", point=[52090000, 5120000, 100])
    s2.check_plaintext(pt)
    sig = s2.seal_signal(fsk, fpk, fpk, 2, 1764000000, rec.id, ek, 1764014400, pt,
                         authorities=[mpk], ck=ck, nonce=bytes(24), wrap_nonce=bytes(24))
    srec = s2.Record(sig)
    check("3.2 signal record decodes and verifies", srec.verify() and srec.kind == 5)
    check("3.2 signal opens with the epoch key", s2.open_signal(srec, ek) == pt)
    check("3.2 authority's key entry opens to ck", s2.open_entries(srec.payload[6], mpk, msk) == ck)
    check("3.1 non-canonical plaintext refused",
          raises(lambda: s2.check_plaintext(pt[:1] + H("cc01") + pt[2:]), s2.Malformed))
    return fpk, fsk


# ---- step 2: the real programs, black box -------------------------------------

import fcntl  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import stat  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import zmq  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.join(ROOT, os.environ.get("BUILD", "build"))
KEYS = os.path.join(BUILD, "samen-keys")
SAMEND = os.path.join(BUILD, "samend")
SAMEN = os.path.join(BUILD, "samen")


def run(*args, env=None, check_rc=True):
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.run(list(args), capture_output=True, text=True, env=e, timeout=30)
    if check_rc and p.returncode != 0:
        raise RuntimeError("%s: %d %s" % (args, p.returncode, p.stderr))
    return p


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def read_key(path, passphrase=None):
    seed = s2.read_secret(open(path, "rb").read(), passphrase)
    return s2.seed_keypair(seed)


def read_seq(keyfile):
    if not os.path.exists(keyfile + ".seq"):
        return None
    data = open(keyfile + ".seq", "rb").read()
    if not (len(data) == 21 and data[:20].isdigit() and data[20:] == b"\n"):
        raise s2.Malformed("seq file %r" % data)
    return int(data[:20])


def next_seq(keyfile):
    """Section 2.2: take the next number of the key's counter, as samen-keys
    and samend do (the file holds the last number used)."""
    fd = os.open(keyfile + ".seq", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        last = int(os.read(fd, 64)[:20] or b"0")
        os.lseek(fd, 0, 0)
        os.write(fd, b"%020d\n" % (last + 1))
        os.fsync(fd)
        return last + 1
    finally:
        os.close(fd)


def key_files(T):
    """Section 7 and 2.2 against samen-keys; section 5 record files."""
    k = os.path.join(T, "f", "identity.key")
    out = run(KEYS, "init", "-k", k).stdout
    pk, sk = read_key(k)
    st = os.stat(k)
    check("7 samen-keys init: secret key file 108 bytes, mode 0600",
          st.st_size == 108 and stat.S_IMODE(st.st_mode) == 0o600, (st.st_size, oct(st.st_mode)))
    pub = open(k + ".pub", "rb").read()
    check("7 public key file is text form LF, 44 bytes",
          len(pub) == 44 and s2.parse_key_text(pub.decode()) == pk, pub)
    show = run(KEYS, "show", k + ".pub").stdout
    check("7 samen-keys show prints our text form and fingerprint",
          s2.key_text(pk) in show and s2.fingerprint(pk) in show and s2.fingerprint(pk) in out, show)
    pwf = os.path.join(T, "pass")
    open(pwf, "w").write("correct horse battery staple\n")
    ke = os.path.join(T, "enc.key")
    run(KEYS, "init", "--encrypt", "-k", ke, env={"SAMEN_PASSPHRASE_FILE": pwf})
    data = open(ke, "rb").read()
    blob = s2.unb64u(data[20:-1])
    check("7 encrypted key file: 204 bytes, format 1, opslimit 2, memlimit 64 MiB",
          len(data) == 204 and blob[0] == 1 and blob[17:33].hex() == "0000000000000002" + "0000000004000000")
    epk, _ = s2.seed_keypair(s2.read_secret(data, b"correct horse battery staple"))
    check("7 encrypted key file decrypts to the key in its .pub",
          s2.parse_key_text(open(ke + ".pub").read()) == epk)
    nbf = os.path.join(T, "buurt.nbhd")
    run(KEYS, "found", "-k", k, "--name", "Buurt Lindelaan", "-o", nbf)
    kv = s2.read_kv(open(nbf).read())
    check("5 neighbourhood file: id and name", kv.get("id") == s2.key_text(pk) and
          kv.get("name") == "Buurt Lindelaan", kv)
    check("2.2 a new key has no .seq file yet (counts as 0)", read_seq(k) is None)
    seq0 = 0
    mk = os.path.join(T, "m.key")
    run(KEYS, "init", "-k", mk)
    mpk, msk = read_key(mk)
    cf = os.path.join(T, "m.cert")
    t0 = int(time.time())
    run(KEYS, "certify", "-k", k, "--nbhd", nbf, "--subject", mk + ".pub", "--role", "member",
        "--label", "Lindelaan 12", "--days", "10", "-o", cf)
    recs = s2.read_armoured(open(cf).read())
    check("5 record file holds one armoured record", len(recs) == 1)
    r = s2.Record(recs[0])
    p = r.payload
    check("2 certificate from samen-keys decodes strictly and verifies",
          r.verify() and r.kind == 1 and r.nbhd == pk and r.author == pk and p[0] == mpk
          and p[1] == 1 and p[2] == "Lindelaan 12")
    check("2.2 certificate seq is the counter's next number; .seq holds the last used",
          r.seq == seq0 + 1 and read_seq(k) == r.seq, (seq0, r.seq, read_seq(k)))
    st = os.stat(k + ".seq")
    check("2.2 .seq file is 21 bytes, mode 0600", st.st_size == 21 and
          stat.S_IMODE(st.st_mode) == 0o600, oct(st.st_mode))
    check("samen-keys certify: valid from 5 minutes ago for N days",
          abs(p[3] - (t0 - 300)) <= 5 and p[4] - p[3] == 10 * 86400 + 300, (p[3] - t0, p[4] - p[3]))
    rf = os.path.join(T, "m.rev")
    run(KEYS, "revoke", "-k", k, "--nbhd", nbf, "--subject", mk + ".pub", "--upto", "5",
        "--reason", "moved", "-o", rf)
    rv = s2.Record(s2.read_armoured(open(rf).read())[0])
    check("2.3 revocation with --upto has 4 fields", rv.kind == 2 and rv.payload == [mpk, 0, "moved", 5])
    rf2 = os.path.join(T, "m2.rev")
    run(KEYS, "revoke", "-k", k, "--nbhd", nbf, "--subject", mk + ".pub", "-o", rf2)
    rv2 = s2.Record(s2.read_armoured(open(rf2).read())[0])
    check("2.3 revocation without --upto has the 0.1.0 form (3 fields)", len(rv2.payload) == 3)
    # records written by this implementation, judged by samen-keys verify
    now = int(time.time())
    seq = next_seq(k)
    mine = s2.make_record(sk, 1, pk, pk, seq, now, [mpk, 1, "Python 1", now - 60, now + 86400])
    pf = os.path.join(T, "py.cert")
    open(pf, "w").write("a comment outside the markers\n" + s2.armour(mine))
    p = run(KEYS, "verify", pf, check_rc=False)
    check("5/2 a certificate written here is valid to samen-keys verify", p.returncode == 0,
          p.stdout + p.stderr)
    seq = next_seq(k)
    bad = s2.make_record(sk, 1, pk, pk, seq, now, [mpk, 1, "Python\t2", now - 60, now + 86400])
    open(pf + "2", "w").write(s2.armour(bad))
    p = run(KEYS, "verify", pf + "2", check_rc=False)
    check("2.3 a label with a tab is refused by samen-keys verify", p.returncode not in (0,),
          p.stdout + p.stderr)
    return k, pk, sk, mk, mpk, msk



class Control:
    """Section 8: a DEALER on ipc://STATE_DIR/control, one msgpack map a frame."""

    def __init__(self, ctx, state_dir):
        self.sock = ctx.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.connect("ipc://" + os.path.join(state_dir, "control"))

    def send(self, req):
        self.sock.send(s2.pack(req))

    def recv(self, timeout=10):
        if not self.sock.poll(timeout * 1000):
            raise TimeoutError("no answer on the control socket")
        return s2.unpack(self.sock.recv(), 4)

    def call(self, req, timeout=10):
        self.send(req)
        return self.recv(timeout)


def start_daemon(T, name, keyfile, nbhd_text, procs, extra=()):
    d = os.path.join(T, name)
    os.makedirs(d, mode=0o700, exist_ok=True)
    conf = os.path.join(d, "samend.conf")
    port = free_port()
    lines = ["state_dir = " + d, "key = " + keyfile, "neighbourhood = " + nbhd_text,
             "listen = tcp://127.0.0.1:%d" % port, "anti_entropy_seconds = 1"] + list(extra)
    open(conf, "w").write("\n".join(lines) + "\n")
    log = open(os.path.join(d, "log"), "w")
    procs.append(subprocess.Popen([SAMEND, "-c", conf], stderr=log))
    for _ in range(100):
        if run(SAMEN, "-s", d, "status", check_rc=False).returncode == 0:
            break
        time.sleep(0.1)
    return d, "tcp://127.0.0.1:%d" % port


def daemon(T, ctx, procs, k, pk):
    """Section 8 against a real samend: the founder's daemon."""
    d, endpoint = start_daemon(T, "founder", k, s2.key_text(pk), procs)
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
    w.sock.close()
    return c, d, endpoint, alert



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



# ---- step 3: a link (section 9) ------------------------------------------------

class Link:
    def __init__(self, ctx, endpoint, server_pk, pk, sk):
        self.sock = ctx.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.curve_serverkey = s2.curve_pub(server_pk)
        self.sock.curve_publickey = s2.curve_pub(pk)
        self.sock.curve_secretkey = s2.curve_sec(sk)
        self.sock.connect(endpoint)

    def send(self, msg):
        self.sock.send(s2.pack(msg))

    def recv_all(self, seconds, until=None):
        out, end = [], time.time() + seconds
        while time.time() < end:
            if self.sock.poll(100):
                m = s2.unpack(self.sock.recv(), 3)
                out.append(m)
                if until and until(m):
                    break
        return out


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
        return L, lpk
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
    return L, lpk


def main():
    T = tempfile.mkdtemp(prefix="samen-interop-")
    ctx = zmq.Context()
    procs = []
    try:
        vectors()
        k, pk, sk, mk, mpk, msk = key_files(T)
        c, d, endpoint, alert = daemon(T, ctx, procs, k, pk)
        imports(T, c, k, pk, sk)
        link(T, ctx, c, k, pk, sk, endpoint)
    except Exception:
        traceback.print_exc()
        check("checks ran to the end", False)
    finally:
        for p in procs:
            p.terminate()
            p.wait(10)
        ctx.destroy(0)
        shutil.rmtree(T, ignore_errors=True)
    print("%d passed, %d failed" % tuple(RESULTS))
    return 1 if RESULTS[1] else 0


if __name__ == "__main__":
    sys.exit(main())
