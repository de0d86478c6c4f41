#!/bin/sh
# SPDX-License-Identifier: EUPL-1.2
# Installs the Debian packages named as arguments that are not installed yet,
# naming them first and showing apt's own progress. As root it runs apt-get
# directly; otherwise through sudo, if there is one. Quiet when nothing is
# missing.
set -eu
missing=""
for p in "$@"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0
echo "deps: missing Debian packages:$missing"
if [ "$(id -u)" -eq 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1; then
	SUDO="sudo"
	echo "deps: not root, installing with sudo"
else
	echo "deps: not root and no sudo: as root, run" >&2
	echo "  apt-get install$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
echo "deps: apt-get update"
$SUDO apt-get update -q
echo "deps: apt-get install$missing"
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
echo "deps: installed$missing"
