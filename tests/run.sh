#!/bin/sh
# SPDX-License-Identifier: EUPL-1.2
# Runs each test program given as an argument, shows its cmocka output, and
# ends with one line "N passed, N failed" summed over every test case, with
# ", N skipped" when cmocka skipped any (a skip is never counted as a pass).
# A program that prints no cmocka summary but ends with its own line
# "N passed, N failed" (tests/interop/check.py) is counted by that line.
# A program that dies without a cmocka summary counts as one failed test.
set -u
passed=0
failed=0
skipped=0
failed_progs=""
for t in "$@"; do
	out=$(mktemp)
	"$t" >"$out" 2>&1
	rc=$?
	cat "$out"
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$out" | awk '{s+=$1} END {print s+0}')
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$out" | awk '{s+=$1} END {print s+0}')
	k=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' "$out" | awk '{s+=$1} END {print s+0}')
	skipped=$((skipped + k))
	if [ "$p" -eq 0 ] && [ "$f" -eq 0 ] && ! grep -q '^\[==========\]' "$out"; then
		own=$(tail -n 1 "$out" | sed -n 's/^\([0-9][0-9]*\) passed, \([0-9][0-9]*\) failed$/\1 \2/p')
		if [ -n "$own" ]; then
			p=${own% *}
			f=${own#* }
		fi
	fi
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "run.sh: $t exited with status $rc"
	fi
	[ "$f" -ne 0 ] && failed_progs="$failed_progs $(basename "$t")"
	passed=$((passed + p))
	failed=$((failed + f))
	rm -f "$out"
done
[ -n "$failed_progs" ] && echo "failing programs:$failed_progs"
if [ "$skipped" -ne 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
