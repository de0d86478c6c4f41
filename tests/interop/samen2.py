# SPDX-License-Identifier: EUPL-1.2
"""A second implementation of samen's formats, written from proto/PROTOCOL.md
alone (issue 13 point 6). Used by check.py; it shares no code with the C.

Needs Debian 12's python3-nacl and python3-msgpack (python3-zmq for the
sockets, in check.py)."""
import base64
import hashlib
import struct

import msgpack
from nacl import bindings as nb

RECORD_MAX = 131072
SIG_PREFIX = b"samen record v1\x00"
AD_PREFIX = b"samen signal v1\x00"
FP_PREFIX = b"samen-fingerprint-v1"
KEY_HEADER = b"samen-secret-key-v1\n"

KIND_CERT, KIND_REV, KIND_EPOCH, KIND_PEER, KIND_SIGNAL, KIND_RETRACT, KIND_AUTH = range(1, 8)


class Malformed(ValueError):
    pass


def b2b(data):
    """BLAKE2b-256, unkeyed (sections 2.1 and 7)."""
    return hashlib.blake2b(data, digest_size=32).digest()


# ---- section 1: canonical msgpack -------------------------------------------

def pack(obj):
    """Canonical msgpack: every header in its shortest form (section 1).
    Written by hand rather than with msgpack.packb, so that the check does
    not depend on one library's idea of 'shortest'."""
    out = bytearray()
    _pack(obj, out)
    return bytes(out)


def _hdr(out, n, fix, fixmax, codes):
    if fix is not None and n <= fixmax:
        out.append(fix | n)
        return
    for code, size in codes:
        if n < (1 << (8 * size)):
            out.append(code)
            out += n.to_bytes(size, "big")
            return
    raise Malformed("too long")


def _pack(o, out):
    if o is None:
        out.append(0xc0)
    elif o is True:
        out.append(0xc3)
    elif o is False:
        out.append(0xc2)
    elif isinstance(o, int):
        if 0 <= o <= 0x7f:
            out.append(o)
        elif o >= 0:
            _hdr(out, o, None, 0, [(0xcc, 1), (0xcd, 2), (0xce, 4), (0xcf, 8)])
        elif o >= -32:
            out.append(o & 0xff)
        else:
            for code, size in ((0xd0, 1), (0xd1, 2), (0xd2, 4), (0xd3, 8)):
                if o >= -(1 << (8 * size - 1)):
                    out.append(code)
                    out += o.to_bytes(size, "big", signed=True)
                    break
    elif isinstance(o, str):
        b = o.encode("utf-8")
        _hdr(out, len(b), 0xa0, 31, [(0xd9, 1), (0xda, 2), (0xdb, 4)])
        out += b
    elif isinstance(o, (bytes, bytearray)):
        _hdr(out, len(o), None, 0, [(0xc4, 1), (0xc5, 2), (0xc6, 4)])
        out += o
    elif isinstance(o, (list, tuple)):
        _hdr(out, len(o), 0x90, 15, [(0xdc, 2), (0xdd, 4)])
        for x in o:
            _pack(x, out)
    elif isinstance(o, dict):
        _hdr(out, len(o), 0x80, 15, [(0xde, 2), (0xdf, 4)])
        for k, v in o.items():
            _pack(k, out)
            _pack(v, out)
    else:
        raise TypeError(type(o))


def text_ok(s, one_line=False):
    """Section 1 rule 5 (and 2.3's one-line rule for labels and endpoints).
    Python's strict UTF-8 decoder already refuses overlong forms, surrogates
    and code points past U+10FFFF."""
    for ch in s:
        c = ord(ch)
        if c < 0x20 and ch not in "\n\t":
            return False
        if c == 0x7f or 0x80 <= c <= 0x9f:
            return False
        if one_line and ch in "\n\t":
            return False
    return True


def _depth(o):
    if isinstance(o, (list, tuple)):
        return 1 + max([_depth(x) for x in o] or [0])
    if isinstance(o, dict):
        return 1 + max([max(_depth(k), _depth(v)) for k, v in o.items()] or [0])
    return 0


def _texts(o):
    if isinstance(o, str):
        yield o
    elif isinstance(o, (list, tuple)):
        for x in o:
            yield from _texts(x)
    elif isinstance(o, dict):
        for k, v in o.items():
            yield from _texts(k)
            yield from _texts(v)


def unpack(data, depth):
    """Strict decode (section 1): one object, no floats/ext, UTF-8 text as
    rule 5, nesting at most depth, and re-encoding gives the same bytes."""
    try:
        obj = msgpack.unpackb(data, raw=False, strict_map_key=False,
                              use_list=True)
    except Exception as e:  # trailing bytes, truncation, bad UTF-8
        raise Malformed("msgpack: %s" % e)
    if _depth(obj) > depth:
        raise Malformed("too deep")
    for s in _texts(obj):
        if not text_ok(s):
            raise Malformed("control character in text")
    try:
        again = pack(obj)
    except TypeError:
        raise Malformed("float or ext")
    if again != data:
        raise Malformed("not canonical")
    return obj


# ---- section 2: records -----------------------------------------------------

def seed_keypair(seed):
    pk, sk = nb.crypto_sign_seed_keypair(seed)
    return pk, sk


def make_record(sk, kind, nbhd, author, seq, created, payload):
    body = pack([1, kind, nbhd, author, seq, created, payload])
    sig = nb.crypto_sign(SIG_PREFIX + body, sk)[:64]
    return pack([body, sig])


class Record:
    def __init__(self, raw):
        if len(raw) > RECORD_MAX:
            raise Malformed("record too big")
        env = unpack(raw, 1)
        if not (isinstance(env, list) and len(env) == 2 and isinstance(env[0], bytes)
                and isinstance(env[1], bytes) and len(env[1]) == 64):
            raise Malformed("envelope")
        self.raw, self.body_bytes, self.sig = raw, env[0], env[1]
        b = unpack(self.body_bytes, 2)
        if not (isinstance(b, list) and len(b) == 7):
            raise Malformed("body")
        (self.version, self.kind, self.nbhd, self.author, self.seq, self.created,
         self.payload) = b
        if self.version != 1:
            raise Malformed("version")
        if not (isinstance(self.nbhd, bytes) and len(self.nbhd) == 32
                and isinstance(self.author, bytes) and len(self.author) == 32
                and isinstance(self.seq, int) and self.seq >= 1
                and isinstance(self.created, int) and self.created >= 0
                and isinstance(self.payload, list)):
            raise Malformed("body fields")
        if self.kind not in range(1, 8):
            raise Malformed("kind")
        check_payload(self.kind, self.payload)
        self.id = b2b(raw)

    def verify(self):
        try:
            nb.crypto_sign_open(self.sig + SIG_PREFIX + self.body_bytes, self.author)
            return True
        except Exception:
            return False


def _u(x):
    return isinstance(x, int) and not isinstance(x, bool) and x >= 0


def _b(x, n=None):
    return isinstance(x, bytes) and (n is None or len(x) == n)


def _s(x, lo, hi, one_line=False):
    return (isinstance(x, str) and lo <= len(x.encode()) <= hi
            and text_ok(x, one_line))


def check_payload(kind, p):
    ok = False
    if kind == KIND_CERT:
        ok = (len(p) == 5 and _b(p[0], 32) and p[1] in (1, 2, 3, 4)
              and _s(p[2], 0, 64, True) and _u(p[3]) and _u(p[4]) and p[3] < p[4])
    elif kind == KIND_REV:
        ok = (len(p) in (3, 4) and _b(p[0], 32) and p[1] in (0, 1)
              and _s(p[2], 0, 200) and (len(p) == 3 or _u(p[3])))
    elif kind == KIND_EPOCH:
        ok = (len(p) == 2 and _u(p[0]) and p[0] >= 1 and _b(p[1])
              and len(p[1]) % 112 == 0 and 1 <= len(p[1]) // 112 <= 1024)
    elif kind == KIND_PEER:
        ok = len(p) == 2 and _s(p[0], 1, 200, True) and _u(p[1])
    elif kind == KIND_SIGNAL:
        ok = (len(p) == 7 and _b(p[0], 32) and _u(p[1]) and _b(p[2], 24)
              and _b(p[3]) and 16 <= len(p[3]) <= 2048 and _b(p[4], 24)
              and _b(p[5], 48) and _b(p[6]) and len(p[6]) % 112 == 0
              and len(p[6]) // 112 <= 16)
    elif kind == KIND_RETRACT:
        ok = len(p) == 2 and _b(p[0], 32) and _s(p[1], 0, 200)
    elif kind == KIND_AUTH:
        ok = (len(p) == 4 and p[0] in (1, 2, 3, 4) and _s(p[1], 1, 1024)
              and _s(p[2], 0, 256) and _u(p[3]))
    if not ok:
        raise Malformed("payload of kind %d" % kind)


# ---- 2.3 key entries, section 3: signals --------------------------------------

def key_entry(recipient_pk, key32):
    return recipient_pk + nb.crypto_box_seal(key32, nb.crypto_sign_ed25519_pk_to_curve25519(recipient_pk))


def open_entries(entries, pk, sk):
    """The key sealed to pk among n x 112-byte entries, or None."""
    xpk = nb.crypto_sign_ed25519_pk_to_curve25519(pk)
    xsk = nb.crypto_sign_ed25519_sk_to_curve25519(sk)
    for i in range(0, len(entries), 112):
        if entries[i:i + 32] == pk:
            return nb.crypto_box_seal_open(entries[i + 32:i + 112], xpk, xsk)
    return None


def signal_ad(nbhd, author, seq, created, epoch_id, expires):
    return (AD_PREFIX + nbhd + author + struct.pack(">QQ", seq, created) + epoch_id
            + struct.pack(">Q", expires))


def plaintext(kind=1, category=1, severity=2, status=2, called112=False, ack=0,
              description="", where="", point=None, refs=b""):
    return pack([kind, category, severity, status, called112, ack, description,
                 where, point, refs])


def check_plaintext(data):
    p = unpack(data, 2)
    ok = (isinstance(p, list) and len(p) == 10 and p[0] in (1, 2, 3, 4)
          and p[1] in range(1, 9) and p[2] in (1, 2, 3, 4) and p[3] in (1, 2, 3)
          and isinstance(p[4], bool) and p[5] in (0, 1, 2, 3)
          and (p[5] == 0 or p[0] == 2) and _s(p[6], 0, 1024) and _s(p[7], 0, 256)
          and _b(p[9]) and len(p[9]) % 32 == 0 and len(p[9]) // 32 <= 8)
    if ok and p[8] is not None:
        pt = p[8]
        ok = (isinstance(pt, list) and len(pt) == 3 and all(isinstance(v, int) for v in pt)
              and abs(pt[0]) <= 90000000 and abs(pt[1]) <= 180000000
              and 1 <= pt[2] <= 100000)
    if not ok:
        raise Malformed("plaintext")
    return p


def seal_signal(sk, nbhd, author, seq, created, epoch_id, epoch_key, expires, plain,
                authorities=(), ck=None, nonce=None, wrap_nonce=None):
    ck = ck or nb.randombytes(32)
    nonce = nonce or nb.randombytes(24)
    wrap_nonce = wrap_nonce or nb.randombytes(24)
    ad = signal_ad(nbhd, author, seq, created, epoch_id, expires)
    ct = nb.crypto_aead_xchacha20poly1305_ietf_encrypt(plain, ad, nonce, ck)
    wrapped = nb.crypto_aead_xchacha20poly1305_ietf_encrypt(ck, ad, wrap_nonce, epoch_key)
    sealed = b"".join(key_entry(a, ck) for a in authorities)
    return make_record(sk, KIND_SIGNAL, nbhd, author, seq, created,
                       [epoch_id, expires, nonce, ct, wrap_nonce, wrapped, sealed])


def open_signal(rec, epoch_key):
    epoch_id, expires, nonce, ct, wrap_nonce, wrapped, _ = rec.payload
    ad = signal_ad(rec.nbhd, rec.author, rec.seq, rec.created, epoch_id, expires)
    ck = nb.crypto_aead_xchacha20poly1305_ietf_decrypt(wrapped, ad, wrap_nonce, epoch_key)
    return nb.crypto_aead_xchacha20poly1305_ietf_decrypt(ct, ad, nonce, ck)


# ---- section 5: record files ------------------------------------------------

BEGIN, END = "-----BEGIN SAMEN RECORD-----", "-----END SAMEN RECORD-----"


def armour(raw):
    t = base64.b64encode(raw).decode()
    return "\n".join([BEGIN] + [t[i:i + 64] for i in range(0, len(t), 64)] + [END]) + "\n"


def read_armoured(text):
    out, cur = [], None
    for line in text.splitlines():
        if line == BEGIN:
            cur = []
        elif line == END and cur is not None:
            out.append(base64.b64decode("".join(cur), validate=True))
            cur = None
        elif cur is not None:
            if len(line) > 64:
                raise Malformed("armour line over 64")
            cur.append(line)
    return out


def read_kv(text):
    d = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            k, v = line.split("=", 1)
            d[k.strip()] = v.strip()
    return d


# ---- section 7: keys --------------------------------------------------------

def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64u(text):
    if isinstance(text, bytes):
        text = text.decode("ascii")
    alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    if any(c not in alpha for c in text) or len(text) % 4 == 1:
        raise Malformed("base64url")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if b64u(data) != text:
        raise Malformed("base64url not canonical")
    return data


def key_text(pk):
    return b64u(pk)


def parse_key_text(text):
    t = text.strip(" \t\n\v\f\r")
    if len(t) != 43:
        raise Malformed("key text length")
    return unb64u(t)


CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def fingerprint(pk):
    b = int.from_bytes(b2b(FP_PREFIX + pk)[:10], "big")
    s = "".join(CROCKFORD[(b >> (75 - 5 * i)) & 31] for i in range(16))
    return "-".join(s[i:i + 4] for i in range(0, 16, 4))


def curve_pub(pk):
    return nb.crypto_sign_ed25519_pk_to_curve25519(pk)


def curve_sec(sk):
    return nb.crypto_sign_ed25519_sk_to_curve25519(sk)


def secret_file_plain(seed):
    blob = b"\x00" + seed
    return KEY_HEADER + (b64u(blob + b2b(blob)) + "\n").encode()


def secret_file_enc(seed, passphrase, salt, nonce, opslimit=2, memlimit=67108864):
    head = b"\x01" + salt + struct.pack(">QQ", opslimit, memlimit) + nonce
    key = nb.crypto_pwhash_alg(32, passphrase, salt, opslimit, memlimit,
                               nb.crypto_pwhash_ALG_ARGON2ID13)
    ct = nb.crypto_aead_xchacha20poly1305_ietf_encrypt(seed, head, nonce, key)
    blob = head + ct
    return KEY_HEADER + (b64u(blob + b2b(blob)) + "\n").encode()


class NeedPass(Exception):
    pass


def read_secret(data, passphrase=None):
    """Section 7, steps 3 to 6 (the file's bytes): the seed."""
    if len(data) > 4096 or not data.startswith(KEY_HEADER) or not data.endswith(b"\n"):
        raise Malformed("key file text")
    blob = unb64u(data[len(KEY_HEADER):-1])
    if not (len(blob) == 65 and blob[0] == 0 or len(blob) == 137 and blob[0] == 1):
        raise Malformed("key file format")
    if b2b(blob[:-32]) != blob[-32:]:
        raise Malformed("key file check")
    if blob[0] == 0:
        return blob[1:33]
    ops, mem = struct.unpack(">QQ", blob[17:33])
    if not (1 <= ops <= 16 and 8192 <= mem <= 1 << 30):
        raise Malformed("key file cost")
    if not passphrase:
        raise NeedPass()
    key = nb.crypto_pwhash_alg(32, passphrase, blob[1:17], ops, mem,
                               nb.crypto_pwhash_ALG_ARGON2ID13)
    return nb.crypto_aead_xchacha20poly1305_ietf_decrypt(blob[57:105], blob[:57],
                                                         blob[33:57], key)


# ---- sections 9, 10 ---------------------------------------------------------

def vv_entries(contigs):
    """contigs: {author: contig} -> the sorted n x 40 bytes and their hash."""
    e = b"".join(a + struct.pack(">Q", c) for a, c in sorted(contigs.items()))
    return e, b2b(e)


def parse_invite(code):
    if not code.startswith("samen-invite:"):
        raise Malformed("invite prefix")
    inv = unpack(unb64u(code[len("samen-invite:"):]), 1)
    if not (isinstance(inv, list) and len(inv) == 6 and inv[0] == 1 and _b(inv[1], 32)
            and isinstance(inv[2], str) and _b(inv[3], 32) and _b(inv[4], 16) and _u(inv[5])):
        raise Malformed("invite")
    return {"nbhd": inv[1], "endpoint": inv[2], "coordinator": inv[3],
            "secret": inv[4], "expires": inv[5]}
