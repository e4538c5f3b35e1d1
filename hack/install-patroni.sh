#!/usr/bin/env bash
# Installs Patroni for the real-Patroni tests (internal/pgtest/patroni*.go):
# Debian's patroni package (3.0.2 on bookworm) with python3-pysyncobj, which
# gives it the Raft DCS and patroni_raft_controller, so no etcd is needed.
# Needs root (apt-get); runs `apt-get update` only when the packages are not
# found. Does nothing when both are installed already. Never starts a
# service: the tests start their own Patroni processes, as an unprivileged
# user, on free ports. Prints where the three programs are.
set -euo pipefail

packages=(patroni python3-pysyncobj)

installed() {
	local p
	for p in "${packages[@]}"; do
		[[ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" == installed ]] || return 1
	done
}

# Wait for the dpkg lock instead of failing: `make tools` installs
# PostgreSQL with apt-get at the same time.
apt_install() {
	apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=600 "${packages[@]}" >/dev/null
}

# apt-get update takes the lists lock without waiting for it: retry.
apt_update() {
	local i
	for i in 1 2 3 4 5 6 7 8 9 10; do
		apt-get update -qq -o DPkg::Lock::Timeout=600 >/dev/null && return
		sleep 5
	done
	return 1
}

# Debian's postinst would start patroni.service where an init system runs;
# policy-rc.d answering 101 forbids that. One that exists is left alone.
forbid_services() {
	if [[ ! -e /usr/sbin/policy-rc.d ]]; then
		printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		trap 'rm -f /usr/sbin/policy-rc.d' EXIT
	fi
}

if ! installed; then
	if [[ $(id -u) -ne 0 ]]; then
		echo "install-patroni.sh: installing ${packages[*]} needs root (apt-get)" >&2
		exit 1
	fi
	echo "installing ${packages[*]} from Debian" >&2
	export DEBIAN_FRONTEND=noninteractive
	forbid_services
	if ! apt-cache show patroni python3-pysyncobj >/dev/null 2>&1; then
		apt_update
	fi
	# A stale package list (a version no longer on the mirror) fails the
	# download: update once and try again.
	if ! apt_install; then
		apt_update
		apt_install
	fi
fi

for bin in patroni patronictl patroni_raft_controller; do
	path=$(command -v "$bin") || { echo "install-patroni.sh: $bin not found after installing ${packages[*]}" >&2; exit 1; }
	echo "$bin: $path"
done
