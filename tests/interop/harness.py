# SPDX-License-Identifier: EUPL-1.2
"""What check.py and mesh.py share: one line per check, the programs, and
the two sockets of sections 8 and 9 as seen from outside samend."""
import fcntl
import os
import socket
import subprocess
import sys
import time

import zmq

import samen2 as s2

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
