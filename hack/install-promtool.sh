#!/usr/bin/env bash
# Installs promtool (for the alert rule tests in test/promrules) into
# bin/promtool-<version>/promtool, taken from Debian's prometheus package
# (its promtool is a Go binary that needs nothing but libc): no Go modules,
# no other download. The .deb is only unpacked, never installed; just
# promtool is kept. Does nothing when the binary is already there. Prints one
# line of progress on stderr and the binary's path on stdout.
set -euo pipefail

version=2.42
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${PROMTOOL_DIR:-"$root/bin/promtool-$version"}
bin="$dir/promtool"

if [[ ! -x "$bin" ]]; then
	echo "installing promtool $version from Debian's prometheus package into $dir" >&2
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	# apt-get download fetches the .deb only, without installing it.
	if ! (cd "$tmp" && apt-get download -qq prometheus >/dev/null 2>&1); then
		apt-get update -qq >/dev/null
		(cd "$tmp" && apt-get download -qq prometheus >/dev/null)
	fi
	dpkg-deb -x "$tmp"/prometheus_*.deb "$tmp/root"
	got=$("$tmp/root/usr/bin/promtool" --version 2>&1 | awk 'NR == 1 { print $3 }')
	if [[ "$got" != "$version".* ]]; then
		echo "Debian's prometheus package ships promtool $got, expected $version.x" >&2
		exit 1
	fi
	mkdir -p "$dir"
	# Copy beside the target and rename last: an interrupted install never
	# leaves a binary that looks complete.
	cp "$tmp/root/usr/bin/promtool" "$bin.tmp"
	mv -f "$bin.tmp" "$bin"
fi
echo "$bin"
