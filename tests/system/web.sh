# SPDX-License-Identifier: EUPL-1.2
# tests/system/web.sh — samen-web.service's checks, sourced by run.sh (whose
# helpers in_vm, prop, wait_for, listening and SECURITY_MAX they use): the
# package ships the unit, its config and the page without enabling it; the
# unit starts samend first and runs after it; the page answers on
# 127.0.0.1:8180 inside the machine; `samen-web pair` as the samen user
# prints a link that the service answers; systemd-analyze's score.

# An HTTP/1.0 GET from inside the machine with bash's /dev/tcp (minbase has
# no curl, wget or python3): the status line, the headers and the body.
http_get() {
	# shellcheck disable=SC2016 # $1 is the inner shell's
	in_vm timeout 10 bash -c 'exec 3<>/dev/tcp/127.0.0.1/8180 &&
		printf "GET %s HTTP/1.0\r\nHost: 127.0.0.1:8180\r\n\r\n" "$1" >&3 && cat <&3' bash "$1"
}

# The package put the unit, the config and the page in place, and neither
# enabled nor started samen-web: a household opts in to serving.
check_web_packaged() {
	local f st
	for f in /lib/systemd/system/samen-web.service /etc/samen/samen-web.conf \
		/usr/share/samen/web/index.html /usr/sbin/samen-web /usr/share/man/man8/samen-web.8.gz; do
		in_vm test -f "$f" || { echo "the package has no $f"; return 1; }
	done
	st="$(prop samen-web UnitFileState) $(prop samen-web ActiveState)"
	echo "after dpkg -i: samen-web $st"
	[ "$st" = "disabled inactive" ] || { echo "expected disabled and inactive, not: $st"; return 1; }
}

# Started alone, samen-web.service pulls samend in (Wants=) and runs after
# it (After=): samend was active before samen-web's process started.
check_web_after_samend() {
	local sd sw st
	in_vm systemctl stop samen-web samend
	in_vm systemctl start samen-web || { echo "systemctl start samen-web failed"; return 1; }
	wait_for 15 listening 8180 || { in_vm journalctl -q -u samen-web -o cat --no-pager | tail -5
		echo "nothing listens on 8180 15 s after the start"; return 1; }
	st="samend $(prop samend ActiveState), samen-web $(prop samen-web ActiveState)/$(prop samen-web SubState)"
	echo "$st"
	[ "$(prop samend ActiveState)" = active ] || { echo "samend was not started with samen-web: $st"; return 1; }
	[ "$(prop samen-web ActiveState)" = active ] || { echo "samen-web not active: $st"; return 1; }
	sd=$(prop samend ActiveEnterTimestampMonotonic)
	sw=$(prop samen-web ExecMainStartTimestampMonotonic)
	echo "samend active at ${sd} us, samen-web started at ${sw} us (monotonic)"
	[ "$sd" -gt 0 ] && [ "$sw" -ge "$sd" ] || { echo "samen-web started before samend was ready"; return 1; }
	in_vm journalctl -q -u samen-web -o cat --no-pager | grep 'serving' | tail -1
}

# The page's address answers from inside the machine: an unpaired client
# gets the "not paired" page (403), which names `samen-web pair`.
check_web_page() {
	local out
	out=$(http_get /) || { echo "no answer from 127.0.0.1:8180"; return 1; }
	echo "$out" | head -1
	echo "$out" | head -1 | grep -q '^HTTP/1\.[01] 403' || { echo "GET / did not answer 403 (not paired)"; return 1; }
	echo "$out" | grep -q 'samen-web pair' || { echo "the page does not say how to pair"; return 1; }
}

# As the README says: `runuser -u samen -- samen-web pair` prints a link
# (the state directory from /etc/samen/samen-web.conf), and the service
# answers that link with the pairing page.
check_web_pair() {
	local out link path
	out=$(in_vm runuser -u samen -- samen-web pair 2>&1) || { echo "$out" | tail -3; echo "samen-web pair failed"; return 1; }
	link=$(echo "$out" | grep -o 'http://127\.0\.0\.1:8180/pair/[A-Za-z0-9_-]*' | head -1)
	[ -n "$link" ] || { echo "$out" | head -3; echo "no pairing link in samen-web pair's output"; return 1; }
	echo "link: ${link%/pair/*}/pair/…"
	path=${link#http://127.0.0.1:8180}
	in_vm test "$(in_vm stat -c %U:%a /var/lib/samen/web-devices)" = samen:600 ||
		{ echo "web-devices is $(in_vm stat -c %U:%a /var/lib/samen/web-devices), not samen:600"; return 1; }
	out=$(http_get "$path") || { echo "no answer for the pairing link"; return 1; }
	echo "$out" | head -1
	echo "$out" | head -1 | grep -q '^HTTP/1\.[01] 200' || { echo "the pairing link did not answer 200"; return 1; }
}

check_web_security() {
	local out score
	out=$(in_vm systemd-analyze security --no-pager samen-web.service 2>&1)
	score=$(echo "$out" | sed -n 's/.*Overall exposure level for samen-web.service: \([0-9.]*\).*/\1/p')
	echo "$out" | tail -1
	[ -n "$score" ] || { echo "no exposure level in systemd-analyze's output"; return 1; }
	WEB_SECURITY_SCORE=$score
	awk -v s="$score" -v m="$SECURITY_MAX" 'BEGIN { exit !(s <= m) }' ||
		{ echo "exposure $score is above $SECURITY_MAX"; return 1; }
	echo "exposure $score (threshold $SECURITY_MAX)"
}

# Run while samend has the household config: stops samen-web afterwards,
# so that the checks after it start from a state directory of their own.
web_checks() {
	if check web-after-samend check_web_after_samend; then
		check web-page check_web_page
		check web-pair check_web_pair
	else
		skip web-page "samen-web did not start"
		skip web-pair "samen-web did not start"
	fi
	check web-security check_web_security
	in_vm systemctl stop samen-web
	in_vm systemctl reset-failed samen-web 2>/dev/null
}
