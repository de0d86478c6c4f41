#!/usr/bin/env bash
# SPDX-License-Identifier: EUPL-1.2
# make demo: a neighbourhood on loopback in a temporary directory.
#
#   founder  - founds "Buurt Lindelaan", hands out invites
#   h1..h4   - households that join with invite codes; h4 is "behind NAT":
#              it binds nothing and dials only the relay
#   relay    - stores and forwards, reads nothing
#   police   - an authority that subscribes at the relay (JSON and CAP 1.2)
#   samen-web - h1's household page and phone push, with one phone paired
#
# An alert (shared with the authorities) and a neighbour's private note are
# sent; every household shows them arriving, an acknowledgement and an
# all-clear follow, the authority sees only what was shared, and it answers
# with an announcement; h1's paired phone shows what it was pushed. Then
# everything stops and the directory is removed; with SAMEN_KEEP=1 it all
# stays up (h1's page to open in a browser, with a fresh pairing link) until
# Ctrl-C, and the directory is kept.
set -euo pipefail

B=${BUILD:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SAMEN="$ROOT/$B/samen"
SAMEND="$ROOT/$B/samend"
KEYS="$ROOT/$B/samen-keys"
WEB="$ROOT/$B/samen-web"
T=$(mktemp -d /tmp/samen-demo-XXXXXX)
PIDS=()

cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	if [ -n "${SAMEN_KEEP:-}" ]; then echo "(kept $T)"; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
base=$((20000 + RANDOM % 30000))
port() { echo $((base + $1)); }

pubkey() { "$KEYS" show "$1.pub" | awk '/^public key/ {print $3}'; }

wait_for() { # wait_for SECONDS COMMAND...: until it succeeds
	local t=$(( $1 * 10 )); shift
	until "$@" >/dev/null 2>&1; do
		t=$((t - 1)); [ "$t" -gt 0 ] || { echo "demo: timed out waiting for: $*" >&2; exit 1; }
		sleep 0.1
	done
}

member() { "$SAMEN" -s "$T/$1" --json status | grep -q '"role":"\(member\|founder\|coordinator\)"'; }

start() { # start NAME: run samend with NAME's config, log to NAME/log
	"$SAMEND" -c "$T/$1/samend.conf" 2>>"$T/$1/log" &
	PIDS+=($!)
	wait_for 10 "$SAMEN" -s "$T/$1" status
}

config() { # config NAME [lines...]
	local n=$1; shift
	mkdir -p "$T/$n"; chmod 700 "$T/$n"
	{
		echo "state_dir = $T/$n"
		echo "anti_entropy_seconds = 2"
		printf '%s\n' "$@"
	} >"$T/$n/samend.conf"
}

say "Keys: a founder, a relay and a police team make their key pairs"
mkdir -p "$T/founder" "$T/relay" "$T/police"; chmod 700 "$T"/*
"$KEYS" init -k "$T/founder/identity.key"
"$KEYS" init -k "$T/relay/identity.key" >/dev/null
"$KEYS" init -k "$T/police/identity.key" >/dev/null
NBHD=$(pubkey "$T/founder/identity.key")
RELAY=$(pubkey "$T/relay/identity.key")
POLICE=$(pubkey "$T/police/identity.key")

say "The founder's daemon starts the neighbourhood"
config founder "neighbourhood = $NBHD" "listen = tcp://127.0.0.1:$(port 0)" \
	"join_listen = tcp://127.0.0.1:$(port 1)"
start founder
"$SAMEN" -s "$T/founder" certify "$RELAY" --role relay --label "Relay wijkcentrum"
"$SAMEN" -s "$T/founder" certify "$POLICE" --role authority --label "Politie basisteam Utrecht-Oost"

say "The relay serves the neighbourhood (it holds no key to read anything)"
config relay "role = relay" "serve = $NBHD" "listen = tcp://127.0.0.1:$(port 2)" \
	"subscriber_listen = tcp://127.0.0.1:$(port 3)" "peer = tcp://127.0.0.1:$(port 0) $NBHD"
start relay

labels=("" "Lindelaan 3" "Lindelaan 14" "Beukenstraat 2" "Achterom 7 (achter NAT)")
for i in 1 2 3 4; do
	if [ "$i" = 4 ]; then
		config h4 "learn_peers = 0" "peer = tcp://127.0.0.1:$(port 2) $RELAY"
	else
		config "h$i" "listen = tcp://127.0.0.1:$(port $((10 + i)))"
	fi
	start "h$i"
	code=$("$SAMEN" -s "$T/founder" --json invite --preapproved | sed 's/.*"code":"\([^"]*\)".*/\1/')
	say "h$i joins with invite ${code:0:40}…"
	"$SAMEN" -s "$T/h$i" join "$code" --label "${labels[$i]}"
	wait_for 15 member "h$i"
done
epoch() { "$SAMEN" -s "$T/$1" --json status | sed 's/.*"epoch":\([0-9]*\).*/\1/'; }
same_epoch() { local e; e=$(epoch founder); for i in 1 2 3 4; do [ "$(epoch "h$i")" = "$e" ] || return 1; done; }
wait_for 20 same_epoch
"$SAMEN" -s "$T/founder" members

say "Everyone watches; the police team subscribes at the relay"
for n in founder h1 h2 h3 h4; do
	"$SAMEN" -s "$T/$n" watch >"$T/$n/watch.txt" 2>&1 &
	PIDS+=($!)
done
"$SAMEN" subscribe --relay "tcp://127.0.0.1:$(port 3)" --relay-key "$RELAY" \
	--nbhd "$NBHD" --key "$T/police/identity.key" --out "$T/police/alerts.jsonl" &
PIDS+=($!)

say "h1's household page (samen-web) on http://127.0.0.1:$(port 20); a phone pairs"
"$WEB" --state "$T/h1" --listen "127.0.0.1:$(port 20)" --static "$ROOT/web/static" \
	>"$T/h1/web.log" 2>&1 &
PIDS+=($!)
page_up() { "$WEB" --state "$T/h1" devices && (exec 3<>"/dev/tcp/127.0.0.1/$(port 20)"); }
wait_for 10 page_up
LINK=$("$WEB" --state "$T/h1" pair --url "http://127.0.0.1:$(port 20)" | grep -m1 /pair/)
# what the phone does when the link is opened and a name given: the page
# answers with the device's token (a cookie, and for the ntfy app)
PHONE=$(python3 - "$LINK" <<'PY'
import sys, urllib.parse, urllib.request
r = urllib.request.urlopen(sys.argv[1], data=urllib.parse.urlencode({"name": "telefoon-h1"}).encode())
print(r.headers["Set-Cookie"].split("samen=", 1)[1].split(";", 1)[0])
PY
)
"$WEB" --state "$T/h1" devices
sleep 0.5

say "h2 sees someone trying car doors, calls 112 and warns the street (shared with the police)"
ALERT=$("$SAMEN" -s "$T/h2" --json send --category break-in-attempt --severity severe \
	--where "Lindelaan 14, parkeerplaats" --112-called --share \
	--description "Persoon loopt langs geparkeerde auto's en probeert de portieren" \
	| sed 's/.*"id":"\([0-9a-f]*\)".*/\1/')
echo "alert ${ALERT:0:16}"
"$SAMEN" -s "$T/h3" send --category nuisance --where "Beukenstraat" \
	--description "Harde muziek bij het speeltuintje (niet gedeeld met de politie)"

arrived() { for n in founder h1 h2 h3 h4; do grep -q "portieren" "$T/$n/watch.txt" || return 1; done; }
wait_for 15 arrived
say "h1 answers: looking; h2 gives the all-clear"
"$SAMEN" -s "$T/h1" ack "$ALERT" --looking
"$SAMEN" -s "$T/h2" resolve "$ALERT" --text "Politie heeft de persoon aangesproken"
cleared() { for n in founder h1 h2 h3 h4; do grep -qi "aangesproken" "$T/$n/watch.txt" || return 1; done; }
wait_for 15 cleared

for n in h1 h4; do
	say "What $n's terminal showed (samen watch)"
	cat "$T/$n/watch.txt"
done
say "The thread at h4, behind NAT, through the relay (samen show)"
"$SAMEN" -s "$T/h4" show "$ALERT"

say "What the police team received (samen subscribe, JSON lines): shared signals only"
police_has() { [ "$(grep -c '"event":"signal"' "$T/police/alerts.jsonl" 2>/dev/null)" -ge 3 ]; }
wait_for 15 police_has
cat "$T/police/alerts.jsonl"
if grep -q "Harde muziek" "$T/police/alerts.jsonl"; then
	echo "demo: the unshared signal reached the police" >&2; exit 1
fi

say "The same as CAP 1.2 (samen subscribe --format cap), checked against the OASIS schema"
"$SAMEN" subscribe --relay "tcp://127.0.0.1:$(port 3)" --relay-key "$RELAY" \
	--nbhd "$NBHD" --key "$T/police/identity.key" --format cap --out "$T/police/cap" \
	--cursor-file "$T/police/cap.cursor" --once
first=$(ls "$T/police/cap"/*.xml | head -1)
cat "$first"
for f in "$T/police/cap"/*.xml; do
	xmllint --noout --schema "$ROOT/tests/data/cap/CAP-v1.2.xsd" "$f"
done

say "The police team answers with an announcement, through the relay"
"$SAMEN" announce --relay "tcp://127.0.0.1:$(port 3)" --relay-key "$RELAY" \
	--key "$T/police/identity.key" --nbhd "$NBHD" --kind found \
	--text "Persoon aangehouden. Dank voor de snelle melding." --where "Lindelaan"
announced() { for n in founder h1 h2 h3 h4; do grep -q "aangehouden" "$T/$n/watch.txt" || return 1; done; }
wait_for 15 announced
grep -h -A2 -i "aangehouden" "$T/h3/watch.txt" | head -5

say "What h1's phone was pushed (the ntfy app's stream, /samen/json)"
pushed() { [ "$(python3 "$ROOT/tests/web/ntfyclient.py" "http://127.0.0.1:$(port 20)" samen \
	--token "$PHONE" --since all --poll --messages-only | wc -l)" -ge 4 ]; }
wait_for 15 pushed
python3 "$ROOT/tests/web/ntfyclient.py" "http://127.0.0.1:$(port 20)" samen --token "$PHONE" \
	--since all --poll --messages-only |
	python3 -c 'import json, sys
for l in sys.stdin:
    m = json.loads(l)
    print("  [%d] %s: %s" % (m.get("priority", 3), m.get("title", ""), m.get("message", "")))'

if [ -n "${SAMEN_KEEP:-}" ]; then
	say "Kept running (SAMEN_KEEP=1): open h1's household page in a browser"
	echo "pairing link, 15 minutes, once:"
	"$WEB" --state "$T/h1" pair --url "http://127.0.0.1:$(port 20)"
	echo "send an alert from another household while the page is open:"
	echo "  $SAMEN -s $T/h3 send -c suspicious -w Lindelaan -d 'iemand kijkt in auto'"
	echo "Ctrl-C stops everything (the directory $T stays)"
	while :; do sleep 3600; done
fi

say "Done: 5 households, 1 relay, 1 authority, 1 household page; stopping everything"
