#!/usr/bin/python3
# SPDX-License-Identifier: EUPL-1.2
"""Checks proto/PROTOCOL.md against a second implementation (samen2.py) and
against the real programs: the document's test vectors byte for byte, then
files and sockets of samen-keys and samend (black box). One line per check;
the last line is "N passed, N failed". Run with Debian's /usr/bin/python3:

    BUILD=build /usr/bin/python3 tests/interop/check.py
"""
import fcntl
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import traceback

import zmq

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import samen2 as s2  # noqa: E402
import mesh  # noqa: E402
from harness import (KEYS, RESULTS, check, next_seq, raises, read_key,  # noqa: E402
                     read_seq, run)

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
    text = [ln for ln in open(cf).read().splitlines() if ln and not ln.startswith("-----")]
    check("5 samen-keys armour: lines of 64 characters, the last at most 64",
          all(len(ln) == 64 for ln in text[:-1]) and 0 < len(text[-1]) <= 64, text)
    check("7 public key file mode 0644 (umask 022)",
          stat.S_IMODE(os.stat(k + ".pub").st_mode) == 0o644 & ~umask())
    # 2.2: the counter is locked with flock on KEYFILE.seq itself
    fd = os.open(k + ".seq", os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)
    p = subprocess.Popen([KEYS, "certify", "-k", k, "--nbhd", nbf, "--subject", mk + ".pub",
                          "--role", "member", "-o", cf + "3"], stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    waited = p.poll() is None
    last = read_seq(k)
    fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)
    p.wait(10)
    check("2.2 samen-keys waits for our flock on KEYFILE.seq, then takes the next number",
          waited and s2.Record(s2.read_armoured(open(cf + "3").read())[0]).seq == last + 1)
    # key files written here, read by samen-keys
    for name, data, env in (
            ("unencrypted", s2.secret_file_plain(os.urandom(32)), {}),
            ("encrypted", s2.secret_file_enc(os.urandom(32), b"correct horse battery staple",
                                             os.urandom(16), os.urandom(24)), {"SAMEN_PASSPHRASE_FILE": pwf})):
        path = os.path.join(T, "py-%s.key" % name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, data)
        os.close(fd)
        want = s2.seed_keypair(s2.read_secret(data, b"correct horse battery staple"))[0]
        out = run(KEYS, "show", "-k", path, env=env, check_rc=False)
        check("7 samen-keys reads an %s key file written here" % name,
              out.returncode == 0 and s2.fingerprint(want) in out.stdout, out.stdout + out.stderr)
    os.chmod(path, 0o640)
    out = run(KEYS, "show", "-k", path, env={"SAMEN_PASSPHRASE_FILE": pwf}, check_rc=False)
    check("7 a key file with group bits set is refused", out.returncode != 0 and
          "chmod 600" in out.stderr, out.stderr)
    return k, pk, sk, mk, mpk, msk


def umask():
    u = os.umask(0)
    os.umask(u)
    return u



def main():
    T = tempfile.mkdtemp(prefix="samen-interop-")
    ctx = zmq.Context()
    procs = []
    try:
        vectors()
        k, pk, sk, mk, mpk, msk = key_files(T)
        c, d, endpoint, alert, join_endpoint = mesh.daemon(T, ctx, procs, k, pk)
        mesh.imports(T, c, k, pk, sk)
        L, lpk, lsk, epochs, _ = mesh.link(T, ctx, c, k, pk, sk, endpoint)
        mesh.rules(c, k, pk, sk)
        mesh.join(ctx, c, pk, join_endpoint)
        mesh.relay(T, ctx, c, procs, pk, endpoint)
        mesh.link_rules(ctx, c, endpoint, pk, lpk, lsk, L, epochs)
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
