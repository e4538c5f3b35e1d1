#!/usr/bin/env bash
# Runs govulncheck on the module against a Go vulnerability database built
# locally: CI reaches the Go module proxy but not vuln.go.dev, and the proxy
# serves the database's source, the golang.org/x/vulndb module (one OSV JSON
# file per advisory under data/osv). That module's own cmd/indexdb turns the
# folder into the v1 database layout govulncheck reads (index/db.json,
# index/modules.json, index/vulns.json, ID/GO-*.json, each also gzipped).
#
#   hack/vulncheck.sh                          # ./..., govulncheck's text output
#   hack/vulncheck.sh -show verbose ./...      # any govulncheck arguments (-db is set here)
#   VULNDB_VERSION=latest hack/vulncheck.sh    # the newest database the proxy serves
#
# Cached in bin/ (LOCALBIN): govulncheck-<version>-<go>/govulncheck and
# vulndb-<vulndb version>/, each built once into a temporary name and renamed
# into place, so an interrupted run never leaves a copy that looks complete.
# The exit status is govulncheck's: 0 when nothing reachable is found, 3 when
# the code calls a vulnerable symbol (module and standard library alike).
set -euo pipefail

GOVULNCHECK_VERSION=${GOVULNCHECK_VERSION:-v1.9.0}
# The newest golang.org/x/vulndb the proxy served when this was last bumped
# (go list -m golang.org/x/vulndb@latest); its data/osv dates from 2026-11-05.
VULNDB_VERSION=${VULNDB_VERSION:-v0.0.0-20261105234957-e22db6528018}

root=$(cd "$(dirname "$0")/.." && pwd)
bin=${LOCALBIN:-"$root/bin"}
cd "$root"

# go.mod's toolchain line names the Go release the project builds with; the
# go command switches to it (downloading it from the proxy) only under
# GOTOOLCHAIN=auto, and this machine's Go defaults to local. The scan must see
# the standard library the project is really built with.
export GOTOOLCHAIN=${GOTOOLCHAIN:-auto}
gover=$(go env GOVERSION)
gover=${gover%% *}

tmp=$(mktemp -d)
out=
cleanup() { rm -rf "$tmp" ${out:+"$out"}; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# GOWORK=off and a module-free working directory: installing or downloading
# the tools must never touch the project's go.mod or go.sum.
gotool() { (cd "$tmp" && GOWORK=off "$@"); }

# govulncheck type-checks the sources with the go/types compiled into it, so
# it must be built by the Go release it scans with (a go1.26 build cannot
# load go1.27 sources): the directory names both versions.
gvc_dir=$bin/govulncheck-$GOVULNCHECK_VERSION-$gover
gvc=$gvc_dir/govulncheck
if [[ ! -x "$gvc" ]]; then
	echo "building govulncheck $GOVULNCHECK_VERSION with $gover into $gvc_dir" >&2
	gotool env GOTOOLCHAIN="$gover" GOBIN="$tmp/gvc" \
		go install "golang.org/x/vuln/cmd/govulncheck@$GOVULNCHECK_VERSION" >&2
	mkdir -p "$gvc_dir"
	mv -f "$tmp/gvc/govulncheck" "$gvc"
fi

# A query such as latest is resolved first: the cache is named by version.
version=$VULNDB_VERSION
if [[ ! "$version" =~ ^v[0-9] ]]; then
	version=$(gotool go list -m -f '{{.Version}}' "golang.org/x/vulndb@$version")
fi
db=$bin/vulndb-$version

complete() { [[ -f "$db/index/modules.json" ]]; }

build_db() {
	rm -rf "$db".tmp.* # leftovers of a killed build (we hold the lock)
	echo "building the vulnerability database golang.org/x/vulndb@$version into $db (once: 1-2 minutes on a cold module cache)" >&2
	local json dir
	json=$(gotool go mod download -json "golang.org/x/vulndb@$version")
	# "Dir": "/root/go/pkg/mod/golang.org/x/vulndb@v…", (no jq on a fresh machine)
	dir=$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' <<<"$json")
	if [[ ! -d "$dir/data/osv" ]]; then
		echo "golang.org/x/vulndb@$version has no data/osv folder (module at '$dir')" >&2
		exit 1
	fi
	gotool env GOBIN="$tmp/gen" go install "golang.org/x/vulndb/cmd/indexdb@$version" >&2
	out=$(mktemp -d "$db.tmp.XXXXXX")
	chmod 755 "$out"
	"$tmp/gen/indexdb" -vulns "$dir/data/osv" -out "$out"
	mv "$out" "$db"
	out=
}

if ! complete; then
	# Two runs at once (make -j, two checkouts sharing bin/) build it once.
	mkdir -p "$bin"
	exec 9>"$db.lock"
	flock 9
	if ! complete; then build_db; fi
fi

# A file URL: percent-encode what url.Parse would otherwise misread.
url=${db//%/%25}
url=${url// /%20}
url=${url//#/%23}
url=${url//\?/%3F}

[[ $# -gt 0 ]] || set -- ./...
echo "govulncheck $GOVULNCHECK_VERSION on $gover, database golang.org/x/vulndb@$version" >&2
"$gvc" -db "file://$url" "$@"
