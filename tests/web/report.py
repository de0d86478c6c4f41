#!/usr/bin/python3
# SPDX-License-Identifier: EUPL-1.2
"""The line protocol of the web checks, which tests/integration/test_web.c
reads: "ok NAME" or "FAIL NAME: why", one line per check, flushed at once;
failures() is the count of FAIL lines so far (the script's exit status)."""

_failures = 0


def check(name, cond, why=""):
    global _failures
    if cond:
        print("ok " + name, flush=True)
    else:
        _failures += 1
        print("FAIL %s: %s" % (name, why), flush=True)
    return cond


def failures():
    return _failures
