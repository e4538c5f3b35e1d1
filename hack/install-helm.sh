#!/usr/bin/env bash
# Installs helm into bin/helm-<version>/helm, built from its Go module: no
# prebuilt download is reachable in CI, the Go proxy is. Does nothing when the
# binary is already there. Prints the binary's path on stdout; progress goes
# to stderr so callers can capture the path.
set -euo pipefail

version=${HELM_VERSION:-v3.22.0}
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${HELM_DIR:-"$root/bin/helm-$version"}
dir=${dir%/} # make's $(dir ...) ends in a slash
bin="$dir/helm"

if [[ ! -x "$bin" ]]; then
	echo "building helm $version from the Go module (about a minute)…" >&2
	# Build into a temporary directory and move into place last, so an
	# interrupted build never leaves a binary that looks complete.
	mkdir -p "$(dirname "$dir")"
	tmp=$(mktemp -d "${dir}.tmp.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	# GOWORK=off: a go.work further up must not pull helm into a workspace.
	GOBIN="$tmp" GOWORK=off go install "helm.sh/helm/v3/cmd/helm@$version" >&2
	mkdir -p "$dir"
	mv -f "$tmp/helm" "$bin"
fi
echo "$bin"
